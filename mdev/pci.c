// SPDX-License-Identifier: GPL-2.0-only
/*
 * mgpu: the PCI backend — QEMU/Bochs display adapters (1234:1111, "-device VGA" or
 * "-device bochs-display"). BAR0 is the VRAM that vGPUs share; BAR2 holds the DISPI
 * registers, through which the host shows a vGPU's framebuffer on the GPU's own display.
 *
 * mgpu binds only GPUs that no other driver holds and that the pci_gpus parameter
 * allows; it exports no device table, so loading it is always the administrator's
 * decision and never races bochs-drm for the boot display.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/aperture.h>
#include <linux/debugfs.h>
#include <linux/io.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/pci.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/mgpu.h>

#include "mgpu.h"

#define PCI_GPU_BAR_VRAM	0
#define PCI_GPU_BAR_MMIO	2
#define PCI_GPU_MAX_VRAM	(256ULL << 20)

/* The DISPI registers mgpu saves and restores, in the order it restores them. */
static const u8 host_regs[] = {
	MGPU_DISPI_BPP, MGPU_DISPI_XRES, MGPU_DISPI_YRES, MGPU_DISPI_BANK,
	MGPU_DISPI_ENABLE, MGPU_DISPI_VIRT_WIDTH, MGPU_DISPI_X_OFFSET, MGPU_DISPI_Y_OFFSET,
};

/**
 * struct pci_gpu - one Bochs display adapter driven by mgpu
 * @parent: the mdev parent (drvdata of the PCI device)
 * @pdev: the PCI device
 * @vram: BAR0, mapped write-combined
 * @mmio: BAR2 (DISPI, QEMU extension), or NULL when the device has none
 * @has_qext: the QEMU extension registers (framebuffer byte order) exist
 * @host: the host's DISPI registers, saved at probe
 * @host_endian: the host's QEXT_ENDIAN, saved at probe
 * @debugfs: the GPU's debugfs directory
 */
struct pci_gpu {
	struct mgpu_parent parent;
	struct pci_dev *pdev;
	void *vram;
	void __iomem *mmio;
	bool has_qext;
	u16 host[MGPU_DISPI_NR];
	u32 host_endian;
	struct dentry *debugfs;
};

static struct dentry *pci_debugfs_root;

/* ---- which GPUs mgpu drives: the pci_gpus parameter ---- */

static char *pci_gpus = "all";

/* Parse "[domain:]bus:slot.fn" (hex); -EINVAL if @tok is not one. */
static int parse_bdf(const char *tok, unsigned int *dom, unsigned int *bus,
		     unsigned int *slot, unsigned int *fn)
{
	char end;

	if (sscanf(tok, "%x:%x:%x.%x%c", dom, bus, slot, fn, &end) != 4) {
		*dom = 0;
		if (sscanf(tok, "%x:%x.%x%c", bus, slot, fn, &end) != 3)
			return -EINVAL;
	}
	if (*dom > 0xffff || *bus > 0xff || *slot > 0x1f || *fn > 7)
		return -EINVAL;
	return 0;
}

/*
 * Whether the list @val ("all", "none" or comma-separated addresses) names @pdev;
 * with @pdev NULL, only check the syntax. Return: 1, 0, or -EINVAL.
 */
static int pci_gpus_match(const char *val, struct pci_dev *pdev)
{
	unsigned int dom, bus, slot, fn;
	char *list, *cur, *tok;
	int ret = 0;

	if (!val || sysfs_streq(val, "all"))
		return 1;
	if (sysfs_streq(val, "none"))
		return 0;
	list = kstrdup(val, GFP_KERNEL);
	if (!list)
		return -ENOMEM;
	cur = list;
	while ((tok = strsep(&cur, ",")) && ret >= 0) {
		tok = strim(tok);
		if (parse_bdf(tok, &dom, &bus, &slot, &fn)) {
			pr_warn("pci_gpus: \"%*pE\" is not a PCI address ([domain:]bus:slot.fn); \"all\" and \"none\" stand alone\n",
				(int)min_t(size_t, strlen(tok), 32), tok);
			ret = -EINVAL;
		} else if (pdev && dom == pci_domain_nr(pdev->bus) &&
			   bus == pdev->bus->number && slot == PCI_SLOT(pdev->devfn) &&
			   fn == PCI_FUNC(pdev->devfn)) {
			ret = 1;
		}
	}
	kfree(list);
	return ret;
}

