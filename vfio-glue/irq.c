// SPDX-License-Identifier: GPL-2.0-only
/*
 * mgpu: a vGPU's interrupts as VFIO presents them — INTx (level, automasked on
 * delivery, unmasked by the user) and one MSI vector (edge), each an eventfd that the
 * user (QEMU) installs with VFIO_DEVICE_SET_IRQS.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitops.h>
#include <linux/eventfd.h>
#include <linux/pci_regs.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "compat.h"
#include "vgpu.h"

static void put_trigger(struct eventfd_ctx *ctx)
{
	if (ctx)
		eventfd_ctx_put(ctx);
}

/* Install (fd >= 0) or remove (fd == -1) an eventfd; the swap is under irq->lock. */
static int set_trigger(struct mgpu_irq *irq, struct eventfd_ctx **slot, s32 fd)
{
	struct eventfd_ctx *new = NULL, *old;

	if (fd < -1)
		return -EINVAL;
	if (fd >= 0) {
		new = eventfd_ctx_fdget(fd);
		if (IS_ERR(new))
			return PTR_ERR(new);
	}
	spin_lock(&irq->lock);
	old = *slot;
	*slot = new;
	spin_unlock(&irq->lock);
	put_trigger(old);
	return 0;
}

static void deliver_intx_locked(struct mgpu_irq *irq)
{
	lockdep_assert_held(&irq->lock);
	if (!irq->intx || irq->intx_masked || !irq->pending || irq->intx_disabled)
		return;
	irq->intx_masked = true;
	irq->delivered++;
	mgpu_compat_eventfd_signal(irq->intx);
}

/*
 * The vGPU's interrupt line is BAR2's causes (as last synced) or its command engine's.
 * MSI fires on each rising edge; INTx is a level, delivered once and then masked until
 * the user unmasks it (VFIO's automasking).
 */
static void irq_update_locked(struct mgpu_vgpu *vgpu)
{
	struct mgpu_irq *irq = &vgpu->irq;
	bool pending = irq->mmio_level || READ_ONCE(vgpu->ctx.irq_level);
	bool rising = pending && !irq->pending;

	lockdep_assert_held(&irq->lock);
	irq->pending = pending;
	if (irq->msi && irq->msi_enabled) {
		if (rising) {
			irq->delivered++;
			mgpu_compat_eventfd_signal(irq->msi);
		}
		return;
	}
	deliver_intx_locked(irq);
}

/**
 * mgpu_vgpu_irq_sync - deliver the vGPU's interrupt line after its registers changed
 * @vgpu: the vGPU, with vgpu->lock held
 *
 * Takes what delivery needs of config space and BAR2 (which vgpu->lock protects) into
 * the interrupt state, so that mgpu_vgpu_irq_engine() can deliver without vgpu->lock.
 * Call after every change of config space, BAR2 or the user's eventfds.
 */
void mgpu_vgpu_irq_sync(struct mgpu_vgpu *vgpu)
{
	struct mgpu_irq *irq = &vgpu->irq;

	lockdep_assert_held(&vgpu->lock);
	spin_lock(&irq->lock);
	irq->mmio_level = mgpu_mmio_irq_pending(&vgpu->mmio);
	irq->intx_disabled = mgpu_cfg_command(&vgpu->cfg) & PCI_COMMAND_INTX_DISABLE;
	irq->msi_enabled = mgpu_cfg_msi_enabled(&vgpu->cfg);
	irq_update_locked(vgpu);
	spin_unlock(&irq->lock);
}

/**
 * mgpu_vgpu_irq_engine - deliver a change of the command engine's interrupt line
 * @vgpu: the vGPU
 *
 * Context: the GPU's engine thread (or a context operation); takes only the interrupt
 * state's spinlock, never vgpu->lock.
 */
void mgpu_vgpu_irq_engine(struct mgpu_vgpu *vgpu)
{
	spin_lock(&vgpu->irq.lock);
	irq_update_locked(vgpu);
	spin_unlock(&vgpu->irq.lock);
}

/**
 * mgpu_vgpu_irq_reset - the interrupt line drops and INTx is unmasked (device reset)
 * @vgpu: the vGPU, with vgpu->lock held; the user's eventfds stay installed
 */
void mgpu_vgpu_irq_reset(struct mgpu_vgpu *vgpu)
{
	lockdep_assert_held(&vgpu->lock);
	spin_lock(&vgpu->irq.lock);
	vgpu->irq.intx_masked = false;
	vgpu->irq.pending = false;
	spin_unlock(&vgpu->irq.lock);
	mgpu_vgpu_irq_sync(vgpu);
}

