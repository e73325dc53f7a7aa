// SPDX-License-Identifier: GPL-2.0-only
/*
 * Host tier: the tmem pool engine (the C files of tmem/) as userspace C — every
 * operation byte for byte, the coherency rules, shared-pool authorisation, persistent
 * pages never dropped, weighted eviction, reserves, caps, zero pages, compression, the
 * shrinker, freezing, statistics, hostile input, allocation failures, memory back to
 * baseline, and a seeded random run against a reference model.
 *
 * The test's ops count every allocation, fill fresh memory with garbage, and count
 * buffers freed without being scrubbed; every test ends with the engine's consistency
 * walk, its destruction, and zero live allocations and zero unscrubbed frees.
 */
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"
/* By path: mdev/ has an engine.h too, and -I$(TOP)/mdev comes first. */
#include "../../tmem/engine.h"

#define PG	TMEM_PAGE_SIZE

/* What the engine's environment saw. */
struct env {
	long pages;		/* live page allocations */
	long objs;		/* live object allocations */
	long fail_page_in;	/* the Nth next page allocation fails (0: none) */
	long fail_obj_in;	/* the Nth next object allocation fails (0: none) */
	long dirty;		/* buffers freed unscrubbed */
	int corrupt;		/* the decompressor fails */
	uint64_t clock;
};

static int all_zero(const void *p, size_t len)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < len; i++)
		if (b[i])
			return 0;
	return 1;
}

static int fail_now(long *in)
{
	return *in && !--*in;
}

static void *t_page_alloc(void *priv)
{
	struct env *env = priv;
	void *p;

	if (fail_now(&env->fail_page_in))
		return NULL;
	p = aligned_alloc(PG, PG);
	if (p) {
		memset(p, 0xa5, PG);
		env->pages++;
	}
	return p;
}

static void t_page_free(void *priv, void *page)
{
	struct env *env = priv;

	env->dirty += !all_zero(page, PG);
	env->pages--;
	free(page);
}

static void *t_obj_alloc(void *priv, size_t size)
{
	struct env *env = priv;
	void *p;

	if (fail_now(&env->fail_obj_in))
		return NULL;
	p = malloc(size);
	if (p) {
		memset(p, 0x5a, size);
		env->objs++;
	}
	return p;
}

static void t_obj_free(void *priv, void *obj, size_t size)
{
	struct env *env = priv;

	env->dirty += !all_zero(obj, size);
	env->objs--;
	free(obj);
}

/* A toy compressor: (run length 1..255, byte) pairs. */
static int rle_compress(void *priv, const void *src, void *dst, size_t dst_max)
{
	const uint8_t *s = src;
	uint8_t *d = dst;
	size_t i = 0, out = 0;

	while (i < PG) {
		size_t run = 1;

		while (i + run < PG && run < 255 && s[i + run] == s[i])
			run++;
		if (out + 2 > dst_max)
			return 0;
		d[out++] = run;
		d[out++] = s[i];
		i += run;
	}
	return out;
}

static int rle_decompress(void *priv, const void *src, size_t len, void *dst)
{
	struct env *env = priv;
	const uint8_t *s = src;
	size_t i, o = 0;

	if (env->corrupt || len % 2)
		return -EIO;
	for (i = 0; i < len; i += 2) {
		if (!s[i] || o + s[i] > PG)
			return -EIO;
		memset((uint8_t *)dst + o, s[i + 1], s[i]);
		o += s[i];
	}
	return o == PG ? 0 : -EIO;
}

static uint64_t t_clock(void *priv)
{
	return ++((struct env *)priv)->clock;
}

static const struct tmem_engine_ops plain_ops = {
	.page_alloc = t_page_alloc,
	.page_free = t_page_free,
	.obj_alloc = t_obj_alloc,
	.obj_free = t_obj_free,
	.clock = t_clock,
};

static const struct tmem_engine_ops rle_ops = {
	.page_alloc = t_page_alloc,
	.page_free = t_page_free,
	.obj_alloc = t_obj_alloc,
	.obj_free = t_obj_free,
	.compress = rle_compress,
	.decompress = rle_decompress,
};

/* ---- page contents ------------------------------------------------------------------ */

enum kind { RANDOM, RUNS, ZERO, HALF, NR_KINDS };

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	return x ^ (x >> 33);
}

/* RANDOM: incompressible; RUNS: 16 runs (RLE: 64 bytes); HALF: RLE > 2048 bytes. */
static void fill(uint8_t *buf, uint64_t seed, enum kind kind)
{
	uint64_t x = mix(seed) | 1;
	int i;

	memset(buf, 0, PG);
	for (i = 0; i < PG; i++) {
		if (kind == RUNS) {
			buf[i] = mix(seed + i / 256) | 1;
			continue;
		}
		if (kind == ZERO || (kind == HALF && i >= 1200))
			break;
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		buf[i] = x >> 32;
	}
}

static struct tmem_key key(uint32_t pool, uint64_t oid, uint32_t index)
{
	struct tmem_key k = { .pool = pool, .index = index, .oid = oid };

	return k;
}

static int put(struct tmem_engine *eng, int client, int pool, uint64_t oid,
	       uint32_t index, uint64_t seed, enum kind kind)
{
	static uint8_t buf[PG];
	struct tmem_key k = key(pool, oid, index);

	fill(buf, seed, kind);
	return tmem_engine_put(eng, client, &k, buf, PG);
}

/* 0 when the page reads back as fill(seed, kind); the get's error; -EILSEQ otherwise. */
static int get(struct tmem_engine *eng, int client, int pool, uint64_t oid,
	       uint32_t index, uint64_t seed, enum kind kind)
{
	static uint8_t want[PG], got[PG];
	struct tmem_key k = key(pool, oid, index);
	int ret;

	memset(got, 0xee, PG);
	ret = tmem_engine_get(eng, client, &k, got, PG);
	if (ret)
		return ret;
	fill(want, seed, kind);
	return memcmp(want, got, PG) ? -EILSEQ : 0;
}

static int flush(struct tmem_engine *eng, int client, int pool, uint64_t oid,
		 uint32_t index)
{
	struct tmem_key k = key(pool, oid, index);

	return tmem_engine_flush_page(eng, client, &k);
}

static struct tmem_engine *engine(struct env *env, const struct tmem_engine_ops *ops,
				  uint64_t pages, uint32_t buckets)
{
	struct tmem_engine_params prm = {
		.total_pages = pages, .max_clients = 16, .max_pools = 64,
		.hash_buckets = buckets, .hash_seed = 0x5eed,
	};
	struct tmem_engine *eng = NULL;

	memset(env, 0, sizeof(*env));
	if (tmem_engine_create(&prm, ops, env, &eng))
		return NULL;
	return eng;
}

static struct tmem_stats cstats(struct tmem_engine *eng, int client)
{
	struct tmem_client_info info;

	memset(&info, 0, sizeof(info));
	tmem_engine_client_info(eng, client, &info);
	return info.stats;
}

static struct tmem_stats pstats(struct tmem_engine *eng, int client, int pool)
{
	struct tmem_pool_info info;

	memset(&info, 0, sizeof(info));
	tmem_engine_pool_info(eng, client, pool, &info);
	return info.stats;
}

/* Every test ends here: consistent, destroyed, nothing leaked, everything scrubbed. */
static void finish(struct __test_metadata *_metadata, struct env *env,
		   struct tmem_engine *eng)
{
	EXPECT_EQ(0, tmem_engine_check(eng));
	tmem_engine_destroy(eng);
	EXPECT_EQ(0, env->pages);
	EXPECT_EQ(0, env->objs);
	EXPECT_EQ(0, env->dirty);
}

static const uint8_t uuid_a[TMEM_UUID_SIZE] = "shared-image-aa";
static const uint8_t uuid_b[TMEM_UUID_SIZE] = "shared-image-bb";

/* ---- one client, one persistent and one ephemeral pool -------------------------------- */

FIXTURE(one) {
	struct env env;
	struct tmem_engine *eng;
	int c, pers, eph;
};

FIXTURE_SETUP(one)
{
	self->eng = engine(&self->env, &plain_ops, 64, 0);
	ASSERT_NE(NULL, self->eng);
	self->c = tmem_engine_client_new(self->eng, 100);
	ASSERT_EQ(0, self->c);
	self->pers = tmem_engine_new_pool(self->eng, self->c, TMEM_POOL_PERSISTENT, NULL);
	self->eph = tmem_engine_new_pool(self->eng, self->c, 0, NULL);
	ASSERT_EQ(0, self->pers);
	ASSERT_EQ(1, self->eph);
}

FIXTURE_TEARDOWN(one)
{
	finish(_metadata, &self->env, self->eng);
}

TEST_F(one, persistent_put_get_byte_for_byte)
{
	struct tmem_engine *eng = self->eng;
	int i;

	for (i = 0; i < 32; i++)
		ASSERT_EQ(0, put(eng, 0, self->pers, i % 4, i, 1000 + i, RANDOM));
	for (i = 31; i >= 0; i--)
		ASSERT_EQ(0, get(eng, 0, self->pers, i % 4, i, 1000 + i, RANDOM));
	/* Persistent gets are not exclusive. */
	for (i = 0; i < 32; i++)
		ASSERT_EQ(0, get(eng, 0, self->pers, i % 4, i, 1000 + i, RANDOM));
	EXPECT_EQ(-ENOENT, get(eng, 0, self->pers, 0, 1, 1001, RANDOM));
	EXPECT_EQ(-ENOENT, get(eng, 0, self->pers, 9, 0, 1000, RANDOM));
	/* The same key in another pool is another page. */
	EXPECT_EQ(-ENOENT, get(eng, 0, self->eph, 0, 0, 1000, RANDOM));
	EXPECT_EQ(32, cstats(eng, 0).pages);
	EXPECT_EQ(32, self->env.pages);
}

