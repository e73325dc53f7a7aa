/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * mgpu tmem: the guest-visible ABI of the tmem device, a PCI function that
 * mgpu_tmem.ko offers as an mdev ("mgpu_tmem" parent, type "mgpu_tmem-1") and QEMU
 * assigns with -device vfio-pci,sysfsdev=/sys/bus/mdev/devices/<uuid>.
 *
 * One device is one tmem client of the host's pool engine. The guest talks to it
 * through:
 *  - BAR0, a 4 KiB register window (trapped): identity, version, capabilities, the
 *    ring's setup, the doorbell, the interrupt status and the host's write-back hint;
 *  - a descriptor ring in guest memory: MGPU_TMEM_REG_RING_SIZE descriptors of
 *    struct mgpu_tmem_desc, 64 bytes each, physically contiguous, at
 *    MGPU_TMEM_REG_RING_BASE;
 *  - page data in guest memory, named by guest-physical address in each descriptor;
 *  - one interrupt, MSI (one vector) or INTx, raised when the host has completed
 *    descriptors or asks for write-back.
 *
 * The protocol:
 *  1. Check MGPU_TMEM_REG_MAGIC and the major version; read CAPS and MAX_RING.
 *  2. Write RING_BASE_LO/HI (4 KiB aligned) and RING_SIZE (a power of two from 1 to
 *     MAX_RING), then MGPU_TMEM_CTRL_ENABLE to CONTROL. HEAD and TAIL start at 0.
 *  3. Fill descriptors at index (tail % size), set each one's status to
 *     MGPU_TMEM_STATUS_PENDING, advance tail (a free-running 32-bit count) and write it
 *     to the TAIL register: the doorbell. One doorbell may cover many descriptors
 *     (a batch), up to RING_SIZE outstanding.
 *  4. The host processes descriptors in order. For each it writes status (0 or a
 *     negative errno) and result into the descriptor in guest memory, then advances
 *     HEAD. After a batch it sets MGPU_TMEM_IRQ_COMPLETION in IRQ_STATUS and raises the
 *     interrupt if that bit is unmasked in IRQ_MASK. A guest may poll the status fields
 *     or HEAD instead.
 *  5. IRQ_STATUS bits are cleared by writing 1s. MGPU_TMEM_CTRL_RESET (or a PCI
 *     reset) stops the ring, forgets its setup and destroys every pool of the client.
 *
 * Validation: every field of every descriptor is checked before use. A malformed
 * descriptor fails alone with status -EINVAL (a field out of range), -EFAULT (guest
 * memory that cannot be read or written), -EOPNOTSUPP (an unknown op) or -EPERM (a
 * shared pool whose UUID the host admin has not authorised for this client); the ring
 * goes on. Only a ring that cannot be trusted as a whole stops: a TAIL more than
 * RING_SIZE ahead of HEAD, or a ring whose memory cannot be read. Then STATUS has
 * MGPU_TMEM_STATUS_ERROR, ERROR says why, and only a reset restarts the ring.
 *
 * Page operations and their results:
 *  - PUT: -ENOSPC when the host refuses the page (full, over the client's cap), -EBUSY
 *    when the host admin froze the client. A refused put leaves the key absent: a copy
 *    put earlier under that key is gone too.
 *  - GET: -ENOENT on a miss. A hit in a private ephemeral pool removes the page.
 *  - For count > 1, pages are processed in order and the first failure stops the
 *    descriptor: result says how many pages succeeded.
 *  - PUT, GET or DESTROY_POOL on a pool id that is in range but not open: -ENOENT.
 *    A flush of a key that is not stored succeeds, in an unopened pool too.
 *  - NEW_POOL: -ENOSPC when the client has MGPU_TMEM_MAX_POOLS open or the host has
 *    no room for another pool, -EINVAL when the client already joined that shared
 *    pool.
 *  - A host that cannot allocate refuses a put with -ENOSPC; a stored copy that cannot
 *    be expanded is a miss (-ENOENT) and is gone.
 * Status values are Linux errno numbers, negated. A guest treats any status it does
 * not know as a failure of that descriptor alone.
 */
#ifndef _UAPI_LINUX_MGPU_TMEM_H
#define _UAPI_LINUX_MGPU_TMEM_H

#include <linux/types.h>

/* PCI identity: QEMU's vendor space, as mgpu's vGPU (provisional, see guest-abi.rst). */
#define MGPU_TMEM_PCI_VENDOR_ID		0x1234
#define MGPU_TMEM_PCI_DEVICE_ID		0x746d	/* "tm" */
#define MGPU_TMEM_PCI_SUBSYS_VENDOR_ID	0x1234
#define MGPU_TMEM_PCI_SUBSYS_DEVICE_ID	0x6d67	/* "mg" */
#define MGPU_TMEM_PCI_CLASS		0x058000	/* memory controller, other */
#define MGPU_TMEM_PCI_REVISION		0x01

#define MGPU_TMEM_BAR_REGS		0	/* the register window */
#define MGPU_TMEM_REGS_SIZE		0x1000

#define MGPU_TMEM_MAGIC			0x4d454d54	/* "TMEM", little endian */
#define MGPU_TMEM_VERSION_MAJOR		1
#define MGPU_TMEM_VERSION_MINOR		0
#define MGPU_TMEM_VERSION		((MGPU_TMEM_VERSION_MAJOR << 16) | \
					 MGPU_TMEM_VERSION_MINOR)

