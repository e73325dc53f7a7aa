/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * mgpu tmem: the tmem device — one engine client offered to a guest as a PCI function
 * through VFIO on an mdev (mdev.c: the parent; vdev.c: the device's life and its ring's
 * work; vdev_io.c: regions and ioctls; vdev_irq.c: interrupts). The guest ABI is
 * include/uapi/linux/mgpu_tmem.h; its state machine is ring.c.
 *
 * Locks (the order is in host.h): the ring is driven under tmem_vdev.lock one
 * descriptor at a time, and each page operation takes the engine's lock on its own, so
 * one guest never holds the engine for a batch. Guest memory (vfio_dma_rw()) is never
 * touched with the engine's lock held.
 */
#ifndef MGPU_TMEM_VDEV_H
#define MGPU_TMEM_VDEV_H

#include <linux/mdev.h>
#include <linux/mutex.h>
#include <linux/vfio.h>
#include <linux/workqueue.h>

#include "cfgspace.h"
#include "host.h"
#include "ring.h"

struct mm_struct;

/* VFIO's region offsets: index << 40 | offset (as in vfio-pci). */
#define TMEM_VDEV_OFFSET_SHIFT		40
#define TMEM_VDEV_OFFSET_TO_INDEX(off)	((off) >> TMEM_VDEV_OFFSET_SHIFT)
#define TMEM_VDEV_OFFSET_MASK		((1ULL << TMEM_VDEV_OFFSET_SHIFT) - 1)
#define TMEM_VDEV_REGION_OFFSET(index)	((u64)(index) << TMEM_VDEV_OFFSET_SHIFT)

/* The default weight of a new device's client; the admin changes it in sysfs. */
#define TMEM_VDEV_WEIGHT		100

/**
 * struct tmem_vdev_irq - the user's interrupt eventfds and the line's state
 * @intx: INTx trigger, or NULL
 * @msi: MSI trigger, or NULL
 * @req: the request eventfd (asks the user to release the device), or NULL
 * @intx_masked: INTx is masked (automasked on delivery, unmasked by the user)
 * @line: the line's level at the last update, for MSI's rising edges
 */
struct tmem_vdev_irq {
	struct eventfd_ctx *intx;
	struct eventfd_ctx *msi;
	struct eventfd_ctx *req;
	bool intx_masked;
	bool line;
};

/**
 * struct tmem_vdev - one tmem device
 * @vdev: its VFIO device
 * @client: its engine client, for the device's whole life (created at probe)
 * @lock: @ring, @cfg and @irq
 * @ring: the registers and ring
 * @cfg: the emulated config space
 * @irq: interrupt state
 * @work: runs the ring, in passes of a bounded number of descriptors, for doorbells
 *	that their writer does not serve itself (see tmem_vdev_kick())
 * @owner_mm: the mm of the process that opened the device (compared, never used)
 * @wb_work: polls the engine's write-back hint while the ring runs
 * @bounce: the ring's page for copies between guest memory and the engine
 */
struct tmem_vdev {
	struct vfio_device vdev;
	struct tmem_host_client *client;
	/* the ring, config space and interrupt state */
	struct mutex lock;
	struct tmem_ring ring;
	struct mgpu_cfg cfg;
	struct tmem_vdev_irq irq;
	struct work_struct work;
	struct mm_struct *owner_mm;
	struct delayed_work wb_work;
	void *bounce;
};

static inline struct tmem_vdev *to_tmem_vdev(struct vfio_device *vdev)
{
	return container_of(vdev, struct tmem_vdev, vdev);
}

/* vdev.c */
int tmem_vdev_module_init(void);
void tmem_vdev_module_exit(void);
int tmem_vdev_probe(struct mdev_device *mdev);
void tmem_vdev_remove(struct mdev_device *mdev);
unsigned int tmem_vdev_reg_write_locked(struct tmem_vdev *vd, u32 off, u32 val);
void tmem_vdev_kick(struct tmem_vdev *vd, unsigned int act);
void tmem_vdev_reset(struct tmem_vdev *vd);

/* vdev_io.c */
ssize_t tmem_vdev_read(struct vfio_device *vdev, char __user *buf, size_t count,
		       loff_t *ppos);
ssize_t tmem_vdev_write(struct vfio_device *vdev, const char __user *buf, size_t count,
			loff_t *ppos);
long tmem_vdev_ioctl(struct vfio_device *vdev, unsigned int cmd, unsigned long arg);

/* vdev_irq.c */
long tmem_vdev_get_irq_info(unsigned long arg);
long tmem_vdev_set_irqs(struct tmem_vdev *vd, unsigned long arg);
void tmem_vdev_irq_update_locked(struct tmem_vdev *vd);
void tmem_vdev_irq_release_locked(struct tmem_vdev *vd);
void tmem_vdev_request(struct vfio_device *vdev, unsigned int count);

/* mdev.c */
struct tmem_host *tmem_mdev_host(void);
int tmem_mdev_init(struct tmem_host *h);
void tmem_mdev_exit(void);

#endif /* MGPU_TMEM_VDEV_H */
