// SPDX-License-Identifier: GPL-2.0-only
/*
 * mgpu tmem: capacity. The budget is shared by weight among the clients with a pool
 * open; a client's share is budget * weight / (sum of active weights), never below its
 * reserve. Reserves are promised up front: the budget a client has reserved but not yet
 * used ("unmet") is held back from every other client's puts.
 *
 * A put that does not fit makes room by evicting ephemeral pages, one at a time, each
 * time the least recently used page of the client most over its share (the putting
 * client's excess counts the page it is putting; ties go to the older page). A victim's
 * owner never drops below its reserve. When no client is over its share, the putting
 * client may replace its own oldest ephemeral page. If nothing can be evicted the put is
 * refused: persistent pages are never evicted. Every eviction frees at least
 * TMEM_ZERO_CHARGE bytes without raising the unmet reserve, so the loop ends.
 */
#ifdef __KERNEL__
#include <linux/errno.h>
#include <linux/math64.h>
#else
#include <errno.h>
#endif

#include "internal.h"

static u64 tmem_div(u64 a, u64 b)
{
#ifdef __KERNEL__
	return div64_u64(a, b);
#else
	return a / b;
#endif
}

/**
 * tmem_policy_share - a client's weighted share of the budget now
 * @eng: the engine
 * @c: the client
 *
 * Return: the share in bytes, at least the client's reserve.
 */
u64 tmem_policy_share(const struct tmem_engine *eng, const struct tmem_client *c)
{
	u64 share = 0;

	if (c->nr_pools && eng->weight_sum)
		share = tmem_div(eng->budget * c->weight, eng->weight_sum);
	return share > c->reserve ? share : c->reserve;
}

/**
 * tmem_policy_unmet - reserve a client would still be owed at a given usage
 * @c: the client
 * @used: bytes charged to it
 *
 * Return: bytes of its reserve above @used.
 */
u64 tmem_policy_unmet(const struct tmem_client *c, u64 used)
{
	return used < c->reserve ? c->reserve - used : 0;
}

/**
 * tmem_policy_charge - charge bytes of budget to a client
 * @eng: the engine
 * @c: the client
 * @bytes: the charge
 */
void tmem_policy_charge(struct tmem_engine *eng, struct tmem_client *c, u64 bytes)
{
	eng->unmet -= tmem_policy_unmet(c, c->used);
	c->used += bytes;
	eng->used += bytes;
	eng->unmet += tmem_policy_unmet(c, c->used);
}

/**
 * tmem_policy_uncharge - give back bytes of budget charged to a client
 * @eng: the engine
 * @c: the client
 * @bytes: the charge, as charged
 */
void tmem_policy_uncharge(struct tmem_engine *eng, struct tmem_client *c, u64 bytes)
{
	eng->unmet -= tmem_policy_unmet(c, c->used);
	c->used -= bytes;
	eng->used -= bytes;
	eng->unmet += tmem_policy_unmet(c, c->used);
}

/* @bytes more for @c fits in the budget and leaves every other reserve intact. */
static bool fits(const struct tmem_engine *eng, const struct tmem_client *c, u64 bytes)
{
	u64 unmet = eng->unmet - tmem_policy_unmet(c, c->used) +
		    tmem_policy_unmet(c, c->used + bytes);

	return eng->used + bytes + unmet <= eng->budget;
}

static struct tmem_entry *oldest(const struct tmem_client *c)
{
	if (tmem_list_empty(&c->eph_lru))
		return NULL;
	return tmem_list_first(&c->eph_lru, struct tmem_entry, lru);
}

/* @c's oldest ephemeral page if dropping it keeps @c (holding @extra more) at its reserve */
static struct tmem_entry *evictable(const struct tmem_client *c, u64 extra)
{
	struct tmem_entry *e = oldest(c);

	if (!e || c->used + extra - tmem_charge(e->len) < c->reserve)
		return NULL;
	return e;
}

/* Whether a (holding @ha, share @sa) is further over its share than b, without signs. */
static bool more_over(u64 ha, u64 sa, u64 hb, u64 sb)
{
	return ha + sb > hb + sa;
}

/**
 * struct victim - the best eviction candidate so far
 * @e: its page, NULL while there is none
 * @hold: its owner's usage (with the put counted for the putting client)
 * @share: its owner's share
 */
struct victim {
	struct tmem_entry *e;
	u64 hold;
	u64 share;
};

static void consider(struct victim *v, struct tmem_entry *e, u64 hold, u64 share)
{
	if (v->e) {
		if (more_over(v->hold, v->share, hold, share))
			return;
		if (!more_over(hold, share, v->hold, v->share) && v->e->stamp <= e->stamp)
			return;
	}
	v->e = e;
	v->hold = hold;
	v->share = share;
}

/*
 * The page to evict for @req putting @bytes (@req NULL: for the shrinker), from the
 * client most over its share; @any also considers clients at or under their share.
 */
