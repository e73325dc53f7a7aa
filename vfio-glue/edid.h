/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * mgpu: the EDID of a vGPU's built-in virtual monitor. Pure logic, compiled in
 * userspace by the host-tier tests.
 */
#ifndef MGPU_EDID_H
#define MGPU_EDID_H

#include "cfgspace.h"	/* u8..u64 in both worlds */

#define MGPU_EDID_BLOCK		128
#define MGPU_EDID_MIN_W		640
#define MGPU_EDID_MIN_H		480
#define MGPU_EDID_MAX_W		3840	/* a detailed timing holds 12 bits */
#define MGPU_EDID_MAX_H		2160

int mgpu_edid_build(u8 *blob, u32 width, u32 height);

#endif /* MGPU_EDID_H */
