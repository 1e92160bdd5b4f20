// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Host unit tests: the region layer against the fake driver of fakedev.c,
 * whose regions are real memory (a memfd), so mappings are checked by
 * writing through one view and reading through another.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <syslog.h>
#include <unistd.h>

#include <cmocka.h>

#include "exotic.h"
#include "fakedev.h"
#include "logcap.h"
#include "wrap.h"

#define PG 4096ULL
#define MiB (1ULL << 20)

struct fixture {
	struct exotic_ctx *ctx;
	struct exotic_device *dev;
	struct logcap cap;
};

static int setup(void **state)
{
	static struct fixture f;

	memset(&f, 0, sizeof(f));
	if (fakedev_ctx_new(&f.ctx, &f.cap) < 0)
		return -1;
	if (exotic_device_open_path(f.ctx, FAKEDEV_PATH, &f.dev) < 0)
		return -1;
	wrap_reset();
	logcap_clear(&f.cap);
	fakedev.ioctls = 0;
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	assert_null(exotic_device_unref(f->dev));
	assert_null(exotic_unref(f->ctx));
	/* Nothing the library allocated in the driver is left behind. */
	assert_int_equal(fakedev_live_regions(), 0);
	fakedev_stop();
	wrap_reset();
	return 0;
}

static struct exotic_region_params params(uint32_t kind, uint32_t method,
					  uint64_t length)
{
	return (struct exotic_region_params){
		.kind = kind, .method = method, .length = length,
	};
}

static struct exotic_region *new_region(struct fixture *f, uint32_t kind,
					uint32_t method, uint64_t length)
{
	struct exotic_region_params p = params(kind, method, length);
	struct exotic_region *r = NULL;

	assert_int_equal(exotic_region_new(f->dev, &p, &r), 0);
	assert_non_null(r);
	return r;
}

/* The bytes of the memfd behind the region at offset, read directly. */
static uint64_t backing_u64(struct fixture *f, struct exotic_region *r,
			    uint64_t off)
{
	uint64_t v = 0;
	ssize_t n = pread(exotic_device_get_fd(f->dev), &v, sizeof(v),
			  (off_t)(exotic_region_mmap_offset(r) + off));

	assert_int_equal(n, sizeof(v));
	return v;
}

/* The permissions /proc/self/maps shows for the mapping at addr. */
static void map_perms(const void *addr, char perms[5])
{
	FILE *maps = fopen("/proc/self/maps", "r");
	char line[512];
	unsigned long lo, hi;

	assert_non_null(maps);
	strcpy(perms, "none");
	while (fgets(line, sizeof(line), maps)) {
		if (sscanf(line, "%lx-%lx %4s", &lo, &hi, perms) == 3 &&
		    (uintptr_t)addr >= lo && (uintptr_t)addr < hi)
			break;
		strcpy(perms, "none");
	}
	fclose(maps);
}

/* ------------------------------------------------------------- new */

static void test_new_bad_args(void **state)
{
	struct fixture *f = *state;
	struct exotic_region_params p = params(1, 1, PG);
	struct exotic_region *r = (struct exotic_region *)0x1;

	assert_int_equal(exotic_region_new(f->dev, &p, NULL), -EINVAL);
	assert_int_equal(exotic_region_new(NULL, &p, &r), -EINVAL);
	assert_null(r);
	r = (struct exotic_region *)0x1;
	assert_int_equal(exotic_region_new(f->dev, NULL, &r), -EINVAL);
	assert_null(r);
	assert_int_equal(fakedev.ioctls, 0);
}

static void expect_bad_params(struct fixture *f, struct exotic_region_params p,
			      const char *hint)
{
	struct exotic_region *r;

	logcap_clear(&f->cap);
	assert_int_equal(exotic_region_new(f->dev, &p, &r), -EINVAL);
	assert_null(r);
	assert_true(logcap_has(&f->cap, hint));
}

static void test_new_bad_params(void **state)
{
	struct fixture *f = *state;
	struct exotic_region_params p;

	expect_bad_params(f, params(0, 1, PG), "unknown kind 0");
	expect_bad_params(f, params(EXOTIC_KIND_MAX + 1, 1, PG), "unknown kind");
	expect_bad_params(f, params(1, 0, PG), "unknown method 0");
	expect_bad_params(f, params(1, EXOTIC_MAP_MAX + 1, PG), "unknown method");
	expect_bad_params(f, params(1, 1, 0), "nonzero multiple");
	expect_bad_params(f, params(1, 1, PG + 1), "nonzero multiple");
	p = params(1, 1, PG);
	p.flags = 1U << 31;
	expect_bad_params(f, p, "unknown alloc flags 0x80000000");
	p = params(1, 1, PG);
	p.map_flags = 2;
	expect_bad_params(f, p, "unknown map flags 0x2");
	p = params(1, 1, PG);
	p.reserved[3] = 1;
	expect_bad_params(f, p, "reserved field 3");
	p = params(1, 1, PG);
	p.order = 32;
	expect_bad_params(f, p, "order 32");
	p = params(1, 1, PG);
	p.prot = PROT_EXEC;
	expect_bad_params(f, p, "PROT_READ and PROT_WRITE");
	p = params(1, 1, PG);
	p.flags = EXOTIC_ALLOC_READONLY;
	p.prot = PROT_READ | PROT_WRITE;
	expect_bad_params(f, p, "READONLY");
	/* Refused before the driver was asked for anything. */
	assert_int_equal(fakedev.ioctls, 0);
}

