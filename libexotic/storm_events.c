// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The storm's event threads: each draws events from the plan
 * (storm_plan.c) and applies them to a slot under the slot's lock:
 * invalidate, migrate, replace (revoke and re-allocate), delete and re-add
 * the memslot, unmap and re-map, mprotect, fork.  The anonymous slot takes
 * invalidate only, as MADV_DONTNEED.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "storm_engine.h"

static int fill_region(struct exotic_storm *s, struct storm_slot *slot,
		       struct exotic_region *r)
{
	void *hva = exotic_region_addr(r);

	if (!hva)
		return -EINVAL;
	exotic_guest_fill(hva, slot->gpa, slot->len, STRIDE, s->cfg.seed);
	return 0;
}

int storm_new_region(struct exotic_storm *s, struct storm_slot *slot,
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

/*
 * Keep a revoked region until its quarantine ended, for the driver's
 * free-time check (storm_drain_graves()).  The graveyard is bounded (its regions
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
		storm_grave_check(s, oldest, true);
	}
}

/* Put a fresh region behind slot (memslot replaced).  slot->lock held. */
static int replace_region(struct exotic_storm *s, struct storm_slot *slot,
			  struct exotic_region **fresh)
{
	int ret = storm_new_region(s, slot, fresh);

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

/*
 * A slot an event took away and could not give back: its vCPUs stop using
 * it (slot->dead), and the run reports it, whatever the errno.
 */
static void lose_slot(struct exotic_storm *s, struct storm_slot *slot,
		      const struct exotic_storm_event_rec *ev, int err,
		      const char *why)
{
	struct exotic_storm_finding f = {
		.property = EXOTIC_STORM_UNEXPECTED, .vcpu = -1,
		.event = ev->type, .err = err,
	};

	STORE(slot->dead, 1);
	storm_add_finding(s, slot, &f, "slot %u lost: %s: %s", slot->index, why,
			  strerror(-err));
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
	storm_epoch_begin(s, t);
	ret = exotic_region_revoke(old, &epoch);
	storm_epoch_end(s, t, ret ? 0 : epoch, ev, exotic_region_handle(old));
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
		lose_slot(s, slot, ev, ret, "cannot put a new region behind it");
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

/*
 * Half of an event that takes something from the slot's vCPUs for the
 * event's hold and gives it back: the memslot (slot), the mapping, as a VMM
 * unmapping the region and mapping it again at the same address (remap),
 * or write access (mprotect: the vCPUs that write must see it and survive).
 */
static int hold_step(struct exotic_storm *s, struct storm_slot *slot,
		     unsigned int type, bool give)
{
	switch (type) {
	case EXOTIC_EV_SLOT:
		if (give)
			return exotic_vm_add_region_slot(s->vm, slot->index, slot->gpa,
							 slot->region, 0);
		return exotic_vm_delete_slot(s->vm, slot->index);
	case EXOTIC_EV_REMAP:
		return give ? exotic_region_unpark(slot->region) :
			      exotic_region_park(slot->region);
	case EXOTIC_EV_MPROTECT:
		return exotic_region_protect(slot->region,
					     give ? PROT_READ | PROT_WRITE : PROT_READ);
	default:
		return -EINVAL;
	}
}

static const char *const hold_lost[] = {
	[EXOTIC_EV_SLOT] = "cannot add its memslot back",
	[EXOTIC_EV_REMAP] = "cannot map its region again",
	[EXOTIC_EV_MPROTECT] = "cannot make its mapping writable again",
};

int storm_hold_event(struct exotic_storm *s, struct storm_slot *slot,
		     const struct exotic_storm_event_rec *ev)
{
	/* read-only disturbs only the vCPUs that write */
	uint64_t *seq = ev->type == EXOTIC_EV_MPROTECT ? &slot->wseq : &slot->seq;
	int ret;

	disturb(seq);
	ret = hold_step(s, slot, ev->type, false);
	if (!ret) {
		sleep_us(ev->hold_us);
		ret = hold_step(s, slot, ev->type, true);
		if (ret) {
			lose_slot(s, slot, ev, ret, hold_lost[ev->type]);
			ret = 0;
		}
	}
	disturb(seq);
	return ret;
}

/*
 * The child of ev_fork(): close every fd it inherited (KVM's, the
 * device's: its copy of the mapping still holds the file), then read the
 * first word of each page through its copy of the mapping, if it has one.
 * Poison of an epoch at or below done (every event up to it had returned
 * before the fork) is written to the pipe as { epoch, offset }.
 */
static int fork_child(const uint8_t *addr, uint64_t len, bool copied, uint64_t done,
		      int report)
{
	uint64_t hit[2], n = 0;

	for (int fd = 3; fd < 1024; fd++)
		if (fd != report)
			close(fd);
	for (uint64_t off = 0; copied && off < len; off += 4096, n++) {
		struct exotic_poison p;

		memcpy(&p, addr + off, sizeof(p));
		if (p.magic == EXOTIC_POISON_MAGIC && p.epoch <= done) {
			hit[0] = p.epoch;
			hit[1] = off;
			return write(report, hit, sizeof(hit)) == sizeof(hit) ? 0 : 3;
		}
	}
	hit[0] = 0;
	hit[1] = n;
	return write(report, hit, sizeof(hit)) == sizeof(hit) ? 0 : 3;
}

/*
 * A VMM forking (a helper, a migration stream) while its vCPUs run: the
 * child has the slot's mapping only where MADV_DOFORK is let through (the
 * driver's mappings are VM_DONTCOPY; the kernel refuses DOFORK on
 * VM_PFNMAP/VM_IO ones), reads it, closes its fds and exits, and no page
 * may read poison of an event that had returned before the fork.  A
 * child's read that faults kills it: a live region must read.
 */
static int ev_fork(struct exotic_storm *s, struct storm_slot *slot)
{
	bool copied = !exotic_region_advise(slot->region, MADV_DOFORK);
	const uint8_t *addr = exotic_region_addr(slot->region);
	uint64_t done, hit[2] = { 0, 0 };
	int pipefd[2], status, ret = 0;
	ssize_t n;
	pid_t pid;

	pthread_mutex_lock(&s->lock);
	done = s->published;
	pthread_mutex_unlock(&s->lock);
	if (pipe2(pipefd, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (!pid)
		_exit(fork_child(addr, slot->len, copied, done, pipefd[1]));
	close(pipefd[1]);
	if (pid < 0) {
		ret = -errno;
		close(pipefd[0]);
		return ret;
	}
	do
		n = read(pipefd[0], hit, sizeof(hit));
	while (n < 0 && errno == EINTR);
	close(pipefd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (copied)
		exotic_region_advise(slot->region, MADV_DONTFORK);
	if (n == sizeof(hit) && hit[0]) {
		struct exotic_storm_finding f = {
			.vcpu = -1, .epoch = hit[0], .done_epoch = done, .offset = hit[1],
		};
		uint32_t handle = 0;

		ADD(s->stats.fork_poison, 1);
		f.property = storm_poison_property(s, hit[0], &f.event, &handle);
		f.handle = handle;
		storm_add_finding(s, slot, &f,
			    "a fork child read poison of epoch %" PRIu64 " (%s, done %" PRIu64
			    " before the fork) at region %u offset 0x%" PRIx64 " (%s/%s) seed 0x%" PRIx64,
			    hit[0], f.event == ~0U ? "free" : exotic_event_name(f.event), done,
			    handle, hit[1], slot_kind_name(slot),
			    slot_method_name(slot), s->cfg.seed);
	} else if (n == sizeof(hit) && WIFEXITED(status) && !WEXITSTATUS(status)) {
		ADD(s->stats.fork_pages, hit[1]);
	} else {
		struct exotic_storm_finding f = {
			.property = EXOTIC_STORM_UNEXPECTED, .vcpu = -1, .event = EXOTIC_EV_FORK,
		};

		storm_add_finding(s, slot, &f, "a fork child reading slot %u (%s/%s)%s died: status %#x",
			    slot->index, slot_kind_name(slot),
			    slot_method_name(slot),
			    copied ? " through its copy of the mapping" : "", status);
	}
	return 0;
}

/* MADV_DONTNEED: the kernel drops the page table entries, KVM's MMU
 * notifier its mappings; the shared memory keeps the stamps */
static int anon_invalidate(struct storm_slot *slot,
			   const struct exotic_storm_event_rec *ev)
{
	if (ev->offset > slot->len || ev->length > slot->len - ev->offset)
		return -EINVAL;
	if (madvise((char *)slot->anon + ev->offset, ev->length, MADV_DONTNEED))
		return -errno;
	return 0;
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
		 exotic_event_name(ev->type), slot->index,
		 slot_kind_name(slot), slot_method_name(slot),
		 ev->offset, ev->length);
	pthread_mutex_unlock(&s->lock);
	if (slot->anon && ev->type != EXOTIC_EV_INVALIDATE) {
		/* the plan never draws one (STORM_ANON_EVENTS) */
		ret = -EOPNOTSUPP;
		goto out;
	}
	switch (ev->type) {
	case EXOTIC_EV_INVALIDATE:
	case EXOTIC_EV_MIGRATE:
		STORE(slot->zseq, storm_zap_begin(slot->zaps, slot->zseq,
						  ev->offset, ev->length,
						  slot->method == EXOTIC_MAP_HUGE ?
						  2 * MIB : 4096));
		storm_epoch_begin(s, t);
		if (slot->anon)
			ret = anon_invalidate(slot, ev);
		else if (ev->type == EXOTIC_EV_MIGRATE)
			ret = exotic_region_migrate(slot->region, ev->offset, ev->length, &epoch);
		else
			ret = exotic_region_invalidate(slot->region, ev->offset, ev->length, &epoch);
		storm_epoch_end(s, t, ret ? 0 : epoch, ev, LOAD(slot->handle));
		STORE(slot->zseq, slot->zseq + 1);
		break;
	case EXOTIC_EV_REPLACE:
		ret = ev_replace(s, t, slot, ev);
		break;
	case EXOTIC_EV_FORK:
		ret = ev_fork(s, slot);
		break;
	case EXOTIC_EV_SLOT:
	case EXOTIC_EV_REMAP:
	case EXOTIC_EV_MPROTECT:
		ret = storm_hold_event(s, slot, ev);
		break;
	default:
		ret = -EINVAL;
		break;
	}
out:
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
		storm_add_finding(s, slot, &f, "event %s on slot %u +0x%" PRIx64 "/0x%" PRIx64 " failed: %s",
			    exotic_event_name(ev->type), slot->index,
			    ev->offset, ev->length, strerror(-ret));
	}
	return ret;
}

void *storm_event_main(void *arg)
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
