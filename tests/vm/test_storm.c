// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The storm layer against the real driver and the real KVM (in the test
 * VM: scripts/vm-run -- test_storm).
 *
 *  - a clean short storm over every kind x method reports no detection and
 *    no unexpected outcome, through every access path as well;
 *  - an anonymous slot (EXOTIC_STORM_ANON) next to an exotic one is only
 *    ever invalidated (MADV_DONTNEED), its stamps survive it, and a mix
 *    no slot can take is refused;
 *  - the same seed and event bounds issue the same event sequence (per
 *    event thread: the records and their hash), another seed does not;
 *  - each oracle fires, with the right property and in bounded time, when
 *    the driver's bug-injection switch (module parameter inject_bug, off by
 *    default) plants the bug it exists to catch: skip_zap_on_migrate ->
 *    stale translation, late_zap -> use after free, extra_ref -> refcount.
 *    The kernel log must stay clean meanwhile: an injected bug never lets
 *    the kernel free a mapped page.  The stale translation is found through
 *    each access path alone too (nested-tdp, pvclock, steal-time).
 *
 * The switch is written at run time through /sys/module/exotic/parameters
 * (the parameter is 0644; regions pick extra_ref up when they are
 * allocated, events pick the others up when they run) and set back to
 * "none" by every test's teardown.  EXOTIC_STORM_SEED fixes the seed of the
 * clean storm; it is printed either way.  EXOTIC_STORM_TESTS (a cmocka
 * pattern, e.g. "test_anon*") runs only the tests it matches.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <dirent.h>
#include <sched.h>

#include "exotic/exotic.h"
#include "exotic/profile.h"
#include "exotic/storm.h"
#include "sysfs.h"
#include "vm_env.h"


static struct exotic_ctx *ctx;
static struct exotic_device *dev;
static char saved_quarantine[32];

static int group_setup(void **state)
{
	(void)state;
	if (exotic_new(&ctx))
		return -1;
	/* no device or no KVM: every test skips on its own */
	if (exotic_device_open(ctx, &dev) || exotic_kvm_available(ctx))
		dev = exotic_device_unref(dev);
	if (param_read("quarantine_ms", saved_quarantine, sizeof(saved_quarantine)))
		snprintf(saved_quarantine, sizeof(saved_quarantine), "100");
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	exotic_device_unref(dev);
	exotic_unref(ctx);
	return 0;
}

/* Every test leaves the driver as it found it, even when it fails. */
static int restore_driver(void **state)
{
	(void)state;
	if (dev) {
		param_write("inject_bug", "none");
		param_write("quarantine_ms", saved_quarantine);
	}
	return 0;
}

#define SKIP_WITHOUT_DEVICE()						\
	do {								\
		vm_env_need(dev, "# no exotic device or no KVM here\n"); \
	} while (0)

static uint64_t mono_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

static void base_config(struct exotic_storm_config *cfg, uint64_t seed)
{
	exotic_storm_config_init(cfg);
	cfg->seed = seed;
	cfg->vcpus = 2;
	cfg->event_threads = 1;
	cfg->settle_ms = 3000;
}

static struct exotic_storm *run(const struct exotic_storm_config *cfg)
{
	struct exotic_storm *storm = NULL;

	assert_int_equal(exotic_storm_new(dev, cfg, &storm), 0);
	assert_int_equal(exotic_storm_run(storm), 0);
	return storm;
}

static void print_findings(struct exotic_storm *storm, size_t max)
{
	struct exotic_storm_finding f;

	for (size_t i = 0; i < max && !exotic_storm_get_finding(storm, i, &f); i++)
		print_message("#   [%s, %s] %s\n", exotic_storm_property_name(f.property),
			      f.phase, f.what);
}

/*
 * The first finding of property the storm could place, or fail: one that
 * names its region and page, and (but for refcount) an epoch.  Under
 * inject_bug=late_zap two kinds of detection cannot be placed, and a
 * storm stopped at its first detection made them first twice in seven
 * runs:
 *  - a torn read: the storm stamps only the first word of a page, so a
 *    vCPU reading through a stale translation while the driver writes
 *    the poison sees the magic before its epoch ("read poison of epoch 0
 *    ... at region 0 offset 0x0 pfn 0x0", then "f.epoch > 0" failed);
 *  - a block already freed when the report is read: the region's retired
 *    pages are gone from the driver's query ("read poison of epoch 1518
 *    (replace, done 1518) at region 3 offset 0x5e000 pfn 0x0", then
 *    "0 == 0" on the pfn).
 * Both are detections; they say nothing about where.
 */
static void first_finding(struct exotic_storm *storm, uint32_t property,
			  struct exotic_storm_finding *out)
{
	size_t n = exotic_storm_finding_count(storm), unplaced = 0;

	for (size_t i = 0; i < n; i++) {
		assert_int_equal(exotic_storm_get_finding(storm, i, out), 0);
		if (out->property != property)
			continue;
		if (out->handle && out->pfn &&
		    (out->epoch || property == EXOTIC_STORM_PROP_REFCOUNT))
			return;
		unplaced++;
	}
	fail_msg("no %s finding with its region, page and epoch kept (%zu without)",
		 exotic_storm_property_name(property), unplaced);
}

/* ------------------------------------------------------------- clean */

