/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Expectations: what a given kernel must do with each kind of exotic memory
 * × mapping method × KVM access path × owner event, and the scenario runner
 * that finds out what the running kernel does (exotic-matrix, exotic-repro,
 * tests/vm/test_matrix*).
 *
 * A scenario allocates a region, backs a memslot with it, accesses it
 * through one KVM path, applies one event, accesses it again.  Each of the
 * two accesses ("before" and "after" the event) has one outcome; the pair
 * is compared with an expectation table entry.
 *
 * Expectation tables are data: one tab-separated file per kernel profile
 * (expect/PROFILE.tsv in the source tree, built into the library), each
 * entry carrying a one-line reason naming the kernel function responsible.
 * Format, in docs/matrix-schema.md:
 *
 *   # comment
 *   @profile	stock-6.1
 *   @describe	Debian's 6.1 KVM
 *   kind	method	path	event	before	after	reason
 *
 * kind/method names are exotic_kind_name()/exotic_method_name()'s; paths
 * "npf" ("fault" is read as "npf"), "vmrun", "copy"; events "none", "invalidate", "migrate",
 * "revoke"; outcomes exotic_outcome_name()'s, "-" for "not run", "crash"
 * for an access measured to stop the kernel (never run unless forced).
 * Reproducers use the same files with the kind column "repro:NAME" and
 * "-" in method, path and event; the storm's rows have "storm:KIND",
 * the method, "-" in path and event, and the outcomes on the head and on
 * the tail pages of a block in the storm's names (exotic/storm.h).
 */
#ifndef EXOTIC_EXPECT_H
#define EXOTIC_EXPECT_H

#include "exotic.h"
#include "event.h"

