/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * exotic-fuzz's probes: ops that each check one promise the driver makes,
 * on a region of their own (a file of their own, so no other thread's op
 * can make a wrong answer right): the random ops find what the kernel
 * reports, the probes what is only wrong, such as a read that should
 * have faulted.  probe.c and this header are also written into the C
 * reproducers (emit.c): libc, pthreads and the driver's uapi only.
 */
#ifndef EXOTIC_FUZZ_PROBE_H
#define EXOTIC_FUZZ_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum fuzz_probe_mode {
	PROBE_REVOKE,		/* once REVOKE or FREE returns, no page reads */
	PROBE_MIGRATE,		/* after MIGRATE, old and new mappings agree */
	PROBE_REZAP,		/* a migrated range is not zapped again later */
	PROBE_PIN_QUERY,	/* QUERY of a pinned live page counts no anomaly */
	PROBE_NOPRIV,		/* what an opener without CAP_SYS_ADMIN gets */
	PROBE_MMAP_RACE,	/* a mapping made while REVOKE runs reads nothing */
	PROBE_GUP_HUGE,		/* pins of a HUGE mapping dropped: counts exact */
	PROBE_KILL,		/* SIGKILL ends a fault waiting behind MIGRATE */
	PROBE_FILE_CAP,		/* one file cannot take the whole device */
	PROBE_MODES,
};

/* What a probe found: nothing wrong, a finding (in msg), or no verdict. */
enum fuzz_probe_verdict {
	PROBE_CLEAN,
	PROBE_FOUND,
	PROBE_SKIPPED,		/* the set-up was refused or raced: no verdict */
};

struct fuzz_probe_env {
	const char *dev;
	bool root;		/* may write the module's parameters */
	/* *w into *val (write: *val into *w); 0, or the signal taken */
	int (*access)(volatile uint64_t *w, bool write, uint64_t *val);
	/*
	 * Called with open true before unsafe_driver_bugs is set to 1 and
	 * with false after it is back: the fuzzer keeps its own unsafe
	 * ALLOCs out of that window (NULL: nothing else runs).
	 */
	void (*unsafe_window)(void *ctx, bool open);
	/*
	 * mmap() of the device into this process (NULL: mmap() itself): the
	 * fuzzer keeps the probes' mappings off the host ranges of its KVM
	 * memslots (MAP_FAILED, errno EBUSY, where one would land there; a
	 * MAP_FIXED range is then left mapped PROT_NONE, the caller's).
	 */
	void *(*map)(void *ctx, void *addr, size_t len, int prot, int flags, int fd,
		     long long off);
	void *ctx;
};

const char *fuzz_probe_name(unsigned int mode);
/* Run one probe; msg gets the finding (PROBE_FOUND), or, from some probes,
 * why there is no verdict (PROBE_SKIPPED). */
enum fuzz_probe_verdict fuzz_probe(const struct fuzz_probe_env *env, unsigned int mode,
				   uint32_t kind, uint32_t method, uint64_t seed,
				   char *msg, size_t len);

#endif /* EXOTIC_FUZZ_PROBE_H */
