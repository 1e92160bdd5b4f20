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
 */
#ifndef EXOTIC_TEST_WRAP_H
#define EXOTIC_TEST_WRAP_H

void wrap_reset(void);
void wrap_fail(const char *fn, int skip, int err);
void wrap_fail_ioctl(unsigned long request, int skip, int err);
int wrap_calls(const char *fn);
/* Nonzero while some armed fault has not fired yet. */
int wrap_pending(void);

#endif
