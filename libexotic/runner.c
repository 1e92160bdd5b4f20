// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The scenario runner (exotic/runner.h): a profile's table, the device, a
 * kept VM, isolated scenarios, verdicts, counters and the JSON document,
 * for exotic-matrix and exotic-repro alike.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sys/utsname.h>

#include "internal.h"
#include "exotic/profile.h"
#include "exotic/runner.h"

struct exotic_runner {
	struct exotic_ctx *ctx;
	struct exotic_runner_config cfg;
	struct exotic_expect *table;
	struct exotic_device *dev;
	struct exotic_vm *keep;
	const char *source;
	char why[320];
	char kernel[65];
	bool first;
	unsigned int rows, ok, bad, skipped;
};

EXOTIC_EXPORT void exotic_json_str(FILE *f, const char *s)
{
	if (!s) {
		fputs("null", f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

EXOTIC_EXPORT bool exotic_expect_dangerous(const struct exotic_expect_entry *e)
{
	return e && (e->before == EXOTIC_OUT_WARN || e->before == EXOTIC_OUT_KMSG ||
		     e->after == EXOTIC_OUT_WARN || e->after == EXOTIC_OUT_KMSG);
}

EXOTIC_EXPORT bool exotic_expect_crash(const struct exotic_expect_entry *e)
{
	return e && (e->before == EXOTIC_OUT_CRASH || e->after == EXOTIC_OUT_CRASH);
}

EXOTIC_EXPORT bool exotic_runner_skips(const struct exotic_runner *r,
				       const struct exotic_expect_entry *x,
				       char *why, size_t size)
{
	if (!r || !x)
		return false;
	if (exotic_expect_crash(x) && !r->cfg.allow_crash) {
		if (why && size)
			snprintf(why, size,
				 "expected to stop the kernel (crash on %s, measured: see the reason): not run without --allow-crash, %s",
				 x->before == EXOTIC_OUT_CRASH ? "the first access" :
				 "the access after the event",
				 x->repro ? "alone in a boot of its own" : "in a VM of its own");
		return true;
	}
	if (exotic_expect_dangerous(x) && !r->cfg.allow_kmsg) {
		if (why && size && x->repro)
			snprintf(why, size,
				 "expected to make the kernel log a report: run 'exotic-repro run %s' alone in a fresh boot",
				 x->repro);
		else if (why && size)
			snprintf(why, size,
				 "expected to make the kernel log a %s: run it with --allow-kmsg in a VM of its own, or see exotic-repro",
				 x->before == EXOTIC_OUT_KMSG || x->after == EXOTIC_OUT_KMSG ?
				 "bug report" : "WARNING");
		return true;
	}
	return false;
}

EXOTIC_EXPORT int exotic_runner_new(struct exotic_ctx *ctx,
				    const struct exotic_runner_config *cfg,
				    struct exotic_runner **out)
{
	const struct exotic_profile *p = NULL;
	struct exotic_runner *r;
	struct utsname u;
	int ret;

	if (!ctx || !cfg || !out || !cfg->tool || !cfg->schema)
		return -EINVAL;
	*out = NULL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->ctx = exotic_ref(ctx);
	r->cfg = *cfg;
	r->first = true;
	snprintf(r->kernel, sizeof(r->kernel), "%s", uname(&u) ? "?" : u.release);
	if (cfg->expect_file) {
		r->source = "file";
		ret = exotic_expect_load(ctx, cfg->expect_file, &r->table);
	} else if (cfg->profile) {
		/* a profile of the registry, or a table by its own name */
		r->source = "forced";
		p = exotic_profile_lookup(cfg->profile);
		if (!p) {
			exotic_err(ctx, "%s: no profile or table '%s' (%s --list-profiles)\n",
				   cfg->tool, cfg->profile, cfg->tool);
			ret = -EINVAL;
			goto err;
		}
		ret = exotic_expect_builtin(ctx, p->table, &r->table);
	} else {
		r->source = "detected";
		ret = exotic_profile_detect(ctx, &p, r->why, sizeof(r->why));
		if (!ret)
			ret = exotic_expect_builtin(ctx, p->table, &r->table);
	}
	if (ret)
		goto err;
	*out = r;
	return 0;
err:
	exotic_runner_free(r);
	return ret;
}

EXOTIC_EXPORT int exotic_runner_start(struct exotic_runner *r, bool quiet)
{
	FILE *jf;
	int ret;

	if (!r)
		return -EINVAL;
	if (!r->cfg.dry) {
		ret = exotic_device_open(r->ctx, &r->dev);
		if (!ret)
			ret = exotic_kvm_available(r->ctx);
		if (!ret)
			ret = exotic_vm_new(r->ctx, &r->keep);
		if (ret)
			return ret;
	}
	if (quiet && !getenv("EXOTIC_LOG"))
		exotic_set_log_priority(r->ctx, LOG_CRIT);
	jf = r->cfg.json;
	if (!jf)
		return 0;
	fprintf(jf, "{\n  \"schema\": \"%s\",\n  \"tool\": \"%s\",\n", r->cfg.schema, r->cfg.tool);
	fprintf(jf, "  \"kernel\": ");
	exotic_json_str(jf, r->kernel);
	fprintf(jf, ",\n  \"profile\": ");
	exotic_json_str(jf, exotic_runner_profile(r));
	fprintf(jf, ",\n  \"profile_source\": \"%s\",\n  \"profile_why\": ", r->source);
	exotic_json_str(jf, r->why[0] ? r->why : NULL);
	fprintf(jf, ",\n  \"seed\": %llu,\n  \"ran\": %s,\n  \"rows\": [",
		(unsigned long long)r->cfg.seed, r->cfg.dry ? "false" : "true");
	return 0;
}

EXOTIC_EXPORT const struct exotic_expect *exotic_runner_table(const struct exotic_runner *r)
{
	return r ? r->table : NULL;
}

EXOTIC_EXPORT const char *exotic_runner_profile(const struct exotic_runner *r)
{
	return r ? exotic_expect_profile(r->table) : NULL;
}

EXOTIC_EXPORT const char *exotic_runner_source(const struct exotic_runner *r)
{
	return r ? r->source : NULL;
}

EXOTIC_EXPORT const char *exotic_runner_why(const struct exotic_runner *r)
{
	return r ? r->why : NULL;
}

EXOTIC_EXPORT const char *exotic_runner_kernel(const struct exotic_runner *r)
{
	return r ? r->kernel : NULL;
}

/* Skip it, run it, or list it; then judge it.  0 or a harness failure. */
static int judge(struct exotic_runner *r, struct exotic_scenario *s,
		 struct exotic_runner_row *row)
{
	const struct exotic_expect_entry *x = row->expected;
	struct exotic_scenario_result *res = &row->result;
	int ret;

	if (r->cfg.dry) {
		row->verdict = "-";
		return 0;
	}
	if (exotic_runner_skips(r, x, res->detail, sizeof(res->detail))) {
		row->verdict = "skip";
		r->skipped++;
		return 0;
	}
	ret = exotic_scenario_run_isolated(r->ctx, s, res, r->cfg.timeout_s);
	if (ret)
		return ret;
	if (res->skipped) {
		row->verdict = "skip";
		r->skipped++;
	} else if (res->before == x->before && res->after == x->after) {
		row->ran = true;
		row->verdict = "ok";
		r->ok++;
	} else {
		row->ran = true;
		row->verdict = "UNEXPECTED";
		r->bad++;
	}
	return 0;
}

/* The fields every row has after its own: expectation, outcome, verdict. */
static void json_tail(struct exotic_runner *r, const struct exotic_runner_row *row,
		      bool geometry)
{
	const struct exotic_expect_entry *x = row->expected;
	const struct exotic_scenario_result *res = &row->result;
	FILE *jf = r->cfg.json;

	fprintf(jf, "\n     \"expected\": {\"before\": \"%s\", \"after\": \"%s\", \"reason\": ",
		exotic_outcome_name(x->before), exotic_outcome_name(x->after));
	exotic_json_str(jf, x->reason);
	fprintf(jf, "},\n     \"got\": ");
	if (row->ran)
		fprintf(jf, "{\"before\": \"%s\", \"after\": \"%s\"}",
			exotic_outcome_name(res->before), exotic_outcome_name(res->after));
	else
		fprintf(jf, "null");
	fprintf(jf, ", \"verdict\": \"%s\",", row->verdict);
	if (geometry)
		fprintf(jf, " \"order\": %u, \"length\": %llu,", res->order,
			(unsigned long long)res->length);
	fprintf(jf, "\n     \"detail\": ");
	exotic_json_str(jf, res->detail[0] ? res->detail : NULL);
	fprintf(jf, ", \"kmsg\": ");
	exotic_json_str(jf, res->kmsg[0] ? res->kmsg : NULL);
	fprintf(jf, ", \"refcount_anomalies\": %llu, \"ms\": %llu}",
		(unsigned long long)res->refcount_anomalies, (unsigned long long)res->ms);
	fflush(jf);
	r->first = false;
}

EXOTIC_EXPORT int exotic_runner_cell(struct exotic_runner *r, uint32_t k, uint32_t m,
				     uint32_t p, uint32_t e, struct exotic_runner_row *row)
{
	struct exotic_scenario s;
	int ret;

	if (!r || !row)
		return -EINVAL;
	memset(row, 0, sizeof(*row));
	r->rows++;
	row->expected = exotic_expect_lookup(r->table, k, m, p, e);
	if (!row->expected) {
		r->bad++;
		return -ENOENT;
	}
	exotic_scenario_init(&s, k, m, p, e, r->cfg.seed);
	ret = judge(r, &s, row);
	if (ret)
		return ret;
	if (r->cfg.json) {
		fprintf(r->cfg.json, "%s\n    {\"kind\": \"%s\", \"method\": \"%s\", \"path\": \"%s\", \"event\": \"%s\",",
			r->first ? "" : ",", exotic_kind_name(k), exotic_method_name(m),
			exotic_path_name(p), exotic_event_name(e));
		json_tail(r, row, true);
	}
	return 0;
}

EXOTIC_EXPORT int exotic_runner_repro(struct exotic_runner *r,
				      const struct exotic_repro *rp,
				      struct exotic_runner_row *row)
{
	struct exotic_scenario s;
	int ret;

	if (!r || !rp || !row)
		return -EINVAL;
	memset(row, 0, sizeof(*row));
	r->rows++;
	row->expected = exotic_expect_lookup_repro(r->table, rp->name);
	if (!row->expected) {
		r->bad++;
		return -ENOENT;
	}
	exotic_repro_scenario(rp, r->cfg.seed, &s);
	ret = judge(r, &s, row);
	if (ret)
		return ret;
	if (r->cfg.json) {
		fprintf(r->cfg.json, "%s\n    {", r->first ? "" : ",");
		exotic_repro_json_fields(r->cfg.json, rp);
		fputc(',', r->cfg.json);
		json_tail(r, row, false);
	}
	return 0;
}

EXOTIC_EXPORT void exotic_runner_counts(const struct exotic_runner *r, unsigned int *rows,
					unsigned int *ok, unsigned int *unexpected,
					unsigned int *skipped)
{
	if (rows)
		*rows = r ? r->rows : 0;
	if (ok)
		*ok = r ? r->ok : 0;
	if (unexpected)
		*unexpected = r ? r->bad : 0;
	if (skipped)
		*skipped = r ? r->skipped : 0;
}

EXOTIC_EXPORT void exotic_runner_finish(struct exotic_runner *r)
{
	if (!r || !r->cfg.json)
		return;
	fprintf(r->cfg.json, "\n  ],\n  \"summary\": {\"rows\": %u, \"ok\": %u, \"unexpected\": %u, \"skipped\": %u}\n}\n",
		r->rows, r->ok, r->bad, r->skipped);
	fflush(r->cfg.json);
}

EXOTIC_EXPORT void exotic_runner_free(struct exotic_runner *r)
{
	if (!r)
		return;
	exotic_vm_unref(r->keep);
	exotic_expect_free(r->table);
	exotic_device_unref(r->dev);
	exotic_unref(r->ctx);
	free(r);
}
