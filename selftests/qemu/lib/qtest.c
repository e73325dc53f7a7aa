// SPDX-License-Identifier: GPL-2.0-only
/*
 * qtest: start QEMU with no guest and speak its qtest text protocol and QMP, the way
 * QEMU's own tests/qtest/libqtest.c does, in a few hundred lines of plain C.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/pci_regs.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "qtest.h"

#define QTEST_QUIT_MS		5000	/* how long QMP quit may take before SIGKILL */
#define QTEST_POLL_MS		100	/* how often to look for an early QEMU exit */
#define QTEST_MAX_ARGS		64
#define QTEST_WRITE_MAX		(32 << 10)	/* bytes of one bulk write command */
#define PCI_CONF_ADDR		0xcf8
#define PCI_CONF_DATA		0xcfc
#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#endif

/* ---------------------------------------------------------------- time and files */

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static int time_left(long long deadline)
{
	long long left = deadline - now_ms();

	return left > 0 ? (int)left : 0;
}

static void qtest_path(const struct qtest *q, const char *name, char *path, size_t len)
{
	snprintf(path, len, "%s/%s", q->dir, name);
}

static int qtest_fail(struct qtest *q, int err)
{
	if (!q->error)
		q->error = err;
	return err;
}

/**
 * qtest_qemu_binary - the QEMU that tests run
 *
 * Return: $MGPU_QEMU if set, else "qemu-system-x86_64" (looked up in $PATH).
 */
const char *qtest_qemu_binary(void)
{
	const char *qemu = getenv("MGPU_QEMU");

	return qemu && *qemu ? qemu : "qemu-system-x86_64";
}

/**
 * qtest_qemu_available - can qtest_start() run QEMU at all?
 *
 * Return: true if qtest_qemu_binary() names an executable, directly or in $PATH.
 */
bool qtest_qemu_available(void)
{
	const char *qemu = qtest_qemu_binary();
	char path[PATH_MAX], *dirs, *dir, *save;
	bool found = false;

	if (strchr(qemu, '/'))
		return access(qemu, X_OK) == 0;
	dirs = strdup(getenv("PATH") ?: "/usr/bin:/bin");
	for (dir = strtok_r(dirs, ":", &save); dir && !found;
	     dir = strtok_r(NULL, ":", &save)) {
		snprintf(path, sizeof(path), "%s/%s", dir, qemu);
		found = access(path, X_OK) == 0;
	}
	free(dirs);
	return found;
}

/* ---------------------------------------------------------------- channels */

static void chan_init(struct qtest_chan *ch)
{
	ch->fd = -1;
	ch->len = 0;
	ch->used = 0;
	ch->cap = 0;
	ch->buf = NULL;
}

static void chan_close(struct qtest_chan *ch)
{
	if (ch->fd >= 0)
		close(ch->fd);
	ch->fd = -1;
}

static void chan_free(struct qtest_chan *ch)
{
	chan_close(ch);
	free(ch->buf);
	chan_init(ch);
}

static int chan_send(struct qtest_chan *ch, const char *s, size_t len, long long deadline)
{
	struct pollfd pfd = { .fd = ch->fd, .events = POLLOUT };

	while (len) {
		ssize_t n;

		if (ch->fd < 0)
			return -EPIPE;
		if (poll(&pfd, 1, time_left(deadline)) == 0)
			return -ETIMEDOUT;
		n = send(ch->fd, s, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return -errno;
		if (n > 0) {
			s += n;
			len -= n;
		}
	}
	return 0;
}

/* Drop the line handed out last. */
static void chan_consume(struct qtest_chan *ch)
{
	memmove(ch->buf, ch->buf + ch->used, ch->len - ch->used);
	ch->len -= ch->used;
	ch->used = 0;
}

static int chan_fill(struct qtest_chan *ch, long long deadline)
{
	struct pollfd pfd = { .fd = ch->fd, .events = POLLIN };
	ssize_t n;

	if (ch->fd < 0)
		return -EPIPE;
	if (ch->cap - ch->len < 4096) {
		char *buf = realloc(ch->buf, ch->cap * 2 + 8192);

		if (!buf)
			return -ENOMEM;
		ch->buf = buf;
		ch->cap = ch->cap * 2 + 8192;
	}
	if (poll(&pfd, 1, time_left(deadline)) == 0)
		return -ETIMEDOUT;
	n = read(ch->fd, ch->buf + ch->len, ch->cap - ch->len - 1);
	if (n < 0 && errno == EINTR)
		return 0;
	if (n == 0 || (n < 0 && errno == ECONNRESET))
		return -EPIPE;	/* QEMU has gone */
	if (n < 0)
		return -errno;
	ch->len += n;
	return 0;
}

/*
 * The next line QEMU sent, without its line end; valid until the next call. A timeout
 * or a closed socket closes the channel so that later calls fail at once.
 */
static int chan_readline(struct qtest_chan *ch, int timeout_ms, char **line)
{
	long long deadline = now_ms() + timeout_ms;
	size_t scanned = 0;	/* a bulk read's reply is megabytes long: scan once */
	char *nl;

	chan_consume(ch);
	while (!ch->buf || !(nl = memchr(ch->buf + scanned, '\n', ch->len - scanned))) {
		int ret;

		scanned = ch->len;
		ret = chan_fill(ch, deadline);
		if (ret) {
			chan_close(ch);
			return ret;
		}
	}
	*nl = 0;
	if (nl > ch->buf && nl[-1] == '\r')
		nl[-1] = 0;
	ch->used = nl - ch->buf + 1;
	*line = ch->buf;
	return 0;
}

/* Send one line (the newline is added here). */
static int chan_sendline(struct qtest_chan *ch, int timeout_ms, const char *line)
{
	long long deadline = now_ms() + timeout_ms;
	int ret = chan_send(ch, line, strlen(line), deadline);

	if (!ret)
		ret = chan_send(ch, "\n", 1, deadline);
	if (ret)
		chan_close(ch);
	return ret;
}

/* ---------------------------------------------------------------- starting QEMU */

static int listen_unix(struct qtest *q, const char *name)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	qtest_path(q, name, sa.sun_path, sizeof(sa.sun_path));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 1)) {
		int ret = -errno;

		close(fd);
		return ret;
	}
	return fd;
}

