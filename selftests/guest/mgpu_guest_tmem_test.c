// SPDX-License-Identifier: GPL-2.0-only
/*
 * Guest tier: mgpu_tmem_guest.ko on the tmem devices the host assigned (two mdevs of
 * mgpu_tmem.ko). The swap device /dev/tmemswap0 under real memory pressure (a cgroup
 * v2 limited to a third of its working set): every page reads back intact, no swap
 * write fails, pages are held by the host (which run-nested.sh checks on its side
 * while the guest holds them) and refused puts reach the backing device; then the
 * swap-in latency from tmem against the backing device, measured, never asserted; then
 * the tmem_cache device-mapper target, private (hits on the second read, a write
 * invalidates) and shared between the two devices (one reads, the other hits; a
 * UUID the host did not authorise gives a private pool).
 * Built static; needs the guest's brd and dm-mod, and the module loaded by /init.
 *
 *   MGPU_SYSFS              sysfs root (default /sys)
 *   MGPU_TMEM_MDEVS         how many tmem devices the host assigned; with a nonzero
 *                           value a missing device or driver is a failure, else a SKIP
 *   MGPU_TMEM_SKIP          why the host assigned none (a SKIP's reason)
 *   MGPU_TMEM_CAP_PAGES     the cap the host set on every client: with it, the swap
 *                           test must see refused puts land on the backing device
 *   MGPU_TMEM_SHARED_UUID   the shared pool both clients are authorised for
 *   MGPU_TMEM_ACK           a tty the host answers the swap test's "@@mgpu-guest
 *                           tmem-held client C pages N end" line on, with "... stored_pages
 *                           M" (the client's pages in the host's pool); without it
 *                           the test does not wait for the host
 *   MGPU_TMEM_SWAP_MIB      the swap test's working set (default 36 MiB)
 *   MGPU_TMEM_SWAP_BACKING  backing device for /dev/tmemswap0 when the module was
 *                           loaded without one (default /dev/ram0)
 *   MGPU_TMEM_CACHE_DISK    the disk under the cache targets (default /dev/ram2)
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/swap.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <linux/dm-ioctl.h>
#include <linux/fs.h>

#include "kselftest_harness.h"
#include "mgpu_guest.h"

#define DRIVER		"mgpu_tmem_guest"
#define SWAP_DEV	"/dev/tmemswap0"
#define SWAP_SYS	"block/tmemswap0"
#define CGROUP		"/sys/fs/cgroup"
#define CG_NAME		CGROUP "/mgpu-tmem-test"
#define HELD_MARK	"@@mgpu-guest tmem-held"
#define PAGE		4096u
#define CHUNK		(64 * PAGE)	/* O_DIRECT I/O size: one batch of the driver */
#define ACK_TIMEOUT_S	180
#define CHILD_TIMEOUT_S	400
#define LAT_SAMPLES	31
#define CACHE_PAGES	1024		/* 4 MiB through the cache targets */
#define DM_BUF		16384
#define UNAUTHORISED_UUID "6d677075-746d-4000-8000-000000000000"

/* ---- small helpers ------------------------------------------------------------------ */

static long long env_ll(const char *name, long long def)
{
	const char *v = getenv(name);

	return v && *v ? strtoll(v, NULL, 0) : def;
}

static const char *env_str(const char *name, const char *def)
{
	const char *v = getenv(name);

	return v && *v ? v : def;
}

/* Read a sysfs file under the sysfs root as a number; -1 if it cannot be read. */
static long long sys_ll(const char *fmt, const char *a)
{
	char path[512], buf[64];
	long long val = -1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/", sysfs_root());
	snprintf(path + strlen(path), sizeof(path) - strlen(path), fmt, a);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fgets(buf, sizeof(buf), f))
		val = strtoll(buf, NULL, 0);
	fclose(f);
	return val;
}

static int write_file(const char *path, const char *val)
{
	ssize_t len = strlen(val);
	int fd = open(path, O_WRONLY), ret;

	if (fd < 0)
		return -errno;
	ret = write(fd, val, len) == len ? 0 : -errno;
	close(fd);
	return ret;
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n ? v[n / 2] : 0;
}

/* Lines of the kernel log so far that contain @needle. */
static int kmsg_count(const char *needle)
{
	char rec[2048];
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK), n = 0;
	ssize_t got;

	if (fd < 0)
		return -errno;
	while ((got = read(fd, rec, sizeof(rec) - 1)) != 0) {
		if (got < 0) {
			if (errno == EPIPE)
				continue;	/* overwritten records: go on */
			break;
		}
		rec[got] = '\0';
		n += !!strstr(rec, needle);
	}
	close(fd);
	return n;
}

