// SPDX-License-Identifier: GPL-2.0-only
/*
 * QEMU tier: a vGPU exactly as QEMU's vfio-pci presents it to a guest. QEMU runs with
 * no guest (-S, qtest); the test plays firmware and driver through QEMU's config cycles
 * and guest-physical BAR accesses, which QEMU forwards to mgpu's trapped VFIO regions.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/pci_regs.h>
#include <linux/mgpu.h>

#include "kselftest_harness.h"
#include "mgpu_test.h"
#include "qtest.h"

#define TYPE		"mgpu-16M"
#define VRAM		(16u << 20)
#define TIMEOUT		180	/* s per test: QEMU under TCG in a TCG VM starts slowly */
#define NO_RESET	"no available reset mechanism"

/* One vGPU and the QEMU that has it as its vfio-pci device. */
struct vgpu_vm {
	struct mgpu_dev dev;
	struct qtest q;
	bool created;
	int bdf;
	uint64_t bar0;
	uint64_t region_size[VFIO_PCI_ROM_REGION_INDEX];	/* BARs as VFIO reports them */
};

/* Each line of QEMU's stderr as a TAP comment. */
static void log_qemu(struct __test_metadata *_metadata, struct qtest *q)
{
	char *text = strdup(qtest_stderr(q)), *line, *save;

	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		TH_LOG("qemu: %s", line);
	free(text);
}

static void vgpu_vm_down(struct vgpu_vm *vm)
{
	qtest_quit(&vm->q);	/* first: QEMU must close the device before removal */
	if (vm->created)
		mgpu_remove(vm->dev.uuid);
	vm->created = false;
}

/* What the vGPU itself reports through VFIO, before QEMU takes it. */
static int vgpu_region_sizes(struct vgpu_vm *vm)
{
	struct vfio_region_info info;
	unsigned int i;
	int ret = mgpu_open(&vm->dev);

	for (i = 0; !ret && i < VFIO_PCI_ROM_REGION_INDEX; i++) {
		ret = mgpu_region_info(&vm->dev, i, &info);
		vm->region_size[i] = info.size;
	}
	mgpu_close(&vm->dev);
	return ret;
}

/* Create a vGPU, start QEMU on it as @id and find where QEMU put it. */
static int vgpu_vm_up(struct vgpu_vm *vm, const char *parent, const char *id)
{
	int ret = mgpu_create(&vm->dev, parent, TYPE);

	if (ret)
		return ret;
	vm->created = true;
	ret = vgpu_region_sizes(vm);
	if (ret)
		return ret;
	ret = qtest_start_mdev(&vm->q, vm->dev.uuid, id);
	if (ret)
		return ret;
	vm->bdf = qtest_pci_devfn(&vm->q, id);
	return vm->bdf < 0 ? vm->bdf : 0;
}

/* Bring a vGPU VM up, or log why not and leave nothing behind. */
static int vgpu_vm_up_logged(struct __test_metadata *_metadata, struct vgpu_vm *vm,
			     const char *parent, const char *id)
{
	int ret = vgpu_vm_up(vm, parent, id);

	if (ret) {
		TH_LOG("QEMU could not start on vGPU %s: %s (waiting for %s after %d ms)",
		       vm->dev.uuid, strerror(-ret), vm->q.stage ?: "-", vm->q.start_ms);
		log_qemu(_metadata, &vm->q);
		vgpu_vm_down(vm);
	}
	return ret;
}

/* Play firmware: place BAR0 and turn memory decode on. */
static int vgpu_vm_map(struct vgpu_vm *vm)
{
	int ret = qtest_pci_bar_map(&vm->q, vm->bdf, MGPU_BAR_VRAM, &vm->bar0);

	if (!ret)
		qtest_pci_enable_mem(&vm->q, vm->bdf);
	return ret ?: vm->q.error;
}

/* A value that names its own offset, so a misplaced access cannot go unnoticed. */
static uint32_t tag(uint32_t off, uint32_t seed)
{
	return (off | seed << 24) ^ 0x00a50000;
}

FIXTURE(qemu) {
	char parent[64];
	struct vgpu_vm vm[2];
};

