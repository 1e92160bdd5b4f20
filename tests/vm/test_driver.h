/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the driver suites (tests/vm/test_driver*.c).  They use
 * the raw uapi and check PFN facts through /proc/self/pagemap,
 * /proc/kpageflags, /proc/kpagecount and /proc/iomem, independently of the
 * driver's own answers, and judge the refcounts the driver reports with the
 * library's refcount judge (pageref.h), as the storm and scenarios do.
 */
#ifndef TEST_DRIVER_H
#define TEST_DRIVER_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "exotic_uapi.h"
#include "../../libexotic/pageref.h"
#include "sysfs.h"
#include "vm_env.h"

#define PG		4096UL
#define HUGE		(2UL << 20)

/* /proc/kpageflags bits (include/uapi/linux/kernel-page-flags.h) */
#define KPF_COMPOUND_HEAD	15
#define KPF_COMPOUND_TAIL	16
#define KPF_NOPAGE		20
#define KPF_RESERVED		32

#define PM_PRESENT	(1ULL << 63)
#define PM_PFN_MASK	((1ULL << 55) - 1)

/* A region a table-driven driver test allocates: one row of its table. */
struct region_case {
	const char *name;
	uint32_t kind, method, order;
	uint64_t length;
};

static inline int dev_open(void)
{
	return open("/dev/exotic", O_RDWR | O_CLOEXEC);
}

/* Open the device or skip the test, explicitly. */
#define DEV_OPEN_OR_SKIP(fd)						\
	do {								\
		(fd) = dev_open();					\
		if ((fd) < 0) {						\
			vm_env_need(0, "# no /dev/exotic: %s\n",	\
				    strerror(errno));			\
		}							\
	} while (0)

static inline int xioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

static inline int ex_alloc(int fd, uint32_t kind, uint32_t method,
			   uint64_t length, uint32_t order, uint32_t flags,
			   struct exotic_alloc *out)
{
	struct exotic_alloc a = {
		.kind = kind, .method = method, .length = length, .order = order, .flags = flags,
	};
	int ret = xioctl(fd, EXOTIC_IOC_ALLOC, &a);

	if (out)
		*out = a;
	return ret;
}

static inline int ex_event(int fd, unsigned long cmd, uint32_t handle,
			   uint64_t offset, uint64_t length, uint64_t *epoch)
{
	struct exotic_event ev = { .handle = handle, .offset = offset, .length = length };
	int ret = xioctl(fd, cmd, &ev);

	if (epoch)
		*epoch = ev.epoch;
	return ret;
}

static inline int ex_info(int fd, uint32_t handle, struct exotic_region_info *i)
{
	memset(i, 0, sizeof(*i));
	i->handle = handle;
	return xioctl(fd, EXOTIC_IOC_INFO, i);
}

static inline int ex_version(int fd, struct exotic_version *v)
{
	memset(v, 0, sizeof(*v));
	return xioctl(fd, EXOTIC_IOC_VERSION, v);
}

/* Returns the number of entries written, or -errno. */
static inline long ex_query(int fd, uint32_t handle, uint32_t flags,
			    uint64_t offset, struct exotic_page *pages,
			    uint64_t count)
{
	struct exotic_query q = {
		.handle = handle, .flags = flags, .offset = offset, .count = count,
		.pages = (uintptr_t)pages,
	};
	int ret = xioctl(fd, EXOTIC_IOC_QUERY, &q);

	return ret ? ret : (long)q.count;
}

static inline void *ex_map(int fd, uint64_t offset, size_t len, int prot)
{
	void *p = mmap(NULL, len, prot, MAP_SHARED, fd, (off_t)offset);

	return p == MAP_FAILED ? NULL : p;
}

/* --------------------------------------------------------------- /proc */

static inline uint64_t pagemap_entry(const void *addr)
{
	uint64_t e = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &e, sizeof(e),
			       ((uintptr_t)addr / PG) * sizeof(e)), sizeof(e));
	close(fd);
	return e;
}

/* PFN behind addr, or 0 when not present. */
static inline uint64_t pagemap_pfn(const void *addr)
{
	uint64_t e = pagemap_entry(addr);

	return (e & PM_PRESENT) ? (e & PM_PFN_MASK) : 0;
}

/* pread() of pfn's word of a /proc/kpage* file into *word. */
static inline ssize_t proc_pfn_word(const char *path, uint64_t pfn, uint64_t *word)
{
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	n = pread(fd, word, sizeof(*word), pfn * sizeof(*word));
	close(fd);
	return n;
}

