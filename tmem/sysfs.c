// SPDX-License-Identifier: GPL-2.0-only
/*
 * mgpu tmem: administration and statistics in sysfs, and a consistency check in debugfs.
 *
 *   /sys/kernel/mgpu_tmem/                 the budget, global counters, blk_create/remove
 *   /sys/kernel/mgpu_tmem/clients/<id>/    a client's settings, counters, authorisations
 *   .../clients/<id>/pools/<pool>/         a pool's kind, UUID and counters
 *   /sys/kernel/debug/mgpu_tmem/check      tmem_engine_check(): "ok" or the error
 *
 * Documented in Documentation/ABI/testing/sysfs-kernel-mgpu_tmem. A refused setting
 * returns -EINVAL, -ENOSPC or -EBUSY and logs one line saying why and what to do.
 *
 * Client and pool files take only the engine's lock, never the admin lock that client
 * and pool removal hold while they wait for those files' readers; the one exception,
 * deauthorise (which removes a pool directory), trylocks it and restarts the write.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/kernel.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include <linux/uuid.h>

#include "host.h"

/* The host behind /sys/kernel/mgpu_tmem's own files (there is one per module). */
static struct tmem_host *sysfs_host;

/**
 * struct tmem_stat_attr - a read-only u64 taken from an info structure
 * @attr: the sysfs attribute
 * @offset: where the u64 lives in struct tmem_host_totals, tmem_client_info or
 *	tmem_pool_info
 */
struct tmem_stat_attr {
	struct kobj_attribute attr;
	size_t offset;
};

#define TMEM_STAT_ATTR(kind, type, name, field)				\
	static struct tmem_stat_attr kind##_stat_##name = {		\
		.attr = __ATTR(name, 0444, kind##_stat_show, NULL),	\
		.offset = offsetof(type, field),			\
	}

static ssize_t emit_u64_at(char *buf, const void *info, struct kobj_attribute *attr)
{
	const struct tmem_stat_attr *sa = container_of(attr, struct tmem_stat_attr, attr);
	u64 val;

	memcpy(&val, (const u8 *)info + sa->offset, sizeof(val));
	return sysfs_emit(buf, "%llu\n", val);
}

/* ---- /sys/kernel/mgpu_tmem -------------------------------------------------------- */

static ssize_t global_stat_show(struct kobject *kobj, struct kobj_attribute *attr,
				char *buf)
{
	struct tmem_host_totals t;

	tmem_host_totals(sysfs_host, &t);
	return emit_u64_at(buf, &t, attr);
}

TMEM_STAT_ATTR(global, struct tmem_host_totals, used_bytes, info.used_bytes);
TMEM_STAT_ATTR(global, struct tmem_host_totals, stored_pages, info.pages);
TMEM_STAT_ATTR(global, struct tmem_host_totals, zero_pages, zero_pages);
TMEM_STAT_ATTR(global, struct tmem_host_totals, compressed_pages, compressed_pages);
TMEM_STAT_ATTR(global, struct tmem_host_totals, evictions, evictions);
TMEM_STAT_ATTR(global, struct tmem_host_totals, shrinker_freed, shrinker_freed);
TMEM_STAT_ATTR(global, struct tmem_host_totals, memory_bytes, memory_bytes);

static ssize_t total_pages_show(struct kobject *kobj, struct kobj_attribute *attr,
				char *buf)
{
	struct tmem_host_totals t;

	tmem_host_totals(sysfs_host, &t);
	return sysfs_emit(buf, "%llu\n", t.total_pages);
}

static ssize_t total_pages_store(struct kobject *kobj, struct kobj_attribute *attr,
				 const char *buf, size_t len)
{
	u64 pages;
	int ret;

	ret = kstrtou64(buf, 0, &pages);
	if (ret)
		return ret;
	ret = tmem_host_set_total_pages(sysfs_host, pages);
	if (ret == -EINVAL)
		pr_info("total_pages %llu refused: use 1..%llu\n", pages, TMEM_MAX_TOTAL_PAGES);
	else if (ret == -EBUSY)
		pr_info("total_pages can change only while no client exists: remove the block devices (blk_remove) and the tmem mdevs first\n");
	return ret ? ret : len;
}

