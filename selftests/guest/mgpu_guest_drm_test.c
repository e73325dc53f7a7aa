// SPDX-License-Identifier: GPL-2.0-only
/*
 * Guest tier, with the guest's stock bochs-drm loaded: the driver binds the vGPU, its
 * connector prefers the expected mode, fbdev emulation sets that mode, and a frame
 * drawn into /dev/fb0 is what the host captures of the vGPU's display.
 *
 *   MGPU_SYSFS        sysfs root (default /sys)
 *   MGPU_GUEST_MODE   "WxH", the mode the connector must prefer: from the EDID when
 *                     QEMU wrote one, else bochs-drm's default; without it the mode
 *                     is not checked
 *   MGPU_FRAME_ACK    a tty the host acknowledges its capture on; without it the frame
 *                     test does not wait for the host
 *
 * The frame test prints "@@mgpu-guest frame WxH seed S" when the frame is in VRAM,
 * then holds it until the host writes a line to MGPU_FRAME_ACK. Pixel (x, y) is
 * frame_pixel(x, y, S), which run-nested.sh's checker (mgpu_frame.py) recomputes.
 *
 * The frame is drawn through fbdev rather than a KMS dumb buffer: the DRM UAPI headers
 * are not part of the build's include path, and fbdev is also what the guest's
 * console uses. fbcon is kept off the frame by putting the VT in KD_GRAPHICS mode,
 * which also stops its cursor blink; fsync() flushes fbdev's deferred I/O to VRAM.
 */
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <linux/fb.h>
#include <linux/kd.h>

#include "kselftest_harness.h"
#include "mgpu_guest.h"

#define DRIVER		"bochs-drm"
#define FB_DEV		"/dev/fb0"
#define FRAME_MARK	"@@mgpu-guest frame"
#define ACK_TIMEOUT_S	180
#define NAME_LEN	64

/* Pixel (x, y) of the frame: x and y in its bits, so a misplaced pixel tells its origin. */
static uint32_t frame_pixel(unsigned int x, unsigned int y, uint32_t seed)
{
	uint32_t r = x & 0xff, g = y & 0xff;
	uint32_t b = ((x >> 8) & 0xf) | ((y >> 8) & 0xf) << 4;

	return ((r << 16 | g << 8 | b) ^ seed) & 0xffffff;
}

/* snprintf() that fails with -ENAMETOOLONG rather than truncate. */
static int fmt(char *buf, size_t len, const char *f, ...)
{
	va_list ap;
	int n;

	va_start(ap, f);
	n = vsnprintf(buf, len, f, ap);
	va_end(ap);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* The first line of @path into @buf without its newline; -errno on failure. */
static int read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	int ret = 0;

	if (!f)
		return -errno;
	if (!fgets(buf, len, f))
		ret = -ENODATA;
	else
		buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
	return ret;
}

/* The last path component of the link @path into @name; -errno on failure. */
static int link_name(const char *path, char *name, size_t len)
{
	char target[PATH_MAX];
	ssize_t n = readlink(path, target, sizeof(target) - 1);

	if (n < 0)
		return -errno;
	target[n] = '\0';
	return fmt(name, len, "%s", strrchr(target, '/') ? strrchr(target, '/') + 1 : target);
}

/* The first entry of @dir whose name starts with @prefix into @name; -ENOENT if none. */
static int find_entry(const char *dir, const char *prefix, char *name, size_t len)
{
	struct dirent *de;
	int ret = -ENOENT;
	DIR *d = opendir(dir);

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (!strncmp(de->d_name, prefix, strlen(prefix))) {
			ret = fmt(name, len, "%s", de->d_name);
			break;
		}
	}
	closedir(d);
	return ret;
}

static bool env_mode(unsigned int *w, unsigned int *h)
{
	const char *mode = getenv("MGPU_GUEST_MODE");

	return mode && sscanf(mode, "%ux%u", w, h) == 2;
}

FIXTURE(vgpu) {
	char bdf[BDF_LEN];
	char dev[PATH_MAX];	/* its sysfs directory */
	char card[NAME_LEN];	/* its DRM card, "cardN" */
	char conn[PATH_MAX];	/* its connector's sysfs directory */
};

