// SPDX-License-Identifier: GPL-2.0-only
/*
 * sched_bw: what time-slicing one GPU's command engine among vGPUs costs. Each round
 * gives the engine the same work — FILLs of 256 KiB, about MGPU_BENCH_ROUND_MS of engine
 * time in all — split evenly among N busy vGPUs and, alternately, all of it to the
 * native context alone; the ratio of their throughputs (bytes filled per second of
 * wall time, from the first doorbell to the last fence) is what N-way scheduling keeps.
 * Everything is emitted before the clock starts, so each ring stays full until its
 * share is done and the engine never waits for the benchmark. Every context FILLs one
 * buffer of its own over and over, as N copies of one program would: N vGPUs touch N
 * buffers, the native context one, and refilling caches after a switch is part of
 * what sharing costs. For the largest N, the native context also runs with the vGPUs'
 * footprint (N buffers, FILLed in turn), which shows how much of the difference is
 * memory rather than scheduling.
 *
 *   MGPU_BENCH_ROUNDS (paired rounds per N, default 7), MGPU_BENCH_REPS (runs of each
 *   side per round, the fastest kept; default 2), MGPU_BENCH_ROUND_MS (default 500),
 *   MGPU_BENCH_VGPUS (the Ns, default "1,4,16,64"), MGPU_BENCH_POLL_VGPUS (the Ns
 *   measured again with every context doorbell-less, default "16,64"; "0" for none),
 *   MGPU_BENCH_SPREAD (0 leaves out the native run with the vGPUs' footprint)
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "bench_engine.h"

#define TYPE		"mgpu-8M"
#define UNIT		(256u * 1024)	/* one FILL */
#define MAX_N		64
#define MAX_UNITS	8000		/* all of a round fits one 256 KiB ring */
#define TIMEOUT_MS	120000

struct sched_bw {
	struct bench_eng native;
	struct bench_eng vgpu[MAX_N];
	unsigned int nr_vgpus;
	unsigned int units;		/* FILLs per round, a multiple of MAX_N */
};

/* What one timed run saw besides its throughput. */
struct run_info {
	double bytes_per_s;
	double busy_pct;	/* engine busy time over wall time */
	long long slices;	/* slices the vGPUs ran (0 for native) */
	uint64_t wall_ns;
};

/* A list of vGPU counts like "1,4,16,64" from @env, else @def. */
static unsigned int parse_ns(const char *env, const char *def, unsigned int *ns,
			     unsigned int max)
{
	const char *v = getenv(env);
	unsigned int n = 0;
	char *end;

	if (!v || !*v)
		v = def;
	while (*v && n < max) {
		unsigned long x = strtoul(v, &end, 10);

		if (end == v)
			break;
		if (x >= 1 && x <= MAX_N)
			ns[n++] = x;
		v = *end ? end + 1 : end;
	}
	return n;
}

static long long sum_slices(struct bench_eng **c, unsigned int n)
{
	long long sum = 0;
	unsigned int i;

	for (i = 0; i < n; i++)
		if (!c[i]->native)
			sum += bench_eng_counter(c[i], "slices");
	return sum;
}

/*
 * @units FILLs split evenly among @c[0..@n), going round @slots FILL-sized places in
 * each, ended by a fence; not yet submitted.
 */
static int emit_work(struct bench_eng **c, unsigned int n, unsigned int units,
		     unsigned int slots, uint64_t *seq)
{
	uint32_t cmd[MGPU_CMD_FILL_LEN];
	unsigned int i, k;
	int ret;

	for (i = 0; i < n; i++) {
		if (slots > c[i]->data_size / UNIT)
			return -EINVAL;
		for (k = 0; k < units / n; k++) {
			mgpu_cmd_fill(cmd, (uint64_t)(k % slots) * UNIT, 0, UNIT, 1,
				      0x01010101 * (k & 0xff));
			ret = bench_eng_emit(c[i], cmd, MGPU_CMD_FILL_LEN);
			if (ret)
				return ret;
		}
		seq[i] = bench_eng_emit_fence(c[i]);
		if (!seq[i])
			return -EIO;
	}
	return 0;
}

/* One timed run: @units FILLs on @c[0..@n), from the first doorbell to the last fence. */
static int run(struct bench_eng **c, unsigned int n, unsigned int units, unsigned int slots,
	       struct run_info *ri)
{
	uint64_t seq[MAX_N + 1], t0, t1;
	long long busy0, busy1, sl0;
	unsigned int i;
	int ret;

