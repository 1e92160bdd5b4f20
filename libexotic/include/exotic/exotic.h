/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libexotic: exotic memory behind KVM guests, for VMMs and tests.
 *
 * Conventions (as in libkmod): opaque reference-counted objects created by
 * *_new() and released by *_unref(); no global state; every call that can
 * fail returns 0 (or a non-negative count) on success and a negative errno
 * on failure; diagnostics go through the context's log function.
 *
 * Layers, one header each:
 *   exotic/device.h  find, load and open the exotic driver (libudev, libkmod)
 *   exotic/region.h  regions of exotic memory: alloc, mmap, events, queries
 *   exotic/kvm.h     KVM VMs, memslots, vCPUs and built-in guest programs
 *   exotic/oracle.h  judging kernel logs and guest results
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

EXOTIC_EXPORT void exotic_set_log_fn(struct exotic_ctx *ctx, exotic_log_fn fn,
				     void *data);
EXOTIC_EXPORT int exotic_get_log_priority(const struct exotic_ctx *ctx);
EXOTIC_EXPORT void exotic_set_log_priority(struct exotic_ctx *ctx, int priority);

/*
 * A one-line message for a negative errno returned by libexotic, naming the
 * fix where there is one (e.g. -ENOENT from exotic_device_open(): "module
 * not loaded: run modprobe exotic or exotic_module_load()").  Falls back to
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

#endif /* EXOTIC_EXOTIC_H */
