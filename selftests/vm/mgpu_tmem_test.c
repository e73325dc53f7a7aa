// SPDX-License-Identifier: GPL-2.0-only
/*
 * VM tier: mgpu_tmem.ko, the host side of tmem, through its sysfs and its host-local
 * block devices (/dev/mgpu_tmemN, one engine client each): settings round trips and
 * refusals with their log lines, a per-page checksummed pattern through O_DIRECT, zero
 * pages, discard, compression, weighted occupancy 1:2:4 under pressure, reserves against
 * a noisy neighbour, persistent pages never dropped, the host shrinker, and 100
 * create/remove cycles under I/O with the engine's memory back to baseline.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <linux/fs.h>

#include "kselftest_harness.h"
#include "mgpu_test.h"

#define PAGE		4096
#define ZERO_CHARGE	64	/* TMEM_ZERO_CHARGE: what a zero page costs in budget */
#define MAX_CLIENTS	256
#define MAX_CHUNK	64	/* pages per I/O at most */

/* ---- sysfs ------------------------------------------------------------------------- */

static void tmem_path(char *path, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(path, len, "%s/kernel/mgpu_tmem/", mgpu_sysfs_root());
	va_start(ap, fmt);
	vsnprintf(path + n, len - n, fmt, ap);
	va_end(ap);
}

static long long g_read(const char *attr)
{
	char path[PATH_MAX];

	tmem_path(path, sizeof(path), "%s", attr);
	return mgpu_sysfs_read_ll(path);
}

static int g_write(const char *attr, const char *val)
{
	char path[PATH_MAX];

	tmem_path(path, sizeof(path), "%s", attr);
	return mgpu_sysfs_write(path, val);
}

static int g_str(const char *attr, char *buf, size_t len)
{
	char path[PATH_MAX];

	tmem_path(path, sizeof(path), "%s", attr);
	return mgpu_sysfs_read(path, buf, len);
}

static long long c_read(int client, const char *attr)
{
	char path[PATH_MAX];

	tmem_path(path, sizeof(path), "clients/%d/%s", client, attr);
	return mgpu_sysfs_read_ll(path);
}

static int c_str(int client, const char *attr, char *buf, size_t len)
{
	char path[PATH_MAX];

	tmem_path(path, sizeof(path), "clients/%d/%s", client, attr);
	return mgpu_sysfs_read(path, buf, len);
}

static int c_write(int client, const char *attr, const char *val)
{
	char path[PATH_MAX];

	tmem_path(path, sizeof(path), "clients/%d/%s", client, attr);
	return mgpu_sysfs_write(path, val);
}

static int c_write_ll(int client, const char *attr, long long val)
{
	char s[32];

	snprintf(s, sizeof(s), "%lld", val);
	return c_write(client, attr, s);
}

static long long p_read(int client, int pool, const char *attr)
{
	char path[PATH_MAX];

	tmem_path(path, sizeof(path), "clients/%d/pools/%d/%s", client, pool, attr);
	return mgpu_sysfs_read_ll(path);
}

static int p_str(int client, int pool, const char *attr, char *buf, size_t len)
{
	char path[PATH_MAX];

	tmem_path(path, sizeof(path), "clients/%d/pools/%d/%s", client, pool, attr);
	return mgpu_sysfs_read(path, buf, len);
}

/* Client ids present now: @seen[id] = 1. Returns how many. */
static int list_clients(char *seen)
{
	char path[PATH_MAX];
	struct dirent *de;
	int n = 0;
	DIR *dir;

	memset(seen, 0, MAX_CLIENTS);
	tmem_path(path, sizeof(path), "clients");
	dir = opendir(path);
	if (!dir)
		return -errno;
	while ((de = readdir(dir))) {
		int id = atoi(de->d_name);

		if (de->d_name[0] < '0' || de->d_name[0] > '9' || id >= MAX_CLIENTS)
			continue;
		seen[id] = 1;
		n++;
	}
	closedir(dir);
	return n;
}

static int first_pool(int client)
{
	char path[PATH_MAX];
	struct dirent *de;
	int pool = -ENOENT;
	DIR *dir;

	tmem_path(path, sizeof(path), "clients/%d/pools", client);
	dir = opendir(path);
	if (!dir)
		return -errno;
	while ((de = readdir(dir)))
		if (de->d_name[0] >= '0' && de->d_name[0] <= '9')
			pool = atoi(de->d_name);
	closedir(dir);
	return pool;
}

/* Remove every block device (and so every client) the module has. */
static void remove_all(void)
{
	char seen[MAX_CLIENTS], name[64];
	int i;

	if (list_clients(seen) <= 0)
		return;
	for (i = 0; i < MAX_CLIENTS; i++)
		if (seen[i] && c_str(i, "name", name, sizeof(name)) > 0 &&
		    !strncmp(name, "mgpu_tmem", 9))
			g_write("blk_remove", name + 9);
}

static int drop_all_caches(void)
{
	sync();
	return mgpu_sysfs_write("/proc/sys/vm/drop_caches", "3");
}

static long long meminfo_kb(const char *field)
{
	char line[256];
	long long v = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, field, strlen(field)) && line[strlen(field)] == ':')
			v = atoll(line + strlen(field) + 1);
	fclose(f);
	return v;
}

/* ---- block devices ----------------------------------------------------------------- */

/* One /dev/mgpu_tmemN under test. */
struct tdev {
	int id;			/* N */
	int client;		/* its engine client */
	int pool;		/* its pool id */
	int fd;			/* O_DIRECT, -1 when closed */
	long long pages;	/* its size in 4 KiB pages */
	char path[64];
};