	ret = emit_work(c, n, units, slots, seq);
	if (ret)
		return ret;
	sl0 = sum_slices(c, n);
	busy0 = bench_eng_gpu_counter("busy_ns");
	t0 = bench_now_ns();
	for (i = 0; i < n; i++)
		mgpu_engine_submit(c[i]->eng);
	ret = bench_eng_wait_all(c, seq, n, TIMEOUT_MS, 0);
	t1 = bench_now_ns();
	if (ret)
		return ret;
	busy1 = bench_eng_gpu_counter("busy_ns");
	ri->wall_ns = t1 - t0;
	ri->bytes_per_s = (double)units * UNIT * 1e9 / (double)(t1 - t0);
	ri->busy_pct = 100.0 * (double)(busy1 - busy0) / (double)(t1 - t0);
	ri->slices = sum_slices(c, n) - sl0;
	return 0;
}

/* Size a round: MGPU_BENCH_ROUND_MS of the native context's throughput. */
static int calibrate(struct sched_bw *s)
{
	struct bench_eng *c = &s->native;
	unsigned int ms = bench_env_uint("MGPU_BENCH_ROUND_MS", 500);
	unsigned int slots = 1;
	struct run_info ri;
	double units;
	int ret;

	ret = run(&c, 1, 4 * MAX_N, slots, &ri);	/* warm up */
	if (!ret)
		ret = run(&c, 1, 4 * MAX_N, slots, &ri);
	if (ret)
		return ret;
	units = ri.bytes_per_s / UNIT * ms / 1000;
	s->units = ((unsigned int)units + MAX_N - 1) / MAX_N * MAX_N;
	if (s->units < MAX_N)
		s->units = MAX_N;
	if (s->units > MAX_UNITS)
		s->units = MAX_UNITS / MAX_N * MAX_N;
	printf("# sched_bw: the native context alone fills %.0f MiB/s; a round is %u FILLs of\n",
	       ri.bytes_per_s / (1 << 20), s->units);
	printf("# %u KiB (%u MiB), split evenly among the busy vGPUs, each FILLing one buffer\n",
	       UNIT >> 10, s->units * (UNIT >> 10) >> 10);
	return 0;
}

struct pair_stats {
	struct bench_series vgpus, native;
	char name[32], nname[32];
	double busy_v, busy_n;	/* means over rounds of the runs kept */
	double slices;
};

/* Keep @ri in @best if it is faster. */
static void keep_best(struct run_info *best, const struct run_info *ri)
{
	if (ri->bytes_per_s > best->bytes_per_s)
		*best = *ri;
}

/*
 * One round: MGPU_BENCH_REPS runs of each side, alternating, the faster kept (other
 * VMs on the machine only ever make a run slower); the native side FILLs
 * @native_bufs buffers in turn.
 */
static int one_round(struct sched_bw *s, unsigned int n, unsigned int native_bufs,
		     unsigned int round, struct run_info *a, struct run_info *b)
{
	unsigned int k, j, reps = bench_env_uint("MGPU_BENCH_REPS", 2);
	struct bench_eng *v[MAX_N], *nat = &s->native;
	struct run_info ri;
	int ret = 0;

	for (k = 0; k < n; k++)
		v[k] = &s->vgpu[k];
	memset(a, 0, sizeof(*a));
	memset(b, 0, sizeof(*b));
	for (k = 0; k < reps && !ret; k++) {
		for (j = 0; j < 2 && !ret; j++) {
			if ((round + k + j) & 1) {
				ret = run(&nat, 1, s->units, native_bufs, &ri);
				keep_best(b, &ri);
			} else {
				ret = run(v, n, s->units, 1, &ri);
				keep_best(a, &ri);
			}
		}
	}
	return ret;
}

/*
 * Rounds of N vGPUs and the native context, alternating which goes first; @spread:
 * the native context with the vGPUs' footprint.
 */
static int run_pairs(struct sched_bw *s, unsigned int n, struct pair_stats *ps,
		     bool poll, bool spread)
{
	unsigned int r, rounds = bench_env_uint("MGPU_BENCH_ROUNDS", 7);
	struct run_info a, b;
	int ret = 0;

	snprintf(ps->name, sizeof(ps->name), "vgpus_%u%s", n, poll ? "_poll" : "");
	snprintf(ps->nname, sizeof(ps->nname), "native%s", poll ? "_poll" : "");
	if (spread)
		snprintf(ps->nname, sizeof(ps->nname), "native_%u_buffers", n);
	ps->vgpus.name = ps->name;
	ps->native.name = ps->nname;
	for (r = 0; r < rounds && !ret; r++) {
		ret = one_round(s, n, spread ? n : 1, r, &a, &b);
		if (ret)
			break;
		bench_add(&ps->vgpus, a.bytes_per_s);
		bench_add(&ps->native, b.bytes_per_s);
		ps->busy_v += a.busy_pct / rounds;
		ps->busy_n += b.busy_pct / rounds;
		ps->slices += (double)a.slices / rounds;
	}
	return ret;
}

