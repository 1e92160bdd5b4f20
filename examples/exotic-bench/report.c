// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * exotic-bench: the human table and the JSON document
 * (docs/bench-schema.md).
 */
#include <inttypes.h>
#include <string.h>

#include "exotic/exotic.h"
#include "bench.h"

#define TWO_MIB	((uint64_t)2 << 20)

/* three significant digits, short: 0.123, 12.3, 1234, 12.3k, 1.23M */
static const char *num(char *buf, size_t size, double v)
{
	if (v >= 999.5e3)
		snprintf(buf, size, "%.3gM", v / 1e6);
	else if (v >= 9999.5)
		snprintf(buf, size, "%.3gk", v / 1e3);
	else if (v >= 99.95)
		snprintf(buf, size, "%.0f", v);
	else
		snprintf(buf, size, "%.3g", v);
	return buf;
}

static const char *row_method(const struct row *r)
{
	return exotic_method_name(r->method);
}

/* does the subject map with 2 MiB pages where it can: huge only */
static const char *huge_verdict(const struct row *r)
{
	uint64_t want = r->length / TWO_MIB;

	if (!r->have_mapping)
		return "unknown (no pages_2m statistic)";
	if (r->pages_2m >= want)
		return "yes";
	return r->pages_2m ? "partly" : "no";
}

/* whether the run measured figure k at all (--workloads) */
static bool ran(const struct run_info *ri, int k)
{
	return ri->workloads & (1U << figures[k].workload);
}

void report_table(FILE *f, const struct run_info *ri, const struct row *rows, size_t n)
{
	char a[16], b[16], c[16], d[16], e[16], g[16];

	fprintf(f, "exotic-bench: kernel %s, table %s, %" PRIu64 " MiB per instance, "
		"%u repetitions, %u steady passes, %u event cycles, %u ms storms, times host CLOCK_MONOTONIC\n",
		ri->kernel, ri->profile, ri->length >> 20, ri->reps, ri->passes, ri->cycles,
		ri->storm_ms);
	if (ri->workloads != (1U << WL_MAX) - 1) {
		fprintf(f, "workloads run:");
		for (int w = 0; w < WL_MAX; w++)
			if (ri->workloads & (1U << w))
				fprintf(f, " %s", workload_names[w]);
		fprintf(f, " (-: a figure of a workload not run)\n");
	}
	fprintf(f, "ratio to anonymous memory (median / anonymous median of the same runs; "
		"setup: lower is better)\n");
	fprintf(f, "%-11s %-6s", "kind", "method");
	for (int k = 0; k < FIG_MAX; k++)
		fprintf(f, " %8s", figures[k].column);
	fprintf(f, " %8s  %s\n", "setup-p", "2M maps");
	for (size_t i = 0; i < n; i++) {
		const struct row *r = &rows[i];

		if (strcmp(r->status, "ok"))
			continue;
		fprintf(f, "%-11s %-6s", exotic_kind_name(r->kind), row_method(r));
		for (int k = 0; k < FIG_MAX; k++) {
			const struct fig_result *fr = &r->fig[k];
			struct summary s = summarize(fr->subject.v, fr->subject.n);
			struct summary bs = summarize(fr->baseline.v, fr->baseline.n);

			if (!ran(ri, k))
				fprintf(f, " %8s", "-");
			else if (fr->skipped)
				fprintf(f, " %8s", "skip");
			else if (!bs.n)
				fprintf(f, " %8s", num(a, sizeof(a), s.median));
			else
				fprintf(f, " %8.2f", ratio(s.median, bs.median));
		}
		{
			const struct fig_result *fr = &r->fig[FIG_SETUP];
			struct summary s = summarize(fr->subject.v, fr->subject.n);
			struct summary ps = summarize(fr->populated.v, fr->populated.n);

			if (ran(ri, FIG_SETUP))
				fprintf(f, " %8.2f", ratio(s.median, ps.median));
			else
				fprintf(f, " %8s", "-");
		}
		if (r->have_mapping)
			fprintf(f, "  %" PRIu64 "/%" PRIu64 "%s", r->pages_2m, r->length / TWO_MIB,
				r->method == EXOTIC_MAP_HUGE ? "" : "");
		fprintf(f, "\n");
	}
	fprintf(f, "(migrate has no anonymous twin: cycles/s; replace: revoke + reallocate + memslot + "
		"refault, against munmap + mmap + memslot + refault: cycles/s; storm-ev, storm-ac: "
		"invalidations and guest "
		"accesses per second of an invalidate-only storm; setup-p: setup next to a populated "
		"anonymous mmap; 2M maps: pages_2m KVM mapped / 2 MiB pages in the instance)\n");
	for (size_t i = 0; i < n; i++) {
		const struct row *r = &rows[i];

		if (!strcmp(r->status, "ok"))
			continue;
		fprintf(f, "%s %s %s: %s\n", r->status, exotic_kind_name(r->kind), row_method(r),
			r->why);
	}
	fprintf(f, "\nmedian [min-max] of the subject | of anonymous memory:\n");
	for (size_t i = 0; i < n; i++) {
		const struct row *r = &rows[i];

		if (strcmp(r->status, "ok"))
			continue;
		for (int k = 0; k < FIG_MAX; k++) {
			const struct fig_result *fr = &r->fig[k];
			struct summary s = summarize(fr->subject.v, fr->subject.n);
			struct summary bs = summarize(fr->baseline.v, fr->baseline.n);

			if (!ran(ri, k))
				continue;
			fprintf(f, "  %-11s %-6s %-9s", exotic_kind_name(r->kind), row_method(r),
				figures[k].column);
			if (fr->skipped) {
				fprintf(f, " skipped: %s\n", fr->why);
				continue;
			}
			fprintf(f, " %s [%s-%s] %s", num(a, sizeof(a), s.median),
				num(b, sizeof(b), s.min), num(c, sizeof(c), s.max), figures[k].unit);
			if (bs.n)
				fprintf(f, " | %s [%s-%s]", num(d, sizeof(d), bs.median),
					num(e, sizeof(e), bs.min), num(g, sizeof(g), bs.max));
			else
				fprintf(f, " | no anonymous twin");
			if (k == FIG_SETUP) {
				struct summary ps = summarize(fr->populated.v, fr->populated.n);

				fprintf(f, " | populated %s [%s-%s] (%" PRIu64 " MiB)",
					num(d, sizeof(d), ps.median), num(e, sizeof(e), ps.min),
					num(g, sizeof(g), ps.max), r->setup_length >> 20);
			}
			if ((k == FIG_FT_READ || k == FIG_FT_WRITE) &&
			    fr->subject.kvm[KS_PF_FIXED] != EXOTIC_STAT_MISSING)
				fprintf(f, " kvm pf_fixed %" PRIu64 "|%" PRIu64 " exits %" PRIu64 "|%" PRIu64,
					fr->subject.kvm[KS_PF_FIXED], fr->baseline.kvm[KS_PF_FIXED],
					fr->subject.kvm[KS_EXITS], fr->baseline.kvm[KS_EXITS]);
			fprintf(f, "\n");
		}
		if (r->method == EXOTIC_MAP_HUGE)
			fprintf(f, "  %-11s %-6s 2 MiB mappings: %s (pages_2m %" PRIu64 " of %" PRIu64
				", pages_4k %" PRIu64 ")\n", exotic_kind_name(r->kind), row_method(r),
				huge_verdict(r), r->pages_2m, r->length / TWO_MIB, r->pages_4k);
	}
}

