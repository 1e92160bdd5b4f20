// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The reproducers' catalog (exotic/repro.h): data, one scenario each.
 * Their expected outcome per kernel profile is in the expectation tables
 * (expect/TABLE.tsv, "repro:NAME" rows), not here.
 */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/utsname.h>

#include "internal.h"
#include "exotic/repro.h"
#include "exotic/runner.h"

#define MiB(x)	((uint64_t)(x) << 20)
#define PG	4096ULL

static const struct exotic_repro catalog[] = {
{
	.name = "tail-page-efault",
	.title = "GPU buffers built from non-compound allocations (TTM pools, virtio-gpu / dma-buf blobs) kill the VM with KVM_RUN EFAULT",
	.source = "D. Stevens, \"KVM: allow mapping non-refcounted pages\" series (kvm list, 2021-2024); "
		  "https://github.com/libkrun/libkrun/issues/832 ; https://github.com/AsahiLinux/linux/issues/560 "
		  "(the same EFAULT through hva_to_pfn_remapped() on dma-buf blobs)",
	.kernels = "5.13 .. 6.12 on x86 (since the CVE-2021-22543 fix); fixed upstream in 6.13",
	.kind = EXOTIC_KIND_NONCOMPOUND, .method = EXOTIC_MAP_FAULT,
	.path = EXOTIC_PATH_NPF, .event = EXOTIC_EV_NONE,
	.order = 1, .length = 2 * PG,
},
{
	.name = "cve-2021-22543",
	.title = "valid but non-refcounted pages: KVM lifted a tail page's refcount 0 -> 1 and freed it on put (use after free); must stay fixed",
	.source = "CVE-2021-22543; N. Piggin, \"KVM: Fix page ref underflow for regions with valid but non-refcounted pages\" "
		  "https://lkml.iu.edu/hypermail/linux/kernel/2106.3/00664.html (merged as \"KVM: do not allow mapping valid but non-reference-counted pages\")",
	.kernels = "before 5.13 (and stable backports); 6.1 has the fix",
	.kind = EXOTIC_KIND_NONCOMPOUND, .method = EXOTIC_MAP_REMAP,
	.path = EXOTIC_PATH_NPF, .event = EXOTIC_EV_REVOKE,
	.order = 2, .length = 4 * PG,
},
{
	.name = "ro-pfnmap-write",
	.title = "read-only PFNMAP mapped writable into the guest: KVM assumed the PTE follow_pfn() found was writable; must stay fixed",
	.source = "\"KVM: do not assume PTE is writable after follow_pfn\" (P. Bonzini, 2021; companion of the CVE-2021-22543 fix); "
		  "https://github.com/libkrun/libkrun/pull/803 describes today's KVM_PFN_ERR_RO_FAULT path",
	.kernels = "before 5.12; 6.1 checks pte_write() in hva_to_pfn_remapped()",
	.kind = EXOTIC_KIND_REFCOUNTED, .method = EXOTIC_MAP_REMAP,
	.path = EXOTIC_PATH_NPF, .event = EXOTIC_EV_NONE,
	.length = 2 * PG, .alloc_flags = EXOTIC_ALLOC_READONLY,
	.scn_flags = EXOTIC_SCN_GUEST_WRITE, .prot = PROT_READ,
},
{
	.name = "reserved-no-refcount",
	.title = "refcount or accessed/dirty updates on pages KVM did not reference (PageReserved memory behind remap_pfn_range)",
	.source = "\"KVM: Don't set Accessed/Dirty bits for ZERO_PAGE\" and \"KVM: Don't WARN if kvm_pfn_to_page() encounters a 'reserved' pfn\" (S. Christopherson, 2022); "
		  "kvm_pfn_to_refcounted_page() in 6.1 virt/kvm/kvm_main.c",
	.kernels = "reports against 5.x .. 6.0; 6.1 skips PageReserved pages",
	.kind = EXOTIC_KIND_RESERVED, .method = EXOTIC_MAP_REMAP,
	.path = EXOTIC_PATH_NPF, .event = EXOTIC_EV_INVALIDATE,
	.length = 4 * PG,
},
{
	.name = "reserved-gup-leak",
	.title = "a vm_insert_page()d PageReserved page: gup takes a reference that KVM never drops (kvm_release_pfn_clean() ignores PageReserved)",
	.source = "found by exotic on Debian 6.1 (no public report found); the reference bookkeeping was reworked upstream in "
		  "\"KVM: Stop grabbing references to PFNMAP'd pages\" v13 (kvm_release_faultin_page()), "
		  "https://lists.linaro.org/archives/list/linux-kselftest-mirror@lists.linaro.org/message/IRPZPWMHIWZSK4GKIXKEIA4SEY7TZW2T",
	.kernels = "6.1 (stock); fixed by kernel-patches/6.1 0009 and upstream >= 6.13",
	.kind = EXOTIC_KIND_RESERVED, .method = EXOTIC_MAP_PAGE,
	.path = EXOTIC_PATH_NPF, .event = EXOTIC_EV_NONE,
	.length = 2 * PG,
},
{
	.name = "stale-after-migrate",
	.title = "stale translation after the owner moves a buffer (GPU BO eviction): the guest must never read the retired copy",
	.source = "hva_to_pfn_remapped() relies on the owner's unmap_mapping_range() reaching the mmu notifier (comment in 6.1 kvm_main.c); "
		  "CVE-2020-12888 (vfio-pci BAR reachable after disable, fixed by zap + fault); "
		  "\"KVM: x86: Fix recording of guest steal time / preempted status\" (2021, unguarded IOMEM mapping)",
	.kernels = "guarded fault path: none known; unguarded users before 5.17",
	.kind = EXOTIC_KIND_REFCOUNTED, .method = EXOTIC_MAP_FAULT,
	.path = EXOTIC_PATH_NPF, .event = EXOTIC_EV_MIGRATE,
	.length = 8 * PG,
},
{
	.name = "stale-copy-after-migrate",
	.title = "stale data on KVM's copy path after the owner moves a buffer (emulated access after migration)",
	.source = "kvm_vcpu_read_guest() (__copy_from_user() through the VMA) in 6.1 virt/kvm/kvm_main.c; same report family as stale-after-migrate",
	.kernels = "none known",
	.kind = EXOTIC_KIND_NONCOMPOUND, .method = EXOTIC_MAP_REMAP,
	.path = EXOTIC_PATH_COPY, .event = EXOTIC_EV_MIGRATE,
	.order = 1, .length = 4 * PG,
},
{
	.name = "huge-pfnmap-follow-pte",
	.title = "huge (2 MiB) PFN mappings of device memory: 6.1 follow_pte() cannot walk a PMD leaf, yet the head page's fault gets a 2 MiB SPTE",
	.source = "P. Xu, \"mm/KVM: huge pfnmap support\" / follow_pfnmap_start() (merged for 6.12); "
		  "\"dax: fix __dax_pmd_fault crash\" (vmf_insert_pfn_pmd() \"needs to grow support for ... pmd_special\") "
		  "http://git.monstr.eu/?a=commit&h=152d7bd80dca5ce77ec2d7313149a2ab990e808e&p=linux-2.6-microblaze.git",
	.kernels = "before 6.12",
	.kind = EXOTIC_KIND_NONCOMPOUND, .method = EXOTIC_MAP_HUGE,
	.path = EXOTIC_PATH_NPF, .event = EXOTIC_EV_NONE,
	.order = 9, .length = MiB(2),
	/*
	 * the driver refuses a huge mapping of a non-folio before 6.12 (a
	 * multi-page GUP-fast underflows the tails); KVM pins one page at a
	 * time, which is harmless, so this runs with the flag there
	 */
	.alloc_flags = EXOTIC_ALLOC_UNSAFE_DRIVER_BUG, .unsafe_before = 0x060c,
},
{
	.name = "huge-pfnmap-gup-fast",
	.title = "huge PFN mapping of memory without struct page: 6.1 gup-fast (hva_to_pfn_fast()) takes the PMD for a THP and oopses on pmd_page()",
	.source = "P. Xu, \"mm/gup: detect huge pfnmap entries in gup-fast\" in \"mm/KVM: huge pfnmap support\" (6.12); "
		  "the 6.1 source of gup_huge_pmd() (mm/gup.c), which has no pmd_special() check",
	.kernels = "before 6.12, with any driver that vmf_insert_pfn_pmd()s non-devmap PFNs (needs exotic.unsafe_driver_bugs=1)",
	.kind = EXOTIC_KIND_CARVEOUT, .method = EXOTIC_MAP_HUGE,
	.path = EXOTIC_PATH_NPF, .event = EXOTIC_EV_NONE,
	.order = 9, .length = MiB(2),
	/* the driver refuses it before 6.12 unless told to reproduce this */
	.alloc_flags = EXOTIC_ALLOC_UNSAFE_DRIVER_BUG, .unsafe_before = 0x060c,
},
{
	.name = "reserved-refcount0-warn",
	.title = "a PageReserved page with refcount 0 (tail of a reserved block) makes 6.1 WARN in kvm_is_zone_device_page()",
	.source = "kvm_is_zone_device_page() WARN_ON_ONCE(!page_count(page)) in 6.1 virt/kvm/kvm_main.c; removed with "
		  "\"KVM: Stop grabbing references to PFNMAP'd pages\" (6.13)",
	.kernels = "6.0 .. 6.12",
	.kind = EXOTIC_KIND_RESERVED, .method = EXOTIC_MAP_REMAP,
	.path = EXOTIC_PATH_NPF, .event = EXOTIC_EV_NONE,
	.order = 1, .length = 2 * PG,
},
{
	.name = "vmrun-unguarded-pfnmap",
	.title = "kvm_vcpu_map() (nested VMRUN's VMCB) uses PFNMAP memory outside mmu-notifier protection",
	.source = "\"KVM: Stop grabbing references to PFNMAP'd pages\" v13 (S. Christopherson, 2024; kvm.allow_unsafe_mappings) "
		  "https://lists.linaro.org/archives/list/linux-kselftest-mirror@lists.linaro.org/message/IRPZPWMHIWZSK4GKIXKEIA4SEY7TZW2T",
	.kernels = "before 6.13",
	.kind = EXOTIC_KIND_REFCOUNTED, .method = EXOTIC_MAP_REMAP,
	.path = EXOTIC_PATH_VMRUN, .event = EXOTIC_EV_INVALIDATE,
	.length = 2 * PG,
},
{
	.name = "vmrun-carveout-memremap",
	.title = "kvm_vcpu_map() memremap()s a PFN without struct page for the nested VMCB, with no reference and no notifier",
	.source = "same series as vmrun-unguarded-pfnmap; kvm_vcpu_map() in 6.1 virt/kvm/kvm_main.c",
	.kernels = "before 6.13",
	.kind = EXOTIC_KIND_CARVEOUT, .method = EXOTIC_MAP_REMAP,
	.path = EXOTIC_PATH_VMRUN, .event = EXOTIC_EV_NONE,
	.length = 2 * PG,
},
{
	.name = "pfnmap-lookup-race",
	.title = "an invalidation between hva_to_pfn_remapped()'s fault-in and its second PTE lookup kills the vCPU with KVM_RUN EFAULT, "
		 "although the page maps a moment later (TTM eviction, a vfio-pci BAR toggled, a dma-buf move)",
	.source = "found by exotic-storm; the fix is kernel-patches/6.1 0010 and kernel-patches/7.3 0001 (retry the fault "
		  "when an invalidation of the hva/gfn overlapped the lookup); the structure is unchanged in 7.x's "
		  "hva_to_pfn_remapped() (virt/kvm/kvm_main.c)",
	.kernels = "6.1 and later, x86 (staged here with the driver's race_zap_faults=1)",
	.kind = EXOTIC_KIND_REFCOUNTED, .method = EXOTIC_MAP_FAULT,
	.path = EXOTIC_PATH_NPF, .event = EXOTIC_EV_NONE,
	.length = 4 * PG, .scn_flags = EXOTIC_SCN_LOOKUP_RACE,
},
};

