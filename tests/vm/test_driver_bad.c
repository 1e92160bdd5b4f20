// SPDX-License-Identifier: GPL-2.0
/*
 * Guest suite: bad inputs to /dev/exotic, each with its defined errno or
 * signal.  The runner's console oracle checks that none of them made the
 * kernel complain.
 */
#include "test_driver.h"

#define SIG(s)	(1000 + (s))	/* a signal, as opposed to -errno */

struct bad {
	const char *name;
	int (*run)(int fd);
	int expected;
};

static uint32_t live(int fd, uint32_t kind, uint32_t method, uint64_t len,
		     uint32_t order, uint32_t flags, uint64_t *off)
{
	struct exotic_alloc a;

	assert_int_equal(ex_alloc(fd, kind, method, len, order, flags, &a), 0);
	if (off)
		*off = a.mmap_offset;
	return a.handle;
}

static uint32_t live_fault(int fd, uint64_t *off)
{
	return live(fd, EXOTIC_KIND_REFCOUNTED, EXOTIC_MAP_FAULT, 4 * PG, 0, 0, off);
}

static int alloc_raw(int fd, struct exotic_alloc *a)
{
	return xioctl(fd, EXOTIC_IOC_ALLOC, a);
}

static struct exotic_alloc good_alloc(void)
{
	struct exotic_alloc a;

	memset(&a, 0, sizeof(a));
	a.kind = EXOTIC_KIND_REFCOUNTED;
	a.method = EXOTIC_MAP_FAULT;
	a.length = 4 * PG;
	return a;
}

static int event_raw(int fd, unsigned long cmd, struct exotic_event *ev)
{
	return xioctl(fd, cmd, ev);
}

static int map_err(int fd, uint64_t off, size_t len, int prot, int flags)
{
	void *p = mmap(NULL, len, prot, flags, fd, (off_t)off);

	if (p == MAP_FAILED)
		return -errno;
	munmap(p, len);
	return 0;
}

/* ------------------------------------------------------------ ioctl */

static int b_unknown_ioctl(int fd)
{
	struct exotic_event ev = { 0 };

	return xioctl(fd, _IOWR(EXOTIC_IOC_MAGIC, 0x7f, struct exotic_event), &ev);
}

static int b_foreign_magic(int fd)
{
	int v = 0;

	return xioctl(fd, _IOR('x', 0, int), &v);
}

static int b_wrong_size(int fd)
{
	struct exotic_event ev = { 0 };

	/* ALLOC's number with another size is another command */
	return xioctl(fd, _IOWR(EXOTIC_IOC_MAGIC, 0x01, struct exotic_event), &ev);
}

#define ALLOC_CASE(fn, stmt)				\
static int fn(int fd)					\
{							\
	struct exotic_alloc a = good_alloc();		\
	stmt;						\
	return alloc_raw(fd, &a);			\
}

ALLOC_CASE(b_alloc_reserved, a.reserved[3] = 1)
ALLOC_CASE(b_alloc_pad, a.pad = 1)
ALLOC_CASE(b_alloc_flag, a.flags = 1U << 31)
ALLOC_CASE(b_alloc_kind0, a.kind = 0)
ALLOC_CASE(b_alloc_kind6, a.kind = EXOTIC_KIND_MAX + 1)
ALLOC_CASE(b_alloc_method0, a.method = 0)
ALLOC_CASE(b_alloc_method6, a.method = EXOTIC_MAP_MAX + 1)
ALLOC_CASE(b_alloc_len0, a.length = 0)
ALLOC_CASE(b_alloc_len_unaligned, a.length = PG + 1)
ALLOC_CASE(b_alloc_len_block, (a.kind = EXOTIC_KIND_NONCOMPOUND, a.order = 2, a.length = 5 * PG))
ALLOC_CASE(b_alloc_len_huge, a.length = 1ULL << 40)
ALLOC_CASE(b_alloc_len_overflow, a.length = ~0ULL & ~(PG - 1))
ALLOC_CASE(b_alloc_order_max, (a.kind = EXOTIC_KIND_NONCOMPOUND, a.order = 11, a.length = 8ULL << 20))
ALLOC_CASE(b_alloc_refcounted_order, a.order = 1)
ALLOC_CASE(b_alloc_compound_order0, a.kind = EXOTIC_KIND_COMPOUND)
ALLOC_CASE(b_alloc_huge_order0, (a.method = EXOTIC_MAP_HUGE, a.length = HUGE))
ALLOC_CASE(b_alloc_huge_order4, (a.kind = EXOTIC_KIND_NONCOMPOUND, a.method = EXOTIC_MAP_HUGE, a.order = 4, a.length = HUGE))
ALLOC_CASE(b_alloc_page_carveout, (a.kind = EXOTIC_KIND_CARVEOUT, a.method = EXOTIC_MAP_PAGE))
ALLOC_CASE(b_alloc_page_tail, (a.kind = EXOTIC_KIND_NONCOMPOUND, a.method = EXOTIC_MAP_PAGE, a.order = 2))
ALLOC_CASE(b_alloc_page_reserved_tail, (a.kind = EXOTIC_KIND_RESERVED, a.method = EXOTIC_MAP_PAGE, a.order = 2))