TEST_F(one, ephemeral_private_get_is_exclusive)
{
	struct tmem_engine *eng = self->eng;

	ASSERT_EQ(0, put(eng, 0, self->eph, 7, 3, 42, RANDOM));
	EXPECT_EQ(0, get(eng, 0, self->eph, 7, 3, 42, RANDOM));
	EXPECT_EQ(-ENOENT, get(eng, 0, self->eph, 7, 3, 42, RANDOM));
	EXPECT_EQ(0, cstats(eng, 0).pages);
	EXPECT_EQ(0, self->env.pages);
}

TEST_F(one, duplicate_put_replaces)
{
	struct tmem_engine *eng = self->eng;
	int pool;

	for (pool = 0; pool < 2; pool++) {
		ASSERT_EQ(0, put(eng, 0, pool, 1, 1, 1, RANDOM));
		ASSERT_EQ(0, put(eng, 0, pool, 1, 1, 2, RUNS));
		ASSERT_EQ(0, put(eng, 0, pool, 1, 1, 3, RANDOM));
		EXPECT_EQ(1, pstats(eng, 0, pool).pages);
		EXPECT_EQ(0, get(eng, 0, pool, 1, 1, 3, RANDOM));
	}
	EXPECT_EQ(1, self->env.pages);
}

/* A duplicate put that fails, for any reason, leaves the key empty. */
TEST_F(one, failed_duplicate_put_removes_old)
{
	struct tmem_engine *eng = self->eng;
	struct tmem_key k = key(self->pers, 5, 5);
	uint8_t buf[PG] = { 1 };

	ASSERT_EQ(0, put(eng, 0, self->pers, 5, 5, 1, RANDOM));
	ASSERT_EQ(0, tmem_engine_set_frozen(eng, 0, true));
	EXPECT_EQ(-EBUSY, put(eng, 0, self->pers, 5, 5, 2, RANDOM));
	EXPECT_EQ(-ENOENT, get(eng, 0, self->pers, 5, 5, 1, RANDOM));
	ASSERT_EQ(0, tmem_engine_set_frozen(eng, 0, false));

	ASSERT_EQ(0, put(eng, 0, self->pers, 5, 5, 1, RANDOM));
	EXPECT_EQ(-EINVAL, tmem_engine_put(eng, 0, &k, buf, PG - 1));
	EXPECT_EQ(-ENOENT, get(eng, 0, self->pers, 5, 5, 1, RANDOM));

	ASSERT_EQ(0, put(eng, 0, self->pers, 5, 5, 1, RANDOM));
	self->env.fail_page_in = 1;
	EXPECT_EQ(-ENOMEM, put(eng, 0, self->pers, 5, 5, 2, RANDOM));
	EXPECT_EQ(-ENOENT, get(eng, 0, self->pers, 5, 5, 1, RANDOM));

	/* Two zero pages and a full one under a two-page cap: no room for a second. */
	ASSERT_EQ(0, tmem_engine_set_cap(eng, 0, 2));
	ASSERT_EQ(0, put(eng, 0, self->pers, 5, 5, 1, RANDOM));
	ASSERT_EQ(0, put(eng, 0, self->pers, 5, 6, 0, ZERO));
	ASSERT_EQ(0, put(eng, 0, self->pers, 5, 7, 0, ZERO));
	EXPECT_EQ(-ENOSPC, put(eng, 0, self->pers, 5, 6, 2, RANDOM));
	EXPECT_EQ(-ENOENT, get(eng, 0, self->pers, 5, 6, 0, ZERO));
	/* Replacing within the cap works: the old copy makes room for the new. */
	EXPECT_EQ(0, put(eng, 0, self->pers, 5, 5, 2, RANDOM));
	EXPECT_EQ(0, get(eng, 0, self->pers, 5, 5, 2, RANDOM));
	EXPECT_EQ(4, cstats(eng, 0).puts_refused);
}

TEST_F(one, failed_get_until_next_put)
{
	struct tmem_engine *eng = self->eng;
	int i;

	for (i = 0; i < 3; i++)
		EXPECT_EQ(-ENOENT, get(eng, 0, self->pers, 1, 2, 0, ZERO));
	ASSERT_EQ(0, put(eng, 0, self->pers, 1, 2, 9, RUNS));
	ASSERT_EQ(0, flush(eng, 0, self->pers, 1, 2));
	for (i = 0; i < 3; i++)
		EXPECT_EQ(-ENOENT, get(eng, 0, self->pers, 1, 2, 9, RUNS));
	ASSERT_EQ(0, put(eng, 0, self->pers, 1, 2, 10, RUNS));
	EXPECT_EQ(0, get(eng, 0, self->pers, 1, 2, 10, RUNS));
}

TEST_F(one, flush_page_and_object)
{
	struct tmem_engine *eng = self->eng;
	int i;

	for (i = 0; i < 8; i++) {
		ASSERT_EQ(0, put(eng, 0, self->pers, 1, i, i, RANDOM));
		ASSERT_EQ(0, put(eng, 0, self->pers, 2, i, 10 + i, RANDOM));
		ASSERT_EQ(0, put(eng, 0, self->eph, 1, i, 20 + i, RANDOM));
	}
	EXPECT_EQ(0, flush(eng, 0, self->pers, 1, 3));
	EXPECT_EQ(-ENOENT, flush(eng, 0, self->pers, 1, 3));
	EXPECT_EQ(-ENOENT, get(eng, 0, self->pers, 1, 3, 3, RANDOM));
	EXPECT_EQ(0, get(eng, 0, self->pers, 1, 4, 4, RANDOM));

	EXPECT_EQ(0, tmem_engine_flush_object(eng, 0, self->pers, 1));
	EXPECT_EQ(-ENOENT, tmem_engine_flush_object(eng, 0, self->pers, 1));
	for (i = 0; i < 8; i++) {
		EXPECT_EQ(-ENOENT, get(eng, 0, self->pers, 1, i, i, RANDOM));
		EXPECT_EQ(0, get(eng, 0, self->pers, 2, i, 10 + i, RANDOM));
	}
	/* Object 1 of the ephemeral pool is another object. */
	EXPECT_EQ(0, get(eng, 0, self->eph, 1, 7, 27, RANDOM));
	EXPECT_EQ(0, tmem_engine_flush_object(eng, 0, self->eph, 1));
	EXPECT_EQ(8, cstats(eng, 0).pages);
}

TEST_F(one, destroy_pool_frees_its_pages)
{
	struct tmem_engine *eng = self->eng;
	int i;

	for (i = 0; i < 10; i++)
		ASSERT_EQ(0, put(eng, 0, self->pers, i, 0, i, RANDOM));
	EXPECT_EQ(10, self->env.pages);
	EXPECT_EQ(0, tmem_engine_destroy_pool(eng, 0, self->pers));
	EXPECT_EQ(0, self->env.pages);
	EXPECT_EQ(-ENOENT, get(eng, 0, self->pers, 0, 0, 0, RANDOM));
	EXPECT_EQ(-ENOENT, tmem_engine_destroy_pool(eng, 0, self->pers));
	/* The id is free for the next pool, which starts empty. */
	EXPECT_EQ(self->pers, tmem_engine_new_pool(eng, 0, TMEM_POOL_PERSISTENT, NULL));
	EXPECT_EQ(-ENOENT, get(eng, 0, self->pers, 0, 0, 0, RANDOM));
}

TEST_F(one, freeze_refuses_puts_only)
{
	struct tmem_engine *eng = self->eng;

	ASSERT_EQ(0, put(eng, 0, self->pers, 1, 1, 1, RANDOM));
	ASSERT_EQ(0, put(eng, 0, self->pers, 1, 2, 2, RANDOM));
	ASSERT_EQ(0, tmem_engine_set_frozen(eng, 0, true));
	EXPECT_EQ(-EBUSY, put(eng, 0, self->pers, 1, 3, 3, RANDOM));
	EXPECT_EQ(-EBUSY, put(eng, 0, self->eph, 1, 3, 3, ZERO));
	EXPECT_EQ(0, get(eng, 0, self->pers, 1, 1, 1, RANDOM));
	EXPECT_EQ(0, flush(eng, 0, self->pers, 1, 2));
	EXPECT_EQ(2, cstats(eng, 0).puts_refused);
	ASSERT_EQ(0, tmem_engine_set_frozen(eng, 0, false));
	EXPECT_EQ(0, put(eng, 0, self->pers, 1, 3, 3, RANDOM));
	EXPECT_EQ(0, get(eng, 0, self->pers, 1, 3, 3, RANDOM));
}

/* Only an all-zero page is a zero page: one set bit anywhere makes it data. */
TEST_F(one, zero_detection_is_exact)
{
	static uint8_t page[PG], back[PG];
	struct tmem_key k = key(self->pers, 0, 0);
	int i;

	for (i = 0; i < 10; i++) {
		memset(page, 0, PG);
		page[i < 9 ? i * 511 : PG - 1] = 0x80;
		k.index = i;
		ASSERT_EQ(0, tmem_engine_put(self->eng, 0, &k, page, PG));
		ASSERT_EQ(0, tmem_engine_get(self->eng, 0, &k, back, PG));
		EXPECT_EQ(0, memcmp(page, back, PG));
	}
	EXPECT_EQ(0, cstats(self->eng, 0).zero_pages);
	EXPECT_EQ(10, self->env.pages);
}

