// SPDX-License-Identifier: GPL-2.0-only
/*
 * VM tier: a vGPU's command engine driven through VFIO as a guest driver drives it —
 * registers through the trapped BAR3, ring and data through the passed-through BAR4 —
 * with doorbell and doorbell-less submission. Every command's effect is checked byte
 * for byte; every validation rule puts only the offender into the error state while a
 * neighbour's VRAM stays identical; the watchdog stops an endless batch while the
 * neighbour keeps running; reset clears errors; the native context works alike; the
 * telemetry and tracepoints report what ran.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <linux/mgpu.h>
#include <linux/userfaultfd.h>

#include "kselftest_harness.h"
#include "mgpu_test.h"

#define TYPE		"mgpu-16M"
#define MB		(1024u * 1024)
#define DATA		(2 * MB)	/* test data lives from here on */
#define TIMEOUT_MS	20000

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

static void vram_pattern(volatile uint8_t *p, size_t n, unsigned int seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 31 + seed + (i >> 12));
}

static void dev_attr_path(char *path, size_t len, const char *uuid, const char *attr)
{
	snprintf(path, len, "%s/bus/mdev/devices/%s/%s", mgpu_sysfs_root(), uuid, attr);
}

static long long dev_attr_ll(const char *uuid, const char *attr)
{
	char path[512];

	dev_attr_path(path, sizeof(path), uuid, attr);
	return mgpu_sysfs_read_ll(path);
}

static int dev_attr_str(const char *uuid, const char *attr, char *buf, size_t len)
{
	char path[512];

	dev_attr_path(path, sizeof(path), uuid, attr);
	return mgpu_sysfs_read(path, buf, len);
}

/* Emit @n dwords, a fence, and wait for it. */
static int run_cmd(struct mgpu_engine *e, const uint32_t *c, unsigned int n)
{
	int ret = mgpu_engine_emit(e, c, n);

	return ret ? ret : mgpu_engine_idle(e, TIMEOUT_MS);
}

/* Wait until the engine reports the error state; returns the error code or 0. */
static uint32_t wait_error(struct mgpu_vfio_engine *ve)
{
	int i;

	for (i = 0; i < TIMEOUT_MS / 10; i++) {
		if (mgpu_vfio_engine_read(ve, MGPU_ENG_STATUS) & MGPU_ENG_STATUS_ERROR)
			return mgpu_vfio_engine_read(ve, MGPU_ENG_ERROR);
		usleep(10000);
	}
	return 0;
}

FIXTURE(engine) {
	char parent[64];
	struct mgpu_dev a, b;
	struct mgpu_vfio_engine ea, eb;
	uint8_t *b_copy;
};

FIXTURE_VARIANT(engine) {
	bool poll;
};

FIXTURE_VARIANT_ADD(engine, doorbell) {
	.poll = false,
};

FIXTURE_VARIANT_ADD(engine, doorbell_less) {
	.poll = true,
};

FIXTURE_SETUP(engine)
{
	if (mgpu_find_parent(self->parent, sizeof(self->parent))) {
		if (!mgpu_modprobe_ok())
			SKIP(return, "the mgpu module is not loaded");
		ASSERT_TRUE(0) TH_LOG("mgpu is loaded but offers no mdev parent");
	}
	if (access("/dev/vfio/vfio", F_OK))
		SKIP(return, "no /dev/vfio/vfio (vfio not loaded)");
	mgpu_remove_all();
	self->a.fd = -1;
	self->b.fd = -1;
	ASSERT_EQ(0, mgpu_create(&self->a, self->parent, TYPE));
	ASSERT_EQ(0, mgpu_create(&self->b, self->parent, TYPE));
	ASSERT_EQ(0, mgpu_open(&self->a));
	ASSERT_EQ(0, mgpu_open(&self->b));
	ASSERT_EQ(0, mgpu_vfio_engine_start(&self->a, &self->ea, variant->poll));
	ASSERT_EQ(0, mgpu_vfio_engine_start(&self->b, &self->eb, false));
	/* The neighbour's data, to compare byte for byte after each hostile command. */
	vram_pattern(self->eb.vram, DATA, 7);
	self->b_copy = malloc(DATA);
	ASSERT_NE(NULL, self->b_copy);
	memcpy(self->b_copy, (void *)self->eb.vram, DATA);
}

FIXTURE_TEARDOWN(engine)
{
	mgpu_vfio_engine_unmap(&self->ea);
	mgpu_vfio_engine_unmap(&self->eb);
	mgpu_close(&self->a);
	mgpu_close(&self->b);
	mgpu_remove_all();
	free(self->b_copy);
}

/* Whether the neighbour's VRAM still equals the copy taken at setup. */
static int neighbour_intact(const uint8_t *copy, volatile uint8_t *vram)
{
	return !memcmp(copy, (void *)vram, DATA);
}

/* A BAR2 write from a user page that userfaultfd holds back until told. */
struct held_write {
	struct mgpu_dev *dev;
	uint64_t off;		/* in the device file */
	void *page;		/* registered with the userfaultfd, not yet populated */
	ssize_t ret;
	int done;
};

