// SPDX-License-Identifier: GPL-2.0
/*
 * Guest suite: exotic-fuzz, run as its users run it.  A clean driver
 * survives a seeded run with every oracle quiet; a driver with a bug
 * injected fails it; the op stream of a seed is the same every time, a
 * failing stream minimizes to a shorter one that still fails, and the C
 * reproducer --emit-c writes for such a stream finds the bug on its own.
 */
#include <sys/wait.h>

#include "test_driver.h"

#define OUT	"/tmp/fuzz.out"
#define SHELL_OUT	OUT
#include "shell.h"

/* Does OUT contain s?  Prints its last lines either way. */
static bool out_has(const char *s)
{
	char line[1024];
	bool found = false;
	FILE *f = fopen(OUT, "r");

	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "exotic-fuzz:", 12))
			print_message("# %s", line);
		found |= strstr(line, s) != NULL;
	}
	fclose(f);
	return found;
}

static long file_lines(const char *path)
{
	char line[256];
	long n = 0;
	FILE *f = fopen(path, "r");

	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		n += line[0] != '#';
	fclose(f);
	return n;
}

/* Does the one-line JSON document at path contain s? */
static bool json_has(const char *path, const char *s)
{
	char doc[4096];
	size_t n;
	FILE *f = fopen(path, "r");

	assert_non_null(f);
	n = fread(doc, 1, sizeof(doc) - 1, f);
	fclose(f);
	doc[n] = '\0';
	if (!strstr(doc, s))
		print_message("# %s has no '%s': %s", path, s, doc);
	return strstr(doc, s) != NULL;
}

/* The device is there, or the test skips. */
static void need_device(void)
{
	int fd;

	DEV_OPEN_OR_SKIP(fd);
	close(fd);
}

/* cmd fails (1) on the extra reference of inject_bug=extra_ref */
static void finds_extra_ref(const char *cmd)
{
	assert_int_equal(sh(cmd), 1);
	assert_true(out_has("with a wrong refcount"));
}

static int setup(void **state)
{
	(void)state;
	return 0;
}

static int restore(void **state)
{
	(void)state;
	param_write("inject_bug", "none");
	return 0;
}

/*
 * Two threads for 15 s: every oracle quiet.  With brd loaded the odirect
 * ops have /dev/ram0; the kvm ops have the guest's /dev/kvm.  (Runs of
 * this length on stock made 6.1's KVM WARN in kvm_pfn_to_refcounted_page()
 * now and then: a probe's mapping of a reserved block on a stale
 * memslot's host range.  The fuzzer keeps them apart now; the host's
 * test_fuzz_exec stages that race and the others found with it.)
 */
static void test_clean_run(void **state)
{
	(void)state;
	need_device();
	if (system("modprobe brd 2>/dev/null"))
		print_message("# no brd: the odirect ops are skipped\n");
	assert_int_equal(sh("exotic-fuzz -t 15 -j 2 -s 0x5eed --json-file /tmp/clean.json"), 0);
	assert_true(out_has("exotic-fuzz: clean"));
	/* the same result for scripts */
	assert_true(json_has("/tmp/clean.json", "{\"schema\": \"exotic-fuzz/1\", \"seed\": \"0x5eed\", \"threads\": 2, "));
	assert_true(json_has("/tmp/clean.json", "\"findings\": 0, \"first_finding_s\": null, \"finding\": null}"));
	assert_true(out_has("touch "));
	assert_true(out_has(" dup "));
	assert_true(out_has(" iouring "));
}

/*
 * inject_bug=extra_ref: the free-time check sees the extra reference.  One
 * thread and a number of ops, so that the run is the seed's stream of ops
 * whatever the host's speed (two threads for 5 s on a loaded host once
 * freed nothing in time and came out clean).  The stream frees its first
 * regions within 300 ops ("first finding after 0.3 s"); 3000 took 12 s.
 */
static void test_finds_injected_bug(void **state)
{
	(void)state;
	need_device();
	assert_int_equal(param_write("inject_bug", "extra_ref"), 0);
	finds_extra_ref("exotic-fuzz -n 300 -j 1 -s 0x5eed --json-file /tmp/found.json");
	assert_false(json_has("/tmp/found.json", "\"findings\": 0,"));
	assert_true(json_has("/tmp/found.json", "with a wrong refcount"));
}

/* A seed is a stream of ops: recorded twice, the same bytes. */
static void test_seed_is_a_stream(void **state)
{
	(void)state;
	need_device();
	assert_int_equal(sh("exotic-fuzz -j 1 -n 200 -t 0 -s 0x1234 --record /tmp/a.ops"), 0);
	assert_int_equal(sh("exotic-fuzz -j 1 -n 200 -t 0 -s 0x1234 --record /tmp/b.ops"), 0);
	assert_int_equal(sh("cmp /tmp/a.ops /tmp/b.ops"), 0);
	assert_int_equal(file_lines("/tmp/a.ops"), 200);
	assert_int_equal(sh("exotic-fuzz --replay /tmp/a.ops"), 0);
	assert_true(out_has("200 ops"));
	/* a file that is not ops is refused with its line */
	assert_int_equal(sh("echo 'alloc 1 2' > /tmp/bad.ops; exotic-fuzz --replay /tmp/bad.ops"), 2);
	assert_true(out_has("bad.ops:1: not an op"));
	/* nor is a file without ops a run of the seed's */
	assert_int_equal(sh(": > /tmp/empty.ops; exotic-fuzz --replay /tmp/empty.ops"), 2);
	assert_true(out_has("empty.ops: no ops"));
}

