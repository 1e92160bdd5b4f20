// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Kernel profiles: the registry (kernels/profiles.tsv, profile_data.S),
 * lookup and detection.  See exotic/profile.h and docs/profiles.md.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "internal.h"
#include "exotic/profile.h"

extern const char exotic_profiles_tsv[];

#define MAX_PROFILES 32

static struct exotic_profile profiles[MAX_PROFILES];
static size_t nprofiles;
static char *registry;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static int unsafe_from_name(const char *s)
{
	if (!strcmp(s, "absent"))
		return EXOTIC_UNSAFE_ABSENT;
	if (!strcmp(s, "N"))
		return EXOTIC_UNSAFE_N;
	if (!strcmp(s, "Y"))
		return EXOTIC_UNSAFE_Y;
	return -2;
}

static int mmu_from_name(const char *s)
{
	if (!strcmp(s, "tdp"))
		return EXOTIC_MMU_TDP;
	if (!strcmp(s, "shadow"))
		return EXOTIC_MMU_SHADOW;
	return -1;
}

/*
 * The registry is part of the library: a malformed one is a build defect,
 * which tests/unit/test_profile.c catches; rows that do not parse are
 * left out here rather than aborting a program.
 */
static void load(void)
{
	char *line, *next, *f[10];

	registry = strdup(exotic_profiles_tsv);
	for (line = registry; line && *line && nprofiles < MAX_PROFILES; line = next) {
		int n = 0;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (*line == '#' || !*line)
			continue;
		f[n++] = line;
		for (char *p = line; *p && n < 10; p++)
			if (*p == '\t') {
				*p = '\0';
				f[n++] = p + 1;
			}
		if (n != 10 || mmu_from_name(f[4]) < 0 || unsafe_from_name(f[7]) < -1)
			continue;
		profiles[nprofiles++] = (struct exotic_profile){
			.name = f[0], .kernel = f[1], .kvm = f[2],
			.params = strcmp(f[3], "-") ? f[3] : "",
			.mmu = mmu_from_name(f[4]),
			.table = f[5], .versions = strcmp(f[6], "-") ? f[6] : "",
			.unsafe = unsafe_from_name(f[7]), .measured = f[8],
			.describe = f[9],
		};
	}
}

EXOTIC_EXPORT size_t exotic_profile_count(void)
{
	pthread_once(&once, load);
	return nprofiles;
}

EXOTIC_EXPORT const struct exotic_profile *exotic_profile_at(size_t i)
{
	return i < exotic_profile_count() ? &profiles[i] : NULL;
}

EXOTIC_EXPORT const struct exotic_profile *exotic_profile_lookup(const char *name)
{
	size_t n = exotic_profile_count();

	if (!name)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (!strcmp(profiles[i].name, name))
			return &profiles[i];
	for (size_t i = 0; i < n; i++)
		if (!strcmp(profiles[i].table, name))
			return &profiles[i];
	return NULL;
}

/* "6.1", "6.2-6.12", "6.13-": does major.minor fall in it? */
static bool in_versions(const char *versions, unsigned int major, unsigned int minor)
{
	unsigned int lo_ma, lo_mi, hi_ma = ~0U, hi_mi = ~0U;
	unsigned long lo, hi, v = (unsigned long)major << 16 | minor;
	const char *dash;

	if (!*versions || sscanf(versions, "%u.%u", &lo_ma, &lo_mi) != 2)
		return false;
	dash = strchr(versions, '-');
	if (!dash)
		hi_ma = lo_ma, hi_mi = lo_mi;
	else if (dash[1] && sscanf(dash + 1, "%u.%u", &hi_ma, &hi_mi) != 2)
		return false;
	lo = (unsigned long)lo_ma << 16 | lo_mi;
	hi = hi_ma == ~0U ? ~0UL : (unsigned long)hi_ma << 16 | hi_mi;
	return v >= lo && v <= hi;
}

static const char *unsafe_text(int unsafe)
{
	return unsafe < 0 ? "kvm has no allow_unsafe_mappings parameter" :
	       unsafe ? "kvm.allow_unsafe_mappings=Y" : "kvm.allow_unsafe_mappings=N";
}

static const char *mmu_text(int mmu)
{
	return mmu == EXOTIC_MMU_SHADOW ? ", shadow paging" : "";
}

EXOTIC_EXPORT int exotic_profile_detect_from(const char *release, int unsafe, int mmu,
					     const struct exotic_profile **profile,
					     char *why, size_t why_size)
{
	const struct exotic_profile *found = NULL, *near = NULL;
	unsigned int major, minor;
	char buf[320], mm[24];
	size_t n = exotic_profile_count();

	if (!release || !profile || unsafe < -1 || unsafe > 1 ||
	    (mmu != EXOTIC_MMU_TDP && mmu != EXOTIC_MMU_SHADOW))
		return -EINVAL;
	*profile = NULL;
	if (sscanf(release, "%u.%u", &major, &minor) != 2) {
		snprintf(buf, sizeof(buf), "cannot read a version from release '%s'", release);
		goto out;
	}
	for (size_t i = 0; i < n && !found; i++) {
		if (!in_versions(profiles[i].versions, major, minor))
			continue;
		near = &profiles[i];
		if (profiles[i].unsafe == unsafe && profiles[i].mmu == mmu)
			found = &profiles[i];
	}
	snprintf(mm, sizeof(mm), "%u.%u", major, minor);
	if (found)
		snprintf(buf, sizeof(buf), "kernel %s, %s%s: profile %s (%s), table %s%s%s",
			 release, unsafe_text(unsafe), mmu_text(mmu), found->name, found->describe,
			 found->table, strcmp(mm, found->measured) ? ", extrapolated from " : "",
			 strcmp(mm, found->measured) ? found->measured : "");
	else if (near)
		snprintf(buf, sizeof(buf), "kernel %s, %s%s: no profile for such a KVM on %s (%s has %s%s)",
			 release, unsafe_text(unsafe), mmu_text(mmu), mm, near->name,
			 near->unsafe < 0 ? "no such parameter" : "the parameter",
			 near->mmu == EXOTIC_MMU_SHADOW ? ", shadow paging" : ", two-dimensional paging");
	else
		snprintf(buf, sizeof(buf), "kernel %s: no profile covers %s (kernels/profiles.tsv)",
			 release, mm);
out:
	if (why && why_size)
		snprintf(why, why_size, "%s", buf);
	*profile = found;
	return found ? 0 : -ENOENT;
}

