// SPDX-License-Identifier: GPL-2.0-only
/*
 * mgpu: the time-slice scheduler of one GPU's engine; the contract is in sched.h.
 *
 * Each call sees every entity through a "view" of the current period: the time it used,
 * a priority budget (its reservation; under fixed share its whole share) and a limit
 * (its cap; under fixed share also its share). An entity at or over its limit is not
 * picked until the next period; one below its priority budget is served first, by the
 * smallest used/budget ratio; the rest go by the smallest virtual time. A slice never
 * reaches past the budget it was picked under. One ordering, precedes(), decides both
 * the pick and whether an interactive wake preempts, so the two never disagree.
 *
 * Choices the header leaves open:
 *  - Periods are aligned to the start given to mgpu_sched_init(); a pick or charge
 *    after the end of a period starts the period containing "now" and clears every
 *    entity's period_used_ns. When a charge itself starts a new period, only the part
 *    of the run inside the new period (ran_ns clipped to now - period_start) counts
 *    against it: the old period is over and a slice crossing the boundary must not eat
 *    the next period's cap. busy_ns and virtual time always get the whole run.
 *  - Virtual times are compared modulo 2^64 (as CFS does), so they may wrap.
 *    min_vruntime only moves forward, to the smallest virtual time among runnable
 *    entities that are not capped. A capped entity is moved up to min_vruntime at every
 *    pick that passes it over, like a sleeper at wake: no credit is hoarded while idle
 *    or capped, so lifting a cap or waking does not starve the others. For the same
 *    reason, at each period start no runnable entity is left trailing the one furthest
 *    ahead by more than two of the longest slices in virtual time: what others got
 *    through their reservations is forgiven, not repaid by starving them later. A
 *    single charge advances virtual time by at most about 73 minutes of engine time.
 *  - An interactive wake places the entity at max(vruntime, min_vruntime - one of its
 *    slices in virtual time) and returns true when the entity is added, not at its limit,
 *    and precedes @running: it is below its priority budget while @running is not, or
 *    both are on the same side and it has the smaller used/budget ratio (below budget)
 *    or the smaller virtual time. An interactive entity that has used more than its fair
 *    share therefore loses its preemption until the others catch up. Wakes of other
 *    entities never preempt; waking a runnable entity changes nothing.
 *  - Equal share uses MGPU_SCHED_WEIGHT_UNIT as every entity's weight. Reservations and
 *    caps apply under every policy.
 *  - Fixed share: budget = reservation% of the period, or (100% - all reservations)
 *    split by weight among all added entities without a reservation, busy or idle; an
 *    entity's limit is min(budget, cap). A zero budget never runs.
 *  - Adding an entity already added is refused with -EEXIST.
 */
#ifdef __KERNEL__
#include <linux/bits.h>
#include <linux/errno.h>
#include <linux/math64.h>
#include <linux/string.h>
#else
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#endif

#include "sched.h"

#ifndef __KERNEL__
static inline u64 div64_u64(u64 dividend, u64 divisor)
{
	return dividend / divisor;
}

static inline u64 div_u64(u64 dividend, u32 divisor)
{
	return dividend / divisor;
}

static inline u64 div_u64_rem(u64 dividend, u32 divisor, u32 *remainder)
{
	*remainder = dividend % divisor;
	return dividend / divisor;
}
#endif

#define SCHED_STR(x)		#x
#define SCHED_XSTR(x)		SCHED_STR(x)
/*
 * The most one charge adds to virtual time, in ns (about 73 minutes): virtual times are
 * compared modulo 2^64, so no single step may come near 2^63.
 */
#define SCHED_RUN_MAX_NS	BIT_ULL(42)

/* The fixed-share split of a period, common to all entities. */
struct sched_split {
	u64 rest_ns;	/* the period less every reservation */
	u32 weights;	/* the weights of the entities without a reservation */
};

/* One entity in the current period under the policy in force. */
struct sched_view {
	u64 used;	/* engine time used */
	u64 prio;	/* served first, by used/prio, while used < prio (<= limit) */
	u64 limit;	/* not picked once used >= limit */
};

