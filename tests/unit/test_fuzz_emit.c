// SPDX-License-Identifier: GPL-2.0
/*
 * exotic-fuzz's ops and its C reproducers, on the host: every op type is
 * drawn from a seed and reads back as written; a stream with all of them
 * becomes C that compiles with libc and kernel uapi headers only (with
 * warnings as errors); the driver's uapi definitions the reproducer
 * inlines agree with the driver's header (ioctl numbers encode sizes, and
 * the fields the reproducer reads are where the header has them).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "exotic/exotic.h"
#include "../../examples/exotic-fuzz/fuzz.h"

#define DIR	"/tmp/exotic-unit-fuzz-emit"

/* A stream from seed 1 long enough to hold every op type. */
static struct fuzz_op *stream(size_t *n, unsigned int *seen)
{
	struct fuzz_op *ops = calloc(4000, sizeof(*ops));
	uint64_t prng = 1;

	assert_non_null(ops);
	memset(seen, 0, OP_MAX * sizeof(*seen));
	for (*n = 0; *n < 4000; (*n)++) {
		fuzz_op_next(&prng, &ops[*n]);
		assert_true(ops[*n].type < OP_MAX);
		seen[ops[*n].type]++;
	}
	return ops;
}

static void test_every_op_drawn_and_parsed(void **state)
{
	unsigned int seen[OP_MAX];
	struct fuzz_op back;
	char line[128], again[128];
	size_t n;
	struct fuzz_op *ops = stream(&n, seen);

	(void)state;
	for (unsigned int t = 0; t < OP_MAX; t++) {
		assert_non_null(fuzz_op_name(t));
		if (!seen[t])
			fail_msg("op %s never drawn in %zu ops", fuzz_op_name(t), n);
	}
	for (size_t i = 0; i < n; i++) {
		fuzz_op_format(&ops[i], line, sizeof(line));
		assert_int_equal(fuzz_op_parse(line, &back), 0);
		fuzz_op_format(&back, again, sizeof(again));
		assert_string_equal(line, again);
	}
	assert_int_equal(fuzz_op_parse("kvm 1 2", &back), -EINVAL);
	assert_int_equal(fuzz_op_parse("nosuch 0 0 0 0 0 0 0 0", &back), -EINVAL);
	free(ops);
}

static void test_emitted_c_compiles(void **state)
{
	unsigned int seen[OP_MAX];
	size_t n;
	struct fuzz_op *ops = stream(&n, seen);

	(void)state;
	assert_int_equal(system("rm -rf " DIR " && mkdir -p " DIR), 0);
	assert_int_equal(fuzz_emit_c(DIR "/all.c", "seed 1", ops, n, "stock", false), 0);
	/* no -I: nothing of the tree; every op type is called */
	assert_int_equal(system("cc -std=gnu11 -O1 -Wall -Wextra -Werror -o " DIR "/all "
				DIR "/all.c"), 0);
	for (unsigned int t = 0; t < OP_MAX; t++) {
		char cmd[256];

		snprintf(cmd, sizeof(cmd), "grep -q '^\top_%s(' " DIR "/all.c", fuzz_op_name(t));
		if (system(cmd))
			fail_msg("no call of op_%s in the reproducer", fuzz_op_name(t));
	}
	/* the profile's table: stock's KVM maps refcounted remap pages, and
	 * WARNs on reserved tails (not in the table's tail column) */
	assert_int_equal(system("grep -q '\\[1\\]\\[1\\] = { 1, 1 }' " DIR "/all.c"), 0);
	assert_int_equal(system("grep -q '\\[4\\]\\[1\\] = { 1, 0 }' " DIR "/all.c"), 0);
	free(ops);
}

static void test_inlined_uapi_agrees(void **state)
{
	char expect[1024], got[1024] = "";
	FILE *f;

	(void)state;
	assert_int_equal(system("mkdir -p " DIR), 0);
	f = fopen(DIR "/uapi.c", "w");
	assert_non_null(f);
	/* the runtime as the reproducer has it, uapi header written in */
	fputs("#include <stddef.h>\n", f);
	fuzz_emit_prelude(f);
	fputs("static int kvm_safe(int s) { (void)s; return 0; }\n"
	      "int main(void)\n{\n"
	      "\tprintf(\"%lx %lx %lx %lx %lx %lx %lx %lx %zu %zu %zu %zu %zu %zu\\n\",\n"
	      "\t       (unsigned long)EXOTIC_IOC_VERSION, (unsigned long)EXOTIC_IOC_ALLOC,\n"
	      "\t       (unsigned long)EXOTIC_IOC_FREE, (unsigned long)EXOTIC_IOC_REVOKE,\n"
	      "\t       (unsigned long)EXOTIC_IOC_INVALIDATE, (unsigned long)EXOTIC_IOC_MIGRATE,\n"
	      "\t       (unsigned long)EXOTIC_IOC_INFO, (unsigned long)EXOTIC_IOC_QUERY,\n"
	      "\t       offsetof(struct exotic_version, used_bytes),\n"
	      "\t       offsetof(struct exotic_alloc, handle), offsetof(struct exotic_alloc, mmap_offset),\n"
	      "\t       offsetof(struct exotic_region_info, refcount_anomalies),\n"
	      "\t       offsetof(struct exotic_region_info, quarantined), sizeof(struct exotic_page));\n"
	      "\treturn 0;\n}\n", f);
	fclose(f);
	assert_int_equal(system("cc -std=gnu11 -Wall -o " DIR "/uapi " DIR "/uapi.c && "
				DIR "/uapi > " DIR "/uapi.out"), 0);
	f = fopen(DIR "/uapi.out", "r");
	assert_non_null(f);
	assert_non_null(fgets(got, sizeof(got), f));
	fclose(f);
	snprintf(expect, sizeof(expect), "%lx %lx %lx %lx %lx %lx %lx %lx %zu %zu %zu %zu %zu %zu\n",
		 (unsigned long)EXOTIC_IOC_VERSION, (unsigned long)EXOTIC_IOC_ALLOC,
		 (unsigned long)EXOTIC_IOC_FREE, (unsigned long)EXOTIC_IOC_REVOKE,
		 (unsigned long)EXOTIC_IOC_INVALIDATE, (unsigned long)EXOTIC_IOC_MIGRATE,
		 (unsigned long)EXOTIC_IOC_INFO, (unsigned long)EXOTIC_IOC_QUERY,
		 offsetof(struct exotic_version, used_bytes),
		 offsetof(struct exotic_alloc, handle), offsetof(struct exotic_alloc, mmap_offset),
		 offsetof(struct exotic_region_info, refcount_anomalies),
		 offsetof(struct exotic_region_info, quarantined), sizeof(struct exotic_page));
	assert_string_equal(got, expect);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_op_drawn_and_parsed),
		cmocka_unit_test(test_emitted_c_compiles),
		cmocka_unit_test(test_inlined_uapi_agrees),
	};

	return cmocka_run_group_tests_name("fuzz_emit", tests, NULL, NULL);
}
