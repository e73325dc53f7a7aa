// SPDX-License-Identifier: GPL-2.0-only
/*
 * VM tier: the tmem device (include/uapi/linux/mgpu_tmem.h) of mgpu_tmem.ko, created
 * through sysfs and driven through VFIO's type1 container from userspace, with a
 * buffer of this process mapped as its guest memory — identity, config space and
 * registers; put/get round trips of random pages with per-page checksums (persistent
 * and ephemeral); a batch behind one doorbell; MSI and INTx through eventfds; every
 * malformed descriptor class, the device working on afterwards; TAIL too far and its
 * reset; VFIO_DEVICE_RESET; isolation of two devices (two clients); shared pools and
 * the admin's authorisation; the client's statistics in sysfs; guest memory unmapped
 * mid-batch; a device closed mid-batch and removed, leaving no page behind; and the
 * module held while a device is open.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <linux/pci_regs.h>

#include "kselftest_harness.h"
#include "mgpu_tmem_ring.h"

#define PG		MGPU_TMEM_PAGE_SIZE
#define PAGES		1024			/* guest memory after the ring: 4 MiB */
#define IOVA		0x100000000ULL
#define RING		256
#define CAPS_ALWAYS	(MGPU_TMEM_CAP_PERSISTENT | MGPU_TMEM_CAP_EPHEMERAL | \
			 MGPU_TMEM_CAP_SHARED | MGPU_TMEM_CAP_MSI | MGPU_TMEM_CAP_WRITEBACK)

static const uint8_t shared_uuid[16] = {
	0x6d, 0x67, 0x70, 0x75, 0x2d, 0x74, 0x6d, 0x65, 0x6d, 0x2d, 0x74, 0x65, 0x73, 0x74,
	0x00, 0x01,
};

#define SHARED_UUID_STR	"6d677075-2d74-6d65-6d2d-746573740001"

/* ---- sysfs ----------------------------------------------------------------------------- */

static long long tmem_read(const char *fmt, ...)
{
	char path[PATH_MAX];
	va_list ap;
	int n;

	n = snprintf(path, sizeof(path), "%s/kernel/mgpu_tmem/", mgpu_sysfs_root());
	va_start(ap, fmt);
	vsnprintf(path + n, sizeof(path) - n, fmt, ap);
	va_end(ap);
	return mgpu_sysfs_read_ll(path);
}

static int client_write(int client, const char *attr, const char *val)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/kernel/mgpu_tmem/clients/%d/%s", mgpu_sysfs_root(),
		 client, attr);
	return mgpu_sysfs_write(path, val);
}

static int mdev_attr(struct mgpu_tmem_ring *t, const char *attr, char *buf, size_t len)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/bus/mdev/devices/%s/mgpu_tmem/%s",
		 mgpu_sysfs_root(), t->dev.uuid, attr);
	return mgpu_sysfs_read(path, buf, len);
}

static int mdev_attr_write(struct mgpu_tmem_ring *t, const char *attr, const char *val)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/bus/mdev/devices/%s/mgpu_tmem/%s",
		 mgpu_sysfs_root(), t->dev.uuid, attr);
	return mgpu_sysfs_write(path, val);
}

static int client_of(struct mgpu_tmem_ring *t)
{
	char buf[32];

	return mdev_attr(t, "client", buf, sizeof(buf)) < 0 ? -1 : atoi(buf);
}

/* ---- pages ----------------------------------------------------------------------------- */

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	return x ^ (x >> 33);
}

/* A random page; returns its checksum. */
static uint64_t fill(void *p, uint64_t seed)
{
	uint64_t *w = p, sum = 0;
	int i;

	for (i = 0; i < PG / 8; i++) {
		w[i] = mix(seed * 512 + i);
		sum = mix(sum ^ w[i]);
	}
	return sum;
}

static uint64_t checksum(const void *p)
{
	const uint64_t *w = p;
	uint64_t sum = 0;
	int i;

	for (i = 0; i < PG / 8; i++)
		sum = mix(sum ^ w[i]);
	return sum;
}

static struct mgpu_tmem_desc dpage(uint8_t op, int pool, uint64_t oid, uint32_t index,
				   uint32_t count, uint64_t addr)
{
	struct mgpu_tmem_desc d = {
		.op = op, .pool = pool, .oid = oid, .index = index, .count = count,
		.addr = addr,
	};

	return d;
}

/* ---- the fixture: one tmem device, opened, ring running ---------------------------- */

static int open_dev(struct mgpu_tmem_ring *t)
{
	int ret = mgpu_tmem_ring_create(t);

	if (!ret)
		ret = mgpu_tmem_ring_open(t, PAGES, IOVA);
	if (!ret)
		ret = mgpu_tmem_ring_start(t, RING);
	return ret;
}

FIXTURE(tmem) {
	struct mgpu_tmem_ring t;
};

FIXTURE_SETUP(tmem)
{
	char path[PATH_MAX];
	int ret;

	snprintf(path, sizeof(path), "%s/class/mdev_bus/" MGPU_TMEM_PARENT, mgpu_sysfs_root());
	if (access(path, F_OK)) {
		if (access("/sys/module/mgpu_tmem", F_OK))
			SKIP(return, "the mgpu_tmem module is not loaded");
		ASSERT_TRUE(0) TH_LOG("mgpu_tmem is loaded but offers no mdev parent");
	}
	if (access("/dev/vfio/vfio", F_OK))
		SKIP(return, "no /dev/vfio/vfio (vfio not loaded)");
	mgpu_tmem_remove_all();
	ret = open_dev(&self->t);
	if (ret)
		mgpu_tmem_remove_all();	/* the harness skips teardown after a failed setup */
	ASSERT_EQ(0, ret) TH_LOG("cannot create and open a tmem device through VFIO");
}

