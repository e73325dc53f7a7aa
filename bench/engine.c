// SPDX-License-Identifier: GPL-2.0-only
/*
 * engine: the command engine as one vGPU's driver uses it, each path against its
 * baseline in alternating rounds.
 *  - submission cost: emit a NOP and submit it, by the trapped doorbell (a pwrite() of
 *    BAR3's TAIL, as QEMU forwards a guest's MMIO write) against doorbell-less mode (a
 *    store of the tail into the control block in VRAM); and the end-to-end round trip
 *    of a FENCE from an idle engine (submit until its value is seen in VRAM) both
 *    ways (the waiter sleeping between looks at the fence), and by doorbell while
 *    another vGPU on the GPU is doorbell-less.
 *  - FILL/COPY throughput of the engine over the vGPU's VRAM against memset()/memcpy()
 *    by this process over the same mapping (BAR4): the host's own speed on that memory.
 *
 *   MGPU_BENCH_ROUNDS (default 11), MGPU_BENCH_OPS (submissions per batch, default
 *   200), MGPU_BENCH_CHUNKS (interleaved batches per round and side, default 5),
 *   MGPU_BENCH_RT (round trips per batch, default 10), MGPU_BENCH_GAP_US (idle time
 *   before each, default 1000), MGPU_BENCH_REPS (FILL/COPY runs per round, the best
 *   kept; default 3)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "bench_engine.h"

#define XFER_TYPE	"mgpu-32M"
#define XFER_BYTES	(8u << 20)
#define XFER_SRC	0
#define XFER_DST	(16u << 20)
#define FILL_VALUE	0x5a5a5a5a
#define TIMEOUT_MS	20000
#define MAX_RT		4096
#define NAP_US		20	/* a waiter's sleep between looks at a fence */

/* Submission: one measured, one a doorbell-less neighbour when asked; FILL/COPY. */
static struct bench_eng vgpu, neighbour, xfer;

/* ======== Submission cost ======== */

enum sub_series {
	S_DOORBELL, S_POLL, S_RT_DOORBELL, S_RT_POLL, S_RT_NEIGHBOUR, S_NR
};

#define NR_RT	(S_NR - S_RT_DOORBELL)

static struct bench_series sub[S_NR] = {
	[S_DOORBELL]	 = { .name = "doorbell_submit" },
	[S_POLL]	 = { .name = "poll_submit" },
	[S_RT_DOORBELL]	 = { .name = "doorbell_roundtrip" },
	[S_RT_POLL]	 = { .name = "poll_roundtrip" },
	[S_RT_NEIGHBOUR] = { .name = "doorbell_roundtrip_poll_neighbour" },
};

/* A batch of @ops (emit NOP + submit); ns per submission, or 0 on error. */
static double submit_batch(struct bench_eng *b, unsigned int ops)
{
	uint32_t nop;
	uint64_t t0, t1;
	unsigned int k;

	mgpu_cmd_nop(&nop, 1);
	t0 = bench_now_ns();
	for (k = 0; k < ops; k++) {
		if (bench_eng_emit(b, &nop, 1))
			return 0;
		mgpu_engine_submit(b->eng);
	}
	t1 = bench_now_ns();
	if (mgpu_engine_idle(b->eng, TIMEOUT_MS))
		return 0;
	return (double)(t1 - t0) / ops;
}

/*
 * @ops FENCE round trips, each from an idle engine (@gap_us after the last one), the
 * waiter sleeping between looks at the fence; their times in @rt (ns).
 */
static int roundtrip_batch(struct bench_eng *b, unsigned int ops, unsigned int gap_us,
			   double *rt)
{
	unsigned int k;
	int ret;

	for (k = 0; k < ops; k++) {
		uint64_t t0, seq;

		bench_eng_spin_us(gap_us);
		t0 = bench_now_ns();
		seq = mgpu_engine_fence(b->eng, false);
		ret = seq ? bench_eng_wait_all(&b, &seq, 1, TIMEOUT_MS, NAP_US) : -EIO;
		if (ret)
			return ret;
		rt[k] = (double)(bench_now_ns() - t0);
	}
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, unsigned int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n ? v[n / 2] : 0;
}

/* Put the measured vGPU (and the neighbour) into the mode side @s measures. */
static int sub_mode(enum sub_series s)
{
	bool poll = s == S_POLL || s == S_RT_POLL;
	int ret = bench_eng_restart(&vgpu, poll);

	if (!ret)
		ret = bench_eng_restart(&neighbour, s == S_RT_NEIGHBOUR);
	return ret;
}

