// SPDX-License-Identifier: GPL-2.0-only
/*
 * Host tier: the BAR2 register window (vfio-glue/mmio.c) compiled as plain userspace C,
 * driven with the exact register sequences of bochs-drm's probe, modeset, page flip and
 * blanking, then with millions of hostile writes that must never yield a scanout
 * reaching past the VRAM.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"
#include "mmio.h"

#define MiB		(1024 * 1024ull)
#define VGA_MIS_W	0x3c2
#define VGA_MIS_COLOR	0x01
#define VGA_ATT_W	0x3c0
#define VGA_ATT_R	0x3c1
#define VGA_MIS_R	0x3cc
#define VGA_IS1_RC	0x3da

/* ---- register access, as the guest's readb/readw/readl would see it ---- */

static uint32_t rd(struct mgpu_mmio *m, uint32_t off, size_t len)
{
	uint32_t v = 0;

	if (mgpu_mmio_read(m, off, &v, len))
		return 0xdeadbeef;
	return v;
}

static int wr(struct mgpu_mmio *m, uint32_t off, uint32_t v, size_t len)
{
	return mgpu_mmio_write(m, off, &v, len);
}

static uint16_t dispi_rd(struct mgpu_mmio *m, unsigned int reg)
{
	return rd(m, MGPU_MMIO_DISPI + 2 * reg, 2);
}

static void dispi_wr(struct mgpu_mmio *m, unsigned int reg, uint16_t v)
{
	wr(m, MGPU_MMIO_DISPI + 2 * reg, v, 2);
}

static uint8_t vga_rd(struct mgpu_mmio *m, unsigned int port)
{
	return rd(m, MGPU_MMIO_VGA + port - 0x3c0, 1);
}

static void vga_wr(struct mgpu_mmio *m, unsigned int port, uint8_t v)
{
	wr(m, MGPU_MMIO_VGA + port - 0x3c0, v, 1);
}

/* ---- bochs-drm (drivers/gpu/drm/tiny/bochs.c, 6.12), transcribed ---- */

/* bochs_hw_init: returns the framebuffer size, 0 if the driver would bail out. */
static uint64_t bochs_hw_init(struct mgpu_mmio *m, uint64_t bar0_size, uint32_t *qext)
{
	uint16_t id = dispi_rd(m, MGPU_DISPI_ID);
	uint64_t mem = dispi_rd(m, MGPU_DISPI_VIDEO_MEMORY_64K) * 64 * 1024ull;

	if ((id & 0xfff0) != MGPU_DISPI_ID0)
		return 0;
	*qext = rd(m, MGPU_QEXT_SIZE, 4);
	if (*qext < 4 || *qext > MGPU_MMIO_SIZE)
		*qext = 0;
	else
		wr(m, MGPU_QEXT_ENDIAN, MGPU_QEXT_ENDIAN_LITTLE, 4);
	return bar0_size < mem ? bar0_size : mem;
}

static void bochs_hw_blank(struct mgpu_mmio *m, int blank)
{
	vga_wr(m, VGA_MIS_W, VGA_MIS_COLOR);
	(void)vga_rd(m, VGA_IS1_RC);
	vga_wr(m, VGA_ATT_W, blank ? 0 : 0x20);
}

static void bochs_hw_setmode(struct mgpu_mmio *m, uint16_t x, uint16_t y, uint64_t fb)
{
	uint32_t stride = x * 4;
	uint16_t yres_virtual = fb / stride;	/* a u16 in struct bochs_device */

	bochs_hw_blank(m, 0);
	dispi_wr(m, MGPU_DISPI_ENABLE, 0);
	dispi_wr(m, MGPU_DISPI_BPP, 32);
	dispi_wr(m, MGPU_DISPI_XRES, x);
	dispi_wr(m, MGPU_DISPI_YRES, y);
	dispi_wr(m, MGPU_DISPI_BANK, 0);
	dispi_wr(m, MGPU_DISPI_VIRT_WIDTH, x);
	dispi_wr(m, MGPU_DISPI_VIRT_HEIGHT, yres_virtual);
	dispi_wr(m, MGPU_DISPI_X_OFFSET, 0);
	dispi_wr(m, MGPU_DISPI_Y_OFFSET, 0);
	dispi_wr(m, MGPU_DISPI_ENABLE, MGPU_DISPI_ENABLED | MGPU_DISPI_LFB_ENABLED);
}

static void bochs_hw_setbase(struct mgpu_mmio *m, int x, int y, int stride, uint64_t addr)
{
	unsigned long offset = addr + y * stride + x * 4;

	dispi_wr(m, MGPU_DISPI_VIRT_WIDTH, stride * 8 / 32);
	dispi_wr(m, MGPU_DISPI_X_OFFSET, (offset % stride) * 8 / 32);
	dispi_wr(m, MGPU_DISPI_Y_OFFSET, offset / stride);
}