static void test_clean_storm(void **state)
{
	struct exotic_storm_config cfg;
	struct exotic_storm_stats st;
	struct exotic_storm *storm;
	const char *env = getenv("EXOTIC_STORM_SEED");
	uint64_t seed, total = 0;

	(void)state;
	SKIP_WITHOUT_DEVICE();
	seed = env ? strtoull(env, NULL, 0) : 0x5eedULL;	/* fixed: a failure replays */
	base_config(&cfg, seed);
	/* bounded by events, not time: a loaded host draws fewer per second;
	 * the time bound only ends a storm whose events stopped */
	cfg.max_events = 24;
	cfg.duration_ms = 120000;
	/* paced (50 ms between events on average), so the vCPUs get a
	 * second or more of accesses in */
	cfg.gap_us = 100000;
	print_message("# clean storm, seed 0x%" PRIx64 "\n", seed);
	storm = run(&cfg);
	exotic_storm_get_stats(storm, &st);
	for (unsigned int e = 1; e <= EXOTIC_EV_MAX; e++) {
		if (!(exotic_event_scope(e) & EXOTIC_EV_IN_STORM)) {
			assert_int_equal(st.events[e], 0);
			continue;
		}
		print_message("#   %-10s %" PRIu64 "\n", exotic_event_name(e), st.events[e]);
		total += st.events[e];
	}
	print_message("#   %" PRIu64 " slots, %" PRIu64 " guest accesses, %" PRIu64
		      " expected EFAULTs, %" PRIu64 " while disturbed, in %" PRIu64 " ms\n",
		      st.slots, st.accesses, st.expected_efault, st.expected_disturbed,
		      st.elapsed_ms);
	print_findings(storm, 10);
	/* most kind x method combinations are in it (19 of 25 on 6.1) */
	assert_true(st.slots >= 10);
	assert_int_equal(total, cfg.max_events);
	assert_true(st.accesses > 1000);
	for (int i = 0; i < EXOTIC_STORM_PROP_MAX; i++)
		assert_int_equal(st.detections[i], 0);
	assert_int_equal(st.unexpected, 0);
	assert_int_equal(exotic_storm_verdict(storm), 0);
	exotic_storm_unref(storm);
}

/* Writers too: guest writes race mprotect, remap and migrate. */
static void test_clean_storm_writers(void **state)
{
	struct exotic_storm_config cfg;
	struct exotic_storm_stats st;
	struct exotic_storm *storm;

	(void)state;
	SKIP_WITHOUT_DEVICE();
	base_config(&cfg, 0x5eed2ULL);
	cfg.writers = 1;
	cfg.max_events = 12;
	cfg.duration_ms = 120000;
	cfg.gap_us = 300000;	/* paced (150 ms between events on average): the vCPUs get their accesses in */
	memset(cfg.mix, 0, sizeof(cfg.mix));
	cfg.mix[EXOTIC_EV_MPROTECT] = 2;
	cfg.mix[EXOTIC_EV_MIGRATE] = 2;
	cfg.mix[EXOTIC_EV_REMAP] = 1;
	print_message("# clean storm with a writer, seed 0x%" PRIx64 "\n", cfg.seed);
	storm = run(&cfg);
	exotic_storm_get_stats(storm, &st);
	print_findings(storm, 10);
	print_message("# %" PRIu64 " mprotect, %" PRIu64 " migrate, %" PRIu64 " remap; %" PRIu64
		      " guest accesses in %" PRIu64 " ms\n",
		      st.events[EXOTIC_EV_MPROTECT], st.events[EXOTIC_EV_MIGRATE],
		      st.events[EXOTIC_EV_REMAP], st.accesses, st.elapsed_ms);
	assert_int_equal(st.events[EXOTIC_EV_MPROTECT] + st.events[EXOTIC_EV_MIGRATE] +
			 st.events[EXOTIC_EV_REMAP], cfg.max_events);
	assert_true(st.events[EXOTIC_EV_MPROTECT] > 0);
	assert_true(st.accesses > 1000);
	assert_int_equal(exotic_storm_verdict(storm), 0);
	exotic_storm_unref(storm);
}

/* ------------------------------------------------------------ anonymous */

#define ANON_EVENTS	40

static void test_anon_storm(void **state)
{
	struct exotic_storm_event_rec recs[ANON_EVENTS];
	struct exotic_storm_config cfg;
	struct exotic_storm_stats st;
	struct exotic_storm *storm = NULL;
	unsigned int anon_slot, on_anon = 0;
	int n;

	(void)state;
	SKIP_WITHOUT_DEVICE();
	/* only the anonymous slot, and a mix with migrate in it: refused */
	base_config(&cfg, 0xa11);
	cfg.kinds = 1U << EXOTIC_STORM_ANON;
	assert_int_equal(exotic_storm_new(dev, &cfg, &storm), -EINVAL);
	assert_null(storm);

	/* next to refcounted/remap, every event in the mix, a writer too:
	 * the anonymous slot (the last) is only ever invalidated */
	base_config(&cfg, 0xa11);
	cfg.kinds = 1U << EXOTIC_STORM_ANON | 1U << EXOTIC_KIND_REFCOUNTED;
	cfg.methods = 1U << EXOTIC_MAP_REMAP;
	cfg.writers = 1;
	cfg.max_events = ANON_EVENTS;
	cfg.log_events = ANON_EVENTS;
	cfg.duration_ms = 120000;
	cfg.gap_us = 20000;
	storm = run(&cfg);
	exotic_storm_get_stats(storm, &st);
	print_findings(storm, 10);
	assert_int_equal(st.slots, 2);
	anon_slot = (unsigned int)st.slots - 1;
	n = exotic_storm_event_log(storm, 0, recs, ANON_EVENTS);
	assert_int_equal(n, ANON_EVENTS);
	for (int i = 0; i < n; i++) {
		if (recs[i].slot != anon_slot)
			continue;
		on_anon++;
		assert_int_equal(recs[i].type, EXOTIC_EV_INVALIDATE);
	}
	print_message("# anonymous next to refcounted/remap: %u of %d events on the anonymous slot, %" PRIu64
		      " guest accesses in %" PRIu64 " ms\n", on_anon, n, st.accesses, st.elapsed_ms);
	assert_true(on_anon > 0);
	assert_int_equal(st.event_errors[EXOTIC_EV_INVALIDATE], 0);
	assert_int_equal(exotic_storm_verdict(storm), 0);
	storm = exotic_storm_unref(storm);

	/* only the anonymous slot, invalidate only: what exotic-bench runs */
	base_config(&cfg, 0xa12);
	cfg.kinds = 1U << EXOTIC_STORM_ANON;
	memset(cfg.mix, 0, sizeof(cfg.mix));
	cfg.mix[EXOTIC_EV_INVALIDATE] = 1;
	cfg.max_events = ANON_EVENTS;
	cfg.duration_ms = 120000;
	cfg.gap_us = 20000;
	storm = run(&cfg);
	exotic_storm_get_stats(storm, &st);
	print_findings(storm, 10);
	print_message("# anonymous only: %" PRIu64 " invalidations, %" PRIu64 " guest accesses in %" PRIu64 " ms\n",
		      st.events[EXOTIC_EV_INVALIDATE], st.accesses, st.elapsed_ms);
	assert_int_equal(st.slots, 1);
	assert_int_equal(st.events[EXOTIC_EV_INVALIDATE], ANON_EVENTS);
	assert_true(st.accesses > 1000);
	assert_int_equal(exotic_storm_verdict(storm), 0);
	exotic_storm_unref(storm);
}

