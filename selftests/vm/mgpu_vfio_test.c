// SPDX-License-Identifier: GPL-2.0-only
/*
 * VM tier: a vGPU through the VFIO group/container uAPI, as QEMU opens it — device
 * and region info, config-space semantics, trapped BAR0 access, reset, isolation.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <poll.h>
#include <linux/pci_regs.h>
#include <linux/mgpu.h>

#include "kselftest_harness.h"
#include "mgpu_test.h"

#define TYPE "mgpu-16M"
#define VRAM (16u << 20)

FIXTURE(vgpu) {
	char parent[64];
	struct mgpu_dev dev;
};

FIXTURE_SETUP(vgpu)
{
	int ret;

	if (mgpu_find_parent(self->parent, sizeof(self->parent))) {
		if (!mgpu_modprobe_ok())
			SKIP(return, "the mgpu module is not loaded");
		ASSERT_TRUE(0) TH_LOG("mgpu is loaded but offers no mdev parent");
	}
	if (access("/dev/vfio/vfio", F_OK))
		SKIP(return, "no /dev/vfio/vfio (vfio not loaded)");
	mgpu_remove_all();
	ASSERT_EQ(0, mgpu_create(&self->dev, self->parent, TYPE));
	ret = mgpu_open(&self->dev);
	if (ret)
		mgpu_remove_all();	/* the harness skips teardown after a failed setup */
	ASSERT_EQ(0, ret) TH_LOG("cannot open vGPU %s through VFIO", self->dev.uuid);
}

FIXTURE_TEARDOWN(vgpu)
{
	mgpu_close(&self->dev);
	mgpu_remove_all();
}

TEST_F(vgpu, device_info)
{
	EXPECT_TRUE(self->dev.info.flags & VFIO_DEVICE_FLAGS_PCI);
	EXPECT_TRUE(self->dev.info.flags & VFIO_DEVICE_FLAGS_RESET);
	EXPECT_EQ(VFIO_PCI_NUM_REGIONS + 2, self->dev.info.num_regions);	/* display, EDID */
	EXPECT_EQ(VFIO_PCI_NUM_IRQS, self->dev.info.num_irqs);
}

TEST_F(vgpu, config_identity)
{
	struct mgpu_dev *d = &self->dev;

	EXPECT_EQ(MGPU_PCI_VENDOR_ID, mgpu_cfg_read16(d, PCI_VENDOR_ID));
	EXPECT_EQ(MGPU_PCI_DEVICE_ID, mgpu_cfg_read16(d, PCI_DEVICE_ID));
	EXPECT_EQ(MGPU_PCI_SUBSYS_VENDOR_ID, mgpu_cfg_read16(d, PCI_SUBSYSTEM_VENDOR_ID));
	EXPECT_EQ(MGPU_PCI_SUBSYS_DEVICE_ID, mgpu_cfg_read16(d, PCI_SUBSYSTEM_ID));
	EXPECT_EQ(MGPU_PCI_CLASS_DISPLAY, mgpu_cfg_read32(d, PCI_CLASS_REVISION) >> 8);
	EXPECT_EQ(0, mgpu_cfg_read32(d, PCI_CACHE_LINE_SIZE) >> 16 & 0x7f);
}

