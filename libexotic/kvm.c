// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * KVM layer, the VM side: /dev/kvm, VMs, their system slot, memslots and
 * the control page (see exotic/kvm.h).  The vCPUs and their exits are in
 * kvm_vcpu.c; the guest programs themselves live in guest/programs.S,
 * and guest/abi.h is the contract between the two.
 */
#include <assert.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"
#include "kvm_internal.h"

#define KVM_PATH	"/dev/kvm"

static_assert(ABI_SYSTEM_GPA == EXOTIC_VM_SYSTEM_GPA, "abi.h out of sync");
static_assert(ABI_UCALL_PORT == EXOTIC_UCALL_PORT, "abi.h out of sync");
static_assert(ABI_POISON_MAGIC == EXOTIC_POISON_MAGIC, "abi.h out of sync");
static_assert(UC_SYNC == EXOTIC_UCALL_SYNC && UC_ASSERT == EXOTIC_UCALL_ASSERT &&
	      UC_DONE == EXOTIC_UCALL_DONE && UC_POISON == EXOTIC_UCALL_POISON &&
	      UC_EXCEPTION == EXOTIC_UCALL_EXCEPTION, "abi.h out of sync");
static_assert(PR_ENTERED == EXOTIC_PROBE_ENTERED && PR_GP == EXOTIC_PROBE_GP &&
	      PR_NOT_ENTERED == EXOTIC_PROBE_NOT_ENTERED &&
	      PR_NO_SVM == EXOTIC_PROBE_NO_SVM, "abi.h out of sync");
static_assert((1U << GF_FOREVER) == EXOTIC_GUEST_FOREVER &&
	      (1U << GF_SYNC_PASS) == EXOTIC_GUEST_SYNC_PASS, "abi.h out of sync");
static_assert(SYS_VCPU + EXOTIC_VM_MAX_VCPUS * SYS_VCPU_SIZE <= EXOTIC_VM_SYSTEM_SIZE,
	      "vCPU areas do not fit the system slot");
static_assert(SYS_PD + SYS_PD_PAGES * 0x1000 <= SYS_GDT &&
	      SYS_MSRPM + 0x2000 <= SYS_NPT_PML4 && SYS_NPT_PDPT + 0x1000 <= SYS_CODE,
	      "system slot overlap");
static_assert(SYS_PD_PAGES * (1ULL << 30) == EXOTIC_GUEST_MAPPED_LIMIT,
	      "page tables do not cover the mapped limit");
static_assert(B_UC_ARGS + 8 * EXOTIC_UCALL_MAX_ARGS <= B_FIX_VEC, "block overlap");

/* ------------------------------------------------------------ helpers */

static bool ranges_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

/* ------------------------------------------------------------- /dev/kvm */

static int open_kvm(struct exotic_ctx *ctx, int *fdp)
{
	int fd, ret;

	fd = exotic_open_node(ctx, KVM_PATH,
			      "this kernel has no KVM, or kvm_amd/kvm_intel is not loaded (modprobe kvm_amd)",
			      "join group kvm or run as root");
	if (fd < 0)
		return fd;
	ret = kvm_ioctl(fd, KVM_GET_API_VERSION, NULL);
	if (ret != KVM_API_VERSION) {
		exotic_err(ctx, "%s speaks KVM API %d, need %d\n", KVM_PATH, ret,
			   KVM_API_VERSION);
		close(fd);
		return ret < 0 ? ret : -EPROTO;
	}
	*fdp = fd;
	return 0;
}

EXOTIC_EXPORT int exotic_kvm_available(struct exotic_ctx *ctx)
{
	int fd, ret;

	if (!ctx)
		return -EINVAL;
	ret = open_kvm(ctx, &fd);
	if (ret)
		return ret;
	close(fd);
	return 0;
}

/* ---------------------------------------------------------- system slot */

