// SPDX-License-Identifier: LGPL-2.1-or-later
/* Host unit tests: context, logging, exotic_strerror(). */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <cmocka.h>

#include "exotic.h"
#include "logcap.h"
#include "wrap.h"

static int setup(void **state)
{
	(void)state;
	wrap_reset();
	unsetenv("EXOTIC_LOG");
	return 0;
}

static void test_new_bad_args(void **state)
{
	(void)state;
	assert_int_equal(exotic_new(NULL), -EINVAL);
}

static void test_new_enomem(void **state)
{
	struct exotic_ctx *ctx = (struct exotic_ctx *)0x1;

	(void)state;
	wrap_fail("calloc", 0, ENOMEM);
	assert_int_equal(exotic_new(&ctx), -ENOMEM);
	assert_null(ctx);
	assert_false(wrap_pending());
}

static void test_refcount(void **state)
{
	struct exotic_ctx *ctx;

	(void)state;
	assert_int_equal(exotic_new(&ctx), 0);
	assert_non_null(ctx);
	assert_ptr_equal(exotic_ref(ctx), ctx);
	assert_ptr_equal(exotic_ref(ctx), ctx);
	assert_ptr_equal(exotic_unref(ctx), ctx);
	assert_ptr_equal(exotic_unref(ctx), ctx);
	assert_null(exotic_unref(ctx));
	assert_null(exotic_ref(NULL));
	assert_null(exotic_unref(NULL));
}

/* What the default logger wrote to stderr while creating a ctx. */
static char stderr_text[4096];

static void expect_env_priority(const char *value, int expected)
{
	struct exotic_ctx *ctx;
	FILE *tmp = tmpfile();
	int saved = dup(STDERR_FILENO);
	size_t n;

	assert_non_null(tmp);
	assert_true(saved >= 0);
	if (value)
		setenv("EXOTIC_LOG", value, 1);
	else
		unsetenv("EXOTIC_LOG");
	fflush(stderr);
	dup2(fileno(tmp), STDERR_FILENO);
	assert_int_equal(exotic_new(&ctx), 0);
	assert_int_equal(exotic_get_log_priority(ctx), expected);
	exotic_unref(ctx);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	rewind(tmp);
	n = fread(stderr_text, 1, sizeof(stderr_text) - 1, tmp);
	stderr_text[n] = 0;
	fclose(tmp);
}

static void test_env_priority(void **state)
{
	(void)state;
	expect_env_priority(NULL, LOG_ERR);
	assert_string_equal(stderr_text, "");
	expect_env_priority("debug", LOG_DEBUG);
	/* The default logger: stderr, prefixed, at the chosen priority. */
	assert_non_null(strstr(stderr_text, "libexotic: exotic_new: ctx"));
	assert_non_null(strstr(stderr_text, "released"));
	expect_env_priority("INFO", LOG_INFO);
	expect_env_priority("warning", LOG_WARNING);
	expect_env_priority("warn", LOG_WARNING);
	expect_env_priority("err", LOG_ERR);
	assert_string_equal(stderr_text, "");	/* nothing above err */
	expect_env_priority("error", LOG_ERR);
	expect_env_priority("notice", LOG_NOTICE);
	expect_env_priority("crit", LOG_CRIT);
	expect_env_priority("0", LOG_EMERG);
	expect_env_priority("7", LOG_DEBUG);
	/* Nonsense falls back to the default, and says so on stderr. */
	expect_env_priority("8", LOG_ERR);
	assert_non_null(strstr(stderr_text, "ignoring EXOTIC_LOG=\"8\""));
	expect_env_priority("3x", LOG_ERR);
	assert_non_null(strstr(stderr_text, "ignoring EXOTIC_LOG=\"3x\""));
	expect_env_priority("loud", LOG_ERR);
	assert_non_null(strstr(stderr_text, "use err, info, debug or 0..7"));
	/* Empty is unset. */
	expect_env_priority("", LOG_ERR);
	assert_string_equal(stderr_text, "");
	unsetenv("EXOTIC_LOG");
}

static void test_priority_set_get(void **state)
{
	struct exotic_ctx *ctx;

	(void)state;
	assert_int_equal(exotic_new(&ctx), 0);
	exotic_set_log_priority(ctx, LOG_INFO);
	assert_int_equal(exotic_get_log_priority(ctx), LOG_INFO);
	exotic_set_log_priority(ctx, 99);
	assert_int_equal(exotic_get_log_priority(ctx), LOG_DEBUG);
	exotic_set_log_priority(ctx, -4);
	assert_int_equal(exotic_get_log_priority(ctx), LOG_EMERG);
	assert_int_equal(exotic_get_log_priority(NULL), -EINVAL);
	exotic_set_log_priority(NULL, LOG_DEBUG);	/* no crash */
	exotic_set_log_fn(NULL, NULL, NULL);		/* no crash */
	exotic_unref(ctx);
}