/* Reap QEMU if it has exited; true if it is gone. */
static bool qemu_reaped(struct qtest *q)
{
	if (q->pid <= 0)
		return true;
	if (waitpid(q->pid, &q->status, WNOHANG) != q->pid)
		return false;
	q->pid = 0;
	return true;
}

/* Accept QEMU's connection on @lfd, failing early if QEMU exits instead. */
static int accept_chan(struct qtest *q, int lfd, struct qtest_chan *ch, long long deadline)
{
	struct pollfd pfd = { .fd = lfd, .events = POLLIN };

	while (poll(&pfd, 1, QTEST_POLL_MS) == 0) {
		if (qemu_reaped(q))
			return -ESRCH;
		if (!time_left(deadline))
			return -ETIMEDOUT;
	}
	ch->fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	return ch->fd < 0 ? -errno : 0;
}

static void exec_qemu(char *const argv[], int errfd, pid_t parent)
{
	int null = open("/dev/null", O_RDWR);

	/* QEMU must not outlive a test that crashed or was killed for its timeout. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(127);
	dup2(null, STDIN_FILENO);
	dup2(errfd, STDOUT_FILENO);
	dup2(errfd, STDERR_FILENO);
	execvp(argv[0], argv);
	dprintf(STDERR_FILENO, "cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

/* A stopped q35 with nothing but what the test adds; no qtest log on stderr. */
static const char *const qemu_base_args[] = {
	"-machine", "q35", "-S", "-display", "none", "-nodefaults", "-qtest-log", "none",
	"-mon", "chardev=qmp,mode=control",
};

static int spawn_qemu(struct qtest *q, const char *const args[])
{
	char qtest_arg[PATH_MAX], qmp_arg[PATH_MAX], log[PATH_MAX];
	const char *argv[QTEST_MAX_ARGS];
	int argc = 0, errfd;
	pid_t parent = getpid();
	size_t i;

	snprintf(qtest_arg, sizeof(qtest_arg), "unix:%s/qtest.sock", q->dir);
	snprintf(qmp_arg, sizeof(qmp_arg), "socket,path=%s/qmp.sock,id=qmp", q->dir);
	argv[argc++] = qtest_qemu_binary();
	for (i = 0; i < ARRAY_SIZE(qemu_base_args); i++)
		argv[argc++] = qemu_base_args[i];
	argv[argc++] = "-qtest";
	argv[argc++] = qtest_arg;
	argv[argc++] = "-chardev";
	argv[argc++] = qmp_arg;
	while (args && *args && argc < QTEST_MAX_ARGS - 1)
		argv[argc++] = *args++;
	if (args && *args)
		return -E2BIG;
	argv[argc] = NULL;
	qtest_path(q, "stderr.log", log, sizeof(log));
	errfd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (errfd < 0)
		return -errno;
	q->pid = fork();
	if (q->pid == 0)
		exec_qemu((char *const *)argv, errfd, parent);
	close(errfd);
	if (q->pid < 0) {
		q->pid = 0;
		return -errno;
	}
	return 0;
}

static int qmp_handshake(struct qtest *q, long long deadline)
{
	char *line;
	int ret;

	q->stage = "the QMP greeting";
	ret = chan_readline(&q->qmp, time_left(deadline), &line);
	if (ret)
		return ret;
	if (strncmp(line, "{\"QMP\"", 6))
		return -EPROTO;
	q->stage = "qmp_capabilities";
	return qtest_qmp_ok(q, "qmp_capabilities");
}

/* Start QEMU and wait until it has connected and answers QMP. */
static int qemu_connect(struct qtest *q, const char *const args[], int lq, int lm,
			long long deadline)
{
	int ret;

	q->stage = "fork and exec";
	ret = spawn_qemu(q, args);
	if (ret)
		return ret;
	q->stage = "QEMU to connect to qtest.sock";
	ret = accept_chan(q, lq, &q->qtest, deadline);
	if (ret)
		return ret;
	q->stage = "QEMU to connect to qmp.sock";
	ret = accept_chan(q, lm, &q->qmp, deadline);
	if (ret)
		return ret;
	ret = qmp_handshake(q, deadline);
	if (!ret)
		q->stage = NULL;
	return ret;
}

static void qtest_init_struct(struct qtest *q)
{
	const char *t = getenv("MGPU_QTEST_TIMEOUT");

	memset(q, 0, sizeof(*q));
	chan_init(&q->qtest);
	chan_init(&q->qmp);
	q->timeout_ms = t && atoi(t) > 0 ? atoi(t) * 1000 : QTEST_TIMEOUT_MS;
	q->start_ms = 3 * q->timeout_ms;
	q->mmio_next = QTEST_MMIO_BASE;
}

/**
 * qtest_start - start a QEMU (q35, stopped, no defaults) and connect to it
 * @q: the instance to fill in
 * @args: further QEMU arguments, NULL-terminated (e.g. "-device", "..."), or NULL
 *
 * Returns once QEMU has realized its devices and answered QMP, or failed to (within
 * three reply deadlines: QEMU under TCG in a busy VM starts slowly). Either way
 * qtest_stderr() then tells what QEMU said, q->stage what was awaited when it failed,
 * q->start_ms how long it took, and qtest_quit() must follow.
 *
 * Return: 0; -ESRCH if QEMU exited before it connected, -EPIPE if it exited later
 * (a device it could not open, say), -ETIMEDOUT, or another -errno.
 */
int qtest_start(struct qtest *q, const char *const args[])
{
	long long t0 = now_ms();
	int lq = -1, lm = -1, ret;

	qtest_init_struct(q);
	snprintf(q->dir, sizeof(q->dir), "/tmp/mgpu-qtest-XXXXXX");
	if (!mkdtemp(q->dir)) {
		q->dir[0] = 0;
		return qtest_fail(q, -errno);
	}
	q->stage = "listening sockets";
	lq = listen_unix(q, "qtest.sock");
	lm = listen_unix(q, "qmp.sock");
	ret = lq < 0 ? lq : lm < 0 ? lm : qemu_connect(q, args, lq, lm, t0 + q->start_ms);
	q->start_ms = now_ms() - t0;
	if (lq >= 0)
		close(lq);
	if (lm >= 0)
		close(lm);
	return ret ? qtest_fail(q, ret) : 0;
}

/**
 * qtest_start_mdev - start QEMU with one mediated device as its vfio-pci device
 * @q: the instance to fill in
 * @uuid: the mdev, under /sys/bus/mdev/devices
 * @id: the QEMU device id (as query-pci reports it), or NULL
 *
 * Return: as qtest_start().
 */
int qtest_start_mdev(struct qtest *q, const char *uuid, const char *id)
{
	char dev[PATH_MAX];
	const char *args[3] = { "-device", dev, NULL };

	snprintf(dev, sizeof(dev), "vfio-pci,sysfsdev=/sys/bus/mdev/devices/%s%s%s",
		 uuid, id ? ",id=" : "", id ?: "");
	return qtest_start(q, args);
}

static void qemu_stop(struct qtest *q)
{
	long long deadline = now_ms() + QTEST_QUIT_MS;

	if (q->qmp.fd >= 0 && q->pid > 0)
		chan_sendline(&q->qmp, QTEST_QUIT_MS, "{\"execute\": \"quit\"}");
	while (!qemu_reaped(q) && time_left(deadline))
		usleep(QTEST_POLL_MS * 1000);
	if (q->pid > 0) {
		kill(q->pid, SIGKILL);
		waitpid(q->pid, &q->status, 0);
		q->pid = 0;
	}
}

static void remove_dir(struct qtest *q)
{
	static const char *const files[] = {
		"qtest.sock", "qmp.sock", "stderr.log", "screen.ppm",
	};
	char path[PATH_MAX];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(files); i++) {
		qtest_path(q, files[i], path, sizeof(path));
		unlink(path);
	}
	rmdir(q->dir);
	q->dir[0] = 0;
}