TEST_F(one, statistics)
{
	struct tmem_engine *eng = self->eng;
	struct tmem_stats s;
	int i;

	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, put(eng, 0, self->pers, 0, i, i, i % 2 ? ZERO : RANDOM));
	ASSERT_EQ(0, put(eng, 0, self->eph, 0, 0, 9, RANDOM));
	ASSERT_EQ(0, put(eng, 0, self->pers, 0, 0, 5, RANDOM));	/* replaces */
	ASSERT_EQ(0, get(eng, 0, self->pers, 0, 0, 5, RANDOM));
	ASSERT_EQ(-ENOENT, get(eng, 0, self->pers, 0, 9, 0, RANDOM));
	ASSERT_EQ(0, flush(eng, 0, self->pers, 0, 2));
	ASSERT_EQ(-ENOENT, tmem_engine_flush_object(eng, 0, self->pers, 77));
	ASSERT_EQ(0, get(eng, 0, self->eph, 0, 0, 9, RANDOM));

	s = pstats(eng, 0, self->pers);
	EXPECT_EQ(5, s.puts);
	EXPECT_EQ(0, s.puts_refused);
	EXPECT_EQ(2, s.gets);
	EXPECT_EQ(1, s.hits);
	EXPECT_EQ(2, s.flushes);
	EXPECT_EQ(0, s.evictions);
	EXPECT_EQ(3, s.pages);
	EXPECT_EQ(2, s.zero_pages);
	EXPECT_EQ(0, s.compressed_pages);
	EXPECT_EQ(PG + 2 * TMEM_ZERO_CHARGE, s.bytes);

	s = cstats(eng, 0);
	EXPECT_EQ(6, s.puts);
	EXPECT_EQ(3, s.gets);
	EXPECT_EQ(2, s.hits);
	EXPECT_EQ(3, s.pages);
	EXPECT_EQ(PG + 2 * TMEM_ZERO_CHARGE, s.bytes);

	s = pstats(eng, 0, self->eph);
	EXPECT_EQ(1, s.puts);
	EXPECT_EQ(1, s.hits);
	EXPECT_EQ(0, s.pages);
}

/* Nothing a caller passes makes the engine misbehave: it answers an errno. */
TEST_F(one, hostile_input)
{
	struct tmem_engine *eng = self->eng;
	struct tmem_key k = key(self->pers, 0, 0), bad = key(TMEM_MAX_POOLS, 0, 0);
	struct tmem_key unopened = key(5, 0, 0), huge = key(0xffffffff, ~0ULL, ~0U);
	struct tmem_client_info ci;
	struct tmem_pool_info pi;
	uint8_t buf[PG] = { 0 };
	uint64_t n;

	EXPECT_EQ(-EINVAL, tmem_engine_put(eng, 16, &k, buf, PG));
	EXPECT_EQ(-EINVAL, tmem_engine_put(eng, 0xffffffff, &k, buf, PG));
	EXPECT_EQ(-ENOENT, tmem_engine_put(eng, 3, &k, buf, PG));
	EXPECT_EQ(-EINVAL, tmem_engine_put(eng, 0, &bad, buf, PG));
	EXPECT_EQ(-EINVAL, tmem_engine_put(eng, 0, &huge, buf, PG));
	EXPECT_EQ(-ENOENT, tmem_engine_put(eng, 0, &unopened, buf, PG));
	EXPECT_EQ(-EINVAL, tmem_engine_put(eng, 0, NULL, buf, PG));
	EXPECT_EQ(-EINVAL, tmem_engine_put(eng, 0, &k, NULL, PG));
	EXPECT_EQ(-EINVAL, tmem_engine_put(eng, 0, &k, buf, 0));
	EXPECT_EQ(-EINVAL, tmem_engine_put(eng, 0, &k, buf, 2 * PG));
	EXPECT_EQ(-EINVAL, tmem_engine_put(NULL, 0, &k, buf, PG));
	EXPECT_EQ(-EINVAL, tmem_engine_get(eng, 0, &k, NULL, PG));
	EXPECT_EQ(-EINVAL, tmem_engine_get(eng, 0, &k, buf, PG - 1));
	EXPECT_EQ(-EINVAL, tmem_engine_get(eng, 0, &bad, buf, PG));
	EXPECT_EQ(-EINVAL, tmem_engine_get(eng, 0, NULL, buf, PG));
	EXPECT_EQ(-ENOENT, tmem_engine_get(eng, 0, &unopened, buf, PG));
	EXPECT_EQ(-EINVAL, tmem_engine_get(NULL, 0, &k, buf, PG));
	EXPECT_EQ(-EINVAL, tmem_engine_flush_page(eng, 0, &bad));
	EXPECT_EQ(-EINVAL, tmem_engine_flush_page(eng, 0, NULL));
	EXPECT_EQ(-EINVAL, tmem_engine_flush_page(eng, 99, &k));
	EXPECT_EQ(-EINVAL, tmem_engine_flush_object(eng, 0, 16, 0));
	EXPECT_EQ(-ENOENT, tmem_engine_flush_object(eng, 0, 5, 0));
	EXPECT_EQ(-EINVAL, tmem_engine_flush_object(NULL, 0, 0, 0));
	EXPECT_EQ(-EINVAL, tmem_engine_new_pool(eng, 0, 0x4, NULL));
	EXPECT_EQ(-EINVAL, tmem_engine_new_pool(eng, 0, TMEM_POOL_PERSISTENT |
						 TMEM_POOL_SHARED, uuid_a));
	EXPECT_EQ(-EINVAL, tmem_engine_new_pool(eng, 0, TMEM_POOL_SHARED, NULL));
	EXPECT_EQ(-EINVAL, tmem_engine_new_pool(eng, 77, 0, NULL));
	EXPECT_EQ(-EINVAL, tmem_engine_new_pool(NULL, 0, 0, NULL));
	EXPECT_EQ(-EINVAL, tmem_engine_destroy_pool(eng, 0, 16));
	EXPECT_EQ(-ENOENT, tmem_engine_destroy_pool(eng, 0, 5));
	EXPECT_EQ(-ENOENT, tmem_engine_destroy_pool(eng, 1, 0));
	EXPECT_EQ(-EINVAL, tmem_engine_client_new(eng, 0));
	EXPECT_EQ(-EINVAL, tmem_engine_client_new(eng, TMEM_WEIGHT_MAX + 1));
	EXPECT_EQ(-EINVAL, tmem_engine_client_new(NULL, 1));
	EXPECT_EQ(-EINVAL, tmem_engine_set_weight(eng, 0, 0));
	EXPECT_EQ(-EINVAL, tmem_engine_set_weight(eng, 0, 10001));
	EXPECT_EQ(-ENOENT, tmem_engine_set_weight(eng, 1, 5));
	EXPECT_EQ(-EINVAL, tmem_engine_set_cap(eng, 0, ~0ULL));
	EXPECT_EQ(-EINVAL, tmem_engine_set_reserve(eng, 0, ~0ULL));
	EXPECT_EQ(-ENOSPC, tmem_engine_set_reserve(eng, 0, 65));
	EXPECT_EQ(-EINVAL, tmem_engine_set_frozen(eng, 16, true));
	EXPECT_EQ(-EINVAL, tmem_engine_authorise(eng, 0, NULL));
	EXPECT_EQ(-ENOENT, tmem_engine_authorise(eng, 2, uuid_a));
	EXPECT_EQ(-ENOENT, tmem_engine_deauthorise(eng, 0, uuid_a));
	EXPECT_EQ(-EINVAL, tmem_engine_deauthorise(eng, 0, NULL));
	EXPECT_EQ(-EINVAL, tmem_engine_client_info(eng, 0, NULL));
	EXPECT_EQ(-ENOENT, tmem_engine_client_info(eng, 4, &ci));
	EXPECT_EQ(-EINVAL, tmem_engine_pool_info(eng, 0, 16, &pi));
	EXPECT_EQ(-ENOENT, tmem_engine_pool_info(eng, 0, 5, &pi));
	EXPECT_EQ(-EINVAL, tmem_engine_pool_info(eng, 0, 0, NULL));
	EXPECT_EQ(-EINVAL, tmem_engine_writeback_hint(eng, 0, NULL));
	EXPECT_EQ(-EINVAL, tmem_engine_writeback_hint(NULL, 0, &n));
	EXPECT_EQ(-ENOENT, tmem_engine_client_destroy(eng, 1));
	EXPECT_EQ(-EINVAL, tmem_engine_client_destroy(eng, 16));
	EXPECT_EQ(-EINVAL, tmem_engine_client_destroy(NULL, 0));
	EXPECT_EQ(0, tmem_engine_shrink(NULL, 5));
	EXPECT_EQ(0, tmem_engine_count(NULL));
	EXPECT_EQ(-EINVAL, tmem_engine_check(NULL));
	tmem_engine_info(NULL, NULL);
	tmem_engine_destroy(NULL);
	EXPECT_EQ(0, cstats(eng, 0).pages);
}

TEST_F(one, pool_table_limits)
{
	struct tmem_engine *eng = self->eng;
	int i;

	for (i = 2; i < TMEM_MAX_POOLS; i++)
		ASSERT_EQ(i, tmem_engine_new_pool(eng, 0, 0, NULL));
	EXPECT_EQ(-ENOSPC, tmem_engine_new_pool(eng, 0, 0, NULL));
	for (i = 0; i < TMEM_MAX_POOLS; i++)
		ASSERT_EQ(0, put(eng, 0, i, 0, 0, i, RANDOM));
	for (i = 0; i < TMEM_MAX_POOLS; i++)
		ASSERT_EQ(0, tmem_engine_destroy_pool(eng, 0, i));
	EXPECT_EQ(0, self->env.pages);
}

/* ---- engine creation ------------------------------------------------------------------ */

