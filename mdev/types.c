// SPDX-License-Identifier: GPL-2.0-only
/*
 * mgpu: vGPU types. Each GPU offers a family of types that slice its VRAM into
 * halves, quarters, ... down to MGPU_MIN_TYPE_VRAM. A type's name depends only on its
 * VRAM size, so the same type means the same vGPU on every host.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/sysfs.h>

#include "mgpu.h"

static struct mgpu_type *to_mgpu_type(struct mdev_type *mtype)
{
	return container_of(mtype, struct mgpu_type, mtype);
}

/**
 * mgpu_types_init - fill a parent's type family from its VRAM size
 * @parent: the GPU, with vram_size set
 *
 * Context: process context, before the parent is registered.
 */
void mgpu_types_init(struct mgpu_parent *parent)
{
	u64 size = rounddown_pow_of_two(parent->vram_size);
	unsigned int n = 0;

	for (; size >= MGPU_MIN_TYPE_VRAM && n < MGPU_MAX_TYPES; size >>= 1, n++) {
		struct mgpu_type *t = &parent->types[n];

		t->parent = parent;
		t->vram_size = size;
		snprintf(t->sysfs_name, sizeof(t->sysfs_name), "%lluM", size >> 20);
		snprintf(t->name, sizeof(t->name), "mgpu %lluM", size >> 20);
		t->mtype.sysfs_name = t->sysfs_name;
		t->mtype.pretty_name = t->name;
		parent->type_ptrs[n] = &t->mtype;
	}
	parent->nr_types = n;
}

/**
 * mgpu_type_available - instances of a type that can still be created
 * @mtype: the type
 *
 * Exact at every moment: the next create succeeds if and only if this is non-zero.
 *
 * Return: the number of instances.
 */
unsigned int mgpu_type_available(struct mdev_type *mtype)
{
	struct mgpu_type *t = to_mgpu_type(mtype);

	return div64_u64(mgpu_parent_free_vram(t->parent), t->vram_size);
}

/* Common monitor modes, largest first; a type offers the largest whose 32-bit frame fits. */
static const u16 mgpu_modes[][2] = {
	{ 3840, 2160 }, { 2560, 1600 }, { 2560, 1440 }, { 1920, 1200 }, { 1920, 1080 },
	{ 1680, 1050 }, { 1600, 1200 }, { 1280, 1024 }, { 1280, 800 }, { 1024, 768 },
	{ 800, 600 }, { 640, 480 },
};

static void type_max_resolution(const struct mgpu_type *t, u32 *w, u32 *h)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(mgpu_modes); i++) {
		*w = mgpu_modes[i][0];
		*h = mgpu_modes[i][1];
		if ((u64)*w * *h * 4 <= t->vram_size)
			return;
	}
}

/**
 * mgpu_type_description - the machine-readable description of a type
 * @mtype: the type
 * @buf: the sysfs page
 *
 * Return: bytes written.
 */
ssize_t mgpu_type_description(struct mdev_type *mtype, char *buf)
{
	struct mgpu_type *t = to_mgpu_type(mtype);
	u32 w, h;

	int n;

	type_max_resolution(t, &w, &h);
	n = sysfs_emit(buf, "vram=%lluM, heads=1, max_resolution=%ux%u, ",
		       t->vram_size >> 20, w, h);
	return n + sysfs_emit_at(buf, n, "backend=%s, max_instance=%llu\n",
				 t->parent->ops->name,
				 div64_u64(t->parent->vram_size, t->vram_size));
}
