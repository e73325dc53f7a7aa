// SPDX-License-Identifier: GPL-2.0-only
/*
 * mgpu tmem guest: the PCI driver for the tmem device (1234:746d) — identity checks,
 * the interrupt (MSI, else INTx), the registry that numbers bound devices 0, 1, ...
 * for the swap device and the cache target, and the device's sysfs attributes.
 *
 * A device stays in memory while a cache target holds it (kref); once its PCI function
 * is removed its I/O fails with -ENODEV, which a cache treats as a miss.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/dma-mapping.h>
#include <linux/idr.h>
#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/log2.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/sysfs.h>

#include "compat.h"
#include "guest.h"

static DEFINE_IDA(tmem_gdev_ida);
/* tmem_gdev_list */
static DEFINE_MUTEX(tmem_gdev_lock);
static LIST_HEAD(tmem_gdev_list);

/* ---- the registry ------------------------------------------------------------------ */

static void tmem_gdev_release(struct kref *kref)
{
	struct tmem_gdev *g = container_of(kref, struct tmem_gdev, kref);

	pci_dev_put(g->pdev);
	kfree(g);
}

/**
 * tmem_gdev_get - find bound tmem device N and hold it
 * @id: N
 *
 * Context: process context.
 * Return: the device (release it with tmem_gdev_put()), or NULL if none is bound as N.
 */
struct tmem_gdev *tmem_gdev_get(int id)
{
	struct tmem_gdev *g, *found = NULL;

	mutex_lock(&tmem_gdev_lock);
	list_for_each_entry(g, &tmem_gdev_list, node) {
		if (g->id == id) {
			kref_get(&g->kref);
			found = g;
			break;
		}
	}
	mutex_unlock(&tmem_gdev_lock);
	return found;
}

/**
 * tmem_gdev_put - release a device of tmem_gdev_get()
 * @g: the device
 */
void tmem_gdev_put(struct tmem_gdev *g)
{
	kref_put(&g->kref, tmem_gdev_release);
}

/**
 * tmem_gdev_writeback_hint - the pages the host asks this client to write back
 * @g: the device; its PCI function is bound (the swap device's worker calls this)
 *
 * Context: any.
 * Return: the WRITEBACK register, 0 without MGPU_TMEM_CAP_WRITEBACK.
 */
u32 tmem_gdev_writeback_hint(struct tmem_gdev *g)
{
	if (!(g->caps & MGPU_TMEM_CAP_WRITEBACK))
		return 0;
	return readl(g->regs + MGPU_TMEM_REG_WRITEBACK);
}

/* ---- the PCI function -------------------------------------------------------------- */

static irqreturn_t tmem_gdev_irq(int irq, void *data)
{
	struct tmem_gdev *g = data;
	u32 status = readl(g->regs + MGPU_TMEM_REG_IRQ_STATUS);

	if (!status || status == ~0u)
		return IRQ_NONE;
	writel(status, g->regs + MGPU_TMEM_REG_IRQ_STATUS);
	tmem_gdev_ring_irq(g, status);
	if (status & MGPU_TMEM_IRQ_WRITEBACK) {
		spin_lock(&g->irq_lock);
		if (g->swap)
			tmem_swap_writeback_request(g->swap);
		spin_unlock(&g->irq_lock);
	}
	return IRQ_HANDLED;
}

static int check_identity(struct tmem_gdev *g)
{
	struct device *dev = &g->pdev->dev;
	void __iomem *r = g->regs;
	u32 magic = readl(r + MGPU_TMEM_REG_MAGIC);
	u32 version = readl(r + MGPU_TMEM_REG_VERSION);
	u32 page = readl(r + MGPU_TMEM_REG_PAGE_SIZE);
	u32 max_ring = min_t(u32, readl(r + MGPU_TMEM_REG_MAX_RING), MGPU_TMEM_MAX_RING);

	if (magic != MGPU_TMEM_MAGIC) {
		dev_err(dev, "magic %#x is not %#x: not a tmem device\n", magic, MGPU_TMEM_MAGIC);
		return -ENODEV;
	}
	if (version >> 16 != MGPU_TMEM_VERSION_MAJOR) {
		dev_err(dev, "ABI version %u.%u: this driver speaks %u.x\n", version >> 16,
			version & 0xffff, MGPU_TMEM_VERSION_MAJOR);
		return -ENODEV;
	}
	if (page != MGPU_TMEM_PAGE_SIZE || max_ring < TMEM_GBATCH ||
	    !readl(r + MGPU_TMEM_REG_MAX_COUNT)) {
		dev_err(dev, "page size %u, MAX_RING %u: this driver needs %u and at least %u\n",
			page, max_ring, MGPU_TMEM_PAGE_SIZE, TMEM_GBATCH);
		return -ENODEV;
	}
	g->caps = readl(r + MGPU_TMEM_REG_CAPS);
	g->client_id = readl(r + MGPU_TMEM_REG_CLIENT_ID);
	g->max_count = min_t(u32, readl(r + MGPU_TMEM_REG_MAX_COUNT), MGPU_TMEM_MAX_COUNT);
	g->ring_size = min_t(u32, TMEM_GRING, rounddown_pow_of_two(max_ring));
	return 0;
}

