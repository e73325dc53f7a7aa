// SPDX-License-Identifier: GPL-2.0-only
/*
 * sched_qos: whether the engine's scheduler delivers the QoS an admin sets, measured.
 *  - fairness: vGPUs with weights 1:2:4, all saturated; the share each achieves (its
 *    engine/busy_ns over the sum of theirs) in consecutive 1 s windows, against the
 *    configured share, as the largest deviation in percentage points.
 *  - latency: a light vGPU that submits one FENCE at a time while three others saturate
 *    the engine; submit-to-start from its engine/latency_us histogram and the fence
 *    round trip the program sees, in units of its time slice, with the vGPU in latency
 *    class interactive and normal alternately (blocks of samples, paired by round).
 *
 *   MGPU_BENCH_WINDOWS (fairness windows of 1 s, default 10), MGPU_BENCH_ROUNDS
 *   (latency rounds, default 4), MGPU_BENCH_SAMPLES (latency samples per class and
 *   round, default 50)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "bench_engine.h"

#define TYPE		"mgpu-8M"
#define NR		4
#define BUSY_US		1000
#define WINDOW_NS	1000000000ULL
#define MAX_WINDOWS	20
#define MAX_SAMPLES	(BENCH_MAX_ROUNDS * 4)

static struct bench_eng vgpu[NR];

/* Queue @ms milliseconds of BUSY work on @b and submit it. */
static int saturate(struct bench_eng *b, unsigned int ms)
{
	uint32_t c[MGPU_CMD_BUSY_LEN];
	unsigned int k;
	int ret;

	for (k = 0; k < ms * 1000 / BUSY_US; k++) {
		ret = bench_eng_emit(b, c, mgpu_cmd_busy(c, BUSY_US));
		if (ret)
			return ret;
	}
	mgpu_engine_submit(b->eng);
	return 0;
}

/* Stop whatever @b still has queued (and leave the engine started, empty). */
static int stop(struct bench_eng *b)
{
	return bench_eng_restart(b, false);
}

static void sleep_until(uint64_t t)
{
	uint64_t now = bench_now_ns();

	if (now < t)
		usleep((t - now) / 1000);
}

/* ======== Fairness ======== */

/* Shares of busy time between @b0 and @b1, and the largest deviation from @want. */
static double shares(const long long *b0, const long long *b1, unsigned int n,
		     const double *want, double *share)
{
	long long sum = 0;
	unsigned int i;
	double d = 0, e;

	for (i = 0; i < n; i++)
		sum += b1[i] - b0[i];
	for (i = 0; i < n; i++) {
		share[i] = sum ? 100.0 * (b1[i] - b0[i]) / sum : 0;
		e = share[i] > want[i] ? share[i] - want[i] : want[i] - share[i];
		d = e > d ? e : d;
	}
	return d;
}

static double busy_pct(const long long *b0, const long long *b1, unsigned int n,
		       uint64_t ns)
{
	long long sum = 0;
	unsigned int i;

	for (i = 0; i < n; i++)
		sum += b1[i] - b0[i];
	return 100.0 * sum / ns;
}

static int read_busy(long long *busy, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		busy[i] = bench_eng_counter(&vgpu[i], "busy_ns");
		if (busy[i] < 0)
			return (int)busy[i];
	}
	return 0;
}

