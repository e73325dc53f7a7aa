/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * mgpu benchmarks: timing, medians and the ratio lines every benchmark prints. Under
 * TCG an absolute time says little, so each benchmark measures the thing under test and
 * its baseline side by side, alternating, and reports the median of the per-round ratios.
 */
#ifndef MGPU_BENCH_H
#define MGPU_BENCH_H

#include <stddef.h>
#include <stdint.h>

#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))

/* Most rounds a benchmark may record for one series. */
#define BENCH_MAX_ROUNDS	256

/* One measured series: a value per round (ns, ns per operation or bytes per second). */
struct bench_series {
	const char *name;
	unsigned int n;
	double v[BENCH_MAX_ROUNDS];
};

uint64_t bench_now_ns(void);
void bench_add(struct bench_series *s, double v);
double bench_median(const struct bench_series *s);
double bench_ratio_median(const struct bench_series *a, const struct bench_series *b);
void bench_print_ratio(const struct bench_series *a, const struct bench_series *b);
unsigned int bench_env_uint(const char *name, unsigned int def);
void bench_skip(const char *what, const char *why);

#endif /* MGPU_BENCH_H */
