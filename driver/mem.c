// SPDX-License-Identifier: GPL-2.0
/*
 * exotic: what the memory kinds share: the table of kinds, the allocation
 * flags, the head-only refcount rule and access to a PFN's contents.  Each
 * kind says what it allows in its own mem_KIND.c (struct exotic_mem_ops).
 */
#include <linux/gfp.h>
#include <linux/highmem.h>
#include <linux/mm.h>

#include "exotic.h"

static const struct exotic_mem_ops *const exotic_mems[] = {
	[EXOTIC_KIND_REFCOUNTED] = &exotic_mem_refcounted,
	[EXOTIC_KIND_COMPOUND] = &exotic_mem_compound,
	[EXOTIC_KIND_NONCOMPOUND] = &exotic_mem_noncompound,
	[EXOTIC_KIND_RESERVED] = &exotic_mem_reserved,
	[EXOTIC_KIND_CARVEOUT] = &exotic_mem_carveout,
};

/* The ops of a uapi kind, NULL if there is no such kind. */
const struct exotic_mem_ops *exotic_mem_of(u32 kind)
{
	if (kind >= ARRAY_SIZE(exotic_mems))
		return NULL;
	return exotic_mems[kind];
}

bool exotic_mem_available(const struct exotic_mem_ops *mem)
{
	return !mem->available || mem->available();
}

/* The uapi kinds this load of the driver can allocate, as a mask. */
u32 exotic_mem_kinds(void)
{
	u32 kinds = 0, k;

	for (k = 0; k < ARRAY_SIZE(exotic_mems); k++)
		if (exotic_mems[k] && exotic_mem_available(exotic_mems[k]))
			kinds |= BIT(k);
	return kinds;
}

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

/* A high-order block whose first page holds the only reference. */
int exotic_refcount_head_only(unsigned int order, unsigned long idx)
{
	return idx ? 0 : 1;
}

void *exotic_pfn_map(const struct exotic_mem_ops *mem, unsigned long pfn)
{
	if (mem->has_struct_page)
		return kmap_local_page(pfn_to_page(pfn));
	return exotic_carveout_vaddr(pfn);
}

void exotic_pfn_unmap(const struct exotic_mem_ops *mem, void *vaddr)
{
	if (mem->has_struct_page)
		kunmap_local(vaddr);
}