static void test_new_not_offered(void **state)
{
	struct fixture *f = *state;
	struct exotic_region_params p = params(EXOTIC_KIND_CARVEOUT, EXOTIC_MAP_FAULT, PG);
	struct exotic_region *r;

	fakedev.version.kinds &= ~(1U << EXOTIC_KIND_CARVEOUT);
	assert_int_equal(exotic_region_new(f->dev, &p, &r), -EOPNOTSUPP);
	assert_true(logcap_has(&f->cap, "memmap="));
	fakedev.version.methods &= ~(1U << EXOTIC_MAP_HUGE);
	p = params(EXOTIC_KIND_REFCOUNTED, EXOTIC_MAP_HUGE, 2 * MiB);
	assert_int_equal(exotic_region_new(f->dev, &p, &r), -EOPNOTSUPP);
	assert_true(logcap_has(&f->cap, "method huge"));
	wrap_fail_ioctl(EXOTIC_IOC_VERSION, 0, EIO);
	p = params(1, 1, PG);
	assert_int_equal(exotic_region_new(f->dev, &p, &r), -EIO);
	assert_int_equal(wrap_calls("ioctl"), 3);	/* no ALLOC */
}

static void test_new_driver_errors(void **state)
{
	struct fixture *f = *state;
	struct exotic_region_params p;
	struct exotic_region *r, *keep[8];

	/* The driver's verdicts come back unchanged, explained. */
	p = params(EXOTIC_KIND_NONCOMPOUND, EXOTIC_MAP_PAGE, 4 * PG);
	p.order = 2;
	p.flags = EXOTIC_ALLOC_UNSAFE_DRIVER_BUG;
	assert_int_equal(exotic_region_new(f->dev, &p, &r), -EPERM);
	assert_true(logcap_has(&f->cap, "unsafe_driver_bugs=1"));
	p.flags = 0;
	assert_int_equal(exotic_region_new(f->dev, &p, &r), -EINVAL);
	assert_true(logcap_has(&f->cap, "refcounted kind"));
	p = params(EXOTIC_KIND_COMPOUND, EXOTIC_MAP_FAULT, PG);
	p.order = 2;
	assert_int_equal(exotic_region_new(f->dev, &p, &r), -EINVAL);
	/* What the library sent is exactly what was asked. */
	assert_int_equal(fakedev.last_alloc.kind, EXOTIC_KIND_COMPOUND);
	assert_int_equal(fakedev.last_alloc.method, EXOTIC_MAP_FAULT);
	assert_int_equal(fakedev.last_alloc.order, 2);
	assert_int_equal(fakedev.last_alloc.length, PG);

	for (int i = 0; i < 8; i++)
		keep[i] = new_region(f, EXOTIC_KIND_REFCOUNTED, EXOTIC_MAP_FAULT, PG);
	logcap_clear(&f->cap);
	p = params(EXOTIC_KIND_REFCOUNTED, EXOTIC_MAP_FAULT, PG);
	assert_int_equal(exotic_region_new(f->dev, &p, &r), -ENOSPC);
	assert_true(logcap_has(&f->cap, "max_regions"));
	for (int i = 0; i < 8; i++)
		assert_null(exotic_region_unref(keep[i]));

	wrap_fail_ioctl(EXOTIC_IOC_ALLOC, 0, EIO);
	assert_int_equal(exotic_region_new(f->dev, &p, &r), -EIO);
	wrap_fail("calloc", 0, ENOMEM);
	assert_int_equal(exotic_region_new(f->dev, &p, &r), -ENOMEM);
	assert_int_equal(fakedev_live_regions(), 0);
}

static void test_new_mmap_fails(void **state)
{
	struct fixture *f = *state;
	struct exotic_region_params p = params(EXOTIC_KIND_REFCOUNTED, EXOTIC_MAP_FAULT, PG);
	struct exotic_region *r;

	wrap_fail("mmap", 0, ENOMEM);
	assert_int_equal(exotic_region_new(f->dev, &p, &r), -ENOMEM);
	assert_null(r);
	/* The allocation was given back. */
	assert_int_equal(fakedev.frees, 1);
	assert_int_equal(fakedev_live_regions(), 0);
	assert_true(logcap_has(&f->cap, "mmap of region"));

	/* Huge: the reservation fails, or the fixed mapping into it. */
	p = params(EXOTIC_KIND_COMPOUND, EXOTIC_MAP_HUGE, 2 * MiB);
	p.order = 9;
	wrap_fail("mmap", 0, ENOMEM);
	assert_int_equal(exotic_region_new(f->dev, &p, &r), -ENOMEM);
	assert_true(logcap_has(&f->cap, "2 MiB aligned"));
	wrap_reset();
	wrap_fail("mmap", 1, EACCES);
	assert_int_equal(exotic_region_new(f->dev, &p, &r), -EACCES);
	assert_int_equal(wrap_calls("munmap"), 1);	/* the reservation */
	assert_int_equal(fakedev.frees, 3);
}

