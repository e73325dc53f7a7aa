// SPDX-License-Identifier: GPL-2.0-only
/*
 * mgpuctl snapshot: a vGPU's screen as a PNG. The visible frame is where mgpu/mode says
 * (offset, stride, bpp, endianness) in mgpu/framebuffer, which reads the vGPU's VRAM.
 * The guest may change its mode while the frame is copied, so the mode is read again
 * after the copy and the copy retried when it changed. Pixels become 8-bit RGB: 32 bpp
 * is XRGB8888, 24 bpp BGR, 16 bpp RGB565, 15 bpp XRGB1555 (little endian unless the mode
 * says big); 8 bpp is palette-indexed and mgpu does not expose the palette, so the index
 * is saved as a grey level.
 */
#include <errno.h>
#include <fcntl.h>
#include <png.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mgpuctl.h"

#define SNAP_RETRIES	3
#define SNAP_MAX_DIM	16384

struct mode {
	unsigned long long w, h, bpp, stride, offset;
	bool big;
	char text[MC_STR_MAX];
};

static unsigned int mode_bytes(const struct mode *m)
{
	return (m->bpp + 7) / 8;
}

static bool parse_dims(const char *tok, struct mode *m)
{
	char num[24];
	size_t n = strcspn(tok, "x");

	if (!tok[n] || n >= sizeof(num))
		return false;
	memcpy(num, tok, n);
	num[n] = '\0';
	return mc_parse_u64(num, &m->w) && mc_parse_u64(tok + n + 1, &m->h);
}

static bool parse_token(const char *tok, struct mode *m)
{
	const char *v = strchr(tok, '=');

	if (!v)
		return false;
	v++;
	if (!strncmp(tok, "bpp=", 4))
		return mc_parse_u64(v, &m->bpp);
	if (!strncmp(tok, "stride=", 7))
		return mc_parse_u64(v, &m->stride);
	if (!strncmp(tok, "offset=", 7))
		return mc_parse_u64(v, &m->offset);
	if (!strncmp(tok, "endian=", 7)) {
		m->big = !strcmp(v, "big");
		return m->big || !strcmp(v, "little");
	}
	return true;	/* a key this version does not know */
}

/* "1024x768 bpp=32 stride=4096 offset=0 endian=little" */
static bool parse_mode(const char *s, struct mode *m)
{
	char buf[MC_STR_MAX], *tok, *save;
	bool ok;

	memset(m, 0, sizeof(*m));
	snprintf(m->text, sizeof(m->text), "%s", s);
	snprintf(buf, sizeof(buf), "%s", s);
	tok = strtok_r(buf, " ", &save);
	ok = tok && parse_dims(tok, m);
	while (ok && (tok = strtok_r(NULL, " ", &save)))
		ok = parse_token(tok, m);
	return ok && m->w && m->h && m->w <= SNAP_MAX_DIM && m->h <= SNAP_MAX_DIM &&
	       (m->bpp == 8 || m->bpp == 15 || m->bpp == 16 || m->bpp == 24 || m->bpp == 32) &&
	       m->stride >= m->w * mode_bytes(m);
}

/* Returns 0, 1 when the display is off, or -1 after a message. */
static int read_mode(const char *uuid, struct mode *m)
{
	char path[PATH_MAX], text[MC_STR_MAX];
	int err;

	err = mc_path(path, "bus/mdev/devices/%s/mgpu/mode", uuid);
	if (!err)
		err = mc_read_str(path, text, sizeof(text));
	if (err) {
		mc_err_errno(-err, "reading the mode of vGPU %s", uuid);
		if (err == -ENOENT)
			mc_hint("no vGPU %s, or its mgpu has no mgpu/mode", uuid);
		return -1;
	}
	if (!strcmp(text, "off"))
		return 1;
	if (!parse_mode(text, m)) {
		mc_err("vGPU %s: cannot read mode \"%s\"", uuid, text);
		return -1;
	}
	return 0;
}

