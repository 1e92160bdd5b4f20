// SPDX-License-Identifier: GPL-2.0
/*
 * Guest suite: every allowed kind x method of /dev/exotic.  Map, write and
 * read patterns, then check the PFN facts through /proc/self/pagemap,
 * /proc/kpageflags, /proc/kpagecount and /proc/iomem, and compare the
 * driver's per-page answers with them.
 */
#include "test_driver.h"

struct combo {
	const char *name;
	uint32_t kind;
	uint32_t method;
	uint32_t order;		/* requested */
	uint32_t eff_order;	/* what the driver must use */
	uint64_t length;
	uint32_t flags;
};

#define C(n, k, m, o, e, l, f) { n, EXOTIC_KIND_##k, EXOTIC_MAP_##m, o, e, l, f }

static const struct combo combos[] = {
	C("refcounted/remap", REFCOUNTED, REMAP, 0, 0, 16 * PG, 0),
	C("refcounted/fault", REFCOUNTED, FAULT, 0, 0, 16 * PG, 0),
	C("refcounted/mixed", REFCOUNTED, MIXED, 0, 0, 16 * PG, 0),
	C("refcounted/page", REFCOUNTED, PAGE, 0, 0, 16 * PG, 0),
	C("refcounted/fault/mkwrite", REFCOUNTED, FAULT, 0, 0, 16 * PG, EXOTIC_ALLOC_MKWRITE),
	C("compound2/remap", COMPOUND, REMAP, 2, 2, 16 * PG, 0),
	C("compound2/fault", COMPOUND, FAULT, 2, 2, 16 * PG, 0),
	C("compound2/mixed", COMPOUND, MIXED, 2, 2, 16 * PG, 0),
	C("compound2/page", COMPOUND, PAGE, 2, 2, 16 * PG, 0),
	C("compound9/huge", COMPOUND, HUGE, 9, 9, 2 * HUGE, 0),
	C("noncompound0/page", NONCOMPOUND, PAGE, 0, 0, 16 * PG, 0),
	C("noncompound2/remap", NONCOMPOUND, REMAP, 2, 2, 16 * PG, 0),
	C("noncompound2/fault", NONCOMPOUND, FAULT, 2, 2, 16 * PG, 0),
	C("noncompound2/mixed", NONCOMPOUND, MIXED, 2, 2, 16 * PG, 0),
	C("noncompound3/mixed/mkwrite", NONCOMPOUND, MIXED, 3, 3, 16 * PG, EXOTIC_ALLOC_MKWRITE),
	C("noncompound9/huge", NONCOMPOUND, HUGE, 9, 9, 2 * HUGE, 0),
	C("reserved0/remap", RESERVED, REMAP, 0, 0, 16 * PG, 0),
	C("reserved0/page", RESERVED, PAGE, 0, 0, 16 * PG, 0),
	C("reserved2/fault", RESERVED, FAULT, 2, 2, 16 * PG, 0),
	C("reserved2/mixed", RESERVED, MIXED, 2, 2, 16 * PG, 0),
	C("reserved9/huge", RESERVED, HUGE, 9, 9, 2 * HUGE, 0),
	C("carveout0/remap", CARVEOUT, REMAP, 0, 0, 16 * PG, 0),
	C("carveout0/fault", CARVEOUT, FAULT, 0, 0, 16 * PG, 0),
	C("carveout2/mixed", CARVEOUT, MIXED, 2, 2, 16 * PG, 0),
	/* before 6.12 with the unsafe flag only (ex_alloc_any()) */
	C("carveout0/huge", CARVEOUT, HUGE, 0, 9, 2 * HUGE, 0),
	C("refcounted/fault/readonly", REFCOUNTED, FAULT, 0, 0, 16 * PG, EXOTIC_ALLOC_READONLY),
};

static bool is_pfnmap(uint32_t method)
{
	return method == EXOTIC_MAP_REMAP || method == EXOTIC_MAP_FAULT ||
	       method == EXOTIC_MAP_HUGE;
}

static bool has_bit(uint64_t v, int bit)
{
	return v & (1ULL << bit);
}

