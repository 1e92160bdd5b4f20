// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The storm layer's host-side parts: the seeded PRNG and event generator
 * (what makes --replay work), the event hash, the expectation table and
 * profile detection, names, configuration checks, and the /dev/kmsg
 * watcher fed from files and pipes.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <cmocka.h>

#include "exotic/exotic.h"
#include "exotic/storm.h"
#include "storm_internal.h"
#include "wrap.h"

#define MiB (1ULL << 20)

/* ------------------------------------------------------------- PRNG */

static void test_prng_streams(void **state)
{
	struct storm_prng a, b, c;
	int same = 0;

	(void)state;
	storm_prng_seed(&a, 42, 0);
	storm_prng_seed(&b, 42, 0);
	storm_prng_seed(&c, 42, 1);
	for (int i = 0; i < 1000; i++) {
		uint64_t x = storm_prng_next(&a), y = storm_prng_next(&b);

		assert_int_equal(x, y);
		same += storm_prng_next(&c) == x;
	}
	/* another thread index is another stream */
	assert_true(same < 5);
	storm_prng_seed(&c, 43, 0);
	storm_prng_seed(&a, 42, 0);
	assert_int_not_equal(storm_prng_next(&a), storm_prng_next(&c));
}

static void test_prng_below(void **state)
{
	struct storm_prng r;
	unsigned int hist[10] = { 0 };

	(void)state;
	storm_prng_seed(&r, 7, 3);
	assert_int_equal(storm_prng_below(&r, 0), 0);
	assert_int_equal(storm_prng_below(&r, 1), 0);
	for (int i = 0; i < 100000; i++) {
		uint64_t v = storm_prng_below(&r, 10);

		assert_true(v < 10);
		hist[v]++;
	}
	/* uniform enough: each bucket within 10% of 10000 */
	for (int i = 0; i < 10; i++)
		assert_in_range(hist[i], 9000, 11000);
}

/* ------------------------------------------------------------- plan */

static const struct storm_plan_slot plan_slots[] = {
	{ .length = 2 * MiB, .block = 4096 },
	{ .length = 2 * MiB, .block = 16384 },
	{ .length = 4 * MiB, .block = 2 * MiB },
};

static void plan_init(struct storm_plan *p)
{
	memset(p, 0, sizeof(*p));
	p->nslots = 3;
	p->slots = plan_slots;
	for (unsigned int ev = 1; ev <= EXOTIC_EV_MAX; ev++)
		p->mix[ev] = storm_event(ev);
	p->hold_us = 100;
	p->gap_us = 50;
}

static void test_plan_ranges(void **state)
{
	unsigned int types[EXOTIC_EV_MAX + 1] = { 0 }, slots[3] = { 0 }, nstorm = 0;
	struct exotic_storm_event_rec ev;
	struct storm_plan p;
	struct storm_prng r;

	(void)state;
	plan_init(&p);
	for (unsigned int e = 1; e <= EXOTIC_EV_MAX; e++)
		nstorm += storm_event(e);
	/* invalidate migrate replace slot remap mprotect fork */
	assert_int_equal(nstorm, 7);
	storm_prng_seed(&r, 0xabc, 0);
	for (int i = 0; i < 20000; i++) {
		const struct storm_plan_slot *s;

		assert_int_equal(storm_plan_next(&r, &p, &ev), 0);
		assert_true(storm_event(ev.type));
		assert_true(ev.slot < 3);
		s = &plan_slots[ev.slot];
		types[ev.type]++;
		slots[ev.slot]++;
		assert_true(ev.hold_us <= 100);
		assert_true(ev.gap_us <= 50);
		assert_true(ev.length > 0);
		assert_true(ev.offset + ev.length <= s->length);
		switch (ev.type) {
		case EXOTIC_EV_INVALIDATE:
			assert_int_equal(ev.offset % 4096, 0);
			assert_int_equal(ev.length % 4096, 0);
			break;
		case EXOTIC_EV_MIGRATE:
			/* the driver migrates whole blocks only */
			assert_int_equal(ev.offset % s->block, 0);
			assert_int_equal(ev.length % s->block, 0);
			break;
		default:
			assert_int_equal(ev.offset, 0);
			assert_int_equal(ev.length, s->length);
			break;
		}
	}
	for (unsigned int e = 1; e <= EXOTIC_EV_MAX; e++)
		if (storm_event(e))
			assert_in_range(types[e], 20000 / nstorm - 400, 20000 / nstorm + 400);
		else
			assert_int_equal(types[e], 0);
	for (int i = 0; i < 3; i++)
		assert_in_range(slots[i], 20000 / 3 - 500, 20000 / 3 + 500);
}

