// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The storm engine: see exotic/storm.h.
 *
 * Threads: exotic_storm_run()'s caller (the oracle: bounds, progress,
 * refcount polls, /dev/kmsg, quarantine drains), one thread per vCPU and
 * one per event thread.  Each slot has a mutex its events hold from start
 * to end (so a slot is always whole again when an event ends) and a
 * sequence count that is odd while an event has it disturbed (revoked,
 * deleted, unmapped): a vCPU failure that saw the count move is expected.
 */
#include <errno.h>
#include <inttypes.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

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
	int expect_head, expect_tail;	/* enum exotic_storm_outcome */
	struct exotic_region *region;	/* current, under lock (and stable
					 * while seq is even) */
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
	struct exotic_storm_stats stats;	/* atomics, read under no lock */
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

/*
 * Before 6.12 a huge PFN mapping of anything but a folio is unsafe by
 * construction (GUP-fast takes it for a THP): the driver refuses it
 * without EXOTIC_ALLOC_UNSAFE_DRIVER_BUG (driver/compat.h).
 */
static bool huge_needs_folio(void)
{
	return !storm_kernel_at_least(6, 12);
}

/* A reference nobody drops: a stuck vCPU thread still uses the storm. */
static void exotic_storm_ref_leak(struct exotic_storm *s)
{
	exotic_refcount_get(&s->refcount);
}

static uint64_t now_ms(const struct timespec *since)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)(t.tv_sec - since->tv_sec) * 1000 +
	       (uint64_t)((t.tv_nsec - since->tv_nsec) / 1000000);
}

static void sleep_us(uint64_t us)
{
	struct timespec t = { .tv_sec = (time_t)(us / 1000000),
			      .tv_nsec = (long)(us % 1000000) * 1000 };

	while (nanosleep(&t, &t) && errno == EINTR)
		;
}

static bool stopping(struct exotic_storm *s)
{
	return LOAD(s->stop);
}

/* --------------------------------------------------------- findings */

__attribute__((format(printf, 4, 5)))
static void add_finding(struct exotic_storm *s, struct storm_slot *slot,
			struct exotic_storm_finding *f, const char *fmt, ...)
{
	va_list ap;

	if (slot) {
		f->kind = slot->kind;
		f->method = slot->method;
		f->slot = slot->index;
		if (!f->handle)
			f->handle = LOAD(slot->handle);
		if (f->property == EXOTIC_STORM_UNEXPECTED)
			ADD(slot->unexpected, 1);
		else
			ADD(slot->detections, 1);
	}
	va_start(ap, fmt);
	vsnprintf(f->what, sizeof(f->what), fmt, ap);
	va_end(ap);
	f->at_ms = s->ran ? now_ms(&s->start) : 0;
	pthread_mutex_lock(&s->lock);
	snprintf(f->phase, sizeof(f->phase), "%s", s->phase);
	if (f->property == EXOTIC_STORM_UNEXPECTED)
		s->stats.unexpected++;
	else
		s->stats.detections[f->property]++;
	if (s->nfindings < MAX_FINDINGS)
		s->findings[s->nfindings++] = *f;
	pthread_mutex_unlock(&s->lock);
	if (f->property == EXOTIC_STORM_UNEXPECTED)
		exotic_info(s->ctx, "storm: unexpected: %s\n", f->what);
	else
		exotic_info(s->ctx, "storm: detection (%s): %s\n",
			    exotic_storm_property_name(f->property), f->what);
}

static void set_phase(struct exotic_storm *s, const char *phase)
{
	pthread_mutex_lock(&s->lock);
	snprintf(s->phase, sizeof(s->phase), "%s", phase);
	pthread_mutex_unlock(&s->lock);
	if (s->kmsg)
		exotic_kmsg_watch_set_phase(s->kmsg, phase);
}

/* ------------------------------------------------------------ epochs */

static void epoch_begin(struct exotic_storm *s, struct event_thread *t)
{
	struct exotic_version v;
	uint64_t pre = 0;

	if (!exotic_device_version(s->dev, &v))
		pre = v.epoch;
	pthread_mutex_lock(&s->lock);
	/* never 0 while in flight: 0 means idle */
	t->pre_epoch = pre ? pre : 1;
	pthread_mutex_unlock(&s->lock);
}

/*
 * An event of ours ended (epoch 0: it failed).  Publish the largest epoch
 * below which every event of ours has returned: in-flight events have
 * epochs above their pre_epoch.
 */
static void epoch_end(struct exotic_storm *s, struct event_thread *t,
		      uint64_t epoch, const struct exotic_storm_event_rec *ev,
		      uint32_t handle)
{
	uint64_t w;

	pthread_mutex_lock(&s->lock);
	t->pre_epoch = 0;
	if (epoch) {
		struct epoch_rec *r = &s->epochs[s->nepochs++ % EPOCH_RING];

		*r = (struct epoch_rec){ .epoch = epoch, .type = ev->type,
					 .slot = ev->slot, .handle = handle,
					 .offset = ev->offset, .length = ev->length };
		if (epoch > s->max_done)
			s->max_done = epoch;
	}
	w = s->max_done;
	for (unsigned int i = 0; i < s->nevents; i++)
		if (s->events[i].pre_epoch && s->events[i].pre_epoch < w)
			w = s->events[i].pre_epoch;
	if (w > s->published) {
		s->published = w;
		exotic_vm_publish_epoch(s->vm, w);
	}
	pthread_mutex_unlock(&s->lock);
}

static bool epoch_lookup(struct exotic_storm *s, uint64_t epoch,
			 struct epoch_rec *out)
{
	bool found = false;

	pthread_mutex_lock(&s->lock);
	for (uint64_t i = 0; i < EPOCH_RING && i < s->nepochs; i++) {
		struct epoch_rec *r = &s->epochs[(s->nepochs - 1 - i) % EPOCH_RING];

		if (r->epoch == epoch) {
			*out = *r;
			found = true;
			break;
		}
	}
	pthread_mutex_unlock(&s->lock);
	return found;
}

/* The property of poison of epoch: who retired the page? */
static uint32_t poison_property(struct exotic_storm *s, uint64_t epoch,
				uint32_t *event, uint32_t *handle)
{
	struct epoch_rec r;

	*event = ~0U;
	if (!epoch_lookup(s, epoch, &r))
		return EXOTIC_STORM_PROP_USE_AFTER_FREE;
	*event = r.type;
	*handle = r.handle;
	return r.type == EXOTIC_STORM_EV_MIGRATE ? EXOTIC_STORM_PROP_STALE :
	       EXOTIC_STORM_PROP_USE_AFTER_FREE;
}

/* Find the PFN a retired page had: its region is the slot's current one
 * (migrate) or a revoked one waiting in the graveyard (replace). */
static struct exotic_region *grave_find(struct exotic_storm *s, uint32_t handle)
{
	struct exotic_region *r = NULL;

	pthread_mutex_lock(&s->lock);
	for (unsigned int i = 0; i < s->ngraves && !r; i++)
		if (exotic_region_handle(s->graves[i].region) == handle)
			r = exotic_region_ref(s->graves[i].region);
	pthread_mutex_unlock(&s->lock);
	return r;
}

static uint64_t retired_pfn(struct exotic_storm *s, uint32_t handle,
			    uint64_t offset, uint64_t epoch)
{
	struct exotic_region *r = grave_find(s, handle);
	struct exotic_page pages[64];
	uint64_t pfn = 0;

	for (unsigned int i = 0; i < s->nslots && !r; i++) {
		struct storm_slot *slot = &s->slots[i];

		if (LOAD(slot->handle) != handle)
			continue;
		/* waits for an event on the slot to end */
		pthread_mutex_lock(&slot->lock);
		if (slot->region && exotic_region_handle(slot->region) == handle)
			r = exotic_region_ref(slot->region);
		pthread_mutex_unlock(&slot->lock);
	}
	/* a replace may have buried it meanwhile */
	if (!r)
		r = grave_find(s, handle);
	if (!r)
		return 0;
	for (uint64_t idx = 0; !pfn;) {
		int n = exotic_region_query_retired(r, idx, pages, 64);

		if (n <= 0)
			break;
		for (int i = 0; i < n; i++)
			if (pages[i].epoch == epoch &&
			    offset >= pages[i].offset && offset < pages[i].offset + 4096)
				pfn = pages[i].pfn;
		idx += (uint64_t)n;
	}
	exotic_region_unref(r);
	return pfn;
}

