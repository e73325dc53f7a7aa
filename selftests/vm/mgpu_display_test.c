// SPDX-License-Identifier: GPL-2.0-only
/*
 * VM tier: a vGPU's register window (BAR2), interrupts, display plane and EDID region,
 * driven through VFIO the way QEMU and the guest's bochs-drm drive them.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <linux/pci_regs.h>
#include <linux/mgpu.h>

#include "kselftest_harness.h"
#include "mgpu_test.h"

#define TYPE "mgpu-16M"
#define VRAM (16u << 20)
#define BAR2 VFIO_PCI_BAR2_REGION_INDEX
#define DISPLAY_REGION VFIO_PCI_NUM_REGIONS
#define FMT_XRGB8888 0x34325258	/* DRM_FORMAT_XRGB8888, 'XR24' */

FIXTURE(dpy) {
	char parent[64];
	struct mgpu_dev dev;
};

FIXTURE_SETUP(dpy)
{
	if (mgpu_find_parent(self->parent, sizeof(self->parent))) {
		if (!mgpu_modprobe_ok())
			SKIP(return, "the mgpu module is not loaded");
		ASSERT_TRUE(0) TH_LOG("mgpu is loaded but offers no mdev parent");
	}
	mgpu_remove_all();
	ASSERT_EQ(0, mgpu_create(&self->dev, self->parent, TYPE));
	ASSERT_EQ(0, mgpu_open(&self->dev));
}

FIXTURE_TEARDOWN(dpy)
{
	mgpu_close(&self->dev);
	mgpu_remove_all();
}

static uint16_t dispi_rd(struct mgpu_dev *d, int reg)
{
	uint16_t v = 0xdead;

	mgpu_region_read(d, BAR2, MGPU_MMIO_DISPI + 2 * reg, &v, 2);
	return v;
}

static int dispi_wr(struct mgpu_dev *d, int reg, uint16_t v)
{
	return mgpu_region_write(d, BAR2, MGPU_MMIO_DISPI + 2 * reg, &v, 2) == 2 ? 0 : -1;
}

static uint32_t reg32_rd(struct mgpu_dev *d, unsigned int off)
{
	uint32_t v = 0xdeadbeef;

	mgpu_region_read(d, BAR2, off, &v, 4);
	return v;
}

static int reg32_wr(struct mgpu_dev *d, unsigned int off, uint32_t v)
{
	return mgpu_region_write(d, BAR2, off, &v, 4) == 4 ? 0 : -1;
}

static void vga_wr(struct mgpu_dev *d, unsigned int port, uint8_t v)
{
	mgpu_region_write(d, BAR2, MGPU_MMIO_VGA + port - MGPU_VGA_PORT_BASE, &v, 1);
}

/* Screen on: reset the attribute flip-flop (read 0x3da), then index 0x20 (PAS). */
static void vga_unblank(struct mgpu_dev *d)
{
	uint8_t dummy;

	mgpu_region_read(d, BAR2, MGPU_MMIO_VGA + 0x3da - MGPU_VGA_PORT_BASE, &dummy, 1);
	vga_wr(d, 0x3c0, 0x20);
}

/* bochs-drm's bochs_hw_setmode() and unblank, register for register. */
static void bochs_setmode(struct mgpu_dev *d, int x, int y, int vwidth, int flags)
{
	vga_wr(d, 0x3c2, 0x01);
	vga_unblank(d);
	dispi_wr(d, MGPU_DISPI_ENABLE, 0);
	dispi_wr(d, MGPU_DISPI_BPP, 32);
	dispi_wr(d, MGPU_DISPI_XRES, x);
	dispi_wr(d, MGPU_DISPI_YRES, y);
	dispi_wr(d, MGPU_DISPI_BANK, 0);
	dispi_wr(d, MGPU_DISPI_VIRT_WIDTH, vwidth);
	dispi_wr(d, MGPU_DISPI_VIRT_HEIGHT, VRAM / (vwidth * 4));
	dispi_wr(d, MGPU_DISPI_X_OFFSET, 0);
	dispi_wr(d, MGPU_DISPI_Y_OFFSET, 0);
	dispi_wr(d, MGPU_DISPI_ENABLE, MGPU_DISPI_ENABLED | MGPU_DISPI_LFB_ENABLED | flags);
	/* bochs_hw_setbase() for a buffer at offset 0: enabling reset the panning. */
	dispi_wr(d, MGPU_DISPI_VIRT_WIDTH, vwidth);
	dispi_wr(d, MGPU_DISPI_X_OFFSET, 0);
	dispi_wr(d, MGPU_DISPI_Y_OFFSET, 0);
}

