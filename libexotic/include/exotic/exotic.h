/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libexotic: exotic memory behind KVM guests, for VMMs and tests.
 *
 * Conventions (as in libkmod): opaque reference-counted objects created by
 * *_new() and released by *_unref(); no global state; every call that can
 * fail returns 0 (or a non-negative count) on success and a negative errno
 * on failure; diagnostics go through the context's log function.
 *
 * Threads: reference counts are atomic, and a context may be shared by
 * threads (its libudev and libkmod handles are used under a lock).  A
 * region's events and queries are single ioctls and may come from any
 * thread, concurrently with vCPUs touching its memory: that is the point.
 * Do not change a context's log settings while other threads use it.
 *
 * A minimal user:
 *
 *	struct exotic_ctx *ctx;
 *	struct exotic_device *dev;
 *	struct exotic_region *r;
 *	struct exotic_region_params p = {
 *		.kind = EXOTIC_KIND_NONCOMPOUND, .method = EXOTIC_MAP_FAULT,
 *		.order = 2, .length = 1 << 20,
 *	};
 *	int err = exotic_new(&ctx);
 *
 *	if (!err)
 *		err = exotic_device_open(ctx, &dev);
 *	if (!err)
 *		err = exotic_region_new(dev, &p, &r);
 *	if (err)
 *		fprintf(stderr, "exotic: %s\n", exotic_strerror(err));
 *	... use exotic_region_addr(r), exotic_region_migrate(r, 0, 0, &epoch) ...
 *	exotic_region_unref(r);
 *	exotic_device_unref(dev);
 *	exotic_unref(ctx);
 *
 * Layers, one header each:
 *   exotic/device.h  find, load and open the exotic driver (libudev, libkmod)
 *   exotic/region.h  regions of exotic memory: alloc, mmap, events, queries
 *   exotic/kvm.h     KVM VMs, memslots, vCPUs and built-in guest programs
 *   exotic/oracle.h  judging kernel logs (console, /dev/kmsg)
 *   exotic/storm.h   invalidation storms with their oracles
 *   exotic/expect.h  expectation tables per kernel profile, scenarios
 */
#ifndef EXOTIC_EXOTIC_H
#define EXOTIC_EXOTIC_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "exotic_uapi.h"

#ifdef __cplusplus
extern "C" {
#endif

#define EXOTIC_EXPORT __attribute__((visibility("default")))

struct exotic_ctx;

/* Log priorities are syslog's (LOG_ERR, LOG_INFO, LOG_DEBUG, ...). */
typedef void (*exotic_log_fn)(void *data, int priority, const char *file,
			      int line, const char *fn, const char *format,
			      va_list args);

/*
 * Create a context.  The initial log priority comes from $EXOTIC_LOG
 * ("err", "info", "debug" or a number; default "err"), and messages go to
 * stderr until exotic_set_log_fn() says otherwise.
 */
EXOTIC_EXPORT int exotic_new(struct exotic_ctx **ctx);
EXOTIC_EXPORT struct exotic_ctx *exotic_ref(struct exotic_ctx *ctx);
EXOTIC_EXPORT struct exotic_ctx *exotic_unref(struct exotic_ctx *ctx);

/* fn NULL restores the default (stderr); data is passed to fn. */
EXOTIC_EXPORT void exotic_set_log_fn(struct exotic_ctx *ctx, exotic_log_fn fn,
				     void *data);
/* -EINVAL for NULL.  Setting clamps to LOG_EMERG..LOG_DEBUG. */
EXOTIC_EXPORT int exotic_get_log_priority(const struct exotic_ctx *ctx);
EXOTIC_EXPORT void exotic_set_log_priority(struct exotic_ctx *ctx, int priority);

/*
 * A one-line message for a negative errno returned by libexotic: what it
 * means, and the fix where there is one, naming the calls a fix is about
 * when the same errno comes from several (-ENOENT is a missing module
 * from exotic_device_open(), a stale handle or slot elsewhere).  The
 * library logs the specific cause at the call that failed.  Falls back to
 * strerror().  Never returns NULL.
 */
EXOTIC_EXPORT const char *exotic_strerror(int err);

#ifdef __cplusplus
}
#endif

#include "device.h"
#include "region.h"
#include "kvm.h"
#include "oracle.h"
#include "storm.h"
#include "expect.h"
#include "profile.h"
#include "repro.h"
#include "runner.h"

#endif /* EXOTIC_EXOTIC_H */
