// SPDX-License-Identifier: GPL-2.0
/*
 * exotic: vmf_insert_pfn() from ->fault, one PTE at a time, in a VM_IO |
 * VM_PFNMAP VMA (what most GPU drivers' fault handlers do).
 */
#include <linux/mm.h>

#include "exotic.h"

/* The fault path, with race_zap_faults' zap after it (inject.c). */
static vm_fault_t exotic_fault_fault(struct vm_fault *vmf)
{
	vm_fault_t ret = exotic_fault_pte(vmf);

	if (ret == VM_FAULT_NOPAGE)
		exotic_inject_race_zap(vmf);
	return ret;
}

static const struct vm_operations_struct exotic_fault_vm_ops = {
	.open = exotic_vm_open,
	.close = exotic_vm_close,
	.fault = exotic_fault_fault,
};

static const struct vm_operations_struct exotic_fault_vm_ops_mkwrite = {
	.open = exotic_vm_open,
	.close = exotic_vm_close,
	.fault = exotic_fault_fault,
	.pfn_mkwrite = exotic_pfn_mkwrite,
};

const struct exotic_map_ops exotic_map_fault = {
	.name = "fault",
	.vm_flags = VM_IO | VM_PFNMAP,
	.vm_ops = &exotic_fault_vm_ops,
	.vm_ops_mkwrite = &exotic_fault_vm_ops_mkwrite,
	.insert_pte = exotic_insert_pfn,
};
