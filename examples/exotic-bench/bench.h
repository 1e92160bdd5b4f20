/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * exotic-bench: what exotic memory costs a KVM guest next to anonymous
 * memory.  Shared declarations of the tool's files:
 *   stats.c    samples -> median, min, max; ratios (pure, unit tested)
 *   subject.c  one instance: fresh memory (anonymous or a region) in a memslot
 *   workload.c the workloads, timed
 *   storm.c    the storm workload: an invalidate-only exotic_storm
 *   report.c   the human table and the JSON document (docs/bench-schema.md)
 *   doc.c      reading a document back
 *   compare.c  --compare A.json B.json
 *   targets.c  the performance targets, judged on a document
 *   main.c     options, the run
 */
#ifndef EXOTIC_BENCH_H
#define EXOTIC_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define BENCH_SCHEMA	"exotic-bench/1"
#define BENCH_MAX_REPS	64

/* ------------------------------------------------------------ stats.c */

struct summary {
	size_t n;
	double median, min, max;
};

/* Median (the mean of the two middle values for an even n), min and max
 * of n samples; n 0 gives all zeroes.  The samples are not reordered. */
struct summary summarize(const double *samples, size_t n);
/* a / b, or 0 when either is not a positive number. */
double ratio(double a, double b);
/* (max - min) / median of s, 0 when the median is 0: the noise. */
double spread(const struct summary *s);
/* The summary of subject[i] / baseline[i] over the n repetitions, each run
 * over the baseline's run next to it; pairs with a side that is not a
 * positive number are left out.  A slow drift of the machine's load moves
 * both runs of a pair, so these ratios vary less than either side. */
struct summary paired_ratios(const double *subject, const double *baseline, size_t n);

/* ------------------------------------------------------------ figures */

/* the workloads (--workloads): each measures some of the figures */
enum workload {
	WL_TOUCH,		/* first touch, read and write */
	WL_STEADY,		/* steady state, read and write */
	WL_EVENTS,		/* invalidate, migrate, revoke + reallocate; each + refault */
	WL_STORM,		/* the invalidate-only storm */
	WL_SETUP,		/* alloc + mmap + memslot */
	WL_MAX,
};

extern const char *const workload_names[WL_MAX];

enum figure {
	FIG_FT_READ,		/* first touch, read: faults/s */
	FIG_FT_WRITE,		/* first touch, write: faults/s */
	FIG_STEADY_READ,	/* steady state, read: GiB/s */
	FIG_STEADY_WRITE,	/* steady state, write: GiB/s */
	FIG_INVALIDATE,		/* invalidate + refault: cycles/s */
	FIG_MIGRATE,		/* migrate + refault: cycles/s (exotic only) */
	FIG_REPLACE,		/* revoke + reallocate + refault: cycles/s */
	FIG_STORM_EVENTS,	/* invalidate-only storm: events/s */
	FIG_STORM_ACCESSES,	/* the same storm: guest accesses/s */
	FIG_SETUP,		/* alloc + mmap + memslot: ms */
	FIG_MAX,
};

struct figure_info {
	const char *name;	/* JSON key */
	const char *column;	/* table column */
	const char *unit;
	bool lower_is_better;	/* ms */
	enum workload workload;	/* what measures it */
};

extern const struct figure_info figures[FIG_MAX];

/* the KVM counters kept per first-touch run (vCPU stats, then VM stats) */
enum kstat {
	KS_PF_TAKEN,
	KS_PF_FIXED,
	KS_EXITS,
	KS_PAGES_4K,
	KS_PAGES_2M,
	KS_MAX,
};
extern const char *const kstat_names[KS_MAX];

/* the samples of one figure on one side (baseline or subject) */
struct side {
	size_t n;
	double v[BENCH_MAX_REPS];
	uint64_t kvm[KS_MAX];	/* counters of the last run (first touch: the run's
				 * deltas; steady: the mapping after it); ~0: none */
};

