/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A fake exotic driver for host unit tests, behind the open()/ioctl()/
 * access() hooks of wrap.c.  open(FAKEDEV_PATH) (and, if claim_dev_exotic
 * is set, open("/dev/exotic")) returns a real descriptor on a memfd, so
 * mmap() of a region's mmap_offset really maps memory; the EXOTIC_IOC_*
 * ioctls on such a descriptor are answered from a small region table with
 * the uapi's documented rules (reserved fields zero, unknown flags EINVAL,
 * unknown handles ENOENT, unknown commands ENOTTY).  Everything the library
 * sent is recorded for the test to check.
 */
#ifndef EXOTIC_TEST_FAKEDEV_H
#define EXOTIC_TEST_FAKEDEV_H

#include <stdbool.h>
#include <stdint.h>

#include "exotic_uapi.h"

struct exotic_ctx;
struct logcap;

#define FAKEDEV_PATH		"/fake/dev/exotic"
#define FAKEDEV_MAX_REGIONS	16
#define FAKEDEV_REGION_SPAN	(1ULL << 30)	/* mmap_offset = handle * span */

struct fake_region {
	bool used;
	uint32_t handle;
	uint32_t kind, method, order, flags, state;
	uint64_t length;
	uint64_t epoch;
	uint64_t invalidations, migrations, retired_pages;
};

struct fakedev {
	struct exotic_version version;	/* answered to EXOTIC_IOC_VERSION */
	bool claim_dev_exotic;		/* also answer for /dev/exotic */
	bool udevd_running;		/* access("/run/udev/control") succeeds */
	bool query_overreport;		/* claim one entry more than asked */
	bool unsafe_driver_bugs;	/* the module parameter: the unsafe flag is admitted */
	struct fake_region regions[FAKEDEV_MAX_REGIONS];
	uint32_t next_handle;
	uint64_t epoch;
	/* What the library sent last. */
	struct exotic_alloc last_alloc;
	struct exotic_event last_event;
	unsigned long last_event_request;
	struct exotic_query last_query;
	int ioctls;			/* exotic ioctls answered */
	int frees;
};

extern struct fakedev fakedev;

/* Reset the fake to a driver offering every kind and method; hook it in. */
void fakedev_start(void);
/* Unhook and drop all state. */
void fakedev_stop(void);
/*
 * A test's start: no faults armed or calls counted (wrap_reset()), the
 * fake started, and a new context whose messages go to cap (cleared).
 */
int fakedev_ctx_new(struct exotic_ctx **ctx, struct logcap *cap);
bool fakedev_is_fake_fd(int fd);
struct fake_region *fakedev_region(uint32_t handle);
int fakedev_live_regions(void);

#endif