/* ------------------------------------------------------------- vCPUs */

static int load_program(struct vcpu_thread *v, struct storm_slot *slot,
			uint64_t from)
{
	struct exotic_guest_params p = {
		.gpa = from,
		.len = slot->gpa + slot->len - from,
		.stride = STRIDE,
		.seed = v->storm->cfg.seed,
		.passes = 1,
	};

	return exotic_guest_load(v->vcpu, v->writer ? EXOTIC_GUEST_WRITE :
				 EXOTIC_GUEST_WALK, &p);
}

static void vcpu_unexpected(struct vcpu_thread *v, struct storm_slot *slot,
			    uint64_t gpa, int err, const char *what)
{
	struct exotic_storm_finding f = {
		.property = EXOTIC_STORM_UNEXPECTED, .vcpu = (int32_t)v->index,
		.offset = slot && gpa >= slot->gpa ? gpa - slot->gpa : gpa,
		.event = ~0U, .err = err,
	};

	add_finding(v->storm, slot, &f, "vcpu %u: %s at gpa 0x%" PRIx64 "%s%s%s",
		    v->index, what, gpa, slot ? " (" : "",
		    slot ? exotic_kind_name(slot->kind) : "",
		    slot ? ")" : "");
}

static void vcpu_poison(struct vcpu_thread *v, struct storm_slot *slot,
			const struct exotic_exit *exit)
{
	struct exotic_storm *s = v->storm;
	uint64_t gpa = exit->args[0], epoch = exit->args[1];
	struct exotic_storm_finding f = {
		.vcpu = (int32_t)v->index, .epoch = epoch,
		.done_epoch = exit->args[2],
	};
	uint32_t handle = 0;

	f.property = poison_property(s, epoch, &f.event, &handle);
	f.offset = slot ? gpa - slot->gpa : 0;
	f.handle = handle;
	if (handle)
		f.pfn = retired_pfn(s, handle, f.offset, epoch);
	add_finding(s, slot, &f,
		    "vcpu %u read poison of epoch %" PRIu64 " (%s, done %" PRIu64
		    ") at region %u offset 0x%" PRIx64 " pfn 0x%" PRIx64 " (%s/%s) seed 0x%" PRIx64,
		    v->index, epoch,
		    f.event == ~0U ? "free" : exotic_storm_event_name(f.event),
		    f.done_epoch, f.handle, f.offset, f.pfn,
		    slot ? exotic_kind_name(slot->kind) : "?",
		    slot ? exotic_method_name(slot->method) : "?", s->cfg.seed);
}

/* Was slot disturbed since (seq, wseq) were read? */
static bool disturbed(struct vcpu_thread *v, struct storm_slot *slot,
		      uint64_t seq, uint64_t wseq)
{
	uint64_t now = LOAD(slot->seq);

	if (now != seq || (now & 1))
		return true;
	if (v->writer) {
		now = LOAD(slot->wseq);
		if (now != wseq || (now & 1))
			return true;
	}
	return false;
}

/* Did an invalidation of slot overlap an access to off that began when
 * zseq was seq0?  Waits for an event in flight on the slot to end. */
static bool zap_covered(struct storm_slot *slot, uint64_t seq0, uint64_t off)
{
	bool covered;

	pthread_mutex_lock(&slot->lock);
	covered = storm_zap_covered(slot->zaps, seq0, LOAD(slot->zseq), off);
	pthread_mutex_unlock(&slot->lock);
	return covered;
}

/*
 * Who the kit holds responsible for what its guest programs cannot cause
 * (a triple fault, a vCPU that never returns): their page tables, IDT,
 * GDT and stacks live in anonymous memory no event touches.
 */
static const char *platform_suspect(void)
{
	const char *vm = getenv("EXOTIC_TEST_VM");

	if (vm && strstr(vm, "tcg") && !strstr(vm, "thread=single"))
		return "suspect: QEMU's multi-threaded TCG emulation of nested paging (docs/test-vm.md)";
	if (vm && strstr(vm, "tcg"))
		return "suspect: KVM, or QEMU's TCG emulation of SVM";
	return "suspect: KVM or the CPU";
}

/* What vCPU v was doing, for a report: "walking slot 3 (carveout/fault)
 * from gpa 0x...; last event: ..." */
static void vcpu_context(struct vcpu_thread *v, char *buf, size_t len)
{
	struct exotic_storm *s = v->storm;
	uint32_t i = LOAD(v->cur_slot);
	char last[96];

	pthread_mutex_lock(&s->lock);
	snprintf(last, sizeof(last), "%s", s->last_event[0] ? s->last_event : "none");
	pthread_mutex_unlock(&s->lock);
	if (i >= s->nslots) {
		snprintf(buf, len, "between passes; last event: %s", last);
		return;
	}
	snprintf(buf, len, "%s slot %u (%s/%s) from gpa 0x%" PRIx64 "; last event: %s",
		 v->writer ? "writing" : "walking", i,
		 exotic_kind_name(s->slots[i].kind), exotic_method_name(s->slots[i].method),
		 LOAD(v->cur_gpa), last);
}

/*
 * An access to gpa failed while an event had the slot disturbed (deleted,
 * revoked, unmapped, read-only for writers).  That is expected only while
 * the event lasts: wait for it to end (events hold the slot's lock from
 * start to end) and retry the same access, which is then judged afresh.
 * Returns false if the slot is lost or the vCPUs stop.
 */
static bool retry_after_event(struct vcpu_thread *v, struct storm_slot *slot,
			      uint64_t gpa, uint64_t *seq, uint64_t *wseq)
{
	pthread_mutex_lock(&slot->lock);
	*seq = LOAD(slot->seq);
	*wseq = LOAD(slot->wseq);
	pthread_mutex_unlock(&slot->lock);
	if (LOAD(slot->dead) || LOAD(v->storm->vcpus_stop))
		return false;
	STORE(v->cur_gpa, gpa);
	if (load_program(v, slot, gpa)) {
		vcpu_unexpected(v, slot, gpa, 0, "cannot reload the guest program");
		return false;
	}
	return true;
}

