// SPDX-License-Identifier: GPL-2.0-only
/*
 * mgpu tmem guest: /dev/tmemswapN, a swap device with frontswap semantics on tmem
 * device N — its creation over a backing block device (the swap_backing module
 * parameter, or the device's swap_backing attribute), its removal, and its counters in
 * /sys/block/tmemswapN/. Its size is the backing device's. The I/O is in swap_io.c.
 *
 * Lifetime: the structure is freed with its gendisk (->free_disk), which outlives a
 * forced removal while swap still holds the device; by then the worker is gone, I/O
 * fails in the block layer and ->swap_slot_free_notify only marks slots.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/blkdev.h>
#include <linux/kstrtox.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>

#include "compat.h"
#include "swap.h"

#define TMEM_SWAP_MAX_SECTORS	(TMEM_GBATCH * TMEM_GPAGE_SECTORS)

static int tmem_swap_major;

/* ---- sysfs: /sys/block/tmemswapN/ ------------------------------------------------- */

static struct tmem_swap *to_swap(struct device *dev)
{
	return dev_to_disk(dev)->private_data;
}

/**
 * struct tmem_swap_stat_attr - a read-only counter of struct tmem_swap_stats
 * @attr: the sysfs attribute
 * @offset: the counter's place in struct tmem_swap_stats
 */
struct tmem_swap_stat_attr {
	struct device_attribute attr;
	size_t offset;
};

static ssize_t stat_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	const struct tmem_swap_stat_attr *sa =
		container_of(attr, struct tmem_swap_stat_attr, attr);
	const atomic64_t *counter = (const void *)&to_swap(dev)->stats + sa->offset;

	return sysfs_emit(buf, "%lld\n", atomic64_read(counter));
}

#define TMEM_SWAP_STAT(counter)							\
	static struct tmem_swap_stat_attr stat_##counter = {			\
		.attr = { .attr = { .name = #counter, .mode = 0444 }, .show = stat_show }, \
		.offset = offsetof(struct tmem_swap_stats, counter),		\
	}

TMEM_SWAP_STAT(puts);
TMEM_SWAP_STAT(puts_refused);
TMEM_SWAP_STAT(gets);
TMEM_SWAP_STAT(hits);
TMEM_SWAP_STAT(backing_writes);
TMEM_SWAP_STAT(backing_reads);
TMEM_SWAP_STAT(flushes);
TMEM_SWAP_STAT(writeback_pages);
TMEM_SWAP_STAT(errors);
TMEM_SWAP_STAT(lost_pages);
TMEM_SWAP_STAT(stored_in_tmem);

static ssize_t backing_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n", to_swap(dev)->backing_path);
}
static DEVICE_ATTR_RO(backing);

/* Move N of the oldest pages held by the host to the backing device, and wait. */
static ssize_t writeback_store(struct device *dev, struct device_attribute *attr,
			       const char *buf, size_t count)
{
	struct tmem_swap *s = to_swap(dev);
	u32 pages;

	if (kstrtou32(buf, 0, &pages) || pages > S32_MAX)
		return -EINVAL;
	atomic_add(pages, &s->writeback_extra);
	tmem_swap_kick(s);
	flush_work(&s->work);
	return count;
}
static DEVICE_ATTR_WO(writeback);

static struct attribute *tmem_swap_attrs[] = {
	&stat_puts.attr.attr,
	&stat_puts_refused.attr.attr,
	&stat_gets.attr.attr,
	&stat_hits.attr.attr,
	&stat_backing_writes.attr.attr,
	&stat_backing_reads.attr.attr,
	&stat_flushes.attr.attr,
	&stat_writeback_pages.attr.attr,
	&stat_errors.attr.attr,
	&stat_lost_pages.attr.attr,
	&stat_stored_in_tmem.attr.attr,
	&dev_attr_backing.attr,
	&dev_attr_writeback.attr,
	NULL
};
ATTRIBUTE_GROUPS(tmem_swap);

/* ---- creation and removal --------------------------------------------------------- */

static void free_swap(struct tmem_swap *s)
{
	kvfree(s->free_pending);
	kvfree(s->next);
	kvfree(s->prev);
	kvfree(s->state);
	kfree(s->backing_path);
	kfree(s);
}

static void tmem_swap_free_disk(struct gendisk *disk)
{
	free_swap(disk->private_data);
}

