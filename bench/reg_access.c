// SPDX-License-Identifier: GPL-2.0-only
/*
 * reg_access: the cost of one trapped register read of a vGPU (a 2- or 4-byte pread()
 * of BAR2 through the VFIO device file), against the same read of the kernel's mtty
 * sample (its BAR0 UART registers), the smallest emulated device VFIO has: mtty's cost
 * is the floor of the trapped path. Optionally the same through QEMU's qtest protocol.
 *
 *   MGPU_BENCH_TYPE (default mgpu-16M), MGPU_BENCH_ROUNDS (default 15),
 *   MGPU_BENCH_OPS (reads per round and device, default 20000), MGPU_BENCH_CHUNKS
 *   (batches they are split into, default 10),
 *   MGPU_BENCH_QEMU=0 to leave out the qtest part.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/pci_regs.h>

#include <linux/mgpu.h>

#include "bench.h"
#include "mgpu_test.h"
#include "qtest.h"

#define MTTY_PARENT	"mtty"
#define MTTY_TYPE	"mtty-1"
#define MTTY_IO_BASE	0xc000	/* where the benchmark places mtty's I/O BAR */
#define MTTY_REG	4	/* UART_MCR: a plain register, no FIFO side effects */

/* One device's register: where a read goes, and its series per access width. */
struct reg_target {
	struct mgpu_dev dev;
	unsigned int bar;
	uint64_t reg16, reg32;	/* offsets within the device file */
	uint64_t cfg;		/* config space offset within the device file */
};

enum reg_series {
	S_MGPU16, S_MTTY16, S_MGPU32, S_MTTY32, S_MGPUCFG, S_MTTYCFG, S_NULL, S_NR
};

static struct bench_series series[S_NR] = {
	[S_MGPU16]  = { .name = "mgpu_bar2_pread16" },
	[S_MTTY16]  = { .name = "mtty_bar0_pread16" },
	[S_MGPU32]  = { .name = "mgpu_bar2_pread32" },
	[S_MTTY32]  = { .name = "mtty_bar0_pread32" },
	[S_MGPUCFG] = { .name = "mgpu_cfg_pread32" },
	[S_MTTYCFG] = { .name = "mtty_cfg_pread32" },
	/* The syscall floor under both: a pread() that reaches no VFIO code at all. */
	[S_NULL]    = { .name = "dev_zero_pread16" },
};

static int region_offset(struct mgpu_dev *dev, unsigned int index, uint64_t *off)
{
	struct vfio_region_info info;
	int ret = mgpu_region_info(dev, index, &info);

	*off = info.offset;
	return ret;
}

static int open_target(struct reg_target *t, const char *parent, const char *type,
		       unsigned int bar, uint64_t reg16, uint64_t reg32)
{
	uint64_t bar_off = 0;
	int ret = mgpu_create(&t->dev, parent, type);

	if (ret)
		return ret;
	ret = mgpu_open(&t->dev);
	if (!ret)
		ret = region_offset(&t->dev, VFIO_PCI_CONFIG_REGION_INDEX, &t->cfg);
	if (!ret)
		ret = region_offset(&t->dev, bar, &bar_off);
	t->bar = bar;
	t->reg16 = bar_off + reg16;
	t->reg32 = bar_off + reg32;
	return ret;
}

static void close_target(struct reg_target *t)
{
	mgpu_close(&t->dev);
	if (t->dev.uuid[0])
		mgpu_remove(t->dev.uuid);
	t->dev.uuid[0] = 0;
}

/* ns per pread() of @len bytes at @off, over @ops reads. */
static double time_preads(int fd, uint64_t off, size_t len, unsigned int ops)
{
	uint64_t t0 = bench_now_ns();
	uint32_t v;
	unsigned int i;

	for (i = 0; i < ops; i++)
		if (pread(fd, &v, len, off) != (ssize_t)len)
			return -1;
	return (double)(bench_now_ns() - t0) / ops;
}

/*
 * One round of one pair: the reads are split into MGPU_BENCH_CHUNKS batches, mgpu's
 * and mtty's interleaved, and each side keeps its fastest batch. A batch that another
 * VM's burst preempted only ever reads slower, so the minimum is the floor.
 */