/* Walk (or write) one slot once.  Returns false to pause briefly. */
static bool vcpu_pass(struct vcpu_thread *v, struct storm_slot *slot)
{
	struct exotic_storm *s = v->storm;
	uint64_t seq = LOAD(slot->seq), wseq = LOAD(slot->wseq), next, zseq;
	unsigned int refused = 0, races = 0;
	struct exotic_exit exit;
	struct kvm_regs regs;
	char buf[160];
	int ret;

	if ((seq & 1) || (v->writer && (wseq & 1)) || LOAD(slot->dead))
		return false;
	STORE(v->cur_slot, slot->index);
	STORE(v->cur_gpa, slot->gpa);
	ret = load_program(v, slot, slot->gpa);
	if (ret) {
		vcpu_unexpected(v, slot, slot->gpa, ret, "cannot load the guest program");
		return false;
	}
	while (!LOAD(s->vcpus_stop)) {
		zseq = LOAD(slot->zseq);
		ret = exotic_vcpu_run(v->vcpu, &exit);
		ADD(s->stats.runs, 1);
		if (ret == -EINTR)
			continue;
		if (ret < 0) {
			uint64_t gpa, off;
			bool tail;
			int expect;

			if (-ret < EXOTIC_STORM_MAX_ERRNO)
				ADD(s->stats.run_errors[-ret], 1);
			if (ret != -EFAULT) {
				vcpu_unexpected(v, slot, 0, ret, strerror(-ret));
				return false;
			}
			/* what the program had done so far: ok, in flight, found */
			if (ioctl(exotic_vcpu_get_fd(v->vcpu), KVM_GET_REGS, &regs))
				memset(&regs, 0, sizeof(regs));
			gpa = exit.access_gpa;
			if (gpa < slot->gpa || gpa >= slot->gpa + slot->len) {
				vcpu_unexpected(v, slot, gpa, ret, "KVM_RUN EFAULT outside the slot walked");
				return false;
			}
			if (disturbed(v, slot, seq, wseq)) {
				ADD(s->stats.expected_disturbed, 1);
				ADD(slot->disturbed, 1);
				if (!retry_after_event(v, slot, gpa, &seq, &wseq))
					return true;
				continue;
			}
			off = gpa - slot->gpa;
			tail = (off / 4096) & ((1ULL << slot->order) - 1);
			expect = tail ? slot->expect_tail : slot->expect_head;
			if (expect != EXOTIC_STORM_OUT_EFAULT && expect != EXOTIC_STORM_OUT_ANY &&
			    !(slot->method == EXOTIC_MAP_HUGE && expect == EXOTIC_STORM_OUT_LEAK) &&
			    storm_pfnmap_race(s->profile, slot->method) &&
			    zap_covered(slot, zseq, off)) {
				/*
				 * KVM's lookup race (storm_plan.c): a known
				 * bug, counted; the page must map when the
				 * access is retried after the invalidation.
				 */
				ADD(s->stats.known_race_efault, 1);
				ADD(slot->races, 1);
				ADD(s->stats.accesses, regs.r11 + (v->writer ? 0 : regs.r12 + regs.r13));
				ADD(slot->accesses, regs.r11);
				races = regs.r11 ? 1 : races + 1;
				if (races > RACE_RETRIES) {
					snprintf(buf, sizeof(buf),
						 "KVM_RUN EFAULT %u times in a row on a %s page the %s profile maps (%s/%s), each during an invalidation of it",
						 races, tail ? "tail" : "head", s->profile,
						 exotic_kind_name(slot->kind),
						 exotic_method_name(slot->method));
					vcpu_unexpected(v, slot, gpa, ret, buf);
					return false;
				}
				STORE(v->cur_gpa, gpa);
				ret = load_program(v, slot, gpa);
				if (ret) {
					vcpu_unexpected(v, slot, gpa, ret, "cannot reload the guest program");
					return false;
				}
				continue;
			}
			if (expect != EXOTIC_STORM_OUT_EFAULT && expect != EXOTIC_STORM_OUT_ANY &&
			    !(slot->method == EXOTIC_MAP_HUGE && expect == EXOTIC_STORM_OUT_LEAK)) {
				snprintf(buf, sizeof(buf),
					 "KVM_RUN EFAULT on a %s page the %s profile maps (%s/%s order %u)",
					 tail ? "tail" : "head", s->profile,
					 exotic_kind_name(slot->kind),
					 exotic_method_name(slot->method), slot->order);
				vcpu_unexpected(v, slot, gpa, ret, buf);
				return false;
			}
			ADD(s->stats.expected_efault, 1);
			ADD(slot->efault_tail, 1);
			ADD(s->stats.accesses, regs.r11 + (v->writer ? 0 : regs.r12 + regs.r13));
			ADD(slot->accesses, regs.r11);
			/*
			 * Go on after the refused word.  KVM refuses the same
			 * pages every time, so probe one tail per block and
			 * stop the pass after a run of refusals: the vCPU's
			 * time is worth more on memory that maps.
			 */
			refused = regs.r11 ? 1 : refused + 1;
			if (refused >= REFUSED_RUN)
				return true;
			next = gpa + STRIDE;
			if (tail)
				next = slot->gpa + ((off / slot->block) + 1) * slot->block;
			if (next >= slot->gpa + slot->len)
				return true;
			STORE(v->cur_gpa, next);
			ret = load_program(v, slot, next);
			if (ret) {
				vcpu_unexpected(v, slot, gpa, ret, "cannot reload the guest program");
				return false;
			}
			continue;
		}
		if (exit.reason < EXOTIC_STORM_MAX_EXIT)
			ADD(s->stats.exits[exit.reason], 1);
		switch (exit.ucall) {
		case EXOTIC_UCALL_DONE: {
			uint64_t n = exit.args[0] + (v->writer ? 0 : exit.args[1] + exit.args[2]);

			ADD(s->stats.accesses, n);
			ADD(slot->accesses, exit.args[0]);
			if (!v->writer)
				ADD(s->stats.inflight_poison, exit.args[1]);
			return true;
		}
		case EXOTIC_UCALL_SYNC:
			continue;
		case EXOTIC_UCALL_POISON:
			vcpu_poison(v, slot, &exit);
			continue;
		case EXOTIC_UCALL_ASSERT:
			vcpu_unexpected(v, slot, exit.args[0], 0,
					exotic_exit_describe(&exit, buf, sizeof(buf)));
			return false;
		case EXOTIC_UCALL_NONE:
			break;
		default:
			vcpu_unexpected(v, slot, exit.args[2], 0,
					exotic_exit_describe(&exit, buf, sizeof(buf)));
			return false;
		}
		if (exit.reason == KVM_EXIT_MMIO && disturbed(v, slot, seq, wseq) &&
		    exit.mmio_addr >= slot->gpa && exit.mmio_addr < slot->gpa + slot->len) {
			/* the slot was deleted, or read-only for a writer */
			ADD(s->stats.expected_disturbed, 1);
			ADD(slot->disturbed, 1);
			if (!retry_after_event(v, slot, exit.mmio_addr & ~(STRIDE - 1), &seq, &wseq))
				return true;
			continue;
		}
		if (exit.reason == KVM_EXIT_SHUTDOWN) {
			char ctx[200], msg[sizeof(((struct exotic_storm_finding *)0)->what)];

			vcpu_context(v, ctx, sizeof(ctx));
			snprintf(msg, sizeof(msg), "triple fault (exit shutdown) %s; %s",
				 ctx, platform_suspect());
			vcpu_unexpected(v, slot, LOAD(v->cur_gpa), 0, msg);
			return false;
		}
		vcpu_unexpected(v, slot, exit.mmio_addr, 0,
				exotic_exit_describe(&exit, buf, sizeof(buf)));
		return false;
	}
	return true;
}

static void *vcpu_main(void *arg)
{
	struct vcpu_thread *v = arg;
	struct exotic_storm *s = v->storm;
	unsigned int i = v->index * s->nslots / (s->cfg.vcpus ? s->cfg.vcpus : 1);

	while (!LOAD(s->vcpus_stop)) {
		if (!vcpu_pass(v, &s->slots[i % s->nslots]))
			sleep_us(200);
		i++;
	}
	return NULL;
}

/* ------------------------------------------------------------ events */

static int fill_region(struct exotic_storm *s, struct storm_slot *slot,
		       struct exotic_region *r)
{
	void *hva = exotic_region_addr(r);

	if (!hva)
		return -EINVAL;
	exotic_guest_fill(hva, slot->gpa, slot->len, STRIDE, s->cfg.seed);
	return 0;
}

static int new_region(struct exotic_storm *s, struct storm_slot *slot,
		      struct exotic_region **r)
{
	struct exotic_region_params p = {
		.kind = slot->kind, .method = slot->method, .length = slot->len,
		.order = slot->order, .flags = slot->alloc_flags,
	};
	int ret = exotic_region_new(s->dev, &p, r);

	if (ret)
		return ret;
	ret = fill_region(s, slot, *r);
	if (ret)
		*r = exotic_region_unref(*r);
	return ret;
}

/* Odd while an event has the slot disturbed, even otherwise; a vCPU that
 * saw it move excuses its failure. */
static void disturb(uint64_t *seq)
{
	__atomic_add_fetch(seq, 1, __ATOMIC_ACQ_REL);
}

static void grave_check(struct exotic_storm *s, struct grave g, bool waited);

/*
 * Keep a revoked region until its quarantine ended, for the driver's
 * free-time check (drain_graves()).  The graveyard is bounded (its regions
 * count against the file's region cap): when it is full, the oldest grave
 * is waited for here, up to the settle time, and checked, not dropped.
 */
static void bury(struct exotic_storm *s, struct storm_slot *slot,
		 struct exotic_region *r, uint64_t anomalies_before)
{
	struct grave oldest = { 0 };
	bool full;

	pthread_mutex_lock(&s->lock);
	full = s->ngraves == GRAVE_MAX;
	if (full) {
		oldest = s->graves[0];
		memmove(&s->graves[0], &s->graves[1],
			sizeof(s->graves[0]) * (GRAVE_MAX - 1));
		s->ngraves--;
	}
	s->graves[s->ngraves++] = (struct grave){ .region = r,
		.anomalies_before = anomalies_before, .slot = slot->index };
	pthread_mutex_unlock(&s->lock);
	if (full) {
		struct exotic_region_info info = { 0 };
		uint64_t t0 = now_ms(&s->start);

		ADD(s->stats.grave_waits, 1);
		while (!exotic_region_info(oldest.region, &info) && info.quarantined &&
		       now_ms(&s->start) - t0 < s->cfg.settle_ms)
			sleep_us(5000);
		grave_check(s, oldest, true);
	}
}