static void test_plan_mix(void **state)
{
	unsigned int types[EXOTIC_EV_MAX + 1] = { 0 };
	struct exotic_storm_event_rec ev;
	struct storm_plan p;
	struct storm_prng r;

	(void)state;
	plan_init(&p);
	memset(p.mix, 0, sizeof(p.mix));
	p.mix[EXOTIC_EV_MIGRATE] = 3;
	p.mix[EXOTIC_EV_MPROTECT] = 1;
	storm_prng_seed(&r, 1, 0);
	for (int i = 0; i < 8000; i++) {
		assert_int_equal(storm_plan_next(&r, &p, &ev), 0);
		types[ev.type]++;
	}
	assert_int_equal(types[EXOTIC_EV_INVALIDATE], 0);
	assert_int_equal(types[EXOTIC_EV_REPLACE], 0);
	assert_int_equal(types[EXOTIC_EV_SLOT], 0);
	assert_int_equal(types[EXOTIC_EV_REMAP], 0);
	assert_in_range(types[EXOTIC_EV_MIGRATE], 5700, 6300);
	assert_in_range(types[EXOTIC_EV_MPROTECT], 1700, 2300);

	/* nothing to draw from */
	memset(p.mix, 0, sizeof(p.mix));
	assert_int_equal(storm_plan_next(&r, &p, &ev), -EINVAL);
	/* the matrix's events are not drawn: a weight on one is refused */
	plan_init(&p);
	p.mix[EXOTIC_EV_REVOKE] = 1;
	assert_int_equal(storm_plan_next(&r, &p, &ev), -EINVAL);
	plan_init(&p);
	p.mix[EXOTIC_EV_NONE] = 1;
	assert_int_equal(storm_plan_next(&r, &p, &ev), -EINVAL);
	plan_init(&p);
	p.nslots = 0;
	assert_int_equal(storm_plan_next(&r, &p, &ev), -EINVAL);
}

/* Same seed and stream: same events, same hash; the hash sees order. */
static void test_plan_replay(void **state)
{
	struct exotic_storm_event_rec a[200], b[200];
	uint64_t ha = STORM_HASH_INIT, hb = STORM_HASH_INIT, hc = STORM_HASH_INIT;
	struct storm_prng r1, r2;
	struct storm_plan p;

	(void)state;
	plan_init(&p);
	storm_prng_seed(&r1, 0x5eed, 2);
	storm_prng_seed(&r2, 0x5eed, 2);
	for (int i = 0; i < 200; i++) {
		assert_int_equal(storm_plan_next(&r1, &p, &a[i]), 0);
		assert_int_equal(storm_plan_next(&r2, &p, &b[i]), 0);
		ha = storm_hash_event(ha, &a[i]);
		hb = storm_hash_event(hb, &b[i]);
	}
	assert_memory_equal(a, b, sizeof(a));
	assert_int_equal(ha, hb);
	/* swapping two different events changes the hash */
	for (int i = 199; i >= 0; i--)
		hc = storm_hash_event(hc, &a[i]);
	assert_int_not_equal(ha, hc);
}

/*
 * An anonymous slot takes only what makes sense for anonymous memory
 * (STORM_ANON_EVENTS: invalidate, as MADV_DONTNEED): the plan never
 * draws another event for it, and refuses a weight no slot takes.
 */
static const struct storm_plan_slot mixed_slots[] = {
	{ .length = 2 * MiB, .block = 4096 },
	{ .length = 4 * MiB, .block = 4096, .events = STORM_ANON_EVENTS },
	{ .length = 2 * MiB, .block = 2 * MiB },
};