/* The invariant of struct mgpu_mode, computed independently of mmio.c. */
static int mode_within(const struct mgpu_mode *mo, uint64_t vram)
{
	uint64_t cpp = (mo->bpp + 7) / 8, end;

	if (!mo->width || !mo->height || !mo->stride)
		return 0;
	end = mo->offset + (uint64_t)mo->stride * (mo->height - 1) + mo->width * cpp;
	return end <= vram;
}

/* ---- fixture: one vGPU per VRAM size ---- */

FIXTURE(mmio) {
	struct mgpu_mmio m;
	struct mgpu_mode mode;
};

FIXTURE_VARIANT(mmio) {
	uint64_t vram;
};

FIXTURE_VARIANT_ADD(mmio, vram_8m) { .vram = 8 * MiB };
FIXTURE_VARIANT_ADD(mmio, vram_16m) { .vram = 16 * MiB };
FIXTURE_VARIANT_ADD(mmio, vram_64m) { .vram = 64 * MiB };
FIXTURE_VARIANT_ADD(mmio, vram_256m) { .vram = 256 * MiB };

FIXTURE_SETUP(mmio)
{
	mgpu_mmio_init(&self->m, variant->vram);
}

FIXTURE_TEARDOWN(mmio)
{
}

TEST_F(mmio, power_on)
{
	EXPECT_EQ(MGPU_DISPI_ID5, dispi_rd(&self->m, MGPU_DISPI_ID));
	EXPECT_EQ(variant->vram >> 16, dispi_rd(&self->m, MGPU_DISPI_VIDEO_MEMORY_64K));
	EXPECT_EQ(0, dispi_rd(&self->m, MGPU_DISPI_ENABLE));
	EXPECT_EQ(8, rd(&self->m, MGPU_QEXT_SIZE, 4));
	EXPECT_EQ(MGPU_QEXT_ENDIAN_LITTLE, rd(&self->m, MGPU_QEXT_ENDIAN, 4));
	EXPECT_EQ(0, rd(&self->m, MGPU_IRQ_STATUS, 4));
	EXPECT_EQ(0, rd(&self->m, MGPU_IRQ_MASK, 4));
	EXPECT_EQ(0, mgpu_mmio_irq_pending(&self->m));
	EXPECT_EQ(0, self->m.clear_vram);
	mgpu_mmio_mode(&self->m, &self->mode);
	EXPECT_EQ(0, self->mode.enabled);
	EXPECT_EQ(0, self->mode.big_endian);
}

TEST_F(mmio, bochs_probe)
{
	uint32_t qext;
	uint64_t fb = bochs_hw_init(&self->m, variant->vram, &qext);

	EXPECT_EQ(variant->vram, fb);
	EXPECT_EQ(8, qext);
	EXPECT_EQ(MGPU_QEXT_ENDIAN_LITTLE, rd(&self->m, MGPU_QEXT_ENDIAN, 4));
	/* the driver would call a smaller BAR0 a size mismatch */
	EXPECT_EQ(variant->vram / 2, bochs_hw_init(&self->m, variant->vram / 2, &qext));
}

TEST_F(mmio, bochs_modeset)
{
	bochs_hw_setmode(&self->m, 1024, 768, variant->vram);
	bochs_hw_setbase(&self->m, 0, 0, 4096, 0);
	mgpu_mmio_mode(&self->m, &self->mode);
	EXPECT_EQ(1, self->mode.enabled);
	EXPECT_EQ(1024, self->mode.width);
	EXPECT_EQ(768, self->mode.height);
	EXPECT_EQ(32, self->mode.bpp);
	EXPECT_EQ(4096, self->mode.stride);
	EXPECT_EQ(0, self->mode.offset);
	EXPECT_EQ(0, self->mode.big_endian);
	EXPECT_EQ(1, self->m.clear_vram);
	EXPECT_EQ(variant->vram / 4096 > 0xffff ? 0xffff : variant->vram / 4096,
		  dispi_rd(&self->m, MGPU_DISPI_VIRT_HEIGHT));
}

TEST_F(mmio, bochs_modeset_1080p)
{
	uint64_t lines = variant->vram / 7680;

	bochs_hw_setmode(&self->m, 1920, 1080, variant->vram);
	bochs_hw_setbase(&self->m, 0, 0, 7680, 0);
	mgpu_mmio_mode(&self->m, &self->mode);
	ASSERT_EQ(1, self->mode.enabled);
	EXPECT_EQ(1920, self->mode.width);
	EXPECT_EQ(lines < 1080 ? lines : 1080, self->mode.height);
	EXPECT_EQ(7680, self->mode.stride);
}

