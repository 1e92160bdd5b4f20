/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * JSON documents in a temporary directory, and a tool's comparison of two
 * of them (exotic-matrix --diff, exotic-bench --compare) with what it
 * printed captured: for the unit tests of those comparisons.
 */
#ifndef EXOTIC_TEST_DOCS_H
#define EXOTIC_TEST_DOCS_H

#include <stdio.h>

/* What the last docs_run() printed on its out and err streams. */
extern char *docs_out, *docs_err;

/* Group setup and teardown: the directory, made and removed. */
int docs_setup(void **state);
int docs_teardown(void **state);
/* NAME in the directory; the last 8 results stay valid. */
const char *docs_path(const char *name);
/* NAME written with text; its path. */
const char *docs_write(const char *name, const char *text);
/* fn(a, b, out, err) with out and err captured, and printed as a message. */
int docs_run(int (*fn)(const char *, const char *, FILE *, FILE *),
	     const char *a, const char *b);

#endif /* EXOTIC_TEST_DOCS_H */
