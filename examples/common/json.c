// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A small JSON reader (json.h): recursive descent over the whole text,
 * with a depth limit, strict about the grammar (no trailing commas, no
 * comments, no leading zeros, control characters escaped in strings, one
 * value and nothing but white space after it).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

#define MAX_DEPTH 64
#define MAX_FILE (64u << 20)

struct parser {
	const char *s, *end, *p;
	char *err;
	size_t err_size;
	bool failed;
};

static void parse_error(struct parser *ps, const char *fmt, ...)
{
	unsigned int line = 1, col = 1;
	char what[160];
	va_list ap;

	if (ps->failed)
		return;
	ps->failed = true;
	for (const char *q = ps->s; q < ps->p && q < ps->end; q++) {
		if (*q == '\n') {
			line++;
			col = 1;
		} else {
			col++;
		}
	}
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (ps->err && ps->err_size)
		snprintf(ps->err, ps->err_size, "line %u, column %u: %s", line, col, what);
}

static void oom(struct parser *ps)
{
	if (ps->failed)
		return;
	ps->failed = true;
	if (ps->err && ps->err_size)
		snprintf(ps->err, ps->err_size, "out of memory");
}

static void skip_ws(struct parser *ps)
{
	while (ps->p < ps->end &&
	       (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
		ps->p++;
}

/* what is at p, for messages */
static const char *here(const struct parser *ps)
{
	static char buf[16];
	unsigned char c;

	if (ps->p >= ps->end)
		return "the end of the text";
	c = (unsigned char)*ps->p;
	if (c >= 0x20 && c < 0x7f)
		snprintf(buf, sizeof(buf), "'%c'", c);
	else
		snprintf(buf, sizeof(buf), "byte 0x%02x", c);
	return buf;
}

static struct json *new_value(struct parser *ps, enum json_type t)
{
	struct json *j = calloc(1, sizeof(*j));

	if (!j)
		oom(ps);
	else
		j->type = t;
	return j;
}

void json_free(struct json *j)
{
	if (!j)
		return;
	for (size_t i = 0; i < j->n; i++) {
		json_free(j->items[i]);
		if (j->keys)
			free(j->keys[i]);
	}
	free(j->items);
	free(j->keys);
	free(j->str);
	free(j);
}

static int hex4(struct parser *ps, uint32_t *v)
{
	*v = 0;
	for (int i = 0; i < 4; i++, ps->p++) {
		char c = ps->p < ps->end ? *ps->p : '\0';

		*v <<= 4;
		if (c >= '0' && c <= '9')
			*v |= (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			*v |= (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			*v |= (uint32_t)(c - 'A' + 10);
		else {
			parse_error(ps, "\\u needs four hex digits, found %s", here(ps));
			return -1;
		}
	}
	return 0;
}

static size_t put_utf8(char *o, uint32_t cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12);
		o[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | cp >> 18);
	o[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	o[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* a string at p (on its opening quote): its decoded value, malloc'ed */
static char *parse_string(struct parser *ps)
{
	const char *start = ++ps->p;
	char *out, *o;

	/* the decoded text is never longer than the source */
	while (ps->p < ps->end && *ps->p != '"') {
		if (*ps->p == '\\' && ps->p + 1 < ps->end)
			ps->p++;
		ps->p++;
	}
	if (ps->p >= ps->end) {
		ps->p = start - 1;
		parse_error(ps, "a string that never ends");
		return NULL;
	}
	out = malloc((size_t)(ps->p - start) + 1);
	if (!out) {
		oom(ps);
		return NULL;
	}
	o = out;
	for (ps->p = start; *ps->p != '"'; ps->p++) {
		unsigned char c = (unsigned char)*ps->p;
		uint32_t cp, lo;

		if (c < 0x20) {
			parse_error(ps, "a control character (0x%02x) inside a string", c);
			goto bad;
		}
		if (c != '\\') {
			*o++ = (char)c;
			continue;
		}
		switch (*++ps->p) {
		case '"': *o++ = '"'; break;
		case '\\': *o++ = '\\'; break;
		case '/': *o++ = '/'; break;
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case 'n': *o++ = '\n'; break;
		case 'r': *o++ = '\r'; break;
		case 't': *o++ = '\t'; break;
		case 'u':
			ps->p++;
			if (hex4(ps, &cp))
				goto bad;
			if (cp >= 0xd800 && cp < 0xdc00) {
				/* a surrogate pair: \uD8xx\uDCxx */
				if (ps->end - ps->p < 6 || ps->p[0] != '\\' || ps->p[1] != 'u') {
					parse_error(ps, "a high surrogate \\u%04X without its low half", cp);
					goto bad;
				}
				ps->p += 2;
				if (hex4(ps, &lo))
					goto bad;
				if (lo < 0xdc00 || lo > 0xdfff) {
					parse_error(ps, "\\u%04X is not a low surrogate", lo);
					goto bad;
				}
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			} else if (cp >= 0xdc00 && cp < 0xe000) {
				parse_error(ps, "a low surrogate \\u%04X on its own", cp);
				goto bad;
			}
			if (!cp) {
				parse_error(ps, "\\u0000 inside a string");
				goto bad;
			}
			o += put_utf8(o, cp);
			ps->p--;	/* the loop steps past the last digit */
			break;
		default:
			parse_error(ps, "unknown escape \\%c", *ps->p);
			goto bad;
		}
	}
	*o = '\0';
	ps->p++;	/* the closing quote */
	return out;
bad:
	free(out);
	return NULL;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* One digit or more, skipped; false after "a digit WHERE" if there is none. */
static bool digits(struct parser *ps, const char *where)
{
	if (ps->p >= ps->end || !is_digit(*ps->p)) {
		parse_error(ps, "a digit %s, found %s", where, here(ps));
		return false;
	}
	while (ps->p < ps->end && is_digit(*ps->p))
		ps->p++;
	return true;
}

static struct json *parse_number(struct parser *ps)
{
	const char *start = ps->p;
	struct json *j;

	if (ps->p < ps->end && *ps->p == '-')
		ps->p++;
	if (ps->p + 1 < ps->end && ps->p[0] == '0' && is_digit(ps->p[1])) {
		parse_error(ps, "a number with a leading zero");
		return NULL;
	}
	if (!digits(ps, "after '-'"))
		return NULL;
	if (ps->p < ps->end && *ps->p == '.') {
		ps->p++;
		if (!digits(ps, "after '.'"))
			return NULL;
	}
	if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
		ps->p++;
		if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-'))
			ps->p++;
		if (!digits(ps, "in the exponent"))
			return NULL;
	}
	j = new_value(ps, JSON_NUMBER);
	if (!j)
		return NULL;
	j->str = strndup(start, (size_t)(ps->p - start));
	if (!j->str) {
		oom(ps);
		json_free(j);
		return NULL;
	}
	j->number = strtod(j->str, NULL);
	return j;
}

static bool literal(struct parser *ps, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n))
		return false;
	ps->p += n;
	return true;
}

static struct json *parse_value(struct parser *ps, int depth);

/* append a member; key may be NULL (arrays); takes v and key */
static int add_member(struct parser *ps, struct json *c, char *key, struct json *v)
{
	struct json **items;
	bool ok;

	items = realloc(c->items, (c->n + 1) * sizeof(*items));
	ok = items;
	if (items)
		c->items = items;
	if (ok && c->type == JSON_OBJECT) {
		char **keys = realloc(c->keys, (c->n + 1) * sizeof(*keys));

		ok = keys;
		if (keys)
			c->keys = keys;
	}
	if (!ok) {
		oom(ps);
		free(key);
		json_free(v);
		return -1;
	}
	c->items[c->n] = v;
	if (c->type == JSON_OBJECT)
		c->keys[c->n] = key;
	c->n++;
	return 0;
}

static struct json *parse_container(struct parser *ps, int depth, bool object)
{
	char close = object ? '}' : ']';
	struct json *c;

	if (depth >= MAX_DEPTH) {
		parse_error(ps, "nested more than %d deep", MAX_DEPTH);
		return NULL;
	}
	c = new_value(ps, object ? JSON_OBJECT : JSON_ARRAY);
	if (!c)
		return NULL;
	ps->p++;
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == close) {
		ps->p++;
		return c;
	}
	for (;;) {
		char *key = NULL;
		struct json *v;

		if (object) {
			if (ps->p >= ps->end || *ps->p != '"') {
				parse_error(ps, "a member name in quotes, found %s", here(ps));
				goto bad;
			}
			key = parse_string(ps);
			if (!key)
				goto bad;
			skip_ws(ps);
			if (ps->p >= ps->end || *ps->p != ':') {
				parse_error(ps, "':' after a member name, found %s", here(ps));
				free(key);
				goto bad;
			}
			ps->p++;
		}
		v = parse_value(ps, depth + 1);
		if (!v) {
			free(key);
			goto bad;
		}
		if (add_member(ps, c, key, v))
			goto bad;
		skip_ws(ps);
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			skip_ws(ps);
			continue;
		}
		if (ps->p < ps->end && *ps->p == close) {
			ps->p++;
			return c;
		}
		parse_error(ps, "',' or '%c', found %s", close, here(ps));
		goto bad;
	}
bad:
	json_free(c);
	return NULL;
}

static struct json *parse_value(struct parser *ps, int depth)
{
	struct json *j;

	skip_ws(ps);
	if (ps->p >= ps->end) {
		parse_error(ps, "a value, found the end of the text");
		return NULL;
	}
	switch (*ps->p) {
	case '{':
		return parse_container(ps, depth, true);
	case '[':
		return parse_container(ps, depth, false);
	case '"':
		j = new_value(ps, JSON_STRING);
		if (!j)
			return NULL;
		j->str = parse_string(ps);
		if (!j->str) {
			json_free(j);
			return NULL;
		}
		return j;
	}
	if (*ps->p == '-' || is_digit(*ps->p))
		return parse_number(ps);
	if (literal(ps, "true") || literal(ps, "false")) {
		j = new_value(ps, JSON_BOOL);
		if (j)
			j->boolean = ps->p[-4] == 't';
		return j;
	}
	if (literal(ps, "null"))
		return new_value(ps, JSON_NULL);
	parse_error(ps, "a value, found %s", here(ps));
	return NULL;
}

struct json *json_parse(const char *text, size_t len, char *err, size_t err_size)
{
	struct parser ps = { .s = text, .end = text + len, .p = text, .err = err,
			     .err_size = err_size };
	struct json *j;

	if (err && err_size)
		err[0] = '\0';
	if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3))
		ps.p += 3;	/* a UTF-8 byte order mark */
	j = parse_value(&ps, 0);
	if (!j)
		return NULL;
	skip_ws(&ps);
	if (ps.p < ps.end) {
		parse_error(&ps, "the end of the text after the value, found %s", here(&ps));
		json_free(j);
		return NULL;
	}
	return j;
}

