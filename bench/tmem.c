// SPDX-License-Identifier: GPL-2.0-only
/*
 * tmem: what one 4 KiB page costs on tmem's paths, measured in the same rounds as a
 * plain memcpy() of the page (the floor) and as zram with lz4 on the same kernel:
 *  - the block path: O_DIRECT 4 KiB pwrite (a put), pread (a get) and BLKDISCARD (a
 *    flush), page by page, on a persistent /dev/mgpu_tmemN and on /dev/zram0;
 *  - the ring: PUT, GET and FLUSH_PAGE of one page, one descriptor per doorbell, from a
 *    userspace VFIO driver of a tmem mdev (selftests/lib/mgpu_tmem_ring.c: the host
 *    reads and writes this process's memory with vfio_dma_rw() as it would a guest's),
 *    waiting for completion as a polling guest driver would, on the status in memory;
 *  - batching: the ring's cost per page with 1, 8 and 64 one-page descriptors behind
 *    one doorbell, and with one 64-page descriptor per doorbell.
 * Every path gets the same pages, from one buffer: MGPU_BENCH_PAGES pages of real
 * files taken in turn, machine code and text (see DATA_FILES).
 *
 *   MGPU_BENCH_ROUNDS (default 9), MGPU_BENCH_PAGES (default 1024),
 *   MGPU_BENCH_DATA (files to take pages from, ':'-separated; default DATA_FILES),
 *   MGPU_BENCH_ZRAM (default 1; 0 leaves zram out), MGPU_BENCH_RING (default 1)
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/fs.h>
#include <linux/mgpu_tmem.h>
#include <linux/pci_regs.h>

#include "bench.h"
#include "bench_engine.h"
#include "mgpu_test.h"
#include "mgpu_tmem_ring.h"

#define PG		MGPU_TMEM_PAGE_SIZE
#define TMEM_SYSFS	"/sys/kernel/mgpu_tmem"
#define NDESC		256		/* the ring: 64 descriptors per doorbell fit */
#define IOVA		0x100000000ULL	/* where the ring and pages sit for the device */
#define WAIT_NS		(10ULL * 1000000000ULL)
/*
 * The default data: pages of an executable's machine code (from 4 MiB in, past the
 * headers and symbol tables) and of English text (Python's help topics), in turn.
 */
#define DATA_FILES	"/usr/bin/qemu-system-x86_64@4194304:" \
			"/usr/lib/python3*/pydoc_data/topics.py"
#define MAX_FILES	8
/*
 * Pages between the data set and the read buffer. Without them page i of each lies
 * 4 MiB apart (1024 pages), and QEMU's TLB, direct-mapped, evicts one for the other on
 * every access of a memcpy() between them: 18 us a page instead of 1 under TCG.
 */
#define GAP_PAGES	37

enum op {
	MEMCPY_W, BLK_WRITE, ZRAM_WRITE, RING_PUT1,
	MEMCPY_R, BLK_READ, ZRAM_READ, RING_GET1,
	BLK_DISCARD, ZRAM_DISCARD, RING_FLUSH1,
	RING_PUT8, RING_PUT64, RING_PUTC64, RING_GET8, RING_GET64, RING_GETC64,
	OP_NR
};

/* ns per page, one value a round */
static struct bench_series series[OP_NR] = {
	[MEMCPY_W]	= { .name = "memcpy_4k" },
	[BLK_WRITE]	= { .name = "tmem_blk_write" },
	[ZRAM_WRITE]	= { .name = "zram_write" },
	[RING_PUT1]	= { .name = "ring_put" },
	[MEMCPY_R]	= { .name = "memcpy_4k" },
	[BLK_READ]	= { .name = "tmem_blk_read" },
	[ZRAM_READ]	= { .name = "zram_read" },
	[RING_GET1]	= { .name = "ring_get" },
	[BLK_DISCARD]	= { .name = "tmem_blk_discard" },
	[ZRAM_DISCARD]	= { .name = "zram_discard" },
	[RING_FLUSH1]	= { .name = "ring_flush" },
	[RING_PUT8]	= { .name = "ring_put_8_per_doorbell" },
	[RING_PUT64]	= { .name = "ring_put_64_per_doorbell" },
	[RING_PUTC64]	= { .name = "ring_put_one_64_page_desc" },
	[RING_GET8]	= { .name = "ring_get_8_per_doorbell" },
	[RING_GET64]	= { .name = "ring_get_64_per_doorbell" },
	[RING_GETC64]	= { .name = "ring_get_one_64_page_desc" },
};

