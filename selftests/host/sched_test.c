// SPDX-License-Identifier: GPL-2.0-only
/*
 * Host tier: the engine scheduler (mdev/sched.c) as userspace C, driven by a simulated
 * engine with a fake clock — shares under each policy, caps, reservations, runtime
 * changes, interactive latency, QoS refusals, add/remove churn and a seeded random
 * stress that checks the scheduler's invariants after every call.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"
#include "sched.h"

#define MS		1000000ULL
#define SEC		(1000 * MS)
#define PERIOD		MGPU_SCHED_PERIOD_NS
#define SIM_STEP_NS	100000ULL	/* a preempting wake takes effect at a step boundary */
#define SIM_MAX		8
#define SIM_LAT_MAX	4096
#define SHARE_TOL_BP	100		/* 1 percentage point, in basis points */

/*
 * One simulated context: always busy (@every_ns == 0), never busy (@work_ns == 0), or
 * submitting @work_ns of work every @every_ns.
 */
struct sim_ent {
	struct mgpu_sched_entity e;
	uint64_t every_ns;
	uint64_t work_ns;
	uint64_t next_submit;
	uint64_t pending;
	uint64_t submitted_at;	/* when it last went from idle to runnable */
	bool waiting;		/* ... and has not started since */
	unsigned int nr_lat;
	uint64_t lat[SIM_LAT_MAX];	/* submit-to-start latencies */
};

struct sim {
	struct mgpu_sched s;
	struct sim_ent ents[SIM_MAX];
	unsigned int n;
	uint64_t now;
	uint64_t idle_ns;	/* the engine had nothing it was allowed to run */
};

static struct mgpu_sched_qos qos_of(uint32_t weight, uint32_t cap, uint32_t reservation,
				    uint32_t slice_us, bool interactive)
{
	struct mgpu_sched_qos qos = {
		.weight = weight, .cap = cap, .reservation = reservation,
		.slice_us = slice_us, .interactive = interactive,
	};

	return qos;
}

static struct sim_ent *sim_of(struct mgpu_sched_entity *e)
{
	return (struct sim_ent *)((char *)e - offsetof(struct sim_ent, e));
}

static void sim_init(struct sim *sim, enum mgpu_sched_policy policy)
{
	memset(sim, 0, sizeof(*sim));
	mgpu_sched_init(&sim->s, policy, 0);
}

/* Add a context; Return: its number, or -1. */
static int sim_add(struct sim *sim, struct mgpu_sched_qos qos, uint64_t every_ns,
		   uint64_t work_ns)
{
	struct sim_ent *se = &sim->ents[sim->n];
	const char *why = NULL;

	if (sim->n == SIM_MAX || mgpu_sched_add(&sim->s, &se->e, &qos, &why))
		return -1;
	se->every_ns = every_ns;
	se->work_ns = work_ns;
	se->next_submit = every_ns ? sim->now : UINT64_MAX;
	if (!every_ns && work_ns)
		mgpu_sched_wake(&sim->s, &se->e, NULL, sim->now);
	return sim->n++;
}

static bool sim_periodic(const struct sim_ent *se)
{
	return se->every_ns && se->work_ns;
}

/* Queue the work due by now; Return: a wake asked to preempt @running. */
static bool sim_submit(struct sim *sim, struct mgpu_sched_entity *running)
{
	bool preempt = false;
	unsigned int i;

	for (i = 0; i < sim->n; i++) {
		struct sim_ent *se = &sim->ents[i];

		if (!sim_periodic(se))
			continue;
		for (; se->next_submit <= sim->now; se->next_submit += se->every_ns) {
			if (!se->e.runnable && !se->waiting) {
				se->submitted_at = se->next_submit;
				se->waiting = true;
			}
			se->pending += se->work_ns;
		}
		if (se->pending && !se->e.runnable)
			preempt |= mgpu_sched_wake(&sim->s, &se->e, running, sim->now);
	}
	return preempt;
}

static uint64_t sim_next_submit(const struct sim *sim)
{
	uint64_t next = UINT64_MAX;
	unsigned int i;

	for (i = 0; i < sim->n; i++)
		if (sim_periodic(&sim->ents[i]) && sim->ents[i].next_submit < next)
			next = sim->ents[i].next_submit;
	return next;
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* Run @se for up to @slice, stopping early when its work ends or a wake preempts it. */
static void sim_slice(struct sim *sim, struct sim_ent *se, uint64_t slice)
{
	uint64_t start = sim->now, stop = start + slice, next, step_end;
	bool preempted = false;

	if (se->waiting && se->nr_lat < SIM_LAT_MAX)
		se->lat[se->nr_lat++] = start - se->submitted_at;
	se->waiting = false;
	while (sim->now < stop) {
		next = min_u64(stop, sim_next_submit(sim));
		if (se->every_ns)
			next = min_u64(next, sim->now + se->pending);
		if (se->every_ns)
			se->pending -= next - sim->now;
		sim->now = next;
		if (se->every_ns && !se->pending)
			break;
		if (sim->now < stop && sim_submit(sim, &se->e)) {
			step_end = start + (sim->now - start + SIM_STEP_NS - 1) / SIM_STEP_NS *
				   SIM_STEP_NS;
			preempted = step_end < stop;
			stop = min_u64(stop, step_end);
		}
	}
	mgpu_sched_charge(&sim->s, &se->e, sim->now - start, preempted, sim->now);
	if (se->every_ns && !se->pending)
		mgpu_sched_sleep(&sim->s, &se->e);
}

/* Drive the engine until @end. */
static void sim_run(struct sim *sim, uint64_t end)
{
	struct mgpu_sched_entity *e;
	uint64_t slice, wait, next;

	while (sim->now < end) {
		sim_submit(sim, NULL);
		e = mgpu_sched_pick(&sim->s, sim->now, &slice, &wait);
		if (e) {
			sim_slice(sim, sim_of(e), slice);
			continue;
		}
		next = min_u64(end, sim_next_submit(sim));
		if (wait)
			next = min_u64(next, sim->now + wait);
		sim->idle_ns += next - sim->now;
		sim->now = next;
	}
}

/* @part of @whole in basis points. */
static int64_t bp(uint64_t part, uint64_t whole)
{
	return whole ? (int64_t)(part * 10000 / whole) : 0;
}

#define EXPECT_SHARE(expected_bp, part, whole) do {				\
	int64_t _want = (expected_bp), _got = bp(part, whole);			\
	EXPECT_GE(SHARE_TOL_BP, llabs(_got - _want))				\
		TH_LOG("share of %s: %lld bp, expected %lld bp", #part,		\
		       (long long)_got, (long long)_want);			\
} while (0)

