/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * mgpu tmem: the differences between 6.1 and 6.12 that mgpu_tmem.ko meets, in one place.
 * Kbuild probes the target's headers and defines the MGPU_HAVE_ macros; nothing here or
 * elsewhere tests kernel versions.
 */
#ifndef MGPU_TMEM_COMPAT_H
#define MGPU_TMEM_COMPAT_H

#include <linux/blk-mq.h>
#include <linux/blkdev.h>
#include <linux/eventfd.h>
#include <linux/shrinker.h>
#include <linux/slab.h>
#include <linux/vfio.h>

/*
 * Shrinkers: 6.7 replaced register_shrinker() on a caller's struct with
 * shrinker_alloc()/shrinker_register()/shrinker_free() and added ->private_data.
 */
#ifdef MGPU_HAVE_SHRINKER_ALLOC
static inline struct shrinker *
tmem_compat_shrinker_create(const char *name,
			    unsigned long (*count)(struct shrinker *, struct shrink_control *),
			    unsigned long (*scan)(struct shrinker *, struct shrink_control *),
			    void *priv)
{
	struct shrinker *s = shrinker_alloc(0, "%s", name);

	if (!s)
		return NULL;
	s->count_objects = count;
	s->scan_objects = scan;
	s->seeks = DEFAULT_SEEKS;
	s->private_data = priv;
	shrinker_register(s);
	return s;
}

static inline void tmem_compat_shrinker_destroy(struct shrinker *s)
{
	shrinker_free(s);
}

static inline void *tmem_compat_shrinker_priv(struct shrinker *s)
{
	return s->private_data;
}
#else
/* Before 6.7 the caller owns the struct shrinker: wrap it with the private pointer. */
struct tmem_compat_shrinker {
	struct shrinker s;
	void *priv;
};

static inline struct shrinker *
tmem_compat_shrinker_create(const char *name,
			    unsigned long (*count)(struct shrinker *, struct shrink_control *),
			    unsigned long (*scan)(struct shrinker *, struct shrink_control *),
			    void *priv)
{
	struct tmem_compat_shrinker *cs = kzalloc(sizeof(*cs), GFP_KERNEL);

	if (!cs)
		return NULL;
	cs->s.count_objects = count;
	cs->s.scan_objects = scan;
	cs->s.seeks = DEFAULT_SEEKS;
	cs->priv = priv;
	if (register_shrinker(&cs->s, "%s", name)) {
		kfree(cs);
		return NULL;
	}
	return &cs->s;
}

static inline void tmem_compat_shrinker_destroy(struct shrinker *s)
{
	unregister_shrinker(s);
	kfree(container_of(s, struct tmem_compat_shrinker, s));
}

static inline void *tmem_compat_shrinker_priv(struct shrinker *s)
{
	return container_of(s, struct tmem_compat_shrinker, s)->priv;
}
#endif

/*
 * A blk-mq disk with 4 KiB blocks, discard and write-zeroes: 6.9 made the queue limits
 * an argument of blk_mq_alloc_disk(); before, they were set on the queue afterwards.
 * Non-rotational is the default since 6.11 and a queue flag before.
 */
static inline struct gendisk *tmem_compat_alloc_disk(struct blk_mq_tag_set *set,
						     void *queuedata,
						     unsigned int block_size,
						     unsigned int max_sectors)
{
#ifdef MGPU_HAVE_BLK_ALLOC_DISK_LIMITS
	struct queue_limits lim = {
		.logical_block_size		= block_size,
		.physical_block_size		= block_size,
		.io_min				= block_size,
		.max_hw_sectors			= max_sectors,
		.max_hw_discard_sectors		= UINT_MAX,
		.discard_granularity		= block_size,
		.max_write_zeroes_sectors	= UINT_MAX,
	};

	return blk_mq_alloc_disk(set, &lim, queuedata);
#else
	struct gendisk *disk = blk_mq_alloc_disk(set, queuedata);
	struct request_queue *q;

	if (IS_ERR(disk))
		return disk;
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
 * VFIO, for the tmem device (vdev.c), with the feature tests mdev/compat.h uses too:
 * 6.1's ->release() frees the vfio_device itself; iommufd's emulated-device callbacks
 * exist from 6.2 (NULL stubs when IOMMUFD is off); eventfd_signal() lost its count in
 * 6.8.
 */
static inline void tmem_compat_free_vdev(struct vfio_device *vdev)
{
#ifdef MGPU_NEED_VFIO_FREE_DEVICE
	vfio_free_device(vdev);
#endif
}

#ifdef MGPU_HAVE_IOMMUFD_OPS
#define TMEM_VFIO_IOMMUFD_OPS					\
	.bind_iommufd	= vfio_iommufd_emulated_bind,		\
	.unbind_iommufd	= vfio_iommufd_emulated_unbind,		\
	.attach_ioas	= vfio_iommufd_emulated_attach_ioas,	\
	.detach_ioas	= vfio_iommufd_emulated_detach_ioas,
#else
#define TMEM_VFIO_IOMMUFD_OPS
#endif

static inline void tmem_compat_eventfd_signal(struct eventfd_ctx *ctx)
{
#ifdef MGPU_NEED_EVENTFD_COUNT
	eventfd_signal(ctx, 1);
#else
	eventfd_signal(ctx);
#endif
}

#endif /* MGPU_TMEM_COMPAT_H */
