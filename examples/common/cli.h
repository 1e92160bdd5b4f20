/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the tools' command lines share: numbers checked for range, and the
 * options of the scenario-runner tools (exotic-matrix, exotic-repro).
 * Compiled into each tool; not part of libexotic.
 */
#ifndef EXOTIC_CLI_H
#define EXOTIC_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/*
 * A whole number in [min, max], decimal, 0x hex or 0 octal, with no sign
 * and nothing after it: 0, or -EINVAL.
 */
int cli_u64(const char *s, uint64_t min, uint64_t max, uint64_t *v);
int cli_u32(const char *s, uint32_t min, uint32_t max, uint32_t *v);
/* A byte count: such a number with an optional K, M or G (binary) suffix. */
int cli_size(const char *s, uint64_t *v);

/*
 * A mode that compares two files, A and B (exotic-bench --compare,
 * exotic-matrix --diff): cmp(A, B, stdout, stderr) when they are what
 * follows the options in argv, else 2 once the tool has said so.
 */
int cli_compare(const char *tool, const char *opt, int argc, char **argv,
		int (*cmp)(const char *a, const char *b, FILE *out, FILE *err));

/* The options every scenario-runner tool takes, and their values. */
struct runner_cli {
	const char *profile;	/* --profile */
	const char *expect_file;	/* --expect */
	const char *json_file;	/* --json-file */
	bool json;		/* --json: the document on stdout */
	bool allow_kmsg;	/* --allow-kmsg */
	bool allow_crash;	/* --allow-crash */
	bool fresh;		/* --fresh-boot */
	uint64_t seed;		/* --seed; from the clock */
	unsigned int timeout_s;	/* --timeout, per scenario */
};

#define RUNNER_CLI_OPTIONS						\
	{ "profile", required_argument, NULL, 'p' },			\
	{ "expect", required_argument, NULL, 'e' },			\
	{ "json", no_argument, NULL, 'j' },				\
	{ "json-file", required_argument, NULL, 'J' },			\
	{ "list-profiles", no_argument, NULL, 'L' },			\
	{ "allow-kmsg", no_argument, NULL, 'k' },			\
	{ "allow-crash", no_argument, NULL, 'C' },			\
	{ "seed", required_argument, NULL, 's' },			\
	{ "timeout", required_argument, NULL, 't' },			\
	{ "fresh-boot", no_argument, NULL, 'f' }

void runner_cli_init(struct runner_cli *o);
/*
 * Take option c (from RUNNER_CLI_OPTIONS) with its argument: 1 if it was
 * one of them, 0 if not, -EINVAL (after a one-line message) for a bad
 * value.  --list-profiles prints the list and exits.
 */
int runner_cli_option(const char *tool, int c, const char *arg, struct runner_cli *o);
/*
 * getopt_long() with the RUNNER_CLI_OPTIONS taken into o: the next other
 * option, -1 at the end, or -2 for a bad value (after its message).
 */
int runner_cli_next(const char *tool, int argc, char **argv, const char *shortopts,
		    const struct option *longopts, struct runner_cli *o);
/*
 * Where the JSON document goes: stdout, the --json-file (created), or
 * NULL for none.  -EINVAL for both options, -errno if the file cannot be
 * created; either after a one-line message.
 */
int runner_cli_json(const char *tool, const struct runner_cli *o, FILE **out);

struct exotic_ctx;
struct exotic_runner;
struct exotic_runner_config;
/*
 * A runner as the options ask for it: a context, the JSON document's file
 * (runner_cli_json()) and a runner of cfg (the tool sets .tool, .schema,
 * .dry and its own .allow_kmsg; the options fill the rest, .json but for
 * a --fresh-boot listing).  0, or the tool's exit status after a message: 2 bad
 * options or table, 3 no library context or no profile for this kernel.
 * runner_cli_close() in any case.
 */
int runner_cli_open(const struct runner_cli *o, struct exotic_runner_config *cfg,
		    struct exotic_ctx **ctx, FILE **jf, struct exotic_runner **run);
/* Start the runner (quiet: no progress on stderr): 0, or 3 after a message. */
int runner_cli_start(const char *tool, struct exotic_runner *run, bool quiet);
/* Close what runner_cli_open() opened: status, or 2 if the JSON file failed. */
int runner_cli_close(const char *tool, const struct runner_cli *o, struct exotic_ctx *ctx,
		     FILE *jf, struct exotic_runner *run, int status);

#endif /* EXOTIC_CLI_H */
