// SPDX-License-Identifier: LGPL-2.1-or-later
/* Failure injection for host unit tests: see wrap.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "wrap.h"

#define MAX_FAULTS 16
#define MAX_FNS 32

struct fault {
	const char *fn;
	unsigned long request;	/* ioctl only; 0 matches any */
	int skip;
	int err;
	int armed;
};

static struct fault faults[MAX_FAULTS];
static wrap_open_hook open_hook;
static wrap_ioctl_hook ioctl_hook;
static wrap_access_hook access_hook;
static wrap_before_fn before_mmap;
static void *before_mmap_data;

void wrap_set_hooks(wrap_open_hook o, wrap_ioctl_hook i, wrap_access_hook a)
{
	open_hook = o;
	ioctl_hook = i;
	access_hook = a;
}
static struct {
	const char *fn;
	int calls;
} counters[MAX_FNS];

void wrap_reset(void)
{
	memset(faults, 0, sizeof(faults));
	memset(counters, 0, sizeof(counters));
	before_mmap = NULL;
}

void wrap_before_mmap(wrap_before_fn fn, void *data)
{
	before_mmap = fn;
	before_mmap_data = data;
}

static void arm(const char *fn, unsigned long request, int skip, int err)
{
	for (int i = 0; i < MAX_FAULTS; i++) {
		if (!faults[i].armed) {
			faults[i] = (struct fault){ fn, request, skip, err, 1 };
			return;
		}
	}
	abort();	/* a test armed more faults than it can mean */
}

void wrap_fail(const char *fn, int skip, int err)
{
	arm(fn, 0, skip, err);
}

void wrap_fail_ioctl(unsigned long request, int skip, int err)
{
	arm("ioctl", request, skip, err);
}

int wrap_calls(const char *fn)
{
	for (int i = 0; i < MAX_FNS; i++)
		if (counters[i].fn && !strcmp(counters[i].fn, fn))
			return counters[i].calls;
	return 0;
}

int wrap_pending(void)
{
	for (int i = 0; i < MAX_FAULTS; i++)
		if (faults[i].armed)
			return 1;
	return 0;
}

static void count(const char *fn)
{
	for (int i = 0; i < MAX_FNS; i++) {
		if (!counters[i].fn)
			counters[i].fn = fn;
		if (!strcmp(counters[i].fn, fn)) {
			counters[i].calls++;
			return;
		}
	}
}

/* Returns the errno to fail this call with, or 0 to pass it through. */
int wrap_should_fail(const char *fn, unsigned long request)
{
	count(fn);
	for (int i = 0; i < MAX_FAULTS; i++) {
		struct fault *f = &faults[i];

		if (!f->armed || strcmp(f->fn, fn))
			continue;
		if (f->request && f->request != request)
			continue;
		if (f->skip-- > 0)
			continue;
		f->armed = 0;
		return f->err;
	}
	return 0;
}

int __real_open(const char *path, int flags, ...);
int __wrap_open(const char *path, int flags, ...);
int __real_access(const char *path, int mode);
int __wrap_access(const char *path, int mode);
int __real_close(int fd);
int __wrap_close(int fd);
int __real_ioctl(int fd, unsigned long request, ...);
int __wrap_ioctl(int fd, unsigned long request, ...);
void *__real_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
void *__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
int __real_munmap(void *addr, size_t len);
int __wrap_munmap(void *addr, size_t len);
int __real_mprotect(void *addr, size_t len, int prot);
int __wrap_mprotect(void *addr, size_t len, int prot);
ssize_t __real_read(int fd, void *buf, size_t n);
ssize_t __wrap_read(int fd, void *buf, size_t n);
ssize_t __real_write(int fd, const void *buf, size_t n);
ssize_t __wrap_write(int fd, const void *buf, size_t n);
void *__real_calloc(size_t n, size_t size);
void *__wrap_calloc(size_t n, size_t size);
void *__real_malloc(size_t size);
void *__wrap_malloc(size_t size);

