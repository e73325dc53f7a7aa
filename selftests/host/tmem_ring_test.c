// SPDX-License-Identifier: GPL-2.0-only
/*
 * Host tier: the tmem device's state machine (tmem/ring.c) as userspace C, on the real
 * pool engine, against a fake guest memory with guard bytes on both sides — the
 * register file, ring setup and its stops, every malformed descriptor class, the happy
 * paths (pools, put/get/flush, batches, shared pools with and without authorisation),
 * descriptors read once (TOCTOU), and two fuzz targets: tmem_desc_check() against an
 * independent reference, and a few hundred thousand random and mutated descriptors
 * through whole rings with the engine's consistency walk.
 */
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"
/* By path: mdev/ has an engine.h too, and -I$(TOP)/mdev comes first. */
#include "../../tmem/ring.h"

#define PG		TMEM_PAGE_SIZE
#define DESC		TMEM_RING_DESC_SIZE
#define GPA_BASE	0x100000ULL		/* guest memory: [GPA_BASE, +GMEM_SIZE) */
#define GMEM_PAGES	96
#define GMEM_SIZE	(GMEM_PAGES * PG)
#define GUARD		PG			/* guard bytes on each side */
#define GUARD_BYTE	0xcc
#define RING_GPA	GPA_BASE		/* up to 256 descriptors: 4 pages */
#define RING_PAGES	4
#define DATA_GPA	(GPA_BASE + RING_PAGES * PG)
#define DATA_PAGES	(GMEM_PAGES - RING_PAGES)
#define HOLE_GPA	0x40000000ULL		/* nothing mapped there */
#define BUDGET		256			/* the engine's pages */

static const uint8_t uuid_a[16] = { 0xa1, 0x5e, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 };
static const uint8_t uuid_b[16] = { 0xb2, 0x5e, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 };

/* ---- the engine's environment -------------------------------------------------------- */

struct env {
	long pages;
	long objs;
};

static void *t_page_alloc(void *priv)
{
	void *p = aligned_alloc(PG, PG);

	if (p)
		((struct env *)priv)->pages++;
	return p;
}

static void t_page_free(void *priv, void *page)
{
	((struct env *)priv)->pages--;
	free(page);
}

static void *t_obj_alloc(void *priv, size_t size)
{
	void *p = malloc(size);

	if (p)
		((struct env *)priv)->objs++;
	return p;
}

static void t_obj_free(void *priv, void *obj, size_t size)
{
	((struct env *)priv)->objs--;
	free(obj);
}

static const struct tmem_engine_ops eng_ops = {
	.page_alloc = t_page_alloc,
	.page_free = t_page_free,
	.obj_alloc = t_obj_alloc,
	.obj_free = t_obj_free,
};

/* ---- one device: an engine client, its ring and its guest's memory ------------------ */

struct dev {
	struct tmem_ring r;
	struct tmem_engine *eng;
	uint32_t client;
	uint8_t *mem;		/* GUARD + GMEM_SIZE + GUARD */
	uint8_t *bounce;
	uint32_t tail;		/* the guest's */
	long ring_reads;	/* dma_read calls that touched the ring */
	int fail_ring_read;	/* dma_read of the ring fails */
	int fail_ring_write;	/* dma_write of the ring fails */
	int rewrite;		/* the "guest" rewrites a descriptor after its first read */
};

static uint8_t *gmem(struct dev *d, uint64_t gpa)
{
	return d->mem + GUARD + (gpa - GPA_BASE);
}

static bool in_gmem(uint64_t gpa, size_t len)
{
	return gpa >= GPA_BASE && gpa - GPA_BASE <= GMEM_SIZE &&
	       len <= GMEM_SIZE - (gpa - GPA_BASE);
}

static bool hits_ring(uint64_t gpa, size_t len)
{
	return gpa < RING_GPA + RING_PAGES * PG && gpa + len > RING_GPA;
}

static int d_dma_read(void *priv, uint64_t gpa, void *buf, size_t len)
{
	struct dev *d = priv;

	if (!in_gmem(gpa, len) || (d->fail_ring_read && hits_ring(gpa, len)))
		return -EFAULT;
	memcpy(buf, gmem(d, gpa), len);
	if (hits_ring(gpa, len)) {
		d->ring_reads++;
		if (d->rewrite)		/* too late: the device has its copy */
			memset(gmem(d, gpa), 0xff, len);
	}
	return 0;
}

static int d_dma_write(void *priv, uint64_t gpa, const void *buf, size_t len)
{
	struct dev *d = priv;

	if (!in_gmem(gpa, len) || (d->fail_ring_write && hits_ring(gpa, len)))
		return -EFAULT;
	memcpy(gmem(d, gpa), buf, len);
	return 0;
}

static int d_new_pool(void *priv, uint32_t flags, const uint8_t *uuid)
{
	struct dev *d = priv;

	return tmem_engine_new_pool(d->eng, d->client, flags, uuid);
}

static int d_destroy_pool(void *priv, uint32_t pool)
{
	struct dev *d = priv;

	return tmem_engine_destroy_pool(d->eng, d->client, pool);
}

static int d_put(void *priv, const struct tmem_key *key, const void *page)
{
	struct dev *d = priv;

	return tmem_engine_put(d->eng, d->client, key, page, PG);
}

static int d_get(void *priv, const struct tmem_key *key, void *page)
{
	struct dev *d = priv;

	return tmem_engine_get(d->eng, d->client, key, page, PG);
}

static int d_flush_page(void *priv, const struct tmem_key *key)
{
	struct dev *d = priv;

	return tmem_engine_flush_page(d->eng, d->client, key);
}

static int d_flush_object(void *priv, uint32_t pool, uint64_t oid)
{
	struct dev *d = priv;

	return tmem_engine_flush_object(d->eng, d->client, pool, oid);
}

static const struct tmem_ring_ops dev_ops = {
	.dma_read = d_dma_read,
	.dma_write = d_dma_write,
	.new_pool = d_new_pool,
	.destroy_pool = d_destroy_pool,
	.put = d_put,
	.get = d_get,
	.flush_page = d_flush_page,
	.flush_object = d_flush_object,
};

static int dev_init(struct dev *d, struct tmem_engine *eng)
{
	int id = tmem_engine_client_new(eng, 100);

	memset(d, 0, sizeof(*d));
	if (id < 0)
		return id;
	d->eng = eng;
	d->client = id;
	d->mem = malloc(GMEM_SIZE + 2 * GUARD);
	d->bounce = aligned_alloc(PG, PG);
	if (!d->mem || !d->bounce)
		return -ENOMEM;
	memset(d->mem, GUARD_BYTE, GUARD);
	memset(d->mem + GUARD, 0, GMEM_SIZE);
	memset(d->mem + GUARD + GMEM_SIZE, GUARD_BYTE, GUARD);
	tmem_ring_init(&d->r, &dev_ops, d, d->bounce, MGPU_TMEM_CAP_PERSISTENT |
		       MGPU_TMEM_CAP_EPHEMERAL | MGPU_TMEM_CAP_SHARED |
		       MGPU_TMEM_CAP_WRITEBACK, id);
	return 0;
}

static bool guards_intact(struct dev *d)
{
	size_t i;

	for (i = 0; i < GUARD; i++)
		if (d->mem[i] != GUARD_BYTE || d->mem[GUARD + GMEM_SIZE + i] != GUARD_BYTE)
			return false;
	return true;
}

static void dev_fini(struct dev *d)
{
	free(d->mem);
	free(d->bounce);
}

static uint32_t rd(struct dev *d, uint32_t off)
{
	return tmem_ring_reg_read(&d->r, off);
}

static unsigned int wr(struct dev *d, uint32_t off, uint32_t val)
{
	unsigned int act = tmem_ring_reg_write(&d->r, off, val);

	if (act & TMEM_RING_RESET) {	/* what vdev.c does */
		uint32_t pool;

		for (pool = 0; pool < TMEM_MAX_POOLS; pool++)
			tmem_engine_destroy_pool(d->eng, d->client, pool);
		d->tail = 0;
	}
	return act;
}