FIXTURE_TEARDOWN(tmem)
{
	mgpu_tmem_ring_destroy(&self->t);
	mgpu_tmem_remove_all();
}

/* ---- identity -------------------------------------------------------------------------- */

TEST_F(tmem, device_and_region_info)
{
	struct mgpu_dev *d = &self->t.dev;
	struct vfio_region_info info;

	EXPECT_TRUE(d->info.flags & VFIO_DEVICE_FLAGS_PCI);
	EXPECT_TRUE(d->info.flags & VFIO_DEVICE_FLAGS_RESET);
	EXPECT_EQ(VFIO_PCI_NUM_REGIONS, d->info.num_regions);
	EXPECT_EQ(VFIO_PCI_NUM_IRQS, d->info.num_irqs);
	ASSERT_EQ(0, mgpu_region_info(d, VFIO_PCI_CONFIG_REGION_INDEX, &info));
	EXPECT_EQ(256, info.size);
	ASSERT_EQ(0, mgpu_region_info(d, VFIO_PCI_BAR0_REGION_INDEX, &info));
	EXPECT_EQ(MGPU_TMEM_REGS_SIZE, info.size);
	EXPECT_EQ(VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE, info.flags);
	ASSERT_EQ(0, mgpu_region_info(d, VFIO_PCI_BAR2_REGION_INDEX, &info));
	EXPECT_EQ(0, info.size);
	EXPECT_EQ(-EINVAL, mgpu_region_info(d, VFIO_PCI_NUM_REGIONS, &info));
}

TEST_F(tmem, config_space_identity)
{
	struct mgpu_dev *d = &self->t.dev;
	uint8_t cap;

	EXPECT_EQ(MGPU_TMEM_PCI_VENDOR_ID, mgpu_cfg_read16(d, PCI_VENDOR_ID));
	EXPECT_EQ(MGPU_TMEM_PCI_DEVICE_ID, mgpu_cfg_read16(d, PCI_DEVICE_ID));
	EXPECT_EQ(MGPU_TMEM_PCI_SUBSYS_VENDOR_ID, mgpu_cfg_read16(d, PCI_SUBSYSTEM_VENDOR_ID));
	EXPECT_EQ(MGPU_TMEM_PCI_SUBSYS_DEVICE_ID, mgpu_cfg_read16(d, PCI_SUBSYSTEM_ID));
	EXPECT_EQ(MGPU_TMEM_PCI_CLASS << 8 | MGPU_TMEM_PCI_REVISION,
		  mgpu_cfg_read32(d, PCI_CLASS_REVISION));
	EXPECT_EQ(1, mgpu_cfg_read32(d, PCI_INTERRUPT_LINE) >> 8 & 0xff);	/* INTA# */
	/* BAR0 sizes as the register window, 32-bit, not prefetchable; no other BAR. */
	ASSERT_EQ(0, mgpu_cfg_write32(d, PCI_BASE_ADDRESS_0, 0xffffffff));
	EXPECT_EQ(~(MGPU_TMEM_REGS_SIZE - 1u), mgpu_cfg_read32(d, PCI_BASE_ADDRESS_0));
	ASSERT_EQ(0, mgpu_cfg_write32(d, PCI_BASE_ADDRESS_1, 0xffffffff));
	EXPECT_EQ(0, mgpu_cfg_read32(d, PCI_BASE_ADDRESS_1));
	/* One capability: MSI. */
	EXPECT_TRUE(mgpu_cfg_read16(d, PCI_STATUS) & PCI_STATUS_CAP_LIST);
	cap = mgpu_cfg_read16(d, PCI_CAPABILITY_LIST) & 0xff;
	ASSERT_NE(0, cap);
	EXPECT_EQ(PCI_CAP_ID_MSI, mgpu_cfg_read16(d, cap) & 0xff);
	EXPECT_EQ(0, mgpu_cfg_read16(d, cap) >> 8);
}