/*
 * Everything one run uses. The data set and the read buffer lie in the tmem device's
 * "guest memory" (t.mem) when the ring is measured, else in memory of our own (@mem).
 */
struct tmem_bench {
	unsigned int pages;
	uint8_t *data, *out;
	void *mem;
	size_t mem_size;
	int blk_fd, blk_id, blk_client;
	int zram_fd;
	struct mgpu_tmem_ring t;
	bool ring;
	int pool;
	int errors;		/* ring descriptors that failed during measurement */
};

/* ======== sysfs and devices ======== */

static int write_str(const char *path, const char *val)
{
	return mgpu_sysfs_write(path, val);
}

/* /dev/mgpu_tmemN numbers that exist, as a bitmap of the first 256. */
static void blk_ids(uint8_t *map)
{
	struct dirent *de;
	DIR *dir = opendir("/sys/block");

	memset(map, 0, 32);
	while (dir && (de = readdir(dir))) {
		int n;

		if (sscanf(de->d_name, "mgpu_tmem%d", &n) == 1 && n >= 0 && n < 256)
			map[n / 8] |= 1 << (n % 8);
	}
	if (dir)
		closedir(dir);
}

/* The engine client of /dev/mgpu_tmem@id, by its name file. */
static int blk_client(int id)
{
	char path[PATH_MAX], name[64], want[32];
	struct dirent *de;
	DIR *dir = opendir(TMEM_SYSFS "/clients");
	int client = -ENOENT;

	snprintf(want, sizeof(want), "mgpu_tmem%d", id);
	while (dir && client < 0 && (de = readdir(dir))) {
		snprintf(path, sizeof(path), TMEM_SYSFS "/clients/%s/name", de->d_name);
		if (mgpu_sysfs_read(path, name, sizeof(name)) > 0 && !strcmp(name, want))
			client = atoi(de->d_name);
	}
	if (dir)
		closedir(dir);
	return client;
}

static long long client_ll(int client, const char *attr)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), TMEM_SYSFS "/clients/%d/%s", client, attr);
	return mgpu_sysfs_read_ll(path);
}

/* A persistent /dev/mgpu_tmemN of @mb MiB, opened O_DIRECT; its number in b->blk_id. */
static int blk_open(struct tmem_bench *b, unsigned int mb)
{
	uint8_t before[32], after[32];
	char arg[32], path[64];
	int i;

	blk_ids(before);
	snprintf(arg, sizeof(arg), "%u 1 persistent", mb);
	if (write_str(TMEM_SYSFS "/blk_create", arg))
		return -errno;
	blk_ids(after);
	for (i = 0; i < 256 && b->blk_id < 0; i++)
		if ((after[i / 8] & ~before[i / 8]) & (1 << (i % 8)))
			b->blk_id = i;
	if (b->blk_id < 0)
		return -ENODEV;
	b->blk_client = blk_client(b->blk_id);
	snprintf(path, sizeof(path), "/dev/mgpu_tmem%d", b->blk_id);
	b->blk_fd = open(path, O_RDWR | O_DIRECT);
	return b->blk_fd < 0 ? -errno : 0;
}