/* ------------------------------------------------------------ replay */

#define REPLAY_EVENTS	40

static void replay_config(struct exotic_storm_config *cfg, uint64_t seed)
{
	base_config(cfg, seed);
	cfg->kinds = 1U << EXOTIC_KIND_REFCOUNTED | 1U << EXOTIC_KIND_NONCOMPOUND;
	cfg->methods = 1U << EXOTIC_MAP_FAULT | 1U << EXOTIC_MAP_REMAP;
	cfg->event_threads = 2;
	cfg->duration_ms = 0;
	cfg->max_events = REPLAY_EVENTS;
	cfg->log_events = REPLAY_EVENTS;
	cfg->hold_us = 500;
	cfg->gap_us = 500;
}

static void test_replay(void **state)
{
	struct exotic_storm_event_rec a[REPLAY_EVENTS], b[REPLAY_EVENTS];
	struct exotic_storm *first, *second, *other;
	struct exotic_storm_config cfg;
	uint64_t seed = 0x5eed0001ULL;
	unsigned int types = 0;

	(void)state;
	SKIP_WITHOUT_DEVICE();
	replay_config(&cfg, seed);
	first = run(&cfg);
	second = run(&cfg);
	replay_config(&cfg, seed + 1);
	other = run(&cfg);
	for (unsigned int t = 0; t < 2; t++) {
		uint64_t n1, n2, n3, h1, h2, h3;

		assert_int_equal(exotic_storm_event_hash(first, t, &n1, &h1), 0);
		assert_int_equal(exotic_storm_event_hash(second, t, &n2, &h2), 0);
		assert_int_equal(exotic_storm_event_hash(other, t, &n3, &h3), 0);
		print_message("# thread %u: %" PRIu64 " events, hash %016" PRIx64 " / %016" PRIx64
			      " (other seed %016" PRIx64 ")\n", t, n1, h1, h2, h3);
		assert_int_equal(n1, REPLAY_EVENTS);
		assert_int_equal(n2, REPLAY_EVENTS);
		assert_int_equal(h1, h2);
		assert_int_not_equal(h1, h3);
		assert_int_equal(exotic_storm_event_log(first, t, a, REPLAY_EVENTS), REPLAY_EVENTS);
		assert_int_equal(exotic_storm_event_log(second, t, b, REPLAY_EVENTS), REPLAY_EVENTS);
		assert_memory_equal(a, b, sizeof(a));
		for (unsigned int i = 0; i < REPLAY_EVENTS; i++)
			types |= 1U << a[i].type;
	}
	/* the sequence mixes events: a constant would also replay */
	assert_true(__builtin_popcount(types) >= 3);
	/*
	 * The logs above are the plan, which the PRNG alone decides.  A
	 * replay is the same events done to the driver: both runs completed
	 * every planned event, the same number of each kind, none failed.
	 */
	{
		struct exotic_storm_stats s1, s2;
		uint64_t done = 0;

		exotic_storm_get_stats(first, &s1);
		exotic_storm_get_stats(second, &s2);
		for (unsigned int e = 1; e <= EXOTIC_EV_MAX; e++) {
			if (!(exotic_event_scope(e) & EXOTIC_EV_IN_STORM))
				continue;
			print_message("# %s: %" PRIu64 " / %" PRIu64 " done, %" PRIu64 " / %" PRIu64 " failed\n",
				      exotic_event_name(e), s1.events[e], s2.events[e],
				      s1.event_errors[e], s2.event_errors[e]);
			assert_int_equal(s1.events[e], s2.events[e]);
			assert_int_equal(s1.event_errors[e], 0);
			assert_int_equal(s2.event_errors[e], 0);
			done += s1.events[e];
		}
		assert_int_equal(done, 2 * REPLAY_EVENTS);
	}
	print_findings(first, 3);
	print_findings(second, 3);
	assert_int_equal(exotic_storm_verdict(first), 0);
	assert_int_equal(exotic_storm_verdict(second), 0);
	exotic_storm_unref(first);
	exotic_storm_unref(second);
	exotic_storm_unref(other);
}

/* ------------------------------------------------------- bug injection */

/* One memslot and one event type, so the oracle sees the slot often. */
static void inject_config(struct exotic_storm_config *cfg, unsigned int kind,
			  unsigned int method, unsigned int event)
{
	base_config(cfg, 0x5eed3ULL);
	cfg->kinds = 1U << kind;
	cfg->methods = 1U << method;
	memset(cfg->mix, 0, sizeof(cfg->mix));
	cfg->mix[event] = 1;
	cfg->duration_ms = 6000;
}

