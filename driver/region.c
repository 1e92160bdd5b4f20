// SPDX-License-Identifier: GPL-2.0
/*
 * exotic: region lifecycle, events and locking.
 *
 * A region is a handle-addressed array of blocks of one memory kind, mapped
 * by one method.  Events (free, revoke, invalidate, migrate) hold the
 * region's rwsem for write across zap + retire, fault handlers hold it for
 * read across lookup + insert, so no fault maps a retired PFN.
 */
#include <linux/capability.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>

#include "exotic.h"
#include "exotic_trace.h"

unsigned long exotic_region_pfn(struct exotic_region *r, unsigned long page)
{
	return r->block_pfn[page >> r->order] +
	       (page & ((1UL << r->order) - 1));
}

/*
 * Check an alloc request against what its kind and method allow (their
 * ops tables); returns the block order to use.
 */
static int exotic_check_alloc(const struct exotic_alloc *a,
			      unsigned int *orderp)
{
	unsigned int max_order = min_t(unsigned int, READ_ONCE(exotic_max_order),
				       EXOTIC_MAX_PAGE_ORDER);
	const struct exotic_mem_ops *mem = exotic_mem_of(a->kind);
	const struct exotic_map_ops *map = exotic_map_of(a->method);
	bool unsafe = a->flags & EXOTIC_ALLOC_UNSAFE_DRIVER_BUG;
	unsigned int order = a->order;
	u64 block;

	if (!mem || !map)
		return -EINVAL;
	if (a->flags & ~EXOTIC_ALLOC_FLAGS_ALL)
		return -EINVAL;
	if (unsafe && (!READ_ONCE(exotic_unsafe_driver_bugs) || !capable(CAP_SYS_ADMIN)))
		return -EPERM;
	if (!exotic_mem_available(mem))
		return -ENODEV;
	if (order > max_order || order < mem->min_order ||
	    (mem->order0_only && order))
		return -EINVAL;

	if (order < map->min_order && mem->contiguous)
		order = map->min_order;
	if (order < map->min_order)
		return -EINVAL;
	if (map->needs_folio && !mem->folio && !unsafe)
		return -EINVAL;
	if (map->needs_struct_page && !mem->has_struct_page)
		return -EINVAL;
	/* a reference per PTE on a refcount-0 tail: only to reproduce the bug */
	if (map->takes_page_refs && order && !mem->folio &&
	    mem->base_refcount(order, 1) == 0 && !unsafe)
		return -EINVAL;
	if ((a->flags & EXOTIC_ALLOC_READONLY) &&
	    (a->flags & EXOTIC_ALLOC_MKWRITE))
		return -EINVAL;
	if ((a->flags & EXOTIC_ALLOC_MKWRITE) && !map->vm_ops_mkwrite)
		return -EINVAL;

	block = PAGE_SIZE << order;
	if (!a->length || a->length > EXOTIC_MAX_LENGTH ||
	    !IS_ALIGNED(a->length, block))
		return -EINVAL;
	*orderp = order;
	return 0;
}

u64 exotic_file_max_bytes(void)
{
	u64 max = READ_ONCE(exotic_max_file_bytes);

	return max ? max : READ_ONCE(exotic_max_bytes) / 2;
}

/*
 * Two caps.  max_bytes bounds the device: live regions, migrated-from
 * blocks and everything in quarantine, until the pages are back in the
 * buddy allocator.  max_file_bytes bounds one file's live regions, so that
 * a single opener cannot take the whole device from the others; its bytes
 * are given back when the region is retired (FREE, REVOKE or close), even
 * though the device keeps them charged through the quarantine.
 */
static int exotic_charge_device(u64 bytes)
{
	if (atomic64_add_return(bytes, &exotic_dev.used_bytes) >
	    READ_ONCE(exotic_max_bytes)) {
		atomic64_sub(bytes, &exotic_dev.used_bytes);
		return -ENOSPC;
	}
	return 0;
}

static int exotic_charge(struct exotic_file *xf, u64 bytes)
{
	if (atomic64_add_return(bytes, &xf->live_bytes) >
	    exotic_file_max_bytes()) {
		atomic64_sub(bytes, &xf->live_bytes);
		return -ENOSPC;
	}
	if (exotic_charge_device(bytes)) {
		atomic64_sub(bytes, &xf->live_bytes);
		return -ENOSPC;
	}
	return 0;
}

void exotic_uncharge(u64 bytes)
{
	atomic64_sub(bytes, &exotic_dev.used_bytes);
}

static int exotic_alloc_block(struct exotic_region *r, unsigned long *pfn)
{
	int ret;

	if (exotic_alloc_should_fail())
		return -ENOMEM;
	ret = r->mem->alloc_block(r->order, pfn);
	if (!ret)
		exotic_inject_get_block(r, *pfn);
	return ret;
}