/* A failing stream shrinks to one that is shorter and still fails. */
static void test_minimize(void **state)
{
	long before, after;

	(void)state;
	need_device();
	assert_int_equal(param_write("inject_bug", "extra_ref"), 0);
	assert_int_equal(sh("exotic-fuzz -j 1 -n 300 -t 0 -s 0x79 --record /tmp/m.ops"), 1);
	before = file_lines("/tmp/m.ops");
	assert_int_equal(sh("exotic-fuzz --minimize /tmp/m.ops"), 1);
	assert_true(out_has("still fail"));
	after = file_lines("/tmp/m.ops.min");
	print_message("# %ld ops minimized to %ld\n", before, after);
	assert_true(after > 0 && after < before);
	finds_extra_ref("exotic-fuzz --replay /tmp/m.ops.min");
}

/*
 * The reproducer the build emitted (exotic-fuzz --emit-c) from
 * tests/vm/fuzz-extra-ref.ops, a stream minimized as test_minimize does,
 * and compiled with libc and uapi headers only: clean on a clean driver,
 * and on its own it makes the driver find the wrong refcount again when
 * inject_bug=extra_ref is set.  The guest emits C for its own minimized
 * stream too (it cannot compile it).
 */
static void test_emitted_c(void **state)
{
	(void)state;
	need_device();
	assert_int_equal(sh("fuzz-repro-extra-ref"), 0);
	assert_true(out_has("repro: clean"));
	assert_int_equal(param_write("inject_bug", "extra_ref"), 0);
	finds_extra_ref("fuzz-repro-extra-ref");
	assert_true(out_has("repro: FINDING"));
	if (!access("/tmp/m.ops.min", R_OK)) {
		assert_int_equal(sh("exotic-fuzz --replay /tmp/m.ops.min --emit-c /tmp/m.c"), 0);
		assert_true(out_has("written as C to /tmp/m.c"));
		assert_int_equal(sh("grep 'return repro_end' /tmp/m.c"), 0);
	}
}

/*
 * The probes: each runs on a region of its own and checks one promise of
 * the driver's events.  A MIGRATE that leaves the old PTEs in place
 * (inject_bug=skip_zap_on_migrate) and events that zap only when the
 * quarantine ends (late_zap) are found by one probe each, replayed; with
 * no bug injected the same probes are clean.
 */
static void test_probes_find_injected(void **state)
{
	static const struct {
		const char *bug, *op, *says;
	} c[] = {
		{ "skip_zap_on_migrate", "probe 0 0 0 1 1 2 7 0", "probe migrate: " },
		{ "late_zap", "probe 0 0 0 0 1 2 7 0", "without a fault" },
		{ "late_zap", "probe 0 0 0 1 3 4 9 0", "probe migrate: " },
	};
	FILE *ops;

	(void)state;
	need_device();
	for (unsigned int i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		ops = fopen("/tmp/p.ops", "w");
		assert_non_null(ops);
		assert_true(fprintf(ops, "%s\n", c[i].op) > 0);
		assert_int_equal(fclose(ops), 0);
		assert_int_equal(param_write("inject_bug", "none"), 0);
		assert_int_equal(sh("exotic-fuzz --replay /tmp/p.ops"), 0);
		assert_true(out_has("exotic-fuzz: clean"));
		assert_int_equal(param_write("inject_bug", c[i].bug), 0);
		print_message("# %s, inject_bug=%s\n", c[i].op, c[i].bug);
		assert_int_equal(sh("exotic-fuzz --replay /tmp/p.ops"), 1);
		assert_true(out_has(c[i].says));
	}
	/* the first as C, built by make from tests/vm/fuzz-probe-migrate.ops */
	assert_int_equal(param_write("inject_bug", "none"), 0);
	assert_int_equal(sh("fuzz-repro-probe-migrate"), 0);
	assert_true(out_has("repro: clean"));
	assert_int_equal(param_write("inject_bug", "skip_zap_on_migrate"), 0);
	assert_int_equal(sh("fuzz-repro-probe-migrate"), 1);
	assert_true(out_has("repro: FINDING: probe migrate: "));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_clean_run, restore),
		cmocka_unit_test_teardown(test_finds_injected_bug, restore),
		cmocka_unit_test_teardown(test_seed_is_a_stream, restore),
		cmocka_unit_test_teardown(test_minimize, restore),
		cmocka_unit_test_teardown(test_emitted_c, restore),
		cmocka_unit_test_teardown(test_probes_find_injected, restore),
	};

	return cmocka_run_group_tests_name("fuzz", tests, setup, NULL);
}