/* Facts about one page that do not come from the driver. */
static void check_page_facts(const struct combo *c, uint64_t pfn,
			     unsigned long idx_in_block)
{
	bool beyond = false;
	uint64_t kf = kpageflags(pfn, &beyond);

	if (c->kind == EXOTIC_KIND_CARVEOUT) {
		/*
		 * a PFN without struct page, outside System RAM.  Up to 6.12
		 * /proc/kpageflags says KPF_NOPAGE for it; 7.3 gives no flag
		 * at all (0) for a PFN that pfn_to_online_page() does not find
		 */
		if (kernel_older_than(7, 0))
			assert_true(beyond || has_bit(kf, KPF_NOPAGE));
		else
			assert_true(beyond || kf == 0);
		assert_true(iomem_contains("exotic carve-out", pfn * PG, PG));
		assert_false(iomem_overlaps_ram(pfn * PG, PG));
		return;
	}
	assert_false(beyond);
	assert_false(has_bit(kf, KPF_NOPAGE));
	assert_true(iomem_overlaps_ram(pfn * PG, PG));
	switch (c->kind) {
	case EXOTIC_KIND_COMPOUND:
		assert_int_equal(has_bit(kf, KPF_COMPOUND_HEAD), idx_in_block == 0);
		assert_int_equal(has_bit(kf, KPF_COMPOUND_TAIL), idx_in_block != 0);
		assert_false(has_bit(kf, KPF_RESERVED));
		break;
	case EXOTIC_KIND_RESERVED:
		assert_true(has_bit(kf, KPF_RESERVED));
		/* fall through */
	case EXOTIC_KIND_REFCOUNTED:
	case EXOTIC_KIND_NONCOMPOUND:
		assert_false(has_bit(kf, KPF_COMPOUND_HEAD));
		assert_false(has_bit(kf, KPF_COMPOUND_TAIL));
		if (c->kind != EXOTIC_KIND_RESERVED)
			assert_false(has_bit(kf, KPF_RESERVED));
		break;
	}
	if (c->method == EXOTIC_MAP_PAGE)	/* a normal, rmapped PTE */
		assert_int_equal(kpagecount(pfn), 1);
}

/* The driver's view of the same page must agree with the facts. */
static void check_driver_page(const struct combo *c, const struct exotic_page *p,
			      uint64_t pfn, unsigned long idx_in_block,
			      uint64_t offset)
{
	bool beyond = false;
	uint64_t kf;

	assert_int_equal(p->pfn, pfn);
	assert_int_equal(p->offset, offset);
	assert_int_equal(!!(p->flags & EXOTIC_PAGE_BLOCK_TAIL), idx_in_block != 0);
	assert_false(p->flags & (EXOTIC_PAGE_QUARANTINED | EXOTIC_PAGE_POISON_OK));
	assert_int_equal(p->reserved, 0);
	if (c->kind == EXOTIC_KIND_CARVEOUT) {
		assert_false(p->flags & EXOTIC_PAGE_HAS_STRUCT);
		assert_int_equal(p->refcount, -1);
		assert_int_equal(p->mapcount, -1);
		return;
	}
	kf = kpageflags(pfn, &beyond);
	assert_true(p->flags & EXOTIC_PAGE_HAS_STRUCT);
	assert_int_equal(!!(p->flags & EXOTIC_PAGE_HEAD), has_bit(kf, KPF_COMPOUND_HEAD));
	assert_int_equal(!!(p->flags & EXOTIC_PAGE_TAIL), has_bit(kf, KPF_COMPOUND_TAIL));
	assert_int_equal(!!(p->flags & EXOTIC_PAGE_RESERVED), has_bit(kf, KPF_RESERVED));
	if (c->method != EXOTIC_MAP_PAGE)	/* the kit's judge, without mappings */
		assert_int_equal(p->refcount, pageref_base(c->kind, idx_in_block != 0));
	if (idx_in_block) {
		/* tail pages of high-order blocks sit at refcount 0 */
		assert_int_equal(p->refcount, 0);
	} else if (c->method == EXOTIC_MAP_PAGE) {
		/* one reference per PTE of the block, on the head */
		assert_int_equal(p->refcount, 1 + (1 << c->eff_order));
	} else {
		assert_int_equal(p->refcount, 1);
	}
	if (c->method == EXOTIC_MAP_PAGE)
		assert_int_equal(p->mapcount, 1);
	else
		assert_int_equal(p->mapcount, 0);
}