static struct kobj_attribute global_attr_total_pages = __ATTR_RW(total_pages);

static ssize_t nr_clients_show(struct kobject *kobj, struct kobj_attribute *attr,
			       char *buf)
{
	struct tmem_host_totals t;

	tmem_host_totals(sysfs_host, &t);
	return sysfs_emit(buf, "%u\n", t.info.nr_clients);
}

static struct kobj_attribute global_attr_nr_clients = __ATTR_RO(nr_clients);

static ssize_t compression_show(struct kobject *kobj, struct kobj_attribute *attr,
				char *buf)
{
	return sysfs_emit(buf, "%s\n", sysfs_host->comp_name);
}

static struct kobj_attribute global_attr_compression = __ATTR_RO(compression);

static ssize_t blk_create_store(struct kobject *kobj, struct kobj_attribute *attr,
				const char *buf, size_t len)
{
	char kind[16] = "persistent";
	u32 size_mb, weight;
	char extra;
	int n, ret;

	n = sscanf(buf, "%u %u %15s %c", &size_mb, &weight, kind, &extra);
	if (n < 2 || n > 3 ||
	    (strcmp(kind, "persistent") && strcmp(kind, "ephemeral"))) {
		pr_info("blk_create: expected \"<size_mb> <weight> [persistent|ephemeral]\"\n");
		return -EINVAL;
	}
	ret = tmem_blk_create(size_mb, weight, !strcmp(kind, "ephemeral"));
	return ret < 0 ? ret : len;
}

static struct kobj_attribute global_attr_blk_create = __ATTR_WO(blk_create);

static ssize_t blk_remove_store(struct kobject *kobj, struct kobj_attribute *attr,
				const char *buf, size_t len)
{
	int id, ret;

	ret = kstrtoint(buf, 10, &id);
	if (ret)
		return ret;
	ret = tmem_blk_remove(id);
	return ret ? ret : len;
}

static struct kobj_attribute global_attr_blk_remove = __ATTR_WO(blk_remove);

static struct attribute *global_attrs[] = {
	&global_attr_total_pages.attr,
	&global_stat_used_bytes.attr.attr,
	&global_stat_stored_pages.attr.attr,
	&global_stat_zero_pages.attr.attr,
	&global_stat_compressed_pages.attr.attr,
	&global_stat_evictions.attr.attr,
	&global_stat_shrinker_freed.attr.attr,
	&global_stat_memory_bytes.attr.attr,
	&global_attr_nr_clients.attr,
	&global_attr_compression.attr,
	&global_attr_blk_create.attr,
	&global_attr_blk_remove.attr,
	NULL
};

static const struct attribute_group global_group = {
	.attrs = global_attrs,
};

/* ---- clients/<id> ------------------------------------------------------------------ */

static struct tmem_host_client *to_client(struct kobject *kobj)
{
	return container_of(kobj, struct tmem_host_client, kobj);
}

static ssize_t client_stat_show(struct kobject *kobj, struct kobj_attribute *attr,
				char *buf)
{
	struct tmem_client_info ci;
	int ret = tmem_host_client_info(to_client(kobj), &ci);

	return ret ? ret : emit_u64_at(buf, &ci, attr);
}