/**
 * qtest_quit - end QEMU (QMP quit, SIGKILL if it lingers) and free the instance
 * @q: an instance qtest_start() was called on; a second call does nothing
 *
 * Context: QEMU has closed the devices it opened by the time this returns.
 */
void qtest_quit(struct qtest *q)
{
	if (!q->dir[0])
		return;
	qemu_stop(q);
	chan_free(&q->qtest);
	chan_free(&q->qmp);
	remove_dir(q);
	free(q->err);
	free(q->events);
	free(q->qmp_error);
	q->err = NULL;
	q->events = NULL;
	q->qmp_error = NULL;
}

/**
 * qtest_stderr - what QEMU has written to its stderr (and stdout) so far
 * @q: the instance
 *
 * Return: the text, valid until the next call or qtest_quit(); "" if none.
 */
const char *qtest_stderr(struct qtest *q)
{
	char path[PATH_MAX];
	struct stat st;
	ssize_t n = -1;
	int fd;

	free(q->err);
	q->err = NULL;
	qtest_path(q, "stderr.log", path, sizeof(path));
	fd = q->dir[0] ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	if (fd >= 0 && !fstat(fd, &st)) {
		q->err = malloc(st.st_size + 1);
		if (q->err)
			n = read(fd, q->err, st.st_size);
	}
	if (fd >= 0)
		close(fd);
	if (!q->err)
		return "";
	q->err[n > 0 ? n : 0] = 0;
	return q->err;
}