struct fig_result {
	const char *skipped;	/* why not measured, or NULL */
	char why[320];
	struct side subject, baseline;
	struct side populated;	/* setup only: anonymous mmap with MAP_POPULATE */
};

/* one row: a kind x method, or the anonymous-only row */
struct row {
	uint32_t kind, method;
	const char *status;	/* "ok", "skip", "error" */
	char why[320];
	uint64_t length;	/* bytes per instance */
	uint32_t order;
	uint64_t setup_length;	/* bytes of the setup figure */
	struct fig_result fig[FIG_MAX];
	/* steady state's mapping of the subject (VM stats after the run) */
	uint64_t pages_4k, pages_2m;
	bool have_mapping;
	bool host_prefault;	/* the host touched each 2 MiB before the guest */
	const char *baseline;	/* anon_describe() */
};

/* ------------------------------------------------------------ subject.c */

#define BENCH_SLOT	0
#define BENCH_GPA	0x40000000ULL

struct exotic_ctx;
struct exotic_device;
struct exotic_vm;
struct exotic_vcpu;
struct exotic_region;

/* what a run shares: one VM and one vCPU for all of it */
struct bench {
	struct exotic_ctx *ctx;
	struct exotic_device *dev;
	struct exotic_vm *vm;
	struct exotic_vcpu *vcpu;
	uint64_t seed;
	/* KVM's mappings of the library's system memslot that the guest
	 * programs re-fault after a memslot change (bench_calibrate()):
	 * subtracted from the VM's pages_4k and pages_2m */
	uint64_t sys_4k, sys_2m;
	char err[256];		/* the last failure, one line */
};

/* fresh memory in the bench memslot: anonymous (kind 0) or a region;
 * populate: anonymous memory faulted in by mmap(MAP_POPULATE) */
struct instance {
	uint32_t kind, method, order;
	size_t len;
	struct exotic_region *region;
	void *map;		/* anonymous: the whole mmap (2 MiB aligned inside) */
	size_t map_len;
	void *hva;
	bool slotted;
};

/* the anonymous baseline's transparent huge pages */
enum anon_thp {
	ANON_THP_MATCH,		/* MADV_HUGEPAGE for the huge method, else MADV_NOHUGEPAGE */
	ANON_THP_DEFAULT,	/* no madvise(): whatever the host's THP setting gives */
};

int bench_open(struct bench *b);
void bench_close(struct bench *b);
/* allocate, map and add the memslot: 0 or a negative errno (b->err says) */
int inst_new(struct bench *b, struct instance *in, uint32_t kind, uint32_t method,
	     uint32_t order, size_t len, enum anon_thp thp, bool populate);
/* the host writes one word every step bytes (not timed) */
void inst_prefault(struct instance *in, size_t step);
/* what the baseline of a row with this method is, in words */
const char *anon_describe(uint32_t method, enum anon_thp thp);
void inst_free(struct bench *b, struct instance *in);
/*
 * revoke + reallocate: fresh memory of the same kind, method and length in
 * the instance's place, behind the same memslot (deleted and added again).
 * The driver's region is revoked first, as a driver that takes a buffer
 * back does, and then freed; anonymous memory is unmapped and mapped anew.
 * Waits out the driver's quarantine as inst_migrate() does (*waited).
 */
int inst_replace(struct bench *b, struct instance *in, enum anon_thp thp, double *waited);
/* host events: the driver's invalidate or migrate; MADV_DONTNEED for anonymous */
int inst_invalidate(struct bench *b, struct instance *in);
/* migrate: when the driver has no fresh backing (-ENOMEM, -ENOSPC: the
 * blocks earlier events retired wait out the driver's quarantine, 100 ms
 * by default, before they are free), waits and tries again, up to a
 * second; *waited gets the seconds spent waiting, not part of the figure */
