// SPDX-License-Identifier: GPL-2.0-only
/*
 * mgpu tmem: host-local block devices on the engine (/dev/mgpu_tmemN), zram-like, for
 * host use and for testing the engine without guests. Each device is one engine client
 * with one private pool, keyed (pool, object 0, page index):
 *  - a write is a put per 4 KiB page. A refused put fails the request: BLK_STS_NOSPC
 *    (-ENOSPC) when the budget, cap or reserves leave no room, BLK_STS_IOERR (-EIO)
 *    otherwise (frozen client, no memory). As the engine's coherency rule says, the
 *    page's old contents are gone then: it reads back as an I/O error until rewritten.
 *  - a read is a get. A page never written (or discarded) reads as zeros; a page
 *    written but not in the pool is an I/O error. In a persistent device that never
 *    happens (it is logged as an engine bug if it does).
 *  - discard and write-zeroes are flushes; those pages then read as zeros.
 * An "ephemeral" device uses an ephemeral pool instead: a cache, whose pages the engine
 * may evict at any time (pressure, the shrinker), after which they read as I/O errors.
 * A get from a private ephemeral pool is exclusive, so a read puts the page back
 * (which counts as a put, and may itself be refused). It is a test device only.
 *
 * One hardware queue; requests are served synchronously in ->queue_rq under the
 * engine's lock (BLK_MQ_F_BLOCKING), copying through a per-device bounce page, since a
 * 4 KiB tmem page may span several segments of a request.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/blk-mq.h>
#include <linux/blkdev.h>
#include <linux/highmem.h>
#include <linux/idr.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>

#include "compat.h"
#include "host.h"

#define TMEM_BLK_MAX_DEVICES	256
#define TMEM_BLK_MAX_MB		(64u << 10)	/* 64 GiB: 2 MiB of bitmaps */
#define TMEM_BLK_MAX_SECTORS	1024		/* 512 KiB per request */
#define TMEM_BLK_SECTORS	(TMEM_PAGE_SIZE >> SECTOR_SHIFT)

/**
 * struct tmem_blk - one host-local block device
 * @node: in tmem_blk_list
 * @client: its engine client
 * @tag_set: its blk-mq tag set (one hardware queue)
 * @disk: its gendisk
 * @written: pages whose last write was accepted (not discarded since); host lock
 * @lost: pages whose last write was refused, so their old data is gone; host lock
 * @bounce: one tmem page for copies; host lock
 * @nr_pages: its size in tmem pages
 * @pool: its pool id
 * @id: N of /dev/mgpu_tmemN
 * @ephemeral: its pool is ephemeral
 */
struct tmem_blk {
	struct list_head node;
	struct tmem_host_client *client;
	struct blk_mq_tag_set tag_set;
	struct gendisk *disk;
	unsigned long *written;
	unsigned long *lost;
	void *bounce;
	u64 nr_pages;
	u32 pool;
	int id;
	bool ephemeral;
};

static struct tmem_host *tmem_blk_host;
static int tmem_blk_major;
static DEFINE_IDA(tmem_blk_ida);
/* tmem_blk_list and the devices' lifetime */
static DEFINE_MUTEX(tmem_blk_lock);
static LIST_HEAD(tmem_blk_list);

/* ---- I/O --------------------------------------------------------------------------- */

static blk_status_t errno_to_sts(int err)
{
	return err == -ENOSPC ? BLK_STS_NOSPC : BLK_STS_IOERR;
}

static void key_of(const struct tmem_blk *b, u64 page, struct tmem_key *key)
{
	key->pool = b->pool;
	key->oid = 0;
	key->index = page;
}

static blk_status_t write_page_locked(struct tmem_blk *b, u64 page)
{
	struct tmem_key key;
	int ret;

	key_of(b, page, &key);
	ret = tmem_host_put_locked(b->client, &key, b->bounce);
	if (ret) {
		/* The engine removed the old copy: the page's data is gone. */
		if (test_and_clear_bit(page, b->written))
			set_bit(page, b->lost);
		return errno_to_sts(ret);
	}
	set_bit(page, b->written);
	clear_bit(page, b->lost);
	return BLK_STS_OK;
}

