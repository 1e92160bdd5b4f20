/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The storm engine's state and the functions its files share; not
 * installed.  storm_setup.c sets a storm up (its slots) and frees it,
 * storm.c runs it, storm_vcpu.c runs the vCPUs, storm_events.c the event
 * threads, storm_epoch.c keeps the epochs and the findings, storm_oracle.c
 * holds the oracles the run polls, storm_paths.c runs the access paths
 * other than the vCPU fault, storm_report.c prints the result.  The model behind it (event plan,
 * expectations, the lookup race) is storm_plan.c, in storm_internal.h.
 *
 * Threads: exotic_storm_run()'s caller (the oracle: bounds, progress,
 * refcount polls, /dev/kmsg, quarantine drains), one thread per vCPU and
 * one per event thread.  Each slot has a mutex its events hold from start
 * to end (so a slot is always whole again when an event ends) and a
 * sequence count that is odd while an event has it disturbed (revoked,
 * deleted, unmapped): a vCPU failure that saw the count move is expected.
 */
#ifndef EXOTIC_STORM_ENGINE_H
#define EXOTIC_STORM_ENGINE_H

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "internal.h"
#include "storm_internal.h"

#define GIB		(1ULL << 30)
#define MIB		(1ULL << 20)
#define SLOT_GPA_BASE	GIB
#define STRIDE		4096ULL
#define MAX_FINDINGS	256
#define EPOCH_RING	4096
#define GRAVE_MAX	24
#define PERSIST_POLLS	3
#define REFUSED_RUN	16	/* expected refusals in a row end a pass */
#define RACE_RETRIES	16	/* race-excused EFAULTs in a row at one gpa */

#define LOAD(x)		__atomic_load_n(&(x), __ATOMIC_ACQUIRE)
#define STORE(x, v)	__atomic_store_n(&(x), (v), __ATOMIC_RELEASE)
#define ADD(x, v)	__atomic_add_fetch(&(x), (v), __ATOMIC_RELAXED)

struct storm_slot {
	pthread_mutex_t lock;		/* held by an event from start to end */
	unsigned int index;		/* KVM user slot id */
	uint32_t kind, method, order;
	uint64_t gpa, len, block;
	int expect_head, expect_tail;	/* enum exotic_outcome */
	uint32_t paths;			/* 1 << EXOTIC_PATH_* that read it */
	uint32_t records_promised;	/* 1 << pvclock, steal-time: the table
					 * says KVM writes the record here */
	struct exotic_region *region;	/* current, under lock (and stable
					 * while seq is even); NULL for the
					 * anonymous slot */
	void *anon;			/* the anonymous slot's mmap, or NULL */
	uint32_t handle;		/* atomic copy for reports */
	uint64_t seq;			/* odd while disturbed for everyone */
	uint64_t wseq;			/* odd while read-only (writers) */
	uint64_t zseq;			/* odd while invalidated or migrated */
	struct storm_zap zaps[STORM_ZAP_RING];	/* under lock */
	int dead;			/* an event could not restore it */
	uint32_t alloc_flags;		/* EXOTIC_ALLOC_* for its regions */
	/* refcount oracle (oracle thread only) */
	uint8_t *suspect;		/* consecutive anomalous polls per page */
	uint32_t suspect_handle;
	/* per-slot results */
	uint64_t accesses, efault_tail, disturbed, detections, unexpected;
	uint64_t races;			/* EFAULTs of KVM's lookup race */
};

struct grave {
	struct exotic_region *region;
	uint64_t anomalies_before;
	uint32_t slot;
};

struct epoch_rec {
	uint64_t epoch;
	uint32_t type;
	uint32_t slot;
	uint32_t handle;
	uint64_t offset, length;
};

struct event_thread {
	struct exotic_storm *storm;
	unsigned int index;
	pthread_t thread;
	bool started;
	struct storm_prng prng;
	uint64_t bound;			/* 0: none */
	uint64_t count;
	uint64_t hash;
	uint64_t pre_epoch;		/* device epoch before an event in flight */
	struct exotic_storm_event_rec *log;
	size_t nlog;
};

