// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Host unit tests of the KVM layer, without /dev/kvm: a fake KVM behind
 * the open()/ioctl() hooks of wrap.c answers the ioctls the library makes
 * (its descriptors are memfds, so the kvm_run mmap is real memory), records
 * what it was sent, and plays exits scripted by each test.  Every public
 * function's argument checks and every failing system call are exercised;
 * what the guest programs really do is tested in the VM (tests/vm).
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
#include <dirent.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/kvm.h>
#include <cmocka.h>

#include "exotic/exotic.h"
#include "fakedev.h"
#include "logcap.h"
#include "wrap.h"
#include "guest/abi.h"

#define MiB		(1ULL << 20)
#define RUN_SIZE	12288
#define SYS		EXOTIC_VM_SYSTEM_GPA

/* ------------------------------------------------------------ fake KVM */

enum fk_type { FK_NONE, FK_KVM, FK_VM, FK_VCPU };

typedef int (*run_fn)(struct kvm_run *run, void *data);

static struct {
	bool absent;			/* open("/dev/kvm") fails ENOENT */
	int open_errno;			/* ... or with this errno */
	int api;			/* KVM_GET_API_VERSION */
	int run_size;			/* KVM_GET_VCPU_MMAP_SIZE */
	unsigned int cpuid_nent;	/* entries KVM_GET_SUPPORTED_CPUID needs */
	struct {
		int fd;
		enum fk_type type;
		ino_t ino;
	} fds[64];
	struct kvm_userspace_memory_region regions[64];
	int nr_regions;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	int cpuid_set;
	int runs;
	run_fn run;
	void *run_data;
	int stats_errno;		/* KVM_GET_STATS_FD fails with this */
	bool stats_short;		/* ... or gives a file cut after its header */
	wrap_open_hook next_open;
	wrap_ioctl_hook next_ioctl;
} fk;

static enum fk_type fk_type_of(int fd)
{
	struct stat st;

	if (fd < 0 || fstat(fd, &st))
		return FK_NONE;
	for (size_t i = 0; i < sizeof(fk.fds) / sizeof(fk.fds[0]); i++)
		if (fk.fds[i].type && fk.fds[i].fd == fd && fk.fds[i].ino == st.st_ino)
			return fk.fds[i].type;
	return FK_NONE;
}

static int fk_new_fd(enum fk_type type, off_t size)
{
	int fd = memfd_create("fake-kvm", MFD_CLOEXEC);
	struct stat st;

	if (fd < 0 || (size && ftruncate(fd, size)) || fstat(fd, &st))
		abort();
	for (size_t i = 0; i < sizeof(fk.fds) / sizeof(fk.fds[0]); i++) {
		if (fk.fds[i].type == FK_NONE || fk_type_of(fk.fds[i].fd) == FK_NONE) {
			fk.fds[i].fd = fd;
			fk.fds[i].type = type;
			fk.fds[i].ino = st.st_ino;
			return fd;
		}
	}
	abort();
}

static int fk_open(const char *path, int flags)
{
	(void)flags;
	if (strcmp(path, "/dev/kvm"))
		return fk.next_open ? fk.next_open(path, flags) : WRAP_PASS;
	if (fk.absent || fk.open_errno) {
		errno = fk.absent ? ENOENT : fk.open_errno;
		return -1;
	}
	return fk_new_fd(FK_KVM, 0);
}

static int fk_kvm_run(int fd)
{
	struct kvm_run run;
	int err;

	if (pread(fd, &run, sizeof(run), 0) != sizeof(run))
		abort();
	if (run.immediate_exit) {
		errno = EINTR;
		return -1;
	}
	fk.runs++;
	err = fk.run ? fk.run(&run, fk.run_data) : 0;
	if (!fk.run)
		run.exit_reason = KVM_EXIT_HLT;
	if (pwrite(fd, &run, sizeof(run), 0) != sizeof(run))
		abort();
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}

/*
 * A binary stats file as KVM lays it out (api.rst, KVM_GET_STATS_FD):
 * header, descriptors each followed by its name, data.  The VM has
 * pages_4k, pages_2m and a 4-bucket histogram; a vCPU pf_taken, pf_fixed
 * and exits.
 */
#define FK_NAME_SIZE	48
static int fk_stats_fd(enum fk_type t)
{
	static const struct { const char *name; uint32_t size; uint64_t v[4]; } vm_stats[] = {
		{ "remote_tlb_flush", 1, { 5 } },
		{ "pages_4k", 1, { 7 } },
		{ "pages_2m", 1, { 3 } },
		{ "halt_poll_hist", 4, { 1, 2, 3, 4 } },
	}, vcpu_stats[] = {
		{ "pf_taken", 1, { 10 } },
		{ "pf_fixed", 1, { 9 } },
		{ "exits", 1, { 42 } },
	};
	const __typeof__(vm_stats[0]) *st = t == FK_VM ? vm_stats : vcpu_stats;
	uint32_t n = t == FK_VM ? 4 : 3, off = 0;
	size_t dsize = sizeof(struct kvm_stats_desc) + FK_NAME_SIZE;
	struct kvm_stats_header h = {
		.name_size = FK_NAME_SIZE, .num_desc = n, .id_offset = sizeof(h),
		.desc_offset = sizeof(h) + 64, .data_offset = sizeof(h) + 64 + n * dsize,
	};
	int fd = memfd_create("fake-kvm-stats", MFD_CLOEXEC);

	if (fd < 0 || pwrite(fd, &h, sizeof(h), 0) != sizeof(h))
		abort();
	if (fk.stats_short)
		return fd;
	for (uint32_t i = 0; i < n; i++) {
		uint8_t d[sizeof(struct kvm_stats_desc) + FK_NAME_SIZE] = { 0 };
		struct kvm_stats_desc *sd = (void *)d;

		sd->size = st[i].size;
		sd->offset = off;
		strcpy((char *)d + sizeof(*sd), st[i].name);
		if (pwrite(fd, d, dsize, h.desc_offset + i * dsize) != (ssize_t)dsize ||
		    pwrite(fd, st[i].v, 8 * st[i].size, h.data_offset + off) != 8 * st[i].size)
			abort();
		off += 8 * st[i].size;
	}
	return fd;
}

static int fk_ioctl(int fd, unsigned long req, void *arg)
{
	enum fk_type t = fk_type_of(fd);

	if (t == FK_NONE)
		return fk.next_ioctl ? fk.next_ioctl(fd, req, arg) : WRAP_PASS;
	switch (req) {
	case KVM_GET_API_VERSION:
		return fk.api;
	case KVM_CREATE_VM:
		return fk_new_fd(FK_VM, 0);
	case KVM_GET_VCPU_MMAP_SIZE:
		return fk.run_size;
	case KVM_GET_SUPPORTED_CPUID: {
		struct kvm_cpuid2 *c = arg;

		if (c->nent < fk.cpuid_nent) {
			errno = E2BIG;
			return -1;
		}
		c->nent = 1;
		memset(&c->entries[0], 0, sizeof(c->entries[0]));
		return 0;
	}
	case KVM_SET_USER_MEMORY_REGION:
		if (fk.nr_regions < 64)
			fk.regions[fk.nr_regions++] =
				*(struct kvm_userspace_memory_region *)arg;
		return 0;
	case KVM_CREATE_VCPU:
		return fk_new_fd(FK_VCPU, RUN_SIZE);
	case KVM_SET_CPUID2:
		fk.cpuid_set++;
		return 0;
	case KVM_GET_SREGS:
		memcpy(arg, &fk.sregs, sizeof(fk.sregs));
		return 0;
	case KVM_SET_SREGS:
		memcpy(&fk.sregs, arg, sizeof(fk.sregs));
		return 0;
	case KVM_GET_REGS:
		memcpy(arg, &fk.regs, sizeof(fk.regs));
		return 0;
	case KVM_SET_REGS:
		memcpy(&fk.regs, arg, sizeof(fk.regs));
		return 0;
	case KVM_RUN:
		return fk_kvm_run(fd);
	case KVM_GET_STATS_FD:
		if (fk.stats_errno) {
			errno = fk.stats_errno;
			return -1;
		}
		return fk_stats_fd(t);
	default:
		errno = ENOTTY;
		return -1;
	}
}

static const struct kvm_userspace_memory_region *last_region(void)
{
	assert_true(fk.nr_regions > 0);
	return &fk.regions[fk.nr_regions - 1];
}