/*
 * Page tables identity-mapping [0, EXOTIC_GUEST_MAPPED_LIMIT) with 2 MiB
 * pages, the nested-TDP probe's nested page table mapping the same with
 * 1 GiB pages (user-accessible, as the CPU walks nested page tables with
 * user accesses; accessed and dirty already), a GDT with a 64-bit code, a
 * data and a TSS descriptor, an IDT whose first 32 vectors go to the
 * exception stubs, and the programs.
 *
 * The nested page table shares no page with the page tables L1 and L2
 * walk.  KVM write-protects the pages of L1's nested page table it
 * shadows, and every guest page-table access is a write through the
 * nested page table (FNAME(walk_addr_generic)'s nested_access; the NPF
 * exit says PFERR_GUEST_PAGE|W): L2 walking them would fault on a
 * write-tracked gfn and kvm_mmu_page_fault() would emulate its instruction
 * (page_fault_handle_page_track(): RET_PF_EMULATE), reading the probe
 * word with kvm_vcpu_read_guest() instead of through the nested MMU; L1
 * walking them would unprotect them (kvm_mmu_unprotect_page()) and zap
 * the nested MMU's shadow between two probes.
 */
static void sys_build(uint8_t *sys)
{
	const uint64_t P = 1, RW = 2, US = 4, A = 0x20, D = 0x40, PS = 0x80;
	uint64_t stubs = code_gpa(exotic_guest_exc_stubs);
	uint64_t tss = sys_gpa(SYS_TSS);

	put64(sys, SYS_PML4, sys_gpa(SYS_PDPT) | P | RW);
	for (uint64_t i = 0; i < SYS_PD_PAGES; i++) {
		uint64_t pd = SYS_PD + i * PAGE_SIZE;

		put64(sys, SYS_PDPT + i * 8, sys_gpa(pd) | P | RW);
		for (uint64_t j = 0; j < 512; j++)
			put64(sys, pd + j * 8, ((i << 30) | (j << 21)) | P | RW | PS);
	}

	put64(sys, SYS_NPT_PML4, sys_gpa(SYS_NPT_PDPT) | P | RW | US | A);
	for (uint64_t i = 0; i < SYS_PD_PAGES; i++)
		put64(sys, SYS_NPT_PDPT + i * 8, (i << 30) | P | RW | US | A | D | PS);

	put64(sys, SYS_GDT + SEL_CODE, 0x00af9b000000ffffULL);
	put64(sys, SYS_GDT + SEL_DATA, 0x00cf93000000ffffULL);
	put64(sys, SYS_GDT + SEL_TSS, 0x67 | ((tss & 0xffffff) << 16) |
	      (0x89ULL << 40) | ((tss >> 24) & 0xff) << 56);
	put64(sys, SYS_GDT + SEL_TSS + 8, tss >> 32);

	for (uint64_t v = 0; v < 32; v++) {
		uint64_t off = stubs + v * 16;

		put64(sys, SYS_IDT + v * 16, (off & 0xffff) | (uint64_t)SEL_CODE << 16 |
		      0x8eULL << 40 | ((off >> 16) & 0xffff) << 48);
		put64(sys, SYS_IDT + v * 16 + 8, off >> 32);
	}

	memcpy(sys + SYS_CODE, exotic_guest_start,
	       (size_t)(exotic_guest_end - exotic_guest_start));
}

static int set_region(struct exotic_vm *vm, uint32_t kslot, uint32_t flags,
		      uint64_t gpa, uint64_t len, void *hva)
{
	struct kvm_userspace_memory_region r = {
		.slot = kslot,
		.flags = flags,
		.guest_phys_addr = gpa,
		.memory_size = len,
		.userspace_addr = (uintptr_t)hva,
	};

	return kvm_ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r);
}

static int get_supported_cpuid(struct exotic_vm *vm)
{
	for (int nent = 64; nent <= 1024; nent *= 2) {
		struct kvm_cpuid2 *c;
		int ret;

		c = calloc(1, sizeof(*c) + nent * sizeof(c->entries[0]));
		if (!c)
			return -ENOMEM;
		c->nent = nent;
		ret = kvm_ioctl(vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, c);
		if (!ret) {
			vm->cpuid = c;
			return 0;
		}
		free(c);
		if (ret != -E2BIG) {
			exotic_err(vm->ctx, "KVM_GET_SUPPORTED_CPUID: %s\n", strerror(-ret));
			return ret;
		}
	}
	return -E2BIG;
}

