// SPDX-License-Identifier: GPL-2.0-only
/*
 * QEMU tier: the tmem device (mgpu_tmem's mdev) as a guest driver sees it through QEMU's
 * vfio-pci, with no guest OS: the test assigns BAR0, puts a descriptor ring and page
 * buffers in guest RAM and rings the doorbell with qtest commands. So QEMU's vfio-pci,
 * its DMA mapping of guest RAM and the host's vfio_dma_rw() are all in the path. It
 * checks identity, put/get round trips byte for byte, batches behind one doorbell,
 * every malformed-field class of include/uapi/linux/mgpu_tmem.h (each rejected with its
 * documented status while the device goes on working), ring stops and their reset,
 * INTx, and that QEMU's system_reset destroys the client's pools.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/mgpu_tmem.h>
#include <linux/pci_regs.h>

#include "kselftest_harness.h"
#include "mgpu_test.h"
#include "qtest.h"

#define PARENT		"mgpu_tmem"
#define TYPE		"mgpu_tmem-1"
#define QEMU_ID		"tmem0"
#define TIMEOUT		300		/* s per test: QEMU under TCG in a TCG VM */
#define RAM_MB		256
#define RAM_END		((uint64_t)RAM_MB << 20)
#define OUTSIDE		0x40000000ULL	/* above RAM, below the PCI hole: nothing */
#define RING		0x100000ULL	/* the ring, 4 KiB aligned */
#define NDESC		64		/* its entries: 4 KiB */
#define DATA		0x200000ULL	/* MAX_COUNT pages the guest puts from */
#define OUT		0x300000ULL	/* ... and gets into */
#define PG		MGPU_TMEM_PAGE_SIZE
#define WAIT_MS		30000
#define DSZ		sizeof(struct mgpu_tmem_desc)
#define UNSET		0x5a5a5a5a5a5a5a5aULL	/* a result the host must overwrite */

/* One tmem device in one QEMU: its mdev, where its BAR0 sits, the ring's state. */
struct tdev {
	struct mgpu_dev dev;
	struct qtest q;
	bool created;
	int bdf;
	uint64_t bar0;
	uint64_t ring;
	uint32_t size;		/* ring entries */
	uint32_t tail;		/* free-running, as the guest keeps it */
	int client;		/* the host's engine client id */
	uint32_t seed;		/* next page pattern */
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* ---- sysfs -------------------------------------------------------------------------- */

static long long client_ll(struct tdev *t, const char *attr)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/kernel/mgpu_tmem/clients/%d/%s", mgpu_sysfs_root(),
		 t->client, attr);
	return mgpu_sysfs_read_ll(path);
}

static int client_write(struct tdev *t, const char *attr, const char *val)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/kernel/mgpu_tmem/clients/%d/%s", mgpu_sysfs_root(),
		 t->client, attr);
	return mgpu_sysfs_write(path, val);
}

/* Entries of a directory, "." and ".." not counted; -errno if it cannot be read. */
static int dir_entries(const char *path)
{
	DIR *dir = opendir(path);
	struct dirent *de;
	int n = 0;

	if (!dir)
		return -errno;
	while ((de = readdir(dir)))
		n += de->d_name[0] != '.';
	closedir(dir);
	return n;
}

/* Pools the client has open, as clients/<id>/pools/ lists them. */
static int client_pools(struct tdev *t)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/kernel/mgpu_tmem/clients/%d/pools", mgpu_sysfs_root(),
		 t->client);
	return dir_entries(path);
}

/*
 * A reset destroys the client's pools, maybe after the register write returned: wait
 * (bounded) until it has none and stores nothing. Return: its pools left.
 */
static int wait_no_pools(struct tdev *t)
{
	long long deadline = now_ms() + WAIT_MS;

	while ((client_pools(t) || client_ll(t, "stored_pages")) && now_ms() < deadline)
		usleep(20000);
	return client_pools(t);
}

static bool parent_present(void)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/class/mdev_bus/%s/mdev_supported_types/%s",
		 mgpu_sysfs_root(), PARENT, TYPE);
	return !access(path, F_OK);
}

/* Remove the tmem mdevs a crashed run may have left (mgpu_remove_all() keeps to mgpu's). */
static void remove_tmem_mdevs(void)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *dir;

	snprintf(path, sizeof(path), "%s/class/mdev_bus/%s/mdev_supported_types/%s/devices",
		 mgpu_sysfs_root(), PARENT, TYPE);
	dir = opendir(path);
	if (!dir)
		return;
	while ((de = readdir(dir)))
		if (de->d_name[0] != '.')
			mgpu_remove(de->d_name);
	closedir(dir);
}

/* ---- the device through QEMU ------------------------------------------------------ */

static uint32_t rd(struct tdev *t, uint32_t off)
{
	return qtest_readl(&t->q, t->bar0 + off);
}

static void wr(struct tdev *t, uint32_t off, uint32_t val)
{
	qtest_writel(&t->q, t->bar0 + off, val);
}

