// SPDX-License-Identifier: GPL-2.0-only
/*
 * mgpu tmem: module entry of mgpu_tmem.ko — one pool engine for the host (host.c), its
 * administration in sysfs (sysfs.c), a host shrinker (shrinker.c), host-local block
 * devices (blk.c) and, for guests, tmem devices offered as mdevs of the "mgpu_tmem"
 * parent (mdev.c, vdev*.c, ring.c), each one engine client.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mm.h>
#include <linux/module.h>

#include "host.h"
#include "vdev.h"

static unsigned long total_pages;
module_param(total_pages, ulong, 0444);
MODULE_PARM_DESC(total_pages,
		 "initial budget in 4 KiB pages (default 0: an eighth of RAM); see /sys/kernel/mgpu_tmem/total_pages");

static unsigned int max_clients = 256;
module_param(max_clients, uint, 0444);
MODULE_PARM_DESC(max_clients, "most engine clients alive at once (1..65535, default 256)");

static char *compression = "none";
module_param(compression, charp, 0444);
MODULE_PARM_DESC(compression,
		 "crypto API compressor for stored pages, e.g. lz4 or zstd (default none)");

static struct tmem_host tmem_host;

static u64 default_total_pages(void)
{
	u64 pages = (u64)totalram_pages() * PAGE_SIZE / TMEM_PAGE_SIZE / 8;

	return max_t(u64, pages, 1);
}

static int __init tmem_init(void)
{
	struct tmem_host *h = &tmem_host;
	int ret;

	ret = tmem_host_init(h, total_pages ? total_pages : default_total_pages(),
			     max_clients, compression);
	if (ret) {
		if (ret == -EINVAL)
			pr_err("total_pages=%lu or max_clients=%u is out of range (1..%llu, 1..%u)\n",
			       total_pages, max_clients, TMEM_MAX_TOTAL_PAGES,
			       TMEM_MAX_CLIENTS);
		return ret;
	}
	ret = tmem_blk_init(h);
	if (ret)
		goto err_host_exit;
	ret = tmem_shrinker_init(h);
	if (ret)
		goto err_blk_exit;
	ret = tmem_sysfs_init(h);
	if (ret)
		goto err_shrinker_exit;
	ret = tmem_mdev_init(h);
	if (ret)
		goto err_sysfs_fence;
	pr_info("%llu pages of budget, compression %s\n", h->total_pages, h->comp_name);
	return 0;

err_sysfs_fence:
	/* As at exit: a block device may have been created through sysfs meanwhile. */
	tmem_sysfs_fence(h);
	tmem_blk_exit();
	tmem_sysfs_exit(h);
	tmem_shrinker_exit(h);
	goto err_host_exit;
err_shrinker_exit:
	tmem_shrinker_exit(h);
err_blk_exit:
	tmem_blk_exit();
err_host_exit:
	tmem_host_exit(h);
	return ret;
}

static void __exit tmem_exit(void)
{
	struct tmem_host *h = &tmem_host;

	tmem_mdev_exit();
	tmem_sysfs_fence(h);
	tmem_blk_exit();
	tmem_sysfs_exit(h);
	tmem_shrinker_exit(h);
	tmem_host_exit(h);
}

module_init(tmem_init);
module_exit(tmem_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("mgpu tmem: transcendent memory pools shared by weight, host side");
