/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What scenario.c shares with scenario_isolated.c; not installed. */
#ifndef EXOTIC_SCENARIO_INTERNAL_H
#define EXOTIC_SCENARIO_INTERNAL_H

#include <stdint.h>

#include "exotic/expect.h"

/* CLOCK_MONOTONIC in ms. */
uint64_t scenario_now_ms(void);
/* /dev/kmsg from its end on: a descriptor, or -1 without one. */
int scenario_kmsg_open(void);
/* The first console-oracle finding read from fd since the last call, its
 * text into res->kmsg if that is still empty; EXOTIC_KMSG_CLEAN if none. */
int scenario_kmsg_check(int fd, struct exotic_scenario_result *res);

#endif /* EXOTIC_SCENARIO_INTERNAL_H */