/* blk_create "<size_mb> <weight> <kind>", then find the new client and open the device. */
static int tdev_create(struct tdev *d, unsigned int size_mb, unsigned int weight,
		       const char *kind)
{
	char before[MAX_CLIENTS], after[MAX_CLIENTS], cmd[64], name[32];
	int i, ret;

	memset(d, 0, sizeof(*d));
	d->fd = -1;
	d->client = -1;
	list_clients(before);
	snprintf(cmd, sizeof(cmd), "%u %u %s", size_mb, weight, kind);
	ret = g_write("blk_create", cmd);
	if (ret)
		return ret;
	list_clients(after);
	for (i = 0; i < MAX_CLIENTS; i++)
		if (after[i] && !before[i])
			d->client = i;
	if (d->client < 0 || c_str(d->client, "name", name, sizeof(name)) <= 0 ||
	    strncmp(name, "mgpu_tmem", 9))
		return -ENOENT;
	d->id = atoi(name + 9);
	d->pool = first_pool(d->client);
	d->pages = (long long)size_mb * 256;
	snprintf(d->path, sizeof(d->path), "/dev/%s", name);
	d->fd = open(d->path, O_RDWR | O_DIRECT);
	return d->fd < 0 ? -errno : 0;
}

static int tdev_remove(struct tdev *d)
{
	char id[16];

	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
	snprintf(id, sizeof(id), "%d", d->id);
	return g_write("blk_remove", id);
}

/* A 4 KiB-aligned buffer of @pages pages plus 512 bytes, for misaligned (512) I/O too. */
static uint8_t *iobuf(int pages)
{
	void *p = NULL;

	if (posix_memalign(&p, PAGE, (size_t)pages * PAGE + PAGE))
		return NULL;
	memset(p, 0, (size_t)pages * PAGE + PAGE);
	return p;
}

static int wr(struct tdev *d, const void *buf, long long page, int n)
{
	ssize_t r = pwrite(d->fd, buf, (size_t)n * PAGE, page * PAGE);

	return r == (ssize_t)n * PAGE ? 0 : r < 0 ? -errno : -EIO;
}

static int rd(struct tdev *d, void *buf, long long page, int n)
{
	ssize_t r = pread(d->fd, buf, (size_t)n * PAGE, page * PAGE);

	return r == (ssize_t)n * PAGE ? 0 : r < 0 ? -errno : -EIO;
}

/* ---- page contents ----------------------------------------------------------------- */

static __thread uint64_t rnd_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

/* Incompressible contents, different for every call. */
static void fill_random(uint8_t *p, int pages)
{
	size_t i;

	for (i = 0; i < (size_t)pages * PAGE; i += 8) {
		uint64_t v = rnd();

		memcpy(p + i, &v, 8);
	}
}

/* Text-like, compressible contents naming the page. */
static void fill_text(uint8_t *p, long long page)
{
	int off = 0;

	while (off < PAGE)
		off += snprintf((char *)p + off, PAGE - off, "tmem page %lld line %d\n",
				page, off / 24);
}