/*
 * The content of page @page: every 64-bit word a hash of (seed, page, word), so no two
 * pages match, a misplaced page shows, and the host's compressor cannot shrink it.
 */
static uint64_t word_of(uint64_t seed, uint64_t page, unsigned int i)
{
	uint64_t x = (seed ^ page << 20 ^ i) * 0x9e3779b97f4a7c15ull;

	return x ^ x >> 29;
}

static void fill_page(uint64_t *p, uint64_t seed, uint64_t page)
{
	unsigned int i;

	for (i = 0; i < PAGE / 8; i++)
		p[i] = word_of(seed, page, i);
}

static bool page_ok(const uint64_t *p, uint64_t seed, uint64_t page)
{
	unsigned int i;

	for (i = 0; i < PAGE / 8; i++) {
		if (p[i] != word_of(seed, page, i))
			return false;
	}
	return true;
}

static void *page_buf(size_t bytes)
{
	void *p = NULL;

	return posix_memalign(&p, PAGE, bytes) ? NULL : p;
}

/* ---- the tmem devices --------------------------------------------------------------- */

/* The PCI address of tmem device @id into @bdf; -ENODEV if none is bound as @id. */
static int find_tmem(int id, char *bdf, size_t len)
{
	char path[512];
	struct dirent *de;
	int ret = -ENODEV;
	DIR *dir;

	snprintf(path, sizeof(path), "%s/bus/pci/drivers/%s", sysfs_root(), DRIVER);
	dir = opendir(path);
	if (!dir)
		return -errno;
	while ((de = readdir(dir))) {
		if (!strchr(de->d_name, ':'))
			continue;
		if (sys_ll("bus/pci/devices/%s/tmem_id", de->d_name) == id) {
			snprintf(bdf, len, "%s", de->d_name);
			ret = 0;
			break;
		}
	}
	closedir(dir);
	return ret;
}

enum swap_counter {
	SC_PUTS, SC_REFUSED, SC_GETS, SC_HITS, SC_BWRITES, SC_BREADS, SC_FLUSHES,
	SC_WRITEBACK, SC_ERRORS, SC_LOST, SC_STORED, SC_NR
};

static const char *const swap_counter_name[SC_NR] = {
	"puts", "puts_refused", "gets", "hits", "backing_writes", "backing_reads",
	"flushes", "writeback_pages", "errors", "lost_pages", "stored_in_tmem",
};

struct swap_counts {
	long long c[SC_NR];
};

static void swap_counts(struct swap_counts *s)
{
	char fmt[64];
	int i;

	for (i = 0; i < SC_NR; i++) {
		snprintf(fmt, sizeof(fmt), SWAP_SYS "/%s", swap_counter_name[i]);
		s->c[i] = sys_ll("%s", fmt);
	}
}

static void log_counts(struct __test_metadata *_metadata, const char *when,
		       const struct swap_counts *s)
{
	TH_LOG("%s: puts %lld refused %lld gets %lld hits %lld, held by the host %lld",
	       when, s->c[SC_PUTS], s->c[SC_REFUSED], s->c[SC_GETS], s->c[SC_HITS],
	       s->c[SC_STORED]);
	TH_LOG("%s: backing writes %lld reads %lld, flushes %lld wb %lld errors %lld lost %lld",
	       when, s->c[SC_BWRITES], s->c[SC_BREADS], s->c[SC_FLUSHES], s->c[SC_WRITEBACK],
	       s->c[SC_ERRORS], s->c[SC_LOST]);
}

/* /dev/tmemswap0 exists, made through sysfs if the module was loaded without one. */
static int ensure_swap_dev(const char *bdf)
{
	char path[512];
	int ret;

	if (!access(SWAP_DEV, F_OK))
		return 0;
	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/swap_backing", sysfs_root(), bdf);
	ret = write_file(path, env_str("MGPU_TMEM_SWAP_BACKING", "/dev/ram0"));
	if (ret)
		return ret;
	return access(SWAP_DEV, F_OK) ? -errno : 0;
}

