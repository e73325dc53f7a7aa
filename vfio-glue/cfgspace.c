// SPDX-License-Identifier: GPL-2.0-only
/*
 * mgpu: emulated PCI configuration space. Every byte has a write mask and a
 * write-1-to-clear mask; BAR sizing falls out of the masks (the low address bits of a
 * BAR are read-only zero), so there is no special case for the all-ones probe.
 */
#ifdef __KERNEL__
#include <linux/errno.h>
#include <linux/string.h>
#else
#include <errno.h>
#include <string.h>
#endif
#include <linux/pci_regs.h>

#include "cfgspace.h"

static void put16(u8 *p, unsigned int off, u16 v)
{
	p[off] = v & 0xff;
	p[off + 1] = v >> 8;
}

static void put32(u8 *p, unsigned int off, u32 v)
{
	put16(p, off, v & 0xffff);
	put16(p, off + 2, v >> 16);
}

static u32 get32(const u8 *p, unsigned int off)
{
	return p[off] | p[off + 1] << 8 | p[off + 2] << 16 | (u32)p[off + 3] << 24;
}

static void cfg_init_bars(struct mgpu_cfg *cfg, const struct mgpu_cfg_desc *desc)
{
	unsigned int i, off;

	for (i = 0; i < MGPU_CFG_NR_BARS; i++) {
		u32 size = desc->bar_size[i];
		u32 flags = PCI_BASE_ADDRESS_SPACE_MEMORY | PCI_BASE_ADDRESS_MEM_TYPE_32;

		off = PCI_BASE_ADDRESS_0 + 4 * i;
		if (!size)
			continue;
		if (desc->bar_prefetch & (1u << i))
			flags |= PCI_BASE_ADDRESS_MEM_PREFETCH;
		put32(cfg->data, off, flags);
		put32(cfg->wmask, off, ~(size - 1) & PCI_BASE_ADDRESS_MEM_MASK);
	}
}

/* A 64-bit MSI capability without per-vector masking. */
#define MGPU_MSI_CAP_SIZE	14

/* One 64-bit MSI capability with a single vector: the only capability in the list. */
static void cfg_init_msi(struct mgpu_cfg *cfg, unsigned int off)
{
	if (off < PCI_STD_HEADER_SIZEOF || off > MGPU_CFG_SIZE - MGPU_MSI_CAP_SIZE || off & 3)
		return;
	cfg->msi_offset = off;
	put16(cfg->data, PCI_STATUS, PCI_STATUS_CAP_LIST);
	cfg->data[PCI_CAPABILITY_LIST] = off;
	cfg->data[off + PCI_CAP_LIST_ID] = PCI_CAP_ID_MSI;
	cfg->data[off + PCI_CAP_LIST_NEXT] = 0;
	put16(cfg->data, off + PCI_MSI_FLAGS, PCI_MSI_FLAGS_64BIT);
	put16(cfg->wmask, off + PCI_MSI_FLAGS, PCI_MSI_FLAGS_ENABLE);
	put32(cfg->wmask, off + PCI_MSI_ADDRESS_LO, 0xfffffffc);
	put32(cfg->wmask, off + PCI_MSI_ADDRESS_HI, 0xffffffff);
	put16(cfg->wmask, off + PCI_MSI_DATA_64, 0xffff);
}

/**
 * mgpu_cfg_init - build a power-on config space from a description
 * @cfg: the config space to fill
 * @desc: identity, BARs and interrupt pin
 *
 * Context: any; does not sleep.
 */
void mgpu_cfg_init(struct mgpu_cfg *cfg, const struct mgpu_cfg_desc *desc)
{
	memset(cfg, 0, sizeof(*cfg));
	put16(cfg->data, PCI_VENDOR_ID, desc->vendor);
	put16(cfg->data, PCI_DEVICE_ID, desc->device);
	put16(cfg->data, PCI_SUBSYSTEM_VENDOR_ID, desc->subsys_vendor);
	put16(cfg->data, PCI_SUBSYSTEM_ID, desc->subsys_device);
	cfg->data[PCI_REVISION_ID] = desc->revision;
	cfg->data[PCI_CLASS_PROG] = desc->class & 0xff;
	put16(cfg->data, PCI_CLASS_DEVICE, desc->class >> 8);
	cfg->data[PCI_HEADER_TYPE] = PCI_HEADER_TYPE_NORMAL;
	cfg->data[PCI_INTERRUPT_PIN] = desc->irq_pin;

	put16(cfg->wmask, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |
	      PCI_COMMAND_PARITY | PCI_COMMAND_SERR | PCI_COMMAND_INTX_DISABLE);
	put16(cfg->w1cmask, PCI_STATUS, PCI_STATUS_PARITY | PCI_STATUS_SIG_TARGET_ABORT |
	      PCI_STATUS_REC_TARGET_ABORT | PCI_STATUS_REC_MASTER_ABORT |
	      PCI_STATUS_SIG_SYSTEM_ERROR | PCI_STATUS_DETECTED_PARITY);
	cfg->wmask[PCI_CACHE_LINE_SIZE] = 0xff;
	cfg->wmask[PCI_LATENCY_TIMER] = 0xff;
	cfg->wmask[PCI_INTERRUPT_LINE] = 0xff;
	cfg_init_bars(cfg, desc);
	cfg_init_msi(cfg, desc->msi_offset);
	memcpy(cfg->reset, cfg->data, sizeof(cfg->reset));
}