static const char * const sched_policy_names[MGPU_SCHED_NR_POLICIES] = {
	[MGPU_SCHED_BEST_EFFORT] = "best_effort",
	[MGPU_SCHED_EQUAL_SHARE] = "equal_share",
	[MGPU_SCHED_FIXED_SHARE] = "fixed_share",
};

/* ---- arithmetic ---- */

/* @a * @num / @den, rounded down, without overflow for @num <= @den. */
static u64 sched_scale(u64 a, u32 num, u32 den)
{
	u32 rem;
	u64 q = div_u64_rem(a, den, &rem);

	return q * num + div_u64((u64)rem * num, den);
}

/* Shift @a and @b right together until both fit in 32 bits. */
static void sched_fit32(u64 *a, u64 *b)
{
	while ((*a | *b) >> 32) {
		*a >>= 1;
		*b >>= 1;
	}
}

/* Compare @ua/@ba with @ub/@bb (@ua < @ba, @ub < @bb): -1, 0 or 1. */
static int sched_ratio_cmp(u64 ua, u64 ba, u64 ub, u64 bb)
{
	u64 l, r;

	sched_fit32(&ua, &ba);
	sched_fit32(&ub, &bb);
	l = ua * bb;
	r = ub * ba;
	return l < r ? -1 : l > r;
}

/* Virtual time @a is before @b, modulo 2^64: a - b is "negative". */
static bool vt_before(u64 a, u64 b)
{
	return (a - b) >> 63;
}

static u32 sched_clamp_weight(u32 weight)
{
	if (!weight)
		return 1;
	return weight > MGPU_SCHED_WEIGHT_MAX ? MGPU_SCHED_WEIGHT_MAX : weight;
}

/* ---- periods and budgets ---- */

static u64 sched_period(const struct mgpu_sched *s)
{
	return s->period_ns ? s->period_ns : MGPU_SCHED_PERIOD_NS;
}

/* @pct percent of a period. */
static u64 sched_pct(const struct mgpu_sched *s, u32 pct)
{
	return sched_scale(sched_period(s), pct < 100 ? pct : 100, 100);
}

static bool sched_period_over(const struct mgpu_sched *s, u64 now)
{
	return now >= s->period_start && now - s->period_start >= sched_period(s);
}

static bool sched_capped(const struct mgpu_sched *s, const struct mgpu_sched_entity *e)
{
	return e->period_used_ns >= sched_pct(s, e->qos.cap);
}

static void sched_split(const struct mgpu_sched *s, struct sched_split *sp)
{
	u32 reserved = 0;
	unsigned int i;

	sp->weights = 0;
	for (i = 0; i < s->nr; i++) {
		const struct mgpu_sched_qos *qos = &s->ents[i]->qos;

		if (qos->reservation)
			reserved += qos->reservation < 100 ? qos->reservation : 100;
		else
			sp->weights += sched_clamp_weight(qos->weight);
	}
	sp->rest_ns = sched_pct(s, reserved < 100 ? 100 - reserved : 0);
}

/* @e's share of the period under fixed share (@e is added). */
static u64 sched_fixed_budget(const struct mgpu_sched *s, const struct mgpu_sched_entity *e,
			      const struct sched_split *sp)
{
	if (e->qos.reservation)
		return sched_pct(s, e->qos.reservation);
	if (!sp->weights)
		return 0;
	return sched_scale(sp->rest_ns, sched_clamp_weight(e->qos.weight), sp->weights);
}

/* See @e in the current period; @fresh: as if a new period had begun. */
static void sched_view(const struct mgpu_sched *s, const struct mgpu_sched_entity *e,
		       const struct sched_split *sp, bool fresh, struct sched_view *v)
{
	v->used = fresh ? 0 : e->period_used_ns;
	v->limit = sched_pct(s, e->qos.cap);
	if (s->policy == MGPU_SCHED_FIXED_SHARE) {
		v->prio = sched_fixed_budget(s, e, sp);
		if (v->limit > v->prio)
			v->limit = v->prio;
	} else {
		v->prio = sched_pct(s, e->qos.reservation);
	}
	if (v->prio > v->limit)
		v->prio = v->limit;
}

