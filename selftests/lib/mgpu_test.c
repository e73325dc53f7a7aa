// SPDX-License-Identifier: GPL-2.0-only
/*
 * mgpu selftest library: sysfs and VFIO helpers shared by the VM- and QEMU-tier tests.
 * Helpers return -errno (or a negative value) on failure and leave asserting to the test.
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
#include <sys/stat.h>

#include "kselftest.h"
#include "mgpu_test.h"

const char *mgpu_sysfs_root(void)
{
	const char *root = getenv("MGPU_SYSFS");

	return root && *root ? root : "/sys";
}

int mgpu_sysfs_read(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	while (n && buf[n - 1] == '\n')
		buf[--n] = 0;
	return n;
}

int mgpu_sysfs_write(const char *path, const char *val)
{
	ssize_t n;
	int fd = open(path, O_WRONLY);

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	n = n < 0 ? -errno : 0;
	close(fd);
	return n;
}

long long mgpu_sysfs_read_ll(const char *path)
{
	char buf[64];
	int ret = mgpu_sysfs_read(path, buf, sizeof(buf));

	return ret < 0 ? ret : strtoll(buf, NULL, 0);
}

/*
 * $MGPU_PARENT, else the software GPU with the lowest name that offers mgpu-8M (so the
 * choice does not depend on which PCI GPUs the machine has), else any such parent.
 */
int mgpu_find_parent(char *parent, size_t len)
{
	const char *want = getenv("MGPU_PARENT");
	char path[PATH_MAX], best[256] = "";
	int best_soft = 0;
	struct dirent *de;
	DIR *dir;

	if (want && *want) {
		snprintf(parent, len, "%s", want);
		return 0;
	}
	snprintf(path, sizeof(path), "%s/class/mdev_bus", mgpu_sysfs_root());
	dir = opendir(path);
	if (!dir)
		return -ENOENT;
	while ((de = readdir(dir))) {
		int soft = !strncmp(de->d_name, "mgpu-soft.", 10);

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/class/mdev_bus/%s/mdev_supported_types/mgpu-8M",
			 mgpu_sysfs_root(), de->d_name);
		if (access(path, F_OK))
			continue;
		if (!best[0] || soft > best_soft ||
		    (soft == best_soft && strcmp(de->d_name, best) < 0)) {
			snprintf(best, sizeof(best), "%s", de->d_name);
			best_soft = soft;
		}
	}
	closedir(dir);
	if (!best[0])
		return -ENOENT;
	snprintf(parent, len, "%s", best);
	return 0;
}

int mgpu_type_attr(const char *parent, const char *type, const char *attr,
		   char *buf, size_t len)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/class/mdev_bus/%s/mdev_supported_types/%s/%s",
		 mgpu_sysfs_root(), parent, type, attr);
	return mgpu_sysfs_read(path, buf, len);
}

long long mgpu_available(const char *parent, const char *type)
{
	char buf[32];
	int ret = mgpu_type_attr(parent, type, "available_instances", buf, sizeof(buf));

	return ret < 0 ? ret : atoll(buf);
}

void mgpu_new_uuid(char *uuid)
{
	if (mgpu_sysfs_read("/proc/sys/kernel/random/uuid", uuid, MGPU_UUID_LEN) < 0)
		snprintf(uuid, MGPU_UUID_LEN, "%08x-0000-4000-8000-%012x",
			 (unsigned int)getpid(), (unsigned int)rand());
}

int mgpu_create_uuid(const char *parent, const char *type, const char *uuid)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/class/mdev_bus/%s/mdev_supported_types/%s/create",
		 mgpu_sysfs_root(), parent, type);
	return mgpu_sysfs_write(path, uuid);
}

int mgpu_create(struct mgpu_dev *dev, const char *parent, const char *type)
{
	memset(dev, 0, sizeof(*dev));
	dev->container = -1;
	dev->group = -1;
	dev->fd = -1;
	snprintf(dev->parent, sizeof(dev->parent), "%s", parent);
	snprintf(dev->type, sizeof(dev->type), "%s", type);
	mgpu_new_uuid(dev->uuid);
	return mgpu_create_uuid(parent, type, dev->uuid);
}

