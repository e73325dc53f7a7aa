// SPDX-License-Identifier: GPL-2.0-only
/*
 * mgpu_demo_seat: one seat of `make run`'s demo. It starts QEMU with a vGPU as its
 * vfio-pci device and plays the guest's driver through QEMU (qtest, no guest OS to
 * boot): it sets a 640x480 display mode through the trapped Bochs registers (BAR2) and
 * has the vGPU's command engine draw an animation into its framebuffer, every frame
 * followed by a chunk of engine work (BUSY), keeping a few frames in flight so the
 * engine's scheduler decides how fast each seat goes. Ring and commands go through
 * QEMU's BAR4 (the passed-through VRAM), doorbells through BAR3.
 *
 *   mgpu_demo_seat <uuid> <seconds> <0xRRGGBB> [busy_us]
 *
 * Prints the frames it completed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/mgpu.h>

#include "mgpu_engine.h"
#include "qtest.h"

#define W		640
#define H		480
#define PITCH		(W * 4)
#define RING_SIZE	0x10000u
#define IN_FLIGHT	3
#define BOX		96

struct seat {
	struct qtest q;
	uint64_t bar2, bar3, bar4;
	uint32_t ring, ctrl, fence_slot, tail;
	uint64_t seq;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void dispi(struct seat *s, unsigned int reg, uint16_t val)
{
	qtest_writew(&s->q, s->bar2 + MGPU_MMIO_DISPI + 2 * reg, val);
}

static void emit(struct seat *s, const uint32_t *c, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		qtest_writel(&s->q, s->bar4 + s->ring + s->tail, c[i]);
		s->tail = (s->tail + 4) & (RING_SIZE - 1);
	}
}

static uint64_t completed(struct seat *s)
{
	return qtest_readq(&s->q, s->bar4 + s->fence_slot);
}

static int seat_up(struct seat *s, const char *uuid)
{
	int bdf, ret;

	ret = qtest_start_mdev(&s->q, uuid, "seat");
	if (ret)
		return ret;
	bdf = qtest_pci_devfn(&s->q, "seat");
	if (bdf < 0)
		return bdf;
	ret = qtest_pci_bar_map(&s->q, bdf, MGPU_BAR_MMIO, &s->bar2);
	if (!ret)
		ret = qtest_pci_bar_map(&s->q, bdf, MGPU_BAR_ENGINE, &s->bar3);
	if (!ret)
		ret = qtest_pci_bar_map(&s->q, bdf, MGPU_BAR_APERTURE, &s->bar4);
	if (ret)
		return ret;
	qtest_pci_enable_mem(&s->q, bdf);
	return s->q.error;
}

/* What a guest driver does at start-up: a display mode, then the engine. */
static int seat_start(struct seat *s)
{
	uint32_t vram = qtest_readl(&s->q, s->bar3 + MGPU_ENG_VRAM_MB) << 20;

	if (qtest_readl(&s->q, s->bar3 + MGPU_ENG_ID) != MGPU_ENG_MAGIC)
		return -ENODEV;
	dispi(s, MGPU_DISPI_ENABLE, 0);
	dispi(s, MGPU_DISPI_XRES, W);
	dispi(s, MGPU_DISPI_YRES, H);
	dispi(s, MGPU_DISPI_BPP, 32);
	dispi(s, MGPU_DISPI_VIRT_WIDTH, W);
	dispi(s, MGPU_DISPI_VIRT_HEIGHT, H);
	dispi(s, MGPU_DISPI_ENABLE, MGPU_DISPI_ENABLED | MGPU_DISPI_LFB_ENABLED);
	/* Screen on: the VGA attribute controller's palette-address-source bit. */
	qtest_writeb(&s->q, s->bar2 + MGPU_MMIO_VGA + (0x3c0 - MGPU_VGA_PORT_BASE), 0x20);
	s->ring = vram - (1u << 20);
	s->ctrl = s->ring + RING_SIZE;
	s->fence_slot = s->ctrl + sizeof(struct mgpu_eng_ctrl);
	qtest_writel(&s->q, s->bar3 + MGPU_ENG_RESET, MGPU_ENG_RESET_MAGIC);
	qtest_writeq(&s->q, s->bar4 + s->fence_slot, 0);
	qtest_writel(&s->q, s->bar3 + MGPU_ENG_RING_BASE, s->ring);
	qtest_writel(&s->q, s->bar3 + MGPU_ENG_RING_SIZE, RING_SIZE);
	qtest_writel(&s->q, s->bar3 + MGPU_ENG_CTRL_BASE, s->ctrl);
	qtest_writel(&s->q, s->bar3 + MGPU_ENG_CONTROL, MGPU_ENG_CONTROL_ENABLE);
	return s->q.error;
}

