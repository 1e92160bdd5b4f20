/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The built-in guest programs.  This is data for the host: kvm.c copies
 * everything between exotic_guest_start and exotic_guest_end into the
 * system memslot and points vCPUs at the entry points.  The code is
 * position independent (RIP-relative references only; absolute addresses
 * come from abi.h) and runs in 64-bit mode at CPL 0 with an identity map.
 *
 * Register conventions: the host enters a program with RDI = R15 = the
 * vCPU block (abi.h B_*), RSP = the vCPU stack.  R15 stays the block
 * pointer everywhere, including the exception handlers and L2.
 * A ucall stores its arguments in the block, its type in B_UC_TYPE and
 * writes the type to ABI_UCALL_PORT: KVM exits to the host with
 * KVM_EXIT_IO, the host reads the block, and the next KVM_RUN continues
 * after the OUT.
 */
#include "abi.h"

/* Clobbers rax and rdx. */
.macro UCALL type
	movq	$\type, B_UC_TYPE(%r15)
	movl	$\type, %eax
	movw	$ABI_UCALL_PORT, %dx
	outl	%eax, (%dx)
.endm

.macro ARGS n
	movq	$\n, B_UC_NARGS(%r15)
.endm

/* A failed check: report file and line with the args already stored. */
#define GUEST_ASSERT()						\
	movq	$__LINE__, B_UC_LINE(%r15);			\
	leaq	guest_file(%rip), %rax;				\
	movq	%rax, B_UC_FILE(%r15);				\
	UCALL	UC_ASSERT

	.section .rodata.exotic_guest, "a"
	.balign	4096
	.globl	exotic_guest_start
	.hidden	exotic_guest_start
exotic_guest_start:

/* The idle loop a fresh vCPU starts in. */
	.globl	exotic_guest_idle
	.hidden	exotic_guest_idle
exotic_guest_idle:
halt_forever:
	hlt
	jmp	halt_forever

/*
 * stamp: %rax = stamp(seed = %r8, gpa = %rax).  Clobbers %rdx.
 * Must match exotic_guest_stamp() in kvm.c.
 */
stamp:
	xorq	%r8, %rax
	movq	%rax, %rdx
	shrq	$33, %rdx
	xorq	%rdx, %rax
	movabsq	$0xff51afd7ed558ccd, %rdx
	imulq	%rdx, %rax
	movq	%rax, %rdx
	shrq	$33, %rdx
	xorq	%rdx, %rax
	ret

/*
 * Pass bookkeeping shared by the range programs: %r14 counts passes.
 * Falls through to the next pass (jumps to \again) while %r14 is below
 * B_PASSES (0 meaning 1), or, with GF_FOREVER, until the host sets the
 * control page's stop word.
 */
.macro NEXT_PASS again
	incq	%r14
	btq	$GF_FOREVER, B_FLAGS(%r15)
	jnc	1f
	movl	$(ABI_SYSTEM_GPA + SYS_CTRL), %eax
	cmpq	$0, CTRL_STOP(%rax)
	je	\again
	jmp	2f
1:	cmpq	B_PASSES(%r15), %r14
	jb	\again
2:
.endm

/* EXOTIC_GUEST_WRITE: stamp every word.  DONE {words written}. */
	.globl	exotic_guest_write
	.hidden	exotic_guest_write
exotic_guest_write:
	movq	%rdi, %r15
	xorl	%r11d, %r11d
	xorl	%r14d, %r14d
	movq	B_SEED(%r15), %r8
	movq	B_STRIDE(%r15), %r10
.Lw_pass:
	movq	B_GPA(%r15), %rsi
	movq	B_LEN(%r15), %r9
	addq	%rsi, %r9
.Lw_loop:
	cmpq	%r9, %rsi
	jae	.Lw_pass_done
	movq	%rsi, %rax
	call	stamp
	movq	%rax, (%rsi)
	incq	%r11
	addq	%r10, %rsi
	jmp	.Lw_loop
