// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * exotic-bench: reading a document back (docs/bench-schema.md), for
 * --compare and the targets: a row's figures as summaries and samples,
 * and a figure's ratio to its baseline with the range of its ratios
 * repetition by repetition.
 */
#include <string.h>

#include "json.h"
#include "bench.h"

struct json *doc_load(const char *path, FILE *err)
{
	char msg[256];
	struct json *j = json_parse_file(path, msg, sizeof(msg));

	if (!j) {
		fprintf(err, "exotic-bench: %s: %s\n", path, msg);
		return NULL;
	}
	if (!doc_valid(j)) {
		fprintf(err, "exotic-bench: %s: not an %s document\n", path, BENCH_SCHEMA);
		json_free(j);
		return NULL;
	}
	return j;
}

bool doc_valid(const struct json *j)
{
	const char *schema = json_get_str(j, "schema");

	return j->type == JSON_OBJECT && schema && !strcmp(schema, BENCH_SCHEMA) &&
	       json_get(j, "rows") && json_get(j, "rows")->type == JSON_ARRAY;
}

bool doc_row_ok(const struct json *row)
{
	const char *st = row ? json_get_str(row, "status") : NULL;

	return st && !strcmp(st, "ok");
}

static const struct json *figure_of(const struct json *row, const char *fig)
{
	const struct json *figs = json_get(row, "figures");

	return figs ? json_get(figs, fig) : NULL;
}

bool doc_subject(const struct json *row, const char *fig, struct summary *s)
{
	const struct json *f = figure_of(row, fig), *sub, *v;
	const char *keys[3] = { "median", "min", "max" };
	double *dst[3] = { &s->median, &s->min, &s->max };

	if (!f || !(sub = json_get(f, "subject")) || sub->type != JSON_OBJECT)
		return false;
	for (int i = 0; i < 3; i++) {
		v = json_get(sub, keys[i]);
		if (!v || v->type != JSON_NUMBER)
			return false;
		*dst[i] = v->number;
	}
	s->n = 1;
	return true;
}

/* the samples of one side of a figure, at most BENCH_MAX_REPS; 0 if none */
static size_t samples_of(const struct json *row, const char *fig, const char *side, double *v)
{
	const struct json *f = figure_of(row, fig), *sd, *arr;
	size_t n = 0;

	if (!f || !(sd = json_get(f, side)) || !(arr = json_get(sd, "samples")) ||
	    arr->type != JSON_ARRAY)
		return 0;
	for (size_t i = 0; i < arr->n && n < BENCH_MAX_REPS; i++) {
		if (arr->items[i]->type != JSON_NUMBER)
			return 0;
		v[n++] = arr->items[i]->number;
	}
	return n;
}

bool doc_ratio(const struct json *row, const char *fig, double *r, struct summary *range)
{
	double sub[BENCH_MAX_REPS], base[BENCH_MAX_REPS];
	size_t ns = samples_of(row, fig, "subject", sub);

	if (!ns || samples_of(row, fig, "baseline", base) != ns)
		return false;
	*r = ratio(summarize(sub, ns).median, summarize(base, ns).median);
	*range = paired_ratios(sub, base, ns);
	return *r > 0 && range->n > 0;
}