/* ---- ordering and virtual time ---- */

/* Whether @a, seen as @va, runs before @b, seen as @vb. */
static bool sched_precedes(const struct mgpu_sched_entity *a, const struct sched_view *va,
			   const struct mgpu_sched_entity *b, const struct sched_view *vb)
{
	bool pa = va->used < va->prio, pb = vb->used < vb->prio;
	int order;

	if (pa != pb)
		return pa;
	if (pa) {
		order = sched_ratio_cmp(va->used, va->prio, vb->used, vb->prio);
		if (order)
			return order < 0;
	}
	return vt_before(a->vruntime, b->vruntime);
}

/* @ns of engine time in @e's virtual time. */
static u64 sched_vtime(const struct mgpu_sched *s, const struct mgpu_sched_entity *e, u64 ns)
{
	u32 weight = MGPU_SCHED_WEIGHT_UNIT;

	if (s->policy != MGPU_SCHED_EQUAL_SHARE)
		weight = sched_clamp_weight(e->qos.weight);
	if (ns > SCHED_RUN_MAX_NS)
		ns = SCHED_RUN_MAX_NS;
	return div_u64(ns * MGPU_SCHED_WEIGHT_UNIT, weight);
}

/* Move @e up to min_vruntime less @credit: time it did not compete earns nothing. */
static void sched_place(struct mgpu_sched *s, struct mgpu_sched_entity *e, u64 credit)
{
	u64 floor = s->min_vruntime - credit;

	if (vt_before(e->vruntime, floor))
		e->vruntime = floor;
}

static void sched_update_min_vruntime(struct mgpu_sched *s)
{
	const struct mgpu_sched_entity *e, *first = NULL;
	unsigned int i;

	for (i = 0; i < s->nr; i++) {
		e = s->ents[i];
		if (!e->runnable || sched_capped(s, e))
			continue;
		if (!first || vt_before(e->vruntime, first->vruntime))
			first = e;
	}
	if (first && vt_before(s->min_vruntime, first->vruntime))
		s->min_vruntime = first->vruntime;
}

static u64 sched_slice_ns(const struct mgpu_sched_entity *e)
{
	return (u64)e->qos.slice_us * 1000;
}

/*
 * At a period start, raise every runnable entity to within two of the longest slices
 * (in virtual time) of the one furthest ahead. In a steady state nobody trails by that
 * much; beyond it is time others got through their reservations, which is not a debt
 * to be repaid in later periods (it would starve them when the reservation goes).
 */
static void sched_limit_lag(struct mgpu_sched *s)
{
	u64 lead = 0, jump = 0, j, floor;
	struct mgpu_sched_entity *e;
	bool any = false;
	unsigned int i;

	for (i = 0; i < s->nr; i++) {
		e = s->ents[i];
		if (!e->runnable)
			continue;
		j = sched_vtime(s, e, sched_slice_ns(e));
		jump = j > jump ? j : jump;
		if (!any || vt_before(lead, e->vruntime))
			lead = e->vruntime;
		any = true;
	}
	floor = lead - 2 * jump;
	for (i = 0; any && i < s->nr; i++) {
		e = s->ents[i];
		if (e->runnable && vt_before(e->vruntime, floor))
			e->vruntime = floor;
	}
	sched_update_min_vruntime(s);
}

/* Start the period containing @now if the current one is over. Return: it did. */
static bool sched_roll(struct mgpu_sched *s, u64 now)
{
	u64 period = sched_period(s);
	unsigned int i;

	if (!sched_period_over(s, now))
		return false;
	s->period_start += div64_u64(now - s->period_start, period) * period;
	for (i = 0; i < s->nr; i++)
		s->ents[i]->period_used_ns = 0;
	sched_limit_lag(s);
	return true;
}

/* ---- entities and knobs ---- */

static bool sched_added(const struct mgpu_sched *s, const struct mgpu_sched_entity *e)
{
	return e && e->index >= 0 && (unsigned int)e->index < s->nr && s->ents[e->index] == e;
}

static int sched_refuse(const char **why, const char *reason, int err)
{
	if (why)
		*why = reason;
	return err;
}

