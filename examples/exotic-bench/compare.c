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

static const struct json *find_row(const struct json *doc, const char *kind,
				   const char *method)
{
	return json_find_row(json_get(doc, "rows"), kind, method);
}

/* a figure's ratio to anonymous memory in 7 columns, "-" when it has none */
static const char *fmt_ratio(const struct json *row, const char *fig, char *buf, size_t size)
{
	struct summary range;
	double r;

	if (doc_ratio(row, fig, &r, &range))
		snprintf(buf, size, "%7.2f", r);
	else
		snprintf(buf, size, "%7s", "-");
	return buf;
}

int bench_compare(const char *path_a, const char *path_b, FILE *out, FILE *err)
{
	struct json *a = doc_load(path_a, err), *b = a ? doc_load(path_b, err) : NULL;
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

		if (!kind || !method || !doc_row_ok(ra))
			continue;
		rb = find_row(b, kind, method);
		if (!doc_row_ok(rb)) {
			fprintf(out, "%-11s %-6s measured in A only\n", kind, method);
			continue;
		}
		for (int k = 0; k < FIG_MAX; k++) {
			struct summary sa, sb, pa, pb;
			char ba[16], bb[16];
			const char *r_in = "-";
			double r, na, nb, ra_anon, rb_anon;
			bool in_a;
			bool ha = doc_subject(ra, figures[k].name, &sa);
			bool hb = doc_subject(rb, figures[k].name, &sb);

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
			if (doc_ratio(ra, figures[k].name, &ra_anon, &pa) &&
			    doc_ratio(rb, figures[k].name, &rb_anon, &pb)) {
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

		if (kind && method && doc_row_ok(rows->items[i]) &&
		    !doc_row_ok(find_row(a, kind, method)))
			fprintf(out, "%-11s %-6s measured in B only\n", kind, method);
	}
	fprintf(out, "exotic-bench --compare: %u figures, %u outside the noise (*), %u with B's median "
		"inside A's min-max; %u ratios to anonymous memory, %u inside A's per-repetition range\n",
		compared, outside, inside_a, ratios, ratios_in);
	json_free(a);
	json_free(b);
	return 0;
}