static void test_combo(void **state)
{
	const struct combo *c = *state;
	unsigned long npages = c->length / PG, block = 1UL << c->eff_order, i;
	bool ro = c->flags & EXOTIC_ALLOC_READONLY;
	struct exotic_region_info info;
	struct exotic_version v;
	struct exotic_alloc a;
	struct exotic_page *pages;
	uint64_t *pfns, seed = 0x64726976ULL ^ c->kind << 8 ^ c->method;	/* fixed: a failure replays */
	uint32_t flags = c->flags;
	uint8_t *map;
	int fd;

	DEV_OPEN_OR_SKIP(fd);
	assert_int_equal(ex_version(fd, &v), 0);
	if (c->kind == EXOTIC_KIND_CARVEOUT && !(v.kinds & (1U << EXOTIC_KIND_CARVEOUT))) {
		close(fd);
		vm_env_need(0, "# no carve-out configured\n");
	}
	print_message("# %s seed %#" PRIx64 "\n", c->name, seed);

	if (needs_unsafe(c->kind, c->method)) {
		print_message("# %s: refused without the unsafe flag on this kernel, mapped with it\n",
			      c->name);
		flags |= EXOTIC_ALLOC_UNSAFE_DRIVER_BUG;
	}
	assert_int_equal(ex_alloc_any(fd, c->kind, c->method, c->length, c->order,
				      c->flags, &a), 0);
	assert_int_equal(a.order, c->eff_order);
	assert_int_not_equal(a.handle, 0);
	assert_int_equal(a.mmap_offset % HUGE, 0);

	map = ex_map(fd, a.mmap_offset, c->length,
		     ro ? PROT_READ : PROT_READ | PROT_WRITE);
	assert_non_null(map);
	if (c->method == EXOTIC_MAP_HUGE)
		assert_int_equal((uintptr_t)map % HUGE, 0);

	if (ro) {
		/* the driver zeroes fresh memory; writes are refused */
		for (i = 0; i < c->length / 8; i++)
			assert_int_equal(((volatile uint64_t *)map)[i], 0);
		assert_int_equal(probe_access((volatile uint64_t *)map, true), SIGSEGV);
	} else {
		fill(map, c->length, seed);
		assert_int_equal(verify(map, c->length, seed), -1);
	}

	/*
	 * The PFNs, from the page tables.  The 6.1 pagemap walker skips
	 * VM_PFNMAP VMAs (walk_page_test()), so for remap, fault and huge the
	 * PFNs come from the driver and only their facts are checked.
	 */
	pages = calloc(npages, sizeof(*pages));
	pfns = calloc(npages, sizeof(*pfns));
	assert_non_null(pages);
	assert_non_null(pfns);
	assert_int_equal(ex_query(fd, a.handle, 0, 0, pages, npages), npages);
	for (i = 0; i < npages; i++) {
		pfns[i] = pagemap_pfn(map + i * PG);
		if (is_pfnmap(c->method)) {
			assert_true(pfns[i] == 0 || pfns[i] == pages[i].pfn);
			pfns[i] = pages[i].pfn;
		}
		assert_int_not_equal(pfns[i], 0);
	}
	for (i = 0; i < npages; i += block) {
		unsigned long j;

		/* blocks are naturally aligned and physically contiguous */
		assert_int_equal(pfns[i] % block, 0);
		for (j = 1; j < block; j++)
			assert_int_equal(pfns[i + j], pfns[i] + j);
	}
	for (i = 0; i < npages; i++)
		for (unsigned long j = 0; j < i; j++)
			assert_int_not_equal(pfns[i], pfns[j]);
	for (i = 0; i < npages; i++)
		check_page_facts(c, pfns[i], i % block);

	/* the driver agrees */
	for (i = 0; i < npages; i++)
		check_driver_page(c, &pages[i], pfns[i], i % block, i * PG);

	assert_int_equal(ex_info(fd, a.handle, &info), 0);
	assert_int_equal(info.kind, c->kind);
	assert_int_equal(info.method, c->method);
	assert_int_equal(info.order, c->eff_order);
	assert_int_equal(info.flags, flags);
	assert_int_equal(info.state, EXOTIC_STATE_LIVE);
	assert_int_equal(info.length, c->length);
	assert_int_equal(info.mmap_offset, a.mmap_offset);
	assert_int_equal(info.nr_pfns, npages);
	assert_int_equal(info.refcount_anomalies, 0);
	assert_int_equal(info.zaps, 0);
	switch (c->method) {
	case EXOTIC_MAP_REMAP:
		/* the first fault fills the whole VMA */
		assert_int_equal(info.faults, 1);
		break;
	case EXOTIC_MAP_HUGE:
		assert_int_equal(info.faults, c->length / HUGE);
		break;
	default:
		assert_int_equal(info.faults, npages);
		break;
	}

	/* a sub-range mapping at mmap_offset + k pages sees the same data */
	if (!ro) {
		uint8_t *sub = ex_map(fd, a.mmap_offset + c->length - PG, PG,
				      PROT_READ);

		assert_non_null(sub);
		assert_memory_equal(sub, map + c->length - PG, PG);
		if (!is_pfnmap(c->method))
			assert_int_equal(pagemap_pfn(sub), pfns[npages - 1]);
		munmap(sub, PG);
	}

	assert_int_equal(munmap(map, c->length), 0);
	assert_int_equal(ex_event(fd, EXOTIC_IOC_FREE, a.handle, 0, 0, NULL), 0);
	assert_int_equal(ex_info(fd, a.handle, &info), -ENOENT);
	free(pages);
	free(pfns);
	close(fd);
}

