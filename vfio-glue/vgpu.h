/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * mgpu: the VFIO glue's internal interface (region access and ioctls of a vGPU).
 */
#ifndef MGPU_VGPU_H
#define MGPU_VGPU_H

#include "mgpu.h"

static inline struct mgpu_vgpu *to_vgpu(struct vfio_device *vdev)
{
	return container_of(vdev, struct mgpu_vgpu, vdev);
}

ssize_t mgpu_vgpu_read(struct vfio_device *vdev, char __user *buf, size_t count,
		       loff_t *ppos);
ssize_t mgpu_vgpu_write(struct vfio_device *vdev, const char __user *buf,
			size_t count, loff_t *ppos);
long mgpu_vgpu_ioctl(struct vfio_device *vdev, unsigned int cmd, unsigned long arg);
void mgpu_vgpu_reset(struct mgpu_vgpu *vgpu);

#endif /* MGPU_VGPU_H */