static void test_plan_anon(void **state)
{
	unsigned int anon_types[EXOTIC_EV_MAX + 1] = { 0 }, slots[3] = { 0 };
	unsigned int nstorm = 0, on_anon, others;
	struct exotic_storm_event_rec ev;
	struct storm_plan p;
	struct storm_prng r;

	(void)state;
	assert_int_equal(STORM_ANON_EVENTS, 1U << EXOTIC_EV_INVALIDATE);
	for (unsigned int e = 1; e <= EXOTIC_EV_MAX; e++)
		nstorm += storm_event(e);
	/* equal weights: invalidate is 1/nstorm of the draws, a third of
	 * those on the anonymous slot; the rest on the two exotic slots */
	on_anon = 20000 / (3 * nstorm);
	others = (20000 - on_anon) / 2;
	plan_init(&p);
	p.slots = mixed_slots;
	assert_int_equal(storm_plan_orphan(&p), 0);
	storm_prng_seed(&r, 0xa11, 0);
	for (int i = 0; i < 20000; i++) {
		assert_int_equal(storm_plan_next(&r, &p, &ev), 0);
		assert_true(ev.slot < 3);
		slots[ev.slot]++;
		assert_true(ev.offset + ev.length <= mixed_slots[ev.slot].length);
		if (ev.slot == 1)
			anon_types[ev.type]++;
	}
	for (unsigned int e = 1; e <= EXOTIC_EV_MAX; e++)
		if (e != EXOTIC_EV_INVALIDATE)
			assert_int_equal(anon_types[e], 0);
	assert_in_range(anon_types[EXOTIC_EV_INVALIDATE], on_anon - 200, on_anon + 200);
	assert_in_range(slots[1], on_anon - 200, on_anon + 200);
	assert_in_range(slots[0], others - 500, others + 500);
	assert_in_range(slots[2], others - 500, others + 500);

	/* only the anonymous slot: an invalidate-only mix runs ... */
	plan_init(&p);
	p.slots = &mixed_slots[1];
	p.nslots = 1;
	memset(p.mix, 0, sizeof(p.mix));
	p.mix[EXOTIC_EV_INVALIDATE] = 1;
	assert_int_equal(storm_plan_orphan(&p), 0);
	for (int i = 0; i < 1000; i++) {
		assert_int_equal(storm_plan_next(&r, &p, &ev), 0);
		assert_int_equal(ev.type, EXOTIC_EV_INVALIDATE);
		assert_int_equal(ev.slot, 0);
		assert_int_equal(ev.offset % 4096, 0);
		assert_int_equal(ev.length % 4096, 0);
	}
	/* ... and a weight on migrate is an event no slot takes: refused */
	p.mix[EXOTIC_EV_MIGRATE] = 1;
	assert_int_equal(storm_plan_orphan(&p), EXOTIC_EV_MIGRATE);
	assert_int_equal(storm_plan_next(&r, &p, &ev), -EINVAL);
}

/* the hash of test_plan_pinned()'s 200 events, recorded before slots could
 * refuse events */
#define PINNED_HASH	0x337de573bdf6b56eULL

/* Plans whose slots take every event draw what they drew before slots
 * could refuse events: a recorded --replay stays valid. */
static void test_plan_pinned(void **state)
{
	struct exotic_storm_event_rec ev;
	uint64_t h = STORM_HASH_INIT;
	struct storm_prng r;
	struct storm_plan p;

	(void)state;
	plan_init(&p);
	storm_prng_seed(&r, 0x5eed, 2);
	for (int i = 0; i < 200; i++) {
		assert_int_equal(storm_plan_next(&r, &p, &ev), 0);
		h = storm_hash_event(h, &ev);
	}
	assert_int_equal(h, PINNED_HASH);
}

/* ----------------------------------------------------- expectations */

/* An EFAULT is the lookup race only if an invalidation that had not ended
 * when the access began zapped the page it faulted on. */
