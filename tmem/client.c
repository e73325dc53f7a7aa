// SPDX-License-Identifier: GPL-2.0-only
/*
 * mgpu tmem: clients and their administration — weights, caps, reserves, freezing,
 * shared-pool authorisation — and the statistics queries. The admin API speaks in pages
 * of budget (TMEM_PAGE_SIZE bytes each); the engine keeps bytes.
 */
#ifdef __KERNEL__
#include <linux/errno.h>
#include <linux/string.h>
#else
#include <errno.h>
#include <string.h>
#endif

#include "internal.h"

/**
 * tmem_client_get - a client by id
 * @eng: the engine (may be NULL)
 * @client: the client id
 * @err: set to -EINVAL (no engine, id out of range) or -ENOENT (free id) on failure
 *
 * Return: the client, or NULL.
 */
struct tmem_client *tmem_client_get(const struct tmem_engine *eng, u32 client, int *err)
{
	if (!eng || client >= eng->max_clients) {
		*err = -EINVAL;
		return NULL;
	}
	if (!eng->clients[client]) {
		*err = -ENOENT;
		return NULL;
	}
	return eng->clients[client];
}

/**
 * tmem_engine_client_new - add a client
 * @eng: the engine
 * @weight: its weight, TMEM_WEIGHT_MIN..TMEM_WEIGHT_MAX
 *
 * The client starts with no cap, no reserve, not frozen and no pool.
 *
 * Context: the caller serialises calls on @eng.
 * Return: the client id (>= 0), -EINVAL, -ENOSPC (all ids in use) or -ENOMEM.
 */
int tmem_engine_client_new(struct tmem_engine *eng, u32 weight)
{
	struct tmem_client *c;
	u32 id;

	if (!eng || weight < TMEM_WEIGHT_MIN || weight > TMEM_WEIGHT_MAX)
		return -EINVAL;
	for (id = 0; id < eng->max_clients && eng->clients[id]; id++)
		;
	if (id == eng->max_clients)
		return -ENOSPC;
	c = eng->ops->obj_alloc(eng->priv, sizeof(*c));
	if (!c)
		return -ENOMEM;
	memset(c, 0, sizeof(*c));
	tmem_list_init(&c->active);
	tmem_list_init(&c->eph_lru);
	tmem_list_init(&c->pers);
	c->weight = weight;
	c->id = id;
	eng->clients[id] = c;
	eng->nr_clients++;
	return id;
}

static void drop_all(struct tmem_engine *eng, struct tmem_list *head)
{
	while (!tmem_list_empty(head))
		tmem_store_drop(eng, tmem_list_first(head, struct tmem_entry, lru));
}

/**
 * tmem_engine_client_destroy - remove a client with all its pools and pages
 * @eng: the engine
 * @client: the client id
 *
 * Its pages in shared pools go too; the other members' pages there stay. Its reserve
 * and weight stop counting. The id may be reused by the next tmem_engine_client_new().
 *
 * Context: the caller serialises calls on @eng.
 * Return: 0, -EINVAL or -ENOENT.
 */
int tmem_engine_client_destroy(struct tmem_engine *eng, u32 client)
{
	struct tmem_client *c;
	u32 i;
	int ret;

	c = tmem_client_get(eng, client, &ret);
	if (!c)
		return ret;
	drop_all(eng, &c->eph_lru);
	drop_all(eng, &c->pers);
	for (i = 0; i < TMEM_MAX_POOLS; i++)
		if (c->pools[i])
			tmem_leave_pool(eng, c, i);
	eng->unmet -= tmem_policy_unmet(c, c->used);
	eng->reserved -= c->reserve;
	eng->clients[client] = NULL;
	eng->nr_clients--;
	tmem_free_obj(eng, c, sizeof(*c));
	return 0;
}

/**
 * tmem_engine_set_weight - change a client's weight
 * @eng: the engine
 * @client: the client id
 * @weight: TMEM_WEIGHT_MIN..TMEM_WEIGHT_MAX
 *
 * Shares change at once; pages over the new share go at the next pressure.
 *
 * Context: the caller serialises calls on @eng.
 * Return: 0, -EINVAL or -ENOENT.
 */
