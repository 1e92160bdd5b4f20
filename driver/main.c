// SPDX-License-Identifier: GPL-2.0
/*
 * exotic: module, parameters, misc device and file operations.
 *
 * Every open file gets its own inode on a private pseudo filesystem; its
 * address_space is the file's f_mapping, so unmap_mapping_range() on it
 * reaches every VMA of that file and nothing else.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mount.h>
#include <linux/pseudo_fs.h>
#include <linux/slab.h>
#include <linux/capability.h>
#include <linux/string.h>

#include "exotic.h"

#define EXOTIC_FS_MAGIC		0x45584f54	/* "EXOT" */

unsigned long long exotic_carveout_base;
module_param_named(carveout_base, exotic_carveout_base, ullong, 0444);
MODULE_PARM_DESC(carveout_base,
		 "Physical base of a memmap=SIZE$ADDR carve-out to hand out as PFNs without struct page (0: none)");

unsigned long long exotic_carveout_size;
module_param_named(carveout_size, exotic_carveout_size, ullong, 0444);
MODULE_PARM_DESC(carveout_size, "Size in bytes of that carve-out (0: none)");

bool exotic_carveout_zone_device_param;
module_param_named(carveout_zone_device, exotic_carveout_zone_device_param,
		   bool, 0444);
MODULE_PARM_DESC(carveout_zone_device,
		 "Give the carve-out ZONE_DEVICE struct pages (memremap_pages, MEMORY_DEVICE_GENERIC) (default off)");

unsigned long long exotic_max_bytes;
module_param_named(max_bytes, exotic_max_bytes, ullong, 0644);
MODULE_PARM_DESC(max_bytes,
		 "Bytes all files together may hold, quarantine included (default 0: a quarter of RAM at load)");

unsigned long long exotic_max_file_bytes;
module_param_named(max_file_bytes, exotic_max_file_bytes, ullong, 0644);
MODULE_PARM_DESC(max_file_bytes,
		 "Bytes of live regions one open file may hold (default 0: half of max_bytes)");

unsigned int exotic_max_regions = 64;
module_param_named(max_regions, exotic_max_regions, uint, 0644);
MODULE_PARM_DESC(max_regions, "Regions per open file (default 64, at most 4095)");

unsigned int exotic_max_order = EXOTIC_MAX_PAGE_ORDER;
module_param_named(max_order, exotic_max_order, uint, 0644);
MODULE_PARM_DESC(max_order, "Largest block order accepted (default and limit: the page allocator's largest, 10 on x86)");

unsigned int exotic_quarantine_ms = 100;

static int exotic_quarantine_ms_set(const char *val,
				    const struct kernel_param *kp)
{
	int ret = param_set_uint(val, kp);

	if (!ret)
		exotic_quarantine_retune();
	return ret;
}

static const struct kernel_param_ops exotic_quarantine_ms_ops = {
	.set = exotic_quarantine_ms_set,
	.get = param_get_uint,
};
module_param_cb(quarantine_ms, &exotic_quarantine_ms_ops,
		&exotic_quarantine_ms, 0644);
MODULE_PARM_DESC(quarantine_ms,
		 "How long retired pages stay poisoned before they are freed, queued ones included (default 100 ms, at most 60000)");

bool exotic_unsafe_driver_bugs;
module_param_named(unsafe_driver_bugs, exotic_unsafe_driver_bugs, bool, 0644);
MODULE_PARM_DESC(unsafe_driver_bugs,
		 "Allow EXOTIC_ALLOC_UNSAFE_DRIVER_BUG: reproduce driver bugs such as vm_insert_page() on refcount-0 tail pages (default off)");

struct exotic_dev exotic_dev;
static struct vfsmount *exotic_mnt;

/* A deliberate driver bug is about to be possible: say so, once, and taint. */
void exotic_taint_unsafe(const char *what)
{
	/* no "BUG:" in the text: the console oracle would take it for one */
	pr_notice_once("deliberate driver bugs enabled (%s), tainting the kernel\n",
		       what);
	add_taint(TAINT_USER, LOCKDEP_STILL_OK);
}

static int exotic_fs_init_fs_context(struct fs_context *fc)
{
	return init_pseudo(fc, EXOTIC_FS_MAGIC) ? 0 : -ENOMEM;
}

static struct file_system_type exotic_fs_type = {
	.name = "exotic",
	.init_fs_context = exotic_fs_init_fs_context,
	.kill_sb = kill_anon_super,
};

