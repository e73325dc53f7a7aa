/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * mgpu: the guest-visible device ABI of a vGPU. Host driver, guest code, tools and
 * tests all take the device's identity and layout from this one header.
 */
#ifndef _UAPI_LINUX_MGPU_H
#define _UAPI_LINUX_MGPU_H

/*
 * PCI identity. Vendor and device are those of the QEMU/Bochs display adapter so that
 * the guest's stock bochs-drm binds a vGPU unmodified; the subsystem IDs are mgpu's own
 * so mgpu-aware software can tell a vGPU from a plain Bochs adapter.
 */
#define MGPU_PCI_VENDOR_ID		0x1234
#define MGPU_PCI_DEVICE_ID		0x1111
#define MGPU_PCI_SUBSYS_VENDOR_ID	0x1234
#define MGPU_PCI_SUBSYS_DEVICE_ID	0x6d67	/* "mg" */
#define MGPU_PCI_CLASS_DISPLAY		0x038000	/* display, other */
#define MGPU_PCI_REVISION		0x01

/* BAR0: the vGPU's VRAM partition (32-bit, prefetchable memory). */
#define MGPU_BAR_VRAM			0

#endif /* _UAPI_LINUX_MGPU_H */
