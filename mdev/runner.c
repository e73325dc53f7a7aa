// SPDX-License-Identifier: GPL-2.0-only
/*
 * mgpu: a GPU's command engine at run time. One kernel thread per GPU runs the GPU's
 * contexts (vGPUs and native clients) one at a time, each for the slice its scheduler
 * gives it, in bounded steps (mdev/engine.c), so a slice ends on time whatever a
 * context submitted. In the two reference backends the engine executes in software
 * on this thread; a hardware engine would replace the steps, not the scheduling.
 *
 * Submission: a doorbell (a trapped register write) kicks the thread; in doorbell-less
 * mode the thread polls each such context's tail in VRAM between steps and, when it
 * has nothing to run, every engine_poll_us.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include "mgpu.h"

#define CREATE_TRACE_POINTS
#include "trace.h"

static unsigned int engine_poll_us = 100;
module_param(engine_poll_us, uint, 0644);
MODULE_PARM_DESC(engine_poll_us,
		 "how often an idle engine polls doorbell-less contexts, in microseconds (10..10000)");

static unsigned int engine_watchdog_ms = 2000;
module_param(engine_watchdog_ms, uint, 0644);
MODULE_PARM_DESC(engine_watchdog_ms,
		 "engine time one ring command may take before its context is stopped (ms)");

#define POLL_IN_SLICE_NS	(200 * NSEC_PER_USEC)	/* poll while another runs */
#define UTIL_WINDOW_NS		NSEC_PER_SEC

static u64 eng_now(void *priv)
{
	return ktime_get_ns();
}

static void eng_irq(void *priv, int level)
{
	struct mgpu_ctx *ctx = priv;

	WRITE_ONCE(ctx->irq_level, !!level);
	ctx->irq_dirty = true;
}

static const struct mgpu_eng_ops eng_ops = {
	.now_ns = eng_now,
	.irq = eng_irq,
};

/* Deliver a changed interrupt line; ctx->lock must not be held. */
static void ctx_irq_flush(struct mgpu_ctx *ctx, bool dirty)
{
	if (dirty && ctx->irq_changed)
		ctx->irq_changed(ctx);
}

static bool ctx_take_irq_dirty_locked(struct mgpu_ctx *ctx)
{
	bool dirty = ctx->irq_dirty;

	lockdep_assert_held(&ctx->lock);
	ctx->irq_dirty = false;
	return dirty;
}

static void runner_kick(struct mgpu_runner *r)
{
	atomic_set(&r->kick, 1);
	wake_up(&r->wq);
}

/* Say once why a context's engine stopped, whichever path found the error. */
static void ctx_log_error_locked(struct mgpu_ctx *ctx)
{
	struct mgpu_eng *eng = &ctx->eng;

	lockdep_assert_held(&ctx->lock);
	if (ctx->logged_err == eng->stats.errors)
		return;
	ctx->logged_err = eng->stats.errors;
	dev_warn_ratelimited(ctx->parent->dev,
			     "%s: engine stopped: %s error at VRAM offset 0x%llx; reset the engine to go on\n",
			     ctx->name, mgpu_eng_err_name(eng->error), eng->error_addr);
}

/* ======== Runnable state, latency ======== */

static void ctx_record_latency(struct mgpu_ctx *ctx, u64 now)
{
	u64 since = atomic64_xchg(&ctx->submit_ns, 0);
	u64 us;
	int b;

	if (!since || now < since)
		return;
	us = (now - since) / NSEC_PER_USEC;
	for (b = 0; b < MGPU_LAT_BUCKETS; b++)
		if (us <= (16ULL << b))
			break;
	ctx->lat_hist[b]++;
}

/*
 * Bring @ctx's scheduler entity in line with its engine: runnable iff it has work.
 * Returns true if it should preempt the running context.
 */
