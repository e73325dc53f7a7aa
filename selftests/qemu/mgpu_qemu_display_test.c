// SPDX-License-Identifier: GPL-2.0-only
/*
 * QEMU tier, display: a vGPU as QEMU's vfio-pci,display=on shows it. The test plays the
 * guest's bochs-drm through QEMU (EDID and DISPI through BAR2, frames through BAR0) and
 * checks what QEMU renders from the region plane with QMP screendump, pixel by pixel.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/pci_regs.h>
#include <linux/mgpu.h>

#include "kselftest_harness.h"
#include "mgpu_test.h"
#include "qtest.h"

#define TYPE		"mgpu-16M"
#define VRAM		(16u << 20)
#define TIMEOUT		300	/* s per test: QEMU under TCG in a TCG VM starts slowly */
#define DEV_ID		"mgpu0"
#define EDID_XRES	800	/* vfio-pci xres=/yres=: QEMU builds the EDID from them */
#define EDID_YRES	600
#define EDID_BLOCK	128
#define EDID_DTD	54	/* the first detailed timing: the preferred mode */
#define BAD_SHOWN	8	/* mismatching pixels logged per comparison */

/* One vGPU and the QEMU that shows it as a vfio-pci display. */
struct dpy_vm {
	struct mgpu_dev dev;
	struct qtest q;
	bool created;
	int bdf;
	uint64_t bar0, bar2;
};

/*
 * VRAM as the tests fill it: every pixel names its own column and row (and a seed per
 * fill), so a wrong pixel on screen tells where in VRAM it was read from.
 */
struct fill {
	unsigned int seed, vwidth, rows;
};

/* What is on screen: @w x @h pixels of @f, panned to (@xoff, @yoff). */
struct view {
	const struct fill *f;
	unsigned int w, h, xoff, yoff;
};

static uint32_t fill_pixel(const struct fill *f, unsigned int col, unsigned int row)
{
	/* The X byte is not shown: make it non-zero so that no one relies on it. */
	return 0xa5000000u | (f->seed & 0xf) << 20 | (row & 0x3ff) << 10 | (col & 0x3ff);
}

/* Each line of QEMU's stderr as a TAP comment. */
static void log_qemu(struct __test_metadata *_metadata, struct qtest *q)
{
	char *text = strdup(qtest_stderr(q)), *line, *save;

	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		TH_LOG("qemu: %s", line);
	free(text);
}

/* ---------------------------------------------------------------- bringing up */

static void dpy_vm_down(struct dpy_vm *vm)
{
	qtest_quit(&vm->q);	/* first: QEMU must close the device before removal */
	if (vm->created)
		mgpu_remove(vm->dev.uuid);
	vm->created = false;
}

/* Create a vGPU and start QEMU with it as a display; @opts adds vfio-pci options. */
static int dpy_vm_up(struct dpy_vm *vm, const char *parent, const char *opts)
{
	char dev[256];
	const char *args[3] = { "-device", dev, NULL };
	int ret = mgpu_create(&vm->dev, parent, TYPE);

	if (ret)
		return ret;
	vm->created = true;
	snprintf(dev, sizeof(dev), "vfio-pci,sysfsdev=/sys/bus/mdev/devices/%s,id=%s,display=on%s",
		 vm->dev.uuid, DEV_ID, opts);
	ret = qtest_start(&vm->q, args);
	if (ret)
		return ret;
	vm->bdf = qtest_pci_devfn(&vm->q, DEV_ID);
	return vm->bdf < 0 ? vm->bdf : 0;
}

/* Play firmware: place BAR0 and BAR2, turn memory decode on. */
static int dpy_vm_map(struct dpy_vm *vm)
{
	int ret = qtest_pci_bar_map(&vm->q, vm->bdf, MGPU_BAR_VRAM, &vm->bar0);

	if (!ret)
		ret = qtest_pci_bar_map(&vm->q, vm->bdf, MGPU_BAR_MMIO, &vm->bar2);
	if (!ret)
		qtest_pci_enable_mem(&vm->q, vm->bdf);
	return ret ?: vm->q.error;
}

/* ---------------------------------------------------------------- bochs-drm's accesses */