/* The unsafe flag without unsafe_driver_bugs=1 (whatever the runner set). */
static int b_alloc_unsafe(int fd)
{
	struct exotic_alloc a = good_alloc();
	char saved[16];
	int ret;

	a.kind = EXOTIC_KIND_NONCOMPOUND;
	a.method = EXOTIC_MAP_PAGE;
	a.order = 2;
	a.flags = EXOTIC_ALLOC_UNSAFE_DRIVER_BUG;
	assert_int_equal(param_read("unsafe_driver_bugs", saved, sizeof(saved)), 0);
	assert_int_equal(param_write("unsafe_driver_bugs", "0"), 0);
	ret = alloc_raw(fd, &a);
	assert_int_equal(param_write("unsafe_driver_bugs", saved), 0);
	return ret;
}
ALLOC_CASE(b_alloc_mkwrite_remap, (a.method = EXOTIC_MAP_REMAP, a.flags = EXOTIC_ALLOC_MKWRITE))
ALLOC_CASE(b_alloc_mkwrite_ro, a.flags = EXOTIC_ALLOC_MKWRITE | EXOTIC_ALLOC_READONLY)

/* Even with the parameter set, the carve-out never goes through PAGE. */
static int b_alloc_unsafe_carveout(int fd)
{
	struct exotic_alloc a = good_alloc();
	char saved[16];
	int ret;

	a.kind = EXOTIC_KIND_CARVEOUT;
	a.method = EXOTIC_MAP_PAGE;
	a.flags = EXOTIC_ALLOC_UNSAFE_DRIVER_BUG;
	assert_int_equal(param_read("unsafe_driver_bugs", saved, sizeof(saved)), 0);
	assert_int_equal(param_write("unsafe_driver_bugs", "1"), 0);
	ret = alloc_raw(fd, &a);
	assert_int_equal(param_write("unsafe_driver_bugs", saved), 0);
	return ret;
}

/*
 * Before 6.12 the carve-out is never mapped huge without the unsafe flag:
 * GUP-fast would take the PMD for a THP and oops on the missing struct page.
 */
static int huge_carveout(int fd, uint32_t order, const char *param)
{
	struct exotic_alloc a = good_alloc();
	char saved[16];
	int ret;

	if (!needs_unsafe(EXOTIC_KIND_CARVEOUT, EXOTIC_MAP_HUGE)) {
		close(fd);
		print_message("the carve-out may be mapped huge on this kernel (6.12 and later): nothing to refuse\n");
		skip();
	}
	a.kind = EXOTIC_KIND_CARVEOUT;
	a.method = EXOTIC_MAP_HUGE;
	a.order = order;
	a.length = HUGE;
	assert_int_equal(param_read("unsafe_driver_bugs", saved, sizeof(saved)), 0);
	assert_int_equal(param_write("unsafe_driver_bugs", param), 0);
	ret = alloc_raw(fd, &a);
	assert_int_equal(param_write("unsafe_driver_bugs", saved), 0);
	return ret;
}

static int b_alloc_huge_carveout(int fd)
{
	return huge_carveout(fd, 0, "0");
}

static int b_alloc_huge_carveout_order9(int fd)
{
	return huge_carveout(fd, 9, "0");
}

/* The parameter alone admits nothing: the flag is what asks. */
static int b_alloc_huge_carveout_param(int fd)
{
	return huge_carveout(fd, 0, "1");
}