/* What firmware would do: BAR0 into the PCI hole, memory decode and bus mastering on. */
static int tdev_map(struct tdev *t)
{
	uint16_t cmd;
	int ret = qtest_pci_bar_map(&t->q, t->bdf, MGPU_TMEM_BAR_REGS, &t->bar0);

	if (ret)
		return ret;
	cmd = qtest_pci_read16(&t->q, t->bdf, PCI_COMMAND);
	qtest_pci_write16(&t->q, t->bdf, PCI_COMMAND,
			  cmd | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	return t->q.error;
}

static int tdev_up(struct tdev *t)
{
	char dev[PATH_MAX], mem[16], path[PATH_MAX];
	const char *args[5];
	int ret;

	ret = mgpu_create(&t->dev, PARENT, TYPE);
	if (ret)
		return ret;
	t->created = true;
	snprintf(path, sizeof(path), "%s/bus/mdev/devices/%s/mgpu_tmem/client",
		 mgpu_sysfs_root(), t->dev.uuid);
	t->client = mgpu_sysfs_read_ll(path);
	if (t->client < 0)
		return t->client;
	snprintf(mem, sizeof(mem), "%uM", RAM_MB);
	snprintf(dev, sizeof(dev), "vfio-pci,sysfsdev=%s/bus/mdev/devices/%s,id=%s",
		 mgpu_sysfs_root(), t->dev.uuid, QEMU_ID);
	args[0] = "-m";
	args[1] = mem;
	args[2] = "-device";
	args[3] = dev;
	args[4] = NULL;
	ret = qtest_start(&t->q, args);
	if (ret)
		return ret;
	t->bdf = qtest_pci_devfn(&t->q, QEMU_ID);
	if (t->bdf < 0)
		return t->bdf;
	t->seed = 1;
	return tdev_map(t);
}

static void tdev_down(struct tdev *t)
{
	qtest_quit(&t->q);
	if (t->created)
		mgpu_remove(t->dev.uuid);
	t->created = false;
}

/* Program and start the ring (a zeroed one) as step 2 of the protocol says. */
static void ring_setup(struct tdev *t, uint64_t base, uint32_t size)
{
	t->ring = base;
	t->size = size;
	t->tail = 0;
	if (base < RAM_END)
		qtest_memset(&t->q, base, 0, (size_t)size * DSZ);
	wr(t, MGPU_TMEM_REG_RING_BASE_LO, (uint32_t)base);
	wr(t, MGPU_TMEM_REG_RING_BASE_HI, base >> 32);
	wr(t, MGPU_TMEM_REG_RING_SIZE, size);
	wr(t, MGPU_TMEM_REG_CONTROL, MGPU_TMEM_CTRL_ENABLE);
}

static void ring_reset(struct tdev *t)
{
	wr(t, MGPU_TMEM_REG_CONTROL, MGPU_TMEM_CTRL_RESET);
	t->tail = 0;
}

static uint64_t slot(struct tdev *t, uint32_t idx)
{
	return t->ring + (uint64_t)(idx % t->size) * DSZ;
}

/* Queue one descriptor (status PENDING, result poisoned); the doorbell comes later. */
static void push(struct tdev *t, const struct mgpu_tmem_desc *d)
{
	struct mgpu_tmem_desc c = *d;

	c.status = MGPU_TMEM_STATUS_PENDING;
	c.result = UNSET;
	qtest_memwrite(&t->q, slot(t, t->tail), &c, sizeof(c));
	t->tail++;
}

static void doorbell(struct tdev *t)
{
	wr(t, MGPU_TMEM_REG_TAIL, t->tail);
}

/* Wait until HEAD reaches TAIL: 0, -EIO if the ring stopped, or -ETIMEDOUT. */
static int wait_idle(struct tdev *t)
{
	long long deadline = now_ms() + WAIT_MS;

	while (rd(t, MGPU_TMEM_REG_HEAD) != t->tail) {
		if (rd(t, MGPU_TMEM_REG_STATUS) & MGPU_TMEM_STATUS_ERROR)
			return -EIO;
		if (now_ms() > deadline || t->q.error)
			return -ETIMEDOUT;
		usleep(2000);
	}
	return 0;
}

/* Wait for the ring to stop with an error: MGPU_TMEM_ERR_*, or -ETIMEDOUT. */
static int wait_stopped(struct tdev *t)
{
	long long deadline = now_ms() + WAIT_MS;

	while (!(rd(t, MGPU_TMEM_REG_STATUS) & MGPU_TMEM_STATUS_ERROR)) {
		if (now_ms() > deadline || t->q.error)
			return -ETIMEDOUT;
		usleep(2000);
	}
	return rd(t, MGPU_TMEM_REG_ERROR);
}

static void fetch(struct tdev *t, uint32_t idx, struct mgpu_tmem_desc *d)
{
	if (qtest_memread(&t->q, slot(t, idx), d, sizeof(*d)))
		memset(d, 0xff, sizeof(*d));
}

/*
 * Run one descriptor behind its own doorbell and read it back into @d. Return: its
 * status, or 1 (PENDING) if the ring did not complete it.
 */
static int run1(struct tdev *t, struct mgpu_tmem_desc *d)
{
	uint32_t idx = t->tail;

	push(t, d);
	doorbell(t);
	if (wait_idle(t))
		return MGPU_TMEM_STATUS_PENDING;
	fetch(t, idx, d);
	return d->status;
}

static struct mgpu_tmem_desc desc(uint8_t op, uint16_t pool)
{
	struct mgpu_tmem_desc d;

	memset(&d, 0, sizeof(d));
	d.op = op;
	d.pool = pool;
	return d;
}

static struct mgpu_tmem_desc page_desc(uint8_t op, uint16_t pool, uint64_t oid,
				       uint32_t index, uint32_t count, uint64_t addr)
{
	struct mgpu_tmem_desc d = desc(op, pool);

	d.oid = oid;
	d.index = index;
	d.count = count;
	if (op != MGPU_TMEM_OP_FLUSH_PAGE)
		d.addr = addr;
	return d;
}

/* NEW_POOL: the pool id, or the descriptor's (negative) status. */
static int new_pool(struct tdev *t, uint8_t flags, const uint8_t *uuid)
{
	struct mgpu_tmem_desc d = desc(MGPU_TMEM_OP_NEW_POOL, 0);
	int ret;

	d.flags = flags;
	if (uuid)
		memcpy(d.uuid, uuid, sizeof(d.uuid));
	ret = run1(t, &d);
	return ret ? ret : (int)d.result;
}

/* PUT, GET or FLUSH_PAGE of @count pages at @addr; the status, the result in @done. */
static int pages(struct tdev *t, uint8_t op, uint16_t pool, uint64_t oid, uint32_t index,
		 uint32_t count, uint64_t addr, uint64_t *done)
{
	struct mgpu_tmem_desc d = page_desc(op, pool, oid, index, count, addr);
	int ret = run1(t, &d);

	if (done)
		*done = d.result;
	return ret;
}

/* ---- page data ---------------------------------------------------------------------- */

static void fill(uint8_t *p, uint32_t seed)
{
	uint32_t x = seed * 2654435761u | 1;
	size_t i;

	for (i = 0; i < PG; i += 4) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		memcpy(p + i, &x, 4);
	}
}

static uint64_t fnv(const uint8_t *p, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (len--)
		h = (h ^ *p++) * 0x100000001b3ULL;
	return h;
}

/* Write @n fresh pages at @addr; their checksums into @sum. */
static void write_pages(struct tdev *t, uint64_t addr, unsigned int n, uint64_t *sum)
{
	uint8_t *buf = malloc((size_t)n * PG);
	unsigned int i;

	for (i = 0; i < n; i++) {
		fill(buf + (size_t)i * PG, t->seed++);
		sum[i] = fnv(buf + (size_t)i * PG, PG);
	}
	qtest_memwrite(&t->q, addr, buf, (size_t)n * PG);
	free(buf);
}

