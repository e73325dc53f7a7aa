// SPDX-License-Identifier: GPL-2.0-only
/*
 * mgpu tmem: the pool engine — pools of pages with frontswap/cleancache semantics,
 * shared by several clients under one budget. Pure logic, no lock, no allocator of its
 * own: the environment comes in struct tmem_engine_ops, and the caller serialises every
 * call on one engine.
 *
 * Clients and pools. A client (one per guest device or host-local user; its id is a
 * small integer the engine picks and reuses after destruction) has a weight
 * (1..10000), a cap (pages of budget, 0 = none), a reserve (pages of budget guaranteed
 * to it) and a frozen flag (puts fail with -EBUSY; gets and flushes still work). It
 * opens up to TMEM_MAX_POOLS pools; the pool id is its index in the client's table:
 *  - persistent (private): a put may be refused, but an accepted page stays until it is
 *    flushed or its pool or client goes away; the engine never drops one. Gets leave it.
 *  - ephemeral private: the engine may drop pages at any time; a get is exclusive (a
 *    hit removes the page, as the guest now holds the only copy).
 *  - ephemeral shared: joined by UUID, and only by a client the admin authorised for
 *    that UUID (-EPERM otherwise); the first join creates it, the last leave frees it.
 *    Gets are not exclusive (a hit makes the page most recently used); a flush by any
 *    member removes the page for all. Each page is charged to, and may be evicted from,
 *    the client that put it; a client leaving the pool takes its pages with it.
 *    Revoking the authorisation makes the client leave.
 *
 * Coherency. A put to a key that holds a page first removes the old page, then stores
 * the new one: if the new put fails for any reason (-EBUSY, -ENOSPC, -ENOMEM, -EINVAL
 * for a bad buffer) the key is left empty, never holding stale data. A failed get
 * leaves nothing behind, so gets fail until the next put. A page whose decompression
 * fails is removed and the get returns the error (-EIO at least).
 *
 * Capacity (policy.c). The budget is total_pages * TMEM_PAGE_SIZE bytes. A raw page
 * costs TMEM_PAGE_SIZE, a compressed copy its length rounded up to TMEM_CHARGE_ALIGN,
 * a zero page TMEM_ZERO_CHARGE (its metadata: no page is kept, but a guest cannot
 * store unbounded zero pages for free). Caps, reserves and shares are in these bytes;
 * the admin API speaks in pages of budget. A put beyond the client's cap evicts the
 * client's own oldest ephemeral pages, or fails with -ENOSPC when it has none. A put
 * beyond the budget evicts ephemeral pages from the clients most over their weighted
 * share, never taking a client below its reserve, and fails with -ENOSPC when nothing
 * can be evicted. Reserves are admitted only while they sum to at most the budget.
 * Weights count only while their client has a pool open. The host shrinker drops
 * ephemeral pages in the same order and also respects reserves. Under pressure a client
 * over its share by more than its own ephemeral pages is asked to write persistent pages
 * back (tmem_engine_writeback_hint()); the engine itself never drops them.
 *
 * Compression (optional, through the ops) keeps a copy of at most compress_max bytes in
 * a small object, else the raw page. Zero pages keep no data. There is no content
 * deduplication, within or across clients. Freed memory is zeroed before it goes back
 * to the ops allocator (store.c), so nothing is reused unscrubbed.
 *
 * Hostile input: every entry point checks its ids, pointers, lengths and flags and
 * returns -EINVAL (malformed), -ENOENT (no such client, pool or page), -ENOSPC, -EBUSY,
 * -EPERM, -EEXIST or -ENOMEM; nothing asserts on what a caller passes.
 */
#ifdef __KERNEL__
#include <linux/errno.h>
#include <linux/string.h>
#else
#include <errno.h>
#include <string.h>
#endif

#include "internal.h"

/* ---- the engine ------------------------------------------------------------------ */

static int check_params(const struct tmem_engine_params *prm,
			const struct tmem_engine_ops *ops)
{
	if (!ops->page_alloc || !ops->page_free || !ops->obj_alloc || !ops->obj_free)
		return -EINVAL;
	if (!ops->compress != !ops->decompress)
		return -EINVAL;
	if (!prm->total_pages || prm->total_pages > TMEM_MAX_TOTAL_PAGES)
		return -EINVAL;
	if (!prm->max_clients || prm->max_clients > TMEM_MAX_CLIENTS)
		return -EINVAL;
	if (!prm->max_pools || prm->max_pools > TMEM_MAX_GLOBAL_POOLS)
		return -EINVAL;
	if (prm->hash_buckets > TMEM_MAX_BUCKETS ||
	    (prm->hash_buckets & (prm->hash_buckets - 1)))
		return -EINVAL;
	if (prm->compress_max >= TMEM_PAGE_SIZE)
		return -EINVAL;
	return 0;
}