static int measure_pair(struct reg_target *g, struct reg_target *m, unsigned int round,
			enum reg_series s, unsigned int ops)
{
	uint64_t goff = s == S_MGPU16 ? g->reg16 : s == S_MGPU32 ? g->reg32 : g->cfg;
	uint64_t moff = s == S_MGPU16 ? m->reg16 : s == S_MGPU32 ? m->reg32 : m->cfg;
	unsigned int k, chunks = bench_env_uint("MGPU_BENCH_CHUNKS", 10);
	size_t len = s == S_MGPU16 ? 2 : 4;
	double gbest = 1e18, mbest = 1e18;

	for (k = 0; k < chunks; k++) {
		int gfirst = (round + k) & 1;
		double a = time_preads(gfirst ? g->dev.fd : m->dev.fd, gfirst ? goff : moff,
				       len, ops / chunks);
		double b = time_preads(gfirst ? m->dev.fd : g->dev.fd, gfirst ? moff : goff,
				       len, ops / chunks);
		double gt = gfirst ? a : b, mt = gfirst ? b : a;

		if (a < 0 || b < 0)
			return -EIO;
		gbest = gt < gbest ? gt : gbest;
		mbest = mt < mbest ? mt : mbest;
	}
	bench_add(&series[s], gbest);
	bench_add(&series[s + 1], mbest);
	return 0;
}

/* The same floor for a pread() of /dev/zero. */
static double null_floor(int fd, unsigned int ops)
{
	unsigned int k, chunks = bench_env_uint("MGPU_BENCH_CHUNKS", 10);
	double best = 1e18;

	for (k = 0; k < chunks; k++) {
		double t = time_preads(fd, 0, 2, ops / chunks);

		best = t >= 0 && t < best ? t : best;
	}
	return best;
}

static int run_direct(struct reg_target *g, struct reg_target *m)
{
	unsigned int rounds = bench_env_uint("MGPU_BENCH_ROUNDS", 15);
	unsigned int ops = bench_env_uint("MGPU_BENCH_OPS", 20000);
	int ret = 0, zero = open("/dev/zero", O_RDONLY);
	unsigned int r, s;

	for (r = 0; r < rounds && !ret; r++) {
		for (s = S_MGPU16; s < S_NULL && !ret; s += 2)
			ret = measure_pair(g, m, r, s, ops);
		bench_add(&series[S_NULL], null_floor(zero, ops));
	}
	close(zero);
	if (ret)
		return ret;
	printf("# reg_access: pread() through the VFIO device file, %u rounds of %u reads;\n",
	       rounds, ops);
	printf("# each side's fastest of %u interleaved batches a round;\n",
	       bench_env_uint("MGPU_BENCH_CHUNKS", 10));
	printf("# medians in ns per read:\n");
	for (s = 0; s < S_NR; s++)
		printf("#   %-20s %10.0f\n", series[s].name, bench_median(&series[s]));
	printf("# above the /dev/zero floor: mgpu %.0f ns, mtty %.0f ns per 16-bit read\n",
	       bench_median(&series[S_MGPU16]) - bench_median(&series[S_NULL]),
	       bench_median(&series[S_MTTY16]) - bench_median(&series[S_NULL]));
	for (s = S_MGPU16; s < S_NULL; s += 2)
		bench_print_ratio(&series[s], &series[s + 1]);
	return 0;
}

/* Give mtty's I/O BAR an address: mtty decodes it from its virtual config space. */
static int mtty_place_bar(struct reg_target *m)
{
	return mgpu_cfg_write32(&m->dev, PCI_BASE_ADDRESS_0, MTTY_IO_BASE);
}

/* ---------------------------------------------------------------- through QEMU */

/* ns per qtest command @cmd, over @ops commands. */
static double time_qtest(struct qtest *q, const char *cmd, unsigned int ops)
{
	uint64_t t0 = bench_now_ns();
	unsigned int i;

	for (i = 0; i < ops; i++)
		if (qtest_cmd(q, NULL, "%s", cmd))
			return -1;
	return (double)(bench_now_ns() - t0) / ops;
}

static int qemu_map(struct qtest *q, char *gpu_cmd, char *tty_cmd, size_t len)
{
	int gpu = qtest_pci_devfn(q, "gpu"), tty = qtest_pci_devfn(q, "tty");
	uint64_t bar2;
	int ret;

	if (gpu < 0 || tty < 0)
		return gpu < 0 ? gpu : tty;
	ret = qtest_pci_bar_map(q, gpu, MGPU_BAR_MMIO, &bar2);
	if (ret)
		return ret;
	qtest_pci_enable_mem(q, gpu);
	qtest_pci_write32(q, tty, PCI_BASE_ADDRESS_0, MTTY_IO_BASE);
	qtest_pci_write16(q, tty, PCI_COMMAND,
			  qtest_pci_read16(q, tty, PCI_COMMAND) | PCI_COMMAND_IO);
	snprintf(gpu_cmd, len, "readw 0x%llx",
		 (unsigned long long)(bar2 + MGPU_MMIO_DISPI + 2 * MGPU_DISPI_ID));
	snprintf(tty_cmd, len, "inb 0x%x", MTTY_IO_BASE + MTTY_REG);
	return q->error;
}

