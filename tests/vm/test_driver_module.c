// SPDX-License-Identifier: GPL-2.0
/*
 * Guest suite: module lifetime.  Everything is released on close (counters
 * and free memory back to baseline), the module cannot go while a file or a
 * mapping is alive, load/unload 100 times, the carve-out is optional and
 * checked at load.  The module is reloaded with its original parameters
 * (EXOTIC_MODULE_PARAMS) at the end.
 */
#include <sys/stat.h>

#include "test_driver.h"

static char params[512];

static int run(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int status;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	status = system(cmd);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static bool loaded(void)
{
	struct stat st;

	return stat("/sys/module/exotic", &st) == 0;
}

static int load(const char *extra)
{
	return run("modprobe exotic %s %s", params, extra ? extra : "");
}

static int unload(void)
{
	return run("modprobe -r exotic 2>/dev/null");
}

static int group_setup(void **state)
{
	const char *p = getenv("EXOTIC_MODULE_PARAMS");

	(void)state;
	snprintf(params, sizeof(params), "%s", p ? p : "");
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	if (loaded())
		unload();
	return load(NULL);
}

/* The module is ours to reload: loaded now, and modprobe knows it. */
static void require_module(void)
{
	vm_env_need(loaded() && !access("/dev/exotic", F_OK), "# exotic.ko not loaded\n");
}

static long meminfo(const char *key)
{
	char line[128];
	long val = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)) && line[strlen(key)] == ':')
			val = strtol(line + strlen(key) + 1, NULL, 10);
	fclose(f);
	return val;
}

/*
 * Free memory in kB: MemFree plus the pages on the per-CPU free lists
 * (the "count:" lines of /proc/zoneinfo), which MemFree leaves out.  Since
 * 6.7 ("mm: tune PCP high automatically") those lists grow under a
 * free-heavy load to tens of MiB, enough to hide a whole workload's freed
 * pages from MemFree (seen on 7.3: 32 MiB, test_unload_with_quarantine).
 */
static long free_kb(void)
{
	char line[128];
	long pcp = 0, n;
	FILE *f = fopen("/proc/zoneinfo", "r");

	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, " count: %ld", &n) == 1)
			pcp += n;
	fclose(f);
	return meminfo("MemFree") + pcp * (sysconf(_SC_PAGESIZE) / 1024);
}

static long settle_memfree(void)
{
	run("sync; echo 3 > /proc/sys/vm/drop_caches; echo 1 > /proc/sys/vm/compact_memory 2>/dev/null");
	sleep_ms(200);
	return free_kb();
}

