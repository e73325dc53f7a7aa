// SPDX-License-Identifier: GPL-2.0-only
/*
 * mgpu tmem guest: the swap device's I/O — frontswap semantics on a block device.
 *
 * A 4 KiB write is a put into the client's persistent pool (object 0, index = the
 * page number). A put the host refuses, for whatever reason (-ENOSPC: full or over the
 * client's cap; -EBUSY: frozen; a dead device), goes to the backing device instead, so
 * no write fails while the backing device works and no page is lost. Each slot's state
 * says where its page is, so a read goes to the right place: a refused put has removed
 * any older copy from the pool (the ABI's rule), and a page written to the backing
 * device is in the pool no more. A slot never written, discarded, or freed by the swap
 * layer (swap_slot_free_notify) reads as zeros and is flushed from the pool.
 *
 * The host may ask for pages back (MGPU_TMEM_IRQ_WRITEBACK, the WRITEBACK register):
 * the oldest pages of the pool, in put order, are read, written to the backing device,
 * and only then flushed — a page is never absent from both.
 *
 * Everything runs in one worker per device (an ordered, WQ_MEM_RECLAIM workqueue):
 * ->submit_bio only queues, since writes to the backing device from inside it would
 * wait for it to return. The worker takes the whole queue at once and batches the
 * pages of consecutive reads or writes, up to TMEM_GBATCH, behind one doorbell. Slot
 * state, the age list and the batch belong to the worker alone.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/pci.h>
#include <linux/string.h>

#include "swap.h"

/* ---- slot state and the age list -------------------------------------------------- */

static void age_unlink(struct tmem_swap *s, u32 slot)
{
	u32 p = s->prev[slot], n = s->next[slot];

	if (p == TMEM_SLOT_NONE)
		s->age_head = n;
	else
		s->next[p] = n;
	if (n == TMEM_SLOT_NONE)
		s->age_tail = p;
	else
		s->prev[n] = p;
}

static void age_append(struct tmem_swap *s, u32 slot)
{
	s->prev[slot] = s->age_tail;
	s->next[slot] = TMEM_SLOT_NONE;
	if (s->age_tail == TMEM_SLOT_NONE)
		s->age_head = slot;
	else
		s->next[s->age_tail] = slot;
	s->age_tail = slot;
}

/* A put of a TMEM slot makes it the newest. */
static void set_state(struct tmem_swap *s, u32 slot, enum tmem_slot_state state)
{
	if (s->state[slot] == TMEM_SLOT_TMEM) {
		age_unlink(s, slot);
		atomic64_dec(&s->stats.stored_in_tmem);
	}
	if (state == TMEM_SLOT_TMEM) {
		age_append(s, slot);
		atomic64_inc(&s->stats.stored_in_tmem);
	}
	s->state[slot] = state;
}

/* ---- the pool --------------------------------------------------------------------- */

/**
 * tmem_swap_open_pool - open the device's persistent pool for the current generation
 * @s: the swap device
 *
 * Without a pool every page goes to the backing device. A failure is logged once per
 * generation: it is asked again only after the device resets.
 *
 * Context: the worker, or creation before the worker runs; sleeps.
 * Return: 0 or the error of NEW_POOL.
 */
int tmem_swap_open_pool(struct tmem_swap *s)
{
	u32 gen = tmem_gdev_generation(s->g);
	int pool;

	s->gen = gen;
	s->pool_tried = gen;
	pool = tmem_gdev_new_pool(s->g, gen, MGPU_TMEM_POOL_PERSISTENT, NULL);
	if (pool < 0) {
		dev_warn(&s->g->pdev->dev,
			 "%s: the host gave no persistent pool (%d): pages go to %s\n",
			 s->disk->disk_name, pool, s->backing_path);
		s->pool = -1;
		return pool;
	}
	s->pool = pool;
	return 0;
}

/**
 * tmem_swap_close_pool - destroy the pool; the caller has moved or dropped its pages
 * @s: the swap device
 *
 * Context: removal, after the worker's last run; sleeps.
 */
void tmem_swap_close_pool(struct tmem_swap *s)
{
	if (s->pool >= 0)
		tmem_gdev_destroy_pool(s->g, s->gen, s->pool);
	s->pool = -1;
}

