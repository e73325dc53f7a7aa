// SPDX-License-Identifier: GPL-2.0-only
/*
 * mgpuctl list: the physical GPUs, the GPUs mgpu drives (parents) with their VRAM,
 * policy and types, and every vGPU with its type, state and QoS — as text or JSON.
 *
 * Free VRAM is the smallest type's size times its available_instances. mgpu's pool is
 * made of 1 MiB chunks and available_instances is exact, so this is exact to the
 * smallest type's size (8 MiB); the largest type's count would be wrong as soon as sizes
 * are mixed. Total VRAM is what the vGPUs use plus that.
 */
#include <stdlib.h>
#include <string.h>

#include "mgpuctl.h"

static const char *val_or(const struct mc_val *v, const char *def)
{
	return v->ok ? v->str : def;
}

/* ---- text ---- */

static void text_pci(const struct mc_sys *sys, const struct mc_pci_dev *devs, int n)
{
	int i;

	puts("Physical GPUs:");
	if (n <= 0)
		puts(n < 0 ? "  (libpci could not read the PCI bus)" : "  none");
	for (i = 0; i < n; i++)
		printf("  %s  %s [%04x:%04x]  driver=%s  mgpu=%s\n", devs[i].addr, devs[i].name,
		       devs[i].vendor_id, devs[i].device_id,
		       devs[i].driver[0] ? devs[i].driver : "none",
		       mc_pci_driven(sys, &devs[i]) ? "yes" : "no");
}

static void print_count(long long n)
{
	if (n >= 0)
		printf("%lld", n);
	else
		putchar('?');
}

static void text_parent(const struct mc_parent *p)
{
	int i;

	printf("  %s  backend=%s  policy=%s", p->name, p->pci ? "pci" : "soft",
	       val_or(&p->engine[MC_PF_POLICY], "-"));
	if (p->engine[MC_PF_UTILIZATION].ok)
		printf("  utilization=%llu%%", p->engine[MC_PF_UTILIZATION].num);
	if (p->engine[MC_PF_CONTEXTS].ok)
		printf("  contexts=%llu", p->engine[MC_PF_CONTEXTS].num);
	if (p->scanout[0])
		printf("  scanout=%s", p->scanout);
	putchar('\n');
	if (p->vram_free_mb >= 0)
		printf("    VRAM: %llu MiB, %llu MiB in %d vGPU%s, %lld MiB free\n",
		       p->vram_used_mb + p->vram_free_mb, p->vram_used_mb, p->nr_vgpus,
		       p->nr_vgpus == 1 ? "" : "s", p->vram_free_mb);
	else
		printf("    VRAM: %llu MiB in %d vGPU%s, free unknown\n", p->vram_used_mb,
		       p->nr_vgpus, p->nr_vgpus == 1 ? "" : "s");
	printf("    types (available/max):");
	for (i = 0; i < p->nr_types; i++) {
		printf(" %s ", p->types[i].name);
		print_count(p->types[i].available);
		putchar('/');
		print_count(p->types[i].max_instance);
	}
	putchar('\n');
}

static void text_vgpu(const struct mc_vgpu *g)
{
	const struct mc_val *v = g->v;

	printf("  %-36s  %-12s  %-9s  %4s  %-7s  %6s  %3s  %4s  %5s  %-11s  %s\n", g->uuid,
	       g->parent, g->type, val_or(&v[MC_VF_VRAM_MB], "-"), mc_vgpu_state(g),
	       val_or(&v[MC_VF_WEIGHT], "-"), val_or(&v[MC_VF_CAP], "-"),
	       val_or(&v[MC_VF_RESERVATION], "-"), val_or(&v[MC_VF_TIMESLICE_MS], "-"),
	       val_or(&v[MC_VF_LATENCY_CLASS], "-"), val_or(&v[MC_VF_ENG_STATE], "-"));
}

static void list_text(const struct mc_sys *sys, const struct mc_pci_dev *devs, int n)
{
	unsigned long long step = 0;
	int i;

	text_pci(sys, devs, n);
	puts("\nmgpu GPUs:");
	if (!sys->nr_parents)
		puts(sys->mdev_bus ? "  none (is the mgpu module loaded?)" :
		     "  none (no class/mdev_bus: the mdev and mgpu modules are not loaded)");
	for (i = 0; i < sys->nr_parents; i++) {
		text_parent(&sys->parents[i]);
		if (sys->parents[i].vram_step_mb > step)
			step = sys->parents[i].vram_step_mb;
	}
	puts("\nvGPUs:");
	if (!sys->nr_vgpus) {
		puts("  none");
	} else {
		printf("  %-36s  %-12s  %-9s  %4s  %-7s  %6s  %3s  %4s  %5s  %-11s  %s\n", "UUID",
		       "PARENT", "TYPE", "MiB", "STATE", "WEIGHT", "CAP", "RESV", "SLICE",
		       "CLASS", "ENGINE");
		for (i = 0; i < sys->nr_vgpus; i++)
			text_vgpu(&sys->vgpus[i]);
	}
	if (step)
		printf("\nFree VRAM is the smallest type's size times its available instances:\n"
		       "exact to %llu MiB (mgpu allocates VRAM in 1 MiB chunks).\n", step);
}

/* ---- JSON ---- */

