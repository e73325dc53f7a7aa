/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * mgpu: the guest-visible device ABI of a vGPU. Host driver, guest code, tools and
 * tests all take the device's identity and layout from this one header.
 */
#ifndef _UAPI_LINUX_MGPU_H
#define _UAPI_LINUX_MGPU_H

#include <linux/ioctl.h>
#include <linux/types.h>

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

/*
 * The command engine (Documentation/guest-abi.rst).
 *
 * BAR3 is the engine's register window (trapped, 4 KiB, 32-bit accesses). BAR4 is a
 * second window onto the vGPU's VRAM partition (passed through, the size of BAR0).
 * The guest's stock bochs-drm claims BAR0 and BAR2 only, so a guest program can map
 * BAR3 and BAR4 (/sys/bus/pci/devices/<bdf>/resource3, resource4) and drive the engine
 * while bochs-drm shows the display. Every address the engine takes is a byte offset
 * in the vGPU's own VRAM partition; the host translates and bounds-checks each one.
 */
#define MGPU_BAR_ENGINE			3
#define MGPU_BAR_APERTURE		4
#define MGPU_ENG_SIZE			0x1000

#define MGPU_ENG_ID			0x000	/* RO: MGPU_ENG_MAGIC */
#define MGPU_ENG_VERSION		0x004	/* RO: MGPU_ENG_ABI_VERSION */
#define MGPU_ENG_CAPS			0x008	/* RO: MGPU_ENG_CAP_* */
#define MGPU_ENG_VRAM_MB		0x00c	/* RO: partition size in MiB */
#define MGPU_ENG_RING_BASE		0x010	/* RW: ring offset, 4 KiB aligned */
#define MGPU_ENG_RING_SIZE		0x014	/* RW: ring bytes, power of 2 */
#define MGPU_ENG_CTRL_BASE		0x018	/* RW: control block offset, 64 B aligned */
#define MGPU_ENG_CONTROL		0x01c	/* RW: MGPU_ENG_CONTROL_* */
#define MGPU_ENG_HEAD			0x020	/* RO: ring offset of the next command */
#define MGPU_ENG_TAIL			0x024	/* RW: the doorbell: end of submitted work */
#define MGPU_ENG_STATUS			0x028	/* RO: MGPU_ENG_STATUS_* */
#define MGPU_ENG_ERROR			0x02c	/* RO: MGPU_ENG_ERR_* of the error state */
#define MGPU_ENG_ERROR_ADDR		0x030	/* RO: VRAM offset of the failed command */
#define MGPU_ENG_FENCE_LO		0x038	/* RO: last value a FENCE wrote */
#define MGPU_ENG_FENCE_HI		0x03c
#define MGPU_ENG_IRQ_STATUS		0x040	/* RW1C: MGPU_ENG_IRQ_* pending */
#define MGPU_ENG_IRQ_MASK		0x044	/* RW: MGPU_ENG_IRQ_* enabled */
#define MGPU_ENG_RESET			0x048	/* WO: MGPU_ENG_RESET_MAGIC resets the engine */

#define MGPU_ENG_MAGIC			0x4e45474d	/* "MGEN" */
#define MGPU_ENG_ABI_VERSION		1
#define MGPU_ENG_CAP_POLL		0x1	/* doorbell-less submission */
#define MGPU_ENG_CAP_BATCH		0x2	/* CALL/RETURN/JUMP */
#define MGPU_ENG_CAP_IRQ		0x4	/* fence and error interrupts */

#define MGPU_ENG_CONTROL_ENABLE		0x1	/* latches RING_BASE, RING_SIZE, CTRL_BASE */
#define MGPU_ENG_CONTROL_POLL		0x2	/* tail is read from the control block */

#define MGPU_ENG_STATUS_ENABLED		0x1
#define MGPU_ENG_STATUS_BUSY		0x2	/* submitted work not yet done */
#define MGPU_ENG_STATUS_ERROR		0x4	/* stopped; MGPU_ENG_RESET clears */

#define MGPU_ENG_IRQ_FENCE		0x1	/* a FENCE with MGPU_CMD_FLAG_IRQ completed */
#define MGPU_ENG_IRQ_ERROR		0x2	/* the engine entered the error state */

#define MGPU_ENG_RESET_MAGIC		0x52534554	/* "RSET" */

#define MGPU_ENG_RING_MIN		0x1000
#define MGPU_ENG_RING_MAX		0x100000