FIXTURE_SETUP(qemu)
{
	if (mgpu_find_parent(self->parent, sizeof(self->parent))) {
		if (!mgpu_modprobe_ok())
			SKIP(return, "the mgpu module is not loaded");
		ASSERT_TRUE(0) TH_LOG("mgpu is loaded but offers no mdev parent");
	}
	if (access("/dev/vfio/vfio", F_OK))
		SKIP(return, "no /dev/vfio/vfio (vfio not loaded)");
	if (!qtest_qemu_available())
		SKIP(return, "%s not found: install QEMU (or set MGPU_QEMU)",
		     qtest_qemu_binary());
	mgpu_remove_all();
	/* mgpu is loaded, so QEMU failing to open the vGPU is a FAIL, not a SKIP. */
	ASSERT_EQ(0, vgpu_vm_up_logged(_metadata, &self->vm[0], self->parent, "mgpu0"));
}

FIXTURE_TEARDOWN(qemu)
{
	int i;

	for (i = 0; i < 2; i++) {
		EXPECT_EQ(0, self->vm[i].q.error) TH_LOG("vm%d: qtest/QMP error", i);
		vgpu_vm_down(&self->vm[i]);
	}
}

/* The IDs and class a guest's PCI core reads, through QEMU's config space. */
TEST_F_TIMEOUT(qemu, pci_identity, TIMEOUT)
{
	struct qtest_pci_id id = {
		MGPU_PCI_VENDOR_ID, MGPU_PCI_DEVICE_ID,
		MGPU_PCI_SUBSYS_VENDOR_ID, MGPU_PCI_SUBSYS_DEVICE_ID,
	};
	struct qtest *q = &self->vm[0].q;
	int bdf = self->vm[0].bdf;

	EXPECT_EQ(MGPU_PCI_VENDOR_ID, qtest_pci_read16(q, bdf, PCI_VENDOR_ID));
	EXPECT_EQ(MGPU_PCI_DEVICE_ID, qtest_pci_read16(q, bdf, PCI_DEVICE_ID));
	EXPECT_EQ(MGPU_PCI_SUBSYS_VENDOR_ID, qtest_pci_read16(q, bdf, PCI_SUBSYSTEM_VENDOR_ID));
	EXPECT_EQ(MGPU_PCI_SUBSYS_DEVICE_ID, qtest_pci_read16(q, bdf, PCI_SUBSYSTEM_ID));
	EXPECT_EQ(MGPU_PCI_CLASS_DISPLAY, qtest_pci_read32(q, bdf, PCI_CLASS_REVISION) >> 8);
	EXPECT_EQ(MGPU_PCI_REVISION, qtest_pci_read8(q, bdf, PCI_REVISION_ID));
	EXPECT_EQ(PCI_HEADER_TYPE_NORMAL, qtest_pci_read8(q, bdf, PCI_HEADER_TYPE) & 0x7f);
	/* The guest finds it by its IDs, and finds no second one (no QEMU std-VGA). */
	EXPECT_EQ(bdf, qtest_pci_find(q, &id, 0));
	EXPECT_EQ(-ENODEV, qtest_pci_find(q, &id, bdf + 1));
}

/* QMP sees the same device: IDs, class and a BAR0 of the type's VRAM size. */
TEST_F_TIMEOUT(qemu, qmp_query_pci, TIMEOUT)
{
	char *reply = qtest_qmp(&self->vm[0].q, "{\"execute\": \"query-pci\"}");
	char want[64];

	ASSERT_NE(NULL, reply);
	EXPECT_NE(NULL, strstr(reply, "\"qdev_id\": \"mgpu0\""));
	snprintf(want, sizeof(want), "\"vendor\": %d", MGPU_PCI_VENDOR_ID);
	EXPECT_NE(NULL, strstr(reply, want)) TH_LOG("no %s", want);
	snprintf(want, sizeof(want), "\"subsystem\": %d", MGPU_PCI_SUBSYS_DEVICE_ID);
	EXPECT_NE(NULL, strstr(reply, want)) TH_LOG("no %s", want);
	snprintf(want, sizeof(want), "\"class\": %d", MGPU_PCI_CLASS_DISPLAY >> 8);
	EXPECT_NE(NULL, strstr(reply, want)) TH_LOG("no %s", want);
	snprintf(want, sizeof(want), "\"size\": %u", VRAM);
	EXPECT_NE(NULL, strstr(reply, want)) TH_LOG("no %s", want);
	free(reply);
}

/*
 * Firmware's all-ones probe: BAR0 is the VRAM; every BAR is as big as the VFIO region
 * behind it (0: not implemented); there is no expansion ROM.
 */
