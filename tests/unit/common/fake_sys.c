// SPDX-License-Identifier: LGPL-2.1-or-later
/* libudev and libkmod wrappers for host unit tests: see fake_sys.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libkmod.h>
#include <libudev.h>

#include "fake_sys.h"
#include "wrap.h"

const char *fake_udev_sysname;
struct fake_kmod fake_kmod;

void fake_sys_reset(void)
{
	fake_udev_sysname = NULL;
	memset(&fake_kmod, 0, sizeof(fake_kmod));
}

#define PTR_CALL(fn, ...)				\
	do {						\
		int _e = wrap_should_fail(#fn, 0);	\
		if (_e) {				\
			errno = _e;			\
			return NULL;			\
		}					\
		return __real_##fn(__VA_ARGS__);	\
	} while (0)

#define INT_CALL(fn, ...)				\
	do {						\
		int _e = wrap_should_fail(#fn, 0);	\
		if (_e)					\
			return -_e;			\
		return __real_##fn(__VA_ARGS__);	\
	} while (0)

/* ---- libudev */
struct udev *__real_udev_new(void);
struct udev *__wrap_udev_new(void);
struct udev_enumerate *__real_udev_enumerate_new(struct udev *u);
struct udev_enumerate *__wrap_udev_enumerate_new(struct udev *u);
int __real_udev_enumerate_add_match_sysname(struct udev_enumerate *e, const char *s);
int __wrap_udev_enumerate_add_match_sysname(struct udev_enumerate *e, const char *s);
int __real_udev_enumerate_scan_devices(struct udev_enumerate *e);
int __wrap_udev_enumerate_scan_devices(struct udev_enumerate *e);
struct udev_device *__real_udev_device_new_from_syspath(struct udev *u, const char *p);
struct udev_device *__wrap_udev_device_new_from_syspath(struct udev *u, const char *p);
struct udev_monitor *__real_udev_monitor_new_from_netlink(struct udev *u, const char *n);
struct udev_monitor *__wrap_udev_monitor_new_from_netlink(struct udev *u, const char *n);
int __real_udev_monitor_enable_receiving(struct udev_monitor *m);
int __wrap_udev_monitor_enable_receiving(struct udev_monitor *m);

struct udev *__wrap_udev_new(void)
{
	PTR_CALL(udev_new);
}

struct udev_enumerate *__wrap_udev_enumerate_new(struct udev *u)
{
	PTR_CALL(udev_enumerate_new, u);
}

int __wrap_udev_enumerate_add_match_sysname(struct udev_enumerate *e, const char *s)
{
	INT_CALL(udev_enumerate_add_match_sysname, e,
		 fake_udev_sysname ? fake_udev_sysname : s);
}

int __wrap_udev_enumerate_scan_devices(struct udev_enumerate *e)
{
	INT_CALL(udev_enumerate_scan_devices, e);
}

struct udev_device *__wrap_udev_device_new_from_syspath(struct udev *u, const char *p)
{
	PTR_CALL(udev_device_new_from_syspath, u, p);
}

struct udev_monitor *__wrap_udev_monitor_new_from_netlink(struct udev *u, const char *n)
{
	PTR_CALL(udev_monitor_new_from_netlink, u, n);
}

int __wrap_udev_monitor_enable_receiving(struct udev_monitor *m)
{
	INT_CALL(udev_monitor_enable_receiving, m);
}

/* ---- libkmod */
struct kmod_ctx *__real_kmod_new(const char *dirname, const char * const *cfg);
struct kmod_ctx *__wrap_kmod_new(const char *dirname, const char * const *cfg);
int __real_kmod_module_new_from_lookup(struct kmod_ctx *k, const char *n, struct kmod_list **l);
int __wrap_kmod_module_new_from_lookup(struct kmod_ctx *k, const char *n, struct kmod_list **l);
int __real_kmod_module_new_from_path(struct kmod_ctx *k, const char *p, struct kmod_module **m);
int __wrap_kmod_module_new_from_path(struct kmod_ctx *k, const char *p, struct kmod_module **m);
int __real_kmod_module_new_from_name(struct kmod_ctx *k, const char *n, struct kmod_module **m);
int __wrap_kmod_module_new_from_name(struct kmod_ctx *k, const char *n, struct kmod_module **m);
int __real_kmod_module_insert_module(struct kmod_module *m, unsigned int f, const char *o);
int __wrap_kmod_module_insert_module(struct kmod_module *m, unsigned int f, const char *o);
int __real_kmod_module_probe_insert_module(struct kmod_module *m, unsigned int f,
		const char *o, int (*run_install)(struct kmod_module *, const char *, void *),
		const void *data, void (*print_action)(struct kmod_module *, bool, const char *));
int __wrap_kmod_module_probe_insert_module(struct kmod_module *m, unsigned int f,
		const char *o, int (*run_install)(struct kmod_module *, const char *, void *),
		const void *data, void (*print_action)(struct kmod_module *, bool, const char *));
