// SPDX-License-Identifier: GPL-2.0-only
/*
 * VM tier helper (not a test itself): act as a guest driver on a vGPU through VFIO —
 * set a 32 bpp mode of <w>x<h> through the Bochs registers and draw the test pattern
 * of selftests/host/mgpuctl/check.py into the framebuffer — then let go of the vGPU.
 * mgpu_mgpuctl_test.sh snapshots it with mgpuctl and compares.
 *   mgpu_draw <uuid> <w> <h>
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <linux/mgpu.h>

#include "mgpu_test.h"

static int dispi(struct mgpu_dev *d, unsigned int reg, uint16_t val)
{
	return mgpu_region_write(d, VFIO_PCI_BAR0_REGION_INDEX + MGPU_BAR_MMIO,
				 MGPU_MMIO_DISPI + 2 * reg, &val, 2) == 2 ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct vfio_region_info info;
	struct mgpu_dev d = { .container = -1, .group = -1, .fd = -1 };
	uint8_t on = 0x20, *fb;
	unsigned int w, h, x, y;
	int err = 0;

	if (argc != 4)
		return 2;
	snprintf(d.uuid, sizeof(d.uuid), "%s", argv[1]);
	w = atoi(argv[2]);
	h = atoi(argv[3]);
	if (mgpu_open(&d) || mgpu_region_info(&d, VFIO_PCI_BAR0_REGION_INDEX, &info)) {
		fprintf(stderr, "cannot open vGPU %s\n", d.uuid);
		return 1;
	}
	err |= dispi(&d, MGPU_DISPI_ENABLE, 0);
	err |= dispi(&d, MGPU_DISPI_XRES, w);
	err |= dispi(&d, MGPU_DISPI_YRES, h);
	err |= dispi(&d, MGPU_DISPI_BPP, 32);
	err |= dispi(&d, MGPU_DISPI_ENABLE, MGPU_DISPI_ENABLED | MGPU_DISPI_LFB_ENABLED);
	if (mgpu_region_write(&d, VFIO_PCI_BAR0_REGION_INDEX + MGPU_BAR_MMIO, MGPU_MMIO_VGA,
			      &on, 1) != 1)
		err = 1;
	fb = mmap(NULL, info.size, PROT_READ | PROT_WRITE, MAP_SHARED, d.fd, info.offset);
	if (err || fb == MAP_FAILED) {
		fprintf(stderr, "cannot set the mode or map BAR0\n");
		return 1;
	}
	for (y = 0; y < h; y++) {
		for (x = 0; x < w; x++) {
			uint8_t *p = fb + (y * w + x) * 4;

			p[0] = (x * 3 + y * 7 + 11) & 255;	/* blue */
			p[1] = (y * 5 + x * 2) & 255;		/* green */
			p[2] = (x * 4 + y) & 255;		/* red */
			p[3] = 0x5a;
		}
	}
	munmap(fb, info.size);
	mgpu_close(&d);
	return 0;
}
