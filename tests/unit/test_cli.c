// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The tools' shared command-line values (examples/common/cli.c): numbers
 * in range, sizes with suffixes, the scenario-runner options.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>
#include <cmocka.h>

#include "cli.h"

static void test_numbers(void **state)
{
	uint64_t v = 7;
	uint32_t w = 7;

	(void)state;
	assert_int_equal(cli_u64("0", 0, 10, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(cli_u64("0x10", 0, 100, &v), 0);
	assert_int_equal(v, 16);
	assert_int_equal(cli_u64("18446744073709551615", 0, UINT64_MAX, &v), 0);
	assert_true(v == UINT64_MAX);
	/* out of range, overflow, signs, junk, empty: refused, v untouched */
	v = 7;
	assert_int_equal(cli_u64("11", 0, 10, &v), -EINVAL);
	assert_int_equal(cli_u64("0", 1, 10, &v), -EINVAL);
	assert_int_equal(cli_u64("18446744073709551616", 0, UINT64_MAX, &v), -EINVAL);
	assert_int_equal(cli_u64("-1", 0, UINT64_MAX, &v), -EINVAL);
	assert_int_equal(cli_u64("+1", 0, UINT64_MAX, &v), -EINVAL);
	assert_int_equal(cli_u64(" 1", 0, UINT64_MAX, &v), -EINVAL);
	assert_int_equal(cli_u64("1x", 0, UINT64_MAX, &v), -EINVAL);
	assert_int_equal(cli_u64("1k", 0, UINT64_MAX, &v), -EINVAL);
	assert_int_equal(cli_u64("", 0, UINT64_MAX, &v), -EINVAL);
	assert_int_equal(cli_u64(NULL, 0, UINT64_MAX, &v), -EINVAL);
	assert_int_equal(v, 7);
	assert_int_equal(cli_u32("16", 1, 16, &w), 0);
	assert_int_equal(w, 16);
	assert_int_equal(cli_u32("17", 1, 16, &w), -EINVAL);
	assert_int_equal(cli_u32("4294967296", 0, UINT32_MAX, &w), -EINVAL);
	assert_int_equal(w, 16);
}

static void test_sizes(void **state)
{
	uint64_t v = 7;

	(void)state;
	assert_int_equal(cli_size("4096", &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(cli_size("2M", &v), 0);
	assert_int_equal(v, 2u << 20);
	assert_int_equal(cli_size("3k", &v), 0);
	assert_int_equal(v, 3u << 10);
	assert_int_equal(cli_size("1G", &v), 0);
	assert_int_equal(v, 1u << 30);
	v = 7;
	assert_int_equal(cli_size("2MB", &v), -EINVAL);
	assert_int_equal(cli_size("M", &v), -EINVAL);
	assert_int_equal(cli_size("-2M", &v), -EINVAL);
	/* a suffix that overflows */
	assert_int_equal(cli_size("17179869184G", &v), -EINVAL);
	assert_int_equal(v, 7);
}

static void test_runner_options(void **state)
{
	struct runner_cli o;
	FILE *f;

	(void)state;
	runner_cli_init(&o);
	assert_int_equal(o.timeout_s, 120);
	assert_int_equal(runner_cli_option("t", 'p', "stock", &o), 1);
	assert_string_equal(o.profile, "stock");
	assert_int_equal(runner_cli_option("t", 't', "30", &o), 1);
	assert_int_equal(o.timeout_s, 30);
	assert_int_equal(runner_cli_option("t", 't', "0", &o), -EINVAL);
	assert_int_equal(runner_cli_option("t", 't', "86401", &o), -EINVAL);
	assert_int_equal(o.timeout_s, 30);
	assert_int_equal(runner_cli_option("t", 's', "0x5eed", &o), 1);
	assert_int_equal(o.seed, 0x5eed);
	assert_int_equal(runner_cli_option("t", 's', "seed", &o), -EINVAL);
	/* not a runner option: the tool's own */
	assert_int_equal(runner_cli_option("t", 'o', "x", &o), 0);

	/* the JSON goes to one place */
	assert_int_equal(runner_cli_json("t", &o, &f), 0);
	assert_null(f);
	o.json = true;
	assert_int_equal(runner_cli_json("t", &o, &f), 0);
	assert_ptr_equal(f, stdout);
	o.json_file = "/dev/null";
	assert_int_equal(runner_cli_json("t", &o, &f), -EINVAL);
	o.json = false;
	o.json_file = "/nonexistent/dir/x.json";
	assert_int_equal(runner_cli_json("t", &o, &f), -ENOENT);
	assert_null(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_runner_options),
	};

	return cmocka_run_group_tests_name("cli", tests, NULL, NULL);
}