static void test_new_maps_region(void **state)
{
	struct fixture *f = *state;
	struct exotic_region *r;
	volatile uint64_t *p;

	r = new_region(f, EXOTIC_KIND_REFCOUNTED, EXOTIC_MAP_REMAP, 4 * PG);
	assert_int_equal(exotic_region_length(r), 4 * PG);
	assert_int_equal(exotic_region_kind(r), EXOTIC_KIND_REFCOUNTED);
	assert_int_equal(exotic_region_method(r), EXOTIC_MAP_REMAP);
	assert_int_equal(exotic_region_order(r), 0);
	assert_int_equal(exotic_region_flags(r), 0);
	assert_int_equal(exotic_region_prot(r), PROT_READ | PROT_WRITE);
	assert_int_equal(exotic_region_handle(r), fakedev.regions[0].handle);
	assert_int_equal(exotic_region_mmap_offset(r),
			 exotic_region_handle(r) * FAKEDEV_REGION_SPAN);
	assert_ptr_equal(exotic_region_get_device(r), f->dev);
	/* The mapping is the driver's memory at the region's offset. */
	p = exotic_region_addr(r);
	assert_non_null(p);
	p[0] = 0x1122334455667788ULL;
	p[3 * PG / 8] = 42;
	assert_int_equal(backing_u64(f, r, 0), 0x1122334455667788ULL);
	assert_int_equal(backing_u64(f, r, 3 * PG), 42);

	assert_ptr_equal(exotic_region_ref(r), r);
	assert_ptr_equal(exotic_region_unref(r), r);
	assert_int_equal(fakedev.frees, 0);
	assert_null(exotic_region_unref(r));
	assert_int_equal(fakedev.frees, 1);
	assert_int_equal(fakedev.last_event.handle, fakedev.next_handle);
	assert_int_equal(wrap_calls("munmap"), 1);
	assert_null(exotic_region_ref(NULL));
	assert_null(exotic_region_unref(NULL));
}

static void test_accessors_null(void **state)
{
	(void)state;
	assert_null(exotic_region_addr(NULL));
	assert_int_equal(exotic_region_length(NULL), 0);
	assert_int_equal(exotic_region_handle(NULL), 0);
	assert_int_equal(exotic_region_kind(NULL), 0);
	assert_int_equal(exotic_region_method(NULL), 0);
	assert_int_equal(exotic_region_order(NULL), 0);
	assert_int_equal(exotic_region_flags(NULL), 0);
	assert_int_equal(exotic_region_prot(NULL), 0);
	assert_int_equal(exotic_region_mmap_offset(NULL), 0);
	assert_null(exotic_region_get_device(NULL));
}

static void test_readonly(void **state)
{
	struct fixture *f = *state;
	struct exotic_region_params p = params(EXOTIC_KIND_COMPOUND, EXOTIC_MAP_FAULT, 16 * PG);
	struct exotic_region *r;

	p.order = 2;
	p.flags = EXOTIC_ALLOC_READONLY | EXOTIC_ALLOC_MKWRITE;
	assert_int_equal(exotic_region_new(f->dev, &p, &r), -EINVAL);
	p.flags = EXOTIC_ALLOC_READONLY;
	assert_int_equal(exotic_region_new(f->dev, &p, &r), 0);
	assert_int_equal(exotic_region_prot(r), PROT_READ);
	assert_int_equal(exotic_region_flags(r), p.flags);
	assert_int_equal(exotic_region_order(r), 2);
	assert_int_equal(fakedev.last_alloc.flags, p.flags);
	char perms[5];

	map_perms(exotic_region_addr(r), perms);
	assert_string_equal(perms, "r--s");
	exotic_region_unref(r);
}

static void test_order_from_driver(void **state)
{
	struct fixture *f = *state;
	struct exotic_region_params p = params(EXOTIC_KIND_CARVEOUT, EXOTIC_MAP_HUGE,
					       2 * MiB);
	struct exotic_region *r = NULL;

	/*
	 * The driver maps the carve-out huge in 2 MiB blocks: order 9 (before
	 * 6.12 only with the unsafe flag and unsafe_driver_bugs=1).
	 */
	assert_int_equal(exotic_region_new(f->dev, &p, &r), -EINVAL);
	assert_null(r);
	assert_true(logcap_has(&f->cap, "EXOTIC_ALLOC_UNSAFE_DRIVER_BUG"));
	p.flags = EXOTIC_ALLOC_UNSAFE_DRIVER_BUG;
	assert_int_equal(exotic_region_new(f->dev, &p, &r), -EPERM);
	fakedev.unsafe_driver_bugs = true;
	p.flags = EXOTIC_ALLOC_UNSAFE_DRIVER_BUG;
	assert_int_equal(exotic_region_new(f->dev, &p, &r), 0);
	assert_int_equal(fakedev.last_alloc.order, 0);	/* what was asked */
	assert_int_equal(exotic_region_order(r), 9);
	exotic_region_unref(r);
	/* ALLOC's answer is the order: no INFO round trip for it */
	wrap_fail_ioctl(EXOTIC_IOC_INFO, 0, EIO);
	assert_int_equal(exotic_region_new(f->dev, &p, &r), 0);
	assert_int_equal(exotic_region_order(r), 9);
	exotic_region_unref(r);
}

