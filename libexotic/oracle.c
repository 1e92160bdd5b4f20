// SPDX-License-Identifier: LGPL-2.1-or-later
/* The console oracle: see exotic/oracle.h. */
#include <ctype.h>
#include <stddef.h>
#include <string.h>

#include "exotic/exotic.h"

struct pattern {
	int cls;
	const char *needle;
};

/* Order matters: the first match wins (see exotic_kmsg_classify()). */
static const struct pattern patterns[] = {
	/* kmemleak.verbose=1 logs each leak; the summary line in any case */
	{ EXOTIC_KMSG_LEAK, "kmemleak: unreferenced object" },
	{ EXOTIC_KMSG_LEAK, "new suspected memory leak" },
	{ EXOTIC_KMSG_LOCKDEP, "possible circular locking dependency" },
	{ EXOTIC_KMSG_LOCKDEP, "possible recursive locking detected" },
	{ EXOTIC_KMSG_LOCKDEP, "inconsistent lock state" },
	{ EXOTIC_KMSG_LOCKDEP, "possible irq lock inversion dependency" },
	{ EXOTIC_KMSG_LOCKDEP, "bad unlock balance detected" },
	{ EXOTIC_KMSG_LOCKDEP, "held lock freed" },
	{ EXOTIC_KMSG_LOCKDEP, "lock held when returning to user space" },
	{ EXOTIC_KMSG_LOCKDEP, "suspicious RCU usage" },
	{ EXOTIC_KMSG_LOCKDEP, "INFO: trying to register non-static key" },
	{ EXOTIC_KMSG_LOCKDEP, "lock order detected" },	/* HARDIRQ-safe -> HARDIRQ-unsafe */
	{ EXOTIC_KMSG_LOCKDEP, "bad contention detected" },
	{ EXOTIC_KMSG_LOCKDEP, "Nested lock was not taken" },
	{ EXOTIC_KMSG_LOCKDEP, "still has locks held" },
	{ EXOTIC_KMSG_LOCKDEP, "chain_key collision" },
	{ EXOTIC_KMSG_LOCKDEP, "Invalid wait context" },
	{ EXOTIC_KMSG_LOCKDEP, "DEBUG_LOCKS_WARN_ON(" },
	{ EXOTIC_KMSG_HUNG, "blocked for more than" },
	{ EXOTIC_KMSG_HUNG, "rcu_sched self-detected stall" },
	{ EXOTIC_KMSG_HUNG, "rcu_preempt self-detected stall" },
	{ EXOTIC_KMSG_HUNG, "detected stalls on CPUs" },
	{ EXOTIC_KMSG_HUNG, "soft lockup - CPU#" },
	{ EXOTIC_KMSG_HUNG, "Watchdog detected hard LOCKUP" },
	{ EXOTIC_KMSG_KASAN, "KASAN:" },
	{ EXOTIC_KMSG_KASAN, "UBSAN:" },
	{ EXOTIC_KMSG_KASAN, "KFENCE:" },
	/* a KASAN report on a slab or page object dumps its page */
	{ EXOTIC_KMSG_KASAN, "page dumped because: kasan:" },
	{ EXOTIC_KMSG_BAD_PAGE, "Bad page state" },
	{ EXOTIC_KMSG_BAD_PAGE, "Bad page map" },
	{ EXOTIC_KMSG_BAD_PAGE, "Bad rss-counter" },
	{ EXOTIC_KMSG_BAD_PAGE, "page dumped because" },
	{ EXOTIC_KMSG_BAD_PAGE, "VM_BUG_ON" },
	{ EXOTIC_KMSG_REFCOUNT, "refcount_t:" },
	{ EXOTIC_KMSG_GPF, "general protection fault" },
	{ EXOTIC_KMSG_GPF, "Oops:" },
	{ EXOTIC_KMSG_GPF, "unable to handle page fault" },
	{ EXOTIC_KMSG_GPF, "Unable to handle kernel" },
	{ EXOTIC_KMSG_PANIC, "Kernel panic" },
	{ EXOTIC_KMSG_BUG, "BUG:" },
	{ EXOTIC_KMSG_BUG, "kernel BUG at" },
	{ EXOTIC_KMSG_BUG, "list_add corruption" },
	{ EXOTIC_KMSG_BUG, "list_del corruption" },
	{ EXOTIC_KMSG_WARNING, "WARNING:" },
};

static const char *const class_names[] = {
	[EXOTIC_KMSG_CLEAN] = "clean",
	[EXOTIC_KMSG_BUG] = "bug",
	[EXOTIC_KMSG_WARNING] = "warning",
	[EXOTIC_KMSG_KASAN] = "kasan",
	[EXOTIC_KMSG_BAD_PAGE] = "bad-page",
	[EXOTIC_KMSG_REFCOUNT] = "refcount",
	[EXOTIC_KMSG_GPF] = "gpf",
	[EXOTIC_KMSG_LOCKDEP] = "lockdep",
	[EXOTIC_KMSG_HUNG] = "hung",
	[EXOTIC_KMSG_PANIC] = "panic",
	[EXOTIC_KMSG_LEAK] = "leak",
};

EXOTIC_EXPORT int exotic_kmsg_classify(const char *text)
{
	size_t i;

	if (!text)
		return EXOTIC_KMSG_CLEAN;
	for (i = 0; i < sizeof(patterns) / sizeof(patterns[0]); i++)
		if (strstr(text, patterns[i].needle))
			return patterns[i].cls;
	return EXOTIC_KMSG_CLEAN;
}

EXOTIC_EXPORT const char *exotic_kmsg_class_name(int cls)
{
	if (cls < 0 || cls > EXOTIC_KMSG_CLASS_MAX)
		return NULL;
	return class_names[cls];
}

/* "[    3.141592] " */
static const char *console_text(const char *p)
{
	if (*p++ != '[')
		return NULL;
	while (*p == ' ')
		p++;
	if (!isdigit((unsigned char)*p))
		return NULL;
	while (isdigit((unsigned char)*p))
		p++;
	if (*p++ != '.' || !isdigit((unsigned char)*p))
		return NULL;
	while (isdigit((unsigned char)*p))
		p++;
	if (*p++ != ']')
		return NULL;
	return *p == ' ' ? p + 1 : p;
}

/* "prio,seq,usec,flags[,more];text" */
static const char *kmsg_record_text(const char *p)
{
	int fields = 0;

	if (!isdigit((unsigned char)*p))
		return NULL;
	for (; *p && *p != ';'; p++) {
		if (*p == ',')
			fields++;
		else if (!isalnum((unsigned char)*p) && *p != '-' &&
			 *p != '+' && *p != '=' && *p != 'c')
			return NULL;
	}
	if (*p != ';' || fields < 3)
		return NULL;
	return p + 1;
}

EXOTIC_EXPORT const char *exotic_kmsg_text(const char *line)
{
	const char *text;

	if (!line)
		return NULL;
	text = console_text(line);
	if (!text)
		text = kmsg_record_text(line);
	return text;
}
