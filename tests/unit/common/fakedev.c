// SPDX-License-Identifier: LGPL-2.1-or-later
/* A fake exotic driver for host unit tests: see fakedev.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exotic.h"
#include "fakedev.h"
#include "logcap.h"
#include "wrap.h"

#define PAGE 4096ULL

struct fakedev fakedev;
static int memfd = -1;
static dev_t memfd_dev;
static ino_t memfd_ino;

int __real_close(int fd);

bool fakedev_is_fake_fd(int fd)
{
	struct stat st;

	if (memfd < 0 || fstat(fd, &st) < 0)
		return false;
	return st.st_dev == memfd_dev && st.st_ino == memfd_ino;
}

struct fake_region *fakedev_region(uint32_t handle)
{
	for (int i = 0; i < FAKEDEV_MAX_REGIONS; i++)
		if (fakedev.regions[i].used && fakedev.regions[i].handle == handle)
			return &fakedev.regions[i];
	return NULL;
}

int fakedev_live_regions(void)
{
	int n = 0;

	for (int i = 0; i < FAKEDEV_MAX_REGIONS; i++)
		n += fakedev.regions[i].used;
	return n;
}

static bool claimed(const char *path)
{
	return !strcmp(path, FAKEDEV_PATH) ||
	       (fakedev.claim_dev_exotic && !strcmp(path, "/dev/exotic"));
}

static int fake_open(const char *path, int flags)
{
	(void)flags;
	if (!claimed(path))
		return WRAP_PASS;
	return dup(memfd);
}

static int fake_access(const char *path, int mode)
{
	(void)mode;
	if (!strcmp(path, "/run/udev/control")) {
		if (fakedev.udevd_running)
			return 0;
		errno = ENOENT;
		return -1;
	}
	return claimed(path) ? 0 : WRAP_PASS;
}

static bool zero(const void *p, size_t n)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < n; i++)
		if (c[i])
			return false;
	return true;
}

#define FAIL(e) do { errno = (e); return -1; } while (0)

static int do_alloc(struct exotic_alloc *a)
{
	struct exotic_version *v = &fakedev.version;
	uint64_t block;
	int slot = -1;

	fakedev.last_alloc = *a;
	if (a->pad || !zero(a->reserved, sizeof(a->reserved)) || a->handle ||
	    a->mmap_offset)
		FAIL(EINVAL);
	if (a->flags & ~EXOTIC_ALLOC_FLAGS_ALL)
		FAIL(EINVAL);
	if (a->kind < 1 || a->kind > EXOTIC_KIND_MAX ||
	    a->method < 1 || a->method > EXOTIC_MAP_MAX)
		FAIL(EINVAL);
	if (!(v->kinds & (1U << a->kind)) || !(v->methods & (1U << a->method)))
		FAIL(EOPNOTSUPP);
	if (a->order > v->max_order)
		FAIL(EINVAL);
	if ((a->flags & EXOTIC_ALLOC_READONLY) && (a->flags & EXOTIC_ALLOC_MKWRITE))
		FAIL(EINVAL);
	if ((a->flags & EXOTIC_ALLOC_MKWRITE) && a->method != EXOTIC_MAP_FAULT &&
	    a->method != EXOTIC_MAP_MIXED)
		FAIL(EINVAL);
	/* As the driver: the carve-out mapped huge uses 2 MiB blocks. */
	if (a->method == EXOTIC_MAP_HUGE && a->kind == EXOTIC_KIND_CARVEOUT &&
	    a->order < 9)
		a->order = 9;
	block = PAGE << a->order;
	if (a->method == EXOTIC_MAP_HUGE && block < EXOTIC_HUGE_SIZE)
		FAIL(EINVAL);
	if (!a->length || a->length % block || a->length > FAKEDEV_REGION_SPAN)
		FAIL(EINVAL);
	/*
	 * As the driver before 6.12: the carve-out mapped huge, like PAGE on
	 * refcount-0 tails, only with the unsafe flag; PAGE on the carve-out
	 * never.
	 */
	if (a->method == EXOTIC_MAP_HUGE && a->kind == EXOTIC_KIND_CARVEOUT &&
	    !(a->flags & EXOTIC_ALLOC_UNSAFE_DRIVER_BUG))
		FAIL(EINVAL);
	if (a->method == EXOTIC_MAP_PAGE && a->kind == EXOTIC_KIND_CARVEOUT)
		FAIL(EINVAL);
	if (a->method == EXOTIC_MAP_PAGE && a->kind != EXOTIC_KIND_REFCOUNTED &&
	    a->kind != EXOTIC_KIND_COMPOUND &&
	    !(a->flags & EXOTIC_ALLOC_UNSAFE_DRIVER_BUG))
		FAIL(EINVAL);
	if ((a->flags & EXOTIC_ALLOC_UNSAFE_DRIVER_BUG) && !fakedev.unsafe_driver_bugs)
		FAIL(EPERM);
	if (v->used_bytes + a->length > v->max_bytes ||
	    fakedev_live_regions() >= (int)v->max_regions)
		FAIL(ENOSPC);
	for (int i = 0; i < FAKEDEV_MAX_REGIONS; i++) {
		if (!fakedev.regions[i].used) {
			slot = i;
			break;
		}
	}
	if (slot < 0)
		FAIL(ENOSPC);
	fakedev.regions[slot] = (struct fake_region){
		.used = true, .handle = ++fakedev.next_handle,
		.kind = a->kind, .method = a->method, .order = a->order,
		.flags = a->flags, .state = EXOTIC_STATE_LIVE,
		.length = a->length,
	};
	v->used_bytes += a->length;
	a->handle = fakedev.regions[slot].handle;
	a->mmap_offset = a->handle * FAKEDEV_REGION_SPAN;
	return 0;
}

