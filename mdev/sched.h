/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * mgpu: the time-slice scheduler of one GPU's engine — which context runs next and for
 * how long, under the GPU's policy and each context's QoS. Pure logic with no kernel
 * dependency and no clock of its own (the caller passes the time), so the host-tier
 * tests drive it with a simulated clock.
 *
 * Policies:
 *  - best effort: weighted fair and work conserving. Each runnable entity's virtual
 *    time advances by ran_ns * MGPU_SCHED_WEIGHT_UNIT / weight; the smallest runs next.
 *    An entity that has used its cap in the current period waits for the next period;
 *    one below its reservation in the current period is served before the others.
 *  - equal share: best effort with every weight taken as equal.
 *  - fixed share: each entity owns share = reservation if set, else its weight's part
 *    (among all entities without a reservation, busy or idle) of what the reservations
 *    leave, of every period; an idle entity's share is not handed out (the engine
 *    idles) and nobody runs past its share.
 * An interactive entity that wakes is placed at the smallest virtual time minus one of
 * its slices and, if it then precedes the running entity, preempts it at the next
 * step boundary: its wait is bounded by one step plus at most one slice.
 *
 * The caller serialises all calls on one struct mgpu_sched.
 */
#ifndef MGPU_SCHED_H
#define MGPU_SCHED_H

#include "cfgspace.h"	/* u8..u64 in both worlds */
#ifndef __KERNEL__
#include <stdbool.h>
#endif

#define MGPU_SCHED_MAX			256	/* entities on one GPU */
#define MGPU_SCHED_PERIOD_NS		100000000ULL	/* caps, reservations, fixed share */
#define MGPU_SCHED_WEIGHT_UNIT		1024
#define MGPU_SCHED_WEIGHT_MAX		10000
#define MGPU_SCHED_SLICE_MIN_US		1000
#define MGPU_SCHED_SLICE_MAX_US		30000
#define MGPU_SCHED_SLICE_DEFAULT_US	5000

enum mgpu_sched_policy {
	MGPU_SCHED_BEST_EFFORT,
	MGPU_SCHED_EQUAL_SHARE,
	MGPU_SCHED_FIXED_SHARE,
	MGPU_SCHED_NR_POLICIES,
};

/**
 * struct mgpu_sched_qos - one entity's QoS knobs
 * @weight: relative share, 1..MGPU_SCHED_WEIGHT_MAX
 * @cap: maximum share of each period, percent, 1..100 (100: no cap)
 * @reservation: guaranteed share of each period, percent, 0..100 (<= @cap)
 * @slice_us: time slice, MGPU_SCHED_SLICE_MIN_US..MGPU_SCHED_SLICE_MAX_US
 * @interactive: latency class: wakes preempt (see the file comment)
 */
struct mgpu_sched_qos {
	u32 weight;
	u32 cap;
	u32 reservation;
	u32 slice_us;
	bool interactive;
};

/**
 * struct mgpu_sched_entity - one context as the scheduler sees it
 * @qos: its knobs (change them only through mgpu_sched_set_qos())
 * @runnable: it has work (set through mgpu_sched_wake()/mgpu_sched_sleep())
 * @vruntime: virtual time (best effort, equal share)
 * @period_used_ns: engine time used in the current period
 * @busy_ns: engine time charged, ever
 * @slices: slices run
 * @preemptions: slices cut short by another entity's wake
 * @index: its slot in struct mgpu_sched, or -1 when not added
 */
struct mgpu_sched_entity {
	struct mgpu_sched_qos qos;
	bool runnable;
	u64 vruntime;
	u64 period_used_ns;
	u64 busy_ns;
	u64 slices;
	u64 preemptions;
	int index;
};

/**
 * struct mgpu_sched - one GPU's scheduler
 * @policy: the policy in force
 * @period_ns: length of the accounting period
 * @period_start: when the current period began
 * @nr: entities added
 * @ents: the entities, @nr of them, in no particular order
 * @min_vruntime: the smallest virtual time among runnable entities (monotonic)
 * @busy_ns: engine time charged to any entity, ever
 */
struct mgpu_sched {
	enum mgpu_sched_policy policy;
	u64 period_ns;
	u64 period_start;
	unsigned int nr;
	struct mgpu_sched_entity *ents[MGPU_SCHED_MAX];
	u64 min_vruntime;
	u64 busy_ns;
};

/**
 * mgpu_sched_init - an empty scheduler under @policy
 * @s: the scheduler
 * @policy: the first policy
 * @now: the current time, ns
 */