TEST(create_validates_params_and_undoes_on_failure)
{
#define P(pages, clients, pools, buckets, cmax) { .total_pages = pages, \
	.max_clients = clients, .max_pools = pools, .hash_buckets = buckets, .compress_max = cmax }
	static const struct tmem_engine_params bad[] = {
		P(0, 4, 4, 0, 0),
		P(TMEM_MAX_TOTAL_PAGES + 1, 4, 4, 0, 0),
		P(8, 0, 4, 0, 0),
		P(8, TMEM_MAX_CLIENTS + 1, 4, 0, 0),
		P(8, 4, 0, 0, 0),
		P(8, 4, TMEM_MAX_GLOBAL_POOLS + 1, 0, 0),
		P(8, 4, 4, 3, 0),
		P(8, 4, 4, TMEM_MAX_BUCKETS * 2, 0),
		P(8, 4, 4, 0, PG),
	};
	struct tmem_engine_params ok = P(8, 4, 4, 0, 0);
#undef P
	struct tmem_engine_ops ops = plain_ops;
	struct tmem_engine *eng = NULL;
	struct env env = { 0 };
	unsigned int i;
	long n;

	for (i = 0; i < ARRAY_SIZE(bad); i++)
		EXPECT_EQ(-EINVAL, tmem_engine_create(&bad[i], &plain_ops, &env, &eng));
	ops.compress = rle_compress;
	EXPECT_EQ(-EINVAL, tmem_engine_create(&ok, &ops, &env, &eng));
	ops = plain_ops;
	ops.obj_free = NULL;
	EXPECT_EQ(-EINVAL, tmem_engine_create(&ok, &ops, &env, &eng));
	EXPECT_EQ(-EINVAL, tmem_engine_create(NULL, &plain_ops, &env, &eng));
	EXPECT_EQ(-EINVAL, tmem_engine_create(&ok, NULL, &env, &eng));
	EXPECT_EQ(-EINVAL, tmem_engine_create(&ok, &plain_ops, &env, NULL));
	EXPECT_EQ(NULL, eng);

	/* Every allocation of creation failing in turn: -ENOMEM and nothing leaked. */
	for (n = 1; n <= 5; n++) {
		env.fail_obj_in = n;
		EXPECT_EQ(-ENOMEM, tmem_engine_create(&ok, &rle_ops, &env, &eng));
		env.fail_obj_in = 0;
		EXPECT_EQ(0, env.objs + env.pages + env.dirty);
	}
	env.fail_page_in = 1;
	EXPECT_EQ(-ENOMEM, tmem_engine_create(&ok, &rle_ops, &env, &eng));
	EXPECT_EQ(0, env.objs + env.pages + env.dirty);
	ASSERT_EQ(0, tmem_engine_create(&ok, &rle_ops, &env, &eng));
	finish(_metadata, &env, eng);
}

TEST(allocation_failures_during_put)
{
	struct env env;
	struct tmem_engine *eng = engine(&env, &rle_ops, 16, 0);
	long n;

	ASSERT_NE(NULL, eng);
	ASSERT_EQ(0, tmem_engine_client_new(eng, 1));
	ASSERT_EQ(0, tmem_engine_new_pool(eng, 0, TMEM_POOL_PERSISTENT, NULL));
	/* A new object, its entry, a compressed copy: each failing in turn. */
	for (n = 1; n <= 3; n++) {
		env.fail_obj_in = n;
		EXPECT_EQ(-ENOMEM, put(eng, 0, 0, 1, 1, n, RUNS));
		env.fail_obj_in = 0;
		EXPECT_EQ(-ENOENT, get(eng, 0, 0, 1, 1, n, RUNS));
		EXPECT_EQ(0, tmem_engine_check(eng));
	}
	env.fail_page_in = 1;
	EXPECT_EQ(-ENOMEM, put(eng, 0, 0, 1, 1, 0, RANDOM));
	ASSERT_EQ(0, put(eng, 0, 0, 1, 1, 0, RANDOM));
	/* A second page of an existing object: its entry fails. */
	env.fail_obj_in = 1;
	EXPECT_EQ(-ENOMEM, put(eng, 0, 0, 1, 2, 0, RANDOM));
	EXPECT_EQ(0, get(eng, 0, 0, 1, 1, 0, RANDOM));
	EXPECT_EQ(4096, cstats(eng, 0).bytes);
	EXPECT_EQ(5, cstats(eng, 0).puts_refused);
	finish(_metadata, &env, eng);
}

/* ---- shared pools --------------------------------------------------------------------- */

FIXTURE(shared) {
	struct env env;
	struct tmem_engine *eng;
	int pa, pb;
};

FIXTURE_SETUP(shared)
{
	self->eng = engine(&self->env, &plain_ops, 64, 0);
	ASSERT_NE(NULL, self->eng);
	ASSERT_EQ(0, tmem_engine_client_new(self->eng, 1));
	ASSERT_EQ(1, tmem_engine_client_new(self->eng, 1));
	ASSERT_EQ(2, tmem_engine_client_new(self->eng, 1));
	ASSERT_EQ(0, tmem_engine_authorise(self->eng, 0, uuid_a));
	ASSERT_EQ(0, tmem_engine_authorise(self->eng, 1, uuid_a));
	ASSERT_EQ(0, tmem_engine_authorise(self->eng, 1, uuid_a));	/* idempotent */
	ASSERT_EQ(0, tmem_engine_new_pool(self->eng, 0, 0, NULL));
	self->pa = tmem_engine_new_pool(self->eng, 0, TMEM_POOL_SHARED, uuid_a);
	self->pb = tmem_engine_new_pool(self->eng, 1, TMEM_POOL_SHARED, uuid_a);
	ASSERT_EQ(1, self->pa);
	ASSERT_EQ(0, self->pb);
}

FIXTURE_TEARDOWN(shared)
{
	finish(_metadata, &self->env, self->eng);
}

TEST_F(shared, gets_are_not_exclusive)
{
	struct tmem_engine *eng = self->eng;
	struct tmem_pool_info info;

	ASSERT_EQ(0, put(eng, 0, self->pa, 3, 4, 5, RANDOM));
	EXPECT_EQ(0, get(eng, 1, self->pb, 3, 4, 5, RANDOM));
	EXPECT_EQ(0, get(eng, 1, self->pb, 3, 4, 5, RANDOM));
	EXPECT_EQ(0, get(eng, 0, self->pa, 3, 4, 5, RANDOM));
	ASSERT_EQ(0, tmem_engine_pool_info(eng, 1, self->pb, &info));
	EXPECT_EQ(2, info.nr_clients);
	EXPECT_EQ(TMEM_POOL_SHARED, info.flags);
	EXPECT_EQ(0, memcmp(uuid_a, info.uuid, TMEM_UUID_SIZE));
	EXPECT_EQ(3, info.stats.hits);
	/* Charged to the client that put it. */
	EXPECT_EQ(1, cstats(eng, 0).pages);
	EXPECT_EQ(0, cstats(eng, 1).pages);
}

TEST_F(shared, newest_put_wins_and_flush_is_global)
{
	struct tmem_engine *eng = self->eng;

	ASSERT_EQ(0, put(eng, 0, self->pa, 1, 1, 1, RANDOM));
	ASSERT_EQ(0, put(eng, 1, self->pb, 1, 1, 2, RUNS));
	EXPECT_EQ(0, get(eng, 0, self->pa, 1, 1, 2, RUNS));
	EXPECT_EQ(0, cstats(eng, 0).pages);
	EXPECT_EQ(1, cstats(eng, 1).pages);
	EXPECT_EQ(0, flush(eng, 0, self->pa, 1, 1));
	EXPECT_EQ(-ENOENT, get(eng, 1, self->pb, 1, 1, 2, RUNS));
	/* A failed duplicate put by one member removes the other's copy. */
	ASSERT_EQ(0, put(eng, 0, self->pa, 1, 1, 1, RANDOM));
	ASSERT_EQ(0, tmem_engine_set_frozen(eng, 1, true));
	EXPECT_EQ(-EBUSY, put(eng, 1, self->pb, 1, 1, 3, RANDOM));
	EXPECT_EQ(-ENOENT, get(eng, 0, self->pa, 1, 1, 1, RANDOM));
}

TEST_F(shared, authorisation_is_required)
{
	struct tmem_engine *eng = self->eng;

	EXPECT_EQ(-EPERM, tmem_engine_new_pool(eng, 2, TMEM_POOL_SHARED, uuid_a));
	EXPECT_EQ(-EPERM, tmem_engine_new_pool(eng, 0, TMEM_POOL_SHARED, uuid_b));
	EXPECT_EQ(-EEXIST, tmem_engine_new_pool(eng, 0, TMEM_POOL_SHARED, uuid_a));
	ASSERT_EQ(0, tmem_engine_authorise(eng, 2, uuid_a));
	ASSERT_EQ(0, tmem_engine_new_pool(eng, 2, TMEM_POOL_SHARED, uuid_a));
	ASSERT_EQ(0, put(eng, 0, self->pa, 1, 1, 1, RANDOM));
	EXPECT_EQ(0, get(eng, 2, 0, 1, 1, 1, RANDOM));
	/* Another UUID is another pool. */
	ASSERT_EQ(0, tmem_engine_authorise(eng, 2, uuid_b));
	ASSERT_EQ(1, tmem_engine_new_pool(eng, 2, TMEM_POOL_SHARED, uuid_b));
	EXPECT_EQ(-ENOENT, get(eng, 2, 1, 1, 1, 1, RANDOM));
	/* Revoking makes the client leave, with its pages. */
	ASSERT_EQ(0, put(eng, 2, 0, 1, 2, 2, RANDOM));
	ASSERT_EQ(0, tmem_engine_deauthorise(eng, 2, uuid_a));
	EXPECT_EQ(-ENOENT, get(eng, 2, 0, 1, 1, 1, RANDOM));
	EXPECT_EQ(-ENOENT, get(eng, 0, self->pa, 1, 2, 2, RANDOM));
	EXPECT_EQ(0, get(eng, 0, self->pa, 1, 1, 1, RANDOM));
	EXPECT_EQ(-EPERM, tmem_engine_new_pool(eng, 2, TMEM_POOL_SHARED, uuid_a));
}

