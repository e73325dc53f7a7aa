// SPDX-License-Identifier: GPL-2.0-only
/*
 * mgpu tmem guest: the descriptor ring of a tmem device — its setup, batches of
 * descriptors rung with one doorbell and waited for, and the reset after a ring stop.
 *
 * One batch is in flight at a time: ring_lock is held from filling the descriptors to
 * reading their results, so a batch never overlaps descriptors the host still owns and
 * needs no more than TMEM_GBATCH entries of the ring. The host completes descriptors in
 * order, writing result before status, so a batch is complete once its last
 * descriptor's status is no longer MGPU_TMEM_STATUS_PENDING.
 *
 * Waiting: the completion interrupt wakes the waiter, which also looks once a second,
 * so a lost interrupt costs a second, not the I/O. A batch the host has not completed
 * within TMEM_GDEV_TIMEOUT means a dead device: it is logged, the batch fails, and so
 * does every later one, at once, rather than hanging the I/O that waits for it.
 *
 * A ring the host stopped (MGPU_TMEM_STATUS_ERROR) is reset — by the next batch, or by
 * the reset work the error interrupt queues. A reset destroys every pool of the client,
 * so it bumps the device's generation; a batch submitted for an older generation fails
 * with -ESTALE, and its user opens its pools again (see swap_io.c and cache.c).
 *
 * The ABI is little endian; descriptors are converted on their way in and out.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/dma-mapping.h>
#include <linux/io.h>
#include <linux/jiffies.h>
#include <linux/pci.h>
#include <linux/string.h>

#include "guest.h"

#define TMEM_GDEV_TIMEOUT	(30 * HZ)
#define TMEM_GDEV_IRQS		(MGPU_TMEM_IRQ_COMPLETION | MGPU_TMEM_IRQ_WRITEBACK | \
				 MGPU_TMEM_IRQ_ERROR)

static_assert(sizeof(struct mgpu_tmem_desc) == 64);

static size_t ring_bytes(const struct tmem_gdev *g)
{
	return (size_t)g->ring_size * sizeof(struct mgpu_tmem_desc);
}

static const char *ring_error_name(u32 err)
{
	switch (err) {
	case MGPU_TMEM_ERR_SETUP:
		return "bad ring setup";
	case MGPU_TMEM_ERR_TAIL:
		return "tail too far ahead";
	case MGPU_TMEM_ERR_RING_DMA:
		return "ring memory unreadable";
	default:
		return "unknown error";
	}
}

/* Program the ring's base and size and start it; ring_lock held or not yet shared. */
static int ring_program(struct tmem_gdev *g)
{
	void __iomem *r = g->regs;
	u32 status;

	writel(lower_32_bits(g->ring_dma), r + MGPU_TMEM_REG_RING_BASE_LO);
	writel(upper_32_bits(g->ring_dma), r + MGPU_TMEM_REG_RING_BASE_HI);
	writel(g->ring_size, r + MGPU_TMEM_REG_RING_SIZE);
	writel(TMEM_GDEV_IRQS, r + MGPU_TMEM_REG_IRQ_MASK);
	writel(MGPU_TMEM_CTRL_ENABLE, r + MGPU_TMEM_REG_CONTROL);
	status = readl(r + MGPU_TMEM_REG_STATUS);
	if (status & MGPU_TMEM_STATUS_ENABLED)
		return 0;
	dev_err(&g->pdev->dev, "the ring did not start (status %#x, %s)\n", status,
		ring_error_name(readl(r + MGPU_TMEM_REG_ERROR)));
	return -EIO;
}

/**
 * tmem_gdev_ring_start - allocate the ring and start it
 * @g: the device, not yet visible to users
 *
 * Context: process context (probe).
 * Return: 0, -ENOMEM or -EIO (the device refused the setup).
 */
int tmem_gdev_ring_start(struct tmem_gdev *g)
{
	int ret;

	g->ring = dma_alloc_coherent(&g->pdev->dev, ring_bytes(g), &g->ring_dma, GFP_KERNEL);
	if (!g->ring)
		return -ENOMEM;
	g->tail = 0;
	ret = ring_program(g);
	if (ret) {
		writel(MGPU_TMEM_CTRL_RESET, g->regs + MGPU_TMEM_REG_CONTROL);
		dma_free_coherent(&g->pdev->dev, ring_bytes(g), g->ring, g->ring_dma);
		g->ring = NULL;
	}
	return ret;
}

/**
 * tmem_gdev_ring_stop - reset the device (its pools go) and free the ring
 * @g: the device; no batch can start any more (@g->gone is set)
 *
 * Context: process context (remove), after the interrupt is freed.
 */