static void test_zap_window(void **state)
{
	struct storm_zap ring[STORM_ZAP_RING] = { 0 };
	uint64_t z = 0, seq0;

	(void)state;
	/* nothing zapped since the access began */
	assert_false(storm_zap_covered(ring, 0, 0, 0));

	/* one invalidation of [0x2000, +0x3000) during the access */
	seq0 = z;
	z = storm_zap_begin(ring, z, 0x2000, 0x3000, 0x1000);
	assert_int_equal(z, 1);
	assert_true(storm_zap_covered(ring, seq0, z, 0x2000));	/* in flight */
	z++;
	assert_true(storm_zap_covered(ring, seq0, z, 0x4fff));	/* ended */
	assert_false(storm_zap_covered(ring, seq0, z, 0x5000));	/* outside */
	assert_false(storm_zap_covered(ring, seq0, z, 0x1fff));

	/* an access that began after it ended owes it nothing */
	assert_false(storm_zap_covered(ring, z, z, 0x2000));

	/* an access that began while it was in flight */
	seq0 = z;
	z = storm_zap_begin(ring, z, 0x10000, 0x1000, 0x1000);
	assert_true(storm_zap_covered(ring, z, z, 0x10000));
	z++;
	assert_true(storm_zap_covered(ring, z - 1, z, 0x10000));
	assert_false(storm_zap_covered(ring, z - 1, z, 0x2000));	/* the older one */

	/*
	 * a huge slot: invalidating 16 KiB of a 2 MiB PFN mapping zaps its
	 * whole PMD, so every page of that 2 MiB was zapped (seen on 7.3:
	 * EFAULTs at the head of a carveout/huge slot taken for unexpected)
	 */
	seq0 = z;
	z = storm_zap_begin(ring, z, 0x334000, 0x4000, 0x200000);
	z++;
	assert_true(storm_zap_covered(ring, seq0, z, 0x200000));	/* its head */
	assert_true(storm_zap_covered(ring, seq0, z, 0x3ff000));
	assert_false(storm_zap_covered(ring, seq0, z, 0x400000));	/* the next PMD */
	assert_false(storm_zap_covered(ring, seq0, z, 0x1ff000));

	/* more events than the ring keeps: assume covered */
	seq0 = z;
	for (int i = 0; i < STORM_ZAP_RING + 1; i++) {
		z = storm_zap_begin(ring, z, 0, 0x1000, 0x1000);
		z++;
	}
	assert_true(storm_zap_covered(ring, seq0, z, 0x800000));
	/* ...but exactly as many as it keeps are checked one by one */
	seq0 = z;
	for (int i = 0; i < STORM_ZAP_RING; i++) {
		z = storm_zap_begin(ring, z, 0, 0x1000, 0x1000);
		z++;
	}
	assert_false(storm_zap_covered(ring, seq0, z, 0x800000));
	assert_true(storm_zap_covered(ring, seq0, z, 0xfff));
}

/* The race exists where KVM resolves VM_PFNMAP mappings itself, unless
 * the kernel has our fix. */
static void test_pfnmap_race(void **state)
{
	(void)state;
	assert_true(storm_pfnmap_race("stock", EXOTIC_MAP_REMAP));
	assert_true(storm_pfnmap_race("stock", EXOTIC_MAP_FAULT));
	assert_true(storm_pfnmap_race("upstream", EXOTIC_MAP_HUGE));
	/* kernel-patches/6.1 0010 fixes it */
	assert_false(storm_pfnmap_race("patched", EXOTIC_MAP_FAULT));
	assert_false(storm_pfnmap_race("stock", EXOTIC_MAP_PAGE));
	assert_false(storm_pfnmap_race("stock", EXOTIC_MAP_MIXED));
	assert_false(storm_pfnmap_race(NULL, EXOTIC_MAP_REMAP));
}

/* storm_path_refusal(): NULL when the slot is read through path, else why not. */
static const char *refusal(const char *profile, unsigned int kind, unsigned int method,
			   unsigned int path, bool known_bugs)
{
	static char buf[400];

	return storm_path_refusal(profile, kind, method, path, known_bugs, buf, sizeof(buf));
}

/* The slot is not read through path, and why says needle. */
static const char *assert_refused(const char *profile, unsigned int kind, unsigned int method,
				  unsigned int path, bool known_bugs, const char *needle)
{
	const char *why = refusal(profile, kind, method, path, known_bugs);

	assert_non_null(why);
	assert_non_null(strstr(why, needle));
	return why;
}

/* Which slots the storm reads through the paths besides npf: the table's
 * rows for the path decide. */