static unsigned int start_ring(struct dev *d, uint64_t base, uint32_t size)
{
	wr(d, MGPU_TMEM_REG_RING_BASE_LO, (uint32_t)base);
	wr(d, MGPU_TMEM_REG_RING_BASE_HI, base >> 32);
	wr(d, MGPU_TMEM_REG_RING_SIZE, size);
	d->tail = 0;
	return wr(d, MGPU_TMEM_REG_CONTROL, MGPU_TMEM_CTRL_ENABLE);
}

static struct mgpu_tmem_desc *slot(struct dev *d, uint32_t i)
{
	return (struct mgpu_tmem_desc *)gmem(d, RING_GPA + (uint64_t)(i % d->r.size) * DESC);
}

/* Queue a descriptor as a guest does (status PENDING); no doorbell yet. */
static struct mgpu_tmem_desc *queue(struct dev *d, const struct mgpu_tmem_desc *in)
{
	struct mgpu_tmem_desc *s = slot(d, d->tail++);

	*s = *in;
	s->status = MGPU_TMEM_STATUS_PENDING;
	return s;
}

/* Ring the doorbell and let the device run until the ring is idle or stopped. */
static void doorbell(struct dev *d)
{
	wr(d, MGPU_TMEM_REG_TAIL, d->tail);
	while (tmem_ring_pending(&d->r))
		tmem_ring_process(&d->r, 64);
}

static int submit(struct dev *d, struct mgpu_tmem_desc in, uint64_t *result)
{
	struct mgpu_tmem_desc *s = queue(d, &in);

	doorbell(d);
	if (result)
		*result = s->result;
	return s->status;
}

static struct mgpu_tmem_desc dnew(uint8_t flags, const uint8_t *uuid)
{
	struct mgpu_tmem_desc d = { .op = MGPU_TMEM_OP_NEW_POOL, .flags = flags };

	if (uuid)
		memcpy(d.uuid, uuid, 16);
	return d;
}

static struct mgpu_tmem_desc dpage(uint8_t op, uint16_t pool, uint64_t oid,
				   uint32_t index, uint32_t count, uint64_t addr)
{
	struct mgpu_tmem_desc d = {
		.op = op, .pool = pool, .oid = oid, .index = index, .count = count,
		.addr = addr,
	};

	return d;
}

static struct mgpu_tmem_desc dop(uint8_t op, uint16_t pool, uint64_t oid)
{
	struct mgpu_tmem_desc d = { .op = op, .pool = pool, .oid = oid };

	return d;
}

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	return x ^ (x >> 33);
}

static void fill(uint8_t *p, uint64_t seed)
{
	int i;

	for (i = 0; i < PG; i += 8) {
		uint64_t v = mix(seed * 4096 + i);

		memcpy(p + i, &v, 8);
	}
}

static bool check(const uint8_t *p, uint64_t seed)
{
	uint8_t want[PG];

	fill(want, seed);
	return !memcmp(p, want, PG);
}

static uint64_t data(uint32_t page)
{
	return DATA_GPA + (uint64_t)page * PG;
}

/* ---- the fixture: one engine, two devices with running rings ------------------------- */

FIXTURE(ring) {
	struct env env;
	struct tmem_engine *eng;
	struct dev a, b;
};

FIXTURE_SETUP(ring)
{
	struct tmem_engine_params prm = {
		.total_pages = BUDGET, .max_clients = 4, .max_pools = 64, .hash_seed = 7,
	};

	memset(&self->env, 0, sizeof(self->env));
	ASSERT_EQ(0, tmem_engine_create(&prm, &eng_ops, &self->env, &self->eng));
	ASSERT_EQ(0, dev_init(&self->a, self->eng));
	ASSERT_EQ(0, dev_init(&self->b, self->eng));
	ASSERT_EQ(TMEM_RING_STARTED, start_ring(&self->a, RING_GPA, 64));
	ASSERT_EQ(TMEM_RING_STARTED, start_ring(&self->b, RING_GPA, 64));
}

FIXTURE_TEARDOWN(ring)
{
	EXPECT_TRUE(guards_intact(&self->a));
	EXPECT_TRUE(guards_intact(&self->b));
	EXPECT_EQ(0, tmem_engine_check(self->eng));
	tmem_engine_destroy(self->eng);
	EXPECT_EQ(0, self->env.pages);
	EXPECT_EQ(0, self->env.objs);
	dev_fini(&self->a);
	dev_fini(&self->b);
}

/* A pool of @flags on @d; asserts it opened. */
static uint16_t new_pool(struct __test_metadata *_metadata, struct dev *d, uint8_t flags,
			 const uint8_t *uuid)
{
	uint64_t id = ~0ULL;

	ASSERT_EQ(0, submit(d, dnew(flags, uuid), &id));
	ASSERT_LT(id, TMEM_MAX_POOLS);
	return id;
}

#define NEW_POOL(d, flags, uuid)	new_pool(_metadata, d, flags, uuid)

/* ---- registers ------------------------------------------------------------------------ */

TEST_F(ring, identity_registers)
{
	struct dev *d = &self->a;

	EXPECT_EQ(MGPU_TMEM_MAGIC, rd(d, MGPU_TMEM_REG_MAGIC));
	EXPECT_EQ(0x10000, rd(d, MGPU_TMEM_REG_VERSION));
	EXPECT_EQ(MGPU_TMEM_CAP_PERSISTENT | MGPU_TMEM_CAP_EPHEMERAL | MGPU_TMEM_CAP_SHARED |
		  MGPU_TMEM_CAP_WRITEBACK, rd(d, MGPU_TMEM_REG_CAPS));
	EXPECT_EQ(4096, rd(d, MGPU_TMEM_REG_MAX_RING));
	EXPECT_EQ(64, rd(d, MGPU_TMEM_REG_MAX_COUNT));
	EXPECT_EQ(4096, rd(d, MGPU_TMEM_REG_PAGE_SIZE));
	EXPECT_EQ(d->client, rd(d, MGPU_TMEM_REG_CLIENT_ID));
	EXPECT_EQ(self->b.client, rd(&self->b, MGPU_TMEM_REG_CLIENT_ID));
	EXPECT_NE(d->client, self->b.client);
	EXPECT_EQ(0, rd(d, MGPU_TMEM_REG_CONTROL));
	EXPECT_EQ(0, rd(d, 0x48));
	EXPECT_EQ(0, rd(d, MGPU_TMEM_REGS_SIZE - 4));
	/* Read-only registers ignore writes. */
	EXPECT_EQ(0, wr(d, MGPU_TMEM_REG_MAGIC, 0));
	EXPECT_EQ(0, wr(d, MGPU_TMEM_REG_HEAD, 5));
	EXPECT_EQ(0, wr(d, MGPU_TMEM_REG_ERROR, 5));
	EXPECT_EQ(0, wr(d, MGPU_TMEM_REG_CLIENT_ID, 77));
	EXPECT_EQ(MGPU_TMEM_MAGIC, rd(d, MGPU_TMEM_REG_MAGIC));
	EXPECT_EQ(0, rd(d, MGPU_TMEM_REG_HEAD));
	EXPECT_EQ(d->client, rd(d, MGPU_TMEM_REG_CLIENT_ID));
}

TEST_F(ring, setup_registers_only_while_disabled)
{
	struct dev *d = &self->a;

	EXPECT_EQ(MGPU_TMEM_STATUS_ENABLED, rd(d, MGPU_TMEM_REG_STATUS));
	wr(d, MGPU_TMEM_REG_RING_BASE_LO, 0x5000);
	wr(d, MGPU_TMEM_REG_RING_BASE_HI, 1);
	wr(d, MGPU_TMEM_REG_RING_SIZE, 8);
	EXPECT_EQ((uint32_t)RING_GPA, rd(d, MGPU_TMEM_REG_RING_BASE_LO));
	EXPECT_EQ(0, rd(d, MGPU_TMEM_REG_RING_BASE_HI));
	EXPECT_EQ(64, rd(d, MGPU_TMEM_REG_RING_SIZE));
	EXPECT_EQ(TMEM_RING_RESET, wr(d, MGPU_TMEM_REG_CONTROL, MGPU_TMEM_CTRL_RESET));
	EXPECT_EQ(0, rd(d, MGPU_TMEM_REG_STATUS));
	EXPECT_EQ(0, rd(d, MGPU_TMEM_REG_RING_SIZE));
	EXPECT_EQ(0, rd(d, MGPU_TMEM_REG_RING_BASE_LO));
	wr(d, MGPU_TMEM_REG_RING_BASE_LO, 0x12345000);
	wr(d, MGPU_TMEM_REG_RING_BASE_HI, 0xabcd);
	wr(d, MGPU_TMEM_REG_RING_SIZE, 8);
	EXPECT_EQ(0x12345000, rd(d, MGPU_TMEM_REG_RING_BASE_LO));
	EXPECT_EQ(0xabcd, rd(d, MGPU_TMEM_REG_RING_BASE_HI));
	EXPECT_EQ(8, rd(d, MGPU_TMEM_REG_RING_SIZE));
	/* TAIL counts only while the ring runs. */
	EXPECT_EQ(0, wr(d, MGPU_TMEM_REG_TAIL, 3));
	EXPECT_EQ(0, rd(d, MGPU_TMEM_REG_TAIL));
}