/* mkswap: a version 1 swap header on page 0 covering @pages pages. */
static int write_swap_header(const char *dev, uint64_t pages)
{
	unsigned char *hdr = page_buf(PAGE);
	uint32_t info[3] = { 1, pages - 1, 0 };
	int fd, ret = 0;

	if (!hdr)
		return -ENOMEM;
	memset(hdr, 0, PAGE);
	memcpy(hdr + 1024, info, sizeof(info));
	memcpy(hdr + PAGE - 10, "SWAPSPACE2", 10);
	fd = open(dev, O_WRONLY | O_DIRECT);
	if (fd < 0 || pwrite(fd, hdr, PAGE, 0) != PAGE || fsync(fd))
		ret = -errno;
	if (fd >= 0)
		close(fd);
	free(hdr);
	return ret;
}

/* ---- the host's acknowledgment ------------------------------------------------------ */

static int ack_open(const char *path)
{
	struct termios t;
	int fd = open(path, O_RDWR | O_NOCTTY);

	if (fd < 0)
		return -errno;
	if (tcgetattr(fd, &t) == 0) {
		cfmakeraw(&t);
		tcsetattr(fd, TCSANOW, &t);
	}
	tcflush(fd, TCIFLUSH);
	return fd;
}

static int ack_wait(int fd, char *buf, size_t len, int secs)
{
	time_t end = time(NULL) + secs;
	struct pollfd p = { .fd = fd, .events = POLLIN };
	size_t n = 0;

	while (n < len - 1 && time(NULL) < end) {
		if (poll(&p, 1, 1000) <= 0)
			continue;
		if (read(fd, buf + n, 1) != 1)
			return -EIO;
		if (buf[n] == '\n' || buf[n] == '\r') {
			if (n)
				break;
			continue;
		}
		n++;
	}
	buf[n] = '\0';
	return n ? 0 : -ETIMEDOUT;
}

/* ---- device-mapper, through its ioctls (busybox has no dmsetup) --------------------- */

static struct dm_ioctl *dm_init(void *buf, const char *name)
{
	struct dm_ioctl *io = buf;

	memset(buf, 0, DM_BUF);
	io->version[0] = DM_VERSION_MAJOR;
	io->data_size = DM_BUF;
	io->data_start = sizeof(*io);
	snprintf(io->name, sizeof(io->name), "%s", name);
	return io;
}

static int dm_call(unsigned long cmd, struct dm_ioctl *io)
{
	int fd = open("/dev/mapper/control", O_RDWR), ret;

	if (fd < 0)
		return -errno;
	ret = ioctl(fd, cmd, io) ? -errno : 0;
	close(fd);
	return ret;
}

static int dm_remove(const char *name)
{
	uint64_t buf[DM_BUF / 8];
	char node[128];

	snprintf(node, sizeof(node), "/dev/%s", name);
	unlink(node);
	return dm_call(DM_DEV_REMOVE, dm_init(buf, name));
}

/* A device /dev/<name> of one tmem_cache target with @params over @sectors sectors. */
static int dm_create(const char *name, uint64_t sectors, const char *params)
{
	uint64_t buf[DM_BUF / 8];
	struct dm_ioctl *io = dm_init(buf, name);
	struct dm_target_spec *t = (void *)(io + 1);
	char node[128];
	uint64_t dev;
	int ret;

	ret = dm_call(DM_DEV_CREATE, io);
	if (ret)
		return ret;
	dev = io->dev;
	io = dm_init(buf, name);
	t = (void *)(io + 1);
	io->target_count = 1;
	t->length = sectors;
	snprintf(t->target_type, sizeof(t->target_type), "tmem_cache");
	snprintf((char *)(t + 1), DM_BUF - sizeof(*io) - sizeof(*t), "%s", params);
	t->next = (sizeof(*t) + strlen(params) + 8) & ~7u;
	ret = dm_call(DM_TABLE_LOAD, io);
	if (!ret)
		ret = dm_call(DM_DEV_SUSPEND, dm_init(buf, name));	/* resume */
	snprintf(node, sizeof(node), "/dev/%s", name);
	if (!ret && mknod(node, S_IFBLK | 0600, makedev(major(dev), minor(dev))))
		ret = -errno;

	if (ret)
		dm_remove(name);
	return ret;
}

struct cache_status {
	long long hits, misses, puts, refused, invalidations, bypassed, errors;
	char pool[16];
};

