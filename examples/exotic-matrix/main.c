// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * exotic-matrix: on this kernel, which kinds of exotic memory can a guest
 * use, through which KVM paths, and what happens when the owner revokes,
 * invalidates or migrates them?  Runs every kind × method × path × event
 * cell, prints what happened next to the expectation table of the running
 * kernel profile, and exits non-zero on any UNEXPECTED row.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "exotic/exotic.h"
#include "exotic/expect.h"
#include "exotic/profile.h"
#include "exotic/runner.h"
#include "cli.h"
#include "diff.h"

#define SCHEMA "exotic-matrix/1"

struct filter {
	uint32_t kinds, methods, paths, events;	/* bitmasks, 0 = all */
};

static void usage(FILE *f)
{
	fprintf(f,
"usage: exotic-matrix [options]\n"
"       exotic-matrix --diff A.json B.json\n"
"                   what changed between two runs (two --json documents of\n"
"                   exotic-matrix, or two of exotic-repro run): the cells whose\n"
"                   measured outcome differs, the cells in one only; exit\n"
"                   status 0 identical, 1 different, 2 unreadable input\n"
"  --profile NAME   judge against this profile's expectation table (default:\n"
"                   the running kernel's): a profile of the registry,\n"
"                   kernels/profiles.tsv (--list-profiles), or a table's name\n"
"  --list-profiles  print the registry's profiles, marking this kernel's\n"
"  --expect FILE    read the table from FILE instead of the built-in one\n"
"  --only K=V[,V]   run only cells with kind, method, path or event V\n"
"                   (repeatable; e.g. --only kind=noncompound --only path=npf)\n"
"  --json           one JSON document (docs/matrix-schema.md) instead of a table\n"
"  --json-file FILE print the table and write the JSON document to FILE\n"
"  --list           print the cells and their expectations, run nothing\n"
"  --list --fresh-boot  only the cells expected to make the kernel WARN or\n"
"                   oops, as KIND METHOD PATH EVENT BEFORE/AFTER lines: each\n"
"                   needs a boot of its own (scripts/matrix runs them so)\n"
"  --markdown       after the table, a kind x method by path grid in Markdown\n"
"                   (the first access, then the second after each event)\n"
"  --allow-kmsg     also run cells expected to make the kernel WARN or oops\n"
"                   (skipped by default: see exotic-repro)\n"
"  --allow-crash    also run cells whose table outcome is 'crash', measured to\n"
"                   stop the kernel (skipped by default, with the reason):\n"
"                   only in a VM of its own, that the cell will kill\n"
"  --timeout S      kill a scenario that takes longer (default 120 s):\n"
"                   it is reported as 'hang'\n"
"  --seed N         stamp seed (default: from the clock, printed)\n"
"  -v, --verbose    print what each access saw\n"
"  -h, --help\n"
"exit status: 0 all rows as expected, 1 an UNEXPECTED row, 2 usage, 3 no KVM\n"
"or driver to run on\n");
}