/* Who finds poison: a vCPU that reads it, or the host's poison oracle
 * (retired pages written through a stale translation). */
enum finder { BY_VCPU, BY_HOST };

/* Property found within the storm's time bound, the kernel log clean. */
static void expect_detection(struct exotic_storm *storm, uint32_t property,
			     uint64_t started, uint64_t bound_ms, enum finder who)
{
	struct exotic_storm_stats st;
	struct exotic_storm_finding f;

	exotic_storm_get_stats(storm, &st);
	print_message("# %s: %" PRIu64 " detection(s) in %" PRIu64 " ms, seed 0x%" PRIx64 "\n",
		      exotic_storm_property_name(property), st.detections[property],
		      mono_ms() - started, exotic_storm_seed(storm));
	print_findings(storm, 3);
	assert_true(st.detections[property] > 0);
	assert_int_equal(st.detections[EXOTIC_STORM_PROP_KERNEL_LOG], 0);
	assert_int_equal(exotic_storm_verdict(storm), 1);
	first_finding(storm, property, &f);
	print_message("# first %s detection after %" PRIu64 " ms of storm\n",
		      exotic_storm_property_name(property), f.at_ms);
	/* bounded: during the storm, or while it drained */
	assert_true(f.at_ms <= bound_ms);
	assert_int_not_equal(f.handle, 0);
	assert_int_not_equal(f.kind, 0);
	assert_int_not_equal(f.method, 0);
	assert_non_null(strstr(f.what, "seed 0x"));
	if (property != EXOTIC_STORM_PROP_REFCOUNT && who == BY_HOST) {
		/* a retired page of an epoch's event, written after it */
		assert_int_equal(f.vcpu, -1);
		assert_true(f.epoch > 0);
		assert_non_null(strstr(f.what, "retired page written"));
		assert_int_not_equal(f.pfn, 0);
	} else if (property != EXOTIC_STORM_PROP_REFCOUNT) {
		/* poison of an epoch published as done, read by a vCPU */
		assert_true(f.vcpu >= 0);
		assert_true(f.epoch > 0);
		assert_true(f.epoch <= f.done_epoch);
		assert_int_not_equal(f.pfn, 0);
	} else {
		assert_int_not_equal(f.pfn, 0);
	}
}

/* A device file opened with inject_bug=what (then set back to none). */
static struct exotic_device *open_injected(const char *what)
{
	struct exotic_device *d = NULL;

	assert_int_equal(param_write("inject_bug", what), 0);
	assert_int_equal(exotic_device_open(ctx, &d), 0);
	assert_int_equal(param_write("inject_bug", "none"), 0);
	return d;
}

/* progress_data of a storm that ends at its first detection of prop */
struct stop_at {
	struct exotic_storm *storm;
	unsigned int prop;
};

static void stop_at_detection(void *data, const struct exotic_storm_stats *st)
{
	struct stop_at *at = data;

	if (at->storm && st->detections[at->prop])
		exotic_storm_stop(at->storm);
}

/*
 * A storm on the bugged file finds prop within within_ms of t0; both go.
 * The storm ends at the first progress call (every 500 ms) after the
 * detection: each bug here shows within 250 ms on 6.1 under TCG, and the
 * rest of the time bound only ends a storm that finds nothing.
 */
static void storm_finds(struct exotic_device *bugged, const struct exotic_storm_config *cfg,
			unsigned int prop, uint64_t t0, uint64_t within_ms, enum finder who)
{
	struct exotic_storm_config c = *cfg;
	struct stop_at at = { .prop = prop };
	struct exotic_storm *storm = NULL;

	c.progress = stop_at_detection;
	c.progress_data = &at;
	assert_int_equal(exotic_storm_new(bugged, &c, &storm), 0);
	at.storm = storm;
	assert_int_equal(exotic_storm_run(storm), 0);
	expect_detection(storm, prop, t0, within_ms, who);
	exotic_storm_unref(storm);
	exotic_device_unref(bugged);
}

static void test_inject_skip_zap(void **state)
{
	struct exotic_storm_config cfg;
	struct exotic_device *bugged;
	uint64_t t0 = mono_ms();

	(void)state;
	SKIP_WITHOUT_DEVICE();
	inject_config(&cfg, EXOTIC_KIND_REFCOUNTED, EXOTIC_MAP_FAULT,
		      EXOTIC_EV_MIGRATE);
	/* inject_bug applies to the files opened after it is set */
	bugged = open_injected("skip_zap_on_migrate");
	storm_finds(bugged, &cfg, EXOTIC_STORM_PROP_STALE, t0, cfg.duration_ms, BY_VCPU);
}

/*
 * fork: children of the VMM read their copy of a MIXED slot's mapping
 * (MADV_DOFORK), close their fds and exit.  Clean on a clean driver, every
 * page read; with skip_zap_on_migrate the parent's stale PTEs are copied
 * and a child reads the poison behind them.  Kernels from 7.2 refuse
 * MADV_DOFORK on the driver's mappings (test_driver_attack's
 * test_dofork): the children have no copy to read there.
 */
