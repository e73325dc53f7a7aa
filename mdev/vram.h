/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * mgpu: a GPU's VRAM as a pool of fixed-size chunks. A vGPU's partition is a list of
 * chunks (its translation table), so free VRAM is always usable whatever the order of
 * creates and removes: the pool cannot fragment into an unusable state. Pure logic,
 * compiled in userspace by the host-tier tests.
 */
#ifndef MGPU_VRAM_H
#define MGPU_VRAM_H

#include "cfgspace.h"	/* u8..u64 in both worlds */

#define MGPU_CHUNK_SHIFT	20
#define MGPU_CHUNK_SIZE		BIT_ULL(MGPU_CHUNK_SHIFT)
#define MGPU_VRAM_MAX_CHUNKS	4096	/* 4 GiB of VRAM */

#define MGPU_CHUNK_FREE		0
#define MGPU_CHUNK_USED		1
#define MGPU_CHUNK_DIRTY	2

/**
 * struct mgpu_vram_pool - the chunks of one GPU's VRAM
 * @nr_chunks: chunks in the pool
 * @nr_free: chunks not given to any vGPU
 * @used: one byte per chunk: MGPU_CHUNK_FREE, MGPU_CHUNK_DIRTY or MGPU_CHUNK_USED
 *
 * A chunk is scrubbed once between tenants: when its vGPU goes. DIRTY marks free
 * chunks that were never scrubbed (a PCI GPU's VRAM holds whatever the host left), which
 * the next owner must scrub before use.
 */
struct mgpu_vram_pool {
	u32 nr_chunks;
	u32 nr_free;
	u8 used[MGPU_VRAM_MAX_CHUNKS];
};

void mgpu_vram_pool_init(struct mgpu_vram_pool *pool, u64 size, int clean);
int mgpu_vram_alloc(struct mgpu_vram_pool *pool, u32 nr, u32 *chunks, u8 *dirty);
void mgpu_vram_free(struct mgpu_vram_pool *pool, u32 nr, const u32 *chunks);

/**
 * mgpu_vram_translate - a partition offset as an offset in the GPU's VRAM
 * @chunks: the partition's translation table
 * @off: byte offset within the partition (the caller bounds-checks it)
 *
 * Return: the byte offset within the GPU's VRAM.
 */
static inline u64 mgpu_vram_translate(const u32 *chunks, u64 off)
{
	return (u64)chunks[off >> MGPU_CHUNK_SHIFT] << MGPU_CHUNK_SHIFT |
	       (off & (MGPU_CHUNK_SIZE - 1));
}

#endif /* MGPU_VRAM_H */
