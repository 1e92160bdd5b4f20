// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Region layer: allocate in the driver, mmap; the names of the memory
 * kinds and mapping methods.  The events and queries a region passes
 * through to the driver are in region_events.c.  The driver is the
 * authority on every rule; the checks here only exist to turn obviously
 * bad arguments into a clear message before the driver's bare EINVAL.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"
#include "region_internal.h"

static const char *const kind_names[] = {
	[EXOTIC_KIND_REFCOUNTED] = "refcounted",
	[EXOTIC_KIND_COMPOUND] = "compound",
	[EXOTIC_KIND_NONCOMPOUND] = "noncompound",
	[EXOTIC_KIND_RESERVED] = "reserved",
	[EXOTIC_KIND_CARVEOUT] = "carveout",
};

static const char *const method_names[] = {
	[EXOTIC_MAP_REMAP] = "remap",
	[EXOTIC_MAP_FAULT] = "fault",
	[EXOTIC_MAP_HUGE] = "huge",
	[EXOTIC_MAP_MIXED] = "mixed",
	[EXOTIC_MAP_PAGE] = "page",
};

EXOTIC_EXPORT const char *exotic_kind_name(unsigned int kind)
{
	return kind < ARRAY_SIZE(kind_names) ? kind_names[kind] : NULL;
}

EXOTIC_EXPORT const char *exotic_method_name(unsigned int method)
{
	return method < ARRAY_SIZE(method_names) ? method_names[method] : NULL;
}

int exotic_name_index(const char *const *names, size_t n, const char *name)
{
	if (!name)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (names[i] && !strcmp(names[i], name))
			return (int)i;
	return -EINVAL;
}

EXOTIC_EXPORT int exotic_kind_from_name(const char *name)
{
	return exotic_name_index(kind_names, ARRAY_SIZE(kind_names), name);
}

EXOTIC_EXPORT int exotic_method_from_name(const char *name)
{
	return exotic_name_index(method_names, ARRAY_SIZE(method_names), name);
}

EXOTIC_EXPORT int exotic_is_poison(const void *p, uint64_t *epoch)
{
	struct exotic_poison poison;

	if (!p)
		return 0;
	memcpy(&poison, p, sizeof(poison));
	if (poison.magic != EXOTIC_POISON_MAGIC)
		return 0;
	if (epoch)
		*epoch = poison.epoch;
	return 1;
}

static uint64_t page_size(void)
{
	long ps = sysconf(_SC_PAGESIZE);

	return ps > 0 ? (uint64_t)ps : 4096;
}

static const char *kname(uint32_t kind)
{
	const char *n = exotic_kind_name(kind);

	return n ? n : "?";
}

static const char *mname(uint32_t method)
{
	const char *n = exotic_method_name(method);

	return n ? n : "?";
}

/*
 * mmap [offset, offset + length) of the region.  Huge regions get a 2 MiB
 * aligned address so that the driver's PMD faults can succeed: reserve a
 * larger window, map into its aligned part, trim the rest.
 */
