/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * mgpu tmem: the pool engine's private structures, shared by engine.c (the engine and
 * page operations), client.c (clients and administration), store.c (keys to pages and
 * page encodings), policy.c (capacity and eviction) and check.c. The list helpers are
 * our own so that the same code builds in the kernel and in userspace.
 */
#ifndef MGPU_TMEM_INTERNAL_H
#define MGPU_TMEM_INTERNAL_H

#ifdef __KERNEL__
#include <linux/container_of.h>
#else
#include <stddef.h>
#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))
#endif

#include "engine.h"

/* An intrusive circular doubly linked list; a head is a node linked to itself. */
struct tmem_list {
	struct tmem_list *next;
	struct tmem_list *prev;
};

static inline void tmem_list_init(struct tmem_list *head)
{
	head->next = head;
	head->prev = head;
}

static inline bool tmem_list_empty(const struct tmem_list *head)
{
	return head->next == head;
}

static inline void tmem_list_add_tail(struct tmem_list *node, struct tmem_list *head)
{
	node->prev = head->prev;
	node->next = head;
	head->prev->next = node;
	head->prev = node;
}

static inline void tmem_list_del(struct tmem_list *node)
{
	node->prev->next = node->next;
	node->next->prev = node->prev;
	tmem_list_init(node);
}

#define tmem_list_first(head, type, member) container_of((head)->next, type, member)

/**
 * struct tmem_entry - one stored page
 * @hnode: in its page-hash bucket
 * @onode: in its object's page list
 * @lru: in its owner's ephemeral LRU or persistent list, oldest first
 * @obj: its object (pool and object id)
 * @data: a page (@len == TMEM_PAGE_SIZE), a compressed copy (0 < @len <
 *	TMEM_PAGE_SIZE), or NULL for a zero page (@len == 0)
 * @stamp: the clock when it was put or last read from a shared pool
 * @index: its index in the object
 * @owner: the client that put it and is charged for it
 * @len: bytes at @data
 */
struct tmem_entry {
	struct tmem_list hnode;
	struct tmem_list onode;
	struct tmem_list lru;
	struct tmem_obj *obj;
	void *data;
	u64 stamp;
	u32 index;
	u16 owner;
	u16 len;
};

/**
 * struct tmem_obj - the pages of one object id in one pool
 * @hnode: in its object-hash bucket
 * @pnode: in its pool's object list
 * @pages: its entries
 * @oid: the object id
 * @pool: the pool's global slot
 * @nr: entries in @pages; the object is freed with its last page
 */
struct tmem_obj {
	struct tmem_list hnode;
	struct tmem_list pnode;
	struct tmem_list pages;
	u64 oid;
	u32 pool;
	u32 nr;
};

/**
 * struct tmem_pool - a pool, private to one client or shared by several
 * @objs: its objects
 * @stats: its counters
 * @uuid: a shared pool's identity
 * @flags: TMEM_POOL_*
 * @slot: its index in tmem_engine.pools, part of every key in the hashes
 * @nr_members: clients with the pool in their pool table; freed at zero
 */
struct tmem_pool {
	struct tmem_list objs;
	struct tmem_stats stats;
	u8 uuid[TMEM_UUID_SIZE];
	u32 flags;
	u32 slot;
	u32 nr_members;
};

/**
 * struct tmem_client - a guest device or a host-local user
 * @active: in tmem_engine.active while it has a pool open (its weight counts)
 * @eph_lru: the ephemeral pages it owns, least recently used first
 * @pers: the persistent pages it owns, oldest first
 * @stats: its counters
 * @pools: its pool table: the pool id is the index
 * @auth: shared-pool UUIDs the admin authorised it to join
 * @used: budget bytes charged to it
 * @eph_bytes: of @used, bytes of ephemeral pages
 * @eph_pages: ephemeral pages it owns
 * @cap: most bytes it may be charged, 0 for no cap
 * @reserve: bytes of budget guaranteed to it
 * @weight: its weight
 * @nr_pools: non-NULL entries of @pools
 * @nr_auth: valid entries of @auth
 * @id: its index in tmem_engine.clients
 * @frozen: puts are refused
 */
struct tmem_client {
	struct tmem_list active;
	struct tmem_list eph_lru;
	struct tmem_list pers;
	struct tmem_stats stats;
	struct tmem_pool *pools[TMEM_MAX_POOLS];
	u8 auth[TMEM_MAX_AUTH][TMEM_UUID_SIZE];
	u64 used;
	u64 eph_bytes;
	u64 eph_pages;
	u64 cap;
	u64 reserve;
	u32 weight;
	u32 nr_pools;
	u32 nr_auth;
	u16 id;
	bool frozen;
};

