// SPDX-License-Identifier: GPL-2.0-only
/*
 * vram_bw: bandwidth of a vGPU's VRAM (BAR0) as QEMU passes it through (the device
 * file's mmap) and through the trapped read()/write() path, each against memcpy() on
 * plain host memory of the same size, measured alternately in the same rounds.
 *
 *   MGPU_BENCH_TYPE (default mgpu-16M), MGPU_BENCH_ROUNDS (default 11),
 *   MGPU_BENCH_REPS (runs of each operation per round, the best kept; default 3)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include <linux/mgpu.h>

#include "bench.h"
#include "mgpu_test.h"

/* One round's operations, each timed as bytes per second. */
enum vram_op {
	OP_HOST_WRITE, OP_VRAM_WRITE, OP_HOST_READ, OP_VRAM_READ,
	OP_HOST_WRITE_P, OP_PWRITE, OP_HOST_READ_P, OP_PREAD,
	OP_HOST_FRESH, OP_VRAM_FRESH, OP_NR
};

static struct bench_series series[OP_NR] = {
	[OP_HOST_WRITE] = { .name = "host_memcpy_write" },
	[OP_VRAM_WRITE] = { .name = "vram_mmap_write" },
	[OP_HOST_READ]  = { .name = "host_memcpy_read" },
	[OP_VRAM_READ]  = { .name = "vram_mmap_read" },
	/* The trapped path's own baselines, so every pair is from one round. */
	[OP_HOST_WRITE_P] = { .name = "host_memcpy_write" },
	[OP_HOST_READ_P] = { .name = "host_memcpy_read" },
	[OP_PWRITE]     = { .name = "vram_pwrite" },
	[OP_PREAD]      = { .name = "vram_pread" },
	[OP_HOST_FRESH] = { .name = "host_fresh_mmap_write" },
	[OP_VRAM_FRESH] = { .name = "vram_fresh_mmap_write" },
};

/* The buffers of one run: the mapped BAR0 and host memory of the same size. */
struct vram_bench {
	struct mgpu_dev dev;
	uint64_t bar_off;	/* BAR0's offset in the device file */
	size_t size;
	char *vram, *src, *host, *dst;
};