/* Put a fresh region behind slot (memslot replaced).  slot->lock held. */
static int replace_region(struct exotic_storm *s, struct storm_slot *slot,
			  struct exotic_region **fresh)
{
	int ret = new_region(s, slot, fresh);

	if (ret)
		return ret;
	ret = exotic_vm_delete_slot(s->vm, slot->index);
	if (!ret)
		ret = exotic_vm_add_region_slot(s->vm, slot->index, slot->gpa,
						*fresh, 0);
	if (ret)
		*fresh = exotic_region_unref(*fresh);
	return ret;
}

/* Revoke, re-allocate, replace the memslot.  Called with slot->lock. */
static int ev_replace(struct exotic_storm *s, struct event_thread *t,
		      struct storm_slot *slot,
		      const struct exotic_storm_event_rec *ev)
{
	struct exotic_region *old = slot->region, *fresh = NULL;
	struct exotic_region_info info = { 0 };
	uint64_t epoch = 0;
	int ret;

	exotic_region_info(old, &info);
	disturb(&slot->seq);
	epoch_begin(s, t);
	ret = exotic_region_revoke(old, &epoch);
	epoch_end(s, t, ret ? 0 : epoch, ev, exotic_region_handle(old));
	if (ret)
		goto out;
	sleep_us(ev->hold_us);
	/* The slot must not stay revoked: memory held in quarantine comes
	 * back within quarantine_ms, so retry for a while. */
	for (int tries = 0; tries < 100; tries++) {
		ret = replace_region(s, slot, &fresh);
		if (ret != -ENOMEM && ret != -ENOSPC)
			break;
		sleep_us(20000);
	}
	if (ret) {
		struct exotic_storm_finding f = {
			.property = EXOTIC_STORM_UNEXPECTED, .vcpu = -1,
			.event = ev->type, .err = ret,
		};

		STORE(slot->dead, 1);
		add_finding(s, slot, &f, "slot %u lost: cannot put a new region behind it: %s",
			    slot->index, strerror(-ret));
		ret = 0;
		goto out;
	}
	slot->region = fresh;
	STORE(slot->handle, exotic_region_handle(fresh));
	bury(s, slot, old, info.refcount_anomalies);
out:
	disturb(&slot->seq);
	return ret;
}

static int ev_slot(struct exotic_storm *s, struct storm_slot *slot,
		   const struct exotic_storm_event_rec *ev)
{
	int ret;

	disturb(&slot->seq);
	ret = exotic_vm_delete_slot(s->vm, slot->index);
	if (!ret) {
		sleep_us(ev->hold_us);
		ret = exotic_vm_add_region_slot(s->vm, slot->index, slot->gpa,
						slot->region, 0);
		if (ret)
			STORE(slot->dead, 1);
	}
	disturb(&slot->seq);
	return ret;
}

static int ev_remap(struct exotic_storm *s, struct storm_slot *slot,
		    const struct exotic_storm_event_rec *ev)
{
	void *hva = exotic_region_addr(slot->region), *p;
	int prot = exotic_region_prot(slot->region);
	int ret = 0;

	if (!prot)
		prot = PROT_READ | PROT_WRITE;
	disturb(&slot->seq);
	/* an inaccessible placeholder, so nobody else gets the range */
	p = mmap(hva, slot->len, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED) {
		ret = exotic_neg_errno();
		goto out;
	}
	sleep_us(ev->hold_us);
	p = mmap(hva, slot->len, prot, MAP_SHARED | MAP_FIXED,
		 exotic_device_get_fd(s->dev),
		 (off_t)exotic_region_mmap_offset(slot->region));
	if (p == MAP_FAILED) {
		ret = exotic_neg_errno();
		STORE(slot->dead, 1);
	}
out:
	disturb(&slot->seq);
	return ret;
}

static int ev_mprotect(struct exotic_storm *s, struct storm_slot *slot,
		       const struct exotic_storm_event_rec *ev)
{
	void *hva = exotic_region_addr(slot->region);
	int ret;

	(void)s;
	disturb(&slot->wseq);
	ret = mprotect(hva, slot->len, PROT_READ) ? exotic_neg_errno() : 0;
	if (!ret) {
		sleep_us(ev->hold_us);
		ret = mprotect(hva, slot->len, PROT_READ | PROT_WRITE) ?
		      exotic_neg_errno() : 0;
	}
	disturb(&slot->wseq);
	return ret;
}

static int do_event(struct exotic_storm *s, struct event_thread *t,
		    const struct exotic_storm_event_rec *ev)
{
	struct storm_slot *slot = &s->slots[ev->slot];
	uint64_t epoch = 0;
	int ret;

	pthread_mutex_lock(&slot->lock);
	if (LOAD(slot->dead)) {
		pthread_mutex_unlock(&slot->lock);
		return 0;
	}
	pthread_mutex_lock(&s->lock);
	snprintf(s->last_event, sizeof(s->last_event),
		 "%s slot %u (%s/%s) +0x%" PRIx64 "/0x%" PRIx64,
		 exotic_storm_event_name(ev->type), slot->index,
		 exotic_kind_name(slot->kind), exotic_method_name(slot->method),
		 ev->offset, ev->length);
	pthread_mutex_unlock(&s->lock);
	switch (ev->type) {
	case EXOTIC_STORM_EV_INVALIDATE:
	case EXOTIC_STORM_EV_MIGRATE:
		STORE(slot->zseq, storm_zap_begin(slot->zaps, slot->zseq,
						  ev->offset, ev->length));
		epoch_begin(s, t);
		ret = ev->type == EXOTIC_STORM_EV_MIGRATE ?
		      exotic_region_migrate(slot->region, ev->offset, ev->length, &epoch) :
		      exotic_region_invalidate(slot->region, ev->offset, ev->length, &epoch);
		epoch_end(s, t, ret ? 0 : epoch, ev, LOAD(slot->handle));
		STORE(slot->zseq, slot->zseq + 1);
		break;
	case EXOTIC_STORM_EV_REPLACE:
		ret = ev_replace(s, t, slot, ev);
		break;
	case EXOTIC_STORM_EV_SLOT:
		ret = ev_slot(s, slot, ev);
		break;
	case EXOTIC_STORM_EV_REMAP:
		ret = ev_remap(s, slot, ev);
		break;
	default:
		ret = ev_mprotect(s, slot, ev);
		break;
	}
	pthread_mutex_unlock(&slot->lock);
	if (!ret) {
		ADD(s->stats.events[ev->type], 1);
	} else if (ret == -ENOMEM || ret == -ENOSPC) {
		/* the driver declined for lack of memory: not a finding */
		ADD(s->stats.event_errors[ev->type], 1);
	} else {
		struct exotic_storm_finding f = {
			.property = EXOTIC_STORM_UNEXPECTED, .vcpu = -1,
			.offset = ev->offset, .event = ev->type, .err = ret,
		};

		ADD(s->stats.event_errors[ev->type], 1);
		add_finding(s, slot, &f, "event %s on slot %u +0x%" PRIx64 "/0x%" PRIx64 " failed: %s",
			    exotic_storm_event_name(ev->type), slot->index,
			    ev->offset, ev->length, strerror(-ret));
	}
	return ret;
}

static void *event_main(void *arg)
{
	struct event_thread *t = arg;
	struct exotic_storm *s = t->storm;
	struct exotic_storm_event_rec ev;

	while (!stopping(s) && (!t->bound || t->count < t->bound)) {
		if (storm_plan_next(&t->prng, &s->plan, &ev))
			break;
		t->hash = storm_hash_event(t->hash, &ev);
		if (t->log && t->nlog < s->cfg.log_events)
			t->log[t->nlog++] = ev;
		do_event(s, t, &ev);
		ADD(t->count, 1);
		sleep_us(ev.gap_us);
	}
	return NULL;
}

/* ------------------------------------------------------------ oracle */

/* The refcount a page must have now, independently of the driver. */
static int expected_refcount(const struct storm_slot *slot,
			     const struct exotic_page *pages, size_t i,
			     size_t n)
{
	bool tail = pages[i].flags & EXOTIC_PAGE_BLOCK_TAIL;
	int e = storm_base_refcount(slot->kind, tail);

	if (e < 0)
		return e;
	/* vm_insert_page(): one reference per PTE, on the head of a folio */
	if (slot->method == EXOTIC_MAP_PAGE) {
		if (slot->kind == EXOTIC_KIND_COMPOUND) {
			if (!tail)
				for (size_t j = i; j < n && j < i + (1ULL << slot->order); j++)
					e += pages[j].mapcount > 0 ? pages[j].mapcount : 0;
		} else {
			e += pages[i].mapcount > 0 ? pages[i].mapcount : 0;
		}
	}
	return e;
}