TEST_F(ring, irq_status_mask_and_line)
{
	struct dev *d = &self->a;

	EXPECT_EQ(0, rd(d, MGPU_TMEM_REG_IRQ_MASK));
	wr(d, MGPU_TMEM_REG_IRQ_MASK, 0xffffffff);
	EXPECT_EQ(MGPU_TMEM_IRQ_COMPLETION | MGPU_TMEM_IRQ_WRITEBACK | MGPU_TMEM_IRQ_ERROR,
		  rd(d, MGPU_TMEM_REG_IRQ_MASK));
	EXPECT_FALSE(tmem_ring_irq_line(&d->r));
	EXPECT_EQ(0, submit(d, dop(MGPU_TMEM_OP_NOP, 0, 0), NULL));
	EXPECT_EQ(MGPU_TMEM_IRQ_COMPLETION, rd(d, MGPU_TMEM_REG_IRQ_STATUS));
	EXPECT_TRUE(tmem_ring_irq_line(&d->r));
	wr(d, MGPU_TMEM_REG_IRQ_MASK, MGPU_TMEM_IRQ_ERROR);
	EXPECT_FALSE(tmem_ring_irq_line(&d->r));
	wr(d, MGPU_TMEM_REG_IRQ_MASK, MGPU_TMEM_IRQ_COMPLETION);
	wr(d, MGPU_TMEM_REG_IRQ_STATUS, MGPU_TMEM_IRQ_WRITEBACK);	/* RW1C: another bit */
	EXPECT_TRUE(tmem_ring_irq_line(&d->r));
	wr(d, MGPU_TMEM_REG_IRQ_STATUS, MGPU_TMEM_IRQ_COMPLETION);
	EXPECT_EQ(0, rd(d, MGPU_TMEM_REG_IRQ_STATUS));
	EXPECT_FALSE(tmem_ring_irq_line(&d->r));
}

TEST_F(ring, writeback_register_and_interrupt)
{
	struct dev *d = &self->a;

	tmem_ring_set_writeback(&d->r, 10);
	EXPECT_EQ(10, rd(d, MGPU_TMEM_REG_WRITEBACK));
	EXPECT_EQ(MGPU_TMEM_IRQ_WRITEBACK, rd(d, MGPU_TMEM_REG_IRQ_STATUS));
	wr(d, MGPU_TMEM_REG_IRQ_STATUS, MGPU_TMEM_IRQ_WRITEBACK);
	tmem_ring_set_writeback(&d->r, 20);	/* no new edge: it was not 0 */
	EXPECT_EQ(0, rd(d, MGPU_TMEM_REG_IRQ_STATUS));
	tmem_ring_set_writeback(&d->r, 1ULL << 40);
	EXPECT_EQ(0xffffffff, rd(d, MGPU_TMEM_REG_WRITEBACK));
	tmem_ring_set_writeback(&d->r, 0);
	tmem_ring_set_writeback(&d->r, 3);
	EXPECT_EQ(MGPU_TMEM_IRQ_WRITEBACK, rd(d, MGPU_TMEM_REG_IRQ_STATUS));
	/* A disabled ring keeps WRITEBACK at 0. */
	wr(d, MGPU_TMEM_REG_CONTROL, MGPU_TMEM_CTRL_RESET);
	tmem_ring_set_writeback(&d->r, 3);
	EXPECT_EQ(0, rd(d, MGPU_TMEM_REG_WRITEBACK));
	EXPECT_EQ(0, rd(d, MGPU_TMEM_REG_IRQ_STATUS));
}

/* ---- setup and the ring's stops -------------------------------------------------------- */

static void expect_setup_error(struct __test_metadata *_metadata, struct dev *d,
			       uint64_t base, uint32_t size)
{
	wr(d, MGPU_TMEM_REG_CONTROL, MGPU_TMEM_CTRL_RESET);
	EXPECT_EQ(0, start_ring(d, base, size)) TH_LOG("base 0x%llx size %u",
						       (unsigned long long)base, size);
	EXPECT_EQ(MGPU_TMEM_STATUS_ERROR, rd(d, MGPU_TMEM_REG_STATUS));
	EXPECT_EQ(MGPU_TMEM_ERR_SETUP, rd(d, MGPU_TMEM_REG_ERROR));
	EXPECT_TRUE(rd(d, MGPU_TMEM_REG_IRQ_STATUS) & MGPU_TMEM_IRQ_ERROR);
}

TEST_F(ring, enable_with_bad_setup)
{
	struct dev *d = &self->a;

	expect_setup_error(_metadata, d, RING_GPA + 64, 64);	/* not 4 KiB aligned */
	expect_setup_error(_metadata, d, RING_GPA, 0);
	expect_setup_error(_metadata, d, RING_GPA, 3);
	expect_setup_error(_metadata, d, RING_GPA, 8192);
	expect_setup_error(_metadata, d, RING_GPA, 0x80000000);
	expect_setup_error(_metadata, d, 0xfffffffffffff000ULL, 128);	/* wraps */
	/* An error sticks: ENABLE does nothing until a reset. */
	wr(d, MGPU_TMEM_REG_RING_SIZE, 64);
	wr(d, MGPU_TMEM_REG_RING_BASE_LO, (uint32_t)RING_GPA);
	wr(d, MGPU_TMEM_REG_RING_BASE_HI, 0);
	EXPECT_EQ(0, wr(d, MGPU_TMEM_REG_CONTROL, MGPU_TMEM_CTRL_ENABLE));
	EXPECT_EQ(MGPU_TMEM_STATUS_ERROR, rd(d, MGPU_TMEM_REG_STATUS));
	/* A ring just below the top of the address space is fine. */
	wr(d, MGPU_TMEM_REG_CONTROL, MGPU_TMEM_CTRL_RESET);
	EXPECT_EQ(TMEM_RING_STARTED, start_ring(d, 0xffffffffffffe000ULL, 64));
	EXPECT_EQ(MGPU_TMEM_STATUS_ENABLED, rd(d, MGPU_TMEM_REG_STATUS));
	EXPECT_EQ(MGPU_TMEM_ERR_NONE, rd(d, MGPU_TMEM_REG_ERROR));
	wr(d, MGPU_TMEM_REG_CONTROL, MGPU_TMEM_CTRL_RESET);
	EXPECT_EQ(TMEM_RING_STARTED, start_ring(d, RING_GPA, 256));
	EXPECT_EQ(0, submit(d, dop(MGPU_TMEM_OP_NOP, 0, 0), NULL));
}