static const struct block_device_operations tmem_swap_fops = {
	.owner			= THIS_MODULE,
	.submit_bio		= tmem_swap_submit_bio,
	.swap_slot_free_notify	= tmem_swap_slot_free_notify,
	.free_disk		= tmem_swap_free_disk,
};

static struct tmem_swap *alloc_swap(struct tmem_gdev *g, const char *path)
{
	struct tmem_swap *s = kzalloc(sizeof(*s), GFP_KERNEL);

	if (!s)
		return NULL;
	s->g = g;
	s->backing_path = kstrdup(skip_spaces(path), GFP_KERNEL);
	if (!s->backing_path) {
		kfree(s);
		return NULL;
	}
	strim(s->backing_path);
	spin_lock_init(&s->queue_lock);
	bio_list_init(&s->queue);
	INIT_WORK(&s->work, tmem_swap_work);
	s->pool = -1;
	s->age_head = TMEM_SLOT_NONE;
	s->age_tail = TMEM_SLOT_NONE;
	return s;
}

static int alloc_slots(struct tmem_swap *s)
{
	u64 n = s->nr_pages;

	s->state = kvzalloc(n, GFP_KERNEL);
	s->prev = kvmalloc_array(n, sizeof(u32), GFP_KERNEL);
	s->next = kvmalloc_array(n, sizeof(u32), GFP_KERNEL);
	s->free_pending = kvcalloc(BITS_TO_LONGS(n), sizeof(long), GFP_KERNEL);
	if (!s->state || !s->prev || !s->next || !s->free_pending)
		return -ENOMEM;
	return 0;
}

static int open_backing(struct tmem_swap *s)
{
	struct device *dev = &s->g->pdev->dev;
	int ret;

	ret = tmem_gbdev_open(&s->backing, s->backing_path, s);
	if (ret) {
		dev_err(dev, "cannot open backing device %s (%d)\n", s->backing_path, ret);
		return ret;
	}
	s->nr_pages = bdev_nr_sectors(s->backing.bdev) / TMEM_GPAGE_SECTORS;
	if (s->nr_pages < 2 || s->nr_pages > TMEM_SWAP_MAX_PAGES) {
		dev_err(dev, "backing device %s has %llu pages: use 2..%u\n",
			s->backing_path, s->nr_pages, TMEM_SWAP_MAX_PAGES);
		tmem_gbdev_close(&s->backing);
		return -EINVAL;
	}
	return 0;
}

static int alloc_disk_of(struct tmem_swap *s)
{
	struct gendisk *disk;

	disk = tmem_compat_blk_alloc_disk(TMEM_GPAGE, TMEM_SWAP_MAX_SECTORS);
	if (IS_ERR(disk))
		return PTR_ERR(disk);
	disk->major = tmem_swap_major;
	disk->first_minor = s->g->id;
	disk->minors = 1;
	disk->flags |= GENHD_FL_NO_PART;
	disk->fops = &tmem_swap_fops;
	disk->private_data = s;
	snprintf(disk->disk_name, DISK_NAME_LEN, "tmemswap%d", s->g->id);
	set_capacity(disk, s->nr_pages * TMEM_GPAGE_SECTORS);
	s->disk = disk;
	return 0;
}

static int create_locked(struct tmem_gdev *g, const char *path)
{
	struct tmem_swap *s;
	int ret;

	lockdep_assert_held(&g->swap_lock);
	s = alloc_swap(g, path);
	if (!s)
		return -ENOMEM;
	ret = open_backing(s);
	if (ret)
		goto err_free;
	ret = alloc_slots(s);
	if (ret)
		goto err_close;
	ret = tmem_gbuf_init(&s->buf, &g->pdev->dev, TMEM_GBATCH);
	if (ret)
		goto err_close;
	s->wq = alloc_workqueue("tmemswap%d", WQ_MEM_RECLAIM, 1, g->id);
	if (!s->wq) {
		ret = -ENOMEM;
		goto err_buf;
	}
	ret = alloc_disk_of(s);
	if (ret)
		goto err_wq;
	tmem_swap_open_pool(s);
	ret = device_add_disk(&g->pdev->dev, s->disk, tmem_swap_groups);
	if (ret)
		goto err_pool;
	spin_lock_irq(&g->irq_lock);
	g->swap = s;
	spin_unlock_irq(&g->irq_lock);
	dev_info(&g->pdev->dev, "tmemswap%d: %llu MiB on %s, persistent pool %d\n", g->id,
		 s->nr_pages * TMEM_GPAGE >> 20, s->backing_path, s->pool);
	return 0;

err_pool:
	tmem_swap_close_pool(s);
	put_disk(s->disk);
err_wq:
	destroy_workqueue(s->wq);
err_buf:
	tmem_gbuf_exit(&s->buf);
err_close:
	tmem_gbdev_close(&s->backing);
err_free:
	free_swap(s);
	return ret;
}

