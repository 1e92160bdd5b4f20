/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Capture libexotic's log messages in unit tests. */
#ifndef EXOTIC_TEST_LOGCAP_H
#define EXOTIC_TEST_LOGCAP_H

#include <stdarg.h>
#include <stdbool.h>

struct exotic_ctx;

struct logcap {
	char text[16384];	/* every message, concatenated */
	int count;
	int last_priority;
};

/* Route ctx's messages (all priorities) into cap, cleared. */
void logcap_attach(struct exotic_ctx *ctx, struct logcap *cap);
void logcap_clear(struct logcap *cap);
bool logcap_has(const struct logcap *cap, const char *needle);

#endif
