/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Shared by kvm.c and kvm_guest.c; not installed. */
#ifndef EXOTIC_KVM_INTERNAL_H
#define EXOTIC_KVM_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>

#include "exotic/exotic.h"
#include "guest/abi.h"

#define PAGE_SIZE	4096ULL

/* guest/programs.S */
extern const unsigned char exotic_guest_start[], exotic_guest_end[];
extern const unsigned char exotic_guest_idle[], exotic_guest_walk[];
extern const unsigned char exotic_guest_write[], exotic_guest_checksum_prog[];
extern const unsigned char exotic_guest_vmrun[], exotic_guest_l2[], exotic_guest_msr[],
	exotic_guest_l2_read[];
extern const unsigned char exotic_guest_exc_stubs[];

struct slot {
	bool used;
	bool anon;		/* host memory is ours: munmap on delete */
	uint32_t flags;
	uint64_t gpa;
	uint64_t len;
	void *hva;
	struct exotic_region *region;	/* reference held, or NULL */
};

struct exotic_vm {
	int refcount;
	struct exotic_ctx *ctx;
	int kvm_fd;
	int vm_fd;
	size_t run_size;
	struct kvm_cpuid2 *cpuid;
	uint8_t *sys;		/* the system memslot's memory */
	pthread_mutex_t lock;	/* slots and vcpu_ids */
	uint64_t vcpu_ids;	/* ids ever created (KVM never forgets them) */
	struct slot slots[EXOTIC_VM_MAX_SLOTS];
};

struct exotic_vcpu {
	int refcount;
	struct exotic_vm *vm;
	uint32_t id;
	int fd;
	struct kvm_run *run;
	int program;		/* loaded enum exotic_guest_program, 0: idle */
};

static inline uint64_t sys_gpa(uint64_t off)
{
	return EXOTIC_VM_SYSTEM_GPA + off;
}

static inline uint64_t code_gpa(const unsigned char *sym)
{
	return sys_gpa(SYS_CODE + (uint64_t)(sym - exotic_guest_start));
}

static inline uint64_t vcpu_area(uint32_t id)
{
	return SYS_VCPU + (uint64_t)id * SYS_VCPU_SIZE;
}

static inline void *vcpu_block(struct exotic_vcpu *vcpu)
{
	return vcpu->vm->sys + vcpu_area(vcpu->id) + VCPU_BLOCK;
}

static inline void put64(void *base, uint64_t off, uint64_t v)
{
	memcpy((uint8_t *)base + off, &v, sizeof(v));
}

static inline uint64_t get64(const void *base, uint64_t off)
{
	uint64_t v;

	memcpy(&v, (const uint8_t *)base + off, sizeof(v));
	return v;
}

static inline bool aligned(uint64_t v, uint64_t a)
{
	return !(v & (a - 1));
}

/* The long-mode state every program starts from. */
#define L1_CR0		0x80050033ULL	/* PG AM WP NE ET MP PE */
#define L1_CR4		0x20ULL		/* PAE */
#define L1_EFER		0x500ULL	/* LMA LME */

/* Plain ioctl, errno as a negative value; KVM_RUN's EINTR is not retried. */
static inline int kvm_ioctl(int fd, unsigned long req, void *arg)
{
	int ret = ioctl(fd, req, arg);

	return ret < 0 ? exotic_neg_errno() : ret;
}

/* Complete any pending exit, reload the long-mode state (leaving L2 if a
 * probe stopped there) and set RIP, RSP, RDI/R15 for a program. */
int exotic_vcpu_reset(struct exotic_vcpu *vcpu, uint64_t rip);

/*
 * May the host write the guest page at gpa through its own mapping?  0 if
 * so (or if no region backs it), -EACCES for a region mapped read-only,
 * -ENXIO for a revoked region (the write would fault: SIGSEGV / SIGBUS),
 * or the errno of EXOTIC_IOC_INFO.
 */
int exotic_vm_check_host_write(struct exotic_vm *vm, uint64_t gpa);

#endif /* EXOTIC_KVM_INTERNAL_H */