static int dm_status(const char *name, struct cache_status *st)
{
	uint64_t buf[DM_BUF / 8];
	struct dm_ioctl *io = dm_init(buf, name);
	struct dm_target_spec *t;
	int ret = dm_call(DM_TABLE_STATUS, io);

	if (ret)
		return ret;
	if (io->target_count != 1)
		return -ENODATA;
	t = (void *)((char *)buf + io->data_start);
	if (sscanf((char *)(t + 1),
		   "hits %lld misses %lld puts %lld puts_refused %lld invalidations %lld bypassed %lld errors %lld pool %15s",
		   &st->hits, &st->misses, &st->puts, &st->refused, &st->invalidations,
		   &st->bypassed, &st->errors, st->pool) != 8)
		return -EPROTO;
	return 0;
}

/* Write pages [0, @n) of @path with seed @seed (page @only alone if >= 0), O_DIRECT. */
static int write_pattern(const char *path, uint64_t seed, size_t n, long only)
{
	uint8_t *buf = page_buf(CHUNK);
	size_t p, k, len;
	int fd, ret = 0;

	if (!buf)
		return -ENOMEM;
	fd = open(path, O_WRONLY | O_DIRECT);
	for (p = only >= 0 ? only : 0; fd >= 0 && !ret && p < n; p += len / PAGE) {
		len = only >= 0 ? PAGE : (n - p < CHUNK / PAGE ? (n - p) * PAGE : CHUNK);
		for (k = 0; k < len / PAGE; k++)
			fill_page((uint64_t *)(buf + k * PAGE), seed, p + k);
		if (pwrite(fd, buf, len, p * PAGE) != (ssize_t)len)
			ret = -errno ?: -EIO;
		if (only >= 0)
			break;
	}
	if (fd < 0)
		ret = -errno;
	else
		close(fd);
	free(buf);
	return ret;
}

/* Read pages [0, @n) of @path, O_DIRECT; count those that are not seed @seed's. */
static long read_check(const char *path, uint64_t seed, size_t n, long only,
		       uint64_t only_seed)
{
	uint8_t *buf = page_buf(CHUNK);
	size_t p, k, len;
	long bad = 0;
	int fd;

	if (!buf)
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_DIRECT);
	for (p = 0; fd >= 0 && bad >= 0 && p < n; p += len / PAGE) {
		len = n - p < CHUNK / PAGE ? (n - p) * PAGE : CHUNK;
		if (pread(fd, buf, len, p * PAGE) != (ssize_t)len) {
			bad = -errno ?: -EIO;
			break;
		}
		for (k = 0; k < len / PAGE; k++)
			bad += !page_ok((uint64_t *)(buf + k * PAGE),
					(long)(p + k) == only ? only_seed : seed, p + k);
	}
	if (fd < 0)
		bad = -errno;
	else
		close(fd);
	free(buf);
	return bad;
}

/* ---- the fixture -------------------------------------------------------------------- */

FIXTURE(tmem) {
	char bdf[2][BDF_LEN];
	int nr;
};

FIXTURE_SETUP(tmem)
{
	long long mdevs = env_ll("MGPU_TMEM_MDEVS", 0);
	char path[512];
	int i;

	if (!mdevs)
		SKIP(return, "%s", env_str("MGPU_TMEM_SKIP",
					   "no tmem device assigned (MGPU_TMEM_MDEVS unset)"));
	snprintf(path, sizeof(path), "%s/bus/pci/drivers/%s", sysfs_root(), DRIVER);
	ASSERT_EQ(0, access(path, F_OK))
		TH_LOG("%s is not loaded, yet the host assigned %lld devices", DRIVER, mdevs);
	for (i = 0; i < 2; i++) {
		if (find_tmem(i, self->bdf[i], sizeof(self->bdf[i])))
			break;
		self->nr++;
	}
	ASSERT_EQ(mdevs < 2 ? mdevs : 2, self->nr)
		TH_LOG("the host assigned %lld tmem devices, %d bound as 0, 1 (see dmesg)",
		       mdevs, self->nr);
}

FIXTURE_TEARDOWN(tmem)
{
}

/* ---- swap under memory pressure ----------------------------------------------------- */

struct verdict {
	long long mismatches;
	long long first_bad;
};

