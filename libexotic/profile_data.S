/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The profile registry (kernels/profiles.tsv), built into the library as
 * the expectation tables are (expect_data.S): .incbin is relative to the
 * top of the tree, and the Makefile makes this object depend on the file.
 */
	.section .rodata.exotic_profiles, "a"
	.globl	exotic_profiles_tsv
	.hidden	exotic_profiles_tsv
exotic_profiles_tsv:
	.incbin	"kernels/profiles.tsv"
	.byte	0

	.section .note.GNU-stack, "", @progbits