/* What is out of range in @qos, or NULL. */
static const char *sched_qos_range_error(const struct mgpu_sched_qos *qos)
{
	if (qos->weight < 1 || qos->weight > MGPU_SCHED_WEIGHT_MAX)
		return "weight out of range 1.." SCHED_XSTR(MGPU_SCHED_WEIGHT_MAX);
	if (qos->cap < 1 || qos->cap > 100)
		return "cap out of range 1..100%";
	if (qos->reservation > 100)
		return "reservation out of range 0..100%";
	if (qos->reservation > qos->cap)
		return "reservation above the cap";
	if (qos->slice_us < MGPU_SCHED_SLICE_MIN_US || qos->slice_us > MGPU_SCHED_SLICE_MAX_US)
		return "slice out of range " SCHED_XSTR(MGPU_SCHED_SLICE_MIN_US) ".."
		       SCHED_XSTR(MGPU_SCHED_SLICE_MAX_US) " us";
	return NULL;
}

/* Percent reserved by the added entities other than @e. */
static u64 sched_reserved_by_others(const struct mgpu_sched *s,
				    const struct mgpu_sched_entity *e)
{
	u64 sum = 0;
	unsigned int i;

	for (i = 0; i < s->nr; i++)
		if (s->ents[i] != e)
			sum += s->ents[i]->qos.reservation;
	return sum;
}

void mgpu_sched_init(struct mgpu_sched *s, enum mgpu_sched_policy policy, u64 now)
{
	memset(s, 0, sizeof(*s));
	if ((unsigned int)policy < MGPU_SCHED_NR_POLICIES)
		s->policy = policy;
	s->period_ns = MGPU_SCHED_PERIOD_NS;
	s->period_start = now;
}

void mgpu_sched_default_qos(struct mgpu_sched_qos *qos, u32 weight)
{
	qos->weight = sched_clamp_weight(weight);
	qos->cap = 100;
	qos->reservation = 0;
	qos->slice_us = MGPU_SCHED_SLICE_DEFAULT_US;
	qos->interactive = false;
}

int mgpu_sched_check_qos(const struct mgpu_sched *s, const struct mgpu_sched_entity *e,
			 const struct mgpu_sched_qos *qos, const char **why)
{
	const char *bad = sched_qos_range_error(qos);

	if (bad)
		return sched_refuse(why, bad, -EINVAL);
	if (sched_reserved_by_others(s, e) + qos->reservation > 100)
		return sched_refuse(why, "reservations would exceed 100% of the GPU", -ENOSPC);
	return 0;
}

int mgpu_sched_set_qos(struct mgpu_sched *s, struct mgpu_sched_entity *e,
		       const struct mgpu_sched_qos *qos, const char **why)
{
	int ret = mgpu_sched_check_qos(s, e, qos, why);

	if (!ret)
		e->qos = *qos;
	return ret;
}

int mgpu_sched_add(struct mgpu_sched *s, struct mgpu_sched_entity *e,
		   const struct mgpu_sched_qos *qos, const char **why)
{
	int ret;

	if (sched_added(s, e))
		return sched_refuse(why, "already added", -EEXIST);
	if (s->nr >= MGPU_SCHED_MAX)
		return sched_refuse(why, "too many contexts on this GPU (at most "
				    SCHED_XSTR(MGPU_SCHED_MAX) ")", -ENOSPC);
	ret = mgpu_sched_check_qos(s, e, qos, why);
	if (ret)
		return ret;
	memset(e, 0, sizeof(*e));
	e->qos = *qos;
	e->vruntime = s->min_vruntime;
	e->index = s->nr;
	s->ents[s->nr++] = e;
	return 0;
}

void mgpu_sched_remove(struct mgpu_sched *s, struct mgpu_sched_entity *e)
{
	struct mgpu_sched_entity *last;

	if (!sched_added(s, e))
		return;
	last = s->ents[--s->nr];
	s->ents[e->index] = last;
	last->index = e->index;
	s->ents[s->nr] = NULL;
	e->index = -1;
}