/* The child in the cgroup: fill, say so, hold until told, verify, report. */
static void swap_child(int to_parent, int from_parent, size_t pages, uint64_t seed)
{
	struct verdict v = { 0, -1 };
	uint8_t *mem;
	char go, pid[32];
	size_t p;

	snprintf(pid, sizeof(pid), "%d", getpid());
	if (write_file(CG_NAME "/cgroup.procs", pid))
		_exit(2);
	mem = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		   -1, 0);
	if (mem == MAP_FAILED)
		_exit(3);
	madvise(mem, pages * PAGE, MADV_NOHUGEPAGE);
	for (p = 0; p < pages; p++)
		fill_page((uint64_t *)(mem + p * PAGE), seed, p);
	if (write(to_parent, "F", 1) != 1 || read(from_parent, &go, 1) != 1)
		_exit(4);
	for (p = 0; p < pages; p++) {
		if (!page_ok((uint64_t *)(mem + p * PAGE), seed, p)) {
			if (v.first_bad < 0)
				v.first_bad = p;
			v.mismatches++;
		}
	}
	_exit(write(to_parent, &v, sizeof(v)) == sizeof(v) ? 0 : 5);
}

static int wait_readable(int fd, int secs)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, secs * 1000) == 1 ? 0 : -ETIMEDOUT;
}

static int cgroup_setup(long long max_bytes)
{
	char val[32];
	int ret;

	if (access(CGROUP "/cgroup.controllers", F_OK) &&
	    mount("cgroup2", CGROUP, "cgroup2", 0, NULL))
		return -errno;
	ret = write_file(CGROUP "/cgroup.subtree_control", "+memory");
	if (ret)
		return ret;
	if (mkdir(CG_NAME, 0755) && errno != EEXIST)
		return -errno;
	snprintf(val, sizeof(val), "%lld", max_bytes);
	return write_file(CG_NAME "/memory.max", val);
}

