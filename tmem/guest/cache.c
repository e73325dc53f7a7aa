// SPDX-License-Identifier: GPL-2.0-only
/*
 * mgpu tmem guest: the tmem_cache device-mapper target — cleancache semantics over a
 * disk. Clean pages read from the disk are offered to an ephemeral pool of a tmem
 * device; later reads ask the pool first and go to the disk only for what it no longer
 * has (the host may evict any page at any time).
 *
 *   table: <dev_path> <tmem device number> [shared <uuid>]
 *
 * The target maps the whole of <dev_path> from its start; a page's key is (object =
 * high 32 bits of its page number, index = low 32 bits), so every target over the same
 * disk agrees on keys. With "shared <uuid>" it joins the shared pool of that UUID when
 * the host has authorised it for this client; when NEW_POOL answers -EPERM (not
 * authorised) or the host offers no shared pools, that is logged and a private pool
 * is used. A get from a private pool is exclusive (the page leaves the pool, as
 * cleancache's did for a page going back into the page cache); from a shared one it
 * is not.
 *
 * Coherency: writes, discards and write-zeroes flush the pages they touch before they
 * go to the disk; I/O not made of whole 4 KiB pages bypasses the cache and flushes the
 * pages it touches too. A flush the host fails turns the cache off (no stale page can
 * be returned then). A shared pool is coherent for writes made through its targets
 * while no other member reads the same pages: it is meant for read-mostly data.
 * Writes to the disk that bypass every target are not seen.
 *
 * Each target has one worker (an ordered workqueue) that serves its bios one at a
 * time, synchronously — so no read can put a page between a write's flush and its
 * completion. Throughput is that of one request at a time; this is a cache for tests
 * and small read-mostly disks, not a fast path. Bios are split at 64 pages
 * (max_io_len) so that one bio's pages fit one batch of descriptors, and at a
 * max_sectors rounded down to whole pages (io_hints), so the pieces stay aligned.
 *
 * Messages use device-mapper's DM_MSG_PREFIX ("device-mapper: tmem_cache: ").
 */
#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/device-mapper.h>
#include <linux/kstrtox.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/uuid.h>
#include <linux/workqueue.h>

#include "guest.h"

#define DM_MSG_PREFIX		"tmem_cache"

/**
 * struct tmem_cache - one tmem_cache target
 * @dev: the disk it caches
 * @g: the tmem device whose pool it uses (held)
 * @tmem_id: that device's number, as the table gave it
 * @want_shared: the table asked for a shared pool
 * @uuid: its UUID
 * @lock: guards @queue
 * @queue: bios waiting for the worker
 * @wq: the worker's workqueue
 * @work: the worker; everything below belongs to it
 * @gen: the device generation @pool belongs to
 * @pool: the ephemeral pool, or -1 (the cache is off: every read goes to the disk)
 * @pool_tried: the generation a pool was last asked for
 * @shared: @pool is the shared pool of @uuid
 * @buf: bounce pages, one per page of a bio
 * @descs: a batch of descriptors
 * @hits: pages read from the pool
 * @misses: pages read from the disk (the cache off included)
 * @puts: pages the pool accepted
 * @puts_refused: pages the pool refused
 * @invalidations: pages flushed by writes, discards and bypassed I/O
 * @bypassed: bios not made of whole pages
 * @errors: bios that failed
 */
struct tmem_cache {
	struct dm_dev *dev;
	struct tmem_gdev *g;
	int tmem_id;
	bool want_shared;
	u8 uuid[16];

	/* guards queue */
	spinlock_t lock;
	struct bio_list queue;
	struct workqueue_struct *wq;
	struct work_struct work;

	u32 gen;
	int pool;
	u32 pool_tried;
	bool shared;
	struct tmem_gbuf buf;
	struct mgpu_tmem_desc descs[TMEM_GBATCH];

	atomic64_t hits;
	atomic64_t misses;
	atomic64_t puts;
	atomic64_t puts_refused;
	atomic64_t invalidations;
	atomic64_t bypassed;
	atomic64_t errors;
};

