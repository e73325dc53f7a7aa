// SPDX-License-Identifier: GPL-2.0-only
/*
 * mgpuctl tmem: the transcendent-memory service (mgpu_tmem.ko). Its sysfs directory is
 * <root>/kernel/mgpu_tmem: this shows the top-level attributes, each subdirectory
 * (clients/, ...) with one line per entry listing that entry's attributes, and then,
 * per client, its occupancy against its weighted share and its hit rate.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "mgpuctl.h"

#define TMEM_DIR	"kernel/mgpu_tmem"

/* Whether <root>/kernel/mgpu_tmem/<rel> is a directory. */
static bool is_dir(const char *rel)
{
	char path[PATH_MAX];
	struct stat st;

	return !mc_path(path, TMEM_DIR "%s", rel) && !stat(path, &st) && S_ISDIR(st.st_mode);
}

/* An attribute below kernel/mgpu_tmem, false when it cannot be read. */
static bool read_attr(const char *rel, char *val)
{
	char path[PATH_MAX];

	return !mc_path(path, TMEM_DIR "%s", rel) && !mc_read_str(path, val, MC_STR_MAX);
}

static int list(const char *rel, char ***names)
{
	char path[PATH_MAX];

	return mc_path(path, TMEM_DIR "%s", rel) ? -ENAMETOOLONG : mc_list_dir(path, names);
}

/* "  <entry>: name=value ..." for an entry of a group, or "  <entry>: value". */
static void show_entry(const char *group, const char *name)
{
	char rel[PATH_MAX], sub[PATH_MAX], val[MC_STR_MAX], **names;
	int n, i;

	snprintf(rel, sizeof(rel), "/%.64s/%.200s", group, name);
	if (!is_dir(rel)) {
		if (read_attr(rel, val))
			printf("  %s: %s\n", name, val);
		return;
	}
	printf("  %s:", name);
	n = list(rel, &names);
	for (i = 0; i < n; i++) {
		snprintf(sub, sizeof(sub), "/%.64s/%.200s/%.200s", group, name, names[i]);
		if (!is_dir(sub) && read_attr(sub, val))
			printf(" %s=%s", names[i], val);
	}
	putchar('\n');
	if (n > 0)
		mc_free_names(names, n);
}

static void show_group(const char *group)
{
	char rel[PATH_MAX], **names;
	int n, i;

	snprintf(rel, sizeof(rel), "/%.200s", group);
	printf("%s:\n", group);
	n = list(rel, &names);
	if (n <= 0) {
		puts("  none");
		return;
	}
	for (i = 0; i < n; i++)
		show_entry(group, names[i]);
	mc_free_names(names, n);
}

/* A client's counter, or -1 when it has no such file. */
static long long client_ull(const char *id, const char *attr)
{
	char rel[PATH_MAX], val[MC_STR_MAX];

	snprintf(rel, sizeof(rel), "/clients/%.64s/%.64s", id, attr);
	return read_attr(rel, val) ? strtoll(val, NULL, 10) : -1;
}

/* Occupancy per weight and hit rates, for clients that report them. */
static void show_occupancy(void)
{
	char **ids, rel[PATH_MAX], name[MC_STR_MAX];
	long long w, share, used, gets, hits;
	int n, i;

	n = list("/clients", &ids);
	if (n <= 0)
		return;
	printf("occupancy:\n  %-6s %-14s %6s %10s %10s %6s %6s\n", "CLIENT", "NAME", "WEIGHT",
	       "SHARE_KiB", "USED_KiB", "USED%", "HIT%");
	for (i = 0; i < n; i++) {
		w = client_ull(ids[i], "weight");
		share = client_ull(ids[i], "share_bytes");
		used = client_ull(ids[i], "bytes");
		gets = client_ull(ids[i], "gets");
		hits = client_ull(ids[i], "hits");
		if (w < 0 || share < 0 || used < 0)
			continue;
		snprintf(rel, sizeof(rel), "/clients/%.64s/name", ids[i]);
		if (!read_attr(rel, name))
			snprintf(name, sizeof(name), "-");
		printf("  %-6s %-14s %6lld %10lld %10lld %6.1f %6.1f\n", ids[i], name, w,
		       share / 1024, used / 1024, share ? 100.0 * used / share : 0.0,
		       gets > 0 && hits >= 0 ? 100.0 * hits / gets : 0.0);
	}
	mc_free_names(ids, n);
}

/**
 * mc_cmd_tmem - mgpuctl tmem
 * @o: the command line (no options)
 *
 * Return: an exit status; 0 also when the module is not loaded.
 */
int mc_cmd_tmem(const struct mc_opts *o)
{
	char rel[PATH_MAX], val[MC_STR_MAX], **names;
	int n, i;

	(void)o;
	if (!is_dir("")) {
		puts("tmem: not loaded (mgpu_tmem.ko provides it)");
		return MC_EXIT_OK;
	}
	n = list("", &names);
	if (n < 0) {
		mc_err_errno(-n, "%s/" TMEM_DIR, mc_root());
		return MC_EXIT_FAIL;
	}
	puts("tmem: loaded");
	for (i = 0; i < n; i++) {
		snprintf(rel, sizeof(rel), "/%.200s", names[i]);
		if (!is_dir(rel) && read_attr(rel, val))
			printf("  %s: %s\n", names[i], val);
	}
	for (i = 0; i < n; i++) {
		snprintf(rel, sizeof(rel), "/%.200s", names[i]);
		if (is_dir(rel))
			show_group(names[i]);
	}
	mc_free_names(names, n);
	show_occupancy();
	return MC_EXIT_OK;
}