static long long oom_kills(void)
{
	char line[128];
	long long n = -1;
	FILE *f = fopen(CG_NAME "/memory.events", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		sscanf(line, "oom_kill %lld", &n);
	fclose(f);
	return n;
}

/* The host's side: say what the pool should hold, read what it does hold. */
static void hold_handshake(struct __test_metadata *_metadata, const char *bdf,
			   long long held)
{
	const char *ack = getenv("MGPU_TMEM_ACK");
	long long client = sys_ll("bus/pci/devices/%s/client_id", bdf), stored = -1;
	char reply[160], *p;
	int fd = -1;

	if (!ack) {
		TH_LOG("no MGPU_TMEM_ACK: the host does not check its pool");
		return;
	}
	fd = ack_open(ack);
	ASSERT_LE(0, fd) TH_LOG("%s: %s", ack, strerror(-fd));
	printf("%s client %lld pages %lld end\n", HELD_MARK, client, held);
	fflush(stdout);
	EXPECT_EQ(0, ack_wait(fd, reply, sizeof(reply), ACK_TIMEOUT_S))
		TH_LOG("the host did not answer in %d s", ACK_TIMEOUT_S);
	close(fd);
	TH_LOG("host: %s", reply);
	p = strstr(reply, "stored_pages ");
	if (p)
		stored = strtoll(p + strlen("stored_pages "), NULL, 10);
	EXPECT_LE(held, stored)
		TH_LOG("the host's pool holds %lld pages of client %lld, the guest %lld",
		       stored, client, held);
}

/* Pages of /dev/tmemswap0 held by the host drop to 0 once swap is off. */
static long long wait_released(void)
{
	long long held = -1;
	int i;

	for (i = 0; i < 100; i++) {
		held = sys_ll("%s", SWAP_SYS "/stored_in_tmem");
		if (held <= 0)
			break;
		usleep(100000);
	}
	return held;
}

TEST_F_TIMEOUT(tmem, swap_under_pressure, 900)
{
	size_t pages = (size_t)env_ll("MGPU_TMEM_SWAP_MIB", 36) << 20 >> 12;
	long long dev_pages, cap = env_ll("MGPU_TMEM_CAP_PAGES", 0);
	uint64_t seed = (uint64_t)time(NULL) * 2654435761u ^ getpid();
	int up[2], down[2], status, wr_err, rd_err;
	struct swap_counts before, held, after;
	struct verdict v = { -1, -1 };
	double t0 = now_us();
	pid_t pid;
	char c;

	ASSERT_EQ(0, ensure_swap_dev(self->bdf[0]))
		TH_LOG("no %s and none could be made on %s", SWAP_DEV,
		       env_str("MGPU_TMEM_SWAP_BACKING", "/dev/ram0"));
	write_file("/sys/module/zswap/parameters/enabled", "N");
	wr_err = kmsg_count("Write-error on swap-device");
	rd_err = kmsg_count("Read-error on swap-device");
	dev_pages = sys_ll("%s", SWAP_SYS "/size") / 8;
	ASSERT_LT((long long)pages, dev_pages - 1)
		TH_LOG("%s has %lld pages, fewer than the working set", SWAP_DEV, dev_pages);
	swap_counts(&before);
	ASSERT_EQ(0, write_swap_header(SWAP_DEV, dev_pages));
	ASSERT_EQ(0, swapon(SWAP_DEV, 0)) TH_LOG("swapon %s: %s", SWAP_DEV, strerror(errno));
	ASSERT_EQ(0, cgroup_setup(pages * PAGE / 3)) TH_LOG("cgroup v2 memory.max");
	ASSERT_EQ(0, pipe(up));
	ASSERT_EQ(0, pipe(down));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		swap_child(up[1], down[0], pages, seed);
	close(up[1]);
	close(down[0]);

	EXPECT_EQ(0, wait_readable(up[0], CHILD_TIMEOUT_S));
	EXPECT_EQ(1, read(up[0], &c, 1))
		TH_LOG("the child died filling %zu pages (oom kills %lld)", pages, oom_kills());
	swap_counts(&held);
	log_counts(_metadata, "filled", &held);
	TH_LOG("%zu pages filled in %.1f s under memory.max %zu KiB",
	       pages, (now_us() - t0) / 1e6, pages * PAGE / 3 / 1024);
	EXPECT_LT(0, held.c[SC_STORED]) TH_LOG("no swapped page is held by the host");
	hold_handshake(_metadata, self->bdf[0], held.c[SC_STORED]);
	/* Move some of the oldest pages to the backing device, as the host may ask. */
	EXPECT_EQ(0, write_file("/sys/" SWAP_SYS "/writeback", "64"));

	EXPECT_EQ(1, write(down[1], "V", 1));
	EXPECT_EQ(0, wait_readable(up[0], CHILD_TIMEOUT_S));
	EXPECT_EQ(sizeof(v), read(up[0], &v, sizeof(v)))
		TH_LOG("the child died verifying (oom kills %lld)", oom_kills());
	waitpid(pid, &status, 0);
	close(up[0]);
	close(down[1]);
	swap_counts(&after);
	log_counts(_metadata, "verified", &after);
	TH_LOG("%zu pages verified in %.1f s in all", pages, (now_us() - t0) / 1e6);

	EXPECT_EQ(0, v.mismatches) TH_LOG("first bad page %lld", v.first_bad);
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status)) TH_LOG("status %#x", status);
	EXPECT_EQ(0, after.c[SC_ERRORS] - before.c[SC_ERRORS]);
	EXPECT_EQ(0, after.c[SC_LOST] - before.c[SC_LOST]);
	EXPECT_EQ(wr_err, kmsg_count("Write-error on swap-device"));
	EXPECT_EQ(rd_err, kmsg_count("Read-error on swap-device"));
	EXPECT_LT(0, after.c[SC_HITS] - before.c[SC_HITS]) TH_LOG("no page came back from tmem");
	EXPECT_LT(0, after.c[SC_WRITEBACK] - before.c[SC_WRITEBACK])
		TH_LOG("the write-back moved no page");
	if (cap) {
		EXPECT_LT(0, after.c[SC_REFUSED] - before.c[SC_REFUSED])
			TH_LOG("the host took every page despite its cap of %lld", cap);
		EXPECT_LT(0, after.c[SC_BREADS] - before.c[SC_BREADS])
			TH_LOG("no page came back from the backing device");
	}
	EXPECT_EQ(0, swapoff(SWAP_DEV)) TH_LOG("swapoff: %s", strerror(errno));
	EXPECT_EQ(0, wait_released()) TH_LOG("pages still held after swapoff");
	rmdir(CG_NAME);
}

/* ---- swap-in latency: a measurement, never asserted --------------------------------- */

/* Median microseconds of @n single-page O_DIRECT reads of pages @first, @first + 1... */
static double read_latency(int fd, uint8_t *buf, long first, int n, uint64_t seed,
			   int *bad)
{
	double t[LAT_SAMPLES], t0;
	int i;

	for (i = 0; i < n; i++) {
		t0 = now_us();
		if (pread(fd, buf, PAGE, (first + i) * PAGE) != PAGE)
			(*bad)++;
		t[i] = now_us() - t0;
		*bad += !page_ok((uint64_t *)buf, seed, first + i);
	}
	return median(t, n);
}