/* Page flips: bochs-drm pans to where the new buffer object sits in VRAM. */
TEST_F(mmio, bochs_page_flip)
{
	uint64_t second = 1024 * 768 * 4, third = second + 8192;

	bochs_hw_setmode(&self->m, 1024, 768, variant->vram);
	bochs_hw_setbase(&self->m, 0, 0, 4096, second);
	mgpu_mmio_mode(&self->m, &self->mode);
	EXPECT_EQ(second, self->mode.offset);
	EXPECT_EQ(768, dispi_rd(&self->m, MGPU_DISPI_Y_OFFSET));
	bochs_hw_setbase(&self->m, 16, 0, 4096, third);
	mgpu_mmio_mode(&self->m, &self->mode);
	EXPECT_EQ(third + 64, self->mode.offset);
	EXPECT_EQ(16, dispi_rd(&self->m, MGPU_DISPI_X_OFFSET));
	EXPECT_EQ(1, self->mode.enabled);
	bochs_hw_setbase(&self->m, 0, 0, 4096, 0);
	mgpu_mmio_mode(&self->m, &self->mode);
	EXPECT_EQ(0, self->mode.offset);
}

/* A flip to a buffer that would end past the VRAM is refused, not honoured. */
TEST_F(mmio, flip_past_vram_is_refused)
{
	bochs_hw_setmode(&self->m, 16000, 768, variant->vram);
	dispi_wr(&self->m, MGPU_DISPI_X_OFFSET, 8);
	dispi_wr(&self->m, MGPU_DISPI_Y_OFFSET, variant->vram / 64000 - 100);
	mgpu_mmio_mode(&self->m, &self->mode);
	EXPECT_EQ(1, self->mode.enabled);
	EXPECT_EQ(32, self->mode.offset);	/* the y pan goes, the x pan stays */
	EXPECT_EQ(0, dispi_rd(&self->m, MGPU_DISPI_Y_OFFSET));
	EXPECT_TRUE(mode_within(&self->mode, variant->vram));
}

/* As in QEMU, a y pan beyond MAX_YRES lines is cut to MAX_YRES, then checked. */
TEST_F(mmio, y_offset_limit)
{
	uint64_t end = (MGPU_DISPI_MAX_YRES + 768ull) * 4096;

	bochs_hw_setmode(&self->m, 1024, 768, variant->vram);
	dispi_wr(&self->m, MGPU_DISPI_Y_OFFSET, MGPU_DISPI_MAX_YRES + 1000);
	EXPECT_EQ(end <= variant->vram ? MGPU_DISPI_MAX_YRES : 0,
		  dispi_rd(&self->m, MGPU_DISPI_Y_OFFSET));
}

TEST_F(mmio, bochs_big_endian_format)
{
	bochs_hw_setmode(&self->m, 800, 600, variant->vram);
	wr(&self->m, MGPU_QEXT_ENDIAN, MGPU_QEXT_ENDIAN_BIG, 4);	/* BGRX8888 */
	mgpu_mmio_mode(&self->m, &self->mode);
	EXPECT_EQ(1, self->mode.big_endian);
	EXPECT_EQ(MGPU_QEXT_ENDIAN_BIG, rd(&self->m, MGPU_QEXT_ENDIAN, 4));
	wr(&self->m, MGPU_QEXT_ENDIAN, MGPU_QEXT_ENDIAN_LITTLE, 4);	/* XRGB8888 */
	mgpu_mmio_mode(&self->m, &self->mode);
	EXPECT_EQ(0, self->mode.big_endian);
}

TEST_F(mmio, bochs_blanking)
{
	bochs_hw_setmode(&self->m, 1024, 768, variant->vram);
	bochs_hw_blank(&self->m, 1);
	mgpu_mmio_mode(&self->m, &self->mode);
	EXPECT_EQ(0, self->mode.enabled);
	EXPECT_EQ(1024, self->mode.width);	/* geometry stays for clear_vram */
	bochs_hw_blank(&self->m, 0);
	mgpu_mmio_mode(&self->m, &self->mode);
	EXPECT_EQ(1, self->mode.enabled);
	EXPECT_EQ(VGA_MIS_COLOR, vga_rd(&self->m, VGA_MIS_R));
	EXPECT_EQ(0, vga_rd(&self->m, VGA_MIS_W));
}

