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

static const struct vm_operations_struct exotic_mixed_vm_ops = {
	.open = exotic_vm_open,
	.close = exotic_vm_close,
	.fault = exotic_fault_pte,
};

static const struct vm_operations_struct exotic_mixed_vm_ops_mkwrite = {
	.open = exotic_vm_open,
	.close = exotic_vm_close,
	.fault = exotic_fault_pte,
	.pfn_mkwrite = exotic_pfn_mkwrite,
};

const struct exotic_map_ops exotic_map_mixed = {
	.name = "mixed",
	.vm_flags = VM_MIXEDMAP,
	.vm_ops = &exotic_mixed_vm_ops,
	.vm_ops_mkwrite = &exotic_mixed_vm_ops_mkwrite,
	.insert_pte = exotic_mixed_insert,
};
