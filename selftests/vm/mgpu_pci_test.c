// SPDX-License-Identifier: GPL-2.0-only
/*
 * VM tier: the PCI backend on QEMU/Bochs GPUs (1234:1111) — parents under the PCI
 * device, vGPUs backed by BAR0, the pci_gpus parameter (at run time and at load time),
 * unbind/bind/driver_override, and host scanout through the parent's mgpu_scanout.
 * The VM gets its GPUs from MGPU_VM_DEVICES (scripts/check.sh: two bochs-display).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <linux/mgpu.h>

#include "kselftest_harness.h"
#include "mgpu_test.h"

#define MAX_GPUS	8
#define PCI_DEVS	"/sys/bus/pci/devices"
#define PCI_DRV		"/sys/bus/pci/drivers/mgpu"
#define DEBUGFS		"/sys/kernel/debug"
#define PARAM		"/sys/module/mgpu/parameters/pci_gpus"

/*
 * vGPUs a test opens live in the fixture, so that the teardown closes (and unmaps)
 * them before it removes them even when an assertion ends the test early: removing a
 * vGPU waits until its device file is released.
 */
FIXTURE(pci) {
	char gpu[MAX_GPUS][32];
	long long vram_mb[MAX_GPUS];
	int nr;
	struct mgpu_dev dev[3];
	void *map;
	size_t map_len;
};

static int read_hex(const char *dir, const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return (int)mgpu_sysfs_read_ll(path);
}

/* The index of the first non-zero word of @buf (@n words), or -1. */
static long first_nonzero(const uint32_t *buf, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (buf[i])
			return i;
	return -1;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* The machine's Bochs GPUs, sorted by address; their BAR0 sizes in MiB. */
static int find_gpus(char gpu[][32], long long *vram_mb)
{
	char dir[512], line[256];
	unsigned long long start, end;
	struct dirent *de;
	DIR *d = opendir(PCI_DEVS);
	int n = 0, i;

	if (!d)
		return 0;
	while ((de = readdir(d)) && n < MAX_GPUS) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(dir, sizeof(dir), PCI_DEVS "/%s", de->d_name);
		if (read_hex(dir, "vendor") == MGPU_PCI_VENDOR_ID &&
		    read_hex(dir, "device") == MGPU_PCI_DEVICE_ID)
			snprintf(gpu[n++], 32, "%.31s", de->d_name);
	}
	closedir(d);
	qsort(gpu, n, 32, cmp_str);
	for (i = 0; i < n; i++) {
		FILE *f;

		snprintf(dir, sizeof(dir), PCI_DEVS "/%s/resource", gpu[i]);
		f = fopen(dir, "r");
		vram_mb[i] = 0;
		if (f && fgets(line, sizeof(line), f) &&
		    sscanf(line, "%llx %llx", &start, &end) == 2)
			vram_mb[i] = (end - start + 1) >> 20;
		if (f)
			fclose(f);
	}
	return n;
}

/* The name of the driver bound to @bdf, or "" when none. */
static void gpu_driver(const char *bdf, char *drv, size_t len)
{
	char path[PATH_MAX], link[PATH_MAX];
	ssize_t l;

	snprintf(path, sizeof(path), PCI_DEVS "/%s/driver", bdf);
	l = readlink(path, link, sizeof(link) - 1);
	drv[0] = 0;
	if (l > 0) {
		link[l] = 0;
		snprintf(drv, len, "%s", strrchr(link, '/') + 1);
	}
}

static int bound_to_mgpu(const char *bdf)
{
	char drv[64];

	gpu_driver(bdf, drv, sizeof(drv));
	return !strcmp(drv, "mgpu");
}

static int gpu_bind(const char *bdf)
{
	return mgpu_sysfs_write(PCI_DRV "/bind", bdf);
}

static int gpu_unbind(const char *bdf)
{
	return mgpu_sysfs_write(PCI_DRV "/unbind", bdf);
}

static int has_types(const char *bdf)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), PCI_DEVS "/%s/mdev_supported_types", bdf);
	return access(path, F_OK) == 0;
}

static int scanout_read(const char *bdf, char *buf, size_t len)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), PCI_DEVS "/%s/mgpu_scanout", bdf);
	return mgpu_sysfs_read(path, buf, len);
}

static int scanout_write(const char *bdf, const char *val)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), PCI_DEVS "/%s/mgpu_scanout", bdf);
	return mgpu_sysfs_write(path, val);
}

