// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * exotic-bench's pure parts, on the host: the summary of a figure's
 * samples (median of odd and even counts, min, max, the samples left in
 * their order), ratios and noise that refuse what is not a positive
 * number, and --compare: B/A per row and figure with both runs' noise,
 * a figure outside the noise marked, each run's own ratio to anonymous
 * memory beside them ("-" without one), whether B's median falls inside A's
 * min-max and B's ratio inside the range of A's per-repetition ratios (the
 * subject's run over the baseline's run next to it), rows and figures in one document only
 * named, and unreadable, malformed or foreign documents refused with one
 * line and status 2.  Run from the top of the tree (scripts/check does).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "docs.h"

#include "json.h"
#include "../../examples/exotic-bench/bench.h"


static void test_summary(void **state)
{
	double odd[] = { 5, 1, 4, 2, 3 };
	double even[] = { 10, 40, 20, 30 };
	double one[] = { 7.5 };
	struct summary s;

	(void)state;
	s = summarize(odd, 5);
	assert_int_equal(s.n, 5);
	assert_true(s.median == 3 && s.min == 1 && s.max == 5);
	/* the samples keep their order (the JSON lists them as measured) */
	assert_true(odd[0] == 5 && odd[1] == 1 && odd[4] == 3);
	s = summarize(even, 4);
	assert_true(s.median == 25 && s.min == 10 && s.max == 40);
	s = summarize(one, 1);
	assert_true(s.median == 7.5 && s.min == 7.5 && s.max == 7.5);
	s = summarize(odd, 0);
	assert_true(s.n == 0 && s.median == 0 && s.min == 0 && s.max == 0);
	s = summarize(NULL, 3);
	assert_int_equal(s.n, 0);
}

static void test_ratio_spread(void **state)
{
	struct summary s = { .n = 3, .median = 10, .min = 9, .max = 12 };
	struct summary zero = { .n = 1 };

	(void)state;
	assert_true(ratio(9, 10) == 0.9);
	assert_true(ratio(10, 0) == 0);
	assert_true(ratio(0, 10) == 0);
	assert_true(ratio(-1, 10) == 0);
	assert_true(ratio(10, -1) == 0);
	assert_true(spread(&s) > 0.2999 && spread(&s) < 0.3001);
	assert_true(spread(&zero) == 0);
	assert_true(spread(NULL) == 0);
}

static void test_paired_ratios(void **state)
{
	double subject[] = { 10, 20, 30, 8 };
	double baseline[] = { 5, 10, 30, 0 };
	struct summary s;

	(void)state;
	/* repetition by repetition: 2, 2, 1; the fourth has no baseline */
	s = paired_ratios(subject, baseline, 4);
	assert_int_equal(s.n, 3);
	assert_true(s.median == 2 && s.min == 1 && s.max == 2);
	s = paired_ratios(subject, baseline, 1);
	assert_true(s.n == 1 && s.median == 2 && s.min == 2 && s.max == 2);
	s = paired_ratios(subject, baseline + 3, 1);
	assert_int_equal(s.n, 0);
	s = paired_ratios(NULL, baseline, 3);
	assert_int_equal(s.n, 0);
	s = paired_ratios(subject, baseline, 0);
	assert_int_equal(s.n, 0);
}

static int compare(const char *a, const char *b)
{
	return docs_run(bench_compare, a, b);
}

#define HEAD "{\"schema\": \"exotic-bench/1\", \"tool\": \"exotic-bench\", \"kernel\": \"6.1\", " \
	     "\"profile\": \"stock-6.1\", \"repetitions\": 3, \"rows\": ["
#define SIDE(med, lo, hi) "{\"median\": " med ", \"min\": " lo ", \"max\": " hi \
	", \"samples\": [" lo ", " med ", " hi "]}"
#define FIG(name, med, lo, hi) "\"" name "\": {\"unit\": \"x\", \"clock\": \"host-monotonic: KVM_RUN\", " \
	"\"subject\": " SIDE(med, lo, hi) ", \"baseline\": " SIDE("1", "1", "1") ", \"ratio\": " med "}"
#define SKIPPED(name) "\"" name "\": {\"unit\": \"x\", \"clock\": \"c\", \"skipped\": \"table\"}"
#define ROW(k, m, figs) "{\"kind\": \"" k "\", \"method\": \"" m "\", \"status\": \"ok\", " \
	"\"figures\": {" figs "}}"
