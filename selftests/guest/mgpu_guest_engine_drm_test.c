// SPDX-License-Identifier: GPL-2.0-only
/*
 * Guest tier, with the stock bochs-drm bound to the vGPU: a guest program drives the
 * vGPU's command engine from userspace, through the two BARs bochs-drm leaves free —
 * BAR3 (engine registers, trapped by the host) and BAR4 (the VRAM aperture, passed
 * through) — mapped from sysfs as any root program can on a Debian guest, whose kernel
 * sets IO_STRICT_DEVMEM (BAR0, which bochs-drm claimed, cannot be mapped that way).
 * It uses libmgpu, by doorbell and doorbell-less.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <linux/mgpu.h>

#include "kselftest_harness.h"
#include "mgpu_guest.h"
#include "mgpu_engine.h"

#define MB	(1024u * 1024)
#define DATA	(8 * MB)	/* above what bochs-drm's framebuffers use at 1280x800 */
#define WAIT_MS	60000

static void *map_bar(const char *bdf, int bar, size_t *len)
{
	char path[512];
	void *p;
	int fd;
	off_t size;

	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/resource%d", sysfs_root(), bdf,
		 bar);
	fd = open(path, O_RDWR | O_SYNC);
	if (fd < 0)
		return NULL;
	size = lseek(fd, 0, SEEK_END);
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return NULL;
	*len = size;
	return p;
}

static uint32_t bar3_rd(void *priv, uint32_t off)
{
	return *(volatile uint32_t *)((uint8_t *)priv + off);
}

static void bar3_wr(void *priv, uint32_t off, uint32_t val)
{
	*(volatile uint32_t *)((uint8_t *)priv + off) = val;
}

static uint32_t crc32_ref(const volatile uint8_t *p, size_t n)
{
	uint32_t crc = ~0u;
	size_t i;
	int b;

	for (i = 0; i < n; i++) {
		crc ^= p[i];
		for (b = 0; b < 8; b++)
			crc = (crc >> 1) ^ (0xedb88320u & -(crc & 1));
	}
	return ~crc;
}

/*
 * What the tests overwrite — their data and the ring in the last MiB — is saved and put
 * back, so the VRAM pattern the guest leaves for the host (mgpu_guest_test) survives.
 */
#define SAVE_DATA	(3 * MB)
#define SAVE_RING	MB

FIXTURE(guest_engine) {
	char bdf[BDF_LEN];
	void *regs;
	volatile uint8_t *vram;
	size_t regs_len, vram_len;
	struct mgpu_engine e;
	uint8_t *saved;
};

FIXTURE_VARIANT(guest_engine) {
	bool poll;
};

FIXTURE_VARIANT_ADD(guest_engine, doorbell) {
	.poll = false,
};

FIXTURE_VARIANT_ADD(guest_engine, doorbell_less) {
	.poll = true,
};

FIXTURE_SETUP(guest_engine)
{
	struct mgpu_regs regs = { bar3_rd, bar3_wr, NULL };
	char link[PATH_MAX], path[512];
	ssize_t n;

	ASSERT_EQ(0, find_vgpu(self->bdf, sizeof(self->bdf))) TH_LOG("no vGPU in the guest");
	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/driver", sysfs_root(), self->bdf);
	n = readlink(path, link, sizeof(link) - 1);
	ASSERT_LT(0, n) TH_LOG("no driver bound to %s", self->bdf);
	link[n] = 0;
	ASSERT_NE(NULL, strstr(link, "bochs")) TH_LOG("%s is bound to %s", self->bdf, link);
	self->regs = map_bar(self->bdf, MGPU_BAR_ENGINE, &self->regs_len);
	ASSERT_NE(NULL, self->regs) TH_LOG("resource3: %s", strerror(errno));
	self->vram = map_bar(self->bdf, MGPU_BAR_APERTURE, &self->vram_len);
	ASSERT_NE(NULL, self->vram) TH_LOG("resource4: %s", strerror(errno));
	self->saved = malloc(SAVE_DATA + SAVE_RING);
	ASSERT_NE(NULL, self->saved);
	memcpy(self->saved, (void *)(self->vram + DATA), SAVE_DATA);
	memcpy(self->saved + SAVE_DATA, (void *)(self->vram + self->vram_len - SAVE_RING),
	       SAVE_RING);
	regs.priv = self->regs;
	ASSERT_EQ(0, mgpu_engine_start_default(&self->e, &regs, self->vram, self->vram_len,
					       variant->poll));
}

