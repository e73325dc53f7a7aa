#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Install everything mgpu needs to build and test, from Debian's packages only, then build
# the kernels of mgpu's own (scripts/kernel.sh: the nested guest's), cached outside the
# clone. Idempotent: when every tool, both kernels and the cached builds are present it
# returns at once.
set -euo pipefail

PKGS="build-essential kmod sparse busybox-static cpio xz-utils zstd libpci-dev
pciutils pci.ids mdevctl libpng-dev pkg-config python3 dkms
flex bison bc libelf-dev libssl-dev"
BPO_PKGS="qemu-system-x86 qemu-utils"
BPO_LIST=/etc/apt/sources.list.d/mgpu-bookworm-backports.sources

have_kernel() {	# $1 = glob of the release, e.g. '6.12.*'
	local r
	for r in /lib/modules/$1; do
		[ -e "/boot/vmlinuz-${r##*/}" ] && [ -e "$r/build/Makefile" ] && return 0
	done
	return 1
}

all_present() {
	local p
	for p in $PKGS linux-source-6.12; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' || return 1
	done
	command -v qemu-system-x86_64 >/dev/null || return 1
	qemu-system-x86_64 --version | grep -qE 'version (9|[1-9][0-9])\.' || return 1
	have_kernel '6.12.*' && have_kernel '6.1.0-*'
}

# Kernels built from linux-source-6.12 (each returns at once when cached).
own_kernels() {
	local dir
	dir=$("$(dirname "$0")/kernel.sh" nested) || return 1
	echo "deps: nested guest kernel $(cat "$dir/release") in $dir"
}

if all_present; then
	echo "deps: every package is installed"
	own_kernels
	exit
fi
[ "$(id -u)" = 0 ] || { echo "deps: run as root (apt-get install)" >&2; exit 1; }

if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
	cat > "$BPO_LIST" <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
fi
apt-get update -q

# The newest 6.12 and 6.1 kernels that apt offers with both image and headers.
newest() {	# $1 = regex of the release
	apt-cache search --names-only "^linux-headers-$1\$" | awk '{print $1}' |
		sed 's/^linux-headers-//' | sort -V | while read -r r; do
			apt-cache show "linux-image-$r" >/dev/null 2>&1 && echo "$r"
		done | tail -n 1
}
K612=$(newest '6\.12\.[0-9]+\+deb12-amd64')
K61=$(newest '6\.1\.0-[0-9]+-amd64')
if [ -z "$K612" ] || [ -z "$K61" ]; then
	echo "deps: no 6.12/6.1 kernel found in apt" >&2
	exit 1
fi
echo "deps: kernels $K612 and $K61"

export DEBIAN_FRONTEND=noninteractive INITRD=No
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $PKGS linux-source-6.12 \
	"linux-image-$K612" "linux-headers-$K612" "linux-image-$K61" "linux-headers-$K61"
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends -t bookworm-backports $BPO_PKGS
all_present || { echo "deps: install finished but something is still missing" >&2; exit 1; }
own_kernels
echo "deps: done"