#define N_REPRO (sizeof(catalog) / sizeof(catalog[0]))

EXOTIC_EXPORT size_t exotic_repro_count(void)
{
	return N_REPRO;
}

EXOTIC_EXPORT const struct exotic_repro *exotic_repro_at(size_t i)
{
	return i < N_REPRO ? &catalog[i] : NULL;
}

EXOTIC_EXPORT const struct exotic_repro *exotic_repro_find(const char *name)
{
	for (size_t i = 0; name && i < N_REPRO; i++)
		if (!strcmp(catalog[i].name, name))
			return &catalog[i];
	return NULL;
}

/* Its alloc flags on the running kernel (the unsafe flag only if needed). */
static uint32_t alloc_flags(const struct exotic_repro *r)
{
	unsigned int major = 0, minor = 0;
	struct utsname u;

	if (!r->unsafe_before || uname(&u) ||
	    sscanf(u.release, "%u.%u", &major, &minor) != 2 ||
	    (major << 8 | minor) < r->unsafe_before)
		return r->alloc_flags;
	return r->alloc_flags & ~EXOTIC_ALLOC_UNSAFE_DRIVER_BUG;
}

EXOTIC_EXPORT void exotic_repro_scenario(const struct exotic_repro *r, uint64_t seed,
					 struct exotic_scenario *s)
{
	exotic_scenario_init(s, r->kind, r->method, r->path, r->event, seed);
	s->default_order = 0;
	s->order = r->order;
	s->length = r->length;
	s->alloc_flags = alloc_flags(r);
	s->flags = r->scn_flags;
	s->prot = r->prot;
}

