// SPDX-License-Identifier: GPL-2.0-only
/*
 * mgpuctl tmem: the transcendent-memory service (mgpu_tmem.ko, not written yet). Its
 * sysfs directory is <root>/kernel/mgpu_tmem; until its layout is fixed this shows it
 * generically: the top-level attributes, then each subdirectory (clients/, pools/) with
 * one line per entry listing that entry's attributes.
 */
#include <errno.h>
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
	return MC_EXIT_OK;
}
