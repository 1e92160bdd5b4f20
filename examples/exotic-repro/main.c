// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * exotic-repro: named reproducers of publicly reported bugs with exotic
 * memory behind KVM.
 *
 *   exotic-repro list [--json]
 *   exotic-repro run NAME... | --all  [--profile P] [--json] [--allow-kmsg]
 *                                     [--allow-crash]
 *   exotic-repro --list-profiles
 *
 * Each reproducer is one scenario (kind, method, KVM path, event) whose
 * expected outcome on each kernel profile is in the expectation tables.
 * Those expected to make the kernel WARN or oops are skipped by --all
 * unless --allow-kmsg: the kernel prints such reports once per boot and the
 * test VM's console oracle fails any run that shows one, so make matrix
 * runs each of them alone in a fresh boot.  Those whose outcome is "crash"
 * (measured to stop the kernel) are skipped, named or not, unless
 * --allow-crash.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "exotic/profile.h"
#include "exotic/exotic.h"
#include "cli.h"

#define SCHEMA "exotic-repro/1"

static void usage(FILE *f)
{
	fprintf(f,
"usage: exotic-repro list [--json]\n"
"       exotic-repro list --fresh-boot [--profile P]   names of the reproducers\n"
"                   expected to make the kernel WARN or oops, with the outcome\n"
"       exotic-repro run NAME... | --all [options]\n"
"       exotic-repro --list-profiles   the registry's profiles, marking this\n"
"                   kernel's\n"
"  --profile NAME   judge against this profile's expectation table (default:\n"
"                   the running kernel's): a profile of the registry,\n"
"                   kernels/profiles.tsv (--list-profiles), or a table's name\n"
"  --expect FILE    read the table from FILE\n"
"  --json           JSON (docs/matrix-schema.md) instead of text\n"
"  --json-file FILE with run: print text and write the JSON to FILE\n"
"  --allow-kmsg     with --all, also run reproducers expected to make the\n"
"                   kernel WARN or oops (once per boot: use a fresh VM)\n"
"  --allow-crash    also run reproducers whose outcome is 'crash', measured\n"
"                   to stop the kernel (skipped by default, even when named)\n"
"  --timeout S      kill a scenario that takes longer (default 120 s):\n"
"                   it is reported as 'hang'\n"
"  --seed N         stamp seed\n"
"exit status: 0 every reproducer as expected, 1 an UNEXPECTED one, 2 usage,\n"
"3 no KVM or driver to run on\n");
}

static int cmd_list(struct exotic_ctx *ctx, bool json)
{
	const char *const *profiles = exotic_expect_profiles();
	struct exotic_expect *tables[32] = { 0 };
	int n = 0, ret = 0;

	for (; profiles[n] && n < 32; n++) {
		ret = exotic_expect_builtin(ctx, profiles[n], &tables[n]);
		if (ret)
			goto out;
	}
	if (json)
		printf("{\n  \"schema\": \"%s\",\n  \"tool\": \"exotic-repro\",\n  \"rows\": [", SCHEMA);
	for (size_t i = 0; i < exotic_repro_count(); i++) {
		const struct exotic_repro *r = exotic_repro_at(i);
		char scn[160];

		exotic_repro_describe(r, scn, sizeof(scn));
		if (json) {
			printf("%s\n    {", i ? "," : "");
			exotic_repro_json_fields(stdout, r);
			printf(",\n     \"expected\": {");
		} else {
			printf("%s\n  %s\n  source:   %s\n  kernels:  %s\n  scenario: %s\n",
			       r->name, r->title, r->source, r->kernels, scn);
		}
		for (int p = 0; p < n; p++) {
			const struct exotic_expect_entry *x =
				exotic_expect_lookup_repro(tables[p], r->name);

			if (json) {
				printf("%s\"%s\": ", p ? ", " : "", profiles[p]);
				if (x)
					printf("{\"before\": \"%s\", \"after\": \"%s\"}",
					       exotic_outcome_name(x->before),
					       exotic_outcome_name(x->after));
				else
					printf("null");
			} else {
				printf("  %-20s %s/%s%s\n", profiles[p],
				       x ? exotic_outcome_name(x->before) : "?",
				       x ? exotic_outcome_name(x->after) : "?",
				       exotic_expect_dangerous(x) ? "  (kernel report: fresh boot)" : "");
			}
		}
		if (json)
			printf("}}");
		else
			printf("\n");
	}
	if (json)
		printf("\n  ]\n}\n");
out:
	for (int p = 0; p < n; p++)
		exotic_expect_free(tables[p]);
	return ret ? 2 : 0;
}