/* The physical DISPI registers, from debugfs (mounted here if need be). */
static int dispi_read(const char *bdf, char *buf, size_t len)
{
	char path[PATH_MAX];

	if (access(DEBUGFS "/mgpu", F_OK))
		mount("debugfs", DEBUGFS, "debugfs", 0, NULL);
	snprintf(path, sizeof(path), DEBUGFS "/mgpu/%s/dispi", bdf);
	return mgpu_sysfs_read(path, buf, len);
}

static long dispi_reg(const char *dump, const char *name)
{
	char key[40];
	const char *p;

	snprintf(key, sizeof(key), "%s ", name);
	for (p = dump; p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, key, strlen(key)))
			return strtol(p + strlen(key), NULL, 0);
	return -1;
}

/* Back to the state the job left: pci_gpus=all, every Bochs GPU bound to mgpu. */
static void restore_gpus(char gpu[][32], int nr)
{
	char path[PATH_MAX];
	int i;

	mgpu_sysfs_write(PARAM, "all");
	for (i = 0; i < nr; i++) {
		snprintf(path, sizeof(path), PCI_DEVS "/%s/driver_override", gpu[i]);
		mgpu_sysfs_write(path, "\n");
		if (!bound_to_mgpu(gpu[i]))
			gpu_bind(gpu[i]);
	}
}

FIXTURE_SETUP(pci)
{
	int i;

	for (i = 0; i < 3; i++) {
		self->dev[i].fd = -1;
		self->dev[i].group = -1;
		self->dev[i].container = -1;
	}
	if (!mgpu_modprobe_ok())
		SKIP(return, "the mgpu module is not loaded");
	self->nr = find_gpus(self->gpu, self->vram_mb);
	if (!self->nr)
		SKIP(return, "no Bochs GPU (1234:1111) in this machine (MGPU_VM_DEVICES)");
	mgpu_remove_all();
	restore_gpus(self->gpu, self->nr);
	for (i = 0; i < self->nr; i++)
		ASSERT_TRUE(bound_to_mgpu(self->gpu[i])) TH_LOG("%s is not bound to mgpu",
								self->gpu[i]);
}

FIXTURE_TEARDOWN(pci)
{
	int i;

	if (self->map)
		munmap(self->map, self->map_len);
	for (i = 0; i < 3; i++)
		mgpu_close(&self->dev[i]);
	mgpu_remove_all();
	restore_gpus(self->gpu, self->nr);
}

/* Each GPU is a parent under its PCI device, with the type family of its VRAM. */
TEST_F(pci, parents_under_pci_device)
{
	char path[PATH_MAX], type[32], buf[256], want[64];
	int i;

	for (i = 0; i < self->nr; i++) {
		const char *bdf = self->gpu[i];
		long long mb;
		int nr_types = 0;

		snprintf(path, sizeof(path), "/sys/class/mdev_bus/%s", bdf);
		EXPECT_EQ(0, access(path, F_OK)) TH_LOG("%s is not an mdev parent", bdf);
		ASSERT_TRUE(has_types(bdf));
		ASSERT_GE(self->vram_mb[i], 8);
		for (mb = self->vram_mb[i]; mb >= 8; mb /= 2, nr_types++) {
			snprintf(type, sizeof(type), "mgpu-%lldM", mb);
			ASSERT_GT(mgpu_type_attr(bdf, type, "name", buf, sizeof(buf)), 0)
				TH_LOG("%s has no type %s", bdf, type);
			snprintf(want, sizeof(want), "mgpu %lldM", mb);
			EXPECT_STREQ(want, buf);
			ASSERT_GT(mgpu_type_attr(bdf, type, "description", buf, sizeof(buf)), 0);
			EXPECT_NE(NULL, strstr(buf, "backend=pci")) TH_LOG("%s", buf);
			EXPECT_EQ(self->vram_mb[i] / mb, mgpu_available(bdf, type));
		}
		snprintf(type, sizeof(type), "mgpu-%lldM", self->vram_mb[i] * 2);
		EXPECT_GT(0, mgpu_type_attr(bdf, type, "name", buf, sizeof(buf)));
		EXPECT_LE(nr_types, 8);
	}
}