static void *held_write_thread(void *arg)
{
	struct held_write *w = arg;

	w->ret = pwrite(w->dev->fd, w->page, 2, w->off);
	__atomic_store_n(&w->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/*
 * Tenant A's BAR2 write sits in the kernel on a userfaultfd page that is never
 * resolved while tenant B works: B's 1000 fences all complete, each well within a
 * second (a stall behind A would last until A's page is resolved, i.e. forever here),
 * and both vGPUs' sysfs files stay readable. The per-fence bound separates "stalled
 * behind A" from "slow under TCG"; the worst latency is printed, not judged finer.
 */
TEST_F_TIMEOUT(engine, held_user_page_stalls_no_neighbour, 300)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	struct uffdio_zeropage zero = { 0 };
	struct vfio_region_info bar2;
	struct held_write w = { .dev = &self->a };
	struct pollfd pfd = { .events = POLLIN };
	struct uffd_msg msg;
	double worst = 0, t;
	char buf[64];
	pthread_t thread;
	long page = sysconf(_SC_PAGESIZE);
	int uffd, i, done = 0;
	uint64_t seq;

	uffd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (uffd < 0)
		SKIP(return, "no userfaultfd: %s", strerror(errno));
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_API, &api));
	w.page = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, w.page);
	reg.range.start = (uintptr_t)w.page;
	reg.range.len = page;
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_REGISTER, &reg));
	ASSERT_EQ(0, mgpu_region_info(&self->a, VFIO_PCI_BAR2_REGION_INDEX, &bar2));
	w.off = bar2.offset + 0x500;	/* the DISPI index register */
	ASSERT_EQ(0, pthread_create(&thread, NULL, held_write_thread, &w));
	/* A is inside its write once the kernel's copy faults on the page. */
	pfd.fd = uffd;
	ASSERT_EQ(1, poll(&pfd, 1, 30000)) TH_LOG("A's write never reached its user page");
	ASSERT_EQ(sizeof(msg), read(uffd, &msg, sizeof(msg)));
	ASSERT_EQ(UFFD_EVENT_PAGEFAULT, msg.event);

	for (i = 0; i < 1000; i++) {
		t = now_ms();
		seq = mgpu_engine_fence(&self->eb.eng, false);
		if (!seq || mgpu_engine_wait(&self->eb.eng, seq, 1000))
			break;
		t = now_ms() - t;
		worst = t > worst ? t : worst;
		done++;
		if (i % 100 == 0) {
			/* Both read (a byte count), neither waits on A's write. */
			EXPECT_LT(0, dev_attr_str(self->a.uuid, "mgpu/mode", buf, sizeof(buf)));
			EXPECT_LT(0, dev_attr_str(self->b.uuid, "engine/state", buf,
						  sizeof(buf)));
		}
	}
	EXPECT_EQ(1000, done) TH_LOG("B's fence %d waited more than 1 s", done + 1);
	EXPECT_FALSE(__atomic_load_n(&w.done, __ATOMIC_SEQ_CST))
		TH_LOG("A's write finished early: the test did not overlap it");
	TH_LOG("B: %d fences while A's write was held, worst %.1f ms", done, worst);

	/* Let A's write finish: it writes the zero page's first bytes. */
	zero.range.start = (uintptr_t)w.page;
	zero.range.len = page;
	EXPECT_EQ(0, ioctl(uffd, UFFDIO_ZEROPAGE, &zero));
	pthread_join(thread, NULL);
	EXPECT_EQ(2, w.ret);
	close(uffd);
	munmap(w.page, page);
}

TEST_F(engine, identity_and_regions)
{
	struct vfio_region_info info;

	EXPECT_EQ(MGPU_ENG_MAGIC, mgpu_vfio_engine_read(&self->ea, MGPU_ENG_ID));
	EXPECT_EQ(MGPU_ENG_ABI_VERSION, mgpu_vfio_engine_read(&self->ea, MGPU_ENG_VERSION));
	EXPECT_EQ(MGPU_ENG_CAP_POLL | MGPU_ENG_CAP_BATCH | MGPU_ENG_CAP_IRQ,
		  mgpu_vfio_engine_read(&self->ea, MGPU_ENG_CAPS));
	EXPECT_EQ(16, mgpu_vfio_engine_read(&self->ea, MGPU_ENG_VRAM_MB));
	ASSERT_EQ(0, mgpu_region_info(&self->a, VFIO_PCI_BAR0_REGION_INDEX + MGPU_BAR_ENGINE,
				      &info));
	EXPECT_EQ(MGPU_ENG_SIZE, info.size);
	EXPECT_FALSE(info.flags & VFIO_REGION_INFO_FLAG_MMAP);	/* trapped */
	ASSERT_EQ(0, mgpu_region_info(&self->a, VFIO_PCI_BAR0_REGION_INDEX + MGPU_BAR_APERTURE,
				      &info));
	EXPECT_EQ(16 * MB, info.size);
	EXPECT_TRUE(info.flags & VFIO_REGION_INFO_FLAG_MMAP);	/* passed through */
	/* BAR4 and BAR0 are the same memory. */
	self->ea.vram[DATA] = 0x5a;
	{
		uint8_t v = 0;

		ASSERT_EQ(1, mgpu_region_read(&self->a, VFIO_PCI_BAR0_REGION_INDEX, DATA, &v, 1));
		EXPECT_EQ(0x5a, v);
	}
	/* Unaligned or partial register accesses are refused. */
	{
		uint16_t h = 0;

		EXPECT_GT(0, mgpu_region_read(&self->a,
					      VFIO_PCI_BAR0_REGION_INDEX + MGPU_BAR_ENGINE,
					      0, &h, 2));
	}
}

