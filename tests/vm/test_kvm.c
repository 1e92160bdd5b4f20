// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The KVM layer against the real KVM (run in the test VM: scripts/vm-run --
 * test_kvm).  Ordinary anonymous memslots first: the guest programs write,
 * walk and checksum, and every result is checked against the host's own
 * view of the memory; then memslot moves and deletes, errors surfaced from
 * KVM_RUN, and the nested VMRUN probe.  The exotic kinds x methods are in
 * test_kvm_exotic.c.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <pthread.h>
#include <stdbool.h>
#include <time.h>
#include <linux/kvm.h>
#include <cmocka.h>

#include "exotic/exotic.h"
#include "guest_run.h"
#include "vm_env.h"

#define MiB		(1ULL << 20)
#define SLOT_GPA	(16 * MiB)
#define SLOT_LEN	(2 * MiB)

struct fixture {
	struct exotic_ctx *ctx;
	struct exotic_vm *vm;
	struct exotic_vcpu *vcpu;
	uint8_t *mem;		/* slot 0: SLOT_LEN anonymous bytes at SLOT_GPA */
};

/* Without KVM the state stays NULL and each test skips (cmocka counts a
 * skip inside a setup as an error). */
static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	void *mem;
	int ret;

	*state = NULL;
	if (!f || exotic_new(&f->ctx))
		return -1;
	ret = exotic_kvm_available(f->ctx);
	if (ret) {
		print_message("no usable /dev/kvm: %s\n", exotic_strerror(ret));
		exotic_unref(f->ctx);
		free(f);
		return 0;
	}
	*state = f;
	if (exotic_vm_new(f->ctx, &f->vm) ||
	    exotic_vm_add_anon_slot(f->vm, 0, SLOT_GPA, SLOT_LEN, 0, &mem) ||
	    exotic_vcpu_new(f->vm, 0, &f->vcpu))
		return -1;
	f->mem = mem;
	return 0;
}

static struct fixture *need_kvm(void **state)
{
	vm_env_need(*state, "no usable /dev/kvm\n");
	return *state;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	if (!f)
		return 0;
	vcpu_vm_unref(f->vcpu, f->vm);
	exotic_unref(f->ctx);
	free(f);
	return 0;
}

/* Issue 2: the guest writes a pattern, the host reads it back. */
static void test_write_pattern(void **state)
{
	struct fixture *f = need_kvm(state);
	struct exotic_guest_params p = {
		.gpa = SLOT_GPA, .len = SLOT_LEN, .stride = 64, .seed = 0x5eed,
	};
	struct exotic_exit exit;
	uint64_t bad;

	assert_int_equal(exotic_guest_load(f->vcpu, EXOTIC_GUEST_WRITE, &p), 0);
	run_to_done(f->vcpu, &exit);
	assert_int_equal(exit.nargs, 1);
	assert_int_equal(exit.args[0], SLOT_LEN / 64);
	assert_int_equal(exotic_guest_verify(f->mem, SLOT_GPA, SLOT_LEN, 64, 0x5eed, &bad),
			 SLOT_LEN / 64);
	assert_int_equal(bad, ~0ULL);
	/* Only the stride words were written, the rest is still zero. */
	for (size_t off = 0; off < SLOT_LEN; off += 64)
		for (size_t i = 8; i < 64; i++)
			if (f->mem[off + i])
				fail_msg("guest wrote outside its words at +0x%zx", off + i);
	/* A run after done halts and stays put. */
	assert_int_equal(exotic_vcpu_run(f->vcpu, &exit), 0);
	assert_int_equal(exit.reason, KVM_EXIT_HLT);
}

/* Half the slot, several passes: counts scale, nothing beyond is touched. */
static void test_write_passes_subrange(void **state)
{
	struct fixture *f = need_kvm(state);
	struct exotic_guest_params p = {
		.gpa = SLOT_GPA + MiB, .len = 64 * 1024, .seed = 7, .passes = 3,
	};
	struct exotic_exit exit;

	assert_int_equal(exotic_guest_load(f->vcpu, EXOTIC_GUEST_WRITE, &p), 0);
	run_to_done(f->vcpu, &exit);
	assert_int_equal(exit.args[0], 3 * 16);	/* 16 pages, 3 passes */
	assert_int_equal(exotic_guest_verify(f->mem + MiB, SLOT_GPA + MiB, 64 * 1024,
					     0, 7, NULL), 16);
	assert_int_equal(exotic_guest_verify(f->mem, SLOT_GPA, MiB, 0, 7, NULL), 0);
}

