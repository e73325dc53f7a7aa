// SPDX-License-Identifier: GPL-2.0-only
/*
 * QEMU tier: two QEMU instances, each with a vGPU as its vfio-pci device, share one GPU
 * engine. The test plays each guest's driver through QEMU: engine registers through
 * QEMU's BAR3 (forwarded to mgpu's trapped region), the ring and data through QEMU's
 * BAR4 (QEMU's mapping of the passed-through VRAM). One guest submits by doorbell, the
 * other doorbell-less; a hostile guest stops only itself. Results are read back on the
 * host through each vGPU's mgpu/framebuffer file, byte for byte.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/mgpu.h>

#include "kselftest_harness.h"
#include "mgpu_test.h"
#include "qtest.h"

#define TYPE		"mgpu-16M"
#define VRAM		(16u << 20)
#define TIMEOUT		300	/* s per test: two QEMUs under TCG in a TCG VM */
#define RING		(15u << 20)
#define RING_SIZE	0x10000u
#define CTRL		(RING + RING_SIZE)
#define FENCE_SLOT	(CTRL + 64)
#define AREA		(1024u * 1024)	/* each guest fills 1 MiB at this offset */
#define WAIT_MS		60000

/* One guest: its QEMU, its vGPU and where its BARs sit in guest-physical space. */
struct guest {
	struct mgpu_dev dev;
	struct qtest q;
	bool created;
	int bdf;
	uint64_t bar3, bar4;
	bool poll;
	uint32_t tail;
	uint64_t seq;
};

static void guest_down(struct guest *g)
{
	qtest_quit(&g->q);
	if (g->created)
		mgpu_remove(g->dev.uuid);
	g->created = false;
}

static int guest_up(struct guest *g, const char *parent, const char *id, bool poll)
{
	int ret = mgpu_create(&g->dev, parent, TYPE);

	if (ret)
		return ret;
	g->created = true;
	g->poll = poll;
	ret = qtest_start_mdev(&g->q, g->dev.uuid, id);
	if (ret)
		return ret;
	g->bdf = qtest_pci_devfn(&g->q, id);
	if (g->bdf < 0)
		return g->bdf;
	ret = qtest_pci_bar_map(&g->q, g->bdf, MGPU_BAR_ENGINE, &g->bar3);
	if (!ret)
		ret = qtest_pci_bar_map(&g->q, g->bdf, MGPU_BAR_APERTURE, &g->bar4);
	if (ret)
		return ret;
	qtest_pci_enable_mem(&g->q, g->bdf);
	return g->q.error;
}

static uint32_t reg_rd(struct guest *g, uint32_t off)
{
	return qtest_readl(&g->q, g->bar3 + off);
}

static void reg_wr(struct guest *g, uint32_t off, uint32_t val)
{
	qtest_writel(&g->q, g->bar3 + off, val);
}

/* The guest driver's start-up: reset, ring, control block, enable. */
static void engine_start(struct guest *g)
{
	reg_wr(g, MGPU_ENG_RESET, MGPU_ENG_RESET_MAGIC);
	qtest_writeq(&g->q, g->bar4 + FENCE_SLOT, 0);
	qtest_writel(&g->q, g->bar4 + CTRL, 0);
	reg_wr(g, MGPU_ENG_RING_BASE, RING);
	reg_wr(g, MGPU_ENG_RING_SIZE, RING_SIZE);
	reg_wr(g, MGPU_ENG_CTRL_BASE, CTRL);
	reg_wr(g, MGPU_ENG_CONTROL, MGPU_ENG_CONTROL_ENABLE |
	       (g->poll ? MGPU_ENG_CONTROL_POLL : 0));
	g->tail = 0;
	g->seq = 0;
}

static void emit(struct guest *g, const uint32_t *c, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		qtest_writel(&g->q, g->bar4 + RING + g->tail, c[i]);
		g->tail = (g->tail + 4) & (RING_SIZE - 1);
	}
}

/* Doorbell: a trapped register write; doorbell-less: a store into VRAM. */
static void submit(struct guest *g)
{
	if (g->poll)
		qtest_writel(&g->q, g->bar4 + CTRL, g->tail);
	else
		reg_wr(g, MGPU_ENG_TAIL, g->tail);
}