/* /sys/bus/mdev/devices/<uuid>/mgpu/<name> */
static int vgpu_attr(struct mgpu_dev *d, const char *name, char *buf, size_t len)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/bus/mdev/devices/%s/mgpu/%s", mgpu_sysfs_root(),
		 d->uuid, name);
	return mgpu_sysfs_read(path, buf, len) < 0 ? -1 : 0;
}

static int query_plane(struct mgpu_dev *d, struct vfio_device_gfx_plane_info *p,
		       uint32_t flags)
{
	memset(p, 0, sizeof(*p));
	p->argsz = sizeof(*p);
	p->flags = flags;
	return ioctl(d->fd, VFIO_DEVICE_QUERY_GFX_PLANE, p) ? -errno : 0;
}

static uint32_t *map_region(struct mgpu_dev *d, unsigned int index, size_t len, int prot)
{
	struct vfio_region_info info;

	if (mgpu_region_info(d, index, &info))
		return MAP_FAILED;
	return mmap(NULL, len, prot, MAP_SHARED, d->fd, info.offset);
}

TEST_F(dpy, register_window)
{
	struct mgpu_dev *d = &self->dev;
	struct vfio_region_info info;

	EXPECT_EQ(VFIO_PCI_NUM_REGIONS + 2, d->info.num_regions);
	ASSERT_EQ(0, mgpu_region_info(d, BAR2, &info));
	EXPECT_EQ(MGPU_MMIO_SIZE, info.size);
	EXPECT_FALSE(info.flags & VFIO_REGION_INFO_FLAG_MMAP);
	EXPECT_EQ(~(MGPU_MMIO_SIZE - 1u), mgpu_cfg_write32(d, PCI_BASE_ADDRESS_2, ~0u) ?:
		  mgpu_cfg_read32(d, PCI_BASE_ADDRESS_2));
	EXPECT_EQ(MGPU_DISPI_ID5, dispi_rd(d, MGPU_DISPI_ID));
	EXPECT_EQ(VRAM >> 16, dispi_rd(d, MGPU_DISPI_VIDEO_MEMORY_64K));
	EXPECT_EQ(8, reg32_rd(d, MGPU_QEXT_SIZE));
	EXPECT_EQ(MGPU_QEXT_ENDIAN_LITTLE, reg32_rd(d, MGPU_QEXT_ENDIAN));
	EXPECT_EQ(2, mgpu_cfg_read32(d, PCI_CLASS_REVISION) & 0xff);
}

TEST_F(dpy, plane_probe)
{
	struct vfio_device_gfx_plane_info p;

	EXPECT_EQ(0, query_plane(&self->dev, &p,
				 VFIO_GFX_PLANE_TYPE_PROBE | VFIO_GFX_PLANE_TYPE_REGION));
	EXPECT_EQ(-EINVAL, query_plane(&self->dev, &p,
				       VFIO_GFX_PLANE_TYPE_PROBE | VFIO_GFX_PLANE_TYPE_DMABUF));
	EXPECT_EQ(-EINVAL, query_plane(&self->dev, &p, VFIO_GFX_PLANE_TYPE_DMABUF));
	/* Power-on: nothing to show. */
	ASSERT_EQ(0, query_plane(&self->dev, &p, VFIO_GFX_PLANE_TYPE_REGION));
	EXPECT_EQ(0, p.drm_format);
}

