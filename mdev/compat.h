/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * mgpu: the differences between the kernels mgpu supports (6.1 and 6.12 LTS), as
 * feature tests in one place. Nothing else in mgpu tests kernel versions.
 */
#ifndef MGPU_COMPAT_H
#define MGPU_COMPAT_H

#include <linux/version.h>
#include <linux/vfio.h>

/*
 * iommufd's emulated-device callbacks arrived in 6.2. Before that, an emulated-IOMMU
 * device has no such members, and ->release() must free the vfio_device itself.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0)
#define MGPU_HAVE_IOMMUFD_OPS 1
static inline void mgpu_compat_free_vdev(struct vfio_device *vdev) { }
#else
#define MGPU_HAVE_IOMMUFD_OPS 0
static inline void mgpu_compat_free_vdev(struct vfio_device *vdev)
{
	vfio_free_device(vdev);
}
#endif

#if MGPU_HAVE_IOMMUFD_OPS
#define MGPU_VFIO_IOMMUFD_OPS					\
	.bind_iommufd	= vfio_iommufd_emulated_bind,		\
	.unbind_iommufd	= vfio_iommufd_emulated_unbind,		\
	.attach_ioas	= vfio_iommufd_emulated_attach_ioas,	\
	.detach_ioas	= vfio_iommufd_emulated_detach_ioas,
#else
#define MGPU_VFIO_IOMMUFD_OPS
#endif

/* platform_driver.remove returns void from 6.11 on. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 11, 0)
#define MGPU_DEFINE_PLATFORM_REMOVE(name, fn)				\
	static void name(struct platform_device *pdev) { fn(pdev); }
#else
#define MGPU_DEFINE_PLATFORM_REMOVE(name, fn)				\
	static int name(struct platform_device *pdev) { fn(pdev); return 0; }
#endif

#endif /* MGPU_COMPAT_H */
