// SPDX-License-Identifier: GPL-2.0-only
/*
 * VM tier: mgpu's mdev sysfs contract as mdevctl, libvirt, Nova and KubeVirt use it —
 * types, their attributes, create/remove, and exact available_instances.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <dirent.h>

#include "kselftest_harness.h"
#include "mgpu_test.h"

#define MAX_TYPES 8

FIXTURE(parent) {
	char parent[64];
	char types[MAX_TYPES][64];
	long long vram_mb[MAX_TYPES];
	int nr_types;
};

static long long type_vram_mb(const char *type)
{
	return atoll(type + strlen("mgpu-"));
}

FIXTURE_SETUP(parent)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *dir;

	if (mgpu_find_parent(self->parent, sizeof(self->parent))) {
		if (!mgpu_modprobe_ok())
			SKIP(return, "the mgpu module is not loaded");
		ASSERT_TRUE(0) TH_LOG("mgpu is loaded but offers no mdev parent");
	}
	mgpu_remove_all();
	snprintf(path, sizeof(path), "%s/class/mdev_bus/%s/mdev_supported_types",
		 mgpu_sysfs_root(), self->parent);
	dir = opendir(path);
	ASSERT_NE(NULL, dir);
	while ((de = readdir(dir)) && self->nr_types < MAX_TYPES) {
		if (strncmp(de->d_name, "mgpu-", 5))
			continue;
		snprintf(self->types[self->nr_types], 64, "%.63s", de->d_name);
		self->vram_mb[self->nr_types] = type_vram_mb(de->d_name);
		self->nr_types++;
	}
	closedir(dir);
	ASSERT_GT(self->nr_types, 0);
}

FIXTURE_TEARDOWN(parent)
{
	mgpu_remove_all();
}

/* The largest type is the whole GPU. */
static long long total_mb(const long long *vram_mb, int nr_types)
{
	long long max = 0;
	int i;

	for (i = 0; i < nr_types; i++)
		if (vram_mb[i] > max)
			max = vram_mb[i];
	return max;
}

/* Every type's attributes follow the mdev contract and mgpu's naming. */
TEST_F(parent, type_attributes)
{
	char buf[256], want[64];
	int i;

	for (i = 0; i < self->nr_types; i++) {
		const char *t = self->types[i];

		ASSERT_GT(mgpu_type_attr(self->parent, t, "name", buf, sizeof(buf)), 0);
		snprintf(want, sizeof(want), "mgpu %lldM", self->vram_mb[i]);
		EXPECT_STREQ(want, buf);
		ASSERT_GT(mgpu_type_attr(self->parent, t, "device_api", buf, sizeof(buf)), 0);
		EXPECT_STREQ("vfio-pci", buf);
		ASSERT_GT(mgpu_type_attr(self->parent, t, "description", buf, sizeof(buf)), 0);
		snprintf(want, sizeof(want), "vram=%lldM, heads=1, max_resolution=",
			 self->vram_mb[i]);
		EXPECT_EQ(0, strncmp(buf, want, strlen(want))) TH_LOG("description: %s", buf);
		EXPECT_NE(NULL, strstr(buf, self->vram_mb[i] >= 32 ? "=3840x2160," :
					self->vram_mb[i] >= 16 ? "=2560x1600," : "=1920x1080,"))
			TH_LOG("description: %s", buf);
		EXPECT_EQ(total_mb(self->vram_mb, self->nr_types) / self->vram_mb[i],
			  mgpu_available(self->parent, t));
	}
}

/* Type names are unique per parent (KubeVirt keys on them). */
TEST_F(parent, type_names_unique)
{
	char a[64], b[64];
	int i, j;

	for (i = 0; i < self->nr_types; i++)
		for (j = i + 1; j < self->nr_types; j++) {
			mgpu_type_attr(self->parent, self->types[i], "name", a, sizeof(a));
			mgpu_type_attr(self->parent, self->types[j], "name", b, sizeof(b));
			EXPECT_STRNE(a, b);
		}
}

/* create makes a device with the mdev links; remove takes it and its VRAM away. */
TEST_F(parent, create_remove)
{
	char path[PATH_MAX], link[PATH_MAX];
	struct mgpu_dev dev;
	const char *t = self->types[0];
	long long before = mgpu_available(self->parent, t);
	ssize_t l;

	ASSERT_EQ(0, mgpu_create(&dev, self->parent, t));
	EXPECT_EQ(before - 1, mgpu_available(self->parent, t));
	snprintf(path, sizeof(path), "%s/bus/mdev/devices/%s/mdev_type", mgpu_sysfs_root(),
		 dev.uuid);
	l = readlink(path, link, sizeof(link) - 1);
	ASSERT_GT(l, 0);
	link[l] = 0;
	EXPECT_NE(NULL, strstr(link, t));
	snprintf(path, sizeof(path), "%s/bus/mdev/devices/%s/iommu_group", mgpu_sysfs_root(),
		 dev.uuid);
	EXPECT_EQ(0, access(path, F_OK));
	ASSERT_EQ(0, mgpu_remove(dev.uuid));
	EXPECT_EQ(before, mgpu_available(self->parent, t));
	EXPECT_EQ(-ENOENT, mgpu_remove(dev.uuid));
}