static void test_version(void **state)
{
	struct exotic_version v;
	int fd;

	(void)state;
	DEV_OPEN_OR_SKIP(fd);
	assert_int_equal(ex_version(fd, &v), 0);
	assert_int_equal(v.abi_version, EXOTIC_ABI_VERSION);
	assert_true(v.kinds & (1U << EXOTIC_KIND_REFCOUNTED));
	assert_int_equal(v.methods, 0x3e);
	assert_true(v.max_order >= 9);
	assert_true(v.max_bytes > 0);
	assert_true(v.max_regions > 0);
	for (unsigned int i = 0; i < 2; i++)
		assert_int_equal(v.reserved[i], 0);
	if (v.kinds & (1U << EXOTIC_KIND_CARVEOUT)) {
		/* what the administrator configured, claimed, outside RAM */
		assert_true(iomem_contains("exotic carve-out", v.carveout_base,
					   v.carveout_size));
		assert_false(iomem_overlaps_ram(v.carveout_base, v.carveout_size));
		if (getenv("EXOTIC_CARVEOUT_BASE"))
			assert_int_equal(v.carveout_base,
					 strtoull(getenv("EXOTIC_CARVEOUT_BASE"), NULL, 0));
	} else {
		assert_int_equal(v.carveout_base, 0);
		assert_int_equal(v.carveout_size, 0);
	}
	close(fd);
}

/* Regions and mappings survive one another: many handles, distinct PFNs. */
static void test_handles_distinct(void **state)
{
	struct exotic_alloc a[4];
	uint64_t seen[4];
	void *m[4];
	int fd, i, j;

	(void)state;
	DEV_OPEN_OR_SKIP(fd);
	for (i = 0; i < 4; i++) {
		assert_int_equal(ex_alloc(fd, EXOTIC_KIND_REFCOUNTED, EXOTIC_MAP_MIXED,
					  PG, 0, 0, &a[i]), 0);
		m[i] = ex_map(fd, a[i].mmap_offset, PG, PROT_READ | PROT_WRITE);
		assert_non_null(m[i]);
		*(volatile uint64_t *)m[i] = i + 1;
		seen[i] = pagemap_pfn(m[i]);
		for (j = 0; j < i; j++) {
			assert_int_not_equal(a[i].handle, a[j].handle);
			assert_int_not_equal(a[i].mmap_offset, a[j].mmap_offset);
			assert_int_not_equal(seen[i], seen[j]);
		}
	}
	for (i = 0; i < 4; i++) {
		assert_int_equal(*(volatile uint64_t *)m[i], i + 1);
		munmap(m[i], PG);
	}
	close(fd);
}

