// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * KVM's VM_PFNMAP lookup race, made deterministic (run in the test VM).
 *
 * hva_to_pfn_remapped() finds no PTE, calls fixup_user_fault() (the
 * driver's fault handler inserts the PFN) and looks the PTE up again.  An
 * invalidation that zaps the PTE in between fails that second lookup, and
 * KVM_RUN returns EFAULT although the page maps a moment later.  The storm
 * meets it a few times a minute; here the driver's race_zap_faults=1 zaps
 * the PTE its next fault inserted, right after inserting it, so every
 * first guest access to a fresh fault-method region lands in the window.
 *
 * Expected per profile, from its table's repro:pfnmap-lookup-race row:
 * stock 6.1, 6.12 and 7.3 have the race, so KVM_RUN fails with EFAULT at
 * the first page (the known bug, reproduced on purpose); patched 6.1
 * (kernel-patches/6.1 0010) and upstream-patched (kernel-patches/7.3)
 * retry the fault when an invalidation of the gfn overlapped the lookup,
 * so the guest's writes complete and the host reads them back.  The
 * table is the booted profile's (vm_env_detect(): detection cannot tell
 * upstream-patched from upstream).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <linux/kvm.h>
#include <cmocka.h>

#include "exotic/exotic.h"
#include "test_driver.h"
#include "guest_run.h"
#include "vm_env.h"

#define REGION_GPA	(1ULL << 30)
#define REGION_LEN	(64ULL << 10)


static int teardown(void **state)
{
	param_write("race_zap_faults", "0");
	return region_vm_teardown(state);
}

/* A fresh fault-method region as a memslot, nothing mapped yet, and a
 * vCPU loaded with one pass of the write program over it. */
static void prepare(struct region_vm *f)
{
	struct exotic_region_params rp = {
		.kind = EXOTIC_KIND_REFCOUNTED, .method = EXOTIC_MAP_FAULT,
		.length = REGION_LEN,
	};
	struct exotic_guest_params gp = {
		.gpa = REGION_GPA, .len = REGION_LEN, .stride = 4096,
		.seed = 0x7ace, .passes = 1,
	};
	int ret;

	ret = exotic_device_open(f->ctx, &f->dev);
	vm_env_need(!ret, "# no exotic device: %s\n", strerror(-ret));
	ret = exotic_kvm_available(f->ctx);
	vm_env_need(!ret, "# no usable /dev/kvm: %s\n", strerror(-ret));
	assert_int_equal(exotic_region_new(f->dev, &rp, &f->region), 0);
	assert_int_equal(exotic_vm_new(f->ctx, &f->vm), 0);
	assert_int_equal(exotic_vm_add_region_slot(f->vm, 0, REGION_GPA, f->region, 0), 0);
	assert_int_equal(exotic_vcpu_new(f->vm, 0, &f->vcpu), 0);
	assert_int_equal(exotic_guest_load(f->vcpu, EXOTIC_GUEST_WRITE, &gp), 0);
}

/* Run the program to its end; returns KVM_RUN's error, or 0. */
static int run(struct region_vm *f, struct exotic_exit *exit)
{
	char buf[160];
	int ret;

	do {
		ret = exotic_vcpu_run(f->vcpu, exit);
	} while (ret == -EINTR);
	if (!ret && exit->ucall != EXOTIC_UCALL_DONE)
		fail_msg("the write program ended with %s",
			 exotic_exit_describe(exit, buf, sizeof(buf)));
	return ret;
}

/* The guest's stamps, read back through the host's mapping. */
static void host_sees_guest_writes(struct region_vm *f)
{
	const uint64_t *p = exotic_region_addr(f->region);

	assert_non_null(p);
	for (uint64_t off = 0; off < REGION_LEN; off += 4096)
		assert_int_equal(p[off / 8], exotic_guest_stamp(0x7ace, REGION_GPA + off));
}

/* Without the race both profiles map every page. */
static void test_control(void **state)
{
	struct region_vm *f = *state;
	struct exotic_exit exit;

	prepare(f);
	assert_int_equal(run(f, &exit), 0);
	host_sees_guest_writes(f);
}

/* Does the running profile's table say the race kills the vCPU? */
static bool race_expected(struct region_vm *f, char *profile, size_t size)
{
	const struct exotic_expect_entry *x;
	struct exotic_expect *table = NULL;
	char why[256];
	bool efault;

	assert_int_equal(vm_env_detect(f->ctx, profile, size, why, sizeof(why)), 0);
	assert_int_equal(exotic_expect_builtin(f->ctx, profile, &table), 0);
	x = exotic_expect_lookup_repro(table, "pfnmap-lookup-race");
	assert_non_null(x);
	assert_true(x->before == EXOTIC_OUT_EFAULT || x->before == EXOTIC_OUT_MAPPED);
	efault = x->before == EXOTIC_OUT_EFAULT;
	exotic_expect_free(table);
	return efault;
}

static void test_race(void **state)
{
	struct region_vm *f = *state;
	struct exotic_exit exit;
	char left[16], profile[64];
	bool efault;
	int ret;

	prepare(f);
	efault = race_expected(f, profile, sizeof(profile));
	assert_int_equal(param_write("race_zap_faults", "1"), 0);
	ret = run(f, &exit);
	assert_int_equal(param_read("race_zap_faults", left, sizeof(left)), 0);
	print_message("# profile %s: KVM_RUN %s, race_zap_faults left %.*s\n",
		      profile, ret ? strerror(-ret) : "completed",
		      (int)strcspn(left, "\n"), left);
	/* the driver's fault ran exactly once for the guest's first access */
	assert_int_equal(atoi(left), 0);
	if (efault) {
		/* the known bug: an error, not a retry */
		assert_int_equal(ret, -EFAULT);
		assert_int_equal(exit.access_gpa, REGION_GPA);
		return;
	}
	assert_int_equal(ret, 0);
	host_sees_guest_writes(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_control, region_vm_setup, teardown),
		cmocka_unit_test_setup_teardown(test_race, region_vm_setup, teardown),
	};

	return cmocka_run_group_tests_name("pfnmap_race", tests, NULL, NULL);
}