static int b_alloc_efault(int fd)
{
	return xioctl(fd, EXOTIC_IOC_ALLOC, (void *)16);
}

static int b_version_efault(int fd)
{
	return xioctl(fd, EXOTIC_IOC_VERSION, (void *)16);
}

/*
 * An argument the driver can read but not write back: the caller never
 * learns the handle, so the region made for it must be taken back.
 */
static int b_alloc_readonly_arg(int fd)
{
	struct exotic_version before, v;
	struct exotic_alloc *a;
	int ret;

	a = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(a != MAP_FAILED);
	*a = good_alloc();
	assert_int_equal(mprotect(a, PG, PROT_READ), 0);
	assert_int_equal(ex_version(fd, &before), 0);
	ret = xioctl(fd, EXOTIC_IOC_ALLOC, a);
	assert_int_equal(munmap(a, PG), 0);
	assert_int_equal(ex_version(fd, &v), 0);
	/* made, then freed (a FREE takes an epoch), not refused before */
	assert_true(v.epoch > before.epoch);
	if (v.file_used_bytes)
		print_message("# %llu bytes still live after the failed copy-out\n",
			      (unsigned long long)v.file_used_bytes);
	assert_int_equal(v.file_used_bytes, 0);
	return ret;
}

/* byte cap: a region that does not fit what is left */
static int b_cap_bytes(int fd)
{
	struct exotic_version v;
	char saved[32], cap[32];
	int ret;

	int fits;

	assert_int_equal(param_read("max_bytes", saved, sizeof(saved)), 0);
	assert_int_equal(ex_version(fd, &v), 0);
	snprintf(cap, sizeof(cap), "%llu", (unsigned long long)v.used_bytes + (1ULL << 20));
	/* the per-file cap is not the one under test: as high as the device's */
	assert_int_equal(param_write("max_file_bytes", cap), 0);
	assert_int_equal(param_write("max_bytes", cap), 0);
	ret = ex_alloc(fd, EXOTIC_KIND_REFCOUNTED, EXOTIC_MAP_FAULT, 2ULL << 20, 0, 0, NULL);
	/* what fits still works */
	fits = ex_alloc(fd, EXOTIC_KIND_REFCOUNTED, EXOTIC_MAP_FAULT, 1ULL << 20, 0, 0, NULL);
	/* restored before any assertion, so that a failure here stays here */
	assert_int_equal(param_write("max_bytes", saved), 0);
	assert_int_equal(param_write("max_file_bytes", "0"), 0);
	assert_int_equal(fits, 0);
	return ret;
}

/* file cap: a region that does not fit what this file has left */
static int b_cap_file_bytes(int fd)
{
	struct exotic_version v;
	char cap[32];
	int ret, fits;

	assert_int_equal(ex_version(fd, &v), 0);
	snprintf(cap, sizeof(cap), "%llu",
		 (unsigned long long)v.file_used_bytes + (1ULL << 20));
	assert_int_equal(param_write("max_file_bytes", cap), 0);
	ret = ex_alloc(fd, EXOTIC_KIND_REFCOUNTED, EXOTIC_MAP_FAULT, 2ULL << 20, 0, 0, NULL);
	fits = ex_alloc(fd, EXOTIC_KIND_REFCOUNTED, EXOTIC_MAP_FAULT, 1ULL << 20, 0, 0, NULL);
	assert_int_equal(param_write("max_file_bytes", "0"), 0);
	assert_int_equal(fits, 0);
	return ret;
}

static int b_cap_regions(int fd)
{
	char saved[32];
	int ret;

	assert_int_equal(param_read("max_regions", saved, sizeof(saved)), 0);
	assert_int_equal(param_write("max_regions", "2"), 0);
	live_fault(fd, NULL);
	live_fault(fd, NULL);
	ret = ex_alloc(fd, EXOTIC_KIND_REFCOUNTED, EXOTIC_MAP_FAULT, PG, 0, 0, NULL);
	assert_int_equal(param_write("max_regions", saved), 0);
	return ret;
}

/* ----------------------------------------------------------- events */

static int b_event_unknown_handle(int fd)
{
	return ex_event(fd, EXOTIC_IOC_FREE, 999, 0, 0, NULL);
}

static int b_event_handle0(int fd)
{
	return ex_event(fd, EXOTIC_IOC_REVOKE, 0, 0, 0, NULL);
}

