// SPDX-License-Identifier: GPL-2.0-only
/*
 * mgpu: a vGPU's display as VFIO offers it to QEMU — a region plane and an EDID region.
 *
 * QEMU maps a region plane's region once and reads the screen from its start, so the
 * plane cannot simply point into VRAM: the guest flips between buffers anywhere in its
 * VRAM, and a partition is not contiguous in the GPU's. Each plane query therefore
 * copies the visible framebuffer, bounds-checked through the partition's translation
 * table, into a per-vGPU shadow that the display region maps.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <uapi/drm/drm_fourcc.h>

#include "compat.h"
#include "edid.h"
#include "vgpu.h"

#define EDID_HDR_SIZE	sizeof(struct vfio_region_gfx_edid)
#define EDID_MAX_XRES	2560
#define EDID_MAX_YRES	1600
/* DRM_PLANE_TYPE_CURSOR: a vGPU has no cursor plane. QEMU's region path asks with 0. */
#define PLANE_TYPE_CURSOR	2

/* The DRM format of a mode, or 0 when QEMU cannot show it (8 bpp is paletted). */
static u32 mode_drm_format(const struct mgpu_mode *mode)
{
	switch (mode->bpp) {
	case 32:
		return mode->big_endian ? DRM_FORMAT_BGRX8888 : DRM_FORMAT_XRGB8888;
	case 24:
		return mode->big_endian ? DRM_FORMAT_RGB888 : DRM_FORMAT_BGR888;
	case 16:
		return mode->big_endian ? 0 : DRM_FORMAT_RGB565;
	case 15:
		return mode->big_endian ? 0 : DRM_FORMAT_XRGB1555;
	}
	return 0;
}

/* Copy @len bytes of the partition at @off (within it) into @dst, chunk by chunk. */
static void vram_copy(struct mgpu_vgpu *vgpu, u64 off, void *dst, size_t len)
{
	while (len) {
		size_t piece = min_t(u64, len, MGPU_CHUNK_SIZE - (off & (MGPU_CHUNK_SIZE - 1)));

		vgpu->parent->ops->vram_read(vgpu->parent, mgpu_vram_translate(vgpu->chunks, off),
					     dst, piece);
		off += piece;
		dst += piece;
		len -= piece;
	}
}

/*
 * The shadow framebuffer is allocated once, under vgpu->shadow_lock, and freed only
 * when the vGPU is released: once this returned 0 it may be read without a lock.
 */
static int shadow_alloc_locked(struct mgpu_vgpu *vgpu)
{
	lockdep_assert_held(&vgpu->shadow_lock);
	if (!vgpu->shadow)
		vgpu->shadow = vmalloc_user(vgpu->vram_size);
	return vgpu->shadow ? 0 : -ENOMEM;
}

static int shadow_alloc(struct mgpu_vgpu *vgpu)
{
	int ret;

	mutex_lock(&vgpu->shadow_lock);
	ret = shadow_alloc_locked(vgpu);
	mutex_unlock(&vgpu->shadow_lock);
	return ret;
}

/* Copy the visible screen into the shadow, tightly packed; return the packed stride. */
static u32 shadow_fill_locked(struct mgpu_vgpu *vgpu, const struct mgpu_mode *mode)
{
	u32 bytes = DIV_ROUND_UP(mode->bpp, 8) * mode->width;
	u32 y;

	for (y = 0; y < mode->height; y++)
		vram_copy(vgpu, mode->offset + (u64)y * mode->stride,
			  vgpu->shadow + (size_t)y * bytes, bytes);
	return bytes;
}

