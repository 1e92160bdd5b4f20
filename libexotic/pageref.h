/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The page refcount judge (docs/design.md §5, oracle 1): what refcount a
 * backing page must have, from the kit's own rules, not the driver's
 * opinion.  The driver reports facts (refcount, mapcount, block position,
 * quarantine); the storm, the scenario runner, the driver's tests and
 * exotic-fuzz's probes all judge them here.  Not installed.  Needs the
 * driver's uapi only: exotic-fuzz writes it, and pageref.c, into the C
 * reproducers it emits.
 */
#ifndef EXOTIC_PAGEREF_H
#define EXOTIC_PAGEREF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exotic_uapi.h"

/*
 * The refcount a page of kind must have with no mapping (block_tail: not
 * the first page of its block); -1 for memory without struct page.
 */
int pageref_base(uint32_t kind, bool block_tail);

/*
 * The refcount pages[i] must have now: its kind's, plus, for memory mapped
 * with vm_insert_page() (method page), one reference per PTE, taken on the
 * head of a folio; a page in quarantine has no mapping to count.  pages[]
 * is a query's result starting at a block boundary (n entries, blocks of
 * 1 << order pages).  -1: no rule (no struct page, or the head of a folio
 * whose block runs past pages[n - 1]).
 */
int pageref_expected(uint32_t kind, uint32_t method, uint32_t order,
		     const struct exotic_page *pages, size_t i, size_t n);

/* The sum over pages[] of |refcount - expected|: 0 when all are right. */
uint64_t pageref_excess(uint32_t kind, uint32_t method, uint32_t order,
			const struct exotic_page *pages, size_t n);

#endif /* EXOTIC_PAGEREF_H */