#define EVENT_CASE(fn, cmd, stmt)				\
static int fn(int fd)						\
{								\
	struct exotic_event ev;					\
								\
	memset(&ev, 0, sizeof(ev));				\
	ev.handle = live(fd, EXOTIC_KIND_NONCOMPOUND,		\
			 EXOTIC_MAP_FAULT, 16 * PG, 2, 0, NULL);\
	stmt;							\
	return event_raw(fd, cmd, &ev);				\
}

EVENT_CASE(b_event_flags, EXOTIC_IOC_INVALIDATE, ev.flags = 1)
EVENT_CASE(b_event_reserved, EXOTIC_IOC_MIGRATE, ev.reserved[1] = 1)
EVENT_CASE(b_free_offset, EXOTIC_IOC_FREE, ev.offset = PG)
EVENT_CASE(b_revoke_length, EXOTIC_IOC_REVOKE, ev.length = PG)
EVENT_CASE(b_inval_past_end, EXOTIC_IOC_INVALIDATE, ev.offset = 16 * PG)
EVENT_CASE(b_inval_unaligned_off, EXOTIC_IOC_INVALIDATE, ev.offset = 100)
EVENT_CASE(b_inval_unaligned_len, EXOTIC_IOC_INVALIDATE, ev.length = 100)
EVENT_CASE(b_inval_overflow, EXOTIC_IOC_INVALIDATE, (ev.offset = PG, ev.length = ~0ULL & ~(PG - 1)))
EVENT_CASE(b_inval_too_long, EXOTIC_IOC_INVALIDATE, ev.length = 17 * PG)
EVENT_CASE(b_migrate_unaligned, EXOTIC_IOC_MIGRATE, (ev.offset = PG, ev.length = 4 * PG))
EVENT_CASE(b_migrate_partial_block, EXOTIC_IOC_MIGRATE, ev.length = 2 * PG)

/* A second event on a live region, after a first one went through. */
static int event_after(int fd, unsigned long first, unsigned long then)
{
	uint32_t h = live_fault(fd, NULL);

	assert_int_equal(ex_event(fd, first, h, 0, 0, NULL), 0);
	return ex_event(fd, then, h, 0, 0, NULL);
}

#define AFTER_CASE(fn, first, then)				\
static int fn(int fd)						\
{								\
	return event_after(fd, first, then);			\
}

AFTER_CASE(b_double_revoke, EXOTIC_IOC_REVOKE, EXOTIC_IOC_REVOKE)
AFTER_CASE(b_inval_after_revoke, EXOTIC_IOC_REVOKE, EXOTIC_IOC_INVALIDATE)
AFTER_CASE(b_migrate_after_revoke, EXOTIC_IOC_REVOKE, EXOTIC_IOC_MIGRATE)
AFTER_CASE(b_double_free, EXOTIC_IOC_FREE, EXOTIC_IOC_FREE)

static int b_info_unknown(int fd)
{
	struct exotic_region_info info;

	return ex_info(fd, 4000, &info);
}

/* ------------------------------------------------------------- mmap */

static int b_mmap_after_revoke(int fd)
{
	uint64_t off;
	uint32_t h = live_fault(fd, &off);

	assert_int_equal(ex_event(fd, EXOTIC_IOC_REVOKE, h, 0, 0, NULL), 0);
	return map_err(fd, off, PG, PROT_READ, MAP_SHARED);
}

/*
 * A 4-page region of kind, method and order, its first page written
 * through a mapping; then cmd, and an access to the mapping's word at:
 * the signal it takes.
 */
static int access_after(int fd, uint32_t kind, uint32_t method, uint32_t order,
			unsigned long cmd, unsigned int at, bool write)
{
	uint64_t off;
	uint32_t h = live(fd, kind, method, 4 * PG, order, 0, &off);
	uint64_t *p = ex_map(fd, off, 4 * PG, PROT_READ | PROT_WRITE);
	int sig;

	assert_non_null(p);
	*p = 1;
	assert_int_equal(ex_event(fd, cmd, h, 0, 0, NULL), 0);
	sig = probe_access(p + at, write);
	munmap(p, 4 * PG);
	return SIG(sig);
}

static int b_access_after_revoke(int fd)
{
	return access_after(fd, EXOTIC_KIND_COMPOUND, EXOTIC_MAP_REMAP, 2, EXOTIC_IOC_REVOKE,
			    512, true);
}

