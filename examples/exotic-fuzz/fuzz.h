/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * exotic-fuzz: what a hostile process does to /dev/exotic, at random.
 *
 * An op is generated from the PRNG alone (ops.c: fuzz_op_next()), naming
 * the objects it works on by table slot, not by value: the stream of ops
 * is a function of the seed, can be written out, read back and replayed,
 * and a sub-sequence of it is still a valid stream (the minimizer relies
 * on it).  Executing an op (ops.c: fuzz_op_run()) resolves the slots
 * against the tables of open files, regions and mappings, which threads
 * share and race on, as processes sharing a device do.
 */
#ifndef EXOTIC_FUZZ_H
#define EXOTIC_FUZZ_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define FUZZ_FDS	4
#define FUZZ_ADVICES	10	/* madvise() advices an op picks from */
#define FUZZ_QUARANTINES 4	/* quarantine_ms values an op picks from */
#define FUZZ_ALLOC_FAILS 4	/* inject_alloc_fail values an op picks from */
#define FUZZ_REGIONS	16
#define FUZZ_MAPS	32
#define FUZZ_KSLOTS	4	/* KVM memslots an op picks from */

enum fuzz_op_type {
	OP_OPEN,	/* open /dev/exotic into fd slot (a: read-only, b: replace) */
	OP_CLOSE,	/* close fd slot */
	OP_VERSION,	/* VERSION (a: a bad pointer) */
	OP_ALLOC,	/* a kind, b method, c order, x blocks, y junk */
	OP_EVENT,	/* a cmd, x offset, y length (pages), b junk */
	OP_INFO,	/* INFO of a region */
	OP_QUERY,	/* a flags, x offset, y count, b bad pointer */
	OP_MMAP,	/* a prot, b private, c overrun, x page offset, y pages */
	OP_MUNMAP,	/* x page offset, y pages (0: all) */
	OP_MPROTECT,	/* a prot, x, y */
	OP_MREMAP,	/* a 0 move, 1 grow, 2 shrink */
	OP_MADVISE,	/* a advice index, x, y */
	OP_TOUCH,	/* a write, x first page, y pages */
	OP_FORK,	/* a child that touches a mapping and exits */
	OP_GUP,		/* a 0 vmsplice, 1 process_vm_readv, 2 _writev */
	OP_PARAM,	/* b 0: a index into the quarantine_ms values; b 1: inject_alloc_fail=1+a */
	OP_BADIOCTL,	/* a random command number */
	OP_DUP,		/* fd slot into slot c: a 0 dup() (c's file closed), 1 dup2() */
	OP_KVM,		/* KVM slot c: a 0 add over a mapping (b: read-only), 1 move, 2 delete, 3 run a checksum */
	OP_ODIRECT,	/* /dev/ram0 page c, O_DIRECT: a 0 read into, 1 write from a mapping (x, y) */
	OP_IOURING,	/* fixed buffers over a mapping (x, y, c iovecs): a 0 register and unregister, 1 register, 2 unregister */
	OP_PROBE,	/* probe.h: a mode, b kind, c method, x seed */
	OP_MAX,
};

struct fuzz_op {
	uint8_t type;
	uint8_t fd;	/* fd slot */
	uint8_t reg;	/* region slot */
	uint8_t map;	/* mapping slot */
	uint32_t a, b, c;
	uint64_t x, y;
};

struct fuzz_region {
	bool used;
	int fd_slot;
	uint32_t handle;
	uint64_t offset;	/* mmap offset */
	uint64_t length;
	uint32_t kind, method, order;
	bool unsafe;		/* allocated with a flag that licenses anomalies */
};

struct fuzz_map {
	bool used;
	/* KVM may fault it in: no known KVM bug on its kind (kvm_safe()) */
	bool kvm_ok;
	uint8_t *addr;
	uint64_t len;
};

struct fuzz_kslot {
	bool used;
	uint64_t gpa, len;
	/* the slot's host range: KVM keeps it when the mapping goes */
	uint8_t *hva;
};

struct fuzz_stats {
	uint64_t ops[OP_MAX];
	uint64_t errors[OP_MAX];	/* calls that failed with an allowed errno */
	uint64_t signals;		/* SIGBUS/SIGSEGV taken by touches */
	/* kvm ops by kind (add, move, delete, run): made, succeeded; runs
	 * whose KVM_RUN failed with EFAULT */
	uint64_t kvm_calls[4], kvm_ok[4], kvm_efault;
	/* probes by mode (probe.h): run, and run to a verdict */
	uint64_t probes[16], probes_judged[16];
};

struct exotic_vm;
struct exotic_vcpu;

