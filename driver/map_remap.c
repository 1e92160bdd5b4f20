// SPDX-License-Identifier: GPL-2.0
/*
 * exotic: remap_pfn_range() of the whole VMA at mmap time.  After a zap
 * (invalidate, migrate) the fault handler refills single PTEs with
 * vmf_insert_pfn(): remap_pfn_range() cannot fill a partly populated range.
 */
#include <linux/mm.h>

#include "exotic.h"

static int exotic_remap_mmap(struct exotic_region *r,
			     struct vm_area_struct *vma)
{
	unsigned long page = vma->vm_pgoff - r->pgoff;
	unsigned long addr = vma->vm_start;
	unsigned long per_block = 1UL << r->order;
	int ret;

	while (addr < vma->vm_end) {
		unsigned long run = per_block - (page & (per_block - 1));
		unsigned long left = (vma->vm_end - addr) >> PAGE_SHIFT;

		run = min(run, left);
		ret = remap_pfn_range(vma, addr, exotic_region_pfn(r, page),
				      run << PAGE_SHIFT, vma->vm_page_prot);
		if (ret)
			return ret;
		addr += run << PAGE_SHIFT;
		page += run;
	}
	return 0;
}

static const struct vm_operations_struct exotic_remap_vm_ops = {
	.open = exotic_vm_open,
	.close = exotic_vm_close,
	.fault = exotic_fault_pte,
};

const struct exotic_map_ops exotic_map_remap = {
	.name = "remap",
	.vm_flags = VM_IO | VM_PFNMAP,
	.mmap = exotic_remap_mmap,
	.vm_ops = &exotic_remap_vm_ops,
	.vm_ops_mkwrite = &exotic_remap_vm_ops,
};
