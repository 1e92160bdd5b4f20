/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libexotic internals shared by every layer.  Not installed.
 *
 * Logging: exotic_err(ctx, "fmt", ...), exotic_warn, exotic_info and
 * exotic_dbg format their arguments only when the context's priority lets
 * the message through; ctx may be NULL (the message is then dropped).
 * Messages should name the object and the fix, not just the failure.
 *
 * Errors: every entry point returns 0 (or a count) or a negative errno.
 * exotic_neg_errno() turns the errno left by a failed system call into that
 * negative value and never returns 0, even if errno was clobbered.
 */
#ifndef EXOTIC_INTERNAL_H
#define EXOTIC_INTERNAL_H

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <syslog.h>

#include "exotic/exotic.h"

struct kmod_ctx;
struct udev;

struct exotic_ctx {
	int refcount;
	exotic_log_fn log_fn;
	void *log_data;
	int log_priority;
	/*
	 * Created on first use by the device layer, released with the ctx.
	 * Neither library is thread-safe: every use of them, and their lazy
	 * creation, happens under lock.
	 */
	pthread_mutex_t lock;
	struct kmod_ctx *kmod;
	struct udev *udev;
};

__attribute__((format(printf, 6, 7)))
void exotic_log(const struct exotic_ctx *ctx, int priority, const char *file,
		int line, const char *fn, const char *format, ...);

void exotic_log_init(struct exotic_ctx *ctx);
/* "err", "info", "debug", ... or 0..7; -1 if s means nothing. */
int exotic_log_priority_parse(const char *s);

#define exotic_log_cond(ctx, prio, ...)					\
	do {								\
		const struct exotic_ctx *_c = (ctx);			\
		if (_c && _c->log_priority >= (prio))			\
			exotic_log(_c, (prio), __FILE__, __LINE__,	\
				   __func__, __VA_ARGS__);		\
	} while (0)

#define exotic_err(ctx, ...)	exotic_log_cond(ctx, LOG_ERR, __VA_ARGS__)
#define exotic_warn(ctx, ...)	exotic_log_cond(ctx, LOG_WARNING, __VA_ARGS__)
#define exotic_info(ctx, ...)	exotic_log_cond(ctx, LOG_INFO, __VA_ARGS__)
#define exotic_dbg(ctx, ...)	exotic_log_cond(ctx, LOG_DEBUG, __VA_ARGS__)

/* A built-in expectation table, parsed once and shared (expect.c). */
struct exotic_expect;
const struct exotic_expect *expect_builtin_cached(const char *table);

/* Write /sys/module/MODULE/parameters/NAME; 0 or a negative errno. */
int exotic_module_param_write(struct exotic_ctx *ctx, const char *module,
			      const char *name, const char *value);
/* Read it into buf (the trailing newline removed). */
int exotic_module_param_read(struct exotic_ctx *ctx, const char *module,
			     const char *name, char *buf, size_t size);

static inline int exotic_neg_errno(void)
{
	return errno > 0 ? -errno : -EIO;
}

/* Reference counts are atomic so objects may be shared between threads. */
static inline void exotic_refcount_get(int *ref)
{
	__atomic_add_fetch(ref, 1, __ATOMIC_RELAXED);
}

/* True when the last reference was dropped. */
static inline bool exotic_refcount_put(int *ref)
{
	return __atomic_sub_fetch(ref, 1, __ATOMIC_ACQ_REL) == 0;
}

/*
 * The exported fn(obj) of a struct type with an int refcount: takes a
 * reference and returns obj (NULL stays NULL, with no reference).
 */
#define EXOTIC_DEFINE_REF(type, fn)				\
	EXOTIC_EXPORT struct type *fn(struct type *obj)		\
	{							\
		if (obj)					\
			exotic_refcount_get(&obj->refcount);	\
		return obj;					\
	}

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * The index of name in a table of n names (NULL entries are holes), or
 * -EINVAL if it is not there or NULL (region.c).
 */
int exotic_name_index(const char *const *names, size_t n, const char *name);

/* "io", "mmio", ... for a KVM_EXIT_* reason; NULL if not one we name (kvm.c). */
const char *kvm_exit_name(uint32_t reason);

/*
 * open(path, O_RDWR | O_CLOEXEC): the fd, or a negative errno once the
 * failure is logged, with missing (ENOENT) or denied (EACCES, EPERM) said
 * to be the fix for it (device.c).
 */
int exotic_open_node(struct exotic_ctx *ctx, const char *path,
		     const char *missing, const char *denied);

/* ioctl() retried on EINTR; 0 or a negative errno. */
int exotic_ioctl(int fd, unsigned long request, void *arg);

#endif /* EXOTIC_INTERNAL_H */
