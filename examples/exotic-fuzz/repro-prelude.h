/*
 * The runtime of a C reproducer written by exotic-fuzz --emit-c (emit.c
 * embeds this file and writes it out ahead of the ops).  It is not
 * included by the fuzzer: it is the standalone C that replays a stream of
 * ops with direct syscalls, one thread, resolving table slots as exec.c
 * does, then runs the fuzzer's end checks.  Only libc and kernel uapi
 * headers: emit.c writes the driver's uapi header and touch.h (shared with
 * exec.c) in place of their #include lines below, so the reproducer
 * stands alone.  Exit status: 0 clean, 1 a finding (printed), 3 no device.
 */
#define _GNU_SOURCE
#define FUZZ_REPRO	1	/* probe.c, below, takes its uapi from here */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
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
#include <linux/ioctl.h>
#include <linux/io_uring.h>
#include <linux/kvm.h>
#include <linux/types.h>

/* a stream uses some of the ops below, rarely all */
#pragma GCC diagnostic ignored "-Wunused-function"

/* the driver's uapi: emit.c writes driver/include/uapi/exotic_uapi.h here */
#include "exotic_uapi.h"

#define PG	4096ULL
#define NFDS	4
#define NREGS	16
#define NMAPS	32
#define NKSLOTS	4
#define KVM_GPA_BASE	(1ULL << 30)
#define KVM_GPA_STEP	(64ULL << 20)
#define CODE_GPA	0x1000ULL
#define CODE_SLOT	8

static const char *dev = "/dev/exotic";
static int fds[NFDS] = { -1, -1, -1, -1 };
static struct { int used, fd_slot; uint32_t handle, kind, method, order;
		uint64_t offset, length; int unsafe; } regs[NREGS];
static struct { int used, kvm_ok; uint8_t *addr; uint64_t len; } maps[NMAPS];
static struct { int used, ro; uint64_t gpa, len; uint8_t *hva; } kslots[NKSLOTS];
static int kvm_state, vm_fd = -1, vcpu_fd = -1, ram_state, ram_fd = -1,
	   ring_state, ring_fd = -1;
static struct kvm_run *kvm_run_page;
static int findings;

static const int advices[] = { MADV_DONTNEED, MADV_DONTFORK, MADV_DOFORK,
	MADV_WILLNEED, MADV_NORMAL, MADV_SEQUENTIAL, 20 /* COLD */,
	21 /* PAGEOUT */, 22 /* POPULATE_READ */, 23 /* POPULATE_WRITE */ };
static const char *const quarantines[] = { "50", "100", "300", "20000" };
static const int prots[] = { PROT_NONE, PROT_READ, PROT_READ | PROT_WRITE, PROT_WRITE };
static const unsigned long event_cmds[] = { EXOTIC_IOC_FREE, EXOTIC_IOC_REVOKE,
	EXOTIC_IOC_INVALIDATE, EXOTIC_IOC_MIGRATE };

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* a call's outcome, for the log of the run */
static void rc(const char *what, long ret)
{
	if (ret < 0)
		printf("repro: %s: %s\n", what, strerror(errno));
}

static int region_of(unsigned int slot)
{
	for (unsigned int i = 0; i < NREGS; i++) {
		unsigned int s = (slot + i) % NREGS;

		if (regs[s].used && fds[regs[s].fd_slot] >= 0)
			return (int)s;
	}
	return -1;
}

static int map_of(unsigned int slot)
{
	for (unsigned int i = 0; i < NMAPS; i++)
		if (maps[(slot + i) % NMAPS].used)
			return (int)((slot + i) % NMAPS);
	return -1;
}

static void forget_regions(unsigned int fd_slot)
{
	for (unsigned int i = 0; i < NREGS; i++)
		if (regs[i].used && regs[i].fd_slot == (int)fd_slot)
			regs[i].used = 0;
}

static sigjmp_buf touch_jmp;
static volatile sig_atomic_t in_touch;

static void on_fault(int sig)
{
	if (in_touch)
		siglongjmp(touch_jmp, sig);
	signal(sig, SIG_DFL);
	raise(sig);
}