int mgpu_remove(const char *uuid)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/bus/mdev/devices/%s/remove", mgpu_sysfs_root(), uuid);
	return mgpu_sysfs_write(path, "1");
}

/* Remove every mdev whose mdev_type link contains @needle; returns how many it removed. */
int mgpu_remove_matching(const char *needle)
{
	char path[PATH_MAX], link[PATH_MAX];
	struct dirent *de;
	int n = 0;
	DIR *dir;

	snprintf(path, sizeof(path), "%s/bus/mdev/devices", mgpu_sysfs_root());
	dir = opendir(path);
	if (!dir)
		return 0;
	while ((de = readdir(dir))) {
		ssize_t l;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/bus/mdev/devices/%s/mdev_type",
			 mgpu_sysfs_root(), de->d_name);
		l = readlink(path, link, sizeof(link) - 1);
		if (l < 0)
			continue;
		link[l] = 0;
		if (strstr(link, needle) && mgpu_remove(de->d_name) == 0)
			n++;
	}
	closedir(dir);
	return n;
}

/* Remove every mdev of mgpu's types; returns how many it removed. */
int mgpu_remove_all(void)
{
	return mgpu_remove_matching("/mgpu-");
}

static int vfio_group_of(const char *uuid)
{
	char path[PATH_MAX], link[PATH_MAX];
	ssize_t l;

	snprintf(path, sizeof(path), "%s/bus/mdev/devices/%s/iommu_group",
		 mgpu_sysfs_root(), uuid);
	l = readlink(path, link, sizeof(link) - 1);
	if (l < 0)
		return -errno;
	link[l] = 0;
	return atoi(strrchr(link, '/') + 1);
}

