// SPDX-License-Identifier: GPL-2.0-only
/*
 * Host tier: the command engine (mdev/engine.c) as userspace C on a fake GPU whose VRAM
 * is a malloc'd buffer — every register, every command byte for byte against a reference
 * model, every error with its address, bounded steps, preemption, the watchdog, and a
 * seeded fuzz. The partition under test is made of shuffled, non-contiguous chunks
 * between guard chunks that belong to nobody; every test (and every fuzz iteration) ends
 * by checking that the guards are byte-for-byte untouched. A fake clock advances 1 us per
 * read, so BUSY and the watchdog are deterministic.
 */
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"
#include "engine.h"

#define MB		MGPU_CHUNK_SIZE
#define GPU_CHUNKS	10
#define C_CHUNKS	4	/* the partition under test */
#define D_CHUNKS	2	/* a second context's, for preemption */
#define C_SIZE		(C_CHUNKS * MB)
#define TICK_NS		1000ULL
#define WATCHDOG_NS	2000000ULL	/* 2 ms of fake engine time */
#define RUN_CAP		100000	/* steps run() takes before calling it a hang */

/* The ring straddles the partition's first chunk boundary; the control block ends on one. */
#define RING		(MB - 0x2000)
#define RING_SZ		0x4000
#define CTRL		(2 * MB - 64)
#define CTRL_TAIL	(CTRL + 0)
#define CTRL_HEAD	(CTRL + 4)
#define CTRL_FENCE	(CTRL + 8)
#define CTRL_STATUS	(CTRL + 16)
#define CTRL_ERROR	(CTRL + 20)

#define ENABLE		MGPU_ENG_CONTROL_ENABLE
#define POLL		MGPU_ENG_CONTROL_POLL
#define ST_ENABLED	MGPU_ENG_STATUS_ENABLED
#define ST_BUSY		MGPU_ENG_STATUS_BUSY
#define ST_ERROR	MGPU_ENG_STATUS_ERROR

#define LO(x)		((u32)(x))
#define HI(x)		((u32)((u64)(x) >> 32))

/* Partition chunk -> GPU chunk; chunks 0, 1, 3 and 6 belong to nobody. */
static const u32 c_chunks[C_CHUNKS] = { 7, 2, 9, 4 };
static const u32 d_chunks[D_CHUNKS] = { 5, 8 };

/* Where commands go: a ring (wrapping at @size) or a linear batch buffer (@size 0). */
struct wr {
	u64 base;
	u32 size;
	u32 pos;
};

/* One context: its partition, its engine and what its callbacks saw. */
struct ctx {
	u8 *vram;
	const u32 *chunks;
	struct mgpu_eng_mem mem;
	struct mgpu_eng eng;
	u64 *clock;
	struct wr ring;
	u32 ctrl;
	u32 mode;
	int level;	/* the interrupt line as the callbacks left it */
	int irqs;	/* callbacks */
	int bad_irqs;	/* callbacks that did not change the level */
};

struct cmd {
	u32 n;
	u32 dw[MGPU_ENG_CMD_MAX];
};

/* ---- the fake GPU ---- */

static u64 fake_now(void *priv)
{
	struct ctx *c = priv;

	*c->clock += TICK_NS;
	return *c->clock;
}

static void fake_irq(void *priv, int level)
{
	struct ctx *c = priv;

	c->irqs++;
	if (!!level == c->level)
		c->bad_irqs++;
	c->level = !!level;
}

static const struct mgpu_eng_ops fake_ops = {
	.now_ns = fake_now,
	.irq = fake_irq,
};

static void ctx_init(struct ctx *c, u8 *vram, const u32 *chunks, u32 nr, u64 *clock)
{
	memset(c, 0, sizeof(*c));
	c->vram = vram;
	c->chunks = chunks;
	c->clock = clock;
	c->mem.base = vram;
	c->mem.chunks = chunks;
	c->mem.nr_chunks = nr;
	c->mem.size = nr * MB;
	mgpu_eng_init(&c->eng, &c->mem, &fake_ops, c, WATCHDOG_NS);
}

static void fill_random(u8 *buf, size_t len, u64 seed)
{
	size_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		memcpy(buf + i, &seed, 8);
	}
}

/* The test's own translation: a partition byte in the GPU's VRAM. */
static u8 *pp(const struct ctx *c, u64 off)
{
	return c->vram + (u64)c->chunks[off / MB] * MB + off % MB;
}

static void pwrite_(const struct ctx *c, u64 off, const void *buf, size_t len)
{
	const u8 *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		*pp(c, off + i) = p[i];
}

static void pread_(const struct ctx *c, u64 off, void *buf, size_t len)
{
	u8 *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = *pp(c, off + i);
}

static void pw32(const struct ctx *c, u64 off, u32 v)
{
	pwrite_(c, off, &v, 4);
}

static u32 pr32(const struct ctx *c, u64 off)
{
	u32 v;

	pread_(c, off, &v, 4);
	return v;
}

static u64 pr64(const struct ctx *c, u64 off)
{
	u64 v;

	pread_(c, off, &v, 8);
	return v;
}

/* A linear copy of the whole partition (free() it). */
static u8 *snap(const struct ctx *c)
{
	u8 *buf = malloc(c->mem.size);
	u32 i;

	for (i = 0; buf && i < c->mem.nr_chunks; i++)
		memcpy(buf + i * MB, c->vram + (u64)c->chunks[i] * MB, MB);
	return buf;
}

/* The first partition offset that differs from @buf, or -1. */
static long diff(const struct ctx *c, const u8 *buf)
{
	u8 *now = snap(c);
	long i, ret = -1;

	if (now && memcmp(now, buf, c->mem.size)) {
		for (i = 0; now[i] == buf[i]; i++)
			;
		ret = i;
	}
	free(now);
	return ret;
}

static bool owns(const struct ctx *c, u32 chunk)
{
	u32 i;

	for (i = 0; i < c->mem.nr_chunks; i++)
		if (c->chunks[i] == chunk)
			return true;
	return false;
}

/* The first GPU byte outside @a and @b (either may be NULL) that changed, or -1. */
static long foreign_diff(const u8 *vram, const u8 *ref, const struct ctx *a,
			 const struct ctx *b)
{
	u32 i, j;

	for (i = 0; i < GPU_CHUNKS; i++) {
		if ((a && owns(a, i)) || (b && owns(b, i)))
			continue;
		if (!memcmp(vram + i * MB, ref + i * MB, MB))
			continue;
		for (j = 0; vram[i * MB + j] == ref[i * MB + j]; j++)
			;
		return i * MB + j;
	}
	return -1;
}

/* ---- reference models, on a linear copy of the partition ---- */

static u32 ref_crc32(const u8 *p, u64 n)
{
	u32 crc = ~0u;
	int k;

	while (n--) {
		crc ^= *p++;
		for (k = 0; k < 8; k++)
			crc = crc & 1 ? (crc >> 1) ^ 0xedb88320 : crc >> 1;
	}
	return ~crc;
}

/* The first @done bytes (in row order) of a FILL. */
static void ref_fill(u8 *p, u64 dst, u32 pitch, u32 width, u32 height, u32 val, u64 done)
{
	u64 y, x;

	for (y = 0; y < height && done; y++)
		for (x = 0; x < width && done; x++, done--)
			p[dst + y * pitch + x] = val >> (8 * (x % 4));
}

static void ref_copy(u8 *p, u64 src, u64 dst, u32 sp, u32 dp, u32 width, u32 height)
{
	u32 y;

	for (y = 0; y < height; y++)
		memmove(p + dst + (u64)y * dp, p + src + (u64)y * sp, width);
}

/* ---- commands ---- */

static struct cmd mk(u32 op, u32 len, u32 flags)
{
	struct cmd c = { .n = len };

	c.dw[0] = op | len << 8 | flags << 24;
	return c;
}

static void set64(u32 *dw, u64 v)
{
	dw[0] = LO(v);
	dw[1] = HI(v);
}

static struct cmd fence_cmd(u64 addr, u64 val, u32 flags)
{
	struct cmd c = mk(MGPU_CMD_FENCE, MGPU_CMD_FENCE_LEN, flags);

	set64(&c.dw[1], addr);
	set64(&c.dw[3], val);
	return c;
}

static struct cmd fill_cmd(u64 dst, u32 pitch, u32 width, u32 height, u32 val)
{
	struct cmd c = mk(MGPU_CMD_FILL, MGPU_CMD_FILL_LEN, 0);

	set64(&c.dw[1], dst);
	c.dw[3] = pitch;
	c.dw[4] = width;
	c.dw[5] = height;
	c.dw[6] = val;
	return c;
}

static struct cmd copy_cmd(u64 src, u64 dst, u32 sp, u32 dp, u32 width, u32 height)
{
	struct cmd c = mk(MGPU_CMD_COPY, MGPU_CMD_COPY_LEN, 0);

	set64(&c.dw[1], src);
	set64(&c.dw[3], dst);
	c.dw[5] = sp;
	c.dw[6] = dp;
	c.dw[7] = width;
	c.dw[8] = height;
	return c;
}

static struct cmd csum_cmd(u64 src, u32 bytes, u64 dst)
{
	struct cmd c = mk(MGPU_CMD_CHECKSUM, MGPU_CMD_CHECKSUM_LEN, 0);

	set64(&c.dw[1], src);
	c.dw[3] = bytes;
	set64(&c.dw[4], dst);
	return c;
}

static struct cmd busy_cmd(u32 us)
{
	struct cmd c = mk(MGPU_CMD_BUSY, MGPU_CMD_BUSY_LEN, 0);

	c.dw[1] = us;
	return c;
}

static struct cmd call_cmd(u64 addr, u32 bytes)
{
	struct cmd c = mk(MGPU_CMD_CALL, MGPU_CMD_CALL_LEN, 0);

	set64(&c.dw[1], addr);
	c.dw[3] = bytes;
	return c;
}

static struct cmd ret_cmd(void)
{
	return mk(MGPU_CMD_RETURN, MGPU_CMD_RETURN_LEN, 0);
}

static struct cmd jump_cmd(u64 addr)
{
	struct cmd c = mk(MGPU_CMD_JUMP, MGPU_CMD_JUMP_LEN, 0);

	set64(&c.dw[1], addr);
	return c;
}

/* A header with @n dwords in all that claims @len of them; the rest is junk. */
static struct cmd raw_cmd(u32 op, u32 len, u32 n)
{
	struct cmd c = mk(op, len, 0);
	u32 i;

	c.n = n;
	for (i = 1; i < n; i++)
		c.dw[i] = 0xdead0000 | i;
	return c;
}

static void emit(struct ctx *c, struct wr *w, const u32 *dw, u32 n)
{
	u32 i;

	for (i = 0; i < n; i++, w->pos += 4)
		pw32(c, w->base + (w->size ? w->pos & (w->size - 1) : w->pos), dw[i]);
}

static void put(struct ctx *c, struct wr *w, struct cmd cmd)
{
	emit(c, w, cmd.dw, cmd.n);
}

/* A NOP of @len dwords whose payload looks like commands that must not run. */
static void put_nop(struct ctx *c, struct wr *w, u32 len)
{
	u32 hdr = MGPU_CMD(MGPU_CMD_NOP, len, 0), junk = 0xffffffff;

	emit(c, w, &hdr, 1);
	while (--len)
		emit(c, w, &junk, 1);
}

/* ---- registers, ring, steps ---- */

static u32 rd(struct ctx *c, u32 off)
{
	return mgpu_eng_reg_read(&c->eng, off);
}

static bool wr(struct ctx *c, u32 off, u32 val)
{
	return mgpu_eng_reg_write(&c->eng, off, val);
}

/* Configure the usual ring (and control block @ctrl, 0 for none) and enable. */
static u32 start(struct ctx *c, u32 ctrl, u32 mode)
{
	wr(c, MGPU_ENG_RING_BASE, RING);
	wr(c, MGPU_ENG_RING_SIZE, RING_SZ);
	wr(c, MGPU_ENG_CTRL_BASE, ctrl);
	wr(c, MGPU_ENG_CONTROL, ENABLE | mode);
	c->ring = (struct wr){ .base = RING, .size = RING_SZ };
	c->ctrl = ctrl;
	c->mode = mode;
	return rd(c, MGPU_ENG_STATUS);
}

static u32 ring_pos(const struct ctx *c)
{
	return c->ring.pos & (c->ring.size - 1);
}

/* Submit what was emitted: the doorbell, or the control block's tail in poll mode. */
static void kick(struct ctx *c)
{
	if (c->mode & POLL)
		pw32(c, c->ctrl, ring_pos(c));
	else
		wr(c, MGPU_ENG_TAIL, ring_pos(c));
}

/* Step until idle or error. Return: the last step's result, or 2 if it never ended. */
static int run(struct ctx *c, unsigned int *steps)
{
	unsigned int n;
	int ret = 0;

	for (n = 0; n < RUN_CAP; n++) {
		ret = mgpu_eng_step(&c->eng);
		if (ret <= 0)
			break;
	}
	if (steps)
		*steps = n;
	return n == RUN_CAP ? 2 : ret;
}

/*
 * Run @cmd alone after a two-dword NOP in a fresh ring. If it fails, check the engine
 * stopped at it and had touched nothing. Return: the error (0: it completed).
 */