/* How many of @n pages at @addr have the checksums @sum. */
static unsigned int pages_match(struct tdev *t, uint64_t addr, unsigned int n,
				const uint64_t *sum)
{
	uint8_t *buf = malloc((size_t)n * PG);
	unsigned int i, ok = 0;

	if (!qtest_memread(&t->q, addr, buf, (size_t)n * PG))
		for (i = 0; i < n; i++)
			ok += fnv(buf + (size_t)i * PG, PG) == sum[i];
	free(buf);
	return ok;
}

/*
 * The device still works: a fresh page put at @index of @pool, read back into OUT
 * (cleared first) byte for byte. 0, or what failed.
 */
static int still_works(struct tdev *t, uint16_t pool, uint32_t index)
{
	uint64_t sum;
	int ret;

	write_pages(t, DATA, 1, &sum);
	ret = pages(t, MGPU_TMEM_OP_PUT, pool, 1, index, 1, DATA, NULL);
	if (ret)
		return ret;
	qtest_memset(&t->q, OUT, 0, PG);
	ret = pages(t, MGPU_TMEM_OP_GET, pool, 1, index, 1, OUT, NULL);
	if (ret)
		return ret;
	return pages_match(t, OUT, 1, &sum) == 1 ? 0 : -EILSEQ;
}

/* ---- the fixture: one device in one QEMU, its ring running, one persistent pool ----- */

FIXTURE(tmem) {
	struct tdev t;
	int pool;
	uint32_t caps;
};

FIXTURE_SETUP(tmem)
{
	struct tdev *t = &self->t;
	char path[PATH_MAX];
	int ret;

	memset(t, 0, sizeof(*t));
	t->q.dir[0] = 0;
	snprintf(path, sizeof(path), "%s/kernel/mgpu_tmem", mgpu_sysfs_root());
	if (access(path, F_OK))
		SKIP(return, "mgpu_tmem is not loaded (no /sys/kernel/mgpu_tmem)");
	ASSERT_TRUE(parent_present())
		TH_LOG("mgpu_tmem is loaded but offers no mdev parent %s/%s", PARENT, TYPE);
	if (access("/dev/vfio/vfio", F_OK))
		SKIP(return, "no /dev/vfio/vfio (vfio not loaded)");
	if (!qtest_qemu_available())
		SKIP(return, "%s not found: install QEMU (or set MGPU_QEMU)",
		     qtest_qemu_binary());
	remove_tmem_mdevs();
	ret = tdev_up(t);
	if (ret)
		TH_LOG("QEMU on %s: %s (%s)", t->dev.uuid, strerror(-ret), qtest_stderr(&t->q));
	ASSERT_EQ(0, ret);
	self->caps = rd(t, MGPU_TMEM_REG_CAPS);
	ring_setup(t, RING, NDESC);
	ASSERT_EQ(MGPU_TMEM_STATUS_ENABLED, rd(t, MGPU_TMEM_REG_STATUS));
	self->pool = new_pool(t, MGPU_TMEM_POOL_PERSISTENT, NULL);
	ASSERT_LE(0, self->pool) TH_LOG("NEW_POOL persistent: %d", self->pool);
}

FIXTURE_TEARDOWN(tmem)
{
	struct tdev *t = &self->t;
	char buf[64];

	if (t->q.dir[0]) {
		EXPECT_EQ(0, t->q.error) TH_LOG("qtest/QMP error");
		EXPECT_TRUE(qtest_alive(&t->q)) TH_LOG("QEMU died: %s", qtest_stderr(&t->q));
	}
	tdev_down(t);
	/* The engine's own consistency walk, when debugfs is there to ask it. */
	if (mgpu_sysfs_read("/sys/kernel/debug/mgpu_tmem/check", buf, sizeof(buf)) > 0)
		EXPECT_STREQ("ok", buf);
	remove_tmem_mdevs();
}

/* Identity through QEMU: config space and the read-only registers. */
TEST_F_TIMEOUT(tmem, identity, TIMEOUT)
{
	struct tdev *t = &self->t;
	uint32_t max_ring = rd(t, MGPU_TMEM_REG_MAX_RING);
	struct mgpu_tmem_desc d = desc(MGPU_TMEM_OP_NOP, 0);

	EXPECT_EQ(MGPU_TMEM_PCI_VENDOR_ID, qtest_pci_read16(&t->q, t->bdf, PCI_VENDOR_ID));
	EXPECT_EQ(MGPU_TMEM_PCI_DEVICE_ID, qtest_pci_read16(&t->q, t->bdf, PCI_DEVICE_ID));
	EXPECT_EQ(MGPU_TMEM_PCI_SUBSYS_VENDOR_ID,
		  qtest_pci_read16(&t->q, t->bdf, PCI_SUBSYSTEM_VENDOR_ID));
	EXPECT_EQ(MGPU_TMEM_PCI_SUBSYS_DEVICE_ID,
		  qtest_pci_read16(&t->q, t->bdf, PCI_SUBSYSTEM_ID));
	EXPECT_EQ(MGPU_TMEM_PCI_CLASS, qtest_pci_read32(&t->q, t->bdf, PCI_CLASS_REVISION) >> 8);
	EXPECT_EQ(MGPU_TMEM_PCI_REVISION, qtest_pci_read8(&t->q, t->bdf, PCI_REVISION_ID));

	EXPECT_EQ(MGPU_TMEM_MAGIC, rd(t, MGPU_TMEM_REG_MAGIC));
	EXPECT_EQ(MGPU_TMEM_VERSION_MAJOR, rd(t, MGPU_TMEM_REG_VERSION) >> 16);
	EXPECT_EQ(MGPU_TMEM_CAP_PERSISTENT | MGPU_TMEM_CAP_EPHEMERAL,
		  self->caps & (MGPU_TMEM_CAP_PERSISTENT | MGPU_TMEM_CAP_EPHEMERAL));
	EXPECT_LE(1, max_ring);
	EXPECT_GE(MGPU_TMEM_MAX_RING, max_ring);
	EXPECT_EQ(0, max_ring & (max_ring - 1)) TH_LOG("MAX_RING %u", max_ring);
	EXPECT_EQ(MGPU_TMEM_MAX_COUNT, rd(t, MGPU_TMEM_REG_MAX_COUNT));
	EXPECT_EQ(MGPU_TMEM_PAGE_SIZE, rd(t, MGPU_TMEM_REG_PAGE_SIZE));
	EXPECT_EQ(t->client, rd(t, MGPU_TMEM_REG_CLIENT_ID));
	EXPECT_EQ(0, rd(t, MGPU_TMEM_REG_CONTROL));
	EXPECT_EQ(0, rd(t, MGPU_TMEM_REG_ERROR));
	EXPECT_EQ((uint32_t)RING, rd(t, MGPU_TMEM_REG_RING_BASE_LO));
	EXPECT_EQ(0, rd(t, MGPU_TMEM_REG_RING_BASE_HI));
	EXPECT_EQ(NDESC, rd(t, MGPU_TMEM_REG_RING_SIZE));
	/* The setup is read-only while the ring runs. */
	wr(t, MGPU_TMEM_REG_RING_SIZE, NDESC / 2);
	wr(t, MGPU_TMEM_REG_RING_BASE_LO, (uint32_t)OUT);
	EXPECT_EQ(NDESC, rd(t, MGPU_TMEM_REG_RING_SIZE));
	EXPECT_EQ((uint32_t)RING, rd(t, MGPU_TMEM_REG_RING_BASE_LO));
	/* A NOP completes with status 0, the guest's cookie untouched. */
	d.cookie = 0x0123456789abcdefULL;
	EXPECT_EQ(0, run1(t, &d));
	EXPECT_EQ(0, d.result);
	EXPECT_EQ(0x0123456789abcdefULL, d.cookie);
	EXPECT_EQ(1, client_pools(t));
	EXPECT_EQ(0, still_works(t, self->pool, 0));
}

