// SPDX-License-Identifier: GPL-2.0-only
/*
 * mgpu tmem: the tmem device's registers and descriptor ring, as the guest ABI
 * (include/uapi/linux/mgpu_tmem.h) defines them. Pure logic: guest memory and the pool
 * engine come in struct tmem_ring_ops.
 *
 * Hostile guests. A descriptor is copied out of guest memory once and only the copy is
 * looked at, so a guest rewriting it meanwhile changes nothing. Every field is checked
 * (tmem_desc_check()) before anything is done. Completion writes back only status and
 * result (bytes 4..7 and 32..39), never the rest: the cookie stays the guest's. Page data
 * goes through the caller's bounce page, one page at a time, so a descriptor never
 * makes the host touch more than one page of guest memory at once.
 *
 * Statuses. The guest sees exactly the errnos the header documents: the engine's
 * -ENOMEM (a put finding no memory) is a refused put (-ENOSPC), -EEXIST (joining a
 * shared pool twice) a malformed request (-EINVAL), a page that fails to decompress a
 * miss (-ENOENT: the engine has dropped it). A pool id that is not open answers
 * -ENOENT, as the engine says. Flushing a page or object that is not stored succeeds:
 * afterwards it is absent, which is all a flush promises.
 *
 * Coherency. A put whose page cannot be read from guest memory flushes the key, as a
 * refused put does in the engine, so no stale copy outlives a failed put.
 */
#ifdef __KERNEL__
#include <linux/build_bug.h>
#include <linux/errno.h>
#include <linux/stddef.h>
#include <linux/string.h>
#else
#include <assert.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>
#endif

#include "ring.h"

static_assert(sizeof(struct mgpu_tmem_desc) == TMEM_RING_DESC_SIZE);
static_assert(offsetof(struct mgpu_tmem_desc, status) == 4);
static_assert(offsetof(struct mgpu_tmem_desc, result) == 32);
static_assert(MGPU_TMEM_PAGE_SIZE == TMEM_PAGE_SIZE);
static_assert(MGPU_TMEM_MAX_POOLS == TMEM_MAX_POOLS);
static_assert(MGPU_TMEM_POOL_PERSISTENT == TMEM_POOL_PERSISTENT);
static_assert(MGPU_TMEM_POOL_SHARED == TMEM_POOL_SHARED);

#define TMEM_RING_IRQS	(MGPU_TMEM_IRQ_COMPLETION | MGPU_TMEM_IRQ_WRITEBACK | \
			 MGPU_TMEM_IRQ_ERROR)

/* ---- registers ------------------------------------------------------------------- */

/**
 * tmem_ring_init - a ring at power-on
 * @r: the ring
 * @ops: guest memory and the engine
 * @priv: passed to every @ops callback
 * @bounce: TMEM_PAGE_SIZE bytes for page copies, the caller's for the ring's life
 * @caps: MGPU_TMEM_CAP_* the CAPS register shows
 * @client_id: the engine client the CLIENT_ID register shows
 */
void tmem_ring_init(struct tmem_ring *r, const struct tmem_ring_ops *ops, void *priv,
		    void *bounce, u32 caps, u32 client_id)
{
	memset(r, 0, sizeof(*r));
	r->ops = ops;
	r->priv = priv;
	r->bounce = bounce;
	r->caps = caps;
	r->client_id = client_id;
}

/**
 * tmem_ring_reset - stop the ring and forget its setup and interrupt state
 * @r: the ring
 *
 * The registers return to power-on values. The client's pools are the caller's to
 * destroy.
 */
void tmem_ring_reset(struct tmem_ring *r)
{
	tmem_ring_init(r, r->ops, r->priv, r->bounce, r->caps, r->client_id);
}

/**
 * tmem_ring_reg_read - read a BAR0 register
 * @r: the ring
 * @off: a 4-byte aligned offset below MGPU_TMEM_REGS_SIZE (others read 0)
 *
 * Return: the register's value; 0 for CONTROL and for offsets that name no register.
 */