static bool ctx_refresh_locked(struct mgpu_runner *r, struct mgpu_ctx *ctx, u64 now)
{
	bool pending, dirty;
	u32 head, tail;

	lockdep_assert_held(&r->lock);
	if (!atomic_xchg(&ctx->kicked, 0) && !READ_ONCE(ctx->poll) && !ctx->se.runnable)
		return false;
	mutex_lock(&ctx->lock);
	pending = ctx->parent->ops->engine->pending(&ctx->eng);
	ctx_log_error_locked(ctx);
	head = ctx->eng.head;
	tail = ctx->eng.tail;
	dirty = ctx_take_irq_dirty_locked(ctx);
	mutex_unlock(&ctx->lock);
	ctx_irq_flush(ctx, dirty);
	if (pending && !ctx->se.runnable) {
		atomic64_cmpxchg(&ctx->submit_ns, 0, now);
		trace_mgpu_engine_submit(ctx->name, head, tail);
		return mgpu_sched_wake(&r->sched, &ctx->se,
				       r->running ? &r->running->se : NULL, now);
	}
	if (!pending && ctx->se.runnable)
		mgpu_sched_sleep(&r->sched, &ctx->se);
	return false;
}

static bool runner_refresh_locked(struct mgpu_runner *r, u64 now)
{
	struct mgpu_ctx *ctx;
	bool preempt = false;

	atomic_set(&r->kick, 0);
	list_for_each_entry(ctx, &r->ctxs, node)
		preempt |= ctx_refresh_locked(r, ctx, now);
	return preempt;
}

static bool runner_any_poll_locked(struct mgpu_runner *r)
{
	struct mgpu_ctx *ctx;

	list_for_each_entry(ctx, &r->ctxs, node)
		if (READ_ONCE(ctx->poll))
			return true;
	return false;
}

static void runner_util_locked(struct mgpu_runner *r, u64 now)
{
	u64 span = now - r->util_start;

	if (span < UTIL_WINDOW_NS)
		return;
	r->utilization = min_t(u64, 100,
			       div64_u64((r->sched.busy_ns - r->util_busy) * 100, span));
	r->util_start = now;
	r->util_busy = r->sched.busy_ns;
}

/* ======== Running one slice ======== */

/*
 * Run @ctx until @end, until it has nothing to do, or until another context needs a
 * look (a kick, or a doorbell-less poll is due). Returns true if it stopped for a look.
 */
static bool ctx_run(struct mgpu_runner *r, struct mgpu_ctx *ctx, u64 end, bool polling)
{
	u64 next_poll = ktime_get_ns() + POLL_IN_SLICE_NS;
	u64 fence, now;
	bool dirty;
	int ret;

	for (;;) {
		mutex_lock(&ctx->lock);
		fence = ctx->eng.fence;
		ret = ctx->parent->ops->engine->step(&ctx->eng);
		ctx_log_error_locked(ctx);
		dirty = ctx_take_irq_dirty_locked(ctx);
		if (ctx->eng.fence != fence)
			trace_mgpu_engine_complete(ctx->name, ctx->eng.fence, ctx->eng.head);
		mutex_unlock(&ctx->lock);
		ctx_irq_flush(ctx, dirty);
		if (ret <= 0)
			return false;
		now = ktime_get_ns();
		if (now >= end)
			return false;
		if (atomic_read(&r->kick) || (polling && now >= next_poll))
			return true;
		cond_resched();
	}
}

/* Run @ctx for its slice; another context's wake may cut the slice short. */
static void runner_slice(struct mgpu_runner *r, struct mgpu_ctx *ctx, u64 slice)
{
	u64 start = ktime_get_ns(), end = start + slice;
	bool preempted = false, polling;

	mutex_lock(&r->lock);
	polling = runner_any_poll_locked(r);
	ctx_record_latency(ctx, start);
	mutex_unlock(&r->lock);
	while (ctx_run(r, ctx, end, polling)) {
		mutex_lock(&r->lock);
		preempted = runner_refresh_locked(r, ktime_get_ns());
		mutex_unlock(&r->lock);
		if (preempted)
			break;
	}
	mutex_lock(&r->lock);
	/* mgpu_ctx_fini() may have taken it off the scheduler meanwhile. */
	if (ctx->se.index >= 0) {
		mgpu_sched_charge(&r->sched, &ctx->se, ktime_get_ns() - start, preempted,
				  ktime_get_ns());
		ctx_refresh_locked(r, ctx, ktime_get_ns());
	}
	r->running = NULL;
	mutex_unlock(&r->lock);
	wake_up_all(&r->idle_wq);
}

