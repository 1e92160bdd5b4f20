// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * exotic-bench: what exotic memory costs a KVM guest next to anonymous
 * memory.  For every kind x method the running kernel's expectation table
 * maps on the vCPU fault path, and for anonymous memory interleaved with
 * it: first touch (read, write), steady state (read, write), invalidate +
 * refault, migrate + refault, revoke + reallocate + refault, an
 * invalidate-only storm, setup.  Prints a table of ratios to anonymous
 * memory and the performance targets, or the JSON document of
 * docs/bench-schema.md.
 *
 * Exit status: 0 every row ran or was skipped by the table or the driver,
 * 1 a row failed, 2 usage or unreadable --compare/--targets input, 3 nothing to run
 * on (no KVM, no driver, no table for this kernel).
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <syslog.h>
#include <time.h>

#include "exotic/exotic.h"
#include "bench.h"
#include "cli.h"
#include "json.h"

static void usage(FILE *f)
{
	fprintf(f,
"usage: exotic-bench [options]\n"
"       exotic-bench --compare A.json B.json\n"
"                   B's medians over A's per row and figure, with both runs' noise\n"
"       exotic-bench --targets RUN.json\n"
"                   the performance targets, judged on a saved run\n"
"  -s, --size BYTES     memory per instance, a multiple of 2M (K/M/G)       [16M]\n"
"  -r, --reps N         repetitions of baseline and subject, in turns first, [21]\n"
"                       each over every row before the next\n"
"  -p, --passes N       steady-state passes over the memory                  [64]\n"
"  -c, --cycles N       event + refault cycles per repetition                 [2]\n"
"      --setup BYTES    setup figure's length, halved while the driver refuses [1G]\n"
"      --storm-ms MS    duration of each invalidate-only storm                [1000]\n"
"  -k, --kinds LIST     kinds (refcounted,compound,noncompound,reserved,carveout)\n"
"  -m, --methods LIST   methods (remap,fault,huge,mixed,page)\n"
"  -w, --workloads LIST workloads (touch,steady,events,storm,setup); the other\n"
"                       figures say they were not run                      [all]\n"
"      --anon-thp       let the anonymous baseline have the host's THP setting (default:\n"
"                       MADV_HUGEPAGE next to the huge method, else MADV_NOHUGEPAGE)\n"
"      --tiny           2 MiB instances, 1 repetition (unless -r says), 1 pass,\n"
"                       1 cycle, 2 MiB setup, 200 ms storms\n"
"                       (a smoke test: the figures mean nothing)\n"
"      --profile NAME   the expectation table to follow               [detected]\n"
"      --json           the JSON document (docs/bench-schema.md) on stdout instead\n"
"      --json-file FILE print the table and write the JSON document to FILE\n"
"  -v, --verbose        a line per repetition on stderr; library errors\n"
"  -h, --help\n"
"exit status: 0 ok, 1 a row failed, 2 usage, 3 nothing to run on\n");
}

static int usage_error(const char *arg)
{
	fprintf(stderr, "exotic-bench: unexpected argument '%s'\n", arg);
	return 2;
}

/* the targets, judged on the run's own document, read back */
static void print_targets(const struct run_info *ri, const struct row *rows, size_t n)
{
	char *text = NULL, err[256];
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	struct json *doc = NULL;

	if (f) {
		report_json(f, ri, rows, n);
		if (!fclose(f))
			doc = json_parse(text, len, err, sizeof(err));
	}
	if (doc && doc_valid(doc))
		bench_targets(doc, stdout);
	else
		fprintf(stderr, "exotic-bench: cannot read the run back for its targets\n");
	json_free(doc);
	free(text);
}

/* a row's harness failed: one line; the exit status */
static int row_failed(const struct row *r)
{
	fprintf(stderr, "exotic-bench: %s %s: %s\n", exotic_kind_name(r->kind),
		exotic_method_name(r->method), r->why);
	return 1;
}

static int workload_from_name(const char *name)
{
	for (int w = 0; w < WL_MAX; w++)
		if (!strcmp(name, workload_names[w]))
			return w;
	return -EINVAL;
}