u32 tmem_ring_reg_read(const struct tmem_ring *r, u32 off)
{
	switch (off) {
	case MGPU_TMEM_REG_MAGIC:		return MGPU_TMEM_MAGIC;
	case MGPU_TMEM_REG_VERSION:		return MGPU_TMEM_VERSION;
	case MGPU_TMEM_REG_CAPS:		return r->caps;
	case MGPU_TMEM_REG_MAX_RING:		return MGPU_TMEM_MAX_RING;
	case MGPU_TMEM_REG_RING_BASE_LO:	return (u32)r->base;
	case MGPU_TMEM_REG_RING_BASE_HI:	return (u32)(r->base >> 32);
	case MGPU_TMEM_REG_RING_SIZE:		return r->size;
	case MGPU_TMEM_REG_STATUS:		return r->status;
	case MGPU_TMEM_REG_TAIL:		return r->tail;
	case MGPU_TMEM_REG_HEAD:		return r->head;
	case MGPU_TMEM_REG_IRQ_STATUS:		return r->irq_status;
	case MGPU_TMEM_REG_IRQ_MASK:		return r->irq_mask;
	case MGPU_TMEM_REG_WRITEBACK:		return r->writeback;
	case MGPU_TMEM_REG_ERROR:		return r->error;
	case MGPU_TMEM_REG_CLIENT_ID:		return r->client_id;
	case MGPU_TMEM_REG_MAX_COUNT:		return MGPU_TMEM_MAX_COUNT;
	case MGPU_TMEM_REG_PAGE_SIZE:		return MGPU_TMEM_PAGE_SIZE;
	}
	return 0;
}

/* The ring cannot be trusted as a whole: stop it until a reset. */
static void ring_stop(struct tmem_ring *r, u32 error)
{
	r->status = MGPU_TMEM_STATUS_ERROR;
	r->error = error;
	r->irq_status |= MGPU_TMEM_IRQ_ERROR;
}

/* A 4 KiB aligned base and a power-of-two size whose last byte does not wrap. */
static bool setup_ok(const struct tmem_ring *r)
{
	u64 bytes = (u64)r->size * TMEM_RING_DESC_SIZE;

	if (r->base & (TMEM_PAGE_SIZE - 1))
		return false;
	if (!r->size || r->size > MGPU_TMEM_MAX_RING || (r->size & (r->size - 1)))
		return false;
	return r->base <= ~0ULL - bytes;
}

static unsigned int write_control(struct tmem_ring *r, u32 val)
{
	unsigned int act = 0;

	if (val & MGPU_TMEM_CTRL_RESET) {
		tmem_ring_reset(r);
		act |= TMEM_RING_RESET;
	}
	/* Only a disabled ring without an error starts; only a reset clears an error. */
	if (!(val & MGPU_TMEM_CTRL_ENABLE) || r->status)
		return act;
	if (!setup_ok(r)) {
		ring_stop(r, MGPU_TMEM_ERR_SETUP);
		return act;
	}
	r->status = MGPU_TMEM_STATUS_ENABLED;
	r->error = MGPU_TMEM_ERR_NONE;
	r->head = 0;
	r->tail = 0;
	return act | TMEM_RING_STARTED;
}

/* The doorbell. Its value counts only while the ring runs. */
static unsigned int write_tail(struct tmem_ring *r, u32 val)
{
	if (r->status != MGPU_TMEM_STATUS_ENABLED)
		return 0;
	r->tail = val;
	if (r->tail - r->head > r->size) {
		ring_stop(r, MGPU_TMEM_ERR_TAIL);
		return 0;
	}
	return r->tail != r->head ? TMEM_RING_KICK : 0;
}

/**
 * tmem_ring_reg_write - write a BAR0 register
 * @r: the ring
 * @off: a 4-byte aligned offset below MGPU_TMEM_REGS_SIZE
 * @val: the value
 *
 * Writes to read-only registers, to the setup while the ring runs and to offsets that
 * name no register are ignored.
 *
 * Return: TMEM_RING_* bits: what the caller must do now.
 */
