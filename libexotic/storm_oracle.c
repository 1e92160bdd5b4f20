// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The storm's oracles that the run polls: refcounts of the live regions,
 * the driver's poison check and free-time checks of the retired ones (the
 * graveyard), and the kernel log.
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
#include <time.h>
#include <unistd.h>

#include "pageref.h"
#include "storm_engine.h"

/*
 * Check every page of slot's region.  final: nothing runs any more, so an
 * anomaly counts at once; otherwise it must persist over PERSIST_POLLS
 * polls (KVM holds short-lived references while it faults pages in).
 */
void storm_check_refcounts(struct exotic_storm *s, struct storm_slot *slot,
			    bool final)
{
	size_t npages = slot->len / 4096;
	struct exotic_page *pages;
	uint32_t handle;
	int n;

	if (slot->anon || pageref_base(slot->kind, false) < 0 || LOAD(slot->dead))
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
		int e = pageref_expected(slot->kind, slot->method, slot->order,
					 pages, (size_t)i, (size_t)n);
		/* the kit's rule decides, on the driver's facts */
		bool bad = e >= 0 && pages[i].refcount != e;
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
		storm_add_finding(s, slot, &f,
			    "page refcount %d, expected %d (mapcount %d) at region %u offset 0x%" PRIx64 " pfn 0x%" PRIx64 " (%s/%s)%s seed 0x%" PRIx64,
			    pages[i].refcount, e, pages[i].mapcount, handle, (uint64_t)pages[i].offset, (uint64_t)pages[i].pfn,
			    slot_kind_name(slot), slot_method_name(slot),
			    final ? " after the storm" : " during the storm", s->cfg.seed);
	}
	free(pages);
}

/* Retired pages whose poison was overwritten: written through a stale
 * translation. */
void storm_check_poison(struct exotic_storm *s, struct storm_slot *slot)
{
	struct exotic_page pages[64];
	uint64_t idx = 0;
	uint32_t handle;
	int n;

	if (slot->anon)		/* nothing is retired: nothing to poison */
		return;
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
			f.property = storm_poison_property(s, pages[i].epoch, &f.event, &h);
			f.handle = handle;
			f.offset = pages[i].offset;
			f.pfn = pages[i].pfn;
			f.epoch = pages[i].epoch;
			storm_add_finding(s, slot, &f,
				    "retired page written after epoch %" PRIu64 " (%s) at region %u offset 0x%" PRIx64 " pfn 0x%" PRIx64 " (%s/%s) seed 0x%" PRIx64,
				    f.epoch, f.event == ~0U ? "free" : exotic_event_name(f.event),
				    handle, f.offset, f.pfn, slot_kind_name(slot),
				    slot_method_name(slot), s->cfg.seed);
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
void storm_grave_check(struct exotic_storm *s, struct grave g, bool waited)
{
	struct exotic_region_info info = { 0 };
	struct exotic_storm_finding f = { .property = EXOTIC_STORM_PROP_REFCOUNT,
					  .vcpu = -1, .event = ~0U,
					  .handle = exotic_region_handle(g.region) };
	int ret = exotic_region_info(g.region, &info);

	if (ret) {
		f.property = EXOTIC_STORM_UNEXPECTED;
		f.err = ret;
		storm_add_finding(s, &s->slots[g.slot], &f,
			    "region %u: INFO failed after its revoke: %s",
			    f.handle, strerror(-ret));
	} else if (info.quarantined && waited) {
		f.property = EXOTIC_STORM_UNEXPECTED;
		storm_add_finding(s, &s->slots[g.slot], &f,
			    "region %u (%s/%s) was still in quarantine %u ms after the storm: its free-time refcount check never ran",
			    f.handle, exotic_kind_name(info.kind),
			    exotic_method_name(info.method), s->cfg.settle_ms);
	} else if (info.refcount_anomalies > g.anomalies_before) {
		storm_add_finding(s, &s->slots[g.slot], &f,
			    "the driver found %" PRIu64 " page(s) with a wrong refcount when it freed region %u (%s/%s) seed 0x%" PRIx64,
			    (uint64_t)(info.refcount_anomalies - g.anomalies_before), f.handle,
			    exotic_kind_name(info.kind), exotic_method_name(info.method),
			    s->cfg.seed);
	}
	ADD(s->stats.graves_checked, 1);
	exotic_region_unref(g.region);
}

/* Revoked regions whose quarantine ended: the driver's free-time checks. */
void storm_drain_graves(struct exotic_storm *s, bool all)
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
		storm_grave_check(s, g, all);
		pthread_mutex_lock(&s->lock);
	}
	pthread_mutex_unlock(&s->lock);
}

void storm_poll_kmsg(struct exotic_storm *s)
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
		storm_add_finding(s, NULL, &f, "kernel log (%s, phase %s, last event %s): %s",
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

void storm_collect_driver_counters(struct exotic_storm *s)
{
	uint64_t faults = 0, zaps = 0;

	for (unsigned int i = 0; i < s->nslots; i++) {
		struct exotic_region_info info = { 0 };

		if (s->slots[i].anon)
			continue;
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