/* The medians, and what the difference costs per slice the vGPUs ran. */
static void report(struct pair_stats *ps, unsigned int units)
{
	double v = bench_median(&ps->vgpus), n = bench_median(&ps->native);
	double bytes = (double)units * UNIT;
	double per_slice = ps->slices && v && n ? (bytes / v - bytes / n) / ps->slices : 0;

	printf("#   %-14s %7.1f MiB/s  native %7.1f MiB/s", ps->name, v / (1 << 20),
	       n / (1 << 20));
	printf("  engine busy %5.1f%% / %5.1f%%  %5.1f slices  %+6.0f us/slice\n",
	       ps->busy_v, ps->busy_n, ps->slices, per_slice * 1e6);
	bench_print_ratio(&ps->vgpus, &ps->native);
}

static int restart_all(struct sched_bw *s, bool poll)
{
	unsigned int i;
	int ret = bench_eng_restart(&s->native, poll);

	for (i = 0; i < s->nr_vgpus && !ret; i++)
		ret = bench_eng_restart(&s->vgpu[i], poll);
	return ret;
}

static int run_mode(struct sched_bw *s, const unsigned int *ns, unsigned int nr, bool poll)
{
	static struct pair_stats ps[9];
	unsigned int i, rounds = bench_env_uint("MGPU_BENCH_ROUNDS", 7);
	int ret = restart_all(s, poll);

	if (ret)
		return ret;
	printf("# %s: %u rounds, each side's faster of %u runs a round; medians of the\n",
	       poll ? "doorbell-less (poll) mode" : "doorbell mode", rounds,
	       bench_env_uint("MGPU_BENCH_REPS", 2));
	printf("# throughputs; engine busy = the GPU's busy_ns over wall time (means);\n");
	printf("# slices = the vGPUs' slices a round; us/slice = the time lost to N-way\n");
	printf("# sharing, per slice\n");
	for (i = 0; i <= nr && !ret; i++) {
		/* last: the largest N again against the native context spread as wide */
		if (i == nr && (poll || !bench_env_uint("MGPU_BENCH_SPREAD", 1)))
			break;
		memset(&ps[i], 0, sizeof(ps[i]));
		ret = run_pairs(s, i < nr ? ns[i] : s->nr_vgpus, &ps[i], poll, i == nr);
		if (!ret)
			report(&ps[i], s->units);
	}
	return ret;
}

static int setup(struct sched_bw *s, unsigned int max_n)
{
	unsigned int i;
	int ret;

	ret = bench_eng_find_parent();
	if (ret)
		return ret;
	mgpu_remove_all();
	ret = bench_eng_policy("best_effort");
	/* room for the vGPUs' footprint, and the MiB libmgpu keeps for its ring */
	if (!ret)
		ret = bench_eng_native(&s->native, max_n * UNIT / (1 << 20) + 2, false);
	for (i = 0; i < max_n && !ret; i++) {
		ret = bench_eng_vgpu(&s->vgpu[i], TYPE, false);
		s->nr_vgpus = i + 1;
	}
	return ret;
}

static void teardown(struct sched_bw *s)
{
	unsigned int i;

	for (i = 0; i < s->nr_vgpus; i++)
		bench_eng_put(&s->vgpu[i]);
	bench_eng_put(&s->native);
}

int main(void)
{
	static struct sched_bw s;
	unsigned int ns[8], pns[8], max_n = 0, i;
	unsigned int nr = parse_ns("MGPU_BENCH_VGPUS", "1,4,16,64", ns, ARRAY_SIZE(ns));
	unsigned int pnr = parse_ns("MGPU_BENCH_POLL_VGPUS", "16,64", pns, ARRAY_SIZE(pns));
	int ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	bench_eng_pin_self();
	for (i = 0; i < nr; i++)
		max_n = ns[i] > max_n ? ns[i] : max_n;
	for (i = 0; i < pnr; i++)
		max_n = pns[i] > max_n ? pns[i] : max_n;
	ret = setup(&s, max_n);
	if (ret == -ENOSPC) {
		bench_skip("sched_bw", "no VRAM for 64 vGPUs: load mgpu with soft_vram_mb=1024");
		teardown(&s);
		return 0;
	}
	if (!ret)
		ret = calibrate(&s);
	if (!ret)
		ret = run_mode(&s, ns, nr, false);
	if (!ret && pnr)
		ret = run_mode(&s, pns, pnr, true);
	if (ret)
		fprintf(stderr, "sched_bw: %s\n", strerror(-ret));
	teardown(&s);
	return ret ? 1 : 0;
}