/* The engine's own memory: tmem_free_obj() would zero @eng->ops before using it. */
static void free_engine(struct tmem_engine *eng)
{
	const struct tmem_engine_ops *ops = eng->ops;
	void *priv = eng->priv;

	memset(eng, 0, sizeof(*eng));
	ops->obj_free(priv, eng, sizeof(*eng));
}

/* One bucket per stored page at most, within [64, TMEM_MAX_BUCKETS]. */
static u32 default_buckets(u64 total_pages)
{
	u32 n = 64;

	while (n < TMEM_MAX_BUCKETS && n < total_pages)
		n <<= 1;
	return n;
}

static struct tmem_list *alloc_buckets(struct tmem_engine *eng, u32 nr)
{
	struct tmem_list *b = eng->ops->obj_alloc(eng->priv, nr * sizeof(*b));
	u32 i;

	if (b)
		for (i = 0; i < nr; i++)
			tmem_list_init(&b[i]);
	return b;
}

static void *alloc_zeroed(struct tmem_engine *eng, size_t size)
{
	void *p = eng->ops->obj_alloc(eng->priv, size);

	if (p)
		memset(p, 0, size);
	return p;
}

static void free_tables(struct tmem_engine *eng)
{
	u32 buckets = eng->hash_mask + 1;

	if (eng->scratch) {
		memset(eng->scratch, 0, TMEM_PAGE_SIZE);
		eng->ops->page_free(eng->priv, eng->scratch);
	}
	tmem_free_obj(eng, eng->obj_hash, buckets * sizeof(*eng->obj_hash));
	tmem_free_obj(eng, eng->page_hash, buckets * sizeof(*eng->page_hash));
	tmem_free_obj(eng, eng->pools, eng->max_pools * sizeof(*eng->pools));
	tmem_free_obj(eng, eng->clients, eng->max_clients * sizeof(*eng->clients));
}

static int alloc_tables(struct tmem_engine *eng, u32 buckets)
{
	eng->clients = alloc_zeroed(eng, eng->max_clients * sizeof(*eng->clients));
	eng->pools = alloc_zeroed(eng, eng->max_pools * sizeof(*eng->pools));
	eng->page_hash = alloc_buckets(eng, buckets);
	eng->obj_hash = alloc_buckets(eng, buckets);
	if (eng->ops->compress)
		eng->scratch = eng->ops->page_alloc(eng->priv);
	if (!eng->clients || !eng->pools || !eng->page_hash || !eng->obj_hash ||
	    (eng->ops->compress && !eng->scratch))
		return -ENOMEM;
	return 0;
}

/**
 * tmem_engine_create - a new, empty engine
 * @params: its size (see struct tmem_engine_params)
 * @ops: its environment; must outlive the engine
 * @priv: passed to every @ops callback
 * @engp: set to the engine
 *
 * Context: may sleep if @ops' allocators do.
 * Return: 0, -EINVAL for bad @params or @ops, or -ENOMEM.
 */
int tmem_engine_create(const struct tmem_engine_params *params,
		       const struct tmem_engine_ops *ops, void *priv,
		       struct tmem_engine **engp)
{
	struct tmem_engine *eng;
	u32 buckets;
	int ret;

	if (!params || !ops || !engp)
		return -EINVAL;
	ret = check_params(params, ops);
	if (ret)
		return ret;
	eng = ops->obj_alloc(priv, sizeof(*eng));
	if (!eng)
		return -ENOMEM;
	memset(eng, 0, sizeof(*eng));
	eng->ops = ops;
	eng->priv = priv;
	eng->budget = params->total_pages * TMEM_PAGE_SIZE;
	eng->max_clients = params->max_clients;
	eng->max_pools = params->max_pools;
	eng->compress_max = params->compress_max ?: TMEM_COMPRESS_MAX;
	eng->seed = params->hash_seed;
	buckets = params->hash_buckets ?: default_buckets(params->total_pages);
	eng->hash_mask = buckets - 1;
	tmem_list_init(&eng->active);
	ret = alloc_tables(eng, buckets);
	if (ret) {
		free_tables(eng);
		free_engine(eng);
		return ret;
	}
	*engp = eng;
	return 0;
}

