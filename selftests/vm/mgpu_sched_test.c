// SPDX-License-Identifier: GPL-2.0-only
/*
 * VM tier: the engine's scheduler as an admin drives it — policies and per-vGPU QoS
 * through sysfs — judged from the scheduler's own counters (engine/busy_ns of each
 * vGPU over a measured window), never from wall-clock timings of the test itself.
 * Shares are held to within SHARE_TOL percentage points.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/mgpu.h>

#include "kselftest_harness.h"
#include "mgpu_test.h"

#define TYPE		"mgpu-8M"
#define NR		3
#define SHARE_TOL	5.0	/* percentage points */
#define WINDOW_US	1500000

/* Statements: no TH_LOG() may follow them. Each argument is evaluated once. */
#define EXPECT_NEAR(want, got, tol) do {					\
	double near_want = (want), near_got = (got), near_tol = (tol);		\
										\
	EXPECT_TRUE(fabs(near_got - near_want) <= near_tol)			\
		TH_LOG("%.1f is not within %.1f of %.1f", near_got,		\
		       near_tol, near_want);					\
} while (0)
#define EXPECT_ABOVE(low, got) do {						\
	double above_low = (low), above_got = (got);				\
										\
	EXPECT_TRUE(above_got >= above_low)					\
		TH_LOG("%.1f is below %.1f", above_got, above_low);		\
} while (0)

FIXTURE(sched) {
	char parent[64];
	char policy_path[512];
	struct mgpu_dev dev[NR];
	struct mgpu_vfio_engine ve[NR];
};

FIXTURE_SETUP(sched)
{
	int i;

	if (mgpu_find_parent(self->parent, sizeof(self->parent))) {
		if (!mgpu_modprobe_ok())
			SKIP(return, "the mgpu module is not loaded");
		ASSERT_TRUE(0) TH_LOG("mgpu is loaded but offers no mdev parent");
	}
	if (access("/dev/vfio/vfio", F_OK))
		SKIP(return, "no /dev/vfio/vfio (vfio not loaded)");
	mgpu_remove_all();
	snprintf(self->policy_path, sizeof(self->policy_path),
		 "%s/class/mdev_bus/%s/mgpu_engine/policy", mgpu_sysfs_root(), self->parent);
	ASSERT_EQ(0, mgpu_sysfs_write(self->policy_path, "best_effort"));
	for (i = 0; i < NR; i++) {
		self->dev[i].fd = -1;
		ASSERT_EQ(0, mgpu_create(&self->dev[i], self->parent, TYPE));
		ASSERT_EQ(0, mgpu_open(&self->dev[i]));
		ASSERT_EQ(0, mgpu_vfio_engine_start(&self->dev[i], &self->ve[i], false));
	}
}

FIXTURE_TEARDOWN(sched)
{
	int i;

	for (i = 0; i < NR; i++) {
		mgpu_vfio_engine_unmap(&self->ve[i]);
		mgpu_close(&self->dev[i]);
	}
	mgpu_remove_all();
	mgpu_sysfs_write(self->policy_path, "best_effort");
}

static int set_attr(const char *uuid, const char *attr, const char *val)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/bus/mdev/devices/%s/mgpu/%s", mgpu_sysfs_root(),
		 uuid, attr);
	return mgpu_sysfs_write(path, val);
}

static long long vgpu_busy_ns(const char *uuid)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/bus/mdev/devices/%s/engine/busy_ns",
		 mgpu_sysfs_root(), uuid);
	return mgpu_sysfs_read_ll(path);
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* Give engine @ve @ms milliseconds of BUSY work (1 ms commands), submitted at once. */
static int saturate(struct mgpu_vfio_engine *ve, int ms)
{
	uint32_t c[4];
	int k, ret;

	for (k = 0; k < ms; k++) {
		ret = mgpu_engine_emit(&ve->eng, c, mgpu_cmd_busy(c, 1000));
		if (ret)
			return ret;
	}
	mgpu_engine_submit(&ve->eng);
	return 0;
}

/*
 * Shares of engine time of the NR vGPUs @dev over a window, in percent of the window's
 * wall time (@abs) or of the total engine time given out (!@abs).
 */