/* Nothing to run: sleep until a kick, a poll, or the next scheduling period. */
static void runner_idle(struct mgpu_runner *r, u64 wait_ns, bool polling)
{
	u64 poll_ns = clamp(READ_ONCE(engine_poll_us), 10U, 10000U) * NSEC_PER_USEC;

	if (polling && (!wait_ns || wait_ns > poll_ns))
		wait_ns = poll_ns;
	/* A doorbell (kick) ends the wait at once, whatever its length. */
	if (wait_ns)
		wait_event_interruptible_hrtimeout(r->wq, atomic_read(&r->kick) ||
						   kthread_should_stop(), ns_to_ktime(wait_ns));
	else
		wait_event_interruptible(r->wq, atomic_read(&r->kick) ||
					 kthread_should_stop());
}

static int runner_thread(void *data)
{
	struct mgpu_runner *r = data;
	struct mgpu_sched_entity *se;
	char prev[sizeof(((struct mgpu_ctx *)0)->name)] = "";
	struct mgpu_ctx *ctx;
	u64 slice, wait_ns, now;
	bool polling;

	while (!kthread_should_stop()) {
		mutex_lock(&r->lock);
		now = ktime_get_ns();
		runner_refresh_locked(r, now);
		runner_util_locked(r, now);
		se = mgpu_sched_pick(&r->sched, now, &slice, &wait_ns);
		ctx = se ? container_of(se, struct mgpu_ctx, se) : NULL;
		r->running = ctx;
		polling = runner_any_poll_locked(r);
		if (ctx && strcmp(ctx->name, prev)) {
			trace_mgpu_engine_switch(prev, ctx->name, slice);
			strscpy(prev, ctx->name, sizeof(prev));
		}
		mutex_unlock(&r->lock);
		if (ctx)
			runner_slice(r, ctx, slice);
		else
			runner_idle(r, wait_ns, polling);
		cond_resched();
	}
	return 0;
}

/* ======== Contexts ======== */

/**
 * mgpu_ctx_init - give a partition an engine context on its GPU's engine
 * @ctx: the context (zeroed by the caller)
 * @parent: the GPU
 * @chunks: the partition's translation table (must outlive the context)
 * @nr_chunks: entries in @chunks
 * @name: for logs and tracepoints
 * @weight: its default scheduler weight
 *
 * Context: process context; takes mgpu_runner.lock.
 * Return: 0, or -ENOSPC when the scheduler is full.
 */
int mgpu_ctx_init(struct mgpu_ctx *ctx, struct mgpu_parent *parent, const u32 *chunks,
		  u32 nr_chunks, const char *name, u32 weight)
{
	struct mgpu_runner *r = &parent->runner;
	struct mgpu_sched_qos qos;
	const char *why = NULL;
	int ret;

	ctx->parent = parent;
	strscpy(ctx->name, name, sizeof(ctx->name));
	mutex_init(&ctx->lock);
	ctx->mem.base = parent->vram_map;
	ctx->mem.chunks = chunks;
	ctx->mem.nr_chunks = nr_chunks;
	ctx->mem.size = (u64)nr_chunks << MGPU_CHUNK_SHIFT;
	mgpu_eng_init(&ctx->eng, &ctx->mem, &eng_ops, ctx,
		      (u64)max(engine_watchdog_ms, 10U) * NSEC_PER_MSEC);
	ctx->se.index = -1;
	mgpu_sched_default_qos(&qos, weight);
	mutex_lock(&r->lock);
	ret = mgpu_sched_add(&r->sched, &ctx->se, &qos, &why);
	if (!ret)
		list_add_tail(&ctx->node, &r->ctxs);
	mutex_unlock(&r->lock);
	if (ret) {
		dev_err(parent->dev, "%s: no engine context: %s\n", name, why ? why : "");
		mutex_destroy(&ctx->lock);
	}
	return ret;
}

/**
 * mgpu_ctx_fini - take a context off its engine
 * @ctx: the context
 *
 * Context: process context; waits until the engine thread has left the context.
 */
void mgpu_ctx_fini(struct mgpu_ctx *ctx)
{
	struct mgpu_runner *r = &ctx->parent->runner;

	mutex_lock(&r->lock);
	list_del(&ctx->node);
	mgpu_sched_remove(&r->sched, &ctx->se);
	while (r->running == ctx) {
		mutex_unlock(&r->lock);
		wait_event(r->idle_wq, READ_ONCE(r->running) != ctx);
		mutex_lock(&r->lock);
	}
	mutex_unlock(&r->lock);
	mutex_destroy(&ctx->lock);
}

