// SPDX-License-Identifier: GPL-2.0
/*
 * exotic-fuzz's ops against the fake driver (fakedev.h), where a race
 * between two of its threads can be staged: a hook (wrap.h) runs, or
 * starts, the other thread's ops just as the op under test calls into
 * the kernel.  An fd number an op holds is not closed and reused under
 * it (the other files' numbers are not held up); a mapping KVM may fault in (kvm_ok) maps the region it was judged
 * for; a probe's own mappings stay off the memslots' host ranges; and
 * where a MAP_FIXED mmap() fails, the fuzzer unmaps nothing another
 * thread may have mapped in the hole (6.1 removes the old mapping before
 * the driver's mmap can refuse).
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
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "exotic_uapi.h"
#include "fakedev.h"
#include "wrap.h"
#include "../../examples/exotic-fuzz/fuzz.h"
#include "../../examples/exotic-fuzz/probe.h"

#define PG	4096UL

static struct fuzz f;
static wrap_open_hook fake_open;
static wrap_ioctl_hook fake_ioctl;
static wrap_access_hook fake_access;

/* the other thread (rival_race()) */
static struct {
	void (*ops)(void);
	pthread_t t;
	pthread_mutex_t m;
	pthread_cond_t c;
	bool started, done;
} rival = { .m = PTHREAD_MUTEX_INITIALIZER, .c = PTHREAD_COND_INITIALIZER };
static bool rival_first;	/* its ops finished before the op's call */
static int old_number;

static int setup(void **state)
{
	(void)state;
	rival.started = false;
	rival_first = true;	/* a hook that never ran fails the race tests */
	wrap_reset();
	fakedev_start();
	wrap_get_hooks(&fake_open, &fake_ioctl, &fake_access);
	memset(&f, 0, sizeof(f));
	fuzz_locks_init(&f);
	for (unsigned int i = 0; i < FUZZ_FDS; i++)
		f.fds[i] = -1;
	f.dev_path = FAKEDEV_PATH;
	/* stock 6.1 WARNs on the refcount-0 tail of a reserved block */
	f.profile = "stock";
	return 0;
}

static void *foreign = MAP_FAILED;	/* another thread's mapping in a hole */
static unsigned long foreign_len;

static int teardown(void **state)
{
	(void)state;
	wrap_before_mmap(NULL, NULL);
	if (foreign != MAP_FAILED)
		munmap(foreign, foreign_len);
	foreign = MAP_FAILED;
	for (unsigned int i = 0; i < FUZZ_MAPS; i++)
		if (f.maps[i].used)
			munmap(f.maps[i].addr, f.maps[i].len);
	for (unsigned int i = 0; i < FUZZ_FDS; i++)
		if (f.fds[i] >= 0)
			close(f.fds[i]);
	fakedev_stop();
	return 0;
}

static void run(uint8_t type, uint8_t fd, uint8_t reg, uint32_t a, uint32_t b,
		uint32_t c, uint64_t x, uint64_t y)
{
	struct fuzz_op op = {
		.type = type, .fd = fd, .reg = reg, .a = a, .b = b, .c = c,
		.x = x, .y = y,
	};

	fuzz_op_run(&f, &op);
}

/* region slot reg: refcounted pages KVM maps on every profile */
static void alloc_refcounted(uint8_t fd, uint8_t reg)
{
	run(OP_ALLOC, fd, reg, EXOTIC_KIND_REFCOUNTED, EXOTIC_MAP_REMAP, 0, 4, 0);
}

/* the whole region in slot 0, read-write, shared */
static void mmap_region0(void)
{
	run(OP_MMAP, 0, 0, 2, 0, 0, 0, 0);
}

static unsigned int kvm_ok_maps(void)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < FUZZ_MAPS; i++)
		n += f.maps[i].used && f.maps[i].kvm_ok;
	return n;
}

