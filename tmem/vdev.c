// SPDX-License-Identifier: GPL-2.0-only
/*
 * mgpu tmem: a tmem device's life as a VFIO device — probe (an engine client per
 * device, so the admin can set its weight, cap and authorisations before a guest runs),
 * open, close, reset, release — and its ring, run by the doorbell's writer (so a VM's
 * batches cost the VM's CPU time) or a work item: guest memory through vfio_dma_rw(),
 * pages through the host's engine one operation per lock hold.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>

#include "compat.h"
#include "vdev.h"

/* Descriptors per pass of the ring's work before it yields and requeues itself. */
#define TMEM_VDEV_BUDGET	64
/* How often the write-back hint is polled while the ring runs. */
#define TMEM_VDEV_WB_PERIOD	(HZ / 10)

static struct workqueue_struct *tmem_vdev_wq;

/* ---- the ring's environment -------------------------------------------------------- */

static int vdev_dma_read(void *priv, u64 gpa, void *buf, size_t len)
{
	struct tmem_vdev *vd = priv;

	return vfio_dma_rw(&vd->vdev, gpa, buf, len, false) ? -EFAULT : 0;
}

static int vdev_dma_write(void *priv, u64 gpa, const void *buf, size_t len)
{
	struct tmem_vdev *vd = priv;

	return vfio_dma_rw(&vd->vdev, gpa, (void *)buf, len, true) ? -EFAULT : 0;
}

static int vdev_new_pool(void *priv, u32 flags, const u8 *uuid)
{
	struct tmem_vdev *vd = priv;

	return tmem_host_pool_new(vd->client, flags, uuid);
}

static int vdev_destroy_pool(void *priv, u32 pool)
{
	struct tmem_vdev *vd = priv;

	return tmem_host_pool_destroy(vd->client, pool);
}

static int vdev_put(void *priv, const struct tmem_key *key, const void *page)
{
	struct tmem_vdev *vd = priv;
	struct tmem_host *h = vd->client->host;
	int ret;

	tmem_host_lock(h);
	ret = tmem_host_put_locked(vd->client, key, page);
	tmem_host_unlock(h);
	return ret;
}

static int vdev_get(void *priv, const struct tmem_key *key, void *page)
{
	struct tmem_vdev *vd = priv;
	struct tmem_host *h = vd->client->host;
	int ret;

	tmem_host_lock(h);
	ret = tmem_host_get_locked(vd->client, key, page);
	tmem_host_unlock(h);
	return ret;
}

static int vdev_flush_page(void *priv, const struct tmem_key *key)
{
	struct tmem_vdev *vd = priv;
	struct tmem_host *h = vd->client->host;
	int ret;

	tmem_host_lock(h);
	ret = tmem_host_flush_page_locked(vd->client, key);
	tmem_host_unlock(h);
	return ret;
}

static int vdev_flush_object(void *priv, u32 pool, u64 oid)
{
	struct tmem_vdev *vd = priv;
	struct tmem_host *h = vd->client->host;
	int ret;

	tmem_host_lock(h);
	ret = tmem_host_flush_object_locked(vd->client, pool, oid);
	tmem_host_unlock(h);
	return ret;
}

static const struct tmem_ring_ops vdev_ring_ops = {
	.dma_read	= vdev_dma_read,
	.dma_write	= vdev_dma_write,
	.new_pool	= vdev_new_pool,
	.destroy_pool	= vdev_destroy_pool,
	.put		= vdev_put,
	.get		= vdev_get,
	.flush_page	= vdev_flush_page,
	.flush_object	= vdev_flush_object,
};

/* ---- the ring's work --------------------------------------------------------------- */

/*
 * One pass: at most TMEM_VDEV_BUDGET descriptors, each under the device's lock alone,
 * so register accesses wait for one descriptor at most and a reset or close finds no
 * descriptor half done. Then the interrupt. Return: descriptors remain.
 */
