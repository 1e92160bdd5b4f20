// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * exotic-matrix --diff and its JSON reader, on the host: the reader takes
 * the tools' own output and refuses malformed text with its line and
 * column; the diff finds a changed outcome, a cell in one document only
 * and a cell run in one and not the other, says identical documents are,
 * and refuses unreadable files, malformed JSON and documents that are not
 * exotic-matrix/1 or exotic-repro/1 with one line and status 2.
 * Run from the top of the tree (scripts/check does).
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
#include "../../examples/exotic-matrix/diff.h"

#define REAL_REPRO "tests/unit/fixtures/repro-stock-6.1.json"


static int diff(const char *a, const char *b)
{
	return docs_run(matrix_diff, a, b);
}

/* an error is one line naming the file */
static void assert_one_line_error(const char *file, const char *what)
{
	assert_string_equal(docs_out, "");
	assert_non_null(strstr(docs_err, file));
	assert_non_null(strstr(docs_err, what));
	assert_non_null(strchr(docs_err, '\n'));
	assert_string_equal(strchr(docs_err, '\n'), "\n");
}

#define HEAD "{\"schema\": \"exotic-matrix/1\", \"tool\": \"exotic-matrix\", " \
	     "\"kernel\": \"6.1.0-57-amd64\", \"profile\": \"stock-6.1\", \"rows\": ["
#define ROW(k, m, p, e, got, verdict) \
	"{\"kind\": \"" k "\", \"method\": \"" m "\", \"path\": \"" p "\", \"event\": \"" e "\", " \
	"\"expected\": {\"before\": \"efault\", \"after\": \"efault\", \"reason\": \"f(): x\"}, " \
	"\"got\": " got ", \"verdict\": \"" verdict "\", \"detail\": null}"
#define GOT(b, a) "{\"before\": \"" b "\", \"after\": \"" a "\"}"
#define TAIL "], \"summary\": {\"rows\": 3}}\n"

static const char doc_a[] = HEAD
	ROW("compound", "remap", "npf", "none", GOT("efault", "efault"), "ok") ","
	ROW("compound", "remap", "vmrun", "none", GOT("gp", "gp"), "ok") ","
	ROW("reserved", "huge", "npf", "none", "null", "skip") ","
	ROW("carveout", "mixed", "copy", "revoke", GOT("mapped", "mmio"), "ok")
	TAIL;

/* doc_a and b_text written as a.json and b.json, which differ (status 1) */
static void diff_a_with(const char *b_text, const char **a, const char **b)
{
	*a = docs_write("a.json", doc_a);
	*b = docs_write("b.json", b_text);
	assert_int_equal(diff(*a, *b), 1);
}

static void test_identical(void **state)
{
	const char *a = docs_write("a.json", doc_a);
	const char *a2 = docs_write("a2.json", doc_a);

	(void)state;
	assert_int_equal(diff(a, a2), 0);
	assert_non_null(strstr(docs_out, "identical: 4 cells"));
	assert_string_equal(docs_err, "");
	/* the tools' own output, a real exotic-repro run on stock 6.1 */
	assert_int_equal(diff(REAL_REPRO, REAL_REPRO), 0);
	assert_non_null(strstr(docs_out, "exotic-repro/1, kernel 6.1.0-57-amd64, profile stock-6.1, 13 cells"));
}

static void test_changed_outcome(void **state)
{
	const char *a, *b;

	(void)state;
	diff_a_with(HEAD
		ROW("compound", "remap", "npf", "none", GOT("mapped", "mapped"), "UNEXPECTED") ","
		ROW("compound", "remap", "vmrun", "none", GOT("gp", "gp"), "ok") ","
		ROW("reserved", "huge", "npf", "none", "null", "skip") ","
		ROW("carveout", "mixed", "copy", "revoke", GOT("mapped", "mmio"), "ok")
		TAIL, &a, &b);
	assert_non_null(strstr(docs_out,
		"\n  compound remap npf none: efault/efault -> mapped/mapped (verdict ok -> UNEXPECTED)\n"));
	/* only that one */
	assert_null(strstr(docs_out, "vmrun"));
	assert_non_null(strstr(docs_out, "1 cells differ, 0 only in"));
	/* and the other way round */
	assert_int_equal(diff(b, a), 1);
	assert_non_null(strstr(docs_out, "  compound remap npf none: mapped/mapped -> efault/efault"));
}

