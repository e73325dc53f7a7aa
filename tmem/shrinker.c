// SPDX-License-Identifier: GPL-2.0-only
/*
 * mgpu tmem: the host shrinker. Under host memory pressure (and on drop_caches) the
 * kernel asks tmem to give memory back: the engine drops ephemeral pages, least recently
 * used first from the client most over its share, never below a client's reserve and
 * never a persistent page (tmem_engine_shrink()).
 *
 * Reclaim may run while tmem holds its lock (a put allocating with GFP_NOWAIT cannot
 * recurse here, but another task's reclaim can run concurrently), so both callbacks
 * only trylock: a busy engine is skipped this round rather than waited for.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mutex.h>

#include "compat.h"
#include "host.h"

static unsigned long tmem_shrink_count(struct shrinker *s, struct shrink_control *sc)
{
	struct tmem_host *h = tmem_compat_shrinker_priv(s);
	u64 n;

	if (!mutex_trylock(&h->lock))
		return 0;
	n = tmem_engine_count(h->eng);
	mutex_unlock(&h->lock);
	return n ? n : SHRINK_EMPTY;
}

static unsigned long tmem_shrink_scan(struct shrinker *s, struct shrink_control *sc)
{
	struct tmem_host *h = tmem_compat_shrinker_priv(s);
	u64 freed;

	if (!mutex_trylock(&h->lock))
		return SHRINK_STOP;
	freed = tmem_engine_shrink(h->eng, sc->nr_to_scan);
	h->shrinker_freed += freed;
	mutex_unlock(&h->lock);
	return freed ? freed : SHRINK_STOP;
}

/**
 * tmem_shrinker_init - register the host shrinker
 * @h: the host, with its engine
 *
 * Context: process context; sleeps.
 * Return: 0 or -ENOMEM.
 */
int tmem_shrinker_init(struct tmem_host *h)
{
	h->shrinker = tmem_compat_shrinker_create("mgpu-tmem", tmem_shrink_count,
						  tmem_shrink_scan, h);
	return h->shrinker ? 0 : -ENOMEM;
}

/**
 * tmem_shrinker_exit - unregister the host shrinker
 * @h: the host
 *
 * Context: process context; sleeps until running callbacks are done.
 */
void tmem_shrinker_exit(struct tmem_host *h)
{
	tmem_compat_shrinker_destroy(h->shrinker);
	h->shrinker = NULL;
}
