// SPDX-License-Identifier: GPL-2.0-only
/*
 * mgpu tmem: a full consistency walk of an engine — every page reachable from its hash
 * bucket, its object, its pool and its owner, and every counter equal to what it counts.
 * O(pages + buckets): for tests, fuzzing and a debugfs file, not for hot paths.
 */
#ifdef __KERNEL__
#include <linux/errno.h>
#else
#include <errno.h>
#endif

#include "internal.h"

/**
 * struct tally - what a walk over a client's pages found
 * @pages: entries
 * @zero: zero pages
 * @compressed: compressed copies
 * @bytes: charges
 * @eph_pages: ephemeral entries
 * @eph_bytes: their charges
 */
struct tally {
	u64 pages;
	u64 zero;
	u64 compressed;
	u64 bytes;
	u64 eph_pages;
	u64 eph_bytes;
};

static int check_entry(const struct tmem_engine *eng, const struct tmem_client *c,
		       const struct tmem_entry *e, bool eph, struct tally *t)
{
	const struct tmem_pool *p;

	if (e->owner != c->id || e->obj->pool >= eng->max_pools)
		return -EUCLEAN;
	p = eng->pools[e->obj->pool];
	if (!p || tmem_pool_ephemeral(p) != eph ||
	    tmem_store_lookup(eng, p->slot, e->obj->oid, e->index) != e ||
	    tmem_store_obj(eng, p->slot, e->obj->oid) != e->obj)
		return -EUCLEAN;
	if ((e->len && !e->data) || (!e->len && e->data) || e->len > TMEM_PAGE_SIZE)
		return -EUCLEAN;
	t->pages++;
	t->zero += !e->len;
	t->compressed += e->len && e->len < TMEM_PAGE_SIZE;
	t->bytes += tmem_charge(e->len);
	t->eph_pages += eph;
	t->eph_bytes += eph ? tmem_charge(e->len) : 0;
	return 0;
}

static int walk(const struct tmem_engine *eng, const struct tmem_client *c,
		const struct tmem_list *head, bool eph, struct tally *t)
{
	const struct tmem_list *n;
	int ret;

	for (n = head->next; n != head; n = n->next) {
		ret = check_entry(eng, c, container_of(n, struct tmem_entry, lru), eph, t);
		if (ret)
			return ret;
	}
	return 0;
}

static int check_client(const struct tmem_engine *eng, const struct tmem_client *c)
{
	struct tally t = { 0 };
	u32 i, nr = 0;

	if (walk(eng, c, &c->eph_lru, true, &t) || walk(eng, c, &c->pers, false, &t))
		return -EUCLEAN;
	for (i = 0; i < TMEM_MAX_POOLS; i++)
		nr += !!c->pools[i];
	if (nr != c->nr_pools || tmem_list_empty(&c->active) != !nr)
		return -EUCLEAN;
	if (t.pages != c->stats.pages || t.zero != c->stats.zero_pages ||
	    t.compressed != c->stats.compressed_pages || t.bytes != c->stats.bytes ||
	    t.bytes != c->used || t.eph_pages != c->eph_pages || t.eph_bytes != c->eph_bytes)
		return -EUCLEAN;
	if (c->cap && c->reserve > c->cap)
		return -EUCLEAN;
	return 0;
}

static int check_pool(const struct tmem_engine *eng, const struct tmem_pool *p,
		      u64 *pages)
{
	const struct tmem_list *n, *m;
	u32 i, members = 0;
	u64 nr = 0;

	for (n = p->objs.next; n != &p->objs; n = n->next) {
		const struct tmem_obj *obj = container_of(n, struct tmem_obj, pnode);
		u32 count = 0;

		for (m = obj->pages.next; m != &obj->pages; m = m->next)
			count++;
		if (!count || count != obj->nr || obj->pool != p->slot)
			return -EUCLEAN;
		nr += count;
	}
	for (i = 0; i < eng->max_clients; i++) {
		const struct tmem_client *c = eng->clients[i];
		u32 j;

		for (j = 0; c && j < TMEM_MAX_POOLS; j++)
			members += c->pools[j] == p;
	}
	if (nr != p->stats.pages || !members || members != p->nr_members)
		return -EUCLEAN;
	*pages += nr;
	return 0;
}

static u64 hashed(const struct tmem_list *buckets, u32 nr)
{
	const struct tmem_list *n;
	u64 count = 0;
	u32 i;

	for (i = 0; i < nr; i++)
		for (n = buckets[i].next; n != &buckets[i]; n = n->next)
			count++;
	return count;
}

static int check_totals(const struct tmem_engine *eng)
{
	u64 used = 0, unmet = 0, reserved = 0, weights = 0, pages = 0;
	u32 i, clients = 0;

	for (i = 0; i < eng->max_clients; i++) {
		const struct tmem_client *c = eng->clients[i];

		if (!c)
			continue;
		if (c->id != i || check_client(eng, c))
			return -EUCLEAN;
		clients++;
		used += c->used;
		unmet += tmem_policy_unmet(c, c->used);
		reserved += c->reserve;
		weights += c->nr_pools ? c->weight : 0;
		pages += c->stats.pages;
	}
	if (clients != eng->nr_clients || used != eng->used || unmet != eng->unmet ||
	    reserved != eng->reserved || weights != eng->weight_sum ||
	    pages != eng->nr_pages || eng->used > eng->budget || reserved > eng->budget)
		return -EUCLEAN;
	return 0;
}

/**
 * tmem_engine_check - verify every internal invariant of an engine
 * @eng: the engine
 *
 * Context: the caller serialises calls on @eng.
 * Return: 0 when consistent, -EINVAL for no engine, -EUCLEAN on the first
 * inconsistency found.
 */
int tmem_engine_check(const struct tmem_engine *eng)
{
	u64 pages = 0;
	u32 i, pools = 0;

	if (!eng)
		return -EINVAL;
	if (check_totals(eng))
		return -EUCLEAN;
	for (i = 0; i < eng->max_pools; i++) {
		const struct tmem_pool *p = eng->pools[i];

		if (!p)
			continue;
		if (p->slot != i || check_pool(eng, p, &pages))
			return -EUCLEAN;
		pools++;
	}
	if (pools != eng->nr_pools || pages != eng->nr_pages ||
	    hashed(eng->page_hash, eng->hash_mask + 1) != eng->nr_pages)
		return -EUCLEAN;
	return 0;
}