static void test_fork_event(void **state)
{
	struct exotic_storm_config cfg;
	struct exotic_storm_stats st;
	struct exotic_device *bugged;
	struct exotic_storm *storm;
	uint64_t t0;

	(void)state;
	SKIP_WITHOUT_DEVICE();
	inject_config(&cfg, EXOTIC_KIND_REFCOUNTED, EXOTIC_MAP_MIXED, EXOTIC_EV_FORK);
	cfg.duration_ms = 60000;
	cfg.max_events = 20;
	storm = run(&cfg);
	exotic_storm_get_stats(storm, &st);
	print_message("# %" PRIu64 " forks, %" PRIu64 " pages read by the children\n",
		      st.events[EXOTIC_EV_FORK], st.fork_pages);
	print_findings(storm, 3);
	assert_int_equal(st.events[EXOTIC_EV_FORK], 20);
	assert_int_equal(st.fork_poison, 0);
	assert_int_equal(exotic_storm_verdict(storm), 0);
	exotic_storm_unref(storm);
	if (!kernel_older_than(7, 2)) {
		/* the stale-PTE half needs a child with a copy of the mapping */
		print_message("# from 7.2 the kernel refuses MADV_DOFORK on the driver's mappings: no child had a copy to read\n");
		assert_int_equal(st.fork_pages, 0);
		return;
	}
	assert_int_equal(st.fork_pages, 20 * (cfg.region_size / 4096));

	t0 = mono_ms();
	cfg.mix[EXOTIC_EV_MIGRATE] = 1;
	cfg.mix[EXOTIC_EV_FORK] = 2;
	bugged = open_injected("skip_zap_on_migrate");
	assert_int_equal(exotic_storm_new(bugged, &cfg, &storm), 0);
	assert_int_equal(exotic_storm_run(storm), 0);
	exotic_storm_get_stats(storm, &st);
	print_message("# skip_zap_on_migrate: %" PRIu64 " migrates, %" PRIu64 " forks, %" PRIu64
		      " children read poison, in %" PRIu64 " ms\n", st.events[EXOTIC_EV_MIGRATE],
		      st.events[EXOTIC_EV_FORK], st.fork_poison, mono_ms() - t0);
	print_findings(storm, 3);
	assert_true(st.fork_poison > 0);
	assert_int_equal(exotic_storm_verdict(storm), 1);
	exotic_storm_unref(storm);
	exotic_device_unref(bugged);
}

static sigjmp_buf sigbus_jmp;

static void on_sigbus(int sig)
{
	(void)sig;
	siglongjmp(sigbus_jmp, 1);
}

/*
 * Does inject_bug=late_zap keep the mapping of a revoked region (as the
 * oracle test needs), or only of migrated blocks?  Revoke a mapped page and
 * read it: poison means the zap was deferred, SIGBUS that it was not.
 */
static int late_zap_covers_revoke(struct exotic_device *d)
{
	struct exotic_region_params p = { .kind = EXOTIC_KIND_REFCOUNTED,
					  .method = EXOTIC_MAP_FAULT, .length = 4096 };
	struct sigaction sa = { .sa_handler = on_sigbus }, old;
	struct exotic_region *r = NULL;
	volatile uint64_t *w;
	volatile int covered = 0;

	if (exotic_region_new(d, &p, &r))
		return -1;
	w = exotic_region_addr(r);
	w[0] = 1;
	if (exotic_region_revoke(r, NULL)) {
		exotic_region_unref(r);
		return -1;
	}
	sigaction(SIGBUS, &sa, &old);
	if (!sigsetjmp(sigbus_jmp, 1))
		covered = exotic_is_poison((const void *)w, NULL);
	sigaction(SIGBUS, &old, NULL);
	exotic_region_unref(r);
	return covered;
}

static void test_inject_late_zap(void **state)
{
	struct exotic_storm_config cfg;
	struct exotic_device *bugged;
	uint64_t t0;
	int covered;

	(void)state;
	SKIP_WITHOUT_DEVICE();
	/* a second of quarantine: the stale translation lives that long */
	assert_int_equal(param_write("quarantine_ms", "1000"), 0);
	bugged = open_injected("late_zap");
	covered = late_zap_covers_revoke(bugged);
	assert_true(covered >= 0);
	if (!covered) {
		print_message("# the driver's inject_bug=late_zap defers the zap of migrated blocks only;\n"
			      "# the use-after-free oracle test needs it on revoke (retire_all) too\n");
		exotic_device_unref(bugged);
		skip();
	}
	inject_config(&cfg, EXOTIC_KIND_REFCOUNTED, EXOTIC_MAP_FAULT,
		      EXOTIC_EV_REPLACE);
	cfg.settle_ms = 5000;
	t0 = mono_ms();
	storm_finds(bugged, &cfg, EXOTIC_STORM_PROP_USE_AFTER_FREE, t0, cfg.duration_ms, BY_VCPU);
}

static void test_inject_extra_ref(void **state)
{
	struct exotic_storm_config cfg;
	struct exotic_device *bugged;
	uint64_t t0 = mono_ms();

	(void)state;
	SKIP_WITHOUT_DEVICE();
	/* regions of the bugged file take the extra reference */
	inject_config(&cfg, EXOTIC_KIND_NONCOMPOUND, EXOTIC_MAP_FAULT,
		      EXOTIC_EV_INVALIDATE);
	cfg.duration_ms = 3000;
	bugged = open_injected("extra_ref");
	storm_finds(bugged, &cfg, EXOTIC_STORM_PROP_REFCOUNT, t0, cfg.duration_ms + cfg.settle_ms, BY_HOST);
}

/*
 * More revoked regions than the graveyard holds wait in quarantine at
 * once: every one of them still has its free-time refcount check read
 * (none dropped unchecked), and the storm is clean.
 *
 * Bounded by events, not by time: the graveyard holds 24 regions
 * (GRAVE_MAX, libexotic/storm_engine.h), and on the debug kernel under
 * TCG a replace takes about 180 ms, so a 4 s storm with 600 ms of
 * quarantine made 22 replaces and never filled it ("22 replaces, 22
 * free-time checks read, 0 waited for with the graveyard full").  So the
 * quarantine holds every region (60 s) until a replace waits for the
 * graveyard; then the test shortens it (quarantine_ms applies to the
 * regions already queued too) and the waits end.
 */
