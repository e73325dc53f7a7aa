/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * mgpu tmem: the pool engine — transcendent memory pools (frontswap-like persistent and
 * cleancache-like ephemeral, optionally shared) with weighted capacity sharing among
 * clients. Pure logic: the host-tier tests compile the same files in userspace.
 *
 * Semantics, in brief (the full rules are at the top of engine.c):
 *  - A client owns up to TMEM_MAX_POOLS pools, addressed by a small pool id. A page is
 *    keyed by (pool id, object id, index) and is always TMEM_PAGE_SIZE bytes.
 *  - Persistent pages are never dropped by the engine; ephemeral ones may be, at any
 *    time. A get from a private ephemeral pool is exclusive (it removes the page).
 *  - A put that fails for a key already stored removes the old copy: no stale data.
 *  - Capacity is a byte budget shared by weight, with per-client caps and reserves.
 *
 * Concurrency: the engine takes no lock. The caller serialises every call on one engine
 * (one mutex around the engine is the intended use) and must not call the engine from
 * within its own ops callbacks.
 */
#ifndef MGPU_TMEM_ENGINE_H
#define MGPU_TMEM_ENGINE_H

#include "cfgspace.h"	/* u8..u64, size_t and BIT_ULL in both worlds */
#ifdef __KERNEL__
#include <linux/bits.h>
#else
#include <stdbool.h>
#endif

#define TMEM_PAGE_SIZE		4096u	/* the tmem page, whatever the host's PAGE_SIZE */
#define TMEM_UUID_SIZE		16
#define TMEM_MAX_POOLS		16	/* pool ids per client: 0..15 */
#define TMEM_MAX_AUTH		16	/* shared-pool UUIDs authorised per client */
#define TMEM_MAX_CLIENTS	65535
#define TMEM_MAX_GLOBAL_POOLS	65535
#define TMEM_MAX_TOTAL_PAGES	BIT_ULL(32)
#define TMEM_MAX_BUCKETS	BIT_ULL(24)
#define TMEM_WEIGHT_MIN		1
#define TMEM_WEIGHT_MAX		10000
#define TMEM_COMPRESS_MAX	2048	/* default: keep a compressed copy up to this size */
#define TMEM_CHARGE_ALIGN	64	/* compressed copies are charged in 64-byte units */
#define TMEM_ZERO_CHARGE	64	/* a zero page costs its metadata, no page */

/* Pool flags for tmem_engine_new_pool() */
#define TMEM_POOL_PERSISTENT	0x1	/* frontswap-like; else ephemeral (cleancache) */
#define TMEM_POOL_SHARED	0x2	/* ephemeral only; joined by UUID */

/**
 * struct tmem_engine_ops - what the engine needs from its environment
 * @page_alloc: one TMEM_PAGE_SIZE buffer (page aligned in the kernel), or NULL
 * @page_free: give back a buffer of @page_alloc; the engine has zeroed it
 * @obj_alloc: a small object of @size bytes, or NULL. Also used once per table at
 *	creation for tables of up to max(buckets, clients, pools) pointers or list
 *	heads, so a kernel implementation should use kvmalloc()
 * @obj_free: give back an object of @obj_alloc with its @size; the engine has zeroed it
 * @compress: optional (NULL: pages are stored raw). Compress the TMEM_PAGE_SIZE bytes
 *	at @src into at most @dst_max bytes at @dst. Return: the compressed length, or
 *	0 or a negative errno when it does not fit or failed
 * @decompress: set exactly when @compress is. Expand @len bytes at @src into the
 *	TMEM_PAGE_SIZE bytes at @dst. Return: 0, or a negative errno
 * @clock: optional (NULL: an internal counter). A non-decreasing value stamped on
 *	ephemeral pages; it breaks ties between clients when choosing a victim
 *
 * Every callback is called with the caller's serialising lock held and gets the
 * @priv given to tmem_engine_create(). In the kernel the allocation callbacks must not
 * recurse into reclaim that waits for that lock (the host shrinker trylocks, or the
 * callbacks use GFP_NOWAIT).
 */
