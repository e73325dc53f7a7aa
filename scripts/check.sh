#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# mgpu's test command: every tier on both kernels, judged by tapsum.py, ending with
# 'N passed, N failed, N skipped'. Exits non-zero on any failure.
#
#   check.sh [--tier host|vm|qemu|guest]... [--kver <release or 6.12|6.1>]...
#            [--inject fail|warn|hang]
#   MGPU_VM_TIMEOUT (s, default 2400) bounds each VM.
#   The guest tier (one nested boot) runs once, in the first kernel's VM: the nested
#   guest is mgpu's own build of 6.12 (scripts/kernel.sh nested) whatever the VM runs,
#   and the other kernels' host side of a vfio-pci assignment is the QEMU tier's.
#   Where the time went, step by step, is in $MGPU_RESULTS/times.txt and printed
#   before the summary.
#   MGPU_RESULTS (default build/check) is where results go (emptied first).
#   MGPU_VM_DEVICES (default: two Bochs GPUs, 64 and 32 MiB) adds QEMU devices to the
#   test VMs, for the PCI backend's tests; set it empty for none.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
cd "$MGPU_TOP" || exit 1

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
times=$results/times.txt
: > "$times"
clock=$SECONDS
lap() {		# lap <step> [limit]: the seconds since the last lap, into times.txt
	echo "$1 $((SECONDS - clock)) ${2:-}" >> "$times"
	clock=$SECONDS
}
has_tier() { local t; for t in "${tiers[@]}"; do [ "$t" = "$1" ] && return 0; done; return 1; }

echo "== build: modules for ${kvers[*]}, selftests, tools"
jobs=$(($(nproc) + 1))
make -s ksft >/dev/null || mgpu_die "cannot extract the kselftest headers"
make -s -j"$jobs" selftests > "$results/selftests-build.log" 2>&1 ||
	{ cat "$results/selftests-build.log"; mgpu_die "the selftests do not build"; }
make -s -j"$jobs" tools > "$results/tools-build.log" 2>&1 ||
	{ cat "$results/tools-build.log"; mgpu_die "mgpuctl or the demo tools do not build"; }
for k in "${kvers[@]}"; do
	# From scratch and with W=1: the VMs load these modules, and the host tier judges
	# this build's log to be warning-free (an incremental build would hide warnings).
	rm -rf "build/$k/mod"
	mkdir -p "build/$k"
	make -s -j"$jobs" KVER="$k" W=1 modules > "build/$k/modules-w1.log" 2>&1 || {
		cat "build/$k/modules-w1.log"; mgpu_die "mgpu does not build for $k"; }
	if [ "$inject" = warn ]; then	# a module whose only job is a kernel WARN
		mkdir -p "build/$k/inject"
		cp selftests/inject/Kbuild selftests/inject/mgpu_inject_warn.c "build/$k/inject/"
		make -s -C "/lib/modules/$k/build" M="$MGPU_TOP/build/$k/inject" modules \
			>/dev/null || mgpu_die "cannot build the WARN injector for $k"
	fi
done
lap build-modules
# The guest tier's nested guest runs mgpu's own trimmed 6.12 (built once, cached) and
# loads mgpu_tmem_guest.ko built for it, whichever kernel the test VM runs.
if has_tier guest; then
	nested=$(scripts/kernel.sh nested) || mgpu_die "cannot build the nested guest's kernel"
	make -s -j"$jobs" KDIR="$nested/build" MGPU_MODULES=mgpu_tmem_guest.o modules \
		>/dev/null 2>&1 || {
		make KDIR="$nested/build" MGPU_MODULES=mgpu_tmem_guest.o modules
		mgpu_die "the guest's module does not build for $(cat "$nested/release")"; }
	export MGPU_NESTED_KERNEL=$nested
	lap build-nested-kernel
fi
[ "$inject" = hang ] && : "${MGPU_VM_TIMEOUT:=120}"

if has_tier host; then
	echo "== host tier"
	mkdir -p "$results/host"
	scripts/host-tests.sh "$results/host" "${kvers[@]}"
	dirs+=("$results/host")
	lap host-tier
	sed 's|^|host/|' "$results/host/times" >> "$times" 2>/dev/null
fi

vm_tiers=()
for t in vm qemu guest; do
	has_tier "$t" && vm_tiers+=("$t")
done
first=1
for k in "${kvers[@]}"; do
	t=()
	for tier in ${vm_tiers[@]+"${vm_tiers[@]}"}; do
		[ "$tier" = guest ] && [ "$first" = 0 ] && continue
		t+=("$tier")
	done
	first=0
	[ ${#t[@]} -gt 0 ] || continue
	d="$results/vm-$k"
	echo "== VM on $k: ${t[*]}"
	MGPU_TIERS="${t[*]}" MGPU_INJECT="$inject" scripts/vm.sh --kver "$k" --out "$d" \
		--timeout "${MGPU_VM_TIMEOUT:-2400}" scripts/vm-job.sh
	echo $? > "$d/vm.rc"
	echo "${t[*]}" > "$d/tiers"	# what the judge must find planned
	dirs+=("$d")
	lap "vm-$k" "${MGPU_VM_TIMEOUT:-2400}"
	# The VM's own steps, as vm-job.sh timed them, with their limits.
	{
		echo "vm-$k/boot $(cat "$d/boot-seconds" 2>/dev/null || echo -1)"
		awk -v k="$k" 'FILENAME ~ /limits$/ { lim[$1] = $2; next }
			NF >= 4 { print "vm-" k "/" $1 "-" $2, $4, lim[$1 "-" $2] }' \
			"$d/limits" "$d/results"
		sed "s|^|vm-$k/|" "$d/guest-times"
	} >> "$times" 2>/dev/null
done

[ ${#dirs[@]} -gt 0 ] || mgpu_die "nothing was run: check --tier and --kver"
echo "== time, step by step (seconds; also in $times)"
# A step that took more than a third of its limit has lost the 3x margin the limits
# are set with: say so, it is where a slower machine will time out first.
awk '{ printf "%6d  %s%s\n", $2, $1,
	($3 > 0 && 3 * $2 > $3) ? "  <- over a third of its " $3 " s limit" : "" }' "$times"
echo "== results"
scripts/tapsum.py "${dirs[@]}" | tee "$results/summary.txt"
exit "${PIPESTATUS[0]}"