static int run_qemu(struct reg_target *g, struct reg_target *m)
{
	struct bench_series qg = { .name = "qtest_mgpu_readw" }, qm = { .name = "qtest_mtty_inb" };
	unsigned int rounds = bench_env_uint("MGPU_BENCH_ROUNDS", 15);
	/* A qtest round trip costs milliseconds under TCG: far fewer commands. */
	unsigned int ops = bench_env_uint("MGPU_BENCH_OPS", 20000) / 100;
	char gdev[128], mdev[128], gcmd[64], mcmd[64];
	const char *const args[] = { "-device", gdev, "-device", mdev, NULL };
	struct qtest q;
	unsigned int r;
	int ret;

	snprintf(gdev, sizeof(gdev), "vfio-pci,sysfsdev=/sys/bus/mdev/devices/%s,id=gpu",
		 g->dev.uuid);
	snprintf(mdev, sizeof(mdev), "vfio-pci,sysfsdev=/sys/bus/mdev/devices/%s,id=tty",
		 m->dev.uuid);
	ret = qtest_start(&q, args);
	if (!ret)
		ret = qemu_map(&q, gcmd, mcmd, sizeof(gcmd));
	for (r = 0; r < rounds && !ret; r++) {
		double a = time_qtest(&q, r & 1 ? mcmd : gcmd, ops);
		double b = time_qtest(&q, r & 1 ? gcmd : mcmd, ops);

		if (a < 0 || b < 0)
			ret = -EIO;
		bench_add(&qg, r & 1 ? b : a);
		bench_add(&qm, r & 1 ? a : b);
	}
	qtest_quit(&q);
	if (ret)
		return ret;
	printf("# reg_access via QEMU qtest (%u rounds of %u commands); ns per command:\n",
	       rounds, ops);
	printf("#   %-20s %10.0f\n#   %-20s %10.0f\n", qg.name, bench_median(&qg),
	       qm.name, bench_median(&qm));
	bench_print_ratio(&qg, &qm);
	return 0;
}

int main(void)
{
	const char *type = getenv("MGPU_BENCH_TYPE");
	struct reg_target g = { .dev = { .fd = -1, .group = -1, .container = -1 } };
	struct reg_target m = g;
	char parent[64];
	int ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	ret = mgpu_find_parent(parent, sizeof(parent));
	if (!ret)
		ret = open_target(&g, parent, type && *type ? type : "mgpu-16M",
				  VFIO_PCI_BAR0_REGION_INDEX + MGPU_BAR_MMIO,
				  MGPU_MMIO_DISPI + 2 * MGPU_DISPI_ID, MGPU_QEXT_SIZE);
	if (ret) {
		fprintf(stderr, "reg_access: cannot set up a vGPU: %s\n", strerror(-ret));
		close_target(&g);
		return 1;
	}
	ret = open_target(&m, MTTY_PARENT, MTTY_TYPE, VFIO_PCI_BAR0_REGION_INDEX,
			  MTTY_REG, MTTY_REG);
	if (!ret)
		ret = mtty_place_bar(&m);
	if (ret) {
		bench_skip("reg_access", "no mtty mdev: is mtty.ko loaded?");
		close_target(&m);
		close_target(&g);
		return 0;
	}
	ret = run_direct(&g, &m);
	/* QEMU opens the groups itself: one user at a time. */
	mgpu_close(&g.dev);
	mgpu_close(&m.dev);
	if (!ret && !bench_env_uint("MGPU_BENCH_QEMU", 1))
		bench_skip("reg_access via QEMU", "MGPU_BENCH_QEMU=0");
	else if (!ret && !qtest_qemu_available())
		bench_skip("reg_access via QEMU", "no qemu-system-x86_64");
	else if (!ret && run_qemu(&g, &m))
		bench_skip("reg_access via QEMU", "QEMU did not start or answer");
	close_target(&m);
	close_target(&g);
	if (ret)
		fprintf(stderr, "reg_access: %s\n", strerror(-ret));
	return ret ? 1 : 0;
}