static void test_walk_ok(void **state)
{
	struct fixture *f = need_kvm(state);
	struct exotic_guest_params p = {
		.gpa = SLOT_GPA, .len = SLOT_LEN, .stride = 16, .seed = 0xabcdef,
		.passes = 2,
	};
	struct exotic_exit exit;
	int poison = 0;

	exotic_guest_fill(f->mem, SLOT_GPA, SLOT_LEN, 16, 0xabcdef);
	assert_int_equal(exotic_guest_load(f->vcpu, EXOTIC_GUEST_WALK, &p), 0);
	assert_int_equal(run_program(f->vcpu, &exit, &poison), 0);
	assert_int_equal(exit.ucall, EXOTIC_UCALL_DONE);
	assert_int_equal(exit.nargs, 4);
	assert_int_equal(exit.args[0], 2 * SLOT_LEN / 16);	/* ok */
	assert_int_equal(exit.args[1], 0);			/* in flight */
	assert_int_equal(exit.args[2], 0);			/* detections */
	assert_int_equal(exit.args[3], 2);			/* passes */
	assert_int_equal(poison, 0);
}

/* A word the host corrupts: the guest asserts with gpa, expected, actual. */
static void test_walk_mismatch_asserts(void **state)
{
	struct fixture *f = need_kvm(state);
	struct exotic_guest_params p = {
		.gpa = SLOT_GPA, .len = SLOT_LEN, .seed = 99,
	};
	uint64_t bad_off = 37 * 4096, junk = 0x1234;
	struct exotic_exit exit;
	char buf[256];

	exotic_guest_fill(f->mem, SLOT_GPA, SLOT_LEN, 0, 99);
	memcpy(f->mem + bad_off, &junk, 8);
	assert_int_equal(exotic_guest_load(f->vcpu, EXOTIC_GUEST_WALK, &p), 0);
	assert_int_equal(run_program(f->vcpu, &exit, NULL), 0);
	assert_int_equal(exit.ucall, EXOTIC_UCALL_ASSERT);
	assert_int_equal(exit.args[0], SLOT_GPA + bad_off);
	assert_int_equal(exit.args[1], exotic_guest_stamp(99, SLOT_GPA + bad_off));
	assert_int_equal(exit.args[2], junk);
	assert_non_null(strstr(exit.file, "programs.S"));
	assert_true(exit.line > 0);
	exotic_exit_describe(&exit, buf, sizeof(buf));
	assert_non_null(strstr(buf, "assert at"));
}

/* docs/design.md §5: poison of epoch k is in flight until done_epoch >= k. */
static void test_walk_poison_epochs(void **state)
{
	struct fixture *f = need_kvm(state);
	struct exotic_guest_params p = {
		.gpa = SLOT_GPA, .len = SLOT_LEN, .seed = 3,
	};
	struct exotic_poison poison = { EXOTIC_POISON_MAGIC, 5 };
	uint64_t off = 100 * 4096;
	struct exotic_exit exit;
	int reports = 0;

	exotic_guest_fill(f->mem, SLOT_GPA, SLOT_LEN, 0, 3);
	memcpy(f->mem + off, &poison, sizeof(poison));

	assert_int_equal(exotic_vm_publish_epoch(f->vm, 4), 0);
	assert_int_equal(exotic_guest_load(f->vcpu, EXOTIC_GUEST_WALK, &p), 0);
	assert_int_equal(run_program(f->vcpu, &exit, &reports), 0);
	assert_int_equal(exit.ucall, EXOTIC_UCALL_DONE);
	assert_int_equal(exit.args[0], SLOT_LEN / 4096 - 1);
	assert_int_equal(exit.args[1], 1);	/* in flight */
	assert_int_equal(exit.args[2], 0);
	assert_int_equal(reports, 0);

	assert_int_equal(exotic_vm_publish_epoch(f->vm, 5), 0);
	assert_int_equal(exotic_vm_done_epoch(f->vm), 5);
	assert_int_equal(exotic_vm_publish_epoch(f->vm, 4), -EINVAL);
	assert_int_equal(exotic_guest_load(f->vcpu, EXOTIC_GUEST_WALK, &p), 0);
	assert_int_equal(exotic_vcpu_run(f->vcpu, &exit), 0);
	assert_int_equal(exit.ucall, EXOTIC_UCALL_POISON);
	assert_int_equal(exit.args[0], SLOT_GPA + off);
	assert_int_equal(exit.args[1], 5);
	assert_int_equal(exit.args[2], 5);
	run_to_done(f->vcpu, &exit);
	assert_int_equal(exit.args[1], 0);
	assert_int_equal(exit.args[2], 1);	/* detections */
}

