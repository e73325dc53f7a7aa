#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Build a kernel of mgpu's own from Debian's linux-source-6.12 (drivers unmodified) with
# the config fragment scripts/kernels/<flavour>.config on top of 'allnoconfig', cached
# outside the clone and keyed by everything that goes into it: the source package's
# version, the fragment and this script. A second call with the same inputs returns at
# once. Prints the kernel's folder:
#   <dir>/bzImage          the image
#   <dir>/release          its release (uname -r)
#   <dir>/root/lib/modules/<release>/   its modules (modprobe -d <dir>/root -S <release>)
#   <dir>/build/           the build tree: make -C <dir>/build M=... builds modules for it
#
# Usage: kernel.sh <flavour>        (e.g. nested: the guest tier's nested guest)
#   MGPU_CACHE   the cache (default /var/cache/mgpu); kernels live in $MGPU_CACHE/kernels
set -euo pipefail
. "$(dirname "$0")/lib.sh"

flavour=${1:?usage: kernel.sh <flavour>}
frag=$MGPU_TOP/scripts/kernels/$flavour.config
[ -r "$frag" ] || mgpu_die "kernel.sh: no fragment $frag"
cache=${MGPU_CACHE:-/var/cache/mgpu}
tarball=
for f in /usr/src/linux-source-6.12.tar.*; do
	[ -e "$f" ] && tarball=$f && break
done
[ -n "$tarball" ] || mgpu_die "kernel.sh: no linux-source-6.12: run 'make deps'"
srcver=$(dpkg-query -W -f='${Version}' linux-source-6.12)
key=$( { echo "$srcver"; cat "$frag" "$0"; } | sha256sum | cut -c1-16)
dir=$cache/kernels/$flavour-$key
if [ -e "$dir/.done" ]; then
	echo "$dir"
	exit 0
fi

mkdir -p "$cache/kernels" "$cache/src"
exec 9> "$cache/kernels/.lock"
flock 9
if [ -e "$dir/.done" ]; then	# built by whoever held the lock
	echo "$dir"
	exit 0
fi
start=$SECONDS

# The source, extracted once per package version and shared by every flavour.
src=$cache/src/linux-source-$srcver
if [ ! -e "$src/.extracted" ]; then
	rm -rf "$src"
	mkdir -p "$src"
	tar -xf "$tarball" -C "$src" --strip-components=1
	touch "$src/.extracted"
fi

# Builds of this flavour from other inputs are stale: only the current one is kept.
rm -rf "$cache/kernels/$flavour-"*
mkdir -p "$dir/build"
log=$dir/build.log
kmake() {
	make -C "$src" O="$dir/build" ARCH=x86_64 "$@" >> "$log" 2>&1 || {
		tail -n 30 "$log" >&2
		mgpu_die "kernel.sh: 'make $*' failed for $flavour (log: $log)"
	}
}
kmake KCONFIG_ALLCONFIG="$frag" allnoconfig
# Every line of the fragment must have survived Kconfig's dependencies.
missing=$(grep -E '^CONFIG_[A-Z0-9_]+=' "$frag" | while read -r line; do
	grep -qxF "$line" "$dir/build/.config" || echo "$line"
done)
[ -z "$missing" ] || mgpu_die "kernel.sh: Kconfig dropped from $flavour: $missing"
kmake -j"$(($(nproc) + 1))" bzImage modules
kmake INSTALL_MOD_PATH="$dir/root" INSTALL_MOD_STRIP=1 modules_install
cp "$dir/build/arch/x86/boot/bzImage" "$dir/bzImage"
cat "$dir/build/include/config/kernel.release" > "$dir/release"
touch "$dir/.done"
echo "kernel.sh: built $flavour ($(cat "$dir/release")) in $((SECONDS - start)) s" >&2
echo "$dir"