/**
 * tmem_engine_destroy - destroy every client and free the engine
 * @eng: the engine, or NULL
 *
 * Context: the caller serialises calls on @eng; no call may follow.
 */
void tmem_engine_destroy(struct tmem_engine *eng)
{
	u32 i;

	if (!eng)
		return;
	for (i = 0; i < eng->max_clients; i++)
		if (eng->clients[i])
			tmem_engine_client_destroy(eng, i);
	free_tables(eng);
	free_engine(eng);
}

/* ---- pools ----------------------------------------------------------------------- */

static int resolve(const struct tmem_engine *eng, u32 client, u32 pool,
		   struct tmem_client **cp, struct tmem_pool **pp)
{
	int ret;

	*pp = NULL;
	*cp = tmem_client_get(eng, client, &ret);
	if (!*cp)
		return ret;
	if (pool >= TMEM_MAX_POOLS)
		return -EINVAL;
	*pp = (*cp)->pools[pool];
	return *pp ? 0 : -ENOENT;
}

static bool authorised(const struct tmem_client *c, const u8 *uuid)
{
	u32 i;

	for (i = 0; i < c->nr_auth; i++)
		if (!memcmp(c->auth[i], uuid, TMEM_UUID_SIZE))
			return true;
	return false;
}

static struct tmem_pool *find_shared(const struct tmem_engine *eng, const u8 *uuid)
{
	u32 i;

	for (i = 0; i < eng->max_pools; i++) {
		struct tmem_pool *p = eng->pools[i];

		if (p && (p->flags & TMEM_POOL_SHARED) &&
		    !memcmp(p->uuid, uuid, TMEM_UUID_SIZE))
			return p;
	}
	return NULL;
}

static int alloc_pool(struct tmem_engine *eng, u32 flags, const u8 *uuid,
		      struct tmem_pool **pp)
{
	struct tmem_pool *p;
	u32 slot;

	for (slot = 0; slot < eng->max_pools && eng->pools[slot]; slot++)
		;
	if (slot == eng->max_pools)
		return -ENOSPC;
	p = alloc_zeroed(eng, sizeof(*p));
	if (!p)
		return -ENOMEM;
	tmem_list_init(&p->objs);
	p->flags = flags;
	p->slot = slot;
	if (uuid)
		memcpy(p->uuid, uuid, TMEM_UUID_SIZE);
	eng->pools[slot] = p;
	eng->nr_pools++;
	*pp = p;
	return 0;
}

static void free_pool(struct tmem_engine *eng, struct tmem_pool *p)
{
	while (!tmem_list_empty(&p->objs))
		tmem_store_drop_obj(eng, tmem_list_first(&p->objs, struct tmem_obj, pnode));
	eng->pools[p->slot] = NULL;
	eng->nr_pools--;
	tmem_free_obj(eng, p, sizeof(*p));
}

static void join(struct tmem_engine *eng, struct tmem_client *c, u32 id,
		 struct tmem_pool *p)
{
	c->pools[id] = p;
	p->nr_members++;
	if (!c->nr_pools++) {
		tmem_list_add_tail(&c->active, &eng->active);
		eng->weight_sum += c->weight;
	}
}

/* Drop the pages @c owns in @p, walking @c's own lists (a shared pool holds others'). */
static void drop_owned(struct tmem_engine *eng, struct tmem_client *c,
		       struct tmem_pool *p)
{
	struct tmem_list *head = tmem_pool_ephemeral(p) ? &c->eph_lru : &c->pers;
	struct tmem_list *n, *next;

	for (n = head->next; n != head; n = next) {
		struct tmem_entry *e = container_of(n, struct tmem_entry, lru);

		next = n->next;
		if (e->obj->pool == p->slot)
			tmem_store_drop(eng, e);
	}
}

/**
 * tmem_leave_pool - take a pool out of a client's table, with the client's pages
 * @eng: the engine
 * @c: the client
 * @pool: the pool id, valid and in use
 *
 * A private pool, or a shared pool's last member, frees the pool.
 */
void tmem_leave_pool(struct tmem_engine *eng, struct tmem_client *c, u32 pool)
{
	struct tmem_pool *p = c->pools[pool];

	if (p->flags & TMEM_POOL_SHARED)
		drop_owned(eng, c, p);
	c->pools[pool] = NULL;
	if (!--p->nr_members)
		free_pool(eng, p);
	if (!--c->nr_pools) {
		tmem_list_del(&c->active);
		eng->weight_sum -= c->weight;
	}
}