/* The software parent stays the default for the other tests, and has no display. */
TEST_F(pci, soft_parent_preferred)
{
	char parent[64];

	ASSERT_EQ(0, mgpu_find_parent(parent, sizeof(parent)));
	if (access("/sys/class/mdev_bus/mgpu-soft.0", F_OK) == 0)
		EXPECT_STREQ("mgpu-soft.0", parent);
	EXPECT_NE(0, access("/sys/class/mdev_bus/mgpu-soft.0/mgpu_scanout", F_OK));
}

static void *map_vram(struct __test_metadata *_metadata, struct mgpu_dev *d, size_t len)
{
	struct vfio_region_info info;
	void *p;

	EXPECT_EQ(0, mgpu_region_info(d, VFIO_PCI_BAR0_REGION_INDEX, &info));
	EXPECT_TRUE(info.flags & VFIO_REGION_INFO_FLAG_MMAP);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, d->fd, info.offset);
	return p == MAP_FAILED ? NULL : p;
}

/*
 * A vGPU on a PCI GPU: VRAM written through the passthrough mapping (the GPU's BAR0)
 * reads back through the trapped path (the kernel's mapping of BAR0) and vice versa;
 * a second vGPU sees none of it; a new vGPU on the freed VRAM reads zeros.
 */
TEST_F(pci, vgpu_vram_through_bar0)
{
	const size_t len = 8u << 20;
	struct mgpu_dev *a = &self->dev[0], *b = &self->dev[1], *c = &self->dev[2];
	uint32_t *va, buf[1024];
	size_t i, off;

	if (access("/dev/vfio/vfio", F_OK))
		SKIP(return, "no /dev/vfio/vfio (vfio not loaded)");
	ASSERT_EQ(0, mgpu_create(a, self->gpu[0], "mgpu-8M"));
	ASSERT_EQ(0, mgpu_create(b, self->gpu[0], "mgpu-8M"));
	ASSERT_EQ(0, mgpu_open(a));
	ASSERT_EQ(0, mgpu_open(b));
	va = map_vram(_metadata, a, len);
	ASSERT_NE(NULL, va);
	self->map = va;
	self->map_len = len;
	for (i = 0; i < len / 4; i += 1021)
		va[i] = 0xa5000000u | i;
	for (off = 0; off < len; off += 1021 * 4 * 1024) {
		ASSERT_EQ(sizeof(buf), mgpu_region_read(a, VFIO_PCI_BAR0_REGION_INDEX, off,
							buf, sizeof(buf)));
		for (i = 0; i < 1024; i++)
			if ((off / 4 + i) % 1021 == 0)
				ASSERT_EQ(0xa5000000u | (off / 4 + i), buf[i]);
	}
	for (i = 0; i < 1024; i++)
		buf[i] = 0x5a5a0000u | i;
	ASSERT_EQ(sizeof(buf), mgpu_region_write(a, VFIO_PCI_BAR0_REGION_INDEX, len - 4096,
						 buf, sizeof(buf)));
	EXPECT_EQ(0x5a5a0000u | 1023, va[len / 4 - 1]);
	/* Isolation: b's VRAM is all zeros whatever a wrote. */
	for (off = 0; off < len; off += sizeof(buf)) {
		ASSERT_EQ(sizeof(buf), mgpu_region_read(b, VFIO_PCI_BAR0_REGION_INDEX, off,
							buf, sizeof(buf)));
		ASSERT_EQ(-1, first_nonzero(buf, 1024)) TH_LOG("vGPU b: data at %#zx", off);
	}
	munmap(va, len);
	self->map = NULL;
	mgpu_close(a);
	mgpu_close(b);
	ASSERT_EQ(0, mgpu_remove(a->uuid));
	/* The scrub: the next tenant of a's VRAM reads zeros. */
	ASSERT_EQ(0, mgpu_create(c, self->gpu[0], "mgpu-8M"));
	ASSERT_EQ(0, mgpu_open(c));
	for (off = 0; off < len; off += 1021 * 4 * 1024) {
		ASSERT_EQ(sizeof(buf), mgpu_region_read(c, VFIO_PCI_BAR0_REGION_INDEX, off,
							buf, sizeof(buf)));
		ASSERT_EQ(-1, first_nonzero(buf, 1024)) TH_LOG("vGPU c: data at %#zx", off);
	}
}

