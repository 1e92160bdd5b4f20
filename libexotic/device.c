// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Device layer: find /dev/exotic with libudev, wait for it with a udev
 * monitor, open it and check the driver's ABI version.
 */
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <libudev.h>

#include "internal.h"

struct exotic_device {
	int refcount;
	struct exotic_ctx *ctx;
	int fd;
	char *path;
	struct exotic_version version;	/* as read at open */
};

int exotic_ioctl(int fd, unsigned long request, void *arg)
{
	int r;

	do {
		r = ioctl(fd, request, arg);
	} while (r < 0 && errno == EINTR);
	return r < 0 ? exotic_neg_errno() : r;
}

static struct udev *ctx_udev(struct exotic_ctx *ctx)
{
	if (!ctx->udev) {
		ctx->udev = udev_new();
		if (!ctx->udev)
			exotic_dbg(ctx, "udev_new() failed: %m\n");
	}
	return ctx->udev;
}

static int copy_path(struct exotic_ctx *ctx, const char *path, char *buf,
		     size_t size)
{
	if (strlen(path) >= size) {
		exotic_err(ctx, "device path %s does not fit in %zu bytes\n",
			   path, size);
		return -ENAMETOOLONG;
	}
	strcpy(buf, path);
	return 0;
}

/* Without libudev or sysfs: is there a /dev/exotic at all? */
static int find_fallback(struct exotic_ctx *ctx, char *buf, size_t size)
{
	if (access(EXOTIC_DEVICE_PATH, F_OK) < 0) {
		exotic_dbg(ctx, "no %s either\n", EXOTIC_DEVICE_PATH);
		return -ENOENT;
	}
	return copy_path(ctx, EXOTIC_DEVICE_PATH, buf, size);
}

/*
 * The udev view: 1 (path in buf) if the misc device exists and has a
 * node, 0 if it does not exist, -EAGAIN if libudev cannot answer, or
 * another negative errno.
 */
static int find_udev(struct exotic_ctx *ctx, char *buf, size_t size)
{
	struct udev *udev = ctx_udev(ctx);
	struct udev_enumerate *e;
	struct udev_list_entry *entry;
	struct udev_device *d = NULL;
	const char *node;
	int r;

	if (!udev)
		return -EAGAIN;
	e = udev_enumerate_new(udev);
	if (!e)
		return -EAGAIN;
	if (udev_enumerate_add_match_subsystem(e, "misc") < 0 ||
	    udev_enumerate_add_match_sysname(e, EXOTIC_DEVICE_NAME) < 0 ||
	    udev_enumerate_scan_devices(e) < 0) {
		exotic_dbg(ctx, "udev enumeration failed\n");
		r = -EAGAIN;
		goto out;
	}
	entry = udev_enumerate_get_list_entry(e);
	if (!entry && access("/sys/class/misc", F_OK) < 0) {
		exotic_dbg(ctx, "no sysfs: libudev cannot tell\n");
		r = -EAGAIN;
		goto out;
	}
	if (!entry) {
		exotic_dbg(ctx, "no misc device \"%s\" in sysfs\n",
			   EXOTIC_DEVICE_NAME);
		r = 0;
		goto out;
	}
	d = udev_device_new_from_syspath(udev, udev_list_entry_get_name(entry));
	node = d ? udev_device_get_devnode(d) : NULL;
	if (!node)
		node = EXOTIC_DEVICE_PATH;
	if (access(node, F_OK) < 0) {
		exotic_dbg(ctx, "%s is registered but %s does not exist (yet): mount devtmpfs or start udevd\n",
			   udev_list_entry_get_name(entry), node);
		r = 0;
		goto out;
	}
	r = copy_path(ctx, node, buf, size);
	if (!r)
		r = 1;
out:
	if (d)
		udev_device_unref(d);
	udev_enumerate_unref(e);
	return r;
}

EXOTIC_EXPORT int exotic_device_find(struct exotic_ctx *ctx, char *buf,
				     size_t size)
{
	int r;

	if (!ctx || !buf || !size)
		return -EINVAL;
	pthread_mutex_lock(&ctx->lock);
	r = find_udev(ctx, buf, size);
	pthread_mutex_unlock(&ctx->lock);
	if (r == -EAGAIN)
		return find_fallback(ctx, buf, size);
	if (r < 0)
		return r;
	if (r == 0)
		return -ENOENT;
	exotic_dbg(ctx, "found %s\n", buf);
	return 0;
}

