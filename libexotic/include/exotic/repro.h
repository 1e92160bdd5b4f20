/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The reproducers: publicly reported bugs (and one found here) with exotic
 * memory behind KVM, each one scenario of the runner (exotic/runner.h).
 * The catalog is data in the library (libexotic/repro.c); what each must
 * show on each kernel profile is in the expectation tables ("repro:NAME"
 * rows).  exotic-repro and tests/vm/test_repro run them.
 */
#ifndef EXOTIC_REPRO_H
#define EXOTIC_REPRO_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include "exotic.h"
#include "expect.h"

#ifdef __cplusplus
extern "C" {
#endif

struct exotic_repro {
	const char *name;
	const char *title;
	const char *source;	/* where it was reported */
	const char *kernels;	/* which kernels have it */
	uint32_t kind, method, path, event;
	uint32_t order;
	uint64_t length;
	uint32_t alloc_flags;	/* EXOTIC_ALLOC_* */
	/*
	 * The driver needs EXOTIC_ALLOC_UNSAFE_DRIVER_BUG for it only before
	 * this kernel (major << 8 | minor; 0: on every kernel).
	 */
	uint32_t unsafe_before;
	uint32_t scn_flags;	/* EXOTIC_SCN_* */
	int prot;
};

/* The catalog, in its order; NULL past the end or for an unknown name. */
EXOTIC_EXPORT size_t exotic_repro_count(void);
EXOTIC_EXPORT const struct exotic_repro *exotic_repro_at(size_t i);
EXOTIC_EXPORT const struct exotic_repro *exotic_repro_find(const char *name);

/*
 * The scenario that reproduces it on the running kernel (its alloc flags
 * carry the unsafe flag only where the driver needs it), stamped with seed.
 */
EXOTIC_EXPORT void exotic_repro_scenario(const struct exotic_repro *repro,
					 uint64_t seed, struct exotic_scenario *s);

/* "noncompound order 1, 8192 bytes, fault, path npf, event none, ..." */
EXOTIC_EXPORT void exotic_repro_describe(const struct exotic_repro *repro,
					 char *buf, size_t len);

/*
 * Its JSON fields, from "name" to "scenario", without braces (the rows of
 * exotic-repro list --json and of the runner's documents).
 */
EXOTIC_EXPORT void exotic_repro_json_fields(FILE *f, const struct exotic_repro *repro);

#ifdef __cplusplus
}
#endif

#endif
