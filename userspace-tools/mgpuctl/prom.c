// SPDX-License-Identifier: GPL-2.0-only
/*
 * mgpuctl stats --prometheus: Prometheus' text exposition format (0.0.4), for
 * node_exporter's textfile collector. Each family is printed whole (HELP, TYPE, then
 * its samples) and only when some object has it; values are in base units (bytes,
 * seconds, ratios) printed as exact decimals; label values are escaped.
 *
 * The engine's latency histogram has no sum in sysfs, so the _sum series is left out
 * (_bucket and _count are complete).
 */
#include <string.h>

#include "mgpuctl.h"

/**
 * struct prom_metric - a vGPU attribute as a metric family
 * @name: the family's name
 * @type: "counter" or "gauge"
 * @help: its HELP text
 * @field: the attribute
 * @mul: value = attribute * @mul / @div
 * @div: a power of ten
 */
struct prom_metric {
	const char *name;
	const char *type;
	const char *help;
	enum mc_vfield field;
	unsigned long long mul;
	unsigned long long div;
};

static const struct prom_metric vgpu_metrics[] = {
	{ "mgpu_vgpu_vram_bytes", "gauge", "VRAM of the vGPU.", MC_VF_VRAM_MB, 1ULL << 20, 1 },
	{ "mgpu_vgpu_in_use", "gauge", "1 while a VM (QEMU) holds the vGPU open.",
	  MC_VF_IN_USE, 1, 1 },
	{ "mgpu_vgpu_trapped_reads_total", "counter",
	  "Reads of the vGPU's trapped regions (config space, registers, display).",
	  MC_VF_TRAPPED_READS, 1, 1 },
	{ "mgpu_vgpu_trapped_writes_total", "counter",
	  "Writes to the vGPU's trapped regions (config space, registers, display).",
	  MC_VF_TRAPPED_WRITES, 1, 1 },
	{ "mgpu_vgpu_vram_faults_total", "counter", "VRAM pages mapped for passthrough.",
	  MC_VF_VRAM_FAULTS, 1, 1 },
	{ "mgpu_vgpu_interrupts_total", "counter", "Interrupts delivered to the vGPU's user.",
	  MC_VF_INTERRUPTS, 1, 1 },
	{ "mgpu_vgpu_frames_total", "counter", "Display frames copied to the host.",
	  MC_VF_FRAMES, 1, 1 },
	{ "mgpu_vgpu_weight", "gauge", "Scheduling weight (1..10000).", MC_VF_WEIGHT, 1, 1 },
	{ "mgpu_vgpu_cap_ratio", "gauge", "Largest share of the engine the vGPU may use.",
	  MC_VF_CAP, 1, 100 },
	{ "mgpu_vgpu_reservation_ratio", "gauge", "Share of the engine reserved for the vGPU.",
	  MC_VF_RESERVATION, 1, 100 },
	{ "mgpu_vgpu_timeslice_seconds", "gauge", "The vGPU's scheduling time slice.",
	  MC_VF_TIMESLICE_MS, 1, 1000 },
	{ "mgpu_vgpu_engine_busy_seconds_total", "counter",
	  "Time the GPU's engine spent on the vGPU's commands.", MC_VF_ENG_BUSY_NS, 1,
	  1000000000ULL },
	{ "mgpu_vgpu_engine_commands_total", "counter", "Engine commands completed.",
	  MC_VF_ENG_COMMANDS, 1, 1 },
	{ "mgpu_vgpu_engine_slices_total", "counter", "Time slices the vGPU ran.",
	  MC_VF_ENG_SLICES, 1, 1 },
	{ "mgpu_vgpu_engine_preemptions_total", "counter",
	  "Time slices cut short by another context.", MC_VF_ENG_PREEMPTIONS, 1, 1 },
	{ "mgpu_vgpu_engine_errors_total", "counter", "Times the vGPU's engine hit an error.",
	  MC_VF_ENG_ERRORS, 1, 1 },
	{ "mgpu_vgpu_engine_watchdog_resets_total", "counter",
	  "Engine resets caused by the watchdog.", MC_VF_ENG_WATCHDOG_RESETS, 1, 1 },
	{ "mgpu_vgpu_engine_fence", "gauge", "Last fence value the engine completed.",
	  MC_VF_ENG_FENCE, 1, 1 },
};

static void put_label(bool first, const char *key, const char *val)
{
	printf("%s%s=\"", first ? "{" : ",", key);
	for (; *val; val++) {
		if (*val == '\\' || *val == '"')
			printf("\\%c", *val);
		else if (*val == '\n')
			fputs("\\n", stdout);
		else
			putchar(*val);
	}
	putchar('"');
}

static void vgpu_labels(const struct mc_vgpu *g)
{
	put_label(true, "uuid", g->uuid);
	put_label(false, "parent", g->parent);
	put_label(false, "type", g->type);
}

