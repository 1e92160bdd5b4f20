// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The profile registry on the host: the built-in registry is the file in
 * kernels/ with every row parsed (none silently dropped), every profile
 * names a built-in table, names are unique, lookup and the unsafe
 * variants work, detection picks the right row from the facts, and
 * $EXOTIC_PROFILE wins over detection.  Run from the top of the tree.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "exotic/exotic.h"

static void test_every_row_parsed(void **state)
{
	FILE *f = fopen("kernels/profiles.tsv", "r");
	char line[1024];
	size_t rows = 0, i = 0;

	(void)state;
	if (!f)
		fail_msg("kernels/profiles.tsv: run from the top of the tree");
	while (fgets(line, sizeof(line), f)) {
		char name[64];

		if (line[0] == '#' || line[0] == '\n')
			continue;
		assert_int_equal(sscanf(line, "%63[^\t]", name), 1);
		assert_non_null(exotic_profile_at(i));
		assert_string_equal(exotic_profile_at(i)->name, name);
		rows++, i++;
	}
	fclose(f);
	assert_true(rows >= 7);
	assert_int_equal(exotic_profile_count(), rows);
	assert_null(exotic_profile_at(rows));
}

static void test_rows_sound(void **state)
{
	(void)state;
	for (size_t i = 0; i < exotic_profile_count(); i++) {
		const struct exotic_profile *p = exotic_profile_at(i);

		print_message("%s: %s %s [%s] %s\n", p->name, p->kernel, p->kvm,
			      p->params, p->table);
		assert_non_null(exotic_expect_builtin_text(p->table, NULL));
		assert_true(!strcmp(p->kernel, "pin") || !strcmp(p->kernel, "debug") ||
			    !strncmp(p->kernel, "set:", 4));
		assert_true(!strcmp(p->kvm, "kernel") || !strcmp(p->kvm, "patched"));
		assert_true(p->unsafe >= EXOTIC_UNSAFE_ABSENT && p->unsafe <= EXOTIC_UNSAFE_Y);
		assert_true(p->mmu == EXOTIC_MMU_TDP || p->mmu == EXOTIC_MMU_SHADOW);
		/* a shadow-paging profile is named for it */
		assert_int_equal(!!strstr(p->name, "-shadow"), p->mmu == EXOTIC_MMU_SHADOW);
		/* the -unsafe tables are the ones with the parameter set */
		assert_int_equal(!!strstr(p->table, "-unsafe"), p->unsafe == EXOTIC_UNSAFE_Y);
		assert_int_equal(!!strstr(p->params, "allow_unsafe_mappings=1"),
				 p->unsafe == EXOTIC_UNSAFE_Y);
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(exotic_profile_at(j)->name, p->name);
	}
}

/*
 * Profile name, judged by table, runs kernel with KVM from kernel-patches:
 * never detected, no allow_unsafe_mappings=1 variant, found by its table.
 */
static const struct exotic_profile *patched_only(const char *name, const char *table,
						  const char *kernel)
{
	const struct exotic_profile *p = exotic_profile_lookup(name);

	assert_non_null(p);
	assert_string_equal(p->table, table);
	assert_string_equal(p->kernel, kernel);
	assert_string_equal(p->kvm, "patched");
	assert_string_equal(p->versions, "");
	assert_int_equal(p->unsafe, EXOTIC_UNSAFE_N);
	assert_null(exotic_profile_with_unsafe(p, EXOTIC_UNSAFE_Y));
	assert_string_equal(exotic_profile_lookup(table)->name, name);
	return p;
}

static void test_lookup(void **state)
{
	const struct exotic_profile *p;

	(void)state;
	p = exotic_profile_lookup("upstream-unsafe");
	assert_non_null(p);
	assert_string_equal(p->table, "upstream-7.3-unsafe");
	assert_string_equal(p->kernel, "set:upstream");
	/* by table: the first profile judged by it */
	assert_string_equal(exotic_profile_lookup("stock-6.1")->name, "stock");
	assert_string_equal(exotic_profile_lookup("debug")->table, "debug-6.1");
	assert_null(exotic_profile_lookup("nope"));
	assert_null(exotic_profile_lookup(NULL));
	assert_string_equal(exotic_profile_with_unsafe(exotic_profile_lookup("patched"),
						       EXOTIC_UNSAFE_Y)->name, "patched-unsafe");
	assert_string_equal(exotic_profile_with_unsafe(exotic_profile_lookup("upstream-unsafe"),
						       EXOTIC_UNSAFE_N)->name, "upstream");
	/* KVM rebuilt from kernel-patches/7.3: no allow_unsafe_mappings=1 variant */
	patched_only("upstream-patched", "upstream-7.3-patched", "set:upstream");
	/* the debug kernel with kernel-patches/6.1 built against it */
	p = patched_only("debug-patched", "debug-patched-6.1", "debug");
	assert_string_equal(p->params, "");
	assert_int_equal(p->mmu, EXOTIC_MMU_TDP);
	/* no parameter, no variant: the profile itself */
	assert_string_equal(exotic_profile_with_unsafe(exotic_profile_lookup("stock"),
						       EXOTIC_UNSAFE_Y)->name, "stock");
	assert_null(exotic_profile_with_unsafe(NULL, 1));
	/* the MMU mode is part of a profile: no unsafe variant under shadow paging */
	p = exotic_profile_lookup("patched-shadow");
	assert_non_null(p);
	assert_int_equal(p->mmu, EXOTIC_MMU_SHADOW);
	assert_string_equal(p->table, "patched-6.1-shadow");
	assert_null(exotic_profile_with_unsafe(p, EXOTIC_UNSAFE_Y));
	assert_int_equal(exotic_profile_lookup("patched")->mmu, EXOTIC_MMU_TDP);
}

