/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * KVM layer: VMs whose memslots are backed by memory the caller mmaps
 * (exotic regions, anonymous memory, anything), vCPUs that start directly
 * in 64-bit long mode, and small built-in guest programs that check that
 * memory and report through port-I/O "ucalls", after the KVM selftests'
 * kvm_util.
 *
 * Every call returns 0 (or a count) or a negative errno, and logs why
 * through the context.  Nothing aborts: a test that wants the selftests'
 * "assert on error" style wraps these calls in its own asserts.
 *
 * Guest physical layout: user memslots may go anywhere below
 * EXOTIC_GUEST_MAPPED_LIMIT (the guest's page tables identity-map that
 * range with 2 MiB pages) except [EXOTIC_VM_SYSTEM_GPA,
 * EXOTIC_VM_SYSTEM_GPA + EXOTIC_VM_SYSTEM_SIZE), which holds the library's
 * own memslot: page tables, GDT, IDT, guest code, stacks, ucall areas and
 * the control page where the host publishes done_epoch (docs/design.md §5).
 *
 * Threads: one thread per vCPU may run it while others publish epochs,
 * move or delete slots; slot changes are serialised inside the VM.
 */
#ifndef EXOTIC_KVM_H
#define EXOTIC_KVM_H

#include <stdbool.h>

#include "exotic.h"