bool qtest_stderr_has(struct qtest *q, const char *needle)
{
	return strstr(qtest_stderr(q), needle);
}

/* ---------------------------------------------------------------- qtest protocol */

/* "IRQ raise N" / "IRQ lower N" arrive whenever an intercepted line changes. */
static bool qtest_irq_line(struct qtest *q, const char *line)
{
	unsigned int n;
	char what[8];

	if (sscanf(line, "IRQ %7s %u", what, &n) != 2)
		return false;
	if (n >= 64)
		return true;
	if (!strcmp(what, "raise")) {
		q->irq_level |= 1ULL << n;
		q->irq_seen |= 1ULL << n;
	} else {
		q->irq_level &= ~(1ULL << n);
	}
	return true;
}

static int qtest_vcmd(struct qtest *q, char **reply, const char *fmt, va_list ap)
{
	char *cmd, *line;
	int ret;

	if (vasprintf(&cmd, fmt, ap) < 0)
		return qtest_fail(q, -ENOMEM);
	ret = chan_sendline(&q->qtest, q->timeout_ms, cmd);
	free(cmd);
	do {
		if (!ret)
			ret = chan_readline(&q->qtest, q->timeout_ms, &line);
	} while (!ret && qtest_irq_line(q, line));
	if (ret)
		return qtest_fail(q, ret);
	if (strncmp(line, "OK", 2) || (line[2] && line[2] != ' '))
		return qtest_fail(q, -EIO);
	if (reply)
		*reply = line[2] ? line + 3 : line + 2;
	return 0;
}

/**
 * qtest_cmd - send one qtest command and wait for its reply
 * @q: the instance
 * @reply: set to the text after "OK " (valid until the next command), or NULL
 * @fmt: the command, printf-style, without the newline
 *
 * Return: 0 on "OK", -EIO on "FAIL"/"ERR", -ETIMEDOUT or -EPIPE if QEMU did not answer.
 */
int qtest_cmd(struct qtest *q, char **reply, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = qtest_vcmd(q, reply, fmt, ap);
	va_end(ap);
	return ret;
}

/* A command whose reply is "OK <number>"; all ones if it failed. */
static uint64_t qtest_value(struct qtest *q, const char *fmt, ...)
{
	char *reply;
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = qtest_vcmd(q, &reply, fmt, ap);
	va_end(ap);
	return ret ? ~0ULL : strtoull(reply, NULL, 0);
}

void qtest_outl(struct qtest *q, uint16_t port, uint32_t val)
{
	qtest_cmd(q, NULL, "outl 0x%x 0x%x", port, val);
}

void qtest_outw(struct qtest *q, uint16_t port, uint16_t val)
{
	qtest_cmd(q, NULL, "outw 0x%x 0x%x", port, val);
}

void qtest_outb(struct qtest *q, uint16_t port, uint8_t val)
{
	qtest_cmd(q, NULL, "outb 0x%x 0x%x", port, val);
}

uint32_t qtest_inl(struct qtest *q, uint16_t port)
{
	return qtest_value(q, "inl 0x%x", port);
}

uint16_t qtest_inw(struct qtest *q, uint16_t port)
{
	return qtest_value(q, "inw 0x%x", port);
}

uint8_t qtest_inb(struct qtest *q, uint16_t port)
{
	return qtest_value(q, "inb 0x%x", port);
}

uint8_t qtest_readb(struct qtest *q, uint64_t addr)
{
	return qtest_value(q, "readb 0x%llx", (unsigned long long)addr);
}

uint16_t qtest_readw(struct qtest *q, uint64_t addr)
{
	return qtest_value(q, "readw 0x%llx", (unsigned long long)addr);
}

uint32_t qtest_readl(struct qtest *q, uint64_t addr)
{
	return qtest_value(q, "readl 0x%llx", (unsigned long long)addr);
}

uint64_t qtest_readq(struct qtest *q, uint64_t addr)
{
	return qtest_value(q, "readq 0x%llx", (unsigned long long)addr);
}

void qtest_writeb(struct qtest *q, uint64_t addr, uint8_t val)
{
	qtest_cmd(q, NULL, "writeb 0x%llx 0x%x", (unsigned long long)addr, val);
}

void qtest_writew(struct qtest *q, uint64_t addr, uint16_t val)
{
	qtest_cmd(q, NULL, "writew 0x%llx 0x%x", (unsigned long long)addr, val);
}

void qtest_writel(struct qtest *q, uint64_t addr, uint32_t val)
{
	qtest_cmd(q, NULL, "writel 0x%llx 0x%x", (unsigned long long)addr, val);
}

