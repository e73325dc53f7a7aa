/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * mgpu: emulated PCI configuration space of a vGPU. Pure logic with no kernel
 * dependency, so the host-tier tests compile the same file in userspace.
 */
#ifndef MGPU_CFGSPACE_H
#define MGPU_CFGSPACE_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include <stdint.h>
#include <stddef.h>
typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
#define BIT_ULL(n)	(1ULL << (n))
#endif

#define MGPU_CFG_SIZE		256
#define MGPU_CFG_NR_BARS	6
#define MGPU_CFG_MSI_OFFSET	0x60

/**
 * struct mgpu_cfg_desc - what a vGPU's config space looks like at power-on
 * @vendor, @device, @subsys_vendor, @subsys_device, @revision: PCI identity
 * @class: 24-bit class code (base, sub, prog-if)
 * @bar_size: size of each memory BAR in bytes, a power of two >= 16; 0 = absent
 * @bar_prefetch: bit n set: BAR n is prefetchable
 * @irq_pin: 0 for none, 1 for INTA#
 * @msi_offset: where a 64-bit, single-vector MSI capability goes; 0 for none
 */
struct mgpu_cfg_desc {
	u16 vendor, device, subsys_vendor, subsys_device;
	u8 revision;
	u32 class;
	u32 bar_size[MGPU_CFG_NR_BARS];
	u8 bar_prefetch;
	u8 irq_pin;
	u8 msi_offset;
};

/**
 * struct mgpu_cfg - the live config space
 * @msi_offset: offset of the MSI capability, 0 for none
 * @data: the bytes a guest reads
 * @wmask: bits a guest may write
 * @w1cmask: bits a guest clears by writing 1
 * @reset: @data at power-on, for resets
 */
struct mgpu_cfg {
	u8 msi_offset;
	u8 data[MGPU_CFG_SIZE];
	u8 wmask[MGPU_CFG_SIZE];
	u8 w1cmask[MGPU_CFG_SIZE];
	u8 reset[MGPU_CFG_SIZE];
};

void mgpu_cfg_init(struct mgpu_cfg *cfg, const struct mgpu_cfg_desc *desc);
void mgpu_cfg_reset(struct mgpu_cfg *cfg);
int mgpu_cfg_read(const struct mgpu_cfg *cfg, unsigned int off, void *buf, size_t len);
int mgpu_cfg_write(struct mgpu_cfg *cfg, unsigned int off, const void *buf, size_t len);
u16 mgpu_cfg_command(const struct mgpu_cfg *cfg);
u32 mgpu_cfg_bar_addr(const struct mgpu_cfg *cfg, unsigned int bar);
int mgpu_cfg_msi_enabled(const struct mgpu_cfg *cfg);

#endif /* MGPU_CFGSPACE_H */