/*
 * /proc/kpageflags word for pfn; sets *beyond when the file ends before pfn
 * (a PFN above max_pfn: no struct page).
 */
static inline uint64_t kpageflags(uint64_t pfn, bool *beyond)
{
	uint64_t flags = 0;
	ssize_t n = proc_pfn_word("/proc/kpageflags", pfn, &flags);

	assert_true(n == 0 || n == sizeof(flags));
	if (beyond)
		*beyond = n == 0;
	return flags;
}

static inline int64_t kpagecount(uint64_t pfn)
{
	uint64_t count = 0;

	return proc_pfn_word("/proc/kpagecount", pfn, &count) == sizeof(count) ?
	       (int64_t)count : -1;
}

/*
 * Is [phys, phys + len) inside (within) or overlapping (!within) a
 * /proc/iomem line named name?
 */
static inline bool iomem_match(const char *name, uint64_t phys, uint64_t len, bool within)
{
	char line[256];
	bool found = false;
	FILE *f = fopen("/proc/iomem", "r");

	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		unsigned long long start, end;
		char *colon = strchr(line, ':');

		if (!colon || sscanf(line, " %llx-%llx", &start, &end) != 2 ||
		    !strstr(colon, name))
			continue;
		if (within ? phys >= start && phys + len - 1 <= end :
			     phys <= end && phys + len - 1 >= start)
			found = true;
	}
	fclose(f);
	return found;
}

/* Is [phys, phys + len) inside a /proc/iomem line named name? */
static inline bool iomem_contains(const char *name, uint64_t phys, uint64_t len)
{
	return iomem_match(name, phys, len, true);
}

/* Does [phys, phys + len) overlap any System RAM line of /proc/iomem? */
static inline bool iomem_overlaps_ram(uint64_t phys, uint64_t len)
{
	return iomem_match("System RAM", phys, len, false);
}

/* ----------------------------------------------------------- signals */

static sigjmp_buf probe_env;
static volatile sig_atomic_t probe_sig;

static inline void probe_handler(int sig)
{
	probe_sig = sig;
	siglongjmp(probe_env, 1);
}

/* Touch addr; returns 0, SIGBUS or SIGSEGV. */
static inline int probe_access(volatile uint64_t *addr, bool write)
{
	struct sigaction sa, obus, osegv;
	int ret = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = probe_handler;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, &obus);
	sigaction(SIGSEGV, &sa, &osegv);
	probe_sig = 0;
	if (sigsetjmp(probe_env, 1) == 0) {
		if (write)
			*addr = 0x5a5a5a5a5a5a5a5aULL;
		else
			(void)*addr;
	} else {
		ret = probe_sig;
	}
	sigaction(SIGBUS, &obus, NULL);
	sigaction(SIGSEGV, &osegv, NULL);
	return ret;
}

/* ----------------------------------------------------------- patterns */

static inline uint64_t pattern(uint64_t seed, uint64_t off)
{
	uint64_t x = seed ^ (off * 0x9e3779b97f4a7c15ULL);

	x ^= x >> 31;
	return x * 0xbf58476d1ce4e5b9ULL;
}

static inline void fill(void *p, size_t len, uint64_t seed)
{
	volatile uint64_t *w = p;
	size_t i;

	for (i = 0; i < len / 8; i++)
		w[i] = pattern(seed, i * 8);
}

/* Returns the byte offset of the first mismatch, or -1. */
static inline long verify(const void *p, size_t len, uint64_t seed)
{
	const volatile uint64_t *w = p;
	size_t i;

	for (i = 0; i < len / 8; i++)
		if (w[i] != pattern(seed, i * 8))
			return (long)(i * 8);
	return -1;
}

/* A read-write shared mapping of [offset, +len), filled from seed. */
static inline void *ex_map_filled(int fd, uint64_t offset, size_t len, uint64_t seed)
{
	void *p = ex_map(fd, offset, len, PROT_READ | PROT_WRITE);

	assert_non_null(p);
	fill(p, len, seed);
	return p;
}

/* ------------------------------------------------------------ sysfs */

/* quarantine_ms as a suite found it: saved by its group setup, put back by
 * its group teardown and by the tests that shorten it */
static char saved_quarantine[32] __attribute__((unused));

static inline void quarantine_save(void)
{
	if (param_read("quarantine_ms", saved_quarantine, sizeof(saved_quarantine)))
		saved_quarantine[0] = 0;
}