/**
 * mgpu_cfg_reset - return a config space to its power-on contents
 * @cfg: the config space
 *
 * Context: any; does not sleep.
 */
void mgpu_cfg_reset(struct mgpu_cfg *cfg)
{
	memcpy(cfg->data, cfg->reset, sizeof(cfg->data));
}

static int cfg_check(unsigned int off, size_t len)
{
	if (len != 1 && len != 2 && len != 4)
		return -EINVAL;
	if (off >= MGPU_CFG_SIZE || len > MGPU_CFG_SIZE - off || off & (len - 1))
		return -EINVAL;
	return 0;
}

/**
 * mgpu_cfg_read - read 1, 2 or 4 naturally aligned bytes
 * @cfg: the config space
 * @off: byte offset
 * @buf: where the little-endian bytes go
 * @len: 1, 2 or 4
 *
 * Return: 0, or -EINVAL for a bad size, alignment or offset.
 */
int mgpu_cfg_read(const struct mgpu_cfg *cfg, unsigned int off, void *buf, size_t len)
{
	int ret = cfg_check(off, len);

	if (!ret)
		memcpy(buf, cfg->data + off, len);
	return ret;
}

/**
 * mgpu_cfg_write - write 1, 2 or 4 naturally aligned bytes through the masks
 * @cfg: the config space
 * @off: byte offset
 * @buf: the little-endian bytes
 * @len: 1, 2 or 4
 *
 * Read-only bits keep their value; write-1-to-clear bits clear where @buf has ones.
 *
 * Return: 0, or -EINVAL for a bad size, alignment or offset.
 */
int mgpu_cfg_write(struct mgpu_cfg *cfg, unsigned int off, const void *buf, size_t len)
{
	const u8 *v = buf;
	unsigned int i;
	int ret = cfg_check(off, len);

	if (ret)
		return ret;
	for (i = off; i < off + len; i++) {
		u8 val = v[i - off];

		cfg->data[i] = (cfg->data[i] & ~cfg->wmask[i]) | (val & cfg->wmask[i]);
		cfg->data[i] &= ~(val & cfg->w1cmask[i]);
	}
	return 0;
}

/**
 * mgpu_cfg_command - the current PCI command register
 * @cfg: the config space
 *
 * Return: the command register's value.
 */
u16 mgpu_cfg_command(const struct mgpu_cfg *cfg)
{
	return cfg->data[PCI_COMMAND] | cfg->data[PCI_COMMAND + 1] << 8;
}

/**
 * mgpu_cfg_bar_addr - the guest address programmed into a memory BAR
 * @cfg: the config space
 * @bar: BAR number, 0..5
 *
 * Return: the BAR's base address with the flag bits masked off, 0 if out of range.
 */
u32 mgpu_cfg_bar_addr(const struct mgpu_cfg *cfg, unsigned int bar)
{
	if (bar >= MGPU_CFG_NR_BARS)
		return 0;
	return get32(cfg->data, PCI_BASE_ADDRESS_0 + 4 * bar) & PCI_BASE_ADDRESS_MEM_MASK;
}

/**
 * mgpu_cfg_msi_enabled - whether the guest has enabled MSI in the capability
 * @cfg: the config space
 *
 * Return: 1 if the MSI capability exists and is enabled, else 0.
 */
int mgpu_cfg_msi_enabled(const struct mgpu_cfg *cfg)
{
	if (!cfg->msi_offset)
		return 0;
	return cfg->data[cfg->msi_offset + PCI_MSI_FLAGS] & PCI_MSI_FLAGS_ENABLE;
}
