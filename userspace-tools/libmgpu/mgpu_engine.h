/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libmgpu: submit work to an mgpu command engine from userspace — a vGPU's engine in
 * a guest (BAR3 and BAR4 mapped from /sys/bus/pci/devices/<bdf>/resource3 and
 * resource4, usable while bochs-drm owns the display), a vGPU on the host through
 * VFIO, or a native context (/dev/mgpu/<gpu>). The caller provides register access and
 * a mapping of the VRAM; the library lays out the ring, writes commands, submits them
 * by doorbell or doorbell-less, and waits for fences. The ABI is <linux/mgpu.h>.
 */
#ifndef MGPU_ENGINE_LIB_H
#define MGPU_ENGINE_LIB_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/mgpu.h>

/**
 * struct mgpu_regs - how to reach an engine's registers
 * @read: 32-bit read at @off of the register window
 * @write: 32-bit write
 * @priv: passed to both
 */
struct mgpu_regs {
	uint32_t (*read)(void *priv, uint32_t off);
	void (*write)(void *priv, uint32_t off, uint32_t val);
	void *priv;
};

/**
 * struct mgpu_engine - one engine as the library drives it
 * @regs: register access
 * @vram: the partition, mapped (BAR0, BAR4 or the native mmap)
 * @vram_size: bytes mapped at @vram
 * @ring_base: ring offset in VRAM
 * @ring_size: ring bytes
 * @ctrl_base: control block offset in VRAM
 * @fence_addr: where the library's fences are written (8 bytes, after the ctrl block)
 * @poll: doorbell-less submission
 * @tail: the ring offset where the next command goes
 * @seq: the last fence value emitted
 */
struct mgpu_engine {
	struct mgpu_regs regs;
	volatile uint8_t *vram;
	uint64_t vram_size;
	uint32_t ring_base;
	uint32_t ring_size;
	uint32_t ctrl_base;
	uint32_t fence_addr;
	bool poll;
	uint32_t tail;
	uint64_t seq;
};

/* Layout the library uses by default: the last 1 MiB of VRAM holds ring and control. */
#define MGPU_LIB_RING_SIZE	(256 * 1024)

int mgpu_engine_start(struct mgpu_engine *e, const struct mgpu_regs *regs,
		      volatile void *vram, uint64_t vram_size, uint32_t ring_base,
		      uint32_t ring_size, bool poll);
int mgpu_engine_start_default(struct mgpu_engine *e, const struct mgpu_regs *regs,
			      volatile void *vram, uint64_t vram_size, bool poll);
int mgpu_engine_emit(struct mgpu_engine *e, const uint32_t *cmd, unsigned int dwords);
void mgpu_engine_submit(struct mgpu_engine *e);
uint64_t mgpu_engine_fence(struct mgpu_engine *e, bool irq);
int mgpu_engine_wait(struct mgpu_engine *e, uint64_t seq, unsigned int timeout_ms);
int mgpu_engine_idle(struct mgpu_engine *e, unsigned int timeout_ms);
uint32_t mgpu_engine_error(struct mgpu_engine *e);
void mgpu_engine_reset(struct mgpu_engine *e);
uint64_t mgpu_engine_completed(struct mgpu_engine *e);

/* Command builders: fill @c (at least MGPU_CMD_*_LEN dwords), return the length. */
unsigned int mgpu_cmd_fence(uint32_t *c, uint64_t addr, uint64_t value, bool irq);
unsigned int mgpu_cmd_fill(uint32_t *c, uint64_t dst, uint32_t pitch, uint32_t width,
			   uint32_t height, uint32_t value);
unsigned int mgpu_cmd_copy(uint32_t *c, uint64_t src, uint64_t dst, uint32_t src_pitch,
			   uint32_t dst_pitch, uint32_t width, uint32_t height);
unsigned int mgpu_cmd_checksum(uint32_t *c, uint64_t src, uint32_t bytes, uint64_t dst);
unsigned int mgpu_cmd_busy(uint32_t *c, uint32_t us);
unsigned int mgpu_cmd_call(uint32_t *c, uint64_t addr, uint32_t bytes);
unsigned int mgpu_cmd_return(uint32_t *c);
unsigned int mgpu_cmd_jump(uint32_t *c, uint64_t addr);
unsigned int mgpu_cmd_nop(uint32_t *c, unsigned int dwords);

#endif /* MGPU_ENGINE_LIB_H */
