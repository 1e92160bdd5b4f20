// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * exotic-fuzz's ops that hand the mappings to the kernel's long-term users
 * of memory (exec.c runs the others): KVM memslots over them and a vCPU
 * reading through them, O_DIRECT between them and a RAM disk, io_uring
 * fixed buffers over them.  Each user is made on first use, once per
 * process, and released before the end checks (fuzz_extras_release()).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <linux/io_uring.h>

#include "exotic/exotic.h"
#include "exotic/kvm.h"
#include "fuzz.h"

#define PG	4096ULL

/* ------------------------------------------------------------ KVM */

#define KVM_GPA_BASE	(1ULL << 30)
#define KVM_GPA_STEP	(64ULL << 20)	/* more than any fuzz mapping */

static void kvm_quiet_log(void *data, int priority, const char *file, int line,
			  const char *fn, const char *fmt, va_list args)
{
	(void)data; (void)priority; (void)file; (void)line; (void)fn;
	(void)fmt; (void)args;
}

/* The process's VM and vCPU, made on first use; false if there is no KVM. */
static bool kvm_get(struct fuzz *f)
{
	struct exotic_ctx *ctx = NULL;
	int ret;

	pthread_mutex_lock(&f->lock);
	if (!f->kvm_state) {
		f->kvm_state = -1;
		ret = exotic_new(&ctx);
		if (!ret) {
			/* refused arguments are the fuzzer's business, not the log's */
			exotic_set_log_fn(ctx, kvm_quiet_log, NULL);
			ret = exotic_kvm_available(ctx);
		}
		if (!ret)
			ret = exotic_vm_new(ctx, &f->vm);
		if (!ret)
			ret = exotic_vcpu_new(f->vm, 0, &f->vcpu);
		if (!ret)
			f->kvm_state = 1;
		else
			fprintf(stderr, "exotic-fuzz: no KVM VM (%s): kvm ops skipped\n",
				strerror(-ret));
		exotic_unref(ctx);
	}
	pthread_mutex_unlock(&f->lock);
	return f->kvm_state > 0;
}

static void kvm_result(struct fuzz *f, const struct fuzz_op *op, int ret)
{
	__atomic_add_fetch(&f->stats.kvm_calls[op->a % 4], 1, __ATOMIC_RELAXED);
	if (!ret)
		__atomic_add_fetch(&f->stats.kvm_ok[op->a % 4], 1, __ATOMIC_RELAXED);
	else if (ret == -EFAULT && op->a % 4 == 3)
		__atomic_add_fetch(&f->stats.kvm_efault, 1, __ATOMIC_RELAXED);
	errno = -ret;
	/* the library's own refusals (-EINVAL, -EEXIST, -ENOENT) are allowed */
	fuzz_result(f, op, ret < 0 ? -1 : 0);
}

/*
 * A read-only program (checksum) over the slot: KVM faults in the exotic
 * PFNs behind it while other threads revoke, invalidate, migrate and
 * unmap them.  KVM_RUN failing with EFAULT (memory KVM cannot map: a
 * revoked page, an unmapped hva) or EINTR is an answer; an MMIO exit (a
 * slot moved or deleted under the guest) ends the run too.
 */
static void kvm_run(struct fuzz *f, const struct fuzz_op *op, unsigned int ks)
{
	struct exotic_guest_params p = { .stride = 4096 };
	struct exotic_exit exit;
	int ret;

	pthread_mutex_lock(&f->lock);
	p.gpa = f->kslots[ks].gpa;
	p.len = f->kslots[ks].len;
	pthread_mutex_unlock(&f->lock);
	if (p.len > (64ULL << 10))
		p.len = 64ULL << 10;	/* briefly: 16 pages at most (TCG) */
	pthread_mutex_lock(&f->vcpu_lock);
	ret = exotic_guest_load(f->vcpu, EXOTIC_GUEST_CHECKSUM, &p);
	for (unsigned int i = 0; !ret && i < 8; i++) {
		ret = exotic_vcpu_run(f->vcpu, &exit);
		if (!ret && (exit.ucall == EXOTIC_UCALL_DONE || exit.ucall == EXOTIC_UCALL_NONE ||
			     exit.ucall == EXOTIC_UCALL_EXCEPTION || exit.ucall == EXOTIC_UCALL_ASSERT))
			break;
	}
	pthread_mutex_unlock(&f->vcpu_lock);
	kvm_result(f, op, ret);
}