/*
 * Check every page of slot's region.  final: nothing runs any more, so an
 * anomaly counts at once; otherwise it must persist over PERSIST_POLLS
 * polls (KVM holds short-lived references while it faults pages in).
 */
static void check_refcounts(struct exotic_storm *s, struct storm_slot *slot,
			    bool final)
{
	size_t npages = slot->len / 4096;
	struct exotic_page *pages;
	uint32_t handle;
	int n;

	if (storm_base_refcount(slot->kind, false) < 0 || LOAD(slot->dead))
		return;
	pages = calloc(npages, sizeof(*pages));
	if (!pages)
		return;
	pthread_mutex_lock(&slot->lock);
	handle = exotic_region_handle(slot->region);
	n = exotic_region_query(slot->region, 0, pages, npages);
	pthread_mutex_unlock(&slot->lock);
	if (n < 0) {
		free(pages);
		return;
	}
	if (handle != slot->suspect_handle) {
		memset(slot->suspect, 0, npages);
		slot->suspect_handle = handle;
	}
	ADD(s->stats.pages_checked, (uint64_t)n);
	for (int i = 0; i < n; i++) {
		int e = expected_refcount(slot, pages, (size_t)i, (size_t)n);
		bool bad = e >= 0 && (pages[i].refcount != e ||
				      (pages[i].flags & EXOTIC_PAGE_ANOMALY));
		struct exotic_storm_finding f;

		if (!bad) {
			if (slot->suspect[i] != 0xff)
				slot->suspect[i] = 0;
			continue;
		}
		if (slot->suspect[i] == 0xff)
			continue;		/* reported already */
		if (!final && ++slot->suspect[i] < PERSIST_POLLS)
			continue;
		slot->suspect[i] = 0xff;
		f = (struct exotic_storm_finding){
			.property = EXOTIC_STORM_PROP_REFCOUNT, .vcpu = -1,
			.handle = handle, .offset = pages[i].offset,
			.pfn = pages[i].pfn, .event = ~0U,
		};
		add_finding(s, slot, &f,
			    "page refcount %d, expected %d (driver expects %d, mapcount %d) at region %u offset 0x%" PRIx64 " pfn 0x%" PRIx64 " (%s/%s)%s seed 0x%" PRIx64,
			    pages[i].refcount, e, pages[i].expected_refcount,
			    pages[i].mapcount, handle, (uint64_t)pages[i].offset, (uint64_t)pages[i].pfn,
			    exotic_kind_name(slot->kind), exotic_method_name(slot->method),
			    final ? " after the storm" : " during the storm", s->cfg.seed);
	}
	free(pages);
}

/* Retired pages whose poison was overwritten: written through a stale
 * translation. */
static void check_poison(struct exotic_storm *s, struct storm_slot *slot)
{
	struct exotic_page pages[64];
	uint64_t idx = 0;
	uint32_t handle;
	int n;

	pthread_mutex_lock(&slot->lock);
	handle = exotic_region_handle(slot->region);
	for (;;) {
		n = exotic_region_query_retired(slot->region, idx, pages, 64);
		if (n <= 0)
			break;
		for (int i = 0; i < n; i++) {
			struct exotic_storm_finding f = { .vcpu = -1 };
			uint64_t key = pages[i].pfn ^ (pages[i].epoch << 40);
			uint32_t h = 0;
			bool seen = false;

			if (pages[i].flags & EXOTIC_PAGE_POISON_OK)
				continue;
			for (unsigned int j = 0; j < s->npoison_reported; j++)
				seen |= s->poison_reported[j] == key;
			if (seen)
				continue;
			if (s->npoison_reported < 64)
				s->poison_reported[s->npoison_reported++] = key;
			f.property = poison_property(s, pages[i].epoch, &f.event, &h);
			f.handle = handle;
			f.offset = pages[i].offset;
			f.pfn = pages[i].pfn;
			f.epoch = pages[i].epoch;
			add_finding(s, slot, &f,
				    "retired page written after epoch %" PRIu64 " (%s) at region %u offset 0x%" PRIx64 " pfn 0x%" PRIx64 " (%s/%s) seed 0x%" PRIx64,
				    f.epoch, f.event == ~0U ? "free" : exotic_storm_event_name(f.event),
				    handle, f.offset, f.pfn, exotic_kind_name(slot->kind),
				    exotic_method_name(slot->method), s->cfg.seed);
		}
		idx += (uint64_t)n;
	}
	pthread_mutex_unlock(&slot->lock);
}

/*
 * The driver's free-time check of one revoked region: the pages it found
 * with a wrong refcount when the quarantine ended.  waited: the wait for
 * its quarantine is over, and one still running is a finding.  Consumes
 * the grave's reference.
 */
static void grave_check(struct exotic_storm *s, struct grave g, bool waited)
{
	struct exotic_region_info info = { 0 };
	struct exotic_storm_finding f = { .property = EXOTIC_STORM_PROP_REFCOUNT,
					  .vcpu = -1, .event = ~0U,
					  .handle = exotic_region_handle(g.region) };
	int ret = exotic_region_info(g.region, &info);

	if (ret) {
		f.property = EXOTIC_STORM_UNEXPECTED;
		f.err = ret;
		add_finding(s, &s->slots[g.slot], &f,
			    "region %u: INFO failed after its revoke: %s",
			    f.handle, strerror(-ret));
	} else if (info.quarantined && waited) {
		f.property = EXOTIC_STORM_UNEXPECTED;
		add_finding(s, &s->slots[g.slot], &f,
			    "region %u (%s/%s) was still in quarantine %u ms after the storm: its free-time refcount check never ran",
			    f.handle, exotic_kind_name(info.kind),
			    exotic_method_name(info.method), s->cfg.settle_ms);
	} else if (info.refcount_anomalies > g.anomalies_before) {
		add_finding(s, &s->slots[g.slot], &f,
			    "the driver found %" PRIu64 " page(s) with a wrong refcount when it freed region %u (%s/%s) seed 0x%" PRIx64,
			    (uint64_t)(info.refcount_anomalies - g.anomalies_before), f.handle,
			    exotic_kind_name(info.kind), exotic_method_name(info.method),
			    s->cfg.seed);
	}
	ADD(s->stats.graves_checked, 1);
	exotic_region_unref(g.region);
}

/* Revoked regions whose quarantine ended: the driver's free-time checks. */
static void drain_graves(struct exotic_storm *s, bool all)
{
	unsigned int i = 0;

	pthread_mutex_lock(&s->lock);
	while (i < s->ngraves) {
		struct grave g = s->graves[i];
		struct exotic_region_info info = { 0 };

		if (!all && !exotic_region_info(g.region, &info) && info.quarantined) {
			i++;
			continue;
		}
		memmove(&s->graves[i], &s->graves[i + 1],
			sizeof(s->graves[0]) * (s->ngraves - i - 1));
		s->ngraves--;
		pthread_mutex_unlock(&s->lock);
		grave_check(s, g, all);
		pthread_mutex_lock(&s->lock);
	}
	pthread_mutex_unlock(&s->lock);
}

static void poll_kmsg(struct exotic_storm *s)
{
	struct exotic_kmsg_finding k;
	char last[96];

	if (!s->kmsg)
		return;
	exotic_kmsg_watch_poll(s->kmsg, 0);
	pthread_mutex_lock(&s->lock);
	snprintf(last, sizeof(last), "%s", s->last_event);
	pthread_mutex_unlock(&s->lock);
	while (!exotic_kmsg_watch_get(s->kmsg, s->kmsg_seen, &k)) {
		struct exotic_storm_finding f = {
			.property = EXOTIC_STORM_PROP_KERNEL_LOG, .vcpu = -1,
			.event = ~0U,
		};

		s->kmsg_seen++;
		add_finding(s, NULL, &f, "kernel log (%s, phase %s, last event %s): %s",
			    exotic_kmsg_class_name(k.cls), k.phase,
			    last[0] ? last : "none", k.text);
		/* the phase the kernel logged it in, not the current one */
		pthread_mutex_lock(&s->lock);
		if (s->nfindings && s->nfindings <= MAX_FINDINGS)
			snprintf(s->findings[s->nfindings - 1].phase,
				 sizeof(f.phase), "%s", k.phase);
		pthread_mutex_unlock(&s->lock);
	}
}