static void test_path_refusal(void **state)
{
	const char *why;

	(void)state;
	/* stock 6.1 maps refcounted/remap on every path */
	for (unsigned int path = EXOTIC_PATH_PVCLOCK; path <= EXOTIC_PATH_MAX; path++)
		assert_null(refusal("stock", EXOTIC_KIND_REFCOUNTED, EXOTIC_MAP_REMAP, path, false));
	/* the refcount-0 tails: nested-tdp gets EFAULT as npf does, and reads */
	assert_null(refusal("stock", EXOTIC_KIND_NONCOMPOUND, EXOTIC_MAP_FAULT,
			    EXOTIC_PATH_NESTED_TDP, false));
	/* the pfncache leaks a reference on a vm_insert_page()d reserved page */
	why = assert_refused("stock", EXOTIC_KIND_RESERVED, EXOTIC_MAP_PAGE,
			     EXOTIC_PATH_PVCLOCK, false, "refcount");
	assert_non_null(strstr(why, "--known-bugs"));
	assert_null(refusal("stock", EXOTIC_KIND_RESERVED, EXOTIC_MAP_PAGE,
			    EXOTIC_PATH_PVCLOCK, true));
	/* steal time writes through the VMA: no reference, no leak */
	assert_null(refusal("stock", EXOTIC_KIND_RESERVED, EXOTIC_MAP_PAGE,
			    EXOTIC_PATH_STEAL_TIME, false));
	/* kvm_amd npt=0: L2 never runs, whatever --known-bugs says */
	assert_refused("stock-shadow", EXOTIC_KIND_REFCOUNTED, EXOTIC_MAP_REMAP,
		       EXOTIC_PATH_NESTED_TDP, true, "L2 does not run");
	assert_null(refusal("stock-shadow", EXOTIC_KIND_REFCOUNTED, EXOTIC_MAP_REMAP,
			    EXOTIC_PATH_PVCLOCK, false));
	/* no table, no row */
	assert_non_null(refusal("nonsense", EXOTIC_KIND_REFCOUNTED, EXOTIC_MAP_REMAP,
				EXOTIC_PATH_PVCLOCK, false));
	assert_non_null(refusal("stock", EXOTIC_KIND_REFCOUNTED, EXOTIC_MAP_REMAP,
				EXOTIC_PATH_MAX + 1, false));
}

static void test_expect_table(void **state)
{
	(void)state;
	/* stock 6.1: get_page_unless_zero() refuses refcount-0 tails */
	assert_int_equal(exotic_storm_expect("stock", EXOTIC_KIND_NONCOMPOUND, EXOTIC_MAP_FAULT, false),
			 EXOTIC_OUT_MAPPED);
	assert_int_equal(exotic_storm_expect("stock", EXOTIC_KIND_NONCOMPOUND, EXOTIC_MAP_FAULT, true),
			 EXOTIC_OUT_EFAULT);
	assert_int_equal(exotic_storm_expect("stock-6.1", EXOTIC_KIND_COMPOUND, EXOTIC_MAP_REMAP, true),
			 EXOTIC_OUT_EFAULT);
	assert_int_equal(exotic_storm_expect("stock", EXOTIC_KIND_REFCOUNTED, EXOTIC_MAP_REMAP, false),
			 EXOTIC_OUT_MAPPED);
	assert_int_equal(exotic_storm_expect("stock", EXOTIC_KIND_CARVEOUT, EXOTIC_MAP_FAULT, false),
			 EXOTIC_OUT_MAPPED);
	/* the known WARN and the known oops */
	assert_int_equal(exotic_storm_expect("stock", EXOTIC_KIND_RESERVED, EXOTIC_MAP_REMAP, true),
			 EXOTIC_OUT_WARN);
	assert_int_equal(exotic_storm_expect("stock", EXOTIC_KIND_CARVEOUT, EXOTIC_MAP_HUGE, false),
			 EXOTIC_OUT_CRASH);
	assert_int_equal(exotic_storm_expect("patched", EXOTIC_KIND_CARVEOUT, EXOTIC_MAP_HUGE, false),
			 EXOTIC_OUT_CRASH);
	assert_int_equal(exotic_storm_expect("upstream", EXOTIC_KIND_CARVEOUT, EXOTIC_MAP_HUGE, false),
			 EXOTIC_OUT_MAPPED);
	/* GUP-fast pins a reserved head KVM never unpins */
	assert_int_equal(exotic_storm_expect("stock", EXOTIC_KIND_RESERVED, EXOTIC_MAP_HUGE, false),
			 EXOTIC_OUT_REFCOUNT);
	assert_int_equal(exotic_storm_expect("stock", EXOTIC_KIND_RESERVED, EXOTIC_MAP_HUGE, true),
			 EXOTIC_OUT_ANY);
	/* VM_MIXEDMAP is neither GUP-able nor VM_PFNMAP on 6.1 */
	assert_int_equal(exotic_storm_expect("stock", EXOTIC_KIND_REFCOUNTED, EXOTIC_MAP_MIXED, false),
			 EXOTIC_OUT_EFAULT);
	assert_int_equal(exotic_storm_expect("patched", EXOTIC_KIND_CARVEOUT, EXOTIC_MAP_MIXED, false),
			 EXOTIC_OUT_EFAULT);
	assert_int_equal(exotic_storm_expect("upstream", EXOTIC_KIND_CARVEOUT, EXOTIC_MAP_MIXED, false),
			 EXOTIC_OUT_ANY);
	assert_int_equal(exotic_storm_expect("stock", EXOTIC_KIND_COMPOUND, EXOTIC_MAP_HUGE, true),
			 EXOTIC_OUT_ANY);
	assert_int_equal(exotic_storm_expect("stock", EXOTIC_KIND_COMPOUND, EXOTIC_MAP_PAGE, true),
			 EXOTIC_OUT_MAPPED);
	/* the patched semantics map refcount-0 tails */
	assert_int_equal(exotic_storm_expect("patched", EXOTIC_KIND_NONCOMPOUND, EXOTIC_MAP_FAULT, true),
			 EXOTIC_OUT_MAPPED);
	assert_int_equal(exotic_storm_expect("patched-6.1", EXOTIC_KIND_RESERVED, EXOTIC_MAP_REMAP, true),
			 EXOTIC_OUT_MAPPED);
	/* bad input */
	assert_int_equal(exotic_storm_expect("nonsense", 1, 1, false), -EINVAL);
	assert_int_equal(exotic_storm_expect(NULL, 1, 1, false), -EINVAL);
	assert_int_equal(exotic_storm_expect("stock", 0, 1, false), -EINVAL);
	assert_int_equal(exotic_storm_expect("stock", EXOTIC_KIND_MAX + 1, 1, false), -EINVAL);
	assert_int_equal(exotic_storm_expect("stock", 1, EXOTIC_MAP_MAX + 1, false), -EINVAL);
}

