// SPDX-License-Identifier: GPL-2.0-only
/*
 * mgpu selftest library: a tmem device driven through VFIO from userspace (see
 * mgpu_tmem_ring.h). The device reads and writes this process's memory with
 * vfio_dma_rw() exactly as it would a guest's, so a test here is a guest driver
 * without a guest.
 */
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/pci_regs.h>

#include "mgpu_tmem_ring.h"

/* Create a tmem mdev (not opened yet). */
int mgpu_tmem_ring_create(struct mgpu_tmem_ring *t)
{
	int ret;

	memset(t, 0, sizeof(*t));
	ret = mgpu_create(&t->dev, MGPU_TMEM_PARENT, MGPU_TMEM_TYPE);
	t->created = !ret;
	return ret;
}

/* Map (again) the guest memory for the device at t->iova. */
int mgpu_tmem_ring_map(struct mgpu_tmem_ring *t)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)t->mem, .iova = t->iova, .size = t->mem_size,
	};

	if (ioctl(t->dev.container, VFIO_IOMMU_MAP_DMA, &map))
		return -errno;
	t->mapped = true;
	return 0;
}

/* Take the guest memory away from the device (a hostile or buggy user). */
int mgpu_tmem_ring_unmap(struct mgpu_tmem_ring *t)
{
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap), .iova = t->iova, .size = t->mem_size,
	};

	if (ioctl(t->dev.container, VFIO_IOMMU_UNMAP_DMA, &unmap))
		return -errno;
	t->mapped = false;
	return 0;
}

/*
 * Open the created mdev through VFIO, find BAR0, enable memory and bus mastering, and
 * map @pages pages after the ring's area as guest memory at @iova.
 */