static int do_event(unsigned long req, struct exotic_event *ev)
{
	struct fake_region *r;
	uint64_t len;

	fakedev.last_event = *ev;
	fakedev.last_event_request = req;
	if (ev->flags || ev->epoch || !zero(ev->reserved, sizeof(ev->reserved)))
		FAIL(EINVAL);
	r = fakedev_region(ev->handle);
	if (!r)
		FAIL(ENOENT);
	if (req == EXOTIC_IOC_FREE || req == EXOTIC_IOC_REVOKE) {
		if (ev->offset || ev->length)
			FAIL(EINVAL);
		if (req == EXOTIC_IOC_REVOKE && r->state != EXOTIC_STATE_LIVE)
			FAIL(ENODEV);
	} else {
		if (r->state != EXOTIC_STATE_LIVE)
			FAIL(ENODEV);
		len = ev->length ? ev->length : r->length - ev->offset;
		if (ev->offset % PAGE || len % PAGE || ev->offset > r->length ||
		    len > r->length - ev->offset)
			FAIL(EINVAL);
	}
	ev->epoch = ++fakedev.epoch;
	fakedev.version.epoch = ev->epoch;
	r->epoch = ev->epoch;
	if (req == EXOTIC_IOC_FREE) {
		fakedev.version.used_bytes -= r->length;
		fakedev.frees++;
		memset(r, 0, sizeof(*r));
	} else if (req == EXOTIC_IOC_REVOKE) {
		r->state = EXOTIC_STATE_REVOKED;
		r->retired_pages += r->length / PAGE;
	} else if (req == EXOTIC_IOC_INVALIDATE) {
		r->invalidations++;
	} else {
		r->migrations++;
		r->retired_pages += (ev->length ? ev->length : r->length - ev->offset) / PAGE;
	}
	return 0;
}

static int do_info(struct exotic_region_info *info)
{
	struct fake_region *r = fakedev_region(info->handle);
	uint32_t handle = info->handle;

	if (!r)
		FAIL(ENOENT);
	/* what driver/introspect.c reports, from the fake's own counts */
	*info = (struct exotic_region_info){
		.handle = handle, .kind = r->kind, .method = r->method, .order = r->order,
		.flags = r->flags, .state = r->state, .length = r->length,
		.mmap_offset = handle * FAKEDEV_REGION_SPAN,
		.nr_pfns = r->state == EXOTIC_STATE_LIVE ? r->length / PAGE : 0,
		.zaps = r->invalidations + r->migrations, .migrations = r->migrations,
		.epoch = r->epoch, .quarantined = r->retired_pages,
	};
	return 0;
}

