/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Oracles: judging what the kernel logged.
 *
 * The console oracle (as syzkaller has it): a kernel log line that reports
 * a bug, a warning, a sanitizer finding, a bad page, a refcount_t saturation,
 * a general protection fault, a lockdep splat, a hang or a kmemleak report
 * fails the run that was going on when it was printed.
 */
#ifndef EXOTIC_ORACLE_H
#define EXOTIC_ORACLE_H

#include "exotic.h"

#ifdef __cplusplus
extern "C" {
#endif

enum exotic_kmsg_class {
	EXOTIC_KMSG_CLEAN = 0,		/* nothing the oracle objects to */
	EXOTIC_KMSG_BUG,		/* "BUG:", "kernel BUG at" */
	EXOTIC_KMSG_WARNING,		/* "WARNING:" (WARN_ON and friends) */
	EXOTIC_KMSG_KASAN,		/* "KASAN:", "UBSAN:", "KFENCE:" */
	EXOTIC_KMSG_BAD_PAGE,		/* "Bad page state", "Bad page map", "page dumped because", "VM_BUG_ON" */
	EXOTIC_KMSG_REFCOUNT,		/* "refcount_t:" */
	EXOTIC_KMSG_GPF,		/* "general protection fault", "Oops:" */
	EXOTIC_KMSG_LOCKDEP,		/* circular/recursive locking, inconsistent lock state, ... */
	EXOTIC_KMSG_HUNG,		/* hung task, RCU stall, soft/hard lockup */
	EXOTIC_KMSG_PANIC,		/* "Kernel panic" */
	EXOTIC_KMSG_LEAK,		/* kmemleak: "unreferenced object", "suspected memory leaks" */
	EXOTIC_KMSG_CLASS_MAX = EXOTIC_KMSG_LEAK,
};

/*
 * Classify the text of one kernel log message (without the "[ 1.234] "
 * timestamp or the "/dev/kmsg" "prio,seq,ts,flags;" prefix: see
 * exotic_kmsg_text()).  Returns an enum exotic_kmsg_class; the first match
 * in the order leak, lockdep, hung, KASAN, bad page, refcount, GPF, panic,
 * BUG, WARNING wins, so a lockdep splat ("WARNING: possible circular locking
 * dependency detected") is reported as lockdep.  NULL is clean.
 */
EXOTIC_EXPORT int exotic_kmsg_classify(const char *text);

/* "bug", "warning", "kasan", "bad-page", ..., "leak"; "clean"; NULL when out of range. */
EXOTIC_EXPORT const char *exotic_kmsg_class_name(int cls);

/*
 * The message text of a console line ("[    3.141592] text") or a
 * /dev/kmsg record ("4,1234,567890,-;text").  Returns a pointer into line,
 * or NULL if line is neither (a line a program printed, not the kernel).
 */
EXOTIC_EXPORT const char *exotic_kmsg_text(const char *line);

/*
 * The /dev/kmsg watcher (kmsg.c): follows the kernel log while something
 * runs and keeps the lines the console oracle objects to, each attributed
 * to the phase the caller had set when it was read.  Starts at the end of
 * the log (only new messages count) unless EXOTIC_KMSG_FROM_START.  Not
 * thread safe by itself except exotic_kmsg_watch_set_phase(), which may be
 * called from any thread while another polls.
 */
struct exotic_kmsg_watch;

#define EXOTIC_KMSG_FROM_START	(1U << 0)

struct exotic_kmsg_finding {
	int cls;		/* enum exotic_kmsg_class, never CLEAN */
	uint64_t seq;		/* /dev/kmsg sequence number, 0 if unknown */
	char phase[32];		/* the phase set when it was read */
	char text[224];		/* the message, truncated */
};

/*
 * Open path (NULL: /dev/kmsg) non-blocking.  Errors: -EINVAL, -ENOMEM, or
 * open's errno (-EACCES without CAP_SYSLOG when dmesg_restrict is set).
 */
EXOTIC_EXPORT int exotic_kmsg_watch_new(struct exotic_ctx *ctx, const char *path,
					unsigned int flags,
					struct exotic_kmsg_watch **watch);
EXOTIC_EXPORT struct exotic_kmsg_watch *exotic_kmsg_watch_unref(struct exotic_kmsg_watch *watch);
/* Copied; NULL clears it. */
EXOTIC_EXPORT void exotic_kmsg_watch_set_phase(struct exotic_kmsg_watch *watch,
					       const char *phase);
/*
 * Read what the log has now (waiting up to timeout_ms for the first record;
 * 0 does not wait).  Returns the number of new findings, or -errno.  Lost
 * records (the ring buffer wrapped) are counted, not fatal.
 */
EXOTIC_EXPORT int exotic_kmsg_watch_poll(struct exotic_kmsg_watch *watch,
					 int timeout_ms);
/* Findings so far (at most 64 are kept, all are counted), by class
 * (EXOTIC_KMSG_CLEAN: all classes). */
EXOTIC_EXPORT size_t exotic_kmsg_watch_count(const struct exotic_kmsg_watch *watch,
					     int cls);
EXOTIC_EXPORT int exotic_kmsg_watch_get(const struct exotic_kmsg_watch *watch,
					size_t i, struct exotic_kmsg_finding *f);
/* Records read and records lost so far. */
EXOTIC_EXPORT uint64_t exotic_kmsg_watch_records(const struct exotic_kmsg_watch *watch);
EXOTIC_EXPORT uint64_t exotic_kmsg_watch_lost(const struct exotic_kmsg_watch *watch);

#ifdef __cplusplus
}
#endif

#endif /* EXOTIC_ORACLE_H */