static uint16_t dispi_rd(struct dpy_vm *vm, unsigned int reg)
{
	return qtest_readw(&vm->q, vm->bar2 + MGPU_MMIO_DISPI + 2 * reg);
}

static void dispi_wr(struct dpy_vm *vm, unsigned int reg, uint16_t val)
{
	qtest_writew(&vm->q, vm->bar2 + MGPU_MMIO_DISPI + 2 * reg, val);
}

static uint64_t vga_port(struct dpy_vm *vm, unsigned int port)
{
	return vm->bar2 + MGPU_MMIO_VGA + port - MGPU_VGA_PORT_BASE;
}

/* bochs_hw_blank(): reset the attribute flip-flop, then index 0x20 (PAS) or 0. */
static void bochs_blank(struct dpy_vm *vm, bool blank)
{
	qtest_readb(&vm->q, vga_port(vm, 0x3da));
	qtest_writeb(&vm->q, vga_port(vm, 0x3c0), blank ? 0 : 0x20);
}

/* bochs_hw_setmode() and the unblank before it, register for register, at 32 bpp. */
static void bochs_setmode(struct dpy_vm *vm, unsigned int x, unsigned int y,
			  unsigned int vwidth)
{
	qtest_writeb(&vm->q, vga_port(vm, 0x3c2), 0x01);
	bochs_blank(vm, false);
	dispi_wr(vm, MGPU_DISPI_ENABLE, 0);
	dispi_wr(vm, MGPU_DISPI_BPP, 32);
	dispi_wr(vm, MGPU_DISPI_XRES, x);
	dispi_wr(vm, MGPU_DISPI_YRES, y);
	dispi_wr(vm, MGPU_DISPI_BANK, 0);
	dispi_wr(vm, MGPU_DISPI_VIRT_WIDTH, vwidth);
	dispi_wr(vm, MGPU_DISPI_VIRT_HEIGHT, VRAM / (vwidth * 4));
	dispi_wr(vm, MGPU_DISPI_X_OFFSET, 0);
	dispi_wr(vm, MGPU_DISPI_Y_OFFSET, 0);
	dispi_wr(vm, MGPU_DISPI_ENABLE, MGPU_DISPI_ENABLED | MGPU_DISPI_LFB_ENABLED);
}

/* bochs_hw_setbase(): show the buffer at (@x, @y) of the virtual screen. */
static void bochs_setbase(struct dpy_vm *vm, unsigned int vwidth, unsigned int x,
			  unsigned int y)
{
	dispi_wr(vm, MGPU_DISPI_VIRT_WIDTH, vwidth);
	dispi_wr(vm, MGPU_DISPI_X_OFFSET, x);
	dispi_wr(vm, MGPU_DISPI_Y_OFFSET, y);
}

/* Draw @f into VRAM from offset 0 with bulk writes through BAR0, as a guest would. */
static int draw(struct dpy_vm *vm, const struct fill *f)
{
	size_t n = (size_t)f->vwidth * f->rows, i;
	uint32_t *buf = malloc(n * 4);
	int ret;

	if (!buf)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		buf[i] = fill_pixel(f, i % f->vwidth, i / f->vwidth);
	ret = qtest_memwrite(&vm->q, vm->bar0, buf, n * 4);
	free(buf);
	return ret;
}

/* ---------------------------------------------------------------- checking the screen */

/* Dump the vGPU's console, logging QEMU's reason when it cannot. */
static int dump(struct __test_metadata *_metadata, struct dpy_vm *vm,
		struct qtest_image *img)
{
	int ret = qtest_screendump(&vm->q, DEV_ID, img);

	if (ret) {
		TH_LOG("screendump: %s (%s)", strerror(-ret), vm->q.qmp_error ?: "-");
		log_qemu(_metadata, &vm->q);
	}
	return ret;
}

