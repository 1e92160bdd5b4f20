// SPDX-License-Identifier: GPL-2.0
/*
 * exotic: quarantine of retired blocks.
 *
 * A retired block is filled with struct exotic_poison { magic, epoch } and
 * held for quarantine_ms before it is freed, so an access through a stale
 * translation reads the epoch of the event that retired it, never someone
 * else's data.  Freeing also checks the refcounts one last time.
 */
#include <linux/fs.h>
#include <linux/jiffies.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include "exotic.h"

#define EXOTIC_QUARANTINE_MAX_MS	60000U

static void exotic_poison_page(void *vaddr, u64 epoch)
{
	struct exotic_poison *p = vaddr;
	size_t i;

	for (i = 0; i < PAGE_SIZE / sizeof(*p); i++) {
		p[i].magic = EXOTIC_POISON_MAGIC;
		p[i].epoch = epoch;
	}
}

bool exotic_poison_intact(const struct exotic_mem_ops *mem, unsigned long pfn,
			  unsigned int order, unsigned long idx, u64 epoch)
{
	struct exotic_poison *p = exotic_pfn_map(mem, pfn + idx);
	bool ok = true;
	size_t i;

	for (i = 0; i < PAGE_SIZE / sizeof(*p); i++) {
		if (p[i].magic != EXOTIC_POISON_MAGIC || p[i].epoch != epoch) {
			ok = false;
			break;
		}
	}
	exotic_pfn_unmap(mem, p);
	return ok;
}

static bool exotic_quarantine_ready;	/* under kernel_param_lock() */

/* How long a block stays: quarantine_ms now, for queued blocks as well. */
static unsigned long exotic_quarantine_jiffies(void)
{
	return msecs_to_jiffies(min(READ_ONCE(exotic_quarantine_ms),
				    EXOTIC_QUARANTINE_MAX_MS));
}

/*
 * quarantine_ms changed (called under kernel_param_lock()): deadlines are
 * computed from it when the worker runs, so run it now to apply the new
 * value to what is queued.
 */
void exotic_quarantine_retune(void)
{
	if (exotic_quarantine_ready)
		mod_delayed_work(EXOTIC_WQ, &exotic_dev.quarantine_work, 0);
}

/* Run the worker within delay; an earlier pending run is kept. */
static void exotic_quarantine_kick(unsigned long delay)
{
	queue_delayed_work(EXOTIC_WQ, &exotic_dev.quarantine_work, delay);
}

void exotic_retire_block(struct exotic_region *r, unsigned long pfn,
			 u64 offset, u64 epoch, enum exotic_retire_how how,
			 struct inode *inode)
{
	unsigned long i, n = 1UL << r->order;
	struct exotic_retired *e;

	for (i = 0; i < n; i++) {
		void *vaddr = exotic_pfn_map(r->mem, pfn + i);

		exotic_poison_page(vaddr, epoch);
		exotic_pfn_unmap(r->mem, vaddr);
	}

	/* small and must not fail: the block has nowhere else to go */
	e = kzalloc(sizeof(*e), GFP_KERNEL | __GFP_NOFAIL);
	kref_get(&r->kref);
	e->region = r;
	e->mem = r->mem;
	e->pfn = pfn;
	e->order = r->order;
	e->offset = offset;
	e->epoch = epoch;
	e->retired_at = jiffies;
	e->hold = how == EXOTIC_RETIRE_HOLD;
	/*
	 * A block's range is zapped again before it is freed, unless a
	 * migrate zapped it under the region lock and it maps the fresh
	 * blocks now: zapping those would be an invalidation nobody asked for.
	 */
	if (how != EXOTIC_RETIRE_MOVED) {
		ihold(inode);
		e->zap_inode = inode;
	}

	spin_lock(&exotic_dev.quarantine_lock);
	list_add_tail(&e->dev_node, &exotic_dev.quarantine);
	list_add_tail(&e->region_node, &r->retired);
	r->nr_retired += n;
	spin_unlock(&exotic_dev.quarantine_lock);
	atomic64_add(n, &r->quarantined);

	if (!e->hold)
		exotic_quarantine_kick(exotic_quarantine_jiffies());
}