void qtest_writeq(struct qtest *q, uint64_t addr, uint64_t val)
{
	qtest_cmd(q, NULL, "writeq 0x%llx 0x%llx", (unsigned long long)addr,
		  (unsigned long long)val);
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/**
 * qtest_memread - read guest-physical memory with the bulk "read" command
 * @q: the instance
 * @addr: guest-physical address
 * @buf: where the bytes go
 * @len: how many
 *
 * Return: 0, -EPROTO on a malformed reply, or as qtest_cmd().
 */
int qtest_memread(struct qtest *q, uint64_t addr, void *buf, size_t len)
{
	uint8_t *out = buf;
	char *reply;
	size_t i;
	int ret = qtest_cmd(q, &reply, "read 0x%llx 0x%zx", (unsigned long long)addr, len);

	if (ret)
		return ret;
	if (strncmp(reply, "0x", 2) || strlen(reply) != 2 + 2 * len)
		return qtest_fail(q, -EPROTO);
	for (i = 0; i < len; i++) {
		int hi = hex_digit(reply[2 + 2 * i]), lo = hex_digit(reply[3 + 2 * i]);

		if (hi < 0 || lo < 0)
			return qtest_fail(q, -EPROTO);
		out[i] = hi << 4 | lo;
	}
	return 0;
}

static int qtest_memwrite_one(struct qtest *q, uint64_t addr, const uint8_t *in,
			      size_t len)
{
	static const char digits[] = "0123456789abcdef";
	char *hex = malloc(2 * len + 1);
	size_t i;
	int ret;

	if (!hex)
		return qtest_fail(q, -ENOMEM);
	for (i = 0; i < len; i++) {
		hex[2 * i] = digits[in[i] >> 4];
		hex[2 * i + 1] = digits[in[i] & 0xf];
	}
	hex[2 * len] = 0;
	ret = qtest_cmd(q, NULL, "write 0x%llx 0x%zx 0x%s", (unsigned long long)addr, len, hex);
	free(hex);
	return ret;
}

/**
 * qtest_memwrite - write guest-physical memory with the bulk "write" command
 * @q: the instance
 * @addr: guest-physical address
 * @buf: the bytes
 * @len: how many
 *
 * QEMU looks for the end of a command line anew each time a piece of it arrives, so
 * a long line costs it quadratic time: this sends at most QTEST_WRITE_MAX bytes a line.
 *
 * Return: 0 or as qtest_cmd().
 */
int qtest_memwrite(struct qtest *q, uint64_t addr, const void *buf, size_t len)
{
	const uint8_t *in = buf;
	size_t done, n;
	int ret = 0;

	for (done = 0; done < len && !ret; done += n) {
		n = len - done < QTEST_WRITE_MAX ? len - done : QTEST_WRITE_MAX;
		ret = qtest_memwrite_one(q, addr + done, in + done, n);
	}
	return ret;
}

/**
 * qtest_memset - fill guest-physical memory with one byte value ("memset" command)
 * @q: the instance
 * @addr: guest-physical address
 * @val: the byte
 * @len: how many bytes
 *
 * Return: 0 or as qtest_cmd().
 */
int qtest_memset(struct qtest *q, uint64_t addr, uint8_t val, size_t len)
{
	return qtest_cmd(q, NULL, "memset 0x%llx 0x%zx 0x%x", (unsigned long long)addr, len,
			 val);
}

/**
 * qtest_irq_intercept_in - report a device's input IRQ lines as "IRQ raise/lower N"
 * @q: the instance
 * @qom_path: the device whose GPIO inputs to intercept (e.g. "ioapic")
 *
 * Return: as qtest_cmd(). qtest_irq_raised() then tells each line's level.
 */
int qtest_irq_intercept_in(struct qtest *q, const char *qom_path)
{
	return qtest_cmd(q, NULL, "irq_intercept_in %s", qom_path);
}

bool qtest_irq_raised(struct qtest *q, unsigned int line)
{
	return line < 64 && (q->irq_level >> line & 1);
}

/**
 * qtest_irq_seen - the intercepted lines raised at least once, however briefly
 * @q: the instance
 * @clear: forget them afterwards
 *
 * A level-triggered line that QEMU lowers again on the next access (vfio-pci's INTx
 * end of interrupt) may be low by the time a test looks: this remembers it.
 * Lines are reported only as replies to later commands are read.
 *
 * Return: one bit per line number below 64.
 */
uint64_t qtest_irq_seen(struct qtest *q, bool clear)
{
	uint64_t seen = q->irq_seen;

	if (clear)
		q->irq_seen = 0;
	return seen;
}

/* ---------------------------------------------------------------- QMP */

static void qmp_log_event(struct qtest *q, const char *line)
{
	size_t old = q->events ? strlen(q->events) : 0;
	char *events = realloc(q->events, old + strlen(line) + 2);

	if (!events)
		return;
	sprintf(events + old, "%s\n", line);
	q->events = events;
}

static bool qmp_is_reply(const char *line)
{
	return !strncmp(line, "{\"return\"", 9) || !strncmp(line, "{\"error\"", 8);
}

/* Keep an {"error": ...} reply for the caller's message; true if @reply is one. */
static bool qmp_keep_error(struct qtest *q, const char *reply)
{
	if (strncmp(reply, "{\"error\"", 8))
		return false;
	free(q->qmp_error);
	q->qmp_error = strdup(reply);
	return true;
}

/**
 * qtest_qmp - send one QMP command and wait for its reply
 * @q: the instance
 * @fmt: the command's JSON, printf-style, e.g. {"execute": "query-pci"}
 *
 * Events that arrive meanwhile are kept for qtest_qmp_wait_event().
 *
 * Return: the reply line ({"return": ...} or {"error": ...}), to be freed by the
 * caller, or NULL if QEMU did not answer (q->error says why).
 */
char *qtest_qmp(struct qtest *q, const char *fmt, ...)
{
	char *cmd, *line;
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vasprintf(&cmd, fmt, ap);
	va_end(ap);
	if (ret < 0) {
		qtest_fail(q, -ENOMEM);
		return NULL;
	}
	ret = chan_sendline(&q->qmp, q->timeout_ms, cmd);
	free(cmd);
	while (!ret && !(ret = chan_readline(&q->qmp, q->timeout_ms, &line))) {
		if (qmp_is_reply(line))
			return strdup(line);
		if (strstr(line, "\"event\""))
			qmp_log_event(q, line);
	}
	qtest_fail(q, ret);
	return NULL;
}

/**
 * qtest_qmp_ok - run a QMP command that takes no arguments
 * @q: the instance
 * @cmd: its name, e.g. "system_reset"
 *
 * Return: 0 on {"return": ...}, -EIO on {"error": ...}, or why QEMU did not answer.
 */
int qtest_qmp_ok(struct qtest *q, const char *cmd)
{
	char *reply = qtest_qmp(q, "{\"execute\": \"%s\"}", cmd);
	int ret = reply ? 0 : q->error;

	if (reply && strncmp(reply, "{\"return\"", 9)) {
		qmp_keep_error(q, reply);
		ret = qtest_fail(q, -EIO);
	}
	free(reply);
	return ret;
}

/**
 * qtest_alive - is QEMU still running and answering QMP?
 * @q: the instance
 *
 * Return: true if QEMU has not exited and answered query-status in time.
 */
bool qtest_alive(struct qtest *q)
{
	return !qemu_reaped(q) && !qtest_qmp_ok(q, "query-status");
}

/* Remove the first logged event named by @pat; true if there was one. */
static bool qmp_take_event(struct qtest *q, const char *pat)
{
	char *hit = q->events ? strstr(q->events, pat) : NULL;
	char *start, *end;

	if (!hit)
		return false;
	for (start = hit; start > q->events && start[-1] != '\n'; start--)
		;
	end = strchr(hit, '\n');
	end = end ? end + 1 : hit + strlen(hit);
	memmove(start, end, strlen(end) + 1);
	return true;
}

/**
 * qtest_qmp_wait_event - wait for a QMP event (one already received counts)
 * @q: the instance
 * @event: its name, e.g. "RESET"
 *
 * Return: 0 once it came, or why it did not (-ETIMEDOUT, -EPIPE).
 */
int qtest_qmp_wait_event(struct qtest *q, const char *event)
{
	char pat[128], *line;
	int ret = 0;

	snprintf(pat, sizeof(pat), "\"event\": \"%s\"", event);
	while (!qmp_take_event(q, pat)) {
		ret = chan_readline(&q->qmp, q->timeout_ms, &line);
		if (ret)
			return qtest_fail(q, ret);
		if (strstr(line, "\"event\""))
			qmp_log_event(q, line);
	}
	return 0;
}

/* ---------------------------------------------------------------- PCI (bus 0 via 0xcf8) */

static void pci_select(struct qtest *q, unsigned int bdf, unsigned int off)
{
	qtest_outl(q, PCI_CONF_ADDR, 0x80000000u | bdf << 8 | (off & 0xfc));
}

uint32_t qtest_pci_read32(struct qtest *q, unsigned int bdf, unsigned int off)
{
	pci_select(q, bdf, off);
	return qtest_inl(q, PCI_CONF_DATA);
}

uint16_t qtest_pci_read16(struct qtest *q, unsigned int bdf, unsigned int off)
{
	pci_select(q, bdf, off);
	return qtest_inw(q, PCI_CONF_DATA + (off & 2));
}

uint8_t qtest_pci_read8(struct qtest *q, unsigned int bdf, unsigned int off)
{
	pci_select(q, bdf, off);
	return qtest_inb(q, PCI_CONF_DATA + (off & 3));
}

void qtest_pci_write32(struct qtest *q, unsigned int bdf, unsigned int off, uint32_t val)
{
	pci_select(q, bdf, off);
	qtest_outl(q, PCI_CONF_DATA, val);
}

void qtest_pci_write16(struct qtest *q, unsigned int bdf, unsigned int off, uint16_t val)
{
	pci_select(q, bdf, off);
	qtest_outw(q, PCI_CONF_DATA + (off & 2), val);
}

static bool pci_matches(struct qtest *q, unsigned int bdf, const struct qtest_pci_id *id)
{
	uint32_t ids = qtest_pci_read32(q, bdf, PCI_VENDOR_ID);
	uint32_t sub;

	if (ids != ((uint32_t)id->device << 16 | id->vendor))
		return false;
	if (id->subvendor == QTEST_PCI_ANY && id->subdevice == QTEST_PCI_ANY)
		return true;
	sub = qtest_pci_read32(q, bdf, PCI_SUBSYSTEM_VENDOR_ID);
	return (id->subvendor == QTEST_PCI_ANY || id->subvendor == (sub & 0xffff)) &&
	       (id->subdevice == QTEST_PCI_ANY || id->subdevice == sub >> 16);
}

/**
 * qtest_pci_find - find a PCI function on bus 0 by its IDs
 * @q: the instance
 * @id: vendor, device and (or QTEST_PCI_ANY) subsystem IDs
 * @from: the first devfn to look at (0, or one past the last match)
 *
 * Return: the function's bdf (devfn on bus 0), -ENODEV, or q->error.
 */
int qtest_pci_find(struct qtest *q, const struct qtest_pci_id *id, unsigned int from)
{
	unsigned int devfn;

	for (devfn = from; devfn < 256 && !q->error; devfn++)
		if (pci_matches(q, devfn, id))
			return devfn;
	return q->error ?: -ENODEV;
}

/* Write all ones to a BAR and read back what sticks, restoring it after. */
static uint32_t bar_probe_dword(struct qtest *q, unsigned int bdf, unsigned int off)
{
	uint32_t old = qtest_pci_read32(q, bdf, off), probe;

	qtest_pci_write32(q, bdf, off, ~0u);
	probe = qtest_pci_read32(q, bdf, off);
	qtest_pci_write32(q, bdf, off, old);
	return probe;
}

/**
 * qtest_pci_bar_probe - size a BAR the way firmware does (decode off meanwhile)
 * @q: the instance
 * @bdf: the function
 * @bar: 0..5
 * @size: its size, 0 if it is not implemented
 * @flags: its low type bits (PCI_BASE_ADDRESS_SPACE_IO, MEM_TYPE_64, MEM_PREFETCH)
 *
 * Return: 0 or q->error.
 */
int qtest_pci_bar_probe(struct qtest *q, unsigned int bdf, unsigned int bar,
			uint64_t *size, uint32_t *flags)
{
	unsigned int off = PCI_BASE_ADDRESS_0 + 4 * bar;
	uint16_t cmd = qtest_pci_read16(q, bdf, PCI_COMMAND);
	uint32_t lo;
	uint64_t mask;

	qtest_pci_write16(q, bdf, PCI_COMMAND,
			  cmd & ~(PCI_COMMAND_IO | PCI_COMMAND_MEMORY));
	lo = bar_probe_dword(q, bdf, off);
	if (lo & PCI_BASE_ADDRESS_SPACE_IO) {
		*flags = lo & ~PCI_BASE_ADDRESS_IO_MASK;
		mask = 0xffff0000u | (lo & PCI_BASE_ADDRESS_IO_MASK);
	} else {
		*flags = lo & ~PCI_BASE_ADDRESS_MEM_MASK;
		mask = 0xffffffff00000000ULL | (lo & PCI_BASE_ADDRESS_MEM_MASK);
		if (bar < 5 && (lo & PCI_BASE_ADDRESS_MEM_TYPE_MASK) ==
		    PCI_BASE_ADDRESS_MEM_TYPE_64)
			mask = (uint64_t)bar_probe_dword(q, bdf, off + 4) << 32 |
			       (lo & PCI_BASE_ADDRESS_MEM_MASK);
	}
	qtest_pci_write16(q, bdf, PCI_COMMAND, cmd);
	*size = (lo & ~*flags) ? ~mask + 1 : 0;
	return q->error;
}

/**
 * qtest_pci_bar_map - place a memory BAR in the PCI hole, naturally aligned
 * @q: the instance (it hands out addresses from QTEST_MMIO_BASE up)
 * @bdf: the function
 * @bar: 0..5
 * @addr: the guest-physical address given to it
 *
 * Memory decode stays as it was: see qtest_pci_enable_mem().
 *
 * Return: 0; -ENODEV for an unimplemented BAR, -EOPNOTSUPP for an I/O BAR, -ENOSPC
 * when the hole is full, or q->error.
 */
int qtest_pci_bar_map(struct qtest *q, unsigned int bdf, unsigned int bar, uint64_t *addr)
{
	unsigned int off = PCI_BASE_ADDRESS_0 + 4 * bar;
	uint64_t size, base;
	uint32_t flags;
	int ret = qtest_pci_bar_probe(q, bdf, bar, &size, &flags);

	if (ret)
		return ret;
	if (!size)
		return -ENODEV;
	if (flags & PCI_BASE_ADDRESS_SPACE_IO)
		return -EOPNOTSUPP;
	base = (q->mmio_next + size - 1) & ~(size - 1);
	if (base + size > QTEST_MMIO_END || base + size < base)
		return -ENOSPC;
	qtest_pci_write32(q, bdf, off, (uint32_t)base);
	if ((flags & PCI_BASE_ADDRESS_MEM_TYPE_MASK) == PCI_BASE_ADDRESS_MEM_TYPE_64)
		qtest_pci_write32(q, bdf, off + 4, 0);
	q->mmio_next = base + size;
	*addr = base;
	return q->error;
}

/**
 * qtest_pci_devfn - where QEMU put a PCI device that was given an id
 * @q: the instance
 * @id: the device's id (-device ...,id=@id)
 *
 * Return: its devfn on bus 0 (QOM property "addr"), -ENOENT if QEMU knows no such
 * device, or why QEMU did not answer.
 */
int qtest_pci_devfn(struct qtest *q, const char *id)
{
	int devfn = -ENOENT;
	char args[PATH_MAX], *reply;

	snprintf(args, sizeof(args),
		 "{\"path\": \"/machine/peripheral/%s\", \"property\": \"addr\"}", id);
	reply = qtest_qmp(q, "{\"execute\": \"qom-get\", \"arguments\": %s}", args);
	if (!reply)
		return q->error;
	if (!strncmp(reply, "{\"return\": ", 11))
		devfn = atoi(reply + 11);
	free(reply);
	return devfn >= 0 && devfn < 256 ? devfn : -ENOENT;
}

/**
 * qtest_pci_enable_mem - turn on a function's memory decode
 * @q: the instance
 * @bdf: the function
 */
void qtest_pci_enable_mem(struct qtest *q, unsigned int bdf)
{
	uint16_t cmd = qtest_pci_read16(q, bdf, PCI_COMMAND);

	qtest_pci_write16(q, bdf, PCI_COMMAND, cmd | PCI_COMMAND_MEMORY);
}

/* ---------------------------------------------------------------- screendump */

/* The next number in a PPM header (whitespace and # comments skipped), or -1. */
static long ppm_number(const uint8_t *buf, size_t len, size_t *pos)
{
	long n = -1;

	while (*pos < len && (buf[*pos] == '#' || strchr(" \t\r\n", buf[*pos]))) {
		if (buf[*pos] == '#')
			while (*pos < len && buf[*pos] != '\n')
				(*pos)++;
		else
			(*pos)++;
	}
	while (*pos < len && buf[*pos] >= '0' && buf[*pos] <= '9' && n < 1 << 20)
		n = (n < 0 ? 0 : n * 10) + buf[(*pos)++] - '0';
	return n;
}

/* Parse a binary PPM (P6, maxval 255) that fills @buf exactly. */
static int ppm_parse(const uint8_t *buf, size_t len, struct qtest_image *img)
{
	size_t pos = 2;
	long w, h, max;

	if (len < 2 || buf[0] != 'P' || buf[1] != '6')
		return -EPROTO;
	w = ppm_number(buf, len, &pos);
	h = ppm_number(buf, len, &pos);
	max = ppm_number(buf, len, &pos);
	if (w <= 0 || h <= 0 || max != 255 || pos >= len)
		return -EPROTO;
	pos++;	/* the single whitespace byte before the raster */
	if (len - pos != (size_t)w * h * 3)
		return -EPROTO;
	img->rgb = malloc(len - pos);
	if (!img->rgb)
		return -ENOMEM;
	memcpy(img->rgb, buf + pos, len - pos);
	img->width = w;
	img->height = h;
	return 0;
}

/**
 * qtest_ppm_load - read a binary PPM file (as QMP screendump writes it)
 * @path: the file
 * @img: filled in; free it with qtest_image_free()
 *
 * Return: 0, -EPROTO if it is no P6 file of 8-bit samples whose raster fills the rest
 * of the file exactly, or another -errno.
 */
int qtest_ppm_load(const char *path, struct qtest_image *img)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	uint8_t *buf = NULL;
	ssize_t n = -1;
	int ret;

	memset(img, 0, sizeof(*img));
	if (fd < 0)
		return -errno;
	if (!fstat(fd, &st))
		buf = malloc(st.st_size ?: 1);
	if (buf)
		n = read(fd, buf, st.st_size);
	ret = !buf ? -ENOMEM : n < 0 ? -errno : n != st.st_size ? -EIO :
	      ppm_parse(buf, n, img);
	free(buf);
	close(fd);
	return ret;
}