/*
 * KVM memslots over fuzz mappings.  A slot keeps its hva when the mapping
 * behind it is unmapped or moved (the table's entry is not touched): KVM
 * allows that, and must then refuse or remap the addresses, never crash.
 */
void fuzz_op_kvm(struct fuzz *f, const struct fuzz_op *op)
{
	unsigned int ks = op->c % FUZZ_KSLOTS, slot = op->map;
	struct fuzz_map m;
	uint64_t gpa;
	bool used;
	int ret;

	if (!kvm_get(f))
		return;
	pthread_mutex_lock(&f->lock);
	used = f->kslots[ks].used;
	pthread_mutex_unlock(&f->lock);
	switch (op->a % 4) {
	case 0:
		pthread_rwlock_rdlock(&f->maps_lock);
		if (!fuzz_map_of(f, &slot, &m) || !m.kvm_ok) {
			pthread_rwlock_unlock(&f->maps_lock);
			return;
		}
		gpa = KVM_GPA_BASE + ks * KVM_GPA_STEP;
		ret = exotic_vm_add_slot(f->vm, ks, gpa, m.addr, m.len,
					 op->b ? EXOTIC_SLOT_READONLY : 0);
		/*
		 * Recorded before the table's lock is let go: once the mapping
		 * can be unmapped and its addresses reused, op_mmap() must see
		 * the memslot over them.
		 */
		if (!ret) {
			pthread_mutex_lock(&f->lock);
			f->kslots[ks] = (struct fuzz_kslot){ .used = true, .gpa = gpa, .len = m.len,
							     .hva = m.addr };
			pthread_mutex_unlock(&f->lock);
		}
		pthread_rwlock_unlock(&f->maps_lock);
		kvm_result(f, op, ret);
		break;
	case 1:
		if (!used)
			return;
		/* to a free stretch above the added ones, or onto another slot's */
		gpa = KVM_GPA_BASE + (op->x % (2 * FUZZ_KSLOTS)) * KVM_GPA_STEP;
		ret = exotic_vm_move_slot(f->vm, ks, gpa);
		if (!ret) {
			pthread_mutex_lock(&f->lock);
			f->kslots[ks].gpa = gpa;
			pthread_mutex_unlock(&f->lock);
		}
		kvm_result(f, op, ret);
		break;
	case 2:
		if (!used)
			return;
		ret = exotic_vm_delete_slot(f->vm, ks);
		if (!ret) {
			pthread_mutex_lock(&f->lock);
			f->kslots[ks].used = false;
			pthread_mutex_unlock(&f->lock);
		}
		kvm_result(f, op, ret);
		break;
	default:
		if (used)
			kvm_run(f, op, ks);
		break;
	}
}

/* ------------------------------------------------------------ O_DIRECT */

#define RAM_DEV		"/dev/ram0"
#define RAM_PAGES	1024		/* brd's default 4 MiB */

static int ram_get(struct fuzz *f)
{
	pthread_mutex_lock(&f->lock);
	if (!f->ram_state) {
		f->ram_fd = open(RAM_DEV, O_RDWR | O_DIRECT | O_CLOEXEC);
		f->ram_state = f->ram_fd >= 0 ? 1 : -1;
		if (f->ram_fd < 0)
			fprintf(stderr, "exotic-fuzz: %s: %s (modprobe brd): odirect ops skipped\n",
				RAM_DEV, strerror(errno));
	}
	pthread_mutex_unlock(&f->lock);
	return f->ram_state > 0 ? f->ram_fd : -1;
}

/*
 * O_DIRECT between the block device and a mapping: the block layer pins
 * the mapping's pages (GUP, FOLL_PIN) for the I/O; memory it cannot pin
 * gives EFAULT, and EINVAL is the answer to what O_DIRECT refuses.  On
 * 6.1, GUP's slow path answers EEXIST for a present PTE without a normal
 * page (mm/gup.c: follow_pfn_pte(), passed on by __get_user_pages() when
 * it was asked for pages): vmsplice, O_DIRECT and io_uring all get it on
 * some exotic mappings, and fuzz_errno_allowed() has it.
 */