static void blk_close(struct tmem_bench *b)
{
	char arg[16];

	if (b->blk_fd >= 0)
		close(b->blk_fd);
	b->blk_fd = -1;
	if (b->blk_id < 0)
		return;
	snprintf(arg, sizeof(arg), "%d", b->blk_id);
	write_str(TMEM_SYSFS "/blk_remove", arg);
	b->blk_id = -1;
}

/* /dev/zram0 with lz4, @bytes big, opened O_DIRECT. */
static int zram_open(struct tmem_bench *b, size_t bytes)
{
	char size[32];

	if (access("/sys/block/zram0", F_OK) && system("modprobe zram num_devices=1"))
		return -ENOENT;
	if (access("/sys/block/zram0", F_OK))
		return -ENOENT;
	write_str("/sys/block/zram0/reset", "1");
	if (write_str("/sys/block/zram0/comp_algorithm", "lz4"))
		return -EINVAL;
	snprintf(size, sizeof(size), "%zu", bytes);
	if (write_str("/sys/block/zram0/disksize", size))
		return -EINVAL;
	b->zram_fd = open("/dev/zram0", O_RDWR | O_DIRECT);
	return b->zram_fd < 0 ? -errno : 0;
}

static void zram_close(struct tmem_bench *b)
{
	if (b->zram_fd >= 0) {
		close(b->zram_fd);
		write_str("/sys/block/zram0/reset", "1");
	}
	b->zram_fd = -1;
}

/* ======== the ring, from userspace through VFIO ======== */

/* The device's address of @p, a page of the data set or the read buffer. */
static uint64_t iova(struct tmem_bench *b, const void *p)
{
	return b->t.iova + ((const uint8_t *)p - b->t.mem);
}

/* A page op on object 1 of the pool: @count pages from @index, at @buf for PUT/GET. */
static void push(struct tmem_bench *b, uint8_t op, uint32_t index, uint32_t count,
		 const uint8_t *buf)
{
	struct mgpu_tmem_desc d = {
		.op = op, .pool = b->pool, .oid = 1, .index = index, .count = count,
		.addr = op == MGPU_TMEM_OP_FLUSH_PAGE ? 0 : iova(b, buf),
	};

	mgpu_tmem_push(&b->t, &d);
}

/*
 * Ring the doorbell and wait until the last descriptor queued is complete (the host
 * completes them in order), polling its status in memory as a guest driver would and
 * yielding the CPU meanwhile. Counts failed descriptors of the batch of @n in
 * b->errors. Return: 0, -ETIMEDOUT or the doorbell's error.
 */
static int kick_wait(struct tmem_bench *b, unsigned int n)
{
	struct mgpu_tmem_ring *t = &b->t;
	volatile struct mgpu_tmem_desc *last = &t->ring[(t->tail - 1) % t->size];
	uint64_t deadline = bench_now_ns() + WAIT_NS;
	unsigned int i;
	int ret = mgpu_tmem_kick(t);

	while (!ret && last->status == MGPU_TMEM_STATUS_PENDING) {
		if (bench_now_ns() > deadline)
			return -ETIMEDOUT;
		sched_yield();
	}
	__sync_synchronize();
	for (i = 1; i <= n; i++)
		b->errors += t->ring[(t->tail - i) % t->size].status != 0;
	return ret;
}

/* @op on every page of the data set, @per descriptors of @count pages per doorbell. */
static int ring_pass(struct tmem_bench *b, uint8_t op, unsigned int per, unsigned int count)
{
	const uint8_t *base = op == MGPU_TMEM_OP_PUT ? b->data : b->out;
	unsigned int i = 0, k;
	int ret = 0;

	while (i < b->pages && !ret) {
		for (k = 0; k < per && i < b->pages; k++, i += count)
			push(b, op, i, count, base + (size_t)i * PG);
		ret = kick_wait(b, k);
	}
	return ret;
}

