// SPDX-License-Identifier: GPL-2.0-only
/*
 * mgpu tmem guest: what the swap device and the cache target share — bounce pages
 * mapped for the device, copies between them and bios, synchronous I/O of whole pages
 * on another block device, and opening a backing device by path.
 *
 * Bounce pages: a tmem page crosses the ring by bus address, so its data must be in
 * memory mapped for the device for the whole batch. Copying through pages mapped once
 * is simpler than mapping each bio's pages — which may start anywhere in a page when
 * user space does O_DIRECT I/O — and costs little next to a doorbell.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/dma-mapping.h>
#include <linux/gfp.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "compat.h"
#include "guest.h"

#define TMEM_GBDEV_VECS		16	/* pages per synchronous bio */

/**
 * tmem_gbuf_init - allocate and map bounce pages
 * @b: the set
 * @dev: the device that will read and write them
 * @nr: how many, 1..TMEM_GBATCH
 *
 * Context: process context; sleeps.
 * Return: 0, -EINVAL or -ENOMEM.
 */
int tmem_gbuf_init(struct tmem_gbuf *b, struct device *dev, unsigned int nr)
{
	BUILD_BUG_ON(PAGE_SIZE < TMEM_GPAGE);
	memset(b, 0, sizeof(*b));
	if (!nr || nr > TMEM_GBATCH)
		return -EINVAL;
	b->dev = dev;
	for (b->nr = 0; b->nr < nr; b->nr++) {
		struct page *page = alloc_page(GFP_KERNEL);
		dma_addr_t dma;

		if (!page)
			goto err_exit;
		dma = dma_map_page(dev, page, 0, TMEM_GPAGE, DMA_BIDIRECTIONAL);
		if (dma_mapping_error(dev, dma)) {
			__free_page(page);
			goto err_exit;
		}
		b->pages[b->nr] = page;
		b->dma[b->nr] = dma;
	}
	return 0;

err_exit:
	tmem_gbuf_exit(b);
	return -ENOMEM;
}

/**
 * tmem_gbuf_exit - unmap and free bounce pages
 * @b: the set (tmem_gbuf_init() may have failed on it)
 */
void tmem_gbuf_exit(struct tmem_gbuf *b)
{
	while (b->nr) {
		b->nr--;
		dma_unmap_page(b->dev, b->dma[b->nr], TMEM_GPAGE, DMA_BIDIRECTIONAL);
		__free_page(b->pages[b->nr]);
	}
}

/**
 * tmem_gbuf_cpu - take bounce page @i back from the device
 * @b: the set
 * @i: the page
 *
 * Return: its kernel address, for the CPU to read or fill.
 */
void *tmem_gbuf_cpu(struct tmem_gbuf *b, unsigned int i)
{
	dma_sync_single_for_cpu(b->dev, b->dma[i], TMEM_GPAGE, DMA_BIDIRECTIONAL);
	return page_address(b->pages[i]);
}

/**
 * tmem_gbuf_for_dev - hand bounce page @i to the device, for the next batch
 * @b: the set
 * @i: the page
 */
void tmem_gbuf_for_dev(struct tmem_gbuf *b, unsigned int i)
{
	dma_sync_single_for_device(b->dev, b->dma[i], TMEM_GPAGE, DMA_BIDIRECTIONAL);
}

/**
 * tmem_gbuf_desc - fill a one-page PUT, GET or FLUSH_PAGE descriptor
 * @d: the descriptor
 * @op: MGPU_TMEM_OP_PUT, _GET or _FLUSH_PAGE
 * @pool: the pool id
 * @page: the page number: its high 32 bits are the object id, the low ones the index
 * @addr: the bounce page's bus address (PUT, GET), else 0
 */
void tmem_gbuf_desc(struct mgpu_tmem_desc *d, u8 op, u16 pool, u64 page,
		    dma_addr_t addr)
{
	memset(d, 0, sizeof(*d));
	d->op = op;
	d->pool = pool;
	d->oid = upper_32_bits(page);
	d->index = lower_32_bits(page);
	d->count = 1;
	d->addr = addr;
}

/**
 * tmem_bio_copy - copy one tmem page between a bio and a buffer
 * @bio: the bio
 * @iter: where in @bio the page starts; advanced past it
 * @buf: TMEM_GPAGE bytes
 * @to_bio: copy @buf into the bio, else the bio into @buf
 *
 * The page may span several segments (O_DIRECT buffers need only 512-byte alignment).
 * The caller has checked that @bio holds TMEM_GPAGE bytes from @iter on.
 */
void tmem_bio_copy(struct bio *bio, struct bvec_iter *iter, void *buf, bool to_bio)
{
	unsigned int done = 0;

	while (done < TMEM_GPAGE) {
		struct bio_vec bv = bio_iter_iovec(bio, *iter);
		unsigned int n = min(bv.bv_len, TMEM_GPAGE - done);

		if (to_bio)
			memcpy_to_page(bv.bv_page, bv.bv_offset, buf + done, n);
		else
			memcpy_from_page(buf + done, bv.bv_page, bv.bv_offset, n);
		bio_advance_iter_single(bio, iter, n);
		done += n;
	}
}

/**
 * tmem_gbdev_rw - read or write whole pages of a block device and wait
 * @bdev: the device
 * @page: the first page (in TMEM_GPAGE units)
 * @pages: @nr pages of memory, one per device page
 * @nr: how many
 * @write: write them, else read
 *
 * Context: process context, not inside a ->submit_bio() (the bios would wait there
 * for the caller to return); sleeps. Allocates nothing: safe on the swap path.
 * Return: 0 or the block layer's error.
 */
int tmem_gbdev_rw(struct block_device *bdev, u64 page, struct page **pages,
		  unsigned int nr, bool write)
{
	struct bio_vec bvecs[TMEM_GBDEV_VECS];
	struct bio bio;
	int ret = 0;

	while (nr && !ret) {
		unsigned int i, n = min_t(unsigned int, nr, TMEM_GBDEV_VECS);

		bio_init(&bio, bdev, bvecs, n, write ? REQ_OP_WRITE : REQ_OP_READ);
		bio.bi_iter.bi_sector = page * TMEM_GPAGE_SECTORS;
		for (i = 0; i < n; i++)
			__bio_add_page(&bio, pages[i], TMEM_GPAGE, 0);
		ret = submit_bio_wait(&bio);
		bio_uninit(&bio);
		page += n;
		pages += n;
		nr -= n;
	}
	return ret;
}

/**
 * tmem_gbdev_open - open a block device by path, exclusively, for reading and writing
 * @b: where to keep it
 * @path: its path ("/dev/ram0"); surrounding white space is ignored
 * @holder: the exclusive holder
 *
 * Context: process context; sleeps.
 * Return: 0, -ENOMEM or the block layer's error (-ENOENT, -EBUSY, ...).
 */
int tmem_gbdev_open(struct tmem_gbdev *b, const char *path, void *holder)
{
	struct block_device *bdev;
	char *p = kstrdup(path, GFP_KERNEL);

	if (!p)
		return -ENOMEM;
	bdev = tmem_compat_bdev_open(strim(p), holder, &b->handle);
	kfree(p);
	if (IS_ERR(bdev))
		return PTR_ERR(bdev);
	b->bdev = bdev;
	return 0;
}

/**
 * tmem_gbdev_close - close a device of tmem_gbdev_open()
 * @b: the device
 */
void tmem_gbdev_close(struct tmem_gbdev *b)
{
	tmem_compat_bdev_close(b->handle);
	b->bdev = NULL;
	b->handle = NULL;
}
