/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * qtest: drive a QEMU that runs no guest through its qtest and QMP sockets, so a test
 * sees a device exactly as QEMU presents it to a guest (config space, BARs, reset).
 *
 * One struct qtest per QEMU; several may run at once. The library listens on two unix
 * sockets in a private directory and QEMU connects to them, as QEMU's own libqtest
 * does. QEMU's stderr goes to a file there so tests can assert on its warnings. Every
 * socket read has a deadline: a wedged QEMU fails a test instead of hanging it.
 *
 * Errors: functions that return int return 0 or -errno. Accessors that return a value
 * return all ones on failure (as a master abort would) and record the first error in
 * q->error; once a socket has timed out or closed, every later access fails at once.
 */
#ifndef MGPU_QTEST_H
#define MGPU_QTEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Where qtest_pci_bar_map() places BARs: q35's PCI hole, above RAM, below the IOAPIC. */
#define QTEST_MMIO_BASE		0xe0000000ULL
#define QTEST_MMIO_END		0xfec00000ULL

/* Match any subsystem ID in struct qtest_pci_id. */
#define QTEST_PCI_ANY		0xffff

/* Default deadline of one reply, in ms; $MGPU_QTEST_TIMEOUT (seconds) overrides it. */
#define QTEST_TIMEOUT_MS	20000

/* One socket QEMU talks on, with what has been received but not yet consumed. */
struct qtest_chan {
	int fd;
	char *buf;
	size_t len, cap, used;
};

/* One QEMU instance. */
struct qtest {
	pid_t pid;		/* 0 once reaped */
	int status;		/* wait status once reaped */
	int error;		/* first -errno of any access */
	int timeout_ms;		/* deadline of one reply */
	int start_ms;		/* deadline of qtest_start(), then how long it took */
	const char *stage;	/* what qtest_start() was waiting for when it failed */
	struct qtest_chan qtest, qmp;
	char dir[64];		/* qtest.sock, qmp.sock, stderr.log; "" when none */
	char *err;		/* QEMU's stderr as last read by qtest_stderr() */
	char *events;		/* QMP events received so far, one JSON object a line */
	uint64_t mmio_next;	/* next free guest-physical address for a BAR */
	uint64_t irq_level;	/* intercepted IRQ lines now raised, one bit each */
	uint64_t irq_seen;	/* lines raised at least once since the last clear */
	char *qmp_error;	/* the last {"error": ...} a library call got, or NULL */
};

/* A screen as QMP screendump wrote it (PPM): width * height RGB triplets, top row first. */
struct qtest_image {
	unsigned int width, height;
	uint8_t *rgb;
};

/* A PCI function to look for; subsystem IDs may be QTEST_PCI_ANY. */
struct qtest_pci_id {
	uint16_t vendor, device, subvendor, subdevice;
};

const char *qtest_qemu_binary(void);
bool qtest_qemu_available(void);

int qtest_start(struct qtest *q, const char *const args[]);
int qtest_start_mdev(struct qtest *q, const char *uuid, const char *id);
void qtest_quit(struct qtest *q);
const char *qtest_stderr(struct qtest *q);
bool qtest_stderr_has(struct qtest *q, const char *needle);

int qtest_cmd(struct qtest *q, char **reply, const char *fmt, ...);
void qtest_outl(struct qtest *q, uint16_t port, uint32_t val);
uint32_t qtest_inl(struct qtest *q, uint16_t port);
uint16_t qtest_inw(struct qtest *q, uint16_t port);
uint8_t qtest_inb(struct qtest *q, uint16_t port);
void qtest_outw(struct qtest *q, uint16_t port, uint16_t val);
void qtest_outb(struct qtest *q, uint16_t port, uint8_t val);
uint8_t qtest_readb(struct qtest *q, uint64_t addr);
uint16_t qtest_readw(struct qtest *q, uint64_t addr);
uint32_t qtest_readl(struct qtest *q, uint64_t addr);
uint64_t qtest_readq(struct qtest *q, uint64_t addr);
void qtest_writeb(struct qtest *q, uint64_t addr, uint8_t val);
void qtest_writew(struct qtest *q, uint64_t addr, uint16_t val);
void qtest_writel(struct qtest *q, uint64_t addr, uint32_t val);
void qtest_writeq(struct qtest *q, uint64_t addr, uint64_t val);
int qtest_memread(struct qtest *q, uint64_t addr, void *buf, size_t len);
int qtest_memwrite(struct qtest *q, uint64_t addr, const void *buf, size_t len);
int qtest_memset(struct qtest *q, uint64_t addr, uint8_t val, size_t len);
int qtest_irq_intercept_in(struct qtest *q, const char *qom_path);
bool qtest_irq_raised(struct qtest *q, unsigned int line);
uint64_t qtest_irq_seen(struct qtest *q, bool clear);

char *qtest_qmp(struct qtest *q, const char *fmt, ...);
int qtest_qmp_ok(struct qtest *q, const char *cmd);
int qtest_qmp_wait_event(struct qtest *q, const char *event);
bool qtest_alive(struct qtest *q);

int qtest_screendump(struct qtest *q, const char *device, struct qtest_image *img);
int qtest_ppm_load(const char *path, struct qtest_image *img);
void qtest_image_free(struct qtest_image *img);

uint32_t qtest_pci_read32(struct qtest *q, unsigned int bdf, unsigned int off);
uint16_t qtest_pci_read16(struct qtest *q, unsigned int bdf, unsigned int off);
uint8_t qtest_pci_read8(struct qtest *q, unsigned int bdf, unsigned int off);
void qtest_pci_write32(struct qtest *q, unsigned int bdf, unsigned int off, uint32_t val);
void qtest_pci_write16(struct qtest *q, unsigned int bdf, unsigned int off, uint16_t val);
int qtest_pci_find(struct qtest *q, const struct qtest_pci_id *id, unsigned int from);
int qtest_pci_devfn(struct qtest *q, const char *id);
int qtest_pci_bar_probe(struct qtest *q, unsigned int bdf, unsigned int bar,
			uint64_t *size, uint32_t *flags);
int qtest_pci_bar_map(struct qtest *q, unsigned int bdf, unsigned int bar, uint64_t *addr);
void qtest_pci_enable_mem(struct qtest *q, unsigned int bdf);

#endif /* MGPU_QTEST_H */