struct vcpu_thread {
	struct exotic_storm *storm;
	unsigned int index;
	bool writer;
	uint32_t path;			/* enum exotic_path it reads through */
	uint64_t record_block;		/* pvclock, steal-time: the next block */
	struct exotic_vcpu *vcpu;
	pthread_t thread;
	bool started;
	/* what it runs now, for reports of a vCPU that died or hangs */
	uint32_t cur_slot;		/* atomic; ~0: none */
	uint64_t cur_gpa;		/* atomic */
};

struct exotic_storm {
	int refcount;
	struct exotic_ctx *ctx;
	struct exotic_device *dev;
	struct exotic_storm_config cfg;
	const char *profile;
	struct exotic_vm *vm;
	unsigned int nslots;
	struct storm_slot *slots;
	struct storm_plan_slot *plan_slots;
	struct storm_plan plan;
	char skipped[1024];		/* combinations left out, and why */
	char kernel[200];

	bool ran;
	int stop;			/* atomic */
	int vcpus_stop;			/* atomic */
	struct timespec start;
	uint64_t elapsed_ms;

	struct vcpu_thread *vcpus;
	struct event_thread *events;
	unsigned int nevents;

	pthread_mutex_t lock;		/* everything below */
	/*
	 * Counters: ADD()ed by every thread without the lock, except
	 * unexpected and detections[], which storm_add_finding() bumps
	 * under it; exotic_storm_get_stats() copies them under it.
	 */
	struct exotic_storm_stats stats;
	struct exotic_storm_finding findings[MAX_FINDINGS];
	size_t nfindings;
	struct epoch_rec epochs[EPOCH_RING];
	uint64_t nepochs;
	uint64_t max_done;		/* largest completed epoch */
	uint64_t published;
	struct grave graves[GRAVE_MAX];
	unsigned int ngraves;
	char phase[16];
	char last_event[96];

	struct exotic_kmsg_watch *kmsg;
	size_t kmsg_seen;
	uint64_t poison_reported[64];	/* (pfn ^ epoch) already reported */
	unsigned int npoison_reported;
};

/* "refcounted", ..., or "anonymous"; and the method, "mmap" for the
 * anonymous slot: for reports */
static inline const char *slot_kind_name(const struct storm_slot *slot)
{
	return exotic_storm_kind_name(slot->kind);
}

static inline const char *slot_method_name(const struct storm_slot *slot)
{
	return slot->anon ? "mmap" : exotic_method_name(slot->method);
}

/* A reference nobody drops: a stuck vCPU thread still uses the storm. */
static inline void storm_ref_leak(struct exotic_storm *s)
{
	exotic_refcount_get(&s->refcount);
}

static inline uint64_t now_ms(const struct timespec *since)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)(t.tv_sec - since->tv_sec) * 1000 +
	       (uint64_t)((t.tv_nsec - since->tv_nsec) / 1000000);
}

static inline void sleep_us(uint64_t us)
{
	struct timespec t = { .tv_sec = (time_t)(us / 1000000),
			      .tv_nsec = (long)(us % 1000000) * 1000 };

	while (nanosleep(&t, &t) && errno == EINTR)
		;
}

static inline bool stopping(struct exotic_storm *s)
{
	return LOAD(s->stop);
}

/* Record a detection or an unexpected outcome (slot may be NULL). */
__attribute__((format(printf, 4, 5)))
void storm_add_finding(struct exotic_storm *s, struct storm_slot *slot,
			struct exotic_storm_finding *f, const char *fmt, ...);
/* What the oracle attributes kernel log lines to. */
void storm_set_phase(struct exotic_storm *s, const char *phase);
/* An event thread starts an event: note the device epoch before it. */
void storm_epoch_begin(struct exotic_storm *s, struct event_thread *t);
/* ... and ends it: remember the epoch's event, publish what is done. */
void storm_epoch_end(struct exotic_storm *s, struct event_thread *t,
		      uint64_t epoch, const struct exotic_storm_event_rec *ev,
		      uint32_t handle);
/* The property of poison of epoch: who retired the page? */
uint32_t storm_poison_property(struct exotic_storm *s, uint64_t epoch,
				uint32_t *event, uint32_t *handle);
