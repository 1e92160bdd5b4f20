// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * exotic-fuzz's probes (probe.h).  Each opens a file of its own, makes its
 * region there, checks one promise and closes the file, which frees what
 * an early return left.  A probe whose set-up is refused (a kind this
 * kernel or driver does not map so, no room, a race lost) gives no
 * verdict rather than a wrong one.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>

#ifndef FUZZ_REPRO
#include "exotic_uapi.h"
#include "../../libexotic/pageref.h"
#include "probe.h"
#endif

#define P_PG		4096ULL
#define P_HUGE		(2ULL << 20)
#define P_WORD		64		/* the byte of a page the probes use */
#define P_RACE_ROUNDS	4
#define P_RACE_EVENTS	8	/* MIGRATEs per round, then a REVOKE */
#define P_RACE_MAPS	64
#define P_KILL_BYTES	(192ULL << 20)	/* a MIGRATE of seconds in the test VM */

static const char *const probe_names[PROBE_MODES] = {
	[PROBE_REVOKE] = "revoke", [PROBE_MIGRATE] = "migrate",
	[PROBE_REZAP] = "rezap", [PROBE_PIN_QUERY] = "pin-query",
	[PROBE_NOPRIV] = "nopriv", [PROBE_MMAP_RACE] = "mmap-race",
	[PROBE_GUP_HUGE] = "gup-huge", [PROBE_KILL] = "kill",
	[PROBE_FILE_CAP] = "file-cap",
};

const char *fuzz_probe_name(unsigned int mode)
{
	return mode < PROBE_MODES ? probe_names[mode] : NULL;
}

struct probe {
	const struct fuzz_probe_env *env;
	int fd;
	struct exotic_alloc a;
	uint8_t *map;
	char *msg;
	size_t len;
};

/* The verdict v, with what was found or why there is none in msg. */
__attribute__((format(printf, 3, 4)))
static enum fuzz_probe_verdict say(struct probe *p, enum fuzz_probe_verdict v,
				   const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->msg, p->len, fmt, ap);
	va_end(ap);
	return v;
}

#define found(p, ...)		say(p, PROBE_FOUND, __VA_ARGS__)
#define no_verdict(p, ...)	say(p, PROBE_SKIPPED, __VA_ARGS__)

static uint64_t p_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void p_sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static uint64_t stamp(uint64_t seed, uint64_t page, uint64_t gen)
{
	return (seed * 0x9e3779b97f4a7c15ULL) ^ (page << 16) ^ (gen << 8) ^ 0x5a;
}

static int p_event(int fd, unsigned long cmd, uint32_t handle)
{
	struct exotic_event ev = { .handle = handle };

	return ioctl(fd, cmd, &ev) ? -errno : 0;
}

static int p_info(int fd, uint32_t handle, struct exotic_region_info *info)
{
	memset(info, 0, sizeof(*info));
	info->handle = handle;
	return ioctl(fd, EXOTIC_IOC_INFO, info) ? -errno : 0;
}

static int p_version(int fd, struct exotic_version *v)
{
	memset(v, 0, sizeof(*v));
	return ioctl(fd, EXOTIC_IOC_VERSION, v) ? -errno : 0;
}

/* ALLOC on fd: order 0 for REFCOUNTED, 9 for HUGE, else 2. */
static int p_alloc_on(int fd, struct exotic_alloc *a, uint32_t kind, uint32_t method,
		      uint64_t len, uint32_t flags)
{
	memset(a, 0, sizeof(*a));
	a->kind = kind;
	a->method = method;
	a->order = method == EXOTIC_MAP_HUGE ? 9 : kind == EXOTIC_KIND_REFCOUNTED ? 0 : 2;
	a->flags = flags;
	a->length = len ? len : 2 * (P_PG << a->order);
	if (a->length < 8 * P_PG)
		a->length = 8 * P_PG;
	return ioctl(fd, EXOTIC_IOC_ALLOC, a) ? -errno : 0;
}

/* The probe's own file, and a region on it (len 0: two blocks, 8 pages at least). */
static int p_alloc(struct probe *p, uint32_t kind, uint32_t method, uint64_t len)
{
	p->fd = open(p->env->dev, O_RDWR | O_CLOEXEC);
	if (p->fd < 0)
		return -errno;
	return p_alloc_on(p->fd, &p->a, kind, method, len, 0);
}