#ifdef __cplusplus
extern "C" {
#endif

struct exotic_region;
struct exotic_vm;
struct exotic_vcpu;

#define EXOTIC_VM_MAX_SLOTS		32	/* user slots 0..31 */
#define EXOTIC_VM_MAX_VCPUS		32
#define EXOTIC_VM_SYSTEM_GPA		0xc0000000ULL
#define EXOTIC_VM_SYSTEM_SIZE		(2ULL << 20)
#define EXOTIC_VM_SYSTEM_SLOT		EXOTIC_VM_MAX_SLOTS	/* KVM slot id */
#define EXOTIC_GUEST_MAPPED_LIMIT	(16ULL << 30)

/* Port the built-in guest programs use for ucalls. */
#define EXOTIC_UCALL_PORT		0xe7e7

/*
 * Is KVM usable here?  0 if /dev/kvm opens and speaks API 12; -ENOENT if
 * there is no /dev/kvm (no KVM in this kernel, or kvm_intel/kvm_amd not
 * loaded), -EACCES if this user may not open it, other negative errnos
 * otherwise.  Logs the fix.
 */
EXOTIC_EXPORT int exotic_kvm_available(struct exotic_ctx *ctx);

/*
 * Create a VM (KVM_CREATE_VM) with its system memslot set up.  The VM holds
 * a reference on ctx.  Errors as exotic_kvm_available(), -ENOMEM, or the
 * errno of the failing KVM ioctl.
 */
EXOTIC_EXPORT int exotic_vm_new(struct exotic_ctx *ctx, struct exotic_vm **vm);
EXOTIC_EXPORT struct exotic_vm *exotic_vm_ref(struct exotic_vm *vm);
/* Deletes the VM's slots and releases what it owns (anonymous memory,
 * region references) when the last reference (vCPUs hold one) goes. */
EXOTIC_EXPORT struct exotic_vm *exotic_vm_unref(struct exotic_vm *vm);
/* The VM file descriptor, for KVM ioctls the library does not wrap. */
EXOTIC_EXPORT int exotic_vm_get_fd(const struct exotic_vm *vm);
EXOTIC_EXPORT struct exotic_ctx *exotic_vm_get_ctx(const struct exotic_vm *vm);

/* exotic_vm_add_slot() flags */
#define EXOTIC_SLOT_READONLY	(1U << 0)	/* KVM_MEM_READONLY */
#define EXOTIC_SLOT_DIRTY_LOG	(1U << 1)	/* KVM_MEM_LOG_DIRTY_PAGES */
#define EXOTIC_SLOT_FLAGS_ALL	(EXOTIC_SLOT_READONLY | EXOTIC_SLOT_DIRTY_LOG)

/*
 * Back [gpa, gpa + len) with the caller's mapping at host_addr
 * (KVM_SET_USER_MEMORY_REGION).  gpa, len and host_addr must be page
 * aligned, len non-zero, the range below EXOTIC_GUEST_MAPPED_LIMIT and
 * clear of the system range and of other slots.  The caller keeps the
 * mapping alive until the slot is deleted.
 * Errors: -EINVAL (bad argument: the log says which), -EEXIST (slot in use
 * or range overlaps another slot), or KVM's errno.
 */
EXOTIC_EXPORT int exotic_vm_add_slot(struct exotic_vm *vm, uint32_t slot,
				     uint64_t gpa, void *host_addr, size_t len,
				     uint32_t flags);
/* As exotic_vm_add_slot() with fresh zeroed anonymous memory owned by the
 * VM (unmapped when the slot is deleted); *host_addr (may be NULL) gets
 * its address. */
EXOTIC_EXPORT int exotic_vm_add_anon_slot(struct exotic_vm *vm, uint32_t slot,
					  uint64_t gpa, size_t len,
					  uint32_t flags, void **host_addr);
/* As exotic_vm_add_slot() with the whole mapping of region; the slot holds
 * a reference on the region.  -EINVAL if the region is not mapped.  Keep
 * the region's own mapping (exotic_region_unmap()) until the slot is
 * deleted: KVM uses it. */
EXOTIC_EXPORT int exotic_vm_add_region_slot(struct exotic_vm *vm,
					    uint32_t slot, uint64_t gpa,
					    struct exotic_region *region,
					    uint32_t flags);
/* Move a slot to new_gpa (KVM_MR_MOVE), same checks as adding it. */
EXOTIC_EXPORT int exotic_vm_move_slot(struct exotic_vm *vm, uint32_t slot,
				      uint64_t new_gpa);
/* Delete a slot; -ENOENT if it is not in use. */
EXOTIC_EXPORT int exotic_vm_delete_slot(struct exotic_vm *vm, uint32_t slot);
/*
 * Host address of guest physical [gpa, gpa + len) if one memslot (user or
 * system) covers it all; -ENOENT otherwise.
 */
EXOTIC_EXPORT int exotic_vm_gpa_to_hva(struct exotic_vm *vm, uint64_t gpa,
				       size_t len, void **hva);

/*
 * docs/design.md §5 done_epoch protocol: publish the epoch of the last event
 * whose ioctl returned.  The walk program reads it before each access;
 * poison of an epoch <= the value it read is a detection.  Release
 * ordered; the value only grows (a smaller epoch is -EINVAL).
 */
EXOTIC_EXPORT int exotic_vm_publish_epoch(struct exotic_vm *vm, uint64_t epoch);
EXOTIC_EXPORT uint64_t exotic_vm_done_epoch(const struct exotic_vm *vm);
/* Ask programs started with EXOTIC_GUEST_FOREVER to finish their pass and
 * report done (stop true), or to keep going (false). */
EXOTIC_EXPORT void exotic_vm_set_stop(struct exotic_vm *vm, bool stop);

/*
 * Create vCPU id (0 .. EXOTIC_VM_MAX_VCPUS - 1): KVM_CREATE_VCPU, the
 * kvm_run mapping, KVM's supported CPUID (so SVM is visible for nested
 * guests), and 64-bit long mode at an idle loop that halts.  The vCPU
 * holds a reference on the VM.  -EEXIST if id exists in this VM.
 */
EXOTIC_EXPORT int exotic_vcpu_new(struct exotic_vm *vm, uint32_t id,
				  struct exotic_vcpu **vcpu);
EXOTIC_EXPORT struct exotic_vcpu *exotic_vcpu_ref(struct exotic_vcpu *vcpu);
EXOTIC_EXPORT struct exotic_vcpu *exotic_vcpu_unref(struct exotic_vcpu *vcpu);
EXOTIC_EXPORT int exotic_vcpu_get_fd(const struct exotic_vcpu *vcpu);
EXOTIC_EXPORT uint32_t exotic_vcpu_get_id(const struct exotic_vcpu *vcpu);
EXOTIC_EXPORT struct exotic_vm *exotic_vcpu_get_vm(const struct exotic_vcpu *vcpu);

/*
 * KVM's own counters (its binary statistics, KVM_GET_STATS_FD, Linux >=
 * 5.15) of the VM ("pages_4k", "pages_2m", "remote_tlb_flush", ...) or of
 * a vCPU ("pf_taken", "pf_fixed", "exits", "io_exits", ...): values[i]
 * gets the statistic names[i] (the sum of its buckets for a histogram),
 * or EXOTIC_STAT_MISSING when this kernel does not expose it.  Returns how
 * many names were found, or a negative errno (KVM_GET_STATS_FD's: -ENOTTY
 * before 5.15; -EIO on a short read).
 */
#define EXOTIC_STAT_MISSING	(~0ULL)
EXOTIC_EXPORT int exotic_vm_stats(struct exotic_vm *vm, const char *const *names,
				  uint64_t *values, size_t n);
EXOTIC_EXPORT int exotic_vcpu_stats(struct exotic_vcpu *vcpu,
				    const char *const *names, uint64_t *values,
				    size_t n);

/* ucall kinds (exotic_exit.ucall) */
enum exotic_ucall {
	EXOTIC_UCALL_NONE	= 0,	/* the exit was not a ucall */
	EXOTIC_UCALL_SYNC	= 1,	/* progress; args are program specific */
	EXOTIC_UCALL_ASSERT	= 2,	/* a guest check failed: file, line, args */
	EXOTIC_UCALL_DONE	= 3,	/* program finished: args are its results */
	EXOTIC_UCALL_POISON	= 4,	/* walk: detection {gpa, epoch, done_epoch} */
	EXOTIC_UCALL_EXCEPTION	= 5,	/* unexpected exception {vector, error, rip, cr2} */
};

#define EXOTIC_UCALL_MAX_ARGS	6

struct exotic_exit {
	uint32_t reason;	/* KVM_EXIT_* from kvm_run */
	uint32_t ucall;		/* enum exotic_ucall */
	/* ucall */
	uint32_t line;		/* ASSERT: guest source line */
	uint32_t nargs;
	uint64_t args[EXOTIC_UCALL_MAX_ARGS];
	char file[64];		/* ASSERT: guest source file */
	/* other exits */
	uint64_t mmio_addr;	/* KVM_EXIT_MMIO */
	uint32_t mmio_len;
	uint32_t mmio_write;
	uint16_t io_port;	/* KVM_EXIT_IO that is not a ucall */
	uint8_t io_size;
	uint8_t io_out;
	uint32_t suberror;	/* KVM_EXIT_INTERNAL_ERROR */
	uint64_t hw_reason;	/* KVM_EXIT_FAIL_ENTRY */
	uint64_t rip;		/* guest RIP after an exit that is not a ucall,
				 * or when KVM_RUN failed */
	uint64_t access_gpa;	/* the same cases, while a walk, write or
				 * checksum program runs: the address of the
				 * word it was accessing; else EXOTIC_NO_GPA */
	uint64_t progress[3];	/* the same cases and programs: their
				 * counters so far (walk: words that held
				 * their stamp, in-flight poison, detections;
				 * write, checksum: words done, 0, 0) */
};

#define EXOTIC_NO_GPA		(~0ULL)

/*
 * One KVM_RUN.  Returns 0 and describes the exit in *exit, or the negative
 * errno of KVM_RUN (e.g. -EFAULT when KVM cannot map the memory behind a
 * guest access, -EINTR on a signal): such errors are surfaced, never
 * retried, and exit->reason is then KVM_EXIT_UNKNOWN; exit->rip and
 * exit->access_gpa still say where the guest was (KVM 6.1 reports no
 * address with EFAULT: for the range programs this is the word whose
 * access KVM could not map).
 */
EXOTIC_EXPORT int exotic_vcpu_run(struct exotic_vcpu *vcpu,
				  struct exotic_exit *exit);
/* A one-line description of an exit ("ucall done {1, 2}", "mmio write
 * 0x1000/8", ...) in buf; returns buf. */
EXOTIC_EXPORT const char *exotic_exit_describe(const struct exotic_exit *exit,
					       char *buf, size_t len);

/* Built-in guest programs. */
enum exotic_guest_program {
	/*
	 * Read the 8-byte word at every stride of [gpa, gpa + len) and check
	 * it holds exotic_guest_stamp(seed, its gpa).  Before each read the
	 * guest reads done_epoch; a word holding poison {magic, epoch} with
	 * epoch <= that value is a detection, reported with
	 * EXOTIC_UCALL_POISON {gpa, epoch, done_epoch} (the run continues);
	 * newer poison counts as in flight.  Any other value: ASSERT
	 * {gpa, expected, actual}, terminal.
	 * DONE {words ok, in-flight poison, detections, passes}.
	 */
	EXOTIC_GUEST_WALK	= 1,
	/* Write exotic_guest_stamp(seed, gpa) at every stride.  DONE {words}. */
	EXOTIC_GUEST_WRITE	= 2,
	/* DONE {exotic_guest_checksum() of the words, words}. */
	EXOTIC_GUEST_CHECKSUM	= 3,
	/*
	 * Nested SVM probe: enable EFER.SVME, set VM_HSAVE_PA, run VMRUN with
	 * RAX = vmcb_gpa (KVM maps it with kvm_vcpu_map()).  DONE {result,
	 * error code of a #GP, the two words L2 read}, result one of
	 * EXOTIC_PROBE_*.  gpa is where L2 reads them with
	 * EXOTIC_PROBE_NESTED_TDP (16-byte aligned: a poison pair's magic
	 * and epoch); len, stride and seed are unused.
	 */
	EXOTIC_GUEST_VMRUN	= 4,
	/*
	 * WRMSR msr <- msr_value, DONE {0}.  For the paravirtual MSRs that
	 * point KVM at a guest record it then writes (MSR_KVM_SYSTEM_TIME_NEW,
	 * MSR_KVM_STEAL_TIME): the record is written before DONE reaches the
	 * host.  gpa, len, stride and seed are unused.
	 */
	EXOTIC_GUEST_MSR	= 5,
	EXOTIC_GUEST_PROGRAM_MAX = 5,
};

/* EXOTIC_GUEST_VMRUN results */
enum exotic_probe_result {
	EXOTIC_PROBE_ENTERED	= 1,	/* L2 ran and exited with VMMCALL */
	EXOTIC_PROBE_GP		= 2,	/* VMRUN raised #GP (vmcb not mappable) */
	EXOTIC_PROBE_NOT_ENTERED = 3,	/* VMRUN returned without running L2 */
	EXOTIC_PROBE_NO_SVM	= 4,	/* the vCPU does not advertise SVM */
};

/* exotic_guest_params.flags */
#define EXOTIC_GUEST_FOREVER	(1U << 0)	/* repeat passes until exotic_vm_set_stop() */
#define EXOTIC_GUEST_SYNC_PASS	(1U << 1)	/* walk: SYNC {pass, ok} after each pass */
#define EXOTIC_PROBE_CONTROL	(1U << 8)	/* vmrun: use a VMCB in the system slot */
#define EXOTIC_PROBE_NO_INIT	(1U << 9)	/* vmrun: do not write the VMCB first */
/* vmrun: a VMCB in the system slot whose L2 runs under nested paging (L1's
 * own identity map as its nested page table) and reads the two words at
 * gpa (16-byte aligned): KVM resolves them through its nested MMU.  DONE's
 * third and fourth arguments are the words L2 read. */
#define EXOTIC_PROBE_NESTED_TDP	(1U << 10)
#define EXOTIC_GUEST_FLAGS_ALL	(EXOTIC_GUEST_FOREVER | EXOTIC_GUEST_SYNC_PASS | \
				 EXOTIC_PROBE_CONTROL | EXOTIC_PROBE_NO_INIT | \
				 EXOTIC_PROBE_NESTED_TDP)