/* The PFN a retired page had, 0 if it cannot be found any more. */
uint64_t storm_retired_pfn(struct exotic_storm *s, uint32_t handle,
			    uint64_t offset, uint64_t epoch);
/* Did an event disturb slot while a vCPU accessed it (seq, wseq then)? */
bool storm_disturbed(struct vcpu_thread *v, struct storm_slot *slot,
		      uint64_t seq, uint64_t wseq);
/* The layer the kit suspects when a vCPU triple-faults or hangs. */
const char *storm_platform_suspect(void);
/* What a vCPU was doing, for a report. */
void storm_vcpu_context(struct vcpu_thread *v, char *buf, size_t len);
/* The vCPU threads. */
void *storm_vcpu_main(void *arg);
/* A vCPU's findings: an unexpected outcome, and poison of epoch (done:
 * the done epoch when the access began) read at gpa. */
void storm_vcpu_unexpected(struct vcpu_thread *v, struct storm_slot *slot,
			   uint64_t gpa, int err, const char *what);
void storm_vcpu_poison(struct vcpu_thread *v, struct storm_slot *slot,
		       uint64_t gpa, uint64_t epoch, uint64_t done);
/* Wait for the event that has slot to end; false if the slot is lost or
 * the vCPUs stop.  *seq and *wseq: the slot's counts then. */
bool storm_wait_event(struct vcpu_thread *v, struct storm_slot *slot,
		      uint64_t *seq, uint64_t *wseq);
/* What a KVM_RUN EFAULT on a page of a slot was (storm_judge_efault()). */
enum storm_efault {
	STORM_EF_DISTURBED,	/* an event had the slot: retry after it */
	STORM_EF_RACE,		/* KVM's lookup race: retry */
	STORM_EF_EXPECTED,	/* the profile refuses the page */
	STORM_EF_UNEXPECTED,	/* reported */
};
enum storm_efault storm_judge_efault(struct vcpu_thread *v, struct storm_slot *slot,
				     uint64_t gpa, uint64_t seq, uint64_t wseq,
				     uint64_t zseq, bool progress, unsigned int *races);
/* A kind x method left out of the storm, or out of a path, and why. */
void storm_note_skip(struct exotic_storm *s, unsigned int kind, unsigned int method,
		     const char *why);
/* The access paths other than npf (storm_paths.c): which slots each may
 * read (the others noted as skipped, with why), and one pass of a vCPU. */
int storm_paths_setup(struct exotic_storm *s, struct storm_slot *slot);
bool storm_nested_pass(struct vcpu_thread *v, struct storm_slot *slot);
bool storm_record_pass(struct vcpu_thread *v, struct storm_slot *slot);
/* A fresh region for slot, filled with its stamps. */
int storm_new_region(struct exotic_storm *s, struct storm_slot *slot,
		      struct exotic_region **r);
/* The event threads. */
void *storm_event_main(void *arg);
/*
 * A slot, remap or mprotect event (called with slot->lock): take the
 * memslot, the mapping or write access from the slot's vCPUs for the
 * event's hold, then give it back; a slot that cannot be given back is
 * reported lost and returns 0.
 */
int storm_hold_event(struct exotic_storm *s, struct storm_slot *slot,
		     const struct exotic_storm_event_rec *ev);
/* The refcount oracle over slot's region (final: nothing runs any more). */
void storm_check_refcounts(struct exotic_storm *s, struct storm_slot *slot,
			    bool final);
/* The driver's poison check of slot's quarantined pages. */
void storm_check_poison(struct exotic_storm *s, struct storm_slot *slot);
/* The free-time check of one revoked region; consumes the grave. */
void storm_grave_check(struct exotic_storm *s, struct grave g, bool waited);
/* Revoked regions whose quarantine ended (all: the wait is over). */
void storm_drain_graves(struct exotic_storm *s, bool all);
/* New kernel log findings. */
void storm_poll_kmsg(struct exotic_storm *s);
/* The driver's fault and zap counters of the current regions. */
void storm_collect_driver_counters(struct exotic_storm *s);

#endif /* EXOTIC_STORM_ENGINE_H */