/* 0x3c0 alternates index and data; reading 0x3da puts it back to index. */
TEST_F(mmio, attribute_flip_flop)
{
	bochs_hw_setmode(&self->m, 640, 480, variant->vram);
	vga_wr(&self->m, VGA_ATT_W, 0x00);	/* a data byte: flip-flop is at data */
	mgpu_mmio_mode(&self->m, &self->mode);
	EXPECT_EQ(1, self->mode.enabled);
	EXPECT_EQ(0x00, vga_rd(&self->m, VGA_ATT_R));
	vga_wr(&self->m, VGA_ATT_W, 0x13);	/* index without PAS: blanks */
	mgpu_mmio_mode(&self->m, &self->mode);
	EXPECT_EQ(0, self->mode.enabled);
	EXPECT_EQ(0x13, vga_rd(&self->m, VGA_ATT_W));
	vga_wr(&self->m, VGA_ATT_W, 0x55);
	EXPECT_EQ(0x55, vga_rd(&self->m, VGA_ATT_R));
	vga_wr(&self->m, VGA_ATT_W, 0x11);	/* data? no: index again */
	(void)vga_rd(&self->m, VGA_IS1_RC);
	vga_wr(&self->m, VGA_ATT_W, 0x20);
	mgpu_mmio_mode(&self->m, &self->mode);
	EXPECT_EQ(1, self->mode.enabled);
}

TEST_F(mmio, dispi_enable_needs_lfb)
{
	bochs_hw_setmode(&self->m, 1024, 768, variant->vram);
	dispi_wr(&self->m, MGPU_DISPI_ENABLE, MGPU_DISPI_ENABLED);
	mgpu_mmio_mode(&self->m, &self->mode);
	EXPECT_EQ(0, self->mode.enabled);
	dispi_wr(&self->m, MGPU_DISPI_ENABLE, 0);
	mgpu_mmio_mode(&self->m, &self->mode);
	EXPECT_EQ(0, self->mode.enabled);
	EXPECT_EQ(0, self->mode.width);
}

TEST_F(mmio, getcaps)
{
	dispi_wr(&self->m, MGPU_DISPI_XRES, 640);
	dispi_wr(&self->m, MGPU_DISPI_ENABLE, MGPU_DISPI_GETCAPS);
	EXPECT_EQ(MGPU_DISPI_MAX_XRES, dispi_rd(&self->m, MGPU_DISPI_XRES));
	EXPECT_EQ(MGPU_DISPI_MAX_YRES, dispi_rd(&self->m, MGPU_DISPI_YRES));
	EXPECT_EQ(MGPU_DISPI_MAX_BPP, dispi_rd(&self->m, MGPU_DISPI_BPP));
	EXPECT_EQ(MGPU_DISPI_GETCAPS, dispi_rd(&self->m, MGPU_DISPI_ENABLE));
	dispi_wr(&self->m, MGPU_DISPI_ENABLE, 0);
	EXPECT_EQ(640, dispi_rd(&self->m, MGPU_DISPI_XRES));
}

TEST_F(mmio, clear_vram)
{
	dispi_wr(&self->m, MGPU_DISPI_ENABLE, MGPU_DISPI_ENABLED | MGPU_DISPI_NOCLEARMEM |
		 MGPU_DISPI_LFB_ENABLED);
	EXPECT_EQ(0, self->m.clear_vram);
	dispi_wr(&self->m, MGPU_DISPI_ENABLE, 0);
	dispi_wr(&self->m, MGPU_DISPI_ENABLE, MGPU_DISPI_ENABLED);
	EXPECT_EQ(1, self->m.clear_vram);
	self->m.clear_vram = 0;
	/* already enabled: not a new mode, nothing to clear (as QEMU) */
	dispi_wr(&self->m, MGPU_DISPI_ENABLE, MGPU_DISPI_ENABLED | MGPU_DISPI_LFB_ENABLED);
	EXPECT_EQ(0, self->m.clear_vram);
}

/* QEMU's vbe_fixup_regs, register by register, on an enabled mode. */
TEST_F(mmio, clamping)
{
	uint64_t maxy;

	bochs_hw_setmode(&self->m, 1024, 768, variant->vram);
	dispi_wr(&self->m, MGPU_DISPI_XRES, 0);
	EXPECT_EQ(8, dispi_rd(&self->m, MGPU_DISPI_XRES));
	dispi_wr(&self->m, MGPU_DISPI_XRES, 1366);
	EXPECT_EQ(1360, dispi_rd(&self->m, MGPU_DISPI_XRES));
	EXPECT_EQ(1360, dispi_rd(&self->m, MGPU_DISPI_VIRT_WIDTH));
	dispi_wr(&self->m, MGPU_DISPI_XRES, 0xffff);
	EXPECT_EQ(MGPU_DISPI_MAX_XRES, dispi_rd(&self->m, MGPU_DISPI_XRES));
	dispi_wr(&self->m, MGPU_DISPI_VIRT_WIDTH, 8);
	EXPECT_EQ(MGPU_DISPI_MAX_XRES, dispi_rd(&self->m, MGPU_DISPI_VIRT_WIDTH));
	dispi_wr(&self->m, MGPU_DISPI_YRES, 0);
	EXPECT_EQ(1, dispi_rd(&self->m, MGPU_DISPI_YRES));
	dispi_wr(&self->m, MGPU_DISPI_YRES, 0xffff);
	maxy = variant->vram / (MGPU_DISPI_MAX_XRES * 4);
	EXPECT_EQ(maxy < MGPU_DISPI_MAX_YRES ? maxy : MGPU_DISPI_MAX_YRES,
		  dispi_rd(&self->m, MGPU_DISPI_YRES));
	EXPECT_EQ(maxy, dispi_rd(&self->m, MGPU_DISPI_VIRT_HEIGHT));
	dispi_wr(&self->m, MGPU_DISPI_VIRT_HEIGHT, 1);
	EXPECT_EQ(maxy, dispi_rd(&self->m, MGPU_DISPI_VIRT_HEIGHT));
	mgpu_mmio_mode(&self->m, &self->mode);
	EXPECT_EQ(1, self->mode.enabled);
	EXPECT_TRUE(mode_within(&self->mode, variant->vram));
}