static const char *str_or_unknown(const char *s)
{
	return s ? s : "?";
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * A monitor on misc uevents.  The "udev" source only sees events after
 * udevd has processed them, which never happens without udevd (a busybox
 * initramfs); then listen to the kernel's own uevents instead.  NULL if
 * neither works: the caller polls sysfs.
 */
static struct udev_monitor *monitor_new(struct exotic_ctx *ctx)
{
	struct udev *udev = ctx_udev(ctx);
	const char *source;
	struct udev_monitor *mon;

	if (!udev)
		return NULL;
	source = access("/run/udev/control", F_OK) == 0 ? "udev" : "kernel";
	mon = udev_monitor_new_from_netlink(udev, source);
	if (!mon) {
		exotic_dbg(ctx, "no udev monitor (%s source): polling\n", source);
		return NULL;
	}
	if (udev_monitor_filter_add_match_subsystem_devtype(mon, "misc", NULL) < 0 ||
	    udev_monitor_enable_receiving(mon) < 0) {
		exotic_dbg(ctx, "udev monitor (%s source) failed: polling\n", source);
		udev_monitor_unref(mon);
		return NULL;
	}
	exotic_dbg(ctx, "waiting on the %s uevent source\n", source);
	return mon;
}

EXOTIC_EXPORT int exotic_device_wait(struct exotic_ctx *ctx, int timeout_ms,
				     char *buf, size_t size)
{
	/* Poll sysfs this often too: a uevent can precede the node. */
	const int recheck_ms = 50;
	struct udev_monitor *mon;
	long long deadline;
	int r;

	if (!ctx || !buf || !size)
		return -EINVAL;
	r = exotic_device_find(ctx, buf, size);
	if (r != -ENOENT)
		return r;
	deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
	pthread_mutex_lock(&ctx->lock);
	mon = monitor_new(ctx);
	pthread_mutex_unlock(&ctx->lock);
	for (;;) {
		/* Checked after the monitor is listening: no lost wakeup. */
		r = exotic_device_find(ctx, buf, size);
		if (r != -ENOENT)
			break;
		int wait = recheck_ms;

		if (deadline >= 0) {
			long long left = deadline - now_ms();

			if (left <= 0) {
				r = -ETIMEDOUT;
				exotic_err(ctx, "no %s device after %d ms: is the module loaded?\n",
					   EXOTIC_DEVICE_NAME, timeout_ms);
				break;
			}
			if (left < wait)
				wait = (int)left;
		}
		if (mon) {
			struct pollfd pfd = {
				.fd = udev_monitor_get_fd(mon),
				.events = POLLIN,
			};

			if (poll(&pfd, 1, wait) > 0) {
				struct udev_device *d;

				pthread_mutex_lock(&ctx->lock);
				d = udev_monitor_receive_device(mon);
				if (d) {
					exotic_dbg(ctx, "uevent %s %s\n",
						   str_or_unknown(udev_device_get_action(d)),
						   str_or_unknown(udev_device_get_sysname(d)));
					udev_device_unref(d);
				}
				pthread_mutex_unlock(&ctx->lock);
			}
		} else {
			poll(NULL, 0, wait);
		}
	}
	if (mon) {
		pthread_mutex_lock(&ctx->lock);
		udev_monitor_unref(mon);
		pthread_mutex_unlock(&ctx->lock);
	}
	return r;
}

static int device_check_version(struct exotic_device *dev)
{
	struct exotic_ctx *ctx = dev->ctx;
	int r;

	memset(&dev->version, 0, sizeof(dev->version));
	r = exotic_ioctl(dev->fd, EXOTIC_IOC_VERSION, &dev->version);
	if (r == -ENOTTY || r == -EINVAL) {
		exotic_err(ctx, "%s is not an exotic device (EXOTIC_IOC_VERSION: %s)\n",
			   dev->path, strerror(-r));
		return -ENOTTY;
	}
	if (r < 0) {
		exotic_err(ctx, "EXOTIC_IOC_VERSION on %s: %s\n", dev->path,
			   strerror(-r));
		return r;
	}
	if (dev->version.abi_version != EXOTIC_ABI_VERSION) {
		exotic_err(ctx, "%s speaks exotic ABI %u, this libexotic speaks %u: build the module and the library from the same tree\n",
			   dev->path, dev->version.abi_version,
			   EXOTIC_ABI_VERSION);
		return -EPROTO;
	}
	exotic_info(ctx, "%s: ABI %u, kinds 0x%x, methods 0x%x, max order %u, carve-out %#llx+%#llx\n",
		    dev->path, dev->version.abi_version, dev->version.kinds,
		    dev->version.methods, dev->version.max_order,
		    (unsigned long long)dev->version.carveout_base,
		    (unsigned long long)dev->version.carveout_size);
	return 0;
}

int exotic_open_node(struct exotic_ctx *ctx, const char *path,
		     const char *missing, const char *denied)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);

	if (fd >= 0)
		return fd;
	fd = exotic_neg_errno();
	if (fd == -ENOENT)
		exotic_err(ctx, "no %s: %s\n", path, missing);
	else if (fd == -EACCES || fd == -EPERM)
		exotic_err(ctx, "cannot open %s: permission denied; %s\n", path, denied);
	else
		exotic_err(ctx, "cannot open %s: %s\n", path, strerror(-fd));
	return fd;
}