/* PUT and GET through guest RAM, byte for byte; misses, flushes, ephemeral, zeroes. */
TEST_F_TIMEOUT(tmem, put_get_roundtrip, TIMEOUT)
{
	struct tdev *t = &self->t;
	uint64_t sum[MGPU_TMEM_MAX_COUNT], done;
	int eph, p = self->pool;
	struct mgpu_tmem_desc d;

	/* One page, then MAX_COUNT pages in one descriptor. */
	write_pages(t, DATA, 1, sum);
	ASSERT_EQ(0, pages(t, MGPU_TMEM_OP_PUT, p, 5, 100, 1, DATA, &done));
	EXPECT_EQ(1, done);
	qtest_memset(&t->q, OUT, 0, PG);
	ASSERT_EQ(0, pages(t, MGPU_TMEM_OP_GET, p, 5, 100, 1, OUT, &done));
	EXPECT_EQ(1, done);
	EXPECT_EQ(1, pages_match(t, OUT, 1, sum));

	write_pages(t, DATA, MGPU_TMEM_MAX_COUNT, sum);
	ASSERT_EQ(0, pages(t, MGPU_TMEM_OP_PUT, p, 6, 0, MGPU_TMEM_MAX_COUNT, DATA, &done));
	EXPECT_EQ(MGPU_TMEM_MAX_COUNT, done);
	EXPECT_EQ(1 + MGPU_TMEM_MAX_COUNT, client_ll(t, "stored_pages"));
	qtest_memset(&t->q, OUT, 0, MGPU_TMEM_MAX_COUNT * PG);
	ASSERT_EQ(0, pages(t, MGPU_TMEM_OP_GET, p, 6, 0, MGPU_TMEM_MAX_COUNT, OUT, &done));
	EXPECT_EQ(MGPU_TMEM_MAX_COUNT, done);
	EXPECT_EQ(MGPU_TMEM_MAX_COUNT, pages_match(t, OUT, MGPU_TMEM_MAX_COUNT, sum));
	/* A persistent get leaves the page. */
	EXPECT_EQ(0, pages(t, MGPU_TMEM_OP_GET, p, 6, 3, 1, OUT, NULL));

	/* A miss, and a get that stops at the first miss: result counts the hits. */
	EXPECT_EQ(-ENOENT, pages(t, MGPU_TMEM_OP_GET, p, 7, 0, 1, OUT, &done));
	EXPECT_EQ(0, done);
	EXPECT_EQ(-ENOENT, pages(t, MGPU_TMEM_OP_GET, p, 6, 60, 8, OUT, &done));
	EXPECT_EQ(4, done);

	/* FLUSH_PAGE of two, FLUSH_OBJECT of the rest. */
	EXPECT_EQ(0, pages(t, MGPU_TMEM_OP_FLUSH_PAGE, p, 6, 10, 2, 0, &done));
	EXPECT_EQ(2, done);
	EXPECT_EQ(-ENOENT, pages(t, MGPU_TMEM_OP_GET, p, 6, 11, 1, OUT, NULL));
	EXPECT_EQ(MGPU_TMEM_MAX_COUNT - 1, client_ll(t, "stored_pages"));
	d = desc(MGPU_TMEM_OP_FLUSH_OBJECT, p);
	d.oid = 6;
	EXPECT_EQ(0, run1(t, &d));
	EXPECT_EQ(-ENOENT, pages(t, MGPU_TMEM_OP_GET, p, 6, 0, 1, OUT, NULL));
	EXPECT_EQ(1, client_ll(t, "stored_pages"));

	/* A zero page keeps no data. */
	qtest_memset(&t->q, DATA, 0, PG);
	EXPECT_EQ(0, pages(t, MGPU_TMEM_OP_PUT, p, 8, 0, 1, DATA, NULL));
	EXPECT_EQ(1, client_ll(t, "zero_pages"));
	qtest_memset(&t->q, OUT, 0xa5, PG);
	EXPECT_EQ(0, pages(t, MGPU_TMEM_OP_GET, p, 8, 0, 1, OUT, NULL));
	EXPECT_EQ(0, qtest_readq(&t->q, OUT + 8));
	EXPECT_EQ(0, qtest_readq(&t->q, OUT + PG - 8));

	/* A private ephemeral pool: a hit removes the page. */
	eph = new_pool(t, 0, NULL);
	ASSERT_LE(0, eph);
	EXPECT_NE(p, eph);
	EXPECT_EQ(2, client_pools(t));
	write_pages(t, DATA, 2, sum);
	EXPECT_EQ(0, pages(t, MGPU_TMEM_OP_PUT, eph, 1, 0, 2, DATA, NULL));
	qtest_memset(&t->q, OUT, 0, 2 * PG);
	EXPECT_EQ(0, pages(t, MGPU_TMEM_OP_GET, eph, 1, 0, 2, OUT, NULL));
	EXPECT_EQ(2, pages_match(t, OUT, 2, sum));
	EXPECT_EQ(-ENOENT, pages(t, MGPU_TMEM_OP_GET, eph, 1, 0, 1, OUT, NULL));

	/* DESTROY_POOL takes its pages; its id is then unused. */
	d = desc(MGPU_TMEM_OP_DESTROY_POOL, p);
	EXPECT_EQ(0, run1(t, &d));
	EXPECT_EQ(1, client_pools(t));
	EXPECT_EQ(0, client_ll(t, "stored_pages"));
	EXPECT_GT(0, pages(t, MGPU_TMEM_OP_PUT, p, 1, 0, 1, DATA, NULL));
	EXPECT_EQ(0, still_works(t, eph, 0));
}