static int plane_fill(struct mgpu_vgpu *vgpu, struct vfio_device_gfx_plane_info *plane)
{
	struct vfio_device_gfx_plane_info req = *plane;
	struct mgpu_mode mode;
	int ret;

	memset(plane, 0, sizeof(*plane));
	plane->argsz = req.argsz;
	plane->flags = req.flags;
	plane->drm_plane_type = req.drm_plane_type;
	if (plane->drm_plane_type == PLANE_TYPE_CURSOR)
		return 0;
	/*
	 * The mode is a snapshot: the copy, up to the whole partition, runs under the
	 * shadow's own lock, never under vgpu->lock (the registers' and sysfs's).
	 */
	mutex_lock(&vgpu->lock);
	mgpu_mmio_mode(&vgpu->mmio, &mode);
	mutex_unlock(&vgpu->lock);
	if (!mode.enabled || !mode_drm_format(&mode))
		return 0;	/* nothing to show: QEMU keeps its last frame */
	mutex_lock(&vgpu->shadow_lock);
	ret = shadow_alloc_locked(vgpu);
	if (ret)
		goto out;
	plane->stride = shadow_fill_locked(vgpu, &mode);
	plane->drm_format = mode_drm_format(&mode);
	plane->width = mode.width;
	plane->height = mode.height;
	plane->size = plane->stride * mode.height;
	plane->region_index = MGPU_REGION_DISPLAY;
	vgpu->plane_queries++;
out:
	mutex_unlock(&vgpu->shadow_lock);
	return ret;
}

/**
 * mgpu_vgpu_query_gfx_plane - VFIO_DEVICE_QUERY_GFX_PLANE
 * @vgpu: the vGPU
 * @arg: the user's struct vfio_device_gfx_plane_info
 *
 * A cursor plane, which a vGPU lacks, and a disabled screen come back with drm_format 0.
 *
 * Return: 0; -EINVAL for a plane type other than a region plane, -EFAULT, -ENOMEM.
 */
long mgpu_vgpu_query_gfx_plane(struct mgpu_vgpu *vgpu, unsigned long arg)
{
	unsigned long minsz = offsetofend(struct vfio_device_gfx_plane_info, region_index);
	struct vfio_device_gfx_plane_info plane;
	int ret;

	if (copy_from_user(&plane, (void __user *)arg, minsz))
		return -EFAULT;
	if (plane.argsz < minsz)
		return -EINVAL;
	if (plane.flags & VFIO_GFX_PLANE_TYPE_PROBE)
		return plane.flags == (VFIO_GFX_PLANE_TYPE_PROBE | VFIO_GFX_PLANE_TYPE_REGION) ?
		       0 : -EINVAL;
	if (plane.flags != VFIO_GFX_PLANE_TYPE_REGION)
		return -EINVAL;
	ret = plane_fill(vgpu, &plane);
	if (ret)
		return ret;
	return copy_to_user((void __user *)arg, &plane, minsz) ? -EFAULT : 0;
}

static vm_fault_t shadow_fault(struct vm_fault *vmf)
{
	struct mgpu_vgpu *vgpu = vmf->vma->vm_private_data;
	u64 off = (u64)(vmf->pgoff & MGPU_REGION_PGOFF_MASK) << PAGE_SHIFT;

	if (off >= vgpu->vram_size)
		return VM_FAULT_SIGBUS;
	return vmf_insert_pfn(vmf->vma, vmf->address, vmalloc_to_pfn(vgpu->shadow + off));
}

static const struct vm_operations_struct shadow_vm_ops = {
	.fault = shadow_fault,
};

/**
 * mgpu_vgpu_mmap_display - map the display region (the shadow framebuffer), read-only
 * @vgpu: the vGPU
 * @vma: the mapping, offset relative to the region
 * @off: byte offset within the region
 *
 * The shadow lives until the vGPU is released, which the mapping's open file delays.
 *
 * Return: 0 or -errno.
 */
