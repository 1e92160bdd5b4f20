// SPDX-License-Identifier: GPL-2.0
/*
 * exotic: vmf_insert_mixed() from ->fault in a VM_MIXEDMAP VMA.
 */
#include <linux/mm.h>

#include "exotic.h"

static vm_fault_t exotic_mixed_insert(struct vm_area_struct *vma,
				      unsigned long addr, unsigned long pfn)
{
	return vmf_insert_mixed(vma, addr, EXOTIC_PFN_ARG(pfn));
}

const struct exotic_map_ops exotic_map_mixed = {
	.name = "mixed",
	.vm_flags = VM_MIXEDMAP,
	.vm_ops = &exotic_pte_vm_ops,
	.vm_ops_mkwrite = &exotic_pte_vm_ops_mkwrite,
	.insert_pte = exotic_mixed_insert,
};
