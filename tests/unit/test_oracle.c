// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The console oracle: the kmsg classifier in libexotic, and exotic-console
 * (the test-VM runner's judge) fed recorded console logs.  Run from the top
 * of the tree (make check-unit does); $EXOTIC_BUILD names the build folder.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "exotic/exotic.h"

static void test_classify_lines(void **state)
{
	static const struct {
		const char *text;
		int cls;
	} cases[] = {
		{ "kvm: Nested Virtualization enabled", EXOTIC_KMSG_CLEAN },
		{ "mtrr: your CPUs had inconsistent fixed MTRR settings", EXOTIC_KMSG_CLEAN },
		{ "WARNING: CPU: 1 PID: 211 at virt/kvm/kvm_main.c:183 kvm_is_zone_device_page+0x2c/0x40", EXOTIC_KMSG_WARNING },
		{ "BUG: kernel NULL pointer dereference, address: 0000000000000008", EXOTIC_KMSG_BUG },
		{ "kernel BUG at mm/page_alloc.c:1234!", EXOTIC_KMSG_BUG },
		{ "BUG: KASAN: use-after-free in exotic_migrate+0x1f0/0x2c0", EXOTIC_KMSG_KASAN },
		{ "BUG: Bad page state in process exotic-storm  pfn:1234a", EXOTIC_KMSG_BAD_PAGE },
		{ "page dumped because: nonzero _refcount", EXOTIC_KMSG_BAD_PAGE },
		{ "refcount_t: underflow; use-after-free.", EXOTIC_KMSG_REFCOUNT },
		{ "general protection fault, probably for non-canonical address", EXOTIC_KMSG_GPF },
		{ "WARNING: possible circular locking dependency detected", EXOTIC_KMSG_LOCKDEP },
		{ "WARNING: possible recursive locking detected", EXOTIC_KMSG_LOCKDEP },
		{ "INFO: task exotic-storm:300 blocked for more than 120 seconds.", EXOTIC_KMSG_HUNG },
		{ "watchdog: BUG: soft lockup - CPU#1 stuck for 22s!", EXOTIC_KMSG_HUNG },
		{ "Kernel panic - not syncing: Fatal exception", EXOTIC_KMSG_PANIC },
		/* the debug kernel profile's sanitizers (kernels/debug-6.1.config) */
		{ "kmemleak: 2 new suspected memory leaks (see /sys/kernel/debug/kmemleak)", EXOTIC_KMSG_LEAK },
		{ "kmemleak: unreferenced object 0xffff888006f3c800 (size 128):", EXOTIC_KMSG_LEAK },
		{ "kmemleak: Kernel memory leak detector initialized (mem pool available: 15679)", EXOTIC_KMSG_CLEAN },
		{ "kmemleak: Automatic memory scanning thread ended", EXOTIC_KMSG_CLEAN },
		{ "BUG: KFENCE: use-after-free read in exotic_region_put+0x3c/0x120 [exotic]", EXOTIC_KMSG_KASAN },
		{ "BUG: KFENCE: out-of-bounds write in exotic_ioctl+0x88/0x5c0 [exotic]", EXOTIC_KMSG_KASAN },
		{ "kfence: initialized - using 2097152 bytes for 255 objects", EXOTIC_KMSG_CLEAN },
		{ "page dumped because: VM_BUG_ON_PAGE(page_ref_count(page) == 0)", EXOTIC_KMSG_BAD_PAGE },
		{ "page dumped because: VM_BUG_ON_FOLIO(!folio_test_locked(folio))", EXOTIC_KMSG_BAD_PAGE },
		{ "WARNING: HARDIRQ-safe -> HARDIRQ-unsafe lock order detected", EXOTIC_KMSG_LOCKDEP },
		{ "WARNING: bad unlock balance detected!", EXOTIC_KMSG_LOCKDEP },
		{ "WARNING: test_driver/230 still has locks held!", EXOTIC_KMSG_LOCKDEP },
		{ "WARNING: Nested lock was not taken", EXOTIC_KMSG_LOCKDEP },
		{ "WARNING: suspicious RCU usage", EXOTIC_KMSG_LOCKDEP },
		{ "DEBUG_LOCKS_WARN_ON(1)", EXOTIC_KMSG_LOCKDEP },
		{ "BUG: sleeping function called from invalid context at mm/gup.c:1163", EXOTIC_KMSG_BUG },
		{ "BUG: KASAN: slab-out-of-bounds in exotic_ioctl+0x88/0x5c0 [exotic]", EXOTIC_KMSG_KASAN },
		{ "Lock dependency validator: Copyright (c) 2006 Red Hat, Inc., Ingo Molnar", EXOTIC_KMSG_CLEAN },
		{ "KASAN: use-after-free", EXOTIC_KMSG_KASAN },
		{ "page dumped because: kasan: bad access detected", EXOTIC_KMSG_KASAN },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int cls = exotic_kmsg_classify(cases[i].text);

		if (cls != cases[i].cls)
			fail_msg("\"%s\": got %s, want %s", cases[i].text,
				 exotic_kmsg_class_name(cls),
				 exotic_kmsg_class_name(cases[i].cls));
	}
	assert_int_equal(exotic_kmsg_classify(NULL), EXOTIC_KMSG_CLEAN);
}

static void test_class_names(void **state)
{
	(void)state;
	for (int c = 0; c <= EXOTIC_KMSG_CLASS_MAX; c++)
		assert_non_null(exotic_kmsg_class_name(c));
	assert_string_equal(exotic_kmsg_class_name(EXOTIC_KMSG_LOCKDEP), "lockdep");
	assert_string_equal(exotic_kmsg_class_name(EXOTIC_KMSG_LEAK), "leak");
	assert_null(exotic_kmsg_class_name(-1));
	assert_null(exotic_kmsg_class_name(EXOTIC_KMSG_CLASS_MAX + 1));
}

static void test_kmsg_text(void **state)
{
	(void)state;
	assert_string_equal(exotic_kmsg_text("[    3.141592] hello"), "hello");
	assert_string_equal(exotic_kmsg_text("[12345.000001] x"), "x");
	assert_string_equal(exotic_kmsg_text("4,1234,567890,-;refcount_t: x"), "refcount_t: x");
	assert_string_equal(exotic_kmsg_text("6,1,2,c,caller=T1;text"), "text");
	assert_null(exotic_kmsg_text("WARNING: printed by a program"));
	assert_null(exotic_kmsg_text("[ abc] no"));
	assert_null(exotic_kmsg_text("[    3.] no"));
	assert_null(exotic_kmsg_text("4,1234;too few fields"));
	assert_null(exotic_kmsg_text(NULL));
}

/* Run exotic-console on a fixture; return its exit status, stderr in err. */
static int judge(const char *fixture, char *err, size_t errlen)
{
	const char *build = getenv("EXOTIC_BUILD") ? getenv("EXOTIC_BUILD") : "build";
	char cmd[1024];
	FILE *p;
	size_t n;
	int status;

	snprintf(cmd, sizeof(cmd),
		 "%s/tools/exotic-console --sentinel EXOTIC-EXIT-42 tests/unit/fixtures/%s 2>&1",
		 build, fixture);
	p = popen(cmd, "r");
	assert_non_null(p);
	n = fread(err, 1, errlen - 1, p);
	err[n] = '\0';
	status = pclose(p);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void test_console_clean(void **state)
{
	char out[4096];

	(void)state;
	/* a program's own "WARNING:" is not the kernel's */
	assert_int_equal(judge("console-clean.log", out, sizeof(out)), 0);
	assert_string_equal(out, "");
}

static void expect_finding(const char *fixture, const char *cls, const char *excerpt)
{
	char out[4096], want[128];

	assert_int_equal(judge(fixture, out, sizeof(out)), 125);
	snprintf(want, sizeof(want), "  %s: ", cls);
	if (!strstr(out, want) || !strstr(out, excerpt))
		fail_msg("%s: want a %s finding with \"%s\", got:\n%s", fixture, cls, excerpt, out);
}

/*
 * A fixture with a finding of class cls that has text[0]; the console's
 * output has text[1]... besides (main() names the cases).
 */
struct finding {
	const char *fixture, *cls, *text[4];
};

static void test_console_finding(void **state)
{
	const struct finding *c = *state;
	char out[4096];

	expect_finding(c->fixture, c->cls, c->text[0]);
	if (!c->text[1])
		return;
	judge(c->fixture, out, sizeof(out));
	for (size_t i = 1; i < sizeof(c->text) / sizeof(c->text[0]) && c->text[i]; i++)
		assert_non_null(strstr(out, c->text[i]));
}

static void test_console_warn_context(void **state)
{
	char out[4096];

	(void)state;
	judge("console-warn.log", out, sizeof(out));
	/* the call trace follows the finding */
	assert_non_null(strstr(out, "hva_to_pfn_remapped"));
}

static void test_console_debug_kernel(void **state)
{
	char out[16384];

	(void)state;
	/*
	 * Recorded on the debug kernel (vm-run --profile debug): a module
	 * that reads past a kmalloc(100) and leaks it.  KASAN's report and
	 * its page dump, the leak logged by kmemleak.verbose=1 and the scan's
	 * summary (only in the final dmesg dump): four findings, although
	 * the command said 0.
	 */
	assert_int_equal(judge("console-debug-kernel.log", out, sizeof(out)), 125);
	assert_non_null(strstr(out, "  kasan: BUG: KASAN: slab-out-of-bounds in leakdemo_init"));
	assert_non_null(strstr(out, "  kasan: page dumped because: kasan: bad access detected"));
	assert_non_null(strstr(out, "  leak: kmemleak: unreferenced object 0xff11000007c03300 (size 128):"));
	assert_non_null(strstr(out, "  leak: kmemleak: 1 new suspected memory leaks"));
	assert_non_null(strstr(out, "4 findings;"));
}

static void test_console_dead(void **state)
{
	char out[4096];

	(void)state;
	assert_int_equal(judge("console-dead.log", out, sizeof(out)), 126);
}

static void test_console_duplicates_once(void **state)
{
	char out[4096];

	(void)state;
	assert_int_equal(judge("console-duplicate.log", out, sizeof(out)), 125);
	assert_non_null(strstr(out, "1 finding;"));
}

static void test_console_exit_status(void **state)
{
	char out[4096];

	(void)state;
	/* the kasan fixture's sentinel says 1, but the finding decides */
	assert_int_equal(judge("console-kasan.log", out, sizeof(out)), 125);
	assert_int_equal(judge("console-clean.log", out, sizeof(out)), 0);
}

/*
 * --tsv FILE: the findings for scripts, one line each: the kernel's
 * timestamp, the class and the kernel's text, tab-separated.
 */
static void test_console_tsv(void **state)
{
	const char *build = getenv("EXOTIC_BUILD") ? getenv("EXOTIC_BUILD") : "build";
	char tsv[] = "/tmp/exotic-console-tsv.XXXXXX", cmd[1024], line[512];
	int fd = mkstemp(tsv), status;
	FILE *f;

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	snprintf(cmd, sizeof(cmd),
		 "%s/tools/exotic-console --tsv %s tests/unit/fixtures/console-kmemleak.log 2>/dev/null",
		 build, tsv);
	status = system(cmd);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 125);
	f = fopen(tsv, "r");
	assert_non_null(f);
	assert_non_null(fgets(line, sizeof(line), f));
	if (strstr(line, "52.000001\tleak\tkmemleak: 1 new suspected memory leaks") != line)
		fail_msg("first line: %s", line);
	assert_non_null(fgets(line, sizeof(line), f));
	assert_non_null(strstr(line, "52.000002\tleak\tkmemleak: unreferenced object 0xffff888006f3c800"));
	assert_null(fgets(line, sizeof(line), f));
	fclose(f);
	/* a clean log: an empty file */
	snprintf(cmd, sizeof(cmd),
		 "%s/tools/exotic-console --sentinel EXOTIC-EXIT-42 --tsv %s tests/unit/fixtures/console-clean.log",
		 build, tsv);
	assert_int_equal(system(cmd), 0);
	f = fopen(tsv, "r");
	assert_non_null(f);
	assert_null(fgets(line, sizeof(line), f));
	fclose(f);
	unlink(tsv);
}

/* A test_console_finding case, named as a test of its own. */
#define FINDING(name, fixture, cls, ...)					\
	{ "test_console_" name, test_console_finding, NULL, NULL,		\
	  &(struct finding){ fixture, cls, { __VA_ARGS__ } } }

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classify_lines),
		cmocka_unit_test(test_class_names),
		cmocka_unit_test(test_kmsg_text),
		cmocka_unit_test(test_console_clean),
		FINDING("warn", "console-warn.log", "warning", "kvm_is_zone_device_page"),
		cmocka_unit_test(test_console_warn_context),
		FINDING("bug", "console-bug.log", "bug", "NULL pointer dereference"),
		FINDING("kasan", "console-kasan.log", "kasan", "use-after-free in exotic_migrate"),
		FINDING("bad_page", "console-badpage.log", "bad-page", "Bad page state"),
		FINDING("lockdep", "console-lockdep.log", "lockdep", "circular locking"),
		FINDING("refcount", "console-refcount.log", "refcount", "underflow"),
		/* the kernel line starts in the middle of a program's line */
		FINDING("gpf_mid_line", "console-gpf.log", "gpf", "non-canonical"),
		/* a hung task report, and no sentinel: the finding wins */
		FINDING("hung", "console-hung.log", "hung", "blocked for more than"),
		/*
		 * The debug profile's guest scans at the end and prints the
		 * report (program output, not judged); the kernel's own lines
		 * fail the run although the command said 0.
		 */
		FINDING("kmemleak", "console-kmemleak.log", "leak", "1 new suspected memory leaks",
			"  leak: kmemleak: unreferenced object 0xffff888006f3c800",
			"exotic_region_new", "2 findings;"),
		FINDING("kfence", "console-kfence.log", "kasan",
			"KFENCE: use-after-free read in exotic_region_put"),
		/* DEBUG_VM: the page dump names the VM_BUG_ON, then the BUG itself */
		FINDING("vm_bug", "console-vmbug.log", "bad-page",
			"VM_BUG_ON_PAGE(page_ref_count(page) == 0)",
			"  bug: kernel BUG at include/linux/mm.h"),
		FINDING("lock_order", "console-lockorder.log", "lockdep",
			"HARDIRQ-unsafe lock order detected"),
		cmocka_unit_test(test_console_debug_kernel),
		cmocka_unit_test(test_console_dead),
		cmocka_unit_test(test_console_duplicates_once),
		cmocka_unit_test(test_console_tsv),
		cmocka_unit_test(test_console_exit_status),
	};

	return cmocka_run_group_tests_name("oracle", tests, NULL, NULL);
}
