// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The scenario runner's refusals, on the host: a row whose table outcome
 * is "crash" (measured to stop the kernel) is never run unless the
 * runner is forced (allow_crash), --allow-kmsg does not force it, and the
 * row says why it was left out; the parser takes "crash" only where it
 * means something.  No device and no KVM are needed: a refused row is
 * judged before the runner touches either.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include <cmocka.h>

#include "exotic/exotic.h"
#include "exotic/expect.h"
#include "exotic/runner.h"
#include "wrap.h"

static struct exotic_ctx *ctx;
static char table_file[] = "/tmp/exotic-test-runner-XXXXXX";

#define R(k, m, p, e, b, a) k "\t" m "\t" p "\t" e "\t" b "\t" a "\tfoo(): a reason long enough\n"
static const char table_text[] =
	"@profile\ttest-crash\n"
	R("compound", "huge", "npf", "invalidate", "mapped", "crash")
	R("compound", "huge", "npf", "none", "crash", "-")
	R("compound", "huge", "npf", "migrate", "warn", "mapped")
	R("compound", "huge", "npf", "revoke", "kmsg", "crash")
	R("compound", "huge", "copy", "none", "mapped", "mapped")
	"repro:boom\t-\t-\t-\tcrash\t-\tbar(): stops the kernel\n";

