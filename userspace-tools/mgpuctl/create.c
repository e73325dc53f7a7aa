// SPDX-License-Identifier: GPL-2.0-only
/*
 * mgpuctl create and remove: write a UUID to a type's create attribute, "1" to a
 * vGPU's remove attribute, and explain the kernel's refusals.
 */
#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "mgpuctl.h"

/**
 * mc_find_parent - the mgpu parent a user named, "0000:00:03.0", "00:03.0" or mgpu-soft.N
 * @sys: the model
 * @arg: the name
 *
 * Return: the parent, or NULL after saying which parents there are.
 */
struct mc_parent *mc_find_parent(struct mc_sys *sys, const char *arg)
{
	char full[MC_NAME_MAX];
	struct mc_parent *p;
	int i;

	p = mc_sys_parent(sys, arg);
	if (!p && snprintf(full, sizeof(full), "0000:%s", arg) < (int)sizeof(full))
		p = mc_sys_parent(sys, full);
	if (p)
		return p;
	mc_err("no GPU '%s' that mgpu drives", arg);
	if (!sys->nr_parents) {
		mc_hint("there is none: is the mgpu module loaded?");
		return NULL;
	}
	fputs("mgpuctl: hint: mgpu's GPUs are:", stderr);
	for (i = 0; i < sys->nr_parents; i++)
		fprintf(stderr, " %s", sys->parents[i].name);
	fputc('\n', stderr);
	return NULL;
}

static struct mc_type *find_type(struct mc_parent *p, const char *arg)
{
	char full[MC_NAME_MAX];
	int i;

	snprintf(full, sizeof(full), "mgpu-%s", arg);
	for (i = 0; i < p->nr_types; i++)
		if (!strcmp(p->types[i].name, arg) || !strcmp(p->types[i].name, full) ||
		    !strcmp(p->types[i].pretty, arg))
			return &p->types[i];
	mc_err("%s has no type '%s'", p->name, arg);
	fputs("mgpuctl: hint: its types are:", stderr);
	for (i = 0; i < p->nr_types; i++)
		fprintf(stderr, " %s", p->types[i].name);
	fputc('\n', stderr);
	return NULL;
}

/* The kernel's UUID generator, else 16 random bytes as a version 4 UUID. */
static int make_uuid(char *uuid)
{
	unsigned char b[16];

	if (!mc_read_str("/proc/sys/kernel/random/uuid", uuid, MC_UUID_LEN + 1) &&
	    mc_is_uuid(uuid))
		return 0;
	if (getrandom(b, sizeof(b), 0) != sizeof(b)) {
		mc_err_errno(errno, "making a UUID");
		return -1;
	}
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	snprintf(uuid, MC_UUID_LEN + 1,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11],
		 b[12], b[13], b[14], b[15]);
	return 0;
}

static void create_hint(int err, const struct mc_parent *p, const struct mc_type *t,
			const char *uuid, const char *path)
{
	char avail[32] = "?";
	char apath[PATH_MAX];

	switch (err) {
	case ENOSPC:
		if (!mc_path(apath, "class/mdev_bus/%s/mdev_supported_types/%s/available_instances",
			     p->name, t->name))
			mc_read_str(apath, avail, sizeof(avail));
		mc_hint("not enough free VRAM on %s for %s; available_instances is %s", p->name,
			t->name, avail);
		break;
	case EEXIST:
		mc_hint("UUID %s is in use by another mdev device", uuid);
		break;
	case EINVAL:
		mc_hint("the kernel refused the UUID; the kernel log (dmesg) says why");
		break;
	case ENOMEM:
		mc_hint("%s could not allocate the vGPU (host memory for a software GPU)", p->name);
		break;
	default:
		mc_hint_errno(err, path);
		break;
	}
}

/**
 * mc_cmd_create - mgpuctl create PARENT TYPE [UUID]
 * @o: the command line
 *
 * Return: an exit status.
 */
int mc_cmd_create(const struct mc_opts *o)
{
	char uuid[MC_UUID_LEN + 1], path[PATH_MAX];
	struct mc_parent *p;
	struct mc_type *t;
	struct mc_sys sys;
	int ret = MC_EXIT_FAIL, err;

	if (o->argc > 2 && !mc_uuid_arg(o->argv[2], uuid))
		return mc_usage_error("create", "'%s' is not a UUID", o->argv[2]);
	if (mc_sys_load(&sys))
		return MC_EXIT_FAIL;
	p = mc_find_parent(&sys, o->argv[0]);
	t = p ? find_type(p, o->argv[1]) : NULL;
	if (!t || (o->argc <= 2 && make_uuid(uuid)))
		goto out;
	if (!mc_path(path, "bus/mdev/devices/%s", uuid) && mc_exists(path)) {
		mc_err_errno(EEXIST, "creating vGPU %s", uuid);
		mc_hint("UUID %s is in use by another mdev device", uuid);
		goto out;
	}
	err = mc_path(path, "class/mdev_bus/%s/mdev_supported_types/%s/create", p->name,
		      t->name);
	if (!err)
		err = mc_write_str(path, uuid);
	if (err) {
		mc_err_errno(-err, "creating a %s vGPU on %s", t->name, p->name);
		create_hint(-err, p, t, uuid, path);
		goto out;
	}
	printf("%s\n", uuid);
	ret = MC_EXIT_OK;
out:
	mc_sys_free(&sys);
	return ret;
}

/**
 * mc_cmd_remove - mgpuctl remove UUID
 * @o: the command line
 *
 * Return: an exit status.
 */
int mc_cmd_remove(const struct mc_opts *o)
{
	char uuid[MC_UUID_LEN + 1], path[PATH_MAX];
	unsigned long long in_use;
	int err;

	if (!mc_uuid_arg(o->argv[0], uuid))
		return mc_usage_error("remove", "'%s' is not a UUID", o->argv[0]);
	if (mc_path(path, "bus/mdev/devices/%s", uuid) || !mc_exists(path)) {
		mc_err("no vGPU %s (no %s)", uuid, path);
		return MC_EXIT_FAIL;
	}
	if (!mc_path(path, "bus/mdev/devices/%s/mgpu/in_use", uuid) &&
	    !mc_read_u64(path, &in_use) && in_use)
		mc_err("vGPU %s is in use: removal waits until its VM releases it", uuid);
	err = mc_path(path, "bus/mdev/devices/%s/remove", uuid);
	if (!err)
		err = mc_write_str(path, "1");
	if (err) {
		mc_err_errno(-err, "removing vGPU %s", uuid);
		mc_hint_errno(-err, path);
		return MC_EXIT_FAIL;
	}
	return MC_EXIT_OK;
}