TEST_F(ring, tail_too_far_stops_the_ring)
{
	struct dev *d = &self->a;

	EXPECT_EQ(0, submit(d, dop(MGPU_TMEM_OP_NOP, 0, 0), NULL));
	EXPECT_EQ(TMEM_RING_KICK, wr(d, MGPU_TMEM_REG_TAIL, 1 + 64));	/* exactly full */
	EXPECT_EQ(MGPU_TMEM_STATUS_ENABLED, rd(d, MGPU_TMEM_REG_STATUS));
	wr(d, MGPU_TMEM_REG_CONTROL, MGPU_TMEM_CTRL_RESET);
	start_ring(d, RING_GPA, 64);
	EXPECT_EQ(0, wr(d, MGPU_TMEM_REG_TAIL, 65));
	EXPECT_EQ(MGPU_TMEM_STATUS_ERROR, rd(d, MGPU_TMEM_REG_STATUS));
	EXPECT_EQ(MGPU_TMEM_ERR_TAIL, rd(d, MGPU_TMEM_REG_ERROR));
	EXPECT_TRUE(rd(d, MGPU_TMEM_REG_IRQ_STATUS) & MGPU_TMEM_IRQ_ERROR);
	EXPECT_FALSE(tmem_ring_pending(&d->r));
	EXPECT_EQ(0, tmem_ring_process(&d->r, 100));
	EXPECT_EQ(0, wr(d, MGPU_TMEM_REG_TAIL, 1));	/* ignored once stopped */
	/* Backwards counts as far ahead too (free-running counters). */
	wr(d, MGPU_TMEM_REG_CONTROL, MGPU_TMEM_CTRL_RESET);
	start_ring(d, RING_GPA, 64);
	wr(d, MGPU_TMEM_REG_TAIL, 0xffffffff);
	EXPECT_EQ(MGPU_TMEM_ERR_TAIL, rd(d, MGPU_TMEM_REG_ERROR));
	/* A reset recovers. */
	EXPECT_EQ(TMEM_RING_RESET, wr(d, MGPU_TMEM_REG_CONTROL, MGPU_TMEM_CTRL_RESET));
	EXPECT_EQ(0, rd(d, MGPU_TMEM_REG_ERROR));
	EXPECT_EQ(0, rd(d, MGPU_TMEM_REG_IRQ_STATUS));
	start_ring(d, RING_GPA, 64);
	EXPECT_EQ(0, submit(d, dop(MGPU_TMEM_OP_NOP, 0, 0), NULL));
	EXPECT_EQ(1, rd(d, MGPU_TMEM_REG_HEAD));
}

TEST_F(ring, unreadable_ring_stops_it)
{
	struct dev *d = &self->a;
	struct mgpu_tmem_desc *s;

	wr(d, MGPU_TMEM_REG_CONTROL, MGPU_TMEM_CTRL_RESET);
	start_ring(d, HOLE_GPA, 64);		/* a ring in unmapped guest memory */
	wr(d, MGPU_TMEM_REG_TAIL, 1);
	EXPECT_EQ(0, tmem_ring_process(&d->r, 64));
	EXPECT_EQ(MGPU_TMEM_STATUS_ERROR, rd(d, MGPU_TMEM_REG_STATUS));
	EXPECT_EQ(MGPU_TMEM_ERR_RING_DMA, rd(d, MGPU_TMEM_REG_ERROR));
	EXPECT_EQ(0, rd(d, MGPU_TMEM_REG_HEAD));
	/* Readable, but its status cannot be written back: stopped too, HEAD stays. */
	wr(d, MGPU_TMEM_REG_CONTROL, MGPU_TMEM_CTRL_RESET);
	start_ring(d, RING_GPA, 64);
	d->fail_ring_write = 1;
	s = queue(d, &(struct mgpu_tmem_desc){ .op = MGPU_TMEM_OP_NOP });
	doorbell(d);
	EXPECT_EQ(MGPU_TMEM_ERR_RING_DMA, rd(d, MGPU_TMEM_REG_ERROR));
	EXPECT_EQ(MGPU_TMEM_STATUS_PENDING, s->status);
	EXPECT_EQ(0, rd(d, MGPU_TMEM_REG_HEAD));
	d->fail_ring_write = 0;
	/* The ring's memory vanishing mid-batch stops it at that descriptor. */
	wr(d, MGPU_TMEM_REG_CONTROL, MGPU_TMEM_CTRL_RESET);
	start_ring(d, RING_GPA, 64);
	queue(d, &(struct mgpu_tmem_desc){ .op = MGPU_TMEM_OP_NOP });
	queue(d, &(struct mgpu_tmem_desc){ .op = MGPU_TMEM_OP_NOP });
	wr(d, MGPU_TMEM_REG_TAIL, d->tail);
	EXPECT_EQ(1, tmem_ring_process(&d->r, 1));
	d->fail_ring_read = 1;
	EXPECT_EQ(0, tmem_ring_process(&d->r, 64));
	EXPECT_EQ(1, rd(d, MGPU_TMEM_REG_HEAD));
	EXPECT_EQ(MGPU_TMEM_ERR_RING_DMA, rd(d, MGPU_TMEM_REG_ERROR));
	d->fail_ring_read = 0;
}

/* ---- malformed descriptors: each fails alone, the ring goes on ------------------------ */

/*
 * Submit @in; expect @status, result 0 and every byte but status and result untouched;
 * then a NOP must still complete.
 */
static void expect_status(struct __test_metadata *_metadata, struct dev *d,
			  struct mgpu_tmem_desc in, int status)
{
	struct mgpu_tmem_desc *s, want;

	in.cookie = 0xc00c1e0000000000ULL | d->tail;
	in.result = 0xdeadbeef;
	s = queue(d, &in);
	want = *s;
	doorbell(d);
	EXPECT_EQ(status, s->status)
		TH_LOG("op %u flags %u pool %u count %u addr 0x%llx", in.op, in.flags,
		       in.pool, in.count, (unsigned long long)in.addr);
	EXPECT_EQ(0, s->result);
	want.status = s->status;
	want.result = s->result;
	EXPECT_EQ(0, memcmp(&want, s, sizeof(want)));
	EXPECT_EQ(MGPU_TMEM_STATUS_ENABLED, rd(d, MGPU_TMEM_REG_STATUS));
	EXPECT_EQ(0, submit(d, dop(MGPU_TMEM_OP_NOP, 0, 0), NULL));
}

TEST_F(ring, malformed_unknown_op)
{
	expect_status(_metadata, &self->a, dop(7, 0, 0), -EOPNOTSUPP);
	expect_status(_metadata, &self->a, dop(0x80, 0, 0), -EOPNOTSUPP);
	expect_status(_metadata, &self->a, dop(0xff, 0, 0), -EOPNOTSUPP);
}

TEST_F(ring, malformed_flags)
{
	struct mgpu_tmem_desc put = dpage(MGPU_TMEM_OP_PUT, 0, 1, 0, 1, data(0));
	struct mgpu_tmem_desc nop = dop(MGPU_TMEM_OP_NOP, 0, 0);

	NEW_POOL(&self->a, MGPU_TMEM_POOL_PERSISTENT, NULL);
	expect_status(_metadata, &self->a, dnew(4, NULL), -EINVAL);
	expect_status(_metadata, &self->a, dnew(0x80, NULL), -EINVAL);
	expect_status(_metadata, &self->a,
		      dnew(MGPU_TMEM_POOL_PERSISTENT | MGPU_TMEM_POOL_SHARED, uuid_a), -EINVAL);
	put.flags = MGPU_TMEM_POOL_PERSISTENT;
	expect_status(_metadata, &self->a, put, -EINVAL);
	nop.flags = 1;
	expect_status(_metadata, &self->a, nop, -EINVAL);
}

TEST_F(ring, malformed_pool_out_of_range)
{
	static const uint16_t pools[] = { 16, 17, 0x100, 0xffff };
	unsigned int i;

	for (i = 0; i < 4; i++) {
		expect_status(_metadata, &self->a,
			      dpage(MGPU_TMEM_OP_PUT, pools[i], 1, 0, 1, data(0)), -EINVAL);
		expect_status(_metadata, &self->a,
			      dpage(MGPU_TMEM_OP_GET, pools[i], 1, 0, 1, data(0)), -EINVAL);
		expect_status(_metadata, &self->a,
			      dpage(MGPU_TMEM_OP_FLUSH_PAGE, pools[i], 1, 0, 1, 0), -EINVAL);
		expect_status(_metadata, &self->a,
			      dop(MGPU_TMEM_OP_FLUSH_OBJECT, pools[i], 1), -EINVAL);
		expect_status(_metadata, &self->a,
			      dop(MGPU_TMEM_OP_DESTROY_POOL, pools[i], 0), -EINVAL);
	}
	/* In range but not open: the engine's "no such pool". */
	expect_status(_metadata, &self->a, dpage(MGPU_TMEM_OP_PUT, 9, 1, 0, 1, data(0)),
		      -ENOENT);
	expect_status(_metadata, &self->a, dop(MGPU_TMEM_OP_DESTROY_POOL, 9, 0), -ENOENT);
}

