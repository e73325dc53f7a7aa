// SPDX-License-Identifier: GPL-2.0-only
/*
 * mgpu tmem: where pages live. Two hash tables with chaining map (pool slot, oid, index)
 * to entries and (pool slot, oid) to objects, so a lookup is O(1) and flushing an object
 * costs only its own pages. A page is stored in one of three encodings: a zero page
 * (no data, only the entry), a compressed copy in a small object, or a raw page.
 *
 * Scrubbing happens here, at free time: every data buffer, entry and object is zeroed
 * before it goes back to the ops allocator, so no tenant's data or keys outlive their
 * entry in memory the engine gives back (the free is an indirect call, so the zeroing
 * cannot be optimised away).
 */
#ifdef __KERNEL__
#include <linux/errno.h>
#include <linux/string.h>
#else
#include <errno.h>
#include <string.h>
#endif

#include "internal.h"

static u64 tmem_mix(u64 x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static u32 obj_bucket(const struct tmem_engine *eng, u32 slot, u64 oid)
{
	return (u32)(tmem_mix(oid ^ eng->seed) ^ tmem_mix(slot + eng->seed)) & eng->hash_mask;
}

static u32 page_bucket(const struct tmem_engine *eng, u32 slot, u64 oid, u32 index)
{
	u64 h = tmem_mix(oid ^ eng->seed) ^ tmem_mix(((u64)slot << 32 | index) + ~eng->seed);

	return (u32)h & eng->hash_mask;
}

/**
 * tmem_store_lookup - the entry stored under a key
 * @eng: the engine
 * @slot: the pool's global slot
 * @oid: object id
 * @index: page index
 *
 * Return: the entry, or NULL.
 */
struct tmem_entry *tmem_store_lookup(const struct tmem_engine *eng, u32 slot, u64 oid,
				     u32 index)
{
	struct tmem_list *head = &eng->page_hash[page_bucket(eng, slot, oid, index)];
	struct tmem_list *n;

	for (n = head->next; n != head; n = n->next) {
		struct tmem_entry *e = container_of(n, struct tmem_entry, hnode);

		if (e->index == index && e->obj->oid == oid && e->obj->pool == slot)
			return e;
	}
	return NULL;
}

/**
 * tmem_store_obj - the object of a pool with an object id
 * @eng: the engine
 * @slot: the pool's global slot
 * @oid: object id
 *
 * Return: the object, or NULL when no page of it is stored.
 */
struct tmem_obj *tmem_store_obj(const struct tmem_engine *eng, u32 slot, u64 oid)
{
	struct tmem_list *head = &eng->obj_hash[obj_bucket(eng, slot, oid)];
	struct tmem_list *n;

	for (n = head->next; n != head; n = n->next) {
		struct tmem_obj *obj = container_of(n, struct tmem_obj, hnode);

		if (obj->oid == oid && obj->pool == slot)
			return obj;
	}
	return NULL;
}

/* A word at a time; memcpy() makes no alignment assumption and compiles to a load. */
static bool page_is_zero(const u8 *p)
{
	u64 w;
	u32 i;

	for (i = 0; i < TMEM_PAGE_SIZE; i += sizeof(w)) {
		memcpy(&w, p + i, sizeof(w));
		if (w)
			return false;
	}
	return true;
}

/**
 * tmem_store_encode - choose how to keep a page
 * @eng: the engine
 * @src: TMEM_PAGE_SIZE bytes
 * @blob: filled with what to keep; a compressed copy lives in @eng's scratch page
 *	until the next encode
 */
void tmem_store_encode(struct tmem_engine *eng, const void *src, struct tmem_blob *blob)
{
	int len;

	if (page_is_zero(src)) {
		blob->src = NULL;
		blob->len = 0;
		return;
	}
	blob->src = src;
	blob->len = TMEM_PAGE_SIZE;
	if (!eng->ops->compress)
		return;
	len = eng->ops->compress(eng->priv, src, eng->scratch, eng->compress_max);
	if (len > 0 && (u32)len <= eng->compress_max) {
		blob->src = eng->scratch;
		blob->len = len;
	}
}

/**
 * tmem_free_obj - scrub and free an object of the ops allocator
 * @eng: the engine
 * @obj: the object, or NULL
 * @size: its size
 */
void tmem_free_obj(struct tmem_engine *eng, void *obj, size_t size)
{
	if (!obj)
		return;
	memset(obj, 0, size);
	eng->ops->obj_free(eng->priv, obj, size);
}

static void free_data(struct tmem_engine *eng, void *data, u32 len)
{
	if (!data)
		return;
	if (len < TMEM_PAGE_SIZE) {
		tmem_free_obj(eng, data, len);
		return;
	}
	memset(data, 0, TMEM_PAGE_SIZE);
	eng->ops->page_free(eng->priv, data);
}

static void *copy_data(struct tmem_engine *eng, const struct tmem_blob *blob)
{
	void *data;

	if (!blob->len)
		return NULL;
	if (blob->len == TMEM_PAGE_SIZE)
		data = eng->ops->page_alloc(eng->priv);
	else
		data = eng->ops->obj_alloc(eng->priv, blob->len);
	if (data)
		memcpy(data, blob->src, blob->len);
	return data;
}

static struct tmem_obj *get_obj(struct tmem_engine *eng, struct tmem_pool *pool, u64 oid)
{
	struct tmem_obj *obj = tmem_store_obj(eng, pool->slot, oid);

	if (obj)
		return obj;
	obj = eng->ops->obj_alloc(eng->priv, sizeof(*obj));
	if (!obj)
		return NULL;
	memset(obj, 0, sizeof(*obj));
	obj->oid = oid;
	obj->pool = pool->slot;
	tmem_list_init(&obj->pages);
	tmem_list_add_tail(&obj->hnode, &eng->obj_hash[obj_bucket(eng, pool->slot, oid)]);
	tmem_list_add_tail(&obj->pnode, &pool->objs);
	return obj;
}

static void put_obj(struct tmem_engine *eng, struct tmem_obj *obj)
{
	if (obj->nr)
		return;
	tmem_list_del(&obj->hnode);
	tmem_list_del(&obj->pnode);
	tmem_free_obj(eng, obj, sizeof(*obj));
}

static void stats_add(struct tmem_stats *st, const struct tmem_entry *e, u64 charge)
{
	st->pages++;
	st->zero_pages += !e->len;
	st->compressed_pages += e->len && e->len < TMEM_PAGE_SIZE;
	st->bytes += charge;
}

static void stats_sub(struct tmem_stats *st, const struct tmem_entry *e, u64 charge)
{
	st->pages--;
	st->zero_pages -= !e->len;
	st->compressed_pages -= e->len && e->len < TMEM_PAGE_SIZE;
	st->bytes -= charge;
}

static u64 tmem_now(struct tmem_engine *eng)
{
	return eng->ops->clock ? eng->ops->clock(eng->priv) : ++eng->seq;
}

static void link_entry(struct tmem_engine *eng, struct tmem_client *c,
		       struct tmem_pool *pool, struct tmem_entry *e)
{
	u64 charge = tmem_charge(e->len);
	u32 b = page_bucket(eng, pool->slot, e->obj->oid, e->index);

	tmem_list_add_tail(&e->hnode, &eng->page_hash[b]);
	tmem_list_add_tail(&e->onode, &e->obj->pages);
	e->obj->nr++;
	if (tmem_pool_ephemeral(pool)) {
		tmem_list_add_tail(&e->lru, &c->eph_lru);
		c->eph_pages++;
		c->eph_bytes += charge;
	} else {
		tmem_list_add_tail(&e->lru, &c->pers);
	}
	stats_add(&c->stats, e, charge);
	stats_add(&pool->stats, e, charge);
	tmem_policy_charge(eng, c, charge);
	eng->nr_pages++;
}

/**
 * tmem_store_insert - store a page under a key that holds none
 * @eng: the engine
 * @c: the client putting it, charged for it
 * @pool: the pool
 * @key: where (the caller has checked that nothing is stored there)
 * @blob: what, from tmem_store_encode()
 *
 * The caller has made room in the budget (tmem_policy_make_room()).
 *
 * Return: 0, or -ENOMEM with nothing stored.
 */
int tmem_store_insert(struct tmem_engine *eng, struct tmem_client *c,
		      struct tmem_pool *pool, const struct tmem_key *key,
		      const struct tmem_blob *blob)
{
	struct tmem_obj *obj;
	struct tmem_entry *e;

	obj = get_obj(eng, pool, key->oid);
	if (!obj)
		return -ENOMEM;
	e = eng->ops->obj_alloc(eng->priv, sizeof(*e));
	if (!e)
		goto err_put_obj;
	memset(e, 0, sizeof(*e));
	e->len = blob->len;
	e->data = copy_data(eng, blob);
	if (blob->len && !e->data)
		goto err_free_entry;
	e->obj = obj;
	e->index = key->index;
	e->owner = c->id;
	e->stamp = tmem_now(eng);
	link_entry(eng, c, pool, e);
	return 0;

err_free_entry:
	tmem_free_obj(eng, e, sizeof(*e));
err_put_obj:
	put_obj(eng, obj);
	return -ENOMEM;
}

/**
 * tmem_store_read - copy a stored page out
 * @eng: the engine
 * @e: the entry
 * @dst: TMEM_PAGE_SIZE bytes
 *
 * Return: 0, or the decompressor's error (then @dst is zeroed).
 */
int tmem_store_read(struct tmem_engine *eng, const struct tmem_entry *e, void *dst)
{
	int ret;

	if (!e->len) {
		memset(dst, 0, TMEM_PAGE_SIZE);
		return 0;
	}
	if (e->len == TMEM_PAGE_SIZE) {
		memcpy(dst, e->data, TMEM_PAGE_SIZE);
		return 0;
	}
	ret = eng->ops->decompress(eng->priv, e->data, e->len, dst);
	if (ret) {
		memset(dst, 0, TMEM_PAGE_SIZE);
		return ret < 0 ? ret : -EIO;
	}
	return 0;
}

/**
 * tmem_store_touch - mark an ephemeral entry most recently used
 * @eng: the engine
 * @e: the entry, in a shared pool
 */
void tmem_store_touch(struct tmem_engine *eng, struct tmem_entry *e)
{
	tmem_list_del(&e->lru);
	tmem_list_add_tail(&e->lru, &tmem_entry_owner(eng, e)->eph_lru);
	e->stamp = tmem_now(eng);
}

/**
 * tmem_store_drop - remove an entry, uncharge its owner, scrub and free its memory
 * @eng: the engine
 * @e: the entry; freed on return, and its object too if it was the last page
 */
void tmem_store_drop(struct tmem_engine *eng, struct tmem_entry *e)
{
	struct tmem_client *c = tmem_entry_owner(eng, e);
	struct tmem_pool *pool = tmem_entry_pool(eng, e);
	struct tmem_obj *obj = e->obj;
	u64 charge = tmem_charge(e->len);

	tmem_list_del(&e->hnode);
	tmem_list_del(&e->onode);
	tmem_list_del(&e->lru);
	if (tmem_pool_ephemeral(pool)) {
		c->eph_pages--;
		c->eph_bytes -= charge;
	}
	stats_sub(&c->stats, e, charge);
	stats_sub(&pool->stats, e, charge);
	tmem_policy_uncharge(eng, c, charge);
	eng->nr_pages--;
	free_data(eng, e->data, e->len);
	tmem_free_obj(eng, e, sizeof(*e));
	obj->nr--;
	put_obj(eng, obj);
}

/**
 * tmem_store_drop_obj - remove every page of an object, and the object
 * @eng: the engine
 * @obj: the object; freed on return
 */
void tmem_store_drop_obj(struct tmem_engine *eng, struct tmem_obj *obj)
{
	u32 nr = obj->nr;

	while (nr--)
		tmem_store_drop(eng, tmem_list_first(&obj->pages, struct tmem_entry, onode));
}