struct sub_knobs {
	unsigned int ops, chunks, rts, gap_us;
};

/* Each submission side's fastest batch, interleaved, into @best[2]. */
static int submit_chunk(unsigned int round, const struct sub_knobs *k, double *best)
{
	unsigned int j, i;
	double v;
	int ret;

	for (j = 0; j < 2; j++) {
		i = (round + j) & 1;
		ret = sub_mode(i ? S_POLL : S_DOORBELL);
		v = ret ? 0 : submit_batch(&vgpu, k->ops);
		if (!v)
			return ret ? ret : -EIO;
		best[i] = !best[i] || v < best[i] ? v : best[i];
	}
	return 0;
}

/* A batch of round trips for side @s, into @rt. */
static int roundtrip_side(enum sub_series s, const struct sub_knobs *k, double *rt)
{
	int ret = sub_mode(s);

	if (ret)
		return ret;
	return roundtrip_batch(&vgpu, k->rts, k->gap_us, rt);
}

/* One round: submissions, fastest batch each; round trips, median each. */
static int sub_round(unsigned int round, const struct sub_knobs *k)
{
	static double rt[NR_RT][MAX_RT];
	double best[2] = { 0, 0 };
	unsigned int c, i, j;
	int ret = 0;

	for (c = 0; c < k->chunks && !ret; c++) {
		ret = submit_chunk(round + c, k, best);
		for (j = 0; j < NR_RT && !ret; j++) {
			i = (round + c + j) % NR_RT;
			ret = roundtrip_side(S_RT_DOORBELL + i, k, rt[i] + c * k->rts);
		}
	}
	if (ret)
		return ret;
	bench_add(&sub[S_DOORBELL], best[0]);
	bench_add(&sub[S_POLL], best[1]);
	for (i = 0; i < NR_RT; i++)
		bench_add(&sub[S_RT_DOORBELL + i], median(rt[i], k->chunks * k->rts));
	return 0;
}

static int run_submission(void)
{
	unsigned int r, i, rounds = bench_env_uint("MGPU_BENCH_ROUNDS", 11);
	struct sub_knobs k = {
		.ops = bench_env_uint("MGPU_BENCH_OPS", 200),
		.chunks = bench_env_uint("MGPU_BENCH_CHUNKS", 5),
		.rts = bench_env_uint("MGPU_BENCH_RT", 10),
		.gap_us = bench_env_uint("MGPU_BENCH_GAP_US", 1000),
	};
	int ret = 0;

	k.chunks = k.chunks ? k.chunks : 1;
	k.rts = k.rts * k.chunks <= MAX_RT ? k.rts : MAX_RT / k.chunks;
	for (r = 0; r < rounds && !ret; r++)
		ret = sub_round(r, &k);
	sub_mode(S_DOORBELL);
	if (ret)
		return ret;
	printf("# submission: %u rounds; per round the fastest of %u batches of %u\n",
	       rounds, k.chunks, k.ops);
	printf("# (NOP + submit), and the median of %u FENCE round trips (submit until\n",
	       k.chunks * k.rts);
	printf("# the fence is in VRAM), each from an idle engine (%u us after the last),\n",
	       k.gap_us);
	printf("# the waiter sleeping %u us between looks at the fence;\n", NAP_US);
	printf("# medians in ns:\n");
	for (i = 0; i < S_NR; i++)
		printf("#   %-36s %10.0f\n", sub[i].name, bench_median(&sub[i]));
	bench_print_ratio(&sub[S_DOORBELL], &sub[S_POLL]);
	bench_print_ratio(&sub[S_RT_DOORBELL], &sub[S_RT_POLL]);
	bench_print_ratio(&sub[S_RT_NEIGHBOUR], &sub[S_RT_DOORBELL]);
	return 0;
}

/* ======== FILL and COPY against memset and memcpy ======== */

enum xfer_op { X_FILL, X_MEMSET, X_COPY, X_MEMCPY, X_NR };

static struct bench_series xs[X_NR] = {
	[X_FILL]   = { .name = "engine_fill" },
	[X_MEMSET] = { .name = "host_memset" },
	[X_COPY]   = { .name = "engine_copy" },
	[X_MEMCPY] = { .name = "host_memcpy" },
};

/* One engine command and a fence after it, submitted and waited for. */
static int engine_op(const uint32_t *cmd, unsigned int dwords)
{
	struct bench_eng *b = &xfer;
	uint64_t seq;
	int ret = bench_eng_emit(b, cmd, dwords);

	if (ret)
		return ret;
	seq = mgpu_engine_fence(b->eng, false);
	return seq ? bench_eng_wait_all(&b, &seq, 1, TIMEOUT_MS, NAP_US) : -EIO;
}

