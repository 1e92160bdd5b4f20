/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The expectation tables (expect/TABLE.tsv), built into the library so
 * that exotic-matrix and exotic-repro find them anywhere, e.g. in the test
 * VM.  Each TABLE line adds the text (NUL-terminated) and an entry {name,
 * text, end of text} to exotic_expect_index, which expect.c walks: a new
 * table is one line here.  .incbin is relative to the top of the tree,
 * where make runs; the Makefile makes this object depend on expect/*.tsv.
 */
	.section .data.rel.ro.exotic_expect_index, "aw"
	.balign	8
	.globl	exotic_expect_index
	.hidden	exotic_expect_index
exotic_expect_index:

.macro TABLE name, file
	.section .rodata.exotic_expect, "a"
.Ltext\@:
	.incbin	"\file"
.Lend\@:
	.byte	0
.Lname\@:
	.asciz	"\name"
	.section .data.rel.ro.exotic_expect_index, "aw"
	.quad	.Lname\@, .Ltext\@, .Lend\@
.endm

	TABLE	stock-6.1, "expect/stock-6.1.tsv"
	TABLE	patched-6.1, "expect/patched-6.1.tsv"
	TABLE	patched-6.1-unsafe, "expect/patched-6.1-unsafe.tsv"
	TABLE	stock-6.1-shadow, "expect/stock-6.1-shadow.tsv"
	TABLE	patched-6.1-shadow, "expect/patched-6.1-shadow.tsv"
	TABLE	lts-6.12, "expect/lts-6.12.tsv"
	TABLE	upstream-7.3, "expect/upstream-7.3.tsv"
	TABLE	upstream-7.3-unsafe, "expect/upstream-7.3-unsafe.tsv"
	TABLE	upstream-7.3-patched, "expect/upstream-7.3-patched.tsv"
	TABLE	upstream-7.3-shadow, "expect/upstream-7.3-shadow.tsv"
	TABLE	debug-6.1, "expect/debug-6.1.tsv"
	TABLE	debug-patched-6.1, "expect/debug-patched-6.1.tsv"

	.section .data.rel.ro.exotic_expect_index, "aw"
	.globl	exotic_expect_index_end
	.hidden	exotic_expect_index_end
exotic_expect_index_end:

	.section .note.GNU-stack, "", @progbits
