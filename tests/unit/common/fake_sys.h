/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Wrappers of the libudev and libkmod calls libexotic makes (listed in
 * tests/unit/wraps.opt).  By default each passes through to the real
 * library; wrap_fail("udev_new", 0, ENOMEM) and friends make one call
 * fail (pointer-returning calls return NULL, others the negative errno).
 *
 * fake_udev_sysname: when set, enumeration looks for this misc device
 * instead of "exotic" (e.g. "cpu_dma_latency", present on most hosts), to
 * drive the library's real libudev success path.
 *
 * fake_kmod: when enabled, the calls that would touch the kernel (insert,
 * probe-insert, remove, initstate, refcnt) act on a one-module model, and
 * kmod_new() uses the module directory given, so lookups resolve in a
 * fixture made by fake_kmod_fixture().
 */
#ifndef EXOTIC_TEST_FAKE_SYS_H
#define EXOTIC_TEST_FAKE_SYS_H

#include <stdbool.h>

extern const char *fake_udev_sysname;

struct fake_kmod {
	bool enabled;
	const char *dirname;	/* for kmod_new(), NULL: the real one */
	bool loaded;		/* the model: one module, named below */
	const char *name;
	int refcnt;
	int remove_err;		/* forced error of delete_module, e.g. -EAGAIN */
	char params[256];	/* options of the last insert */
	int inserts, removes;
};

extern struct fake_kmod fake_kmod;

void fake_sys_reset(void);
/*
 * Build a module tree under dir (lib/modules/9.9.9-fake/extra/exotic.ko, a
 * relocatable object with .modinfo, indexed by depmod).  Returns the
 * modules directory (static storage) or NULL if cc or depmod failed.
 */
const char *fake_kmod_fixture(const char *dir);

#endif
