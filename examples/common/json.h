/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A small JSON reader for the tools that read their own documents back
 * (exotic-matrix --diff, exotic-bench --compare) and their tests: the
 * whole document into a tree (RFC 8259; numbers are kept as their text and as a double, strings
 * are decoded to UTF-8, objects keep their members in order).  Enough for
 * the tools' own documents, not a general library.
 */
#ifndef EXOTIC_CLI_JSON_H
#define EXOTIC_CLI_JSON_H

#include <stdbool.h>
#include <stddef.h>

enum json_type {
	JSON_NULL,
	JSON_BOOL,
	JSON_NUMBER,
	JSON_STRING,
	JSON_ARRAY,
	JSON_OBJECT,
};

struct json {
	enum json_type type;
	bool boolean;
	double number;
	char *str;		/* a string's value, a number's text */
	size_t n;		/* members of an array or an object */
	struct json **items;	/* their values */
	char **keys;		/* an object's keys */
};

/*
 * Parse len bytes of text.  On error returns NULL and writes one line to
 * err ("line L, column C: what was expected"), or "out of memory".
 */
struct json *json_parse(const char *text, size_t len, char *err, size_t err_size);

/* Read and parse a whole file; err as above, or the file's error. */
struct json *json_parse_file(const char *path, char *err, size_t err_size);

void json_free(struct json *j);

/* An object's member (the last of that key), or NULL. */
const struct json *json_get(const struct json *obj, const char *key);

/* An object's member if it is a string, else NULL. */
const char *json_get_str(const struct json *obj, const char *key);

const char *json_type_name(enum json_type t);

/* The member of array rows whose "kind" and "method" are these, or NULL. */
const struct json *json_find_row(const struct json *rows, const char *kind,
				 const char *method);

#endif