/* A mode set as bochs-drm does it, a frame drawn through the BAR0 mapping, and the
 * display region showing exactly that frame, packed, after a page flip too.
 */
TEST_F(dpy, plane_shows_the_frame)
{
	struct mgpu_dev *d = &self->dev;
	struct vfio_device_gfx_plane_info p;
	const int w = 640, h = 480, vw = 800;
	char attr[128];
	uint32_t *vram, *screen, base;
	int x, y;

	vram = map_region(d, VFIO_PCI_BAR0_REGION_INDEX, VRAM, PROT_READ | PROT_WRITE);
	ASSERT_NE(MAP_FAILED, vram);
	bochs_setmode(d, w, h, vw, 0);
	for (base = 0; base <= 1; base++)
		for (y = 0; y < h; y++)
			for (x = 0; x < vw; x++)
				vram[(base * h + y) * vw + x] = base << 31 | y << 16 | x;
	ASSERT_EQ(0, query_plane(d, &p, VFIO_GFX_PLANE_TYPE_REGION));
	EXPECT_EQ(0, vgpu_attr(d, "mode", attr, sizeof(attr)));
	EXPECT_STREQ("640x480 bpp=32 stride=3200 offset=0 endian=little", attr);
	EXPECT_EQ(FMT_XRGB8888, p.drm_format);
	EXPECT_EQ(w, p.width);
	EXPECT_EQ(h, p.height);
	EXPECT_EQ(w * 4, p.stride);
	EXPECT_EQ(DISPLAY_REGION, p.region_index);
	screen = map_region(d, p.region_index, VRAM, PROT_READ);
	ASSERT_NE(MAP_FAILED, screen);
	for (y = 0; y < h; y++)
		for (x = 0; x < w; x++)
			ASSERT_EQ((uint32_t)(y << 16 | x), screen[y * w + x]);
	/* bochs_hw_setbase(): flip to the second buffer. */
	dispi_wr(d, MGPU_DISPI_Y_OFFSET, h);
	ASSERT_EQ(0, query_plane(d, &p, VFIO_GFX_PLANE_TYPE_REGION));
	EXPECT_EQ(0, vgpu_attr(d, "frames", attr, sizeof(attr)));
	EXPECT_STREQ("2", attr);
	for (y = 0; y < h; y += 7)
		for (x = 0; x < w; x += 3)
			ASSERT_EQ(1u << 31 | y << 16 | x, screen[y * w + x]);
	EXPECT_EQ(MAP_FAILED, map_region(d, p.region_index, 4096, PROT_READ | PROT_WRITE));
	munmap(screen, VRAM);
	munmap(vram, VRAM);
}

/* Enabling without NOCLEARMEM clears the visible frame; with it, VRAM is kept. */
TEST_F(dpy, enable_clears_vram)
{
	struct mgpu_dev *d = &self->dev;
	uint32_t v = 0xabcdef01, back;

	ASSERT_EQ(4, mgpu_region_write(d, 0, 4096, &v, 4));
	bochs_setmode(d, 640, 480, 640, MGPU_DISPI_NOCLEARMEM);
	ASSERT_EQ(4, mgpu_region_read(d, 0, 4096, &back, 4));
	EXPECT_EQ(v, back);
	dispi_wr(d, MGPU_DISPI_ENABLE, 0);
	dispi_wr(d, MGPU_DISPI_ENABLE, MGPU_DISPI_ENABLED | MGPU_DISPI_LFB_ENABLED);
	ASSERT_EQ(4, mgpu_region_read(d, 0, 4096, &back, 4));
	EXPECT_EQ(0, back);
}

