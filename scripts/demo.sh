#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# make run: boot the demo VM, load mgpu, create vGPUs of mixed sizes, open each in QEMU
# and show what the host and QEMU see. Finishes by itself; output in build/demo/.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
cd "$MGPU_TOP"
kver=${MGPU_DEMO_KVER:-$(mgpu_kver 6.12)}
out=$MGPU_TOP/build/demo
make -s KVER="$kver" modules >/dev/null || mgpu_die "mgpu does not build for $kver"
echo "mgpu demo: booting a VM with Debian's $kver under QEMU (TCG) ..."
scripts/vm.sh --kver "$kver" --out "$out" --timeout 600 scripts/demo-job.sh
rc=$?
cat "$out/job.log"
echo
echo "mgpu demo: finished with status $rc; console and logs are in $out/"
exit "$rc"