static int pci_gpus_set(const char *val, const struct kernel_param *kp)
{
	char *copy;
	int ret;

	ret = pci_gpus_match(val, NULL);
	if (ret < 0)
		return ret;
	copy = kstrdup(val, GFP_KERNEL);
	if (!copy)
		return -ENOMEM;
	ret = param_set_charp(strim(copy), kp);
	kfree(copy);
	return ret;
}

static const struct kernel_param_ops pci_gpus_ops = {
	.set = pci_gpus_set,
	.get = param_get_charp,
	.free = param_free_charp,
};

module_param_cb(pci_gpus, &pci_gpus_ops, &pci_gpus, 0644);
MODULE_PARM_DESC(pci_gpus,
		 "Bochs GPUs to drive: \"all\" (default), \"none\" or [domain:]bus:slot.fn,...");

/* Does pci_gpus allow mgpu to drive @pdev? */
static bool pci_gpu_wanted(struct pci_dev *pdev)
{
	int ret;

	kernel_param_lock(THIS_MODULE);
	ret = pci_gpus_match(pci_gpus, pdev);
	if (!ret)
		dev_info(&pdev->dev, "not driving this GPU: pci_gpus=%s does not name it\n",
			 pci_gpus);
	kernel_param_unlock(THIS_MODULE);
	return ret > 0;
}

/* ---- VRAM ---- */

static struct pci_gpu *to_pci_gpu(struct mgpu_parent *parent)
{
	return container_of(parent, struct pci_gpu, parent);
}

static void pci_vram_read(struct mgpu_parent *parent, u64 off, void *buf, size_t len)
{
	memcpy(buf, to_pci_gpu(parent)->vram + off, len);
}

static void pci_vram_write(struct mgpu_parent *parent, u64 off, const void *buf,
			   size_t len)
{
	memcpy(to_pci_gpu(parent)->vram + off, buf, len);
}

static void pci_vram_clear(struct mgpu_parent *parent, u64 off, size_t len)
{
	memset(to_pci_gpu(parent)->vram + off, 0, len);
}

static unsigned long pci_vram_pfn(struct mgpu_parent *parent, u64 off)
{
	struct pci_dev *pdev = to_pci_gpu(parent)->pdev;

	return (pci_resource_start(pdev, PCI_GPU_BAR_VRAM) >> PAGE_SHIFT) + (off >> PAGE_SHIFT);
}

/* ---- the GPU's own display: DISPI registers in BAR2 ---- */

static u16 dispi_read(struct pci_gpu *gpu, unsigned int reg)
{
	return readw(gpu->mmio + MGPU_MMIO_DISPI + 2 * reg);
}

static void dispi_write(struct pci_gpu *gpu, unsigned int reg, u16 val)
{
	writew(val, gpu->mmio + MGPU_MMIO_DISPI + 2 * reg);
}

static void display_save_host(struct pci_gpu *gpu)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(host_regs); i++)
		gpu->host[host_regs[i]] = dispi_read(gpu, host_regs[i]);
	if (gpu->has_qext)
		gpu->host_endian = readl(gpu->mmio + MGPU_QEXT_ENDIAN);
}

/* Enabling DISPI resets the virtual width and offsets, so they follow ENABLE. */
static void display_restore_host(struct pci_gpu *gpu)
{
	unsigned int i;

	dispi_write(gpu, MGPU_DISPI_ENABLE, 0);
	for (i = 0; i < ARRAY_SIZE(host_regs); i++) {
		u16 val = gpu->host[host_regs[i]];

		/* Never clear VRAM that vGPUs own. */
		if (host_regs[i] == MGPU_DISPI_ENABLE && (val & MGPU_DISPI_ENABLED))
			val |= MGPU_DISPI_NOCLEARMEM;
		dispi_write(gpu, host_regs[i], val);
	}
	if (gpu->has_qext)
		writel(gpu->host_endian, gpu->mmio + MGPU_QEXT_ENDIAN);
}

