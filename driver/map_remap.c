// SPDX-License-Identifier: GPL-2.0
/*
 * exotic: a remap_pfn_range()-style mapping, populated whole at its first
 * fault, as vfio-pci fills BAR mappings since 6.10.
 *
 * The VMA is VM_IO | VM_PFNMAP and every page of it is mapped as soon as any
 * page is touched, which is what remap_pfn_range() at mmap time gives (KVM,
 * GUP and the page-table walkers see the same VMA).  It is not populated in
 * ->mmap because the kernel links a new VMA into the file's i_mmap only after
 * ->mmap returns: an event whose unmap_mapping_range() ran in between would
 * miss the PTEs, and the process would keep them to blocks the event retired
 * and the quarantine later freed.
 *
 * Why filling from ->fault is race-free: a fault runs with the mmap_lock held
 * for read, hence after mmap_region() linked the VMA into i_mmap (under the
 * mmap_lock held for write).  The handler inserts under the region lock held
 * for read, and events hold it for write across zap and retire.  So every
 * PTE is inserted either after an event finished (it maps the current PFNs)
 * or before the event's zap, which walks i_mmap, finds the VMA and removes
 * it.  After a zap (invalidate, migrate) the next fault fills the VMA again.
 */
#include <linux/mm.h>
#include <linux/sched/signal.h>

#include "exotic.h"
#include "exotic_trace.h"

static vm_fault_t exotic_remap_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct exotic_region *r = vma->vm_private_data;
	unsigned long page, first, addr;
	vm_fault_t ret;

	ret = exotic_region_fault_begin(r, vmf->pgoff, &page);
	if (ret)
		return ret;
	/* the faulting page first: only its failure fails the fault */
	ret = vmf_insert_pfn(vma, vmf->address, exotic_region_pfn(r, page));
	trace_exotic_fault(r->handle, (u64)page << PAGE_SHIFT,
			   exotic_region_pfn(r, page), 0,
			   vmf->flags & FAULT_FLAG_WRITE,
			   (__force unsigned int)ret);
	if (ret & VM_FAULT_ERROR)
		goto out;

	/* then the rest of the VMA; present PTEs are left alone */
	first = page - ((vmf->address - vma->vm_start) >> PAGE_SHIFT);
	for (addr = vma->vm_start; addr < vma->vm_end; addr += PAGE_SIZE) {
		unsigned long i = first + ((addr - vma->vm_start) >> PAGE_SHIFT);

		if (addr == vmf->address)
			continue;
		if (vmf_insert_pfn(vma, addr, exotic_region_pfn(r, i)) &
		    VM_FAULT_ERROR)
			break;
		if (!(i & 511)) {
			if (fatal_signal_pending(current))
				break;
			cond_resched();
		}
	}
	exotic_region_count_faults(r, 1);
out:
	up_read(&r->lock);
	return ret;
}

static const struct vm_operations_struct exotic_remap_vm_ops = {
	.open = exotic_vm_open,
	.close = exotic_vm_close,
	.fault = exotic_remap_fault,
};

const struct exotic_map_ops exotic_map_remap = {
	.name = "remap",
	.vm_flags = VM_IO | VM_PFNMAP,
	.vm_ops = &exotic_remap_vm_ops,
};