/* Busy time of every context and idle time over [now, @end). */
struct sim_window {
	uint64_t start;
	uint64_t busy[SIM_MAX];
	uint64_t idle;
};

static void window_open(const struct sim *sim, struct sim_window *w)
{
	unsigned int i;

	w->start = sim->now;
	w->idle = sim->idle_ns;
	for (i = 0; i < sim->n; i++)
		w->busy[i] = sim->ents[i].e.busy_ns;
}

static void window_close(const struct sim *sim, struct sim_window *w)
{
	unsigned int i;

	w->idle = sim->idle_ns - w->idle;
	for (i = 0; i < sim->n; i++)
		w->busy[i] = sim->ents[i].e.busy_ns - w->busy[i];
	w->start = sim->now - w->start;	/* now the window's length */
}

/* Run the next full second of periods, from the next period boundary. */
static void sim_measure(struct sim *sim, struct sim_window *w)
{
	sim_run(sim, (sim->now / PERIOD + 1) * PERIOD);
	window_open(sim, w);
	sim_run(sim, sim->now + SEC);
	window_close(sim, w);
}

static uint64_t p99(uint64_t *lat, unsigned int n)
{
	unsigned int i, j;
	uint64_t t;

	for (i = 1; i < n; i++)
		for (j = i; j && lat[j - 1] > lat[j]; j--) {
			t = lat[j];
			lat[j] = lat[j - 1];
			lat[j - 1] = t;
		}
	return n ? lat[(n * 99) / 100] : 0;
}

FIXTURE(sim) {
	struct sim *sim;
};

FIXTURE_SETUP(sim)
{
	self->sim = calloc(1, sizeof(*self->sim));
	ASSERT_NE(NULL, self->sim);
	sim_init(self->sim, MGPU_SCHED_BEST_EFFORT);
}

FIXTURE_TEARDOWN(sim)
{
	free(self->sim);
}

/* Busy contexts share by weight, and the engine never idles. */
TEST_F(sim, best_effort_weights)
{
	struct sim *sim = self->sim;
	struct sim_window w;

	ASSERT_EQ(0, sim_add(sim, qos_of(1, 100, 0, 5000, false), 0, 1));
	ASSERT_EQ(1, sim_add(sim, qos_of(2, 100, 0, 5000, false), 0, 1));
	ASSERT_EQ(2, sim_add(sim, qos_of(4, 100, 0, 5000, false), 0, 1));
	window_open(sim, &w);
	sim_run(sim, 10 * SEC);
	window_close(sim, &w);
	EXPECT_SHARE(10000 / 7, w.busy[0], w.start);
	EXPECT_SHARE(20000 / 7, w.busy[1], w.start);
	EXPECT_SHARE(40000 / 7, w.busy[2], w.start);
	EXPECT_EQ(0, w.idle);
}

TEST_F(sim, equal_share_ignores_weights)
{
	struct sim *sim = self->sim;
	struct sim_window w;
	int i;

	ASSERT_EQ(0, mgpu_sched_set_policy(&sim->s, MGPU_SCHED_EQUAL_SHARE));
	for (i = 0; i < 3; i++)
		ASSERT_EQ(i, sim_add(sim, qos_of(1 << (3 * i), 100, 0, 5000, false), 0, 1));
	window_open(sim, &w);
	sim_run(sim, 10 * SEC);
	window_close(sim, &w);
	for (i = 0; i < 3; i++)
		EXPECT_SHARE(10000 / 3, w.busy[i], w.start);
	EXPECT_EQ(0, w.idle);
}

/* A cap holds when nobody else wants the engine: the engine idles the rest. */
TEST_F(sim, cap_holds_when_alone)
{
	struct sim *sim = self->sim;
	struct sim_window w;

	ASSERT_EQ(0, sim_add(sim, qos_of(100, 20, 0, 5000, false), 0, 1));
	ASSERT_EQ(1, sim_add(sim, qos_of(1, 100, 0, 5000, false), 0, 0));
	ASSERT_EQ(2, sim_add(sim, qos_of(1, 100, 0, 5000, false), 0, 0));
	window_open(sim, &w);
	sim_run(sim, 10 * SEC);
	window_close(sim, &w);
	EXPECT_SHARE(2000, w.busy[0], w.start);
	EXPECT_SHARE(8000, w.idle, w.start);
	EXPECT_EQ(0, w.busy[1] + w.busy[2]);
}

/* A cap holds against a much heavier weight, and the rest goes to the others. */
TEST_F(sim, cap_holds_against_weight)
{
	struct sim *sim = self->sim;
	struct sim_window w;

	ASSERT_EQ(0, sim_add(sim, qos_of(MGPU_SCHED_WEIGHT_MAX, 20, 0, 7000, false), 0, 1));
	ASSERT_EQ(1, sim_add(sim, qos_of(1, 100, 0, 5000, false), 0, 1));
	window_open(sim, &w);
	sim_run(sim, 10 * SEC);
	window_close(sim, &w);
	EXPECT_SHARE(2000, w.busy[0], w.start);
	EXPECT_SHARE(8000, w.busy[1], w.start);
	EXPECT_EQ(0, w.idle);
}

