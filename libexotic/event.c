// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Owner events: names and scopes (exotic/event.h).
 */
#include <errno.h>
#include <string.h>

#include "internal.h"
#include "exotic/event.h"

static const struct {
	const char *name;
	unsigned int scope;
} events[EXOTIC_EV_MAX + 1] = {
	[EXOTIC_EV_NONE] = { "none", EXOTIC_EV_IN_MATRIX },
	[EXOTIC_EV_INVALIDATE] = { "invalidate", EXOTIC_EV_IN_MATRIX | EXOTIC_EV_IN_STORM },
	[EXOTIC_EV_MIGRATE] = { "migrate", EXOTIC_EV_IN_MATRIX | EXOTIC_EV_IN_STORM },
	[EXOTIC_EV_REVOKE] = { "revoke", EXOTIC_EV_IN_MATRIX },
	[EXOTIC_EV_REPLACE] = { "replace", EXOTIC_EV_IN_STORM },
	[EXOTIC_EV_SLOT] = { "slot", EXOTIC_EV_IN_STORM },
	[EXOTIC_EV_REMAP] = { "remap", EXOTIC_EV_IN_STORM },
	[EXOTIC_EV_MPROTECT] = { "mprotect", EXOTIC_EV_IN_STORM },
	[EXOTIC_EV_FORK] = { "fork", EXOTIC_EV_IN_STORM },
};

EXOTIC_EXPORT const char *exotic_event_name(unsigned int ev)
{
	return ev <= EXOTIC_EV_MAX ? events[ev].name : NULL;
}

EXOTIC_EXPORT int exotic_event_from_name(const char *name)
{
	for (unsigned int i = 1; name && i <= EXOTIC_EV_MAX; i++)
		if (!strcmp(name, events[i].name))
			return (int)i;
	return -EINVAL;
}

EXOTIC_EXPORT unsigned int exotic_event_scope(unsigned int ev)
{
	return ev <= EXOTIC_EV_MAX ? events[ev].scope : 0;
}