static int run_fairness(void)
{
	static const unsigned int weight[] = { 1, 2, 4 };
	unsigned int i, w, n = ARRAY_SIZE(weight), sum_w = 0;
	unsigned int windows = bench_env_uint("MGPU_BENCH_WINDOWS", 10);
	struct bench_series dev = { .name = "fairness_dev_pp" };
	long long first[NR], b0[NR], b1[NR];
	double share[NR], want[NR], worst = 0, d;
	uint64_t t, t0, t1;
	char val[16];
	int ret = 0;

	windows = windows < 1 ? 1 : windows < MAX_WINDOWS ? windows : MAX_WINDOWS;
	for (i = 0; i < n && !ret; i++) {
		snprintf(val, sizeof(val), "%u", weight[i]);
		ret = bench_eng_set(&vgpu[i], "weight", val);
		sum_w += weight[i];
	}
	for (i = 0; i < n && !ret; i++)
		ret = saturate(&vgpu[i], (windows + 3) * 1000);
	if (ret)
		return ret;
	for (i = 0; i < n; i++)
		want[i] = 100.0 * weight[i] / sum_w;
	printf("# fairness: %u vGPUs, best effort, weights 1:2:4 (configured %.1f / %.1f /\n",
	       n, want[0], want[1]);
	printf("# %.1f %%), each saturated with BUSY %u us commands; shares of\n", want[2],
	       BUSY_US);
	printf("# engine/busy_ns per 1 s window:\n");
	usleep(500000);	/* settle: every vGPU runnable, a few slices each */
	t0 = bench_now_ns();
	t = t0;
	t1 = t0;
	ret = read_busy(b0, n);
	memcpy(first, b0, sizeof(first));
	for (w = 0; w < windows && !ret; w++) {
		t += WINDOW_NS;
		sleep_until(t);
		t1 = bench_now_ns();
		ret = read_busy(b1, n);
		if (ret)
			break;
		d = shares(b0, b1, n, want, share);
		worst = d > worst ? d : worst;
		bench_add(&dev, d);
		printf("#   window %2u: %5.1f %5.1f %5.1f %%", w + 1, share[0], share[1],
		       share[2]);
		printf("  max deviation %.2f pp  engine busy %5.1f%%\n", d,
		       busy_pct(b0, b1, n, t1 - (t - WINDOW_NS)));
		memcpy(b0, b1, sizeof(b0));
	}
	for (i = 0; i < n; i++)
		stop(&vgpu[i]);
	if (ret)
		return ret;
	d = shares(first, b1, n, want, share);
	printf("#   all %2u s:  %5.1f %5.1f %5.1f %%  max deviation %.2f pp  engine busy %5.1f%%\n",
	       windows, share[0], share[1], share[2], d, busy_pct(first, b1, n, t1 - t0));
	printf("fairness_max_dev_pp(1:2:4) = %.2f  (median window %.2f, %u windows of 1 s;",
	       worst, bench_median(&dev), dev.n);
	printf(" over all %.2f; goal <= 1.00)\n", d);
	return 0;
}

/* ======== Latency ======== */

struct lat_class {
	const char *name;
	long long preempted;		/* slices of the others it cut short */
	struct bench_series p50, p99;	/* per round, round trip in us */
	char n50[48], n99[48];
	double rt[MAX_SAMPLES];		/* every round trip, us */
	unsigned int n;
	unsigned long long hist[BENCH_ENG_LAT_BUCKETS];
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The @q quantile of @v[0..@n) (sorts @v). */
static double quantile(double *v, unsigned int n, double q)
{
	unsigned int i;

	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), cmp_double);
	i = (unsigned int)(q * n);
	return v[i < n ? i : n - 1];
}

/* The bound (us) of the histogram bucket holding the @q quantile; -1 for "inf". */
static double hist_quantile(const unsigned long long *h, double q)
{
	unsigned long long total = 0, cum = 0;
	unsigned int b;

	for (b = 0; b < BENCH_ENG_LAT_BUCKETS; b++)
		total += h[b];
	for (b = 0; b < BENCH_ENG_LAT_BUCKETS; b++) {
		cum += h[b];
		if (total && cum >= q * total)
			return b + 1 < BENCH_ENG_LAT_BUCKETS ? 16 << b : -1;
	}
	return 0;
}

/* Slices of the saturating vGPUs that another's wake cut short. */
static long long preemptions(void)
{
	long long sum = 0;
	unsigned int i;

	for (i = 0; i < NR - 1; i++)
		sum += bench_eng_counter(&vgpu[i], "preemptions");
	return sum;
}

/* One block of @samples FENCE round trips of the light vGPU in class @c. */
static int lat_block(struct bench_eng *light, struct lat_class *c, unsigned int samples,
		     unsigned int *seed)
{
	unsigned long long h0[BENCH_ENG_LAT_BUCKETS], h1[BENCH_ENG_LAT_BUCKETS];
	long long pre = preemptions();
	double rt[MAX_SAMPLES];
	unsigned int k, b;
	int ret;

	ret = bench_eng_set(light, "latency_class", c->name);
	if (!ret)
		ret = bench_eng_latency(light, h0);
	for (k = 0; k < samples && !ret; k++) {
		uint64_t t0, seq;

		/* idle 2..8 ms, so that every submission is a fresh wake */
		bench_eng_spin_us(2000 + rand_r(seed) % 6000);
		t0 = bench_now_ns();
		seq = mgpu_engine_fence(light->eng, false);
		ret = seq ? bench_eng_wait_all(&light, &seq, 1, 10000, 0) : -EIO;
		rt[k] = (double)(bench_now_ns() - t0) / 1000;
		if (c->n < MAX_SAMPLES)
			c->rt[c->n++] = rt[k];
	}
	if (!ret)
		ret = bench_eng_latency(light, h1);
	if (ret)
		return ret;
	for (b = 0; b < BENCH_ENG_LAT_BUCKETS; b++)
		c->hist[b] += h1[b] - h0[b];
	c->preempted += preemptions() - pre;
	bench_add(&c->p50, quantile(rt, samples, 0.50));
	bench_add(&c->p99, quantile(rt, samples, 0.99));
	return 0;
}

