/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Small files of sysfs, debugfs and tracefs, and exotic.ko's parameters,
 * for the guest suites: 0 or a negative errno.
 */
#ifndef EXOTIC_TEST_SYSFS_H
#define EXOTIC_TEST_SYSFS_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Write val to path (truncating). */
static inline int sysfs_write(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	close(fd);
	return n < 0 ? -errno : 0;
}

/* Read path into buf, NUL-terminated, without its trailing newline. */
static inline int sysfs_read(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

#define EXOTIC_PARAM_DIR "/sys/module/exotic/parameters/"

static inline int param_write(const char *name, const char *val)
{
	char path[128];

	snprintf(path, sizeof(path), EXOTIC_PARAM_DIR "%s", name);
	return sysfs_write(path, val);
}

static inline int param_read(const char *name, char *buf, size_t len)
{
	char path[128];

	snprintf(path, sizeof(path), EXOTIC_PARAM_DIR "%s", name);
	return sysfs_read(path, buf, len);
}

#endif /* EXOTIC_TEST_SYSFS_H */
