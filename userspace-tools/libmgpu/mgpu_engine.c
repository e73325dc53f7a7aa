// SPDX-License-Identifier: GPL-2.0-only
/*
 * libmgpu: the ring, the commands and the fences of an mgpu command engine, driven
 * from userspace. See mgpu_engine.h; the device ABI is <linux/mgpu.h>.
 */
#include <errno.h>
#include <stddef.h>
#include <time.h>

#include "mgpu_engine.h"

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The control block in the mapped VRAM. */
static volatile struct mgpu_eng_ctrl *ctrl(struct mgpu_engine *e)
{
	return (volatile struct mgpu_eng_ctrl *)(e->vram + e->ctrl_base);
}

static uint32_t reg_read(struct mgpu_engine *e, uint32_t off)
{
	return e->regs.read(e->regs.priv, off);
}

static void reg_write(struct mgpu_engine *e, uint32_t off, uint32_t val)
{
	e->regs.write(e->regs.priv, off, val);
}

/**
 * mgpu_engine_start - reset an engine and start it with a ring at @ring_base
 * @e: filled in
 * @regs: register access
 * @vram: the partition, mapped
 * @vram_size: its size
 * @ring_base: ring offset, 4 KiB aligned; the control block and the library's fence
 *	slot take the 128 bytes after the ring
 * @ring_size: ring bytes (a power of two, 4 KiB..1 MiB)
 * @poll: doorbell-less submission
 *
 * Return: 0, -EINVAL for a layout outside VRAM, -ENODEV if no engine answers, or
 * -EIO if the engine refused the configuration.
 */
int mgpu_engine_start(struct mgpu_engine *e, const struct mgpu_regs *regs,
		      volatile void *vram, uint64_t vram_size, uint32_t ring_base,
		      uint32_t ring_size, bool poll)
{
	e->regs = *regs;
	e->vram = vram;
	e->vram_size = vram_size;
	e->ring_base = ring_base;
	e->ring_size = ring_size;
	e->ctrl_base = ring_base + ring_size;
	e->fence_addr = e->ctrl_base + sizeof(struct mgpu_eng_ctrl);
	e->poll = poll;
	e->tail = 0;
	e->seq = 0;
	if ((uint64_t)e->fence_addr + 8 > vram_size)
		return -EINVAL;
	if (reg_read(e, MGPU_ENG_ID) != MGPU_ENG_MAGIC)
		return -ENODEV;
	reg_write(e, MGPU_ENG_RESET, MGPU_ENG_RESET_MAGIC);
	*(volatile uint64_t *)(e->vram + e->fence_addr) = 0;
	ctrl(e)->tail = 0;
	reg_write(e, MGPU_ENG_RING_BASE, ring_base);
	reg_write(e, MGPU_ENG_RING_SIZE, ring_size);
	reg_write(e, MGPU_ENG_CTRL_BASE, e->ctrl_base);
	reg_write(e, MGPU_ENG_CONTROL, MGPU_ENG_CONTROL_ENABLE |
		  (poll ? MGPU_ENG_CONTROL_POLL : 0));
	if (reg_read(e, MGPU_ENG_STATUS) & MGPU_ENG_STATUS_ERROR)
		return -EIO;
	return 0;
}

/**
 * mgpu_engine_start_default - mgpu_engine_start() with the ring in the last MiB of VRAM
 * @e: filled in
 * @regs: register access
 * @vram: the partition, mapped
 * @vram_size: its size (at least 2 MiB: the ring and control block take the last one)
 * @poll: doorbell-less submission
 *
 * Return: as mgpu_engine_start().
 */
int mgpu_engine_start_default(struct mgpu_engine *e, const struct mgpu_regs *regs,
			      volatile void *vram, uint64_t vram_size, bool poll)
{
	if (vram_size < (2u << 20))
		return -EINVAL;
	return mgpu_engine_start(e, regs, vram, vram_size, vram_size - (1u << 20),
				 MGPU_LIB_RING_SIZE, poll);
}

static uint32_t engine_head(struct mgpu_engine *e)
{
	return e->poll ? ctrl(e)->head : reg_read(e, MGPU_ENG_HEAD);
}

/**
 * mgpu_engine_error - the engine's error code, MGPU_ENG_ERR_NONE when running
 * @e: the engine
 *
 * Return: MGPU_ENG_ERR_*.
 */