TMEM_STAT_ATTR(client, struct tmem_client_info, puts, stats.puts);
TMEM_STAT_ATTR(client, struct tmem_client_info, puts_refused, stats.puts_refused);
TMEM_STAT_ATTR(client, struct tmem_client_info, gets, stats.gets);
TMEM_STAT_ATTR(client, struct tmem_client_info, hits, stats.hits);
TMEM_STAT_ATTR(client, struct tmem_client_info, flushes, stats.flushes);
TMEM_STAT_ATTR(client, struct tmem_client_info, evictions, stats.evictions);
TMEM_STAT_ATTR(client, struct tmem_client_info, stored_pages, stats.pages);
TMEM_STAT_ATTR(client, struct tmem_client_info, zero_pages, stats.zero_pages);
TMEM_STAT_ATTR(client, struct tmem_client_info, compressed_pages, stats.compressed_pages);
TMEM_STAT_ATTR(client, struct tmem_client_info, bytes, stats.bytes);
TMEM_STAT_ATTR(client, struct tmem_client_info, share_bytes, share_bytes);
TMEM_STAT_ATTR(client, struct tmem_client_info, writeback_hint, writeback_pages);

static ssize_t name_show(struct kobject *kobj, struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n", to_client(kobj)->name);
}

static struct kobj_attribute client_attr_name = __ATTR_RO(name);

/**
 * tmem_sysfs_weight_show - a client's weight as its sysfs files show it
 * @hc: the client
 * @buf: the sysfs page
 *
 * Return: the bytes written, or -errno.
 */
ssize_t tmem_sysfs_weight_show(struct tmem_host_client *hc, char *buf)
{
	struct tmem_client_info ci;
	int ret = tmem_host_client_info(hc, &ci);

	return ret ? ret : sysfs_emit(buf, "%u\n", ci.weight);
}

/**
 * tmem_sysfs_weight_store - set a client's weight from a sysfs write
 * @hc: the client
 * @buf: what was written
 *
 * Return: 0, -EINVAL for a value that is not a number or out of range (the caller
 * logs it, naming the file's owner), or another -errno.
 */
int tmem_sysfs_weight_store(struct tmem_host_client *hc, const char *buf)
{
	u32 weight;
	int ret;

	ret = kstrtou32(buf, 0, &weight);
	return ret ? ret : tmem_host_set_weight(hc, weight);
}

static ssize_t weight_show(struct kobject *kobj, struct kobj_attribute *attr, char *buf)
{
	return tmem_sysfs_weight_show(to_client(kobj), buf);
}

static ssize_t weight_store(struct kobject *kobj, struct kobj_attribute *attr,
			    const char *buf, size_t len)
{
	struct tmem_host_client *hc = to_client(kobj);
	int ret = tmem_sysfs_weight_store(hc, buf);

	if (ret == -EINVAL)
		pr_info("client %u: weight \"%.*s\" refused: use %u..%u\n", hc->id,
			(int)strcspn(buf, "\n"), buf, TMEM_WEIGHT_MIN, TMEM_WEIGHT_MAX);
	return ret ? ret : len;
}

static struct kobj_attribute client_attr_weight = __ATTR_RW(weight);

static ssize_t cap_pages_show(struct kobject *kobj, struct kobj_attribute *attr, char *buf)
{
	struct tmem_client_info ci;
	int ret = tmem_host_client_info(to_client(kobj), &ci);

	return ret ? ret : sysfs_emit(buf, "%llu\n", ci.cap_pages);
}

static ssize_t cap_pages_store(struct kobject *kobj, struct kobj_attribute *attr,
			       const char *buf, size_t len)
{
	struct tmem_host_client *hc = to_client(kobj);
	struct tmem_client_info ci;
	u64 pages;
	int ret;

	ret = kstrtou64(buf, 0, &pages);
	if (ret)
		return ret;
	ret = tmem_host_set_cap(hc, pages);
	if (ret == -EINVAL && !tmem_host_client_info(hc, &ci))
		pr_info("client %u: cap_pages %llu refused: a cap must be 0 (none) or at least reserve_pages (%llu) and at most %llu; lower the reserve first\n",
			hc->id, pages, ci.reserve_pages, TMEM_MAX_TOTAL_PAGES);
	return ret ? ret : len;
}

static struct kobj_attribute client_attr_cap_pages = __ATTR_RW(cap_pages);