static u32 one_cmd(struct __test_metadata *_metadata, struct ctx *c, struct cmd cmd)
{
	u8 *before;

	mgpu_eng_reset(&c->eng);
	start(c, 0, 0);
	put_nop(c, &c->ring, 2);
	put(c, &c->ring, cmd);
	kick(c);
	before = snap(c);
	EXPECT_NE(2, run(c, NULL));
	if (c->eng.error) {
		EXPECT_EQ(RING + 8, c->eng.error_addr);
		EXPECT_EQ(RING + 8, rd(c, MGPU_ENG_ERROR_ADDR));
		EXPECT_EQ(8, rd(c, MGPU_ENG_HEAD));
		EXPECT_EQ(-1, diff(c, before));
	} else {
		EXPECT_EQ(rd(c, MGPU_ENG_TAIL), rd(c, MGPU_ENG_HEAD));
	}
	free(before);
	return c->eng.error;
}

/* Run a batch (already in VRAM at @addr, @bytes long) from a ring CALL after a NOP. */
static u32 batch_cmd(struct __test_metadata *_metadata, struct ctx *c, u64 addr, u32 bytes)
{
	mgpu_eng_reset(&c->eng);
	start(c, 0, 0);
	put_nop(c, &c->ring, 2);
	put(c, &c->ring, call_cmd(addr, bytes));
	kick(c);
	EXPECT_NE(2, run(c, NULL));
	return c->eng.error;
}

FIXTURE(eng) {
	u8 *vram;
	u8 *ref;	/* the VRAM as set up */
	u64 clock;
	struct ctx c, d;
};

FIXTURE_SETUP(eng)
{
	self->vram = malloc(GPU_CHUNKS * MB);
	self->ref = malloc(GPU_CHUNKS * MB);
	ASSERT_NE(NULL, self->vram);
	ASSERT_NE(NULL, self->ref);
	fill_random(self->vram, GPU_CHUNKS * MB, 0x5eed5eed5eedULL);
	memcpy(self->ref, self->vram, GPU_CHUNKS * MB);
	self->clock = 0;
	ctx_init(&self->c, self->vram, c_chunks, C_CHUNKS, &self->clock);
	ctx_init(&self->d, self->vram, d_chunks, D_CHUNKS, &self->clock);
}

FIXTURE_TEARDOWN(eng)
{
	EXPECT_EQ(-1, foreign_diff(self->vram, self->ref, &self->c, &self->d));
	EXPECT_EQ(0, self->c.bad_irqs);
	EXPECT_EQ(0, self->d.bad_irqs);
	free(self->vram);
	free(self->ref);
}

/* Submit @cmd alone in a fresh ring; return a snapshot of the partition before it runs. */
static u8 *prep(struct ctx *c, struct cmd cmd)
{
	mgpu_eng_reset(&c->eng);
	start(c, 0, 0);
	put(c, &c->ring, cmd);
	kick(c);
	return snap(c);
}

/* The control block is the engine's to write: take it from VRAM into @shadow. */
static void sync_ctrl(const struct ctx *c, u8 *shadow)
{
	if (c->ctrl)
		pread_(c, c->ctrl, shadow + c->ctrl, sizeof(struct mgpu_eng_ctrl));
}

static unsigned int steps_for(u64 bytes)
{
	return bytes ? (bytes + MGPU_ENG_STEP_BYTES - 1) / MGPU_ENG_STEP_BYTES : 1;
}

/* ---- the test bed ---- */

/* The guard check sees a single byte changed anywhere outside the partitions. */
TEST_F(eng, guards_catch_stray_writes)
{
	u8 *p = self->vram + 3 * MB + 0x1234;	/* chunk 3 belongs to nobody */

	EXPECT_EQ(-1, foreign_diff(self->vram, self->ref, &self->c, &self->d));
	*p ^= 1;
	EXPECT_EQ(3 * MB + 0x1234, foreign_diff(self->vram, self->ref, &self->c, &self->d));
	*p ^= 1;
	EXPECT_TRUE(pp(&self->c, MB + 5) == self->vram + 2 * MB + 5);	/* c's chunk 1 is 2 */
}

/* ---- CRC and names ---- */

TEST(crc32_matches_zlib)
{
	static const char fox[] = "The quick brown fox jumps over the lazy dog";
	static u8 buf[5000];
	u32 n, split;

	EXPECT_EQ(0, mgpu_eng_crc32(0, buf, 0));
	EXPECT_EQ(0xcbf43926, mgpu_eng_crc32(0, (const u8 *)"123456789", 9));
	EXPECT_EQ(0x414fa339, mgpu_eng_crc32(0, (const u8 *)fox, sizeof(fox) - 1));
	fill_random(buf, sizeof(buf), 42);
	for (n = 0; n < sizeof(buf); n += 1 + n / 8) {
		split = n / 3;
		EXPECT_EQ(ref_crc32(buf, n), mgpu_eng_crc32(0, buf, n));
		EXPECT_EQ(ref_crc32(buf, n),
			  mgpu_eng_crc32(mgpu_eng_crc32(0, buf, split), buf + split, n - split));
	}
}

TEST(err_names)
{
	static const char * const names[] = {
		"none", "opcode", "length", "range", "align", "arg", "overlap", "depth",
		"watchdog", "ring", "jump",
	};
	u32 i;

	for (i = 0; i < ARRAY_SIZE(names); i++)
		EXPECT_STREQ(names[i], mgpu_eng_err_name(i));
	EXPECT_STREQ("watchdog", mgpu_eng_err_name(MGPU_ENG_ERR_WATCHDOG));
	EXPECT_STREQ("jump", mgpu_eng_err_name(MGPU_ENG_ERR_JUMP));
	EXPECT_STREQ("unknown", mgpu_eng_err_name(MGPU_ENG_ERR_JUMP + 1));
	EXPECT_STREQ("unknown", mgpu_eng_err_name(0xffffffff));
}

/* ---- registers ---- */

TEST_F(eng, identity_registers)
{
	static const u32 ro[] = {
		MGPU_ENG_ID, MGPU_ENG_VERSION, MGPU_ENG_CAPS, MGPU_ENG_VRAM_MB,
	};
	struct ctx *c = &self->c;
	u32 i, v;

	EXPECT_EQ(MGPU_ENG_MAGIC, rd(c, MGPU_ENG_ID));
	EXPECT_EQ(MGPU_ENG_ABI_VERSION, rd(c, MGPU_ENG_VERSION));
	EXPECT_EQ(MGPU_ENG_CAP_POLL | MGPU_ENG_CAP_BATCH | MGPU_ENG_CAP_IRQ,
		  rd(c, MGPU_ENG_CAPS));
	EXPECT_EQ(C_CHUNKS, rd(c, MGPU_ENG_VRAM_MB));
	EXPECT_EQ(D_CHUNKS, rd(&self->d, MGPU_ENG_VRAM_MB));
	for (i = 0; i < ARRAY_SIZE(ro); i++) {
		v = rd(c, ro[i]);
		EXPECT_FALSE(wr(c, ro[i], ~v));
		EXPECT_EQ(v, rd(c, ro[i]));
	}
}

TEST_F(eng, unknown_offsets)
{
	static const u32 unknown[] = { 0x034, 0x04c, 0x050, 0x100, 0x800, 0xffc };
	struct ctx *c = &self->c;
	u32 before[MGPU_ENG_RESET / 4 + 1], i;

	start(c, CTRL, 0);
	wr(c, MGPU_ENG_IRQ_MASK, MGPU_ENG_IRQ_FENCE);
	for (i = 0; i <= MGPU_ENG_RESET / 4; i++)
		before[i] = rd(c, i * 4);
	EXPECT_EQ(0, before[MGPU_ENG_RESET / 4]);
	for (i = 0; i < ARRAY_SIZE(unknown); i++) {
		EXPECT_EQ(0, rd(c, unknown[i]));
		EXPECT_FALSE(wr(c, unknown[i], 0xffffffff));
	}
	for (i = 0; i <= MGPU_ENG_RESET / 4; i++)
		EXPECT_EQ(before[i], rd(c, i * 4)) TH_LOG("offset 0x%x", i * 4);
}

TEST_F(eng, config_registers)
{
	struct ctx *c = &self->c;

	EXPECT_FALSE(wr(c, MGPU_ENG_RING_BASE, 0x12345678));
	EXPECT_FALSE(wr(c, MGPU_ENG_RING_SIZE, 0x9abcdef0));
	EXPECT_FALSE(wr(c, MGPU_ENG_CTRL_BASE, 0x0fedcba9));
	EXPECT_EQ(0x12345678, rd(c, MGPU_ENG_RING_BASE));
	EXPECT_EQ(0x9abcdef0, rd(c, MGPU_ENG_RING_SIZE));
	EXPECT_EQ(0x0fedcba9, rd(c, MGPU_ENG_CTRL_BASE));
	/* Only ENABLE and POLL are stored; without ENABLE nothing is checked. */
	EXPECT_TRUE(wr(c, MGPU_ENG_CONTROL, ~ENABLE));
	EXPECT_EQ(POLL, rd(c, MGPU_ENG_CONTROL));
	EXPECT_EQ(0, rd(c, MGPU_ENG_STATUS));
	EXPECT_EQ(0, rd(c, MGPU_ENG_ERROR));
	EXPECT_TRUE(wr(c, MGPU_ENG_CONTROL, 0));

	/* Enabled: the configuration and the mode are latched. */
	EXPECT_EQ(ST_ENABLED, start(c, CTRL, 0));
	EXPECT_EQ(ENABLE, rd(c, MGPU_ENG_CONTROL));
	wr(c, MGPU_ENG_RING_BASE, 0);
	wr(c, MGPU_ENG_RING_SIZE, MGPU_ENG_RING_MIN);
	wr(c, MGPU_ENG_CTRL_BASE, 0);
	EXPECT_EQ(RING, rd(c, MGPU_ENG_RING_BASE));
	EXPECT_EQ(RING_SZ, rd(c, MGPU_ENG_RING_SIZE));
	EXPECT_EQ(CTRL, rd(c, MGPU_ENG_CTRL_BASE));
	EXPECT_TRUE(wr(c, MGPU_ENG_CONTROL, ENABLE | POLL));
	EXPECT_EQ(ENABLE, rd(c, MGPU_ENG_CONTROL));
	EXPECT_EQ(ST_ENABLED, rd(c, MGPU_ENG_STATUS));

	/* Disabled again: writable again. */
	EXPECT_TRUE(wr(c, MGPU_ENG_CONTROL, 0));
	EXPECT_EQ(0, rd(c, MGPU_ENG_STATUS));
	wr(c, MGPU_ENG_RING_BASE, 0x2000);
	EXPECT_EQ(0x2000, rd(c, MGPU_ENG_RING_BASE));
}

TEST_F(eng, read_only_registers)
{
	static const u32 ro[] = {
		MGPU_ENG_HEAD, MGPU_ENG_STATUS, MGPU_ENG_ERROR, MGPU_ENG_ERROR_ADDR,
		MGPU_ENG_FENCE_LO, MGPU_ENG_FENCE_HI,
	};
	struct ctx *c = &self->c;
	u32 i, v;

	start(c, 0, 0);
	put(c, &c->ring, fence_cmd(0x100, 0x1122334455667788ULL, 0));
	put_nop(c, &c->ring, 1);
	kick(c);
	EXPECT_EQ(0, run(c, NULL));
	EXPECT_EQ(0x55667788, rd(c, MGPU_ENG_FENCE_LO));
	EXPECT_EQ(0x11223344, rd(c, MGPU_ENG_FENCE_HI));
	EXPECT_EQ(24, rd(c, MGPU_ENG_HEAD));
	EXPECT_EQ(24, rd(c, MGPU_ENG_TAIL));
	put(c, &c->ring, raw_cmd(0x42, 1, 1));
	kick(c);
	EXPECT_EQ(-1, run(c, NULL));
	EXPECT_EQ(MGPU_ENG_ERR_OPCODE, rd(c, MGPU_ENG_ERROR));
	EXPECT_EQ(RING + 24, rd(c, MGPU_ENG_ERROR_ADDR));
	EXPECT_EQ(ST_ENABLED | ST_ERROR, rd(c, MGPU_ENG_STATUS));
	for (i = 0; i < ARRAY_SIZE(ro); i++) {
		v = rd(c, ro[i]);
		EXPECT_FALSE(wr(c, ro[i], ~v));
		EXPECT_EQ(v, rd(c, ro[i])) TH_LOG("offset 0x%x", ro[i]);
	}
}