TEST_F_TIMEOUT(qemu, bar_sizing, TIMEOUT)
{
	struct vgpu_vm *vm = &self->vm[0];
	uint64_t size;
	uint32_t flags;
	unsigned int bar;

	ASSERT_EQ(0, qtest_pci_bar_probe(&vm->q, vm->bdf, 0, &size, &flags));
	EXPECT_EQ(VRAM, size);
	EXPECT_EQ(PCI_BASE_ADDRESS_SPACE_MEMORY | PCI_BASE_ADDRESS_MEM_TYPE_32 |
		  PCI_BASE_ADDRESS_MEM_PREFETCH, flags);
	EXPECT_EQ(VRAM, vm->region_size[0]);
	for (bar = 1; bar < 6; bar++) {
		ASSERT_EQ(0, qtest_pci_bar_probe(&vm->q, vm->bdf, bar, &size, &flags));
		EXPECT_EQ(vm->region_size[bar], size) TH_LOG("BAR%u", bar);
	}
	qtest_pci_write32(&vm->q, vm->bdf, PCI_ROM_ADDRESS, ~0u);
	EXPECT_EQ(0, qtest_pci_read32(&vm->q, vm->bdf, PCI_ROM_ADDRESS));

	ASSERT_EQ(0, vgpu_vm_map(vm));
	EXPECT_EQ(QTEST_MMIO_BASE, vm->bar0);
	EXPECT_EQ(vm->bar0 | PCI_BASE_ADDRESS_MEM_PREFETCH,
		  qtest_pci_read32(&vm->q, vm->bdf, PCI_BASE_ADDRESS_0));
	EXPECT_TRUE(qtest_pci_read16(&vm->q, vm->bdf, PCI_COMMAND) & PCI_COMMAND_MEMORY);
}

/* 32-bit guest accesses across all of VRAM land at the offsets they name. */
TEST_F_TIMEOUT(qemu, vram_dword, TIMEOUT)
{
	struct vgpu_vm *vm = &self->vm[0];
	uint32_t off, win[4];

	ASSERT_EQ(0, vgpu_vm_map(vm));
	for (off = 0; off < VRAM; off += VRAM / 16 + 0x1004)
		qtest_writel(&vm->q, vm->bar0 + off, tag(off, 1));
	for (off = 0; off < VRAM; off += VRAM / 16 + 0x1004) {
		EXPECT_EQ(tag(off, 1), qtest_readl(&vm->q, vm->bar0 + off))
			TH_LOG("offset 0x%x", off);
		if (off < 4)
			continue;
		/* Its neighbours are untouched: the write did not spill or shift. */
		ASSERT_EQ(0, qtest_memread(&vm->q, vm->bar0 + off - 4, win, sizeof(win)));
		EXPECT_EQ(0, win[0]) TH_LOG("below offset 0x%x", off);
		EXPECT_EQ(tag(off, 1), win[1]) TH_LOG("offset 0x%x", off);
		EXPECT_EQ(0, win[2]) TH_LOG("above offset 0x%x", off);
	}
	qtest_writel(&vm->q, vm->bar0 + 0x2000, 0x11223344);
	qtest_writel(&vm->q, vm->bar0 + 0x2004, 0x55667788);
	EXPECT_EQ(0x5566778811223344ULL, qtest_readq(&vm->q, vm->bar0 + 0x2000));
}

/*
 * Bulk writes at an odd offset and length across two page boundaries (QEMU splits
 * them into 1..8-byte accesses); the pattern differs from page to page.
 */
TEST_F_TIMEOUT(qemu, vram_bulk, TIMEOUT)
{
	struct vgpu_vm *vm = &self->vm[0];
	const uint32_t off = 0xfff3, len = 8197;
	uint8_t pattern[8197], back[8197 + 2];
	uint32_t i, expect;

	ASSERT_EQ(0, vgpu_vm_map(vm));
	for (i = 0; i < len; i++)
		pattern[i] = (uint8_t)(i * 7 + 3) ^ (uint8_t)(i >> 8);
	ASSERT_EQ(0, qtest_memwrite(&vm->q, vm->bar0 + off, pattern, len));
	ASSERT_EQ(0, qtest_memread(&vm->q, vm->bar0 + off - 1, back, len + 2));
	EXPECT_EQ(0, back[0]);
	EXPECT_EQ(0, memcmp(pattern, back + 1, len));
	EXPECT_EQ(0, back[len + 1]);
	/* A dword read across the first page boundary sees the same bytes, little-endian. */
	memcpy(&expect, pattern + 0xb, 4);
	EXPECT_EQ(expect, qtest_readl(&vm->q, vm->bar0 + 0xfffe));
}

