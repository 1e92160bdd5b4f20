/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Device layer: find, load and open the exotic driver.
 *
 * The node is found with libudev (misc device with sysname "exotic"),
 * falling back to /dev/exotic when sysfs or libudev cannot say.  Opening
 * checks the driver's ABI version (EXOTIC_IOC_VERSION) and refuses a
 * mismatch with -EPROTO.  Module load and unload go through libkmod.
 */
#ifndef EXOTIC_DEVICE_H
#define EXOTIC_DEVICE_H

#include "exotic.h"

#ifdef __cplusplus
extern "C" {
#endif

struct exotic_device;

/* The module and device names. */
#define EXOTIC_MODULE_NAME	"exotic"
#define EXOTIC_DEVICE_NAME	"exotic"
#define EXOTIC_DEVICE_PATH	"/dev/exotic"

/*
 * Write the device node's path into buf (size bytes, NUL-terminated).
 * Returns 0, -ENOENT if the driver has no device (module not loaded),
 * -ENAMETOOLONG if buf is too small, -EINVAL on bad arguments.
 */
EXOTIC_EXPORT int exotic_device_find(struct exotic_ctx *ctx, char *buf,
				     size_t size);

/*
 * Like exotic_device_find(), but wait up to timeout_ms milliseconds (a
 * negative value waits forever) for the device to appear and for its node
 * to exist.  Listens to udev events ("udev" source when udevd runs, the
 * kernel's uevents otherwise) and re-checks periodically, so it works with
 * and without udevd.  Returns -ETIMEDOUT when the time ran out.
 */
EXOTIC_EXPORT int exotic_device_wait(struct exotic_ctx *ctx, int timeout_ms,
				     char *buf, size_t size);

/*
 * Open the exotic device found by exotic_device_find() (or /dev/exotic)
 * and check its ABI version.  *dev holds one reference.
 * Errors: -ENOENT (module not loaded), -EACCES (permissions), -ENOTTY (not
 * an exotic device), -EPROTO (ABI mismatch), -ENOMEM.
 */
EXOTIC_EXPORT int exotic_device_open(struct exotic_ctx *ctx,
				     struct exotic_device **dev);
/* The same on an explicit path. */
EXOTIC_EXPORT int exotic_device_open_path(struct exotic_ctx *ctx,
					  const char *path,
					  struct exotic_device **dev);
EXOTIC_EXPORT struct exotic_device *exotic_device_ref(struct exotic_device *dev);
/* Closes the file when the last reference (regions hold one) goes. */
EXOTIC_EXPORT struct exotic_device *exotic_device_unref(struct exotic_device *dev);

EXOTIC_EXPORT struct exotic_ctx *exotic_device_get_ctx(const struct exotic_device *dev);
/* The open file descriptor, owned by dev; -EINVAL for NULL. */
EXOTIC_EXPORT int exotic_device_get_fd(const struct exotic_device *dev);
EXOTIC_EXPORT const char *exotic_device_get_path(const struct exotic_device *dev);

/*
 * Ask the driver for its current version and limits (EXOTIC_IOC_VERSION);
 * used_bytes and epoch change over time.
 */
EXOTIC_EXPORT int exotic_device_version(struct exotic_device *dev,
					struct exotic_version *version);
/* 1 if the driver offers kind (resp. method) now, 0 if not, or -errno. */
EXOTIC_EXPORT int exotic_device_has_kind(struct exotic_device *dev,
					 unsigned int kind);
EXOTIC_EXPORT int exotic_device_has_method(struct exotic_device *dev,
					   unsigned int method);

/*
 * Load a module with libkmod.  name_or_path is a module name or alias
 * (resolved through modules.dep, dependencies loaded first) or, when it
 * contains a '/', a .ko file.  params ("carveout_base=0x60000000 ...") may
 * be NULL.  Returns 0, -EEXIST if the module is already loaded, -ENOENT
 * if it cannot be found, -EPERM without CAP_SYS_MODULE, or another errno
 * from the kernel (see the log for its dmesg hint).
 */
EXOTIC_EXPORT int exotic_module_load(struct exotic_ctx *ctx,
				     const char *name_or_path,
				     const char *params);
/*
 * Unload a module by name.  Returns 0, -ENOENT if it is not loaded, -EBUSY
 * while it is in use (an open /dev/exotic file, a mapping).
 */
EXOTIC_EXPORT int exotic_module_unload(struct exotic_ctx *ctx,
				       const char *name);
/* 1 if the module is loaded (live), 0 if not, or a negative errno. */
EXOTIC_EXPORT int exotic_module_is_loaded(struct exotic_ctx *ctx,
					  const char *name);

#ifdef __cplusplus
}
#endif

#endif /* EXOTIC_DEVICE_H */
