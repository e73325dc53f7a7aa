// SPDX-License-Identifier: GPL-2.0-only
/*
 * mgpuctl: sysfs access. Every path is built below one root (--sysfs-root, else
 * $MGPU_SYSFS_ROOT, else /sys), as mdevctl does, so the tests can run the tool against a
 * fake tree; reads strip the trailing newline, writes are one write() like echo's.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mgpuctl.h"

static char sysfs_root[PATH_MAX] = "/sys";

/**
 * mc_set_root - choose the sysfs root every path is built under
 * @root: the directory; trailing slashes are dropped
 *
 * Return: 0, or -ENAMETOOLONG.
 */
int mc_set_root(const char *root)
{
	size_t len = strlen(root);

	if (len >= sizeof(sysfs_root))
		return -ENAMETOOLONG;
	while (len > 1 && root[len - 1] == '/')
		len--;
	memcpy(sysfs_root, root, len);
	sysfs_root[len] = '\0';
	return 0;
}

/**
 * mc_root - the sysfs root
 *
 * Return: the directory every path is built under.
 */
const char *mc_root(void)
{
	return sysfs_root;
}

/**
 * mc_path - build a path below the sysfs root
 * @buf: PATH_MAX bytes for the result
 * @fmt: the path relative to the root, a printf format
 *
 * Return: 0, or -ENAMETOOLONG.
 */
int mc_path(char *buf, const char *fmt, ...)
{
	char rel[PATH_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(rel, sizeof(rel), fmt, ap);
	va_end(ap);
	if (n < 0 || n >= (int)sizeof(rel))
		return -ENAMETOOLONG;
	n = snprintf(buf, PATH_MAX, "%s/%s", sysfs_root, rel);
	if (n < 0 || n >= PATH_MAX)
		return -ENAMETOOLONG;
	return 0;
}

/**
 * mc_read_str - read a text attribute
 * @path: the file
 * @buf: where its text goes, trailing whitespace removed
 * @size: bytes in @buf; a longer value is cut
 *
 * Return: 0, or -errno.
 */
int mc_read_str(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	if (n < 0) {
		n = -errno;
		close(fd);
		return n;
	}
	close(fd);
	while (n > 0 && isspace((unsigned char)buf[n - 1]))
		n--;
	buf[n] = '\0';
	return 0;
}

/**
 * mc_parse_u64 - parse a whole string as a decimal number
 * @s: the string
 * @val: the number
 *
 * Return: true if @s is digits only and fits 64 bits.
 */
bool mc_parse_u64(const char *s, unsigned long long *val)
{
	char *end;

	if (!isdigit((unsigned char)*s))
		return false;
	errno = 0;
	*val = strtoull(s, &end, 10);
	return !errno && !*end;
}

/**
 * mc_read_u64 - read a decimal attribute
 * @path: the file
 * @val: its value
 *
 * Return: 0, -errno, or -EINVAL when it is not a number.
 */
int mc_read_u64(const char *path, unsigned long long *val)
{
	char buf[64];
	int ret;

	ret = mc_read_str(path, buf, sizeof(buf));
	if (ret)
		return ret;
	return mc_parse_u64(buf, val) ? 0 : -EINVAL;
}

/**
 * mc_write_str - write an attribute as "echo VAL > PATH" does
 * @path: the file; never created
 * @val: the text; a newline is added
 *
 * Return: 0, or -errno (the kernel's reason for refusing the write).
 */
int mc_write_str(const char *path, const char *val)
{
	char buf[MC_STR_MAX + 2];
	ssize_t n;
	int fd, len;

	len = snprintf(buf, sizeof(buf), "%s\n", val);
	if (len < 0 || len >= (int)sizeof(buf))
		return -EINVAL;
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, buf, len);
	if (n < 0) {
		n = -errno;
		close(fd);
		return n;
	}
	if (close(fd))
		return -errno;
	return n == len ? 0 : -EIO;
}

/**
 * mc_link_name - the last component of a symlink's target (a driver's name)
 * @path: the symlink
 * @buf: where the name goes
 * @size: bytes in @buf
 *
 * Return: 0, or -errno.
 */
int mc_link_name(const char *path, char *buf, size_t size)
{
	char target[PATH_MAX];
	const char *base;
	ssize_t n;

	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
	target[n] = '\0';
	base = strrchr(target, '/');
	base = base ? base + 1 : target;
	if (strlen(base) >= size)
		return -ENAMETOOLONG;
	memcpy(buf, base, strlen(base) + 1);
	return 0;
}

/**
 * mc_exists - whether a path exists (following symlinks)
 * @path: the path
 *
 * Return: true if stat() finds it.
 */
bool mc_exists(const char *path)
{
	struct stat st;

	return !stat(path, &st);
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/**
 * mc_list_dir - the entries of a directory, sorted, without "." and ".."
 * @path: the directory
 * @names: a new array of new strings; free with mc_free_names()
 *
 * Return: the number of entries, or -errno.
 */
int mc_list_dir(const char *path, char ***names)
{
	char **v = NULL, **nv;
	struct dirent *de;
	int n = 0, err;
	DIR *d;

	d = opendir(path);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		nv = realloc(v, (n + 1) * sizeof(*v));
		if (!nv)
			goto err_free;
		v = nv;
		v[n] = strdup(de->d_name);
		if (!v[n])
			goto err_free;
		n++;
	}
	closedir(d);
	if (n)
		qsort(v, n, sizeof(*v), cmp_names);
	*names = v;
	return n;

err_free:
	err = -errno;
	closedir(d);
	mc_free_names(v, n);
	return err;
}

/**
 * mc_free_names - free what mc_list_dir() returned
 * @names: the array
 * @n: its entries
 */
void mc_free_names(char **names, int n)
{
	while (n > 0)
		free(names[--n]);
	free(names);
}

/**
 * mc_is_uuid - whether a string is a UUID in its 8-4-4-4-12 hex form
 * @s: the string
 *
 * Return: true if it is.
 */
bool mc_is_uuid(const char *s)
{
	int i;

	for (i = 0; i < MC_UUID_LEN; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return false;
		} else if (!isxdigit((unsigned char)s[i])) {
			return false;
		}
	}
	return s[MC_UUID_LEN] == '\0';
}

/**
 * mc_uuid_arg - a UUID from the command line, lowercased as the kernel names the device
 * @arg: the argument
 * @uuid: MC_UUID_LEN + 1 bytes for the result
 *
 * Return: false if @arg is not a UUID.
 */
bool mc_uuid_arg(const char *arg, char *uuid)
{
	int i;

	if (!mc_is_uuid(arg))
		return false;
	for (i = 0; i <= MC_UUID_LEN; i++)
		uuid[i] = tolower((unsigned char)arg[i]);
	return true;
}

/**
 * mc_hint_errno - explain a failed read or write that no command knows better about
 * @err: the errno
 * @path: the attribute
 */
void mc_hint_errno(int err, const char *path)
{
	switch (err) {
	case EACCES:
	case EPERM:
		mc_hint("changing mgpu's settings (and reading framebuffers) needs root");
		break;
	case ENOENT:
		mc_hint("%s does not exist: is the mgpu module loaded, and new enough?", path);
		break;
	case EISDIR:
	case ENOTDIR:
		mc_hint("%s is not a sysfs attribute: is --sysfs-root right?", path);
		break;
	case EBUSY:
		mc_hint("busy: a VM may hold the vGPU; the kernel log (dmesg) says why");
		break;
	case EINVAL:
		mc_hint("the kernel refused the value; its log (dmesg) says why");
		break;
	default:
		mc_hint("the kernel log (dmesg) says why");
		break;
	}
}