FIXTURE_SETUP(vgpu)
{
	char dir[PATH_MAX], prefix[NAME_LEN + 1], name[NAME_LEN];
	int ret;

	ret = find_vgpu(self->bdf, sizeof(self->bdf));
	ASSERT_EQ(0, ret) TH_LOG("no vGPU under %s/bus/pci: %s", sysfs_root(), strerror(-ret));
	ASSERT_EQ(0, fmt(self->dev, sizeof(self->dev), "%s/bus/pci/devices/%s", sysfs_root(),
			 self->bdf));
	/* A missing card or connector is left empty: the tests say what is missing. */
	ASSERT_EQ(0, fmt(dir, sizeof(dir), "%s/drm", self->dev));
	if (find_entry(dir, "card", self->card, sizeof(self->card)))
		return;
	ASSERT_EQ(0, fmt(prefix, sizeof(prefix), "%s-", self->card));
	ASSERT_EQ(0, fmt(dir, sizeof(dir), "%s/drm/%s", self->dev, self->card));
	if (!find_entry(dir, prefix, name, sizeof(name)))
		ASSERT_EQ(0, fmt(self->conn, sizeof(self->conn), "%s/%s", dir, name));
}

FIXTURE_TEARDOWN(vgpu)
{
}

/* The guest's stock driver, not a test's mapping, owns the vGPU. */
TEST_F(vgpu, bound_to_bochs_drm)
{
	char path[PATH_MAX], drv[NAME_LEN];

	ASSERT_EQ(0, fmt(path, sizeof(path), "%s/driver", self->dev));
	ASSERT_EQ(0, link_name(path, drv, sizeof(drv)))
		TH_LOG("%s has no driver: was %s loaded?", self->bdf, DRIVER);
	EXPECT_STREQ(DRIVER, drv);
}

/* bochs-drm registered a DRM card for the vGPU, with its device node and a connector. */
TEST_F(vgpu, drm_card)
{
	char path[PATH_MAX];
	struct stat st;

	ASSERT_NE(0, self->card[0]) TH_LOG("no DRM card under %s/drm", self->dev);
	TH_LOG("%s is %s, connector %s", self->bdf, self->card,
	       strrchr(self->conn, '/') ? strrchr(self->conn, '/') + 1 : "(none)");
	ASSERT_EQ(0, fmt(path, sizeof(path), "/dev/dri/%s", self->card));
	ASSERT_EQ(0, stat(path, &st)) TH_LOG("%s: %s", path, strerror(errno));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_NE(0, self->conn[0]);
}

/* DRM's fbdev emulation gave the vGPU /dev/fb0. */
TEST_F(vgpu, fbdev)
{
	char path[PATH_MAX], name[BDF_LEN];
	struct stat st;

	ASSERT_EQ(0, stat(FB_DEV, &st)) TH_LOG("%s: %s", FB_DEV, strerror(errno));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	ASSERT_EQ(0, fmt(path, sizeof(path), "%s/class/graphics/fb0/device", sysfs_root()));
	ASSERT_EQ(0, link_name(path, name, sizeof(name)));
	EXPECT_STREQ(self->bdf, name);
}

/* The connector is connected and prefers the expected mode. */
TEST_F(vgpu, preferred_mode)
{
	char path[PATH_MAX], line[NAME_LEN], want[NAME_LEN];
	unsigned int w, h;

	if (!env_mode(&w, &h))
		SKIP(return, "no MGPU_GUEST_MODE (run-nested.sh sets it)");
	ASSERT_NE(0, self->conn[0]) TH_LOG("no connector for %s", self->bdf);
	ASSERT_EQ(0, fmt(path, sizeof(path), "%s/status", self->conn));
	ASSERT_EQ(0, read_line(path, line, sizeof(line)));
	EXPECT_STREQ("connected", line);
	/* The kernel sorts the preferred mode first. */
	ASSERT_EQ(0, fmt(path, sizeof(path), "%s/modes", self->conn));
	ASSERT_EQ(0, read_line(path, line, sizeof(line))) TH_LOG("%s is empty", path);
	ASSERT_EQ(0, fmt(want, sizeof(want), "%ux%u", w, h));
	EXPECT_STREQ(want, line);
}

FIXTURE(frame) {
	int fb, tty, ack;
	bool graphics;
	struct fb_fix_screeninfo fix;
	struct fb_var_screeninfo var;
	uint8_t *mem;
	size_t len;
};

FIXTURE_SETUP(frame)
{
	self->tty = -1;
	self->ack = -1;
	self->mem = MAP_FAILED;
	self->fb = open(FB_DEV, O_RDWR);
	ASSERT_LE(0, self->fb) TH_LOG("%s: %s", FB_DEV, strerror(errno));
	ASSERT_EQ(0, ioctl(self->fb, FBIOGET_FSCREENINFO, &self->fix));
	ASSERT_EQ(0, ioctl(self->fb, FBIOGET_VSCREENINFO, &self->var));
	self->len = self->fix.smem_len;
	self->mem = mmap(NULL, self->len, PROT_READ | PROT_WRITE, MAP_SHARED, self->fb, 0);
	ASSERT_NE(MAP_FAILED, self->mem) TH_LOG("mmap %s: %s", FB_DEV, strerror(errno));
	/* Keep fbcon, text and cursor, off the frame. */
	self->tty = open("/dev/tty0", O_RDWR | O_NOCTTY);
	ASSERT_LE(0, self->tty) TH_LOG("/dev/tty0: %s", strerror(errno));
	ASSERT_EQ(0, ioctl(self->tty, KDSETMODE, KD_GRAPHICS)) TH_LOG("KDSETMODE: %s",
								      strerror(errno));
	self->graphics = true;
}