.Lw_pass_done:
	NEXT_PASS .Lw_pass
	movq	%r11, B_UC_ARGS(%r15)
	ARGS	1
	UCALL	UC_DONE
	jmp	halt_forever

/*
 * EXOTIC_GUEST_WALK: check every word's stamp, following the done_epoch
 * protocol for poison.  Registers: %rsi cursor, %r9 end, %r10 stride,
 * %r8 seed, %rbp control page, %rbx done_epoch read before the access,
 * %rcx the word, %r11 ok, %r12 in-flight poison, %r13 detections.
 */
	.globl	exotic_guest_walk
	.hidden	exotic_guest_walk
exotic_guest_walk:
	movq	%rdi, %r15
	movl	$(ABI_SYSTEM_GPA + SYS_CTRL), %ebp
	xorl	%r11d, %r11d
	xorl	%r12d, %r12d
	xorl	%r13d, %r13d
	xorl	%r14d, %r14d
	movq	B_SEED(%r15), %r8
	movq	B_STRIDE(%r15), %r10
.Lk_pass:
	movq	B_GPA(%r15), %rsi
	movq	B_LEN(%r15), %r9
	addq	%rsi, %r9
.Lk_loop:
	cmpq	%r9, %rsi
	jae	.Lk_pass_done
	movq	CTRL_DONE_EPOCH(%rbp), %rbx	/* x86 keeps these two loads in order */
	movq	(%rsi), %rcx
	movq	%rsi, %rax
	call	stamp
	cmpq	%rax, %rcx
	jne	.Lk_odd
	incq	%r11
.Lk_next:
	addq	%r10, %rsi
	jmp	.Lk_loop
.Lk_odd:
	movabsq	$ABI_POISON_MAGIC, %rdx
	cmpq	%rdx, %rcx
	jne	.Lk_mismatch
	movq	8(%rsi), %rdx
	cmpq	%rbx, %rdx
	ja	.Lk_inflight
	incq	%r13
	movq	%rsi, B_UC_ARGS(%r15)
	movq	%rdx, B_UC_ARGS+8(%r15)
	movq	%rbx, B_UC_ARGS+16(%r15)
	ARGS	3
	UCALL	UC_POISON
	jmp	.Lk_next
.Lk_inflight:
	incq	%r12
	jmp	.Lk_next
.Lk_mismatch:
	movq	%rsi, B_UC_ARGS(%r15)
	movq	%rax, B_UC_ARGS+8(%r15)
	movq	%rcx, B_UC_ARGS+16(%r15)
	ARGS	3
	GUEST_ASSERT()
	jmp	halt_forever
.Lk_pass_done:
	btq	$GF_SYNC_PASS, B_FLAGS(%r15)
	jnc	1f
	leaq	1(%r14), %rax
	movq	%rax, B_UC_ARGS(%r15)
	movq	%r11, B_UC_ARGS+8(%r15)
	ARGS	2
	UCALL	UC_SYNC
1:	NEXT_PASS .Lk_pass
	movq	%r11, B_UC_ARGS(%r15)
	movq	%r12, B_UC_ARGS+8(%r15)
	movq	%r13, B_UC_ARGS+16(%r15)
	movq	%r14, B_UC_ARGS+24(%r15)
	ARGS	4
	UCALL	UC_DONE
	jmp	halt_forever

/*
 * EXOTIC_GUEST_CHECKSUM: FNV-1a over the words, 64 bits at a time.  Each
 * pass must give the first pass's value (ASSERT {pass, first, now}).
 * DONE {checksum, words per pass}.
 */
	.globl	exotic_guest_checksum_prog
	.hidden	exotic_guest_checksum_prog
exotic_guest_checksum_prog:
	movq	%rdi, %r15
	xorl	%r14d, %r14d
	movabsq	$0x100000001b3, %rcx
	movq	B_STRIDE(%r15), %r10