TEST_F(eng, irq_registers_and_line)
{
	struct ctx *c = &self->c;

	start(c, 0, 0);
	EXPECT_FALSE(wr(c, MGPU_ENG_IRQ_MASK, 0xffffffff));
	EXPECT_EQ(MGPU_ENG_IRQ_FENCE | MGPU_ENG_IRQ_ERROR, rd(c, MGPU_ENG_IRQ_MASK));
	EXPECT_EQ(0, c->irqs);
	wr(c, MGPU_ENG_IRQ_MASK, 0);

	/* A masked cause is pending but leaves the line low. */
	put(c, &c->ring, fence_cmd(0x100, 1, MGPU_CMD_FLAG_IRQ));
	kick(c);
	EXPECT_EQ(0, run(c, NULL));
	EXPECT_EQ(MGPU_ENG_IRQ_FENCE, rd(c, MGPU_ENG_IRQ_STATUS));
	EXPECT_EQ(0, c->irqs);
	wr(c, MGPU_ENG_IRQ_MASK, MGPU_ENG_IRQ_FENCE);
	EXPECT_EQ(1, c->level);
	EXPECT_EQ(1, c->irqs);

	/* RW1C: zeros and bits not pending change nothing. */
	EXPECT_FALSE(wr(c, MGPU_ENG_IRQ_STATUS, 0));
	wr(c, MGPU_ENG_IRQ_STATUS, MGPU_ENG_IRQ_ERROR);
	EXPECT_EQ(MGPU_ENG_IRQ_FENCE, rd(c, MGPU_ENG_IRQ_STATUS));
	EXPECT_EQ(1, c->irqs);
	wr(c, MGPU_ENG_IRQ_STATUS, 0xffffffff);
	EXPECT_EQ(0, rd(c, MGPU_ENG_IRQ_STATUS));
	EXPECT_EQ(0, c->level);
	EXPECT_EQ(2, c->irqs);

	/* A FENCE without the flag raises nothing; with it, the line goes up. */
	put(c, &c->ring, fence_cmd(0x100, 2, 0));
	kick(c);
	EXPECT_EQ(0, run(c, NULL));
	EXPECT_EQ(0, rd(c, MGPU_ENG_IRQ_STATUS));
	put(c, &c->ring, fence_cmd(0x100, 3, MGPU_CMD_FLAG_IRQ));
	kick(c);
	EXPECT_EQ(0, run(c, NULL));
	EXPECT_EQ(1, c->level);
	EXPECT_EQ(3, c->irqs);

	/* The mask moves the line both ways. */
	wr(c, MGPU_ENG_IRQ_MASK, 0);
	EXPECT_EQ(0, c->level);
	wr(c, MGPU_ENG_IRQ_MASK, MGPU_ENG_IRQ_FENCE | MGPU_ENG_IRQ_ERROR);
	EXPECT_EQ(1, c->level);
	EXPECT_EQ(5, c->irqs);

	/* An error adds its cause; the line, already up, does not move. */
	wr(c, MGPU_ENG_TAIL, 2);
	EXPECT_EQ(MGPU_ENG_IRQ_FENCE | MGPU_ENG_IRQ_ERROR, rd(c, MGPU_ENG_IRQ_STATUS));
	EXPECT_EQ(5, c->irqs);
	wr(c, MGPU_ENG_IRQ_STATUS, MGPU_ENG_IRQ_FENCE);
	EXPECT_EQ(MGPU_ENG_IRQ_ERROR, rd(c, MGPU_ENG_IRQ_STATUS));
	EXPECT_EQ(1, c->level);

	/* Reset lowers the line. */
	EXPECT_TRUE(wr(c, MGPU_ENG_RESET, MGPU_ENG_RESET_MAGIC));
	EXPECT_EQ(0, c->level);
	EXPECT_EQ(6, c->irqs);
	EXPECT_EQ(0, rd(c, MGPU_ENG_IRQ_STATUS));
	EXPECT_EQ(0, rd(c, MGPU_ENG_IRQ_MASK));
}

TEST_F(eng, error_irq_line)
{
	struct ctx *c = &self->c;

	start(c, 0, 0);
	wr(c, MGPU_ENG_IRQ_MASK, MGPU_ENG_IRQ_ERROR);
	put(c, &c->ring, fence_cmd(0x100, 1, MGPU_CMD_FLAG_IRQ));
	kick(c);
	EXPECT_EQ(0, run(c, NULL));
	EXPECT_EQ(0, c->level);
	put(c, &c->ring, fence_cmd(3, 1, 0));
	kick(c);
	EXPECT_EQ(-1, run(c, NULL));
	EXPECT_EQ(1, c->level);
	EXPECT_EQ(1, c->irqs);
	mgpu_eng_reset(&c->eng);
	EXPECT_EQ(0, c->level);
	EXPECT_EQ(2, c->irqs);
}

TEST_F(eng, reset_register)
{
	struct ctx *c = &self->c;
	struct mgpu_eng_stats st;
	u32 off;

	start(c, CTRL, 0);
	wr(c, MGPU_ENG_IRQ_MASK, MGPU_ENG_IRQ_ERROR);
	put(c, &c->ring, fence_cmd(0x100, 9, 0));
	put(c, &c->ring, raw_cmd(0x42, 1, 1));
	kick(c);
	EXPECT_EQ(-1, run(c, NULL));
	EXPECT_EQ(1, c->level);
	st = c->eng.stats;

	/* The error state is sticky: control and doorbell writes do nothing. */
	wr(c, MGPU_ENG_CONTROL, 0);
	wr(c, MGPU_ENG_TAIL, 0);
	EXPECT_EQ(ENABLE, rd(c, MGPU_ENG_CONTROL));
	EXPECT_EQ(24, rd(c, MGPU_ENG_TAIL));
	EXPECT_FALSE(wr(c, MGPU_ENG_RESET, 0));
	EXPECT_FALSE(wr(c, MGPU_ENG_RESET, ~MGPU_ENG_RESET_MAGIC));
	EXPECT_EQ(MGPU_ENG_ERR_OPCODE, rd(c, MGPU_ENG_ERROR));

	EXPECT_TRUE(wr(c, MGPU_ENG_RESET, MGPU_ENG_RESET_MAGIC));
	for (off = MGPU_ENG_RING_BASE; off <= MGPU_ENG_RESET; off += 4)
		EXPECT_EQ(0, rd(c, off)) TH_LOG("offset 0x%x", off);
	EXPECT_EQ(MGPU_ENG_MAGIC, rd(c, MGPU_ENG_ID));
	EXPECT_EQ(0, c->level);
	EXPECT_EQ(st.commands, c->eng.stats.commands);
	EXPECT_EQ(st.fences, c->eng.stats.fences);
	EXPECT_EQ(st.errors, c->eng.stats.errors);
	EXPECT_EQ(st.resets + 1, c->eng.stats.resets);
	EXPECT_FALSE(mgpu_eng_pending(&c->eng));

	/* And it runs again. */
	EXPECT_EQ(ST_ENABLED, start(c, 0, 0));
	put(c, &c->ring, fence_cmd(0x108, 10, 0));
	kick(c);
	EXPECT_EQ(0, run(c, NULL));
	EXPECT_EQ(10, rd(c, MGPU_ENG_FENCE_LO));
	mgpu_eng_reset(&c->eng);
	EXPECT_EQ(st.resets + 2, c->eng.stats.resets);
}

TEST_F(eng, enable_validation)
{
	static const struct {
		u32 base, size, ctrl, mode;
		bool ok;
	} t[] = {
		{ 0, MGPU_ENG_RING_MIN, 0, 0, true },
		{ C_SIZE - MGPU_ENG_RING_MIN, MGPU_ENG_RING_MIN, 0, 0, true },
		{ C_SIZE - MGPU_ENG_RING_MAX, MGPU_ENG_RING_MAX, 0, 0, true },
		{ RING, RING_SZ, C_SIZE - 64, POLL, true },
		{ RING, RING_SZ, 64, 0, true },
		{ 0x800, MGPU_ENG_RING_MIN, 0, 0, false },
		{ 0x1004, MGPU_ENG_RING_MIN, 0, 0, false },
		{ 0, MGPU_ENG_RING_MIN / 2, 0, 0, false },
		{ 0, 0, 0, 0, false },
		{ 0, MGPU_ENG_RING_MAX * 2, 0, 0, false },
		{ 0, 0x3000, 0, 0, false },
		{ 0, MGPU_ENG_RING_MIN + 4, 0, 0, false },
		{ 0, 0x80000000, 0, 0, false },
		{ C_SIZE - MGPU_ENG_RING_MIN + 0x1000, MGPU_ENG_RING_MIN, 0, 0, false },
		{ C_SIZE, MGPU_ENG_RING_MIN, 0, 0, false },
		{ 0xfffff000, MGPU_ENG_RING_MIN, 0, 0, false },
		{ 0, MGPU_ENG_RING_MIN, 32, 0, false },
		{ 0, MGPU_ENG_RING_MIN, C_SIZE, 0, false },
		{ 0, MGPU_ENG_RING_MIN, 0xffffffc0, 0, false },
		{ 0, MGPU_ENG_RING_MIN, 0, POLL, false },
	};
	struct ctx *c = &self->c;
	u32 i;

	for (i = 0; i < ARRAY_SIZE(t); i++) {
		mgpu_eng_reset(&c->eng);
		wr(c, MGPU_ENG_RING_BASE, t[i].base);
		wr(c, MGPU_ENG_RING_SIZE, t[i].size);
		wr(c, MGPU_ENG_CTRL_BASE, t[i].ctrl);
		EXPECT_TRUE(wr(c, MGPU_ENG_CONTROL, ENABLE | t[i].mode));
		if (t[i].ok) {
			EXPECT_EQ(ST_ENABLED, rd(c, MGPU_ENG_STATUS)) TH_LOG("case %u", i);
			EXPECT_EQ(ENABLE | t[i].mode, rd(c, MGPU_ENG_CONTROL));
			EXPECT_EQ(0, rd(c, MGPU_ENG_HEAD));
			EXPECT_EQ(0, rd(c, MGPU_ENG_TAIL));
			continue;
		}
		EXPECT_EQ(ST_ERROR, rd(c, MGPU_ENG_STATUS)) TH_LOG("case %u", i);
		EXPECT_EQ(MGPU_ENG_ERR_RING, rd(c, MGPU_ENG_ERROR));
		EXPECT_EQ(0, rd(c, MGPU_ENG_ERROR_ADDR));
		EXPECT_EQ(t[i].mode, rd(c, MGPU_ENG_CONTROL));
		EXPECT_EQ(MGPU_ENG_IRQ_ERROR, rd(c, MGPU_ENG_IRQ_STATUS));
		wr(c, MGPU_ENG_CONTROL, ENABLE);
		EXPECT_EQ(ST_ERROR, rd(c, MGPU_ENG_STATUS));
		EXPECT_EQ(-1, mgpu_eng_step(&c->eng));
	}
}

TEST_F(eng, enable_disable_head)
{
	struct ctx *c = &self->c;
	u8 *shadow;

	EXPECT_EQ(ST_ENABLED, start(c, CTRL, 0));
	EXPECT_EQ(ST_ENABLED, pr32(c, CTRL_STATUS));
	put_nop(c, &c->ring, 2);
	put_nop(c, &c->ring, 4);
	kick(c);
	EXPECT_EQ(0, run(c, NULL));
	EXPECT_EQ(24, rd(c, MGPU_ENG_HEAD));

	/* A long FILL, abandoned after one step by a disable; head stays on it. */
	put(c, &c->ring, fill_cmd(2 * MB, 0, MB, 1, 0x01020304));
	kick(c);
	shadow = snap(c);
	ASSERT_NE(NULL, shadow);
	EXPECT_EQ(1, mgpu_eng_step(&c->eng));
	EXPECT_EQ(ST_ENABLED | ST_BUSY, rd(c, MGPU_ENG_STATUS));
	EXPECT_EQ(ST_ENABLED | ST_BUSY, pr32(c, CTRL_STATUS));
	EXPECT_TRUE(wr(c, MGPU_ENG_CONTROL, 0));
	EXPECT_EQ(0, rd(c, MGPU_ENG_STATUS));
	EXPECT_EQ(0, pr32(c, CTRL_STATUS));
	EXPECT_EQ(24, rd(c, MGPU_ENG_HEAD));
	EXPECT_EQ(24, pr32(c, CTRL_HEAD));
	EXPECT_EQ(52, rd(c, MGPU_ENG_TAIL));
	EXPECT_FALSE(mgpu_eng_pending(&c->eng));
	EXPECT_EQ(0, mgpu_eng_step(&c->eng));
	ref_fill(shadow, 2 * MB, 0, MB, 1, 0x01020304, MGPU_ENG_STEP_BYTES);
	sync_ctrl(c, shadow);
	EXPECT_EQ(-1, diff(c, shadow));
	free(shadow);

	/* Enabling starts the ring over. */
	EXPECT_TRUE(wr(c, MGPU_ENG_CONTROL, ENABLE));
	EXPECT_EQ(0, rd(c, MGPU_ENG_HEAD));
	EXPECT_EQ(0, rd(c, MGPU_ENG_TAIL));
	EXPECT_EQ(0, pr32(c, CTRL_HEAD));
	EXPECT_EQ(ST_ENABLED, rd(c, MGPU_ENG_STATUS));
}

