// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The expectation tables and their parser, on the host: every built-in
 * table parses, covers every kind x method x path x event cell and every
 * reproducer, is the file in expect/ (not a stale copy), and keeps the
 * invariants no kernel can break; the parser refuses each kind of bad
 * input; the profile is detected from the right facts.
 * Run from the top of the tree (scripts/check does).
 */
#include <errno.h>
#include <glob.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <cmocka.h>

#include "exotic/exotic.h"
#include "exotic/expect.h"
#include "logcap.h"
#include "wrap.h"


static struct exotic_ctx *ctx;

static int group_setup(void **state)
{
	(void)state;
	if (exotic_new(&ctx))
		return -1;
	/* the parser logs every refusal; the asserts are what counts */
	exotic_set_log_priority(ctx, LOG_CRIT);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	exotic_unref(ctx);
	return 0;
}

static struct exotic_expect *builtin(const char *profile)
{
	struct exotic_expect *t = NULL;

	assert_int_equal(exotic_expect_builtin(ctx, profile, &t), 0);
	assert_non_null(t);
	assert_string_equal(exotic_expect_profile(t), profile);
	return t;
}

static void test_profiles_listed(void **state)
{
	const char *const *p = exotic_expect_profiles();
	int n = 0;

	(void)state;
	glob_t g;

	for (; p[n]; n++)
		assert_non_null(exotic_expect_builtin_text(p[n], NULL));
	/* every table of expect/ is built in */
	assert_int_equal(glob("expect/*.tsv", 0, NULL, &g), 0);
	assert_int_equal(n, g.gl_pathc);
	globfree(&g);
	assert_null(exotic_expect_builtin_text("stock-5.10", NULL));
	assert_int_equal(exotic_expect_builtin(ctx, "stock-5.10", &(struct exotic_expect *){ NULL }),
			 -ENOENT);
}

/* every cell, once, in every table; nothing else */
static void test_tables_complete(void **state)
{
	const char *const *p = exotic_expect_profiles();

	(void)state;
	for (; *p; p++) {
		struct exotic_expect *t = builtin(*p);
		size_t cells = 0, repros = 0;

		for (uint32_t k = 1; k <= EXOTIC_KIND_MAX; k++)
			for (uint32_t m = 1; m <= EXOTIC_MAP_MAX; m++)
				for (uint32_t pa = 1; pa <= EXOTIC_PATH_MAX; pa++)
					for (uint32_t e = 1; e <= EXOTIC_EV_MAX; e++) {
						const struct exotic_expect_entry *x =
							exotic_expect_lookup(t, k, m, pa, e);

						if (!(exotic_event_scope(e) & EXOTIC_EV_IN_MATRIX)) {
							assert_null(x);
							continue;
						}
						if (!x)
							fail_msg("%s: no entry for %s %s %s %s", *p,
								 exotic_kind_name(k), exotic_method_name(m),
								 exotic_path_name(pa), exotic_event_name(e));
						assert_string_not_equal(x->reason, "");
						cells++;
					}
		for (size_t i = 0; i < exotic_repro_count(); i++) {
			if (!exotic_expect_lookup_repro(t, exotic_repro_at(i)->name))
				fail_msg("%s: no expectation for reproducer %s", *p,
					 exotic_repro_at(i)->name);
			repros++;
		}
		/* a storm row for each kind x method the driver maps */
		for (uint32_t k = 1; k <= EXOTIC_KIND_MAX; k++)
			for (uint32_t m = 1; m <= EXOTIC_MAP_MAX; m++) {
				bool mapped = !(m == EXOTIC_MAP_PAGE && k != EXOTIC_KIND_REFCOUNTED &&
						k != EXOTIC_KIND_COMPOUND) &&
					      !(m == EXOTIC_MAP_HUGE && k == EXOTIC_KIND_REFCOUNTED);
				int head = 0, tail = 0;

				assert_int_equal(exotic_expect_lookup_storm(t, k, m, &head, &tail, NULL),
						 mapped ? 0 : -ENOENT);
				if (mapped && (!exotic_outcome_name(head) ||
					       !exotic_outcome_name(tail)))
					fail_msg("%s: storm row %s %s", *p, exotic_kind_name(k),
						 exotic_method_name(m));
			}
		/* 5 kinds x 5 methods x 6 paths x 4 events */
		assert_int_equal(cells, 600);
		/* no row for a reproducer that does not exist */
		assert_int_equal(exotic_expect_count(t), cells + repros);
		exotic_expect_free(t);
	}
}

