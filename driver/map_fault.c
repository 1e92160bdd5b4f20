// SPDX-License-Identifier: GPL-2.0
/*
 * exotic: vmf_insert_pfn() from ->fault, and the fault path shared by all
 * methods: look the page up under the region lock, insert it, count it.
 */
#include <linux/mm.h>

#include "exotic.h"
#include "exotic_trace.h"

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

/*
 * race_zap_faults=N: count faults of EXOTIC_MAP_FAULT mappings down; each
 * of the next N zaps the PTE it inserted, after the region lock is
 * dropped, as an invalidation landing right after the fault would.  A CPU
 * access faults again; KVM's hva_to_pfn_remapped(), which looks the PTE up
 * again after fixup_user_fault() returned, finds none: its race with
 * invalidations, made deterministic.
 */
static bool exotic_race_zap_due(void)
{
	return exotic_count_down(&exotic_race_zap_faults) > 0;
}

vm_fault_t exotic_fault_pte(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct exotic_region *r = vma->vm_private_data;
	unsigned long page, pfn;
	vm_fault_t ret;
	int err;

	ret = exotic_region_fault_begin(r, vmf->pgoff, &page);
	if (ret)
		return ret;
	pfn = exotic_region_pfn(r, page);

	switch (r->method) {
	case EXOTIC_MAP_PAGE:
		err = vm_insert_page(vma, vmf->address, pfn_to_page(pfn));
		/* -EBUSY: a concurrent fault got there first */
		ret = (!err || err == -EBUSY) ? VM_FAULT_NOPAGE : vmf_error(err);
		break;
	case EXOTIC_MAP_MIXED:
		ret = vmf_insert_mixed(vma, vmf->address,
				       EXOTIC_PFN_ARG(pfn));
		break;
	default:
		ret = vmf_insert_pfn(vma, vmf->address, pfn);
		break;
	}
	if (ret == VM_FAULT_NOPAGE)
		exotic_region_count_faults(r, 1);
	trace_exotic_fault(r->handle, (u64)page << PAGE_SHIFT, pfn, 0,
			   vmf->flags & FAULT_FLAG_WRITE,
			   (__force unsigned int)ret);
	up_read(&r->lock);
	if (ret == VM_FAULT_NOPAGE && r->method == EXOTIC_MAP_FAULT &&
	    exotic_race_zap_due())
		unmap_mapping_range(vma->vm_file->f_mapping,
				    (loff_t)vmf->pgoff << PAGE_SHIFT, PAGE_SIZE, 1);
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

static const struct vm_operations_struct exotic_fault_vm_ops = {
	.open = exotic_vm_open,
	.close = exotic_vm_close,
	.fault = exotic_fault_pte,
};

static const struct vm_operations_struct exotic_fault_vm_ops_mkwrite = {
	.open = exotic_vm_open,
	.close = exotic_vm_close,
	.fault = exotic_fault_pte,
	.pfn_mkwrite = exotic_pfn_mkwrite,
};

const struct exotic_map_ops exotic_map_fault = {
	.name = "fault",
	.vm_flags = VM_IO | VM_PFNMAP,
	.vm_ops = &exotic_fault_vm_ops,
	.vm_ops_mkwrite = &exotic_fault_vm_ops_mkwrite,
};