/**
 * mgpu_ctx_reg_read - read an engine register of a context
 * @ctx: the context
 * @off: register offset, 4-aligned, below MGPU_ENG_SIZE
 *
 * Return: the value.
 */
u32 mgpu_ctx_reg_read(struct mgpu_ctx *ctx, u32 off)
{
	u32 val;

	mutex_lock(&ctx->lock);
	val = mgpu_eng_reg_read(&ctx->eng, off);
	mutex_unlock(&ctx->lock);
	return val;
}

/**
 * mgpu_ctx_reg_write - write an engine register of a context (the doorbell path)
 * @ctx: the context
 * @off: register offset, 4-aligned, below MGPU_ENG_SIZE
 * @val: the value
 */
void mgpu_ctx_reg_write(struct mgpu_ctx *ctx, u32 off, u32 val)
{
	bool kick, dirty;

	mutex_lock(&ctx->lock);
	kick = mgpu_eng_reg_write(&ctx->eng, off, val);
	ctx_log_error_locked(ctx);
	WRITE_ONCE(ctx->poll, (ctx->eng.control & MGPU_ENG_CONTROL_ENABLE) &&
		   (ctx->eng.control & MGPU_ENG_CONTROL_POLL));
	dirty = ctx_take_irq_dirty_locked(ctx);
	mutex_unlock(&ctx->lock);
	ctx_irq_flush(ctx, dirty);
	if (kick) {
		if (off == MGPU_ENG_TAIL)
			atomic64_cmpxchg(&ctx->submit_ns, 0, ktime_get_ns());
		atomic_set(&ctx->kicked, 1);
		runner_kick(&ctx->parent->runner);
	}
}

/**
 * mgpu_ctx_reset - power-on state of a context's engine (device reset, close)
 * @ctx: the context
 */
void mgpu_ctx_reset(struct mgpu_ctx *ctx)
{
	bool dirty;

	mutex_lock(&ctx->lock);
	mgpu_eng_reset(&ctx->eng);
	WRITE_ONCE(ctx->poll, false);
	dirty = ctx_take_irq_dirty_locked(ctx);
	mutex_unlock(&ctx->lock);
	atomic64_set(&ctx->submit_ns, 0);
	ctx_irq_flush(ctx, dirty);
	atomic_set(&ctx->kicked, 1);
	runner_kick(&ctx->parent->runner);
}

/**
 * mgpu_ctx_set_qos - change a context's scheduling knobs, effective at once
 * @ctx: the context
 * @qos: the new knobs
 * @why: set to the reason when refused
 *
 * Return: 0, -EINVAL or -ENOSPC (see mgpu_sched_check_qos()).
 */
int mgpu_ctx_set_qos(struct mgpu_ctx *ctx, const struct mgpu_sched_qos *qos,
		     const char **why)
{
	struct mgpu_runner *r = &ctx->parent->runner;
	int ret;

	mutex_lock(&r->lock);
	ret = mgpu_sched_set_qos(&r->sched, &ctx->se, qos, why);
	mutex_unlock(&r->lock);
	runner_kick(r);
	return ret;
}

/**
 * mgpu_ctx_get_qos - a context's scheduling knobs
 * @ctx: the context
 * @qos: filled in
 */
void mgpu_ctx_get_qos(struct mgpu_ctx *ctx, struct mgpu_sched_qos *qos)
{
	struct mgpu_runner *r = &ctx->parent->runner;

	mutex_lock(&r->lock);
	*qos = ctx->se.qos;
	mutex_unlock(&r->lock);
}

/**
 * mgpu_ctx_snapshot - a consistent copy of a context's counters
 * @ctx: the context
 * @st: the engine's counters
 * @se: the scheduler's view (busy time, slices, preemptions)
 * @lat_hist: MGPU_LAT_BUCKETS + 1 submit-to-start latency counts
 */
void mgpu_ctx_snapshot(struct mgpu_ctx *ctx, struct mgpu_eng_stats *st,
		       struct mgpu_sched_entity *se, u64 *lat_hist)
{
	struct mgpu_runner *r = &ctx->parent->runner;

	mutex_lock(&r->lock);
	*se = ctx->se;
	memcpy(lat_hist, ctx->lat_hist, sizeof(ctx->lat_hist));
	mutex_unlock(&r->lock);
	mutex_lock(&ctx->lock);
	*st = ctx->eng.stats;
	mutex_unlock(&ctx->lock);
}