/* the built-in copy is the file: a stale build would judge by old data */
static void test_builtin_is_the_file(void **state)
{
	const char *const *p = exotic_expect_profiles();

	(void)state;
	for (; *p; p++) {
		char path[128], *buf;
		size_t len, got;
		const char *text = exotic_expect_builtin_text(*p, &len);
		FILE *f;

		snprintf(path, sizeof(path), "expect/%s.tsv", *p);
		f = fopen(path, "r");
		if (!f)
			fail_msg("%s: not found (run from the top of the tree)", path);
		buf = malloc(len + 2);
		assert_non_null(buf);
		got = fread(buf, 1, len + 1, f);
		fclose(f);
		if (got != len || memcmp(buf, text, len))
			fail_msg("%s differs from the copy built into libexotic: rebuild (make)", path);
		free(buf);
	}
}

/* what no profile may claim, whatever KVM does */
static void test_tables_invariants(void **state)
{
	const char *const *p = exotic_expect_profiles();

	(void)state;
	for (; *p; p++) {
		struct exotic_expect *t = builtin(*p);

		for (size_t i = 0; i < exotic_expect_count(t); i++) {
			const struct exotic_expect_entry *x = exotic_expect_at(t, i);

			assert_int_not_equal(x->before, EXOTIC_OUT_NOT_RUN);
			assert_non_null(strchr(x->reason, '('));
			if (x->repro)
				continue;
			/* the driver decides refusals, the same on every kernel */
			if (x->before == EXOTIC_OUT_REFUSED)
				assert_int_equal(x->after, EXOTIC_OUT_NOT_RUN);
			/* revoked memory is gone: nothing may still reach it */
			if (x->event == EXOTIC_EV_REVOKE)
				assert_int_not_equal(x->after, EXOTIC_OUT_MAPPED);
			/* no kernel is expected to let a stale translation through */
			assert_int_not_equal(x->before, EXOTIC_OUT_DETECT);
			assert_int_not_equal(x->after, EXOTIC_OUT_DETECT);
			assert_int_not_equal(x->after, EXOTIC_OUT_MISMATCH);
			/*
			 * a VMCB access either runs L2 or is refused: #GP, or
			 * on 7.x an exit to userspace (KVM_EXIT_INTERNAL_ERROR);
			 * a kernel report during it (warn, kmsg) or a refcount
			 * that moved overrides what it saw
			 */
			if (x->path == EXOTIC_PATH_VMRUN && x->before != EXOTIC_OUT_REFUSED)
				assert_true(x->before == EXOTIC_OUT_MAPPED || x->before == EXOTIC_OUT_GP ||
					    x->before == EXOTIC_OUT_REFCOUNT || x->before == EXOTIC_OUT_KMSG ||
					    x->before == EXOTIC_OUT_WARN ||
					    x->before == EXOTIC_OUT_KVM_ERROR);
		}
		exotic_expect_free(t);
	}
	/* the driver decides refusals: the same on the 6.1 profiles */
	{
		struct exotic_expect *s = builtin("stock-6.1");

		for (p = exotic_expect_profiles(); *p; p++) {
			if (strstr(*p, "-6.1") == NULL || strstr(*p, "-6.12"))
				continue;
			struct exotic_expect *t = builtin(*p);

			for (size_t i = 0; i < exotic_expect_count(s); i++) {
				const struct exotic_expect_entry *a = exotic_expect_at(s, i), *b;

				if (a->repro)
					continue;
				b = exotic_expect_lookup(t, a->kind, a->method, a->path, a->event);
				assert_non_null(b);
				assert_int_equal(a->before == EXOTIC_OUT_REFUSED,
						 b->before == EXOTIC_OUT_REFUSED);
			}
			exotic_expect_free(t);
		}
		exotic_expect_free(s);
	}
}