static int group_setup(void **state)
{
	int fd;

	(void)state;
	if (exotic_new(&ctx))
		return -1;
	exotic_set_log_priority(ctx, LOG_CRIT);
	fd = mkstemp(table_file);
	if (fd < 0)
		return -1;
	if (write(fd, table_text, strlen(table_text)) != (ssize_t)strlen(table_text)) {
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	unlink(table_file);
	exotic_unref(ctx);
	return 0;
}

static struct exotic_runner *runner(bool allow_kmsg, bool allow_crash, FILE *json)
{
	struct exotic_runner_config cfg = {
		.tool = "exotic-matrix", .schema = "exotic-matrix/1",
		.expect_file = table_file, .seed = 1, .timeout_s = 5,
		.allow_kmsg = allow_kmsg, .allow_crash = allow_crash, .json = json,
	};
	struct exotic_runner *r = NULL;

	assert_int_equal(exotic_runner_new(ctx, &cfg, &r), 0);
	assert_non_null(r);
	return r;
}

static const struct exotic_expect_entry *row(struct exotic_runner *r, uint32_t path,
					     uint32_t event)
{
	const struct exotic_expect_entry *x =
		exotic_expect_lookup(exotic_runner_table(r), EXOTIC_KIND_COMPOUND,
				     EXOTIC_MAP_HUGE, path, event);

	assert_non_null(x);
	return x;
}

static void test_crash_parsed(void **state)
{
	struct exotic_runner *r = runner(false, false, NULL);
	const struct exotic_expect_entry *x;

	(void)state;
	assert_string_equal(exotic_outcome_name(EXOTIC_OUT_CRASH), "crash");
	assert_int_equal(exotic_outcome_from_name("crash"), EXOTIC_OUT_CRASH);
	x = row(r, EXOTIC_PATH_NPF, EXOTIC_EV_INVALIDATE);
	assert_int_equal(x->before, EXOTIC_OUT_MAPPED);
	assert_int_equal(x->after, EXOTIC_OUT_CRASH);
	assert_true(exotic_expect_crash(x));
	assert_false(exotic_expect_dangerous(x));
	x = row(r, EXOTIC_PATH_NPF, EXOTIC_EV_NONE);
	assert_int_equal(x->before, EXOTIC_OUT_CRASH);
	assert_int_equal(x->after, EXOTIC_OUT_NOT_RUN);
	assert_true(exotic_expect_crash(x));
	assert_false(exotic_expect_crash(row(r, EXOTIC_PATH_COPY, EXOTIC_EV_NONE)));
	assert_false(exotic_expect_crash(NULL));
	assert_true(exotic_expect_crash(exotic_expect_lookup_repro(exotic_runner_table(r), "boom")));
	exotic_runner_free(r);
}

/* nothing runs after the kernel stopped: a first-access crash wants "-" */
static void test_crash_before_wants_nothing_after(void **state)
{
	static const char bad[] = "@profile\tt\n" R("compound", "huge", "npf", "none", "crash", "efault");
	static const char bad_repro[] = "@profile\tt\nrepro:x\t-\t-\t-\tcrash\tmapped\tf(): long enough\n";
	struct exotic_expect *t = NULL;

	(void)state;
	assert_int_equal(exotic_expect_parse(ctx, "bad", bad, strlen(bad), &t), -EINVAL);
	assert_null(t);
	assert_int_equal(exotic_expect_parse(ctx, "bad", bad_repro, strlen(bad_repro), &t), -EINVAL);
	assert_null(t);
}

static void test_crash_refused_unless_forced(void **state)
{
	struct exotic_runner *plain = runner(false, false, NULL);
	struct exotic_runner *kmsg = runner(true, false, NULL);
	struct exotic_runner *forced = runner(false, true, NULL);
	const struct exotic_expect_entry *after, *before, *warn, *both, *ok, *repro;
	char why[320];

	(void)state;
	after = row(plain, EXOTIC_PATH_NPF, EXOTIC_EV_INVALIDATE);
	before = row(plain, EXOTIC_PATH_NPF, EXOTIC_EV_NONE);
	warn = row(plain, EXOTIC_PATH_NPF, EXOTIC_EV_MIGRATE);
	both = row(plain, EXOTIC_PATH_NPF, EXOTIC_EV_REVOKE);
	ok = row(plain, EXOTIC_PATH_COPY, EXOTIC_EV_NONE);
	repro = exotic_expect_lookup_repro(exotic_runner_table(plain), "boom");
	assert_non_null(repro);

	/* not forced: left out, with the reason */
	why[0] = '\0';
	assert_true(exotic_runner_skips(plain, after, why, sizeof(why)));
	print_message("refused: %s\n", why);
	assert_non_null(strstr(why, "stop the kernel"));
	assert_non_null(strstr(why, "the access after the event"));
	assert_non_null(strstr(why, "--allow-crash"));
	assert_true(exotic_runner_skips(plain, before, why, sizeof(why)));
	assert_non_null(strstr(why, "the first access"));
	assert_true(exotic_runner_skips(plain, repro, why, sizeof(why)));
	assert_non_null(strstr(why, "--allow-crash"));
	assert_true(exotic_runner_skips(plain, both, why, sizeof(why)));
	assert_non_null(strstr(why, "stop the kernel"));
	assert_true(exotic_runner_skips(plain, warn, NULL, 0));
	assert_false(exotic_runner_skips(plain, ok, why, sizeof(why)));

	/* --allow-kmsg is not a licence to stop the kernel */
	assert_true(exotic_runner_skips(kmsg, after, why, sizeof(why)));
	assert_non_null(strstr(why, "--allow-crash"));
	assert_true(exotic_runner_skips(kmsg, both, why, sizeof(why)));
	assert_non_null(strstr(why, "--allow-crash"));
	assert_false(exotic_runner_skips(kmsg, warn, NULL, 0));

	/* forced: the crash rows run; a kmsg row still wants allow_kmsg */
	assert_false(exotic_runner_skips(forced, after, NULL, 0));
	assert_false(exotic_runner_skips(forced, before, NULL, 0));
	assert_false(exotic_runner_skips(forced, repro, NULL, 0));
	assert_true(exotic_runner_skips(forced, both, why, sizeof(why)));
	assert_non_null(strstr(why, "--allow-kmsg"));
	assert_true(exotic_runner_skips(forced, warn, NULL, 0));
	assert_false(exotic_runner_skips(forced, ok, NULL, 0));

	exotic_runner_free(plain);
	exotic_runner_free(kmsg);
	exotic_runner_free(forced);
}

/* the row judged by the runner: skipped, not run, counted, in the JSON */
static void test_crash_cell_skipped(void **state)
{
	char *doc = NULL;
	size_t len = 0;
	FILE *jf = open_memstream(&doc, &len);
	struct exotic_runner *r;
	struct exotic_runner_row rw;
	unsigned int rows, ok, bad, skipped;

	(void)state;
	assert_non_null(jf);
	r = runner(true, false, jf);
	/* never started: a refused row must not need the device or KVM */
	assert_int_equal(exotic_runner_cell(r, EXOTIC_KIND_COMPOUND, EXOTIC_MAP_HUGE,
					    EXOTIC_PATH_NPF, EXOTIC_EV_INVALIDATE, &rw), 0);
	assert_string_equal(rw.verdict, "skip");
	assert_false(rw.ran);
	assert_int_equal(rw.expected->after, EXOTIC_OUT_CRASH);
	assert_non_null(strstr(rw.result.detail, "stop the kernel"));
	assert_non_null(strstr(rw.result.detail, "--allow-crash"));
	exotic_runner_counts(r, &rows, &ok, &bad, &skipped);
	assert_int_equal(rows, 1);
	assert_int_equal(ok, 0);
	assert_int_equal(bad, 0);
	assert_int_equal(skipped, 1);
	exotic_runner_free(r);
	fclose(jf);
	assert_non_null(strstr(doc, "\"after\": \"crash\""));
	assert_non_null(strstr(doc, "\"got\": null, \"verdict\": \"skip\""));
	assert_non_null(strstr(doc, "--allow-crash"));
	free(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crash_parsed),
		cmocka_unit_test(test_crash_before_wants_nothing_after),
		cmocka_unit_test(test_crash_refused_unless_forced),
		cmocka_unit_test(test_crash_cell_skipped),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