static int free_pool_id(const struct tmem_client *c)
{
	int i;

	for (i = 0; i < TMEM_MAX_POOLS; i++)
		if (!c->pools[i])
			return i;
	return -ENOSPC;
}

static int joined(const struct tmem_client *c, const struct tmem_pool *p)
{
	u32 i;

	for (i = 0; i < TMEM_MAX_POOLS; i++)
		if (c->pools[i] == p)
			return 1;
	return 0;
}

/* The shared pool of @uuid for @c to join, created if no client has it open. */
static int shared_pool(struct tmem_engine *eng, struct tmem_client *c, const u8 *uuid,
		       struct tmem_pool **pp)
{
	if (!uuid)
		return -EINVAL;
	if (!authorised(c, uuid))
		return -EPERM;
	*pp = find_shared(eng, uuid);
	if (*pp)
		return joined(c, *pp) ? -EEXIST : 0;
	return alloc_pool(eng, TMEM_POOL_SHARED, uuid, pp);
}

/**
 * tmem_engine_new_pool - open a pool for a client
 * @eng: the engine
 * @client: the client id
 * @flags: TMEM_POOL_PERSISTENT, TMEM_POOL_SHARED, or 0 for private ephemeral
 * @uuid: TMEM_UUID_SIZE bytes naming a shared pool; ignored for a private one
 *
 * A shared pool is ephemeral; joining one needs the admin's tmem_engine_authorise().
 *
 * Context: the caller serialises calls on @eng.
 * Return: the pool id (>= 0), -EINVAL (bad client or flags, no @uuid for a shared
 * pool), -ENOENT (no such client), -EPERM (not authorised), -EEXIST (already joined),
 * -ENOSPC (the client's or the engine's pool table is full) or -ENOMEM.
 */
int tmem_engine_new_pool(struct tmem_engine *eng, u32 client, u32 flags, const u8 *uuid)
{
	struct tmem_client *c;
	struct tmem_pool *p;
	int id, ret;

	c = tmem_client_get(eng, client, &ret);
	if (!c)
		return ret;
	if (flags & ~(TMEM_POOL_PERSISTENT | TMEM_POOL_SHARED) ||
	    flags == (TMEM_POOL_PERSISTENT | TMEM_POOL_SHARED))
		return -EINVAL;
	id = free_pool_id(c);
	if (id < 0)
		return id;
	if (flags & TMEM_POOL_SHARED)
		ret = shared_pool(eng, c, uuid, &p);
	else
		ret = alloc_pool(eng, flags, NULL, &p);
	if (ret)
		return ret;
	join(eng, c, id, p);
	return id;
}

/**
 * tmem_engine_destroy_pool - close a client's pool, flushing the client's pages in it
 * @eng: the engine
 * @client: the client id
 * @pool: the pool id
 *
 * A shared pool keeps the other members' pages until its last member leaves.
 *
 * Context: the caller serialises calls on @eng.
 * Return: 0, -EINVAL or -ENOENT for a bad @client or @pool.
 */
int tmem_engine_destroy_pool(struct tmem_engine *eng, u32 client, u32 pool)
{
	struct tmem_client *c;
	struct tmem_pool *p;
	int ret;

	ret = resolve(eng, client, pool, &c, &p);
	if (ret)
		return ret;
	tmem_leave_pool(eng, c, pool);
	return 0;
}

/* ---- pages ----------------------------------------------------------------------- */

static int put_new(struct tmem_engine *eng, struct tmem_client *c, struct tmem_pool *p,
		   const struct tmem_key *key, const void *src, size_t len)
{
	struct tmem_blob blob;
	int ret;

	if (!src || len != TMEM_PAGE_SIZE)
		return -EINVAL;
	if (c->frozen)
		return -EBUSY;
	tmem_store_encode(eng, src, &blob);
	ret = tmem_policy_make_room(eng, c, tmem_charge(blob.len));
	if (ret)
		return ret;
	return tmem_store_insert(eng, c, p, key, &blob);
}

/**
 * tmem_engine_put - store a page
 * @eng: the engine
 * @client: the client id
 * @key: the pool, object and index
 * @src: the page's TMEM_PAGE_SIZE bytes
 * @len: must be TMEM_PAGE_SIZE
 *
 * A page already stored under @key is replaced; if the put fails it is removed.
 *
 * Context: the caller serialises calls on @eng.
 * Return: 0, -EINVAL (bad id, @src or @len), -ENOENT (no such client or pool), -EBUSY
 * (frozen), -ENOSPC (cap or budget, nothing to evict) or -ENOMEM.
 */