/* FNV-1a 64 of one page. */
static uint64_t csum(const uint8_t *p)
{
	uint64_t h = 0xcbf29ce484222325ull;
	int i;

	for (i = 0; i < PAGE; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

static int is_zero(const uint8_t *p)
{
	int i;

	for (i = 0; i < PAGE; i++)
		if (p[i])
			return 0;
	return 1;
}

/* Write @n random pages at @page in chunks of @chunk, recording their checksums. */
static int write_random(struct tdev *d, long long page, long long n, int chunk,
			uint64_t *sums)
{
	uint8_t *buf = iobuf(chunk);
	long long i;
	int k, ret = 0;

	if (!buf)
		return -ENOMEM;
	for (i = 0; i < n && !ret; i += chunk) {
		int m = n - i < chunk ? n - i : chunk;

		fill_random(buf, m);
		ret = wr(d, buf, page + i, m);
		for (k = 0; !ret && sums && k < m; k++)
			sums[page + i + k] = csum(buf + (size_t)k * PAGE);
	}
	free(buf);
	return ret;
}

/* Read @n pages at @page and count those whose checksum differs from @sums. */
static long long count_bad(struct tdev *d, long long page, long long n, int chunk,
			   const uint64_t *sums)
{
	uint8_t *buf = iobuf(chunk);
	long long i, bad = 0;
	int k;

	if (!buf)
		return -ENOMEM;
	for (i = 0; i < n; i += chunk) {
		int m = n - i < chunk ? n - i : chunk;

		if (rd(d, buf, page + i, m))
			return -EIO;
		for (k = 0; k < m; k++)
			bad += csum(buf + (size_t)k * PAGE) != sums[page + i + k];
	}
	free(buf);
	return bad;
}

/* ---- the fixture ------------------------------------------------------------------- */

FIXTURE(tmem) {
	long long saved_total;
};

FIXTURE_SETUP(tmem)
{
	char path[PATH_MAX];

	tmem_path(path, sizeof(path), "total_pages");
	if (access(path, F_OK))
		SKIP(return, "mgpu_tmem is not loaded (no /sys/kernel/mgpu_tmem)");
	remove_all();
	ASSERT_EQ(0, g_read("nr_clients")) TH_LOG("a tmem client outlived remove_all()");
	self->saved_total = g_read("total_pages");
	ASSERT_GT(self->saved_total, 0);
}

FIXTURE_TEARDOWN(tmem)
{
	char buf[64];
	char total[32];

	/* The engine's own consistency walk, when debugfs is there to ask it. */
	if (mgpu_sysfs_read("/sys/kernel/debug/mgpu_tmem/check", buf, sizeof(buf)) > 0)
		EXPECT_STREQ("ok", buf);
	remove_all();
	snprintf(total, sizeof(total), "%lld", self->saved_total);
	g_write("total_pages", total);
}

static void set_budget(struct __test_metadata *_metadata, long long pages)
{
	char s[32];

	snprintf(s, sizeof(s), "%lld", pages);
	ASSERT_EQ(0, g_write("total_pages", s));
	ASSERT_EQ(pages, g_read("total_pages"));
}

/* ---- sysfs: global files, settings and their refusals ------------------------------ */

TEST_F(tmem, global_files)
{
	static const char files[][20] = {
		"total_pages", "used_bytes", "stored_pages", "zero_pages",
		"compressed_pages", "evictions", "shrinker_freed", "memory_bytes", "nr_clients",
	};
	char buf[64];
	struct tdev d;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(files); i++)
		EXPECT_LE(0, g_read(files[i])) TH_LOG("%s", files[i]);
	ASSERT_LT(0, g_str("compression", buf, sizeof(buf)));
	EXPECT_TRUE(strcmp(buf, "none") == 0 || strcmp(buf, "lz4") == 0) TH_LOG("%s", buf);
	EXPECT_EQ(0, g_read("stored_pages"));
	EXPECT_EQ(0, g_read("used_bytes"));

	/* The budget: a round trip while no client exists, refusals otherwise. */
	set_budget(_metadata, 5000);
	EXPECT_EQ(-EINVAL, g_write("total_pages", "0"));
	EXPECT_EQ(-EINVAL, g_write("total_pages", "many"));
	EXPECT_EQ(-EINVAL, g_write("total_pages", "4294967297"));
	ASSERT_EQ(0, tdev_create(&d, 4, 1, "persistent"));
	EXPECT_EQ(1, g_read("nr_clients"));
	EXPECT_EQ(-EBUSY, g_write("total_pages", "6000"));
	EXPECT_EQ(1, mgpu_kmsg_grep("total_pages can change only while no client exists"));
	EXPECT_EQ(5000, g_read("total_pages"));

	/* blk_create and blk_remove refuse what they cannot do, saying why. */
	EXPECT_EQ(-EINVAL, g_write("blk_create", "0 1"));
	EXPECT_EQ(-EINVAL, g_write("blk_create", "1 0"));
	EXPECT_EQ(-EINVAL, g_write("blk_create", "1 10001"));
	EXPECT_EQ(-EINVAL, g_write("blk_create", "1 1 volatile"));
	EXPECT_EQ(-EINVAL, g_write("blk_create", "1 1 ephemeral extra"));
	EXPECT_EQ(-EINVAL, g_write("blk_create", "junk"));
	EXPECT_EQ(1, mgpu_kmsg_grep("blk_create: expected"));
	EXPECT_EQ(1, mgpu_kmsg_grep("weight 0 refused: use 1..65536 MiB and weight 1..10000"));
	EXPECT_EQ(-ENOENT, g_write("blk_remove", "255"));
	EXPECT_EQ(-EINVAL, g_write("blk_remove", "x"));
	EXPECT_EQ(1, g_read("nr_clients"));
	EXPECT_EQ(0, tdev_remove(&d));
	EXPECT_EQ(0, g_read("nr_clients"));
	EXPECT_NE(0, access(d.path, F_OK));
	EXPECT_EQ(-ENOENT, tdev_remove(&d));
}

TEST_F(tmem, client_settings)
{
	long long total = 4096;
	struct tdev a, b;
	char buf[64];
	uint8_t *page = iobuf(1);

	ASSERT_NE(NULL, page);
	set_budget(_metadata, total);
	ASSERT_EQ(0, tdev_create(&a, 4, 3, "persistent"));
	ASSERT_EQ(0, tdev_create(&b, 4, 1, "ephemeral"));
	ASSERT_LE(0, a.pool);

	/* What a device's client and pool say about themselves. */
	ASSERT_LT(0, c_str(a.client, "name", buf, sizeof(buf)));
	EXPECT_STREQ(a.path + 5, buf);
	ASSERT_LT(0, p_str(a.client, a.pool, "kind", buf, sizeof(buf)));
	EXPECT_STREQ("persistent", buf);
	ASSERT_LT(0, p_str(b.client, b.pool, "kind", buf, sizeof(buf)));
	EXPECT_STREQ("ephemeral", buf);
	EXPECT_EQ(0, p_str(a.client, a.pool, "uuid", buf, sizeof(buf)));
	EXPECT_EQ(1, p_read(a.client, a.pool, "members"));

	/* weight, and the shares it gives (3:1 of the budget). */
	EXPECT_EQ(3, c_read(a.client, "weight"));
	EXPECT_EQ(total * PAGE * 3 / 4, c_read(a.client, "share_bytes"));
	EXPECT_EQ(0, c_write(a.client, "weight", "7"));
	EXPECT_EQ(7, c_read(a.client, "weight"));
	EXPECT_EQ(total * PAGE * 7 / 8, c_read(a.client, "share_bytes"));
	EXPECT_EQ(-EINVAL, c_write(a.client, "weight", "0"));
	EXPECT_EQ(-EINVAL, c_write(a.client, "weight", "10001"));
	EXPECT_EQ(-EINVAL, c_write(a.client, "weight", "heavy"));
	EXPECT_EQ(7, c_read(a.client, "weight"));
	EXPECT_EQ(1, mgpu_kmsg_grep("weight \"0\" refused: use 1..10000"));

	/* cap and reserve: a reserve above the cap or a cap below the reserve is refused. */
	EXPECT_EQ(0, c_write(a.client, "cap_pages", "100"));
	EXPECT_EQ(100, c_read(a.client, "cap_pages"));
	EXPECT_EQ(0, c_write(a.client, "reserve_pages", "50"));
	EXPECT_EQ(50, c_read(a.client, "reserve_pages"));
	EXPECT_EQ(-EINVAL, c_write(a.client, "reserve_pages", "200"));
	EXPECT_EQ(1, mgpu_kmsg_grep("raise the cap first"));
	EXPECT_EQ(-EINVAL, c_write(a.client, "cap_pages", "10"));
	EXPECT_EQ(1, mgpu_kmsg_grep("lower the reserve first"));
	EXPECT_EQ(100, c_read(a.client, "cap_pages"));
	EXPECT_EQ(50, c_read(a.client, "reserve_pages"));
	EXPECT_EQ(0, c_write(a.client, "cap_pages", "0"));
	/* Reserves together may not exceed the budget. */
	EXPECT_EQ(-ENOSPC, c_write_ll(a.client, "reserve_pages", total + 1));
	EXPECT_EQ(0, c_write_ll(a.client, "reserve_pages", total * 3 / 4));
	EXPECT_EQ(-ENOSPC, c_write_ll(b.client, "reserve_pages", total / 2));
	EXPECT_EQ(1, mgpu_kmsg_grep("the reserves would exceed total_pages"));
	EXPECT_EQ(0, c_write_ll(b.client, "reserve_pages", total / 4));
	EXPECT_EQ(0, c_write(a.client, "reserve_pages", "0"));
	EXPECT_EQ(-EINVAL, c_write(a.client, "cap_pages", "-1"));

	/* frozen: puts are refused (the write fails with EIO), then work again. */
	fill_random(page, 1);
	EXPECT_EQ(0, c_read(a.client, "frozen"));
	EXPECT_EQ(0, c_write(a.client, "frozen", "1"));
	EXPECT_EQ(1, c_read(a.client, "frozen"));
	EXPECT_EQ(-EIO, wr(&a, page, 0, 1));
	EXPECT_EQ(1, c_read(a.client, "puts_refused"));
	EXPECT_EQ(-EINVAL, c_write(a.client, "frozen", "maybe"));
	EXPECT_EQ(0, c_write(a.client, "frozen", "0"));
	EXPECT_EQ(0, wr(&a, page, 0, 1));
	EXPECT_EQ(2, c_read(a.client, "puts"));
	EXPECT_EQ(1, c_read(a.client, "stored_pages"));
	EXPECT_EQ(0, c_read(a.client, "writeback_hint"));

	EXPECT_EQ(0, tdev_remove(&a));
	EXPECT_EQ(0, tdev_remove(&b));
	free(page);
}

TEST_F(tmem, authorisation)
{
	char buf[1024], uuid[40];
	struct tdev d;
	int i;

	ASSERT_EQ(0, tdev_create(&d, 1, 1, "persistent"));
	EXPECT_EQ(0, c_str(d.client, "authorised", buf, sizeof(buf)));
	EXPECT_EQ(0, c_write(d.client, "authorise", "4b1d7e2a-0d1e-4c5a-9a0b-1c2d3e4f5a6b"));
	EXPECT_EQ(0, c_write(d.client, "authorise", "4b1d7e2a-0d1e-4c5a-9a0b-1c2d3e4f5a6b\n"));
	ASSERT_LT(0, c_str(d.client, "authorised", buf, sizeof(buf)));
	EXPECT_STREQ("4b1d7e2a-0d1e-4c5a-9a0b-1c2d3e4f5a6b", buf);
	EXPECT_EQ(-EINVAL, c_write(d.client, "authorise", "not-a-uuid"));
	EXPECT_EQ(1, mgpu_kmsg_grep("\"not-a-uuid\" is not a UUID"));
	EXPECT_EQ(0, c_write(d.client, "deauthorise", "4b1d7e2a-0d1e-4c5a-9a0b-1c2d3e4f5a6b"));
	EXPECT_EQ(0, c_str(d.client, "authorised", buf, sizeof(buf)));
	EXPECT_EQ(-EINVAL, c_write(d.client, "deauthorise",
				   "4b1d7e2a-0d1e-4c5a-9a0b-1c2d3e4f5a6b"));
	EXPECT_EQ(1, mgpu_kmsg_grep("4b1d7e2a-0d1e-4c5a-9a0b-1c2d3e4f5a6b is not authorised"));

	/* Sixteen at most. */
	for (i = 0; i < 16; i++) {
		snprintf(uuid, sizeof(uuid), "00000000-0000-4000-8000-%012d", i);
		EXPECT_EQ(0, c_write(d.client, "authorise", uuid));
	}
	EXPECT_EQ(-ENOSPC, c_write(d.client, "authorise",
				   "00000000-0000-4000-8000-999999999999"));
	EXPECT_EQ(1, mgpu_kmsg_grep("deauthorise one first"));
	ASSERT_LT(0, c_str(d.client, "authorised", buf, sizeof(buf)));
	EXPECT_NE(NULL, strstr(buf, "00000000-0000-4000-8000-000000000015"));
	EXPECT_EQ(0, tdev_remove(&d));
}

/* ---- the block device: data, zero pages, discard, compression ---------------------- */

/* Many pages with a checksum each, misaligned buffers and mixed request sizes. */
TEST_F_TIMEOUT(tmem, pattern_roundtrip, 120)
{
	const long long n = 2048;
	uint64_t *sums = calloc(n + 64, sizeof(*sums));
	uint8_t *buf = iobuf(MAX_CHUNK);
	long long i, bad = 0, before;
	struct tdev d;
	int k;

	ASSERT_NE(NULL, sums);
	ASSERT_NE(NULL, buf);
	set_budget(_metadata, 8192);
	ASSERT_EQ(0, tdev_create(&d, 32, 1, "persistent"));
	for (i = 0; i < n;) {
		int m = 1 + rnd() % 32;
		uint8_t *p = buf + ((i & 1) ? 512 : 0);	/* 512-aligned: pages span segments */

		if (m > n - i)
			m = n - i;
		fill_random(p, m);
		ASSERT_EQ(0, wr(&d, p, i, m)) TH_LOG("write of %d pages at %lld", m, i);
		for (k = 0; k < m; k++)
			sums[i + k] = csum(p + (size_t)k * PAGE);
		i += m;
	}
	EXPECT_EQ(n, c_read(d.client, "puts"));
	EXPECT_EQ(n, c_read(d.client, "stored_pages"));
	EXPECT_EQ(n, p_read(d.client, d.pool, "stored_pages"));
	EXPECT_EQ(n, p_read(d.client, d.pool, "puts"));
	EXPECT_EQ(n * PAGE, c_read(d.client, "bytes"));	/* random data: stored raw */
	EXPECT_EQ(n, g_read("stored_pages"));
	EXPECT_EQ(n * PAGE, g_read("used_bytes"));
	EXPECT_LE(n * PAGE, g_read("memory_bytes"));

	for (i = 0; i < n;) {
		int m = 1 + rnd() % MAX_CHUNK;
		uint8_t *p = buf + ((i & 2) ? 512 : 0);

		if (m > n - i)
			m = n - i;
		ASSERT_EQ(0, rd(&d, p, i, m));
		for (k = 0; k < m; k++)
			bad += csum(p + (size_t)k * PAGE) != sums[i + k];
		i += m;
	}
	EXPECT_EQ(0, bad) TH_LOG("%lld of %lld pages read back wrong", bad, n);
	EXPECT_EQ(n, c_read(d.client, "gets"));
	EXPECT_EQ(n, c_read(d.client, "hits"));
	EXPECT_EQ(n, p_read(d.client, d.pool, "hits"));

	/* Overwrites replace; the count stays. */
	ASSERT_EQ(0, write_random(&d, 100, 300, 7, sums));
	EXPECT_EQ(n, c_read(d.client, "stored_pages"));
	EXPECT_EQ(n + 300, c_read(d.client, "puts"));
	EXPECT_EQ(0, count_bad(&d, 0, n, 16, sums));

	/* A page never written reads as zeros, without asking the engine. */
	before = c_read(d.client, "gets");
	ASSERT_EQ(0, rd(&d, buf, n + 5, 1));
	EXPECT_TRUE(is_zero(buf));
	EXPECT_EQ(before, c_read(d.client, "gets"));
	EXPECT_EQ(0, tdev_remove(&d));
	EXPECT_EQ(0, g_read("stored_pages"));
	EXPECT_EQ(0, g_read("used_bytes"));
	free(buf);
	free(sums);
}

/* Zero pages are stored as such: counted, charged their metadata, no page. */
TEST_F(tmem, zero_pages)
{
	const long long n = 512;
	uint8_t *buf = iobuf(MAX_CHUNK);
	long long mem, i;
	struct tdev d;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, tdev_create(&d, 4, 1, "persistent"));
	mem = g_read("memory_bytes");
	for (i = 0; i < n; i += MAX_CHUNK)
		ASSERT_EQ(0, wr(&d, buf, i, MAX_CHUNK));
	EXPECT_EQ(n, c_read(d.client, "stored_pages"));
	EXPECT_EQ(n, c_read(d.client, "zero_pages"));
	EXPECT_EQ(n, p_read(d.client, d.pool, "zero_pages"));
	EXPECT_EQ(n, g_read("zero_pages"));
	EXPECT_EQ(n * ZERO_CHARGE, c_read(d.client, "bytes"));
	EXPECT_EQ(n * ZERO_CHARGE, g_read("used_bytes"));
	/* Metadata only: far less than a page each. */
	EXPECT_GT(n * PAGE / 16, g_read("memory_bytes") - mem);
	TH_LOG("%lld zero pages cost %lld bytes of memory", n, g_read("memory_bytes") - mem);

	memset(buf, 0xa5, PAGE);
	for (i = 0; i < n; i += MAX_CHUNK)
		ASSERT_EQ(0, rd(&d, buf, i, MAX_CHUNK));
	for (i = 0; i < MAX_CHUNK; i++)
		EXPECT_TRUE(is_zero(buf + i * PAGE));
	/* Half overwritten with data: the zero count follows. */
	ASSERT_EQ(0, write_random(&d, 0, n / 2, 32, NULL));
	EXPECT_EQ(n / 2, c_read(d.client, "zero_pages"));
	EXPECT_EQ(n, c_read(d.client, "stored_pages"));
	EXPECT_EQ(0, tdev_remove(&d));
	free(buf);
}