static blk_status_t read_page_locked(struct tmem_blk *b, u64 page)
{
	struct tmem_key key;
	int ret;

	if (test_bit(page, b->lost))
		return BLK_STS_IOERR;
	if (!test_bit(page, b->written)) {
		memset(b->bounce, 0, TMEM_PAGE_SIZE);
		return BLK_STS_OK;
	}
	key_of(b, page, &key);
	ret = tmem_host_get_locked(b->client, &key, b->bounce);
	if (ret) {
		if (!b->ephemeral)
			pr_err_ratelimited("%s: page %llu was accepted but is missing from its persistent pool (%d)\n",
					   b->disk->disk_name, page, ret);
		return BLK_STS_IOERR;
	}
	/* The get was exclusive: keep the page cached, as a block device should. */
	if (b->ephemeral)
		write_page_locked(b, page);
	return BLK_STS_OK;
}

/* Copy @rq's data through the bounce page, one tmem page at a time. */
static blk_status_t rw_locked(struct tmem_blk *b, struct request *rq)
{
	bool write = req_op(rq) == REQ_OP_WRITE;
	u64 page = blk_rq_pos(rq) / TMEM_BLK_SECTORS;
	struct req_iterator iter;
	blk_status_t sts;
	struct bio_vec bv;
	u32 fill = 0;

	rq_for_each_segment(bv, rq, iter) {
		u32 done = 0;

		while (done < bv.bv_len) {
			u32 n = min(bv.bv_len - done, TMEM_PAGE_SIZE - fill);

			if (!write && !fill) {
				sts = read_page_locked(b, page);
				if (sts)
					return sts;
			}
			if (write)
				memcpy_from_page(b->bounce + fill, bv.bv_page,
						 bv.bv_offset + done, n);
			else
				memcpy_to_page(bv.bv_page, bv.bv_offset + done,
					       b->bounce + fill, n);
			fill += n;
			done += n;
			if (fill < TMEM_PAGE_SIZE)
				continue;
			if (write) {
				sts = write_page_locked(b, page);
				if (sts)
					return sts;
			}
			fill = 0;
			page++;
		}
	}
	return fill ? BLK_STS_IOERR : BLK_STS_OK;
}

static blk_status_t discard_locked(struct tmem_blk *b, struct request *rq)
{
	u64 page = blk_rq_pos(rq) / TMEM_BLK_SECTORS;
	u64 end = page + blk_rq_bytes(rq) / TMEM_PAGE_SIZE;
	struct tmem_key key;

	for (; page < end; page++) {
		clear_bit(page, b->lost);
		if (!test_and_clear_bit(page, b->written))
			continue;
		key_of(b, page, &key);
		tmem_host_flush_page_locked(b->client, &key);
	}
	return BLK_STS_OK;
}

static blk_status_t tmem_blk_queue_rq(struct blk_mq_hw_ctx *hctx,
				      const struct blk_mq_queue_data *bd)
{
	struct tmem_blk *b = hctx->queue->queuedata;
	struct request *rq = bd->rq;
	blk_status_t sts;

	blk_mq_start_request(rq);
	/* The block layer keeps requests within the disk and its 4 KiB blocks. */
	if ((blk_rq_pos(rq) | blk_rq_sectors(rq)) & (TMEM_BLK_SECTORS - 1) ||
	    blk_rq_pos(rq) / TMEM_BLK_SECTORS + blk_rq_bytes(rq) / TMEM_PAGE_SIZE >
	    b->nr_pages) {
		blk_mq_end_request(rq, BLK_STS_IOERR);
		return BLK_STS_OK;
	}
	tmem_host_lock(tmem_blk_host);
	switch (req_op(rq)) {
	case REQ_OP_READ:
	case REQ_OP_WRITE:
		sts = rw_locked(b, rq);
		break;
	case REQ_OP_DISCARD:
	case REQ_OP_WRITE_ZEROES:
		sts = discard_locked(b, rq);
		break;
	default:
		sts = BLK_STS_NOTSUPP;
		break;
	}
	tmem_host_unlock(tmem_blk_host);
	blk_mq_end_request(rq, sts);
	return BLK_STS_OK;
}