static int b_access_after_free(int fd)
{
	return access_after(fd, EXOTIC_KIND_REFCOUNTED, EXOTIC_MAP_PAGE, 0, EXOTIC_IOC_FREE,
			    0, false);
}

/* A read-only mmap of [at, +len) of a live region's window. */
#define MMAP_CASE(fn, at, len, flags)				\
static int fn(int fd)						\
{								\
	uint64_t off;						\
								\
	live_fault(fd, &off);					\
	return map_err(fd, off + (at), len, PROT_READ, flags);	\
}

MMAP_CASE(b_mmap_larger, 0, 5 * PG, MAP_SHARED)
MMAP_CASE(b_mmap_past_region, 4 * PG, PG, MAP_SHARED)
MMAP_CASE(b_mmap_straddle, 3 * PG, 2 * PG, MAP_SHARED)
MMAP_CASE(b_mmap_private, 0, PG, MAP_PRIVATE)

static int b_mmap_unknown_handle(int fd)
{
	return map_err(fd, 77ULL << 32, PG, PROT_READ, MAP_SHARED);
}

static int b_mmap_handle0(int fd)
{
	return map_err(fd, 0, PG, PROT_READ, MAP_SHARED);
}

static int b_other_fd_mmap(int fd)
{
	int other = dev_open();
	uint64_t off;
	int ret;

	assert_true(other >= 0);
	live(other, EXOTIC_KIND_REFCOUNTED, EXOTIC_MAP_FAULT, 4 * PG, 0, 0, &off);
	ret = map_err(fd, off, PG, PROT_READ, MAP_SHARED);
	close(other);
	return ret;
}

static int b_other_fd_ioctl(int fd)
{
	int other = dev_open();
	uint32_t h;
	int ret;

	assert_true(other >= 0);
	h = live(other, EXOTIC_KIND_REFCOUNTED, EXOTIC_MAP_FAULT, 4 * PG, 0, 0, NULL);
	ret = ex_event(fd, EXOTIC_IOC_REVOKE, h, 0, 0, NULL);
	close(other);
	return ret;
}

static int b_mremap_grow(int fd)
{
	uint64_t off;
	void *p, *q;
	int ret = 0;

	live(fd, EXOTIC_KIND_REFCOUNTED, EXOTIC_MAP_FAULT, 8 * PG, 0, 0, &off);
	p = ex_map(fd, off, 4 * PG, PROT_READ);
	assert_non_null(p);
	q = mremap(p, 4 * PG, 8 * PG, MREMAP_MAYMOVE);
	if (q == MAP_FAILED)
		ret = -errno;
	else
		p = q;
	munmap(p, ret ? 4 * PG : 8 * PG);
	return ret;
}

/* The mapping is not inherited: the child faults, the parent is fine. */
static int b_fork_child_access(int fd)
{
	uint64_t off;
	volatile uint64_t *p;
	int status;
	pid_t pid;

	live(fd, EXOTIC_KIND_REFCOUNTED, EXOTIC_MAP_MIXED, 4 * PG, 0, 0, &off);
	p = ex_map(fd, off, 4 * PG, PROT_READ | PROT_WRITE);
	assert_non_null(p);
	*p = 0x1234;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(probe_access(p, false));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(*p, 0x1234);
	munmap((void *)p, 4 * PG);
	return SIG(WEXITSTATUS(status));
}

static int b_readonly_map_write(int fd)
{
	uint64_t off;

	live(fd, EXOTIC_KIND_REFCOUNTED, EXOTIC_MAP_FAULT, 4 * PG, 0,
	     EXOTIC_ALLOC_READONLY, &off);
	return map_err(fd, off, PG, PROT_READ | PROT_WRITE, MAP_SHARED);
}

static int b_readonly_mprotect(int fd)
{
	uint64_t off;
	void *p;
	int ret;

	live(fd, EXOTIC_KIND_REFCOUNTED, EXOTIC_MAP_FAULT, 4 * PG, 0,
	     EXOTIC_ALLOC_READONLY, &off);
	p = ex_map(fd, off, PG, PROT_READ);
	assert_non_null(p);
	ret = mprotect(p, PG, PROT_READ | PROT_WRITE) ? -errno : 0;
	munmap(p, PG);
	return ret;
}

/* ------------------------------------------------------------ query */

