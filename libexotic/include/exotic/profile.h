/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Kernel profiles: which kernel, which KVM modules with which parameters,
 * judged against which expectation table.  The list is data
 * (kernels/profiles.tsv in the source tree, built into the library; the
 * scripts read the same file), format in docs/profiles.md.
 *
 * A profile is detected on a running kernel from uname's release, KVM's
 * allow_unsafe_mappings parameter (absent on Debian's KVM before 6.13,
 * present with our kernel-patches/6.1 and upstream from 6.13 on) and the
 * MMU mode KVM runs its guests in (two-dimensional paging, or shadow
 * paging with kvm_amd.npt=0 / kvm_intel.ept=0).  Tools take --profile to
 * force one and --list-profiles to print them.
 */
#ifndef EXOTIC_PROFILE_H
#define EXOTIC_PROFILE_H

#include <stdio.h>

#include "exotic.h"

#ifdef __cplusplus
extern "C" {
#endif

/* How KVM maps guest memory: NPT/EPT, or shadow page tables. */
enum exotic_mmu {
	EXOTIC_MMU_TDP = 0,	/* two-dimensional paging (the default) */
	EXOTIC_MMU_SHADOW = 1,	/* kvm_amd.npt=0 or kvm_intel.ept=0 */
};

/* What kvm.allow_unsafe_mappings is on the profile's kernel. */
enum exotic_unsafe {
	EXOTIC_UNSAFE_ABSENT = -1,	/* no such parameter */
	EXOTIC_UNSAFE_N = 0,
	EXOTIC_UNSAFE_Y = 1,
};

struct exotic_profile {
	const char *name;	/* "stock", "patched", "upstream-unsafe", ... */
	const char *kernel;	/* "pin", "set:NAME", "debug" */
	const char *kvm;	/* "kernel" (its own modules) or "patched" */
	const char *params;	/* kvm.ko parameters, "" for none */
	int mmu;		/* enum exotic_mmu */
	const char *table;	/* expectation table: "stock-6.1", ... */
	const char *versions;	/* detected on: "6.1", "6.2-6.12", "6.13-", "" never */
	int unsafe;		/* enum exotic_unsafe */
	const char *measured;	/* version the table was measured on: "7.3" */
	const char *describe;
};

/* The profiles in the registry's order; NULL past the end. */
EXOTIC_EXPORT size_t exotic_profile_count(void);
EXOTIC_EXPORT const struct exotic_profile *exotic_profile_at(size_t i);

/* By profile name, else the first profile judged by table NAME; NULL if none. */
EXOTIC_EXPORT const struct exotic_profile *exotic_profile_lookup(const char *name);

/*
 * The profile of a kernel with this release (as uname -r), this
 * allow_unsafe_mappings (enum exotic_unsafe) and this MMU mode (enum
 * exotic_mmu): the first row whose versions, unsafe and mmu match.  why (may be NULL) gets one line: the facts, and
 * "extrapolated" when the release is not the version the table was
 * measured on.  Returns 0, -EINVAL on bad arguments, -ENOENT when no
 * profile fits (why says so).
 */
EXOTIC_EXPORT int exotic_profile_detect_from(const char *release, int unsafe, int mmu,
					     const struct exotic_profile **profile,
					     char *why, size_t why_size);

/*
 * The profile a kernel detected as detected is judged by when it was booted
 * as booted_name ($EXOTIC_PROFILE, which scripts/vm-run sets; NULL when
 * unknown): that one if detection never picks it (versions "-") and its
 * facts agree (allow_unsafe_mappings, MMU mode, and the same kernel or the
 * debug kernel, built from the pinned 6.1's source, for a pinned-6.1
 * profile), e.g. upstream-patched for upstream, debug for stock,
 * debug-patched for patched; else detected.
 */
EXOTIC_EXPORT const struct exotic_profile *
exotic_profile_as_booted(const struct exotic_profile *detected, const char *booted_name);

/* The same on the running kernel, refined by $EXOTIC_PROFILE as above. */
EXOTIC_EXPORT int exotic_profile_detect(struct exotic_ctx *ctx,
					const struct exotic_profile **profile,
					char *why, size_t why_size);

/*
 * The profile a run is for: $EXOTIC_PROFILE (set by scripts/vm-run, which
 * knows what it booted) when it names one, else the detected one; NULL if
 * neither.
 */
EXOTIC_EXPORT const struct exotic_profile *exotic_profile_current(void);

/*
 * The same kernel, KVM and MMU mode with allow_unsafe_mappings set to unsafe (the
 * profile itself if it already is, or has no such parameter); NULL if the
 * registry has no such profile.
 */
EXOTIC_EXPORT const struct exotic_profile *
exotic_profile_with_unsafe(const struct exotic_profile *profile, int unsafe);

/* Print the registry, one profile per line, marking the running kernel's. */
EXOTIC_EXPORT void exotic_profile_print_list(FILE *out);

#ifdef __cplusplus
}
#endif

#endif
