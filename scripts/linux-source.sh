#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Extract the kernel files mgpu's build and tests use (kselftest headers, checkpatch and
# its data, the vfio-mdev samples for benchmarks) from Debian's linux-source package.
# Usage: linux-source.sh <dir>     (idempotent; the files are never committed)
set -euo pipefail
dir=$1
tarball=
for f in /usr/src/linux-source-6.12.tar.*; do
	[ -e "$f" ] && tarball=$f && break
done
[ -n "$tarball" ] || { echo "no linux-source-6.12: run 'make deps'" >&2; exit 1; }
stamp="$dir/.extracted"
[ -e "$stamp" ] && [ "$stamp" -nt "$tarball" ] && exit 0
mkdir -p "$dir"
files="tools/testing/selftests/kselftest.h tools/testing/selftests/kselftest_harness.h
scripts/checkpatch.pl scripts/spelling.txt scripts/const_structs.checkpatch samples/vfio-mdev"
# scripts/kernel.sh keeps the package's whole tree extracted: copy from it when it is
# there (a tar extraction reads through the whole 150 MB archive).
ver=$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null || true)
tree=${MGPU_CACHE:-/var/cache/mgpu}/src/linux-source-$ver
if [ -n "$ver" ] && [ -e "$tree/.extracted" ]; then
	# shellcheck disable=SC2086 # a list of paths without spaces
	(cd "$tree" && cp -a --parents $files "$dir/")
else
	top=$(basename "$tarball" | sed 's/\.tar\..*//')
	# shellcheck disable=SC2046,SC2086 # the same list, each path under $top/
	tar -xf "$tarball" -C "$dir" --strip-components=1 $(printf "$top/%s " $files)
fi
touch "$stamp"