/*
 * The start of the screen is y_offset * stride + x_offset * bytes per pixel, in units
 * of 4 bytes; widths are multiples of 8 pixels (QEMU's vbe_fixup_regs()).
 */
static int display_geometry(const struct mgpu_scanout *s, u16 *vwidth, u16 *x, u16 *y)
{
	unsigned int cpp = DIV_ROUND_UP(s->bpp, 8);
	u64 line, rem;

	if (s->stride % cpp || s->width % 8 || s->offset % 4 || s->offset % cpp)
		return -EINVAL;
	*vwidth = s->stride / cpp;
	if (s->stride / cpp > MGPU_DISPI_MAX_XRES || *vwidth % 8 || *vwidth < s->width)
		return -EINVAL;
	line = div64_u64_rem(s->offset, s->stride, &rem);
	if (line > MGPU_DISPI_MAX_YRES)
		return -ERANGE;
	*y = line;
	*x = rem / cpp;
	return 0;
}

static int display_show(struct pci_gpu *gpu, const struct mgpu_scanout *s)
{
	u16 vwidth, x, y;
	int ret;

	ret = display_geometry(s, &vwidth, &x, &y);
	if (ret)
		return ret;
	/* On a VGA adapter, set the attribute controller's palette source: unblank. */
	writeb(0x20, gpu->mmio + MGPU_MMIO_VGA);
	dispi_write(gpu, MGPU_DISPI_ENABLE, 0);
	dispi_write(gpu, MGPU_DISPI_BPP, s->bpp);
	dispi_write(gpu, MGPU_DISPI_XRES, s->width);
	dispi_write(gpu, MGPU_DISPI_YRES, s->height);
	dispi_write(gpu, MGPU_DISPI_BANK, 0);
	dispi_write(gpu, MGPU_DISPI_ENABLE, MGPU_DISPI_ENABLED | MGPU_DISPI_LFB_ENABLED |
		    MGPU_DISPI_NOCLEARMEM);
	dispi_write(gpu, MGPU_DISPI_VIRT_WIDTH, vwidth);
	dispi_write(gpu, MGPU_DISPI_X_OFFSET, x);
	dispi_write(gpu, MGPU_DISPI_Y_OFFSET, y);
	if (gpu->has_qext)
		writel(s->big_endian ? MGPU_QEXT_ENDIAN_BIG : MGPU_QEXT_ENDIAN_LITTLE,
		       gpu->mmio + MGPU_QEXT_ENDIAN);
	/* The device clamps what it cannot show; then it would show the wrong VRAM. */
	if (dispi_read(gpu, MGPU_DISPI_XRES) != s->width ||
	    dispi_read(gpu, MGPU_DISPI_YRES) != s->height ||
	    dispi_read(gpu, MGPU_DISPI_BPP) != s->bpp ||
	    dispi_read(gpu, MGPU_DISPI_VIRT_WIDTH) != vwidth ||
	    dispi_read(gpu, MGPU_DISPI_X_OFFSET) != x ||
	    dispi_read(gpu, MGPU_DISPI_Y_OFFSET) != y)
		return -ERANGE;
	return 0;
}

static int pci_scanout(struct mgpu_parent *parent, const struct mgpu_scanout *s)
{
	struct pci_gpu *gpu = to_pci_gpu(parent);
	int ret = 0;

	if (s && s->enabled)
		ret = display_show(gpu, s);
	if (!s || !s->enabled || ret)
		display_restore_host(gpu);
	return ret;
}

static const struct mgpu_backend_ops pci_ops = {
	.name = "pci",
	.vram_read = pci_vram_read,
	.vram_write = pci_vram_write,
	.vram_clear = pci_vram_clear,
	.vram_pfn = pci_vram_pfn,
	.vram_wc = true,
	.engine = &mgpu_eng_soft,
	.scanout = pci_scanout,
};