int mgpu_tmem_ring_open(struct mgpu_tmem_ring *t, size_t pages, uint64_t iova)
{
	struct vfio_region_info info;
	void *mem;
	int ret;

	ret = mgpu_open(&t->dev);
	if (ret)
		return ret;
	ret = mgpu_region_info(&t->dev, VFIO_PCI_BAR0_REGION_INDEX + MGPU_TMEM_BAR_REGS,
			       &info);
	if (ret)
		return ret;
	t->bar0 = info.offset;
	t->mem_size = MGPU_TMEM_RING_AREA + pages * MGPU_TMEM_PAGE_SIZE;
	mem = mmap(NULL, t->mem_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		   -1, 0);
	if (mem == MAP_FAILED)
		return -errno;
	t->mem = mem;
	t->iova = iova;
	t->ring = (volatile struct mgpu_tmem_desc *)t->mem;
	ret = mgpu_cfg_write16(&t->dev, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	return ret ? ret : mgpu_tmem_ring_map(t);
}

/* Reset the device, then start a ring of @size descriptors at the start of memory. */
int mgpu_tmem_ring_start(struct mgpu_tmem_ring *t, uint32_t size)
{
	int ret = mgpu_tmem_wr(t, MGPU_TMEM_REG_CONTROL, MGPU_TMEM_CTRL_RESET);

	memset(t->mem, 0, MGPU_TMEM_RING_AREA);
	ret = ret ?: mgpu_tmem_wr(t, MGPU_TMEM_REG_RING_BASE_LO, (uint32_t)t->iova);
	ret = ret ?: mgpu_tmem_wr(t, MGPU_TMEM_REG_RING_BASE_HI, t->iova >> 32);
	ret = ret ?: mgpu_tmem_wr(t, MGPU_TMEM_REG_RING_SIZE, size);
	ret = ret ?: mgpu_tmem_wr(t, MGPU_TMEM_REG_CONTROL, MGPU_TMEM_CTRL_ENABLE);
	if (ret)
		return ret;
	t->size = size;
	t->tail = 0;
	return mgpu_tmem_rd(t, MGPU_TMEM_REG_STATUS) == MGPU_TMEM_STATUS_ENABLED ? 0 : -EIO;
}

/* Close the VFIO fds (the device stops, its pools go) and free the memory. */
void mgpu_tmem_ring_close(struct mgpu_tmem_ring *t)
{
	mgpu_close(&t->dev);
	if (t->mem)
		munmap(t->mem, t->mem_size);
	t->mem = NULL;
	t->ring = NULL;
	t->mapped = false;
}

/* Close, and remove the mdev if we created it. */
int mgpu_tmem_ring_destroy(struct mgpu_tmem_ring *t)
{
	int ret = 0;

	mgpu_tmem_ring_close(t);
	if (t->created)
		ret = mgpu_remove(t->dev.uuid);
	t->created = false;
	return ret;
}

/* Remove every mdev of the tmem type; returns how many it removed. */
int mgpu_tmem_remove_all(void)
{
	return mgpu_remove_matching("/" MGPU_TMEM_TYPE);
}

uint32_t mgpu_tmem_rd(struct mgpu_tmem_ring *t, uint32_t off)
{
	uint32_t v = 0xdeadbeef;

	if (pread(t->dev.fd, &v, 4, t->bar0 + off) != 4)
		return 0xdeadbeef;
	return v;
}

int mgpu_tmem_wr(struct mgpu_tmem_ring *t, uint32_t off, uint32_t val)
{
	ssize_t n = pwrite(t->dev.fd, &val, 4, t->bar0 + off);

	return n == 4 ? 0 : n < 0 ? -errno : -EIO;
}

void *mgpu_tmem_page(struct mgpu_tmem_ring *t, size_t i)
{
	return t->mem + MGPU_TMEM_RING_AREA + i * MGPU_TMEM_PAGE_SIZE;
}

uint64_t mgpu_tmem_page_gpa(struct mgpu_tmem_ring *t, size_t i)
{
	return t->iova + MGPU_TMEM_RING_AREA + i * MGPU_TMEM_PAGE_SIZE;
}

/* Fill the descriptor at TAIL (status PENDING); the device sees it at the next kick. */
volatile struct mgpu_tmem_desc *mgpu_tmem_push(struct mgpu_tmem_ring *t,
					       const struct mgpu_tmem_desc *d)
{
	volatile struct mgpu_tmem_desc *s = &t->ring[t->tail++ % t->size];

	memcpy((void *)s, d, sizeof(*d));
	s->status = MGPU_TMEM_STATUS_PENDING;
	return s;
}

/* The doorbell: write TAIL. */
int mgpu_tmem_kick(struct mgpu_tmem_ring *t)
{
	__sync_synchronize();
	return mgpu_tmem_wr(t, MGPU_TMEM_REG_TAIL, t->tail);
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/*
 * Wait until the device has completed everything pushed (HEAD == TAIL). Return: 0,
 * -EIO when the ring stopped (STATUS_ERROR), -ETIMEDOUT.
 */
int mgpu_tmem_wait(struct mgpu_tmem_ring *t, int timeout_ms)
{
	long long deadline = now_ms() + timeout_ms;
	unsigned int spins = 0;

	for (;;) {
		uint32_t status = mgpu_tmem_rd(t, MGPU_TMEM_REG_STATUS);

		if (mgpu_tmem_rd(t, MGPU_TMEM_REG_HEAD) == t->tail)
			break;
		if (status != MGPU_TMEM_STATUS_ENABLED)
			return -EIO;
		if (now_ms() > deadline)
			return -ETIMEDOUT;
		if (++spins > 100)
			usleep(200);
		else
			sched_yield();
	}
	__sync_synchronize();
	return 0;
}

/*
 * Push, kick and wait for one descriptor. Return: its status (0 or -errno), or
 * MGPU_TMEM_STATUS_PENDING when the device did not complete it.
 */
int mgpu_tmem_submit(struct mgpu_tmem_ring *t, const struct mgpu_tmem_desc *d,
		     uint64_t *result)
{
	volatile struct mgpu_tmem_desc *s = mgpu_tmem_push(t, d);

	if (mgpu_tmem_kick(t) || mgpu_tmem_wait(t, MGPU_TMEM_WAIT_MS))
		return MGPU_TMEM_STATUS_PENDING;
	if (result)
		*result = s->result;
	return s->status;
}

/* NEW_POOL. Return: the pool id, or the descriptor's status. */
int mgpu_tmem_new_pool(struct mgpu_tmem_ring *t, uint8_t flags, const uint8_t *uuid)
{
	struct mgpu_tmem_desc d = { .op = MGPU_TMEM_OP_NEW_POOL, .flags = flags };
	uint64_t id = 0;
	int st;

	if (uuid)
		memcpy(d.uuid, uuid, sizeof(d.uuid));
	st = mgpu_tmem_submit(t, &d, &id);
	return st ? st : (int)id;
}