/* ---- the pool --------------------------------------------------------------------- */

static int new_shared_pool(struct tmem_cache *c, u32 gen)
{
	int pool;

	if (!(c->g->caps & MGPU_TMEM_CAP_SHARED)) {
		DMWARN("tmem device %d offers no shared pools: using a private pool",
		       c->tmem_id);
		return -EOPNOTSUPP;
	}
	pool = tmem_gdev_new_pool(c->g, gen, MGPU_TMEM_POOL_SHARED, c->uuid);
	if (pool == -EPERM)
		DMWARN("tmem device %d, client %u: %pUb not authorised: using a private pool",
		       c->tmem_id, c->g->client_id, c->uuid);
	else if (pool < 0)
		DMWARN("tmem device %d: shared pool %pUb refused (%d): using a private pool",
		       c->tmem_id, c->uuid, pool);
	return pool;
}

/* Open the pool for the device's current generation; without one the cache is off. */
static void open_pool(struct tmem_cache *c)
{
	u32 gen = tmem_gdev_generation(c->g);
	int pool = -1;

	c->gen = gen;
	c->pool_tried = gen;
	c->shared = false;
	if (c->want_shared) {
		pool = new_shared_pool(c, gen);
		c->shared = pool >= 0;
	}
	if (pool < 0)
		pool = tmem_gdev_new_pool(c->g, gen, 0, NULL);
	if (pool < 0)
		DMWARN("tmem device %d gave no ephemeral pool (%d): the cache is off",
		       c->tmem_id, pool);
	c->pool = pool < 0 ? -1 : pool;
}

/* After a reset the pool is gone (and its pages with it): open another. */
static void check_generation(struct tmem_cache *c)
{
	u32 gen = tmem_gdev_generation(c->g);

	if (gen != c->gen) {
		c->pool = -1;
		open_pool(c);
	} else if (c->pool < 0 && gen != c->pool_tried) {
		open_pool(c);
	}
}

/* Stop using the pool for this generation (a flush failed: it may hold stale pages). */
static void cache_off(struct tmem_cache *c, int err)
{
	DMERR("tmem device %d: a flush failed (%d): the cache is off until the device resets",
	      c->tmem_id, err);
	tmem_gdev_destroy_pool(c->g, c->gen, c->pool);
	c->pool = -1;
}

/* ---- I/O -------------------------------------------------------------------------- */

static blk_status_t pass_through(struct tmem_cache *c, struct bio *bio)
{
	struct bio clone;
	int ret;

	ret = bio_init_clone(c->dev->bdev, &clone, bio, GFP_NOIO);
	if (ret)
		return errno_to_blk_status(ret);
	ret = submit_bio_wait(&clone);
	bio_uninit(&clone);
	return errno_to_blk_status(ret);
}

/* Flush pages @first..@last (inclusive) from the pool. */
static void invalidate(struct tmem_cache *c, u64 first, u64 last)
{
	unsigned int i, n;
	u64 page = first;

	while (c->pool >= 0 && page <= last) {
		for (n = 0; n < TMEM_GBATCH && page <= last; n++) {
			struct mgpu_tmem_desc *d = &c->descs[n];

			tmem_gbuf_desc(d, MGPU_TMEM_OP_FLUSH_PAGE, c->pool, page, 0);
			/* One descriptor covers pages up to the next 2^32 boundary. */
			d->count = min_t(u64, last - page + 1, c->g->max_count);
			d->count = min_t(u64, d->count, (u64)U32_MAX - d->index + 1);
			page += d->count;
			atomic64_add(d->count, &c->invalidations);
		}
		tmem_gdev_submit(c->g, c->gen, c->descs, n);
		for (i = 0; i < n; i++) {
			if (c->descs[i].status) {
				cache_off(c, c->descs[i].status);
				break;
			}
		}
	}
}

static void invalidate_bio(struct tmem_cache *c, struct bio *bio)
{
	sector_t sector = bio->bi_iter.bi_sector;

	if (!bio_sectors(bio))
		return;
	invalidate(c, sector / TMEM_GPAGE_SECTORS,
		   (sector + bio_sectors(bio) - 1) / TMEM_GPAGE_SECTORS);
}