TEST_F(eng, doorbell)
{
	struct ctx *c = &self->c;
	u64 old = pr64(c, 0x108);

	/* Disabled: ignored. */
	EXPECT_TRUE(wr(c, MGPU_ENG_TAIL, 0x40));
	EXPECT_EQ(0, rd(c, MGPU_ENG_TAIL));
	EXPECT_EQ(0, rd(c, MGPU_ENG_ERROR));

	start(c, 0, 0);
	put(c, &c->ring, fence_cmd(0x100, 1, 0));
	put(c, &c->ring, fence_cmd(0x108, 2, 0));
	EXPECT_TRUE(wr(c, MGPU_ENG_TAIL, 20));
	EXPECT_TRUE(mgpu_eng_pending(&c->eng));
	EXPECT_EQ(0, run(c, NULL));
	EXPECT_EQ(1, rd(c, MGPU_ENG_FENCE_LO));
	EXPECT_EQ(20, rd(c, MGPU_ENG_HEAD));
	EXPECT_EQ(old, pr64(c, 0x108));
	kick(c);
	EXPECT_EQ(0, run(c, NULL));
	EXPECT_EQ(2, rd(c, MGPU_ENG_FENCE_LO));
	EXPECT_EQ(40, rd(c, MGPU_ENG_HEAD));
	EXPECT_FALSE(mgpu_eng_pending(&c->eng));

	/* A tail that is not a dword of the ring. */
	wr(c, MGPU_ENG_TAIL, 42);
	EXPECT_EQ(MGPU_ENG_ERR_RING, rd(c, MGPU_ENG_ERROR));
	EXPECT_EQ(0, rd(c, MGPU_ENG_ERROR_ADDR));
	EXPECT_EQ(40, rd(c, MGPU_ENG_HEAD));
	EXPECT_EQ(40, rd(c, MGPU_ENG_TAIL));
	mgpu_eng_reset(&c->eng);
	start(c, 0, 0);
	wr(c, MGPU_ENG_TAIL, RING_SZ);
	EXPECT_EQ(MGPU_ENG_ERR_RING, rd(c, MGPU_ENG_ERROR));
	mgpu_eng_reset(&c->eng);
	start(c, 0, 0);
	wr(c, MGPU_ENG_TAIL, RING_SZ - 4);
	EXPECT_EQ(0, rd(c, MGPU_ENG_ERROR));
	EXPECT_EQ(RING_SZ - 4, rd(c, MGPU_ENG_TAIL));
}

TEST_F(eng, step_and_pending)
{
	struct ctx *c = &self->c;

	EXPECT_FALSE(mgpu_eng_pending(&c->eng));
	EXPECT_EQ(0, mgpu_eng_step(&c->eng));
	start(c, 0, 0);
	EXPECT_FALSE(mgpu_eng_pending(&c->eng));
	EXPECT_EQ(0, mgpu_eng_step(&c->eng));
	EXPECT_EQ(0, c->eng.stats.busy_ns);
	put_nop(c, &c->ring, 1);
	kick(c);
	EXPECT_TRUE(mgpu_eng_pending(&c->eng));
	EXPECT_EQ(ST_ENABLED | ST_BUSY, rd(c, MGPU_ENG_STATUS));
	EXPECT_EQ(1, mgpu_eng_step(&c->eng));
	EXPECT_FALSE(mgpu_eng_pending(&c->eng));
	EXPECT_EQ(ST_ENABLED, rd(c, MGPU_ENG_STATUS));
	EXPECT_EQ(0, mgpu_eng_step(&c->eng));
	put(c, &c->ring, raw_cmd(0x42, 1, 1));
	kick(c);
	EXPECT_EQ(-1, mgpu_eng_step(&c->eng));
	EXPECT_EQ(-1, mgpu_eng_step(&c->eng));
	EXPECT_FALSE(mgpu_eng_pending(&c->eng));
	EXPECT_EQ(ST_ENABLED | ST_ERROR, rd(c, MGPU_ENG_STATUS));
}

TEST_F(eng, stats)
{
	struct ctx *c = &self->c;
	u64 t0;

	start(c, 0, 0);
	put(c, &c->ring, fill_cmd(0x1000, 0, 0x100, 1, 0));
	put(c, &c->ring, copy_cmd(0x1000, 0x2000, 0, 0, 0x80, 1));
	put(c, &c->ring, csum_cmd(0x1000, 0x40, 0x3000));
	put(c, &c->ring, fence_cmd(0x3008, 1, 0));
	put(c, &c->ring, busy_cmd(10));
	put_nop(c, &c->ring, 3);
	kick(c);
	t0 = self->clock;
	EXPECT_EQ(0, run(c, NULL));
	EXPECT_EQ(6, c->eng.stats.commands);
	EXPECT_EQ(1, c->eng.stats.fences);
	EXPECT_EQ(0x100 + 0x80 + 0x40, c->eng.stats.bytes);
	EXPECT_EQ(0, c->eng.stats.errors);
	EXPECT_LE(10000, c->eng.stats.busy_ns);
	EXPECT_GE(self->clock - t0, c->eng.stats.busy_ns);
}

/* ---- commands ---- */

TEST_F(eng, nop_lengths)
{
	struct ctx *c = &self->c;
	u32 len = 1 + 2 + 16 + 17 + 3000 + 5;

	start(c, 0, 0);
	put_nop(c, &c->ring, 1);
	put_nop(c, &c->ring, 2);
	put_nop(c, &c->ring, 16);
	put_nop(c, &c->ring, 17);
	put_nop(c, &c->ring, 3000);
	put(c, &c->ring, fence_cmd(0x100, 7, 0));
	kick(c);
	EXPECT_EQ(0, run(c, NULL));
	EXPECT_EQ(6, c->eng.stats.commands);
	EXPECT_EQ(7, rd(c, MGPU_ENG_FENCE_LO));
	EXPECT_EQ(len * 4, rd(c, MGPU_ENG_HEAD));
	EXPECT_EQ(0, c->eng.stats.bytes);
}

TEST_F(eng, header_errors)
{
	static const struct {
		u32 op, len, n, err;
	} t[] = {
		{ MGPU_CMD_NOP, 0, 1, MGPU_ENG_ERR_LENGTH },
		{ 9, 1, 1, MGPU_ENG_ERR_OPCODE },
		{ 0x7f, 3, 3, MGPU_ENG_ERR_OPCODE },
		{ 0xff, 0, 1, MGPU_ENG_ERR_OPCODE },
		{ MGPU_CMD_FENCE, 0, 1, MGPU_ENG_ERR_LENGTH },
		{ MGPU_CMD_FENCE, 4, 4, MGPU_ENG_ERR_LENGTH },
		{ MGPU_CMD_FENCE, 6, 6, MGPU_ENG_ERR_LENGTH },
		{ MGPU_CMD_FILL, 6, 6, MGPU_ENG_ERR_LENGTH },
		{ MGPU_CMD_FILL, 8, 8, MGPU_ENG_ERR_LENGTH },
		{ MGPU_CMD_COPY, 8, 8, MGPU_ENG_ERR_LENGTH },
		{ MGPU_CMD_COPY, 10, 10, MGPU_ENG_ERR_LENGTH },
		{ MGPU_CMD_CHECKSUM, 5, 5, MGPU_ENG_ERR_LENGTH },
		{ MGPU_CMD_CHECKSUM, 7, 7, MGPU_ENG_ERR_LENGTH },
		{ MGPU_CMD_BUSY, 1, 1, MGPU_ENG_ERR_LENGTH },
		{ MGPU_CMD_BUSY, 3, 3, MGPU_ENG_ERR_LENGTH },
		{ MGPU_CMD_CALL, 3, 3, MGPU_ENG_ERR_LENGTH },
		{ MGPU_CMD_CALL, 5, 5, MGPU_ENG_ERR_LENGTH },
		{ MGPU_CMD_RETURN, 0, 1, MGPU_ENG_ERR_LENGTH },
		{ MGPU_CMD_RETURN, 2, 2, MGPU_ENG_ERR_LENGTH },
		{ MGPU_CMD_JUMP, 2, 2, MGPU_ENG_ERR_LENGTH },
		{ MGPU_CMD_JUMP, 4, 4, MGPU_ENG_ERR_LENGTH },
		{ MGPU_CMD_FENCE, 5, 3, MGPU_ENG_ERR_LENGTH },	/* runs past the tail */
		{ MGPU_CMD_NOP, 4, 3, MGPU_ENG_ERR_LENGTH },
		{ MGPU_CMD_NOP, 0xffff, 1, MGPU_ENG_ERR_LENGTH },	/* longer than the ring */
	};
	struct ctx *c = &self->c;
	u32 i;

	for (i = 0; i < ARRAY_SIZE(t); i++)
		EXPECT_EQ(t[i].err, one_cmd(_metadata, c, raw_cmd(t[i].op, t[i].len, t[i].n)))
			TH_LOG("case %u", i);
	EXPECT_EQ(ARRAY_SIZE(t), c->eng.stats.errors);
}

TEST_F(eng, fence)
{
	struct ctx *c = &self->c;

	start(c, CTRL, 0);
	put(c, &c->ring, fence_cmd(MB - 8, 0x0123456789abcdefULL, 0));
	put(c, &c->ring, fence_cmd(C_SIZE - 8, 0xfedcba9876543210ULL, 0));
	kick(c);
	EXPECT_EQ(0, run(c, NULL));
	EXPECT_EQ(0x0123456789abcdefULL, pr64(c, MB - 8));
	EXPECT_EQ(0xef, *pp(c, MB - 8));
	EXPECT_EQ(0xfedcba9876543210ULL, pr64(c, C_SIZE - 8));
	EXPECT_EQ(0x76543210, rd(c, MGPU_ENG_FENCE_LO));
	EXPECT_EQ(0xfedcba98, rd(c, MGPU_ENG_FENCE_HI));
	EXPECT_EQ(0xfedcba9876543210ULL, pr64(c, CTRL_FENCE));
	EXPECT_EQ(40, pr32(c, CTRL_HEAD));
	EXPECT_EQ(2, c->eng.stats.fences);
	EXPECT_EQ(0, rd(c, MGPU_ENG_IRQ_STATUS));

	EXPECT_EQ(MGPU_ENG_ERR_ALIGN, one_cmd(_metadata, c, fence_cmd(4, 0, 0)));
	EXPECT_EQ(MGPU_ENG_ERR_ALIGN, one_cmd(_metadata, c, fence_cmd(MB - 4, 0, 0)));
	EXPECT_EQ(MGPU_ENG_ERR_ALIGN, one_cmd(_metadata, c, fence_cmd(~0ULL, 0, 0)));
	EXPECT_EQ(MGPU_ENG_ERR_RANGE, one_cmd(_metadata, c, fence_cmd(C_SIZE, 0, 0)));
	EXPECT_EQ(MGPU_ENG_ERR_RANGE, one_cmd(_metadata, c, fence_cmd(1ULL << 32, 0, 0)));
	EXPECT_EQ(MGPU_ENG_ERR_RANGE, one_cmd(_metadata, c, fence_cmd(~7ULL, 0, 0)));
	EXPECT_EQ(0, one_cmd(_metadata, c, fence_cmd(0, 5, 0)));
	EXPECT_EQ(5, pr64(c, 0));
}

TEST_F(eng, fill_rectangles)
{
	static const struct {
		u64 dst;
		u32 pitch, width, height, val;
	} t[] = {
		{ MB - 0x2fc0, 0x180c, 0x1800, 5, 0xa1b2c3d4 },	/* rows over a chunk edge */
		{ 2 * MB - 8, 0, 16, 1, 0x01020304 },	/* one row, pitch 0 */
		{ 0x100, 0x40, 0x40, 100, 0x55555555 },	/* pitch == width */
		{ 0, 0, C_SIZE, 1, 0xcafef00d },	/* the whole partition */
		{ C_SIZE - 999 * 4096 - 4, 4096, 4, 1000, 0x89abcdef },	/* to the last byte */
		{ 3 * MB - 0x10000, 0x20004, 0x20000, 3, 0x11111111 },	/* rows of many steps */
	};
	struct ctx *c = &self->c;
	unsigned int steps;
	u64 bytes;
	u8 *shadow;
	u32 i;

	for (i = 0; i < ARRAY_SIZE(t); i++) {
		shadow = prep(c, fill_cmd(t[i].dst, t[i].pitch, t[i].width, t[i].height,
					  t[i].val));
		ASSERT_NE(NULL, shadow);
		ref_fill(shadow, t[i].dst, t[i].pitch, t[i].width, t[i].height, t[i].val, ~0ULL);
		bytes = c->eng.stats.bytes;
		EXPECT_EQ(0, run(c, &steps)) TH_LOG("case %u", i);
		EXPECT_EQ(-1, diff(c, shadow)) TH_LOG("case %u", i);
		EXPECT_EQ((u64)t[i].width * t[i].height, c->eng.stats.bytes - bytes);
		EXPECT_EQ(steps_for((u64)t[i].width * t[i].height), steps) TH_LOG("case %u", i);
		free(shadow);
	}
}

