/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * mgpu: the objects shared between the mdev core, the backends and the VFIO glue.
 *
 * A physical GPU is an mgpu_parent (one mdev parent); a backend's ops table is the only
 * way the core touches the hardware. Each parent offers a family of types that slice its
 * VRAM; each vGPU is an mgpu_vgpu, one vfio_device on one mdev.
 *
 * Lock order: mgpu_parent.lock -> mgpu_vgpu.lock -> mgpu_parent.scanout_lock.
 * mgpu_parent.scanout_lock nests inside mgpu_vgpu.lock because the register emulation
 * reports mode changes (mgpu_scanout_notify()) with the vGPU's lock held; the parent's
 * mgpu_scanout attribute takes the chosen vGPU's device lock, then its mgpu_vgpu.lock.
 *
 * The command engine: mgpu_runner.lock -> mgpu_ctx.lock, and mgpu_runner.lock ->
 * mgpu_irq.lock (a spinlock): the engine thread, which every vGPU of a GPU shares,
 * delivers a context's interrupt under mgpu_irq.lock alone, never under mgpu_vgpu.lock,
 * whose hold time a VFIO user influences. mgpu_vgpu.lock -> mgpu_irq.lock too (register
 * writes sync the interrupt state). No path takes mgpu_runner.lock or mgpu_ctx.lock
 * with mgpu_vgpu.lock held, and no lock of a vGPU is held across a copy to or from user
 * memory. mgpu_vgpu.shadow_lock stands alone: it serialises the display's shadow.
 */
#ifndef MGPU_H
#define MGPU_H

#include <linux/mdev.h>
#include <linux/miscdevice.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/vfio.h>

#include <linux/wait.h>

#include "cfgspace.h"
#include "engine.h"
#include "mmio.h"
#include "sched.h"
#include "vram.h"

#define MGPU_DRIVER_NAME	"mgpu"
#define MGPU_MIN_TYPE_VRAM	(8ULL << 20)
#define MGPU_MAX_TYPES		8

struct mgpu_parent;
struct mgpu_vgpu;

/**
 * struct mgpu_scanout - what a GPU's own display shows
 * @enabled: show the framebuffer below; otherwise the host's own console state
 * @width: visible pixels per line
 * @height: visible lines
 * @bpp: bits per pixel (8, 15, 16, 24 or 32)
 * @stride: bytes per line
 * @offset: byte offset of the first visible pixel in the GPU's VRAM
 * @big_endian: framebuffer byte order
 *
 * When @enabled, @offset + @stride * @height lies within the GPU's VRAM.
 */
struct mgpu_scanout {
	bool enabled;
	u32 width;
	u32 height;
	u32 bpp;
	u32 stride;
	u64 offset;
	bool big_endian;
};

/**
 * struct mgpu_backend_ops - what a GPU backend provides to the mgpu core
 * @name: short backend name, shown in logs and sysfs
 * @vram_read: copy @len bytes at GPU VRAM offset @off into @buf
 * @vram_write: copy @len bytes from @buf to GPU VRAM offset @off
 * @vram_clear: zero @len bytes at GPU VRAM offset @off
 * @vram_pfn: the page frame of the VRAM page at offset @off, for passthrough mmap
 * @vram_wc: map VRAM write-combined (device memory) rather than cached (host memory)
 * @engine: how the GPU executes command-engine work (mgpu_eng_soft: in software)
 * @scanout: optional: show @s on the GPU's own display; @s NULL or not enabled gives
 *	the display back to the host's console state. Returns 0, or -errno when the
 *	display cannot show @s (it then shows the host's console state).
 *	Called with mgpu_parent.scanout_lock held.
 *
 * Offsets are in the GPU's VRAM; the core has translated and bounds-checked them, and
 * an access never crosses a chunk (MGPU_CHUNK_SIZE) boundary.
 */
struct mgpu_backend_ops {
	const char *name;
	void (*vram_read)(struct mgpu_parent *parent, u64 off, void *buf, size_t len);
	void (*vram_write)(struct mgpu_parent *parent, u64 off, const void *buf, size_t len);
	void (*vram_clear)(struct mgpu_parent *parent, u64 off, size_t len);
	unsigned long (*vram_pfn)(struct mgpu_parent *parent, u64 off);
	bool vram_wc;
	const struct mgpu_eng_exec *engine;
	int (*scanout)(struct mgpu_parent *parent, const struct mgpu_scanout *s);
};