/* After a device reset the pool and every page in it are gone: say so, open another. */
static void check_generation(struct tmem_swap *s)
{
	u32 gen = tmem_gdev_generation(s->g);
	u64 lost = 0;

	if (gen == s->gen && (s->pool >= 0 || gen == s->pool_tried))
		return;
	if (gen != s->gen) {
		while (s->age_head != TMEM_SLOT_NONE) {
			set_state(s, s->age_head, TMEM_SLOT_LOST);
			lost++;
		}
		atomic64_add(lost, &s->stats.lost_pages);
		if (lost)
			dev_err(&s->g->pdev->dev,
				"%s: the device was reset: %llu swapped pages it held are lost; reading them fails\n",
				s->disk->disk_name, lost);
		s->pool = -1;
	}
	tmem_swap_open_pool(s);
}

/* ---- flushes ---------------------------------------------------------------------- */

static void send_flushes(struct tmem_swap *s)
{
	if (!s->nr_flush)
		return;
	tmem_gdev_submit(s->g, s->gen, s->flush, s->nr_flush);
	s->nr_flush = 0;
}

/* Queue a flush of @slot's page; neighbours share one descriptor. */
static void queue_flush(struct tmem_swap *s, u32 slot)
{
	struct mgpu_tmem_desc *d = s->nr_flush ? &s->flush[s->nr_flush - 1] : NULL;

	atomic64_inc(&s->stats.flushes);
	if (d && d->index + d->count == slot && d->count < s->g->max_count) {
		d->count++;
		return;
	}
	if (s->nr_flush == TMEM_GBATCH)
		send_flushes(s);
	tmem_gbuf_desc(&s->flush[s->nr_flush++], MGPU_TMEM_OP_FLUSH_PAGE, s->pool, slot, 0);
}

/* The slot's page is no longer wanted: drop it from wherever it is. */
static void drop_slot(struct tmem_swap *s, u32 slot)
{
	if (s->state[slot] == TMEM_SLOT_TMEM)
		queue_flush(s, slot);
	set_state(s, slot, TMEM_SLOT_EMPTY);
}

static void drop_freed(struct tmem_swap *s)
{
	unsigned long slot;

	for_each_set_bit(slot, s->free_pending, s->nr_pages) {
		if (test_and_clear_bit(slot, s->free_pending))
			drop_slot(s, slot);
	}
	send_flushes(s);
}

static void discard(struct tmem_swap *s, struct bio *bio)
{
	u64 slot = bio->bi_iter.bi_sector / TMEM_GPAGE_SECTORS;
	u64 end = slot + bio->bi_iter.bi_size / TMEM_GPAGE;

	for (; slot < end; slot++) {
		clear_bit(slot, s->free_pending);
		drop_slot(s, slot);
	}
	send_flushes(s);
}

/* ---- batches of reads and writes -------------------------------------------------- */

static void entry_failed(struct tmem_swap *s, struct tmem_swap_entry *e)
{
	e->bio->bi_status = BLK_STS_IOERR;
	atomic64_inc(&s->stats.errors);
}

/* Entries @i.. @i + @n - 1 hold consecutive slots: one backing-device I/O for them. */
static unsigned int backing_run(struct tmem_swap *s, const bool *want, unsigned int i)
{
	unsigned int n = 1;

	while (i + n < s->nr_ent && want[i + n] && s->ent[i + n].slot == s->ent[i].slot + n)
		n++;
	return n;
}

static void backing_io(struct tmem_swap *s, const bool *want, bool write)
{
	unsigned int i, j, n;
	int ret;

	for (i = 0; i < s->nr_ent; i += n) {
		n = 1;
		if (!want[i])
			continue;
		n = backing_run(s, want, i);
		ret = tmem_gbdev_rw(s->backing.bdev, s->ent[i].slot, &s->buf.pages[i], n, write);
		for (j = i; j < i + n; j++) {
			if (ret) {
				entry_failed(s, &s->ent[j]);
				if (write)
					set_state(s, s->ent[j].slot, TMEM_SLOT_LOST);
			} else if (write) {
				set_state(s, s->ent[j].slot, TMEM_SLOT_BACKING);
			}
		}
		atomic64_add(n, write ? &s->stats.backing_writes : &s->stats.backing_reads);
	}
}