TEST_F(ring, malformed_count_zero)
{
	expect_status(_metadata, &self->a, dpage(MGPU_TMEM_OP_PUT, 0, 1, 0, 0, data(0)),
		      -EINVAL);
	expect_status(_metadata, &self->a, dpage(MGPU_TMEM_OP_GET, 0, 1, 0, 0, data(0)),
		      -EINVAL);
	expect_status(_metadata, &self->a, dpage(MGPU_TMEM_OP_FLUSH_PAGE, 0, 1, 0, 0, 0),
		      -EINVAL);
}

TEST_F(ring, malformed_count_too_big)
{
	static const uint32_t counts[] = { 65, 128, 0x80000000, 0xffffffff };
	unsigned int i;

	for (i = 0; i < 4; i++) {
		expect_status(_metadata, &self->a,
			      dpage(MGPU_TMEM_OP_PUT, 0, 1, 0, counts[i], data(0)), -EINVAL);
		expect_status(_metadata, &self->a,
			      dpage(MGPU_TMEM_OP_FLUSH_PAGE, 0, 1, 0, counts[i], 0), -EINVAL);
	}
}

TEST_F(ring, malformed_index_count_wrap)
{
	uint16_t pool = NEW_POOL(&self->a, MGPU_TMEM_POOL_PERSISTENT, NULL);

	expect_status(_metadata, &self->a,
		      dpage(MGPU_TMEM_OP_PUT, pool, 1, 0xffffffff, 1, data(0)), -EINVAL);
	expect_status(_metadata, &self->a,
		      dpage(MGPU_TMEM_OP_GET, pool, 1, 0xfffffff0, 64, data(0)), -EINVAL);
	expect_status(_metadata, &self->a,
		      dpage(MGPU_TMEM_OP_FLUSH_PAGE, pool, 1, 0xffffffc1, 64, 0), -EINVAL);
	/* The last index that does not wrap. */
	EXPECT_EQ(0, submit(&self->a, dpage(MGPU_TMEM_OP_PUT, pool, 1, 0xfffffffe, 1,
					    data(0)), NULL));
	EXPECT_EQ(0, submit(&self->a, dpage(MGPU_TMEM_OP_FLUSH_PAGE, pool, 1, 0xffffffbf,
					    64, 0), NULL));
}

TEST_F(ring, malformed_unaligned_addr)
{
	static const uint64_t off[] = { 1, 8, 0x800, 0xfff };
	unsigned int i;

	for (i = 0; i < 4; i++) {
		expect_status(_metadata, &self->a,
			      dpage(MGPU_TMEM_OP_PUT, 0, 1, 0, 1, data(0) + off[i]), -EINVAL);
		expect_status(_metadata, &self->a,
			      dpage(MGPU_TMEM_OP_GET, 0, 1, 0, 1, data(0) + off[i]), -EINVAL);
	}
}

TEST_F(ring, malformed_addr_wrap)
{
	expect_status(_metadata, &self->a,
		      dpage(MGPU_TMEM_OP_PUT, 0, 1, 0, 1, 0xfffffffffffff000ULL), -EINVAL);
	expect_status(_metadata, &self->a,
		      dpage(MGPU_TMEM_OP_GET, 0, 1, 0, 2, 0xffffffffffffe000ULL), -EINVAL);
	expect_status(_metadata, &self->a,
		      dpage(MGPU_TMEM_OP_GET, 0, 1, 0, 64, 0xffffffffffff0000ULL), -EINVAL);
}

TEST_F(ring, unmapped_addr_is_efault)
{
	uint16_t pool = NEW_POOL(&self->a, MGPU_TMEM_POOL_PERSISTENT, NULL);
	uint64_t result;

	expect_status(_metadata, &self->a, dpage(MGPU_TMEM_OP_PUT, pool, 1, 0, 1, HOLE_GPA),
		      -EFAULT);
	expect_status(_metadata, &self->a,
		      dpage(MGPU_TMEM_OP_PUT, pool, 1, 0, 4, GPA_BASE - 4 * PG), -EFAULT);
	/* Partly mapped: the pages inside succeed, result says how many. */
	EXPECT_EQ(-EFAULT, submit(&self->a, dpage(MGPU_TMEM_OP_PUT, pool, 1, 0, 4,
						  GPA_BASE + GMEM_SIZE - 2 * PG), &result));
	EXPECT_EQ(2, result);
	EXPECT_EQ(-EFAULT, submit(&self->a, dpage(MGPU_TMEM_OP_GET, pool, 1, 0, 1,
						  HOLE_GPA), &result));
	EXPECT_EQ(0, result);
	/* A persistent page survives a get to a bad address. */
	EXPECT_EQ(0, submit(&self->a, dpage(MGPU_TMEM_OP_GET, pool, 1, 0, 2, data(0)),
			    &result));
	EXPECT_EQ(2, result);
}

TEST_F(ring, malformed_uuid_on_private_pool)
{
	expect_status(_metadata, &self->a, dnew(0, uuid_a), -EINVAL);
	expect_status(_metadata, &self->a, dnew(MGPU_TMEM_POOL_PERSISTENT, uuid_a), -EINVAL);
}

TEST_F(ring, malformed_fields_an_op_leaves_zero)
{
	struct mgpu_tmem_desc d;

	d = dnew(0, NULL);
	d.count = 1;
	expect_status(_metadata, &self->a, d, -EINVAL);
	d = dnew(0, NULL);
	d.addr = data(0);
	expect_status(_metadata, &self->a, d, -EINVAL);
	d = dop(MGPU_TMEM_OP_NOP, 0, 0);
	d.count = 1;
	expect_status(_metadata, &self->a, d, -EINVAL);
	d = dop(MGPU_TMEM_OP_DESTROY_POOL, 0, 0);
	d.addr = PG;
	expect_status(_metadata, &self->a, d, -EINVAL);
	d = dop(MGPU_TMEM_OP_FLUSH_OBJECT, 0, 1);
	d.count = 2;
	expect_status(_metadata, &self->a, d, -EINVAL);
	d = dpage(MGPU_TMEM_OP_FLUSH_PAGE, 0, 1, 0, 1, data(0));	/* addr */
	expect_status(_metadata, &self->a, d, -EINVAL);
	d = dpage(MGPU_TMEM_OP_PUT, 0, 1, 0, 1, data(0));
	d.uuid[15] = 1;
	expect_status(_metadata, &self->a, d, -EINVAL);
	d = dop(MGPU_TMEM_OP_NOP, 0, 0);
	d.uuid[0] = 1;
	expect_status(_metadata, &self->a, d, -EINVAL);
}

/* ---- happy paths ----------------------------------------------------------------------- */

TEST_F(ring, persistent_put_get_flush)
{
	struct dev *d = &self->a;
	uint16_t pool = NEW_POOL(d, MGPU_TMEM_POOL_PERSISTENT, NULL);
	uint64_t result;
	int i;

	for (i = 0; i < 8; i++)
		fill(gmem(d, data(i)), 100 + i);
	EXPECT_EQ(0, submit(d, dpage(MGPU_TMEM_OP_PUT, pool, 42, 10, 8, data(0)), &result));
	EXPECT_EQ(8, result);
	memset(gmem(d, data(8)), 0, 8 * PG);
	EXPECT_EQ(0, submit(d, dpage(MGPU_TMEM_OP_GET, pool, 42, 10, 8, data(8)), &result));
	EXPECT_EQ(8, result);
	for (i = 0; i < 8; i++)
		EXPECT_TRUE(check(gmem(d, data(8 + i)), 100 + i)) TH_LOG("page %d", i);
	/* Persistent: a get leaves the page. */
	EXPECT_EQ(0, submit(d, dpage(MGPU_TMEM_OP_GET, pool, 42, 13, 1, data(20)), NULL));
	EXPECT_TRUE(check(gmem(d, data(20)), 103));
	EXPECT_EQ(0, submit(d, dpage(MGPU_TMEM_OP_FLUSH_PAGE, pool, 42, 13, 2, 0), &result));
	EXPECT_EQ(2, result);
	EXPECT_EQ(-ENOENT, submit(d, dpage(MGPU_TMEM_OP_GET, pool, 42, 13, 1, data(20)),
				  &result));
	EXPECT_EQ(0, result);
	/* A miss in the middle: result counts the pages before it. */
	EXPECT_EQ(-ENOENT, submit(d, dpage(MGPU_TMEM_OP_GET, pool, 42, 10, 8, data(8)),
				  &result));
	EXPECT_EQ(3, result);
	/* Flushing what is absent succeeds: afterwards it is absent. */
	EXPECT_EQ(0, submit(d, dpage(MGPU_TMEM_OP_FLUSH_PAGE, pool, 42, 1000, 64, 0),
			    &result));
	EXPECT_EQ(64, result);
	EXPECT_EQ(0, submit(d, dop(MGPU_TMEM_OP_FLUSH_OBJECT, pool, 42), NULL));
	EXPECT_EQ(-ENOENT, submit(d, dpage(MGPU_TMEM_OP_GET, pool, 42, 17, 1, data(20)),
				  NULL));
	EXPECT_EQ(0, submit(d, dop(MGPU_TMEM_OP_FLUSH_OBJECT, pool, 42), NULL));
	EXPECT_EQ(0, submit(d, dop(MGPU_TMEM_OP_DESTROY_POOL, pool, 0), NULL));
	EXPECT_EQ(-ENOENT, submit(d, dpage(MGPU_TMEM_OP_PUT, pool, 42, 10, 1, data(0)),
				  NULL));
}