static void test_detect(void **state)
{
	const struct exotic_profile *p;
	char why[320];

	(void)state;
	assert_int_equal(exotic_profile_detect_from("6.1.0-57-amd64", -1, EXOTIC_MMU_TDP, &p, why, sizeof(why)), 0);
	assert_string_equal(p->name, "stock");	/* not debug: never detected */
	assert_int_equal(exotic_profile_detect_from("6.1.0-57-amd64", 1, EXOTIC_MMU_TDP, &p, NULL, 0), 0);
	assert_string_equal(p->name, "patched-unsafe");
	assert_int_equal(exotic_profile_detect_from("6.12.95+deb12-amd64", -1, EXOTIC_MMU_TDP, &p, why, sizeof(why)), 0);
	assert_string_equal(p->name, "lts-6.12");
	assert_int_equal(exotic_profile_detect_from("6.2.0", -1, EXOTIC_MMU_TDP, &p, why, sizeof(why)), 0);
	assert_string_equal(p->name, "lts-6.12");
	assert_non_null(strstr(why, "extrapolated from 6.12"));
	assert_int_equal(exotic_profile_detect_from("6.13.0", 1, EXOTIC_MMU_TDP, &p, why, sizeof(why)), 0);
	assert_string_equal(p->name, "upstream-unsafe");
	assert_int_equal(exotic_profile_detect_from("8.0.1", 0, EXOTIC_MMU_TDP, &p, why, sizeof(why)), 0);
	assert_string_equal(p->name, "upstream");
	assert_non_null(strstr(why, "extrapolated from 7.3"));
	/* not upstream-patched, which has the same kernel and parameter */
	assert_int_equal(exotic_profile_detect_from("7.3.4+deb13-amd64", 0, EXOTIC_MMU_TDP, &p, why, sizeof(why)), 0);
	assert_string_equal(p->name, "upstream");
	/* facts no row has */
	assert_int_equal(exotic_profile_detect_from("6.12.1", 0, EXOTIC_MMU_TDP, &p, why, sizeof(why)), -ENOENT);
	assert_null(p);
	assert_non_null(strstr(why, "no profile for such a KVM"));
	assert_int_equal(exotic_profile_detect_from("6.0.9", -1, EXOTIC_MMU_TDP, &p, why, sizeof(why)), -ENOENT);
	assert_non_null(strstr(why, "no profile covers 6.0"));
	/* the MMU mode picks the row */
	assert_int_equal(exotic_profile_detect_from("6.1.0-57-amd64", -1, EXOTIC_MMU_SHADOW, &p, why, sizeof(why)), 0);
	assert_string_equal(p->name, "stock-shadow");
	/* its own table: nested paging is refused without NPT (nested-tdp) */
	assert_string_equal(p->table, "stock-6.1-shadow");
	assert_non_null(strstr(why, "shadow paging"));
	assert_int_equal(exotic_profile_detect_from("6.1.0-57-amd64", 0, EXOTIC_MMU_SHADOW, &p, NULL, 0), 0);
	assert_string_equal(p->name, "patched-shadow");
	assert_int_equal(exotic_profile_detect_from("6.1.0-57-amd64", 0, EXOTIC_MMU_TDP, &p, NULL, 0), 0);
	assert_string_equal(p->name, "patched");
	/* the debug kernel's release: patched or stock, never debug-patched or debug */
	assert_int_equal(exotic_profile_detect_from("6.1.192-exotic-debug", 0, EXOTIC_MMU_TDP, &p, why, sizeof(why)), 0);
	assert_string_equal(p->name, "patched");
	assert_int_equal(exotic_profile_detect_from("6.1.192-exotic-debug", -1, EXOTIC_MMU_TDP, &p, why, sizeof(why)), 0);
	assert_string_equal(p->name, "stock");
	assert_int_equal(exotic_profile_detect_from("6.1.192-exotic-debug", 0, EXOTIC_MMU_SHADOW, &p, NULL, 0), 0);
	assert_string_equal(p->name, "patched-shadow");
	/* no facts make detection pick a never-detected row */
	for (size_t i = 0; i < exotic_profile_count(); i++) {
		static const char *const rel[] = { "6.1.0-57-amd64", "6.1.192-exotic-debug",
						   "6.12.95+deb12-amd64", "7.3.4+deb13-amd64" };

		for (size_t r = 0; r < sizeof(rel) / sizeof(rel[0]); r++)
			for (int u = -1; u <= 1; u++)
				for (int m = EXOTIC_MMU_TDP; m <= EXOTIC_MMU_SHADOW; m++) {
					if (exotic_profile_detect_from(rel[r], u, m, &p, NULL, 0))
						continue;
					assert_string_not_equal(p->name, "debug-patched");
					assert_string_not_equal(p->name, "debug");
					assert_string_not_equal(p->name, "upstream-patched");
					assert_string_not_equal(p->versions, "");
				}
	}
	/* 7.x with shadow paging: upstream-shadow (measured on 7.3) */
	assert_int_equal(exotic_profile_detect_from("7.3.4+deb13-amd64", 0, EXOTIC_MMU_SHADOW, &p, why, sizeof(why)), 0);
	assert_string_equal(p->name, "upstream-shadow");
	assert_string_equal(p->table, "upstream-7.3-shadow");
	assert_non_null(strstr(why, "shadow paging"));
	/* no measured shadow-paging profile with allow_unsafe_mappings=Y: said, not guessed */
	assert_int_equal(exotic_profile_detect_from("7.3.4+deb13-amd64", 1, EXOTIC_MMU_SHADOW, &p, why, sizeof(why)), -ENOENT);
	assert_non_null(strstr(why, "shadow paging"));
	assert_int_equal(exotic_profile_detect_from("6.1.0", -1, 2, &p, NULL, 0), -EINVAL);
	assert_int_equal(exotic_profile_detect_from("6.1.0", 2, EXOTIC_MMU_TDP, &p, NULL, 0), -EINVAL);
	assert_int_equal(exotic_profile_detect_from(NULL, -1, EXOTIC_MMU_TDP, &p, NULL, 0), -EINVAL);
	assert_int_equal(exotic_profile_detect_from("6.1.0", -1, EXOTIC_MMU_TDP, NULL, NULL, 0), -EINVAL);
}