/*
 * With unsafe_driver_bugs=1 the flag admits vm_insert_page() on refcount-0
 * tails.  Only the allocation is checked here: mapping it is the driver bug
 * itself (the tail is freed to the buddy allocator on munmap).
 */
static void test_unsafe_admitted(void **state)
{
	struct exotic_region_info info;
	struct exotic_version v;
	struct exotic_alloc a;
	char saved[16];
	int fd;

	(void)state;
	DEV_OPEN_OR_SKIP(fd);
	assert_int_equal(param_read("unsafe_driver_bugs", saved, sizeof(saved)), 0);
	assert_int_equal(param_write("unsafe_driver_bugs", "1"), 0);
	assert_int_equal(ex_alloc(fd, EXOTIC_KIND_NONCOMPOUND, EXOTIC_MAP_PAGE, 8 * PG, 2,
				  EXOTIC_ALLOC_UNSAFE_DRIVER_BUG, &a), 0);
	/* the flag does not make the carve-out insertable */
	assert_int_equal(ex_version(fd, &v), 0);
	assert_int_equal(ex_alloc(fd, EXOTIC_KIND_CARVEOUT, EXOTIC_MAP_PAGE, PG, 0,
				  EXOTIC_ALLOC_UNSAFE_DRIVER_BUG, NULL),
			 v.kinds & (1U << EXOTIC_KIND_CARVEOUT) ? -EINVAL : -ENODEV);
	assert_int_equal(param_write("unsafe_driver_bugs", saved), 0);
	assert_int_equal(ex_info(fd, a.handle, &info), 0);
	assert_int_equal(info.flags, EXOTIC_ALLOC_UNSAFE_DRIVER_BUG);
	assert_int_equal(info.method, EXOTIC_MAP_PAGE);
	assert_int_equal(ex_event(fd, EXOTIC_IOC_FREE, a.handle, 0, 0, NULL), 0);
	close(fd);
}

/* Output fields are ignored on input: one struct can be reused. */
static void test_struct_reuse(void **state)
{
	struct exotic_alloc a;
	struct exotic_event ev;
	uint64_t first;
	int fd;

	(void)state;
	DEV_OPEN_OR_SKIP(fd);
	assert_int_equal(ex_alloc(fd, EXOTIC_KIND_REFCOUNTED, EXOTIC_MAP_FAULT,
				  PG, 0, 0, &a), 0);
	first = a.mmap_offset;
	assert_int_equal(xioctl(fd, EXOTIC_IOC_ALLOC, &a), 0);
	assert_int_not_equal(a.mmap_offset, first);
	memset(&ev, 0, sizeof(ev));
	ev.handle = a.handle;
	assert_int_equal(xioctl(fd, EXOTIC_IOC_INVALIDATE, &ev), 0);
	first = ev.epoch;
	assert_int_equal(xioctl(fd, EXOTIC_IOC_MIGRATE, &ev), 0);
	assert_true(ev.epoch > first);
	assert_int_equal(xioctl(fd, EXOTIC_IOC_REVOKE, &ev), 0);
	close(fd);
}

int main(void)
{
	size_t n = sizeof(combos) / sizeof(combos[0]), i;
	struct CMUnitTest *tests = calloc(n + 4, sizeof(*tests));

	if (!tests)
		return 1;
	tests[0] = (struct CMUnitTest)cmocka_unit_test(test_version);
	tests[1] = (struct CMUnitTest)cmocka_unit_test(test_handles_distinct);
	tests[2] = (struct CMUnitTest)cmocka_unit_test(test_struct_reuse);
	tests[3] = (struct CMUnitTest)cmocka_unit_test(test_unsafe_admitted);
	for (i = 0; i < n; i++) {
		tests[i + 4].name = combos[i].name;
		tests[i + 4].test_func = test_combo;
		tests[i + 4].initial_state = (void *)&combos[i];
	}
	return _cmocka_run_group_tests("driver", tests, n + 4, NULL, NULL);
}