unsigned int tmem_ring_reg_write(struct tmem_ring *r, u32 off, u32 val)
{
	bool setup = !(r->status & MGPU_TMEM_STATUS_ENABLED);

	switch (off) {
	case MGPU_TMEM_REG_RING_BASE_LO:
		if (setup)
			r->base = (r->base & ~0xffffffffULL) | val;
		return 0;
	case MGPU_TMEM_REG_RING_BASE_HI:
		if (setup)
			r->base = (r->base & 0xffffffffULL) | (u64)val << 32;
		return 0;
	case MGPU_TMEM_REG_RING_SIZE:
		if (setup)
			r->size = val;
		return 0;
	case MGPU_TMEM_REG_CONTROL:
		return write_control(r, val);
	case MGPU_TMEM_REG_TAIL:
		return write_tail(r, val);
	case MGPU_TMEM_REG_IRQ_STATUS:
		r->irq_status &= ~val;
		return 0;
	case MGPU_TMEM_REG_IRQ_MASK:
		r->irq_mask = val & TMEM_RING_IRQS;
		return 0;
	}
	return 0;
}

/**
 * tmem_ring_pending - whether descriptors wait for tmem_ring_process()
 * @r: the ring
 *
 * Return: true while the ring runs and HEAD is behind TAIL.
 */
bool tmem_ring_pending(const struct tmem_ring *r)
{
	return r->status == MGPU_TMEM_STATUS_ENABLED && r->head != r->tail;
}

/**
 * tmem_ring_irq_line - the device's interrupt line
 * @r: the ring
 *
 * Return: true while a raised cause is unmasked.
 */
bool tmem_ring_irq_line(const struct tmem_ring *r)
{
	return r->irq_status & r->irq_mask;
}

/**
 * tmem_ring_set_writeback - update WRITEBACK from the engine's write-back hint
 * @r: the ring
 * @pages: tmem_engine_writeback_hint()'s answer for the device's client
 *
 * Only while the ring runs and the device offers MGPU_TMEM_CAP_WRITEBACK (a reset
 * clears it). Raises MGPU_TMEM_IRQ_WRITEBACK when the request goes up from 0.
 */
void tmem_ring_set_writeback(struct tmem_ring *r, u64 pages)
{
	u32 val = pages > 0xffffffffULL ? 0xffffffffu : (u32)pages;

	if (!(r->caps & MGPU_TMEM_CAP_WRITEBACK) || r->status != MGPU_TMEM_STATUS_ENABLED)
		return;
	if (val && !r->writeback)
		r->irq_status |= MGPU_TMEM_IRQ_WRITEBACK;
	r->writeback = val;
}

/* ---- descriptors ----------------------------------------------------------------- */

static bool op_has_pages(u8 op)
{
	return op == MGPU_TMEM_OP_PUT || op == MGPU_TMEM_OP_GET ||
	       op == MGPU_TMEM_OP_FLUSH_PAGE;
}

static bool op_has_addr(u8 op)
{
	return op == MGPU_TMEM_OP_PUT || op == MGPU_TMEM_OP_GET;
}

static bool uuid_is_zero(const u8 *uuid)
{
	unsigned int i;

	for (i = 0; i < TMEM_UUID_SIZE; i++)
		if (uuid[i])
			return false;
	return true;
}

static int check_flags(const struct mgpu_tmem_desc *d)
{
	if (d->op != MGPU_TMEM_OP_NEW_POOL)
		return d->flags ? -EINVAL : 0;
	if (d->flags & ~(MGPU_TMEM_POOL_PERSISTENT | MGPU_TMEM_POOL_SHARED))
		return -EINVAL;
	/* Shared pools are ephemeral only. */
	if (d->flags == (MGPU_TMEM_POOL_PERSISTENT | MGPU_TMEM_POOL_SHARED))
		return -EINVAL;
	return 0;
}