/* FILL: a rectangle with a pitch, across a chunk boundary; nothing around it moves. */
TEST_F(engine, fill_rectangle)
{
	volatile uint8_t *v = self->ea.vram;
	uint64_t dst = 3 * MB - 2 * 4096 + 64;	/* rows straddle the 1 MiB boundary */
	uint32_t c[16], pitch = 4096, width = 400, height = 5, x, y;
	uint64_t off;

	memset((void *)(v + DATA), 0xab, 2 * MB);
	ASSERT_EQ(0, run_cmd(&self->ea.eng, c,
			     mgpu_cmd_fill(c, dst, pitch, width, height, 0x11223344)));
	for (off = DATA; off < DATA + 2 * MB; off++) {
		uint64_t rel = off - dst;

		y = rel / pitch;
		x = rel % pitch;
		if (off >= dst && y < height && x < width) {
			ASSERT_EQ((0x11223344u >> (8 * (x & 3))) & 0xff, v[off])
				TH_LOG("off %lu", (unsigned long)off);
		} else {
			ASSERT_EQ(0xab, v[off]) TH_LOG("off %lu", (unsigned long)off);
		}
	}
	EXPECT_TRUE(neighbour_intact(self->b_copy, self->eb.vram));
}

/* COPY: different pitches, odd width, across chunks. */
TEST_F(engine, copy_rectangle)
{
	volatile uint8_t *v = self->ea.vram;
	uint64_t src = DATA + 1000, dst = 4 * MB - 3000;
	uint32_t c[16], sp = 1500, dp = 777, w = 333, h = 20, x, y;

	vram_pattern(v + DATA, 3 * MB, 3);
	ASSERT_EQ(0, run_cmd(&self->ea.eng, c, mgpu_cmd_copy(c, src, dst, sp, dp, w, h)));
	for (y = 0; y < h; y++)
		for (x = 0; x < w; x++)
			ASSERT_EQ(v[src + (uint64_t)y * sp + x], v[dst + (uint64_t)y * dp + x]);
	/* The byte after each destination row is untouched. */
	EXPECT_EQ((uint8_t)((dst + w - DATA) * 31 + 3 + ((dst + w - DATA) >> 12)), v[dst + w]);
}

TEST_F(engine, checksum)
{
	volatile uint8_t *v = self->ea.vram;
	uint64_t src = 2 * MB - 5000;	/* crosses a chunk boundary */
	uint32_t c[16], n = 300001;

	vram_pattern(v + src, n, 9);
	ASSERT_EQ(0, run_cmd(&self->ea.eng, c, mgpu_cmd_checksum(c, src, n, DATA + 2 * MB)));
	EXPECT_EQ(crc32_ref(v + src, n), *(volatile uint32_t *)(v + DATA + 2 * MB));
	ASSERT_EQ(0, run_cmd(&self->ea.eng, c, mgpu_cmd_checksum(c, src, 0, DATA + 2 * MB)));
	EXPECT_EQ(0, *(volatile uint32_t *)(v + DATA + 2 * MB));
}

/* FENCE writes its 64-bit value; with the IRQ flag the vGPU's interrupt fires. */
TEST_F(engine, fence_and_interrupt)
{
	struct {
		struct vfio_irq_set s;
		int32_t fd;
	} irq = { { .argsz = sizeof(irq), .index = VFIO_PCI_INTX_IRQ_INDEX, .start = 0,
		    .count = 1, .flags = VFIO_IRQ_SET_DATA_EVENTFD |
		    VFIO_IRQ_SET_ACTION_TRIGGER } };
	struct pollfd pfd;
	uint32_t c[16];
	uint64_t n;

	irq.fd = eventfd(0, EFD_NONBLOCK);
	ASSERT_LE(0, irq.fd);
	ASSERT_EQ(0, ioctl(self->a.fd, VFIO_DEVICE_SET_IRQS, &irq));
	mgpu_vfio_engine_write(&self->ea, MGPU_ENG_IRQ_MASK, MGPU_ENG_IRQ_FENCE);
	ASSERT_EQ(0, run_cmd(&self->ea.eng, c,
			     mgpu_cmd_fence(c, DATA, 0x123456789abcdefull, true)));
	EXPECT_EQ(0x123456789abcdefull, *(volatile uint64_t *)(self->ea.vram + DATA));
	EXPECT_EQ(self->ea.eng.seq,
		  ((uint64_t)mgpu_vfio_engine_read(&self->ea, MGPU_ENG_FENCE_HI) << 32 |
		   mgpu_vfio_engine_read(&self->ea, MGPU_ENG_FENCE_LO)));
	pfd.fd = irq.fd;
	pfd.events = POLLIN;
	ASSERT_EQ(1, poll(&pfd, 1, TIMEOUT_MS));
	ASSERT_EQ(8, read(irq.fd, &n, 8));
	EXPECT_TRUE(mgpu_vfio_engine_read(&self->ea, MGPU_ENG_IRQ_STATUS) & MGPU_ENG_IRQ_FENCE);
	mgpu_vfio_engine_write(&self->ea, MGPU_ENG_IRQ_STATUS, MGPU_ENG_IRQ_FENCE);
	EXPECT_EQ(0, mgpu_vfio_engine_read(&self->ea, MGPU_ENG_IRQ_STATUS));
	EXPECT_LE(1, dev_attr_ll(self->a.uuid, "mgpu/interrupts"));
	close(irq.fd);
}

