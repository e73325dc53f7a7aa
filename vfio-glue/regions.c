// SPDX-License-Identifier: GPL-2.0-only
/*
 * mgpu: trapped accesses to a vGPU's regions (config space and BARs) through the
 * VFIO device file's read() and write().
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/mgpu.h>

#include "vgpu.h"

/* The widest naturally aligned access (4, 2 or 1 bytes) at @off within @count. */
static size_t access_width(u64 off, size_t count)
{
	if (count >= 4 && !(off & 3))
		return 4;
	if (count >= 2 && !(off & 1))
		return 2;
	return 1;
}

/* One piece of a trapped VRAM access: within a chunk and at most a page. */
static size_t vram_piece(u64 off, size_t count)
{
	size_t to_chunk_end = MGPU_CHUNK_SIZE - (off & (MGPU_CHUNK_SIZE - 1));

	return min3(count, to_chunk_end, (size_t)PAGE_SIZE);
}

static ssize_t vram_rw(struct mgpu_vgpu *vgpu, char __user *ubuf, size_t count,
		       u64 off, bool write)
{
	const struct mgpu_backend_ops *ops = vgpu->parent->ops;
	size_t done = 0;
	void *bounce;

	if (off >= vgpu->vram_size || count > vgpu->vram_size - off)
		return -EINVAL;
	bounce = kmalloc(min_t(size_t, count, PAGE_SIZE), GFP_KERNEL);
	if (!bounce)
		return -ENOMEM;
	while (done < count) {
		size_t len = vram_piece(off + done, count - done);
		u64 gpu_off = mgpu_vram_translate(vgpu->chunks, off + done);

		if (write) {
			if (copy_from_user(bounce, ubuf + done, len))
				break;
			ops->vram_write(vgpu->parent, gpu_off, bounce, len);
		} else {
			ops->vram_read(vgpu->parent, gpu_off, bounce, len);
			if (copy_to_user(ubuf + done, bounce, len))
				break;
		}
		done += len;
	}
	kfree(bounce);
	return done == count ? done : -EFAULT;
}

/* A DISPI enable without NOCLEARMEM clears the visible framebuffer, as on Bochs. */
static void clear_vram_locked(struct mgpu_vgpu *vgpu)
{
	const struct mgpu_backend_ops *ops = vgpu->parent->ops;
	struct mgpu_mode mode;
	u64 off, end;

	vgpu->mmio.clear_vram = 0;
	mgpu_mmio_mode(&vgpu->mmio, &mode);
	if (!mode.stride)
		return;
	off = mode.offset;
	end = min_t(u64, off + (u64)mode.stride * mode.height, vgpu->vram_size);
	while (off < end) {
		size_t len = min_t(u64, end - off,
				   MGPU_CHUNK_SIZE - (off & (MGPU_CHUNK_SIZE - 1)));

		ops->vram_clear(vgpu->parent, mgpu_vram_translate(vgpu->chunks, off), len);
		off += len;
	}
}

/*
 * A trapped access to one of the vGPU's register files: config space (@cfg) or BAR2.
 * The offset is checked at full width, the access is clamped to the file, and user
 * memory goes through a bounce buffer outside vgpu->lock, so a user whose buffer
 * faults slowly (userfaultfd, FUSE) never holds the lock that the GPU's engine thread
 * and the vGPU's sysfs files take. Registers are accessed in naturally aligned 4-, 2-
 * or 1-byte pieces; a piece the register model refuses ends the access there.
 */
static ssize_t regs_rw(struct mgpu_vgpu *vgpu, char __user *ubuf, size_t count,
		       u64 off, bool write, bool cfg)
{
	u64 size = cfg ? MGPU_CFG_SIZE : MGPU_MMIO_SIZE;
	size_t done = 0;
	u8 small[8], *buf = small;
	int ret = 0;

	if (off >= size)
		return -EINVAL;
	count = min_t(u64, count, size - off);
	if (count > sizeof(small)) {
		buf = kmalloc(count, GFP_KERNEL);
		if (!buf)
			return -ENOMEM;
	}
	if (write && copy_from_user(buf, ubuf, count)) {
		ret = -EFAULT;
		goto out;
	}
	mutex_lock(&vgpu->lock);
	while (done < count) {
		size_t len = access_width(off + done, count - done);
		u32 at = off + done;	/* below size: no truncation */

		if (cfg)
			ret = write ? mgpu_cfg_write(&vgpu->cfg, at, buf + done, len) :
				      mgpu_cfg_read(&vgpu->cfg, at, buf + done, len);
		else
			ret = write ? mgpu_mmio_write(&vgpu->mmio, at, buf + done, len) :
				      mgpu_mmio_read(&vgpu->mmio, at, buf + done, len);
		if (ret)
			break;
		done += len;
	}
	if (write && !cfg) {
		if (vgpu->mmio.clear_vram)
			clear_vram_locked(vgpu);
		mgpu_scanout_notify(vgpu);
	}
	if (write)	/* INTx disable, MSI enable, BAR2's causes */
		mgpu_vgpu_irq_sync(vgpu);
	mutex_unlock(&vgpu->lock);
	if (!write && done && copy_to_user(ubuf, buf, done)) {
		done = 0;
		ret = -EFAULT;
	}
out:
	if (buf != small)
		kfree(buf);
	return done ? done : ret;
}