/* Discard and write-zeroes are flushes: the pages leave the pool and read as zeros. */
TEST_F(tmem, discard_flushes)
{
	const long long n = 512;
	uint64_t *sums = calloc(n, sizeof(*sums));
	uint8_t *buf = iobuf(1);
	uint64_t range[2];
	struct tdev d;
	long long i;

	ASSERT_NE(NULL, sums);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, tdev_create(&d, 4, 1, "persistent"));
	ASSERT_EQ(0, write_random(&d, 0, n, 32, sums));
	EXPECT_EQ(n, c_read(d.client, "stored_pages"));

	range[0] = 128 * PAGE;
	range[1] = 256 * PAGE;
	ASSERT_EQ(0, ioctl(d.fd, BLKDISCARD, range)) TH_LOG("BLKDISCARD: %s", strerror(errno));
	EXPECT_EQ(n - 256, c_read(d.client, "stored_pages"));
	EXPECT_EQ(256, c_read(d.client, "flushes"));
	EXPECT_EQ(256, p_read(d.client, d.pool, "flushes"));
	for (i = 128; i < 384; i += 37) {
		ASSERT_EQ(0, rd(&d, buf, i, 1));
		EXPECT_TRUE(is_zero(buf)) TH_LOG("discarded page %lld", i);
	}
	EXPECT_EQ(0, count_bad(&d, 0, 128, 32, sums));
	EXPECT_EQ(0, count_bad(&d, 384, n - 384, 32, sums));

	range[0] = 0;
	range[1] = 64 * PAGE;
	ASSERT_EQ(0, ioctl(d.fd, BLKZEROOUT, range)) TH_LOG("BLKZEROOUT: %s", strerror(errno));
	EXPECT_EQ(n - 256 - 64, c_read(d.client, "stored_pages"));
	ASSERT_EQ(0, rd(&d, buf, 10, 1));
	EXPECT_TRUE(is_zero(buf));
	EXPECT_EQ(0, count_bad(&d, 64, 64, 32, sums));
	EXPECT_EQ(0, tdev_remove(&d));
	free(buf);
	free(sums);
}