TEST_F(eng, fill_errors)
{
	struct ctx *c = &self->c;
	u64 bytes;

	EXPECT_EQ(MGPU_ENG_ERR_ALIGN, one_cmd(_metadata, c, fill_cmd(2, 0, 4, 1, 0)));
	EXPECT_EQ(MGPU_ENG_ERR_ALIGN, one_cmd(_metadata, c, fill_cmd(0, 0, 6, 1, 0)));
	EXPECT_EQ(MGPU_ENG_ERR_ALIGN, one_cmd(_metadata, c, fill_cmd(0, 6, 4, 2, 0)));
	EXPECT_EQ(MGPU_ENG_ERR_ALIGN, one_cmd(_metadata, c, fill_cmd(C_SIZE + 2, 0, 4, 1, 0)));
	EXPECT_EQ(MGPU_ENG_ERR_ARG, one_cmd(_metadata, c, fill_cmd(0, 4, 8, 2, 0)));
	EXPECT_EQ(MGPU_ENG_ERR_RANGE, one_cmd(_metadata, c, fill_cmd(C_SIZE - 4, 0, 8, 1, 0)));
	EXPECT_EQ(MGPU_ENG_ERR_RANGE, one_cmd(_metadata, c, fill_cmd(C_SIZE - 8, 8, 8, 2, 0)));
	EXPECT_EQ(MGPU_ENG_ERR_RANGE,
		  one_cmd(_metadata, c, fill_cmd(0, 0xfffffffc, 0xfffffffc, 0xffffffff, 0)));
	EXPECT_EQ(MGPU_ENG_ERR_RANGE, one_cmd(_metadata, c, fill_cmd(~3ULL, 0, 4, 1, 0)));
	EXPECT_EQ(MGPU_ENG_ERR_RANGE, one_cmd(_metadata, c, fill_cmd(1ULL << 32, 0, 4, 1, 0)));
	EXPECT_EQ(MGPU_ENG_ERR_RANGE, one_cmd(_metadata, c, fill_cmd(C_SIZE, 0, 4, 1, 0)));

	/* Empty rectangles are no-ops wherever they are; one row needs no pitch. */
	bytes = c->eng.stats.bytes;
	EXPECT_EQ(0, one_cmd(_metadata, c, fill_cmd(1ULL << 40, 0, 0, 5, 0)));
	EXPECT_EQ(0, one_cmd(_metadata, c, fill_cmd(1ULL << 40, 0, 4, 0, 0)));
	EXPECT_EQ(bytes, c->eng.stats.bytes);
	EXPECT_EQ(0, one_cmd(_metadata, c, fill_cmd(C_SIZE - 4, 0, 4, 1, 0x12345678)));
	EXPECT_EQ(0x12345678, pr32(c, C_SIZE - 4));
	EXPECT_EQ(0, one_cmd(_metadata, c, fill_cmd(0x1000, 0, 8, 1, 0x9abcdef0)));
	EXPECT_EQ(0x9abcdef0, pr32(c, 0x1004));
}

TEST_F(eng, copy_rectangles)
{
	static const struct {
		u64 src, dst;
		u32 sp, dp, width, height;
	} t[] = {
		{ MB - 0x333, 3 * MB - 0x555, 0x1001, 0x777, 0x500, 7 },	/* odd, edges */
		{ 0x10, 2 * MB + 1, 0, 0, MB + 12345, 1 },	/* many steps, two edges */
		{ 0x3000, 0x2000, 1, 3, 1, 300 },		/* single bytes */
		{ 0x1000, 0x1100, 0x100, 0x100, 0x100, 1 },	/* adjacent */
		{ 0x1100, 0x1000, 0, 0, 0x100, 1 },		/* adjacent, other way */
		{ C_SIZE - 100, 0, 0, 0, 100, 1 },		/* the last bytes */
		{ 0x40000, 0x240000, 0x10000, 0x10001, 0xfff1, 20 },	/* steps end mid-row */
	};
	struct ctx *c = &self->c;
	unsigned int steps;
	u8 *shadow;
	u32 i;

	for (i = 0; i < ARRAY_SIZE(t); i++) {
		shadow = prep(c, copy_cmd(t[i].src, t[i].dst, t[i].sp, t[i].dp, t[i].width,
					  t[i].height));
		ASSERT_NE(NULL, shadow);
		ref_copy(shadow, t[i].src, t[i].dst, t[i].sp, t[i].dp, t[i].width, t[i].height);
		EXPECT_EQ(0, run(c, &steps)) TH_LOG("case %u", i);
		EXPECT_EQ(-1, diff(c, shadow)) TH_LOG("case %u", i);
		EXPECT_EQ(steps_for((u64)t[i].width * t[i].height), steps) TH_LOG("case %u", i);
		free(shadow);
	}
}

TEST_F(eng, copy_errors)
{
	struct ctx *c = &self->c;

	EXPECT_EQ(MGPU_ENG_ERR_OVERLAP,
		  one_cmd(_metadata, c, copy_cmd(0x1000, 0x1010, 0, 0, 0x20, 1)));
	EXPECT_EQ(MGPU_ENG_ERR_OVERLAP,
		  one_cmd(_metadata, c, copy_cmd(0x2000, 0x1ff0, 0, 0, 0x20, 1)));
	EXPECT_EQ(MGPU_ENG_ERR_OVERLAP,
		  one_cmd(_metadata, c, copy_cmd(0x1000, 0x1000, 0, 0, 1, 1)));
	/* Extents that intersect although no two rows do. */
	EXPECT_EQ(MGPU_ENG_ERR_OVERLAP,
		  one_cmd(_metadata, c, copy_cmd(0x1000, 0x1080, 0x100, 0x100, 0x10, 4)));
	EXPECT_EQ(MGPU_ENG_ERR_OVERLAP,
		  one_cmd(_metadata, c, copy_cmd(0x1080, 0x1000, 0x100, 0x100, 0x10, 4)));
	EXPECT_EQ(MGPU_ENG_ERR_ARG, one_cmd(_metadata, c, copy_cmd(0, 0x10000, 4, 8, 8, 2)));
	EXPECT_EQ(MGPU_ENG_ERR_ARG, one_cmd(_metadata, c, copy_cmd(0, 0x10000, 8, 4, 8, 2)));
	EXPECT_EQ(MGPU_ENG_ERR_RANGE,
		  one_cmd(_metadata, c, copy_cmd(C_SIZE - 0x10, 0, 0, 0, 0x11, 1)));
	EXPECT_EQ(MGPU_ENG_ERR_RANGE,
		  one_cmd(_metadata, c, copy_cmd(0, C_SIZE - 0x10, 0, 0, 0x11, 1)));
	EXPECT_EQ(MGPU_ENG_ERR_RANGE, one_cmd(_metadata, c, copy_cmd(1ULL << 32, 0, 0, 0, 1, 1)));
	EXPECT_EQ(MGPU_ENG_ERR_RANGE, one_cmd(_metadata, c, copy_cmd(~0ULL, 0, 0, 0, 2, 1)));
	EXPECT_EQ(MGPU_ENG_ERR_RANGE, one_cmd(_metadata, c, copy_cmd(0, ~0ULL, 0, 0, 2, 1)));
	EXPECT_EQ(MGPU_ENG_ERR_RANGE,
		  one_cmd(_metadata, c, copy_cmd(0, 0x1000, 0xffffffff, 0xffffffff,
						 0xffffffff, 0xffffffff)));
	EXPECT_EQ(0, one_cmd(_metadata, c, copy_cmd(~0ULL, ~0ULL, 0, 0, 0, 5)));
	EXPECT_EQ(0, one_cmd(_metadata, c, copy_cmd(0x1000, 0x1000, 0, 0, 5, 0)));
}

TEST_F(eng, checksum)
{
	static const struct {
		u64 src;
		u32 bytes;
		u64 dst;
	} t[] = {
		{ 0x17, 2 * MB + 1234, 3 * MB + 0x40 },	/* many steps, two edges */
		{ MB - 3, 7, 0x100 },
		{ C_SIZE - 5, 5, C_SIZE - 4 },
		{ 0x100, 0, 0x200 },
		{ 0x100, 1, MB - 4 },
	};
	struct ctx *c = &self->c;
	unsigned int steps;
	u8 *shadow;
	u32 i, crc;

	for (i = 0; i < ARRAY_SIZE(t); i++) {
		shadow = prep(c, csum_cmd(t[i].src, t[i].bytes, t[i].dst));
		ASSERT_NE(NULL, shadow);
		crc = ref_crc32(shadow + t[i].src, t[i].bytes);
		memcpy(shadow + t[i].dst, &crc, 4);
		EXPECT_EQ(0, run(c, &steps)) TH_LOG("case %u", i);
		EXPECT_EQ(crc, pr32(c, t[i].dst)) TH_LOG("case %u", i);
		EXPECT_EQ(-1, diff(c, shadow)) TH_LOG("case %u", i);
		EXPECT_EQ(steps_for(t[i].bytes), steps) TH_LOG("case %u", i);
		free(shadow);
	}
	EXPECT_EQ(MGPU_ENG_ERR_ALIGN, one_cmd(_metadata, c, csum_cmd(0, 4, 2)));
	EXPECT_EQ(MGPU_ENG_ERR_ALIGN, one_cmd(_metadata, c, csum_cmd(0, 4, C_SIZE + 2)));
	EXPECT_EQ(MGPU_ENG_ERR_RANGE, one_cmd(_metadata, c, csum_cmd(0, 4, C_SIZE)));
	EXPECT_EQ(MGPU_ENG_ERR_RANGE, one_cmd(_metadata, c, csum_cmd(C_SIZE - 4, 5, 0)));
	EXPECT_EQ(MGPU_ENG_ERR_RANGE, one_cmd(_metadata, c, csum_cmd(~0ULL, 2, 0)));
	EXPECT_EQ(MGPU_ENG_ERR_RANGE, one_cmd(_metadata, c, csum_cmd(1ULL << 32, 1, 0)));
	EXPECT_EQ(MGPU_ENG_ERR_RANGE, one_cmd(_metadata, c, csum_cmd(0, 0xffffffff, 0)));
	EXPECT_EQ(MGPU_ENG_ERR_RANGE, one_cmd(_metadata, c, csum_cmd(0, 1, ~3ULL)));
}

TEST_F(eng, busy)
{
	struct ctx *c = &self->c;
	unsigned int steps;
	u64 t0;

	start(c, 0, 0);
	put(c, &c->ring, busy_cmd(250));
	kick(c);
	EXPECT_EQ(1, mgpu_eng_step(&c->eng));
	EXPECT_EQ(MGPU_ENG_STEP_NS, c->eng.progress);
	EXPECT_EQ(0, rd(c, MGPU_ENG_HEAD));
	EXPECT_EQ(ST_ENABLED | ST_BUSY, rd(c, MGPU_ENG_STATUS));
	EXPECT_EQ(1, mgpu_eng_step(&c->eng));
	EXPECT_EQ(2 * MGPU_ENG_STEP_NS, c->eng.progress);
	EXPECT_EQ(1, mgpu_eng_step(&c->eng));
	EXPECT_EQ(8, rd(c, MGPU_ENG_HEAD));
	EXPECT_EQ(0, mgpu_eng_step(&c->eng));
	EXPECT_LE(250000, c->eng.stats.busy_ns);
	EXPECT_GE(250000 + 10 * TICK_NS, c->eng.stats.busy_ns);

	EXPECT_EQ(MGPU_ENG_ERR_ARG, one_cmd(_metadata, c, busy_cmd(0)));
	EXPECT_EQ(MGPU_ENG_ERR_ARG, one_cmd(_metadata, c, busy_cmd(MGPU_CMD_BUSY_MAX_US + 1)));
	EXPECT_EQ(MGPU_ENG_ERR_ARG, one_cmd(_metadata, c, busy_cmd(0xffffffff)));

	/* The longest BUSY, in 100 us steps, under a watchdog that lets it be. */
	c->eng.watchdog_ns = 1000000000ULL;
	free(prep(c, busy_cmd(MGPU_CMD_BUSY_MAX_US)));
	t0 = self->clock;
	EXPECT_EQ(0, run(c, &steps));
	EXPECT_EQ(MGPU_CMD_BUSY_MAX_US * 1000ULL / MGPU_ENG_STEP_NS, steps);
	EXPECT_LE(MGPU_CMD_BUSY_MAX_US * 1000ULL, self->clock - t0);
}

/* ---- batches ---- */

#define BA	(3 * MB - 0x40)	/* a batch over a chunk edge */
#define BB	0x8000
#define FEN	0x4000		/* where the batch tests' fences go */

TEST_F(eng, call_return_jump)
{
	struct ctx *c = &self->c;
	struct wr a = { .base = BA }, b = { .base = BB };
	u32 junk[2] = { 0xffffffff, 0xffffffff };

	put(c, &a, fence_cmd(FEN, 1, 0));
	put(c, &a, call_cmd(BB, 20));
	put(c, &a, fence_cmd(FEN + 8, 3, 0));
	put(c, &a, jump_cmd(BA + 76));		/* over the junk, itself over the edge */
	emit(c, &a, junk, 2);
	ASSERT_EQ(76, a.pos);
	put(c, &a, fence_cmd(FEN + 16, 4, 0));
	put(c, &a, ret_cmd());
	emit(c, &a, junk, 1);			/* in the frame, after RETURN: not run */
	put(c, &b, fence_cmd(FEN + 24, 2, 0));	/* ends at the frame's end */
	ASSERT_EQ(20, b.pos);

	start(c, CTRL, 0);
	put(c, &c->ring, call_cmd(BA, a.pos));
	put(c, &c->ring, fence_cmd(FEN + 32, 5, 0));
	kick(c);
	EXPECT_EQ(0, run(c, NULL));
	EXPECT_EQ(0, c->eng.error);
	EXPECT_EQ(1, pr64(c, FEN));
	EXPECT_EQ(3, pr64(c, FEN + 8));
	EXPECT_EQ(4, pr64(c, FEN + 16));
	EXPECT_EQ(2, pr64(c, FEN + 24));
	EXPECT_EQ(5, pr64(c, FEN + 32));
	EXPECT_EQ(5, rd(c, MGPU_ENG_FENCE_LO));
	EXPECT_EQ(5, c->eng.stats.fences);
	EXPECT_EQ(9, c->eng.stats.commands);	/* 5 FENCE, 2 CALL, JUMP, RETURN */
	EXPECT_EQ(36, rd(c, MGPU_ENG_HEAD));
	EXPECT_EQ(0, c->eng.depth);
}

