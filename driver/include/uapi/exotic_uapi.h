/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * exotic: a test driver that hands userspace the kinds of memory GPU drivers
 * hand to VMMs (tail pages of non-compound allocations, reserved pages, PFNs
 * without struct page), maps them the ways GPU drivers do, and takes them
 * away again (revoke, invalidate, migrate).
 *
 * This is the only file shared between the driver and userspace.  All
 * structures have the same layout on 32-bit and 64-bit: fixed-width fields,
 * explicit padding, user pointers carried as __u64.  Reserved fields and
 * padding must be zero; unknown flags are rejected with EINVAL and unknown
 * commands with ENOTTY.
 */
#ifndef _UAPI_EXOTIC_H
#define _UAPI_EXOTIC_H

#include <linux/types.h>
#include <linux/ioctl.h>

/* 2: exotic_page reports facts only (expected_refcount went) */
#define EXOTIC_ABI_VERSION	2

/* What backs a region. */
enum exotic_kind {
	EXOTIC_KIND_REFCOUNTED	= 1,	/* order-0 alloc_page(), refcount 1 */
	EXOTIC_KIND_COMPOUND	= 2,	/* alloc_pages(__GFP_COMP, order): a folio */
	EXOTIC_KIND_NONCOMPOUND	= 3,	/* alloc_pages(order), no __GFP_COMP: tails at refcount 0 */
	EXOTIC_KIND_RESERVED	= 4,	/* alloc_pages(order) with PG_reserved set on every page */
	EXOTIC_KIND_CARVEOUT	= 5,	/* PFNs of a memmap= carve-out: no struct page */
	EXOTIC_KIND_MAX		= 5,
};

/* How a region is mapped into userspace. */
enum exotic_method {
	EXOTIC_MAP_REMAP	= 1,	/* VM_PFNMAP|VM_IO, whole VMA filled at its first fault */
	EXOTIC_MAP_FAULT	= 2,	/* vmf_insert_pfn() from ->fault, VM_PFNMAP|VM_IO */
	EXOTIC_MAP_HUGE		= 3,	/* vmf_insert_pfn_pmd(), 2 MiB; < 6.12: compound */
	EXOTIC_MAP_MIXED	= 4,	/* vmf_insert_mixed() from ->fault, VM_MIXEDMAP */
	EXOTIC_MAP_PAGE		= 5,	/* vm_insert_page(): refcounted kinds only */
	EXOTIC_MAP_MAX		= 5,
};

/*
 * Allocation flags.
 *
 * EXOTIC_ALLOC_READONLY: the region can only be mapped without PROT_WRITE
 * (VM_MAYWRITE is cleared), like a read-only dma-buf export.
 *
 * EXOTIC_ALLOC_MKWRITE: fault-based methods insert read-only PTEs first and
 * make them writable from ->pfn_mkwrite on the first write, like a driver
 * that tracks dirtying.
 *
 * EXOTIC_ALLOC_UNSAFE_DRIVER_BUG: permit a kind x method combination that is
 * unsafe by construction: vm_insert_page() on a refcount-0 tail page, and,
 * before Linux 6.12, EXOTIC_MAP_HUGE of any kind but EXOTIC_KIND_COMPOUND.
 * There a PMD has no special bit, so GUP-fast (vmsplice(), O_DIRECT, KVM)
 * takes a huge PFN mapping for a THP: over a non-compound block (noncompound,
 * reserved) all references land on the head page and the tails underflow,
 * so pages a pipe still holds are freed; over PFNs without struct page
 * (carveout) it oopses.  The flag exists to reproduce such bugs and is
 * refused with EPERM unless the module parameter unsafe_driver_bugs=1 is set
 * and the caller has CAP_SYS_ADMIN; using it taints the kernel (TAINT_USER).
 */
#define EXOTIC_ALLOC_READONLY		(1U << 0)
#define EXOTIC_ALLOC_MKWRITE		(1U << 1)
#define EXOTIC_ALLOC_UNSAFE_DRIVER_BUG	(1U << 2)
#define EXOTIC_ALLOC_FLAGS_ALL		(EXOTIC_ALLOC_READONLY | \
					 EXOTIC_ALLOC_MKWRITE | \
					 EXOTIC_ALLOC_UNSAFE_DRIVER_BUG)