FIXTURE_TEARDOWN(guest_engine)
{
	if (self->regs && self->vram)
		bar3_wr(self->regs, MGPU_ENG_RESET, MGPU_ENG_RESET_MAGIC);
	if (self->saved && self->vram) {
		memcpy((void *)(self->vram + DATA), self->saved, SAVE_DATA);
		memcpy((void *)(self->vram + self->vram_len - SAVE_RING),
		       self->saved + SAVE_DATA, SAVE_RING);
	}
	free(self->saved);
	if (self->regs)
		munmap(self->regs, self->regs_len);
	if (self->vram)
		munmap((void *)self->vram, self->vram_len);
}

TEST_F(guest_engine, identity)
{
	EXPECT_EQ(MGPU_ENG_MAGIC, bar3_rd(self->regs, MGPU_ENG_ID));
	EXPECT_EQ(MGPU_ENG_ABI_VERSION, bar3_rd(self->regs, MGPU_ENG_VERSION));
	EXPECT_EQ(self->vram_len >> 20, bar3_rd(self->regs, MGPU_ENG_VRAM_MB));
	EXPECT_EQ(MGPU_ENG_SIZE, self->regs_len);
}

/* FILL, COPY and CHECKSUM from guest userspace, checked through the aperture. */
TEST_F(guest_engine, fill_copy_checksum)
{
	volatile uint8_t *v = self->vram;
	uint32_t c[16], x, y;
	unsigned int n;

	n = mgpu_cmd_fill(c, DATA, 2048, 1024, 64, 0xa5a55a5a);
	ASSERT_EQ(0, mgpu_engine_emit(&self->e, c, n));
	n = mgpu_cmd_copy(c, DATA, DATA + MB, 2048, 1024, 1024, 64);
	ASSERT_EQ(0, mgpu_engine_emit(&self->e, c, n));
	n = mgpu_cmd_checksum(c, DATA + MB, 65536, DATA + 2 * MB);
	ASSERT_EQ(0, mgpu_engine_emit(&self->e, c, n));
	ASSERT_EQ(0, mgpu_engine_idle(&self->e, WAIT_MS));
	for (y = 0; y < 64; y++)
		for (x = 0; x < 1024; x += 4)
			ASSERT_EQ(0xa5a55a5a, *(volatile uint32_t *)(v + DATA + MB + y * 1024 + x));
	EXPECT_EQ(crc32_ref(v + DATA + MB, 65536), *(volatile uint32_t *)(v + DATA + 2 * MB));
}

/* A hostile command stops the engine; the guest's reset brings it back. */
TEST_F(guest_engine, error_and_reset)
{
	uint32_t c[16];
	unsigned int n = mgpu_cmd_fill(c, self->vram_len, 0, 4, 1, 0);

	ASSERT_EQ(0, mgpu_engine_emit(&self->e, c, n));
	mgpu_engine_submit(&self->e);
	EXPECT_EQ(-EIO, mgpu_engine_idle(&self->e, WAIT_MS));
	EXPECT_EQ(MGPU_ENG_ERR_RANGE, mgpu_engine_error(&self->e));
	mgpu_engine_reset(&self->e);
	ASSERT_EQ(0, mgpu_engine_emit(&self->e, c, mgpu_cmd_nop(c, 3)));
	EXPECT_EQ(0, mgpu_engine_idle(&self->e, WAIT_MS));
}

/* Many small submissions keep their order and all complete. */
TEST_F(guest_engine, many_fences)
{
	uint32_t c[16];
	uint64_t seq = 0;
	int i;

	for (i = 0; i < 200; i++) {
		unsigned int n = mgpu_cmd_fill(c, DATA + 4 * i, 0, 4, 1, i);

		ASSERT_EQ(0, mgpu_engine_emit(&self->e, c, n));
		seq = mgpu_engine_fence(&self->e, false);
		ASSERT_NE(0, seq);
	}
	ASSERT_EQ(0, mgpu_engine_wait(&self->e, seq, WAIT_MS));
	for (i = 0; i < 200; i++)
		ASSERT_EQ(i, *(volatile uint32_t *)(self->vram + DATA + 4 * i));
}

TEST_HARNESS_MAIN