TEST_F(tmem, registers_and_sysfs)
{
	struct mgpu_tmem_ring *t = &self->t;
	uint32_t caps = mgpu_tmem_rd(t, MGPU_TMEM_REG_CAPS);
	int client = client_of(t);
	char buf[64], name[64];
	uint32_t v;

	EXPECT_EQ(MGPU_TMEM_MAGIC, mgpu_tmem_rd(t, MGPU_TMEM_REG_MAGIC));
	EXPECT_EQ(MGPU_TMEM_VERSION_MAJOR, mgpu_tmem_rd(t, MGPU_TMEM_REG_VERSION) >> 16);
	EXPECT_EQ(CAPS_ALWAYS, caps & CAPS_ALWAYS);
	ASSERT_GT(mgpu_sysfs_read("/sys/kernel/mgpu_tmem/compression", buf, sizeof(buf)), 0);
	EXPECT_EQ(strcmp(buf, "none") != 0, !!(caps & MGPU_TMEM_CAP_COMPRESS));
	EXPECT_EQ(MGPU_TMEM_MAX_RING, mgpu_tmem_rd(t, MGPU_TMEM_REG_MAX_RING));
	EXPECT_EQ(MGPU_TMEM_MAX_COUNT, mgpu_tmem_rd(t, MGPU_TMEM_REG_MAX_COUNT));
	EXPECT_EQ(PG, mgpu_tmem_rd(t, MGPU_TMEM_REG_PAGE_SIZE));
	ASSERT_GE(client, 0);
	EXPECT_EQ(client, mgpu_tmem_rd(t, MGPU_TMEM_REG_CLIENT_ID));
	snprintf(buf, sizeof(buf), "/sys/kernel/mgpu_tmem/clients/%d/name", client);
	ASSERT_GT(mgpu_sysfs_read(buf, name, sizeof(name)), 0);
	EXPECT_STREQ(t->dev.uuid, name);
	/* weight on the mdev is the client's weight, with the same rules. */
	ASSERT_GT(mdev_attr(t, "weight", buf, sizeof(buf)), 0);
	EXPECT_EQ(100, atoi(buf));
	EXPECT_EQ(0, mdev_attr_write(t, "weight", "300"));
	EXPECT_EQ(300, tmem_read("clients/%d/weight", client));
	EXPECT_EQ(-EINVAL, mdev_attr_write(t, "weight", "0"));
	EXPECT_EQ(-EINVAL, mdev_attr_write(t, "weight", "10001"));
	EXPECT_EQ(-EINVAL, mdev_attr_write(t, "weight", "heavy"));
	EXPECT_EQ(0, client_write(client, "weight", "7"));
	ASSERT_GT(mdev_attr(t, "weight", buf, sizeof(buf)), 0);
	EXPECT_EQ(7, atoi(buf));
	/* BAR0: whole aligned registers only. */
	EXPECT_EQ(-EINVAL, mgpu_region_read(&t->dev, VFIO_PCI_BAR0_REGION_INDEX, 0, &v, 2));
	EXPECT_EQ(-EINVAL, mgpu_region_read(&t->dev, VFIO_PCI_BAR0_REGION_INDEX, 2, &v, 4));
	EXPECT_EQ(-EINVAL, mgpu_region_read(&t->dev, VFIO_PCI_BAR0_REGION_INDEX, PG, &v, 4));
	EXPECT_EQ(-EINVAL, mgpu_region_write(&t->dev, VFIO_PCI_BAR0_REGION_INDEX, 1, &v, 4));
	EXPECT_EQ(-EINVAL, mgpu_region_read(&t->dev, VFIO_PCI_BAR1_REGION_INDEX, 0, &v, 4));
	EXPECT_EQ(MGPU_TMEM_STATUS_ENABLED, mgpu_tmem_rd(t, MGPU_TMEM_REG_STATUS));
}

/* ---- pages ----------------------------------------------------------------------------- */

/* @n pages from page 0 of guest memory put under (pool, oid 5, index 0..), 64 a time. */
static void put_pages(struct __test_metadata *_metadata, struct mgpu_tmem_ring *t,
		      int pool, unsigned int n, uint64_t *sums, uint64_t seed)
{
	uint64_t result;
	unsigned int i;

	for (i = 0; i < n; i++)
		sums[i] = fill(mgpu_tmem_page(t, i), seed + i);
	for (i = 0; i < n; i += 64) {
		struct mgpu_tmem_desc d = dpage(MGPU_TMEM_OP_PUT, pool, 5, i, 64,
						mgpu_tmem_page_gpa(t, i));

		ASSERT_EQ(0, mgpu_tmem_submit(t, &d, &result)) TH_LOG("put at page %u", i);
		ASSERT_EQ(64, result);
	}
}

/* Get them back into pages @n.. and compare checksums. */
static void get_pages(struct __test_metadata *_metadata, struct mgpu_tmem_ring *t,
		      int pool, unsigned int n, const uint64_t *sums)
{
	uint64_t result;
	unsigned int i;

	memset(mgpu_tmem_page(t, n), 0, (size_t)n * PG);
	for (i = 0; i < n; i += 64) {
		struct mgpu_tmem_desc d = dpage(MGPU_TMEM_OP_GET, pool, 5, i, 64,
						mgpu_tmem_page_gpa(t, n + i));

		ASSERT_EQ(0, mgpu_tmem_submit(t, &d, &result)) TH_LOG("get at page %u", i);
		ASSERT_EQ(64, result);
	}
	for (i = 0; i < n; i++)
		ASSERT_EQ(sums[i], checksum(mgpu_tmem_page(t, n + i))) TH_LOG("page %u", i);
}

TEST_F(tmem, persistent_round_trip_and_stats)
{
	struct mgpu_tmem_ring *t = &self->t;
	int client = client_of(t), pool;
	char path[PATH_MAX], kind[32];
	uint64_t sums[512];

	pool = mgpu_tmem_new_pool(t, MGPU_TMEM_POOL_PERSISTENT, NULL);
	ASSERT_GE(pool, 0);
	snprintf(path, sizeof(path), "%s/kernel/mgpu_tmem/clients/%d/pools/%d/kind",
		 mgpu_sysfs_root(), client, pool);
	ASSERT_GT(mgpu_sysfs_read(path, kind, sizeof(kind)), 0);
	EXPECT_STREQ("persistent", kind);
	put_pages(_metadata, t, pool, 512, sums, 1);
	EXPECT_EQ(512, tmem_read("clients/%d/stored_pages", client));
	EXPECT_EQ(512, tmem_read("clients/%d/puts", client));
	EXPECT_EQ(512, tmem_read("clients/%d/pools/%d/stored_pages", client, pool));
	get_pages(_metadata, t, pool, 512, sums);
	get_pages(_metadata, t, pool, 512, sums);	/* persistent: still there */
	EXPECT_EQ(1024, tmem_read("clients/%d/hits", client));
	EXPECT_EQ(512, tmem_read("clients/%d/stored_pages", client));
}

