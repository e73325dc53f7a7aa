/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * mgpu selftest library: a tmem device (include/uapi/linux/mgpu_tmem.h) driven from
 * userspace through VFIO, as a guest driver would drive it — its mdev, its VFIO file
 * descriptors, a buffer of this process's memory mapped for the device as "guest
 * memory" (VFIO_IOMMU_MAP_DMA), the ring at the start of that buffer and the pages after
 * it, descriptors pushed and completed. Helpers return 0 or -errno and leave asserting
 * to the caller.
 */
#ifndef MGPU_TMEM_RING_H
#define MGPU_TMEM_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/mgpu_tmem.h>

#include "mgpu_test.h"

#define MGPU_TMEM_PARENT	"mgpu_tmem"
#define MGPU_TMEM_TYPE		"mgpu_tmem-1"
/* Guest memory: the ring's area (room for MGPU_TMEM_MAX_RING descriptors), then pages. */
#define MGPU_TMEM_RING_AREA	(MGPU_TMEM_MAX_RING * sizeof(struct mgpu_tmem_desc))
#define MGPU_TMEM_WAIT_MS	30000	/* completions under TCG, a busy machine */

/* One tmem device under test. */
struct mgpu_tmem_ring {
	struct mgpu_dev dev;		/* the mdev and its VFIO fds */
	uint64_t bar0;			/* BAR0's offset in the device file */
	uint8_t *mem;			/* guest memory: the ring area, then pages */
	size_t mem_size;
	uint64_t iova;			/* the device's address of mem[0] */
	bool mapped;			/* mem is mapped for the device */
	bool created;			/* the mdev is ours to remove */
	volatile struct mgpu_tmem_desc *ring;
	uint32_t size;			/* RING_SIZE */
	uint32_t tail;			/* the driver's free-running TAIL */
};

int mgpu_tmem_ring_create(struct mgpu_tmem_ring *t);
int mgpu_tmem_ring_open(struct mgpu_tmem_ring *t, size_t pages, uint64_t iova);
int mgpu_tmem_ring_map(struct mgpu_tmem_ring *t);
int mgpu_tmem_ring_unmap(struct mgpu_tmem_ring *t);
int mgpu_tmem_ring_start(struct mgpu_tmem_ring *t, uint32_t size);
void mgpu_tmem_ring_close(struct mgpu_tmem_ring *t);
int mgpu_tmem_ring_destroy(struct mgpu_tmem_ring *t);
int mgpu_tmem_remove_all(void);

uint32_t mgpu_tmem_rd(struct mgpu_tmem_ring *t, uint32_t off);
int mgpu_tmem_wr(struct mgpu_tmem_ring *t, uint32_t off, uint32_t val);

void *mgpu_tmem_page(struct mgpu_tmem_ring *t, size_t i);
uint64_t mgpu_tmem_page_gpa(struct mgpu_tmem_ring *t, size_t i);
volatile struct mgpu_tmem_desc *mgpu_tmem_push(struct mgpu_tmem_ring *t,
					       const struct mgpu_tmem_desc *d);
int mgpu_tmem_kick(struct mgpu_tmem_ring *t);
int mgpu_tmem_wait(struct mgpu_tmem_ring *t, int timeout_ms);
int mgpu_tmem_submit(struct mgpu_tmem_ring *t, const struct mgpu_tmem_desc *d,
		     uint64_t *result);
int mgpu_tmem_new_pool(struct mgpu_tmem_ring *t, uint8_t flags, const uint8_t *uuid);

#endif /* MGPU_TMEM_RING_H */
