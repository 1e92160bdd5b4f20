/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Shared by region.c and region_events.c; not installed. */
#ifndef EXOTIC_REGION_INTERNAL_H
#define EXOTIC_REGION_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "exotic/exotic.h"

struct exotic_region {
	int refcount;
	struct exotic_device *dev;
	struct exotic_ctx *ctx;
	int fd;
	uint32_t handle;
	uint32_t kind;
	uint32_t method;
	uint32_t order;
	uint32_t flags;
	int prot;
	uint64_t length;
	uint64_t mmap_offset;
	void *addr;		/* the region's own mapping, NULL if none */
	bool parked;		/* addr holds a placeholder, not the device */
};

/*
 * [offset, offset + length) page aligned, not empty and inside the region
 * (with zero_ok, length 0 means "to the end"): 0, or -EINVAL with a message
 * naming what (region.c).
 */
int region_check_range(struct exotic_region *r, const char *what,
		       uint64_t offset, uint64_t length, bool zero_ok);

#endif /* EXOTIC_REGION_INTERNAL_H */