/* GET every page of @bio; return how many hit, with @hit[] saying which. */
static unsigned int get_pages(struct tmem_cache *c, struct bio *bio, u64 page,
			      unsigned int n, bool *hit)
{
	unsigned int i, hits = 0;

	for (i = 0; i < n; i++) {
		tmem_gbuf_for_dev(&c->buf, i);
		tmem_gbuf_desc(&c->descs[i], MGPU_TMEM_OP_GET, c->pool, page + i, c->buf.dma[i]);
	}
	tmem_gdev_submit(c->g, c->gen, c->descs, n);
	for (i = 0; i < n; i++) {
		hit[i] = !c->descs[i].status && c->descs[i].result == 1;
		hits += hit[i];
	}
	return hits;
}

/* Offer the pages of @bio that missed to the pool. */
static void put_pages(struct tmem_cache *c, struct bio *bio, u64 page, unsigned int n,
		      const bool *hit)
{
	struct bvec_iter iter = bio->bi_iter;
	unsigned int i, k = 0, accepted = 0;

	for (i = 0; i < n; i++) {
		if (hit[i]) {
			bio_advance_iter(bio, &iter, TMEM_GPAGE);
			continue;
		}
		tmem_bio_copy(bio, &iter, tmem_gbuf_cpu(&c->buf, k), false);
		tmem_gbuf_for_dev(&c->buf, k);
		tmem_gbuf_desc(&c->descs[k], MGPU_TMEM_OP_PUT, c->pool, page + i, c->buf.dma[k]);
		k++;
	}
	if (!k)
		return;
	tmem_gdev_submit(c->g, c->gen, c->descs, k);
	for (i = 0; i < k; i++)
		accepted += !c->descs[i].status && c->descs[i].result == 1;
	atomic64_add(accepted, &c->puts);
	atomic64_add(k - accepted, &c->puts_refused);
}

static blk_status_t read_cached(struct tmem_cache *c, struct bio *bio)
{
	u64 page = bio->bi_iter.bi_sector / TMEM_GPAGE_SECTORS;
	unsigned int i, n = bio->bi_iter.bi_size / TMEM_GPAGE, hits = 0;
	bool hit[TMEM_GBATCH] = { };
	struct bvec_iter iter;
	blk_status_t sts;

	if (c->pool >= 0)
		hits = get_pages(c, bio, page, n, hit);
	atomic64_add(hits, &c->hits);
	atomic64_add(n - hits, &c->misses);
	if (hits == n) {
		iter = bio->bi_iter;
		for (i = 0; i < n; i++)
			tmem_bio_copy(bio, &iter, tmem_gbuf_cpu(&c->buf, i), true);
		return BLK_STS_OK;
	}
	/* Any miss: the disk serves the whole bio, then the pool gets what it lacked. */
	sts = pass_through(c, bio);
	if (!sts && c->pool >= 0)
		put_pages(c, bio, page, n, hit);
	return sts;
}

static bool whole_pages(struct bio *bio)
{
	return !(bio->bi_iter.bi_sector & (TMEM_GPAGE_SECTORS - 1)) &&
	       !(bio->bi_iter.bi_size % TMEM_GPAGE) && bio->bi_iter.bi_size &&
	       bio->bi_iter.bi_size <= TMEM_GBATCH * TMEM_GPAGE;
}

static void handle_bio(struct tmem_cache *c, struct bio *bio)
{
	blk_status_t sts;

	check_generation(c);
	if (bio_op(bio) == REQ_OP_READ && whole_pages(bio)) {
		sts = read_cached(c, bio);
	} else {
		if (bio_op(bio) == REQ_OP_READ)
			atomic64_inc(&c->bypassed);
		else if (op_is_write(bio_op(bio)) && !whole_pages(bio))
			atomic64_inc(&c->bypassed);
		invalidate_bio(c, bio);
		sts = pass_through(c, bio);
	}
	if (sts)
		atomic64_inc(&c->errors);
	bio->bi_status = sts;
	bio_endio(bio);
}