/* The all-ones probe reads back the BAR's size; absent BARs read 0. */
TEST_F(vgpu, bar_sizing)
{
	struct mgpu_dev *d = &self->dev;
	int bar;

	ASSERT_EQ(0, mgpu_cfg_write32(d, PCI_BASE_ADDRESS_0, 0xffffffff));
	EXPECT_EQ(~(VRAM - 1) | PCI_BASE_ADDRESS_MEM_PREFETCH,
		  mgpu_cfg_read32(d, PCI_BASE_ADDRESS_0));
	ASSERT_EQ(0, mgpu_cfg_write32(d, PCI_BASE_ADDRESS_0, 0xe0000000));
	EXPECT_EQ(0xe0000000 | PCI_BASE_ADDRESS_MEM_PREFETCH,
		  mgpu_cfg_read32(d, PCI_BASE_ADDRESS_0));
	ASSERT_EQ(0, mgpu_cfg_write32(d, PCI_BASE_ADDRESS_2, 0xffffffff));
	EXPECT_EQ(~(MGPU_MMIO_SIZE - 1u), mgpu_cfg_read32(d, PCI_BASE_ADDRESS_2));
	/* BAR3: the engine's registers; BAR4: the VRAM aperture (prefetchable). */
	ASSERT_EQ(0, mgpu_cfg_write32(d, PCI_BASE_ADDRESS_3, 0xffffffff));
	EXPECT_EQ(~(MGPU_ENG_SIZE - 1u), mgpu_cfg_read32(d, PCI_BASE_ADDRESS_3));
	ASSERT_EQ(0, mgpu_cfg_write32(d, PCI_BASE_ADDRESS_4, 0xffffffff));
	EXPECT_EQ(~(VRAM - 1) | PCI_BASE_ADDRESS_MEM_PREFETCH,
		  mgpu_cfg_read32(d, PCI_BASE_ADDRESS_4));
	for (bar = 1; bar < 6; bar++) {
		if (bar == MGPU_BAR_MMIO || bar == MGPU_BAR_ENGINE || bar == MGPU_BAR_APERTURE)
			continue;
		ASSERT_EQ(0, mgpu_cfg_write32(d, PCI_BASE_ADDRESS_0 + 4 * bar, 0xffffffff));
		EXPECT_EQ(0, mgpu_cfg_read32(d, PCI_BASE_ADDRESS_0 + 4 * bar));
	}
}

/* Read-only fields ignore writes; the command register keeps only its RW bits. */
TEST_F(vgpu, config_write_masks)
{
	struct mgpu_dev *d = &self->dev;

	ASSERT_EQ(0, mgpu_cfg_write32(d, PCI_VENDOR_ID, 0));
	EXPECT_EQ(MGPU_PCI_VENDOR_ID, mgpu_cfg_read16(d, PCI_VENDOR_ID));
	ASSERT_EQ(0, mgpu_cfg_write16(d, PCI_COMMAND, 0xffff));
	EXPECT_EQ(PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_PARITY |
		  PCI_COMMAND_SERR | PCI_COMMAND_INTX_DISABLE,
		  mgpu_cfg_read16(d, PCI_COMMAND));
	ASSERT_EQ(0, mgpu_cfg_write16(d, PCI_STATUS, 0xffff));
	EXPECT_EQ(PCI_STATUS_CAP_LIST, mgpu_cfg_read16(d, PCI_STATUS));
}

TEST_F(vgpu, region_info)
{
	struct vfio_region_info info;

	ASSERT_EQ(0, mgpu_region_info(&self->dev, VFIO_PCI_CONFIG_REGION_INDEX, &info));
	EXPECT_EQ(256, info.size);
	ASSERT_EQ(0, mgpu_region_info(&self->dev, VFIO_PCI_BAR0_REGION_INDEX, &info));
	EXPECT_EQ(VRAM, info.size);
	EXPECT_TRUE(info.flags & VFIO_REGION_INFO_FLAG_READ);
	EXPECT_TRUE(info.flags & VFIO_REGION_INFO_FLAG_WRITE);
	ASSERT_EQ(0, mgpu_region_info(&self->dev, VFIO_PCI_BAR1_REGION_INDEX, &info));
	EXPECT_EQ(0, info.size);
	EXPECT_EQ(-EINVAL, mgpu_region_info(&self->dev, VFIO_PCI_NUM_REGIONS + 2, &info));
	EXPECT_EQ(-EINVAL, mgpu_region_info(&self->dev, 0xffffffff, &info));
}

