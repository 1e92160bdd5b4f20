// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Guest suite: exotic-bench as make bench runs it, once, with tiny sizes
 * and one repetition (a smoke test: no figure's value is judged).  It
 * runs, its JSON document parses as exotic-bench/1, it has a row for every
 * kind x method, each row the table maps on the vCPU fault path ran with
 * every figure measured or skipped with a reason (the migrate figure
 * without an anonymous baseline, the others with one), each row the table
 * does not map is skipped with the table's reason, the table printed has
 * a column for every figure, and --compare reads the document back and
 * finds every figure and every ratio inside its own range; the output ends
 * with every performance target and its verdict.  With two repetitions of
 * several rows, each repetition runs every row before the next begins (a
 * slow spell of the machine falls on all rows alike, not on one row's
 * every sample), and each row keeps both samples.  --workloads runs only
 * the workloads it names: their figures have samples, every other figure
 * says it was not run, the document lists what ran, the table says so;
 * an unknown workload is a usage error.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "exotic/exotic.h"
#include "vm_env.h"
#include "../../examples/common/json.h"

#define JSON	"/tmp/bench-smoke.json"
#define OUT	"/tmp/bench-smoke.out"
#define SHELL_OUT	OUT
#include "shell.h"

static const char *const figs[] = {
	"first_touch_read", "first_touch_write", "steady_read", "steady_write",
	"invalidate_refault", "migrate_refault", "replace_refault", "storm_events",
	"storm_accesses", "setup",
};

/* the table's columns, in order */
static const char *const columns[] = {
	"touch-r", "touch-w", "steady-r", "steady-w", "inval", "migrate", "replace",
	"storm-ev", "storm-ac", "setup", "setup-p", "2M maps",
};

/* The table's header line has every column, in order. */
static void check_columns(void)
{
	char line[512];
	const char *at = NULL;
	FILE *f = fopen(OUT, "r");

	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "kind ", 5)) {
			at = line;
			break;
		}
	fclose(f);
	if (!at)
		fail_msg("no table header in the output");
	for (size_t i = 0; i < sizeof(columns) / sizeof(columns[0]); i++) {
		at = strstr(at, columns[i]);
		if (!at)
			fail_msg("the table has no column %s (or not in order)", columns[i]);
	}
}

static void print_out(void)
{
	char line[512];
	FILE *f = fopen(OUT, "r");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		print_message("# %s", line);
	fclose(f);
}

static const struct json *row_of(const struct json *rows, const char *kind, const char *method)
{
	return json_find_row(rows, kind, method);
}

static void check_side(const struct json *side, const char *what)
{
	const struct json *samples;

	assert_non_null(side);
	if (side->type != JSON_OBJECT)
		fail_msg("%s: not an object", what);
	assert_non_null(json_get(side, "median"));
	assert_int_equal(json_get(side, "median")->type, JSON_NUMBER);
	assert_int_equal(json_get(side, "min")->type, JSON_NUMBER);
	assert_int_equal(json_get(side, "max")->type, JSON_NUMBER);
	samples = json_get(side, "samples");
	assert_non_null(samples);
	assert_int_equal(samples->type, JSON_ARRAY);
	assert_int_equal(samples->n, 1);
}

/* After the table, each performance target with its verdict. */
static void check_targets(void)
{
	static const char *const lines[] = {
		"  first touch, read >= 0.9: ", "  first touch, write >= 0.9: ",
		"  steady state, read >= 0.95: ", "  steady state, write >= 0.95: ",
		"  invalidate + refault >= 0.8: ", "  setup <= 2: ",
		"  huge method, pages_2m = length / 2 MiB: ",
	};
	bool seen[sizeof(lines) / sizeof(lines[0])] = { false };
	bool header = false;
	char line[4096];
	FILE *f = fopen(OUT, "r");

	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		header |= !strncmp(line, "targets (", 9);
		for (size_t i = 0; header && i < sizeof(lines) / sizeof(lines[0]); i++)
			seen[i] |= !strncmp(line, lines[i], strlen(lines[i]));
	}
	fclose(f);
	assert_true(header);
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		if (!seen[i])
			fail_msg("no target line '%s'", lines[i]);
}

/* The document compared with itself: every figure and every ratio inside
 * its own range. */
static void check_self_compare(void)
{
	unsigned int figures = 0, outside = 1, inside = 0, ratios = 0, ratios_in = 0;
	char line[512];
	FILE *f = fopen(OUT, "r");

	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		sscanf(line, "exotic-bench --compare: %u figures, %u outside the noise (*), %u with "
		       "B's median inside A's min-max; %u ratios to anonymous memory, %u inside",
		       &figures, &outside, &inside, &ratios, &ratios_in);
	fclose(f);
	assert_true(figures > 0 && ratios > 0);
	assert_int_equal(outside, 0);
	assert_int_equal(inside, figures);
	assert_int_equal(ratios_in, ratios);
}