/* pci_gpus at run time: bad values refused; probe honours the list; "all" restores. */
TEST_F(pci, pci_gpus_runtime)
{
	char buf[256];
	const char *last;

	if (self->nr < 2)
		SKIP(return, "needs two Bochs GPUs");
	last = self->gpu[self->nr - 1];
	ASSERT_GT(mgpu_sysfs_read(PARAM, buf, sizeof(buf)), 0);
	EXPECT_STREQ("all", buf);
	EXPECT_EQ(-EINVAL, mgpu_sysfs_write(PARAM, "00:zz.9"));
	EXPECT_EQ(-EINVAL, mgpu_sysfs_write(PARAM, "0000:00:20.0"));
	EXPECT_EQ(-EINVAL, mgpu_sysfs_write(PARAM, "all,\x01"));
	EXPECT_EQ(1, mgpu_kmsg_grep("is not a PCI address"));
	ASSERT_GT(mgpu_sysfs_read(PARAM, buf, sizeof(buf)), 0);
	EXPECT_STREQ("all", buf);

	/* Only the first GPU (short form, no domain) is allowed now. */
	ASSERT_EQ(0, mgpu_sysfs_write(PARAM, self->gpu[0] + 5));
	ASSERT_EQ(0, gpu_unbind(last));
	EXPECT_FALSE(has_types(last));
	EXPECT_NE(0, gpu_bind(last));
	EXPECT_FALSE(bound_to_mgpu(last));
	EXPECT_EQ(1, mgpu_kmsg_grep("not driving this GPU"));
	EXPECT_TRUE(bound_to_mgpu(self->gpu[0]));
	ASSERT_EQ(0, mgpu_sysfs_write(PARAM, "none"));
	EXPECT_NE(0, gpu_bind(last));
	snprintf(buf, sizeof(buf), " %s , %s\n", self->gpu[0], last);
	ASSERT_EQ(0, mgpu_sysfs_write(PARAM, buf));
	EXPECT_EQ(0, gpu_bind(last));
	EXPECT_TRUE(has_types(last));
	ASSERT_EQ(0, mgpu_sysfs_write(PARAM, "all"));
}

/* Unbind removes the parent (and its vGPUs); bind and driver_override bring it back. */
TEST_F(pci, unbind_bind)
{
	const char *bdf = self->gpu[self->nr - 1];
	char path[PATH_MAX], uuid[MGPU_UUID_LEN];
	struct mgpu_dev d;

	ASSERT_EQ(0, mgpu_create(&d, bdf, "mgpu-8M"));
	snprintf(uuid, sizeof(uuid), "%s", d.uuid);
	ASSERT_EQ(0, gpu_unbind(bdf));
	EXPECT_FALSE(has_types(bdf));
	snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s", uuid);
	EXPECT_NE(0, access(path, F_OK)) TH_LOG("vGPU %s outlived its GPU", uuid);
	snprintf(path, sizeof(path), "/sys/class/mdev_bus/%s", bdf);
	EXPECT_NE(0, access(path, F_OK));
	ASSERT_EQ(0, gpu_bind(bdf));
	EXPECT_TRUE(has_types(bdf));
	ASSERT_EQ(0, mgpu_create(&d, bdf, "mgpu-8M"));
	ASSERT_EQ(0, mgpu_remove(d.uuid));

	/* The handover flow an admin uses for a GPU another driver held. */
	ASSERT_EQ(0, gpu_unbind(bdf));
	snprintf(path, sizeof(path), PCI_DEVS "/%s/driver_override", bdf);
	ASSERT_EQ(0, mgpu_sysfs_write(path, "mgpu"));
	ASSERT_EQ(0, mgpu_sysfs_write("/sys/bus/pci/drivers_probe", bdf));
	EXPECT_TRUE(bound_to_mgpu(bdf));
	EXPECT_TRUE(has_types(bdf));
	ASSERT_EQ(0, mgpu_sysfs_write(path, "\n"));
}

static int load_mgpu(const char *params)
{
	char path[PATH_MAX];
	const char *top = getenv("MGPU_TOP");
	struct utsname u;
	int fd, ret;

	uname(&u);
	snprintf(path, sizeof(path), "%s/build/%s/mod/mgpu.ko", top && *top ? top : ".",
		 u.release);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, params, 0) ? -errno : 0;
	close(fd);
	return ret;
}

