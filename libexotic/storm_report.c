// SPDX-License-Identifier: LGPL-2.1-or-later
/* The storm's summary table and its JSON form. */
#include <errno.h>
#include <inttypes.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>

#include "storm_engine.h"

/* A snapshot of what the report prints, its counters read once each. */
struct storm_report {
	const char *profile;
	const char *kernel;
	const char *skipped;
	uint64_t seed;
	unsigned int nslots;
	unsigned int nevents;
	const struct exotic_storm_config *cfg;
	bool kmsg;
	uint64_t published;
	struct exotic_storm_stats st;
};

struct storm_report_slot {
	const char *kind, *method;	/* names */
	uint32_t order;
	int expect_head, expect_tail;
	uint64_t accesses, efault_tail, disturbed, detections, unexpected;
	uint64_t races;
	uint32_t paths;			/* 1 << EXOTIC_PATH_* */
};

static void storm_report_info(struct exotic_storm *s, struct storm_report *r)
{
	r->profile = s->profile;
	r->kernel = s->kernel;
	r->skipped = s->skipped;
	r->seed = s->cfg.seed;
	r->nslots = s->nslots;
	r->nevents = s->nevents;
	r->cfg = &s->cfg;
	r->kmsg = s->kmsg != NULL;
	r->published = s->published;
	exotic_storm_get_stats(s, &r->st);
}

static int storm_report_slot(struct exotic_storm *s, unsigned int i,
			     struct storm_report_slot *out)
{
	struct storm_slot *slot;

	if (i >= s->nslots)
		return -ENOENT;
	slot = &s->slots[i];
	*out = (struct storm_report_slot){
		.kind = slot_kind_name(slot), .method = slot_method_name(slot),
		.order = slot->order,
		.expect_head = slot->expect_head, .expect_tail = slot->expect_tail,
		.accesses = LOAD(slot->accesses), .efault_tail = LOAD(slot->efault_tail),
		.disturbed = LOAD(slot->disturbed), .detections = LOAD(slot->detections),
		.unexpected = LOAD(slot->unexpected), .races = LOAD(slot->races),
		.paths = slot->paths,
	};
	return 0;
}

/* The paths the storm reads through (exotic_storm_config.paths). */
static uint32_t storm_paths(const struct exotic_storm_config *cfg)
{
	return cfg->paths ? cfg->paths : 1U << EXOTIC_PATH_NPF;
}

/* "npf,nested-tdp" (sep ","), or JSON strings (sep ", " and quotes) */
static void print_paths(FILE *out, uint32_t paths, bool json)
{
	const char *sep = "";

	for (unsigned int path = EXOTIC_PATH_NPF; path <= EXOTIC_PATH_MAX; path++) {
		if (!(paths & (1U << path)))
			continue;
		fprintf(out, json ? "%s\"%s\"" : "%s%s", sep, exotic_path_name(path));
		sep = json ? ", " : ",";
	}
}

static const char *errno_name(uint32_t e)
{
	switch (e) {
	case EFAULT: return "EFAULT";
	case EINTR: return "EINTR";
	case EINVAL: return "EINVAL";
	case ENOMEM: return "ENOMEM";
	case EAGAIN: return "EAGAIN";
	case ENOEXEC: return "ENOEXEC";
	case EHWPOISON: return "EHWPOISON";
	case EBUSY: return "EBUSY";
	case ENXIO: return "ENXIO";
	default: return NULL;
	}
}

static double rate(uint64_t n, uint64_t ms)
{
	return ms ? (double)n * 1000.0 / (double)ms : 0.0;
}

static void replay_arg(struct exotic_storm *s, const struct storm_report *r,
		       char *buf, size_t len)
{
	size_t n = (size_t)snprintf(buf, len, "0x%" PRIx64, r->seed);

	for (unsigned int t = 0; t < r->nevents && n < len; t++) {
		uint64_t count = 0;

		exotic_storm_event_hash(s, t, &count, NULL);
		n += (size_t)snprintf(buf + n, len - n, "%s%" PRIu64, t ? "," : ":", count);
	}
}