static uint64_t fence(struct guest *g)
{
	uint32_t c[MGPU_CMD_FENCE_LEN];

	emit(g, c, mgpu_cmd_fence(c, FENCE_SLOT, ++g->seq, false));
	submit(g);
	return g->seq;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Wait for @seq in the fence slot; 0, or the engine's error code, or -ETIMEDOUT. */
static int wait_fence(struct guest *g, uint64_t seq)
{
	long long deadline = now_ms() + WAIT_MS;

	while (qtest_readq(&g->q, g->bar4 + FENCE_SLOT) < seq) {
		if (reg_rd(g, MGPU_ENG_STATUS) & MGPU_ENG_STATUS_ERROR)
			return reg_rd(g, MGPU_ENG_ERROR);
		if (now_ms() > deadline || g->q.error)
			return -ETIMEDOUT;
		usleep(20000);
	}
	return 0;
}

/* The host's view of a vGPU's VRAM, through mgpu/framebuffer. */
static int host_read(struct guest *g, uint64_t off, void *buf, size_t len)
{
	char path[512];
	size_t done = 0;
	ssize_t n = 1;
	int fd;

	snprintf(path, sizeof(path), "%s/bus/mdev/devices/%s/mgpu/framebuffer",
		 mgpu_sysfs_root(), g->dev.uuid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	/* sysfs hands out at most a page per read */
	while (done < len && n > 0) {
		n = pread(fd, (char *)buf + done, len - done, off + done);
		if (n > 0)
			done += n;
	}
	close(fd);
	return done == len ? 0 : -EIO;
}

static int area_is(struct guest *g, uint32_t value)
{
	uint32_t *buf = malloc(AREA);
	int ok = 0;
	size_t i;

	if (buf && !host_read(g, AREA, buf, AREA)) {
		ok = 1;
		for (i = 0; i < AREA / 4 && ok; i++)
			ok = buf[i] == value;
	}
	free(buf);
	return ok;
}

static long long dev_ll(struct guest *g, const char *attr)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/bus/mdev/devices/%s/%s", mgpu_sysfs_root(),
		 g->dev.uuid, attr);
	return mgpu_sysfs_read_ll(path);
}

FIXTURE(two) {
	char parent[64];
	struct guest g[2];
};

FIXTURE_SETUP(two)
{
	int i, ret;

	if (mgpu_find_parent(self->parent, sizeof(self->parent))) {
		if (!mgpu_modprobe_ok())
			SKIP(return, "the mgpu module is not loaded");
		ASSERT_TRUE(0) TH_LOG("mgpu is loaded but offers no mdev parent");
	}
	if (access("/dev/vfio/vfio", F_OK))
		SKIP(return, "no /dev/vfio/vfio (vfio not loaded)");
	if (!qtest_qemu_available())
		SKIP(return, "%s not found: install QEMU (or set MGPU_QEMU)",
		     qtest_qemu_binary());
	mgpu_remove_all();
	for (i = 0; i < 2; i++) {
		ret = guest_up(&self->g[i], self->parent, i ? "mgpu1" : "mgpu0", i == 1);
		if (ret)
			TH_LOG("QEMU %d on %s: %s (%s)", i, self->g[i].dev.uuid, strerror(-ret),
			       qtest_stderr(&self->g[i].q));
		ASSERT_EQ(0, ret);
		engine_start(&self->g[i]);
		ASSERT_EQ(MGPU_ENG_STATUS_ENABLED, reg_rd(&self->g[i], MGPU_ENG_STATUS));
	}
}

FIXTURE_TEARDOWN(two)
{
	int i;

	for (i = 0; i < 2; i++) {
		EXPECT_EQ(0, self->g[i].q.error) TH_LOG("guest %d: qtest/QMP error", i);
		guest_down(&self->g[i]);
	}
}