/* Many descriptors behind one doorbell, the ring wrapping; the completion interrupt bit. */
TEST_F_TIMEOUT(tmem, batch_one_doorbell, TIMEOUT)
{
	struct tdev *t = &self->t;
	enum { N = 24, COUNT = 4 };	/* N puts and N gets: 48 of the ring's 64 */
	uint64_t sum[N * COUNT];
	long long puts0 = client_ll(t, "puts"), gets0 = client_ll(t, "gets");
	struct mgpu_tmem_desc d;
	unsigned int round, i;
	uint32_t first;

	wr(t, MGPU_TMEM_REG_IRQ_STATUS, ~0u);
	for (round = 0; round < 3; round++) {	/* 144 descriptors: the ring wraps twice */
		write_pages(t, DATA, N * COUNT, sum);
		qtest_memset(&t->q, OUT, 0, N * COUNT * PG);
		first = t->tail;
		for (i = 0; i < N; i++) {
			d = page_desc(MGPU_TMEM_OP_PUT, self->pool, round, i * COUNT, COUNT,
				      DATA + (uint64_t)i * COUNT * PG);
			d.cookie = i;
			push(t, &d);
		}
		for (i = 0; i < N; i++) {
			d = page_desc(MGPU_TMEM_OP_GET, self->pool, round, i * COUNT, COUNT,
				      OUT + (uint64_t)i * COUNT * PG);
			d.cookie = N + i;
			push(t, &d);
		}
		EXPECT_EQ(first, rd(t, MGPU_TMEM_REG_HEAD));	/* nothing before the doorbell */
		doorbell(t);
		ASSERT_EQ(0, wait_idle(t)) TH_LOG("round %u: HEAD %u of %u", round,
						  rd(t, MGPU_TMEM_REG_HEAD), t->tail);
		for (i = 0; i < 2 * N; i++) {
			fetch(t, first + i, &d);
			EXPECT_EQ(0, d.status) TH_LOG("round %u descriptor %u", round, i);
			EXPECT_EQ(COUNT, d.result);
			EXPECT_EQ(i, d.cookie);
		}
		EXPECT_EQ(N * COUNT, pages_match(t, OUT, N * COUNT, sum));
		EXPECT_TRUE(rd(t, MGPU_TMEM_REG_IRQ_STATUS) & MGPU_TMEM_IRQ_COMPLETION);
		wr(t, MGPU_TMEM_REG_IRQ_STATUS, MGPU_TMEM_IRQ_COMPLETION);
		EXPECT_FALSE(rd(t, MGPU_TMEM_REG_IRQ_STATUS) & MGPU_TMEM_IRQ_COMPLETION);
	}
	EXPECT_EQ(3 * N * COUNT, client_ll(t, "stored_pages"));
	EXPECT_EQ(3 * N * COUNT, client_ll(t, "puts") - puts0);
	EXPECT_EQ(3 * N * COUNT, client_ll(t, "gets") - gets0);
	EXPECT_EQ(t->tail, rd(t, MGPU_TMEM_REG_TAIL));
}

/* One malformed descriptor and the status the header documents for it. */
struct bad {
	const char *what;
	struct mgpu_tmem_desc d;
	int status;
};

#define BAD(w, st, ...) { .what = w, .status = st, .d = { __VA_ARGS__ } }
#define PUT1(p)		.op = MGPU_TMEM_OP_PUT, .pool = p, .oid = 9, .count = 1, .addr = DATA
#define GET1(p)		.op = MGPU_TMEM_OP_GET, .pool = p, .oid = 9, .count = 1, .addr = OUT
#define UUID1		.uuid = { 0x6d, 0x67, [15] = 1 }

/*
 * Every malformed-field class of the header into @b (room for @max); @p is a valid
 * pool, @q one never created. Return: how many.
 */