/* ------------------------------------------------------------------ VM */

EXOTIC_EXPORT int exotic_vm_new(struct exotic_ctx *ctx, struct exotic_vm **vmp)
{
	struct exotic_vm *vm;
	void *sys;
	int ret;

	if (!ctx || !vmp)
		return -EINVAL;
	*vmp = NULL;
	if ((size_t)(exotic_guest_end - exotic_guest_start) > SYS_CODE_MAX)
		return -E2BIG;	/* cannot happen unless programs.S grows a lot */

	vm = calloc(1, sizeof(*vm));
	if (!vm)
		return -ENOMEM;
	vm->refcount = 1;
	vm->kvm_fd = -1;
	vm->vm_fd = -1;
	vm->sys = MAP_FAILED;
	pthread_mutex_init(&vm->lock, NULL);
	vm->ctx = exotic_ref(ctx);

	ret = open_kvm(ctx, &vm->kvm_fd);
	if (ret)
		goto err;
	ret = kvm_ioctl(vm->kvm_fd, KVM_CREATE_VM, (void *)0);
	if (ret < 0) {
		exotic_err(ctx, "KVM_CREATE_VM: %s\n", strerror(-ret));
		goto err;
	}
	vm->vm_fd = ret;
	ret = kvm_ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, NULL);
	if (ret < 0) {
		exotic_err(ctx, "KVM_GET_VCPU_MMAP_SIZE: %s\n", strerror(-ret));
		goto err;
	}
	if ((size_t)ret < sizeof(struct kvm_run)) {
		ret = -EPROTO;
		goto err;
	}
	vm->run_size = ret;
	ret = get_supported_cpuid(vm);
	if (ret)
		goto err;

	sys = mmap(NULL, EXOTIC_VM_SYSTEM_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (sys == MAP_FAILED) {
		ret = exotic_neg_errno();
		exotic_err(ctx, "cannot map the system memslot: %s\n", strerror(-ret));
		goto err;
	}
	vm->sys = sys;
	sys_build(vm->sys);
	ret = set_region(vm, EXOTIC_VM_SYSTEM_SLOT, 0, EXOTIC_VM_SYSTEM_GPA,
			 EXOTIC_VM_SYSTEM_SIZE, vm->sys);
	if (ret) {
		exotic_err(ctx, "cannot add the system memslot: %s\n", strerror(-ret));
		goto err;
	}
	exotic_dbg(ctx, "vm %p: fd %d, system slot at 0x%llx\n", (void *)vm,
		   vm->vm_fd, EXOTIC_VM_SYSTEM_GPA);
	*vmp = vm;
	return 0;
err:
	exotic_vm_unref(vm);
	return ret;
}

EXOTIC_DEFINE_REF(exotic_vm, exotic_vm_ref)

static void slot_release(struct slot *s)
{
	if (s->anon)
		munmap(s->hva, s->len);
	if (s->region)
		exotic_region_unref(s->region);
	memset(s, 0, sizeof(*s));
}

EXOTIC_EXPORT struct exotic_vm *exotic_vm_unref(struct exotic_vm *vm)
{
	if (!vm || !exotic_refcount_put(&vm->refcount))
		return NULL;
	/* Closing the VM fd drops KVM's use of the slots' memory. */
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	for (int i = 0; i < EXOTIC_VM_MAX_SLOTS; i++)
		if (vm->slots[i].used)
			slot_release(&vm->slots[i]);
	if (vm->sys != MAP_FAILED)
		munmap(vm->sys, EXOTIC_VM_SYSTEM_SIZE);
	free(vm->cpuid);
	pthread_mutex_destroy(&vm->lock);
	exotic_unref(vm->ctx);
	free(vm);
	return NULL;
}

EXOTIC_EXPORT int exotic_vm_get_fd(const struct exotic_vm *vm)
{
	return vm ? vm->vm_fd : -EINVAL;
}

EXOTIC_EXPORT struct exotic_ctx *exotic_vm_get_ctx(const struct exotic_vm *vm)
{
	return vm ? vm->ctx : NULL;
}