static void json_num(FILE *f, double v)
{
	fprintf(f, "%.6g", v);
}

static void json_counters(FILE *f, const uint64_t *kvm)
{
	bool first = true;

	fprintf(f, "{");
	for (int i = 0; i < KS_MAX; i++) {
		if (kvm[i] == EXOTIC_STAT_MISSING)
			continue;
		fprintf(f, "%s\"%s\": %" PRIu64, first ? "" : ", ", kstat_names[i], kvm[i]);
		first = false;
	}
	fprintf(f, "}");
}

static void json_side(FILE *f, const struct side *sd)
{
	struct summary s = summarize(sd->v, sd->n);

	fprintf(f, "{\"median\": ");
	json_num(f, s.median);
	fprintf(f, ", \"min\": ");
	json_num(f, s.min);
	fprintf(f, ", \"max\": ");
	json_num(f, s.max);
	fprintf(f, ", \"samples\": [");
	for (size_t i = 0; i < sd->n; i++) {
		fprintf(f, "%s", i ? ", " : "");
		json_num(f, sd->v[i]);
	}
	fprintf(f, "]");
	if (sd->kvm[KS_PF_TAKEN] != EXOTIC_STAT_MISSING || sd->kvm[KS_PAGES_4K] != EXOTIC_STAT_MISSING) {
		fprintf(f, ", \"kvm\": ");
		json_counters(f, sd->kvm);
	}
	fprintf(f, "}");
}

static const char *clock_of(int k)
{
	switch (k) {
	case FIG_INVALIDATE:
	case FIG_MIGRATE:
	case FIG_REPLACE: return "host-monotonic: host event + KVM_RUN";
	case FIG_STORM_EVENTS:
	case FIG_STORM_ACCESSES: return "host-monotonic: storm run";
	case FIG_SETUP: return "host-monotonic: alloc + mmap + memslot";
	default: return "host-monotonic: KVM_RUN";
	}
}