/* A reservation beats weight: 50% for weight 1 against two weight-100 contexts. */
TEST_F(sim, reservation_beats_weight)
{
	struct sim *sim = self->sim;
	struct sim_window w;

	ASSERT_EQ(0, sim_add(sim, qos_of(1, 100, 50, 5000, false), 0, 1));
	ASSERT_EQ(1, sim_add(sim, qos_of(100, 100, 0, 5000, false), 0, 1));
	ASSERT_EQ(2, sim_add(sim, qos_of(100, 100, 0, 5000, false), 0, 1));
	window_open(sim, &w);
	sim_run(sim, 10 * SEC);
	window_close(sim, &w);
	EXPECT_SHARE(5000, w.busy[0], w.start);
	EXPECT_SHARE(2500, w.busy[1], w.start);
	EXPECT_SHARE(2500, w.busy[2], w.start);
}

/* A reservation is a floor, not a ceiling: a heavier context gets its fair share. */
TEST_F(sim, reservation_is_a_floor)
{
	struct sim *sim = self->sim;
	struct sim_window w;

	ASSERT_EQ(0, sim_add(sim, qos_of(4, 100, 30, 5000, false), 0, 1));
	ASSERT_EQ(1, sim_add(sim, qos_of(1, 100, 0, 5000, false), 0, 1));
	window_open(sim, &w);
	sim_run(sim, 10 * SEC);
	window_close(sim, &w);
	EXPECT_SHARE(8000, w.busy[0], w.start);
	EXPECT_SHARE(2000, w.busy[1], w.start);
}

/* Fixed share: busy contexts get exactly their share; an idle one's share idles. */
TEST_F(sim, fixed_share_idle_not_handed_out)
{
	struct sim *sim = self->sim;
	struct sim_window w;

	ASSERT_EQ(0, mgpu_sched_set_policy(&sim->s, MGPU_SCHED_FIXED_SHARE));
	ASSERT_EQ(0, sim_add(sim, qos_of(1, 100, 40, 5000, false), 0, 1));
	ASSERT_EQ(1, sim_add(sim, qos_of(1, 100, 0, 5000, false), 0, 1));
	ASSERT_EQ(2, sim_add(sim, qos_of(1, 100, 0, 5000, false), 0, 0));
	window_open(sim, &w);
	sim_run(sim, 10 * SEC);
	window_close(sim, &w);
	EXPECT_EQ(40 * SEC / 10, w.busy[0]);
	EXPECT_EQ(30 * SEC / 10, w.busy[1]);
	EXPECT_EQ(30 * SEC / 10, w.idle);
}

/* Fixed share splits the unreserved rest by weight and still honours caps. */
TEST_F(sim, fixed_share_by_weight_and_cap)
{
	struct sim *sim = self->sim;
	struct sim_window w;

	ASSERT_EQ(0, mgpu_sched_set_policy(&sim->s, MGPU_SCHED_FIXED_SHARE));
	ASSERT_EQ(0, sim_add(sim, qos_of(1, 100, 20, 3000, false), 0, 1));
	ASSERT_EQ(1, sim_add(sim, qos_of(1, 100, 0, 5000, false), 0, 1));
	ASSERT_EQ(2, sim_add(sim, qos_of(3, 100, 0, 1000, false), 0, 1));
	ASSERT_EQ(3, sim_add(sim, qos_of(4, 15, 0, 5000, false), 0, 1));
	window_open(sim, &w);
	sim_run(sim, 10 * SEC);
	window_close(sim, &w);
	EXPECT_SHARE(2000, w.busy[0], w.start);
	EXPECT_SHARE(1000, w.busy[1], w.start);
	EXPECT_SHARE(3000, w.busy[2], w.start);
	EXPECT_SHARE(1500, w.busy[3], w.start);	/* 40% share, 15% cap */
	EXPECT_SHARE(2500, w.idle, w.start);
}