static void tmem_cache_work(struct work_struct *work)
{
	struct tmem_cache *c = container_of(work, struct tmem_cache, work);
	struct bio_list list;
	struct bio *bio;

	spin_lock_irq(&c->lock);
	list = c->queue;
	bio_list_init(&c->queue);
	spin_unlock_irq(&c->lock);
	while ((bio = bio_list_pop(&list)))
		handle_bio(c, bio);
}

/* ---- the target ------------------------------------------------------------------- */

static int parse_table(struct tmem_cache *c, struct dm_target *ti, unsigned int argc,
		       char **argv)
{
	if (argc != 2 && argc != 4) {
		ti->error = "Expected <dev_path> <tmem device number> [shared <uuid>]";
		return -EINVAL;
	}
	if (kstrtoint(argv[1], 10, &c->tmem_id) || c->tmem_id < 0) {
		ti->error = "Invalid tmem device number";
		return -EINVAL;
	}
	if (argc == 4) {
		if (strcmp(argv[2], "shared")) {
			ti->error = "Expected \"shared <uuid>\" after the tmem device number";
			return -EINVAL;
		}
		if (uuid_parse(argv[3], (uuid_t *)c->uuid)) {
			ti->error = "Invalid UUID";
			return -EINVAL;
		}
		c->want_shared = true;
	}
	return 0;
}

static int get_tmem_device(struct tmem_cache *c, struct dm_target *ti)
{
	c->g = tmem_gdev_get(c->tmem_id);
	if (!c->g) {
		ti->error = "No such tmem device (see tmem_id of the bound PCI devices)";
		return -ENODEV;
	}
	if (!(c->g->caps & MGPU_TMEM_CAP_EPHEMERAL)) {
		ti->error = "The tmem device offers no ephemeral pools";
		tmem_gdev_put(c->g);
		return -EOPNOTSUPP;
	}
	return 0;
}

static int tmem_cache_ctr(struct dm_target *ti, unsigned int argc, char **argv)
{
	struct tmem_cache *c = kzalloc(sizeof(*c), GFP_KERNEL);
	int ret;

	if (!c) {
		ti->error = "Cannot allocate the target";
		return -ENOMEM;
	}
	spin_lock_init(&c->lock);
	bio_list_init(&c->queue);
	INIT_WORK(&c->work, tmem_cache_work);
	ret = parse_table(c, ti, argc, argv);
	if (ret)
		goto err_free;
	ret = get_tmem_device(c, ti);
	if (ret)
		goto err_free;
	ret = dm_get_device(ti, argv[0], dm_table_get_mode(ti->table), &c->dev);
	if (ret) {
		ti->error = "Device lookup failed";
		goto err_put_tmem;
	}
	ret = tmem_gbuf_init(&c->buf, &c->g->pdev->dev, TMEM_GBATCH);
	if (ret) {
		ti->error = "Cannot allocate bounce pages";
		goto err_put_dev;
	}
	c->wq = alloc_workqueue("tmem_cache", WQ_MEM_RECLAIM, 1);
	if (!c->wq) {
		ret = -ENOMEM;
		ti->error = "Cannot allocate a workqueue";
		goto err_buf;
	}
	ret = dm_set_target_max_io_len(ti, TMEM_GBATCH * TMEM_GPAGE_SECTORS);
	if (ret)
		goto err_wq;
	open_pool(c);
	ti->num_flush_bios = 1;
	ti->num_discard_bios = 1;
	ti->num_write_zeroes_bios = 1;
	ti->private = c;
	return 0;

err_wq:
	destroy_workqueue(c->wq);
err_buf:
	tmem_gbuf_exit(&c->buf);
err_put_dev:
	dm_put_device(ti, c->dev);
err_put_tmem:
	tmem_gdev_put(c->g);
err_free:
	kfree(c);
	return ret;
}

