// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The storm's setup (exotic/storm.h): its configuration and the checks of
 * it, the slots (every kind x method the profile runs, and the anonymous
 * slot), which path each reading vCPU takes, the threads' state; and its
 * release.  storm.c runs it; storm_engine.h says where the rest lives.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <time.h>

#include "storm_engine.h"
#include "exotic/profile.h"

/*
 * Before 6.12 a huge PFN mapping of anything but a folio is unsafe by
 * construction (GUP-fast takes it for a THP): the driver refuses it
 * without EXOTIC_ALLOC_UNSAFE_DRIVER_BUG (driver/compat.h).
 */
static bool huge_needs_folio(void)
{
	return !storm_kernel_at_least(6, 12);
}

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
	for (unsigned int ev = 1; ev <= EXOTIC_EV_MAX; ev++)
		cfg->mix[ev] = storm_event(ev);
	cfg->mix[EXOTIC_EV_INVALIDATE] = 3;
	cfg->mix[EXOTIC_EV_MIGRATE] = 3;
	cfg->hold_us = 2000;
	cfg->gap_us = 2000;
	cfg->poll_ms = 100;
	cfg->settle_ms = 5000;
}

/* The storm's access paths (exotic/storm.h) */
#define STORM_PATHS	(1U << EXOTIC_PATH_NPF | 1U << EXOTIC_PATH_NESTED_TDP | \
			 1U << EXOTIC_PATH_PVCLOCK | 1U << EXOTIC_PATH_STEAL_TIME)

static int check_config(struct exotic_ctx *ctx, const struct exotic_storm_config *c)
{
	uint64_t mix = 0;

	for (unsigned int ev = 0; ev <= EXOTIC_EV_MAX; ev++) {
		if (c->mix[ev] && !storm_event(ev)) {
			exotic_err(ctx, "storm: event %s is not a storm event\n",
				   exotic_event_name(ev) ?: "0");
			return -EINVAL;
		}
		mix += c->mix[ev];
	}
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
	if (c->kinds & ~((1U << (EXOTIC_KIND_MAX + 1)) - 1)) {
		exotic_err(ctx, "storm: unknown kinds in mask %#x\n", c->kinds);
		return -EINVAL;
	}
	if (c->methods & ~(((1U << (EXOTIC_MAP_MAX + 1)) - 1) & ~1U)) {
		exotic_err(ctx, "storm: unknown methods in mask %#x\n", c->methods);
		return -EINVAL;
	}
	if (c->paths & ~STORM_PATHS) {
		exotic_err(ctx, "storm: paths %#x: the storm reads through npf, nested-tdp, pvclock and steal-time (vmrun and copy are the matrix's)\n",
			   c->paths);
		return -EINVAL;
	}
	if ((unsigned int)__builtin_popcount(c->paths) > c->vcpus - c->writers) {
		exotic_err(ctx, "storm: %d paths need as many vCPUs that read, not %u\n",
			   __builtin_popcount(c->paths), c->vcpus - c->writers);
		return -EINVAL;
	}
	if (c->profile && !exotic_profile_lookup(c->profile)) {
		exotic_err(ctx, "storm: unknown profile '%s' (kernels/profiles.tsv: exotic-storm --list-profiles)\n",
			   c->profile);
		return -EINVAL;
	}
	return 0;
}