static int set_intx(struct mgpu_vgpu *vgpu, struct vfio_irq_set *hdr, void *data)
{
	struct mgpu_irq *irq = &vgpu->irq;
	u32 action = hdr->flags & VFIO_IRQ_SET_ACTION_TYPE_MASK;
	u32 type = hdr->flags & VFIO_IRQ_SET_DATA_TYPE_MASK;
	bool on;
	int ret;

	/* Exactly one action, as vfio-pci demands; the core checks only the data type. */
	if (hweight32(action) != 1)
		return -EINVAL;
	if (!hdr->count)	/* count 0 with DATA_NONE: tear down; @data is NULL */
		return action == VFIO_IRQ_SET_ACTION_TRIGGER ?
		       set_trigger(irq, &irq->intx, -1) : 0;
	on = type == VFIO_IRQ_SET_DATA_NONE || *(u8 *)data;
	/*
	 * No (un)mask eventfds (KVM's resampler): refusing them makes QEMU unmask from
	 * userspace, instead of leaving INTx masked after its first delivery.
	 */
	if (action != VFIO_IRQ_SET_ACTION_TRIGGER && type == VFIO_IRQ_SET_DATA_EVENTFD)
		return -EINVAL;
	if (action == VFIO_IRQ_SET_ACTION_TRIGGER && type == VFIO_IRQ_SET_DATA_EVENTFD) {
		ret = set_trigger(irq, &irq->intx, *(s32 *)data);
		/* A new trigger starts unmasked: QEMU reinstalls it after using MSI. */
		spin_lock(&irq->lock);
		irq->intx_masked = false;
		deliver_intx_locked(irq);
		spin_unlock(&irq->lock);
		return ret;
	}
	spin_lock(&irq->lock);
	switch (action) {
	case VFIO_IRQ_SET_ACTION_MASK:
		if (on)
			irq->intx_masked = true;
		break;
	case VFIO_IRQ_SET_ACTION_UNMASK:
		if (on) {
			irq->intx_masked = false;
			deliver_intx_locked(irq);
		}
		break;
	default:
		if (on && irq->intx)	/* a loopback test of the trigger */
			mgpu_compat_eventfd_signal(irq->intx);
	}
	spin_unlock(&irq->lock);
	return 0;
}

static int set_msi(struct mgpu_vgpu *vgpu, struct vfio_irq_set *hdr, void *data)
{
	struct mgpu_irq *irq = &vgpu->irq;
	u32 type = hdr->flags & VFIO_IRQ_SET_DATA_TYPE_MASK;

	if ((hdr->flags & VFIO_IRQ_SET_ACTION_TYPE_MASK) != VFIO_IRQ_SET_ACTION_TRIGGER)
		return -EINVAL;
	if (!hdr->count)
		return set_trigger(irq, &irq->msi, -1);
	if (type == VFIO_IRQ_SET_DATA_EVENTFD)
		return set_trigger(irq, &irq->msi, *(s32 *)data);
	spin_lock(&irq->lock);
	if ((type == VFIO_IRQ_SET_DATA_NONE || *(u8 *)data) && irq->msi)
		mgpu_compat_eventfd_signal(irq->msi);
	spin_unlock(&irq->lock);
	return 0;
}

static int vgpu_irq_vectors(unsigned int index)
{
	return index == VFIO_PCI_INTX_IRQ_INDEX || index == VFIO_PCI_MSI_IRQ_INDEX ||
	       index == VFIO_PCI_REQ_IRQ_INDEX ? 1 : 0;
}

static int set_req(struct mgpu_vgpu *vgpu, struct vfio_irq_set *hdr, void *data)
{
	if ((hdr->flags & VFIO_IRQ_SET_ACTION_TYPE_MASK) != VFIO_IRQ_SET_ACTION_TRIGGER)
		return -EINVAL;
	if (!hdr->count)
		return set_trigger(&vgpu->irq, &vgpu->irq.req, -1);
	if ((hdr->flags & VFIO_IRQ_SET_DATA_TYPE_MASK) == VFIO_IRQ_SET_DATA_EVENTFD)
		return set_trigger(&vgpu->irq, &vgpu->irq.req, *(s32 *)data);
	return -EINVAL;
}