int mgpu_vgpu_mmap_display(struct mgpu_vgpu *vgpu, struct vm_area_struct *vma, u64 off)
{
	u64 len = vma->vm_end - vma->vm_start;
	int ret;

	if ((vma->vm_flags & VM_WRITE) || !(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	if (off >= vgpu->vram_size || len > vgpu->vram_size - off)
		return -EINVAL;
	ret = shadow_alloc(vgpu);
	if (ret)
		return ret;
	mgpu_compat_vm_flags_set(vma, VM_IO | VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP);
	mgpu_compat_vm_flags_clear(vma, VM_MAYWRITE);
	vma->vm_private_data = vgpu;
	vma->vm_ops = &shadow_vm_ops;
	return 0;
}

/**
 * mgpu_vgpu_scrub_tenant - forget everything a previous user left in a reused vGPU
 * @vgpu: the vGPU, closed (no mapping of its regions exists), before its next open
 *
 * Zeroes the VRAM partition, frees the shadow frame, restores mgpu's own EDID for the
 * admin's mgpu/resolution (dropping one the user wrote) and resets the registers. The
 * admin's configuration (QoS, resolution) stays.
 */
void mgpu_vgpu_scrub_tenant(struct mgpu_vgpu *vgpu)
{
	mgpu_parent_scrub_chunks(vgpu->parent, vgpu->nr_chunks, vgpu->chunks);
	mutex_lock(&vgpu->shadow_lock);
	vfree(vgpu->shadow);
	vgpu->shadow = NULL;
	mutex_unlock(&vgpu->shadow_lock);
	mgpu_vgpu_reset(vgpu);
	mutex_lock(&vgpu->lock);
	/* The admin's mode fitted at store time; the built-in EDID cannot fail for it. */
	WARN_ON(mgpu_vgpu_set_resolution_locked(vgpu, vgpu->width, vgpu->height));
	mutex_unlock(&vgpu->lock);
}

/**
 * mgpu_vgpu_read_display - read() of the display region (the shadow framebuffer)
 * @vgpu: the vGPU
 * @buf: user buffer
 * @count: bytes
 * @off: byte offset within the region
 *
 * Return: bytes read, or -errno.
 */
ssize_t mgpu_vgpu_read_display(struct mgpu_vgpu *vgpu, char __user *buf, size_t count,
			       u64 off)
{
	ssize_t ret;

	if (off >= vgpu->vram_size || count > vgpu->vram_size - off)
		return -EINVAL;
	ret = shadow_alloc(vgpu);	/* no lock across the user copy */
	if (!ret)
		ret = copy_to_user(buf, vgpu->shadow + off, count) ? -EFAULT : count;
	return ret;
}

static u32 edid_max_yres(struct mgpu_vgpu *vgpu)
{
	u64 lines = div64_u64(vgpu->vram_size, EDID_MAX_XRES * 4);

	return min_t(u64, lines, EDID_MAX_YRES);
}

/* Link up: the guest reads the blob at BAR2 offset 0. Link down: no monitor. */
static void edid_apply_locked(struct mgpu_vgpu *vgpu)
{
	struct mgpu_mmio *m = &vgpu->mmio;

	memset(m->edid, 0, sizeof(m->edid));
	if (vgpu->edid_link == VFIO_DEVICE_GFX_LINK_STATE_UP)
		memcpy(m->edid, vgpu->edid_blob, vgpu->edid_size);
}

/**
 * mgpu_vgpu_set_resolution_locked - plug in a virtual monitor with this preferred mode
 * @vgpu: the vGPU, with vgpu->lock held
 * @width: preferred width
 * @height: preferred height
 *
 * Replaces the EDID the guest reads (also one the user wrote into the EDID region);
 * the guest sees it the next time its driver reads the EDID.
 *
 * Return: 0, or -EINVAL for a resolution out of the EDID's range or one whose 32-bit
 * frame does not fit the vGPU's VRAM.
 */
int mgpu_vgpu_set_resolution_locked(struct mgpu_vgpu *vgpu, u32 width, u32 height)
{
	int ret;

	lockdep_assert_held(&vgpu->lock);
	if ((u64)width * height * 4 > vgpu->vram_size)
		return -EINVAL;
	ret = mgpu_edid_build(vgpu->edid_blob, width, height);
	if (ret)
		return ret;
	vgpu->width = width;
	vgpu->height = height;
	vgpu->edid_size = MGPU_EDID_BLOCK;
	vgpu->edid_link = VFIO_DEVICE_GFX_LINK_STATE_UP;
	edid_apply_locked(vgpu);
	return 0;
}

static int edid_hdr_write_locked(struct mgpu_vgpu *vgpu, u32 field, u32 val)
{
	switch (field) {
	case offsetof(struct vfio_region_gfx_edid, edid_size):
		if (val > MGPU_MMIO_EDID_SIZE)
			return -EINVAL;
		vgpu->edid_size = val;
		break;
	case offsetof(struct vfio_region_gfx_edid, link_state):
		if (val != VFIO_DEVICE_GFX_LINK_STATE_UP &&
		    val != VFIO_DEVICE_GFX_LINK_STATE_DOWN)
			return -EINVAL;
		vgpu->edid_link = val;
		break;
	default:
		return -EPERM;	/* offset, max size and resolutions are read-only */
	}
	edid_apply_locked(vgpu);
	return 0;
}

static void edid_hdr_get(struct mgpu_vgpu *vgpu, struct vfio_region_gfx_edid *hdr)
{
	hdr->edid_offset = EDID_HDR_SIZE;
	hdr->edid_max_size = MGPU_MMIO_EDID_SIZE;
	hdr->edid_size = vgpu->edid_size;
	hdr->max_xres = EDID_MAX_XRES;
	hdr->max_yres = edid_max_yres(vgpu);
	hdr->link_state = vgpu->edid_link;
}

/* One 32-bit header field; user memory is copied outside vgpu->lock. */
static ssize_t edid_hdr_rw(struct mgpu_vgpu *vgpu, char __user *buf, size_t count, u64 off,
			   bool write)
{
	struct vfio_region_gfx_edid hdr;
	u32 val;
	int ret;

	if (count != sizeof(u32) || off & 3)
		return -EINVAL;
	if (!write) {
		mutex_lock(&vgpu->lock);
		edid_hdr_get(vgpu, &hdr);
		mutex_unlock(&vgpu->lock);
		return copy_to_user(buf, (u8 *)&hdr + off, count) ? -EFAULT : count;
	}
	if (copy_from_user(&val, buf, sizeof(val)))
		return -EFAULT;
	mutex_lock(&vgpu->lock);
	ret = edid_hdr_write_locked(vgpu, off, val);
	mutex_unlock(&vgpu->lock);
	return ret ? ret : count;
}

/**
 * mgpu_vgpu_rw_edid - read()/write() of the EDID region (struct vfio_region_gfx_edid,
 * then the blob)
 * @vgpu: the vGPU
 * @buf: user buffer
 * @count: bytes
 * @off: byte offset within the region
 * @write: direction
 *
 * Return: bytes transferred, or -errno (-EINVAL for a bad field access or value).
 */
ssize_t mgpu_vgpu_rw_edid(struct mgpu_vgpu *vgpu, char __user *buf, size_t count,
			  u64 off, bool write)
{
	u8 *bounce, *blob;
	ssize_t ret = count;

	if (off >= MGPU_EDID_REGION_SIZE || count > MGPU_EDID_REGION_SIZE - off)
		return -EINVAL;
	if (off < EDID_HDR_SIZE)
		return edid_hdr_rw(vgpu, buf, count, off, write);
	/* The blob, at most MGPU_MMIO_EDID_SIZE bytes, through a bounce buffer. */
	bounce = kmalloc(count, GFP_KERNEL);
	if (!bounce)
		return -ENOMEM;
	blob = vgpu->edid_blob + off - EDID_HDR_SIZE;
	if (write) {
		if (copy_from_user(bounce, buf, count)) {
			ret = -EFAULT;
		} else {
			mutex_lock(&vgpu->lock);
			memcpy(blob, bounce, count);
			mutex_unlock(&vgpu->lock);
		}
	} else {
		mutex_lock(&vgpu->lock);
		memcpy(bounce, blob, count);
		mutex_unlock(&vgpu->lock);
		if (copy_to_user(buf, bounce, count))
			ret = -EFAULT;
	}
	kfree(bounce);
	return ret;
}

/**
 * mgpu_vgpu_edid_cap - the region-type capability that tells QEMU what the EDID
 * region is
 * @caps: the capability chain being built
 *
 * Return: 0 or -errno.
 */
int mgpu_vgpu_edid_cap(struct vfio_info_cap *caps)
{
	struct vfio_region_info_cap_type cap = {
		.header.id = VFIO_REGION_INFO_CAP_TYPE,
		.header.version = 1,
		.type = VFIO_REGION_TYPE_GFX,
		.subtype = VFIO_REGION_SUBTYPE_GFX_EDID,
	};

	return vfio_info_add_capability(caps, &cap.header, sizeof(cap));
}
