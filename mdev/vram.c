// SPDX-License-Identifier: GPL-2.0-only
/*
 * mgpu: the VRAM chunk pool. Allocation prefers one contiguous run (the cheapest layout
 * to scan out and to map) and falls back to any free chunks, lowest first; it fails only
 * when fewer chunks are free than asked for.
 */
#ifdef __KERNEL__
#include <linux/errno.h>
#include <linux/string.h>
#else
#include <errno.h>
#include <string.h>
#endif

#include "vram.h"

/**
 * mgpu_vram_pool_init - an empty pool for @size bytes of VRAM
 * @pool: the pool
 * @size: VRAM size; whole chunks only, at most MGPU_VRAM_MAX_CHUNKS of them
 * @clean: the VRAM is known to be zeroed (else every chunk is scrubbed before first use)
 */
void mgpu_vram_pool_init(struct mgpu_vram_pool *pool, u64 size, int clean)
{
	u64 n = size >> MGPU_CHUNK_SHIFT;

	memset(pool, 0, sizeof(*pool));
	pool->nr_chunks = n > MGPU_VRAM_MAX_CHUNKS ? MGPU_VRAM_MAX_CHUNKS : n;
	pool->nr_free = pool->nr_chunks;
	if (!clean)
		memset(pool->used, MGPU_CHUNK_DIRTY, pool->nr_chunks);
}

/* The first run of @nr free chunks, or -1. */
static int find_run(const struct mgpu_vram_pool *pool, u32 nr)
{
	u32 i, run = 0;

	for (i = 0; i < pool->nr_chunks; i++) {
		run = pool->used[i] == MGPU_CHUNK_USED ? 0 : run + 1;
		if (run == nr)
			return i + 1 - nr;
	}
	return -1;
}

/**
 * mgpu_vram_alloc - take @nr chunks from the pool
 * @pool: the pool
 * @nr: chunks wanted (> 0)
 * @chunks: filled with the chunk numbers, in partition order
 * @dirty: filled with 1 for each chunk the caller must scrub before use, else 0
 *
 * Return: 0, -EINVAL for @nr == 0, or -ENOSPC when fewer than @nr chunks are free.
 */
int mgpu_vram_alloc(struct mgpu_vram_pool *pool, u32 nr, u32 *chunks, u8 *dirty)
{
	int start = -1;
	u32 i, n = 0;

	if (!nr)
		return -EINVAL;
	if (nr > pool->nr_free)
		return -ENOSPC;
	start = find_run(pool, nr);
	for (i = start < 0 ? 0 : start; n < nr; i++) {
		if (pool->used[i] == MGPU_CHUNK_USED)
			continue;
		dirty[n] = pool->used[i] == MGPU_CHUNK_DIRTY;
		pool->used[i] = MGPU_CHUNK_USED;
		chunks[n++] = i;
	}
	pool->nr_free -= nr;
	return 0;
}

/**
 * mgpu_vram_free - return chunks to the pool
 * @pool: the pool
 * @nr: number of chunks
 * @chunks: the chunk numbers, as mgpu_vram_alloc() gave them
 *
 * The caller has scrubbed them. Chunks that are out of range or not in use are
 * ignored, so a double free cannot corrupt the count.
 */
void mgpu_vram_free(struct mgpu_vram_pool *pool, u32 nr, const u32 *chunks)
{
	u32 i;

	for (i = 0; i < nr; i++) {
		if (chunks[i] >= pool->nr_chunks || pool->used[chunks[i]] != MGPU_CHUNK_USED)
			continue;
		pool->used[chunks[i]] = MGPU_CHUNK_FREE;
		pool->nr_free++;
	}
}
