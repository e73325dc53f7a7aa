// SPDX-License-Identifier: GPL-2.0-only
/*
 * mgpu: the software GPU backend, for hosts without a GPU mgpu can drive. Each
 * software GPU is a platform device ("mgpu-soft.N") bound to mgpu's platform driver;
 * its VRAM partitions come from host memory.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/platform_device.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "mgpu.h"

#define MGPU_SOFT_MAX	16

static struct platform_device *soft_pdevs[MGPU_SOFT_MAX];
static unsigned int soft_count;
static u64 soft_vram_size;

/* The software GPU's VRAM: host memory, allocated (zeroed) with the GPU. */
static void *soft_vram(struct mgpu_parent *parent)
{
	return parent->backend_data;
}

static void soft_vram_read(struct mgpu_parent *parent, u64 off, void *buf, size_t len)
{
	memcpy(buf, soft_vram(parent) + off, len);
}

static void soft_vram_write(struct mgpu_parent *parent, u64 off, const void *buf,
			    size_t len)
{
	memcpy(soft_vram(parent) + off, buf, len);
}

static void soft_vram_clear(struct mgpu_parent *parent, u64 off, size_t len)
{
	memset(soft_vram(parent) + off, 0, len);
}

static unsigned long soft_vram_pfn(struct mgpu_parent *parent, u64 off)
{
	return vmalloc_to_pfn(soft_vram(parent) + off);
}

static const struct mgpu_backend_ops soft_ops = {
	.name = "soft",
	.vram_read = soft_vram_read,
	.vram_write = soft_vram_write,
	.vram_clear = soft_vram_clear,
	.vram_pfn = soft_vram_pfn,
	.vram_wc = false,
	.engine = &mgpu_eng_soft,
};

static int soft_probe(struct platform_device *pdev)
{
	struct mgpu_parent *parent;
	int ret;

	parent = kzalloc(sizeof(*parent), GFP_KERNEL);
	if (!parent)
		return -ENOMEM;
	parent->dev = &pdev->dev;
	parent->ops = &soft_ops;
	parent->vram_size = soft_vram_size;
	parent->vram_clean = true;	/* vmalloc_user() zeroes */
	parent->backend_data = vmalloc_user(soft_vram_size);
	parent->vram_map = parent->backend_data;
	if (!parent->backend_data) {
		dev_err(&pdev->dev, "cannot allocate %llu MiB of host memory as VRAM\n",
			soft_vram_size >> 20);
		ret = -ENOMEM;
		goto err_free_parent;
	}
	platform_set_drvdata(pdev, parent);
	ret = mgpu_parent_register(parent);
	if (ret)
		goto err_free_vram;
	return 0;

err_free_vram:
	platform_set_drvdata(pdev, NULL);
	vfree(parent->backend_data);
err_free_parent:
	kfree(parent);
	return ret;
}

/* Called for each software GPU at unload, before its platform device goes. */
static void soft_remove(struct platform_device *pdev)
{
	struct mgpu_parent *parent = platform_get_drvdata(pdev);

	if (!parent)
		return;
	mgpu_parent_unregister(parent);
	platform_set_drvdata(pdev, NULL);
	vfree(parent->backend_data);
	kfree(parent);
}

static const struct platform_device_id soft_ids[] = {
	{ .name = "mgpu-soft" },
	{ }
};

/*
 * Named "mgpu" so the mdev core names the types "mgpu-<size>", as on PCI GPUs. The
 * software GPUs live exactly as long as the module: no manual unbind, and teardown
 * happens in mgpu_soft_exit() rather than in a ->remove() (whose type differs between
 * the kernels mgpu supports).
 */
static struct platform_driver soft_driver = {
	.driver = {
		.name = MGPU_DRIVER_NAME,
		.suppress_bind_attrs = true,
	},
	.id_table = soft_ids,
	.probe = soft_probe,
};

/**
 * mgpu_soft_init - register the software backend and create its GPUs
 * @count: how many GPUs (at most MGPU_SOFT_MAX)
 * @vram_mb: VRAM of each, in MiB
 *
 * Return: 0 or -errno; on error no software GPU is left behind.
 */
int mgpu_soft_init(unsigned int count, unsigned int vram_mb)
{
	struct platform_device *pdev;
	int ret;

	if (count > MGPU_SOFT_MAX) {
		pr_err("soft_gpus=%u is more than the %u software GPUs mgpu supports\n",
		       count, MGPU_SOFT_MAX);
		return -EINVAL;
	}
	soft_vram_size = (u64)vram_mb << 20;
	ret = platform_driver_register(&soft_driver);
	if (ret)
		return ret;
	for (soft_count = 0; soft_count < count; soft_count++) {
		pdev = platform_device_register_simple("mgpu-soft", soft_count, NULL, 0);
		if (IS_ERR(pdev)) {
			mgpu_soft_exit();
			return PTR_ERR(pdev);
		}
		soft_pdevs[soft_count] = pdev;
		if (!platform_get_drvdata(pdev)) {
			pr_err("software GPU %u did not start; see the messages above\n",
			       soft_count);
			soft_count++;
			mgpu_soft_exit();
			return -ENODEV;
		}
	}
	return 0;
}

/**
 * mgpu_soft_exit - remove every software GPU (and its vGPUs) and the backend
 */
void mgpu_soft_exit(void)
{
	while (soft_count) {
		soft_count--;
		soft_remove(soft_pdevs[soft_count]);
		platform_device_unregister(soft_pdevs[soft_count]);
	}
	platform_driver_unregister(&soft_driver);
}