/* Every dword of VRAM holds its own offset: no two guest addresses share storage. */
TEST_F_TIMEOUT(qemu, vram_every_dword, TIMEOUT)
{
	const uint32_t chunk = 1 << 20;
	struct vgpu_vm *vm = &self->vm[0];
	uint32_t *buf = malloc(chunk), off, i;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, vgpu_vm_map(vm));
	for (off = 0; off < VRAM; off += chunk) {
		for (i = 0; i < chunk / 4; i++)
			buf[i] = tag(off + 4 * i, 9);
		ASSERT_EQ(0, qtest_memwrite(&vm->q, vm->bar0 + off, buf, chunk));
	}
	for (off = 0; off < VRAM; off += chunk) {
		ASSERT_EQ(0, qtest_memread(&vm->q, vm->bar0 + off, buf, chunk));
		for (i = 0; i < chunk / 4 && buf[i] == tag(off + 4 * i, 9); i++)
			;
		EXPECT_EQ(chunk / 4, i)
			TH_LOG("VRAM 0x%x holds 0x%08x", off + 4 * i, buf[i]);
	}
	free(buf);
}

/* The last dword is VRAM; the first byte past the BAR is not. */
TEST_F_TIMEOUT(qemu, vram_last_dword, TIMEOUT)
{
	struct vgpu_vm *vm = &self->vm[0];
	uint64_t last;

	ASSERT_EQ(0, vgpu_vm_map(vm));
	last = vm->bar0 + VRAM - 4;
	qtest_writel(&vm->q, last, tag(VRAM - 4, 2));
	EXPECT_EQ(tag(VRAM - 4, 2), qtest_readl(&vm->q, last));
	EXPECT_EQ((uint64_t)tag(VRAM - 4, 2) << 32, qtest_readq(&vm->q, last - 4));
	qtest_writel(&vm->q, last + 4, tag(VRAM, 3));
	EXPECT_NE(tag(VRAM, 3), qtest_readl(&vm->q, last + 4));
	EXPECT_EQ(tag(VRAM - 4, 2), qtest_readl(&vm->q, last));
	EXPECT_EQ(0, qtest_readl(&vm->q, vm->bar0));
}

/* With memory decode off, guest accesses to the BAR address do not reach VRAM. */
TEST_F_TIMEOUT(qemu, vram_decode_off, TIMEOUT)
{
	struct vgpu_vm *vm = &self->vm[0];
	uint16_t cmd;

	ASSERT_EQ(0, vgpu_vm_map(vm));
	qtest_writel(&vm->q, vm->bar0 + 64, tag(64, 4));
	cmd = qtest_pci_read16(&vm->q, vm->bdf, PCI_COMMAND);
	qtest_pci_write16(&vm->q, vm->bdf, PCI_COMMAND, cmd & ~PCI_COMMAND_MEMORY);
	qtest_writel(&vm->q, vm->bar0 + 64, tag(64, 5));
	EXPECT_NE(tag(64, 5), qtest_readl(&vm->q, vm->bar0 + 64));
	qtest_pci_write16(&vm->q, vm->bdf, PCI_COMMAND, cmd);
	EXPECT_EQ(tag(64, 4), qtest_readl(&vm->q, vm->bar0 + 64));
}

/*
 * QMP system_reset resets the vGPU through VFIO_DEVICE_RESET (QEMU warns when it has
 * no reset mechanism): config space returns to power-on, VRAM keeps its contents.
 */