/* BUSY runs for its duration of engine time, in preemptible steps. */
TEST_F(engine, busy)
{
	long long before = dev_attr_ll(self->a.uuid, "engine/busy_ns");
	uint32_t c[4];

	ASSERT_EQ(0, run_cmd(&self->ea.eng, c, mgpu_cmd_busy(c, 30000)));
	EXPECT_LE(before + 30000000LL, dev_attr_ll(self->a.uuid, "engine/busy_ns"));
}

/* CALL into a batch that FILLs, CALLs a nested batch, JUMPs over a hostile command. */
TEST_F(engine, batch_buffers)
{
	volatile uint32_t *outer = (volatile uint32_t *)(self->ea.vram + DATA);
	volatile uint32_t *inner = (volatile uint32_t *)(self->ea.vram + DATA + 4096);
	uint32_t c[64];
	unsigned int n = 0, i, m;

	n += mgpu_cmd_fill(c + n, DATA + 8192, 0, 16, 1, 0xaaaaaaaa);
	n += mgpu_cmd_call(c + n, DATA + 4096, 4 * MGPU_CMD_FILL_LEN);	/* ends: returns */
	m = n;
	n += mgpu_cmd_jump(c + n, DATA + (m + MGPU_CMD_JUMP_LEN + 1) * 4);
	c[n++] = 0xffffffff;	/* jumped over: would be an unknown opcode */
	n += mgpu_cmd_fill(c + n, DATA + 8192 + 16, 0, 16, 1, 0xbbbbbbbb);
	n += mgpu_cmd_return(c + n);
	for (i = 0; i < n; i++)
		outer[i] = c[i];
	n = mgpu_cmd_fill(c, DATA + 8192 + 32, 0, 8, 1, 0xcccccccc);
	for (i = 0; i < n; i++)
		inner[i] = c[i];
	ASSERT_EQ(0, run_cmd(&self->ea.eng, c, mgpu_cmd_call(c, DATA, 4096)))
		TH_LOG("engine error %u", mgpu_engine_error(&self->ea.eng));
	for (i = 0; i < 4; i++) {
		EXPECT_EQ(0xaaaaaaaa, *(volatile uint32_t *)(self->ea.vram + DATA + 8192 + 4 * i));
		EXPECT_EQ(0xbbbbbbbb, *(volatile uint32_t *)(self->ea.vram + DATA + 8208 + 4 * i));
	}
	EXPECT_EQ(0xcccccccc, *(volatile uint32_t *)(self->ea.vram + DATA + 8192 + 32));
	EXPECT_EQ(0xcccccccc, *(volatile uint32_t *)(self->ea.vram + DATA + 8192 + 36));
	EXPECT_EQ(0, *(volatile uint32_t *)(self->ea.vram + DATA + 8192 + 40));
	EXPECT_EQ(0, mgpu_engine_error(&self->ea.eng));
}

/* A 4 KiB ring wrapped many times, NOPs of every length in between. */
TEST_F(engine, ring_wraps)
{
	struct mgpu_engine *e = &self->ea.eng;
	long long cmds = dev_attr_ll(self->a.uuid, "engine/commands");
	uint32_t c[16];
	int i;

	ASSERT_EQ(0, mgpu_engine_start(e, &e->regs, e->vram, e->vram_size, 15 * MB, 4096,
				       variant->poll));
	for (i = 0; i < 3000; i++) {
		ASSERT_EQ(0, mgpu_engine_emit(e, c, mgpu_cmd_nop(c, 1 + i % 7)));
		ASSERT_EQ(0, mgpu_engine_emit(e, c, mgpu_cmd_fill(c, DATA + 4 * (i % 1000), 0,
								  4, 1, i)));
		if (i % 50 == 49)
			mgpu_engine_submit(e);
	}
	ASSERT_EQ(0, mgpu_engine_idle(e, TIMEOUT_MS));
	for (i = 2000; i < 3000; i++)
		ASSERT_EQ(i, *(volatile uint32_t *)(e->vram + DATA + 4 * (i % 1000)));
	EXPECT_LE(cmds + 6001, dev_attr_ll(self->a.uuid, "engine/commands"));
}

struct bad_cmd {
	const char *what;
	uint32_t err;
	const char *name;
	unsigned int (*build)(uint32_t *c, uint64_t vram);
};

static unsigned int bad_opcode(uint32_t *c, uint64_t vram)
{
	c[0] = MGPU_CMD(0x7f, 1, 0);
	return 1;
}

static unsigned int bad_length(uint32_t *c, uint64_t vram)
{
	mgpu_cmd_fill(c, DATA, 0, 4, 1, 0);
	c[0] = MGPU_CMD(MGPU_CMD_FILL, MGPU_CMD_FILL_LEN - 1, 0);
	return MGPU_CMD_FILL_LEN - 1;
}

static unsigned int bad_zero_length(uint32_t *c, uint64_t vram)
{
	c[0] = MGPU_CMD(MGPU_CMD_NOP, 0, 0);
	return 1;
}

static unsigned int bad_range_fill(uint32_t *c, uint64_t vram)
{
	return mgpu_cmd_fill(c, vram - 8, 0, 16, 1, 0xdeadbeef);	/* 8 bytes past */
}