/* ------------------------------------------------------------ memslots */

/* Checks a placement of [gpa, gpa + len) for slot (whose own old range is
 * ignored).  Called with vm->lock held. */
static int check_range(struct exotic_vm *vm, uint32_t slot, uint64_t gpa,
		       uint64_t len)
{
	if (!len || !aligned(gpa, PAGE_SIZE) || !aligned(len, PAGE_SIZE)) {
		exotic_err(vm->ctx, "slot %u: gpa 0x%llx and length 0x%llx must be page aligned and non-zero\n",
			   slot, (unsigned long long)gpa, (unsigned long long)len);
		return -EINVAL;
	}
	if (gpa >= EXOTIC_GUEST_MAPPED_LIMIT || len > EXOTIC_GUEST_MAPPED_LIMIT - gpa) {
		exotic_err(vm->ctx, "slot %u: [0x%llx, +0x%llx) goes beyond the guest's identity map (0x%llx)\n",
			   slot, (unsigned long long)gpa, (unsigned long long)len,
			   EXOTIC_GUEST_MAPPED_LIMIT);
		return -EINVAL;
	}
	if (ranges_overlap(gpa, len, EXOTIC_VM_SYSTEM_GPA, EXOTIC_VM_SYSTEM_SIZE)) {
		exotic_err(vm->ctx, "slot %u: [0x%llx, +0x%llx) overlaps the system range at 0x%llx\n",
			   slot, (unsigned long long)gpa, (unsigned long long)len,
			   EXOTIC_VM_SYSTEM_GPA);
		return -EINVAL;
	}
	for (uint32_t i = 0; i < EXOTIC_VM_MAX_SLOTS; i++) {
		struct slot *s = &vm->slots[i];

		if (i == slot || !s->used)
			continue;
		if (ranges_overlap(gpa, len, s->gpa, s->len)) {
			exotic_err(vm->ctx, "slot %u: [0x%llx, +0x%llx) overlaps slot %u\n",
				   slot, (unsigned long long)gpa,
				   (unsigned long long)len, i);
			return -EEXIST;
		}
	}
	return 0;
}

static uint32_t kvm_flags(uint32_t flags)
{
	return (flags & EXOTIC_SLOT_READONLY ? KVM_MEM_READONLY : 0) |
	       (flags & EXOTIC_SLOT_DIRTY_LOG ? KVM_MEM_LOG_DIRTY_PAGES : 0);
}

/* Takes over anon (munmap) and region (one reference) on success only. */
static int add_slot(struct exotic_vm *vm, uint32_t slot, uint64_t gpa,
		    void *hva, size_t len, uint32_t flags, bool anon,
		    struct exotic_region *region)
{
	struct slot *s;
	int ret;

	if (slot >= EXOTIC_VM_MAX_SLOTS) {
		exotic_err(vm->ctx, "slot %u: slots are 0..%u\n", slot,
			   EXOTIC_VM_MAX_SLOTS - 1);
		return -EINVAL;
	}
	if (flags & ~EXOTIC_SLOT_FLAGS_ALL) {
		exotic_err(vm->ctx, "slot %u: unknown flags 0x%x\n", slot,
			   flags & ~EXOTIC_SLOT_FLAGS_ALL);
		return -EINVAL;
	}
	if (!hva || !aligned((uintptr_t)hva, PAGE_SIZE)) {
		exotic_err(vm->ctx, "slot %u: host address %p must be page aligned\n",
			   slot, hva);
		return -EINVAL;
	}
	pthread_mutex_lock(&vm->lock);
	s = &vm->slots[slot];
	if (s->used) {
		exotic_err(vm->ctx, "slot %u is in use\n", slot);
		ret = -EEXIST;
		goto out;
	}
	ret = check_range(vm, slot, gpa, len);
	if (ret)
		goto out;
	ret = set_region(vm, slot, kvm_flags(flags), gpa, len, hva);
	if (ret) {
		exotic_err(vm->ctx, "slot %u: KVM_SET_USER_MEMORY_REGION [0x%llx, +0x%zx) at %p: %s\n",
			   slot, (unsigned long long)gpa, len, hva, strerror(-ret));
		goto out;
	}
	*s = (struct slot){ .used = true, .anon = anon, .flags = flags,
			    .gpa = gpa, .len = len, .hva = hva, .region = region };
	exotic_dbg(vm->ctx, "slot %u: [0x%llx, +0x%zx) at %p%s\n", slot,
		   (unsigned long long)gpa, len, hva, anon ? " (anonymous)" : "");
out:
	pthread_mutex_unlock(&vm->lock);
	return ret;
}

