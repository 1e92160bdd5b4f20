// SPDX-License-Identifier: GPL-2.0
/* Kernel pinning (tools/pin): resolving the ABI and checking versions agree. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "pin.h"

static const char depends_56[] =
	"linux-image-amd64\n"
	"  Depends: linux-image-6.1.0-56-amd64\n";

/* During an ABI bump the metapackage may list more than one. */
static const char depends_two[] =
	"linux-image-amd64\n"
	"  Depends: linux-image-6.1.0-55-amd64\n"
	"  Depends: linux-image-6.1.0-56-amd64\n"
	"  Depends: linux-image-6.1.0-9-amd64\n";

static const char depends_flavours[] =
	"linux-image-amd64\n"
	"  Depends: linux-image-6.1.0-57-cloud-amd64\n"
	"  Depends: linux-image-6.1.0-57-amd64-dbg\n"
	"  Depends: linux-image-6.1.0-56-amd64\n";

static const char policy_ok[] =
	"linux-source-6.1:\n"
	"  Installed: (none)\n"
	"  Candidate: 6.1.192-2\n"
	"  Version table:\n"
	"     6.1.192-2 500\n";

static const char policy_none[] =
	"linux-headers-6.1.0-99-amd64:\n"
	"  Installed: (none)\n"
	"  Candidate: (none)\n";

static void test_resolve_abi(void **state)
{
	char abi[64];

	(void)state;
	assert_int_equal(pin_resolve_abi(depends_56, abi, sizeof(abi)), 0);
	assert_string_equal(abi, "6.1.0-56-amd64");
	assert_int_equal(pin_resolve_abi(depends_two, abi, sizeof(abi)), 0);
	assert_string_equal(abi, "6.1.0-56-amd64");
	assert_int_equal(pin_resolve_abi(depends_flavours, abi, sizeof(abi)), 0);
	assert_string_equal(abi, "6.1.0-56-amd64");
}

static void test_resolve_abi_errors(void **state)
{
	char abi[64], tiny[4];

	(void)state;
	assert_int_equal(pin_resolve_abi("", abi, sizeof(abi)), -ENOENT);
	assert_int_equal(pin_resolve_abi("  Depends: linux-image-6.1.0-x-amd64\n", abi, sizeof(abi)), -ENOENT);
	assert_int_equal(pin_resolve_abi("  Depends: linux-image-6.6.0-1-amd64\n", abi, sizeof(abi)), -ENOENT);
	assert_int_equal(pin_resolve_abi(depends_56, tiny, sizeof(tiny)), -ENAMETOOLONG);
}

static void test_candidate(void **state)
{
	char ver[64];

	(void)state;
	assert_int_equal(pin_candidate(policy_ok, ver, sizeof(ver)), 0);
	assert_string_equal(ver, "6.1.192-2");
	assert_int_equal(pin_candidate(policy_none, ver, sizeof(ver)), -ENOENT);
	assert_int_equal(pin_candidate("", ver, sizeof(ver)), -ENOENT);
}

static void test_upstream(void **state)
{
	char up[64];

	(void)state;
	assert_int_equal(pin_upstream("6.1.192-2", up, sizeof(up)), 0);
	assert_string_equal(up, "6.1.192");
	assert_int_equal(pin_upstream("1:6.1.192-2~bpo", up, sizeof(up)), 0);
	assert_string_equal(up, "6.1.192");
	assert_int_equal(pin_upstream("-2", up, sizeof(up)), -EINVAL);
}

static void test_check_agree(void **state)
{
	char msg[512];

	(void)state;
	assert_int_equal(pin_check("6.1.0-56-amd64", "6.1.192-2", "6.1.192-2", "6.1.192-2",
				   msg, sizeof(msg)), 0);
	assert_non_null(strstr(msg, "6.1.192-2"));
}

static void test_check_mismatch(void **state)
{
	char msg[512];

	(void)state;
	/* the security archive has a new image before the source */
	assert_int_equal(pin_check("6.1.0-56-amd64", "6.1.192-2", "6.1.192-2", "6.1.192-1",
				   msg, sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "linux-source-6.1"));
	assert_non_null(strstr(msg, "6.1.192-1"));
	assert_non_null(strstr(msg, "EXOTIC_ABI="));
	assert_int_equal(pin_check("6.1.0-56-amd64", "6.1.192-2", "6.1.190-1", "6.1.192-2",
				   msg, sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "linux-headers-6.1.0-56-amd64"));
}

static void test_check_missing(void **state)
{
	char msg[512];

	(void)state;
	assert_int_equal(pin_check("", "", "", "", msg, sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "apt-get update"));
	assert_int_equal(pin_check("6.1.0-56-amd64", "6.1.192-2", "", "6.1.192-2",
				   msg, sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "linux-headers-6.1.0-56-amd64"));
	assert_int_equal(pin_check("6.1.0-56-amd64", "6.1.192-2", "6.1.192-2", NULL,
				   msg, sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "linux-source-6.1"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resolve_abi),
		cmocka_unit_test(test_resolve_abi_errors),
		cmocka_unit_test(test_candidate),
		cmocka_unit_test(test_upstream),
		cmocka_unit_test(test_check_agree),
		cmocka_unit_test(test_check_mismatch),
		cmocka_unit_test(test_check_missing),
	};

	return cmocka_run_group_tests_name("pin", tests, NULL, NULL);
}
