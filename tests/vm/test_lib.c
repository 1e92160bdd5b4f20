// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Guest suite: libexotic against the real driver.  Discovery through
 * libudev (sysfs, no udevd in the test VM), waiting on the kernel's
 * uevents, module unload/load through libkmod (by name and by path, the
 * VM's carve-out parameters restored), and every kind x method as a
 * region: allocated, mapped, written and read back, described (checked
 * against /proc/self/pagemap), invalidated, migrated and revoked.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "exotic.h"
#include "vm_env.h"
#include "../../libexotic/pageref.h"

#define PG	4096ULL
#define MiB	(1ULL << 20)

/* The parameters the VM loaded exotic.ko with (scripts/vm-run exports them). */
static const char *module_params(void)
{
	const char *p = getenv("EXOTIC_MODULE_PARAMS");

	return p && *p ? p : "carveout_base=0x60000000 carveout_size=0x10000000";
}

/* The value of name=... in the module parameters, or dflt. */
static uint64_t module_param_u64(const char *name, uint64_t dflt)
{
	const char *p = module_params();
	size_t n = strlen(name);

	for (; (p = strstr(p, name)); p += n)
		if ((p == module_params() || p[-1] == ' ') && p[n] == '=')
			return strtoull(p + n + 1, NULL, 0);
	return dflt;
}

#define CARVE_BASE module_param_u64("carveout_base", 0x60000000)
#define CARVE_SIZE module_param_u64("carveout_size", 0x10000000)

static bool unsafe_driver_bugs(void)
{
	FILE *f = fopen("/sys/module/exotic/parameters/unsafe_driver_bugs", "r");
	int c = f ? fgetc(f) : 'N';

	if (f)
		fclose(f);
	return c == 'Y' || c == '1';
}

/* Set unsafe_driver_bugs to val, the old value into saved; 0 or -errno. */
static int set_unsafe_driver_bugs(const char *val, char *saved, size_t len)
{
	const char *path = "/sys/module/exotic/parameters/unsafe_driver_bugs";
	FILE *f = fopen(path, "r");

	if (!f)
		return -errno;
	if (!fgets(saved, (int)len, f))
		saved[0] = 0;
	fclose(f);
	saved[strcspn(saved, "\n")] = 0;
	f = fopen(path, "w");
	if (!f)
		return -errno;
	fputs(val, f);
	return fclose(f) ? -errno : 0;
}

/*
 * Before 6.12 a PMD has no special bit: GUP-fast takes a huge PFN mapping
 * for a THP and oopses on a PFN without struct page, so the driver maps the
 * carve-out huge only with EXOTIC_ALLOC_UNSAFE_DRIVER_BUG.
 */
static bool huge_needs_folio(void)
{
	unsigned int major = 0, minor = 0;
	struct utsname u;

	assert_int_equal(uname(&u), 0);
	assert_int_equal(sscanf(u.release, "%u.%u", &major, &minor), 2);
	return major < 6 || (major == 6 && minor < 12);
}

static struct exotic_ctx *ctx;

static int group_setup(void **state)
{
	(void)state;
	if (exotic_new(&ctx) < 0)
		return -1;
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	exotic_unref(ctx);
	return 0;
}

static struct exotic_device *open_or_skip(void)
{
	struct exotic_device *dev = NULL;
	int r = exotic_device_open(ctx, &dev);

	vm_env_need(r != -ENOENT, "# no exotic device: %s\n", exotic_strerror(r));
	assert_int_equal(r, 0);
	return dev;
}

/* Leave the module as the VM loaded it, whatever a test did. */
static int restore_module(void **state)
{
	char buf[64];

	(void)state;
	if (exotic_module_is_loaded(ctx, "exotic") == 1)
		return 0;
	if (exotic_module_load(ctx, "exotic", module_params()) < 0)
		return -1;
	return exotic_device_wait(ctx, 5000, buf, sizeof(buf)) < 0 ? -1 : 0;
}

/* -------------------------------------------------------- discovery */

static void test_discovery(void **state)
{
	struct exotic_device *dev;
	struct exotic_version v;
	char buf[PATH_MAX];
	struct stat st;

	(void)state;
	vm_env_need(access("/sys/class/misc/exotic", F_OK) == 0, "# no /sys/class/misc/exotic\n");
	assert_int_equal(exotic_device_find(ctx, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/dev/exotic");
	assert_int_equal(stat(buf, &st), 0);
	assert_true(S_ISCHR(st.st_mode));
	dev = open_or_skip();
	assert_string_equal(exotic_device_get_path(dev), "/dev/exotic");
	assert_int_equal(exotic_device_version(dev, &v), 0);
	assert_int_equal(v.abi_version, EXOTIC_ABI_VERSION);
	assert_int_equal(v.carveout_base, CARVE_BASE);
	assert_int_equal(v.carveout_size, CARVE_SIZE);
	assert_int_equal(exotic_device_has_kind(dev, EXOTIC_KIND_CARVEOUT),
			 CARVE_SIZE ? 1 : 0);
	for (unsigned int m = 1; m <= EXOTIC_MAP_MAX; m++)
		assert_int_equal(exotic_device_has_method(dev, m), 1);
	assert_null(exotic_device_unref(dev));
}

/* ----------------------------------------------------------- module */

struct loader {
	int delay_ms;
	const char *what;
	const char *params;
	int result;
};

static void *load_later(void *arg)
{
	struct loader *l = arg;
	struct timespec ts = { 0, l->delay_ms * 1000000L };

	nanosleep(&ts, NULL);
	l->result = exotic_module_load(ctx, l->what, l->params);
	return NULL;
}

static void test_module_cycle(void **state)
{
	struct exotic_device *dev;
	struct exotic_version v;
	struct loader l = { 300, "exotic", NULL, 1 };
	pthread_t thread;
	char buf[PATH_MAX];

	(void)state;
	vm_env_need(exotic_module_is_loaded(ctx, "exotic") == 1, "# exotic.ko not loaded\n");
	l.params = module_params();

	/* An open file pins the module. */
	dev = open_or_skip();
	assert_int_equal(exotic_module_unload(ctx, "exotic"), -EBUSY);
	assert_int_equal(exotic_module_is_loaded(ctx, "exotic"), 1);
	assert_null(exotic_device_unref(dev));

	assert_int_equal(exotic_module_unload(ctx, "exotic"), 0);
	assert_int_equal(exotic_module_is_loaded(ctx, "exotic"), 0);
	assert_int_equal(exotic_module_unload(ctx, "exotic"), -ENOENT);
	assert_int_equal(exotic_device_find(ctx, buf, sizeof(buf)), -ENOENT);
	assert_int_equal(exotic_device_open(ctx, &dev), -ENOENT);
	assert_null(dev);
	assert_int_equal(exotic_device_wait(ctx, 200, buf, sizeof(buf)), -ETIMEDOUT);

	/* Load while waiting: the uevent (or the re-check) ends the wait. */
	assert_int_equal(pthread_create(&thread, NULL, load_later, &l), 0);
	assert_int_equal(exotic_device_wait(ctx, 10000, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/dev/exotic");
	pthread_join(thread, NULL);
	assert_int_equal(l.result, 0);
	assert_int_equal(exotic_module_load(ctx, "exotic", NULL), -EEXIST);

	/* The parameters went through. */
	dev = open_or_skip();
	assert_int_equal(exotic_device_version(dev, &v), 0);
	assert_int_equal(v.carveout_base, CARVE_BASE);
	assert_int_equal(v.carveout_size, CARVE_SIZE);
	assert_null(exotic_device_unref(dev));
}

static void test_module_by_path(void **state)
{
	struct exotic_device *dev;
	struct exotic_version v;
	struct utsname u;
	char path[PATH_MAX], buf[PATH_MAX];

	(void)state;
	assert_int_equal(uname(&u), 0);
	snprintf(path, sizeof(path), "/lib/modules/%s/extra/exotic.ko", u.release);
	vm_env_need(access(path, R_OK) == 0 && exotic_module_is_loaded(ctx, "exotic") == 1,
		    "# %s not installed or exotic.ko not loaded\n", path);
	assert_int_equal(exotic_module_unload(ctx, "exotic"), 0);
	/* A bad parameter value: refused by the module, nothing loaded. */
	assert_int_equal(exotic_module_load(ctx, path, "carveout_base=banana"), -EINVAL);
	assert_int_equal(exotic_module_is_loaded(ctx, "exotic"), 0);
	assert_int_equal(exotic_module_load(ctx, "/nonexistent/exotic.ko", NULL), -ENOENT);
	assert_int_equal(exotic_module_load(ctx, path, module_params()), 0);
	assert_int_equal(exotic_module_load(ctx, path, module_params()), -EEXIST);
	assert_int_equal(exotic_device_wait(ctx, 5000, buf, sizeof(buf)), 0);
	dev = open_or_skip();
	assert_int_equal(exotic_device_version(dev, &v), 0);
	assert_int_equal(v.carveout_size, CARVE_SIZE);
	assert_null(exotic_device_unref(dev));
}

/* ---------------------------------------------------------- regions */

/* The PFN /proc/self/pagemap shows for addr, 0 if not present. */
static uint64_t pagemap_pfn(const void *addr)
{
	uint64_t e = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &e, sizeof(e), (off_t)((uintptr_t)addr / PG * 8)), 8);
	close(fd);
	return (e & (1ULL << 63)) ? (e & ((1ULL << 55) - 1)) : 0;
}

/*
 * Does reading addr raise SIGBUS?  Checked in this process: the driver's
 * mappings are VM_DONTCOPY, so a child would not have them.  cmocka's own
 * handler is put aside meanwhile.
 */
static sigjmp_buf bus_jmp;
static volatile sig_atomic_t bus_signal;

static void on_bus(int sig)
{
	bus_signal = sig;
	siglongjmp(bus_jmp, 1);
}

static bool read_sigbus(const volatile void *addr)
{
	struct sigaction sa = { .sa_handler = on_bus }, old_bus, old_segv;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, &old_bus);
	sigaction(SIGSEGV, &sa, &old_segv);
	bus_signal = 0;
	if (!sigsetjmp(bus_jmp, 1))
		(void)*(const volatile uint64_t *)addr;
	sigaction(SIGBUS, &old_bus, NULL);
	sigaction(SIGSEGV, &old_segv, NULL);
	return bus_signal == SIGBUS;
}

static uint64_t pattern(uint32_t handle, uint64_t off, uint64_t round)
{
	return ((uint64_t)handle << 48) ^ (round << 40) ^ off ^ 0x5a5a000000000000ULL;
}

static void write_pattern(struct exotic_region *r, uint64_t round)
{
	volatile uint64_t *p = exotic_region_addr(r);

	for (uint64_t off = 0; off < exotic_region_length(r); off += 512)
		p[off / 8] = pattern(exotic_region_handle(r), off, round);
}

static uint64_t check_pattern(struct exotic_region *r, uint64_t round)
{
	volatile uint64_t *p = exotic_region_addr(r);
	uint64_t bad = 0;

	for (uint64_t off = 0; off < exotic_region_length(r); off += 512)
		bad += p[off / 8] != pattern(exotic_region_handle(r), off, round);
	return bad;
}

/*
 * What the driver must say of page idx of a region of this kind (pages[]:
 * the query of all n pages), its refcount as the kit's judge has it.
 */
static void check_page(uint32_t kind, uint32_t method, uint32_t order, uint64_t idx,
		       const struct exotic_version *v, const struct exotic_page *pages,
		       size_t n)
{
	const struct exotic_page *pg = &pages[idx];
	bool block_tail = idx % (1ULL << order) != 0;
	int want = pageref_expected(kind, method, order, pages, idx, n);

	assert_int_equal(pg->offset, idx * PG);
	assert_int_equal(pg->reserved, 0);
	if (want >= 0)
		assert_int_equal(pg->refcount, want);
	assert_int_equal(!!(pg->flags & EXOTIC_PAGE_BLOCK_TAIL), block_tail);
	switch (kind) {
	case EXOTIC_KIND_CARVEOUT:
		assert_false(pg->flags & EXOTIC_PAGE_HAS_STRUCT);
		assert_true(pg->pfn >= v->carveout_base / PG);
		assert_true(pg->pfn < (v->carveout_base + v->carveout_size) / PG);
		assert_int_equal(pg->refcount, -1);
		break;
	case EXOTIC_KIND_COMPOUND:
		assert_true(pg->flags & EXOTIC_PAGE_COMPOUND);
		assert_int_equal(!!(pg->flags & EXOTIC_PAGE_TAIL), block_tail);
		break;
	case EXOTIC_KIND_NONCOMPOUND:
		assert_false(pg->flags & EXOTIC_PAGE_COMPOUND);
		if (block_tail && !(pg->mapcount > 0))
			assert_int_equal(pg->refcount, 0);
		break;
	case EXOTIC_KIND_RESERVED:
		assert_true(pg->flags & EXOTIC_PAGE_RESERVED);
		break;
	default:
		assert_true(pg->flags & EXOTIC_PAGE_HAS_STRUCT);
		assert_false(pg->flags & EXOTIC_PAGE_COMPOUND);
		break;
	}
}

struct combo {
	uint32_t kind, method, order;
	uint64_t length;
	int expect;		/* 0 or the driver's refusal */
	bool unsafe;		/* refused, but admitted with the unsafe flag */
	uint32_t flags;
};

static struct combo combo_for(uint32_t kind, uint32_t method, bool carveout)
{
	struct combo c = { kind, method, 0, 16 * PG, 0, false, 0 };

	if (kind == EXOTIC_KIND_CARVEOUT && !carveout) {
		c.expect = -EOPNOTSUPP;		/* refused by the library */
		return c;
	}
	if (kind == EXOTIC_KIND_COMPOUND || kind == EXOTIC_KIND_NONCOMPOUND ||
	    kind == EXOTIC_KIND_RESERVED)
		c.order = 2;
	if (method == EXOTIC_MAP_HUGE) {
		c.length = 2 * EXOTIC_HUGE_SIZE;
		if (kind == EXOTIC_KIND_REFCOUNTED)
			c.expect = -EINVAL;	/* order-0 only: no 2 MiB blocks */
		else if (kind != EXOTIC_KIND_CARVEOUT)
			c.order = 9;		/* the carve-out: driver's choice */
		/* before 6.12 a folio only: GUP-fast takes it for a THP */
		if (kind != EXOTIC_KIND_REFCOUNTED &&
		    kind != EXOTIC_KIND_COMPOUND && huge_needs_folio())
			c.expect = -EINVAL, c.unsafe = true;
	}
	/* vm_insert_page(): never without struct page, never on refcount-0 tails */
	if (method == EXOTIC_MAP_PAGE &&
	    (kind == EXOTIC_KIND_CARVEOUT || kind == EXOTIC_KIND_NONCOMPOUND ||
	     kind == EXOTIC_KIND_RESERVED))
		c.expect = -EINVAL;
	return c;
}

static void exercise(struct exotic_device *dev, const struct combo *c)
{
	struct exotic_region_params p = {
		.kind = c->kind, .method = c->method, .length = c->length,
		.order = c->order, .flags = c->flags,
	};
	struct exotic_region *r = NULL;
	struct exotic_region_info info;
	struct exotic_version v;
	struct exotic_page *pages, *before, *retired;
	uint64_t npages = c->length / PG, e1, e2, e3;
	uint8_t *addr;
	int n;

	n = exotic_region_new(dev, &p, &r);
	assert_int_equal(n, c->expect);
	if (c->expect)
		return;
	assert_int_equal(exotic_device_version(dev, &v), 0);
	addr = exotic_region_addr(r);
	if (c->method == EXOTIC_MAP_HUGE) {
		assert_int_equal((uintptr_t)addr % EXOTIC_HUGE_SIZE, 0);
		assert_true(exotic_region_order(r) >= 9);
	}
	pages = calloc(npages, sizeof(*pages));
	before = calloc(npages, sizeof(*pages));
	retired = calloc(npages, sizeof(*pages));
	assert_non_null(pages);
	assert_non_null(before);
	assert_non_null(retired);

	/* Written through the mapping, read back through it. */
	write_pattern(r, 1);
	assert_int_equal(check_pattern(r, 1), 0);

	/* The driver's view of every page, and the page tables' view. */
	n = exotic_region_query(r, 0, before, npages);
	assert_int_equal(n, (int)npages);
	for (uint64_t i = 0; i < npages; i++)
		check_page(c->kind, c->method, exotic_region_order(r), i, &v, before, npages);
	/* pagemap shows VM_PFNMAP mappings as holes: only the others. */
	if (c->method == EXOTIC_MAP_MIXED || c->method == EXOTIC_MAP_PAGE) {
		assert_int_equal(pagemap_pfn(addr), before[0].pfn);
		assert_int_equal(pagemap_pfn(addr + c->length - PG),
				 before[npages - 1].pfn);
	}
	assert_int_equal(exotic_region_info(r, &info), 0);
	assert_int_equal(info.state, EXOTIC_STATE_LIVE);
	assert_int_equal(info.nr_pfns, npages);
	assert_int_equal(info.refcount_anomalies, 0);
	assert_int_equal(info.kind, c->kind);
	assert_int_equal(info.method, c->method);
	assert_int_equal(info.flags, c->flags);
	if (c->method != EXOTIC_MAP_REMAP)
		assert_true(info.faults > 0);

	/* Invalidate: zapped, the same PFNs come back with the same data. */
	assert_int_equal(exotic_region_invalidate(r, 0, 0, &e1), 0);
	assert_true(e1 > 0);
	assert_int_equal(check_pattern(r, 1), 0);
	n = exotic_region_query(r, 0, pages, npages);
	assert_int_equal(n, (int)npages);
	for (uint64_t i = 0; i < npages; i++)
		assert_int_equal(pages[i].pfn, before[i].pfn);

	/* Migrate: fresh PFNs, same data; the old ones are quarantined. */
	assert_int_equal(exotic_region_migrate(r, 0, 0, &e2), 0);
	assert_true(e2 > e1);
	if (v.quarantine_ms >= 1000) {
		n = exotic_region_query_retired(r, 0, retired, npages);
		assert_int_equal(n, (int)npages);
		for (uint64_t i = 0; i < npages; i++) {
			assert_int_equal(retired[i].epoch, e2);
			assert_true(retired[i].flags & EXOTIC_PAGE_QUARANTINED);
			if (c->kind != EXOTIC_KIND_CARVEOUT)
				assert_true(retired[i].flags & EXOTIC_PAGE_POISON_OK);
		}
		assert_int_equal(retired[0].pfn, before[0].pfn);
	}
	assert_int_equal(check_pattern(r, 1), 0);
	n = exotic_region_query(r, 0, pages, npages);
	assert_int_equal(n, (int)npages);
	assert_true(pages[0].pfn != before[0].pfn);
	if (c->method == EXOTIC_MAP_MIXED || c->method == EXOTIC_MAP_PAGE)
		assert_int_equal(pagemap_pfn(addr), pages[0].pfn);
	for (uint64_t i = 0; i < npages; i++)
		check_page(c->kind, c->method, exotic_region_order(r), i, &v, pages, npages);
	write_pattern(r, 2);
	assert_int_equal(check_pattern(r, 2), 0);

	/* Revoke: every access after it is a SIGBUS. */
	assert_int_equal(exotic_region_revoke(r, &e3), 0);
	assert_true(e3 > e2);
	assert_int_equal(exotic_region_info(r, &info), 0);
	assert_int_equal(info.state, EXOTIC_STATE_REVOKED);
	assert_int_equal(info.epoch, e3);
	assert_true(read_sigbus(addr));
	assert_true(read_sigbus(addr + c->length - PG));
	assert_int_equal(exotic_region_invalidate(r, 0, 0, NULL), -ENODEV);
	assert_int_equal(exotic_region_revoke(r, NULL), -ENODEV);

	free(pages);
	free(before);
	free(retired);
	assert_null(exotic_region_unref(r));
}

/* Read or write a module parameter of exotic; 0 or -errno. */
static int quarantine_param(unsigned int *get, unsigned int set)
{
	const char *path = "/sys/module/exotic/parameters/quarantine_ms";
	FILE *f = fopen(path, get ? "r" : "w");
	int ok;

	if (!f)
		return -errno;
	ok = get ? fscanf(f, "%u", get) == 1 : fprintf(f, "%u\n", set) > 0;
	ok = (fclose(f) == 0) && ok;
	return ok ? 0 : -EIO;
}

static unsigned int saved_quarantine;

/* Long enough to see what a migrate retired before it is released. */
static int long_quarantine(void **state)
{
	(void)state;
	if (quarantine_param(&saved_quarantine, 0) < 0)
		return 0;	/* no module: the test skips */
	return quarantine_param(NULL, 2000);
}

static int restore_quarantine(void **state)
{
	(void)state;
	if (!saved_quarantine)
		return 0;
	return quarantine_param(NULL, saved_quarantine);
}

static void test_every_kind_and_method(void **state)
{
	struct exotic_device *dev;
	struct exotic_version v0, v1;
	bool carveout;
	int done = 0, refused = 0, unsafe = 0;

	(void)state;
	dev = open_or_skip();
	carveout = exotic_device_has_kind(dev, EXOTIC_KIND_CARVEOUT) == 1;
	assert_int_equal(exotic_device_version(dev, &v0), 0);
	for (uint32_t k = 1; k <= EXOTIC_KIND_MAX; k++) {
		for (uint32_t m = 1; m <= EXOTIC_MAP_MAX; m++) {
			struct combo c = combo_for(k, m, carveout);
			char saved[16], was[16];

			fprintf(stderr, "# %s/%s order %u, %llu KiB: %s\n",
				exotic_kind_name(k), exotic_method_name(m), c.order,
				(unsigned long long)c.length >> 10,
				c.unsafe ? "expect refusal, then exercise with the unsafe flag" :
				c.expect ? "expect refusal" : "exercise");
			exercise(dev, &c);
			done += !c.expect;
			refused += c.expect != 0;
			if (!c.unsafe)
				continue;
			/* Admitted with the flag and unsafe_driver_bugs=1. */
			c.expect = 0;
			c.flags = EXOTIC_ALLOC_UNSAFE_DRIVER_BUG;
			assert_int_equal(set_unsafe_driver_bugs("1", saved, sizeof(saved)), 0);
			exercise(dev, &c);
			assert_int_equal(set_unsafe_driver_bugs(saved, was, sizeof(was)), 0);
			unsafe++;
			done++;
		}
	}
	/*
	 * 25 combinations, 4 refused by the driver (4 more without carve-out;
	 * before 6.12 huge of noncompound, reserved and carve-out is refused,
	 * then exercised with the unsafe flag).
	 */
	assert_int_equal(done, carveout ? 21 : 17);
	assert_int_equal(refused, (carveout ? 4 : 8) + unsafe);
	assert_int_equal(unsafe, huge_needs_folio() ? (carveout ? 3 : 2) : 0);
	/* Everything given back, once the quarantine has let go. */
	for (unsigned int waited = 0;; waited += 50) {
		struct timespec ts = { 0, 50 * 1000000L };

		assert_int_equal(exotic_device_version(dev, &v1), 0);
		if (v1.used_bytes == v0.used_bytes ||
		    waited > 2 * v1.quarantine_ms + 2000)
			break;
		nanosleep(&ts, NULL);
	}
	assert_int_equal(v1.used_bytes, v0.used_bytes);
	assert_null(exotic_device_unref(dev));
}

static void test_every_mapping_revoked(void **state)
{
	struct exotic_region_params p = {
		.kind = EXOTIC_KIND_NONCOMPOUND, .method = EXOTIC_MAP_FAULT,
		.length = 8 * PG, .order = 1,
	};
	struct exotic_device *dev;
	struct exotic_region *r;
	volatile uint64_t *own;
	void *extra;

	(void)state;
	dev = open_or_skip();
	assert_int_equal(exotic_region_new(dev, &p, &r), 0);
	own = exotic_region_addr(r);
	assert_int_equal(exotic_region_mmap(r, 2 * PG, 4 * PG, PROT_READ, &extra), 0);
	own[2 * PG / 8] = 0xabcdef;
	assert_int_equal(*(volatile uint64_t *)extra, 0xabcdef);
	assert_int_equal(exotic_region_revoke(r, NULL), 0);
	assert_true(read_sigbus(extra));
	assert_true(read_sigbus(own));
	assert_int_equal(exotic_region_munmap(r, extra, 4 * PG), 0);
	/* The device outlives our reference while the region holds one. */
	assert_ptr_equal(exotic_device_unref(dev), dev);
	assert_null(exotic_region_unref(r));
}

/*
 * Events from one thread while another reads through the mapping: the
 * reader always sees the data (migrate copies it), never poison or zeros,
 * and the epochs the events return only grow.
 */
struct reader {
	struct exotic_region *r;
	volatile bool stop;
	uint64_t reads, bad;
};

static void *read_loop(void *arg)
{
	struct reader *rd = arg;

	while (!rd->stop) {
		rd->bad += check_pattern(rd->r, 7);
		__atomic_add_fetch(&rd->reads, 1, __ATOMIC_RELEASE);
	}
	return NULL;
}

/*
 * Wait until the reader has finished more than n passes: on a loaded host
 * the reader thread may not get a CPU for a while, and the events must run
 * while it reads.  False after 60 s.
 */
static bool reader_passed(struct reader *rd, uint64_t n)
{
	struct timespec ts = { 0, 1000000 };

	for (int i = 0; i < 60000; i++) {
		if (__atomic_load_n(&rd->reads, __ATOMIC_ACQUIRE) > n)
			return true;
		nanosleep(&ts, NULL);
	}
	return false;
}

static void test_concurrent_events(void **state)
{
	struct exotic_region_params p = {
		.kind = EXOTIC_KIND_COMPOUND, .method = EXOTIC_MAP_FAULT,
		.length = 16 * PG, .order = 2,
	};
	struct exotic_device *dev;
	struct reader rd = { 0 };
	pthread_t thread;
	uint64_t epoch, last = 0;

	(void)state;
	dev = open_or_skip();
	assert_int_equal(exotic_region_new(dev, &p, &rd.r), 0);
	write_pattern(rd.r, 7);
	assert_int_equal(pthread_create(&thread, NULL, read_loop, &rd), 0);
	assert_true(reader_passed(&rd, 0));
	for (int i = 0; i < 200; i++) {
		uint64_t off = (uint64_t)(i % 4) * 4 * PG;

		/* the reader ends a pass between every 20 events */
		if (i && i % 20 == 0)
			assert_true(reader_passed(&rd, __atomic_load_n(&rd.reads,
								     __ATOMIC_ACQUIRE)));
		if (i % 2)
			assert_int_equal(exotic_region_migrate(rd.r, off, 4 * PG, &epoch), 0);
		else
			assert_int_equal(exotic_region_invalidate(rd.r, off, 4 * PG, &epoch), 0);
		assert_true(epoch > last);
		last = epoch;
	}
	rd.stop = true;
	pthread_join(thread, NULL);
	print_message("%llu passes of the reader during 200 events\n",
		      (unsigned long long)rd.reads);
	assert_true(rd.reads > 0);
	assert_int_equal(rd.bad, 0);
	assert_int_equal(check_pattern(rd.r, 7), 0);
	assert_null(exotic_region_unref(rd.r));
	exotic_device_unref(dev);
}

static void test_driver_refusals(void **state)
{
	struct exotic_region_params p = {
		.kind = EXOTIC_KIND_NONCOMPOUND, .method = EXOTIC_MAP_PAGE,
		.length = 4 * PG, .order = 2,
		.flags = EXOTIC_ALLOC_UNSAFE_DRIVER_BUG,
	};
	struct exotic_device *dev;
	struct exotic_region *r;

	(void)state;
	dev = open_or_skip();
	/* The unsafe flag needs unsafe_driver_bugs=1. */
	if (!unsafe_driver_bugs())
		assert_int_equal(exotic_region_new(dev, &p, &r), -EPERM);
	/* Not a multiple of the block. */
	p.flags = 0;
	p.method = EXOTIC_MAP_FAULT;
	p.length = 6 * PG;
	assert_int_equal(exotic_region_new(dev, &p, &r), -EINVAL);
	/* Migrate must cover whole blocks; invalidate need not. */
	p.length = 8 * PG;
	assert_int_equal(exotic_region_new(dev, &p, &r), 0);
	assert_int_equal(exotic_region_migrate(r, PG, PG, NULL), -EINVAL);
	assert_int_equal(exotic_region_migrate(r, 4 * PG, 4 * PG, NULL), 0);
	assert_int_equal(exotic_region_invalidate(r, PG, PG, NULL), 0);
	exotic_region_unref(r);
	/* Read-only: no PROT_WRITE, and the driver refuses a writable map. */
	p.flags = EXOTIC_ALLOC_READONLY;
	p.prot = 0;
	assert_int_equal(exotic_region_new(dev, &p, &r), 0);
	assert_int_equal(exotic_region_prot(r), PROT_READ);
	assert_int_equal(exotic_region_unmap(r), 0);
	assert_int_equal(exotic_region_map(r, PROT_READ | PROT_WRITE), -EACCES);
	assert_int_equal(exotic_region_map(r, PROT_READ), 0);
	exotic_region_unref(r);
	exotic_device_unref(dev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_discovery, restore_module),
		cmocka_unit_test_teardown(test_module_cycle, restore_module),
		cmocka_unit_test_teardown(test_module_by_path, restore_module),
		cmocka_unit_test_setup_teardown(test_every_kind_and_method,
						long_quarantine, restore_quarantine),
		cmocka_unit_test(test_every_mapping_revoked),
		cmocka_unit_test(test_concurrent_events),
		cmocka_unit_test(test_driver_refusals),
	};

	return cmocka_run_group_tests_name("lib", tests, group_setup, group_teardown);
}