TEST_F_TIMEOUT(tmem, swap_in_latency, 300)
{
	long long dev_pages = sys_ll("%s", SWAP_SYS "/size") / 8, refused0;
	uint64_t seed = (uint64_t)time(NULL) ^ 0x5eed;
	uint8_t *buf = page_buf(CHUNK);
	long p, k, boundary = -1, end = -1;
	int fd, bad = 0;
	double tmem_us, backing_us;
	uint64_t range[2];

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, ensure_swap_dev(self->bdf[0]));
	fd = open(SWAP_DEV, O_RDWR | O_DIRECT);
	ASSERT_LE(0, fd) TH_LOG("%s: %s", SWAP_DEV, strerror(errno));
	refused0 = sys_ll("%s", SWAP_SYS "/puts_refused");
	/* Fill until the host refuses (its cap), then one chunk more: on the backing device. */
	for (p = 0; p + CHUNK / PAGE <= dev_pages; p += CHUNK / PAGE) {
		for (k = 0; k < CHUNK / PAGE; k++)
			fill_page((uint64_t *)(buf + k * PAGE), seed, p + k);
		ASSERT_EQ(CHUNK, pwrite(fd, buf, CHUNK, p * PAGE));
		if (boundary >= 0) {
			end = p;
			break;
		}
		if (sys_ll("%s", SWAP_SYS "/puts_refused") > refused0)
			boundary = p;
	}
	tmem_us = read_latency(fd, buf, 0, LAT_SAMPLES, seed, &bad);
	if (end >= 0) {
		backing_us = read_latency(fd, buf, end, LAT_SAMPLES, seed, &bad);
		TH_LOG("swap-in latency (median of %d page reads): tmem %.0f us, backing %.0f us",
		       LAT_SAMPLES, tmem_us, backing_us);
	} else {
		TH_LOG("swap-in latency (median of %d page reads): tmem %.0f us", LAT_SAMPLES,
		       tmem_us);
		TH_LOG("the host refused no page: none is on the backing device to compare");
	}
	EXPECT_EQ(0, bad) TH_LOG("pages read back wrong");
	range[0] = 0;
	range[1] = (uint64_t)dev_pages * PAGE;
	EXPECT_EQ(0, ioctl(fd, BLKDISCARD, range)) TH_LOG("BLKDISCARD: %s", strerror(errno));
	close(fd);
	free(buf);
	EXPECT_EQ(0, wait_released()) TH_LOG("pages still held after the discard");
}

/* ---- the clean-page cache ----------------------------------------------------------- */

static size_t cache_pages(const char *disk)
{
	char sys[128];
	long long sectors;

	snprintf(sys, sizeof(sys), "block/%s/size", strrchr(disk, '/') + 1);
	sectors = sys_ll("%s", sys);
	if (sectors < 8)
		return 0;
	return sectors / 8 < CACHE_PAGES ? sectors / 8 : CACHE_PAGES;
}

TEST_F_TIMEOUT(tmem, cache_private, 300)
{
	const char *disk = env_str("MGPU_TMEM_CACHE_DISK", "/dev/ram2");
	uint64_t seed = (uint64_t)time(NULL) ^ 0xcace, seed2 = seed ^ 0xfeed;
	size_t n = cache_pages(disk);
	struct cache_status s1, s2, s3, s4;
	char params[256];
	long page = 5;

	ASSERT_LT(page, (long)n) TH_LOG("no disk %s", disk);
	dm_remove("mgpu-tmem-priv");
	ASSERT_EQ(0, write_pattern(disk, seed, n, -1));
	snprintf(params, sizeof(params), "%s 0", disk);
	ASSERT_EQ(0, dm_create("mgpu-tmem-priv", n * 8, params));
	EXPECT_EQ(0, read_check("/dev/mgpu-tmem-priv", seed, n, -1, 0));
	ASSERT_EQ(0, dm_status("mgpu-tmem-priv", &s1));
	EXPECT_EQ(0, read_check("/dev/mgpu-tmem-priv", seed, n, -1, 0));
	ASSERT_EQ(0, dm_status("mgpu-tmem-priv", &s2));
	TH_LOG("first read: %lld misses, %lld puts; second: %lld hits (%lld bypassed)",
	       s1.misses, s1.puts, s2.hits - s1.hits, s2.bypassed);
	EXPECT_STREQ("private", s1.pool);
	EXPECT_EQ((long long)n, s1.misses);
	EXPECT_EQ((long long)n, s1.puts);
	EXPECT_EQ((long long)n, s2.hits - s1.hits) TH_LOG("the second read was not all hits");

	/* A read puts the page back; a write through the target must invalidate it. */
	EXPECT_EQ(0, read_check("/dev/mgpu-tmem-priv", seed, page + 1, -1, 0));
	ASSERT_EQ(0, write_pattern("/dev/mgpu-tmem-priv", seed2, n, page));
	ASSERT_EQ(0, dm_status("mgpu-tmem-priv", &s3));
	EXPECT_EQ(0, read_check("/dev/mgpu-tmem-priv", seed, page + 1, page, seed2))
		TH_LOG("page %ld read back stale after a write", page);
	ASSERT_EQ(0, dm_status("mgpu-tmem-priv", &s4));
	EXPECT_LT(s2.invalidations, s3.invalidations);
	EXPECT_EQ(0, s4.errors);
	EXPECT_EQ(0, dm_remove("mgpu-tmem-priv"));
}

