#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# make run: boot the demo VM with two Bochs GPUs, load mgpu, create vGPUs of mixed sizes
# and QoS, run one QEMU per vGPU drawing with its command engine, show mgpuctl top, and
# save each vGPU's screen as a PNG. Finishes by itself; everything lands in build/demo/.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
cd "$MGPU_TOP"
kver=${MGPU_DEMO_KVER:-$(mgpu_kver 6.12)}
out=$MGPU_TOP/build/demo
make -s KVER="$kver" modules >/dev/null || mgpu_die "mgpu does not build for $kver"
make -s -C userspace-tools/mgpuctl O="$MGPU_TOP/build/userspace-tools" >/dev/null &&
	make -s -C userspace-tools/demo O="$MGPU_TOP/build/userspace-tools" >/dev/null ||
	mgpu_die "mgpuctl or the demo seat does not build"
echo "mgpu demo: booting a VM with Debian's $kver and two Bochs GPUs under QEMU (TCG) ..."
MGPU_VM_DEVICES="-device bochs-display,vgamem=64M -device bochs-display,vgamem=64M" \
	scripts/vm.sh --kver "$kver" --out "$out" --timeout 900 scripts/demo-job.sh
rc=$?
cat "$out/job.log"
echo
echo "mgpu demo: finished with status $rc; the seats' screens are $out/seat-*.png;"
echo "           console and logs are in $out/"
exit "$rc"
