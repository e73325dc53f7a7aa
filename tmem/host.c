// SPDX-License-Identifier: GPL-2.0-only
/*
 * mgpu tmem: the pool engine in the kernel. The engine has no lock and no allocator of
 * its own; here it gets one mutex around every call and the kernel's allocators, an
 * optional crypto API compressor, and a registry of its clients for sysfs.
 *
 * Memory. The engine allocates under tmem_host.lock, and block I/O (possibly issued by
 * reclaim, e.g. swap on a tmem device) waits for that lock. So while clients exist the
 * allocation callbacks never wait for reclaim: pages come from alloc_page() and objects
 * from kmalloc() with GFP_NOWAIT | __GFP_NOWARN, and a put that finds no memory is
 * refused (-ENOMEM) like one over budget. Only while an engine is built (no client can
 * exist) do they use GFP_KERNEL, for the hash tables (kvmalloc()). The host shrinker
 * only trylocks, so it never waits for a put in progress either.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/crypto.h>
#include <linux/gfp.h>
#include <linux/lockdep.h>
#include <linux/mm.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "host.h"

/* ---- the engine's environment ------------------------------------------------------ */

static void *host_page_alloc(void *priv)
{
	struct tmem_host *h = priv;
	struct page *page = alloc_page(h->gfp);

	if (!page)
		return NULL;
	h->mem_pages++;
	return page_address(page);
}

static void host_page_free(void *priv, void *page)
{
	struct tmem_host *h = priv;

	h->mem_pages--;
	__free_page(virt_to_page(page));
}

static void *host_obj_alloc(void *priv, size_t size)
{
	struct tmem_host *h = priv;
	void *obj = kvmalloc(size, h->gfp);

	if (obj)
		h->mem_obj_bytes += size;
	return obj;
}

static void host_obj_free(void *priv, void *obj, size_t size)
{
	struct tmem_host *h = priv;

	h->mem_obj_bytes -= size;
	kvfree(obj);
}

static int host_compress(void *priv, const void *src, void *dst, size_t dst_max)
{
	struct tmem_host *h = priv;
	unsigned int len = dst_max;
	int ret;

	ret = crypto_comp_compress(h->comp, src, TMEM_PAGE_SIZE, dst, &len);
	return ret ? ret : len;
}

static int host_decompress(void *priv, const void *src, size_t len, void *dst)
{
	struct tmem_host *h = priv;
	unsigned int out = TMEM_PAGE_SIZE;
	int ret;

	/* Any failure is -EIO: the engine then drops the copy, and the guest sees a miss. */
	ret = crypto_comp_decompress(h->comp, src, len, dst, &out);
	return !ret && out == TMEM_PAGE_SIZE ? 0 : -EIO;
}

static const struct tmem_engine_ops host_ops = {
	.page_alloc	= host_page_alloc,
	.page_free	= host_page_free,
	.obj_alloc	= host_obj_alloc,
	.obj_free	= host_obj_free,
};

static const struct tmem_engine_ops host_comp_ops = {
	.page_alloc	= host_page_alloc,
	.page_free	= host_page_free,
	.obj_alloc	= host_obj_alloc,
	.obj_free	= host_obj_free,
	.compress	= host_compress,
	.decompress	= host_decompress,
};

/* A new engine of @pages for @h; the caller holds @h->lock and @h has no client. */
static int build_engine(struct tmem_host *h, u64 pages, struct tmem_engine **engp)
{
	struct tmem_engine_params prm = {
		.total_pages	= pages,
		.max_clients	= h->max_clients,
		.max_pools	= min_t(u32, h->max_clients * TMEM_MAX_POOLS,
					TMEM_MAX_GLOBAL_POOLS),
		.hash_seed	= get_random_u64(),
	};
	int ret;

	lockdep_assert_held(&h->lock);
	h->gfp = GFP_KERNEL;
	ret = tmem_engine_create(&prm, h->comp ? &host_comp_ops : &host_ops, h, engp);
	h->gfp = GFP_NOWAIT | __GFP_NOWARN;
	return ret;
}