/*
 * sub_range(), touch() and guarded_access() (probe.c's accesses), as
 * exec.c has them: emit.c writes touch.h here
 */
#include "touch.h"

/* ------------------------------------------------------------ the ops */

static void op_open(unsigned int fd, int rdonly, int replace)
{
	int nfd, old;

	if (fds[fd] >= 0 && !replace)
		return;
	nfd = open(dev, (rdonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	rc("open", nfd);
	if (nfd < 0)
		return;
	old = fds[fd];
	fds[fd] = nfd;
	forget_regions(fd);
	if (old >= 0)
		close(old);
}

static void op_close(unsigned int fd)
{
	int old = fds[fd];

	fds[fd] = -1;
	forget_regions(fd);
	if (old >= 0)
		rc("close", close(old));
}

static void op_version(unsigned int fd, int bad)
{
	struct exotic_version v;

	rc("version", ioctl(fds[fd], EXOTIC_IOC_VERSION, bad ? (void *)16 : &v));
}

static void op_alloc(unsigned int fd, unsigned int reg, uint32_t kind, uint32_t method,
		     uint32_t order, uint64_t x, uint64_t y)
{
	uint64_t block = PG << (order < 32 ? order : 0);
	struct exotic_alloc a = { .kind = kind, .method = method, .order = order,
				  .length = x * block };
	long ret;

	if (method == EXOTIC_MAP_HUGE && a.length < (2ULL << 20))
		a.length = x << 21;
	switch (y & 0xf) {
	case 1: a.flags = (uint32_t)(y >> 8); break;
	case 3: a.pad = (uint32_t)(y >> 8) | 1; break;
	case 5: a.reserved[(y >> 4) & 3] = y | 1; break;
	case 7: a.length += (y >> 8) % PG + 1; break;
	case 9: a.length = y; break;
	case 11: a.flags = EXOTIC_ALLOC_READONLY; break;
	case 13: a.flags = EXOTIC_ALLOC_UNSAFE_DRIVER_BUG; break;
	default: break;
	}
	ret = ioctl(fds[fd], EXOTIC_IOC_ALLOC, &a);
	rc("alloc", ret);
	if (ret < 0)
		return;
	regs[reg].used = 1;
	regs[reg].fd_slot = (int)fd;
	regs[reg].handle = a.handle;
	regs[reg].offset = a.mmap_offset;
	regs[reg].length = a.length;
	regs[reg].order = a.order;
	regs[reg].kind = a.kind;
	regs[reg].method = a.method;
	regs[reg].unsafe = !!(a.flags & EXOTIC_ALLOC_UNSAFE_DRIVER_BUG);
}

static void op_event(unsigned int fd, unsigned int reg, uint32_t a, uint32_t b,
		     uint32_t c, uint64_t x, uint64_t y)
{
	struct exotic_event ev = { .flags = c };
	unsigned long cmd = event_cmds[a % 4];
	int s = region_of(reg);
	uint64_t off, len;

	if (s < 0) {
		ev.handle = (uint32_t)x;
		rc("event", ioctl(fds[fd], cmd, &ev));
		return;
	}
	ev.handle = regs[s].handle;
	if (b) {
		ev.offset = x * PG;
		ev.length = y * PG;
	} else if (cmd != EXOTIC_IOC_FREE && cmd != EXOTIC_IOC_REVOKE) {
		uint64_t unit = cmd == EXOTIC_IOC_MIGRATE ? PG << regs[s].order : PG;

		sub_range(regs[s].length / unit, x, y, &off, &len);
		ev.offset = off * unit;
		ev.length = len * unit;
	}
	rc("event", ioctl(fds[regs[s].fd_slot], cmd, &ev));
	/* exec.c forgets the slot it named, if it still holds that region */
	if (cmd == EXOTIC_IOC_FREE && !ev.offset && !ev.length && !ev.flags &&
	    regs[reg].used && regs[reg].handle == regs[s].handle &&
	    regs[reg].fd_slot == regs[s].fd_slot)
		regs[reg].used = 0;
}

static void op_info(unsigned int fd, unsigned int reg)
{
	struct exotic_region_info info = { 0 };
	int s = region_of(reg);

	info.handle = s >= 0 ? regs[s].handle : reg;
	rc("info", ioctl(s >= 0 ? fds[regs[s].fd_slot] : fds[fd], EXOTIC_IOC_INFO, &info));
}

static void op_query(unsigned int fd, unsigned int reg, uint32_t a, uint32_t b,
		     uint64_t x, uint64_t y)
{
	struct exotic_query q = { .flags = a, .count = y };
	struct exotic_page *pages = NULL;
	int s = region_of(reg);

	q.handle = s >= 0 ? regs[s].handle : reg;
	q.offset = s >= 0 && !(a & EXOTIC_QUERY_RETIRED) ?
		   (x % (regs[s].length / PG + 1)) * PG : x;
	if (b) {
		q.pages = 16;
	} else if (q.count) {
		pages = calloc(q.count, sizeof(*pages));
		if (!pages)
			return;
		q.pages = (uintptr_t)pages;
	}
	rc("query", ioctl(s >= 0 ? fds[regs[s].fd_slot] : fds[fd], EXOTIC_IOC_QUERY, &q));
	free(pages);
}

static int kvm_safe(int s);

static int kslot_overlaps(const uint8_t *p, uint64_t len)
{
	for (unsigned int i = 0; i < NKSLOTS; i++)
		if (kslots[i].used && p < kslots[i].hva + kslots[i].len &&
		    kslots[i].hva < p + len)
			return 1;
	return 0;
}

/* As the fuzzer's: a probe's mapping may not meet a memslot's host range. */
static void *repro_probe_map(void *ctx, void *addr, size_t len, int prot, int flags,
			     int fd, long long off)
{
	void *p = mmap(addr, len, prot, flags, fd, (off_t)off);

	(void)ctx;
	if (p == MAP_FAILED || !kslot_overlaps(p, len))
		return p;
	if (flags & MAP_FIXED)
		mmap(p, len, PROT_NONE, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		     -1, 0);
	else
		munmap(p, len);
	errno = EBUSY;
	return MAP_FAILED;
}

static void op_mmap(unsigned int reg, unsigned int map, uint32_t a, uint32_t b,
		    uint32_t c, uint64_t x, uint64_t y)
{
	int s = region_of(reg), ok;
	uint64_t off, len;
	void *p;

	if (s < 0)
		return;
	sub_range(regs[s].length / PG + (c ? 1 : 0), x, y, &off, &len);
	if (!len)
		len = 1;
	ok = kvm_safe(s);
	p = mmap(NULL, len * PG, ok ? prots[a % 4] : PROT_NONE, b ? MAP_PRIVATE : MAP_SHARED,
		 fds[regs[s].fd_slot], (off_t)(regs[s].offset + off * PG));
	rc("mmap", p == MAP_FAILED ? -1 : 0);
	if (p == MAP_FAILED)
		return;
	if (!ok && (kslot_overlaps(p, len * PG) || mprotect(p, len * PG, prots[a % 4]))) {
		munmap(p, len * PG);
		return;
	}
	for (unsigned int i = 0; i < NMAPS; i++) {
		unsigned int m = (map + i) % NMAPS;

		if (!maps[m].used) {
			maps[m].used = 1;
			maps[m].kvm_ok = ok;
			maps[m].addr = p;
			maps[m].len = len * PG;
			return;
		}
	}
	munmap(p, len * PG);
}

static void op_munmap(unsigned int map, uint64_t x, uint64_t y)
{
	int m = map_of(map);
	uint64_t off, len;
	void *p;

	if (m < 0)
		return;
	sub_range(maps[m].len / PG, x, y, &off, &len);
	if (!y || len == maps[m].len / PG) {
		maps[m].used = 0;
		rc("munmap", munmap(maps[m].addr, maps[m].len));
		return;
	}
	p = mmap(maps[m].addr + off * PG, len * PG, PROT_NONE,
		 MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	rc("munmap (hole)", p == MAP_FAILED ? -1 : 0);
	if (p == MAP_FAILED) {		/* as exec.c's: the span goes, its ends are unmapped */
		maps[m].used = 0;
		if (off)
			munmap(maps[m].addr, off * PG);
		if ((off + len) * PG < maps[m].len)
			munmap(maps[m].addr + (off + len) * PG, maps[m].len - (off + len) * PG);
	}
}

/* The pages x, y pick of mapping slot map, or NULL if it is not mapped. */
static void *map_sub(unsigned int map, uint64_t x, uint64_t y, size_t *bytes)
{
	int m = map_of(map);
	uint64_t off, len;

	if (m < 0)
		return NULL;
	sub_range(maps[m].len / PG, x, y, &off, &len);
	*bytes = len * PG;
	return (char *)maps[m].addr + off * PG;
}

static void op_mprotect(unsigned int map, uint32_t a, uint64_t x, uint64_t y)
{
	size_t bytes;
	void *at = map_sub(map, x, y, &bytes);

	if (at)
		rc("mprotect", mprotect(at, bytes, prots[a % 4]));
}

static void op_madvise(unsigned int map, uint32_t a, uint64_t x, uint64_t y)
{
	size_t bytes;
	void *at = map_sub(map, x, y, &bytes);

	if (at)
		rc("madvise", madvise(at, bytes, advices[a % 10]));
}

static void op_mremap(unsigned int map, uint32_t a)
{
	int m = map_of(map), used = 0;
	uint64_t nlen;
	void *p;

	if (m < 0)
		return;
	for (unsigned int i = 0; i < NKSLOTS; i++)
		used |= kslots[i].used;
	if (!maps[m].kvm_ok && a != 2 && used)
		return;
	nlen = a == 1 ? maps[m].len + PG : a == 2 && maps[m].len > PG ? maps[m].len - PG :
	       maps[m].len;
	p = mremap(maps[m].addr, maps[m].len, nlen, a == 0 ? MREMAP_MAYMOVE : 0);
	rc("mremap", p == MAP_FAILED ? -1 : 0);
	if (p != MAP_FAILED) {
		maps[m].addr = p;
		maps[m].len = nlen;
	}
}

static void op_touch(unsigned int map, uint32_t a, uint64_t x, uint64_t y)
{
	int m = map_of(map);

	if (m >= 0)
		touch(maps[m].addr, maps[m].len, x, y, a);
}

static void op_fork(unsigned int map, uint64_t x)
{
	int m = map_of(map), status;
	pid_t pid;

	if (m < 0)
		return;
	pid = fork();
	if (pid < 0)
		return;
	if (!pid) {
		touch(maps[m].addr, maps[m].len, x, 4, 1);
		_exit(0);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		printf("repro: FINDING: a forked child touching a mapping died (status %#x)\n",
		       status);
		findings++;
	}
}

static void op_gup(unsigned int map, uint32_t a, uint64_t x, uint64_t y)
{
	int m = map_of(map);
	uint64_t off, len;
	struct iovec local, remote;
	uint8_t *buf;
	long ret;

	if (m < 0)
		return;
	sub_range(maps[m].len / PG, x, y, &off, &len);
	buf = malloc(len * PG);
	if (!buf)
		return;
	remote = (struct iovec){ maps[m].addr + off * PG, len * PG };
	local = (struct iovec){ buf, len * PG };
	if (a == 0) {
		int p[2];

		if (!pipe2(p, O_NONBLOCK | O_CLOEXEC)) {
			ret = vmsplice(p[1], &remote, 1, 0);
			rc("vmsplice", ret);
			while (ret > 0 && read(p[0], buf, len * PG) > 0)
				;
			close(p[0]);
			close(p[1]);
		}
	} else {
		if (a == 2)
			memset(buf, 0x5a, len * PG);
		ret = a == 1 ? process_vm_readv(getpid(), &local, 1, &remote, 1, 0) :
			       process_vm_writev(getpid(), &local, 1, &remote, 1, 0);
		rc("process_vm_readv/writev", ret);
	}
	free(buf);
}

static void param_write(const char *name, const char *v)
{
	char path[96];
	int fd;

	snprintf(path, sizeof(path), "/sys/module/exotic/parameters/%s", name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	rc(name, write(fd, v, strlen(v)));
	close(fd);
}

/* b 0: quarantine_ms; b 1: inject_alloc_fail=1+a (as exotic-fuzz's op_param()) */
static void op_param(uint32_t a, uint32_t b)
{
	char n[16];

	if (!b) {
		param_write("quarantine_ms", quarantines[a % 4]);
		return;
	}
	snprintf(n, sizeof(n), "%u", 1 + a % 4);
	param_write("inject_alloc_fail", n);
}

static void op_badioctl(unsigned int fd, uint32_t a)
{
	uint64_t junk[16] = { 0 };
	unsigned long cmd = a;

	if (a & 1)
		cmd = _IOC(_IOC_DIR(a), EXOTIC_IOC_MAGIC, _IOC_NR(a) % 16,
			   _IOC_SIZE(a) % sizeof(junk));
	ioctl(fds[fd], cmd, junk);
}

static void op_dup(unsigned int fd, uint32_t a, uint32_t c)
{
	unsigned int to = c % NFDS;
	int nfd, old = -1;

	if (to == fd || fds[fd] < 0)
		return;
	if (a && fds[to] >= 0) {
		nfd = dup2(fds[fd], fds[to]);
	} else {
		nfd = fcntl(fds[fd], F_DUPFD_CLOEXEC, 0);
		old = fds[to];
	}
	rc("dup", nfd);
	if (nfd < 0)
		return;
	fds[to] = nfd;
	forget_regions(to);
	if (old >= 0)
		close(old);
}

/*
 * KVM: a VM with raw ioctls; the vCPU runs a 32-bit flat protected-mode
 * loop reading one word per page of the slot (the fuzzer's checksum
 * program does the same reads in long mode).
 */
static int kvm_get(void)
{
	static const uint8_t code[] = {
		0x03, 0x06,				/* 1: add eax, [esi] */
		0x81, 0xc6, 0x00, 0x10, 0x00, 0x00,	/* add esi, 4096 */
		0x49,					/* dec ecx */
		0x75, 0xf5,				/* jnz 1b */
		0xf4,					/* hlt */
	};
	struct kvm_userspace_memory_region mr = { .slot = CODE_SLOT,
		.guest_phys_addr = 0, .memory_size = 64 << 10 };
	int kvm;
	void *mem;

	if (kvm_state)
		return kvm_state > 0;
	kvm_state = -1;
	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0 || (vm_fd = ioctl(kvm, KVM_CREATE_VM, 0)) < 0) {
		printf("repro: no KVM VM (%s): kvm ops skipped\n", strerror(errno));
		return 0;
	}
	ioctl(vm_fd, KVM_SET_TSS_ADDR, 0xfffbd000UL);
	mem = mmap(NULL, mr.memory_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memcpy((uint8_t *)mem + CODE_GPA, code, sizeof(code));
	mr.userspace_addr = (uintptr_t)mem;
	if (ioctl(vm_fd, KVM_SET_USER_MEMORY_REGION, &mr) ||
	    (vcpu_fd = ioctl(vm_fd, KVM_CREATE_VCPU, 0)) < 0) {
		printf("repro: KVM VM setup: %s: kvm ops skipped\n", strerror(errno));
		return 0;
	}
	kvm_run_page = mmap(NULL, (size_t)ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0),
			    PROT_READ | PROT_WRITE, MAP_SHARED, vcpu_fd, 0);
	kvm_state = 1;
	return 1;
}

static long kvm_set_slot(unsigned int ks, uint64_t gpa, uint8_t *hva, uint64_t len, int ro)
{
	struct kvm_userspace_memory_region mr = { .slot = ks, .guest_phys_addr = gpa,
		.memory_size = len, .userspace_addr = (uintptr_t)hva,
		.flags = ro ? KVM_MEM_READONLY : 0 };

	return ioctl(vm_fd, KVM_SET_USER_MEMORY_REGION, &mr);
}

static void kvm_run_slot(unsigned int ks)
{
	struct kvm_sregs sr;
	struct kvm_regs r = { .rflags = 2, .rip = CODE_GPA };
	struct kvm_segment seg = { .base = 0, .limit = 0xffffffff, .present = 1,
				   .s = 1, .db = 1, .g = 1 };
	uint64_t len = kslots[ks].len > (64 << 10) ? 64 << 10 : kslots[ks].len;

	if (ioctl(vcpu_fd, KVM_GET_SREGS, &sr))
		return;
	seg.type = 11;
	seg.selector = 8;
	sr.cs = seg;
	seg.type = 3;
	seg.selector = 16;
	sr.ds = sr.es = sr.fs = sr.gs = sr.ss = seg;
	sr.cr0 |= 1;
	r.rsi = kslots[ks].gpa;
	r.rcx = len / PG;
	if (ioctl(vcpu_fd, KVM_SET_SREGS, &sr) || ioctl(vcpu_fd, KVM_SET_REGS, &r))
		return;
	for (int i = 0; i < 8; i++) {
		long ret = ioctl(vcpu_fd, KVM_RUN, 0);

		rc("KVM_RUN", ret);
		if (ret < 0 || kvm_run_page->exit_reason != KVM_EXIT_INTR)
			break;
	}
}

static void op_kvm(unsigned int map, uint32_t a, uint32_t b, uint32_t c, uint64_t x)
{
	unsigned int ks = c % NKSLOTS;
	uint64_t gpa;
	long ret;
	int m;

	if (!kvm_get())
		return;
	switch (a % 4) {
	case 0:
		m = map_of(map);
		if (m < 0 || !maps[m].kvm_ok)
			return;
		gpa = KVM_GPA_BASE + ks * KVM_GPA_STEP;
		if (kslots[ks].used) {
			errno = EEXIST;	/* the library refuses a slot in use */
			ret = -1;
		} else {
			ret = kvm_set_slot(ks, gpa, maps[m].addr, maps[m].len, b);
		}
		rc("kvm add", ret);
		if (!ret) {
			kslots[ks].used = 1;
			kslots[ks].gpa = gpa;
			kslots[ks].len = maps[m].len;
			kslots[ks].hva = maps[m].addr;
			kslots[ks].ro = !!b;
		}
		break;
	case 1:
		if (!kslots[ks].used)
			return;
		gpa = KVM_GPA_BASE + (x % (2 * NKSLOTS)) * KVM_GPA_STEP;
		/* KVM_MR_MOVE: same hva and size, new gpa */
		ret = kvm_set_slot(ks, gpa, kslots[ks].hva, kslots[ks].len, kslots[ks].ro);
		rc("kvm move", ret);
		if (!ret)
			kslots[ks].gpa = gpa;
		break;
	case 2:
		if (!kslots[ks].used)
			return;
		ret = kvm_set_slot(ks, 0, 0, 0, 0);
		rc("kvm delete", ret);
		if (!ret)
			kslots[ks].used = 0;
		break;
	default:
		if (kslots[ks].used)
			kvm_run_slot(ks);
		break;
	}
}

static void op_odirect(unsigned int map, uint32_t a, uint32_t c, uint64_t x, uint64_t y)
{
	int m = map_of(map);
	uint64_t off, len, at;

	if (!ram_state) {
		ram_fd = open("/dev/ram0", O_RDWR | O_DIRECT | O_CLOEXEC);
		ram_state = ram_fd >= 0 ? 1 : -1;
		if (ram_fd < 0)
			printf("repro: /dev/ram0: %s: odirect ops skipped\n", strerror(errno));
	}
	if (ram_state < 0 || m < 0)
		return;
	sub_range(maps[m].len / PG, x, y, &off, &len);
	at = (c % (1024 - 16)) * PG;
	rc("odirect", a ? pwrite(ram_fd, maps[m].addr + off * PG, len * PG, (off_t)at) :
			  pread(ram_fd, maps[m].addr + off * PG, len * PG, (off_t)at));
}

static void op_iouring(unsigned int map, uint32_t a, uint32_t c, uint64_t x, uint64_t y)
{
	unsigned int n = c ? c : 1;
	struct io_uring_params p;
	struct iovec iov[4];
	uint64_t off, len;
	long ret;
	int m;

	if (!ring_state) {
		memset(&p, 0, sizeof(p));
		ring_fd = (int)syscall(__NR_io_uring_setup, 4, &p);
		ring_state = ring_fd >= 0 ? 1 : -1;
		if (ring_fd < 0)
			printf("repro: io_uring_setup: %s: iouring ops skipped\n", strerror(errno));
	}
	if (ring_state < 0)
		return;
	if (a == 2) {
		rc("io_uring unregister",
		   syscall(__NR_io_uring_register, ring_fd, IORING_UNREGISTER_BUFFERS, NULL, 0));
		return;
	}
	m = map_of(map);
	if (m < 0)
		return;
	sub_range(maps[m].len / PG, x, y, &off, &len);
	if (n > 4)
		n = 4;
	for (unsigned int i = 0; i < n; i++) {
		uint64_t piece = len / n ? len / n : 1;

		iov[i].iov_base = maps[m].addr + (off + (i * piece) % len) * PG;
		iov[i].iov_len = (i == n - 1 ? len - (i * piece) % len : piece) * PG;
	}
	ret = syscall(__NR_io_uring_register, ring_fd, IORING_REGISTER_BUFFERS, iov, n);
	rc("io_uring register", ret);
	if (!ret && !a)
		rc("io_uring unregister",
		   syscall(__NR_io_uring_register, ring_fd, IORING_UNREGISTER_BUFFERS, NULL, 0));
}

/* ------------------------------------------------------------ start, end */

static void repro_start(void)
{
	struct sigaction sa = { .sa_handler = on_fault };

	if (getenv("EXOTIC_DEVICE"))
		dev = getenv("EXOTIC_DEVICE");
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_NODEFER;
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGSEGV, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	fds[0] = open(dev, O_RDWR | O_CLOEXEC);
	if (fds[0] < 0) {
		printf("repro: %s: %s\n", dev, strerror(errno));
		exit(3);
	}
}

/* The fuzzer's end checks: each live region's free-time refcount check,
 * then every byte back once every file is closed. */
static int repro_end(void)
{
	struct exotic_version v;
	uint64_t t0;
	int fd;

	if (ring_fd >= 0)
		close(ring_fd);
	if (ram_fd >= 0)
		close(ram_fd);
	if (vcpu_fd >= 0)
		close(vcpu_fd);
	if (vm_fd >= 0)
		close(vm_fd);
	/* as exotic-fuzz's end checks: nothing injected, a short quarantine */
	param_write("inject_alloc_fail", "0");
	param_write("quarantine_ms", "50");
	for (unsigned int i = 0; i < NREGS; i++) {
		struct exotic_region_info info = { .handle = regs[i].handle };
		struct exotic_event ev = { .handle = regs[i].handle };
		int rfd = regs[i].used ? fds[regs[i].fd_slot] : -1;

		if (rfd < 0)
			continue;
		ioctl(rfd, EXOTIC_IOC_REVOKE, &ev);
		for (t0 = now_ms(); !ioctl(rfd, EXOTIC_IOC_INFO, &info) && info.quarantined &&
		     now_ms() - t0 < 10000;)
			usleep(10000);
		if (info.quarantined) {
			printf("repro: FINDING: region %u: still %llu pages in quarantine 10 s after its revoke\n",
			       regs[i].handle, (unsigned long long)info.quarantined);
			findings++;
		} else if (info.refcount_anomalies && !regs[i].unsafe) {
			printf("repro: FINDING: region %u (kind %u, method %u): the driver found %llu page(s) with a wrong refcount when it freed them\n",
			       regs[i].handle, info.kind, info.method,
			       (unsigned long long)info.refcount_anomalies);
			findings++;
		}
	}
	for (unsigned int i = 0; i < NMAPS; i++)
		if (maps[i].used)
			munmap(maps[i].addr, maps[i].len);
	for (unsigned int i = 0; i < NFDS; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	fd = open(dev, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		printf("repro: FINDING: %s: cannot open it again at the end\n", dev);
		return 1;
	}
	for (t0 = now_ms(); !ioctl(fd, EXOTIC_IOC_VERSION, &v) && v.used_bytes &&
	     now_ms() - t0 < 10000;)
		usleep(10000);
	if (v.used_bytes) {
		printf("repro: FINDING: %llu bytes still charged 10 s after every file was closed (a leak)\n",
		       (unsigned long long)v.used_bytes);
		findings++;
	}
	close(fd);
	printf("repro: %s\n", findings ? "FINDING (see above)" : "clean");
	return findings ? 1 : 0;
}
