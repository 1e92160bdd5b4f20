// SPDX-License-Identifier: GPL-2.0
/*
 * exotic: ioctl dispatch.  Each command copies its argument in once,
 * checks reserved fields and flags, runs, and copies the result out only on
 * success.
 */
#include <linux/fs.h>
#include <linux/uaccess.h>

#include "exotic.h"

static bool exotic_all_zero(const u64 *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i])
			return false;
	return true;
}

static int exotic_ioc_version(struct exotic_file *xf, void __user *uarg)
{
	struct exotic_version v;

	memset(&v, 0, sizeof(v));
	v.abi_version = EXOTIC_ABI_VERSION;
	v.kinds = BIT(EXOTIC_KIND_REFCOUNTED) | BIT(EXOTIC_KIND_COMPOUND) |
		  BIT(EXOTIC_KIND_NONCOMPOUND) | BIT(EXOTIC_KIND_RESERVED);
	if (exotic_carveout_available())
		v.kinds |= BIT(EXOTIC_KIND_CARVEOUT);
	v.methods = BIT(EXOTIC_MAP_REMAP) | BIT(EXOTIC_MAP_FAULT) |
		    BIT(EXOTIC_MAP_HUGE) | BIT(EXOTIC_MAP_MIXED) |
		    BIT(EXOTIC_MAP_PAGE);
	v.max_order = min_t(unsigned int, READ_ONCE(exotic_max_order),
			    EXOTIC_MAX_PAGE_ORDER);
	v.max_bytes = READ_ONCE(exotic_max_bytes);
	v.used_bytes = atomic64_read(&exotic_dev.used_bytes);
	if (exotic_carveout_available()) {
		/* a physical address: CAP_SYS_ADMIN openers only */
		v.carveout_base = xf->show_pfns ? exotic_carveout_base : 0;
		v.carveout_size = exotic_carveout_size;
	}
	v.max_regions = min(READ_ONCE(exotic_max_regions), EXOTIC_MAX_HANDLE);
	v.quarantine_ms = READ_ONCE(exotic_quarantine_ms);
	v.epoch = atomic64_read(&exotic_dev.epoch);
	v.file_max_bytes = exotic_file_max_bytes();
	v.file_used_bytes = atomic64_read(&xf->live_bytes);
	if (copy_to_user(uarg, &v, sizeof(v)))
		return -EFAULT;
	return 0;
}

static int exotic_ioc_alloc(struct exotic_file *xf, void __user *uarg)
{
	struct exotic_alloc a;
	int ret;

	if (copy_from_user(&a, uarg, sizeof(a)))
		return -EFAULT;
	if (a.pad || !exotic_all_zero(a.reserved, ARRAY_SIZE(a.reserved)))
		return -EINVAL;
	/* outputs are ignored on input, so a struct can be reused */
	a.handle = 0;
	a.mmap_offset = 0;
	ret = exotic_region_alloc(xf, &a);
	if (ret)
		return ret;
	if (copy_to_user(uarg, &a, sizeof(a))) {
		struct exotic_event ev = { .handle = a.handle };

		/* the caller never learns the handle: take it back */
		exotic_region_event(xf, EXOTIC_IOC_FREE, &ev);
		return -EFAULT;
	}
	return 0;
}

static int exotic_ioc_event(struct exotic_file *xf, unsigned int cmd,
			    void __user *uarg)
{
	struct exotic_event ev;
	int ret;

	if (copy_from_user(&ev, uarg, sizeof(ev)))
		return -EFAULT;
	if (ev.flags)
		return -EINVAL;
	if (!exotic_all_zero(ev.reserved, ARRAY_SIZE(ev.reserved)))
		return -EINVAL;
	ev.epoch = 0;
	ret = exotic_region_event(xf, cmd, &ev);
	if (ret)
		return ret;
	if (copy_to_user(uarg, &ev, sizeof(ev)))
		return -EFAULT;
	return 0;
}

static int exotic_ioc_info(struct exotic_file *xf, void __user *uarg)
{
	struct exotic_region_info info;
	u32 handle;
	int ret;

	if (copy_from_user(&info, uarg, sizeof(info)))
		return -EFAULT;
	handle = info.handle;
	memset(&info, 0, sizeof(info));
	info.handle = handle;
	ret = exotic_region_info(xf, &info);
	if (ret)
		return ret;
	if (copy_to_user(uarg, &info, sizeof(info)))
		return -EFAULT;
	return 0;
}

static int exotic_ioc_query(struct exotic_file *xf, void __user *uarg)
{
	struct exotic_query q;
	int ret;

	if (copy_from_user(&q, uarg, sizeof(q)))
		return -EFAULT;
	if (q.flags & ~EXOTIC_QUERY_RETIRED)
		return -EINVAL;
	if (!exotic_all_zero(q.reserved, ARRAY_SIZE(q.reserved)))
		return -EINVAL;
	ret = exotic_region_query(xf, &q);
	if (ret)
		return ret;
	if (copy_to_user(uarg, &q, sizeof(q)))
		return -EFAULT;
	return 0;
}

long exotic_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct exotic_file *xf = file->private_data;
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case EXOTIC_IOC_VERSION:
		return exotic_ioc_version(xf, uarg);
	case EXOTIC_IOC_ALLOC:
		return exotic_ioc_alloc(xf, uarg);
	case EXOTIC_IOC_FREE:
	case EXOTIC_IOC_REVOKE:
	case EXOTIC_IOC_INVALIDATE:
	case EXOTIC_IOC_MIGRATE:
		return exotic_ioc_event(xf, cmd, uarg);
	case EXOTIC_IOC_INFO:
		return exotic_ioc_info(xf, uarg);
	case EXOTIC_IOC_QUERY:
		return exotic_ioc_query(xf, uarg);
	default:
		return -ENOTTY;
	}
}
