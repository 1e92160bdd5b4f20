// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * exotic-repro: named reproducers of publicly reported bugs with exotic
 * memory behind KVM.
 *
 *   exotic-repro list [--json]
 *   exotic-repro run NAME... | --all  [--profile P] [--json] [--allow-kmsg]
 *   exotic-repro --list-profiles
 *
 * Each reproducer is one scenario (kind, method, KVM path, event) whose
 * expected outcome on each kernel profile is in the expectation tables.
 * Those expected to make the kernel WARN or oops are skipped by --all
 * unless --allow-kmsg: the kernel prints such reports once per boot and the
 * test VM's console oracle fails any run that shows one, so make matrix
 * runs each of them alone in a fresh boot.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "exotic/profile.h"
#include "repro.h"

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
"  --timeout S      kill a scenario that takes longer (default 120 s):\n"
"                   it is reported as 'hang'\n"
"  --seed N         stamp seed\n"
"exit status: 0 every reproducer as expected, 1 an UNEXPECTED one, 2 usage,\n"
"3 no KVM or driver to run on\n");
}

static void json_str(FILE *f, const char *s)
{
	if (!s) {
		fputs("null", f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static bool dangerous(const struct exotic_expect_entry *e)
{
	return e && (e->before == EXOTIC_OUT_WARN || e->before == EXOTIC_OUT_KMSG ||
		     e->after == EXOTIC_OUT_WARN || e->after == EXOTIC_OUT_KMSG);
}

static void scenario_str(const struct repro *r, char *buf, size_t len)
{
	snprintf(buf, len, "%s order %u, %llu bytes, %s, path %s, event %s%s%s%s",
		 exotic_kind_name(r->kind), r->order, (unsigned long long)r->length,
		 exotic_method_name(r->method), exotic_path_name(r->path),
		 exotic_ev_name(r->event),
		 r->alloc_flags & EXOTIC_ALLOC_READONLY ? ", read-only" : "",
		 r->scn_flags & EXOTIC_SCN_GUEST_WRITE ? ", guest writes" : "",
		 r->scn_flags & EXOTIC_SCN_LOOKUP_RACE ? ", lookup race staged" : "");
}

static void json_repro_head(FILE *f, const struct repro *r, bool first)
{
	char scn[160];

	scenario_str(r, scn, sizeof(scn));
	fprintf(f, "%s\n    {\"name\": ", first ? "" : ",");
	json_str(f, r->name);
	fprintf(f, ", \"title\": ");
	json_str(f, r->title);
	fprintf(f, ",\n     \"source\": ");
	json_str(f, r->source);
	fprintf(f, ",\n     \"kernels\": ");
	json_str(f, r->kernels);
	fprintf(f, ",\n     \"kind\": \"%s\", \"method\": \"%s\", \"path\": \"%s\", \"event\": \"%s\", \"order\": %u, \"length\": %llu, \"scenario\": ",
		exotic_kind_name(r->kind), exotic_method_name(r->method),
		exotic_path_name(r->path), exotic_ev_name(r->event), r->order,
		(unsigned long long)r->length);
	json_str(f, scn);
}

static int cmd_list(struct exotic_ctx *ctx, bool json)
{
	const char *const *profiles = exotic_expect_profiles();
	struct exotic_expect *tables[8] = { 0 };
	int n = 0, ret = 0;

	for (; profiles[n] && n < 8; n++) {
		ret = exotic_expect_builtin(ctx, profiles[n], &tables[n]);
		if (ret)
			goto out;
	}
	if (json)
		printf("{\n  \"schema\": \"%s\",\n  \"tool\": \"exotic-repro\",\n  \"rows\": [", SCHEMA);
	for (size_t i = 0; i < repro_count; i++) {
		const struct repro *r = &repro_catalog[i];
		char scn[160];

		scenario_str(r, scn, sizeof(scn));
		if (json) {
			json_repro_head(stdout, r, i == 0);
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
				       dangerous(x) ? "  (kernel report: fresh boot)" : "");
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
	struct exotic_expect *table = NULL;
	char detected[64];
	int ret;

	if (!profile && !expect_file) {
		if (exotic_expect_detect(ctx, detected, sizeof(detected), NULL, 0))
			return 3;
		profile = detected;
	}
	ret = expect_file ? exotic_expect_load(ctx, expect_file, &table) :
			    exotic_expect_builtin(ctx, profile, &table);
	if (ret)
		return 2;
	for (size_t i = 0; i < repro_count; i++) {
		const struct exotic_expect_entry *x =
			exotic_expect_lookup_repro(table, repro_catalog[i].name);

		if (dangerous(x))
			printf("%s %s/%s\n", repro_catalog[i].name,
			       exotic_outcome_name(x->before), exotic_outcome_name(x->after));
	}
	exotic_expect_free(table);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "profile", required_argument, NULL, 'p' },
		{ "expect", required_argument, NULL, 'e' },
		{ "json", no_argument, NULL, 'j' },
		{ "json-file", required_argument, NULL, 'J' },
		{ "list-profiles", no_argument, NULL, 'L' },
		{ "allow-kmsg", no_argument, NULL, 'k' },
		{ "seed", required_argument, NULL, 's' },
		{ "timeout", required_argument, NULL, 't' },
		{ "fresh-boot", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *profile = NULL, *expect_file = NULL, *json_file = NULL, *cmd;
	bool all = false, json = false, allow_kmsg = false, first = true, fresh = false;
	uint64_t seed = (uint64_t)time(NULL) * 2654435761ULL;
	unsigned int timeout_s = 120;
	const struct repro *sel[64];
	size_t nsel = 0;
	struct exotic_ctx *ctx = NULL;
	struct exotic_device *dev = NULL;
	struct exotic_expect *table = NULL;
	struct exotic_vm *keep = NULL;
	FILE *jf = NULL;	/* where the JSON goes, if anywhere */
	char detected[64], why[256] = "";
	unsigned int n_ok = 0, n_bad = 0, n_skip = 0;
	struct utsname u;
	int c, ret, status = 0;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'a': all = true; break;
		case 'p': profile = optarg; break;
		case 'e': expect_file = optarg; break;
		case 'j': json = true; break;
		case 'J': json_file = optarg; break;
		case 'L':
			exotic_profile_print_list(stdout);
			return 0;
		case 'k': allow_kmsg = true; break;
		case 'f': fresh = true; break;
		case 't': {
			char *end;
			unsigned long v;

			errno = 0;
			v = strtoul(optarg, &end, 0);
			if (errno || *end || end == optarg || !v || v > 86400) {
				fprintf(stderr, "exotic-repro: --timeout takes seconds (1..86400), not '%s'\n", optarg);
				return 2;
			}
			timeout_s = (unsigned int)v;
			break;
		}
		case 's': {
			char *end;

			errno = 0;
			seed = strtoull(optarg, &end, 0);
			if (errno || *end || end == optarg) {
				fprintf(stderr, "exotic-repro: --seed takes a number, not '%s'\n", optarg);
				return 2;
			}
			break;
		}
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	if (json && json_file) {
		fprintf(stderr, "exotic-repro: --json and --json-file: choose one\n");
		return 2;
	}
	if (profile && !expect_file) {
		/* a profile of the registry, or a table by its own name */
		const struct exotic_profile *pp = exotic_profile_lookup(profile);

		if (!pp) {
			fprintf(stderr, "exotic-repro: no profile or table '%s' (exotic-repro --list-profiles)\n",
				profile);
			return 2;
		}
		profile = pp->table;
	}
	cmd = argv[optind++];
	if (!strcmp(cmd, "list")) {
		if (json_file) {
			fprintf(stderr, "exotic-repro: --json-file goes with run\n");
			return 2;
		}
		if (optind < argc || all) {
			fprintf(stderr, "exotic-repro: list takes no names\n");
			return 2;
		}
		if (exotic_new(&ctx))
			return 3;
		status = fresh ? cmd_fresh(ctx, profile, expect_file) : cmd_list(ctx, json);
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
		for (size_t i = 0; i < repro_count; i++)
			sel[nsel++] = &repro_catalog[i];
	} else {
		for (; optind < argc; optind++) {
			const struct repro *r = repro_find(argv[optind]);

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

	ret = exotic_new(&ctx);
	if (ret) {
		fprintf(stderr, "exotic-repro: %s\n", exotic_strerror(ret));
		return 3;
	}
	if (!profile && !expect_file) {
		if (exotic_expect_detect(ctx, detected, sizeof(detected), why, sizeof(why))) {
			status = 3;
			goto out;
		}
		profile = detected;
	}
	ret = expect_file ? exotic_expect_load(ctx, expect_file, &table) :
			    exotic_expect_builtin(ctx, profile, &table);
	if (ret) {
		status = 2;
		goto out;
	}
	profile = exotic_expect_profile(table);
	ret = exotic_device_open(ctx, &dev);
	if (!ret)
		ret = exotic_kvm_available(ctx);
	/* one VM for the whole run, so KVM stays enabled (see exotic-matrix) */
	if (!ret)
		ret = exotic_vm_new(ctx, &keep);
	if (ret) {
		fprintf(stderr, "exotic-repro: %s\n", exotic_strerror(ret));
		status = 3;
		goto out;
	}
	/* from here on, refusals are outcomes, not errors: quiet the log */
	if (!getenv("EXOTIC_LOG"))
		exotic_set_log_priority(ctx, LOG_CRIT);
	if (uname(&u))
		strcpy(u.release, "?");
	if (json) {
		jf = stdout;
	} else if (json_file) {
		jf = fopen(json_file, "w");
		if (!jf) {
			fprintf(stderr, "exotic-repro: %s: %s\n", json_file, strerror(errno));
			status = 2;
			goto out;
		}
	}
	if (jf) {
		fprintf(jf, "{\n  \"schema\": \"%s\",\n  \"tool\": \"exotic-repro\",\n  \"kernel\": ", SCHEMA);
		json_str(jf, u.release);
		fprintf(jf, ",\n  \"profile\": ");
		json_str(jf, profile);
		fprintf(jf, ",\n  \"profile_why\": ");
		json_str(jf, why[0] ? why : NULL);
		fprintf(jf, ",\n  \"seed\": %llu,\n  \"ran\": true,\n  \"rows\": [", (unsigned long long)seed);
	}
	if (!json) {
		printf("exotic-repro: kernel %s, profile %s%s%s%s, seed %llu\n", u.release, profile,
		       why[0] ? " (" : "", why, why[0] ? ")" : "", (unsigned long long)seed);
	}
	fflush(stdout);

	for (size_t i = 0; i < nsel; i++) {
		const struct repro *r = sel[i];
		const struct exotic_expect_entry *x = exotic_expect_lookup_repro(table, r->name);
		struct exotic_scenario s;
		struct exotic_scenario_result res = { 0 };
		const char *verdict;
		bool ran = false;

		if (!x) {
			fprintf(stderr, "exotic-repro: %s has no expectation for %s\n", profile, r->name);
			status = 1;
			n_bad++;
			continue;
		}
		if (dangerous(x) && all && !allow_kmsg) {
			verdict = "skip";
			snprintf(res.detail, sizeof(res.detail),
				 "expected to make the kernel log a report: run 'exotic-repro run %s' alone in a fresh boot",
				 r->name);
			n_skip++;
		} else {
			if (!json) {
				printf("%s: expecting %s/%s%s\n", r->name, exotic_outcome_name(x->before),
				       exotic_outcome_name(x->after),
				       dangerous(x) ? " (the kernel will log a report; this process may die)" : "");
				fflush(stdout);
			}
			exotic_scenario_init(&s, r->kind, r->method, r->path, r->event, seed);
			s.default_order = 0;
			s.order = r->order;
			s.length = r->length;
			s.alloc_flags = repro_alloc_flags(r);
			s.flags = r->scn_flags;
			s.prot = r->prot;
			ret = exotic_scenario_run_isolated(ctx, &s, &res, timeout_s);
			if (ret) {
				fprintf(stderr, "exotic-repro: %s: %s\n", r->name, exotic_strerror(ret));
				status = 3;
				break;
			}
			if (res.skipped) {
				verdict = "skip";
				n_skip++;
			} else if (res.before == x->before && res.after == x->after) {
				ran = true;
				verdict = "ok";
				n_ok++;
			} else {
				ran = true;
				verdict = "UNEXPECTED";
				n_bad++;
				status = 1;
			}
		}
		if (jf) {
			json_repro_head(jf, r, first);
			fprintf(jf, ",\n     \"expected\": {\"before\": \"%s\", \"after\": \"%s\", \"reason\": ",
				exotic_outcome_name(x->before), exotic_outcome_name(x->after));
			json_str(jf, x->reason);
			fprintf(jf, "},\n     \"got\": ");
			if (ran)
				fprintf(jf, "{\"before\": \"%s\", \"after\": \"%s\"}",
					exotic_outcome_name(res.before), exotic_outcome_name(res.after));
			else
				fprintf(jf, "null");
			fprintf(jf, ", \"verdict\": \"%s\",\n     \"detail\": ", verdict);
			json_str(jf, res.detail[0] ? res.detail : NULL);
			fprintf(jf, ", \"kmsg\": ");
			json_str(jf, res.kmsg[0] ? res.kmsg : NULL);
			fprintf(jf, ", \"refcount_anomalies\": %llu, \"ms\": %llu}",
				(unsigned long long)res.refcount_anomalies, (unsigned long long)res.ms);
			fflush(jf);
			first = false;
		}
		if (!json) {
			char exp[48], got[48] = "-";

			snprintf(exp, sizeof(exp), "%s/%s", exotic_outcome_name(x->before),
				 exotic_outcome_name(x->after));
			if (ran)
				snprintf(got, sizeof(got), "%s/%s", exotic_outcome_name(res.before),
					 exotic_outcome_name(res.after));
			printf("%-26s expected %-19s got %-19s %s\n", r->name, exp, got, verdict);
			printf("    why:      %s\n", x->reason);
			if (res.detail[0])
				printf("    saw:      %s\n", res.detail);
			if (res.kmsg[0])
				printf("    kmsg:     %s\n", res.kmsg);
		}
		fflush(stdout);
	}
	if (jf) {
		fprintf(jf, "\n  ],\n  \"summary\": {\"rows\": %zu, \"ok\": %u, \"unexpected\": %u, \"skipped\": %u}\n}\n",
			nsel, n_ok, n_bad, n_skip);
		if (jf != stdout && fclose(jf)) {
			fprintf(stderr, "exotic-repro: %s: %s\n", json_file, strerror(errno));
			status = 2;
		}
		jf = NULL;
	}
	if (!json)
		printf("exotic-repro: %s: %zu reproducers, %u ok, %u UNEXPECTED, %u skipped\n",
		       profile, nsel, n_ok, n_bad, n_skip);
out:
	if (jf && jf != stdout)
		fclose(jf);
	exotic_vm_unref(keep);
	exotic_expect_free(table);
	exotic_device_unref(dev);
	exotic_unref(ctx);
	return status;
}