TEST_F(shared, authorisation_list_is_bounded)
{
	uint8_t u[TMEM_UUID_SIZE] = { 0 };
	int i;

	for (i = 0; i < TMEM_MAX_AUTH; i++) {
		u[0] = i;
		ASSERT_EQ(0, tmem_engine_authorise(self->eng, 2, u));
	}
	u[0] = 0xff;
	EXPECT_EQ(-ENOSPC, tmem_engine_authorise(self->eng, 2, u));
	u[0] = 3;
	EXPECT_EQ(0, tmem_engine_deauthorise(self->eng, 2, u));
	EXPECT_EQ(-ENOENT, tmem_engine_deauthorise(self->eng, 2, u));
	u[0] = 0xff;
	EXPECT_EQ(0, tmem_engine_authorise(self->eng, 2, u));
}

/* A hit in a shared pool makes the page the most recently used of its owner's. */
TEST_F(shared, get_refreshes_lru)
{
	struct tmem_engine *eng = self->eng;
	int i;

	ASSERT_EQ(0, tmem_engine_set_cap(eng, 0, 4));
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, put(eng, 0, self->pa, 0, i, i, RANDOM));
	EXPECT_EQ(0, get(eng, 1, self->pb, 0, 0, 0, RANDOM));
	ASSERT_EQ(0, put(eng, 0, self->pa, 0, 4, 4, RANDOM));
	EXPECT_EQ(-ENOENT, get(eng, 1, self->pb, 0, 1, 1, RANDOM));
	EXPECT_EQ(0, get(eng, 1, self->pb, 0, 0, 0, RANDOM));
	EXPECT_EQ(1, pstats(eng, 1, self->pb).evictions);
}

/* Leaving takes the leaver's pages; the pool lives until its last member leaves. */
TEST_F(shared, leave_keeps_others_pages)
{
	struct tmem_engine *eng = self->eng;
	struct tmem_engine_info info;

	ASSERT_EQ(0, put(eng, 0, self->pa, 1, 1, 1, RANDOM));
	ASSERT_EQ(0, put(eng, 1, self->pb, 1, 2, 2, RANDOM));
	ASSERT_EQ(0, tmem_engine_destroy_pool(eng, 0, self->pa));
	EXPECT_EQ(-ENOENT, get(eng, 1, self->pb, 1, 1, 1, RANDOM));
	EXPECT_EQ(0, get(eng, 1, self->pb, 1, 2, 2, RANDOM));
	ASSERT_EQ(1, tmem_engine_new_pool(eng, 0, TMEM_POOL_SHARED, uuid_a));
	EXPECT_EQ(0, get(eng, 0, 1, 1, 2, 2, RANDOM));
	ASSERT_EQ(0, tmem_engine_client_destroy(eng, 1));
	EXPECT_EQ(-ENOENT, get(eng, 0, 1, 1, 2, 2, RANDOM));
	tmem_engine_info(eng, &info);
	EXPECT_EQ(2, info.nr_pools);
	ASSERT_EQ(0, tmem_engine_destroy_pool(eng, 0, 1));
	tmem_engine_info(eng, &info);
	EXPECT_EQ(1, info.nr_pools);
	EXPECT_EQ(0, info.used_bytes);
}

/* ---- capacity ------------------------------------------------------------------------- */

static uint64_t pages_of(struct tmem_engine *eng, int client)
{
	return cstats(eng, client).pages;
}

/* Fill with ephemeral pages, then persistent ones until refused: nothing persistent is
 * ever lost, and persistent puts are refused rather than anything persistent dropped.
 */
TEST(persistent_pages_are_never_dropped)
{
	static const int weights[3] = { 1, 2, 4 };
	struct env env;
	struct tmem_engine *eng = engine(&env, &plain_ops, 128, 0);
	uint32_t accepted[3] = { 0 };
	int c, i, refused;

	ASSERT_NE(NULL, eng);
	for (c = 0; c < 3; c++) {
		ASSERT_EQ(c, tmem_engine_client_new(eng, weights[c]));
		ASSERT_EQ(0, tmem_engine_new_pool(eng, c, TMEM_POOL_PERSISTENT, NULL));
		ASSERT_EQ(1, tmem_engine_new_pool(eng, c, 0, NULL));
		for (i = 0; i < 100; i++)
			ASSERT_EQ(0, put(eng, c, 1, 0, i, i, RANDOM));
	}
	for (refused = 0; refused < 30; ) {
		for (c = 0; c < 3; c++) {
			int ret = put(eng, c, 0, c, accepted[c], c << 16 | accepted[c], RANDOM);

			if (!ret)
				accepted[c]++;
			else
				ASSERT_EQ(-ENOSPC, ret);
			refused += !!ret;
			/* More ephemeral pressure in between. */
			put(eng, c, 1, 1, accepted[c] + refused, 0, RANDOM);
		}
	}
	for (c = 0; c < 3; c++) {
		ASSERT_EQ(0, pstats(eng, c, 0).evictions);
		for (i = 0; i < accepted[c]; i++)
			ASSERT_EQ(0, get(eng, c, 0, c, i, c << 16 | i, RANDOM));
	}
	/* The shrinker takes only ephemeral pages; then persistent puts fill the budget. */
	tmem_engine_shrink(eng, ~0ULL);
	EXPECT_EQ(0, tmem_engine_count(eng));
	for (c = 0; c < 3; c++)
		while (!put(eng, c, 0, c, accepted[c], c << 16 | accepted[c], RANDOM))
			accepted[c]++;
	EXPECT_EQ(128, accepted[0] + accepted[1] + accepted[2]);
	for (c = 0; c < 3; c++) {
		EXPECT_EQ(-ENOSPC, put(eng, c, 1, 9, 9, 9, RANDOM));
		EXPECT_EQ(-ENOSPC, put(eng, c, 0, 9, 9, 9, ZERO));
		EXPECT_EQ(0, pstats(eng, c, 0).evictions);
		for (i = 0; i < accepted[c]; i++)
			ASSERT_EQ(0, get(eng, c, 0, c, i, c << 16 | i, RANDOM));
	}
	finish(_metadata, &env, eng);
}

/* Three clients of weights 1:2:4 put ephemeral pages as fast as they can (the lightest
 * one four times as fast): each ends with its weighted share of the 700-page budget,
 * 100:200:400, within 2 pages.
 */
TEST(weighted_eviction_1_2_4)
{
	static const int weights[3] = { 1, 2, 4 }, rate[3] = { 4, 1, 1 };
	struct env env;
	struct tmem_engine *eng = engine(&env, &plain_ops, 700, 0);
	uint32_t next[3] = { 0 };
	int c, i, round;

	ASSERT_NE(NULL, eng);
	for (c = 0; c < 3; c++) {
		ASSERT_EQ(c, tmem_engine_client_new(eng, weights[c]));
		ASSERT_EQ(0, tmem_engine_new_pool(eng, c, 0, NULL));
	}
	for (round = 0; round < 2000; round++)
		for (c = 0; c < 3; c++)
			for (i = 0; i < rate[c]; i++)
				ASSERT_EQ(0, put(eng, c, 0, 0, next[c]++, 0, RANDOM));
	for (c = 0; c < 3; c++) {
		uint64_t want = 700 * weights[c] / 7, got = pages_of(eng, c);

		EXPECT_GE(want + 2, got);
		EXPECT_LE(want - 2, got);
		TH_LOG("client %d weight %d: %llu pages (share %llu)", c, weights[c],
		       (unsigned long long)got, (unsigned long long)want);
		/* The newest pages survive: eviction is LRU. */
		EXPECT_EQ(0, get(eng, c, 0, 0, next[c] - 1, 0, RANDOM));
	}
	EXPECT_EQ(-ENOENT, get(eng, 0, 0, 0, 0, 0, RANDOM));
	finish(_metadata, &env, eng);
}

/* Under pressure the client furthest over its share loses its oldest pages first. */
TEST(most_over_share_evicted_first)
{
	struct env env;
	struct tmem_engine *eng = engine(&env, &plain_ops, 99, 0);
	int c, i;

	ASSERT_NE(NULL, eng);
	for (c = 0; c < 3; c++)
		ASSERT_EQ(c, tmem_engine_client_new(eng, 1));
	/* Client 1 first in the engine's lists, client 0 the furthest over. */
	for (c = 1; c < 4; c++)
		ASSERT_EQ(0, tmem_engine_new_pool(eng, c % 3, 0, NULL));
	for (i = 0; i < 50; i++)
		ASSERT_EQ(0, put(eng, 0, 0, 0, i, i, RANDOM));
	for (i = 0; i < 40; i++)
		ASSERT_EQ(0, put(eng, 1, 0, 0, i, i, RANDOM));
	for (i = 0; i < 19; i++)
		ASSERT_EQ(0, put(eng, 2, 0, 0, i, i, RANDOM));
	EXPECT_EQ(40, pages_of(eng, 0));
	EXPECT_EQ(40, pages_of(eng, 1));
	EXPECT_EQ(-ENOENT, get(eng, 0, 0, 0, 9, 9, RANDOM));
	EXPECT_EQ(0, get(eng, 0, 0, 0, 10, 10, RANDOM));
	/* The exclusive get left one page free; then client 1 is the furthest over. */
	ASSERT_EQ(0, put(eng, 2, 0, 0, 19, 19, RANDOM));
	ASSERT_EQ(0, put(eng, 2, 0, 0, 20, 20, RANDOM));
	EXPECT_EQ(39, pages_of(eng, 0));
	EXPECT_EQ(39, pages_of(eng, 1));
	/* Level: the older page goes, whoever owns it. */
	ASSERT_EQ(0, put(eng, 2, 0, 0, 21, 21, RANDOM));
	EXPECT_EQ(38, pages_of(eng, 0));
	EXPECT_EQ(39, pages_of(eng, 1));
	EXPECT_EQ(-ENOENT, get(eng, 1, 0, 0, 0, 0, RANDOM));
	EXPECT_EQ(0, get(eng, 1, 0, 0, 1, 1, RANDOM));
	EXPECT_EQ(-ENOENT, get(eng, 0, 0, 0, 11, 11, RANDOM));
	EXPECT_EQ(0, get(eng, 0, 0, 0, 12, 12, RANDOM));
	finish(_metadata, &env, eng);
}