.Lc_pass:
	movabsq	$0xcbf29ce484222325, %rbx
	xorl	%r11d, %r11d
	movq	B_GPA(%r15), %rsi
	movq	B_LEN(%r15), %r9
	addq	%rsi, %r9
.Lc_loop:
	cmpq	%r9, %rsi
	jae	.Lc_pass_done
	movq	(%rsi), %rax
	xorq	%rax, %rbx
	imulq	%rcx, %rbx
	incq	%r11
	addq	%r10, %rsi
	jmp	.Lc_loop
.Lc_pass_done:
	testq	%r14, %r14
	jnz	1f
	movq	%rbx, %r13
1:	cmpq	%r13, %rbx
	je	2f
	movq	%r14, B_UC_ARGS(%r15)
	movq	%r13, B_UC_ARGS+8(%r15)
	movq	%rbx, B_UC_ARGS+16(%r15)
	ARGS	3
	GUEST_ASSERT()
	jmp	halt_forever
2:	NEXT_PASS .Lc_pass
	movq	%rbx, B_UC_ARGS(%r15)
	movq	%r11, B_UC_ARGS+8(%r15)
	ARGS	2
	UCALL	UC_DONE
	jmp	halt_forever

/*
 * EXOTIC_GUEST_VMRUN: the nested probe.  KVM's nested_svm_vmrun() maps
 * the VMCB at RAX with kvm_vcpu_map() and injects #GP when that fails;
 * the #GP handler resumes at .Lv_gp through the block's fixup.
 * DONE {EXOTIC_PROBE_*, #GP error code, the two words L2 read (nested
 * TDP)}.
 */
	.globl	exotic_guest_vmrun
	.hidden	exotic_guest_vmrun
exotic_guest_vmrun:
	movq	%rdi, %r15
	movl	$0x80000001, %eax
	xorl	%ecx, %ecx
	cpuid
	btl	$2, %ecx			/* CPUID.80000001H:ECX.SVM */
	jc	1f
	movq	$PR_NO_SVM, %rbx
	xorl	%ecx, %ecx
	jmp	.Lv_report
1:	movl	$0xc0000080, %ecx		/* EFER.SVME */
	rdmsr
	btsl	$12, %eax
	wrmsr
	movl	$0xc0010117, %ecx		/* VM_HSAVE_PA */
	movq	B_HSAVE(%r15), %rax
	movq	%rax, %rdx
	shrq	$32, %rdx
	wrmsr
	movq	$0, B_L2_MARK(%r15)
	movq	$0, B_L2_VALUE(%r15)
	movq	$0, B_L2_VALUE2(%r15)
	leaq	.Lv_insn(%rip), %rax
	movq	%rax, B_FIX_RIP(%r15)
	leaq	.Lv_gp(%rip), %rax
	movq	%rax, B_FIX_TARGET(%r15)
	movq	$13, B_FIX_VEC(%r15)
	movq	B_VMCB(%r15), %rax
.Lv_insn:
	vmrun	%rax
	movq	$-1, B_FIX_VEC(%r15)
	stgi
	movq	$PR_NOT_ENTERED, %rbx
	cmpq	$0, B_L2_MARK(%r15)
	je	2f
	movq	$PR_ENTERED, %rbx
2:	xorl	%ecx, %ecx
	jmp	.Lv_report
.Lv_gp:
	movq	$PR_GP, %rbx
	movq	B_FIX_ERR(%r15), %rcx
.Lv_report:
	movq	%rbx, B_UC_ARGS(%r15)
	movq	%rcx, B_UC_ARGS+8(%r15)
	movq	B_L2_VALUE(%r15), %rax
	movq	%rax, B_UC_ARGS+16(%r15)
	movq	B_L2_VALUE2(%r15), %rax
	movq	%rax, B_UC_ARGS+24(%r15)
	ARGS	4
	UCALL	UC_DONE
	jmp	halt_forever