/* count 1..MAX_COUNT with index + count not wrapping (in 32 bits), else 0. */
static int check_count(const struct mgpu_tmem_desc *d)
{
	if (!op_has_pages(d->op))
		return d->count ? -EINVAL : 0;
	if (!d->count || d->count > MGPU_TMEM_MAX_COUNT)
		return -EINVAL;
	return d->index > 0xffffffffu - d->count ? -EINVAL : 0;
}

/* Page aligned with addr + count pages not wrapping (in 64 bits), else 0. */
static int check_addr(const struct mgpu_tmem_desc *d)
{
	if (!op_has_addr(d->op))
		return d->addr ? -EINVAL : 0;
	if (d->addr & (TMEM_PAGE_SIZE - 1))
		return -EINVAL;
	return d->addr > ~0ULL - (u64)d->count * TMEM_PAGE_SIZE ? -EINVAL : 0;
}

/**
 * tmem_desc_check - validate every field of a descriptor, as the ABI documents them
 * @d: the descriptor, a copy the guest can no longer change
 *
 * op known; flags only for NEW_POOL (PERSISTENT or SHARED, not both); pool below
 * MGPU_TMEM_MAX_POOLS for every op but NOP and NEW_POOL; count 1..MGPU_TMEM_MAX_COUNT
 * with index + count not wrapping for PUT, GET and FLUSH_PAGE, else 0; addr page
 * aligned with addr + count pages not wrapping for PUT and GET, else 0; uuid zeroes but
 * for a shared NEW_POOL. status, result and cookie are not looked at.
 *
 * Return: 0, -EOPNOTSUPP for an unknown op, or -EINVAL.
 */
int tmem_desc_check(const struct mgpu_tmem_desc *d)
{
	int ret;

	if (d->op > MGPU_TMEM_OP_FLUSH_OBJECT)
		return -EOPNOTSUPP;
	ret = check_flags(d);
	if (ret)
		return ret;
	if (d->op != MGPU_TMEM_OP_NOP && d->op != MGPU_TMEM_OP_NEW_POOL &&
	    d->pool >= MGPU_TMEM_MAX_POOLS)
		return -EINVAL;
	ret = check_count(d);
	if (ret)
		return ret;
	ret = check_addr(d);
	if (ret)
		return ret;
	if (!(d->op == MGPU_TMEM_OP_NEW_POOL && (d->flags & MGPU_TMEM_POOL_SHARED)) &&
	    !uuid_is_zero(d->uuid))
		return -EINVAL;
	return 0;
}

/* The engine's errno as the ABI documents it (see the file comment). */
static int desc_status(int err)
{
	switch (err) {
	case 0:
	case -EINVAL:
	case -EFAULT:
	case -EOPNOTSUPP:
	case -EPERM:
	case -ENOSPC:
	case -EBUSY:
	case -ENOENT:
		return err;
	case -ENOMEM:
		return -ENOSPC;
	case -EIO:
		return -ENOENT;
	}
	return -EINVAL;
}

static int ring_put(struct tmem_ring *r, const struct tmem_key *key, u64 gpa)
{
	if (r->ops->dma_read(r->priv, gpa, r->bounce, TMEM_PAGE_SIZE)) {
		r->ops->flush_page(r->priv, key);
		return -EFAULT;
	}
	return r->ops->put(r->priv, key, r->bounce);
}

static int ring_get(struct tmem_ring *r, const struct tmem_key *key, u64 gpa)
{
	int ret = r->ops->get(r->priv, key, r->bounce);

	if (ret)
		return ret;
	return r->ops->dma_write(r->priv, gpa, r->bounce, TMEM_PAGE_SIZE) ? -EFAULT : 0;
}

static int page_op(struct tmem_ring *r, u8 op, const struct tmem_key *key, u64 gpa)
{
	int ret;

	if (op == MGPU_TMEM_OP_PUT)
		return ring_put(r, key, gpa);
	if (op == MGPU_TMEM_OP_GET)
		return ring_get(r, key, gpa);
	ret = r->ops->flush_page(r->priv, key);
	return ret == -ENOENT ? 0 : ret;
}