TEST_F(ring, ephemeral_get_is_exclusive)
{
	struct dev *d = &self->a;
	uint16_t pool = NEW_POOL(d, 0, NULL);

	fill(gmem(d, data(0)), 7);
	EXPECT_EQ(0, submit(d, dpage(MGPU_TMEM_OP_PUT, pool, 1, 2, 1, data(0)), NULL));
	EXPECT_EQ(0, submit(d, dpage(MGPU_TMEM_OP_GET, pool, 1, 2, 1, data(1)), NULL));
	EXPECT_TRUE(check(gmem(d, data(1)), 7));
	EXPECT_EQ(-ENOENT, submit(d, dpage(MGPU_TMEM_OP_GET, pool, 1, 2, 1, data(1)), NULL));
}

TEST_F(ring, put_from_bad_address_leaves_the_key_empty)
{
	struct dev *d = &self->a;
	uint16_t pool = NEW_POOL(d, MGPU_TMEM_POOL_PERSISTENT, NULL);

	fill(gmem(d, data(0)), 1);
	EXPECT_EQ(0, submit(d, dpage(MGPU_TMEM_OP_PUT, pool, 5, 0, 1, data(0)), NULL));
	EXPECT_EQ(-EFAULT, submit(d, dpage(MGPU_TMEM_OP_PUT, pool, 5, 0, 1, HOLE_GPA), NULL));
	EXPECT_EQ(-ENOENT, submit(d, dpage(MGPU_TMEM_OP_GET, pool, 5, 0, 1, data(1)), NULL));
}

TEST_F(ring, refused_puts_and_frozen_client)
{
	struct dev *d = &self->a;
	uint16_t pool = NEW_POOL(d, MGPU_TMEM_POOL_PERSISTENT, NULL);
	uint64_t result, done = 0;
	uint32_t index = 0;
	int status = 0, i;

	for (i = 0; i < 64; i++)
		fill(gmem(d, data(i)), i);
	while (!status && index < 4 * BUDGET) {
		status = submit(d, dpage(MGPU_TMEM_OP_PUT, pool, 1, index, 64, data(0)),
				&result);
		done += result;
		index += 64;
	}
	EXPECT_EQ(-ENOSPC, status);
	EXPECT_EQ(BUDGET, done);
	EXPECT_EQ(0, tmem_engine_set_frozen(self->eng, d->client, true));
	EXPECT_EQ(0, submit(d, dpage(MGPU_TMEM_OP_FLUSH_PAGE, pool, 1, 0, 1, 0), NULL));
	EXPECT_EQ(-EBUSY, submit(d, dpage(MGPU_TMEM_OP_PUT, pool, 1, 0, 1, data(0)),
				 &result));
	EXPECT_EQ(0, result);
	EXPECT_EQ(0, submit(d, dpage(MGPU_TMEM_OP_GET, pool, 1, 1, 1, data(70)), NULL));
	EXPECT_TRUE(check(gmem(d, data(70)), 1));
}

TEST_F(ring, pool_table_full)
{
	struct dev *d = &self->a;
	int i;

	for (i = 0; i < TMEM_MAX_POOLS; i++)
		NEW_POOL(d, i & 1, NULL);
	EXPECT_EQ(-ENOSPC, submit(d, dnew(0, NULL), NULL));
	EXPECT_EQ(0, submit(d, dop(MGPU_TMEM_OP_DESTROY_POOL, 3, 0), NULL));
	EXPECT_EQ(3, NEW_POOL(d, 0, NULL));
}

TEST_F(ring, batch_behind_one_doorbell)
{
	struct dev *d = &self->a;
	struct mgpu_tmem_desc *s[256];
	unsigned int i, n = 0;
	uint16_t pool;

	wr(d, MGPU_TMEM_REG_CONTROL, MGPU_TMEM_CTRL_RESET);
	EXPECT_EQ(TMEM_RING_STARTED, start_ring(d, RING_GPA, 256));
	pool = NEW_POOL(d, MGPU_TMEM_POOL_PERSISTENT, NULL);
	for (i = 0; i < 32; i++)
		fill(gmem(d, data(i)), 500 + i);
	for (i = 0; i < 128; i++)
		s[i] = queue(d, &(struct mgpu_tmem_desc){
			.op = MGPU_TMEM_OP_PUT, .pool = pool, .oid = i, .index = i,
			.count = 1, .addr = data(i % 32), .cookie = i });
	for (i = 128; i < 255; i++)
		s[i] = queue(d, &(struct mgpu_tmem_desc){
			.op = MGPU_TMEM_OP_GET, .pool = pool, .oid = i - 128, .index = i - 128,
			.count = 1, .addr = data(32 + (i - 128) % 32), .cookie = i });
	EXPECT_EQ(TMEM_RING_KICK, wr(d, MGPU_TMEM_REG_TAIL, d->tail));
	while (tmem_ring_pending(&d->r)) {
		EXPECT_LE(tmem_ring_process(&d->r, 64), 64);
		n++;
	}
	EXPECT_EQ(4, n);
	EXPECT_EQ(256, rd(d, MGPU_TMEM_REG_HEAD));
	for (i = 0; i < 255; i++) {
		EXPECT_EQ(0, s[i]->status) TH_LOG("descriptor %u", i);
		EXPECT_EQ(i, s[i]->cookie);
	}
	for (i = 0; i < 32; i++)
		EXPECT_TRUE(check(gmem(d, data(32 + i)), 500 + i)) TH_LOG("page %u", i);
	EXPECT_TRUE(rd(d, MGPU_TMEM_REG_IRQ_STATUS) & MGPU_TMEM_IRQ_COMPLETION);
	/* The free-running counters wrap the ring: another lap, slot by slot. */
	for (i = 0; i < 300; i++)
		EXPECT_EQ(0, submit(d, dop(MGPU_TMEM_OP_NOP, 0, 0), NULL));
	EXPECT_EQ(556, rd(d, MGPU_TMEM_REG_HEAD));
}

TEST_F(ring, descriptors_are_read_once)
{
	struct dev *d = &self->a;
	uint16_t pool = NEW_POOL(d, MGPU_TMEM_POOL_PERSISTENT, NULL);
	struct mgpu_tmem_desc *s[8];
	uint64_t result;
	int i;

	for (i = 0; i < 8; i++) {
		fill(gmem(d, data(i)), 900 + i);
		s[i] = queue(d, &(struct mgpu_tmem_desc){
			.op = MGPU_TMEM_OP_PUT, .pool = pool, .oid = 3, .index = i,
			.count = 1, .addr = data(i) });
	}
	d->ring_reads = 0;
	d->rewrite = 1;	/* the guest scribbles over each descriptor once it is read */
	doorbell(d);
	d->rewrite = 0;
	EXPECT_EQ(8, d->ring_reads);
	for (i = 0; i < 8; i++)
		EXPECT_EQ(0, s[i]->status);
	EXPECT_EQ(0, submit(d, dpage(MGPU_TMEM_OP_GET, pool, 3, 0, 8, data(16)), &result));
	EXPECT_EQ(8, result);
	for (i = 0; i < 8; i++)
		EXPECT_TRUE(check(gmem(d, data(16 + i)), 900 + i));
}

