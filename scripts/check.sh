#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# mgpu's test command: every tier on both kernels, judged by tapsum.py, ending with
# 'N passed, N failed, N skipped'. Exits non-zero on any failure.
#
#   check.sh [--tier host|vm|qemu|guest]... [--kver <release or 6.12|6.1>]...
#            [--inject fail|warn|hang]
#   MGPU_VM_TIMEOUT (s, default 2400) bounds each VM.
#   MGPU_RESULTS (default build/check) is where results go (emptied first).
#   MGPU_VM_DEVICES (default: two Bochs GPUs, 64 and 32 MiB) adds QEMU devices to the
#   test VMs, for the PCI backend's tests; set it empty for none.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
cd "$MGPU_TOP"

tiers=()
kvers=()
inject=
while [ $# -gt 0 ]; do
	case "$1" in
	--tier) tiers+=("$2"); shift 2 ;;
	--kver) kvers+=("$(mgpu_kver "$2")"); shift 2 ;;
	--inject) inject=$2; shift 2 ;;
	*) mgpu_die "check.sh: unknown option $1" ;;
	esac
done
[ ${#tiers[@]} -gt 0 ] || tiers=(host vm qemu guest)
[ ${#kvers[@]} -gt 0 ] || mapfile -t kvers < <(mgpu_kvers)
[ ${#kvers[@]} -gt 0 ] || mgpu_die "no 6.12/6.1 kernel installed: run 'make deps'"

results=${MGPU_RESULTS:-$MGPU_TOP/build/check}
export MGPU_VM_DEVICES=${MGPU_VM_DEVICES-"-device bochs-display,vgamem=64M -device bochs-display,vgamem=32M"}
rm -rf "$results"
mkdir -p "$results"
dirs=()
has_tier() { local t; for t in "${tiers[@]}"; do [ "$t" = "$1" ] && return 0; done; return 1; }

echo "== build: modules for ${kvers[*]}, selftests, tools"
make -s ksft >/dev/null || mgpu_die "cannot extract the kselftest headers"
make -s selftests > "$results/selftests-build.log" 2>&1 ||
	{ cat "$results/selftests-build.log"; mgpu_die "the selftests do not build"; }
make -s tools > "$results/tools-build.log" 2>&1 ||
	{ cat "$results/tools-build.log"; mgpu_die "mgpuctl or the demo tools do not build"; }
for k in "${kvers[@]}"; do
	make -s KVER="$k" modules >/dev/null 2>&1 || {
		make KVER="$k" modules; mgpu_die "mgpu does not build for $k"; }
	if [ "$inject" = warn ]; then	# a module whose only job is a kernel WARN
		mkdir -p "build/$k/inject"
		cp selftests/inject/Kbuild selftests/inject/mgpu_inject_warn.c "build/$k/inject/"
		make -s -C "/lib/modules/$k/build" M="$MGPU_TOP/build/$k/inject" modules \
			>/dev/null || mgpu_die "cannot build the WARN injector for $k"
	fi
done
# The guest tier's nested guest is Debian's 6.12 and loads mgpu_tmem_guest.ko built for
# it, whichever kernel the test VM runs: build that too.
if has_tier guest; then
	k=$(ls -1 /lib/modules | grep '^6\.12\.' | sort -V | tail -n 1)
	[ -z "$k" ] || make -s KVER="$k" modules >/dev/null 2>&1 || {
		make KVER="$k" modules; mgpu_die "the guest's modules do not build for $k"; }
fi
[ "$inject" = hang ] && : "${MGPU_VM_TIMEOUT:=120}"

if has_tier host; then
	echo "== host tier"
	mkdir -p "$results/host"
	scripts/host-tests.sh "$results/host" "${kvers[@]}"
	dirs+=("$results/host")
fi

vm_tiers=()
for t in vm qemu guest; do
	has_tier "$t" && vm_tiers+=("$t")
done
if [ ${#vm_tiers[@]} -gt 0 ]; then
	for k in "${kvers[@]}"; do
		# One nested boot per VM: the guest tier boots Debian's 6.12 as the nested
		# guest, with mgpu on this VM's kernel as the host.
		t=("${vm_tiers[@]}")
		d="$results/vm-$k"
		echo "== VM on $k: ${t[*]}"
		MGPU_TIERS="${t[*]}" MGPU_INJECT="$inject" scripts/vm.sh --kver "$k" --out "$d" \
			--timeout "${MGPU_VM_TIMEOUT:-2400}" scripts/vm-job.sh
		echo $? > "$d/vm.rc"
		echo "${t[*]}" > "$d/tiers"	# what the judge must find planned
		dirs+=("$d")
	done
fi

[ ${#dirs[@]} -gt 0 ] || mgpu_die "nothing was run: check --tier and --kver"
echo "== results"
scripts/tapsum.py "${dirs[@]}" | tee "$results/summary.txt"
exit "${PIPESTATUS[0]}"
