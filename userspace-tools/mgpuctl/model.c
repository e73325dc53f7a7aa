// SPDX-License-Identifier: GPL-2.0-only
/*
 * mgpuctl: the model of what mgpu exposes — parents (class/mdev_bus entries with mgpu-*
 * types), their types and engine attributes, and the vGPUs under bus/mdev/devices whose
 * mdev_type is an mgpu type. Attributes that do not exist (an older module, a parent
 * without a display) are kept as "not ok" rather than treated as errors.
 */
#include <errno.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>

#include "mgpuctl.h"

const struct mc_field mc_vfields[MC_VF_NR] = {
	[MC_VF_VRAM_MB]		= { "mgpu", "vram_mb", false },
	[MC_VF_MODE]		= { "mgpu", "mode", true },
	[MC_VF_RESOLUTION]	= { "mgpu", "resolution", true },
	[MC_VF_TRAPPED_READS]	= { "mgpu", "trapped_reads", false },
	[MC_VF_TRAPPED_WRITES]	= { "mgpu", "trapped_writes", false },
	[MC_VF_VRAM_FAULTS]	= { "mgpu", "vram_faults", false },
	[MC_VF_INTERRUPTS]	= { "mgpu", "interrupts", false },
	[MC_VF_FRAMES]		= { "mgpu", "frames", false },
	[MC_VF_IN_USE]		= { "mgpu", "in_use", false },
	[MC_VF_WEIGHT]		= { "mgpu", "weight", false },
	[MC_VF_CAP]		= { "mgpu", "cap", false },
	[MC_VF_RESERVATION]	= { "mgpu", "reservation", false },
	[MC_VF_TIMESLICE_MS]	= { "mgpu", "timeslice_ms", false },
	[MC_VF_LATENCY_CLASS]	= { "mgpu", "latency_class", true },
	[MC_VF_ENG_STATE]	= { "engine", "state", true },
	[MC_VF_ENG_BUSY_NS]	= { "engine", "busy_ns", false },
	[MC_VF_ENG_COMMANDS]	= { "engine", "commands", false },
	[MC_VF_ENG_SLICES]	= { "engine", "slices", false },
	[MC_VF_ENG_PREEMPTIONS]	= { "engine", "preemptions", false },
	[MC_VF_ENG_ERRORS]	= { "engine", "errors", false },
	[MC_VF_ENG_WATCHDOG_RESETS] = { "engine", "watchdog_resets", false },
	[MC_VF_ENG_FENCE]	= { "engine", "fence", false },
};

const struct mc_field mc_pfields[MC_PF_NR] = {
	[MC_PF_POLICY]		= { "mgpu_engine", "policy", true },
	[MC_PF_UTILIZATION]	= { "mgpu_engine", "utilization", false },
	[MC_PF_BUSY_NS]		= { "mgpu_engine", "busy_ns", false },
	[MC_PF_CONTEXTS]	= { "mgpu_engine", "contexts", false },
};

static void read_val(const char *path, struct mc_val *v, bool is_str)
{
	memset(v, 0, sizeof(*v));
	if (mc_read_str(path, v->str, sizeof(v->str)))
		return;
	v->ok = is_str || mc_parse_u64(v->str, &v->num);
}

/* "mgpu-16M" -> 16 */
static bool type_size(const char *name, unsigned long long *mb)
{
	char num[24];
	size_t len;

	if (strncmp(name, "mgpu-", 5))
		return false;
	len = strlen(name + 5);
	if (len < 2 || len >= sizeof(num) || name[4 + len] != 'M')
		return false;
	memcpy(num, name + 5, len - 1);
	num[len - 1] = '\0';
	return mc_parse_u64(num, mb) && *mb;
}

/* The value of "key=value" in a type's description, up to the next comma. */
static bool desc_get(const char *desc, const char *key, char *buf, size_t size)
{
	size_t klen = strlen(key), n;
	const char *p = desc;

	while ((p = strstr(p, key))) {
		if ((p == desc || p[-1] == ' ' || p[-1] == ',') && p[klen] == '=') {
			p += klen + 1;
			n = strcspn(p, "\n, ");
			if (n >= size)
				return false;
			memcpy(buf, p, n);
			buf[n] = '\0';
			return true;
		}
		p += klen;
	}
	return false;
}

static void load_type(const char *parent, const char *name, struct mc_type *t)
{
	char path[PATH_MAX], buf[32];
	unsigned long long v;

	memset(t, 0, sizeof(*t));
	snprintf(t->name, sizeof(t->name), "%s", name);
	type_size(name, &t->vram_mb);
	t->available = -1;
	t->max_instance = -1;
	if (!mc_path(path, "class/mdev_bus/%s/mdev_supported_types/%s/name", parent, name))
		mc_read_str(path, t->pretty, sizeof(t->pretty));
	if (!mc_path(path, "class/mdev_bus/%s/mdev_supported_types/%s/description",
		     parent, name))
		mc_read_str(path, t->description, sizeof(t->description));
	if (!mc_path(path, "class/mdev_bus/%s/mdev_supported_types/%s/available_instances",
		     parent, name) && !mc_read_u64(path, &v))
		t->available = v;
	if (desc_get(t->description, "max_instance", buf, sizeof(buf)) &&
	    mc_parse_u64(buf, &v))
		t->max_instance = v;
}

