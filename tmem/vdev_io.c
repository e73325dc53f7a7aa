// SPDX-License-Identifier: GPL-2.0-only
/*
 * mgpu tmem: a tmem device's regions and ioctls through the VFIO device file — config
 * space (256 bytes, emulated by vfio-glue/cfgspace.c) and BAR0 (the register window,
 * trapped, 4-byte accesses only), device, region and IRQ info, IRQ setup, reset.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/uaccess.h>

#include "vdev.h"

/* The widest naturally aligned access (4, 2 or 1 bytes) at @off within @count. */
static size_t access_width(u64 off, size_t count)
{
	if (count >= 4 && !(off & 3))
		return 4;
	if (count >= 2 && !(off & 1))
		return 2;
	return 1;
}

static int cfg_access(struct tmem_vdev *vd, char __user *ubuf, u64 off, size_t len,
		      bool write)
{
	u8 val[4];
	int ret;

	if (write) {
		if (copy_from_user(val, ubuf, len))
			return -EFAULT;
		mutex_lock(&vd->lock);
		ret = mgpu_cfg_write(&vd->cfg, off, val, len);
		/* MSI enable and INTx disable decide how the line is delivered. */
		tmem_vdev_irq_update_locked(vd);
		mutex_unlock(&vd->lock);
		return ret;
	}
	mutex_lock(&vd->lock);
	ret = mgpu_cfg_read(&vd->cfg, off, val, len);
	mutex_unlock(&vd->lock);
	if (!ret && copy_to_user(ubuf, val, len))
		return -EFAULT;
	return ret;
}

static ssize_t cfg_rw(struct tmem_vdev *vd, char __user *ubuf, size_t count, u64 off,
		      bool write)
{
	size_t done = 0;
	int ret;

	/* Checked at full width: mgpu_cfg_read/write() take a 32-bit offset. */
	if (off >= MGPU_CFG_SIZE)
		return -EINVAL;
	count = min_t(size_t, count, MGPU_CFG_SIZE - off);
	while (done < count) {
		size_t len = access_width(off + done, count - done);

		ret = cfg_access(vd, ubuf + done, off + done, len, write);
		if (ret)
			return done ? done : ret;
		done += len;
	}
	return done;
}

/* The register window: whole, aligned 32-bit accesses only. */
static ssize_t regs_rw(struct tmem_vdev *vd, char __user *ubuf, size_t count, u64 off,
		       bool write)
{
	unsigned int act;
	u32 val;

	if (count != 4 || (off & 3) || off >= MGPU_TMEM_REGS_SIZE)
		return -EINVAL;
	if (write) {
		if (copy_from_user(&val, ubuf, 4))
			return -EFAULT;
		mutex_lock(&vd->lock);
		act = tmem_vdev_reg_write_locked(vd, off, val);
		mutex_unlock(&vd->lock);
		tmem_vdev_kick(vd, act);
		return 4;
	}
	mutex_lock(&vd->lock);
	val = tmem_ring_reg_read(&vd->ring, off);
	mutex_unlock(&vd->lock);
	return copy_to_user(ubuf, &val, 4) ? -EFAULT : 4;
}

static ssize_t vdev_rw(struct vfio_device *vdev, char __user *ubuf, size_t count,
		       loff_t *ppos, bool write)
{
	struct tmem_vdev *vd = to_tmem_vdev(vdev);
	u64 index = TMEM_VDEV_OFFSET_TO_INDEX(*ppos);
	u64 off = *ppos & TMEM_VDEV_OFFSET_MASK;
	ssize_t ret;

	switch (index) {
	case VFIO_PCI_CONFIG_REGION_INDEX:
		ret = cfg_rw(vd, ubuf, count, off, write);
		break;
	case VFIO_PCI_BAR0_REGION_INDEX + MGPU_TMEM_BAR_REGS:
		ret = regs_rw(vd, ubuf, count, off, write);
		break;
	default:
		ret = -EINVAL;
	}
	if (ret > 0)
		*ppos += ret;
	return ret;
}

/**
 * tmem_vdev_read - vfio_device_ops.read: a trapped read of config space or BAR0
 * @vdev: the device
 * @buf: user buffer
 * @count: bytes
 * @ppos: region index << 40 | offset
 *
 * Return: bytes read or -errno (-EINVAL for another region, or a BAR0 access that is
 * not one aligned 32-bit register).
 */
ssize_t tmem_vdev_read(struct vfio_device *vdev, char __user *buf, size_t count,
		       loff_t *ppos)
{
	return vdev_rw(vdev, buf, count, ppos, false);
}

/**
 * tmem_vdev_write - vfio_device_ops.write: a trapped write of config space or BAR0
 * @vdev: the device
 * @buf: user buffer
 * @count: bytes
 * @ppos: region index << 40 | offset
 *
 * Return: bytes written or -errno, as tmem_vdev_read().
 */
ssize_t tmem_vdev_write(struct vfio_device *vdev, const char __user *buf, size_t count,
			loff_t *ppos)
{
	return vdev_rw(vdev, (char __user *)buf, count, ppos, true);
}

static long get_device_info(unsigned long arg)
{
	unsigned long minsz = offsetofend(struct vfio_device_info, num_irqs);
	struct vfio_device_info info;

	if (copy_from_user(&info, (void __user *)arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;
	info.flags = VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET;
	info.num_regions = VFIO_PCI_NUM_REGIONS;
	info.num_irqs = VFIO_PCI_NUM_IRQS;
	return copy_to_user((void __user *)arg, &info, minsz) ? -EFAULT : 0;
}

/* Config space and BAR0, both trapped (BAR0 is not mmap-able); the rest is absent. */
static long get_region_info(unsigned long arg)
{
	unsigned long minsz = offsetofend(struct vfio_region_info, offset);
	struct vfio_region_info info;

	if (copy_from_user(&info, (void __user *)arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz || info.index >= VFIO_PCI_NUM_REGIONS)
		return -EINVAL;
	info.offset = TMEM_VDEV_REGION_OFFSET(info.index);
	info.cap_offset = 0;
	info.size = 0;
	info.flags = 0;
	if (info.index == VFIO_PCI_CONFIG_REGION_INDEX)
		info.size = MGPU_CFG_SIZE;
	else if (info.index == VFIO_PCI_BAR0_REGION_INDEX + MGPU_TMEM_BAR_REGS)
		info.size = MGPU_TMEM_REGS_SIZE;
	if (info.size)
		info.flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
	return copy_to_user((void __user *)arg, &info, minsz) ? -EFAULT : 0;
}

/**
 * tmem_vdev_ioctl - vfio_device_ops.ioctl of a tmem device
 * @vdev: the device
 * @cmd: the VFIO ioctl
 * @arg: its user argument
 *
 * Return: 0 or -errno; -ENOTTY for an ioctl the device does not implement.
 */
long tmem_vdev_ioctl(struct vfio_device *vdev, unsigned int cmd, unsigned long arg)
{
	struct tmem_vdev *vd = to_tmem_vdev(vdev);

	switch (cmd) {
	case VFIO_DEVICE_GET_INFO:
		return get_device_info(arg);
	case VFIO_DEVICE_GET_REGION_INFO:
		return get_region_info(arg);
	case VFIO_DEVICE_GET_IRQ_INFO:
		return tmem_vdev_get_irq_info(arg);
	case VFIO_DEVICE_SET_IRQS:
		return tmem_vdev_set_irqs(vd, arg);
	case VFIO_DEVICE_RESET:
		tmem_vdev_reset(vd);
		return 0;
	}
	return -ENOTTY;
}
