// SPDX-License-Identifier: GPL-2.0-only
/*
 * mgpu: host scanout — the GPU's own display shows one vGPU's framebuffer, chosen by
 * the administrator through the parent's mgpu_scanout attribute, or the host's console.
 *
 * The display reads the GPU's VRAM directly, so it can only show a framebuffer whose
 * visible lines lie in one physically contiguous run of the GPU's VRAM; a vGPU's
 * partition is a list of chunks, contiguous only when the allocator found a run. A
 * framebuffer that straddles two non-adjacent chunks is not shown (the display keeps
 * the host's console state) and the reason is logged.
 *
 * Lifetime: the chosen vGPU is found through its mdev device under that device's lock,
 * so it cannot be released while it is being chosen; it is forgotten (under
 * scanout_lock) before its VRAM is freed, so mgpu_parent.scanout_vgpu is always live.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/device.h>
#include <linux/lockdep.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include <linux/uuid.h>

#include "mgpu.h"

/* Does [@off, @off + @len) of the partition lie in one run of the GPU's VRAM? */
static bool range_contiguous(const u32 *chunks, u64 off, u64 len)
{
	u64 first = mgpu_vram_translate(chunks, off);
	u64 pos = round_up(off + 1, MGPU_CHUNK_SIZE);

	for (; pos < off + len; pos += MGPU_CHUNK_SIZE)
		if (mgpu_vram_translate(chunks, pos) != first + (pos - off))
			return false;
	return true;
}

/* What the GPU's display should show for @vgpu in @mode; sets @why when nothing. */
static void scanout_from_mode(const struct mgpu_vgpu *vgpu, const struct mgpu_mode *mode,
			      struct mgpu_scanout *s, const char **why)
{
	u64 frame = (u64)mode->stride * mode->height;

	memset(s, 0, sizeof(*s));
	*why = NULL;
	if (!mode->enabled)
		return;
	if (!frame || mode->offset > vgpu->vram_size || frame > vgpu->vram_size - mode->offset) {
		*why = "its framebuffer lies outside its VRAM";
		return;
	}
	if (!range_contiguous(vgpu->chunks, mode->offset, frame)) {
		*why = "its framebuffer is not contiguous in the GPU's VRAM";
		return;
	}
	s->enabled = true;
	s->width = mode->width;
	s->height = mode->height;
	s->bpp = mode->bpp;
	s->stride = mode->stride;
	s->offset = mgpu_vram_translate(vgpu->chunks, mode->offset);
	s->big_endian = mode->big_endian;
}

/* Tell the backend, unless it already shows exactly @s. */
static void scanout_apply_locked(struct mgpu_parent *parent, const struct mgpu_scanout *s)
{
	int ret;

	lockdep_assert_held(&parent->scanout_lock);
	if (!memcmp(&parent->scanout_cur, s, sizeof(*s)))
		return;
	parent->scanout_cur = *s;
	ret = parent->ops->scanout(parent, s);
	if (ret && s->enabled) {
		dev_warn_ratelimited(parent->dev,
				     "display cannot show %ux%u, %u bpp, stride %u at VRAM offset %#llx (%d); showing the host console\n",
				     s->width, s->height, s->bpp, s->stride, s->offset, ret);
		memset(&parent->scanout_cur, 0, sizeof(parent->scanout_cur));
	}
}

/* Show @vgpu's framebuffer in @mode, if the display can. */
static void scanout_show_locked(struct mgpu_parent *parent, struct mgpu_vgpu *vgpu,
				const struct mgpu_mode *mode)
{
	struct mgpu_scanout s;
	const char *why;

	lockdep_assert_held(&parent->scanout_lock);
	scanout_from_mode(vgpu, mode, &s, &why);
	if (why && why != parent->scanout_why)
		dev_warn_ratelimited(parent->dev, "not showing vGPU %pUl: %s\n",
				     &parent->scanout_uuid, why);
	parent->scanout_why = why;
	scanout_apply_locked(parent, &s);
}

static void scanout_host_locked(struct mgpu_parent *parent)
{
	static const struct mgpu_scanout host;

	lockdep_assert_held(&parent->scanout_lock);
	WRITE_ONCE(parent->scanout_vgpu, NULL);
	parent->scanout_why = NULL;
	scanout_apply_locked(parent, &host);
}

/**
 * mgpu_scanout_notify - a vGPU's mode may have changed
 * @vgpu: the vGPU
 *
 * Called by the register emulation after every register write, and after a reset. If
 * @vgpu is the one its GPU's display shows, the display follows its mode.
 *
 * This sits on the trapped-access path, so it returns before taking any lock unless
 * @vgpu is on the display. The unlocked test is exact for that purpose: the scanout
 * becomes @vgpu only with @vgpu->lock held (mgpu_scanout store), which the caller
 * holds; it may stop being @vgpu meanwhile, which the locked recheck sees.
 *
 * Context: process context, with @vgpu->lock held.
 */
void mgpu_scanout_notify(struct mgpu_vgpu *vgpu)
{
	struct mgpu_parent *parent = vgpu->parent;
	struct mgpu_mode mode;

	lockdep_assert_held(&vgpu->lock);
	if (!parent->ops->scanout || READ_ONCE(parent->scanout_vgpu) != vgpu)
		return;
	mgpu_mmio_mode(&vgpu->mmio, &mode);
	mutex_lock(&parent->scanout_lock);
	if (parent->scanout_vgpu == vgpu)
		scanout_show_locked(parent, vgpu, &mode);
	mutex_unlock(&parent->scanout_lock);
}

/**
 * mgpu_scanout_vram_freed - a vGPU's partition is about to be freed
 * @parent: the GPU
 * @chunks: the partition's translation table
 *
 * If the partition is the chosen vGPU's, the display goes back to the host console
 * before the VRAM is scrubbed and handed to anyone else.
 *
 * Context: process context.
 */