static void test_current_env(void **state)
{
	(void)state;
	setenv("EXOTIC_PROFILE", "lts-6.12", 1);
	assert_string_equal(exotic_profile_current()->name, "lts-6.12");
	setenv("EXOTIC_PROFILE", "debug", 1);
	assert_string_equal(exotic_profile_current()->table, "debug-6.1");
	/* never detected, so vm-run's EXOTIC_PROFILE is the only way to it */
	setenv("EXOTIC_PROFILE", "upstream-patched", 1);
	assert_string_equal(exotic_profile_current()->table, "upstream-7.3-patched");
	setenv("EXOTIC_PROFILE", "debug-patched", 1);
	assert_string_equal(exotic_profile_current()->table, "debug-patched-6.1");
	unsetenv("EXOTIC_PROFILE");
}

/* Detection refined by what vm-run booted: never-detected profiles only. */
static void test_as_booted(void **state)
{
	const struct exotic_profile *up = exotic_profile_lookup("upstream");
	const struct exotic_profile *stock = exotic_profile_lookup("stock");

	(void)state;
	assert_string_equal(exotic_profile_as_booted(up, "upstream-patched")->name, "upstream-patched");
	assert_string_equal(exotic_profile_as_booted(stock, "debug")->name, "debug");
	assert_string_equal(exotic_profile_as_booted(exotic_profile_lookup("patched"),
						     "debug-patched")->name, "debug-patched");
	/* a profile detection picks is never overridden: detection says what runs */
	assert_ptr_equal(exotic_profile_as_booted(stock, "patched"), stock);
	assert_ptr_equal(exotic_profile_as_booted(up, "upstream-unsafe"), up);
	/* facts that disagree: another kernel, another parameter */
	assert_ptr_equal(exotic_profile_as_booted(stock, "upstream-patched"), stock);
	assert_ptr_equal(exotic_profile_as_booted(up, "debug"), up);
	assert_ptr_equal(exotic_profile_as_booted(exotic_profile_lookup("patched"), "debug"),
			 exotic_profile_lookup("patched"));
	/* debug-patched: kvm.allow_unsafe_mappings=N, TDP, and the debug
	 * kernel is built from the pinned 6.1 only */
	assert_ptr_equal(exotic_profile_as_booted(stock, "debug-patched"), stock);
	assert_ptr_equal(exotic_profile_as_booted(exotic_profile_lookup("patched-unsafe"), "debug-patched"),
			 exotic_profile_lookup("patched-unsafe"));
	assert_ptr_equal(exotic_profile_as_booted(exotic_profile_lookup("patched-shadow"), "debug-patched"),
			 exotic_profile_lookup("patched-shadow"));
	assert_ptr_equal(exotic_profile_as_booted(up, "debug-patched"), up);
	assert_ptr_equal(exotic_profile_as_booted(exotic_profile_lookup("lts-6.12"), "debug"),
			 exotic_profile_lookup("lts-6.12"));
	assert_ptr_equal(exotic_profile_as_booted(up, NULL), up);
	assert_ptr_equal(exotic_profile_as_booted(up, "nope"), up);
	assert_null(exotic_profile_as_booted(NULL, "debug"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_row_parsed),
		cmocka_unit_test(test_rows_sound),
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_detect),
		cmocka_unit_test(test_current_env),
		cmocka_unit_test(test_as_booted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
