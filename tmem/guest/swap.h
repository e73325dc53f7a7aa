/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * mgpu tmem guest: the swap device's structure, shared by swap.c (the device, sysfs)
 * and swap_io.c (its I/O worker).
 */
#ifndef MGPU_TMEM_GUEST_SWAP_H
#define MGPU_TMEM_GUEST_SWAP_H

#include <linux/bio.h>

#include "guest.h"

/* Where a slot's page is */
enum tmem_slot_state {
	TMEM_SLOT_EMPTY,	/* never written, discarded or freed: reads as zeros */
	TMEM_SLOT_TMEM,		/* in the host's persistent pool */
	TMEM_SLOT_BACKING,	/* on the backing device */
	TMEM_SLOT_LOST,		/* was in the pool when the device reset: reads fail */
};

#define TMEM_SLOT_NONE		U32_MAX
#define TMEM_SWAP_MAX_PAGES	(U32_MAX - 1)

/**
 * struct tmem_swap_entry - one page of a batch
 * @bio: the bio it belongs to
 * @iter: where the page starts in @bio
 * @slot: its page number on the device
 * @last: the bio's last page: the bio completes with this batch
 */
struct tmem_swap_entry {
	struct bio *bio;
	struct bvec_iter iter;
	u32 slot;
	bool last;
};

/**
 * struct tmem_swap_stats - what sysfs shows; written by the worker only
 * @puts: pages written, each offered to the host first
 * @puts_refused: of @puts, those the host refused (or could not take)
 * @gets: reads of pages held by the host
 * @hits: of @gets, those the host returned
 * @backing_writes: pages written to the backing device
 * @backing_reads: pages read from the backing device
 * @flushes: pages dropped from the host's pool (discard, freed slots, write-back)
 * @writeback_pages: pages moved from the host's pool to the backing device
 * @errors: pages whose I/O failed
 * @lost_pages: pages lost to a device reset
 * @stored_in_tmem: pages held by the host now
 */
struct tmem_swap_stats {
	atomic64_t puts;
	atomic64_t puts_refused;
	atomic64_t gets;
	atomic64_t hits;
	atomic64_t backing_writes;
	atomic64_t backing_reads;
	atomic64_t flushes;
	atomic64_t writeback_pages;
	atomic64_t errors;
	atomic64_t lost_pages;
	atomic64_t stored_in_tmem;
};

/**
 * struct tmem_swap - /dev/tmemswapN: a swap device on a tmem device's persistent pool
 * @g: its tmem device (the PCI binding outlives it)
 * @disk: its gendisk; freeing the disk frees this structure
 * @backing: the backing block device
 * @backing_path: its path, as given
 * @nr_pages: the size in pages, the backing device's
 * @queue_lock: guards @queue and @removed
 * @queue: bios waiting for the worker
 * @removed: the device is being removed: queue no more work
 * @wq: the worker's workqueue (WQ_MEM_RECLAIM: swap-out must progress under pressure)
 * @work: the worker, swap_io.c; everything below belongs to it
 * @free_pending: slots the swap layer freed and the worker has not dropped yet
 * @writeback_extra: pages an admin asked to write back (sysfs writeback)
 * @writeback_irq: the host raised MGPU_TMEM_IRQ_WRITEBACK
 * @gen: the device generation @pool belongs to
 * @pool: the persistent pool, or -1 when there is none (pages go to the backing device)
 * @pool_tried: the generation a pool was last asked for
 * @state: per slot, enum tmem_slot_state
 * @prev: per slot, the previous slot of the age list of TMEM slots (oldest first)
 * @next: per slot, the next one
 * @age_head: the oldest TMEM slot, or TMEM_SLOT_NONE
 * @age_tail: the newest TMEM slot, or TMEM_SLOT_NONE
 * @buf: bounce pages, one per batch entry
 * @descs: PUT and GET descriptors of a batch
 * @ent: the pages of a batch
 * @nr_ent: valid entries of @ent
 * @ent_write: the batch is of writes (else reads)
 * @flush: FLUSH_PAGE descriptors waiting to be sent
 * @nr_flush: valid entries of @flush
 * @stats: the counters
 */
struct tmem_swap {
	struct tmem_gdev *g;
	struct gendisk *disk;
	struct tmem_gbdev backing;
	char *backing_path;
	u64 nr_pages;

	/* guards queue and removed */
	spinlock_t queue_lock;
	struct bio_list queue;
	bool removed;
	struct workqueue_struct *wq;
	struct work_struct work;
	unsigned long *free_pending;
	atomic_t writeback_extra;
	atomic_t writeback_irq;

	u32 gen;
	int pool;
	u32 pool_tried;
	u8 *state;
	u32 *prev;
	u32 *next;
	u32 age_head;
	u32 age_tail;
	struct tmem_gbuf buf;
	struct mgpu_tmem_desc descs[TMEM_GBATCH];
	struct tmem_swap_entry ent[TMEM_GBATCH];
	unsigned int nr_ent;
	bool ent_write;
	struct mgpu_tmem_desc flush[TMEM_GBATCH];
	unsigned int nr_flush;

	struct tmem_swap_stats stats;
};

/* swap_io.c */
void tmem_swap_submit_bio(struct bio *bio);
void tmem_swap_slot_free_notify(struct block_device *bdev, unsigned long offset);
void tmem_swap_work(struct work_struct *work);
void tmem_swap_kick(struct tmem_swap *s);
int tmem_swap_open_pool(struct tmem_swap *s);
void tmem_swap_close_pool(struct tmem_swap *s);

#endif /* MGPU_TMEM_GUEST_SWAP_H */