TEST_F(dpy, reset_disables_display)
{
	struct mgpu_dev *d = &self->dev;
	struct vfio_device_gfx_plane_info p;
	char mode[64];

	bochs_setmode(d, 640, 480, 640, 0);
	dispi_wr(d, MGPU_DISPI_ID, 0xb0c0);
	ASSERT_EQ(0, ioctl(d->fd, VFIO_DEVICE_RESET));
	EXPECT_EQ(MGPU_DISPI_ID5, dispi_rd(d, MGPU_DISPI_ID));
	ASSERT_EQ(0, query_plane(d, &p, VFIO_GFX_PLANE_TYPE_REGION));
	EXPECT_EQ(0, p.drm_format);
	EXPECT_EQ(0, vgpu_attr(d, "mode", mode, sizeof(mode)));
	EXPECT_STREQ("off", mode);
}

/* The preferred mode of the EDID at BAR2 offset 0 (first detailed timing). */
static void edid_mode(struct mgpu_dev *d, unsigned int *w, unsigned int *h)
{
	uint8_t e[128];

	*w = *h = 0;
	if (mgpu_region_read(d, BAR2, MGPU_MMIO_EDID, e, sizeof(e)) != sizeof(e))
		return;
	if (e[0] || e[1] != 0xff || e[7])
		return;
	*w = e[56] | (e[58] >> 4) << 8;
	*h = e[59] | (e[61] >> 4) << 8;
}

/* The virtual monitor prefers the vGPU's resolution attribute; the guest reads it. */
TEST_F(dpy, resolution_attribute)
{
	struct mgpu_dev *d = &self->dev;
	char path[256], buf[64];
	unsigned int w, h;

	snprintf(path, sizeof(path), "%s/bus/mdev/devices/%s/mgpu/resolution",
		 mgpu_sysfs_root(), d->uuid);
	ASSERT_GT(mgpu_sysfs_read(path, buf, sizeof(buf)), 0);
	EXPECT_STREQ("1024x768", buf);
	edid_mode(d, &w, &h);
	EXPECT_EQ(1024, w);
	EXPECT_EQ(768, h);
	ASSERT_EQ(0, mgpu_sysfs_write(path, "1280x800\n"));
	edid_mode(d, &w, &h);
	EXPECT_EQ(1280, w);
	EXPECT_EQ(800, h);
	EXPECT_EQ(0, mgpu_sysfs_write(path, "1920x1080"));
	EXPECT_EQ(-EINVAL, mgpu_sysfs_write(path, "3840x2160"));	/* > 16 MiB */
	EXPECT_EQ(-EINVAL, mgpu_sysfs_write(path, "320x200"));
	EXPECT_EQ(-EINVAL, mgpu_sysfs_write(path, "wide"));
	EXPECT_EQ(-EINVAL, mgpu_sysfs_write(path, "1280x800x32"));
	ASSERT_GT(mgpu_sysfs_read(path, buf, sizeof(buf)), 0);
	EXPECT_STREQ("1920x1080", buf);
	ASSERT_EQ(0, ioctl(d->fd, VFIO_DEVICE_RESET));
	edid_mode(d, &w, &h);
	EXPECT_EQ(1920, w) TH_LOG("the monitor stays plugged in across a reset");
}

/* A reset halfway through a mode set leaves power-on state, and the next mode set
 * works as on a fresh vGPU.
 */