/* A Bochs adapter without the MMIO BAR (QEMU "-device VGA,mmio=off"): no display. */
static const struct mgpu_backend_ops pci_ops_nodisplay = {
	.name = "pci",
	.vram_read = pci_vram_read,
	.vram_write = pci_vram_write,
	.vram_clear = pci_vram_clear,
	.vram_pfn = pci_vram_pfn,
	.vram_wc = true,
	.engine = &mgpu_eng_soft,
};

/* debugfs <bdf>/dispi: the physical display registers, as the host left them. */
static int dispi_show(struct seq_file *m, void *unused)
{
	static const char * const names[MGPU_DISPI_NR] = {
		"id", "xres", "yres", "bpp", "enable", "bank", "virt_width", "virt_height",
		"x_offset", "y_offset", "video_memory_64k",
	};
	struct pci_gpu *gpu = m->private;
	unsigned int i;

	for (i = 0; i < MGPU_DISPI_NR; i++)
		seq_printf(m, "%s %#x\n", names[i], dispi_read(gpu, i));
	if (gpu->has_qext)
		seq_printf(m, "endian %#x\n", readl(gpu->mmio + MGPU_QEXT_ENDIAN));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(dispi);

/* ---- probe and remove ---- */

/* Map BAR2 and save the host's display state; a GPU without it still shares VRAM. */
static void pci_gpu_map_mmio(struct pci_gpu *gpu)
{
	struct pci_dev *pdev = gpu->pdev;
	u16 id;

	if (!(pci_resource_flags(pdev, PCI_GPU_BAR_MMIO) & IORESOURCE_MEM) ||
	    pci_resource_len(pdev, PCI_GPU_BAR_MMIO) < MGPU_MMIO_SIZE) {
		dev_info(&pdev->dev, "no MMIO BAR: no host scanout on this GPU\n");
		return;
	}
	gpu->mmio = pci_iomap(pdev, PCI_GPU_BAR_MMIO, MGPU_MMIO_SIZE);
	if (!gpu->mmio) {
		dev_warn(&pdev->dev, "cannot map BAR2: no host scanout on this GPU\n");
		return;
	}
	id = dispi_read(gpu, MGPU_DISPI_ID);
	if ((id & 0xfff0) != MGPU_DISPI_ID0) {
		dev_warn(&pdev->dev, "DISPI ID %#x is not Bochs': no host scanout\n", id);
		pci_iounmap(pdev, gpu->mmio);
		gpu->mmio = NULL;
		return;
	}
	gpu->has_qext = pdev->revision >= 2 && readl(gpu->mmio + MGPU_QEXT_SIZE) >= 8;
	display_save_host(gpu);
}

/* BAR0, or what DISPI says is VRAM if that is less (as bochs-drm does). */
static u64 pci_gpu_vram_size(struct pci_gpu *gpu)
{
	u64 size = pci_resource_len(gpu->pdev, PCI_GPU_BAR_VRAM);

	if (gpu->mmio) {
		u64 dispi = (u64)dispi_read(gpu, MGPU_DISPI_VIDEO_MEMORY_64K) << 16;

		if (dispi && dispi < size)
			size = dispi;
	}
	return min(size, PCI_GPU_MAX_VRAM);
}

static int pci_gpu_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct pci_gpu *gpu;
	int ret;

	if (!pci_gpu_wanted(pdev))
		return -ENODEV;
	if (!(pci_resource_flags(pdev, PCI_GPU_BAR_VRAM) & IORESOURCE_MEM)) {
		dev_err(&pdev->dev, "BAR0 is not VRAM (no memory BAR)\n");
		return -ENODEV;
	}
	/* The firmware framebuffer must stop drawing into VRAM that vGPUs will own. */
	ret = aperture_remove_conflicting_pci_devices(pdev, MGPU_DRIVER_NAME);
	if (ret)
		return ret;
	gpu = kzalloc(sizeof(*gpu), GFP_KERNEL);
	if (!gpu)
		return -ENOMEM;
	gpu->pdev = pdev;
	ret = pci_enable_device(pdev);
	if (ret) {
		dev_err(&pdev->dev, "cannot enable the device: %d\n", ret);
		goto err_free_gpu;
	}
	ret = pci_request_regions(pdev, MGPU_DRIVER_NAME);
	if (ret) {
		dev_err(&pdev->dev, "BARs busy (another driver holds them): %d\n", ret);
		goto err_disable;
	}
	pci_gpu_map_mmio(gpu);
	gpu->parent.vram_size = pci_gpu_vram_size(gpu);
	/* Plain memory accesses (memremap) so that the command engine can use VRAM. */
	gpu->vram = memremap(pci_resource_start(pdev, PCI_GPU_BAR_VRAM),
			     gpu->parent.vram_size, MEMREMAP_WC);
	if (!gpu->vram) {
		dev_err(&pdev->dev, "cannot map %llu MiB of VRAM\n", gpu->parent.vram_size >> 20);
		ret = -ENOMEM;
		goto err_unmap_mmio;
	}
	gpu->parent.vram_map = gpu->vram;
	gpu->parent.dev = &pdev->dev;
	gpu->parent.ops = gpu->mmio ? &pci_ops : &pci_ops_nodisplay;
	gpu->parent.backend_data = gpu;
	pci_set_drvdata(pdev, &gpu->parent);
	ret = mgpu_parent_register(&gpu->parent);
	if (ret)
		goto err_unmap_vram;
	if (gpu->mmio) {
		gpu->debugfs = debugfs_create_dir(pci_name(pdev), pci_debugfs_root);
		debugfs_create_file("dispi", 0400, gpu->debugfs, gpu, &dispi_fops);
	}
	return 0;

err_unmap_vram:
	pci_set_drvdata(pdev, NULL);
	memunmap(gpu->vram);
err_unmap_mmio:
	if (gpu->mmio)
		pci_iounmap(pdev, gpu->mmio);
	pci_release_regions(pdev);
err_disable:
	pci_disable_device(pdev);
err_free_gpu:
	kfree(gpu);
	return ret;
}

