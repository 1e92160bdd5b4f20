// SPDX-License-Identifier: GPL-2.0
/*
 * exotic: what the mapping methods share: the table of methods, the VMA
 * reference on the region, and the PTE fault path (look the page up under
 * the region lock, let the method insert it, count it) with its vm_ops.
 * Each method says how it inserts and what it allows in its own
 * map_METHOD.c (struct exotic_map_ops).
 */
#include <linux/mm.h>

#include "exotic.h"
#include "exotic_trace.h"

static const struct exotic_map_ops *const exotic_maps[] = {
	[EXOTIC_MAP_REMAP] = &exotic_map_remap,
	[EXOTIC_MAP_FAULT] = &exotic_map_fault,
	[EXOTIC_MAP_HUGE] = &exotic_map_huge,
	[EXOTIC_MAP_MIXED] = &exotic_map_mixed,
	[EXOTIC_MAP_PAGE] = &exotic_map_page,
};

/* The ops of a uapi method, NULL if there is no such method. */
const struct exotic_map_ops *exotic_map_of(u32 method)
{
	if (method >= ARRAY_SIZE(exotic_maps))
		return NULL;
	return exotic_maps[method];
}

/* The uapi methods, as a mask. */
u32 exotic_map_methods(void)
{
	u32 methods = 0, m;

	for (m = 0; m < ARRAY_SIZE(exotic_maps); m++)
		if (exotic_maps[m])
			methods |= BIT(m);
	return methods;
}

void exotic_vm_open(struct vm_area_struct *vma)
{
	struct exotic_region *r = vma->vm_private_data;

	kref_get(&r->kref);
}

void exotic_vm_close(struct vm_area_struct *vma)
{
	exotic_region_put(vma->vm_private_data);
}

/*
 * Take the region lock for read and find the region page behind pgoff.
 * Returns 0 with the lock held, or what the fault handler must return:
 * VM_FAULT_SIGBUS when the region is gone or pgoff is outside, and
 * VM_FAULT_NOPAGE when a fatal signal ended the wait (an event may hold the
 * lock for seconds): nothing is mapped, the task dies on its way out, and a
 * GUP caller sees the signal and gives up.
 */
vm_fault_t exotic_region_fault_begin(struct exotic_region *r, pgoff_t pgoff,
				     unsigned long *page)
{
	if (down_read_killable(&r->lock))
		return VM_FAULT_NOPAGE;
	if (r->state != EXOTIC_STATE_LIVE || pgoff < r->pgoff ||
	    pgoff - r->pgoff >= r->nr_pages) {
		up_read(&r->lock);
		return VM_FAULT_SIGBUS;
	}
	*page = pgoff - r->pgoff;
	return 0;
}

void exotic_region_count_faults(struct exotic_region *r, unsigned long n)
{
	atomic64_add(n, &r->faults);
}

/* insert_pte of the VM_PFNMAP methods (fault, and huge's PTE fallback) */
vm_fault_t exotic_insert_pfn(struct vm_area_struct *vma, unsigned long addr,
			     unsigned long pfn)
{
	return vmf_insert_pfn(vma, addr, pfn);
}

/* ->fault of the methods that map one PTE at a time: the method inserts. */
vm_fault_t exotic_fault_pte(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct exotic_region *r = vma->vm_private_data;
	unsigned long page, pfn;
	vm_fault_t ret;

	ret = exotic_region_fault_begin(r, vmf->pgoff, &page);
	if (ret)
		return ret;
	pfn = exotic_region_pfn(r, page);
	ret = r->map->insert_pte(vma, vmf->address, pfn);
	if (ret == VM_FAULT_NOPAGE)
		exotic_region_count_faults(r, 1);
	trace_exotic_fault(r->handle, (u64)page << PAGE_SHIFT, pfn, 0,
			   vmf->flags & FAULT_FLAG_WRITE,
			   (__force unsigned int)ret);
	up_read(&r->lock);
	return ret;
}

/* EXOTIC_ALLOC_MKWRITE: the PTE was read-only; let the write through. */
vm_fault_t exotic_pfn_mkwrite(struct vm_fault *vmf)
{
	struct exotic_region *r = vmf->vma->vm_private_data;
	unsigned long page;
	vm_fault_t ret;

	ret = exotic_region_fault_begin(r, vmf->pgoff, &page);
	if (ret)
		return ret;
	up_read(&r->lock);
	return 0;
}

/* The vm_ops of the methods that map with exotic_fault_pte() alone. */
const struct vm_operations_struct exotic_pte_vm_ops = {
	.open = exotic_vm_open,
	.close = exotic_vm_close,
	.fault = exotic_fault_pte,
};

const struct vm_operations_struct exotic_pte_vm_ops_mkwrite = {
	.open = exotic_vm_open,
	.close = exotic_vm_close,
	.fault = exotic_fault_pte,
	.pfn_mkwrite = exotic_pfn_mkwrite,
};
