// SPDX-License-Identifier: GPL-2.0-only
/*
 * mgpuctl stats: every counter of every GPU, type and vGPU. Text is one
 * "<object> <name> <attribute> <value>" line per attribute, named as in sysfs; JSON
 * mirrors sysfs's layout (a vGPU's "mgpu" and "engine" groups) with numbers as numbers
 * and null for attributes this kernel does not have. Prometheus' form is in prom.c.
 */
#include <string.h>

#include "mgpuctl.h"

static void text_parent(const struct mc_parent *p)
{
	const struct mc_type *t;
	int i;

	printf("parent %s backend %s\n", p->name, p->pci ? "pci" : "soft");
	if (p->scanout[0])
		printf("parent %s mgpu_scanout %s\n", p->name, p->scanout);
	for (i = 0; i < MC_PF_NR; i++)
		if (p->engine[i].ok)
			printf("parent %s %s/%s %s\n", p->name, mc_pfields[i].group,
			       mc_pfields[i].name, p->engine[i].str);
	printf("parent %s vgpus %d\n", p->name, p->nr_vgpus);
	printf("parent %s vram_used_mb %llu\n", p->name, p->vram_used_mb);
	if (p->vram_free_mb >= 0)
		printf("parent %s vram_free_mb %lld\n", p->name, p->vram_free_mb);
	for (i = 0; i < p->nr_types; i++) {
		t = &p->types[i];
		if (t->available >= 0)
			printf("type %s/%s available_instances %lld\n", p->name, t->name,
			       t->available);
		if (t->max_instance >= 0)
			printf("type %s/%s max_instance %lld\n", p->name, t->name, t->max_instance);
	}
}

static void text_vgpu(const struct mc_vgpu *g)
{
	int i, k;

	printf("vgpu %s parent %s\n", g->uuid, g->parent);
	printf("vgpu %s type %s\n", g->uuid, g->type);
	for (i = 0; i < MC_VF_NR; i++)
		if (g->v[i].ok)
			printf("vgpu %s %s/%s %s\n", g->uuid, mc_vfields[i].group,
			       mc_vfields[i].name, g->v[i].str);
	if (!g->latency.ok)
		return;
	printf("vgpu %s engine/latency_us", g->uuid);
	for (k = 0; k < g->latency.n; k++) {
		if (g->latency.le[k] == MC_HIST_INF)
			printf(" inf:%llu", g->latency.count[k]);
		else
			printf(" %llu:%llu", g->latency.le[k], g->latency.count[k]);
	}
	putchar('\n');
}

static void json_parent(struct mc_json *j, const struct mc_parent *p)
{
	const struct mc_type *t;
	int i;

	mc_json_open(j, NULL, '{');
	mc_json_str(j, "name", p->name);
	mc_json_str(j, "backend", p->pci ? "pci" : "soft");
	mc_json_str(j, "mgpu_scanout", p->scanout[0] ? p->scanout : NULL);
	mc_json_open(j, "mgpu_engine", '{');
	for (i = 0; i < MC_PF_NR; i++)
		mc_json_val(j, mc_pfields[i].name, &p->engine[i], mc_pfields[i].is_str);
	mc_json_close(j, '}');
	mc_json_u64(j, "vgpus", p->nr_vgpus);
	mc_json_u64(j, "vram_used_mb", p->vram_used_mb);
	mc_json_i64(j, "vram_free_mb", p->vram_free_mb);
	mc_json_open(j, "types", '[');
	for (i = 0; i < p->nr_types; i++) {
		t = &p->types[i];
		mc_json_open(j, NULL, '{');
		mc_json_str(j, "type", t->name);
		mc_json_u64(j, "vram_mb", t->vram_mb);
		mc_json_i64(j, "available_instances", t->available);
		mc_json_i64(j, "max_instance", t->max_instance);
		mc_json_close(j, '}');
	}
	mc_json_close(j, ']');
	mc_json_close(j, '}');
}

static void json_group(struct mc_json *j, const struct mc_vgpu *g, const char *group)
{
	int i;

	mc_json_open(j, group, '{');
	for (i = 0; i < MC_VF_NR; i++)
		if (!strcmp(mc_vfields[i].group, group))
			mc_json_val(j, mc_vfields[i].name, &g->v[i], mc_vfields[i].is_str);
	if (!strcmp(group, "engine"))
		mc_json_hist(j, "latency_us", &g->latency);
	mc_json_close(j, '}');
}

static void json_vgpu(struct mc_json *j, const struct mc_vgpu *g)
{
	mc_json_open(j, NULL, '{');
	mc_json_str(j, "uuid", g->uuid);
	mc_json_str(j, "parent", g->parent);
	mc_json_str(j, "type", g->type);
	json_group(j, g, "mgpu");
	json_group(j, g, "engine");
	mc_json_close(j, '}');
}

static void stats_json(const struct mc_sys *sys)
{
	struct mc_json j;
	int i;

	mc_json_init(&j, stdout);
	mc_json_open(&j, NULL, '{');
	mc_json_open(&j, "parents", '[');
	for (i = 0; i < sys->nr_parents; i++)
		json_parent(&j, &sys->parents[i]);
	mc_json_close(&j, ']');
	mc_json_open(&j, "vgpus", '[');
	for (i = 0; i < sys->nr_vgpus; i++)
		json_vgpu(&j, &sys->vgpus[i]);
	mc_json_close(&j, ']');
	mc_json_close(&j, '}');
	mc_json_end(&j);
}

/**
 * mc_cmd_stats - mgpuctl stats [--json|--prometheus]
 * @o: the command line
 *
 * Return: an exit status.
 */
int mc_cmd_stats(const struct mc_opts *o)
{
	struct mc_sys sys;
	int i;

	if (mc_sys_load(&sys))
		return MC_EXIT_FAIL;
	if (o->json) {
		stats_json(&sys);
	} else if (o->prometheus) {
		mc_prom_write(&sys);
	} else {
		for (i = 0; i < sys.nr_parents; i++)
			text_parent(&sys.parents[i]);
		for (i = 0; i < sys.nr_vgpus; i++)
			text_vgpu(&sys.vgpus[i]);
	}
	mc_sys_free(&sys);
	return fflush(stdout) ? MC_EXIT_FAIL : MC_EXIT_OK;
}
