/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The copy-path probe (kvm_copy.c): the guest sends [B_GPA, B_GPA + B_LEN)
 * to COPY_PORT with REP OUTSL.  String port I/O is always emulated by KVM
 * (svm io_interception() -> kvm_emulate_instruction()), and the emulator
 * reads the source operand through emulator_read_emulated() ->
 * kvm_vcpu_read_guest(), that is copy_from_user() on the memslot's host
 * mapping: KVM's copy path, not the vCPU page-fault path.  The host gets
 * the bytes in KVM_EXIT_IO exits and compares them with its own view.
 *
 * Kept out of programs.S: kvm_copy.c copies this blob into the tail of the
 * system slot's code area and enters it with the same conventions (RDI =
 * R15 = the vCPU block, ucalls on ABI_UCALL_PORT).
 */
#include "abi.h"

#define COPY_PORT	0xe7e8

	.section .rodata.exotic_copy, "a"
	.balign	16
	.globl	exotic_copy_start
	.hidden	exotic_copy_start
exotic_copy_start:
	movq	%rdi, %r15
	cld
	movq	B_GPA(%r15), %rsi
	movq	B_LEN(%r15), %rcx
	shrq	$2, %rcx
	movw	$COPY_PORT, %dx
	rep outsl
	movq	B_LEN(%r15), %rax
	movq	%rax, B_UC_ARGS(%r15)
	movq	$1, B_UC_NARGS(%r15)
	movq	$UC_DONE, B_UC_TYPE(%r15)
	movl	$UC_DONE, %eax
	movw	$ABI_UCALL_PORT, %dx
	outl	%eax, (%dx)
1:	hlt
	jmp	1b
	.globl	exotic_copy_end
	.hidden	exotic_copy_end
exotic_copy_end:

	.section .note.GNU-stack, "", @progbits
