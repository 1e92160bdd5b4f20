// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The storm's bookkeeping: findings, and the epochs of the events (which
 * event retired a page, so that poison a vCPU read names its event; what
 * the host may publish as done: docs/design.md §5).
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

#include "storm_engine.h"

__attribute__((format(printf, 4, 5)))
void storm_add_finding(struct exotic_storm *s, struct storm_slot *slot,
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

void storm_set_phase(struct exotic_storm *s, const char *phase)
{
	pthread_mutex_lock(&s->lock);
	snprintf(s->phase, sizeof(s->phase), "%s", phase);
	pthread_mutex_unlock(&s->lock);
	if (s->kmsg)
		exotic_kmsg_watch_set_phase(s->kmsg, phase);
}

/* ------------------------------------------------------------ epochs */

void storm_epoch_begin(struct exotic_storm *s, struct event_thread *t)
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
void storm_epoch_end(struct exotic_storm *s, struct event_thread *t,
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
uint32_t storm_poison_property(struct exotic_storm *s, uint64_t epoch,
				uint32_t *event, uint32_t *handle)
{
	struct epoch_rec r;

	*event = ~0U;
	if (!epoch_lookup(s, epoch, &r))
		return EXOTIC_STORM_PROP_USE_AFTER_FREE;
	*event = r.type;
	*handle = r.handle;
	return r.type == EXOTIC_EV_MIGRATE ? EXOTIC_STORM_PROP_STALE :
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

uint64_t storm_retired_pfn(struct exotic_storm *s, uint32_t handle,
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