/* FOREVER walks until the host says stop; SYNC_PASS reports each pass. */
static void test_walk_forever_stop(void **state)
{
	struct fixture *f = need_kvm(state);
	struct exotic_guest_params p = {
		.gpa = SLOT_GPA, .len = 64 * 1024, .seed = 11,
		.flags = EXOTIC_GUEST_FOREVER | EXOTIC_GUEST_SYNC_PASS,
	};
	struct exotic_exit exit;
	int syncs = 0;

	exotic_guest_fill(f->mem, SLOT_GPA, 64 * 1024, 0, 11);
	assert_int_equal(exotic_guest_load(f->vcpu, EXOTIC_GUEST_WALK, &p), 0);
	for (;;) {
		assert_int_equal(exotic_vcpu_run(f->vcpu, &exit), 0);
		if (exit.ucall != EXOTIC_UCALL_SYNC)
			break;
		syncs++;
		assert_int_equal(exit.args[0], (uint64_t)syncs);	/* pass number */
		assert_int_equal(exit.args[1], (uint64_t)syncs * 16);	/* ok so far */
		if (syncs == 5)
			exotic_vm_set_stop(f->vm, true);
	}
	assert_int_equal(exit.ucall, EXOTIC_UCALL_DONE);
	assert_int_equal(syncs, 5);
	assert_int_equal(exit.args[3], 5);
	exotic_vm_set_stop(f->vm, false);
}

static void test_checksum(void **state)
{
	struct fixture *f = need_kvm(state);
	struct exotic_guest_params p = {
		.gpa = SLOT_GPA, .len = SLOT_LEN, .stride = 8, .passes = 2,
	};
	struct exotic_exit exit;

	srand(42);
	for (size_t i = 0; i < SLOT_LEN; i++)
		f->mem[i] = (uint8_t)rand();
	assert_int_equal(exotic_guest_load(f->vcpu, EXOTIC_GUEST_CHECKSUM, &p), 0);
	run_to_done(f->vcpu, &exit);
	assert_int_equal(exit.args[0], exotic_guest_checksum(f->mem, SLOT_LEN, 8));
	assert_int_equal(exit.args[1], SLOT_LEN / 8);
	/* One changed byte changes the guest's sum. */
	f->mem[SLOT_LEN - 1] ^= 1;
	assert_int_equal(exotic_guest_load(f->vcpu, EXOTIC_GUEST_CHECKSUM, &p), 0);
	run_to_done(f->vcpu, &exit);
	assert_int_equal(exit.args[0], exotic_guest_checksum(f->mem, SLOT_LEN, 8));
}

/* A moved slot is seen at its new address; a deleted one is MMIO. */
static void test_move_and_delete(void **state)
{
	struct fixture *f = need_kvm(state);
	uint64_t new_gpa = 64 * MiB;
	struct exotic_guest_params p = {
		.gpa = new_gpa, .len = SLOT_LEN, .seed = 1,
	};
	struct exotic_exit exit;
	char buf[256];

	assert_int_equal(exotic_vm_move_slot(f->vm, 0, new_gpa), 0);
	assert_int_equal(exotic_guest_load(f->vcpu, EXOTIC_GUEST_WRITE, &p), 0);
	run_to_done(f->vcpu, &exit);
	assert_int_equal(exotic_guest_verify(f->mem, new_gpa, SLOT_LEN, 0, 1, NULL),
			 SLOT_LEN / 4096);

	/* The old address is now unbacked: the first read exits as MMIO. */
	p.gpa = SLOT_GPA;
	assert_int_equal(exotic_guest_load(f->vcpu, EXOTIC_GUEST_CHECKSUM, &p), 0);
	assert_int_equal(exotic_vcpu_run(f->vcpu, &exit), 0);
	assert_exit_mmio(&exit, SLOT_GPA, false);
	exotic_exit_describe(&exit, buf, sizeof(buf));
	assert_non_null(strstr(buf, "mmio read"));

	assert_int_equal(exotic_vm_delete_slot(f->vm, 0), 0);
	assert_int_equal(exotic_vm_delete_slot(f->vm, 0), -ENOENT);
	p.gpa = new_gpa;
	assert_int_equal(exotic_guest_load(f->vcpu, EXOTIC_GUEST_WRITE, &p), 0);
	assert_int_equal(exotic_vcpu_run(f->vcpu, &exit), 0);
	assert_exit_mmio(&exit, new_gpa, true);
}

