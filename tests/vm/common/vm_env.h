/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the guest suites know about where they run.  scripts/vm-run exports
 * EXOTIC_PROFILE (a name of kernels/profiles.tsv) and EXOTIC_TEST_VM into the test VM: there
 * KVM, /dev/kvm and /dev/exotic were set up by the runner, so their absence,
 * or a harness failure, is a failure and never a skip.  Run by hand outside
 * the test VM, the suites still skip what this machine does not have.
 */
#ifndef EXOTIC_VM_ENV_H
#define EXOTIC_VM_ENV_H

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sys/utsname.h>

#include "exotic/exotic.h"
#include "exotic/expect.h"
#include "exotic/profile.h"

/* "stock", "patched", ... when in the test VM, else NULL. */
static inline const char *vm_env_profile(void)
{
	const char *p = getenv("EXOTIC_PROFILE");

	return p && *p ? p : NULL;
}

static inline bool vm_env_in_test_vm(void)
{
	return vm_env_profile() != NULL;
}

/*
 * The expectation table the booted profile must be detected as: the
 * registry's (kernels/profiles.tsv), or its allow_unsafe_mappings=Y
 * sibling's when the parameter was set on top of it (unsafe: 1).  NULL
 * when not in the test VM or the profile is unknown.
 */
static inline const char *vm_env_table(int unsafe)
{
	const struct exotic_profile *p = exotic_profile_lookup(vm_env_profile());

	if (p && unsafe >= 0)
		p = exotic_profile_with_unsafe(p, unsafe);
	return p ? p->table : NULL;
}

/*
 * The expectation table to judge this run by: exotic_profile_detect()'s,
 * which takes the booted profile ($EXOTIC_PROFILE) where detection never
 * picks it and the facts agree (exotic_profile_as_booted(): upstream-patched
 * on upstream's kernel, debug on the 6.1 it is built from).  why, when not
 * NULL, gets detection's line.  Returns what exotic_expect_detect() does.
 */
static inline int vm_env_detect(struct exotic_ctx *ctx, char *table, size_t size,
				char *why, size_t why_size)
{
	return exotic_expect_detect(ctx, table, size, why, why_size);
}

/*
 * Whether kvm.ko is the booted profile's: a patched KVM is built out of
 * tree (scripts/kvm-patched), which taints the kernel with O when it
 * loads; the kernel's own is not.  -1 when it cannot tell (no profile, or
 * no /sys/module/kvm/taint).
 */
static inline int vm_env_kvm_matches_profile(void)
{
	const struct exotic_profile *booted = exotic_profile_lookup(vm_env_profile());
	FILE *f = fopen("/sys/module/kvm/taint", "r");
	char taint[32] = "";
	bool out_of_tree;

	if (!f)
		return -1;
	if (!fgets(taint, sizeof(taint), f))
		taint[0] = '\0';
	fclose(f);
	if (!booted)
		return -1;
	out_of_tree = strchr(taint, 'O') != NULL;
	return out_of_tree == !strcmp(booted->kvm, "patched");
}

/*
 * Skip outside the test VM, fail inside it: for what the runner provides
 * (/dev/kvm, /dev/exotic, a working harness).  Use in a test body.
 */
#define vm_env_need(cond, ...)						\
	do {								\
		if (!(cond)) {						\
			print_message(__VA_ARGS__);			\
			if (vm_env_in_test_vm())			\
				fail_msg("in the test VM (profile %s) this must not be missing", \
					 vm_env_profile());		\
			skip();						\
		}							\
	} while (0)

/*
 * What the scenario suites (test_matrix, test_repro) share: the device,
 * one VM kept for the whole suite so that KVM stays enabled (see
 * exotic-matrix), and the booted profile's table, whose name goes to
 * profile.  0 with *dev, *keep and *table NULL when there is no device or
 * no KVM (each test then skips, or fails in the test VM); -1 when the
 * harness itself fails.  The log is quieted: refusals are outcomes.
 */
/* Is the running kernel older than major.minor? */
static inline bool kernel_older_than(unsigned int major, unsigned int minor)
{
	unsigned int ma = 0, mi = 0;
	struct utsname u;

	assert_int_equal(uname(&u), 0);
	assert_int_equal(sscanf(u.release, "%u.%u", &ma, &mi), 2);
	return ma < major || (ma == major && mi < minor);
}

static inline int vm_env_open_scenarios(struct exotic_ctx **ctx, struct exotic_device **dev,
					struct exotic_vm **keep, struct exotic_expect **table,
					char *profile, size_t size)
{
	char why[256];

	if (exotic_new(ctx))
		return -1;
	if (exotic_device_open(*ctx, dev) || exotic_kvm_available(*ctx) ||
	    exotic_vm_new(*ctx, keep))
		return 0;
	if (vm_env_detect(*ctx, profile, size, why, sizeof(why)) ||
	    exotic_expect_builtin(*ctx, profile, table))
		return -1;
	print_message("profile %s: %s\n", profile, why);
	exotic_set_log_priority(*ctx, LOG_CRIT);
	return 0;
}

static inline void vm_env_close_scenarios(struct exotic_ctx *ctx, struct exotic_device *dev,
					  struct exotic_vm *keep, struct exotic_expect *table)
{
	exotic_vm_unref(keep);
	exotic_expect_free(table);
	exotic_device_unref(dev);
	exotic_unref(ctx);
}

#endif