void qtest_image_free(struct qtest_image *img)
{
	free(img->rgb);
	memset(img, 0, sizeof(*img));
}

/**
 * qtest_screendump - render a graphic console with QMP screendump and read it back
 * @q: the instance
 * @device: the id of the display device whose console to dump, or NULL for console 0
 * @img: filled in; free it with qtest_image_free()
 *
 * QEMU asks the display for a fresh frame (a vfio-pci display queries its plane)
 * before it writes the file, so the image is what the device shows at the call.
 *
 * Return: 0; -EIO if QEMU refused (q->qmp_error says why), -EPROTO for a malformed
 * file, or why QEMU did not answer.
 */
int qtest_screendump(struct qtest *q, const char *device, struct qtest_image *img)
{
	char path[PATH_MAX], args[PATH_MAX + 128];
	char *reply;
	int ret;

	memset(img, 0, sizeof(*img));
	qtest_path(q, "screen.ppm", path, sizeof(path));
	unlink(path);	/* a failed dump must not leave the last one to be read */
	ret = snprintf(args, sizeof(args), "{\"format\": \"ppm\", \"filename\": \"%s\"", path);
	if (device)
		snprintf(args + ret, sizeof(args) - ret, ", \"device\": \"%s\"", device);
	reply = qtest_qmp(q, "{\"execute\": \"screendump\", \"arguments\": %s}}", args);
	if (!reply)
		return q->error;
	ret = qmp_keep_error(q, reply) ? -EIO : 0;
	free(reply);
	return ret ?: qtest_ppm_load(path, img);
}