/* Changes of weight, cap, reservation, slice and policy hold from the next period on. */
TEST_F(sim, runtime_changes)
{
	struct sim *sim = self->sim;
	struct mgpu_sched_qos a = qos_of(1, 100, 0, 5000, false);
	struct mgpu_sched_qos b = qos_of(1, 100, 0, 5000, false);
	struct sim_window w;
	uint64_t slices;

	ASSERT_EQ(0, sim_add(sim, a, 0, 1));
	ASSERT_EQ(1, sim_add(sim, b, 0, 1));
	ASSERT_EQ(2, sim_add(sim, qos_of(4, 100, 0, 5000, false), 0, 0));
	sim_run(sim, SEC + 30 * MS);
	a.weight = 3;
	ASSERT_EQ(0, mgpu_sched_set_qos(&sim->s, &sim->ents[0].e, &a, NULL));
	sim_measure(sim, &w);
	EXPECT_SHARE(7500, w.busy[0], w.start);

	sim_run(sim, sim->now + 30 * MS);
	a.cap = 10;
	ASSERT_EQ(0, mgpu_sched_set_qos(&sim->s, &sim->ents[0].e, &a, NULL));
	sim_measure(sim, &w);
	EXPECT_SHARE(1000, w.busy[0], w.start);
	EXPECT_SHARE(9000, w.busy[1], w.start);

	sim_run(sim, sim->now + 30 * MS);
	a.cap = 100;
	b.reservation = 60;
	ASSERT_EQ(0, mgpu_sched_set_qos(&sim->s, &sim->ents[0].e, &a, NULL));
	ASSERT_EQ(0, mgpu_sched_set_qos(&sim->s, &sim->ents[1].e, &b, NULL));
	sim_measure(sim, &w);
	EXPECT_SHARE(4000, w.busy[0], w.start);
	EXPECT_SHARE(6000, w.busy[1], w.start);

	sim_run(sim, sim->now + 30 * MS);
	a.slice_us = 1000;
	ASSERT_EQ(0, mgpu_sched_set_qos(&sim->s, &sim->ents[0].e, &a, NULL));
	slices = sim->ents[0].e.slices;
	sim_measure(sim, &w);
	EXPECT_SHARE(4000, w.busy[0], w.start);
	EXPECT_LE(w.busy[0] / MS, sim->ents[0].e.slices - slices);

	sim_run(sim, sim->now + 30 * MS);
	b.reservation = 0;
	ASSERT_EQ(0, mgpu_sched_set_qos(&sim->s, &sim->ents[1].e, &b, NULL));
	ASSERT_EQ(0, mgpu_sched_set_policy(&sim->s, MGPU_SCHED_EQUAL_SHARE));
	sim_measure(sim, &w);
	EXPECT_SHARE(5000, w.busy[0], w.start);
	EXPECT_SHARE(5000, w.busy[1], w.start);

	sim_run(sim, sim->now + 30 * MS);
	ASSERT_EQ(0, mgpu_sched_set_policy(&sim->s, MGPU_SCHED_FIXED_SHARE));
	sim_measure(sim, &w);
	EXPECT_SHARE(3750, w.busy[0], w.start);	/* weights 3:1:4, the 4 idle */
	EXPECT_SHARE(1250, w.busy[1], w.start);
	EXPECT_SHARE(5000, w.idle, w.start);

	sim_run(sim, sim->now + 30 * MS);
	ASSERT_EQ(0, mgpu_sched_set_policy(&sim->s, MGPU_SCHED_BEST_EFFORT));
	sim_measure(sim, &w);
	EXPECT_SHARE(7500, w.busy[0], w.start);
	EXPECT_SHARE(2500, w.busy[1], w.start);
	EXPECT_EQ(0, w.idle);
}

/* Submit-to-start latency of a light context among three busy ones, p99 in ns. */
static uint64_t latency_p99(struct sim *sim, bool interactive, uint64_t *preemptions)
{
	struct sim_ent *se;
	int i;

	sim_init(sim, MGPU_SCHED_BEST_EFFORT);
	for (i = 0; i < 3; i++)
		sim_add(sim, qos_of(1024, 100, 0, 5000, false), 0, 1);
	i = sim_add(sim, qos_of(1024, 100, 0, 2000, interactive), 16666667, 1 * MS);
	if (i < 0)
		return UINT64_MAX;
	sim_run(sim, 10 * SEC);
	se = &sim->ents[i];
	*preemptions = 0;
	for (i = 0; i < 3; i++)
		*preemptions += sim->ents[i].e.preemptions;
	if (se->nr_lat < 500 || se->pending > se->work_ns)
		return UINT64_MAX;	/* it did not keep up */
	return p99(se->lat, se->nr_lat);
}

/* An interactive wake among three saturating contexts starts within one own slice. */
TEST_F(sim, interactive_latency)
{
	uint64_t lat, preemptions;

	lat = latency_p99(self->sim, true, &preemptions);
	EXPECT_GE(2000 * 1000ULL, lat) TH_LOG("interactive p99 %llu ns", (unsigned long long)lat);
	EXPECT_LE(500, preemptions);
	lat = latency_p99(self->sim, false, &preemptions);
	EXPECT_LT(2000 * 1000ULL, lat) TH_LOG("plain p99 %llu ns", (unsigned long long)lat);
	EXPECT_EQ(0, preemptions);
}

/* ---- unit tests of single calls ---- */

FIXTURE(one) {
	struct mgpu_sched s;
	struct mgpu_sched_entity e[4];
};

FIXTURE_SETUP(one)
{
	unsigned int i;

	mgpu_sched_init(&self->s, MGPU_SCHED_BEST_EFFORT, 0);
	memset(self->e, 0, sizeof(self->e));
	for (i = 0; i < ARRAY_SIZE(self->e); i++)
		self->e[i].index = -1;
}

FIXTURE_TEARDOWN(one)
{
}

TEST_F(one, wake_rules)
{
	struct mgpu_sched_qos q = qos_of(1024, 100, 0, 2000, false);
	struct mgpu_sched_qos qi = qos_of(1024, 20, 0, 2000, true);
	struct mgpu_sched_entity *e = self->e, *got;
	uint64_t slice, wait;

	ASSERT_EQ(0, mgpu_sched_add(&self->s, &e[0], &q, NULL));
	ASSERT_EQ(0, mgpu_sched_add(&self->s, &e[1], &q, NULL));
	ASSERT_EQ(0, mgpu_sched_add(&self->s, &e[2], &qi, NULL));
	EXPECT_FALSE(mgpu_sched_wake(&self->s, &e[0], NULL, 0));
	EXPECT_FALSE(mgpu_sched_wake(&self->s, &e[0], NULL, 0));	/* already runnable */
	got = mgpu_sched_pick(&self->s, 0, &slice, &wait);
	ASSERT_EQ(&e[0], got);
	EXPECT_EQ(2 * MS, slice);
	EXPECT_EQ(0, wait);
	mgpu_sched_charge(&self->s, &e[0], 50 * MS, false, 50 * MS);
	EXPECT_EQ(50 * MS, self->s.min_vruntime);
	/* a plain sleeper is placed at min_vruntime and does not preempt */
	EXPECT_FALSE(mgpu_sched_wake(&self->s, &e[1], &e[0], 50 * MS));
	EXPECT_EQ(50 * MS, e[1].vruntime);
	/* an interactive one gets one slice of credit and preempts */
	EXPECT_TRUE(mgpu_sched_wake(&self->s, &e[2], &e[0], 50 * MS));
	EXPECT_EQ(48 * MS, e[2].vruntime);
	EXPECT_EQ(&e[2], mgpu_sched_pick(&self->s, 50 * MS, &slice, &wait));
	mgpu_sched_charge(&self->s, &e[2], 20 * MS, false, 70 * MS);
	mgpu_sched_sleep(&self->s, &e[2]);
	/* capped (20 ms of 20%): no preemption until the next period */
	EXPECT_FALSE(mgpu_sched_wake(&self->s, &e[2], &e[0], 70 * MS));
	EXPECT_FALSE(mgpu_sched_wake(&self->s, &e[2], &e[0], 70 * MS));
	mgpu_sched_sleep(&self->s, &e[2]);
	e[2].vruntime = 0;
	EXPECT_TRUE(mgpu_sched_wake(&self->s, &e[2], &e[0], PERIOD));
	/* no preemption of nothing or of itself */
	mgpu_sched_sleep(&self->s, &e[2]);
	EXPECT_FALSE(mgpu_sched_wake(&self->s, &e[2], NULL, PERIOD));
	mgpu_sched_sleep(&self->s, &e[2]);
	EXPECT_FALSE(mgpu_sched_wake(&self->s, &e[2], &e[2], PERIOD));
}

