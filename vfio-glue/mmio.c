// SPDX-License-Identifier: GPL-2.0-only
/*
 * mgpu: the emulated register window (BAR2) of a vGPU, modelled on QEMU's std-VGA MMIO
 * bar so that the stock bochs-drm driver runs unchanged, with every guest write folded
 * back into a mode whose scanout stays inside the vGPU's VRAM.
 *
 * Choices where QEMU is silent or unsafe for a shared GPU:
 *  - unknown offsets read as zero and ignore writes;
 *  - DISPI registers take 16-bit accesses, or 32-bit ones covering two registers;
 *    byte accesses are rejected (bochs-drm never makes them);
 *  - a DISPI depth outside {8, 15, 16, 24, 32} becomes 8: planar 4-bit is a VGA mode the
 *    host's scanout cannot present;
 *  - the 32-bit QEXT and IRQ registers can be read in pieces, but only a full 32-bit
 *    write takes effect, since half an ENDIAN value or half a write-1-to-clear is
 *    meaningless;
 *  - the VGA attribute controller keeps only its index (with the PAS "screen on" bit);
 *    0x3c1 reads back the last attribute data byte written.
 */
#ifdef __KERNEL__
#include <linux/errno.h>
#include <linux/string.h>
#else
#include <errno.h>
#include <string.h>
#endif

#include "mmio.h"

#define MMIO_QEXT_BYTES		8
#define MMIO_IRQ_BYTES		12
#define MMIO_DISPI_BYTES	(2 * MGPU_DISPI_NR)
/* Interrupt causes a guest may raise; the other bits of MGPU_IRQ_RAISE are reserved. */
#define MMIO_IRQ_CAUSES		MGPU_IRQ_CAUSE_SOFT

/* VGA ports as indexes into struct mgpu_mmio.vga. */
#define MMIO_VGA_PORT(p)	((p) - 0x3c0)
#define MMIO_VGA_ATT_W		MMIO_VGA_PORT(0x3c0)	/* attribute index / data write */
#define MMIO_VGA_ATT_R		MMIO_VGA_PORT(0x3c1)	/* attribute data read */
#define MMIO_VGA_MIS_W		MMIO_VGA_PORT(0x3c2)	/* misc output write */
#define MMIO_VGA_MIS_R		MMIO_VGA_PORT(0x3cc)	/* misc output read */
#define MMIO_VGA_IS1_RC		MMIO_VGA_PORT(0x3da)	/* input status 1 */
#define MMIO_VGA_ATT_PAS	0x20			/* palette address source: screen on */
#define MMIO_VGA_ATT_INDEX	0x3f

/* Which part of the window an (aligned) access starts in. */
enum mmio_block {
	MMIO_BLOCK_NONE,
	MMIO_BLOCK_EDID,
	MMIO_BLOCK_VGA,
	MMIO_BLOCK_DISPI,
	MMIO_BLOCK_REG32,
};

static u32 le_get(const void *val, size_t len)
{
	const u8 *p = val;
	u32 v = 0;
	size_t i;

	for (i = 0; i < len; i++)
		v |= (u32)p[i] << (8 * i);
	return v;
}

static void le_put(void *val, size_t len, u32 v)
{
	u8 *p = val;
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = v >> (8 * i);
}

static int mmio_check(u32 off, size_t len)
{
	if (len != 1 && len != 2 && len != 4)
		return -EINVAL;
	if (off >= MGPU_MMIO_SIZE || len > MGPU_MMIO_SIZE - off || off & (len - 1))
		return -EINVAL;
	return 0;
}

static int mmio_in(u32 off, u32 base, u32 size)
{
	return off >= base && off - base < size;
}

/* Blocks start 4-aligned and accesses are aligned, so no access spans two blocks. */
static enum mmio_block mmio_block(u32 off)
{
	if (mmio_in(off, MGPU_MMIO_EDID, MGPU_MMIO_EDID_SIZE))
		return MMIO_BLOCK_EDID;
	if (mmio_in(off, MGPU_MMIO_VGA, MGPU_MMIO_VGA_SIZE))
		return MMIO_BLOCK_VGA;
	if (mmio_in(off, MGPU_MMIO_DISPI, MMIO_DISPI_BYTES))
		return MMIO_BLOCK_DISPI;
	if (mmio_in(off, MGPU_MMIO_QEXT, MMIO_QEXT_BYTES) ||
	    mmio_in(off, MGPU_MMIO_IRQ, MMIO_IRQ_BYTES))
		return MMIO_BLOCK_REG32;
	return MMIO_BLOCK_NONE;
}