static int bad_cases(struct bad *b, size_t max, uint16_t p, uint16_t q)
{
	const struct bad all[] = {
		BAD("unknown op 0x07", -EOPNOTSUPP, .op = 0x07),
		BAD("unknown op 0xff with a put's fields", -EOPNOTSUPP, .op = 0xff, .pool = p,
		    .count = 1, .addr = DATA),
		BAD("PUT with flags", -EINVAL, PUT1(p), .flags = MGPU_TMEM_POOL_PERSISTENT),
		BAD("GET with flags", -EINVAL, GET1(p), .flags = 0x80),
		BAD("NEW_POOL with an unknown flag", -EINVAL, .op = MGPU_TMEM_OP_NEW_POOL,
		    .flags = 0x04),
		BAD("NEW_POOL shared and persistent", -EINVAL, .op = MGPU_TMEM_OP_NEW_POOL,
		    .flags = MGPU_TMEM_POOL_SHARED | MGPU_TMEM_POOL_PERSISTENT, UUID1),
		BAD("PUT to pool 16 (out of range)", -EINVAL, PUT1(MGPU_TMEM_MAX_POOLS)),
		BAD("GET from pool 0xffff", -EINVAL, GET1(0xffff)),
		BAD("DESTROY_POOL of pool 16", -EINVAL, .op = MGPU_TMEM_OP_DESTROY_POOL,
		    .pool = MGPU_TMEM_MAX_POOLS),
		BAD("PUT to a pool never created", -ENOENT, PUT1(q)),
		BAD("GET from a pool never created", -ENOENT, GET1(q)),
		BAD("DESTROY_POOL of a pool never created", -ENOENT,
		    .op = MGPU_TMEM_OP_DESTROY_POOL, .pool = q),
		BAD("PUT count 0", -EINVAL, PUT1(p), .count = 0),
		BAD("GET count 0", -EINVAL, GET1(p), .count = 0),
		BAD("FLUSH_PAGE count 0", -EINVAL, .op = MGPU_TMEM_OP_FLUSH_PAGE, .pool = p),
		BAD("PUT count MAX_COUNT + 1", -EINVAL, PUT1(p),
		    .count = MGPU_TMEM_MAX_COUNT + 1),
		BAD("FLUSH_PAGE count 0xffffffff", -EINVAL, .op = MGPU_TMEM_OP_FLUSH_PAGE,
		    .pool = p, .count = 0xffffffff),
		BAD("PUT index + count wraps", -EINVAL, PUT1(p), .index = 0xfffffff0,
		    .count = 32),
		BAD("FLUSH_PAGE index + count wraps", -EINVAL, .op = MGPU_TMEM_OP_FLUSH_PAGE,
		    .pool = p, .index = 0xffffffff, .count = 2),
		BAD("PUT addr not page aligned", -EINVAL, PUT1(p), .addr = DATA + 0x800),
		BAD("GET addr off by one", -EINVAL, GET1(p), .addr = OUT + 1),
		BAD("PUT addr outside guest RAM", -EFAULT, PUT1(p), .addr = OUTSIDE),
		BAD("GET addr outside guest RAM", -EFAULT, GET1(p), .index = 1,
		    .addr = OUTSIDE),
		BAD("PUT addr + 4 KiB wraps", -EINVAL, PUT1(p), .addr = 0xfffffffffffff000ULL),
		BAD("GET addr + 2 pages wraps", -EINVAL, GET1(p), .count = 2,
		    .addr = 0xfffffffffffff000ULL),
		BAD("NEW_POOL persistent with a uuid", -EINVAL, .op = MGPU_TMEM_OP_NEW_POOL,
		    .flags = MGPU_TMEM_POOL_PERSISTENT, UUID1),
		BAD("NEW_POOL ephemeral private with a uuid", -EINVAL,
		    .op = MGPU_TMEM_OP_NEW_POOL, UUID1),
		BAD("PUT with a uuid", -EINVAL, PUT1(p), UUID1),
		BAD("NOP with count", -EINVAL, .op = MGPU_TMEM_OP_NOP, .count = 1),
		BAD("NOP with addr", -EINVAL, .op = MGPU_TMEM_OP_NOP, .addr = DATA),
		BAD("NOP with flags", -EINVAL, .op = MGPU_TMEM_OP_NOP, .flags = 1),
		BAD("NEW_POOL with count", -EINVAL, .op = MGPU_TMEM_OP_NEW_POOL, .count = 1),
		BAD("NEW_POOL with addr", -EINVAL, .op = MGPU_TMEM_OP_NEW_POOL, .addr = DATA),
		BAD("DESTROY_POOL with count", -EINVAL, .op = MGPU_TMEM_OP_DESTROY_POOL,
		    .pool = p, .count = 1),
		BAD("DESTROY_POOL with addr", -EINVAL, .op = MGPU_TMEM_OP_DESTROY_POOL,
		    .pool = p, .addr = DATA),
		BAD("DESTROY_POOL with flags", -EINVAL, .op = MGPU_TMEM_OP_DESTROY_POOL,
		    .pool = p, .flags = MGPU_TMEM_POOL_PERSISTENT),
		BAD("FLUSH_PAGE with addr", -EINVAL, .op = MGPU_TMEM_OP_FLUSH_PAGE, .pool = p,
		    .oid = 9, .count = 1, .addr = DATA),
		BAD("FLUSH_OBJECT with count", -EINVAL, .op = MGPU_TMEM_OP_FLUSH_OBJECT,
		    .pool = p, .oid = 9, .count = 1),
		BAD("FLUSH_OBJECT with addr", -EINVAL, .op = MGPU_TMEM_OP_FLUSH_OBJECT,
		    .pool = p, .oid = 9, .addr = DATA),
		BAD("FLUSH_OBJECT with a uuid", -EINVAL, .op = MGPU_TMEM_OP_FLUSH_OBJECT,
		    .pool = p, .oid = 9, UUID1),
	};

	size_t n = ARRAY_SIZE(all);

	memcpy(b, all, (n < max ? n : max) * sizeof(*b));
	return n < max ? n : max;
}

/* Each malformed descriptor fails alone with its status; the device keeps working. */
TEST_F_TIMEOUT(tmem, malformed_descriptors, TIMEOUT)
{
	struct tdev *t = &self->t;
	struct bad b[64];
	struct mgpu_tmem_desc d, good;
	uint16_t never = (self->pool + 7) % MGPU_TMEM_MAX_POOLS;
	uint64_t sum;
	int i, n = bad_cases(b, ARRAY_SIZE(b), self->pool, never);
	uint32_t first;

	/* A page under oid 9, index 1, so that a refused GET is not a miss. */
	write_pages(t, DATA, 1, &sum);
	ASSERT_EQ(0, pages(t, MGPU_TMEM_OP_PUT, self->pool, 9, 1, 1, DATA, NULL));
	for (i = 0; i < n; i++) {
		d = b[i].d;
		d.cookie = 0xc0c0c0c0c0c0c000ULL + i;
		EXPECT_EQ(b[i].status, run1(t, &d)) TH_LOG("%s", b[i].what);
		EXPECT_EQ(0, d.result) TH_LOG("%s: result", b[i].what);
		EXPECT_EQ(0xc0c0c0c0c0c0c000ULL + i, d.cookie) TH_LOG("%s: cookie", b[i].what);
		ASSERT_EQ(MGPU_TMEM_STATUS_ENABLED, rd(t, MGPU_TMEM_REG_STATUS))
			TH_LOG("the ring stopped after: %s", b[i].what);
		ASSERT_EQ(0, still_works(t, self->pool, 2)) TH_LOG("after: %s", b[i].what);
	}
	/* The refused GETs wrote nothing and took nothing. */
	qtest_memset(&t->q, OUT, 0, PG);
	EXPECT_EQ(0, pages(t, MGPU_TMEM_OP_GET, self->pool, 9, 1, 1, OUT, NULL));
	EXPECT_EQ(1, pages_match(t, OUT, 1, &sum));
	EXPECT_EQ(1, client_pools(t));

	/* Malformed ones mixed into a good batch fail alone, in order. */
	good = page_desc(MGPU_TMEM_OP_PUT, self->pool, 9, 3, 1, DATA);
	first = t->tail;
	for (i = 0; i < 6; i++)
		push(t, i & 1 ? &b[i * 5].d : &good);
	doorbell(t);
	ASSERT_EQ(0, wait_idle(t));
	for (i = 0; i < 6; i++) {
		fetch(t, first + i, &d);
		EXPECT_EQ(i & 1 ? b[i * 5].status : 0, d.status)
			TH_LOG("batch entry %d (%s)", i, i & 1 ? b[i * 5].what : "good");
	}
	EXPECT_TRUE(qtest_alive(&t->q));
}