TEST_F(tmem, ephemeral_get_is_exclusive)
{
	struct mgpu_tmem_ring *t = &self->t;
	int client = client_of(t), pool;
	struct mgpu_tmem_desc d;
	uint64_t sums[128], result;

	pool = mgpu_tmem_new_pool(t, 0, NULL);
	ASSERT_GE(pool, 0);
	put_pages(_metadata, t, pool, 128, sums, 1000);
	EXPECT_EQ(128, tmem_read("clients/%d/stored_pages", client));
	get_pages(_metadata, t, pool, 128, sums);
	EXPECT_EQ(0, tmem_read("clients/%d/stored_pages", client));
	d = dpage(MGPU_TMEM_OP_GET, pool, 5, 0, 1, mgpu_tmem_page_gpa(t, 300));
	EXPECT_EQ(-ENOENT, mgpu_tmem_submit(t, &d, &result));
	EXPECT_EQ(0, result);
}

TEST_F(tmem, batch_behind_one_doorbell)
{
	struct mgpu_tmem_ring *t = &self->t;
	volatile struct mgpu_tmem_desc *s[RING];
	int pool = mgpu_tmem_new_pool(t, MGPU_TMEM_POOL_PERSISTENT, NULL);
	uint64_t sums[128];
	unsigned int i;

	ASSERT_GE(pool, 0);
	for (i = 0; i < 128; i++) {
		struct mgpu_tmem_desc d = dpage(MGPU_TMEM_OP_PUT, pool, 9, i, 1,
						mgpu_tmem_page_gpa(t, i));

		sums[i] = fill(mgpu_tmem_page(t, i), 77 + i);
		d.cookie = 0xc0c0 + i;
		s[i] = mgpu_tmem_push(t, &d);
	}
	for (i = 128; i < RING - 1; i++) {
		struct mgpu_tmem_desc d = dpage(MGPU_TMEM_OP_GET, pool, 9, i - 128, 1,
						mgpu_tmem_page_gpa(t, 128 + i));

		d.cookie = 0xc0c0 + i;
		s[i] = mgpu_tmem_push(t, &d);
	}
	ASSERT_EQ(0, mgpu_tmem_kick(t));
	ASSERT_EQ(0, mgpu_tmem_wait(t, MGPU_TMEM_WAIT_MS));
	for (i = 0; i < RING - 1; i++) {
		EXPECT_EQ(0, s[i]->status) TH_LOG("descriptor %u", i);
		EXPECT_EQ(1, s[i]->result);
		EXPECT_EQ(0xc0c0 + i, s[i]->cookie);
	}
	for (i = 128; i < RING - 1; i++)
		EXPECT_EQ(sums[i - 128], checksum(mgpu_tmem_page(t, 128 + i)));
	EXPECT_TRUE(mgpu_tmem_rd(t, MGPU_TMEM_REG_IRQ_STATUS) & MGPU_TMEM_IRQ_COMPLETION);
}

/* ---- interrupts ------------------------------------------------------------------------ */

static int set_irq(struct mgpu_tmem_ring *t, unsigned int index, uint32_t action, int fd)
{
	struct {
		struct vfio_irq_set hdr;
		int32_t fd;
	} s = {
		.hdr = {
			.argsz = sizeof(s), .index = index, .start = 0, .count = 1,
			.flags = action | (action == VFIO_IRQ_SET_ACTION_TRIGGER ?
				 VFIO_IRQ_SET_DATA_EVENTFD : VFIO_IRQ_SET_DATA_NONE),
		},
		.fd = fd,
	};

	if (action != VFIO_IRQ_SET_ACTION_TRIGGER)
		s.hdr.argsz = sizeof(s.hdr);
	return ioctl(t->dev.fd, VFIO_DEVICE_SET_IRQS, &s) ? -errno : 0;
}

/* Did @efd fire within @ms? Consumes the count. */
static int fired(int efd, int ms)
{
	struct pollfd p = { .fd = efd, .events = POLLIN };
	uint64_t n;

	if (poll(&p, 1, ms) != 1)
		return 0;
	return read(efd, &n, sizeof(n)) == sizeof(n);
}

static int nop(struct mgpu_tmem_ring *t)
{
	struct mgpu_tmem_desc d = { .op = MGPU_TMEM_OP_NOP };

	return mgpu_tmem_submit(t, &d, NULL);
}