/* Is [p, p + len) mapped, all of it? */
static bool mapped(void *p, size_t len)
{
	return !msync(p, len, MS_ASYNC);
}

/* ------------------------------------------------------------ the rival */

/*
 * The other thread: its ops run beside the op under test, started from a
 * hook inside that op's system call, which waits up to 200 ms for them.
 * If they could not finish by then (a lock kept them out), the op goes
 * on first.  Only the test's thread asserts.
 */
static void *rival_main(void *arg)
{
	(void)arg;
	rival.ops();
	pthread_mutex_lock(&rival.m);
	rival.done = true;
	pthread_cond_signal(&rival.c);
	pthread_mutex_unlock(&rival.m);
	return NULL;
}

/* Start the rival's ops; true if they finished within 200 ms. */
static bool rival_race(void (*ops)(void))
{
	struct timespec until;
	bool done;

	rival.ops = ops;
	rival.done = false;
	rival.started = false;
	rival.started = !pthread_create(&rival.t, NULL, rival_main, NULL);
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_nsec += 200 * 1000000L;
	until.tv_sec += until.tv_nsec / 1000000000L;
	until.tv_nsec %= 1000000000L;
	pthread_mutex_lock(&rival.m);
	while (rival.started && !rival.done &&
	       !pthread_cond_timedwait(&rival.c, &rival.m, &until))
		;
	done = rival.done;
	pthread_mutex_unlock(&rival.m);
	return done;
}

static void rival_join(void)
{
	assert_true(rival.started);
	pthread_join(rival.t, NULL);
	assert_true(rival.done);
}

/* ------------------------------------------------------------ fd numbers */


/*
 * Closes fd slot 0, opens slot 1 (which gets slot 0's old number, the
 * lowest free) and allocates there a reserved block of order 1, whose
 * tail stock KVM WARNs on: not kvm_ok.
 */
static void swap_file(void)
{
	run(OP_CLOSE, 0, 0, 0, 0, 0, 0, 0);
	run(OP_OPEN, 1, 0, 0, 0, 0, 0, 0);
	run(OP_ALLOC, 1, 1, EXOTIC_KIND_RESERVED, EXOTIC_MAP_REMAP, 1, 2, 0);
}

/* mmap()'s hook: the rival's ops (rival.ops, set by the test) race the call */
static void race_the_mmap(void *data, void *addr, unsigned long len)
{
	(void)data; (void)addr; (void)len;
	wrap_before_mmap(NULL, NULL);
	rival_first = rival_race(rival.ops);
}

/* Without a race the mapping is kept, read-write, and KVM may fault it in. */
static void test_mmap_kept(void **state)
{
	(void)state;
	run(OP_OPEN, 0, 0, 0, 0, 0, 0, 0);
	alloc_refcounted(0, 0);
	assert_true(f.regs[0].used);
	mmap_region0();
	assert_int_equal(f.stats.ops[OP_MMAP], 1);
	assert_int_equal(f.stats.errors[OP_MMAP], 0);
	assert_int_equal(kvm_ok_maps(), 1);
	for (unsigned int i = 0; i < FUZZ_MAPS; i++)
		if (f.maps[i].used)
			f.maps[i].addr[0] = 1;
}

/*
 * Another thread closes the file between the region's lookup and mmap(),
 * and opens one that gets its number: the mmap() would map whatever the
 * new file has at the offset.  The number stays the file's until the op
 * is done; then the other thread goes on.
 */
static void test_mmap_number_held(void **state)
{
	(void)state;
	run(OP_OPEN, 0, 0, 0, 0, 0, 0, 0);
	old_number = f.fds[0];
	alloc_refcounted(0, 0);
	rival.ops = swap_file;
	wrap_before_mmap(race_the_mmap, NULL);
	mmap_region0();
	rival_join();
	assert_false(rival_first);
	assert_int_equal(kvm_ok_maps(), 1);
	/* and then it did reuse the number */
	assert_int_equal(f.fds[1], old_number);
	assert_true(f.regs[1].used);
}

