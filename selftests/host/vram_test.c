// SPDX-License-Identifier: GPL-2.0-only
/*
 * Host tier: the VRAM chunk pool (mdev/vram.c) as userspace C — exact accounting,
 * contiguous preference, no unusable fragmentation, translation, hostile frees.
 */
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"
#include "vram.h"

#define MB BIT_ULL(20)

static uint8_t dirty[MGPU_VRAM_MAX_CHUNKS];

FIXTURE(pool) {
	struct mgpu_vram_pool pool;
};

FIXTURE_SETUP(pool)
{
	mgpu_vram_pool_init(&self->pool, 64 * MB, 1);
}

FIXTURE_TEARDOWN(pool)
{
}

TEST_F(pool, init_counts)
{
	struct mgpu_vram_pool big;

	EXPECT_EQ(64, self->pool.nr_chunks);
	EXPECT_EQ(64, self->pool.nr_free);
	mgpu_vram_pool_init(&big, 1ULL << 40, 1);
	EXPECT_EQ(MGPU_VRAM_MAX_CHUNKS, big.nr_chunks);
	mgpu_vram_pool_init(&big, MB - 1, 1);
	EXPECT_EQ(0, big.nr_chunks);
}

TEST_F(pool, alloc_exact_and_enospc)
{
	uint32_t a[64], b[1];

	ASSERT_EQ(0, mgpu_vram_alloc(&self->pool, 64, a, dirty));
	EXPECT_EQ(0, self->pool.nr_free);
	EXPECT_EQ(-ENOSPC, mgpu_vram_alloc(&self->pool, 1, b, dirty));
	EXPECT_EQ(-EINVAL, mgpu_vram_alloc(&self->pool, 0, b, dirty));
	mgpu_vram_free(&self->pool, 64, a);
	EXPECT_EQ(64, self->pool.nr_free);
}

TEST_F(pool, prefers_contiguous)
{
	uint32_t a[8], b[8], c[16];
	int i;

	ASSERT_EQ(0, mgpu_vram_alloc(&self->pool, 8, a, dirty));
	ASSERT_EQ(0, mgpu_vram_alloc(&self->pool, 8, b, dirty));
	mgpu_vram_free(&self->pool, 8, a);
	ASSERT_EQ(0, mgpu_vram_alloc(&self->pool, 16, c, dirty));
	for (i = 1; i < 16; i++)
		EXPECT_EQ(c[0] + i, c[i]);
	EXPECT_EQ(16, c[0]);
}

/* A hole-riddled pool still serves any request up to its free count. */
TEST_F(pool, fragmented_pool_still_usable)
{
	uint32_t one[64][1], big[32];
	int i;

	for (i = 0; i < 64; i++)
		ASSERT_EQ(0, mgpu_vram_alloc(&self->pool, 1, one[i], dirty));
	for (i = 0; i < 64; i += 2)
		mgpu_vram_free(&self->pool, 1, one[i]);
	ASSERT_EQ(32, self->pool.nr_free);
	ASSERT_EQ(0, mgpu_vram_alloc(&self->pool, 32, big, dirty));
	for (i = 0; i < 32; i++)
		EXPECT_EQ(2 * i, big[i]);
}

TEST_F(pool, hostile_frees_ignored)
{
	uint32_t a[4], bad[3] = { 9999, 63, 0xffffffff };

	ASSERT_EQ(0, mgpu_vram_alloc(&self->pool, 4, a, dirty));
	mgpu_vram_free(&self->pool, 3, bad);
	EXPECT_EQ(60, self->pool.nr_free);
	mgpu_vram_free(&self->pool, 4, a);
	mgpu_vram_free(&self->pool, 4, a);
	EXPECT_EQ(64, self->pool.nr_free);
}

TEST_F(pool, translate)
{
	uint32_t chunks[3] = { 7, 2, 40 };

	EXPECT_EQ(7 * MB, mgpu_vram_translate(chunks, 0));
	EXPECT_EQ(7 * MB + MB - 1, mgpu_vram_translate(chunks, MB - 1));
	EXPECT_EQ(2 * MB, mgpu_vram_translate(chunks, MB));
	EXPECT_EQ(40 * MB + 12345, mgpu_vram_translate(chunks, 2 * MB + 12345));
}

/* Random creates and removes of mixed sizes: success exactly when enough is free,
 * no chunk ever owned twice, and everything comes back.
 */
TEST_F(pool, random_mixed_sizes)
{
	static uint32_t parts[256][64];
	uint32_t sizes[256] = { 0 };
	int owner[64], i, step;

	srand(2);
	for (step = 0; step < 200000; step++) {
		int p = rand() % 256;

		if (sizes[p]) {
			mgpu_vram_free(&self->pool, sizes[p], parts[p]);
			sizes[p] = 0;
		} else {
			uint32_t want = 1u << (rand() % 7);
			uint32_t free = self->pool.nr_free;
			int ret = mgpu_vram_alloc(&self->pool, want, parts[p], dirty);

			ASSERT_EQ(want <= free ? 0 : -ENOSPC, ret);
			if (!ret)
				sizes[p] = want;
		}
	}
	memset(owner, -1, sizeof(owner));
	for (i = 0; i < 256; i++) {
		uint32_t j;

		for (j = 0; j < sizes[i]; j++) {
			ASSERT_EQ(-1, owner[parts[i][j]]);
			owner[parts[i][j]] = i;
		}
		mgpu_vram_free(&self->pool, sizes[i], parts[i]);
	}
	EXPECT_EQ(64, self->pool.nr_free);
}

/* Never-scrubbed VRAM is reported dirty once; freed chunks come back clean. */
TEST(dirty_until_first_scrub)
{
	struct mgpu_vram_pool pool;
	uint32_t a[4], b[8];
	int i;

	mgpu_vram_pool_init(&pool, 8 * MB, 0);
	ASSERT_EQ(0, mgpu_vram_alloc(&pool, 4, a, dirty));
	for (i = 0; i < 4; i++)
		EXPECT_EQ(1, dirty[i]);
	mgpu_vram_free(&pool, 4, a);
	ASSERT_EQ(0, mgpu_vram_alloc(&pool, 8, b, dirty));
	for (i = 0; i < 8; i++) {
		uint32_t c = b[i];

		EXPECT_EQ(c >= 4, dirty[i]) TH_LOG("chunk %u", c);
	}
}

TEST_HARNESS_MAIN