/* ---- VGA ports ---------------------------------------------------------------- */

static u8 vga_read(struct mgpu_mmio *m, unsigned int port)
{
	switch (port) {
	case MMIO_VGA_IS1_RC:
		/* Drivers read input status 1 only to put 0x3c0 back to "index next". */
		m->att_flipflop = 0;
		return 0;
	case MMIO_VGA_MIS_W:
		return 0;	/* input status 0: no retrace, no switch sense */
	case MMIO_VGA_MIS_R:
		return m->vga[MMIO_VGA_MIS_W];
	default:
		return m->vga[port];
	}
}

static void vga_write(struct mgpu_mmio *m, unsigned int port, u8 v)
{
	switch (port) {
	case MMIO_VGA_ATT_W:
		if (m->att_flipflop)
			m->vga[MMIO_VGA_ATT_R] = v;
		else
			m->vga[MMIO_VGA_ATT_W] = v & (MMIO_VGA_ATT_PAS | MMIO_VGA_ATT_INDEX);
		m->att_flipflop = !m->att_flipflop;
		break;
	case MMIO_VGA_MIS_R:
	case MMIO_VGA_IS1_RC:
		break;	/* read-only status, or feature control that drives nothing */
	default:
		m->vga[port] = v;
		break;
	}
}

/* ---- Bochs DISPI ----------------------------------------------------------------- */

static unsigned int dispi_cpp(u16 bpp)
{
	return (bpp + 7) / 8;	/* 15 bpp is stored in 16 bits */
}

static u16 dispi_read(const struct mgpu_mmio *m, unsigned int idx)
{
	/* GETCAPS turns the mode registers into "what is the most you support?". */
	if (m->dispi[MGPU_DISPI_ENABLE] & MGPU_DISPI_GETCAPS) {
		switch (idx) {
		case MGPU_DISPI_XRES:
			return MGPU_DISPI_MAX_XRES;
		case MGPU_DISPI_YRES:
			return MGPU_DISPI_MAX_YRES;
		case MGPU_DISPI_BPP:
			return MGPU_DISPI_MAX_BPP;
		}
	}
	return idx < MGPU_DISPI_NR ? m->dispi[idx] : 0;
}

static void dispi_fixup_bpp(u16 *r)
{
	switch (r[MGPU_DISPI_BPP]) {
	case 8:
	case 15:
	case 16:
	case 24:
	case 32:
		break;
	default:
		r[MGPU_DISPI_BPP] = 8;
		break;
	}
}

/* QEMU's rule: whole groups of 8 pixels, and a virtual screen at least as wide. */
static void dispi_fixup_width(u16 *r)
{
	r[MGPU_DISPI_XRES] &= ~7u;
	if (!r[MGPU_DISPI_XRES])
		r[MGPU_DISPI_XRES] = 8;
	if (r[MGPU_DISPI_XRES] > MGPU_DISPI_MAX_XRES)
		r[MGPU_DISPI_XRES] = MGPU_DISPI_MAX_XRES;
	r[MGPU_DISPI_VIRT_WIDTH] &= ~7u;
	if (r[MGPU_DISPI_VIRT_WIDTH] > MGPU_DISPI_MAX_XRES)
		r[MGPU_DISPI_VIRT_WIDTH] = MGPU_DISPI_MAX_XRES;
	if (r[MGPU_DISPI_VIRT_WIDTH] < r[MGPU_DISPI_XRES])
		r[MGPU_DISPI_VIRT_WIDTH] = r[MGPU_DISPI_XRES];
}

static void dispi_fixup_height(struct mgpu_mmio *m, u64 line)
{
	u64 maxy = m->vram_size / line;
	u16 *r = m->dispi;

	if (!r[MGPU_DISPI_YRES])
		r[MGPU_DISPI_YRES] = 1;
	if (r[MGPU_DISPI_YRES] > MGPU_DISPI_MAX_YRES)
		r[MGPU_DISPI_YRES] = MGPU_DISPI_MAX_YRES;
	if (r[MGPU_DISPI_YRES] > maxy)
		r[MGPU_DISPI_YRES] = maxy;
	/* A small depth on a big VRAM has more lines than the register can say. */
	r[MGPU_DISPI_VIRT_HEIGHT] = maxy < 0xffff ? maxy : 0xffff;
}