/* a comma-separated list of what's names, into *mask */
static int parse_list(const char *what, const char *arg, int (*from)(const char *),
		      uint32_t *mask)
{
	char *dup = strdup(arg), *tok, *save = NULL;

	if (!dup)
		return -ENOMEM;
	for (tok = strtok_r(dup, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int v = from(tok);

		if (v < 0) {
			fprintf(stderr, "exotic-bench: unknown %s '%s'\n", what, tok);
			free(dup);
			return -EINVAL;
		}
		*mask |= 1U << v;
	}
	free(dup);
	return 0;
}

/* --NAME's value, a whole number in [min, max]: 0, or -EINVAL after a message. */
static int opt_u32(const char *name, const char *arg, uint32_t min, uint32_t max,
		   uint32_t *v)
{
	if (!cli_u32(arg, min, max, v))
		return 0;
	fprintf(stderr, "exotic-bench: --%s takes %u..%u, not '%s'\n", name, min, max, arg);
	return -EINVAL;
}

/* --NAME's value, a length: a multiple of 2M up to 1G. */
static int opt_length(const char *name, const char *arg, size_t *len)
{
	uint64_t v;

	if (cli_size(arg, &v) || !v || v % (2 << 20) || v > (1ULL << 30)) {
		fprintf(stderr, "exotic-bench: --%s takes a multiple of 2M up to 1G, not '%s'\n",
			name, arg);
		return -EINVAL;
	}
	*len = v;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "size", required_argument, NULL, 's' },
		{ "reps", required_argument, NULL, 'r' },
		{ "passes", required_argument, NULL, 'p' },
		{ "cycles", required_argument, NULL, 'c' },
		{ "setup", required_argument, NULL, 'S' },
		{ "storm-ms", required_argument, NULL, 'T' },
		{ "kinds", required_argument, NULL, 'k' },
		{ "methods", required_argument, NULL, 'm' },
		{ "workloads", required_argument, NULL, 'w' },
		{ "tiny", no_argument, NULL, 't' },
		{ "anon-thp", no_argument, NULL, 'A' },
		{ "profile", required_argument, NULL, 'P' },
		{ "json", no_argument, NULL, 'j' },
		{ "json-file", required_argument, NULL, 'J' },
		{ "compare", no_argument, NULL, 'C' },
		{ "targets", required_argument, NULL, 'G' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct plan plan = { .reps = 21, .passes = 64, .cycles = 2, .length = 16 << 20,
			     .setup_length = 1ULL << 30, .storm_ms = 1000 };
	struct bench b = { .seed = (uint64_t)time(NULL) * 2654435761ULL };
	static struct row rows[EXOTIC_KIND_MAX * EXOTIC_MAP_MAX];
	const char *profile = NULL, *json_file = NULL, *targets_of = NULL;
	char detected[64], why[256] = "", kernel[128];
	bool json = false, compare = false, tiny = false, reps_given = false;
	uint32_t kinds = 0, methods = 0;
	struct exotic_expect *table = NULL;
	struct run_info ri;
	struct utsname u;
	size_t n = 0;
	FILE *jf = NULL;
	int c, bad, ret, status = 0;

	while ((c = getopt_long(argc, argv, "s:r:p:c:k:m:w:vh", opts, NULL)) != -1) {
		bad = 0;
		switch (c) {
		case 's': bad = opt_length("size", optarg, &plan.length); break;
		case 'S': bad = opt_length("setup", optarg, &plan.setup_length); break;
		case 'r':
			bad = opt_u32("reps", optarg, 1, BENCH_MAX_REPS, &plan.reps);
			reps_given = true;
			break;
		case 'p': bad = opt_u32("passes", optarg, 1, 1000, &plan.passes); break;
		case 'c': bad = opt_u32("cycles", optarg, 1, 1000, &plan.cycles); break;
		case 'T': bad = opt_u32("storm-ms", optarg, 50, 600000, &plan.storm_ms); break;
		case 'k': bad = parse_list("kind", optarg, exotic_kind_from_name, &kinds); break;
		case 'm': bad = parse_list("method", optarg, exotic_method_from_name, &methods); break;
		case 'w':
			bad = parse_list("workload", optarg, workload_from_name, &plan.workloads);
			break;
		case 't': tiny = true; break;
		case 'A': plan.thp = ANON_THP_DEFAULT; break;
		case 'P': profile = optarg; break;
		case 'j': json = true; break;
		case 'J': json_file = optarg; break;
		case 'C': compare = true; break;
		case 'G': targets_of = optarg; break;
		case 'v': plan.verbose = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
		if (bad)
			return 2;
	}
	if (compare)
		return cli_compare("exotic-bench", "--compare", argc, argv, bench_compare);
	if (targets_of)
		return optind < argc ? usage_error(argv[optind]) :
				       bench_targets_file(targets_of, stdout, stderr);
	if (optind < argc)
		return usage_error(argv[optind]);
	if (json && json_file) {
		fprintf(stderr, "exotic-bench: --json and --json-file: choose one\n");
		return 2;
	}
	if (tiny) {
		plan.length = plan.setup_length = 2 << 20;
		plan.passes = plan.cycles = 1;
		if (!reps_given)
			plan.reps = 1;
		plan.storm_ms = 200;
	}
	if (!plan.workloads)
		plan.workloads = (1U << WL_MAX) - 1;
	if (plan.setup_length < plan.length)
		plan.setup_length = plan.length;

	ret = bench_open(&b);
	if (ret) {
		fprintf(stderr, "exotic-bench: %s\n", b.err);
		bench_close(&b);
		return 3;
	}
	if (!plan.verbose && !getenv("EXOTIC_LOG"))
		exotic_set_log_priority(b.ctx, LOG_CRIT);
	if (!profile) {
		ret = exotic_expect_detect(b.ctx, detected, sizeof(detected), why, sizeof(why));
		if (ret) {
			fprintf(stderr, "exotic-bench: no expectation table for this kernel: %s\n", why);
			status = 3;
			goto out;
		}
		profile = detected;
	} else {
		const struct exotic_profile *pr = exotic_profile_lookup(profile);

		if (pr)
			profile = pr->table;
		snprintf(why, sizeof(why), "forced with --profile");
	}
	ret = exotic_expect_builtin(b.ctx, profile, &table);
	if (ret) {
		fprintf(stderr, "exotic-bench: no built-in table '%s'\n", profile);
		status = 2;
		goto out;
	}
	plan.table = table;
	ret = bench_calibrate(&b, &plan);
	if (ret) {
		fprintf(stderr, "exotic-bench: calibration: %s\n", b.err);
		status = 3;
		goto out;
	}
	if (json_file) {
		jf = fopen(json_file, "w");
		if (!jf) {
			fprintf(stderr, "exotic-bench: %s: %s\n", json_file, strerror(errno));
			status = 2;
			goto out;
		}
	}

	for (uint32_t k = 1; k <= EXOTIC_KIND_MAX; k++)
	for (uint32_t m = 1; m <= EXOTIC_MAP_MAX; m++) {
		struct row *r = &rows[n];

		if ((kinds && !(kinds & (1U << k))) || (methods && !(methods & (1U << m))))
			continue;
		n++;
		r->kind = k;
		r->method = m;
		if (bench_row_prepare(&b, &plan, r))
			status = row_failed(r);
		else if (plan.verbose && strcmp(r->status, "ok"))
			fprintf(stderr, "exotic-bench: %s %s skipped: %s\n", exotic_kind_name(k),
				exotic_method_name(m), r->why);
	}
	/* every row's repetition r before any row's r + 1: a slow spell of the
	 * machine falls on a few samples of each row, not on one row's all */
	for (unsigned int rep = 0; rep < plan.reps; rep++)
		for (size_t i = 0; i < n; i++)
			if (!strcmp(rows[i].status, "ok") && bench_rep(&b, &plan, &rows[i], rep))
				status = row_failed(&rows[i]);

	uname(&u);
	snprintf(kernel, sizeof(kernel), "%s", u.release);
	ri = (struct run_info){
		.kernel = kernel, .profile = profile, .profile_why = why[0] ? why : "",
		.reps = plan.reps, .passes = plan.passes, .cycles = plan.cycles,
		.storm_ms = plan.storm_ms, .workloads = plan.workloads,
		.length = plan.length, .setup_asked = plan.setup_length, .thp = plan.thp,
		.sys_4k = b.sys_4k, .sys_2m = b.sys_2m,
	};
	if (json) {
		report_json(stdout, &ri, rows, n);
	} else {
		report_table(stdout, &ri, rows, n);
		print_targets(&ri, rows, n);
	}
	if (jf) {
		report_json(jf, &ri, rows, n);
		if (fclose(jf)) {
			fprintf(stderr, "exotic-bench: %s: %s\n", json_file, strerror(errno));
			status = 2;
		}
	}
out:
	exotic_expect_free(table);
	bench_close(&b);
	return status;
}
