/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * mgpu tmem: the host side of the pool engine as a kernel module (mgpu_tmem.ko) — the
 * engine behind a mutex with kernel allocators and an optional crypto API compressor
 * (host.c), its clients and pools in sysfs (sysfs.c), a host shrinker (shrinker.c),
 * host-local block devices on the engine (blk.c) and guests' tmem devices (vdev.h).
 *
 * Lock order: tmem_blk_lock or tmem_vdev.lock -> tmem_host.admin_lock -> tmem_host.lock
 * (a tmem device never touches guest memory with tmem_host.lock held). The shrinker
 * only trylocks tmem_host.lock; nothing allocates memory that may wait for reclaim
 * while holding tmem_host.lock (see host.c), so block I/O that reclaim issues to a
 * tmem device can always make progress.
 */
#ifndef MGPU_TMEM_HOST_H
#define MGPU_TMEM_HOST_H

#include <linux/kobject.h>
#include <linux/mutex.h>
#include <linux/types.h>

#include "engine.h"

struct crypto_comp;
struct dentry;
struct shrinker;
struct tmem_host_client;

/**
 * struct tmem_host_pool - a pool a client has open, as sysfs shows it
 * @kobj: clients/<client>/pools/<id>
 * @client: its client (pinned through the kobject parents)
 * @id: the client's pool id
 */
struct tmem_host_pool {
	struct kobject kobj;
	struct tmem_host_client *client;
	u32 id;
};

/**
 * struct tmem_host_client - an engine client (a block device, later a guest device)
 * @kobj: clients/<id>; its release frees the structure
 * @pools_kobj: clients/<id>/pools
 * @host: the host it belongs to
 * @pools: its pools' sysfs objects by pool id; guarded by @host->admin_lock
 * @auth: the UUIDs it is authorised for, as sysfs lists them; guarded by @host->lock
 * @nr_auth: valid entries of @auth
 * @name: who uses it ("mgpu_tmem0" for a block device, the mdev's UUID for a guest's)
 * @id: its engine client id
 * @dead: the engine client is gone; guarded by @host->lock
 */
struct tmem_host_client {
	struct kobject kobj;
	struct kobject *pools_kobj;
	struct tmem_host *host;
	struct tmem_host_pool *pools[TMEM_MAX_POOLS];
	u8 auth[TMEM_MAX_AUTH][TMEM_UUID_SIZE];
	u32 nr_auth;
	char name[40];
	u32 id;
	bool dead;
};

/**
 * struct tmem_host_totals - the global numbers sysfs shows
 * @info: the engine's totals
 * @zero_pages: zero pages stored, all clients
 * @compressed_pages: compressed copies stored, all clients
 * @evictions: ephemeral pages the engine dropped, clients already gone included
 * @shrinker_freed: of @evictions, pages the host shrinker asked for
 * @memory_bytes: bytes the engine holds from the kernel's allocators now
 * @total_pages: the budget in pages
 */
struct tmem_host_totals {
	struct tmem_engine_info info;
	u64 zero_pages;
	u64 compressed_pages;
	u64 evictions;
	u64 shrinker_freed;
	u64 memory_bytes;
	u64 total_pages;
};

/**
 * struct tmem_host - one engine and everything around it
 * @admin_lock: the client table, client and pool sysfs objects (creation and removal)
 * @lock: the engine (every call into it) and every field below it
 * @eng: the engine
 * @clients: clients by engine id, NULL where free
 * @comp: the compressor, NULL for none
 * @comp_name: its crypto API name, "none" without one
 * @gfp: what the allocation callbacks pass; GFP_KERNEL only while an engine is built
 * @total_pages: the budget in pages
 * @max_clients: entries of @clients
 * @nr_clients: clients alive
 * @retired_evictions: evictions counted by clients already destroyed
 * @shrinker_freed: pages the shrinker dropped
 * @mem_pages: pages allocated through the ops
 * @mem_obj_bytes: bytes of objects allocated through the ops
 * @kobj: /sys/kernel/mgpu_tmem (sysfs.c)
 * @clients_kobj: /sys/kernel/mgpu_tmem/clients (sysfs.c)
 * @debugfs: /sys/kernel/debug/mgpu_tmem (sysfs.c)
 * @shrinker: the host shrinker (shrinker.c)
 */