int inst_migrate(struct bench *b, struct instance *in, double *waited);
/* load a guest program on [BENCH_GPA, +len) and run it to its DONE; the
 * seconds spent in KVM_RUN (host CLOCK_MONOTONIC) added to *secs */
int guest_run(struct bench *b, int program, size_t len, size_t stride,
	      unsigned int passes, double *secs);
double now_s(void);

/* ------------------------------------------------------------ workload.c */

struct exotic_expect;

struct plan {
	unsigned int reps, passes, cycles;
	unsigned int storm_ms;	/* each storm's duration */
	size_t length, setup_length;
	const struct exotic_expect *table;
	enum anon_thp thp;
	uint32_t workloads;	/* 1 << enum workload, the ones to run */
	bool verbose;
};

/* Find b->sys_4k and b->sys_2m: a guest run over one anonymous page. */
int bench_calibrate(struct bench *b, const struct plan *p);
/* Set a row up: what the table skips (status "skip", row->why says), the
 * setup figure's length; 0, or a negative errno when the harness failed
 * (status "error", row->why says). */
int bench_row_prepare(struct bench *b, const struct plan *p, struct row *row);
/* Repetition r of a prepared row: its anonymous baseline and its subject,
 * in turns first; 0, or a negative errno when the harness failed (status
 * "error", row->why says; the row takes no more repetitions). */
int bench_rep(struct bench *b, const struct plan *p, struct row *row, unsigned int r);

/* ------------------------------------------------------------ storm.c */

/* One storm of the storm figures for row: over the row's kind x method
 * (subject) or anonymous memory (baseline), invalidate only, for
 * p->storm_ms; adds a sample to FIG_STORM_EVENTS and FIG_STORM_ACCESSES.
 * 0, or a negative errno (b->err says); a storm that made a finding is
 * -EIO, the finding in b->err. */
int rep_storm(struct bench *b, const struct plan *p, struct row *row, bool subject);

/* ------------------------------------------------------------ report.c */

struct run_info {
	const char *kernel, *profile, *profile_why;
	unsigned int reps, passes, cycles, storm_ms;
	uint32_t workloads;	/* 1 << enum workload */
	uint64_t length, setup_asked;
	uint64_t sys_4k, sys_2m;
	enum anon_thp thp;
};

void report_table(FILE *f, const struct run_info *ri, const struct row *rows, size_t n);
void report_json(FILE *f, const struct run_info *ri, const struct row *rows, size_t n);

/* ------------------------------------------------------------ doc.c */

struct json;

/* An exotic-bench/1 document read from path; NULL once err has one line. */
struct json *doc_load(const char *path, FILE *err);
/* Whether j is an exotic-bench/1 document with its rows. */
bool doc_valid(const struct json *j);
/* Whether a row was measured (status ok). */
bool doc_row_ok(const struct json *row);
/* A figure's subject median, min and max; false when it was not measured. */
bool doc_subject(const struct json *row, const char *fig, struct summary *s);
/* A figure's ratio to its baseline (the medians' quotient) and the range of
 * its ratios repetition by repetition, both from the samples, so that they
 * are rounded alike; false when it has no baseline. */
bool doc_ratio(const struct json *row, const char *fig, double *r, struct summary *range);

/* ------------------------------------------------------------ compare.c */

/* Print ratios B/A per row and figure with both sides' noise; errors go to
 * err as one line.  0, or 2 when a file is not an exotic-bench/1 document. */
int bench_compare(const char *path_a, const char *path_b, FILE *out, FILE *err);

/* ------------------------------------------------------------ targets.c */

/* Print each performance target (first touch >= 0.9, steady state >= 0.95,
 * invalidate + refault >= 0.8 and setup <= 2.0 of anonymous memory; the
 * huge method mapped with 2 MiB pages) and the rows that hold or miss it. */
void bench_targets(const struct json *doc, FILE *out);
/* The same for the document in path: 0, or 2 once err has one line. */
int bench_targets_file(const char *path, FILE *out, FILE *err);

#endif