/* A tmem mdev opened through VFIO, @pages pages of guest memory, a persistent pool. */
static int ring_open(struct tmem_bench *b, size_t pages)
{
	int ret = mgpu_tmem_ring_create(&b->t);

	if (!ret)
		ret = mgpu_tmem_ring_open(&b->t, pages, IOVA);
	if (!ret)
		ret = mgpu_tmem_ring_start(&b->t, NDESC);
	if (ret)
		return ret;
	b->pool = mgpu_tmem_new_pool(&b->t, MGPU_TMEM_POOL_PERSISTENT, NULL);
	return b->pool < 0 ? b->pool : 0;
}

static void ring_close(struct tmem_bench *b)
{
	if (b->t.dev.fd >= 0)
		mgpu_tmem_wr(&b->t, MGPU_TMEM_REG_CONTROL, MGPU_TMEM_CTRL_RESET);
	mgpu_tmem_ring_destroy(&b->t);
}

/* ======== one operation over the data set ======== */

static int blk_pass(struct tmem_bench *b, int fd, enum op op)
{
	unsigned int i;

	for (i = 0; i < b->pages; i++) {
		off_t off = (off_t)i * PG;
		uint64_t range[2] = { off, PG };
		ssize_t n = PG;

		if (op == BLK_WRITE || op == ZRAM_WRITE)
			n = pwrite(fd, b->data + off, PG, off);
		else if (op == BLK_READ || op == ZRAM_READ)
			n = pread(fd, b->out + off, PG, off);
		else if (ioctl(fd, BLKDISCARD, range))
			n = -1;
		if (n != PG)
			return n < 0 ? -errno : -EIO;
	}
	return 0;
}

static void memcpy_pass(struct tmem_bench *b)
{
	unsigned int i;

	for (i = 0; i < b->pages; i++) {
		memcpy(b->out + (size_t)i * PG, b->data + (size_t)i * PG, PG);
		__asm__ volatile("" : : "r"(b->out) : "memory");
	}
}

static int run_op(struct tmem_bench *b, enum op op)
{
	switch (op) {
	case MEMCPY_W:
	case MEMCPY_R:
		memcpy_pass(b);
		return 0;
	case BLK_WRITE:
	case BLK_READ:
	case BLK_DISCARD:
		return blk_pass(b, b->blk_fd, op);
	case ZRAM_WRITE:
	case ZRAM_READ:
	case ZRAM_DISCARD:
		return blk_pass(b, b->zram_fd, op);
	case RING_PUT1:
		return ring_pass(b, MGPU_TMEM_OP_PUT, 1, 1);
	case RING_GET1:
		return ring_pass(b, MGPU_TMEM_OP_GET, 1, 1);
	case RING_FLUSH1:
		return ring_pass(b, MGPU_TMEM_OP_FLUSH_PAGE, 1, 1);
	case RING_PUT8:
		return ring_pass(b, MGPU_TMEM_OP_PUT, 8, 1);
	case RING_PUT64:
		return ring_pass(b, MGPU_TMEM_OP_PUT, 64, 1);
	case RING_PUTC64:
		return ring_pass(b, MGPU_TMEM_OP_PUT, 1, 64);
	case RING_GET8:
		return ring_pass(b, MGPU_TMEM_OP_GET, 8, 1);
	case RING_GET64:
		return ring_pass(b, MGPU_TMEM_OP_GET, 64, 1);
	case RING_GETC64:
		return ring_pass(b, MGPU_TMEM_OP_GET, 1, 64);
	default:
		return -EINVAL;
	}
}

static bool op_enabled(struct tmem_bench *b, enum op op)
{
	if (op == ZRAM_WRITE || op == ZRAM_READ || op == ZRAM_DISCARD)
		return b->zram_fd >= 0;
	if (op >= RING_PUT8 || op == RING_PUT1 || op == RING_GET1 || op == RING_FLUSH1)
		return b->ring;
	return true;
}

