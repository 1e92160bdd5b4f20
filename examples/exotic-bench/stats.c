// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * exotic-bench: the pure parts.  Each figure is the median of its
 * repetitions with their min and max; a row's ratio is the subject's
 * median over the baseline's median of the same interleaved runs, and its
 * range that of the ratios repetition by repetition.
 */
#include <stdlib.h>
#include <string.h>

#include "bench.h"

const char *const workload_names[WL_MAX] = {
	[WL_TOUCH] = "touch",
	[WL_STEADY] = "steady",
	[WL_EVENTS] = "events",
	[WL_STORM] = "storm",
	[WL_SETUP] = "setup",
};

const struct figure_info figures[FIG_MAX] = {
	[FIG_FT_READ] = { "first_touch_read", "touch-r", "faults/s", false, WL_TOUCH },
	[FIG_FT_WRITE] = { "first_touch_write", "touch-w", "faults/s", false, WL_TOUCH },
	[FIG_STEADY_READ] = { "steady_read", "steady-r", "GiB/s", false, WL_STEADY },
	[FIG_STEADY_WRITE] = { "steady_write", "steady-w", "GiB/s", false, WL_STEADY },
	[FIG_INVALIDATE] = { "invalidate_refault", "inval", "cycles/s", false, WL_EVENTS },
	[FIG_MIGRATE] = { "migrate_refault", "migrate", "cycles/s", false, WL_EVENTS },
	[FIG_REPLACE] = { "replace_refault", "replace", "cycles/s", false, WL_EVENTS },
	[FIG_STORM_EVENTS] = { "storm_events", "storm-ev", "events/s", false, WL_STORM },
	[FIG_STORM_ACCESSES] = { "storm_accesses", "storm-ac", "accesses/s", false, WL_STORM },
	[FIG_SETUP] = { "setup", "setup", "ms", true, WL_SETUP },
};

const char *const kstat_names[KS_MAX] = {
	[KS_PF_TAKEN] = "pf_taken",
	[KS_PF_FIXED] = "pf_fixed",
	[KS_EXITS] = "exits",
	[KS_PAGES_4K] = "pages_4k",
	[KS_PAGES_2M] = "pages_2m",
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

struct summary summarize(const double *samples, size_t n)
{
	struct summary s = { .n = n };
	double *v;

	if (!n || !samples)
		return (struct summary){ 0 };
	v = malloc(n * sizeof(*v));
	if (!v)
		return (struct summary){ 0 };
	memcpy(v, samples, n * sizeof(*v));
	qsort(v, n, sizeof(*v), cmp_double);
	s.min = v[0];
	s.max = v[n - 1];
	s.median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	free(v);
	return s;
}

double ratio(double a, double b)
{
	if (!(a > 0) || !(b > 0))
		return 0;
	return a / b;
}

double spread(const struct summary *s)
{
	if (!s || !(s->median > 0))
		return 0;
	return (s->max - s->min) / s->median;
}

struct summary paired_ratios(const double *subject, const double *baseline, size_t n)
{
	double r[BENCH_MAX_REPS];
	size_t m = 0;

	if (!subject || !baseline)
		return (struct summary){ 0 };
	for (size_t i = 0; i < n && m < BENCH_MAX_REPS; i++)
		if ((r[m] = ratio(subject[i], baseline[i])) > 0)
			m++;
	return summarize(r, m);
}
