// SPDX-License-Identifier: GPL-2.0
/*
 * exotic: refcounted order-0 pages, like a TTM system BO or udmabuf.
 */
#include <linux/gfp.h>
#include <linux/mm.h>

#include "exotic.h"

/*
 * __GFP_ACCOUNT: the pages are charged to the memory cgroup of the task
 * that allocates them (ALLOC, or MIGRATE for the fresh copy), like
 * io_uring's rings, and uncharged when the head page is freed.  A charge
 * over memory.max fails the allocation with ENOMEM.
 */
gfp_t exotic_gfp(unsigned int order)
{
	gfp_t gfp = GFP_KERNEL_ACCOUNT | __GFP_ZERO | __GFP_NOWARN;

	if (order)
		gfp |= __GFP_RETRY_MAYFAIL;
	return gfp;
}

static int refcounted_alloc(unsigned int order, unsigned long *pfn)
{
	struct page *page = alloc_page(exotic_gfp(0));

	if (!page)
		return -ENOMEM;
	*pfn = page_to_pfn(page);
	return 0;
}

static void refcounted_free(unsigned long pfn, unsigned int order)
{
	put_page(pfn_to_page(pfn));
}

static int refcounted_expected(unsigned int order, unsigned long idx)
{
	return 1;
}

const struct exotic_mem_ops exotic_mem_refcounted = {
	.name = "refcounted",
	.has_struct_page = true,
	.alloc_block = refcounted_alloc,
	.free_block = refcounted_free,
	.expected_refcount = refcounted_expected,
};
