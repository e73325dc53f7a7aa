// SPDX-License-Identifier: GPL-2.0-only
/*
 * mgpu benchmarks: engine contexts (vGPUs through VFIO, native contexts) driven through
 * libmgpu with its default layout — the ring and control block in the last MiB of VRAM,
 * the rest free for the commands' data — and their sysfs knobs and counters.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <linux/mgpu.h>

#include "bench.h"
#include "bench_engine.h"

char bench_eng_parent[64];

int bench_eng_find_parent(void)
{
	return mgpu_find_parent(bench_eng_parent, sizeof(bench_eng_parent));
}

/*
 * Keep this process on the last CPU. The engine's kernel thread then has the other
 * CPUs to itself, as it has on a host whose VMs run elsewhere: sharing a CPU with a
 * busy submitter would make every measurement here one of the kernel's CPU
 * scheduler (a woken engine thread waits for the next tick) instead of mgpu's.
 * Return: the CPU, or -1 on a single-CPU machine (nothing pinned).
 */
int bench_eng_pin_self(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	cpu_set_t set;

	if (n < 2)
		return -1;
	CPU_ZERO(&set);
	CPU_SET(n - 1, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -1 : (int)(n - 1);
}

/* ======== Contexts ======== */

static uint32_t native_rd(void *priv, uint32_t off)
{
	uint32_t v = 0xdeadbeef;

	if (pread(*(int *)priv, &v, 4, off) != 4)
		return 0xdeadbeef;
	return v;
}

static void native_wr(void *priv, uint32_t off, uint32_t val)
{
	if (pwrite(*(int *)priv, &val, 4, off) != 4)
		fprintf(stderr, "native register 0x%x: %s\n", off, strerror(errno));
}

static void eng_init(struct bench_eng *b)
{
	memset(b, 0, sizeof(*b));
	b->fd = -1;
	b->dev.fd = -1;
	b->dev.group = -1;
	b->dev.container = -1;
}

/* A new vGPU of @type on the benchmark's GPU, opened, its engine started. */
int bench_eng_vgpu(struct bench_eng *b, const char *type, bool poll)
{
	int ret;

	eng_init(b);
	ret = mgpu_create(&b->dev, bench_eng_parent, type);
	if (ret)
		return ret;
	snprintf(b->name, sizeof(b->name), "vgpu-%.8s", b->dev.uuid);
	ret = mgpu_open(&b->dev);
	if (!ret)
		ret = mgpu_vfio_engine_start(&b->dev, &b->ve, poll);
	if (ret)
		return ret;
	b->eng = &b->ve.eng;
	b->vram = b->ve.vram;
	b->vram_size = b->ve.vram_size;
	b->data_size = b->eng->ring_base;
	return 0;
}

/* A native context of @vram_mb MiB on the benchmark's GPU, its engine started. */
int bench_eng_native(struct bench_eng *b, unsigned int vram_mb, bool poll)
{
	struct mgpu_native_init init = { .vram_mb = vram_mb };
	struct mgpu_regs regs = { native_rd, native_wr, NULL };
	char path[128];
	void *map;

	eng_init(b);
	b->native = true;
	snprintf(b->name, sizeof(b->name), "native");
	snprintf(path, sizeof(path), "/dev/mgpu/%s", bench_eng_parent);
	b->fd = open(path, O_RDWR);
	if (b->fd < 0 || ioctl(b->fd, MGPU_NATIVE_INIT, &init))
		return -errno;
	b->vram_size = (uint64_t)vram_mb << 20;
	map = mmap(NULL, b->vram_size, PROT_READ | PROT_WRITE, MAP_SHARED, b->fd, 0);
	if (map == MAP_FAILED)
		return -errno;
	b->vram = map;
	regs.priv = &b->fd;
	b->eng = &b->neng;
	b->data_size = b->vram_size - (1u << 20);
	return mgpu_engine_start_default(b->eng, &regs, b->vram, b->vram_size, poll);
}

/* Reset the engine and start it again, with doorbell (!@poll) or doorbell-less. */
int bench_eng_restart(struct bench_eng *b, bool poll)
{
	struct mgpu_engine *e = b->eng;

	return mgpu_engine_start(e, &e->regs, e->vram, e->vram_size, e->ring_base,
				 e->ring_size, poll);
}

/* Stop the engine and give everything back (safe on a half-built context). */
void bench_eng_put(struct bench_eng *b)
{
	if (b->eng)
		b->eng->regs.write(b->eng->regs.priv, MGPU_ENG_RESET, MGPU_ENG_RESET_MAGIC);
	b->eng = NULL;
	if (b->native) {
		if (b->vram)
			munmap((void *)b->vram, b->vram_size);
		if (b->fd >= 0)
			close(b->fd);
	} else {
		mgpu_vfio_engine_unmap(&b->ve);
		mgpu_close(&b->dev);
		if (b->dev.uuid[0])
			mgpu_remove(b->dev.uuid);
	}
	eng_init(b);
}

/* ======== Commands and fences ======== */

/* Copy a command into the ring, not yet submitted. Return: 0 or -errno. */
int bench_eng_emit(struct bench_eng *b, const uint32_t *cmd, unsigned int dwords)
{
	return mgpu_engine_emit(b->eng, cmd, dwords);
}

/* Emit a FENCE of the next sequence number without submitting. Return: it, or 0. */
uint64_t bench_eng_emit_fence(struct bench_eng *b)
{
	struct mgpu_engine *e = b->eng;
	uint32_t c[MGPU_CMD_FENCE_LEN];

	mgpu_cmd_fence(c, e->fence_addr, e->seq + 1, false);
	if (mgpu_engine_emit(e, c, MGPU_CMD_FENCE_LEN))
		return 0;
	return ++e->seq;
}

/*
 * Let @us microseconds pass without sleeping: under TCG a vCPU that halts and wakes
 * again can take the host CPU from the engine's vCPU just when it matters (at the
 * next submission), so the benchmarks keep their own vCPU busy, yielding to any
 * thread the guest kernel wants to run on it.
 */
void bench_eng_spin_us(unsigned int us)
{
	uint64_t end = bench_now_ns() + (uint64_t)us * 1000;

	while (bench_now_ns() < end)
		sched_yield();
}

static void nap(unsigned int us)
{
	struct timespec ts = { 0, (long)us * 1000 };

	nanosleep(&ts, NULL);
}

/*
 * Wait until every @b[i] has written fence @seq[i], reading the fence slots in VRAM
 * (no trap). Between looks the caller's CPU naps @nap_us microseconds, as a driver
 * waiting for an interrupt would sleep, or with @nap_us 0 stays busy and yields, as
 * bench_eng_spin_us() does. Return: 0, -EIO or -ETIMEDOUT.
 */
int bench_eng_wait_all(struct bench_eng **b, const uint64_t *seq, unsigned int n,
		       unsigned int timeout_ms, unsigned int nap_us)
{
	uint64_t start = bench_now_ns(), check = start;
	unsigned int i = 0;

	while (i < n) {
		uint64_t now;

		if (mgpu_engine_completed(b[i]->eng) >= seq[i]) {
			i++;
			continue;
		}
		if (nap_us)
			nap(nap_us);
		else
			sched_yield();
		now = bench_now_ns();
		if (now - check < 100000000ULL)
			continue;
		check = now;
		if (mgpu_engine_error(b[i]->eng)) {
			fprintf(stderr, "%s: engine error %u\n", b[i]->name,
				mgpu_engine_error(b[i]->eng));
			return -EIO;
		}
		if (now - start > (uint64_t)timeout_ms * 1000000)
			return -ETIMEDOUT;
	}
	return 0;
}

/* ======== sysfs ======== */

/* Write the vGPU's QoS knob mgpu/<knob>. Return: 0 or -errno. */
int bench_eng_set(const struct bench_eng *b, const char *knob, const char *val)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/bus/mdev/devices/%s/mgpu/%s", mgpu_sysfs_root(),
		 b->dev.uuid, knob);
	return mgpu_sysfs_write(path, val);
}