static void tmem_cache_dtr(struct dm_target *ti)
{
	struct tmem_cache *c = ti->private;

	destroy_workqueue(c->wq);
	if (c->pool >= 0)
		tmem_gdev_destroy_pool(c->g, c->gen, c->pool);
	tmem_gbuf_exit(&c->buf);
	dm_put_device(ti, c->dev);
	tmem_gdev_put(c->g);
	kfree(c);
}

static int tmem_cache_map(struct dm_target *ti, struct bio *bio)
{
	struct tmem_cache *c = ti->private;
	unsigned long flags;

	bio_set_dev(bio, c->dev->bdev);
	bio->bi_iter.bi_sector = dm_target_offset(ti, bio->bi_iter.bi_sector);
	/* An empty flush has no pages: straight to the disk. */
	if (!bio_sectors(bio))
		return DM_MAPIO_REMAPPED;
	spin_lock_irqsave(&c->lock, flags);
	bio_list_add(&c->queue, bio);
	spin_unlock_irqrestore(&c->lock, flags);
	queue_work(c->wq, &c->work);
	return DM_MAPIO_SUBMITTED;
}

static void tmem_cache_status(struct dm_target *ti, status_type_t type,
			      unsigned int status_flags, char *result, unsigned int maxlen)
{
	struct tmem_cache *c = ti->private;
	unsigned int sz = 0;

	switch (type) {
	case STATUSTYPE_INFO:
		DMEMIT("hits %lld misses %lld puts %lld puts_refused %lld",
		       atomic64_read(&c->hits), atomic64_read(&c->misses),
		       atomic64_read(&c->puts), atomic64_read(&c->puts_refused));
		DMEMIT(" invalidations %lld bypassed %lld errors %lld pool %s",
		       atomic64_read(&c->invalidations), atomic64_read(&c->bypassed),
		       atomic64_read(&c->errors),
		       c->pool < 0 ? "none" : c->shared ? "shared" : "private");
		break;
	case STATUSTYPE_TABLE:
		DMEMIT("%s %d", c->dev->name, c->tmem_id);
		if (c->want_shared)
			DMEMIT(" shared %pUb", c->uuid);
		break;
	default:
		*result = '\0';
		break;
	}
}

/*
 * dm splits a bio at the queue's max_sectors (the disk's, e.g. 255 for brd): keep the
 * pieces whole pages, or they would all bypass the cache.
 */
static void tmem_cache_io_hints(struct dm_target *ti, struct queue_limits *limits)
{
	limits->max_hw_sectors = max_t(unsigned int, TMEM_GPAGE_SECTORS,
				       round_down(limits->max_hw_sectors, TMEM_GPAGE_SECTORS));
	limits->max_sectors = max_t(unsigned int, TMEM_GPAGE_SECTORS,
				    round_down(limits->max_sectors, TMEM_GPAGE_SECTORS));
}

static int tmem_cache_iterate_devices(struct dm_target *ti,
				      iterate_devices_callout_fn fn, void *data)
{
	struct tmem_cache *c = ti->private;

	return fn(ti, c->dev, 0, ti->len, data);
}

static struct target_type tmem_cache_target = {
	.name			= "tmem_cache",
	.version		= {1, 0, 0},
	.module			= THIS_MODULE,
	.ctr			= tmem_cache_ctr,
	.dtr			= tmem_cache_dtr,
	.map			= tmem_cache_map,
	.status			= tmem_cache_status,
	.iterate_devices	= tmem_cache_iterate_devices,
	.io_hints		= tmem_cache_io_hints,
};

/**
 * tmem_cache_init - register the tmem_cache target
 *
 * Context: module init.
 * Return: 0 or dm_register_target()'s error.
 */
int tmem_cache_init(void)
{
	int ret = dm_register_target(&tmem_cache_target);

	if (ret)
		DMERR("cannot register the target (%d)", ret);
	return ret;
}

/**
 * tmem_cache_exit - unregister the target (no table uses it: it holds the module)
 *
 * Context: module exit.
 */
void tmem_cache_exit(void)
{
	dm_unregister_target(&tmem_cache_target);
}