/* The table's entry for a cell, which must be there with outcome before. */
static const struct exotic_expect_entry *expect_before(const struct exotic_expect *t,
							uint32_t kind, uint32_t method,
							uint32_t path, uint32_t event,
							uint32_t before)
{
	const struct exotic_expect_entry *x = exotic_expect_lookup(t, kind, method, path, event);

	assert_non_null(x);
	assert_int_equal(x->before, before);
	return x;
}

/* the facts the stock table must state (docs/design.md §6) */
static void test_stock_key_rows(void **state)
{
	struct exotic_expect *t = builtin("stock-6.1");
	const struct exotic_expect_entry *x;

	(void)state;
	x = expect_before(t, EXOTIC_KIND_NONCOMPOUND, EXOTIC_MAP_FAULT, EXOTIC_PATH_NPF,
			  EXOTIC_EV_NONE, EXOTIC_OUT_EFAULT);
	assert_non_null(strstr(x->reason, "kvm_try_get_pfn()"));
	expect_before(t, EXOTIC_KIND_NONCOMPOUND, EXOTIC_MAP_REMAP, EXOTIC_PATH_VMRUN,
		      EXOTIC_EV_NONE, EXOTIC_OUT_GP);
	x = expect_before(t, EXOTIC_KIND_REFCOUNTED, EXOTIC_MAP_REMAP, EXOTIC_PATH_NPF,
			  EXOTIC_EV_REVOKE, EXOTIC_OUT_MAPPED);
	assert_int_equal(x->after, EXOTIC_OUT_EFAULT);
	x = exotic_expect_lookup_repro(t, "reserved-refcount0-warn");
	assert_int_equal(x->before, EXOTIC_OUT_WARN);
	exotic_expect_free(t);

	t = builtin("patched-6.1");
	expect_before(t, EXOTIC_KIND_NONCOMPOUND, EXOTIC_MAP_FAULT, EXOTIC_PATH_NPF,
		      EXOTIC_EV_NONE, EXOTIC_OUT_MAPPED);
	expect_before(t, EXOTIC_KIND_NONCOMPOUND, EXOTIC_MAP_REMAP, EXOTIC_PATH_VMRUN,
		      EXOTIC_EV_NONE, EXOTIC_OUT_GP);
	exotic_expect_free(t);
}

/*
 * Every row of b, cells, reproducers and storm rows, is a's, reason and
 * all, but the reproducer skip (not compared) and the nested-tdp cells
 * whose reason differs: each must then name nested_fn (NULL: none may).
 * Returns how many of those there are.
 */
static size_t assert_same_rows(const struct exotic_expect *a_t, const struct exotic_expect *b_t,
			       const char *skip, const char *nested_fn)
{
	const struct exotic_expect_entry *a, *b;
	int head, tail, head2, tail2;
	const char *why, *why2;
	size_t nested = 0;

	assert_int_equal(exotic_expect_count(a_t), exotic_expect_count(b_t));
	for (size_t i = 0; i < exotic_expect_count(a_t); i++) {
		a = exotic_expect_at(a_t, i);
		b = a->repro ? exotic_expect_lookup_repro(b_t, a->repro) :
			       exotic_expect_lookup(b_t, a->kind, a->method, a->path, a->event);
		assert_non_null(b);
		if (a->repro && skip && !strcmp(a->repro, skip))
			continue;
		assert_int_equal(a->before, b->before);
		assert_int_equal(a->after, b->after);
		if (nested_fn && !a->repro && a->path == EXOTIC_PATH_NESTED_TDP &&
		    strcmp(a->reason, b->reason)) {
			assert_non_null(strstr(b->reason, nested_fn));
			nested++;
			continue;
		}
		assert_string_equal(a->reason, b->reason);
	}
	for (uint32_t k = 1; k <= EXOTIC_KIND_MAX; k++)
		for (uint32_t m = 1; m <= EXOTIC_MAP_MAX; m++) {
			if (exotic_expect_lookup_storm(a_t, k, m, &head, &tail, &why))
				continue;
			assert_int_equal(exotic_expect_lookup_storm(b_t, k, m, &head2, &tail2, &why2), 0);
			assert_int_equal(head, head2);
			assert_int_equal(tail, tail2);
			assert_string_equal(why, why2);
		}
	return nested;
}