/* Waits until every vGPU on the GPU is gone, then gives the display back. */
static void pci_gpu_remove(struct pci_dev *pdev)
{
	struct mgpu_parent *parent = pci_get_drvdata(pdev);
	struct pci_gpu *gpu = to_pci_gpu(parent);

	debugfs_remove_recursive(gpu->debugfs);
	mgpu_parent_unregister(parent);
	if (gpu->mmio) {
		display_restore_host(gpu);
		pci_iounmap(pdev, gpu->mmio);
	}
	memunmap(gpu->vram);
	pci_set_drvdata(pdev, NULL);
	pci_release_regions(pdev);
	pci_disable_device(pdev);
	kfree(gpu);
}

static const struct pci_device_id pci_gpu_ids[] = {
	{ PCI_DEVICE(MGPU_PCI_VENDOR_ID, MGPU_PCI_DEVICE_ID) },
	{ }
};

/* Named "mgpu" so the mdev core names the types "mgpu-<size>", as on software GPUs. */
static struct pci_driver pci_gpu_driver = {
	.name = MGPU_DRIVER_NAME,
	.id_table = pci_gpu_ids,
	.probe = pci_gpu_probe,
	.remove = pci_gpu_remove,
};

/**
 * mgpu_pci_init - register the PCI backend; it binds every allowed, unbound Bochs GPU
 *
 * Return: 0 or -errno.
 */
int mgpu_pci_init(void)
{
	int ret;

	pci_debugfs_root = debugfs_create_dir(KBUILD_MODNAME, NULL);
	ret = pci_register_driver(&pci_gpu_driver);
	if (ret) {
		pr_err("cannot register the PCI driver: %d\n", ret);
		debugfs_remove_recursive(pci_debugfs_root);
	}
	return ret;
}

/**
 * mgpu_pci_exit - unbind every PCI GPU (waiting for its vGPUs) and the backend
 */
void mgpu_pci_exit(void)
{
	pci_unregister_driver(&pci_gpu_driver);
	debugfs_remove_recursive(pci_debugfs_root);
}