TEST_F(mmio, bpp_values)
{
	static const struct { uint16_t in, out, stride; } t[] = {
		{ 8, 8, 640 }, { 15, 15, 1280 }, { 16, 16, 1280 }, { 24, 24, 1920 },
		{ 32, 32, 2560 }, { 4, 8, 640 }, { 0, 8, 640 }, { 33, 8, 640 }, { 0xffff, 8, 640 },
	};
	unsigned int i;

	bochs_hw_setmode(&self->m, 640, 480, variant->vram);
	for (i = 0; i < ARRAY_SIZE(t); i++) {
		dispi_wr(&self->m, MGPU_DISPI_BPP, t[i].in);
		mgpu_mmio_mode(&self->m, &self->mode);
		EXPECT_EQ(t[i].out, dispi_rd(&self->m, MGPU_DISPI_BPP)) TH_LOG("bpp %u", t[i].in);
		EXPECT_EQ(t[i].out, self->mode.bpp);
		EXPECT_EQ(t[i].stride, self->mode.stride) TH_LOG("bpp %u", t[i].in);
	}
}

/* Programming a mode while disabled is not clamped against the previous mode. */
TEST_F(mmio, disabled_writes_not_fixed_up)
{
	bochs_hw_setmode(&self->m, 16000, 100, variant->vram);
	dispi_wr(&self->m, MGPU_DISPI_ENABLE, 0);
	dispi_wr(&self->m, MGPU_DISPI_XRES, 1366);
	dispi_wr(&self->m, MGPU_DISPI_YRES, 1000);
	EXPECT_EQ(1366, dispi_rd(&self->m, MGPU_DISPI_XRES));
	EXPECT_EQ(1000, dispi_rd(&self->m, MGPU_DISPI_YRES));
	dispi_wr(&self->m, MGPU_DISPI_ENABLE, MGPU_DISPI_ENABLED | MGPU_DISPI_LFB_ENABLED);
	mgpu_mmio_mode(&self->m, &self->mode);
	EXPECT_EQ(1360, self->mode.width);
	EXPECT_EQ(1000, self->mode.height);
	EXPECT_EQ(1360 * 4, self->mode.stride);
}

TEST_F(mmio, id_bank_and_read_only)
{
	dispi_wr(&self->m, MGPU_DISPI_ID, MGPU_DISPI_ID0 + 2);
	EXPECT_EQ(MGPU_DISPI_ID0 + 2, dispi_rd(&self->m, MGPU_DISPI_ID));
	dispi_wr(&self->m, MGPU_DISPI_ID, 0xb0c6);
	dispi_wr(&self->m, MGPU_DISPI_ID, 0x1234);
	EXPECT_EQ(MGPU_DISPI_ID0 + 2, dispi_rd(&self->m, MGPU_DISPI_ID));
	dispi_wr(&self->m, MGPU_DISPI_BANK, 0xffff);
	EXPECT_EQ((variant->vram >> 16) - 1, dispi_rd(&self->m, MGPU_DISPI_BANK));
	dispi_wr(&self->m, MGPU_DISPI_VIDEO_MEMORY_64K, 1);
	EXPECT_EQ(variant->vram >> 16, dispi_rd(&self->m, MGPU_DISPI_VIDEO_MEMORY_64K));
	wr(&self->m, MGPU_QEXT_SIZE, 0x1000, 4);
	EXPECT_EQ(8, rd(&self->m, MGPU_QEXT_SIZE, 4));
}