TEST_F(ring, private_pools_are_private)
{
	uint16_t pa = NEW_POOL(&self->a, MGPU_TMEM_POOL_PERSISTENT, NULL);
	uint16_t pb = NEW_POOL(&self->b, MGPU_TMEM_POOL_PERSISTENT, NULL);

	EXPECT_EQ(pa, pb);	/* both pool 0 of their own client */
	fill(gmem(&self->a, data(0)), 11);
	EXPECT_EQ(0, submit(&self->a, dpage(MGPU_TMEM_OP_PUT, pa, 1, 0, 1, data(0)), NULL));
	EXPECT_EQ(-ENOENT, submit(&self->b, dpage(MGPU_TMEM_OP_GET, pb, 1, 0, 1, data(0)),
				  NULL));
	EXPECT_FALSE(check(gmem(&self->b, data(0)), 11));
}

TEST_F(ring, shared_pool_needs_authorisation)
{
	uint16_t pa, pb;
	uint64_t result;

	EXPECT_EQ(-EPERM, submit(&self->a, dnew(MGPU_TMEM_POOL_SHARED, uuid_a), &result));
	EXPECT_EQ(0, result);
	ASSERT_EQ(0, tmem_engine_authorise(self->eng, self->a.client, uuid_a));
	pa = NEW_POOL(&self->a, MGPU_TMEM_POOL_SHARED, uuid_a);
	EXPECT_EQ(-EINVAL, submit(&self->a, dnew(MGPU_TMEM_POOL_SHARED, uuid_a), NULL));
	EXPECT_EQ(-EPERM, submit(&self->b, dnew(MGPU_TMEM_POOL_SHARED, uuid_a), NULL));
	ASSERT_EQ(0, tmem_engine_authorise(self->eng, self->b.client, uuid_b));
	EXPECT_EQ(-EPERM, submit(&self->b, dnew(MGPU_TMEM_POOL_SHARED, uuid_a), NULL));
	ASSERT_EQ(0, tmem_engine_authorise(self->eng, self->b.client, uuid_a));
	pb = NEW_POOL(&self->b, MGPU_TMEM_POOL_SHARED, uuid_a);
	/* A page put by one member is a hit for the other; gets are not exclusive. */
	fill(gmem(&self->a, data(0)), 77);
	EXPECT_EQ(0, submit(&self->a, dpage(MGPU_TMEM_OP_PUT, pa, 9, 1, 1, data(0)), NULL));
	EXPECT_EQ(0, submit(&self->b, dpage(MGPU_TMEM_OP_GET, pb, 9, 1, 1, data(5)), NULL));
	EXPECT_TRUE(check(gmem(&self->b, data(5)), 77));
	EXPECT_EQ(0, submit(&self->b, dpage(MGPU_TMEM_OP_GET, pb, 9, 1, 1, data(6)), NULL));
	EXPECT_EQ(0, submit(&self->a, dpage(MGPU_TMEM_OP_GET, pa, 9, 1, 1, data(6)), NULL));
	/* A flush by any member removes it for all. */
	EXPECT_EQ(0, submit(&self->b, dpage(MGPU_TMEM_OP_FLUSH_PAGE, pb, 9, 1, 1, 0), NULL));
	EXPECT_EQ(-ENOENT, submit(&self->a, dpage(MGPU_TMEM_OP_GET, pa, 9, 1, 1, data(6)),
				  NULL));
	/* Revoking makes the client leave: its pool id then answers -ENOENT. */
	ASSERT_EQ(0, tmem_engine_deauthorise(self->eng, self->b.client, uuid_a));
	EXPECT_EQ(-ENOENT, submit(&self->b, dpage(MGPU_TMEM_OP_PUT, pb, 9, 1, 1, data(0)),
				  NULL));
	EXPECT_EQ(0, submit(&self->b, dpage(MGPU_TMEM_OP_FLUSH_PAGE, pb, 9, 1, 1, 0), NULL));
}

TEST_F(ring, reset_destroys_the_pools)
{
	struct dev *d = &self->a;
	uint16_t pool = NEW_POOL(d, MGPU_TMEM_POOL_PERSISTENT, NULL);
	struct tmem_client_info ci;

	fill(gmem(d, data(0)), 3);
	EXPECT_EQ(0, submit(d, dpage(MGPU_TMEM_OP_PUT, pool, 1, 0, 1, data(0)), NULL));
	ASSERT_EQ(0, tmem_engine_client_info(self->eng, d->client, &ci));
	EXPECT_EQ(1, ci.stats.pages);
	EXPECT_EQ(TMEM_RING_RESET, wr(d, MGPU_TMEM_REG_CONTROL, MGPU_TMEM_CTRL_RESET |
				      MGPU_TMEM_CTRL_ENABLE));	/* reset first: no setup */
	EXPECT_EQ(MGPU_TMEM_ERR_SETUP, rd(d, MGPU_TMEM_REG_ERROR));
	ASSERT_EQ(0, tmem_engine_client_info(self->eng, d->client, &ci));
	EXPECT_EQ(0, ci.stats.pages);
	EXPECT_EQ(0, ci.nr_pools);
}

/* ---- fuzz ------------------------------------------------------------------------------ */

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* The ABI's rules, written again from the header, independently of ring.c. */
static int ref_check(const struct mgpu_tmem_desc *d)
{
	bool pages = d->op >= MGPU_TMEM_OP_PUT && d->op <= MGPU_TMEM_OP_FLUSH_PAGE;
	bool addr = d->op == MGPU_TMEM_OP_PUT || d->op == MGPU_TMEM_OP_GET;
	bool shared_new = d->op == MGPU_TMEM_OP_NEW_POOL && (d->flags & 2);
	static const uint8_t zero[16];

	if (d->op > 6)
		return -EOPNOTSUPP;
	if (d->op == MGPU_TMEM_OP_NEW_POOL ? d->flags > 2 : d->flags != 0)
		return -EINVAL;
	if (d->op >= MGPU_TMEM_OP_DESTROY_POOL && d->pool > 15)
		return -EINVAL;
	if (pages && (d->count < 1 || d->count > 64 ||
		      (uint64_t)d->index + d->count > 0xffffffffULL))
		return -EINVAL;
	if (!pages && d->count)
		return -EINVAL;
	if (addr && (d->addr % 4096 ||
		     (__uint128_t)d->addr + (uint64_t)d->count * 4096 > ~0ULL))
		return -EINVAL;
	if (!addr && d->addr)
		return -EINVAL;
	if (!shared_new && memcmp(d->uuid, zero, 16))
		return -EINVAL;
	return 0;
}

static void mutate(struct mgpu_tmem_desc *d)
{
	uint8_t *b = (uint8_t *)d;
	int n = 1 + rnd() % 3;

	while (n--) {
		unsigned int at = rnd() % 40;	/* op .. result: never the uuid alone */

		if (rnd() & 1)
			b[at] ^= 1u << (rnd() % 8);
		else
			b[at] = rnd();
	}
	if (!(rnd() % 8))
		d->uuid[rnd() % 16] ^= 1;
}

static uint8_t random_op(uint64_t r)
{
	unsigned int pct = r % 100;

	if (pct < 30)
		return MGPU_TMEM_OP_PUT;
	if (pct < 65)
		return MGPU_TMEM_OP_GET;
	if (pct < 73)
		return MGPU_TMEM_OP_FLUSH_PAGE;
	if (pct < 77)
		return MGPU_TMEM_OP_FLUSH_OBJECT;
	if (pct < 85)
		return MGPU_TMEM_OP_NEW_POOL;
	if (pct < 87)
		return MGPU_TMEM_OP_DESTROY_POOL;
	return MGPU_TMEM_OP_NOP;
}