static bool vdev_ring_pass(struct tmem_vdev *vd)
{
	unsigned int n, done;
	bool more;

	for (n = 0; n < TMEM_VDEV_BUDGET; n++) {
		mutex_lock(&vd->lock);
		done = tmem_ring_process(&vd->ring, 1);
		mutex_unlock(&vd->lock);
		if (!done)
			break;
		cond_resched();
	}
	mutex_lock(&vd->lock);
	tmem_vdev_irq_update_locked(vd);
	more = tmem_ring_pending(&vd->ring);
	mutex_unlock(&vd->lock);
	return more;
}

/* The ring's work item: for doorbells its writer could not serve (tmem_vdev_kick()). */
static void vdev_ring_work(struct work_struct *work)
{
	struct tmem_vdev *vd = container_of(work, struct tmem_vdev, work);

	if (vdev_ring_pass(vd))
		queue_work(tmem_vdev_wq, &vd->work);
}

/*
 * The doorbell's writer (QEMU's vCPU thread, a VFIO program) runs the ring itself, so
 * the CPU time of a guest's batches is its VM's, charged to the VM's cgroup and not to
 * a kernel worker. A writer with a fatal signal pending hands the rest to the work
 * item, which close cancels.
 */
static void vdev_ring_run(struct tmem_vdev *vd)
{
	while (vdev_ring_pass(vd)) {
		if (fatal_signal_pending(current)) {
			queue_work(tmem_vdev_wq, &vd->work);
			return;
		}
	}
}

/* WRITEBACK follows the engine's hint while the ring runs. */
static void vdev_wb_work(struct work_struct *work)
{
	struct tmem_vdev *vd = container_of(to_delayed_work(work), struct tmem_vdev,
					    wb_work);
	struct tmem_client_info ci;
	u64 pages = 0;
	bool running;

	if (!tmem_host_client_info(vd->client, &ci))
		pages = ci.writeback_pages;
	mutex_lock(&vd->lock);
	tmem_ring_set_writeback(&vd->ring, pages);
	tmem_vdev_irq_update_locked(vd);
	running = vd->ring.status == MGPU_TMEM_STATUS_ENABLED;
	mutex_unlock(&vd->lock);
	if (running)
		queue_delayed_work(tmem_vdev_wq, &vd->wb_work, TMEM_VDEV_WB_PERIOD);
}

/* Close every pool the client has: the guest's pages go with them. */
static void destroy_pools_locked(struct tmem_vdev *vd)
{
	u32 pool;

	lockdep_assert_held(&vd->lock);
	for (pool = 0; pool < TMEM_MAX_POOLS; pool++)
		tmem_host_pool_destroy(vd->client, pool);
}

/**
 * tmem_vdev_reg_write_locked - write a BAR0 register
 * @vd: the device
 * @off: a 4-byte aligned offset below MGPU_TMEM_REGS_SIZE
 * @val: the value
 *
 * A CONTROL_RESET destroys the client's pools here; the interrupt line follows.
 *
 * Context: @vd->lock is held.
 * Return: TMEM_RING_* bits for tmem_vdev_kick(), after the lock is dropped.
 */
unsigned int tmem_vdev_reg_write_locked(struct tmem_vdev *vd, u32 off, u32 val)
{
	unsigned int act;

	lockdep_assert_held(&vd->lock);
	act = tmem_ring_reg_write(&vd->ring, off, val);
	if (act & TMEM_RING_RESET)
		destroy_pools_locked(vd);
	tmem_vdev_irq_update_locked(vd);
	return act;
}

/**
 * tmem_vdev_kick - do the work a register write asked for
 * @vd: the device
 * @act: tmem_vdev_reg_write_locked()'s answer
 *
 * A doorbell from the device's opener runs the ring here until it is empty.
 *
 * Context: process context, @vd->lock not held; sleeps.
 */
