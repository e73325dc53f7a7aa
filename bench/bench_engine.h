/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * mgpu benchmarks: engine contexts to drive side by side — a vGPU through VFIO (BAR3
 * trapped, BAR4 mapped, as a guest driver sees them) or a native context
 * (/dev/mgpu/<gpu>), both through libmgpu — with their sysfs knobs and counters.
 */
#ifndef MGPU_BENCH_ENGINE_H
#define MGPU_BENCH_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

#include "mgpu_engine.h"
#include "mgpu_test.h"

/* Buckets of a vGPU's engine/latency_us: <= 16 us << b, the last one unbounded. */
#define BENCH_ENG_LAT_BUCKETS	17

/*
 * One engine context. @eng points into @ve (a vGPU) or @neng (native); the library
 * keeps pointers into this struct, so it must not move once started.
 */
struct bench_eng {
	char name[48];
	bool native;
	struct mgpu_engine *eng;
	volatile uint8_t *vram;
	uint64_t vram_size;
	uint64_t data_size;	/* VRAM below libmgpu's ring: free for commands */
	/* a vGPU */
	struct mgpu_dev dev;
	struct mgpu_vfio_engine ve;
	/* a native context */
	int fd;
	struct mgpu_engine neng;
};

/* Every engine measured here runs on this GPU. */
extern char bench_eng_parent[64];

int bench_eng_find_parent(void);
int bench_eng_pin_self(void);
int bench_eng_vgpu(struct bench_eng *b, const char *type, bool poll);
int bench_eng_native(struct bench_eng *b, unsigned int vram_mb, bool poll);
int bench_eng_restart(struct bench_eng *b, bool poll);
void bench_eng_put(struct bench_eng *b);

int bench_eng_emit(struct bench_eng *b, const uint32_t *cmd, unsigned int dwords);
uint64_t bench_eng_emit_fence(struct bench_eng *b);
void bench_eng_spin_us(unsigned int us);
int bench_eng_wait_all(struct bench_eng **b, const uint64_t *seq, unsigned int n,
		       unsigned int timeout_ms, unsigned int nap_us);

int bench_eng_set(const struct bench_eng *b, const char *knob, const char *val);
long long bench_eng_knob(const struct bench_eng *b, const char *knob);
long long bench_eng_counter(const struct bench_eng *b, const char *counter);
int bench_eng_latency(const struct bench_eng *b, unsigned long long *hist);
int bench_eng_policy(const char *policy);
long long bench_eng_gpu_counter(const char *counter);

#endif /* MGPU_BENCH_ENGINE_H */