static ssize_t reserve_pages_show(struct kobject *kobj, struct kobj_attribute *attr,
				  char *buf)
{
	struct tmem_client_info ci;
	int ret = tmem_host_client_info(to_client(kobj), &ci);

	return ret ? ret : sysfs_emit(buf, "%llu\n", ci.reserve_pages);
}

static void reserve_refused(struct tmem_host_client *hc, u64 pages, int err)
{
	struct tmem_host_totals t;
	struct tmem_client_info ci;

	if (tmem_host_client_info(hc, &ci))
		return;
	tmem_host_totals(hc->host, &t);
	if (err == -ENOSPC)
		pr_info("client %u: reserve_pages %llu refused: the reserves would exceed total_pages (%llu; %llu pages reserved by all clients now); lower another client's reserve or raise total_pages\n",
			hc->id, pages, t.total_pages,
			t.info.reserved_bytes / TMEM_PAGE_SIZE);
	else if (err == -EINVAL)
		pr_info("client %u: reserve_pages %llu refused: above its cap_pages (%llu); raise the cap first\n",
			hc->id, pages, ci.cap_pages);
}

static ssize_t reserve_pages_store(struct kobject *kobj, struct kobj_attribute *attr,
				   const char *buf, size_t len)
{
	struct tmem_host_client *hc = to_client(kobj);
	u64 pages;
	int ret;

	ret = kstrtou64(buf, 0, &pages);
	if (ret)
		return ret;
	ret = tmem_host_set_reserve(hc, pages);
	if (ret)
		reserve_refused(hc, pages, ret);
	return ret ? ret : len;
}

static struct kobj_attribute client_attr_reserve_pages = __ATTR_RW(reserve_pages);

static ssize_t frozen_show(struct kobject *kobj, struct kobj_attribute *attr, char *buf)
{
	struct tmem_client_info ci;
	int ret = tmem_host_client_info(to_client(kobj), &ci);

	return ret ? ret : sysfs_emit(buf, "%d\n", ci.frozen);
}

static ssize_t frozen_store(struct kobject *kobj, struct kobj_attribute *attr,
			    const char *buf, size_t len)
{
	bool frozen;
	int ret;

	ret = kstrtobool(buf, &frozen);
	if (!ret)
		ret = tmem_host_set_frozen(to_client(kobj), frozen);
	return ret ? ret : len;
}

static struct kobj_attribute client_attr_frozen = __ATTR_RW(frozen);

static int parse_uuid(struct tmem_host_client *hc, const char *buf, uuid_t *uuid)
{
	char s[UUID_STRING_LEN + 1];
	size_t n = strcspn(buf, "\n");

	if (n == UUID_STRING_LEN) {
		memcpy(s, buf, n);
		s[n] = 0;
		if (!uuid_parse(s, uuid))
			return 0;
	}
	pr_info("client %u: \"%.*s\" is not a UUID: write xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx\n",
		hc->id, (int)min_t(size_t, n, 64), buf);
	return -EINVAL;
}

static ssize_t authorise_store(struct kobject *kobj, struct kobj_attribute *attr,
			       const char *buf, size_t len)
{
	struct tmem_host_client *hc = to_client(kobj);
	uuid_t uuid;
	int ret;

	ret = parse_uuid(hc, buf, &uuid);
	if (ret)
		return ret;
	ret = tmem_host_authorise(hc, uuid.b);
	if (ret == -ENOSPC)
		pr_info("client %u: already authorised for %u shared pools: deauthorise one first\n",
			hc->id, TMEM_MAX_AUTH);
	return ret ? ret : len;
}

static struct kobj_attribute client_attr_authorise = __ATTR_WO(authorise);