int tmem_engine_put(struct tmem_engine *eng, u32 client, const struct tmem_key *key,
		    const void *src, size_t len)
{
	struct tmem_client *c;
	struct tmem_pool *p;
	struct tmem_entry *old;
	int ret;

	if (!key)
		return -EINVAL;
	ret = resolve(eng, client, key->pool, &c, &p);
	if (ret)
		return ret;
	c->stats.puts++;
	p->stats.puts++;
	old = tmem_store_lookup(eng, p->slot, key->oid, key->index);
	if (old)
		tmem_store_drop(eng, old);
	ret = put_new(eng, c, p, key, src, len);
	if (ret) {
		c->stats.puts_refused++;
		p->stats.puts_refused++;
	}
	return ret;
}

/**
 * tmem_engine_get - read a page
 * @eng: the engine
 * @client: the client id
 * @key: the pool, object and index
 * @dst: TMEM_PAGE_SIZE bytes to fill
 * @len: must be TMEM_PAGE_SIZE
 *
 * A hit in a private ephemeral pool removes the page; in a shared pool it makes it the
 * most recently used; a persistent page stays.
 *
 * Context: the caller serialises calls on @eng.
 * Return: 0, -EINVAL (bad id, @dst or @len), -ENOENT (no such client, pool or page) or
 * the decompressor's error (the page is then removed).
 */
int tmem_engine_get(struct tmem_engine *eng, u32 client, const struct tmem_key *key,
		    void *dst, size_t len)
{
	struct tmem_client *c;
	struct tmem_pool *p;
	struct tmem_entry *e;
	int ret;

	if (!key)
		return -EINVAL;
	ret = resolve(eng, client, key->pool, &c, &p);
	if (ret)
		return ret;
	if (!dst || len != TMEM_PAGE_SIZE)
		return -EINVAL;
	c->stats.gets++;
	p->stats.gets++;
	e = tmem_store_lookup(eng, p->slot, key->oid, key->index);
	if (!e)
		return -ENOENT;
	ret = tmem_store_read(eng, e, dst);
	if (ret) {
		tmem_store_drop(eng, e);
		return ret;
	}
	c->stats.hits++;
	p->stats.hits++;
	if (p->flags & TMEM_POOL_SHARED)
		tmem_store_touch(eng, e);
	else if (tmem_pool_ephemeral(p))
		tmem_store_drop(eng, e);
	return 0;
}

/**
 * tmem_engine_flush_page - remove a page
 * @eng: the engine
 * @client: the client id
 * @key: the pool, object and index
 *
 * Context: the caller serialises calls on @eng.
 * Return: 0, -EINVAL or -ENOENT (bad client or pool, or no such page).
 */
int tmem_engine_flush_page(struct tmem_engine *eng, u32 client, const struct tmem_key *key)
{
	struct tmem_client *c;
	struct tmem_pool *p;
	struct tmem_entry *e;
	int ret;

	if (!key)
		return -EINVAL;
	ret = resolve(eng, client, key->pool, &c, &p);
	if (ret)
		return ret;
	c->stats.flushes++;
	p->stats.flushes++;
	e = tmem_store_lookup(eng, p->slot, key->oid, key->index);
	if (!e)
		return -ENOENT;
	tmem_store_drop(eng, e);
	return 0;
}

/**
 * tmem_engine_flush_object - remove every page of an object
 * @eng: the engine
 * @client: the client id
 * @pool: the pool id
 * @oid: the object id
 *
 * Context: the caller serialises calls on @eng.
 * Return: 0, -EINVAL or -ENOENT (bad client or pool, or no page of the object).
 */
int tmem_engine_flush_object(struct tmem_engine *eng, u32 client, u32 pool, u64 oid)
{
	struct tmem_client *c;
	struct tmem_pool *p;
	struct tmem_obj *obj;
	int ret;

	ret = resolve(eng, client, pool, &c, &p);
	if (ret)
		return ret;
	c->stats.flushes++;
	p->stats.flushes++;
	obj = tmem_store_obj(eng, p->slot, oid);
	if (!obj)
		return -ENOENT;
	tmem_store_drop_obj(eng, obj);
	return 0;
}