static struct tmem_entry *pick_victim(const struct tmem_engine *eng,
				      const struct tmem_client *req, u64 bytes, bool any)
{
	struct victim v = { NULL, 0, 0 };
	struct tmem_list *n;

	for (n = eng->active.next; n != &eng->active; n = n->next) {
		struct tmem_client *c = container_of(n, struct tmem_client, active);
		u64 extra = c == req ? bytes : 0;
		u64 share = tmem_policy_share(eng, c);
		struct tmem_entry *e;

		if (!any && c->used + extra <= share)
			continue;
		e = evictable(c, extra);
		if (e)
			consider(&v, e, c->used + extra, share);
	}
	return v.e;
}

static void evict(struct tmem_engine *eng, struct tmem_entry *e)
{
	tmem_entry_owner(eng, e)->stats.evictions++;
	tmem_entry_pool(eng, e)->stats.evictions++;
	tmem_store_drop(eng, e);
}

/* A client at its cap makes room from its own ephemeral pages, oldest first. */
static int cap_room(struct tmem_engine *eng, struct tmem_client *c, u64 bytes)
{
	while (c->cap && c->used + bytes > c->cap) {
		struct tmem_entry *e = oldest(c);

		if (!e)
			return -ENOSPC;
		evict(eng, e);
	}
	return 0;
}

/**
 * tmem_policy_make_room - evict until a put of @bytes by @c fits, or refuse it
 * @eng: the engine
 * @c: the putting client
 * @bytes: the put's charge
 *
 * Ephemeral pages may be evicted even when the put is refused in the end.
 *
 * Return: 0 when the put fits now, -ENOSPC when it cannot.
 */
int tmem_policy_make_room(struct tmem_engine *eng, struct tmem_client *c, u64 bytes)
{
	int ret = cap_room(eng, c, bytes);

	if (ret)
		return ret;
	while (!fits(eng, c, bytes)) {
		struct tmem_entry *e = pick_victim(eng, c, bytes, false);

		if (!e)
			e = evictable(c, bytes);
		if (!e)
			return -ENOSPC;
		evict(eng, e);
	}
	return 0;
}

/**
 * tmem_engine_shrink - drop ephemeral pages for the host shrinker
 * @eng: the engine
 * @nr: most pages to drop
 *
 * Pages go least recently used first from the client most over its share (or least
 * under it); no client is taken below its reserve and persistent pages stay.
 *
 * Context: the caller serialises calls on @eng.
 * Return: pages dropped.
 */
u64 tmem_engine_shrink(struct tmem_engine *eng, u64 nr)
{
	u64 freed = 0;

	if (!eng)
		return 0;
	while (freed < nr) {
		struct tmem_entry *e = pick_victim(eng, NULL, 0, true);

		if (!e)
			break;
		evict(eng, e);
		freed++;
	}
	return freed;
}

/**
 * tmem_engine_count - ephemeral pages tmem_engine_shrink() could drop now
 * @eng: the engine
 *
 * Exact when every ephemeral page above a reserve is a raw page; otherwise a lower
 * bound (a client near its reserve is counted as if each page freed a whole page).
 *
 * Context: the caller serialises calls on @eng.
 * Return: the count.
 */
u64 tmem_engine_count(const struct tmem_engine *eng)
{
	const struct tmem_list *n;
	u64 count = 0;

	if (!eng)
		return 0;
	for (n = eng->active.next; n != &eng->active; n = n->next) {
		const struct tmem_client *c = container_of(n, struct tmem_client, active);
		u64 spare = c->used > c->reserve ? c->used - c->reserve : 0;

		if (c->used - c->eph_bytes >= c->reserve)
			count += c->eph_pages;
		else if (spare / TMEM_PAGE_SIZE < c->eph_pages)
			count += spare / TMEM_PAGE_SIZE;
		else
			count += c->eph_pages;
	}
	return count;
}

/**
 * tmem_engine_writeback_hint - persistent pages a client should write back
 * @eng: the engine
 * @client: the client id
 * @pages: set to the number of its persistent pages (oldest first is the guest's
 *	choice) it should move to its own backing store, 0 when none
 *
 * Nonzero only under pressure (less than a page of budget left beyond the unmet
 * reserves) and only for a client over its share by more than its own ephemeral pages,
 * which go first. The transport forwards the number as a write-back request; the engine
 * itself never drops a persistent page.
 *
 * Context: the caller serialises calls on @eng.
 * Return: 0, -EINVAL or -ENOENT for a bad @client.
 */
int tmem_engine_writeback_hint(const struct tmem_engine *eng, u32 client, u64 *pages)
{
	const struct tmem_client *c;
	u64 share, over;
	int ret;

	if (!pages)
		return -EINVAL;
	*pages = 0;
	c = tmem_client_get(eng, client, &ret);
	if (!c)
		return ret;
	if (eng->used + eng->unmet + TMEM_PAGE_SIZE <= eng->budget)
		return 0;
	share = tmem_policy_share(eng, c);
	if (c->used <= share + c->eph_bytes)
		return 0;
	over = c->used - share - c->eph_bytes;
	*pages = (over + TMEM_PAGE_SIZE - 1) / TMEM_PAGE_SIZE;
	return 0;
}