/* num * mul / div as an exact decimal; div is a power of ten. */
static void fmt_value(char *buf, size_t size, unsigned long long num, unsigned long long mul,
		      unsigned long long div)
{
	unsigned long long whole, frac;
	int digits = 0;

	num *= mul;
	whole = num / div;
	frac = num % div;
	for (; div > 1; div /= 10)
		digits++;
	while (frac && frac % 10 == 0) {
		frac /= 10;
		digits--;
	}
	if (frac)
		snprintf(buf, size, "%llu.%0*llu", whole, digits, frac);
	else
		snprintf(buf, size, "%llu", whole);
}

/* Ends a sample: its labels' closing brace, its value, a newline. */
static void put_value(unsigned long long num, unsigned long long mul, unsigned long long div)
{
	char buf[48];

	fmt_value(buf, sizeof(buf), num, mul, div);
	printf("} %s\n", buf);
}

static void family(const char *name, const char *type, const char *help)
{
	printf("# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void vgpu_table(const struct mc_sys *sys)
{
	const struct prom_metric *m;
	const struct mc_vgpu *g;
	bool any;
	size_t i;
	int k;

	for (i = 0; i < ARRAY_SIZE(vgpu_metrics); i++) {
		m = &vgpu_metrics[i];
		for (any = false, k = 0; k < sys->nr_vgpus; k++)
			any |= sys->vgpus[k].v[m->field].ok;
		if (!any)
			continue;
		family(m->name, m->type, m->help);
		for (k = 0; k < sys->nr_vgpus; k++) {
			g = &sys->vgpus[k];
			if (!g->v[m->field].ok)
				continue;
			fputs(m->name, stdout);
			vgpu_labels(g);
			put_value(g->v[m->field].num, m->mul, m->div);
		}
	}
}

static void vgpu_info(const struct mc_sys *sys)
{
	const struct mc_vgpu *g;
	char state[MC_STR_MAX];
	int k;

	if (!sys->nr_vgpus)
		return;
	family("mgpu_vgpu_info", "gauge", "A vGPU of an mgpu GPU, with its settings as labels.");
	for (k = 0; k < sys->nr_vgpus; k++) {
		g = &sys->vgpus[k];
		fputs("mgpu_vgpu_info", stdout);
		vgpu_labels(g);
		put_label(false, "latency_class", g->v[MC_VF_LATENCY_CLASS].ok ?
			  g->v[MC_VF_LATENCY_CLASS].str : "");
		put_label(false, "resolution", g->v[MC_VF_RESOLUTION].ok ?
			  g->v[MC_VF_RESOLUTION].str : "");
		put_value(1, 1, 1);
	}
	for (k = 0; k < sys->nr_vgpus && !sys->vgpus[k].v[MC_VF_ENG_STATE].ok; k++)
		;
	if (k == sys->nr_vgpus)
		return;
	family("mgpu_vgpu_engine_state", "gauge",
	       "The vGPU engine's state (disabled, idle, busy or error) as a label.");
	for (; k < sys->nr_vgpus; k++) {
		g = &sys->vgpus[k];
		if (!g->v[MC_VF_ENG_STATE].ok)
			continue;
		/* "error: <name> at 0x<addr>" is state "error". */
		snprintf(state, sizeof(state), "%.*s", (int)strcspn(g->v[MC_VF_ENG_STATE].str, ":"),
			 g->v[MC_VF_ENG_STATE].str);
		fputs("mgpu_vgpu_engine_state", stdout);
		vgpu_labels(g);
		put_label(false, "state", state);
		put_value(1, 1, 1);
	}
}

static void vgpu_hist(const struct mc_vgpu *g)
{
	const struct mc_hist *h = &g->latency;
	unsigned long long sum = 0;
	char le[48];
	int i;

	for (i = 0; i < h->n; i++) {
		sum += h->count[i];
		if (h->le[i] == MC_HIST_INF)
			continue;
		fmt_value(le, sizeof(le), h->le[i], 1, 1000000);
		fputs("mgpu_vgpu_engine_latency_seconds_bucket", stdout);
		vgpu_labels(g);
		put_label(false, "le", le);
		put_value(sum, 1, 1);
	}
	fputs("mgpu_vgpu_engine_latency_seconds_bucket", stdout);
	vgpu_labels(g);
	put_label(false, "le", "+Inf");
	put_value(sum, 1, 1);
	fputs("mgpu_vgpu_engine_latency_seconds_count", stdout);
	vgpu_labels(g);
	put_value(sum, 1, 1);
}

static void vgpu_latency(const struct mc_sys *sys)
{
	int k;

	for (k = 0; k < sys->nr_vgpus && !sys->vgpus[k].latency.ok; k++)
		;
	if (k == sys->nr_vgpus)
		return;
	family("mgpu_vgpu_engine_latency_seconds", "histogram",
	       "Submit-to-start latency of the vGPU's engine work (engine/latency_us; no _sum).");
	for (; k < sys->nr_vgpus; k++)
		if (sys->vgpus[k].latency.ok)
			vgpu_hist(&sys->vgpus[k]);
}

/**
 * struct prom_pmetric - a parent attribute as a metric family
 * @name: the family's name
 * @type: "counter" or "gauge"
 * @help: its HELP text
 * @field: the attribute
 * @div: value = attribute / @div, a power of ten
 */
struct prom_pmetric {
	const char *name;
	const char *type;
	const char *help;
	enum mc_pfield field;
	unsigned long long div;
};

static const struct prom_pmetric parent_metrics[] = {
	{ "mgpu_parent_engine_utilization_ratio", "gauge",
	  "Share of the last second the GPU's engine was busy.", MC_PF_UTILIZATION, 100 },
	{ "mgpu_parent_engine_busy_seconds_total", "counter",
	  "Time the GPU's engine was busy.", MC_PF_BUSY_NS, 1000000000ULL },
	{ "mgpu_parent_engine_contexts", "gauge",
	  "Contexts on the GPU's engine (vGPUs and native).", MC_PF_CONTEXTS, 1 },
};

static void parent_engine(const struct mc_sys *sys)
{
	const struct prom_pmetric *m;
	const struct mc_parent *p;
	size_t i;
	int k;

	for (i = 0; i < ARRAY_SIZE(parent_metrics); i++) {
		m = &parent_metrics[i];
		for (k = 0; k < sys->nr_parents && !sys->parents[k].engine[m->field].ok; k++)
			;
		if (k == sys->nr_parents)
			continue;
		family(m->name, m->type, m->help);
		for (; k < sys->nr_parents; k++) {
			p = &sys->parents[k];
			if (!p->engine[m->field].ok)
				continue;
			fputs(m->name, stdout);
			put_label(true, "parent", p->name);
			put_value(p->engine[m->field].num, 1, m->div);
		}
	}
}

static void parent_info(const struct mc_sys *sys)
{
	const struct mc_parent *p;
	int k;

	family("mgpu_parent_info", "gauge", "A GPU that mgpu drives, with its backend and policy.");
	for (k = 0; k < sys->nr_parents; k++) {
		p = &sys->parents[k];
		fputs("mgpu_parent_info", stdout);
		put_label(true, "parent", p->name);
		put_label(false, "backend", p->pci ? "pci" : "soft");
		put_label(false, "policy", p->engine[MC_PF_POLICY].ok ?
			  p->engine[MC_PF_POLICY].str : "");
		put_value(1, 1, 1);
	}
	family("mgpu_parent_vgpus", "gauge", "vGPUs on the GPU.");
	for (k = 0; k < sys->nr_parents; k++) {
		fputs("mgpu_parent_vgpus", stdout);
		put_label(true, "parent", sys->parents[k].name);
		put_value(sys->parents[k].nr_vgpus, 1, 1);
	}
	family("mgpu_parent_vram_used_bytes", "gauge", "VRAM of the GPU's vGPUs.");
	for (k = 0; k < sys->nr_parents; k++) {
		fputs("mgpu_parent_vram_used_bytes", stdout);
		put_label(true, "parent", sys->parents[k].name);
		put_value(sys->parents[k].vram_used_mb, 1ULL << 20, 1);
	}
	family("mgpu_parent_vram_free_bytes", "gauge",
	       "Free VRAM of the GPU, rounded down to its smallest type.");
	for (k = 0; k < sys->nr_parents; k++) {
		p = &sys->parents[k];
		if (p->vram_free_mb < 0)
			continue;
		fputs("mgpu_parent_vram_free_bytes", stdout);
		put_label(true, "parent", p->name);
		put_value(p->vram_free_mb, 1ULL << 20, 1);
	}
}

static void types(const struct mc_sys *sys, const char *name, const char *help, bool max)
{
	const struct mc_parent *p;
	long long v;
	int k, i;

	family(name, "gauge", help);
	for (k = 0; k < sys->nr_parents; k++) {
		p = &sys->parents[k];
		for (i = 0; i < p->nr_types; i++) {
			v = max ? p->types[i].max_instance : p->types[i].available;
			if (v < 0)
				continue;
			fputs(name, stdout);
			put_label(true, "parent", p->name);
			put_label(false, "type", p->types[i].name);
			put_value(v, 1, 1);
		}
	}
}

/**
 * mc_prom_write - print the model in Prometheus' text format on stdout
 * @sys: the model
 */
void mc_prom_write(const struct mc_sys *sys)
{
	/* Always there, so that an empty host is told from a failed collection. */
	family("mgpu_parents", "gauge", "GPUs that mgpu drives.");
	printf("mgpu_parents %d\n", sys->nr_parents);
	if (sys->nr_parents) {
		parent_info(sys);
		parent_engine(sys);
		types(sys, "mgpu_type_available_instances",
		      "vGPUs of the type that can be created now.", false);
		types(sys, "mgpu_type_max_instances", "vGPUs of the type on an empty GPU.", true);
	}
	vgpu_info(sys);
	vgpu_table(sys);
	vgpu_latency(sys);
}