/* Open a created vGPU the way QEMU does: container, group, device fd. */
int mgpu_open(struct mgpu_dev *dev)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	char path[64];
	int group = vfio_group_of(dev->uuid);

	if (group < 0)
		return group;
	dev->container = open("/dev/vfio/vfio", O_RDWR);
	if (dev->container < 0)
		return -errno;
	snprintf(path, sizeof(path), "/dev/vfio/%d", group);
	dev->group = open(path, O_RDWR);
	if (dev->group < 0)
		goto err;
	if (ioctl(dev->group, VFIO_GROUP_GET_STATUS, &status) ||
	    !(status.flags & VFIO_GROUP_FLAGS_VIABLE))
		goto err;
	if (ioctl(dev->group, VFIO_GROUP_SET_CONTAINER, &dev->container) ||
	    ioctl(dev->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		goto err;
	dev->fd = ioctl(dev->group, VFIO_GROUP_GET_DEVICE_FD, dev->uuid);
	if (dev->fd < 0)
		goto err;
	dev->info.argsz = sizeof(dev->info);
	if (ioctl(dev->fd, VFIO_DEVICE_GET_INFO, &dev->info))
		goto err;
	return 0;
err:
	{
		int ret = -errno;

		mgpu_close(dev);
		return ret ? ret : -EIO;
	}
}

void mgpu_close(struct mgpu_dev *dev)
{
	if (dev->fd >= 0)
		close(dev->fd);
	if (dev->group >= 0)
		close(dev->group);
	if (dev->container >= 0)
		close(dev->container);
	dev->fd = -1;
	dev->group = -1;
	dev->container = -1;
}

int mgpu_region_info(struct mgpu_dev *dev, unsigned int index,
		     struct vfio_region_info *info)
{
	memset(info, 0, sizeof(*info));
	info->argsz = sizeof(*info);
	info->index = index;
	return ioctl(dev->fd, VFIO_DEVICE_GET_REGION_INFO, info) ? -errno : 0;
}

ssize_t mgpu_region_read(struct mgpu_dev *dev, unsigned int index, uint64_t off,
			 void *buf, size_t len)
{
	struct vfio_region_info info;
	ssize_t n;
	int ret = mgpu_region_info(dev, index, &info);

	if (ret)
		return ret;
	n = pread(dev->fd, buf, len, info.offset + off);
	return n < 0 ? -errno : n;
}

ssize_t mgpu_region_write(struct mgpu_dev *dev, unsigned int index, uint64_t off,
			  const void *buf, size_t len)
{
	struct vfio_region_info info;
	ssize_t n;
	int ret = mgpu_region_info(dev, index, &info);

	if (ret)
		return ret;
	n = pwrite(dev->fd, buf, len, info.offset + off);
	return n < 0 ? -errno : n;
}

uint32_t mgpu_cfg_read32(struct mgpu_dev *dev, unsigned int off)
{
	uint32_t v = 0xdeadbeef;

	mgpu_region_read(dev, VFIO_PCI_CONFIG_REGION_INDEX, off, &v, 4);
	return v;
}

uint16_t mgpu_cfg_read16(struct mgpu_dev *dev, unsigned int off)
{
	uint16_t v = 0xdead;

	mgpu_region_read(dev, VFIO_PCI_CONFIG_REGION_INDEX, off, &v, 2);
	return v;
}

int mgpu_cfg_write32(struct mgpu_dev *dev, unsigned int off, uint32_t val)
{
	return mgpu_region_write(dev, VFIO_PCI_CONFIG_REGION_INDEX, off, &val, 4) == 4 ? 0 : -EIO;
}

int mgpu_cfg_write16(struct mgpu_dev *dev, unsigned int off, uint16_t val)
{
	return mgpu_region_write(dev, VFIO_PCI_CONFIG_REGION_INDEX, off, &val, 2) == 2 ? 0 : -EIO;
}

/*
 * VFIO_DEVICE_SET_IRQS exactly as given: @count entries of @data (@len bytes) after the
 * header, with the header's argsz covering them. Returns 0 or -errno.
 */
int mgpu_set_irqs(struct mgpu_dev *dev, uint32_t index, uint32_t flags, uint32_t count,
		  const void *data, size_t len)
{
	struct {
		struct vfio_irq_set hdr;
		uint8_t data[64];
	} s = {
		.hdr = { .argsz = sizeof(s.hdr) + len, .flags = flags, .index = index,
			 .start = 0, .count = count },
	};

	if (len > sizeof(s.data))
		return -E2BIG;
	if (len)
		memcpy(s.data, data, len);
	return ioctl(dev->fd, VFIO_DEVICE_SET_IRQS, &s) ? -errno : 0;
}

/*
 * What a hostile VFIO user sends to SET_IRQS and the answer each must get. A device
 * that dereferences the data of a call with count 0 (the core passes none) oopses here.
 * Returns NULL when every call got its answer, or the first call that did not.
 */
const char *mgpu_set_irqs_hostile(struct mgpu_dev *dev)
{
	static char why[160];
	const uint8_t on = 1;
	static const struct {
		uint32_t index, flags, count;
		int bytes, want;
		const char *what;
	} calls[] = {
		{ VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_DATA_BOOL | VFIO_IRQ_SET_ACTION_UNMASK,
		  0, 0, 0, "INTx unmask, bool data, count 0" },
		{ VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_DATA_BOOL | VFIO_IRQ_SET_ACTION_MASK,
		  0, 0, 0, "INTx mask, bool data, count 0" },
		{ VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_DATA_BOOL | VFIO_IRQ_SET_ACTION_TRIGGER,
		  0, 0, 0, "INTx trigger, bool data, count 0" },
		{ VFIO_PCI_MSI_IRQ_INDEX, VFIO_IRQ_SET_DATA_BOOL | VFIO_IRQ_SET_ACTION_TRIGGER,
		  0, 0, 0, "MSI trigger, bool data, count 0" },
		{ VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_DATA_BOOL | VFIO_IRQ_SET_ACTION_MASK |
		  VFIO_IRQ_SET_ACTION_UNMASK, 1, 1, -EINVAL, "INTx mask and unmask at once" },
		{ VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_MASK |
		  VFIO_IRQ_SET_ACTION_TRIGGER, 1, 0, -EINVAL, "INTx mask and trigger at once" },
		{ VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_DATA_BOOL | VFIO_IRQ_SET_ACTION_UNMASK,
		  1, 1, 0, "INTx unmask, bool data, count 1" },
	};
	unsigned int i;
	int ret;

	for (i = 0; i < ARRAY_SIZE(calls); i++) {
		ret = mgpu_set_irqs(dev, calls[i].index, calls[i].flags, calls[i].count, &on,
				    calls[i].bytes);
		if (ret != calls[i].want) {
			snprintf(why, sizeof(why), "%s: got %d, want %d", calls[i].what, ret,
				 calls[i].want);
			return why;
		}
	}
	return NULL;
}

/* Is the mgpu module loaded (so a missing parent is a failure, not a SKIP)? */
int mgpu_modprobe_ok(void)
{
	return access("/sys/module/mgpu", F_OK) == 0;
}

/* Does the kernel log contain @needle? (reads /dev/kmsg non-blocking from the start) */
int mgpu_kmsg_grep(const char *needle)
{
	char rec[2048];
	int found = 0;
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);

	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t n = read(fd, rec, sizeof(rec) - 1);

		if (n < 0) {
			if (errno == EPIPE)
				continue;
			break;
		}
		rec[n] = 0;
		if (strstr(rec, needle))
			found = 1;
	}
	close(fd);
	return found;
}

