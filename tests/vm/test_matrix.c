// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The conformance matrix in the test VM: every kind x method x KVM path x
 * event cell of the running kernel must match its expectation table (one
 * test per kind), and two cells are looked at closer, on every profile: a
 * tail page through the vCPU fault path page by page (on stock the tail
 * fails with EFAULT while its head maps), and the nested VMRUN probe with
 * its VMCB on a tail page next to one on a refcounted page (on stock #GP
 * against entering L2), and kvmclock after a migrate, with and without
 * the notifier that must make KVM let go of the old page.  Cells expected to make the kernel WARN or oops are
 * left to exotic-repro in a boot of their own (scripts/matrix); those
 * measured to stop it (outcome "crash") are not run.
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
#include <time.h>
#include <cmocka.h>

#include "exotic/exotic.h"
#include "exotic/expect.h"
#include "exotic/runner.h"
#include "sysfs.h"

/* the suite's seed: "matr" */
#define SCENARIO_SUITE_SEED	0x6d617472ULL
#include "scenario_suite.h"

/* a kernel report (once per boot) or a stopped kernel ("crash") expected */
static bool dangerous(const struct exotic_expect_entry *e)
{
	return exotic_expect_dangerous(e) || exotic_expect_crash(e);
}

static void run_cell(uint32_t k, uint32_t m, uint32_t p, uint32_t e,
		     struct exotic_scenario_result *r)
{
	struct exotic_scenario s;

	exotic_scenario_init(&s, k, m, p, e, seed);
	assert_int_equal(exotic_scenario_run_isolated(ctx, &s, r, 120), 0);
}

static void matrix_kind(uint32_t k)
{
	unsigned int ran = 0, bad = 0, skipped = 0;

	vm_env_need(table, "no exotic device or no usable /dev/kvm\n");
	for (uint32_t m = 1; m <= EXOTIC_MAP_MAX; m++)
	for (uint32_t p = 1; p <= EXOTIC_PATH_MAX; p++)
	for (uint32_t e = 1; e <= EXOTIC_EV_MAX; e++) {
		const struct exotic_expect_entry *x = exotic_expect_lookup(table, k, m, p, e);
		struct exotic_scenario_result r;

		if (!(exotic_event_scope(e) & EXOTIC_EV_IN_MATRIX))
			continue;
		assert_non_null(x);
		if (dangerous(x)) {
			skipped++;
			continue;
		}
		run_cell(k, m, p, e, &r);
		if (r.skipped) {
			/*
			 * The driver did not offer the cell (no carve-out, ...).
			 * In the test VM the runner gave it everything: the
			 * only cells not run are the table's dangerous ones.
			 */
			skipped++;
			print_message("skip %s %s %s %s: %s\n", exotic_kind_name(k),
				      exotic_method_name(m), exotic_path_name(p),
				      exotic_event_name(e), r.detail);
			if (vm_env_in_test_vm())
				bad++;
			continue;
		}
		ran++;
		if (r.before == x->before && r.after == x->after)
			continue;
		bad++;
		print_error("UNEXPECTED %s %s %s %s: expected %s/%s, got %s/%s\n  saw: %s\n  kmsg: %s\n",
			    exotic_kind_name(k), exotic_method_name(m), exotic_path_name(p),
			    exotic_event_name(e), exotic_outcome_name(x->before),
			    exotic_outcome_name(x->after), exotic_outcome_name(r.before),
			    exotic_outcome_name(r.after), r.detail, r.kmsg);
	}
	print_message("%s: %u cells ran, %u skipped (kernel report expected, or not available)\n",
		      exotic_kind_name(k), ran, skipped);
	assert_int_equal(bad, 0);
	assert_true(ran > 0);
}

static void test_matrix_refcounted(void **state) { (void)state; matrix_kind(EXOTIC_KIND_REFCOUNTED); }
static void test_matrix_compound(void **state) { (void)state; matrix_kind(EXOTIC_KIND_COMPOUND); }
static void test_matrix_noncompound(void **state) { (void)state; matrix_kind(EXOTIC_KIND_NONCOMPOUND); }
static void test_matrix_reserved(void **state) { (void)state; matrix_kind(EXOTIC_KIND_RESERVED); }
static void test_matrix_carveout(void **state) { (void)state; matrix_kind(EXOTIC_KIND_CARVEOUT); }