static void test_run_and_not_run(void **state)
{
	const char *a, *b;

	(void)state;
	diff_a_with(HEAD
		ROW("compound", "remap", "npf", "none", GOT("efault", "efault"), "ok") ","
		ROW("compound", "remap", "vmrun", "none", GOT("gp", "gp"), "ok") ","
		ROW("reserved", "huge", "npf", "none", GOT("warn", "mapped"), "ok") ","
		ROW("carveout", "mixed", "copy", "revoke", GOT("mapped", "mmio"), "ok")
		TAIL, &a, &b);
	assert_non_null(strstr(docs_out, "  reserved huge npf none: not run -> warn/mapped (verdict skip -> ok)\n"));
}

static void test_only_in_one(void **state)
{
	const char *a, *b;

	(void)state;
	/* b: the vmrun row gone, another added, order changed (does not matter) */
	diff_a_with(HEAD
		ROW("carveout", "mixed", "copy", "revoke", GOT("mapped", "mmio"), "ok") ","
		ROW("reserved", "huge", "npf", "none", "null", "skip") ","
		ROW("compound", "remap", "npf", "none", GOT("efault", "efault"), "ok") ","
		ROW("noncompound", "page", "copy", "none", GOT("refused", "-"), "ok")
		TAIL, &a, &b);
	assert_non_null(strstr(docs_out, "\n- compound remap vmrun none: gp/gp (only in "));
	assert_non_null(strstr(docs_out, "\n+ noncompound page copy none: refused/- (only in "));
	assert_non_null(strstr(docs_out, "0 cells differ, 1 only in"));
	/* an empty run against a full one: everything in one only */
	b = docs_write("empty.json", HEAD TAIL);
	assert_int_equal(diff(a, b), 1);
	assert_non_null(strstr(docs_out, "0 cells differ, 4 only in"));
}

