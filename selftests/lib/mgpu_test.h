/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * mgpu selftest library: one vGPU object, sysfs helpers that derive every path from one
 * root ($MGPU_SYSFS, default /sys), and VFIO group/container wrappers.
 */
#ifndef MGPU_TEST_H
#define MGPU_TEST_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <stdbool.h>
#include <linux/vfio.h>

#include "mgpu_engine.h"

#define MGPU_UUID_LEN	37

/* One vGPU under test: its mdev and, once opened, its VFIO file descriptors. */
struct mgpu_dev {
	char parent[64];
	char type[64];
	char uuid[MGPU_UUID_LEN];
	int container, group, fd;
	struct vfio_device_info info;
};

const char *mgpu_sysfs_root(void);
int mgpu_sysfs_read(const char *path, char *buf, size_t len);
int mgpu_sysfs_write(const char *path, const char *val);
long long mgpu_sysfs_read_ll(const char *path);

int mgpu_find_parent(char *parent, size_t len);
int mgpu_type_attr(const char *parent, const char *type, const char *attr,
		   char *buf, size_t len);
long long mgpu_available(const char *parent, const char *type);
void mgpu_new_uuid(char *uuid);

int mgpu_create(struct mgpu_dev *dev, const char *parent, const char *type);
int mgpu_create_uuid(const char *parent, const char *type, const char *uuid);
int mgpu_remove(const char *uuid);
int mgpu_remove_all(void);
int mgpu_remove_matching(const char *needle);

int mgpu_open(struct mgpu_dev *dev);
void mgpu_close(struct mgpu_dev *dev);
int mgpu_region_info(struct mgpu_dev *dev, unsigned int index,
		     struct vfio_region_info *info);
ssize_t mgpu_region_read(struct mgpu_dev *dev, unsigned int index, uint64_t off,
			 void *buf, size_t len);
ssize_t mgpu_region_write(struct mgpu_dev *dev, unsigned int index, uint64_t off,
			  const void *buf, size_t len);
uint32_t mgpu_cfg_read32(struct mgpu_dev *dev, unsigned int off);
uint16_t mgpu_cfg_read16(struct mgpu_dev *dev, unsigned int off);
int mgpu_cfg_write32(struct mgpu_dev *dev, unsigned int off, uint32_t val);
int mgpu_cfg_write16(struct mgpu_dev *dev, unsigned int off, uint16_t val);

int mgpu_set_irqs(struct mgpu_dev *dev, uint32_t index, uint32_t flags, uint32_t count,
		  const void *data, size_t len);
const char *mgpu_set_irqs_hostile(struct mgpu_dev *dev);

int mgpu_modprobe_ok(void);
int mgpu_kmsg_grep(const char *needle);

/*
 * A vGPU's command engine through VFIO, as a guest driver would use it: registers
 * through the trapped BAR3, VRAM through the passed-through BAR4 mapping.
 */
struct mgpu_vfio_engine {
	struct mgpu_engine eng;
	struct mgpu_dev *dev;
	uint64_t bar3;
	volatile uint8_t *vram;
	size_t vram_size;
};

int mgpu_vfio_engine_map(struct mgpu_dev *dev, struct mgpu_vfio_engine *ve);
int mgpu_vfio_engine_start(struct mgpu_dev *dev, struct mgpu_vfio_engine *ve, bool poll);
void mgpu_vfio_engine_unmap(struct mgpu_vfio_engine *ve);
uint32_t mgpu_vfio_engine_read(struct mgpu_vfio_engine *ve, uint32_t off);
void mgpu_vfio_engine_write(struct mgpu_vfio_engine *ve, uint32_t off, uint32_t val);

#endif /* MGPU_TEST_H */