/* Head passes a ring CALL only when its batch is done. */
TEST_F(eng, call_completes_at_return)
{
	struct ctx *c = &self->c;
	struct wr b = { .base = BB };

	put(c, &b, fill_cmd(2 * MB, 0, MB, 1, 0x0f0f0f0f));
	start(c, CTRL, 0);
	put(c, &c->ring, call_cmd(BB, b.pos));
	kick(c);
	EXPECT_EQ(1, mgpu_eng_step(&c->eng));
	EXPECT_EQ(1, c->eng.depth);
	EXPECT_EQ(0, rd(c, MGPU_ENG_HEAD));
	EXPECT_EQ(0, pr32(c, CTRL_HEAD));
	EXPECT_EQ(ST_ENABLED | ST_BUSY, rd(c, MGPU_ENG_STATUS));
	EXPECT_EQ(0, run(c, NULL));
	EXPECT_EQ(16, rd(c, MGPU_ENG_HEAD));
	EXPECT_EQ(16, pr32(c, CTRL_HEAD));
	EXPECT_EQ(0x0f0f0f0f, pr32(c, 3 * MB - 4));
}

TEST_F(eng, call_depth)
{
	struct ctx *c = &self->c;
	struct wr b;
	u32 i;

	for (i = 0; i < 4; i++) {
		b = (struct wr){ .base = BB + i * 0x100 };
		if (i < 3) {
			put(c, &b, call_cmd(BB + (i + 1) * 0x100, 20));
			put_nop(c, &b, 1);
		} else {
			put(c, &b, fence_cmd(FEN, 44, 0));
		}
		ASSERT_EQ(20, b.pos);
	}
	EXPECT_EQ(0, batch_cmd(_metadata, c, BB, 20));
	EXPECT_EQ(44, rd(c, MGPU_ENG_FENCE_LO));
	EXPECT_EQ(9, c->eng.stats.commands);

	b = (struct wr){ .base = BB + 3 * 0x100 };
	put(c, &b, call_cmd(BB + 4 * 0x100, 20));
	EXPECT_EQ(MGPU_ENG_ERR_DEPTH, batch_cmd(_metadata, c, BB, 20));
	EXPECT_EQ(BB + 3 * 0x100, c->eng.error_addr);
	EXPECT_EQ(8, rd(c, MGPU_ENG_HEAD));
}

/* Write @n commands as a batch at BA and run it; return the error. */
static u32 batch_of(struct __test_metadata *_metadata, struct ctx *c, const struct cmd *cmds,
		    u32 n, u32 bytes)
{
	struct wr a = { .base = BA };
	u32 i;

	for (i = 0; i < n; i++)
		put(c, &a, cmds[i]);
	return batch_cmd(_metadata, c, BA, bytes ? bytes : a.pos);
}

TEST_F(eng, batch_errors)
{
	struct ctx *c = &self->c;
	struct cmd t[2];

	t[0] = fence_cmd(FEN, 1, 0);
	t[1] = jump_cmd(BA + 32);		/* the frame's end */
	EXPECT_EQ(MGPU_ENG_ERR_JUMP, batch_of(_metadata, c, t, 2, 0));
	EXPECT_EQ(BA + 20, c->eng.error_addr);
	EXPECT_EQ(8, rd(c, MGPU_ENG_HEAD));
	t[1] = jump_cmd(BA - 4);
	EXPECT_EQ(MGPU_ENG_ERR_JUMP, batch_of(_metadata, c, t, 2, 0));
	t[1] = jump_cmd(BA + 2);
	EXPECT_EQ(MGPU_ENG_ERR_JUMP, batch_of(_metadata, c, t, 2, 0));
	t[1] = jump_cmd(BA + (1ULL << 32));
	EXPECT_EQ(MGPU_ENG_ERR_JUMP, batch_of(_metadata, c, t, 2, 0));
	t[1] = raw_cmd(0x42, 1, 1);
	EXPECT_EQ(MGPU_ENG_ERR_OPCODE, batch_of(_metadata, c, t, 2, 0));
	EXPECT_EQ(BA + 20, c->eng.error_addr);
	t[1] = call_cmd(BB, 0);
	EXPECT_EQ(MGPU_ENG_ERR_ARG, batch_of(_metadata, c, t, 2, 0));
	EXPECT_EQ(BA + 20, c->eng.error_addr);

	/* Commands running past the frame's end. */
	EXPECT_EQ(MGPU_ENG_ERR_LENGTH, batch_of(_metadata, c, t, 1, 12));
	EXPECT_EQ(BA, c->eng.error_addr);
	t[0] = raw_cmd(MGPU_CMD_NOP, 4, 4);
	EXPECT_EQ(MGPU_ENG_ERR_LENGTH, batch_of(_metadata, c, t, 1, 12));
	EXPECT_EQ(0, batch_of(_metadata, c, t, 1, 16));
	EXPECT_EQ(24, rd(c, MGPU_ENG_HEAD));

	/* RETURN and JUMP outside a batch; bad CALLs. */
	EXPECT_EQ(MGPU_ENG_ERR_JUMP, one_cmd(_metadata, c, ret_cmd()));
	EXPECT_EQ(MGPU_ENG_ERR_JUMP, one_cmd(_metadata, c, jump_cmd(RING)));
	EXPECT_EQ(MGPU_ENG_ERR_ALIGN, one_cmd(_metadata, c, call_cmd(2, 4)));
	EXPECT_EQ(MGPU_ENG_ERR_ALIGN, one_cmd(_metadata, c, call_cmd(0, 6)));
	EXPECT_EQ(MGPU_ENG_ERR_ARG, one_cmd(_metadata, c, call_cmd(0, 0)));
	EXPECT_EQ(MGPU_ENG_ERR_RANGE, one_cmd(_metadata, c, call_cmd(C_SIZE - 4, 8)));
	EXPECT_EQ(MGPU_ENG_ERR_RANGE, one_cmd(_metadata, c, call_cmd(1ULL << 63, 4)));
	EXPECT_EQ(MGPU_ENG_ERR_RANGE, one_cmd(_metadata, c, call_cmd(~3ULL, 4)));
}

/* ---- ring, poll mode ---- */

TEST_F(eng, ring_wraps)
{
	struct ctx *c = &self->c;
	u32 k, i;

	start(c, CTRL, 0);
	put_nop(c, &c->ring, (RING_SZ - 8) / 4);
	kick(c);
	EXPECT_EQ(0, run(c, NULL));
	EXPECT_EQ(RING_SZ - 8, rd(c, MGPU_ENG_HEAD));

	/* A FILL split by the wrap: 8 bytes at the ring's end, 20 at its start. */
	put(c, &c->ring, fill_cmd(0x10000, 0, 64, 1, 0x5a5a0101));
	put(c, &c->ring, fence_cmd(0x100, 1, 0));
	kick(c);
	EXPECT_EQ(0, run(c, NULL));
	EXPECT_EQ(0, c->eng.error);
	EXPECT_EQ(40, rd(c, MGPU_ENG_HEAD));
	for (i = 0; i < 64; i += 4)
		EXPECT_EQ(0x5a5a0101, pr32(c, 0x10000 + i));
	EXPECT_EQ(1, rd(c, MGPU_ENG_FENCE_LO));

	/* Three more laps, 40 bytes at a time, a doorbell every 100 commands. */
	for (k = 2; k < 2 + 3 * RING_SZ / 40; k++) {
		put(c, &c->ring, fence_cmd(0x100 + 8 * (k % 16), k, 0));
		put_nop(c, &c->ring, 5);
		if (k % 100)
			continue;
		kick(c);
		EXPECT_EQ(0, run(c, NULL));
	}
	kick(c);
	EXPECT_EQ(0, run(c, NULL));
	EXPECT_EQ(k - 1, rd(c, MGPU_ENG_FENCE_LO));
	EXPECT_EQ(ring_pos(c), rd(c, MGPU_ENG_HEAD));
	EXPECT_EQ(ring_pos(c), pr32(c, CTRL_HEAD));
	EXPECT_EQ(k - 1, pr64(c, CTRL_FENCE));
	EXPECT_EQ(0, c->eng.error);
}

TEST_F(eng, poll_mode)
{
	struct ctx *c = &self->c;

	pw32(c, CTRL_TAIL, 0);
	EXPECT_EQ(ST_ENABLED, start(c, CTRL, POLL));
	EXPECT_EQ(ST_ENABLED, pr32(c, CTRL_STATUS));
	EXPECT_EQ(0, pr32(c, CTRL_HEAD));
	EXPECT_EQ(0, pr32(c, CTRL_ERROR));

	/* The TAIL register is only a wake-up. */
	put(c, &c->ring, fence_cmd(0x100, 0x77, 0));
	EXPECT_TRUE(wr(c, MGPU_ENG_TAIL, ring_pos(c)));
	EXPECT_EQ(0, rd(c, MGPU_ENG_TAIL));
	EXPECT_FALSE(mgpu_eng_pending(&c->eng));
	EXPECT_EQ(0, mgpu_eng_step(&c->eng));

	kick(c);
	EXPECT_TRUE(mgpu_eng_pending(&c->eng));
	EXPECT_EQ(20, rd(c, MGPU_ENG_TAIL));
	EXPECT_EQ(ST_ENABLED | ST_BUSY, rd(c, MGPU_ENG_STATUS));
	EXPECT_EQ(ST_ENABLED | ST_BUSY, pr32(c, CTRL_STATUS));
	EXPECT_EQ(0, run(c, NULL));
	EXPECT_EQ(20, pr32(c, CTRL_HEAD));
	EXPECT_EQ(0x77, pr64(c, CTRL_FENCE));
	EXPECT_EQ(ST_ENABLED, pr32(c, CTRL_STATUS));
	EXPECT_EQ(20, rd(c, MGPU_ENG_HEAD));
	EXPECT_EQ(20, pr32(c, CTRL_TAIL));

	/* Mid-command, the block shows the engine busy on it. */
	put(c, &c->ring, fill_cmd(2 * MB, 0, MB, 1, 0));
	kick(c);
	EXPECT_EQ(1, mgpu_eng_step(&c->eng));
	EXPECT_EQ(ST_ENABLED | ST_BUSY, pr32(c, CTRL_STATUS));
	EXPECT_EQ(20, pr32(c, CTRL_HEAD));
	EXPECT_EQ(0, run(c, NULL));
	EXPECT_EQ(48, pr32(c, CTRL_HEAD));
	EXPECT_EQ(ST_ENABLED, pr32(c, CTRL_STATUS));

	/* A bad tail in the block. */
	pw32(c, CTRL_TAIL, 50);
	EXPECT_FALSE(mgpu_eng_pending(&c->eng));
	EXPECT_EQ(MGPU_ENG_ERR_RING, rd(c, MGPU_ENG_ERROR));
	EXPECT_EQ(0, rd(c, MGPU_ENG_ERROR_ADDR));
	EXPECT_EQ(ST_ENABLED | ST_ERROR, pr32(c, CTRL_STATUS));
	EXPECT_EQ(MGPU_ENG_ERR_RING, pr32(c, CTRL_ERROR));
	EXPECT_EQ(-1, mgpu_eng_step(&c->eng));

	mgpu_eng_reset(&c->eng);
	pw32(c, CTRL_TAIL, 0);
	start(c, CTRL, POLL);
	pw32(c, CTRL_TAIL, RING_SZ);
	EXPECT_EQ(-1, mgpu_eng_step(&c->eng));
	EXPECT_EQ(MGPU_ENG_ERR_RING, rd(c, MGPU_ENG_ERROR));
}

/* With a control block and a doorbell, the block is kept current; its tail is not touched. */
TEST_F(eng, control_block_with_doorbell)
{
	struct ctx *c = &self->c;

	pw32(c, CTRL_TAIL, 0xabcdef01);
	start(c, CTRL, 0);
	put(c, &c->ring, fence_cmd(0x100, 0x1234567890ULL, 0));
	put(c, &c->ring, fence_cmd(2, 0, 0));
	kick(c);
	EXPECT_EQ(-1, run(c, NULL));
	EXPECT_EQ(20, pr32(c, CTRL_HEAD));
	EXPECT_EQ(0x1234567890ULL, pr64(c, CTRL_FENCE));
	EXPECT_EQ(ST_ENABLED | ST_ERROR, pr32(c, CTRL_STATUS));
	EXPECT_EQ(MGPU_ENG_ERR_ALIGN, pr32(c, CTRL_ERROR));
	EXPECT_EQ(0xabcdef01, pr32(c, CTRL_TAIL));
	EXPECT_EQ(RING + 20, rd(c, MGPU_ENG_ERROR_ADDR));
}

