// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The storm's seeded event generator and the expectation table.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "internal.h"
#include "storm_internal.h"
#include "exotic/expect.h"
#include "exotic/profile.h"

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void storm_prng_seed(struct storm_prng *r, uint64_t seed, unsigned int stream)
{
	uint64_t x = seed ^ ((uint64_t)(stream + 1) * 0xd1342543de82ef95ULL);

	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&x);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t storm_prng_next(struct storm_prng *r)
{
	uint64_t *s = r->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

uint64_t storm_prng_below(struct storm_prng *r, uint64_t n)
{
	/* Lemire's multiply-shift; the bias is irrelevant here. */
	return n ? (uint64_t)(((unsigned __int128)storm_prng_next(r) * n) >> 64) : 0;
}

static bool slot_takes(const struct storm_plan_slot *s, unsigned int type)
{
	return !s->events || (s->events & (1U << type));
}

unsigned int storm_plan_orphan(const struct storm_plan *plan)
{
	for (unsigned int type = 1; type <= EXOTIC_EV_MAX; type++) {
		bool taken = false;

		for (unsigned int i = 0; !taken && i < plan->nslots; i++)
			taken = slot_takes(&plan->slots[i], type);
		if (plan->mix[type] && !taken)
			return type;
	}
	return 0;
}

int storm_plan_next(struct storm_prng *r, const struct storm_plan *plan,
		    struct exotic_storm_event_rec *ev)
{
	const struct storm_plan_slot *s;
	uint64_t total = 0, pick, n, first, count;
	unsigned int type, takers = 0, i;

	if (!plan->nslots || !plan->slots)
		return -EINVAL;
	for (type = 1; type <= EXOTIC_EV_MAX; type++) {
		if (plan->mix[type] && !storm_event(type))
			return -EINVAL;
		total += plan->mix[type];
	}
	if (!total || storm_plan_orphan(plan))
		return -EINVAL;
	memset(ev, 0, sizeof(*ev));
	pick = storm_prng_below(r, total);
	for (type = 1; type < EXOTIC_EV_MAX; type++) {
		if (pick < plan->mix[type])
			break;
		pick -= plan->mix[type];
	}
	ev->type = type;
	/* the pick-th slot that takes it: when every slot takes every
	 * event, slot pick (what the plan drew before slots could refuse) */
	for (i = 0; i < plan->nslots; i++)
		takers += slot_takes(&plan->slots[i], type);
	pick = storm_prng_below(r, takers);
	for (i = 0; i < plan->nslots; i++) {
		if (!slot_takes(&plan->slots[i], type))
			continue;
		if (!pick--)
			break;
	}
	ev->slot = i;
	s = &plan->slots[ev->slot];
	switch (type) {
	case EXOTIC_EV_INVALIDATE:
	case EXOTIC_EV_MIGRATE:
		/* a range of pages (invalidate) or blocks (migrate): often
		 * small, sometimes the whole region */
		n = s->length / (type == EXOTIC_EV_MIGRATE ? s->block : 4096);
		if (storm_prng_below(r, 8) == 0) {
			first = 0;
			count = n;
		} else {
			first = storm_prng_below(r, n);
			count = 1 + storm_prng_below(r, n - first < 16 ? n - first : 16);
		}
		n = type == EXOTIC_EV_MIGRATE ? s->block : 4096;
		ev->offset = first * n;
		ev->length = count * n;
		break;
	default:
		ev->offset = 0;
		ev->length = s->length;
		break;
	}
	ev->hold_us = (uint32_t)storm_prng_below(r, (uint64_t)plan->hold_us + 1);
	ev->gap_us = (uint32_t)storm_prng_below(r, (uint64_t)plan->gap_us + 1);
	return 0;
}

static uint64_t fnv(uint64_t h, uint64_t v)
{
	for (int i = 0; i < 8; i++) {
		h ^= (v >> (8 * i)) & 0xff;
		h *= 0x100000001b3ULL;
	}
	return h;
}

uint64_t storm_hash_event(uint64_t h, const struct exotic_storm_event_rec *ev)
{
	h = fnv(h, ev->type);
	h = fnv(h, ev->slot);
	h = fnv(h, ev->offset);
	return fnv(h, ev->length);
}

/* ------------------------------------------------------ expectations */

static const char *const property_names[] = {
	[EXOTIC_STORM_PROP_REFCOUNT] = "refcount",
	[EXOTIC_STORM_PROP_USE_AFTER_FREE] = "use-after-free",
	[EXOTIC_STORM_PROP_STALE] = "stale-translation",
	[EXOTIC_STORM_PROP_KERNEL_LOG] = "kernel-log",
	[EXOTIC_STORM_UNEXPECTED] = "unexpected",
};

EXOTIC_EXPORT const char *exotic_storm_property_name(unsigned int property)
{
	return property <= EXOTIC_STORM_UNEXPECTED ? property_names[property] : NULL;
}

EXOTIC_EXPORT const char *exotic_storm_kind_name(unsigned int kind)
{
	return kind == EXOTIC_STORM_ANON ? "anonymous" : exotic_kind_name(kind);
}

EXOTIC_EXPORT int exotic_storm_kind_from_name(const char *name)
{
	if (name && (!strcmp(name, "anonymous") || !strcmp(name, "anon")))
		return EXOTIC_STORM_ANON;
	return exotic_kind_from_name(name);
}

/*
 * The vCPU fault path (kvm_faultin_pfn) on each profile is in the profile's
 * expectation table, as "storm:KIND" rows with the kernel function
 * responsible (expect/PROFILE.tsv, docs/matrix-schema.md): one model for the
 * matrix, the reproducers and the storm.
 */
const struct exotic_expect *storm_profile_table(const char *profile)
{
	const struct exotic_profile *p = exotic_profile_lookup(profile);

	return p ? expect_builtin_cached(p->table) : NULL;
}

EXOTIC_EXPORT int exotic_storm_expect(const char *profile, unsigned int kind,
				      unsigned int method, bool block_tail)
{
	const struct exotic_expect *t = storm_profile_table(profile);
	int head, tail;

	if (!t || !kind || kind > EXOTIC_KIND_MAX || !method || method > EXOTIC_MAP_MAX)
		return -EINVAL;
	if (exotic_expect_lookup_storm(t, kind, method, &head, &tail, NULL))
		return -ENOENT;
	return block_tail ? tail : head;
}

/*
 * What the kernel zaps is whole mappings: a 2 MiB PFN mapping (the huge
 * method) loses its whole PMD when any part of it is invalidated, so a
 * zap is recorded rounded out to the slot's mapping size (align, a power
 * of two).
 */
uint64_t storm_zap_begin(struct storm_zap *ring, uint64_t zseq,
			 uint64_t offset, uint64_t length, uint64_t align)
{
	uint64_t seq = zseq | 1;
	uint64_t first = offset & ~(align - 1);
	uint64_t end = (offset + length + align - 1) & ~(align - 1);

	ring[(seq / 2) % STORM_ZAP_RING] = (struct storm_zap){
		.seq = seq, .offset = first, .length = end - first,
	};
	return seq;
}

bool storm_zap_covered(const struct storm_zap *ring, uint64_t seq0,
		       uint64_t now, uint64_t offset)
{
	/* events that started at or after seq0, or were in flight at seq0 */
	uint64_t first = seq0 | 1;

	if (now < first)
		return false;
	if ((now - first) / 2 + 1 > STORM_ZAP_RING)
		return true;
	for (unsigned int i = 0; i < STORM_ZAP_RING; i++) {
		const struct storm_zap *z = &ring[i];

		if (z->seq >= first && z->seq <= now &&
		    offset >= z->offset && offset - z->offset < z->length)
			return true;
	}
	return false;
}

/*
 * hva_to_pfn_remapped() (virt/kvm/kvm_main.c), which resolves VM_PFNMAP
 * mappings: when it finds no PTE it calls fixup_user_fault(), which runs
 * the exporter's fault handler, and looks again.  An invalidation that
 * zaps the PTE between the two makes the second lookup fail; only -EAGAIN
 * is retried, so KVM_RUN fails with EFAULT although the page maps again a
 * moment later.  Whether a profile has the race is its table's
 * pfnmap-lookup-race reproducer row (tests/vm/test_pfnmap_race stages
 * it): efault on Debian's 6.1, 6.12 and 7.3, mapped with
 * kernel-patches/6.1 0010 and kernel-patches/7.3 0001 (upstream-patched).
 * VM_MIXEDMAP and vm_insert_page() mappings go through GUP, which retries.
 */
bool storm_pfnmap_race(const char *profile, unsigned int method)
{
	const struct exotic_expect_entry *e;

	e = exotic_expect_lookup_repro(storm_profile_table(profile), "pfnmap-lookup-race");
	if (!e || e->before != EXOTIC_OUT_EFAULT)
		return false;
	return method == EXOTIC_MAP_REMAP || method == EXOTIC_MAP_FAULT ||
	       method == EXOTIC_MAP_HUGE;
}

bool storm_kernel_at_least(int major, int minor)
{
	struct utsname u;
	int ma = 0, mi = 0;

	if (uname(&u) || sscanf(u.release, "%d.%d", &ma, &mi) != 2)
		return false;
	return ma > major || (ma == major && mi >= minor);
}

EXOTIC_EXPORT const char *exotic_storm_profile_detect(void)
{
	const struct exotic_profile *p = exotic_profile_current();

	return p ? p->name : NULL;
}

/* An outcome the storm must not provoke on a profile without --known-bugs. */
static bool known_bug(uint32_t outcome)
{
	switch (outcome) {
	case EXOTIC_OUT_WARN:
	case EXOTIC_OUT_KMSG:
	case EXOTIC_OUT_REFCOUNT:
	case EXOTIC_OUT_CRASH:
	case EXOTIC_OUT_HANG:
	case EXOTIC_OUT_STALE_WRITE:
	case EXOTIC_OUT_DETECT:
		return true;
	default:
		return false;
	}
}

/*
 * May the storm read kind x method through path (not npf) on profile?
 * From the table's rows of kind x method x path: none that says KVM
 * misbehaves (a known bug: --known-bugs runs it); nested-tdp only where
 * L2 runs and its first access agrees with npf's, since a slot's head and
 * tail outcomes are the npf ones (the nested MMU resolves L1's frames with
 * the lookup the vCPU fault uses).
 */
const char *storm_path_refusal(const char *profile, unsigned int kind,
			       unsigned int method, unsigned int path,
			       bool known_bugs, char *buf, size_t len)
{
	const struct exotic_expect *t = storm_profile_table(profile);
	const struct exotic_expect_entry *none, *npf, *e;

	none = t ? exotic_expect_lookup(t, kind, method, path, EXOTIC_EV_NONE) : NULL;
	if (!none)
		return "the profile's table has no row for it";
	for (unsigned int ev = EXOTIC_EV_NONE; ev <= EXOTIC_EV_MAX && !known_bugs; ev++) {
		e = exotic_expect_lookup(t, kind, method, path, ev);
		if (e && (known_bug(e->before) || known_bug(e->after))) {
			snprintf(buf, len, "the table says %s after %s (known bug: --known-bugs runs it)",
				 exotic_outcome_name(known_bug(e->before) ? e->before : e->after),
				 exotic_event_name(ev));
			return buf;
		}
	}
	if (path != EXOTIC_PATH_NESTED_TDP)
		return NULL;
	if (none->before == EXOTIC_OUT_NOT_ENTERED || none->before == EXOTIC_OUT_GP) {
		snprintf(buf, len, "L2 does not run here (%s: %s)",
			 exotic_outcome_name(none->before), none->reason);
		return buf;
	}
	npf = exotic_expect_lookup(t, kind, method, EXOTIC_PATH_NPF, EXOTIC_EV_NONE);
	if (!npf || npf->before != none->before) {
		snprintf(buf, len, "the table's nested-tdp row (%s) is not its npf row (%s)",
			 exotic_outcome_name(none->before),
			 npf ? exotic_outcome_name(npf->before) : "none");
		return buf;
	}
	return NULL;
}