/*
 * msr: WRMSR B_MSR <- B_MSR_VALUE, then DONE {0}.  For the paravirtual
 * MSRs whose value is a guest address KVM then writes to (kvmclock,
 * steal time): KVM handles the WRMSR, updates the record on the way back
 * into the guest, and the host looks at the record once DONE is in.
 */
	.globl	exotic_guest_msr
	.hidden	exotic_guest_msr
exotic_guest_msr:
	movq	%rdi, %r15
	movl	B_MSR(%r15), %ecx
	movq	B_MSR_VALUE(%r15), %rax
	movq	%rax, %rdx
	shrq	$32, %rdx
	wrmsr
	movq	$0, B_UC_ARGS(%r15)
	ARGS	1
	UCALL	UC_DONE
	jmp	halt_forever


/* L2 of the probe: general registers are L1's, so %r15 is the block. */
	.globl	exotic_guest_l2
	.hidden	exotic_guest_l2
exotic_guest_l2:
	movq	$1, B_L2_MARK(%r15)
	vmmcall
	ud2

/*
 * L2 under nested paging (EXOTIC_PROBE_NESTED_TDP): read the word at
 * B_GPA and the one after it (a poison pair's magic and epoch), at an
 * L2-physical address that L1's nested page table maps onto the same L1
 * address, so KVM resolves it through its nested MMU.
 */
	.globl	exotic_guest_l2_read
	.hidden	exotic_guest_l2_read
exotic_guest_l2_read:
	movq	B_GPA(%r15), %rax
	movq	8(%rax), %rdx
	movq	(%rax), %rax
	movq	%rax, B_L2_VALUE(%r15)
	movq	%rdx, B_L2_VALUE2(%r15)
	movq	$1, B_L2_MARK(%r15)
	vmmcall
	ud2

/*
 * Exception stubs for vectors 0..31, 16 bytes apart (the host points the
 * IDT at them).  Each leaves {vector, error code} on the stack.
 */
	.balign	16
	.globl	exotic_guest_exc_stubs
	.hidden	exotic_guest_exc_stubs
exotic_guest_exc_stubs:
.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.balign	16
	.if (\v == 8) || ((\v >= 10) && (\v <= 14)) || (\v == 17) || (\v == 21) || (\v == 29) || (\v == 30)
	.else
	pushq	$0
	.endif
	pushq	$\v
	jmp	exc_common
.endr

/*
 * Stack: vector, error, rip, cs, rflags, rsp, ss.  An exception the
 * running program armed a fixup for (B_FIX_VEC at B_FIX_RIP) resumes at
 * B_FIX_TARGET with the error code in B_FIX_ERR; anything else is
 * reported as EXOTIC_UCALL_EXCEPTION {vector, error, rip, cr2}.
 */
exc_common:
	pushq	%rax
	movq	8(%rsp), %rax
	cmpq	B_FIX_VEC(%r15), %rax
	jne	1f
	movq	24(%rsp), %rax
	cmpq	B_FIX_RIP(%r15), %rax
	jne	1f
	movq	16(%rsp), %rax
	movq	%rax, B_FIX_ERR(%r15)
	movq	B_FIX_TARGET(%r15), %rax
	movq	%rax, 24(%rsp)
	movq	$-1, B_FIX_VEC(%r15)
	popq	%rax
	addq	$16, %rsp
	iretq
1:	movq	8(%rsp), %rax
	movq	%rax, B_UC_ARGS(%r15)
	movq	16(%rsp), %rax
	movq	%rax, B_UC_ARGS+8(%r15)
	movq	24(%rsp), %rax
	movq	%rax, B_UC_ARGS+16(%r15)
	movq	%cr2, %rax
	movq	%rax, B_UC_ARGS+24(%r15)
	ARGS	4
	UCALL	UC_EXCEPTION
	jmp	halt_forever

guest_file:
	.asciz	__FILE__

	.globl	exotic_guest_end
	.hidden	exotic_guest_end
exotic_guest_end:

	.section .note.GNU-stack, "", @progbits