/* A noisy client cannot take a quiet neighbour below its reserve, whatever it puts. */
TEST(reserve_protects_neighbour)
{
	struct env env;
	struct tmem_engine *eng = engine(&env, &plain_ops, 200, 0);
	struct tmem_engine_info info;
	int i, accepted = 0;

	ASSERT_NE(NULL, eng);
	ASSERT_EQ(0, tmem_engine_client_new(eng, 1));		/* quiet */
	ASSERT_EQ(1, tmem_engine_client_new(eng, 10000));	/* noisy */
	ASSERT_EQ(0, tmem_engine_set_reserve(eng, 0, 50));
	ASSERT_EQ(0, tmem_engine_new_pool(eng, 0, 0, NULL));
	ASSERT_EQ(0, tmem_engine_new_pool(eng, 1, 0, NULL));
	ASSERT_EQ(1, tmem_engine_new_pool(eng, 1, TMEM_POOL_PERSISTENT, NULL));
	for (i = 0; i < 50; i++)
		ASSERT_EQ(0, put(eng, 0, 0, 0, i, i, RANDOM));
	for (i = 0; i < 5000; i++)
		ASSERT_EQ(0, put(eng, 1, 0, 0, i, 0, RANDOM));
	EXPECT_EQ(50, pages_of(eng, 0));
	EXPECT_EQ(150, pages_of(eng, 1));
	while (!put(eng, 1, 1, 0, accepted, 0, RANDOM))
		accepted++;
	EXPECT_EQ(150, accepted);
	EXPECT_EQ(0, tmem_engine_shrink(eng, 1000));
	for (i = 0; i < 50; i++)
		ASSERT_EQ(0, get(eng, 0, 0, 0, i, i, RANDOM));
	/* Its reserve stays held for it while it is empty. */
	EXPECT_EQ(0, pages_of(eng, 0));
	tmem_engine_info(eng, &info);
	EXPECT_EQ(50 * PG, info.unmet_reserve_bytes);
	EXPECT_EQ(-ENOSPC, put(eng, 1, 1, 0, 999, 0, RANDOM));
	EXPECT_EQ(-ENOSPC, put(eng, 1, 0, 1, 999, 0, ZERO));
	for (i = 0; i < 50; i++)
		ASSERT_EQ(0, put(eng, 0, 0, 0, i, i, RANDOM));
	/* Beyond its reserve it only replaces its own oldest page. */
	EXPECT_EQ(0, put(eng, 0, 0, 0, 50, 50, RANDOM));
	EXPECT_EQ(50, pages_of(eng, 0));
	EXPECT_EQ(-ENOENT, get(eng, 0, 0, 0, 0, 0, RANDOM));
	for (i = 0; i < 150; i++)
		ASSERT_EQ(0, get(eng, 1, 1, 0, i, 0, RANDOM));
	finish(_metadata, &env, eng);
}

TEST(reserves_and_caps_are_admitted_consistently)
{
	struct env env;
	struct tmem_engine *eng = engine(&env, &plain_ops, 100, 0);
	struct tmem_client_info ci;

	ASSERT_NE(NULL, eng);
	ASSERT_EQ(0, tmem_engine_client_new(eng, 5));
	ASSERT_EQ(1, tmem_engine_client_new(eng, 5));
	EXPECT_EQ(0, tmem_engine_set_reserve(eng, 0, 60));
	EXPECT_EQ(-ENOSPC, tmem_engine_set_reserve(eng, 1, 41));
	EXPECT_EQ(0, tmem_engine_set_reserve(eng, 1, 40));
	EXPECT_EQ(-EINVAL, tmem_engine_set_cap(eng, 0, 59));
	EXPECT_EQ(0, tmem_engine_set_cap(eng, 0, 60));
	EXPECT_EQ(-EINVAL, tmem_engine_set_reserve(eng, 0, 61));
	EXPECT_EQ(0, tmem_engine_set_reserve(eng, 0, 10));
	EXPECT_EQ(0, tmem_engine_set_cap(eng, 0, 0));
	ASSERT_EQ(0, tmem_engine_client_info(eng, 0, &ci));
	EXPECT_EQ(5, ci.weight);
	EXPECT_EQ(0, ci.cap_pages);
	EXPECT_EQ(10, ci.reserve_pages);
	EXPECT_EQ(10 * PG, ci.share_bytes);	/* no pool open: only its reserve */
	ASSERT_EQ(0, tmem_engine_new_pool(eng, 0, 0, NULL));
	ASSERT_EQ(0, tmem_engine_new_pool(eng, 1, 0, NULL));
	ASSERT_EQ(0, tmem_engine_set_weight(eng, 1, 15));
	ASSERT_EQ(0, tmem_engine_client_info(eng, 0, &ci));
	EXPECT_EQ(25 * PG, ci.share_bytes);
	ASSERT_EQ(0, tmem_engine_client_destroy(eng, 1));
	EXPECT_EQ(0, tmem_engine_set_reserve(eng, 0, 100));
	finish(_metadata, &env, eng);
}

TEST(cap_limits_a_client)
{
	struct env env;
	struct tmem_engine *eng = engine(&env, &plain_ops, 100, 0);
	int i;

	ASSERT_NE(NULL, eng);
	ASSERT_EQ(0, tmem_engine_client_new(eng, 1));
	ASSERT_EQ(0, tmem_engine_set_cap(eng, 0, 10));
	ASSERT_EQ(0, tmem_engine_new_pool(eng, 0, TMEM_POOL_PERSISTENT, NULL));
	ASSERT_EQ(1, tmem_engine_new_pool(eng, 0, 0, NULL));
	/* Ephemeral puts at the cap replace the client's own oldest pages. */
	for (i = 0; i < 25; i++)
		ASSERT_EQ(0, put(eng, 0, 1, 0, i, i, RANDOM));
	EXPECT_EQ(10, pages_of(eng, 0));
	EXPECT_EQ(15, cstats(eng, 0).evictions);
	EXPECT_EQ(-ENOENT, get(eng, 0, 1, 0, 14, 14, RANDOM));
	EXPECT_EQ(0, get(eng, 0, 1, 0, 15, 15, RANDOM));
	/* Persistent puts take the ephemeral pages' place, then are refused. */
	for (i = 0; i < 10; i++)
		ASSERT_EQ(0, put(eng, 0, 0, 0, i, i, RANDOM));
	EXPECT_EQ(-ENOSPC, put(eng, 0, 0, 0, 10, 10, RANDOM));
	EXPECT_EQ(-ENOSPC, put(eng, 0, 1, 0, 10, 10, RANDOM));
	EXPECT_EQ(10, pages_of(eng, 0));
	for (i = 0; i < 10; i++)
		ASSERT_EQ(0, get(eng, 0, 0, 0, i, i, RANDOM));
	/* Lowering the cap keeps what is stored. */
	ASSERT_EQ(0, tmem_engine_set_cap(eng, 0, 5));
	EXPECT_EQ(10, pages_of(eng, 0));
	EXPECT_EQ(-ENOSPC, put(eng, 0, 0, 1, 0, 0, ZERO));
	finish(_metadata, &env, eng);
}

TEST(zero_pages_cost_no_page)
{
	struct env env;
	struct tmem_engine *eng = engine(&env, &plain_ops, 16, 0);
	struct tmem_stats s;
	int i;

	ASSERT_NE(NULL, eng);
	ASSERT_EQ(0, tmem_engine_client_new(eng, 1));
	ASSERT_EQ(0, tmem_engine_new_pool(eng, 0, TMEM_POOL_PERSISTENT, NULL));
	for (i = 0; i < 8; i++)
		ASSERT_EQ(0, put(eng, 0, 0, 0, i, i, RANDOM));
	for (i = 0; i < 8 * PG / TMEM_ZERO_CHARGE; i++)
		ASSERT_EQ(0, put(eng, 0, 0, 1, i, 0, ZERO));
	EXPECT_EQ(-ENOSPC, put(eng, 0, 0, 2, 0, 0, ZERO));
	EXPECT_EQ(8, env.pages);
	s = cstats(eng, 0);
	EXPECT_EQ(8 + 8 * PG / TMEM_ZERO_CHARGE, s.pages);
	EXPECT_EQ(8 * PG / TMEM_ZERO_CHARGE, s.zero_pages);
	EXPECT_EQ(16 * PG, s.bytes);
	for (i = 0; i < 8 * PG / TMEM_ZERO_CHARGE; i += 37)
		ASSERT_EQ(0, get(eng, 0, 0, 1, i, 0, ZERO));
	/* A zero page replaced by data, and data by a zero page. */
	ASSERT_EQ(0, flush(eng, 0, 0, 1, 0));
	ASSERT_EQ(0, flush(eng, 0, 0, 1, 1));
	ASSERT_EQ(0, put(eng, 0, 0, 0, 0, 0, ZERO));
	EXPECT_EQ(7, env.pages);
	ASSERT_EQ(0, get(eng, 0, 0, 0, 0, 0, ZERO));
	finish(_metadata, &env, eng);
}

