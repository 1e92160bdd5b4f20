// SPDX-License-Identifier: GPL-2.0
/*
 * exotic: PFNs of a carve-out of physical memory that the kernel does not
 * manage (memmap=SIZE$ADDR), like a VRAM or PCI BAR: no struct page.
 *
 * Only the administrator names the carve-out, through carveout_base and
 * carveout_size; it must not intersect System RAM.
 *
 * With carveout_zone_device=1 the carve-out gets ZONE_DEVICE struct pages
 * (memremap_pages(), MEMORY_DEVICE_GENERIC, as device-dax does): the same
 * PFNs, now pfn_valid(), PG_reserved and at refcount 1, like P2PDMA or DAX
 * memory.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/genalloc.h>
#include <linux/io.h>
#include <linux/ioport.h>
#include <linux/memremap.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/string.h>

#include "exotic.h"

#if EXOTIC_HAVE_FIRMWARE_E820
#include <asm/e820/api.h>
#endif

static struct dev_pagemap exotic_pgmap;

static int exotic_carveout_zone_device(u64 base, u64 size)
{
	void *vaddr;

	if (!IS_ENABLED(CONFIG_ZONE_DEVICE)) {
		pr_err("carveout_zone_device=1 needs CONFIG_ZONE_DEVICE\n");
		return -EOPNOTSUPP;
	}
	if (!IS_ALIGNED(base | size, PMD_SIZE)) {
		pr_err("carveout_zone_device=1 needs a 2 MiB aligned carve-out\n");
		return -EINVAL;
	}
	if (exotic_load_should_fail(3))
		return -ENOMEM;
	memset(&exotic_pgmap, 0, sizeof(exotic_pgmap));
	exotic_pgmap.type = MEMORY_DEVICE_GENERIC;
	exotic_pgmap.range.start = base;
	exotic_pgmap.range.end = base + size - 1;
	exotic_pgmap.nr_range = 1;
	vaddr = memremap_pages(&exotic_pgmap, NUMA_NO_NODE);
	if (IS_ERR(vaddr)) {
		pr_err("carve-out %#llx+%#llx: memremap_pages: %ld\n",
		       base, size, PTR_ERR(vaddr));
		return PTR_ERR(vaddr);
	}
	exotic_dev.carveout_zone_device = true;
	return 0;
}

bool exotic_carveout_available(void)
{
	return exotic_dev.carveout_pool;
}

void *exotic_carveout_vaddr(unsigned long pfn)
{
	return exotic_dev.carveout_vaddr +
	       (PFN_PHYS(pfn) - exotic_carveout_base);
}

struct exotic_carveout_walk {
	u64 start, last;
	bool inside;
};

static int exotic_carveout_in_res(struct resource *res, void *arg)
{
	struct exotic_carveout_walk *w = arg;

	/* res is clipped to the range searched: covering it means equal */
	if (res->start <= w->start && res->end >= w->last)
		w->inside = true;
	return 0;
}

/*
 * The carve-out must lie inside one memmap=SIZE$ADDR range.  The kernel
 * cannot name where a "Reserved" resource came from, so two facts stand in
 * for it: one "Reserved" resource covers the whole range (a walk of the
 * resource tree; region_intersects() also passes a range that spans two
 * resources or a hole between them), and, on x86, the firmware's own e820
 * table, which memmap= does not change, calls all of it RAM (which refuses
 * a BIOS ROM or an HT hole the firmware reserved).  Where the kernel does
 * not export that table to modules (other architectures, x86 from 6.19 on:
 * compat.h) only the first holds.
 */
static bool exotic_carveout_is_memmap(u64 base, u64 size)
{
	struct exotic_carveout_walk w = {
		.start = base, .last = base + size - 1,
	};
#if EXOTIC_HAVE_FIRMWARE_E820
	static const enum e820_type not_ram[] = {
		E820_TYPE_RESERVED, E820_TYPE_ACPI, E820_TYPE_NVS,
		E820_TYPE_UNUSABLE, E820_TYPE_PMEM, E820_TYPE_PRAM,
		E820_TYPE_SOFT_RESERVED,
	};
	unsigned int i;

	if (!e820__mapped_raw_any(base, base + size, E820_TYPE_RAM))
		return false;
	for (i = 0; i < ARRAY_SIZE(not_ram); i++)
		if (e820__mapped_raw_any(base, base + size, not_ram[i]))
			return false;
#endif
	walk_iomem_res_desc(IORES_DESC_RESERVED, IORESOURCE_MEM, w.start,
			    w.last, &w, exotic_carveout_in_res);
	return w.inside;
}

