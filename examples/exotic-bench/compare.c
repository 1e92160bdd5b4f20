// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * exotic-bench --compare A.json B.json: per row and figure, B's median
 * over A's, with each run's noise ((max - min) / median) next to it: a
 * ratio inside the noise is no change.  Each run's own ratio to its
 * anonymous baseline follows: when the machine was busier during one run,
 * the medians move together and those ratios do not.  Last, whether B's
 * median falls inside A's min-max, and whether B's ratio falls inside the
 * range of A's ratios repetition by repetition (each subject run over the
 * baseline run next to it): a repeat of a run should.  Rows or figures
 * measured in one document only are listed as such.
 */
#include <string.h>

#include "json.h"
#include "bench.h"

static double dist1(double r)
{
	return r > 1 ? r - 1 : 1 - r;
}

static struct json *load(const char *path, FILE *err)
{
	char msg[256];
	struct json *j = json_parse_file(path, msg, sizeof(msg));
	const char *schema;

	if (!j) {
		fprintf(err, "exotic-bench: %s: %s\n", path, msg);
		return NULL;
	}
	schema = json_get_str(j, "schema");
	if (j->type != JSON_OBJECT || !schema || strcmp(schema, BENCH_SCHEMA) ||
	    !json_get(j, "rows") || json_get(j, "rows")->type != JSON_ARRAY) {
		fprintf(err, "exotic-bench: %s: not an %s document\n", path, BENCH_SCHEMA);
		json_free(j);
		return NULL;
	}
	return j;
}

static const struct json *find_row(const struct json *doc, const char *kind,
				   const char *method)
{
	return json_find_row(json_get(doc, "rows"), kind, method);
}

/* a figure's ratio to its anonymous baseline, 0 when it has none */
static double ratio_of(const struct json *row, const char *fig)
{
	const struct json *figs = json_get(row, "figures"), *f, *r;

	if (!figs || !(f = json_get(figs, fig)) || !(r = json_get(f, "ratio")) ||
	    r->type != JSON_NUMBER)
		return 0;
	return r->number;
}

/* a ratio to anonymous memory in 7 columns, "-" when there is none */
static const char *fmt_ratio(const struct json *row, const char *fig, char *buf, size_t size)
{
	double r = ratio_of(row, fig);

	if (r > 0)
		snprintf(buf, size, "%7.2f", r);
	else
		snprintf(buf, size, "%7s", "-");
	return buf;
}

/* a figure's subject summary; false when it was not measured */
static bool subject_of(const struct json *row, const char *fig, struct summary *s)
{
	const struct json *figs = json_get(row, "figures"), *f, *sub, *v;
	const char *keys[3] = { "median", "min", "max" };
	double *dst[3] = { &s->median, &s->min, &s->max };

	if (!figs || !(f = json_get(figs, fig)) || !(sub = json_get(f, "subject")) ||
	    sub->type != JSON_OBJECT)
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
	const struct json *figs = json_get(row, "figures"), *f, *sd, *arr;
	size_t n = 0;

	if (!figs || !(f = json_get(figs, fig)) || !(sd = json_get(f, side)) ||
	    !(arr = json_get(sd, "samples")) || arr->type != JSON_ARRAY)
		return 0;
	for (size_t i = 0; i < arr->n && n < BENCH_MAX_REPS; i++) {
		if (arr->items[i]->type != JSON_NUMBER)
			return 0;
		v[n++] = arr->items[i]->number;
	}
	return n;
}

/*
 * A figure's ratio to its baseline (the medians' quotient) and the range of
 * its ratios repetition by repetition, both from the samples, so that the
 * two are rounded alike; false when it has no baseline.
 */
static bool ratio_range(const struct json *row, const char *fig, double *r, struct summary *s)
{
	double sub[BENCH_MAX_REPS], base[BENCH_MAX_REPS];
	size_t ns = samples_of(row, fig, "subject", sub);

	if (!ns || samples_of(row, fig, "baseline", base) != ns)
		return false;
	*r = ratio(summarize(sub, ns).median, summarize(base, ns).median);
	*s = paired_ratios(sub, base, ns);
	return *r > 0 && s->n > 0;
}