void tmem_gdev_ring_stop(struct tmem_gdev *g)
{
	writel(0, g->regs + MGPU_TMEM_REG_IRQ_MASK);
	writel(MGPU_TMEM_CTRL_RESET, g->regs + MGPU_TMEM_REG_CONTROL);
	dma_free_coherent(&g->pdev->dev, ring_bytes(g), g->ring, g->ring_dma);
	g->ring = NULL;
}

static int reset_locked(struct tmem_gdev *g)
{
	int ret;

	lockdep_assert_held(&g->ring_lock);
	dev_err(&g->pdev->dev,
		"the host stopped the ring (%s): resetting the device; its pools and their pages are gone\n",
		ring_error_name(readl(g->regs + MGPU_TMEM_REG_ERROR)));
	writel(MGPU_TMEM_CTRL_RESET, g->regs + MGPU_TMEM_REG_CONTROL);
	memset(g->ring, 0, ring_bytes(g));
	g->tail = 0;
	WRITE_ONCE(g->stopped, false);
	atomic_inc(&g->generation);
	atomic64_inc(&g->resets);
	ret = ring_program(g);
	if (ret) {
		dev_err(&g->pdev->dev, "the reset failed: giving the device up\n");
		g->dead = true;
	}
	return ret;
}

/**
 * tmem_gdev_reset_work - reset a ring the host stopped, if no batch did it first
 * @work: &tmem_gdev.reset_work
 *
 * Context: process context (the system workqueue).
 */
void tmem_gdev_reset_work(struct work_struct *work)
{
	struct tmem_gdev *g = container_of(work, struct tmem_gdev, reset_work);

	mutex_lock(&g->ring_lock);
	if (READ_ONCE(g->stopped) && !g->dead && !g->gone)
		reset_locked(g);
	mutex_unlock(&g->ring_lock);
}

/**
 * tmem_gdev_ring_irq - the ring's share of an interrupt
 * @g: the device
 * @status: the MGPU_TMEM_IRQ_* bits the handler read and cleared
 *
 * Context: hard interrupt.
 */
void tmem_gdev_ring_irq(struct tmem_gdev *g, u32 status)
{
	if (status & MGPU_TMEM_IRQ_ERROR) {
		WRITE_ONCE(g->stopped, true);
		schedule_work(&g->reset_work);
	}
	if (status & (MGPU_TMEM_IRQ_COMPLETION | MGPU_TMEM_IRQ_ERROR))
		wake_up(&g->wait);
}

static void desc_to_ring(struct mgpu_tmem_desc *r, const struct mgpu_tmem_desc *d)
{
	r->op = d->op;
	r->flags = d->flags;
	r->pool = (__force __u16)cpu_to_le16(d->pool);
	r->status = (__force __s32)cpu_to_le32(MGPU_TMEM_STATUS_PENDING);
	r->oid = (__force __u64)cpu_to_le64(d->oid);
	r->index = (__force __u32)cpu_to_le32(d->index);
	r->count = (__force __u32)cpu_to_le32(d->count);
	r->addr = (__force __u64)cpu_to_le64(d->addr);
	r->result = 0;
	memcpy(r->uuid, d->uuid, sizeof(r->uuid));
	r->cookie = 0;
}

static s32 ring_status(const struct mgpu_tmem_desc *r)
{
	return (s32)le32_to_cpu((__force __le32)READ_ONCE(r->status));
}

static bool batch_done(struct tmem_gdev *g, u32 first, unsigned int n)
{
	const struct mgpu_tmem_desc *last = &g->ring[(first + n - 1) & (g->ring_size - 1)];

	return ring_status(last) != MGPU_TMEM_STATUS_PENDING;
}

/* Is the ring stopped, or the device gone from the bus (all ones)? */
static bool ring_failed(struct tmem_gdev *g)
{
	u32 status = readl(g->regs + MGPU_TMEM_REG_STATUS);

	if (status == ~0u || status & MGPU_TMEM_STATUS_ERROR) {
		WRITE_ONCE(g->stopped, true);
		return true;
	}
	return READ_ONCE(g->stopped);
}

static int wait_locked(struct tmem_gdev *g, u32 first, unsigned int n)
{
	unsigned long deadline = jiffies + TMEM_GDEV_TIMEOUT;

	for (;;) {
		wait_event_timeout(g->wait, batch_done(g, first, n) || READ_ONCE(g->stopped),
				   HZ);
		if (batch_done(g, first, n))
			return 0;
		if (ring_failed(g))
			return -EIO;
		if (time_after(jiffies, deadline))
			break;
	}
	g->dead = true;
	atomic64_inc(&g->timeouts);
	dev_err(&g->pdev->dev,
		"the host did not complete %u descriptors in %u s: the device is dead, its I/O fails from now on\n",
		n, TMEM_GDEV_TIMEOUT / HZ);
	return -ETIMEDOUT;
}

