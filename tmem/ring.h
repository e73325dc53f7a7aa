/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * mgpu tmem: the tmem device's state machine — its BAR0 register file, the descriptor
 * ring and the validation of every descriptor — as pure logic. Guest memory and the
 * pool engine are reached only through struct tmem_ring_ops, so the host-tier tests
 * (and a fuzz target) compile the same file in userspace against a fake guest memory.
 * The ABI it serves is include/uapi/linux/mgpu_tmem.h.
 *
 * Concurrency: none inside. The caller serialises every call on one ring (the VFIO
 * device's mutex in vdev.c).
 */
#ifndef MGPU_TMEM_RING_H
#define MGPU_TMEM_RING_H

#include <linux/mgpu_tmem.h>

#include "engine.h"

#define TMEM_RING_DESC_SIZE	64

/* What a register write asks of the caller (tmem_ring_reg_write()'s return value) */
#define TMEM_RING_KICK		0x1	/* descriptors wait: tmem_ring_process() */
#define TMEM_RING_RESET		0x2	/* destroy every pool of the client */
#define TMEM_RING_STARTED	0x4	/* the ring runs: start the write-back poll */

/**
 * struct tmem_ring_ops - guest memory and the pool engine, as the device reaches them
 * @dma_read: copy @len bytes of guest memory at guest-physical @gpa into @buf
 * @dma_write: copy @len bytes from @buf into guest memory at @gpa
 * @new_pool: open a pool (TMEM_POOL_* @flags; @uuid is a shared pool's UUID or NULL).
 *	Return: the pool id, or tmem_engine_new_pool()'s error
 * @destroy_pool: close pool @pool; tmem_engine_destroy_pool()'s return value
 * @put: store the TMEM_PAGE_SIZE bytes at @page under @key; tmem_engine_put()'s
 * @get: read the page of @key into @page; tmem_engine_get()'s
 * @flush_page: remove the page of @key; tmem_engine_flush_page()'s
 * @flush_object: remove every page of object @oid of pool @pool;
 *	tmem_engine_flush_object()'s
 *
 * The DMA callbacks return 0 or a negative errno (any failure becomes -EFAULT); they
 * may fail for any address, at any time. Every callback gets the ring's @priv.
 */
struct tmem_ring_ops {
	int (*dma_read)(void *priv, u64 gpa, void *buf, size_t len);
	int (*dma_write)(void *priv, u64 gpa, const void *buf, size_t len);
	int (*new_pool)(void *priv, u32 flags, const u8 *uuid);
	int (*destroy_pool)(void *priv, u32 pool);
	int (*put)(void *priv, const struct tmem_key *key, const void *page);
	int (*get)(void *priv, const struct tmem_key *key, void *page);
	int (*flush_page)(void *priv, const struct tmem_key *key);
	int (*flush_object)(void *priv, u32 pool, u64 oid);
};

/**
 * struct tmem_ring - one device's registers and ring
 * @ops: guest memory and the engine
 * @priv: passed to every @ops callback
 * @bounce: TMEM_PAGE_SIZE bytes of the caller's, for page copies
 * @base: RING_BASE_HI:LO
 * @size: RING_SIZE, in descriptors
 * @head: HEAD, descriptors completed (free-running)
 * @tail: TAIL, descriptors submitted (free-running)
 * @status: MGPU_TMEM_STATUS_ENABLED or _ERROR, or 0 (disabled)
 * @error: MGPU_TMEM_ERR_* of the last stop
 * @irq_status: MGPU_TMEM_IRQ_* raised and not yet cleared
 * @irq_mask: MGPU_TMEM_IRQ_* that raise the interrupt
 * @writeback: WRITEBACK, the host's write-back request in pages
 * @caps: CAPS
 * @client_id: CLIENT_ID
 */
struct tmem_ring {
	const struct tmem_ring_ops *ops;
	void *priv;
	void *bounce;
	u64 base;
	u32 size;
	u32 head;
	u32 tail;
	u32 status;
	u32 error;
	u32 irq_status;
	u32 irq_mask;
	u32 writeback;
	u32 caps;
	u32 client_id;
};

void tmem_ring_init(struct tmem_ring *r, const struct tmem_ring_ops *ops, void *priv,
		    void *bounce, u32 caps, u32 client_id);
void tmem_ring_reset(struct tmem_ring *r);
u32 tmem_ring_reg_read(const struct tmem_ring *r, u32 off);
unsigned int tmem_ring_reg_write(struct tmem_ring *r, u32 off, u32 val);
unsigned int tmem_ring_process(struct tmem_ring *r, unsigned int budget);
bool tmem_ring_pending(const struct tmem_ring *r);
bool tmem_ring_irq_line(const struct tmem_ring *r);
void tmem_ring_set_writeback(struct tmem_ring *r, u64 pages);
int tmem_desc_check(const struct mgpu_tmem_desc *d);

#endif /* MGPU_TMEM_RING_H */