static ssize_t deauthorise_store(struct kobject *kobj, struct kobj_attribute *attr,
				 const char *buf, size_t len)
{
	struct tmem_host_client *hc = to_client(kobj);
	uuid_t uuid;
	int ret;

	ret = parse_uuid(hc, buf, &uuid);
	if (ret)
		return ret;
	/* Client removal holds admin_lock while it waits for this file's writers. */
	if (!mutex_trylock(&hc->host->admin_lock))
		return restart_syscall();
	ret = tmem_host_deauthorise_admin(hc, uuid.b);
	mutex_unlock(&hc->host->admin_lock);
	if (ret == -ENOENT) {
		pr_info("client %u: %pUb is not authorised (see its \"authorised\" file)\n",
			hc->id, uuid.b);
		ret = -EINVAL;
	}
	return ret ? ret : len;
}

static struct kobj_attribute client_attr_deauthorise = __ATTR_WO(deauthorise);

static ssize_t authorised_show(struct kobject *kobj, struct kobj_attribute *attr,
			       char *buf)
{
	u8 uuids[TMEM_MAX_AUTH * TMEM_UUID_SIZE];
	u32 i, n = tmem_host_authorised(to_client(kobj), uuids);
	int len = 0;

	for (i = 0; i < n; i++)
		len += sysfs_emit_at(buf, len, "%pUb\n", &uuids[i * TMEM_UUID_SIZE]);
	return len;
}

static struct kobj_attribute client_attr_authorised = __ATTR_RO(authorised);

static struct attribute *client_attrs[] = {
	&client_attr_name.attr,
	&client_attr_weight.attr,
	&client_attr_cap_pages.attr,
	&client_attr_reserve_pages.attr,
	&client_attr_frozen.attr,
	&client_stat_puts.attr.attr,
	&client_stat_puts_refused.attr.attr,
	&client_stat_gets.attr.attr,
	&client_stat_hits.attr.attr,
	&client_stat_flushes.attr.attr,
	&client_stat_evictions.attr.attr,
	&client_stat_stored_pages.attr.attr,
	&client_stat_zero_pages.attr.attr,
	&client_stat_compressed_pages.attr.attr,
	&client_stat_bytes.attr.attr,
	&client_stat_share_bytes.attr.attr,
	&client_stat_writeback_hint.attr.attr,
	&client_attr_authorise.attr,
	&client_attr_deauthorise.attr,
	&client_attr_authorised.attr,
	NULL
};
ATTRIBUTE_GROUPS(client);

static void client_release(struct kobject *kobj)
{
	kfree(to_client(kobj));
}

static const struct kobj_type client_ktype = {
	.release	= client_release,
	.sysfs_ops	= &kobj_sysfs_ops,
	.default_groups	= client_groups,
};

/**
 * tmem_sysfs_client_add - create clients/<id> and its pools directory
 * @hc: the client, with its id and host set
 *
 * Context: process context; the host's admin_lock is held.
 * Return: 0, or an error after which @hc has been freed.
 */
int tmem_sysfs_client_add(struct tmem_host_client *hc)
{
	int ret;

	ret = kobject_init_and_add(&hc->kobj, &client_ktype, hc->host->clients_kobj, "%u",
				   hc->id);
	if (ret)
		goto err_put;
	hc->pools_kobj = kobject_create_and_add("pools", &hc->kobj);
	if (!hc->pools_kobj) {
		ret = -ENOMEM;
		goto err_put;
	}
	kobject_uevent(&hc->kobj, KOBJ_ADD);
	return 0;

err_put:
	kobject_put(&hc->kobj);
	return ret;
}

/**
 * tmem_sysfs_client_del - remove clients/<id>, its pools' directories included
 * @hc: the client
 *
 * Waits for the directory's readers and writers to finish; the memory stays until
 * tmem_sysfs_client_put().
 *
 * Context: process context; the host's admin_lock is held, its lock is not.
 */
void tmem_sysfs_client_del(struct tmem_host_client *hc)
{
	u32 i;

	for (i = 0; i < TMEM_MAX_POOLS; i++) {
		if (hc->pools[i])
			tmem_sysfs_pool_del(hc->pools[i]);
		hc->pools[i] = NULL;
	}
	kobject_put(hc->pools_kobj);
	hc->pools_kobj = NULL;
	kobject_del(&hc->kobj);
}

