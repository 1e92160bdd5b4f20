// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * exotic-bench: the storm workload.  An exotic_storm (exotic/storm.h) of
 * its own VM, one vCPU walking the memory and one event thread issuing
 * invalidations back to back (no hold, no gap), for a fixed time: over one
 * memslot of the row's kind x method (the subject), or over one of
 * anonymous memory, invalidated by MADV_DONTNEED (the baseline, the
 * storm's EXOTIC_STORM_ANON slot).  Figures: invalidations completed per
 * second, and the guest's checked words per second meanwhile.  The storm's
 * refcount oracle, which only exotic memory has, polls once at the start;
 * the kernel log is not watched.  The two threads are pinned apart
 * (EXOTIC_STORM_PIN): left to the scheduler, they shared a CPU in some
 * storms and not in others, and that, not the memory, decided the figures
 * (on two CPUs in the test VM: about 1200 invalidations and 7000 words a
 * second together, 120 to 400 and 20000 apart).
 */
#include <errno.h>
#include <string.h>

#include "exotic/exotic.h"
#include "exotic/storm.h"
#include "bench.h"

int rep_storm(struct bench *b, const struct plan *p, struct row *row, bool subject)
{
	struct exotic_storm_config cfg;
	struct exotic_storm_stats st;
	struct exotic_storm *storm = NULL;
	int ret;

	exotic_storm_config_init(&cfg);
	cfg.seed = b->seed;
	cfg.kinds = subject ? 1U << row->kind : 1U << EXOTIC_STORM_ANON;
	cfg.methods = 1U << row->method;
	cfg.order = row->order;
	cfg.region_size = p->length;
	cfg.vcpus = 1;
	cfg.event_threads = 1;
	cfg.duration_ms = p->storm_ms;
	memset(cfg.mix, 0, sizeof(cfg.mix));
	cfg.mix[EXOTIC_EV_INVALIDATE] = 1;
	cfg.hold_us = 0;
	cfg.gap_us = 0;
	cfg.poll_ms = p->storm_ms + 1000;
	cfg.flags = EXOTIC_STORM_NO_KMSG | EXOTIC_STORM_PIN;
	cfg.profile = exotic_expect_profile(p->table);
	ret = exotic_storm_new(b->dev, &cfg, &storm);
	if (ret) {
		snprintf(b->err, sizeof(b->err), "storm over %s: %s",
			 subject ? "the subject" : "anonymous memory", exotic_strerror(ret));
		return ret;
	}
	ret = exotic_storm_run(storm);
	if (ret) {
		snprintf(b->err, sizeof(b->err), "storm: %s", exotic_strerror(ret));
		goto out;
	}
	exotic_storm_get_stats(storm, &st);
	if (exotic_storm_verdict(storm)) {
		struct exotic_storm_finding f;

		if (exotic_storm_get_finding(storm, 0, &f))
			snprintf(f.what, sizeof(f.what), "(not kept)");
		snprintf(b->err, sizeof(b->err), "storm over %s found: %.200s",
			 subject ? "the subject" : "anonymous memory", f.what);
		ret = -EIO;
		goto out;
	}
	if (!st.elapsed_ms || !st.events[EXOTIC_EV_INVALIDATE]) {
		snprintf(b->err, sizeof(b->err), "storm over %s: no invalidation in %u ms",
			 subject ? "the subject" : "anonymous memory", p->storm_ms);
		ret = -EIO;
		goto out;
	}
	{
		struct side *ev = subject ? &row->fig[FIG_STORM_EVENTS].subject :
					    &row->fig[FIG_STORM_EVENTS].baseline;
		struct side *acc = subject ? &row->fig[FIG_STORM_ACCESSES].subject :
					     &row->fig[FIG_STORM_ACCESSES].baseline;
		double secs = (double)st.elapsed_ms / 1e3;

		if (ev->n < BENCH_MAX_REPS)
			ev->v[ev->n++] = (double)st.events[EXOTIC_EV_INVALIDATE] / secs;
		if (acc->n < BENCH_MAX_REPS)
			acc->v[acc->n++] = (double)st.accesses / secs;
	}
out:
	exotic_storm_unref(storm);
	return ret;
}
