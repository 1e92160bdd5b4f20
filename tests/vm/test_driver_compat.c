// SPDX-License-Identifier: GPL-2.0
/*
 * Guest suite: the uapi through the 32-bit compat entry points.  A 64-bit
 * process that issues int $0x80 runs the ia32 system calls (in_compat_syscall()
 * is true), so ioctl() goes through .compat_ioctl and mmap2() takes a 32-bit
 * page offset, exactly as a 32-bit VMM would: the structures must have the
 * same layout, and mmap_offset must fit mmap2.
 */
#include "test_driver.h"

#if defined(__x86_64__)

#define NR32_CLOSE	6
#define NR32_IOCTL	54
#define NR32_MUNMAP	91
#define NR32_MMAP2	192

static long sys32(long nr, long a, long b, long c, long d, long e, long f)
{
	long ret;

	/* int $0x80 clears r8-r11 on the way back */
	__asm__ __volatile__("push %%rbp\n\t"
		     "mov %[f], %%rbp\n\t"
		     "int $0x80\n\t"
		     "pop %%rbp"
		     : "=a"(ret)
		     : "a"(nr), "b"(a), "c"(b), "d"(c), "S"(d), "D"(e), [f] "r"(f)
		     : "r8", "r9", "r10", "r11", "memory", "cc");
	return ret;
}

/* A copy of *arg below 4 GiB, where 32-bit pointers can reach it. */
static void *low_copy(const void *arg, size_t len)
{
	void *p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);

	assert_true(p != MAP_FAILED);
	assert_true((uintptr_t)p + (1 << 20) <= 0xffffffffUL);
	memcpy(p, arg, len);
	return p;
}

static int ioctl32(int fd, unsigned long cmd, void *low)
{
	return (int)sys32(NR32_IOCTL, fd, (long)(uint32_t)cmd, (long)(uintptr_t)low, 0, 0, 0);
}

static void test_compat_version(void **state)
{
	struct exotic_version native, *low;
	int fd;

	(void)state;
	DEV_OPEN_OR_SKIP(fd);
	assert_int_equal(ex_version(fd, &native), 0);
	low = low_copy(&native, sizeof(native));
	memset(low, 0xff, sizeof(*low));
	assert_int_equal(ioctl32(fd, EXOTIC_IOC_VERSION, low), 0);
	/* used_bytes and epoch may move; the rest is the same bytes */
	low->used_bytes = native.used_bytes;
	low->epoch = native.epoch;
	assert_memory_equal(low, &native, sizeof(native));
	assert_int_equal(ioctl32(fd, _IOWR(EXOTIC_IOC_MAGIC, 0x7f, struct exotic_event), low), -ENOTTY);
	munmap(low, 1 << 20);
	close(fd);
}

