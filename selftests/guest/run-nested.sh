#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Guest tier (runs in the test VM, "L1"): assign an mgpu-16M vGPU to ONE nested QEMU
# guest, run every static test in build/selftests/guest/ inside it and print one TAP
# stream on stdout: this script's own steps, then every guest test by name. A guest that
# never boots, or a test that never reports, is a 'not ok'. Exits 1 on any failure.
#
# The guest's /init writes its tests' TAP to its second serial port (ttyS1), framed by
# '@@mgpu-guest' lines; the console (ttyS0) goes to $MGPU_OUT/guest-console.log.
#   MGPU_TOP, MGPU_OUT     the repository and the results folder (set by vm-job.sh)
#   MGPU_TEST_TIMEOUT      the runner's limit for this script (default 600 s); the
#                          nested QEMU gets what is left of it less a margin
#   MGPU_GUEST_TYPE        the vGPU type (default mgpu-16M)
set -u

top=${MGPU_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
out=${MGPU_OUT:-/tmp}
type=${MGPU_GUEST_TYPE:-mgpu-16M}
vram_mib=$(echo "$type" | sed -n 's/^mgpu-\([0-9]*\)M$/\1/p')
bins=$top/build/selftests/guest
limit=$(( ${MGPU_TEST_TIMEOUT:-600} - 45 ))
mark=@@mgpu-guest
steps=6			# the script's own results, besides one per guest test

work=
uuid=
qemu_pid=
n=0
failed=0
expected=()		# "binary fixture.test" for every guest test, from '<binary> -l'

tap() {			# tap <ok|not ok> <description> [diagnostic...]
	n=$((n + 1))
	[ "$1" = ok ] || failed=1
	echo "$1 $n $2"
	shift 2
	local l
	for l in "$@"; do
		echo "# $l"
	done
}

stop_qemu() {
	[ -n "$qemu_pid" ] || return 0
	kill "$qemu_pid" 2>/dev/null
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		kill -0 "$qemu_pid" 2>/dev/null || break
		sleep 1
	done
	kill -9 "$qemu_pid" 2>/dev/null
	wait "$qemu_pid" 2>/dev/null
	qemu_pid=
}

remove_vgpu() {
	[ -n "$uuid" ] || return 0
	[ -e "/sys/bus/mdev/devices/$uuid" ] || return 1
	echo 1 > "/sys/bus/mdev/devices/$uuid/remove" || return 1
	uuid=
}

cleanup() {
	stop_qemu
	remove_vgpu
	[ -n "$work" ] && rm -rf "$work"
}
trap cleanup EXIT
trap 'echo "# run-nested.sh: killed"; exit 1' TERM INT

# The names a harness binary will report, from its '-l' listing (no variants).
list_tests() {
	"$1" -l 2>&1 | awk '/^# FIXTURE/ || /^---/ { next }
		/^[^ ]/ { f = $1; if (NF >= 2) print f "." $NF; next }
		NF { print f "." $NF }'
}

find_expected() {
	local b t
	for b in "$bins"/*_test; do
		[ -x "$b" ] || continue
		for t in $(list_tests "$b"); do
			expected+=("$(basename "$b") $t")
		done
	done
}

create_vgpu() {
	local parent=/sys/class/mdev_bus/mgpu-soft.0
	[ -d "$parent/mdev_supported_types/$type" ] || {
		echo "no $type type under $parent"; return 1; }
	uuid=$(cat /proc/sys/kernel/random/uuid)
	echo "$uuid" > "$parent/mdev_supported_types/$type/create" || { uuid=; return 1; }
}

# The guest's /init: run each test binary with its TAP on ttyS1, then power off.
write_init() {
	cat > "$work/root/init" <<-EOF
	#!/bin/busybox sh
	/bin/busybox --install -s /bin
	mount -t proc proc /proc
	mount -t sysfs sys /sys
	mount -t devtmpfs dev /dev
	exec 3> /dev/ttyS1
	stty -F /dev/ttyS1 raw -echo
	echo "$mark init \$(uname -r)" >&3
	export MGPU_GUEST_VRAM_MIB=$vram_mib
	for t in /tests/*; do
		echo "$mark begin \${t##*/}" >&3
		"\$t" >&3 2>&1
		echo "$mark end \${t##*/} \$?" >&3
	done
	echo "$mark done" >&3
	exec 3>&-
	sync
	poweroff -f
	EOF
	chmod +x "$work/root/init"
}