/*
 * kernel-patches/7.3 changes one thing on 7.3 (measured): the staged
 * VM_PFNMAP lookup race maps instead of failing KVM_RUN.  Every other row
 * of upstream-7.3-patched is upstream-7.3's, reason and all.
 */
static void test_upstream_patched_differs_by_the_race(void **state)
{
	struct exotic_expect *u = builtin("upstream-7.3"), *p = builtin("upstream-7.3-patched");
	const struct exotic_expect_entry *a, *b;

	(void)state;
	assert_same_rows(u, p, "pfnmap-lookup-race", NULL);
	a = exotic_expect_lookup_repro(u, "pfnmap-lookup-race");
	assert_int_equal(a->before, EXOTIC_OUT_EFAULT);
	b = exotic_expect_lookup_repro(p, "pfnmap-lookup-race");
	assert_int_equal(b->before, EXOTIC_OUT_MAPPED);
	assert_int_equal(b->after, EXOTIC_OUT_MAPPED);
	assert_non_null(strstr(b->reason, "kvm_handle_error_pfn()"));
	exotic_expect_free(u);
	exotic_expect_free(p);
}

/*
 * Shadow paging changes no outcome on 7.3 (measured: every matrix cell,
 * reproducer and storm row of upstream-7.3-shadow is upstream-7.3's).  Only
 * the nested-tdp reasons differ: 7.3 drops NP_ENABLE without NPT, so L2
 * runs on shadow paging instead of the nested MMU.
 */
static void test_upstream_shadow_differs_by_nested_paging(void **state)
{
	struct exotic_expect *u = builtin("upstream-7.3"), *s = builtin("upstream-7.3-shadow");

	(void)state;
	assert_true(assert_same_rows(u, s, NULL, "__nested_copy_vmcb_control_to_cache()") > 0);
	exotic_expect_free(u);
	exotic_expect_free(s);
}

static int parse(const char *text)
{
	struct exotic_expect *t = (struct exotic_expect *)1;
	int ret = exotic_expect_parse(ctx, "test", text, strlen(text), &t);

	if (ret)
		assert_null(t);
	exotic_expect_free(ret ? NULL : t);
	return ret;
}

#define HDR "@profile\ttest\n"
#define ROW(k, m, p, e, b, a) k "\t" m "\t" p "\t" e "\t" b "\t" a "\tfoo(): a reason long enough\n"

static void test_parse_good(void **state)
{
	struct exotic_expect *t = NULL;
	const char text[] = "# a comment\r\n" HDR "@describe\tsomething\n\n"
		ROW("carveout", "huge", "copy", "revoke", "mapped", "mmio")
		"repro:x\t-\t-\t-\twarn\t-\tbar(): also long enough\n";
	const struct exotic_expect_entry *x;

	(void)state;
	assert_int_equal(exotic_expect_parse(ctx, "t", text, strlen(text), &t), 0);
	assert_string_equal(exotic_expect_profile(t), "test");
	assert_string_equal(exotic_expect_describe(t), "something");
	assert_int_equal(exotic_expect_count(t), 2);
	x = exotic_expect_lookup(t, EXOTIC_KIND_CARVEOUT, EXOTIC_MAP_HUGE,
				 EXOTIC_PATH_COPY, EXOTIC_EV_REVOKE);
	assert_non_null(x);
	assert_int_equal(x->before, EXOTIC_OUT_MAPPED);
	assert_int_equal(x->after, EXOTIC_OUT_MMIO);
	assert_int_equal(x->line, 5);
	assert_null(exotic_expect_lookup(t, EXOTIC_KIND_CARVEOUT, EXOTIC_MAP_HUGE,
					 EXOTIC_PATH_COPY, EXOTIC_EV_NONE));
	x = exotic_expect_lookup_repro(t, "x");
	assert_non_null(x);
	assert_int_equal(x->before, EXOTIC_OUT_WARN);
	assert_int_equal(x->after, EXOTIC_OUT_NOT_RUN);
	assert_null(exotic_expect_lookup_repro(t, "y"));
	exotic_expect_free(t);
}