#ifdef __cplusplus
extern "C" {
#endif

struct exotic_device;

/* KVM access paths (docs/design.md §6). */
enum exotic_path {
	EXOTIC_PATH_NPF = 1,	/* vCPU nested page fault (NPT/EPT): kvm_faultin_pfn(),
				 * mmu-notifier guarded */
	EXOTIC_PATH_VMRUN = 2,	/* kvm_vcpu_map() through a nested VMRUN, unguarded */
	EXOTIC_PATH_COPY = 3,	/* kvm_vcpu_read_guest(): emulated string I/O */
	EXOTIC_PATH_PVCLOCK = 4, /* kvmclock: the guest points MSR_KVM_SYSTEM_TIME_NEW
				 * at the page, KVM writes the clock through its
				 * gfn-to-pfn cache */
	EXOTIC_PATH_STEAL_TIME = 5, /* MSR_KVM_STEAL_TIME at the page: KVM writes
				 * the record with user accesses through the VMA */
	EXOTIC_PATH_NESTED_TDP = 6, /* an L2 under nested paging reads the page:
				 * KVM's nested MMU shadows L1's nested page
				 * table (FNAME(fetch), its prefetch) */
	EXOTIC_PATH_MAX = 6,
};

/* What one access did. */
enum exotic_outcome {
	EXOTIC_OUT_NOT_RUN = 0,	/* "-" */
	EXOTIC_OUT_MAPPED,	/* the access completed and the data verified */
	EXOTIC_OUT_EFAULT,	/* KVM_RUN failed with EFAULT */
	EXOTIC_OUT_GP,		/* the nested VMRUN probe took #GP */
	EXOTIC_OUT_NOT_ENTERED,	/* VMRUN completed without entering L2 */
	EXOTIC_OUT_MMIO,	/* KVM turned the access into an MMIO exit */
	EXOTIC_OUT_DETECT,	/* poison read through a stale translation */
	EXOTIC_OUT_MISMATCH,	/* wrong data, not poison */
	EXOTIC_OUT_KVM_ERROR,	/* another KVM_RUN error or exit */
	EXOTIC_OUT_WARN,	/* the kernel logged a WARNING */
	EXOTIC_OUT_KMSG,	/* the kernel logged another console-oracle finding */
	EXOTIC_OUT_REFCOUNT,	/* the driver saw a backing page with a wrong refcount */
	EXOTIC_OUT_REFUSED,	/* the driver refuses this kind × method (EINVAL) */
	EXOTIC_OUT_HANG,	/* the scenario did not finish in time, or died */
	EXOTIC_OUT_NOT_WRITTEN,	/* pvclock, steal-time: KVM did not write the
				 * record (it gives the guest no error) */
	EXOTIC_OUT_STALE_WRITE,	/* a retired page's poison was overwritten:
				 * something wrote through a stale translation */
	/*
	 * A storm row's outcome only: the storm does not judge these pages
	 * (what KVM does with them is not pinned down on the profile).
	 */
	EXOTIC_OUT_ANY,
	/*
	 * A table's outcome only, never measured: the access stops the
	 * kernel (a BUG() or panic that no process survives, measured on the
	 * profile's kernel and named in the reason).  The runner does not run
	 * such a row unless forced (exotic_runner_config.allow_crash).  As
	 * "before" it wants "-" after: nothing runs on a stopped kernel.
	 */
	EXOTIC_OUT_CRASH,
	EXOTIC_OUT_MAX = EXOTIC_OUT_CRASH,
};

/* Names and back (-EINVAL when unknown). */
EXOTIC_EXPORT const char *exotic_path_name(unsigned int path);
EXOTIC_EXPORT int exotic_path_from_name(const char *name);
EXOTIC_EXPORT const char *exotic_outcome_name(unsigned int outcome);
EXOTIC_EXPORT int exotic_outcome_from_name(const char *name);

/* ------------------------------------------------------------ tables */

struct exotic_expect;

/* One entry.  kind is 0 and repro set for reproducer entries. */
struct exotic_expect_entry {
	uint32_t kind, method, path, event;
	const char *repro;	/* "NAME" for "repro:NAME" rows, else NULL */
	uint32_t before, after;	/* enum exotic_outcome */
	const char *reason;
	unsigned int line;	/* in the source text */
};

/*
 * Parse a table from text (len bytes, need not be NUL-terminated).  name is
 * used in messages (a file name).  Every error is logged with its line and
 * returns -EINVAL: unknown kind/method/path/event/outcome, missing reason,
 * wrong column count, a duplicate entry, no @profile line.
 */
EXOTIC_EXPORT int exotic_expect_parse(struct exotic_ctx *ctx, const char *name,
				      const char *text, size_t len,
				      struct exotic_expect **table);
/* Read and parse a file. */
EXOTIC_EXPORT int exotic_expect_load(struct exotic_ctx *ctx, const char *path,
				     struct exotic_expect **table);
/* A table built into the library, by profile name; -ENOENT if none. */
EXOTIC_EXPORT int exotic_expect_builtin(struct exotic_ctx *ctx,
					const char *profile,
					struct exotic_expect **table);
/* The names of the built-in profiles, NULL-terminated. */
EXOTIC_EXPORT const char *const *exotic_expect_profiles(void);
/* The built-in text of a profile's table, or NULL. */
EXOTIC_EXPORT const char *exotic_expect_builtin_text(const char *profile,
						     size_t *len);
EXOTIC_EXPORT void exotic_expect_free(struct exotic_expect *table);

EXOTIC_EXPORT const char *exotic_expect_profile(const struct exotic_expect *table);
EXOTIC_EXPORT const char *exotic_expect_describe(const struct exotic_expect *table);
EXOTIC_EXPORT size_t exotic_expect_count(const struct exotic_expect *table);
EXOTIC_EXPORT const struct exotic_expect_entry *
exotic_expect_at(const struct exotic_expect *table, size_t i);
/* The entry for a matrix cell or a reproducer; NULL if there is none. */
EXOTIC_EXPORT const struct exotic_expect_entry *
exotic_expect_lookup(const struct exotic_expect *table, uint32_t kind,
		     uint32_t method, uint32_t path, uint32_t event);
EXOTIC_EXPORT const struct exotic_expect_entry *
exotic_expect_lookup_repro(const struct exotic_expect *table, const char *name);
/*
 * The storm row of kind x method ("storm:KIND" rows): the vCPU fault
 * path's outcome on a block's first page (head) and on the others (tail),
 * as enum exotic_outcome (mapped, efault, warn, refcount, crash or any),
 * and its reason.  Any
 * pointer may be NULL.  0, -ENOENT if the table has no such row, -EINVAL
 * without a table.
 */
EXOTIC_EXPORT int exotic_expect_lookup_storm(const struct exotic_expect *table,
					     uint32_t kind, uint32_t method,
					     int *head, int *tail, const char **reason);

/*
 * Which profile the running kernel is: "stock-6.1", "patched-6.1",
 * "patched-6.1-unsafe", "lts-6.12", "upstream-7.3" or "upstream-7.3-unsafe",
 * from uname's release and KVM's module parameters (kvm.allow_unsafe_mappings
 * exists only where KVM can map non-refcounted memory: our patches and
 * upstream >= 6.13; its value selects the -unsafe variant) and the MMU
 * mode.  "upstream-7.3-patched" (its kernel and parameters are
 * upstream-7.3's, only the KVM modules differ: kernels/profiles.tsv,
 * versions -) and "debug-6.1" only when $EXOTIC_PROFILE says the kernel
 * was booted so (exotic_profile_as_booted()).  A kernel
 * between measured ones gets the nearest table, and why says it is
 * extrapolated.  why (may be NULL) gets a one-line explanation.
 * Returns 0, or -ENOENT when no table fits this kernel (why says so).
 */
EXOTIC_EXPORT int exotic_expect_detect(struct exotic_ctx *ctx, char *profile,
				       size_t size, char *why, size_t why_size);
/* The same from explicit facts (for tests): release as uname -r, unsafe
 * -1 when the parameter does not exist, else its value, mmu an enum
 * exotic_mmu (exotic/profile.h). */
EXOTIC_EXPORT int exotic_expect_detect_from(const char *release, int unsafe, int mmu,
					    char *profile, size_t size,
					    char *why, size_t why_size);

/* ------------------------------------------------------------ runner */

/* exotic_scenario.flags */
#define EXOTIC_SCN_GUEST_WRITE	(1U << 0)	/* fault path: the guest writes, the host checks */
/*
 * fault method, fault path: stage KVM's VM_PFNMAP lookup race for the
 * first access.  The region's PTEs are zapped, then the driver's
 * race_zap_faults=1 makes its next fault zap the PTE it inserted, so that
 * hva_to_pfn_remapped()'s second lookup finds none (root, in the test VM).
 */
#define EXOTIC_SCN_LOOKUP_RACE	(1U << 1)
#define EXOTIC_SCN_SLOT_GPA	0x40000000ULL	/* where the region's memslot goes */

struct exotic_scenario {
	uint32_t kind;		/* enum exotic_kind */
	uint32_t method;	/* enum exotic_method */
	uint32_t path;		/* enum exotic_path */
	uint32_t event;		/* enum exotic_ev, one EXOTIC_EV_IN_MATRIX */
	uint32_t order;		/* block order; 0 with default_order: the matrix's */
	uint32_t alloc_flags;	/* EXOTIC_ALLOC_* */
	uint64_t length;	/* bytes; 0: the matrix's default */
	uint32_t flags;		/* EXOTIC_SCN_* */
	uint32_t pad;
	uint64_t seed;
	int prot;		/* mmap protection, 0: the region's default */
	int default_order;	/* non-zero: pick order and length as the matrix does */
};

/* Fill s with the matrix's choices for one cell (order, length, seed). */
EXOTIC_EXPORT void exotic_scenario_init(struct exotic_scenario *s,
					uint32_t kind, uint32_t method,
					uint32_t path, uint32_t event,
					uint64_t seed);

struct exotic_scenario_result {
	uint32_t before, after;	/* enum exotic_outcome */
	int alloc_err;		/* exotic_region_new()'s error, 0 if allocated */
	int skipped;		/* 1: could not run here (detail says why) */
	uint32_t order;		/* the order actually used */
	uint64_t length;
	/* references the backing pages gained or lost beyond what the
	 * library's refcount judge expects (EXOTIC_IOC_QUERY: live and
	 * quarantined pages) */
	uint64_t refcount_anomalies;
	uint64_t ms;		/* wall time */
	char detail[320];	/* what each access saw, page by page */
	char kmsg[200];		/* the first console-oracle line, if any */
};

/*
 * Run one scenario on dev (a fresh VM each time).  Returns 0 when the
 * scenario ran (whatever its outcome: see *res) or was skipped
 * (res->skipped: the driver has no carve-out, -ENODEV/-EOPNOTSUPP, or the
 * combination needs unsafe_driver_bugs, -EPERM), or a negative errno when
 * the harness itself failed (no KVM, a VM, vCPU or memslot not created, a
 * region not allocated for want of memory or under the byte cap).
 */
EXOTIC_EXPORT int exotic_scenario_run(struct exotic_device *dev,
				      const struct exotic_scenario *s,
				      struct exotic_scenario_result *res);

/*
 * The same in a child process with a device file of its own, so that a
 * scenario the kernel wedges (a task that never returns, a process killed
 * by an oops) is reported instead of taking the caller with it: if the
 * child does not finish within timeout_s seconds it is killed and the
 * result is EXOTIC_OUT_HANG (detail and kmsg say what is known); the same
 * if it dies.  Everything the child allocated goes with it.  When the
 * harness fails in the child (no device, a VM, vCPU, memslot or region it
 * cannot create) the child's negative errno is returned, with detail set:
 * such a failure is never reported as a skipped scenario.
 */
EXOTIC_EXPORT int exotic_scenario_run_isolated(struct exotic_ctx *ctx,
					       const struct exotic_scenario *s,
					       struct exotic_scenario_result *res,
					       unsigned int timeout_s);

#ifdef __cplusplus
}
#endif

#endif /* EXOTIC_EXPECT_H */