static void test_huge_aligned(void **state)
{
	struct fixture *f = *state;
	struct exotic_region *r[3];

	/* Whatever the address space looks like, every one is aligned. */
	for (int i = 0; i < 3; i++) {
		struct exotic_region_params p = params(EXOTIC_KIND_NONCOMPOUND,
						       EXOTIC_MAP_HUGE,
						       (uint64_t)(i + 1) * 2 * MiB);

		p.order = 9;
		assert_int_equal(exotic_region_new(f->dev, &p, &r[i]), 0);
		assert_int_equal((uintptr_t)exotic_region_addr(r[i]) % (2 * MiB), 0);
		memset(exotic_region_addr(r[i]), 0xa5, exotic_region_length(r[i]));
		assert_int_equal(backing_u64(f, r[i], exotic_region_length(r[i]) - 8),
				 0xa5a5a5a5a5a5a5a5ULL);
	}
	for (int i = 0; i < 3; i++)
		exotic_region_unref(r[i]);
}

/* --------------------------------------------------------- map/unmap */

static void test_nomap_map_unmap(void **state)
{
	struct fixture *f = *state;
	struct exotic_region_params p = params(EXOTIC_KIND_RESERVED, EXOTIC_MAP_MIXED, 2 * PG);
	struct exotic_region *r;
	char perms[5];
	void *first;

	p.map_flags = EXOTIC_REGION_NOMAP;
	assert_int_equal(exotic_region_new(f->dev, &p, &r), 0);
	assert_null(exotic_region_addr(r));
	assert_int_equal(wrap_calls("mmap"), 0);
	assert_int_equal(exotic_region_map(r, PROT_EXEC), -EINVAL);
	assert_int_equal(exotic_region_map(r, PROT_READ), 0);
	assert_int_equal(exotic_region_prot(r), PROT_READ);
	first = exotic_region_addr(r);
	assert_non_null(first);
	map_perms(first, perms);
	assert_string_equal(perms, "r--s");
	assert_int_equal(exotic_region_map(r, 0), -EBUSY);
	assert_true(logcap_has(&f->cap, "already mapped"));
	assert_int_equal(exotic_region_unmap(r), 0);
	assert_null(exotic_region_addr(r));
	assert_int_equal(exotic_region_unmap(r), 0);	/* idempotent */
	assert_int_equal(exotic_region_map(r, 0), 0);	/* keeps PROT_READ */
	assert_int_equal(exotic_region_prot(r), PROT_READ);
	assert_int_equal(exotic_region_unmap(r), 0);
	assert_int_equal(exotic_region_map(r, PROT_READ | PROT_WRITE), 0);
	map_perms(exotic_region_addr(r), perms);
	assert_string_equal(perms, "rw-s");

	wrap_fail("munmap", 0, EINVAL);
	assert_int_equal(exotic_region_unmap(r), -EINVAL);
	assert_non_null(exotic_region_addr(r));
	assert_int_equal(exotic_region_unmap(r), 0);
	wrap_fail("mmap", 0, ENOMEM);
	assert_int_equal(exotic_region_map(r, 0), -ENOMEM);
	assert_null(exotic_region_addr(r));
	assert_int_equal(exotic_region_map(NULL, 0), -EINVAL);
	assert_int_equal(exotic_region_unmap(NULL), -EINVAL);
	/* Unref of an unmapped region frees without munmap. */
	wrap_reset();
	assert_null(exotic_region_unref(r));
	assert_int_equal(wrap_calls("munmap"), 0);
	assert_int_equal(fakedev.frees, 1);
}