TEST_F(one, period_rollover_and_wait)
{
	struct mgpu_sched_qos q = qos_of(1, 30, 0, 30000, false);
	struct mgpu_sched_entity *e = self->e;
	uint64_t slice, wait;

	ASSERT_EQ(0, mgpu_sched_add(&self->s, &e[0], &q, NULL));
	mgpu_sched_wake(&self->s, &e[0], NULL, 0);
	ASSERT_EQ(&e[0], mgpu_sched_pick(&self->s, 0, &slice, &wait));
	EXPECT_EQ(30 * MS, slice);
	mgpu_sched_charge(&self->s, &e[0], 30 * MS, false, 30 * MS);
	EXPECT_NULL(mgpu_sched_pick(&self->s, 30 * MS, &slice, &wait));
	EXPECT_EQ(70 * MS, wait);
	EXPECT_EQ(0, slice);
	/* a pick long after starts the period containing now */
	ASSERT_EQ(&e[0], mgpu_sched_pick(&self->s, 3 * PERIOD + 95 * MS, &slice, &wait));
	EXPECT_EQ(3 * PERIOD, self->s.period_start);
	EXPECT_EQ(0, e[0].period_used_ns);
	/* a slice crossing the boundary counts only its part in the new period */
	mgpu_sched_charge(&self->s, &e[0], 10 * MS, false, 4 * PERIOD + 5 * MS);
	EXPECT_EQ(4 * PERIOD, self->s.period_start);
	EXPECT_EQ(5 * MS, e[0].period_used_ns);
	EXPECT_EQ(40 * MS, e[0].busy_ns);
	EXPECT_EQ(40 * MS, self->s.busy_ns);
	EXPECT_EQ(2, e[0].slices);
	ASSERT_EQ(&e[0], mgpu_sched_pick(&self->s, 4 * PERIOD + 5 * MS, &slice, &wait));
	EXPECT_EQ(25 * MS, slice);
	/* nothing runnable: NULL with no wait */
	mgpu_sched_sleep(&self->s, &e[0]);
	EXPECT_NULL(mgpu_sched_pick(&self->s, 4 * PERIOD + 5 * MS, &slice, &wait));
	EXPECT_EQ(0, wait);
}

/* The reservation budget bounds the slice of a context served for its reservation. */
TEST_F(one, slice_within_reservation)
{
	struct mgpu_sched_qos q = qos_of(1, 100, 12, 30000, false);
	uint64_t slice, wait;

	ASSERT_EQ(0, mgpu_sched_add(&self->s, &self->e[0], &q, NULL));
	mgpu_sched_wake(&self->s, &self->e[0], NULL, 0);
	ASSERT_EQ(&self->e[0], mgpu_sched_pick(&self->s, 0, &slice, &wait));
	EXPECT_EQ(12 * MS, slice);
	mgpu_sched_charge(&self->s, &self->e[0], 12 * MS, true, 12 * MS);
	EXPECT_EQ(1, self->e[0].preemptions);
	ASSERT_EQ(&self->e[0], mgpu_sched_pick(&self->s, 12 * MS, &slice, &wait));
	EXPECT_EQ(30 * MS, slice);
}

