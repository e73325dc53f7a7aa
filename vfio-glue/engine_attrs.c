// SPDX-License-Identifier: GPL-2.0-only
/*
 * mgpu: a vGPU's command-engine telemetry in sysfs, /sys/bus/mdev/devices/<uuid>/engine/:
 * its state, busy time, commands, slices, preemptions, errors, watchdog stops, last
 * fence and a histogram of submit-to-start latencies.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/device.h>
#include <linux/sysfs.h>

#include "vgpu.h"

static struct mgpu_ctx *dev_to_ctx(struct device *dev)
{
	struct mgpu_vgpu *vgpu = dev_get_drvdata(dev);

	return &vgpu->ctx;
}

struct engine_counters {
	struct mgpu_eng_stats st;
	struct mgpu_sched_entity se;
	u64 lat[MGPU_LAT_BUCKETS + 1];
};

static void engine_counters(struct device *dev, struct engine_counters *c)
{
	mgpu_ctx_snapshot(dev_to_ctx(dev), &c->st, &c->se, c->lat);
}

static ssize_t state_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return mgpu_ctx_state(dev_to_ctx(dev), buf);
}
static DEVICE_ATTR_RO(state);

#define MGPU_ENGINE_ATTR(name, expr)						\
static ssize_t name##_show(struct device *dev, struct device_attribute *attr,	\
			   char *buf)						\
{										\
	struct engine_counters c;						\
										\
	engine_counters(dev, &c);						\
	return sysfs_emit(buf, "%llu\n", (unsigned long long)(expr));		\
}										\
static DEVICE_ATTR_RO(name)

MGPU_ENGINE_ATTR(busy_ns, c.se.busy_ns);
MGPU_ENGINE_ATTR(commands, c.st.commands);
MGPU_ENGINE_ATTR(slices, c.se.slices);
MGPU_ENGINE_ATTR(preemptions, c.se.preemptions);
MGPU_ENGINE_ATTR(errors, c.st.errors);
MGPU_ENGINE_ATTR(watchdog_resets, c.st.watchdogs);

static ssize_t fence_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n", mgpu_ctx_fence(dev_to_ctx(dev)));
}
static DEVICE_ATTR_RO(fence);

/* "<bound in us>:<count>" per bucket, the last one "inf:<count>". */
static ssize_t latency_us_show(struct device *dev, struct device_attribute *attr,
			       char *buf)
{
	struct engine_counters c;
	int b, len = 0;

	engine_counters(dev, &c);
	for (b = 0; b < MGPU_LAT_BUCKETS; b++)
		len += sysfs_emit_at(buf, len, "%llu:%llu ", 16ULL << b, c.lat[b]);
	len += sysfs_emit_at(buf, len, "inf:%llu\n", c.lat[MGPU_LAT_BUCKETS]);
	return len;
}
static DEVICE_ATTR_RO(latency_us);

static struct attribute *engine_attrs[] = {
	&dev_attr_state.attr,
	&dev_attr_busy_ns.attr,
	&dev_attr_commands.attr,
	&dev_attr_slices.attr,
	&dev_attr_preemptions.attr,
	&dev_attr_errors.attr,
	&dev_attr_watchdog_resets.attr,
	&dev_attr_fence.attr,
	&dev_attr_latency_us.attr,
	NULL
};

const struct attribute_group mgpu_vgpu_engine_group = {
	.name = "engine",
	.attrs = engine_attrs,
};
