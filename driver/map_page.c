// SPDX-License-Identifier: GPL-2.0
/*
 * exotic: vm_insert_page() from ->fault: a normal, refcounted and rmapped
 * PTE.  VM_MIXEDMAP is set at mmap time because vm_insert_page() may not
 * set it from a fault handler.
 */
#include <linux/mm.h>

#include "exotic.h"

static const struct vm_operations_struct exotic_page_vm_ops = {
	.open = exotic_vm_open,
	.close = exotic_vm_close,
	.fault = exotic_fault_pte,
};

const struct exotic_map_ops exotic_map_page = {
	.name = "page",
	.vm_flags = VM_MIXEDMAP,
	.vm_ops = &exotic_page_vm_ops,
	.vm_ops_mkwrite = &exotic_page_vm_ops,
};
