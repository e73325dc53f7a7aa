// SPDX-License-Identifier: GPL-2.0-only
/*
 * Host tier: the config-space emulation (vfio-glue/cfgspace.c) compiled as plain
 * userspace C — masks, BAR sizing, RW1C, bounds, reset, and random hostile writes.
 */
#include <stdlib.h>
#include <string.h>
#include <linux/pci_regs.h>

#include "kselftest_harness.h"
#include "cfgspace.h"

FIXTURE(cfg) {
	struct mgpu_cfg cfg;
};

FIXTURE_SETUP(cfg)
{
	struct mgpu_cfg_desc d = {
		.vendor = 0x1234, .device = 0x1111,
		.subsys_vendor = 0x1234, .subsys_device = 0x6d67,
		.revision = 2, .class = 0x038000,
		.bar_size = { [0] = 16 << 20, [2] = 4096 },
		.bar_prefetch = 1, .irq_pin = 1, .msi_offset = 0x60,
	};

	mgpu_cfg_init(&self->cfg, &d);
}

FIXTURE_TEARDOWN(cfg)
{
}

static uint32_t rd(struct mgpu_cfg *c, unsigned int off, size_t len)
{
	uint32_t v = 0;

	if (mgpu_cfg_read(c, off, &v, len))
		return 0xdeadbeef;
	return v;
}

static int wr(struct mgpu_cfg *c, unsigned int off, uint32_t v, size_t len)
{
	return mgpu_cfg_write(c, off, &v, len);
}

TEST_F(cfg, identity)
{
	EXPECT_EQ(0x11111234, rd(&self->cfg, PCI_VENDOR_ID, 4));
	EXPECT_EQ(0x6d671234, rd(&self->cfg, PCI_SUBSYSTEM_VENDOR_ID, 4));
	EXPECT_EQ(0x03800002, rd(&self->cfg, PCI_CLASS_REVISION, 4));
	EXPECT_EQ(1, rd(&self->cfg, PCI_INTERRUPT_PIN, 1));
	EXPECT_EQ(0, rd(&self->cfg, PCI_HEADER_TYPE, 1));
}

TEST_F(cfg, bar_sizing)
{
	EXPECT_EQ(0, wr(&self->cfg, PCI_BASE_ADDRESS_0, 0xffffffff, 4));
	EXPECT_EQ(0xff000008, rd(&self->cfg, PCI_BASE_ADDRESS_0, 4));
	EXPECT_EQ(0, wr(&self->cfg, PCI_BASE_ADDRESS_2, 0xffffffff, 4));
	EXPECT_EQ(0xfffff000, rd(&self->cfg, PCI_BASE_ADDRESS_2, 4));
	EXPECT_EQ(0, wr(&self->cfg, PCI_BASE_ADDRESS_1, 0xffffffff, 4));
	EXPECT_EQ(0, rd(&self->cfg, PCI_BASE_ADDRESS_1, 4));
	EXPECT_EQ(0, wr(&self->cfg, PCI_BASE_ADDRESS_0, 0xe0123456, 4));
	EXPECT_EQ(0xe0000000, mgpu_cfg_bar_addr(&self->cfg, 0));
	EXPECT_EQ(0, mgpu_cfg_bar_addr(&self->cfg, 6));
}

/* Sub-dword writes to a BAR keep the other bytes. */
TEST_F(cfg, bar_byte_writes)
{
	EXPECT_EQ(0, wr(&self->cfg, PCI_BASE_ADDRESS_2 + 3, 0xfe, 1));
	EXPECT_EQ(0, wr(&self->cfg, PCI_BASE_ADDRESS_2 + 1, 0x10, 1));
	EXPECT_EQ(0xfe001000, rd(&self->cfg, PCI_BASE_ADDRESS_2, 4));
}

TEST_F(cfg, command_and_status)
{
	EXPECT_EQ(0, wr(&self->cfg, PCI_COMMAND, 0xffff, 2));
	EXPECT_EQ(PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_PARITY |
		  PCI_COMMAND_SERR | PCI_COMMAND_INTX_DISABLE, mgpu_cfg_command(&self->cfg));
	self->cfg.data[PCI_STATUS + 1] = PCI_STATUS_DETECTED_PARITY >> 8 |
					 PCI_STATUS_SIG_SYSTEM_ERROR >> 8;
	EXPECT_EQ(0, wr(&self->cfg, PCI_STATUS, PCI_STATUS_SIG_SYSTEM_ERROR, 2));
	EXPECT_EQ(PCI_STATUS_DETECTED_PARITY | PCI_STATUS_CAP_LIST, rd(&self->cfg, PCI_STATUS, 2));
}