static int setup_irq(struct tmem_gdev *g)
{
	struct pci_dev *pdev = g->pdev;
	int ret;

	ret = pci_alloc_irq_vectors(pdev, 1, 1, PCI_IRQ_MSI | TMEM_COMPAT_PCI_IRQ_INTX);
	if (ret < 0) {
		dev_err(&pdev->dev, "no interrupt, neither MSI nor INTx (%d)\n", ret);
		return ret;
	}
	ret = request_irq(pci_irq_vector(pdev, 0), tmem_gdev_irq, IRQF_SHARED,
			  KBUILD_MODNAME, g);
	if (ret)
		pci_free_irq_vectors(pdev);
	return ret;
}

static void free_irq_of(struct tmem_gdev *g)
{
	free_irq(pci_irq_vector(g->pdev, 0), g);
	pci_free_irq_vectors(g->pdev);
}

static int add_to_registry(struct tmem_gdev *g)
{
	int id = ida_alloc_max(&tmem_gdev_ida, TMEM_GMAX_DEVICES - 1, GFP_KERNEL);

	if (id < 0)
		return id;
	g->id = id;
	mutex_lock(&tmem_gdev_lock);
	list_add_tail(&g->node, &tmem_gdev_list);
	mutex_unlock(&tmem_gdev_lock);
	return 0;
}

static void remove_from_registry(struct tmem_gdev *g)
{
	mutex_lock(&tmem_gdev_lock);
	list_del(&g->node);
	mutex_unlock(&tmem_gdev_lock);
	ida_free(&tmem_gdev_ida, g->id);
}

static struct tmem_gdev *alloc_gdev(struct pci_dev *pdev)
{
	struct tmem_gdev *g = kzalloc(sizeof(*g), GFP_KERNEL);

	if (!g)
		return NULL;
	kref_init(&g->kref);
	g->pdev = pci_dev_get(pdev);
	INIT_LIST_HEAD(&g->node);
	mutex_init(&g->ring_lock);
	mutex_init(&g->swap_lock);
	spin_lock_init(&g->irq_lock);
	init_waitqueue_head(&g->wait);
	INIT_WORK(&g->reset_work, tmem_gdev_reset_work);
	return g;
}

/* Create /dev/tmemswapN if the swap_backing module parameter names a device for N. */
static void create_swap_from_param(struct tmem_gdev *g)
{
	const char *path = g->id < TMEM_GMAX_DEVICES ? tmem_swap_backing[g->id] : NULL;
	int ret;

	if (!path || !*path)
		return;
	ret = tmem_swap_create(g, path);
	if (ret)
		dev_warn(&g->pdev->dev, "no tmemswap%d on %s (%d); see swap_backing in sysfs\n",
			 g->id, path, ret);
}

static int tmem_gdev_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct tmem_gdev *g = alloc_gdev(pdev);
	int ret;

	if (!g)
		return -ENOMEM;
	pci_set_drvdata(pdev, g);
	ret = pci_enable_device(pdev);
	if (ret)
		goto err_put;
	ret = pci_request_region(pdev, MGPU_TMEM_BAR_REGS, KBUILD_MODNAME);
	if (ret)
		goto err_disable;
	g->regs = pci_iomap(pdev, MGPU_TMEM_BAR_REGS, MGPU_TMEM_REGS_SIZE);
	if (!g->regs) {
		ret = -ENOMEM;
		goto err_release;
	}
	ret = check_identity(g);
	if (ret)
		goto err_unmap;
	ret = dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(64));
	if (ret)
		goto err_unmap;
	pci_set_master(pdev);
	/* Start clean, whatever a driver before us left: this also masks the interrupt. */
	writel(MGPU_TMEM_CTRL_RESET, g->regs + MGPU_TMEM_REG_CONTROL);
	ret = setup_irq(g);
	if (ret)
		goto err_unmap;
	ret = tmem_gdev_ring_start(g);
	if (ret)
		goto err_free_irq;
	ret = add_to_registry(g);
	if (ret)
		goto err_ring_stop;
	dev_info(&pdev->dev, "tmem device %d: host client %u, caps %#x, ring %u, %s\n", g->id,
		 g->client_id, g->caps, g->ring_size, pdev->msi_enabled ? "MSI" : "INTx");
	create_swap_from_param(g);
	return 0;

err_ring_stop:
	g->gone = true;
	tmem_gdev_ring_stop(g);
err_free_irq:
	free_irq_of(g);
	cancel_work_sync(&g->reset_work);
err_unmap:
	pci_iounmap(pdev, g->regs);