static void json_pci(struct mc_json *j, const struct mc_sys *sys,
		     const struct mc_pci_dev *devs, int n)
{
	char id[8];
	int i;

	if (n < 0) {
		mc_json_null(j, "gpus");
		return;
	}
	mc_json_open(j, "gpus", '[');
	for (i = 0; i < n; i++) {
		mc_json_open(j, NULL, '{');
		mc_json_str(j, "address", devs[i].addr);
		snprintf(id, sizeof(id), "%04x", devs[i].vendor_id);
		mc_json_str(j, "vendor_id", id);
		snprintf(id, sizeof(id), "%04x", devs[i].device_id);
		mc_json_str(j, "device_id", id);
		snprintf(id, sizeof(id), "%04x", devs[i].class);
		mc_json_str(j, "class", id);
		mc_json_str(j, "name", devs[i].name);
		mc_json_str(j, "vendor", devs[i].vendor[0] ? devs[i].vendor : NULL);
		mc_json_str(j, "device", devs[i].device[0] ? devs[i].device : NULL);
		mc_json_str(j, "driver", devs[i].driver[0] ? devs[i].driver : NULL);
		mc_json_bool(j, "mgpu", mc_pci_driven(sys, &devs[i]));
		mc_json_close(j, '}');
	}
	mc_json_close(j, ']');
}

static void json_types(struct mc_json *j, const struct mc_parent *p)
{
	const struct mc_type *t;
	int i;

	mc_json_open(j, "types", '[');
	for (i = 0; i < p->nr_types; i++) {
		t = &p->types[i];
		mc_json_open(j, NULL, '{');
		mc_json_str(j, "type", t->name);
		mc_json_str(j, "name", t->pretty);
		mc_json_str(j, "description", t->description);
		mc_json_u64(j, "vram_mb", t->vram_mb);
		mc_json_i64(j, "available_instances", t->available);
		mc_json_i64(j, "max_instance", t->max_instance);
		mc_json_close(j, '}');
	}
	mc_json_close(j, ']');
}

static void json_parent(struct mc_json *j, const struct mc_parent *p)
{
	mc_json_open(j, NULL, '{');
	mc_json_str(j, "name", p->name);
	mc_json_str(j, "backend", p->pci ? "pci" : "soft");
	mc_json_val(j, "policy", &p->engine[MC_PF_POLICY], true);
	mc_json_val(j, "utilization", &p->engine[MC_PF_UTILIZATION], false);
	mc_json_val(j, "contexts", &p->engine[MC_PF_CONTEXTS], false);
	mc_json_str(j, "scanout", p->scanout[0] ? p->scanout : NULL);
	mc_json_u64(j, "vgpus", p->nr_vgpus);
	mc_json_u64(j, "vram_used_mb", p->vram_used_mb);
	mc_json_i64(j, "vram_free_mb", p->vram_free_mb);
	mc_json_i64(j, "vram_total_mb", p->vram_free_mb < 0 ? -1 :
		    (long long)p->vram_used_mb + p->vram_free_mb);
	mc_json_u64(j, "vram_free_granularity_mb", p->vram_step_mb);
	json_types(j, p);
	mc_json_close(j, '}');
}

static void json_vgpu(struct mc_json *j, const struct mc_vgpu *g)
{
	static const enum mc_vfield qos[] = {
		MC_VF_WEIGHT, MC_VF_CAP, MC_VF_RESERVATION, MC_VF_TIMESLICE_MS,
		MC_VF_LATENCY_CLASS,
	};
	size_t i;

	mc_json_open(j, NULL, '{');
	mc_json_str(j, "uuid", g->uuid);
	mc_json_str(j, "parent", g->parent);
	mc_json_str(j, "type", g->type);
	mc_json_val(j, "vram_mb", &g->v[MC_VF_VRAM_MB], false);
	mc_json_str(j, "state", mc_vgpu_state(g));
	mc_json_val(j, "engine_state", &g->v[MC_VF_ENG_STATE], true);
	mc_json_val(j, "mode", &g->v[MC_VF_MODE], true);
	mc_json_val(j, "resolution", &g->v[MC_VF_RESOLUTION], true);
	mc_json_open(j, "qos", '{');
	for (i = 0; i < ARRAY_SIZE(qos); i++)
		mc_json_val(j, mc_vfields[qos[i]].name, &g->v[qos[i]], mc_vfields[qos[i]].is_str);
	mc_json_close(j, '}');
	mc_json_close(j, '}');
}

static void list_json(const struct mc_sys *sys, const struct mc_pci_dev *devs, int n)
{
	struct mc_json j;
	int i;

	mc_json_init(&j, stdout);
	mc_json_open(&j, NULL, '{');
	mc_json_str(&j, "sysfs_root", mc_root());
	json_pci(&j, sys, devs, n);
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
 * mc_cmd_list - mgpuctl list [--json]
 * @o: the command line
 *
 * Return: an exit status; 1 also when libpci failed (the rest is still printed).
 */
int mc_cmd_list(const struct mc_opts *o)
{
	struct mc_pci_dev *devs;
	struct mc_sys sys;
	int n;

	if (mc_sys_load(&sys))
		return MC_EXIT_FAIL;
	n = mc_pci_scan(&sys, &devs);
	if (o->json)
		list_json(&sys, devs, n);
	else
		list_text(&sys, devs, n);
	free(devs);
	mc_sys_free(&sys);
	/* Partial output when libpci failed, but a failure all the same. */
	return fflush(stdout) || n < 0 ? MC_EXIT_FAIL : MC_EXIT_OK;
}