static int cmp_types(const void *a, const void *b)
{
	const struct mc_type *x = a, *y = b;

	if (x->vram_mb != y->vram_mb)
		return x->vram_mb < y->vram_mb ? 1 : -1;
	return strcmp(x->name, y->name);
}

/* Reads the parent's mgpu-* types; a parent with none is not mgpu's. */
static int load_types(struct mc_parent *p)
{
	char path[PATH_MAX], **names;
	unsigned long long mb;
	int n, i;

	if (mc_path(path, "class/mdev_bus/%s/mdev_supported_types", p->name))
		return -ENAMETOOLONG;
	n = mc_list_dir(path, &names);
	if (n <= 0)
		return n == -ENOENT ? 0 : n;
	p->types = calloc(n, sizeof(*p->types));
	if (!p->types) {
		mc_free_names(names, n);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++)
		if (type_size(names[i], &mb))
			load_type(p->name, names[i], &p->types[p->nr_types++]);
	mc_free_names(names, n);
	qsort(p->types, p->nr_types, sizeof(*p->types), cmp_types);
	return 0;
}

static void load_parent_attrs(struct mc_parent *p)
{
	char path[PATH_MAX], backend[16];
	int i;

	if (p->nr_types && desc_get(p->types[0].description, "backend", backend,
				    sizeof(backend)))
		p->pci = !strcmp(backend, "pci");
	else
		p->pci = !!strchr(p->name, ':');
	if (!mc_path(path, "class/mdev_bus/%s/mgpu_scanout", p->name))
		mc_read_str(path, p->scanout, sizeof(p->scanout));
	for (i = 0; i < MC_PF_NR; i++) {
		if (mc_path(path, "class/mdev_bus/%s/%s/%s", p->name, mc_pfields[i].group,
			    mc_pfields[i].name))
			continue;
		read_val(path, &p->engine[i], mc_pfields[i].is_str);
	}
	p->vram_free_mb = -1;
	if (p->nr_types) {
		const struct mc_type *t = &p->types[p->nr_types - 1];

		/* The pool is 1 MiB chunks: this is exact to the smallest type's size. */
		p->vram_step_mb = t->vram_mb;
		if (t->available >= 0)
			p->vram_free_mb = t->available * t->vram_mb;
	}
}

static int load_parents(struct mc_sys *sys)
{
	char path[PATH_MAX], **names;
	struct mc_parent *p;
	int n, i;

	if (mc_path(path, "class/mdev_bus"))
		return -ENAMETOOLONG;
	n = mc_list_dir(path, &names);
	if (n == -ENOENT)
		return 0;
	if (n < 0)
		return n;
	sys->mdev_bus = true;
	sys->parents = calloc(n ? n : 1, sizeof(*sys->parents));
	if (!sys->parents) {
		mc_free_names(names, n);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		p = &sys->parents[sys->nr_parents];
		snprintf(p->name, sizeof(p->name), "%s", names[i]);
		/* An unreadable parent is someone else's, or gone. */
		if (load_types(p) || !p->nr_types) {
			free(p->types);
			memset(p, 0, sizeof(*p));
			continue;
		}
		load_parent_attrs(p);
		sys->nr_parents++;
	}
	mc_free_names(names, n);
	return 0;
}

/**
 * mc_parse_hist - parse a latency_us histogram, "64:10 128:3 ... inf:0"
 * @s: the text
 * @h: the histogram
 *
 * Return: true if @s has at least one bucket, ascending bounds and no junk.
 */
bool mc_parse_hist(const char *s, struct mc_hist *h)
{
	char tok[64], *colon;
	unsigned long long le;
	size_t n;

	memset(h, 0, sizeof(*h));
	for (;;) {
		s += strspn(s, " \t\n");
		if (!*s)
			break;
		n = strcspn(s, " \t\n");
		if (n >= sizeof(tok) || h->n == MC_HIST_MAX)
			return false;
		memcpy(tok, s, n);
		tok[n] = '\0';
		s += n;
		colon = strchr(tok, ':');
		if (!colon)
			return false;
		*colon = '\0';
		if (!strcmp(tok, "inf"))
			le = MC_HIST_INF;
		else if (!mc_parse_u64(tok, &le))
			return false;
		if (h->n && le <= h->le[h->n - 1])
			return false;
		if (!mc_parse_u64(colon + 1, &h->count[h->n]))
			return false;
		h->le[h->n++] = le;
	}
	h->ok = h->n > 0;
	return h->ok;
}

/* Where the vGPU's mdev_type points: <parent dir>/mdev_supported_types/<type>. */
static bool vgpu_type(const char *uuid, char *parent, char *type)
{
	char path[PATH_MAX], real[PATH_MAX], *dir;

	if (mc_path(path, "bus/mdev/devices/%s/mdev_type", uuid) || !realpath(path, real))
		return false;
	snprintf(type, MC_NAME_MAX, "%s", basename(real));
	dir = dirname(real);
	if (strcmp(basename(dir), "mdev_supported_types"))
		return false;
	dir = dirname(dir);
	snprintf(parent, MC_NAME_MAX, "%s", basename(dir));
	return !strncmp(type, "mgpu-", 5);
}

