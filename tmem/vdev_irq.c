// SPDX-License-Identifier: GPL-2.0-only
/*
 * mgpu tmem: a tmem device's interrupt as VFIO presents it — one MSI vector (edge: each
 * rising edge of the line) when the guest has enabled MSI, else INTx (a level,
 * automasked on delivery and unmasked by the user, as QEMU expects), each an eventfd
 * that the user installs with VFIO_DEVICE_SET_IRQS; and the request eventfd that asks
 * the user to let go of a device being removed.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitops.h>
#include <linux/eventfd.h>
#include <linux/pci_regs.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "compat.h"
#include "vdev.h"

static void put_trigger(struct eventfd_ctx **ctx)
{
	if (*ctx)
		eventfd_ctx_put(*ctx);
	*ctx = NULL;
}

/* Install (fd >= 0) or remove (fd == -1) an eventfd. */
static int set_trigger(struct eventfd_ctx **ctx, s32 fd)
{
	struct eventfd_ctx *new;

	if (fd < -1)
		return -EINVAL;
	if (fd == -1) {
		put_trigger(ctx);
		return 0;
	}
	new = eventfd_ctx_fdget(fd);
	if (IS_ERR(new))
		return PTR_ERR(new);
	put_trigger(ctx);
	*ctx = new;
	return 0;
}

static void deliver_intx_locked(struct tmem_vdev *vd)
{
	struct tmem_vdev_irq *irq = &vd->irq;

	if (!irq->intx || irq->intx_masked || !irq->line)
		return;
	if (mgpu_cfg_command(&vd->cfg) & PCI_COMMAND_INTX_DISABLE)
		return;
	irq->intx_masked = true;
	tmem_compat_eventfd_signal(irq->intx);
}

/**
 * tmem_vdev_irq_update_locked - deliver the line the ring's IRQ_STATUS and IRQ_MASK say
 * @vd: the device
 *
 * Call after anything that may change the line: a register write, a pass of the ring,
 * a config space write, the write-back poll.
 *
 * Context: @vd->lock is held.
 */
void tmem_vdev_irq_update_locked(struct tmem_vdev *vd)
{
	struct tmem_vdev_irq *irq = &vd->irq;
	bool line = tmem_ring_irq_line(&vd->ring);
	bool rising = line && !irq->line;

	lockdep_assert_held(&vd->lock);
	irq->line = line;
	if (irq->msi && mgpu_cfg_msi_enabled(&vd->cfg)) {
		if (rising)
			tmem_compat_eventfd_signal(irq->msi);
		return;
	}
	deliver_intx_locked(vd);
}

static int set_intx(struct tmem_vdev *vd, struct vfio_irq_set *hdr, void *data)
{
	struct tmem_vdev_irq *irq = &vd->irq;
	u32 action = hdr->flags & VFIO_IRQ_SET_ACTION_TYPE_MASK;
	u32 type = hdr->flags & VFIO_IRQ_SET_DATA_TYPE_MASK;
	bool on;
	int ret;

	/* Exactly one action, as vfio-pci demands; the core checks only the data type. */
	if (hweight32(action) != 1)
		return -EINVAL;
	if (!hdr->count)	/* count 0 with DATA_NONE: tear down; @data is NULL */
		return action == VFIO_IRQ_SET_ACTION_TRIGGER ? set_trigger(&irq->intx, -1) : 0;
	on = type == VFIO_IRQ_SET_DATA_NONE || *(u8 *)data;
	/*
	 * No (un)mask eventfds (KVM's resampler): refusing them makes QEMU unmask from
	 * userspace, instead of leaving INTx masked after its first delivery.
	 */
	if (action != VFIO_IRQ_SET_ACTION_TRIGGER && type == VFIO_IRQ_SET_DATA_EVENTFD)
		return -EINVAL;
	switch (action) {
	case VFIO_IRQ_SET_ACTION_MASK:
		if (on)
			irq->intx_masked = true;
		return 0;
	case VFIO_IRQ_SET_ACTION_UNMASK:
		if (on) {
			irq->intx_masked = false;
			deliver_intx_locked(vd);
		}
		return 0;
	}
	if (type == VFIO_IRQ_SET_DATA_EVENTFD) {
		/* A new trigger starts unmasked: QEMU reinstalls it after using MSI. */
		irq->intx_masked = false;
		ret = set_trigger(&irq->intx, *(s32 *)data);
		deliver_intx_locked(vd);
		return ret;
	}
	if (on && irq->intx)	/* a loopback test of the trigger */
		tmem_compat_eventfd_signal(irq->intx);
	return 0;
}

static int set_msi(struct tmem_vdev *vd, struct vfio_irq_set *hdr, void *data)
{
	struct tmem_vdev_irq *irq = &vd->irq;
	u32 type = hdr->flags & VFIO_IRQ_SET_DATA_TYPE_MASK;
	int ret;

	if ((hdr->flags & VFIO_IRQ_SET_ACTION_TYPE_MASK) != VFIO_IRQ_SET_ACTION_TRIGGER)
		return -EINVAL;
	if (!hdr->count)
		return set_trigger(&irq->msi, -1);
	if (type == VFIO_IRQ_SET_DATA_EVENTFD) {
		ret = set_trigger(&irq->msi, *(s32 *)data);
		/* A line already up raised no edge for the new vector: raise it now. */
		if (!ret && irq->msi && irq->line && mgpu_cfg_msi_enabled(&vd->cfg))
			tmem_compat_eventfd_signal(irq->msi);
		return ret;
	}
	if ((type == VFIO_IRQ_SET_DATA_NONE || *(u8 *)data) && irq->msi)
		tmem_compat_eventfd_signal(irq->msi);
	return 0;
}

