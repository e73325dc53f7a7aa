// SPDX-License-Identifier: GPL-2.0-only
/*
 * mgpu: the command engine of one context — register window, ring, batch buffers and
 * the execution of commands in bounded steps, on the context's VRAM partition only.
 *
 * Choices where the ABI (include/uapi/linux/mgpu.h) leaves room:
 *  - RING_BASE, RING_SIZE and CTRL_BASE are writable only while the engine is disabled;
 *    the write that sets ENABLE latches them together with the POLL mode. A CONTROL
 *    write that keeps ENABLE set changes nothing. Only CONTROL's ENABLE and POLL bits
 *    are stored.
 *  - The error state is sticky: CONTROL and TAIL writes are ignored in it, and only
 *    RESET (the register or mgpu_eng_reset()) leaves it. A failed enable leaves ENABLE
 *    clear. Errors of the ring configuration or of a tail report error_addr 0.
 *  - A TAIL write is ignored while disabled. In poll mode its value is ignored but it
 *    still returns true, so a guest may use it as a pure wake-up. The guest must set the
 *    control block's tail (to 0) before enabling in poll mode; pending() reads it.
 *  - STATUS is BUSY while enabled, not in error, and a command is in progress or head
 *    differs from the (last read) tail. ERROR_ADDR reads the low 32 bits of
 *    error_addr, which are all of it since a partition holds at most 4 GiB.
 *  - A header is checked before the command is copied: an unknown opcode is
 *    ERR_OPCODE, then a length of 0 or not the opcode's is ERR_LENGTH, then a command
 *    running past the tail (ring) or its frame's end (batch) is ERR_LENGTH.
 *  - Argument checks go alignment, then sizes (ERR_ARG), then ranges, then overlap or
 *    depth; COPY checks its source rectangle before its destination. An empty FILL or
 *    COPY rectangle (width or height 0) is a no-op once its alignment checks pass.
 *  - FILL stores whole dwords: dst, pitch and width must all be multiples of 4 (pitch
 *    too, even for one row), so every row starts on a dword. COPY and CHECKSUM take
 *    any alignment.
 *  - A CALL completes (stats.commands, head advance) when its batch returns, so head
 *    passes a ring CALL only once its batches are done; RETURN and JUMP complete at
 *    once. Reaching a frame's end returns as RETURN does.
 *  - A step ends when it has moved MGPU_ENG_STEP_BYTES, spent MGPU_ENG_STEP_NS in
 *    BUSY, or fetched ENG_STEP_CMDS commands (an implicit return counts as one), so
 *    even a JUMP loop yields. The step's whole duration is added to ring_cmd_ns, so a
 *    ring command that started mid-step is charged at most one step too much. The
 *    watchdog (ring_cmd_ns > watchdog_ns) fires only on a ring command still in
 *    progress after a step, and reports the ring command (ring_base + head): a JUMP
 *    loop is blamed on the ring CALL that entered it. A watchdog_ns of 0 is not
 *    special: every ring command must then finish within its first step.
 *  - The control block (when latched) is written after every step and register write
 *    that may change it, and once more when the engine is disabled.
 *  - Values in VRAM are little endian; the host is too (x86), so they are plain copies.
 *
 * engine.h documents the exported functions.
 */
#ifdef __KERNEL__
#include <linux/array_size.h>
#include <linux/stddef.h>
#include <linux/string.h>
#else
#include <stddef.h>
#include <string.h>
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif

#include "engine.h"

#define ENG_STEP_CMDS		64	/* commands one step fetches at most */
#define ENG_NR_OPS		(MGPU_CMD_JUMP + 1)
#define ENG_IRQ_ALL		(MGPU_ENG_IRQ_FENCE | MGPU_ENG_IRQ_ERROR)
#define ENG_RING_ALIGN		0x1000
#define ENG_CTRL_ALIGN		64

/* What a command handler did; on ENG_FAIL the engine is in the error state. */
enum {
	ENG_DONE,	/* the command completed: count it and advance past it */
	ENG_MORE,	/* the step's budget ran out: continue it in the next step */
	ENG_FAIL,
	ENG_FLOW,	/* CALL, RETURN, JUMP: the handler moved on by itself */
};

/* What one step may still do. */
struct eng_budget {
	u64 bytes;
	u64 ns;
	unsigned int cmds;
};

