// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The storm's vCPUs: each runs the walk program over the slots, checks
 * every stamp, and judges each failure: expected on the profile, while an
 * event disturbed the slot (retried once the event is over), KVM's lookup
 * race, or unexpected.
 */
#include <errno.h>
#include <inttypes.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "storm_engine.h"

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

void storm_vcpu_unexpected(struct vcpu_thread *v, struct storm_slot *slot,
			   uint64_t gpa, int err, const char *what)
{
	struct exotic_storm_finding f = {
		.property = EXOTIC_STORM_UNEXPECTED, .vcpu = (int32_t)v->index,
		.offset = slot && gpa >= slot->gpa ? gpa - slot->gpa : gpa,
		.event = ~0U, .err = err,
	};

	storm_add_finding(v->storm, slot, &f, "vcpu %u: %s at gpa 0x%" PRIx64 "%s%s%s",
		    v->index, what, gpa, slot ? " (" : "",
		    slot ? slot_kind_name(slot) : "",
		    slot ? ")" : "");
}

void storm_vcpu_poison(struct vcpu_thread *v, struct storm_slot *slot,
		       uint64_t gpa, uint64_t epoch, uint64_t done)
{
	struct exotic_storm *s = v->storm;
	struct exotic_storm_finding f = {
		.vcpu = (int32_t)v->index, .epoch = epoch, .done_epoch = done,
	};
	uint32_t handle = 0;

	f.property = storm_poison_property(s, epoch, &f.event, &handle);
	f.offset = slot ? gpa - slot->gpa : 0;
	f.handle = handle;
	if (handle)
		f.pfn = storm_retired_pfn(s, handle, f.offset, epoch);
	storm_add_finding(s, slot, &f,
		    "vcpu %u read poison of epoch %" PRIu64 " (%s, done %" PRIu64
		    ") at region %u offset 0x%" PRIx64 " pfn 0x%" PRIx64 " (%s/%s) seed 0x%" PRIx64,
		    v->index, epoch,
		    f.event == ~0U ? "free" : exotic_event_name(f.event),
		    f.done_epoch, f.handle, f.offset, f.pfn,
		    slot ? slot_kind_name(slot) : "?",
		    slot ? slot_method_name(slot) : "?", s->cfg.seed);
}

/* Was slot disturbed since (seq, wseq) were read? */
bool storm_disturbed(struct vcpu_thread *v, struct storm_slot *slot,
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
const char *storm_platform_suspect(void)
{
	const char *vm = getenv("EXOTIC_TEST_VM");

	if (vm && strstr(vm, "tcg") && !strstr(vm, "thread=single"))
		return "suspect: QEMU's multi-threaded TCG emulation of nested paging (docs/test-vm.md)";
	if (vm && strstr(vm, "tcg"))
		return "suspect: KVM, or QEMU's TCG emulation of SVM";
	return "suspect: KVM or the CPU";
}

/* What vCPU v was doing, for a report: "reading slot 3 (carveout/fault)
 * at gpa 0x...; last event: ..." */
void storm_vcpu_context(struct vcpu_thread *v, char *buf, size_t len)
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
	snprintf(buf, len, "%s%s slot %u (%s/%s) at gpa 0x%" PRIx64 "; last event: %s",
		 v->writer ? "writing" : "reading",
		 v->path == EXOTIC_PATH_NPF ? "" : v->path == EXOTIC_PATH_NESTED_TDP ?
		 " (nested-tdp)" : v->path == EXOTIC_PATH_PVCLOCK ? " (pvclock)" : " (steal-time)", i,
		 slot_kind_name(&s->slots[i]), slot_method_name(&s->slots[i]),
		 LOAD(v->cur_gpa), last);
}

/*
 * An access to gpa failed while an event had the slot disturbed (deleted,
 * revoked, unmapped, read-only for writers).  That is expected only while
 * the event lasts: wait for it to end (events hold the slot's lock from
 * start to end) and retry the same access, which is then judged afresh.
 * storm_wait_event() returns false if the slot is lost or the vCPUs stop.
 */