static void *map_anon(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static void *map_bar0(struct vram_bench *b)
{
	void *p = mmap(NULL, b->size, PROT_READ | PROT_WRITE, MAP_SHARED, b->dev.fd,
		       b->bar_off);

	return p == MAP_FAILED ? NULL : p;
}

static int xfer(int fd, char *buf, size_t size, uint64_t off, int write)
{
	size_t done = 0;

	while (done < size) {
		ssize_t n = write ? pwrite(fd, buf + done, size - done, off + done) :
				    pread(fd, buf + done, size - done, off + done);
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		done += n;
	}
	return 0;
}

/* A fresh mapping, written once and unmapped: the first-touch (page fault) path. */
static int fresh_write(struct vram_bench *b, int vram)
{
	char *p = vram ? map_bar0(b) : map_anon(b->size);

	if (!p)
		return -errno;
	memcpy(p, b->src, b->size);
	munmap(p, b->size);
	return 0;
}

static int run_op(struct vram_bench *b, enum vram_op op)
{
	switch (op) {
	case OP_HOST_WRITE:
	case OP_HOST_WRITE_P:
		memcpy(b->host, b->src, b->size);
		return 0;
	case OP_VRAM_WRITE:
		memcpy(b->vram, b->src, b->size);
		return 0;
	case OP_HOST_READ:
	case OP_HOST_READ_P:
		memcpy(b->dst, b->host, b->size);
		return 0;
	case OP_VRAM_READ:
		memcpy(b->dst, b->vram, b->size);
		return 0;
	case OP_PWRITE:
		return xfer(b->dev.fd, b->src, b->size, b->bar_off, 1);
	case OP_PREAD:
		return xfer(b->dev.fd, b->dst, b->size, b->bar_off, 0);
	case OP_HOST_FRESH:
		return fresh_write(b, 0);
	default:
		return fresh_write(b, 1);
	}
}

/* Best of MGPU_BENCH_REPS runs: preemption by other VMs only ever makes a run slower. */
static int timed_op(struct vram_bench *b, enum vram_op op)
{
	unsigned int k, reps = bench_env_uint("MGPU_BENCH_REPS", 3);
	uint64_t best = UINT64_MAX;

	for (k = 0; k < reps; k++) {
		uint64_t t0 = bench_now_ns();
		int ret = run_op(b, op);
		uint64_t dt = bench_now_ns() - t0;

		if (ret)
			return ret;
		best = dt && dt < best ? dt : best;
	}
	bench_add(&series[op], (double)b->size * 1e9 / best);
	return 0;
}

/* Pairs (host, vGPU); odd rounds run the vGPU side first so order cancels out. */
static const enum vram_op pairs[][2] = {
	{ OP_HOST_WRITE, OP_VRAM_WRITE }, { OP_HOST_READ, OP_VRAM_READ },
	{ OP_HOST_WRITE_P, OP_PWRITE }, { OP_HOST_READ_P, OP_PREAD },
	{ OP_HOST_FRESH, OP_VRAM_FRESH },
};

static int run_round(struct vram_bench *b, unsigned int round)
{
	unsigned int i, first = round & 1;
	int ret = 0;

	for (i = 0; i < ARRAY_SIZE(pairs) && !ret; i++) {
		ret = timed_op(b, pairs[i][first]);
		if (!ret)
			ret = timed_op(b, pairs[i][!first]);
	}
	return ret;
}

static int setup(struct vram_bench *b, const char *type)
{
	struct vfio_region_info info;
	char parent[64];
	int ret;

	ret = mgpu_find_parent(parent, sizeof(parent));
	if (!ret)
		ret = mgpu_create(&b->dev, parent, type);
	if (ret)
		return ret;
	ret = mgpu_open(&b->dev);
	if (!ret)
		ret = mgpu_region_info(&b->dev, VFIO_PCI_BAR0_REGION_INDEX + MGPU_BAR_VRAM, &info);
	if (ret)
		return ret;
	b->bar_off = info.offset;
	b->size = info.size;
	b->vram = map_bar0(b);
	b->src = map_anon(b->size);
	b->host = map_anon(b->size);
	b->dst = map_anon(b->size);
	if (!b->vram || !b->src || !b->host || !b->dst)
		return -ENOMEM;
	/* Fault everything in once: the steady state is what a running guest sees. */
	memset(b->src, 0x5a, b->size);
	memset(b->host, 0, b->size);
	memset(b->dst, 0, b->size);
	memcpy(b->vram, b->src, b->size);
	return 0;
}

/* The mapping and the trapped path must see the same bytes, or nothing here means much. */
static int check_coherent(struct vram_bench *b)
{
	size_t i;

	for (i = 0; i < b->size; i += 4096)
		b->src[i] = (char)(i >> 12);
	memcpy(b->vram, b->src, b->size);
	if (xfer(b->dev.fd, b->dst, b->size, b->bar_off, 0))
		return -EIO;
	return memcmp(b->src, b->dst, b->size) ? -EIO : 0;
}

static void teardown(struct vram_bench *b)
{
	if (b->vram)
		munmap(b->vram, b->size);
	mgpu_close(&b->dev);
	if (b->dev.uuid[0])
		mgpu_remove(b->dev.uuid);
}

static void report(struct vram_bench *b)
{
	unsigned int i;

	printf("# vram_bw: %zu MiB BAR0 of a %s vGPU, %u rounds, best of %u runs each;\n",
	       b->size >> 20, b->dev.type, series[0].n, bench_env_uint("MGPU_BENCH_REPS", 3));
	printf("# medians in MiB/s:\n");
	for (i = 0; i < OP_NR; i++) {
		if (i == OP_HOST_WRITE_P || i == OP_HOST_READ_P)
			continue;
		printf("#   %-24s %10.1f\n", series[i].name,
		       bench_median(&series[i]) / (1 << 20));
	}
	bench_print_ratio(&series[OP_VRAM_WRITE], &series[OP_HOST_WRITE]);
	bench_print_ratio(&series[OP_VRAM_READ], &series[OP_HOST_READ]);
	bench_print_ratio(&series[OP_PWRITE], &series[OP_HOST_WRITE_P]);
	bench_print_ratio(&series[OP_PREAD], &series[OP_HOST_READ_P]);
	bench_print_ratio(&series[OP_VRAM_FRESH], &series[OP_HOST_FRESH]);
}

int main(void)
{
	const char *type = getenv("MGPU_BENCH_TYPE");
	unsigned int r, rounds = bench_env_uint("MGPU_BENCH_ROUNDS", 11);
	struct vram_bench b = { .dev = { .fd = -1, .group = -1, .container = -1 } };
	int ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	ret = setup(&b, type && *type ? type : "mgpu-16M");
	if (ret) {
		fprintf(stderr, "vram_bw: cannot set up a vGPU: %s\n", strerror(-ret));
		teardown(&b);
		return 1;
	}
	ret = check_coherent(&b);
	for (r = 0; r < rounds && !ret; r++)
		ret = run_round(&b, r);
	if (ret)
		fprintf(stderr, "vram_bw: %s\n", strerror(-ret));
	else
		report(&b);
	teardown(&b);
	return ret ? 1 : 0;
}