/* With a compressor, compressible pages are kept compressed and read back intact. */
TEST_F(tmem, compression)
{
	const long long n = 256;
	uint64_t *sums = calloc(n, sizeof(*sums));
	uint8_t *buf = iobuf(1);
	char comp[32];
	struct tdev d;
	long long i;

	ASSERT_NE(NULL, sums);
	ASSERT_NE(NULL, buf);
	ASSERT_LT(0, g_str("compression", comp, sizeof(comp)));
	if (!strcmp(comp, "none"))
		SKIP(return, "mgpu_tmem was loaded with compression=none");
	ASSERT_EQ(0, tdev_create(&d, 4, 1, "persistent"));
	for (i = 0; i < n; i++) {
		fill_text(buf, i);
		sums[i] = csum(buf);
		ASSERT_EQ(0, wr(&d, buf, i, 1));
	}
	EXPECT_EQ(n, c_read(d.client, "compressed_pages"));
	EXPECT_EQ(n, g_read("compressed_pages"));
	EXPECT_GT(n * PAGE / 2, c_read(d.client, "bytes"));
	TH_LOG("%s: %lld text pages in %lld bytes of budget", comp, n,
	       c_read(d.client, "bytes"));
	EXPECT_EQ(0, count_bad(&d, 0, n, 16, sums));
	/* Random data does not compress: stored raw. */
	ASSERT_EQ(0, write_random(&d, 0, 16, 16, NULL));
	EXPECT_EQ(n - 16, c_read(d.client, "compressed_pages"));
	EXPECT_EQ(0, tdev_remove(&d));
	free(buf);
	free(sums);
}