static const struct blk_mq_ops tmem_blk_mq_ops = {
	.queue_rq	= tmem_blk_queue_rq,
};

static const struct block_device_operations tmem_blk_fops = {
	.owner		= THIS_MODULE,
};

/* ---- devices ----------------------------------------------------------------------- */

static void free_blk(struct tmem_blk *b)
{
	kfree(b->bounce);
	kvfree(b->lost);
	kvfree(b->written);
	kfree(b);
}

static struct tmem_blk *alloc_blk(u32 size_mb, bool ephemeral)
{
	struct tmem_blk *b = kzalloc(sizeof(*b), GFP_KERNEL);

	if (!b)
		return NULL;
	b->nr_pages = (u64)size_mb * (SZ_1M / TMEM_PAGE_SIZE);
	b->ephemeral = ephemeral;
	b->written = kvcalloc(BITS_TO_LONGS(b->nr_pages), sizeof(long), GFP_KERNEL);
	b->lost = kvcalloc(BITS_TO_LONGS(b->nr_pages), sizeof(long), GFP_KERNEL);
	b->bounce = kmalloc(TMEM_PAGE_SIZE, GFP_KERNEL);
	if (!b->written || !b->lost || !b->bounce) {
		free_blk(b);
		return NULL;
	}
	return b;
}

static int add_disk_of(struct tmem_blk *b)
{
	struct gendisk *disk;
	int ret;

	b->tag_set.ops = &tmem_blk_mq_ops;
	b->tag_set.nr_hw_queues = 1;
	b->tag_set.queue_depth = 64;
	b->tag_set.numa_node = NUMA_NO_NODE;
	b->tag_set.flags = BLK_MQ_F_SHOULD_MERGE | BLK_MQ_F_BLOCKING;
	ret = blk_mq_alloc_tag_set(&b->tag_set);
	if (ret)
		return ret;
	disk = tmem_compat_alloc_disk(&b->tag_set, b, TMEM_PAGE_SIZE, TMEM_BLK_MAX_SECTORS);
	if (IS_ERR(disk)) {
		ret = PTR_ERR(disk);
		goto err_free_tag_set;
	}
	disk->major = tmem_blk_major;
	disk->first_minor = b->id;
	disk->minors = 1;
	disk->flags |= GENHD_FL_NO_PART;
	disk->fops = &tmem_blk_fops;
	disk->private_data = b;
	snprintf(disk->disk_name, DISK_NAME_LEN, "mgpu_tmem%d", b->id);
	set_capacity(disk, b->nr_pages * TMEM_BLK_SECTORS);
	b->disk = disk;
	ret = add_disk(disk);
	if (ret)
		goto err_put_disk;
	return 0;

err_put_disk:
	put_disk(disk);
err_free_tag_set:
	blk_mq_free_tag_set(&b->tag_set);
	return ret;
}

static int open_client(struct tmem_blk *b, u32 weight)
{
	char name[32];
	int pool;

	snprintf(name, sizeof(name), "mgpu_tmem%d", b->id);
	b->client = tmem_host_client_new(tmem_blk_host, weight, name);
	if (IS_ERR(b->client))
		return PTR_ERR(b->client);
	pool = tmem_host_pool_new(b->client, b->ephemeral ? 0 : TMEM_POOL_PERSISTENT, NULL);
	if (pool < 0) {
		tmem_host_client_destroy(b->client);
		return pool;
	}
	b->pool = pool;
	return 0;
}

/**
 * tmem_blk_create - create /dev/mgpu_tmemN on a new engine client
 * @size_mb: its size in MiB (1..65536); storage is taken only as pages are written
 * @weight: its client's weight (TMEM_WEIGHT_MIN..TMEM_WEIGHT_MAX)
 * @ephemeral: an ephemeral (cache) pool instead of a persistent one
 *
 * Context: process context; sleeps.
 * Return: N (>= 0), -EINVAL, -ENOSPC (no device number or client id left) or -ENOMEM.
 */
