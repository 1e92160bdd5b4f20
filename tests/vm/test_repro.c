// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Every reproducer of exotic-repro, one test each, in the test VM: it must
 * run and match the expectation table of the running kernel.  Those the
 * table expects to make the kernel WARN or oops are skipped here (the
 * kernel reports once per boot and the console oracle would fail the
 * whole run): scripts/matrix runs each of them in a boot of its own.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "exotic/exotic.h"
#include "exotic/expect.h"

#include "sysfs.h"
#include "vm_env.h"

static struct exotic_ctx *ctx;
static struct exotic_device *dev;
static struct exotic_expect *table;
/* one VM for the whole suite, so KVM stays enabled (see exotic-matrix) */
static struct exotic_vm *keep;

static int group_setup(void **state)
{
	static char profile[64];

	(void)state;
	return vm_env_open_scenarios(&ctx, &dev, &keep, &table, profile, sizeof(profile));
}

static int group_teardown(void **state)
{
	(void)state;
	vm_env_close_scenarios(ctx, dev, keep, table);
	return 0;
}

static void test_one(void **state)
{
	const struct exotic_repro *r = *state;
	const struct exotic_expect_entry *x;
	struct exotic_scenario s;
	struct exotic_scenario_result res;
	int ret;

	vm_env_need(table, "no exotic device or no usable /dev/kvm\n");
	x = exotic_expect_lookup_repro(table, r->name);
	assert_non_null(x);
	if (exotic_expect_dangerous(x)) {
		print_message("%s: expected to make the kernel report: fresh boot only (scripts/matrix)\n",
			      r->name);
		skip();
	}
	if (exotic_expect_crash(x)) {
		print_message("%s: measured to stop this kernel (crash): not run (exotic-repro run --allow-crash %s)\n",
			      r->name, r->name);
		skip();
	}
	exotic_repro_scenario(r, 0x7265ULL, &s);	/* a fixed seed */
	/* a harmless use of an unsafe combination: allow it for this run */
	if (s.alloc_flags & EXOTIC_ALLOC_UNSAFE_DRIVER_BUG)
		assert_int_equal(param_write("unsafe_driver_bugs", "1"), 0);
	ret = exotic_scenario_run_isolated(ctx, &s, &res, 120);
	if (s.alloc_flags & EXOTIC_ALLOC_UNSAFE_DRIVER_BUG)
		assert_int_equal(param_write("unsafe_driver_bugs", "0"), 0);
	assert_int_equal(ret, 0);
	assert_false(res.skipped);
	print_message("%s: %s/%s: %s\n", r->name, exotic_outcome_name(res.before),
		      exotic_outcome_name(res.after), res.detail);
	assert_string_equal(exotic_outcome_name(res.before), exotic_outcome_name(x->before));
	assert_string_equal(exotic_outcome_name(res.after), exotic_outcome_name(x->after));
}

int main(void)
{
	size_t n = exotic_repro_count();
	struct CMUnitTest *tests = calloc(n, sizeof(*tests));
	int ret;

	if (!tests)
		return 1;
	for (size_t i = 0; i < n; i++) {
		tests[i].name = exotic_repro_at(i)->name;
		tests[i].test_func = test_one;
		tests[i].initial_state = (void *)exotic_repro_at(i);
	}
	ret = _cmocka_run_group_tests("test_repro", tests, n,
				      group_setup, group_teardown);
	free(tests);
	return ret;
}