TEST(compression_through_ops)
{
	struct env env;
	struct tmem_engine *eng = engine(&env, &rle_ops, 16, 0);
	struct tmem_stats s;
	int i;

	ASSERT_NE(NULL, eng);
	ASSERT_EQ(0, tmem_engine_client_new(eng, 1));
	ASSERT_EQ(0, tmem_engine_new_pool(eng, 0, TMEM_POOL_PERSISTENT, NULL));
	ASSERT_EQ(1, tmem_engine_new_pool(eng, 0, 0, NULL));
	/* 16 pages of budget hold far more than 16 compressible pages. */
	for (i = 0; i < 500; i++)
		ASSERT_EQ(0, put(eng, 0, 0, 0, i, i, RUNS));
	ASSERT_EQ(0, put(eng, 0, 0, 1, 0, 7, HALF));	/* RLE above 2048: raw */
	ASSERT_EQ(0, put(eng, 0, 0, 1, 1, 8, RANDOM));
	s = cstats(eng, 0);
	EXPECT_EQ(500, s.compressed_pages);
	EXPECT_EQ(500 * 64 + 2 * PG, s.bytes);
	EXPECT_EQ(1 + 2, env.pages);	/* the scratch page and the two raw ones */
	for (i = 0; i < 500; i++)
		ASSERT_EQ(0, get(eng, 0, 0, 0, i, i, RUNS));
	EXPECT_EQ(0, get(eng, 0, 0, 1, 0, 7, HALF));
	EXPECT_EQ(0, get(eng, 0, 0, 1, 1, 8, RANDOM));
	/* A copy that fails to decompress is an error and is gone, never garbage. */
	ASSERT_EQ(0, put(eng, 0, 1, 0, 0, 3, RUNS));
	env.corrupt = 1;
	EXPECT_EQ(-EIO, get(eng, 0, 0, 0, 5, 5, RUNS));
	EXPECT_EQ(-EIO, get(eng, 0, 1, 0, 0, 3, RUNS));
	env.corrupt = 0;
	EXPECT_EQ(-ENOENT, get(eng, 0, 0, 0, 5, 5, RUNS));
	EXPECT_EQ(-ENOENT, get(eng, 0, 1, 0, 0, 3, RUNS));
	EXPECT_EQ(0, get(eng, 0, 0, 0, 6, 6, RUNS));
	finish(_metadata, &env, eng);
}

TEST(shrink_and_count)
{
	struct env env;
	struct tmem_engine *eng = engine(&env, &plain_ops, 64, 0);
	struct tmem_engine_info info;
	int i;

	ASSERT_NE(NULL, eng);
	ASSERT_EQ(0, tmem_engine_client_new(eng, 1));
	ASSERT_EQ(1, tmem_engine_client_new(eng, 1));
	ASSERT_EQ(0, tmem_engine_set_reserve(eng, 0, 10));
	ASSERT_EQ(0, tmem_engine_new_pool(eng, 0, 0, NULL));
	ASSERT_EQ(0, tmem_engine_new_pool(eng, 1, 0, NULL));
	ASSERT_EQ(1, tmem_engine_new_pool(eng, 1, TMEM_POOL_PERSISTENT, NULL));
	for (i = 0; i < 30; i++)
		ASSERT_EQ(0, put(eng, 0, 0, 0, i, i, RANDOM));
	for (i = 0; i < 20; i++)
		ASSERT_EQ(0, put(eng, 1, 0, 0, i, i, RANDOM));
	for (i = 0; i < 5; i++)
		ASSERT_EQ(0, put(eng, 1, 1, 0, i, i, RANDOM));
	EXPECT_EQ(20 + 20, tmem_engine_count(eng));
	/* Client 0 is the furthest over its share (30 and 25 pages, shares 32). */
	EXPECT_EQ(5, tmem_engine_shrink(eng, 5));
	EXPECT_EQ(25, pages_of(eng, 0));
	EXPECT_EQ(25, pages_of(eng, 1));
	EXPECT_EQ(-ENOENT, get(eng, 0, 0, 0, 4, 4, RANDOM));
	EXPECT_EQ(0, get(eng, 0, 0, 0, 5, 5, RANDOM));
	EXPECT_EQ(35 - 1, tmem_engine_count(eng));
	EXPECT_EQ(34, tmem_engine_shrink(eng, 1000));
	EXPECT_EQ(0, tmem_engine_count(eng));
	EXPECT_EQ(0, tmem_engine_shrink(eng, 1000));
	EXPECT_EQ(10, pages_of(eng, 0));
	EXPECT_EQ(5, pages_of(eng, 1));
	EXPECT_EQ(34 + 5, cstats(eng, 0).evictions + cstats(eng, 1).evictions);
	for (i = 0; i < 5; i++)
		EXPECT_EQ(0, get(eng, 1, 1, 0, i, i, RANDOM));
	tmem_engine_info(eng, &info);
	EXPECT_EQ(0, info.reclaimable);
	EXPECT_EQ(15, info.pages);
	finish(_metadata, &env, eng);
}

/* Persistent pages over a share are not dropped: the client is asked to write back. */
TEST(writeback_hint)
{
	struct env env;
	struct tmem_engine *eng = engine(&env, &plain_ops, 100, 0);
	struct tmem_client_info ci;
	uint64_t n = 99;
	int i;

	ASSERT_NE(NULL, eng);
	ASSERT_EQ(0, tmem_engine_client_new(eng, 1));
	ASSERT_EQ(1, tmem_engine_client_new(eng, 1));
	ASSERT_EQ(0, tmem_engine_new_pool(eng, 0, TMEM_POOL_PERSISTENT, NULL));
	ASSERT_EQ(1, tmem_engine_new_pool(eng, 0, 0, NULL));
	for (i = 0; i < 90; i++)
		ASSERT_EQ(0, put(eng, 0, 0, 0, i, i, RANDOM));
	ASSERT_EQ(0, tmem_engine_writeback_hint(eng, 0, &n));
	EXPECT_EQ(0, n);	/* alone, and no pressure */
	ASSERT_EQ(0, tmem_engine_new_pool(eng, 1, TMEM_POOL_PERSISTENT, NULL));
	for (i = 0; i < 10; i++)
		ASSERT_EQ(0, put(eng, 0, 1, 0, i, i, RANDOM));
	for (i = 0; i < 10; i++)
		ASSERT_EQ(0, put(eng, 1, 0, 0, i, i, RANDOM));	/* evicts 0's cache */
	EXPECT_EQ(-ENOSPC, put(eng, 1, 0, 0, 10, 10, RANDOM));
	ASSERT_EQ(0, tmem_engine_writeback_hint(eng, 0, &n));
	EXPECT_EQ(40, n);
	ASSERT_EQ(0, tmem_engine_writeback_hint(eng, 1, &n));
	EXPECT_EQ(0, n);
	ASSERT_EQ(0, tmem_engine_client_info(eng, 0, &ci));
	EXPECT_EQ(40, ci.writeback_pages);
	/* The guest writes back its oldest pages and flushes them. */
	for (i = 0; i < 40; i++)
		ASSERT_EQ(0, flush(eng, 0, 0, 0, i));
	ASSERT_EQ(0, tmem_engine_writeback_hint(eng, 0, &n));
	EXPECT_EQ(0, n);
	for (i = 10; i < 50; i++)
		ASSERT_EQ(0, put(eng, 1, 0, 0, i, i, RANDOM));
	EXPECT_EQ(-ENOSPC, put(eng, 1, 0, 0, 50, 50, RANDOM));
	ASSERT_EQ(0, tmem_engine_writeback_hint(eng, 0, &n));
	EXPECT_EQ(0, n);
	finish(_metadata, &env, eng);
}

TEST(internal_clock_when_ops_have_none)
{
	struct tmem_engine_ops ops = plain_ops;
	struct env env;
	struct tmem_engine *eng;
	int i;

	ops.clock = NULL;
	eng = engine(&env, &ops, 8, 0);
	ASSERT_NE(NULL, eng);
	ASSERT_EQ(0, tmem_engine_client_new(eng, 1));
	ASSERT_EQ(0, tmem_engine_new_pool(eng, 0, 0, NULL));
	for (i = 0; i < 20; i++)
		ASSERT_EQ(0, put(eng, 0, 0, 0, i, i, RANDOM));
	for (i = 0; i < 12; i++)
		EXPECT_EQ(-ENOENT, get(eng, 0, 0, 0, i, i, RANDOM));
	for (i = 12; i < 20; i++)
		EXPECT_EQ(0, get(eng, 0, 0, 0, i, i, RANDOM));
	finish(_metadata, &env, eng);
}

/* Clients come and go 100 times with pages in every kind of pool: memory returns to
 * exactly what the empty engine held.
 */