TEST_F(dpy, reset_mid_modeset)
{
	struct mgpu_dev *d = &self->dev;
	struct vfio_device_gfx_plane_info p;

	dispi_wr(d, MGPU_DISPI_ENABLE, 0);
	dispi_wr(d, MGPU_DISPI_BPP, 16);
	dispi_wr(d, MGPU_DISPI_XRES, 320);
	ASSERT_EQ(0, ioctl(d->fd, VFIO_DEVICE_RESET));
	EXPECT_EQ(0, dispi_rd(d, MGPU_DISPI_XRES));
	EXPECT_EQ(0, dispi_rd(d, MGPU_DISPI_ENABLE));
	EXPECT_EQ(VRAM >> 16, dispi_rd(d, MGPU_DISPI_VIDEO_MEMORY_64K));
	ASSERT_EQ(0, query_plane(d, &p, VFIO_GFX_PLANE_TYPE_REGION));
	EXPECT_EQ(0, p.drm_format);
	bochs_setmode(d, 800, 600, 800, 0);
	ASSERT_EQ(0, query_plane(d, &p, VFIO_GFX_PLANE_TYPE_REGION));
	EXPECT_EQ(FMT_XRGB8888, p.drm_format);
	EXPECT_EQ(800, p.width);
	EXPECT_EQ(600, p.height);
}

/* Random register writes never make the plane reach outside the vGPU's VRAM. */
TEST_F(dpy, hostile_register_writes)
{
	struct mgpu_dev *d = &self->dev;
	struct vfio_device_gfx_plane_info p;
	int i, shown = 0;

	static const uint16_t bpps[] = { 8, 15, 16, 24, 32, 32, 32, 7 };

	srand(3);
	for (i = 0; i < 20000; i++) {
		int reg = rand() % 12;
		uint16_t v = rand() % 4 ? rand() % 4096 : rand();

		if (reg == MGPU_DISPI_BPP)
			v = bpps[rand() % 8];
		if (reg == MGPU_DISPI_ENABLE)
			v = MGPU_DISPI_ENABLED | MGPU_DISPI_LFB_ENABLED | MGPU_DISPI_NOCLEARMEM;
		mgpu_region_write(d, BAR2, MGPU_MMIO_DISPI + 2 * reg, &v, 2);
		if (i % 50)
			continue;
		vga_unblank(d);
		ASSERT_EQ(0, query_plane(d, &p, VFIO_GFX_PLANE_TYPE_REGION));
		ASSERT_LE((uint64_t)p.stride * p.height, VRAM);
		shown += p.drm_format != 0;
	}
	EXPECT_GT(shown, 0);
}

static int find_edid_region(struct mgpu_dev *d)
{
	unsigned int i;

	for (i = VFIO_PCI_NUM_REGIONS; i < d->info.num_regions; i++) {
		char buf[256];
		struct vfio_region_info *info = (void *)buf;
		struct vfio_region_info_cap_type *cap;

		memset(buf, 0, sizeof(buf));
		info->argsz = sizeof(buf);
		info->index = i;
		if (ioctl(d->fd, VFIO_DEVICE_GET_REGION_INFO, info) || !info->cap_offset)
			continue;
		cap = (void *)(buf + info->cap_offset);
		if (cap->header.id == VFIO_REGION_INFO_CAP_TYPE &&
		    cap->type == VFIO_REGION_TYPE_GFX &&
		    cap->subtype == VFIO_REGION_SUBTYPE_GFX_EDID)
			return i;
	}
	return -1;
}

#define EDID_FIELD(f) offsetof(struct vfio_region_gfx_edid, f)

/*
 * A reused mdev (Nova and mdevctl hand an existing one to the next VM) shows the next
 * tenant nothing of the previous one: a tenant draws a frame, the plane shows it, it
 * overrides the EDID and closes; a new process opens the same mdev and reads zero VRAM
 * through BAR0, a zero display region, no enabled mode and mgpu's own EDID again.
 */