/* protect, park and unpark: the region's own mapping, at its address */
static void test_protect_park(void **state)
{
	struct fixture *f = *state;
	struct exotic_region_params p = params(EXOTIC_KIND_REFCOUNTED, EXOTIC_MAP_FAULT, 2 * PG);
	struct exotic_region *r;
	char perms[5];
	uint8_t *addr;

	assert_int_equal(exotic_region_new(f->dev, &p, &r), 0);
	addr = exotic_region_addr(r);
	addr[PG] = 0x5a;
	assert_int_equal(exotic_region_protect(r, PROT_READ), 0);
	assert_int_equal(exotic_region_prot(r), PROT_READ);
	map_perms(addr, perms);
	assert_string_equal(perms, "r--s");
	assert_int_equal(exotic_region_protect(r, PROT_EXEC), -EINVAL);
	assert_int_equal(exotic_region_protect(r, 0), -EINVAL);
	assert_int_equal(exotic_region_protect(NULL, PROT_READ), -EINVAL);
	wrap_fail("mprotect", 0, ENOMEM);
	assert_int_equal(exotic_region_protect(r, PROT_READ | PROT_WRITE), -ENOMEM);
	assert_int_equal(exotic_region_prot(r), PROT_READ);	/* unchanged */
	assert_int_equal(exotic_region_protect(r, PROT_READ | PROT_WRITE), 0);

	/* parked: same address, nothing of the device behind it */
	assert_int_equal(exotic_region_park(r), 0);
	assert_ptr_equal(exotic_region_addr(r), addr);
	map_perms(addr, perms);
	assert_string_equal(perms, "---p");
	assert_int_equal(exotic_region_park(r), -EBUSY);
	assert_int_equal(exotic_region_protect(r, PROT_READ), -EBUSY);
	assert_int_equal(exotic_region_map(r, 0), -EBUSY);
	wrap_fail("mmap", 0, ENOMEM);
	assert_int_equal(exotic_region_unpark(r), -ENOMEM);	/* still parked */
	map_perms(addr, perms);
	assert_string_equal(perms, "---p");
	assert_int_equal(exotic_region_unpark(r), 0);
	map_perms(addr, perms);
	assert_string_equal(perms, "rw-s");
	assert_int_equal(addr[PG], 0x5a);			/* the same memory */
	assert_int_equal(exotic_region_unpark(r), -EINVAL);	/* not parked */

	/* unmap of a parked region drops the placeholder */
	assert_int_equal(exotic_region_park(r), 0);
	assert_int_equal(exotic_region_unmap(r), 0);
	assert_null(exotic_region_addr(r));
	map_perms(addr, perms);
	assert_string_equal(perms, "none");
	assert_int_equal(exotic_region_park(r), -EBUSY);
	assert_int_equal(exotic_region_park(NULL), -EINVAL);
	assert_int_equal(exotic_region_unpark(NULL), -EINVAL);
	exotic_region_unref(r);
}

static void test_extra_mapping(void **state)
{
	struct fixture *f = *state;
	struct exotic_region *r = new_region(f, EXOTIC_KIND_REFCOUNTED, EXOTIC_MAP_FAULT, 4 * PG);
	volatile uint32_t *own = exotic_region_addr(r);
	void *extra = (void *)0x1;

	assert_int_equal(exotic_region_mmap(r, PG, 2 * PG, 0, &extra), 0);
	/* The second view aliases the first, one page in. */
	own[PG / 4] = 0xfeedf00d;
	assert_int_equal(*(volatile uint32_t *)extra, 0xfeedf00d);
	((volatile uint32_t *)extra)[PG / 4 + 1] = 7;
	assert_int_equal(own[2 * PG / 4 + 1], 7);
	assert_int_equal(exotic_region_munmap(r, extra, 2 * PG), 0);

	assert_int_equal(exotic_region_mmap(r, 0, 5 * PG, 0, &extra), -EINVAL);
	assert_null(extra);
	assert_int_equal(exotic_region_mmap(r, 4 * PG, PG, 0, &extra), -EINVAL);
	assert_int_equal(exotic_region_mmap(r, 100, PG, 0, &extra), -EINVAL);
	assert_int_equal(exotic_region_mmap(r, 0, 100, 0, &extra), -EINVAL);
	assert_int_equal(exotic_region_mmap(r, 0, 0, 0, &extra), -EINVAL);
	assert_int_equal(exotic_region_mmap(r, 0, PG, PROT_EXEC, &extra), -EINVAL);
	assert_int_equal(exotic_region_mmap(r, 0, PG, 0, NULL), -EINVAL);
	assert_int_equal(exotic_region_mmap(NULL, 0, PG, 0, &extra), -EINVAL);
	assert_true(logcap_has(&f->cap, "not inside the region"));
	assert_int_equal(exotic_region_munmap(r, (void *)own, 4 * PG), -EINVAL);
	assert_true(logcap_has(&f->cap, "exotic_region_unmap()"));
	assert_int_equal(exotic_region_munmap(r, NULL, PG), -EINVAL);
	assert_int_equal(exotic_region_munmap(r, extra, 0), -EINVAL);
	assert_int_equal(exotic_region_munmap(NULL, extra, PG), -EINVAL);
	assert_int_equal(exotic_region_mmap(r, 0, PG, PROT_READ, &extra), 0);
	wrap_fail("munmap", 0, EINVAL);
	assert_int_equal(exotic_region_munmap(r, extra, PG), -EINVAL);
	assert_int_equal(exotic_region_munmap(r, extra, PG), 0);
	exotic_region_unref(r);
}

/* ------------------------------------------------------- info, query */

static void test_info(void **state)
{
	struct fixture *f = *state;
	struct exotic_region *r = new_region(f, EXOTIC_KIND_CARVEOUT, EXOTIC_MAP_REMAP, 8 * PG);
	struct exotic_region_info info;

	memset(&info, 0xff, sizeof(info));
	assert_int_equal(exotic_region_info(r, &info), 0);
	assert_int_equal(info.handle, exotic_region_handle(r));
	assert_int_equal(info.kind, EXOTIC_KIND_CARVEOUT);
	assert_int_equal(info.method, EXOTIC_MAP_REMAP);
	assert_int_equal(info.state, EXOTIC_STATE_LIVE);
	assert_int_equal(info.length, 8 * PG);
	assert_int_equal(info.nr_pfns, 8);
	assert_int_equal(info.mmap_offset, exotic_region_mmap_offset(r));
	assert_int_equal(exotic_region_info(r, NULL), -EINVAL);
	assert_int_equal(exotic_region_info(NULL, &info), -EINVAL);
	wrap_fail_ioctl(EXOTIC_IOC_INFO, 0, ENOENT);
	assert_int_equal(exotic_region_info(r, &info), -ENOENT);
	assert_true(logcap_has(&f->cap, "info on region"));
	exotic_region_unref(r);
}