build_initramfs() {
	[ ${#expected[@]} -gt 0 ] || { echo "no guest tests in $bins"; return 1; }
	mkdir -p "$work/root"/{bin,dev,proc,sys,tests} || return 1
	cp /bin/busybox "$work/root/bin/busybox" || return 1
	cp "$bins"/*_test "$work/root/tests/" || return 1
	write_init
	(cd "$work/root" && find . | cpio -o -H newc --quiet) > "$work/initrd.cpio"
}

start_qemu() {
	local kernel
	kernel=$(printf "%s\n" /boot/vmlinuz-6.12.* | sort -V | tail -n 1)
	[ -e "$kernel" ] || { echo "no /boot/vmlinuz-6.12.*"; return 1; }
	echo "guest kernel $kernel"
	# The root port gives the guest a bus reset for the vGPU (reset_keeps_vram).
	qemu-system-x86_64 -machine q35 -cpu max -m 512 -nodefaults -vga none \
		-display none -no-reboot -kernel "$kernel" -initrd "$work/initrd.cpio" \
		-append "console=ttyS0 panic=-1 oops=panic loglevel=7 rdinit=/init" \
		-serial "file:$out/guest-console.log" -serial "file:$work/guest.tap" \
		-device pcie-root-port,id=rp0,chassis=1 \
		-device "vfio-pci,sysfsdev=/sys/bus/mdev/devices/$uuid,bus=rp0" \
		> "$work/qemu.log" 2>&1 &
	qemu_pid=$!
	sleep 10
	kill -0 "$qemu_pid" 2>/dev/null || grep -q "^$mark" "$work/guest.tap" 2>/dev/null
}

# Wait until the guest says @1, QEMU exits or time runs out. Prints the seconds since
# QEMU started; fails unless the guest said it.
wait_for() {
	while ! grep -q "^$mark $1" "$work/guest.tap" 2>/dev/null &&
	      kill -0 "$qemu_pid" 2>/dev/null && [ "$SECONDS" -lt "$limit" ]; do
		sleep 2
	done
	echo $((SECONDS - t0))
	grep -q "^$mark $1" "$work/guest.tap" 2>/dev/null
}

# Give a guest that said 'done' a moment to power off, so its console is complete.
wait_poweroff() {
	for _ in $(seq 15); do
		kill -0 "$qemu_pid" 2>/dev/null || return 0
		sleep 1
	done
	return 1
}

# "<status> <rest>" for every result line the guest printed, tagged with its binary.
guest_results() {
	tr -d '\r' < "$work/guest.tap" | awk -v m="$mark" '
		$1 == m && $2 == "begin" { b = $3; next }
		$1 == m && $2 == "end" { b = ""; next }
		b != "" && /^ok / { $1 = ""; print b " ok" $0; next }
		b != "" && /^not ok / { $1 = $2 = ""; print b " notok" $0 }'
}

report_guest() {
	local e bin name status rest line
	tr -d '\r' < "$work/guest.tap" 2>/dev/null | grep -E '^#|^1\.\.' | sed 's/^/# guest: /'
	guest_results > "$work/results"
	for e in "${expected[@]}"; do
		bin=${e%% *}
		name=${e#* }
		line=$(awk -v b="$bin" -v t="$name" '$1 == b && $4 == t {
				s = $2; $1 = $2 = $3 = $4 = ""; sub(/^ */, ""); print s, $0
				exit }' "$work/results")
		status=${line%% *}
		rest=${line#"$status"}
		rest=${rest# }
		case "$status" in
		ok) tap ok "guest $bin: $name${rest:+ $rest}" ;;
		notok) tap "not ok" "guest $bin: $name${rest:+ $rest}" ;;
		*) tap "not ok" "guest $bin: $name" "the guest never reported it" ;;
		esac
	done
}

qemu_diag() {
	tail -n 5 "$work/qemu.log" 2>/dev/null
	tail -n 3 "$out/guest-console.log" 2>/dev/null
}

main() {
	local t_init t_done diag

	work=$(mktemp -d /tmp/mgpu-nested.XXXXXX) || exit 1
	: > "$out/guest-console.log"
	: > "$work/guest.tap"
	find_expected
	echo "TAP version 13"
	echo "1..$((steps + ${#expected[@]}))"

	if create_vgpu > "$work/step.log" 2>&1; then
		tap ok "$type vGPU $uuid created on mgpu-soft.0"
	else
		mapfile -t diag < "$work/step.log"
		tap "not ok" "$type vGPU created on mgpu-soft.0" "${diag[@]}"
	fi
	if build_initramfs > "$work/step.log" 2>&1; then
		tap ok "guest initramfs built (${#expected[@]} tests)"
	else
		mapfile -t diag < "$work/step.log"
		tap "not ok" "guest initramfs built" "${diag[@]}"
	fi
	t0=$SECONDS
	if [ -n "$uuid" ] && [ "$failed" = 0 ] && start_qemu > "$work/start.log"; then
		tap ok "nested QEMU started with the vGPU assigned" "$(cat "$work/start.log")"
	else
		mapfile -t diag < <(cat "$work/start.log" 2>/dev/null; qemu_diag)
		tap "not ok" "nested QEMU started with the vGPU assigned" "${diag[@]}"
	fi
	if [ -n "$qemu_pid" ] && t_init=$(wait_for init); then
		tap ok "guest booted to /init in ${t_init}s"
	else
		mapfile -t diag < <(qemu_diag)
		tap "not ok" "guest booted to /init (gave up after ${t_init:-0}s)" "${diag[@]}"
	fi
	if [ -n "$qemu_pid" ] && t_done=$(wait_for "done"); then
		wait_poweroff
		tap ok "guest ran its tests (done ${t_done}s after QEMU started)"
	else
		tap "not ok" "guest ran its tests (gave up after ${t_done:-0}s)"
	fi
	report_guest
	stop_qemu
	if remove_vgpu; then
		tap ok "vGPU removed"
	else
		tap "not ok" "vGPU removed"
	fi
	return "$failed"
}

main