static bool row_ok(const struct json *row)
{
	const char *st = row ? json_get_str(row, "status") : NULL;

	return st && !strcmp(st, "ok");
}

int bench_compare(const char *path_a, const char *path_b, FILE *out, FILE *err)
{
	struct json *a = load(path_a, err), *b = a ? load(path_b, err) : NULL;
	const struct json *rows;
	unsigned int compared = 0, outside = 0, inside_a = 0, ratios = 0, ratios_in = 0;

	if (!a || !b) {
		json_free(a);
		return 2;
	}
	fprintf(out, "exotic-bench --compare: B/A of the subjects' medians, noise = (max-min)/median; "
		"each run's ratio to its own anonymous baseline beside them; in A: B's median "
		"inside A's min-max; r in A: B's ratio inside the range of A's per-repetition ratios\n");
	fprintf(out, "%-11s %-6s %-9s %10s %10s %7s %7s %7s %7s %7s %5s %6s\n", "kind", "method",
		"figure", "A", "B", "B/A", "noise A", "noise B", "anon A", "anon B", "in A", "r in A");
	rows = json_get(a, "rows");
	for (size_t i = 0; i < rows->n; i++) {
		const struct json *ra = rows->items[i], *rb;
		const char *kind = json_get_str(ra, "kind"), *method = json_get_str(ra, "method");

		if (!kind || !method || !row_ok(ra))
			continue;
		rb = find_row(b, kind, method);
		if (!row_ok(rb)) {
			fprintf(out, "%-11s %-6s measured in A only\n", kind, method);
			continue;
		}
		for (int k = 0; k < FIG_MAX; k++) {
			struct summary sa, sb, pa, pb;
			char ba[16], bb[16];
			const char *r_in = "-";
			double r, na, nb, ra_anon, rb_anon;
			bool in_a;
			bool ha = subject_of(ra, figures[k].name, &sa);
			bool hb = subject_of(rb, figures[k].name, &sb);

			if (!ha && !hb)
				continue;
			if (ha != hb) {
				fprintf(out, "%-11s %-6s %-9s measured in %s only\n", kind, method,
					figures[k].column, ha ? "A" : "B");
				continue;
			}
			r = ratio(sb.median, sa.median);
			na = spread(&sa);
			nb = spread(&sb);
			compared++;
			in_a = sb.median >= sa.min && sb.median <= sa.max;
			inside_a += in_a;
			if (ratio_range(ra, figures[k].name, &ra_anon, &pa) &&
			    ratio_range(rb, figures[k].name, &rb_anon, &pb)) {
				bool in = rb_anon >= pa.min && rb_anon <= pa.max;

				ratios++;
				ratios_in += in;
				r_in = in ? "yes" : "no";
			}
			/* outside the noise: further from 1 than both spreads */
			if (dist1(r) > (na > nb ? na : nb))
				outside++;
			fprintf(out, "%-11s %-6s %-9s %10.4g %10.4g %7.3f %6.0f%% %6.0f%% %s %s %5s %6s%s\n",
				kind, method, figures[k].column, sa.median, sb.median, r, na * 100,
				nb * 100, fmt_ratio(ra, figures[k].name, ba, sizeof(ba)),
				fmt_ratio(rb, figures[k].name, bb, sizeof(bb)), in_a ? "yes" : "no",
				r_in, dist1(r) > (na > nb ? na : nb) ? "  *" : "");
		}
	}
	rows = json_get(b, "rows");
	for (size_t i = 0; i < rows->n; i++) {
		const char *kind = json_get_str(rows->items[i], "kind");
		const char *method = json_get_str(rows->items[i], "method");

		if (kind && method && row_ok(rows->items[i]) && !row_ok(find_row(a, kind, method)))
			fprintf(out, "%-11s %-6s measured in B only\n", kind, method);
	}
	fprintf(out, "exotic-bench --compare: %u figures, %u outside the noise (*), %u with B's median "
		"inside A's min-max; %u ratios to anonymous memory, %u inside A's per-repetition range\n",
		compared, outside, inside_a, ratios, ratios_in);
	json_free(a);
	json_free(b);
	return 0;
}
