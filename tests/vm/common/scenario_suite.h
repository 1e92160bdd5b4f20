/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The fixture of a guest suite that runs scenarios cell by cell
 * (test_matrix, test_nested_tdp): the context, the device, the profile's
 * table, one VM kept for the whole suite so that KVM stays enabled (see
 * exotic-matrix), and a fixed seed, so that a failure replays
 * (EXOTIC_TEST_SEED changes it).  Define SCENARIO_SUITE_SEED, then include
 * this once: it defines the suite's statics and its group setup and
 * teardown.
 */
#ifndef SCENARIO_SUITE_H
#define SCENARIO_SUITE_H

#include <stdint.h>
#include <stdlib.h>

#include "vm_env.h"

static struct exotic_ctx *ctx;
static struct exotic_device *dev;
static struct exotic_expect *table;
static struct exotic_vm *keep;
static char profile[64];
static uint64_t seed;

static int group_setup(void **state)
{
	(void)state;
	seed = getenv("EXOTIC_TEST_SEED") ? strtoull(getenv("EXOTIC_TEST_SEED"), NULL, 0) :
	       SCENARIO_SUITE_SEED;
	print_message("seed %llu\n", (unsigned long long)seed);
	return vm_env_open_scenarios(&ctx, &dev, &keep, &table, profile, sizeof(profile));
}

static int group_teardown(void **state)
{
	(void)state;
	vm_env_close_scenarios(ctx, dev, keep, table);
	return 0;
}

#endif
