// SPDX-License-Identifier: GPL-2.0
/*
 * exotic: compound high-order pages (__GFP_COMP), a folio: the head holds
 * the reference count for the whole block.
 */
#include <linux/gfp.h>
#include <linux/mm.h>

#include "exotic.h"

static int compound_alloc(unsigned int order, unsigned long *pfn)
{
	struct page *page = alloc_pages(exotic_gfp(order) | __GFP_COMP, order);

	if (!page)
		return -ENOMEM;
	*pfn = page_to_pfn(page);
	return 0;
}

static void compound_free(unsigned long pfn, unsigned int order)
{
	put_page(pfn_to_page(pfn));
}

const struct exotic_mem_ops exotic_mem_compound = {
	.name = "compound",
	.has_struct_page = true,
	.folio = true,
	.min_order = 1,
	.alloc_block = compound_alloc,
	.free_block = compound_free,
	.base_refcount = exotic_refcount_head_only,
};
