// SPDX-License-Identifier: GPL-2.0-only
/*
 * mgpuctl: the physical GPUs, through libpci (pciutils' example.c sequence: pci_alloc,
 * pci_init, pci_scan_bus, pci_fill_info, pci_lookup_name, pci_cleanup). libpci reads a
 * dump file ("lspci -x" text) when --pci-dump / $MGPU_PCI_DUMP names one, else sysfs
 * below the sysfs root; the bound driver always comes from the sysfs root, since a dump
 * does not record it. libpci's errors are fatal by default: they are caught here, so a
 * machine libpci cannot read still lists its software GPUs.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <pci/pci.h>

#include "mgpuctl.h"

static char pci_dump[PATH_MAX];
static jmp_buf pci_jmp;
static char pci_msg[256];

/**
 * mc_pci_set_dump - read PCI devices from a dump file instead of the system
 * @file: the dump, as "lspci -x" (or -xxx, -xxxx) prints it
 */
void mc_pci_set_dump(const char *file)
{
	snprintf(pci_dump, sizeof(pci_dump), "%s", file);
}

static void __printf(1, 2) __noreturn pci_error(char *msg, ...)
{
	va_list ap;

	va_start(ap, msg);
	vsnprintf(pci_msg, sizeof(pci_msg), msg, ap);
	va_end(ap);
	longjmp(pci_jmp, 1);
}

static void __printf(1, 2) pci_warning(char *msg, ...)
{
	va_list ap;

	va_start(ap, msg);
	vsnprintf(pci_msg, sizeof(pci_msg), msg, ap);
	va_end(ap);
	mc_err("libpci: %s", pci_msg);
}

/*
 * The access method: the dump, or sysfs below the root. Returns false when there is no
 * PCI bus to read (no bus/pci/devices under the root).
 */
static bool pci_choose_method(struct pci_access *pacc)
{
	char path[PATH_MAX];

	if (*pci_dump) {
		pci_set_param(pacc, "dump.name", pci_dump);
		pacc->method = PCI_ACCESS_DUMP;
		return true;
	}
	if (mc_path(path, "bus/pci/devices") || !mc_exists(path))
		return false;
	if (strcmp(mc_root(), "/sys")) {
		mc_path(path, "bus/pci");
		pci_set_param(pacc, "sysfs.path", path);
		pacc->method = PCI_ACCESS_SYS_BUS_PCI;
	}
	return true;
}

static bool pci_is_parent(const struct mc_sys *sys, const char *addr)
{
	int i;

	for (i = 0; i < sys->nr_parents; i++)
		if (!strcmp(sys->parents[i].name, addr))
			return true;
	return false;
}

/**
 * mc_pci_driven - whether mgpu drives a PCI device
 * @sys: the model (its parents)
 * @d: the device
 *
 * Return: true if it is bound to the "mgpu" driver or is an mgpu parent.
 */
bool mc_pci_driven(const struct mc_sys *sys, const struct mc_pci_dev *d)
{
	return !strcmp(d->driver, "mgpu") || pci_is_parent(sys, d->addr);
}

static void pci_describe(struct pci_access *pacc, struct pci_dev *pd, struct mc_pci_dev *d)
{
	char path[PATH_MAX];

	pci_fill_info(pd, PCI_FILL_IDENT | PCI_FILL_CLASS);
	snprintf(d->addr, sizeof(d->addr), "%04x:%02x:%02x.%d", pd->domain, pd->bus,
		 pd->dev, pd->func);
	d->vendor_id = pd->vendor_id;
	d->device_id = pd->device_id;
	d->class = pd->device_class;
	pci_lookup_name(pacc, d->name, sizeof(d->name), PCI_LOOKUP_VENDOR | PCI_LOOKUP_DEVICE,
			pd->vendor_id, pd->device_id);
	if (!pci_lookup_name(pacc, d->vendor, sizeof(d->vendor),
			     PCI_LOOKUP_VENDOR | PCI_LOOKUP_NO_NUMBERS, pd->vendor_id))
		d->vendor[0] = '\0';
	if (!pci_lookup_name(pacc, d->device, sizeof(d->device),
			     PCI_LOOKUP_DEVICE | PCI_LOOKUP_NO_NUMBERS, pd->vendor_id,
			     pd->device_id))
		d->device[0] = '\0';
	d->driver[0] = '\0';
	if (!mc_path(path, "bus/pci/devices/%s/driver", d->addr))
		mc_link_name(path, d->driver, sizeof(d->driver));
}

struct pci_scan {
	struct mc_pci_dev *devs;
	int n;
};

static int cmp_devs(const void *a, const void *b)
{
	const struct mc_pci_dev *x = a, *y = b;

	return strcmp(x->addr, y->addr);
}

static void pci_collect(struct pci_access *pacc, const struct mc_sys *sys, struct pci_scan *s)
{
	struct mc_pci_dev d, *nv;
	struct pci_dev *pd;

	for (pd = pacc->devices; pd; pd = pd->next) {
		pci_describe(pacc, pd, &d);
		/* Display controllers, and whatever mgpu holds. */
		if ((d.class >> 8) != PCI_BASE_CLASS_DISPLAY && !mc_pci_driven(sys, &d))
			continue;
		nv = realloc(s->devs, (s->n + 1) * sizeof(*nv));
		if (!nv)
			pci_error("out of memory");
		s->devs = nv;
		s->devs[s->n++] = d;
	}
}

/**
 * mc_pci_scan - the display controllers, and the PCI devices mgpu holds
 * @sys: the model (which devices are parents)
 * @devs: a new array sorted by address, NULL when there is none; free() it
 *
 * Return: the number of devices, or -EIO when libpci failed (a message is printed).
 */
int mc_pci_scan(const struct mc_sys *sys, struct mc_pci_dev **devs)
{
	struct pci_access *pacc;
	struct pci_scan *s;
	int n;

	*devs = NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	pacc = pci_alloc();
	pacc->error = pci_error;
	pacc->warning = pci_warning;
	if (setjmp(pci_jmp)) {
		/* libpci's state is unknown now: leave it, the process ends soon. */
		mc_err("libpci: %s", pci_msg);
		free(s->devs);
		free(s);
		return -EIO;
	}
	if (pci_choose_method(pacc)) {
		pci_init(pacc);
		pci_scan_bus(pacc);
		pci_collect(pacc, sys, s);
	}
	pci_cleanup(pacc);
	if (s->n)
		qsort(s->devs, s->n, sizeof(*s->devs), cmp_devs);
	*devs = s->devs;
	n = s->n;
	free(s);
	return n;
}
