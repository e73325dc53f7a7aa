// SPDX-License-Identifier: GPL-2.0-only
/*
 * mgpu: a vGPU's own sysfs attributes, in /sys/bus/mdev/devices/<uuid>/mgpu/ —
 * its VRAM, its current display mode, and counters of its trapped accesses.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/device.h>
#include <linux/percpu.h>
#include <linux/sysfs.h>

#include "edid.h"
#include "vgpu.h"

static struct mgpu_vgpu *dev_to_vgpu(struct device *dev)
{
	return dev_get_drvdata(dev);
}

static ssize_t vram_mb_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n", dev_to_vgpu(dev)->vram_size >> 20);
}
static DEVICE_ATTR_RO(vram_mb);

static ssize_t mode_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct mgpu_vgpu *vgpu = dev_to_vgpu(dev);
	struct mgpu_mode mode;

	mutex_lock(&vgpu->lock);
	mgpu_mmio_mode(&vgpu->mmio, &mode);
	mutex_unlock(&vgpu->lock);
	if (!mode.enabled)
		return sysfs_emit(buf, "off\n");
	return sysfs_emit(buf, "%ux%u bpp=%u stride=%u offset=%llu endian=%s\n", mode.width,
			  mode.height, mode.bpp, mode.stride, mode.offset,
			  mode.big_endian ? "big" : "little");
}
static DEVICE_ATTR_RO(mode);

static u64 traps_sum(struct mgpu_vgpu *vgpu, bool writes)
{
	u64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu) {
		struct mgpu_vgpu_traps *t = per_cpu_ptr(vgpu->traps, cpu);

		sum += writes ? READ_ONCE(t->writes) : READ_ONCE(t->reads);
	}
	return sum;
}

static ssize_t resolution_show(struct device *dev, struct device_attribute *attr,
			       char *buf)
{
	struct mgpu_vgpu *vgpu = dev_to_vgpu(dev);

	return sysfs_emit(buf, "%ux%u\n", vgpu->width, vgpu->height);
}

static ssize_t resolution_store(struct device *dev, struct device_attribute *attr,
				const char *buf, size_t count)
{
	struct mgpu_vgpu *vgpu = dev_to_vgpu(dev);
	u32 w, h;
	char end;
	int ret, n;

	n = sscanf(buf, "%ux%u%c", &w, &h, &end);
	if (n < 2 || (n == 3 && end != '\n')) {
		dev_info(dev, "resolution: \"%.*s\" is not <width>x<height>\n",
			 (int)min_t(size_t, count, 32), buf);
		return -EINVAL;
	}
	mutex_lock(&vgpu->lock);
	ret = mgpu_vgpu_set_resolution_locked(vgpu, w, h);
	mutex_unlock(&vgpu->lock);
	if (ret)
		dev_info(dev, "resolution: %ux%u is outside %ux%u..%ux%u or beyond %llu MiB of VRAM\n",
			 w, h, MGPU_EDID_MIN_W, MGPU_EDID_MIN_H, MGPU_EDID_MAX_W,
			 MGPU_EDID_MAX_H, vgpu->vram_size >> 20);
	return ret ? ret : count;
}
static DEVICE_ATTR_RW(resolution);

#define MGPU_COUNTER_ATTR(name, expr)						\
static ssize_t name##_show(struct device *dev, struct device_attribute *attr,	\
			   char *buf)						\
{										\
	struct mgpu_vgpu *vgpu = dev_to_vgpu(dev);				\
										\
	return sysfs_emit(buf, "%llu\n", (unsigned long long)(expr));		\
}										\
static DEVICE_ATTR_RO(name)

MGPU_COUNTER_ATTR(trapped_reads, traps_sum(vgpu, false));
MGPU_COUNTER_ATTR(trapped_writes, traps_sum(vgpu, true));
MGPU_COUNTER_ATTR(vram_faults, atomic64_read(&vgpu->vram_faults));
MGPU_COUNTER_ATTR(interrupts, READ_ONCE(vgpu->irq.delivered));
MGPU_COUNTER_ATTR(frames, READ_ONCE(vgpu->plane_queries));

static struct attribute *mgpu_vgpu_attrs[] = {
	&dev_attr_vram_mb.attr,
	&dev_attr_mode.attr,
	&dev_attr_resolution.attr,
	&dev_attr_trapped_reads.attr,
	&dev_attr_trapped_writes.attr,
	&dev_attr_vram_faults.attr,
	&dev_attr_interrupts.attr,
	&dev_attr_frames.attr,
	NULL
};

static const struct attribute_group mgpu_vgpu_group = {
	.name = "mgpu",
	.attrs = mgpu_vgpu_attrs,
};

/* Registered with the mdev driver: present exactly while a vGPU is bound. */
const struct attribute_group *mgpu_vgpu_groups[] = {
	&mgpu_vgpu_group,
	NULL
};
