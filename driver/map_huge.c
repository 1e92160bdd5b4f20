// SPDX-License-Identifier: GPL-2.0
/*
 * exotic: vmf_insert_pfn_pmd() from ->huge_fault, 2 MiB at a time.  A
 * fault the PMD cannot serve (VMA not covering an aligned 2 MiB) falls back
 * to single PTEs.
 */
#include <linux/mm.h>

#include "exotic.h"
#include "exotic_trace.h"

static vm_fault_t exotic_huge_fault(struct vm_fault *vmf,
				    EXOTIC_HUGE_FAULT_ARG)
{
	struct vm_area_struct *vma = vmf->vma;
	struct exotic_region *r = vma->vm_private_data;
	unsigned long haddr = vmf->address & PMD_MASK;
	unsigned long page, pfn;
	pgoff_t pgoff;
	vm_fault_t ret;

	if (!EXOTIC_HUGE_FAULT_IS_PMD)
		return VM_FAULT_FALLBACK;
	if (haddr < vma->vm_start || haddr + PMD_SIZE > vma->vm_end)
		return VM_FAULT_FALLBACK;

	/* look up the page at the start of the PMD */
	pgoff = vmf->pgoff - ((vmf->address - haddr) >> PAGE_SHIFT);
	ret = exotic_region_fault_begin(r, pgoff, &page);
	if (ret)
		return ret;
	ret = VM_FAULT_FALLBACK;
	if (!IS_ALIGNED(page, 1UL << EXOTIC_HUGE_ORDER) ||
	    r->nr_pages - page < (1UL << EXOTIC_HUGE_ORDER))
		goto out;
	pfn = exotic_region_pfn(r, page);
	if (!IS_ALIGNED(pfn, 1UL << EXOTIC_HUGE_ORDER))
		goto out;

	ret = vmf_insert_pfn_pmd(vmf, EXOTIC_PFN_ARG(pfn),
				 vmf->flags & FAULT_FLAG_WRITE);
	if (ret == VM_FAULT_NOPAGE)
		exotic_region_count_faults(r, 1);
	trace_exotic_fault(r->handle, (u64)page << PAGE_SHIFT, pfn,
			   EXOTIC_HUGE_ORDER, vmf->flags & FAULT_FLAG_WRITE,
			   (__force unsigned int)ret);
out:
	up_read(&r->lock);
	return ret;
}

static const struct vm_operations_struct exotic_huge_vm_ops = {
	.open = exotic_vm_open,
	.close = exotic_vm_close,
	.fault = exotic_fault_pte,
	.huge_fault = exotic_huge_fault,
};

/*
 * 2 MiB blocks (the carve-out, contiguous, is handed out in them); before
 * 6.12 GUP-fast takes a huge PFN mapping for a THP (compat.h), so only a
 * real folio survives it, the rest only to reproduce the bugs.
 */
const struct exotic_map_ops exotic_map_huge = {
	.name = "huge",
	.vm_flags = VM_IO | VM_PFNMAP,
	.vm_ops = &exotic_huge_vm_ops,
	.insert_pte = exotic_insert_pfn,
	.min_order = EXOTIC_HUGE_ORDER,
	.needs_folio = EXOTIC_HUGE_NEEDS_FOLIO,
};