/*
 * Free blocks that were never visible to userspace.  The caller uncharges
 * what it charged, whole: it charged before allocating the first block.
 */
static void exotic_free_fresh(struct exotic_region *r, unsigned long *pfns,
			      unsigned long n)
{
	unsigned long i;

	for (i = 0; i < n; i++) {
		exotic_inject_put_block(r, pfns[i]);
		r->mem->free_block(pfns[i], r->order);
	}
}

static void exotic_region_release(struct kref *kref)
{
	struct exotic_region *r = container_of(kref, struct exotic_region, kref);

	mutex_lock(&exotic_dev.regions_lock);
	list_del(&r->dev_node);
	mutex_unlock(&exotic_dev.regions_lock);
	kvfree(r->block_pfn);
	kfree(r);
}

void exotic_region_put(struct exotic_region *r)
{
	kref_put(&r->kref, exotic_region_release);
}

struct exotic_region *exotic_region_get(struct exotic_file *xf, u32 handle)
{
	struct exotic_region *r;

	xa_lock(&xf->regions);
	r = xa_load(&xf->regions, handle);
	if (r)
		kref_get(&r->kref);
	xa_unlock(&xf->regions);
	return r;
}

int exotic_region_alloc(struct exotic_file *xf, struct exotic_alloc *a)
{
	struct exotic_region *r;
	unsigned int order;
	unsigned long i;
	u32 handle;
	int ret;

	ret = exotic_check_alloc(a, &order);
	if (ret)
		return ret;

	if (mutex_lock_killable(&xf->lock))
		return -EINTR;
	if (xf->nr_regions >= min(READ_ONCE(exotic_max_regions),
				  EXOTIC_MAX_HANDLE)) {
		ret = -ENOSPC;
		goto out_unlock;
	}
	ret = exotic_charge(xf, a->length);
	if (ret)
		goto out_unlock;

	ret = -ENOMEM;
	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (!r)
		goto out_uncharge;
	kref_init(&r->kref);
	init_rwsem(&r->lock);
	INIT_LIST_HEAD(&r->retired);
	INIT_LIST_HEAD(&r->dev_node);
	r->kind = a->kind;
	r->method = a->method;
	r->order = order;
	r->flags = a->flags;
	r->length = a->length;
	r->nr_pages = a->length >> PAGE_SHIFT;
	r->nr_blocks = r->nr_pages >> order;
	r->mem = exotic_mem_of(a->kind);
	r->map = exotic_map_of(a->method);
	r->mapping = xf->mapping;
	r->inject = xf->inject;
	r->block_pfn = kvcalloc(r->nr_blocks, sizeof(*r->block_pfn),
				GFP_KERNEL);
	if (!r->block_pfn)
		goto out_free_region;
	for (i = 0; i < r->nr_blocks; i++) {
		ret = fatal_signal_pending(current) ? -EINTR :
		      exotic_alloc_block(r, &r->block_pfn[i]);
		if (ret) {
			exotic_free_fresh(r, r->block_pfn, i);
			goto out_free_array;
		}
		cond_resched();
	}

	ret = xa_alloc_cyclic(&xf->regions, &handle, r,
			      XA_LIMIT(1, EXOTIC_MAX_HANDLE),
			      &xf->next_handle, GFP_KERNEL);
	if (ret < 0) {
		exotic_free_fresh(r, r->block_pfn, r->nr_blocks);
		ret = ret == -EBUSY ? -ENOSPC : ret;
		goto out_free_array;
	}
	xf->nr_regions++;
	r->handle = handle;
	r->pgoff = (pgoff_t)handle << EXOTIC_WINDOW_PGSHIFT;
	r->state = EXOTIC_STATE_LIVE;
	mutex_lock(&exotic_dev.regions_lock);
	list_add_tail(&r->dev_node, &exotic_dev.regions);
	mutex_unlock(&exotic_dev.regions_lock);
	mutex_unlock(&xf->lock);

	if (a->flags & EXOTIC_ALLOC_UNSAFE_DRIVER_BUG)
		exotic_taint_unsafe("EXOTIC_ALLOC_UNSAFE_DRIVER_BUG");
	a->order = order;
	a->handle = handle;
	a->mmap_offset = (u64)handle << EXOTIC_WINDOW_SHIFT;
	return 0;

out_free_array:
	kvfree(r->block_pfn);
out_free_region:
	kfree(r);
out_uncharge:
	/* all of it, whether no block, some or all were allocated */
	exotic_uncharge(a->length);
	atomic64_sub(a->length, &xf->live_bytes);
out_unlock:
	mutex_unlock(&xf->lock);
	return ret;
}

