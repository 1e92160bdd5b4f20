// SPDX-License-Identifier: GPL-2.0
/*
 * exotic-profile: the kernel profile registry (kernels/profiles.tsv, built
 * into libexotic) for scripts that must decide on the host what a kernel
 * is, e.g. scripts/vm-run --kernel before it boots a tree of the user's.
 *
 *   exotic-profile list
 *   exotic-profile detect RELEASE absent|N|Y [tdp|shadow]
 *
 * detect prints the profile's name on stdout and the reason on stderr
 * (with "extrapolated" when RELEASE is not the version its table was
 * measured on).  Exit status: 0; 1 when no profile fits; 2 on usage errors.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "exotic/exotic.h"

static int usage(void)
{
	fprintf(stderr, "usage: exotic-profile list | detect RELEASE absent|N|Y [tdp|shadow]\n");
	return 2;
}

int main(int argc, char **argv)
{
	const struct exotic_profile *p;
	char why[320];
	int unsafe, mmu = EXOTIC_MMU_TDP;

	if (argc == 2 && !strcmp(argv[1], "list")) {
		exotic_profile_print_list(stdout);
		return 0;
	}
	if (argc < 4 || argc > 5 || strcmp(argv[1], "detect"))
		return usage();
	if (argc == 5 && !strcmp(argv[4], "shadow"))
		mmu = EXOTIC_MMU_SHADOW;
	else if (argc == 5 && strcmp(argv[4], "tdp"))
		return usage();
	if (!strcmp(argv[3], "absent"))
		unsafe = EXOTIC_UNSAFE_ABSENT;
	else if (!strcmp(argv[3], "N"))
		unsafe = EXOTIC_UNSAFE_N;
	else if (!strcmp(argv[3], "Y"))
		unsafe = EXOTIC_UNSAFE_Y;
	else
		return usage();
	if (exotic_profile_detect_from(argv[2], unsafe, mmu, &p, why, sizeof(why))) {
		fprintf(stderr, "exotic-profile: %s\n", why);
		return 1;
	}
	printf("%s\n", p->name);
	fprintf(stderr, "%s\n", why);
	return 0;
}
