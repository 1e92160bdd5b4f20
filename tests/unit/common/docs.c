// SPDX-License-Identifier: LGPL-2.1-or-later
/* JSON documents for the comparison tests (docs.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "docs.h"

char *docs_out, *docs_err;
static char dir[] = "/tmp/exotic-test-docs.XXXXXX";

int docs_setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

int docs_teardown(void **state)
{
	char cmd[300];

	(void)state;
	free(docs_out);
	free(docs_err);
	docs_out = docs_err = NULL;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) ? -1 : 0;
}

const char *docs_path(const char *name)
{
	static char paths[8][256];
	static int next;
	char *p = paths[next++ % 8];

	snprintf(p, sizeof(paths[0]), "%s/%s", dir, name);
	return p;
}

const char *docs_write(const char *name, const char *text)
{
	const char *p = docs_path(name);
	FILE *f = fopen(p, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	return p;
}

int docs_run(int (*fn)(const char *, const char *, FILE *, FILE *),
	     const char *a, const char *b)
{
	size_t n_out, n_err;
	FILE *out, *err;
	int ret;

	free(docs_out);
	free(docs_err);
	out = open_memstream(&docs_out, &n_out);
	err = open_memstream(&docs_err, &n_err);
	assert_non_null(out);
	assert_non_null(err);
	ret = fn(a, b, out, err);
	fclose(out);
	fclose(err);
	print_message("%s%s", docs_out, docs_err);
	return ret;
}