int mgpu_sched_set_policy(struct mgpu_sched *s, enum mgpu_sched_policy policy)
{
	if ((unsigned int)policy >= MGPU_SCHED_NR_POLICIES)
		return -EINVAL;
	s->policy = policy;
	return 0;
}

const char *mgpu_sched_policy_name(enum mgpu_sched_policy policy)
{
	if ((unsigned int)policy >= MGPU_SCHED_NR_POLICIES)
		return NULL;
	return sched_policy_names[policy];
}

/* ---- the engine loop: wake, sleep, pick, charge ---- */

/* Whether the just-woken @e runs before @running, in the period containing @now. */
static bool sched_wake_preempts(const struct mgpu_sched *s, const struct mgpu_sched_entity *e,
				const struct mgpu_sched_entity *running, u64 now)
{
	struct sched_view ve, vr;
	struct sched_split sp;

	sched_split(s, &sp);
	sched_view(s, e, &sp, sched_period_over(s, now), &ve);
	sched_view(s, running, &sp, false, &vr);
	return ve.used < ve.limit && sched_precedes(e, &ve, running, &vr);
}

bool mgpu_sched_wake(struct mgpu_sched *s, struct mgpu_sched_entity *e,
		     struct mgpu_sched_entity *running, u64 now)
{
	if (e->runnable)
		return false;
	e->runnable = true;
	if (!e->qos.interactive) {
		sched_place(s, e, 0);
		return false;
	}
	sched_place(s, e, sched_vtime(s, e, sched_slice_ns(e)));
	if (!running || running == e || !sched_added(s, e) || !sched_added(s, running))
		return false;
	return sched_wake_preempts(s, e, running, now);
}

void mgpu_sched_sleep(struct mgpu_sched *s, struct mgpu_sched_entity *e)
{
	e->runnable = false;
	sched_update_min_vruntime(s);
}

/* How long @e, seen as @v, may run: its slice, within the budget it is picked under. */
static u64 sched_slice_left(const struct mgpu_sched_entity *e, const struct sched_view *v)
{
	u64 slice = sched_slice_ns(e);
	u64 left = (v->used < v->prio ? v->prio : v->limit) - v->used;

	return slice < left ? slice : left;
}

/*
 * The first runnable entity below its limit, seen as @best_v; @held: some runnable
 * entity is at its limit.
 */
static struct mgpu_sched_entity *sched_best(struct mgpu_sched *s, struct sched_view *best_v,
					    bool *held)
{
	struct mgpu_sched_entity *e, *best = NULL;
	struct sched_view v;
	struct sched_split sp;
	unsigned int i;

	sched_split(s, &sp);
	for (i = 0; i < s->nr; i++) {
		e = s->ents[i];
		if (!e->runnable)
			continue;
		sched_view(s, e, &sp, false, &v);
		if (v.used >= v.limit) {
			*held = true;
			if (sched_capped(s, e))
				sched_place(s, e, 0);
			continue;
		}
		if (!best || sched_precedes(e, &v, best, best_v)) {
			best = e;
			*best_v = v;
		}
	}
	return best;
}

struct mgpu_sched_entity *mgpu_sched_pick(struct mgpu_sched *s, u64 now, u64 *slice_ns,
					  u64 *wait_ns)
{
	struct mgpu_sched_entity *best;
	struct sched_view v = { 0 };
	bool held = false;

	sched_roll(s, now);
	best = sched_best(s, &v, &held);
	if (slice_ns)
		*slice_ns = best ? sched_slice_left(best, &v) : 0;
	if (wait_ns)
		*wait_ns = !best && held ? s->period_start + sched_period(s) - now : 0;
	return best;
}

void mgpu_sched_charge(struct mgpu_sched *s, struct mgpu_sched_entity *e, u64 ran_ns,
		       bool preempted, u64 now)
{
	u64 in_period = ran_ns;

	if (sched_roll(s, now) && now - s->period_start < in_period)
		in_period = now - s->period_start;
	e->period_used_ns += in_period;
	e->busy_ns += ran_ns;
	s->busy_ns += ran_ns;
	e->slices++;
	if (preempted)
		e->preemptions++;
	e->vruntime += sched_vtime(s, e, ran_ns);
	sched_update_min_vruntime(s);
}
