// SPDX-License-Identifier: GPL-2.0-only
/*
 * mgpu: the native context — a GPU's command engine for host programs, without VFIO.
 * Each open file of /dev/mgpu/<device> becomes one context after MGPU_NATIVE_INIT:
 * its VRAM is a partition of the GPU like a vGPU's (mmap at offset 0), its registers
 * are BAR3's (pread/pwrite of 4 bytes), and the scheduler treats it like a vGPU. It is
 * the native baseline the benchmarks compare vGPUs with.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/mgpu.h>

#include "mgpu.h"

#define NATIVE_MAX_MB	4096

/**
 * struct mgpu_native - one open native context
 * @parent: its GPU
 * @lock: guards @ready, @nr_chunks and @chunks while they are set up
 * @ready: MGPU_NATIVE_INIT succeeded; the fields below are fixed from then on
 * @nr_chunks: chunks in its partition
 * @chunks: its translation table
 * @ctx: its engine context
 */
struct mgpu_native {
	struct mgpu_parent *parent;
	/* guards ready, nr_chunks, chunks during MGPU_NATIVE_INIT */
	struct mutex lock;
	bool ready;
	u32 nr_chunks;
	u32 *chunks;
	struct mgpu_ctx ctx;
};

static int native_open(struct inode *inode, struct file *file)
{
	struct mgpu_parent *parent = container_of(file->private_data, struct mgpu_parent,
						  native);
	struct mgpu_native *n = kzalloc(sizeof(*n), GFP_KERNEL);

	if (!n)
		return -ENOMEM;
	n->parent = parent;
	mutex_init(&n->lock);
	file->private_data = n;
	mutex_lock(&parent->runner.lock);
	parent->runner.nr_native++;
	mutex_unlock(&parent->runner.lock);
	return 0;
}

static int native_release(struct inode *inode, struct file *file)
{
	struct mgpu_native *n = file->private_data;
	struct mgpu_runner *r = &n->parent->runner;

	if (n->ready) {
		mgpu_ctx_fini(&n->ctx);
		mgpu_parent_free_chunks(n->parent, n->nr_chunks, n->chunks);
		kfree(n->chunks);
	}
	mutex_lock(&r->lock);
	r->nr_native--;
	mutex_unlock(&r->lock);
	wake_up_all(&r->idle_wq);
	mutex_destroy(&n->lock);
	kfree(n);
	return 0;
}

static int native_setup_locked(struct mgpu_native *n, const struct mgpu_native_init *init)
{
	struct mgpu_parent *parent = n->parent;
	char name[32];
	int ret;

	n->nr_chunks = init->vram_mb;
	n->chunks = kcalloc(n->nr_chunks, sizeof(*n->chunks), GFP_KERNEL);
	if (!n->chunks)
		return -ENOMEM;
	ret = mgpu_parent_alloc_vram(parent, n->nr_chunks, n->chunks);
	if (ret) {
		dev_warn(parent->dev, "native context: no room for %u MiB: %llu MiB of VRAM free\n",
			 init->vram_mb, mgpu_parent_free_vram(parent) >> 20);
		goto err_free;
	}
	snprintf(name, sizeof(name), "native-%d", task_tgid_nr(current));
	ret = mgpu_ctx_init(&n->ctx, parent, n->chunks, n->nr_chunks, name,
			    init->weight ? init->weight : max(init->vram_mb / 8, 1U));
	if (ret)
		goto err_free_vram;
	n->ready = true;
	return 0;

err_free_vram:
	mgpu_parent_free_chunks(parent, n->nr_chunks, n->chunks);
err_free:
	kfree(n->chunks);
	n->chunks = NULL;
	return ret;
}

static long native_init(struct mgpu_native *n, void __user *arg)
{
	struct mgpu_native_init init;
	int ret;

	if (copy_from_user(&init, arg, sizeof(init)))
		return -EFAULT;
	if (!init.vram_mb || init.vram_mb > NATIVE_MAX_MB ||
	    init.weight > MGPU_SCHED_WEIGHT_MAX)
		return -EINVAL;
	mutex_lock(&n->lock);
	ret = n->ready ? -EBUSY : native_setup_locked(n, &init);
	mutex_unlock(&n->lock);
	return ret;
}

