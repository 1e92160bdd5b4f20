// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Host unit tests: the storm's hold events (remap, mprotect) on a region of
 * the fake driver of fakedev.c, with the mm call that gives the slot back
 * failed on demand (wrap.c), through the storm's internal interface
 * (storm_engine.h).
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

#include <cmocka.h>

#include "exotic.h"
#include "fakedev.h"
#include "logcap.h"
#include "storm_engine.h"
#include "wrap.h"

#define PG 4096ULL

struct fixture {
	struct exotic_ctx *ctx;
	struct exotic_device *dev;
	struct logcap cap;
	struct exotic_storm storm;
	struct storm_slot slot;
};

static int setup(void **state)
{
	static struct fixture f;
	struct exotic_region_params p = {
		.kind = EXOTIC_KIND_REFCOUNTED, .method = EXOTIC_MAP_FAULT,
		.length = 16 * PG,
	};

	memset(&f, 0, sizeof(f));
	if (fakedev_ctx_new(&f.ctx, &f.cap) < 0 ||
	    exotic_device_open_path(f.ctx, FAKEDEV_PATH, &f.dev) < 0 ||
	    exotic_region_new(f.dev, &p, &f.slot.region) < 0)
		return -1;
	pthread_mutex_init(&f.storm.lock, NULL);
	f.storm.ctx = f.ctx;
	f.slot.index = 3;
	f.slot.kind = p.kind;
	f.slot.method = p.method;
	f.slot.handle = exotic_region_handle(f.slot.region);
	wrap_reset();
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	wrap_reset();
	assert_null(exotic_region_unref(f->slot.region));
	assert_null(exotic_device_unref(f->dev));
	assert_null(exotic_unref(f->ctx));
	assert_int_equal(fakedev_live_regions(), 0);
	fakedev_stop();
	pthread_mutex_destroy(&f->storm.lock);
	return 0;
}

static void hold(struct fixture *f, unsigned int type)
{
	struct exotic_storm_event_rec ev = { .type = type };

	assert_int_equal(storm_hold_event(&f->storm, &f->slot, &ev), 0);
}

/* the slot is taken and given back; the vCPUs it concerns saw it move */
static void test_hold_gives_back(void **state)
{
	struct fixture *f = *state;
	void *addr = exotic_region_addr(f->slot.region);

	hold(f, EXOTIC_EV_MPROTECT);
	assert_int_equal(wrap_calls("mprotect"), 2);
	assert_int_equal(exotic_region_prot(f->slot.region), PROT_READ | PROT_WRITE);
	assert_int_equal(f->slot.wseq, 2);
	assert_int_equal(f->slot.seq, 0);

	hold(f, EXOTIC_EV_REMAP);
	assert_int_equal(wrap_calls("mmap"), 2);
	assert_ptr_equal(exotic_region_addr(f->slot.region), addr);
	/* the region's own mapping again: writable through it */
	((volatile uint8_t *)addr)[PG] = 1;
	assert_int_equal(f->slot.seq, 2);

	assert_int_equal(f->slot.dead, 0);
	assert_int_equal(f->storm.nfindings, 0);
}

/* a slot that cannot be given back is lost, and the run says so */
static void lost(struct fixture *f, unsigned int type, const char *fn,
		 const char *what)
{
	wrap_fail(fn, 1, ENOMEM);	/* the take passes, the give-back fails */
	hold(f, type);
	assert_int_equal(f->slot.dead, 1);
	assert_int_equal(f->storm.nfindings, 1);
	assert_int_equal(f->storm.findings[0].property, EXOTIC_STORM_UNEXPECTED);
	assert_int_equal(f->storm.findings[0].event, type);
	assert_int_equal(f->storm.findings[0].err, -ENOMEM);
	assert_int_equal(f->storm.findings[0].slot, 3);
	assert_string_equal(f->storm.findings[0].what, what);
	assert_int_equal(f->storm.stats.unexpected, 1);
}

static void test_mprotect_lost(void **state)
{
	lost(*state, EXOTIC_EV_MPROTECT, "mprotect",
	     "slot 3 lost: cannot make its mapping writable again: Cannot allocate memory");
}

static void test_remap_lost(void **state)
{
	lost(*state, EXOTIC_EV_REMAP, "mmap",
	     "slot 3 lost: cannot map its region again: Cannot allocate memory");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_hold_gives_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mprotect_lost, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remap_lost, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