static void run_compat_region(uint32_t kind, uint32_t method, uint32_t order, size_t len)
{
	struct exotic_alloc a, *la;
	struct exotic_region_info native, *li;
	struct exotic_event *le;
	struct exotic_query *lq;
	struct exotic_page *lp;
	struct exotic_version v;
	uint8_t *low, *map;
	unsigned long npages = len / PG, i;
	long addr;
	int fd;

	DEV_OPEN_OR_SKIP(fd);
	assert_int_equal(ex_version(fd, &v), 0);
	if (!(v.kinds & (1U << kind))) {
		close(fd);
		vm_env_need(0, "# the driver does not offer kind %u\n", kind);
	}
	low = low_copy("", 1);
	la = (void *)low;
	memset(la, 0, sizeof(*la));
	la->kind = kind;
	la->method = method;
	la->order = order;
	la->length = len;
	if (needs_unsafe(kind, method)) {
		char saved[16];
		int ret;

		/* refused as through the native entry point (test_driver.h) */
		assert_int_equal(ioctl32(fd, EXOTIC_IOC_ALLOC, la), -EINVAL);
		la->flags = EXOTIC_ALLOC_UNSAFE_DRIVER_BUG;
		assert_int_equal(param_read("unsafe_driver_bugs", saved, sizeof(saved)), 0);
		assert_int_equal(param_write("unsafe_driver_bugs", "1"), 0);
		ret = ioctl32(fd, EXOTIC_IOC_ALLOC, la);
		assert_int_equal(param_write("unsafe_driver_bugs", saved), 0);
		assert_int_equal(ret, 0);
	} else {
		assert_int_equal(ioctl32(fd, EXOTIC_IOC_ALLOC, la), 0);
	}
	a = *la;
	assert_int_not_equal(a.handle, 0);
	/* mmap2 takes the offset in pages, as a 32-bit value */
	assert_true((a.mmap_offset >> 12) <= 0xffffffffULL);
	addr = sys32(NR32_MMAP2, 0, (long)len, PROT_READ | PROT_WRITE, MAP_SHARED,
		     fd, (long)(a.mmap_offset >> 12));
	assert_true(addr > 0 && (unsigned long)addr < 0xffffffffUL);
	map = (uint8_t *)(uintptr_t)addr;
	fill(map, len, 0x32);
	assert_int_equal(verify(map, len, 0x32), -1);

	/* info: the same bytes through both entry points */
	li = (void *)(low + 4096);
	memset(li, 0, sizeof(*li));
	li->handle = a.handle;
	assert_int_equal(ioctl32(fd, EXOTIC_IOC_INFO, li), 0);
	assert_int_equal(ex_info(fd, a.handle, &native), 0);
	assert_memory_equal(li, &native, sizeof(native));
	assert_int_equal(li->length, len);
	assert_int_equal(li->nr_pfns, npages);

	/* query: a user pointer carried in a __u64 */
	lq = (void *)(low + 8192);
	lp = (void *)(low + 16384);
	memset(lq, 0, sizeof(*lq));
	lq->handle = a.handle;
	lq->count = npages;
	lq->pages = (uintptr_t)lp;
	assert_int_equal(ioctl32(fd, EXOTIC_IOC_QUERY, lq), 0);
	assert_int_equal(lq->count, npages);
	for (i = 0; i < npages; i++) {
		assert_int_equal(lp[i].offset, i * PG);
		if (kind != EXOTIC_KIND_CARVEOUT && (i & ((1UL << order) - 1)))
			assert_int_equal(lp[i].refcount, 0);
		if (i)
			assert_int_not_equal(lp[i].pfn, lp[0].pfn);
	}

	/* events */
	le = (void *)(low + 12288);
	memset(le, 0, sizeof(*le));
	le->handle = a.handle;
	assert_int_equal(ioctl32(fd, EXOTIC_IOC_MIGRATE, le), 0);
	assert_true(le->epoch > 0);
	assert_int_equal(verify(map, len, 0x32), -1);
	assert_int_equal(ioctl32(fd, EXOTIC_IOC_REVOKE, le), 0);
	assert_int_equal(probe_access((volatile uint64_t *)map, false), SIGBUS);
	assert_int_equal(sys32(NR32_MUNMAP, addr, (long)len, 0, 0, 0, 0), 0);
	assert_int_equal(ioctl32(fd, EXOTIC_IOC_FREE, le), 0);
	munmap(low, 1 << 20);
	assert_int_equal(sys32(NR32_CLOSE, fd, 0, 0, 0, 0, 0), 0);
}

/* A region case of main()'s, a test of its own. */
static void test_compat_region(void **state)
{
	const struct region_case *c = *state;

	run_compat_region(c->kind, c->method, c->order, c->length);
}

#define COMPAT(name, k, m, o, len)						\
	{ "test_compat_" name, test_compat_region, NULL, NULL,			\
	  &(struct region_case){ name, EXOTIC_KIND_##k, EXOTIC_MAP_##m, o, len } }

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_compat_version),
		COMPAT("noncompound", NONCOMPOUND, FAULT, 2, 16 * PG),
		COMPAT("page", COMPOUND, PAGE, 1, 8 * PG),
		/*
		 * 32-bit mmap gets no THP alignment: the huge method falls back
		 * to PTEs.  Before 6.12 the carve-out is mapped huge only with
		 * the unsafe flag.
		 */
		COMPAT("huge", CARVEOUT, HUGE, 9, 2 * HUGE),
		COMPAT("huge_compound", COMPOUND, HUGE, 9, 2 * HUGE),
	};

	return cmocka_run_group_tests_name("driver_compat", tests, NULL, NULL);
}

#else

static void test_compat_unavailable(void **state)
{
	(void)state;
	print_message("# compat tests need x86_64\n");
	skip();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_compat_unavailable),
	};

	return cmocka_run_group_tests_name("driver_compat", tests, NULL, NULL);
}

#endif