static void collect_driver_counters(struct exotic_storm *s)
{
	uint64_t faults = 0, zaps = 0;

	for (unsigned int i = 0; i < s->nslots; i++) {
		struct exotic_region_info info = { 0 };

		pthread_mutex_lock(&s->slots[i].lock);
		if (!exotic_region_info(s->slots[i].region, &info)) {
			faults += info.faults;
			zaps += info.zaps;
		}
		pthread_mutex_unlock(&s->slots[i].lock);
	}
	STORE(s->stats.faults, faults);
	STORE(s->stats.zaps, zaps);
}

/* ------------------------------------------------------------- setup */

EXOTIC_EXPORT void exotic_storm_config_init(struct exotic_storm_config *cfg)
{
	struct timespec t;

	if (!cfg)
		return;
	memset(cfg, 0, sizeof(*cfg));
	clock_gettime(CLOCK_REALTIME, &t);
	cfg->seed = ((uint64_t)t.tv_sec << 20) ^ (uint64_t)t.tv_nsec;
	cfg->region_size = 2 * MIB;
	cfg->order = 2;
	cfg->vcpus = 2;
	cfg->event_threads = 1;
	cfg->duration_ms = 10000;
	for (int i = 0; i < EXOTIC_STORM_EV_MAX; i++)
		cfg->mix[i] = 1;
	cfg->mix[EXOTIC_STORM_EV_INVALIDATE] = 3;
	cfg->mix[EXOTIC_STORM_EV_MIGRATE] = 3;
	cfg->hold_us = 2000;
	cfg->gap_us = 2000;
	cfg->poll_ms = 100;
	cfg->settle_ms = 5000;
}

static int check_config(struct exotic_ctx *ctx, const struct exotic_storm_config *c)
{
	uint64_t mix = 0;

	for (int i = 0; i < EXOTIC_STORM_EV_MAX; i++)
		mix += c->mix[i];
	if (!c->region_size || c->region_size % (2 * MIB) || c->region_size > GIB / 4) {
		exotic_err(ctx, "storm: region size %#" PRIx64 " must be a non-zero multiple of 2 MiB up to 256 MiB\n",
			   c->region_size);
		return -EINVAL;
	}
	if (c->order > 9) {
		exotic_err(ctx, "storm: order %u: at most 9 (one 2 MiB block)\n", c->order);
		return -EINVAL;
	}
	if (!c->vcpus || c->vcpus > EXOTIC_VM_MAX_VCPUS) {
		exotic_err(ctx, "storm: %u vCPUs: 1..%u\n", c->vcpus, EXOTIC_VM_MAX_VCPUS);
		return -EINVAL;
	}
	if (c->writers > c->vcpus) {
		exotic_err(ctx, "storm: %u writers but only %u vCPUs\n", c->writers, c->vcpus);
		return -EINVAL;
	}
	if (c->event_threads > EXOTIC_STORM_MAX_THREADS) {
		exotic_err(ctx, "storm: %u event threads: at most %u\n", c->event_threads,
			   EXOTIC_STORM_MAX_THREADS);
		return -EINVAL;
	}
	if (c->event_threads && !mix) {
		exotic_err(ctx, "storm: every event weight is zero\n");
		return -EINVAL;
	}
	if (!c->duration_ms && !c->max_events) {
		bool bounded = c->event_threads > 0;

		for (unsigned int i = 0; i < c->event_threads; i++)
			bounded &= c->thread_events[i] > 0;
		if (!bounded) {
			exotic_err(ctx, "storm: unbounded: give a duration or an event count\n");
			return -EINVAL;
		}
	}
	if (c->flags & ~EXOTIC_STORM_FLAGS_ALL) {
		exotic_err(ctx, "storm: unknown flags %#x\n", c->flags & ~EXOTIC_STORM_FLAGS_ALL);
		return -EINVAL;
	}
	if (c->kinds & ~(((1U << (EXOTIC_KIND_MAX + 1)) - 1) & ~1U)) {
		exotic_err(ctx, "storm: unknown kinds in mask %#x\n", c->kinds);
		return -EINVAL;
	}
	if (c->methods & ~(((1U << (EXOTIC_MAP_MAX + 1)) - 1) & ~1U)) {
		exotic_err(ctx, "storm: unknown methods in mask %#x\n", c->methods);
		return -EINVAL;
	}
	if (c->profile && exotic_storm_expect(c->profile, EXOTIC_KIND_REFCOUNTED,
					      EXOTIC_MAP_REMAP, false) < 0) {
		exotic_err(ctx, "storm: unknown profile '%s' (stock, patched, upstream)\n",
			   c->profile);
		return -EINVAL;
	}
	return 0;
}

static void note_skip(struct exotic_storm *s, unsigned int kind, unsigned int method,
		      const char *why)
{
	size_t n = strlen(s->skipped);

	snprintf(s->skipped + n, sizeof(s->skipped) - n, "%s%s/%s: %s",
		 n ? "; " : "", exotic_kind_name(kind), exotic_method_name(method), why);
}

static int add_combo(struct exotic_storm *s, unsigned int kind, unsigned int method)
{
	struct storm_slot *slot = &s->slots[s->nslots];
	struct exotic_region *r = NULL;
	uint32_t order = 0;
	int head, tail, ret;

	if (kind != EXOTIC_KIND_REFCOUNTED)
		order = s->cfg.order;
	if (kind == EXOTIC_KIND_CARVEOUT)
		order = 0;
	if (method == EXOTIC_MAP_HUGE)
		order = 9;
	if (kind == EXOTIC_KIND_COMPOUND && !order)
		order = 1;
	/* what the driver refuses by construction (docs/design.md §3) */
	if (method == EXOTIC_MAP_PAGE && kind != EXOTIC_KIND_REFCOUNTED &&
	    kind != EXOTIC_KIND_COMPOUND) {
		note_skip(s, kind, method, "vm_insert_page() needs refcounted pages (the driver refuses it)");
		return 0;
	}
	if (method == EXOTIC_MAP_HUGE && kind == EXOTIC_KIND_REFCOUNTED) {
		note_skip(s, kind, method, "order-0 pages make no 2 MiB mapping");
		return 0;
	}
	head = exotic_storm_expect(s->profile, kind, method, false);
	tail = exotic_storm_expect(s->profile, kind, method, true);
	if ((head == EXOTIC_STORM_OUT_CRASH || tail == EXOTIC_STORM_OUT_CRASH) &&
	    !(s->cfg.flags & EXOTIC_STORM_KNOWN_BUGS)) {
		note_skip(s, kind, method, "the kernel oopses on it (known bug: --known-bugs runs it)");
		return 0;
	}
	if ((head == EXOTIC_STORM_OUT_LEAK || tail == EXOTIC_STORM_OUT_LEAK) &&
	    !(s->cfg.flags & EXOTIC_STORM_KNOWN_BUGS)) {
		note_skip(s, kind, method, "KVM leaks page references on it (known bug: --known-bugs runs it)");
		return 0;
	}
	if (method == EXOTIC_MAP_HUGE && kind != EXOTIC_KIND_COMPOUND &&
	    huge_needs_folio() && !(s->cfg.flags & EXOTIC_STORM_KNOWN_BUGS)) {
		note_skip(s, kind, method, "before 6.12 GUP-fast takes it for a THP and the tails' refcounts underflow (the driver refuses it without the unsafe flag; --known-bugs runs it)");
		return 0;
	}
	if (order && tail == EXOTIC_STORM_OUT_WARN && !(s->cfg.flags & EXOTIC_STORM_KNOWN_BUGS))
		/* order-0 blocks have no tail page to trip the known WARN */
		order = 0;
	memset(slot, 0, sizeof(*slot));
	slot->kind = kind;
	slot->method = method;
	slot->order = order;
	slot->len = s->cfg.region_size;
	slot->block = 4096ULL << order;
	slot->index = s->nslots;
	slot->gpa = SLOT_GPA_BASE + (uint64_t)s->nslots * s->cfg.region_size;
	slot->expect_head = head;
	slot->expect_tail = tail;
	/* the driver only hands out what oopses the kernel when told to */
	if (head == EXOTIC_STORM_OUT_CRASH || tail == EXOTIC_STORM_OUT_CRASH ||
	    (method == EXOTIC_MAP_HUGE && kind != EXOTIC_KIND_COMPOUND &&
	     huge_needs_folio()))
		slot->alloc_flags = EXOTIC_ALLOC_UNSAFE_DRIVER_BUG;
	ret = new_region(s, slot, &r);
	if (ret == -EPERM && slot->alloc_flags) {
		note_skip(s, kind, method, "known to oops the kernel: the driver needs unsafe_driver_bugs=1 to hand it out");
		return 0;
	}
	if (ret == -EINVAL || ret == -EOPNOTSUPP || ret == -ENODEV || ret == -EPERM) {
		note_skip(s, kind, method, ret == -EINVAL ? "the driver refuses it (unsafe by construction)" :
			  "the driver does not offer it here");
		return 0;
	}
	if (ret) {
		exotic_err(s->ctx, "storm: %s/%s: cannot allocate a region: %s\n",
			   exotic_kind_name(kind), exotic_method_name(method), exotic_strerror(ret));
		return ret;
	}
	ret = exotic_vm_add_region_slot(s->vm, slot->index, slot->gpa, r, 0);
	if (ret) {
		exotic_region_unref(r);
		return ret;
	}
	slot->suspect = calloc(slot->len / 4096, 1);
	if (!slot->suspect) {
		exotic_vm_delete_slot(s->vm, slot->index);
		exotic_region_unref(r);
		return -ENOMEM;
	}
	slot->region = r;
	slot->handle = exotic_region_handle(r);
	pthread_mutex_init(&slot->lock, NULL);
	s->plan_slots[s->nslots] = (struct storm_plan_slot){ .length = slot->len,
							     .block = slot->block };
	s->nslots++;
	return 0;
}