/* BAR0 registers: 32 bits each, naturally aligned 4-byte accesses only. */
#define MGPU_TMEM_REG_MAGIC		0x00	/* RO: MGPU_TMEM_MAGIC */
#define MGPU_TMEM_REG_VERSION		0x04	/* RO: major << 16 | minor */
#define MGPU_TMEM_REG_CAPS		0x08	/* RO: MGPU_TMEM_CAP_* */
#define MGPU_TMEM_REG_MAX_RING		0x0c	/* RO: largest RING_SIZE */
#define MGPU_TMEM_REG_RING_BASE_LO	0x10	/* RW while disabled */
#define MGPU_TMEM_REG_RING_BASE_HI	0x14	/* RW while disabled */
#define MGPU_TMEM_REG_RING_SIZE		0x18	/* RW while disabled: entries */
#define MGPU_TMEM_REG_CONTROL		0x1c	/* WO: MGPU_TMEM_CTRL_*; reads 0 */
#define MGPU_TMEM_REG_STATUS		0x20	/* RO: MGPU_TMEM_STATUS_* */
#define MGPU_TMEM_REG_TAIL		0x24	/* RW: the doorbell; free-running */
#define MGPU_TMEM_REG_HEAD		0x28	/* RO: descriptors completed */
#define MGPU_TMEM_REG_IRQ_STATUS	0x2c	/* RW1C: MGPU_TMEM_IRQ_* */
#define MGPU_TMEM_REG_IRQ_MASK		0x30	/* RW: 1 = raise the interrupt */
#define MGPU_TMEM_REG_WRITEBACK		0x34	/* RO: pages the host asks back */
#define MGPU_TMEM_REG_ERROR		0x38	/* RO: MGPU_TMEM_ERR_* of a stop */
#define MGPU_TMEM_REG_CLIENT_ID		0x3c	/* RO: the host's client number */
#define MGPU_TMEM_REG_MAX_COUNT		0x40	/* RO: largest count of a descriptor */
#define MGPU_TMEM_REG_PAGE_SIZE		0x44	/* RO: MGPU_TMEM_PAGE_SIZE */

#define MGPU_TMEM_CAP_PERSISTENT	(1u << 0)	/* persistent pools */
#define MGPU_TMEM_CAP_EPHEMERAL		(1u << 1)	/* ephemeral pools */
#define MGPU_TMEM_CAP_SHARED		(1u << 2)	/* shared ephemeral pools */
#define MGPU_TMEM_CAP_MSI		(1u << 3)	/* an MSI capability */
#define MGPU_TMEM_CAP_WRITEBACK		(1u << 4)	/* WRITEBACK and its interrupt */
#define MGPU_TMEM_CAP_COMPRESS		(1u << 5)	/* the host compresses pages */

