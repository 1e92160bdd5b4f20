// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * exotic-bench: the performance targets, judged on a document.  Each is a
 * bound on a figure's ratio to anonymous memory (the medians' quotient);
 * a row that misses one is "inside the noise" when the range of its
 * ratios repetition by repetition reaches the bound, and plainly missed
 * when the whole range lies beyond it.  The huge method's target is KVM
 * mapping every 2 MiB of the instance with a 2 MiB page.
 */
#include <string.h>

#include "json.h"
#include "bench.h"

static const struct target {
	const char *what;
	enum figure fig;
	double bound;
	bool at_most;		/* lower is better: setup */
} targets[] = {
	{ "first touch, read", FIG_FT_READ, 0.9, false },
	{ "first touch, write", FIG_FT_WRITE, 0.9, false },
	{ "steady state, read", FIG_STEADY_READ, 0.95, false },
	{ "steady state, write", FIG_STEADY_WRITE, 0.95, false },
	{ "invalidate + refault", FIG_INVALIDATE, 0.8, false },
	{ "setup", FIG_SETUP, 2.0, true },
};

/* a list of the rows that missed, "; missed...: a b 1 [0.5-2], c d ..." */
struct misses {
	char text[2048];
	size_t len;
	unsigned int n;
};

static void miss_add(struct misses *m, const char *fmt, const char *kind, const char *method,
		     double a, double b, double c)
{
	int w;

	if (m->len >= sizeof(m->text))
		return;
	w = snprintf(m->text + m->len, sizeof(m->text) - m->len, "%s%s %s ",
		     m->n++ ? ", " : "", kind, method);
	if (w > 0)
		m->len += (size_t)w;
	if (m->len >= sizeof(m->text))
		return;
	w = snprintf(m->text + m->len, sizeof(m->text) - m->len, fmt, a, b, c);
	if (w > 0)
		m->len += (size_t)w;
}

/* "k of n rows hold; missed: ...; missed inside the noise: ..." */
static void verdict(FILE *out, unsigned int measured, unsigned int hold,
		    const struct misses *plain, const struct misses *noise)
{
	if (!measured) {
		fprintf(out, "no row measured\n");
		return;
	}
	fprintf(out, "%u of %u rows hold", hold, measured);
	if (plain->n)
		fprintf(out, "; missed: %s", plain->text);
	if (noise && noise->n)
		fprintf(out, "; missed inside the noise: %s", noise->text);
	fprintf(out, "\n");
}

static bool meets(const struct target *t, double v)
{
	return t->at_most ? v <= t->bound : v >= t->bound;
}

static void judge(const struct json *rows, const struct target *t, FILE *out)
{
	struct misses plain = { .len = 0 }, noise = { .len = 0 };
	unsigned int measured = 0, hold = 0;

	for (size_t i = 0; i < rows->n; i++) {
		const struct json *row = rows->items[i];
		const char *kind = json_get_str(row, "kind"), *method = json_get_str(row, "method");
		struct summary range;
		double r;

		if (!kind || !method || !doc_row_ok(row) ||
		    !doc_ratio(row, figures[t->fig].name, &r, &range))
			continue;
		measured++;
		if (meets(t, r))
			hold++;
		else if (meets(t, t->at_most ? range.min : range.max))
			miss_add(&noise, "%.3g [%.3g-%.3g]", kind, method, r, range.min, range.max);
		else
			miss_add(&plain, "%.3g [%.3g-%.3g]", kind, method, r, range.min, range.max);
	}
	fprintf(out, "  %s %s %.3g: ", t->what, t->at_most ? "<=" : ">=", t->bound);
	verdict(out, measured, hold, &plain, &noise);
}

static void judge_huge(const struct json *rows, FILE *out)
{
	struct misses m = { .len = 0 };
	unsigned int measured = 0, hold = 0;

	for (size_t i = 0; i < rows->n; i++) {
		const struct json *row = rows->items[i], *map = json_get(row, "mapping"), *got, *all;
		const char *kind = json_get_str(row, "kind"), *method = json_get_str(row, "method");

		if (!kind || !method || strcmp(method, "huge") || !doc_row_ok(row) || !map ||
		    !(got = json_get(map, "pages_2m")) || !(all = json_get(map, "pages_2m_possible")) ||
		    got->type != JSON_NUMBER || all->type != JSON_NUMBER)
			continue;
		measured++;
		if (got->number >= all->number)
			hold++;
		else
			miss_add(&m, "%.0f/%.0f", kind, method, got->number, all->number, 0);
	}
	fprintf(out, "  huge method, pages_2m = length / 2 MiB: ");
	verdict(out, measured, hold, &m, NULL);
}

void bench_targets(const struct json *doc, FILE *out)
{
	const struct json *rows = json_get(doc, "rows");

	fprintf(out, "targets (ratio of medians to anonymous memory [range of the ratios "
		"repetition by repetition]; missed inside the noise: that range reaches the target):\n");
	for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++)
		judge(rows, &targets[i], out);
	judge_huge(rows, out);
}

int bench_targets_file(const char *path, FILE *out, FILE *err)
{
	struct json *doc = doc_load(path, err);

	if (!doc)
		return 2;
	bench_targets(doc, out);
	json_free(doc);
	return 0;
}