/* pci_gpus at load time; the module is reloaded as the job loaded it. */
TEST_F(pci, pci_gpus_at_load)
{
	char soft[32], vram[32], params[256], buf[64];
	int i, ret;

	if (self->nr < 2)
		SKIP(return, "needs two Bochs GPUs");
	ASSERT_GT(mgpu_sysfs_read("/sys/module/mgpu/parameters/soft_gpus", soft,
				  sizeof(soft)), 0);
	ASSERT_GT(mgpu_sysfs_read("/sys/module/mgpu/parameters/soft_vram_mb", vram,
				  sizeof(vram)), 0);
	ASSERT_EQ(0, syscall(SYS_delete_module, "mgpu", O_NONBLOCK)) TH_LOG("rmmod: %m");
	snprintf(params, sizeof(params), "soft_gpus=%s soft_vram_mb=%s pci_gpus=%s", soft,
		 vram, self->gpu[1]);
	ret = load_mgpu(params);
	if (ret == 0) {
		EXPECT_FALSE(bound_to_mgpu(self->gpu[0]));
		EXPECT_TRUE(bound_to_mgpu(self->gpu[1]));
		EXPECT_GT(mgpu_sysfs_read(PARAM, buf, sizeof(buf)), 0);
		EXPECT_STREQ(self->gpu[1], buf);
		EXPECT_EQ(0, syscall(SYS_delete_module, "mgpu", O_NONBLOCK));
	}
	/* A malformed list makes the load fail. */
	snprintf(params, sizeof(params), "soft_gpus=%s pci_gpus=bogus", soft);
	EXPECT_EQ(-EINVAL, load_mgpu(params));
	snprintf(params, sizeof(params), "soft_gpus=%s soft_vram_mb=%s", soft, vram);
	ASSERT_EQ(0, load_mgpu(params)) TH_LOG("could not reload mgpu: the job is broken");
	ASSERT_EQ(0, ret) TH_LOG("load with pci_gpus=%s: %d", self->gpu[1], ret);
	for (i = 0; i < self->nr; i++)
		EXPECT_TRUE(bound_to_mgpu(self->gpu[i]));
}

/* mgpu_scanout: host by default; only this GPU's vGPUs; follows their removal. */
TEST_F(pci, scanout_attribute)
{
	char buf[128], host[1024], now[1024];
	struct mgpu_dev a, b;

	if (self->nr < 2)
		SKIP(return, "needs two Bochs GPUs");
	ASSERT_GT(scanout_read(self->gpu[0], buf, sizeof(buf)), 0);
	EXPECT_STREQ("host", buf);
	ASSERT_GT(dispi_read(self->gpu[0], host, sizeof(host)), 0)
		TH_LOG("no debugfs mgpu/%s/dispi", self->gpu[0]);
	EXPECT_EQ(MGPU_DISPI_ID0, dispi_reg(host, "id") & 0xfff0) TH_LOG("%s", host);
	ASSERT_EQ(0, mgpu_create(&a, self->gpu[0], "mgpu-8M"));
	ASSERT_EQ(0, mgpu_create(&b, self->gpu[1], "mgpu-8M"));

	ASSERT_EQ(0, scanout_write(self->gpu[0], a.uuid));
	ASSERT_GT(scanout_read(self->gpu[0], buf, sizeof(buf)), 0);
	EXPECT_STREQ(a.uuid, buf);
	/* a has no mode yet: the display keeps the host's state. */
	ASSERT_GT(dispi_read(self->gpu[0], now, sizeof(now)), 0);
	EXPECT_STREQ(host, now);

	EXPECT_EQ(-EINVAL, scanout_write(self->gpu[0], "not-a-uuid"));
	EXPECT_EQ(-EINVAL, scanout_write(self->gpu[0], "\n"));
	EXPECT_EQ(-EINVAL, scanout_write(self->gpu[0], "12345678-1234-1234-1234-1234567890123"));
	EXPECT_EQ(1, mgpu_kmsg_grep("is neither \"host\" nor a vGPU UUID"));
	EXPECT_EQ(-EINVAL, scanout_write(self->gpu[0], "12345678-1234-1234-1234-123456789012"));
	EXPECT_EQ(-EINVAL, scanout_write(self->gpu[0], b.uuid));
	EXPECT_EQ(1, mgpu_kmsg_grep("no vGPU"));
	ASSERT_GT(scanout_read(self->gpu[0], buf, sizeof(buf)), 0);
	EXPECT_STREQ(a.uuid, buf);
	ASSERT_GT(scanout_read(self->gpu[1], buf, sizeof(buf)), 0);
	EXPECT_STREQ("host", buf);

	ASSERT_EQ(0, scanout_write(self->gpu[0], "host\n"));
	ASSERT_GT(scanout_read(self->gpu[0], buf, sizeof(buf)), 0);
	EXPECT_STREQ("host", buf);

	/* The chosen vGPU goes away: the display goes back to the host. */
	ASSERT_EQ(0, scanout_write(self->gpu[0], a.uuid));
	ASSERT_EQ(0, mgpu_remove(a.uuid));
	ASSERT_GT(scanout_read(self->gpu[0], buf, sizeof(buf)), 0);
	EXPECT_STREQ("host", buf);
	ASSERT_GT(dispi_read(self->gpu[0], now, sizeof(now)), 0);
	EXPECT_STREQ(host, now);
}

