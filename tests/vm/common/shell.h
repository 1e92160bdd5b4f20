/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Running a tool of the kit as a shell command from a guest suite, its
 * output kept in a file the suite names (SHELL_OUT, defined before this
 * header is included).
 */
#ifndef EXOTIC_TEST_SHELL_H
#define EXOTIC_TEST_SHELL_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#ifndef SHELL_OUT
#error "define SHELL_OUT, the file a command's output goes to"
#endif

/* Run a shell command; its exit status, its output in SHELL_OUT. */
static inline int __attribute__((format(printf, 1, 2))) sh(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	int status;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	strncat(cmd, " > " SHELL_OUT " 2>&1", sizeof(cmd) - strlen(cmd) - 1);
	status = system(cmd);
	assert_true(status != -1 && WIFEXITED(status));
	return WEXITSTATUS(status);
}

#endif /* EXOTIC_TEST_SHELL_H */