/**
 * struct mgpu_type - one way of slicing a parent's VRAM
 * @mtype: the mdev core's type; its sysfs_name/pretty_name point into @sysfs_name/@name
 * @parent: the GPU this type slices
 * @vram_size: VRAM of each instance, in bytes
 * @sysfs_name: directory suffix, e.g. "16M" (directory "mgpu-16M")
 * @name: the stable, unique human name, e.g. "mgpu 16M"
 */
struct mgpu_type {
	struct mdev_type mtype;
	struct mgpu_parent *parent;
	u64 vram_size;
	char sysfs_name[16];
	char name[32];
};

#define MGPU_LAT_BUCKETS	16	/* submit-to-start: <= 16 us * 2^n, then more */

struct mgpu_ctx;

/**
 * struct mgpu_ctx - one engine context: a vGPU's or a native client's
 * @parent: the GPU whose engine runs it
 * @name: the vGPU's UUID or "native-<pid>", for logs and tracepoints
 * @node: in mgpu_runner.ctxs (under mgpu_runner.lock)
 * @se: its scheduler entity (under mgpu_runner.lock)
 * @lock: guards @eng
 * @eng: the engine state: registers and saved execution state
 * @mem: the memory @eng may touch
 * @kicked: a register write may have made work runnable
 * @poll: doorbell-less mode is on (the runner polls the tail in VRAM)
 * @submit_ns: when pending work was submitted and not yet started, or 0
 * @irq_level: the engine's interrupt line (written under @lock, read anywhere)
 * @irq_dirty: @irq_level changed and @irq_changed has not been called yet
 * @irq_changed: delivers a change of @irq_level; called with no engine lock held
 * @logged_err: the error already logged for the current error state
 * @lat_hist: submit-to-start latencies (under mgpu_runner.lock)
 */
struct mgpu_ctx {
	struct mgpu_parent *parent;
	char name[40];
	struct list_head node;
	struct mgpu_sched_entity se;
	/* guards eng */
	struct mutex lock;
	struct mgpu_eng eng;
	struct mgpu_eng_mem mem;
	atomic_t kicked;
	bool poll;
	atomic64_t submit_ns;
	bool irq_level;
	bool irq_dirty;
	void (*irq_changed)(struct mgpu_ctx *ctx);
	u32 logged_err;
	u64 lat_hist[MGPU_LAT_BUCKETS + 1];
};

/**
 * struct mgpu_runner - a GPU's engine: the thread that runs its contexts
 * @thread: the engine thread
 * @lock: guards @sched, @ctxs, @running, @nr_native and the utilization window
 * @sched: the scheduler
 * @ctxs: the contexts (vGPUs and native)
 * @running: the context the thread is running now, or NULL
 * @nr_native: native contexts open
 * @wq: the thread waits here for work
 * @idle_wq: removals wait here for the thread to leave a context
 * @kick: some context was kicked since the thread last looked
 * @util_start: start of the current utilization window
 * @util_busy: scheduler busy time at @util_start
 * @utilization: busy share of the last complete window, in percent
 */
struct mgpu_runner {
	struct task_struct *thread;
	/* guards sched, ctxs, running, nr_native, util_* */
	struct mutex lock;
	struct mgpu_sched sched;
	struct list_head ctxs;
	struct mgpu_ctx *running;
	unsigned int nr_native;
	wait_queue_head_t wq;
	wait_queue_head_t idle_wq;
	atomic_t kick;
	u64 util_start;
	u64 util_busy;
	u32 utilization;
};

/**
 * struct mgpu_parent - one physical (or software) GPU
 * @mdev: the mdev core's parent
 * @dev: the device the parent hangs off (PCI device or platform device)
 * @ops: the backend
 * @backend_data: the backend's private state
 * @vram_size: VRAM that vGPUs may be given, in bytes
 * @vram_clean: the backend hands over zeroed VRAM (else it is scrubbed before first use)
 * @vram_map: the GPU's VRAM in the kernel's address space, for the command engine
 * @lock: guards @pool and @nr_vgpus
 * @pool: which VRAM chunks live vGPUs own
 * @nr_vgpus: live vGPUs
 * @nr_types: entries in @types and @type_ptrs
 * @types: the types, largest first
 * @type_ptrs: @types as the mdev core wants them
 * @scanout_lock: guards @scanout_vgpu, @scanout_uuid, @scanout_cur and @scanout_why
 * @scanout_vgpu: the vGPU whose framebuffer the GPU's display shows, or NULL for the
 *	host's console; cleared before that vGPU's VRAM is freed, so it is always live
 * @scanout_uuid: the UUID of @scanout_vgpu
 * @scanout_cur: what the backend was last told to show
 * @scanout_why: why @scanout_vgpu's framebuffer is not shown (logged once), or NULL
 * @runner: the command engine
 * @native: the native context's character device (/dev/mgpu/<device name>)
 * @native_name: @native's name
 */