/* Size of the huge mapping unit. */
#define EXOTIC_HUGE_SIZE	(2ULL << 20)

/*
 * Retired pages (revoke, migrate, free) are filled with this pattern before
 * they are quarantined: every aligned 16 bytes hold { magic, epoch }, so any
 * read through a stale translation tells which event retired the page.
 */
#define EXOTIC_POISON_MAGIC	0x4e4f53494f505845ULL	/* "EXPOISON" */

struct exotic_poison {
	__u64 magic;
	__u64 epoch;
};

/* EXOTIC_IOC_VERSION: what this driver is and what it allows. */
struct exotic_version {
	__u32 abi_version;	/* out: EXOTIC_ABI_VERSION */
	__u32 kinds;		/* out: bitmask of (1 << kind) available now */
	__u32 methods;		/* out: bitmask of (1 << method) */
	__u32 max_order;	/* out: largest allocation order accepted */
	__u64 max_bytes;	/* out: per-device byte cap */
	__u64 used_bytes;	/* out: bytes allocated by all files now */
	__u64 carveout_base;	/* out: its physical base; 0: none, or no CAP_SYS_ADMIN */
	__u64 carveout_size;	/* out: its size in bytes, 0 if none */
	__u32 max_regions;	/* out: per-file region cap */
	__u32 quarantine_ms;	/* out: how long retired pages are held */
	__u64 epoch;		/* out: last event epoch issued by the device */
	__u64 file_max_bytes;	/* out: per-file cap on live regions' bytes */
	__u64 file_used_bytes;	/* out: bytes of this file's live regions */
	__u64 reserved[2];	/* out: zero */
};

/*
 * EXOTIC_IOC_ALLOC.  order is the block order asked for (compound,
 * noncompound, reserved); the driver writes back the one it used, which
 * may be larger (the carve-out mapped huge takes 2 MiB blocks).
 */
struct exotic_alloc {
	__u32 kind;		/* in: enum exotic_kind */
	__u32 method;		/* in: enum exotic_method */
	__u64 length;		/* in: bytes, a multiple of the block size */
	__u32 order;		/* in/out: block order asked for / used */
	__u32 flags;		/* in: EXOTIC_ALLOC_* */
	__u32 handle;		/* out: region handle, unique within the file */
	__u32 pad;		/* must be zero */
	__u64 mmap_offset;	/* out: offset to pass to mmap() on this file */
	__u64 reserved[4];	/* must be zero */
};

/*
 * EXOTIC_IOC_FREE, EXOTIC_IOC_REVOKE, EXOTIC_IOC_INVALIDATE, EXOTIC_IOC_MIGRATE.
 *
 * free: zap every mapping of the region, retire its backing, forget the
 * handle.  revoke: zap every mapping, retire the backing; the handle stays
 * and later faults get SIGBUS.  invalidate: zap [offset, offset + length);
 * the next fault maps the same PFNs.  migrate: zap the range, copy it into
 * fresh backing of the same kind, retire the old pages; the next fault maps
 * the new PFNs.  For free and revoke, offset and length must be zero.
 * Ranges must be page aligned; migrate ranges must cover whole blocks.
 */
struct exotic_event {
	__u32 handle;		/* in */
	__u32 flags;		/* in: must be zero */
	__u64 offset;		/* in: byte offset in the region */
	__u64 length;		/* in: bytes; 0 means to the end of the region */
	__u64 epoch;		/* out: epoch of this event */
	__u64 reserved[2];	/* must be zero */
};

/* Region states (exotic_region_info.state). */
#define EXOTIC_STATE_LIVE	1
#define EXOTIC_STATE_REVOKED	2

