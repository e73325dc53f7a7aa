/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Guest tier: what every guest test needs to find the vGPU on the guest's PCI bus
 * through sysfs. Header-only, since each guest test is one static binary.
 *
 *   MGPU_SYSFS           sysfs root (default /sys)
 */
#ifndef MGPU_GUEST_H
#define MGPU_GUEST_H

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <linux/mgpu.h>

#define BDF_LEN		256	/* a d_name */

static inline const char *sysfs_root(void)
{
	const char *root = getenv("MGPU_SYSFS");

	return root && *root ? root : "/sys";
}

/* Read a sysfs attribute of @bdf as a number; -1 if it cannot be read. */
static inline long long pci_attr(const char *bdf, const char *attr)
{
	char path[512], buf[64];
	long long val = -1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/%s", sysfs_root(), bdf, attr);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fgets(buf, sizeof(buf), f))
		val = strtoll(buf, NULL, 0);
	fclose(f);
	return val;
}

static inline bool is_vgpu(const char *bdf)
{
	return pci_attr(bdf, "vendor") == MGPU_PCI_VENDOR_ID &&
	       pci_attr(bdf, "device") == MGPU_PCI_DEVICE_ID &&
	       pci_attr(bdf, "subsystem_vendor") == MGPU_PCI_SUBSYS_VENDOR_ID &&
	       pci_attr(bdf, "subsystem_device") == MGPU_PCI_SUBSYS_DEVICE_ID;
}

/* The first vGPU on the guest's PCI bus into @bdf; -ENODEV if there is none. */
static inline int find_vgpu(char *bdf, size_t len)
{
	char path[512];
	struct dirent *de;
	int ret = -ENODEV;
	DIR *dir;

	snprintf(path, sizeof(path), "%s/bus/pci/devices", sysfs_root());
	dir = opendir(path);
	if (!dir)
		return -errno;
	while ((de = readdir(dir))) {
		if (de->d_name[0] != '.' && is_vgpu(de->d_name)) {
			snprintf(bdf, len, "%s", de->d_name);
			ret = 0;
			break;
		}
	}
	closedir(dir);
	return ret;
}

#endif /* MGPU_GUEST_H */
