// SPDX-License-Identifier: GPL-2.0-only
/*
 * mgpuctl set and policy: a vGPU's QoS knobs and preferred resolution (mgpu/<key>), and
 * a GPU's scheduling policy (mgpu_engine/policy). Values are checked against the
 * documented ranges before anything is written, so a typo writes nothing; the kernel
 * still has the last word (reservation above cap, a resolution too large for the VRAM).
 */
#include <errno.h>
#include <string.h>

#include "mgpuctl.h"

enum key_kind { KEY_NUM, KEY_CLASS, KEY_RES };

struct qos_key {
	const char *name;
	enum key_kind kind;
	unsigned long long min;
	unsigned long long max;
	const char *rule;	/* for the hint when the kernel refuses */
};

static const struct qos_key qos_keys[] = {
	{ "weight", KEY_NUM, 1, 10000, "weight is 1..10000" },
	{ "cap", KEY_NUM, 1, 100, "cap is 1..100 percent and not below reservation" },
	{ "reservation", KEY_NUM, 0, 100, "reservation is 0..100 percent and at most cap" },
	{ "timeslice_ms", KEY_NUM, 1, 30, "timeslice_ms is 1..30" },
	{ "latency_class", KEY_CLASS, 0, 0, "latency_class is normal or interactive" },
	{ "resolution", KEY_RES, 0, 0,
	  "resolution is 640x480..3840x2160 and its 32-bit frame must fit the vGPU's VRAM" },
};

static const char * const policies[] = { "best_effort", "equal_share", "fixed_share" };

static const struct qos_key *find_key(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(qos_keys); i++)
		if (strlen(qos_keys[i].name) == len && !strncmp(qos_keys[i].name, name, len))
			return &qos_keys[i];
	return NULL;
}

static bool valid_res(const char *v)
{
	unsigned long long w, h;
	char num[16];
	size_t n = strcspn(v, "x");

	if (!v[n] || n >= sizeof(num))
		return false;
	memcpy(num, v, n);
	num[n] = '\0';
	return mc_parse_u64(num, &w) && mc_parse_u64(v + n + 1, &h) && w && h;
}

static bool valid_value(const struct qos_key *k, const char *v)
{
	unsigned long long n;

	switch (k->kind) {
	case KEY_NUM:
		return mc_parse_u64(v, &n) && n >= k->min && n <= k->max;
	case KEY_CLASS:
		return !strcmp(v, "normal") || !strcmp(v, "interactive");
	default:
		return valid_res(v);
	}
}

/* Every KEY=VALUE must be known and well formed before the first write. */
static int check_settings(int argc, char **argv)
{
	const struct qos_key *k;
	const char *eq;
	int i;

	for (i = 0; i < argc; i++) {
		eq = strchr(argv[i], '=');
		if (!eq)
			return mc_usage_error("set", "'%s' is not KEY=VALUE", argv[i]);
		k = find_key(argv[i], eq - argv[i]);
		if (!k)
			return mc_usage_error("set",
					      "unknown key '%.*s' (keys: weight, cap, reservation, timeslice_ms, latency_class, resolution)",
					      (int)(eq - argv[i]), argv[i]);
		if (!valid_value(k, eq + 1))
			return mc_usage_error("set", "%s=%s: %s", k->name, eq + 1, k->rule);
	}
	return 0;
}

static void set_failed(int err, const char *uuid, char **argv, int done, const char *path)
{
	const struct qos_key *k = find_key(argv[done], strcspn(argv[done], "="));
	int i;

	mc_err_errno(err, "set %s on vGPU %s", argv[done], uuid);
	if (err == EINVAL)
		mc_hint("%s; the kernel log (dmesg) says why", k->rule);
	else if (err == ENOENT)
		mc_hint("this mgpu has no mgpu/%s: the module predates the setting", k->name);
	else
		mc_hint_errno(err, path);
	if (!done)
		return;
	fputs("mgpuctl: already applied:", stderr);
	for (i = 0; i < done; i++)
		fprintf(stderr, " %s", argv[i]);
	fputc('\n', stderr);
}

/**
 * mc_cmd_set - mgpuctl set UUID KEY=VALUE...
 * @o: the command line
 *
 * Return: an exit status.
 */
int mc_cmd_set(const struct mc_opts *o)
{
	char uuid[MC_UUID_LEN + 1], path[PATH_MAX], key[MC_NAME_MAX];
	int i, ret;
	size_t n;

	if (!mc_uuid_arg(o->argv[0], uuid))
		return mc_usage_error("set", "'%s' is not a UUID", o->argv[0]);
	ret = check_settings(o->argc - 1, o->argv + 1);
	if (ret)
		return ret;
	if (mc_path(path, "bus/mdev/devices/%s", uuid) || !mc_exists(path)) {
		mc_err("no vGPU %s (no %s)", uuid, path);
		return MC_EXIT_FAIL;
	}
	for (i = 1; i < o->argc; i++) {
		n = strcspn(o->argv[i], "=");
		snprintf(key, sizeof(key), "%.*s", (int)n, o->argv[i]);
		ret = mc_path(path, "bus/mdev/devices/%s/mgpu/%s", uuid, key);
		if (!ret)
			ret = mc_write_str(path, o->argv[i] + n + 1);
		if (ret) {
			set_failed(-ret, uuid, o->argv + 1, i - 1, path);
			return MC_EXIT_FAIL;
		}
	}
	return MC_EXIT_OK;
}

static bool valid_policy(const char *v)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(policies); i++)
		if (!strcmp(v, policies[i]))
			return true;
	return false;
}

/**
 * mc_cmd_policy - mgpuctl policy PARENT [POLICY]
 * @o: the command line
 *
 * Return: an exit status.
 */
int mc_cmd_policy(const struct mc_opts *o)
{
	char path[PATH_MAX], cur[MC_STR_MAX];
	struct mc_parent *p;
	struct mc_sys sys;
	int err, ret = MC_EXIT_FAIL;

	if (o->argc > 1 && !valid_policy(o->argv[1]))
		return mc_usage_error("policy",
				      "'%s' is not best_effort, equal_share or fixed_share",
				      o->argv[1]);
	if (mc_sys_load(&sys))
		return MC_EXIT_FAIL;
	p = mc_find_parent(&sys, o->argv[0]);
	if (!p || mc_path(path, "class/mdev_bus/%s/mgpu_engine/policy", p->name))
		goto out;
	if (o->argc == 1) {
		err = mc_read_str(path, cur, sizeof(cur));
		if (!err)
			printf("%s\n", cur);
	} else {
		err = mc_write_str(path, o->argv[1]);
	}
	if (err == -ENOENT) {
		mc_err("%s has no mgpu_engine/policy: this mgpu module has no scheduler", p->name);
	} else if (err) {
		mc_err_errno(-err, "%s policy of %s", o->argc == 1 ? "reading the" : "setting the",
			     p->name);
		mc_hint_errno(-err, path);
	} else {
		ret = MC_EXIT_OK;
	}
out:
	mc_sys_free(&sys);
	return ret;
}
