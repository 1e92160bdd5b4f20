/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The contract between the host side of the KVM layer (kvm.c) and the
 * built-in guest programs (programs.S): where things live in the system
 * memslot and the layout of each vCPU's block.  Included from C and from
 * assembly, so only plain #defines.
 */
#ifndef EXOTIC_GUEST_ABI_H
#define EXOTIC_GUEST_ABI_H

/* Mirrors of exotic/kvm.h and exotic_uapi.h values (checked in kvm.c). */
#define ABI_SYSTEM_GPA		0xc0000000
#define ABI_UCALL_PORT		0xe7e7
#define ABI_POISON_MAGIC	0x4e4f53494f505845
#define UC_SYNC			1
#define UC_ASSERT		2
#define UC_DONE			3
#define UC_POISON		4
#define UC_EXCEPTION		5
#define PR_ENTERED		1
#define PR_GP			2
#define PR_NOT_ENTERED		3
#define PR_NO_SVM		4

/* Offsets in the system memslot (at EXOTIC_VM_SYSTEM_GPA). */
#define SYS_PML4		0x000000
#define SYS_PDPT		0x001000
#define SYS_PD			0x002000	/* one page per GiB mapped */
#define SYS_PD_PAGES		16
#define SYS_GDT			0x012000
#define SYS_IDT			0x013000
#define SYS_TSS			0x014000
#define SYS_CTRL		0x015000	/* host-published control page */
#define SYS_IOPM		0x016000	/* 12 KiB, all zero */
#define SYS_MSRPM		0x019000	/* 8 KiB, all zero */
#define SYS_NPT_PML4		0x01b000	/* the nested-TDP probe's nested page */
#define SYS_NPT_PDPT		0x01c000	/* table: identity, 1 GiB pages */
#define SYS_CODE		0x020000	/* the programs, copied here */
#define SYS_CODE_MAX		0x020000
#define SYS_VCPU		0x040000	/* per-vCPU areas */
#define SYS_VCPU_SIZE		0x008000

/* The control page. */
#define CTRL_DONE_EPOCH		0x00
#define CTRL_STOP		0x08

/* Inside one vCPU area. */
#define VCPU_BLOCK		0x0000
#define VCPU_HSAVE		0x1000
#define VCPU_VMCB		0x2000	/* control VMCB in ordinary memory */
#define VCPU_L2_STACK_TOP	0x4000
#define VCPU_STACK_TOP		0x8000

/* The vCPU block: program parameters, ucall area, exception fixup. */
#define B_GPA			0x00
#define B_LEN			0x08
#define B_STRIDE		0x10
#define B_SEED			0x18
#define B_PASSES		0x20
#define B_FLAGS			0x28
#define B_VMCB			0x30
#define B_HSAVE			0x38
#define B_MSR			0x40
#define B_MSR_VALUE		0x48
#define B_UC_TYPE		0x80
#define B_UC_LINE		0x88
#define B_UC_FILE		0x90
#define B_UC_NARGS		0x98
#define B_UC_ARGS		0xa0	/* 6 x 8 bytes */
#define B_FIX_VEC		0x100
#define B_FIX_RIP		0x108
#define B_FIX_TARGET		0x110
#define B_FIX_ERR		0x118
#define B_L2_MARK		0x140
#define B_L2_VALUE		0x148	/* the word L2 read (nested TDP) */
#define B_L2_VALUE2		0x150	/* and the word after it */

/* Guest selectors (GDT entries). */
#define SEL_CODE		0x08
#define SEL_DATA		0x10
#define SEL_TSS			0x18

/* Flag bits the programs test (must match exotic/kvm.h). */
#define GF_FOREVER		0
#define GF_SYNC_PASS		1

#endif /* EXOTIC_GUEST_ABI_H */