/* 32-bit accesses cover two DISPI registers, low half first. */
TEST_F(mmio, dispi_32bit)
{
	EXPECT_EQ(0, wr(&self->m, MGPU_MMIO_DISPI + 2 * MGPU_DISPI_YRES, 0x00200300, 4));
	EXPECT_EQ(0x300, dispi_rd(&self->m, MGPU_DISPI_YRES));
	EXPECT_EQ(0x20, dispi_rd(&self->m, MGPU_DISPI_BPP));
	EXPECT_EQ(0x00200300, rd(&self->m, MGPU_MMIO_DISPI + 2 * MGPU_DISPI_YRES, 4));
	EXPECT_EQ(variant->vram >> 16,
		  rd(&self->m, MGPU_MMIO_DISPI + 2 * MGPU_DISPI_VIDEO_MEMORY_64K, 4));
	EXPECT_EQ(0, wr(&self->m, MGPU_MMIO_DISPI + 2 * MGPU_DISPI_VIDEO_MEMORY_64K, ~0u, 4));
}

TEST_F(mmio, edid)
{
	uint8_t hdr[8];
	unsigned int i;

	for (i = 0; i < MGPU_MMIO_EDID_SIZE; i++)
		self->m.edid[i] = i * 7 + 1;
	for (i = 0; i < sizeof(hdr); i++)	/* bochs_get_edid_block: readb */
		hdr[i] = rd(&self->m, MGPU_MMIO_EDID + i, 1);
	EXPECT_EQ(0, memcmp(hdr, self->m.edid, sizeof(hdr)));
	EXPECT_EQ(self->m.edid[0x3ff], rd(&self->m, 0x3ff, 1));
	EXPECT_EQ(self->m.edid[0x80] | self->m.edid[0x81] << 8, rd(&self->m, 0x80, 2));
	EXPECT_EQ(self->m.edid[0x3fc] | self->m.edid[0x3fd] << 8 |
		  self->m.edid[0x3fe] << 16 | (uint32_t)self->m.edid[0x3ff] << 24,
		  rd(&self->m, 0x3fc, 4));
	EXPECT_EQ(0, wr(&self->m, 0x10, 0xffffffff, 4));
	EXPECT_EQ(0, wr(&self->m, 0x11, 0xff, 1));
	EXPECT_EQ(0x10 * 7 + 1, self->m.edid[0x10]);
	EXPECT_EQ(0x11 * 7 + 1, self->m.edid[0x11]);
}

TEST_F(mmio, irq)
{
	EXPECT_EQ(0, wr(&self->m, MGPU_IRQ_RAISE, 0xffffffff, 4));
	EXPECT_EQ(MGPU_IRQ_CAUSE_SOFT, rd(&self->m, MGPU_IRQ_STATUS, 4));
	EXPECT_EQ(0, rd(&self->m, MGPU_IRQ_RAISE, 4));
	EXPECT_EQ(0, mgpu_mmio_irq_pending(&self->m));
	wr(&self->m, MGPU_IRQ_MASK, MGPU_IRQ_CAUSE_SOFT, 4);
	EXPECT_EQ(MGPU_IRQ_CAUSE_SOFT, rd(&self->m, MGPU_IRQ_MASK, 4));
	EXPECT_NE(0, mgpu_mmio_irq_pending(&self->m));
	wr(&self->m, MGPU_IRQ_STATUS, 0xfffffffe, 4);	/* RW1C: clears only ones */
	EXPECT_NE(0, mgpu_mmio_irq_pending(&self->m));
	wr(&self->m, MGPU_IRQ_STATUS, MGPU_IRQ_CAUSE_SOFT, 4);
	EXPECT_EQ(0, rd(&self->m, MGPU_IRQ_STATUS, 4));
	EXPECT_EQ(0, mgpu_mmio_irq_pending(&self->m));
	wr(&self->m, MGPU_IRQ_RAISE, MGPU_IRQ_CAUSE_SOFT, 4);
	EXPECT_NE(0, mgpu_mmio_irq_pending(&self->m));
	wr(&self->m, MGPU_IRQ_MASK, 0, 4);
	EXPECT_EQ(0, mgpu_mmio_irq_pending(&self->m));
	EXPECT_EQ(MGPU_IRQ_CAUSE_SOFT, rd(&self->m, MGPU_IRQ_STATUS, 1));
}

/* Half a 32-bit register is readable but a half write is dropped. */
TEST_F(mmio, reg32_partial)
{
	EXPECT_EQ(0x1e1e, rd(&self->m, MGPU_QEXT_ENDIAN + 2, 2));
	EXPECT_EQ(0x1e, rd(&self->m, MGPU_QEXT_ENDIAN + 3, 1));
	EXPECT_EQ(0, wr(&self->m, MGPU_QEXT_ENDIAN, 0xbebe, 2));
	EXPECT_EQ(MGPU_QEXT_ENDIAN_LITTLE, rd(&self->m, MGPU_QEXT_ENDIAN, 4));
	EXPECT_EQ(0, wr(&self->m, MGPU_QEXT_ENDIAN, 0x12345678, 4));
	EXPECT_EQ(MGPU_QEXT_ENDIAN_LITTLE, rd(&self->m, MGPU_QEXT_ENDIAN, 4));
	wr(&self->m, MGPU_IRQ_RAISE, MGPU_IRQ_CAUSE_SOFT, 1);
	EXPECT_EQ(0, rd(&self->m, MGPU_IRQ_STATUS, 4));
}

