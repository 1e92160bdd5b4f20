/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Storm layer: invalidation storms with oracles (docs/design.md §5).
 *
 * A storm builds one VM with one memslot per kind x method (each backed by
 * an exotic region filled with the guest programs' stamps), runs vCPU
 * threads that walk and verify those memslots (or write them), and event
 * threads that issue a seeded mix of events against them: invalidate,
 * migrate, revoke + re-allocate + memslot replace, memslot delete + re-add,
 * munmap + re-mmap, mprotect read-only + read-write.  It is bounded by time
 * and/or by a number of events per event thread.
 *
 * A storm can also have one memslot of anonymous memory (kinds bit
 * EXOTIC_STORM_ANON), the twin a VMM would give the guest: a shared
 * anonymous mmap (MAP_SHARED | MAP_ANONYMOUS, so that MADV_DONTNEED drops
 * the page table entries but keeps the stamps the walk checks, as the
 * driver's invalidate does).  Its only event is invalidate, as
 * MADV_DONTNEED of the range; the others have no anonymous twin (migrate,
 * replace) or are not run on it, and a mix weighing one that no slot
 * takes is refused.  The refcount and poison oracles watch exotic slots
 * only.
 *
 * Oracles:
 *  - refcount: every backing page's refcount is checked against the value
 *    the memory kind requires (the library judges the refcounts the
 *    driver reports), during the storm (an anomaly must persist over several
 *    polls, since KVM takes short-lived references while it faults pages
 *    in) and exactly once everything is quiet; the driver's anomaly counters
 *    (free-time checks) are read when revoked regions leave quarantine.
 *  - use after free and stale translation: the done_epoch/poison protocol of
 *    the walk program.  Poison of an epoch the host had published as done is
 *    a detection, attributed by the event that issued the epoch: a revoke
 *    (the owner freed the memory) is a use after free, a migrate (the owner
 *    moved it) a stale translation.  Retired pages whose poison was
 *    overwritten (a write through a stale translation) count the same way.
 *  - kernel log: /dev/kmsg is watched during the run; a line the console
 *    oracle objects to is a detection, attributed to the storm phase and
 *    the last event that was running.
 * Outcomes a kernel profile is known to produce (KVM_RUN EFAULT on stock
 * 6.1 for refcount-0 tail pages, EFAULT or MMIO exits while a slot is
 * deleted, unmapped or revoked) are counted as expected; anything else is
 * counted as unexpected.
 *
 * Access paths: the vCPUs that read take the paths of cfg.paths in turns.
 *  - npf: the walk program, KVM's vCPU fault (kvm_faultin_pfn());
 *  - nested-tdp: an L2 under nested paging reads each page's first two
 *    words (one VMRUN each), which KVM resolves through its nested MMU;
 *    judged as the walk's words are, where the table's nested-tdp rows
 *    agree with its npf rows (otherwise the slot is left out of the path,
 *    and the summary says why: e.g. no nested paging with kvm_amd npt=0);
 *  - pvclock, steal-time: the guest points MSR_KVM_SYSTEM_TIME_NEW or
 *    MSR_KVM_STEAL_TIME at offset 0x800 or 0xc00 of a block's first page
 *    (the other paths read the first two words of each page only) and
 *    KVM writes the record
 *    through its gfn-to-pfn cache or the VMA.  Where the table says KVM
 *    writes it (the path's row is mapped), a record that did not change
 *    while no event touched the slot is unexpected; a write through a
 *    stale cache after an event lands in retired pages, whose poison the
 *    driver checks (the poison oracle).
 * vmrun and copy are not storm paths: the first needs a VMCB where the
 * stamps are, the second reads a few bytes per exit (the matrix runs both).
 *
 * Every run is seeded.  Each event thread draws its events from its own
 * PRNG seeded from (seed, thread index), independently of timing and of
 * outcomes, so the same seed and the same per-thread event bounds issue the
 * same event sequence (exotic_storm_event_hash()).
 */
#ifndef EXOTIC_STORM_H
#define EXOTIC_STORM_H

#include <stdbool.h>
#include <stdio.h>

#include "exotic.h"
#include "event.h"
#include "expect.h"

#ifdef __cplusplus
extern "C" {
#endif

struct exotic_device;
struct exotic_storm;

enum exotic_storm_property {
	EXOTIC_STORM_PROP_REFCOUNT = 0,		/* refcount corruption */
	EXOTIC_STORM_PROP_USE_AFTER_FREE,	/* access after the owner freed */
	EXOTIC_STORM_PROP_STALE,		/* stale hva->pfn translation */
	EXOTIC_STORM_PROP_KERNEL_LOG,		/* BUG/WARNING/... in the log */
	EXOTIC_STORM_PROP_MAX,
	/* not a detection: an outcome the expectation table did not allow */
	EXOTIC_STORM_UNEXPECTED = EXOTIC_STORM_PROP_MAX,
};

/* exotic_storm_config.flags */
#define EXOTIC_STORM_KNOWN_BUGS	(1U << 0)	/* also run combinations the
						 * profile's KVM is known to
						 * WARN on (exotic_storm_expect) */
#define EXOTIC_STORM_NO_KMSG	(1U << 1)	/* do not watch /dev/kmsg */
#define EXOTIC_STORM_PIN	(1U << 2)	/* each vCPU thread, then each
						 * event thread, on a CPU of its
						 * own among those the process
						 * may use (round robin) */
#define EXOTIC_STORM_FLAGS_ALL	(EXOTIC_STORM_KNOWN_BUGS | EXOTIC_STORM_NO_KMSG | \
				 EXOTIC_STORM_PIN)

/* exotic_storm_config.kinds: bit 0, which no EXOTIC_KIND_* uses, asks for
 * one memslot of anonymous memory (methods do not apply to it) */
#define EXOTIC_STORM_ANON	0

#define EXOTIC_STORM_MAX_THREADS	16	/* event threads */
#define EXOTIC_STORM_MAX_EXIT		64	/* KVM_EXIT_* counted */
#define EXOTIC_STORM_MAX_ERRNO		140	/* KVM_RUN errnos counted */

struct exotic_storm_stats;

/* Called from exotic_storm_run()'s thread about every 500 ms. */
typedef void (*exotic_storm_progress_fn)(void *data,
					 const struct exotic_storm_stats *stats);

struct exotic_storm_config {
	uint64_t seed;
	uint32_t kinds;		/* bitmask of 1 << EXOTIC_KIND_*, and
				 * 1 << EXOTIC_STORM_ANON for an anonymous
				 * slot; 0: every exotic kind */
	uint32_t methods;	/* bitmask of 1 << EXOTIC_MAP_*; 0: all */
	uint64_t region_size;	/* bytes per region, multiple of 2 MiB */
	uint32_t order;		/* block order of compound, noncompound and
				 * reserved regions (huge ones use 9) */
	uint32_t vcpus;		/* vCPU threads, 1..EXOTIC_VM_MAX_VCPUS */
	uint32_t writers;	/* of those, how many write instead of walk */
	uint32_t paths;		/* bitmask of 1 << EXOTIC_PATH_* the reading
				 * vCPUs take in turns (exotic/expect.h:
				 * npf, nested-tdp, pvclock, steal-time);
				 * 0: npf.  Writers write through npf. */
	uint32_t event_threads;	/* 0..EXOTIC_STORM_MAX_THREADS */
	uint32_t duration_ms;	/* 0: bounded by events only */
	uint64_t max_events;	/* per event thread; 0: bounded by time only */
	/* per-thread bounds (replay); a non-zero entry overrides max_events */
	uint64_t thread_events[EXOTIC_STORM_MAX_THREADS];
	uint32_t mix[EXOTIC_EV_MAX + 1];	/* relative weights, by enum exotic_ev;
					 * only EXOTIC_EV_IN_STORM ones */
	uint32_t hold_us;	/* longest time a slot stays disturbed */
	uint32_t gap_us;	/* longest pause between two events of a thread */
	uint32_t poll_ms;	/* oracle polling period */
	uint32_t settle_ms;	/* longest wait for quarantines at the end */
	uint32_t flags;		/* EXOTIC_STORM_* */
	uint32_t log_events;	/* event records kept per thread (for tests) */
	const char *profile;	/* exotic/profile.h's name; NULL: current */
	exotic_storm_progress_fn progress;
	void *progress_data;
};

struct exotic_storm_stats {
	uint64_t elapsed_ms;
	uint64_t events[EXOTIC_EV_MAX + 1];	/* completed, by enum exotic_ev */
	uint64_t event_errors[EXOTIC_EV_MAX + 1];	/* failed (unexpected) */
	uint64_t accesses;		/* guest words checked or written */
	/* by the path of the vCPU that made them: npf and nested-tdp words
	 * checked or written, pvclock and steal-time records KVM wrote and
	 * the host verified */
	uint64_t path_accesses[EXOTIC_PATH_MAX + 1];
	uint64_t records_unjudged;	/* pvclock, steal-time: records not
					 * judged (an event disturbed the
					 * slot, or the table promises none) */
	uint64_t inflight_poison;	/* poison of an epoch not yet done */
	uint64_t runs;			/* KVM_RUN calls */
	uint64_t exits[EXOTIC_STORM_MAX_EXIT];		/* by KVM_EXIT_* */
	uint64_t run_errors[EXOTIC_STORM_MAX_ERRNO];	/* KVM_RUN -errno */
	uint64_t expected_efault;	/* EFAULT the profile allows */
	uint64_t expected_disturbed;	/* EFAULT/MMIO while a slot was disturbed */
	uint64_t known_race_efault;	/* EFAULT from KVM's VM_PFNMAP lookup
					 * racing an invalidation (retried) */
	uint64_t faults;		/* driver faults (PTEs/PMDs inserted) */
	uint64_t zaps;			/* driver zaps */
	uint64_t pages_checked;		/* refcount checks */
	uint64_t detections[EXOTIC_STORM_PROP_MAX];
	uint64_t unexpected;
	uint64_t slots;			/* memslots in the storm */
	uint64_t graves_checked;	/* revoked regions whose free-time
					 * refcount check was read */
	uint64_t grave_waits;		/* of those, waited for because the
					 * graveyard was full */
	uint64_t fork_pages;		/* pages fork children read through
					 * their copy of a slot's mapping */
	uint64_t fork_poison;		/* children that read poison there */
};

/* One detection or unexpected outcome. */
struct exotic_storm_finding {
	uint32_t property;	/* enum exotic_storm_property */
	int32_t vcpu;		/* -1: found by the host */
	uint32_t kind;
	uint32_t method;
	uint32_t slot;
	uint32_t handle;	/* region handle */
	uint64_t offset;	/* in the region */
	uint64_t pfn;		/* 0 if unknown */
	uint64_t epoch;		/* the retiring event's epoch, or 0 */
	uint64_t done_epoch;	/* what the guest had read, or 0 */
	uint32_t event;		/* enum exotic_ev that retired it, or ~0 */
	int32_t err;		/* negative errno, or 0 */
	uint64_t at_ms;		/* when, since the storm started */
	char phase[32];		/* storm phase when it was found */
	char what[320];		/* one line */
};

/* One event as drawn (exotic_storm_event_log()). */
struct exotic_storm_event_rec {
	uint32_t type;		/* enum exotic_ev */
	uint32_t slot;		/* index into the storm's slots */
	uint64_t offset;
	uint64_t length;
	uint32_t hold_us;
	uint32_t gap_us;
};

/* Defaults: all kinds and methods, 2 MiB regions, order 2, 2 vCPUs, one
 * event thread, 10 s, equal mix, seed from the clock. */
EXOTIC_EXPORT void exotic_storm_config_init(struct exotic_storm_config *cfg);

/*
 * Set up a storm on dev: check cfg (-EINVAL, the log says why), detect the
 * profile, create the VM, vCPUs and one region + memslot per kind x method
 * the driver and the profile allow.  A combination the driver refuses
 * (-EINVAL/-EOPNOTSUPP/-ENODEV) is skipped and listed in the summary.
 * -ENOENT/-EACCES when KVM is not usable, -ENODATA when no combination
 * is left.
 */
EXOTIC_EXPORT int exotic_storm_new(struct exotic_device *dev,
				   const struct exotic_storm_config *cfg,
				   struct exotic_storm **storm);
EXOTIC_EXPORT struct exotic_storm *exotic_storm_unref(struct exotic_storm *storm);

/*
 * Run the storm to its bounds, then drain: stop the events, stop the
 * vCPUs, check every region once more, wait (up to settle_ms) for the
 * quarantines to end and read the driver's counters.  Returns 0 when the
 * storm ran (whatever it found), -EALREADY if it ran before, or a negative
 * errno if it could not run.  exotic_storm_stop() from another thread (or
 * a signal handler) ends it early.
 */
EXOTIC_EXPORT int exotic_storm_run(struct exotic_storm *storm);
EXOTIC_EXPORT void exotic_storm_stop(struct exotic_storm *storm);

/* A consistent-enough snapshot; callable while the storm runs. */
EXOTIC_EXPORT void exotic_storm_get_stats(struct exotic_storm *storm,
					  struct exotic_storm_stats *stats);
/* 0: no detection and no unexpected outcome; 1 otherwise. */
EXOTIC_EXPORT int exotic_storm_verdict(struct exotic_storm *storm);
EXOTIC_EXPORT uint64_t exotic_storm_seed(const struct exotic_storm *storm);
EXOTIC_EXPORT const char *exotic_storm_profile(const struct exotic_storm *storm);

/* Findings in the order they were made (at most 256 are kept; the stats
 * count all).  Returns 0, or -ENOENT past the end. */
EXOTIC_EXPORT size_t exotic_storm_finding_count(struct exotic_storm *storm);
EXOTIC_EXPORT int exotic_storm_get_finding(struct exotic_storm *storm, size_t i,
					   struct exotic_storm_finding *f);

/* Events issued by event thread t: how many, and an FNV-1a hash of their
 * (type, slot, offset, length) in order.  -EINVAL for a bad thread. */
EXOTIC_EXPORT int exotic_storm_event_hash(struct exotic_storm *storm,
					  unsigned int t, uint64_t *count,
					  uint64_t *hash);
/* The first records of thread t (cfg.log_events of them are kept).
 * Returns the number copied or -EINVAL. */
EXOTIC_EXPORT int exotic_storm_event_log(struct exotic_storm *storm,
					 unsigned int t,
					 struct exotic_storm_event_rec *recs,
					 size_t n);

/* The summary table, and the same as one JSON object (for CI). */
EXOTIC_EXPORT void exotic_storm_print_summary(struct exotic_storm *storm,
					      FILE *out);
EXOTIC_EXPORT void exotic_storm_print_json(struct exotic_storm *storm,
					   FILE *out);

/* A storm slot's kind: exotic_kind_name(), or "anonymous" for
 * EXOTIC_STORM_ANON; NULL if unknown.  And back (also "anon"): -EINVAL if
 * unknown. */
EXOTIC_EXPORT const char *exotic_storm_kind_name(unsigned int kind);
EXOTIC_EXPORT int exotic_storm_kind_from_name(const char *name);

/* "refcount", "use-after-free", "stale-translation", "kernel-log",
 * "unexpected"; NULL if unknown. */
EXOTIC_EXPORT const char *exotic_storm_property_name(unsigned int property);

/*
 * Expected outcomes per kernel profile.  For a guest access through KVM's
 * vCPU fault path to a page of kind x method (block_tail: not the first
 * page of its block), on a profile (a name of exotic/profile.h's registry,
 * or a table name), from the "storm:KIND" rows of its expectation table:
 * an enum exotic_outcome (exotic/expect.h) of EXOTIC_OUT_MAPPED, _EFAULT,
 * _WARN (KVM WARNs, a known bug), _REFCOUNT (KVM leaks a reference),
 * _CRASH (the kernel oopses) or _ANY (not judged).  -EINVAL for an
 * unknown profile, kind or method, -ENOENT without a row.
 */
EXOTIC_EXPORT int exotic_storm_expect(const char *profile, unsigned int kind,
				unsigned int method, bool block_tail);
/* The name of exotic_profile_current() (exotic/profile.h); NULL if none. */
EXOTIC_EXPORT const char *exotic_storm_profile_detect(void);

#ifdef __cplusplus
}
#endif

#endif /* EXOTIC_STORM_H */
