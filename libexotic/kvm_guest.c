// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * KVM layer: loading the built-in guest programs (guest/programs.S), the
 * nested probe's VMCB, and the host-side twins of the programs' stamp and
 * checksum so hosts and guests can check each other.
 */
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "kvm_internal.h"

/* ---------------------------------------------------------- stamps */

EXOTIC_EXPORT uint64_t exotic_guest_stamp(uint64_t seed, uint64_t gpa)
{
	uint64_t x = gpa ^ seed;

	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return x;
}

EXOTIC_EXPORT void exotic_guest_fill(void *hva, uint64_t gpa, size_t len,
				     size_t stride, uint64_t seed)
{
	if (!hva)
		return;
	if (!stride)
		stride = PAGE_SIZE;
	for (size_t off = 0; off + sizeof(uint64_t) <= len; off += stride)
		put64(hva, off, exotic_guest_stamp(seed, gpa + off));
}

EXOTIC_EXPORT size_t exotic_guest_verify(const void *hva, uint64_t gpa,
					 size_t len, size_t stride,
					 uint64_t seed, uint64_t *bad_gpa)
{
	size_t ok = 0;

	if (bad_gpa)
		*bad_gpa = ~0ULL;
	if (!hva)
		return 0;
	if (!stride)
		stride = PAGE_SIZE;
	for (size_t off = 0; off + sizeof(uint64_t) <= len; off += stride) {
		if (get64(hva, off) == exotic_guest_stamp(seed, gpa + off))
			ok++;
		else if (bad_gpa && *bad_gpa == ~0ULL)
			*bad_gpa = gpa + off;
	}
	return ok;
}