static int init_compressor(struct tmem_host *h, const char *name)
{
	h->comp_name = "none";
	if (!name || !*name || !strcmp(name, "none"))
		return 0;
	h->comp = crypto_alloc_comp(name, 0, 0);
	if (IS_ERR(h->comp)) {
		int ret = PTR_ERR(h->comp);

		h->comp = NULL;
		pr_err("compression=%s: the crypto API has no such compressor (%d); load its module (e.g. 'modprobe lz4') or use compression=none\n",
		       name, ret);
		return ret;
	}
	h->comp_name = crypto_tfm_alg_name(crypto_comp_tfm(h->comp));
	return 0;
}

/**
 * tmem_host_init - set up a host with an empty engine
 * @h: the host, zeroed
 * @total_pages: the budget in pages of TMEM_PAGE_SIZE (1..TMEM_MAX_TOTAL_PAGES)
 * @max_clients: client ids 0..@max_clients - 1 (1..TMEM_MAX_CLIENTS)
 * @compression: a crypto API compressor ("lz4", "zstd", ...), or "none"/NULL
 *
 * Context: process context; sleeps.
 * Return: 0, -EINVAL, -ENOMEM, or the crypto API's error for @compression.
 */
int tmem_host_init(struct tmem_host *h, u64 total_pages, u32 max_clients,
		   const char *compression)
{
	int ret;

	if (!total_pages || total_pages > TMEM_MAX_TOTAL_PAGES || !max_clients ||
	    max_clients > TMEM_MAX_CLIENTS)
		return -EINVAL;
	mutex_init(&h->admin_lock);
	mutex_init(&h->lock);
	h->max_clients = max_clients;
	h->total_pages = total_pages;
	h->clients = kcalloc(max_clients, sizeof(*h->clients), GFP_KERNEL);
	if (!h->clients)
		return -ENOMEM;
	ret = init_compressor(h, compression);
	if (ret)
		goto err_free_clients;
	mutex_lock(&h->lock);
	ret = build_engine(h, total_pages, &h->eng);
	mutex_unlock(&h->lock);
	if (ret)
		goto err_free_comp;
	return 0;

err_free_comp:
	if (h->comp)
		crypto_free_comp(h->comp);
err_free_clients:
	kfree(h->clients);
	return ret;
}

/**
 * tmem_host_exit - free the engine and the compressor
 * @h: the host; every client is gone
 *
 * Context: process context; sleeps.
 */
void tmem_host_exit(struct tmem_host *h)
{
	mutex_lock(&h->lock);
	tmem_engine_destroy(h->eng);
	h->eng = NULL;
	mutex_unlock(&h->lock);
	WARN_ON(h->mem_pages || h->mem_obj_bytes);
	if (h->comp)
		crypto_free_comp(h->comp);
	kfree(h->clients);
}

/**
 * tmem_host_set_total_pages - change the budget
 * @h: the host
 * @pages: the new budget in pages
 *
 * The engine is rebuilt at the new size, so this works only while no client exists.
 *
 * Context: process context; sleeps.
 * Return: 0, -EINVAL (out of range), -EBUSY (clients exist) or -ENOMEM.
 */
int tmem_host_set_total_pages(struct tmem_host *h, u64 pages)
{
	struct tmem_engine *eng;
	int ret = 0;

	if (!pages || pages > TMEM_MAX_TOTAL_PAGES)
		return -EINVAL;
	mutex_lock(&h->admin_lock);
	mutex_lock(&h->lock);
	if (h->nr_clients) {
		ret = -EBUSY;
		goto out_unlock;
	}
	ret = build_engine(h, pages, &eng);
	if (ret)
		goto out_unlock;
	tmem_engine_destroy(h->eng);
	h->eng = eng;
	h->total_pages = pages;
out_unlock:
	mutex_unlock(&h->lock);
	mutex_unlock(&h->admin_lock);
	return ret;
}

/**
 * tmem_host_totals - the global numbers
 * @h: the host
 * @t: filled in
 *
 * Context: process context; takes @h->lock.
 */
void tmem_host_totals(struct tmem_host *h, struct tmem_host_totals *t)
{
	struct tmem_client_info ci;
	u32 i;

	memset(t, 0, sizeof(*t));
	mutex_lock(&h->lock);
	tmem_engine_info(h->eng, &t->info);
	t->evictions = h->retired_evictions;
	for (i = 0; i < h->max_clients; i++) {
		if (!h->clients[i] || tmem_engine_client_info(h->eng, i, &ci))
			continue;
		t->zero_pages += ci.stats.zero_pages;
		t->compressed_pages += ci.stats.compressed_pages;
		t->evictions += ci.stats.evictions;
	}
	t->shrinker_freed = h->shrinker_freed;
	t->memory_bytes = h->mem_pages * PAGE_SIZE + h->mem_obj_bytes;
	t->total_pages = h->total_pages;
	mutex_unlock(&h->lock);
}