static void test_log_fn_and_filter(void **state)
{
	struct exotic_ctx *ctx;
	struct exotic_device *dev;
	struct logcap cap;

	(void)state;
	assert_int_equal(exotic_new(&ctx), 0);
	logcap_attach(ctx, &cap);
	/* A failing call logs why, and what to do. */
	errno = 0;
	assert_int_equal(exotic_device_open_path(ctx, "/nonexistent/exotic", &dev),
			 -ENOENT);
	assert_true(logcap_has(&cap, "/nonexistent/exotic"));
	assert_true(logcap_has(&cap, "modprobe exotic"));
	assert_int_equal(cap.last_priority, LOG_ERR);

	/* Below the priority, nothing reaches the function. */
	logcap_clear(&cap);
	exotic_set_log_priority(ctx, LOG_CRIT);
	assert_int_equal(exotic_device_open_path(ctx, "/nonexistent/exotic", &dev),
			 -ENOENT);
	assert_int_equal(cap.count, 0);

	/* NULL restores the default logger: the capture sees nothing more. */
	exotic_set_log_priority(ctx, LOG_DEBUG);
	exotic_set_log_fn(ctx, NULL, &cap);
	exotic_set_log_priority(ctx, LOG_EMERG);
	assert_int_equal(exotic_device_open_path(ctx, "/nonexistent/exotic", &dev),
			 -ENOENT);
	assert_int_equal(cap.count, 0);
	exotic_unref(ctx);
}

static void test_strerror(void **state)
{
	(void)state;
	assert_string_equal(exotic_strerror(0), "success");
	assert_non_null(strstr(exotic_strerror(-ENOENT), "modprobe exotic"));
	assert_non_null(strstr(exotic_strerror(-ENOENT), "exotic_module_load()"));
	assert_string_equal(exotic_strerror(ENOENT), exotic_strerror(-ENOENT));
	assert_non_null(strstr(exotic_strerror(-EPROTO), "ABI"));
	assert_non_null(strstr(exotic_strerror(-EACCES), "udev rule"));
	assert_non_null(strstr(exotic_strerror(-ENOSPC), "max_bytes"));
	assert_non_null(strstr(exotic_strerror(-ENOSPC), "max_file_bytes"));
	/* one errno, several calls: the message says which one a fix is for */
	assert_non_null(strstr(exotic_strerror(-ENOENT), "from exotic_device_open()"));
	assert_non_null(strstr(exotic_strerror(-ENOENT), "memslot"));
	assert_non_null(strstr(exotic_strerror(-EOPNOTSUPP), "carveout"));
	/* each fix says which call it is for */
	assert_non_null(strstr(exotic_strerror(-EACCES), "from exotic_device_open(), install the udev rule"));
	assert_non_null(strstr(exotic_strerror(-EACCES), "from exotic_vm_new()"));
	assert_non_null(strstr(exotic_strerror(-ENOMEM), "from exotic_region_new()"));
	assert_non_null(strstr(exotic_strerror(-EEXIST), "from a memslot call"));
	assert_non_null(strstr(exotic_strerror(-EBUSY), "from exotic_module_unload()"));
	assert_non_null(strstr(exotic_strerror(-EFAULT), "from exotic_vcpu_run()"));
	assert_non_null(strstr(exotic_strerror(-ENODEV), "from a region call, the region was revoked"));
	assert_non_null(strstr(exotic_strerror(-ETIMEDOUT), "timed out"));
	assert_non_null(strstr(exotic_strerror(-EBUSY), "in use"));
	assert_non_null(strstr(exotic_strerror(-EPERM), "unsafe_driver_bugs"));
	assert_non_null(strstr(exotic_strerror(-EINVAL), "EXOTIC_LOG=debug"));
	/* Every errno gets a message, never NULL. */
	for (int e = -200; e <= 200; e++) {
		const char *s = exotic_strerror(e);

		assert_non_null(s);
		assert_true(strlen(s) > 0);
	}
	assert_string_equal(exotic_strerror(-EXDEV), strerror(EXDEV));
	assert_non_null(exotic_strerror(INT_MIN));
	assert_non_null(exotic_strerror(INT_MAX));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_new_bad_args, setup),
		cmocka_unit_test_setup(test_new_enomem, setup),
		cmocka_unit_test_setup(test_refcount, setup),
		cmocka_unit_test_setup(test_env_priority, setup),
		cmocka_unit_test_setup(test_priority_set_get, setup),
		cmocka_unit_test_setup(test_log_fn_and_filter, setup),
		cmocka_unit_test_setup(test_strerror, setup),
	};

	return cmocka_run_group_tests_name("core", tests, NULL, NULL);
}