EXOTIC_EXPORT uint64_t exotic_guest_checksum(const void *hva, size_t len,
					     size_t stride)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	if (!hva)
		return h;
	if (!stride)
		stride = PAGE_SIZE;
	for (size_t off = 0; off + sizeof(uint64_t) <= len; off += stride) {
		h ^= get64(hva, off);
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* ---------------------------------------------------------- names */

static const char *const program_names[] = {
	[EXOTIC_GUEST_WALK] = "walk",
	[EXOTIC_GUEST_WRITE] = "write",
	[EXOTIC_GUEST_CHECKSUM] = "checksum",
	[EXOTIC_GUEST_VMRUN] = "vmrun",
	[EXOTIC_GUEST_MSR] = "msr",
};

EXOTIC_EXPORT const char *exotic_guest_program_name(unsigned int program)
{
	if (program < 1 || program > EXOTIC_GUEST_PROGRAM_MAX)
		return NULL;
	return program_names[program];
}

EXOTIC_EXPORT int exotic_guest_program_from_name(const char *name)
{
	return exotic_name_index(program_names, ARRAY_SIZE(program_names), name);
}

EXOTIC_EXPORT const char *exotic_probe_result_name(uint64_t result)
{
	switch (result) {
	case EXOTIC_PROBE_ENTERED: return "entered";
	case EXOTIC_PROBE_GP: return "#GP";
	case EXOTIC_PROBE_NOT_ENTERED: return "not-entered";
	case EXOTIC_PROBE_NO_SVM: return "no-svm";
	default: return NULL;
	}
}

/* ---------------------------------------------------------- VMCB */

/* Offsets in the VMCB (AMD APM vol. 2, appendix B). */
#define VMCB_INTERCEPT_MISC1	0x00c	/* bit 24 HLT, bit 31 SHUTDOWN */
#define VMCB_INTERCEPT_MISC2	0x010	/* bit 0 VMRUN, bit 1 VMMCALL */
#define VMCB_IOPM_BASE		0x040
#define VMCB_MSRPM_BASE		0x048
#define VMCB_ASID		0x058
#define VMCB_NESTED_CTL		0x090	/* bit 0 NP_ENABLE */
#define VMCB_NCR3		0x0b0
#define VMCB_SAVE		0x400
#define VMCB_ES			(VMCB_SAVE + 0x000)
#define VMCB_CS			(VMCB_SAVE + 0x010)
#define VMCB_SS			(VMCB_SAVE + 0x020)
#define VMCB_DS			(VMCB_SAVE + 0x030)
#define VMCB_GDTR		(VMCB_SAVE + 0x060)
#define VMCB_IDTR		(VMCB_SAVE + 0x080)
#define VMCB_CPL		(VMCB_SAVE + 0x0cb)
#define VMCB_EFER		(VMCB_SAVE + 0x0d0)
#define VMCB_CR4		(VMCB_SAVE + 0x148)
#define VMCB_CR3		(VMCB_SAVE + 0x150)
#define VMCB_CR0		(VMCB_SAVE + 0x158)
#define VMCB_DR7		(VMCB_SAVE + 0x160)
#define VMCB_DR6		(VMCB_SAVE + 0x168)
#define VMCB_RFLAGS		(VMCB_SAVE + 0x170)
#define VMCB_RIP		(VMCB_SAVE + 0x178)
#define VMCB_RSP		(VMCB_SAVE + 0x1d8)
#define VMCB_RAX		(VMCB_SAVE + 0x1f8)
#define VMCB_GPAT		(VMCB_SAVE + 0x268)

#define EFER_SVME		(1ULL << 12)

static void vmcb_seg(uint8_t *v, unsigned int off, uint16_t sel, uint16_t attr,
		     uint32_t limit, uint64_t base)
{
	memcpy(v + off, &sel, 2);
	memcpy(v + off + 2, &attr, 2);
	memcpy(v + off + 4, &limit, 4);
	memcpy(v + off + 8, &base, 8);
}

/*
 * A VMCB whose L2 is a copy of the vCPU's long-mode state (same page
 * tables, no nested paging) starting at exotic_guest_l2, which marks the
 * block and runs VMMCALL; VMRUN, VMMCALL, HLT and SHUTDOWN are intercepted
 * so L2 always comes back to L1.  It passes 6.1's nested_vmcb_check_*().
 * With nested_tdp, L2 runs under nested paging with an identity nested
 * page table of its own (SYS_NPT_PML4, no page shared with the page
 * tables L1 and L2 walk: see sys_build()), from exotic_guest_l2_read.
 */
static void vmcb_build(uint8_t *v, uint32_t vcpu_id, bool nested_tdp)
{
	uint32_t misc1 = (1U << 24) | (1U << 31);
	uint32_t misc2 = (1U << 0) | (1U << 1);
	uint32_t asid = 1;
	const uint16_t code = 0xa9b, data = 0xc93;	/* P S, L or D/B, G */

	memset(v, 0, PAGE_SIZE);
	memcpy(v + VMCB_INTERCEPT_MISC1, &misc1, 4);
	memcpy(v + VMCB_INTERCEPT_MISC2, &misc2, 4);
	put64(v, VMCB_IOPM_BASE, sys_gpa(SYS_IOPM));
	put64(v, VMCB_MSRPM_BASE, sys_gpa(SYS_MSRPM));
	memcpy(v + VMCB_ASID, &asid, 4);

	vmcb_seg(v, VMCB_ES, SEL_DATA, data, 0xffffffff, 0);
	vmcb_seg(v, VMCB_CS, SEL_CODE, code, 0xffffffff, 0);
	vmcb_seg(v, VMCB_SS, SEL_DATA, data, 0xffffffff, 0);
	vmcb_seg(v, VMCB_DS, SEL_DATA, data, 0xffffffff, 0);
	vmcb_seg(v, VMCB_GDTR, 0, 0, SEL_TSS + 16 - 1, sys_gpa(SYS_GDT));
	vmcb_seg(v, VMCB_IDTR, 0, 0, 32 * 16 - 1, sys_gpa(SYS_IDT));
	v[VMCB_CPL] = 0;
	put64(v, VMCB_EFER, L1_EFER | EFER_SVME);
	put64(v, VMCB_CR4, L1_CR4);
	put64(v, VMCB_CR3, sys_gpa(SYS_PML4));
	put64(v, VMCB_CR0, L1_CR0);
	put64(v, VMCB_DR7, 0x400);
	put64(v, VMCB_DR6, 0xffff0ff0);
	put64(v, VMCB_RFLAGS, 2);
	put64(v, VMCB_RIP, code_gpa(nested_tdp ? exotic_guest_l2_read : exotic_guest_l2));
	if (nested_tdp) {
		put64(v, VMCB_NESTED_CTL, 1);
		put64(v, VMCB_NCR3, sys_gpa(SYS_NPT_PML4));
	}
	put64(v, VMCB_RSP, sys_gpa(vcpu_area(vcpu_id) + VCPU_L2_STACK_TOP));
	put64(v, VMCB_RAX, 0);
	put64(v, VMCB_GPAT, 0x0007040600070406ULL);
}

/* ---------------------------------------------------------- loading */

/* the nested-TDP probe's nested page table maps 1 GiB pages (sys_build()) */
static bool has_1g_pages(const struct exotic_vm *vm)
{
	for (uint32_t i = 0; vm->cpuid && i < vm->cpuid->nent; i++)
		if (vm->cpuid->entries[i].function == 0x80000001)
			return vm->cpuid->entries[i].edx & (1U << 26);
	return false;
}

static bool in_system(uint64_t gpa, uint64_t len)
{
	return gpa < EXOTIC_VM_SYSTEM_GPA + EXOTIC_VM_SYSTEM_SIZE &&
	       EXOTIC_VM_SYSTEM_GPA < gpa + len;
}

static int check_range_params(struct exotic_ctx *ctx, const char *name,
			      const struct exotic_guest_params *p, uint64_t stride)
{
	if (stride < 8 || stride % 8) {
		exotic_err(ctx, "%s: stride %llu must be a non-zero multiple of 8\n",
			   name, (unsigned long long)stride);
		return -EINVAL;
	}
	if (p->gpa % PAGE_SIZE) {
		exotic_err(ctx, "%s: gpa 0x%llx must be page aligned\n", name,
			   (unsigned long long)p->gpa);
		return -EINVAL;
	}
	if (!p->len || p->len % stride) {
		exotic_err(ctx, "%s: length %llu must be a non-zero multiple of the stride %llu\n",
			   name, (unsigned long long)p->len, (unsigned long long)stride);
		return -EINVAL;
	}
	if (p->gpa >= EXOTIC_GUEST_MAPPED_LIMIT ||
	    p->len > EXOTIC_GUEST_MAPPED_LIMIT - p->gpa) {
		exotic_err(ctx, "%s: [0x%llx, +0x%llx) goes beyond the guest's identity map (0x%llx)\n",
			   name, (unsigned long long)p->gpa, (unsigned long long)p->len,
			   EXOTIC_GUEST_MAPPED_LIMIT);
		return -EINVAL;
	}
	if (in_system(p->gpa, p->len)) {
		exotic_err(ctx, "%s: [0x%llx, +0x%llx) overlaps the system range\n",
			   name, (unsigned long long)p->gpa, (unsigned long long)p->len);
		return -EINVAL;
	}
	return 0;
}

static int prepare_vmcb(struct exotic_vcpu *vcpu, uint64_t *gpa, uint32_t flags)
{
	struct exotic_ctx *ctx = vcpu->vm->ctx;
	uint8_t vmcb[PAGE_SIZE];
	void *hva;
	int ret;

	if (flags & (EXOTIC_PROBE_CONTROL | EXOTIC_PROBE_NESTED_TDP))
		*gpa = sys_gpa(vcpu_area(vcpu->id) + VCPU_VMCB);
	else if (*gpa % PAGE_SIZE) {
		exotic_err(ctx, "vmrun: vmcb_gpa 0x%llx must be page aligned\n",
			   (unsigned long long)*gpa);
		return -EINVAL;
	} else if (in_system(*gpa, PAGE_SIZE) && !(flags & EXOTIC_PROBE_NO_INIT)) {
		exotic_err(ctx, "vmrun: vmcb_gpa 0x%llx is in the system range: use EXOTIC_PROBE_CONTROL\n",
			   (unsigned long long)*gpa);
		return -EINVAL;
	}
	if (flags & EXOTIC_PROBE_NO_INIT)
		return 0;
	ret = exotic_vm_gpa_to_hva(vcpu->vm, *gpa, PAGE_SIZE, &hva);
	if (ret) {
		exotic_err(ctx, "vmrun: no memslot holds vmcb_gpa 0x%llx to write the VMCB into (EXOTIC_PROBE_NO_INIT skips that)\n",
			   (unsigned long long)*gpa);
		return ret;
	}
	ret = exotic_vm_check_host_write(vcpu->vm, *gpa);
	if (ret) {
		exotic_err(ctx, "vmrun: cannot write the VMCB at 0x%llx: the region behind it is %s (EXOTIC_PROBE_NO_INIT skips that)\n",
			   (unsigned long long)*gpa,
			   ret == -EACCES ? "read-only" : ret == -ENXIO ? "revoked" : strerror(-ret));
		return ret;
	}
	vmcb_build(vmcb, vcpu->id, flags & EXOTIC_PROBE_NESTED_TDP);
	memcpy(hva, vmcb, sizeof(vmcb));
	return 0;
}

EXOTIC_EXPORT int exotic_guest_load(struct exotic_vcpu *vcpu,
				    enum exotic_guest_program program,
				    const struct exotic_guest_params *params)
{
	struct exotic_guest_params p;
	struct exotic_ctx *ctx;
	const unsigned char *entry;
	const char *name;
	uint64_t stride;
	uint8_t *b;
	int ret;

	if (!vcpu || !params)
		return -EINVAL;
	ctx = vcpu->vm->ctx;
	name = exotic_guest_program_name(program);
	if (!name) {
		exotic_err(ctx, "unknown guest program %d\n", (int)program);
		return -EINVAL;
	}
	p = *params;
	if (p.flags & ~EXOTIC_GUEST_FLAGS_ALL) {
		exotic_err(ctx, "%s: unknown flags 0x%x\n", name,
			   p.flags & ~EXOTIC_GUEST_FLAGS_ALL);
		return -EINVAL;
	}
	if ((p.flags & EXOTIC_GUEST_SYNC_PASS) && program != EXOTIC_GUEST_WALK) {
		exotic_err(ctx, "%s: EXOTIC_GUEST_SYNC_PASS is for walk only\n", name);
		return -EINVAL;
	}
	if ((p.flags & (EXOTIC_PROBE_CONTROL | EXOTIC_PROBE_NO_INIT | EXOTIC_PROBE_NESTED_TDP)) &&
	    program != EXOTIC_GUEST_VMRUN) {
		exotic_err(ctx, "%s: EXOTIC_PROBE_* flags are for vmrun only\n", name);
		return -EINVAL;
	}
	if ((p.flags & EXOTIC_GUEST_FOREVER) &&
	    (program == EXOTIC_GUEST_VMRUN || program == EXOTIC_GUEST_MSR)) {
		exotic_err(ctx, "%s: EXOTIC_GUEST_FOREVER makes no sense here\n", name);
		return -EINVAL;
	}
	if (p.reserved || ((p.msr || p.msr_value) && program != EXOTIC_GUEST_MSR)) {
		exotic_err(ctx, "%s: msr and msr_value are for msr only, reserved must be zero\n",
			   name);
		return -EINVAL;
	}
	stride = p.stride ? p.stride : PAGE_SIZE;

	switch (program) {
	case EXOTIC_GUEST_WALK:
		entry = exotic_guest_walk;
		break;
	case EXOTIC_GUEST_WRITE:
		entry = exotic_guest_write;
		break;
	case EXOTIC_GUEST_CHECKSUM:
		entry = exotic_guest_checksum_prog;
		break;
	case EXOTIC_GUEST_VMRUN:
		entry = exotic_guest_vmrun;
		break;
	default:
		entry = exotic_guest_msr;
		break;
	}
	if (program == EXOTIC_GUEST_VMRUN && (p.flags & EXOTIC_PROBE_NESTED_TDP) &&
	    ((p.flags & EXOTIC_PROBE_NO_INIT) || p.gpa % 16 ||
	     p.gpa > EXOTIC_GUEST_MAPPED_LIMIT - 16 || in_system(p.gpa, 16))) {
		exotic_err(ctx, "vmrun: nested TDP reads the two words at gpa 0x%llx: 16-byte aligned, in the identity map, outside the system range, and the VMCB must be written (no EXOTIC_PROBE_NO_INIT)\n",
			   (unsigned long long)p.gpa);
		return -EINVAL;
	}
	if (program == EXOTIC_GUEST_VMRUN && (p.flags & EXOTIC_PROBE_NESTED_TDP) &&
	    !has_1g_pages(vcpu->vm)) {
		exotic_err(ctx, "vmrun: nested TDP: the vCPU has no 1 GiB pages (CPUID 0x80000001 EDX.PDPE1GB) for the nested page table\n");
		return -EOPNOTSUPP;
	}
	if (program == EXOTIC_GUEST_VMRUN)
		ret = prepare_vmcb(vcpu, &p.vmcb_gpa, p.flags);
	else if (program == EXOTIC_GUEST_MSR)
		ret = 0;
	else
		ret = check_range_params(ctx, name, &p, stride);
	if (ret)
		return ret;

	b = vcpu_block(vcpu);
	memset(b, 0, PAGE_SIZE);
	put64(b, B_GPA, p.gpa);
	put64(b, B_LEN, p.len);
	put64(b, B_STRIDE, stride);
	put64(b, B_SEED, p.seed);
	put64(b, B_PASSES, p.passes);
	put64(b, B_FLAGS, p.flags);
	put64(b, B_VMCB, p.vmcb_gpa);
	put64(b, B_HSAVE, sys_gpa(vcpu_area(vcpu->id) + VCPU_HSAVE));
	put64(b, B_MSR, p.msr);
	put64(b, B_MSR_VALUE, p.msr_value);
	put64(b, B_FIX_VEC, ~0ULL);

	vcpu->program = 0;
	ret = exotic_vcpu_reset(vcpu, code_gpa(entry));
	if (ret) {
		exotic_err(ctx, "vcpu %u: cannot start %s: %s\n", vcpu->id, name,
			   strerror(-ret));
		return ret;
	}
	vcpu->program = program;
	exotic_dbg(ctx, "vcpu %u: %s [0x%llx, +0x%llx) stride %llu seed 0x%llx flags 0x%x\n",
		   vcpu->id, name, (unsigned long long)p.gpa,
		   (unsigned long long)p.len, (unsigned long long)stride,
		   (unsigned long long)p.seed, p.flags);
	return 0;
}
