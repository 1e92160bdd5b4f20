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

int storm_plan_next(struct storm_prng *r, const struct storm_plan *plan,
		    struct exotic_storm_event_rec *ev)
{
	const struct storm_plan_slot *s;
	uint64_t total = 0, pick, n, first, count;
	unsigned int type;

	if (!plan->nslots || !plan->slots)
		return -EINVAL;
	for (type = 0; type < EXOTIC_STORM_EV_MAX; type++)
		total += plan->mix[type];
	if (!total)
		return -EINVAL;
	memset(ev, 0, sizeof(*ev));
	pick = storm_prng_below(r, total);
	for (type = 0; type < EXOTIC_STORM_EV_MAX - 1; type++) {
		if (pick < plan->mix[type])
			break;
		pick -= plan->mix[type];
	}
	ev->type = type;
	ev->slot = (uint32_t)storm_prng_below(r, plan->nslots);
	s = &plan->slots[ev->slot];
	switch (type) {
	case EXOTIC_STORM_EV_INVALIDATE:
	case EXOTIC_STORM_EV_MIGRATE:
		/* a range of pages (invalidate) or blocks (migrate): often
		 * small, sometimes the whole region */
		n = s->length / (type == EXOTIC_STORM_EV_MIGRATE ? s->block : 4096);
		if (storm_prng_below(r, 8) == 0) {
			first = 0;
			count = n;
		} else {
			first = storm_prng_below(r, n);
			count = 1 + storm_prng_below(r, n - first < 16 ? n - first : 16);
		}
		n = type == EXOTIC_STORM_EV_MIGRATE ? s->block : 4096;
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

static const char *const event_names[EXOTIC_STORM_EV_MAX] = {
	[EXOTIC_STORM_EV_INVALIDATE] = "invalidate",
	[EXOTIC_STORM_EV_MIGRATE] = "migrate",
	[EXOTIC_STORM_EV_REPLACE] = "replace",
	[EXOTIC_STORM_EV_SLOT] = "slot",
	[EXOTIC_STORM_EV_REMAP] = "remap",
	[EXOTIC_STORM_EV_MPROTECT] = "mprotect",
};

EXOTIC_EXPORT const char *exotic_storm_event_name(unsigned int type)
{
	return type < EXOTIC_STORM_EV_MAX ? event_names[type] : NULL;
}

EXOTIC_EXPORT int exotic_storm_event_from_name(const char *name)
{
	for (unsigned int i = 0; name && i < EXOTIC_STORM_EV_MAX; i++)
		if (!strcmp(name, event_names[i]))
			return (int)i;
	return -EINVAL;
}

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

static const char *const outcome_names[] = {
	[EXOTIC_STORM_OUT_MAP] = "mapped",
	[EXOTIC_STORM_OUT_EFAULT] = "efault",
	[EXOTIC_STORM_OUT_WARN] = "warn",
	[EXOTIC_STORM_OUT_ANY] = "any",
	[EXOTIC_STORM_OUT_CRASH] = "crash",
	[EXOTIC_STORM_OUT_LEAK] = "leak",
};

EXOTIC_EXPORT const char *exotic_storm_outcome_name(int outcome)
{
	return outcome >= EXOTIC_STORM_OUT_MAP && outcome <= EXOTIC_STORM_OUT_LEAK ?
	       outcome_names[outcome] : NULL;
}

/*
 * The vCPU fault path (kvm_faultin_pfn) on each profile.
 *
 * stock 6.1 (measured in the test VM with exotic-storm --probe, and read
 * in virt/kvm/kvm_main.c): VM_IO|VM_PFNMAP mappings go through
 * hva_to_pfn_remapped() -> kvm_try_get_pfn(): pages without struct page
 * and reserved pages get no reference and map; other pages need
 * get_page_unless_zero(), which fails with refcount 0 (tail pages of
 * non-compound and compound blocks): EFAULT.  A reserved page at
 * refcount 0 trips WARN_ON_ONCE(!page_count(page)) in
 * kvm_is_zone_device_page() and then maps.  VM_MIXEDMAP mappings are
 * neither GUP-able (special PTEs) nor VM_PFNMAP: EFAULT for every page.
 * vm_insert_page() mappings are ordinary pages: GUP maps them.
 *
 * 2 MiB PFN mappings (vmf_insert_pfn_pmd()) on 6.1 are only reachable
 * through GUP-fast (which grabs the folio): the VM_PFNMAP fallback,
 * follow_pte(), does not handle huge PMDs, so the first access after a zap
 * fails with EFAULT (fixup_user_fault() maps the PMD again, the next
 * KVM_RUN goes through), and pages GUP-fast cannot grab (refcount-0 tails)
 * map only through the head's 2 MiB SPTE: either outcome is possible.
 * GUP-fast also pins the head page of a reserved block, a reference
 * kvm_release_pfn_clean() never drops (kvm_pfn_to_refcounted_page() says
 * reserved pages are not refcounted): every such fault leaks one, which the
 * driver's free-time check sees (measured with exotic-storm --known-bugs).
 * A 2 MiB PFN mapping of PFNs without struct page
 * oopses 6.1 (stock and patched alike: the bug is in mm): KVM's
 * hva_to_pfn() tries get_user_page_fast_only() first, and 6.1's GUP-fast
 * has no pmd_special() to tell such a PMD from a THP, so try_grab_folio()
 * dereferences the struct page the PFN does not have.  Upstream (6.12's
 * huge pfnmap work) marks these PMDs special.
 *
 * patched (kernel-patches/) and upstream >= 6.13: the fault path takes no
 * reference on VM_PFNMAP memory, so every page maps, without a warning
 * (measured for patched with exotic-storm).  VM_MIXEDMAP still fails on
 * patched 6.1 (measured) and is not pinned down upstream.
 */
EXOTIC_EXPORT int exotic_storm_expect(const char *profile, unsigned int kind,
				unsigned int method, bool block_tail)
{
	bool stock;

	if (!profile || !kind || kind > EXOTIC_KIND_MAX || !method ||
	    method > EXOTIC_MAP_MAX)
		return -EINVAL;
	if (!strncmp(profile, "stock", 5))
		stock = true;
	else if (!strncmp(profile, "patched", 7) || !strncmp(profile, "upstream", 8))
		stock = false;
	else
		return -EINVAL;

	if (kind == EXOTIC_KIND_CARVEOUT && method == EXOTIC_MAP_HUGE &&
	    strncmp(profile, "upstream", 8))
		return EXOTIC_STORM_OUT_CRASH;
	if (method == EXOTIC_MAP_HUGE && strncmp(profile, "upstream", 8))
		return kind == EXOTIC_KIND_RESERVED && !block_tail ?
		       EXOTIC_STORM_OUT_LEAK : EXOTIC_STORM_OUT_ANY;
	if (method == EXOTIC_MAP_PAGE)
		return EXOTIC_STORM_OUT_MAP;
	/* measured on stock and patched 6.1; not pinned down upstream */
	if (method == EXOTIC_MAP_MIXED)
		return strncmp(profile, "upstream", 8) ? EXOTIC_STORM_OUT_EFAULT :
		       EXOTIC_STORM_OUT_ANY;
	if (!stock)
		return EXOTIC_STORM_OUT_MAP;
	switch (kind) {
	case EXOTIC_KIND_REFCOUNTED:
	case EXOTIC_KIND_CARVEOUT:
		return EXOTIC_STORM_OUT_MAP;
	case EXOTIC_KIND_RESERVED:
		return block_tail ? EXOTIC_STORM_OUT_WARN : EXOTIC_STORM_OUT_MAP;
	default:
		return block_tail ? EXOTIC_STORM_OUT_EFAULT : EXOTIC_STORM_OUT_MAP;
	}
}

uint64_t storm_zap_begin(struct storm_zap *ring, uint64_t zseq,
			 uint64_t offset, uint64_t length)
{
	uint64_t seq = zseq | 1;

	ring[(seq / 2) % STORM_ZAP_RING] = (struct storm_zap){
		.seq = seq, .offset = offset, .length = length,
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
 * moment later.  Measured with exotic-storm on stock 6.1 with two guest
 * CPUs (an invalidate-only storm on the carve-out: 1 to 6 a run), and
 * made deterministic by tests/vm/test_pfnmap_race.  kernel-patches/6.1
 * 0010 retries such a fault when an invalidation of the hva overlapped
 * the lookup, so on the patched profile the EFAULT is unexpected.
 * VM_MIXEDMAP and vm_insert_page() mappings go through GUP, which retries.
 */
bool storm_pfnmap_race(const char *profile, unsigned int method)
{
	if (!profile || !strncmp(profile, "patched", 7))
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
	const char *env = getenv("EXOTIC_PROFILE");

	/* the runner says "stock" or "patched"; tables say "stock-6.1" */
	if (env && !strncmp(env, "stock", 5))
		return "stock";
	if (env && !strncmp(env, "patched", 7))
		return "patched";
	if (env && !strncmp(env, "upstream", 8))
		return "upstream";
	if (storm_kernel_at_least(6, 13))
		return "upstream";
	if (!access("/sys/module/kvm/parameters/allow_unsafe_mappings", F_OK))
		return "patched";
	return "stock";
}