TEST_F(dpy, reopen_scrubs_previous_tenant)
{
	struct mgpu_dev *d = &self->dev;
	struct vfio_device_gfx_plane_info p;
	uint8_t blob[128], back[128], zero[4096] = { 0 };
	int idx = find_edid_region(d), status;
	uint32_t *vram;
	size_t i, off;
	pid_t child;

	ASSERT_GE(idx, 0);
	ASSERT_EQ(128, mgpu_region_read(d, BAR2, MGPU_MMIO_EDID, back, 128));
	vram = map_region(d, VFIO_PCI_BAR0_REGION_INDEX, VRAM, PROT_READ | PROT_WRITE);
	ASSERT_NE(MAP_FAILED, vram);
	bochs_setmode(d, 640, 480, 640, 0);
	for (i = 0; i < VRAM / 4; i++)
		vram[i] = 0xa5000000u | i;
	ASSERT_EQ(0, query_plane(d, &p, VFIO_GFX_PLANE_TYPE_REGION));
	ASSERT_EQ(640, p.width);
	for (i = 0; i < sizeof(blob); i++)
		blob[i] = i == 0 || i == 7 ? 0 : (i < 7 ? 0xff : 0x5a);
	ASSERT_EQ(128, mgpu_region_write(d, idx, sizeof(struct vfio_region_gfx_edid), blob,
					 128));
	munmap(vram, VRAM);
	mgpu_close(d);

	child = fork();
	ASSERT_LE(0, child);
	if (!child) {
		/* The next tenant: its own process, the same mdev. */
		struct mgpu_dev next = { .fd = -1 };
		int bad = 0;

		memcpy(next.uuid, d->uuid, sizeof(next.uuid));
		if (mgpu_open(&next))
			_exit(10);
		for (off = 0; off < VRAM; off += sizeof(zero)) {
			uint8_t page[sizeof(zero)];

			if (mgpu_region_read(&next, VFIO_PCI_BAR0_REGION_INDEX, off, page,
					     sizeof(page)) != sizeof(page) ||
			    memcmp(page, zero, sizeof(page)))
				bad |= 1;
			if (mgpu_region_read(&next, DISPLAY_REGION, off, page, sizeof(page)) !=
			    sizeof(page) || memcmp(page, zero, sizeof(page)))
				bad |= 2;
		}
		if (query_plane(&next, &p, VFIO_GFX_PLANE_TYPE_REGION) || p.drm_format)
			bad |= 4;
		if (mgpu_region_read(&next, BAR2, MGPU_MMIO_EDID, blob, 128) != 128 ||
		    memcmp(blob, back, 128))
			bad |= 8;
		if (dispi_rd(&next, MGPU_DISPI_ENABLE))
			bad |= 16;
		mgpu_close(&next);
		_exit(bad);
	}
	ASSERT_EQ(child, waitpid(child, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status))
		TH_LOG("the next tenant saw: %s%s%s%s%s",
		       WEXITSTATUS(status) & 1 ? "VRAM, " : "",
		       WEXITSTATUS(status) & 2 ? "the display region, " : "",
		       WEXITSTATUS(status) & 4 ? "an enabled plane, " : "",
		       WEXITSTATUS(status) & 8 ? "the previous EDID, " : "",
		       WEXITSTATUS(status) & 16 ? "an enabled mode" : "");
	ASSERT_EQ(0, mgpu_open(d));	/* for the teardown */
}