/**
 * tmem_host_check - run the engine's full consistency walk
 * @h: the host
 *
 * Context: process context; takes @h->lock for a walk over every page.
 * Return: 0 when consistent, -EUCLEAN otherwise.
 */
int tmem_host_check(struct tmem_host *h)
{
	int ret;

	mutex_lock(&h->lock);
	ret = tmem_engine_check(h->eng);
	mutex_unlock(&h->lock);
	return ret;
}

/* ---- clients and pools ------------------------------------------------------------- */

/**
 * tmem_host_client_new - add an engine client with its sysfs directory
 * @h: the host
 * @weight: TMEM_WEIGHT_MIN..TMEM_WEIGHT_MAX
 * @name: who uses it, shown in sysfs
 *
 * Context: process context; sleeps.
 * Return: the client, or ERR_PTR(-EINVAL, -ENOSPC (no free id) or -ENOMEM).
 */
struct tmem_host_client *tmem_host_client_new(struct tmem_host *h, u32 weight,
					      const char *name)
{
	struct tmem_host_client *hc;
	int id, ret;

	hc = kzalloc(sizeof(*hc), GFP_KERNEL);
	if (!hc)
		return ERR_PTR(-ENOMEM);
	hc->host = h;
	strscpy(hc->name, name, sizeof(hc->name));
	mutex_lock(&h->admin_lock);
	mutex_lock(&h->lock);
	id = tmem_engine_client_new(h->eng, weight);
	if (id >= 0) {
		hc->id = id;
		h->clients[id] = hc;
		h->nr_clients++;
	}
	mutex_unlock(&h->lock);
	if (id < 0) {
		mutex_unlock(&h->admin_lock);
		kfree(hc);
		return ERR_PTR(id);
	}
	ret = tmem_sysfs_client_add(hc);	/* frees @hc on failure */
	if (ret) {
		mutex_lock(&h->lock);
		tmem_engine_client_destroy(h->eng, id);
		h->clients[id] = NULL;
		h->nr_clients--;
		mutex_unlock(&h->lock);
		hc = ERR_PTR(ret);
	}
	mutex_unlock(&h->admin_lock);
	return hc;
}

/**
 * tmem_host_client_destroy - remove a client with its pools, pages and sysfs directory
 * @hc: the client; nothing may use it any more (a block device's queue is gone)
 *
 * Context: process context; sleeps. Not from the client's own sysfs files.
 */
void tmem_host_client_destroy(struct tmem_host_client *hc)
{
	struct tmem_host *h = hc->host;
	struct tmem_client_info ci;

	mutex_lock(&h->admin_lock);
	/* First, so that no sysfs reader finds the engine client gone. */
	tmem_sysfs_client_del(hc);
	mutex_lock(&h->lock);
	if (!tmem_engine_client_info(h->eng, hc->id, &ci))
		h->retired_evictions += ci.stats.evictions;
	tmem_engine_client_destroy(h->eng, hc->id);
	h->clients[hc->id] = NULL;
	h->nr_clients--;
	hc->dead = true;
	mutex_unlock(&h->lock);
	mutex_unlock(&h->admin_lock);
	tmem_sysfs_client_put(hc);
}

/**
 * tmem_host_pool_new - open a pool for a client, with its sysfs directory
 * @hc: the client
 * @flags: TMEM_POOL_* (see tmem_engine_new_pool())
 * @uuid: a shared pool's UUID, else NULL
 *
 * Context: process context; sleeps.
 * Return: the pool id, or tmem_engine_new_pool()'s error, or -ENOMEM.
 */
