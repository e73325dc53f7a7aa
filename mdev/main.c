// SPDX-License-Identifier: GPL-2.0-only
/*
 * mgpu: mediated GPU sharing. Module entry: registers the mdev driver, then the GPUs
 * (parents) that offer vGPUs through it: software GPUs, then the PCI backend.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>

#include "mgpu.h"

static unsigned int soft_gpus = 1;
module_param(soft_gpus, uint, 0444);
MODULE_PARM_DESC(soft_gpus, "number of software GPUs to create (default 1)");

static unsigned int soft_vram_mb = 64;
module_param(soft_vram_mb, uint, 0444);
MODULE_PARM_DESC(soft_vram_mb, "VRAM of each software GPU in MiB (default 64)");

static int __init mgpu_init(void)
{
	int ret;

	ret = mdev_register_driver(&mgpu_mdev_driver);
	if (ret)
		return ret;
	ret = mgpu_soft_init(soft_gpus, soft_vram_mb);
	if (ret)
		goto err_unregister_driver;
	ret = mgpu_pci_init();
	if (ret)
		goto err_soft_exit;
	return 0;

err_soft_exit:
	mgpu_soft_exit();
err_unregister_driver:
	mdev_unregister_driver(&mgpu_mdev_driver);
	return ret;
}

static void __exit mgpu_exit(void)
{
	mgpu_pci_exit();
	mgpu_soft_exit();
	mdev_unregister_driver(&mgpu_mdev_driver);
}

module_init(mgpu_init);
module_exit(mgpu_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("mgpu: mediated GPU sharing for virtual machines");
MODULE_SOFTDEP("pre: vfio_iommu_type1 mdev");