void mgpu_sched_init(struct mgpu_sched *s, enum mgpu_sched_policy policy, u64 now);

/**
 * mgpu_sched_default_qos - the QoS an entity starts with
 * @qos: filled in
 * @weight: its default weight (the caller derives it from the type), clamped to range
 *
 * No cap, no reservation, a 5 ms slice, not interactive.
 */
void mgpu_sched_default_qos(struct mgpu_sched_qos *qos, u32 weight);

/**
 * mgpu_sched_check_qos - whether @qos is acceptable for @e on @s
 * @s: the scheduler
 * @e: the entity (added or not)
 * @qos: the proposed knobs
 * @why: set to a reason a person can act on when refused
 *
 * Return: 0, -EINVAL for a value out of range or a cap below the reservation, or
 * -ENOSPC when the reservations of all entities would exceed 100%.
 */
int mgpu_sched_check_qos(const struct mgpu_sched *s, const struct mgpu_sched_entity *e,
			 const struct mgpu_sched_qos *qos, const char **why);

/**
 * mgpu_sched_set_qos - change @e's knobs, effective at once
 * @s: the scheduler
 * @e: the entity
 * @qos: the new knobs
 * @why: set to a reason when refused
 *
 * Return: 0 or mgpu_sched_check_qos()'s error (nothing changed).
 */
int mgpu_sched_set_qos(struct mgpu_sched *s, struct mgpu_sched_entity *e,
		       const struct mgpu_sched_qos *qos, const char **why);

/**
 * mgpu_sched_add - add an entity (not runnable) with @qos
 * @s: the scheduler
 * @e: the entity
 * @qos: its knobs
 * @why: set to a reason when refused
 *
 * Return: 0, mgpu_sched_check_qos()'s error, -ENOSPC when MGPU_SCHED_MAX are added, or
 * -EEXIST when @e is already added.
 */
int mgpu_sched_add(struct mgpu_sched *s, struct mgpu_sched_entity *e,
		   const struct mgpu_sched_qos *qos, const char **why);

/**
 * mgpu_sched_remove - remove an added entity
 * @s: the scheduler
 * @e: the entity
 */
void mgpu_sched_remove(struct mgpu_sched *s, struct mgpu_sched_entity *e);

/**
 * mgpu_sched_set_policy - change the policy, effective at the next pick
 * @s: the scheduler
 * @policy: the new policy
 *
 * Return: 0, or -EINVAL for an unknown policy.
 */
int mgpu_sched_set_policy(struct mgpu_sched *s, enum mgpu_sched_policy policy);

/**
 * mgpu_sched_policy_name - "best_effort", "equal_share" or "fixed_share"
 * @policy: the policy
 *
 * Return: its name, or NULL for an unknown policy.
 */
const char *mgpu_sched_policy_name(enum mgpu_sched_policy policy);

/**
 * mgpu_sched_wake - @e has work
 * @s: the scheduler
 * @e: the entity
 * @running: the entity running now, or NULL
 * @now: the current time
 *
 * Return: true if @e should preempt @running at the next step boundary.
 */
bool mgpu_sched_wake(struct mgpu_sched *s, struct mgpu_sched_entity *e,
		     struct mgpu_sched_entity *running, u64 now);

/**
 * mgpu_sched_sleep - @e has no more work
 * @s: the scheduler
 * @e: the entity
 */
void mgpu_sched_sleep(struct mgpu_sched *s, struct mgpu_sched_entity *e);

/**
 * mgpu_sched_pick - the entity to run next
 * @s: the scheduler
 * @now: the current time
 * @slice_ns: set to how long it may run
 * @wait_ns: when NULL is returned with runnable entities present (all capped or out
 *	of their fixed share), set to the time until the next period; else 0
 *
 * Return: a runnable entity, or NULL.
 */
struct mgpu_sched_entity *mgpu_sched_pick(struct mgpu_sched *s, u64 now, u64 *slice_ns,
					  u64 *wait_ns);

/**
 * mgpu_sched_charge - @e ran for @ran_ns
 * @s: the scheduler
 * @e: the entity
 * @ran_ns: engine time it used
 * @preempted: its slice was cut short by another entity's wake
 * @now: the current time
 */
void mgpu_sched_charge(struct mgpu_sched *s, struct mgpu_sched_entity *e, u64 ran_ns,
		       bool preempted, u64 now);

#endif /* MGPU_SCHED_H */