static u64 dispi_start(const u16 *r, u64 line, unsigned int cpp)
{
	return (u64)r[MGPU_DISPI_X_OFFSET] * cpp + r[MGPU_DISPI_Y_OFFSET] * line;
}

/* Panning must not move the visible frame past the VRAM: QEMU drops y, then x. */
static void dispi_fixup_offset(struct mgpu_mmio *m, u64 line, unsigned int cpp)
{
	u16 *r = m->dispi;
	u64 frame = r[MGPU_DISPI_YRES] * line;

	if (r[MGPU_DISPI_X_OFFSET] > MGPU_DISPI_MAX_XRES)
		r[MGPU_DISPI_X_OFFSET] = MGPU_DISPI_MAX_XRES;
	if (r[MGPU_DISPI_Y_OFFSET] > MGPU_DISPI_MAX_YRES)
		r[MGPU_DISPI_Y_OFFSET] = MGPU_DISPI_MAX_YRES;
	if (dispi_start(r, line, cpp) + frame > m->vram_size)
		r[MGPU_DISPI_Y_OFFSET] = 0;
	if (dispi_start(r, line, cpp) + frame > m->vram_size)
		r[MGPU_DISPI_X_OFFSET] = 0;
}

/*
 * Only an enabled mode is checked, as in QEMU: a driver programs XRES, YRES and BPP
 * one at a time while disabled, and checking each against its stale neighbours would
 * clamp the new mode to the old one.
 */
static void dispi_fixup(struct mgpu_mmio *m)
{
	unsigned int cpp;
	u64 line;

	if (!(m->dispi[MGPU_DISPI_ENABLE] & MGPU_DISPI_ENABLED))
		return;
	dispi_fixup_bpp(m->dispi);
	dispi_fixup_width(m->dispi);
	cpp = dispi_cpp(m->dispi[MGPU_DISPI_BPP]);
	line = (u64)m->dispi[MGPU_DISPI_VIRT_WIDTH] * cpp;
	dispi_fixup_height(m, line);
	dispi_fixup_offset(m, line, cpp);
}

static void dispi_enable(struct mgpu_mmio *m, u16 v)
{
	u16 *r = m->dispi;

	if ((v & MGPU_DISPI_ENABLED) && !(r[MGPU_DISPI_ENABLE] & MGPU_DISPI_ENABLED)) {
		/* A new mode starts unpanned, its virtual screen as wide as the visible one. */
		r[MGPU_DISPI_VIRT_WIDTH] = 0;
		r[MGPU_DISPI_X_OFFSET] = 0;
		r[MGPU_DISPI_Y_OFFSET] = 0;
		r[MGPU_DISPI_ENABLE] |= MGPU_DISPI_ENABLED;
		dispi_fixup(m);
		if (!(v & MGPU_DISPI_NOCLEARMEM))
			m->clear_vram = 1;
	}
	r[MGPU_DISPI_ENABLE] = v;
}

/* Banks are 64 KiB windows; any bank the mask lets through lies inside the VRAM. */
static u16 dispi_bank_mask(const struct mgpu_mmio *m)
{
	u64 banks = m->vram_size >> 16;

	if (!banks)
		return 0;
	return banks - 1 < 0xffff ? banks - 1 : 0xffff;
}

static void dispi_write(struct mgpu_mmio *m, unsigned int idx, u16 v)
{
	switch (idx) {
	case MGPU_DISPI_ID:
		if (v >= MGPU_DISPI_ID0 && v <= MGPU_DISPI_ID5)
			m->dispi[idx] = v;
		break;
	case MGPU_DISPI_XRES:
	case MGPU_DISPI_YRES:
	case MGPU_DISPI_BPP:
	case MGPU_DISPI_VIRT_WIDTH:
	case MGPU_DISPI_X_OFFSET:
	case MGPU_DISPI_Y_OFFSET:
		m->dispi[idx] = v;
		dispi_fixup(m);
		break;
	case MGPU_DISPI_BANK:
		m->dispi[idx] = v & dispi_bank_mask(m);
		break;
	case MGPU_DISPI_ENABLE:
		dispi_enable(m, v);
		break;
	default:
		break;	/* VIRT_HEIGHT and VIDEO_MEMORY_64K are derived */
	}
}

/* ---- QEMU extension and interrupt registers ------------------------------------- */

