// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The nested-tdp access path in the test VM (scripts/vm-run --
 * test_nested_tdp): the vmrun probe's L2 runs under nested paging and
 * reads the probe word, which KVM must resolve through its nested MMU
 * (FNAME(page_fault) on the shadow of L1's nested page table ->
 * kvm_faultin_pfn() -> hva_to_pfn()), the lookup the plain vCPU fault
 * (path npf) uses, not by emulating the L2 instruction and reading the
 * word with kvm_vcpu_read_guest() through the VMA (path copy).
 *
 * So each cell here must give what npf gives, measured in the same boot,
 * and differ from copy where npf does: after revoke npf is EFAULT and copy
 * an MMIO exit on every profile; a refcount-0 tail of a non-compound block
 * is EFAULT through npf on stock and mapped through copy.  Where npf leaves
 * references behind, so must nested-tdp.  Where the profile's table says
 * L2 cannot run under nested paging (kvm_amd.npt=0: not-entered) that is
 * checked instead.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "exotic/exotic.h"
#include "exotic/expect.h"
#include "exotic/runner.h"

/* the suite's seed: "ntpd" */
#define SCENARIO_SUITE_SEED	0x6e747064ULL
#include "scenario_suite.h"

static void run_cell(uint32_t k, uint32_t m, uint32_t p, uint32_t e,
		     struct exotic_scenario_result *r)
{
	struct exotic_scenario s;

	exotic_scenario_init(&s, k, m, p, e, seed);
	assert_int_equal(exotic_scenario_run_isolated(ctx, &s, r, 120), 0);
	assert_false(r->skipped);
	print_message("%s %s %s %s: %s/%s (%s)\n", exotic_kind_name(k), exotic_method_name(m),
		      exotic_path_name(p), exotic_event_name(e), exotic_outcome_name(r->before),
		      exotic_outcome_name(r->after), r->detail);
}

/* nested-tdp gives what npf gives for a cell, and not what copy gives where they differ */
static void like_npf(uint32_t k, uint32_t m, uint32_t e)
{
	struct exotic_scenario_result npf, copy, nested;
	const struct exotic_expect_entry *x;

	vm_env_need(table, "no exotic device or no usable /dev/kvm\n");
	x = exotic_expect_lookup(table, k, m, EXOTIC_PATH_NESTED_TDP, e);
	assert_non_null(x);
	if (x->before == EXOTIC_OUT_NOT_ENTERED) {
		/* no nested paging without NPT (stock-shadow): L2 never runs */
		run_cell(k, m, EXOTIC_PATH_NESTED_TDP, e, &nested);
		assert_int_equal(nested.before, EXOTIC_OUT_NOT_ENTERED);
		return;
	}
	run_cell(k, m, EXOTIC_PATH_NPF, e, &npf);
	run_cell(k, m, EXOTIC_PATH_COPY, e, &copy);
	run_cell(k, m, EXOTIC_PATH_NESTED_TDP, e, &nested);
	assert_int_equal(nested.before, npf.before);
	assert_int_equal(nested.after, npf.after);
	if (npf.before != copy.before)
		assert_int_not_equal(nested.before, copy.before);
	if (npf.after != copy.after)
		assert_int_not_equal(nested.after, copy.after);
	/* not the same count: the shadow MMU prefetches neighbours npf faults in */
	assert_int_equal(!!nested.refcount_anomalies, !!npf.refcount_anomalies);
}

/* after revoke: npf EFAULT, copy an MMIO exit (every profile) */
static void test_revoke_refcounted(void **state)
{
	(void)state;
	like_npf(EXOTIC_KIND_REFCOUNTED, EXOTIC_MAP_REMAP, EXOTIC_EV_REVOKE);
}

/* a non-compound block's tail: EFAULT through npf on stock, mapped through copy */
static void test_noncompound_tail(void **state)
{
	(void)state;
	like_npf(EXOTIC_KIND_NONCOMPOUND, EXOTIC_MAP_FAULT, EXOTIC_EV_NONE);
}

/*
 * A vm_insert_page()d PageReserved page: on stock every gfn_to_pfn() leaks
 * a reference, and npf's SPTE stays after 'none', so only the first
 * access leaks.  The nested MMU's shadow must stay as well from one VMRUN
 * to the next (a nested page table nothing write-protects in passing).
 */
static void test_reserved_page_kept(void **state)
{
	(void)state;
	like_npf(EXOTIC_KIND_RESERVED, EXOTIC_MAP_PAGE, EXOTIC_EV_NONE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_revoke_refcounted),
		cmocka_unit_test(test_noncompound_tail),
		cmocka_unit_test(test_reserved_page_kept),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
