// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * exotic-fuzz's ops, generated: from the PRNG alone, so that a seed is a
 * stream of ops that can be written out, read back and cut down.  Most
 * arguments are valid or nearly so (a fuzzer that only sends garbage never
 * gets past the first check); one in eight or so is corrupted on purpose.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "exotic/exotic.h"
#include "fuzz.h"
#include "probe.h"

static const char *const op_names[OP_MAX] = {
	[OP_OPEN] = "open", [OP_CLOSE] = "close", [OP_VERSION] = "version",
	[OP_ALLOC] = "alloc", [OP_EVENT] = "event", [OP_INFO] = "info",
	[OP_QUERY] = "query", [OP_MMAP] = "mmap", [OP_MUNMAP] = "munmap",
	[OP_MPROTECT] = "mprotect", [OP_MREMAP] = "mremap",
	[OP_MADVISE] = "madvise", [OP_TOUCH] = "touch", [OP_FORK] = "fork",
	[OP_GUP] = "gup", [OP_PARAM] = "param", [OP_BADIOCTL] = "badioctl",
	[OP_DUP] = "dup", [OP_KVM] = "kvm", [OP_ODIRECT] = "odirect",
	[OP_IOURING] = "iouring", [OP_PROBE] = "probe",
};

/* relative weights of the op types */
static const unsigned int op_weight[OP_MAX] = {
	[OP_OPEN] = 3, [OP_CLOSE] = 1, [OP_VERSION] = 1, [OP_ALLOC] = 10,
	[OP_EVENT] = 10, [OP_INFO] = 3, [OP_QUERY] = 4, [OP_MMAP] = 10,
	[OP_MUNMAP] = 4, [OP_MPROTECT] = 3, [OP_MREMAP] = 2, [OP_MADVISE] = 3,
	[OP_TOUCH] = 16, [OP_FORK] = 1, [OP_GUP] = 4, [OP_PARAM] = 1,
	[OP_BADIOCTL] = 1, [OP_DUP] = 2, [OP_KVM] = 6, [OP_ODIRECT] = 3,
	[OP_IOURING] = 2, [OP_PROBE] = 2,
};

const char *fuzz_op_name(unsigned int type)
{
	return type < OP_MAX ? op_names[type] : NULL;
}

/* ------------------------------------------------------------ generation */

static uint32_t pick(uint64_t *s, uint32_t n)
{
	return (uint32_t)(fuzz_rand(s) % n);
}

static bool one_in(uint64_t *s, uint32_t n)
{
	return pick(s, n) == 0;
}

