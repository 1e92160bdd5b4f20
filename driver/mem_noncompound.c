// SPDX-License-Identifier: GPL-2.0
/*
 * exotic: non-compound high-order pages, as TTM pools and i915 allocate
 * them: only the first page of a block holds a reference, the others sit at
 * refcount 0 (get_page_unless_zero() fails on them).
 */
#include <linux/gfp.h>
#include <linux/mm.h>

#include "exotic.h"

static int noncompound_alloc(unsigned int order, unsigned long *pfn)
{
	struct page *page = alloc_pages(exotic_gfp(order), order);

	if (!page)
		return -ENOMEM;
	*pfn = page_to_pfn(page);
	return 0;
}

static void noncompound_free(unsigned long pfn, unsigned int order)
{
	__free_pages(pfn_to_page(pfn), order);
}

const struct exotic_mem_ops exotic_mem_noncompound = {
	.name = "noncompound",
	.has_struct_page = true,
	.alloc_block = noncompound_alloc,
	.free_block = noncompound_free,
	.base_refcount = exotic_refcount_head_only,
};
