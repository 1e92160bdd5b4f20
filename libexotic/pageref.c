// SPDX-License-Identifier: LGPL-2.1-or-later
/* The page refcount judge: see pageref.h. */
#include "pageref.h"

int pageref_base(uint32_t kind, bool block_tail)
{
	switch (kind) {
	case EXOTIC_KIND_REFCOUNTED:
		return 1;
	case EXOTIC_KIND_COMPOUND:
	case EXOTIC_KIND_NONCOMPOUND:
	case EXOTIC_KIND_RESERVED:
		/* only the first page of a block holds the reference */
		return block_tail ? 0 : 1;
	default:
		return -1;
	}
}

static int mapped(const struct exotic_page *p)
{
	if (p->flags & EXOTIC_PAGE_QUARANTINED)
		return 0;
	return p->mapcount > 0 ? p->mapcount : 0;
}

int pageref_expected(uint32_t kind, uint32_t method, uint32_t order,
		     const struct exotic_page *pages, size_t i, size_t n)
{
	bool tail = pages[i].flags & EXOTIC_PAGE_BLOCK_TAIL;
	int e = pageref_base(kind, tail);

	if (e < 0 || method != EXOTIC_MAP_PAGE)
		return e;
	/* vm_insert_page(): one reference per PTE, on the head of a folio */
	if (kind != EXOTIC_KIND_COMPOUND)
		return e + mapped(&pages[i]);
	if (tail)
		return e;
	/* a head whose block the query cut short: its PTEs are not all here */
	if (n - i < (size_t)1 << order)
		return -1;
	for (size_t j = i; j < i + ((size_t)1 << order); j++)
		e += mapped(&pages[j]);
	return e;
}

uint64_t pageref_excess(uint32_t kind, uint32_t method, uint32_t order,
			const struct exotic_page *pages, size_t n)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < n; i++) {
		int e = pageref_expected(kind, method, order, pages, i, n);
		int got = pages[i].refcount;

		if (e < 0 || got < 0)
			continue;
		sum += (uint64_t)(got > e ? got - e : e - got);
	}
	return sum;
}