/* Trapped BAR0 access reaches the vGPU's VRAM and nothing past its end. */
TEST_F(vgpu, vram_rw_bounds)
{
	struct mgpu_dev *d = &self->dev;
	uint32_t pattern[64], back[64];
	unsigned int i;

	for (i = 0; i < 64; i++)
		pattern[i] = 0x5a5a0000 | i;
	ASSERT_EQ(sizeof(pattern), mgpu_region_write(d, 0, 4096, pattern, sizeof(pattern)));
	ASSERT_EQ(sizeof(back), mgpu_region_read(d, 0, 4096, back, sizeof(back)));
	EXPECT_EQ(0, memcmp(pattern, back, sizeof(back)));
	ASSERT_EQ(4, mgpu_region_write(d, 0, VRAM - 4, pattern, 4));
	EXPECT_EQ(-EINVAL, mgpu_region_write(d, 0, VRAM - 4, pattern, 8));
	EXPECT_EQ(-EINVAL, mgpu_region_read(d, 0, VRAM, back, 4));
	EXPECT_EQ(-EINVAL, mgpu_region_read(d, 0, (1ULL << 40) - 4, back, 4));
	EXPECT_EQ(-EINVAL, mgpu_region_read(d, VFIO_PCI_BAR1_REGION_INDEX, 0, back, 4));
}

/* Odd sizes and offsets in config space split into legal accesses or fail cleanly. */
TEST_F(vgpu, config_hostile_access)
{
	struct mgpu_dev *d = &self->dev;
	uint8_t buf[512];

	EXPECT_EQ(256, mgpu_region_read(d, VFIO_PCI_CONFIG_REGION_INDEX, 0, buf, 256));
	EXPECT_EQ(256, mgpu_region_read(d, VFIO_PCI_CONFIG_REGION_INDEX, 0, buf, 512));
	EXPECT_EQ(3, mgpu_region_read(d, VFIO_PCI_CONFIG_REGION_INDEX, 1, buf, 3));
	EXPECT_EQ(1, mgpu_region_read(d, VFIO_PCI_CONFIG_REGION_INDEX, 255, buf, 4));
	EXPECT_EQ(-EINVAL, mgpu_region_read(d, VFIO_PCI_CONFIG_REGION_INDEX, 256, buf, 4));
	memset(buf, 0xff, sizeof(buf));
	EXPECT_EQ(256, mgpu_region_write(d, VFIO_PCI_CONFIG_REGION_INDEX, 0, buf, 256));
	EXPECT_EQ(MGPU_PCI_VENDOR_ID, mgpu_cfg_read16(d, PCI_VENDOR_ID));
}

/*
 * Offsets are checked at their full width: 4 GiB past a register (the region's offset
 * space is 40 bits) is beyond config space and BAR2, not the register again.
 */
TEST_F(vgpu, register_offsets_full_width)
{
	struct mgpu_dev *d = &self->dev;
	const uint64_t far = 1ull << 32;
	uint32_t val = 0;

	EXPECT_EQ(-EINVAL, mgpu_region_read(d, VFIO_PCI_CONFIG_REGION_INDEX, far, &val, 4))
		TH_LOG("config space at 4 GiB + 0 read 0x%08x", val);
	val = 0x12345678;
	EXPECT_EQ(-EINVAL, mgpu_region_write(d, VFIO_PCI_CONFIG_REGION_INDEX,
					     far + PCI_BASE_ADDRESS_0, &val, 4));
	EXPECT_EQ(-EINVAL, mgpu_region_read(d, VFIO_PCI_BAR2_REGION_INDEX, far + 0x500, &val,
					    2));
	EXPECT_EQ(-EINVAL, mgpu_region_write(d, VFIO_PCI_BAR2_REGION_INDEX, far + 0x502,
					     &val, 2));
	/* Nothing reached the registers those offsets alias. */
	EXPECT_EQ(0, mgpu_cfg_read32(d, PCI_BASE_ADDRESS_0) & ~0xfu);
}