TEST_F(tmem, msi_fires_on_completion)
{
	struct mgpu_tmem_ring *t = &self->t;
	uint8_t cap = mgpu_cfg_read16(&t->dev, PCI_CAPABILITY_LIST) & 0xff;
	int efd = eventfd(0, EFD_NONBLOCK);

	ASSERT_GE(efd, 0);
	ASSERT_EQ(0, mgpu_cfg_write16(&t->dev, cap + PCI_MSI_FLAGS, PCI_MSI_FLAGS_ENABLE));
	ASSERT_EQ(0, set_irq(t, VFIO_PCI_MSI_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER, efd));
	ASSERT_EQ(0, nop(t));
	EXPECT_FALSE(fired(efd, 200));		/* masked */
	ASSERT_EQ(0, mgpu_tmem_wr(t, MGPU_TMEM_REG_IRQ_STATUS, ~0u));
	ASSERT_EQ(0, mgpu_tmem_wr(t, MGPU_TMEM_REG_IRQ_MASK, MGPU_TMEM_IRQ_COMPLETION));
	ASSERT_EQ(0, nop(t));
	EXPECT_TRUE(fired(efd, 5000));
	/* No new edge while the cause is not cleared. */
	ASSERT_EQ(0, nop(t));
	EXPECT_FALSE(fired(efd, 200));
	ASSERT_EQ(0, mgpu_tmem_wr(t, MGPU_TMEM_REG_IRQ_STATUS, MGPU_TMEM_IRQ_COMPLETION));
	ASSERT_EQ(0, nop(t));
	EXPECT_TRUE(fired(efd, 5000));
	/* A ring stop raises IRQ_ERROR. */
	ASSERT_EQ(0, mgpu_tmem_wr(t, MGPU_TMEM_REG_IRQ_MASK, MGPU_TMEM_IRQ_ERROR));
	ASSERT_EQ(0, mgpu_tmem_wr(t, MGPU_TMEM_REG_IRQ_STATUS, ~0u));
	ASSERT_EQ(0, mgpu_tmem_wr(t, MGPU_TMEM_REG_TAIL, t->tail + RING + 1));
	EXPECT_TRUE(fired(efd, 5000));
	EXPECT_EQ(0, set_irq(t, VFIO_PCI_MSI_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER, -1));
	close(efd);
}

TEST_F(tmem, intx_fires_and_automasks)
{
	struct mgpu_tmem_ring *t = &self->t;
	int efd = eventfd(0, EFD_NONBLOCK);

	ASSERT_GE(efd, 0);
	ASSERT_EQ(0, set_irq(t, VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER, efd));
	ASSERT_EQ(0, mgpu_tmem_wr(t, MGPU_TMEM_REG_IRQ_MASK, MGPU_TMEM_IRQ_COMPLETION));
	ASSERT_EQ(0, nop(t));
	EXPECT_TRUE(fired(efd, 5000));
	/* Delivered once, then masked until the user unmasks it. */
	ASSERT_EQ(0, mgpu_tmem_wr(t, MGPU_TMEM_REG_IRQ_STATUS, MGPU_TMEM_IRQ_COMPLETION));
	ASSERT_EQ(0, nop(t));
	EXPECT_FALSE(fired(efd, 200));
	ASSERT_EQ(0, set_irq(t, VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_UNMASK, -1));
	EXPECT_TRUE(fired(efd, 1000));		/* the line is still up */
	ASSERT_EQ(0, mgpu_tmem_wr(t, MGPU_TMEM_REG_IRQ_STATUS, MGPU_TMEM_IRQ_COMPLETION));
	ASSERT_EQ(0, set_irq(t, VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_UNMASK, -1));
	EXPECT_FALSE(fired(efd, 200));		/* and now it is down */
	/* INTx disabled in the command register: nothing. */
	ASSERT_EQ(0, mgpu_cfg_write16(&t->dev, PCI_COMMAND, PCI_COMMAND_MEMORY |
				      PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE));
	ASSERT_EQ(0, nop(t));
	EXPECT_FALSE(fired(efd, 200));
	close(efd);
}

/* ---- hostile descriptors and registers ------------------------------------------------- */

/* The vGPU's hostile SET_IRQS sequence (mgpu_set_irqs_hostile()) on the tmem device. */
TEST_F(tmem, set_irqs_hostile)
{
	const char *why = mgpu_set_irqs_hostile(&self->t.dev);
	int efd = eventfd(0, 0);

	EXPECT_EQ(NULL, why) TH_LOG("%s", why);
	ASSERT_LE(0, efd);
	EXPECT_EQ(0, set_irq(&self->t, VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER,
			     efd));
	EXPECT_EQ(0, set_irq(&self->t, VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER,
			     -1));
	close(efd);
}