TEST_F_TIMEOUT(qemu, system_reset, TIMEOUT)
{
	struct vgpu_vm *vm = &self->vm[0];
	uint64_t bar0;

	EXPECT_FALSE(qtest_stderr_has(&vm->q, NO_RESET)) log_qemu(_metadata, &vm->q);
	ASSERT_EQ(0, vgpu_vm_map(vm));
	bar0 = vm->bar0;
	qtest_writel(&vm->q, bar0 + 0x100, tag(0x100, 6));
	ASSERT_NE(0, qtest_pci_read16(&vm->q, vm->bdf, PCI_COMMAND) & PCI_COMMAND_MEMORY);

	ASSERT_EQ(0, qtest_qmp_ok(&vm->q, "system_reset"));
	ASSERT_EQ(0, qtest_qmp_wait_event(&vm->q, "RESET"));
	EXPECT_FALSE(qtest_stderr_has(&vm->q, NO_RESET)) log_qemu(_metadata, &vm->q);
	EXPECT_FALSE(qtest_stderr_has(&vm->q, "Cannot reset")) log_qemu(_metadata, &vm->q);
	EXPECT_EQ(0, qtest_pci_read16(&vm->q, vm->bdf, PCI_COMMAND));
	EXPECT_EQ(PCI_BASE_ADDRESS_MEM_PREFETCH,
		  qtest_pci_read32(&vm->q, vm->bdf, PCI_BASE_ADDRESS_0));
	EXPECT_NE(tag(0x100, 6), qtest_readl(&vm->q, bar0 + 0x100));

	ASSERT_EQ(0, vgpu_vm_map(vm));	/* at a new address: VRAM does not care */
	EXPECT_EQ(tag(0x100, 6), qtest_readl(&vm->q, vm->bar0 + 0x100));
}

/* Two QEMUs on two vGPUs at once, both BARs at the same guest address: isolated. */
TEST_F_TIMEOUT(qemu, two_instances, TIMEOUT)
{
	struct vgpu_vm *a = &self->vm[0], *b = &self->vm[1];
	uint32_t off;

	ASSERT_EQ(0, vgpu_vm_up_logged(_metadata, b, self->parent, "mgpu1"));
	ASSERT_EQ(0, vgpu_vm_map(a));
	ASSERT_EQ(0, vgpu_vm_map(b));
	ASSERT_EQ(a->bar0, b->bar0);
	for (off = 0; off < VRAM; off += VRAM / 8)
		qtest_writel(&a->q, a->bar0 + off, tag(off, 7));
	for (off = 0; off < VRAM; off += VRAM / 8)
		EXPECT_EQ(0, qtest_readl(&b->q, b->bar0 + off)) TH_LOG("offset 0x%x", off);
	for (off = 0; off < VRAM; off += VRAM / 8)
		qtest_writel(&b->q, b->bar0 + off, tag(off, 8));
	for (off = 0; off < VRAM; off += VRAM / 8) {
		EXPECT_EQ(tag(off, 7), qtest_readl(&a->q, a->bar0 + off));
		EXPECT_EQ(tag(off, 8), qtest_readl(&b->q, b->bar0 + off));
	}
}

/* A vGPU that one QEMU holds cannot be opened by a second; the first carries on. */
TEST_F_TIMEOUT(qemu, second_open_refused, TIMEOUT)
{
	struct vgpu_vm *vm = &self->vm[0];
	struct qtest other;
	int ret = qtest_start_mdev(&other, vm->dev.uuid, "again");

	EXPECT_NE(0, ret);
	EXPECT_TRUE(qtest_stderr_has(&other, vm->dev.uuid)) log_qemu(_metadata, &other);
	qtest_quit(&other);
	EXPECT_EQ(MGPU_PCI_VENDOR_ID, qtest_pci_read16(&vm->q, vm->bdf, PCI_VENDOR_ID));
}

/* No vGPU: only the harness's longer timeout (QEMU's start may take a minute). */
FIXTURE(novgpu) {
	int unused;
};

FIXTURE_SETUP(novgpu)
{
}

FIXTURE_TEARDOWN(novgpu)
{
}

/* The library notices when QEMU cannot open its device, and says why, in time. */
TEST_F_TIMEOUT(novgpu, qemu_open_failure_detected, TIMEOUT)
{
	struct qtest q;
	char uuid[MGPU_UUID_LEN];
	int ret;

	if (!qtest_qemu_available())
		SKIP(return, "%s not found: install QEMU (or set MGPU_QEMU)",
		     qtest_qemu_binary());
	mgpu_new_uuid(uuid);
	ret = qtest_start_mdev(&q, uuid, NULL);
	EXPECT_TRUE(ret == -EPIPE || ret == -ESRCH) TH_LOG("qtest_start: %d", ret);
	EXPECT_TRUE(qtest_stderr_has(&q, uuid)) log_qemu(_metadata, &q);
	qtest_quit(&q);
	EXPECT_EQ(0, q.pid);
}

TEST_HARNESS_MAIN
