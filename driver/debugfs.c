// SPDX-License-Identifier: GPL-2.0
/*
 * exotic: /sys/kernel/debug/exotic/regions, one line per region.
 */
#include <linux/debugfs.h>
#include <linux/seq_file.h>

#include "exotic.h"

static struct dentry *exotic_debugfs_dir;

static const char *const exotic_state_names[] = {
	[EXOTIC_STATE_LIVE] = "live",
	[EXOTIC_STATE_REVOKED] = "revoked",
	[EXOTIC_STATE_FREED] = "freed",
};

static int exotic_regions_show(struct seq_file *m, void *unused)
{
	struct exotic_region *r;

	seq_printf(m, "epoch %lld used_bytes %lld max_bytes %llu carveout %#llx+%#llx (%lu pfn_valid)\n",
		   atomic64_read(&exotic_dev.epoch),
		   atomic64_read(&exotic_dev.used_bytes),
		   READ_ONCE(exotic_max_bytes),
		   exotic_carveout_available() ? exotic_carveout_base : 0,
		   exotic_carveout_available() ? exotic_carveout_size : 0,
		   exotic_dev.carveout_nr_valid);
	seq_puts(m, "handle kind method order length state faults zaps migrations epoch anomalies quarantined\n");
	mutex_lock(&exotic_dev.regions_lock);
	list_for_each_entry(r, &exotic_dev.regions, dev_node) {
		seq_printf(m, "%u %s %s %u %llu %s %lld %lld %lld %llu %lld %lld\n",
			   r->handle, r->mem->name, r->map->name,
			   r->order, r->length,
			   exotic_state_names[READ_ONCE(r->state)],
			   atomic64_read(&r->faults), atomic64_read(&r->zaps),
			   atomic64_read(&r->migrations), READ_ONCE(r->epoch),
			   atomic64_read(&r->anomalies),
			   atomic64_read(&r->quarantined));
	}
	mutex_unlock(&exotic_dev.regions_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(exotic_regions);

void exotic_debugfs_init(void)
{
	exotic_debugfs_dir = debugfs_create_dir("exotic", NULL);
	debugfs_create_file("regions", 0400, exotic_debugfs_dir, NULL,
			    &exotic_regions_fops);
}

void exotic_debugfs_exit(void)
{
	debugfs_remove_recursive(exotic_debugfs_dir);
}
