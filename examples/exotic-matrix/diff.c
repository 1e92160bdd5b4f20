// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * exotic-matrix --diff (diff.h).  A cell is a matrix row, keyed by kind,
 * method, path and event, or a reproducer, keyed by its name; its outcome
 * is what was measured ("before/after"), or "not run" when the row has
 * no "got".  The expectations are not compared: two runs on different
 * profiles are judged by different tables, and what differs is the kernel.
 */
#include <stdlib.h>
#include <string.h>

#include "diff.h"
#include "json.h"

struct cell {
	char *key;
	char outcome[64];
	const char *verdict;	/* or NULL */
	int seen;		/* matched in the other document */
};

struct doc {
	const char *path;
	struct json *root;
	const char *schema, *kernel, *profile;
	struct cell *cells;
	size_t n;
};

static const char *const schemas[] = { "exotic-matrix/1", "exotic-repro/1" };

static void doc_free(struct doc *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->cells[i].key);
	free(d->cells);
	json_free(d->root);
}

#define BAD(...) do { \
		fprintf(err, "exotic-matrix: --diff: %s: ", d->path); \
		fprintf(err, __VA_ARGS__); \
		fputc('\n', err); \
		return -1; \
	} while (0)

static int row_cell(struct doc *d, size_t i, const struct json *row, bool repro,
		    struct cell *c, FILE *err)
{
	const struct json *got;

	if (row->type != JSON_OBJECT)
		BAD("row %zu is %s, not an object", i + 1, json_type_name(row->type));
	if (repro) {
		const char *name = json_get_str(row, "name");

		if (!name)
			BAD("row %zu has no \"name\" string", i + 1);
		if (asprintf(&c->key, "repro:%s", name) < 0)
			BAD("out of memory");
	} else {
		static const char *const k[] = { "kind", "method", "path", "event" };
		const char *v[4];

		for (int j = 0; j < 4; j++) {
			v[j] = json_get_str(row, k[j]);
			if (!v[j])
				BAD("row %zu has no \"%s\" string", i + 1, k[j]);
		}
		if (asprintf(&c->key, "%s %s %s %s", v[0], v[1], v[2], v[3]) < 0)
			BAD("out of memory");
	}
	got = json_get(row, "got");
	if (!got)
		BAD("row %zu (%s) has no \"got\"", i + 1, c->key);
	if (got->type == JSON_NULL) {
		snprintf(c->outcome, sizeof(c->outcome), "not run");
	} else {
		const char *b = json_get_str(got, "before"), *a = json_get_str(got, "after");

		if (!b || !a)
			BAD("row %zu (%s): \"got\" is not {\"before\": ..., \"after\": ...}", i + 1,
			    c->key);
		if ((size_t)snprintf(c->outcome, sizeof(c->outcome), "%s/%s", b, a) >=
		    sizeof(c->outcome))
			BAD("row %zu (%s): an outcome longer than %zu bytes", i + 1, c->key,
			    sizeof(c->outcome) - 1);
	}
	c->verdict = json_get_str(row, "verdict");
	return 0;
}

static int doc_load(struct doc *d, const char *path, FILE *err)
{
	const struct json *rows;
	char why[200];
	bool known = false, repro;

	memset(d, 0, sizeof(*d));
	d->path = path;
	d->root = json_parse_file(path, why, sizeof(why));
	if (!d->root)
		BAD("%s", why);
	if (d->root->type != JSON_OBJECT)
		BAD("%s, not an exotic-matrix/1 or exotic-repro/1 document",
		    json_type_name(d->root->type));
	d->schema = json_get_str(d->root, "schema");
	for (size_t i = 0; d->schema && i < sizeof(schemas) / sizeof(schemas[0]); i++)
		known |= !strcmp(d->schema, schemas[i]);
	if (!known)
		BAD("schema %s%s%s, not exotic-matrix/1 or exotic-repro/1",
		    d->schema ? "\"" : "", d->schema ? d->schema : "missing",
		    d->schema ? "\"" : "");
	repro = !strcmp(d->schema, "exotic-repro/1");
	d->kernel = json_get_str(d->root, "kernel");
	d->profile = json_get_str(d->root, "profile");
	rows = json_get(d->root, "rows");
	if (!rows || rows->type != JSON_ARRAY)
		BAD("no \"rows\" array");
	d->cells = calloc(rows->n ? rows->n : 1, sizeof(*d->cells));
	if (!d->cells)
		BAD("out of memory");
	for (size_t i = 0; i < rows->n; i++) {
		struct cell *c = &d->cells[d->n];

		if (row_cell(d, i, rows->items[i], repro, c, err)) {
			free(c->key);
			return -1;
		}
		d->n++;
		for (size_t j = 0; j + 1 < d->n; j++)
			if (!strcmp(d->cells[j].key, c->key))
				BAD("row %zu: a second row for %s", i + 1, c->key);
	}
	return 0;
}

#undef BAD

static struct cell *find(struct doc *d, const char *key)
{
	for (size_t i = 0; i < d->n; i++)
		if (!strcmp(d->cells[i].key, key))
			return &d->cells[i];
	return NULL;
}

static void describe(FILE *out, const char *mark, const struct doc *d)
{
	fprintf(out, "%s %s: %s, kernel %s, profile %s, %zu cells\n", mark, d->path, d->schema,
		d->kernel ? d->kernel : "?", d->profile ? d->profile : "?", d->n);
}

int matrix_diff(const char *path_a, const char *path_b, FILE *out, FILE *err)
{
	struct doc a, b;
	size_t changed = 0, only_a = 0, only_b = 0;
	int ret = 2;

	if (doc_load(&a, path_a, err)) {
		doc_free(&a);
		return 2;
	}
	if (doc_load(&b, path_b, err))
		goto out;
	if (strcmp(a.schema, b.schema)) {
		fprintf(err, "exotic-matrix: --diff: %s is %s and %s is %s: compare like with like\n",
			path_a, a.schema, path_b, b.schema);
		goto out;
	}
	describe(out, "---", &a);
	describe(out, "+++", &b);
	for (size_t i = 0; i < a.n; i++) {
		struct cell *ca = &a.cells[i], *cb = find(&b, ca->key);

		if (!cb) {
			fprintf(out, "- %s: %s (only in %s)\n", ca->key, ca->outcome, path_a);
			only_a++;
			continue;
		}
		cb->seen = 1;
		if (!strcmp(ca->outcome, cb->outcome))
			continue;
		fprintf(out, "  %s: %s -> %s", ca->key, ca->outcome, cb->outcome);
		if (ca->verdict && cb->verdict && strcmp(ca->verdict, cb->verdict))
			fprintf(out, " (verdict %s -> %s)", ca->verdict, cb->verdict);
		fputc('\n', out);
		changed++;
	}
	for (size_t i = 0; i < b.n; i++) {
		if (b.cells[i].seen)
			continue;
		fprintf(out, "+ %s: %s (only in %s)\n", b.cells[i].key, b.cells[i].outcome, path_b);
		only_b++;
	}
	if (!changed && !only_a && !only_b) {
		fprintf(out, "exotic-matrix --diff: identical: %zu cells, the same outcomes\n", a.n);
		ret = 0;
	} else {
		fprintf(out, "exotic-matrix --diff: %zu cells differ, %zu only in %s, %zu only in %s\n",
			changed, only_a, path_a, only_b, path_b);
		ret = 1;
	}
out:
	doc_free(&a);
	doc_free(&b);
	return ret;
}