int exotic_carveout_init(void)
{
	u64 base = exotic_carveout_base, size = exotic_carveout_size, end;
	unsigned long pfn, nr_valid = 0;
	struct gen_pool *pool;
	int ret;

	if (!base && !size)
		return 0;
	if (!base || !size || !PAGE_ALIGNED(base) || !PAGE_ALIGNED(size) ||
	    check_add_overflow(base, size, &end) ||
	    (end - 1) > (u64)PFN_PHYS(ULONG_MAX >> PAGE_SHIFT)) {
		pr_err("carve-out %#llx+%#llx: base and size must be non-zero and page aligned\n",
		       base, size);
		return -EINVAL;
	}
	if (region_intersects(base, size, IORESOURCE_SYSTEM_RAM,
			      IORES_DESC_NONE) != REGION_DISJOINT) {
		pr_err("carve-out %#llx+%#llx intersects System RAM: boot with memmap=%#llx$%#llx\n",
		       base, size, size, base);
		return -EINVAL;
	}
	/*
	 * memmap=SIZE$ADDR makes an e820 "Reserved" range: refuse anything
	 * else (ACPI tables, PCI windows, ...) that we would overwrite.
	 */
	if (region_intersects(base, size, IORESOURCE_MEM,
			      IORES_DESC_RESERVED) != REGION_INTERSECTS) {
		pr_err("carve-out %#llx+%#llx is not (only) a reserved range: boot with memmap=%#llx$%#llx\n",
		       base, size, size, base);
		return -EINVAL;
	}
	if (!exotic_carveout_is_memmap(base, size)) {
		pr_err("carve-out %#llx+%#llx is not inside one memmap= range of firmware RAM (reserved by the firmware, or spanning two ranges)\n",
		       base, size);
		return -EINVAL;
	}
	exotic_dev.carveout_res = exotic_load_should_fail(2) ? NULL :
				  request_mem_region(base, size,
						     "exotic carve-out");
	if (!exotic_dev.carveout_res) {
		pr_err("carve-out %#llx+%#llx is busy\n", base, size);
		return -EBUSY;
	}
	if (exotic_carveout_zone_device_param) {
		ret = exotic_carveout_zone_device(base, size);
		if (ret)
			goto err_release;
	}
	exotic_dev.carveout_vaddr = exotic_load_should_fail(4) ? NULL :
				    memremap(base, size, MEMREMAP_WB);
	if (!exotic_dev.carveout_vaddr) {
		ret = -ENOMEM;
		goto err_pages;
	}
	pool = exotic_load_should_fail(5) ? NULL :
	       gen_pool_create(PAGE_SHIFT, NUMA_NO_NODE);
	if (!pool) {
		ret = -ENOMEM;
		goto err_unmap;
	}
	ret = exotic_load_should_fail(6) ? -ENOMEM :
	      gen_pool_add(pool, base, size, NUMA_NO_NODE);
	if (ret)
		goto err_pool;

	for (pfn = PHYS_PFN(base); pfn < PHYS_PFN(end); pfn++)
		if (pfn_valid(pfn))
			nr_valid++;
	exotic_dev.carveout_nr_valid = nr_valid;
	exotic_dev.carveout_pool = pool;
	pr_info("carve-out %#llx-%#llx: %llu pages, %lu of them pfn_valid%s\n",
		base, end - 1, size >> PAGE_SHIFT, nr_valid,
		exotic_dev.carveout_zone_device ? " (ZONE_DEVICE)" : "");
	return 0;

err_pool:
	gen_pool_destroy(pool);
err_unmap:
	memunmap(exotic_dev.carveout_vaddr);
	exotic_dev.carveout_vaddr = NULL;
err_pages:
	if (exotic_dev.carveout_zone_device) {
		memunmap_pages(&exotic_pgmap);
		exotic_dev.carveout_zone_device = false;
	}
err_release:
	release_mem_region(base, size);
	exotic_dev.carveout_res = NULL;
	return ret;
}

void exotic_carveout_exit(void)
{
	if (!exotic_dev.carveout_pool)
		return;
	gen_pool_destroy(exotic_dev.carveout_pool);
	exotic_dev.carveout_pool = NULL;
	memunmap(exotic_dev.carveout_vaddr);
	exotic_dev.carveout_vaddr = NULL;
	if (exotic_dev.carveout_zone_device) {
		memunmap_pages(&exotic_pgmap);
		exotic_dev.carveout_zone_device = false;
	}
	release_mem_region(exotic_carveout_base, exotic_carveout_size);
	exotic_dev.carveout_res = NULL;
}

static int carveout_alloc(unsigned int order, unsigned long *pfn)
{
	size_t size = PAGE_SIZE << order;
	unsigned long addr;

	addr = gen_pool_alloc_algo(exotic_dev.carveout_pool, size,
				   gen_pool_first_fit_order_align, NULL);
	if (!addr)
		return -ENOMEM;
	*pfn = PHYS_PFN(addr);
	memset(exotic_carveout_vaddr(*pfn), 0, size);
	return 0;
}

static void carveout_free(unsigned long pfn, unsigned int order)
{
	gen_pool_free(exotic_dev.carveout_pool, PFN_PHYS(pfn),
		      PAGE_SIZE << order);
}

static int carveout_base_refcount(unsigned int order, unsigned long idx)
{
	return -1;
}

const struct exotic_mem_ops exotic_mem_carveout = {
	.name = "carveout",
	.has_struct_page = false,
	.contiguous = true,
	.alloc_block = carveout_alloc,
	.free_block = carveout_free,
	.base_refcount = carveout_base_refcount,
	.available = exotic_carveout_available,
};