EXOTIC_EXPORT int exotic_storm_new(struct exotic_device *dev,
				   const struct exotic_storm_config *cfg,
				   struct exotic_storm **stormp)
{
	struct exotic_ctx *ctx = exotic_device_get_ctx(dev);
	struct exotic_storm *s;
	struct utsname u;
	int ret;

	if (!dev || !cfg || !stormp)
		return -EINVAL;
	*stormp = NULL;
	ret = check_config(ctx, cfg);
	if (ret)
		return ret;
	ret = exotic_kvm_available(ctx);
	if (ret)
		return ret;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->refcount = 1;
	s->ctx = exotic_ref(ctx);
	s->dev = exotic_device_ref(dev);
	s->cfg = *cfg;
	s->profile = cfg->profile ? cfg->profile : exotic_storm_profile_detect();
	pthread_mutex_init(&s->lock, NULL);
	snprintf(s->phase, sizeof(s->phase), "setup");
	if (!uname(&u))
		snprintf(s->kernel, sizeof(s->kernel), "%s %s", u.release, u.machine);
	s->slots = calloc(EXOTIC_VM_MAX_SLOTS, sizeof(*s->slots));
	s->plan_slots = calloc(EXOTIC_VM_MAX_SLOTS, sizeof(*s->plan_slots));
	s->vcpus = calloc(cfg->vcpus, sizeof(*s->vcpus));
	s->nevents = cfg->event_threads;
	s->events = calloc(s->nevents ? s->nevents : 1, sizeof(*s->events));
	if (!s->slots || !s->plan_slots || !s->vcpus || !s->events) {
		ret = -ENOMEM;
		goto err;
	}
	if (!(cfg->flags & EXOTIC_STORM_NO_KMSG)) {
		ret = exotic_kmsg_watch_new(ctx, NULL, 0, &s->kmsg);
		if (ret)
			exotic_warn(ctx, "storm: no kernel log oracle: %s\n", strerror(-ret));
		else
			exotic_kmsg_watch_set_phase(s->kmsg, "setup");
	}
	ret = exotic_vm_new(ctx, &s->vm);
	if (ret)
		goto err;
	for (unsigned int kind = 1; kind <= EXOTIC_KIND_MAX; kind++) {
		if (cfg->kinds && !(cfg->kinds & (1U << kind)))
			continue;
		for (unsigned int method = 1; method <= EXOTIC_MAP_MAX; method++) {
			if (cfg->methods && !(cfg->methods & (1U << method)))
				continue;
			if (s->nslots == EXOTIC_VM_MAX_SLOTS)
				break;
			if (s->cfg.region_size * (s->nslots + 1) > 2 * GIB) {
				note_skip(s, kind, method, "no guest address space left");
				continue;
			}
			ret = add_combo(s, kind, method);
			if (ret)
				goto err;
		}
	}
	if (!s->nslots) {
		exotic_err(ctx, "storm: no kind x method combination is left to run (%s)\n",
			   s->skipped[0] ? s->skipped : "none selected");
		ret = -ENODATA;
		goto err;
	}
	s->stats.slots = s->nslots;
	s->plan = (struct storm_plan){ .nslots = s->nslots, .slots = s->plan_slots,
				       .hold_us = cfg->hold_us, .gap_us = cfg->gap_us };
	memcpy(s->plan.mix, cfg->mix, sizeof(s->plan.mix));
	for (unsigned int i = 0; i < cfg->vcpus; i++) {
		struct vcpu_thread *v = &s->vcpus[i];

		v->storm = s;
		v->index = i;
		v->cur_slot = ~0U;
		v->writer = i >= cfg->vcpus - cfg->writers;
		ret = exotic_vcpu_new(s->vm, i, &v->vcpu);
		if (ret)
			goto err;
	}
	for (unsigned int i = 0; i < s->nevents; i++) {
		struct event_thread *t = &s->events[i];

		t->storm = s;
		t->index = i;
		t->hash = STORM_HASH_INIT;
		t->bound = cfg->thread_events[i] ? cfg->thread_events[i] : cfg->max_events;
		storm_prng_seed(&t->prng, cfg->seed, i);
		if (cfg->log_events) {
			t->log = calloc(cfg->log_events, sizeof(*t->log));
			if (!t->log) {
				ret = -ENOMEM;
				goto err;
			}
		}
	}
	exotic_info(ctx, "storm: seed 0x%" PRIx64 ", profile %s, %u slots, %u vCPUs, %u event threads\n",
		    cfg->seed, s->profile, s->nslots, cfg->vcpus, s->nevents);
	*stormp = s;
	return 0;
err:
	exotic_storm_unref(s);
	return ret;
}

EXOTIC_EXPORT struct exotic_storm *exotic_storm_unref(struct exotic_storm *s)
{
	if (!s || !exotic_refcount_put(&s->refcount))
		return NULL;
	for (unsigned int i = 0; i < s->cfg.vcpus && s->vcpus; i++)
		exotic_vcpu_unref(s->vcpus[i].vcpu);
	exotic_vm_unref(s->vm);
	for (unsigned int i = 0; i < s->nslots; i++) {
		exotic_region_unref(s->slots[i].region);
		free(s->slots[i].suspect);
		pthread_mutex_destroy(&s->slots[i].lock);
	}
	for (unsigned int i = 0; i < s->ngraves; i++)
		exotic_region_unref(s->graves[i].region);
	for (unsigned int i = 0; i < s->nevents && s->events; i++)
		free(s->events[i].log);
	exotic_kmsg_watch_unref(s->kmsg);
	free(s->events);
	free(s->vcpus);
	free(s->plan_slots);
	free(s->slots);
	pthread_mutex_destroy(&s->lock);
	exotic_device_unref(s->dev);
	exotic_unref(s->ctx);
	free(s);
	return NULL;
}

/* --------------------------------------------------------------- run */

static bool events_done(struct exotic_storm *s)
{
	if (!s->nevents)
		return false;
	for (unsigned int i = 0; i < s->nevents; i++) {
		struct event_thread *t = &s->events[i];

		if (!t->bound || LOAD(t->count) < t->bound)
			return false;
	}
	return true;
}

static void on_kick(int sig)
{
	(void)sig;
}

/*
 * Every guest program returns to the host within a pass, so a vCPU thread
 * that does not come back is stuck in KVM_RUN: say so, and interrupt it
 * with a signal (KVM_RUN returns EINTR).  Only then is a handler installed.
 */
