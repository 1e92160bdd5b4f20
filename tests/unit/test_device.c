// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Host unit tests: device discovery (libudev), open and ABI check, waiting,
 * module load/unload (libkmod).  The driver is the fake of fakedev.c; the
 * kernel's module calls are modelled by fake_sys.c.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "exotic.h"
#include "fake_sys.h"
#include "fakedev.h"
#include "logcap.h"
#include "wrap.h"

/* A misc device most Linux hosts have, to drive the real libudev path. */
#define HOST_MISC "cpu_dma_latency"

struct fixture {
	struct exotic_ctx *ctx;
	struct logcap cap;
};

static int setup(void **state)
{
	static struct fixture f;

	fake_sys_reset();
	memset(&f, 0, sizeof(f));
	if (fakedev_ctx_new(&f.ctx, &f.cap) < 0)
		return -1;
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	assert_null(exotic_unref(f->ctx));
	fakedev_stop();
	fake_sys_reset();
	wrap_reset();
	return 0;
}

static bool host_has_misc(void)
{
	return access("/sys/class/misc/" HOST_MISC, F_OK) == 0 &&
	       access("/dev/" HOST_MISC, F_OK) == 0;
}

/* The fake udev names the host's misc device, or the test skips. */
static void use_host_misc(void)
{
	if (!host_has_misc()) {
		print_message("# this host has no /sys/class/misc/" HOST_MISC " (needed to drive the real libudev path)\n");
		skip();
	}
	fake_udev_sysname = HOST_MISC;
}

/* ------------------------------------------------------------- find */