static void measure(const struct mgpu_dev *dev, double *share, bool abs)
{
	long long b0[NR], b1[NR], sum = 0;
	uint64_t t0, t1;
	int i;

	usleep(300000);	/* let the scheduler settle into a new period */
	t0 = mono_ns();
	for (i = 0; i < NR; i++)
		b0[i] = vgpu_busy_ns(dev[i].uuid);
	usleep(WINDOW_US);
	for (i = 0; i < NR; i++)
		b1[i] = vgpu_busy_ns(dev[i].uuid);
	t1 = mono_ns();
	for (i = 0; i < NR; i++)
		sum += b1[i] - b0[i];
	for (i = 0; i < NR; i++)
		share[i] = 100.0 * (b1[i] - b0[i]) / (abs ? (double)(t1 - t0) : (double)sum);
}

static void log_shares(struct __test_metadata *_metadata, const char *what, double *s)
{
	TH_LOG("%s: %.1f%% %.1f%% %.1f%%", what, s[0], s[1], s[2]);
}

/* Reset the NR engines @ve: their queued work is dropped. */
static void stop_all(struct mgpu_vfio_engine *ve)
{
	int i;

	for (i = 0; i < NR; i++)
		mgpu_engine_reset(&ve[i].eng);
}

/* Best effort, weights 1:2:4, all busy: 14.3% / 28.6% / 57.1%. */
TEST_F(sched, weights_1_2_4)
{
	double s[NR];
	int i;

	ASSERT_EQ(0, set_attr(self->dev[0].uuid, "weight", "1"));
	ASSERT_EQ(0, set_attr(self->dev[1].uuid, "weight", "2"));
	ASSERT_EQ(0, set_attr(self->dev[2].uuid, "weight", "4"));
	for (i = 0; i < NR; i++)
		ASSERT_EQ(0, saturate(&self->ve[i], 8000));
	measure(self->dev, s, false);
	log_shares(_metadata, "1:2:4", s);
	EXPECT_NEAR(100.0 / 7, s[0], SHARE_TOL);
	EXPECT_NEAR(200.0 / 7, s[1], SHARE_TOL);
	EXPECT_NEAR(400.0 / 7, s[2], SHARE_TOL);
	/* A weight changed at run time takes effect at once: 1:1:1 now. */
	ASSERT_EQ(0, set_attr(self->dev[1].uuid, "weight", "1"));
	ASSERT_EQ(0, set_attr(self->dev[2].uuid, "weight", "1"));
	measure(self->dev, s, false);
	log_shares(_metadata, "then 1:1:1", s);
	EXPECT_NEAR(100.0 / 3, s[0], SHARE_TOL);
	EXPECT_NEAR(100.0 / 3, s[1], SHARE_TOL);
	EXPECT_NEAR(100.0 / 3, s[2], SHARE_TOL);
	stop_all(self->ve);
}

/* Equal share ignores weights; switching back to best effort honours them again. */
TEST_F(sched, equal_share_policy)
{
	char buf[64];
	double s[NR];
	int i;

	ASSERT_EQ(0, set_attr(self->dev[0].uuid, "weight", "1"));
	ASSERT_EQ(0, set_attr(self->dev[1].uuid, "weight", "1"));
	ASSERT_EQ(0, set_attr(self->dev[2].uuid, "weight", "8"));
	ASSERT_EQ(0, mgpu_sysfs_write(self->policy_path, "equal_share"));
	ASSERT_LT(0, mgpu_sysfs_read(self->policy_path, buf, sizeof(buf)));
	EXPECT_STREQ("equal_share", buf);
	for (i = 0; i < NR; i++)
		ASSERT_EQ(0, saturate(&self->ve[i], 8000));
	measure(self->dev, s, false);
	log_shares(_metadata, "equal share", s);
	EXPECT_NEAR(100.0 / 3, s[0], SHARE_TOL);
	EXPECT_NEAR(100.0 / 3, s[1], SHARE_TOL);
	EXPECT_NEAR(100.0 / 3, s[2], SHARE_TOL);
	ASSERT_EQ(0, mgpu_sysfs_write(self->policy_path, "best_effort"));
	measure(self->dev, s, false);
	log_shares(_metadata, "best effort 1:1:8", s);
	EXPECT_NEAR(800.0 / 10, s[2], SHARE_TOL);
	EXPECT_EQ(-EINVAL, mgpu_sysfs_write(self->policy_path, "round_robin"));
	EXPECT_EQ(1, mgpu_kmsg_grep("unknown policy"));
	stop_all(self->ve);
}

