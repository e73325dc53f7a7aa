/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * mgpuctl: the administrator's view of mgpu. Everything it knows comes from sysfs under
 * one configurable root (and libpci for the physical GPUs), so that it can be tested
 * against a fake tree; this header holds the model of that tree and the helpers the
 * commands share.
 */
#ifndef MGPUCTL_H
#define MGPUCTL_H

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>

#define MC_VERSION	"0.1"

/* Exit codes, as the man page documents them. */
#define MC_EXIT_OK	0
#define MC_EXIT_FAIL	1	/* the system refused or could not be read */
#define MC_EXIT_USAGE	2	/* the command line is wrong */

/* The kernel's attribute macros, which userspace lacks. */
#define mc_attr(...)	__attribute__((__VA_ARGS__))
#define __printf(a, b)	mc_attr(format(printf, a, b))
#define __noreturn	mc_attr(noreturn)
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#define MC_NAME_MAX	64	/* parent, type and driver names */
#define MC_STR_MAX	128	/* the value of one sysfs attribute */
#define MC_UUID_LEN	36
#define MC_HIST_MAX	64	/* latency_us buckets */
#define MC_HIST_INF	ULLONG_MAX

/* ---- options and commands (main.c) ---- */

/**
 * struct mc_opts - the command line after parsing
 * @json: --json
 * @prometheus: --prometheus
 * @plain: --plain (top)
 * @interval: --interval in seconds (top)
 * @count: -n: refreshes before exiting, 0 for no limit (top)
 * @argc: arguments after the command name
 * @argv: those arguments
 */
struct mc_opts {
	bool json;
	bool prometheus;
	bool plain;
	double interval;
	long count;
	int argc;
	char **argv;
};

int mc_cmd_list(const struct mc_opts *o);
int mc_cmd_create(const struct mc_opts *o);
int mc_cmd_remove(const struct mc_opts *o);
int mc_cmd_set(const struct mc_opts *o);
int mc_cmd_policy(const struct mc_opts *o);
int mc_cmd_top(const struct mc_opts *o);
int mc_cmd_stats(const struct mc_opts *o);
int mc_cmd_snapshot(const struct mc_opts *o);
int mc_cmd_tmem(const struct mc_opts *o);

/* ---- messages (main.c) ---- */

void mc_err(const char *fmt, ...) __printf(1, 2);
void mc_err_errno(int err, const char *fmt, ...) __printf(2, 3);
void mc_hint(const char *fmt, ...) __printf(1, 2);
int mc_usage_error(const char *cmd, const char *fmt, ...) __printf(2, 3);

/* ---- sysfs access below the root (sysfs.c) ---- */

int mc_set_root(const char *root);
const char *mc_root(void);
int mc_path(char *buf, const char *fmt, ...) __printf(2, 3);
int mc_read_str(const char *path, char *buf, size_t size);
int mc_read_u64(const char *path, unsigned long long *val);
int mc_write_str(const char *path, const char *val);
int mc_link_name(const char *path, char *buf, size_t size);
bool mc_exists(const char *path);
void mc_hint_errno(int err, const char *path);
int mc_list_dir(const char *path, char ***names);
void mc_free_names(char **names, int n);
bool mc_is_uuid(const char *s);
bool mc_uuid_arg(const char *arg, char *uuid);
bool mc_parse_u64(const char *s, unsigned long long *val);

/* ---- the model: parents, types and vGPUs (model.c) ---- */

/**
 * struct mc_val - one attribute as read
 * @ok: it exists and parsed (numbers) or was read (strings)
 * @num: its value, for numeric attributes
 * @str: its text, without the trailing newline
 */
struct mc_val {
	bool ok;
	unsigned long long num;
	char str[MC_STR_MAX];
};

/**
 * struct mc_hist - a latency_us histogram
 * @ok: it was read and parsed
 * @n: buckets
 * @le: upper bound of each bucket in microseconds, MC_HIST_INF for the last
 * @count: events in each bucket (not cumulative)
 */
struct mc_hist {
	bool ok;
	int n;
	unsigned long long le[MC_HIST_MAX];
	unsigned long long count[MC_HIST_MAX];
};

/* The attributes of a vGPU, in the order stats prints them. */
enum mc_vfield {
	MC_VF_VRAM_MB,
	MC_VF_MODE,
	MC_VF_RESOLUTION,
	MC_VF_TRAPPED_READS,
	MC_VF_TRAPPED_WRITES,
	MC_VF_VRAM_FAULTS,
	MC_VF_INTERRUPTS,
	MC_VF_FRAMES,
	MC_VF_IN_USE,
	MC_VF_WEIGHT,
	MC_VF_CAP,
	MC_VF_RESERVATION,
	MC_VF_TIMESLICE_MS,
	MC_VF_LATENCY_CLASS,
	MC_VF_ENG_STATE,
	MC_VF_ENG_BUSY_NS,
	MC_VF_ENG_COMMANDS,
	MC_VF_ENG_SLICES,
	MC_VF_ENG_PREEMPTIONS,
	MC_VF_ENG_ERRORS,
	MC_VF_ENG_WATCHDOG_RESETS,
	MC_VF_ENG_FENCE,
	MC_VF_NR
};

/**
 * struct mc_field - where a vGPU attribute lives
 * @group: its directory under the vGPU ("mgpu" or "engine")
 * @name: its file name
 * @is_str: it is text, not a decimal number
 */
struct mc_field {
	const char *group;
	const char *name;
	bool is_str;
};

extern const struct mc_field mc_vfields[MC_VF_NR];