TEST_F(tmem, malformed_descriptors_fail_alone)
{
	struct mgpu_tmem_ring *t = &self->t;
	int pool = mgpu_tmem_new_pool(t, MGPU_TMEM_POOL_PERSISTENT, NULL);
	uint64_t a = mgpu_tmem_page_gpa(t, 0), result, sums[64];
	struct {
		struct mgpu_tmem_desc d;
		int status;
		const char *what;
	} c[] = {
		{ { .op = 7 }, -EOPNOTSUPP, "unknown op" },
		{ { .op = 0xff }, -EOPNOTSUPP, "unknown op 0xff" },
		{ { .op = MGPU_TMEM_OP_NEW_POOL, .flags = 4 }, -EINVAL, "bad pool flags" },
		{ { .op = MGPU_TMEM_OP_NEW_POOL, .flags = 3 }, -EINVAL, "persistent shared" },
		{ dpage(MGPU_TMEM_OP_PUT, pool, 1, 0, 1, a), 0, "flags on a put" },
		{ dpage(MGPU_TMEM_OP_PUT, 16, 1, 0, 1, a), -EINVAL, "pool out of range" },
		{ dpage(MGPU_TMEM_OP_PUT, pool, 1, 0, 0, a), -EINVAL, "count 0" },
		{ dpage(MGPU_TMEM_OP_GET, pool, 1, 0, 65, a), -EINVAL, "count 65" },
		{ dpage(MGPU_TMEM_OP_PUT, pool, 1, 0xfffffff0, 16, a), -EINVAL, "index wrap" },
		{ dpage(MGPU_TMEM_OP_PUT, pool, 1, 0, 1, a + 8), -EINVAL, "unaligned addr" },
		{ dpage(MGPU_TMEM_OP_GET, pool, 1, 0, 2, ~0ULL - PG + 1), -EINVAL, "addr wrap" },
		{ dpage(MGPU_TMEM_OP_PUT, pool, 1, 0, 1, 0x7000000000ULL), -EFAULT, "unmapped" },
		{ dpage(MGPU_TMEM_OP_PUT, pool, 1, 0, 4, IOVA - 2 * PG), -EFAULT, "below" },
		{ { .op = MGPU_TMEM_OP_NEW_POOL, .uuid = { 1 } }, -EINVAL, "uuid, private" },
		{ dpage(MGPU_TMEM_OP_FLUSH_PAGE, pool, 1, 0, 1, a), -EINVAL, "addr on flush" },
		{ dpage(MGPU_TMEM_OP_FLUSH_OBJECT, pool, 1, 0, 1, 0), -EINVAL, "count on flush" },
		{ { .op = MGPU_TMEM_OP_NOP, .count = 1 }, -EINVAL, "count on a nop" },
		{ { .op = MGPU_TMEM_OP_DESTROY_POOL, .pool = 9 }, -ENOENT, "pool not open" },
	};
	unsigned int i;

	ASSERT_GE(pool, 0);
	c[4].d.flags = 1;
	c[4].status = -EINVAL;
	for (i = 0; i < ARRAY_SIZE(c); i++) {
		c[i].d.cookie = 0x5a5a0000 + i;
		c[i].d.result = 0xdead;
		EXPECT_EQ(c[i].status, mgpu_tmem_submit(t, &c[i].d, &result))
			TH_LOG("%s", c[i].what);
		EXPECT_EQ(0, result) TH_LOG("%s", c[i].what);
		EXPECT_EQ(0x5a5a0000 + i, t->ring[(t->tail - 1) % RING].cookie);
		EXPECT_EQ(MGPU_TMEM_STATUS_ENABLED, mgpu_tmem_rd(t, MGPU_TMEM_REG_STATUS));
	}
	/* The device goes on working. */
	EXPECT_EQ(0, nop(t));
	put_pages(_metadata, t, pool, 64, sums, 4242);
	get_pages(_metadata, t, pool, 64, sums);
}

TEST_F(tmem, tail_too_far_stops_until_reset)
{
	struct mgpu_tmem_ring *t = &self->t;

	ASSERT_EQ(0, nop(t));
	ASSERT_EQ(0, mgpu_tmem_wr(t, MGPU_TMEM_REG_TAIL, t->tail + RING + 1));
	EXPECT_EQ(MGPU_TMEM_STATUS_ERROR, mgpu_tmem_rd(t, MGPU_TMEM_REG_STATUS));
	EXPECT_EQ(MGPU_TMEM_ERR_TAIL, mgpu_tmem_rd(t, MGPU_TMEM_REG_ERROR));
	EXPECT_TRUE(mgpu_tmem_rd(t, MGPU_TMEM_REG_IRQ_STATUS) & MGPU_TMEM_IRQ_ERROR);
	ASSERT_EQ(0, mgpu_tmem_wr(t, MGPU_TMEM_REG_CONTROL, MGPU_TMEM_CTRL_ENABLE));
	EXPECT_EQ(MGPU_TMEM_STATUS_ERROR, mgpu_tmem_rd(t, MGPU_TMEM_REG_STATUS));
	ASSERT_EQ(0, mgpu_tmem_wr(t, MGPU_TMEM_REG_CONTROL, MGPU_TMEM_CTRL_RESET));
	EXPECT_EQ(0, mgpu_tmem_rd(t, MGPU_TMEM_REG_STATUS));
	EXPECT_EQ(0, mgpu_tmem_rd(t, MGPU_TMEM_REG_ERROR));
	/* A bad setup is refused with ERR_SETUP. */
	ASSERT_EQ(0, mgpu_tmem_wr(t, MGPU_TMEM_REG_RING_SIZE, 3));
	ASSERT_EQ(0, mgpu_tmem_wr(t, MGPU_TMEM_REG_CONTROL, MGPU_TMEM_CTRL_ENABLE));
	EXPECT_EQ(MGPU_TMEM_ERR_SETUP, mgpu_tmem_rd(t, MGPU_TMEM_REG_ERROR));
	ASSERT_EQ(0, mgpu_tmem_ring_start(t, RING));
	EXPECT_EQ(0, nop(t));
	EXPECT_EQ(1, mgpu_tmem_rd(t, MGPU_TMEM_REG_HEAD));
}

TEST_F(tmem, unreadable_ring_stops_it)
{
	struct mgpu_tmem_ring *t = &self->t;

	ASSERT_EQ(0, mgpu_tmem_wr(t, MGPU_TMEM_REG_CONTROL, MGPU_TMEM_CTRL_RESET));
	ASSERT_EQ(0, mgpu_tmem_wr(t, MGPU_TMEM_REG_RING_BASE_LO, 0));
	ASSERT_EQ(0, mgpu_tmem_wr(t, MGPU_TMEM_REG_RING_BASE_HI, 0x70));	/* unmapped */
	ASSERT_EQ(0, mgpu_tmem_wr(t, MGPU_TMEM_REG_RING_SIZE, 16));
	ASSERT_EQ(0, mgpu_tmem_wr(t, MGPU_TMEM_REG_CONTROL, MGPU_TMEM_CTRL_ENABLE));
	ASSERT_EQ(0, mgpu_tmem_wr(t, MGPU_TMEM_REG_TAIL, 1));
	t->tail = 1;
	EXPECT_EQ(-EIO, mgpu_tmem_wait(t, MGPU_TMEM_WAIT_MS));
	EXPECT_EQ(MGPU_TMEM_ERR_RING_DMA, mgpu_tmem_rd(t, MGPU_TMEM_REG_ERROR));
	ASSERT_EQ(0, mgpu_tmem_ring_start(t, RING));
	EXPECT_EQ(0, nop(t));
}