/* QEMU's EDID sequence: link down, blob, size, link up; the guest reads it at BAR2. */
TEST_F(dpy, edid_region)
{
	struct mgpu_dev *d = &self->dev;
	struct vfio_region_gfx_edid hdr;
	uint8_t blob[128], back[128];
	int idx = find_edid_region(d), i;
	uint32_t v;

	ASSERT_GE(idx, 0);
	for (i = 0; i < 6; i++)
		ASSERT_EQ(4, mgpu_region_read(d, idx, i * 4, (uint32_t *)&hdr + i, 4));
	EXPECT_EQ(sizeof(hdr), hdr.edid_offset);
	EXPECT_EQ(MGPU_MMIO_EDID_SIZE, hdr.edid_max_size);
	EXPECT_GE(hdr.max_xres, 1024);
	/* A virtual monitor is connected from the start: mgpu's own EDID. */
	EXPECT_EQ(VFIO_DEVICE_GFX_LINK_STATE_UP, hdr.link_state);
	EXPECT_EQ(128, hdr.edid_size);
	v = VFIO_DEVICE_GFX_LINK_STATE_DOWN;
	ASSERT_EQ(4, mgpu_region_write(d, idx, EDID_FIELD(link_state), &v, 4));
	for (i = 0; i < 128; i++)
		blob[i] = i == 0 || i == 7 ? 0 : (i < 7 ? 0xff : i);
	ASSERT_EQ(128, mgpu_region_write(d, idx, hdr.edid_offset, blob, 128));
	v = 128;
	ASSERT_EQ(4, mgpu_region_write(d, idx, EDID_FIELD(edid_size), &v, 4));
	v = VFIO_DEVICE_GFX_LINK_STATE_UP;
	ASSERT_EQ(4, mgpu_region_write(d, idx, EDID_FIELD(link_state), &v, 4));
	ASSERT_EQ(128, mgpu_region_read(d, BAR2, MGPU_MMIO_EDID, back, 128));
	EXPECT_EQ(0, memcmp(blob, back, 128));
	v = VFIO_DEVICE_GFX_LINK_STATE_DOWN;
	ASSERT_EQ(4, mgpu_region_write(d, idx, EDID_FIELD(link_state), &v, 4));
	ASSERT_EQ(128, mgpu_region_read(d, BAR2, MGPU_MMIO_EDID, back, 128));
	EXPECT_EQ(0, back[1]);
	v = MGPU_MMIO_EDID_SIZE + 1;
	EXPECT_EQ(-EINVAL, mgpu_region_write(d, idx, EDID_FIELD(edid_size), &v, 4));
	v = 7;
	EXPECT_EQ(-EINVAL, mgpu_region_write(d, idx, EDID_FIELD(link_state), &v, 4));
	EXPECT_EQ(-EPERM, mgpu_region_write(d, idx, EDID_FIELD(max_xres), &v, 4));
	EXPECT_EQ(-EINVAL, mgpu_region_write(d, idx, hdr.edid_offset + 1000, blob, 128));
}

static int set_irq_eventfd(struct mgpu_dev *d, unsigned int index, int fd)
{
	struct {
		struct vfio_irq_set set;
		int32_t fd;
	} s = {
		.set = { .argsz = sizeof(s), .index = index, .start = 0, .count = 1,
			 .flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER },
		.fd = fd,
	};

	return ioctl(d->fd, VFIO_DEVICE_SET_IRQS, &s) ? -errno : 0;
}

static int unmask_intx(struct mgpu_dev *d)
{
	struct vfio_irq_set s = {
		.argsz = sizeof(s), .index = VFIO_PCI_INTX_IRQ_INDEX, .count = 1,
		.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_UNMASK,
	};

	return ioctl(d->fd, VFIO_DEVICE_SET_IRQS, &s) ? -errno : 0;
}

/* How many interrupts arrived on @fd within @ms (0 if none). */
static uint64_t events(int fd, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	uint64_t n = 0;

	if (poll(&pfd, 1, ms) == 1 && read(fd, &n, sizeof(n)) != sizeof(n))
		n = 0;
	return n;
}