/* ---- capacity: weights, reserves, persistence, the shrinker ------------------------ */

/*
 * Three ephemeral devices with weights 1:2:4 written round-robin to three times the
 * budget: each ends at its weighted share of the budget, within 10% (relative).
 */
TEST_F_TIMEOUT(tmem, weighted_occupancy, 120)
{
	const long long budget = 2048, per_dev = 2048;
	static const int weight[3] = { 1, 2, 4 };
	long long evictions = g_read("evictions");
	long long stored, sum = 0, i;
	struct tdev d[3];
	uint8_t *buf = iobuf(8);
	int k;

	ASSERT_NE(NULL, buf);
	set_budget(_metadata, budget);
	for (k = 0; k < 3; k++)
		ASSERT_EQ(0, tdev_create(&d[k], 16, weight[k], "ephemeral"));
	for (i = 0; i < per_dev; i += 8) {
		for (k = 0; k < 3; k++) {
			fill_random(buf, 8);
			ASSERT_EQ(0, wr(&d[k], buf, i, 8)) TH_LOG("dev %d page %lld", k, i);
		}
	}
	for (k = 0; k < 3; k++) {
		long long want = budget * weight[k] / 7;

		stored = c_read(d[k].client, "stored_pages");
		sum += stored;
		TH_LOG("weight %d: %lld pages stored, share %lld", weight[k], stored, want);
		EXPECT_LE(llabs(stored - want) * 10, want)
			TH_LOG("weight %d holds %lld pages, not %lld +-10%%", weight[k], stored,
			       want);
		EXPECT_EQ(budget * PAGE * weight[k] / 7, c_read(d[k].client, "share_bytes"));
		EXPECT_LT(0, c_read(d[k].client, "evictions"));
	}
	EXPECT_GE(budget, sum);
	EXPECT_LE(budget - 8, sum);
	EXPECT_EQ(3 * per_dev - sum, g_read("evictions") - evictions);
	for (k = 0; k < 3; k++)
		EXPECT_EQ(0, tdev_remove(&d[k]));
	free(buf);
}

