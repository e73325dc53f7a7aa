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
#define MGPU_PCI_REVISION		0x02	/* >= 2: QEMU extension registers */

/* BAR0: the vGPU's VRAM partition (32-bit, prefetchable memory), passed through. */
#define MGPU_BAR_VRAM			0
/* BAR2: the register window, trapped and emulated; Bochs/QEMU "stdvga" MMIO layout. */
#define MGPU_BAR_MMIO			2
#define MGPU_MMIO_SIZE			0x1000

#define MGPU_MMIO_EDID			0x000	/* EDID blob, read-only, up to 1 KiB */
#define MGPU_MMIO_EDID_SIZE		0x400
#define MGPU_MMIO_VGA			0x400	/* VGA ports 0x3c0..0x3df, byte access */
#define MGPU_MMIO_VGA_SIZE		0x020
#define MGPU_VGA_PORT_BASE		0x3c0
#define MGPU_MMIO_DISPI			0x500	/* DISPI register n at 0x500 + 2n, 16 bit */
#define MGPU_MMIO_QEXT			0x600	/* QEMU extension registers */
#define MGPU_QEXT_SIZE			(MGPU_MMIO_QEXT + 0x0)	/* RO: bytes of qext */
#define MGPU_QEXT_ENDIAN		(MGPU_MMIO_QEXT + 0x4)	/* framebuffer byte order */
#define MGPU_QEXT_ENDIAN_LITTLE		0x1e1e1e1e
#define MGPU_QEXT_ENDIAN_BIG		0xbebebebe
#define MGPU_MMIO_IRQ			0x700	/* mgpu's interrupt block, 32 bit */
#define MGPU_IRQ_STATUS			(MGPU_MMIO_IRQ + 0x0)	/* RW1C: pending causes */
#define MGPU_IRQ_MASK			(MGPU_MMIO_IRQ + 0x4)	/* RW: enabled causes */
#define MGPU_IRQ_RAISE			(MGPU_MMIO_IRQ + 0x8)	/* WO: set causes (test) */
#define MGPU_IRQ_CAUSE_SOFT		0x1	/* raised through MGPU_IRQ_RAISE */

/* DISPI register indexes (the Bochs VBE interface). */
#define MGPU_DISPI_ID			0x0
#define MGPU_DISPI_XRES			0x1
#define MGPU_DISPI_YRES			0x2
#define MGPU_DISPI_BPP			0x3
#define MGPU_DISPI_ENABLE		0x4
#define MGPU_DISPI_BANK			0x5
#define MGPU_DISPI_VIRT_WIDTH		0x6
#define MGPU_DISPI_VIRT_HEIGHT		0x7
#define MGPU_DISPI_X_OFFSET		0x8
#define MGPU_DISPI_Y_OFFSET		0x9
#define MGPU_DISPI_VIDEO_MEMORY_64K	0xa
#define MGPU_DISPI_NR			0xb

#define MGPU_DISPI_ID0			0xb0c0
#define MGPU_DISPI_ID5			0xb0c5
#define MGPU_DISPI_ENABLED		0x01
#define MGPU_DISPI_GETCAPS		0x02
#define MGPU_DISPI_8BIT_DAC		0x20
#define MGPU_DISPI_LFB_ENABLED		0x40
#define MGPU_DISPI_NOCLEARMEM		0x80
#define MGPU_DISPI_MAX_XRES		16000
#define MGPU_DISPI_MAX_YRES		12000
#define MGPU_DISPI_MAX_BPP		32

#endif /* _UAPI_LINUX_MGPU_H */