static int query_raw(int fd, uint32_t flags, uint64_t offset, uint64_t count,
		     uint64_t pages, uint64_t reserved)
{
	struct exotic_query q = {
		.handle = live_fault(fd, NULL), .flags = flags, .offset = offset,
		.count = count, .pages = pages, .reserved = { reserved },
	};

	return xioctl(fd, EXOTIC_IOC_QUERY, &q);
}

static struct exotic_page qbuf[8];

static int b_query_unaligned(int fd)
{
	return query_raw(fd, 0, 100, 1, (uintptr_t)qbuf, 0);
}

static int b_query_null(int fd)
{
	return query_raw(fd, 0, 0, 1, 0, 0);
}

static int b_query_bad_pointer(int fd)
{
	return query_raw(fd, 0, 0, 1, 16, 0);
}

static int b_query_flags(int fd)
{
	return query_raw(fd, 1U << 9, 0, 1, (uintptr_t)qbuf, 0);
}

static int b_query_past_end(int fd)
{
	return query_raw(fd, 0, 4 * PG, 1, (uintptr_t)qbuf, 0);
}

static int b_query_reserved(int fd)
{
	return query_raw(fd, 0, 0, 1, (uintptr_t)qbuf, 1);
}

static const struct bad bads[] = {
	{ "unknown ioctl", b_unknown_ioctl, -ENOTTY },
	{ "foreign ioctl magic", b_foreign_magic, -ENOTTY },
	{ "ioctl with the wrong size", b_wrong_size, -ENOTTY },
	{ "alloc reserved non-zero", b_alloc_reserved, -EINVAL },
	{ "alloc pad non-zero", b_alloc_pad, -EINVAL },
	{ "alloc unknown flag", b_alloc_flag, -EINVAL },
	{ "alloc kind 0", b_alloc_kind0, -EINVAL },
	{ "alloc kind past max", b_alloc_kind6, -EINVAL },
	{ "alloc method 0", b_alloc_method0, -EINVAL },
	{ "alloc method past max", b_alloc_method6, -EINVAL },
	{ "alloc length 0", b_alloc_len0, -EINVAL },
	{ "alloc length unaligned", b_alloc_len_unaligned, -EINVAL },
	{ "alloc length not whole blocks", b_alloc_len_block, -EINVAL },
	{ "alloc length 1 TiB", b_alloc_len_huge, -EINVAL },
	{ "alloc length overflowing", b_alloc_len_overflow, -EINVAL },
	{ "alloc order past max", b_alloc_order_max, -EINVAL },
	{ "alloc refcounted order 1", b_alloc_refcounted_order, -EINVAL },
	{ "alloc compound order 0", b_alloc_compound_order0, -EINVAL },
	{ "alloc huge order 0", b_alloc_huge_order0, -EINVAL },
	{ "alloc huge order 4", b_alloc_huge_order4, -EINVAL },
	{ "alloc page on carve-out", b_alloc_page_carveout, -EINVAL },
	{ "alloc page on refcount-0 tails", b_alloc_page_tail, -EINVAL },
	{ "alloc page on reserved tails", b_alloc_page_reserved_tail, -EINVAL },
	{ "alloc unsafe flag without parameter", b_alloc_unsafe, -EPERM },
	{ "alloc unsafe page on carve-out", b_alloc_unsafe_carveout, -EINVAL },
	{ "alloc huge on carve-out without the unsafe flag", b_alloc_huge_carveout, -EINVAL },
	{ "alloc huge order 9 on carve-out without the unsafe flag", b_alloc_huge_carveout_order9, -EINVAL },
	{ "alloc huge on carve-out, parameter set but no flag", b_alloc_huge_carveout_param, -EINVAL },
	{ "alloc mkwrite with remap", b_alloc_mkwrite_remap, -EINVAL },
	{ "alloc mkwrite and readonly", b_alloc_mkwrite_ro, -EINVAL },
	{ "alloc bad pointer", b_alloc_efault, -EFAULT },
	{ "version bad pointer", b_version_efault, -EFAULT },
	{ "alloc argument read-only", b_alloc_readonly_arg, -EFAULT },
	{ "byte cap exceeded", b_cap_bytes, -ENOSPC },
	{ "file byte cap exceeded", b_cap_file_bytes, -ENOSPC },
	{ "region cap exceeded", b_cap_regions, -ENOSPC },
	{ "event unknown handle", b_event_unknown_handle, -ENOENT },
	{ "event handle 0", b_event_handle0, -ENOENT },
	{ "event flags non-zero", b_event_flags, -EINVAL },
	{ "event reserved non-zero", b_event_reserved, -EINVAL },
	{ "free with an offset", b_free_offset, -EINVAL },
	{ "revoke with a length", b_revoke_length, -EINVAL },
	{ "invalidate offset past the region", b_inval_past_end, -EINVAL },
	{ "invalidate offset unaligned", b_inval_unaligned_off, -EINVAL },
	{ "invalidate length unaligned", b_inval_unaligned_len, -EINVAL },
	{ "invalidate range overflowing", b_inval_overflow, -EINVAL },
	{ "invalidate range past the end", b_inval_too_long, -EINVAL },
	{ "migrate offset not on a block", b_migrate_unaligned, -EINVAL },
	{ "migrate part of a block", b_migrate_partial_block, -EINVAL },
	{ "double revoke", b_double_revoke, -ENODEV },
	{ "invalidate after revoke", b_inval_after_revoke, -ENODEV },
	{ "migrate after revoke", b_migrate_after_revoke, -ENODEV },
	{ "double free", b_double_free, -ENOENT },
	{ "info unknown handle", b_info_unknown, -ENOENT },
	{ "mmap after revoke", b_mmap_after_revoke, -ENODEV },
	{ "access after revoke", b_access_after_revoke, SIG(SIGBUS) },
	{ "access after free", b_access_after_free, SIG(SIGBUS) },
	{ "mmap larger than the region", b_mmap_larger, -EINVAL },
	{ "mmap offset past the region", b_mmap_past_region, -EINVAL },
	{ "mmap straddling the end", b_mmap_straddle, -EINVAL },
	{ "mmap MAP_PRIVATE", b_mmap_private, -EINVAL },
	{ "mmap unknown handle", b_mmap_unknown_handle, -EINVAL },
	{ "mmap offset 0", b_mmap_handle0, -EINVAL },
	{ "mmap another fd's region", b_other_fd_mmap, -EINVAL },
	{ "event on another fd's region", b_other_fd_ioctl, -ENOENT },
	{ "mremap growth", b_mremap_grow, -EFAULT },
	{ "fork with a live mapping", b_fork_child_access, SIG(SIGSEGV) },
	{ "readonly mapped writable", b_readonly_map_write, -EACCES },
	{ "readonly mprotect writable", b_readonly_mprotect, -EACCES },
	{ "query offset unaligned", b_query_unaligned, -EINVAL },
	{ "query NULL pages", b_query_null, -EFAULT },
	{ "query bad pointer", b_query_bad_pointer, -EFAULT },
	{ "query unknown flag", b_query_flags, -EINVAL },
	{ "query offset past the region", b_query_past_end, -EINVAL },
	{ "query reserved non-zero", b_query_reserved, -EINVAL },
};