static void test_query(void **state)
{
	struct fixture *f = *state;
	struct exotic_region *r = new_region(f, EXOTIC_KIND_REFCOUNTED, EXOTIC_MAP_FAULT, 8 * PG);
	struct exotic_page pages[16];

	assert_int_equal(exotic_region_query(r, 0, pages, 16), 8);
	for (int i = 0; i < 8; i++) {
		assert_int_equal(pages[i].offset, i * PG);
		assert_true(pages[i].flags & EXOTIC_PAGE_HAS_STRUCT);
	}
	assert_int_equal(fakedev.last_query.handle, exotic_region_handle(r));
	assert_int_equal(fakedev.last_query.flags, 0);
	assert_int_equal(fakedev.last_query.count, 16);
	assert_ptr_equal((void *)(uintptr_t)fakedev.last_query.pages, pages);
	assert_int_equal(exotic_region_query(r, 6 * PG, pages, 16), 2);
	assert_int_equal(pages[1].offset, 7 * PG);
	assert_int_equal(exotic_region_query(r, 2 * PG, pages, 3), 3);
	assert_int_equal(pages[0].offset, 2 * PG);

	fakedev.ioctls = 0;
	assert_int_equal(exotic_region_query(r, 8 * PG, pages, 16), -EINVAL);
	assert_int_equal(exotic_region_query(r, 100, pages, 16), -EINVAL);
	assert_int_equal(exotic_region_query(r, 9 * PG, pages, 16), -EINVAL);
	assert_int_equal(exotic_region_query(r, 0, NULL, 16), -EINVAL);
	assert_int_equal(exotic_region_query(r, 0, pages, 0), -EINVAL);
	assert_int_equal(exotic_region_query(NULL, 0, pages, 16), -EINVAL);
	assert_int_equal(exotic_region_query_retired(NULL, 0, pages, 16), -EINVAL);
	assert_int_equal(exotic_region_query_retired(r, 0, NULL, 16), -EINVAL);
	assert_int_equal(exotic_region_query_retired(r, 0, pages, 0), -EINVAL);
	assert_int_equal(fakedev.ioctls, 0);

	fakedev.query_overreport = true;
	assert_int_equal(exotic_region_query(r, 0, pages, 4), -EPROTO);
	assert_true(logcap_has(&f->cap, "claims 5 entries for 4 slots"));
	fakedev.query_overreport = false;
	wrap_fail_ioctl(EXOTIC_IOC_QUERY, 0, EFAULT);
	assert_int_equal(exotic_region_query(r, 0, pages, 4), -EFAULT);
	exotic_region_unref(r);
}

/* ------------------------------------------------------------ events */

static void test_revoke(void **state)
{
	struct fixture *f = *state;
	struct exotic_region *r = new_region(f, EXOTIC_KIND_NONCOMPOUND, EXOTIC_MAP_FAULT, 4 * PG);
	struct exotic_region_info info;
	struct exotic_page pages[8];
	uint64_t epoch = 0;

	assert_int_equal(exotic_region_revoke(r, &epoch), 0);
	assert_int_equal(fakedev.last_event_request, EXOTIC_IOC_REVOKE);
	assert_int_equal(fakedev.last_event.handle, exotic_region_handle(r));
	assert_int_equal(fakedev.last_event.offset, 0);
	assert_int_equal(fakedev.last_event.length, 0);
	assert_int_equal(epoch, fakedev.epoch);
	assert_true(epoch > 0);
	assert_int_equal(exotic_region_info(r, &info), 0);
	assert_int_equal(info.state, EXOTIC_STATE_REVOKED);
	assert_int_equal(info.epoch, epoch);

	/* The retired pages, in order, with the epoch that retired them. */
	assert_int_equal(exotic_region_query_retired(r, 0, pages, 8), 4);
	for (int i = 0; i < 4; i++) {
		assert_true(pages[i].flags & EXOTIC_PAGE_QUARANTINED);
		assert_int_equal(pages[i].epoch, epoch);
	}
	assert_int_equal(fakedev.last_query.flags, EXOTIC_QUERY_RETIRED);
	assert_int_equal(exotic_region_query_retired(r, 3, pages, 8), 1);
	assert_int_equal(exotic_region_query_retired(r, 4, pages, 8), 0);
	/* A live-region query of a revoked region: the driver's ENODEV. */
	assert_int_equal(exotic_region_query(r, 0, pages, 8), -ENODEV);
	/* Events after revoke are refused by the driver, and explained. */
	logcap_clear(&f->cap);
	assert_int_equal(exotic_region_invalidate(r, 0, 0, NULL), -ENODEV);
	assert_true(logcap_has(&f->cap, "invalidate of region 1: the region was revoked"));
	assert_int_equal(exotic_region_migrate(r, 0, 0, NULL), -ENODEV);
	assert_int_equal(exotic_region_revoke(r, NULL), -ENODEV);
	assert_int_equal(exotic_region_revoke(NULL, &epoch), -EINVAL);
	exotic_region_unref(r);
}