/* A noisy client with a heavy weight cannot push a neighbour below its reserve. */
TEST_F_TIMEOUT(tmem, reserve_floor, 120)
{
	const long long budget = 2048, reserve = 512;
	uint64_t *sums = calloc(reserve, sizeof(*sums));
	struct tdev quiet, noisy;

	ASSERT_NE(NULL, sums);
	set_budget(_metadata, budget);
	ASSERT_EQ(0, tdev_create(&quiet, 4, 1, "ephemeral"));
	ASSERT_EQ(0, tdev_create(&noisy, 32, 100, "ephemeral"));
	ASSERT_EQ(0, c_write_ll(quiet.client, "reserve_pages", reserve));
	EXPECT_EQ(reserve * PAGE, c_read(quiet.client, "share_bytes"));
	ASSERT_EQ(0, write_random(&quiet, 0, reserve, 16, sums));
	ASSERT_EQ(0, write_random(&noisy, 0, 4 * budget, 32, NULL));
	EXPECT_EQ(reserve, c_read(quiet.client, "stored_pages"));
	EXPECT_EQ(0, c_read(quiet.client, "evictions"));
	EXPECT_LT(0, c_read(noisy.client, "evictions"));
	EXPECT_GE(budget - reserve, c_read(noisy.client, "stored_pages"));
	EXPECT_EQ(0, count_bad(&quiet, 0, reserve, 16, sums));
	/* Reading an ephemeral page puts it back: the quiet client keeps its floor. */
	EXPECT_EQ(reserve, c_read(quiet.client, "stored_pages"));
	EXPECT_EQ(0, tdev_remove(&quiet));
	EXPECT_EQ(0, tdev_remove(&noisy));
	free(sums);
}

/*
 * A persistent device filled beyond the budget next to ephemeral ones: its writes are
 * refused (ENOSPC) once nothing ephemeral is left to evict, and every write it accepted
 * reads back intact, whatever the ephemeral devices do afterwards.
 */
TEST_F_TIMEOUT(tmem, persistent_never_dropped, 150)
{
	const long long budget = 1024, n = 2048;
	uint64_t *sums = calloc(n, sizeof(*sums));
	char *accepted = calloc(n, 1);
	uint8_t *buf = iobuf(1);
	long long i, ok = 0, refused = 0, bad = 0, zero = 0;
	struct tdev p, e, noisy;

	ASSERT_NE(NULL, sums);
	ASSERT_NE(NULL, accepted);
	ASSERT_NE(NULL, buf);
	set_budget(_metadata, budget);
	ASSERT_EQ(0, tdev_create(&e, 8, 1, "ephemeral"));
	ASSERT_EQ(0, tdev_create(&p, 8, 1, "persistent"));
	ASSERT_EQ(0, write_random(&e, 0, budget, 32, NULL));
	for (i = 0; i < n; i++) {
		int ret;

		fill_random(buf, 1);
		ret = wr(&p, buf, i, 1);
		if (!ret) {
			accepted[i] = 1;
			sums[i] = csum(buf);
			ok++;
		} else {
			ASSERT_EQ(-ENOSPC, ret) TH_LOG("persistent write %lld", i);
			refused++;
		}
	}
	TH_LOG("persistent: %lld writes accepted, %lld refused", ok, refused);
	EXPECT_LE(budget / 2 - 8, ok);
	EXPECT_LT(0, refused);
	EXPECT_EQ(ok, c_read(p.client, "stored_pages"));
	EXPECT_EQ(refused, c_read(p.client, "puts_refused"));

	/* Ephemeral pressure afterwards takes nothing persistent. */
	ASSERT_EQ(0, tdev_create(&noisy, 16, 100, "ephemeral"));
	ASSERT_EQ(0, write_random(&e, 0, 2048, 32, NULL));
	ASSERT_EQ(0, write_random(&noisy, 0, 4096, 32, NULL));
	EXPECT_EQ(ok, c_read(p.client, "stored_pages"));
	EXPECT_EQ(0, c_read(p.client, "evictions"));
	/* The persistent client is far over its share now: it is asked to write back. */
	EXPECT_LT(0, c_read(p.client, "writeback_hint"));
	TH_LOG("writeback_hint of the persistent client: %lld pages",
	       c_read(p.client, "writeback_hint"));
	EXPECT_GE(budget * PAGE, g_read("used_bytes"));

	for (i = 0; i < n; i++) {
		ASSERT_EQ(0, rd(&p, buf, i, 1));
		if (accepted[i])
			bad += csum(buf) != sums[i];
		else
			zero += is_zero(buf);
	}
	EXPECT_EQ(0, bad) TH_LOG("%lld accepted persistent pages read back wrong", bad);
	EXPECT_EQ(refused, zero);	/* refused first writes: the page stays unwritten */
	EXPECT_EQ(0, tdev_remove(&p));
	EXPECT_EQ(0, tdev_remove(&e));
	EXPECT_EQ(0, tdev_remove(&noisy));
	free(buf);
	free(accepted);
	free(sums);
}

/* drop_caches runs the host shrinker: ephemeral pages go, persistent ones stay. */
TEST_F_TIMEOUT(tmem, shrinker_drops_ephemeral, 90)
{
	const long long np = 256, ne = 2048;
	uint64_t *sums = calloc(np, sizeof(*sums));
	long long freed0, evict0, e_before, e_after;
	uint8_t *buf = iobuf(1);
	struct tdev p, e;

	ASSERT_NE(NULL, sums);
	ASSERT_NE(NULL, buf);
	set_budget(_metadata, 8192);
	ASSERT_EQ(0, tdev_create(&p, 4, 1, "persistent"));
	ASSERT_EQ(0, tdev_create(&e, 16, 1, "ephemeral"));
	ASSERT_EQ(0, write_random(&p, 0, np, 32, sums));
	ASSERT_EQ(0, write_random(&e, 0, ne, 32, NULL));
	e_before = c_read(e.client, "stored_pages");
	EXPECT_EQ(ne, e_before);
	freed0 = g_read("shrinker_freed");
	evict0 = g_read("evictions");

	ASSERT_EQ(0, drop_all_caches());
	e_after = c_read(e.client, "stored_pages");
	TH_LOG("drop_caches: ephemeral %lld -> %lld pages, shrinker_freed +%lld", e_before,
	       e_after, g_read("shrinker_freed") - freed0);
	EXPECT_GE(ne / 20, e_after);
	EXPECT_EQ(e_before - e_after, g_read("shrinker_freed") - freed0);
	EXPECT_EQ(e_before - e_after, g_read("evictions") - evict0);
	EXPECT_EQ(e_before - e_after, c_read(e.client, "evictions"));
	EXPECT_EQ(np, c_read(p.client, "stored_pages"));
	EXPECT_EQ(0, c_read(p.client, "evictions"));
	EXPECT_EQ(0, count_bad(&p, 0, np, 32, sums));
	/* An evicted page of the cache device is an I/O error, not stale data or zeros. */
	if (e_after < ne)
		EXPECT_EQ(-EIO, rd(&e, buf, ne - 1, 1));
	EXPECT_EQ(0, tdev_remove(&p));
	EXPECT_EQ(0, tdev_remove(&e));
	free(buf);
	free(sums);
}