int tmem_engine_set_weight(struct tmem_engine *eng, u32 client, u32 weight)
{
	struct tmem_client *c;
	int ret;

	c = tmem_client_get(eng, client, &ret);
	if (!c)
		return ret;
	if (weight < TMEM_WEIGHT_MIN || weight > TMEM_WEIGHT_MAX)
		return -EINVAL;
	if (c->nr_pools)
		eng->weight_sum = eng->weight_sum - c->weight + weight;
	c->weight = weight;
	return 0;
}

/**
 * tmem_engine_set_cap - change a client's cap
 * @eng: the engine
 * @client: the client id
 * @pages: most pages of budget it may use, 0 for no cap; not below its reserve
 *
 * Pages already stored stay; puts beyond the cap evict the client's own ephemeral pages
 * or fail.
 *
 * Context: the caller serialises calls on @eng.
 * Return: 0, -EINVAL or -ENOENT.
 */
int tmem_engine_set_cap(struct tmem_engine *eng, u32 client, u64 pages)
{
	struct tmem_client *c;
	int ret;

	c = tmem_client_get(eng, client, &ret);
	if (!c)
		return ret;
	if (pages > TMEM_MAX_TOTAL_PAGES ||
	    (pages && pages * TMEM_PAGE_SIZE < c->reserve))
		return -EINVAL;
	c->cap = pages * TMEM_PAGE_SIZE;
	return 0;
}

/**
 * tmem_engine_set_reserve - change a client's guaranteed floor
 * @eng: the engine
 * @client: the client id
 * @pages: pages of budget guaranteed to it; not above its cap
 *
 * From now on other clients' puts leave room for the reserve and evictions never take
 * the client below it. Budget already used by others' persistent pages becomes
 * available to it only as they flush them (tmem_engine_writeback_hint() asks them to).
 *
 * Context: the caller serialises calls on @eng.
 * Return: 0, -EINVAL, -ENOENT, or -ENOSPC when the reserves would exceed the budget.
 */
int tmem_engine_set_reserve(struct tmem_engine *eng, u32 client, u64 pages)
{
	struct tmem_client *c;
	u64 bytes;
	int ret;

	c = tmem_client_get(eng, client, &ret);
	if (!c)
		return ret;
	if (pages > TMEM_MAX_TOTAL_PAGES)
		return -EINVAL;
	bytes = pages * TMEM_PAGE_SIZE;
	if (c->cap && bytes > c->cap)
		return -EINVAL;
	if (eng->reserved - c->reserve + bytes > eng->budget)
		return -ENOSPC;
	eng->unmet -= tmem_policy_unmet(c, c->used);
	eng->reserved = eng->reserved - c->reserve + bytes;
	c->reserve = bytes;
	eng->unmet += tmem_policy_unmet(c, c->used);
	return 0;
}

/**
 * tmem_engine_set_frozen - freeze or thaw a client
 * @eng: the engine
 * @client: the client id
 * @frozen: true: its puts fail with -EBUSY (gets and flushes still work)
 *
 * Context: the caller serialises calls on @eng.
 * Return: 0, -EINVAL or -ENOENT.
 */
int tmem_engine_set_frozen(struct tmem_engine *eng, u32 client, bool frozen)
{
	struct tmem_client *c;
	int ret;

	c = tmem_client_get(eng, client, &ret);
	if (!c)
		return ret;
	c->frozen = frozen;
	return 0;
}

static int auth_index(const struct tmem_client *c, const u8 *uuid)
{
	u32 i;

	for (i = 0; i < c->nr_auth; i++)
		if (!memcmp(c->auth[i], uuid, TMEM_UUID_SIZE))
			return i;
	return -ENOENT;
}

/**
 * tmem_engine_authorise - let a client join the shared pool of a UUID
 * @eng: the engine
 * @client: the client id
 * @uuid: TMEM_UUID_SIZE bytes
 *
 * Context: the caller serialises calls on @eng.
 * Return: 0 (also when already authorised), -EINVAL, -ENOENT, or -ENOSPC when the
 * client already has TMEM_MAX_AUTH authorisations.
 */
int tmem_engine_authorise(struct tmem_engine *eng, u32 client, const u8 *uuid)
{
	struct tmem_client *c;
	int ret;

	c = tmem_client_get(eng, client, &ret);
	if (!c)
		return ret;
	if (!uuid)
		return -EINVAL;
	if (auth_index(c, uuid) >= 0)
		return 0;
	if (c->nr_auth == TMEM_MAX_AUTH)
		return -ENOSPC;
	memcpy(c->auth[c->nr_auth++], uuid, TMEM_UUID_SIZE);
	return 0;
}