void tmem_vdev_kick(struct tmem_vdev *vd, unsigned int act)
{
	/*
	 * Only the opener's threads can reach guest memory from their own context (VFIO's
	 * DMA mappings belong to its mm); any other writer leaves the ring to the work item.
	 */
	if (act & TMEM_RING_KICK) {
		if (current->mm && current->mm == READ_ONCE(vd->owner_mm))
			vdev_ring_run(vd);
		else
			queue_work(tmem_vdev_wq, &vd->work);
	}
	if (act & TMEM_RING_STARTED)
		mod_delayed_work(tmem_vdev_wq, &vd->wb_work, 0);
}

/**
 * tmem_vdev_reset - VFIO_DEVICE_RESET: the device at power-on
 * @vd: the device
 *
 * The ring stops and forgets its setup, the client's pools are destroyed, config space
 * and interrupt state return to power-on; the user's eventfds stay installed. The ring's
 * work needs no cancelling: it runs each descriptor under @vd->lock, so none is half
 * done here, and it stops at its next one.
 *
 * Context: process context; sleeps.
 */
void tmem_vdev_reset(struct tmem_vdev *vd)
{
	mutex_lock(&vd->lock);
	tmem_ring_reset(&vd->ring);
	destroy_pools_locked(vd);
	mgpu_cfg_reset(&vd->cfg);
	vd->irq.intx_masked = false;
	vd->irq.line = false;
	mutex_unlock(&vd->lock);
}

/* ---- the VFIO device --------------------------------------------------------------- */

static u32 vdev_caps(struct tmem_host *h)
{
	u32 caps = MGPU_TMEM_CAP_PERSISTENT | MGPU_TMEM_CAP_EPHEMERAL |
		   MGPU_TMEM_CAP_SHARED | MGPU_TMEM_CAP_MSI | MGPU_TMEM_CAP_WRITEBACK;

	return h->comp ? caps | MGPU_TMEM_CAP_COMPRESS : caps;
}

static void vdev_init_cfg(struct tmem_vdev *vd)
{
	struct mgpu_cfg_desc desc = {
		.vendor = MGPU_TMEM_PCI_VENDOR_ID,
		.device = MGPU_TMEM_PCI_DEVICE_ID,
		.subsys_vendor = MGPU_TMEM_PCI_SUBSYS_VENDOR_ID,
		.subsys_device = MGPU_TMEM_PCI_SUBSYS_DEVICE_ID,
		.revision = MGPU_TMEM_PCI_REVISION,
		.class = MGPU_TMEM_PCI_CLASS,
		.bar_size[MGPU_TMEM_BAR_REGS] = MGPU_TMEM_REGS_SIZE,
		.irq_pin = 1,
		.msi_offset = MGPU_CFG_MSI_OFFSET,
	};

	mgpu_cfg_init(&vd->cfg, &desc);
}

static int vdev_init(struct vfio_device *vdev)
{
	struct tmem_vdev *vd = to_tmem_vdev(vdev);
	struct tmem_host *h = tmem_mdev_host();

	vd->bounce = kmalloc(TMEM_PAGE_SIZE, GFP_KERNEL);
	if (!vd->bounce)
		return -ENOMEM;
	vd->client = tmem_host_client_new(h, TMEM_VDEV_WEIGHT, dev_name(vdev->dev));
	if (IS_ERR(vd->client)) {
		int ret = PTR_ERR(vd->client);

		dev_err(vdev->dev, "no engine client for the device (%d)%s\n", ret,
			ret == -ENOSPC ? ": all max_clients are in use" : "");
		kfree(vd->bounce);
		return ret;
	}
	mutex_init(&vd->lock);
	INIT_WORK(&vd->work, vdev_ring_work);
	INIT_DELAYED_WORK(&vd->wb_work, vdev_wb_work);
	tmem_ring_init(&vd->ring, &vdev_ring_ops, vd, vd->bounce, vdev_caps(h),
		       vd->client->id);
	vdev_init_cfg(vd);
	return 0;
}