EXOTIC_EXPORT void exotic_repro_describe(const struct exotic_repro *r, char *buf,
					 size_t len)
{
	snprintf(buf, len, "%s order %u, %llu bytes, %s, path %s, event %s%s%s%s",
		 exotic_kind_name(r->kind), r->order, (unsigned long long)r->length,
		 exotic_method_name(r->method), exotic_path_name(r->path),
		 exotic_event_name(r->event),
		 r->alloc_flags & EXOTIC_ALLOC_READONLY ? ", read-only" : "",
		 r->scn_flags & EXOTIC_SCN_GUEST_WRITE ? ", guest writes" : "",
		 r->scn_flags & EXOTIC_SCN_LOOKUP_RACE ? ", lookup race staged" : "");
}

EXOTIC_EXPORT void exotic_repro_json_fields(FILE *f, const struct exotic_repro *r)
{
	char scn[160];

	exotic_repro_describe(r, scn, sizeof(scn));
	fprintf(f, "\"name\": ");
	exotic_json_str(f, r->name);
	fprintf(f, ", \"title\": ");
	exotic_json_str(f, r->title);
	fprintf(f, ",\n     \"source\": ");
	exotic_json_str(f, r->source);
	fprintf(f, ",\n     \"kernels\": ");
	exotic_json_str(f, r->kernels);
	fprintf(f, ",\n     \"kind\": \"%s\", \"method\": \"%s\", \"path\": \"%s\", \"event\": \"%s\", \"order\": %u, \"length\": %llu, \"scenario\": ",
		exotic_kind_name(r->kind), exotic_method_name(r->method),
		exotic_path_name(r->path), exotic_event_name(r->event), r->order,
		(unsigned long long)r->length);
	exotic_json_str(f, scn);
}
