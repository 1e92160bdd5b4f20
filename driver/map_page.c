// SPDX-License-Identifier: GPL-2.0
/*
 * exotic: vm_insert_page() from ->fault: a normal, refcounted and rmapped
 * PTE.  VM_MIXEDMAP is set at mmap time because vm_insert_page() may not
 * set it from a fault handler.  It needs a struct page, and takes a
 * reference per PTE: on refcount-0 tail pages that is the driver bug it
 * exists to reproduce (only with EXOTIC_ALLOC_UNSAFE_DRIVER_BUG).
 */
#include <linux/mm.h>

#include "exotic.h"

static vm_fault_t exotic_page_insert(struct vm_area_struct *vma,
				     unsigned long addr, unsigned long pfn)
{
	int err = vm_insert_page(vma, addr, pfn_to_page(pfn));

	/* -EBUSY: a concurrent fault got there first */
	return (!err || err == -EBUSY) ? VM_FAULT_NOPAGE : vmf_error(err);
}

const struct exotic_map_ops exotic_map_page = {
	.name = "page",
	.vm_flags = VM_MIXEDMAP,
	.vm_ops = &exotic_pte_vm_ops,
	.insert_pte = exotic_page_insert,
	.needs_struct_page = true,
	.takes_page_refs = true,
};
