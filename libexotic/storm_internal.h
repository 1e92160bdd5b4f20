/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Storm internals shared by storm*.c and the unit tests; not installed. */
#ifndef EXOTIC_STORM_INTERNAL_H
#define EXOTIC_STORM_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "exotic/storm.h"

/* xoshiro256** seeded through splitmix64: one per event thread. */
struct storm_prng {
	uint64_t s[4];
};

void storm_prng_seed(struct storm_prng *r, uint64_t seed, unsigned int stream);
uint64_t storm_prng_next(struct storm_prng *r);
/* Uniform in [0, n); 0 for n == 0. */
uint64_t storm_prng_below(struct storm_prng *r, uint64_t n);

/* One of the events a storm draws (EXOTIC_EV_IN_STORM). */
static inline bool storm_event(unsigned int ev)
{
	return exotic_event_scope(ev) & EXOTIC_EV_IN_STORM;
}

/* What the event generator needs to know about the slots. */
struct storm_plan_slot {
	uint64_t length;	/* region bytes */
	uint64_t block;		/* bytes per block (migrate granularity) */
	uint32_t events;	/* 1 << enum exotic_ev it takes; 0: every
				 * storm event (exotic memory) */
};

/*
 * What an anonymous slot (an anonymous mmap in a memslot) takes: invalidate
 * (MADV_DONTNEED of the range).  The driver's other events (migrate,
 * revoke and replace, ...) have no anonymous twin; memslot delete, unmap,
 * mprotect and fork are not run on it.
 */
#define STORM_ANON_EVENTS	(1U << EXOTIC_EV_INVALIDATE)

struct storm_plan {
	unsigned int nslots;
	const struct storm_plan_slot *slots;
	uint32_t mix[EXOTIC_EV_MAX + 1];	/* by enum exotic_ev */
	uint32_t hold_us;
	uint32_t gap_us;
};

/*
 * Draw the next event from r: its type by the weights, then one of the
 * slots that take it.  Depends only on r's state and plan, never on timing
 * or outcomes: that is what makes --replay work.  Returns -EINVAL if the
 * plan has no slot, all weights are zero, one weighs an event that is not
 * a storm event, or one that no slot takes (storm_plan_orphan()).
 */
int storm_plan_next(struct storm_prng *r, const struct storm_plan *plan,
		    struct exotic_storm_event_rec *ev);
/* The first event plan weighs that none of its slots takes, or 0. */
unsigned int storm_plan_orphan(const struct storm_plan *plan);
/* FNV-1a over the fields that define an event. */
uint64_t storm_hash_event(uint64_t hash, const struct exotic_storm_event_rec *ev);
#define STORM_HASH_INIT	0xcbf29ce484222325ULL

/*
 * The invalidations of one slot, for telling KVM's lookup race from a real
 * failure.  zseq counts their starts and ends (odd while one is in flight);
 * an entry of the ring is the odd value its event started at and the range
 * it zapped.  Written by the slot's events, read under the slot's lock.
 */
#define STORM_ZAP_RING	4
struct storm_zap {
	uint64_t seq;		/* 0: unused */
	uint64_t offset, length;
};

/* Record the start of an invalidation (zseq is even) and return the odd
 * value zseq must take now. */
uint64_t storm_zap_begin(struct storm_zap *ring, uint64_t zseq,
			 uint64_t offset, uint64_t length, uint64_t align);
/*
 * Did an invalidation that had not ended when an access began (zseq was
 * seq0 then; it is now now) zap offset?  True as well if more ended than
 * the ring remembers.
 */
bool storm_zap_covered(const struct storm_zap *ring, uint64_t seq0,
		       uint64_t now, uint64_t offset);
/*
 * Can KVM on profile fail a guest access to method's mapping with EFAULT
 * when an invalidation lands inside its VM_PFNMAP lookup (the
 * hva_to_pfn_remapped() race, see storm_plan.c)?
 */
bool storm_pfnmap_race(const char *profile, unsigned int method);

/* The expectation table of a profile (exotic/profile.h), or NULL. */
const struct exotic_expect *storm_profile_table(const char *profile);

/*
 * Why the storm may not read kind x method through path (one of the paths
 * besides npf) on profile: a one-line reason (in buf or static), or NULL
 * if it may.  known_bugs: --known-bugs, the table's known bugs run too.
 */
const char *storm_path_refusal(const char *profile, unsigned int kind,
			       unsigned int method, unsigned int path,
			       bool known_bugs, char *buf, size_t len);

/* Is the running kernel at least major.minor?  False if uname() fails. */
bool storm_kernel_at_least(int major, int minor);

#endif /* EXOTIC_STORM_INTERNAL_H */