/* Overlaps and the system range are refused before KVM sees them. */
static void test_slot_conflicts(void **state)
{
	struct fixture *f = need_kvm(state);

	assert_int_equal(exotic_vm_add_anon_slot(f->vm, 1, SLOT_GPA + MiB, SLOT_LEN, 0, NULL),
			 -EEXIST);
	assert_int_equal(exotic_vm_add_anon_slot(f->vm, 0, 512 * MiB, SLOT_LEN, 0, NULL),
			 -EEXIST);
	assert_int_equal(exotic_vm_add_anon_slot(f->vm, 1, EXOTIC_VM_SYSTEM_GPA, SLOT_LEN,
						 0, NULL), -EINVAL);
	assert_int_equal(exotic_vm_add_anon_slot(f->vm, 1, 512 * MiB, SLOT_LEN, 0, NULL), 0);
	assert_int_equal(exotic_vm_move_slot(f->vm, 1, SLOT_GPA), -EEXIST);
	assert_int_equal(exotic_vm_move_slot(f->vm, 1, EXOTIC_VM_SYSTEM_GPA - MiB), -EINVAL);
}

/* A read-only slot: reads work, a guest write exits as MMIO. */
static void test_readonly_slot(void **state)
{
	struct fixture *f = need_kvm(state);
	struct exotic_guest_params p = {
		.gpa = 512 * MiB, .len = SLOT_LEN, .seed = 8,
	};
	struct exotic_exit exit;
	void *mem;

	assert_int_equal(exotic_vm_add_anon_slot(f->vm, 1, 512 * MiB, SLOT_LEN,
						 EXOTIC_SLOT_READONLY, &mem), 0);
	exotic_guest_fill(mem, 512 * MiB, SLOT_LEN, 0, 8);
	assert_int_equal(exotic_guest_load(f->vcpu, EXOTIC_GUEST_WALK, &p), 0);
	run_to_done(f->vcpu, &exit);
	assert_int_equal(exit.args[0], SLOT_LEN / 4096);
	assert_int_equal(exotic_guest_load(f->vcpu, EXOTIC_GUEST_WRITE, &p), 0);
	assert_int_equal(exotic_vcpu_run(f->vcpu, &exit), 0);
	assert_exit_mmio(&exit, 512 * MiB, true);
}

/*
 * KVM_RUN errors are surfaced with their errno: a slot whose host memory
 * is PROT_NONE cannot be faulted in, and KVM_RUN fails with EFAULT.
 */
static void test_run_efault_surfaced(void **state)
{
	struct fixture *f = need_kvm(state);
	struct exotic_guest_params p = {
		.gpa = SLOT_GPA, .len = SLOT_LEN, .seed = 1,
	};
	struct exotic_exit exit;

	assert_int_equal(mprotect(f->mem, SLOT_LEN, PROT_NONE), 0);
	assert_int_equal(exotic_guest_load(f->vcpu, EXOTIC_GUEST_CHECKSUM, &p), 0);
	assert_int_equal(exotic_vcpu_run(f->vcpu, &exit), -EFAULT);
	assert_int_equal(exit.reason, KVM_EXIT_UNKNOWN);
	assert_int_equal(exit.access_gpa, SLOT_GPA);	/* the first word */
	assert_int_equal(mprotect(f->mem, SLOT_LEN, PROT_READ | PROT_WRITE), 0);
	/* Reloading after the failure works: the vCPU is still usable. */
	assert_int_equal(exotic_guest_load(f->vcpu, EXOTIC_GUEST_CHECKSUM, &p), 0);
	run_to_done(f->vcpu, &exit);
}