static void test_profile_detect(void **state)
{
	const char *p;

	(void)state;
	setenv("EXOTIC_PROFILE", "patched", 1);
	assert_string_equal(exotic_storm_profile_detect(), "patched");
	setenv("EXOTIC_PROFILE", "stock-6.1", 1);
	assert_string_equal(exotic_storm_profile_detect(), "stock");
	setenv("EXOTIC_PROFILE", "upstream", 1);
	assert_string_equal(exotic_storm_profile_detect(), "upstream");
	/* junk is ignored: detected from this kernel, which must be what its
	 * release and KVM's parameters say, not just any profile */
	{
		struct utsname u;
		int ma = 0, mi = 0;
		const char *want;

		assert_int_equal(uname(&u), 0);
		assert_int_equal(sscanf(u.release, "%d.%d", &ma, &mi), 2);
		want = ma > 6 || (ma == 6 && mi >= 13) ? "upstream" :
		       !access("/sys/module/kvm/parameters/allow_unsafe_mappings", F_OK) ?
		       "patched" : "stock";
		setenv("EXOTIC_PROFILE", "junk", 1);
		p = exotic_storm_profile_detect();
		print_message("kernel %s: want %s, detected %s\n", u.release, want, p);
		assert_string_equal(p, want);
		unsetenv("EXOTIC_PROFILE");
		assert_string_equal(exotic_storm_profile_detect(), want);
	}
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(exotic_storm_kind_name(EXOTIC_STORM_ANON), "anonymous");
	assert_string_equal(exotic_storm_kind_name(EXOTIC_KIND_CARVEOUT), "carveout");
	assert_null(exotic_storm_kind_name(EXOTIC_KIND_MAX + 1));
	assert_int_equal(exotic_storm_kind_from_name("anonymous"), EXOTIC_STORM_ANON);
	assert_int_equal(exotic_storm_kind_from_name("anon"), EXOTIC_STORM_ANON);
	assert_int_equal(exotic_storm_kind_from_name("reserved"), EXOTIC_KIND_RESERVED);
	assert_int_equal(exotic_storm_kind_from_name("anonymou"), -EINVAL);
	assert_int_equal(exotic_storm_kind_from_name(NULL), -EINVAL);
	assert_string_equal(exotic_storm_property_name(EXOTIC_STORM_PROP_STALE), "stale-translation");
	assert_string_equal(exotic_storm_property_name(EXOTIC_STORM_PROP_USE_AFTER_FREE), "use-after-free");
	assert_string_equal(exotic_storm_property_name(EXOTIC_STORM_UNEXPECTED), "unexpected");
	assert_null(exotic_storm_property_name(EXOTIC_STORM_UNEXPECTED + 1));
	/* the matrix's vocabulary: a leaked reference is "refcount" there too */
	assert_string_equal(exotic_outcome_name(EXOTIC_OUT_REFCOUNT), "refcount");
	assert_string_equal(exotic_outcome_name(EXOTIC_OUT_ANY), "any");
}