/**
 * tmem_sysfs_client_put - drop the client's sysfs reference, freeing it
 * @hc: the client, after tmem_sysfs_client_del()
 */
void tmem_sysfs_client_put(struct tmem_host_client *hc)
{
	kobject_put(&hc->kobj);
}

/* ---- clients/<id>/pools/<pool> ----------------------------------------------------- */

static struct tmem_host_pool *to_pool(struct kobject *kobj)
{
	return container_of(kobj, struct tmem_host_pool, kobj);
}

static ssize_t pool_stat_show(struct kobject *kobj, struct kobj_attribute *attr,
			      char *buf)
{
	struct tmem_pool_info pi;
	int ret = tmem_host_pool_info(to_pool(kobj), &pi);

	return ret ? ret : emit_u64_at(buf, &pi, attr);
}

TMEM_STAT_ATTR(pool, struct tmem_pool_info, puts, stats.puts);
TMEM_STAT_ATTR(pool, struct tmem_pool_info, puts_refused, stats.puts_refused);
TMEM_STAT_ATTR(pool, struct tmem_pool_info, gets, stats.gets);
TMEM_STAT_ATTR(pool, struct tmem_pool_info, hits, stats.hits);
TMEM_STAT_ATTR(pool, struct tmem_pool_info, flushes, stats.flushes);
TMEM_STAT_ATTR(pool, struct tmem_pool_info, evictions, stats.evictions);
TMEM_STAT_ATTR(pool, struct tmem_pool_info, stored_pages, stats.pages);
TMEM_STAT_ATTR(pool, struct tmem_pool_info, zero_pages, stats.zero_pages);
TMEM_STAT_ATTR(pool, struct tmem_pool_info, compressed_pages, stats.compressed_pages);
TMEM_STAT_ATTR(pool, struct tmem_pool_info, bytes, stats.bytes);

static ssize_t kind_show(struct kobject *kobj, struct kobj_attribute *attr, char *buf)
{
	struct tmem_pool_info pi;
	int ret = tmem_host_pool_info(to_pool(kobj), &pi);

	if (ret)
		return ret;
	if (pi.flags & TMEM_POOL_PERSISTENT)
		return sysfs_emit(buf, "persistent\n");
	return sysfs_emit(buf, "%s\n", pi.flags & TMEM_POOL_SHARED ? "shared" : "ephemeral");
}

static struct kobj_attribute pool_attr_kind = __ATTR_RO(kind);

static ssize_t uuid_show(struct kobject *kobj, struct kobj_attribute *attr, char *buf)
{
	struct tmem_pool_info pi;
	int ret = tmem_host_pool_info(to_pool(kobj), &pi);

	if (ret)
		return ret;
	if (!(pi.flags & TMEM_POOL_SHARED))
		return sysfs_emit(buf, "\n");
	return sysfs_emit(buf, "%pUb\n", pi.uuid);
}

static struct kobj_attribute pool_attr_uuid = __ATTR_RO(uuid);

static ssize_t members_show(struct kobject *kobj, struct kobj_attribute *attr, char *buf)
{
	struct tmem_pool_info pi;
	int ret = tmem_host_pool_info(to_pool(kobj), &pi);

	return ret ? ret : sysfs_emit(buf, "%u\n", pi.nr_clients);
}

static struct kobj_attribute pool_attr_members = __ATTR_RO(members);

static struct attribute *pool_attrs[] = {
	&pool_attr_kind.attr,
	&pool_attr_uuid.attr,
	&pool_attr_members.attr,
	&pool_stat_puts.attr.attr,
	&pool_stat_puts_refused.attr.attr,
	&pool_stat_gets.attr.attr,
	&pool_stat_hits.attr.attr,
	&pool_stat_flushes.attr.attr,
	&pool_stat_evictions.attr.attr,
	&pool_stat_stored_pages.attr.attr,
	&pool_stat_zero_pages.attr.attr,
	&pool_stat_compressed_pages.attr.attr,
	&pool_stat_bytes.attr.attr,
	NULL
};
ATTRIBUTE_GROUPS(pool);