/* "NAME BEFORE/AFTER" for each reproducer that must run in a fresh boot. */
static int cmd_fresh(struct exotic_ctx *ctx, const char *profile,
		     const char *expect_file)
{
	struct exotic_runner_config cfg = {
		.tool = "exotic-repro", .schema = SCHEMA, .profile = profile,
		.expect_file = expect_file, .dry = true,
	};
	struct exotic_runner *run;
	int ret;

	ret = exotic_runner_new(ctx, &cfg, &run);
	if (ret)
		return ret == -ENOENT ? 3 : 2;
	for (size_t i = 0; i < exotic_repro_count(); i++) {
		const struct exotic_repro *r = exotic_repro_at(i);
		const struct exotic_expect_entry *x =
			exotic_expect_lookup_repro(exotic_runner_table(run), r->name);

		if (exotic_expect_dangerous(x))
			printf("%s %s/%s\n", r->name, exotic_outcome_name(x->before),
			       exotic_outcome_name(x->after));
	}
	exotic_runner_free(run);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' },
		RUNNER_CLI_OPTIONS,
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct runner_cli o;
	const char *cmd;
	bool all = false;
	const struct exotic_repro *sel[64];
	size_t nsel = 0;
	struct exotic_ctx *ctx = NULL;
	struct exotic_runner_config cfg;
	struct exotic_runner *run = NULL;
	FILE *jf = NULL;	/* where the JSON goes, if anywhere */
	const char *why, *profile;
	unsigned int n_ok, n_bad, n_skip;
	int c, ret, status = 0;

	runner_cli_init(&o);
	while ((c = runner_cli_next("exotic-repro", argc, argv, "h", opts, &o)) != -1) {
		switch (c) {
		case -2: return 2;
		case 'a': all = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	cmd = argv[optind++];
	if (!strcmp(cmd, "list")) {
		if (o.json_file) {
			fprintf(stderr, "exotic-repro: --json-file goes with run\n");
			return 2;
		}
		if (optind < argc || all) {
			fprintf(stderr, "exotic-repro: list takes no names\n");
			return 2;
		}
		if (exotic_new(&ctx))
			return 3;
		status = o.fresh ? cmd_fresh(ctx, o.profile, o.expect_file) : cmd_list(ctx, o.json);
		exotic_unref(ctx);
		return status;
	}
	if (strcmp(cmd, "run")) {
		fprintf(stderr, "exotic-repro: unknown command '%s' (list, run)\n", cmd);
		return 2;
	}
	if (all == (optind < argc)) {
		fprintf(stderr, "exotic-repro: run takes NAME... or --all\n");
		return 2;
	}
	if (all) {
		for (size_t i = 0; i < exotic_repro_count() && nsel < 64; i++)
			sel[nsel++] = exotic_repro_at(i);
	} else {
		for (; optind < argc; optind++) {
			const struct exotic_repro *r = exotic_repro_find(argv[optind]);

			if (!r) {
				fprintf(stderr, "exotic-repro: no reproducer '%s' (exotic-repro list)\n",
					argv[optind]);
				return 2;
			}
			if (nsel == sizeof(sel) / sizeof(sel[0]))
				return 2;
			sel[nsel++] = r;
		}
	}

	/* named on the command line: run even if the kernel will report */
	cfg = (struct exotic_runner_config){
		.tool = "exotic-repro", .schema = SCHEMA, .allow_kmsg = !all,
	};
	status = runner_cli_open(&o, &cfg, &ctx, &jf, &run);
	if (status)
		goto out;
	profile = exotic_runner_profile(run);
	status = runner_cli_start("exotic-repro", run, true);
	if (status)
		goto out;
	if (!o.json) {
		why = exotic_runner_why(run);
		printf("exotic-repro: kernel %s, profile %s%s%s%s, seed %llu\n",
		       exotic_runner_kernel(run), profile, why[0] ? " (" : "", why,
		       why[0] ? ")" : "", (unsigned long long)o.seed);
	}
	fflush(stdout);

	for (size_t i = 0; i < nsel; i++) {
		const struct exotic_repro *r = sel[i];
		const struct exotic_expect_entry *x =
			exotic_expect_lookup_repro(exotic_runner_table(run), r->name);
		struct exotic_runner_row row;
		const struct exotic_scenario_result *res = &row.result;

		if (x && !o.json && (!exotic_expect_dangerous(x) || cfg.allow_kmsg)) {
			printf("%s: expecting %s/%s%s\n", r->name, exotic_outcome_name(x->before),
			       exotic_outcome_name(x->after),
			       exotic_expect_dangerous(x) ? " (the kernel will log a report; this process may die)" : "");
			fflush(stdout);
		}
		ret = exotic_runner_repro(run, r, &row);
		if (ret == -ENOENT) {
			fprintf(stderr, "exotic-repro: %s has no expectation for %s\n", profile, r->name);
			status = 1;
			continue;
		}
		if (ret) {
			fprintf(stderr, "exotic-repro: %s: %s\n", r->name, exotic_strerror(ret));
			status = 3;
			break;
		}
		if (!strcmp(row.verdict, "UNEXPECTED"))
			status = 1;
		if (!o.json) {
			char exp[48], got[48] = "-";

			snprintf(exp, sizeof(exp), "%s/%s", exotic_outcome_name(x->before),
				 exotic_outcome_name(x->after));
			if (row.ran)
				snprintf(got, sizeof(got), "%s/%s", exotic_outcome_name(res->before),
					 exotic_outcome_name(res->after));
			printf("%-26s expected %-19s got %-19s %s\n", r->name, exp, got, row.verdict);
			printf("    why:      %s\n", x->reason);
			if (res->detail[0])
				printf("    saw:      %s\n", res->detail);
			if (res->kmsg[0])
				printf("    kmsg:     %s\n", res->kmsg);
		}
		fflush(stdout);
	}
	exotic_runner_finish(run);
	exotic_runner_counts(run, NULL, &n_ok, &n_bad, &n_skip);
	if (!o.json)
		printf("exotic-repro: %s: %zu reproducers, %u ok, %u UNEXPECTED, %u skipped\n",
		       profile, nsel, n_ok, n_bad, n_skip);
out:
	return runner_cli_close("exotic-repro", &o, ctx, jf, run, status);
}
