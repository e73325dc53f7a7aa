// SPDX-License-Identifier: GPL-2.0-only
/*
 * mgpu: a GPU as an mdev parent, and the accounting of its VRAM among vGPUs.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/device.h>

#include "mgpu.h"

/**
 * mgpu_parent_register - offer a GPU's types to the mdev core
 * @parent: the GPU, with dev, ops and vram_size set
 *
 * The types are complete before the parent registers, so management tools that react
 * to the registration uevent see every type at once.
 *
 * Return: 0 or -errno.
 */
int mgpu_parent_register(struct mgpu_parent *parent)
{
	int ret;

	mutex_init(&parent->lock);
	mgpu_types_init(parent);
	if (!parent->nr_types) {
		dev_err(parent->dev, "VRAM of %llu bytes is below the smallest type (%llu)\n",
			parent->vram_size, MGPU_MIN_TYPE_VRAM);
		return -EINVAL;
	}
	ret = mdev_register_parent(&parent->mdev, parent->dev, &mgpu_mdev_driver,
				   parent->type_ptrs, parent->nr_types);
	if (ret)
		dev_err(parent->dev, "cannot register as mdev parent: %d\n", ret);
	else
		dev_info(parent->dev, "%s GPU, %llu MiB VRAM, %u types\n", parent->ops->name,
			 parent->vram_size >> 20, parent->nr_types);
	return ret;
}

/**
 * mgpu_parent_unregister - remove a GPU and every vGPU on it
 * @parent: the GPU
 *
 * Context: process context; waits until every vGPU has been released.
 */
void mgpu_parent_unregister(struct mgpu_parent *parent)
{
	mdev_unregister_parent(&parent->mdev);
	WARN_ON(parent->vram_used || parent->nr_vgpus);
}

/**
 * mgpu_parent_reserve - account VRAM for a new vGPU
 * @parent: the GPU
 * @vram: bytes wanted
 *
 * Return: 0, or -ENOSPC when the GPU has less free VRAM than @vram.
 */
int mgpu_parent_reserve(struct mgpu_parent *parent, u64 vram)
{
	int ret = 0;

	mutex_lock(&parent->lock);
	if (parent->vram_size - parent->vram_used < vram) {
		ret = -ENOSPC;
	} else {
		parent->vram_used += vram;
		parent->nr_vgpus++;
	}
	mutex_unlock(&parent->lock);
	return ret;
}

/**
 * mgpu_parent_release - return a vGPU's VRAM to its GPU
 * @parent: the GPU
 * @vram: bytes given back, as reserved
 */
void mgpu_parent_release(struct mgpu_parent *parent, u64 vram)
{
	mutex_lock(&parent->lock);
	parent->vram_used -= vram;
	parent->nr_vgpus--;
	mutex_unlock(&parent->lock);
}
