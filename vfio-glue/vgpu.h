/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * mgpu: the VFIO glue's internal interface (region access and ioctls of a vGPU).
 */
#ifndef MGPU_VGPU_H
#define MGPU_VGPU_H

#include "mgpu.h"

/* VFIO's region offsets: index << 40 | offset (as in vfio-pci). */
#define MGPU_OFFSET_SHIFT		40
#define MGPU_OFFSET_TO_INDEX(off)	((off) >> MGPU_OFFSET_SHIFT)
#define MGPU_OFFSET_MASK		((1ULL << MGPU_OFFSET_SHIFT) - 1)
#define MGPU_REGION_OFFSET(index)	((u64)(index) << MGPU_OFFSET_SHIFT)
#define MGPU_REGION_PGOFF_MASK		((1UL << (MGPU_OFFSET_SHIFT - PAGE_SHIFT)) - 1)

/* Device-specific regions after the PCI ones: the display plane and the EDID. */
#define MGPU_REGION_DISPLAY		(VFIO_PCI_NUM_REGIONS + 0)
#define MGPU_REGION_EDID		(VFIO_PCI_NUM_REGIONS + 1)
#define MGPU_NUM_REGIONS		(VFIO_PCI_NUM_REGIONS + 2)
#define MGPU_EDID_REGION_SIZE		(sizeof(struct vfio_region_gfx_edid) + \
					 MGPU_MMIO_EDID_SIZE)

static inline struct mgpu_vgpu *to_vgpu(struct vfio_device *vdev)
{
	return container_of(vdev, struct mgpu_vgpu, vdev);
}

ssize_t mgpu_vgpu_read(struct vfio_device *vdev, char __user *buf, size_t count,
		       loff_t *ppos);
ssize_t mgpu_vgpu_write(struct vfio_device *vdev, const char __user *buf,
			size_t count, loff_t *ppos);
int mgpu_vgpu_mmap(struct vfio_device *vdev, struct vm_area_struct *vma);
long mgpu_vgpu_ioctl(struct vfio_device *vdev, unsigned int cmd, unsigned long arg);
void mgpu_vgpu_reset(struct mgpu_vgpu *vgpu);
void mgpu_vgpu_scrub_tenant(struct mgpu_vgpu *vgpu);
long mgpu_vgpu_set_irqs(struct mgpu_vgpu *vgpu, unsigned long arg);
long mgpu_vgpu_get_irq_info(unsigned long arg);
void mgpu_vgpu_irq_sync(struct mgpu_vgpu *vgpu);
void mgpu_vgpu_irq_engine(struct mgpu_vgpu *vgpu);
void mgpu_vgpu_irq_reset(struct mgpu_vgpu *vgpu);
void mgpu_vgpu_irq_release(struct mgpu_vgpu *vgpu);
void mgpu_vgpu_request(struct vfio_device *vdev, unsigned int count);
long mgpu_vgpu_query_gfx_plane(struct mgpu_vgpu *vgpu, unsigned long arg);
int mgpu_vgpu_mmap_display(struct mgpu_vgpu *vgpu, struct vm_area_struct *vma, u64 off);
ssize_t mgpu_vgpu_read_display(struct mgpu_vgpu *vgpu, char __user *buf, size_t count,
			       u64 off);
ssize_t mgpu_vgpu_rw_edid(struct mgpu_vgpu *vgpu, char __user *buf, size_t count,
			  u64 off, bool write);
int mgpu_vgpu_edid_cap(struct vfio_info_cap *caps);
int mgpu_vgpu_set_resolution_locked(struct mgpu_vgpu *vgpu, u32 width, u32 height);

extern const struct attribute_group *mgpu_vgpu_groups[];
extern const struct attribute_group mgpu_vgpu_engine_group;

#endif /* MGPU_VGPU_H */