/**
 * tmem_swap_create - create /dev/tmemswapN over a backing block device
 * @g: tmem device N
 * @path: the backing device's path; it is opened exclusively, and its size is the
 *	swap device's
 *
 * Context: process context; sleeps.
 * Return: 0; -EEXIST when N has one; -EOPNOTSUPP when the host offers no persistent
 * pools; -EINVAL for a backing device of fewer than 2 or more than 2^32 - 1 pages;
 * -ENOMEM; or the block layer's error opening @path.
 */
int tmem_swap_create(struct tmem_gdev *g, const char *path)
{
	int ret;

	if (!(g->caps & MGPU_TMEM_CAP_PERSISTENT)) {
		dev_err(&g->pdev->dev, "the host offers no persistent pools: no swap device\n");
		return -EOPNOTSUPP;
	}
	mutex_lock(&g->swap_lock);
	ret = g->swap ? -EEXIST : create_locked(g, path);
	mutex_unlock(&g->swap_lock);
	return ret;
}

static void destroy_locked(struct tmem_swap *s)
{
	struct tmem_gdev *g = s->g;
	u64 held = atomic64_read(&s->stats.stored_in_tmem);

	lockdep_assert_held(&g->swap_lock);
	spin_lock_irq(&g->irq_lock);
	g->swap = NULL;
	spin_unlock_irq(&g->irq_lock);
	del_gendisk(s->disk);
	spin_lock_irq(&s->queue_lock);
	s->removed = true;
	spin_unlock_irq(&s->queue_lock);
	/* Runs the work still queued: every bio accepted before del_gendisk() completes. */
	destroy_workqueue(s->wq);
	if (held)
		dev_warn(&g->pdev->dev, "tmemswap%d removed in use: %llu pages held by the host are lost\n",
			 g->id, held);
	tmem_swap_close_pool(s);
	tmem_gbuf_exit(&s->buf);
	tmem_gbdev_close(&s->backing);
	put_disk(s->disk);
}

/**
 * tmem_swap_remove - remove /dev/tmemswapN
 * @g: tmem device N
 * @force: remove it even while it is open (the PCI function is going); its pages in
 *	the pool are lost and its further I/O fails
 *
 * Context: process context; sleeps.
 * Return: 0; -ENOENT when N has none (0 with @force); -EBUSY when it is open (swapon)
 * and not @force.
 */
int tmem_swap_remove(struct tmem_gdev *g, bool force)
{
	struct tmem_swap *s;
	int ret = 0;

	mutex_lock(&g->swap_lock);
	s = g->swap;
	if (!s)
		ret = force ? 0 : -ENOENT;
	else if (!force && disk_openers(s->disk))
		ret = -EBUSY;
	else
		destroy_locked(s);
	mutex_unlock(&g->swap_lock);
	return ret;
}

/**
 * tmem_swap_backing_show - the swap_backing attribute: the backing device's path
 * @g: the tmem device
 * @buf: sysfs's page
 *
 * Context: process context.
 * Return: the length written: the path, or an empty line when there is no swap device.
 */
ssize_t tmem_swap_backing_show(struct tmem_gdev *g, char *buf)
{
	ssize_t len;

	mutex_lock(&g->swap_lock);
	len = sysfs_emit(buf, "%s\n", g->swap ? g->swap->backing_path : "");
	mutex_unlock(&g->swap_lock);
	return len;
}

/**
 * tmem_swap_init - register the tmemswap block major
 *
 * Context: module init.
 * Return: 0 or register_blkdev()'s error.
 */
int tmem_swap_init(void)
{
	int ret = register_blkdev(0, "tmemswap");

	if (ret < 0)
		return ret;
	tmem_swap_major = ret;
	return 0;
}

/**
 * tmem_swap_exit - unregister the major; every swap device is gone (devices unbound)
 *
 * Context: module exit.
 */
void tmem_swap_exit(void)
{
	unregister_blkdev(tmem_swap_major, "tmemswap");
}
