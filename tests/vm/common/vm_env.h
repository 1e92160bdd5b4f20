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

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

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

#endif
