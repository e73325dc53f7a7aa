// SPDX-License-Identifier: GPL-2.0-only
/*
 * mgpu: a GPU as an mdev parent, and the accounting of its VRAM among vGPUs.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/device.h>
#include <linux/mm.h>
#include <linux/slab.h>

#include "compat.h"
#include "mgpu.h"

/**
 * mgpu_parent_register - offer a GPU's types to the mdev core
 * @parent: the GPU, with dev, ops, vram_size and vram_map set, and
 *	dev_get_drvdata(dev) == @parent
 *
 * The types are complete before the parent registers, so management tools that react
 * to the registration uevent see every type at once.
 *
 * Return: 0 or -errno.
 */
int mgpu_parent_register(struct mgpu_parent *parent)
{
	int ret;

	mutex_init(&parent->lock);
	mgpu_vram_pool_init(&parent->pool, parent->vram_size, parent->vram_clean);
	parent->vram_size = (u64)parent->pool.nr_chunks << MGPU_CHUNK_SHIFT;
	mgpu_types_init(parent);
	if (!parent->nr_types) {
		dev_err(parent->dev, "VRAM of %llu bytes is below the smallest type (%llu)\n",
			parent->vram_size, MGPU_MIN_TYPE_VRAM);
		return -EINVAL;
	}
	ret = mgpu_runner_start(parent);
	if (ret)
		return ret;
	ret = mgpu_engine_sysfs_register(parent);
	if (ret)
		goto err_stop_runner;
	ret = mgpu_native_register(parent);
	if (ret)
		goto err_engine_sysfs;
	ret = mgpu_scanout_register(parent);
	if (ret)
		goto err_native;
	ret = mdev_register_parent(&parent->mdev, parent->dev, &mgpu_mdev_driver,
				   parent->type_ptrs, parent->nr_types);
	if (ret) {
		dev_err(parent->dev, "cannot register as mdev parent: %d\n", ret);
		goto err_scanout;
	}
	dev_info(parent->dev, "%s GPU, %llu MiB VRAM, %u types\n", parent->ops->name,
		 parent->vram_size >> 20, parent->nr_types);
	return 0;

err_scanout:
	mgpu_scanout_unregister(parent);
err_native:
	mgpu_native_unregister(parent);
err_engine_sysfs:
	mgpu_engine_sysfs_unregister(parent);
err_stop_runner:
	mgpu_runner_stop(parent);
	return ret;
}

/**
 * mgpu_parent_unregister - remove a GPU and every vGPU on it
 * @parent: the GPU
 *
 * Context: process context; waits until every vGPU has been released and every
 * native context closed.
 */
void mgpu_parent_unregister(struct mgpu_parent *parent)
{
	mgpu_native_unregister(parent);
	mgpu_scanout_unregister(parent);
	mdev_unregister_parent(&parent->mdev);
	mgpu_engine_sysfs_unregister(parent);
	mgpu_runner_stop(parent);
	WARN_ON(parent->pool.nr_free != parent->pool.nr_chunks || parent->nr_vgpus);
}

/**
 * mgpu_parent_free_vram - VRAM not given to any vGPU
 * @parent: the GPU
 *
 * Return: free bytes.
 */
u64 mgpu_parent_free_vram(struct mgpu_parent *parent)
{
	u64 free;

	mutex_lock(&parent->lock);
	free = (u64)parent->pool.nr_free << MGPU_CHUNK_SHIFT;
	mutex_unlock(&parent->lock);
	return free;
}

/* Zero the chunks whose @dirty entry is set (all of them when @dirty is NULL). */
static void clear_chunks(struct mgpu_parent *parent, u32 nr, const u32 *chunks,
			 const u8 *dirty)
{
	u32 i;

	for (i = 0; i < nr; i++) {
		if (dirty && !dirty[i])
			continue;
		parent->ops->vram_clear(parent, (u64)chunks[i] << MGPU_CHUNK_SHIFT,
					MGPU_CHUNK_SIZE);
		cond_resched();
	}
}

