/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * mgpu tmem guest: the structures and cross-file functions of mgpu_tmem_guest.ko, the
 * guest's drivers for the tmem device of include/uapi/linux/mgpu_tmem.h — the PCI
 * driver and its descriptor ring (dev.c, ring.c), page buffers and synchronous block
 * I/O (buf.c), a swap block device with frontswap semantics (swap.c, swap_io.c) and a
 * device-mapper target with cleancache semantics (cache.c).
 *
 * Lock order: tmem_gdev.swap_lock -> tmem_gdev.ring_lock -> tmem_gdev.irq_lock. The
 * swap device's worker takes only ring_lock (through tmem_gdev_submit()); a cache
 * target's worker the same.
 */
#ifndef MGPU_TMEM_GUEST_H
#define MGPU_TMEM_GUEST_H

#include <linux/atomic.h>
#include <linux/blk_types.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/mgpu_tmem.h>

#define TMEM_GPAGE		MGPU_TMEM_PAGE_SIZE
#define TMEM_GPAGE_SECTORS	(TMEM_GPAGE >> SECTOR_SHIFT)
#define TMEM_GBATCH		64	/* descriptors (pages) per doorbell, at most */
#define TMEM_GRING		256	/* ring entries we ask for */
#define TMEM_GMAX_DEVICES	64

struct pci_dev;
struct page;
struct tmem_swap;

/**
 * struct tmem_gdev - one bound tmem device (one host client)
 * @pdev: its PCI function
 * @regs: BAR0
 * @kref: users: the PCI binding and every cache target on it
 * @node: in the registry (dev.c)
 * @id: N of "tmem device N" (/dev/tmemswapN, the cache target's table)
 * @caps: MGPU_TMEM_CAP_*
 * @client_id: the host's client number (CLIENT_ID)
 * @max_count: the most pages of one descriptor (MAX_COUNT)
 * @ring_lock: guards @ring, @tail, @dead and the reset; held across a batch
 * @ring: the descriptor ring, @ring_size entries, coherent DMA memory
 * @ring_dma: its bus address
 * @ring_size: entries (a power of two)
 * @tail: descriptors submitted, free-running (TAIL)
 * @stopped: the host stopped the ring (IRQ_ERROR or STATUS_ERROR); a reset is due
 * @dead: a batch timed out: the device is given up, its I/O fails at once
 * @gone: the PCI function was removed; its I/O fails at once
 * @generation: bumped by every reset, which destroys every pool of the client
 * @wait: batch waiters, woken by the completion interrupt
 * @reset_work: resets a stopped ring
 * @irq_lock: guards @swap for the interrupt handler
 * @swap: its swap device, or NULL
 * @swap_lock: serialises creating and removing @swap
 * @batches: doorbells rung
 * @timeouts: batches that timed out
 * @resets: resets after a ring stop
 */
struct tmem_gdev {
	struct pci_dev *pdev;
	void __iomem *regs;
	struct kref kref;
	struct list_head node;
	int id;
	u32 caps;
	u32 client_id;
	u32 max_count;

	/* guards ring, tail, dead, gone and the reset */
	struct mutex ring_lock;
	struct mgpu_tmem_desc *ring;
	dma_addr_t ring_dma;
	u32 ring_size;
	u32 tail;
	bool stopped;
	bool dead;
	bool gone;
	atomic_t generation;
	wait_queue_head_t wait;
	struct work_struct reset_work;

	/* guards swap for the interrupt handler */
	spinlock_t irq_lock;
	struct tmem_swap *swap;
	/* serialises creating and removing swap */
	struct mutex swap_lock;

	atomic64_t batches;
	atomic64_t timeouts;
	atomic64_t resets;
};

/**
 * struct tmem_gbuf - bounce pages the device reads and writes, mapped once
 * @dev: the device they are mapped for
 * @nr: pages
 * @pages: the pages
 * @dma: their bus addresses (bidirectional streaming mappings)
 */
struct tmem_gbuf {
	struct device *dev;
	unsigned int nr;
	struct page *pages[TMEM_GBATCH];
	dma_addr_t dma[TMEM_GBATCH];
};

/**
 * struct tmem_gbdev - an open backing block device
 * @bdev: the device
 * @handle: what closes it (a struct file on kernels that open block devices as files)
 */
struct tmem_gbdev {
	struct block_device *bdev;
	void *handle;
};

/* dev.c: the PCI driver and the device registry */
int tmem_gdev_register(void);
void tmem_gdev_unregister(void);
struct tmem_gdev *tmem_gdev_get(int id);
void tmem_gdev_put(struct tmem_gdev *g);
u32 tmem_gdev_writeback_hint(struct tmem_gdev *g);
extern char *tmem_swap_backing[TMEM_GMAX_DEVICES];

/* ring.c: the descriptor ring */
int tmem_gdev_ring_start(struct tmem_gdev *g);
void tmem_gdev_ring_stop(struct tmem_gdev *g);
void tmem_gdev_reset_work(struct work_struct *work);
void tmem_gdev_ring_irq(struct tmem_gdev *g, u32 status);
int tmem_gdev_submit(struct tmem_gdev *g, u32 gen, struct mgpu_tmem_desc *descs,
		     unsigned int n);
int tmem_gdev_new_pool(struct tmem_gdev *g, u32 gen, u8 flags, const u8 *uuid);
void tmem_gdev_destroy_pool(struct tmem_gdev *g, u32 gen, u16 pool);
u32 tmem_gdev_generation(struct tmem_gdev *g);

/* buf.c: bounce pages, copies to and from bios, synchronous block I/O */
int tmem_gbuf_init(struct tmem_gbuf *b, struct device *dev, unsigned int nr);
void tmem_gbuf_exit(struct tmem_gbuf *b);
void *tmem_gbuf_cpu(struct tmem_gbuf *b, unsigned int i);
void tmem_gbuf_for_dev(struct tmem_gbuf *b, unsigned int i);
void tmem_gbuf_desc(struct mgpu_tmem_desc *d, u8 op, u16 pool, u64 page,
		    dma_addr_t addr);
void tmem_bio_copy(struct bio *bio, struct bvec_iter *iter, void *buf, bool to_bio);
int tmem_gbdev_rw(struct block_device *bdev, u64 page, struct page **pages,
		  unsigned int nr, bool write);
int tmem_gbdev_open(struct tmem_gbdev *b, const char *path, void *holder);
void tmem_gbdev_close(struct tmem_gbdev *b);

/* swap.c: /dev/tmemswapN */
int tmem_swap_init(void);
void tmem_swap_exit(void);
int tmem_swap_create(struct tmem_gdev *g, const char *path);
int tmem_swap_remove(struct tmem_gdev *g, bool force);
void tmem_swap_writeback_request(struct tmem_swap *s);
ssize_t tmem_swap_backing_show(struct tmem_gdev *g, char *buf);

/* cache.c: the tmem_cache device-mapper target */
int tmem_cache_init(void);
void tmem_cache_exit(void);

#endif /* MGPU_TMEM_GUEST_H */