bool storm_wait_event(struct vcpu_thread *v, struct storm_slot *slot,
		      uint64_t *seq, uint64_t *wseq)
{
	pthread_mutex_lock(&slot->lock);
	*seq = LOAD(slot->seq);
	*wseq = LOAD(slot->wseq);
	pthread_mutex_unlock(&slot->lock);
	return !LOAD(slot->dead) && !LOAD(v->storm->vcpus_stop);
}

/* Go on from gpa in the slot: false (reported) if that cannot be. */
static bool reload(struct vcpu_thread *v, struct storm_slot *slot, uint64_t gpa)
{
	int ret;

	STORE(v->cur_gpa, gpa);
	ret = load_program(v, slot, gpa);
	if (ret)
		storm_vcpu_unexpected(v, slot, gpa, ret, "cannot reload the guest program");
	return !ret;
}

static bool retry_after_event(struct vcpu_thread *v, struct storm_slot *slot,
			      uint64_t gpa, uint64_t *seq, uint64_t *wseq)
{
	return storm_wait_event(v, slot, seq, wseq) && reload(v, slot, gpa);
}

/* ok words verified (or written), others read that held poison */
static void count_words(struct vcpu_thread *v, struct storm_slot *slot,
			uint64_t ok, uint64_t others)
{
	uint64_t n = ok + (v->writer ? 0 : others);

	ADD(v->storm->stats.accesses, n);
	ADD(v->storm->stats.path_accesses[EXOTIC_PATH_NPF], n);
	ADD(slot->accesses, ok);
}

/*
 * KVM_RUN failed with EFAULT on gpa, a page of slot, in an access that began
 * with the slot's counts at seq, wseq and zseq; progress: the access made
 * some before it failed (so the run of lookup races starts again).  Counts
 * and returns what it was; reports what is unexpected.
 */
enum storm_efault storm_judge_efault(struct vcpu_thread *v, struct storm_slot *slot,
				     uint64_t gpa, uint64_t seq, uint64_t wseq,
				     uint64_t zseq, bool progress, unsigned int *races)
{
	struct exotic_storm *s = v->storm;
	uint64_t off = gpa - slot->gpa;
	bool tail = (off / 4096) & ((1ULL << slot->order) - 1);
	int expect = tail ? slot->expect_tail : slot->expect_head;
	bool maps = expect != EXOTIC_OUT_EFAULT && expect != EXOTIC_OUT_ANY &&
		    !(slot->method == EXOTIC_MAP_HUGE && expect == EXOTIC_OUT_REFCOUNT);
	char buf[200];

	if (storm_disturbed(v, slot, seq, wseq)) {
		ADD(s->stats.expected_disturbed, 1);
		ADD(slot->disturbed, 1);
		return STORM_EF_DISTURBED;
	}
	if (maps && storm_pfnmap_race(s->profile, slot->method) &&
	    zap_covered(slot, zseq, off)) {
		/*
		 * KVM's lookup race (storm_plan.c): a known bug, counted; the
		 * page must map when the access is retried after the
		 * invalidation.
		 */
		ADD(s->stats.known_race_efault, 1);
		ADD(slot->races, 1);
		*races = progress ? 1 : *races + 1;
		if (*races <= RACE_RETRIES)
			return STORM_EF_RACE;
		snprintf(buf, sizeof(buf),
			 "KVM_RUN EFAULT %u times in a row on a %s page the %s profile maps (%s/%s), each during an invalidation of it",
			 *races, tail ? "tail" : "head", s->profile,
			 slot_kind_name(slot), slot_method_name(slot));
		storm_vcpu_unexpected(v, slot, gpa, -EFAULT, buf);
		return STORM_EF_UNEXPECTED;
	}
	if (maps) {
		snprintf(buf, sizeof(buf),
			 "KVM_RUN EFAULT on a %s page the %s profile maps (%s/%s order %u)",
			 tail ? "tail" : "head", s->profile, slot_kind_name(slot),
			 slot_method_name(slot), slot->order);
		storm_vcpu_unexpected(v, slot, gpa, -EFAULT, buf);
		return STORM_EF_UNEXPECTED;
	}
	ADD(s->stats.expected_efault, 1);
	ADD(slot->efault_tail, 1);
	return STORM_EF_EXPECTED;
}