void report_json(FILE *f, const struct run_info *ri, const struct row *rows, size_t n)
{
	fprintf(f, "{\n  \"schema\": \"%s\",\n  \"tool\": \"exotic-bench\",\n  \"kernel\": ", BENCH_SCHEMA);
	exotic_json_str(f, ri->kernel);
	fprintf(f, ",\n  \"profile\": ");
	exotic_json_str(f, ri->profile);
	fprintf(f, ",\n  \"profile_why\": ");
	exotic_json_str(f, ri->profile_why);
	fprintf(f, ",\n  \"anon_thp\": \"%s\"", ri->thp == ANON_THP_MATCH ? "match" : "default");
	fprintf(f, ",\n  \"system_pages\": {\"pages_4k\": %" PRIu64 ", \"pages_2m\": %" PRIu64 "}",
		ri->sys_4k, ri->sys_2m);
	fprintf(f, ",\n  \"repetitions\": %u,\n  \"length\": %" PRIu64 ",\n  \"passes\": %u,\n"
		"  \"cycles\": %u,\n  \"storm_ms\": %u,\n  \"setup_length_asked\": %" PRIu64 ",\n"
		"  \"workloads\": [",
		ri->reps, ri->length, ri->passes, ri->cycles, ri->storm_ms, ri->setup_asked);
	for (int w = 0, first = 1; w < WL_MAX; w++) {
		if (!(ri->workloads & (1U << w)))
			continue;
		fprintf(f, "%s\"%s\"", first ? "" : ", ", workload_names[w]);
		first = 0;
	}
	fprintf(f, "],\n  \"rows\": [");
	for (size_t i = 0; i < n; i++) {
		const struct row *r = &rows[i];

		fprintf(f, "%s\n    {\"kind\": \"%s\", \"method\": \"%s\", \"status\": \"%s\"",
			i ? "," : "", exotic_kind_name(r->kind), row_method(r), r->status);
		if (strcmp(r->status, "ok")) {
			fprintf(f, ", \"why\": ");
			exotic_json_str(f, r->why);
			fprintf(f, "}");
			continue;
		}
		fprintf(f, ", \"order\": %u, \"length\": %" PRIu64 ", \"setup_length\": %" PRIu64,
			r->order, r->length, r->setup_length);
		fprintf(f, ", \"host_prefault\": %s, \"baseline\": ", r->host_prefault ? "true" : "false");
		exotic_json_str(f, r->baseline);
		if (ran(ri, FIG_STEADY_WRITE)) {	/* the mapping is steady state's */
			fprintf(f, ",\n     \"mapping\": {\"pages_4k\": %" PRIu64 ", \"pages_2m\": %" PRIu64
				", \"pages_2m_possible\": %" PRIu64 ", \"huge\": ",
				r->pages_4k, r->pages_2m, r->length / TWO_MIB);
			exotic_json_str(f, huge_verdict(r));
			fprintf(f, "}");
		}
		fprintf(f, ",\n     \"figures\": {");
		for (int k = 0; k < FIG_MAX; k++) {
			const struct fig_result *fr = &r->fig[k];
			struct summary s = summarize(fr->subject.v, fr->subject.n);
			struct summary bs = summarize(fr->baseline.v, fr->baseline.n);

			fprintf(f, "%s\n       \"%s\": {\"unit\": \"%s\", \"clock\": \"%s\"",
				k ? "," : "", figures[k].name, figures[k].unit, clock_of(k));
			if (fr->skipped) {
				fprintf(f, ", \"skipped\": ");
				exotic_json_str(f, fr->why);
				fprintf(f, "}");
				continue;
			}
			fprintf(f, ",\n         \"subject\": ");
			json_side(f, &fr->subject);
			fprintf(f, ",\n         \"baseline\": ");
			if (bs.n)
				json_side(f, &fr->baseline);
			else
				fprintf(f, "null");
			fprintf(f, ", \"ratio\": ");
			if (bs.n)
				json_num(f, ratio(s.median, bs.median));
			else
				fprintf(f, "null");
			if (fr->populated.n) {
				struct summary ps = summarize(fr->populated.v, fr->populated.n);

				fprintf(f, ",\n         \"baseline_populated\": ");
				json_side(f, &fr->populated);
				fprintf(f, ", \"ratio_populated\": ");
				json_num(f, ratio(s.median, ps.median));
			}
			fprintf(f, "}");
		}
		fprintf(f, "}}");
	}
	fprintf(f, "\n  ]\n}\n");
}
