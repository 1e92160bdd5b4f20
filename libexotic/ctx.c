// SPDX-License-Identifier: LGPL-2.1-or-later
/* The library context: reference count, log settings, lazily made libkmod
 * and libudev contexts.  No global state: everything hangs off a ctx. */
#include <stdlib.h>

#include <libkmod.h>
#include <libudev.h>

#include "internal.h"

EXOTIC_EXPORT int exotic_new(struct exotic_ctx **ctx)
{
	struct exotic_ctx *c;

	if (!ctx)
		return -EINVAL;
	*ctx = NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->refcount = 1;
	pthread_mutex_init(&c->lock, NULL);
	exotic_log_init(c);
	exotic_info(c, "ctx %p created, log priority %d\n", (void *)c,
		    c->log_priority);
	*ctx = c;
	return 0;
}

EXOTIC_DEFINE_REF(exotic_ctx, exotic_ref)

EXOTIC_EXPORT struct exotic_ctx *exotic_unref(struct exotic_ctx *ctx)
{
	if (!ctx || !exotic_refcount_put(&ctx->refcount))
		return ctx;
	exotic_info(ctx, "ctx %p released\n", (void *)ctx);
	if (ctx->kmod)
		kmod_unref(ctx->kmod);
	if (ctx->udev)
		udev_unref(ctx->udev);
	pthread_mutex_destroy(&ctx->lock);
	free(ctx);
	return NULL;
}