#define MGPU_TMEM_CTRL_ENABLE		(1u << 0)	/* start the ring */
#define MGPU_TMEM_CTRL_RESET		(1u << 1)	/* stop, forget, destroy pools */

#define MGPU_TMEM_STATUS_ENABLED	(1u << 0)	/* the ring runs */
#define MGPU_TMEM_STATUS_ERROR		(1u << 1)	/* the ring stopped: see ERROR */

#define MGPU_TMEM_IRQ_COMPLETION	(1u << 0)	/* descriptors completed */
#define MGPU_TMEM_IRQ_WRITEBACK		(1u << 1)	/* WRITEBACK went up from 0 */
#define MGPU_TMEM_IRQ_ERROR		(1u << 2)	/* the ring stopped */

#define MGPU_TMEM_ERR_NONE		0
#define MGPU_TMEM_ERR_SETUP		1	/* ENABLE with a bad base or size */
#define MGPU_TMEM_ERR_TAIL		2	/* TAIL more than RING_SIZE ahead */
#define MGPU_TMEM_ERR_RING_DMA		3	/* the ring's memory is unreadable */

#define MGPU_TMEM_PAGE_SIZE		4096
#define MGPU_TMEM_MAX_RING		4096
#define MGPU_TMEM_MAX_COUNT		64	/* pages of one PUT/GET/FLUSH_PAGE */
#define MGPU_TMEM_MAX_POOLS		16	/* pool ids 0..15 per client */

/* Descriptor ops */
#define MGPU_TMEM_OP_NOP		0x00
#define MGPU_TMEM_OP_NEW_POOL		0x01	/* flags, uuid -> result: pool id */
#define MGPU_TMEM_OP_DESTROY_POOL	0x02	/* pool */
#define MGPU_TMEM_OP_PUT		0x03	/* pool, oid, index, count, addr */
#define MGPU_TMEM_OP_GET		0x04	/* pool, oid, index, count, addr */
#define MGPU_TMEM_OP_FLUSH_PAGE		0x05	/* pool, oid, index, count */
#define MGPU_TMEM_OP_FLUSH_OBJECT	0x06	/* pool, oid */

/* NEW_POOL flags */
#define MGPU_TMEM_POOL_PERSISTENT	0x01	/* frontswap-like; else ephemeral */
#define MGPU_TMEM_POOL_SHARED		0x02	/* ephemeral only, joined by uuid */

/* The status of a descriptor the host has not completed yet */
#define MGPU_TMEM_STATUS_PENDING	1

/**
 * struct mgpu_tmem_desc - one descriptor of the ring, little endian, 64 bytes
 * @op: MGPU_TMEM_OP_*
 * @flags: NEW_POOL: MGPU_TMEM_POOL_*; 0 for every other op
 * @pool: the pool id (0..MGPU_TMEM_MAX_POOLS - 1) of every op but NOP and NEW_POOL
 * @status: the guest sets MGPU_TMEM_STATUS_PENDING; the host writes 0 or -errno
 * @oid: the object (a file, a swap area)
 * @index: the first page within the object
 * @count: PUT, GET, FLUSH_PAGE: pages, 1..MGPU_TMEM_MAX_COUNT (index + count must not
 *	wrap); 0 for every other op
 * @addr: PUT, GET: guest-physical address of count * MGPU_TMEM_PAGE_SIZE contiguous
 *	bytes, page aligned; 0 for every other op
 * @result: written by the host: NEW_POOL the pool id, PUT/GET/FLUSH_PAGE the pages
 *	that succeeded, 0 otherwise
 * @uuid: NEW_POOL with MGPU_TMEM_POOL_SHARED: the shared pool's UUID; else zeroes
 * @cookie: the guest's own; the host never reads or writes it
 */
struct mgpu_tmem_desc {
	__u8 op;
	__u8 flags;
	__u16 pool;
	__s32 status;
	__u64 oid;
	__u32 index;
	__u32 count;
	__u64 addr;
	__u64 result;
	__u8 uuid[16];
	__u64 cookie;
};

#endif /* _UAPI_LINUX_MGPU_TMEM_H */