/* Time @op over the data set into its series (ns per page). */
static int timed(struct tmem_bench *b, enum op op)
{
	uint64_t t0;
	int ret;

	if (!op_enabled(b, op))
		return 0;
	t0 = bench_now_ns();
	ret = run_op(b, op);
	if (!ret)
		bench_add(&series[op], (double)(bench_now_ns() - t0) / b->pages);
	else
		fprintf(stderr, "%s: %s\n", series[op].name, strerror(-ret));
	return ret;
}

/* Run the ops of one phase in a rotated order, so that none is always first. */
static int phase(struct tmem_bench *b, const enum op *ops, unsigned int n, unsigned int round)
{
	unsigned int i;
	int ret = 0;

	for (i = 0; i < n && !ret; i++)
		ret = timed(b, ops[(i + round) % n]);
	return ret;
}

/* ======== rounds ======== */

static const enum op writes[] = { MEMCPY_W, BLK_WRITE, ZRAM_WRITE, RING_PUT1 };
static const enum op reads[] = { MEMCPY_R, BLK_READ, ZRAM_READ, RING_GET1 };
static const enum op flushes[] = { BLK_DISCARD, ZRAM_DISCARD, RING_FLUSH1 };
static const enum op batched[][2] = {
	{ RING_PUT8, RING_GET8 }, { RING_PUT64, RING_GET64 }, { RING_PUTC64, RING_GETC64 },
};

/* A file to take pages from: "path[@offset]", path a glob pattern (first match). */
struct data_file {
	int fd;
	off_t off, size;
	char path[PATH_MAX];
};

static int data_file_open(struct data_file *f, char *spec)
{
	char *at = strchr(spec, '@');
	glob_t g;

	f->off = at ? strtoll(at + 1, NULL, 0) : 0;
	if (at)
		*at = 0;
	if (glob(spec, 0, NULL, &g) || !g.gl_pathc)
		return -ENOENT;
	snprintf(f->path, sizeof(f->path), "%s", g.gl_pathv[0]);
	globfree(&g);
	f->fd = open(f->path, O_RDONLY);
	if (f->fd < 0)
		return -errno;
	f->size = lseek(f->fd, 0, SEEK_END);
	if (f->size < f->off + PG)
		f->off = 0;
	return f->size >= PG ? 0 : -ENODATA;
}

/* Page @i of the data set: the next page of file @i % @n, wrapping round at its end. */
static int data_page(struct data_file *f, unsigned int n, unsigned int i, uint8_t *dst)
{
	struct data_file *df = &f[i % n];
	off_t pages = (df->size - df->off) / PG;
	off_t off = df->off + (off_t)(i / n % pages) * PG;

	return pread(df->fd, dst, PG, off) == PG ? 0 : -EIO;
}

/* Fill the data set from the files of @list (see DATA_FILES); say what it holds. */
static int load_data(struct tmem_bench *b, const char *list)
{
	struct data_file f[MAX_FILES];
	char *specs = strdup(list), *spec, *save;
	unsigned int n = 0, i;
	int ret = 0;

	for (spec = strtok_r(specs, ":", &save); spec && n < MAX_FILES;
	     spec = strtok_r(NULL, ":", &save))
		if (!data_file_open(&f[n], spec))
			n++;
	free(specs);
	if (!n) {
		printf("tmem: no data file of %s could be read\n", list);
		return -ENOENT;
	}
	for (i = 0; i < b->pages && !ret; i++)
		ret = data_page(f, n, i, b->data + (size_t)i * PG);
	printf("# data: %u pages, taken in turn from", b->pages);
	for (i = 0; i < n; i++) {
		printf("%s %s (from %lld)", i ? "," : "", f[i].path, (long long)f[i].off);
		close(f[i].fd);
	}
	printf("\n");
	return ret;
}

/* Empty every store, untimed. */
static int flush_all(struct tmem_bench *b)
{
	unsigned int i;
	int ret = 0;

	for (i = 0; i < ARRAY_SIZE(flushes) && !ret; i++)
		if (op_enabled(b, flushes[i]))
			ret = run_op(b, flushes[i]);
	return ret;
}