static void pool_release(struct kobject *kobj)
{
	kfree(to_pool(kobj));
}

static const struct kobj_type pool_ktype = {
	.release	= pool_release,
	.sysfs_ops	= &kobj_sysfs_ops,
	.default_groups	= pool_groups,
};

/**
 * tmem_sysfs_pool_add - create clients/<id>/pools/<pool>
 * @hc: the client
 * @hp: the pool, with its client and id set
 *
 * Context: process context; the host's admin_lock is held.
 * Return: 0, or an error after which @hp has been freed.
 */
int tmem_sysfs_pool_add(struct tmem_host_client *hc, struct tmem_host_pool *hp)
{
	int ret;

	ret = kobject_init_and_add(&hp->kobj, &pool_ktype, hc->pools_kobj, "%u", hp->id);
	if (ret) {
		kobject_put(&hp->kobj);
		return ret;
	}
	/*
	 * No uevent: a guest opens and closes pools at will, and one looping NEW_POOL and
	 * DESTROY_POOL must not flood udev. Tools list clients/<id>/pools/ when they look.
	 */
	return 0;
}

/**
 * tmem_sysfs_pool_del - remove a pool's directory and free it
 * @hp: the pool
 *
 * Context: process context; the host's lock is not held (this waits for readers).
 */
void tmem_sysfs_pool_del(struct tmem_host_pool *hp)
{
	kobject_del(&hp->kobj);
	kobject_put(&hp->kobj);
}

/* ---- debugfs ----------------------------------------------------------------------- */

static int check_show(struct seq_file *m, void *unused)
{
	int ret = tmem_host_check(m->private);

	if (ret)
		seq_printf(m, "inconsistent (%d)\n", ret);
	else
		seq_puts(m, "ok\n");
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(check);

/* ---- module ------------------------------------------------------------------------ */

/**
 * tmem_sysfs_init - create /sys/kernel/mgpu_tmem and the debugfs directory
 * @h: the host, with its engine
 *
 * Context: process context; sleeps.
 * Return: 0 or -ENOMEM.
 */
int tmem_sysfs_init(struct tmem_host *h)
{
	int ret;

	sysfs_host = h;
	h->kobj = kobject_create_and_add("mgpu_tmem", kernel_kobj);
	if (!h->kobj)
		return -ENOMEM;
	h->clients_kobj = kobject_create_and_add("clients", h->kobj);
	if (!h->clients_kobj) {
		ret = -ENOMEM;
		goto err_put_root;
	}
	ret = sysfs_create_group(h->kobj, &global_group);
	if (ret)
		goto err_put_clients;
	h->debugfs = debugfs_create_dir("mgpu_tmem", NULL);
	debugfs_create_file("check", 0444, h->debugfs, h, &check_fops);
	return 0;

err_put_clients:
	kobject_put(h->clients_kobj);
err_put_root:
	kobject_put(h->kobj);
	return ret;
}

/**
 * tmem_sysfs_fence - remove the global files, waiting for their writers
 * @h: the host
 *
 * After this no block device can be created or removed through sysfs, so the module
 * can take the remaining ones down.
 *
 * Context: process context; sleeps.
 */
void tmem_sysfs_fence(struct tmem_host *h)
{
	sysfs_remove_group(h->kobj, &global_group);
}

/**
 * tmem_sysfs_exit - remove what tmem_sysfs_init() created
 * @h: the host, fenced and with no client left
 *
 * Context: process context; sleeps.
 */
void tmem_sysfs_exit(struct tmem_host *h)
{
	debugfs_remove_recursive(h->debugfs);
	kobject_put(h->clients_kobj);
	kobject_put(h->kobj);
}