struct tmem_host {
	/* the client table; client and pool sysfs objects */
	struct mutex admin_lock;
	/* the engine and every field below */
	struct mutex lock;
	struct tmem_engine *eng;
	struct tmem_host_client **clients;
	struct crypto_comp *comp;
	const char *comp_name;
	gfp_t gfp;
	u64 total_pages;
	u32 max_clients;
	u32 nr_clients;
	u64 retired_evictions;
	u64 shrinker_freed;
	u64 mem_pages;
	u64 mem_obj_bytes;
	struct kobject *kobj;
	struct kobject *clients_kobj;
	struct dentry *debugfs;
	struct shrinker *shrinker;
};

/* host.c: the engine under its mutex */
int tmem_host_init(struct tmem_host *h, u64 total_pages, u32 max_clients,
		   const char *compression);
void tmem_host_exit(struct tmem_host *h);
int tmem_host_set_total_pages(struct tmem_host *h, u64 pages);
void tmem_host_totals(struct tmem_host *h, struct tmem_host_totals *t);
int tmem_host_check(struct tmem_host *h);
struct tmem_host_client *tmem_host_client_new(struct tmem_host *h, u32 weight,
					      const char *name);
void tmem_host_client_destroy(struct tmem_host_client *hc);
int tmem_host_pool_new(struct tmem_host_client *hc, u32 flags, const u8 *uuid);
int tmem_host_pool_destroy(struct tmem_host_client *hc, u32 pool);
int tmem_host_client_info(struct tmem_host_client *hc, struct tmem_client_info *info);
int tmem_host_pool_info(struct tmem_host_pool *hp, struct tmem_pool_info *info);
int tmem_host_set_weight(struct tmem_host_client *hc, u32 weight);
int tmem_host_set_cap(struct tmem_host_client *hc, u64 pages);
int tmem_host_set_reserve(struct tmem_host_client *hc, u64 pages);
int tmem_host_set_frozen(struct tmem_host_client *hc, bool frozen);
int tmem_host_authorise(struct tmem_host_client *hc, const u8 *uuid);
int tmem_host_deauthorise_admin(struct tmem_host_client *hc, const u8 *uuid);
u32 tmem_host_authorised(struct tmem_host_client *hc, u8 *uuids);
void tmem_host_lock(struct tmem_host *h);
void tmem_host_unlock(struct tmem_host *h);
int tmem_host_put_locked(struct tmem_host_client *hc, const struct tmem_key *key,
			 const void *src);
int tmem_host_get_locked(struct tmem_host_client *hc, const struct tmem_key *key,
			 void *dst);
int tmem_host_flush_page_locked(struct tmem_host_client *hc, const struct tmem_key *key);
int tmem_host_flush_object_locked(struct tmem_host_client *hc, u32 pool, u64 oid);

/* sysfs.c: /sys/kernel/mgpu_tmem and /sys/kernel/debug/mgpu_tmem */
int tmem_sysfs_init(struct tmem_host *h);
void tmem_sysfs_fence(struct tmem_host *h);
void tmem_sysfs_exit(struct tmem_host *h);
int tmem_sysfs_client_add(struct tmem_host_client *hc);
void tmem_sysfs_client_del(struct tmem_host_client *hc);
void tmem_sysfs_client_put(struct tmem_host_client *hc);
int tmem_sysfs_pool_add(struct tmem_host_client *hc, struct tmem_host_pool *hp);
void tmem_sysfs_pool_del(struct tmem_host_pool *hp);
ssize_t tmem_sysfs_weight_show(struct tmem_host_client *hc, char *buf);
int tmem_sysfs_weight_store(struct tmem_host_client *hc, const char *buf);

/* shrinker.c */
int tmem_shrinker_init(struct tmem_host *h);
void tmem_shrinker_exit(struct tmem_host *h);

/* blk.c: host-local block devices */
int tmem_blk_init(struct tmem_host *h);
void tmem_blk_exit(void);
int tmem_blk_create(u32 size_mb, u32 weight, bool ephemeral);
int tmem_blk_remove(int id);

#endif /* MGPU_TMEM_HOST_H */