/* The engine's registers: whole, aligned 32-bit accesses only. */
static ssize_t engine_rw(struct mgpu_vgpu *vgpu, char __user *ubuf, size_t count,
			 u64 off, bool write)
{
	u32 val;

	if (count != 4 || (off & 3) || off >= MGPU_ENG_SIZE)
		return -EINVAL;
	if (write) {
		if (copy_from_user(&val, ubuf, 4))
			return -EFAULT;
		mgpu_ctx_reg_write(&vgpu->ctx, off, val);
		return 4;
	}
	val = mgpu_ctx_reg_read(&vgpu->ctx, off);
	return copy_to_user(ubuf, &val, 4) ? -EFAULT : 4;
}

static ssize_t vgpu_rw(struct vfio_device *vdev, char __user *ubuf, size_t count,
		       loff_t *ppos, bool write)
{
	struct mgpu_vgpu *vgpu = to_vgpu(vdev);
	u64 index = MGPU_OFFSET_TO_INDEX(*ppos);
	u64 off = *ppos & MGPU_OFFSET_MASK;
	ssize_t ret;

	if (write)
		this_cpu_inc(vgpu->traps->writes);
	else
		this_cpu_inc(vgpu->traps->reads);
	switch (index) {
	case VFIO_PCI_CONFIG_REGION_INDEX:
		ret = regs_rw(vgpu, ubuf, count, off, write, true);
		break;
	case VFIO_PCI_BAR0_REGION_INDEX + MGPU_BAR_VRAM:
	case VFIO_PCI_BAR0_REGION_INDEX + MGPU_BAR_APERTURE:
		/* The translation table is fixed for the vGPU's life: no lock. */
		ret = vram_rw(vgpu, ubuf, count, off, write);
		break;
	case VFIO_PCI_BAR0_REGION_INDEX + MGPU_BAR_MMIO:
		ret = regs_rw(vgpu, ubuf, count, off, write, false);
		break;
	case VFIO_PCI_BAR0_REGION_INDEX + MGPU_BAR_ENGINE:
		ret = engine_rw(vgpu, ubuf, count, off, write);
		break;
	case MGPU_REGION_DISPLAY:
		ret = write ? -EINVAL : mgpu_vgpu_read_display(vgpu, ubuf, count, off);
		break;
	case MGPU_REGION_EDID:
		ret = mgpu_vgpu_rw_edid(vgpu, ubuf, count, off, write);
		break;
	default:
		ret = -EINVAL;
	}
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

static vm_fault_t vram_fault(struct vm_fault *vmf)
{
	struct mgpu_vgpu *vgpu = vmf->vma->vm_private_data;
	u64 off = (u64)(vmf->pgoff & MGPU_REGION_PGOFF_MASK) << PAGE_SHIFT;

	if (off < vgpu->vram_size)
		atomic64_inc(&vgpu->vram_faults);
	return mgpu_parent_vram_insert(vgpu->parent, vgpu->chunks, vgpu->vram_size, off, vmf);
}

static const struct vm_operations_struct vram_vm_ops = {
	.fault = vram_fault,
};

/**
 * mgpu_vgpu_mmap - vfio_device_ops.mmap: pass a vGPU's VRAM (BAR0, BAR4) through
 * @vdev: the vGPU
 * @vma: the mapping; its offset selects the region as in read()/write()
 *
 * Pages are inserted on fault through the partition's translation table, so only the
 * vGPU's own chunks can ever be mapped. The mapping holds the device file open, so the
 * chunks cannot be freed while it exists.
 *
 * Return: 0, or -EINVAL for another region, a private mapping or a range outside VRAM.
 */
int mgpu_vgpu_mmap(struct vfio_device *vdev, struct vm_area_struct *vma)
{
	struct mgpu_vgpu *vgpu = to_vgpu(vdev);
	u64 index = vma->vm_pgoff >> (MGPU_OFFSET_SHIFT - PAGE_SHIFT);
	u64 off = (u64)(vma->vm_pgoff & MGPU_REGION_PGOFF_MASK) << PAGE_SHIFT;
	u64 len = vma->vm_end - vma->vm_start;

	if (index == MGPU_REGION_DISPLAY)
		return mgpu_vgpu_mmap_display(vgpu, vma, off);
	if (index != VFIO_PCI_BAR0_REGION_INDEX + MGPU_BAR_VRAM &&
	    index != VFIO_PCI_BAR0_REGION_INDEX + MGPU_BAR_APERTURE)
		return -EINVAL;
	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	if (off >= vgpu->vram_size || len > vgpu->vram_size - off)
		return -EINVAL;
	mgpu_parent_vram_vma(vgpu->parent, vma, &vram_vm_ops, vgpu);
	return 0;
}