static int set_req(struct tmem_vdev *vd, struct vfio_irq_set *hdr, void *data)
{
	if ((hdr->flags & VFIO_IRQ_SET_ACTION_TYPE_MASK) != VFIO_IRQ_SET_ACTION_TRIGGER)
		return -EINVAL;
	if (!hdr->count)
		return set_trigger(&vd->irq.req, -1);
	if ((hdr->flags & VFIO_IRQ_SET_DATA_TYPE_MASK) == VFIO_IRQ_SET_DATA_EVENTFD)
		return set_trigger(&vd->irq.req, *(s32 *)data);
	return -EINVAL;
}

static int irq_vectors(unsigned int index)
{
	return index == VFIO_PCI_INTX_IRQ_INDEX || index == VFIO_PCI_MSI_IRQ_INDEX ||
	       index == VFIO_PCI_REQ_IRQ_INDEX ? 1 : 0;
}

/**
 * tmem_vdev_set_irqs - VFIO_DEVICE_SET_IRQS
 * @vd: the device
 * @arg: the user's struct vfio_irq_set and its data
 *
 * Return: 0 or -errno (-EINVAL for an index or action the device lacks).
 */
long tmem_vdev_set_irqs(struct tmem_vdev *vd, unsigned long arg)
{
	unsigned long minsz = offsetofend(struct vfio_irq_set, count);
	struct vfio_irq_set hdr;
	size_t data_size = 0;
	void *data = NULL;
	int ret;

	if (copy_from_user(&hdr, (void __user *)arg, minsz))
		return -EFAULT;
	ret = vfio_set_irqs_validate_and_prepare(&hdr, irq_vectors(hdr.index),
						 VFIO_PCI_NUM_IRQS, &data_size);
	if (ret)
		return ret;
	if (data_size) {
		data = memdup_user((void __user *)(arg + minsz), data_size);
		if (IS_ERR(data))
			return PTR_ERR(data);
	}
	mutex_lock(&vd->lock);
	if (hdr.index == VFIO_PCI_INTX_IRQ_INDEX)
		ret = set_intx(vd, &hdr, data);
	else if (hdr.index == VFIO_PCI_MSI_IRQ_INDEX)
		ret = set_msi(vd, &hdr, data);
	else if (hdr.index == VFIO_PCI_REQ_IRQ_INDEX)
		ret = set_req(vd, &hdr, data);
	else
		ret = -EINVAL;
	mutex_unlock(&vd->lock);
	kfree(data);
	return ret;
}

/**
 * tmem_vdev_get_irq_info - VFIO_DEVICE_GET_IRQ_INFO
 * @arg: the user's struct vfio_irq_info
 *
 * Return: 0 or -errno; -EINVAL for the error index, which the device lacks.
 */
long tmem_vdev_get_irq_info(unsigned long arg)
{
	unsigned long minsz = offsetofend(struct vfio_irq_info, count);
	struct vfio_irq_info info;

	if (copy_from_user(&info, (void __user *)arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz || info.index >= VFIO_PCI_NUM_IRQS)
		return -EINVAL;
	/* QEMU reads -EINVAL here as "not supported" and stays quiet. */
	if (info.index == VFIO_PCI_ERR_IRQ_INDEX)
		return -EINVAL;
	info.count = irq_vectors(info.index);
	info.flags = VFIO_IRQ_INFO_EVENTFD;
	if (info.index == VFIO_PCI_INTX_IRQ_INDEX)
		info.flags |= VFIO_IRQ_INFO_MASKABLE | VFIO_IRQ_INFO_AUTOMASKED;
	else if (info.index != VFIO_PCI_REQ_IRQ_INDEX)
		info.flags |= VFIO_IRQ_INFO_NORESIZE;
	return copy_to_user((void __user *)arg, &info, minsz) ? -EFAULT : 0;
}

/**
 * tmem_vdev_request - vfio_device_ops.request: the device is being removed while open
 * @vdev: the device
 * @count: how many times the VFIO core has asked (every 10 s while it waits)
 *
 * The removal waits until the user closes the device: ask it to through the request
 * eventfd (QEMU then unplugs the device from its guest), and say why in the log.
 */
void tmem_vdev_request(struct vfio_device *vdev, unsigned int count)
{
	struct tmem_vdev *vd = to_tmem_vdev(vdev);

	mutex_lock(&vd->lock);
	if (vd->irq.req) {
		if (!count)
			dev_notice(vdev->dev, "removal waits for the device's user to release it; asked it to (request eventfd)\n");
		tmem_compat_eventfd_signal(vd->irq.req);
	} else if (!count) {
		dev_warn(vdev->dev, "removal waits until the device's user closes it; the user registered no request eventfd\n");
	}
	mutex_unlock(&vd->lock);
}

/**
 * tmem_vdev_irq_release_locked - drop the user's eventfds (close)
 * @vd: the device
 *
 * Context: @vd->lock is held.
 */
void tmem_vdev_irq_release_locked(struct tmem_vdev *vd)
{
	lockdep_assert_held(&vd->lock);
	put_trigger(&vd->irq.intx);
	put_trigger(&vd->irq.msi);
	put_trigger(&vd->irq.req);
	vd->irq.intx_masked = false;
	vd->irq.line = false;
}