/* PUT, GET, FLUSH_PAGE: page by page; the first failure ends the descriptor. */
static int run_pages(struct tmem_ring *r, const struct mgpu_tmem_desc *d, u64 *result)
{
	struct tmem_key key = { .pool = d->pool, .oid = d->oid };
	int ret = 0;
	u32 i;

	for (i = 0; i < d->count; i++) {
		key.index = d->index + i;
		ret = page_op(r, d->op, &key, d->addr + (u64)i * TMEM_PAGE_SIZE);
		if (ret)
			break;
	}
	*result = i;
	return ret;
}

static int run_desc(struct tmem_ring *r, const struct mgpu_tmem_desc *d, u64 *result)
{
	bool shared = d->flags & MGPU_TMEM_POOL_SHARED;
	int ret;

	switch (d->op) {
	case MGPU_TMEM_OP_NOP:
		return 0;
	case MGPU_TMEM_OP_NEW_POOL:
		ret = r->ops->new_pool(r->priv, d->flags, shared ? d->uuid : NULL);
		if (ret < 0)
			return ret;
		*result = ret;
		return 0;
	case MGPU_TMEM_OP_DESTROY_POOL:
		return r->ops->destroy_pool(r->priv, d->pool);
	case MGPU_TMEM_OP_FLUSH_OBJECT:
		ret = r->ops->flush_object(r->priv, d->pool, d->oid);
		return ret == -ENOENT ? 0 : ret;
	}
	return run_pages(r, d, result);
}

/* Write back result, then status, so that a guest polling status sees both. */
static int complete_desc(struct tmem_ring *r, u64 gpa, int status, u64 result)
{
	u32 st = status;	/* the ABI's __s32, two's complement */

	if (r->ops->dma_write(r->priv, gpa + offsetof(struct mgpu_tmem_desc, result),
			      &result, sizeof(result)))
		return -EFAULT;
	return r->ops->dma_write(r->priv, gpa + offsetof(struct mgpu_tmem_desc, status),
				 &st, sizeof(st));
}

/* The descriptor at HEAD. Return: 0, or -EFAULT after stopping the ring. */
static int run_one(struct tmem_ring *r)
{
	u64 gpa = r->base + (u64)(r->head & (r->size - 1)) * TMEM_RING_DESC_SIZE;
	struct mgpu_tmem_desc d;
	u64 result = 0;
	int status;

	if (r->ops->dma_read(r->priv, gpa, &d, sizeof(d))) {
		ring_stop(r, MGPU_TMEM_ERR_RING_DMA);
		return -EFAULT;
	}
	status = tmem_desc_check(&d);
	if (!status)
		status = desc_status(run_desc(r, &d, &result));
	if (complete_desc(r, gpa, status, result)) {
		ring_stop(r, MGPU_TMEM_ERR_RING_DMA);
		return -EFAULT;
	}
	return 0;
}

/**
 * tmem_ring_process - complete descriptors from HEAD towards TAIL
 * @r: the ring
 * @budget: the most descriptors to complete
 *
 * Each descriptor is read once, validated, executed page by page, and completed by
 * writing its status and result; then HEAD advances. A TAIL more than RING_SIZE ahead
 * of HEAD, or ring memory that cannot be read or written, stops the ring
 * (MGPU_TMEM_STATUS_ERROR, ERROR says why, MGPU_TMEM_IRQ_ERROR raised). Completing
 * any descriptor raises MGPU_TMEM_IRQ_COMPLETION.
 *
 * Return: the number of descriptors completed.
 */
unsigned int tmem_ring_process(struct tmem_ring *r, unsigned int budget)
{
	unsigned int done = 0;

	while (done < budget && tmem_ring_pending(r)) {
		if (r->tail - r->head > r->size) {
			ring_stop(r, MGPU_TMEM_ERR_TAIL);
			break;
		}
		if (run_one(r))
			break;
		r->head++;
		done++;
	}
	if (done)
		r->irq_status |= MGPU_TMEM_IRQ_COMPLETION;
	return done;
}