int __real_kmod_module_remove_module(struct kmod_module *m, unsigned int f);
int __wrap_kmod_module_remove_module(struct kmod_module *m, unsigned int f);
int __real_kmod_module_get_initstate(const struct kmod_module *m);
int __wrap_kmod_module_get_initstate(const struct kmod_module *m);
int __real_kmod_module_get_refcnt(const struct kmod_module *m);
int __wrap_kmod_module_get_refcnt(const struct kmod_module *m);

struct kmod_ctx *__wrap_kmod_new(const char *dirname, const char * const *cfg)
{
	if (fake_kmod.enabled && fake_kmod.dirname)
		dirname = fake_kmod.dirname;
	PTR_CALL(kmod_new, dirname, cfg);
}

int __wrap_kmod_module_new_from_lookup(struct kmod_ctx *k, const char *n, struct kmod_list **l)
{
	INT_CALL(kmod_module_new_from_lookup, k, n, l);
}

int __wrap_kmod_module_new_from_path(struct kmod_ctx *k, const char *p, struct kmod_module **m)
{
	INT_CALL(kmod_module_new_from_path, k, p, m);
}

int __wrap_kmod_module_new_from_name(struct kmod_ctx *k, const char *n, struct kmod_module **m)
{
	INT_CALL(kmod_module_new_from_name, k, n, m);
}

static bool modeled(const struct kmod_module *m)
{
	return fake_kmod.enabled && fake_kmod.name &&
	       !strcmp(kmod_module_get_name(m), fake_kmod.name);
}

static int model_insert(const char *options, bool fail_on_loaded)
{
	int e = wrap_should_fail("init_module", 0);

	if (e)
		return -e;
	if (fake_kmod.loaded && fail_on_loaded)
		return -EEXIST;
	fake_kmod.loaded = true;
	fake_kmod.inserts++;
	snprintf(fake_kmod.params, sizeof(fake_kmod.params), "%s",
		 options ? options : "");
	return 0;
}

int __wrap_kmod_module_insert_module(struct kmod_module *m, unsigned int f, const char *o)
{
	if (modeled(m))
		return model_insert(o, true);
	if (fake_kmod.enabled)
		return -ENOENT;		/* never touch the host's kernel */
	INT_CALL(kmod_module_insert_module, m, f, o);
}

int __wrap_kmod_module_probe_insert_module(struct kmod_module *m, unsigned int f,
		const char *o, int (*run_install)(struct kmod_module *, const char *, void *),
		const void *data, void (*print_action)(struct kmod_module *, bool, const char *))
{
	if (modeled(m))
		return model_insert(o, f & KMOD_PROBE_FAIL_ON_LOADED);
	if (fake_kmod.enabled)
		return -ENOENT;
	INT_CALL(kmod_module_probe_insert_module, m, f, o, run_install, data, print_action);
}

int __wrap_kmod_module_remove_module(struct kmod_module *m, unsigned int f)
{
	if (modeled(m)) {
		int e = wrap_should_fail("delete_module", 0);

		if (e)
			return -e;
		if (fake_kmod.remove_err)
			return fake_kmod.remove_err;
		if (!fake_kmod.loaded)
			return -ENOENT;
		if (fake_kmod.refcnt)
			return -EAGAIN;
		fake_kmod.loaded = false;
		fake_kmod.removes++;
		return 0;
	}
	if (fake_kmod.enabled)
		return -ENOENT;
	INT_CALL(kmod_module_remove_module, m, f);
}

int __wrap_kmod_module_get_initstate(const struct kmod_module *m)
{
	if (modeled(m)) {
		int e = wrap_should_fail("initstate", 0);

		if (e)
			return -e;
		return fake_kmod.loaded ? KMOD_MODULE_LIVE : -ENOENT;
	}
	if (fake_kmod.enabled)
		return -ENOENT;
	return __real_kmod_module_get_initstate(m);
}

int __wrap_kmod_module_get_refcnt(const struct kmod_module *m)
{
	if (modeled(m))
		return fake_kmod.refcnt;
	return __real_kmod_module_get_refcnt(m);
}

const char *fake_kmod_fixture(const char *dir)
{
	static char moddir[512];
	char cmd[2048];

	snprintf(moddir, sizeof(moddir), "%s/lib/modules/9.9.9-fake", dir);
	snprintf(cmd, sizeof(cmd),
		 "set -e; mkdir -p '%s/extra'; cd '%s';"
		 " printf '%%s\\n' 'static const char a[] __attribute__((section(\".modinfo\"),used)) = \"license=GPL\";'"
		 " 'static const char b[] __attribute__((section(\".modinfo\"),used)) = \"name=exotic\";' > m.c;"
		 " ${CC:-cc} -c m.c -o extra/exotic.ko; rm m.c;"
		 " touch modules.order modules.builtin modules.builtin.modinfo;"
		 " depmod -b '%s' 9.9.9-fake 2>/dev/null",
		 moddir, moddir, dir);
	if (system(cmd) != 0)
		return NULL;
	return moddir;
}