static void test_bad(void **state)
{
	const struct bad *b = *state;
	struct exotic_version v;
	int fd, got;

	DEV_OPEN_OR_SKIP(fd);
	assert_int_equal(ex_version(fd, &v), 0);
	if (!(v.kinds & (1U << EXOTIC_KIND_CARVEOUT)) && strstr(b->name, "carve-out")) {
		close(fd);
		vm_env_need(0, "# no carve-out configured\n");
	}
	got = b->run(fd);
	if (got != b->expected)
		print_message("# %s: got %d (%s), expected %d\n", b->name, got,
			      got < 0 ? strerror(-got) : got > 1000 ? strsignal(got - 1000) : "success",
			      b->expected);
	assert_int_equal(got, b->expected);
	/* the file is still usable after any bad input */
	assert_int_equal(ex_version(fd, &v), 0);
	close(fd);
}

int main(void)
{
	size_t n = sizeof(bads) / sizeof(bads[0]), i;
	struct CMUnitTest *tests = calloc(n, sizeof(*tests));

	if (!tests)
		return 1;
	for (i = 0; i < n; i++) {
		tests[i].name = bads[i].name;
		tests[i].test_func = test_bad;
		tests[i].initial_state = (void *)&bads[i];
	}
	return _cmocka_run_group_tests("driver_bad_inputs", tests, n, NULL, NULL);
}
