// SPDX-License-Identifier: GPL-2.0-only
/*
 * mgpu tmem guest: module entry of mgpu_tmem_guest.ko — the guest's drivers for mgpu's
 * tmem device: the PCI driver (dev.c, ring.c), a swap block device per device with
 * frontswap semantics (swap.c, swap_io.c) and the tmem_cache device-mapper target
 * with cleancache semantics (cache.c). Linux has no frontswap or cleancache hooks for
 * modules any more, so both are built on interfaces 6.1 and 6.12 still export.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/moduleparam.h>

#include "guest.h"

char *tmem_swap_backing[TMEM_GMAX_DEVICES];
module_param_array_named(swap_backing, tmem_swap_backing, charp, NULL, 0444);
MODULE_PARM_DESC(swap_backing,
		 "backing block devices of /dev/tmemswap0, 1, ... as they bind, e.g. /dev/ram0,/dev/ram1 (default none; see swap_backing in each device's sysfs)");

static int __init tmem_guest_init(void)
{
	int ret;

	ret = tmem_swap_init();
	if (ret)
		return ret;
	ret = tmem_cache_init();
	if (ret)
		goto err_swap_exit;
	ret = tmem_gdev_register();
	if (ret)
		goto err_cache_exit;
	return 0;

err_cache_exit:
	tmem_cache_exit();
err_swap_exit:
	tmem_swap_exit();
	return ret;
}

static void __exit tmem_guest_exit(void)
{
	tmem_gdev_unregister();
	tmem_cache_exit();
	tmem_swap_exit();
}

module_init(tmem_guest_init);
module_exit(tmem_guest_exit);

MODULE_DESCRIPTION("mgpu tmem guest drivers: tmem swap device and tmem_cache dm target");
MODULE_LICENSE("GPL");