#define SKIPROW(k, m) "{\"kind\": \"" k "\", \"method\": \"" m "\", \"status\": \"skip\", \"why\": \"t\"}"
#define TAIL "]}\n"

static void test_compare(void **state)
{
	const char *a = docs_write("a.json", HEAD
		ROW("refcounted", "remap", FIG("first_touch_read", "100", "95", "105") ","
		    FIG("setup", "10", "9", "11") "," SKIPPED("migrate_refault")) ","
		ROW("reserved", "fault", FIG("steady_read", "2", "1.9", "2.1")) ","
		SKIPROW("carveout", "page")
		TAIL);
	const char *b = docs_write("b.json", HEAD
		ROW("refcounted", "remap", FIG("first_touch_read", "102", "97", "104") ","
		    FIG("setup", "20", "19", "21") "," FIG("migrate_refault", "5", "4", "6")) ","
		ROW("carveout", "page", FIG("steady_read", "3", "3", "3"))
		TAIL);

	(void)state;
	assert_int_equal(compare(a, b), 0);
	assert_string_equal(docs_err, "");
	/* inside the noise (10% and 7%): not marked; B's median is inside
	 * A's min-max */
	assert_non_null(strstr(docs_out, "refcounted  remap  touch-r          100        102   1.020     10%      7%  100.00  102.00   yes    yes\n"));
	/* twice as slow, 20% and 10% noise: marked, and outside A's min-max */
	assert_non_null(strstr(docs_out, "refcounted  remap  setup             10         20   2.000     20%     10%   10.00   20.00    no     no  *\n"));
	assert_non_null(strstr(docs_out, "refcounted  remap  migrate   measured in B only"));
	assert_non_null(strstr(docs_out, "reserved    fault  measured in A only"));
	assert_non_null(strstr(docs_out, "carveout    page   measured in B only"));
	assert_non_null(strstr(docs_out, "2 figures, 1 outside the noise (*), 1 with B's median inside A's min-max; "
				     "2 ratios to anonymous memory, 1 inside A's per-repetition range\n"));
	/* a figure without a ratio: the baseline of migrate */
	b = docs_write("b2.json", HEAD
		ROW("refcounted", "remap", "\"migrate_refault\": {\"unit\": \"x\", \"clock\": \"c\", "
		    "\"subject\": " SIDE("5", "4", "6") ", \"baseline\": null, \"ratio\": null}")
		TAIL);
	assert_int_equal(compare(b, b), 0);
	assert_non_null(strstr(docs_out, "refcounted  remap  migrate            5          5   1.000     40%     40%       -       -   yes      -\n"));
	b = docs_path("b.json");
	/* the other way round */
	assert_int_equal(compare(b, a), 0);
	assert_non_null(strstr(docs_out, "refcounted  remap  setup             20         10   0.500     10%     20%   20.00   10.00    no     no  *\n"));
	assert_non_null(strstr(docs_out, "refcounted  remap  migrate   measured in A only"));
}

/*
 * A document compared with itself has every figure and every ratio inside
 * its own range, even where the ratio the JSON carries is rounded (six
 * digits) and a range of one repetition is a single quotient of samples.
 */
static void test_compare_self(void **state)
{
	const char *a = docs_write("self.json", HEAD
		ROW("refcounted", "remap", "\"first_touch_read\": {\"unit\": \"x\", \"clock\": \"c\", "
		    "\"subject\": " SIDE("1", "1", "1") ", \"baseline\": " SIDE("3", "3", "3")
		    ", \"ratio\": 0.333333}")
		TAIL);

	(void)state;
	assert_int_equal(compare(a, a), 0);
	assert_non_null(strstr(docs_out, "1 figures, 0 outside the noise (*), 1 with B's median inside "
				     "A's min-max; 1 ratios to anonymous memory, 1 inside A's "
				     "per-repetition range\n"));
}

static int targets_of(const char *a, const char *unused, FILE *out, FILE *err)
{
	(void)unused;
	return bench_targets_file(a, out, err);
}

static int run_targets(const char *a, const char *unused)
{
	(void)unused;
	return docs_run(targets_of, a, NULL);
}