static void test_parse_bad(void **state)
{
	(void)state;
	assert_int_equal(parse(ROW("carveout", "huge", "copy", "none", "mapped", "mapped")), -EINVAL);
	assert_int_equal(parse(HDR ROW("carve", "huge", "copy", "none", "mapped", "mapped")), -EINVAL);
	assert_int_equal(parse(HDR ROW("carveout", "big", "copy", "none", "mapped", "mapped")), -EINVAL);
	assert_int_equal(parse(HDR ROW("carveout", "huge", "dma", "none", "mapped", "mapped")), -EINVAL);
	assert_int_equal(parse(HDR ROW("carveout", "huge", "copy", "move", "mapped", "mapped")), -EINVAL);
	/* a storm event is no matrix event */
	assert_int_equal(parse(HDR ROW("carveout", "huge", "copy", "replace", "mapped", "mapped")), -EINVAL);
	assert_int_equal(parse(HDR ROW("carveout", "huge", "copy", "none", "fine", "mapped")), -EINVAL);
	assert_int_equal(parse(HDR ROW("carveout", "huge", "copy", "none", "-", "mapped")), -EINVAL);
	assert_int_equal(parse(HDR "carveout\thuge\tcopy\tnone\tmapped\tmapped\n"), -EINVAL);
	assert_int_equal(parse(HDR "carveout\thuge\tcopy\tnone\tmapped\tmapped\tno function named\n"),
			 -EINVAL);
	assert_int_equal(parse(HDR "carveout\thuge\tcopy\tnone\tmapped\tmapped\tf(): x\textra\n"),
			 -EINVAL);
	assert_int_equal(parse(HDR ROW("carveout", "huge", "copy", "none", "mapped", "mapped")
			       ROW("carveout", "huge", "copy", "none", "efault", "efault")), -EINVAL);
	assert_int_equal(parse(HDR "repro:\t-\t-\t-\tmapped\tmapped\tf(): long enough\n"), -EINVAL);
	assert_int_equal(parse(HDR "repro:a\tpage\t-\t-\tmapped\tmapped\tf(): long enough\n"), -EINVAL);
	assert_int_equal(parse(HDR "storm:carve\tremap\t-\t-\tmapped\tmapped\tf(): long enough\n"), -EINVAL);
	assert_int_equal(parse(HDR "storm:carveout\tremap\tnpf\t-\tmapped\tmapped\tf(): long enough\n"), -EINVAL);
	assert_int_equal(parse(HDR "storm:carveout\tremap\t-\t-\tgp\tmapped\tf(): long enough\n"), -EINVAL);
	assert_int_equal(parse(HDR "storm:carveout\tremap\t-\t-\tmapped\tmapped\tno function\n"), -EINVAL);
	assert_int_equal(parse(HDR "storm:carveout\tremap\t-\t-\tmapped\tany\tf(): long enough\n"
			       "storm:carveout\tremap\t-\t-\tmapped\tcrash\tf(): long enough\n"), -EINVAL);
	assert_int_equal(parse(HDR "storm:carveout\tremap\t-\t-\trefcount\tany\tf(): long enough\n"), 0);
	/* "leak", the storm rows' old word for "refcount", is still read */
	assert_int_equal(parse(HDR "storm:carveout\tremap\t-\t-\tleak\tany\tf(): long enough\n"), 0);
	/* "any" says a storm does not judge a page; a matrix cell is always judged */
	assert_int_equal(parse(HDR ROW("carveout", "huge", "copy", "none", "any", "mapped")), -EINVAL);
	assert_int_equal(parse(HDR "@owner\tme\n"), -EINVAL);
	assert_int_equal(parse("@profile\n"), -EINVAL);
	/* a comment is any line that starts with '#' */
	assert_int_equal(parse("# if this\n#include <x>\n" HDR), 0);
	assert_int_equal(exotic_expect_parse(ctx, "nul", HDR "\0x", sizeof(HDR) + 1,
					     &(struct exotic_expect *){ NULL }), -EINVAL);
	assert_int_equal(exotic_expect_parse(ctx, "x", NULL, 0, NULL), -EINVAL);
	assert_int_equal(exotic_expect_load(ctx, "expect/no-such.tsv",
					    &(struct exotic_expect *){ NULL }), -ENOENT);
}