static void test_find_bad_args(void **state)
{
	struct fixture *f = *state;
	char buf[64];

	assert_int_equal(exotic_device_find(NULL, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(exotic_device_find(f->ctx, NULL, sizeof(buf)), -EINVAL);
	assert_int_equal(exotic_device_find(f->ctx, buf, 0), -EINVAL);
}

static void test_find_absent(void **state)
{
	struct fixture *f = *state;
	char buf[64];

	/* No exotic misc device on the build host: libudev says so. */
	if (!access("/sys/class/misc/exotic", F_OK)) {
		print_message("# this host has exotic.ko loaded: nothing absent to find\n");
		skip();
	}
	assert_int_equal(exotic_device_find(f->ctx, buf, sizeof(buf)), -ENOENT);
	assert_int_equal(wrap_calls("udev_enumerate_scan_devices"), 1);
}

static void test_find_udev(void **state)
{
	struct fixture *f = *state;
	char buf[64], tiny[8];

	use_host_misc();
	assert_int_equal(exotic_device_find(f->ctx, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/dev/" HOST_MISC);
	assert_int_equal(exotic_device_find(f->ctx, tiny, sizeof(tiny)),
			 -ENAMETOOLONG);
	assert_true(logcap_has(&f->cap, "does not fit"));
	/* Registered in sysfs, but no node yet. */
	wrap_fail("access", 0, ENOENT);
	assert_int_equal(exotic_device_find(f->ctx, buf, sizeof(buf)), -ENOENT);
	assert_true(logcap_has(&f->cap, "devtmpfs"));
	/* libudev cannot build the device: the default node name is used. */
	wrap_fail("udev_device_new_from_syspath", 0, ENOMEM);
	fakedev.claim_dev_exotic = true;
	assert_int_equal(exotic_device_find(f->ctx, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/dev/exotic");
}

/* Whenever libudev cannot answer, /dev/exotic is the answer. */
static void test_find_fallback(void **state)
{
	struct fixture *f = *state;
	static const char *const steps[] = {
		"udev_new", "udev_enumerate_new", "udev_enumerate_scan_devices",
	};
	char buf[64];

	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		struct exotic_ctx *ctx;

		/* A fresh ctx each time: the udev handle is cached. */
		assert_int_equal(exotic_new(&ctx), 0);
		logcap_attach(ctx, &f->cap);
		fakedev.claim_dev_exotic = false;
		wrap_fail(steps[i], 0, ENOMEM);
		assert_int_equal(exotic_device_find(ctx, buf, sizeof(buf)), -ENOENT);
		assert_false(wrap_pending());
		fakedev.claim_dev_exotic = true;
		wrap_fail(steps[i], 0, ENOMEM);
		assert_int_equal(exotic_device_find(ctx, buf, sizeof(buf)), 0);
		assert_string_equal(buf, "/dev/exotic");
		wrap_fail(steps[i], 0, ENOMEM);
		assert_int_equal(exotic_device_find(ctx, buf, 4), -ENAMETOOLONG);
		exotic_unref(ctx);
	}
	/* No sysfs (a bare container): libudev finds nothing, and cannot know. */
	fakedev.claim_dev_exotic = true;
	wrap_fail("access", 0, ENOENT);		/* /sys/class/misc */
	assert_int_equal(exotic_device_find(f->ctx, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/dev/exotic");
	assert_true(logcap_has(&f->cap, "no sysfs"));
	/* With sysfs, its word is final: no exotic device. */
	assert_int_equal(exotic_device_find(f->ctx, buf, sizeof(buf)), -ENOENT);
}

/* ------------------------------------------------------------- wait */

static long long ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000LL + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

static void test_wait_bad_args(void **state)
{
	struct fixture *f = *state;
	char buf[64];

	assert_int_equal(exotic_device_wait(NULL, 0, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(exotic_device_wait(f->ctx, 0, NULL, 1), -EINVAL);
	assert_int_equal(exotic_device_wait(f->ctx, 0, buf, 0), -EINVAL);
}

static void test_wait_timeout(void **state)
{
	struct fixture *f = *state;
	struct timespec t0;
	char buf[64];
	long long ms;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(exotic_device_wait(f->ctx, 300, buf, sizeof(buf)),
			 -ETIMEDOUT);
	ms = ms_since(&t0);
	assert_true(ms >= 299);	/* whole milliseconds on both sides */
	/* generous: a loaded host may stall us; a wait that ignored its
	 * timeout would still be caught */
	if (ms >= 30000)
		fail_msg("exotic_device_wait(300 ms) returned after %lld ms", ms);
	assert_true(logcap_has(&f->cap, "after 300 ms"));
	/* Several re-checks happened while waiting. */
	assert_true(wrap_calls("udev_enumerate_scan_devices") >= 3);
	/* Zero means: look once more, do not wait. */
	assert_int_equal(exotic_device_wait(f->ctx, 0, buf, sizeof(buf)), -ETIMEDOUT);
}

static void test_wait_present(void **state)
{
	struct fixture *f = *state;
	char buf[64];

	use_host_misc();
	assert_int_equal(exotic_device_wait(f->ctx, -1, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/dev/" HOST_MISC);
	/* Found at once: no monitor was needed. */
	assert_int_equal(wrap_calls("udev_monitor_new_from_netlink"), 0);
}

/* The node appears after the wait started (after two looks). */
static void appears_later(struct fixture *f, const char *break_monitor)
{
	struct timespec t0;
	char buf[64];

	use_host_misc();
	wrap_fail("access", 0, ENOENT);
	wrap_fail("access", 0, ENOENT);
	wrap_fail("access", 0, ENOENT);
	if (break_monitor)
		wrap_fail(break_monitor, 0, EPERM);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* the node "appears" at the fourth look: the wait must return it,
	 * long before its own timeout (generous, for a loaded host) */
	assert_int_equal(exotic_device_wait(f->ctx, 60000, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/dev/" HOST_MISC);
	if (ms_since(&t0) >= 30000)
		fail_msg("the wait saw the node only after %lld ms (timeout 60000 ms)",
			 ms_since(&t0));
	assert_true(wrap_calls("access") >= 4);
	assert_int_equal(wrap_calls("udev_monitor_new_from_netlink"), 1);
	assert_false(wrap_pending());
}

static void test_wait_appears(void **state)
{
	struct fixture *f = *state;

	appears_later(f, NULL);
	/* No udevd here: the kernel's uevents are listened to. */
	assert_true(logcap_has(&f->cap, "waiting on the kernel uevent source"));
}

static void test_wait_udevd_source(void **state)
{
	struct fixture *f = *state;

	char buf[64];

	use_host_misc();
	/* With udevd, its events: they come after the rules set the mode. */
	fakedev.udevd_running = true;
	wrap_fail("access", 0, ENOENT);		/* not there at first */
	assert_int_equal(exotic_device_wait(f->ctx, 5000, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/dev/" HOST_MISC);
	assert_true(logcap_has(&f->cap, "waiting on the udev uevent source"));
}

static void test_wait_appears_no_monitor(void **state)
{
	struct fixture *f = *state;

	appears_later(f, "udev_monitor_new_from_netlink");
	assert_true(logcap_has(&f->cap, "polling"));
}

static void test_wait_appears_monitor_broken(void **state)
{
	struct fixture *f = *state;

	appears_later(f, "udev_monitor_enable_receiving");
	assert_true(logcap_has(&f->cap, "polling"));
}

static void test_wait_no_udev(void **state)
{
	struct fixture *f = *state;
	char buf[64];

	/* No libudev at all: the wait polls for /dev/exotic and times out. */
	wrap_fail("udev_new", 0, ENOMEM);
	assert_int_equal(exotic_device_wait(f->ctx, 60, buf, sizeof(buf)), -ETIMEDOUT);
}

/* ------------------------------------------------------------- open */

static void test_open_bad_args(void **state)
{
	struct fixture *f = *state;
	struct exotic_device *dev = (struct exotic_device *)0x1;

	assert_int_equal(exotic_device_open_path(f->ctx, FAKEDEV_PATH, NULL), -EINVAL);
	assert_int_equal(exotic_device_open_path(NULL, FAKEDEV_PATH, &dev), -EINVAL);
	assert_null(dev);
	dev = (struct exotic_device *)0x1;
	assert_int_equal(exotic_device_open_path(f->ctx, NULL, &dev), -EINVAL);
	assert_null(dev);
	assert_int_equal(exotic_device_open_path(f->ctx, "", &dev), -EINVAL);
	assert_int_equal(exotic_device_open(f->ctx, NULL), -EINVAL);
	dev = (struct exotic_device *)0x1;
	assert_int_equal(exotic_device_open(NULL, &dev), -EINVAL);
	assert_null(dev);
	assert_int_equal(wrap_calls("open"), 0);
}

static void test_open_path(void **state)
{
	struct fixture *f = *state;
	struct exotic_device *dev;

	assert_int_equal(exotic_device_open_path(f->ctx, FAKEDEV_PATH, &dev), 0);
	assert_non_null(dev);
	assert_true(fakedev_is_fake_fd(exotic_device_get_fd(dev)));
	assert_string_equal(exotic_device_get_path(dev), FAKEDEV_PATH);
	assert_ptr_equal(exotic_device_get_ctx(dev), f->ctx);
	assert_int_equal(fakedev.ioctls, 1);	/* the version check */
	assert_true(logcap_has(&f->cap, "ABI 2"));
	assert_ptr_equal(exotic_device_ref(dev), dev);
	assert_ptr_equal(exotic_device_unref(dev), dev);
	assert_int_equal(wrap_calls("close"), 0);
	assert_null(exotic_device_unref(dev));
	assert_int_equal(wrap_calls("close"), 1);
	assert_null(exotic_device_ref(NULL));
	assert_null(exotic_device_unref(NULL));
	assert_int_equal(exotic_device_get_fd(NULL), -EINVAL);
	assert_null(exotic_device_get_path(NULL));
	assert_null(exotic_device_get_ctx(NULL));
}

static void test_open_keeps_ctx(void **state)
{
	struct fixture *f = *state;
	struct exotic_device *dev;
	struct exotic_ctx *ctx;
	struct exotic_version v;

	assert_int_equal(exotic_new(&ctx), 0);
	assert_int_equal(exotic_device_open_path(ctx, FAKEDEV_PATH, &dev), 0);
	/* The device holds a reference: the ctx outlives our unref. */
	assert_ptr_equal(exotic_unref(ctx), ctx);
	assert_ptr_equal(exotic_device_get_ctx(dev), ctx);
	assert_int_equal(exotic_device_version(dev, &v), 0);
	assert_null(exotic_device_unref(dev));
	(void)f;
}

static void test_open_errors(void **state)
{
	struct fixture *f = *state;
	struct exotic_device *dev = (struct exotic_device *)0x1;

	assert_int_equal(exotic_device_open_path(f->ctx, "/nonexistent/x", &dev), -ENOENT);
	assert_null(dev);
	assert_true(logcap_has(&f->cap, "modprobe exotic"));

	logcap_clear(&f->cap);
	wrap_fail("open", 0, EACCES);
	assert_int_equal(exotic_device_open_path(f->ctx, FAKEDEV_PATH, &dev), -EACCES);
	assert_true(logcap_has(&f->cap, "udev rule"));

	logcap_clear(&f->cap);
	wrap_fail("open", 0, EMFILE);
	assert_int_equal(exotic_device_open_path(f->ctx, FAKEDEV_PATH, &dev), -EMFILE);
	assert_true(logcap_has(&f->cap, strerror(EMFILE)));

	wrap_fail("calloc", 0, ENOMEM);
	assert_int_equal(exotic_device_open_path(f->ctx, FAKEDEV_PATH, &dev), -ENOMEM);
	assert_int_equal(wrap_calls("open"), 3);	/* not even tried */
}

static void test_open_version_checks(void **state)
{
	struct fixture *f = *state;
	struct exotic_device *dev = (struct exotic_device *)0x1;

	/* Every failure closes what it opened. */
	fakedev.version.abi_version = EXOTIC_ABI_VERSION + 1;
	assert_int_equal(exotic_device_open_path(f->ctx, FAKEDEV_PATH, &dev), -EPROTO);
	assert_null(dev);
	assert_true(logcap_has(&f->cap, "same tree"));
	assert_int_equal(wrap_calls("close"), 1);
	fakedev.version.abi_version = EXOTIC_ABI_VERSION;

	logcap_clear(&f->cap);
	wrap_fail_ioctl(EXOTIC_IOC_VERSION, 0, ENOTTY);
	assert_int_equal(exotic_device_open_path(f->ctx, FAKEDEV_PATH, &dev), -ENOTTY);
	assert_true(logcap_has(&f->cap, "not an exotic device"));
	assert_int_equal(wrap_calls("close"), 2);

	/* A node that is not ours: the real ioctl on /dev/null. */
	assert_int_equal(exotic_device_open_path(f->ctx, "/dev/null", &dev), -ENOTTY);
	assert_int_equal(wrap_calls("close"), 3);

	wrap_fail_ioctl(EXOTIC_IOC_VERSION, 0, EIO);
	assert_int_equal(exotic_device_open_path(f->ctx, FAKEDEV_PATH, &dev), -EIO);
	assert_int_equal(wrap_calls("close"), 4);

	/* EINTR is retried, not reported. */
	wrap_fail_ioctl(EXOTIC_IOC_VERSION, 0, EINTR);
	assert_int_equal(exotic_device_open_path(f->ctx, FAKEDEV_PATH, &dev), 0);
	exotic_device_unref(dev);
}

static void test_open_discovery(void **state)
{
	struct fixture *f = *state;
	struct exotic_device *dev = (struct exotic_device *)0x1;

	/* Nothing in sysfs: a clear "not loaded". */
	assert_int_equal(exotic_device_open(f->ctx, &dev), -ENOENT);
	assert_null(dev);
	assert_true(logcap_has(&f->cap, "exotic_module_load()"));

	/* No libudev (a fresh ctx: the first one has it): /dev/exotic. */
	struct exotic_ctx *ctx;

	assert_int_equal(exotic_new(&ctx), 0);
	fakedev.claim_dev_exotic = true;
	wrap_fail("udev_new", 0, ENOMEM);
	assert_int_equal(exotic_device_open(ctx, &dev), 0);
	assert_string_equal(exotic_device_get_path(dev), "/dev/exotic");
	exotic_device_unref(dev);
	exotic_unref(ctx);

	/* Found through libudev: the node it names is opened. */
	if (host_has_misc()) {
		fake_udev_sysname = HOST_MISC;
		assert_int_equal(exotic_device_open(f->ctx, &dev), -ENOTTY);
		assert_true(logcap_has(&f->cap, "/dev/" HOST_MISC));
	}
}

static void test_close_failure(void **state)
{
	struct fixture *f = *state;
	struct exotic_device *dev;

	assert_int_equal(exotic_device_open_path(f->ctx, FAKEDEV_PATH, &dev), 0);
	wrap_fail("close", 0, EIO);
	assert_null(exotic_device_unref(dev));
	assert_true(logcap_has(&f->cap, "close(" FAKEDEV_PATH ")"));
}

static void test_version(void **state)
{
	struct fixture *f = *state;
	struct exotic_device *dev;
	struct exotic_version v;

	assert_int_equal(exotic_device_open_path(f->ctx, FAKEDEV_PATH, &dev), 0);
	fakedev.version.used_bytes = 12345;
	fakedev.version.epoch = 77;
	memset(&v, 0xff, sizeof(v));
	assert_int_equal(exotic_device_version(dev, &v), 0);
	assert_memory_equal(&v, &fakedev.version, sizeof(v));
	assert_int_equal(exotic_device_version(dev, NULL), -EINVAL);
	assert_int_equal(exotic_device_version(NULL, &v), -EINVAL);
	wrap_fail_ioctl(EXOTIC_IOC_VERSION, 0, EIO);
	assert_int_equal(exotic_device_version(dev, &v), -EIO);

	fakedev.version.kinds = 1U << EXOTIC_KIND_REFCOUNTED;
	fakedev.version.methods = 1U << EXOTIC_MAP_FAULT;
	assert_int_equal(exotic_device_has_kind(dev, EXOTIC_KIND_REFCOUNTED), 1);
	assert_int_equal(exotic_device_has_kind(dev, EXOTIC_KIND_CARVEOUT), 0);
	assert_int_equal(exotic_device_has_method(dev, EXOTIC_MAP_FAULT), 1);
	assert_int_equal(exotic_device_has_method(dev, EXOTIC_MAP_HUGE), 0);
	assert_int_equal(exotic_device_has_kind(dev, 32), -EINVAL);
	assert_int_equal(exotic_device_has_method(NULL, 1), -EINVAL);
	wrap_fail_ioctl(EXOTIC_IOC_VERSION, 0, EIO);
	assert_int_equal(exotic_device_has_kind(dev, 1), -EIO);
	exotic_device_unref(dev);
}

/* ------------------------------------------------------------ module */

static char fixture_dir[] = "/tmp/exotic-unit-XXXXXX";
static const char *moddir;

static int group_setup(void **state)
{
	char cmd[128];

	(void)state;
	if (!mkdtemp(fixture_dir))
		return -1;
	moddir = fake_kmod_fixture(fixture_dir);
	if (!moddir) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fixture_dir);
		if (system(cmd) != 0)
			return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fixture_dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void model(const char *name)
{
	fake_kmod.enabled = true;
	fake_kmod.dirname = moddir;
	fake_kmod.name = name;
}

static void test_module_bad_args(void **state)
{
	struct fixture *f = *state;

	model("exotic");
	assert_int_equal(exotic_module_load(NULL, "exotic", NULL), -EINVAL);
	assert_int_equal(exotic_module_load(f->ctx, NULL, NULL), -EINVAL);
	assert_int_equal(exotic_module_load(f->ctx, "", NULL), -EINVAL);
	assert_int_equal(exotic_module_unload(NULL, "exotic"), -EINVAL);
	assert_int_equal(exotic_module_unload(f->ctx, NULL), -EINVAL);
	assert_int_equal(exotic_module_unload(f->ctx, ""), -EINVAL);
	assert_int_equal(exotic_module_unload(f->ctx, "/x/exotic.ko"), -EINVAL);
	assert_int_equal(exotic_module_is_loaded(f->ctx, NULL), -EINVAL);
	assert_int_equal(exotic_module_is_loaded(NULL, "exotic"), -EINVAL);
	assert_int_equal(fake_kmod.inserts + fake_kmod.removes, 0);
}

static void test_module_by_name(void **state)
{
	struct fixture *f = *state;
	const char *params = "carveout_base=0x70000000 carveout_size=0x10000000";

	if (!moddir) {
		print_message("# no fake module tree: the host's depmod could not build one\n");
		skip();
	}
	model("exotic");
	assert_int_equal(exotic_module_is_loaded(f->ctx, "exotic"), 0);
	assert_int_equal(exotic_module_load(f->ctx, "exotic", params), 0);
	assert_string_equal(fake_kmod.params, params);
	assert_int_equal(exotic_module_is_loaded(f->ctx, "exotic"), 1);
	assert_int_equal(exotic_module_load(f->ctx, "exotic", NULL), -EEXIST);
	assert_int_equal(fake_kmod.inserts, 1);

	fake_kmod.refcnt = 2;
	assert_int_equal(exotic_module_unload(f->ctx, "exotic"), -EBUSY);
	assert_true(logcap_has(&f->cap, "in use (refcount 2)"));
	fake_kmod.refcnt = 0;
	assert_int_equal(exotic_module_unload(f->ctx, "exotic"), 0);
	assert_int_equal(exotic_module_is_loaded(f->ctx, "exotic"), 0);
	logcap_clear(&f->cap);
	assert_int_equal(exotic_module_unload(f->ctx, "exotic"), -ENOENT);
	assert_true(logcap_has(&f->cap, "not loaded"));

	/* Loaded without parameters: none passed on. */
	assert_int_equal(exotic_module_load(f->ctx, "exotic", NULL), 0);
	assert_string_equal(fake_kmod.params, "");
	fake_kmod.remove_err = -EPERM;
	assert_int_equal(exotic_module_unload(f->ctx, "exotic"), -EPERM);
}

static void test_module_not_found(void **state)
{
	struct fixture *f = *state;

	if (!moddir) {
		print_message("# no fake module tree: the host's depmod could not build one\n");
		skip();
	}
	model("exotic");
	assert_int_equal(exotic_module_load(f->ctx, "no_such_module_xyz", NULL), -ENOENT);
	assert_true(logcap_has(&f->cap, "depmod"));
	assert_int_equal(fake_kmod.inserts, 0);
}

static void test_module_load_errors(void **state)
{
	struct fixture *f = *state;
	static const struct {
		int err;
		const char *hint;
	} cases[] = {
		{ EPERM, "CAP_SYS_MODULE" },
		{ ENOEXEC, "running kernel" },
		{ ENOENT, "unknown symbol" },
		{ EINVAL, "dmesg" },
	};

	if (!moddir) {
		print_message("# no fake module tree: the host's depmod could not build one\n");
		skip();
	}
	model("exotic");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		logcap_clear(&f->cap);
		wrap_fail("init_module", 0, cases[i].err);
		assert_int_equal(exotic_module_load(f->ctx, "exotic", NULL),
				 -cases[i].err);
		assert_true(logcap_has(&f->cap, cases[i].hint));
	}
	assert_int_equal(fake_kmod.inserts, 0);

	wrap_fail("kmod_module_new_from_lookup", 0, ENOMEM);
	assert_int_equal(exotic_module_load(f->ctx, "exotic", NULL), -ENOMEM);
}

static void test_module_by_path(void **state)
{
	struct fixture *f = *state;
	char path[600];

	if (!moddir) {
		print_message("# no fake module tree: the host's depmod could not build one\n");
		skip();
	}
	model("exotic");
	snprintf(path, sizeof(path), "%s/extra/exotic.ko", moddir);
	assert_int_equal(exotic_module_load(f->ctx, "/nonexistent/exotic.ko", NULL), -ENOENT);
	assert_true(logcap_has(&f->cap, "/nonexistent/exotic.ko"));
	assert_int_equal(exotic_module_load(f->ctx, path, "max_regions=3"), 0);
	assert_string_equal(fake_kmod.params, "max_regions=3");
	assert_int_equal(exotic_module_load(f->ctx, path, NULL), -EEXIST);
	assert_int_equal(exotic_module_unload(f->ctx, "exotic"), 0);
	wrap_fail("init_module", 0, ENOEXEC);
	assert_int_equal(exotic_module_load(f->ctx, path, NULL), -ENOEXEC);
	assert_true(logcap_has(&f->cap, "invalid module format"));
}

static void test_module_kmod_failures(void **state)
{
	struct fixture *f = *state;
	struct exotic_ctx *ctx;

	model("exotic");
	assert_int_equal(exotic_new(&ctx), 0);
	logcap_attach(ctx, &f->cap);
	wrap_fail("kmod_new", 0, ENOMEM);
	assert_int_equal(exotic_module_load(ctx, "exotic", NULL), -ENOMEM);
	wrap_fail("kmod_new", 0, ENOMEM);
	assert_int_equal(exotic_module_unload(ctx, "exotic"), -ENOMEM);
	exotic_unref(ctx);

	wrap_fail("kmod_module_new_from_name", 0, ENOMEM);
	assert_int_equal(exotic_module_is_loaded(f->ctx, "exotic"), -ENOMEM);
	wrap_fail("initstate", 0, EIO);
	assert_int_equal(exotic_module_is_loaded(f->ctx, "exotic"), -EIO);
	wrap_fail("initstate", 0, EIO);
	assert_int_equal(exotic_module_unload(f->ctx, "exotic"), -EIO);
	fake_kmod.loaded = true;
	wrap_fail("delete_module", 0, EAGAIN);
	assert_int_equal(exotic_module_unload(f->ctx, "exotic"), -EBUSY);
	assert_true(fake_kmod.loaded);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_find_bad_args),
		T(test_find_absent),
		T(test_find_udev),
		T(test_find_fallback),
		T(test_wait_bad_args),
		T(test_wait_timeout),
		T(test_wait_present),
		T(test_wait_appears),
		T(test_wait_udevd_source),
		T(test_wait_appears_no_monitor),
		T(test_wait_appears_monitor_broken),
		T(test_wait_no_udev),
		T(test_open_bad_args),
		T(test_open_path),
		T(test_open_keeps_ctx),
		T(test_open_errors),
		T(test_open_version_checks),
		T(test_open_discovery),
		T(test_close_failure),
		T(test_version),
		T(test_module_bad_args),
		T(test_module_by_name),
		T(test_module_not_found),
		T(test_module_load_errors),
		T(test_module_by_path),
		T(test_module_kmod_failures),
	};

	return cmocka_run_group_tests_name("device", tests, group_setup,
					   group_teardown);
}