static inline void quarantine_restore(void)
{
	if (saved_quarantine[0])
		param_write("quarantine_ms", saved_quarantine);
}

/* A suite that changes the driver's parameters leaves them as it found
 * them: quarantine_ms saved and restored, injections off at the end. */
static inline int driver_group_setup(void **state)
{
	(void)state;
	quarantine_save();
	return 0;
}

static inline int driver_group_teardown(void **state)
{
	(void)state;
	quarantine_restore();
	param_write("inject_bug", "none");
	param_write("inject_alloc_fail", "0");
	return 0;
}

/* ------------------------------------------------ unsafe combinations */

/*
 * Does the driver admit kind x method only with EXOTIC_ALLOC_UNSAFE_DRIVER_BUG?
 * Before 6.12 a PMD has no special bit: GUP-fast takes a huge PFN mapping
 * for a THP, which only a real folio (the compound kind) survives: over a
 * non-compound block the tails' refcounts underflow, over a PFN without
 * struct page it oopses.  So huge mappings of every other kind are unsafe
 * by construction.  CPU access through them is fine; the suites never pin
 * them (no KVM, O_DIRECT or vmsplice on such a mapping).
 */
static inline bool needs_unsafe(uint32_t kind, uint32_t method)
{
	return kind != EXOTIC_KIND_COMPOUND && method == EXOTIC_MAP_HUGE &&
	       kernel_older_than(6, 12);
}

/*
 * ex_alloc() with EXOTIC_ALLOC_UNSAFE_DRIVER_BUG added and unsafe_driver_bugs=1
 * for just this call (the driver reads both at ALLOC only); the parameter is
 * restored before returning.
 */
static inline int ex_alloc_unsafe(int fd, uint32_t kind, uint32_t method,
				  uint64_t length, uint32_t order, uint32_t flags,
				  struct exotic_alloc *out)
{
	char saved[16];
	int ret;

	assert_int_equal(param_read("unsafe_driver_bugs", saved, sizeof(saved)), 0);
	assert_int_equal(param_write("unsafe_driver_bugs", "1"), 0);
	ret = ex_alloc(fd, kind, method, length, order,
		       flags | EXOTIC_ALLOC_UNSAFE_DRIVER_BUG, out);
	assert_int_equal(param_write("unsafe_driver_bugs", saved), 0);
	return ret;
}

/*
 * ex_alloc() for a combination that may be unsafe on this kernel: then the
 * plain request must be refused with EINVAL, the flag without the parameter
 * with EPERM, and the allocation is made with the flag and the parameter.
 * out->flags tells which flags the region got.
 */
static inline int ex_alloc_any(int fd, uint32_t kind, uint32_t method,
			       uint64_t length, uint32_t order, uint32_t flags,
			       struct exotic_alloc *out)
{
	char saved[16];
	int ret;

	if (!needs_unsafe(kind, method))
		return ex_alloc(fd, kind, method, length, order, flags, out);
	assert_int_equal(ex_alloc(fd, kind, method, length, order, flags, NULL),
			 -EINVAL);
	assert_int_equal(param_read("unsafe_driver_bugs", saved, sizeof(saved)), 0);
	assert_int_equal(param_write("unsafe_driver_bugs", "0"), 0);
	ret = ex_alloc(fd, kind, method, length, order,
		       flags | EXOTIC_ALLOC_UNSAFE_DRIVER_BUG, NULL);
	assert_int_equal(param_write("unsafe_driver_bugs", saved), 0);
	assert_int_equal(ret, -EPERM);
	return ex_alloc_unsafe(fd, kind, method, length, order, flags, out);
}

static inline void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* The region's info once nothing of it is in quarantine, or after 10 s. */
static inline void wait_unquarantined(int fd, uint32_t handle, struct exotic_region_info *info)
{
	for (int i = 0; i < 500; i++) {
		assert_int_equal(ex_info(fd, handle, info), 0);
		if (!info->quarantined)
			break;
		sleep_ms(20);
	}
}

/* Wait until the device holds no bytes (quarantine drained). */
static inline uint64_t wait_used_bytes(int fd, uint64_t target, unsigned int ms)
{
	struct exotic_version v;
	unsigned int waited = 0;

	for (;;) {
		assert_int_equal(ex_version(fd, &v), 0);
		if (v.used_bytes == target || waited >= ms)
			return v.used_bytes;
		sleep_ms(20);
		waited += 20;
	}
}

#endif /* TEST_DRIVER_H */