TEST_F(one, check_qos_refusals)
{
	static const struct {
		struct mgpu_sched_qos qos;
		int err;
		const char *why;
	} bad[] = {
		{ { 0, 100, 0, 5000 }, -EINVAL, "weight out of range 1..10000" },
		{ { 10001, 100, 0, 5000 }, -EINVAL, "weight out of range 1..10000" },
		{ { 1, 0, 0, 5000 }, -EINVAL, "cap out of range 1..100%" },
		{ { 1, 101, 0, 5000 }, -EINVAL, "cap out of range 1..100%" },
		{ { 1, 100, 101, 5000 }, -EINVAL, "reservation out of range 0..100%" },
		{ { 1, 20, 30, 5000 }, -EINVAL, "reservation above the cap" },
		{ { 1, 100, 0, 999 }, -EINVAL, "slice out of range 1000..30000 us" },
		{ { 1, 100, 0, 30001 }, -EINVAL, "slice out of range 1000..30000 us" },
		{ { 1, 100, 61, 5000 }, -ENOSPC, "reservations would exceed 100% of the GPU" },
	};
	struct mgpu_sched_qos q = qos_of(1, 100, 40, 5000, false), before;
	struct mgpu_sched_entity *e = self->e;
	const char *why;
	unsigned int i;

	ASSERT_EQ(0, mgpu_sched_add(&self->s, &e[0], &q, NULL));
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		why = NULL;
		EXPECT_EQ(bad[i].err, mgpu_sched_check_qos(&self->s, &e[1], &bad[i].qos, &why))
			TH_LOG("case %u", i);
		ASSERT_NE(NULL, why);
		EXPECT_STREQ(bad[i].why, why);
		EXPECT_EQ(bad[i].err, mgpu_sched_add(&self->s, &e[1], &bad[i].qos, &why));
		EXPECT_EQ(1, self->s.nr);
	}
	/* the edges are accepted */
	q = qos_of(MGPU_SCHED_WEIGHT_MAX, 60, 60, MGPU_SCHED_SLICE_MAX_US, true);
	EXPECT_EQ(0, mgpu_sched_check_qos(&self->s, &e[1], &q, NULL));
	q = qos_of(1, 1, 0, MGPU_SCHED_SLICE_MIN_US, false);
	EXPECT_EQ(0, mgpu_sched_check_qos(&self->s, &e[1], &q, NULL));
	/* an added entity's own reservation does not count against it */
	q = qos_of(1, 100, 100, 5000, false);
	EXPECT_EQ(0, mgpu_sched_check_qos(&self->s, &e[0], &q, NULL));
	/* a refused change leaves everything as it was */
	q = qos_of(1, 100, 30, 5000, false);
	ASSERT_EQ(0, mgpu_sched_add(&self->s, &e[1], &q, NULL));
	before = e[0].qos;
	q = qos_of(7, 100, 71, 5000, false);
	EXPECT_EQ(-ENOSPC, mgpu_sched_set_qos(&self->s, &e[0], &q, &why));
	EXPECT_EQ(0, memcmp(&before, &e[0].qos, sizeof(before)));
	q.reservation = 70;
	EXPECT_EQ(0, mgpu_sched_set_qos(&self->s, &e[0], &q, &why));
	EXPECT_EQ(7, e[0].qos.weight);
	/* removing frees its reservation */
	mgpu_sched_remove(&self->s, &e[0]);
	q = qos_of(1, 100, 70, 5000, false);
	EXPECT_EQ(0, mgpu_sched_check_qos(&self->s, &e[2], &q, NULL));
}

TEST_F(one, policies_and_defaults)
{
	struct mgpu_sched_qos q;

	EXPECT_STREQ("best_effort", mgpu_sched_policy_name(MGPU_SCHED_BEST_EFFORT));
	EXPECT_STREQ("equal_share", mgpu_sched_policy_name(MGPU_SCHED_EQUAL_SHARE));
	EXPECT_STREQ("fixed_share", mgpu_sched_policy_name(MGPU_SCHED_FIXED_SHARE));
	EXPECT_NULL(mgpu_sched_policy_name(MGPU_SCHED_NR_POLICIES));
	EXPECT_NULL(mgpu_sched_policy_name((enum mgpu_sched_policy)-1));
	EXPECT_EQ(-EINVAL, mgpu_sched_set_policy(&self->s, MGPU_SCHED_NR_POLICIES));
	EXPECT_EQ(-EINVAL, mgpu_sched_set_policy(&self->s, (enum mgpu_sched_policy)-1));
	EXPECT_EQ(MGPU_SCHED_BEST_EFFORT, self->s.policy);
	EXPECT_EQ(0, mgpu_sched_set_policy(&self->s, MGPU_SCHED_FIXED_SHARE));
	EXPECT_EQ(MGPU_SCHED_FIXED_SHARE, self->s.policy);
	EXPECT_EQ(PERIOD, self->s.period_ns);
	EXPECT_EQ(0, self->s.nr);

	mgpu_sched_default_qos(&q, 0);
	EXPECT_EQ(1, q.weight);
	EXPECT_EQ(100, q.cap);
	EXPECT_EQ(0, q.reservation);
	EXPECT_EQ(5000, q.slice_us);
	EXPECT_FALSE(q.interactive);
	EXPECT_EQ(0, mgpu_sched_check_qos(&self->s, NULL, &q, NULL));
	mgpu_sched_default_qos(&q, 123456);
	EXPECT_EQ(MGPU_SCHED_WEIGHT_MAX, q.weight);
	mgpu_sched_default_qos(&q, 300);
	EXPECT_EQ(300, q.weight);
}

/* Long runs, tiny weights: no overflow, virtual time and min_vruntime move forward. */
TEST_F(one, huge_charges)
{
	struct mgpu_sched_qos q = qos_of(1, 100, 0, 5000, false);
	struct mgpu_sched_entity *e = self->e;
	uint64_t before, slice, wait;

	ASSERT_EQ(0, mgpu_sched_add(&self->s, &e[0], &q, NULL));
	mgpu_sched_wake(&self->s, &e[0], NULL, 0);
	mgpu_sched_charge(&self->s, &e[0], 10 * SEC, false, 10 * SEC);
	EXPECT_EQ(10 * SEC * MGPU_SCHED_WEIGHT_UNIT, e[0].vruntime);
	EXPECT_EQ(e[0].vruntime, self->s.min_vruntime);
	before = e[0].vruntime;
	mgpu_sched_charge(&self->s, &e[0], UINT64_MAX / 2, false, UINT64_MAX / 2);
	EXPECT_LT(0, (int64_t)(e[0].vruntime - before));
	EXPECT_EQ(0, (int64_t)(e[0].vruntime - self->s.min_vruntime));
	ASSERT_EQ(&e[0], mgpu_sched_pick(&self->s, UINT64_MAX - 1, &slice, &wait));
	EXPECT_EQ(5 * MS, slice);
	EXPECT_GE(UINT64_MAX - 1, self->s.period_start);
	EXPECT_LT(UINT64_MAX - 1 - PERIOD, self->s.period_start);
}