/* The running profile's expectation for a cell, which must exist. */
static const struct exotic_expect_entry *expected(uint32_t kind, uint32_t method,
						  uint32_t path, uint32_t event)
{
	const struct exotic_expect_entry *x;

	vm_env_need(table, "no exotic device or no usable /dev/kvm\n");
	x = exotic_expect_lookup(table, kind, method, path, event);
	assert_non_null(x);
	return x;
}

/* Run a cell and print what it saw; its expectation, which must exist. */
static const struct exotic_expect_entry *run_expected(uint32_t kind, uint32_t method,
						      uint32_t path, uint32_t event,
						      struct exotic_scenario_result *r)
{
	const struct exotic_expect_entry *x = expected(kind, method, path, event);

	run_cell(kind, method, path, event, r);
	print_message("%s: %s\n", profile, r->detail);
	return x;
}

/*
 * docs/design.md §6: the refcount-0 tail of a non-compound block through the vCPU
 * fault path.  Stock: get_page_unless_zero() fails on the tail, EFAULT,
 * while the head (refcount 1) maps; the patched and upstream profiles map
 * both.  Checked page by page, beyond the table's one outcome per cell.
 */
static void test_tail_page_fault(void **state)
{
	const struct exotic_expect_entry *x;
	struct exotic_scenario_result r;

	(void)state;
	x = run_expected(EXOTIC_KIND_NONCOMPOUND, EXOTIC_MAP_FAULT, EXOTIC_PATH_NPF,
			 EXOTIC_EV_NONE, &r);
	assert_int_equal(r.before, x->before);
	if (x->before == EXOTIC_OUT_EFAULT)
		/* the tail (page 1) fails, the head (page 0, refcount 1) maps */
		assert_non_null(strstr(r.detail, "before: p1 efault p0 mapped"));
	else
		assert_int_equal(x->before, EXOTIC_OUT_MAPPED);
	assert_int_equal(r.refcount_anomalies, 0);
}

/*
 * nested_svm_vmrun(): kvm_vcpu_map() of a VMCB in a tail page, after a
 * refcounted VMCB page proved the probe works where the table says so.
 */
static void test_vmrun_tail_page(void **state)
{
	const struct exotic_expect_entry *ok, *x;
	struct exotic_scenario_result r;

	(void)state;
	ok = expected(EXOTIC_KIND_REFCOUNTED, EXOTIC_MAP_REMAP, EXOTIC_PATH_VMRUN,
		      EXOTIC_EV_NONE);
	x = expected(EXOTIC_KIND_NONCOMPOUND, EXOTIC_MAP_REMAP, EXOTIC_PATH_VMRUN,
		     EXOTIC_EV_NONE);
	run_cell(EXOTIC_KIND_REFCOUNTED, EXOTIC_MAP_REMAP, EXOTIC_PATH_VMRUN,
		 EXOTIC_EV_NONE, &r);
	print_message("%s: refcounted VMCB: %s\n", profile, r.detail);
	assert_int_equal(r.before, ok->before);
	run_cell(EXOTIC_KIND_NONCOMPOUND, EXOTIC_MAP_REMAP, EXOTIC_PATH_VMRUN,
		 EXOTIC_EV_NONE, &r);
	print_message("%s: tail-page VMCB: %s\n", profile, r.detail);
	assert_int_equal(r.before, x->before);
	assert_int_equal(r.after, x->after);
}

/* the copy path reads through the VMA on every profile, and not after revoke */
static void test_copy_path(void **state)
{
	struct exotic_scenario_result r;

	(void)state;
	vm_env_need(table, "no exotic device or no usable /dev/kvm\n");
	run_cell(EXOTIC_KIND_NONCOMPOUND, EXOTIC_MAP_REMAP, EXOTIC_PATH_COPY,
		 EXOTIC_EV_REVOKE, &r);
	print_message("%s\n", r.detail);
	assert_int_equal(r.before, EXOTIC_OUT_MAPPED);
	assert_int_equal(r.after, EXOTIC_OUT_MMIO);
}