EXOTIC_EXPORT void exotic_storm_print_summary(struct exotic_storm *s, FILE *out)
{
	struct storm_report r;
	const struct exotic_storm_stats *st = &r.st;
	uint64_t total = 0, failed = 0, det = 0;
	char replay[512];
	size_t nf;

	if (!s || !out)
		return;
	storm_report_info(s, &r);
	for (unsigned int ev = 1; ev <= EXOTIC_EV_MAX; ev++) {
		total += st->events[ev];
		failed += st->event_errors[ev];
	}
	for (int i = 0; i < EXOTIC_STORM_PROP_MAX; i++)
		det += st->detections[i];

	fprintf(out, "== exotic storm: seed 0x%" PRIx64 ", profile %s, kernel %s\n",
		r.seed, r.profile, r.kernel);
	fprintf(out, "   %.1f s, %u vCPUs (%u writing), %u event thread(s), %u memslots of %" PRIu64 " KiB, order %u\n",
		(double)st->elapsed_ms / 1000.0, r.cfg->vcpus, r.cfg->writers, r.nevents,
		r.nslots, r.cfg->region_size >> 10, r.cfg->order);
	fprintf(out, "\n   %-12s %10s %8s %10s\n", "event", "done", "failed", "per s");
	for (unsigned int ev = 1; ev <= EXOTIC_EV_MAX; ev++)
		if (storm_event(ev))
			fprintf(out, "   %-12s %10" PRIu64 " %8" PRIu64 " %10.1f\n",
				exotic_event_name(ev), st->events[ev],
				st->event_errors[ev], rate(st->events[ev], st->elapsed_ms));
	fprintf(out, "   %-12s %10" PRIu64 " %8" PRIu64 " %10.1f\n", "total", total,
		failed, rate(total, st->elapsed_ms));

	fprintf(out, "\n   guest accesses   %" PRIu64 " (%.0f/s), in-flight poison %" PRIu64 "\n",
		st->accesses, rate(st->accesses, st->elapsed_ms), st->inflight_poison);
	fprintf(out, "   by path         ");
	for (unsigned int path = EXOTIC_PATH_NPF; path <= EXOTIC_PATH_MAX; path++)
		if (storm_paths(r.cfg) & (1U << path))
			fprintf(out, " %s %" PRIu64 "%s", exotic_path_name(path),
				st->path_accesses[path],
				path == EXOTIC_PATH_PVCLOCK || path == EXOTIC_PATH_STEAL_TIME ?
				" records" : "");
	if (storm_paths(r.cfg) & (1U << EXOTIC_PATH_PVCLOCK | 1U << EXOTIC_PATH_STEAL_TIME))
		fprintf(out, " (%" PRIu64 " records not judged)", st->records_unjudged);
	fprintf(out, "\n   KVM_RUN          %" PRIu64 " calls; exits:", st->runs);
	for (unsigned int i = 0; i < EXOTIC_STORM_MAX_EXIT; i++) {
		const char *name = kvm_exit_name(i);

		if (!st->exits[i])
			continue;
		if (name)
			fprintf(out, " %s %" PRIu64, name, st->exits[i]);
		else
			fprintf(out, " #%u %" PRIu64, i, st->exits[i]);
	}
	fprintf(out, "; errors:");
	for (int e = 1, any = 0; e < EXOTIC_STORM_MAX_ERRNO; e++) {
		const char *name = errno_name((uint32_t)e);

		if (!st->run_errors[e]) {
			if (e == EXOTIC_STORM_MAX_ERRNO - 1 && !any)
				fprintf(out, " none");
			continue;
		}
		any = 1;
		if (name)
			fprintf(out, " %s %" PRIu64, name, st->run_errors[e]);
		else
			fprintf(out, " errno %d %" PRIu64, e, st->run_errors[e]);
	}
	fprintf(out, "\n   expected         EFAULT the profile allows %" PRIu64
		", failures while a slot was disturbed %" PRIu64 "\n",
		st->expected_efault, st->expected_disturbed);
	if (st->known_race_efault)
		fprintf(out, "   known bug        EFAULT from KVM's VM_PFNMAP lookup racing an invalidation %" PRIu64
			" (hva_to_pfn_remapped(); each retried and mapped)\n", st->known_race_efault);
	fprintf(out, "   driver           faults %" PRIu64 ", zaps %" PRIu64 " (current regions); refcount checks %" PRIu64 " pages; done_epoch %" PRIu64 "\n",
		st->faults, st->zaps, st->pages_checked, r.published);
	fprintf(out, "   revoked regions  %" PRIu64 " free-time checks read (%" PRIu64 " waited for with the graveyard full)\n",
		st->graves_checked, st->grave_waits);
	if (st->events[EXOTIC_EV_FORK])
		fprintf(out, "   fork children    %" PRIu64 " pages read through their copies, %" PRIu64 " read poison\n",
			st->fork_pages, st->fork_poison);

	fprintf(out, "\n   %-22s %-5s %-13s %12s %11s %9s %5s %6s %6s  %s\n", "kind/method", "order",
		"expect h/t", "accesses", "efault", "disturbed", "race", "found", "unexp",
		"paths");
	for (unsigned int i = 0; i < r.nslots; i++) {
		struct storm_report_slot sl;
		char name[40], expect[24];

		if (storm_report_slot(s, i, &sl))
			break;
		snprintf(name, sizeof(name), "%s/%s", sl.kind, sl.method);
		snprintf(expect, sizeof(expect), "%s/%s", exotic_outcome_name(sl.expect_head),
			 sl.order ? exotic_outcome_name(sl.expect_tail) : "-");
		fprintf(out, "   %-22s %-5u %-13s %12" PRIu64 " %11" PRIu64 " %9" PRIu64 " %5" PRIu64 " %6" PRIu64 " %6" PRIu64 "  ",
			name, sl.order, expect, sl.accesses, sl.efault_tail, sl.disturbed,
			sl.races, sl.detections, sl.unexpected);
		print_paths(out, sl.paths & storm_paths(r.cfg), false);
		fputc('\n', out);
	}
	if (r.skipped[0]) {
		const char *p = r.skipped, *end;

		fprintf(out, "   skipped:\n");
		for (; *p; p = *end ? end + 2 : end) {
			end = strstr(p, "; ");
			if (!end)
				end = p + strlen(p);
			fprintf(out, "     %.*s\n", (int)(end - p), p);
		}
	}

	fprintf(out, "\n   detections       %" PRIu64 ":", det);
	for (unsigned int i = 0; i < EXOTIC_STORM_PROP_MAX; i++)
		fprintf(out, " %s %" PRIu64 "%s", exotic_storm_property_name(i),
			st->detections[i], i + 1 < EXOTIC_STORM_PROP_MAX ? "," : "");
	fprintf(out, "%s\n", r.kmsg ? "" : " (kernel log not watched)");
	fprintf(out, "   unexpected       %" PRIu64 "\n", st->unexpected);
	nf = exotic_storm_finding_count(s);
	for (size_t i = 0; i < nf && i < 20; i++) {
		struct exotic_storm_finding f;

		if (exotic_storm_get_finding(s, i, &f))
			break;
		fprintf(out, "   [%s, %s, %.3fs] %s\n", exotic_storm_property_name(f.property),
			f.phase, (double)f.at_ms / 1000.0, f.what);
	}
	if (nf > 20)
		fprintf(out, "   ... %zu more kept (see --json)\n", nf - 20);
	replay_arg(s, &r, replay, sizeof(replay));
	fprintf(out, "\n   event sequence  ");
	for (unsigned int t = 0; t < r.nevents; t++) {
		uint64_t count = 0, hash = 0;

		exotic_storm_event_hash(s, t, &count, &hash);
		fprintf(out, "%sthread %u: %" PRIu64 " events, hash %016" PRIx64, t ? "; " : "",
			t, count, hash);
	}
	fprintf(out, "%s\n", r.nevents ? "" : "no event thread");
	fprintf(out, "   replay with: --replay %s (and the same options)\n", replay);
	fprintf(out, "   verdict: %s\n", exotic_storm_verdict(s) ? "FAILED" : "clean");
}

