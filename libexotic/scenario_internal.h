/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What scenario.c shares with scenario_paths.c (the probes of one run) and
 * scenario_isolated.c; not installed.
 */
#ifndef EXOTIC_SCENARIO_INTERNAL_H
#define EXOTIC_SCENARIO_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exotic/expect.h"

#define PG		4096ULL
#define MAX_PROBES	3

struct page_scan {
	uint64_t excess;		/* references more than the rule allows */
	uint64_t broken;		/* retired pages whose poison is gone */
};

/* One scenario as it runs: what its setup, its probes and its judging share. */
struct run {
	const struct exotic_scenario *s;
	struct exotic_scenario_result *res;
	struct exotic_ctx *ctx;
	struct exotic_region *region;
	struct exotic_vm *vm;
	struct exotic_vcpu *vcpu;
	uint8_t *addr;			/* the region's host mapping */
	uint64_t npages;
	uint64_t probe[MAX_PROBES];	/* page indexes, tails first */
	int nprobe;
	uint64_t expect[MAX_PROBES];	/* the word each probe page must hold */
	bool filled;			/* the host wrote stamps */
	bool writable;			/* the host mapping is writable */
	bool revoked;
	uint64_t wseed;			/* seed of the guest's writes */
	int kmsg_fd;
	struct page_scan seen;		/* scan_pages() at the last check */
	size_t dlen;
};

/* Append to the result's detail text (printf), as far as it fits. */
void scenario_detail(struct run *r, const char *fmt, ...);
/* One access of every probe page through the scenario's path, the first
 * page that did not map deciding (scenario_paths.c). */
uint32_t scenario_access_all(struct run *r, const char *phase);

/* CLOCK_MONOTONIC in ms. */
uint64_t scenario_now_ms(void);
/* /dev/kmsg from its end on: a descriptor, or -1 without one. */
int scenario_kmsg_open(void);
/* The first console-oracle finding read from fd since the last call, its
 * text into res->kmsg if that is still empty; EXOTIC_KMSG_CLEAN if none. */
int scenario_kmsg_check(int fd, struct exotic_scenario_result *res);

#endif /* EXOTIC_SCENARIO_INTERNAL_H */