void mgpu_scanout_vram_freed(struct mgpu_parent *parent, const u32 *chunks)
{
	if (!parent->ops->scanout)
		return;
	mutex_lock(&parent->scanout_lock);
	if (parent->scanout_vgpu && parent->scanout_vgpu->chunks == chunks) {
		dev_info(parent->dev, "vGPU %pUl is going away: display back to the host\n",
			 &parent->scanout_uuid);
		scanout_host_locked(parent);
	}
	mutex_unlock(&parent->scanout_lock);
}

static int match_vgpu(struct device *dev, void *data)
{
	/* Only mdevs ever bind to mgpu_mdev_driver, so this is an mdev_device. */
	if (READ_ONCE(dev->driver) != &mgpu_mdev_driver.driver)
		return 0;
	return guid_equal(&to_mdev_device(dev)->uuid, data);
}

/* Show the vGPU @uuid on @parent's display; -EINVAL if @parent has no such vGPU. */
static int scanout_choose(struct mgpu_parent *parent, const guid_t *uuid)
{
	struct mgpu_vgpu *vgpu = NULL;
	struct mgpu_mode mode;
	struct device *dev;
	int ret;

	dev = device_find_child(parent->dev, (void *)uuid, match_vgpu);
	if (!dev)
		goto err_no_vgpu;
	ret = device_lock_interruptible(dev);
	if (ret)
		goto err_put_dev;
	/* Under the device lock the vGPU cannot be removed; recheck it is still bound. */
	if (dev->driver == &mgpu_mdev_driver.driver)
		vgpu = dev_get_drvdata(dev);
	if (!vgpu || vgpu->parent != parent) {
		device_unlock(dev);
		put_device(dev);
		goto err_no_vgpu;
	}
	mutex_lock(&vgpu->lock);
	mgpu_mmio_mode(&vgpu->mmio, &mode);
	mutex_lock(&parent->scanout_lock);
	WRITE_ONCE(parent->scanout_vgpu, vgpu);	/* with vgpu->lock held: see notify */
	guid_copy(&parent->scanout_uuid, uuid);
	parent->scanout_why = NULL;
	scanout_show_locked(parent, vgpu, &mode);
	mutex_unlock(&parent->scanout_lock);
	mutex_unlock(&vgpu->lock);
	device_unlock(dev);
	put_device(dev);
	dev_info(parent->dev, "display shows vGPU %pUl\n", uuid);
	return 0;

err_put_dev:
	put_device(dev);
	return ret;
err_no_vgpu:
	dev_warn(parent->dev, "mgpu_scanout: no vGPU %pUl on this GPU\n", uuid);
	return -EINVAL;
}

static ssize_t mgpu_scanout_show(struct device *dev, struct device_attribute *attr,
				 char *buf)
{
	struct mgpu_parent *parent = dev_get_drvdata(dev);
	ssize_t n;

	mutex_lock(&parent->scanout_lock);
	if (parent->scanout_vgpu)
		n = sysfs_emit(buf, "%pUl\n", &parent->scanout_uuid);
	else
		n = sysfs_emit(buf, "host\n");
	mutex_unlock(&parent->scanout_lock);
	return n;
}

static ssize_t mgpu_scanout_store(struct device *dev, struct device_attribute *attr,
				  const char *buf, size_t count)
{
	struct mgpu_parent *parent = dev_get_drvdata(dev);
	char str[UUID_STRING_LEN + 1];
	size_t len = count;
	guid_t uuid;
	int ret;

	if (sysfs_streq(buf, "host")) {
		mutex_lock(&parent->scanout_lock);
		scanout_host_locked(parent);
		mutex_unlock(&parent->scanout_lock);
		dev_info(dev, "display shows the host console\n");
		return count;
	}
	if (len && buf[len - 1] == '\n')
		len--;
	if (len != UUID_STRING_LEN)
		goto err_inval;
	memcpy(str, buf, len);
	str[len] = 0;
	if (guid_parse(str, &uuid))
		goto err_inval;
	ret = scanout_choose(parent, &uuid);
	return ret ? ret : count;

err_inval:
	dev_warn(dev, "mgpu_scanout: \"%*pE\" is neither \"host\" nor a vGPU UUID\n",
		 (int)min_t(size_t, count, 64), buf);
	return -EINVAL;
}

static DEVICE_ATTR_RW(mgpu_scanout);

/**
 * mgpu_scanout_register - offer host scanout on a GPU whose backend can do it
 * @parent: the GPU, not yet registered with the mdev core; dev_get_drvdata() of
 *	@parent->dev must return @parent
 *
 * Adds the mgpu_scanout attribute to the GPU's device; nothing when the backend has no
 * display.
 *
 * Return: 0 or -errno.
 */
int mgpu_scanout_register(struct mgpu_parent *parent)
{
	int ret;

	mutex_init(&parent->scanout_lock);
	if (!parent->ops->scanout)
		return 0;
	ret = device_create_file(parent->dev, &dev_attr_mgpu_scanout);
	if (ret)
		dev_err(parent->dev, "cannot create the mgpu_scanout attribute: %d\n", ret);
	return ret;
}

/**
 * mgpu_scanout_unregister - remove the mgpu_scanout attribute
 * @parent: the GPU
 *
 * Waits for writers of the attribute; later the vGPUs' removal gives the display back
 * to the host (mgpu_scanout_vram_freed()).
 */
void mgpu_scanout_unregister(struct mgpu_parent *parent)
{
	if (parent->ops->scanout)
		device_remove_file(parent->dev, &dev_attr_mgpu_scanout);
}
