/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What storm_report.c reads from a storm; not installed. */
#ifndef EXOTIC_STORM_REPORT_H
#define EXOTIC_STORM_REPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "exotic/storm.h"

struct storm_report {
	const char *profile;
	const char *kernel;
	const char *skipped;
	uint64_t seed;
	unsigned int nslots;
	unsigned int nevents;
	const struct exotic_storm_config *cfg;
	bool kmsg;
	uint64_t published;
};

struct storm_report_slot {
	uint32_t kind, method, order;
	int expect_head, expect_tail;
	uint64_t accesses, efault_tail, disturbed, detections, unexpected;
	uint64_t races;
};

void storm_report_info(struct exotic_storm *s, struct storm_report *r);
int storm_report_slot(struct exotic_storm *s, unsigned int i,
		      struct storm_report_slot *out);

#endif /* EXOTIC_STORM_REPORT_H */