/* EXOTIC_IOC_INFO */
struct exotic_region_info {
	__u32 handle;		/* in */
	__u32 kind;		/* out */
	__u32 method;		/* out */
	__u32 order;		/* out */
	__u32 flags;		/* out: the alloc flags */
	__u32 state;		/* out: EXOTIC_STATE_* */
	__u64 length;		/* out */
	__u64 mmap_offset;	/* out */
	__u64 nr_pfns;		/* out: backing PFNs (0 once revoked) */
	__u64 faults;		/* out: PTEs or PMDs inserted by fault handlers */
	__u64 zaps;		/* out: unmap_mapping_range() calls */
	__u64 migrations;	/* out: migrate events */
	__u64 epoch;		/* out: epoch of the last event on this region */
	__u64 refcount_anomalies; /* out: pages freed off their allocation's refcount, or mapped */
	__u64 quarantined;	/* out: retired pages of this region still held */
	__u64 reserved[4];	/* out: zero */
};

/* Per-page flags (exotic_page.flags). */
#define EXOTIC_PAGE_HAS_STRUCT	(1U << 0)	/* pfn_valid() */
#define EXOTIC_PAGE_RESERVED	(1U << 1)	/* PageReserved() */
#define EXOTIC_PAGE_COMPOUND	(1U << 2)	/* PageCompound() */
#define EXOTIC_PAGE_HEAD	(1U << 3)	/* PageHead() */
#define EXOTIC_PAGE_TAIL	(1U << 4)	/* PageTail() */
#define EXOTIC_PAGE_BLOCK_TAIL	(1U << 5)	/* not the first page of its block */
#define EXOTIC_PAGE_QUARANTINED	(1U << 6)	/* retired, held in quarantine */
/* (1U << 7): ANOMALY in ABI 1, when QUERY judged refcounts; not reused */
#define EXOTIC_PAGE_POISON_OK	(1U << 8)	/* quarantined and poison intact */

struct exotic_page {
	__u64 pfn;		/* 0 unless the file was opened with CAP_SYS_ADMIN */
	__s32 refcount;		/* page_ref_count(), -1 without struct page */
	__s32 mapcount;		/* page_mapcount(), -1 without struct page */
	__u32 reserved;		/* zero */
	__u32 flags;		/* EXOTIC_PAGE_* */
	__u64 offset;		/* byte offset in the region */
	__u64 epoch;		/* quarantined pages: the epoch that retired them */
};

/*
 * EXOTIC_IOC_QUERY: describe count pages starting at byte offset of a live
 * region, or, with EXOTIC_QUERY_RETIRED, the region's quarantined pages in
 * the order they were retired (offset then indexes that list, in pages).
 * Writes at most count entries to the array at pages; returns the number
 * written in count.
 */
#define EXOTIC_QUERY_RETIRED	(1U << 0)

struct exotic_query {
	__u32 handle;		/* in */
	__u32 flags;		/* in: EXOTIC_QUERY_* */
	__u64 offset;		/* in */
	__u64 count;		/* in: entries available; out: entries written */
	__u64 pages;		/* in: user pointer to struct exotic_page[count] */
	__u64 reserved[2];	/* must be zero */
};

#define EXOTIC_IOC_MAGIC	0xE7

#define EXOTIC_IOC_VERSION	_IOR(EXOTIC_IOC_MAGIC, 0x00, struct exotic_version)
#define EXOTIC_IOC_ALLOC	_IOWR(EXOTIC_IOC_MAGIC, 0x01, struct exotic_alloc)
#define EXOTIC_IOC_FREE		_IOWR(EXOTIC_IOC_MAGIC, 0x02, struct exotic_event)
#define EXOTIC_IOC_REVOKE	_IOWR(EXOTIC_IOC_MAGIC, 0x03, struct exotic_event)
#define EXOTIC_IOC_INVALIDATE	_IOWR(EXOTIC_IOC_MAGIC, 0x04, struct exotic_event)
#define EXOTIC_IOC_MIGRATE	_IOWR(EXOTIC_IOC_MAGIC, 0x05, struct exotic_event)
#define EXOTIC_IOC_INFO		_IOWR(EXOTIC_IOC_MAGIC, 0x06, struct exotic_region_info)
#define EXOTIC_IOC_QUERY	_IOWR(EXOTIC_IOC_MAGIC, 0x07, struct exotic_query)

#endif /* _UAPI_EXOTIC_H */
