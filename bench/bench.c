// SPDX-License-Identifier: GPL-2.0-only
/*
 * mgpu benchmarks: shared timing and reporting. A ratio is the median over rounds of
 * a[i] / b[i], where a[i] and b[i] were measured back to back in round i, so that noise
 * from other VMs on the machine hits both sides of each ratio alike.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"

uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

void bench_add(struct bench_series *s, double v)
{
	if (s->n < BENCH_MAX_ROUNDS)
		s->v[s->n++] = v;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median_of(double *v, unsigned int n)
{
	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), cmp_double);
	return n & 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double bench_median(const struct bench_series *s)
{
	double v[BENCH_MAX_ROUNDS];

	memcpy(v, s->v, s->n * sizeof(*v));
	return median_of(v, s->n);
}

/* The per-round ratios a[i] / b[i], sorted; returns how many. */
static unsigned int ratios(const struct bench_series *a, const struct bench_series *b,
			   double *r)
{
	unsigned int i, n = a->n < b->n ? a->n : b->n;

	for (i = 0; i < n; i++)
		r[i] = b->v[i] ? a->v[i] / b->v[i] : 0;
	qsort(r, n, sizeof(*r), cmp_double);
	return n;
}

double bench_ratio_median(const struct bench_series *a, const struct bench_series *b)
{
	double r[BENCH_MAX_ROUNDS];
	unsigned int n = ratios(a, b, r);

	return median_of(r, n);
}

/* "a / b = 0.97  (quartiles 0.93..1.01 of N paired rounds)" */
void bench_print_ratio(const struct bench_series *a, const struct bench_series *b)
{
	double r[BENCH_MAX_ROUNDS];
	unsigned int n = ratios(a, b, r);

	if (!n) {
		printf("%s / %s = n/a  (no rounds)\n", a->name, b->name);
		return;
	}
	printf("%s / %s = %.2f  (quartiles %.2f..%.2f of %u paired rounds)\n", a->name,
	       b->name, median_of(r, n), r[n / 4], r[(3 * n) / 4], n);
}

unsigned int bench_env_uint(const char *name, unsigned int def)
{
	const char *v = getenv(name);

	return v && *v ? (unsigned int)strtoul(v, NULL, 0) : def;
}

void bench_skip(const char *what, const char *why)
{
	printf("%s: SKIP (%s)\n", what, why);
}
