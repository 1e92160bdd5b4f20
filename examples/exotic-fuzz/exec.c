// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * exotic-fuzz's ops, executed: each resolves its slots against the shared
 * tables of files, regions and mappings, makes its call, and judges the
 * error it got (fuzz_result()).  The fuzzer's own accesses to the mappings
 * are guarded: SIGBUS and SIGSEGV there are answers, not crashes.  The ops
 * of the kernel's long-term users (KVM, O_DIRECT, io_uring) are in
 * pinners.c, the probes in probe.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "exotic/exotic.h"
#include "exotic/storm.h"
#include "fuzz.h"
#include "probe.h"

#define PG	4096ULL

#ifndef MADV_COLD
#define MADV_COLD		20
#endif
#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT		21
#endif
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ	22
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE	23
#endif

static const int advices[] = {
	MADV_DONTNEED, MADV_DONTFORK, MADV_DOFORK, MADV_WILLNEED, MADV_NORMAL,
	MADV_SEQUENTIAL, MADV_COLD, MADV_PAGEOUT, MADV_POPULATE_READ,
	MADV_POPULATE_WRITE,
};

/*
 * quarantine_ms values: long enough for any access in flight to end; the
 * long one is lowered again by a later op or by the end checks, and what
 * it queued must follow (a change applies to the queued blocks too)
 */
static const char *const quarantines[] = { "50", "100", "300", "20000" };

_Static_assert(sizeof(advices) / sizeof(advices[0]) == FUZZ_ADVICES, "advices");
_Static_assert(PROBE_MODES <= sizeof(((struct fuzz_stats *)0)->probes) / sizeof(uint64_t),
	       "probe stats");
_Static_assert(sizeof(quarantines) / sizeof(quarantines[0]) == FUZZ_QUARANTINES,
	       "quarantines");

static const unsigned long event_cmds[] = {
	EXOTIC_IOC_FREE, EXOTIC_IOC_REVOKE, EXOTIC_IOC_INVALIDATE,
	EXOTIC_IOC_MIGRATE,
};

/* ------------------------------------------------------------ signals */

static __thread sigjmp_buf touch_jmp;
static __thread volatile sig_atomic_t in_touch;

static void on_fault(int sig)
{
	if (in_touch)
		siglongjmp(touch_jmp, sig);
	/* a fault outside our guarded accesses: a real crash */
	signal(sig, SIG_DFL);
	raise(sig);
}