/**
 * mgpu_parent_alloc_vram - give a new vGPU a scrubbed VRAM partition
 * @parent: the GPU
 * @nr: chunks wanted
 * @chunks: filled with the partition's translation table
 *
 * Every chunk is zero when this returns: scrubbed when its last tenant left, or now
 * if it was never scrubbed. No tenant reads another's data.
 *
 * Context: process context; may sleep.
 * Return: 0, -ENOMEM, or -ENOSPC when the GPU has fewer than @nr free chunks.
 */
int mgpu_parent_alloc_vram(struct mgpu_parent *parent, u32 nr, u32 *chunks)
{
	u8 *dirty = kcalloc(nr, 1, GFP_KERNEL);
	int ret;

	if (!dirty)
		return -ENOMEM;
	mutex_lock(&parent->lock);
	ret = mgpu_vram_alloc(&parent->pool, nr, chunks, dirty);
	if (!ret)
		parent->nr_vgpus++;
	mutex_unlock(&parent->lock);
	if (!ret)
		clear_chunks(parent, nr, chunks, dirty);
	kfree(dirty);
	return ret;
}

/**
 * mgpu_parent_scrub_chunks - zero a vGPU's whole partition in place
 * @parent: the GPU
 * @nr: chunks in the partition
 * @chunks: its translation table
 *
 * For a partition that changes tenant without being freed (an mdev reopened by the
 * next VM); reschedules between chunks.
 *
 * Context: process context; may sleep.
 */
void mgpu_parent_scrub_chunks(struct mgpu_parent *parent, u32 nr, const u32 *chunks)
{
	clear_chunks(parent, nr, chunks, NULL);
}

/**
 * mgpu_parent_free_chunks - scrub a vGPU's partition and return it to the GPU
 * @parent: the GPU
 * @nr: chunks in the partition
 * @chunks: its translation table
 *
 * If the GPU's display shows this vGPU, it goes back to the host console first.
 *
 * Context: process context; may sleep.
 */
void mgpu_parent_free_chunks(struct mgpu_parent *parent, u32 nr, const u32 *chunks)
{
	mgpu_scanout_vram_freed(parent, chunks);
	clear_chunks(parent, nr, chunks, NULL);
	mutex_lock(&parent->lock);
	mgpu_vram_free(&parent->pool, nr, chunks);
	parent->nr_vgpus--;
	mutex_unlock(&parent->lock);
}

/**
 * mgpu_parent_vram_vma - make @vma a passthrough mapping of a partition's VRAM
 * @parent: the GPU
 * @vma: a shared mapping the caller has checked lies within the partition
 * @ops: its fault handler, which calls mgpu_parent_vram_insert()
 * @priv: the mapping's owner, for @ops
 *
 * Pages are inserted on fault, one at a time, through the partition's translation
 * table: only the partition's own chunks can ever be mapped.
 */
void mgpu_parent_vram_vma(struct mgpu_parent *parent, struct vm_area_struct *vma,
			  const struct vm_operations_struct *ops, void *priv)
{
	mgpu_compat_vm_flags_set(vma, VM_IO | VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP);
	if (parent->ops->vram_wc)
		vma->vm_page_prot = pgprot_writecombine(vma->vm_page_prot);
	vma->vm_private_data = priv;
	vma->vm_ops = ops;
}

/**
 * mgpu_parent_vram_insert - map the VRAM page at partition offset @off for a fault
 * @parent: the GPU
 * @chunks: the partition's translation table
 * @size: the partition's size in bytes
 * @off: the faulting page's offset in the partition
 * @vmf: the fault
 *
 * Return: vmf_insert_pfn()'s result, or VM_FAULT_SIGBUS outside the partition.
 */
vm_fault_t mgpu_parent_vram_insert(struct mgpu_parent *parent, const u32 *chunks, u64 size,
				   u64 off, struct vm_fault *vmf)
{
	if (off >= size)
		return VM_FAULT_SIGBUS;
	return vmf_insert_pfn(vmf->vma, vmf->address,
			      parent->ops->vram_pfn(parent, mgpu_vram_translate(chunks, off)));
}