/*
 * Free what a buggy migrate held back (each block's range is zapped again
 * before it is freed, exotic_retired_free()).
 */
void exotic_release_held(struct exotic_region *r)
{
	struct exotic_retired *e;
	bool any = false;

	spin_lock(&exotic_dev.quarantine_lock);
	list_for_each_entry(e, &r->retired, region_node) {
		if (e->hold) {
			e->hold = false;
			any = true;
		}
	}
	spin_unlock(&exotic_dev.quarantine_lock);
	if (any)
		mod_delayed_work(EXOTIC_WQ, &exotic_dev.quarantine_work, 0);
}

static void exotic_retired_free(struct exotic_retired *e)
{
	struct exotic_region *r = e->region;
	unsigned long n = 1UL << e->order;

	/*
	 * No PTE of the file's mappings may point at the block when it goes
	 * back to the allocator, whatever missed it before (inject_bug=
	 * late_zap on purpose): zap its range once more, except after a
	 * migrate, whose zap under the region lock left no PTE to the block
	 * (faults map the current blocks only, under the same lock).
	 */
	if (e->zap_inode) {
		unmap_mapping_range(e->zap_inode->i_mapping,
				    ((loff_t)r->pgoff << PAGE_SHIFT) + e->offset,
				    PAGE_SIZE << e->order, 1);
		iput(e->zap_inode);
	}
	exotic_check_block(r, e->pfn);
	exotic_inject_put_block(r, e->pfn);
	e->mem->free_block(e->pfn, e->order);
	exotic_uncharge((u64)n << PAGE_SHIFT);
	atomic64_sub(n, &r->quarantined);
	exotic_region_put(r);
	kfree(e);
}

/* Take expired (or, with all, every) entries off the lists. */
static unsigned long exotic_quarantine_collect(struct list_head *out, bool all)
{
	unsigned long next = 0, now = jiffies, hold = exotic_quarantine_jiffies();
	struct exotic_retired *e, *tmp;
	bool pending = false;

	spin_lock(&exotic_dev.quarantine_lock);
	list_for_each_entry_safe(e, tmp, &exotic_dev.quarantine, dev_node) {
		unsigned long deadline = e->retired_at + hold;

		if (!all && e->hold)
			continue;
		if (!all && time_before(now, deadline)) {
			if (!pending || time_before(deadline, next))
				next = deadline;
			pending = true;
			continue;
		}
		list_del(&e->dev_node);
		list_del(&e->region_node);
		e->region->nr_retired -= 1UL << e->order;
		list_add_tail(&e->dev_node, out);
	}
	spin_unlock(&exotic_dev.quarantine_lock);
	return pending ? max_t(long, next - now, 1) : 0;
}

static void exotic_quarantine_worker(struct work_struct *work)
{
	struct exotic_retired *e, *tmp;
	unsigned long delay;
	LIST_HEAD(expired);

	delay = exotic_quarantine_collect(&expired, false);
	list_for_each_entry_safe(e, tmp, &expired, dev_node) {
		list_del(&e->dev_node);
		exotic_retired_free(e);
		cond_resched();
	}
	if (delay)
		exotic_quarantine_kick(delay);
}

void exotic_quarantine_init(void)
{
	spin_lock_init(&exotic_dev.quarantine_lock);
	INIT_LIST_HEAD(&exotic_dev.quarantine);
	INIT_DELAYED_WORK(&exotic_dev.quarantine_work,
			  exotic_quarantine_worker);
	kernel_param_lock(THIS_MODULE);
	exotic_quarantine_ready = true;
	kernel_param_unlock(THIS_MODULE);
}

void exotic_quarantine_exit(void)
{
	struct exotic_retired *e, *tmp;
	LIST_HEAD(all);

	kernel_param_lock(THIS_MODULE);
	exotic_quarantine_ready = false;
	kernel_param_unlock(THIS_MODULE);
	cancel_delayed_work_sync(&exotic_dev.quarantine_work);
	exotic_quarantine_collect(&all, true);
	list_for_each_entry_safe(e, tmp, &all, dev_node) {
		list_del(&e->dev_node);
		exotic_retired_free(e);
	}
}