static void lat_class_init(struct lat_class *c, const char *name)
{
	memset(c, 0, sizeof(*c));
	c->name = name;
	snprintf(c->n50, sizeof(c->n50), "%s_roundtrip_p50", name);
	snprintf(c->n99, sizeof(c->n99), "%s_roundtrip_p99", name);
	c->p50.name = c->n50;
	c->p99.name = c->n99;
}

static void lat_report(struct lat_class *c, double slice_us)
{
	double h50 = hist_quantile(c->hist, 0.50), h99 = hist_quantile(c->hist, 0.99);
	double r50 = quantile(c->rt, c->n, 0.50), r99 = quantile(c->rt, c->n, 0.99);
	unsigned long long total = 0;
	unsigned int b;

	for (b = 0; b < BENCH_ENG_LAT_BUCKETS; b++)
		total += c->hist[b];
	printf("#   %-11s %4u round trips: p50 %6.0f us, p99 %6.0f us, max %6.0f us;",
	       c->name, c->n, r50, r99, c->n ? c->rt[c->n - 1] : 0);
	printf(" %llu starts, %lld preemptions\n", total, c->preempted);
	printf("latency_%s_start_p99 = %.3f slices  (p50 %.3f; engine/latency_us bounds)\n",
	       c->name, h99 < 0 ? 1e9 : h99 / slice_us, h50 / slice_us);
	printf("latency_%s_roundtrip_p99 = %.3f slices  (p50 %.3f; rounds' p99 median %.3f)\n",
	       c->name, r99 / slice_us, r50 / slice_us, bench_median(&c->p99) / slice_us);
}

static int run_latency(void)
{
	unsigned int r, rounds = bench_env_uint("MGPU_BENCH_ROUNDS", 4);
	unsigned int samples = bench_env_uint("MGPU_BENCH_SAMPLES", 50);
	static struct lat_class cls[2];
	struct bench_eng *light = &vgpu[NR - 1];
	unsigned int i, seed = 1;
	double slice_us;
	int ret = 0;

	samples = samples < MAX_SAMPLES / 4 ? samples : MAX_SAMPLES / 4;
	rounds = rounds * samples <= MAX_SAMPLES ? rounds : MAX_SAMPLES / samples;
	lat_class_init(&cls[0], "interactive");
	lat_class_init(&cls[1], "normal");
	for (i = 0; i < NR && !ret; i++)
		ret = bench_eng_set(&vgpu[i], "weight", "1");
	for (i = 0; i < NR - 1 && !ret; i++)
		ret = saturate(&vgpu[i], 30000);
	if (ret)
		return ret;
	slice_us = bench_eng_knob(light, "timeslice_ms") * 1000.0;
	if (slice_us <= 0)
		slice_us = 5000;
	usleep(200000);
	for (r = 0; r < rounds && !ret; r++) {
		ret = lat_block(light, &cls[r & 1], samples, &seed);
		if (!ret)
			ret = lat_block(light, &cls[!(r & 1)], samples, &seed);
	}
	for (i = 0; i < NR; i++)
		stop(&vgpu[i]);
	bench_eng_set(light, "latency_class", "normal");
	if (ret)
		return ret;
	printf("# latency: a light vGPU (slice %.0f ms) submits one FENCE every 2..8 ms\n",
	       slice_us / 1000);
	printf("# while %u vGPUs saturate the engine (BUSY %u us, same weight and slice);\n",
	       NR - 1, BUSY_US);
	printf("# %u rounds of %u samples per class; goal: p99 <= 1 slice (interactive)\n",
	       rounds, samples);
	for (i = 0; i < 2; i++)
		lat_report(&cls[i], slice_us);
	bench_print_ratio(&cls[0].p50, &cls[1].p50);
	bench_print_ratio(&cls[0].p99, &cls[1].p99);
	return 0;
}

int main(void)
{
	unsigned int i;
	int ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	bench_eng_pin_self();
	ret = bench_eng_find_parent();
	if (ret) {
		fprintf(stderr, "sched_qos: no mgpu parent: %s\n", strerror(-ret));
		return 1;
	}
	mgpu_remove_all();
	ret = bench_eng_policy("best_effort");
	for (i = 0; i < NR && !ret; i++)
		ret = bench_eng_vgpu(&vgpu[i], TYPE, false);
	if (!ret)
		ret = run_fairness();
	if (!ret)
		ret = run_latency();
	if (ret)
		fprintf(stderr, "sched_qos: %s\n", strerror(-ret));
	for (i = 0; i < NR; i++)
		bench_eng_put(&vgpu[i]);
	return ret ? 1 : 0;
}
