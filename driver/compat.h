/* SPDX-License-Identifier: GPL-2.0 */
/*
 * exotic: kernel API differences after 6.1, in one place.
 */
#ifndef _EXOTIC_COMPAT_H
#define _EXOTIC_COMPAT_H

#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/version.h>
#include <linux/workqueue.h>
#if KERNEL_VERSION(6, 17, 0) > LINUX_VERSION_CODE
#include <linux/pfn_t.h>
#endif

/*
 * The largest order the page allocator hands out.  6.4 made MAX_ORDER
 * inclusive ("mm, treewide: redefine MAX_ORDER sanely": 11 became 10, the
 * same largest order), 6.8 renamed it MAX_PAGE_ORDER ("mm, treewide:
 * rename MAX_ORDER to MAX_PAGE_ORDER").
 */
#if KERNEL_VERSION(6, 8, 0) <= LINUX_VERSION_CODE
#define EXOTIC_MAX_PAGE_ORDER	MAX_PAGE_ORDER
#elif KERNEL_VERSION(6, 4, 0) <= LINUX_VERSION_CODE
#define EXOTIC_MAX_PAGE_ORDER	MAX_ORDER
#else
#define EXOTIC_MAX_PAGE_ORDER	(MAX_ORDER - 1)
#endif

/*
 * 6.12 took no_llseek out ("[tree-wide] finally take no_llseek out"); since
 * 6.0 ("fs: clear or set FMODE_LSEEK based on llseek function") a NULL
 * ->llseek means the same: lseek() fails with -ESPIPE.
 */
#if KERNEL_VERSION(6, 12, 0) <= LINUX_VERSION_CODE
#define EXOTIC_NO_LLSEEK	NULL
#else
#define EXOTIC_NO_LLSEEK	no_llseek
#endif

/*
 * 6.17 removed pfn_t ("mm: remove callers of pfn_t functionality"):
 * vmf_insert_mixed() and vmf_insert_pfn_pmd() take a plain PFN.  The
 * driver never set a pfn_t flag, so both forms insert the same entry.
 */
#if KERNEL_VERSION(6, 17, 0) <= LINUX_VERSION_CODE
#define EXOTIC_PFN_ARG(pfn)	(pfn)
#else
#define EXOTIC_PFN_ARG(pfn)	pfn_to_pfn_t(pfn)
#endif

/*
 * page_mapcount() is gone from <linux/mm.h> by 6.12 (its precise form
 * moved to mm/internal.h as folio_precise_page_mapcount()).  The same
 * count: the page's own PTE mappings, plus the PMD mappings of its folio;
 * 0 for a page whose _mapcount holds a page type.  This needs the per-page
 * mapcount (CONFIG_PAGE_MAPCOUNT, the default; Debian's 7.x has it).
 */
#if KERNEL_VERSION(6, 12, 0) <= LINUX_VERSION_CODE
static inline int exotic_page_mapcount(struct page *page)
{
	int mapcount = atomic_read(&page->_mapcount) + 1;

	if (page_mapcount_is_type(mapcount))
		mapcount = 0;
	if (PageCompound(page))
		mapcount += folio_entire_mapcount(page_folio(page));
	return mapcount;
}
#else
static inline int exotic_page_mapcount(struct page *page)
{
	return page_mapcount(page);
}
#endif

/*
 * 6.17 added system_percpu_wq as the new name of system_wq, which 7.x
 * marks for removal ("workqueue: Add system_percpu_wq and system_dfl_wq").
 * Same per-CPU queue, so the same behaviour.
 */
#if KERNEL_VERSION(6, 17, 0) <= LINUX_VERSION_CODE
#define EXOTIC_WQ	system_percpu_wq
#else
#define EXOTIC_WQ	system_wq
#endif

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

/*
 * The firmware's own e820 table (e820__mapped_raw_any()) tells a memmap=
 * range, which it calls RAM, from memory the firmware reserved.  Linux
 * 6.12 exports it to every module; 7.3 only to kvm, kvm-amd and
 * kvm-intel (Module.symvers of Debian's 7.3.4: "module:kvm,kvm-amd,
 * kvm-intel"), and 6.19 is the first release that could have made it so
 * (its export-to-modules macros): from there the carve-out check has the
 * resource tree only.
 */
#if defined(CONFIG_X86) && KERNEL_VERSION(6, 19, 0) > LINUX_VERSION_CODE
#define EXOTIC_HAVE_FIRMWARE_E820	1
#else
#define EXOTIC_HAVE_FIRMWARE_E820	0
#endif

#endif /* _EXOTIC_COMPAT_H */
