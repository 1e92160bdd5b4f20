// SPDX-License-Identifier: LGPL-2.1-or-later
/* The page refcount judge (libexotic/pageref.c), on hand-made query results. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "pageref.h"

static struct exotic_page pg(int refcount, int mapcount, uint32_t flags)
{
	struct exotic_page p;

	memset(&p, 0, sizeof(p));
	p.refcount = refcount;
	p.mapcount = mapcount;
	p.flags = flags;
	return p;
}

#define TAIL	EXOTIC_PAGE_BLOCK_TAIL
#define QUAR	EXOTIC_PAGE_QUARANTINED

static void test_base(void **state)
{
	(void)state;
	assert_int_equal(pageref_base(EXOTIC_KIND_REFCOUNTED, false), 1);
	assert_int_equal(pageref_base(EXOTIC_KIND_NONCOMPOUND, false), 1);
	assert_int_equal(pageref_base(EXOTIC_KIND_NONCOMPOUND, true), 0);
	assert_int_equal(pageref_base(EXOTIC_KIND_COMPOUND, true), 0);
	assert_int_equal(pageref_base(EXOTIC_KIND_RESERVED, true), 0);
	assert_int_equal(pageref_base(EXOTIC_KIND_CARVEOUT, false), -1);
	assert_int_equal(pageref_base(0, false), -1);
}

/* vm_insert_page() on a folio: every PTE's reference lands on the head. */
static void test_page_method_compound(void **state)
{
	struct exotic_page p[4] = {
		pg(3, 1, 0), pg(0, 1, TAIL), pg(0, 0, TAIL), pg(0, 0, TAIL),
	};

	(void)state;
	assert_int_equal(pageref_expected(EXOTIC_KIND_COMPOUND, EXOTIC_MAP_PAGE, 2, p, 0, 4), 3);
	assert_int_equal(pageref_expected(EXOTIC_KIND_COMPOUND, EXOTIC_MAP_PAGE, 2, p, 1, 4), 0);
	assert_int_equal(pageref_excess(EXOTIC_KIND_COMPOUND, EXOTIC_MAP_PAGE, 2, p, 4), 0);
	/* a reference too many on the head, and a tail lifted to 1 */
	p[0].refcount = 4;
	p[2].refcount = 1;
	assert_int_equal(pageref_excess(EXOTIC_KIND_COMPOUND, EXOTIC_MAP_PAGE, 2, p, 4), 2);
}

/*
 * A folio's head whose block the query cut short (a chunk of a larger
 * query) has PTE references of pages it cannot see: no rule, rather than
 * a wrong one.
 */
static void test_page_method_compound_cut(void **state)
{
	struct exotic_page p[4] = {
		pg(0, 1, TAIL), pg(0, 1, TAIL), pg(9, 1, 0), pg(0, 1, TAIL),
	};

	(void)state;
	/* the head at 2 of an order-2 block: pages 4 and 5 of it are not here */
	assert_int_equal(pageref_expected(EXOTIC_KIND_COMPOUND, EXOTIC_MAP_PAGE, 2, p, 2, 4), -1);
	assert_int_equal(pageref_expected(EXOTIC_KIND_COMPOUND, EXOTIC_MAP_PAGE, 2, p, 3, 4), 0);
	assert_int_equal(pageref_excess(EXOTIC_KIND_COMPOUND, EXOTIC_MAP_PAGE, 2, p, 4), 0);
}

/* Other methods take no reference per PTE; a refcounted page takes its own. */
static void test_other_methods(void **state)
{
	struct exotic_page p[2] = { pg(1, 1, 0), pg(0, 1, TAIL) };
	struct exotic_page r[1] = { pg(2, 1, 0) };

	(void)state;
	assert_int_equal(pageref_expected(EXOTIC_KIND_NONCOMPOUND, EXOTIC_MAP_MIXED, 1, p, 0, 2), 1);
	assert_int_equal(pageref_excess(EXOTIC_KIND_NONCOMPOUND, EXOTIC_MAP_FAULT, 1, p, 2), 0);
	assert_int_equal(pageref_expected(EXOTIC_KIND_REFCOUNTED, EXOTIC_MAP_PAGE, 0, r, 0, 1), 2);
	assert_int_equal(pageref_excess(EXOTIC_KIND_REFCOUNTED, EXOTIC_MAP_REMAP, 0, r, 1), 1);
}

/* A page in quarantine has no mapping to count: a mapcount there is a bug. */
static void test_quarantined(void **state)
{
	struct exotic_page p[1] = { pg(2, 1, QUAR) };

	(void)state;
	assert_int_equal(pageref_expected(EXOTIC_KIND_REFCOUNTED, EXOTIC_MAP_PAGE, 0, p, 0, 1), 1);
	assert_int_equal(pageref_excess(EXOTIC_KIND_REFCOUNTED, EXOTIC_MAP_PAGE, 0, p, 1), 1);
}

/* No struct page: no rule, no excess. */
static void test_no_struct_page(void **state)
{
	struct exotic_page p[1] = { pg(-1, -1, 0) };

	(void)state;
	assert_int_equal(pageref_expected(EXOTIC_KIND_CARVEOUT, EXOTIC_MAP_FAULT, 0, p, 0, 1), -1);
	assert_int_equal(pageref_excess(EXOTIC_KIND_CARVEOUT, EXOTIC_MAP_FAULT, 0, p, 1), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_base),
		cmocka_unit_test(test_page_method_compound),
		cmocka_unit_test(test_page_method_compound_cut),
		cmocka_unit_test(test_other_methods),
		cmocka_unit_test(test_quarantined),
		cmocka_unit_test(test_no_struct_page),
	};

	return cmocka_run_group_tests_name("pageref", tests, NULL, NULL);
}