/* mmap() of the device, through the environment's map() if it has one */
static void *p_mmap(const struct fuzz_probe_env *env, void *addr, size_t len, int prot,
		    int flags, int fd, uint64_t off)
{
	if (env->map)
		return env->map(env->ctx, addr, len, prot, flags, fd, (long long)off);
	return mmap(addr, len, prot, flags, fd, (off_t)off);
}

/* Map a region shared; HUGE on a 2 MiB boundary, where its PMDs fit. */
static uint8_t *p_map(const struct probe *p, int prot)
{
	const struct exotic_alloc *a = &p->a;
	uint8_t *res, *at;
	void *m;

	if (a->method != EXOTIC_MAP_HUGE) {
		m = p_mmap(p->env, NULL, a->length, prot, MAP_SHARED, p->fd, a->mmap_offset);
		return m == MAP_FAILED ? NULL : m;
	}
	res = mmap(NULL, a->length + P_HUGE, PROT_NONE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (res == MAP_FAILED)
		return NULL;
	at = (uint8_t *)(((uintptr_t)res + P_HUGE - 1) & ~(uintptr_t)(P_HUGE - 1));
	if (at > res)
		munmap(res, (size_t)(at - res));
	munmap(at + a->length, (size_t)(res + P_HUGE - at));
	m = p_mmap(p->env, at, a->length, prot, MAP_SHARED | MAP_FIXED, p->fd, a->mmap_offset);
	/*
	 * Refused by the environment, the reservation is still ours.  Refused
	 * by the kernel or the driver, 6.1 has already unmapped it (later
	 * kernels put it back), and another thread's mmap() may have taken
	 * the hole: it is left as it is.
	 */
	if (m == MAP_FAILED && errno == EBUSY)
		munmap(at, a->length);
	return m == MAP_FAILED ? NULL : m;
}

static volatile uint64_t *word(uint8_t *map, uint64_t page)
{
	return (volatile uint64_t *)(map + page * P_PG + P_WORD);
}

static int p_read(const struct probe *p, uint8_t *map, uint64_t page, uint64_t *v)
{
	return p->env->access(word(map, page), false, v);
}

static int p_write(const struct probe *p, uint8_t *map, uint64_t page, uint64_t v)
{
	return p->env->access(word(map, page), true, &v);
}

/* Map the region read-write and write every page's stamp; 0 or -1. */
static int p_map_stamped(struct probe *p, uint64_t seed)
{
	p->map = p_map(p, PROT_READ | PROT_WRITE);
	if (!p->map)
		return -1;
	for (uint64_t i = 0; i < p->a.length / P_PG; i++)
		if (p_write(p, p->map, i, stamp(seed, i, 0)))
			return -1;
	return 0;
}

/* ------------------------------------------------------------ the probes */

/* REVOKE (FREE with an odd seed) returned: no page of the region reads. */
static enum fuzz_probe_verdict probe_revoke(struct probe *p, uint32_t kind,
					    uint32_t method, uint64_t seed)
{
	const char *ev = seed & 1 ? "FREE" : "REVOKE";
	uint64_t v;

	if (p_alloc(p, kind, method, 0) || p_map_stamped(p, seed) ||
	    p_event(p->fd, seed & 1 ? EXOTIC_IOC_FREE : EXOTIC_IOC_REVOKE, p->a.handle))
		return PROBE_SKIPPED;
	for (uint64_t i = 0; i < p->a.length / P_PG; i++)
		if (!p_read(p, p->map, i, &v))
			return found(p, "probe revoke: page %llu of a kind %u method %u region reads %s after %s returned, without a fault",
				     (unsigned long long)i, kind, method,
				     v == stamp(seed, i, 0) ? "its data" : "a value", ev);
	return PROBE_CLEAN;
}

/*
 * After MIGRATE a mapping made before it reads what was written before it,
 * and what it writes is what a mapping made after it reads: both map the
 * new blocks.
 */
static enum fuzz_probe_verdict probe_migrate(struct probe *p, uint32_t kind,
					     uint32_t method, uint64_t seed)
{
	uint64_t n, v, i;
	uint8_t *later;

	if (p_alloc(p, kind, method, 0) || p_map_stamped(p, seed) ||
	    p_event(p->fd, EXOTIC_IOC_MIGRATE, p->a.handle))
		return PROBE_SKIPPED;
	n = p->a.length / P_PG;
	for (i = 0; i < n; i++) {
		if (p_read(p, p->map, i, &v))
			return found(p, "probe migrate: page %llu of a live kind %u method %u region faults after MIGRATE",
				     (unsigned long long)i, kind, method);
		if (v == EXOTIC_POISON_MAGIC)
			return found(p, "probe migrate: page %llu of a kind %u method %u region reads a retired block's poison after MIGRATE (a PTE it left)",
				     (unsigned long long)i, kind, method);
		if (v != stamp(seed, i, 0))
			return found(p, "probe migrate: page %llu of a kind %u method %u region reads %#llx after MIGRATE, not the %#llx written before",
				     (unsigned long long)i, kind, method,
				     (unsigned long long)v, (unsigned long long)stamp(seed, i, 0));
		if (p_write(p, p->map, i, stamp(seed, i, 1)))
			return PROBE_SKIPPED;
	}
	later = p_map(p, PROT_READ);
	if (!later)
		return PROBE_SKIPPED;
	for (i = 0; i < n; i++)
		if (!p_read(p, later, i, &v) && v != stamp(seed, i, 1))
			break;
	munmap(later, p->a.length);
	if (i < n)
		return found(p, "probe migrate: a write through a mapping made before MIGRATE is not seen through one made after it (page %llu of a kind %u method %u region)",
			     (unsigned long long)i, kind, method);
	return PROBE_CLEAN;
}

/* Wait up to 2 s for the region's quarantine to empty; 0 or -1. */
static int p_drain(struct probe *p, struct exotic_region_info *info)
{
	uint64_t t0 = p_now_ms();

	while (!p_info(p->fd, p->a.handle, info) && info->quarantined) {
		if (p_now_ms() - t0 > 2000)
			return -1;
		p_sleep_ms(10);
	}
	return info->quarantined ? -1 : 0;
}

/* Read every page of the probe's mapping; 0 or -1. */
static int p_read_all(struct probe *p)
{
	uint64_t v;

	for (uint64_t i = 0; i < p->a.length / P_PG; i++)
		if (p_read(p, p->map, i, &v))
			return -1;
	return 0;
}

/*
 * Once MIGRATE returned and its PTEs were faulted in again, nothing may
 * zap them without an event, not the end of the old blocks' quarantine
 * either: reading every page again faults nothing in.  (The driver's zap
 * count counts its events' zaps; the fault count sees any.)
 */
static enum fuzz_probe_verdict probe_rezap(struct probe *p, uint32_t kind,
					   uint32_t method, uint64_t seed)
{
	struct exotic_region_info before, after;

	if (p_alloc(p, kind, method, 0) || p_map_stamped(p, seed) ||
	    p_event(p->fd, EXOTIC_IOC_MIGRATE, p->a.handle) || p_read_all(p) ||
	    p_info(p->fd, p->a.handle, &before) || p_drain(p, &after) || p_read_all(p) ||
	    p_info(p->fd, p->a.handle, &after))
		return PROBE_SKIPPED;
	if (after.faults != before.faults)
		return found(p, "probe rezap: a kind %u method %u region took %llu more fault(s) once its MIGRATE's old blocks left quarantine: something zapped it with no event",
			     kind, method, (unsigned long long)(after.faults - before.faults));
	return PROBE_CLEAN;
}

/*
 * A page pinned by a pipe has a count the refcount judge does not expect;
 * QUERY shows the count, but refcount_anomalies counts pages found wrong
 * at their free only.
 */
static enum fuzz_probe_verdict probe_pin_query(struct probe *p, uint64_t seed)
{
	uint32_t kind = seed & 1 ? EXOTIC_KIND_COMPOUND : EXOTIC_KIND_REFCOUNTED;
	struct exotic_region_info before, after;
	struct exotic_page pages[8];
	struct exotic_query q = { .count = 8, .pages = (uintptr_t)pages };
	struct iovec iov;
	char buf[P_PG];
	int pipefd[2];
	long ret;

	if (p_alloc(p, kind, EXOTIC_MAP_PAGE, 8 * P_PG) || p_map_stamped(p, seed) ||
	    pipe2(pipefd, O_NONBLOCK | O_CLOEXEC))
		return PROBE_SKIPPED;
	iov = (struct iovec){ p->map, P_PG };
	ret = vmsplice(pipefd[1], &iov, 1, 0);
	q.handle = p->a.handle;
	if (ret <= 0 || p_info(p->fd, p->a.handle, &before) ||
	    ioctl(p->fd, EXOTIC_IOC_QUERY, &q) || p_info(p->fd, p->a.handle, &after))
		ret = -1;
	while (read(pipefd[0], buf, sizeof(buf)) > 0)
		;
	close(pipefd[0]);
	close(pipefd[1]);
	if (ret < 0)
		return PROBE_SKIPPED;
	if (after.refcount_anomalies != before.refcount_anomalies)
		return found(p, "probe pin-query: QUERY of a live kind %u page region with a pinned page raised refcount_anomalies from %llu to %llu (they count pages wrong at their free)",
			     kind, (unsigned long long)before.refcount_anomalies,
			     (unsigned long long)after.refcount_anomalies);
	return PROBE_CLEAN;
}

/* Drop CAP_SYS_ADMIN from the effective, permitted and inheritable sets. */
static int drop_sys_admin(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	uint32_t bit = 1U << (CAP_SYS_ADMIN % 32);

	if (syscall(SYS_capget, &h, d))
		return -1;
	d[CAP_SYS_ADMIN / 32].effective &= ~bit;
	d[CAP_SYS_ADMIN / 32].permitted &= ~bit;
	d[CAP_SYS_ADMIN / 32].inheritable &= ~bit;
	return syscall(SYS_capset, &h, d) ? -1 : 0;
}

/* The child of probe_nopriv(): 0, a failed check (10-13) or set-up (2-5). */
static int nopriv_child(const char *dev, bool unsafe_on)
{
	struct exotic_version v;
	struct exotic_alloc a;
	struct exotic_page pg;
	struct exotic_query q = { .count = 1, .pages = (uintptr_t)&pg };
	int fd, rfd;

	if (drop_sys_admin())
		return 2;
	fd = open(dev, O_RDWR | O_CLOEXEC);
	if (fd < 0 || p_version(fd, &v))
		return 3;
	if (v.carveout_base)
		return 10;
	if (p_alloc_on(fd, &a, EXOTIC_KIND_REFCOUNTED, EXOTIC_MAP_FAULT, P_PG, 0))
		return 4;
	q.handle = a.handle;
	if (ioctl(fd, EXOTIC_IOC_QUERY, &q) || q.count != 1)
		return 4;
	if (pg.pfn)
		return 11;
	if (unsafe_on && !p_alloc_on(fd, &a, EXOTIC_KIND_REFCOUNTED, EXOTIC_MAP_FAULT, P_PG,
				     EXOTIC_ALLOC_UNSAFE_DRIVER_BUG))
		return 12;
	rfd = open(dev, O_RDONLY | O_CLOEXEC);
	if (rfd < 0 || p_alloc_on(rfd, &a, EXOTIC_KIND_REFCOUNTED, EXOTIC_MAP_FAULT, P_PG, 0))
		return 5;
	if (mmap(NULL, P_PG, PROT_READ, MAP_SHARED, rfd, (off_t)a.mmap_offset) == MAP_FAILED)
		return 13;
	return 0;
}

#define UNSAFE_PARAM	"/sys/module/exotic/parameters/unsafe_driver_bugs"

static int param_rw(const char *path, char *buf, size_t len, bool write)
{
	int fd = open(path, (write ? O_WRONLY : O_RDONLY) | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write ? pwrite(fd, buf, strlen(buf), 0) : pread(fd, buf, len - 1, 0);
	close(fd);
	if (n <= 0)
		return -1;
	if (!write)
		buf[n] = 0;
	return 0;
}

/*
 * An opener without CAP_SYS_ADMIN: no carve-out base and no PFN, no unsafe
 * flag even with unsafe_driver_bugs=1 (set here when root), and a
 * read-only file's regions map read-only.
 */
static enum fuzz_probe_verdict probe_nopriv(struct probe *p)
{
	static const char *const says[] = {
		[10] = "reads the carve-out's physical base from VERSION",
		[11] = "reads a page's PFN from QUERY",
		[12] = "allocates with EXOTIC_ALLOC_UNSAFE_DRIVER_BUG (unsafe_driver_bugs=1)",
		[13] = "cannot map a read-only file's region MAP_SHARED, PROT_READ",
	};
	char saved[16] = "", one[] = "1";
	bool unsafe_on = false;
	int status;
	pid_t pid;

	if (p->env->root && !param_rw(UNSAFE_PARAM, saved, sizeof(saved), false)) {
		if (p->env->unsafe_window)
			p->env->unsafe_window(p->env->ctx, true);
		unsafe_on = !param_rw(UNSAFE_PARAM, one, sizeof(one), true);
	}
	pid = fork();
	if (!pid)
		_exit(nopriv_child(p->env->dev, unsafe_on));
	while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (unsafe_on)
		param_rw(UNSAFE_PARAM, saved, sizeof(saved), true);
	if (saved[0] && p->env->unsafe_window)
		p->env->unsafe_window(p->env->ctx, false);
	if (pid < 0)
		return PROBE_SKIPPED;
	if (!WIFEXITED(status))
		return found(p, "probe nopriv: the unprivileged child died (status %#x)", status);
	status = WEXITSTATUS(status);
	if (status >= 10 && status <= 13)
		return found(p, "probe nopriv: an opener without CAP_SYS_ADMIN %s", says[status]);
	return status ? PROBE_SKIPPED : PROBE_CLEAN;
}

struct race {
	const struct fuzz_probe_env *env;
	int fd;
	uint64_t offset, len;
	/* odd while an event runs; mappings whose mmap() saw it change or odd
	 * may have raced it and are kept for the check */
	atomic_ulong seq;
	atomic_bool stop;
	pthread_mutex_t lock;
	uint8_t *maps[P_RACE_MAPS];
	unsigned int n;
	unsigned int checked;	/* mappings race_check() judged, all rounds */
};

/* mmap() in a loop, keeping the mappings that overlapped an event. */
static void *race_mapper(void *arg)
{
	struct race *r = arg;
	unsigned long s0;
	bool kept;
	void *m;

	while (!atomic_load(&r->stop)) {
		s0 = atomic_load(&r->seq);
		m = p_mmap(r->env, NULL, r->len, PROT_READ | PROT_WRITE, MAP_SHARED, r->fd, r->offset);
		if (m == MAP_FAILED) {
			/* refused (revoked, or the fuzzer's memslots in the way,
			 * checked under its vCPU lock): let the others run */
			sched_yield();
			continue;
		}
		kept = false;
		if ((s0 & 1) || atomic_load(&r->seq) != s0) {
			pthread_mutex_lock(&r->lock);
			if (r->n < P_RACE_MAPS) {
				r->maps[r->n++] = m;
				kept = true;
			}
			pthread_mutex_unlock(&r->lock);
		}
		if (!kept)
			munmap(m, r->len);
	}
	return NULL;
}

/*
 * After an event returned, the mappings that raced it: after MIGRATE no
 * page may read a retired block's poison, after REVOKE no page may read.
 * They are unmapped.  PROBE_FOUND, or PROBE_CLEAN.
 */
static enum fuzz_probe_verdict race_check(struct probe *p, struct race *r, uint32_t kind,
					  bool revoked)
{
	enum fuzz_probe_verdict verdict = PROBE_CLEAN;
	uint64_t v;

	pthread_mutex_lock(&r->lock);
	for (unsigned int i = 0; i < r->n; i++) {
		for (uint64_t pg = 0; verdict == PROBE_CLEAN && pg < r->len / P_PG; pg++) {
			int sig = p_read(p, r->maps[i], pg, &v);

			if (revoked && !sig)
				verdict = found(p, "probe mmap-race: a mapping made while REVOKE ran reads page %llu of a kind %u REMAP region after REVOKE returned, without a fault",
						(unsigned long long)pg, kind);
			else if (!revoked && !sig && v == EXOTIC_POISON_MAGIC)
				verdict = found(p, "probe mmap-race: a mapping made while MIGRATE ran reads a retired block's poison at page %llu of a kind %u REMAP region after MIGRATE returned",
						(unsigned long long)pg, kind);
		}
		munmap(r->maps[i], r->len);
	}
	r->checked += r->n;
	r->n = 0;
	pthread_mutex_unlock(&r->lock);
	return verdict;
}

/*
 * A VMA's PTEs filled at mmap() time would be out of reach of an event's
 * unmap_mapping_range() until the kernel links the VMA into the file's
 * mappings: race mmap() against MIGRATEs, then a REVOKE, and check the
 * mappings that overlapped each once it returned.
 */
static enum fuzz_probe_verdict probe_mmap_race(struct probe *p, uint32_t kind, uint64_t seed)
{
	enum fuzz_probe_verdict verdict = PROBE_SKIPPED;
	struct race *r = calloc(1, sizeof(*r));
	pthread_t t;

	if (!r)
		return PROBE_SKIPPED;
	pthread_mutex_init(&r->lock, NULL);
	p->fd = open(p->env->dev, O_RDWR | O_CLOEXEC);
	for (unsigned int round = 0; p->fd >= 0 && round < P_RACE_ROUNDS &&
	     verdict != PROBE_FOUND; round++) {
		if (p_alloc_on(p->fd, &p->a, kind, EXOTIC_MAP_REMAP, 64 * P_PG, 0))
			break;
		r->env = p->env;
		r->fd = p->fd;
		r->offset = p->a.mmap_offset;
		r->len = p->a.length;
		r->n = 0;
		atomic_store(&r->stop, false);
		if (pthread_create(&t, NULL, race_mapper, r))
			break;
		verdict = PROBE_CLEAN;
		for (unsigned int e = 0; e <= P_RACE_EVENTS && verdict == PROBE_CLEAN; e++) {
			bool revoke = e == P_RACE_EVENTS;

			/* let the mapper loop a little, by the seed */
			for (uint64_t spin = (seed >> ((round + e) % 48)) & 0x3fff; spin; spin--)
				__asm__ volatile("" ::: "memory");
			atomic_fetch_add(&r->seq, 1);
			p_event(p->fd, revoke ? EXOTIC_IOC_REVOKE : EXOTIC_IOC_MIGRATE, p->a.handle);
			atomic_fetch_add(&r->seq, 1);
			if (revoke)
				atomic_store(&r->stop, true);
			verdict = race_check(p, r, kind, revoke);
		}
		atomic_store(&r->stop, true);
		pthread_join(t, NULL);
		if (verdict == PROBE_CLEAN)
			verdict = race_check(p, r, kind, true);
		else
			race_check(p, r, kind, true);
		p_event(p->fd, EXOTIC_IOC_FREE, p->a.handle);
	}
	/* no mapping raced an event (none could be made): nothing was judged */
	if (verdict == PROBE_CLEAN && !r->checked)
		verdict = PROBE_SKIPPED;
	pthread_mutex_destroy(&r->lock);
	free(r);
	return verdict;
}

/*
 * Pins of a HUGE mapping taken by vmsplice() and dropped again, the
 * mapping gone: every page's count is what its allocation left.  (GUP-fast
 * that takes a PMD of a non-compound block for a THP's puts all the
 * references on its first page and they come back page by page.)
 */
static enum fuzz_probe_verdict probe_gup_huge(struct probe *p, uint32_t kind, uint64_t seed)
{
	enum fuzz_probe_verdict verdict = PROBE_CLEAN;
	struct exotic_page *pages;
	struct exotic_query q = { 0 };
	struct iovec iov;
	char buf[P_PG];
	int pipefd[2];
	long ret;

	if (p_alloc(p, kind, EXOTIC_MAP_HUGE, P_HUGE) || p_map_stamped(p, seed) ||
	    pipe2(pipefd, O_NONBLOCK | O_CLOEXEC))
		return PROBE_SKIPPED;
	iov = (struct iovec){ p->map, 16 * P_PG };
	ret = vmsplice(pipefd[1], &iov, 1, 0);
	while (read(pipefd[0], buf, sizeof(buf)) > 0)
		;
	close(pipefd[0]);
	close(pipefd[1]);
	munmap(p->map, p->a.length);
	p->map = NULL;
	pages = calloc(P_HUGE / P_PG, sizeof(*pages));
	if (ret <= 0 || !pages) {
		free(pages);
		return PROBE_SKIPPED;
	}
	q = (struct exotic_query){ .handle = p->a.handle, .count = P_HUGE / P_PG,
				   .pages = (uintptr_t)pages };
	if (ioctl(p->fd, EXOTIC_IOC_QUERY, &q))
		verdict = PROBE_SKIPPED;
	for (uint64_t i = 0; verdict == PROBE_CLEAN && i < q.count; i++) {
		int want = pageref_base(kind, pages[i].flags & EXOTIC_PAGE_BLOCK_TAIL);

		if (want >= 0 && pages[i].refcount != want)
			verdict = found(p, "probe gup-huge: page %llu of a kind %u HUGE region is left with a wrong refcount (%d, not %d) once every pin and mapping was dropped",
					(unsigned long long)i, kind, pages[i].refcount, want);
	}
	free(pages);
	return verdict;
}

struct kill_migrate {
	int fd;
	uint32_t handle;
	int ret;		/* the MIGRATE's */
	atomic_bool done;
	uint64_t done_ms;
};

static void *kill_migrate_thread(void *arg)
{
	struct kill_migrate *m = arg;

	m->ret = p_event(m->fd, EXOTIC_IOC_MIGRATE, m->handle);
	m->done_ms = p_now_ms();
	atomic_store(&m->done, true);
	return NULL;
}

/* The scheduler state of a task ('R', 'S', 'D', ...; 0: gone). */
static char task_state(pid_t pid)
{
	char path[64], buf[512], *s;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	s = strrchr(buf, ')');
	return s && s[1] == ' ' ? s[2] : 0;
}

/*
 * A child faults on a region whose MIGRATE holds the region lock for a
 * long time; seen asleep there, it is SIGKILLed and must die of it, and be
 * gone well before the MIGRATE ends.  No verdict unless the MIGRATE
 * succeeded and ran on for 400 ms after the kill.
 */
static enum fuzz_probe_verdict probe_kill(struct probe *p)
{
	struct kill_migrate m;
	struct exotic_version v;
	uint64_t len = P_KILL_BYTES, t_kill, t_reaped;
	int go[2] = { -1, -1 }, ready[2] = { -1, -1 }, status;
	bool blocked = false, done_at_kill;
	pthread_t t;
	pid_t pid, reaped;
	char c;

	memset(&m, 0, sizeof(m));
	p->fd = open(p->env->dev, O_RDWR | O_CLOEXEC);
	if (p->fd < 0 || p_version(p->fd, &v))
		return PROBE_SKIPPED;
	/* the file's cap; the MIGRATE's fresh backing counts on the device only */
	if (len > v.file_max_bytes)
		len = v.file_max_bytes & ~(P_HUGE - 1);
	if (len < 32 * P_HUGE ||
	    p_alloc_on(p->fd, &p->a, EXOTIC_KIND_NONCOMPOUND, EXOTIC_MAP_FAULT, len, 0) ||
	    pipe2(go, O_CLOEXEC) || pipe2(ready, O_CLOEXEC))
		goto skip;
	pid = fork();
	if (pid < 0)
		goto skip;
	if (!pid) {
		/* its own address space, with no memslot over it: mmap() itself */
		struct fuzz_probe_env own = *p->env;
		struct probe child = *p;
		volatile uint8_t *map;

		own.map = NULL;
		child.env = &own;
		map = p_map(&child, PROT_READ);
		if (!map || write(ready[1], "r", 1) != 1 || read(go[0], &c, 1) != 1)
			_exit(2);
		(void)map[len / 2];	/* asleep behind the MIGRATE */
		_exit(0);
	}
	m.fd = p->fd;
	m.handle = p->a.handle;
	if (read(ready[0], &c, 1) != 1 || pthread_create(&t, NULL, kill_migrate_thread, &m)) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		goto skip;
	}
	p_sleep_ms(50);
	if (write(go[1], "g", 1) != 1)
		atomic_store(&m.done, true);
	while (!atomic_load(&m.done) && !blocked) {
		blocked = task_state(pid) == 'D';
		if (!blocked)
			p_sleep_ms(5);
	}
	t_kill = p_now_ms();
	done_at_kill = atomic_load(&m.done);
	kill(pid, SIGKILL);
	while ((reaped = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
		;
	t_reaped = p_now_ms();
	pthread_join(t, NULL);
	close(go[0]);
	close(go[1]);
	close(ready[0]);
	close(ready[1]);
	if (reaped != pid)
		return no_verdict(p, "probe kill: waitpid: %s", strerror(errno));
	if (m.ret)
		return no_verdict(p, "probe kill: MIGRATE of %llu MiB: %s",
				  (unsigned long long)(len >> 20), strerror(-m.ret));
	if (!blocked || done_at_kill)
		return no_verdict(p, "probe kill: the MIGRATE of %llu MiB ended before the child was seen asleep in its fault",
				  (unsigned long long)(len >> 20));
	if (m.done_ms < t_kill + 400)
		return no_verdict(p, "probe kill: the MIGRATE of %llu MiB ended %lld ms after the kill, not 400",
				  (unsigned long long)(len >> 20),
				  (long long)m.done_ms - (long long)t_kill);
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL)
		return found(p, "probe kill: a task SIGKILLed while its fault waited behind a MIGRATE ended with wait status %#x, not by SIGKILL",
			     (unsigned int)status);
	if (t_reaped >= m.done_ms)
		return found(p, "probe kill: a task SIGKILLed while its fault waited behind a MIGRATE was reaped only when the MIGRATE ended, %llu ms later (the wait is not killable)",
			     (unsigned long long)(t_reaped - t_kill));
	return PROBE_CLEAN;
skip:
	for (int i = 0; i < 2; i++) {
		if (go[i] >= 0)
			close(go[i]);
		if (ready[i] >= 0)
			close(ready[i]);
	}
	return PROBE_SKIPPED;
}

#define FILE_CAP_PARAM	"/sys/module/exotic/parameters/max_file_bytes"

/*
 * One file allocates until the driver says no: with max_file_bytes at its
 * default (0) a file's live regions stop at half of max_bytes, so that one
 * opener cannot starve the others.  Skipped when the parameter is set.
 */
static enum fuzz_probe_verdict probe_file_cap(struct probe *p)
{
	struct exotic_version v;
	struct exotic_alloc a;
	uint64_t chunk, held = 0;
	char param[32];

	if (param_rw(FILE_CAP_PARAM, param, sizeof(param), false) || strtoull(param, NULL, 0))
		return PROBE_SKIPPED;
	p->fd = open(p->env->dev, O_RDWR | O_CLOEXEC);
	if (p->fd < 0 || p_version(p->fd, &v) || !v.max_regions)
		return PROBE_SKIPPED;
	chunk = (v.max_bytes / (v.max_regions < 32 ? v.max_regions : 32) + P_HUGE - 1) &
		~(P_HUGE - 1);
	while (held <= v.max_bytes / 2 &&
	       !p_alloc_on(p->fd, &a, EXOTIC_KIND_NONCOMPOUND, EXOTIC_MAP_FAULT, chunk, 0))
		held += chunk;
	if (held > v.max_bytes / 2)
		return found(p, "probe file-cap: one file holds %llu of the device's %llu bytes, more than half with max_file_bytes at its default: one opener can starve the others",
			     (unsigned long long)held, (unsigned long long)v.max_bytes);
	return PROBE_CLEAN;
}

enum fuzz_probe_verdict fuzz_probe(const struct fuzz_probe_env *env, unsigned int mode,
				   uint32_t kind, uint32_t method, uint64_t seed,
				   char *msg, size_t len)
{
	struct probe p = { .env = env, .fd = -1, .msg = msg, .len = len };
	enum fuzz_probe_verdict verdict;

	switch (mode) {
	case PROBE_REVOKE: verdict = probe_revoke(&p, kind, method, seed); break;
	case PROBE_MIGRATE: verdict = probe_migrate(&p, kind, method, seed); break;
	case PROBE_REZAP: verdict = probe_rezap(&p, kind, method, seed); break;
	case PROBE_PIN_QUERY: verdict = probe_pin_query(&p, seed); break;
	case PROBE_NOPRIV: verdict = probe_nopriv(&p); break;
	case PROBE_MMAP_RACE: verdict = probe_mmap_race(&p, kind, seed); break;
	case PROBE_GUP_HUGE: verdict = probe_gup_huge(&p, kind, seed); break;
	case PROBE_KILL: verdict = probe_kill(&p); break;
	case PROBE_FILE_CAP: verdict = probe_file_cap(&p); break;
	default: verdict = PROBE_SKIPPED; break;
	}
	if (p.map)
		munmap(p.map, p.a.length);
	if (p.fd >= 0)
		close(p.fd);
	return verdict;
}
