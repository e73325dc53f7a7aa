// SPDX-License-Identifier: GPL-2.0-only
/*
 * mgpu: a vGPU's own sysfs attributes, in /sys/bus/mdev/devices/<uuid>/mgpu/ —
 * its VRAM, its current display mode, counters of its trapped accesses, whether a
 * user holds it, its engine's QoS knobs (writable; mdevctl persists them as attrs),
 * and its framebuffer for host-side snapshots.
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

MGPU_COUNTER_ATTR(in_use, READ_ONCE(vgpu->open));

/* ======== QoS: the scheduler's knobs of this vGPU ======== */

enum qos_knob { QOS_WEIGHT, QOS_CAP, QOS_RESERVATION, QOS_SLICE };

static u32 *qos_field(struct mgpu_sched_qos *q, enum qos_knob k)
{
	switch (k) {
	case QOS_WEIGHT:
		return &q->weight;
	case QOS_CAP:
		return &q->cap;
	case QOS_RESERVATION:
		return &q->reservation;
	default:
		return &q->slice_us;
	}
}

static ssize_t qos_show(struct device *dev, char *buf, enum qos_knob k)
{
	struct mgpu_sched_qos q;
	u32 v;

	mgpu_ctx_get_qos(&dev_to_vgpu(dev)->ctx, &q);
	v = *qos_field(&q, k);
	return sysfs_emit(buf, "%u\n", k == QOS_SLICE ? v / 1000 : v);
}

static ssize_t qos_apply(struct device *dev, const char *knob, struct mgpu_sched_qos *q,
			 size_t count)
{
	const char *why = "";
	int ret;

	ret = mgpu_ctx_set_qos(&dev_to_vgpu(dev)->ctx, q, &why);
	if (ret)
		dev_info(dev, "%s refused: %s\n", knob, why);
	return ret ? ret : count;
}

static ssize_t qos_store(struct device *dev, const char *buf, size_t count,
			 enum qos_knob k, const char *knob)
{
	struct mgpu_sched_qos q;
	u32 v;

	if (kstrtou32(buf, 0, &v)) {
		dev_info(dev, "%s: \"%.*s\" is not a number\n", knob,
			 (int)min_t(size_t, count, 32), buf);
		return -EINVAL;
	}
	if (k == QOS_SLICE) {
		if (v > MGPU_SCHED_SLICE_MAX_US / 1000 || !v) {
			dev_info(dev, "timeslice_ms refused: %u is outside 1..30\n", v);
			return -EINVAL;
		}
		v *= 1000;
	}
	mgpu_ctx_get_qos(&dev_to_vgpu(dev)->ctx, &q);
	*qos_field(&q, k) = v;
	return qos_apply(dev, knob, &q, count);
}

#define MGPU_QOS_ATTR(name, knob)						\
static const enum qos_knob name##_knob = knob;					\
static ssize_t name##_show(struct device *dev, struct device_attribute *attr,	\
			   char *buf)						\
{										\
	return qos_show(dev, buf, name##_knob);					\
}										\
static ssize_t name##_store(struct device *dev, struct device_attribute *attr,	\
			    const char *buf, size_t count)			\
{										\
	return qos_store(dev, buf, count, name##_knob, #name);			\
}										\
static DEVICE_ATTR_RW(name)

MGPU_QOS_ATTR(weight, QOS_WEIGHT);
MGPU_QOS_ATTR(cap, QOS_CAP);
MGPU_QOS_ATTR(reservation, QOS_RESERVATION);
MGPU_QOS_ATTR(timeslice_ms, QOS_SLICE);

static ssize_t latency_class_show(struct device *dev, struct device_attribute *attr,
				  char *buf)
{
	struct mgpu_sched_qos q;

	mgpu_ctx_get_qos(&dev_to_vgpu(dev)->ctx, &q);
	return sysfs_emit(buf, "%s\n", q.interactive ? "interactive" : "normal");
}

static ssize_t latency_class_store(struct device *dev, struct device_attribute *attr,
				   const char *buf, size_t count)
{
	struct mgpu_sched_qos q;

	mgpu_ctx_get_qos(&dev_to_vgpu(dev)->ctx, &q);
	if (sysfs_streq(buf, "interactive")) {
		q.interactive = true;
	} else if (sysfs_streq(buf, "normal")) {
		q.interactive = false;
	} else {
		dev_info(dev, "latency_class: use normal or interactive\n");
		return -EINVAL;
	}
	return qos_apply(dev, "latency_class", &q, count);
}
static DEVICE_ATTR_RW(latency_class);

/* ======== The framebuffer, for host-side snapshots (mgpuctl snapshot) ======== */

static ssize_t framebuffer_read(struct file *file, struct kobject *kobj,
				struct bin_attribute *attr, char *buf, loff_t pos,
				size_t count)
{
	struct mgpu_vgpu *vgpu = dev_to_vgpu(kobj_to_dev(kobj));
	const struct mgpu_backend_ops *ops = vgpu->parent->ops;
	size_t done = 0;

	if (pos < 0 || pos >= vgpu->vram_size)
		return 0;
	count = min_t(u64, count, vgpu->vram_size - pos);
	while (done < count) {
		u64 off = pos + done;
		size_t len = min_t(u64, count - done,
				   MGPU_CHUNK_SIZE - (off & (MGPU_CHUNK_SIZE - 1)));

		ops->vram_read(vgpu->parent, mgpu_vram_translate(vgpu->chunks, off),
			       buf + done, len);
		done += len;
	}
	return done;
}

/* Size 0: sysfs leaves the bounds to framebuffer_read() (the vGPU's VRAM size). */
static BIN_ATTR(framebuffer, 0400, framebuffer_read, NULL, 0);

static struct bin_attribute *mgpu_vgpu_bin_attrs[] = {
	&bin_attr_framebuffer,
	NULL
};

static struct attribute *mgpu_vgpu_attrs[] = {
	&dev_attr_vram_mb.attr,
	&dev_attr_mode.attr,
	&dev_attr_resolution.attr,
	&dev_attr_trapped_reads.attr,
	&dev_attr_trapped_writes.attr,
	&dev_attr_vram_faults.attr,
	&dev_attr_interrupts.attr,
	&dev_attr_frames.attr,
	&dev_attr_in_use.attr,
	&dev_attr_weight.attr,
	&dev_attr_cap.attr,
	&dev_attr_reservation.attr,
	&dev_attr_timeslice_ms.attr,
	&dev_attr_latency_class.attr,
	NULL
};

static const struct attribute_group mgpu_vgpu_group = {
	.name = "mgpu",
	.attrs = mgpu_vgpu_attrs,
	.bin_attrs = mgpu_vgpu_bin_attrs,
};

/* Registered with the mdev driver: present exactly while a vGPU is bound. */
const struct attribute_group *mgpu_vgpu_groups[] = {
	&mgpu_vgpu_group,
	&mgpu_vgpu_engine_group,
	NULL
};