/* A refused path or event names every one the column takes, and no other. */
static void test_parse_bad_lists_the_names(void **state)
{
	struct exotic_ctx *c;
	struct exotic_expect *t = NULL;
	struct logcap cap;
	const char bad_path[] = HDR ROW("carveout", "huge", "dma", "none", "mapped", "mapped");
	const char bad_event[] = HDR ROW("carveout", "huge", "copy", "move", "mapped", "mapped");

	(void)state;
	assert_int_equal(exotic_new(&c), 0);
	logcap_attach(c, &cap);
	assert_int_equal(exotic_expect_parse(c, "t", bad_path, strlen(bad_path), &t), -EINVAL);
	assert_true(logcap_has(&cap, "unknown path 'dma'"));
	for (unsigned int i = 1; i <= EXOTIC_PATH_MAX; i++)
		assert_true(logcap_has(&cap, exotic_path_name(i)));
	logcap_clear(&cap);
	assert_int_equal(exotic_expect_parse(c, "t", bad_event, strlen(bad_event), &t), -EINVAL);
	assert_true(logcap_has(&cap, "unknown event 'move'"));
	for (unsigned int i = 1; i <= EXOTIC_EV_MAX; i++)
		assert_int_equal(logcap_has(&cap, exotic_event_name(i)),
				 !!(exotic_event_scope(i) & EXOTIC_EV_IN_MATRIX));
	exotic_unref(c);
}

static void test_names(void **state)
{
	(void)state;
	for (unsigned int i = 1; i <= EXOTIC_PATH_MAX; i++)
		assert_int_equal(exotic_path_from_name(exotic_path_name(i)), (int)i);
	for (unsigned int i = 1; i <= EXOTIC_EV_MAX; i++) {
		assert_int_equal(exotic_event_from_name(exotic_event_name(i)), (int)i);
		assert_int_not_equal(exotic_event_scope(i), 0);
	}
	for (unsigned int i = 0; i <= EXOTIC_OUT_MAX; i++)
		assert_int_equal(exotic_outcome_from_name(exotic_outcome_name(i)), (int)i);
	assert_null(exotic_path_name(0));
	assert_null(exotic_path_name(EXOTIC_PATH_MAX + 1));
	assert_null(exotic_event_name(0));
	assert_null(exotic_event_name(EXOTIC_EV_MAX + 1));
	assert_int_equal(exotic_event_scope(0), 0);
	assert_int_equal(exotic_event_scope(EXOTIC_EV_MAX + 1), 0);
	/* one vocabulary, two scopes */
	assert_int_equal(exotic_event_scope(EXOTIC_EV_NONE), EXOTIC_EV_IN_MATRIX);
	assert_int_equal(exotic_event_scope(EXOTIC_EV_REVOKE), EXOTIC_EV_IN_MATRIX);
	assert_int_equal(exotic_event_scope(EXOTIC_EV_INVALIDATE), EXOTIC_EV_IN_MATRIX | EXOTIC_EV_IN_STORM);
	assert_int_equal(exotic_event_scope(EXOTIC_EV_MIGRATE), EXOTIC_EV_IN_MATRIX | EXOTIC_EV_IN_STORM);
	assert_int_equal(exotic_event_scope(EXOTIC_EV_REPLACE), EXOTIC_EV_IN_STORM);
	assert_int_equal(exotic_event_scope(EXOTIC_EV_MPROTECT), EXOTIC_EV_IN_STORM);
	assert_int_equal(exotic_event_from_name("nope"), -EINVAL);
	assert_null(exotic_outcome_name(EXOTIC_OUT_MAX + 1));
	assert_int_equal(exotic_path_from_name("Fault"), -EINVAL);
	assert_int_equal(exotic_event_from_name(NULL), -EINVAL);
}