static u32 reg32_read(const struct mgpu_mmio *m, u32 reg)
{
	switch (reg) {
	case MGPU_QEXT_SIZE:
		return MMIO_QEXT_BYTES;
	case MGPU_QEXT_ENDIAN:
		return m->endian;
	case MGPU_IRQ_STATUS:
		return m->irq_status;
	case MGPU_IRQ_MASK:
		return m->irq_mask;
	default:
		return 0;	/* MGPU_IRQ_RAISE is write-only */
	}
}

static void reg32_write(struct mgpu_mmio *m, u32 reg, u32 v)
{
	switch (reg) {
	case MGPU_QEXT_ENDIAN:
		if (v == MGPU_QEXT_ENDIAN_LITTLE || v == MGPU_QEXT_ENDIAN_BIG)
			m->endian = v;
		break;
	case MGPU_IRQ_STATUS:
		m->irq_status &= ~v;
		break;
	case MGPU_IRQ_MASK:
		m->irq_mask = v;
		break;
	case MGPU_IRQ_RAISE:
		m->irq_status |= v & MMIO_IRQ_CAUSES;
		break;
	}
}

/* ---- The window ------------------------------------------------------------------ */

/**
 * mgpu_mmio_reset - put the registers in their power-on state
 * @m: the register state
 *
 * DISPI disabled with ID5, the screen blanked (attribute PAS clear), little-endian,
 * no interrupts. The VRAM size and the EDID blob belong to the host and are kept.
 *
 * Context: any; does not sleep. The caller serialises all calls on @m.
 */
void mgpu_mmio_reset(struct mgpu_mmio *m)
{
	u64 units = m->vram_size >> 16;

	memset(m->dispi, 0, sizeof(m->dispi));
	m->dispi[MGPU_DISPI_ID] = MGPU_DISPI_ID5;
	m->dispi[MGPU_DISPI_VIDEO_MEMORY_64K] = units < 0xffff ? units : 0xffff;
	memset(m->vga, 0, sizeof(m->vga));
	m->att_flipflop = 0;
	m->endian = MGPU_QEXT_ENDIAN_LITTLE;
	m->irq_status = 0;
	m->irq_mask = 0;
	m->clear_vram = 0;
}

/**
 * mgpu_mmio_init - build a power-on register window
 * @m: the register state to fill
 * @vram_size: the vGPU's VRAM in bytes, a power of two from 8 MiB to 256 MiB
 *
 * The EDID starts empty (all zero, which bochs-drm takes as "no EDID").
 *
 * Context: any; does not sleep.
 */
void mgpu_mmio_init(struct mgpu_mmio *m, u64 vram_size)
{
	memset(m, 0, sizeof(*m));
	m->vram_size = vram_size;
	mgpu_mmio_reset(m);
}

static u32 vga_read_n(struct mgpu_mmio *m, unsigned int port, size_t len)
{
	u32 v = 0;
	size_t i;

	/* Wider accesses are a run of byte accesses, lowest port first, as in QEMU. */
	for (i = 0; i < len; i++)
		v |= (u32)vga_read(m, port + i) << (8 * i);
	return v;
}

/**
 * mgpu_mmio_read - a guest read from the register window
 * @m: the register state
 * @off: byte offset in BAR2
 * @val: where the little-endian bytes go
 * @len: 1, 2 or 4
 *
 * Reads can have side effects (input status 1 resets the attribute flip-flop).
 *
 * Return: 0, or -EINVAL for a bad size, alignment or offset, or a byte access to the
 * DISPI registers.
 *
 * Context: any; does not sleep. The caller serialises all calls on @m.
 */
int mgpu_mmio_read(struct mgpu_mmio *m, u32 off, void *val, size_t len)
{
	int ret = mmio_check(off, len);
	unsigned int idx = (off - MGPU_MMIO_DISPI) / 2;
	u32 v = 0;

	if (ret)
		return ret;
	switch (mmio_block(off)) {
	case MMIO_BLOCK_EDID:
		memcpy(val, m->edid + off - MGPU_MMIO_EDID, len);
		return 0;
	case MMIO_BLOCK_VGA:
		v = vga_read_n(m, off - MGPU_MMIO_VGA, len);
		break;
	case MMIO_BLOCK_DISPI:
		if (len == 1)
			return -EINVAL;
		v = dispi_read(m, idx) | (len == 4 ? (u32)dispi_read(m, idx + 1) << 16 : 0);
		break;
	case MMIO_BLOCK_REG32:
		v = reg32_read(m, off & ~3u) >> (8 * (off & 3));
		break;
	case MMIO_BLOCK_NONE:
		break;
	}
	le_put(val, len, v);
	return 0;
}