struct tmem_engine_ops {
	void *(*page_alloc)(void *priv);
	void (*page_free)(void *priv, void *page);
	void *(*obj_alloc)(void *priv, size_t size);
	void (*obj_free)(void *priv, void *obj, size_t size);
	int (*compress)(void *priv, const void *src, void *dst, size_t dst_max);
	int (*decompress)(void *priv, const void *src, size_t len, void *dst);
	u64 (*clock)(void *priv);
};

/**
 * struct tmem_engine_params - the size of an engine
 * @total_pages: the budget, in pages of TMEM_PAGE_SIZE bytes (1..TMEM_MAX_TOTAL_PAGES)
 * @max_clients: client ids are 0..@max_clients - 1 (1..TMEM_MAX_CLIENTS)
 * @max_pools: pools alive at once, all clients together (1..TMEM_MAX_GLOBAL_POOLS)
 * @hash_buckets: buckets of each hash table, a power of two up to TMEM_MAX_BUCKETS;
 *	0 picks one from @total_pages
 * @compress_max: keep a compressed copy when it is at most this many bytes
 *	(< TMEM_PAGE_SIZE); 0 means TMEM_COMPRESS_MAX
 * @hash_seed: keys the hashes, so a guest cannot aim its keys at one bucket without
 *	knowing it; the kernel passes a random number
 */
struct tmem_engine_params {
	u64 total_pages;
	u32 max_clients;
	u32 max_pools;
	u32 hash_buckets;
	u32 compress_max;
	u64 hash_seed;
};

/**
 * struct tmem_key - where a page lives
 * @pool: the pool id the client got from tmem_engine_new_pool()
 * @index: the page within the object
 * @oid: the object (a file, a swap area)
 */
struct tmem_key {
	u32 pool;
	u32 index;
	u64 oid;
};

/**
 * struct tmem_stats - counters of one client or one pool
 * @puts: puts on a valid client and pool, accepted or not
 * @puts_refused: puts that failed (the key is then absent)
 * @gets: gets on a valid client and pool with a valid buffer
 * @hits: gets that returned data
 * @flushes: flush-page and flush-object calls on a valid client and pool
 * @evictions: ephemeral pages dropped by the engine (pressure, caps, shrinker)
 * @pages: pages stored now, zero and compressed ones included
 * @zero_pages: of @pages, zero-filled ones (no data kept)
 * @compressed_pages: of @pages, those kept compressed
 * @bytes: budget bytes charged now (TMEM_PAGE_SIZE per raw page, the rounded-up length
 *	of a compressed copy, TMEM_ZERO_CHARGE per zero page)
 *
 * A client's counters cover the operations it made and the pages it owns (those it
 * put, in every pool it uses); a pool's cover everything in that pool.
 */
struct tmem_stats {
	u64 puts;
	u64 puts_refused;
	u64 gets;
	u64 hits;
	u64 flushes;
	u64 evictions;
	u64 pages;
	u64 zero_pages;
	u64 compressed_pages;
	u64 bytes;
};

/**
 * struct tmem_client_info - a client's settings and state
 * @stats: its counters
 * @weight: its weight (TMEM_WEIGHT_MIN..TMEM_WEIGHT_MAX)
 * @cap_pages: its cap in pages of budget, 0 for none
 * @reserve_pages: its guaranteed floor in pages of budget
 * @share_bytes: its weighted share of the budget now, never below its reserve
 * @writeback_pages: tmem_engine_writeback_hint()'s answer now
 * @nr_pools: pools it has open
 * @frozen: puts are refused with -EBUSY
 */
struct tmem_client_info {
	struct tmem_stats stats;
	u32 weight;
	u64 cap_pages;
	u64 reserve_pages;
	u64 share_bytes;
	u64 writeback_pages;
	u32 nr_pools;
	bool frozen;
};