TEST_F(cfg, bounds_and_alignment)
{
	uint32_t v;

	EXPECT_EQ(-EINVAL, mgpu_cfg_read(&self->cfg, 256, &v, 1));
	EXPECT_EQ(-EINVAL, mgpu_cfg_read(&self->cfg, 254, &v, 4));
	EXPECT_EQ(-EINVAL, mgpu_cfg_read(&self->cfg, 1, &v, 2));
	EXPECT_EQ(-EINVAL, mgpu_cfg_read(&self->cfg, 0, &v, 3));
	EXPECT_EQ(-EINVAL, mgpu_cfg_write(&self->cfg, 0xffffffff, &v, 4));
	EXPECT_EQ(-EINVAL, mgpu_cfg_write(&self->cfg, 0, &v, 8));
	EXPECT_EQ(0, mgpu_cfg_read(&self->cfg, 252, &v, 4));
}

TEST_F(cfg, reset_restores_power_on)
{
	struct mgpu_cfg before = self->cfg;

	wr(&self->cfg, PCI_COMMAND, 0x6, 2);
	wr(&self->cfg, PCI_BASE_ADDRESS_0, 0xe0000000, 4);
	wr(&self->cfg, PCI_INTERRUPT_LINE, 11, 1);
	mgpu_cfg_reset(&self->cfg);
	EXPECT_EQ(0, memcmp(before.data, self->cfg.data, sizeof(before.data)));
}

/* Random writes anywhere never change a read-only bit. */
TEST_F(cfg, random_writes_keep_readonly_bits)
{
	struct mgpu_cfg before = self->cfg;
	unsigned int i, off;

	srand(1);
	for (i = 0; i < 100000; i++) {
		size_t len = 1u << (rand() % 3);

		off = rand() % 260;
		wr(&self->cfg, off, rand() ^ (uint32_t)rand() << 16, len);
	}
	for (i = 0; i < MGPU_CFG_SIZE; i++) {
		uint8_t ro = ~(self->cfg.wmask[i] | self->cfg.w1cmask[i]);

		ASSERT_EQ(before.data[i] & ro, self->cfg.data[i] & ro) TH_LOG("byte %u", i);
	}
}

TEST_F(cfg, msi_capability)
{
	struct mgpu_cfg_desc none = { .vendor = 1, .msi_offset = 0x20 };
	struct mgpu_cfg bad;

	EXPECT_EQ(PCI_STATUS_CAP_LIST, rd(&self->cfg, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST);
	EXPECT_EQ(0x60, rd(&self->cfg, PCI_CAPABILITY_LIST, 1));
	EXPECT_EQ(PCI_CAP_ID_MSI, rd(&self->cfg, 0x60, 1));
	EXPECT_EQ(0, rd(&self->cfg, 0x61, 1));
	EXPECT_EQ(PCI_MSI_FLAGS_64BIT, rd(&self->cfg, 0x62, 2));
	EXPECT_EQ(0, mgpu_cfg_msi_enabled(&self->cfg));
	/* Only the enable bit is writable: one vector, 64-bit, no masking. */
	EXPECT_EQ(0, wr(&self->cfg, 0x62, 0xffff, 2));
	EXPECT_EQ(PCI_MSI_FLAGS_64BIT | PCI_MSI_FLAGS_ENABLE, rd(&self->cfg, 0x62, 2));
	EXPECT_EQ(1, mgpu_cfg_msi_enabled(&self->cfg));
	EXPECT_EQ(0, wr(&self->cfg, 0x64, 0xfee00003, 4));
	EXPECT_EQ(0xfee00000, rd(&self->cfg, 0x64, 4));
	EXPECT_EQ(0, wr(&self->cfg, 0x6c, 0x12344321, 4));
	EXPECT_EQ(0x4321, rd(&self->cfg, 0x6c, 4));
	mgpu_cfg_reset(&self->cfg);
	EXPECT_EQ(0, mgpu_cfg_msi_enabled(&self->cfg));
	/* A capability inside the standard header is refused. */
	mgpu_cfg_init(&bad, &none);
	EXPECT_EQ(0, rd(&bad, PCI_CAPABILITY_LIST, 1));
	EXPECT_EQ(0, mgpu_cfg_msi_enabled(&bad));
}

TEST_HARNESS_MAIN