static void load_vgpu(struct mc_vgpu *g)
{
	char path[PATH_MAX];
	struct mc_val lat;
	int i;

	for (i = 0; i < MC_VF_NR; i++) {
		if (mc_path(path, "bus/mdev/devices/%s/%s/%s", g->uuid, mc_vfields[i].group,
			    mc_vfields[i].name))
			continue;
		read_val(path, &g->v[i], mc_vfields[i].is_str);
	}
	if (!mc_path(path, "bus/mdev/devices/%s/engine/latency_us", g->uuid)) {
		read_val(path, &lat, true);
		if (lat.ok)
			mc_parse_hist(lat.str, &g->latency);
	}
}

static int load_vgpus(struct mc_sys *sys)
{
	char path[PATH_MAX], **names;
	struct mc_parent *p;
	struct mc_vgpu *g;
	int n, i;

	if (mc_path(path, "bus/mdev/devices"))
		return -ENAMETOOLONG;
	n = mc_list_dir(path, &names);
	if (n == -ENOENT)
		return 0;
	if (n < 0)
		return n;
	sys->vgpus = calloc(n ? n : 1, sizeof(*sys->vgpus));
	if (!sys->vgpus) {
		mc_free_names(names, n);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		g = &sys->vgpus[sys->nr_vgpus];
		if (strlen(names[i]) != MC_UUID_LEN ||
		    !vgpu_type(names[i], g->parent, g->type))
			continue;
		p = mc_sys_parent(sys, g->parent);
		if (!p)
			continue;
		memcpy(g->uuid, names[i], MC_UUID_LEN + 1);
		load_vgpu(g);
		p->nr_vgpus++;
		if (g->v[MC_VF_VRAM_MB].ok)
			p->vram_used_mb += g->v[MC_VF_VRAM_MB].num;
		sys->nr_vgpus++;
	}
	mc_free_names(names, n);
	return 0;
}

static int cmp_vgpus(const void *a, const void *b)
{
	const struct mc_vgpu *x = a, *y = b;
	int r = strcmp(x->parent, y->parent);

	return r ? r : strcmp(x->uuid, y->uuid);
}

/**
 * mc_sys_load - read every mgpu parent, type and vGPU below the sysfs root
 * @sys: filled in; free with mc_sys_free()
 *
 * A missing class/mdev_bus or bus/mdev/devices means none (the modules are not loaded).
 *
 * Return: 0, or -errno when the root itself cannot be read (a message is printed).
 */
int mc_sys_load(struct mc_sys *sys)
{
	int ret;

	memset(sys, 0, sizeof(*sys));
	if (!mc_exists(mc_root())) {
		mc_err_errno(ENOENT, "sysfs root %s", mc_root());
		return -ENOENT;
	}
	ret = load_parents(sys);
	if (!ret)
		ret = load_vgpus(sys);
	if (ret) {
		mc_err_errno(-ret, "reading mdev devices under %s", mc_root());
		mc_sys_free(sys);
		return ret;
	}
	if (sys->nr_vgpus)
		qsort(sys->vgpus, sys->nr_vgpus, sizeof(*sys->vgpus), cmp_vgpus);
	return 0;
}

/**
 * mc_sys_free - free what mc_sys_load() allocated
 * @sys: the model
 */
void mc_sys_free(struct mc_sys *sys)
{
	int i;

	for (i = 0; i < sys->nr_parents; i++)
		free(sys->parents[i].types);
	free(sys->parents);
	free(sys->vgpus);
	memset(sys, 0, sizeof(*sys));
}

/**
 * mc_sys_parent - find a parent by name
 * @sys: the model
 * @name: its name
 *
 * Return: the parent, or NULL.
 */
struct mc_parent *mc_sys_parent(struct mc_sys *sys, const char *name)
{
	int i;

	for (i = 0; i < sys->nr_parents; i++)
		if (!strcmp(sys->parents[i].name, name))
			return &sys->parents[i];
	return NULL;
}

/**
 * mc_sys_vgpu - find a vGPU by UUID
 * @sys: the model
 * @uuid: its UUID
 *
 * Return: the vGPU, or NULL.
 */
struct mc_vgpu *mc_sys_vgpu(struct mc_sys *sys, const char *uuid)
{
	int i;

	for (i = 0; i < sys->nr_vgpus; i++)
		if (!strcasecmp(sys->vgpus[i].uuid, uuid))
			return &sys->vgpus[i];
	return NULL;
}

/**
 * mc_vgpu_state - whether a VM holds the vGPU
 * @g: the vGPU
 *
 * Return: "in use", "idle", or "unknown" when in_use cannot be read.
 */
const char *mc_vgpu_state(const struct mc_vgpu *g)
{
	if (!g->v[MC_VF_IN_USE].ok)
		return "unknown";
	return g->v[MC_VF_IN_USE].num ? "in use" : "idle";
}
