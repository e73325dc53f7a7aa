// SPDX-License-Identifier: GPL-2.0-only
/*
 * mgpuctl top: what each vGPU does with the engine, measured between two reads of the
 * model one interval apart — engine share (busy_ns delta over the elapsed time),
 * commands/s, submit-to-start latency p50/p99 from the latency_us histogram's deltas (the
 * upper bound of the bucket the quantile falls in), errors and state. No curses: on a
 * terminal each refresh clears the screen with ANSI escapes; otherwise (or --plain) each
 * refresh is a block of plain lines with a header.
 */
#include <errno.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "mgpuctl.h"

struct sample {
	struct mc_sys sys;
	struct timespec t;
};

static int take(struct sample *s)
{
	clock_gettime(CLOCK_MONOTONIC, &s->t);
	return mc_sys_load(&s->sys);
}

static double elapsed(const struct sample *a, const struct sample *b)
{
	return (b->t.tv_sec - a->t.tv_sec) + (b->t.tv_nsec - a->t.tv_nsec) / 1e9;
}

static void sleep_for(double s)
{
	struct timespec ts = { .tv_sec = (time_t)s, .tv_nsec = (long)((s - (time_t)s) * 1e9) };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* The delta of a counter between samples; false if either lacks it or it went back. */
static bool delta(const struct mc_val *a, const struct mc_val *b, unsigned long long *d)
{
	if (!a->ok || !b->ok || b->num < a->num)
		return false;
	*d = b->num - a->num;
	return true;
}

/* The bucket holding the pct-th percentile of the events between two histograms. */
static void quantile(const struct mc_hist *a, const struct mc_hist *b, unsigned int pct,
		     char *buf, size_t size)
{
	unsigned long long d[MC_HIST_MAX], total = 0, need, sum = 0;
	int i;

	snprintf(buf, size, "-");
	if (!a->ok || !b->ok || a->n != b->n)
		return;
	for (i = 0; i < b->n; i++) {
		if (a->le[i] != b->le[i] || b->count[i] < a->count[i])
			return;
		d[i] = b->count[i] - a->count[i];
		total += d[i];
	}
	if (!total)
		return;
	need = (total * pct + 99) / 100;
	for (i = 0; i < b->n; i++) {
		sum += d[i];
		if (sum < need)
			continue;
		if (b->le[i] != MC_HIST_INF)
			snprintf(buf, size, "<=%lluus", b->le[i]);
		else
			snprintf(buf, size, ">%lluus", i ? b->le[i - 1] : 0);
		return;
	}
}

static void show_parent(const struct mc_parent *p, const struct mc_parent *p0, double dt)
{
	const struct mc_val *util = &p->engine[MC_PF_UTILIZATION];
	unsigned long long d;
	char busy[16] = "-";

	if (p0 && delta(&p0->engine[MC_PF_BUSY_NS], &p->engine[MC_PF_BUSY_NS], &d))
		snprintf(busy, sizeof(busy), "%.1f%%", d / (dt * 1e7));
	else if (util->ok)
		snprintf(busy, sizeof(busy), "%llu%%", util->num);
	printf("%-14s %-12s %7s %8s %5d %9lld\n", p->name,
	       p->engine[MC_PF_POLICY].ok ? p->engine[MC_PF_POLICY].str : "-", busy,
	       p->engine[MC_PF_CONTEXTS].ok ? p->engine[MC_PF_CONTEXTS].str : "-", p->nr_vgpus,
	       p->vram_free_mb);
}

static void show_vgpu(const struct mc_vgpu *g, const struct mc_vgpu *g0, double dt)
{
	char share[16] = "-", rate[16] = "-", p50[32] = "-", p99[32] = "-";
	const struct mc_val *v = g->v;
	unsigned long long d;

	if (g0 && delta(&g0->v[MC_VF_ENG_BUSY_NS], &v[MC_VF_ENG_BUSY_NS], &d))
		snprintf(share, sizeof(share), "%.1f%%", d / (dt * 1e7));
	if (g0 && delta(&g0->v[MC_VF_ENG_COMMANDS], &v[MC_VF_ENG_COMMANDS], &d))
		snprintf(rate, sizeof(rate), "%.1f", d / dt);
	if (g0) {
		quantile(&g0->latency, &g->latency, 50, p50, sizeof(p50));
		quantile(&g0->latency, &g->latency, 99, p99, sizeof(p99));
	}
	printf("%-36s %-14s %-9s %5s %7s %9s %9s %9s %6s %-7s %s\n", g->uuid, g->parent,
	       g->type, v[MC_VF_VRAM_MB].ok ? v[MC_VF_VRAM_MB].str : "-", share, rate, p50, p99,
	       v[MC_VF_ENG_ERRORS].ok ? v[MC_VF_ENG_ERRORS].str : "-", mc_vgpu_state(g),
	       v[MC_VF_ENG_STATE].ok ? v[MC_VF_ENG_STATE].str : "-");
}

static void show(struct sample *s0, struct sample *s1, double dt, bool tty, bool first)
{
	char when[32];
	time_t now = time(NULL);
	int i;

	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", localtime(&now));
	if (tty)
		fputs("\033[H\033[2J", stdout);
	else if (!first)
		putchar('\n');
	printf("mgpuctl top  %s  interval %.2f s  %d GPUs  %d vGPUs\n", when, dt,
	       s1->sys.nr_parents, s1->sys.nr_vgpus);
	printf("%-14s %-12s %7s %8s %5s %9s\n", "PARENT", "POLICY", "ENGINE", "CONTEXTS",
	       "VGPUS", "FREE_MiB");
	for (i = 0; i < s1->sys.nr_parents; i++)
		show_parent(&s1->sys.parents[i],
			    mc_sys_parent(&s0->sys, s1->sys.parents[i].name), dt);
	printf("%-36s %-14s %-9s %5s %7s %9s %9s %9s %6s %-7s %s\n", "UUID", "PARENT", "TYPE",
	       "MiB", "SHARE", "CMD/S", "P50", "P99", "ERRORS", "STATE", "ENGINE");
	for (i = 0; i < s1->sys.nr_vgpus; i++)
		show_vgpu(&s1->sys.vgpus[i], mc_sys_vgpu(&s0->sys, s1->sys.vgpus[i].uuid), dt);
}

/**
 * mc_cmd_top - mgpuctl top [--once] [--interval S] [-n COUNT] [--plain]
 * @o: the command line
 *
 * Return: an exit status.
 */
int mc_cmd_top(const struct mc_opts *o)
{
	bool tty = !o->plain && isatty(STDOUT_FILENO);
	struct sample a, b, *prev = &a, *cur = &b, *t;
	long i;

	if (take(prev))
		return MC_EXIT_FAIL;
	for (i = 0; !o->count || i < o->count; i++) {
		sleep_for(o->interval);
		if (take(cur)) {
			mc_sys_free(&prev->sys);
			return MC_EXIT_FAIL;
		}
		show(prev, cur, elapsed(prev, cur), tty, !i);
		mc_sys_free(&prev->sys);
		if (fflush(stdout)) {
			mc_sys_free(&cur->sys);
			return MC_EXIT_FAIL;
		}
		t = prev;
		prev = cur;
		cur = t;
	}
	mc_sys_free(&prev->sys);
	return MC_EXIT_OK;
}