/**
 * struct tmem_pool_info - one pool as one client sees it
 * @stats: the pool's counters (all clients of a shared pool together)
 * @flags: TMEM_POOL_* as created
 * @nr_clients: clients that have the pool open
 * @uuid: a shared pool's UUID, zeroes otherwise
 */
struct tmem_pool_info {
	struct tmem_stats stats;
	u32 flags;
	u32 nr_clients;
	u8 uuid[TMEM_UUID_SIZE];
};

/**
 * struct tmem_engine_info - the whole engine
 * @budget_bytes: total_pages * TMEM_PAGE_SIZE
 * @used_bytes: budget bytes charged to clients
 * @reserved_bytes: the sum of the clients' reserves
 * @unmet_reserve_bytes: reserve not yet used by its client, held back from the others
 * @pages: pages stored, all clients
 * @reclaimable: tmem_engine_count()'s answer now
 * @weight_sum: the weights of the clients with a pool open
 * @nr_clients: clients alive
 * @nr_pools: pools alive
 */
struct tmem_engine_info {
	u64 budget_bytes;
	u64 used_bytes;
	u64 reserved_bytes;
	u64 unmet_reserve_bytes;
	u64 pages;
	u64 reclaimable;
	u64 weight_sum;
	u32 nr_clients;
	u32 nr_pools;
};

struct tmem_engine;

/* engine.c: the engine and the page operations */
int tmem_engine_create(const struct tmem_engine_params *params,
		       const struct tmem_engine_ops *ops, void *priv,
		       struct tmem_engine **engp);
void tmem_engine_destroy(struct tmem_engine *eng);
int tmem_engine_new_pool(struct tmem_engine *eng, u32 client, u32 flags,
			 const u8 *uuid);
int tmem_engine_destroy_pool(struct tmem_engine *eng, u32 client, u32 pool);
int tmem_engine_put(struct tmem_engine *eng, u32 client, const struct tmem_key *key,
		    const void *src, size_t len);
int tmem_engine_get(struct tmem_engine *eng, u32 client, const struct tmem_key *key,
		    void *dst, size_t len);
int tmem_engine_flush_page(struct tmem_engine *eng, u32 client,
			   const struct tmem_key *key);
int tmem_engine_flush_object(struct tmem_engine *eng, u32 client, u32 pool, u64 oid);

/* client.c: clients, administration, statistics */
int tmem_engine_client_new(struct tmem_engine *eng, u32 weight);
int tmem_engine_client_destroy(struct tmem_engine *eng, u32 client);
int tmem_engine_set_weight(struct tmem_engine *eng, u32 client, u32 weight);
int tmem_engine_set_cap(struct tmem_engine *eng, u32 client, u64 pages);
int tmem_engine_set_reserve(struct tmem_engine *eng, u32 client, u64 pages);
int tmem_engine_set_frozen(struct tmem_engine *eng, u32 client, bool frozen);
int tmem_engine_authorise(struct tmem_engine *eng, u32 client, const u8 *uuid);
int tmem_engine_deauthorise(struct tmem_engine *eng, u32 client, const u8 *uuid);
int tmem_engine_client_info(const struct tmem_engine *eng, u32 client,
			    struct tmem_client_info *info);
int tmem_engine_pool_info(const struct tmem_engine *eng, u32 client, u32 pool,
			  struct tmem_pool_info *info);
void tmem_engine_info(const struct tmem_engine *eng, struct tmem_engine_info *info);

/* policy.c: the host side of capacity */
u64 tmem_engine_shrink(struct tmem_engine *eng, u64 nr);
u64 tmem_engine_count(const struct tmem_engine *eng);
int tmem_engine_writeback_hint(const struct tmem_engine *eng, u32 client, u64 *pages);

/* check.c: a full consistency walk, for tests and debugfs */
int tmem_engine_check(const struct tmem_engine *eng);

#endif /* MGPU_TMEM_ENGINE_H */