FIXTURE_TEARDOWN(frame)
{
	if (self->ack >= 0)
		close(self->ack);
	if (self->graphics)
		ioctl(self->tty, KDSETMODE, KD_TEXT);
	if (self->tty >= 0)
		close(self->tty);
	if (self->mem != MAP_FAILED)
		munmap(self->mem, self->len);
	if (self->fb >= 0)
		close(self->fb);
}

/* Draw the frame into the visible part of a 32 bpp framebuffer. */
static void draw(uint8_t *mem, const struct fb_var_screeninfo *var, uint32_t line,
		 uint32_t seed)
{
	unsigned int x, y;
	uint32_t *row;

	for (y = 0; y < var->yres; y++) {
		row = (uint32_t *)(mem + (size_t)(var->yoffset + y) * line) + var->xoffset;
		for (x = 0; x < var->xres; x++)
			row[x] = frame_pixel(x, y, seed);
	}
}

/* Open the host's acknowledgment tty raw, with nothing stale in it. */
static int ack_open(const char *path)
{
	struct termios t;
	int fd = open(path, O_RDWR | O_NOCTTY);

	if (fd < 0)
		return -errno;
	if (tcgetattr(fd, &t) == 0) {
		cfmakeraw(&t);
		tcsetattr(fd, TCSANOW, &t);
	}
	tcflush(fd, TCIFLUSH);
	return fd;
}

/* Wait up to @secs for one line on @fd into @buf; -ETIMEDOUT if none came. */
static int ack_wait(int fd, char *buf, size_t len, int secs)
{
	time_t end = time(NULL) + secs;
	size_t n = 0;
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t got;

	while (n < len - 1 && time(NULL) < end) {
		if (poll(&p, 1, 1000) <= 0)
			continue;
		got = read(fd, buf + n, 1);
		if (got <= 0)
			return got ? -errno : -EIO;
		if (buf[n] == '\n' || buf[n] == '\r') {
			if (n)
				break;
			continue;
		}
		n++;
	}
	buf[n] = '\0';
	return n ? 0 : -ETIMEDOUT;
}

/*
 * The mode fbdev set is the connector's preferred one, 32 bpp XRGB; the frame drawn
 * into it is what the host captures (run-nested.sh compares every pixel).
 */
TEST_F_TIMEOUT(frame, to_host, ACK_TIMEOUT_S + 60)
{
	const struct fb_var_screeninfo *var = &self->var;
	const char *ack = getenv("MGPU_FRAME_ACK");
	uint32_t seed = ((uint32_t)time(NULL) * 2654435761u ^ (uint32_t)getpid()) & 0xffffff;
	unsigned int w, h;
	char reply[128];

	TH_LOG("%s: %ux%u (virtual %ux%u) %u bpp, line %u, %u bytes", self->fix.id,
	       var->xres, var->yres, var->xres_virtual, var->yres_virtual,
	       var->bits_per_pixel, self->fix.line_length, self->fix.smem_len);
	if (env_mode(&w, &h)) {
		EXPECT_EQ(w, var->xres);
		EXPECT_EQ(h, var->yres);
	}
	ASSERT_EQ(32, var->bits_per_pixel);
	ASSERT_EQ(16, var->red.offset);
	ASSERT_EQ(8, var->green.offset);
	ASSERT_EQ(0, var->blue.offset);
	ASSERT_LE(var->xres * 4, self->fix.line_length);
	ASSERT_LE((size_t)(var->yoffset + var->yres) * self->fix.line_length, self->len);
	if (ack) {
		self->ack = ack_open(ack);
		ASSERT_LE(0, self->ack) TH_LOG("%s: %s", ack, strerror(-self->ack));
	}
	draw(self->mem, var, self->fix.line_length, seed);
	ASSERT_EQ(0, fsync(self->fb)) TH_LOG("fsync %s: %s", FB_DEV, strerror(errno));
	printf("%s %ux%u seed 0x%06x\n", FRAME_MARK, var->xres, var->yres, seed);
	fflush(stdout);
	if (!ack)
		return;
	ASSERT_EQ(0, ack_wait(self->ack, reply, sizeof(reply), ACK_TIMEOUT_S))
		TH_LOG("the host did not acknowledge the frame in %d s", ACK_TIMEOUT_S);
	TH_LOG("host: %s", reply);
}

TEST_HARNESS_MAIN
