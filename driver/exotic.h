/* SPDX-License-Identifier: GPL-2.0 */
/*
 * exotic: internal definitions shared by the driver's files.
 */
#ifndef _EXOTIC_H
#define _EXOTIC_H

#include <linux/atomic.h>
#include <linux/bits.h>
#include <linux/fs.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/rwsem.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include "include/uapi/exotic_uapi.h"
#include "compat.h"

/*
 * Each region owns a 4 GiB window of the file's offset space, selected by
 * its handle: mmap_offset = handle << EXOTIC_WINDOW_SHIFT.  With handles below
 * 4096 every offset fits the 32-bit page offset of mmap2().
 */
#define EXOTIC_WINDOW_SHIFT	32
#define EXOTIC_WINDOW_PGSHIFT	(EXOTIC_WINDOW_SHIFT - PAGE_SHIFT)
#define EXOTIC_MAX_HANDLE	4095U
#define EXOTIC_MAX_LENGTH	BIT_ULL(EXOTIC_WINDOW_SHIFT)
#define EXOTIC_HUGE_ORDER	(PMD_SHIFT - PAGE_SHIFT)

/* Region states beyond the uapi ones: freed regions only live on in VMAs. */
#define EXOTIC_STATE_FREED	3

/* Bug injection (module parameter inject_bug). */
enum exotic_inject {
	EXOTIC_INJECT_NONE = 0,
	EXOTIC_INJECT_SKIP_ZAP_ON_MIGRATE,
	EXOTIC_INJECT_LATE_ZAP,
	EXOTIC_INJECT_EXTRA_REF,
};

/* Module parameters (main.c). */
extern unsigned long long exotic_carveout_base;
extern unsigned long long exotic_carveout_size;
extern bool exotic_carveout_zone_device_param;
extern unsigned long long exotic_max_bytes;
extern unsigned long long exotic_max_file_bytes;
extern unsigned int exotic_max_regions;
extern unsigned int exotic_max_order;
extern unsigned int exotic_quarantine_ms;
extern bool exotic_unsafe_driver_bugs;
struct exotic_region;

/* What backs a region: one small table per memory kind (mem_KIND.c). */
struct exotic_mem_ops {
	const char *name;
	bool has_struct_page;
	bool folio;			/* a compound page: one refcount for all */
	bool order0_only;		/* single pages, no blocks */
	bool contiguous;		/* any block size: raised to a method's */
	unsigned int min_order;
	int (*alloc_block)(unsigned int order, unsigned long *pfn);
	void (*free_block)(unsigned long pfn, unsigned int order);
	/* the refcount allocating a block leaves on its idx-th page; -1: none */
	int (*base_refcount)(unsigned int order, unsigned long idx);
	/* whether this load of the driver has the memory; NULL: always */
	bool (*available)(void);
};

/* How a region is mapped: one small table per method (map_METHOD.c). */
struct exotic_map_ops {
	const char *name;
	unsigned long vm_flags;
	const struct vm_operations_struct *vm_ops;
	/* with ->pfn_mkwrite, for EXOTIC_ALLOC_MKWRITE; NULL: not supported */
	const struct vm_operations_struct *vm_ops_mkwrite;
	/* one PTE, from exotic_fault_pte(); VM_FAULT_NOPAGE when mapped */
	vm_fault_t (*insert_pte)(struct vm_area_struct *vma, unsigned long addr,
				 unsigned long pfn);
	unsigned int min_order;		/* blocks at least this large */
	bool needs_folio;		/* unsafe on anything but a folio */
	bool needs_struct_page;
	bool takes_page_refs;		/* a reference per PTE, on the page */
};

struct exotic_file {
	struct mutex lock;		/* handle table changes */
	struct xarray regions;		/* handle -> struct exotic_region */
	u32 next_handle;
	unsigned int nr_regions;
	struct inode *inode;		/* owns the address_space we zap */
	struct address_space *mapping;
	atomic64_t live_bytes;		/* its live regions, max_file_bytes */
	bool show_pfns;			/* opener had CAP_SYS_ADMIN */
	int inject;			/* inject_bug when the file was opened */
};

struct exotic_region {
	struct kref kref;		/* handle + each VMA + each retired block */
	struct list_head dev_node;	/* exotic_dev.regions, for debugfs */
	struct address_space *mapping;	/* valid while the handle exists */

	u32 handle;
	u32 kind;
	u32 method;
	u32 order;
	u32 flags;
	u32 state;			/* under lock */
	int inject;			/* the file's inject_bug */
	u64 length;
	unsigned long nr_pages;
	unsigned long nr_blocks;
	pgoff_t pgoff;			/* first page offset in the file */
	const struct exotic_mem_ops *mem;
	const struct exotic_map_ops *map;

	/*
	 * Events take lock for write, faults and queries for read: a fault
	 * never maps a PFN that an event has retired.
	 */
	struct rw_semaphore lock;
	unsigned long *block_pfn;	/* first PFN of each block, under lock */

	atomic64_t faults;
	atomic64_t zaps;
	atomic64_t migrations;
	atomic64_t anomalies;
	atomic64_t quarantined;		/* pages */
	u64 epoch;			/* under lock */

	struct list_head retired;	/* struct exotic_retired, quarantine lock */
	unsigned long nr_retired;	/* pages on that list */
};

/* A block taken out of service, poisoned and held for a while. */
struct exotic_retired {
	struct list_head dev_node;
	struct list_head region_node;
	struct exotic_region *region;	/* holds a reference */
	const struct exotic_mem_ops *mem;
	unsigned long pfn;
	unsigned int order;
	u64 offset;			/* where it was in the region */
	u64 epoch;
	unsigned long retired_at;	/* jiffies; freed quarantine_ms later */
	bool hold;			/* freed only with the region */
	struct inode *zap_inode;	/* to zap before the free; NULL: migrated */
};