/* Is entry @i's page written again later in the batch? Then the later one decides. */
static bool superseded(struct tmem_swap *s, unsigned int i)
{
	unsigned int j;

	for (j = i + 1; j < s->nr_ent; j++) {
		if (s->ent[j].slot == s->ent[i].slot)
			return true;
	}
	return false;
}

static void write_batch(struct tmem_swap *s)
{
	bool refused[TMEM_GBATCH];
	unsigned int i, n = s->nr_ent;
	int ret = -ENODEV;

	for (i = 0; i < n; i++) {
		struct tmem_swap_entry *e = &s->ent[i];
		struct bvec_iter iter = e->iter;

		tmem_bio_copy(e->bio, &iter, tmem_gbuf_cpu(&s->buf, i), false);
		tmem_gbuf_for_dev(&s->buf, i);
		tmem_gbuf_desc(&s->descs[i], MGPU_TMEM_OP_PUT, s->pool, e->slot, s->buf.dma[i]);
		s->descs[i].status = ret;
	}
	if (s->pool >= 0)
		ret = tmem_gdev_submit(s->g, s->gen, s->descs, n);
	atomic64_add(n, &s->stats.puts);
	for (i = 0; i < n; i++) {
		refused[i] = s->descs[i].status || s->descs[i].result != 1;
		if (refused[i])
			atomic64_inc(&s->stats.puts_refused);
		if (superseded(s, i)) {
			refused[i] = false;
		} else if (refused[i]) {
			/* The host dropped any older copy: the page is the backing's now. */
			set_state(s, s->ent[i].slot, TMEM_SLOT_EMPTY);
		} else {
			set_state(s, s->ent[i].slot, TMEM_SLOT_TMEM);
		}
	}
	backing_io(s, refused, true);
	if (ret == -ESTALE)
		check_generation(s);
}

/* GET every entry the pool holds into its bounce page; failed ones are marked. */
static void read_from_pool(struct tmem_swap *s, bool *failed)
{
	unsigned int map[TMEM_GBATCH];
	unsigned int i, k = 0;

	for (i = 0; i < s->nr_ent; i++) {
		if (s->state[s->ent[i].slot] != TMEM_SLOT_TMEM)
			continue;
		tmem_gbuf_for_dev(&s->buf, i);
		tmem_gbuf_desc(&s->descs[k], MGPU_TMEM_OP_GET, s->pool, s->ent[i].slot,
			       s->buf.dma[i]);
		map[k++] = i;
	}
	if (!k)
		return;
	tmem_gdev_submit(s->g, s->gen, s->descs, k);
	atomic64_add(k, &s->stats.gets);
	for (i = 0; i < k; i++) {
		struct tmem_swap_entry *e = &s->ent[map[i]];

		if (!s->descs[i].status && s->descs[i].result == 1) {
			atomic64_inc(&s->stats.hits);
			continue;
		}
		dev_err_ratelimited(&s->g->pdev->dev,
				    "%s: page %u is missing from the host's persistent pool (%d)\n",
				    s->disk->disk_name, e->slot, s->descs[i].status);
		failed[map[i]] = true;
		entry_failed(s, e);
	}
}

static void read_batch(struct tmem_swap *s)
{
	bool failed[TMEM_GBATCH] = { }, backing[TMEM_GBATCH];
	unsigned int i;

	read_from_pool(s, failed);
	for (i = 0; i < s->nr_ent; i++) {
		enum tmem_slot_state st = s->state[s->ent[i].slot];

		backing[i] = st == TMEM_SLOT_BACKING;
		if (st == TMEM_SLOT_EMPTY)
			memset(tmem_gbuf_cpu(&s->buf, i), 0, TMEM_GPAGE);
		else if (st == TMEM_SLOT_LOST && !failed[i])
			entry_failed(s, &s->ent[i]);
		failed[i] |= st == TMEM_SLOT_LOST;
	}
	backing_io(s, backing, false);
	for (i = 0; i < s->nr_ent; i++) {
		struct tmem_swap_entry *e = &s->ent[i];
		struct bvec_iter iter = e->iter;

		if (!failed[i] && !e->bio->bi_status)
			tmem_bio_copy(e->bio, &iter, tmem_gbuf_cpu(&s->buf, i), true);
	}
}

