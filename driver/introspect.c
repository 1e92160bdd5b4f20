// SPDX-License-Identifier: GPL-2.0
/*
 * exotic: region info and per-page query.  Facts only: each backing page's
 * refcount, mapcount and flags, for the library to judge.  The one
 * observation the driver makes itself is at a block's free, the last moment
 * anyone can look: pages not back to the refcount their allocation left,
 * or still mapped, count in refcount_anomalies.
 */
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "exotic.h"

#define EXOTIC_QUERY_CHUNK	256

int exotic_region_info(struct exotic_file *xf, struct exotic_region_info *info)
{
	struct exotic_region *r = exotic_region_get(xf, info->handle);

	if (!r)
		return -ENOENT;
	if (down_read_killable(&r->lock)) {
		exotic_region_put(r);
		return -EINTR;
	}
	info->kind = r->kind;
	info->method = r->method;
	info->order = r->order;
	info->flags = r->flags;
	info->state = r->state;
	info->length = r->length;
	info->mmap_offset = (u64)r->handle << EXOTIC_WINDOW_SHIFT;
	info->nr_pfns = r->state == EXOTIC_STATE_LIVE ? r->nr_pages : 0;
	info->faults = atomic64_read(&r->faults);
	info->zaps = atomic64_read(&r->zaps);
	info->migrations = atomic64_read(&r->migrations);
	info->epoch = r->epoch;
	info->refcount_anomalies = atomic64_read(&r->anomalies);
	info->quarantined = atomic64_read(&r->quarantined);
	up_read(&r->lock);
	exotic_region_put(r);
	return 0;
}

static void exotic_fill_page(struct exotic_page *p, unsigned long block_pfn,
			     unsigned long idx)
{
	unsigned long pfn = block_pfn + idx;
	struct page *page;

	memset(p, 0, sizeof(*p));
	p->pfn = pfn;
	p->refcount = -1;
	p->mapcount = -1;
	if (idx)
		p->flags |= EXOTIC_PAGE_BLOCK_TAIL;
	if (!pfn_valid(pfn))
		return;

	page = pfn_to_page(pfn);
	p->flags |= EXOTIC_PAGE_HAS_STRUCT;
	p->refcount = page_ref_count(page);
	p->mapcount = exotic_page_mapcount(page);
	if (PageReserved(page))
		p->flags |= EXOTIC_PAGE_RESERVED;
	if (PageCompound(page))
		p->flags |= EXOTIC_PAGE_COMPOUND;
	if (PageHead(page))
		p->flags |= EXOTIC_PAGE_HEAD;
	if (PageTail(page))
		p->flags |= EXOTIC_PAGE_TAIL;
}

/*
 * At free time, once per block: every page must be back to the refcount its
 * allocation left and unmapped; each page that is not counts once in
 * refcount_anomalies.
 */
void exotic_check_block(struct exotic_region *r, unsigned long pfn)
{
	unsigned long i;

	if (!r->mem->has_struct_page)
		return;
	for (i = 0; i < (1UL << r->order); i++) {
		struct page *page = pfn_to_page(pfn + i);

		if (page_ref_count(page) != r->mem->base_refcount(r->order, i) ||
		    exotic_page_mapcount(page))
			atomic64_inc(&r->anomalies);
	}
}

static unsigned long exotic_query_live(struct exotic_region *r,
				       struct exotic_page *buf, u64 first,
				       unsigned long n)
{
	unsigned long i;

	for (i = 0; i < n; i++) {
		unsigned long page = first + i;

		exotic_fill_page(&buf[i], r->block_pfn[page >> r->order],
				 page & ((1UL << r->order) - 1));
		buf[i].offset = (u64)page << PAGE_SHIFT;
	}
	return n;
}

static unsigned long exotic_query_retired(struct exotic_region *r,
					  struct exotic_page *buf, u64 first,
					  unsigned long n)
{
	struct exotic_retired *e;
	unsigned long seen = 0, done = 0;

	spin_lock(&exotic_dev.quarantine_lock);
	list_for_each_entry(e, &r->retired, region_node) {
		unsigned long per = 1UL << e->order, idx;

		if (first >= seen + per) {
			seen += per;
			continue;
		}
		for (idx = first + done - seen; idx < per && done < n; idx++) {
			struct exotic_page *p = &buf[done++];

			exotic_fill_page(p, e->pfn, idx);
			p->flags |= EXOTIC_PAGE_QUARANTINED;
			p->offset = e->offset + (idx << PAGE_SHIFT);
			p->epoch = e->epoch;
			if (exotic_poison_intact(e->mem, e->pfn, e->order, idx,
						 e->epoch))
				p->flags |= EXOTIC_PAGE_POISON_OK;
		}
		seen += per;
		if (done == n)
			break;
	}
	spin_unlock(&exotic_dev.quarantine_lock);
	return done;
}

int exotic_region_query(struct exotic_file *xf, struct exotic_query *q)
{
	struct exotic_page __user *upages = u64_to_user_ptr(q->pages);
	bool retired = q->flags & EXOTIC_QUERY_RETIRED;
	struct exotic_region *r;
	struct exotic_page *buf = NULL;
	u64 first, done = 0;
	int ret = 0;

	if (!retired && !PAGE_ALIGNED(q->offset))
		return -EINVAL;
	if (q->count && !q->pages)
		return -EFAULT;
	r = exotic_region_get(xf, q->handle);
	if (!r)
		return -ENOENT;
	first = retired ? q->offset : q->offset >> PAGE_SHIFT;

	if (!retired) {
		if (down_read_killable(&r->lock)) {
			ret = -EINTR;
			goto out;
		}
		if (r->state != EXOTIC_STATE_LIVE)
			ret = -ENODEV;
		else if (first >= r->nr_pages)
			ret = -EINVAL;
		up_read(&r->lock);
		if (ret)
			goto out;
	}

	if (q->count) {
		buf = kmalloc_array(EXOTIC_QUERY_CHUNK, sizeof(*buf), GFP_KERNEL);
		if (!buf) {
			ret = -ENOMEM;
			goto out;
		}
	}
	/* fill a chunk under the lock, copy it out without */
	while (done < q->count) {
		unsigned long n = min_t(u64, q->count - done, EXOTIC_QUERY_CHUNK);

		if (down_read_killable(&r->lock)) {
			ret = -EINTR;
			break;
		}
		if (retired) {
			n = exotic_query_retired(r, buf, first + done, n);
		} else if (r->state != EXOTIC_STATE_LIVE) {
			ret = -ENODEV;	/* revoked meanwhile */
		} else {
			n = min_t(u64, n, r->nr_pages - first - done);
			n = exotic_query_live(r, buf, first + done, n);
		}
		up_read(&r->lock);
		if (ret || !n)
			break;
		if (!xf->show_pfns) {
			unsigned long i;

			for (i = 0; i < n; i++)
				buf[i].pfn = 0;
		}
		if (copy_to_user(upages + done, buf, n * sizeof(*buf))) {
			ret = -EFAULT;
			break;
		}
		done += n;
		cond_resched();
	}
	q->count = done;
out:
	kfree(buf);
	exotic_region_put(r);
	return ret;
}