static int bar2_write16(struct mgpu_dev *d, uint32_t off, uint16_t v)
{
	return mgpu_region_write(d, VFIO_PCI_BAR2_REGION_INDEX, off, &v, 2) == 2 ? 0 : -EIO;
}

static int dispi_set(struct mgpu_dev *d, unsigned int reg, uint16_t v)
{
	return bar2_write16(d, MGPU_MMIO_DISPI + 2 * reg, v);
}

/* Open @d and check that its BAR2 registers are emulated; 0, or 1 to SKIP. */
static int open_with_bar2(struct __test_metadata *_metadata, struct mgpu_dev *d)
{
	struct vfio_region_info info;
	uint16_t xres = 0;

	if (mgpu_open(d))
		return -1;
	if (mgpu_region_info(d, VFIO_PCI_BAR2_REGION_INDEX, &info) ||
	    info.size < MGPU_MMIO_SIZE || dispi_set(d, MGPU_DISPI_XRES, 640) ||
	    mgpu_region_read(d, VFIO_PCI_BAR2_REGION_INDEX,
			     MGPU_MMIO_DISPI + 2 * MGPU_DISPI_XRES, &xres, 2) != 2 ||
	    xres != 640) {
		mgpu_close(d);
		return 1;
	}
	return 0;
}

/* What bochs-drm does: unblank, then a 640x480x32 mode, @y lines into VRAM. */
static int set_mode(struct mgpu_dev *d, uint16_t y)
{
	uint8_t unblank = 0x20;

	if (mgpu_region_write(d, VFIO_PCI_BAR2_REGION_INDEX, MGPU_MMIO_VGA, &unblank, 1) != 1)
		return -EIO;
	return dispi_set(d, MGPU_DISPI_ENABLE, 0) ||
	       dispi_set(d, MGPU_DISPI_BPP, 32) ||
	       dispi_set(d, MGPU_DISPI_XRES, 640) ||
	       dispi_set(d, MGPU_DISPI_YRES, 480) ||
	       dispi_set(d, MGPU_DISPI_ENABLE, MGPU_DISPI_ENABLED | MGPU_DISPI_LFB_ENABLED) ||
	       dispi_set(d, MGPU_DISPI_VIRT_WIDTH, 640) ||
	       dispi_set(d, MGPU_DISPI_Y_OFFSET, y) ? -EIO : 0;
}

/* The byte offset in the GPU's VRAM of the first visible pixel (32 bpp), or -1. */
static long long shown_offset(const char *dump)
{
	if (dispi_reg(dump, "xres") != 640 || dispi_reg(dump, "yres") != 480 ||
	    dispi_reg(dump, "bpp") != 32 || dispi_reg(dump, "virt_width") != 640 ||
	    (dispi_reg(dump, "enable") & (MGPU_DISPI_ENABLED | MGPU_DISPI_LFB_ENABLED)) !=
	    (MGPU_DISPI_ENABLED | MGPU_DISPI_LFB_ENABLED))
		return -1;
	return (dispi_reg(dump, "y_offset") * 640 + dispi_reg(dump, "x_offset")) * 4;
}

#define NOTIFY_HINT "the display did not follow the guest: does the register emulation call mgpu_scanout_notify()?"

/*
 * A mode the guest sets through BAR2 appears on the GPU's display at the translated
 * offset; turning the display off, or a device reset, gives it back to the host.
 */