struct exotic_guest_params {
	uint64_t gpa;		/* start: page aligned */
	uint64_t len;		/* bytes: a non-zero multiple of stride */
	uint64_t stride;	/* bytes between words: multiple of 8; 0 = 4096 */
	uint64_t seed;		/* stamp seed */
	uint32_t passes;	/* walk/write/checksum: passes, 0 = 1 */
	uint32_t flags;		/* EXOTIC_GUEST_*, EXOTIC_PROBE_* */
	uint64_t vmcb_gpa;	/* vmrun: page-aligned VMCB address */
	uint32_t msr;		/* msr: the MSR to write */
	uint32_t reserved;	/* must be zero */
	uint64_t msr_value;	/* msr: the value */
};

/*
 * Point the vCPU at a built-in program with params (copied into guest
 * memory; the vCPU's previous program is abandoned).  For EXOTIC_GUEST_VMRUN
 * a valid VMCB (L2 = a copy of the vCPU's long-mode state running VMMCALL)
 * is first written through the host mapping at vmcb_gpa, unless
 * EXOTIC_PROBE_NO_INIT; EXOTIC_PROBE_CONTROL selects a VMCB in ordinary
 * memory of the system slot instead of vmcb_gpa.
 * Errors: -EINVAL (bad program or params: the log says which), -ENOENT
 * (vmcb_gpa not in a memslot and EXOTIC_PROBE_NO_INIT not set), -EACCES or
 * -ENXIO (the VMCB would go into a read-only or revoked region, where the
 * host's write would fault: use EXOTIC_PROBE_NO_INIT), KVM's errno.
 */