static int exotic_open(struct inode *inode, struct file *file)
{
	struct exotic_file *xf;

	xf = kzalloc(sizeof(*xf), GFP_KERNEL);
	if (!xf)
		return -ENOMEM;
	xf->inode = alloc_anon_inode(exotic_mnt->mnt_sb);
	if (IS_ERR(xf->inode)) {
		int ret = PTR_ERR(xf->inode);

		kfree(xf);
		return ret;
	}
	if (EXOTIC_NEEDS_DAX_HOST)
		xf->inode->i_flags |= S_DAX;
	xf->mapping = xf->inode->i_mapping;
	mutex_init(&xf->lock);
	xa_init_flags(&xf->regions, XA_FLAGS_ALLOC1);
	/* PFNs are physical addresses: as /proc/PID/pagemap since 4.2 */
	xf->show_pfns = file_ns_capable(file, &init_user_ns, CAP_SYS_ADMIN);
	/* a bug injected later does not change the files already open */
	xf->inject = exotic_inject_for_open();
	file->f_mapping = xf->mapping;
	file->private_data = xf;
	return nonseekable_open(inode, file);
}

static int exotic_release(struct inode *inode, struct file *file)
{
	struct exotic_file *xf = file->private_data;

	exotic_region_release_all(xf);
	xa_destroy(&xf->regions);
	mutex_destroy(&xf->lock);
	iput(xf->inode);
	kfree(xf);
	return 0;
}

static int exotic_mmap(struct file *file, struct vm_area_struct *vma)
{
	return exotic_region_mmap(file->private_data, vma);
}

static const struct file_operations exotic_fops = {
	.owner = THIS_MODULE,
	.open = exotic_open,
	.release = exotic_release,
	.mmap = exotic_mmap,
	.unlocked_ioctl = exotic_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.get_unmapped_area = thp_get_unmapped_area,
	.llseek = EXOTIC_NO_LLSEEK,
};

static struct miscdevice exotic_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "exotic",
	.fops = &exotic_fops,
	.mode = 0600,
};

static void exotic_check_layout(void)
{
	BUILD_BUG_ON(sizeof(struct exotic_version) != 96);
	BUILD_BUG_ON(sizeof(struct exotic_alloc) != 72);
	BUILD_BUG_ON(sizeof(struct exotic_event) != 48);
	BUILD_BUG_ON(sizeof(struct exotic_region_info) != 128);
	BUILD_BUG_ON(sizeof(struct exotic_page) != 40);
	BUILD_BUG_ON(sizeof(struct exotic_query) != 48);
	BUILD_BUG_ON(sizeof(struct exotic_poison) != 16);
	BUILD_BUG_ON(EXOTIC_HUGE_SIZE != PMD_SIZE);
}

static int __init exotic_init(void)
{
	int ret;

	exotic_check_layout();
	if (!exotic_max_bytes)
		exotic_max_bytes = (u64)totalram_pages() << PAGE_SHIFT >> 2;
	atomic64_set(&exotic_dev.epoch, 0);
	atomic64_set(&exotic_dev.used_bytes, 0);
	mutex_init(&exotic_dev.regions_lock);
	INIT_LIST_HEAD(&exotic_dev.regions);
	exotic_quarantine_init();

	exotic_mnt = exotic_load_should_fail(1) ? ERR_PTR(-ENOMEM) :
		     kern_mount(&exotic_fs_type);
	if (IS_ERR(exotic_mnt)) {
		ret = PTR_ERR(exotic_mnt);
		goto err_quarantine;
	}

	ret = exotic_carveout_init();
	if (ret)
		goto err_unmount;

	exotic_debugfs_init();

	ret = exotic_load_should_fail(7) ? -ENOMEM : misc_register(&exotic_misc);
	if (ret)
		goto err_debugfs;
	return 0;

err_debugfs:
	exotic_debugfs_exit();
	exotic_carveout_exit();
err_unmount:
	kern_unmount(exotic_mnt);
err_quarantine:
	exotic_quarantine_exit();
	return ret;
}

static void __exit exotic_exit(void)
{
	misc_deregister(&exotic_misc);
	exotic_debugfs_exit();
	exotic_quarantine_exit();
	exotic_carveout_exit();
	kern_unmount(exotic_mnt);
}

module_init(exotic_init);
module_exit(exotic_exit);

MODULE_DESCRIPTION("Exotic memory for KVM tests: refcount-0 tails, reserved pages, PFNs without struct page");
MODULE_LICENSE("GPL");
