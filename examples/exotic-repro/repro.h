/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef EXOTIC_REPRO_H
#define EXOTIC_REPRO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exotic/exotic.h"
#include "exotic/expect.h"

struct repro {
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

extern const struct repro repro_catalog[];
extern const size_t repro_count;
const struct repro *repro_find(const char *name);
/* Its alloc flags on the running kernel (the unsafe flag only if needed). */
uint32_t repro_alloc_flags(const struct repro *r);

#endif /* EXOTIC_REPRO_H */
