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
#include <syslog.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "exotic/exotic.h"
#include "exotic/expect.h"

#define SCHEMA "exotic-matrix/1"

struct filter {
	uint32_t kinds, methods, paths, events;	/* bitmasks, 0 = all */
};

static void usage(FILE *f)
{
	fprintf(f,
"usage: exotic-matrix [options]\n"
"  --profile NAME   expectation table to judge against (default: detected):\n"
"                   stock-6.1, patched-6.1, patched-6.1-unsafe, lts-6.12,\n"
"                   upstream-7.3, upstream-7.3-unsafe, upstream-7.3-patched\n"
"  --expect FILE    read the table from FILE instead of the built-in one\n"
"  --only K=V[,V]   run only cells with kind, method, path or event V\n"
"                   (repeatable; e.g. --only kind=noncompound --only path=npf)\n"
"  --json           one JSON document (docs/matrix-schema.md) instead of a table\n"
"  --list           print the cells and their expectations, run nothing\n"
"  --markdown       after the table, a kind x method by path grid in Markdown\n"
"                   (the first access, then the second after each event)\n"
"  --allow-kmsg     also run cells expected to make the kernel WARN or oops\n"
"                   (skipped by default: see exotic-repro)\n"
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
		from = exotic_ev_from_name;
	} else {
		fprintf(stderr, "exotic-matrix: --only: unknown key '%s' (kind, method, path, event)\n", key);
		return -EINVAL;
	}
	vals = strdup(eq + 1);
	if (!vals)
		return -ENOMEM;
	for (tok = strtok_r(vals, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int v = from(tok);

		if (v < 0) {
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
	return (!f->kinds || f->kinds & (1U << k)) &&
	       (!f->methods || f->methods & (1U << m)) &&
	       (!f->paths || f->paths & (1U << p)) &&
	       (!f->events || f->events & (1U << e));
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

/* what the Markdown grid shows for one cell */
struct cell {
	bool set, bad;
	uint32_t before, after;
};

static void print_grid(struct cell g[][EXOTIC_MAP_MAX + 1][EXOTIC_PATH_MAX + 1][EXOTIC_EV_MAX + 1],
		       const char *profile)
{
	static const char *const ev_short[] = { "", "", "inv", "mig", "rev" };

	printf("\n<!-- exotic-matrix --markdown, profile %s -->\n", profile);
	printf("| kind | method | vCPU fault (`kvm_faultin_pfn`) | nested VMRUN (`kvm_vcpu_map`) | copy (`kvm_vcpu_read_guest`) |\n");
	printf("|---|---|---|---|---|\n");
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

				if (c->set && c->after != EXOTIC_OUT_NOT_RUN)
					printf("; %s %s%s", ev_short[e], exotic_outcome_name(c->after),
					       c->bad ? " **UNEXPECTED**" : "");
			}
			printf(" |");
		}
		printf("\n");
	}
}

static bool dangerous(const struct exotic_expect_entry *e)
{
	return e->before == EXOTIC_OUT_WARN || e->before == EXOTIC_OUT_KMSG ||
	       e->after == EXOTIC_OUT_WARN || e->after == EXOTIC_OUT_KMSG;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "profile", required_argument, NULL, 'p' },
		{ "expect", required_argument, NULL, 'e' },
		{ "only", required_argument, NULL, 'o' },
		{ "json", no_argument, NULL, 'j' },
		{ "list", no_argument, NULL, 'l' },
		{ "markdown", no_argument, NULL, 'm' },
		{ "allow-kmsg", no_argument, NULL, 'k' },
		{ "seed", required_argument, NULL, 's' },
		{ "timeout", required_argument, NULL, 't' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *profile = NULL, *expect_file = NULL;
	bool json = false, list = false, allow_kmsg = false, verbose = false, md = false;
	static struct cell grid[EXOTIC_KIND_MAX + 1][EXOTIC_MAP_MAX + 1][EXOTIC_PATH_MAX + 1]
			       [EXOTIC_EV_MAX + 1];
	struct filter filt = { 0 };
	uint64_t seed = (uint64_t)time(NULL) * 2654435761ULL;
	unsigned int timeout_s = 120;
	struct exotic_ctx *ctx = NULL;
	struct exotic_device *dev = NULL;
	struct exotic_expect *table = NULL;
	struct exotic_vm *keep = NULL;
	char detected[64], why[256] = "";
	const char *source = "forced";
	unsigned int n_ok = 0, n_bad = 0, n_skip = 0, n_rows = 0;
	struct utsname u;
	bool first = true, tty;
	int c, ret, status = 0;

	while ((c = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
		switch (c) {
		case 'p': profile = optarg; break;
		case 'e': expect_file = optarg; break;
		case 'o':
			if (parse_only(&filt, optarg))
				return 2;
			break;
		case 'j': json = true; break;
		case 'l': list = true; break;
		case 'm': md = true; break;
		case 'k': allow_kmsg = true; break;
		case 't': {
			char *end;
			unsigned long v;

			errno = 0;
			v = strtoul(optarg, &end, 0);
			if (errno || *end || end == optarg || !v || v > 86400) {
				fprintf(stderr, "exotic-matrix: --timeout takes seconds (1..86400), not '%s'\n", optarg);
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
				fprintf(stderr, "exotic-matrix: --seed takes a number, not '%s'\n", optarg);
				return 2;
			}
			break;
		}
		case 'v': verbose = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "exotic-matrix: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	ret = exotic_new(&ctx);
	if (ret) {
		fprintf(stderr, "exotic-matrix: %s\n", exotic_strerror(ret));
		return 3;
	}
	if (!profile && !expect_file) {
		ret = exotic_expect_detect(ctx, detected, sizeof(detected), why, sizeof(why));
		if (ret) {
			status = 3;
			goto out;
		}
		profile = detected;
		source = "detected";
	}
	if (expect_file) {
		ret = exotic_expect_load(ctx, expect_file, &table);
		source = "file";
	} else {
		ret = exotic_expect_builtin(ctx, profile, &table);
	}
	if (ret) {
		status = 2;
		goto out;
	}
	profile = exotic_expect_profile(table);
	if (uname(&u))
		strcpy(u.release, "?");

	if (!list) {
		ret = exotic_device_open(ctx, &dev);
		if (ret) {
			fprintf(stderr, "exotic-matrix: %s\n", exotic_strerror(ret));
			status = 3;
			goto out;
		}
		ret = exotic_kvm_available(ctx);
		if (ret) {
			fprintf(stderr, "exotic-matrix: no KVM: %s\n", exotic_strerror(ret));
			status = 3;
			goto out;
		}
		/*
		 * Keep one VM for the whole run: otherwise KVM enables and
		 * disables virtualization on every CPU (an IPI to each) for the
		 * VM of every scenario, which is slow and, under TCG on a loaded
		 * host, has been seen to wedge the test VM.
		 */
		ret = exotic_vm_new(ctx, &keep);
		if (ret) {
			fprintf(stderr, "exotic-matrix: cannot create a VM: %s\n", exotic_strerror(ret));
			status = 3;
			goto out;
		}
	}

	/* from here on, refusals are outcomes, not errors: quiet the log */
	if (!getenv("EXOTIC_LOG") && !verbose)
		exotic_set_log_priority(ctx, LOG_CRIT);
	tty = isatty(STDOUT_FILENO);
	if (json) {
		printf("{\n  \"schema\": \"%s\",\n  \"tool\": \"exotic-matrix\",\n", SCHEMA);
		printf("  \"kernel\": ");
		json_str(stdout, u.release);
		printf(",\n  \"profile\": ");
		json_str(stdout, profile);
		printf(",\n  \"profile_source\": \"%s\",\n  \"profile_why\": ", source);
		json_str(stdout, why[0] ? why : NULL);
		printf(",\n  \"seed\": %llu,\n  \"ran\": %s,\n  \"rows\": [", (unsigned long long)seed,
		       list ? "false" : "true");
	} else {
		printf("exotic-matrix: kernel %s, profile %s (%s%s%s), seed %llu\n", u.release,
		       profile, source, why[0] ? ": " : "", why, (unsigned long long)seed);
		printf("%-11s %-6s %-5s %-10s  %-21s  %-21s  %s\n", "kind", "method", "path",
		       "event", "expected", "got", "verdict");
	}

	for (uint32_t k = 1; k <= EXOTIC_KIND_MAX; k++)
	for (uint32_t m = 1; m <= EXOTIC_MAP_MAX; m++)
	for (uint32_t p = 1; p <= EXOTIC_PATH_MAX; p++)
	for (uint32_t e = 1; e <= EXOTIC_EV_MAX; e++) {
		const struct exotic_expect_entry *x;
		struct exotic_scenario s;
		struct exotic_scenario_result r = { 0 };
		char exp[48], got[48] = "-";
		const char *verdict;
		bool ran = false;

		if (!wanted(&filt, k, m, p, e))
			continue;
		n_rows++;
		x = exotic_expect_lookup(table, k, m, p, e);
		if (!x) {
			fprintf(stderr, "exotic-matrix: %s has no entry for %s %s %s %s\n", profile,
				exotic_kind_name(k), exotic_method_name(m), exotic_path_name(p),
				exotic_ev_name(e));
			status = 1;
			n_bad++;
			continue;
		}
		snprintf(exp, sizeof(exp), "%s/%s", exotic_outcome_name(x->before),
			 exotic_outcome_name(x->after));
		exotic_scenario_init(&s, k, m, p, e, seed);
		if (list) {
			verdict = "-";
		} else if (dangerous(x) && !allow_kmsg) {
			verdict = "skip";
			snprintf(r.detail, sizeof(r.detail),
				 "expected to make the kernel log a %s: run it with --allow-kmsg in a VM of its own, or see exotic-repro",
				 x->before == EXOTIC_OUT_KMSG || x->after == EXOTIC_OUT_KMSG ? "bug report" : "WARNING");
			n_skip++;
		} else {
			ret = exotic_scenario_run_isolated(ctx, &s, &r, timeout_s);
			if (ret) {
				fprintf(stderr, "exotic-matrix: %s %s %s %s: %s\n", exotic_kind_name(k),
					exotic_method_name(m), exotic_path_name(p), exotic_ev_name(e),
					exotic_strerror(ret));
				status = 3;
				goto end;
			}
			if (r.skipped) {
				verdict = "skip";
				n_skip++;
			} else {
				ran = true;
				grid[k][m][p][e] = (struct cell){ .set = true, .before = r.before,
								 .after = r.after };
				snprintf(got, sizeof(got), "%s/%s", exotic_outcome_name(r.before),
					 exotic_outcome_name(r.after));
				if (r.before == x->before && r.after == x->after) {
					verdict = "ok";
					n_ok++;
				} else {
					verdict = "UNEXPECTED";
					grid[k][m][p][e].bad = true;
					n_bad++;
					status = 1;
				}
			}
		}
		if (json) {
			printf("%s\n    {\"kind\": \"%s\", \"method\": \"%s\", \"path\": \"%s\", \"event\": \"%s\",",
			       first ? "" : ",", exotic_kind_name(k), exotic_method_name(m),
			       exotic_path_name(p), exotic_ev_name(e));
			printf("\n     \"expected\": {\"before\": \"%s\", \"after\": \"%s\", \"reason\": ",
			       exotic_outcome_name(x->before), exotic_outcome_name(x->after));
			json_str(stdout, x->reason);
			printf("},\n     \"got\": ");
			if (ran)
				printf("{\"before\": \"%s\", \"after\": \"%s\"}", exotic_outcome_name(r.before),
				       exotic_outcome_name(r.after));
			else
				printf("null");
			printf(", \"verdict\": \"%s\", \"order\": %u, \"length\": %llu,\n     \"detail\": ",
			       verdict, r.order, (unsigned long long)r.length);
			json_str(stdout, r.detail[0] ? r.detail : NULL);
			printf(", \"kmsg\": ");
			json_str(stdout, r.kmsg[0] ? r.kmsg : NULL);
			printf(", \"refcount_anomalies\": %llu, \"ms\": %llu}",
			       (unsigned long long)r.refcount_anomalies, (unsigned long long)r.ms);
			first = false;
		} else {
			bool hl = tty && !strcmp(verdict, "UNEXPECTED");

			printf("%-11s %-6s %-5s %-10s  %-21s  %-21s  %s%s%s\n", exotic_kind_name(k),
			       exotic_method_name(m), exotic_path_name(p), exotic_ev_name(e), exp, got,
			       hl ? "\033[1;31m" : "", verdict, hl ? "\033[0m" : "");
			if (verbose || !strcmp(verdict, "UNEXPECTED")) {
				if (r.detail[0])
					printf("    saw: %s\n", r.detail);
				if (r.kmsg[0])
					printf("    kmsg: %s\n", r.kmsg);
				printf("    why: %s\n", x->reason);
			}
		}
		fflush(stdout);
	}
end:
	if (json) {
		printf("\n  ],\n  \"summary\": {\"rows\": %u, \"ok\": %u, \"unexpected\": %u, \"skipped\": %u}\n}\n",
		       n_rows, n_ok, n_bad, n_skip);
	} else {
		printf("exotic-matrix: %s: %u rows, %u ok, %u UNEXPECTED, %u skipped\n", profile,
		       n_rows, n_ok, n_bad, n_skip);
		if (md && !list)
			print_grid(grid, profile);
	}
out:
	exotic_vm_unref(keep);
	exotic_expect_free(table);
	exotic_device_unref(dev);
	exotic_unref(ctx);
	return status;
}