struct exotic_dev {
	atomic64_t epoch;
	atomic64_t used_bytes;
	atomic64_t nr_regions;

	struct mutex regions_lock;	/* regions list */
	struct list_head regions;

	spinlock_t quarantine_lock;	/* quarantine and region retired lists */
	struct list_head quarantine;
	struct delayed_work quarantine_work;

	/* carve-out, if configured */
	struct gen_pool *carveout_pool;
	void *carveout_vaddr;
	struct resource *carveout_res;
	unsigned long carveout_nr_valid;
	bool carveout_zone_device;	/* ZONE_DEVICE pages over it */
};

extern struct exotic_dev exotic_dev;

/* memory kinds (mem.c) */
const struct exotic_mem_ops *exotic_mem_of(u32 kind);
bool exotic_mem_available(const struct exotic_mem_ops *mem);
u32 exotic_mem_kinds(void);
gfp_t exotic_gfp(unsigned int order);
int exotic_refcount_head_only(unsigned int order, unsigned long idx);
void *exotic_pfn_map(const struct exotic_mem_ops *mem, unsigned long pfn);
void exotic_pfn_unmap(const struct exotic_mem_ops *mem, void *vaddr);
extern const struct exotic_mem_ops exotic_mem_refcounted;
extern const struct exotic_mem_ops exotic_mem_compound;
extern const struct exotic_mem_ops exotic_mem_noncompound;
extern const struct exotic_mem_ops exotic_mem_reserved;
extern const struct exotic_mem_ops exotic_mem_carveout;
int exotic_carveout_init(void);
void exotic_carveout_exit(void);
bool exotic_carveout_available(void);
void *exotic_carveout_vaddr(unsigned long pfn);

/* mapping methods (map.c) */
const struct exotic_map_ops *exotic_map_of(u32 method);
u32 exotic_map_methods(void);
vm_fault_t exotic_insert_pfn(struct vm_area_struct *vma, unsigned long addr,
			     unsigned long pfn);
extern const struct exotic_map_ops exotic_map_remap;
extern const struct exotic_map_ops exotic_map_fault;
extern const struct exotic_map_ops exotic_map_huge;
extern const struct exotic_map_ops exotic_map_mixed;
extern const struct exotic_map_ops exotic_map_page;
vm_fault_t exotic_fault_pte(struct vm_fault *vmf);
vm_fault_t exotic_pfn_mkwrite(struct vm_fault *vmf);
void exotic_vm_open(struct vm_area_struct *vma);
void exotic_vm_close(struct vm_area_struct *vma);
extern const struct vm_operations_struct exotic_pte_vm_ops;
extern const struct vm_operations_struct exotic_pte_vm_ops_mkwrite;

/* regions */
int exotic_region_alloc(struct exotic_file *xf, struct exotic_alloc *a);
void exotic_taint_unsafe(const char *what);
int exotic_region_event(struct exotic_file *xf, unsigned int cmd,
			struct exotic_event *ev);
struct exotic_region *exotic_region_get(struct exotic_file *xf, u32 handle);
void exotic_region_put(struct exotic_region *r);
void exotic_uncharge(u64 bytes);
u64 exotic_file_max_bytes(void);
void exotic_region_release_all(struct exotic_file *xf);
int exotic_region_mmap(struct exotic_file *xf, struct vm_area_struct *vma);
unsigned long exotic_region_pfn(struct exotic_region *r, unsigned long page);
vm_fault_t exotic_region_fault_begin(struct exotic_region *r, pgoff_t pgoff,
				     unsigned long *page);
void exotic_region_count_faults(struct exotic_region *r, unsigned long n);

/* quarantine */
void exotic_quarantine_init(void);
void exotic_quarantine_exit(void);
void exotic_quarantine_retune(void);
enum exotic_retire_how {
	EXOTIC_RETIRE_NORMAL,	/* zapped: zapped again before it is freed */
	EXOTIC_RETIRE_MOVED,	/* migrated: not zapped again */
	EXOTIC_RETIRE_HOLD,	/* still mapped: freed after the region's zap */
	EXOTIC_RETIRE_LATE_ZAP,	/* still mapped: zap when quarantine ends */
};

void exotic_retire_block(struct exotic_region *r, unsigned long pfn,
			 u64 offset, u64 epoch, enum exotic_retire_how how,
			 struct inode *inode);
void exotic_release_held(struct exotic_region *r);
bool exotic_poison_intact(const struct exotic_mem_ops *mem, unsigned long pfn,
			  unsigned int order, unsigned long idx, u64 epoch);

/* injected failures and bugs (inject.c) */
int exotic_inject_for_open(void);
void exotic_inject_get_block(const struct exotic_region *r, unsigned long pfn);
void exotic_inject_put_block(const struct exotic_region *r, unsigned long pfn);
bool exotic_inject_late_zap(const struct exotic_region *r);
enum exotic_retire_how exotic_inject_migrate_how(const struct exotic_region *r);
bool exotic_load_should_fail(unsigned int step);
bool exotic_alloc_should_fail(void);
void exotic_inject_race_zap(struct vm_fault *vmf);

/* introspection */
int exotic_region_info(struct exotic_file *xf, struct exotic_region_info *info);
int exotic_region_query(struct exotic_file *xf, struct exotic_query *q);
void exotic_check_block(struct exotic_region *r, unsigned long pfn);

/* ioctl */
long exotic_ioctl(struct file *file, unsigned int cmd, unsigned long arg);

/* debugfs */
void exotic_debugfs_init(void);
void exotic_debugfs_exit(void);

#endif /* _EXOTIC_H */
