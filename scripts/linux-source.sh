#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Extract the kernel files mgpu's build and tests use (kselftest headers, checkpatch and
# its data, the vfio-mdev samples for benchmarks) from Debian's linux-source package.
# Usage: linux-source.sh <dir>     (idempotent; the files are never committed)
set -euo pipefail
dir=$1
tarball=$(ls -1 /usr/src/linux-source-6.12.tar.* 2>/dev/null | head -n 1)
[ -n "$tarball" ] || { echo "no linux-source-6.12: run 'make deps'" >&2; exit 1; }
stamp="$dir/.extracted"
[ -e "$stamp" ] && [ "$stamp" -nt "$tarball" ] && exit 0
mkdir -p "$dir"
top=$(basename "$tarball" | sed 's/\.tar\..*//')
tar -xf "$tarball" -C "$dir" --strip-components=1 \
	"$top/tools/testing/selftests/kselftest.h" \
	"$top/tools/testing/selftests/kselftest_harness.h" \
	"$top/scripts/checkpatch.pl" "$top/scripts/spelling.txt" \
	"$top/scripts/const_structs.checkpatch" \
	"$top/samples/vfio-mdev"
touch "$stamp"
