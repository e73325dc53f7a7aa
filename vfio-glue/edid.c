// SPDX-License-Identifier: GPL-2.0-only
/*
 * mgpu: a 128-byte EDID 1.4 for the vGPU's virtual monitor, whose preferred mode (the
 * first detailed timing, 60 Hz with reduced blanking) is the vGPU's resolution. QEMU
 * fills no EDID for a region-plane display, so without this the guest would fall back
 * to its driver's default mode.
 */
#ifdef __KERNEL__
#include <linux/errno.h>
#include <linux/string.h>
#else
#include <errno.h>
#include <string.h>
#endif

#include "edid.h"

/* Reduced-blanking (CVT-RB style) porches and sync widths, in pixels and lines. */
#define H_FRONT	48
#define H_SYNC	32
#define H_BACK	80
#define V_FRONT	3
#define V_SYNC	5
#define V_BACK	15

static void put_dtd(u8 *d, u32 w, u32 h)
{
	u32 hblank = H_FRONT + H_SYNC + H_BACK, vblank = V_FRONT + V_SYNC + V_BACK;
	u32 clock = (w + hblank) * (h + vblank) * 60 / 10000;	/* in 10 kHz */

	d[0] = clock & 0xff;
	d[1] = clock >> 8;
	d[2] = w & 0xff;
	d[3] = hblank & 0xff;
	d[4] = (w >> 8) << 4 | hblank >> 8;
	d[5] = h & 0xff;
	d[6] = vblank & 0xff;
	d[7] = (h >> 8) << 4 | vblank >> 8;
	d[8] = H_FRONT;
	d[9] = H_SYNC;
	d[10] = V_FRONT << 4 | V_SYNC;
	d[11] = 0;
	d[12] = (w * 264 / 1000) & 0xff;	/* image size in mm at ~96 dpi */
	d[13] = (h * 264 / 1000) & 0xff;
	d[14] = ((w * 264 / 1000) >> 8) << 4 | (h * 264 / 1000) >> 8;
	d[17] = 0x1e;				/* digital separate sync, +h +v */
}

static void put_name(u8 *d)
{
	static const char name[13] = "mgpu vGPU\n   ";

	d[3] = 0xfc;
	memcpy(d + 5, name, sizeof(name));
}

static void put_header(u8 *b)
{
	static const u8 magic[8] = { 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00 };

	memcpy(b, magic, sizeof(magic));
	b[8] = 0x35;		/* manufacturer "MGP" in 5-bit letters */
	b[9] = 0xf0;
	b[10] = 0x01;		/* product code */
	b[16] = 1;		/* week */
	b[17] = 2026 - 1990;	/* year */
	b[18] = 1;		/* EDID 1.4 */
	b[19] = 4;
	b[20] = 0xa5;		/* digital, 8 bits per colour, DisplayPort */
	b[23] = 120;		/* gamma 2.2 */
	b[24] = 0x06;		/* sRGB, preferred timing is native */
	b[35] = 0x21;		/* established: 640x480@60, 800x600@60 */
	b[36] = 0x08;		/* established: 1024x768@60 */
	memset(b + 38, 0x01, 16);	/* no standard timings */
}

/**
 * mgpu_edid_build - the virtual monitor's EDID for a preferred mode
 * @blob: MGPU_EDID_BLOCK bytes
 * @width: preferred width, MGPU_EDID_MIN_W..MGPU_EDID_MAX_W
 * @height: preferred height, MGPU_EDID_MIN_H..MGPU_EDID_MAX_H
 *
 * Return: 0, or -EINVAL for a resolution out of range (@blob untouched).
 */
int mgpu_edid_build(u8 *blob, u32 width, u32 height)
{
	u8 sum = 0;
	int i;

	if (width < MGPU_EDID_MIN_W || width > MGPU_EDID_MAX_W ||
	    height < MGPU_EDID_MIN_H || height > MGPU_EDID_MAX_H)
		return -EINVAL;
	memset(blob, 0, MGPU_EDID_BLOCK);
	put_header(blob);
	put_dtd(blob + 54, width, height);
	put_name(blob + 72);
	blob[90 + 3] = 0x10;	/* two unused descriptors */
	blob[108 + 3] = 0x10;
	for (i = 0; i < MGPU_EDID_BLOCK - 1; i++)
		sum += blob[i];
	blob[MGPU_EDID_BLOCK - 1] = -sum;
	return 0;
}