/* ---- membership ---- */

TEST(add_remove_churn)
{
	static struct mgpu_sched_entity e[16];
	static struct mgpu_sched s;
	struct mgpu_sched_qos q;
	unsigned int i, j, nr = 0;
	bool in[16] = { false };

	mgpu_sched_init(&s, MGPU_SCHED_BEST_EFFORT, 0);
	mgpu_sched_default_qos(&q, 100);
	srand(3);
	for (i = 0; i < 2000; i++) {
		j = rand() % 16;
		if (in[j]) {
			mgpu_sched_remove(&s, &e[j]);
			EXPECT_EQ(-1, e[j].index);
			nr--;
		} else {
			ASSERT_EQ(0, mgpu_sched_add(&s, &e[j], &q, NULL));
			EXPECT_FALSE(e[j].runnable);
			mgpu_sched_wake(&s, &e[j], NULL, 0);
			nr++;
		}
		in[j] = !in[j];
		ASSERT_EQ(nr, s.nr);
		for (j = 0; j < s.nr; j++)
			ASSERT_EQ((int)j, s.ents[j]->index);
	}
	/* removing what is not added, twice, changes nothing */
	for (j = 0; j < 16; j++)
		if (!in[j]) {
			mgpu_sched_remove(&s, &e[j]);
			mgpu_sched_remove(&s, &e[j]);
		}
	EXPECT_EQ(nr, s.nr);
}

TEST(max_entities)
{
	static struct mgpu_sched_entity e[MGPU_SCHED_MAX + 1];
	struct mgpu_sched_entity *got;
	static struct mgpu_sched s;
	struct mgpu_sched_qos q;
	const char *why = NULL;
	uint64_t slice, wait;
	int i;

	mgpu_sched_init(&s, MGPU_SCHED_FIXED_SHARE, 0);
	mgpu_sched_default_qos(&q, MGPU_SCHED_WEIGHT_MAX);
	for (i = 0; i < MGPU_SCHED_MAX; i++)
		ASSERT_EQ(0, mgpu_sched_add(&s, &e[i], &q, NULL));
	EXPECT_EQ(-EEXIST, mgpu_sched_add(&s, &e[7], &q, &why));
	EXPECT_EQ(-ENOSPC, mgpu_sched_add(&s, &e[MGPU_SCHED_MAX], &q, &why));
	ASSERT_NE(NULL, why);
	EXPECT_EQ(MGPU_SCHED_MAX, s.nr);
	for (i = 0; i < MGPU_SCHED_MAX; i++)
		mgpu_sched_wake(&s, &e[i], NULL, 0);
	/* all 256 busy under fixed share: each gets a 1/256 budget, once per period */
	for (i = 0; i < MGPU_SCHED_MAX; i++) {
		got = mgpu_sched_pick(&s, 0, &slice, &wait);
		ASSERT_NE(NULL, got);
		EXPECT_EQ(PERIOD / MGPU_SCHED_MAX, slice);
		EXPECT_EQ(0, got->slices);
		mgpu_sched_charge(&s, got, slice, false, 0);
	}
	EXPECT_NULL(mgpu_sched_pick(&s, 0, &slice, &wait));
	EXPECT_EQ(PERIOD, wait);
	/* swap-remove: the last entity moves into the hole */
	mgpu_sched_remove(&s, &e[3]);
	EXPECT_EQ(3, e[MGPU_SCHED_MAX - 1].index);
	EXPECT_EQ(0, mgpu_sched_add(&s, &e[MGPU_SCHED_MAX], &q, NULL));
	EXPECT_EQ(MGPU_SCHED_MAX - 1, e[MGPU_SCHED_MAX].index);
}

/* ---- seeded random stress ---- */

#define ST_N	24

/* The most @e may use in the current period, computed independently. */
static uint64_t ref_limit(const struct mgpu_sched *s, const struct mgpu_sched_entity *e)
{
	uint64_t cap = s->period_ns * e->qos.cap / 100, rest, budget;
	uint32_t reserved = 0, weights = 0;
	unsigned int i;

	if (s->policy != MGPU_SCHED_FIXED_SHARE)
		return cap;
	for (i = 0; i < s->nr; i++) {
		reserved += s->ents[i]->qos.reservation;
		if (!s->ents[i]->qos.reservation)
			weights += s->ents[i]->qos.weight;
	}
	rest = s->period_ns * (100 - reserved) / 100;
	if (e->qos.reservation)
		budget = s->period_ns * e->qos.reservation / 100;
	else
		budget = weights ? rest * e->qos.weight / weights : 0;
	return budget < cap ? budget : cap;
}

static bool ref_added(const struct mgpu_sched *s, const struct mgpu_sched_entity *e)
{
	return e->index >= 0 && (unsigned int)e->index < s->nr && s->ents[e->index] == e;
}

static struct mgpu_sched_qos random_qos(void)
{
	uint32_t cap = 1 + rand() % 100;

	if (rand() % 10 == 0)	/* sometimes out of range */
		return qos_of(rand() % 12000, rand() % 110, rand() % 110, rand() % 32000,
			      rand() & 1);
	return qos_of(1 + rand() % (rand() % 2 ? 10 : MGPU_SCHED_WEIGHT_MAX), cap,
		      rand() % 3 ? 0 : rand() % (cap < 40 ? cap + 1 : 40),
		      MGPU_SCHED_SLICE_MIN_US + rand() % 29001, rand() % 4 == 0);
}

