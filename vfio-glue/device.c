// SPDX-License-Identifier: GPL-2.0-only
/*
 * mgpu: a vGPU's life as a VFIO device on an mdev: probe, registration with VFIO's
 * emulated-IOMMU path, and release.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/mdev.h>
#include <linux/percpu.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/mgpu.h>

#include "compat.h"
#include "vgpu.h"

static void vgpu_init_cfg(struct mgpu_vgpu *vgpu)
{
	struct mgpu_cfg_desc desc = {
		.vendor = MGPU_PCI_VENDOR_ID,
		.device = MGPU_PCI_DEVICE_ID,
		.subsys_vendor = MGPU_PCI_SUBSYS_VENDOR_ID,
		.subsys_device = MGPU_PCI_SUBSYS_DEVICE_ID,
		.revision = MGPU_PCI_REVISION,
		.class = MGPU_PCI_CLASS_DISPLAY,
		.bar_size[MGPU_BAR_VRAM] = vgpu->vram_size,
		.bar_size[MGPU_BAR_MMIO] = MGPU_MMIO_SIZE,
		.bar_size[MGPU_BAR_ENGINE] = MGPU_ENG_SIZE,
		.bar_size[MGPU_BAR_APERTURE] = vgpu->vram_size,
		.bar_prefetch = BIT(MGPU_BAR_VRAM) | BIT(MGPU_BAR_APERTURE),
		.irq_pin = 1,
		.msi_offset = MGPU_CFG_MSI_OFFSET,
	};

	mgpu_cfg_init(&vgpu->cfg, &desc);
}

/*
 * The engine's interrupt line changed: fold it into the vGPU's. Runs in the GPU's
 * engine thread, which every vGPU of the GPU shares: it must not wait on vgpu->lock.
 */
static void vgpu_engine_irq(struct mgpu_ctx *ctx)
{
	mgpu_vgpu_irq_engine(container_of(ctx, struct mgpu_vgpu, ctx));
}

/* The default weight follows the VRAM share: one per 8 MiB. */
static int vgpu_init_engine(struct mgpu_vgpu *vgpu, struct mdev_device *mdev)
{
	vgpu->ctx.irq_changed = vgpu_engine_irq;
	return mgpu_ctx_init(&vgpu->ctx, vgpu->parent, vgpu->chunks, vgpu->nr_chunks,
			     dev_name(&mdev->dev),
			     max_t(u64, vgpu->vram_size / MGPU_MIN_TYPE_VRAM, 1));
}

static int vgpu_init_dev(struct vfio_device *vdev)
{
	struct mgpu_vgpu *vgpu = to_vgpu(vdev);
	struct mdev_device *mdev = to_mdev_device(vdev->dev);
	struct mgpu_type *type = container_of(mdev->type, struct mgpu_type, mtype);
	struct mgpu_parent *parent = type->parent;
	int ret;

	vgpu->parent = parent;
	vgpu->type = type;
	vgpu->vram_size = type->vram_size;
	vgpu->nr_chunks = type->vram_size >> MGPU_CHUNK_SHIFT;
	vgpu->traps = alloc_percpu(struct mgpu_vgpu_traps);
	if (!vgpu->traps)
		return -ENOMEM;
	vgpu->chunks = kcalloc(vgpu->nr_chunks, sizeof(*vgpu->chunks), GFP_KERNEL);
	if (!vgpu->chunks) {
		ret = -ENOMEM;
		goto err_free_traps;
	}
	ret = mgpu_parent_alloc_vram(parent, vgpu->nr_chunks, vgpu->chunks);
	if (ret) {
		dev_err(vdev->dev, "no room for a %s vGPU: %llu MiB of VRAM free\n",
			type->name, mgpu_parent_free_vram(parent) >> 20);
		goto err_free_chunks;
	}
	mutex_init(&vgpu->lock);
	mutex_init(&vgpu->shadow_lock);
	spin_lock_init(&vgpu->irq.lock);
	ret = vgpu_init_engine(vgpu, mdev);
	if (ret)
		goto err_free_vram;
	vgpu_init_cfg(vgpu);
	mgpu_mmio_init(&vgpu->mmio, vgpu->vram_size);
	mutex_lock(&vgpu->lock);
	mgpu_vgpu_set_resolution_locked(vgpu, 1024, 768);	/* fits the smallest type */
	mutex_unlock(&vgpu->lock);
	return 0;

err_free_vram:
	mutex_destroy(&vgpu->shadow_lock);
	mutex_destroy(&vgpu->lock);
	mgpu_parent_free_chunks(parent, vgpu->nr_chunks, vgpu->chunks);
err_free_chunks:
	kfree(vgpu->chunks);
err_free_traps:
	free_percpu(vgpu->traps);
	return ret;
}