/* Mismatching pixels of @img against @v (XRGB8888 little-endian, X ignored). */
static unsigned int image_diff(struct __test_metadata *_metadata,
			       const struct qtest_image *img, const struct view *v)
{
	unsigned int x, y, bad = 0;

	for (y = 0; y < img->height; y++) {
		for (x = 0; x < img->width; x++) {
			const uint8_t *p = img->rgb + 3 * ((size_t)y * img->width + x);
			uint32_t got = (uint32_t)p[0] << 16 | p[1] << 8 | p[2];
			uint32_t want = fill_pixel(v->f, x + v->xoff, y + v->yoff) & 0xffffff;

			if (got == want)
				continue;
			if (bad++ < BAD_SHOWN)
				TH_LOG("pixel (%u,%u): screendump %06x, expected %06x",
				       x, y, got, want);
		}
	}
	if (bad > BAD_SHOWN)
		TH_LOG("... %u of %u pixels differ", bad, img->width * img->height);
	return bad;
}

/* The screen QEMU shows now is exactly @v: size and every pixel. */
static void expect_screen(struct __test_metadata *_metadata, struct dpy_vm *vm,
			  const struct view *v, const char *what)
{
	struct qtest_image img;

	ASSERT_EQ(0, dump(_metadata, vm, &img)) TH_LOG("%s", what);
	EXPECT_EQ(v->w, img.width) TH_LOG("%s", what);
	EXPECT_EQ(v->h, img.height) TH_LOG("%s", what);
	if (img.width == v->w && img.height == v->h)
		EXPECT_EQ(0, image_diff(_metadata, &img, v)) TH_LOG("%s", what);
	qtest_image_free(&img);
}

/* QEMU runs, answers QMP and qtest, still sees the vGPU, and can dump the screen. */
static void expect_alive(struct __test_metadata *_metadata, struct dpy_vm *vm,
			 const char *what)
{
	struct qtest_image img;

	ASSERT_TRUE(qtest_alive(&vm->q)) {
		TH_LOG("QEMU gone after %s", what);
		log_qemu(_metadata, &vm->q);
	}
	ASSERT_EQ(MGPU_PCI_VENDOR_ID, qtest_pci_read16(&vm->q, vm->bdf, PCI_VENDOR_ID))
		TH_LOG("after %s", what);
	ASSERT_EQ(0, dump(_metadata, vm, &img)) TH_LOG("after %s", what);
	/* Whatever QEMU shows, it never shows more than a 32 bpp frame the VRAM holds. */
	EXPECT_LE((uint64_t)img.width * img.height * 4, VRAM)
		TH_LOG("after %s: a %ux%u screen", what, img.width, img.height);
	qtest_image_free(&img);
}

/* ---------------------------------------------------------------- EDID */

static unsigned int edid_sum(const uint8_t *block)
{
	unsigned int i, sum = 0;

	for (i = 0; i < EDID_BLOCK; i++)
		sum += block[i];
	return sum & 0xff;
}

/* The active size a detailed timing descriptor gives (12 bits each). */
static void edid_dtd_size(const uint8_t *d, unsigned int *x, unsigned int *y)
{
	*x = d[2] | (d[4] & 0xf0) << 4;
	*y = d[5] | (d[7] & 0xf0) << 4;
}

/* ---------------------------------------------------------------- fixtures */

/* The harness skips the teardown when setup fails: undo everything on the way out. */
static int dpy_vm_start(struct __test_metadata *_metadata, struct dpy_vm *vm,
			const char *parent, const char *opts)
{
	int ret = dpy_vm_up(vm, parent, opts);

	if (!ret)
		ret = dpy_vm_map(vm);
	if (ret) {
		TH_LOG("QEMU could not start on vGPU %s: %s (waiting for %s after %d ms)",
		       vm->dev.uuid, strerror(-ret), vm->q.stage ?: "-", vm->q.start_ms);
		log_qemu(_metadata, &vm->q);
	}
	return ret;
}

/* Why the tests cannot run here, or NULL. */
static const char *dpy_skip_reason(char *parent, size_t len)
{
	if (mgpu_find_parent(parent, len)) {
		parent[0] = 0;	/* loaded but no parent: the caller fails the test */
		return mgpu_modprobe_ok() ? NULL : "the mgpu module is not loaded";
	}
	if (access("/dev/vfio/vfio", F_OK))
		return "no /dev/vfio/vfio (vfio not loaded)";
	if (!qtest_qemu_available())
		return "QEMU not found: install it (or set MGPU_QEMU)";
	return NULL;
}