/* The nested probe in ordinary memory: L2 must run (the control case). */
static void test_vmrun_control(void **state)
{
	struct fixture *f = need_kvm(state);
	struct exotic_guest_params p = { .flags = EXOTIC_PROBE_CONTROL };
	struct exotic_exit exit;

	assert_int_equal(exotic_guest_load(f->vcpu, EXOTIC_GUEST_VMRUN, &p), 0);
	run_to_done(f->vcpu, &exit);
	if (exit.args[0] == EXOTIC_PROBE_NO_SVM)
		skip();
	assert_string_equal(exotic_probe_result_name(exit.args[0]), "entered");

	/* The same with the VMCB in a user slot of anonymous memory. */
	p = (struct exotic_guest_params){ .vmcb_gpa = SLOT_GPA + 8192 };
	assert_int_equal(exotic_guest_load(f->vcpu, EXOTIC_GUEST_VMRUN, &p), 0);
	run_to_done(f->vcpu, &exit);
	assert_int_equal(exit.args[0], EXOTIC_PROBE_ENTERED);
	/* L1 got the #VMEXIT for VMMCALL (0x81) in its VMCB. */
	assert_int_equal(*(uint32_t *)(f->mem + 8192 + 0x70), 0x81);
}

/* A VMCB address with no memslot: kvm_vcpu_map() fails, L1 gets #GP. */
/*
 * Does a nested VMRUN whose VMCB KVM cannot map get a #GP (6.1, 6.12)?
 * The running profile's table says: its refcounted/remap VMRUN revoke
 * cell is that case (after revoke the VMCB's gpa maps nothing).
 */
static bool vmrun_unmappable_injects_gp(void)
{
	struct exotic_expect *table = NULL;
	const struct exotic_expect_entry *x;
	char profile[64], why[256];
	struct exotic_ctx *ctx = NULL;
	bool gp;

	assert_int_equal(exotic_new(&ctx), 0);
	assert_int_equal(vm_env_detect(ctx, profile, sizeof(profile), why, sizeof(why)), 0);
	assert_int_equal(exotic_expect_builtin(ctx, profile, &table), 0);
	x = exotic_expect_lookup(table, EXOTIC_KIND_REFCOUNTED, EXOTIC_MAP_REMAP,
				 EXOTIC_PATH_VMRUN, EXOTIC_EV_REVOKE);
	assert_non_null(x);
	gp = x->after == EXOTIC_OUT_GP;
	exotic_expect_free(table);
	exotic_unref(ctx);
	return gp;
}

static void test_vmrun_unbacked_gp(void **state)
{
	struct fixture *f = need_kvm(state);
	struct exotic_guest_params p = {
		.vmcb_gpa = 256 * MiB, .flags = EXOTIC_PROBE_NO_INIT,
	};
	struct exotic_exit exit;

	assert_int_equal(exotic_guest_load(f->vcpu, EXOTIC_GUEST_VMRUN, &p), 0);
	if (!vmrun_unmappable_injects_gp()) {
		/*
		 * 7.3: nested_svm_vmrun() hands the failed kvm_vcpu_map() to
		 * kvm_handle_memory_failure(), which exits to userspace (the
		 * upstream-7.3 table's VMRUN cells say the same)
		 */
		char buf[256];

		assert_int_equal(run_program(f->vcpu, &exit, NULL), 0);
		print_message("VMRUN of an unbacked VMCB: %s\n",
			      exotic_exit_describe(&exit, buf, sizeof(buf)));
		assert_int_equal(exit.reason, KVM_EXIT_INTERNAL_ERROR);
		return;
	}
	run_to_done(f->vcpu, &exit);
	if (exit.args[0] == EXOTIC_PROBE_NO_SVM)
		skip();
	assert_string_equal(exotic_probe_result_name(exit.args[0]), "#GP");
	assert_int_equal(exit.args[1], 0);	/* error code */

	/* An invalid VMCB (zeroed: no VMRUN intercept) is not entered. */
	memset(f->mem, 0, 4096);
	p = (struct exotic_guest_params){ .vmcb_gpa = SLOT_GPA, .flags = EXOTIC_PROBE_NO_INIT };
	assert_int_equal(exotic_guest_load(f->vcpu, EXOTIC_GUEST_VMRUN, &p), 0);
	run_to_done(f->vcpu, &exit);
	assert_int_equal(exit.args[0], EXOTIC_PROBE_NOT_ENTERED);
	assert_int_equal(*(uint32_t *)(f->mem + 0x70), 0xffffffff);	/* VMEXIT_INVALID */
}