static unsigned int bad_range_neighbour(uint32_t *c, uint64_t vram)
{
	return mgpu_cmd_fill(c, vram, 0, 4096, 1, 0xdeadbeef);	/* the next tenant? */
}

static unsigned int bad_range_overflow(uint32_t *c, uint64_t vram)
{
	return mgpu_cmd_fill(c, DATA, 0xfffffffc, 4, 0xffffffff, 0xdeadbeef);
}

static unsigned int bad_range_copy_src(uint32_t *c, uint64_t vram)
{
	return mgpu_cmd_copy(c, 1ull << 40, DATA, 0, 0, 64, 1);
}

static unsigned int bad_range_checksum(uint32_t *c, uint64_t vram)
{
	return mgpu_cmd_checksum(c, DATA, 0xffffffff, DATA);
}

static unsigned int bad_range_fence(uint32_t *c, uint64_t vram)
{
	return mgpu_cmd_fence(c, vram, 1, false);
}

static unsigned int bad_align(uint32_t *c, uint64_t vram)
{
	return mgpu_cmd_fence(c, DATA + 4, 1, false);
}

static unsigned int bad_arg_busy(uint32_t *c, uint64_t vram)
{
	return mgpu_cmd_busy(c, MGPU_CMD_BUSY_MAX_US + 1);
}

static unsigned int bad_arg_pitch(uint32_t *c, uint64_t vram)
{
	return mgpu_cmd_fill(c, DATA, 8, 16, 2, 0);
}

static unsigned int bad_overlap(uint32_t *c, uint64_t vram)
{
	return mgpu_cmd_copy(c, DATA, DATA + 100, 0, 0, 200, 1);
}

static unsigned int bad_jump_in_ring(uint32_t *c, uint64_t vram)
{
	return mgpu_cmd_jump(c, DATA);
}

static unsigned int bad_return_in_ring(uint32_t *c, uint64_t vram)
{
	return mgpu_cmd_return(c);
}

static const struct bad_cmd bad_cmds[] = {
	{ "unknown opcode", MGPU_ENG_ERR_OPCODE, "opcode", bad_opcode },
	{ "short FILL", MGPU_ENG_ERR_LENGTH, "length", bad_length },
	{ "zero length", MGPU_ENG_ERR_LENGTH, "length", bad_zero_length },
	{ "FILL past the end", MGPU_ENG_ERR_RANGE, "range", bad_range_fill },
	{ "FILL at the neighbour", MGPU_ENG_ERR_RANGE, "range", bad_range_neighbour },
	{ "FILL pitch*height overflow", MGPU_ENG_ERR_RANGE, "range", bad_range_overflow },
	{ "COPY from 1 TiB", MGPU_ENG_ERR_RANGE, "range", bad_range_copy_src },
	{ "CHECKSUM of 4 GiB", MGPU_ENG_ERR_RANGE, "range", bad_range_checksum },
	{ "FENCE at the end", MGPU_ENG_ERR_RANGE, "range", bad_range_fence },
	{ "misaligned FENCE", MGPU_ENG_ERR_ALIGN, "align", bad_align },
	{ "BUSY too long", MGPU_ENG_ERR_ARG, "arg", bad_arg_busy },
	{ "pitch below width", MGPU_ENG_ERR_ARG, "arg", bad_arg_pitch },
	{ "overlapping COPY", MGPU_ENG_ERR_OVERLAP, "overlap", bad_overlap },
	{ "JUMP in the ring", MGPU_ENG_ERR_JUMP, "jump", bad_jump_in_ring },
	{ "RETURN in the ring", MGPU_ENG_ERR_JUMP, "jump", bad_return_in_ring },
};

/*
 * Each hostile command: only this vGPU stops, with the right code and address, in its
 * register and in sysfs; the neighbour's VRAM is unchanged byte for byte; a reset
 * makes the engine work again.
 */
TEST_F(engine, validation_isolates)
{
	struct mgpu_engine *e = &self->ea.eng;
	char state[128], want[64];
	uint32_t c[16], n;
	unsigned int i;
	long long errors;

	for (i = 0; i < ARRAY_SIZE(bad_cmds); i++) {
		const struct bad_cmd *b = &bad_cmds[i];
		uint32_t at = e->ring_base + e->tail;

		errors = dev_attr_ll(self->a.uuid, "engine/errors");
		n = b->build(c, e->vram_size);
		ASSERT_EQ(0, mgpu_engine_emit(e, c, n));
		mgpu_engine_submit(e);
		ASSERT_EQ(b->err, wait_error(&self->ea)) TH_LOG("%s", b->what);
		EXPECT_EQ(at, mgpu_vfio_engine_read(&self->ea, MGPU_ENG_ERROR_ADDR))
			TH_LOG("%s", b->what);
		EXPECT_EQ(b->err, mgpu_engine_error(e));
		ASSERT_LT(0, dev_attr_str(self->a.uuid, "engine/state", state, sizeof(state)));
		snprintf(want, sizeof(want), "error: %s at 0x%x", b->name, at);
		EXPECT_EQ(0, strncmp(state, want, strlen(want)))
			TH_LOG("%s: state %s", b->what, state);
		EXPECT_EQ(errors + 1, dev_attr_ll(self->a.uuid, "engine/errors"));
		ASSERT_TRUE(neighbour_intact(self->b_copy, self->eb.vram))
			TH_LOG("%s touched the neighbour", b->what);
		/* The neighbour's engine is unaffected. */
		ASSERT_EQ(0, run_cmd(&self->eb.eng, c, mgpu_cmd_nop(c, 1)));
		mgpu_engine_reset(e);
		ASSERT_EQ(0, dev_attr_str(self->a.uuid, "engine/state", state, sizeof(state)) < 0);
		ASSERT_EQ(0, strncmp(state, "idle", 4)) TH_LOG("after reset: %s", state);
		ASSERT_EQ(0, run_cmd(e, c, mgpu_cmd_fill(c, DATA, 0, 4, 1, i)));
		ASSERT_EQ(i, *(volatile uint32_t *)(e->vram + DATA));
	}
	EXPECT_EQ(1, mgpu_kmsg_grep("engine stopped: range error"));
}