static void vgpu_release_dev(struct vfio_device *vdev)
{
	struct mgpu_vgpu *vgpu = to_vgpu(vdev);

	vfree(vgpu->shadow);
	mgpu_ctx_fini(&vgpu->ctx);
	mgpu_parent_free_chunks(vgpu->parent, vgpu->nr_chunks, vgpu->chunks);
	kfree(vgpu->chunks);
	free_percpu(vgpu->traps);
	mutex_destroy(&vgpu->shadow_lock);
	mutex_destroy(&vgpu->lock);
	mgpu_compat_free_vdev(vdev);
}

/*
 * A reused mdev (the next VM of a management stack) starts as a new one would: what the
 * previous user left is scrubbed here, before the new user can reach it.
 */
static int vgpu_open_device(struct vfio_device *vdev)
{
	struct mgpu_vgpu *vgpu = to_vgpu(vdev);

	if (vgpu->tenant_left) {
		mgpu_vgpu_scrub_tenant(vgpu);
		vgpu->tenant_left = false;
	}
	WRITE_ONCE(vgpu->open, true);
	return 0;
}

/* The user's eventfds go with its last close, and its engine stops. */
static void vgpu_close_device(struct vfio_device *vdev)
{
	struct mgpu_vgpu *vgpu = to_vgpu(vdev);

	mgpu_ctx_reset(&vgpu->ctx);
	mutex_lock(&vgpu->lock);
	mgpu_vgpu_irq_release(vgpu);
	mutex_unlock(&vgpu->lock);
	vgpu->tenant_left = true;
	WRITE_ONCE(vgpu->open, false);
}

static const struct vfio_device_ops mgpu_vfio_ops = {
	.name = "mgpu",
	.init = vgpu_init_dev,
	.release = vgpu_release_dev,
	.open_device = vgpu_open_device,
	.close_device = vgpu_close_device,
	.read = mgpu_vgpu_read,
	.write = mgpu_vgpu_write,
	.ioctl = mgpu_vgpu_ioctl,
	.mmap = mgpu_vgpu_mmap,
	.request = mgpu_vgpu_request,
	MGPU_VFIO_IOMMUFD_OPS
};

static int mgpu_probe(struct mdev_device *mdev)
{
	struct mgpu_vgpu *vgpu;
	int ret;

	vgpu = vfio_alloc_device(mgpu_vgpu, vdev, &mdev->dev, &mgpu_vfio_ops);
	if (IS_ERR(vgpu))
		return PTR_ERR(vgpu);
	ret = vfio_register_emulated_iommu_dev(&vgpu->vdev);
	if (ret) {
		dev_err(&mdev->dev, "cannot register with VFIO: %d\n", ret);
		goto err_put_vdev;
	}
	dev_set_drvdata(&mdev->dev, vgpu);
	return 0;

err_put_vdev:
	vfio_put_device(&vgpu->vdev);
	return ret;
}

static void mgpu_remove(struct mdev_device *mdev)
{
	struct mgpu_vgpu *vgpu = dev_get_drvdata(&mdev->dev);

	vfio_unregister_group_dev(&vgpu->vdev);
	vfio_put_device(&vgpu->vdev);
}

struct mdev_driver mgpu_mdev_driver = {
	.device_api = VFIO_DEVICE_API_PCI_STRING,
	.driver = {
		.name = MGPU_DRIVER_NAME,
		.owner = THIS_MODULE,
		.mod_name = KBUILD_MODNAME,
		.dev_groups = mgpu_vgpu_groups,
	},
	.probe = mgpu_probe,
	.remove = mgpu_remove,
	.get_available = mgpu_type_available,
	.show_description = mgpu_type_description,
};