/**
 * mgpu_ctx_fence - the last value a context's FENCE wrote, read whole
 * @ctx: the context
 *
 * Return: the fence value.
 */
u64 mgpu_ctx_fence(struct mgpu_ctx *ctx)
{
	u64 fence;

	mutex_lock(&ctx->lock);
	fence = ctx->eng.fence;
	mutex_unlock(&ctx->lock);
	return fence;
}

/**
 * mgpu_ctx_state - a context's engine state as a line of text
 * @ctx: the context
 * @buf: a sysfs page
 *
 * Return: bytes written: "disabled", "idle", "busy" or "error: <name> at 0x<offset>".
 */
int mgpu_ctx_state(struct mgpu_ctx *ctx, char *buf)
{
	struct mgpu_eng *eng = &ctx->eng;
	bool dirty;
	int ret;

	mutex_lock(&ctx->lock);
	if (eng->status & MGPU_ENG_STATUS_ERROR)
		ret = sysfs_emit(buf, "error: %s at 0x%llx\n", mgpu_eng_err_name(eng->error),
				 eng->error_addr);
	else if (!(eng->status & MGPU_ENG_STATUS_ENABLED))
		ret = sysfs_emit(buf, "disabled\n");
	else
		ret = sysfs_emit(buf, "%s\n",
				 ctx->parent->ops->engine->pending(eng) ? "busy" : "idle");
	ctx_log_error_locked(ctx);	/* a bad tail in VRAM is an error */
	dirty = ctx_take_irq_dirty_locked(ctx);
	mutex_unlock(&ctx->lock);
	ctx_irq_flush(ctx, dirty);
	return ret;
}

/* ======== The GPU's engine ======== */

/**
 * mgpu_runner_set_policy - change a GPU's scheduling policy, effective at once
 * @parent: the GPU
 * @policy: the policy
 *
 * Return: 0 or -EINVAL.
 */
int mgpu_runner_set_policy(struct mgpu_parent *parent, enum mgpu_sched_policy policy)
{
	struct mgpu_runner *r = &parent->runner;
	int ret;

	mutex_lock(&r->lock);
	ret = mgpu_sched_set_policy(&r->sched, policy);
	mutex_unlock(&r->lock);
	runner_kick(r);
	return ret;
}

/**
 * mgpu_runner_utilization - a GPU's engine busy share over the last complete second
 * @parent: the GPU
 *
 * An idle engine's thread sleeps, so the window is also brought up to date here.
 *
 * Return: percent, 0..100.
 */
u32 mgpu_runner_utilization(struct mgpu_parent *parent)
{
	struct mgpu_runner *r = &parent->runner;
	u32 util;

	mutex_lock(&r->lock);
	runner_util_locked(r, ktime_get_ns());
	util = r->utilization;
	mutex_unlock(&r->lock);
	return util;
}

/**
 * mgpu_runner_start - start a GPU's engine thread
 * @parent: the GPU, with vram_map set
 *
 * Return: 0 or -errno.
 */
int mgpu_runner_start(struct mgpu_parent *parent)
{
	struct mgpu_runner *r = &parent->runner;

	mutex_init(&r->lock);
	INIT_LIST_HEAD(&r->ctxs);
	init_waitqueue_head(&r->wq);
	init_waitqueue_head(&r->idle_wq);
	mgpu_sched_init(&r->sched, MGPU_SCHED_BEST_EFFORT, ktime_get_ns());
	r->util_start = ktime_get_ns();
	r->thread = kthread_run(runner_thread, r, "mgpu-engine/%s", dev_name(parent->dev));
	if (IS_ERR(r->thread)) {
		dev_err(parent->dev, "cannot start the engine thread: %ld\n",
			PTR_ERR(r->thread));
		return PTR_ERR(r->thread);
	}
	return 0;
}

/**
 * mgpu_runner_stop - stop a GPU's engine thread; every context is gone
 * @parent: the GPU
 */
void mgpu_runner_stop(struct mgpu_parent *parent)
{
	struct mgpu_runner *r = &parent->runner;

	WARN_ON(!list_empty(&r->ctxs));
	kthread_stop(r->thread);
	mutex_destroy(&r->lock);
}
