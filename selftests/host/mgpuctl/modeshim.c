// SPDX-License-Identifier: GPL-2.0-only
/*
 * mgpuctl_test.sh's LD_PRELOAD shim: a guest that changes its display mode while
 * "mgpuctl snapshot" copies its frame. Each pread() at offset 0 (the first row of a
 * frame at offset 0) renames $SHIM_DIR/mode.<k> over $SHIM_MODE, k = 1, 2, ..., for as
 * long as such files exist.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>

static int shim_calls;

static void shim_change_mode(void)
{
	const char *dir = getenv("SHIM_DIR"), *mode = getenv("SHIM_MODE");
	char next[4096];

	if (!dir || !mode)
		return;
	snprintf(next, sizeof(next), "%s/mode.%d", dir, ++shim_calls);
	rename(next, mode);	/* none left: the mode stays */
}

static ssize_t shim_pread(const char *name, int fd, void *buf, size_t count, off_t offset)
{
	ssize_t (*real)(int fd, void *buf, size_t count, off_t offset);

	real = (ssize_t (*)(int, void *, size_t, off_t))dlsym(RTLD_NEXT, name);
	if (!offset)
		shim_change_mode();
	return real(fd, buf, count, offset);
}

ssize_t pread(int fd, void *buf, size_t count, off_t offset)
{
	return shim_pread("pread", fd, buf, count, offset);
}

ssize_t pread64(int fd, void *buf, size_t count, off_t offset)
{
	return shim_pread("pread64", fd, buf, count, offset);
}