FIXTURE(qdisp) {
	char parent[64];
	struct dpy_vm vm;
};

FIXTURE_SETUP(qdisp)
{
	const char *why = dpy_skip_reason(self->parent, sizeof(self->parent));
	int ret;

	if (why)
		SKIP(return, "%s", why);
	ASSERT_NE(0, self->parent[0]) TH_LOG("mgpu is loaded but offers no mdev parent");
	mgpu_remove_all();
	/* mgpu is loaded, so QEMU failing to show the vGPU is a FAIL, not a SKIP. */
	ret = dpy_vm_start(_metadata, &self->vm, self->parent, "");
	if (ret)
		dpy_vm_down(&self->vm);
	ASSERT_EQ(0, ret);
}

FIXTURE_TEARDOWN(qdisp)
{
	EXPECT_EQ(0, self->vm.q.error) TH_LOG("qtest/QMP error");
	dpy_vm_down(&self->vm);
}

/*
 * The same with vfio-pci's xres/yres, from which QEMU builds the EDID it writes into
 * the vGPU's EDID region. QEMU (10.0) does that only for a dmabuf display, and refuses
 * the properties for a region-plane one such as mgpu's: then there is nothing to test.
 */
FIXTURE(qedid) {
	char parent[64];
	struct dpy_vm vm;
};

FIXTURE_SETUP(qedid)
{
	const char *why = dpy_skip_reason(self->parent, sizeof(self->parent));
	char opts[64];
	bool no_edid;
	int ret;

	if (why)
		SKIP(return, "%s", why);
	ASSERT_NE(0, self->parent[0]) TH_LOG("mgpu is loaded but offers no mdev parent");
	mgpu_remove_all();
	snprintf(opts, sizeof(opts), ",xres=%d,yres=%d", EDID_XRES, EDID_YRES);
	ret = dpy_vm_start(_metadata, &self->vm, self->parent, opts);
	no_edid = ret && qtest_stderr_has(&self->vm.q, "need edid support");
	if (ret)
		dpy_vm_down(&self->vm);
	if (no_edid)
		SKIP(return, "this QEMU builds no EDID for a region-plane display (xres/yres)");
	ASSERT_EQ(0, ret);
}

FIXTURE_TEARDOWN(qedid)
{
	EXPECT_EQ(0, self->vm.q.error) TH_LOG("qtest/QMP error");
	dpy_vm_down(&self->vm);
}

/* Read the EDID window as bochs-drm does: the header byte by byte, then in bulk. */
static void edid_read(struct __test_metadata *_metadata, struct dpy_vm *vm, uint8_t *edid)
{
	unsigned int i;

	for (i = 0; i < 8; i++)
		edid[i] = qtest_readb(&vm->q, vm->bar2 + MGPU_MMIO_EDID + i);
	EXPECT_EQ(0, qtest_memread(&vm->q, vm->bar2 + MGPU_MMIO_EDID + 8, edid + 8,
				   MGPU_MMIO_EDID_SIZE - 8));
}

/* A structurally valid EDID of 1 + extensions blocks, zeroes after it; its blocks. */
static unsigned int edid_check(struct __test_metadata *_metadata, const uint8_t *edid)
{
	static const uint8_t header[8] = { 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0 };
	unsigned int i, blocks = 1 + edid[126];

	EXPECT_EQ(0, memcmp(header, edid, sizeof(header)));
	EXPECT_EQ(1, edid[18]) TH_LOG("EDID version %u.%u", edid[18], edid[19]);
	EXPECT_LE(blocks * EDID_BLOCK, MGPU_MMIO_EDID_SIZE) TH_LOG("%u extensions", blocks - 1);
	if (blocks * EDID_BLOCK > MGPU_MMIO_EDID_SIZE)
		return 0;
	for (i = 0; i < blocks; i++)
		EXPECT_EQ(0, edid_sum(edid + i * EDID_BLOCK)) TH_LOG("EDID block %u", i);
	/* Past the blob the window reads as zeroes, not as stale or foreign data. */
	for (i = blocks * EDID_BLOCK; i < MGPU_MMIO_EDID_SIZE && !edid[i]; i++)
		;
	EXPECT_EQ(MGPU_MMIO_EDID_SIZE, i) TH_LOG("EDID window byte %u is %#x", i, edid[i]);
	/* A pixel clock of 0 would make it a display descriptor, not a timing. */
	EXPECT_NE(0, edid[EDID_DTD] | edid[EDID_DTD + 1]);
	return blocks;
}