int tmem_host_pool_new(struct tmem_host_client *hc, u32 flags, const u8 *uuid)
{
	struct tmem_host *h = hc->host;
	struct tmem_host_pool *hp;
	int id, ret;

	hp = kzalloc(sizeof(*hp), GFP_KERNEL);
	if (!hp)
		return -ENOMEM;
	mutex_lock(&h->admin_lock);
	mutex_lock(&h->lock);
	id = hc->dead ? -ENOENT : tmem_engine_new_pool(h->eng, hc->id, flags, uuid);
	mutex_unlock(&h->lock);
	if (id < 0) {
		kfree(hp);
		goto out_unlock;
	}
	hp->client = hc;
	hp->id = id;
	ret = tmem_sysfs_pool_add(hc, hp);	/* frees @hp on failure */
	if (ret) {
		mutex_lock(&h->lock);
		tmem_engine_destroy_pool(h->eng, hc->id, id);
		mutex_unlock(&h->lock);
		id = ret;
		goto out_unlock;
	}
	hc->pools[id] = hp;
out_unlock:
	mutex_unlock(&h->admin_lock);
	return id;
}

/**
 * tmem_host_pool_destroy - close a client's pool, with its sysfs directory
 * @hc: the client
 * @pool: the pool id
 *
 * Context: process context; sleeps. Not with the host's admin_lock or lock held.
 * Return: 0, or tmem_engine_destroy_pool()'s error (-EINVAL, -ENOENT), or -ENODEV.
 */
int tmem_host_pool_destroy(struct tmem_host_client *hc, u32 pool)
{
	struct tmem_host *h = hc->host;
	struct tmem_host_pool *hp = NULL;
	int ret;

	if (pool >= TMEM_MAX_POOLS)
		return -EINVAL;
	mutex_lock(&h->admin_lock);
	mutex_lock(&h->lock);
	ret = hc->dead ? -ENODEV : tmem_engine_destroy_pool(h->eng, hc->id, pool);
	if (!ret) {
		hp = hc->pools[pool];
		hc->pools[pool] = NULL;
	}
	mutex_unlock(&h->lock);
	/* Without the lock: removal waits for the pool's sysfs readers, which take it. */
	if (hp)
		tmem_sysfs_pool_del(hp);
	mutex_unlock(&h->admin_lock);
	return ret;
}

/**
 * tmem_host_client_info - a client's settings and counters
 * @hc: the client
 * @info: filled in
 *
 * Context: process context; takes the host's lock.
 * Return: 0, or -ENODEV when the client is being destroyed.
 */
int tmem_host_client_info(struct tmem_host_client *hc, struct tmem_client_info *info)
{
	struct tmem_host *h = hc->host;
	int ret;

	mutex_lock(&h->lock);
	ret = hc->dead ? -ENODEV : tmem_engine_client_info(h->eng, hc->id, info);
	mutex_unlock(&h->lock);
	return ret;
}

/**
 * tmem_host_pool_info - a pool's kind and counters
 * @hp: the pool
 * @info: filled in
 *
 * Context: process context; takes the host's lock.
 * Return: 0, -ENODEV (client being destroyed) or -ENOENT (pool closed).
 */
int tmem_host_pool_info(struct tmem_host_pool *hp, struct tmem_pool_info *info)
{
	struct tmem_host_client *hc = hp->client;
	struct tmem_host *h = hc->host;
	int ret;

	mutex_lock(&h->lock);
	ret = hc->dead ? -ENODEV : tmem_engine_pool_info(h->eng, hc->id, hp->id, info);
	mutex_unlock(&h->lock);
	return ret;
}

/* Take the lock for a call on @hc's engine client; NULL when it is being destroyed. */
static struct tmem_engine *lock_client(struct tmem_host_client *hc)
{
	mutex_lock(&hc->host->lock);
	return hc->dead ? NULL : hc->host->eng;
}

/**
 * tmem_host_set_weight - tmem_engine_set_weight() for a client
 * @hc: the client
 * @weight: the new weight
 *
 * Context: process context; takes the host's lock.
 * Return: 0, -EINVAL or -ENODEV.
 */
int tmem_host_set_weight(struct tmem_host_client *hc, u32 weight)
{
	struct tmem_engine *eng = lock_client(hc);
	int ret = eng ? tmem_engine_set_weight(eng, hc->id, weight) : -ENODEV;

	mutex_unlock(&hc->host->lock);
	return ret;
}

/**
 * tmem_host_set_cap - tmem_engine_set_cap() for a client
 * @hc: the client
 * @pages: the new cap, 0 for none
 *
 * Context: process context; takes the host's lock.
 * Return: 0, -EINVAL or -ENODEV.
 */
