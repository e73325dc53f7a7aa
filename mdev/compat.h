/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * mgpu: the differences between the kernels mgpu supports (6.1 and 6.12 LTS), in one
 * place. Kbuild probes the target's headers and defines the MGPU_HAVE_ and MGPU_NEED_
 * macros; nothing in mgpu tests kernel versions.
 */
#ifndef MGPU_COMPAT_H
#define MGPU_COMPAT_H

#include <linux/vfio.h>

/* 6.1: ->release() frees the vfio_device itself; later kernels free it in the core. */
static inline void mgpu_compat_free_vdev(struct vfio_device *vdev)
{
#ifdef MGPU_NEED_VFIO_FREE_DEVICE
	vfio_free_device(vdev);
#endif
}

/* iommufd's emulated-device callbacks (6.2 on); NULL stubs when IOMMUFD is off. */
#ifdef MGPU_HAVE_IOMMUFD_OPS
#define MGPU_VFIO_IOMMUFD_OPS					\
	.bind_iommufd	= vfio_iommufd_emulated_bind,		\
	.unbind_iommufd	= vfio_iommufd_emulated_unbind,		\
	.attach_ioas	= vfio_iommufd_emulated_attach_ioas,	\
	.detach_ioas	= vfio_iommufd_emulated_detach_ioas,
#else
#define MGPU_VFIO_IOMMUFD_OPS
#endif

#endif /* MGPU_COMPAT_H */