/* A cap holds even when the engine would otherwise idle (not work conserving). */
TEST_F(sched, cap)
{
	double s[NR];

	ASSERT_EQ(0, set_attr(self->dev[0].uuid, "cap", "20"));
	ASSERT_EQ(0, saturate(&self->ve[0], 8000));
	measure(self->dev, s, true);
	log_shares(_metadata, "capped alone (of wall time)", s);
	EXPECT_NEAR(20.0, s[0], SHARE_TOL);
	/* With a busy neighbour, the capped one still gets its 20%. */
	ASSERT_EQ(0, saturate(&self->ve[1], 8000));
	measure(self->dev, s, false);
	log_shares(_metadata, "capped + busy neighbour", s);
	EXPECT_NEAR(20.0, s[0], SHARE_TOL);
	EXPECT_NEAR(80.0, s[1], SHARE_TOL);
	/* Lifting the cap at run time: 50/50. */
	ASSERT_EQ(0, set_attr(self->dev[0].uuid, "cap", "100"));
	measure(self->dev, s, false);
	log_shares(_metadata, "cap lifted", s);
	EXPECT_NEAR(50.0, s[0], SHARE_TOL);
	stop_all(self->ve);
}

/* A reservation guarantees a share against heavier weights. */
TEST_F(sched, reservation)
{
	double s[NR];
	int i;

	ASSERT_EQ(0, set_attr(self->dev[0].uuid, "weight", "1"));
	ASSERT_EQ(0, set_attr(self->dev[0].uuid, "reservation", "50"));
	ASSERT_EQ(0, set_attr(self->dev[1].uuid, "weight", "100"));
	ASSERT_EQ(0, set_attr(self->dev[2].uuid, "weight", "100"));
	for (i = 0; i < NR; i++)
		ASSERT_EQ(0, saturate(&self->ve[i], 8000));
	measure(self->dev, s, false);
	log_shares(_metadata, "reservation 50% at weight 1", s);
	EXPECT_ABOVE(50.0 - SHARE_TOL, s[0]);
	EXPECT_NEAR(s[1], s[2], SHARE_TOL);
	stop_all(self->ve);
}

/* Fixed share: an idle vGPU's share is not handed out; the engine idles instead. */
TEST_F(sched, fixed_share_idle_neighbour)
{
	double s[NR];

	ASSERT_EQ(0, mgpu_sysfs_write(self->policy_path, "fixed_share"));
	ASSERT_EQ(0, saturate(&self->ve[0], 8000));
	ASSERT_EQ(0, saturate(&self->ve[1], 8000));
	measure(self->dev, s, true);
	log_shares(_metadata, "fixed share, third idle (of wall time)", s);
	EXPECT_NEAR(100.0 / 3, s[0], SHARE_TOL);
	EXPECT_NEAR(100.0 / 3, s[1], SHARE_TOL);
	EXPECT_NEAR(0.0, s[2], 0.01);
	/* Best effort hands the idle share out (work conserving). */
	ASSERT_EQ(0, mgpu_sysfs_write(self->policy_path, "best_effort"));
	measure(self->dev, s, true);
	log_shares(_metadata, "best effort, third idle (of wall time)", s);
	EXPECT_ABOVE(100.0 / 3 + SHARE_TOL, s[0]);
	EXPECT_ABOVE(100.0 / 3 + SHARE_TOL, s[1]);
	stop_all(self->ve);
}

/* An interactive vGPU's submissions preempt saturating neighbours mid-slice. */
TEST_F(sched, interactive_preempts)
{
	char path[512];
	long long pre0, pre1, slices;
	uint32_t c[8];
	int k;

	ASSERT_EQ(0, set_attr(self->dev[0].uuid, "timeslice_ms", "30"));
	ASSERT_EQ(0, set_attr(self->dev[1].uuid, "timeslice_ms", "30"));
	ASSERT_EQ(0, set_attr(self->dev[2].uuid, "latency_class", "interactive"));
	ASSERT_EQ(0, saturate(&self->ve[0], 8000));
	ASSERT_EQ(0, saturate(&self->ve[1], 8000));
	snprintf(path, sizeof(path), "%s/bus/mdev/devices/%s/engine/preemptions",
		 mgpu_sysfs_root(), self->dev[0].uuid);
	pre0 = mgpu_sysfs_read_ll(path);
	snprintf(path, sizeof(path), "%s/bus/mdev/devices/%s/engine/preemptions",
		 mgpu_sysfs_root(), self->dev[1].uuid);
	pre1 = mgpu_sysfs_read_ll(path);
	for (k = 0; k < 20; k++) {
		ASSERT_EQ(0, mgpu_engine_emit(&self->ve[2].eng, c, mgpu_cmd_nop(c, 1)));
		ASSERT_EQ(0, mgpu_engine_idle(&self->ve[2].eng, 20000));
		usleep(20000);
	}
	snprintf(path, sizeof(path), "%s/bus/mdev/devices/%s/engine/slices",
		 mgpu_sysfs_root(), self->dev[2].uuid);
	slices = mgpu_sysfs_read_ll(path);
	EXPECT_LE(20, slices);
	snprintf(path, sizeof(path), "%s/bus/mdev/devices/%s/engine/preemptions",
		 mgpu_sysfs_root(), self->dev[0].uuid);
	pre0 = mgpu_sysfs_read_ll(path) - pre0;
	snprintf(path, sizeof(path), "%s/bus/mdev/devices/%s/engine/preemptions",
		 mgpu_sysfs_root(), self->dev[1].uuid);
	pre1 = mgpu_sysfs_read_ll(path) - pre1;
	TH_LOG("preemptions of the saturating vGPUs: %lld + %lld", pre0, pre1);
	EXPECT_LE(10, pre0 + pre1);
	stop_all(self->ve);
}

