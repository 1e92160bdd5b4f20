/* SPDX-License-Identifier: GPL-2.0 */
/*
 * exotic: kernel API differences after 6.1, in one place.
 */
#ifndef _EXOTIC_COMPAT_H
#define _EXOTIC_COMPAT_H

#include <linux/mm.h>
#include <linux/version.h>

/* 6.3 made vm_flags read-only behind vm_flags_set()/vm_flags_clear(). */
#if KERNEL_VERSION(6, 3, 0) <= LINUX_VERSION_CODE
static inline void exotic_vm_flags_set(struct vm_area_struct *vma,
				       unsigned long flags)
{
	vm_flags_set(vma, flags);
}

static inline void exotic_vm_flags_clear(struct vm_area_struct *vma,
					 unsigned long flags)
{
	vm_flags_clear(vma, flags);
}
#else
static inline void exotic_vm_flags_set(struct vm_area_struct *vma,
				       unsigned long flags)
{
	vma->vm_flags |= flags;
}

static inline void exotic_vm_flags_clear(struct vm_area_struct *vma,
					 unsigned long flags)
{
	vma->vm_flags &= ~flags;
}
#endif

/* 6.6 replaced enum page_entry_size with an order in ->huge_fault(). */
#if KERNEL_VERSION(6, 6, 0) <= LINUX_VERSION_CODE
#define EXOTIC_HUGE_FAULT_ARG		unsigned int order
#define EXOTIC_HUGE_FAULT_IS_PMD	(order == PMD_SHIFT - PAGE_SHIFT)
#else
#define EXOTIC_HUGE_FAULT_ARG		enum page_entry_size pe_size
#define EXOTIC_HUGE_FAULT_IS_PMD	(pe_size == PE_SIZE_PMD)
#endif

/*
 * Before 6.12 the fault path only calls ->huge_fault() for special VMAs
 * (VM_PFNMAP) when the mapping's host inode is DAX; the driver's private
 * inode is marked S_DAX for that reason alone.  thp_get_unmapped_area()
 * also needs it to align addresses.
 */
#if KERNEL_VERSION(6, 12, 0) > LINUX_VERSION_CODE
#define EXOTIC_NEEDS_DAX_HOST	1
#else
#define EXOTIC_NEEDS_DAX_HOST	0
#endif

/*
 * Before 6.12 a PMD has no "special" bit: GUP-fast (e.g. KVM's
 * hva_to_pfn_fast(), vmsplice(), O_DIRECT) takes a huge PFN mapping for a
 * THP.  gup_huge_pmd() grabs all the references of the range on the folio
 * of the first page, and the callers drop them page by page.  That is only
 * right for a real folio (the compound kind).  Over a non-compound block
 * (noncompound, reserved) the order-0 head collects them all and the tails
 * go to refcount -1, and the driver would free pages a pipe or an O_DIRECT
 * still holds; over PFNs without a struct page (carve-out) it oopses in
 * try_grab_folio().  So before 6.12 EXOTIC_MAP_HUGE is admitted for the
 * compound kind only, the rest only to reproduce the bugs.
 */
#if KERNEL_VERSION(6, 12, 0) > LINUX_VERSION_CODE
#define EXOTIC_HUGE_NEEDS_FOLIO		1
#else
#define EXOTIC_HUGE_NEEDS_FOLIO		0
#endif

#endif /* _EXOTIC_COMPAT_H */