/* One frame: background, a bouncing box, a bar that grows with the frame count. */
static void frame(struct seat *s, uint64_t f, uint32_t color, uint32_t busy_us)
{
	uint32_t dim = (color >> 2) & 0x3f3f3f, c[16];
	uint32_t x = f * 7 % (2 * (W - BOX)), y = f * 5 % (2 * (H - BOX - 40));
	uint32_t bar = (f * 4) % W + 4;

	if (x >= W - BOX)
		x = 2 * (W - BOX) - x;
	if (y >= H - BOX - 40)
		y = 2 * (H - BOX - 40) - y;
	emit(s, c, mgpu_cmd_fill(c, 0, PITCH, PITCH, H - 32, dim));
	emit(s, c, mgpu_cmd_fill(c, (uint64_t)y * PITCH + 4 * x, PITCH, 4 * BOX, BOX, color));
	emit(s, c, mgpu_cmd_fill(c, (uint64_t)(H - 32) * PITCH, PITCH, PITCH, 32, 0x202020));
	emit(s, c, mgpu_cmd_fill(c, (uint64_t)(H - 24) * PITCH, PITCH, 4 * bar, 16, 0xffffff));
	while (busy_us) {	/* one BUSY runs at most MGPU_CMD_BUSY_MAX_US */
		uint32_t us = busy_us < MGPU_CMD_BUSY_MAX_US ? busy_us : MGPU_CMD_BUSY_MAX_US;

		emit(s, c, mgpu_cmd_busy(c, us));
		busy_us -= us;
	}
	emit(s, c, mgpu_cmd_fence(c, s->fence_slot, ++s->seq, false));
	qtest_writel(&s->q, s->bar3 + MGPU_ENG_TAIL, s->tail);
}

int main(int argc, char **argv)
{
	struct seat s = { 0 };
	double end, start;
	uint32_t color, busy;
	int ret;

	if (argc < 4) {
		fprintf(stderr, "usage: %s <uuid> <seconds> <0xRRGGBB> [busy_us]\n", argv[0]);
		return 2;
	}
	color = strtoul(argv[3], NULL, 0);
	busy = argc > 4 ? strtoul(argv[4], NULL, 0) : 150000;
	ret = seat_up(&s, argv[1]);
	if (!ret)
		ret = seat_start(&s);
	if (ret) {
		fprintf(stderr, "seat %s: QEMU did not come up: %s\n%s", argv[1], strerror(-ret),
			qtest_stderr(&s.q));
		qtest_quit(&s.q);
		return 1;
	}
	start = now_s();
	end = start + atof(argv[2]);
	while (now_s() < end && !s.q.error) {
		if (s.seq - completed(&s) < IN_FLIGHT)
			frame(&s, s.seq, color, busy);
		else
			usleep(2000);
		if (qtest_readl(&s.q, s.bar3 + MGPU_ENG_STATUS) & MGPU_ENG_STATUS_ERROR) {
			fprintf(stderr, "seat %s: engine error %u\n", argv[1],
				qtest_readl(&s.q, s.bar3 + MGPU_ENG_ERROR));
			break;
		}
	}
	while (completed(&s) < s.seq && now_s() < end + 30)
		usleep(10000);
	printf("seat %s: %llu frames in %.0f s\n", argv[1], (unsigned long long)completed(&s),
	       now_s() - start);
	/* Leave QEMU running with the last frame on screen until told to stop. */
	if (getenv("MGPU_SEAT_HOLD")) {
		fflush(stdout);
		while (access(getenv("MGPU_SEAT_HOLD"), F_OK) == 0)
			usleep(100000);
	}
	qtest_quit(&s.q);
	return s.q.error ? 1 : 0;
}