static void run_batch(struct tmem_swap *s)
{
	unsigned int i;

	if (!s->nr_ent)
		return;
	if (s->ent_write)
		write_batch(s);
	else
		read_batch(s);
	for (i = 0; i < s->nr_ent; i++) {
		if (s->ent[i].last)
			bio_endio(s->ent[i].bio);
	}
	s->nr_ent = 0;
}

static void queue_pages(struct tmem_swap *s, struct bio *bio)
{
	bool write = op_is_write(bio_op(bio));
	struct bvec_iter iter = bio->bi_iter;
	u32 slot = iter.bi_sector / TMEM_GPAGE_SECTORS;
	u32 left = iter.bi_size / TMEM_GPAGE;

	for (; left; left--, slot++) {
		struct tmem_swap_entry *e;

		if (s->nr_ent == TMEM_GBATCH || (s->nr_ent && s->ent_write != write))
			run_batch(s);
		s->ent_write = write;
		e = &s->ent[s->nr_ent++];
		e->bio = bio;
		e->iter = iter;
		e->slot = slot;
		e->last = left == 1;
		/* A write to a slot freed and taken again replaces its page. */
		if (write)
			clear_bit(slot, s->free_pending);
		bio_advance_iter(bio, &iter, TMEM_GPAGE);
	}
}

/* ---- write-back ------------------------------------------------------------------- */

/*
 * Move up to @n of the oldest pages from the pool to the backing device: get, write,
 * then flush, so a page is never absent from both. A page that cannot be read or
 * written stays in the pool. Return: the pages moved.
 */
static unsigned int writeback_some(struct tmem_swap *s, unsigned int n)
{
	u32 slots[TMEM_GBATCH];
	unsigned int i, k = 0, moved = 0;
	u32 slot;

	for (slot = s->age_head; k < n && slot != TMEM_SLOT_NONE; slot = s->next[slot]) {
		tmem_gbuf_for_dev(&s->buf, k);
		tmem_gbuf_desc(&s->descs[k], MGPU_TMEM_OP_GET, s->pool, slot, s->buf.dma[k]);
		slots[k++] = slot;
	}
	if (!k || tmem_gdev_submit(s->g, s->gen, s->descs, k))
		return 0;
	atomic64_add(k, &s->stats.gets);
	for (i = 0; i < k; i++) {
		if (s->descs[i].status || s->descs[i].result != 1)
			continue;
		atomic64_inc(&s->stats.hits);
		tmem_gbuf_cpu(&s->buf, i);
		if (tmem_gbdev_rw(s->backing.bdev, slots[i], &s->buf.pages[i], 1, true)) {
			atomic64_inc(&s->stats.errors);
			continue;
		}
		atomic64_inc(&s->stats.backing_writes);
		queue_flush(s, slots[i]);
		set_state(s, slots[i], TMEM_SLOT_BACKING);
		moved++;
	}
	send_flushes(s);
	atomic64_add(moved, &s->stats.writeback_pages);
	return moved;
}

/* What the host (WRITEBACK, re-read as it changes) and the admin asked for. */
static void writeback(struct tmem_swap *s)
{
	bool host = atomic_xchg(&s->writeback_irq, 0);
	u64 want = (u32)atomic_xchg(&s->writeback_extra, 0);
	u64 budget = atomic64_read(&s->stats.stored_in_tmem);
	unsigned int moved;

	if (host)
		want += tmem_gdev_writeback_hint(s->g);
	while (want && budget && s->pool >= 0) {
		moved = writeback_some(s, min_t(u64, min(want, budget), TMEM_GBATCH));
		if (!moved)
			break;
		want -= min_t(u64, want, moved);
		budget -= moved;
		if (!want && host)
			want = tmem_gdev_writeback_hint(s->g);
	}
}