int tmem_host_set_cap(struct tmem_host_client *hc, u64 pages)
{
	struct tmem_engine *eng = lock_client(hc);
	int ret = eng ? tmem_engine_set_cap(eng, hc->id, pages) : -ENODEV;

	mutex_unlock(&hc->host->lock);
	return ret;
}

/**
 * tmem_host_set_reserve - tmem_engine_set_reserve() for a client
 * @hc: the client
 * @pages: the new reserve
 *
 * Context: process context; takes the host's lock.
 * Return: 0, -EINVAL, -ENOSPC or -ENODEV.
 */
int tmem_host_set_reserve(struct tmem_host_client *hc, u64 pages)
{
	struct tmem_engine *eng = lock_client(hc);
	int ret = eng ? tmem_engine_set_reserve(eng, hc->id, pages) : -ENODEV;

	mutex_unlock(&hc->host->lock);
	return ret;
}

/**
 * tmem_host_set_frozen - tmem_engine_set_frozen() for a client
 * @hc: the client
 * @frozen: refuse its puts
 *
 * Context: process context; takes the host's lock.
 * Return: 0 or -ENODEV.
 */
int tmem_host_set_frozen(struct tmem_host_client *hc, bool frozen)
{
	struct tmem_engine *eng = lock_client(hc);
	int ret = eng ? tmem_engine_set_frozen(eng, hc->id, frozen) : -ENODEV;

	mutex_unlock(&hc->host->lock);
	return ret;
}

static int auth_index(const struct tmem_host_client *hc, const u8 *uuid)
{
	u32 i;

	for (i = 0; i < hc->nr_auth; i++)
		if (!memcmp(hc->auth[i], uuid, TMEM_UUID_SIZE))
			return i;
	return -ENOENT;
}

/**
 * tmem_host_authorise - let a client join the shared pool of a UUID
 * @hc: the client
 * @uuid: TMEM_UUID_SIZE bytes
 *
 * Context: process context; takes the host's lock.
 * Return: 0 (also when already authorised), -ENOSPC (TMEM_MAX_AUTH reached) or -ENODEV.
 */
int tmem_host_authorise(struct tmem_host_client *hc, const u8 *uuid)
{
	struct tmem_engine *eng = lock_client(hc);
	int ret = eng ? tmem_engine_authorise(eng, hc->id, uuid) : -ENODEV;

	/* The engine keeps no list it could show: mirror it. */
	if (!ret && auth_index(hc, uuid) < 0)
		memcpy(hc->auth[hc->nr_auth++], uuid, TMEM_UUID_SIZE);
	mutex_unlock(&hc->host->lock);
	return ret;
}

static int deauthorise_locked(struct tmem_host_client *hc, const u8 *uuid)
{
	int i, ret;

	lockdep_assert_held(&hc->host->lock);
	ret = tmem_engine_deauthorise(hc->host->eng, hc->id, uuid);
	i = auth_index(hc, uuid);
	if (!ret && i >= 0) {
		memcpy(hc->auth[i], hc->auth[--hc->nr_auth], TMEM_UUID_SIZE);
		memset(hc->auth[hc->nr_auth], 0, TMEM_UUID_SIZE);
	}
	return ret;
}

/**
 * tmem_host_deauthorise_admin - revoke an authorisation; the client leaves that pool
 * @hc: the client
 * @uuid: TMEM_UUID_SIZE bytes
 *
 * A shared pool the client had open closes for it, and its sysfs directory goes.
 *
 * Context: process context; the caller holds the host's admin_lock.
 * Return: 0, -ENOENT (not authorised) or -ENODEV.
 */
int tmem_host_deauthorise_admin(struct tmem_host_client *hc, const u8 *uuid)
{
	struct tmem_host_pool *gone[TMEM_MAX_POOLS] = { NULL };
	struct tmem_host *h = hc->host;
	struct tmem_pool_info pi;
	int i, ret;

	lockdep_assert_held(&h->admin_lock);
	mutex_lock(&h->lock);
	ret = hc->dead ? -ENODEV : deauthorise_locked(hc, uuid);
	for (i = 0; !ret && i < TMEM_MAX_POOLS; i++) {
		if (hc->pools[i] && tmem_engine_pool_info(h->eng, hc->id, i, &pi)) {
			gone[i] = hc->pools[i];
			hc->pools[i] = NULL;
		}
	}
	mutex_unlock(&h->lock);
	/* Without the lock: removal waits for the pool's sysfs readers, which take it. */
	for (i = 0; i < TMEM_MAX_POOLS; i++)
		if (gone[i])
			tmem_sysfs_pool_del(gone[i]);
	return ret;
}

