/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * mgpu: the command engine of one context (a vGPU or a native context) — its register
 * window, its ring, and the execution of its commands in bounded steps. Pure logic with
 * no kernel dependency: the host-tier tests compile it in userspace and fuzz it.
 *
 * Every address a command names is a byte offset in the context's VRAM partition; the
 * engine bounds-checks it against the partition and translates it through the chunk
 * table before touching memory, so a context can reach nothing but its own VRAM.
 * Commands are copied out of VRAM before they are checked (the guest may rewrite the
 * ring at any moment). A step does a bounded amount of work (MGPU_ENG_STEP_BYTES of data
 * or MGPU_ENG_STEP_NS of BUSY) and keeps its progress in struct mgpu_eng, which is the
 * whole saved context: the scheduler may switch contexts between any two steps.
 *
 * The caller serialises all calls on one struct mgpu_eng.
 */
#ifndef MGPU_ENGINE_H
#define MGPU_ENGINE_H

#include "cfgspace.h"	/* u8..u64 in both worlds */
#ifndef __KERNEL__
#include <stdbool.h>
#endif
#include "vram.h"	/* MGPU_CHUNK_SIZE */
#include <linux/mgpu.h>

#define MGPU_ENG_STEP_BYTES	(64 * 1024)	/* data one step moves at most */
#define MGPU_ENG_STEP_NS	100000ULL	/* BUSY time one step spends at most */
#define MGPU_ENG_CMD_MAX	16		/* longest command copied, in dwords */

/**
 * struct mgpu_eng_mem - the memory a context's commands may touch
 * @base: the GPU's whole VRAM as the host maps it
 * @chunks: the partition's translation table (partition chunk -> GPU chunk)
 * @nr_chunks: entries in @chunks
 * @size: bytes in the partition (@nr_chunks * MGPU_CHUNK_SIZE)
 */
struct mgpu_eng_mem {
	u8 *base;
	const u32 *chunks;
	u32 nr_chunks;
	u64 size;
};

/**
 * struct mgpu_eng_ops - what the engine needs from its caller
 * @now_ns: a monotonic clock in nanoseconds (BUSY and the watchdog use it)
 * @irq: the engine's interrupt line changed: @level is true while
 *	(irq_status & irq_mask) != 0
 */
struct mgpu_eng_ops {
	u64 (*now_ns)(void *priv);
	void (*irq)(void *priv, int level);
};

/**
 * struct mgpu_eng_frame - one batch buffer being executed
 * @start: partition offset of the batch's first byte
 * @end: partition offset just past the batch
 * @pos: partition offset of the next command
 */
struct mgpu_eng_frame {
	u64 start;
	u64 end;
	u64 pos;
};

/**
 * struct mgpu_eng_stats - counters of one context (never reset but by mgpu_eng_init)
 * @commands: commands completed (ring and batch)
 * @fences: FENCE commands completed
 * @bytes: bytes written by FILL, COPY and read by CHECKSUM
 * @busy_ns: time spent in steps (measured with @now_ns around each step)
 * @errors: times the engine entered the error state
 * @watchdogs: of @errors, those caused by the watchdog
 * @resets: engine resets (register or mgpu_eng_reset())
 */
struct mgpu_eng_stats {
	u64 commands;
	u64 fences;
	u64 bytes;
	u64 busy_ns;
	u64 errors;
	u64 watchdogs;
	u64 resets;
};

/**
 * struct mgpu_eng - one context's engine state: registers and saved execution state
 * @mem: its memory
 * @ops: its caller's callbacks
 * @priv: passed to @ops
 * @watchdog_ns: engine time one ring command (with the batches it calls) may take
 * @stats: counters
 *
 * The remaining fields are the implementation's: the register file, the latched ring
 * configuration, the command being executed and its progress, and the batch stack.
 */
struct mgpu_eng {
	const struct mgpu_eng_mem *mem;
	const struct mgpu_eng_ops *ops;
	void *priv;
	u64 watchdog_ns;
	struct mgpu_eng_stats stats;

	/* registers */
	u32 ring_base;
	u32 ring_size;
	u32 ctrl_base;
	u32 control;
	u32 head;
	u32 tail;
	u32 status;
	u32 error;
	u64 error_addr;
	u64 fence;
	u32 irq_status;
	u32 irq_mask;

