// SPDX-License-Identifier: GPL-2.0
/*
 * exotic: refcounted order-0 pages, like a TTM system BO or udmabuf.
 */
#include <linux/gfp.h>
#include <linux/mm.h>

#include "exotic.h"

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

static int refcounted_base_refcount(unsigned int order, unsigned long idx)
{
	return 1;
}

const struct exotic_mem_ops exotic_mem_refcounted = {
	.name = "refcounted",
	.has_struct_page = true,
	.order0_only = true,
	.alloc_block = refcounted_alloc,
	.free_block = refcounted_free,
	.base_refcount = refcounted_base_refcount,
};