static void test_config(void **state)
{
	struct exotic_storm_config cfg;
	struct exotic_storm *storm = NULL;

	(void)state;
	exotic_storm_config_init(&cfg);
	assert_int_equal(cfg.region_size, 2 * MiB);
	assert_int_equal(cfg.vcpus, 2);
	assert_int_equal(cfg.event_threads, 1);
	assert_true(cfg.duration_ms > 0);
	for (unsigned int ev = 1; ev <= EXOTIC_EV_MAX; ev++)
		assert_true(storm_event(ev) ? cfg.mix[ev] > 0 : cfg.mix[ev] == 0);
	/* no device, no storm; and NULL is safe everywhere */
	assert_int_equal(exotic_storm_new(NULL, &cfg, &storm), -EINVAL);
	assert_int_equal(exotic_storm_run(NULL), -EINVAL);
	assert_int_equal(exotic_storm_verdict(NULL), -EINVAL);
	assert_int_equal(exotic_storm_finding_count(NULL), 0);
	assert_int_equal(exotic_storm_event_hash(NULL, 0, NULL, NULL), -EINVAL);
	assert_null(exotic_storm_unref(NULL));
	exotic_storm_stop(NULL);
	exotic_storm_config_init(NULL);
}

/* ------------------------------------------------------------- kmsg */

static struct exotic_ctx *ctx;

static int kmsg_setup(void **state)
{
	(void)state;
	wrap_reset();
	return exotic_new(&ctx);
}

static int kmsg_teardown(void **state)
{
	(void)state;
	exotic_unref(ctx);
	return 0;
}

static char *temp_file(const char *text)
{
	char *path = strdup("/tmp/exotic-kmsg-XXXXXX");
	int fd;

	assert_non_null(path);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static const char records[] =
	"6,100,5000,-;kvm: Nested Virtualization enabled\n"
	"4,101,5001,-;WARNING: CPU: 0 PID: 1 at virt/kvm/kvm_main.c:183 kvm_is_zone_device_page+0x2c/0x40\n"
	" SUBSYSTEM=cpu\n"
	" DEVICE=+cpu:0\n"
	"1,102,5002,-;BUG: Bad page state in process exotic-storm  pfn:12345\n"
	"not a kernel line\n";

static void test_kmsg_from_start(void **state)
{
	struct exotic_kmsg_watch *w = NULL;
	struct exotic_kmsg_finding f;
	char *path = temp_file(records);

	(void)state;
	assert_int_equal(exotic_kmsg_watch_new(ctx, path, EXOTIC_KMSG_FROM_START, &w), 0);
	exotic_kmsg_watch_set_phase(w, "storm");
	assert_int_equal(exotic_kmsg_watch_poll(w, 0), 2);
	assert_int_equal(exotic_kmsg_watch_records(w), 3);
	assert_int_equal(exotic_kmsg_watch_count(w, EXOTIC_KMSG_CLEAN), 2);
	assert_int_equal(exotic_kmsg_watch_count(w, EXOTIC_KMSG_WARNING), 1);
	assert_int_equal(exotic_kmsg_watch_count(w, EXOTIC_KMSG_BAD_PAGE), 1);
	assert_int_equal(exotic_kmsg_watch_get(w, 0, &f), 0);
	assert_int_equal(f.cls, EXOTIC_KMSG_WARNING);
	assert_int_equal(f.seq, 101);
	assert_string_equal(f.phase, "storm");
	assert_non_null(strstr(f.text, "kvm_is_zone_device_page"));
	assert_int_equal(exotic_kmsg_watch_get(w, 1, &f), 0);
	/* "Bad page state" wins over "BUG:" */
	assert_int_equal(f.cls, EXOTIC_KMSG_BAD_PAGE);
	assert_int_equal(f.seq, 102);
	assert_int_equal(exotic_kmsg_watch_get(w, 2, &f), -ENOENT);
	/* nothing new: nothing found */
	assert_int_equal(exotic_kmsg_watch_poll(w, 0), 0);
	exotic_kmsg_watch_unref(w);
	unlink(path);
	free(path);
}

/* Without FROM_START only what is logged after opening counts. */
static void test_kmsg_new_only(void **state)
{
	struct exotic_kmsg_watch *w = NULL;
	struct exotic_kmsg_finding f;
	char *path = temp_file(records);
	const char more[] = "4,103,6000,-;refcount_t: underflow; use-after-free.\n";
	int fd;

	(void)state;
	assert_int_equal(exotic_kmsg_watch_new(ctx, path, 0, &w), 0);
	exotic_kmsg_watch_set_phase(w, "drain");
	assert_int_equal(exotic_kmsg_watch_poll(w, 0), 0);
	fd = open(path, O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, more, sizeof(more) - 1), (ssize_t)sizeof(more) - 1);
	close(fd);
	assert_int_equal(exotic_kmsg_watch_poll(w, 0), 1);
	assert_int_equal(exotic_kmsg_watch_get(w, 0, &f), 0);
	assert_int_equal(f.cls, EXOTIC_KMSG_REFCOUNT);
	assert_string_equal(f.phase, "drain");
	exotic_kmsg_watch_unref(w);
	unlink(path);
	free(path);
}

