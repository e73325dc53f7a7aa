/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * mgpu: the differences between the kernels mgpu supports (6.1 and 6.12 LTS), in one
 * place. Kbuild probes the target's headers and defines the MGPU_HAVE_ and MGPU_NEED_
 * macros; nothing in mgpu tests kernel versions.
 */
#ifndef MGPU_COMPAT_H
#define MGPU_COMPAT_H

#include <linux/eventfd.h>
#include <linux/mm.h>
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

/* vm_flags became write-protected behind vm_flags_set() in 6.3. */
static inline void mgpu_compat_vm_flags_set(struct vm_area_struct *vma, vm_flags_t flags)
{
#ifdef MGPU_HAVE_VM_FLAGS_SET
	vm_flags_set(vma, flags);
#else
	vma->vm_flags |= flags;
#endif
}

static inline void mgpu_compat_vm_flags_clear(struct vm_area_struct *vma, vm_flags_t flags)
{
#ifdef MGPU_HAVE_VM_FLAGS_SET
	vm_flags_clear(vma, flags);
#else
	vma->vm_flags &= ~flags;
#endif
}

/* eventfd_signal() lost its count argument in 6.8. */
static inline void mgpu_compat_eventfd_signal(struct eventfd_ctx *ctx)
{
#ifdef MGPU_NEED_EVENTFD_COUNT
	eventfd_signal(ctx, 1);
#else
	eventfd_signal(ctx);
#endif
}

#endif /* MGPU_COMPAT_H */