void storm_note_skip(struct exotic_storm *s, unsigned int kind, unsigned int method,
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
		storm_note_skip(s, kind, method, "vm_insert_page() needs refcounted pages (the driver refuses it)");
		return 0;
	}
	if (method == EXOTIC_MAP_HUGE && kind == EXOTIC_KIND_REFCOUNTED) {
		storm_note_skip(s, kind, method, "order-0 pages make no 2 MiB mapping");
		return 0;
	}
	head = exotic_storm_expect(s->profile, kind, method, false);
	tail = exotic_storm_expect(s->profile, kind, method, true);
	if ((head == EXOTIC_OUT_CRASH || tail == EXOTIC_OUT_CRASH) &&
	    !(s->cfg.flags & EXOTIC_STORM_KNOWN_BUGS)) {
		storm_note_skip(s, kind, method, "the kernel oopses on it (known bug: --known-bugs runs it)");
		return 0;
	}
	if ((head == EXOTIC_OUT_REFCOUNT || tail == EXOTIC_OUT_REFCOUNT) &&
	    !(s->cfg.flags & EXOTIC_STORM_KNOWN_BUGS)) {
		storm_note_skip(s, kind, method, "KVM leaks page references on it (known bug: --known-bugs runs it)");
		return 0;
	}
	if (method == EXOTIC_MAP_HUGE && kind != EXOTIC_KIND_COMPOUND &&
	    huge_needs_folio() && !(s->cfg.flags & EXOTIC_STORM_KNOWN_BUGS)) {
		storm_note_skip(s, kind, method, "before 6.12 GUP-fast takes it for a THP and the tails' refcounts underflow (the driver refuses it without the unsafe flag, --known-bugs runs it)");
		return 0;
	}
	if (head < 0 || tail < 0) {
		storm_note_skip(s, kind, method, "the profile's table has no storm row for it");
		return 0;
	}
	if (method == EXOTIC_MAP_HUGE && tail == EXOTIC_OUT_WARN &&
	    !(s->cfg.flags & EXOTIC_STORM_KNOWN_BUGS)) {
		storm_note_skip(s, kind, method, "KVM WARNs on its tails (known bug: --known-bugs runs it)");
		return 0;
	}
	if (order && tail == EXOTIC_OUT_WARN && !(s->cfg.flags & EXOTIC_STORM_KNOWN_BUGS))
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
	storm_paths_setup(s, slot);
	/* the driver only hands out what oopses the kernel when told to */
	if (head == EXOTIC_OUT_CRASH || tail == EXOTIC_OUT_CRASH ||
	    (method == EXOTIC_MAP_HUGE && kind != EXOTIC_KIND_COMPOUND &&
	     huge_needs_folio()))
		slot->alloc_flags = EXOTIC_ALLOC_UNSAFE_DRIVER_BUG;
	ret = storm_new_region(s, slot, &r);
	if (ret == -EPERM && slot->alloc_flags) {
		storm_note_skip(s, kind, method, "known to oops the kernel: the driver needs unsafe_driver_bugs=1 to hand it out");
		return 0;
	}
	if (ret == -EINVAL || ret == -EOPNOTSUPP || ret == -ENODEV || ret == -EPERM) {
		storm_note_skip(s, kind, method, ret == -EINVAL ? "the driver refuses it (unsafe by construction)" :
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

/*
 * The anonymous slot: a shared anonymous mmap, so that MADV_DONTNEED (its
 * invalidate) drops the page table entries and KVM's mappings but keeps
 * the stamps, as the driver's invalidate does (a private mapping would
 * read back zeroes).  KVM maps it on every profile.
 */
static int add_anon(struct exotic_storm *s)
{
	struct storm_slot *slot = &s->slots[s->nslots];
	void *hva;
	int ret;

	hva = mmap(NULL, s->cfg.region_size, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (hva == MAP_FAILED) {
		ret = -errno;
		exotic_err(s->ctx, "storm: anonymous slot: mmap: %s\n", strerror(-ret));
		return ret;
	}
	memset(slot, 0, sizeof(*slot));
	slot->kind = EXOTIC_STORM_ANON;
	slot->len = s->cfg.region_size;
	slot->block = 4096;
	slot->index = s->nslots;
	slot->gpa = SLOT_GPA_BASE + (uint64_t)s->nslots * s->cfg.region_size;
	slot->expect_head = slot->expect_tail = EXOTIC_OUT_MAPPED;
	slot->paths = 1U << EXOTIC_PATH_NPF;
	exotic_guest_fill(hva, slot->gpa, slot->len, STRIDE, s->cfg.seed);
	ret = exotic_vm_add_slot(s->vm, slot->index, slot->gpa, hva, slot->len, 0);
	if (ret) {
		munmap(hva, slot->len);
		return ret;
	}
	slot->anon = hva;
	pthread_mutex_init(&slot->lock, NULL);
	s->plan_slots[s->nslots] = (struct storm_plan_slot){
		.length = slot->len, .block = slot->block, .events = STORM_ANON_EVENTS,
	};
	s->nslots++;
	return 0;
}

/*
 * The reading vCPUs take the paths in turns (writers write through npf);
 * a path that no slot takes leaves the storm without what was asked for.
 */
static int assign_paths(struct exotic_storm *s)
{
	uint32_t paths = s->cfg.paths ? s->cfg.paths : 1U << EXOTIC_PATH_NPF;
	unsigned int list[EXOTIC_PATH_MAX + 1], n = 0;

	for (unsigned int path = EXOTIC_PATH_NPF; path <= EXOTIC_PATH_MAX; path++) {
		uint32_t slots = 0;

		if (!(paths & (1U << path)))
			continue;
		for (unsigned int i = 0; i < s->nslots; i++)
			slots += !!(s->slots[i].paths & (1U << path));
		if (!slots) {
			exotic_err(s->ctx, "storm: no slot left for path %s (%s)\n",
				   exotic_path_name(path), s->skipped[0] ? s->skipped : "none");
			return -ENODATA;
		}
		list[n++] = path;
	}
	for (unsigned int i = 0; i < s->cfg.vcpus; i++)
		s->vcpus[i].path = i >= s->cfg.vcpus - s->cfg.writers ?
				   EXOTIC_PATH_NPF : list[i % n];
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
	pthread_mutex_init(&s->lock, NULL);
	s->profile = cfg->profile ? exotic_profile_lookup(cfg->profile)->name :
		     exotic_storm_profile_detect();
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
	if (!s->profile) {
		exotic_err(ctx, "storm: no profile fits this kernel (exotic-storm --list-profiles): give one\n");
		ret = -ENOENT;
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
		/* 0, or only the anonymous slot's bit: no exotic kind is
		 * asked for by name, so 0 is every one */
		if (cfg->kinds & ~(1U << EXOTIC_STORM_ANON) ?
		    !(cfg->kinds & (1U << kind)) : cfg->kinds != 0)
			continue;
		for (unsigned int method = 1; method <= EXOTIC_MAP_MAX; method++) {
			if (cfg->methods && !(cfg->methods & (1U << method)))
				continue;
			if (s->nslots == EXOTIC_VM_MAX_SLOTS)
				break;
			if (s->cfg.region_size * (s->nslots + 1) > 2 * GIB) {
				storm_note_skip(s, kind, method, "no guest address space left");
				continue;
			}
			ret = add_combo(s, kind, method);
			if (ret)
				goto err;
		}
	}
	if ((cfg->kinds & (1U << EXOTIC_STORM_ANON)) && s->nslots < EXOTIC_VM_MAX_SLOTS) {
		if (s->cfg.region_size * (s->nslots + 1) > 2 * GIB) {
			exotic_err(ctx, "storm: no guest address space left for the anonymous slot\n");
			ret = -EINVAL;
			goto err;
		}
		ret = add_anon(s);
		if (ret)
			goto err;
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
	if (s->nevents && storm_plan_orphan(&s->plan)) {
		exotic_err(ctx, "storm: event %s: no slot takes it (the anonymous slot takes invalidate only)\n",
			   exotic_event_name(storm_plan_orphan(&s->plan)));
		ret = -EINVAL;
		goto err;
	}
	ret = assign_paths(s);
	if (ret)
		goto err;
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
		/* after the VM, whose memslot used it */
		if (s->slots[i].anon)
			munmap(s->slots[i].anon, s->slots[i].len);
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