#define GRAVEYARD_SIZE 24

/*
 * Beside the storm: once a replace waits for the graveyard, end the
 * quarantines.  Not from the progress callback: the waiting event thread
 * holds its slot's lock, and exotic_storm_run()'s thread, which calls
 * progress, waits for that lock when it checks the slot.
 */
struct shortener {
	struct exotic_storm *storm;
	atomic_bool done;
	bool shortened;
};

static void *shorten_quarantine_when_full(void *arg)
{
	struct shortener *sh = arg;
	struct exotic_storm_stats st;

	while (!atomic_load(&sh->done)) {
		exotic_storm_get_stats(sh->storm, &st);
		if (st.grave_waits) {
			sh->shortened = !param_write("quarantine_ms", "100");
			break;
		}
		usleep(20000);
	}
	return NULL;
}

static void test_graveyard_full(void **state)
{
	struct exotic_storm_config cfg;
	struct exotic_storm *storm = NULL;
	struct exotic_storm_stats st;
	struct shortener sh = { 0 };
	pthread_t thread;

	(void)state;
	SKIP_WITHOUT_DEVICE();
	/* a quarantine longer than the storm, replaces as fast as they come */
	assert_int_equal(param_write("quarantine_ms", "60000"), 0);
	inject_config(&cfg, EXOTIC_KIND_REFCOUNTED, EXOTIC_MAP_FAULT,
		      EXOTIC_EV_REPLACE);
	cfg.duration_ms = 0;
	cfg.max_events = GRAVEYARD_SIZE + 8;	/* per event thread */
	cfg.settle_ms = 15000;
	cfg.gap_us = 0;
	cfg.hold_us = 0;
	assert_int_equal(exotic_storm_new(dev, &cfg, &storm), 0);
	sh.storm = storm;
	assert_int_equal(pthread_create(&thread, NULL, shorten_quarantine_when_full, &sh), 0);
	assert_int_equal(exotic_storm_run(storm), 0);
	atomic_store(&sh.done, true);
	pthread_join(thread, NULL);
	exotic_storm_get_stats(storm, &st);
	print_message("# %" PRIu64 " replaces, %" PRIu64 " free-time checks read, %" PRIu64
		      " waited for with the graveyard full\n",
		      st.events[EXOTIC_EV_REPLACE], st.graves_checked, st.grave_waits);
	print_findings(storm, 3);
	assert_true(st.grave_waits > 0);
	assert_true(sh.shortened);
	assert_int_equal(st.graves_checked, st.events[EXOTIC_EV_REPLACE]);
	assert_int_equal(st.unexpected, 0);
	assert_int_equal(exotic_storm_verdict(storm), 0);
	exotic_storm_unref(storm);
}

/* ------------------------------------------------------- access paths */

#define READ_PATHS	(1U << EXOTIC_PATH_NPF | 1U << EXOTIC_PATH_NESTED_TDP | \
			 1U << EXOTIC_PATH_PVCLOCK | 1U << EXOTIC_PATH_STEAL_TIME)

/*
 * Does L2 run on this profile, i.e. does the storm take the nested-tdp
 * path?  As the storm decides it (storm_paths.c): from the profile's table.
 * With TDP L2 runs under nested paging; with kvm_amd npt=0 6.1 refuses
 * NP_ENABLE (not-entered) while 7.3 clears it and runs L2 on shadow
 * paging, whose faults take the vCPU fault path (upstream-7.3-shadow).
 */
static bool l2_runs(void)
{
	const struct exotic_profile *p = exotic_profile_lookup(exotic_storm_profile_detect());
	const struct exotic_expect_entry *e;
	struct exotic_expect *t = NULL;
	bool runs;

	assert_non_null(p);
	assert_int_equal(exotic_expect_builtin(ctx, p->table, &t), 0);
	e = exotic_expect_lookup(t, EXOTIC_KIND_REFCOUNTED, EXOTIC_MAP_REMAP,
				 EXOTIC_PATH_NESTED_TDP, EXOTIC_EV_NONE);
	assert_non_null(e);
	runs = e->before != EXOTIC_OUT_NOT_ENTERED;
	exotic_expect_free(t);
	return runs;
}

/*
 * Every path at once, one reading vCPU each, every kind x method and the
 * default mix: clean, and each path made accesses (for pvclock and
 * steal-time: records KVM wrote where the table says it does, checked
 * through the host's mapping).  Where L2 never runs (6.1 without NPT: the
 * table says not-entered) the storm refuses nested-tdp, every slot being
 * left out of it.
 */