/* VFIO_DEVICE_RESET returns config space to power-on; VRAM keeps its contents. */
TEST_F(vgpu, reset)
{
	struct mgpu_dev *d = &self->dev;
	uint32_t v = 0x12345678, back = 0;

	ASSERT_EQ(0, mgpu_cfg_write16(d, PCI_COMMAND, PCI_COMMAND_MEMORY));
	ASSERT_EQ(0, mgpu_cfg_write32(d, PCI_BASE_ADDRESS_0, 0xe0000000));
	ASSERT_EQ(4, mgpu_region_write(d, 0, 0, &v, 4));
	ASSERT_EQ(0, ioctl(d->fd, VFIO_DEVICE_RESET));
	EXPECT_EQ(0, mgpu_cfg_read16(d, PCI_COMMAND));
	EXPECT_EQ(PCI_BASE_ADDRESS_MEM_PREFETCH, mgpu_cfg_read32(d, PCI_BASE_ADDRESS_0));
	ASSERT_EQ(4, mgpu_region_read(d, 0, 0, &back, 4));
	EXPECT_EQ(v, back);
}

static int irq_info(struct mgpu_dev *d, unsigned int index, struct vfio_irq_info *irq)
{
	memset(irq, 0, sizeof(*irq));
	irq->argsz = sizeof(*irq);
	irq->index = index;
	return ioctl(d->fd, VFIO_DEVICE_GET_IRQ_INFO, irq) ? -errno : 0;
}

TEST_F(vgpu, irq_info_and_unknown_ioctl)
{
	struct vfio_irq_info irq;

	ASSERT_EQ(0, irq_info(&self->dev, VFIO_PCI_INTX_IRQ_INDEX, &irq));
	EXPECT_EQ(1, irq.count);
	EXPECT_TRUE(irq.flags & VFIO_IRQ_INFO_AUTOMASKED);
	ASSERT_EQ(0, irq_info(&self->dev, VFIO_PCI_MSI_IRQ_INDEX, &irq));
	EXPECT_EQ(1, irq.count);
	ASSERT_EQ(0, irq_info(&self->dev, VFIO_PCI_MSIX_IRQ_INDEX, &irq));
	EXPECT_EQ(0, irq.count);
	ASSERT_EQ(0, irq_info(&self->dev, VFIO_PCI_REQ_IRQ_INDEX, &irq));
	EXPECT_EQ(1, irq.count);
	EXPECT_EQ(-EINVAL, irq_info(&self->dev, VFIO_PCI_ERR_IRQ_INDEX, &irq));
	EXPECT_EQ(-EINVAL, irq_info(&self->dev, VFIO_PCI_NUM_IRQS, &irq));
	EXPECT_EQ(-1, ioctl(self->dev.fd, _IO(VFIO_TYPE, VFIO_BASE + 99)));
	EXPECT_EQ(ENOTTY, errno);
}

/*
 * SET_IRQS as a hostile VFIO user sends it: data-less calls (count 0) that name a data
 * type, several actions at once. Each gets its errno, the host does not oops, and the
 * INTx trigger still installs and removes afterwards.
 */
TEST_F(vgpu, set_irqs_hostile)
{
	const char *why = mgpu_set_irqs_hostile(&self->dev);
	int32_t efd = eventfd(0, 0);

	EXPECT_EQ(NULL, why) TH_LOG("%s", why);
	ASSERT_LE(0, efd);
	EXPECT_EQ(0, mgpu_set_irqs(&self->dev, VFIO_PCI_INTX_IRQ_INDEX,
				   VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER, 1,
				   &efd, sizeof(efd)));
	EXPECT_EQ(0, mgpu_set_irqs(&self->dev, VFIO_PCI_INTX_IRQ_INDEX,
				   VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER, 0,
				   NULL, 0));
	close(efd);
}

/* A new vGPU's VRAM is zero, whatever its predecessor wrote (scrub), and vGPUs
 * never see each other's VRAM (isolation).
 */