static const u32 eng_crc_table[256] = {
	0x00000000, 0x77073096, 0xee0e612c, 0x990951ba, 0x076dc419, 0x706af48f,
	0xe963a535, 0x9e6495a3, 0x0edb8832, 0x79dcb8a4, 0xe0d5e91e, 0x97d2d988,
	0x09b64c2b, 0x7eb17cbd, 0xe7b82d07, 0x90bf1d91, 0x1db71064, 0x6ab020f2,
	0xf3b97148, 0x84be41de, 0x1adad47d, 0x6ddde4eb, 0xf4d4b551, 0x83d385c7,
	0x136c9856, 0x646ba8c0, 0xfd62f97a, 0x8a65c9ec, 0x14015c4f, 0x63066cd9,
	0xfa0f3d63, 0x8d080df5, 0x3b6e20c8, 0x4c69105e, 0xd56041e4, 0xa2677172,
	0x3c03e4d1, 0x4b04d447, 0xd20d85fd, 0xa50ab56b, 0x35b5a8fa, 0x42b2986c,
	0xdbbbc9d6, 0xacbcf940, 0x32d86ce3, 0x45df5c75, 0xdcd60dcf, 0xabd13d59,
	0x26d930ac, 0x51de003a, 0xc8d75180, 0xbfd06116, 0x21b4f4b5, 0x56b3c423,
	0xcfba9599, 0xb8bda50f, 0x2802b89e, 0x5f058808, 0xc60cd9b2, 0xb10be924,
	0x2f6f7c87, 0x58684c11, 0xc1611dab, 0xb6662d3d, 0x76dc4190, 0x01db7106,
	0x98d220bc, 0xefd5102a, 0x71b18589, 0x06b6b51f, 0x9fbfe4a5, 0xe8b8d433,
	0x7807c9a2, 0x0f00f934, 0x9609a88e, 0xe10e9818, 0x7f6a0dbb, 0x086d3d2d,
	0x91646c97, 0xe6635c01, 0x6b6b51f4, 0x1c6c6162, 0x856530d8, 0xf262004e,
	0x6c0695ed, 0x1b01a57b, 0x8208f4c1, 0xf50fc457, 0x65b0d9c6, 0x12b7e950,
	0x8bbeb8ea, 0xfcb9887c, 0x62dd1ddf, 0x15da2d49, 0x8cd37cf3, 0xfbd44c65,
	0x4db26158, 0x3ab551ce, 0xa3bc0074, 0xd4bb30e2, 0x4adfa541, 0x3dd895d7,
	0xa4d1c46d, 0xd3d6f4fb, 0x4369e96a, 0x346ed9fc, 0xad678846, 0xda60b8d0,
	0x44042d73, 0x33031de5, 0xaa0a4c5f, 0xdd0d7cc9, 0x5005713c, 0x270241aa,
	0xbe0b1010, 0xc90c2086, 0x5768b525, 0x206f85b3, 0xb966d409, 0xce61e49f,
	0x5edef90e, 0x29d9c998, 0xb0d09822, 0xc7d7a8b4, 0x59b33d17, 0x2eb40d81,
	0xb7bd5c3b, 0xc0ba6cad, 0xedb88320, 0x9abfb3b6, 0x03b6e20c, 0x74b1d29a,
	0xead54739, 0x9dd277af, 0x04db2615, 0x73dc1683, 0xe3630b12, 0x94643b84,
	0x0d6d6a3e, 0x7a6a5aa8, 0xe40ecf0b, 0x9309ff9d, 0x0a00ae27, 0x7d079eb1,
	0xf00f9344, 0x8708a3d2, 0x1e01f268, 0x6906c2fe, 0xf762575d, 0x806567cb,
	0x196c3671, 0x6e6b06e7, 0xfed41b76, 0x89d32be0, 0x10da7a5a, 0x67dd4acc,
	0xf9b9df6f, 0x8ebeeff9, 0x17b7be43, 0x60b08ed5, 0xd6d6a3e8, 0xa1d1937e,
	0x38d8c2c4, 0x4fdff252, 0xd1bb67f1, 0xa6bc5767, 0x3fb506dd, 0x48b2364b,
	0xd80d2bda, 0xaf0a1b4c, 0x36034af6, 0x41047a60, 0xdf60efc3, 0xa867df55,
	0x316e8eef, 0x4669be79, 0xcb61b38c, 0xbc66831a, 0x256fd2a0, 0x5268e236,
	0xcc0c7795, 0xbb0b4703, 0x220216b9, 0x5505262f, 0xc5ba3bbe, 0xb2bd0b28,
	0x2bb45a92, 0x5cb36a04, 0xc2d7ffa7, 0xb5d0cf31, 0x2cd99e8b, 0x5bdeae1d,
	0x9b64c2b0, 0xec63f226, 0x756aa39c, 0x026d930a, 0x9c0906a9, 0xeb0e363f,
	0x72076785, 0x05005713, 0x95bf4a82, 0xe2b87a14, 0x7bb12bae, 0x0cb61b38,
	0x92d28e9b, 0xe5d5be0d, 0x7cdcefb7, 0x0bdbdf21, 0x86d3d2d4, 0xf1d4e242,
	0x68ddb3f8, 0x1fda836e, 0x81be16cd, 0xf6b9265b, 0x6fb077e1, 0x18b74777,
	0x88085ae6, 0xff0f6a70, 0x66063bca, 0x11010b5c, 0x8f659eff, 0xf862ae69,
	0x616bffd3, 0x166ccf45, 0xa00ae278, 0xd70dd2ee, 0x4e048354, 0x3903b3c2,
	0xa7672661, 0xd06016f7, 0x4969474d, 0x3e6e77db, 0xaed16a4a, 0xd9d65adc,
	0x40df0b66, 0x37d83bf0, 0xa9bcae53, 0xdebb9ec5, 0x47b2cf7f, 0x30b5ffe9,
	0xbdbdf21c, 0xcabac28a, 0x53b39330, 0x24b4a3a6, 0xbad03605, 0xcdd70693,
	0x54de5729, 0x23d967bf, 0xb3667a2e, 0xc4614ab8, 0x5d681b02, 0x2a6f2b94,
	0xb40bbe37, 0xc30c8ea1, 0x5a05df1b, 0x2d02ef8d,
};