TEST_F(tmem, reset_destroys_pools)
{
	struct mgpu_tmem_ring *t = &self->t;
	int client = client_of(t), pool;
	uint64_t sums[64];

	pool = mgpu_tmem_new_pool(t, MGPU_TMEM_POOL_PERSISTENT, NULL);
	ASSERT_GE(pool, 0);
	put_pages(_metadata, t, pool, 64, sums, 5);
	EXPECT_EQ(64, tmem_read("clients/%d/stored_pages", client));
	ASSERT_EQ(0, ioctl(t->dev.fd, VFIO_DEVICE_RESET));
	EXPECT_EQ(0, tmem_read("clients/%d/stored_pages", client));
	EXPECT_EQ(0, mgpu_tmem_rd(t, MGPU_TMEM_REG_STATUS));
	EXPECT_EQ(0, mgpu_tmem_rd(t, MGPU_TMEM_REG_RING_SIZE));
	ASSERT_EQ(0, mgpu_tmem_ring_start(t, RING));
	pool = mgpu_tmem_new_pool(t, MGPU_TMEM_POOL_PERSISTENT, NULL);
	ASSERT_GE(pool, 0);
	put_pages(_metadata, t, pool, 64, sums, 6);
	ASSERT_EQ(0, mgpu_tmem_wr(t, MGPU_TMEM_REG_CONTROL, MGPU_TMEM_CTRL_RESET));
	EXPECT_EQ(0, tmem_read("clients/%d/stored_pages", client));
}

/* Guest memory taken away under a running batch: statuses, a stop, never a crash. */
TEST_F(tmem, memory_unmapped_mid_batch)
{
	struct mgpu_tmem_ring *t = &self->t;
	int pool = mgpu_tmem_new_pool(t, MGPU_TMEM_POOL_PERSISTENT, NULL);
	unsigned int i;
	int ret;

	ASSERT_GE(pool, 0);
	for (i = 0; i < 64; i++) {
		struct mgpu_tmem_desc d = dpage(MGPU_TMEM_OP_PUT, pool, 1, i * 64, 64,
						mgpu_tmem_page_gpa(t, (i % 16) * 64));

		mgpu_tmem_push(t, &d);
	}
	ASSERT_EQ(0, mgpu_tmem_kick(t));
	ASSERT_EQ(0, mgpu_tmem_ring_unmap(t));
	ret = mgpu_tmem_wait(t, MGPU_TMEM_WAIT_MS);
	EXPECT_TRUE(ret == 0 || ret == -EIO) TH_LOG("wait: %d", ret);
	if (ret == -EIO)
		EXPECT_EQ(MGPU_TMEM_ERR_RING_DMA, mgpu_tmem_rd(t, MGPU_TMEM_REG_ERROR));
	ASSERT_EQ(0, mgpu_tmem_ring_map(t));
	for (i = 0; i < 64 && !ret; i++) {
		int st = t->ring[i].status;

		EXPECT_TRUE(st == 0 || st == -EFAULT) TH_LOG("descriptor %u: %d", i, st);
	}
	ASSERT_EQ(0, mgpu_tmem_ring_start(t, RING));
	EXPECT_EQ(0, nop(t));
}

/* ---- two devices ----------------------------------------------------------------------- */

TEST_F(tmem, two_devices_are_isolated)
{
	struct mgpu_tmem_ring *a = &self->t, b;
	uint64_t sums[64], result;
	int pa, pb, i;

	ASSERT_EQ(0, open_dev(&b));
	EXPECT_NE(client_of(a), client_of(&b));
	EXPECT_NE(mgpu_tmem_rd(a, MGPU_TMEM_REG_CLIENT_ID),
		  mgpu_tmem_rd(&b, MGPU_TMEM_REG_CLIENT_ID));
	pa = mgpu_tmem_new_pool(a, MGPU_TMEM_POOL_PERSISTENT, NULL);
	pb = mgpu_tmem_new_pool(&b, MGPU_TMEM_POOL_PERSISTENT, NULL);
	ASSERT_GE(pa, 0);
	ASSERT_EQ(pa, pb);	/* the same pool id, of another client */
	put_pages(_metadata, a, pa, 64, sums, 31);
	memset(mgpu_tmem_page(&b, 0), 0, 64 * PG);
	for (i = 0; i < 64; i++) {
		struct mgpu_tmem_desc d = dpage(MGPU_TMEM_OP_GET, pb, 5, i, 1,
						mgpu_tmem_page_gpa(&b, i));

		EXPECT_EQ(-ENOENT, mgpu_tmem_submit(&b, &d, &result));
		EXPECT_NE(sums[i], checksum(mgpu_tmem_page(&b, i)));
	}
	EXPECT_EQ(0, tmem_read("clients/%d/stored_pages", client_of(&b)));
	EXPECT_EQ(0, mgpu_tmem_ring_destroy(&b));
}

