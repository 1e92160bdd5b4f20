/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Owner events: what the owner of exotic memory does to a region behind
 * KVM's back (docs/design.md §4).  One vocabulary for every tool: the
 * matrix applies one event between two guest accesses, the storm draws
 * events against running vCPUs.  Not every event makes sense in both:
 * exotic_event_scope() says where each one runs.
 */
#ifndef EXOTIC_EVENT_H
#define EXOTIC_EVENT_H

#include "exotic.h"

#ifdef __cplusplus
extern "C" {
#endif

enum exotic_ev {
	EXOTIC_EV_NONE = 1,	/* nothing between the two accesses */
	EXOTIC_EV_INVALIDATE,	/* zap a range, keep the backing */
	EXOTIC_EV_MIGRATE,	/* move whole blocks to fresh backing */
	EXOTIC_EV_REVOKE,	/* zap everything, retire every block, leave it so */
	EXOTIC_EV_REPLACE,	/* revoke, allocate afresh, replace the memslot */
	EXOTIC_EV_SLOT,		/* delete the memslot, add it back */
	EXOTIC_EV_REMAP,	/* munmap the hva range, mmap it again */
	EXOTIC_EV_MPROTECT,	/* read-only for a while, then read-write */
	EXOTIC_EV_FORK,		/* fork: the child reads, closes its fds, exits */
	EXOTIC_EV_MAX = EXOTIC_EV_FORK,
};

/* exotic_event_scope(): where an event runs. */
#define EXOTIC_EV_IN_MATRIX	0x1u	/* one event between two accesses */
#define EXOTIC_EV_IN_STORM	0x2u	/* drawn against running vCPUs */

/* Names and back: NULL, or -EINVAL when unknown. */
EXOTIC_EXPORT const char *exotic_event_name(unsigned int ev);
EXOTIC_EXPORT int exotic_event_from_name(const char *name);
/* EXOTIC_EV_IN_* mask, 0 for an unknown event. */
EXOTIC_EXPORT unsigned int exotic_event_scope(unsigned int ev);

#ifdef __cplusplus
}
#endif

#endif /* EXOTIC_EVENT_H */
