/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the guest suites know about where they run.  scripts/vm-run exports
 * EXOTIC_PROFILE (stock, patched) and EXOTIC_TEST_VM into the test VM: there
 * KVM, /dev/kvm and /dev/exotic were set up by the runner, so their absence,
 * or a harness failure, is a failure and never a skip.  Run by hand outside
 * the test VM, the suites still skip what this machine does not have.
 */
#ifndef EXOTIC_VM_ENV_H
#define EXOTIC_VM_ENV_H

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

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
 * The expectation table the booted profile must be detected as:
 * stock -> stock-6.1; patched -> patched-6.1, or patched-6.1-unsafe when
 * kvm.allow_unsafe_mappings=1 was given (unsafe: 1); lts-6.12 -> lts-6.12;
 * upstream, upstream-unsafe -> upstream-7.3(-unsafe).  NULL if unknown.
 */
static inline const char *vm_env_table(int unsafe)
{
	const char *p = vm_env_profile();

	if (!p)
		return NULL;
	if (!strcmp(p, "stock"))
		return "stock-6.1";
	if (!strcmp(p, "patched"))
		return unsafe == 1 ? "patched-6.1-unsafe" : "patched-6.1";
	if (!strcmp(p, "lts-6.12"))
		return "lts-6.12";
	if (!strcmp(p, "upstream") || !strcmp(p, "upstream-unsafe"))
		return unsafe == 1 ? "upstream-7.3-unsafe" : "upstream-7.3";
	return NULL;
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