static void vdev_release(struct vfio_device *vdev)
{
	struct tmem_vdev *vd = to_tmem_vdev(vdev);

	tmem_host_client_destroy(vd->client);
	kfree_sensitive(vd->bounce);
	mutex_destroy(&vd->lock);
	tmem_compat_free_vdev(vdev);
}

/* Whose mm the guest memory (VFIO's DMA mappings) belongs to: see tmem_vdev_kick(). */
static int vdev_open(struct vfio_device *vdev)
{
	WRITE_ONCE(to_tmem_vdev(vdev)->owner_mm, current->mm);
	return 0;
}

/* The user goes: its ring, pools and eventfds go too. Nothing runs after this. */
static void vdev_close(struct vfio_device *vdev)
{
	struct tmem_vdev *vd = to_tmem_vdev(vdev);

	WRITE_ONCE(vd->owner_mm, NULL);

	mutex_lock(&vd->lock);
	tmem_ring_reset(&vd->ring);	/* the work stops at its next descriptor */
	mutex_unlock(&vd->lock);
	cancel_work_sync(&vd->work);
	cancel_delayed_work_sync(&vd->wb_work);
	tmem_vdev_reset(vd);
	mutex_lock(&vd->lock);
	tmem_vdev_irq_release_locked(vd);
	mutex_unlock(&vd->lock);
}

/* Nothing of guest memory is cached (every access is a vfio_dma_rw()). */
static void vdev_dma_unmap(struct vfio_device *vdev, u64 iova, u64 length)
{
}

static const struct vfio_device_ops tmem_vdev_ops = {
	.name		= "mgpu_tmem",
	.init		= vdev_init,
	.release	= vdev_release,
	.open_device	= vdev_open,
	.close_device	= vdev_close,
	.read		= tmem_vdev_read,
	.write		= tmem_vdev_write,
	.ioctl		= tmem_vdev_ioctl,
	.request	= tmem_vdev_request,
	.dma_unmap	= vdev_dma_unmap,
	TMEM_VFIO_IOMMUFD_OPS
};

/**
 * tmem_vdev_probe - mdev_driver.probe: a new tmem device with its engine client
 * @mdev: the mdev
 *
 * Context: process context; sleeps.
 * Return: 0 or -errno (-ENOSPC when no engine client is free).
 */
int tmem_vdev_probe(struct mdev_device *mdev)
{
	struct tmem_vdev *vd;
	int ret;

	vd = vfio_alloc_device(tmem_vdev, vdev, &mdev->dev, &tmem_vdev_ops);
	if (IS_ERR(vd))
		return PTR_ERR(vd);
	ret = vfio_register_emulated_iommu_dev(&vd->vdev);
	if (ret) {
		dev_err(&mdev->dev, "cannot register with VFIO: %d\n", ret);
		goto err_put_vdev;
	}
	dev_set_drvdata(&mdev->dev, vd);
	return 0;

err_put_vdev:
	vfio_put_device(&vd->vdev);
	return ret;
}

/**
 * tmem_vdev_remove - mdev_driver.remove: the device and its client go
 * @mdev: the mdev
 *
 * Context: process context; waits until the user has closed the device.
 */
void tmem_vdev_remove(struct mdev_device *mdev)
{
	struct tmem_vdev *vd = dev_get_drvdata(&mdev->dev);

	vfio_unregister_group_dev(&vd->vdev);
	vfio_put_device(&vd->vdev);
}

/**
 * tmem_vdev_module_init - create the workqueue the devices' rings run on
 *
 * Return: 0 or -ENOMEM.
 */
int tmem_vdev_module_init(void)
{
	tmem_vdev_wq = alloc_workqueue("mgpu_tmem_ring", WQ_UNBOUND, 0);
	return tmem_vdev_wq ? 0 : -ENOMEM;
}

/**
 * tmem_vdev_module_exit - destroy the workqueue; every device is gone
 */
void tmem_vdev_module_exit(void)
{
	destroy_workqueue(tmem_vdev_wq);
}