static void test_paths_clean(void **state)
{
	struct exotic_storm_config cfg;
	struct exotic_storm_stats st;
	struct exotic_storm *storm = NULL;

	(void)state;
	SKIP_WITHOUT_DEVICE();
	base_config(&cfg, 0x5eed4ULL);
	cfg.vcpus = 4;
	cfg.paths = READ_PATHS;
	cfg.max_events = 24;
	cfg.duration_ms = 120000;
	cfg.gap_us = 100000;
	if (!l2_runs()) {
		assert_int_equal(exotic_storm_new(dev, &cfg, &storm), -ENODATA);
		print_message("# L2 does not run here: nested-tdp refused, the other paths run\n");
		cfg.vcpus = 3;
		cfg.paths &= ~(1U << EXOTIC_PATH_NESTED_TDP);
	}
	storm = run(&cfg);
	exotic_storm_get_stats(storm, &st);
	print_findings(storm, 10);
	print_message("# %" PRIu64 " events in %" PRIu64 " ms; npf %" PRIu64 ", nested-tdp %" PRIu64
		      ", pvclock %" PRIu64 ", steal-time %" PRIu64 " (%" PRIu64 " records not judged)\n",
		      st.events[EXOTIC_EV_INVALIDATE] + st.events[EXOTIC_EV_MIGRATE] +
		      st.events[EXOTIC_EV_REPLACE] + st.events[EXOTIC_EV_SLOT] +
		      st.events[EXOTIC_EV_REMAP] + st.events[EXOTIC_EV_MPROTECT] +
		      st.events[EXOTIC_EV_FORK], st.elapsed_ms,
		      st.path_accesses[EXOTIC_PATH_NPF], st.path_accesses[EXOTIC_PATH_NESTED_TDP],
		      st.path_accesses[EXOTIC_PATH_PVCLOCK], st.path_accesses[EXOTIC_PATH_STEAL_TIME],
		      st.records_unjudged);
	for (unsigned int path = EXOTIC_PATH_NPF; path <= EXOTIC_PATH_MAX; path++)
		if (cfg.paths & (1U << path))
			assert_true(st.path_accesses[path] > 0);
	assert_int_equal(st.path_accesses[EXOTIC_PATH_VMRUN], 0);
	assert_int_equal(st.path_accesses[EXOTIC_PATH_COPY], 0);
	assert_int_equal(exotic_storm_verdict(storm), 0);
	exotic_storm_unref(storm);
}

/*
 * Each path alone (no vCPU walks through npf) finds the stale
 * translation skip_zap_on_migrate leaves: nested-tdp reads poison through
 * the nested MMU's stale SPTEs, pvclock and steal-time write their records
 * into retired pages through KVM's stale gfn-to-pfn cache or the
 * unzapped PTEs, which the poison oracle sees.
 */
static void path_finds_stale(unsigned int path)
{
	struct exotic_storm_config cfg;
	struct exotic_storm_stats st;
	struct exotic_storm *storm;
	uint64_t t0;

	/* the control: the same storm on a clean driver */
	inject_config(&cfg, EXOTIC_KIND_REFCOUNTED, EXOTIC_MAP_FAULT, EXOTIC_EV_MIGRATE);
	cfg.vcpus = 1;
	cfg.paths = 1U << path;
	cfg.duration_ms = 2000;
	storm = run(&cfg);
	exotic_storm_get_stats(storm, &st);
	print_findings(storm, 3);
	print_message("# %s alone, clean driver: %" PRIu64 " migrates, %" PRIu64 " accesses\n",
		      exotic_path_name(path), st.events[EXOTIC_EV_MIGRATE], st.path_accesses[path]);
	assert_true(st.events[EXOTIC_EV_MIGRATE] > 0);
	assert_true(st.path_accesses[path] > 0);
	assert_int_equal(exotic_storm_verdict(storm), 0);
	exotic_storm_unref(storm);

	cfg.duration_ms = 6000;
	t0 = mono_ms();
	print_message("# %s alone, skip_zap_on_migrate\n", exotic_path_name(path));
	storm_finds(open_injected("skip_zap_on_migrate"), &cfg, EXOTIC_STORM_PROP_STALE,
		    t0, cfg.duration_ms + 10000,
		    path == EXOTIC_PATH_NESTED_TDP ? BY_VCPU : BY_HOST);
}

static void test_paths_find_stale(void **state)
{
	(void)state;
	SKIP_WITHOUT_DEVICE();
	if (l2_runs())
		path_finds_stale(EXOTIC_PATH_NESTED_TDP);
	path_finds_stale(EXOTIC_PATH_PVCLOCK);
	path_finds_stale(EXOTIC_PATH_STEAL_TIME);
}

/* Bad configurations are refused before anything is set up. */
/* ------------------------------------------------------------ pinning */

/*
 * What the process's threads may run on, seen from the storm's progress
 * callback (the caller's thread, while the storm runs, and once more after
 * its threads ended): the most threads any look found allowed on one CPU
 * only, and which CPUs those were.  Only threads with the process's name
 * count: since 6.13 KVM's NX huge page recovery worker is a task of the
 * process ("kvm-nx-lpage-re"), created by the first KVM_RUN and so with
 * the vCPU thread's CPU.
 */
struct pins {
	unsigned int calls, single;
	uint64_t cpus;
};

static void note_pins(void *data, const struct exotic_storm_stats *st)
{
	struct pins *p = data;
	DIR *d = opendir("/proc/self/task");
	char name[64] = "", own[64] = "?";
	struct dirent *e;
	unsigned int single = 0;
	FILE *f = fopen("/proc/self/status", "r");

	(void)st;
	assert_non_null(d);
	assert_non_null(f);
	assert_int_equal(fscanf(f, "Name: %63s", own), 1);
	fclose(f);
	p->calls++;
	while ((e = readdir(d))) {
		char path[300], line[256];
		unsigned int cpu = 0;
		bool one = false;

		name[0] = '\0';
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/status", e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;	/* a thread that just ended */
		while (fgets(line, sizeof(line), f)) {
			char end;

			sscanf(line, "Name: %63s", name);
			if (sscanf(line, "Cpus_allowed_list: %u%c", &cpu, &end) == 2 &&
			    end == '\n' && cpu < 64)
				one = true;
		}
		fclose(f);
		if (one && !strcmp(name, own)) {
			single++;
			p->cpus |= 1ULL << cpu;
		}
	}
	closedir(d);
	if (single > p->single)
		p->single = single;
}

/*
 * EXOTIC_STORM_PIN puts each vCPU thread, then each event thread, on a CPU
 * of its own among those the process may use (exotic-bench's storms: where
 * the scheduler put the two threads, together or apart, decided its
 * figures); without it no thread is pinned.
 */