/* A library context where exotic-bench can run (else the test is
 * skipped), and the profile the kernel is detected as. */
static struct exotic_ctx *bench_env(char *profile, size_t size)
{
	struct exotic_ctx *ctx;
	char why[256];

	assert_int_equal(exotic_new(&ctx), 0);
	vm_env_need(exotic_kvm_available(ctx) == 0 && access("/dev/exotic", F_OK) == 0,
		    "# no KVM or no exotic device here\n");
	assert_int_equal(vm_env_detect(ctx, profile, size, why, sizeof(why)), 0);
	return ctx;
}

static void test_smoke(void **state)
{
	struct exotic_ctx *ctx;
	struct exotic_expect *table = NULL;
	char profile[64], err[256];
	const struct json *rows;
	struct json *doc;
	unsigned int ok = 0, skipped = 0;
	int rc;

	(void)state;
	ctx = bench_env(profile, sizeof(profile));
	assert_int_equal(exotic_expect_builtin(ctx, profile, &table), 0);

	rc = sh("exotic-bench --tiny --profile %s --json-file " JSON, profile);
	print_out();
	assert_int_equal(rc, 0);
	doc = json_parse_file(JSON, err, sizeof(err));
	if (!doc)
		fail_msg("%s: %s", JSON, err);
	assert_string_equal(json_get_str(doc, "schema"), "exotic-bench/1");
	assert_string_equal(json_get_str(doc, "profile"), profile);
	assert_non_null(json_get(doc, "storm_ms"));
	assert_int_equal(json_get(doc, "storm_ms")->type, JSON_NUMBER);
	check_columns();
	check_targets();
	rows = json_get(doc, "rows");
	assert_non_null(rows);
	assert_int_equal(rows->type, JSON_ARRAY);
	assert_int_equal(rows->n, EXOTIC_KIND_MAX * EXOTIC_MAP_MAX);

	for (uint32_t k = 1; k <= EXOTIC_KIND_MAX; k++)
	for (uint32_t m = 1; m <= EXOTIC_MAP_MAX; m++) {
		const struct exotic_expect_entry *x =
			exotic_expect_lookup(table, k, m, EXOTIC_PATH_NPF, EXOTIC_EV_NONE);
		const struct json *row = row_of(rows, exotic_kind_name(k), exotic_method_name(m));
		const struct json *f;
		const char *status;

		if (!row)
			fail_msg("no row for %s %s", exotic_kind_name(k), exotic_method_name(m));
		status = json_get_str(row, "status");
		assert_non_null(status);
		if (!x || x->before != EXOTIC_OUT_MAPPED) {
			if (strcmp(status, "skip"))
				fail_msg("%s %s: the table does not map it, yet status %s",
					 exotic_kind_name(k), exotic_method_name(m), status);
			assert_non_null(json_get_str(row, "why"));
			skipped++;
			continue;
		}
		if (strcmp(status, "ok"))
			fail_msg("%s %s: status %s: %s", exotic_kind_name(k), exotic_method_name(m),
				 status, json_get_str(row, "why"));
		ok++;
		assert_non_null(json_get(row, "mapping"));
		assert_non_null(json_get(json_get(row, "mapping"), "pages_2m"));
		f = json_get(row, "figures");
		assert_non_null(f);
		for (size_t i = 0; i < sizeof(figs) / sizeof(figs[0]); i++) {
			const struct json *fig = json_get(f, figs[i]);
			const struct json *base;

			if (!fig)
				fail_msg("%s %s: no figure %s", exotic_kind_name(k),
					 exotic_method_name(m), figs[i]);
			assert_non_null(json_get_str(fig, "unit"));
			assert_non_null(json_get_str(fig, "clock"));
			if (json_get_str(fig, "skipped"))
				continue;
			check_side(json_get(fig, "subject"), figs[i]);
			base = json_get(fig, "baseline");
			assert_non_null(base);
			if (!strcmp(figs[i], "migrate_refault"))
				assert_int_equal(base->type, JSON_NULL);
			else
				check_side(base, figs[i]);
		}
	}
	print_message("# %s: %u rows measured, %u skipped by the table\n", profile, ok, skipped);
	assert_true(ok > 0);

	rc = sh("exotic-bench --compare " JSON " " JSON);
	print_out();
	assert_int_equal(rc, 0);
	check_self_compare();

	json_free(doc);
	exotic_expect_free(table);
	exotic_unref(ctx);
}

/*
 * -v prints "exotic-bench: KIND METHOD: repetition R done"; every row's
 * first repetition must be done before any row's second begins.
 */