TEST_F(mmio, reset)
{
	struct mgpu_mmio fresh;

	self->m.edid[0] = 0x00;
	self->m.edid[1] = 0xff;
	mgpu_mmio_init(&fresh, variant->vram);
	memcpy(fresh.edid, self->m.edid, sizeof(fresh.edid));
	bochs_hw_setmode(&self->m, 1024, 768, variant->vram);
	dispi_wr(&self->m, MGPU_DISPI_ID, MGPU_DISPI_ID0);
	dispi_wr(&self->m, MGPU_DISPI_BANK, 3);
	wr(&self->m, MGPU_QEXT_ENDIAN, MGPU_QEXT_ENDIAN_BIG, 4);
	wr(&self->m, MGPU_IRQ_MASK, 1, 4);
	wr(&self->m, MGPU_IRQ_RAISE, 1, 4);
	vga_wr(&self->m, VGA_ATT_W, 0x20);	/* leave the flip-flop at data */
	mgpu_mmio_reset(&self->m);
	EXPECT_EQ(0, memcmp(&fresh, &self->m, sizeof(fresh)));
	EXPECT_EQ(0xff, rd(&self->m, 1, 1));
	EXPECT_EQ(0, mgpu_mmio_irq_pending(&self->m));
	mgpu_mmio_mode(&self->m, &self->mode);
	EXPECT_EQ(0, self->mode.enabled);
}

TEST_F(mmio, bad_accesses)
{
	uint32_t v = 0;

	EXPECT_EQ(-EINVAL, mgpu_mmio_read(&self->m, 0, &v, 0));
	EXPECT_EQ(-EINVAL, mgpu_mmio_read(&self->m, 0, &v, 3));
	EXPECT_EQ(-EINVAL, mgpu_mmio_write(&self->m, 0, &v, 8));
	EXPECT_EQ(-EINVAL, mgpu_mmio_read(&self->m, 0x501, &v, 2));
	EXPECT_EQ(-EINVAL, mgpu_mmio_write(&self->m, 0x502, &v, 4));
	EXPECT_EQ(-EINVAL, mgpu_mmio_read(&self->m, MGPU_MMIO_SIZE, &v, 1));
	EXPECT_EQ(-EINVAL, mgpu_mmio_read(&self->m, MGPU_MMIO_SIZE - 2, &v, 4));
	EXPECT_EQ(-EINVAL, mgpu_mmio_write(&self->m, 0xffffffff, &v, 1));
	EXPECT_EQ(-EINVAL, mgpu_mmio_write(&self->m, 0xfffffffc, &v, 4));
	/* bochs-drm only uses 16-bit DISPI accesses */
	EXPECT_EQ(-EINVAL, mgpu_mmio_read(&self->m, MGPU_MMIO_DISPI, &v, 1));
	EXPECT_EQ(-EINVAL, mgpu_mmio_write(&self->m, MGPU_MMIO_DISPI + 3, &v, 1));
	EXPECT_EQ(0, mgpu_mmio_read(&self->m, MGPU_MMIO_SIZE - 4, &v, 4));
	EXPECT_EQ(MGPU_DISPI_ID5, dispi_rd(&self->m, MGPU_DISPI_ID));
}

TEST_F(mmio, unknown_offsets)
{
	static const uint32_t offs[] = {
		0x420, 0x4fc, 0x516, 0x518, 0x5fe, 0x608, 0x6fc, 0x70c, 0x800, 0xffc,
	};
	struct mgpu_mmio before;
	unsigned int i;
	uint32_t v;

	bochs_hw_setmode(&self->m, 1024, 768, variant->vram);
	before = self->m;
	for (i = 0; i < ARRAY_SIZE(offs); i++) {
		v = 0xdeadbeef;
		EXPECT_EQ(0, mgpu_mmio_read(&self->m, offs[i], &v, 2)) TH_LOG("0x%x", offs[i]);
		EXPECT_EQ(0xdead0000, v) TH_LOG("0x%x", offs[i]);
		EXPECT_EQ(0, wr(&self->m, offs[i], 0xffffffff, offs[i] & 2 ? 2 : 4));
		EXPECT_EQ(0, wr(&self->m, offs[i], 0xff, 1));
	}
	EXPECT_EQ(0, memcmp(&before, &self->m, sizeof(before)));
}