#define FAIL_WITH(err, ret) do { errno = (err); return (ret); } while (0)

/*
 * fn(path, arg) before the real call: -1 with errno for a fault armed,
 * else what hook says (WRAP_PASS without a hook: make the real call).
 */
static int path_call(const char *fn, int (*hook)(const char *, int),
		     const char *path, int arg)
{
	int err = wrap_should_fail(fn, 0);

	if (err)
		FAIL_WITH(err, -1);
	return hook ? hook(path, arg) : WRAP_PASS;
}

int __wrap_open(const char *path, int flags, ...)
{
	mode_t mode = 0;
	int r;

	if (flags & (O_CREAT | O_TMPFILE)) {
		va_list ap;

		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	r = path_call("open", open_hook, path, flags);
	return r != WRAP_PASS ? r : __real_open(path, flags, mode);
}

int __wrap_access(const char *path, int mode)
{
	int r = path_call("access", access_hook, path, mode);

	return r != WRAP_PASS ? r : __real_access(path, mode);
}

int __wrap_close(int fd)
{
	int err = wrap_should_fail("close", 0);

	if (err) {
		__real_close(fd);	/* never leak the descriptor itself */
		FAIL_WITH(err, -1);
	}
	return __real_close(fd);
}

int __wrap_ioctl(int fd, unsigned long request, ...)
{
	va_list ap;
	void *arg;
	int err = wrap_should_fail("ioctl", request);

	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (err)
		FAIL_WITH(err, -1);
	if (ioctl_hook) {
		int r = ioctl_hook(fd, request, arg);

		if (r != WRAP_PASS)
			return r;
	}
	return __real_ioctl(fd, request, arg);
}

void *__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	int err;

	if (before_mmap)
		before_mmap(before_mmap_data, addr, len);
	err = wrap_should_fail("mmap", 0);
	if (err)
		FAIL_WITH(err, MAP_FAILED);
	return __real_mmap(addr, len, prot, flags, fd, off);
}

int __wrap_munmap(void *addr, size_t len)
{
	int err = wrap_should_fail("munmap", 0);

	if (err)
		FAIL_WITH(err, -1);
	return __real_munmap(addr, len);
}

int __wrap_mprotect(void *addr, size_t len, int prot)
{
	int err = wrap_should_fail("mprotect", 0);

	if (err)
		FAIL_WITH(err, -1);
	return __real_mprotect(addr, len, prot);
}

ssize_t __wrap_read(int fd, void *buf, size_t n)
{
	int err = wrap_should_fail("read", 0);

	if (err)
		FAIL_WITH(err, -1);
	return __real_read(fd, buf, n);
}

ssize_t __wrap_write(int fd, const void *buf, size_t n)
{
	int err = wrap_should_fail("write", 0);

	if (err)
		FAIL_WITH(err, -1);
	return __real_write(fd, buf, n);
}

/*
 * Allocations are only counted when a test armed a fault for them, so that
 * cmocka's and libc's own allocations do not disturb the counters.
 */
static int alloc_armed(const char *fn)
{
	for (int i = 0; i < MAX_FAULTS; i++)
		if (faults[i].armed && !strcmp(faults[i].fn, fn))
			return 1;
	return 0;
}

void *__wrap_calloc(size_t n, size_t size)
{
	if (alloc_armed("calloc")) {
		int err = wrap_should_fail("calloc", 0);

		if (err)
			FAIL_WITH(err, NULL);
	}
	return __real_calloc(n, size);
}

void *__wrap_malloc(size_t size)
{
	if (alloc_armed("malloc")) {
		int err = wrap_should_fail("malloc", 0);

		if (err)
			FAIL_WITH(err, NULL);
	}
	return __real_malloc(size);
}

void wrap_get_hooks(wrap_open_hook *o, wrap_ioctl_hook *i, wrap_access_hook *a)
{
	*o = open_hook;
	*i = ioctl_hook;
	*a = access_hook;
}