/* The vGPU's QoS knob mgpu/<knob> as a number, or -errno. */
long long bench_eng_knob(const struct bench_eng *b, const char *knob)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/bus/mdev/devices/%s/mgpu/%s", mgpu_sysfs_root(),
		 b->dev.uuid, knob);
	return mgpu_sysfs_read_ll(path);
}

/* The vGPU's counter engine/<counter>, or -errno. */
long long bench_eng_counter(const struct bench_eng *b, const char *counter)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/bus/mdev/devices/%s/engine/%s", mgpu_sysfs_root(),
		 b->dev.uuid, counter);
	return mgpu_sysfs_read_ll(path);
}

/* engine/latency_us ("16:n 32:n ... inf:n") into @hist[BENCH_ENG_LAT_BUCKETS]. */
int bench_eng_latency(const struct bench_eng *b, unsigned long long *hist)
{
	char path[PATH_MAX], buf[1024], *p, *colon;
	unsigned int i;
	int ret;

	snprintf(path, sizeof(path), "%s/bus/mdev/devices/%s/engine/latency_us",
		 mgpu_sysfs_root(), b->dev.uuid);
	ret = mgpu_sysfs_read(path, buf, sizeof(buf));
	if (ret < 0)
		return ret;
	p = buf;
	for (i = 0; i < BENCH_ENG_LAT_BUCKETS; i++) {
		colon = strchr(p, ':');
		if (!colon)
			return -EPROTO;
		hist[i] = strtoull(colon + 1, &p, 10);
	}
	return 0;
}

static void gpu_path(char *path, size_t len, const char *attr)
{
	snprintf(path, len, "%s/class/mdev_bus/%s/mgpu_engine/%s", mgpu_sysfs_root(),
		 bench_eng_parent, attr);
}

/* Set the GPU's scheduling policy. Return: 0 or -errno. */
int bench_eng_policy(const char *policy)
{
	char path[PATH_MAX];

	gpu_path(path, sizeof(path), "policy");
	return mgpu_sysfs_write(path, policy);
}

/* The GPU's counter mgpu_engine/<counter>, or -errno. */
long long bench_eng_gpu_counter(const char *counter)
{
	char path[PATH_MAX];

	gpu_path(path, sizeof(path), counter);
	return mgpu_sysfs_read_ll(path);
}