static int run_xfer_op(enum xfer_op op)
{
	volatile uint8_t *v = xfer.vram;
	uint32_t c[MGPU_CMD_COPY_LEN];

	switch (op) {
	case X_FILL:
		return engine_op(c, mgpu_cmd_fill(c, XFER_SRC, 0, XFER_BYTES, 1, FILL_VALUE));
	case X_MEMSET:
		memset((void *)(v + XFER_SRC), FILL_VALUE & 0xff, XFER_BYTES);
		return 0;
	case X_COPY:
		return engine_op(c, mgpu_cmd_copy(c, XFER_SRC, XFER_DST, 0, 0, XFER_BYTES, 1));
	default:
		memcpy((void *)(v + XFER_DST), (void *)(v + XFER_SRC), XFER_BYTES);
		return 0;
	}
}

/* Best of MGPU_BENCH_REPS runs, as bytes per second. */
static int timed_xfer(enum xfer_op op)
{
	unsigned int k, reps = bench_env_uint("MGPU_BENCH_REPS", 3);
	uint64_t best = UINT64_MAX;

	for (k = 0; k < reps; k++) {
		uint64_t t0 = bench_now_ns(), dt;
		int ret = run_xfer_op(op);

		dt = bench_now_ns() - t0;
		if (ret)
			return ret;
		best = dt && dt < best ? dt : best;
	}
	bench_add(&xs[op], (double)XFER_BYTES * 1e9 / best);
	return 0;
}

/* The engine's results must be right, or their speed means nothing. */
static int check_xfer(void)
{
	volatile uint8_t *v = xfer.vram;
	unsigned int off;
	int ret;

	memset((void *)(v + XFER_DST), 0, XFER_BYTES);
	ret = run_xfer_op(X_FILL);
	if (!ret)
		ret = run_xfer_op(X_COPY);
	if (ret)
		return ret;
	for (off = 0; off < XFER_BYTES; off += 4096 + 4)
		if (*(volatile uint32_t *)(v + XFER_DST + off) != FILL_VALUE)
			return -EIO;
	return 0;
}

static int run_xfer(void)
{
	static const enum xfer_op pairs[][2] = { { X_FILL, X_MEMSET }, { X_COPY, X_MEMCPY } };
	unsigned int r, i, rounds = bench_env_uint("MGPU_BENCH_ROUNDS", 11);
	int ret = check_xfer();

	for (r = 0; r < rounds && !ret; r++)
		for (i = 0; i < ARRAY_SIZE(pairs) && !ret; i++) {
			ret = timed_xfer(pairs[i][r & 1]);
			if (!ret)
				ret = timed_xfer(pairs[i][!(r & 1)]);
		}
	if (ret)
		return ret;
	printf("# fill/copy: %u MiB in one command on a %s vGPU (submit until its fence) vs\n",
	       XFER_BYTES >> 20, XFER_TYPE);
	printf("# memset()/memcpy() of the same bytes through its BAR4 mapping;\n");
	printf("# %u rounds, best of %u;\n", rounds, bench_env_uint("MGPU_BENCH_REPS", 3));
	printf("# medians in MiB/s:\n");
	for (i = 0; i < X_NR; i++)
		printf("#   %-14s %10.1f\n", xs[i].name, bench_median(&xs[i]) / (1 << 20));
	bench_print_ratio(&xs[X_FILL], &xs[X_MEMSET]);
	bench_print_ratio(&xs[X_COPY], &xs[X_MEMCPY]);
	return 0;
}

int main(void)
{
	int ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	bench_eng_pin_self();
	ret = bench_eng_find_parent();
	if (ret) {
		fprintf(stderr, "engine: no mgpu parent: %s\n", strerror(-ret));
		return 1;
	}
	mgpu_remove_all();
	ret = bench_eng_policy("best_effort");
	if (!ret)
		ret = bench_eng_vgpu(&vgpu, "mgpu-8M", false);
	if (!ret)
		ret = bench_eng_vgpu(&neighbour, "mgpu-8M", false);
	if (!ret)
		ret = bench_eng_vgpu(&xfer, XFER_TYPE, false);
	if (!ret)
		ret = run_submission();
	if (!ret)
		ret = run_xfer();
	if (ret)
		fprintf(stderr, "engine: %s\n", strerror(-ret));
	bench_eng_put(&xfer);
	bench_eng_put(&neighbour);
	bench_eng_put(&vgpu);
	return ret ? 1 : 0;
}