/*
 * kvmclock (docs/design.md §6): the guest points MSR_KVM_SYSTEM_TIME_NEW at
 * the page and keeps it there across a migrate; the event's mmu notifier
 * must invalidate KVM's gfn-to-pfn cache, so the clock goes to the new
 * block and the retired one keeps its poison.  The driver's
 * skip_zap_on_migrate withholds that notifier: the cache keeps the retired
 * page and KVM writes the clock over its poison, which the oracle must
 * call stale-write, on every profile whose KVM writes the clock at all.
 */
static void test_pvclock_migrate(void **state)
{
	const struct exotic_expect_entry *x;
	struct exotic_scenario_result r;
	struct exotic_scenario s;
	int ret;

	(void)state;
	x = run_expected(EXOTIC_KIND_REFCOUNTED, EXOTIC_MAP_REMAP, EXOTIC_PATH_PVCLOCK,
			 EXOTIC_EV_MIGRATE, &r);
	assert_int_equal(r.before, x->before);
	assert_int_equal(r.after, x->after);
	assert_null(strstr(r.detail, "poison overwritten"));
	if (x->after != EXOTIC_OUT_MAPPED) {
		print_message("%s: KVM writes no clock here (%s): no stale write to provoke\n",
			      profile, exotic_outcome_name(x->after));
		return;
	}

	exotic_scenario_init(&s, EXOTIC_KIND_REFCOUNTED, EXOTIC_MAP_REMAP,
			     EXOTIC_PATH_PVCLOCK, EXOTIC_EV_MIGRATE, seed);
	assert_int_equal(param_write("inject_bug", "skip_zap_on_migrate"), 0);
	ret = exotic_scenario_run_isolated(ctx, &s, &r, 120);
	assert_int_equal(param_write("inject_bug", "none"), 0);
	assert_int_equal(ret, 0);
	print_message("%s, skip_zap_on_migrate: %s\n", profile, r.detail);
	assert_int_equal(r.before, EXOTIC_OUT_MAPPED);
	assert_int_equal(r.after, EXOTIC_OUT_STALE_WRITE);
	assert_non_null(strstr(r.detail, "poison overwritten"));
}

/*
 * The table the matrix judges by is detected from KVM's parameters; it must
 * be the one the test VM was booted for (EXOTIC_PROFILE from vm-run), or a
 * "patched" boot that loaded stock modules would pass against stock's table.
 * Detection cannot tell upstream-patched from upstream (vm_env_detect()
 * takes the booted one's table), so kvm.ko's taint tells patched (built
 * out of tree) from the kernel's own.
 */
static void test_profile_is_the_booted_one(void **state)
{
	FILE *f = fopen("/sys/module/kvm/parameters/allow_unsafe_mappings", "r");
	const char *want;
	int unsafe = -1;

	(void)state;
	if (f) {
		unsafe = fgetc(f) == 'Y';
		fclose(f);
	}
	if (!vm_env_in_test_vm()) {
		print_message("not in the test VM (no EXOTIC_PROFILE): nothing to compare with\n");
		skip();
	}
	want = vm_env_table(unsafe);
	if (!want)
		fail_msg("EXOTIC_PROFILE=%s: no expectation table for it", vm_env_profile());
	vm_env_need(table, "no exotic device or no usable /dev/kvm\n");
	print_message("booted %s (allow_unsafe_mappings %d): want %s, detected %s\n",
		      vm_env_profile(), unsafe, want, profile);
	/* vm_env_detect() gives the booted table for the profiles detection
	 * never picks (upstream-patched, debug), detection's for the others */
	assert_string_equal(profile, want);
	/* and for a profile detection never picks, at least its KVM modules */
	if (!vm_env_kvm_matches_profile())
		fail_msg("profile %s: kvm.ko is not its KVM (out of tree exactly when patched)",
			 vm_env_profile());
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_profile_is_the_booted_one),
		cmocka_unit_test(test_tail_page_fault),
		cmocka_unit_test(test_vmrun_tail_page),
		cmocka_unit_test(test_copy_path),
		cmocka_unit_test(test_pvclock_migrate),
		cmocka_unit_test(test_matrix_refcounted),
		cmocka_unit_test(test_matrix_compound),
		cmocka_unit_test(test_matrix_noncompound),
		cmocka_unit_test(test_matrix_reserved),
		cmocka_unit_test(test_matrix_carveout),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