/* ---- lifecycle: create/remove under I/O ------------------------------------------- */

struct io_job {
	struct tdev *d;
	volatile int stop;
	volatile long long pages;	/* written so far */
	int err;			/* the error that ended it */
	long long bad;			/* read-back mismatches (background job) */
};

/* Write the device over and over until the device goes (or @stop). */
static void *churn_writer(void *arg)
{
	struct io_job *j = arg;
	uint8_t *buf = iobuf(16);
	long long page = 0;

	if (!buf) {
		j->err = -ENOMEM;
		return NULL;
	}
	while (!j->stop) {
		fill_random(buf, 16);
		j->err = wr(j->d, buf, page, 16);
		if (j->err)
			break;
		j->pages += 16;
		page = (page + 16) % j->d->pages;
	}
	free(buf);
	return NULL;
}

/* Write, read back and check random pages of a device that stays, until @stop. */
static void *steady_io(void *arg)
{
	struct io_job *j = arg;
	uint8_t *w = iobuf(8), *r = iobuf(8);
	uint64_t x = 0x1234567;

	while (w && r && !j->stop && !j->err) {
		long long page;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		page = (x % (j->d->pages / 8)) * 8;
		memset(w, (int)(x >> 32), 8 * PAGE);
		memcpy(w, &x, sizeof(x));
		j->err = wr(j->d, w, page, 8);
		if (!j->err)
			j->err = rd(j->d, r, page, 8);
		if (!j->err && memcmp(w, r, 8 * PAGE))
			j->bad++;
		j->pages += 8;
	}
	free(w);
	free(r);
	return NULL;
}

TEST_F_TIMEOUT(tmem, create_remove_under_io, 170)
{
	long long mem0, avail0, avail1, written = 0;
	struct io_job bg = { 0 };
	pthread_t bg_thread;
	struct tdev steady;
	int i;

	set_budget(_metadata, 16384);
	ASSERT_EQ(0, drop_all_caches());
	mem0 = g_read("memory_bytes");
	avail0 = meminfo_kb("MemAvailable");

	ASSERT_EQ(0, tdev_create(&steady, 8, 2, "persistent"));
	bg.d = &steady;
	ASSERT_EQ(0, pthread_create(&bg_thread, NULL, steady_io, &bg));
	for (i = 0; i < 100; i++) {
		struct io_job j = { 0 };
		pthread_t t;
		struct tdev d;
		int spins = 0;
		char id[16];

		ASSERT_EQ(0, tdev_create(&d, 4, 1 + i % 4, i & 1 ? "ephemeral" : "persistent"))
			TH_LOG("cycle %d", i);
		j.d = &d;
		ASSERT_EQ(0, pthread_create(&t, NULL, churn_writer, &j));
		/* Remove it while its writer is busy, after 2 MiB at least. */
		while (j.pages < 512 && !j.err && spins++ < 20000)
			usleep(500);
		ASSERT_EQ(0, j.err) TH_LOG("cycle %d: writer failed before the removal", i);
		snprintf(id, sizeof(id), "%d", d.id);
		EXPECT_EQ(0, g_write("blk_remove", id)) TH_LOG("cycle %d", i);
		pthread_join(t, NULL);
		EXPECT_NE(0, j.err) TH_LOG("cycle %d: I/O went on after the removal", i);
		close(d.fd);
		EXPECT_NE(0, access(d.path, F_OK));
		written += j.pages;
	}
	bg.stop = 1;
	pthread_join(bg_thread, NULL);
	EXPECT_EQ(0, bg.err) TH_LOG("background I/O: %s", strerror(-bg.err));
	EXPECT_EQ(0, bg.bad) TH_LOG("background I/O read back %lld wrong chunks", bg.bad);
	EXPECT_LT(0, bg.pages);
	EXPECT_EQ(0, tdev_remove(&steady));

	EXPECT_EQ(0, g_read("nr_clients"));
	EXPECT_EQ(0, g_read("stored_pages"));
	EXPECT_EQ(0, g_read("used_bytes"));
	/* The engine's memory is back exactly; the system's within 32 MiB. */
	EXPECT_EQ(mem0, g_read("memory_bytes"));
	ASSERT_EQ(0, drop_all_caches());
	avail1 = meminfo_kb("MemAvailable");
	TH_LOG("100 cycles: %lld MiB written to devices then removed, %lld MiB beside",
	       written / 256, bg.pages / 256);
	TH_LOG("MemAvailable %lld -> %lld kB", avail0, avail1);
	EXPECT_LE(avail0 - 32 * 1024, avail1);
	EXPECT_LT(100 * 512, written);
}

TEST_HARNESS_MAIN