/* Closes fd slot 2: another file than the op's. */
static void close_other(void)
{
	run(OP_CLOSE, 2, 0, 0, 0, 0, 0, 0);
}

/* Only the op's own number is held: a close of another file goes on. */
static void test_mmap_other_file_closes(void **state)
{
	(void)state;
	run(OP_OPEN, 0, 0, 0, 0, 0, 0, 0);
	run(OP_OPEN, 2, 0, 0, 0, 0, 0, 0);
	alloc_refcounted(0, 0);
	rival_first = false;
	rival.ops = close_other;
	wrap_before_mmap(race_the_mmap, NULL);
	mmap_region0();
	rival_join();
	assert_true(rival_first);
	assert_int_equal(f.fds[2], -1);
	assert_int_equal(kvm_ok_maps(), 1);
}

/* The same inside ALLOC: the region is recorded against its own file. */
static void reopen_both(void)
{
	run(OP_CLOSE, 0, 0, 0, 0, 0, 0, 0);
	run(OP_OPEN, 1, 0, 0, 0, 0, 0, 0);	/* the old number */
	run(OP_OPEN, 0, 0, 0, 0, 0, 0, 0);
}

static int swap_before_alloc(int fd, unsigned long request, void *arg)
{
	if (request == EXOTIC_IOC_ALLOC) {
		wrap_set_hooks(fake_open, fake_ioctl, fake_access);
		rival_first = rival_race(reopen_both);
	}
	return fake_ioctl(fd, request, arg);
}

static void test_alloc_number_held(void **state)
{
	(void)state;
	run(OP_OPEN, 0, 0, 0, 0, 0, 0, 0);
	old_number = f.fds[0];
	wrap_set_hooks(fake_open, swap_before_alloc, fake_access);
	alloc_refcounted(0, 0);
	wrap_set_hooks(fake_open, fake_ioctl, fake_access);
	rival_join();
	assert_false(rival_first);
	assert_int_equal(fakedev_live_regions(), 1);
	assert_int_equal(f.fds[1], old_number);
	/* closed after it was recorded: forgotten with its file */
	assert_false(f.regs[0].used);
}

/* ------------------------------------------------------------ probes */

/* a probe of REVOKE (seed 2: REVOKE, not FREE) */
static void probe_revoke(uint32_t kind, uint32_t method)
{
	struct fuzz_op op = {
		.type = OP_PROBE, .a = PROBE_REVOKE, .b = kind, .c = method, .x = 2,
	};

	fuzz_op_run(&f, &op);
	assert_int_equal(f.stats.probes[PROBE_REVOKE], 1);
}

/* Without memslots the probe maps its region and comes to a verdict. */
static void test_probe_maps(void **state)
{
	(void)state;
	probe_revoke(EXOTIC_KIND_RESERVED, EXOTIC_MAP_REMAP);
	assert_int_equal(f.stats.probes_judged[PROBE_REVOKE], 1);
}

/*
 * A memslot whose host range is the whole address space: a stale one
 * (its mapping unmapped) keeps its range, and any later mmap() may land
 * there.  A vCPU may read it at any time, and KVM would fault in the
 * probe's pages, whose kind may be one KVM WARNs on.  So the probe's
 * mapping is refused, and the probe gives no verdict.
 */
static void test_probe_keeps_off_memslots(void **state)
{
	(void)state;
	f.kslots[0] = (struct fuzz_kslot){
		.used = true, .gpa = 1ULL << 30, .hva = (uint8_t *)PG,
		.len = (1ULL << 47) - PG,
	};
	probe_revoke(EXOTIC_KIND_RESERVED, EXOTIC_MAP_REMAP);
	assert_int_equal(f.stats.probes_judged[PROBE_REVOKE], 0);
}