void fuzz_signals_init(void)
{
	struct sigaction sa = { .sa_handler = on_fault };

	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_NODEFER;
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGSEGV, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* ------------------------------------------------------------ execution */

uint64_t fuzz_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void fuzz_finding(struct fuzz *f, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&f->lock);
	if (!f->findings++) {
		f->first_ms = fuzz_now_ms();
		va_start(ap, fmt);
		vsnprintf(f->finding, sizeof(f->finding), fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&f->lock);
}

/*
 * The errors a hostile caller may get: the driver's documented ones, and
 * what the kernel's own syscalls answer for stale fds, gone mappings and
 * bad pointers.  Anything else is a finding.
 */
bool fuzz_errno_allowed(int e)
{
	switch (e) {
	case EINVAL: case ENOTTY: case ENOMEM: case ENOSPC: case ENOENT:
	case ENODEV: case EACCES: case EPERM: case EFAULT: case EINTR:
	case EBADF: case EAGAIN: case EBUSY: case EEXIST: case EOVERFLOW:
	case ENFILE: case EMFILE:
		return true;
	default:
		return false;
	}
}

/* As fuzz_result(), with one more errno this op's call may give (0: none). */
void fuzz_result_or(struct fuzz *f, const struct fuzz_op *op, long ret, int extra)
{
	char buf[128];
	int e = errno;

	__atomic_add_fetch(&f->stats.ops[op->type], 1, __ATOMIC_RELAXED);
	if (ret >= 0)
		return;
	if (fuzz_errno_allowed(e) || (extra && e == extra)) {
		__atomic_add_fetch(&f->stats.errors[op->type], 1, __ATOMIC_RELAXED);
		return;
	}
	fuzz_op_format(op, buf, sizeof(buf));
	fuzz_finding(f, "op '%s' failed with %s (%d), not an error this call may give",
		     buf, strerror(e), e);
}

void fuzz_result(struct fuzz *f, const struct fuzz_op *op, long ret)
{
	fuzz_result_or(f, op, ret, 0);
}

static int fd_of(struct fuzz *f, unsigned int slot)
{
	int fd;

	pthread_mutex_lock(&f->lock);
	fd = f->fds[slot];
	pthread_mutex_unlock(&f->lock);
	return fd;
}

/*
 * The fd slot whose number this thread's op calls with: fd_hold() and
 * region_of() take its fd_locks[] for reading, and fuzz_op_run() lets go
 * when the op is done (struct fuzz says why).
 */
static __thread int held_slot = -1;

static int fd_hold(struct fuzz *f, unsigned int slot)
{
	pthread_rwlock_rdlock(&f->fd_locks[slot]);
	held_slot = (int)slot;
	return fd_of(f, slot);
}

static void fd_release(struct fuzz *f)
{
	if (held_slot >= 0)
		pthread_rwlock_unlock(&f->fd_locks[held_slot]);
	held_slot = -1;
}

/*
 * Under f->lock: fd slot holds fd now; the regions of the file it held
 * are forgotten (closing the file frees them).
 */
static void slot_set_fd(struct fuzz *f, unsigned int slot, int fd)
{
	f->fds[slot] = fd;
	for (unsigned int i = 0; i < FUZZ_REGIONS; i++)
		if (f->regs[i].used && f->regs[i].fd_slot == (int)slot)
			f->regs[i].used = false;
}

/*
 * The region in the op's slot, or in the next used slot after it (an op
 * that finds nothing tests little); false if there is none.
 */
static bool region_of(struct fuzz *f, unsigned int slot, struct fuzz_region *r,
		      int *fd)
{
	const struct fuzz_region *now = NULL;
	bool used = false;

	pthread_mutex_lock(&f->lock);
	for (unsigned int i = 0; i < FUZZ_REGIONS && !used; i++) {
		now = &f->regs[(slot + i) % FUZZ_REGIONS];
		*r = *now;
		*fd = r->used ? f->fds[r->fd_slot] : -1;
		used = r->used && *fd >= 0;
	}
	pthread_mutex_unlock(&f->lock);
	if (used) {
		/* its file's number held, and still the region's */
		pthread_rwlock_rdlock(&f->fd_locks[r->fd_slot]);
		pthread_mutex_lock(&f->lock);
		used = now->used && now->handle == r->handle && now->fd_slot == r->fd_slot &&
		       now->offset == r->offset && f->fds[r->fd_slot] == *fd;
		pthread_mutex_unlock(&f->lock);
		if (used)
			held_slot = r->fd_slot;
		else
			pthread_rwlock_unlock(&f->fd_locks[r->fd_slot]);
	}
	if (!used)
		memset(r, 0, sizeof(*r));
	return used;
}

/* The same for mappings; *slot is set to the slot found. */
bool fuzz_map_of(struct fuzz *f, unsigned int *slot, struct fuzz_map *m)
{
	bool used = false;

	pthread_mutex_lock(&f->lock);
	for (unsigned int i = 0; i < FUZZ_MAPS && !used; i++) {
		*m = f->maps[(*slot + i) % FUZZ_MAPS];
		used = m->used;
		if (used)
			*slot = (*slot + i) % FUZZ_MAPS;
	}
	pthread_mutex_unlock(&f->lock);
	return used;
}

/* sub_range(), touch() and guarded_access() */
#include "touch.h"

void fuzz_sub_range(uint64_t npages, uint64_t x, uint64_t y, uint64_t *off, uint64_t *len)
{
	sub_range(npages, x, y, off, len);
}

static void op_open(struct fuzz *f, const struct fuzz_op *op)
{
	int fd, old = -1;

	/* an open file is replaced (its regions freed) only now and then */
	if (fd_of(f, op->fd) >= 0 && !op->b)
		return;
	fd = open(f->dev_path, (op->a ? O_RDONLY : O_RDWR) | O_CLOEXEC);

	fuzz_result(f, op, fd);
	if (fd < 0)
		return;
	pthread_rwlock_wrlock(&f->fd_locks[op->fd]);
	pthread_mutex_lock(&f->lock);
	old = f->fds[op->fd];
	slot_set_fd(f, op->fd, fd);
	pthread_mutex_unlock(&f->lock);
	if (old >= 0)
		close(old);
	pthread_rwlock_unlock(&f->fd_locks[op->fd]);
}

static void op_close(struct fuzz *f, const struct fuzz_op *op)
{
	int fd;

	pthread_rwlock_wrlock(&f->fd_locks[op->fd]);
	pthread_mutex_lock(&f->lock);
	fd = f->fds[op->fd];
	slot_set_fd(f, op->fd, -1);
	pthread_mutex_unlock(&f->lock);
	if (fd >= 0)
		fuzz_result(f, op, close(fd));
	pthread_rwlock_unlock(&f->fd_locks[op->fd]);
}

static void op_alloc(struct fuzz *f, const struct fuzz_op *op)
{
	uint64_t block = PG << (op->c < 32 ? op->c : 0);
	struct exotic_alloc a = {
		.kind = op->a, .method = op->b, .order = op->c,
		.length = op->x * block,
	};
	int fd = fd_hold(f, op->fd);
	long ret;

	if (op->b == EXOTIC_MAP_HUGE && a.length < (2ULL << 20))
		a.length = op->x << 21;
	switch (op->y & 0xf) {
	case 1: a.flags = (uint32_t)(op->y >> 8); break;
	case 3: a.pad = (uint32_t)(op->y >> 8) | 1; break;
	case 5: a.reserved[(op->y >> 4) & 3] = op->y | 1; break;
	case 7: a.length += (op->y >> 8) % PG + 1; break;
	case 9: a.length = op->y; break;
	case 11: a.flags = EXOTIC_ALLOC_READONLY; break;
	case 13: a.flags = EXOTIC_ALLOC_UNSAFE_DRIVER_BUG; break;
	default: break;
	}
	/* no unsafe ALLOC while a probe has unsafe_driver_bugs at 1 */
	if (a.flags & EXOTIC_ALLOC_UNSAFE_DRIVER_BUG) {
		pthread_rwlock_rdlock(&f->unsafe_lock);
		ret = ioctl(fd, EXOTIC_IOC_ALLOC, &a);
		pthread_rwlock_unlock(&f->unsafe_lock);
	} else {
		ret = ioctl(fd, EXOTIC_IOC_ALLOC, &a);
	}
	fuzz_result(f, op, ret);
	if (ret < 0)
		return;
	pthread_mutex_lock(&f->lock);
	/* a region in the slot before is only forgotten: its file frees it */
	f->regs[op->reg] = (struct fuzz_region){
		.used = true, .fd_slot = op->fd, .handle = a.handle,
		.offset = a.mmap_offset, .length = a.length, .order = a.order,
		.kind = a.kind, .method = a.method,
		.unsafe = a.flags & EXOTIC_ALLOC_UNSAFE_DRIVER_BUG,
	};
	pthread_mutex_unlock(&f->lock);
}

static void op_event(struct fuzz *f, const struct fuzz_op *op)
{
	struct exotic_event ev = { .flags = op->c };
	unsigned long cmd = event_cmds[op->a % 4];
	struct fuzz_region r;
	uint64_t off, len, block;
	int fd;

	if (!region_of(f, op->reg, &r, &fd)) {
		/* no region: a handle nobody has */
		ev.handle = (uint32_t)op->x;
		fuzz_result(f, op, ioctl(fd_hold(f, op->fd), cmd, &ev));
		return;
	}
	ev.handle = r.handle;
	block = PG << r.order;
	if (cmd == EXOTIC_IOC_FREE || cmd == EXOTIC_IOC_REVOKE) {
		if (op->b) {
			ev.offset = op->x * PG;
			ev.length = op->y * PG;
		}
	} else if (op->b) {
		ev.offset = op->x * PG;
		ev.length = op->y * PG;
	} else {
		uint64_t unit = cmd == EXOTIC_IOC_MIGRATE ? block : PG;

		sub_range(r.length / unit, op->x, op->y, &off, &len);
		ev.offset = off * unit;
		ev.length = len * unit;
	}
	fuzz_result(f, op, ioctl(fd, cmd, &ev));
	if (cmd == EXOTIC_IOC_FREE && !ev.offset && !ev.length && !ev.flags) {
		pthread_mutex_lock(&f->lock);
		if (f->regs[op->reg].used && f->regs[op->reg].handle == r.handle &&
		    f->regs[op->reg].fd_slot == r.fd_slot)
			f->regs[op->reg].used = false;
		pthread_mutex_unlock(&f->lock);
	}
}

static void op_info(struct fuzz *f, const struct fuzz_op *op)
{
	struct exotic_region_info info = { 0 };
	struct fuzz_region r;
	int fd;

	if (!region_of(f, op->reg, &r, &fd))
		fd = fd_hold(f, op->fd);
	info.handle = r.used ? r.handle : op->reg;
	fuzz_result(f, op, ioctl(fd, EXOTIC_IOC_INFO, &info));
}

static void op_query(struct fuzz *f, const struct fuzz_op *op)
{
	struct exotic_query q = { .flags = op->a, .count = op->y };
	struct exotic_page *pages = NULL;
	struct fuzz_region r;
	int fd;

	if (!region_of(f, op->reg, &r, &fd))
		fd = fd_hold(f, op->fd);
	q.handle = r.used ? r.handle : op->reg;
	q.offset = r.used && !(op->a & EXOTIC_QUERY_RETIRED) ?
		   (op->x % (r.length / PG + 1)) * PG : op->x;
	if (op->b) {
		q.pages = 16;		/* a pointer into page 0 */
	} else if (q.count) {
		pages = calloc(q.count, sizeof(*pages));
		if (!pages)
			return;
		q.pages = (uintptr_t)pages;
	}
	fuzz_result(f, op, ioctl(fd, EXOTIC_IOC_QUERY, &q));
	free(pages);
}

static const int prots[] = { PROT_NONE, PROT_READ, PROT_READ | PROT_WRITE, PROT_WRITE };

/*
 * May KVM fault in this region's pages?  Not where the profile's table
 * says KVM WARNs, leaks a reference or oopses on the kind (known bugs,
 * found by the storm and the matrix: --known-bugs lets the fuzzer at them
 * too), nor where it has no row to say.
 */
static bool kvm_safe(struct fuzz *f, const struct fuzz_region *r)
{
	int head, tail;

	if (f->known_bugs)
		return true;
	if (!f->profile)
		return false;
	head = exotic_storm_expect(f->profile, r->kind, r->method, false);
	tail = r->order ? exotic_storm_expect(f->profile, r->kind, r->method, true) : head;
	return (head == EXOTIC_OUT_MAPPED || head == EXOTIC_OUT_EFAULT) &&
	       (tail == EXOTIC_OUT_MAPPED || tail == EXOTIC_OUT_EFAULT);
}

/* Does [p, p + len) meet the host range of a memslot? */
static bool kslot_overlaps(struct fuzz *f, const uint8_t *p, uint64_t len)
{
	bool hit = false;

	pthread_mutex_lock(&f->lock);
	for (unsigned int i = 0; i < FUZZ_KSLOTS; i++)
		hit |= f->kslots[i].used && p < f->kslots[i].hva + f->kslots[i].len &&
		       f->kslots[i].hva < p + len;
	pthread_mutex_unlock(&f->lock);
	return hit;
}

static void op_mmap(struct fuzz *f, const struct fuzz_op *op)
{
	struct fuzz_region r;
	uint64_t off, len;
	bool kvm_ok;
	void *p;
	int fd;

	if (!region_of(f, op->reg, &r, &fd))
		return;
	/* c: one page past the region's end (refused) */
	sub_range(r.length / PG + (op->c ? 1 : 0), op->x, op->y, &off, &len);
	if (!len)
		len = 1;
	kvm_ok = kvm_safe(f, &r);
	/*
	 * A mapping KVM must not fault in may land where a memslot's host
	 * range still is (its own mapping gone): it is made PROT_NONE (KVM
	 * gets EFAULT) until that is ruled out.  No memslot is added over it
	 * meanwhile: only over mappings in the table.
	 */
	p = mmap(NULL, len * PG, kvm_ok ? prots[op->a % 4] : PROT_NONE,
		 op->b ? MAP_PRIVATE : MAP_SHARED, fd, (off_t)(r.offset + off * PG));
	fuzz_result(f, op, p == MAP_FAILED ? -1 : 0);
	if (p == MAP_FAILED)
		return;
	if (!kvm_ok && (kslot_overlaps(f, p, len * PG) ||
			mprotect(p, len * PG, prots[op->a % 4]))) {
		munmap(p, len * PG);
		return;
	}
	pthread_mutex_lock(&f->lock);
	for (unsigned int i = 0; i < FUZZ_MAPS; i++) {
		struct fuzz_map *m = &f->maps[(op->map + i) % FUZZ_MAPS];

		if (!m->used) {
			*m = (struct fuzz_map){ .used = true, .addr = p, .len = len * PG,
						.kvm_ok = kvm_ok };
			p = NULL;
			break;
		}
	}
	pthread_mutex_unlock(&f->lock);
	if (p)		/* the table is full */
		munmap(p, len * PG);
}

static void op_munmap(struct fuzz *f, const struct fuzz_op *op)
{
	unsigned int slot = op->map;
	struct fuzz_map m;
	uint64_t off, len;
	void *p;

	pthread_rwlock_wrlock(&f->maps_lock);
	if (!fuzz_map_of(f, &slot, &m))
		goto out;
	sub_range(m.len / PG, op->x, op->y, &off, &len);
	if (!op->y || len == m.len / PG) {
		pthread_mutex_lock(&f->lock);
		f->maps[slot].used = false;
		pthread_mutex_unlock(&f->lock);
		fuzz_result(f, op, munmap(m.addr, m.len));
		goto out;
	}
	/*
	 * A hole: the driver's VMA splits and loses its middle, as with
	 * munmap(); an anonymous PROT_NONE mapping keeps the addresses ours,
	 * so the span stays in the table (touches of the hole take SIGSEGV).
	 */
	p = mmap(m.addr + off * PG, len * PG, PROT_NONE,
		 MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	fuzz_result(f, op, p == MAP_FAILED ? -1 : 0);
	if (p == MAP_FAILED) {
		/*
		 * 6.1 may have unmapped the hole before refusing, and another
		 * thread's mmap() may have it now: the span leaves the table,
		 * and only its two ends, still ours, are unmapped.  Where the
		 * kernel refused before unmapping anything (the map count, no
		 * memory), the middle stays mapped until exit, a leak the end
		 * checks may report; kept in the table over another thread's
		 * mapping, the span could bring that under a memslot.
		 */
		pthread_mutex_lock(&f->lock);
		f->maps[slot].used = false;
		pthread_mutex_unlock(&f->lock);
		if (off)
			munmap(m.addr, off * PG);
		if ((off + len) * PG < m.len)
			munmap(m.addr + (off + len) * PG, m.len - (off + len) * PG);
	}
out:
	pthread_rwlock_unlock(&f->maps_lock);
}

/* mprotect() or madvise() of a sub-range of a mapping: same shape. */
static void op_on_range(struct fuzz *f, const struct fuzz_op *op,
			int (*call)(void *, size_t, int), int arg)
{
	unsigned int slot = op->map;
	struct fuzz_map m;
	uint64_t off, len;

	pthread_rwlock_rdlock(&f->maps_lock);
	if (fuzz_map_of(f, &slot, &m)) {
		sub_range(m.len / PG, op->x, op->y, &off, &len);
		fuzz_result(f, op, call(m.addr + off * PG, len * PG, arg));
	}
	pthread_rwlock_unlock(&f->maps_lock);
}

static bool kslots_used(struct fuzz *f)
{
	bool used = false;

	pthread_mutex_lock(&f->lock);
	for (unsigned int i = 0; i < FUZZ_KSLOTS; i++)
		used |= f->kslots[i].used;
	pthread_mutex_unlock(&f->lock);
	return used;
}

static void op_mremap(struct fuzz *f, const struct fuzz_op *op)
{
	unsigned int slot = op->map;
	struct fuzz_map m;
	uint64_t nlen;
	void *p;

	pthread_rwlock_wrlock(&f->maps_lock);
	if (!fuzz_map_of(f, &slot, &m))
		goto out;
	/*
	 * Moved or grown, a mapping KVM must not fault in could reach a
	 * memslot's host range: not while there are memslots.
	 */
	if (!m.kvm_ok && op->a != 2 && kslots_used(f))
		goto out;
	nlen = op->a == 1 ? m.len + PG : op->a == 2 && m.len > PG ? m.len - PG : m.len;
	p = mremap(m.addr, m.len, nlen, op->a == 0 ? MREMAP_MAYMOVE : 0);
	fuzz_result(f, op, p == MAP_FAILED ? -1 : 0);
	if (p != MAP_FAILED) {
		pthread_mutex_lock(&f->lock);
		f->maps[slot].addr = p;
		f->maps[slot].len = nlen;
		pthread_mutex_unlock(&f->lock);
	}
out:
	pthread_rwlock_unlock(&f->maps_lock);
}

static void op_touch(struct fuzz *f, const struct fuzz_op *op)
{
	unsigned int slot = op->map;
	struct fuzz_map m;
	unsigned int sigs;

	pthread_rwlock_rdlock(&f->maps_lock);
	if (fuzz_map_of(f, &slot, &m)) {
		sigs = touch(m.addr, m.len, op->x, op->y, op->a);
		__atomic_add_fetch(&f->stats.signals, sigs, __ATOMIC_RELAXED);
		fuzz_result(f, op, 0);
	}
	pthread_rwlock_unlock(&f->maps_lock);
}

static void op_fork(struct fuzz *f, const struct fuzz_op *op)
{
	unsigned int slot = op->map;
	struct fuzz_map m;
	int status;
	pid_t pid;

	pthread_rwlock_rdlock(&f->maps_lock);
	if (!fuzz_map_of(f, &slot, &m)) {
		pthread_rwlock_unlock(&f->maps_lock);
		return;
	}
	pid = fork();
	if (pid < 0) {
		pthread_rwlock_unlock(&f->maps_lock);
		fuzz_result(f, op, -1);
		return;
	}
	if (!pid) {
		/* VM_DONTCOPY mappings are gone here: SIGSEGV, caught */
		touch(m.addr, m.len, op->x, 4, true);
		_exit(0);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	pthread_rwlock_unlock(&f->maps_lock);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		fuzz_finding(f, "a forked child touching a mapping died (status %#x)", status);
	fuzz_result(f, op, 0);
}

static void op_gup(struct fuzz *f, const struct fuzz_op *op)
{
	unsigned int slot = op->map;
	struct fuzz_map m;
	uint64_t off, len;
	struct iovec local, remote;
	uint8_t *buf;
	long ret;

	pthread_rwlock_rdlock(&f->maps_lock);
	if (!fuzz_map_of(f, &slot, &m))
		goto out;
	sub_range(m.len / PG, op->x, op->y, &off, &len);
	buf = malloc(len * PG);
	if (!buf)
		goto out;
	remote = (struct iovec){ m.addr + off * PG, len * PG };
	local = (struct iovec){ buf, len * PG };
	if (op->a == 0) {
		int p[2];

		if (pipe2(p, O_NONBLOCK | O_CLOEXEC)) {
			free(buf);
			goto out;
		}
		ret = vmsplice(p[1], &remote, 1, 0);
		fuzz_result(f, op, ret);
		while (ret > 0 && read(p[0], buf, len * PG) > 0)
			;
		close(p[0]);
		close(p[1]);
	} else {
		if (op->a == 2)
			memset(buf, 0x5a, len * PG);
		ret = op->a == 1 ? process_vm_readv(getpid(), &local, 1, &remote, 1, 0) :
				   process_vm_writev(getpid(), &local, 1, &remote, 1, 0);
		fuzz_result(f, op, ret);
	}
	free(buf);
out:
	pthread_rwlock_unlock(&f->maps_lock);
}

/*
 * A module parameter: quarantine_ms, or inject_alloc_fail (the Nth block
 * allocation from now fails with ENOMEM, once), which takes ALLOC and
 * MIGRATE down their failure paths partway through.
 */
static void op_param(struct fuzz *f, const struct fuzz_op *op)
{
	const char *v = quarantines[op->a % (sizeof(quarantines) / sizeof(quarantines[0]))];
	const char *path = "/sys/module/exotic/parameters/quarantine_ms";
	char n[16];
	int fd;
	long ret;

	if (!f->root)
		return;
	if (op->b) {
		snprintf(n, sizeof(n), "%u", 1 + op->a % FUZZ_ALLOC_FAILS);
		v = n;
		path = "/sys/module/exotic/parameters/inject_alloc_fail";
	}
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	ret = write(fd, v, strlen(v));
	close(fd);
	fuzz_result(f, op, ret);
}

static void op_version(struct fuzz *f, const struct fuzz_op *op)
{
	struct exotic_version v;

	fuzz_result(f, op, ioctl(fd_hold(f, op->fd), EXOTIC_IOC_VERSION, op->a ? (void *)16 : &v));
}

static void op_badioctl(struct fuzz *f, const struct fuzz_op *op)
{
	uint64_t junk[16] = { 0 };
	unsigned long cmd = op->a;

	/* our magic with a random number and size, or anything at all */
	if (op->a & 1)
		cmd = _IOC(_IOC_DIR(op->a), EXOTIC_IOC_MAGIC, _IOC_NR(op->a) % 16,
			   _IOC_SIZE(op->a) % sizeof(junk));
	fuzz_result(f, op, ioctl(fd_hold(f, op->fd), cmd, junk));
}

/*
 * dup() or dup2() of the op's fd slot into slot c: the file is then shared
 * by two fds, and closing one leaves it (and its regions) open.  What slot
 * c had is closed (dup2() does it atomically); its regions are forgotten.
 */
static void op_dup(struct fuzz *f, const struct fuzz_op *op)
{
	unsigned int to = op->c % FUZZ_FDS;
	int src, dst, fd, old = -1;

	if (to == op->fd)
		return;
	/* src is not closed meanwhile: its close clears its slot under f->lock first */
	pthread_rwlock_wrlock(&f->fd_locks[to]);
	pthread_mutex_lock(&f->lock);
	src = f->fds[op->fd];
	dst = f->fds[to];
	if (src < 0) {
		pthread_mutex_unlock(&f->lock);
		pthread_rwlock_unlock(&f->fd_locks[to]);
		return;
	}
	if (op->a && dst >= 0) {
		/* under the lock: no other op reuses dst's number meanwhile */
		fd = dup2(src, dst);
	} else {
		fd = fcntl(src, F_DUPFD_CLOEXEC, 0);
		old = dst;
	}
	if (fd >= 0) {
		slot_set_fd(f, to, fd);
	} else {
		old = -1;
	}
	pthread_mutex_unlock(&f->lock);
	fuzz_result(f, op, fd);
	if (old >= 0)
		close(old);
	pthread_rwlock_unlock(&f->fd_locks[to]);
}

static void probe_unsafe_window(void *ctx, bool open)
{
	struct fuzz *f = ctx;

	if (open)
		pthread_rwlock_wrlock(&f->unsafe_lock);
	else
		pthread_rwlock_unlock(&f->unsafe_lock);
}

/* Each costly probe mode runs at most once in 10 s (its first one always). */
static bool probe_costly_due(struct fuzz *f, unsigned int mode)
{
	uint64_t now = fuzz_now_ms(), *last;
	bool due;

	if (mode != PROBE_KILL && mode != PROBE_FILE_CAP)
		return true;
	last = &f->costly_probe_ms[mode == PROBE_FILE_CAP];
	pthread_mutex_lock(&f->lock);
	due = !*last || now - *last >= 10000;
	if (due)
		*last = now;
	pthread_mutex_unlock(&f->lock);
	return due;
}

/*
 * A probe's mapping of the device: made while no vCPU runs, and undone if
 * it met a memslot's host range (a memslot keeps its range when the
 * mapping under it goes, and any mmap() may land there).  KVM would fault
 * in the probe's pages, of any kind: a reserved block's refcount-0 tails
 * make stock 6.1 WARN.
 */
static void *probe_map(void *ctx, void *addr, size_t len, int prot, int flags, int fd,
		       long long off)
{
	struct fuzz *f = ctx;
	bool hit;
	void *p;

	pthread_mutex_lock(&f->vcpu_lock);
	p = mmap(addr, len, prot, flags, fd, (off_t)off);
	if (p != MAP_FAILED) {
		hit = kslot_overlaps(f, p, len);
		/* MAP_FIXED: the caller's reservation stays the caller's */
		if (hit && (flags & MAP_FIXED))
			mmap(p, len, PROT_NONE, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
			     -1, 0);
		else if (hit)
			munmap(p, len);
		if (hit) {
			p = MAP_FAILED;
			errno = EBUSY;
		}
	}
	pthread_mutex_unlock(&f->vcpu_lock);
	return p;
}

static void op_probe(struct fuzz *f, const struct fuzz_op *op)
{
	const struct fuzz_probe_env env = {
		.dev = f->dev_path, .root = f->root, .access = guarded_access,
		.unsafe_window = probe_unsafe_window, .map = probe_map, .ctx = f,
	};
	unsigned int mode = op->a % PROBE_MODES;
	enum fuzz_probe_verdict v;
	char msg[400];

	if (!probe_costly_due(f, mode))
		return;
	v = fuzz_probe(&env, mode, op->b, op->c, op->x, msg, sizeof(msg));
	__atomic_add_fetch(&f->stats.ops[OP_PROBE], 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&f->stats.probes[mode], 1, __ATOMIC_RELAXED);
	if (v != PROBE_SKIPPED)
		__atomic_add_fetch(&f->stats.probes_judged[mode], 1, __ATOMIC_RELAXED);
	if (v == PROBE_FOUND)
		fuzz_finding(f, "%s", msg);
}

void fuzz_locks_init(struct fuzz *f)
{
	pthread_rwlockattr_t writers_first;

	pthread_mutex_init(&f->lock, NULL);
	pthread_rwlock_init(&f->maps_lock, NULL);
	pthread_rwlock_init(&f->unsafe_lock, NULL);
	pthread_mutex_init(&f->vcpu_lock, NULL);
	/* a close waits for the ops in flight, not for every op after them */
	pthread_rwlockattr_init(&writers_first);
	pthread_rwlockattr_setkind_np(&writers_first,
				      PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	for (unsigned int i = 0; i < FUZZ_FDS; i++)
		pthread_rwlock_init(&f->fd_locks[i], &writers_first);
	pthread_rwlockattr_destroy(&writers_first);
}

void fuzz_op_run(struct fuzz *f, const struct fuzz_op *op)
{
	switch (op->type) {
	case OP_OPEN: op_open(f, op); break;
	case OP_CLOSE: op_close(f, op); break;
	case OP_VERSION: op_version(f, op); break;
	case OP_ALLOC: op_alloc(f, op); break;
	case OP_EVENT: op_event(f, op); break;
	case OP_INFO: op_info(f, op); break;
	case OP_QUERY: op_query(f, op); break;
	case OP_MMAP: op_mmap(f, op); break;
	case OP_MUNMAP: op_munmap(f, op); break;
	case OP_MPROTECT: op_on_range(f, op, mprotect, prots[op->a % 4]); break;
	case OP_MREMAP: op_mremap(f, op); break;
	case OP_MADVISE: op_on_range(f, op, madvise, advices[op->a % FUZZ_ADVICES]); break;
	case OP_TOUCH: op_touch(f, op); break;
	case OP_FORK: op_fork(f, op); break;
	case OP_GUP: op_gup(f, op); break;
	case OP_PARAM: op_param(f, op); break;
	case OP_BADIOCTL: op_badioctl(f, op); break;
	case OP_DUP: op_dup(f, op); break;
	case OP_KVM: fuzz_op_kvm(f, op); break;
	case OP_ODIRECT: fuzz_op_odirect(f, op); break;
	case OP_IOURING: fuzz_op_iouring(f, op); break;
	case OP_PROBE: op_probe(f, op); break;
	default: break;
	}
	fd_release(f);
}