TEST_F(vgpu, scrub_and_isolation)
{
	struct mgpu_dev *d = &self->dev, other;
	size_t chunk = 1 << 20, off, i;
	uint8_t *buf = malloc(chunk);

	ASSERT_NE(NULL, buf);
	memset(buf, 0xa5, chunk);
	for (off = 0; off < VRAM; off += chunk)
		ASSERT_EQ(chunk, mgpu_region_write(d, 0, off, buf, chunk));
	mgpu_close(d);
	ASSERT_EQ(0, mgpu_remove(d->uuid));

	ASSERT_EQ(0, mgpu_create(d, self->parent, TYPE));
	ASSERT_EQ(0, mgpu_open(d));
	ASSERT_EQ(0, mgpu_create(&other, self->parent, TYPE));
	ASSERT_EQ(0, mgpu_open(&other));
	memset(buf, 0x3c, chunk);
	ASSERT_EQ(chunk, mgpu_region_write(&other, 0, 0, buf, chunk));
	for (off = 0; off < VRAM; off += chunk) {
		ASSERT_EQ(chunk, mgpu_region_read(d, 0, off, buf, chunk));
		for (i = 0; i < chunk; i++)
			ASSERT_EQ(0, buf[i]) TH_LOG("VRAM byte %zu not scrubbed", off + i);
	}
	mgpu_close(&other);
	free(buf);
}

/* BAR0 advertises mmap and one sparse area covering the whole VRAM (QEMU maps it). */
TEST_F(vgpu, bar0_sparse_mmap_cap)
{
	union {
		struct vfio_region_info info;
		char buf[256];
	} u = { .info = { .argsz = sizeof(struct vfio_region_info),
			  .index = VFIO_PCI_BAR0_REGION_INDEX } };
	struct vfio_region_info_cap_sparse_mmap *sparse;
	struct vfio_info_cap_header *hdr;

	ASSERT_EQ(0, ioctl(self->dev.fd, VFIO_DEVICE_GET_REGION_INFO, &u.info));
	EXPECT_TRUE(u.info.flags & VFIO_REGION_INFO_FLAG_MMAP);
	ASSERT_TRUE(u.info.flags & VFIO_REGION_INFO_FLAG_CAPS);
	ASSERT_GT(u.info.argsz, sizeof(u.info));
	ASSERT_LE(u.info.argsz, sizeof(u.buf));
	ASSERT_EQ(0, ioctl(self->dev.fd, VFIO_DEVICE_GET_REGION_INFO, &u.info));
	ASSERT_EQ(sizeof(u.info), u.info.cap_offset);
	hdr = (void *)(u.buf + u.info.cap_offset);
	EXPECT_EQ(VFIO_REGION_INFO_CAP_SPARSE_MMAP, hdr->id);
	sparse = (void *)hdr;
	ASSERT_EQ(1, sparse->nr_areas);
	EXPECT_EQ(0, sparse->areas[0].offset);
	EXPECT_EQ(VRAM, sparse->areas[0].size);
}

/* /sys/bus/mdev/devices/<uuid>/mgpu/<name> as a number */
static long long vgpu_counter(struct mgpu_dev *d, const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/bus/mdev/devices/%s/mgpu/%s", mgpu_sysfs_root(),
		 d->uuid, name);
	return mgpu_sysfs_read_ll(path);
}

static void *map_bar0(struct mgpu_dev *d, off_t off, size_t len, int flags)
{
	struct vfio_region_info info;

	if (mgpu_region_info(d, VFIO_PCI_BAR0_REGION_INDEX, &info))
		return MAP_FAILED;
	return mmap(NULL, len, PROT_READ | PROT_WRITE, flags, d->fd, info.offset + off);
}

/* Loads and stores through the mapping reach the same VRAM as the trapped path. */
TEST_F(vgpu, bar0_mmap_passthrough)
{
	struct mgpu_dev *d = &self->dev;
	uint32_t *vram = map_bar0(d, 0, VRAM, MAP_SHARED);
	uint32_t v, i;

	ASSERT_NE(MAP_FAILED, vram);
	for (i = 0; i < VRAM / 4; i += 1024 + 1)
		vram[i] = i * 2654435761u;
	for (i = 0; i < VRAM / 4; i += 1024 + 1) {
		ASSERT_EQ(4, mgpu_region_read(d, 0, i * 4ULL, &v, 4));
		ASSERT_EQ(i * 2654435761u, v);
	}
	v = 0xfeedface;
	ASSERT_EQ(4, mgpu_region_write(d, 0, VRAM - 4, &v, 4));
	EXPECT_EQ(0xfeedface, vram[VRAM / 4 - 1]);
	EXPECT_LE(VRAM / 4096 / 4, vgpu_counter(d, "vram_faults"));
	EXPECT_LE(VRAM / 4 / 1025, vgpu_counter(d, "trapped_reads"));
	EXPECT_LE(1, vgpu_counter(d, "trapped_writes"));
	EXPECT_EQ(16, vgpu_counter(d, "vram_mb"));
	munmap(vram, VRAM);
}