/**
 * struct tmem_engine - an engine: a budget, its clients and their pools
 * @ops: the environment
 * @priv: passed to every @ops callback
 * @page_hash: buckets of entries, keyed by (pool slot, oid, index)
 * @obj_hash: buckets of objects, keyed by (pool slot, oid)
 * @clients: clients by id, NULL where free
 * @pools: pools by global slot, NULL where free
 * @active: clients with a pool open
 * @scratch: one page for the compressor's output, NULL without a compressor
 * @budget: total budget in bytes
 * @used: bytes charged to all clients
 * @reserved: the sum of the clients' reserves
 * @unmet: the sum over clients of reserve not yet used, held back from the others
 * @weight_sum: the weights of the @active clients
 * @seq: the clock when @ops has none
 * @seed: hash key
 * @nr_pages: entries stored
 * @hash_mask: buckets - 1 (both tables)
 * @max_clients: entries of @clients
 * @max_pools: entries of @pools
 * @compress_max: largest compressed copy kept
 * @nr_clients: clients alive
 * @nr_pools: pools alive
 */
struct tmem_engine {
	const struct tmem_engine_ops *ops;
	void *priv;
	struct tmem_list *page_hash;
	struct tmem_list *obj_hash;
	struct tmem_client **clients;
	struct tmem_pool **pools;
	struct tmem_list active;
	void *scratch;
	u64 budget;
	u64 used;
	u64 reserved;
	u64 unmet;
	u64 weight_sum;
	u64 seq;
	u64 seed;
	u64 nr_pages;
	u32 hash_mask;
	u32 max_clients;
	u32 max_pools;
	u32 compress_max;
	u32 nr_clients;
	u32 nr_pools;
};

/**
 * struct tmem_blob - a page encoded for storing, before it has a home
 * @src: the bytes to keep: the caller's page, the compressor's output, or NULL
 * @len: TMEM_PAGE_SIZE (raw), the compressed length, or 0 (a zero page)
 */
struct tmem_blob {
	const void *src;
	u32 len;
};

static inline bool tmem_pool_ephemeral(const struct tmem_pool *pool)
{
	return !(pool->flags & TMEM_POOL_PERSISTENT);
}

/**
 * tmem_charge - budget bytes a stored copy of @len bytes costs
 * @len: TMEM_PAGE_SIZE, a compressed length, or 0 for a zero page
 *
 * Return: the charge.
 */
static inline u64 tmem_charge(u32 len)
{
	if (!len)
		return TMEM_ZERO_CHARGE;
	return (len + TMEM_CHARGE_ALIGN - 1) & ~(u64)(TMEM_CHARGE_ALIGN - 1);
}

static inline struct tmem_client *tmem_entry_owner(const struct tmem_engine *eng,
						   const struct tmem_entry *e)
{
	return eng->clients[e->owner];
}

static inline struct tmem_pool *tmem_entry_pool(const struct tmem_engine *eng,
						const struct tmem_entry *e)
{
	return eng->pools[e->obj->pool];
}

/* store.c */
struct tmem_entry *tmem_store_lookup(const struct tmem_engine *eng, u32 slot, u64 oid,
				     u32 index);
struct tmem_obj *tmem_store_obj(const struct tmem_engine *eng, u32 slot, u64 oid);
void tmem_store_encode(struct tmem_engine *eng, const void *src, struct tmem_blob *blob);
int tmem_store_insert(struct tmem_engine *eng, struct tmem_client *c,
		      struct tmem_pool *pool, const struct tmem_key *key,
		      const struct tmem_blob *blob);
int tmem_store_read(struct tmem_engine *eng, const struct tmem_entry *e, void *dst);
void tmem_store_touch(struct tmem_engine *eng, struct tmem_entry *e);
void tmem_store_drop(struct tmem_engine *eng, struct tmem_entry *e);
void tmem_store_drop_obj(struct tmem_engine *eng, struct tmem_obj *obj);
void tmem_free_obj(struct tmem_engine *eng, void *obj, size_t size);

/* policy.c */
u64 tmem_policy_share(const struct tmem_engine *eng, const struct tmem_client *c);
u64 tmem_policy_unmet(const struct tmem_client *c, u64 used);
void tmem_policy_charge(struct tmem_engine *eng, struct tmem_client *c, u64 bytes);
void tmem_policy_uncharge(struct tmem_engine *eng, struct tmem_client *c, u64 bytes);
int tmem_policy_make_room(struct tmem_engine *eng, struct tmem_client *c, u64 bytes);

/* engine.c */
void tmem_leave_pool(struct tmem_engine *eng, struct tmem_client *c, u32 pool);
struct tmem_client *tmem_client_get(const struct tmem_engine *eng, u32 client, int *err);

#endif /* MGPU_TMEM_INTERNAL_H */