/* ---------------------------------------------------------------- tests */

/*
 * bochs-drm's get_modes: the EDID at BAR2 offset 0 is the one QEMU wrote into the
 * vGPU's EDID region, so its preferred mode is vfio-pci's xres x yres.
 */
TEST_F_TIMEOUT(qedid, edid_from_xres_yres, TIMEOUT)
{
	uint8_t edid[MGPU_MMIO_EDID_SIZE];
	unsigned int x, y;

	edid_read(_metadata, &self->vm, edid);
	ASSERT_NE(0, edid_check(_metadata, edid));
	edid_dtd_size(edid + EDID_DTD, &x, &y);
	EXPECT_EQ(EDID_XRES, x);
	EXPECT_EQ(EDID_YRES, y);
}

/*
 * Without xres/yres QEMU writes no EDID into a region-plane display's EDID region: the
 * link stays down and the window reads as zeroes, so bochs-drm's header check fails
 * and it falls back to its built-in modes. Should the vGPU ever offer an EDID of its
 * own, it must be a valid one.
 */
TEST_F_TIMEOUT(qdisp, edid_window, TIMEOUT)
{
	uint8_t edid[MGPU_MMIO_EDID_SIZE];
	unsigned int i;

	edid_read(_metadata, &self->vm, edid);
	if (edid[1]) {
		TH_LOG("the vGPU offers an EDID without QEMU's");
		edid_check(_metadata, edid);
		return;
	}
	for (i = 0; i < sizeof(edid) && !edid[i]; i++)
		;
	EXPECT_EQ(sizeof(edid), i) TH_LOG("EDID window byte %u is %#x", i, edid[i]);
}

/* bochs_hw_init(): the DISPI ID, the VRAM size and the QEMU extension registers. */
TEST_F_TIMEOUT(qdisp, bochs_probe, TIMEOUT)
{
	struct dpy_vm *vm = &self->vm;

	EXPECT_EQ(MGPU_DISPI_ID0, dispi_rd(vm, MGPU_DISPI_ID) & 0xfff0);
	EXPECT_EQ(MGPU_DISPI_ID5, dispi_rd(vm, MGPU_DISPI_ID));
	EXPECT_EQ(VRAM >> 16, dispi_rd(vm, MGPU_DISPI_VIDEO_MEMORY_64K));
	EXPECT_LE(MGPU_PCI_REVISION, qtest_pci_read8(&vm->q, vm->bdf, PCI_REVISION_ID));
	EXPECT_LE(8, qtest_readl(&vm->q, vm->bar2 + MGPU_QEXT_SIZE));
	qtest_writel(&vm->q, vm->bar2 + MGPU_QEXT_ENDIAN, MGPU_QEXT_ENDIAN_LITTLE);
	EXPECT_EQ(MGPU_QEXT_ENDIAN_LITTLE, qtest_readl(&vm->q, vm->bar2 + MGPU_QEXT_ENDIAN));
}

/*
 * A 640x480 mode on an 800-pixel-wide virtual screen, a frame drawn through BAR0, and
 * QEMU's screendump shows exactly its visible part; then two page flips (setbase).
 */
TEST_F_TIMEOUT(qdisp, frame_and_flip, TIMEOUT)
{
	const struct fill f = { .seed = 1, .vwidth = 800, .rows = 2 * 480 };
	struct view v = { .f = &f, .w = 640, .h = 480 };
	struct dpy_vm *vm = &self->vm;

	bochs_setmode(vm, v.w, v.h, f.vwidth);
	bochs_setbase(vm, f.vwidth, 0, 0);
	ASSERT_EQ(0, draw(vm, &f));
	expect_screen(_metadata, vm, &v, "first frame");

	v.yoff = 480;
	bochs_setbase(vm, f.vwidth, 0, v.yoff);
	expect_screen(_metadata, vm, &v, "after a flip to Y_OFFSET 480");

	v.xoff = 160;
	v.yoff = 3;
	bochs_setbase(vm, f.vwidth, v.xoff, v.yoff);
	expect_screen(_metadata, vm, &v, "panned to (160,3)");
}