/* Even registers corrupted behind mmio.c's back never give an out-of-VRAM mode. */
TEST_F(mmio, mode_rechecks_registers)
{
	bochs_hw_setmode(&self->m, 1024, 768, variant->vram);
	self->m.dispi[MGPU_DISPI_Y_OFFSET] = 0xffff;
	mgpu_mmio_mode(&self->m, &self->mode);
	EXPECT_EQ(0, self->mode.enabled);
	EXPECT_EQ(0, self->mode.height);
	self->m.dispi[MGPU_DISPI_Y_OFFSET] = 0;
	self->m.dispi[MGPU_DISPI_VIRT_WIDTH] = 8;
	mgpu_mmio_mode(&self->m, &self->mode);
	EXPECT_EQ(0, self->mode.enabled);
}

/* ---- hostile guests ---- */

static uint32_t rand32(void)
{
	return (uint32_t)rand() ^ (uint32_t)rand() << 16;
}

/* Mostly DISPI and the attribute port, where the mode comes from; some anywhere. */
static uint32_t fuzz_offset(uint32_t r)
{
	switch (r % 8) {
	case 0:
	case 1:
	case 2:
	case 3:
		return MGPU_MMIO_DISPI + 2 * (rand() % (MGPU_DISPI_NR + 1));
	case 4:
		return MGPU_MMIO_VGA + (rand() % 2 ? 0 : 0x1a);
	case 5:
		return MGPU_MMIO_VGA + rand() % 0x400;
	default:
		return rand() % (MGPU_MMIO_SIZE + 8);
	}
}

/* Boundary values find clamping bugs faster than uniform ones. */
static uint32_t fuzz_value(void)
{
	static const uint32_t special[] = {
		0, 1, 7, 8, 15, 16, 24, 32, 0x20, 0x41, 0x43, 0xc1, 0xff, 0x7fff, 0x8000, 0xffff,
		MGPU_DISPI_MAX_XRES, MGPU_DISPI_MAX_XRES + 1, MGPU_DISPI_MAX_YRES,
		MGPU_DISPI_ENABLED | MGPU_DISPI_LFB_ENABLED, 0xffffffff,
	};

	switch (rand() % 3) {
	case 0:
		return special[rand() % ARRAY_SIZE(special)];
	case 1:
		return rand() % 20000;
	default:
		return rand32();
	}
}

static void fuzz_check(struct __test_metadata *_metadata, struct mgpu_mmio *m,
		       unsigned long *shown)
{
	const uint16_t *r = m->dispi;
	struct mgpu_mode mo;
	int want;

	mgpu_mmio_mode(m, &mo);
	want = (r[MGPU_DISPI_ENABLE] & (MGPU_DISPI_ENABLED | MGPU_DISPI_LFB_ENABLED)) ==
	       (MGPU_DISPI_ENABLED | MGPU_DISPI_LFB_ENABLED) && (m->vga[0] & 0x20);
	/* mmio.c's own last-ditch check must never be what keeps the mode safe */
	ASSERT_EQ(want, mo.enabled);
	if (!mo.enabled)
		return;
	(*shown)++;
	ASSERT_TRUE(mode_within(&mo, m->vram_size))
		TH_LOG("%ux%u@%u stride %u offset %llu", mo.width, mo.height, mo.bpp,
		       mo.stride, (unsigned long long)mo.offset);
	ASSERT_GE(MGPU_DISPI_MAX_XRES, mo.width);
	ASSERT_GE(MGPU_DISPI_MAX_YRES, mo.height);
	ASSERT_EQ(0, mo.width % 8);
	ASSERT_EQ(mo.offset + (uint64_t)mo.stride * mo.height <= m->vram_size, 1);
}

static void fuzz_one(struct __test_metadata *_metadata, uint64_t vram, unsigned long n)
{
	struct mgpu_mmio m;
	unsigned long i, shown = 0;
	uint8_t buf[4];

	mgpu_mmio_init(&m, vram);
	for (i = 0; i < n; i++) {
		uint32_t off = fuzz_offset(rand()), v = fuzz_value();
		size_t len = 1u << (rand() % 3);

		if (rand() % 5 == 0) {
			mgpu_mmio_read(&m, off & ~(len - 1), buf, len);
		} else {
			mgpu_mmio_write(&m, off & ~(len - 1), &v, len);
			m.clear_vram = 0;
		}
		fuzz_check(_metadata, &m, &shown);
		if (rand() % 100000 == 0)
			mgpu_mmio_reset(&m);
	}
	/* a fuzzer that never reached a scanout would have proved nothing */
	ASSERT_LT(n / 50, shown) TH_LOG("only %lu of %lu writes gave a scanout", shown, n);
}

TEST(fuzz_mode_within_vram)
{
	static const uint64_t sizes[] = { 8, 16, 32, 64, 128, 256 };
	unsigned int i;

	srand(12345);
	for (i = 0; i < ARRAY_SIZE(sizes); i++)
		fuzz_one(_metadata, sizes[i] * MiB, 1000000 / 3);
}

TEST_HARNESS_MAIN