/* What a pass does after one KVM_RUN: run again, end, or end and pause. */
enum pass_step { PASS_RUN, PASS_DONE, PASS_PAUSE };

/* One pass over a slot: the slot's event counts it began with, and more */
struct pass {
	uint64_t seq, wseq;	/* when the pass (or its last retry) began */
	uint64_t zseq;		/* at this KVM_RUN */
	unsigned int refused;	/* expected refusals in a row */
	unsigned int races;	/* KVM lookup races in a row */
};

/* KVM_RUN failed with EFAULT at the access exit records. */
static enum pass_step pass_efault(struct vcpu_thread *v, struct storm_slot *slot,
				  struct pass *p, const struct exotic_exit *exit)
{
	uint64_t gpa = exit->access_gpa, off, next;
	enum storm_efault verdict;
	bool tail;

	if (gpa < slot->gpa || gpa >= slot->gpa + slot->len) {
		storm_vcpu_unexpected(v, slot, gpa, -EFAULT, "KVM_RUN EFAULT outside the slot walked");
		return PASS_PAUSE;
	}
	off = gpa - slot->gpa;
	tail = (off / 4096) & ((1ULL << slot->order) - 1);
	verdict = storm_judge_efault(v, slot, gpa, p->seq, p->wseq, p->zseq,
				     exit->progress[0] > 0, &p->races);
	if (verdict == STORM_EF_DISTURBED)
		return retry_after_event(v, slot, gpa, &p->seq, &p->wseq) ? PASS_RUN : PASS_DONE;
	if (verdict == STORM_EF_UNEXPECTED)
		return PASS_PAUSE;
	/* what the program had done so far: ok, in flight, found */
	count_words(v, slot, exit->progress[0], exit->progress[1] + exit->progress[2]);
	if (verdict == STORM_EF_RACE)
		return reload(v, slot, gpa) ? PASS_RUN : PASS_PAUSE;
	/*
	 * Go on after the refused word.  KVM refuses the same pages every
	 * time, so probe one tail per block and stop the pass after a run of
	 * refusals: the vCPU's time is worth more on memory that maps.
	 */
	p->refused = exit->progress[0] ? 1 : p->refused + 1;
	if (p->refused >= REFUSED_RUN)
		return PASS_DONE;
	next = gpa + STRIDE;
	if (tail)
		next = slot->gpa + ((off / slot->block) + 1) * slot->block;
	if (next >= slot->gpa + slot->len)
		return PASS_DONE;
	return reload(v, slot, next) ? PASS_RUN : PASS_PAUSE;
}

/* KVM_RUN returned to userspace: a ucall of the program, or an exit. */
static enum pass_step pass_exit(struct vcpu_thread *v, struct storm_slot *slot,
				struct pass *p, const struct exotic_exit *exit)
{
	struct exotic_storm *s = v->storm;
	char buf[160];

