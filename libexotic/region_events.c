// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A region's owner events and the queries that see them, passed through
 * to the driver: revoke, invalidate and migrate (each with the epoch it
 * ends), the region's state (exotic_region_info()) and its pages, live or
 * retired (exotic_region_query(), exotic_region_query_retired()).  The
 * region itself, its allocation and mappings, is region.c's.
 */
#include <limits.h>
#include <string.h>

#include "internal.h"
#include "region_internal.h"

EXOTIC_EXPORT int exotic_region_info(struct exotic_region *r,
				     struct exotic_region_info *info)
{
	int err;

	if (!r || !info)
		return -EINVAL;
	memset(info, 0, sizeof(*info));
	info->handle = r->handle;
	err = exotic_ioctl(r->fd, EXOTIC_IOC_INFO, info);
	if (err < 0) {
		exotic_err(r->ctx, "info on region %u: %s\n", r->handle,
			   strerror(-err));
		return err;
	}
	return 0;
}

static int query(struct exotic_region *r, uint32_t flags, uint64_t offset,
		 struct exotic_page *pages, size_t count)
{
	struct exotic_query q;
	int err;

	if (!r || !pages || !count)
		return -EINVAL;
	if (count > INT_MAX)
		count = INT_MAX;
	if (!(flags & EXOTIC_QUERY_RETIRED)) {
		err = region_check_range(r, "query", offset, 0, true);
		if (err < 0)
			return err;
	}
	memset(&q, 0, sizeof(q));
	q.handle = r->handle;
	q.flags = flags;
	q.offset = offset;
	q.count = count;
	q.pages = (uintptr_t)pages;
	err = exotic_ioctl(r->fd, EXOTIC_IOC_QUERY, &q);
	if (err < 0) {
		exotic_err(r->ctx, "query%s of region %u at %#llx: %s\n",
			   flags & EXOTIC_QUERY_RETIRED ? " (retired)" : "",
			   r->handle, (unsigned long long)offset, strerror(-err));
		return err;
	}
	if (q.count > count) {
		exotic_err(r->ctx, "driver claims %llu entries for %zu slots\n",
			   (unsigned long long)q.count, count);
		return -EPROTO;
	}
	return (int)q.count;
}

EXOTIC_EXPORT int exotic_region_query(struct exotic_region *r, uint64_t offset,
				      struct exotic_page *pages, size_t count)
{
	return query(r, 0, offset, pages, count);
}

EXOTIC_EXPORT int exotic_region_query_retired(struct exotic_region *r,
					      uint64_t index,
					      struct exotic_page *pages,
					      size_t count)
{
	return query(r, EXOTIC_QUERY_RETIRED, index, pages, count);
}

static int event(struct exotic_region *r, unsigned long request,
		 const char *what, uint64_t offset, uint64_t length,
		 uint64_t *epoch)
{
	struct exotic_event ev;
	int err;

	memset(&ev, 0, sizeof(ev));
	ev.handle = r->handle;
	ev.offset = offset;
	ev.length = length;
	err = exotic_ioctl(r->fd, request, &ev);
	if (err == -ENODEV) {
		exotic_err(r->ctx, "%s of region %u: the region was revoked\n",
			   what, r->handle);
		return err;
	}
	if (err < 0) {
		exotic_err(r->ctx, "%s of region %u +%#llx len %#llx: %s%s\n",
			   what, r->handle, (unsigned long long)offset,
			   (unsigned long long)length, strerror(-err),
			   err == -EINVAL && request == EXOTIC_IOC_MIGRATE ?
			   " (migrate needs whole blocks)" : "");
		return err;
	}
	exotic_dbg(r->ctx, "%s of region %u +%#llx len %#llx: epoch %llu\n",
		   what, r->handle, (unsigned long long)offset,
		   (unsigned long long)length, (unsigned long long)ev.epoch);
	if (epoch)
		*epoch = ev.epoch;
	return 0;
}

EXOTIC_EXPORT int exotic_region_revoke(struct exotic_region *r, uint64_t *epoch)
{
	if (!r)
		return -EINVAL;
	return event(r, EXOTIC_IOC_REVOKE, "revoke", 0, 0, epoch);
}

/* An event on [offset, offset + length) of the region (0: to the end). */
static int range_event(struct exotic_region *r, unsigned long request,
		       const char *what, uint64_t offset, uint64_t length,
		       uint64_t *epoch)
{
	int err;

	if (!r)
		return -EINVAL;
	err = region_check_range(r, what, offset, length, true);
	if (err < 0)
		return err;
	return event(r, request, what, offset, length, epoch);
}

EXOTIC_EXPORT int exotic_region_invalidate(struct exotic_region *r,
					   uint64_t offset, uint64_t length,
					   uint64_t *epoch)
{
	return range_event(r, EXOTIC_IOC_INVALIDATE, "invalidate", offset, length,
			   epoch);
}

EXOTIC_EXPORT int exotic_region_migrate(struct exotic_region *r,
					uint64_t offset, uint64_t length,
					uint64_t *epoch)
{
	return range_event(r, EXOTIC_IOC_MIGRATE, "migrate", offset, length, epoch);
}