/* Nothing outside the vGPU's own BAR0 can be mapped, and only shared mappings. */
TEST_F(vgpu, bar0_mmap_limits)
{
	struct mgpu_dev *d = &self->dev;
	struct vfio_region_info cfg;
	void *p;

	EXPECT_EQ(MAP_FAILED, map_bar0(d, 0, VRAM + 4096, MAP_SHARED));
	EXPECT_EQ(MAP_FAILED, map_bar0(d, VRAM, 4096, MAP_SHARED));
	EXPECT_EQ(MAP_FAILED, map_bar0(d, VRAM - 4096, 8192, MAP_SHARED));
	EXPECT_EQ(MAP_FAILED, map_bar0(d, 0, 4096, MAP_PRIVATE));
	ASSERT_EQ(0, mgpu_region_info(d, VFIO_PCI_CONFIG_REGION_INDEX, &cfg));
	EXPECT_EQ(MAP_FAILED, mmap(NULL, 4096, PROT_READ, MAP_SHARED, d->fd, cfg.offset));
	p = map_bar0(d, VRAM - 4096, 4096, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(0, *(uint32_t *)p);
	munmap(p, 4096);
}

/* Two vGPUs' mappings are disjoint: a store through one is invisible to the other. */
TEST_F(vgpu, bar0_mmap_isolation)
{
	struct mgpu_dev other;
	uint8_t *a, *b;
	size_t i;

	ASSERT_EQ(0, mgpu_create(&other, self->parent, TYPE));
	ASSERT_EQ(0, mgpu_open(&other));
	a = map_bar0(&self->dev, 0, VRAM, MAP_SHARED);
	b = map_bar0(&other, 0, VRAM, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, a);
	ASSERT_NE(MAP_FAILED, b);
	for (i = 0; i < VRAM; i += 4096)
		a[i] = 0x77;
	for (i = 0; i < VRAM; i += 4096)
		ASSERT_EQ(0, b[i]) TH_LOG("offset %zu", i);
	munmap(a, VRAM);
	munmap(b, VRAM);
	mgpu_close(&other);
}

/* A remove while the vGPU is open waits for its user, asks it to let go through the
 * request eventfd, says so in the log, and completes once the user closes it.
 */
TEST_F_TIMEOUT(vgpu, remove_while_open, 120)
{
	struct {
		struct vfio_irq_set set;
		int32_t fd;
	} s = {
		.set = { .argsz = sizeof(s), .index = VFIO_PCI_REQ_IRQ_INDEX, .count = 1,
			 .flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER },
	};
	struct pollfd pfd = { .events = POLLIN };
	int status;
	pid_t child;

	s.fd = eventfd(0, 0);
	ASSERT_GE(s.fd, 0);
	ASSERT_EQ(0, ioctl(self->dev.fd, VFIO_DEVICE_SET_IRQS, &s));
	child = fork();
	ASSERT_GE(child, 0);
	if (!child) {
		mgpu_close(&self->dev);	/* the fork's copies would hold the vGPU too */
		_exit(mgpu_remove(self->dev.uuid) ? 1 : 0);
	}
	pfd.fd = s.fd;
	EXPECT_EQ(1, poll(&pfd, 1, 30000)) TH_LOG("no release request within 30 s");
	EXPECT_EQ(0, waitpid(child, &status, WNOHANG)) TH_LOG("remove did not wait");
	EXPECT_EQ(1, mgpu_kmsg_grep("removal waits for the vGPU's user"));
	mgpu_close(&self->dev);
	ASSERT_EQ(child, waitpid(child, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	EXPECT_EQ(-ENOENT, mgpu_remove(self->dev.uuid));
	close(s.fd);
}

TEST_HARNESS_MAIN
