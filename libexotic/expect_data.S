/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The expectation tables (expect/PROFILE.tsv), built into the library so
 * that exotic-matrix and exotic-repro find them anywhere, e.g. in the test
 * VM.  .incbin is relative to the top of the tree, where make runs; the
 * Makefile makes this object depend on expect/*.tsv.
 */
.macro TABLE sym, file
	.globl	\sym
	.hidden	\sym
	.globl	\sym\()_end
	.hidden	\sym\()_end
\sym:
	.incbin	"\file"
\sym\()_end:
	.byte	0
.endm

	.section .rodata.exotic_expect, "a"
	TABLE	exotic_expect_stock_6_1, "expect/stock-6.1.tsv"
	TABLE	exotic_expect_patched_6_1, "expect/patched-6.1.tsv"
	TABLE	exotic_expect_patched_6_1_unsafe, "expect/patched-6.1-unsafe.tsv"
	TABLE	exotic_expect_lts_6_12, "expect/lts-6.12.tsv"
	TABLE	exotic_expect_upstream_7_3, "expect/upstream-7.3.tsv"
	TABLE	exotic_expect_upstream_7_3_unsafe, "expect/upstream-7.3-unsafe.tsv"
	TABLE	exotic_expect_upstream_7_3_patched, "expect/upstream-7.3-patched.tsv"

	.section .note.GNU-stack, "", @progbits