	if (exit->reason < EXOTIC_STORM_MAX_EXIT)
		ADD(s->stats.exits[exit->reason], 1);
	switch (exit->ucall) {
	case EXOTIC_UCALL_DONE:
		count_words(v, slot, exit->args[0], exit->args[1] + exit->args[2]);
		if (!v->writer)
			ADD(s->stats.inflight_poison, exit->args[1]);
		return PASS_DONE;
	case EXOTIC_UCALL_SYNC:
		return PASS_RUN;
	case EXOTIC_UCALL_POISON:
		storm_vcpu_poison(v, slot, exit->args[0], exit->args[1], exit->args[2]);
		return PASS_RUN;
	case EXOTIC_UCALL_ASSERT:
		storm_vcpu_unexpected(v, slot, exit->args[0], 0,
				      exotic_exit_describe(exit, buf, sizeof(buf)));
		return PASS_PAUSE;
	case EXOTIC_UCALL_NONE:
		break;
	default:
		storm_vcpu_unexpected(v, slot, exit->args[2], 0,
				      exotic_exit_describe(exit, buf, sizeof(buf)));
		return PASS_PAUSE;
	}
	if (exit->reason == KVM_EXIT_MMIO && storm_disturbed(v, slot, p->seq, p->wseq) &&
	    exit->mmio_addr >= slot->gpa && exit->mmio_addr < slot->gpa + slot->len) {
		/* the slot was deleted, or read-only for a writer */
		ADD(s->stats.expected_disturbed, 1);
		ADD(slot->disturbed, 1);
		return retry_after_event(v, slot, exit->mmio_addr & ~(STRIDE - 1),
					 &p->seq, &p->wseq) ? PASS_RUN : PASS_DONE;
	}
	if (exit->reason == KVM_EXIT_SHUTDOWN) {
		char ctx[200], msg[sizeof(((struct exotic_storm_finding *)0)->what)];

		storm_vcpu_context(v, ctx, sizeof(ctx));
		snprintf(msg, sizeof(msg), "triple fault (exit shutdown) %s; %s",
			 ctx, storm_platform_suspect());
		storm_vcpu_unexpected(v, slot, LOAD(v->cur_gpa), 0, msg);
		return PASS_PAUSE;
	}
	storm_vcpu_unexpected(v, slot, exit->mmio_addr, 0,
			      exotic_exit_describe(exit, buf, sizeof(buf)));
	return PASS_PAUSE;
}

/* Walk (or write) one slot once.  Returns false to pause briefly. */
static bool vcpu_pass(struct vcpu_thread *v, struct storm_slot *slot)
{
	struct exotic_storm *s = v->storm;
	struct pass p = { .seq = LOAD(slot->seq), .wseq = LOAD(slot->wseq) };
	enum pass_step step = PASS_RUN;
	struct exotic_exit exit;
	int ret;

	if ((p.seq & 1) || (v->writer && (p.wseq & 1)) || LOAD(slot->dead))
		return false;
	STORE(v->cur_slot, slot->index);
	STORE(v->cur_gpa, slot->gpa);
	ret = load_program(v, slot, slot->gpa);
	if (ret) {
		storm_vcpu_unexpected(v, slot, slot->gpa, ret, "cannot load the guest program");
		return false;
	}
	while (step == PASS_RUN && !LOAD(s->vcpus_stop)) {
		p.zseq = LOAD(slot->zseq);
		ret = exotic_vcpu_run(v->vcpu, &exit);
		ADD(s->stats.runs, 1);
		if (ret == -EINTR)
			continue;
		if (ret < 0 && -ret < EXOTIC_STORM_MAX_ERRNO)
			ADD(s->stats.run_errors[-ret], 1);
		if (ret == -EFAULT) {
			step = pass_efault(v, slot, &p, &exit);
		} else if (ret < 0) {
			storm_vcpu_unexpected(v, slot, 0, ret, strerror(-ret));
			step = PASS_PAUSE;
		} else {
			step = pass_exit(v, slot, &p, &exit);
		}
	}
	return step != PASS_PAUSE;
}

void *storm_vcpu_main(void *arg)
{
	struct vcpu_thread *v = arg;
	struct exotic_storm *s = v->storm;
	unsigned int i = v->index * s->nslots / (s->cfg.vcpus ? s->cfg.vcpus : 1);

	while (!LOAD(s->vcpus_stop)) {
		struct storm_slot *slot = &s->slots[i++ % s->nslots];
		bool ok;

		switch (v->path) {
		case EXOTIC_PATH_NESTED_TDP:
			ok = storm_nested_pass(v, slot);
			break;
		case EXOTIC_PATH_PVCLOCK:
		case EXOTIC_PATH_STEAL_TIME:
			ok = storm_record_pass(v, slot);
			break;
		default:
			ok = vcpu_pass(v, slot);
			break;
		}
		if (!ok)
			sleep_us(200);
	}
	return NULL;
}