/* Every path returns the data set byte for byte (checked once, before measuring). */
static int verify(struct tmem_bench *b, enum op write, enum op read, const char *what)
{
	size_t len = (size_t)b->pages * PG;
	int ret;

	if (!op_enabled(b, write))
		return 0;
	memset(b->out, 0xa5, len);
	ret = run_op(b, write);
	if (!ret)
		ret = run_op(b, read);
	if (!ret && (memcmp(b->out, b->data, len) || b->errors))
		ret = -EILSEQ;
	if (ret)
		printf("%s: the data came back wrong or not at all (%s)\n", what,
		       strerror(-ret));
	return ret;
}

/* The data set as each store keeps it, for the reader of the ratios. */
static void print_data(struct tmem_bench *b)
{
	long long stored = client_ll(b->blk_client, "stored_pages");
	long long bytes = client_ll(b->blk_client, "bytes");
	long long zero = client_ll(b->blk_client, "zero_pages");
	long long comp = client_ll(b->blk_client, "compressed_pages");
	unsigned long long orig = 0, compr = 0, used = 0;
	char mm[256] = "";

	printf("# data: %lld zero pages, %lld kept compressed by tmem (lz4);", zero, comp);
	if (stored > 0 && bytes > 0)
		printf(" tmem charges %.1f %% of their size", 100.0 * bytes / (stored * PG));
	if (b->zram_fd >= 0 && mgpu_sysfs_read("/sys/block/zram0/mm_stat", mm, sizeof(mm)) > 0 &&
	    sscanf(mm, "%llu %llu %llu", &orig, &compr, &used) == 3 && orig)
		printf(", zram (lz4) compresses them to %.1f %% (%.1f %% with its allocator)",
		       100.0 * compr / orig, 100.0 * used / orig);
	printf("\n");
}

/*
 * One round. Every write goes to an empty store (the previous round ended with flushes),
 * every read finds the pages stored. The batched ring passes each store into an empty
 * pool too (flushed, untimed, after each).
 */
static int round_once(struct tmem_bench *b, unsigned int round)
{
	unsigned int i;
	int ret;

	ret = phase(b, writes, ARRAY_SIZE(writes), round);
	if (!ret)
		ret = phase(b, reads, ARRAY_SIZE(reads), round);
	if (!ret)
		ret = phase(b, flushes, ARRAY_SIZE(flushes), round);
	for (i = 0; i < ARRAY_SIZE(batched) && !ret && b->ring; i++) {
		ret = phase(b, batched[i], 2, 0);
		if (!ret)
			ret = ring_pass(b, MGPU_TMEM_OP_FLUSH_PAGE, 1, 64);
	}
	return ret;
}

/* The path under test against its baseline, when both were measured. */
static void ratio(enum op a, enum op b)
{
	if (series[a].n && series[b].n)
		bench_print_ratio(&series[a], &series[b]);
}

static void print_results(struct tmem_bench *b, unsigned int rounds)
{
	/* put, get, flush: each path against the floor, then against each other */
	static const enum op cmp[][6] = {
		{ MEMCPY_W, BLK_WRITE, ZRAM_WRITE, RING_PUT1 },
		{ MEMCPY_R, BLK_READ, ZRAM_READ, RING_GET1 },
		{ OP_NR, BLK_DISCARD, ZRAM_DISCARD, RING_FLUSH1 },
	};
	unsigned int i;

	printf("# tmem: %u rounds of %u pages per path; medians in ns per 4 KiB page:\n",
	       rounds, b->pages);
	for (i = 0; i < OP_NR; i++)
		if (series[i].n)
			printf("#   %-28s %10.0f\n", series[i].name, bench_median(&series[i]));
	for (i = 0; i < ARRAY_SIZE(cmp); i++) {
		const enum op *c = cmp[i];

		if (c[0] != OP_NR) {
			ratio(c[1], c[0]);
			ratio(c[2], c[0]);
			ratio(c[3], c[0]);
		}
		ratio(c[1], c[2]);
		ratio(c[3], c[2]);
		ratio(c[3], c[1]);
	}
	for (i = 0; i < ARRAY_SIZE(batched); i++) {
		ratio(batched[i][0], RING_PUT1);
		ratio(batched[i][1], RING_GET1);
	}
}