err_release:
	pci_release_region(pdev, MGPU_TMEM_BAR_REGS);
err_disable:
	pci_disable_device(pdev);
err_put:
	tmem_gdev_put(g);
	return ret;
}

static void tmem_gdev_remove(struct pci_dev *pdev)
{
	struct tmem_gdev *g = pci_get_drvdata(pdev);

	tmem_swap_remove(g, true);
	remove_from_registry(g);
	mutex_lock(&g->ring_lock);
	g->gone = true;
	mutex_unlock(&g->ring_lock);
	free_irq_of(g);
	cancel_work_sync(&g->reset_work);
	tmem_gdev_ring_stop(g);
	pci_iounmap(pdev, g->regs);
	pci_release_region(pdev, MGPU_TMEM_BAR_REGS);
	pci_disable_device(pdev);
	tmem_gdev_put(g);
}

/* ---- sysfs: /sys/bus/pci/devices/<bdf>/ -------------------------------------------- */

static struct tmem_gdev *to_gdev(struct device *dev)
{
	return dev_get_drvdata(dev);
}

static ssize_t tmem_id_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", to_gdev(dev)->id);
}
static DEVICE_ATTR_RO(tmem_id);

static ssize_t client_id_show(struct device *dev, struct device_attribute *attr,
			      char *buf)
{
	return sysfs_emit(buf, "%u\n", to_gdev(dev)->client_id);
}
static DEVICE_ATTR_RO(client_id);

static ssize_t caps_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%#x\n", to_gdev(dev)->caps);
}
static DEVICE_ATTR_RO(caps);

static ssize_t ring_size_show(struct device *dev, struct device_attribute *attr,
			      char *buf)
{
	return sysfs_emit(buf, "%u\n", to_gdev(dev)->ring_size);
}
static DEVICE_ATTR_RO(ring_size);

static ssize_t batches_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lld\n", atomic64_read(&to_gdev(dev)->batches));
}
static DEVICE_ATTR_RO(batches);

static ssize_t timeouts_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lld\n", atomic64_read(&to_gdev(dev)->timeouts));
}
static DEVICE_ATTR_RO(timeouts);

static ssize_t resets_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lld\n", atomic64_read(&to_gdev(dev)->resets));
}
static DEVICE_ATTR_RO(resets);

static ssize_t dead_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", READ_ONCE(to_gdev(dev)->dead));
}
static DEVICE_ATTR_RO(dead);

static ssize_t swap_backing_show(struct device *dev, struct device_attribute *attr,
				 char *buf)
{
	return tmem_swap_backing_show(to_gdev(dev), buf);
}

static ssize_t swap_backing_store(struct device *dev, struct device_attribute *attr,
				  const char *buf, size_t count)
{
	struct tmem_gdev *g = to_gdev(dev);
	int ret;

	if (sysfs_streq(buf, "none") || sysfs_streq(buf, ""))
		ret = tmem_swap_remove(g, false);
	else
		ret = tmem_swap_create(g, buf);
	return ret ? ret : count;
}
static DEVICE_ATTR_RW(swap_backing);

static struct attribute *tmem_gdev_attrs[] = {
	&dev_attr_tmem_id.attr,
	&dev_attr_client_id.attr,
	&dev_attr_caps.attr,
	&dev_attr_ring_size.attr,
	&dev_attr_batches.attr,
	&dev_attr_timeouts.attr,
	&dev_attr_resets.attr,
	&dev_attr_dead.attr,
	&dev_attr_swap_backing.attr,
	NULL
};
ATTRIBUTE_GROUPS(tmem_gdev);

static const struct pci_device_id tmem_gdev_ids[] = {
	{ PCI_DEVICE_SUB(MGPU_TMEM_PCI_VENDOR_ID, MGPU_TMEM_PCI_DEVICE_ID,
			 MGPU_TMEM_PCI_SUBSYS_VENDOR_ID, MGPU_TMEM_PCI_SUBSYS_DEVICE_ID) },
	{ }
};
MODULE_DEVICE_TABLE(pci, tmem_gdev_ids);

static struct pci_driver tmem_gdev_driver = {
	.name		= KBUILD_MODNAME,
	.id_table	= tmem_gdev_ids,
	.probe		= tmem_gdev_probe,
	.remove		= tmem_gdev_remove,
	.dev_groups	= tmem_gdev_groups,
};

/**
 * tmem_gdev_register - register the PCI driver (devices bind from here on)
 *
 * Context: module init.
 * Return: pci_register_driver()'s.
 */
int tmem_gdev_register(void)
{
	return pci_register_driver(&tmem_gdev_driver);
}

/**
 * tmem_gdev_unregister - unbind every device and unregister the PCI driver
 *
 * Context: module exit.
 */
void tmem_gdev_unregister(void)
{
	pci_unregister_driver(&tmem_gdev_driver);
	ida_destroy(&tmem_gdev_ida);
}