/* Error codes (MGPU_ENG_ERROR, sysfs engine/state). */
#define MGPU_ENG_ERR_NONE		0
#define MGPU_ENG_ERR_OPCODE		1	/* unknown opcode */
#define MGPU_ENG_ERR_LENGTH		2	/* wrong length for the opcode */
#define MGPU_ENG_ERR_RANGE		3	/* an address outside the partition */
#define MGPU_ENG_ERR_ALIGN		4	/* a misaligned address or size */
#define MGPU_ENG_ERR_ARG		5	/* a size or duration out of bounds */
#define MGPU_ENG_ERR_OVERLAP		6	/* COPY source and destination overlap */
#define MGPU_ENG_ERR_DEPTH		7	/* CALL nested deeper than allowed */
#define MGPU_ENG_ERR_WATCHDOG		8	/* one ring command ran too long */
#define MGPU_ENG_ERR_RING		9	/* bad ring base, size, tail or control */
#define MGPU_ENG_ERR_JUMP		10	/* JUMP outside a batch, RETURN in the ring */

/*
 * The control block (at CTRL_BASE, in VRAM). The engine keeps head, fence and status
 * current here whenever CTRL_BASE is set; with MGPU_ENG_CONTROL_POLL it reads tail
 * from here instead of the TAIL register, so a submission costs no trap at all.
 */
struct mgpu_eng_ctrl {
	__u32 tail;	/* written by the guest (poll mode) */
	__u32 head;	/* written by the engine */
	__u64 fence;	/* written by the engine: last value a FENCE wrote */
	__u32 status;	/* written by the engine: MGPU_ENG_STATUS_* */
	__u32 error;	/* written by the engine: MGPU_ENG_ERR_* */
	__u32 reserved[10];
};

/*
 * Commands. A command is a 32-bit header followed by 32-bit arguments, all little
 * endian; the header holds the opcode, the command's length in dwords (header
 * included) and flags. 64-bit values are two dwords, low first. Commands sit in the
 * ring back to back (the ring wraps) or in batch buffers elsewhere in VRAM.
 */
#define MGPU_CMD(op, dwords, flags)	((op) | ((dwords) << 8) | ((flags) << 24))
#define MGPU_CMD_OP(hdr)		((hdr) & 0xff)
#define MGPU_CMD_LEN(hdr)		(((hdr) >> 8) & 0xffff)
#define MGPU_CMD_FLAGS(hdr)		((hdr) >> 24)
#define MGPU_CMD_FLAG_IRQ		0x1	/* FENCE: raise MGPU_ENG_IRQ_FENCE */

#define MGPU_CMD_NOP		0x00	/* len >= 1; skips len - 1 dwords */
#define MGPU_CMD_FENCE		0x01	/* len 5: addr lo/hi (8 B aligned), value lo/hi */
#define MGPU_CMD_FILL		0x02	/* len 7: dst lo/hi, pitch, width, height, value */
#define MGPU_CMD_COPY		0x03	/* len 9: src, dst, src/dst pitch, width, height */
#define MGPU_CMD_CHECKSUM	0x04	/* len 6: src lo/hi, bytes, dst lo/hi: CRC-32 */
#define MGPU_CMD_BUSY		0x05	/* len 2: microseconds of engine time */
#define MGPU_CMD_CALL		0x06	/* len 4: addr lo/hi, bytes: run a batch buffer */
#define MGPU_CMD_RETURN		0x07	/* len 1: end the current batch buffer */
#define MGPU_CMD_JUMP		0x08	/* len 3: addr lo/hi: go on elsewhere in the batch */

#define MGPU_CMD_FENCE_LEN	5
#define MGPU_CMD_FILL_LEN	7
#define MGPU_CMD_COPY_LEN	9
#define MGPU_CMD_CHECKSUM_LEN	6
#define MGPU_CMD_BUSY_LEN	2
#define MGPU_CMD_CALL_LEN	4
#define MGPU_CMD_RETURN_LEN	1
#define MGPU_CMD_JUMP_LEN	3

#define MGPU_CMD_BUSY_MAX_US	100000	/* one BUSY runs at most 100 ms */
#define MGPU_CMD_CALL_DEPTH	4	/* batch buffers nest at most this deep */

/*
 * The native context: /dev/mgpu/<parent device name>, the same engine without VFIO,
 * for host programs (and the native baseline of every benchmark). After
 * MGPU_NATIVE_INIT the file's mmap() at offset 0 maps the context's VRAM, and
 * pread()/pwrite() of 4 bytes at offsets below MGPU_ENG_SIZE access its engine
 * registers, laid out as BAR3. The context is scheduled like a vGPU.
 */
struct mgpu_native_init {
	__u32 vram_mb;	/* VRAM to take from the GPU, in MiB (a multiple of 1) */
	__u32 weight;	/* scheduler weight; 0 takes the default */
};

#define MGPU_NATIVE_INIT	_IOW('M', 0x01, struct mgpu_native_init)

#endif /* _UAPI_LINUX_MGPU_H */