uint32_t mgpu_engine_error(struct mgpu_engine *e)
{
	uint32_t status = e->poll ? ctrl(e)->status : reg_read(e, MGPU_ENG_STATUS);

	if (!(status & MGPU_ENG_STATUS_ERROR))
		return MGPU_ENG_ERR_NONE;
	return e->poll ? ctrl(e)->error : reg_read(e, MGPU_ENG_ERROR);
}

/**
 * mgpu_engine_emit - copy a command into the ring (not yet submitted)
 * @e: the engine
 * @cmd: the command's dwords
 * @dwords: how many
 *
 * Waits (up to 10 s) for room when the ring is full.
 *
 * Return: 0, -EIO if the engine is in the error state, -ETIMEDOUT, -EINVAL.
 */
int mgpu_engine_emit(struct mgpu_engine *e, const uint32_t *cmd, unsigned int dwords)
{
	uint32_t bytes = dwords * 4, used;
	uint64_t deadline = now_ms() + 10000;
	unsigned int i;

	if (!dwords || bytes >= e->ring_size)
		return -EINVAL;
	for (;;) {
		used = (e->tail - engine_head(e)) & (e->ring_size - 1);
		if (e->ring_size - used > bytes)
			break;
		mgpu_engine_submit(e);
		if (mgpu_engine_error(e))
			return -EIO;
		if (now_ms() > deadline)
			return -ETIMEDOUT;
	}
	for (i = 0; i < dwords; i++) {
		*(volatile uint32_t *)(e->vram + e->ring_base + e->tail) = cmd[i];
		e->tail = (e->tail + 4) & (e->ring_size - 1);
	}
	return 0;
}

/**
 * mgpu_engine_submit - hand everything emitted so far to the engine
 * @e: the engine
 *
 * A trapped doorbell write, or in doorbell-less mode a store of the tail into the
 * control block in VRAM (no trap).
 */
void mgpu_engine_submit(struct mgpu_engine *e)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);	/* commands before the tail */
	if (e->poll)
		ctrl(e)->tail = e->tail;
	else
		reg_write(e, MGPU_ENG_TAIL, e->tail);
}

/**
 * mgpu_engine_fence - emit a FENCE of the next sequence number and submit
 * @e: the engine
 * @irq: ask for an interrupt when it completes
 *
 * Return: the sequence number to wait for, 0 if the command could not be emitted.
 */
uint64_t mgpu_engine_fence(struct mgpu_engine *e, bool irq)
{
	uint32_t c[MGPU_CMD_FENCE_LEN];

	mgpu_cmd_fence(c, e->fence_addr, e->seq + 1, irq);
	if (mgpu_engine_emit(e, c, MGPU_CMD_FENCE_LEN))
		return 0;
	e->seq++;
	mgpu_engine_submit(e);
	return e->seq;
}

/**
 * mgpu_engine_completed - the last sequence number the engine wrote
 * @e: the engine
 *
 * Return: the value in the library's fence slot in VRAM (no trap).
 */
uint64_t mgpu_engine_completed(struct mgpu_engine *e)
{
	return *(volatile uint64_t *)(e->vram + e->fence_addr);
}

/**
 * mgpu_engine_wait - wait until fence @seq has been written
 * @e: the engine
 * @seq: from mgpu_engine_fence()
 * @timeout_ms: how long at most
 *
 * Polls the fence slot in VRAM, so waiting costs no trap.
 *
 * Return: 0, -EIO if the engine entered the error state, -ETIMEDOUT.
 */
int mgpu_engine_wait(struct mgpu_engine *e, uint64_t seq, unsigned int timeout_ms)
{
	uint64_t deadline = now_ms() + timeout_ms;
	unsigned int spins = 0;

	while (mgpu_engine_completed(e) < seq) {
		if (!(++spins & 255)) {
			if (mgpu_engine_error(e))
				return -EIO;
			if (now_ms() > deadline)
				return -ETIMEDOUT;
		}
	}
	return 0;
}

/**
 * mgpu_engine_idle - submit a fence and wait for it
 * @e: the engine
 * @timeout_ms: how long at most
 *
 * Return: as mgpu_engine_wait(); -EIO also when the fence could not be emitted.
 */
