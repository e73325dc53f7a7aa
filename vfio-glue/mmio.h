/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * mgpu: the emulated register window (BAR2) of a vGPU — EDID, VGA ports, Bochs DISPI
 * registers, QEMU extension registers and mgpu's interrupt block. Pure logic with no
 * kernel dependency, so the host-tier tests compile the same file in userspace.
 */
#ifndef MGPU_MMIO_H
#define MGPU_MMIO_H

#include "cfgspace.h"	/* u8..u64 in both worlds */
#include <linux/mgpu.h>

/**
 * struct mgpu_mode - what the vGPU scans out, derived from the registers
 * @enabled: DISPI enabled with a linear framebuffer, and the screen not blanked
 * @width: visible pixels per line
 * @height: visible lines
 * @bpp: bits per pixel (8, 15, 16, 24 or 32)
 * @stride: bytes per line of the virtual screen
 * @offset: byte offset in VRAM of the first visible pixel
 * @big_endian: framebuffer byte order (QEXT_ENDIAN)
 *
 * Whenever @enabled is set, @offset + @stride * (@height - 1) + @width * bytes/pixel
 * lies within the VRAM: a guest cannot make the host read past its partition.
 */
struct mgpu_mode {
	int enabled;
	u32 width, height, bpp, stride;
	u64 offset;
	int big_endian;
};

/**
 * struct mgpu_mmio - the live register state of one vGPU
 * @vram_size: the vGPU's VRAM in bytes (a power of two, 8 MiB .. 256 MiB)
 * @dispi: DISPI registers, MGPU_DISPI_NR of them
 * @vga: the VGA ports 0x3c0..0x3df as last written (reads model what bochs-drm uses)
 * @att_flipflop: VGA attribute controller: 0 = next 0x3c0 write is the index
 * @edid: the EDID blob the guest reads at offset 0 (filled by the VFIO EDID region)
 * @endian: QEXT_ENDIAN value
 * @irq_status: pending interrupt causes
 * @irq_mask: enabled interrupt causes
 * @clear_vram: set by a DISPI enable without NOCLEARMEM: the caller must clear the
 *	visible framebuffer (mode offset, stride * height bytes) and reset the flag
 */
struct mgpu_mmio {
	u64 vram_size;
	u16 dispi[MGPU_DISPI_NR];
	u8 vga[MGPU_MMIO_VGA_SIZE];
	int att_flipflop;
	u8 edid[MGPU_MMIO_EDID_SIZE];
	u32 endian;
	u32 irq_status;
	u32 irq_mask;
	int clear_vram;
};

void mgpu_mmio_init(struct mgpu_mmio *m, u64 vram_size);
void mgpu_mmio_reset(struct mgpu_mmio *m);
int mgpu_mmio_read(struct mgpu_mmio *m, u32 off, void *val, size_t len);
int mgpu_mmio_write(struct mgpu_mmio *m, u32 off, const void *val, size_t len);
void mgpu_mmio_mode(const struct mgpu_mmio *m, struct mgpu_mode *mode);
int mgpu_mmio_irq_pending(const struct mgpu_mmio *m);

#endif /* MGPU_MMIO_H */
