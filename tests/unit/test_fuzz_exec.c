// SPDX-License-Identifier: GPL-2.0
/*
 * exotic-fuzz's ops against the fake driver (fakedev.h), where a race
 * between two of its threads can be staged: the op under test calls
 * into the kernel after a stand-in for the other thread (wrap.h's hooks)
 * has closed the file the op looked up and reused its number.  What the
 * fuzzer then records must still be true of the file behind the number:
 * a mapping it lets KVM fault in (kvm_ok) maps the region it was judged
 * for, and a region is recorded against the file it was allocated in.
 * And a probe's own mappings stay off the host ranges of memslots.
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
#include <unistd.h>
#include <cmocka.h>

#include "exotic_uapi.h"
#include "fakedev.h"
#include "wrap.h"
#include "../../examples/exotic-fuzz/fuzz.h"
#include "../../examples/exotic-fuzz/probe.h"

static struct fuzz f;
static wrap_open_hook fake_open;
static wrap_ioctl_hook fake_ioctl;
static wrap_access_hook fake_access;

static int setup(void **state)
{
	(void)state;
	wrap_reset();
	fakedev_start();
	memset(&f, 0, sizeof(f));
	pthread_mutex_init(&f.lock, NULL);
	pthread_rwlock_init(&f.maps_lock, NULL);
	pthread_rwlock_init(&f.unsafe_lock, NULL);
	pthread_mutex_init(&f.vcpu_lock, NULL);
	for (unsigned int i = 0; i < FUZZ_FDS; i++)
		f.fds[i] = -1;
	f.dev_path = FAKEDEV_PATH;
	/* stock 6.1 WARNs on the refcount-0 tail of a reserved block */
	f.profile = "stock";
	fuzz_signals_init();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
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
		uint32_t c, uint64_t x)
{
	struct fuzz_op op = {
		.type = type, .fd = fd, .reg = reg, .a = a, .b = b, .c = c, .x = x,
	};

	fuzz_op_run(&f, &op);
}

static void open_slot(uint8_t slot)
{
	run(OP_OPEN, slot, 0, 0, 0, 0, 0);
	assert_true(f.fds[slot] >= 0);
}

/* region slot reg: refcounted pages KVM maps on every profile */
static void alloc_refcounted(uint8_t fd, uint8_t reg)
{
	run(OP_ALLOC, fd, reg, EXOTIC_KIND_REFCOUNTED, EXOTIC_MAP_REMAP, 0, 4);
}

/* the whole region in slot 0, read-write, shared */
static void mmap_region0(void)
{
	run(OP_MMAP, 0, 0, 2, 0, 0, 0);
}

static unsigned int kvm_ok_maps(void)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < FUZZ_MAPS; i++)
		n += f.maps[i].used && f.maps[i].kvm_ok;
	return n;
}

/*
 * The other thread: closes fd slot 0, opens slot 1 (which gets slot 0's
 * old number, the lowest free) and allocates there a reserved block of
 * order 1, whose tail stock KVM WARNs on: not kvm_ok.
 */
static void swap_file(void *data)
{
	int old = f.fds[0];

	(void)data;
	run(OP_CLOSE, 0, 0, 0, 0, 0, 0);
	open_slot(1);
	assert_int_equal(f.fds[1], old);
	run(OP_ALLOC, 1, 1, EXOTIC_KIND_RESERVED, EXOTIC_MAP_REMAP, 1, 2);
	assert_true(f.regs[1].used);
}

/* Without a race the mapping is kept, and KVM may fault it in. */
static void test_mmap_kept(void **state)
{
	(void)state;
	open_slot(0);
	alloc_refcounted(0, 0);
	assert_true(f.regs[0].used);
	mmap_region0();
	assert_int_equal(kvm_ok_maps(), 1);
	/* given its protection: read-write */
	for (unsigned int i = 0; i < FUZZ_MAPS; i++)
		if (f.maps[i].used)
			f.maps[i].addr[0] = 1;
}

/*
 * The file closed and its number reused between the region's lookup and
 * mmap(): the mapping is of another file, whatever region that has at the
 * offset.  It must not be kept as one KVM may fault in.
 */
static void test_mmap_through_reused_number(void **state)
{
	(void)state;
	open_slot(0);
	alloc_refcounted(0, 0);
	wrap_before_mmap(swap_file, NULL);
	mmap_region0();
	assert_int_equal(wrap_calls("mmap"), 1);
	assert_int_equal(kvm_ok_maps(), 0);
}

/*
 * The ALLOC's file closed and its slot given a new file while the ioctl
 * ran: the region is in a file no slot holds, and must not be recorded
 * against the slot's new file (an mmap there would map whatever that file
 * has at the offset).
 */
static int swap_before_alloc(int fd, unsigned long request, void *arg)
{
	if (request == EXOTIC_IOC_ALLOC) {
		wrap_set_hooks(fake_open, fake_ioctl, fake_access);
		run(OP_CLOSE, 0, 0, 0, 0, 0, 0);
		open_slot(1);		/* the old number: the ALLOC lands here */
		open_slot(0);
	}
	return fake_ioctl(fd, request, arg);
}

static void test_alloc_through_reused_number(void **state)
{
	(void)state;
	open_slot(0);
	wrap_get_hooks(&fake_open, &fake_ioctl, &fake_access);
	wrap_set_hooks(fake_open, swap_before_alloc, fake_access);
	alloc_refcounted(0, 0);
	wrap_set_hooks(fake_open, fake_ioctl, fake_access);
	assert_int_equal(fakedev_live_regions(), 1);	/* it was allocated */
	assert_false(f.regs[0].used);
}

/* a probe of REVOKE on a reserved block of order 2 (seed 2: REVOKE, not FREE) */
static void probe_revoke(void)
{
	struct fuzz_op op = {
		.type = OP_PROBE, .a = PROBE_REVOKE, .b = EXOTIC_KIND_RESERVED,
		.c = EXOTIC_MAP_REMAP, .x = 2,
	};

	fuzz_op_run(&f, &op);
	assert_int_equal(f.stats.probes[PROBE_REVOKE], 1);
}

/* Without memslots the probe maps its region and comes to a verdict. */
static void test_probe_maps(void **state)
{
	(void)state;
	probe_revoke();
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
		.used = true, .gpa = 1ULL << 30, .hva = (uint8_t *)4096,
		.len = (1ULL << 47) - 4096,
	};
	probe_revoke();
	assert_int_equal(f.stats.probes_judged[PROBE_REVOKE], 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_mmap_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mmap_through_reused_number, setup, teardown),
		cmocka_unit_test_setup_teardown(test_alloc_through_reused_number, setup, teardown),
		cmocka_unit_test_setup_teardown(test_probe_maps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_probe_keeps_off_memslots, setup, teardown),
	};

	return cmocka_run_group_tests_name("fuzz_exec", tests, NULL, NULL);
}