/**
 * mgpu_mmio_write - a guest write to the register window
 * @m: the register state
 * @off: byte offset in BAR2
 * @val: the little-endian bytes
 * @len: 1, 2 or 4
 *
 * Writes to the EDID, to read-only or unknown registers, and partial writes of a
 * 32-bit register are ignored. The caller should check @m->clear_vram afterwards.
 *
 * Return: 0, or -EINVAL for a bad size, alignment or offset, or a byte access to the
 * DISPI registers.
 *
 * Context: any; does not sleep. The caller serialises all calls on @m.
 */
int mgpu_mmio_write(struct mgpu_mmio *m, u32 off, const void *val, size_t len)
{
	int ret = mmio_check(off, len);
	unsigned int idx = (off - MGPU_MMIO_DISPI) / 2;
	u32 v, i;

	if (ret)
		return ret;
	v = le_get(val, len);
	switch (mmio_block(off)) {
	case MMIO_BLOCK_VGA:
		for (i = 0; i < len; i++)
			vga_write(m, off - MGPU_MMIO_VGA + i, v >> (8 * i));
		break;
	case MMIO_BLOCK_DISPI:
		if (len == 1)
			return -EINVAL;
		dispi_write(m, idx, v);
		if (len == 4)
			dispi_write(m, idx + 1, v >> 16);
		break;
	case MMIO_BLOCK_REG32:
		if (len == 4)
			reg32_write(m, off, v);
		break;
	case MMIO_BLOCK_EDID:
	case MMIO_BLOCK_NONE:
		break;
	}
	return 0;
}

static void mode_geometry(const struct mgpu_mmio *m, struct mgpu_mode *mode)
{
	const u16 *r = m->dispi;
	unsigned int cpp = dispi_cpp(r[MGPU_DISPI_BPP]);

	mode->width = r[MGPU_DISPI_XRES];
	mode->height = r[MGPU_DISPI_YRES];
	mode->bpp = r[MGPU_DISPI_BPP];
	mode->stride = r[MGPU_DISPI_VIRT_WIDTH] * cpp;
	mode->offset = dispi_start(r, mode->stride, cpp);
}

/* Checked again here so that no bug in the fixups can point the host past the VRAM. */
static int mode_fits(const struct mgpu_mmio *m, const struct mgpu_mode *mode)
{
	u64 frame = (u64)mode->stride * mode->height;

	if (!mode->width || !mode->height || mode->bpp < 8 || mode->bpp > 32)
		return 0;
	if ((u64)mode->width * dispi_cpp(mode->bpp) > mode->stride)
		return 0;
	return mode->offset <= m->vram_size && frame <= m->vram_size - mode->offset;
}

/**
 * mgpu_mmio_mode - what the vGPU scans out now
 * @m: the register state
 * @mode: filled in
 *
 * While DISPI is enabled the geometry is reported and lies within the VRAM even when
 * @mode->enabled is clear (no linear framebuffer, or the screen blanked through the
 * attribute controller), so a caller can honour @m->clear_vram; otherwise it is zero.
 * A power-on device reports disabled.
 *
 * Context: any; does not sleep. The caller serialises all calls on @m.
 */
void mgpu_mmio_mode(const struct mgpu_mmio *m, struct mgpu_mode *mode)
{
	const u16 *r = m->dispi;
	int big = m->endian == MGPU_QEXT_ENDIAN_BIG;

	memset(mode, 0, sizeof(*mode));
	mode->big_endian = big;
	if (!(r[MGPU_DISPI_ENABLE] & MGPU_DISPI_ENABLED))
		return;
	mode_geometry(m, mode);
	if (!mode_fits(m, mode)) {
		memset(mode, 0, sizeof(*mode));
		mode->big_endian = big;
		return;
	}
	mode->enabled = (r[MGPU_DISPI_ENABLE] & MGPU_DISPI_LFB_ENABLED) &&
			(m->vga[MMIO_VGA_ATT_W] & MMIO_VGA_ATT_PAS);
}

/**
 * mgpu_mmio_irq_pending - whether the vGPU's interrupt line is asserted
 * @m: the register state
 *
 * Return: non-zero when an enabled cause is pending.
 *
 * Context: any; does not sleep.
 */
int mgpu_mmio_irq_pending(const struct mgpu_mmio *m)
{
	return (m->irq_status & m->irq_mask) != 0;
}