/* ---- preemption, watchdog ---- */

TEST_F(eng, preemption_resumes)
{
	const u64 dst = 0x104000;	/* past the ring */
	const u32 pitch = 0xf040, width = 0xf000, height = 48, val = 0x13572468;
	const u64 total = (u64)width * height;
	struct ctx *c = &self->c, *d = &self->d;
	u8 *c0, *cs, *ds, *part;
	unsigned int n = 0;
	int rc = 1, rd_ = 1;
	u32 crc;

	start(c, CTRL, 0);
	start(d, 0, 0);
	put(c, &c->ring, fill_cmd(dst, pitch, width, height, val));
	put(c, &c->ring, fence_cmd(0x100, 1, 0));
	put(d, &d->ring, copy_cmd(0x1000, MB + 0x10, 0, 0, 300000, 1));
	put(d, &d->ring, csum_cmd(0, MB + MB / 2, 2 * MB - 4));
	kick(c);
	kick(d);
	c0 = snap(c);
	cs = snap(c);
	ds = snap(d);
	ASSERT_NE(NULL, c0);
	ASSERT_NE(NULL, cs);
	ASSERT_NE(NULL, ds);
	ref_fill(cs, dst, pitch, width, height, val, ~0ULL);
	ref_copy(ds, 0x1000, MB + 0x10, 0, 0, 300000, 1);
	crc = ref_crc32(ds, MB + MB / 2);
	memcpy(ds + 2 * MB - 4, &crc, 4);

	/* The two contexts take turns, a step each; c is checked after every step. */
	while (rc > 0 || rd_ > 0) {
		if (rc > 0) {
			rc = mgpu_eng_step(&c->eng);
			n += rc > 0;
		}
		if (rc > 0 && c->eng.active && n % 3 == 1) {
			EXPECT_EQ(n * (u64)MGPU_ENG_STEP_BYTES, c->eng.progress);
			EXPECT_EQ(0, rd(c, MGPU_ENG_HEAD));
			part = malloc(C_SIZE);
			ASSERT_NE(NULL, part);
			memcpy(part, c0, C_SIZE);
			ref_fill(part, dst, pitch, width, height, val, c->eng.progress);
			sync_ctrl(c, part);
			EXPECT_EQ(-1, diff(c, part)) TH_LOG("step %u", n);
			free(part);
		}
		if (rd_ > 0)
			rd_ = mgpu_eng_step(&d->eng);
	}
	EXPECT_EQ(0, rc);
	EXPECT_EQ(0, rd_);
	EXPECT_EQ(total / MGPU_ENG_STEP_BYTES + 1, n);	/* the FENCE took one more */
	memcpy(cs + 0x100, "\x01\0\0\0\0\0\0\0", 8);
	sync_ctrl(c, cs);
	EXPECT_EQ(-1, diff(c, cs));
	EXPECT_EQ(-1, diff(d, ds));
	EXPECT_EQ(crc, pr32(d, 2 * MB - 4));
	free(c0);
	free(cs);
	free(ds);
}

TEST_F(eng, watchdog_jump_loop)
{
	struct ctx *c = &self->c;
	struct wr b = { .base = BB };
	struct mgpu_eng_stats st;
	unsigned int n;
	u64 t;
	int ret = 1;

	put(c, &b, jump_cmd(BB));
	start(c, CTRL, 0);
	wr(c, MGPU_ENG_IRQ_MASK, MGPU_ENG_IRQ_ERROR);
	put_nop(c, &c->ring, 2);
	put(c, &c->ring, call_cmd(BB, b.pos));
	kick(c);
	for (n = 0; n < RUN_CAP && ret > 0; n++) {
		st = c->eng.stats;
		t = self->clock;
		ret = mgpu_eng_step(&c->eng);
		ASSERT_GE(64, c->eng.stats.commands - st.commands);
		ASSERT_GE(4 * TICK_NS, self->clock - t);
	}
	EXPECT_EQ(-1, ret);
	EXPECT_EQ(MGPU_ENG_ERR_WATCHDOG, rd(c, MGPU_ENG_ERROR));
	EXPECT_EQ(RING + 8, rd(c, MGPU_ENG_ERROR_ADDR));
	EXPECT_EQ(MGPU_ENG_ERR_WATCHDOG, pr32(c, CTRL_ERROR));
	EXPECT_EQ(1, c->eng.stats.watchdogs);
	EXPECT_EQ(1, c->eng.stats.errors);
	EXPECT_EQ(1, c->level);
	/* A step reads the clock twice, 1 us apart: the 2 ms watchdog takes ~2000 steps. */
	EXPECT_LE(1990, n);
	EXPECT_GE(2010, n);
}

TEST_F(eng, watchdog_busy_batch)
{
	struct ctx *c = &self->c;
	struct wr b = { .base = BB };
	unsigned int steps, i;
	u64 t0;

	for (i = 0; i < 10; i++)
		put(c, &b, busy_cmd(1000));
	EXPECT_EQ(MGPU_ENG_ERR_WATCHDOG, batch_cmd(_metadata, c, BB, b.pos));
	EXPECT_EQ(RING + 8, c->eng.error_addr);
	EXPECT_EQ(1, c->eng.stats.watchdogs);
	EXPECT_GT(WATCHDOG_NS + 2 * MGPU_ENG_STEP_NS, c->eng.stats.busy_ns);

	/* The same BUSYs as ring commands: each is well within the watchdog. */
	mgpu_eng_reset(&c->eng);
	start(c, 0, 0);
	for (i = 0; i < 10; i++)
		put(c, &c->ring, busy_cmd(1000));
	kick(c);
	t0 = self->clock;
	EXPECT_EQ(0, run(c, &steps));
	EXPECT_LE(10000000ULL, self->clock - t0);
	EXPECT_EQ(1, c->eng.stats.watchdogs);

	/* One ring BUSY longer than the watchdog. */
	EXPECT_EQ(MGPU_ENG_ERR_WATCHDOG,
		  one_cmd(_metadata, c, busy_cmd(WATCHDOG_NS / 1000 + 500)));
	EXPECT_EQ(2, c->eng.stats.watchdogs);
}

/* ---- fuzz ---- */

#define FZ_CTRL		(MB + 0x2000)		/* just past the usual ring */
#define FZ_DATA		(MB + 0x4000)		/* well-formed commands write only here */
#define FZ_DATA_END	(3 * MB - 0x4000)
#define FZ_BATCH	(3 * MB - 0x2000)	/* batch buffers, over a chunk edge */
#define FZ_BATCH_SZ	0x4000
#define FZ_MAX_CMDS	1024
#define FZ_DRAIN_CAP	200000
#define FZ_ITERS	6000

struct fz {
	u64 s;				/* xorshift64 state */
	bool clean;			/* this iteration: well-formed commands only */
	u32 pmut;			/* this iteration: % of commands with a bit flipped */
	u32 nr;				/* commands in the batch area */
	u32 offs[FZ_MAX_CMDS + 1];	/* their offsets in it, then its used end */
	struct cmd cmds[FZ_MAX_CMDS];
	u64 actions;
	u64 steps;
	u32 ends[MGPU_ENG_ERR_JUMP + 2];	/* iterations ending in each error */
};

static u64 rnd(struct fz *f)
{
	f->s ^= f->s << 13;
	f->s ^= f->s >> 7;
	f->s ^= f->s << 17;
	return f->s;
}

static u32 rn(struct fz *f, u32 n)
{
	return rnd(f) % n;
}

static void fz_mutate(struct fz *f, struct cmd *c)
{
	u32 i = rn(f, c->n);

	c->dw[i] ^= 1u << rn(f, 32);
}

/* A hostile address: anything, or near the edges that matter. */
static u64 fz_addr(struct fz *f, u64 align)
{
	u64 a;

	switch (rn(f, 8)) {
	case 0:
		a = rnd(f);
		break;
	case 1:
		a = C_SIZE - rn(f, 256);
		break;
	case 2:
		a = (u64)rn(f, C_CHUNKS + 1) * MB - 128 + rn(f, 256);
		break;
	case 3:
		a = rn(f, 4096);
		break;
	default:
		a = rn(f, C_SIZE);
		break;
	}
	return rn(f, 8) ? a & ~(align - 1) : a;
}

static u32 fz_size(struct fz *f)
{
	u32 k = rn(f, 64);

	if (k == 0)
		return rnd(f);
	if (k == 1)
		return rn(f, C_SIZE + 1);
	if (k < 6)
		return rn(f, 70000);
	return rn(f, 600);
}

static u32 fz_height(struct fz *f)
{
	u32 k = rn(f, 32);

	if (k == 0)
		return rnd(f);
	if (k == 1)
		return rn(f, 4096);
	return rn(f, 9);
}

static u32 fz_pitch(struct fz *f, u32 width)
{
	switch (rn(f, 8)) {
	case 0:
		return rnd(f);
	case 1:
		return 0;
	case 2:
		return width - 1;
	default:
		return width + rn(f, 256);
	}
}

/* An offset in the batch area: a command's start, or anywhere. */
static u64 fz_batch_addr(struct fz *f)
{
	u64 a = f->nr && rn(f, 2) ? f->offs[rn(f, f->nr)] : rn(f, FZ_BATCH_SZ);

	return FZ_BATCH + (rn(f, 8) ? a & ~3ULL : a);
}

static struct cmd fz_garbage(struct fz *f)
{
	struct cmd c = { .n = 1 + rn(f, MGPU_ENG_CMD_MAX) };
	u32 i, len;

	for (i = 0; i < c.n; i++)
		c.dw[i] = rnd(f);
	if (rn(f, 2)) {
		len = rn(f, 4) ? c.n : rn(f, 20);
		c.dw[0] = rn(f, 12) | len << 8 | (c.dw[0] & 0xff000000);
	}
	return c;
}

static struct cmd fz_hostile_rect(struct fz *f, bool fill)
{
	u32 w = fz_size(f), h, p, p2;
	u64 a, b;

	if (fill && rn(f, 8))
		w &= ~3u;
	h = fz_height(f);
	p = fz_pitch(f, w);
	p2 = fz_pitch(f, w);
	a = fz_addr(f, fill ? 4 : 1);
	b = fz_addr(f, 1);
	if (fill)
		return fill_cmd(a, rn(f, 8) ? p & ~3u : p, w, h, rnd(f));
	return copy_cmd(a, b, p, p2, w, h);
}

/* A CALL of the rest of the batch area from one of its commands on, or of anything. */
static struct cmd fz_hostile_call(struct fz *f)
{
	u32 i;
	u64 a;

	if (f->nr && rn(f, 2)) {
		i = rn(f, 4) ? rn(f, f->nr) : 0;
		return call_cmd(FZ_BATCH + f->offs[i], f->offs[f->nr] - f->offs[i]);
	}
	a = fz_batch_addr(f);
	return call_cmd(a, rn(f, 8) ? 4 + (rn(f, 512) & ~3u) : rnd(f));
}

/* Any command, most of them with arguments near some limit, some of them junk. */
static struct cmd fz_hostile(struct fz *f)
{
	u64 a;
	u32 n;

	switch (rn(f, 11)) {
	case 0:
		n = 1 + rn(f, 8);
		return raw_cmd(MGPU_CMD_NOP, n, n);
	case 1:
		a = fz_addr(f, 8);
		return fence_cmd(a, rnd(f), rn(f, 2));
	case 2:
		return fz_hostile_rect(f, true);
	case 3:
		return fz_hostile_rect(f, false);
	case 4:
		a = fz_addr(f, 1);
		n = fz_size(f);
		return csum_cmd(a, n, fz_addr(f, 4));
	case 5:
		return busy_cmd(rn(f, 16) ? rn(f, 200) : rn(f, 2 * MGPU_CMD_BUSY_MAX_US));
	case 6:
		return fz_hostile_call(f);
	case 7:
		return ret_cmd();
	case 8:
		return jump_cmd(fz_batch_addr(f));
	default:
		return fz_garbage(f);
	}
}

/*
 * A rectangle in the data area, rows @align-aligned, at most a third of the area (so
 * that a COPY always finds room for a destination that does not overlap it).
 */
static void fz_rect(struct fz *f, u32 align, u64 *addr, u32 *pitch, u32 *width, u32 *height)
{
	const u64 room = FZ_DATA_END - FZ_DATA;
	u64 ext;

	*width = (rn(f, 16) ? rn(f, 600) : rn(f, 65536)) & ~(align - 1);
	*height = 1 + (rn(f, 4) ? rn(f, 4) : rn(f, 64));
	*pitch = (*width + rn(f, 300)) & ~(align - 1);
	ext = (u64)(*height - 1) * *pitch + *width;
	if (ext > room / 3) {
		*height = 1;
		ext = *width;
	}
	*addr = (FZ_DATA + rn(f, room - ext + 1)) & ~(u64)(align - 1);
}

static struct cmd fz_clean_copy(struct fz *f)
{
	const u64 room = FZ_DATA_END - FZ_DATA;
	u32 p, p2, w, h;
	u64 a, b, sext, dext;