/* A second create with the same UUID fails with EEXIST and changes nothing. */
TEST_F(parent, duplicate_uuid)
{
	struct mgpu_dev dev;
	const char *t = self->types[self->nr_types - 1];
	long long before;

	ASSERT_EQ(0, mgpu_create(&dev, self->parent, t));
	before = mgpu_available(self->parent, t);
	EXPECT_EQ(-EEXIST, mgpu_create_uuid(self->parent, t, dev.uuid));
	EXPECT_EQ(before, mgpu_available(self->parent, t));
}

/* A malformed UUID is refused. */
TEST_F(parent, bad_uuid)
{
	const char *t = self->types[0];

	EXPECT_EQ(-EINVAL, mgpu_create_uuid(self->parent, t, "not-a-uuid"));
	EXPECT_EQ(-EINVAL, mgpu_create_uuid(self->parent, t, "\n"));
	EXPECT_EQ(-EINVAL, mgpu_create_uuid(self->parent, t,
					    "12345678-1234-1234-1234-12345678901"));
}

static int smallest(const long long *vram_mb, int nr_types)
{
	int i, s = 0;

	for (i = 1; i < nr_types; i++)
		if (vram_mb[i] < vram_mb[s])
			s = i;
	return s;
}

/* available_instances reaches 0 exactly when the next create fails (ENOSPC). */
TEST_F(parent, capacity)
{
	int s = smallest(self->vram_mb, self->nr_types);
	const char *t = self->types[s];
	long long n = mgpu_available(self->parent, t), i;
	struct mgpu_dev dev;

	ASSERT_GT(n, 0);
	for (i = 0; i < n; i++)
		ASSERT_EQ(0, mgpu_create(&dev, self->parent, t));
	EXPECT_EQ(0, mgpu_available(self->parent, t));
	EXPECT_EQ(-ENOSPC, mgpu_create(&dev, self->parent, t));
	EXPECT_EQ(1, mgpu_kmsg_grep("no room for a"));
}

/* Mixed sizes: after every create, each type's count predicts the next create. */
TEST_F(parent, mixed_sizes_exact)
{
	struct mgpu_dev dev;
	int i, j, made = 0;

	for (j = 0; j < 64; j++) {
		i = j % self->nr_types;
		long long avail = mgpu_available(self->parent, self->types[i]);
		int ret = mgpu_create(&dev, self->parent, self->types[i]);

		ASSERT_EQ(avail > 0 ? 0 : -ENOSPC, ret)
			TH_LOG("%s: available %lld", self->types[i], avail);
		made += !ret;
	}
	EXPECT_GT(made, 1);
	for (i = 0; i < self->nr_types; i++)
		EXPECT_EQ(0, mgpu_available(self->parent, self->types[i]));
}

/* Kernel memory in use that no cache can give back (slab, vmalloc), in KiB. */
static long long kernel_kib(void)
{
	char line[128];
	long long v, sum = 0;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "SUnreclaim: %lld", &v) == 1 ||
		    sscanf(line, "VmallocUsed: %lld", &v) == 1)
			sum += v;
	fclose(f);
	return sum;
}

/* 1000 create/open/close/remove cycles leave the VRAM accounting exactly where it
 * started and kernel memory within 4 MiB of it (a leak of 4 KiB a cycle would show).
 */
TEST_F_TIMEOUT(parent, create_open_remove_cycles, 900)
{
	long long before[MAX_TYPES], kib;
	int s = smallest(self->vram_mb, self->nr_types);
	struct mgpu_dev dev;
	int i, c;

	for (i = 0; i < self->nr_types; i++)
		before[i] = mgpu_available(self->parent, self->types[i]);
	for (c = 0; c < 50; c++) {	/* warm the slab caches */
		ASSERT_EQ(0, mgpu_create(&dev, self->parent, self->types[s]));
		ASSERT_EQ(0, mgpu_open(&dev));
		mgpu_close(&dev);
		ASSERT_EQ(0, mgpu_remove(dev.uuid));
	}
	kib = kernel_kib();
	for (c = 0; c < 1000; c++) {
		int t = c % 8 ? s : c % self->nr_types;	/* mostly the smallest type */

		ASSERT_EQ(0, mgpu_create(&dev, self->parent, self->types[t]));
		ASSERT_EQ(0, mgpu_open(&dev));
		mgpu_close(&dev);
		ASSERT_EQ(0, mgpu_remove(dev.uuid));
	}
	for (i = 0; i < self->nr_types; i++)
		EXPECT_EQ(before[i], mgpu_available(self->parent, self->types[i]));
	kib = kernel_kib() - kib;
	EXPECT_LT(kib, 4096) TH_LOG("kernel memory grew by %lld KiB", kib);
}

TEST_HARNESS_MAIN