static void exotic_zap(struct exotic_region *r, u64 offset, u64 length)
{
	unmap_mapping_range(r->mapping,
			    ((loff_t)r->pgoff << PAGE_SHIFT) + offset,
			    length, 1);
	atomic64_inc(&r->zaps);
	trace_exotic_zap(r->handle, offset, length);
}

/*
 * Zap everything and retire all blocks.  Called with r->lock held.  With
 * inject_bug=late_zap the zap waits for the end of each block's quarantine.
 */
static void exotic_region_retire_all(struct exotic_file *xf,
				     struct exotic_region *r, u64 epoch)
{
	bool late = exotic_inject_late_zap(r);
	struct inode *inode = r->mapping->host;
	unsigned long i;

	if (!late)
		exotic_zap(r, 0, r->length);
	for (i = 0; i < r->nr_blocks; i++) {
		exotic_retire_block(r, r->block_pfn[i],
				    (u64)i << (PAGE_SHIFT + r->order), epoch,
				    late ? EXOTIC_RETIRE_LATE_ZAP :
					   EXOTIC_RETIRE_NORMAL, inode);
		r->block_pfn[i] = 0;
	}
	/* blocks a buggy migrate left mapped are unmapped now, or later */
	exotic_release_held(r);
	atomic64_sub(r->length, &xf->live_bytes);
}

static int exotic_region_migrate(struct exotic_region *r, u64 offset,
				 u64 length, u64 epoch)
{
	unsigned long first = offset >> (PAGE_SHIFT + r->order);
	unsigned long n = length >> (PAGE_SHIFT + r->order);
	unsigned long per_block = 1UL << r->order;
	enum exotic_retire_how how = exotic_inject_migrate_how(r);
	unsigned long *fresh, i, j;
	int ret;

	fresh = kvcalloc(n, sizeof(*fresh), GFP_KERNEL);
	if (!fresh)
		return -ENOMEM;
	ret = exotic_charge_device(length);
	if (ret)
		goto out;
	for (i = 0; i < n; i++) {
		ret = fatal_signal_pending(current) ? -EINTR :
		      exotic_alloc_block(r, &fresh[i]);
		if (ret) {
			exotic_free_fresh(r, fresh, i);
			exotic_uncharge(length);
			goto out;
		}
	}

	if (how == EXOTIC_RETIRE_NORMAL) {
		exotic_zap(r, offset, length);
		how = EXOTIC_RETIRE_MOVED;
	}

	for (i = 0; i < n; i++) {
		unsigned long old = r->block_pfn[first + i];

		for (j = 0; j < per_block; j++) {
			void *src = exotic_pfn_map(r->mem, old + j);
			void *dst = exotic_pfn_map(r->mem, fresh[i] + j);

			memcpy(dst, src, PAGE_SIZE);
			exotic_pfn_unmap(r->mem, dst);
			exotic_pfn_unmap(r->mem, src);
		}
		r->block_pfn[first + i] = fresh[i];
		exotic_retire_block(r, old,
				    (u64)(first + i) << (PAGE_SHIFT + r->order),
				    epoch, how, r->mapping->host);
		trace_exotic_migrate(r->handle,
				     (u64)(first + i) << (PAGE_SHIFT + r->order),
				     old, fresh[i], epoch);
		cond_resched();
	}
	atomic64_inc(&r->migrations);
out:
	kvfree(fresh);
	return ret;
}

/* Resolve [offset, offset + length) with length 0 meaning "to the end". */
static int exotic_check_range(struct exotic_region *r, u64 offset,
			      u64 *length, u64 align)
{
	u64 end;

	if (offset >= r->length || !IS_ALIGNED(offset, align))
		return -EINVAL;
	if (!*length)
		*length = r->length - offset;
	if (!IS_ALIGNED(*length, align) ||
	    check_add_overflow(offset, *length, &end) || end > r->length)
		return -EINVAL;
	return 0;
}

int exotic_region_event(struct exotic_file *xf, unsigned int cmd,
			struct exotic_event *ev)
{
	bool locked_file = false;
	struct exotic_region *r;
	u64 length = ev->length;
	u64 epoch;
	int ret;

	if (cmd == EXOTIC_IOC_FREE || cmd == EXOTIC_IOC_REVOKE) {
		if (ev->offset || ev->length)
			return -EINVAL;
	}
	if (cmd == EXOTIC_IOC_FREE) {
		if (mutex_lock_killable(&xf->lock))
			return -EINTR;
		locked_file = true;
	}
	r = exotic_region_get(xf, ev->handle);
	if (!r) {
		ret = -ENOENT;
		goto out_file;
	}
	if (down_write_killable(&r->lock)) {
		ret = -EINTR;
		goto out_put;
	}
	if (r->state == EXOTIC_STATE_FREED) {
		ret = -ENOENT;
		goto out_unlock;
	}

