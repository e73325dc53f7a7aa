// SPDX-License-Identifier: GPL-2.0-only
/* mgpu tmem: the tmem device's config space, emulated by the vGPU's own code. */
#include "../vfio-glue/cfgspace.c"