static void test_detect(void **state)
{
	char p[32], why[256];

	(void)state;
	assert_int_equal(exotic_expect_detect_from("6.1.0-56-amd64", -1, EXOTIC_MMU_TDP, p, sizeof(p), why, sizeof(why)), 0);
	assert_string_equal(p, "stock-6.1");
	assert_int_equal(exotic_expect_detect_from("6.1.0-56-amd64", 0, EXOTIC_MMU_TDP, p, sizeof(p), NULL, 0), 0);
	assert_string_equal(p, "patched-6.1");
	assert_int_equal(exotic_expect_detect_from("6.1.0-56-amd64", 1, EXOTIC_MMU_TDP, p, sizeof(p), NULL, 0), 0);
	assert_string_equal(p, "patched-6.1-unsafe");
	assert_int_equal(exotic_expect_detect_from("7.3.4+deb13-amd64", 0, EXOTIC_MMU_TDP, p, sizeof(p), why, sizeof(why)), 0);
	assert_string_equal(p, "upstream-7.3");
	assert_null(strstr(why, "extrapolated"));
	assert_int_equal(exotic_expect_detect_from("7.3.4+deb13-amd64", 1, EXOTIC_MMU_TDP, p, sizeof(p), NULL, 0), 0);
	assert_string_equal(p, "upstream-7.3-unsafe");
	/* a kernel nobody measured: the nearest table, and it says so */
	assert_int_equal(exotic_expect_detect_from("6.13.2", 0, EXOTIC_MMU_TDP, p, sizeof(p), why, sizeof(why)), 0);
	assert_string_equal(p, "upstream-7.3");
	assert_non_null(strstr(why, "extrapolated"));
	assert_int_equal(exotic_expect_detect_from("6.13.2", -1, EXOTIC_MMU_TDP, p, sizeof(p), why, sizeof(why)), -ENOENT);
	assert_int_equal(exotic_expect_detect_from("6.12.95+deb12-amd64", -1, EXOTIC_MMU_TDP, p, sizeof(p), why, sizeof(why)), 0);
	assert_string_equal(p, "lts-6.12");
	assert_null(strstr(why, "extrapolated"));
	assert_int_equal(exotic_expect_detect_from("6.6.30", -1, EXOTIC_MMU_TDP, p, sizeof(p), why, sizeof(why)), 0);
	assert_string_equal(p, "lts-6.12");
	assert_non_null(strstr(why, "extrapolated"));
	assert_int_equal(exotic_expect_detect_from("6.6.30", 0, EXOTIC_MMU_TDP, p, sizeof(p), why, sizeof(why)), -ENOENT);
	assert_non_null(strstr(why, "6.6.30"));
	assert_int_equal(exotic_expect_detect_from("5.15.0", -1, EXOTIC_MMU_TDP, p, sizeof(p), why, sizeof(why)), -ENOENT);
	assert_int_equal(exotic_expect_detect_from("linux", -1, EXOTIC_MMU_TDP, p, sizeof(p), why, sizeof(why)), -ENOENT);
	assert_int_equal(exotic_expect_detect_from("6.1.0", -1, EXOTIC_MMU_TDP, p, 4, NULL, 0), -ENAMETOOLONG);
	assert_int_equal(exotic_expect_detect_from(NULL, -1, EXOTIC_MMU_TDP, p, sizeof(p), NULL, 0), -EINVAL);
}

/*
 * A scenario whose harness fails (here: the child cannot even open the
 * device, its first calloc() fails) is the caller's failure: a negative
 * errno, never a result marked skipped.
 */
static void test_isolated_harness_failure(void **state)
{
	struct exotic_scenario s;
	struct exotic_scenario_result res;
	int ret;

	(void)state;
	exotic_scenario_init(&s, EXOTIC_KIND_REFCOUNTED, EXOTIC_MAP_REMAP,
			     EXOTIC_PATH_NPF, EXOTIC_EV_NONE, 1);
	wrap_reset();
	wrap_fail("calloc", 0, ENOMEM);
	ret = exotic_scenario_run_isolated(ctx, &s, &res, 30);
	wrap_reset();
	print_message("harness failure: %s; detail: %s\n", exotic_strerror(ret), res.detail);
	assert_true(ret < 0);
	assert_int_equal(res.skipped, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_profiles_listed),
		cmocka_unit_test(test_tables_complete),
		cmocka_unit_test(test_builtin_is_the_file),
		cmocka_unit_test(test_tables_invariants),
		cmocka_unit_test(test_stock_key_rows),
		cmocka_unit_test(test_upstream_patched_differs_by_the_race),
		cmocka_unit_test(test_upstream_shadow_differs_by_nested_paging),
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_parse_bad_lists_the_names),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_detect),
		cmocka_unit_test(test_isolated_harness_failure),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