static int parse_only(struct filter *f, const char *arg)
{
	char key[16], *vals, *tok, *save = NULL;
	const char *eq = strchr(arg, '=');
	uint32_t *mask;
	int (*from)(const char *);

	if (!eq || eq == arg || (size_t)(eq - arg) >= sizeof(key)) {
		fprintf(stderr, "exotic-matrix: --only takes KEY=VALUE[,VALUE], not '%s'\n", arg);
		return -EINVAL;
	}
	memcpy(key, arg, (size_t)(eq - arg));
	key[eq - arg] = '\0';
	if (!strcmp(key, "kind")) {
		mask = &f->kinds;
		from = exotic_kind_from_name;
	} else if (!strcmp(key, "method")) {
		mask = &f->methods;
		from = exotic_method_from_name;
	} else if (!strcmp(key, "path")) {
		mask = &f->paths;
		from = exotic_path_from_name;
	} else if (!strcmp(key, "event")) {
		mask = &f->events;
		from = exotic_event_from_name;
	} else {
		fprintf(stderr, "exotic-matrix: --only: unknown key '%s' (kind, method, path, event)\n", key);
		return -EINVAL;
	}
	vals = strdup(eq + 1);
	if (!vals)
		return -ENOMEM;
	for (tok = strtok_r(vals, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int v = from(tok);

		if (v < 0 || (mask == &f->events &&
			      !(exotic_event_scope((unsigned int)v) & EXOTIC_EV_IN_MATRIX))) {
			fprintf(stderr, "exotic-matrix: --only: unknown %s '%s'\n", key, tok);
			free(vals);
			return -EINVAL;
		}
		*mask |= 1U << v;
	}
	free(vals);
	return 0;
}

static bool wanted(const struct filter *f, uint32_t k, uint32_t m, uint32_t p,
		   uint32_t e)
{
	return exotic_event_scope(e) & EXOTIC_EV_IN_MATRIX &&
	       (!f->kinds || f->kinds & (1U << k)) &&
	       (!f->methods || f->methods & (1U << m)) &&
	       (!f->paths || f->paths & (1U << p)) &&
	       (!f->events || f->events & (1U << e));
}

/* what the Markdown grid shows for one cell */
struct cell {
	bool set, bad;
	uint32_t before, after;
};

static void print_grid(struct cell g[][EXOTIC_MAP_MAX + 1][EXOTIC_PATH_MAX + 1][EXOTIC_EV_MAX + 1],
		       const char *profile)
{
	static const char *const ev_short[EXOTIC_EV_MAX + 1] = {
		[EXOTIC_EV_INVALIDATE] = "inv", [EXOTIC_EV_MIGRATE] = "mig", [EXOTIC_EV_REVOKE] = "rev",
	};

	static const char *const path_title[EXOTIC_PATH_MAX + 1] = {
		[EXOTIC_PATH_NPF] = "vCPU fault (`kvm_faultin_pfn`)",
		[EXOTIC_PATH_VMRUN] = "nested VMRUN (`kvm_vcpu_map`)",
		[EXOTIC_PATH_COPY] = "copy (`kvm_vcpu_read_guest`)",
		[EXOTIC_PATH_PVCLOCK] = "kvmclock (gfn-to-pfn cache)",
		[EXOTIC_PATH_STEAL_TIME] = "steal time (`record_steal_time`)",
		[EXOTIC_PATH_NESTED_TDP] = "L2 under nested paging (nested MMU)",
	};

	printf("\n<!-- exotic-matrix --markdown, profile %s -->\n", profile);
	printf("| kind | method |");
	for (uint32_t p = 1; p <= EXOTIC_PATH_MAX; p++)
		printf(" %s |", path_title[p] ? path_title[p] : exotic_path_name(p));
	printf("\n|---|---|");
	for (uint32_t p = 1; p <= EXOTIC_PATH_MAX; p++)
		printf("---|");
	printf("\n");
	for (uint32_t k = 1; k <= EXOTIC_KIND_MAX; k++)
	for (uint32_t m = 1; m <= EXOTIC_MAP_MAX; m++) {
		bool any = false;

		for (uint32_t p = 1; p <= EXOTIC_PATH_MAX; p++)
			any |= g[k][m][p][EXOTIC_EV_NONE].set;
		if (!any)
			continue;
		printf("| %s | %s |", exotic_kind_name(k), exotic_method_name(m));
		for (uint32_t p = 1; p <= EXOTIC_PATH_MAX; p++) {
			const struct cell *n = &g[k][m][p][EXOTIC_EV_NONE];

			if (!n->set) {
				printf(" (not run: a kernel report is expected) |");
				continue;
			}
			printf(" %s%s", exotic_outcome_name(n->before), n->bad ? " **UNEXPECTED**" : "");
			if (n->after != n->before && n->after != EXOTIC_OUT_NOT_RUN)
				printf("; again %s", exotic_outcome_name(n->after));
			for (uint32_t e = EXOTIC_EV_INVALIDATE; e <= EXOTIC_EV_MAX; e++) {
				const struct cell *c = &g[k][m][p][e];

				if (ev_short[e] && c->set && c->after != EXOTIC_OUT_NOT_RUN)
					printf("; %s %s%s", ev_short[e], exotic_outcome_name(c->after),
					       c->bad ? " **UNEXPECTED**" : "");
			}
			printf(" |");
		}
		printf("\n");
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		RUNNER_CLI_OPTIONS,
		{ "only", required_argument, NULL, 'o' },
		{ "list", no_argument, NULL, 'l' },
		{ "markdown", no_argument, NULL, 'm' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "diff", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *profile;
	struct runner_cli o;
	bool diff = false, list = false, verbose = false, md = false;
	static struct cell grid[EXOTIC_KIND_MAX + 1][EXOTIC_MAP_MAX + 1][EXOTIC_PATH_MAX + 1]
			       [EXOTIC_EV_MAX + 1];
	struct filter filt = { 0 };
	struct exotic_ctx *ctx = NULL;
	struct exotic_runner_config cfg;
	struct exotic_runner *run = NULL;
	const struct exotic_expect *table;
	FILE *jf = NULL;	/* where the JSON goes, if anywhere */
	const char *why;
	bool tty, hl;
	int c, ret, status = 0;

	runner_cli_init(&o);
	while ((c = runner_cli_next("exotic-matrix", argc, argv, "vh", opts, &o)) != -1) {
		switch (c) {
		case -2: return 2;
		case 'o':
			if (parse_only(&filt, optarg))
				return 2;
			break;
		case 'd': diff = true; break;
		case 'l': list = true; break;
		case 'm': md = true; break;
		case 'v': verbose = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (diff)
		return cli_compare("exotic-matrix", "--diff", argc, argv, matrix_diff);
	if (optind < argc) {
		fprintf(stderr, "exotic-matrix: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if (o.fresh && (!list || o.json || o.json_file)) {
		fprintf(stderr, "exotic-matrix: --fresh-boot goes with --list, without JSON\n");
		return 2;
	}
	cfg = (struct exotic_runner_config){
		.tool = "exotic-matrix", .schema = SCHEMA, .dry = list || o.fresh,
	};
	status = runner_cli_open(&o, &cfg, &ctx, &jf, &run);
	if (status)
		goto out;
	table = exotic_runner_table(run);
	profile = exotic_runner_profile(run);
	if (o.fresh) {
		for (uint32_t k = 1; k <= EXOTIC_KIND_MAX; k++)
		for (uint32_t m = 1; m <= EXOTIC_MAP_MAX; m++)
		for (uint32_t p = 1; p <= EXOTIC_PATH_MAX; p++)
		for (uint32_t e = 1; e <= EXOTIC_EV_MAX; e++) {
			const struct exotic_expect_entry *x = exotic_expect_lookup(table, k, m, p, e);

			if (wanted(&filt, k, m, p, e) && exotic_expect_dangerous(x))
				printf("%s %s %s %s %s/%s\n", exotic_kind_name(k), exotic_method_name(m),
				       exotic_path_name(p), exotic_event_name(e),
				       exotic_outcome_name(x->before), exotic_outcome_name(x->after));
		}
		goto out;
	}
	status = runner_cli_start("exotic-matrix", run, !verbose);
	if (status)
		goto out;
	tty = isatty(STDOUT_FILENO);
	if (!o.json) {
		why = exotic_runner_why(run);
		printf("exotic-matrix: kernel %s, profile %s (%s%s%s), seed %llu\n",
		       exotic_runner_kernel(run), profile, exotic_runner_source(run),
		       why[0] ? ": " : "", why, (unsigned long long)o.seed);
		printf("%-11s %-6s %-5s %-10s  %-21s  %-21s  %s\n", "kind", "method", "path",
		       "event", "expected", "got", "verdict");
	}

	for (uint32_t k = 1; k <= EXOTIC_KIND_MAX; k++)
	for (uint32_t m = 1; m <= EXOTIC_MAP_MAX; m++)
	for (uint32_t p = 1; p <= EXOTIC_PATH_MAX; p++)
	for (uint32_t e = 1; e <= EXOTIC_EV_MAX; e++) {
		struct exotic_runner_row row;
		const struct exotic_scenario_result *r = &row.result;
		const struct exotic_expect_entry *x;
		char exp[48], got[48] = "-";

		if (!wanted(&filt, k, m, p, e))
			continue;
		ret = exotic_runner_cell(run, k, m, p, e, &row);
		if (ret == -ENOENT) {
			fprintf(stderr, "exotic-matrix: %s has no entry for %s %s %s %s\n", profile,
				exotic_kind_name(k), exotic_method_name(m), exotic_path_name(p),
				exotic_event_name(e));
			status = 1;
			continue;
		}
		if (ret) {
			fprintf(stderr, "exotic-matrix: %s %s %s %s: %s\n", exotic_kind_name(k),
				exotic_method_name(m), exotic_path_name(p), exotic_event_name(e),
				exotic_strerror(ret));
			status = 3;
			break;
		}
		x = row.expected;
		if (row.ran) {
			grid[k][m][p][e] = (struct cell){ .set = true, .before = r->before,
							 .after = r->after,
							 .bad = !strcmp(row.verdict, "UNEXPECTED") };
			snprintf(got, sizeof(got), "%s/%s", exotic_outcome_name(r->before),
				 exotic_outcome_name(r->after));
		}
		if (!strcmp(row.verdict, "UNEXPECTED"))
			status = 1;
		if (o.json)
			continue;
		snprintf(exp, sizeof(exp), "%s/%s", exotic_outcome_name(x->before),
			 exotic_outcome_name(x->after));
		hl = tty && !strcmp(row.verdict, "UNEXPECTED");
		printf("%-11s %-6s %-5s %-10s  %-21s  %-21s  %s%s%s\n", exotic_kind_name(k),
		       exotic_method_name(m), exotic_path_name(p), exotic_event_name(e), exp, got,
		       hl ? "\033[1;31m" : "", row.verdict, hl ? "\033[0m" : "");
		if (verbose || !strcmp(row.verdict, "UNEXPECTED")) {
			if (r->detail[0])
				printf("    saw: %s\n", r->detail);
			if (r->kmsg[0])
				printf("    kmsg: %s\n", r->kmsg);
			printf("    why: %s\n", x->reason);
		}
		fflush(stdout);
	}
	exotic_runner_finish(run);
	if (!o.json) {
		unsigned int n_rows, n_ok, n_bad, n_skip;

		exotic_runner_counts(run, &n_rows, &n_ok, &n_bad, &n_skip);
		printf("exotic-matrix: %s: %u rows, %u ok, %u UNEXPECTED, %u skipped\n", profile,
		       n_rows, n_ok, n_bad, n_skip);
		if (md && !list)
			print_grid(grid, profile);
	}
out:
	return runner_cli_close("exotic-matrix", &o, ctx, jf, run, status);
}