static long native_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct mgpu_native *n = file->private_data;

	switch (cmd) {
	case MGPU_NATIVE_INIT:
		return native_init(n, (void __user *)arg);
	default:
		return -ENOTTY;
	}
}

/* Registers: exactly one aligned 32-bit access per call. */
static struct mgpu_native *native_reg_check(struct file *file, size_t count, loff_t pos)
{
	struct mgpu_native *n = file->private_data;

	if (!READ_ONCE(n->ready))
		return ERR_PTR(-ENODEV);
	if (count != 4 || pos < 0 || pos >= MGPU_ENG_SIZE || (pos & 3))
		return ERR_PTR(-EINVAL);
	return n;
}

static ssize_t native_read(struct file *file, char __user *buf, size_t count, loff_t *ppos)
{
	struct mgpu_native *n = native_reg_check(file, count, *ppos);
	u32 val;

	if (IS_ERR(n))
		return PTR_ERR(n);
	val = mgpu_ctx_reg_read(&n->ctx, *ppos);
	if (copy_to_user(buf, &val, 4))
		return -EFAULT;
	return 4;
}

static ssize_t native_write(struct file *file, const char __user *buf, size_t count,
			    loff_t *ppos)
{
	struct mgpu_native *n = native_reg_check(file, count, *ppos);
	u32 val;

	if (IS_ERR(n))
		return PTR_ERR(n);
	if (copy_from_user(&val, buf, 4))
		return -EFAULT;
	mgpu_ctx_reg_write(&n->ctx, *ppos, val);
	return 4;
}

static vm_fault_t native_fault(struct vm_fault *vmf)
{
	struct mgpu_native *n = vmf->vma->vm_private_data;

	return mgpu_parent_vram_insert(n->parent, n->chunks,
				       (u64)n->nr_chunks << MGPU_CHUNK_SHIFT,
				       (u64)vmf->pgoff << PAGE_SHIFT, vmf);
}

static const struct vm_operations_struct native_vm_ops = {
	.fault = native_fault,
};

static int native_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct mgpu_native *n = file->private_data;
	u64 size, off = (u64)vma->vm_pgoff << PAGE_SHIFT;
	u64 len = vma->vm_end - vma->vm_start;

	if (!READ_ONCE(n->ready))
		return -ENODEV;
	size = (u64)n->nr_chunks << MGPU_CHUNK_SHIFT;
	if (!(vma->vm_flags & VM_SHARED) || off >= size || len > size - off)
		return -EINVAL;
	mgpu_parent_vram_vma(n->parent, vma, &native_vm_ops, n);
	return 0;
}

static const struct file_operations native_fops = {
	.owner = THIS_MODULE,
	.open = native_open,
	.release = native_release,
	.read = native_read,
	.write = native_write,
	.unlocked_ioctl = native_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.mmap = native_mmap,
	.llseek = default_llseek,
};

/**
 * mgpu_native_register - create a GPU's native context device, /dev/mgpu/<device>
 * @parent: the GPU, its engine started
 *
 * Return: 0 or -errno.
 */
int mgpu_native_register(struct mgpu_parent *parent)
{
	int ret;

	snprintf(parent->native_name, sizeof(parent->native_name), "mgpu!%s",
		 dev_name(parent->dev));
	parent->native.minor = MISC_DYNAMIC_MINOR;
	parent->native.name = parent->native_name;
	parent->native.fops = &native_fops;
	parent->native.mode = 0600;
	ret = misc_register(&parent->native);
	if (ret)
		dev_err(parent->dev, "cannot create /dev/mgpu/%s: %d\n", dev_name(parent->dev),
			ret);
	return ret;
}

/**
 * mgpu_native_unregister - remove a GPU's native context device
 * @parent: the GPU
 *
 * Context: waits until every native context of the GPU is closed (a program still
 * holding one keeps the GPU's VRAM, so the GPU cannot go before it).
 */
void mgpu_native_unregister(struct mgpu_parent *parent)
{
	struct mgpu_runner *r = &parent->runner;

	misc_deregister(&parent->native);
	if (READ_ONCE(r->nr_native))
		dev_warn(parent->dev, "removal waits for %u native engine contexts to close\n",
			 READ_ONCE(r->nr_native));
	wait_event(r->idle_wq, !READ_ONCE(r->nr_native));
}
