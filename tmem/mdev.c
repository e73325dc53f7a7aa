// SPDX-License-Identifier: GPL-2.0-only
/*
 * mgpu tmem: the mdev parent of tmem devices — a "mgpu_tmem" device in a class of the
 * same name (/sys/class/mdev_bus/mgpu_tmem/), one type "mgpu_tmem-1" with as many
 * instances as the engine has free clients, and the device's own sysfs files
 * (/sys/bus/mdev/devices/<uuid>/mgpu_tmem/: its client and weight), documented in
 * Documentation/ABI/testing/sysfs-bus-mdev-mgpu_tmem.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/device.h>
#include <linux/module.h>
#include <linux/sysfs.h>

#include "vdev.h"

#define TMEM_MDEV_NAME	"mgpu_tmem"

/**
 * struct tmem_mdev - the parent
 * @host: the host whose engine the devices are clients of
 * @dev: the parent device, /sys/class/mgpu_tmem/mgpu_tmem
 * @parent: its mdev registration
 * @type: the one type
 */
struct tmem_mdev {
	struct tmem_host *host;
	struct device *dev;
	struct mdev_parent parent;
	struct mdev_type type;
};

static struct tmem_mdev tmem_mdev = {
	.type = {
		.sysfs_name = "1",
		.pretty_name = "tmem",
	},
};

static struct mdev_type *tmem_mdev_types[] = { &tmem_mdev.type };

/* The parent's class: its name is the prefix of the type's directory (mgpu_tmem-1). */
static struct class tmem_mdev_class = {
	.name = TMEM_MDEV_NAME,
};

/**
 * tmem_mdev_host - the host tmem devices are clients of
 *
 * Return: the host given to tmem_mdev_init().
 */
struct tmem_host *tmem_mdev_host(void)
{
	return tmem_mdev.host;
}

/* ---- the type ---------------------------------------------------------------------- */

/* Every device is an engine client, and so are the host-local block devices. */
static unsigned int tmem_mdev_available(struct mdev_type *mtype)
{
	struct tmem_host *h = tmem_mdev.host;
	unsigned int n;

	tmem_host_lock(h);
	n = h->max_clients - h->nr_clients;
	tmem_host_unlock(h);
	return n;
}

static ssize_t tmem_mdev_description(struct mdev_type *mtype, char *buf)
{
	struct tmem_host *h = tmem_mdev.host;

	int n;

	n = sysfs_emit(buf, "abi=%u.%u, max_ring=%u, max_pools=%u, ",
		       MGPU_TMEM_VERSION_MAJOR, MGPU_TMEM_VERSION_MINOR, MGPU_TMEM_MAX_RING,
		       MGPU_TMEM_MAX_POOLS);
	return n + sysfs_emit_at(buf, n, "budget_pages=%llu, compression=%s\n",
				 READ_ONCE(h->total_pages), h->comp_name);
}

/* ---- /sys/bus/mdev/devices/<uuid>/mgpu_tmem/ ---------------------------------------- */

static struct tmem_host_client *dev_client(struct device *dev)
{
	struct tmem_vdev *vd = dev_get_drvdata(dev);

	return vd->client;
}

static ssize_t client_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", dev_client(dev)->id);
}
static DEVICE_ATTR_RO(client);

static ssize_t weight_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return tmem_sysfs_weight_show(dev_client(dev), buf);
}

static ssize_t weight_store(struct device *dev, struct device_attribute *attr,
			    const char *buf, size_t len)
{
	int ret = tmem_sysfs_weight_store(dev_client(dev), buf);

	if (ret == -EINVAL)
		dev_info(dev, "weight \"%.*s\" refused: use %u..%u\n",
			 (int)strcspn(buf, "\n"), buf, TMEM_WEIGHT_MIN, TMEM_WEIGHT_MAX);
	return ret ? ret : len;
}
static DEVICE_ATTR_RW(weight);

static struct attribute *tmem_mdev_dev_attrs[] = {
	&dev_attr_client.attr,
	&dev_attr_weight.attr,
	NULL
};

static const struct attribute_group tmem_mdev_dev_group = {
	.name = TMEM_MDEV_NAME,
	.attrs = tmem_mdev_dev_attrs,
};

static const struct attribute_group *tmem_mdev_dev_groups[] = {
	&tmem_mdev_dev_group,
	NULL
};

static struct mdev_driver tmem_mdev_driver = {
	.device_api = VFIO_DEVICE_API_PCI_STRING,
	.driver = {
		.name = TMEM_MDEV_NAME,
		.owner = THIS_MODULE,
		.mod_name = KBUILD_MODNAME,
		.dev_groups = tmem_mdev_dev_groups,
	},
	.probe = tmem_vdev_probe,
	.remove = tmem_vdev_remove,
	.get_available = tmem_mdev_available,
	.show_description = tmem_mdev_description,
};

/* ---- module ------------------------------------------------------------------------ */

/**
 * tmem_mdev_init - offer tmem devices as mdevs of the "mgpu_tmem" parent
 * @h: the host, with its engine and sysfs up
 *
 * Context: process context; sleeps.
 * Return: 0 or -errno.
 */
int tmem_mdev_init(struct tmem_host *h)
{
	int ret;

	tmem_mdev.host = h;
	ret = tmem_vdev_module_init();
	if (ret)
		return ret;
	ret = mdev_register_driver(&tmem_mdev_driver);
	if (ret)
		goto err_vdev_exit;
	ret = class_register(&tmem_mdev_class);
	if (ret)
		goto err_unregister_driver;
	tmem_mdev.dev = device_create(&tmem_mdev_class, NULL, MKDEV(0, 0), NULL,
				      TMEM_MDEV_NAME);
	if (IS_ERR(tmem_mdev.dev)) {
		ret = PTR_ERR(tmem_mdev.dev);
		goto err_unregister_class;
	}
	ret = mdev_register_parent(&tmem_mdev.parent, tmem_mdev.dev, &tmem_mdev_driver,
				   tmem_mdev_types, ARRAY_SIZE(tmem_mdev_types));
	if (ret)
		goto err_destroy_dev;
	return 0;

err_destroy_dev:
	device_unregister(tmem_mdev.dev);
err_unregister_class:
	class_unregister(&tmem_mdev_class);
err_unregister_driver:
	mdev_unregister_driver(&tmem_mdev_driver);
err_vdev_exit:
	tmem_vdev_module_exit();
	pr_err("cannot offer tmem devices as mdevs (%d)\n", ret);
	return ret;
}

/**
 * tmem_mdev_exit - remove every tmem device and the parent
 *
 * The module cannot be unloaded while a device is open (VFIO holds a reference), so
 * the devices left are idle and go at once.
 *
 * Context: process context; sleeps.
 */
void tmem_mdev_exit(void)
{
	mdev_unregister_parent(&tmem_mdev.parent);
	device_unregister(tmem_mdev.dev);
	class_unregister(&tmem_mdev_class);
	mdev_unregister_driver(&tmem_mdev_driver);
	tmem_vdev_module_exit();
}