struct json *json_parse_file(const char *path, char *err, size_t err_size)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, cap = 0;
	struct json *j = NULL;

	if (!f) {
		snprintf(err, err_size, "cannot read: %s", strerror(errno));
		return NULL;
	}
	for (;;) {
		size_t got;

		if (len == cap) {
			char *nb;

			if (cap >= MAX_FILE) {
				snprintf(err, err_size, "larger than %u MiB", MAX_FILE >> 20);
				goto out;
			}
			cap = cap ? cap * 2 : 65536;
			nb = realloc(buf, cap);
			if (!nb) {
				snprintf(err, err_size, "out of memory");
				goto out;
			}
			buf = nb;
		}
		got = fread(buf + len, 1, cap - len, f);
		len += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		snprintf(err, err_size, "cannot read: %s", strerror(errno ? errno : EIO));
		goto out;
	}
	if (!len) {
		snprintf(err, err_size, "empty, not JSON");
		goto out;
	}
	j = json_parse(buf, len, err, err_size);
out:
	free(buf);
	fclose(f);
	return j;
}

const struct json *json_get(const struct json *obj, const char *key)
{
	const struct json *v = NULL;

	if (!obj || obj->type != JSON_OBJECT)
		return NULL;
	for (size_t i = 0; i < obj->n; i++)
		if (!strcmp(obj->keys[i], key))
			v = obj->items[i];
	return v;
}

const char *json_get_str(const struct json *obj, const char *key)
{
	const struct json *v = json_get(obj, key);

	return v && v->type == JSON_STRING ? v->str : NULL;
}

const char *json_type_name(enum json_type t)
{
	switch (t) {
	case JSON_NULL: return "null";
	case JSON_BOOL: return "a boolean";
	case JSON_NUMBER: return "a number";
	case JSON_STRING: return "a string";
	case JSON_ARRAY: return "an array";
	case JSON_OBJECT: return "an object";
	}
	return "?";
}

const struct json *json_find_row(const struct json *rows, const char *kind,
				 const char *method)
{
	for (size_t i = 0; rows && rows->type == JSON_ARRAY && i < rows->n; i++) {
		const char *k = json_get_str(rows->items[i], "kind");
		const char *m = json_get_str(rows->items[i], "method");

		if (k && m && !strcmp(k, kind) && !strcmp(m, method))
			return rows->items[i];
	}
	return NULL;
}