static int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	assert_non_null(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* ------------------------------------------------------------ fixtures */

struct fixture {
	struct exotic_ctx *ctx;
	struct exotic_vm *vm;
	struct exotic_vcpu *vcpu;
	struct logcap log;
	int fds;
};

/* The fixture to a depth: a context, a VM in it, or a vCPU in that. */
enum depth { CTX, VM, VCPU };

static int setup_depth(void **state, enum depth depth)
{
	struct fixture *f = calloc(1, sizeof(*f));
	wrap_access_hook access_fn;

	if (!f)
		return -1;
	fakedev_start();
	memset(&fk, 0, sizeof(fk));
	fk.api = KVM_API_VERSION;
	fk.run_size = RUN_SIZE;
	fk.cpuid_nent = 1;
	/* Chain to the fake exotic driver for everything that is not KVM. */
	wrap_get_hooks(&fk.next_open, &fk.next_ioctl, &access_fn);
	wrap_set_hooks(fk_open, fk_ioctl, access_fn);
	wrap_reset();
	if (exotic_new(&f->ctx))
		return -1;
	logcap_attach(f->ctx, &f->log);
	f->fds = open_fds();
	*state = f;
	if (depth >= VM && exotic_vm_new(f->ctx, &f->vm))
		return -1;
	if (depth >= VCPU) {
		if (exotic_vcpu_new(f->vm, 0, &f->vcpu))
			return -1;
		logcap_clear(&f->log);
	}
	return 0;
}

static int setup_ctx(void **state)
{
	return setup_depth(state, CTX);
}

static int setup_vm(void **state)
{
	return setup_depth(state, VM);
}

static int setup_vcpu(void **state)
{
	return setup_depth(state, VCPU);
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	exotic_vcpu_unref(f->vcpu);
	exotic_vm_unref(f->vm);
	exotic_unref(f->ctx);
	wrap_reset();
	/* Nothing the library opened outlives its objects. */
	if (open_fds() != f->fds)
		fprintf(stderr, "fd leak: %d before, %d after\n", f->fds, open_fds());
	assert_int_equal(open_fds(), f->fds);
	fakedev_stop();
	free(f);
	return 0;
}

static void *sys_hva(struct exotic_vm *vm, uint64_t off)
{
	void *p;

	assert_int_equal(exotic_vm_gpa_to_hva(vm, SYS + off, 8, &p), 0);
	return p;
}

static uint64_t sys64(struct exotic_vm *vm, uint64_t off)
{
	uint64_t v;

	memcpy(&v, sys_hva(vm, off), 8);
	return v;
}

/* ------------------------------------------------------------ /dev/kvm */

static void test_available(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(exotic_kvm_available(NULL), -EINVAL);
	assert_int_equal(exotic_kvm_available(f->ctx), 0);

	fk.absent = true;
	assert_int_equal(exotic_kvm_available(f->ctx), -ENOENT);
	assert_true(logcap_has(&f->log, "modprobe kvm_amd"));
	fk.absent = false;

	fk.open_errno = EACCES;
	assert_int_equal(exotic_kvm_available(f->ctx), -EACCES);
	assert_true(logcap_has(&f->log, "group kvm"));
	fk.open_errno = EIO;
	assert_int_equal(exotic_kvm_available(f->ctx), -EIO);
	fk.open_errno = 0;

	fk.api = 11;
	assert_int_equal(exotic_kvm_available(f->ctx), -EPROTO);
	assert_true(logcap_has(&f->log, "API 11"));
	fk.api = KVM_API_VERSION;
	wrap_fail_ioctl(KVM_GET_API_VERSION, 0, EIO);
	assert_int_equal(exotic_kvm_available(f->ctx), -EIO);
}

/* ------------------------------------------------------------------ VM */

static void test_vm_new_layout(void **state)
{
	struct fixture *f = *state;
	struct exotic_vm *vm;
	const struct kvm_userspace_memory_region *r;
	uint64_t gpa = 5 * (1ULL << 30) + 7 * (2 * MiB);	/* 5 GiB + 14 MiB */
	uint64_t pde, idt_lo, idt_hi, off;

	assert_int_equal(exotic_vm_new(NULL, &vm), -EINVAL);
	assert_int_equal(exotic_vm_new(f->ctx, NULL), -EINVAL);
	assert_int_equal(exotic_vm_new(f->ctx, &vm), 0);
	assert_int_equal(exotic_vm_get_fd(vm) >= 0, 1);
	assert_int_equal(exotic_vm_get_fd(NULL), -EINVAL);
	assert_ptr_equal(exotic_vm_get_ctx(vm), f->ctx);
	assert_null(exotic_vm_get_ctx(NULL));

	/* The system slot. */
	r = last_region();
	assert_int_equal(r->slot, EXOTIC_VM_SYSTEM_SLOT);
	assert_int_equal(r->guest_phys_addr, SYS);
	assert_int_equal(r->memory_size, EXOTIC_VM_SYSTEM_SIZE);
	assert_int_equal(r->flags, 0);

	/* Identity map: PML4 -> PDPT -> PD, 2 MiB pages. */
	assert_int_equal(sys64(vm, SYS_PML4), (SYS + SYS_PDPT) | 3);
	assert_int_equal(sys64(vm, SYS_PDPT + 5 * 8), (SYS + SYS_PD + 5 * 4096) | 3);
	pde = sys64(vm, SYS_PD + 5 * 4096 + 7 * 8);
	assert_int_equal(pde & ~0xfffULL, gpa);
	assert_int_equal(pde & 0xfff, 0x83);	/* P RW PS */

	/* GDT code segment is 64-bit; IDT #GP goes to the 14th stub. */
	assert_int_equal(sys64(vm, SYS_GDT + SEL_CODE), 0x00af9b000000ffffULL);
	idt_lo = sys64(vm, SYS_IDT + 13 * 16);
	idt_hi = sys64(vm, SYS_IDT + 13 * 16 + 8);
	off = (idt_lo & 0xffff) | ((idt_lo >> 48) << 16) | (idt_hi << 32);
	assert_true(off > SYS + SYS_CODE && off < SYS + SYS_CODE + SYS_CODE_MAX);
	assert_int_equal((idt_lo >> 16) & 0xffff, SEL_CODE);
	assert_int_equal((idt_lo >> 40) & 0xff, 0x8e);
	/* The stubs are 16 bytes apart. */
	idt_lo = sys64(vm, SYS_IDT + 14 * 16);
	assert_int_equal((idt_lo & 0xffff) - (off & 0xffff), 16);

	/* Ref and unref. */
	assert_ptr_equal(exotic_vm_ref(vm), vm);
	assert_null(exotic_vm_unref(vm));
	assert_null(exotic_vm_unref(vm));
	assert_null(exotic_vm_ref(NULL));
	assert_null(exotic_vm_unref(NULL));
}

static void expect_vm_new_fails(struct fixture *f, int err, const char *log)
{
	struct exotic_vm *vm = (void *)1;

	logcap_clear(&f->log);
	assert_int_equal(exotic_vm_new(f->ctx, &vm), err);
	assert_null(vm);
	assert_false(wrap_pending());
	if (log && !logcap_has(&f->log, log))
		fail_msg("log lacks '%s': %s", log, f->log.text);
	assert_int_equal(open_fds(), f->fds);
}

static void test_vm_new_failures(void **state)
{
	struct fixture *f = *state;

	wrap_fail("calloc", 0, ENOMEM);
	expect_vm_new_fails(f, -ENOMEM, NULL);
	fk.absent = true;
	expect_vm_new_fails(f, -ENOENT, "no /dev/kvm");
	fk.absent = false;
	wrap_fail_ioctl(KVM_CREATE_VM, 0, ENOMEM);
	expect_vm_new_fails(f, -ENOMEM, "KVM_CREATE_VM");
	wrap_fail_ioctl(KVM_GET_VCPU_MMAP_SIZE, 0, EIO);
	expect_vm_new_fails(f, -EIO, "KVM_GET_VCPU_MMAP_SIZE");
	fk.run_size = 16;
	expect_vm_new_fails(f, -EPROTO, NULL);
	fk.run_size = RUN_SIZE;
	wrap_fail_ioctl(KVM_GET_SUPPORTED_CPUID, 0, EIO);
	expect_vm_new_fails(f, -EIO, "KVM_GET_SUPPORTED_CPUID");
	fk.cpuid_nent = 100000;
	expect_vm_new_fails(f, -E2BIG, NULL);
	fk.cpuid_nent = 1;
	wrap_fail("calloc", 1, ENOMEM);		/* the CPUID buffer */
	expect_vm_new_fails(f, -ENOMEM, NULL);
	wrap_fail("mmap", 0, ENOMEM);
	expect_vm_new_fails(f, -ENOMEM, "system memslot");
	wrap_fail_ioctl(KVM_SET_USER_MEMORY_REGION, 0, EINVAL);
	expect_vm_new_fails(f, -EINVAL, "system memslot");
}

/* KVM_GET_SUPPORTED_CPUID's E2BIG makes the library ask again, bigger. */
static void test_vm_new_cpuid_grows(void **state)
{
	struct fixture *f = *state;
	struct exotic_vm *vm;

	fk.cpuid_nent = 200;
	assert_int_equal(exotic_vm_new(f->ctx, &vm), 0);
	assert_int_equal(wrap_calls("ioctl") >= 4, 1);
	exotic_vm_unref(vm);
}

/* ------------------------------------------------------------ memslots */

static void test_add_slot_args(void **state)
{
	struct fixture *f = *state;
	struct exotic_vm *vm = f->vm;
	void *mem = mmap(NULL, 4 * MiB, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int n;

	assert_true(mem != MAP_FAILED);
	assert_int_equal(exotic_vm_add_slot(NULL, 0, 0, mem, MiB, 0), -EINVAL);
	assert_int_equal(exotic_vm_add_slot(vm, EXOTIC_VM_MAX_SLOTS, 0, mem, MiB, 0), -EINVAL);
	assert_true(logcap_has(&f->log, "slots are 0..31"));
	assert_int_equal(exotic_vm_add_slot(vm, 0, 0, mem, MiB, 1U << 7), -EINVAL);
	assert_true(logcap_has(&f->log, "unknown flags 0x80"));
	assert_int_equal(exotic_vm_add_slot(vm, 0, 0, NULL, MiB, 0), -EINVAL);
	assert_int_equal(exotic_vm_add_slot(vm, 0, 0, (uint8_t *)mem + 8, MiB, 0), -EINVAL);
	assert_int_equal(exotic_vm_add_slot(vm, 0, 0x800, mem, MiB, 0), -EINVAL);
	assert_int_equal(exotic_vm_add_slot(vm, 0, 0, mem, 100, 0), -EINVAL);
	assert_int_equal(exotic_vm_add_slot(vm, 0, 0, mem, 0, 0), -EINVAL);
	assert_int_equal(exotic_vm_add_slot(vm, 0, EXOTIC_GUEST_MAPPED_LIMIT - MiB, mem,
					    2 * MiB, 0), -EINVAL);
	assert_true(logcap_has(&f->log, "identity map"));
	assert_int_equal(exotic_vm_add_slot(vm, 0, EXOTIC_GUEST_MAPPED_LIMIT, mem, MiB, 0),
			 -EINVAL);
	assert_int_equal(exotic_vm_add_slot(vm, 0, SYS - MiB, mem, 2 * MiB, 0), -EINVAL);
	assert_true(logcap_has(&f->log, "system range"));
	/* None of that reached KVM. */
	n = fk.nr_regions;

	assert_int_equal(exotic_vm_add_slot(vm, 3, 16 * MiB, mem, 2 * MiB,
					    EXOTIC_SLOT_READONLY | EXOTIC_SLOT_DIRTY_LOG), 0);
	assert_int_equal(fk.nr_regions, n + 1);
	assert_int_equal(last_region()->slot, 3);
	assert_int_equal(last_region()->guest_phys_addr, 16 * MiB);
	assert_int_equal(last_region()->memory_size, 2 * MiB);
	assert_int_equal(last_region()->userspace_addr, (uintptr_t)mem);
	assert_int_equal(last_region()->flags, KVM_MEM_READONLY | KVM_MEM_LOG_DIRTY_PAGES);

	assert_int_equal(exotic_vm_add_slot(vm, 3, 64 * MiB, mem, MiB, 0), -EEXIST);
	assert_true(logcap_has(&f->log, "slot 3 is in use"));
	assert_int_equal(exotic_vm_add_slot(vm, 4, 17 * MiB, mem, MiB, 0), -EEXIST);
	assert_true(logcap_has(&f->log, "overlaps slot 3"));
	assert_int_equal(exotic_vm_add_slot(vm, 4, 15 * MiB, mem, 2 * MiB, 0), -EEXIST);
	/* Touching ranges do not overlap. */
	assert_int_equal(exotic_vm_add_slot(vm, 4, 18 * MiB, mem, MiB, 0), 0);
	assert_int_equal(exotic_vm_add_slot(vm, 5, 15 * MiB, mem, MiB, 0), 0);

	/* KVM refuses: the error comes back and the slot stays free. */
	wrap_fail_ioctl(KVM_SET_USER_MEMORY_REGION, 0, EINVAL);
	assert_int_equal(exotic_vm_add_slot(vm, 6, 32 * MiB, mem, MiB, 0), -EINVAL);
	assert_true(logcap_has(&f->log, "KVM_SET_USER_MEMORY_REGION"));
	assert_int_equal(exotic_vm_add_slot(vm, 6, 32 * MiB, mem, MiB, 0), 0);
	assert_int_equal(exotic_vm_delete_slot(vm, 6), 0);
	munmap(mem, 4 * MiB);
}

static void test_anon_slot(void **state)
{
	struct fixture *f = *state;
	struct exotic_vm *vm = f->vm;
	void *hva = NULL, *p;

	assert_int_equal(exotic_vm_add_anon_slot(NULL, 0, 0, MiB, 0, &hva), -EINVAL);
	assert_int_equal(exotic_vm_add_anon_slot(vm, 0, 0, 0, 0, &hva), -EINVAL);
	assert_int_equal(exotic_vm_add_anon_slot(vm, 0, 0, 5000, 0, &hva), -EINVAL);
	wrap_fail("mmap", 0, ENOMEM);
	assert_int_equal(exotic_vm_add_anon_slot(vm, 0, 0, MiB, 0, &hva), -ENOMEM);
	assert_true(logcap_has(&f->log, "cannot map"));
	/* A refused slot gives its memory back. */
	wrap_reset();
	assert_int_equal(exotic_vm_add_anon_slot(vm, 0, SYS, MiB, 0, &hva), -EINVAL);
	assert_int_equal(wrap_calls("munmap"), 1);

	assert_int_equal(exotic_vm_add_anon_slot(vm, 0, 0, MiB, 0, &hva), 0);
	assert_non_null(hva);
	assert_int_equal(((uint8_t *)hva)[MiB - 1], 0);
	assert_int_equal(exotic_vm_gpa_to_hva(vm, 4096, 8, &p), 0);
	assert_ptr_equal(p, (uint8_t *)hva + 4096);
	assert_int_equal(exotic_vm_add_anon_slot(vm, 1, 2 * MiB, MiB, 0, NULL), 0);
	wrap_reset();
	assert_int_equal(exotic_vm_delete_slot(vm, 0), 0);
	assert_int_equal(wrap_calls("munmap"), 1);
	assert_int_equal(last_region()->memory_size, 0);
	assert_int_equal(last_region()->slot, 0);
}

static void test_move_delete(void **state)
{
	struct fixture *f = *state;
	struct exotic_vm *vm = f->vm;
	void *hva, *p;

	assert_int_equal(exotic_vm_move_slot(NULL, 0, 0), -EINVAL);
	assert_int_equal(exotic_vm_move_slot(vm, 99, 0), -EINVAL);
	assert_int_equal(exotic_vm_move_slot(vm, 0, 0), -ENOENT);
	assert_true(logcap_has(&f->log, "slot 0 is not in use"));
	assert_int_equal(exotic_vm_delete_slot(NULL, 0), -EINVAL);
	assert_int_equal(exotic_vm_delete_slot(vm, 99), -EINVAL);
	assert_int_equal(exotic_vm_delete_slot(vm, 0), -ENOENT);

	assert_int_equal(exotic_vm_add_anon_slot(vm, 0, 0, MiB, 0, &hva), 0);
	assert_int_equal(exotic_vm_add_anon_slot(vm, 1, 8 * MiB, MiB, 0, NULL), 0);
	assert_int_equal(exotic_vm_move_slot(vm, 0, 8 * MiB), -EEXIST);
	assert_int_equal(exotic_vm_move_slot(vm, 0, 4097), -EINVAL);
	assert_int_equal(exotic_vm_move_slot(vm, 0, SYS), -EINVAL);
	/* Moving onto its own old range is fine. */
	assert_int_equal(exotic_vm_move_slot(vm, 0, MiB / 2), 0);
	assert_int_equal(last_region()->guest_phys_addr, MiB / 2);
	assert_int_equal(last_region()->userspace_addr, (uintptr_t)hva);
	assert_int_equal(exotic_vm_gpa_to_hva(vm, MiB / 2, 8, &p), 0);
	assert_ptr_equal(p, hva);
	assert_int_equal(exotic_vm_gpa_to_hva(vm, 0, 8, &p), -ENOENT);

	/* KVM refuses the move: the slot stays where it was. */
	wrap_fail_ioctl(KVM_SET_USER_MEMORY_REGION, 0, EIO);
	assert_int_equal(exotic_vm_move_slot(vm, 0, 32 * MiB), -EIO);
	assert_int_equal(exotic_vm_gpa_to_hva(vm, MiB / 2, 8, &p), 0);
	/* ... and refuses the delete: the slot stays. */
	wrap_fail_ioctl(KVM_SET_USER_MEMORY_REGION, 0, EIO);
	assert_int_equal(exotic_vm_delete_slot(vm, 0), -EIO);
	assert_true(logcap_has(&f->log, "delete"));
	assert_int_equal(exotic_vm_gpa_to_hva(vm, MiB / 2, 8, &p), 0);
	assert_int_equal(exotic_vm_delete_slot(vm, 0), 0);
	assert_int_equal(exotic_vm_gpa_to_hva(vm, MiB / 2, 8, &p), -ENOENT);
}

static void test_gpa_to_hva(void **state)
{
	struct fixture *f = *state;
	struct exotic_vm *vm = f->vm;
	void *hva, *p;

	assert_int_equal(exotic_vm_gpa_to_hva(NULL, 0, 8, &p), -EINVAL);
	assert_int_equal(exotic_vm_gpa_to_hva(vm, 0, 8, NULL), -EINVAL);
	assert_int_equal(exotic_vm_gpa_to_hva(vm, ~0ULL, 8, &p), -EINVAL);
	assert_int_equal(exotic_vm_gpa_to_hva(vm, SYS + EXOTIC_VM_SYSTEM_SIZE - 4, 8, &p),
			 -ENOENT);
	assert_int_equal(exotic_vm_gpa_to_hva(vm, SYS, EXOTIC_VM_SYSTEM_SIZE, &p), 0);
	assert_int_equal(exotic_vm_add_anon_slot(vm, 2, MiB, MiB, 0, &hva), 0);
	assert_int_equal(exotic_vm_gpa_to_hva(vm, 2 * MiB - 8, 8, &p), 0);
	assert_ptr_equal(p, (uint8_t *)hva + MiB - 8);
	assert_int_equal(exotic_vm_gpa_to_hva(vm, 2 * MiB - 8, 16, &p), -ENOENT);
	assert_int_equal(exotic_vm_gpa_to_hva(vm, MiB - 8, 16, &p), -ENOENT);
}

static void test_region_slot(void **state)
{
	struct fixture *f = *state;
	struct exotic_device *dev;
	struct exotic_region *region;
	struct exotic_region_params rp = {
		.kind = EXOTIC_KIND_REFCOUNTED, .method = EXOTIC_MAP_FAULT,
		.length = 2 * MiB, .map_flags = EXOTIC_REGION_NOMAP,
	};

	assert_int_equal(exotic_vm_add_region_slot(NULL, 0, 0, NULL, 0), -EINVAL);
	assert_int_equal(exotic_vm_add_region_slot(f->vm, 0, 0, NULL, 0), -EINVAL);
	assert_int_equal(exotic_device_open_path(f->ctx, FAKEDEV_PATH, &dev), 0);
	assert_int_equal(exotic_region_new(dev, &rp, &region), 0);
	assert_int_equal(exotic_vm_add_region_slot(f->vm, 0, 0, region, 0), -EINVAL);
	assert_true(logcap_has(&f->log, "is not mapped"));
	assert_int_equal(exotic_region_map(region, 0), 0);
	/* Refused by the library: no reference kept. */
	assert_int_equal(exotic_vm_add_region_slot(f->vm, 0, SYS, region, 0), -EINVAL);
	assert_int_equal(exotic_vm_add_region_slot(f->vm, 0, 0, region, 0), 0);
	assert_int_equal(last_region()->userspace_addr, (uintptr_t)exotic_region_addr(region));
	assert_int_equal(last_region()->memory_size, 2 * MiB);
	/* The slot holds a reference: the region outlives our unref. */
	exotic_region_unref(region);
	assert_int_equal(fakedev_live_regions(), 1);
	assert_int_equal(exotic_vm_delete_slot(f->vm, 0), 0);
	assert_int_equal(fakedev_live_regions(), 0);
	exotic_device_unref(dev);
}

/* The VMRUN probe never writes its VMCB where the host would fault. */
static void test_vmcb_region_checks(void **state)
{
	struct fixture *f = *state;
	struct exotic_device *dev;
	struct exotic_region *ro, *rw;
	struct exotic_region_params rp = {
		.kind = EXOTIC_KIND_REFCOUNTED, .method = EXOTIC_MAP_FAULT,
		.length = 2 * MiB, .prot = PROT_READ,
	};
	struct exotic_guest_params p = { .vmcb_gpa = 4096 };

	assert_int_equal(exotic_device_open_path(f->ctx, FAKEDEV_PATH, &dev), 0);
	assert_int_equal(exotic_region_new(dev, &rp, &ro), 0);
	rp.prot = 0;
	assert_int_equal(exotic_region_new(dev, &rp, &rw), 0);
	assert_int_equal(exotic_vm_add_region_slot(f->vm, 0, 0, ro, EXOTIC_SLOT_READONLY), 0);
	assert_int_equal(exotic_vm_add_region_slot(f->vm, 1, 2 * MiB, rw, 0), 0);

	assert_int_equal(exotic_guest_load(f->vcpu, EXOTIC_GUEST_VMRUN, &p), -EACCES);
	assert_true(logcap_has(&f->log, "read-only"));
	p.flags = EXOTIC_PROBE_NO_INIT;
	assert_int_equal(exotic_guest_load(f->vcpu, EXOTIC_GUEST_VMRUN, &p), 0);

	p = (struct exotic_guest_params){ .vmcb_gpa = 2 * MiB + 4096 };
	assert_int_equal(exotic_guest_load(f->vcpu, EXOTIC_GUEST_VMRUN, &p), 0);
	assert_int_equal(exotic_region_revoke(rw, NULL), 0);
	assert_int_equal(exotic_guest_load(f->vcpu, EXOTIC_GUEST_VMRUN, &p), -ENXIO);
	assert_true(logcap_has(&f->log, "revoked"));
	wrap_fail_ioctl(EXOTIC_IOC_INFO, 0, EIO);
	assert_int_equal(exotic_guest_load(f->vcpu, EXOTIC_GUEST_VMRUN, &p), -EIO);

	exotic_region_unref(ro);
	exotic_region_unref(rw);
	exotic_device_unref(dev);
}

static void test_epochs(void **state)
{
	struct fixture *f = *state;
	struct exotic_vm *vm = f->vm;

	assert_int_equal(exotic_vm_publish_epoch(NULL, 1), -EINVAL);
	assert_int_equal(exotic_vm_done_epoch(NULL), 0);
	exotic_vm_set_stop(NULL, true);
	assert_int_equal(exotic_vm_done_epoch(vm), 0);
	assert_int_equal(exotic_vm_publish_epoch(vm, 3), 0);
	assert_int_equal(exotic_vm_publish_epoch(vm, 3), 0);
	assert_int_equal(exotic_vm_publish_epoch(vm, 2), -EINVAL);
	assert_true(logcap_has(&f->log, "only grows"));
	assert_int_equal(exotic_vm_done_epoch(vm), 3);
	/* Where the guest reads them. */
	assert_int_equal(sys64(vm, SYS_CTRL + CTRL_DONE_EPOCH), 3);
	exotic_vm_set_stop(vm, true);
	assert_int_equal(sys64(vm, SYS_CTRL + CTRL_STOP), 1);
	exotic_vm_set_stop(vm, false);
	assert_int_equal(sys64(vm, SYS_CTRL + CTRL_STOP), 0);
}

/* --------------------------------------------------------------- vCPUs */

static void test_vcpu_new(void **state)
{
	struct fixture *f = *state;
	struct exotic_vcpu *vcpu, *other;
	uint64_t area = SYS + SYS_VCPU + 2 * SYS_VCPU_SIZE;

	assert_int_equal(exotic_vcpu_new(NULL, 0, &vcpu), -EINVAL);
	assert_int_equal(exotic_vcpu_new(f->vm, 0, NULL), -EINVAL);
	assert_int_equal(exotic_vcpu_new(f->vm, EXOTIC_VM_MAX_VCPUS, &vcpu), -EINVAL);
	assert_int_equal(exotic_vcpu_new(f->vm, 2, &vcpu), 0);
	assert_int_equal(fk.cpuid_set, 1);
	assert_int_equal(exotic_vcpu_get_id(vcpu), 2);
	assert_ptr_equal(exotic_vcpu_get_vm(vcpu), f->vm);
	assert_true(exotic_vcpu_get_fd(vcpu) >= 0);
	assert_int_equal(exotic_vcpu_get_fd(NULL), -EINVAL);
	assert_int_equal(exotic_vcpu_get_id(NULL), 0);
	assert_null(exotic_vcpu_get_vm(NULL));

	/* Long mode from the first instruction. */
	assert_int_equal(fk.sregs.cr0 & 0x80000001, 0x80000001);
	assert_int_equal(fk.sregs.cr4 & 0x20, 0x20);
	assert_int_equal(fk.sregs.efer & 0x500, 0x500);
	assert_int_equal(fk.sregs.cr3, SYS + SYS_PML4);
	assert_int_equal(fk.sregs.cs.l, 1);
	assert_int_equal(fk.sregs.cs.selector, SEL_CODE);
	assert_int_equal(fk.sregs.ss.selector, SEL_DATA);
	assert_int_equal(fk.sregs.tr.selector, SEL_TSS);
	assert_int_equal(fk.sregs.idt.base, SYS + SYS_IDT);
	/* In its own area, at the idle loop. */
	assert_int_equal(fk.regs.rsp, area + VCPU_STACK_TOP);
	assert_int_equal(fk.regs.rdi, area + VCPU_BLOCK);
	assert_int_equal(fk.regs.r15, area + VCPU_BLOCK);
	assert_true(fk.regs.rip >= SYS + SYS_CODE && fk.regs.rip < SYS + SYS_CODE + SYS_CODE_MAX);
	assert_int_equal(fk.regs.rflags, 2);

	/* KVM never forgets a vCPU id, nor do we. */
	assert_int_equal(exotic_vcpu_new(f->vm, 2, &other), -EEXIST);
	assert_null(other);
	assert_true(logcap_has(&f->log, "already exists"));

	/* The vCPU keeps the VM alive. */
	assert_ptr_equal(exotic_vcpu_ref(vcpu), vcpu);
	assert_null(exotic_vcpu_unref(vcpu));
	exotic_vm_unref(f->vm);
	f->vm = NULL;
	assert_int_equal(exotic_vm_publish_epoch(exotic_vcpu_get_vm(vcpu), 1), 0);
	assert_null(exotic_vcpu_unref(vcpu));
	assert_null(exotic_vcpu_ref(NULL));
	assert_null(exotic_vcpu_unref(NULL));
}

static void test_vcpu_new_failures(void **state)
{
	struct fixture *f = *state;
	struct exotic_vcpu *vcpu = (void *)1;
	struct {
		const char *fn;
		unsigned long req;
		int err;
		const char *log;
	} cases[] = {
		{ "calloc", 0, ENOMEM, NULL },
		{ "ioctl", KVM_CREATE_VCPU, EMFILE, "KVM_CREATE_VCPU" },
		{ "mmap", 0, ENOMEM, "kvm_run" },
		{ "ioctl", KVM_SET_CPUID2, EINVAL, "KVM_SET_CPUID2" },
		{ "ioctl", KVM_GET_SREGS, EIO, "long mode" },
		{ "ioctl", KVM_SET_SREGS, EINVAL, "long mode" },
		{ "ioctl", KVM_SET_REGS, EINVAL, "long mode" },
	};

	for (uint32_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		logcap_clear(&f->log);
		if (cases[i].req)
			wrap_fail_ioctl(cases[i].req, 0, cases[i].err);
		else
			wrap_fail(cases[i].fn, 0, cases[i].err);
		assert_int_equal(exotic_vcpu_new(f->vm, i, &vcpu), -cases[i].err);
		assert_null(vcpu);
		assert_false(wrap_pending());
		if (cases[i].log && !logcap_has(&f->log, cases[i].log))
			fail_msg("case %u: log lacks '%s': %s", i, cases[i].log, f->log.text);
		assert_int_equal(open_fds(), f->fds + 2);	/* kvm + vm fds */
	}
}

/* ----------------------------------------------------------------- run */

struct script {
	uint32_t reason;
	uint16_t port;
	uint8_t dir;
	int err;
	struct exotic_vm *vm;
	uint32_t vcpu_id;
	uint64_t uc_type, uc_nargs, uc_line, uc_file;
	uint64_t args[8];
};

static int play(struct kvm_run *run, void *data)
{
	struct script *s = data;
	uint64_t b = SYS_VCPU + s->vcpu_id * SYS_VCPU_SIZE + VCPU_BLOCK;
	uint8_t *blk;

	if (s->err)
		return s->err;
	run->exit_reason = s->reason;
	switch (s->reason) {
	case KVM_EXIT_IO:
		run->io.port = s->port;
		run->io.direction = s->dir;
		run->io.size = 4;
		blk = sys_hva(s->vm, b);
		memcpy(blk + B_UC_TYPE, &s->uc_type, 8);
		memcpy(blk + B_UC_NARGS, &s->uc_nargs, 8);
		memcpy(blk + B_UC_LINE, &s->uc_line, 8);
		memcpy(blk + B_UC_FILE, &s->uc_file, 8);
		memcpy(blk + B_UC_ARGS, s->args, sizeof(s->args));
		break;
	case KVM_EXIT_MMIO:
		run->mmio.phys_addr = 0x1234000;
		run->mmio.len = 8;
		run->mmio.is_write = 1;
		break;
	case KVM_EXIT_FAIL_ENTRY:
		run->fail_entry.hardware_entry_failure_reason = 0x42;
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		run->internal.suberror = 3;
		break;
	}
	return 0;
}

static void run_script(struct fixture *f, struct script *s, struct exotic_exit *exit,
		       int expect)
{
	s->vm = f->vm;
	fk.regs.rip = 0xabc;
	fk.run = play;
	fk.run_data = s;
	assert_int_equal(exotic_vcpu_run(f->vcpu, exit), expect);
}

static void test_run_ucalls(void **state)
{
	struct fixture *f = *state;
	struct exotic_exit exit;
	struct script s = {
		.reason = KVM_EXIT_IO, .port = EXOTIC_UCALL_PORT, .dir = KVM_EXIT_IO_OUT,
		.uc_type = EXOTIC_UCALL_DONE, .uc_nargs = 2, .args = { 7, 9 },
	};
	char buf[256], *file;

	assert_int_equal(exotic_vcpu_run(NULL, &exit), -EINVAL);
	assert_int_equal(exotic_vcpu_run(f->vcpu, NULL), -EINVAL);

	run_script(f, &s, &exit, 0);
	assert_int_equal(exit.reason, KVM_EXIT_IO);
	assert_int_equal(exit.ucall, EXOTIC_UCALL_DONE);
	assert_int_equal(exit.nargs, 2);
	assert_int_equal(exit.args[0], 7);
	assert_int_equal(exit.args[1], 9);
	assert_string_equal(exotic_exit_describe(&exit, buf, sizeof(buf)),
			    "ucall done {0x7, 0x9}");

	/* Assert: file and line, the file string only from the code copy. */
	file = sys_hva(f->vm, SYS_CODE + SYS_CODE_MAX - 256);
	strcpy(file, "guest.S");
	s.uc_type = EXOTIC_UCALL_ASSERT;
	s.uc_line = 77;
	s.uc_file = SYS + SYS_CODE + SYS_CODE_MAX - 256;
	s.uc_nargs = 100;	/* clamped */
	run_script(f, &s, &exit, 0);
	assert_int_equal(exit.ucall, EXOTIC_UCALL_ASSERT);
	assert_string_equal(exit.file, "guest.S");
	assert_int_equal(exit.line, 77);
	assert_int_equal(exit.nargs, EXOTIC_UCALL_MAX_ARGS);
	exotic_exit_describe(&exit, buf, sizeof(buf));
	assert_non_null(strstr(buf, "ucall assert at guest.S:77 {0x7, 0x9, 0x0"));
	s.uc_file = 0x1000;
	run_script(f, &s, &exit, 0);
	assert_string_equal(exit.file, "?");
	s.uc_file = SYS + SYS_CODE + SYS_CODE_MAX - 8;	/* too close to the end */
	run_script(f, &s, &exit, 0);
	assert_string_equal(exit.file, "?");

	/* An unknown ucall type, or IN on the port, is plain port I/O. */
	s.uc_type = 99;
	run_script(f, &s, &exit, 0);
	assert_int_equal(exit.ucall, EXOTIC_UCALL_NONE);
	assert_int_equal(exit.io_port, EXOTIC_UCALL_PORT);
	assert_int_equal(exit.rip, 0xabc);
	s.uc_type = EXOTIC_UCALL_SYNC;
	s.dir = KVM_EXIT_IO_IN;
	run_script(f, &s, &exit, 0);
	assert_int_equal(exit.ucall, EXOTIC_UCALL_NONE);
	assert_int_equal(exit.io_out, 0);
	s.port = 0x3f8;
	s.dir = KVM_EXIT_IO_OUT;
	run_script(f, &s, &exit, 0);
	assert_int_equal(exit.ucall, EXOTIC_UCALL_NONE);
	assert_string_equal(exotic_exit_describe(&exit, buf, sizeof(buf)),
			    "exit io out port 0x3f8/4 at rip 0xabc");
}

static void test_run_exits(void **state)
{
	/* exits described by their name and rip alone */
	static const struct { uint32_t reason; const char *text; } plain[] = {
		{ KVM_EXIT_SHUTDOWN, "exit shutdown at rip 0xabc" },
		{ KVM_EXIT_INTR, "exit intr at rip 0xabc" },
		{ KVM_EXIT_SYSTEM_EVENT, "exit system-event at rip 0xabc" },
		{ 1000, "exit 1000 at rip 0xabc" },
	};
	struct fixture *f = *state;
	struct exotic_exit exit;
	struct script s = { .reason = KVM_EXIT_MMIO };
	char buf[256];

	run_script(f, &s, &exit, 0);
	assert_int_equal(exit.reason, KVM_EXIT_MMIO);
	assert_int_equal(exit.mmio_addr, 0x1234000);
	assert_int_equal(exit.mmio_write, 1);
	assert_string_equal(exotic_exit_describe(&exit, buf, sizeof(buf)),
			    "exit mmio write 0x1234000/8 at rip 0xabc");

	s.reason = KVM_EXIT_FAIL_ENTRY;
	run_script(f, &s, &exit, 0);
	assert_int_equal(exit.hw_reason, 0x42);
	assert_string_equal(exotic_exit_describe(&exit, buf, sizeof(buf)),
			    "exit fail-entry hw reason 0x42");
	s.reason = KVM_EXIT_INTERNAL_ERROR;
	run_script(f, &s, &exit, 0);
	assert_int_equal(exit.suberror, 3);
	assert_string_equal(exotic_exit_describe(&exit, buf, sizeof(buf)),
			    "exit internal-error suberror 3 at rip 0xabc");
	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
		s.reason = plain[i].reason;
		run_script(f, &s, &exit, 0);
		assert_string_equal(exotic_exit_describe(&exit, buf, sizeof(buf)), plain[i].text);
	}
	/* KVM_GET_REGS failing only loses the rip. */
	s.reason = KVM_EXIT_HLT;
	wrap_fail_ioctl(KVM_GET_REGS, 0, EIO);
	run_script(f, &s, &exit, 0);
	assert_int_equal(exit.reason, KVM_EXIT_HLT);
	assert_int_equal(exit.rip, 0);
	assert_string_equal(exotic_exit_describe(&exit, buf, sizeof(buf)),
			    "exit hlt at rip 0x0");

	/* KVM_RUN's errors come back as they are, exit says unknown. */
	s.err = EFAULT;
	run_script(f, &s, &exit, -EFAULT);
	assert_int_equal(exit.reason, KVM_EXIT_UNKNOWN);
	assert_int_equal(exit.ucall, EXOTIC_UCALL_NONE);
	assert_int_equal(exit.access_gpa, EXOTIC_NO_GPA);	/* no program */
	assert_string_equal(exotic_exit_describe(&exit, buf, sizeof(buf)),
			    "exit unknown at rip 0xabc");
	s.err = EINTR;
	run_script(f, &s, &exit, -EINTR);
	/* A failing KVM_GET_REGS only loses the location. */
	s.err = EFAULT;
	wrap_fail_ioctl(KVM_GET_REGS, 0, EIO);
	run_script(f, &s, &exit, -EFAULT);
	assert_int_equal(exit.rip, 0);

	/* A range program's cursor (%rsi) is the gpa it was accessing. */
	{
		struct exotic_guest_params p = { .gpa = 16 * MiB, .len = MiB };

		assert_int_equal(exotic_guest_load(f->vcpu, EXOTIC_GUEST_WALK, &p), 0);
		fk.regs.rsi = 16 * MiB + 4096;
		fk.regs.r11 = 512;
		fk.regs.r12 = 3;
		fk.regs.r13 = 1;
		run_script(f, &s, &exit, -EFAULT);
		assert_int_equal(exit.access_gpa, 16 * MiB + 4096);
		/* and its counters: stamped words, in-flight poison, detections */
		assert_int_equal(exit.progress[0], 512);
		assert_int_equal(exit.progress[1], 3);
		assert_int_equal(exit.progress[2], 1);
		assert_string_equal(exotic_exit_describe(&exit, buf, sizeof(buf)),
				    "exit unknown at rip 0xabc accessing gpa 0x1001000");
		p = (struct exotic_guest_params){ .flags = EXOTIC_PROBE_CONTROL };
		assert_int_equal(exotic_guest_load(f->vcpu, EXOTIC_GUEST_VMRUN, &p), 0);
		run_script(f, &s, &exit, -EFAULT);
		assert_int_equal(exit.access_gpa, EXOTIC_NO_GPA);
		assert_int_equal(exit.progress[0], 0);
	}

	/* describe's corner cases */
	assert_null(exotic_exit_describe(&exit, NULL, 10));
	assert_string_equal(exotic_exit_describe(NULL, buf, sizeof(buf)), "(no exit)");
	assert_ptr_equal(exotic_exit_describe(&exit, buf, 0), buf);
	exotic_exit_describe(&exit, buf, 5);
	assert_string_equal(buf, "exit");
}

/* ------------------------------------------------------------- programs */

static uint64_t block64(struct fixture *f, uint64_t off)
{
	return sys64(f->vm, SYS_VCPU + VCPU_BLOCK + off);
}

static void test_load_args(void **state)
{
	struct fixture *f = *state;
	struct exotic_guest_params p = { .gpa = 16 * MiB, .len = MiB };
	struct exotic_vcpu *v = f->vcpu;

	assert_int_equal(exotic_guest_load(NULL, EXOTIC_GUEST_WALK, &p), -EINVAL);
	assert_int_equal(exotic_guest_load(v, EXOTIC_GUEST_WALK, NULL), -EINVAL);
	assert_int_equal(exotic_guest_load(v, 0, &p), -EINVAL);
	assert_int_equal(exotic_guest_load(v, EXOTIC_GUEST_PROGRAM_MAX + 1, &p), -EINVAL);
	assert_true(logcap_has(&f->log, "unknown guest program 6"));
	p.flags = 1U << 20;
	assert_int_equal(exotic_guest_load(v, EXOTIC_GUEST_WALK, &p), -EINVAL);
	p.flags = EXOTIC_GUEST_SYNC_PASS;
	assert_int_equal(exotic_guest_load(v, EXOTIC_GUEST_WRITE, &p), -EINVAL);
	p.flags = EXOTIC_PROBE_CONTROL;
	assert_int_equal(exotic_guest_load(v, EXOTIC_GUEST_CHECKSUM, &p), -EINVAL);
	p.flags = EXOTIC_GUEST_FOREVER;
	assert_int_equal(exotic_guest_load(v, EXOTIC_GUEST_VMRUN, &p), -EINVAL);
	p.flags = 0;
	p.stride = 12;
	assert_int_equal(exotic_guest_load(v, EXOTIC_GUEST_WALK, &p), -EINVAL);
	assert_true(logcap_has(&f->log, "stride 12"));
	p.stride = 0;
	p.gpa = 16 * MiB + 8;
	assert_int_equal(exotic_guest_load(v, EXOTIC_GUEST_WALK, &p), -EINVAL);
	p.gpa = 16 * MiB;
	p.len = 0;
	assert_int_equal(exotic_guest_load(v, EXOTIC_GUEST_WALK, &p), -EINVAL);
	p.len = 6000;
	assert_int_equal(exotic_guest_load(v, EXOTIC_GUEST_WALK, &p), -EINVAL);
	p.gpa = EXOTIC_GUEST_MAPPED_LIMIT;
	p.len = 4096;
	assert_int_equal(exotic_guest_load(v, EXOTIC_GUEST_WALK, &p), -EINVAL);
	p.gpa = SYS - 4096;
	p.len = 8192;
	assert_int_equal(exotic_guest_load(v, EXOTIC_GUEST_WRITE, &p), -EINVAL);
	assert_true(logcap_has(&f->log, "system range"));
	assert_int_equal(fk.runs, 0);
}

static void test_load_range_programs(void **state)
{
	struct fixture *f = *state;
	struct exotic_guest_params p = {
		.gpa = 16 * MiB, .len = MiB, .seed = 0x77, .passes = 3,
		.flags = EXOTIC_GUEST_FOREVER | EXOTIC_GUEST_SYNC_PASS,
	};
	uint64_t entries[EXOTIC_GUEST_PROGRAM_MAX + 1] = { 0 };

	assert_int_equal(exotic_guest_load(f->vcpu, EXOTIC_GUEST_WALK, &p), 0);
	assert_int_equal(block64(f, B_GPA), 16 * MiB);
	assert_int_equal(block64(f, B_LEN), MiB);
	assert_int_equal(block64(f, B_STRIDE), 4096);	/* the default */
	assert_int_equal(block64(f, B_SEED), 0x77);
	assert_int_equal(block64(f, B_PASSES), 3);
	assert_int_equal(block64(f, B_FLAGS), p.flags);
	assert_int_equal(block64(f, B_FIX_VEC), ~0ULL);
	assert_int_equal(block64(f, B_UC_TYPE), 0);
	assert_int_equal(fk.regs.rdi, SYS + SYS_VCPU + VCPU_BLOCK);
	assert_int_equal(fk.regs.rsp, SYS + SYS_VCPU + VCPU_STACK_TOP);
	/* Reloading completes any pending exit first and resets EFER. */
	assert_int_equal(fk.runs, 0);
	assert_int_equal(fk.sregs.efer, 0x500);
	entries[EXOTIC_GUEST_WALK] = fk.regs.rip;

	p.flags = 0;
	p.stride = 64;
	assert_int_equal(exotic_guest_load(f->vcpu, EXOTIC_GUEST_WRITE, &p), 0);
	assert_int_equal(block64(f, B_STRIDE), 64);
	entries[EXOTIC_GUEST_WRITE] = fk.regs.rip;
	assert_int_equal(exotic_guest_load(f->vcpu, EXOTIC_GUEST_CHECKSUM, &p), 0);
	entries[EXOTIC_GUEST_CHECKSUM] = fk.regs.rip;
	/* Three different entry points in the code copy. */
	for (int i = 1; i <= 3; i++) {
		assert_true(entries[i] >= SYS + SYS_CODE);
		assert_true(entries[i] < SYS + SYS_CODE + SYS_CODE_MAX);
		for (int j = 1; j < i; j++)
			assert_int_not_equal(entries[i], entries[j]);
	}

	/* A failing reset is reported. */
	wrap_fail_ioctl(KVM_SET_SREGS, 0, EIO);
	assert_int_equal(exotic_guest_load(f->vcpu, EXOTIC_GUEST_WRITE, &p), -EIO);
	assert_true(logcap_has(&f->log, "cannot start write"));
	wrap_fail_ioctl(KVM_RUN, 0, EIO);
	assert_int_equal(exotic_guest_load(f->vcpu, EXOTIC_GUEST_WRITE, &p), -EIO);
	wrap_fail_ioctl(KVM_SET_REGS, 0, EIO);
	assert_int_equal(exotic_guest_load(f->vcpu, EXOTIC_GUEST_WRITE, &p), -EIO);
}

static void test_load_msr(void **state)
{
	struct fixture *f = *state;
	struct exotic_guest_params p = {
		.msr = 0x4b564d01, .msr_value = 0x100000000ULL | 16 * MiB | 1,
	};
	struct exotic_guest_params w = { .gpa = 16 * MiB, .len = MiB, .msr = 1 };
	uint64_t walk;

	assert_int_equal(exotic_guest_load(f->vcpu, EXOTIC_GUEST_MSR, &p), 0);
	assert_int_equal(block64(f, B_MSR), 0x4b564d01);
	assert_int_equal(block64(f, B_MSR_VALUE), p.msr_value);
	assert_true(fk.regs.rip >= SYS + SYS_CODE);
	assert_true(fk.regs.rip < SYS + SYS_CODE + SYS_CODE_MAX);
	walk = fk.regs.rip;

	/* msr and msr_value belong to the msr program only */
	assert_int_equal(exotic_guest_load(f->vcpu, EXOTIC_GUEST_WALK, &w), -EINVAL);
	assert_true(logcap_has(&f->log, "msr and msr_value are for msr only"));
	w.msr = 0;
	w.msr_value = 1;
	assert_int_equal(exotic_guest_load(f->vcpu, EXOTIC_GUEST_WALK, &w), -EINVAL);
	w.msr_value = 0;
	assert_int_equal(exotic_guest_load(f->vcpu, EXOTIC_GUEST_WALK, &w), 0);
	assert_int_not_equal(fk.regs.rip, walk);
	assert_int_equal(block64(f, B_MSR), 0);
	p.reserved = 1;
	assert_int_equal(exotic_guest_load(f->vcpu, EXOTIC_GUEST_MSR, &p), -EINVAL);
	p.reserved = 0;
	p.flags = EXOTIC_GUEST_FOREVER;
	assert_int_equal(exotic_guest_load(f->vcpu, EXOTIC_GUEST_MSR, &p), -EINVAL);
	assert_true(logcap_has(&f->log, "msr: EXOTIC_GUEST_FOREVER makes no sense here"));
	p.flags = EXOTIC_PROBE_NO_INIT;
	assert_int_equal(exotic_guest_load(f->vcpu, EXOTIC_GUEST_MSR, &p), -EINVAL);
}

static uint32_t get32(const uint8_t *p, unsigned int off)
{
	uint32_t v;

	memcpy(&v, p + off, 4);
	return v;
}

static uint64_t get64(const uint8_t *p, unsigned int off)
{
	uint64_t v;

	memcpy(&v, p + off, 8);
	return v;
}

static void test_load_vmrun(void **state)
{
	struct fixture *f = *state;
	struct exotic_guest_params p = { .vmcb_gpa = 16 * MiB + 4096 };
	uint8_t *mem, *vmcb;
	void *hva;

	p.vmcb_gpa = 16 * MiB + 8;
	assert_int_equal(exotic_guest_load(f->vcpu, EXOTIC_GUEST_VMRUN, &p), -EINVAL);
	p.vmcb_gpa = 16 * MiB;
	assert_int_equal(exotic_guest_load(f->vcpu, EXOTIC_GUEST_VMRUN, &p), -ENOENT);
	assert_true(logcap_has(&f->log, "EXOTIC_PROBE_NO_INIT"));
	p.vmcb_gpa = SYS;
	assert_int_equal(exotic_guest_load(f->vcpu, EXOTIC_GUEST_VMRUN, &p), -EINVAL);
	assert_true(logcap_has(&f->log, "EXOTIC_PROBE_CONTROL"));
	/* Unbacked, uninitialised: allowed (that is how to provoke #GP). */
	p.flags = EXOTIC_PROBE_NO_INIT;
	assert_int_equal(exotic_guest_load(f->vcpu, EXOTIC_GUEST_VMRUN, &p), 0);
	assert_int_equal(block64(f, B_VMCB), SYS);
	assert_int_equal(block64(f, B_HSAVE), SYS + SYS_VCPU + VCPU_HSAVE);

	assert_int_equal(exotic_vm_add_anon_slot(f->vm, 0, 16 * MiB, MiB, 0, &hva), 0);
	mem = hva;
	p = (struct exotic_guest_params){ .vmcb_gpa = 16 * MiB + 4096 };
	assert_int_equal(exotic_guest_load(f->vcpu, EXOTIC_GUEST_VMRUN, &p), 0);
	vmcb = mem + 4096;
	assert_int_equal(get32(vmcb, 0x10) & 3, 3);		/* VMRUN, VMMCALL */
	assert_int_equal(get32(vmcb, 0x0c) >> 24, 0x81);	/* HLT, SHUTDOWN */
	assert_int_equal(get32(vmcb, 0x58), 1);			/* ASID */
	assert_int_equal(get64(vmcb, 0x40), SYS + SYS_IOPM);
	assert_int_equal(get64(vmcb, 0x48), SYS + SYS_MSRPM);
	assert_int_equal(get64(vmcb, 0x400 + 0xd0), 0x1500);	/* EFER with SVME */
	assert_int_equal(get64(vmcb, 0x400 + 0x150), SYS + SYS_PML4);
	assert_int_equal(get64(vmcb, 0x400 + 0x1d8), SYS + SYS_VCPU + VCPU_L2_STACK_TOP);
	assert_true(get64(vmcb, 0x400 + 0x178) > SYS + SYS_CODE);	/* L2 rip */
	assert_int_equal(get32(vmcb, 0x400 + 0x10) >> 16, 0xa9b);	/* CS attrib */

	/* The control VMCB lives in the vCPU's own area. */
	p.flags = EXOTIC_PROBE_CONTROL;
	assert_int_equal(exotic_guest_load(f->vcpu, EXOTIC_GUEST_VMRUN, &p), 0);
	assert_int_equal(block64(f, B_VMCB), SYS + SYS_VCPU + VCPU_VMCB);
	assert_int_equal(sys64(f->vm, SYS_VCPU + VCPU_VMCB + 0x58), 1);
}

/* --------------------------------------------------------------- names */

static void test_stats(void **state)
{
	struct fixture *f = *state;
	const char *const vm_names[] = { "pages_2m", "pages_1g", "pages_4k", "halt_poll_hist", "pages" };
	const char *const vcpu_names[] = { "exits", "pf_fixed", "pf_taken" };
	uint64_t v[5];

	assert_int_equal(exotic_vm_stats(f->vm, vm_names, v, 5), 3);
	assert_true(v[0] == 3 && v[2] == 7);
	assert_true(v[1] == EXOTIC_STAT_MISSING);	/* not exposed */
	assert_true(v[3] == 10);			/* a histogram: its buckets' sum */
	assert_true(v[4] == EXOTIC_STAT_MISSING);	/* a prefix is not a name */
	assert_int_equal(exotic_vcpu_stats(f->vcpu, vcpu_names, v, 3), 3);
	assert_true(v[0] == 42 && v[1] == 9 && v[2] == 10);
	assert_int_equal(exotic_vm_stats(f->vm, vm_names, v, 0), 0);

	assert_int_equal(exotic_vm_stats(NULL, vm_names, v, 1), -EINVAL);
	assert_int_equal(exotic_vm_stats(f->vm, NULL, v, 1), -EINVAL);
	assert_int_equal(exotic_vm_stats(f->vm, vm_names, NULL, 1), -EINVAL);
	assert_int_equal(exotic_vcpu_stats(NULL, vcpu_names, v, 1), -EINVAL);
	assert_int_equal(exotic_vcpu_stats(f->vcpu, NULL, v, 1), -EINVAL);

	/* a kernel before 5.15 */
	fk.stats_errno = ENOTTY;
	v[0] = 0;
	assert_int_equal(exotic_vcpu_stats(f->vcpu, vcpu_names, v, 1), -ENOTTY);
	assert_true(v[0] == EXOTIC_STAT_MISSING);
	assert_true(logcap_has(&f->log, "KVM_GET_STATS_FD"));
	fk.stats_errno = 0;
	/* a file cut short */
	fk.stats_short = true;
	assert_int_equal(exotic_vm_stats(f->vm, vm_names, v, 1), -EIO);
	fk.stats_short = false;
	/* out of memory for the descriptors */
	wrap_fail("calloc", 0, ENOMEM);
	assert_int_equal(exotic_vm_stats(f->vm, vm_names, v, 1), -ENOMEM);
	wrap_reset();
}

static void test_names(void **state)
{
	(void)state;
	assert_null(exotic_guest_program_name(0));
	assert_null(exotic_guest_program_name(EXOTIC_GUEST_PROGRAM_MAX + 1));
	assert_string_equal(exotic_guest_program_name(EXOTIC_GUEST_MSR), "msr");
	for (int p = 1; p <= EXOTIC_GUEST_PROGRAM_MAX; p++)
		assert_int_equal(exotic_guest_program_from_name(exotic_guest_program_name(p)), p);
	assert_string_equal(exotic_guest_program_name(EXOTIC_GUEST_VMRUN), "vmrun");
	assert_int_equal(exotic_guest_program_from_name("nope"), -EINVAL);
	assert_int_equal(exotic_guest_program_from_name(NULL), -EINVAL);
	assert_string_equal(exotic_probe_result_name(EXOTIC_PROBE_ENTERED), "entered");
	assert_string_equal(exotic_probe_result_name(EXOTIC_PROBE_GP), "#GP");
	assert_string_equal(exotic_probe_result_name(EXOTIC_PROBE_NOT_ENTERED), "not-entered");
	assert_string_equal(exotic_probe_result_name(EXOTIC_PROBE_NO_SVM), "no-svm");
	assert_null(exotic_probe_result_name(0));
}

/* -------------------------------------------------------------- stamps */

static void test_stamps(void **state)
{
	uint8_t *buf = calloc(1, 64 * 1024);
	uint64_t bad, x;

	(void)state;
	assert_non_null(buf);
	/* The documented mix (murmur3's finaliser, first half). */
	x = 0x1000 ^ 0x55;
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	assert_int_equal(exotic_guest_stamp(0x55, 0x1000), x);
	assert_int_not_equal(exotic_guest_stamp(1, 0x1000), exotic_guest_stamp(2, 0x1000));
	assert_int_not_equal(exotic_guest_stamp(1, 0x1000), exotic_guest_stamp(1, 0x2000));

	exotic_guest_fill(buf, 0x100000, 64 * 1024, 0, 9);
	assert_int_equal(exotic_guest_verify(buf, 0x100000, 64 * 1024, 0, 9, &bad), 16);
	assert_int_equal(bad, ~0ULL);
	assert_int_equal(exotic_guest_verify(buf, 0x100000, 64 * 1024, 0, 10, &bad), 0);
	assert_int_equal(bad, 0x100000);
	buf[5 * 4096] ^= 1;
	assert_int_equal(exotic_guest_verify(buf, 0x100000, 64 * 1024, 4096, 9, &bad), 15);
	assert_int_equal(bad, 0x100000 + 5 * 4096);
	assert_int_equal(exotic_guest_verify(buf, 0x100000, 64 * 1024, 0, 9, NULL), 15);
	/* Only the stride words are written. */
	exotic_guest_fill(buf, 0, 4096, 64, 1);
	assert_int_equal(buf[8], 0);
	assert_int_equal(exotic_guest_verify(buf, 0, 4096, 64, 1, NULL), 64);

	/* FNV-1a over 64-bit words. */
	memset(buf, 0, 16);
	x = 0xcbf29ce484222325ULL;
	x *= 0x100000001b3ULL;
	x *= 0x100000001b3ULL;
	assert_int_equal(exotic_guest_checksum(buf, 16, 8), x);
	assert_int_equal(exotic_guest_checksum(buf, 4096, 0),
			 exotic_guest_checksum(buf, 4096, 4096));
	buf[4096] = 1;
	assert_int_not_equal(exotic_guest_checksum(buf, 8192, 0),
			     exotic_guest_checksum(buf, 4096, 0));

	exotic_guest_fill(NULL, 0, 4096, 0, 1);
	assert_int_equal(exotic_guest_verify(NULL, 0, 4096, 0, 1, &bad), 0);
	assert_int_equal(bad, ~0ULL);
	assert_int_equal(exotic_guest_checksum(NULL, 4096, 0), 0xcbf29ce484222325ULL);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_available, setup_ctx, teardown),
		cmocka_unit_test_setup_teardown(test_vm_new_layout, setup_ctx, teardown),
		cmocka_unit_test_setup_teardown(test_vm_new_failures, setup_ctx, teardown),
		cmocka_unit_test_setup_teardown(test_vm_new_cpuid_grows, setup_ctx, teardown),
		cmocka_unit_test_setup_teardown(test_add_slot_args, setup_vm, teardown),
		cmocka_unit_test_setup_teardown(test_anon_slot, setup_vm, teardown),
		cmocka_unit_test_setup_teardown(test_move_delete, setup_vm, teardown),
		cmocka_unit_test_setup_teardown(test_gpa_to_hva, setup_vm, teardown),
		cmocka_unit_test_setup_teardown(test_region_slot, setup_vm, teardown),
		cmocka_unit_test_setup_teardown(test_vmcb_region_checks, setup_vcpu, teardown),
		cmocka_unit_test_setup_teardown(test_epochs, setup_vm, teardown),
		cmocka_unit_test_setup_teardown(test_vcpu_new, setup_vm, teardown),
		cmocka_unit_test_setup_teardown(test_vcpu_new_failures, setup_vm, teardown),
		cmocka_unit_test_setup_teardown(test_run_ucalls, setup_vcpu, teardown),
		cmocka_unit_test_setup_teardown(test_run_exits, setup_vcpu, teardown),
		cmocka_unit_test_setup_teardown(test_load_args, setup_vcpu, teardown),
		cmocka_unit_test_setup_teardown(test_load_msr, setup_vcpu, teardown),
		cmocka_unit_test_setup_teardown(test_load_range_programs, setup_vcpu, teardown),
		cmocka_unit_test_setup_teardown(test_load_vmrun, setup_vcpu, teardown),
		cmocka_unit_test_setup_teardown(test_stats, setup_vcpu, teardown),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_stamps),
	};

	return cmocka_run_group_tests_name("kvm", tests, NULL, NULL);
}