/*
 * An exception the program did not expect is reported with its vector:
 * a VMCB (prepared by the library, then kept with EXOTIC_PROBE_NO_INIT)
 * whose L2 starts at the UD2 behind L2's VMMCALL.  KVM cannot emulate it
 * and, L1 not intercepting #UD, injects it into L2, whose IDT is L1's:
 * the stub reports it.  (Simply not intercepting VMMCALL would be the
 * obvious way, but 6.1 then loops forever patching the hypercall: its
 * vmcb02 leaves VMMCALL unintercepted, the CPU raises #UD, and the #UD
 * handler "fixes" VMMCALL into VMMCALL and runs it again.)
 */
static void test_exception_reported(void **state)
{
	struct fixture *f = need_kvm(state);
	struct exotic_guest_params p = { .vmcb_gpa = SLOT_GPA };
	struct exotic_exit exit;
	uint64_t rip, ud2 = 0;
	const uint8_t *code;
	char buf[256];

	assert_int_equal(exotic_guest_load(f->vcpu, EXOTIC_GUEST_VMRUN, &p), 0);
	memcpy(&rip, f->mem + 0x400 + 0x178, 8);	/* save.rip: L2's entry */
	assert_int_equal(exotic_vm_gpa_to_hva(f->vm, rip, 32, (void **)&code), 0);
	for (int i = 0; i < 31 && !ud2; i++)
		if (code[i] == 0x0f && code[i + 1] == 0x0b)
			ud2 = rip + (uint64_t)i;
	assert_int_not_equal(ud2, 0);
	memcpy(f->mem + 0x400 + 0x178, &ud2, 8);
	p.flags = EXOTIC_PROBE_NO_INIT;
	assert_int_equal(exotic_guest_load(f->vcpu, EXOTIC_GUEST_VMRUN, &p), 0);
	assert_int_equal(exotic_vcpu_run(f->vcpu, &exit), 0);
	if (exit.ucall == EXOTIC_UCALL_DONE && exit.args[0] == EXOTIC_PROBE_NO_SVM)
		skip();
	if (exit.ucall != EXOTIC_UCALL_EXCEPTION)
		fail_msg("expected an exception, got %s",
			 exotic_exit_describe(&exit, buf, sizeof(buf)));
	assert_int_equal(exit.nargs, 4);
	assert_int_equal(exit.args[0], 6);	/* #UD */
	assert_int_equal(exit.args[1], 0);
	assert_int_equal(exit.args[2], ud2);
	/* Terminal: the guest halts (L2's HLT is intercepted: L1 goes on). */
	assert_int_equal(exotic_vcpu_run(f->vcpu, &exit), 0);
	assert_true(exit.reason == KVM_EXIT_HLT || exit.ucall == EXOTIC_UCALL_DONE);
}

/* A vCPU thread: runs its program, counting passes, until it ends. */
struct vthread {
	pthread_t thread;
	struct exotic_vcpu *vcpu;
	struct exotic_exit exit;
	int ret;
	int syncs;
	int ended;
};

static void *vthread_fn(void *arg)
{
	struct vthread *t = arg;

	for (;;) {
		t->ret = exotic_vcpu_run(t->vcpu, &t->exit);
		if (t->ret || t->exit.ucall != EXOTIC_UCALL_SYNC)
			break;
		__atomic_add_fetch(&t->syncs, 1, __ATOMIC_RELEASE);
	}
	__atomic_store_n(&t->ended, 1, __ATOMIC_RELEASE);
	return NULL;
}

/*
 * Two vCPUs run their own programs on their own halves, at the same time:
 * each walks its half forever, and both must have finished two passes while
 * neither has ended before the VM is told to stop.
 */