/*
 * mmap-race judges the mappings that raced an event.  Where none could be
 * made (every one refused: a memslot over everything), it has nothing to
 * judge and gives no verdict.
 */
static void test_probe_mmap_race_needs_a_mapping(void **state)
{
	struct fuzz_op op = {
		.type = OP_PROBE, .a = PROBE_MMAP_RACE, .b = EXOTIC_KIND_REFCOUNTED, .x = 1,
	};

	(void)state;
	f.kslots[0] = (struct fuzz_kslot){
		.used = true, .gpa = 1ULL << 30, .hva = (uint8_t *)PG,
		.len = (1ULL << 47) - PG,
	};
	fuzz_op_run(&f, &op);
	assert_int_equal(f.stats.probes[PROBE_MMAP_RACE], 1);
	assert_int_equal(f.stats.probes_judged[PROBE_MMAP_RACE], 0);
}

/*
 * The HUGE method's probe maps MAP_FIXED into a reservation of its own.
 * As on 6.1, the reservation is gone when the driver refuses, and another
 * thread's mapping takes the hole: the probe must leave it alone.
 */
static void take_the_hole(void *data, void *addr, unsigned long len)
{
	if (!addr)
		return;		/* the reservation itself */
	wrap_before_mmap(NULL, NULL);
	munmap(addr, len);
	foreign = mmap(addr, len, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
		       -1, 0);
	foreign_len = len;
	wrap_fail("mmap", 0, (int)(intptr_t)data);	/* the call is refused */
}

static void test_probe_huge_refused_leaves_hole(void **state)
{
	(void)state;
	wrap_before_mmap(take_the_hole, (void *)(intptr_t)ENODEV);	/* the driver's */
	probe_revoke(EXOTIC_KIND_COMPOUND, EXOTIC_MAP_HUGE);
	assert_true(foreign != MAP_FAILED);
	assert_int_equal(f.stats.probes_judged[PROBE_REVOKE], 0);
	assert_true(mapped(foreign, foreign_len));
}

/* ------------------------------------------------------------ munmap */

/*
 * A hole punched in a mapping (an anonymous PROT_NONE MAP_FIXED over its
 * middle) fails, and another thread's mapping took the middle meanwhile:
 * the table must not keep a span over it, and the fuzzer must not unmap
 * it.
 */
static void test_munmap_hole_refused(void **state)
{
	uint8_t *p;

	(void)state;
	run(OP_OPEN, 0, 0, 0, 0, 0, 0, 0);
	alloc_refcounted(0, 0);
	mmap_region0();
	assert_int_equal(kvm_ok_maps(), 1);
	wrap_before_mmap(take_the_hole, (void *)(intptr_t)ENOMEM);
	run(OP_MUNMAP, 0, 0, 0, 0, 0, 1, 2);	/* pages 1 and 2 of 4 */
	assert_true(foreign != MAP_FAILED);
	assert_int_equal(foreign_len, 2 * PG);
	assert_int_equal(kvm_ok_maps(), 0);
	assert_true(mapped(foreign, foreign_len));
	p = (uint8_t *)foreign - PG;
	assert_false(mapped(p, PG));		/* the rest is unmapped */
	assert_false(mapped(p + 3 * PG, PG));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_mmap_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mmap_number_held, setup, teardown),
		cmocka_unit_test_setup_teardown(test_alloc_number_held, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mmap_other_file_closes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_probe_maps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_probe_keeps_off_memslots, setup, teardown),
		cmocka_unit_test_setup_teardown(test_probe_mmap_race_needs_a_mapping, setup, teardown),
		cmocka_unit_test_setup_teardown(test_probe_huge_refused_leaves_hole, setup, teardown),
		cmocka_unit_test_setup_teardown(test_munmap_hole_refused, setup, teardown),
	};

	return cmocka_run_group_tests_name("fuzz_exec", tests, NULL, NULL);
}