/* A plausible descriptor for @d's guest: mostly valid, sometimes hostile. */
static void random_desc(struct mgpu_tmem_desc *d)
{
	uint64_t r = rnd();

	memset(d, 0, sizeof(*d));
	if (!(r % 5)) {		/* random bytes */
		uint64_t *w = (uint64_t *)d;
		int i;

		for (i = 0; i < 8; i++)
			w[i] = rnd();
		if (r & 8)
			d->op = rnd() % 8;
		return;
	}
	d->op = random_op(r >> 8);
	d->pool = (r >> 16) % 4;
	d->oid = (r >> 24) % 3;
	d->index = (r >> 32) % 24;
	if (d->op == MGPU_TMEM_OP_NEW_POOL) {
		d->flags = (r >> 40) % 3;
		if (d->flags & MGPU_TMEM_POOL_SHARED)
			memcpy(d->uuid, (r >> 44) & 1 ? uuid_a : uuid_b, 16);
	}
	if (d->op >= MGPU_TMEM_OP_PUT && d->op <= MGPU_TMEM_OP_FLUSH_PAGE)
		d->count = 1 + (r >> 48) % ((r >> 52) % 8 ? 4 : 64);
	if (d->op == MGPU_TMEM_OP_PUT || d->op == MGPU_TMEM_OP_GET) {
		uint32_t first = (r >> 56) % DATA_PAGES;

		d->addr = data(first);
		if (!((r >> 60) % 8))	/* past the end of guest memory */
			d->addr = data(DATA_PAGES - 1);
	}
	if (!((r >> 61) % 4))
		mutate(d);
}

static bool documented(int status)
{
	return status == 0 || status == -EINVAL || status == -EFAULT ||
	       status == -EOPNOTSUPP || status == -EPERM || status == -ENOSPC ||
	       status == -EBUSY || status == -ENOENT;
}

TEST(desc_check_matches_the_reference)
{
	struct mgpu_tmem_desc d;
	long i, valid = 0;

	for (i = 0; i < 2000000; i++) {
		random_desc(&d);
		if (!(i % 3))
			mutate(&d);
		ASSERT_EQ(ref_check(&d), tmem_desc_check(&d))
			TH_LOG("op %u flags %u pool %u index %u count %u addr 0x%llx", d.op,
			       d.flags, d.pool, d.index, d.count, (unsigned long long)d.addr);
		valid += !tmem_desc_check(&d);
	}
	EXPECT_GT(valid, 200000);
	EXPECT_LT(valid, 1800000);
}

/* Would a GET of @d write into the ring? Then the guest scribbles on it legitimately. */
static bool writes_ring(const struct mgpu_tmem_desc *d)
{
	return d->op == MGPU_TMEM_OP_GET && !tmem_desc_check(d) &&
	       hits_ring(d->addr, (uint64_t)d->count * PG);
}

/* What the fuzz reached: completions by op (0..6, 7 = unknown) and status. */
static long fuzz_seen[8][5];

static int status_class(int st)
{
	switch (st) {
	case 0:		return 0;
	case -EINVAL:
	case -EOPNOTSUPP: return 1;
	case -EFAULT:	return 2;
	case -ENOENT:	return 3;
	}
	return 4;	/* -ENOSPC, -EBUSY, -EPERM */
}

static void fuzz_batch(struct __test_metadata *_metadata, struct dev *d, long *descs)
{
	struct mgpu_tmem_desc in[64], *s[64];
	unsigned int n = 1 + rnd() % (d->r.size < 48 ? d->r.size : 48), i;
	bool scribbled = false;

	for (i = 0; i < n; i++) {
		random_desc(&in[i]);
		in[i].cookie = rnd();
		scribbled |= writes_ring(&in[i]);
		s[i] = queue(d, &in[i]);
		in[i].status = MGPU_TMEM_STATUS_PENDING;
	}
	wr(d, MGPU_TMEM_REG_TAIL, d->tail);
	while (tmem_ring_pending(&d->r))
		tmem_ring_process(&d->r, 1 + rnd() % 64);
	ASSERT_EQ(MGPU_TMEM_STATUS_ENABLED, rd(d, MGPU_TMEM_REG_STATUS));
	ASSERT_EQ(d->tail, rd(d, MGPU_TMEM_REG_HEAD));
	for (i = 0; i < n && !scribbled; i++) {
		int st = s[i]->status;

		ASSERT_TRUE(documented(st)) TH_LOG("status %d for op %u", st, in[i].op);
		fuzz_seen[in[i].op < 7 ? in[i].op : 7][status_class(st)]++;
		if (ref_check(&in[i]))
			ASSERT_EQ(ref_check(&in[i]), st);
		if (in[i].count && in[i].op >= MGPU_TMEM_OP_PUT)
			ASSERT_LE(s[i]->result, in[i].count);
		in[i].status = s[i]->status;
		in[i].result = s[i]->result;
		ASSERT_EQ(0, memcmp(&in[i], s[i], sizeof(in[i])));
	}
	*descs += n;
}

/* Register writes a hostile guest might make between batches. */
static void fuzz_registers(struct dev *d)
{
	uint64_t r = rnd();

	switch (r % 16) {
	case 0:
		wr(d, (r >> 8) % MGPU_TMEM_REGS_SIZE & ~3u, r >> 32);
		break;
	case 1:
		wr(d, MGPU_TMEM_REG_TAIL, r >> 32);	/* may stop the ring */
		break;
	case 2:
		wr(d, MGPU_TMEM_REG_CONTROL, MGPU_TMEM_CTRL_RESET);
		break;
	case 3:
		tmem_ring_set_writeback(&d->r, r >> 40);
		break;
	}
	while (tmem_ring_pending(&d->r))	/* a TAIL written above */
		tmem_ring_process(&d->r, 64);
	if (rd(d, MGPU_TMEM_REG_STATUS) != MGPU_TMEM_STATUS_ENABLED) {
		wr(d, MGPU_TMEM_REG_CONTROL, MGPU_TMEM_CTRL_RESET);
		start_ring(d, RING_GPA, 1u << (rnd() % 9));
	}
	d->tail = rd(d, MGPU_TMEM_REG_HEAD);
}

TEST_F(ring, fuzz_whole_rings)
{
	long descs = 0, batches = 0;
	int i;

	ASSERT_EQ(0, tmem_engine_authorise(self->eng, self->a.client, uuid_a));
	ASSERT_EQ(0, tmem_engine_authorise(self->eng, self->b.client, uuid_a));
	ASSERT_EQ(0, tmem_engine_authorise(self->eng, self->b.client, uuid_b));
	for (i = 0; i < DATA_PAGES; i++) {
		fill(gmem(&self->a, data(i)), i);
		fill(gmem(&self->b, data(i)), 1000 + i);
	}
	while (descs < 300000) {
		struct dev *d = rnd() & 1 ? &self->a : &self->b;

		fuzz_batch(_metadata, d, &descs);
		if (!(++batches % 8))
			fuzz_registers(d);
		if (!(batches % 2000)) {
			ASSERT_EQ(0, tmem_engine_check(self->eng));
			ASSERT_TRUE(guards_intact(&self->a));
			ASSERT_TRUE(guards_intact(&self->b));
			if (!(batches % 6000))
				tmem_engine_set_frozen(self->eng, d->client, rnd() & 1);
		}
	}
	ASSERT_EQ(0, tmem_engine_check(self->eng));
	TH_LOG("%ld descriptors in %ld batches", descs, batches);
	for (i = 0; i < 8; i++) {
		TH_LOG("op %d: ok %ld, malformed %ld, efault %ld, enoent %ld, refused %ld", i,
		       fuzz_seen[i][0], fuzz_seen[i][1], fuzz_seen[i][2], fuzz_seen[i][3],
		       fuzz_seen[i][4]);
		/* Every op reached both execution and refusal. */
		if (i < 7)
			EXPECT_GT(fuzz_seen[i][0], 100);
		EXPECT_GT(fuzz_seen[i][1], 100);
	}
	EXPECT_GT(fuzz_seen[MGPU_TMEM_OP_PUT][4], 100);	/* the budget ran out */
	EXPECT_GT(fuzz_seen[MGPU_TMEM_OP_GET][3], 100);	/* misses */
	EXPECT_GT(fuzz_seen[MGPU_TMEM_OP_PUT][2], 100);	/* past guest memory */
}

TEST_HARNESS_MAIN