/* A new mode changes the screen's size; the new frame shows in full. */
TEST_F_TIMEOUT(qdisp, mode_change, TIMEOUT)
{
	const struct fill small = { .seed = 2, .vwidth = 640, .rows = 480 };
	const struct fill big = { .seed = 3, .vwidth = 800, .rows = 600 };
	struct view v = { .f = &small, .w = 640, .h = 480 };
	struct dpy_vm *vm = &self->vm;

	bochs_setmode(vm, v.w, v.h, small.vwidth);
	bochs_setbase(vm, small.vwidth, 0, 0);
	ASSERT_EQ(0, draw(vm, &small));
	expect_screen(_metadata, vm, &v, "640x480");

	v = (struct view){ .f = &big, .w = 800, .h = 600 };
	bochs_setmode(vm, v.w, v.h, big.vwidth);
	bochs_setbase(vm, big.vwidth, 0, 0);
	ASSERT_EQ(0, draw(vm, &big));
	expect_screen(_metadata, vm, &v, "800x600");
}

/*
 * Nothing to show (power-on, DISPI disabled, screen blanked): screendump still works
 * and QEMU carries on; the next mode set shows its frame again.
 */
TEST_F_TIMEOUT(qdisp, display_off, TIMEOUT)
{
	const struct fill f = { .seed = 4, .vwidth = 640, .rows = 480 };
	const struct fill g = { .seed = 5, .vwidth = 640, .rows = 480 };
	struct view v = { .f = &f, .w = 640, .h = 480 };
	struct dpy_vm *vm = &self->vm;

	expect_alive(_metadata, vm, "a dump at power-on");
	bochs_setmode(vm, v.w, v.h, f.vwidth);
	ASSERT_EQ(0, draw(vm, &f));
	expect_screen(_metadata, vm, &v, "before ENABLE=0");

	dispi_wr(vm, MGPU_DISPI_ENABLE, 0);
	expect_alive(_metadata, vm, "ENABLE=0");
	bochs_setmode(vm, v.w, v.h, f.vwidth);	/* clears the frame */
	bochs_blank(vm, true);
	expect_alive(_metadata, vm, "a blanked screen");

	v.f = &g;
	bochs_setmode(vm, v.w, v.h, g.vwidth);
	ASSERT_EQ(0, draw(vm, &g));
	expect_screen(_metadata, vm, &v, "after re-enabling");
}

/* A DISPI state the test wants to try, written after a valid 640x480 mode. */
struct hostile {
	const char *what;
	uint16_t xres, yres, bpp, vwidth, xoff, yoff;
	bool enable;	/* write ENABLE afterwards (else: changed while enabled) */
};

static const struct hostile hostile_modes[] = {
	{ "all ones", 0xffff, 0xffff, 32, 0xffff, 0xffff, 0xffff, true },
	{ "max resolution", MGPU_DISPI_MAX_XRES, MGPU_DISPI_MAX_YRES, 32,
	  MGPU_DISPI_MAX_XRES, 0, 0, true },
	{ "4096x4096 (4x VRAM)", 4096, 4096, 32, 4096, 0, 0, true },
	{ "2048x2048 (all of VRAM)", 2048, 2048, 32, 2048, 0, 0, true },
	{ "2048x2048 one line down", 2048, 2048, 32, 2048, 0, 1, true },
	{ "Y offset past VRAM", 640, 480, 32, 640, 0, 0xffff, true },
	{ "X offset past the line", 640, 480, 32, 640, 0xffff, 0, true },
	{ "virtual width below XRES", 640, 480, 32, 16, 0, 0, true },
	{ "zero XRES", 0, 480, 32, 640, 0, 0, true },
	{ "bpp 0", 640, 480, 0, 640, 0, 0, true },
	{ "bpp 0xffff", 640, 480, 0xffff, 640, 0, 0, true },
	{ "bpp 16, huge", 0xffff, 0xffff, 16, 0xffff, 0, 0, true },
	{ "XRES and YRES huge while enabled", 0xffff, 0xffff, 32, 640, 0, 0, false },
	{ "offsets huge while enabled", 640, 480, 32, 640, 0xffff, 0xffff, false },
	{ "virtual width huge while enabled", 640, 480, 32, 0xffff, 0, 0, false },
};

