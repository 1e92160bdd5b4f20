/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The scenario runner behind exotic-matrix and exotic-repro: one run
 * judges scenarios (matrix cells, reproducers) against the expectation
 * table of a kernel profile.  It owns what a run needs: the table
 * (detected, forced or from a file), the device, one VM kept for the whole
 * run (otherwise KVM enables and disables virtualization on every CPU for
 * each scenario's VM, which under TCG on a loaded host has been seen to
 * wedge the test VM), each scenario isolated in a child process, the
 * verdicts, the counters and the JSON document (docs/matrix-schema.md).
 * The tools print their own text.
 */
#ifndef EXOTIC_RUNNER_H
#define EXOTIC_RUNNER_H

#include <stdbool.h>
#include <stdio.h>

#include "exotic.h"
#include "expect.h"
#include "repro.h"

#ifdef __cplusplus
extern "C" {
#endif

struct exotic_runner;

struct exotic_runner_config {
	const char *tool;	/* "exotic-matrix": JSON's "tool", messages */
	const char *schema;	/* "exotic-matrix/1" */
	const char *profile;	/* a registry profile or a table; NULL: detected */
	const char *expect_file;	/* the table from a file instead */
	uint64_t seed;
	unsigned int timeout_s;	/* per scenario: killed and reported as hang */
	/* also run rows expected to make the kernel WARN or oops */
	bool allow_kmsg;
	bool dry;		/* judge nothing, open nothing (a listing) */
	FILE *json;		/* the JSON document goes here; NULL: none */
	/*
	 * also run rows whose table outcome is "crash" (EXOTIC_OUT_CRASH:
	 * measured to stop the kernel); allow_kmsg does not imply it
	 */
	bool allow_crash;
};

/* What one row came to. */
struct exotic_runner_row {
	const struct exotic_expect_entry *expected;
	const char *verdict;	/* "ok", "UNEXPECTED", "skip", "-" (dry) */
	bool ran;		/* result.before/after are outcomes */
	struct exotic_scenario_result result;
};

/*
 * Load the table: -ENOENT when no profile fits the running kernel (the
 * log says why), -EINVAL for an unknown profile or a bad table file.
 */
EXOTIC_EXPORT int exotic_runner_new(struct exotic_ctx *ctx,
				    const struct exotic_runner_config *cfg,
				    struct exotic_runner **runner);
/*
 * Open the device, check KVM, create the kept VM (not when dry) and write
 * the JSON document's head.  A negative errno when there is nothing to run
 * on.  From here on refusals are outcomes: the log is quieted unless
 * $EXOTIC_LOG is set.
 */
EXOTIC_EXPORT int exotic_runner_start(struct exotic_runner *runner, bool quiet);

EXOTIC_EXPORT const struct exotic_expect *exotic_runner_table(const struct exotic_runner *runner);
/* The table's name, how it was chosen ("detected", "forced", "file") and why. */
EXOTIC_EXPORT const char *exotic_runner_profile(const struct exotic_runner *runner);
EXOTIC_EXPORT const char *exotic_runner_source(const struct exotic_runner *runner);
EXOTIC_EXPORT const char *exotic_runner_why(const struct exotic_runner *runner);
EXOTIC_EXPORT const char *exotic_runner_kernel(const struct exotic_runner *runner);

/*
 * Judge one matrix cell or one reproducer: skip it when its expectation
 * says the kernel will WARN or oops and allow_kmsg is off, or that it
 * stops the kernel ("crash") and allow_crash is off (the row's
 * result.detail says why: exotic_runner_skips()), else run it isolated
 * and compare.  The row goes into the JSON document.  Returns 0,
 * -ENOENT when the table has no row for it (counted as unexpected, no
 * JSON row), or the negative errno of a harness failure (the run cannot
 * go on).
 */
EXOTIC_EXPORT int exotic_runner_cell(struct exotic_runner *runner, uint32_t kind,
				     uint32_t method, uint32_t path, uint32_t event,
				     struct exotic_runner_row *row);
EXOTIC_EXPORT int exotic_runner_repro(struct exotic_runner *runner,
				      const struct exotic_repro *repro,
				      struct exotic_runner_row *row);

/* Rows judged so far: all, ok, unexpected, skipped. */
EXOTIC_EXPORT void exotic_runner_counts(const struct exotic_runner *runner,
					unsigned int *rows, unsigned int *ok,
					unsigned int *unexpected, unsigned int *skipped);
/* End the JSON document (the caller closes its FILE). */
EXOTIC_EXPORT void exotic_runner_finish(struct exotic_runner *runner);
EXOTIC_EXPORT void exotic_runner_free(struct exotic_runner *runner);

/* Does the entry expect a kernel report (WARN, oops): once per boot. */
EXOTIC_EXPORT bool exotic_expect_dangerous(const struct exotic_expect_entry *entry);
/* Does the entry expect the kernel to stop ("crash", before or after). */
EXOTIC_EXPORT bool exotic_expect_crash(const struct exotic_expect_entry *entry);
/*
 * Would the runner leave this row out, and why: true with a one-line
 * reason in why (size bytes; may be NULL) for a "crash" row without
 * allow_crash, and for a WARN/oops row without allow_kmsg; false when it
 * would run it.  What exotic_runner_cell() and exotic_runner_repro() do.
 */
EXOTIC_EXPORT bool exotic_runner_skips(const struct exotic_runner *runner,
				       const struct exotic_expect_entry *entry,
				       char *why, size_t size);

/* s as a JSON string, escaped; null for NULL. */
EXOTIC_EXPORT void exotic_json_str(FILE *f, const char *s);

#ifdef __cplusplus
}
#endif

#endif
