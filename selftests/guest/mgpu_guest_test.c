// SPDX-License-Identifier: GPL-2.0-only
/*
 * Guest tier: runs inside a nested guest that has a vGPU assigned through QEMU's
 * vfio-pci, finds it on the guest's PCI bus and proves that guest accesses to BAR0
 * reach the vGPU's VRAM. Built static; needs only sysfs. A missing vGPU is a failure.
 *
 *   MGPU_SYSFS           sysfs root (default /sys)
 *   MGPU_GUEST_VRAM_MIB  the vGPU type's VRAM size in MiB (default 16, mgpu-16M)
 *   MGPU_SEED_IN         seed of the pattern the vGPU's previous user (a QEMU on the
 *                        host) left in VRAM before this guest's QEMU opened it
 *   MGPU_SEED_OUT        seed of the pattern to leave in VRAM for the host to check
 * run-nested.sh passes the seeds on the guest's kernel command line, which hands them
 * to /init's environment; the handoff offsets and pattern are shared with it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <linux/pci_regs.h>
#include <linux/mgpu.h>

#include "kselftest_harness.h"
#include "mgpu_guest.h"

/* struct resource flags as sysfs 'resource' prints them (include/linux/ioport.h). */
#define RES_MEM		0x00000200ULL
#define RES_PREFETCH	0x00002000ULL
#define RES_MEM_64	0x00100000ULL

#define PAGE_4K		4096u
#define NR_STD_BARS	6
#define HANDOFF_N	16	/* dwords handed between host and guest */

struct bar_res {
	unsigned long long start, end, flags;
};

static size_t expected_vram(void)
{
	const char *mib = getenv("MGPU_GUEST_VRAM_MIB");

	return (size_t)(mib && *mib ? strtoul(mib, NULL, 0) : 16) << 20;
}

static int pci_attr_write(const char *bdf, const char *attr, const char *val)
{
	char path[512];
	ssize_t len = strlen(val);
	int fd, ret;

	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/%s", sysfs_root(), bdf, attr);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	ret = write(fd, val, len) == len ? 0 : -errno;
	close(fd);
	return ret;
}

static int pci_open(const char *bdf, const char *file, int flags)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/%s", sysfs_root(), bdf, file);
	return open(path, flags);
}

/* Line @bar of the device's 'resource' file: "start end flags" per standard BAR. */
static int read_bar_res(const char *bdf, int bar, struct bar_res *res)
{
	char line[128];
	int i, ret = -ENOENT;
	FILE *f;
	int fd;

	fd = pci_open(bdf, "resource", O_RDONLY);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		return -errno;
	}
	for (i = 0; fgets(line, sizeof(line), f); i++) {
		if (i == bar) {
			if (sscanf(line, "%llx %llx %llx", &res->start, &res->end,
				   &res->flags) == 3)
				ret = 0;
			break;
		}
	}
	fclose(f);
	return ret;
}

static uint32_t cfg_read32(const char *bdf, unsigned int off)
{
	uint32_t val = ~0u;
	int fd = pci_open(bdf, "config", O_RDONLY);

	if (fd < 0)
		return ~0u;
	if (pread(fd, &val, sizeof(val), off) != sizeof(val))
		val = ~0u;
	close(fd);
	return val;
}

/*
 * MMIO accessors on the mapped BAR, like the kernel's readl()/writel(): relaxed atomics
 * are single accesses of exactly that width that the compiler may neither merge, split
 * nor drop.
 */