	/* execution state */
	bool active;			/* cmd[] holds a command in progress */
	u32 cmd[MGPU_ENG_CMD_MAX];	/* the command being executed, copied */
	u64 cmd_addr;			/* its partition offset */
	u32 cmd_next;			/* ring offset after it (ring commands) */
	u64 progress;			/* bytes or ns of it already done */
	u32 crc;			/* CHECKSUM: CRC so far */
	u64 ring_cmd_ns;		/* engine time of the current ring command */
	unsigned int depth;		/* batch frames in use */
	struct mgpu_eng_frame frames[MGPU_CMD_CALL_DEPTH];
};

/**
 * struct mgpu_eng_exec - how a GPU executes its contexts' work, one bounded step at a
 *	time: the seam between the scheduler (shared by every backend) and the engine
 * @name: shown in logs ("soft": the software engine of mdev/engine.c)
 * @pending: as mgpu_eng_pending()
 * @step: as mgpu_eng_step()
 *
 * Both reference backends execute in software on the host (mgpu_eng_soft); a hardware
 * backend would submit each step to its own rings, keeping the register window, the
 * validation and the scheduler.
 */
struct mgpu_eng_exec {
	const char *name;
	bool (*pending)(struct mgpu_eng *eng);
	int (*step)(struct mgpu_eng *eng);
};

extern const struct mgpu_eng_exec mgpu_eng_soft;

/**
 * mgpu_eng_init - bring a context's engine to power-on state, counters zeroed
 * @eng: the engine
 * @mem: the memory its commands may touch (must outlive @eng)
 * @ops: callbacks
 * @priv: passed to @ops
 * @watchdog_ns: engine time one ring command may take before the error state
 */
void mgpu_eng_init(struct mgpu_eng *eng, const struct mgpu_eng_mem *mem,
		   const struct mgpu_eng_ops *ops, void *priv, u64 watchdog_ns);

/**
 * mgpu_eng_reset - power-on state of the registers and execution state; counters
 *	are kept (stats.resets counts it). Lowers the interrupt line.
 * @eng: the engine
 */
void mgpu_eng_reset(struct mgpu_eng *eng);

/**
 * mgpu_eng_reg_read - a 32-bit read of the register window
 * @eng: the engine
 * @off: byte offset, 4-aligned, below MGPU_ENG_SIZE
 *
 * Return: the register's value; unknown offsets read as 0.
 */
u32 mgpu_eng_reg_read(struct mgpu_eng *eng, u32 off);

/**
 * mgpu_eng_reg_write - a 32-bit write of the register window
 * @eng: the engine
 * @off: byte offset, 4-aligned, below MGPU_ENG_SIZE
 * @val: the value
 *
 * Unknown and read-only offsets ignore writes. Writing CONTROL with ENABLE checks the
 * ring configuration and enters the error state (MGPU_ENG_ERR_RING) if it is invalid.
 *
 * Return: true if the write may have made work runnable (a doorbell, an enable, a
 * reset); the caller then wakes its scheduler.
 */
bool mgpu_eng_reg_write(struct mgpu_eng *eng, u32 off, u32 val);

/**
 * mgpu_eng_pending - whether the context has work to run
 * @eng: the engine
 *
 * Enabled, not in the error state, and a command in progress or head != tail. In poll
 * mode this reads the tail from the control block in VRAM (an invalid tail there
 * enters the error state and returns false).
 */
bool mgpu_eng_pending(struct mgpu_eng *eng);

/**
 * mgpu_eng_step - execute one bounded step of the context's work
 * @eng: the engine
 *
 * Return: 1 when it did some work, 0 when there was nothing to do, or -1 when the
 * context is (or has just entered) the error state.
 */
int mgpu_eng_step(struct mgpu_eng *eng);

/**
 * mgpu_eng_err_name - a short name for an error code ("range", "watchdog", ...)
 * @err: MGPU_ENG_ERR_*
 *
 * Return: the name, "none" for MGPU_ENG_ERR_NONE, "unknown" for anything else.
 */
const char *mgpu_eng_err_name(u32 err);

/**
 * mgpu_eng_crc32 - the CRC a CHECKSUM command writes (zlib's crc32, IEEE 802.3)
 * @crc: the CRC so far (0 to start)
 * @buf: bytes
 * @len: their number
 *
 * Return: the CRC including @buf.
 */
u32 mgpu_eng_crc32(u32 crc, const u8 *buf, u64 len);

#endif /* MGPU_ENGINE_H */