static bool qos_valid(const struct mgpu_sched *s, const struct mgpu_sched_entity *e,
		      const struct mgpu_sched_qos *q)
{
	unsigned int i, reserved = q->reservation;

	for (i = 0; i < s->nr; i++)
		if (s->ents[i] != e)
			reserved += s->ents[i]->qos.reservation;
	return q->weight >= 1 && q->weight <= MGPU_SCHED_WEIGHT_MAX && q->cap >= 1 &&
	       q->cap <= 100 && q->reservation <= q->cap &&
	       q->slice_us >= MGPU_SCHED_SLICE_MIN_US &&
	       q->slice_us <= MGPU_SCHED_SLICE_MAX_US && reserved <= 100;
}

struct stress {
	struct mgpu_sched s;
	struct mgpu_sched_entity e[ST_N];
	uint64_t now;
	uint64_t charged;
	uint64_t min_vruntime;
};

/* One pick and the run that follows, checking what the pick promised. */
static void stress_pick(struct __test_metadata *_metadata, struct stress *st)
{
	struct mgpu_sched_entity *e;
	uint64_t slice, wait, ran, limit;
	bool any = false;
	unsigned int i;

	e = mgpu_sched_pick(&st->s, st->now, &slice, &wait);
	ASSERT_LE(st->s.period_start, st->now);
	ASSERT_GT(st->s.period_start + st->s.period_ns, st->now);
	if (!e) {
		for (i = 0; i < st->s.nr; i++) {
			if (!st->s.ents[i]->runnable)
				continue;
			any = true;
			ASSERT_LE(ref_limit(&st->s, st->s.ents[i]), st->s.ents[i]->period_used_ns);
		}
		ASSERT_EQ(any ? st->s.period_start + st->s.period_ns - st->now : 0, wait);
		if (rand() % 2)
			st->now += wait;
		return;
	}
	ASSERT_TRUE(e->runnable);
	ASSERT_TRUE(ref_added(&st->s, e));
	ASSERT_EQ(0, wait);
	limit = ref_limit(&st->s, e);
	ASSERT_LT(0, slice);
	ASSERT_GE((uint64_t)e->qos.slice_us * 1000, slice);
	ASSERT_GE(limit, e->period_used_ns + slice);
	ran = 1 + rand() % slice;
	if (rand() % 10 == 0)
		ran = slice + rand() % SIM_STEP_NS;	/* the engine overran by a step */
	st->now += ran;
	mgpu_sched_charge(&st->s, e, ran, rand() % 4 == 0, st->now);
	st->charged += ran;
	ASSERT_GE(limit + SIM_STEP_NS, e->period_used_ns);
}

static void stress_wake(struct __test_metadata *_metadata, struct stress *st)
{
	struct mgpu_sched_entity *e = &st->e[rand() % ST_N], *running = NULL;
	bool was = e->runnable;

	if (st->s.nr && rand() % 2)
		running = st->s.ents[rand() % st->s.nr];
	if (mgpu_sched_wake(&st->s, e, running, st->now)) {
		ASSERT_FALSE(was);
		ASSERT_TRUE(e->qos.interactive);
		ASSERT_NE(running, e);
		ASSERT_NE(NULL, running);
	}
	ASSERT_TRUE(e->runnable);
}

static void stress_qos(struct __test_metadata *_metadata, struct stress *st)
{
	struct mgpu_sched_entity *e = &st->e[rand() % ST_N];
	struct mgpu_sched_qos q = random_qos();
	bool valid = qos_valid(&st->s, ref_added(&st->s, e) ? e : NULL, &q);
	const char *why = NULL;
	int ret;

	if (ref_added(&st->s, e)) {
		ret = mgpu_sched_set_qos(&st->s, e, &q, &why);
		ASSERT_EQ(valid, !ret);
		if (!ret)
			ASSERT_EQ(0, memcmp(&q, &e->qos, sizeof(q)));
	} else if (rand() % 2) {
		ret = mgpu_sched_add(&st->s, e, &q, &why);
		ASSERT_EQ(valid, !ret);
		ASSERT_EQ(valid, ref_added(&st->s, e));
	} else {
		return;
	}
	if (ret)
		ASSERT_NE(NULL, why);
}

static void stress_check(struct __test_metadata *_metadata, struct stress *st)
{
	unsigned int i, reserved = 0, added = 0;

	for (i = 0; i < st->s.nr; i++) {
		ASSERT_EQ((int)i, st->s.ents[i]->index);
		reserved += st->s.ents[i]->qos.reservation;
	}
	for (i = 0; i < ST_N; i++)
		added += ref_added(&st->s, &st->e[i]);
	ASSERT_EQ(st->s.nr, added);
	ASSERT_GE(100, reserved);
	ASSERT_EQ(st->charged, st->s.busy_ns);
	ASSERT_LE(0, (int64_t)(st->s.min_vruntime - st->min_vruntime));
	st->min_vruntime = st->s.min_vruntime;
}

TEST(random_stress)
{
	static struct stress st;
	unsigned int i;
	int r;

	srand(20240611);
	mgpu_sched_init(&st.s, MGPU_SCHED_BEST_EFFORT, 12345);
	st.now = 12345;
	for (i = 0; i < ST_N; i++)
		st.e[i].index = -1;
	for (i = 0; i < 400000; i++) {
		r = rand() % 100;
		if (r < 50)
			stress_pick(_metadata, &st);
		else if (r < 65)
			stress_wake(_metadata, &st);
		else if (r < 75)
			mgpu_sched_sleep(&st.s, &st.e[rand() % ST_N]);
		else if (r < 85)
			stress_qos(_metadata, &st);
		else if (r < 87)
			mgpu_sched_set_policy(&st.s, rand() % (MGPU_SCHED_NR_POLICIES + 1));
		else if (r < 90)
			mgpu_sched_remove(&st.s, &st.e[rand() % ST_N]);
		else if (r < 99)
			st.now += rand() % (20 * MS);
		else
			st.now += rand() % (3 * SEC);
		stress_check(_metadata, &st);
		if (_metadata->exit_code)
			break;
	}
}

TEST_HARNESS_MAIN
