// SPDX-License-Identifier: GPL-2.0-only
/*
 * mgpu: trapped accesses to a vGPU's regions (config space and BARs) through the
 * VFIO device file's read() and write().
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/uaccess.h>
#include <linux/mgpu.h>

#include "vgpu.h"

#define MGPU_OFFSET_SHIFT	40
#define MGPU_OFFSET_TO_INDEX(off)	((off) >> MGPU_OFFSET_SHIFT)
#define MGPU_OFFSET_MASK	((1ULL << MGPU_OFFSET_SHIFT) - 1)

/* The widest naturally aligned access (4, 2 or 1 bytes) at @off within @count. */
static size_t access_width(u64 off, size_t count)
{
	if (count >= 4 && !(off & 3))
		return 4;
	if (count >= 2 && !(off & 1))
		return 2;
	return 1;
}

static ssize_t cfg_rw(struct mgpu_vgpu *vgpu, char __user *ubuf, size_t count,
		      u64 off, bool write)
{
	size_t done = 0;
	u8 val[4];
	int ret;

	while (done < count) {
		size_t len = access_width(off + done, count - done);

		if (write) {
			if (copy_from_user(val, ubuf + done, len))
				return -EFAULT;
			ret = mgpu_cfg_write(&vgpu->cfg, off + done, val, len);
		} else {
			ret = mgpu_cfg_read(&vgpu->cfg, off + done, val, len);
			if (!ret && copy_to_user(ubuf + done, val, len))
				return -EFAULT;
		}
		if (ret)
			return done ? done : ret;
		done += len;
	}
	return done;
}

static ssize_t vram_rw(struct mgpu_vgpu *vgpu, char __user *ubuf, size_t count,
		       u64 off, bool write)
{
	unsigned long left;

	if (off >= vgpu->vram_size || count > vgpu->vram_size - off)
		return -EINVAL;
	if (write)
		left = copy_from_user(vgpu->vram + off, ubuf, count);
	else
		left = copy_to_user(ubuf, vgpu->vram + off, count);
	return left ? -EFAULT : count;
}

static ssize_t vgpu_rw(struct vfio_device *vdev, char __user *ubuf, size_t count,
		       loff_t *ppos, bool write)
{
	struct mgpu_vgpu *vgpu = to_vgpu(vdev);
	u64 index = MGPU_OFFSET_TO_INDEX(*ppos);
	u64 off = *ppos & MGPU_OFFSET_MASK;
	ssize_t ret;

	mutex_lock(&vgpu->lock);
	switch (index) {
	case VFIO_PCI_CONFIG_REGION_INDEX:
		ret = cfg_rw(vgpu, ubuf, count, off, write);
		break;
	case VFIO_PCI_BAR0_REGION_INDEX + MGPU_BAR_VRAM:
		ret = vram_rw(vgpu, ubuf, count, off, write);
		break;
	default:
		ret = -EINVAL;
	}
	mutex_unlock(&vgpu->lock);
	if (ret > 0)
		*ppos += ret;
	return ret;
}

/**
 * mgpu_vgpu_read - vfio_device_ops.read: a trapped read of a vGPU region
 * @vdev: the vGPU
 * @buf: user buffer
 * @count: bytes
 * @ppos: region index << 40 | offset
 *
 * Return: bytes read or -errno.
 */
ssize_t mgpu_vgpu_read(struct vfio_device *vdev, char __user *buf, size_t count,
		       loff_t *ppos)
{
	return vgpu_rw(vdev, buf, count, ppos, false);
}

/**
 * mgpu_vgpu_write - vfio_device_ops.write: a trapped write of a vGPU region
 * @vdev: the vGPU
 * @buf: user buffer
 * @count: bytes
 * @ppos: region index << 40 | offset
 *
 * Return: bytes written or -errno.
 */
ssize_t mgpu_vgpu_write(struct vfio_device *vdev, const char __user *buf,
			size_t count, loff_t *ppos)
{
	return vgpu_rw(vdev, (char __user *)buf, count, ppos, true);
}