struct mgpu_parent {
	struct mdev_parent mdev;
	struct device *dev;
	const struct mgpu_backend_ops *ops;
	void *backend_data;
	u64 vram_size;
	bool vram_clean;
	u8 *vram_map;
	/* guards pool and nr_vgpus */
	struct mutex lock;
	struct mgpu_vram_pool pool;
	unsigned int nr_vgpus;
	unsigned int nr_types;
	struct mgpu_type types[MGPU_MAX_TYPES];
	struct mdev_type *type_ptrs[MGPU_MAX_TYPES];
	/* guards scanout_vgpu, scanout_uuid, scanout_cur, scanout_why; inside vgpu.lock */
	struct mutex scanout_lock;
	struct mgpu_vgpu *scanout_vgpu;
	guid_t scanout_uuid;
	struct mgpu_scanout scanout_cur;
	const char *scanout_why;
	struct mgpu_runner runner;
	struct miscdevice native;
	char native_name[48];
};

/**
 * struct mgpu_irq - a vGPU's interrupt state, under its own spinlock
 * @lock: protects every other field; taken under mgpu_vgpu.lock or alone. The GPU's
 *	engine thread delivers the engine's interrupt with this lock only, so it never
 *	waits on mgpu_vgpu.lock, which a VFIO user's accesses hold
 * @intx: the user's INTx eventfd, or NULL
 * @msi: the user's MSI eventfd, or NULL
 * @req: the user's device-request eventfd (signalled on removal), or NULL
 * @intx_masked: INTx delivered and not yet unmasked by the user
 * @pending: the device's interrupt line (any enabled cause pending)
 * @mmio_level: BAR2's interrupt causes pending, as last synced under mgpu_vgpu.lock
 * @intx_disabled: the command register's INTx disable, as last synced
 * @msi_enabled: the MSI capability's enable, as last synced
 * @delivered: interrupts signalled to the user
 */
struct mgpu_irq {
	spinlock_t lock;	/* the fields below; the engine thread takes only this */
	struct eventfd_ctx *intx;
	struct eventfd_ctx *msi;
	struct eventfd_ctx *req;
	bool intx_masked;
	bool pending;
	bool mmio_level;
	bool intx_disabled;
	bool msi_enabled;
	u64 delivered;
};

/**
 * struct mgpu_vgpu_traps - trapped accesses of a vGPU, one instance per CPU
 * @reads: read() calls
 * @writes: write() calls
 */
struct mgpu_vgpu_traps {
	u64 reads;
	u64 writes;
};

/**
 * struct mgpu_vgpu - one vGPU: a vfio_device on an mdev
 * @vdev: the VFIO core's device (must stay first for vfio_alloc_device)
 * @parent: the GPU it runs on
 * @type: its type
 * @lock: guards @cfg and the emulated registers
 * @cfg: emulated PCI config space
 * @mmio: emulated register window (BAR2)
 * @irq: interrupt state
 * @vram_size: bytes of VRAM in the partition
 * @nr_chunks: chunks in the partition
 * @chunks: the partition's translation table (partition chunk -> GPU chunk)
 * @traps: per-CPU counts of read() and write() calls on any region (the trapped
 *	path); per CPU so that counting adds no shared cache line or atomic to a trap
 * @vram_faults: pages of VRAM mapped for passthrough
 * @shadow_lock: serialises allocating and filling @shadow (never held across a copy
 *	to or from user memory)
 * @shadow: the display region's shadow framebuffer (vram_size bytes), or NULL; once
 *	allocated it lives until the vGPU is released
 * @plane_queries: display frames copied into @shadow
 * @width: the virtual monitor's preferred width (mgpu/resolution)
 * @height: the virtual monitor's preferred height
 * @edid_blob: the EDID the guest reads: mgpu's own for @width x @height, or what the
 *	user (QEMU) wrote into the EDID region
 * @edid_size: bytes of @edid_blob in use
 * @edid_link: VFIO_DEVICE_GFX_LINK_STATE_UP or _DOWN
 * @ctx: its engine context
 * @open: a user (QEMU) has the device open
 * @tenant_left: a user has closed the device since its partition was last scrubbed:
 *	the next open scrubs it first (VRAM, shadow frame, the user's EDID, registers)
 */