/* A bad ring configuration or tail is refused at once. */
TEST_F(engine, ring_configuration)
{
	struct mgpu_vfio_engine *ve = &self->ea;

	mgpu_vfio_engine_write(ve, MGPU_ENG_RESET, MGPU_ENG_RESET_MAGIC);
	mgpu_vfio_engine_write(ve, MGPU_ENG_RING_BASE, 16 * MB - 4096);
	mgpu_vfio_engine_write(ve, MGPU_ENG_RING_SIZE, 8192);	/* past the end */
	mgpu_vfio_engine_write(ve, MGPU_ENG_CONTROL, MGPU_ENG_CONTROL_ENABLE);
	EXPECT_EQ(MGPU_ENG_ERR_RING, wait_error(ve));
	mgpu_vfio_engine_write(ve, MGPU_ENG_RESET, MGPU_ENG_RESET_MAGIC);
	EXPECT_EQ(0, mgpu_vfio_engine_read(ve, MGPU_ENG_STATUS) & MGPU_ENG_STATUS_ERROR);
	mgpu_vfio_engine_write(ve, MGPU_ENG_RING_BASE, 0);
	mgpu_vfio_engine_write(ve, MGPU_ENG_RING_SIZE, 4096);
	mgpu_vfio_engine_write(ve, MGPU_ENG_CONTROL, MGPU_ENG_CONTROL_ENABLE);
	EXPECT_EQ(MGPU_ENG_STATUS_ENABLED, mgpu_vfio_engine_read(ve, MGPU_ENG_STATUS));
	mgpu_vfio_engine_write(ve, MGPU_ENG_TAIL, 4098);	/* misaligned */
	EXPECT_EQ(MGPU_ENG_ERR_RING, wait_error(ve));
	mgpu_vfio_engine_write(ve, MGPU_ENG_RESET, MGPU_ENG_RESET_MAGIC + 1);	/* ignored */
	EXPECT_TRUE(mgpu_vfio_engine_read(ve, MGPU_ENG_STATUS) & MGPU_ENG_STATUS_ERROR);
	/* VFIO_DEVICE_RESET clears it too. */
	ASSERT_EQ(0, ioctl(self->a.fd, VFIO_DEVICE_RESET));
	EXPECT_EQ(0, mgpu_vfio_engine_read(ve, MGPU_ENG_STATUS));
	EXPECT_TRUE(neighbour_intact(self->b_copy, self->eb.vram));
}

/* Fuzz: random dwords as commands, random register writes; the host survives. */
TEST_F(engine, random_commands)
{
	struct mgpu_engine *e = &self->ea.eng;
	uint32_t c[8];
	int round, i;

	srandom(42);
	for (round = 0; round < 200; round++) {
		for (i = 0; i < 8; i++)
			c[i] = random() ^ (random() << 16);
		c[0] = (c[0] & 0xff00ffff) | ((1 + c[0] % 8) << 8);
		c[0] = (c[0] & ~0xffu) | (c[0] & 0xf);
		mgpu_engine_emit(e, c, 8);
		mgpu_engine_submit(e);
		/* Registers that do not stop the engine (that is tested elsewhere). */
		if (round % 20 == 19)
			mgpu_vfio_engine_write(&self->ea, (MGPU_ENG_IRQ_STATUS +
					       random() % (MGPU_ENG_SIZE - MGPU_ENG_IRQ_STATUS)) &
					       ~3u, random());
		if (mgpu_engine_idle(e, TIMEOUT_MS))
			mgpu_engine_reset(e);
		ASSERT_TRUE(neighbour_intact(self->b_copy, self->eb.vram))
			TH_LOG("round %d", round);
	}
	mgpu_engine_reset(e);
	ASSERT_EQ(0, run_cmd(e, c, mgpu_cmd_nop(c, 1)));
}