static void test_reps_interleaved(void **state)
{
	static const char *const rows_run[] = {
		"refcounted remap", "refcounted fault", "carveout remap", "carveout fault",
	};
	unsigned int seen[4][2] = { { 0 } }, last_first = 0, first_second = 0, line_no = 0;
	char profile[64], err[256], line[512], what[64];
	struct exotic_ctx *ctx;
	const struct json *rows;
	struct json *doc;
	unsigned int rep;
	int rc;
	FILE *f;

	(void)state;
	ctx = bench_env(profile, sizeof(profile));
	rc = sh("exotic-bench --tiny -r 2 -v --profile %s -k refcounted,carveout -m remap,fault "
		"--json-file " JSON, profile);
	print_out();
	assert_int_equal(rc, 0);

	f = fopen(OUT, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		line_no++;
		if (sscanf(line, "exotic-bench: %63[a-z ]: repetition %u done", what, &rep) != 2)
			continue;
		for (size_t i = 0; i < 4; i++)
			if (!strcmp(what, rows_run[i]) && rep >= 1 && rep <= 2)
				seen[i][rep - 1]++;
		if (rep == 1)
			last_first = line_no;
		else if (rep == 2 && !first_second)
			first_second = line_no;
	}
	fclose(f);
	for (size_t i = 0; i < 4; i++)
		if (seen[i][0] != 1 || seen[i][1] != 1)
			fail_msg("%s: repetition 1 done %u times, repetition 2 %u times",
				 rows_run[i], seen[i][0], seen[i][1]);
	if (first_second < last_first)
		fail_msg("a second repetition (line %u) ran before the last first one (line %u)",
			 first_second, last_first);

	doc = json_parse_file(JSON, err, sizeof(err));
	if (!doc)
		fail_msg("%s: %s", JSON, err);
	rows = json_get(doc, "rows");
	assert_non_null(rows);
	for (size_t i = 0; i < 4; i++) {
		char kind[32], method[32];
		const struct json *fig;

		assert_int_equal(sscanf(rows_run[i], "%31s %31s", kind, method), 2);
		fig = json_get(json_get(json_get(json_find_row(rows, kind, method), "figures"),
					"first_touch_read"), "subject");
		assert_non_null(fig);
		assert_int_equal(json_get(fig, "samples")->n, 2);
	}
	json_free(doc);
	exotic_unref(ctx);
}

/* what test_workloads asks for, and the figures it measures */
static const char *const storm_setup_figs[] = { "storm_events", "storm_accesses", "setup" };

static bool in_list(const char *name, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(name, list[i]))
			return true;
	return false;
}

static void test_workloads(void **state)
{
	char profile[64], err[256], line[512];
	const struct json *fig, *ran, *row;
	struct exotic_ctx *ctx;
	bool said = false;
	struct json *doc;
	FILE *f;
	int rc;

	(void)state;
	ctx = bench_env(profile, sizeof(profile));

	rc = sh("exotic-bench --tiny --profile %s -w bogus", profile);
	print_out();
	assert_int_equal(rc, 2);

	rc = sh("exotic-bench --tiny --profile %s -k refcounted,compound -m remap,huge "
		"-w storm,setup --json-file " JSON, profile);
	print_out();
	assert_int_equal(rc, 0);
	f = fopen(OUT, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		said |= !strncmp(line, "workloads run: storm setup ", 27);
		/* the huge mapping is steady state's: not measured, not missed */
		if (strstr(line, "huge method, pages_2m") &&
		    !strstr(line, "no row measured"))
			fail_msg("without steady state, the huge target says: %s", line);
	}
	fclose(f);
	if (!said)
		fail_msg("the table does not say which workloads ran");

	doc = json_parse_file(JSON, err, sizeof(err));
	if (!doc)
		fail_msg("%s: %s", JSON, err);
	ran = json_get(doc, "workloads");
	assert_non_null(ran);
	assert_int_equal(ran->type, JSON_ARRAY);
	assert_int_equal(ran->n, 2);
	assert_string_equal(ran->items[0]->str, "storm");
	assert_string_equal(ran->items[1]->str, "setup");
	row = json_find_row(json_get(doc, "rows"), "refcounted", "remap");
	assert_non_null(row);
	assert_string_equal(json_get_str(row, "status"), "ok");
	assert_null(json_get(row, "mapping"));
	for (size_t i = 0; i < sizeof(figs) / sizeof(figs[0]); i++) {
		const char *skipped;

		fig = json_get(json_get(row, "figures"), figs[i]);
		assert_non_null(fig);
		skipped = json_get_str(fig, "skipped");
		if (in_list(figs[i], storm_setup_figs, 3)) {
			if (skipped)
				fail_msg("%s was asked for, yet skipped: %s", figs[i], skipped);
			check_side(json_get(fig, "subject"), figs[i]);
			check_side(json_get(fig, "baseline"), figs[i]);
		} else if (!skipped || !strstr(skipped, "--workloads")) {
			fail_msg("%s was not asked for, yet %s", figs[i],
				 skipped ? skipped : "measured");
		}
	}
	json_free(doc);
	exotic_unref(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_smoke),
		cmocka_unit_test(test_reps_interleaved),
		cmocka_unit_test(test_workloads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