struct mgpu_vgpu {
	struct vfio_device vdev;
	struct mgpu_parent *parent;
	struct mgpu_type *type;
	/* guards cfg and the emulated registers */
	struct mutex lock;
	struct mgpu_cfg cfg;
	struct mgpu_mmio mmio;
	struct mgpu_irq irq;
	u64 vram_size;
	u32 nr_chunks;
	u32 *chunks;
	struct mgpu_vgpu_traps __percpu *traps;
	atomic64_t vram_faults;
	struct mutex shadow_lock;	/* allocating and filling @shadow */
	void *shadow;
	u64 plane_queries;
	u32 width, height;
	u8 edid_blob[MGPU_MMIO_EDID_SIZE];
	u32 edid_size;
	u32 edid_link;
	struct mgpu_ctx ctx;
	bool open;
	bool tenant_left;
};

extern struct mdev_driver mgpu_mdev_driver;

int mgpu_parent_register(struct mgpu_parent *parent);
void mgpu_parent_unregister(struct mgpu_parent *parent);
u64 mgpu_parent_free_vram(struct mgpu_parent *parent);
int mgpu_parent_alloc_vram(struct mgpu_parent *parent, u32 nr, u32 *chunks);
void mgpu_parent_free_chunks(struct mgpu_parent *parent, u32 nr, const u32 *chunks);
void mgpu_parent_scrub_chunks(struct mgpu_parent *parent, u32 nr, const u32 *chunks);
void mgpu_parent_vram_vma(struct mgpu_parent *parent, struct vm_area_struct *vma,
			  const struct vm_operations_struct *ops, void *priv);
vm_fault_t mgpu_parent_vram_insert(struct mgpu_parent *parent, const u32 *chunks, u64 size,
				   u64 off, struct vm_fault *vmf);

void mgpu_types_init(struct mgpu_parent *parent);
unsigned int mgpu_type_available(struct mdev_type *mtype);
ssize_t mgpu_type_description(struct mdev_type *mtype, char *buf);

int mgpu_soft_init(unsigned int count, unsigned int vram_mb);
void mgpu_soft_exit(void);

int mgpu_pci_init(void);
void mgpu_pci_exit(void);

int mgpu_scanout_register(struct mgpu_parent *parent);
void mgpu_scanout_unregister(struct mgpu_parent *parent);
void mgpu_scanout_notify(struct mgpu_vgpu *vgpu);
void mgpu_scanout_vram_freed(struct mgpu_parent *parent, const u32 *chunks);

int mgpu_runner_start(struct mgpu_parent *parent);
void mgpu_runner_stop(struct mgpu_parent *parent);
int mgpu_runner_set_policy(struct mgpu_parent *parent, enum mgpu_sched_policy policy);
u32 mgpu_runner_utilization(struct mgpu_parent *parent);
int mgpu_ctx_init(struct mgpu_ctx *ctx, struct mgpu_parent *parent, const u32 *chunks,
		  u32 nr_chunks, const char *name, u32 weight);
void mgpu_ctx_fini(struct mgpu_ctx *ctx);
u32 mgpu_ctx_reg_read(struct mgpu_ctx *ctx, u32 off);
void mgpu_ctx_reg_write(struct mgpu_ctx *ctx, u32 off, u32 val);
void mgpu_ctx_reset(struct mgpu_ctx *ctx);
int mgpu_ctx_set_qos(struct mgpu_ctx *ctx, const struct mgpu_sched_qos *qos,
		     const char **why);
void mgpu_ctx_get_qos(struct mgpu_ctx *ctx, struct mgpu_sched_qos *qos);
void mgpu_ctx_snapshot(struct mgpu_ctx *ctx, struct mgpu_eng_stats *st,
		       struct mgpu_sched_entity *se, u64 *lat_hist);
u64 mgpu_ctx_fence(struct mgpu_ctx *ctx);
int mgpu_ctx_state(struct mgpu_ctx *ctx, char *buf);

int mgpu_engine_sysfs_register(struct mgpu_parent *parent);
void mgpu_engine_sysfs_unregister(struct mgpu_parent *parent);

int mgpu_native_register(struct mgpu_parent *parent);
void mgpu_native_unregister(struct mgpu_parent *parent);

#endif /* MGPU_H */