/* Both guests' work runs on the one engine, interleaved; each gets its own result. */
TEST_F_TIMEOUT(two, share_one_engine, TIMEOUT)
{
	char path[512];
	uint32_t c[16];
	uint64_t seq[2];
	int i, round;

	snprintf(path, sizeof(path), "%s/class/mdev_bus/%s/mgpu_engine/contexts",
		 mgpu_sysfs_root(), self->parent);
	EXPECT_EQ(2, mgpu_sysfs_read_ll(path));
	EXPECT_EQ(MGPU_ENG_MAGIC, reg_rd(&self->g[1], MGPU_ENG_ID));
	for (round = 0; round < 4; round++) {
		for (i = 0; i < 2; i++) {
			struct guest *g = &self->g[i];

			emit(g, c, mgpu_cmd_fill(c, AREA, 4096, 4096, AREA / 4096,
						 0x1000 * (i + 1) + round));
			emit(g, c, mgpu_cmd_busy(c, 20000));
			seq[i] = fence(g);
		}
		for (i = 0; i < 2; i++)
			ASSERT_EQ(0, wait_fence(&self->g[i], seq[i]))
				TH_LOG("guest %d round %d", i, round);
	}
	EXPECT_TRUE(area_is(&self->g[0], 0x1003));
	EXPECT_TRUE(area_is(&self->g[1], 0x2003));
	for (i = 0; i < 2; i++) {
		EXPECT_LE(80000000LL, dev_ll(&self->g[i], "engine/busy_ns"));
		EXPECT_EQ(12, dev_ll(&self->g[i], "engine/commands"));
		EXPECT_EQ(1, dev_ll(&self->g[i], "mgpu/in_use"));
	}
	/* The guest reads the same through its BAR4 that the host reads. */
	EXPECT_EQ(0x1003, qtest_readl(&self->g[0].q, self->g[0].bar4 + AREA + 4092));
}

/* A hostile guest stops itself only; its neighbour's work and memory are untouched. */
TEST_F_TIMEOUT(two, hostile_guest_isolated, TIMEOUT)
{
	struct guest *good = &self->g[0], *bad = &self->g[1];
	uint32_t c[16];
	uint64_t seq;

	emit(good, c, mgpu_cmd_fill(c, AREA, 0, AREA, 1, 0x600d600d));
	ASSERT_EQ(0, wait_fence(good, fence(good)));
	/* Aim past its partition, at whatever the GPU holds next. */
	emit(bad, c, mgpu_cmd_fill(c, VRAM, 0, 4096, 1, 0xbadbad00));
	seq = fence(bad);
	EXPECT_EQ(MGPU_ENG_ERR_RANGE, wait_fence(bad, seq));
	emit(bad, c, mgpu_cmd_copy(c, 0, AREA, 0, 0, 0xffffffff, 1));
	submit(bad);
	/* The good guest goes on. */
	emit(good, c, mgpu_cmd_busy(c, 10000));
	ASSERT_EQ(0, wait_fence(good, fence(good)));
	EXPECT_TRUE(area_is(good, 0x600d600d));
	EXPECT_EQ(0, dev_ll(good, "engine/errors"));
	EXPECT_EQ(1, dev_ll(bad, "engine/errors"));
	EXPECT_EQ(RING, reg_rd(bad, MGPU_ENG_ERROR_ADDR));	/* its first ring command */
	/* The hostile guest's driver resets its engine and works again. */
	engine_start(bad);
	emit(bad, c, mgpu_cmd_fill(c, AREA, 0, AREA, 1, 0x0c0ffee0));
	ASSERT_EQ(0, wait_fence(bad, fence(bad)));
	EXPECT_TRUE(area_is(bad, 0x0c0ffee0));
	EXPECT_TRUE(area_is(good, 0x600d600d));
}

/* QEMU's reset of the device (system_reset) stops the engine, as the host sees. */
TEST_F_TIMEOUT(two, system_reset_stops_engine, TIMEOUT)
{
	struct guest *g = &self->g[0];
	char path[512], state[64] = "";
	uint32_t c[4];
	char *reply;
	int i;

	for (i = 0; i < 50; i++)
		emit(g, c, mgpu_cmd_busy(c, 50000));
	submit(g);
	snprintf(path, sizeof(path), "%s/bus/mdev/devices/%s/engine/state", mgpu_sysfs_root(),
		 g->dev.uuid);
	ASSERT_LT(0, mgpu_sysfs_read(path, state, sizeof(state)));
	EXPECT_STREQ("busy", state);
	reply = qtest_qmp(&g->q, "{\"execute\": \"system_reset\"}");
	ASSERT_NE(NULL, reply);
	free(reply);
	for (i = 0; i < 200; i++) {
		if (mgpu_sysfs_read(path, state, sizeof(state)) > 0 && !strcmp(state, "disabled"))
			break;
		usleep(50000);
	}
	EXPECT_STREQ("disabled", state);
}

TEST_HARNESS_MAIN