static int map_range(struct exotic_region *r, uint64_t offset, size_t length,
		     int prot, void **addrp)
{
	const size_t huge = EXOTIC_HUGE_SIZE;
	void *p;

	if (r->method == EXOTIC_MAP_HUGE && length >= huge) {
		uint8_t *win, *aligned;

		if (length > SIZE_MAX - huge)
			return -EINVAL;
		win = mmap(NULL, length + huge, PROT_NONE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (win == MAP_FAILED) {
			int err = exotic_neg_errno();

			exotic_err(r->ctx, "reserving %zu bytes for a 2 MiB aligned mapping: %s\n",
				   length + huge, strerror(-err));
			return err;
		}
		aligned = (uint8_t *)(((uintptr_t)win + huge - 1) & ~(uintptr_t)(huge - 1));
		p = mmap(aligned, length, prot, MAP_SHARED | MAP_FIXED, r->fd,
			 (off_t)(r->mmap_offset + offset));
		if (p == MAP_FAILED) {
			int err = exotic_neg_errno();

			munmap(win, length + huge);
			exotic_err(r->ctx, "mmap of region %u (%s/%s) at +%#llx, %zu bytes: %s\n",
				   r->handle, kname(r->kind), mname(r->method),
				   (unsigned long long)offset, length, strerror(-err));
			return err;
		}
		if (aligned > win)
			munmap(win, (size_t)(aligned - win));
		if (aligned + length < win + length + huge)
			munmap(aligned + length,
			       (size_t)(win + length + huge - (aligned + length)));
	} else {
		p = mmap(NULL, length, prot, MAP_SHARED, r->fd,
			 (off_t)(r->mmap_offset + offset));
		if (p == MAP_FAILED) {
			int err = exotic_neg_errno();

			exotic_err(r->ctx, "mmap of region %u (%s/%s) at +%#llx, %zu bytes: %s\n",
				   r->handle, kname(r->kind), mname(r->method),
				   (unsigned long long)offset, length, strerror(-err));
			return err;
		}
	}
	*addrp = p;
	return 0;
}

static int check_prot(struct exotic_ctx *ctx, int prot)
{
	if (prot & ~(PROT_READ | PROT_WRITE)) {
		exotic_err(ctx, "prot %#x: only PROT_READ and PROT_WRITE are meaningful\n",
			   prot);
		return -EINVAL;
	}
	return 0;
}

static int check_params(struct exotic_device *dev,
			const struct exotic_region_params *p)
{
	struct exotic_ctx *ctx = exotic_device_get_ctx(dev);
	struct exotic_version v;
	uint64_t ps = page_size();
	int r;

	if (p->kind < 1 || p->kind > EXOTIC_KIND_MAX) {
		exotic_err(ctx, "unknown kind %u (1..%u)\n", p->kind, EXOTIC_KIND_MAX);
		return -EINVAL;
	}
	if (p->method < 1 || p->method > EXOTIC_MAP_MAX) {
		exotic_err(ctx, "unknown method %u (1..%u)\n", p->method, EXOTIC_MAP_MAX);
		return -EINVAL;
	}
	if (p->flags & ~EXOTIC_ALLOC_FLAGS_ALL) {
		exotic_err(ctx, "unknown alloc flags %#x\n", p->flags & ~EXOTIC_ALLOC_FLAGS_ALL);
		return -EINVAL;
	}
	for (size_t i = 0; i < ARRAY_SIZE(p->reserved); i++) {
		if (p->reserved[i]) {
			exotic_err(ctx, "reserved field %zu of the region params is not zero\n",
				   i);
			return -EINVAL;
		}
	}
	if (p->map_flags & ~EXOTIC_REGION_NOMAP) {
		exotic_err(ctx, "unknown map flags %#x\n", p->map_flags & ~EXOTIC_REGION_NOMAP);
		return -EINVAL;
	}
	if (!p->length || p->length % ps) {
		exotic_err(ctx, "length %#llx must be a nonzero multiple of the page size\n",
			   (unsigned long long)p->length);
		return -EINVAL;
	}
	if (p->length > SIZE_MAX) {
		exotic_err(ctx, "length %#llx does not fit in this address space\n",
			   (unsigned long long)p->length);
		return -EINVAL;
	}
	if (p->order >= 32) {
		exotic_err(ctx, "order %u is absurd\n", p->order);
		return -EINVAL;
	}
	r = check_prot(ctx, p->prot);
	if (r < 0)
		return r;
	if ((p->flags & EXOTIC_ALLOC_READONLY) && (p->prot & PROT_WRITE)) {
		exotic_err(ctx, "a READONLY region cannot be mapped with PROT_WRITE\n");
		return -EINVAL;
	}
	r = exotic_device_version(dev, &v);
	if (r < 0)
		return r;
	if (!(v.kinds & (1U << p->kind))) {
		exotic_err(ctx, "the driver does not offer kind %s now (kinds %#x)%s\n",
			   kname(p->kind), v.kinds,
			   p->kind == EXOTIC_KIND_CARVEOUT ?
			   ": boot with memmap=SIZE$ADDR and load exotic with carveout_base= and carveout_size=" : "");
		return -EOPNOTSUPP;
	}
	if (!(v.methods & (1U << p->method))) {
		exotic_err(ctx, "the driver does not offer method %s (methods %#x)\n",
			   mname(p->method), v.methods);
		return -EOPNOTSUPP;
	}
	return 0;
}

static void explain_alloc_error(struct exotic_ctx *ctx,
				const struct exotic_region_params *p, int r)
{
	const char *k = kname(p->kind), *m = mname(p->method);
	unsigned long long len = (unsigned long long)p->length;

	switch (r) {
	case -EPERM:
		exotic_err(ctx, "alloc %s/%s: the unsafe flag needs the module parameter unsafe_driver_bugs=1\n",
			   k, m);
		break;
	case -ENOSPC:
		exotic_err(ctx, "alloc %s/%s of %#llx bytes: driver limit (max_bytes/max_regions) reached\n",
			   k, m, len);
		break;
	case -EINVAL:
		if (p->kind != EXOTIC_KIND_COMPOUND && p->method == EXOTIC_MAP_HUGE &&
		    !(p->flags & EXOTIC_ALLOC_UNSAFE_DRIVER_BUG)) {
			exotic_err(ctx, "alloc %s/%s refused: before Linux 6.12 GUP-fast takes a huge PFN mapping for a THP, which only a compound (folio) block survives; only with EXOTIC_ALLOC_UNSAFE_DRIVER_BUG (and unsafe_driver_bugs=1)\n",
				   k, m);
			break;
		}
		exotic_err(ctx, "alloc %s/%s order %u length %#llx flags %#x refused: length must be a multiple of the block (and 2 MiB for huge); page needs a refcounted kind; order within max_order\n",
			   k, m, p->order, len, p->flags);
		break;
	default:
		exotic_err(ctx, "alloc %s/%s order %u length %#llx: %s\n",
			   k, m, p->order, len, strerror(-r));
		break;
	}
}

static int region_free(struct exotic_region *r)
{
	struct exotic_event ev = { .handle = r->handle };
	int err = exotic_ioctl(r->fd, EXOTIC_IOC_FREE, &ev);

	if (err < 0)
		exotic_err(r->ctx, "freeing region %u: %s\n", r->handle,
			   strerror(-err));
	return err;
}

EXOTIC_EXPORT int exotic_region_new(struct exotic_device *dev,
				    const struct exotic_region_params *params,
				    struct exotic_region **regionp)
{
	struct exotic_alloc a;
	struct exotic_region *r;
	struct exotic_ctx *ctx;
	int err;

	if (!regionp)
		return -EINVAL;
	*regionp = NULL;
	if (!dev || !params)
		return -EINVAL;
	ctx = exotic_device_get_ctx(dev);
	err = check_params(dev, params);
	if (err < 0)
		return err;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	memset(&a, 0, sizeof(a));
	a.kind = params->kind;
	a.method = params->method;
	a.length = params->length;
	a.order = params->order;
	a.flags = params->flags;
	r->fd = exotic_device_get_fd(dev);
	err = exotic_ioctl(r->fd, EXOTIC_IOC_ALLOC, &a);
	if (err < 0) {
		explain_alloc_error(ctx, params, err);
		free(r);
		return err;
	}
	r->refcount = 1;
	r->dev = exotic_device_ref(dev);
	r->ctx = ctx;
	r->handle = a.handle;
	r->kind = params->kind;
	r->method = params->method;
	/* the driver may pick a larger block (the carve-out mapped huge) */
	r->order = a.order;
	r->flags = params->flags;
	r->length = params->length;
	r->mmap_offset = a.mmap_offset;
	r->prot = params->prot ? params->prot :
		  (params->flags & EXOTIC_ALLOC_READONLY) ? PROT_READ :
		  PROT_READ | PROT_WRITE;
	exotic_dbg(ctx, "region %u: %s/%s order %u length %#llx flags %#x at mmap offset %#llx\n",
		   r->handle, kname(r->kind), mname(r->method), r->order,
		   (unsigned long long)r->length, r->flags,
		   (unsigned long long)r->mmap_offset);
	if (!(params->map_flags & EXOTIC_REGION_NOMAP)) {
		err = map_range(r, 0, (size_t)r->length, r->prot, &r->addr);
		if (err < 0) {
			region_free(r);
			exotic_device_unref(r->dev);
			free(r);
			return err;
		}
	}
	*regionp = r;
	return 0;
}

EXOTIC_DEFINE_REF(exotic_region, exotic_region_ref)

EXOTIC_EXPORT struct exotic_region *exotic_region_unref(struct exotic_region *r)
{
	if (!r || !exotic_refcount_put(&r->refcount))
		return r;
	if (r->addr && munmap(r->addr, (size_t)r->length) < 0)
		exotic_warn(r->ctx, "munmap of region %u: %m\n", r->handle);
	region_free(r);
	exotic_device_unref(r->dev);
	free(r);
	return NULL;
}

/* The accessors of a region's fields; a NULL region reads 0. */
#define REGION_FIELD(type, name, field)					\
	EXOTIC_EXPORT type exotic_region_##name(const struct exotic_region *r) \
	{								\
		return r ? (type)r->field : (type)0;			\
	}

REGION_FIELD(void *, addr, addr)
REGION_FIELD(size_t, length, length)
REGION_FIELD(uint32_t, handle, handle)
REGION_FIELD(uint32_t, kind, kind)
REGION_FIELD(uint32_t, method, method)
REGION_FIELD(uint32_t, order, order)
REGION_FIELD(uint32_t, flags, flags)
REGION_FIELD(int, prot, prot)
REGION_FIELD(uint64_t, mmap_offset, mmap_offset)
REGION_FIELD(struct exotic_device *, get_device, dev)

/* 0 if the region has a mapping of its own (mapped, not parked); -EBUSY, said, if not */
static int own_mapping(const struct exotic_region *r, const char *to)
{
	if (r->addr && !r->parked)
		return 0;
	exotic_err(r->ctx, "region %u has no mapping of its own to %s\n", r->handle, to);
	return -EBUSY;
}

/* the -errno of an mm call that failed on the region's own mapping, said */
static int mm_failed(const struct exotic_region *r, const char *call)
{
	int err = exotic_neg_errno();

	exotic_err(r->ctx, "%s of region %u at %p: %s\n", call, r->handle, r->addr,
		   strerror(-err));
	return err;
}

EXOTIC_EXPORT int exotic_region_map(struct exotic_region *r, int prot)
{
	int err;

	if (!r)
		return -EINVAL;
	err = check_prot(r->ctx, prot);
	if (err < 0)
		return err;
	if (r->addr) {
		exotic_err(r->ctx, "region %u is already mapped at %p\n",
			   r->handle, r->addr);
		return -EBUSY;
	}
	if (!prot)
		prot = r->prot;
	err = map_range(r, 0, (size_t)r->length, prot, &r->addr);
	if (err < 0)
		return err;
	r->prot = prot;
	return 0;
}

EXOTIC_EXPORT int exotic_region_unmap(struct exotic_region *r)
{
	if (!r)
		return -EINVAL;
	if (!r->addr)
		return 0;
	r->parked = false;
	if (munmap(r->addr, (size_t)r->length) < 0)
		return mm_failed(r, "munmap");
	r->addr = NULL;
	return 0;
}

EXOTIC_EXPORT int exotic_region_protect(struct exotic_region *r, int prot)
{
	int err;

	if (!r || !prot)
		return -EINVAL;
	err = check_prot(r->ctx, prot);
	if (err < 0)
		return err;
	err = own_mapping(r, "protect");
	if (err < 0)
		return err;
	if (mprotect(r->addr, (size_t)r->length, prot) < 0)
		return mm_failed(r, "mprotect");
	r->prot = prot;
	return 0;
}

EXOTIC_EXPORT int exotic_region_advise(struct exotic_region *r, int advice)
{
	int err;

	if (!r)
		return -EINVAL;
	err = own_mapping(r, "advise");
	if (err < 0)
		return err;
	if (madvise(r->addr, (size_t)r->length, advice) < 0) {
		err = exotic_neg_errno();
		exotic_dbg(r->ctx, "madvise(%d) of region %u: %s\n", advice, r->handle,
			   strerror(-err));
		return err;
	}
	return 0;
}

EXOTIC_EXPORT int exotic_region_park(struct exotic_region *r)
{
	void *p;
	int err;

	if (!r)
		return -EINVAL;
	err = own_mapping(r, "park");
	if (err < 0)
		return err;
	p = mmap(r->addr, (size_t)r->length, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return mm_failed(r, "mmap (park)");
	r->parked = true;
	return 0;
}

EXOTIC_EXPORT int exotic_region_unpark(struct exotic_region *r)
{
	void *p;

	if (!r)
		return -EINVAL;
	if (!r->parked) {
		exotic_err(r->ctx, "region %u is not parked\n", r->handle);
		return -EINVAL;
	}
	p = mmap(r->addr, (size_t)r->length, r->prot, MAP_SHARED | MAP_FIXED,
		 r->fd, (off_t)r->mmap_offset);
	if (p == MAP_FAILED)
		return mm_failed(r, "mmap (unpark)");
	r->parked = false;
	return 0;
}

/*
 * [offset, offset + length) page aligned, not empty and inside the region;
 * with zero_ok, length 0 means "to the end".
 */
int region_check_range(struct exotic_region *r, const char *what,
		       uint64_t offset, uint64_t length, bool zero_ok)
{
	uint64_t ps = page_size();

	if (offset % ps || length % ps || (!zero_ok && !length) ||
	    offset >= r->length || length > r->length - offset) {
		exotic_err(r->ctx, "%s of region %u: range +%#llx len %#llx is not page aligned or not inside the region (%#llx bytes)\n",
			   what, r->handle, (unsigned long long)offset,
			   (unsigned long long)length,
			   (unsigned long long)r->length);
		return -EINVAL;
	}
	return 0;
}

EXOTIC_EXPORT int exotic_region_mmap(struct exotic_region *r, uint64_t offset,
				     size_t length, int prot, void **addr)
{
	int err;

	if (!r || !addr)
		return -EINVAL;
	*addr = NULL;
	err = region_check_range(r, "mmap", offset, length, false);
	if (err < 0)
		return err;
	err = check_prot(r->ctx, prot);
	if (err < 0)
		return err;
	return map_range(r, offset, length, prot ? prot : r->prot, addr);
}

EXOTIC_EXPORT int exotic_region_munmap(struct exotic_region *r, void *addr,
				       size_t length)
{
	if (!r || !addr || !length)
		return -EINVAL;
	if (addr == r->addr) {
		exotic_err(r->ctx, "%p is region %u's own mapping: use exotic_region_unmap()\n",
			   addr, r->handle);
		return -EINVAL;
	}
	if (munmap(addr, length) < 0) {
		int err = exotic_neg_errno();

		exotic_err(r->ctx, "munmap(%p, %zu): %s\n", addr, length,
			   strerror(-err));
		return err;
	}
	return 0;
}