static int submit_locked(struct tmem_gdev *g, u32 gen, struct mgpu_tmem_desc *descs,
			 unsigned int n)
{
	u32 first = g->tail, mask = g->ring_size - 1;
	unsigned int i;
	int ret;

	lockdep_assert_held(&g->ring_lock);
	if (g->gone)
		return -ENODEV;
	if (g->dead)
		return -EIO;
	if (READ_ONCE(g->stopped)) {
		ret = reset_locked(g);
		if (ret)
			return ret;
	}
	if (gen != (u32)atomic_read(&g->generation))
		return -ESTALE;
	for (i = 0; i < n; i++)
		desc_to_ring(&g->ring[(first + i) & mask], &descs[i]);
	g->tail = first + n;
	/* writel() orders the descriptors' stores before the doorbell. */
	writel(g->tail, g->regs + MGPU_TMEM_REG_TAIL);
	atomic64_inc(&g->batches);
	ret = wait_locked(g, first, n);
	if (ret)
		return ret;
	dma_rmb();
	for (i = 0; i < n; i++) {
		const struct mgpu_tmem_desc *r = &g->ring[(first + i) & mask];

		descs[i].status = ring_status(r);
		descs[i].result = le64_to_cpu((__force __le64)READ_ONCE(r->result));
	}
	return 0;
}

/**
 * tmem_gdev_submit - run a batch of descriptors with one doorbell and wait for it
 * @g: the device
 * @gen: the generation the caller's pool ids belong to (tmem_gdev_generation())
 * @descs: the descriptors (op, flags, pool, oid, index, count, addr, uuid); on return
 *	each one's status and result are the host's
 * @n: how many, 1..TMEM_GBATCH
 *
 * When the batch did not run (an error return other than -EINVAL), every descriptor's
 * status is that error and its result 0.
 *
 * Context: process context; sleeps until the host completes the batch.
 * Return: 0 when the host ran the batch (see each status); -ESTALE when the device was
 * reset since @gen (the caller's pools are gone); -EIO when the ring stopped or the
 * device is dead; -ETIMEDOUT when the host did not answer (the device is dead from
 * now on); -ENODEV once the device is removed; -EINVAL for a bad @n.
 */
int tmem_gdev_submit(struct tmem_gdev *g, u32 gen, struct mgpu_tmem_desc *descs,
		     unsigned int n)
{
	unsigned int i;
	int ret;

	if (WARN_ON_ONCE(!n || n > TMEM_GBATCH))
		return -EINVAL;
	mutex_lock(&g->ring_lock);
	ret = submit_locked(g, gen, descs, n);
	mutex_unlock(&g->ring_lock);
	if (ret) {
		for (i = 0; i < n; i++) {
			descs[i].status = ret;
			descs[i].result = 0;
		}
	}
	return ret;
}

/**
 * tmem_gdev_generation - the device's reset count, which pool ids belong to
 * @g: the device
 *
 * Return: the generation now; a reset (which destroys every pool) changes it.
 */
u32 tmem_gdev_generation(struct tmem_gdev *g)
{
	return atomic_read(&g->generation);
}

/**
 * tmem_gdev_new_pool - open a pool
 * @g: the device
 * @gen: the generation the pool is for
 * @flags: MGPU_TMEM_POOL_*
 * @uuid: a shared pool's UUID (16 bytes), or NULL
 *
 * Context: process context; sleeps.
 * Return: the pool id, the host's error (-EPERM: a shared pool not authorised for this
 * client; -ENOSPC: no pool id left) or tmem_gdev_submit()'s.
 */
int tmem_gdev_new_pool(struct tmem_gdev *g, u32 gen, u8 flags, const u8 *uuid)
{
	struct mgpu_tmem_desc d = {
		.op = MGPU_TMEM_OP_NEW_POOL,
		.flags = flags,
	};
	int ret;

	if (uuid)
		memcpy(d.uuid, uuid, sizeof(d.uuid));
	ret = tmem_gdev_submit(g, gen, &d, 1);
	if (ret)
		return ret;
	if (d.status)
		return d.status;
	if (d.result >= MGPU_TMEM_MAX_POOLS)
		return -EIO;
	return d.result;
}

/**
 * tmem_gdev_destroy_pool - close a pool; its pages go
 * @g: the device
 * @gen: the generation the pool belongs to; nothing is done for an older one
 * @pool: the pool id
 *
 * Context: process context; sleeps.
 */
void tmem_gdev_destroy_pool(struct tmem_gdev *g, u32 gen, u16 pool)
{
	struct mgpu_tmem_desc d = {
		.op = MGPU_TMEM_OP_DESTROY_POOL,
		.pool = pool,
	};

	tmem_gdev_submit(g, gen, &d, 1);
}