/* Telemetry and the parent's view while work runs. */
TEST_F(engine, telemetry)
{
	char path[512], buf[512], *p;
	long long cmds = dev_attr_ll(self->a.uuid, "engine/commands");
	unsigned long long total = 0;
	uint32_t c[4];
	int i;

	for (i = 0; i < 10; i++)
		ASSERT_EQ(0, run_cmd(&self->ea.eng, c, mgpu_cmd_busy(c, 1000)));
	EXPECT_EQ(cmds + 20, dev_attr_ll(self->a.uuid, "engine/commands"));
	EXPECT_LE(1, dev_attr_ll(self->a.uuid, "engine/slices"));
	EXPECT_EQ(10, dev_attr_ll(self->a.uuid, "engine/fence"));
	ASSERT_LT(0, dev_attr_str(self->a.uuid, "engine/latency_us", buf, sizeof(buf)));
	for (p = buf; (p = strchr(p, ':')); p++)
		total += strtoull(p + 1, NULL, 10);
	EXPECT_LE(1, total) TH_LOG("latency_us: %s", buf);
	EXPECT_NE(NULL, strstr(buf, "16:")) TH_LOG("%s", buf);
	EXPECT_NE(NULL, strstr(buf, "inf:")) TH_LOG("%s", buf);
	snprintf(path, sizeof(path), "%s/class/mdev_bus/%s/mgpu_engine/contexts",
		 mgpu_sysfs_root(), self->parent);
	EXPECT_EQ(2, mgpu_sysfs_read_ll(path));
	snprintf(path, sizeof(path), "%s/class/mdev_bus/%s/mgpu_engine/busy_ns",
		 mgpu_sysfs_root(), self->parent);
	EXPECT_LE(10000000LL, mgpu_sysfs_read_ll(path));
	EXPECT_EQ(1, dev_attr_ll(self->a.uuid, "mgpu/in_use"));
}

/* The tracepoints fire for submit, switch and completion. */
TEST_F(engine, tracepoints)
{
	const char *t = "/sys/kernel/tracing";
	char path[256], buf[65536];
	uint32_t c[4];
	int fd, n;

	snprintf(path, sizeof(path), "%s/events/mgpu/enable", t);
	if (access(path, F_OK))
		SKIP(return, "no tracefs at %s", t);
	ASSERT_EQ(0, mgpu_sysfs_write("/sys/kernel/tracing/trace", ""));
	ASSERT_EQ(0, mgpu_sysfs_write(path, "1"));
	ASSERT_EQ(0, run_cmd(&self->ea.eng, c, mgpu_cmd_busy(c, 100)));
	ASSERT_EQ(0, run_cmd(&self->eb.eng, c, mgpu_cmd_busy(c, 100)));
	ASSERT_EQ(0, mgpu_sysfs_write(path, "0"));
	fd = open("/sys/kernel/tracing/trace", O_RDONLY);
	ASSERT_LE(0, fd);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	ASSERT_LT(0, n);
	buf[n] = 0;
	EXPECT_NE(NULL, strstr(buf, "mgpu_engine_submit: ctx=")) TH_LOG("%.2000s", buf);
	EXPECT_NE(NULL, strstr(buf, "mgpu_engine_switch: prev=")) TH_LOG("%.2000s", buf);
	EXPECT_NE(NULL, strstr(buf, "mgpu_engine_complete: ctx=")) TH_LOG("%.2000s", buf);
	EXPECT_NE(NULL, strstr(buf, self->b.uuid));
}

/* The watchdog stops an endless JUMP loop; the neighbour keeps going meanwhile. */
TEST(watchdog)
{
	const char *param = "/sys/module/mgpu/parameters/engine_watchdog_ms";
	struct mgpu_vfio_engine ea, eb;
	struct mgpu_dev a, b;
	char parent[64], state[128];
	uint32_t c[8];
	int i, done = 0;

	if (mgpu_find_parent(parent, sizeof(parent)) || access("/dev/vfio/vfio", F_OK))
		SKIP(return, "no mgpu parent or no vfio");
	mgpu_remove_all();
	ASSERT_EQ(0, mgpu_sysfs_write(param, "1000"));
	ASSERT_EQ(0, mgpu_create(&a, parent, "mgpu-8M"));
	ASSERT_EQ(0, mgpu_create(&b, parent, "mgpu-8M"));
	ASSERT_EQ(0, mgpu_sysfs_write(param, "2000"));
	ASSERT_EQ(0, mgpu_open(&a));
	ASSERT_EQ(0, mgpu_open(&b));
	ASSERT_EQ(0, mgpu_vfio_engine_start(&a, &ea, false));
	ASSERT_EQ(0, mgpu_vfio_engine_start(&b, &eb, true));
	/* A batch whose only command jumps to itself. */
	mgpu_cmd_jump(c, DATA);
	for (i = 0; i < MGPU_CMD_JUMP_LEN; i++)
		((volatile uint32_t *)(ea.vram + DATA))[i] = c[i];
	ASSERT_EQ(0, mgpu_engine_emit(&ea.eng, c, mgpu_cmd_call(c, DATA, 64)));
	mgpu_engine_submit(&ea.eng);
	/* The neighbour completes work while the loop spins. */
	for (i = 0; i < 20; i++) {
		ASSERT_EQ(0, run_cmd(&eb.eng, c, mgpu_cmd_busy(c, 5000)));
		if (mgpu_vfio_engine_read(&ea, MGPU_ENG_STATUS) & MGPU_ENG_STATUS_ERROR)
			break;
		done++;
	}
	EXPECT_EQ(MGPU_ENG_ERR_WATCHDOG, wait_error(&ea));
	EXPECT_LE(1, done);
	EXPECT_EQ(1, dev_attr_ll(a.uuid, "engine/watchdog_resets"));
	EXPECT_EQ(0, dev_attr_ll(b.uuid, "engine/errors"));
	ASSERT_LT(0, dev_attr_str(a.uuid, "engine/state", state, sizeof(state)));
	EXPECT_EQ(0, strncmp(state, "error: watchdog", 15)) TH_LOG("%s", state);
	mgpu_engine_reset(&ea.eng);
	EXPECT_EQ(0, run_cmd(&ea.eng, c, mgpu_cmd_nop(c, 1)));
	mgpu_vfio_engine_unmap(&ea);
	mgpu_vfio_engine_unmap(&eb);
	mgpu_close(&a);
	mgpu_close(&b);
	mgpu_remove_all();
}