TEST(destroy_clients_100_times_back_to_baseline)
{
	struct env env;
	struct tmem_engine *eng = engine(&env, &rle_ops, 64, 0);
	struct tmem_engine_info info;
	long base_pages, base_objs;
	int round, c, i;

	ASSERT_NE(NULL, eng);
	base_pages = env.pages;
	base_objs = env.objs;
	for (round = 0; round < 100; round++) {
		for (c = 0; c < 3; c++) {
			ASSERT_EQ(c, tmem_engine_client_new(eng, 1 + c));
			ASSERT_EQ(0, tmem_engine_authorise(eng, c, uuid_a));
			ASSERT_EQ(0, tmem_engine_set_reserve(eng, c, 4));
			ASSERT_EQ(0, tmem_engine_new_pool(eng, c, TMEM_POOL_PERSISTENT, NULL));
			ASSERT_EQ(1, tmem_engine_new_pool(eng, c, 0, NULL));
			ASSERT_EQ(2, tmem_engine_new_pool(eng, c, TMEM_POOL_SHARED, uuid_a));
		}
		for (i = 0; i < 40; i++)
			for (c = 0; c < 3; c++)
				put(eng, c, (i + c) % 3, i % 5, i, round + i, (i + c) % NR_KINDS);
		ASSERT_EQ(0, tmem_engine_check(eng));
		for (c = 0; c < 3; c++)
			ASSERT_EQ(0, tmem_engine_client_destroy(eng, (round + c) % 3));
	}
	tmem_engine_info(eng, &info);
	EXPECT_EQ(0, info.used_bytes);
	EXPECT_EQ(0, info.pages);
	EXPECT_EQ(0, info.nr_pools);
	EXPECT_EQ(0, info.nr_clients);
	EXPECT_EQ(0, info.reserved_bytes);
	EXPECT_EQ(0, info.unmet_reserve_bytes);
	EXPECT_EQ(0, info.weight_sum);
	EXPECT_EQ(base_pages, env.pages);
	EXPECT_EQ(base_objs, env.objs);
	finish(_metadata, &env, eng);
}

/* ---- random operations against a reference model -------------------------------------- */

#define M_CLIENTS	3
#define M_KEYS		128	/* 2 objects of 64 pages per pool */
#define M_OPS		300000

enum { M_PERS, M_EPH, M_SHARED, M_POOLS };

/* The model: what each key holds (version 0: nothing), and how it was filled. */
struct model {
	uint32_t ver[M_CLIENTS][M_POOLS][M_KEYS];	/* [*][M_SHARED]: row 0 only */
	uint8_t kind[M_CLIENTS][M_POOLS][M_KEYS];
	int pool_id[M_CLIENTS][M_POOLS];
	uint32_t next_ver;
	uint64_t rnd;
	int frozen[M_CLIENTS];
};

static uint32_t rnd(struct model *m, uint32_t n)
{
	m->rnd ^= m->rnd << 13;
	m->rnd ^= m->rnd >> 7;
	m->rnd ^= m->rnd << 17;
	return (m->rnd >> 16) % n;
}

/* The model's cell of a key: shared-pool keys are one cell for every client. */
static uint32_t *cell(struct model *m, int c, int p, int k, uint8_t **kind)
{
	int row = p == M_SHARED ? 0 : c;

	*kind = &m->kind[row][p][k];
	return &m->ver[row][p][k];
}

static uint64_t seed_of(int c, int p, int k, uint32_t ver)
{
	return (uint64_t)ver << 20 | (p == M_SHARED ? 0 : c) << 16 | p << 12 | k;
}

struct m_op {
	int c, p, k;
	uint32_t *ver;
	uint8_t *kind;
};

static int m_put(struct tmem_engine *eng, struct model *m, struct m_op *o)
{
	uint32_t ver = ++m->next_ver;
	enum kind kind = rnd(m, 10) < 3 ? RANDOM : rnd(m, NR_KINDS);
	int ret = put(eng, o->c, m->pool_id[o->c][o->p], o->k / 64, o->k % 64,
		      seed_of(o->c, o->p, o->k, ver), kind);

	*o->ver = ret ? 0 : ver;
	*o->kind = kind;
	if (m->frozen[o->c])
		return ret == -EBUSY ? 0 : -1;
	return !ret || ret == -ENOSPC ? 0 : -1;
}

/* A get must return exactly the last version put, or miss where a miss is allowed. */
static int m_get(struct tmem_engine *eng, struct model *m, struct m_op *o)
{
	int ret = get(eng, o->c, m->pool_id[o->c][o->p], o->k / 64, o->k % 64,
		      seed_of(o->c, o->p, o->k, *o->ver), *o->kind);

	if (!*o->ver)
		return ret == -ENOENT ? 0 : -1;
	if (ret == -ENOENT && o->p != M_PERS) {
		*o->ver = 0;	/* evicted */
		return 0;
	}
	if (ret)
		return -1;
	if (o->p == M_EPH)
		*o->ver = 0;	/* exclusive */
	return 0;
}

static int m_flush_object(struct tmem_engine *eng, struct model *m, struct m_op *o)
{
	int oid = o->k / 64, i;
	uint8_t *kind;

	tmem_engine_flush_object(eng, o->c, m->pool_id[o->c][o->p], oid);
	for (i = 0; i < 64; i++)
		*cell(m, o->c, o->p, oid * 64 + i, &kind) = 0;
	return 0;
}

static int m_reopen(struct tmem_engine *eng, struct model *m, struct m_op *o)
{
	static const uint32_t flags[M_POOLS] = {
		TMEM_POOL_PERSISTENT, 0, TMEM_POOL_SHARED
	};
	uint8_t *kind;
	int i;

	if (o->p == M_SHARED)
		return 0;	/* others' pages would stay: not modelled */
	if (tmem_engine_destroy_pool(eng, o->c, m->pool_id[o->c][o->p]))
		return -1;
	m->pool_id[o->c][o->p] = tmem_engine_new_pool(eng, o->c, flags[o->p], uuid_a);
	for (i = 0; i < M_KEYS; i++)
		*cell(m, o->c, o->p, i, &kind) = 0;
	return m->pool_id[o->c][o->p] < 0 ? -1 : 0;
}

static int m_step(struct tmem_engine *eng, struct model *m)
{
	struct m_op o = { rnd(m, M_CLIENTS), rnd(m, M_POOLS), rnd(m, M_KEYS) };
	uint32_t r = rnd(m, 1000);

	o.ver = cell(m, o.c, o.p, o.k, &o.kind);
	if (r < 450)
		return m_put(eng, m, &o);
	if (r < 850)
		return m_get(eng, m, &o);
	if (r < 960) {
		flush(eng, o.c, m->pool_id[o.c][o.p], o.k / 64, o.k % 64);
		*o.ver = 0;
		return 0;
	}
	if (r < 980)
		return m_flush_object(eng, m, &o);
	if (r < 990) {
		tmem_engine_shrink(eng, rnd(m, 32));
		return 0;
	}
	if (r < 994) {
		m->frozen[o.c] = rnd(m, 8) == 0;
		return tmem_engine_set_frozen(eng, o.c, m->frozen[o.c]);
	}
	if (r < 998)
		return tmem_engine_set_weight(eng, o.c, 1 + rnd(m, 8));
	return m_reopen(eng, m, &o);
}

/* Every persistent page the model holds reads back intact; the caps hold. */
static int m_audit(struct tmem_engine *eng, struct model *m)
{
	struct tmem_client_info ci;
	int c, k;

	if (tmem_engine_check(eng))
		return -1;
	for (c = 0; c < M_CLIENTS; c++) {
		for (k = 0; k < M_KEYS; k++) {
			struct m_op o = { c, M_PERS, k };

			o.ver = cell(m, c, M_PERS, k, &o.kind);
			if (*o.ver && m_get(eng, m, &o))
				return -1;
		}
		if (tmem_engine_client_info(eng, c, &ci) ||
		    (ci.cap_pages && ci.stats.bytes > ci.cap_pages * PG))
			return -1;
	}
	return 0;
}

static void run_model(struct __test_metadata *_metadata,
		      const struct tmem_engine_ops *ops, uint32_t buckets, uint64_t seed)
{
	static const uint32_t flags[M_POOLS] = { TMEM_POOL_PERSISTENT, 0, TMEM_POOL_SHARED };
	static struct model m;
	struct env env;
	struct tmem_engine *eng = engine(&env, ops, 256, buckets);
	long i;
	int c, p;

	ASSERT_NE(NULL, eng);
	memset(&m, 0, sizeof(m));
	m.rnd = seed;
	for (c = 0; c < M_CLIENTS; c++) {
		ASSERT_EQ(c, tmem_engine_client_new(eng, 1 << c));
		ASSERT_EQ(0, tmem_engine_authorise(eng, c, uuid_a));
		for (p = 0; p < M_POOLS; p++) {
			m.pool_id[c][p] = tmem_engine_new_pool(eng, c, flags[p], uuid_a);
			ASSERT_EQ(p, m.pool_id[c][p]);
		}
	}
	ASSERT_EQ(0, tmem_engine_set_reserve(eng, 0, 24));
	ASSERT_EQ(0, tmem_engine_set_cap(eng, 2, 120));
	for (i = 0; i < M_OPS; i++) {
		ASSERT_EQ(0, m_step(eng, &m)) TH_LOG("op %ld", i);
		if (i % 20000 == 0)
			ASSERT_EQ(0, m_audit(eng, &m)) TH_LOG("op %ld", i);
	}
	ASSERT_EQ(0, m_audit(eng, &m));
	for (c = 0; c < M_CLIENTS; c++) {
		struct tmem_stats s = cstats(eng, c);

		TH_LOG("client %d: %llu puts, %llu refused, %llu hits of %llu gets, %llu evictions",
		       c, (unsigned long long)s.puts, (unsigned long long)s.puts_refused,
		       (unsigned long long)s.hits, (unsigned long long)s.gets,
		       (unsigned long long)s.evictions);
	}
	finish(_metadata, &env, eng);
}

TEST(random_ops_match_model_rle_small_hash)
{
	run_model(_metadata, &rle_ops, 8, 0x9e3779b97f4a7c15ULL);
}

TEST(random_ops_match_model_plain)
{
	run_model(_metadata, &plain_ops, 0, 12345);
}

TEST_HARNESS_MAIN
