#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Build the test VM's initramfs for one kernel: busybox, the virtio/9p modules
# (decompressed for busybox insmod) and scripts/vm-init as /init.
# Usage: mkinitramfs.sh <kernel release> <output.cpio.gz>
set -euo pipefail
. "$(dirname "$0")/lib.sh"

KVER=$1
OUTPUT=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mkdir -p "$work"/{bin,dev,proc,sys,host,modules}
cp /bin/busybox "$work/bin/busybox"
cp "$MGPU_TOP/scripts/vm-init" "$work/init"
chmod +x "$work/init"

: > "$work/modules/order"
for m in virtio_pci 9pnet_virtio 9p; do
	modprobe -S "$KVER" --show-depends "$m" | awk '$1 == "insmod" {print $2}'
done | awk '!seen[$0]++' | while read -r ko; do
	name=$(basename "$ko")
	case "$name" in
	*.xz) xz -dc "$ko" > "$work/modules/${name%.xz}"; name=${name%.xz} ;;
	*.zst) zstd -qdc "$ko" > "$work/modules/${name%.zst}"; name=${name%.zst} ;;
	*) cp "$ko" "$work/modules/$name" ;;
	esac
	echo "$name" >> "$work/modules/order"
done

mkdir -p "$(dirname "$OUTPUT")"
(cd "$work" && find . | cpio -o -H newc --quiet) | gzip -1 > "$OUTPUT.tmp"
mv "$OUTPUT.tmp" "$OUTPUT"