static void test_repro_documents(void **state)
{
	FILE *f = fopen(REAL_REPRO, "r");
	char *text, *at;
	const char *b;
	long n;

	(void)state;
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	text = calloc(1, (size_t)n + 1);
	assert_non_null(text);
	assert_int_equal(fread(text, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	/* tail-page-efault measured as mapped/mapped instead */
	at = strstr(text, "\"name\": \"tail-page-efault\"");
	assert_non_null(at);
	at = strstr(at, "\"got\": {\"before\": \"efault\", \"after\": \"efault\"}");
	assert_non_null(at);
	memcpy(at, "\"got\": {\"before\": \"mapped\", \"after\": \"mapped\"}", 46);
	b = docs_write("repro-b.json", text);
	free(text);
	assert_int_equal(diff(REAL_REPRO, b), 1);
	assert_non_null(strstr(docs_out, "\n  repro:tail-page-efault: efault/efault -> mapped/mapped\n"));
	assert_non_null(strstr(docs_out, "1 cells differ, 0 only in"));
	/* a repro run is not compared with a matrix run */
	assert_int_equal(diff(REAL_REPRO, docs_write("a.json", doc_a)), 2);
	assert_one_line_error(REAL_REPRO, "compare like with like");
}

static void test_bad_input(void **state)
{
	const char *a = docs_write("a.json", doc_a);
	static const struct {
		const char *text, *error;
	} bad[] = {
		{ "", "empty, not JSON" },
		{ "{\"schema\": \"exotic-matrix/1\", \"rows\": [}", "line 1, column 40: a value, found '}'" },
		{ "{\"schema\": \"exotic-matrix/1\",\n \"rows\": [],}", "line 2, column 13: a member name in quotes" },
		{ "{\"schema\": \"exotic-matrix/1\", \"rows\": []} x", "the end of the text after the value" },
		{ "{\"schema\": \"exotic-matrix/1\", \"rows\": [", "a value, found the end of the text" },
		{ "{\"schema\": \"exotic-matrix/1\", \"kernel\": \"6.1", "a string that never ends" },
		{ "[1, 2]", "an array, not an exotic-matrix/1" },
		{ "{\"rows\": []}", "schema missing" },
		{ "{\"schema\": \"exotic-matrix/2\", \"rows\": []}", "schema \"exotic-matrix/2\"" },
		{ "{\"schema\": \"exotic-matrix/1\"}", "no \"rows\" array" },
		{ "{\"schema\": \"exotic-matrix/1\", \"rows\": [3]}", "row 1 is a number" },
		{ "{\"schema\": \"exotic-matrix/1\", \"rows\": [{\"kind\": \"compound\"}]}",
		  "row 1 has no \"method\"" },
		{ HEAD ROW("compound", "remap", "npf", "none", "{}", "ok") TAIL, "\"got\" is not" },
		{ HEAD ROW("compound", "remap", "npf", "none", GOT("efault", "efault"), "ok") ","
		  ROW("compound", "remap", "npf", "none", GOT("efault", "efault"), "ok") TAIL,
		  "row 2: a second row for compound remap npf none" },
		{ "{\"schema\": \"exotic-repro/1\", \"rows\": [{\"got\": null}]}",
		  "row 1 has no \"name\"" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *b = docs_write("bad.json", bad[i].text);

		print_message("bad input %zu: %s\n", i, bad[i].error);
		assert_int_equal(diff(a, b), 2);
		assert_one_line_error(b, bad[i].error);
		/* either side */
		assert_int_equal(diff(b, a), 2);
		assert_one_line_error(b, bad[i].error);
	}
	assert_int_equal(diff(a, docs_path("missing.json")), 2);
	assert_one_line_error("missing.json", "cannot read: No such file or directory");
	assert_int_equal(diff(docs_path(""), a), 2);	/* the directory */
	assert_one_line_error(docs_path(""), "cannot read");
}

static struct json *parse(const char *text, char *err, size_t size)
{
	return json_parse(text, strlen(text), err, size);
}

static void test_reader(void **state)
{
	char err[200];
	struct json *j;
	const struct json *v;

	(void)state;
	j = parse(" {\"s\": \"a\\\"b\\\\c\\/\\n\\u00e9\\u20ac\\ud83d\\ude00\", \"n\": -1.5e3,"
		  " \"z\": 0, \"t\": true, \"f\": false, \"x\": null, \"a\": [[], {}, [1]],"
		  " \"s\": \"last\"} \n", err, sizeof(err));
	assert_non_null(j);
	assert_int_equal(j->type, JSON_OBJECT);
	assert_int_equal(j->n, 8);
	/* the last member of a key wins */
	assert_string_equal(json_get_str(j, "s"), "last");
	assert_string_equal(j->items[0]->str, "a\"b\\c/\n\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
	v = json_get(j, "n");
	assert_int_equal(v->type, JSON_NUMBER);
	assert_true(v->number == -1500.0);
	assert_string_equal(v->str, "-1.5e3");
	assert_int_equal(json_get(j, "t")->type, JSON_BOOL);
	assert_true(json_get(j, "t")->boolean);
	assert_false(json_get(j, "f")->boolean);
	assert_int_equal(json_get(j, "x")->type, JSON_NULL);
	v = json_get(j, "a");
	assert_int_equal(v->n, 3);
	assert_int_equal(v->items[2]->items[0]->number, 1);
	assert_null(json_get(j, "nope"));
	assert_null(json_get_str(j, "n"));
	json_free(j);

	static const struct {
		const char *text, *error;
	} bad[] = {
		{ "[1,]", "line 1, column 4: a value, found ']'" },
		{ "[01]", "leading zero" },
		{ "[1.]", "a digit after '.'" },
		{ "[1e]", "a digit in the exponent" },
		{ "[-]", "a digit after '-'" },
		{ "{\"a\" 1}", "':' after a member name" },
		{ "{\"a\": 1 \"b\": 2}", "',' or '}'" },
		{ "[\"\t\"]", "a control character" },
		{ "[\"\\x\"]", "unknown escape" },
		{ "[\"\\u12g4\"]", "four hex digits" },
		{ "[\"\\ud800\"]", "without its low half" },
		{ "[\"\\udc00\"]", "a low surrogate" },
		{ "[\"\\u0000\"]", "\\u0000" },
		{ "tru", "a value, found 't'" },
		{ "// comment\n1", "a value, found '/'" },
		{ "1 2", "the end of the text after the value" },
		{ "\n\n  ]", "line 3, column 3: a value, found ']'" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		j = parse(bad[i].text, err, sizeof(err));
		print_message("%s -> %s\n", bad[i].text, err);
		assert_null(j);
		assert_non_null(strstr(err, bad[i].error));
	}

	/* nesting is limited, not a stack overflow */
	{
		char deep[4096];

		memset(deep, '[', sizeof(deep) - 1);
		deep[sizeof(deep) - 1] = '\0';
		assert_null(parse(deep, err, sizeof(err)));
		assert_non_null(strstr(err, "nested more than"));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_identical),
		cmocka_unit_test(test_changed_outcome),
		cmocka_unit_test(test_run_and_not_run),
		cmocka_unit_test(test_only_in_one),
		cmocka_unit_test(test_repro_documents),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_reader),
	};

	return cmocka_run_group_tests(tests, docs_setup, docs_teardown);
}