/* A pipe delivers a record in two pieces: found once it is whole. */
static void test_kmsg_pipe(void **state)
{
	struct exotic_kmsg_watch *w = NULL;
	char path[64];
	int fds[2];

	(void)state;
	assert_int_equal(pipe(fds), 0);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fds[0]);
	assert_int_equal(exotic_kmsg_watch_new(ctx, path, 0, &w), 0);
	assert_int_equal(write(fds[1], "4,7,1,-;WARNING: CPU: 1 PID", 27), 27);
	assert_int_equal(exotic_kmsg_watch_poll(w, 0), 0);
	assert_int_equal(write(fds[1], ": 9 at x\n", 9), 9);
	assert_int_equal(exotic_kmsg_watch_poll(w, 100), 1);
	assert_int_equal(exotic_kmsg_watch_count(w, EXOTIC_KMSG_WARNING), 1);
	exotic_kmsg_watch_unref(w);
	close(fds[0]);
	close(fds[1]);
}

static void test_kmsg_errors(void **state)
{
	struct exotic_kmsg_watch *w = NULL;
	struct exotic_kmsg_finding f;

	(void)state;
	assert_int_equal(exotic_kmsg_watch_new(ctx, "/nonexistent/kmsg", 0, &w), -ENOENT);
	assert_null(w);
	assert_int_equal(exotic_kmsg_watch_new(ctx, NULL, 0x80, &w), -EINVAL);
	assert_int_equal(exotic_kmsg_watch_new(ctx, NULL, 0, NULL), -EINVAL);
	wrap_fail("open", 0, EACCES);
	assert_int_equal(exotic_kmsg_watch_new(ctx, "/dev/null", 0, &w), -EACCES);
	assert_int_equal(exotic_kmsg_watch_poll(NULL, 0), -EINVAL);
	assert_int_equal(exotic_kmsg_watch_get(NULL, 0, &f), -EINVAL);
	assert_int_equal(exotic_kmsg_watch_count(NULL, 0), 0);
	assert_null(exotic_kmsg_watch_unref(NULL));
	exotic_kmsg_watch_set_phase(NULL, "x");
	/* a read error is returned, not swallowed */
	assert_int_equal(exotic_kmsg_watch_new(ctx, "/dev/null", 0, &w), 0);
	wrap_fail("read", 0, EIO);
	assert_int_equal(exotic_kmsg_watch_poll(w, 0), -EIO);
	exotic_kmsg_watch_unref(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prng_streams),
		cmocka_unit_test(test_prng_below),
		cmocka_unit_test(test_plan_ranges),
		cmocka_unit_test(test_plan_mix),
		cmocka_unit_test(test_plan_replay),
		cmocka_unit_test(test_plan_anon),
		cmocka_unit_test(test_plan_pinned),
		cmocka_unit_test(test_zap_window),
		cmocka_unit_test(test_pfnmap_race),
		cmocka_unit_test(test_path_refusal),
		cmocka_unit_test(test_expect_table),
		cmocka_unit_test(test_profile_detect),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_config),
		cmocka_unit_test_setup_teardown(test_kmsg_from_start, kmsg_setup, kmsg_teardown),
		cmocka_unit_test_setup_teardown(test_kmsg_new_only, kmsg_setup, kmsg_teardown),
		cmocka_unit_test_setup_teardown(test_kmsg_pipe, kmsg_setup, kmsg_teardown),
		cmocka_unit_test_setup_teardown(test_kmsg_errors, kmsg_setup, kmsg_teardown),
	};

	return cmocka_run_group_tests_name("storm", tests, NULL, NULL);
}
