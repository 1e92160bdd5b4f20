/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Running a guest program of the library to its end, for the guest suites.
 */
#ifndef EXOTIC_TEST_GUEST_RUN_H
#define EXOTIC_TEST_GUEST_RUN_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>

#include <linux/kvm.h>

#include "exotic/exotic.h"

/*
 * Run until the program reports done, assert or an exception, or until an
 * exit that is not a ucall: 0 with that exit in *exit, or KVM_RUN's
 * negative errno.  Poison reports are counted in *poison and the program
 * goes on; with poison NULL a poison report ends the run like any other.
 * -ETIMEDOUT (and a failed test) if the program never ends.
 */
static inline int run_program(struct exotic_vcpu *vcpu, struct exotic_exit *exit,
			      int *poison)
{
	for (int i = 0; i < 1000000; i++) {
		int ret = exotic_vcpu_run(vcpu, exit);

		if (ret)
			return ret;
		if (exit->ucall == EXOTIC_UCALL_POISON && poison) {
			(*poison)++;
			continue;
		}
		if (exit->ucall != EXOTIC_UCALL_SYNC)
			return 0;
	}
	fail_msg("guest never finished");
	return -ETIMEDOUT;
}

/* Fail the test unless the exit is the program's done report. */
static inline void assert_exit_done(const struct exotic_exit *exit)
{
	char buf[256];

	if (exit->ucall != EXOTIC_UCALL_DONE)
		fail_msg("expected done, got %s", exotic_exit_describe(exit, buf, sizeof(buf)));
}

/* Fail the test unless the exit is an MMIO read or write (write) of gpa. */
static inline void assert_exit_mmio(const struct exotic_exit *exit, uint64_t gpa, bool write)
{
	assert_int_equal(exit->reason, KVM_EXIT_MMIO);
	assert_int_equal(exit->mmio_addr, gpa);
	assert_int_equal(exit->mmio_write, write);
}

/* Run the program to its end; fail the test unless it reported done. */
static inline void run_to_done(struct exotic_vcpu *vcpu, struct exotic_exit *exit)
{
	int ret = run_program(vcpu, exit, NULL);

	if (ret)
		fail_msg("KVM_RUN: %s", exotic_strerror(ret));
	assert_exit_done(exit);
}

/* Drop a test's vCPU and then its VM (NULL: nothing to drop). */
static inline void vcpu_vm_unref(struct exotic_vcpu *vcpu, struct exotic_vm *vm)
{
	exotic_vcpu_unref(vcpu);
	exotic_vm_unref(vm);
}

/*
 * A test's context, device, one region, and a VM with one vCPU over it:
 * setup creates the context (the test the rest), teardown drops all.
 */
struct region_vm {
	struct exotic_ctx *ctx;
	struct exotic_device *dev;
	struct exotic_region *region;
	struct exotic_vm *vm;
	struct exotic_vcpu *vcpu;
};

static inline int region_vm_setup(void **state)
{
	struct region_vm *f = calloc(1, sizeof(*f));

	if (!f || exotic_new(&f->ctx)) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static inline int region_vm_teardown(void **state)
{
	struct region_vm *f = *state;

	vcpu_vm_unref(f->vcpu, f->vm);
	exotic_region_unref(f->region);
	exotic_device_unref(f->dev);
	exotic_unref(f->ctx);
	free(f);
	return 0;
}

#endif /* EXOTIC_TEST_GUEST_RUN_H */