/* A shared pool needs the admin's authorisation for its UUID: -EPERM, then it opens. */
TEST_F_TIMEOUT(tmem, shared_pool_authorisation, TIMEOUT)
{
	static const uint8_t uuid[16] = { 0x6d, 0x67, [15] = 1 };
	static const char uuid_str[] = "6d670000-0000-0000-0000-000000000001";
	struct tdev *t = &self->t;
	uint64_t sum;
	int sh;

	if (!(self->caps & MGPU_TMEM_CAP_SHARED))
		SKIP(return, "the device offers no shared pools (CAPS 0x%x)", self->caps);
	EXPECT_EQ(-EPERM, new_pool(t, MGPU_TMEM_POOL_SHARED, uuid));
	EXPECT_EQ(1, client_pools(t));
	EXPECT_EQ(0, still_works(t, self->pool, 0));

	ASSERT_EQ(0, client_write(t, "authorise", uuid_str));
	sh = new_pool(t, MGPU_TMEM_POOL_SHARED, uuid);
	ASSERT_LE(0, sh);
	EXPECT_EQ(2, client_pools(t));
	/* A shared get is not exclusive. */
	write_pages(t, DATA, 1, &sum);
	EXPECT_EQ(0, pages(t, MGPU_TMEM_OP_PUT, sh, 3, 0, 1, DATA, NULL));
	EXPECT_EQ(0, pages(t, MGPU_TMEM_OP_GET, sh, 3, 0, 1, OUT, NULL));
	qtest_memset(&t->q, OUT, 0, PG);
	EXPECT_EQ(0, pages(t, MGPU_TMEM_OP_GET, sh, 3, 0, 1, OUT, NULL));
	EXPECT_EQ(1, pages_match(t, OUT, 1, &sum));

	/* Revoked: the pool closes for the client at once, with its pages. */
	ASSERT_EQ(0, client_write(t, "deauthorise", uuid_str));
	EXPECT_EQ(1, client_pools(t));
	EXPECT_GT(0, pages(t, MGPU_TMEM_OP_GET, sh, 3, 0, 1, OUT, NULL));
	EXPECT_EQ(-EPERM, new_pool(t, MGPU_TMEM_POOL_SHARED, uuid));
	EXPECT_EQ(0, still_works(t, self->pool, 0));
}

/*
 * The whole ring: exactly RING_SIZE outstanding is fine; a TAIL more than RING_SIZE
 * ahead stops it with ERR_TAIL; only a reset (which destroys the pools) restarts it.
 */
TEST_F_TIMEOUT(tmem, tail_too_far_stops_ring, TIMEOUT)
{
	struct tdev *t = &self->t;
	struct mgpu_tmem_desc d = desc(MGPU_TMEM_OP_NOP, 0);
	uint32_t head, i;
	uint64_t sum;

	write_pages(t, DATA, 1, &sum);
	ASSERT_EQ(0, pages(t, MGPU_TMEM_OP_PUT, self->pool, 1, 0, 1, DATA, NULL));
	for (i = 0; i < NDESC; i++)
		push(t, &d);
	doorbell(t);
	ASSERT_EQ(0, wait_idle(t));

	head = rd(t, MGPU_TMEM_REG_HEAD);
	wr(t, MGPU_TMEM_REG_IRQ_STATUS, ~0u);
	wr(t, MGPU_TMEM_REG_TAIL, head + NDESC + 1);
	EXPECT_EQ(MGPU_TMEM_ERR_TAIL, wait_stopped(t));
	EXPECT_EQ(head, rd(t, MGPU_TMEM_REG_HEAD));
	EXPECT_TRUE(rd(t, MGPU_TMEM_REG_IRQ_STATUS) & MGPU_TMEM_IRQ_ERROR);
	/* Stopped means stopped: a sane doorbell now does nothing. */
	push(t, &d);
	wr(t, MGPU_TMEM_REG_TAIL, head + 1);
	usleep(100000);
	EXPECT_EQ(head, rd(t, MGPU_TMEM_REG_HEAD));
	EXPECT_TRUE(rd(t, MGPU_TMEM_REG_STATUS) & MGPU_TMEM_STATUS_ERROR);
	EXPECT_TRUE(qtest_alive(&t->q));

	ring_reset(t);
	EXPECT_EQ(0, rd(t, MGPU_TMEM_REG_STATUS));
	EXPECT_EQ(MGPU_TMEM_ERR_NONE, rd(t, MGPU_TMEM_REG_ERROR));
	EXPECT_EQ(0, rd(t, MGPU_TMEM_REG_HEAD));
	EXPECT_EQ(0, wait_no_pools(t));
	EXPECT_EQ(0, client_ll(t, "stored_pages"));
	ring_setup(t, RING, NDESC);
	ASSERT_EQ(MGPU_TMEM_STATUS_ENABLED, rd(t, MGPU_TMEM_REG_STATUS));
	self->pool = new_pool(t, MGPU_TMEM_POOL_PERSISTENT, NULL);
	ASSERT_LE(0, self->pool);
	EXPECT_EQ(-ENOENT, pages(t, MGPU_TMEM_OP_GET, self->pool, 1, 0, 1, OUT, NULL));
	EXPECT_EQ(0, still_works(t, self->pool, 0));
}