/*
 * The targets: per figure, how many measured rows hold, and each miss with
 * its ratio and per-repetition range, said to be inside the noise when
 * that range reaches the target; the huge method's 2 MiB mappings.
 */
static void test_targets(void **state)
{
	const char *a = docs_write("t.json", HEAD
		ROW("refcounted", "remap", FIG("first_touch_read", "0.95", "0.9", "1") ","
		    FIG("first_touch_write", "0.85", "0.8", "0.95") ","
		    FIG("steady_read", "0.5", "0.4", "0.6") "," FIG("setup", "300", "250", "350") ","
		    SKIPPED("invalidate_refault")) ","
		"{\"kind\": \"compound\", \"method\": \"huge\", \"status\": \"ok\", \"mapping\": "
		"{\"pages_2m\": 8, \"pages_2m_possible\": 8, \"huge\": \"yes\"}, \"figures\": {}},"
		"{\"kind\": \"carveout\", \"method\": \"huge\", \"status\": \"ok\", \"mapping\": "
		"{\"pages_2m\": 0, \"pages_2m_possible\": 8, \"huge\": \"no\"}, \"figures\": {}},"
		SKIPROW("carveout", "page")
		TAIL);

	(void)state;
	assert_int_equal(run_targets(a, NULL), 0);
	assert_string_equal(docs_err, "");
	assert_non_null(strstr(docs_out,
		"  first touch, read >= 0.9: 1 of 1 rows hold\n"
		"  first touch, write >= 0.9: 0 of 1 rows hold; missed inside the noise: refcounted remap 0.85 [0.8-0.95]\n"
		"  steady state, read >= 0.95: 0 of 1 rows hold; missed: refcounted remap 0.5 [0.4-0.6]\n"
		"  steady state, write >= 0.95: no row measured\n"
		"  invalidate + refault >= 0.8: no row measured\n"
		"  setup <= 2: 0 of 1 rows hold; missed: refcounted remap 300 [250-350]\n"
		"  huge method, pages_2m = length / 2 MiB: 1 of 2 rows hold; missed: carveout huge 0/8\n"));
	assert_int_equal(run_targets(docs_path("missing.json"), NULL), 2);
	assert_non_null(strstr(docs_err, "missing.json"));
	assert_string_equal(strchr(docs_err, '\n'), "\n");
}

static void assert_one_line_error(const char *file, const char *what)
{
	assert_string_equal(docs_out, "");
	assert_non_null(strstr(docs_err, file));
	assert_non_null(strstr(docs_err, what));
	assert_string_equal(strchr(docs_err, '\n'), "\n");
}

static void test_compare_bad_input(void **state)
{
	const char *a = docs_write("a.json", HEAD SKIPROW("carveout", "page") TAIL);
	const char *bad = docs_write("bad.json", "{\"schema\": \"exotic-bench/1\", \"rows\": [}\n");
	const char *foreign = docs_write("matrix.json",
		"{\"schema\": \"exotic-matrix/1\", \"rows\": []}\n");
	const char *norows = docs_write("norows.json", "{\"schema\": \"exotic-bench/1\"}\n");

	(void)state;
	assert_int_equal(compare(a, docs_path("missing.json")), 2);
	assert_one_line_error("missing.json", "No such file");
	assert_int_equal(compare(bad, a), 2);
	assert_one_line_error("bad.json", "line 1");
	assert_int_equal(compare(a, foreign), 2);
	assert_one_line_error("matrix.json", "not an exotic-bench/1 document");
	assert_int_equal(compare(norows, a), 2);
	assert_one_line_error("norows.json", "not an exotic-bench/1 document");
	/* two documents without a measured row: nothing to compare, no error */
	assert_int_equal(compare(a, a), 0);
	assert_non_null(strstr(docs_out, "0 figures, 0 outside the noise (*), 0 with B's median inside A's min-max; "
				     "0 ratios to anonymous memory, 0 inside A's per-repetition range"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_summary),
		cmocka_unit_test(test_ratio_spread),
		cmocka_unit_test(test_paired_ratios),
		cmocka_unit_test(test_compare),
		cmocka_unit_test(test_compare_self),
		cmocka_unit_test(test_targets),
		cmocka_unit_test(test_compare_bad_input),
	};

	return cmocka_run_group_tests(tests, docs_setup, docs_teardown);
}