static void test_invalidate_migrate(void **state)
{
	struct fixture *f = *state;
	struct exotic_region *r = new_region(f, EXOTIC_KIND_COMPOUND, EXOTIC_MAP_MIXED, 8 * PG);
	uint64_t e1 = 0, e2 = 0, e3 = 0;

	assert_int_equal(exotic_region_invalidate(r, 2 * PG, 3 * PG, &e1), 0);
	assert_int_equal(fakedev.last_event_request, EXOTIC_IOC_INVALIDATE);
	assert_int_equal(fakedev.last_event.offset, 2 * PG);
	assert_int_equal(fakedev.last_event.length, 3 * PG);
	assert_int_equal(exotic_region_migrate(r, 4 * PG, 0, &e2), 0);
	assert_int_equal(fakedev.last_event_request, EXOTIC_IOC_MIGRATE);
	assert_int_equal(fakedev.last_event.offset, 4 * PG);
	assert_int_equal(fakedev.last_event.length, 0);
	assert_int_equal(exotic_region_invalidate(r, 0, 8 * PG, &e3), 0);
	assert_true(e1 < e2 && e2 < e3);
	assert_int_equal(exotic_region_migrate(r, 0, 8 * PG, NULL), 0);
	assert_int_equal(fakedev.regions[0].migrations, 2);

	fakedev.ioctls = 0;
	assert_int_equal(exotic_region_invalidate(r, 1, PG, NULL), -EINVAL);
	assert_int_equal(exotic_region_invalidate(r, 0, PG + 1, NULL), -EINVAL);
	assert_int_equal(exotic_region_invalidate(r, 9 * PG, 0, NULL), -EINVAL);
	assert_int_equal(exotic_region_invalidate(r, 4 * PG, 5 * PG, NULL), -EINVAL);
	assert_int_equal(exotic_region_migrate(r, PG, UINT64_MAX - PG + 1, NULL), -EINVAL);
	assert_int_equal(exotic_region_migrate(r, 8 * PG, PG, NULL), -EINVAL);
	assert_int_equal(exotic_region_invalidate(NULL, 0, 0, NULL), -EINVAL);
	assert_int_equal(exotic_region_migrate(NULL, 0, 0, NULL), -EINVAL);
	assert_int_equal(fakedev.ioctls, 0);
	assert_true(logcap_has(&f->cap, "not page aligned or not inside"));

	/* A failed event leaves the caller's epoch alone. */
	e1 = 1234;
	wrap_fail_ioctl(EXOTIC_IOC_MIGRATE, 0, ENOMEM);
	assert_int_equal(exotic_region_migrate(r, 0, 0, &e1), -ENOMEM);
	assert_int_equal(e1, 1234);
	wrap_fail_ioctl(EXOTIC_IOC_MIGRATE, 0, EINVAL);
	assert_int_equal(exotic_region_migrate(r, 0, 0, &e1), -EINVAL);
	assert_true(logcap_has(&f->cap, "whole blocks"));
	exotic_region_unref(r);
}

static void test_free_failure(void **state)
{
	struct fixture *f = *state;
	struct exotic_region *r = new_region(f, EXOTIC_KIND_REFCOUNTED, EXOTIC_MAP_PAGE, PG);

	wrap_fail_ioctl(EXOTIC_IOC_FREE, 0, EIO);
	wrap_fail("munmap", 0, EINVAL);
	assert_null(exotic_region_unref(r));
	assert_true(logcap_has(&f->cap, "freeing region"));
	assert_true(logcap_has(&f->cap, "munmap of region"));
	/* The driver still has it: give it back for the teardown check. */
	fakedev_region(fakedev.next_handle)->used = false;
}

static void test_region_holds_device(void **state)
{
	struct fixture *f = *state;
	struct exotic_region *r = new_region(f, EXOTIC_KIND_REFCOUNTED, EXOTIC_MAP_FAULT, PG);
	struct exotic_device *dev = f->dev;
	uint64_t epoch;

	/* The region keeps the device (and its fd) alive. */
	exotic_device_ref(dev);
	assert_ptr_equal(exotic_device_unref(dev), dev);
	assert_int_equal(wrap_calls("close"), 0);
	exotic_device_ref(dev);
	f->dev = NULL;
	exotic_device_unref(dev);		/* the test's reference */
	assert_int_equal(exotic_region_invalidate(r, 0, 0, &epoch), 0);
	f->dev = dev;
	assert_ptr_equal(exotic_region_unref(r), NULL);
	assert_int_equal(wrap_calls("close"), 0);	/* fixture still holds one */
}

/* ------------------------------------------------------------ names */