/* Closing the device stops its engine: nothing keeps running for a gone VM. */
TEST(close_stops_engine)
{
	struct mgpu_vfio_engine ea;
	struct mgpu_dev a;
	char parent[64], state[64];
	uint32_t c[4];
	int i;

	if (mgpu_find_parent(parent, sizeof(parent)) || access("/dev/vfio/vfio", F_OK))
		SKIP(return, "no mgpu parent or no vfio");
	mgpu_remove_all();
	ASSERT_EQ(0, mgpu_create(&a, parent, "mgpu-8M"));
	ASSERT_EQ(0, mgpu_open(&a));
	ASSERT_EQ(0, mgpu_vfio_engine_start(&a, &ea, false));
	for (i = 0; i < 100; i++)
		ASSERT_EQ(0, mgpu_engine_emit(&ea.eng, c, mgpu_cmd_busy(c, 50000)));
	mgpu_engine_submit(&ea.eng);
	mgpu_vfio_engine_unmap(&ea);
	mgpu_close(&a);
	ASSERT_LT(0, dev_attr_str(a.uuid, "engine/state", state, sizeof(state)));
	EXPECT_EQ(0, strncmp(state, "disabled", 8)) TH_LOG("%s", state);
	EXPECT_EQ(0, dev_attr_ll(a.uuid, "mgpu/in_use"));
	EXPECT_EQ(0, mgpu_remove(a.uuid));
}

/* The native context: the same engine without VFIO, from /dev/mgpu/<parent>. */
static uint32_t native_rd(void *priv, uint32_t off)
{
	uint32_t v = 0;

	if (pread(*(int *)priv, &v, 4, off) != 4)
		return 0xdeadbeef;
	return v;
}

static void native_wr(void *priv, uint32_t off, uint32_t val)
{
	if (pwrite(*(int *)priv, &val, 4, off) != 4)
		fprintf(stderr, "native register 0x%x: %s\n", off, strerror(errno));
}

TEST(native_context)
{
	struct mgpu_native_init init = { .vram_mb = 8 };
	char parent[64], dev[128], path[512];
	struct mgpu_engine e;
	struct mgpu_regs regs = { native_rd, native_wr, NULL };
	long long avail;
	volatile uint8_t *v;
	uint32_t c[16], x;
	int fd, fd2;

	if (mgpu_find_parent(parent, sizeof(parent)))
		SKIP(return, "no mgpu parent");
	mgpu_remove_all();
	snprintf(dev, sizeof(dev), "/dev/mgpu/%s", parent);
	fd = open(dev, O_RDWR);
	ASSERT_LE(0, fd) TH_LOG("%s: %s", dev, strerror(errno));
	EXPECT_EQ(-1, pread(fd, &x, 4, 0));	/* no context before INIT */
	EXPECT_EQ(ENODEV, errno);
	avail = mgpu_available(parent, "mgpu-8M");
	init.vram_mb = 0;
	EXPECT_EQ(-1, ioctl(fd, MGPU_NATIVE_INIT, &init));
	EXPECT_EQ(EINVAL, errno);
	init.vram_mb = 8;
	ASSERT_EQ(0, ioctl(fd, MGPU_NATIVE_INIT, &init));
	EXPECT_EQ(-1, ioctl(fd, MGPU_NATIVE_INIT, &init));
	EXPECT_EQ(EBUSY, errno);
	EXPECT_EQ(avail - 1, mgpu_available(parent, "mgpu-8M"));
	snprintf(path, sizeof(path), "%s/class/mdev_bus/%s/mgpu_engine/contexts",
		 mgpu_sysfs_root(), parent);
	EXPECT_EQ(1, mgpu_sysfs_read_ll(path));
	v = mmap(NULL, 8 * MB, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, v);
	regs.priv = &fd;
	ASSERT_EQ(0, mgpu_engine_start_default(&e, &regs, v, 8 * MB, false));
	ASSERT_EQ(0, run_cmd(&e, c, mgpu_cmd_fill(c, DATA, 0, 64, 1, 0x600d600d)));
	EXPECT_EQ(0x600d600d, *(volatile uint32_t *)(v + DATA + 60));
	ASSERT_EQ(0, mgpu_engine_emit(&e, c, mgpu_cmd_fill(c, 8 * MB, 0, 4, 1, 0)));
	mgpu_engine_submit(&e);
	EXPECT_EQ(-EIO, mgpu_engine_idle(&e, TIMEOUT_MS));
	EXPECT_EQ(MGPU_ENG_ERR_RANGE, mgpu_engine_error(&e));
	/* A second native context on the same GPU. */
	fd2 = open(dev, O_RDWR);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, ioctl(fd2, MGPU_NATIVE_INIT, &init));
	EXPECT_EQ(2, mgpu_sysfs_read_ll(path));
	close(fd2);
	munmap((void *)v, 8 * MB);
	close(fd);
	EXPECT_EQ(0, mgpu_sysfs_read_ll(path));
	EXPECT_EQ(avail, mgpu_available(parent, "mgpu-8M"));
}

TEST_HARNESS_MAIN
