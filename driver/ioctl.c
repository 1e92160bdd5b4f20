// SPDX-License-Identifier: GPL-2.0
/*
 * exotic: ioctl dispatch.  exotic_ioctl() copies a command's argument in
 * (the size and direction its number encodes), the command's handler
 * checks reserved fields and flags and runs on that copy, and the result
 * is copied out only on success.
 */
#include <linux/build_bug.h>
#include <linux/fs.h>
#include <linux/nospec.h>
#include <linux/uaccess.h>

#include "exotic.h"

union exotic_ioc_arg {
	struct exotic_version version;
	struct exotic_alloc alloc;
	struct exotic_event event;
	struct exotic_region_info info;
	struct exotic_query query;
};

static bool exotic_all_zero(const u64 *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i])
			return false;
	return true;
}

static int exotic_ioc_version(struct exotic_file *xf, unsigned int cmd,
			      union exotic_ioc_arg *arg)
{
	struct exotic_version *v = &arg->version;

	v->abi_version = EXOTIC_ABI_VERSION;
	v->kinds = exotic_mem_kinds();
	v->methods = exotic_map_methods();
	v->max_order = min_t(unsigned int, READ_ONCE(exotic_max_order),
			     EXOTIC_MAX_PAGE_ORDER);
	v->max_bytes = READ_ONCE(exotic_max_bytes);
	v->used_bytes = atomic64_read(&exotic_dev.used_bytes);
	if (exotic_carveout_available()) {
		/* a physical address: CAP_SYS_ADMIN openers only */
		v->carveout_base = xf->show_pfns ? exotic_carveout_base : 0;
		v->carveout_size = exotic_carveout_size;
	}
	v->max_regions = min(READ_ONCE(exotic_max_regions), EXOTIC_MAX_HANDLE);
	v->quarantine_ms = READ_ONCE(exotic_quarantine_ms);
	v->epoch = atomic64_read(&exotic_dev.epoch);
	v->file_max_bytes = exotic_file_max_bytes();
	v->file_used_bytes = atomic64_read(&xf->live_bytes);
	return 0;
}

static int exotic_ioc_alloc(struct exotic_file *xf, unsigned int cmd,
			    union exotic_ioc_arg *arg)
{
	struct exotic_alloc *a = &arg->alloc;

	if (a->pad || !exotic_all_zero(a->reserved, ARRAY_SIZE(a->reserved)))
		return -EINVAL;
	/* outputs are ignored on input, so a struct can be reused */
	a->handle = 0;
	a->mmap_offset = 0;
	return exotic_region_alloc(xf, a);
}

/*
 * The caller never learns the handle: take it back.  Only a fatal signal
 * stops the FREE, and then the file's release frees the region.
 */
static void exotic_ioc_alloc_unwind(struct exotic_file *xf,
				    union exotic_ioc_arg *arg)
{
	struct exotic_event ev = { .handle = arg->alloc.handle };

	exotic_region_event(xf, EXOTIC_IOC_FREE, &ev);
}

static int exotic_ioc_event(struct exotic_file *xf, unsigned int cmd,
			    union exotic_ioc_arg *arg)
{
	struct exotic_event *ev = &arg->event;

	if (ev->flags || !exotic_all_zero(ev->reserved, ARRAY_SIZE(ev->reserved)))
		return -EINVAL;
	ev->epoch = 0;
	return exotic_region_event(xf, cmd, ev);
}

static int exotic_ioc_info(struct exotic_file *xf, unsigned int cmd,
			   union exotic_ioc_arg *arg)
{
	struct exotic_region_info *info = &arg->info;
	u32 handle = info->handle;

	memset(info, 0, sizeof(*info));
	info->handle = handle;
	return exotic_region_info(xf, info);
}

static int exotic_ioc_query(struct exotic_file *xf, unsigned int cmd,
			    union exotic_ioc_arg *arg)
{
	struct exotic_query *q = &arg->query;

	if (q->flags & ~EXOTIC_QUERY_RETIRED ||
	    !exotic_all_zero(q->reserved, ARRAY_SIZE(q->reserved)))
		return -EINVAL;
	return exotic_region_query(xf, q);
}

struct exotic_ioc {
	unsigned int cmd;
	int (*run)(struct exotic_file *xf, unsigned int cmd,
		   union exotic_ioc_arg *arg);
	/* undoes a success whose copy-out failed, if it must be undone */
	void (*unwind)(struct exotic_file *xf, union exotic_ioc_arg *arg);
};

/* EXOTIC_IOC_<name>, its handler and its unwind, at its number */
#define EXOTIC_IOC(name, r, u)						\
	[_IOC_NR(EXOTIC_IOC_##name)] = {				\
		.cmd = EXOTIC_IOC_##name +				\
		       BUILD_BUG_ON_ZERO(_IOC_SIZE(EXOTIC_IOC_##name) >	\
					 sizeof(union exotic_ioc_arg)),	\
		.run = (r),						\
		.unwind = (u),						\
	}

static const struct exotic_ioc exotic_iocs[] = {
	EXOTIC_IOC(VERSION, exotic_ioc_version, NULL),
	EXOTIC_IOC(ALLOC, exotic_ioc_alloc, exotic_ioc_alloc_unwind),
	EXOTIC_IOC(FREE, exotic_ioc_event, NULL),
	EXOTIC_IOC(REVOKE, exotic_ioc_event, NULL),
	EXOTIC_IOC(INVALIDATE, exotic_ioc_event, NULL),
	EXOTIC_IOC(MIGRATE, exotic_ioc_event, NULL),
	EXOTIC_IOC(INFO, exotic_ioc_info, NULL),
	EXOTIC_IOC(QUERY, exotic_ioc_query, NULL),
};

long exotic_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct exotic_file *xf = file->private_data;
	void __user *uarg = (void __user *)arg;
	const struct exotic_ioc *ioc;
	union exotic_ioc_arg karg;
	unsigned int nr = _IOC_NR(cmd);
	int ret;

	if (nr >= ARRAY_SIZE(exotic_iocs))
		return -ENOTTY;
	ioc = &exotic_iocs[array_index_nospec(nr, ARRAY_SIZE(exotic_iocs))];
	if (!ioc->run || ioc->cmd != cmd)
		return -ENOTTY;
	/* the table's size and direction, not the caller's, even speculatively */
	cmd = ioc->cmd;
	memset(&karg, 0, sizeof(karg));
	if ((_IOC_DIR(cmd) & _IOC_WRITE) &&
	    copy_from_user(&karg, uarg, _IOC_SIZE(cmd)))
		return -EFAULT;
	ret = ioc->run(xf, cmd, &karg);
	if (ret)
		return ret;
	if ((_IOC_DIR(cmd) & _IOC_READ) &&
	    copy_to_user(uarg, &karg, _IOC_SIZE(cmd))) {
		if (ioc->unwind)
			ioc->unwind(xf, &karg);
		return -EFAULT;
	}
	return 0;
}