/* The data set and the read buffer, in the device's guest memory if there is one. */
static int buffers(struct tmem_bench *b)
{
	size_t pages = 2 * (size_t)b->pages + GAP_PAGES;

	if (b->ring) {
		b->data = mgpu_tmem_page(&b->t, 0);
	} else {
		b->mem_size = pages * PG;
		b->mem = mmap(NULL, b->mem_size, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (b->mem == MAP_FAILED)
			return -errno;
		b->data = b->mem;
	}
	b->out = b->data + ((size_t)b->pages + GAP_PAGES) * PG;
	return 0;
}

static int setup(struct tmem_bench *b)
{
	unsigned int mb = ((size_t)b->pages * PG >> 20) + 1;
	int ret;

	if (bench_env_uint("MGPU_BENCH_RING", 1)) {
		ret = ring_open(b, 2 * (size_t)b->pages + GAP_PAGES);
		b->ring = !ret;
		if (ret)
			printf("tmem ring: cannot drive a tmem mdev through VFIO: %s\n",
			       strerror(-ret));
	}
	ret = buffers(b);
	if (ret)
		return ret;
	ret = blk_open(b, mb);
	if (ret) {
		printf("tmem: cannot create a tmem block device: %s\n", strerror(-ret));
		return ret;
	}
	if (bench_env_uint("MGPU_BENCH_ZRAM", 1) && zram_open(b, (size_t)mb << 20))
		bench_skip("zram comparisons", "no zram with lz4 (modprobe zram failed?)");
	return 0;
}

int main(void)
{
	const char *data = getenv("MGPU_BENCH_DATA") ?: DATA_FILES;
	unsigned int rounds = bench_env_uint("MGPU_BENCH_ROUNDS", 9), r;
	struct tmem_bench b = {
		.blk_fd = -1, .blk_id = -1, .zram_fd = -1,
		.t.dev = { .fd = -1, .group = -1, .container = -1 },
	};
	int ret;

	b.pages = bench_env_uint("MGPU_BENCH_PAGES", 1024) & ~63u;
	if (access(TMEM_SYSFS, F_OK)) {
		bench_skip("tmem", "mgpu_tmem is not loaded");
		return 0;
	}
	if (rounds > BENCH_MAX_ROUNDS || b.pages < 64) {
		fprintf(stderr, "MGPU_BENCH_ROUNDS or MGPU_BENCH_PAGES out of range\n");
		return 1;
	}
	bench_eng_pin_self();
	ret = setup(&b);
	if (!ret)
		ret = load_data(&b, data);
	if (!ret)
		ret = verify(&b, BLK_WRITE, BLK_READ, "tmem_blk");
	if (!ret)
		ret = verify(&b, ZRAM_WRITE, ZRAM_READ, "zram");
	if (!ret)
		print_data(&b);
	if (!ret)
		ret = verify(&b, RING_PUT1, RING_GET1, "tmem ring");
	if (!ret)
		ret = verify(&b, RING_PUTC64, RING_GETC64, "tmem ring, 64-page descriptors");
	/* Start every round from empty stores. */
	if (!ret)
		ret = flush_all(&b);
	for (r = 0; r < rounds && !ret; r++)
		ret = round_once(&b, r);
	if (b.errors) {
		printf("tmem ring: %d descriptors failed while measured\n", b.errors);
		ret = -EIO;
	}
	if (!ret)
		print_results(&b, rounds);
	if (b.t.created)
		ring_close(&b);
	zram_close(&b);
	blk_close(&b);
	return ret ? 1 : 0;
}