static int read_all(int fd, unsigned char *buf, size_t len, off_t off)
{
	ssize_t n;

	while (len) {
		n = pread(fd, buf, len, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (!n)
			return -ENXIO;
		buf += n;
		len -= n;
		off += n;
	}
	return 0;
}

/*
 * The framebuffer's size: the file's, else (sysfs gives the attribute size 0 and leaves
 * the bounds to its read) the vGPU's VRAM; 0 when neither is known.
 */
static unsigned long long fb_size(int fd, const char *uuid)
{
	unsigned long long mb;
	char path[PATH_MAX];
	struct stat st;

	if (!fstat(fd, &st) && st.st_size > 0)
		return st.st_size;
	if (!mc_path(path, "bus/mdev/devices/%s/mgpu/vram_mb", uuid) && !mc_read_u64(path, &mb))
		return mb << 20;
	return 0;
}

/* The visible frame's rows, packed (w * bytes per pixel each). */
static int copy_frame(int fd, const struct mode *m, unsigned long long size,
		      unsigned char *buf)
{
	size_t row = m->w * mode_bytes(m);
	unsigned long long y;
	int err;

	if (size && m->offset + (m->h - 1) * m->stride + row > size)
		return -ENXIO;
	for (y = 0; y < m->h; y++) {
		err = read_all(fd, buf + y * row, row, m->offset + y * m->stride);
		if (err)
			return err;
	}
	return 0;
}

static void pixel(const struct mode *m, const unsigned char *p, unsigned char *rgb)
{
	unsigned int v;

	switch (m->bpp) {
	case 32:
		rgb[0] = m->big ? p[1] : p[2];
		rgb[1] = m->big ? p[2] : p[1];
		rgb[2] = m->big ? p[3] : p[0];
		break;
	case 24:
		rgb[0] = m->big ? p[0] : p[2];
		rgb[1] = p[1];
		rgb[2] = m->big ? p[2] : p[0];
		break;
	case 16:
	case 15:
		v = m->big ? (p[0] << 8 | p[1]) : (p[1] << 8 | p[0]);
		if (m->bpp == 16) {
			rgb[0] = (v >> 11 & 0x1f) << 3 | (v >> 13 & 0x7);
			rgb[1] = (v >> 5 & 0x3f) << 2 | (v >> 9 & 0x3);
		} else {
			rgb[0] = (v >> 10 & 0x1f) << 3 | (v >> 12 & 0x7);
			rgb[1] = (v >> 5 & 0x1f) << 3 | (v >> 7 & 0x7);
		}
		rgb[2] = (v & 0x1f) << 3 | (v >> 2 & 0x7);
		break;
	default:
		rgb[0] = p[0];
		rgb[1] = p[0];
		rgb[2] = p[0];
		break;
	}
}

static int write_png(FILE *f, const struct mode *m, const unsigned char *frame)
{
	unsigned int bytes = mode_bytes(m);
	unsigned char *row;
	png_structp png;
	png_infop info;
	unsigned long long x, y;

	row = malloc(m->w * 3);
	png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	info = png ? png_create_info_struct(png) : NULL;
	if (!row || !info || setjmp(png_jmpbuf(png))) {
		png_destroy_write_struct(&png, &info);
		free(row);
		return -EIO;
	}
	png_init_io(png, f);
	png_set_IHDR(png, info, m->w, m->h, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
		     PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	for (y = 0; y < m->h; y++) {
		for (x = 0; x < m->w; x++)
			pixel(m, frame + (y * m->w + x) * bytes, row + x * 3);
		png_write_row(png, row);
	}
	png_write_end(png, info);
	png_destroy_write_struct(&png, &info);
	free(row);
	return 0;
}

static int save_png(const char *out, const struct mode *m, const unsigned char *frame)
{
	bool std = !strcmp(out, "-");
	FILE *f = std ? stdout : fopen(out, "wb");
	int err;

	if (!f) {
		mc_err_errno(errno, "%s", out);
		return -1;
	}
	err = write_png(f, m, frame);
	if (!err && (std ? fflush(f) : fclose(f)))
		err = -errno;
	else if (err && !std)
		fclose(f);
	if (err) {
		mc_err_errno(-err, "writing %s", out);
		if (!std)
			unlink(out);
		return -1;
	}
	return 0;
}

static int frame_error(int err, const char *uuid, const char *path, const struct mode *m)
{
	mc_err_errno(-err, "reading the frame of vGPU %s", uuid);
	if (err == -EACCES || err == -EPERM)
		mc_hint("mgpu/framebuffer is readable by root only");
	else if (err == -ENXIO)
		mc_hint("mode \"%s\" reaches past the end of %s", m->text, path);
	else
		mc_hint_errno(-err, path);
	return -1;
}

/* One try: 0 done, 1 the mode changed under the copy, -1 failed. */
static int snapshot_once(const char *uuid, const char *out)
{
	char path[PATH_MAX];
	unsigned char *frame;
	struct mode m, again;
	int fd, ret;

	ret = read_mode(uuid, &m);
	if (ret == 1) {
		mc_err("vGPU %s has no picture: mgpu/mode is \"off\" (the guest set no mode, or turned its display off)",
		       uuid);
		return -1;
	}
	if (ret || mc_path(path, "bus/mdev/devices/%s/mgpu/framebuffer", uuid))
		return -1;
	frame = malloc(m.w * m.h * mode_bytes(&m));
	if (!frame) {
		mc_err_errno(ENOMEM, "vGPU %s", uuid);
		return -1;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	ret = fd < 0 ? -errno : copy_frame(fd, &m, fb_size(fd, uuid), frame);
	if (fd >= 0)
		close(fd);
	if (ret)
		ret = frame_error(ret, uuid, path, &m);
	else if (read_mode(uuid, &again) || strcmp(m.text, again.text))
		ret = 1;
	else
		ret = save_png(out, &m, frame);
	free(frame);
	if (!ret && m.bpp == 8)
		mc_err("note: 8 bpp is palette-indexed and mgpu exposes no palette: the PNG shows the index as grey");
	return ret;
}

/**
 * mc_cmd_snapshot - mgpuctl snapshot UUID FILE.png
 * @o: the command line
 *
 * Return: an exit status.
 */
int mc_cmd_snapshot(const struct mc_opts *o)
{
	char uuid[MC_UUID_LEN + 1], path[PATH_MAX];
	int i, ret = 0;

	if (!mc_uuid_arg(o->argv[0], uuid))
		return mc_usage_error("snapshot", "'%s' is not a UUID", o->argv[0]);
	if (mc_path(path, "bus/mdev/devices/%s", uuid) || !mc_exists(path)) {
		mc_err("no vGPU %s (no %s)", uuid, path);
		return MC_EXIT_FAIL;
	}
	for (i = 0; i <= SNAP_RETRIES; i++) {
		ret = snapshot_once(uuid, o->argv[1]);
		if (ret <= 0)
			break;
	}
	if (ret > 0)
		mc_err("vGPU %s changed its mode during each of %d copies; try again", uuid, i);
	return ret ? MC_EXIT_FAIL : MC_EXIT_OK;
}