int mgpu_engine_idle(struct mgpu_engine *e, unsigned int timeout_ms)
{
	uint64_t seq = mgpu_engine_fence(e, false);

	return seq ? mgpu_engine_wait(e, seq, timeout_ms) : -EIO;
}

/**
 * mgpu_engine_reset - reset the engine and start it again with the same ring
 * @e: the engine
 */
void mgpu_engine_reset(struct mgpu_engine *e)
{
	mgpu_engine_start(e, &e->regs, e->vram, e->vram_size, e->ring_base, e->ring_size,
			  e->poll);
}

/* ======== Commands ======== */

static unsigned int put64(uint32_t *c, uint64_t v)
{
	c[0] = (uint32_t)v;
	c[1] = (uint32_t)(v >> 32);
	return 2;
}

unsigned int mgpu_cmd_fence(uint32_t *c, uint64_t addr, uint64_t value, bool irq)
{
	c[0] = MGPU_CMD(MGPU_CMD_FENCE, MGPU_CMD_FENCE_LEN, irq ? MGPU_CMD_FLAG_IRQ : 0);
	put64(c + 1, addr);
	put64(c + 3, value);
	return MGPU_CMD_FENCE_LEN;
}

unsigned int mgpu_cmd_fill(uint32_t *c, uint64_t dst, uint32_t pitch, uint32_t width,
			   uint32_t height, uint32_t value)
{
	c[0] = MGPU_CMD(MGPU_CMD_FILL, MGPU_CMD_FILL_LEN, 0);
	put64(c + 1, dst);
	c[3] = pitch;
	c[4] = width;
	c[5] = height;
	c[6] = value;
	return MGPU_CMD_FILL_LEN;
}

unsigned int mgpu_cmd_copy(uint32_t *c, uint64_t src, uint64_t dst, uint32_t src_pitch,
			   uint32_t dst_pitch, uint32_t width, uint32_t height)
{
	c[0] = MGPU_CMD(MGPU_CMD_COPY, MGPU_CMD_COPY_LEN, 0);
	put64(c + 1, src);
	put64(c + 3, dst);
	c[5] = src_pitch;
	c[6] = dst_pitch;
	c[7] = width;
	c[8] = height;
	return MGPU_CMD_COPY_LEN;
}

unsigned int mgpu_cmd_checksum(uint32_t *c, uint64_t src, uint32_t bytes, uint64_t dst)
{
	c[0] = MGPU_CMD(MGPU_CMD_CHECKSUM, MGPU_CMD_CHECKSUM_LEN, 0);
	put64(c + 1, src);
	c[3] = bytes;
	put64(c + 4, dst);
	return MGPU_CMD_CHECKSUM_LEN;
}

unsigned int mgpu_cmd_busy(uint32_t *c, uint32_t us)
{
	c[0] = MGPU_CMD(MGPU_CMD_BUSY, MGPU_CMD_BUSY_LEN, 0);
	c[1] = us;
	return MGPU_CMD_BUSY_LEN;
}

unsigned int mgpu_cmd_call(uint32_t *c, uint64_t addr, uint32_t bytes)
{
	c[0] = MGPU_CMD(MGPU_CMD_CALL, MGPU_CMD_CALL_LEN, 0);
	put64(c + 1, addr);
	c[3] = bytes;
	return MGPU_CMD_CALL_LEN;
}

unsigned int mgpu_cmd_return(uint32_t *c)
{
	c[0] = MGPU_CMD(MGPU_CMD_RETURN, MGPU_CMD_RETURN_LEN, 0);
	return MGPU_CMD_RETURN_LEN;
}

unsigned int mgpu_cmd_jump(uint32_t *c, uint64_t addr)
{
	c[0] = MGPU_CMD(MGPU_CMD_JUMP, MGPU_CMD_JUMP_LEN, 0);
	put64(c + 1, addr);
	return MGPU_CMD_JUMP_LEN;
}

unsigned int mgpu_cmd_nop(uint32_t *c, unsigned int dwords)
{
	unsigned int i;

	c[0] = MGPU_CMD(MGPU_CMD_NOP, dwords, 0);
	for (i = 1; i < dwords; i++)
		c[i] = 0;
	return dwords;
}