TEST_F(pci, scanout_follows_mode)
{
	const char *bdf = self->gpu[0];
	char host[1024], now[1024];
	struct mgpu_dev *a = &self->dev[0];
	int ret;

	if (access("/dev/vfio/vfio", F_OK))
		SKIP(return, "no /dev/vfio/vfio (vfio not loaded)");
	ASSERT_GT(dispi_read(bdf, host, sizeof(host)), 0);
	ASSERT_EQ(0, mgpu_create(a, bdf, "mgpu-16M"));
	ret = open_with_bar2(_metadata, a);
	ASSERT_LE(0, ret);
	if (ret)
		SKIP(return, "the vGPU's BAR2 registers are not emulated yet (vfio-glue/mmio.c)");
	ASSERT_EQ(0, scanout_write(bdf, a->uuid));
	ASSERT_EQ(0, set_mode(a, 480));	/* the second of two buffers */
	ASSERT_GT(dispi_read(bdf, now, sizeof(now)), 0);
	ASSERT_LE(0, shown_offset(now)) TH_LOG(NOTIFY_HINT "\n%s", now);
	/* The first visible byte: the vGPU's offset, moved by whole chunks. */
	EXPECT_EQ(640 * 4 * 480 % (1 << 20), shown_offset(now) % (1 << 20));

	ASSERT_EQ(0, dispi_set(a, MGPU_DISPI_ENABLE, 0));
	ASSERT_GT(dispi_read(bdf, now, sizeof(now)), 0);
	EXPECT_STREQ(host, now);

	ASSERT_EQ(0, set_mode(a, 0));
	ASSERT_GT(dispi_read(bdf, now, sizeof(now)), 0);
	EXPECT_LE(0, shown_offset(now)) TH_LOG("%s", now);
	ASSERT_EQ(0, ioctl(a->fd, VFIO_DEVICE_RESET));
	ASSERT_GT(dispi_read(bdf, now, sizeof(now)), 0);
	EXPECT_STREQ(host, now) TH_LOG("a reset vGPU is still shown");
	ASSERT_GT(scanout_read(bdf, now, sizeof(now)), 0);
	EXPECT_STREQ(a->uuid, now);
}

/*
 * A framebuffer that straddles two non-adjacent chunks is not shown; one within a
 * contiguous part of the same partition is, at exactly its physical offset.
 */
TEST_F(pci, scanout_needs_contiguous_vram)
{
	const char *bdf = self->gpu[self->nr - 1];
	char host[1024], now[1024];
	struct mgpu_dev *a = &self->dev[0], q[4];
	int i, ret;

	if (access("/dev/vfio/vfio", F_OK))
		SKIP(return, "no /dev/vfio/vfio (vfio not loaded)");
	if (self->vram_mb[self->nr - 1] != 32)
		SKIP(return, "needs a 32 MiB Bochs GPU (bochs-display,vgamem=32M)");
	ASSERT_GT(dispi_read(bdf, host, sizeof(host)), 0);
	/* Chunks 8-15 and 24-31 free: a 16M vGPU gets both runs (lowest first). */
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, mgpu_create(&q[i], bdf, "mgpu-8M"));
	ASSERT_EQ(0, mgpu_remove(q[1].uuid));
	ASSERT_EQ(0, mgpu_remove(q[3].uuid));
	ASSERT_EQ(0, mgpu_create(a, bdf, "mgpu-16M"));
	ret = open_with_bar2(_metadata, a);
	ASSERT_LE(0, ret);
	if (ret)
		SKIP(return, "the vGPU's BAR2 registers are not emulated yet (vfio-glue/mmio.c)");
	ASSERT_EQ(0, scanout_write(bdf, a->uuid));

	ASSERT_EQ(0, set_mode(a, 0));
	ASSERT_GT(dispi_read(bdf, now, sizeof(now)), 0);
	EXPECT_EQ(8 << 20, shown_offset(now)) TH_LOG(NOTIFY_HINT "\n%s", now);

	/* Lines 3200..3679 cross the partition's 8 MiB mark: chunk 15 -> chunk 24. */
	ASSERT_EQ(0, set_mode(a, 3200));
	ASSERT_GT(dispi_read(bdf, now, sizeof(now)), 0);
	EXPECT_STREQ(host, now);
	EXPECT_EQ(1, mgpu_kmsg_grep("is not contiguous in the GPU's VRAM"));
	ASSERT_GT(scanout_read(bdf, now, sizeof(now)), 0);
	EXPECT_STREQ(a->uuid, now);
}

TEST_HARNESS_MAIN