/**
 * mgpu_vgpu_request - vfio_device_ops.request: the vGPU is being removed while open
 * @vdev: the vGPU
 * @count: how many times the VFIO core has asked (every 10 s while it waits)
 *
 * The removal waits until the user closes the device. Ask the user to let go through
 * its request eventfd (QEMU then unplugs the device from its guest), and say in the
 * log why the removal waits.
 */
void mgpu_vgpu_request(struct vfio_device *vdev, unsigned int count)
{
	struct mgpu_vgpu *vgpu = to_vgpu(vdev);

	bool asked = false;

	spin_lock(&vgpu->irq.lock);
	if (vgpu->irq.req) {
		mgpu_compat_eventfd_signal(vgpu->irq.req);
		asked = true;
	}
	spin_unlock(&vgpu->irq.lock);
	if (asked && !count)
		dev_notice(vdev->dev, "removal waits for the vGPU's user to release it; asked it to (request eventfd)\n");
	else if (!count)
		dev_warn(vdev->dev, "removal waits until the vGPU's user closes it; the user registered no request eventfd\n");
}

/**
 * mgpu_vgpu_set_irqs - VFIO_DEVICE_SET_IRQS
 * @vgpu: the vGPU
 * @arg: the user's struct vfio_irq_set and its data
 *
 * Return: 0 or -errno (-EINVAL for an index or action the vGPU lacks).
 */
long mgpu_vgpu_set_irqs(struct mgpu_vgpu *vgpu, unsigned long arg)
{
	unsigned long minsz = offsetofend(struct vfio_irq_set, count);
	struct vfio_irq_set hdr;
	size_t data_size = 0;
	void *data = NULL;
	int ret;

	if (copy_from_user(&hdr, (void __user *)arg, minsz))
		return -EFAULT;
	ret = vfio_set_irqs_validate_and_prepare(&hdr, vgpu_irq_vectors(hdr.index),
						 VFIO_PCI_NUM_IRQS, &data_size);
	if (ret)
		return ret;
	if (data_size) {
		data = memdup_user((void __user *)(arg + minsz), data_size);
		if (IS_ERR(data))
			return PTR_ERR(data);
	}
	mutex_lock(&vgpu->lock);
	if (hdr.index == VFIO_PCI_INTX_IRQ_INDEX)
		ret = set_intx(vgpu, &hdr, data);
	else if (hdr.index == VFIO_PCI_MSI_IRQ_INDEX)
		ret = set_msi(vgpu, &hdr, data);
	else if (hdr.index == VFIO_PCI_REQ_IRQ_INDEX)
		ret = set_req(vgpu, &hdr, data);
	else
		ret = -EINVAL;
	mutex_unlock(&vgpu->lock);
	kfree(data);
	return ret;
}

/**
 * mgpu_vgpu_get_irq_info - VFIO_DEVICE_GET_IRQ_INFO
 * @arg: the user's struct vfio_irq_info
 *
 * Return: 0 or -errno; -EINVAL for the AER index, which a vGPU lacks.
 */
long mgpu_vgpu_get_irq_info(unsigned long arg)
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
	info.count = vgpu_irq_vectors(info.index);
	info.flags = VFIO_IRQ_INFO_EVENTFD;
	if (info.index == VFIO_PCI_INTX_IRQ_INDEX)
		info.flags |= VFIO_IRQ_INFO_MASKABLE | VFIO_IRQ_INFO_AUTOMASKED;
	else if (info.index != VFIO_PCI_REQ_IRQ_INDEX)
		info.flags |= VFIO_IRQ_INFO_NORESIZE;
	return copy_to_user((void __user *)arg, &info, minsz) ? -EFAULT : 0;
}

/**
 * mgpu_vgpu_irq_release - drop the user's eventfds (close or reset)
 * @vgpu: the vGPU, with vgpu->lock held
 */
void mgpu_vgpu_irq_release(struct mgpu_vgpu *vgpu)
{
	struct mgpu_irq *irq = &vgpu->irq;
	struct eventfd_ctx *intx, *msi, *req;

	lockdep_assert_held(&vgpu->lock);
	spin_lock(&irq->lock);
	intx = irq->intx;
	msi = irq->msi;
	req = irq->req;
	irq->intx = NULL;
	irq->msi = NULL;
	irq->req = NULL;
	irq->intx_masked = false;
	irq->pending = false;
	spin_unlock(&irq->lock);
	put_trigger(intx);
	put_trigger(msi);
	put_trigger(req);
}