EXOTIC_EXPORT int exotic_vm_add_slot(struct exotic_vm *vm, uint32_t slot,
				     uint64_t gpa, void *host_addr, size_t len,
				     uint32_t flags)
{
	if (!vm)
		return -EINVAL;
	return add_slot(vm, slot, gpa, host_addr, len, flags, false, NULL);
}

EXOTIC_EXPORT int exotic_vm_add_anon_slot(struct exotic_vm *vm, uint32_t slot,
					  uint64_t gpa, size_t len,
					  uint32_t flags, void **host_addr)
{
	void *hva;
	int ret;

	if (!vm)
		return -EINVAL;
	if (!len || !aligned(len, PAGE_SIZE)) {
		exotic_err(vm->ctx, "slot %u: length 0x%zx must be page aligned and non-zero\n",
			   slot, len);
		return -EINVAL;
	}
	hva = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (hva == MAP_FAILED) {
		ret = exotic_neg_errno();
		exotic_err(vm->ctx, "slot %u: cannot map 0x%zx bytes: %s\n", slot,
			   len, strerror(-ret));
		return ret;
	}
	ret = add_slot(vm, slot, gpa, hva, len, flags, true, NULL);
	if (ret) {
		munmap(hva, len);
		return ret;
	}
	if (host_addr)
		*host_addr = hva;
	return 0;
}

EXOTIC_EXPORT int exotic_vm_add_region_slot(struct exotic_vm *vm,
					    uint32_t slot, uint64_t gpa,
					    struct exotic_region *region,
					    uint32_t flags)
{
	void *hva;
	int ret;

	if (!vm || !region)
		return -EINVAL;
	hva = exotic_region_addr(region);
	if (!hva) {
		exotic_err(vm->ctx, "slot %u: region %u is not mapped\n", slot,
			   exotic_region_handle(region));
		return -EINVAL;
	}
	exotic_region_ref(region);
	ret = add_slot(vm, slot, gpa, hva, exotic_region_length(region), flags,
		       false, region);
	if (ret)
		exotic_region_unref(region);
	return ret;
}

/*
 * The user slot with this id, with vm->lock taken; NULL (and the lock not
 * held) with *err set if there is none.
 */
static struct slot *lock_used_slot(struct exotic_vm *vm, uint32_t slot, int *err)
{
	struct slot *s;

	*err = -EINVAL;
	if (!vm || slot >= EXOTIC_VM_MAX_SLOTS)
		return NULL;
	pthread_mutex_lock(&vm->lock);
	s = &vm->slots[slot];
	if (!s->used) {
		pthread_mutex_unlock(&vm->lock);
		exotic_err(vm->ctx, "slot %u is not in use\n", slot);
		*err = -ENOENT;
		return NULL;
	}
	return s;
}

EXOTIC_EXPORT int exotic_vm_move_slot(struct exotic_vm *vm, uint32_t slot,
				      uint64_t new_gpa)
{
	struct slot *s;
	int ret;

	s = lock_used_slot(vm, slot, &ret);
	if (!s)
		return ret;
	ret = check_range(vm, slot, new_gpa, s->len);
	if (ret)
		goto out;
	ret = set_region(vm, slot, kvm_flags(s->flags), new_gpa, s->len, s->hva);
	if (ret) {
		exotic_err(vm->ctx, "slot %u: move to 0x%llx: %s\n", slot,
			   (unsigned long long)new_gpa, strerror(-ret));
		goto out;
	}
	s->gpa = new_gpa;
out:
	pthread_mutex_unlock(&vm->lock);
	return ret;
}