static unsigned int debugfs_regions(void)
{
	char line[256];
	unsigned int n = 0;
	FILE *f = fopen("/sys/kernel/debug/exotic/regions", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		n++;
	fclose(f);
	return n >= 2 ? n - 2 : 0;	/* two header lines */
}

struct leftover {
	void *map;
	size_t len;
};

static struct leftover left[32];
static unsigned int nr_left;

static void drop_leftovers(void)
{
	while (nr_left) {
		nr_left--;
		munmap(left[nr_left].map, left[nr_left].len);
	}
}

static void workload(int fd, bool carveout, uint64_t *bytes)
{
	static const struct { uint32_t kind, method, order; uint64_t len; } w[] = {
		{ EXOTIC_KIND_REFCOUNTED, EXOTIC_MAP_PAGE, 0, 4 << 20 },
		{ EXOTIC_KIND_REFCOUNTED, EXOTIC_MAP_REMAP, 0, 4 << 20 },
		{ EXOTIC_KIND_COMPOUND, EXOTIC_MAP_PAGE, 3, 4 << 20 },
		{ EXOTIC_KIND_COMPOUND, EXOTIC_MAP_HUGE, 9, 8 << 20 },
		{ EXOTIC_KIND_NONCOMPOUND, EXOTIC_MAP_MIXED, 4, 8 << 20 },
		{ EXOTIC_KIND_NONCOMPOUND, EXOTIC_MAP_HUGE, 9, 8 << 20 },
		{ EXOTIC_KIND_RESERVED, EXOTIC_MAP_FAULT, 2, 8 << 20 },
		{ EXOTIC_KIND_RESERVED, EXOTIC_MAP_PAGE, 0, 4 << 20 },
		{ EXOTIC_KIND_CARVEOUT, EXOTIC_MAP_HUGE, 9, 8 << 20 },
		{ EXOTIC_KIND_CARVEOUT, EXOTIC_MAP_FAULT, 0, 4 << 20 },
	};
	unsigned int i;

	for (i = 0; i < sizeof(w) / sizeof(w[0]); i++) {
		struct exotic_alloc a;
		uint8_t *m;

		if (w[i].kind == EXOTIC_KIND_CARVEOUT && !carveout)
			continue;
		/* carve-out x huge: with the unsafe flag before 6.12 */
		assert_int_equal(ex_alloc_any(fd, w[i].kind, w[i].method, w[i].len,
					      w[i].order, 0, &a), 0);
		/* RAM that stays allocated until close (revoked regions drain) */
		if (w[i].kind != EXOTIC_KIND_CARVEOUT && i % 3 != 1)
			*bytes += w[i].len;
		m = ex_map(fd, a.mmap_offset, w[i].len, PROT_READ | PROT_WRITE);
		assert_non_null(m);
		fill(m, w[i].len, i);
		/* events on some; leave mappings on others for close to find */
		switch (i % 3) {
		case 0:
			assert_int_equal(ex_event(fd, EXOTIC_IOC_MIGRATE, a.handle, 0, 0, NULL), 0);
			assert_int_equal(verify(m, w[i].len, i), -1);
			munmap(m, w[i].len);
			break;
		case 1:
			assert_int_equal(ex_event(fd, EXOTIC_IOC_REVOKE, a.handle, 0, 0, NULL), 0);
			munmap(m, w[i].len);
			break;
		default:
			/* still mapped when the file closes */
			left[nr_left].map = m;
			left[nr_left++].len = w[i].len;
			break;
		}
	}
}

/*
 * Three rounds of allocating, mapping, migrating, revoking and closing with
 * mappings still alive: the device counters and the debugfs region list go
 * back to zero each time.  Free memory is printed, not asserted: MemFree
 * alone wandered by up to ~30 MiB between rounds with nothing leaked (the
 * per-CPU free lists, counted by free_kb() now), while a leaked block type
 * costs 4 MiB a round.
 */
static void test_leak_check(void **state)
{
	struct exotic_version v;
	uint64_t round_bytes = 0;
	long before, after;
	bool carveout;
	int fd, fd2, round;

	(void)state;
	require_module();
	DEV_OPEN_OR_SKIP(fd);
	assert_int_equal(ex_version(fd, &v), 0);
	carveout = v.kinds & (1U << EXOTIC_KIND_CARVEOUT);
	assert_int_equal(wait_used_bytes(fd, 0, 10000), 0);
	close(fd);
	before = settle_memfree();

	for (round = 0; round < 3; round++) {
		uint64_t bytes = 0;

		fd = dev_open();
		fd2 = dev_open();
		assert_true(fd >= 0 && fd2 >= 0);
		workload(fd, carveout, &bytes);
		workload(fd2, carveout, &bytes);
		round_bytes = bytes;
		assert_int_equal(ex_version(fd, &v), 0);
		assert_true(v.used_bytes >= bytes);
		assert_true(debugfs_regions() >= 10);
		print_message("# round %d: free %ld kB before, %ld kB with %" PRIu64 " bytes of RAM regions\n",
			      round, before, free_kb(), bytes);
		assert_true(free_kb() < before - (long)(bytes >> 10) / 2);
		close(fd);
		close(fd2);
		/* the files live on in the mappings; unmapping releases them */
		drop_leftovers();

		fd = dev_open();
		assert_true(fd >= 0);
		/* quarantine drains, counters back to zero, no region left */
		assert_int_equal(wait_used_bytes(fd, 0, 10000), 0);
		close(fd);
		assert_int_equal(debugfs_regions(), 0);
	}
	after = settle_memfree();
	print_message("# free %ld kB after three rounds of %" PRIu64 " bytes\n",
		      after, round_bytes);
	print_message("# (free memory moved by %ld kB: not asserted, see above)\n", before - after);
}

/* Mappings kept after close hold the file; unmapping releases everything. */
static void test_mapping_outlives_fd(void **state)
{
	struct exotic_alloc a;
	uint64_t *m;
	int fd;

	(void)state;
	require_module();
	DEV_OPEN_OR_SKIP(fd);
	assert_int_equal(wait_used_bytes(fd, 0, 10000), 0);
	assert_int_equal(ex_alloc(fd, EXOTIC_KIND_NONCOMPOUND, EXOTIC_MAP_FAULT,
				  16 * PG, 2, 0, &a), 0);
	m = ex_map(fd, a.mmap_offset, 16 * PG, PROT_READ | PROT_WRITE);
	assert_non_null(m);
	close(fd);
	m[0] = 77;
	assert_int_equal(m[0], 77);
	/* the module is pinned by the mapping's file */
	assert_int_not_equal(unload(), 0);
	assert_true(loaded());
	munmap(m, 16 * PG);
	fd = dev_open();
	assert_true(fd >= 0);
	assert_int_equal(wait_used_bytes(fd, 0, 10000), 0);
	close(fd);
}

static void test_busy_while_open(void **state)
{
	int fd;

	(void)state;
	require_module();
	DEV_OPEN_OR_SKIP(fd);
	assert_int_not_equal(unload(), 0);
	assert_true(loaded());
	close(fd);
	assert_int_equal(unload(), 0);
	assert_false(loaded());
	assert_int_equal(access("/dev/exotic", F_OK), -1);
	assert_int_equal(load(NULL), 0);
	assert_true(loaded());
}

/* Everything the workload left is freed at close or unload. */
static void test_unload_with_quarantine(void **state)
{
	long before, after;
	uint64_t bytes = 0;
	int fd;

	(void)state;
	require_module();
	before = settle_memfree();
	assert_int_equal(param_write("quarantine_ms", "60000"), 0);
	DEV_OPEN_OR_SKIP(fd);
	workload(fd, false, &bytes);
	close(fd);
	drop_leftovers();
	/* quarantined for a minute: unload must free it all now */
	assert_int_equal(unload(), 0);
	after = settle_memfree();
	print_message("# free %ld kB before, %ld kB after unload (%" PRIu64 " bytes used)\n",
		      before, after, bytes);
	/* reload first, so that a failure here does not skip the tests after it */
	assert_int_equal(load(NULL), 0);
	/*
	 * Free memory moves by a few MiB on its own (page cache, slab); the
	 * quarantine held all of the workload, so a leak shows up as most of
	 * it missing.
	 */
	assert_true(bytes >= 16ULL << 20);
	assert_true(after > before - (long)(bytes / 1024 / 2));
}

static void test_reload_loop(void **state)
{
	struct exotic_version v;
	struct exotic_alloc a;
	int i, fd;

	(void)state;
	require_module();
	for (i = 0; i < 100; i++) {
		assert_int_equal(unload(), 0);
		assert_int_equal(load(NULL), 0);
		fd = dev_open();
		assert_true(fd >= 0);
		/* (used_bytes of a module just loaded is 0 by construction:
		 * not asserted) */
		assert_int_equal(ex_version(fd, &v), 0);
		/* leave something behind for the next unload */
		assert_int_equal(ex_alloc(fd, i % 2 ? EXOTIC_KIND_RESERVED : EXOTIC_KIND_NONCOMPOUND,
					  EXOTIC_MAP_FAULT, 16 * PG, 2, 0, &a), 0);
		assert_int_equal(ex_event(fd, EXOTIC_IOC_REVOKE, a.handle, 0, 0, NULL), 0);
		close(fd);
	}
}

static void test_no_carveout(void **state)
{
	struct exotic_version v;
	int fd;

	(void)state;
	require_module();
	assert_int_equal(unload(), 0);
	assert_int_equal(run("modprobe exotic"), 0);
	fd = dev_open();
	assert_true(fd >= 0);
	assert_int_equal(ex_version(fd, &v), 0);
	assert_false(v.kinds & (1U << EXOTIC_KIND_CARVEOUT));
	assert_int_equal(v.carveout_base, 0);
	assert_int_equal(ex_alloc(fd, EXOTIC_KIND_CARVEOUT, EXOTIC_MAP_FAULT, PG, 0, 0, NULL),
			 -ENODEV);
	/* no carve-out comes before the combination's own checks */
	assert_int_equal(ex_alloc(fd, EXOTIC_KIND_CARVEOUT, EXOTIC_MAP_HUGE, HUGE, 9, 0, NULL),
			 -ENODEV);
	close(fd);
	assert_int_equal(unload(), 0);
	assert_int_equal(load(NULL), 0);
}

/*
 * A top-level "Reserved" range of /proc/iomem that the firmware reserved
 * (a BIOS ROM, an HT hole), not the memmap= carve-out, with nothing
 * claimed inside it (so that only the driver's own check can refuse it);
 * page-aligned, at most 16 MiB of it.  False if there is none.
 */
static bool firmware_reserved(unsigned long long *base, unsigned long long *size)
{
	unsigned long long carve = getenv("EXOTIC_CARVEOUT_BASE") ?
				   strtoull(getenv("EXOTIC_CARVEOUT_BASE"), NULL, 0) : 0;
	unsigned long long s, e, cs = 0, ce = 0;
	char line[256], name[128];
	bool cand = false, found = false;
	FILE *f = fopen("/proc/iomem", "r");

	assert_non_null(f);
	while (!found && fgets(line, sizeof(line), f)) {
		if (line[0] == ' ') {
			cand = false;	/* something inside it is claimed */
			continue;
		}
		if (cand)
			found = true;
		cand = false;
		if (found ||
		    sscanf(line, "%llx-%llx : %127[^\n]", &s, &e, name) != 3 ||
		    strcmp(name, "Reserved") || s == carve)
			continue;
		s = (s + PG - 1) & ~(unsigned long long)(PG - 1);
		if (e + 1 < s + 16 * PG)
			continue;
		cs = s;
		ce = e + 1;
		cand = true;
	}
	fclose(f);
	found |= cand;
	if (found) {
		*base = cs;
		*size = (ce - cs) & ~(unsigned long long)(PG - 1);
		if (*size > 16ULL << 20)
			*size = 16ULL << 20;
	}
	return found;
}

/* The carve-out parameters are checked: RAM, misalignment, half-given. */
static void test_bad_carveout(void **state)
{
	unsigned long long fw_base = 0, fw_size = 0;

	(void)state;
	require_module();
	assert_int_equal(unload(), 0);
	/* 16 MiB at 16 MiB is System RAM */
	assert_int_not_equal(run("modprobe exotic carveout_base=0x1000000 carveout_size=0x1000000 2>/dev/null"), 0);
	assert_false(loaded());
	assert_int_not_equal(run("modprobe exotic carveout_base=0x70000100 carveout_size=0x1000000 2>/dev/null"), 0);
	/* not RAM, but not a memmap= range either: the PCI window */
	assert_int_not_equal(run("modprobe exotic carveout_base=0xc0000000 carveout_size=0x1000000 2>/dev/null"), 0);
	assert_false(loaded());
	/* a carve-out that runs past the memmap= range */
	if (getenv("EXOTIC_CARVEOUT_BASE") && getenv("EXOTIC_CARVEOUT_SIZE"))
		assert_int_not_equal(run("modprobe exotic carveout_base=%#llx carveout_size=%#llx 2>/dev/null",
					 strtoull(getenv("EXOTIC_CARVEOUT_BASE"), NULL, 0),
					 strtoull(getenv("EXOTIC_CARVEOUT_SIZE"), NULL, 0) + 0x200000ULL), 0);
	assert_int_not_equal(run("modprobe exotic carveout_size=0x1000000 2>/dev/null"), 0);
	assert_false(loaded());
	/*
	 * reserved, but by the firmware, not by memmap=: the firmware's own
	 * map does not call it RAM (on q35, the BIOS ROM below 4 GiB)
	 */
	assert_true(firmware_reserved(&fw_base, &fw_size));
	print_message("# firmware-reserved %#llx+%#llx\n", fw_base, fw_size);
	if (kernel_older_than(6, 19)) {
		assert_int_not_equal(run("modprobe exotic carveout_base=%#llx carveout_size=%#llx 2>/dev/null",
					 fw_base, fw_size), 0);
		assert_false(loaded());
	} else {
		/*
		 * The firmware's e820 table is exported to KVM only
		 * (driver/compat.h): a firmware-reserved range that is one
		 * resource passes.  The known limit, pinned down here.
		 */
		print_message("# no firmware e820 for modules on this kernel: the driver cannot tell\n");
		assert_int_equal(run("modprobe exotic carveout_base=%#llx carveout_size=%#llx 2>/dev/null",
				     fw_base, fw_size), 0);
		assert_int_equal(unload(), 0);
	}
	assert_int_equal(load(NULL), 0);
	/* claimed: a second claim of the same range would fail */
	if (getenv("EXOTIC_CARVEOUT_BASE"))
		assert_true(iomem_contains("exotic carve-out",
					   strtoull(getenv("EXOTIC_CARVEOUT_BASE"), NULL, 0), PG));
}

static bool debugfs_dir_exists(void)
{
	struct stat st;

	return stat("/sys/kernel/debug/exotic", &st) == 0;
}

/*
 * Module load failing at each step after the parameter checks
 * (inject_load_fail=N) leaves nothing behind: no module, no claimed
 * carve-out, no debugfs directory, and the next load works.
 */
static void test_load_failures(void **state)
{
	bool carveout = getenv("EXOTIC_CARVEOUT_BASE") != NULL;
	unsigned int step;
	char extra[96];

	(void)state;
	require_module();
	assert_int_equal(unload(), 0);
	for (step = 1; step <= 7; step++) {
		bool needs_carveout = step >= 2 && step <= 6;

		if (needs_carveout && !carveout)
			continue;
		snprintf(extra, sizeof(extra), "%sinject_load_fail=%u 2>/dev/null",
			 step == 3 ? "carveout_zone_device=1 " : "", step);
		if (load(extra) == 0) {
			print_message("# step %u: the load did not fail\n", step);
			fail();
		}
		assert_false(loaded());
		assert_false(debugfs_dir_exists());
		if (carveout)
			assert_false(iomem_contains("exotic carve-out",
						    strtoull(getenv("EXOTIC_CARVEOUT_BASE"), NULL, 0), PG));
		/* and a load right after works, and unloads */
		assert_int_equal(load(NULL), 0);
		assert_true(loaded());
		assert_int_equal(unload(), 0);
	}
	assert_int_equal(load(NULL), 0);
}

/* Pages of the zone named zone in /proc/zoneinfo ("spanned"), 0 if none. */
static long zone_spanned(const char *zone)
{
	char line[256];
	bool in = false;
	long spanned = 0;
	FILE *f = fopen("/proc/zoneinfo", "r");

	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		char name[32];

		if (sscanf(line, "Node %*d, zone %31s", name) == 1)
			in = !strcmp(name, zone);
		else if (in && sscanf(line, " spanned %ld", &spanned) == 1)
			in = false;
	}
	fclose(f);
	return spanned;
}