	switch (cmd) {
	case EXOTIC_IOC_REVOKE:
		ret = r->state == EXOTIC_STATE_LIVE ? 0 : -ENODEV;
		break;
	case EXOTIC_IOC_INVALIDATE:
		ret = r->state == EXOTIC_STATE_LIVE ?
		      exotic_check_range(r, ev->offset, &length, PAGE_SIZE) :
		      -ENODEV;
		break;
	case EXOTIC_IOC_MIGRATE:
		ret = r->state == EXOTIC_STATE_LIVE ?
		      exotic_check_range(r, ev->offset, &length,
					 PAGE_SIZE << r->order) :
		      -ENODEV;
		break;
	default:
		ret = 0;
		break;
	}
	if (ret)
		goto out_unlock;

	epoch = atomic64_inc_return(&exotic_dev.epoch);
	switch (cmd) {
	case EXOTIC_IOC_FREE:
		if (r->state == EXOTIC_STATE_LIVE)
			exotic_region_retire_all(xf, r, epoch);
		r->state = EXOTIC_STATE_FREED;
		xa_erase(&xf->regions, r->handle);
		xf->nr_regions--;
		trace_exotic_revoke(r->handle, epoch, true);
		/* the handle's reference */
		exotic_region_put(r);
		break;
	case EXOTIC_IOC_REVOKE:
		exotic_region_retire_all(xf, r, epoch);
		r->state = EXOTIC_STATE_REVOKED;
		trace_exotic_revoke(r->handle, epoch, false);
		break;
	case EXOTIC_IOC_INVALIDATE:
		exotic_zap(r, ev->offset, length);
		break;
	case EXOTIC_IOC_MIGRATE:
		ret = exotic_region_migrate(r, ev->offset, length, epoch);
		break;
	}
	if (!ret) {
		r->epoch = epoch;
		ev->epoch = epoch;
	}
out_unlock:
	up_write(&r->lock);
out_put:
	exotic_region_put(r);
out_file:
	if (locked_file)
		mutex_unlock(&xf->lock);
	return ret;
}

void exotic_region_release_all(struct exotic_file *xf)
{
	struct exotic_region *r;
	unsigned long handle;

	xa_for_each(&xf->regions, handle, r) {
		u64 epoch = atomic64_inc_return(&exotic_dev.epoch);

		down_write(&r->lock);
		if (r->state == EXOTIC_STATE_LIVE)
			exotic_region_retire_all(xf, r, epoch);
		r->state = EXOTIC_STATE_FREED;
		r->epoch = epoch;
		up_write(&r->lock);
		xa_erase(&xf->regions, handle);
		trace_exotic_revoke(r->handle, epoch, true);
		exotic_region_put(r);
	}
	xf->nr_regions = 0;
}

int exotic_region_mmap(struct exotic_file *xf, struct vm_area_struct *vma)
{
	unsigned long handle = vma->vm_pgoff >> EXOTIC_WINDOW_PGSHIFT;
	unsigned long start, npages = vma_pages(vma);
	struct exotic_region *r;
	int ret;

	if (!handle || handle > EXOTIC_MAX_HANDLE)
		return -EINVAL;
	r = exotic_region_get(xf, handle);
	if (!r)
		return -EINVAL;

	/*
	 * VM_MAYSHARE, not VM_SHARED: MAP_SHARED of a read-only fd loses
	 * VM_SHARED (and VM_MAYWRITE) in do_mmap() and may map read-only.
	 */
	ret = -EINVAL;
	if (!(vma->vm_flags & VM_MAYSHARE))
		goto out_put;
	start = vma->vm_pgoff - r->pgoff;
	if (start >= r->nr_pages || npages > r->nr_pages - start)
		goto out_put;
	if (r->flags & EXOTIC_ALLOC_READONLY) {
		ret = -EACCES;
		if (vma->vm_flags & VM_WRITE)
			goto out_put;
		exotic_vm_flags_clear(vma, VM_MAYWRITE);
	}

	ret = -EINTR;
	if (down_read_killable(&r->lock))
		goto out_put;
	ret = -ENODEV;
	if (r->state != EXOTIC_STATE_LIVE)
		goto out_unlock;

	exotic_vm_flags_set(vma, VM_DONTEXPAND | VM_DONTDUMP | VM_DONTCOPY |
			    r->map->vm_flags);
	vma->vm_ops = (r->flags & EXOTIC_ALLOC_MKWRITE) ?
		      r->map->vm_ops_mkwrite : r->map->vm_ops;
	vma->vm_private_data = r;
	/*
	 * Nothing is mapped here: the VMA is not in i_mmap yet, so an event
	 * could not zap what we mapped (map_remap.c).  Faults fill it.
	 */
	up_read(&r->lock);
	/* the VMA keeps the reference */
	return 0;

out_unlock:
	up_read(&r->lock);
out_put:
	exotic_region_put(r);
	return ret;
}