static void hostile_apply(struct dpy_vm *vm, const struct hostile *h)
{
	if (h->enable)
		dispi_wr(vm, MGPU_DISPI_ENABLE, 0);
	dispi_wr(vm, MGPU_DISPI_BPP, h->bpp);
	dispi_wr(vm, MGPU_DISPI_XRES, h->xres);
	dispi_wr(vm, MGPU_DISPI_YRES, h->yres);
	dispi_wr(vm, MGPU_DISPI_VIRT_WIDTH, h->vwidth);
	dispi_wr(vm, MGPU_DISPI_VIRT_HEIGHT, 0xffff);
	dispi_wr(vm, MGPU_DISPI_X_OFFSET, h->xoff);
	dispi_wr(vm, MGPU_DISPI_Y_OFFSET, h->yoff);
	if (h->enable)
		dispi_wr(vm, MGPU_DISPI_ENABLE, MGPU_DISPI_ENABLED | MGPU_DISPI_LFB_ENABLED |
			 MGPU_DISPI_NOCLEARMEM);
}

/*
 * Hostile DISPI values, each followed by a screendump: QEMU (which reads the region
 * plane's mapping with the plane's geometry) survives, never shows more than the VRAM
 * holds, and a valid mode afterwards shows its frame exactly.
 */
TEST_F_TIMEOUT(qdisp, hostile_dispi, TIMEOUT)
{
	const struct fill f = { .seed = 6, .vwidth = 640, .rows = 480 };
	const struct view v = { .f = &f, .w = 640, .h = 480 };
	struct dpy_vm *vm = &self->vm;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(hostile_modes); i++) {
		bochs_setmode(vm, 640, 480, 640);
		hostile_apply(vm, &hostile_modes[i]);
		expect_alive(_metadata, vm, hostile_modes[i].what);
	}
	bochs_setmode(vm, v.w, v.h, f.vwidth);
	ASSERT_EQ(0, draw(vm, &f));
	expect_screen(_metadata, vm, &v, "a valid mode after the hostile ones");
}

/* Random DISPI and VGA writes, a screendump every few: the same guarantees. */
TEST_F_TIMEOUT(qdisp, hostile_dispi_random, TIMEOUT)
{
	static const uint16_t bpps[] = { 0, 8, 15, 16, 24, 32, 32, 32 };
	const struct fill f = { .seed = 7, .vwidth = 800, .rows = 600 };
	const struct view v = { .f = &f, .w = 800, .h = 600 };
	struct dpy_vm *vm = &self->vm;
	char what[64];
	unsigned int i;

	srand(7);
	for (i = 1; i <= 300; i++) {
		unsigned int reg = rand() % MGPU_DISPI_NR;
		uint16_t val = rand() % 4 ? rand() % 4096 : rand();

		if (reg == MGPU_DISPI_BPP)
			val = bpps[rand() % ARRAY_SIZE(bpps)];
		if (reg == MGPU_DISPI_ENABLE)
			val = MGPU_DISPI_ENABLED | MGPU_DISPI_LFB_ENABLED | MGPU_DISPI_NOCLEARMEM;
		dispi_wr(vm, reg, val);
		if (i % 25)
			continue;
		bochs_blank(vm, false);
		snprintf(what, sizeof(what), "random write %u", i);
		expect_alive(_metadata, vm, what);
	}
	bochs_setmode(vm, v.w, v.h, f.vwidth);
	ASSERT_EQ(0, draw(vm, &f));
	expect_screen(_metadata, vm, &v, "a valid mode after random writes");
}

TEST_HARNESS_MAIN