int tmem_blk_create(u32 size_mb, u32 weight, bool ephemeral)
{
	struct tmem_blk *b;
	int ret;

	if (!size_mb || size_mb > TMEM_BLK_MAX_MB ||
	    weight < TMEM_WEIGHT_MIN || weight > TMEM_WEIGHT_MAX) {
		pr_info("blk_create: size %u MiB, weight %u refused: use 1..%u MiB and weight %u..%u\n",
			size_mb, weight, TMEM_BLK_MAX_MB, TMEM_WEIGHT_MIN, TMEM_WEIGHT_MAX);
		return -EINVAL;
	}
	b = alloc_blk(size_mb, ephemeral);
	if (!b)
		return -ENOMEM;
	mutex_lock(&tmem_blk_lock);
	ret = ida_alloc_max(&tmem_blk_ida, TMEM_BLK_MAX_DEVICES - 1, GFP_KERNEL);
	if (ret < 0) {
		pr_info("blk_create: all %d devices exist: remove one first\n",
			TMEM_BLK_MAX_DEVICES);
		goto err_unlock;
	}
	b->id = ret;
	ret = open_client(b, weight);
	if (ret)
		goto err_free_id;
	ret = add_disk_of(b);
	if (ret)
		goto err_destroy_client;
	list_add_tail(&b->node, &tmem_blk_list);
	mutex_unlock(&tmem_blk_lock);
	pr_info("%s: %u MiB %s device, client %u, weight %u\n", b->disk->disk_name, size_mb,
		ephemeral ? "ephemeral" : "persistent", b->client->id, weight);
	return b->id;

err_destroy_client:
	tmem_host_client_destroy(b->client);
err_free_id:
	ida_free(&tmem_blk_ida, b->id);
err_unlock:
	mutex_unlock(&tmem_blk_lock);
	free_blk(b);
	return ret;
}

/*
 * del_gendisk() drains and stops the queue, so no request runs after it even if the
 * device is still open (its I/O then fails); the tag set may go once the disk is
 * deleted, as blk-mq exits the queue there.
 */
static void destroy_blk(struct tmem_blk *b)
{
	lockdep_assert_held(&tmem_blk_lock);
	list_del(&b->node);
	del_gendisk(b->disk);
	put_disk(b->disk);
	blk_mq_free_tag_set(&b->tag_set);
	tmem_host_client_destroy(b->client);
	ida_free(&tmem_blk_ida, b->id);
	free_blk(b);
}

/**
 * tmem_blk_remove - remove /dev/mgpu_tmemN, its client and all its pages
 * @id: N
 *
 * An open device is removed too: its further I/O fails.
 *
 * Context: process context; sleeps.
 * Return: 0 or -ENOENT.
 */
int tmem_blk_remove(int id)
{
	struct tmem_blk *b;

	mutex_lock(&tmem_blk_lock);
	list_for_each_entry(b, &tmem_blk_list, node) {
		if (b->id == id) {
			pr_info("%s: removed\n", b->disk->disk_name);
			destroy_blk(b);
			mutex_unlock(&tmem_blk_lock);
			return 0;
		}
	}
	mutex_unlock(&tmem_blk_lock);
	pr_info("blk_remove: there is no /dev/mgpu_tmem%d\n", id);
	return -ENOENT;
}

/**
 * tmem_blk_init - register the block major
 * @h: the host the devices' clients live in
 *
 * Context: process context.
 * Return: 0 or register_blkdev()'s error.
 */
int tmem_blk_init(struct tmem_host *h)
{
	int ret = register_blkdev(0, "mgpu_tmem");

	if (ret < 0)
		return ret;
	tmem_blk_major = ret;
	tmem_blk_host = h;
	return 0;
}

/**
 * tmem_blk_exit - remove every device and unregister the major
 *
 * Context: process context; sleeps. No device is open (the module is in use while one
 * is) and sysfs can no longer create one (tmem_sysfs_fence()).
 */
void tmem_blk_exit(void)
{
	struct tmem_blk *b, *next;

	mutex_lock(&tmem_blk_lock);
	list_for_each_entry_safe(b, next, &tmem_blk_list, node)
		destroy_blk(b);
	mutex_unlock(&tmem_blk_lock);
	unregister_blkdev(tmem_blk_major, "mgpu_tmem");
	ida_destroy(&tmem_blk_ida);
}