static void test_two_vcpus(void **state)
{
	struct fixture *f = need_kvm(state);
	struct exotic_vcpu *v1;
	struct exotic_guest_params p0 = { .gpa = SLOT_GPA, .len = MiB, .seed = 1,
		.flags = EXOTIC_GUEST_FOREVER | EXOTIC_GUEST_SYNC_PASS };
	struct exotic_guest_params p1 = { .gpa = SLOT_GPA + MiB, .len = MiB, .seed = 2,
		.flags = EXOTIC_GUEST_FOREVER | EXOTIC_GUEST_SYNC_PASS };
	struct vthread t[2] = { { 0 } };
	struct timespec ts = { 0, 1000000 };
	bool both = false;
	char buf[256];

	assert_int_equal(exotic_vcpu_new(f->vm, 0, &v1), -EEXIST);
	assert_int_equal(exotic_vcpu_new(f->vm, 1, &v1), 0);
	assert_int_equal(exotic_vcpu_get_id(v1), 1);
	assert_ptr_equal(exotic_vcpu_get_vm(v1), f->vm);
	exotic_guest_fill(f->mem, SLOT_GPA, MiB, 0, 1);
	exotic_guest_fill(f->mem + MiB, SLOT_GPA + MiB, MiB, 0, 2);
	assert_int_equal(exotic_guest_load(f->vcpu, EXOTIC_GUEST_WALK, &p0), 0);
	assert_int_equal(exotic_guest_load(v1, EXOTIC_GUEST_WALK, &p1), 0);
	t[0].vcpu = f->vcpu;
	t[1].vcpu = v1;
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i].thread, NULL, vthread_fn, &t[i]), 0);
	/* generous: TCG on a loaded machine can stall a vCPU for a while */
	for (int ms = 0; ms < 300000 && !both; ms++) {
		if (__atomic_load_n(&t[0].ended, __ATOMIC_ACQUIRE) ||
		    __atomic_load_n(&t[1].ended, __ATOMIC_ACQUIRE))
			break;
		both = __atomic_load_n(&t[0].syncs, __ATOMIC_ACQUIRE) >= 2 &&
		       __atomic_load_n(&t[1].syncs, __ATOMIC_ACQUIRE) >= 2;
		if (!both)
			nanosleep(&ts, NULL);
	}
	/* both still running now, or the VM's stop is what ended them */
	both = both && !__atomic_load_n(&t[0].ended, __ATOMIC_ACQUIRE) &&
	       !__atomic_load_n(&t[1].ended, __ATOMIC_ACQUIRE);
	exotic_vm_set_stop(f->vm, true);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_join(t[i].thread, NULL), 0);
	print_message("vCPU 0: %d passes, vCPU 1: %d passes, both running at once: %s\n",
		      t[0].syncs, t[1].syncs, both ? "yes" : "no");
	for (int i = 0; i < 2; i++) {
		if (t[i].ret)
			fail_msg("vCPU %d: KVM_RUN: %s", i, exotic_strerror(t[i].ret));
		if (t[i].exit.ucall != EXOTIC_UCALL_DONE)
			fail_msg("vCPU %d: expected done, got %s", i,
				 exotic_exit_describe(&t[i].exit, buf, sizeof(buf)));
		assert_int_equal(t[i].exit.args[2], 0);	/* no detection */
		assert_int_equal(t[i].exit.args[0] + t[i].exit.args[1],
				 t[i].exit.args[3] * (MiB / 4096));
	}
	if (!both)
		fail_msg("the two vCPUs never ran at the same time (passes %d and %d within 300 s)",
			 t[0].syncs, t[1].syncs);
	exotic_vcpu_unref(v1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_write_pattern, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_passes_subrange, setup, teardown),
		cmocka_unit_test_setup_teardown(test_walk_ok, setup, teardown),
		cmocka_unit_test_setup_teardown(test_walk_mismatch_asserts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_walk_poison_epochs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_walk_forever_stop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_checksum, setup, teardown),
		cmocka_unit_test_setup_teardown(test_move_and_delete, setup, teardown),
		cmocka_unit_test_setup_teardown(test_slot_conflicts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_readonly_slot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_efault_surfaced, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vmrun_control, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vmrun_unbacked_gp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exception_reported, setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_vcpus, setup, teardown),
	};

	return cmocka_run_group_tests_name("kvm", tests, NULL, NULL);
}
