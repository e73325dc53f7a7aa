/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * mgpu tmem guest: the differences between 6.1 and 6.12 that mgpu_tmem_guest.ko meets,
 * in one place. Kbuild probes the target's headers and defines the MGPU_HAVE_ macros;
 * nothing here or elsewhere tests kernel versions.
 */
#ifndef MGPU_TMEM_GUEST_COMPAT_H
#define MGPU_TMEM_GUEST_COMPAT_H

#include <linux/blkdev.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/pci.h>

/* 6.8 renamed PCI_IRQ_LEGACY to PCI_IRQ_INTX (and later dropped the old name). */
#ifdef MGPU_HAVE_PCI_IRQ_INTX
#define TMEM_COMPAT_PCI_IRQ_INTX	PCI_IRQ_INTX
#else
#define TMEM_COMPAT_PCI_IRQ_INTX	PCI_IRQ_LEGACY
#endif

/*
 * A bio-based disk with 4 KiB blocks, discard and write-zeroes, non-rotational: 6.9
 * made the queue limits an argument of blk_alloc_disk(); before, they were set on the
 * queue afterwards. Non-rotational is the default since 6.11 and a queue flag before.
 */
static inline struct gendisk *tmem_compat_blk_alloc_disk(unsigned int block_size,
							 unsigned int max_sectors)
{
#ifdef MGPU_HAVE_BLK_ALLOC_DISK_LIM
	struct queue_limits lim = {
		.logical_block_size		= block_size,
		.physical_block_size		= block_size,
		.io_min				= block_size,
		.max_hw_sectors			= max_sectors,
		.max_hw_discard_sectors		= UINT_MAX,
		.discard_granularity		= block_size,
		.max_write_zeroes_sectors	= UINT_MAX,
	};

	return blk_alloc_disk(&lim, NUMA_NO_NODE);
#else
	struct gendisk *disk = blk_alloc_disk(NUMA_NO_NODE);
	struct request_queue *q;

	if (!disk)
		return ERR_PTR(-ENOMEM);
	q = disk->queue;
	blk_queue_logical_block_size(q, block_size);
	blk_queue_physical_block_size(q, block_size);
	blk_queue_io_min(q, block_size);
	blk_queue_max_hw_sectors(q, max_sectors);
	blk_queue_max_discard_sectors(q, UINT_MAX);
	q->limits.discard_granularity = block_size;
	blk_queue_max_write_zeroes_sectors(q, UINT_MAX);
	blk_queue_flag_set(QUEUE_FLAG_NONROT, q);
	return disk;
#endif
}

/*
 * Opening a block device by path for exclusive read-write use: a struct file since
 * 6.9, a struct block_device with an fmode_t before. bdev_fput() (6.10) gives the
 * claim back at once, so the device can be reopened right after; fput() defers that.
 */
static inline struct block_device *tmem_compat_bdev_open(const char *path, void *holder,
							 void **handle)
{
#ifdef MGPU_HAVE_BDEV_FILE_OPEN
	struct file *f = bdev_file_open_by_path(path, BLK_OPEN_READ | BLK_OPEN_WRITE,
						holder, NULL);

	if (IS_ERR(f))
		return ERR_CAST(f);
	*handle = f;
	return file_bdev(f);
#else
	struct block_device *bdev;

	bdev = blkdev_get_by_path(path, FMODE_READ | FMODE_WRITE | FMODE_EXCL, holder);
	if (!IS_ERR(bdev))
		*handle = bdev;
	return bdev;
#endif
}

static inline void tmem_compat_bdev_close(void *handle)
{
#if defined(MGPU_HAVE_BDEV_FPUT)
	bdev_fput(handle);
#elif defined(MGPU_HAVE_BDEV_FILE_OPEN)
	fput(handle);
#else
	blkdev_put(handle, FMODE_READ | FMODE_WRITE | FMODE_EXCL);
#endif
}

#endif /* MGPU_TMEM_GUEST_COMPAT_H */