EXOTIC_EXPORT int exotic_device_open_path(struct exotic_ctx *ctx,
					  const char *path,
					  struct exotic_device **devp)
{
	struct exotic_device *dev;
	int r;

	if (!devp)
		return -EINVAL;
	*devp = NULL;
	if (!ctx || !path || !*path)
		return -EINVAL;
	dev = calloc(1, sizeof(*dev));
	if (!dev)
		return -ENOMEM;
	dev->refcount = 1;
	dev->fd = -1;
	dev->path = strdup(path);
	if (!dev->path) {
		r = -ENOMEM;
		goto err;
	}
	dev->fd = exotic_open_node(ctx, path,
				   "module not loaded? run modprobe exotic or exotic_module_load()",
				   "run as root or install the udev rule (group kvm)");
	if (dev->fd < 0) {
		r = dev->fd;
		goto err;
	}
	dev->ctx = exotic_ref(ctx);
	r = device_check_version(dev);
	if (r < 0)
		goto err;
	*devp = dev;
	return 0;
err:
	if (dev->fd >= 0)
		close(dev->fd);
	exotic_unref(dev->ctx);
	free(dev->path);
	free(dev);
	return r;
}

EXOTIC_EXPORT int exotic_device_open(struct exotic_ctx *ctx,
				     struct exotic_device **devp)
{
	char path[PATH_MAX];
	int r;

	if (!devp)
		return -EINVAL;
	*devp = NULL;
	if (!ctx)
		return -EINVAL;
	r = exotic_device_find(ctx, path, sizeof(path));
	if (r == -ENOENT) {
		exotic_err(ctx, "no exotic device: module not loaded? run modprobe exotic or exotic_module_load()\n");
		return r;
	}
	if (r < 0)
		return r;
	return exotic_device_open_path(ctx, path, devp);
}

EXOTIC_DEFINE_REF(exotic_device, exotic_device_ref)

EXOTIC_EXPORT struct exotic_device *exotic_device_unref(struct exotic_device *dev)
{
	if (!dev || !exotic_refcount_put(&dev->refcount))
		return dev;
	exotic_dbg(dev->ctx, "closing %s\n", dev->path);
	if (close(dev->fd) < 0)
		exotic_warn(dev->ctx, "close(%s): %m\n", dev->path);
	exotic_unref(dev->ctx);
	free(dev->path);
	free(dev);
	return NULL;
}

EXOTIC_EXPORT struct exotic_ctx *exotic_device_get_ctx(const struct exotic_device *dev)
{
	return dev ? dev->ctx : NULL;
}

EXOTIC_EXPORT int exotic_device_get_fd(const struct exotic_device *dev)
{
	return dev ? dev->fd : -EINVAL;
}

EXOTIC_EXPORT const char *exotic_device_get_path(const struct exotic_device *dev)
{
	return dev ? dev->path : NULL;
}

EXOTIC_EXPORT int exotic_device_version(struct exotic_device *dev,
					struct exotic_version *version)
{
	int r;

	if (!dev || !version)
		return -EINVAL;
	memset(version, 0, sizeof(*version));
	r = exotic_ioctl(dev->fd, EXOTIC_IOC_VERSION, version);
	if (r < 0)
		exotic_err(dev->ctx, "EXOTIC_IOC_VERSION: %s\n", strerror(-r));
	return r < 0 ? r : 0;
}

static int has_bit(struct exotic_device *dev, unsigned int bit, int is_kind)
{
	struct exotic_version v;
	int r;

	if (!dev || bit > 31)
		return -EINVAL;
	r = exotic_device_version(dev, &v);
	if (r < 0)
		return r;
	return !!((is_kind ? v.kinds : v.methods) & (1U << bit));
}

EXOTIC_EXPORT int exotic_device_has_kind(struct exotic_device *dev,
					 unsigned int kind)
{
	return has_bit(dev, kind, 1);
}

EXOTIC_EXPORT int exotic_device_has_method(struct exotic_device *dev,
					   unsigned int method)
{
	return has_bit(dev, method, 0);
}