static int do_query(struct exotic_query *q)
{
	struct fake_region *r;
	struct exotic_page *pages = (struct exotic_page *)(uintptr_t)q->pages;
	uint64_t avail, n;
	bool retired = q->flags & EXOTIC_QUERY_RETIRED;

	fakedev.last_query = *q;
	if ((q->flags & ~EXOTIC_QUERY_RETIRED) ||
	    !zero(q->reserved, sizeof(q->reserved)))
		FAIL(EINVAL);
	r = fakedev_region(q->handle);
	if (!r)
		FAIL(ENOENT);
	if (!pages)
		FAIL(EFAULT);
	if (retired) {
		avail = q->offset < r->retired_pages ? r->retired_pages - q->offset : 0;
	} else {
		if (r->state != EXOTIC_STATE_LIVE)
			FAIL(ENODEV);
		if (q->offset % PAGE || q->offset >= r->length)
			FAIL(EINVAL);
		avail = (r->length - q->offset) / PAGE;
	}
	n = q->count < avail ? q->count : avail;
	for (uint64_t i = 0; i < n; i++) {
		struct exotic_page *p = &pages[i];
		uint64_t idx = retired ? q->offset + i : q->offset / PAGE + i;

		memset(p, 0, sizeof(*p));
		p->pfn = 0x100000 + r->handle * 0x10000 + idx;
		p->refcount = r->kind == EXOTIC_KIND_CARVEOUT ? -1 : 1;
		p->mapcount = r->kind == EXOTIC_KIND_CARVEOUT ? -1 : 0;
		p->flags = r->kind == EXOTIC_KIND_CARVEOUT ? 0 : EXOTIC_PAGE_HAS_STRUCT;
		if (retired) {
			p->flags |= EXOTIC_PAGE_QUARANTINED | EXOTIC_PAGE_POISON_OK;
			p->epoch = r->epoch;
			p->offset = idx * PAGE;
		} else {
			p->offset = q->offset + i * PAGE;
		}
	}
	q->count = n + (fakedev.query_overreport ? 1 : 0);
	return 0;
}

static int fake_ioctl(int fd, unsigned long req, void *arg)
{
	if (!fakedev_is_fake_fd(fd))
		return WRAP_PASS;
	fakedev.ioctls++;
	if (!arg)
		FAIL(EFAULT);
	switch (req) {
	case EXOTIC_IOC_VERSION:
		memcpy(arg, &fakedev.version, sizeof(fakedev.version));
		return 0;
	case EXOTIC_IOC_ALLOC:
		return do_alloc(arg);
	case EXOTIC_IOC_FREE:
	case EXOTIC_IOC_REVOKE:
	case EXOTIC_IOC_INVALIDATE:
	case EXOTIC_IOC_MIGRATE:
		return do_event(req, arg);
	case EXOTIC_IOC_INFO:
		return do_info(arg);
	case EXOTIC_IOC_QUERY:
		return do_query(arg);
	default:
		FAIL(ENOTTY);
	}
}

void fakedev_start(void)
{
	struct stat st;

	fakedev_stop();
	memset(&fakedev, 0, sizeof(fakedev));
	fakedev.version = (struct exotic_version){
		.abi_version = EXOTIC_ABI_VERSION,
		.kinds = 0x3e, .methods = 0x3e, .max_order = 10,
		.max_bytes = 1ULL << 32, .max_regions = 8,
		.carveout_base = 0x70000000, .carveout_size = 0x10000000,
		.quarantine_ms = 100,
	};
	memfd = memfd_create("fake-exotic", MFD_CLOEXEC);
	if (memfd < 0 || ftruncate(memfd, (FAKEDEV_MAX_REGIONS + 2) * FAKEDEV_REGION_SPAN) < 0 ||
	    fstat(memfd, &st) < 0)
		abort();
	memfd_dev = st.st_dev;
	memfd_ino = st.st_ino;
	wrap_set_hooks(fake_open, fake_ioctl, fake_access);
}

int fakedev_ctx_new(struct exotic_ctx **ctx, struct logcap *cap)
{
	int r;

	wrap_reset();
	fakedev_start();
	r = exotic_new(ctx);
	if (r < 0)
		return r;
	logcap_attach(*ctx, cap);
	return 0;
}

void fakedev_stop(void)
{
	wrap_set_hooks(NULL, NULL, NULL);
	if (memfd >= 0)
		__real_close(memfd);
	memfd = -1;
}
