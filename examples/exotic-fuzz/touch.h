/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The pages an op picks and the guarded reads and writes of them (the
 * ops' and the probes'), written once: exec.c includes this file, and
 * emit.c writes it into every C reproducer in place of the prelude's
 * #include of it.  Before including it: PG, and the sigjmp_buf touch_jmp
 * and volatile sig_atomic_t in_touch that the SIGBUS/SIGSEGV handler
 * jumps through.  libc headers only.
 */
#ifndef EXOTIC_FUZZ_TOUCH_H
#define EXOTIC_FUZZ_TOUCH_H

#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

/* A sub-range [off, off + len) of npages pages, from the op's x and y. */
static void sub_range(uint64_t npages, uint64_t x, uint64_t y, uint64_t *off,
		      uint64_t *len)
{
	*off = npages ? x % npages : 0;
	*len = y ? y : npages - *off;
	if (*off + *len > npages)
		*len = npages - *off;
}

/* Read (and write) a word of each page; SIGBUS/SIGSEGV are answers too. */
static unsigned int touch(uint8_t *addr, uint64_t len, uint64_t x, uint64_t y,
			  bool write)
{
	volatile uint64_t *w;
	uint64_t off, n;
	/* live across siglongjmp() */
	volatile unsigned int sigs = 0;
	volatile uint64_t i;

	sub_range(len / PG, x, y, &off, &n);
	for (i = off; i < off + n; i++) {
		w = (volatile uint64_t *)(addr + i * PG + ((i * 72) & (PG - 8)));
		if (sigsetjmp(touch_jmp, 1)) {
			in_touch = 0;
			sigs++;
			continue;
		}
		in_touch = 1;
		if (write)
			*w = *w + 1;
		else
			(void)*w;
		in_touch = 0;
	}
	return sigs;
}

/* One word read into *val or written from it, guarded: 0 or the signal taken. */
static int guarded_access(volatile uint64_t *w, bool write, uint64_t *val)
{
	int sig = sigsetjmp(touch_jmp, 1);

	if (sig) {
		in_touch = 0;
		return sig;
	}
	in_touch = 1;
	if (write)
		*w = *val;
	else
		*val = *w;
	in_touch = 0;
	return 0;
}

#endif /* EXOTIC_FUZZ_TOUCH_H */
