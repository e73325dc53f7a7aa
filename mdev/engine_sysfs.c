// SPDX-License-Identifier: GPL-2.0-only
/*
 * mgpu: a GPU's command engine in sysfs, <parent device>/mgpu_engine/: the scheduling
 * policy (writable at run time), utilization, busy time and the number of contexts.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/device.h>
#include <linux/sysfs.h>

#include "mgpu.h"

static struct mgpu_parent *dev_to_parent(struct device *dev)
{
	return dev_get_drvdata(dev);
}

static ssize_t policy_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct mgpu_runner *r = &dev_to_parent(dev)->runner;
	enum mgpu_sched_policy p;

	mutex_lock(&r->lock);
	p = r->sched.policy;
	mutex_unlock(&r->lock);
	return sysfs_emit(buf, "%s\n", mgpu_sched_policy_name(p));
}

static ssize_t policy_store(struct device *dev, struct device_attribute *attr,
			    const char *buf, size_t count)
{
	struct mgpu_parent *parent = dev_to_parent(dev);
	int p;

	for (p = 0; p < MGPU_SCHED_NR_POLICIES; p++)
		if (sysfs_streq(buf, mgpu_sched_policy_name(p)))
			break;
	if (p == MGPU_SCHED_NR_POLICIES) {
		dev_warn(dev, "mgpu_engine/policy: unknown policy; use best_effort, equal_share or fixed_share\n");
		return -EINVAL;
	}
	mgpu_runner_set_policy(parent, p);
	dev_info(dev, "engine scheduling policy: %s\n", mgpu_sched_policy_name(p));
	return count;
}
static DEVICE_ATTR_RW(policy);

static ssize_t utilization_show(struct device *dev, struct device_attribute *attr,
				char *buf)
{
	return sysfs_emit(buf, "%u\n", mgpu_runner_utilization(dev_to_parent(dev)));
}
static DEVICE_ATTR_RO(utilization);

static ssize_t busy_ns_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct mgpu_runner *r = &dev_to_parent(dev)->runner;
	u64 busy;

	mutex_lock(&r->lock);
	busy = r->sched.busy_ns;
	mutex_unlock(&r->lock);
	return sysfs_emit(buf, "%llu\n", busy);
}
static DEVICE_ATTR_RO(busy_ns);

static ssize_t contexts_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct mgpu_runner *r = &dev_to_parent(dev)->runner;
	unsigned int nr;

	mutex_lock(&r->lock);
	nr = r->sched.nr;
	mutex_unlock(&r->lock);
	return sysfs_emit(buf, "%u\n", nr);
}
static DEVICE_ATTR_RO(contexts);

static struct attribute *engine_attrs[] = {
	&dev_attr_policy.attr,
	&dev_attr_utilization.attr,
	&dev_attr_busy_ns.attr,
	&dev_attr_contexts.attr,
	NULL
};

static const struct attribute_group engine_group = {
	.name = "mgpu_engine",
	.attrs = engine_attrs,
};

/**
 * mgpu_engine_sysfs_register - add <parent device>/mgpu_engine/
 * @parent: the GPU; dev_get_drvdata(parent->dev) must be @parent
 *
 * Return: 0 or -errno.
 */
int mgpu_engine_sysfs_register(struct mgpu_parent *parent)
{
	return sysfs_create_group(&parent->dev->kobj, &engine_group);
}

/**
 * mgpu_engine_sysfs_unregister - remove <parent device>/mgpu_engine/
 * @parent: the GPU
 */
void mgpu_engine_sysfs_unregister(struct mgpu_parent *parent)
{
	sysfs_remove_group(&parent->dev->kobj, &engine_group);
}
