// SPDX-License-Identifier: GPL-2.0-only
/*
 * mgpu: the VFIO device ioctls of a vGPU (device, region and IRQ info, IRQ setup,
 * reset).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/mgpu.h>

#include "vgpu.h"

static long get_device_info(unsigned long arg)
{
	struct vfio_device_info info;
	unsigned long minsz = offsetofend(struct vfio_device_info, num_irqs);

	if (copy_from_user(&info, (void __user *)arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;
	info.flags = VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET;
	info.num_regions = MGPU_NUM_REGIONS;
	info.num_irqs = VFIO_PCI_NUM_IRQS;
	return copy_to_user((void __user *)arg, &info, minsz) ? -EFAULT : 0;
}

/* BAR0 and BAR4 are mmap-able as a whole: one sparse area, which tells QEMU to map it. */
static int add_sparse_mmap_cap(struct vfio_info_cap *caps, u64 size)
{
	struct vfio_region_info_cap_sparse_mmap *sparse;
	size_t sz = struct_size(sparse, areas, 1);
	int ret;

	sparse = kzalloc(sz, GFP_KERNEL);
	if (!sparse)
		return -ENOMEM;
	sparse->header.id = VFIO_REGION_INFO_CAP_SPARSE_MMAP;
	sparse->header.version = 1;
	sparse->nr_areas = 1;
	sparse->areas[0].offset = 0;
	sparse->areas[0].size = size;
	ret = vfio_info_add_capability(caps, &sparse->header, sz);
	kfree(sparse);
	return ret;
}

static void fill_region_info(struct mgpu_vgpu *vgpu, struct vfio_region_info *info)
{
	info->offset = MGPU_REGION_OFFSET(info->index);
	info->size = 0;
	info->flags = 0;
	info->cap_offset = 0;
	switch (info->index) {
	case VFIO_PCI_CONFIG_REGION_INDEX:
		info->size = MGPU_CFG_SIZE;
		info->flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
		break;
	case VFIO_PCI_BAR0_REGION_INDEX + MGPU_BAR_VRAM:
	case VFIO_PCI_BAR0_REGION_INDEX + MGPU_BAR_APERTURE:
		info->size = vgpu->vram_size;
		info->flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE |
			      VFIO_REGION_INFO_FLAG_MMAP;
		break;
	case VFIO_PCI_BAR0_REGION_INDEX + MGPU_BAR_MMIO:
		info->size = MGPU_MMIO_SIZE;
		info->flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
		break;
	case VFIO_PCI_BAR0_REGION_INDEX + MGPU_BAR_ENGINE:
		info->size = MGPU_ENG_SIZE;
		info->flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
		break;
	case MGPU_REGION_DISPLAY:
		info->size = vgpu->vram_size;
		info->flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_MMAP;
		break;
	case MGPU_REGION_EDID:
		info->size = MGPU_EDID_REGION_SIZE;
		info->flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
		break;
	}
}

/* Append the capability chain after the info, or ask for a bigger buffer. */
static int copy_caps(struct vfio_info_cap *caps, struct vfio_region_info *info,
		     unsigned long arg)
{
	if (!caps->size)
		return 0;
	info->flags |= VFIO_REGION_INFO_FLAG_CAPS;
	if (info->argsz < sizeof(*info) + caps->size) {
		info->argsz = sizeof(*info) + caps->size;
		return 0;
	}
	vfio_info_cap_shift(caps, sizeof(*info));
	if (copy_to_user((void __user *)arg + sizeof(*info), caps->buf, caps->size))
		return -EFAULT;
	info->cap_offset = sizeof(*info);
	return 0;
}

static long get_region_info(struct mgpu_vgpu *vgpu, unsigned long arg)
{
	struct vfio_info_cap caps = { .buf = NULL, .size = 0 };
	struct vfio_region_info info;
	unsigned long minsz = offsetofend(struct vfio_region_info, offset);
	int ret = 0;

	if (copy_from_user(&info, (void __user *)arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz || info.index >= MGPU_NUM_REGIONS)
		return -EINVAL;
	fill_region_info(vgpu, &info);
	if (info.index == VFIO_PCI_BAR0_REGION_INDEX + MGPU_BAR_VRAM ||
	    info.index == VFIO_PCI_BAR0_REGION_INDEX + MGPU_BAR_APERTURE)
		ret = add_sparse_mmap_cap(&caps, vgpu->vram_size);
	else if (info.index == MGPU_REGION_EDID)
		ret = mgpu_vgpu_edid_cap(&caps);
	if (!ret)
		ret = copy_caps(&caps, &info, arg);
	kfree(caps.buf);
	if (ret)
		return ret;
	return copy_to_user((void __user *)arg, &info, minsz) ? -EFAULT : 0;
}

/**
 * mgpu_vgpu_reset - return a vGPU to its power-on state
 * @vgpu: the vGPU, without vgpu->lock held
 *
 * VRAM keeps its contents, as on real hardware; registers, config space and the command
 * engine reset, and the interrupt line drops. The user's eventfds stay installed.
 */
void mgpu_vgpu_reset(struct mgpu_vgpu *vgpu)
{
	mgpu_ctx_reset(&vgpu->ctx);
	mutex_lock(&vgpu->lock);
	mgpu_cfg_reset(&vgpu->cfg);
	mgpu_mmio_reset(&vgpu->mmio);
	mgpu_scanout_notify(vgpu);
	mgpu_vgpu_irq_reset(vgpu);
	mutex_unlock(&vgpu->lock);
}

/**
 * mgpu_vgpu_ioctl - vfio_device_ops.ioctl of a vGPU
 * @vdev: the vGPU
 * @cmd: the VFIO ioctl
 * @arg: its user argument
 *
 * Return: 0 or -errno; -ENOTTY for an ioctl mgpu does not implement.
 */
long mgpu_vgpu_ioctl(struct vfio_device *vdev, unsigned int cmd, unsigned long arg)
{
	struct mgpu_vgpu *vgpu = to_vgpu(vdev);

	switch (cmd) {
	case VFIO_DEVICE_GET_INFO:
		return get_device_info(arg);
	case VFIO_DEVICE_GET_REGION_INFO:
		return get_region_info(vgpu, arg);
	case VFIO_DEVICE_GET_IRQ_INFO:
		return mgpu_vgpu_get_irq_info(arg);
	case VFIO_DEVICE_SET_IRQS:
		return mgpu_vgpu_set_irqs(vgpu, arg);
	case VFIO_DEVICE_RESET:
		mgpu_vgpu_reset(vgpu);
		return 0;
	case VFIO_DEVICE_QUERY_GFX_PLANE:
		return mgpu_vgpu_query_gfx_plane(vgpu, arg);
	}
	return -ENOTTY;
}
