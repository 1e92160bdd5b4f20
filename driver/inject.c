// SPDX-License-Identifier: GPL-2.0
/*
 * exotic: deliberate failures and bugs, for the tests and the oracles that
 * must be seen to catch them.  Every module parameter that injects one
 * lives here, with the hooks the rest of the driver calls:
 *
 *   inject_bug         a driver bug in the files opened from now on
 *   inject_load_fail   module load fails at step N
 *   inject_alloc_fail  the Nth block allocation from now fails
 *   race_zap_faults    the next N faults of fault-method mappings zap the
 *                      PTE they inserted (KVM's PFNMAP lookup race)
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/string.h>

#include "exotic.h"

/*
 * For the counting-down parameters: take one from *n if it is positive;
 * returns the value it had (0: nothing left).
 */
static int exotic_count_down(int *n)
{
	int old;

	do {
		old = READ_ONCE(*n);
		if (old <= 0)
			return 0;
	} while (cmpxchg(n, old, old - 1) != old);
	return old;
}

/* ------------------------------------------------------------ inject_bug */

static int exotic_inject_bug;
static const char * const exotic_inject_names[] = {
	[EXOTIC_INJECT_NONE] = "none",
	[EXOTIC_INJECT_SKIP_ZAP_ON_MIGRATE] = "skip_zap_on_migrate",
	[EXOTIC_INJECT_LATE_ZAP] = "late_zap",
	[EXOTIC_INJECT_EXTRA_REF] = "extra_ref",
};

static int exotic_inject_set(const char *val, const struct kernel_param *kp)
{
	int i = sysfs_match_string(exotic_inject_names, val);

	if (i < 0)
		return -EINVAL;
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (i != EXOTIC_INJECT_NONE)
		exotic_taint_unsafe("inject_bug");
	WRITE_ONCE(exotic_inject_bug, i);
	return 0;
}

static int exotic_inject_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%s\n",
			  exotic_inject_names[READ_ONCE(exotic_inject_bug)]);
}

static const struct kernel_param_ops exotic_inject_ops = {
	.set = exotic_inject_set,
	.get = exotic_inject_get,
};
module_param_cb(inject_bug, &exotic_inject_ops, NULL, 0644);
MODULE_PARM_DESC(inject_bug,
		 "Inject a driver bug into the files opened from now on, for oracle tests: none (default), skip_zap_on_migrate, late_zap, extra_ref");

/* The bug a file opened now gets: a later change leaves open files alone. */
int exotic_inject_for_open(void)
{
	return READ_ONCE(exotic_inject_bug);
}

/* extra_ref: each block of pages with struct page gets one reference more. */
static bool exotic_inject_extra_ref(const struct exotic_region *r)
{
	return r->mem->has_struct_page && r->inject == EXOTIC_INJECT_EXTRA_REF;
}

/* extra_ref's reference, taken on a block's head when it is allocated... */
void exotic_inject_get_block(const struct exotic_region *r, unsigned long pfn)
{
	if (exotic_inject_extra_ref(r))
		get_page(pfn_to_page(pfn));
}

/* ...and dropped just before it is freed. */
void exotic_inject_put_block(const struct exotic_region *r, unsigned long pfn)
{
	if (exotic_inject_extra_ref(r))
		put_page(pfn_to_page(pfn));
}

/* late_zap: revoke and free zap each block only when its quarantine ends. */
bool exotic_inject_late_zap(const struct exotic_region *r)
{
	return r->inject == EXOTIC_INJECT_LATE_ZAP;
}

/*
 * How migrate retires the old blocks: skip_zap_on_migrate leaves them
 * mapped until the region goes, late_zap until their quarantine ends.
 */
enum exotic_retire_how exotic_inject_migrate_how(const struct exotic_region *r)
{
	if (r->inject == EXOTIC_INJECT_SKIP_ZAP_ON_MIGRATE)
		return EXOTIC_RETIRE_HOLD;
	if (r->inject == EXOTIC_INJECT_LATE_ZAP)
		return EXOTIC_RETIRE_LATE_ZAP;
	return EXOTIC_RETIRE_NORMAL;
}

/* ------------------------------------------------------- inject_load_fail */

static unsigned int exotic_inject_load_fail;
module_param_named(inject_load_fail, exotic_inject_load_fail, uint, 0444);
MODULE_PARM_DESC(inject_load_fail,
		 "Make module load fail at step N, to test its unwinding: 1 mount, 2 claim the carve-out, 3 its ZONE_DEVICE pages, 4 memremap, 5 and 6 its pool, 7 misc_register (0: off)");

bool exotic_load_should_fail(unsigned int step)
{
	if (exotic_inject_load_fail != step)
		return false;
	pr_info("inject_load_fail=%u: failing this load\n", step);
	return true;
}

/* ------------------------------------------------------ inject_alloc_fail */

static int exotic_inject_alloc_fail;
module_param_named(inject_alloc_fail, exotic_inject_alloc_fail, int, 0644);
MODULE_PARM_DESC(inject_alloc_fail,
		 "Make the Nth block allocation from now fail with ENOMEM, once (0: off), to test failure paths");

bool exotic_alloc_should_fail(void)
{
	return exotic_count_down(&exotic_inject_alloc_fail) == 1;
}

/* -------------------------------------------------------- race_zap_faults */

static int exotic_race_zap_faults;
module_param_named(race_zap_faults, exotic_race_zap_faults, int, 0644);
MODULE_PARM_DESC(race_zap_faults,
		 "The next N faults of fault-method mappings zap the PTE they inserted before returning, as a racing invalidation would (0: off)");

/*
 * Called by the fault method after a fault mapped its page, with the
 * region lock dropped: while race_zap_faults counts down, zap the PTE just
 * inserted, as an invalidation landing right after the fault would.  A CPU
 * access faults again; KVM's hva_to_pfn_remapped(), which looks the PTE up
 * again after fixup_user_fault() returned, finds none: its race with
 * invalidations, made deterministic.
 */
void exotic_inject_race_zap(struct vm_fault *vmf)
{
	if (exotic_count_down(&exotic_race_zap_faults) > 0)
		unmap_mapping_range(vmf->vma->vm_file->f_mapping,
				    (loff_t)vmf->pgoff << PAGE_SHIFT, PAGE_SIZE, 1);
}