static int running_unsafe(void)
{
	char v[16] = "";
	ssize_t n;
	int fd;

	fd = open("/sys/module/kvm/parameters/allow_unsafe_mappings", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return EXOTIC_UNSAFE_ABSENT;
	n = read(fd, v, sizeof(v) - 1);
	close(fd);
	return n > 0 && (v[0] == 'Y' || v[0] == 'y' || v[0] == '1');
}

/* KVM's MMU mode: kvm_amd's npt or kvm_intel's ept off is shadow paging. */
static int running_mmu(void)
{
	static const char *const params[] = {
		"/sys/module/kvm_amd/parameters/npt",
		"/sys/module/kvm_intel/parameters/ept",
	};

	for (size_t i = 0; i < sizeof(params) / sizeof(params[0]); i++) {
		char v[8] = "";
		ssize_t n;
		int fd = open(params[i], O_RDONLY | O_CLOEXEC);

		if (fd < 0)
			continue;
		n = read(fd, v, sizeof(v) - 1);
		close(fd);
		if (n > 0)
			return v[0] == 'N' || v[0] == 'n' || v[0] == '0' ?
			       EXOTIC_MMU_SHADOW : EXOTIC_MMU_TDP;
	}
	return EXOTIC_MMU_TDP;
}

EXOTIC_EXPORT int exotic_profile_detect(struct exotic_ctx *ctx,
					const struct exotic_profile **profile,
					char *why, size_t why_size)
{
	char buf[320];
	struct utsname u;
	int ret;

	if (!profile)
		return -EINVAL;
	if (uname(&u))
		return -errno;
	ret = exotic_profile_detect_from(u.release, running_unsafe(), running_mmu(), profile,
					 buf, sizeof(buf));
	if (ret == -ENOENT)
		exotic_err(ctx, "%s: force a profile with --profile\n", buf);
	if (!ret) {
		const struct exotic_profile *booted =
			exotic_profile_as_booted(*profile, getenv("EXOTIC_PROFILE"));

		if (booted != *profile) {
			size_t n = strlen(buf);

			snprintf(buf + n, sizeof(buf) - n,
				 "; booted as %s, which detection never picks: table %s",
				 booted->name, booted->table);
			*profile = booted;
		}
	}
	if (why && why_size)
		snprintf(why, why_size, "%s", buf);
	return ret;
}

EXOTIC_EXPORT const struct exotic_profile *
exotic_profile_as_booted(const struct exotic_profile *detected, const char *booted_name)
{
	const struct exotic_profile *b = exotic_profile_lookup(booted_name);

	if (!detected || !b || b == detected || *b->versions || b->unsafe != detected->unsafe ||
	    b->mmu != detected->mmu)
		return detected;
	/*
	 * the same kernel, or the debug kernel, which is built from the
	 * pinned 6.1's source (scripts/kernel-debug)
	 */
	if (strcmp(b->kernel, detected->kernel) &&
	    (strcmp(b->kernel, "debug") || strcmp(detected->kernel, "pin")))
		return detected;
	return b;
}

EXOTIC_EXPORT const struct exotic_profile *exotic_profile_current(void)
{
	const struct exotic_profile *p = exotic_profile_lookup(getenv("EXOTIC_PROFILE"));

	if (!p && exotic_profile_detect(NULL, &p, NULL, 0))
		return NULL;
	return p;
}

EXOTIC_EXPORT const struct exotic_profile *
exotic_profile_with_unsafe(const struct exotic_profile *p, int unsafe)
{
	size_t n = exotic_profile_count();

	if (!p || p->unsafe == EXOTIC_UNSAFE_ABSENT || p->unsafe == unsafe)
		return p;
	for (size_t i = 0; i < n; i++)
		if (!strcmp(profiles[i].kernel, p->kernel) && !strcmp(profiles[i].kvm, p->kvm) &&
		    profiles[i].mmu == p->mmu && profiles[i].unsafe == unsafe)
			return &profiles[i];
	return NULL;
}

EXOTIC_EXPORT void exotic_profile_print_list(FILE *out)
{
	const struct exotic_profile *here = NULL;
	size_t n = exotic_profile_count();
	char why[320] = "";

	exotic_profile_detect(NULL, &here, why, sizeof(why));
	fprintf(out, "%-16s %-20s %-10s %-7s %-7s %s\n", "PROFILE", "TABLE", "KERNELS",
		"UNSAFE", "MMU", "DESCRIPTION");
	for (size_t i = 0; i < n; i++) {
		const struct exotic_profile *p = &profiles[i];

		fprintf(out, "%-16s %-20s %-10s %-7s %-7s %s%s\n", p->name, p->table,
			*p->versions ? p->versions : "never",
			p->unsafe < 0 ? "absent" : p->unsafe ? "Y" : "N",
			p->mmu == EXOTIC_MMU_SHADOW ? "shadow" : "tdp", p->describe,
			p == here ? "  <- this kernel" : "");
	}
	fprintf(out, "this kernel: %s\n", why);
}