/* Invalid QoS is refused with a clear errno, and the kernel log says why. */
TEST_F(sched, qos_refusals)
{
	char buf[64];
	const char *a = self->dev[0].uuid, *b = self->dev[1].uuid;

	EXPECT_EQ(-EINVAL, set_attr(a, "weight", "0"));
	EXPECT_EQ(-EINVAL, set_attr(a, "weight", "10001"));
	EXPECT_EQ(-EINVAL, set_attr(a, "weight", "heavy"));
	EXPECT_EQ(-EINVAL, set_attr(a, "cap", "0"));
	EXPECT_EQ(-EINVAL, set_attr(a, "cap", "101"));
	EXPECT_EQ(-EINVAL, set_attr(a, "timeslice_ms", "0"));
	EXPECT_EQ(-EINVAL, set_attr(a, "timeslice_ms", "31"));
	EXPECT_EQ(-EINVAL, set_attr(a, "latency_class", "urgent"));
	/* cap below reservation, either way round */
	ASSERT_EQ(0, set_attr(a, "reservation", "30"));
	EXPECT_EQ(-EINVAL, set_attr(a, "cap", "20"));
	ASSERT_EQ(0, set_attr(b, "cap", "20"));
	EXPECT_EQ(-EINVAL, set_attr(b, "reservation", "30"));
	/* reservations over 100% */
	ASSERT_EQ(0, set_attr(b, "cap", "100"));
	ASSERT_EQ(0, set_attr(b, "reservation", "60"));
	EXPECT_EQ(-ENOSPC, set_attr(a, "reservation", "41"));
	EXPECT_EQ(0, set_attr(a, "reservation", "40"));
	EXPECT_EQ(1, mgpu_kmsg_grep("reservation refused"));
	EXPECT_EQ(1, mgpu_kmsg_grep("timeslice_ms refused"));
	/* Nothing refused changed anything. */
	snprintf(buf, sizeof(buf), "%s", "");
	{
		char path[512];

		snprintf(path, sizeof(path), "%s/bus/mdev/devices/%s/mgpu/weight",
			 mgpu_sysfs_root(), a);
		EXPECT_EQ(1, mgpu_sysfs_read_ll(path));
		snprintf(path, sizeof(path), "%s/bus/mdev/devices/%s/mgpu/timeslice_ms",
			 mgpu_sysfs_root(), a);
		EXPECT_EQ(5, mgpu_sysfs_read_ll(path));
		snprintf(path, sizeof(path), "%s/bus/mdev/devices/%s/mgpu/latency_class",
			 mgpu_sysfs_root(), a);
		ASSERT_LT(0, mgpu_sysfs_read(path, buf, sizeof(buf)));
		EXPECT_STREQ("normal", buf);
	}
}

/* Defaults come from the type: weight = VRAM / 8 MiB. */
TEST(default_weight_from_type)
{
	char parent[64], path[512];
	struct mgpu_dev d;

	if (mgpu_find_parent(parent, sizeof(parent)))
		SKIP(return, "no mgpu parent");
	mgpu_remove_all();
	ASSERT_EQ(0, mgpu_create(&d, parent, "mgpu-32M"));
	snprintf(path, sizeof(path), "%s/bus/mdev/devices/%s/mgpu/weight", mgpu_sysfs_root(),
		 d.uuid);
	EXPECT_EQ(4, mgpu_sysfs_read_ll(path));
	snprintf(path, sizeof(path), "%s/bus/mdev/devices/%s/mgpu/cap", mgpu_sysfs_root(),
		 d.uuid);
	EXPECT_EQ(100, mgpu_sysfs_read_ll(path));
	mgpu_remove_all();
}

TEST_HARNESS_MAIN
