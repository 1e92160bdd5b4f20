// SPDX-License-Identifier: LGPL-2.1-or-later
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "exotic.h"
#include "logcap.h"

static void logcap_fn(void *data, int priority, const char *file, int line,
		      const char *fn, const char *format, va_list args)
{
	struct logcap *cap = data;
	size_t len = strlen(cap->text);

	(void)file;
	(void)line;
	(void)fn;
	cap->count++;
	cap->last_priority = priority;
	if (len < sizeof(cap->text) - 1)
		vsnprintf(cap->text + len, sizeof(cap->text) - len, format, args);
}

void logcap_clear(struct logcap *cap)
{
	memset(cap, 0, sizeof(*cap));
}

void logcap_attach(struct exotic_ctx *ctx, struct logcap *cap)
{
	logcap_clear(cap);
	exotic_set_log_fn(ctx, logcap_fn, cap);
	exotic_set_log_priority(ctx, LOG_DEBUG);
}

bool logcap_has(const struct logcap *cap, const char *needle)
{
	return strstr(cap->text, needle) != NULL;
}