	fz_rect(f, 1, &a, &p, &w, &h);
	p2 = w + rn(f, 300);
	if ((u64)(h - 1) * p2 + w > room / 3)
		p2 = p;
	dext = (u64)(h - 1) * p2 + w;
	sext = (u64)(h - 1) * p + w;
	b = FZ_DATA + rn(f, room - dext + 1);
	if (b < a + sext && a < b + dext)	/* move it to whichever side has room */
		b = a + sext + dext <= FZ_DATA_END ? a + sext : a - dext;
	return copy_cmd(a, b, p, p2, w, h);
}

/* A ring CALL of the batch area from one of its commands on (a RETURN may end it). */
static struct cmd fz_clean_call(struct fz *f)
{
	u32 i;

	if (!f->nr)
		return raw_cmd(MGPU_CMD_NOP, 1, 1);
	i = rn(f, f->nr);
	return call_cmd(FZ_BATCH + f->offs[i], f->offs[f->nr] - f->offs[i]);
}

/* A well-formed command that touches only the data area (it may still overlap). */
static struct cmd fz_clean(struct fz *f, bool batch)
{
	const u64 room = FZ_DATA_END - FZ_DATA;
	u32 p, w, h, n;
	u64 a;

	switch (rn(f, 10)) {
	case 0:
		n = 1 + rn(f, 8);
		return raw_cmd(MGPU_CMD_NOP, n, n);
	case 1:
		fz_rect(f, 4, &a, &p, &w, &h);
		return fill_cmd(a, p, w, h, rnd(f));
	case 2:
		return fz_clean_copy(f);
	case 3:
		n = rn(f, 16) ? rn(f, 4096) : rn(f, 200000);
		a = FZ_DATA + rn(f, room - n + 1);
		return csum_cmd(a, n, (FZ_DATA + rn(f, room - 4)) & ~3ULL);
	case 4:
		return busy_cmd(1 + rn(f, 100));
	case 5:
		if (batch)
			return rn(f, 4) ? raw_cmd(MGPU_CMD_NOP, 1, 1) : ret_cmd();
		return fz_clean_call(f);
	case 6:
		if (batch)
			return jump_cmd(0);	/* aimed forward once laid out */
		return fz_clean_call(f);
	default:
		a = (FZ_DATA + rn(f, room - 8)) & ~7ULL;
		return fence_cmd(a, rnd(f), rn(f, 2));
	}
}

/* Lay out a new batch area; clean JUMPs skip forward, never out of a clean CALL's frame. */
static void fz_batches(struct fz *f, struct ctx *c)
{
	struct wr w = { .base = FZ_BATCH };
	u32 n = 0, i, pos = 0, to;

	while (n < FZ_MAX_CMDS) {
		if (!f->clean && !n)
			f->cmds[n] = call_cmd(0, 0);	/* may become a recursive CALL */
		else
			f->cmds[n] = f->clean ? fz_clean(f, true) : fz_hostile(f);
		if (pos + f->cmds[n].n * 4 > FZ_BATCH_SZ)
			break;
		f->offs[n] = pos;
		pos += f->cmds[n].n * 4;
		n++;
	}
	f->offs[n] = pos;
	f->nr = n;
	if (!f->clean && n && !rn(f, 4))	/* a batch that calls itself */
		f->cmds[0] = call_cmd(FZ_BATCH, pos);
	for (i = 0; i < n; i++) {
		if (f->clean && MGPU_CMD_OP(f->cmds[i].dw[0]) == MGPU_CMD_JUMP) {
			to = i + 1 + rn(f, 3);
			if (to < n)
				set64(&f->cmds[i].dw[1], FZ_BATCH + f->offs[to]);
			else	/* the last: nowhere forward to go */
				f->cmds[i] = raw_cmd(MGPU_CMD_NOP, 3, 3);
		} else if (rn(f, 100) < f->pmut) {
			fz_mutate(f, &f->cmds[i]);
		}
		put(c, &w, f->cmds[i]);
	}
}

/* After a register write: a fresh enable restarts the writer on the latched ring. */
static void fz_follow(struct ctx *c, bool was_enabled)
{
	if (was_enabled || !(c->eng.control & ENABLE))
		return;
	c->ring = (struct wr){ .base = c->eng.ring_base, .size = c->eng.ring_size };
	c->ctrl = c->eng.ctrl_base;
	c->mode = c->eng.control & POLL;
}

static void fz_enable(struct fz *f, struct ctx *c)
{
	static const u32 bases[] = {
		RING, 0, C_SIZE - MGPU_ENG_RING_MAX, C_SIZE - MGPU_ENG_RING_MIN,
	};
	static const u32 sizes[] = {
		RING_SZ, MGPU_ENG_RING_MIN, MGPU_ENG_RING_MAX, MGPU_ENG_RING_MIN,
	};
	u32 k = f->clean ? 0 : rn(f, 4);
	u32 mode = rn(f, 3) ? 0 : POLL;
	u32 ctrl = mode || rn(f, 2) ? FZ_CTRL : 0;

	if (rn(f, 2))
		wr(c, MGPU_ENG_RESET, MGPU_ENG_RESET_MAGIC);
	else
		mgpu_eng_reset(&c->eng);
	c->eng.watchdog_ns = f->clean ? WATCHDOG_NS : 20000 + rn(f, 500000);
	wr(c, MGPU_ENG_IRQ_MASK, rn(f, 4));
	if (mode)
		pw32(c, FZ_CTRL, 0);
	wr(c, MGPU_ENG_RING_BASE, bases[k]);
	wr(c, MGPU_ENG_RING_SIZE, sizes[k]);
	wr(c, MGPU_ENG_CTRL_BASE, ctrl);
	if (!f->clean && !rn(f, 16))
		wr(c, MGPU_ENG_RING_BASE + 4 * rn(f, 3), rn(f, 2) ? rnd(f) : rn(f, C_SIZE));
	wr(c, MGPU_ENG_CONTROL, ENABLE | mode);
	fz_follow(c, false);
}

static void fz_reg(struct fz *f, struct ctx *c)
{
	static const u32 regs[] = {
		MGPU_ENG_IRQ_STATUS, MGPU_ENG_IRQ_MASK, MGPU_ENG_RING_BASE, MGPU_ENG_RING_SIZE,
		MGPU_ENG_CTRL_BASE, MGPU_ENG_CONTROL, MGPU_ENG_TAIL, MGPU_ENG_RESET,
		MGPU_ENG_HEAD, MGPU_ENG_STATUS, MGPU_ENG_FENCE_LO, MGPU_ENG_ID,
	};
	bool was = c->eng.control & ENABLE;
	u32 off, val;

	rd(c, rn(f, MGPU_ENG_SIZE) & ~3u);
	if (f->clean)
		off = regs[rn(f, 2)];
	else if (rn(f, 8))
		off = regs[rn(f, ARRAY_SIZE(regs))];
	else
		off = rn(f, MGPU_ENG_SIZE) & ~3u;
	switch (rn(f, 4)) {
	case 0:
		val = rn(f, 4);
		break;
	case 1:
		val = rn(f, c->ring.size ? c->ring.size : 1) & ~3u;
		break;
	case 2:
		val = rn(f, 2) ? MGPU_ENG_RESET_MAGIC : rnd(f);
		break;
	default:
		val = rnd(f);
		break;
	}
	wr(c, off, val);
	fz_follow(c, was);
}

/* The guest scribbling on its ring, batches or control block. */
static void fz_junk(struct fz *f, struct ctx *c)
{
	u64 off;

	switch (rn(f, 3)) {
	case 0:
		off = c->ring.base + (rn(f, c->ring.size ? c->ring.size : 4) & ~3u);
		break;
	case 1:
		off = FZ_BATCH + (rn(f, FZ_BATCH_SZ) & ~3u);
		break;
	default:
		off = c->ctrl;
		break;
	}
	if (off + 4 <= C_SIZE)
		pw32(c, off, rn(f, 2) ? rnd(f) : rn(f, c->ring.size ? c->ring.size : 4) & ~3u);
}

static void fz_emit(struct fz *f, struct ctx *c)
{
	struct cmd cmd = f->clean ? fz_clean(f, false) : fz_hostile(f);
	u32 used;

	if (!(c->eng.control & ENABLE) || c->eng.error)
		return;
	if (rn(f, 100) < f->pmut)
		fz_mutate(f, &cmd);
	used = (ring_pos(c) - c->eng.head) & (c->ring.size - 1);
	if (used + cmd.n * 4 < c->ring.size)
		put(c, &c->ring, cmd);
}

static void fz_kick(struct ctx *c)
{
	if (c->eng.control & ENABLE)
		kick(c);
}

/* What must hold between any two calls. */
static void fz_check(struct __test_metadata *_metadata, struct ctx *c)
{
	ASSERT_EQ(!!(c->eng.irq_status & c->eng.irq_mask), c->level);
	ASSERT_EQ(0, c->eng.irq_status & ~(MGPU_ENG_IRQ_FENCE | MGPU_ENG_IRQ_ERROR));
	ASSERT_EQ(c->eng.status, rd(c, MGPU_ENG_STATUS));
	ASSERT_GE(MGPU_CMD_CALL_DEPTH, c->eng.depth);
	ASSERT_EQ(!!c->eng.error, !!(c->eng.status & ST_ERROR));
	if (c->eng.control & ENABLE) {
		ASSERT_EQ(0, c->eng.head & 3);
		ASSERT_GT(c->eng.ring_size, c->eng.head);
		ASSERT_GT(c->eng.ring_size, c->eng.tail);
	}
	ASSERT_EQ(0, c->bad_irqs);
}

/* One step, and the bounds every step keeps. */
static int fz_step(struct __test_metadata *_metadata, struct ctx *c)
{
	struct mgpu_eng_stats st = c->eng.stats;
	u64 t = *c->clock;
	int ret = mgpu_eng_step(&c->eng);

	ASSERT_TRUE(ret >= -1 && ret <= 1);
	ASSERT_EQ(ret == -1, c->eng.error != 0);
	ASSERT_GE(MGPU_ENG_STEP_BYTES, c->eng.stats.bytes - st.bytes);
	ASSERT_GE(2 * 64, c->eng.stats.commands - st.commands);
	ASSERT_GE(MGPU_ENG_STEP_NS + 256 * TICK_NS, *c->clock - t);
	ASSERT_GE(1, c->eng.stats.errors - st.errors);
	fz_check(_metadata, c);
	return ret;
}

static void fz_iter(struct __test_metadata *_metadata, struct fz *f, struct ctx *c,
		    bool clean)
{
	static const u32 pmut[] = { 0, 1, 5, 30 };
	u32 n = 1 + rn(f, 100), i, k, s;
	int ret = 1;

	f->pmut = clean ? 0 : pmut[rn(f, 4)];
	if (clean != f->clean || !f->nr || !rn(f, 4)) {
		f->clean = clean;
		fz_batches(f, c);
	}
	if (c->eng.error || !(c->eng.control & ENABLE) || !rn(f, 8) ||
	    (clean && c->eng.ring_base != RING))
		fz_enable(f, c);
	for (i = 0; i < n; i++) {
		k = rn(f, 100);
		if (k < 70)
			fz_emit(f, c);
		else if (k < 77)
			fz_reg(f, c);
		else if (k < 80 && !clean)
			fz_junk(f, c);
		else if (k < 90)
			fz_kick(c);
		else
			for (s = rn(f, 4); s; s--, f->steps++)
				fz_step(_metadata, c);
		fz_check(_metadata, c);
	}
	f->actions += n;
	fz_kick(c);
	for (s = 0; s < FZ_DRAIN_CAP && ret > 0; s++, f->steps++)
		ret = fz_step(_metadata, c);
	ASSERT_GT(FZ_DRAIN_CAP, s);
	f->ends[c->eng.error <= MGPU_ENG_ERR_JUMP ? c->eng.error : MGPU_ENG_ERR_JUMP + 1]++;
}

/*
 * Seeded random rings, batches, register writes and guest scribbles, half of the
 * iterations well-formed (long error-free runs), half hostile. Whatever happens, the
 * engine writes nothing outside its partition, each step stays bounded, and work
 * always drains.
 */
TEST_F_TIMEOUT(eng, fuzz, 120)
{
	struct ctx *c = &self->c;
	struct fz *f = calloc(1, sizeof(*f));
	u32 it;

	ASSERT_NE(NULL, f);
	f->s = 0x9e3779b97f4a7c15ULL;
	for (it = 0; it < FZ_ITERS; it++) {
		fz_iter(_metadata, f, c, rn(f, 2));
		ASSERT_EQ(-1, foreign_diff(self->vram, self->ref, c, NULL))
			TH_LOG("iteration %u", it);
	}
	TH_LOG("%llu actions, %llu steps, %llu commands, %llu errors (%llu watchdog), %llu MB",
	       (unsigned long long)f->actions, (unsigned long long)f->steps,
	       (unsigned long long)c->eng.stats.commands,
	       (unsigned long long)c->eng.stats.errors,
	       (unsigned long long)c->eng.stats.watchdogs,
	       (unsigned long long)c->eng.stats.bytes >> 20);
	for (it = 0; it <= MGPU_ENG_ERR_JUMP; it++)
		TH_LOG("iterations ending in error %-8s %u", mgpu_eng_err_name(it), f->ends[it]);
	EXPECT_EQ(0, f->ends[MGPU_ENG_ERR_JUMP + 1]);
	free(f);
}

TEST_HARNESS_MAIN