TEST_F_TIMEOUT(tmem, cache_shared, 300)
{
	const char *disk = env_str("MGPU_TMEM_CACHE_DISK", "/dev/ram2");
	const char *uuid = getenv("MGPU_TMEM_SHARED_UUID");
	uint64_t seed = (uint64_t)time(NULL) ^ 0x5a4ed;
	size_t n = cache_pages(disk);
	struct cache_status a, b0, b1;
	char params[256];
	int i;

	if (!uuid)
		SKIP(return, "no MGPU_TMEM_SHARED_UUID (run-nested.sh sets it)");
	if (self->nr < 2)
		SKIP(return, "one tmem device: a shared pool needs two clients");
	ASSERT_LT(0, n) TH_LOG("no disk %s", disk);
	dm_remove("mgpu-tmem-sh0");
	dm_remove("mgpu-tmem-sh1");
	dm_remove("mgpu-tmem-unauth");
	ASSERT_EQ(0, write_pattern(disk, seed, n, -1));
	for (i = 0; i < 2; i++) {
		char name[32];

		snprintf(name, sizeof(name), "mgpu-tmem-sh%d", i);
		snprintf(params, sizeof(params), "%s %d shared %s", disk, i, uuid);
		ASSERT_EQ(0, dm_create(name, n * 8, params)) TH_LOG("%s: %s", name, params);
	}
	EXPECT_EQ(0, read_check("/dev/mgpu-tmem-sh0", seed, n, -1, 0));
	ASSERT_EQ(0, dm_status("mgpu-tmem-sh0", &a));
	ASSERT_EQ(0, dm_status("mgpu-tmem-sh1", &b0));
	EXPECT_EQ(0, read_check("/dev/mgpu-tmem-sh1", seed, n, -1, 0));
	ASSERT_EQ(0, dm_status("mgpu-tmem-sh1", &b1));
	TH_LOG("device 0 read %lld misses, %lld puts; device 1 then hit %lld of %zu",
	       a.misses, a.puts, b1.hits - b0.hits, n);
	EXPECT_STREQ("shared", a.pool) TH_LOG("device 0 fell back to a private pool (dmesg)");
	EXPECT_STREQ("shared", b1.pool) TH_LOG("device 1 fell back to a private pool (dmesg)");
	EXPECT_EQ((long long)n, a.puts);
	EXPECT_EQ((long long)n, b1.hits - b0.hits) TH_LOG("device 1 did not hit what 0 put");
	EXPECT_EQ(0, a.errors + b1.errors);
	EXPECT_EQ(0, dm_remove("mgpu-tmem-sh0"));
	EXPECT_EQ(0, dm_remove("mgpu-tmem-sh1"));

	/* A UUID the host never authorised: NEW_POOL says -EPERM, the target goes private. */
	snprintf(params, sizeof(params), "%s 0 shared %s", disk, UNAUTHORISED_UUID);
	ASSERT_EQ(0, dm_create("mgpu-tmem-unauth", n * 8, params));
	ASSERT_EQ(0, dm_status("mgpu-tmem-unauth", &a));
	EXPECT_STREQ("private", a.pool) TH_LOG("joined a shared pool it is not authorised for");
	EXPECT_EQ(0, dm_remove("mgpu-tmem-unauth"));
}

TEST_HARNESS_MAIN