/* ======== The command engine through VFIO ======== */

static uint32_t vfio_engine_rd(void *priv, uint32_t off)
{
	return mgpu_vfio_engine_read(priv, off);
}

static void vfio_engine_wr(void *priv, uint32_t off, uint32_t val)
{
	mgpu_vfio_engine_write(priv, off, val);
}

uint32_t mgpu_vfio_engine_read(struct mgpu_vfio_engine *ve, uint32_t off)
{
	uint32_t v = 0xdeadbeef;

	if (pread(ve->dev->fd, &v, 4, ve->bar3 + off) != 4)
		return 0xdeadbeef;
	return v;
}

void mgpu_vfio_engine_write(struct mgpu_vfio_engine *ve, uint32_t off, uint32_t val)
{
	if (pwrite(ve->dev->fd, &val, 4, ve->bar3 + off) != 4)
		fprintf(stderr, "engine register 0x%x: write failed: %s\n", off, strerror(errno));
}

/* Map BAR4 (the VRAM aperture) and find BAR3 (the engine registers). */
int mgpu_vfio_engine_map(struct mgpu_dev *dev, struct mgpu_vfio_engine *ve)
{
	struct vfio_region_info regs, vram;
	void *map;

	memset(ve, 0, sizeof(*ve));
	ve->dev = dev;
	if (mgpu_region_info(dev, VFIO_PCI_BAR0_REGION_INDEX + MGPU_BAR_ENGINE, &regs) ||
	    mgpu_region_info(dev, VFIO_PCI_BAR0_REGION_INDEX + MGPU_BAR_APERTURE, &vram))
		return -EIO;
	map = mmap(NULL, vram.size, PROT_READ | PROT_WRITE, MAP_SHARED, dev->fd, vram.offset);
	if (map == MAP_FAILED)
		return -errno;
	ve->bar3 = regs.offset;
	ve->vram = map;
	ve->vram_size = vram.size;
	return 0;
}

/* Map, then reset and start the engine with libmgpu's default ring layout. */
int mgpu_vfio_engine_start(struct mgpu_dev *dev, struct mgpu_vfio_engine *ve, bool poll)
{
	struct mgpu_regs regs = { vfio_engine_rd, vfio_engine_wr, ve };
	int ret = mgpu_vfio_engine_map(dev, ve);

	if (ret)
		return ret;
	regs.priv = ve;
	return mgpu_engine_start_default(&ve->eng, &regs, ve->vram, ve->vram_size, poll);
}

void mgpu_vfio_engine_unmap(struct mgpu_vfio_engine *ve)
{
	if (ve->vram)
		munmap((void *)ve->vram, ve->vram_size);
	ve->vram = NULL;
}
