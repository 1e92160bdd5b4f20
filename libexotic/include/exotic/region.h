/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Region layer: a region of exotic memory allocated by the driver and
 * mapped into this process.
 *
 * exotic_region_new() allocates (EXOTIC_IOC_ALLOC) and mmaps the whole
 * region MAP_SHARED (2 MiB aligned for EXOTIC_MAP_HUGE); the last
 * exotic_region_unref() unmaps it and frees it in the driver.  Events
 * (revoke, invalidate, migrate) and queries are the driver's, passed
 * through unchanged: nothing is re-implemented here.
 */
#ifndef EXOTIC_REGION_H
#define EXOTIC_REGION_H

#include "exotic.h"

#ifdef __cplusplus
extern "C" {
#endif

struct exotic_device;
struct exotic_region;

/* exotic_region_params.map_flags */
#define EXOTIC_REGION_NOMAP	(1U << 0)	/* allocate only; map later */

/* Initialise with designated initialisers: unnamed fields must be zero. */
struct exotic_region_params {
	uint32_t kind;		/* enum exotic_kind */
	uint32_t method;	/* enum exotic_method */
	uint64_t length;	/* bytes: a multiple of the block size */
	uint32_t order;		/* block order (compound, noncompound, reserved) */
	uint32_t flags;		/* EXOTIC_ALLOC_* */
	int prot;		/* mmap protection; 0: read/write (read if READONLY) */
	uint32_t map_flags;	/* EXOTIC_REGION_* */
	uint64_t reserved[4];	/* must be zero: room to grow */
};

/*
 * Allocate a region on dev and map it.  The region holds a reference on
 * dev.  Errors: -EINVAL (bad params: the log says which), -EOPNOTSUPP (the
 * driver does not offer this kind or method now, e.g. no carve-out),
 * -EPERM (unsafe flag without unsafe_driver_bugs=1), -ENOSPC (driver
 * limits), -ENOMEM, or mmap's errno.
 */
EXOTIC_EXPORT int exotic_region_new(struct exotic_device *dev,
				    const struct exotic_region_params *params,
				    struct exotic_region **region);
EXOTIC_EXPORT struct exotic_region *exotic_region_ref(struct exotic_region *region);
EXOTIC_EXPORT struct exotic_region *exotic_region_unref(struct exotic_region *region);

/* Accessors; NULL/0 for a NULL region.  addr is NULL while unmapped. */
EXOTIC_EXPORT void *exotic_region_addr(const struct exotic_region *region);
EXOTIC_EXPORT size_t exotic_region_length(const struct exotic_region *region);
EXOTIC_EXPORT uint32_t exotic_region_handle(const struct exotic_region *region);
EXOTIC_EXPORT uint32_t exotic_region_kind(const struct exotic_region *region);
EXOTIC_EXPORT uint32_t exotic_region_method(const struct exotic_region *region);
EXOTIC_EXPORT uint32_t exotic_region_order(const struct exotic_region *region);
EXOTIC_EXPORT uint32_t exotic_region_flags(const struct exotic_region *region);
EXOTIC_EXPORT int exotic_region_prot(const struct exotic_region *region);
EXOTIC_EXPORT uint64_t exotic_region_mmap_offset(const struct exotic_region *region);
EXOTIC_EXPORT struct exotic_device *exotic_region_get_device(const struct exotic_region *region);

/*
 * Map the whole region (prot as in the params; 0 keeps the previous one)
 * after EXOTIC_REGION_NOMAP or exotic_region_unmap().  -EBUSY if mapped.
 */
EXOTIC_EXPORT int exotic_region_map(struct exotic_region *region, int prot);
/* Unmap the region's own mapping; the backing stays allocated. */
EXOTIC_EXPORT int exotic_region_unmap(struct exotic_region *region);
/*
 * mprotect() the region's own mapping to prot (PROT_READ and/or
 * PROT_WRITE); exotic_region_prot() follows.  -EBUSY if it has none.
 */
EXOTIC_EXPORT int exotic_region_protect(struct exotic_region *region, int prot);
/*
 * madvise() the region's own mapping (MADV_DOFORK and the like); the
 * kernel's -errno (the driver's mappings refuse some advice), -EBUSY if it
 * has none.
 */
EXOTIC_EXPORT int exotic_region_advise(struct exotic_region *region, int advice);
/*
 * Park: replace the region's own mapping with an inaccessible placeholder
 * at the same address, so that the device's PTEs and VMA are gone but
 * nobody else gets the range (what a VMM does when it unmaps a BAR it will
 * map again; a KVM memslot on it stays valid and faults meanwhile).
 * Unpark maps the device there again with the region's prot.  -EBUSY if
 * the region has no mapping of its own (or is parked), -EINVAL to unpark
 * one that is not parked; when unparking fails the region stays parked.
 */
EXOTIC_EXPORT int exotic_region_park(struct exotic_region *region);
EXOTIC_EXPORT int exotic_region_unpark(struct exotic_region *region);

/*
 * Map [offset, offset + length) once more, independently of the region's
 * own mapping (to check that events zap every mapping).  The caller
 * unmaps it with exotic_region_munmap() or munmap().
 */
EXOTIC_EXPORT int exotic_region_mmap(struct exotic_region *region,
				     uint64_t offset, size_t length, int prot,
				     void **addr);
EXOTIC_EXPORT int exotic_region_munmap(struct exotic_region *region,
				       void *addr, size_t length);

/* EXOTIC_IOC_INFO. */
EXOTIC_EXPORT int exotic_region_info(struct exotic_region *region,
				     struct exotic_region_info *info);

/*
 * EXOTIC_IOC_QUERY: describe up to count pages from byte offset (page
 * aligned).  Returns the number of entries written (>= 0) or -errno.
 */
EXOTIC_EXPORT int exotic_region_query(struct exotic_region *region,
				      uint64_t offset, struct exotic_page *pages,
				      size_t count);
/*
 * The region's quarantined pages in retirement order, starting at entry
 * index.  Returns the number written or -errno.
 */
EXOTIC_EXPORT int exotic_region_query_retired(struct exotic_region *region,
					      uint64_t index,
					      struct exotic_page *pages,
					      size_t count);

/*
 * Events.  epoch (may be NULL) receives the event's epoch.
 * revoke: zap every mapping and retire the backing; later accesses get
 *         SIGBUS.  The region's own mapping stays in place (unref unmaps).
 * invalidate: zap [offset, offset + length), keep the backing.
 * migrate: zap the range and move it to fresh backing (whole blocks).
 * length 0 means to the end of the region.  Ranges must be page aligned.
 */
EXOTIC_EXPORT int exotic_region_revoke(struct exotic_region *region,
				       uint64_t *epoch);
EXOTIC_EXPORT int exotic_region_invalidate(struct exotic_region *region,
					   uint64_t offset, uint64_t length,
					   uint64_t *epoch);
EXOTIC_EXPORT int exotic_region_migrate(struct exotic_region *region,
					uint64_t offset, uint64_t length,
					uint64_t *epoch);

/* Names: "refcounted", "compound", "noncompound", "reserved", "carveout";
 * "remap", "fault", "huge", "mixed", "page".  NULL when unknown. */
EXOTIC_EXPORT const char *exotic_kind_name(unsigned int kind);
EXOTIC_EXPORT const char *exotic_method_name(unsigned int method);
/* The kind or method for a name, or -EINVAL. */
EXOTIC_EXPORT int exotic_kind_from_name(const char *name);
EXOTIC_EXPORT int exotic_method_from_name(const char *name);

/*
 * If the 16 bytes at p hold the driver's poison pattern, store its epoch
 * in *epoch (may be NULL) and return 1; otherwise return 0.
 */
EXOTIC_EXPORT int exotic_is_poison(const void *p, uint64_t *epoch);

#ifdef __cplusplus
}
#endif

#endif /* EXOTIC_REGION_H */