/* The attributes of a parent's mgpu_engine/ group. */
enum mc_pfield {
	MC_PF_POLICY,
	MC_PF_UTILIZATION,
	MC_PF_BUSY_NS,
	MC_PF_CONTEXTS,
	MC_PF_NR
};

extern const struct mc_field mc_pfields[MC_PF_NR];

/**
 * struct mc_type - one mgpu-<N>M type of a parent
 * @name: its directory name, "mgpu-16M"
 * @pretty: its name attribute, "mgpu 16M"
 * @description: its description attribute
 * @vram_mb: N
 * @available: available_instances, -1 when unreadable
 * @max_instance: max_instance from the description, -1 when absent
 */
struct mc_type {
	char name[MC_NAME_MAX];
	char pretty[MC_NAME_MAX];
	char description[256];
	unsigned long long vram_mb;
	long long available;
	long long max_instance;
};

/**
 * struct mc_parent - a GPU that mgpu drives: an mdev parent with mgpu-* types
 * @name: its device name, a PCI address or mgpu-soft.N
 * @pci: its backend is the PCI one
 * @scanout: its mgpu_scanout attribute; empty when it has none
 * @engine: its mgpu_engine/ attributes
 * @types: its types, largest first
 * @nr_types: entries in @types
 * @nr_vgpus: its vGPUs
 * @vram_used_mb: the VRAM of its vGPUs
 * @vram_free_mb: free VRAM rounded down to the smallest type, -1 when unknown
 * @vram_step_mb: that smallest type's size: how exact @vram_free_mb is
 */
struct mc_parent {
	char name[MC_NAME_MAX];
	bool pci;
	char scanout[MC_STR_MAX];
	struct mc_val engine[MC_PF_NR];
	struct mc_type *types;
	int nr_types;
	int nr_vgpus;
	unsigned long long vram_used_mb;
	long long vram_free_mb;
	unsigned long long vram_step_mb;
};

/**
 * struct mc_vgpu - one vGPU of an mgpu parent
 * @uuid: its name under bus/mdev/devices
 * @parent: its parent's name
 * @type: its type's name
 * @v: its attributes, indexed by enum mc_vfield
 * @latency: engine/latency_us
 */
struct mc_vgpu {
	char uuid[MC_UUID_LEN + 1];
	char parent[MC_NAME_MAX];
	char type[MC_NAME_MAX];
	struct mc_val v[MC_VF_NR];
	struct mc_hist latency;
};

/**
 * struct mc_sys - every mgpu parent and vGPU below the root, sorted by name
 * @parents: the parents
 * @nr_parents: entries in @parents
 * @vgpus: the vGPUs, by parent, then UUID
 * @nr_vgpus: entries in @vgpus
 * @mdev_bus: class/mdev_bus exists (the mdev core is loaded)
 */
struct mc_sys {
	struct mc_parent *parents;
	int nr_parents;
	struct mc_vgpu *vgpus;
	int nr_vgpus;
	bool mdev_bus;
};

int mc_sys_load(struct mc_sys *sys);
void mc_sys_free(struct mc_sys *sys);
struct mc_parent *mc_sys_parent(struct mc_sys *sys, const char *name);
struct mc_vgpu *mc_sys_vgpu(struct mc_sys *sys, const char *uuid);
struct mc_parent *mc_find_parent(struct mc_sys *sys, const char *arg);
bool mc_parse_hist(const char *s, struct mc_hist *h);
const char *mc_vgpu_state(const struct mc_vgpu *g);

void mc_prom_write(const struct mc_sys *sys);

/* ---- physical GPUs through libpci (pci.c) ---- */

/**
 * struct mc_pci_dev - a PCI device worth listing
 * @addr: its address, "0000:00:03.0"
 * @vendor_id: its vendor ID
 * @device_id: its device ID
 * @class: its class and subclass, 0x0300 for VGA
 * @name: vendor and device names as lspci prints them, "Device 1234:1111" if unknown
 * @vendor: the vendor's name from pci.ids, empty when unknown
 * @device: the device's name from pci.ids, empty when unknown
 * @driver: the driver bound to it, empty when none
 */
struct mc_pci_dev {
	char addr[16];
	unsigned int vendor_id;
	unsigned int device_id;
	unsigned int class;
	char name[256];
	char vendor[128];
	char device[128];
	char driver[MC_NAME_MAX];
};

void mc_pci_set_dump(const char *file);
int mc_pci_scan(const struct mc_sys *sys, struct mc_pci_dev **devs);
bool mc_pci_driven(const struct mc_sys *sys, const struct mc_pci_dev *d);

/* ---- JSON output (json.c) ---- */

#define MC_JSON_DEPTH	16

/**
 * struct mc_json - a JSON writer
 * @f: where it writes
 * @depth: containers open
 * @count: members written in each open container
 */
struct mc_json {
	FILE *f;
	int depth;
	int count[MC_JSON_DEPTH];
};

void mc_json_init(struct mc_json *j, FILE *f);
void mc_json_open(struct mc_json *j, const char *key, char bracket);
void mc_json_close(struct mc_json *j, char bracket);
void mc_json_str(struct mc_json *j, const char *key, const char *val);
void mc_json_u64(struct mc_json *j, const char *key, unsigned long long val);
void mc_json_i64(struct mc_json *j, const char *key, long long val);
void mc_json_bool(struct mc_json *j, const char *key, bool val);
void mc_json_null(struct mc_json *j, const char *key);
void mc_json_val(struct mc_json *j, const char *key, const struct mc_val *v, bool is_str);
void mc_json_hist(struct mc_json *j, const char *key, const struct mc_hist *h);
void mc_json_end(struct mc_json *j);

#endif /* MGPUCTL_H */
