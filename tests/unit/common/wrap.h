/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Failure injection for host unit tests.  The unit tests link libexotic.a
 * with -Wl,--wrap=<call> for every call listed in tests/unit/wraps.opt;
 * each wrapper passes through to the real call unless a fault was armed:
 *
 *	wrap_fail("mmap", 0, ENOMEM);		next mmap() fails with ENOMEM
 *	wrap_fail("ioctl", 2, EIO);		the third ioctl() fails
 *	wrap_fail_ioctl(KVM_RUN, 0, EFAULT);	next KVM_RUN fails
 *
 * A fault fires once.  wrap_reset() disarms everything; wrap_calls(name)
 * counts calls of a wrapped function since the last reset.
 *
 * Hooks (wrap_set_hooks()) let a fake answer open(), ioctl() and access()
 * after fault injection: a hook returns WRAP_PASS to let the call through
 * to the real function, anything else is the call's result (set errno with
 * it).  wrap_reset() leaves the hooks alone.  Wrappers of library calls
 * (libudev, libkmod: see fake_sys.h) use wrap_should_fail(name, 0) too.
 */
#ifndef EXOTIC_TEST_WRAP_H
#define EXOTIC_TEST_WRAP_H

void wrap_reset(void);
void wrap_fail(const char *fn, int skip, int err);
void wrap_fail_ioctl(unsigned long request, int skip, int err);
int wrap_calls(const char *fn);
/* Nonzero while some armed fault has not fired yet. */
int wrap_pending(void);
/* Counts the call; returns the errno of an armed fault, 0 otherwise. */
int wrap_should_fail(const char *fn, unsigned long request);

#define WRAP_PASS (-1000)
typedef int (*wrap_open_hook)(const char *path, int flags);
typedef int (*wrap_ioctl_hook)(int fd, unsigned long request, void *arg);
typedef int (*wrap_access_hook)(const char *path, int mode);
void wrap_set_hooks(wrap_open_hook open_fn, wrap_ioctl_hook ioctl_fn,
		    wrap_access_hook access_fn);
/*
 * wrap_before_mmap(fn, data): fn(data, addr, len) runs at each mmap(),
 * before an armed fault fires or the call reaches the kernel: a test's
 * stand-in for another thread that wins a race against the caller.
 * wrap_before_mmap(NULL, NULL) or wrap_reset() disarms it.
 */
typedef void (*wrap_before_fn)(void *data, void *addr, unsigned long len);
void wrap_before_mmap(wrap_before_fn fn, void *data);
/* The hooks set now, so that a second fake can chain to the first. */
void wrap_get_hooks(wrap_open_hook *open_fn, wrap_ioctl_hook *ioctl_fn,
		    wrap_access_hook *access_fn);

#endif
