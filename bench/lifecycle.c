// SPDX-License-Identifier: GPL-2.0-only
/*
 * lifecycle: how long a vGPU takes to come and go as a VM manager drives it (create
 * through sysfs, open through the VFIO group and container, close, remove), against
 * the same sequence on the kernel's mtty sample in the same rounds; then how many vGPUs
 * of the smallest type one GPU holds at once, all created and all open.
 *
 *   MGPU_BENCH_TYPE (default mgpu-16M), MGPU_BENCH_ROUNDS (default 21),
 *   MGPU_BENCH_MAX=0 to leave out the concurrency count.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "mgpu_test.h"

#define MTTY_PARENT	"mtty"
#define MTTY_TYPE	"mtty-1"
#define MAX_VGPUS	1024

/* The phases of one create+open+close+remove cycle, one series each per device. */
enum phase { P_CREATE, P_OPEN, P_CLOSE, P_REMOVE, P_TOTAL, P_NR };

static const char *const phase_names[P_NR] = {
	"create", "open", "close", "remove", "total"
};

struct cycle_series {
	char names[P_NR][48];
	struct bench_series s[P_NR];
};

static void series_init(struct cycle_series *c, const char *dev)
{
	unsigned int p;

	for (p = 0; p < P_NR; p++) {
		snprintf(c->names[p], sizeof(c->names[p]), "%s_%s", dev, phase_names[p]);
		c->s[p].name = c->names[p];
	}
}

static int one_cycle(struct cycle_series *c, const char *parent, const char *type)
{
	struct mgpu_dev dev;
	uint64_t t[5];
	int ret;

	t[0] = bench_now_ns();
	ret = mgpu_create(&dev, parent, type);
	if (ret)
		return ret;
	t[1] = bench_now_ns();
	ret = mgpu_open(&dev);
	t[2] = bench_now_ns();
	mgpu_close(&dev);
	t[3] = bench_now_ns();
	mgpu_remove(dev.uuid);
	t[4] = bench_now_ns();
	if (ret)
		return ret;
	bench_add(&c->s[P_CREATE], t[1] - t[0]);
	bench_add(&c->s[P_OPEN], t[2] - t[1]);
	bench_add(&c->s[P_CLOSE], t[3] - t[2]);
	bench_add(&c->s[P_REMOVE], t[4] - t[3]);
	bench_add(&c->s[P_TOTAL], t[4] - t[0]);
	return 0;
}

static int run_latency(const char *parent, const char *type)
{
	unsigned int r, p, rounds = bench_env_uint("MGPU_BENCH_ROUNDS", 21);
	static struct cycle_series g, m;
	int ret = 0;

	series_init(&g, "mgpu");
	series_init(&m, "mtty");
	for (r = 0; r < rounds && !ret; r++) {
		if (r & 1) {
			ret = one_cycle(&m, MTTY_PARENT, MTTY_TYPE);
			if (!ret)
				ret = one_cycle(&g, parent, type);
		} else {
			ret = one_cycle(&g, parent, type);
			if (!ret)
				ret = one_cycle(&m, MTTY_PARENT, MTTY_TYPE);
		}
	}
	if (ret)
		return ret;
	printf("# lifecycle: %s vGPU vs %s, %u rounds; medians in us:\n", type, MTTY_TYPE, rounds);
	for (p = 0; p < P_NR; p++)
		printf("#   %-12s mgpu %10.0f   mtty %10.0f\n", phase_names[p],
		       bench_median(&g.s[p]) / 1000, bench_median(&m.s[p]) / 1000);
	for (p = 0; p < P_NR; p++)
		bench_print_ratio(&g.s[p], &m.s[p]);
	return 0;
}

/* The smallest "mgpu-<N>M" type the parent offers; its size in MiB, or -ENOENT. */
static long smallest_type(const char *parent, char *type, size_t len)
{
	char path[PATH_MAX];
	struct dirent *de;
	long best = -ENOENT;
	DIR *dir;

	snprintf(path, sizeof(path), "%s/class/mdev_bus/%s/mdev_supported_types",
		 mgpu_sysfs_root(), parent);
	dir = opendir(path);
	if (!dir)
		return -errno;
	while ((de = readdir(dir))) {
		long mb;

		if (strncmp(de->d_name, "mgpu-", 5))
			continue;
		mb = strtol(de->d_name + 5, NULL, 10);
		if (mb > 0 && (best < 0 || mb < best)) {
			best = mb;
			snprintf(type, len, "%s", de->d_name);
		}
	}
	closedir(dir);
	return best;
}

static int run_max(const char *parent)
{
	static struct mgpu_dev devs[MAX_VGPUS];
	unsigned int i, created = 0, opened = 0;
	char type[NAME_MAX + 1];
	long mb = smallest_type(parent, type, sizeof(type));
	long long avail;
	int err = 0;

	if (mb < 0)
		return (int)mb;
	avail = mgpu_available(parent, type);
	while (created < MAX_VGPUS) {
		err = mgpu_create(&devs[created], parent, type);
		if (err)
			break;
		created++;
	}
	for (i = 0; i < created; i++)
		opened += mgpu_open(&devs[i]) == 0;
	printf("# max_vgpus: %s, %s (%ld MiB); available_instances before: %lld\n",
	       parent, type, mb, avail);
	printf("max_vgpus(%s) = %u created, %u open at once; the next create: %s\n",
	       type, created, opened, err ? strerror(-err) : "not tried (limit)");
	for (i = 0; i < created; i++) {
		mgpu_close(&devs[i]);
		mgpu_remove(devs[i].uuid);
	}
	return opened == created ? 0 : -EIO;
}

int main(void)
{
	const char *type = getenv("MGPU_BENCH_TYPE");
	char parent[64];
	int ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	ret = mgpu_find_parent(parent, sizeof(parent));
	if (ret) {
		fprintf(stderr, "lifecycle: no mgpu parent: %s\n", strerror(-ret));
		return 1;
	}
	ret = run_latency(parent, type && *type ? type : "mgpu-16M");
	if (ret == -ENOENT)
		bench_skip("lifecycle latency", "no mtty parent: is mtty.ko loaded?");
	else if (ret)
		fprintf(stderr, "lifecycle: create+open: %s\n", strerror(-ret));
	if (bench_env_uint("MGPU_BENCH_MAX", 1) && run_max(parent))
		ret = ret ? ret : -EIO;
	return ret && ret != -ENOENT ? 1 : 0;
}
