// SPDX-License-Identifier: GPL-2.0
/*
 * exotic: reserved pages (PG_reserved on every page of a non-compound
 * block), as old drivers and firmware buffers have them.  With order > 0 the
 * tail pages are reserved and at refcount 0.
 */
#include <linux/gfp.h>
#include <linux/mm.h>

#include "exotic.h"

static int reserved_alloc(unsigned int order, unsigned long *pfn)
{
	struct page *page = alloc_pages(exotic_gfp(order), order);
	unsigned long i;

	if (!page)
		return -ENOMEM;
	for (i = 0; i < (1UL << order); i++)
		SetPageReserved(page + i);
	*pfn = page_to_pfn(page);
	return 0;
}

static void reserved_free(unsigned long pfn, unsigned int order)
{
	struct page *page = pfn_to_page(pfn);
	unsigned long i;

	for (i = 0; i < (1UL << order); i++)
		ClearPageReserved(page + i);
	__free_pages(page, order);
}

const struct exotic_mem_ops exotic_mem_reserved = {
	.name = "reserved",
	.has_struct_page = true,
	.alloc_block = reserved_alloc,
	.free_block = reserved_free,
	.base_refcount = exotic_refcount_head_only,
};