struct fuzz {
	pthread_mutex_t lock;		/* the tables below */
	/*
	 * Held for reading by every op that uses a mapping's addresses,
	 * for writing by those that unmap or move one: an address the table
	 * gave out is never reused by another mmap (malloc's included)
	 * while an op still uses it.  The races under test, the driver's
	 * events against faults, all run concurrently under it.
	 */
	pthread_rwlock_t maps_lock;
	/*
	 * Held for reading by ALLOCs with the unsafe flag, for writing by a
	 * probe while it sets unsafe_driver_bugs=1 for a child of its own.
	 */
	pthread_rwlock_t unsafe_lock;
	/*
	 * fd_locks[i] is held for reading by an op that calls with the
	 * number in fds[i], from reading it to the op's end, and for writing
	 * by the ops that replace or close that number (open, close, dup).
	 * So no other thread closes a number under an op and reuses it for
	 * another file (a probe's, or one whose regions differ) before the
	 * op's calls reach the kernel; ops on the other slots' files go on.
	 */
	pthread_rwlock_t fd_locks[FUZZ_FDS];
	/* CLOCK_MONOTONIC ms of the last probe of each costly mode (kill, file-cap) */
	uint64_t costly_probe_ms[2];
	int fds[FUZZ_FDS];
	struct fuzz_region regs[FUZZ_REGIONS];
	struct fuzz_map maps[FUZZ_MAPS];
	/*
	 * The lazily made extras, each tried once (state 0: not yet, 1: made,
	 * -1: not here, with a message printed once): a VM and its vCPU, the
	 * O_DIRECT block device, an io_uring instance.
	 */
	int kvm_state, ram_state, ring_state;
	struct exotic_vm *vm;
	struct exotic_vcpu *vcpu;
	pthread_mutex_t vcpu_lock;	/* one KVM_RUN at a time */
	struct fuzz_kslot kslots[FUZZ_KSLOTS];
	int ram_fd, ring_fd;
	const char *dev_path;
	/* the kernel profile, whose expectation table says what KVM is
	 * known to WARN, leak or crash on (NULL: none known) */
	const char *profile;
	bool known_bugs;		/* memslots over those too */
	bool root;			/* may write module parameters */
	struct fuzz_stats stats;	/* atomics */
	/* the first finding; later ones are counted */
	char finding[512];
	uint64_t findings;
	/* CLOCK_MONOTONIC ms: the run's start, and its first finding */
	uint64_t start_ms, first_ms;
};

/* xorshift64*, one per thread; never 0. */
static inline uint64_t fuzz_rand(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

const char *fuzz_op_name(unsigned int type);
void fuzz_op_next(uint64_t *prng, struct fuzz_op *op);
/* Execute op; a finding is recorded in f (fuzz_finding()). */
void fuzz_op_run(struct fuzz *f, const struct fuzz_op *op);
/* Initialize the locks of a zeroed struct fuzz. */
void fuzz_locks_init(struct fuzz *f);
/* Write ops as a standalone C reproducer (emit.c); 0 or -errno. */
int fuzz_emit_c(const char *path, const char *source, const struct fuzz_op *ops,
		size_t n, const char *profile, bool known_bugs);
/* The reproducer's runtime as fuzz_emit_c() writes it (standalone C). */
void fuzz_emit_prelude(FILE *out);
/* Release the VM, the ring and the block device (before the end checks). */
void fuzz_extras_release(struct fuzz *f);

/*
 * What exec.c's ops and pinners.c's share.  fuzz_result() counts a call
 * and records a finding if it failed with an errno it may not give
 * (fuzz_result_or(): or with extra); fuzz_map_of() copies the mapping in
 * *slot, or in the next used slot after it (*slot is set to it), false if
 * there is none.
 */
bool fuzz_errno_allowed(int e);
/* touch.h's sub_range(): the pages [off, off + len) of npages an op's x, y pick */
void fuzz_sub_range(uint64_t npages, uint64_t x, uint64_t y, uint64_t *off, uint64_t *len);
void fuzz_result(struct fuzz *f, const struct fuzz_op *op, long ret);
void fuzz_result_or(struct fuzz *f, const struct fuzz_op *op, long ret, int extra);
bool fuzz_map_of(struct fuzz *f, unsigned int *slot, struct fuzz_map *m);
/* pinners.c: memslots and vCPU runs, O_DIRECT, io_uring fixed buffers */
void fuzz_op_kvm(struct fuzz *f, const struct fuzz_op *op);
void fuzz_op_odirect(struct fuzz *f, const struct fuzz_op *op);
void fuzz_op_iouring(struct fuzz *f, const struct fuzz_op *op);
void fuzz_op_format(const struct fuzz_op *op, char *buf, size_t len);
/* 0, or -EINVAL if line is not an op fuzz_op_format() wrote. */
int fuzz_op_parse(const char *line, struct fuzz_op *op);

uint64_t fuzz_now_ms(void);
__attribute__((format(printf, 2, 3)))
void fuzz_finding(struct fuzz *f, const char *fmt, ...);

/* Per thread: SIGBUS/SIGSEGV handling around the fuzzer's own accesses. */
void fuzz_signals_init(void);

#endif /* EXOTIC_FUZZ_H */