/* carveout_zone_device=1: the carve-out's PFNs get ZONE_DEVICE struct pages. */
static void test_zone_device(void **state)
{
	const uint32_t methods[] = { EXOTIC_MAP_FAULT, EXOTIC_MAP_MIXED,
				     EXOTIC_MAP_REMAP, EXOTIC_MAP_HUGE };
	struct exotic_version v;
	unsigned int m;
	int fd;

	(void)state;
	require_module();
	vm_env_need(getenv("EXOTIC_CARVEOUT_BASE"), "# no carve-out configured\n");
	assert_int_equal(unload(), 0);
	assert_int_equal(load("carveout_zone_device=1"), 0);
	/* the kernel now has a device zone spanning the carve-out */
	assert_true(zone_spanned("Device") >= (long)(strtoull(getenv("EXOTIC_CARVEOUT_SIZE"), NULL, 0) / PG));
	fd = dev_open();
	assert_true(fd >= 0);
	assert_int_equal(ex_version(fd, &v), 0);
	assert_true(v.kinds & (1U << EXOTIC_KIND_CARVEOUT));
	for (m = 0; m < 4; m++) {
		size_t len = methods[m] == EXOTIC_MAP_HUGE ? 2 * HUGE : 16 * PG;
		unsigned long n = len / PG, i;
		struct exotic_page *p = calloc(n, sizeof(*p));
		struct exotic_alloc a;
		uint8_t *map;

		assert_non_null(p);
		/*
		 * Huge: still refused without the unsafe flag before 6.12.
		 * ZONE_DEVICE pages are no THP either: GUP-fast on such a
		 * PMD is no safer than without struct pages.
		 */
		assert_int_equal(ex_alloc_any(fd, EXOTIC_KIND_CARVEOUT, methods[m], len, 0, 0, &a), 0);
		map = ex_map(fd, a.mmap_offset, len, PROT_READ | PROT_WRITE);
		assert_non_null(map);
		fill(map, len, m);
		assert_int_equal(ex_query(fd, a.handle, 0, 0, p, n), n);
		for (i = 0; i < n; i++) {
			assert_true(p[i].flags & EXOTIC_PAGE_HAS_STRUCT);
			assert_true(p[i].flags & EXOTIC_PAGE_RESERVED);
			assert_int_equal(p[i].refcount, 1);
			assert_int_equal(p[i].mapcount, 0);
			assert_true(iomem_contains("exotic carve-out", p[i].pfn * PG, PG));
		}
		assert_int_equal(ex_event(fd, EXOTIC_IOC_MIGRATE, a.handle, 0, 0, NULL), 0);
		assert_int_equal(verify(map, len, m), -1);
		assert_int_equal(ex_event(fd, EXOTIC_IOC_REVOKE, a.handle, 0, 0, NULL), 0);
		assert_int_equal(probe_access((volatile uint64_t *)map, false), SIGBUS);
		munmap(map, len);
		free(p);
	}
	assert_int_equal(ex_alloc(fd, EXOTIC_KIND_CARVEOUT, EXOTIC_MAP_PAGE, PG, 0, 0, NULL), -EINVAL);
	close(fd);
	/* memunmap_pages() at unload: the struct pages go away again */
	assert_int_equal(unload(), 0);
	assert_int_equal(load(NULL), 0);
	fd = dev_open();
	assert_true(fd >= 0);
	{
		struct exotic_page p;
		struct exotic_alloc a;

		assert_int_equal(ex_alloc(fd, EXOTIC_KIND_CARVEOUT, EXOTIC_MAP_FAULT, PG, 0, 0, &a), 0);
		assert_int_equal(ex_query(fd, a.handle, 0, 0, &p, 1), 1);
		assert_false(p.flags & EXOTIC_PAGE_HAS_STRUCT);
		assert_int_equal(p.refcount, -1);
	}
	close(fd);
}

static void test_node_mode(void **state)
{
	struct stat st;

	(void)state;
	require_module();
	assert_int_equal(stat("/dev/exotic", &st), 0);
	assert_true(S_ISCHR(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_node_mode),
		cmocka_unit_test(test_leak_check),
		cmocka_unit_test(test_mapping_outlives_fd),
		cmocka_unit_test(test_busy_while_open),
		cmocka_unit_test(test_unload_with_quarantine),
		cmocka_unit_test(test_no_carveout),
		cmocka_unit_test(test_bad_carveout),
		cmocka_unit_test(test_load_failures),
		cmocka_unit_test(test_zone_device),
		cmocka_unit_test(test_reload_loop),
	};

	return cmocka_run_group_tests_name("driver_module", tests, group_setup,
					   group_teardown);
}