EXOTIC_EXPORT int exotic_guest_load(struct exotic_vcpu *vcpu,
				    enum exotic_guest_program program,
				    const struct exotic_guest_params *params);
/* "walk", "write", "checksum", "vmrun"; NULL if unknown.  And back (-EINVAL). */
EXOTIC_EXPORT const char *exotic_guest_program_name(unsigned int program);
EXOTIC_EXPORT int exotic_guest_program_from_name(const char *name);
/* "entered", "#GP", "not-entered", "no-svm"; NULL if unknown. */
EXOTIC_EXPORT const char *exotic_probe_result_name(uint64_t result);

/* The stamp the programs use for the word at gpa. */
EXOTIC_EXPORT uint64_t exotic_guest_stamp(uint64_t seed, uint64_t gpa);
/* Host side of the programs: write stamps into the words of hva (which
 * the guest sees at gpa) as EXOTIC_GUEST_WRITE would, count the words that
 * hold their stamp as EXOTIC_GUEST_WALK would (returns the count of
 * matching words, first mismatch gpa in *bad_gpa if non-NULL, else ~0),
 * and compute EXOTIC_GUEST_CHECKSUM.  stride 0 means 4096. */
EXOTIC_EXPORT void exotic_guest_fill(void *hva, uint64_t gpa, size_t len,
				     size_t stride, uint64_t seed);