static void test_pinned_threads(void **state)
{
	struct exotic_storm_config cfg;
	struct exotic_storm *storm;
	struct pins pins = { 0 };
	cpu_set_t allowed;
	unsigned int n;

	(void)state;
	SKIP_WITHOUT_DEVICE();
	assert_int_equal(sched_getaffinity(0, sizeof(allowed), &allowed), 0);
	n = (unsigned int)CPU_COUNT(&allowed);
	base_config(&cfg, 0x91a);
	cfg.vcpus = 1;
	cfg.kinds = 1U << EXOTIC_KIND_REFCOUNTED;
	cfg.methods = 1U << EXOTIC_MAP_REMAP;
	memset(cfg.mix, 0, sizeof(cfg.mix));
	cfg.mix[EXOTIC_EV_INVALIDATE] = 1;
	cfg.duration_ms = 1500;
	cfg.flags = EXOTIC_STORM_NO_KMSG | EXOTIC_STORM_PIN;
	cfg.progress = note_pins;
	cfg.progress_data = &pins;
	storm = run(&cfg);
	assert_int_equal(exotic_storm_verdict(storm), 0);
	exotic_storm_unref(storm);
	print_message("# pinned: %u threads on one CPU each, CPUs %#" PRIx64 " of %u, %u looks\n",
		      pins.single, pins.cpus, n, pins.calls);
	assert_true(pins.calls > 0);
	assert_int_equal(pins.single, 2);
	/* the vCPU on the first allowed CPU, the event thread on the next */
	assert_int_equal(__builtin_popcountll(pins.cpus), n >= 2 ? 2 : 1);

	if (n < 2)
		return;
	memset(&pins, 0, sizeof(pins));
	cfg.flags = EXOTIC_STORM_NO_KMSG;
	storm = run(&cfg);
	exotic_storm_unref(storm);
	assert_true(pins.calls > 0);
	assert_int_equal(pins.single, 0);
}

static void test_bad_config(void **state)
{
	struct exotic_storm_config cfg;
	struct exotic_storm *storm = NULL;

	(void)state;
	SKIP_WITHOUT_DEVICE();
	base_config(&cfg, 1);
	cfg.region_size = 4096;
	assert_int_equal(exotic_storm_new(dev, &cfg, &storm), -EINVAL);
	base_config(&cfg, 1);
	cfg.vcpus = 0;
	assert_int_equal(exotic_storm_new(dev, &cfg, &storm), -EINVAL);
	base_config(&cfg, 1);
	cfg.writers = 3;
	assert_int_equal(exotic_storm_new(dev, &cfg, &storm), -EINVAL);
	base_config(&cfg, 1);
	cfg.duration_ms = 0;
	cfg.max_events = 0;
	assert_int_equal(exotic_storm_new(dev, &cfg, &storm), -EINVAL);
	base_config(&cfg, 1);
	memset(cfg.mix, 0, sizeof(cfg.mix));
	assert_int_equal(exotic_storm_new(dev, &cfg, &storm), -EINVAL);
	/* the matrix's events are no storm events */
	base_config(&cfg, 1);
	cfg.mix[EXOTIC_EV_REVOKE] = 1;
	assert_int_equal(exotic_storm_new(dev, &cfg, &storm), -EINVAL);
	base_config(&cfg, 1);
	cfg.mix[EXOTIC_EV_NONE] = 1;
	assert_int_equal(exotic_storm_new(dev, &cfg, &storm), -EINVAL);
	base_config(&cfg, 1);
	cfg.profile = "nonsense";
	assert_int_equal(exotic_storm_new(dev, &cfg, &storm), -EINVAL);
	base_config(&cfg, 1);
	cfg.kinds = 1U << 9;
	assert_int_equal(exotic_storm_new(dev, &cfg, &storm), -EINVAL);
	/* vmrun and copy are the matrix's paths; a path per reading vCPU */
	base_config(&cfg, 1);
	cfg.paths = 1U << EXOTIC_PATH_VMRUN;
	assert_int_equal(exotic_storm_new(dev, &cfg, &storm), -EINVAL);
	cfg.paths = 1U << EXOTIC_PATH_COPY;
	assert_int_equal(exotic_storm_new(dev, &cfg, &storm), -EINVAL);
	cfg.paths = 1U << (EXOTIC_PATH_MAX + 1);
	assert_int_equal(exotic_storm_new(dev, &cfg, &storm), -EINVAL);
	cfg.paths = 1U << EXOTIC_PATH_NPF | 1U << EXOTIC_PATH_PVCLOCK;
	cfg.writers = 1;
	assert_int_equal(exotic_storm_new(dev, &cfg, &storm), -EINVAL);
	assert_null(storm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_config),
		cmocka_unit_test_teardown(test_clean_storm, restore_driver),
		cmocka_unit_test_teardown(test_clean_storm_writers, restore_driver),
		cmocka_unit_test_teardown(test_anon_storm, restore_driver),
		cmocka_unit_test_teardown(test_replay, restore_driver),
		cmocka_unit_test_teardown(test_inject_skip_zap, restore_driver),
		cmocka_unit_test_teardown(test_fork_event, restore_driver),
		cmocka_unit_test_teardown(test_inject_late_zap, restore_driver),
		cmocka_unit_test_teardown(test_inject_extra_ref, restore_driver),
		cmocka_unit_test_teardown(test_graveyard_full, restore_driver),
		cmocka_unit_test_teardown(test_paths_clean, restore_driver),
		cmocka_unit_test_teardown(test_paths_find_stale, restore_driver),
		cmocka_unit_test_teardown(test_pinned_threads, restore_driver),
	};

	if (getenv("EXOTIC_STORM_TESTS"))
		cmocka_set_test_filter(getenv("EXOTIC_STORM_TESTS"));
	return cmocka_run_group_tests_name("storm", tests, group_setup, group_teardown);
}