/* A bad setup refuses to start (ERR_SETUP); a ring the host cannot read stops. */
TEST_F_TIMEOUT(tmem, ring_setup_and_dma_errors, TIMEOUT)
{
	struct tdev *t = &self->t;
	uint32_t max_ring = rd(t, MGPU_TMEM_REG_MAX_RING);
	const struct { const char *what; uint64_t base; uint32_t size; } setup[] = {
		{ "size 0", RING, 0 },
		{ "size 3 (not a power of two)", RING, 3 },
		{ "size twice MAX_RING", RING, max_ring * 2 },
		{ "base not 4 KiB aligned", RING + 0x40, NDESC },
	};
	struct mgpu_tmem_desc nop = desc(MGPU_TMEM_OP_NOP, 0);
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(setup); i++) {
		ring_reset(t);
		ring_setup(t, setup[i].base, setup[i].size);
		EXPECT_EQ(MGPU_TMEM_ERR_SETUP, wait_stopped(t)) TH_LOG("%s", setup[i].what);
		EXPECT_FALSE(rd(t, MGPU_TMEM_REG_STATUS) & MGPU_TMEM_STATUS_ENABLED)
			TH_LOG("%s", setup[i].what);
	}

	/* The whole ring outside guest RAM: its first descriptor cannot be read. */
	ring_reset(t);
	ring_setup(t, OUTSIDE, NDESC);
	wr(t, MGPU_TMEM_REG_TAIL, 1);
	EXPECT_EQ(MGPU_TMEM_ERR_RING_DMA, wait_stopped(t));
	EXPECT_EQ(0, rd(t, MGPU_TMEM_REG_HEAD));
	EXPECT_TRUE(qtest_alive(&t->q));

	/* Half of it outside: the descriptors in RAM complete, the next stops the ring. */
	ring_reset(t);
	ring_setup(t, RAM_END - PG, 2 * NDESC);
	for (i = 0; i < NDESC; i++)
		push(t, &nop);
	t->tail++;
	doorbell(t);
	EXPECT_EQ(MGPU_TMEM_ERR_RING_DMA, wait_stopped(t));
	EXPECT_GE(NDESC, rd(t, MGPU_TMEM_REG_HEAD));
	EXPECT_TRUE(qtest_alive(&t->q));

	/* And back to work after a reset. */
	ring_reset(t);
	EXPECT_EQ(0, rd(t, MGPU_TMEM_REG_STATUS));
	ring_setup(t, RING, NDESC);
	ASSERT_EQ(MGPU_TMEM_STATUS_ENABLED, rd(t, MGPU_TMEM_REG_STATUS));
	self->pool = new_pool(t, MGPU_TMEM_POOL_PERSISTENT, NULL);
	ASSERT_LE(0, self->pool);
	EXPECT_EQ(0, still_works(t, self->pool, 0));
}

/* With IRQ_MASK set, a completion raises INTx (an IOAPIC line 16..23 on q35). */
TEST_F_TIMEOUT(tmem, completion_raises_intx, TIMEOUT)
{
	struct tdev *t = &self->t;
	struct mgpu_tmem_desc d = desc(MGPU_TMEM_OP_NOP, 0);
	long long deadline;

	ASSERT_EQ(1, qtest_pci_read8(&t->q, t->bdf, PCI_INTERRUPT_PIN))
		TH_LOG("the device has no INTA");
	ASSERT_EQ(0, qtest_irq_intercept_in(&t->q, "ioapic"));
	wr(t, MGPU_TMEM_REG_IRQ_STATUS, ~0u);
	wr(t, MGPU_TMEM_REG_IRQ_MASK, MGPU_TMEM_IRQ_COMPLETION);
	EXPECT_EQ(MGPU_TMEM_IRQ_COMPLETION, rd(t, MGPU_TMEM_REG_IRQ_MASK));
	qtest_irq_seen(&t->q, true);
	push(t, &d);
	doorbell(t);
	ASSERT_EQ(0, wait_idle(t));
	deadline = now_ms() + WAIT_MS;
	/* Any command lets the library read the "IRQ raise" QEMU sends meanwhile. */
	while (!(qtest_irq_seen(&t->q, false) & 0xff0000) && now_ms() < deadline &&
	       !t->q.error) {
		qtest_readl(&t->q, RING);
		usleep(2000);
	}
	EXPECT_NE(0, qtest_irq_seen(&t->q, false) & 0xff0000)
		TH_LOG("no IOAPIC line 16..23 was raised (seen 0x%llx)",
		       (unsigned long long)qtest_irq_seen(&t->q, false));
	EXPECT_TRUE(rd(t, MGPU_TMEM_REG_IRQ_STATUS) & MGPU_TMEM_IRQ_COMPLETION);
	wr(t, MGPU_TMEM_REG_IRQ_STATUS, MGPU_TMEM_IRQ_COMPLETION);
	EXPECT_EQ(0, rd(t, MGPU_TMEM_REG_IRQ_STATUS) & MGPU_TMEM_IRQ_COMPLETION);
	wr(t, MGPU_TMEM_REG_IRQ_MASK, 0);
	EXPECT_EQ(0, still_works(t, self->pool, 0));
}

/* QEMU's system_reset resets the device: the ring forgets its setup, the pools go. */
TEST_F_TIMEOUT(tmem, system_reset_destroys_pools, TIMEOUT)
{
	struct tdev *t = &self->t;
	uint64_t sum[8];
	char *reply;
	int eph;

	eph = new_pool(t, 0, NULL);
	ASSERT_LE(0, eph);
	write_pages(t, DATA, 8, sum);
	ASSERT_EQ(0, pages(t, MGPU_TMEM_OP_PUT, self->pool, 1, 0, 8, DATA, NULL));
	ASSERT_EQ(0, pages(t, MGPU_TMEM_OP_PUT, eph, 1, 0, 8, DATA, NULL));
	ASSERT_EQ(16, client_ll(t, "stored_pages"));
	ASSERT_EQ(2, client_pools(t));

	reply = qtest_qmp(&t->q, "{\"execute\": \"system_reset\"}");
	ASSERT_NE(NULL, reply);
	free(reply);
	EXPECT_EQ(0, wait_no_pools(t));
	EXPECT_EQ(0, client_ll(t, "stored_pages"));
	EXPECT_EQ(0, client_ll(t, "bytes"));
	EXPECT_FALSE(qtest_stderr_has(&t->q, "Cannot reset device"))
		TH_LOG("%s", qtest_stderr(&t->q));

	/* Reset clears the BAR and the command register as well: map them again. */
	ASSERT_EQ(0, tdev_map(t));
	EXPECT_EQ(MGPU_TMEM_MAGIC, rd(t, MGPU_TMEM_REG_MAGIC));
	EXPECT_EQ(0, rd(t, MGPU_TMEM_REG_STATUS));
	EXPECT_EQ(0, rd(t, MGPU_TMEM_REG_HEAD));
	EXPECT_EQ(0, rd(t, MGPU_TMEM_REG_TAIL));
	EXPECT_EQ(0, rd(t, MGPU_TMEM_REG_RING_SIZE));
	EXPECT_EQ(t->client, rd(t, MGPU_TMEM_REG_CLIENT_ID));
	ring_setup(t, RING, NDESC);
	ASSERT_EQ(MGPU_TMEM_STATUS_ENABLED, rd(t, MGPU_TMEM_REG_STATUS));
	self->pool = new_pool(t, MGPU_TMEM_POOL_PERSISTENT, NULL);
	ASSERT_LE(0, self->pool);
	EXPECT_EQ(-ENOENT, pages(t, MGPU_TMEM_OP_GET, self->pool, 1, 0, 1, OUT, NULL));
	EXPECT_EQ(0, still_works(t, self->pool, 0));
}

TEST_HARNESS_MAIN