static const char * const eng_err_names[] = {
	[MGPU_ENG_ERR_NONE] = "none",
	[MGPU_ENG_ERR_OPCODE] = "opcode",
	[MGPU_ENG_ERR_LENGTH] = "length",
	[MGPU_ENG_ERR_RANGE] = "range",
	[MGPU_ENG_ERR_ALIGN] = "align",
	[MGPU_ENG_ERR_ARG] = "arg",
	[MGPU_ENG_ERR_OVERLAP] = "overlap",
	[MGPU_ENG_ERR_DEPTH] = "depth",
	[MGPU_ENG_ERR_WATCHDOG] = "watchdog",
	[MGPU_ENG_ERR_RING] = "ring",
	[MGPU_ENG_ERR_JUMP] = "jump",
};

/* Exact length in dwords of each opcode; 0 for NOP (any length >= 1). */
static const u8 eng_cmd_len[ENG_NR_OPS] = {
	[MGPU_CMD_FENCE] = MGPU_CMD_FENCE_LEN,
	[MGPU_CMD_FILL] = MGPU_CMD_FILL_LEN,
	[MGPU_CMD_COPY] = MGPU_CMD_COPY_LEN,
	[MGPU_CMD_CHECKSUM] = MGPU_CMD_CHECKSUM_LEN,
	[MGPU_CMD_BUSY] = MGPU_CMD_BUSY_LEN,
	[MGPU_CMD_CALL] = MGPU_CMD_CALL_LEN,
	[MGPU_CMD_RETURN] = MGPU_CMD_RETURN_LEN,
	[MGPU_CMD_JUMP] = MGPU_CMD_JUMP_LEN,
};