/* ---- the worker and the block device's entry points ------------------------------ */

static void handle_bio(struct tmem_swap *s, struct bio *bio)
{
	switch (bio_op(bio)) {
	case REQ_OP_READ:
	case REQ_OP_WRITE:
		queue_pages(s, bio);
		break;
	case REQ_OP_DISCARD:
	case REQ_OP_WRITE_ZEROES:
		run_batch(s);
		discard(s, bio);
		bio_endio(bio);
		break;
	default:
		bio->bi_status = BLK_STS_NOTSUPP;
		bio_endio(bio);
		break;
	}
}

/**
 * tmem_swap_work - the swap device's worker: freed slots, write-back, then the bios
 * @work: &tmem_swap.work
 *
 * Context: the device's workqueue, one run at a time; sleeps on the ring.
 */
void tmem_swap_work(struct work_struct *work)
{
	struct tmem_swap *s = container_of(work, struct tmem_swap, work);
	struct bio_list list;
	struct bio *bio;

	spin_lock_irq(&s->queue_lock);
	list = s->queue;
	bio_list_init(&s->queue);
	spin_unlock_irq(&s->queue_lock);

	check_generation(s);
	drop_freed(s);
	if (atomic_read(&s->writeback_irq) || atomic_read(&s->writeback_extra))
		writeback(s);
	while ((bio = bio_list_pop(&list)))
		handle_bio(s, bio);
	run_batch(s);
}

static void queue_work_locked(struct tmem_swap *s)
{
	lockdep_assert_held(&s->queue_lock);
	if (!s->removed)
		queue_work(s->wq, &s->work);
}

/**
 * tmem_swap_kick - run the worker (unless the device is being removed)
 * @s: the swap device
 *
 * Context: any.
 */
void tmem_swap_kick(struct tmem_swap *s)
{
	unsigned long flags;

	spin_lock_irqsave(&s->queue_lock, flags);
	queue_work_locked(s);
	spin_unlock_irqrestore(&s->queue_lock, flags);
}

/**
 * tmem_swap_submit_bio - the swap device's ->submit_bio: check and queue for the worker
 * @bio: whole 4 KiB pages within the device, or a flush
 *
 * Context: process context, inside the block layer's submission.
 */
void tmem_swap_submit_bio(struct bio *bio)
{
	struct tmem_swap *s = bio->bi_bdev->bd_disk->private_data;
	u64 page = bio->bi_iter.bi_sector / TMEM_GPAGE_SECTORS;
	u32 size = bio->bi_iter.bi_size;
	unsigned long flags;

	/* Pages are stored or written through before completion: nothing to flush. */
	if (!size && (bio_op(bio) == REQ_OP_FLUSH || op_is_flush(bio->bi_opf))) {
		bio_endio(bio);
		return;
	}
	if (!size || bio->bi_iter.bi_sector & (TMEM_GPAGE_SECTORS - 1) || size % TMEM_GPAGE ||
	    page + size / TMEM_GPAGE > s->nr_pages) {
		bio_io_error(bio);
		return;
	}
	spin_lock_irqsave(&s->queue_lock, flags);
	bio_list_add(&s->queue, bio);
	queue_work_locked(s);
	spin_unlock_irqrestore(&s->queue_lock, flags);
}

/**
 * tmem_swap_slot_free_notify - the swap layer freed a slot: drop its page
 * @bdev: the swap device
 * @offset: the slot (page number)
 *
 * Context: atomic (the swap layer's locks are held): only marks the slot for the
 * worker.
 */
void tmem_swap_slot_free_notify(struct block_device *bdev, unsigned long offset)
{
	struct tmem_swap *s = bdev->bd_disk->private_data;

	if (offset >= s->nr_pages)
		return;
	set_bit(offset, s->free_pending);
	tmem_swap_kick(s);
}

/**
 * tmem_swap_writeback_request - the host raised MGPU_TMEM_IRQ_WRITEBACK
 * @s: the swap device
 *
 * Context: hard interrupt.
 */
void tmem_swap_writeback_request(struct tmem_swap *s)
{
	atomic_set(&s->writeback_irq, 1);
	tmem_swap_kick(s);
}
