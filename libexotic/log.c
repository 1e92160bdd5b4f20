// SPDX-License-Identifier: LGPL-2.1-or-later
/* Logging: a per-context priority and a pluggable log function. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

static void log_stderr(void *data, int priority, const char *file, int line,
		       const char *fn, const char *format, va_list args)
{
	(void)data;
	(void)priority;
	(void)file;
	(void)line;
	fprintf(stderr, "libexotic: %s: ", fn);
	vfprintf(stderr, format, args);
}

/*
 * "err", "warning", "info", "debug" (and syslog's other names) or a
 * number 0..7.  Returns -1 when the string means nothing.
 */
int exotic_log_priority_parse(const char *s)
{
	static const struct {
		const char *name;
		int prio;
	} names[] = {
		{ "emerg", LOG_EMERG }, { "alert", LOG_ALERT },
		{ "crit", LOG_CRIT }, { "err", LOG_ERR }, { "error", LOG_ERR },
		{ "warning", LOG_WARNING }, { "warn", LOG_WARNING },
		{ "notice", LOG_NOTICE }, { "info", LOG_INFO },
		{ "debug", LOG_DEBUG },
	};
	char *end;
	long v;

	if (!s || !*s)
		return -1;
	if (isdigit((unsigned char)*s)) {
		v = strtol(s, &end, 10);
		if (*end || v < LOG_EMERG || v > LOG_DEBUG)
			return -1;
		return (int)v;
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcasecmp(s, names[i].name))
			return names[i].prio;
	return -1;
}

void exotic_log_init(struct exotic_ctx *ctx)
{
	const char *env = secure_getenv("EXOTIC_LOG");
	int prio = exotic_log_priority_parse(env);

	ctx->log_fn = log_stderr;
	ctx->log_data = NULL;
	ctx->log_priority = prio >= 0 ? prio : LOG_ERR;
	if (env && *env && prio < 0)
		exotic_err(ctx, "ignoring EXOTIC_LOG=\"%s\": use err, info, debug or 0..7\n",
			   env);
}

void exotic_log(const struct exotic_ctx *ctx, int priority, const char *file,
		int line, const char *fn, const char *format, ...)
{
	va_list args;
	int saved = errno;

	if (!ctx || !ctx->log_fn)
		return;
	va_start(args, format);
	ctx->log_fn(ctx->log_data, priority, file, line, fn, format, args);
	va_end(args);
	errno = saved;
}

EXOTIC_EXPORT void exotic_set_log_fn(struct exotic_ctx *ctx, exotic_log_fn fn,
				     void *data)
{
	if (!ctx)
		return;
	ctx->log_fn = fn ? fn : log_stderr;
	ctx->log_data = fn ? data : NULL;
}

EXOTIC_EXPORT int exotic_get_log_priority(const struct exotic_ctx *ctx)
{
	if (!ctx)
		return -EINVAL;
	return ctx->log_priority;
}

EXOTIC_EXPORT void exotic_set_log_priority(struct exotic_ctx *ctx, int priority)
{
	if (!ctx)
		return;
	if (priority < LOG_EMERG)
		priority = LOG_EMERG;
	if (priority > LOG_DEBUG)
		priority = LOG_DEBUG;
	ctx->log_priority = priority;
}