TEST_F(dpy, msi_delivery)
{
	struct mgpu_dev *d = &self->dev;
	int efd = eventfd(0, EFD_NONBLOCK);
	uint16_t ctrl;
	char n[32];

	ASSERT_GE(efd, 0);
	ASSERT_EQ(0, set_irq_eventfd(d, VFIO_PCI_MSI_IRQ_INDEX, efd));
	ctrl = mgpu_cfg_read16(d, 0x62);
	ASSERT_EQ(0, mgpu_cfg_write16(d, 0x62, ctrl | PCI_MSI_FLAGS_ENABLE));
	ASSERT_EQ(0, reg32_wr(d, MGPU_IRQ_MASK, MGPU_IRQ_CAUSE_SOFT));
	ASSERT_EQ(0, reg32_wr(d, MGPU_IRQ_RAISE, MGPU_IRQ_CAUSE_SOFT));
	EXPECT_EQ(1, events(efd, 1000));
	EXPECT_EQ(MGPU_IRQ_CAUSE_SOFT, reg32_rd(d, MGPU_IRQ_STATUS));
	EXPECT_EQ(0, vgpu_attr(d, "interrupts", n, sizeof(n)));
	EXPECT_STREQ("1", n);
	/* Still pending: no second edge. */
	ASSERT_EQ(0, reg32_wr(d, MGPU_IRQ_RAISE, MGPU_IRQ_CAUSE_SOFT));
	EXPECT_EQ(0, events(efd, 100));
	ASSERT_EQ(0, reg32_wr(d, MGPU_IRQ_STATUS, MGPU_IRQ_CAUSE_SOFT));
	EXPECT_EQ(0, reg32_rd(d, MGPU_IRQ_STATUS));
	ASSERT_EQ(0, reg32_wr(d, MGPU_IRQ_RAISE, MGPU_IRQ_CAUSE_SOFT));
	EXPECT_EQ(1, events(efd, 1000));
	/* A masked cause raises nothing. */
	ASSERT_EQ(0, reg32_wr(d, MGPU_IRQ_STATUS, MGPU_IRQ_CAUSE_SOFT));
	ASSERT_EQ(0, reg32_wr(d, MGPU_IRQ_MASK, 0));
	ASSERT_EQ(0, reg32_wr(d, MGPU_IRQ_RAISE, MGPU_IRQ_CAUSE_SOFT));
	EXPECT_EQ(0, events(efd, 100));
	EXPECT_EQ(0, set_irq_eventfd(d, VFIO_PCI_MSI_IRQ_INDEX, -1));
	EXPECT_EQ(-EBADF, set_irq_eventfd(d, VFIO_PCI_MSI_IRQ_INDEX, 9999));
	close(efd);
}

/* INTx is a level: delivered once, masked until the user unmasks it. */
TEST_F(dpy, intx_automask)
{
	struct mgpu_dev *d = &self->dev;
	int efd = eventfd(0, EFD_NONBLOCK);

	ASSERT_GE(efd, 0);
	ASSERT_EQ(0, set_irq_eventfd(d, VFIO_PCI_INTX_IRQ_INDEX, efd));
	ASSERT_EQ(0, reg32_wr(d, MGPU_IRQ_MASK, MGPU_IRQ_CAUSE_SOFT));
	ASSERT_EQ(0, reg32_wr(d, MGPU_IRQ_RAISE, MGPU_IRQ_CAUSE_SOFT));
	EXPECT_EQ(1, events(efd, 1000));
	ASSERT_EQ(0, reg32_wr(d, MGPU_IRQ_STATUS, MGPU_IRQ_CAUSE_SOFT));
	ASSERT_EQ(0, reg32_wr(d, MGPU_IRQ_RAISE, MGPU_IRQ_CAUSE_SOFT));
	EXPECT_EQ(0, events(efd, 100));
	ASSERT_EQ(0, unmask_intx(d));
	EXPECT_EQ(1, events(efd, 1000));
	/* INTx disabled in the command register: the line stays quiet. */
	ASSERT_EQ(0, reg32_wr(d, MGPU_IRQ_STATUS, MGPU_IRQ_CAUSE_SOFT));
	ASSERT_EQ(0, mgpu_cfg_write16(d, PCI_COMMAND, PCI_COMMAND_INTX_DISABLE));
	ASSERT_EQ(0, unmask_intx(d));
	ASSERT_EQ(0, reg32_wr(d, MGPU_IRQ_RAISE, MGPU_IRQ_CAUSE_SOFT));
	EXPECT_EQ(0, events(efd, 100));
	close(efd);
}

TEST_HARNESS_MAIN