static int join_vcpu(struct exotic_storm *s, struct vcpu_thread *v)
{
	struct sigaction sa = { .sa_handler = on_kick }, old;
	struct exotic_storm_finding f = { .property = EXOTIC_STORM_UNEXPECTED,
					  .vcpu = (int32_t)v->index, .event = ~0U };
	struct timespec deadline;
	int ret;

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += 20;
	ret = pthread_timedjoin_np(v->thread, NULL, &deadline);
	if (ret != ETIMEDOUT)
		return 0;
	{
		char ctx[200];

		vcpu_context(v, ctx, sizeof(ctx));
		add_finding(s, NULL, &f, "vcpu %u did not come back from KVM_RUN within 20 s of the end, %s; %s",
			    v->index, ctx, platform_suspect());
	}
	sigaction(SIGUSR2, &sa, &old);
	for (int tries = 0; tries < 10 && ret == ETIMEDOUT; tries++) {
		pthread_kill(v->thread, SIGUSR2);
		clock_gettime(CLOCK_REALTIME, &deadline);
		deadline.tv_sec += 1;
		ret = pthread_timedjoin_np(v->thread, NULL, &deadline);
	}
	sigaction(SIGUSR2, &old, NULL);
	if (ret == ETIMEDOUT) {
		/* cannot free what it uses: leak the storm rather than crash */
		exotic_storm_ref_leak(s);
		return -ETIMEDOUT;
	}
	return 0;
}

EXOTIC_EXPORT int exotic_storm_run(struct exotic_storm *s)
{
	uint64_t next_progress = 0, next_refcount = 0;
	unsigned int next_slot = 0;
	int ret = 0;

	if (!s)
		return -EINVAL;
	if (s->ran)
		return -EALREADY;
	s->ran = true;
	clock_gettime(CLOCK_MONOTONIC, &s->start);
	set_phase(s, "storm");
	for (unsigned int i = 0; i < s->cfg.vcpus; i++) {
		ret = -pthread_create(&s->vcpus[i].thread, NULL, vcpu_main, &s->vcpus[i]);
		if (ret)
			goto stop;
		s->vcpus[i].started = true;
	}
	for (unsigned int i = 0; i < s->nevents; i++) {
		ret = -pthread_create(&s->events[i].thread, NULL, event_main, &s->events[i]);
		if (ret)
			goto stop;
		s->events[i].started = true;
	}
	while (!stopping(s)) {
		uint64_t t = now_ms(&s->start);

		if (s->cfg.duration_ms && t >= s->cfg.duration_ms)
			break;
		if (events_done(s))
			break;
		poll_kmsg(s);
		if (t >= next_refcount) {
			/* a quarter of the slots per poll: each is seen every
			 * 4 polls, the guest keeps most of the CPU */
			for (unsigned int i = 0; i < (s->nslots + 3) / 4; i++) {
				struct storm_slot *slot = &s->slots[next_slot++ % s->nslots];

				check_refcounts(s, slot, false);
				check_poison(s, slot);
			}
			drain_graves(s, false);
			next_refcount = t + s->cfg.poll_ms;
		}
		if (s->cfg.progress && t >= next_progress) {
			struct exotic_storm_stats st;

			collect_driver_counters(s);
			exotic_storm_get_stats(s, &st);
			s->cfg.progress(s->cfg.progress_data, &st);
			next_progress = t + 500;
		}
		sleep_us(20000);
	}
stop:
	/* events first, so every slot is whole, then the vCPUs */
	set_phase(s, "drain");
	STORE(s->stop, 1);
	for (unsigned int i = 0; i < s->nevents; i++)
		if (s->events[i].started)
			pthread_join(s->events[i].thread, NULL);
	STORE(s->vcpus_stop, 1);
	for (unsigned int i = 0; i < s->cfg.vcpus; i++) {
		if (s->vcpus[i].started && join_vcpu(s, &s->vcpus[i]) && !ret)
			ret = -ETIMEDOUT;
	}
	s->elapsed_ms = now_ms(&s->start);
	/* quiet now: one exact check */
	set_phase(s, "final-check");
	for (unsigned int i = 0; i < s->nslots; i++) {
		check_refcounts(s, &s->slots[i], true);
		check_poison(s, &s->slots[i]);
	}
	collect_driver_counters(s);
	for (uint64_t t0 = now_ms(&s->start); s->ngraves &&
	     now_ms(&s->start) - t0 < s->cfg.settle_ms;) {
		drain_graves(s, false);
		if (s->ngraves)
			sleep_us(20000);
	}
	drain_graves(s, true);
	poll_kmsg(s);
	set_phase(s, "done");
	if (s->cfg.progress) {
		struct exotic_storm_stats st;

		exotic_storm_get_stats(s, &st);
		s->cfg.progress(s->cfg.progress_data, &st);
	}
	return ret;
}

EXOTIC_EXPORT void exotic_storm_stop(struct exotic_storm *s)
{
	if (s)
		STORE(s->stop, 1);
}

EXOTIC_EXPORT void exotic_storm_get_stats(struct exotic_storm *s,
					  struct exotic_storm_stats *st)
{
	if (!s || !st)
		return;
	pthread_mutex_lock(&s->lock);
	*st = s->stats;
	pthread_mutex_unlock(&s->lock);
	st->elapsed_ms = s->elapsed_ms ? s->elapsed_ms :
			 (s->ran ? now_ms(&s->start) : 0);
}

EXOTIC_EXPORT int exotic_storm_verdict(struct exotic_storm *s)
{
	struct exotic_storm_stats st;
	uint64_t bad = 0;

	if (!s)
		return -EINVAL;
	exotic_storm_get_stats(s, &st);
	for (int i = 0; i < EXOTIC_STORM_PROP_MAX; i++)
		bad += st.detections[i];
	return bad || st.unexpected ? 1 : 0;
}

EXOTIC_EXPORT uint64_t exotic_storm_seed(const struct exotic_storm *s)
{
	return s ? s->cfg.seed : 0;
}

EXOTIC_EXPORT const char *exotic_storm_profile(const struct exotic_storm *s)
{
	return s ? s->profile : NULL;
}

EXOTIC_EXPORT size_t exotic_storm_finding_count(struct exotic_storm *s)
{
	size_t n;

	if (!s)
		return 0;
	pthread_mutex_lock(&s->lock);
	n = s->nfindings;
	pthread_mutex_unlock(&s->lock);
	return n;
}

EXOTIC_EXPORT int exotic_storm_get_finding(struct exotic_storm *s, size_t i,
					   struct exotic_storm_finding *f)
{
	int ret = -ENOENT;

	if (!s || !f)
		return -EINVAL;
	pthread_mutex_lock(&s->lock);
	if (i < s->nfindings) {
		*f = s->findings[i];
		ret = 0;
	}
	pthread_mutex_unlock(&s->lock);
	return ret;
}

EXOTIC_EXPORT int exotic_storm_event_hash(struct exotic_storm *s, unsigned int t,
					  uint64_t *count, uint64_t *hash)
{
	if (!s || t >= s->nevents)
		return -EINVAL;
	if (count)
		*count = LOAD(s->events[t].count);
	if (hash)
		*hash = s->events[t].hash;
	return 0;
}

EXOTIC_EXPORT int exotic_storm_event_log(struct exotic_storm *s, unsigned int t,
					 struct exotic_storm_event_rec *recs,
					 size_t n)
{
	struct event_thread *e;

	if (!s || t >= s->nevents || (n && !recs))
		return -EINVAL;
	e = &s->events[t];
	if (n > e->nlog)
		n = e->nlog;
	if (n)
		memcpy(recs, e->log, n * sizeof(*recs));
	return (int)n;
}

/* For storm_report.c. */
#include "storm_report.h"

void storm_report_info(struct exotic_storm *s, struct storm_report *r)
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
}

int storm_report_slot(struct exotic_storm *s, unsigned int i,
		      struct storm_report_slot *out)
{
	struct storm_slot *slot;

	if (i >= s->nslots)
		return -ENOENT;
	slot = &s->slots[i];
	*out = (struct storm_report_slot){
		.kind = slot->kind, .method = slot->method, .order = slot->order,
		.expect_head = slot->expect_head, .expect_tail = slot->expect_tail,
		.accesses = LOAD(slot->accesses), .efault_tail = LOAD(slot->efault_tail),
		.disturbed = LOAD(slot->disturbed), .detections = LOAD(slot->detections),
		.unexpected = LOAD(slot->unexpected), .races = LOAD(slot->races),
	};
	return 0;
}