TEST_F(tmem, shared_pool_needs_authorisation)
{
	struct mgpu_tmem_ring *a = &self->t, b;
	struct mgpu_tmem_desc d;
	int pa, pb, ca = client_of(a), cb;
	uint64_t sum, result;

	ASSERT_EQ(0, open_dev(&b));
	cb = client_of(&b);
	EXPECT_EQ(-EPERM, mgpu_tmem_new_pool(a, MGPU_TMEM_POOL_SHARED, shared_uuid));
	ASSERT_EQ(0, client_write(ca, "authorise", SHARED_UUID_STR));
	pa = mgpu_tmem_new_pool(a, MGPU_TMEM_POOL_SHARED, shared_uuid);
	ASSERT_GE(pa, 0);
	EXPECT_EQ(-EPERM, mgpu_tmem_new_pool(&b, MGPU_TMEM_POOL_SHARED, shared_uuid));
	ASSERT_EQ(0, client_write(cb, "authorise", SHARED_UUID_STR));
	pb = mgpu_tmem_new_pool(&b, MGPU_TMEM_POOL_SHARED, shared_uuid);
	ASSERT_GE(pb, 0);
	EXPECT_EQ(2, tmem_read("clients/%d/pools/%d/members", ca, pa));
	/* Put by one, a hit for the other. */
	sum = fill(mgpu_tmem_page(a, 0), 99);
	d = dpage(MGPU_TMEM_OP_PUT, pa, 77, 3, 1, mgpu_tmem_page_gpa(a, 0));
	ASSERT_EQ(0, mgpu_tmem_submit(a, &d, &result));
	d = dpage(MGPU_TMEM_OP_GET, pb, 77, 3, 1, mgpu_tmem_page_gpa(&b, 10));
	ASSERT_EQ(0, mgpu_tmem_submit(&b, &d, &result));
	EXPECT_EQ(sum, checksum(mgpu_tmem_page(&b, 10)));
	/* Revoked: B leaves the pool; A keeps its page. */
	ASSERT_EQ(0, client_write(cb, "deauthorise", SHARED_UUID_STR));
	EXPECT_EQ(-ENOENT, mgpu_tmem_submit(&b, &d, &result));
	d = dpage(MGPU_TMEM_OP_GET, pa, 77, 3, 1, mgpu_tmem_page_gpa(a, 10));
	EXPECT_EQ(0, mgpu_tmem_submit(a, &d, &result));
	client_write(ca, "deauthorise", SHARED_UUID_STR);
	EXPECT_EQ(0, mgpu_tmem_ring_destroy(&b));
}

/* Closed with a batch in flight, then removed: no page of it stays anywhere. */
TEST_F(tmem, close_mid_batch_leaves_nothing)
{
	struct mgpu_tmem_ring b;
	long long stored = tmem_read("stored_pages"), clients = tmem_read("nr_clients");
	int pool, cb, i, wstatus;
	pid_t child;

	ASSERT_GE(stored, 0);
	ASSERT_EQ(0, open_dev(&b));
	cb = client_of(&b);
	EXPECT_EQ(clients + 1, tmem_read("nr_clients"));
	pool = mgpu_tmem_new_pool(&b, 0, NULL);
	ASSERT_GE(pool, 0);
	for (i = 0; i < PAGES; i++)
		fill(mgpu_tmem_page(&b, i), i);
	for (i = 0; i < RING - 1; i++) {
		struct mgpu_tmem_desc d = dpage(MGPU_TMEM_OP_PUT, pool, i, 0, 64,
						mgpu_tmem_page_gpa(&b, (i % 16) * 64));

		mgpu_tmem_push(&b, &d);
	}
	/*
	 * The doorbell's writer runs the ring itself when it is the opener; a child's
	 * doorbell (another mm) leaves it to the host's work item, which the close then
	 * has to stop mid-batch.
	 */
	child = fork();
	ASSERT_LE(0, child);
	if (!child)
		_exit(mgpu_tmem_kick(&b) ? 1 : 0);
	ASSERT_EQ(child, waitpid(child, &wstatus, 0));
	ASSERT_TRUE(WIFEXITED(wstatus) && !WEXITSTATUS(wstatus));
	usleep(2000);
	TH_LOG("closing with %u of %u descriptors done", mgpu_tmem_rd(&b, MGPU_TMEM_REG_HEAD),
	       b.tail);
	mgpu_tmem_ring_close(&b);	/* mid-batch */
	EXPECT_EQ(stored, tmem_read("stored_pages"));
	EXPECT_EQ(0, tmem_read("clients/%d/stored_pages", cb));
	EXPECT_EQ(0, mgpu_tmem_ring_destroy(&b));
	EXPECT_EQ(clients, tmem_read("nr_clients"));
	EXPECT_EQ(stored, tmem_read("stored_pages"));
	EXPECT_GT(0, tmem_read("clients/%d/stored_pages", cb));	/* gone */
}

/* VFIO holds the module while a device is open: unloading is refused. */
TEST_F(tmem, unload_refused_while_open)
{
	ASSERT_EQ(0, nop(&self->t));
	EXPECT_NE(0, system("rmmod mgpu_tmem 2>/dev/null"));
	EXPECT_EQ(0, access("/sys/module/mgpu_tmem", F_OK));
	EXPECT_EQ(0, nop(&self->t));
}

TEST_HARNESS_MAIN