/**
 * tmem_host_authorised - the UUIDs a client is authorised for
 * @hc: the client
 * @uuids: TMEM_MAX_AUTH * TMEM_UUID_SIZE bytes to fill, one UUID after the other
 *
 * Context: process context; takes the host's lock.
 * Return: the number of entries filled.
 */
u32 tmem_host_authorised(struct tmem_host_client *hc, u8 *uuids)
{
	struct tmem_host *h = hc->host;
	u32 n;

	mutex_lock(&h->lock);
	n = hc->nr_auth;
	memcpy(uuids, hc->auth, n * TMEM_UUID_SIZE);
	mutex_unlock(&h->lock);
	return n;
}

/* ---- pages ------------------------------------------------------------------------- */

/**
 * tmem_host_lock - take the engine's lock for a batch of page operations
 * @h: the host
 *
 * Context: process context; sleeps. No allocation that may wait for reclaim until
 * tmem_host_unlock().
 */
void tmem_host_lock(struct tmem_host *h)
{
	mutex_lock(&h->lock);
}

/**
 * tmem_host_unlock - release tmem_host_lock()
 * @h: the host
 */
void tmem_host_unlock(struct tmem_host *h)
{
	mutex_unlock(&h->lock);
}

/**
 * tmem_host_put_locked - tmem_engine_put() of one TMEM_PAGE_SIZE page
 * @hc: the client
 * @key: where
 * @src: the page
 *
 * Context: the host's lock is held (tmem_host_lock()).
 * Return: 0 or tmem_engine_put()'s error (-ENOSPC, -EBUSY, -ENOMEM, ...).
 */
int tmem_host_put_locked(struct tmem_host_client *hc, const struct tmem_key *key,
			 const void *src)
{
	lockdep_assert_held(&hc->host->lock);
	if (hc->dead)
		return -ENODEV;
	return tmem_engine_put(hc->host->eng, hc->id, key, src, TMEM_PAGE_SIZE);
}

/**
 * tmem_host_get_locked - tmem_engine_get() of one TMEM_PAGE_SIZE page
 * @hc: the client
 * @key: where
 * @dst: the page to fill
 *
 * Context: the host's lock is held (tmem_host_lock()).
 * Return: 0, -ENOENT (not stored) or tmem_engine_get()'s other errors.
 */
int tmem_host_get_locked(struct tmem_host_client *hc, const struct tmem_key *key,
			 void *dst)
{
	lockdep_assert_held(&hc->host->lock);
	if (hc->dead)
		return -ENODEV;
	return tmem_engine_get(hc->host->eng, hc->id, key, dst, TMEM_PAGE_SIZE);
}

/**
 * tmem_host_flush_page_locked - tmem_engine_flush_page()
 * @hc: the client
 * @key: where
 *
 * Context: the host's lock is held (tmem_host_lock()).
 * Return: 0 or -ENOENT (nothing stored there).
 */
int tmem_host_flush_page_locked(struct tmem_host_client *hc, const struct tmem_key *key)
{
	lockdep_assert_held(&hc->host->lock);
	if (hc->dead)
		return -ENODEV;
	return tmem_engine_flush_page(hc->host->eng, hc->id, key);
}

/**
 * tmem_host_flush_object_locked - tmem_engine_flush_object()
 * @hc: the client
 * @pool: the pool id
 * @oid: the object
 *
 * Context: the host's lock is held (tmem_host_lock()).
 * Return: 0 or -EINVAL/-ENOENT (bad pool, or no page of the object stored).
 */
int tmem_host_flush_object_locked(struct tmem_host_client *hc, u32 pool, u64 oid)
{
	lockdep_assert_held(&hc->host->lock);
	if (hc->dead)
		return -ENODEV;
	return tmem_engine_flush_object(hc->host->eng, hc->id, pool, oid);
}