void fuzz_op_next(uint64_t *s, struct fuzz_op *op)
{
	static const uint32_t orders[] = { 0, 0, 1, 2, 3, 9 };
	unsigned int total = 0, w;

	for (unsigned int i = 0; i < OP_MAX; i++)
		total += op_weight[i];
	w = pick(s, total);
	memset(op, 0, sizeof(*op));
	for (op->type = 0; w >= op_weight[op->type]; op->type++)
		w -= op_weight[op->type];
	op->fd = (uint8_t)pick(s, FUZZ_FDS);
	op->reg = (uint8_t)pick(s, FUZZ_REGIONS);
	op->map = (uint8_t)pick(s, FUZZ_MAPS);
	switch (op->type) {
	case OP_OPEN:
		op->a = one_in(s, 8);		/* read-only */
		op->b = one_in(s, 8);		/* replace an open file */
		break;
	case OP_VERSION:
		op->a = one_in(s, 8);
		break;
	case OP_ALLOC:
		op->a = one_in(s, 16) ? pick(s, 8) : 1 + pick(s, EXOTIC_KIND_MAX);
		op->b = one_in(s, 16) ? pick(s, 8) : 1 + pick(s, EXOTIC_MAP_MAX);
		op->c = one_in(s, 16) ? pick(s, 16) :
			op->b == EXOTIC_MAP_HUGE ? 9 : orders[pick(s, 6)];
		op->x = 1 + pick(s, op->b == EXOTIC_MAP_HUGE ? 2 : 4);
		/* y: which field to corrupt (0: none) and how */
		op->y = one_in(s, 8) ? fuzz_rand(s) | 1 : 0;
		break;
	case OP_EVENT:
		op->a = pick(s, 4);
		op->b = one_in(s, 8);		/* raw: offset and length as drawn */
		op->x = pick(s, 1024);
		op->y = one_in(s, 3) ? 0 : pick(s, 1024);
		op->c = one_in(s, 16) ? (uint32_t)fuzz_rand(s) : 0;	/* junk flags */
		break;
	case OP_QUERY:
		op->a = one_in(s, 4) ? EXOTIC_QUERY_RETIRED : one_in(s, 16) ? pick(s, 256) : 0;
		op->b = one_in(s, 16);
		op->x = pick(s, 1024);
		op->y = pick(s, 1100);
		break;
	case OP_MMAP:
		op->a = pick(s, 4);		/* none, r, rw, w */
		op->b = one_in(s, 16);		/* MAP_PRIVATE */
		op->c = one_in(s, 16);		/* past the end */
		op->x = pick(s, 1024);
		op->y = one_in(s, 2) ? 0 : 1 + pick(s, 1024);
		break;
	case OP_MUNMAP:
	case OP_MPROTECT:
	case OP_MADVISE:
	case OP_TOUCH:
		op->a = op->type == OP_MADVISE ? pick(s, FUZZ_ADVICES) :
			op->type == OP_MPROTECT ? pick(s, 4) : pick(s, 2);
		op->x = pick(s, 1024);
		op->y = op->type == OP_MUNMAP && one_in(s, 2) ? 0 : 1 + pick(s, 8);
		break;
	case OP_MREMAP:
		op->a = pick(s, 3);
		break;
	case OP_GUP:
		op->a = pick(s, 3);
		op->x = pick(s, 1024);
		op->y = 1 + pick(s, 16);
		break;
	case OP_PARAM:
		op->b = pick(s, 2);
		op->a = pick(s, op->b ? FUZZ_ALLOC_FAILS : FUZZ_QUARANTINES);
		break;
	case OP_BADIOCTL:
		op->a = (uint32_t)fuzz_rand(s);
		break;
	case OP_DUP:
		op->a = pick(s, 2);
		op->c = pick(s, FUZZ_FDS);
		break;
	case OP_KVM:
		op->a = pick(s, 4);
		op->b = one_in(s, 4);		/* read-only slot */
		op->c = pick(s, FUZZ_KSLOTS);
		op->x = pick(s, 16);		/* where a move goes */
		break;
	case OP_ODIRECT:
		op->a = pick(s, 2);
		op->c = pick(s, 1024);
		op->x = pick(s, 1024);
		op->y = 1 + pick(s, 16);
		break;
	case OP_PROBE:
		/* the costly modes (a 128 MiB MIGRATE, half the device) rarely */
		do
			op->a = pick(s, PROBE_MODES);
		while ((op->a == PROBE_KILL || op->a == PROBE_FILE_CAP) && !one_in(s, 4));
		op->b = 1 + pick(s, EXOTIC_KIND_MAX);
		op->c = 1 + pick(s, EXOTIC_MAP_MAX);
		op->x = fuzz_rand(s);
		break;
	case OP_IOURING:
		op->a = pick(s, 3);
		op->c = 1 + pick(s, 4);
		op->x = pick(s, 1024);
		op->y = 1 + pick(s, 16);
		break;
	default:
		break;
	}
}

void fuzz_op_format(const struct fuzz_op *op, char *buf, size_t len)
{
	snprintf(buf, len, "%s %u %u %u %u %u %u %llu %llu", fuzz_op_name(op->type),
		 op->fd, op->reg, op->map, op->a, op->b, op->c,
		 (unsigned long long)op->x, (unsigned long long)op->y);
}

int fuzz_op_parse(const char *line, struct fuzz_op *op)
{
	unsigned int fd, reg, map, a, b, c;
	unsigned long long x, y;
	char name[16];

	if (sscanf(line, "%15s %u %u %u %u %u %u %llu %llu", name, &fd, &reg, &map,
		   &a, &b, &c, &x, &y) != 9 ||
	    fd >= FUZZ_FDS || reg >= FUZZ_REGIONS || map >= FUZZ_MAPS)
		return -EINVAL;
	memset(op, 0, sizeof(*op));
	for (op->type = 0; op->type < OP_MAX; op->type++)
		if (!strcmp(name, op_names[op->type]))
			break;
	if (op->type == OP_MAX)
		return -EINVAL;
	op->fd = (uint8_t)fd;
	op->reg = (uint8_t)reg;
	op->map = (uint8_t)map;
	op->a = a;
	op->b = b;
	op->c = c;
	op->x = x;
	op->y = y;
	return 0;
}