EXOTIC_EXPORT int exotic_vm_delete_slot(struct exotic_vm *vm, uint32_t slot)
{
	struct slot *s;
	int ret;

	s = lock_used_slot(vm, slot, &ret);
	if (!s)
		return ret;
	ret = set_region(vm, slot, 0, s->gpa, 0, s->hva);
	if (ret) {
		exotic_err(vm->ctx, "slot %u: delete: %s\n", slot, strerror(-ret));
		goto out;
	}
	slot_release(s);
out:
	pthread_mutex_unlock(&vm->lock);
	return ret;
}

EXOTIC_EXPORT int exotic_vm_gpa_to_hva(struct exotic_vm *vm, uint64_t gpa,
				       size_t len, void **hva)
{
	int ret = -ENOENT;

	if (!vm || !hva || gpa + len < gpa)
		return -EINVAL;
	if (gpa >= EXOTIC_VM_SYSTEM_GPA &&
	    gpa + len <= EXOTIC_VM_SYSTEM_GPA + EXOTIC_VM_SYSTEM_SIZE) {
		*hva = vm->sys + (gpa - EXOTIC_VM_SYSTEM_GPA);
		return 0;
	}
	pthread_mutex_lock(&vm->lock);
	for (int i = 0; i < EXOTIC_VM_MAX_SLOTS; i++) {
		struct slot *s = &vm->slots[i];

		if (s->used && gpa >= s->gpa && gpa + len <= s->gpa + s->len) {
			*hva = (uint8_t *)s->hva + (gpa - s->gpa);
			ret = 0;
			break;
		}
	}
	pthread_mutex_unlock(&vm->lock);
	return ret;
}

int exotic_vm_check_host_write(struct exotic_vm *vm, uint64_t gpa)
{
	struct exotic_region *region = NULL;
	struct exotic_region_info info = { 0 };
	int ret = 0;

	pthread_mutex_lock(&vm->lock);
	for (int i = 0; i < EXOTIC_VM_MAX_SLOTS; i++) {
		struct slot *s = &vm->slots[i];

		if (s->used && s->region && gpa >= s->gpa && gpa < s->gpa + s->len) {
			region = exotic_region_ref(s->region);
			break;
		}
	}
	pthread_mutex_unlock(&vm->lock);
	if (!region)
		return 0;
	if (!(exotic_region_prot(region) & PROT_WRITE)) {
		ret = -EACCES;
	} else {
		ret = exotic_region_info(region, &info);
		if (!ret && info.state != EXOTIC_STATE_LIVE)
			ret = -ENXIO;
	}
	exotic_region_unref(region);
	return ret;
}

/* ------------------------------------------------------- control page */

static uint64_t *ctrl_word(const struct exotic_vm *vm, uint64_t off)
{
	return (uint64_t *)(vm->sys + SYS_CTRL + off);
}

EXOTIC_EXPORT int exotic_vm_publish_epoch(struct exotic_vm *vm, uint64_t epoch)
{
	uint64_t *w, old;

	if (!vm)
		return -EINVAL;
	w = ctrl_word(vm, CTRL_DONE_EPOCH);
	old = __atomic_load_n(w, __ATOMIC_ACQUIRE);
	do {
		if (epoch < old) {
			exotic_err(vm->ctx, "done_epoch only grows: %llu < %llu\n",
				   (unsigned long long)epoch, (unsigned long long)old);
			return -EINVAL;
		}
	} while (!__atomic_compare_exchange_n(w, &old, epoch, false,
					      __ATOMIC_RELEASE, __ATOMIC_ACQUIRE));
	return 0;
}

EXOTIC_EXPORT uint64_t exotic_vm_done_epoch(const struct exotic_vm *vm)
{
	return vm ? __atomic_load_n(ctrl_word(vm, CTRL_DONE_EPOCH), __ATOMIC_ACQUIRE) : 0;
}

EXOTIC_EXPORT void exotic_vm_set_stop(struct exotic_vm *vm, bool stop)
{
	if (vm)
		__atomic_store_n(ctrl_word(vm, CTRL_STOP), (uint64_t)stop,
				 __ATOMIC_RELEASE);
}