EXOTIC_EXPORT size_t exotic_guest_verify(const void *hva, uint64_t gpa,
					 size_t len, size_t stride,
					 uint64_t seed, uint64_t *bad_gpa);
EXOTIC_EXPORT uint64_t exotic_guest_checksum(const void *hva, size_t len,
					     size_t stride);

/*
 * KVM's copy path (docs/design.md §6): the guest sends [gpa, gpa + len) to
 * EXOTIC_COPY_PORT with REP OUTSL.  KVM emulates string port I/O and reads
 * the source with kvm_vcpu_read_guest(), i.e. copy_from_user() on the
 * memslot's host mapping, never through an SPTE.  The bytes KVM sent are
 * stored in buf.  gpa and len must be multiples of 4, len at most
 * EXOTIC_COPY_PROBE_MAX.  Runs the vCPU until the probe reports done or
 * something else stops it, described in *exit (e.g. KVM_EXIT_MMIO: KVM
 * could not read the memory and treated it as MMIO).  Returns the number
 * of bytes received (len when the probe completed: exit->ucall is then
 * EXOTIC_UCALL_DONE), or the negative errno of KVM_RUN (-EFAULT, ...) or
 * -EINVAL / -EPROTO.  The vCPU's previous program is abandoned.
 */
#define EXOTIC_COPY_PORT	0xe7e8
#define EXOTIC_COPY_PROBE_MAX	4096
EXOTIC_EXPORT int exotic_guest_copy_probe(struct exotic_vcpu *vcpu,
					  uint64_t gpa, size_t len, void *buf,
					  struct exotic_exit *exit);

#ifdef __cplusplus
}
#endif

#endif /* EXOTIC_KVM_H */