u32 mgpu_eng_crc32(u32 crc, const u8 *buf, u64 len)
{
	crc = ~crc;
	while (len--)
		crc = eng_crc_table[(crc ^ *buf++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

const char *mgpu_eng_err_name(u32 err)
{
	if (err >= ARRAY_SIZE(eng_err_names))
		return "unknown";
	return eng_err_names[err];
}

/* ======== Partition memory ======== */

static inline u64 eng_min(u64 a, u64 b)
{
	return a < b ? a : b;
}

/* Bytes the partition holds, never more than its translation table covers. */
static u64 eng_size(const struct mgpu_eng *eng)
{
	return eng_min(eng->mem->size, (u64)eng->mem->nr_chunks << MGPU_CHUNK_SHIFT);
}

/* Whether [@off, @off + @len) lies in the partition; safe for any u64 values. */
static bool eng_in_range(const struct mgpu_eng *eng, u64 off, u64 len)
{
	u64 size = eng_size(eng);

	return off <= size && len <= size - off;
}

/* The host address of partition offset @off, and how many bytes follow it in its chunk. */
static u8 *eng_ptr(const struct mgpu_eng *eng, u64 off, u64 *left)
{
	*left = MGPU_CHUNK_SIZE - (off & (MGPU_CHUNK_SIZE - 1));
	return eng->mem->base + mgpu_vram_translate(eng->mem->chunks, off);
}

/* The mem_*() helpers take ranges the caller has checked with eng_in_range(). */
static void mem_read(const struct mgpu_eng *eng, u64 off, void *buf, u64 len)
{
	u8 *dst = buf;
	u64 left, n;

	while (len) {
		const u8 *src = eng_ptr(eng, off, &left);

		n = eng_min(len, left);
		memcpy(dst, src, n);
		dst += n;
		off += n;
		len -= n;
	}
}

static void mem_write(const struct mgpu_eng *eng, u64 off, const void *buf, u64 len)
{
	const u8 *src = buf;
	u64 left, n;

	while (len) {
		u8 *dst = eng_ptr(eng, off, &left);

		n = eng_min(len, left);
		memcpy(dst, src, n);
		src += n;
		off += n;
		len -= n;
	}
}

/* Store @val at every dword of [@off, @off + @len); both 4-aligned. */
static void mem_fill32(const struct mgpu_eng *eng, u64 off, u64 len, u32 val)
{
	u64 left, n, i;

	while (len) {
		u8 *dst = eng_ptr(eng, off, &left);

		n = eng_min(len, left);
		for (i = 0; i + 4 <= n; i += 4)
			memcpy(dst + i, &val, 4);
		off += n;
		len -= n;
	}
}

static void mem_move(const struct mgpu_eng *eng, u64 dst, u64 src, u64 len)
{
	u64 sleft, dleft, n;

	while (len) {
		const u8 *s = eng_ptr(eng, src, &sleft);
		u8 *d = eng_ptr(eng, dst, &dleft);

		n = eng_min(len, eng_min(sleft, dleft));
		memmove(d, s, n);
		src += n;
		dst += n;
		len -= n;
	}
}

static u32 mem_crc32(const struct mgpu_eng *eng, u64 off, u64 len, u32 crc)
{
	u64 left, n;

	while (len) {
		const u8 *src = eng_ptr(eng, off, &left);

		n = eng_min(len, left);
		crc = mgpu_eng_crc32(crc, src, n);
		off += n;
		len -= n;
	}
	return crc;
}

/* ======== State, interrupts, control block ======== */

static bool eng_enabled(const struct mgpu_eng *eng)
{
	return eng->control & MGPU_ENG_CONTROL_ENABLE;
}

static bool eng_has_work(const struct mgpu_eng *eng)
{
	return eng->active || eng->depth || eng->head != eng->tail;
}

static u32 eng_status(const struct mgpu_eng *eng)
{
	u32 status = 0;

	if (eng_enabled(eng))
		status |= MGPU_ENG_STATUS_ENABLED;
	if (eng->error)
		status |= MGPU_ENG_STATUS_ERROR;
	else if (eng_enabled(eng) && eng_has_work(eng))
		status |= MGPU_ENG_STATUS_BUSY;
	return status;
}

/* Set the interrupt registers and tell the caller if the line changed. */
static void eng_irq_set(struct mgpu_eng *eng, u32 status, u32 mask)
{
	bool was = eng->irq_status & eng->irq_mask;
	bool now = status & mask;

	eng->irq_status = status;
	eng->irq_mask = mask;
	if (was != now && eng->ops->irq)
		eng->ops->irq(eng->priv, now);
}

/* Write head, fence, status and error to the control block (its tail is the guest's). */
static void eng_mirror(struct mgpu_eng *eng)
{
	u64 base = eng->ctrl_base;

	mem_write(eng, base + offsetof(struct mgpu_eng_ctrl, head), &eng->head, 4);
	mem_write(eng, base + offsetof(struct mgpu_eng_ctrl, fence), &eng->fence, 8);
	mem_write(eng, base + offsetof(struct mgpu_eng_ctrl, status), &eng->status, 4);
	mem_write(eng, base + offsetof(struct mgpu_eng_ctrl, error), &eng->error, 4);
}

/* Bring STATUS and the control block (if latched) up to date. */
static void eng_sync(struct mgpu_eng *eng)
{
	eng->status = eng_status(eng);
	if (eng_enabled(eng) && eng->ctrl_base)
		eng_mirror(eng);
}

/* Forget the command in progress and the batch stack. */
static void eng_abandon(struct mgpu_eng *eng)
{
	eng->active = false;
	eng->progress = 0;
	eng->crc = 0;
	eng->depth = 0;
}

static void eng_fail(struct mgpu_eng *eng, u32 err, u64 addr)
{
	eng->error = err;
	eng->error_addr = addr;
	eng_abandon(eng);
	eng->stats.errors++;
	if (err == MGPU_ENG_ERR_WATCHDOG)
		eng->stats.watchdogs++;
	eng_irq_set(eng, eng->irq_status | MGPU_ENG_IRQ_ERROR, eng->irq_mask);
	eng_sync(eng);
}

/* Fail the command in cmd[]; for command handlers. */
static int eng_cmd_fail(struct mgpu_eng *eng, u32 err)
{
	eng_fail(eng, err, eng->cmd_addr);
	return ENG_FAIL;
}

/* ======== Registers ======== */

void mgpu_eng_init(struct mgpu_eng *eng, const struct mgpu_eng_mem *mem,
		   const struct mgpu_eng_ops *ops, void *priv, u64 watchdog_ns)
{
	memset(eng, 0, sizeof(*eng));
	eng->mem = mem;
	eng->ops = ops;
	eng->priv = priv;
	eng->watchdog_ns = watchdog_ns;
}

void mgpu_eng_reset(struct mgpu_eng *eng)
{
	struct mgpu_eng_stats stats = eng->stats;

	eng_irq_set(eng, 0, 0);
	mgpu_eng_init(eng, eng->mem, eng->ops, eng->priv, eng->watchdog_ns);
	eng->stats = stats;
	eng->stats.resets++;
}

u32 mgpu_eng_reg_read(struct mgpu_eng *eng, u32 off)
{
	switch (off) {
	case MGPU_ENG_ID:
		return MGPU_ENG_MAGIC;
	case MGPU_ENG_VERSION:
		return MGPU_ENG_ABI_VERSION;
	case MGPU_ENG_CAPS:
		return MGPU_ENG_CAP_POLL | MGPU_ENG_CAP_BATCH | MGPU_ENG_CAP_IRQ;
	case MGPU_ENG_VRAM_MB:
		return eng_size(eng) >> 20;
	case MGPU_ENG_RING_BASE:
		return eng->ring_base;
	case MGPU_ENG_RING_SIZE:
		return eng->ring_size;
	case MGPU_ENG_CTRL_BASE:
		return eng->ctrl_base;
	case MGPU_ENG_CONTROL:
		return eng->control;
	case MGPU_ENG_HEAD:
		return eng->head;
	case MGPU_ENG_TAIL:
		return eng->tail;
	case MGPU_ENG_STATUS:
		return eng_status(eng);
	case MGPU_ENG_ERROR:
		return eng->error;
	case MGPU_ENG_ERROR_ADDR:
		return (u32)eng->error_addr;
	case MGPU_ENG_FENCE_LO:
		return (u32)eng->fence;
	case MGPU_ENG_FENCE_HI:
		return eng->fence >> 32;
	case MGPU_ENG_IRQ_STATUS:
		return eng->irq_status;
	case MGPU_ENG_IRQ_MASK:
		return eng->irq_mask;
	default:
		return 0;
	}
}

/* Whether the ring configuration, enabled with @control, is usable. */
static bool eng_config_ok(const struct mgpu_eng *eng, u32 control)
{
	u64 size = eng_size(eng);
	u32 rs = eng->ring_size;

	if (eng->ring_base & (ENG_RING_ALIGN - 1) || rs & (rs - 1) ||
	    rs < MGPU_ENG_RING_MIN || rs > MGPU_ENG_RING_MAX ||
	    (u64)eng->ring_base + rs > size)
		return false;
	if (!eng->ctrl_base)
		return !(control & MGPU_ENG_CONTROL_POLL);
	return !(eng->ctrl_base & (ENG_CTRL_ALIGN - 1)) &&
	       (u64)eng->ctrl_base + sizeof(struct mgpu_eng_ctrl) <= size;
}

static void eng_enable(struct mgpu_eng *eng, u32 control)
{
	if (!eng_config_ok(eng, control)) {
		eng->control = control & ~MGPU_ENG_CONTROL_ENABLE;
		eng_fail(eng, MGPU_ENG_ERR_RING, 0);
		return;
	}
	eng->control = control;
	eng->head = 0;
	eng->tail = 0;
	eng->ring_cmd_ns = 0;
	eng_abandon(eng);
}

static void eng_disable(struct mgpu_eng *eng, u32 control)
{
	eng->control = control;
	eng_abandon(eng);
	eng->status = eng_status(eng);
	if (eng->ctrl_base)
		eng_mirror(eng);
}

static void eng_control_write(struct mgpu_eng *eng, u32 val)
{
	u32 control = val & (MGPU_ENG_CONTROL_ENABLE | MGPU_ENG_CONTROL_POLL);

	if (eng->error)
		return;
	if (eng_enabled(eng)) {
		if (!(control & MGPU_ENG_CONTROL_ENABLE))
			eng_disable(eng, control);
	} else if (control & MGPU_ENG_CONTROL_ENABLE) {
		eng_enable(eng, control);
	} else {
		eng->control = control;
	}
}

/* Take a new tail, or enter the error state if it is not a dword in the ring. */
static bool eng_set_tail(struct mgpu_eng *eng, u32 tail)
{
	if (tail & 3 || tail >= eng->ring_size) {
		eng_fail(eng, MGPU_ENG_ERR_RING, 0);
		return false;
	}
	eng->tail = tail;
	return true;
}

static void eng_config_write(struct mgpu_eng *eng, u32 *reg, u32 val)
{
	if (!eng_enabled(eng))
		*reg = val;
}

bool mgpu_eng_reg_write(struct mgpu_eng *eng, u32 off, u32 val)
{
	bool kick = false;

	switch (off) {
	case MGPU_ENG_RING_BASE:
		eng_config_write(eng, &eng->ring_base, val);
		break;
	case MGPU_ENG_RING_SIZE:
		eng_config_write(eng, &eng->ring_size, val);
		break;
	case MGPU_ENG_CTRL_BASE:
		eng_config_write(eng, &eng->ctrl_base, val);
		break;
	case MGPU_ENG_CONTROL:
		eng_control_write(eng, val);
		kick = true;
		break;
	case MGPU_ENG_TAIL:
		if (!eng->error && eng_enabled(eng) &&
		    !(eng->control & MGPU_ENG_CONTROL_POLL))
			eng_set_tail(eng, val);
		kick = true;
		break;
	case MGPU_ENG_IRQ_STATUS:
		eng_irq_set(eng, eng->irq_status & ~val, eng->irq_mask);
		break;
	case MGPU_ENG_IRQ_MASK:
		eng_irq_set(eng, eng->irq_status, val & ENG_IRQ_ALL);
		break;
	case MGPU_ENG_RESET:
		if (val != MGPU_ENG_RESET_MAGIC)
			return false;
		mgpu_eng_reset(eng);
		return true;
	default:
		return false;
	}
	eng_sync(eng);
	return kick;
}

/* ======== Fetching commands ======== */

/* Check a command header against the room @avail (bytes) it has; MGPU_ENG_ERR_*. */
static u32 eng_check_header(u32 hdr, u64 avail)
{
	u32 op = MGPU_CMD_OP(hdr), len = MGPU_CMD_LEN(hdr);

	if (op >= ENG_NR_OPS)
		return MGPU_ENG_ERR_OPCODE;
	if (!len || (op != MGPU_CMD_NOP && len != eng_cmd_len[op]))
		return MGPU_ENG_ERR_LENGTH;
	if ((u64)len * 4 > avail)
		return MGPU_ENG_ERR_LENGTH;
	return MGPU_ENG_ERR_NONE;
}

/* Bytes of the command in cmd[] worth copying: all of it, or a NOP's header. */
static u32 eng_copy_bytes(const struct mgpu_eng *eng)
{
	if (MGPU_CMD_OP(eng->cmd[0]) == MGPU_CMD_NOP)
		return 4;
	return MGPU_CMD_LEN(eng->cmd[0]) * 4;
}

/* Read @len bytes of the ring from ring offset @roff, wrapping at its end. */
static void ring_read(struct mgpu_eng *eng, u32 roff, void *buf, u32 len)
{
	u32 first = eng_min(len, eng->ring_size - roff);

	mem_read(eng, eng->ring_base + roff, buf, first);
	mem_read(eng, eng->ring_base, (u8 *)buf + first, len - first);
}

/* Start the ring command at head: a new ring command, so a new watchdog account. */
static void eng_fetch_ring(struct mgpu_eng *eng)
{
	u32 mask = eng->ring_size - 1;
	u32 err;

	eng->ring_cmd_ns = 0;
	eng->cmd_addr = (u64)eng->ring_base + eng->head;
	ring_read(eng, eng->head, &eng->cmd[0], 4);
	err = eng_check_header(eng->cmd[0], (eng->tail - eng->head) & mask);
	if (err) {
		eng_cmd_fail(eng, err);
		return;
	}
	ring_read(eng, (eng->head + 4) & mask, &eng->cmd[1], eng_copy_bytes(eng) - 4);
	eng->cmd_next = (eng->head + MGPU_CMD_LEN(eng->cmd[0]) * 4) & mask;
	eng->active = true;
}

/* Move past a completed command of @bytes at the current level: a batch, or the ring. */
static void eng_advance(struct mgpu_eng *eng, u32 bytes)
{
	if (eng->depth)
		eng->frames[eng->depth - 1].pos += bytes;
	else
		eng->head = (eng->head + bytes) & (eng->ring_size - 1);
}

/* Leave the batch on top: the CALL that entered it completes, one level up. */
static void eng_pop(struct mgpu_eng *eng)
{
	eng->depth--;
	eng->stats.commands++;
	eng_advance(eng, MGPU_CMD_CALL_LEN * 4);
}

/* Start the next command of the batch on top, or return from it at its end. */
static void eng_fetch_batch(struct mgpu_eng *eng)
{
	struct mgpu_eng_frame *f = &eng->frames[eng->depth - 1];
	u32 err;

	if (f->pos >= f->end) {
		eng_pop(eng);
		return;
	}
	eng->cmd_addr = f->pos;
	mem_read(eng, f->pos, &eng->cmd[0], 4);
	err = eng_check_header(eng->cmd[0], f->end - f->pos);
	if (err) {
		eng_cmd_fail(eng, err);
		return;
	}
	mem_read(eng, f->pos + 4, &eng->cmd[1], eng_copy_bytes(eng) - 4);
	eng->active = true;
}

/* ======== Commands ======== */

static u64 cmd_u64(const struct mgpu_eng *eng, unsigned int i)
{
	return eng->cmd[i] | (u64)eng->cmd[i + 1] << 32;
}

/* Account @n bytes of the data command in progress. */
static void eng_moved(struct mgpu_eng *eng, struct eng_budget *b, u64 n)
{
	eng->progress += n;
	eng->stats.bytes += n;
	b->bytes -= n;
}

static int eng_fence(struct mgpu_eng *eng)
{
	u64 addr = cmd_u64(eng, 1), val = cmd_u64(eng, 3);

	if (addr & 7)
		return eng_cmd_fail(eng, MGPU_ENG_ERR_ALIGN);
	if (!eng_in_range(eng, addr, 8))
		return eng_cmd_fail(eng, MGPU_ENG_ERR_RANGE);
	mem_write(eng, addr, &val, 8);
	eng->fence = val;
	eng->stats.fences++;
	if (MGPU_CMD_FLAGS(eng->cmd[0]) & MGPU_CMD_FLAG_IRQ)
		eng_irq_set(eng, eng->irq_status | MGPU_ENG_IRQ_FENCE, eng->irq_mask);
	return ENG_DONE;
}

/* Check a non-empty rectangle of @height rows of @width bytes, @pitch apart. */
static u32 eng_check_rect(const struct mgpu_eng *eng, u64 addr, u32 pitch, u32 width,
			  u32 height)
{
	/* At most (2^32 - 1)^2 + 2^32 - 1 < 2^64: no overflow. */
	u64 extent = (u64)(height - 1) * pitch + width;

	if (height > 1 && pitch < width)
		return MGPU_ENG_ERR_ARG;
	if (!eng_in_range(eng, addr, extent))
		return MGPU_ENG_ERR_RANGE;
	return MGPU_ENG_ERR_NONE;
}

/* Where eng->progress stands in a rectangle of rows @width bytes wide. */
static void eng_rect_pos(const struct mgpu_eng *eng, u32 width, u64 *row, u64 *col)
{
	*row = eng->progress / width;
	*col = eng->progress % width;
}

/* FILL's rows from eng->progress on; every run is whole dwords. */
static int eng_fill_rows(struct mgpu_eng *eng, struct eng_budget *b)
{
	u64 dst = cmd_u64(eng, 1), total, row, col, n;
	u32 pitch = eng->cmd[3], width = eng->cmd[4];

	total = (u64)width * eng->cmd[5];
	while (eng->progress < total) {
		eng_rect_pos(eng, width, &row, &col);
		n = eng_min(width - col, b->bytes & ~3ULL);
		if (!n) {
			b->bytes = 0;
			return ENG_MORE;
		}
		mem_fill32(eng, dst + row * pitch + col, n, eng->cmd[6]);
		eng_moved(eng, b, n);
	}
	return ENG_DONE;
}

static int eng_fill(struct mgpu_eng *eng, struct eng_budget *b)
{
	u64 dst = cmd_u64(eng, 1);
	u32 width = eng->cmd[4], height = eng->cmd[5];
	u32 err;

	if ((dst | eng->cmd[3] | width) & 3)
		return eng_cmd_fail(eng, MGPU_ENG_ERR_ALIGN);
	if (!width || !height)
		return ENG_DONE;
	err = eng_check_rect(eng, dst, eng->cmd[3], width, height);
	if (err)
		return eng_cmd_fail(eng, err);
	return eng_fill_rows(eng, b);
}

/* COPY's rows from eng->progress on. */
static int eng_copy_rows(struct mgpu_eng *eng, struct eng_budget *b)
{
	u64 src = cmd_u64(eng, 1), dst = cmd_u64(eng, 3), total, row, col, n;
	u32 spitch = eng->cmd[5], dpitch = eng->cmd[6], width = eng->cmd[7];

	total = (u64)width * eng->cmd[8];
	while (eng->progress < total) {
		if (!b->bytes)
			return ENG_MORE;
		eng_rect_pos(eng, width, &row, &col);
		n = eng_min(width - col, b->bytes);
		mem_move(eng, dst + row * dpitch + col, src + row * spitch + col, n);
		eng_moved(eng, b, n);
	}
	return ENG_DONE;
}

static int eng_copy(struct mgpu_eng *eng, struct eng_budget *b)
{
	u64 src = cmd_u64(eng, 1), dst = cmd_u64(eng, 3);
	u32 spitch = eng->cmd[5], dpitch = eng->cmd[6];
	u32 width = eng->cmd[7], height = eng->cmd[8];
	u64 sext, dext;
	u32 err;

	if (!width || !height)
		return ENG_DONE;
	err = eng_check_rect(eng, src, spitch, width, height);
	if (!err)
		err = eng_check_rect(eng, dst, dpitch, width, height);
	if (err)
		return eng_cmd_fail(eng, err);
	sext = (u64)(height - 1) * spitch + width;
	dext = (u64)(height - 1) * dpitch + width;
	if (src < dst + dext && dst < src + sext)
		return eng_cmd_fail(eng, MGPU_ENG_ERR_OVERLAP);
	return eng_copy_rows(eng, b);
}

static int eng_checksum(struct mgpu_eng *eng, struct eng_budget *b)
{
	u64 src = cmd_u64(eng, 1), dst = cmd_u64(eng, 4), n;
	u32 bytes = eng->cmd[3];

	if (dst & 3)
		return eng_cmd_fail(eng, MGPU_ENG_ERR_ALIGN);
	if (!eng_in_range(eng, src, bytes) || !eng_in_range(eng, dst, 4))
		return eng_cmd_fail(eng, MGPU_ENG_ERR_RANGE);
	n = eng_min(bytes - eng->progress, b->bytes);
	eng->crc = mem_crc32(eng, src + eng->progress, n, eng->crc);
	eng_moved(eng, b, n);
	if (eng->progress < bytes)
		return ENG_MORE;
	mem_write(eng, dst, &eng->crc, 4);
	return ENG_DONE;
}

/* Spin on the clock until the BUSY is done or the step's BUSY time is spent. */
static int eng_busy(struct mgpu_eng *eng, struct eng_budget *b)
{
	u64 total = (u64)eng->cmd[1] * 1000, want, start, spent;

	if (!eng->cmd[1] || eng->cmd[1] > MGPU_CMD_BUSY_MAX_US)
		return eng_cmd_fail(eng, MGPU_ENG_ERR_ARG);
	want = eng_min(total - eng->progress, b->ns);
	start = eng->ops->now_ns(eng->priv);
	do {
		spent = eng->ops->now_ns(eng->priv) - start;
	} while (spent < want);
	eng->progress = eng_min(eng->progress + spent, total);
	b->ns -= eng_min(spent, b->ns);
	return eng->progress < total ? ENG_MORE : ENG_DONE;
}

static int eng_call(struct mgpu_eng *eng)
{
	u64 addr = cmd_u64(eng, 1);
	u32 bytes = eng->cmd[3];
	struct mgpu_eng_frame *f;

	if ((addr | bytes) & 3)
		return eng_cmd_fail(eng, MGPU_ENG_ERR_ALIGN);
	if (!bytes)
		return eng_cmd_fail(eng, MGPU_ENG_ERR_ARG);
	if (!eng_in_range(eng, addr, bytes))
		return eng_cmd_fail(eng, MGPU_ENG_ERR_RANGE);
	if (eng->depth >= MGPU_CMD_CALL_DEPTH)
		return eng_cmd_fail(eng, MGPU_ENG_ERR_DEPTH);
	f = &eng->frames[eng->depth++];
	f->start = addr;
	f->pos = addr;
	f->end = addr + bytes;
	return ENG_FLOW;
}

static int eng_return(struct mgpu_eng *eng)
{
	if (!eng->depth)
		return eng_cmd_fail(eng, MGPU_ENG_ERR_JUMP);
	eng->stats.commands++;
	eng_pop(eng);
	return ENG_FLOW;
}

static int eng_jump(struct mgpu_eng *eng)
{
	u64 target = cmd_u64(eng, 1);
	struct mgpu_eng_frame *f;

	if (!eng->depth)
		return eng_cmd_fail(eng, MGPU_ENG_ERR_JUMP);
	f = &eng->frames[eng->depth - 1];
	if (target & 3 || target < f->start || target >= f->end)
		return eng_cmd_fail(eng, MGPU_ENG_ERR_JUMP);
	f->pos = target;
	eng->stats.commands++;
	return ENG_FLOW;
}

static int eng_exec(struct mgpu_eng *eng, struct eng_budget *b)
{
	switch (MGPU_CMD_OP(eng->cmd[0])) {
	case MGPU_CMD_FENCE:
		return eng_fence(eng);
	case MGPU_CMD_FILL:
		return eng_fill(eng, b);
	case MGPU_CMD_COPY:
		return eng_copy(eng, b);
	case MGPU_CMD_CHECKSUM:
		return eng_checksum(eng, b);
	case MGPU_CMD_BUSY:
		return eng_busy(eng, b);
	case MGPU_CMD_CALL:
		return eng_call(eng);
	case MGPU_CMD_RETURN:
		return eng_return(eng);
	case MGPU_CMD_JUMP:
		return eng_jump(eng);
	default:	/* NOP; fetching rejected unknown opcodes */
		return ENG_DONE;
	}
}

/* Run the command in cmd[] as far as the budget goes. */
static void eng_run_cmd(struct mgpu_eng *eng, struct eng_budget *b)
{
	int ret = eng_exec(eng, b);

	if (ret == ENG_DONE) {
		eng->stats.commands++;
		eng_advance(eng, MGPU_CMD_LEN(eng->cmd[0]) * 4);
	}
	if (ret == ENG_DONE || ret == ENG_FLOW) {
		eng->active = false;
		eng->progress = 0;
		eng->crc = 0;
	}
}

/* One step's work: commands until the budget is spent or there is nothing to do. */
static void eng_run(struct mgpu_eng *eng)
{
	struct eng_budget b = {
		.bytes = MGPU_ENG_STEP_BYTES,
		.ns = MGPU_ENG_STEP_NS,
		.cmds = ENG_STEP_CMDS,
	};

	while (!eng->error && b.bytes && b.ns && b.cmds) {
		if (!eng->active) {
			if (!eng->depth && eng->head == eng->tail)
				break;
			b.cmds--;
			if (eng->depth)
				eng_fetch_batch(eng);
			else
				eng_fetch_ring(eng);
			if (!eng->active)
				continue;
		}
		eng_run_cmd(eng, &b);
	}
}

bool mgpu_eng_pending(struct mgpu_eng *eng)
{
	u32 tail;

	if (!eng_enabled(eng) || eng->error)
		return false;
	if (eng->control & MGPU_ENG_CONTROL_POLL) {
		mem_read(eng, eng->ctrl_base + offsetof(struct mgpu_eng_ctrl, tail), &tail, 4);
		if (tail != eng->tail) {
			if (!eng_set_tail(eng, tail))
				return false;
			eng_sync(eng);
		}
	}
	return eng_has_work(eng);
}

int mgpu_eng_step(struct mgpu_eng *eng)
{
	u64 start, spent;

	if (!mgpu_eng_pending(eng))
		return eng->error ? -1 : 0;
	start = eng->ops->now_ns(eng->priv);
	eng_run(eng);
	spent = eng->ops->now_ns(eng->priv) - start;
	eng->stats.busy_ns += spent;
	eng->ring_cmd_ns += spent;
	if (!eng->error && (eng->active || eng->depth) &&
	    eng->ring_cmd_ns > eng->watchdog_ns)
		eng_fail(eng, MGPU_ENG_ERR_WATCHDOG, (u64)eng->ring_base + eng->head);
	eng_sync(eng);
	return eng->error ? -1 : 1;
}

/* The software engine: both reference backends execute their commands here. */
const struct mgpu_eng_exec mgpu_eng_soft = {
	.name = "soft",
	.pending = mgpu_eng_pending,
	.step = mgpu_eng_step,
};