/**
 * tmem_engine_deauthorise - revoke a client's authorisation for a UUID
 * @eng: the engine
 * @client: the client id
 * @uuid: TMEM_UUID_SIZE bytes
 *
 * A client that has the pool open leaves it at once, with its pages; its pool id then
 * answers -ENOENT.
 *
 * Context: the caller serialises calls on @eng.
 * Return: 0, -EINVAL, or -ENOENT (no such client or authorisation).
 */
int tmem_engine_deauthorise(struct tmem_engine *eng, u32 client, const u8 *uuid)
{
	struct tmem_client *c;
	int i, ret;

	c = tmem_client_get(eng, client, &ret);
	if (!c)
		return ret;
	if (!uuid)
		return -EINVAL;
	i = auth_index(c, uuid);
	if (i < 0)
		return i;
	memcpy(c->auth[i], c->auth[--c->nr_auth], TMEM_UUID_SIZE);
	memset(c->auth[c->nr_auth], 0, TMEM_UUID_SIZE);
	for (i = 0; i < TMEM_MAX_POOLS; i++) {
		struct tmem_pool *p = c->pools[i];

		if (p && (p->flags & TMEM_POOL_SHARED) &&
		    !memcmp(p->uuid, uuid, TMEM_UUID_SIZE))
			tmem_leave_pool(eng, c, i);
	}
	return 0;
}

/**
 * tmem_engine_client_info - a client's settings, state and counters
 * @eng: the engine
 * @client: the client id
 * @info: filled in
 *
 * Context: the caller serialises calls on @eng.
 * Return: 0, -EINVAL or -ENOENT.
 */
int tmem_engine_client_info(const struct tmem_engine *eng, u32 client,
			    struct tmem_client_info *info)
{
	const struct tmem_client *c;
	int ret;

	c = tmem_client_get(eng, client, &ret);
	if (!c)
		return ret;
	if (!info)
		return -EINVAL;
	memset(info, 0, sizeof(*info));
	info->stats = c->stats;
	info->weight = c->weight;
	info->cap_pages = c->cap / TMEM_PAGE_SIZE;
	info->reserve_pages = c->reserve / TMEM_PAGE_SIZE;
	info->share_bytes = tmem_policy_share(eng, c);
	info->nr_pools = c->nr_pools;
	info->frozen = c->frozen;
	return tmem_engine_writeback_hint(eng, client, &info->writeback_pages);
}

/**
 * tmem_engine_pool_info - a pool's kind, membership and counters
 * @eng: the engine
 * @client: the client id
 * @pool: the client's pool id
 * @info: filled in
 *
 * Context: the caller serialises calls on @eng.
 * Return: 0, -EINVAL or -ENOENT.
 */
int tmem_engine_pool_info(const struct tmem_engine *eng, u32 client, u32 pool,
			  struct tmem_pool_info *info)
{
	const struct tmem_client *c;
	const struct tmem_pool *p;
	int ret;

	c = tmem_client_get(eng, client, &ret);
	if (!c)
		return ret;
	if (pool >= TMEM_MAX_POOLS || !info)
		return -EINVAL;
	p = c->pools[pool];
	if (!p)
		return -ENOENT;
	memset(info, 0, sizeof(*info));
	info->stats = p->stats;
	info->flags = p->flags;
	info->nr_clients = p->nr_members;
	memcpy(info->uuid, p->uuid, TMEM_UUID_SIZE);
	return 0;
}

/**
 * tmem_engine_info - the engine's totals
 * @eng: the engine
 * @info: filled in (zeroed when @eng is NULL)
 *
 * Context: the caller serialises calls on @eng.
 */
void tmem_engine_info(const struct tmem_engine *eng, struct tmem_engine_info *info)
{
	if (!info)
		return;
	memset(info, 0, sizeof(*info));
	if (!eng)
		return;
	info->budget_bytes = eng->budget;
	info->used_bytes = eng->used;
	info->reserved_bytes = eng->reserved;
	info->unmet_reserve_bytes = eng->unmet;
	info->pages = eng->nr_pages;
	info->reclaimable = tmem_engine_count(eng);
	info->weight_sum = eng->weight_sum;
	info->nr_clients = eng->nr_clients;
	info->nr_pools = eng->nr_pools;
}