/* {"name": N, ...} of the non-zero counts, by name where there is one */
static void print_counts(FILE *out, const uint64_t *count, uint32_t n,
			 const char *(*name)(uint32_t))
{
	const char *sep = "";

	fprintf(out, "{");
	for (uint32_t i = 0; i < n; i++) {
		if (!count[i])
			continue;
		if (name(i))
			fprintf(out, "%s\"%s\": %" PRIu64, sep, name(i), count[i]);
		else
			fprintf(out, "%s\"%u\": %" PRIu64, sep, i, count[i]);
		sep = ", ";
	}
	fprintf(out, "}");
}

/* {"invalidate": N, ...}: one member per storm event */
static void print_event_counts(FILE *out, const uint64_t *count)
{
	const char *sep = "";

	fprintf(out, "{");
	for (unsigned int ev = 1; ev <= EXOTIC_EV_MAX; ev++) {
		if (!storm_event(ev))
			continue;
		fprintf(out, "%s\"%s\": %" PRIu64, sep, exotic_event_name(ev), count[ev]);
		sep = ", ";
	}
	fprintf(out, "}");
}

EXOTIC_EXPORT void exotic_storm_print_json(struct exotic_storm *s, FILE *out)
{
	struct storm_report r;
	const struct exotic_storm_stats *st = &r.st;
	char replay[512];
	size_t nf;

	if (!s || !out)
		return;
	storm_report_info(s, &r);
	replay_arg(s, &r, replay, sizeof(replay));
	fprintf(out, "{\"seed\": \"0x%" PRIx64 "\", \"replay\": \"%s\", \"profile\": ", r.seed, replay);
	exotic_json_str(out, r.profile);
	fprintf(out, ", \"kernel\": ");
	exotic_json_str(out, r.kernel);
	fprintf(out, ", \"verdict\": \"%s\", \"elapsed_ms\": %" PRIu64,
		exotic_storm_verdict(s) ? "failed" : "clean", st->elapsed_ms);
	fprintf(out, ", \"vcpus\": %u, \"writers\": %u, \"event_threads\": %u, \"slots\": %u",
		r.cfg->vcpus, r.cfg->writers, r.nevents, r.nslots);
	fprintf(out, ", \"paths\": [");
	print_paths(out, storm_paths(r.cfg), true);
	fprintf(out, "], \"path_accesses\": {");
	for (unsigned int path = EXOTIC_PATH_NPF, n = 0; path <= EXOTIC_PATH_MAX; path++)
		if (storm_paths(r.cfg) & (1U << path))
			fprintf(out, "%s\"%s\": %" PRIu64, n++ ? ", " : "",
				exotic_path_name(path), st->path_accesses[path]);
	fprintf(out, "}, \"records_unjudged\": %" PRIu64, st->records_unjudged);
	fprintf(out, ", \"sequences\": [");
	for (unsigned int t = 0; t < r.nevents; t++) {
		uint64_t count = 0, hash = 0;

		exotic_storm_event_hash(s, t, &count, &hash);
		fprintf(out, "%s{\"events\": %" PRIu64 ", \"hash\": \"%016" PRIx64 "\"}",
			t ? ", " : "", count, hash);
	}
	fprintf(out, "]");
	fprintf(out, ", \"events\": ");
	print_event_counts(out, st->events);
	fprintf(out, ", \"event_failures\": ");
	print_event_counts(out, st->event_errors);
	fprintf(out, ", \"guest_accesses\": %" PRIu64 ", \"inflight_poison\": %" PRIu64
		", \"kvm_runs\": %" PRIu64, st->accesses, st->inflight_poison, st->runs);
	fprintf(out, ", \"exits\": ");
	print_counts(out, st->exits, EXOTIC_STORM_MAX_EXIT, kvm_exit_name);
	fprintf(out, ", \"kvm_run_errors\": ");
	print_counts(out, st->run_errors, EXOTIC_STORM_MAX_ERRNO, errno_name);
	fprintf(out, ", \"faults\": {\"expected_efault_refused\": %" PRIu64
		", \"expected_while_disturbed\": %" PRIu64 ", \"driver_faults\": %" PRIu64
		", \"driver_zaps\": %" PRIu64 ", \"known_race_efault\": %" PRIu64
		"}, \"pages_checked\": %" PRIu64 ", \"graves_checked\": %" PRIu64
		", \"grave_waits\": %" PRIu64 ", \"fork_pages\": %" PRIu64
		", \"fork_poison\": %" PRIu64,
		st->expected_efault, st->expected_disturbed, st->faults, st->zaps,
		st->known_race_efault, st->pages_checked, st->graves_checked, st->grave_waits,
		st->fork_pages, st->fork_poison);
	fprintf(out, ", \"detections\": {");
	for (unsigned int i = 0; i < EXOTIC_STORM_PROP_MAX; i++)
		fprintf(out, "%s\"%s\": %" PRIu64, i ? ", " : "", exotic_storm_property_name(i),
			st->detections[i]);
	fprintf(out, "}, \"unexpected\": %" PRIu64 ", \"kernel_log_watched\": %s",
		st->unexpected, r.kmsg ? "true" : "false");
	fprintf(out, ", \"per_slot\": [");
	for (unsigned int i = 0; i < r.nslots; i++) {
		struct storm_report_slot sl;

		if (storm_report_slot(s, i, &sl))
			break;
		fprintf(out, "%s{\"kind\": \"%s\", \"method\": \"%s\", \"order\": %u, \"expect_head\": \"%s\", \"expect_tail\": \"%s\", \"accesses\": %" PRIu64 ", \"efault_tail\": %" PRIu64 ", \"disturbed\": %" PRIu64 ", \"races\": %" PRIu64 ", \"detections\": %" PRIu64 ", \"unexpected\": %" PRIu64 ", \"paths\": [",
			i ? ", " : "", sl.kind, sl.method,
			sl.order, exotic_outcome_name(sl.expect_head),
			exotic_outcome_name(sl.expect_tail), sl.accesses, sl.efault_tail,
			sl.disturbed, sl.races, sl.detections, sl.unexpected);
		print_paths(out, sl.paths & storm_paths(r.cfg), true);
		fprintf(out, "]}");
	}
	fprintf(out, "], \"skipped\": ");
	exotic_json_str(out, r.skipped);
	fprintf(out, ", \"findings\": [");
	nf = exotic_storm_finding_count(s);
	for (size_t i = 0; i < nf; i++) {
		struct exotic_storm_finding f;

		if (exotic_storm_get_finding(s, i, &f))
			break;
		fprintf(out, "%s{\"property\": \"%s\", \"at_ms\": %" PRIu64 ", \"phase\": ",
			i ? ", " : "", exotic_storm_property_name(f.property), f.at_ms);
		exotic_json_str(out, f.phase);
		fprintf(out, ", \"vcpu\": %d, \"kind\": \"%s\", \"method\": \"%s\", \"slot\": %u, \"region\": %u, \"offset\": %" PRIu64 ", \"pfn\": %" PRIu64 ", \"epoch\": %" PRIu64 ", \"done_epoch\": %" PRIu64 ", \"errno\": %d, \"what\": ",
			f.vcpu, f.kind ? exotic_kind_name(f.kind) : "", f.method ? exotic_method_name(f.method) : "",
			f.slot, f.handle, f.offset, f.pfn, f.epoch, f.done_epoch, -f.err);
		exotic_json_str(out, f.what);
		fputc('}', out);
	}
	fprintf(out, "]}\n");
}