static void test_names(void **state)
{
	(void)state;
	for (unsigned int k = 1; k <= EXOTIC_KIND_MAX; k++)
		assert_int_equal(exotic_kind_from_name(exotic_kind_name(k)), k);
	for (unsigned int m = 1; m <= EXOTIC_MAP_MAX; m++)
		assert_int_equal(exotic_method_from_name(exotic_method_name(m)), m);
	assert_string_equal(exotic_kind_name(EXOTIC_KIND_NONCOMPOUND), "noncompound");
	assert_string_equal(exotic_method_name(EXOTIC_MAP_HUGE), "huge");
	assert_null(exotic_kind_name(0));
	assert_null(exotic_kind_name(EXOTIC_KIND_MAX + 1));
	assert_null(exotic_kind_name(~0U));
	assert_null(exotic_method_name(0));
	assert_null(exotic_method_name(EXOTIC_MAP_MAX + 1));
	assert_int_equal(exotic_kind_from_name("vram"), -EINVAL);
	assert_int_equal(exotic_kind_from_name(""), -EINVAL);
	assert_int_equal(exotic_kind_from_name(NULL), -EINVAL);
	assert_int_equal(exotic_method_from_name("Remap"), -EINVAL);
}

static void test_poison(void **state)
{
	struct exotic_poison poison = { EXOTIC_POISON_MAGIC, 12 };
	unsigned char buf[64];
	uint64_t epoch = 0;

	(void)state;
	memset(buf, 0, sizeof(buf));
	memcpy(buf + 3, &poison, sizeof(poison));	/* unaligned is fine */
	assert_int_equal(exotic_is_poison(buf + 3, &epoch), 1);
	assert_int_equal(epoch, 12);
	assert_int_equal(exotic_is_poison(buf + 3, NULL), 1);
	epoch = 99;
	assert_int_equal(exotic_is_poison(buf, &epoch), 0);
	assert_int_equal(epoch, 99);
	buf[3] ^= 1;
	assert_int_equal(exotic_is_poison(buf + 3, &epoch), 0);
	assert_int_equal(exotic_is_poison(NULL, &epoch), 0);
}

/*
 * The uapi's layout is an ABI: the same on 32 and 64 bit, no implicit
 * padding (every field where the sum of the previous ones puts it).
 */
#define AT(type, field, off) assert_int_equal(offsetof(struct type, field), off)

static void test_uapi_layout(void **state)
{
	(void)state;
	assert_int_equal(sizeof(struct exotic_version), 96);
	AT(exotic_version, max_bytes, 16);
	AT(exotic_version, max_regions, 48);
	AT(exotic_version, epoch, 56);
	AT(exotic_version, file_max_bytes, 64);
	AT(exotic_version, file_used_bytes, 72);
	AT(exotic_version, reserved, 80);
	assert_int_equal(sizeof(struct exotic_alloc), 72);
	AT(exotic_alloc, length, 8);
	AT(exotic_alloc, order, 16);
	AT(exotic_alloc, handle, 24);
	AT(exotic_alloc, pad, 28);
	AT(exotic_alloc, mmap_offset, 32);
	AT(exotic_alloc, reserved, 40);
	assert_int_equal(sizeof(struct exotic_event), 48);
	AT(exotic_event, offset, 8);
	AT(exotic_event, epoch, 24);
	AT(exotic_event, reserved, 32);
	assert_int_equal(sizeof(struct exotic_region_info), 128);
	AT(exotic_region_info, length, 24);
	AT(exotic_region_info, quarantined, 88);
	AT(exotic_region_info, reserved, 96);
	assert_int_equal(sizeof(struct exotic_page), 40);
	AT(exotic_page, refcount, 8);
	AT(exotic_page, flags, 20);
	AT(exotic_page, offset, 24);
	AT(exotic_page, epoch, 32);
	assert_int_equal(sizeof(struct exotic_query), 48);
	AT(exotic_query, count, 16);
	AT(exotic_query, pages, 24);
	assert_int_equal(sizeof(struct exotic_poison), 16);
	/* The ioctl numbers carry the sizes. */
	assert_int_equal(_IOC_SIZE(EXOTIC_IOC_ALLOC), sizeof(struct exotic_alloc));
	assert_int_equal(_IOC_SIZE(EXOTIC_IOC_QUERY), sizeof(struct exotic_query));
	assert_int_equal(_IOC_NR(EXOTIC_IOC_QUERY), 7);
	assert_int_equal(_IOC_DIR(EXOTIC_IOC_VERSION), _IOC_READ);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_new_bad_args),
		T(test_new_bad_params),
		T(test_new_not_offered),
		T(test_new_driver_errors),
		T(test_new_mmap_fails),
		T(test_new_maps_region),
		T(test_accessors_null),
		T(test_readonly),
		T(test_order_from_driver),
		T(test_huge_aligned),
		T(test_nomap_map_unmap),
		T(test_protect_park),
		T(test_extra_mapping),
		T(test_info),
		T(test_query),
		T(test_revoke),
		T(test_invalidate_migrate),
		T(test_free_failure),
		T(test_region_holds_device),
		T(test_names),
		T(test_poison),
		cmocka_unit_test(test_uapi_layout),
	};

	return cmocka_run_group_tests_name("region", tests, NULL, NULL);
}