#define DEFINE_BAR_ACCESSORS(bits)						\
static uint##bits##_t bar_read##bits(void *bar, size_t off)			\
{										\
	return __atomic_load_n((uint##bits##_t *)((char *)bar + off),		\
			       __ATOMIC_RELAXED);				\
}										\
static void bar_write##bits(void *bar, size_t off, uint##bits##_t val)		\
{										\
	__atomic_store_n((uint##bits##_t *)((char *)bar + off), val,		\
			 __ATOMIC_RELAXED);					\
}

DEFINE_BAR_ACCESSORS(8)
DEFINE_BAR_ACCESSORS(16)
DEFINE_BAR_ACCESSORS(32)
DEFINE_BAR_ACCESSORS(64)

/*
 * One dword in every 4 KiB page of the BAR, at an offset within the page that moves
 * with the page, so page-granular aliasing and in-page address bits both show.
 */
static size_t sample_off(size_t page)
{
	return page * PAGE_4K + (page * 4) % PAGE_4K;
}

/* A value that differs per location and per run, so stale or aliased data shows. */
static uint32_t pattern(uint32_t seed, size_t off)
{
	uint32_t x = seed ^ (uint32_t)off * 2654435761u;

	return x ^ x >> 15;
}

static void fill(void *bar, size_t size, uint32_t seed)
{
	size_t page;

	for (page = 0; page < size / PAGE_4K; page++)
		bar_write32(bar, sample_off(page), pattern(seed, sample_off(page)));
	bar_write32(bar, size - 4, pattern(seed, size - 4));
}

/* The number of sampled dwords that do not hold their pattern; logs the first. */
static size_t verify(struct __test_metadata *_metadata, void *bar, size_t size,
		     uint32_t seed)
{
	size_t page, bad = 0, off;
	uint32_t got;

	for (page = 0; page <= size / PAGE_4K; page++) {
		off = page < size / PAGE_4K ? sample_off(page) : size - 4;
		got = bar_read32(bar, off);
		if (got != pattern(seed, off) && !bad++)
			TH_LOG("BAR0+0x%zx: read 0x%08x, wrote 0x%08x", off, got,
			       pattern(seed, off));
	}
	return bad;
}

/* Handoff dword @k: one in each sixteenth of VRAM, at a different in-page offset. */
static size_t handoff_off(size_t size, unsigned int k)
{
	return k * (size / HANDOFF_N) + 8 * k;
}

/*
 * The guest's handoff to the host spreads over the upper half of VRAM only: the drm
 * tests run after this binary, and bochs-drm allocates its framebuffers from the bottom
 * of VRAM. The frame those tests show the host covers the lower half's first pages.
 */
static size_t handoff_out_off(size_t size, unsigned int k)
{
	return size / 2 + handoff_off(size / 2, k);
}

static bool env_seed(const char *name, uint32_t *seed)
{
	const char *val = getenv(name);

	if (!val || !*val)
		return false;
	*seed = strtoul(val, NULL, 0);
	return true;
}

FIXTURE(vgpu) {
	char bdf[BDF_LEN];
	size_t size;
	void *bar;
};

FIXTURE_SETUP(vgpu)
{
	int fd, ret;

	self->bar = MAP_FAILED;
	self->size = expected_vram();
	ret = find_vgpu(self->bdf, sizeof(self->bdf));
	ASSERT_EQ(0, ret) TH_LOG("no %04x:%04x (subsystem %04x:%04x) under %s/bus/pci: %s",
				 MGPU_PCI_VENDOR_ID, MGPU_PCI_DEVICE_ID,
				 MGPU_PCI_SUBSYS_VENDOR_ID, MGPU_PCI_SUBSYS_DEVICE_ID,
				 sysfs_root(), strerror(-ret));
	/* Memory decode on; a driver would do the same with pci_enable_device(). */
	ASSERT_EQ(0, pci_attr_write(self->bdf, "enable", "1"));
	ASSERT_TRUE(cfg_read32(self->bdf, PCI_COMMAND) & PCI_COMMAND_MEMORY);
	fd = pci_open(self->bdf, "resource0", O_RDWR | O_SYNC);
	ASSERT_LE(0, fd) TH_LOG("open %s/resource0: %s", self->bdf, strerror(errno));
	self->bar = mmap(NULL, self->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	ASSERT_NE(MAP_FAILED, self->bar) TH_LOG("mmap %s/resource0 (%zu bytes): %s",
						self->bdf, self->size, strerror(errno));
}

FIXTURE_TEARDOWN(vgpu)
{
	if (self->bar != MAP_FAILED)
		munmap(self->bar, self->size);
	if (self->bdf[0])
		pci_attr_write(self->bdf, "enable", "0");
}

/*
 * Runs first: the vGPU's previous user (a QEMU on the host, which wrote a pattern
 * through VFIO and read it back before it closed the vGPU) left nothing this guest can
 * read: its VRAM was scrubbed before this guest's QEMU opened the reused mdev.
 */
TEST_F(vgpu, previous_tenant_scrubbed)
{
	unsigned int k;
	uint32_t seed, got;
	size_t off;

	if (!env_seed("MGPU_SEED_IN", &seed))
		SKIP(return, "no MGPU_SEED_IN (run-nested.sh sets it)");
	for (k = 0; k < HANDOFF_N; k++) {
		off = handoff_off(self->size, k);
		got = bar_read32(self->bar, off);
		EXPECT_EQ(0, got) TH_LOG("BAR0+0x%zx: 0x%08x%s", off, got,
					 got == pattern(seed, off) ?
					 " is the previous user's data" : "");
	}
}

/* The IDs the guest sees are mgpu's, from config space through QEMU's vfio-pci. */
TEST_F(vgpu, identity)
{
	TH_LOG("vGPU at %s", self->bdf);
	EXPECT_EQ(MGPU_PCI_VENDOR_ID, pci_attr(self->bdf, "vendor"));
	EXPECT_EQ(MGPU_PCI_DEVICE_ID, pci_attr(self->bdf, "device"));
	EXPECT_EQ(MGPU_PCI_SUBSYS_VENDOR_ID, pci_attr(self->bdf, "subsystem_vendor"));
	EXPECT_EQ(MGPU_PCI_SUBSYS_DEVICE_ID, pci_attr(self->bdf, "subsystem_device"));
	EXPECT_EQ(MGPU_PCI_CLASS_DISPLAY, pci_attr(self->bdf, "class"));
	EXPECT_EQ(MGPU_PCI_REVISION, pci_attr(self->bdf, "revision"));
}

/* A BAR the UAPI header names; any other must be absent. */
static bool bar_in_uapi(int bar)
{
	return bar == MGPU_BAR_VRAM || bar == MGPU_BAR_MMIO || bar == MGPU_BAR_ENGINE ||
	       bar == MGPU_BAR_APERTURE;
}

/* BAR0 is the VRAM: its size, a 32-bit prefetchable memory BAR; no BARs beyond the UAPI. */
TEST_F(vgpu, bar0_resource)
{
	struct bar_res res;
	uint32_t cfg;
	int bar;

	ASSERT_EQ(0, read_bar_res(self->bdf, MGPU_BAR_VRAM, &res));
	ASSERT_NE(0, res.start) TH_LOG("the guest's firmware did not assign BAR0");
	EXPECT_EQ(self->size, res.end - res.start + 1);
	EXPECT_EQ(RES_MEM | RES_PREFETCH, res.flags & (RES_MEM | RES_PREFETCH | RES_MEM_64));
	cfg = cfg_read32(self->bdf, PCI_BASE_ADDRESS_0);
	EXPECT_EQ(res.start | PCI_BASE_ADDRESS_MEM_PREFETCH, cfg);
	for (bar = 0; bar < NR_STD_BARS; bar++) {
		if (bar_in_uapi(bar))
			continue;
		ASSERT_EQ(0, read_bar_res(self->bdf, bar, &res));
		EXPECT_EQ(0, res.end) TH_LOG("unexpected BAR%d", bar);
	}
}

/* Every page of BAR0 holds its own value: writes reach VRAM, not one aliased cell. */
TEST_F_TIMEOUT(vgpu, bar0_pattern, 180)
{
	uint32_t seed = (uint32_t)time(NULL) ^ (uint32_t)getpid() << 16;

	fill(self->bar, self->size, seed);
	EXPECT_EQ(0, verify(_metadata, self->bar, self->size, seed));
	fill(self->bar, self->size, ~seed);
	EXPECT_EQ(0, verify(_metadata, self->bar, self->size, ~seed));
}

/* Byte, word, dword and qword accesses see one little-endian VRAM. */
TEST_F(vgpu, bar0_widths)
{
	size_t mid = self->size / 2;
	void *bar = self->bar;

	bar_write64(bar, mid, 0);
	bar_write8(bar, mid, 0x11);
	bar_write8(bar, mid + 1, 0x22);
	bar_write8(bar, mid + 2, 0x33);
	bar_write8(bar, mid + 3, 0x44);
	EXPECT_EQ(0x44332211u, bar_read32(bar, mid));
	bar_write16(bar, mid + 4, 0x6655);
	bar_write16(bar, mid + 6, 0x8877);
	EXPECT_EQ(0x8877665544332211ull, bar_read64(bar, mid));
	bar_write64(bar, mid, 0x0123456789abcdefull);
	EXPECT_EQ(0x89abcdefu, bar_read32(bar, mid));
	EXPECT_EQ(0x01234567u, bar_read32(bar, mid + 4));
	EXPECT_EQ(0xcdef, bar_read16(bar, mid));
	EXPECT_EQ(0x23, bar_read8(bar, mid + 6));
}

/*
 * A function reset from the guest reaches the vGPU (QEMU turns it into
 * VFIO_DEVICE_RESET); VRAM keeps its contents across it, as the driver documents,
 * and BAR0 decodes again once the guest restores config space.
 */
TEST_F_TIMEOUT(vgpu, reset_keeps_vram, 120)
{
	uint32_t seed = (uint32_t)time(NULL) * 2654435761u;
	int fd;

	fd = pci_open(self->bdf, "reset", O_WRONLY);
	if (fd < 0)
		SKIP(return, "the guest has no reset method for %s", self->bdf);
	close(fd);
	fill(self->bar, self->size, seed);
	ASSERT_EQ(0, pci_attr_write(self->bdf, "reset", "1"));
	EXPECT_TRUE(cfg_read32(self->bdf, PCI_COMMAND) & PCI_COMMAND_MEMORY);
	EXPECT_EQ(0, verify(_metadata, self->bar, self->size, seed));
}

/*
 * Runs last: leave a pattern in VRAM that run-nested.sh reads back through the admin's
 * mgpu/framebuffer once QEMU has exited, so guest writes are shown to reach the vGPU's
 * VRAM (and that the next user of the vGPU then reads zero there).
 */
TEST_F(vgpu, vram_to_host)
{
	unsigned int k;
	uint32_t seed;
	size_t off;

	if (!env_seed("MGPU_SEED_OUT", &seed))
		SKIP(return, "no MGPU_SEED_OUT (run-nested.sh sets it)");
	for (k = 0; k < HANDOFF_N; k++) {
		off = handoff_out_off(self->size, k);
		bar_write32(self->bar, off, pattern(seed, off));
	}
	for (k = 0; k < HANDOFF_N; k++) {
		off = handoff_out_off(self->size, k);
		EXPECT_EQ(pattern(seed, off), bar_read32(self->bar, off));
	}
}

TEST_HARNESS_MAIN