void fuzz_op_odirect(struct fuzz *f, const struct fuzz_op *op)
{
	unsigned int slot = op->map;
	struct fuzz_map m;
	uint64_t off, len, at;
	int fd = ram_get(f);
	ssize_t ret;

	if (fd < 0)
		return;
	pthread_rwlock_rdlock(&f->maps_lock);
	if (fuzz_map_of(f, &slot, &m)) {
		fuzz_sub_range(m.len / PG, op->x, op->y, &off, &len);
		at = (op->c % (RAM_PAGES - 16)) * PG;
		ret = op->a ? pwrite(fd, m.addr + off * PG, len * PG, (off_t)at) :
			      pread(fd, m.addr + off * PG, len * PG, (off_t)at);
		fuzz_result(f, op, ret);
	}
	pthread_rwlock_unlock(&f->maps_lock);
}

/* ------------------------------------------------------------ io_uring */

static int ring_get(struct fuzz *f)
{
	struct io_uring_params p;

	pthread_mutex_lock(&f->lock);
	if (!f->ring_state) {
		memset(&p, 0, sizeof(p));
		f->ring_fd = (int)syscall(__NR_io_uring_setup, 4, &p);
		f->ring_state = f->ring_fd >= 0 ? 1 : -1;
		if (f->ring_fd < 0)
			fprintf(stderr, "exotic-fuzz: io_uring_setup: %s: iouring ops skipped\n",
				strerror(errno));
	}
	pthread_mutex_unlock(&f->lock);
	return f->ring_state > 0 ? f->ring_fd : -1;
}

/*
 * IORING_REGISTER_BUFFERS over a range of a mapping, c iovecs: a long-term
 * pin (FOLL_WRITE | FOLL_LONGTERM) held until the buffers are unregistered.
 * The errors, from io_uring/rsrc.c (6.1): EFAULT (pages it could not pin),
 * EOPNOTSUPP (pinned, but file-backed memory that is neither shmem nor
 * hugetlbfs), ENOMEM (RLIMIT_MEMLOCK accounting, allocations), EINVAL (a
 * bad iovec), EBUSY (buffers already registered), and GUP's EEXIST (see
 * op_odirect()); unregistering with none registered is ENXIO, and only
 * there.
 */
void fuzz_op_iouring(struct fuzz *f, const struct fuzz_op *op)
{
	unsigned int slot = op->map, n = op->c ? op->c : 1;
	struct iovec iov[4];
	struct fuzz_map m;
	uint64_t off, len;
	int fd = ring_get(f);
	long ret;

	if (fd < 0)
		return;
	if (op->a == 2) {
		ret = syscall(__NR_io_uring_register, fd, IORING_UNREGISTER_BUFFERS, NULL, 0);
		fuzz_result_or(f, op, ret, ENXIO);
		return;
	}
	pthread_rwlock_rdlock(&f->maps_lock);
	if (!fuzz_map_of(f, &slot, &m)) {
		pthread_rwlock_unlock(&f->maps_lock);
		return;
	}
	fuzz_sub_range(m.len / PG, op->x, op->y, &off, &len);
	if (n > 4)
		n = 4;
	for (unsigned int i = 0; i < n; i++) {
		/* n pieces of the range; the last takes what is left */
		uint64_t piece = len / n ? len / n : 1;

		iov[i].iov_base = m.addr + (off + (i * piece) % len) * PG;
		iov[i].iov_len = (i == n - 1 ? len - (i * piece) % len : piece) * PG;
	}
	ret = syscall(__NR_io_uring_register, fd, IORING_REGISTER_BUFFERS, iov, n);
	pthread_rwlock_unlock(&f->maps_lock);
	fuzz_result_or(f, op, ret, EOPNOTSUPP);
	if (!ret && !op->a) {
		ret = syscall(__NR_io_uring_register, fd, IORING_UNREGISTER_BUFFERS, NULL, 0);
		/* another thread may have unregistered them meanwhile */
		fuzz_result_or(f, op, ret, ENXIO);
	}
}

void fuzz_extras_release(struct fuzz *f)
{
	if (f->ring_state > 0)
		close(f->ring_fd);
	if (f->ram_state > 0)
		close(f->ram_fd);
	f->ring_state = f->ram_state = 0;
	if (f->kvm_state > 0) {
		exotic_vcpu_unref(f->vcpu);
		/* deletes the slots: KVM drops what it maps of exotic memory */
		exotic_vm_unref(f->vm);
	}
	f->vcpu = NULL;
	f->vm = NULL;
	f->kvm_state = 0;
}
