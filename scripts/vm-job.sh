# SPDX-License-Identifier: GPL-2.0-only
# The test job that runs inside the test VM (appended to job.sh by vm.sh, run by bash in
# the host's root). Loads the modules, runs each selected tier's tests and records:
#   $MGPU_OUT/plan      "tier name" for every test it will run (before running any)
#   $MGPU_OUT/results   "tier name status seconds" as each finishes (124 = timed out)
#   $MGPU_OUT/limits    "tier-name seconds": the time limit each test ran under
#   $MGPU_OUT/<tier>-<name>.tap, $MGPU_OUT/dmesg.txt
set -u
out=$MGPU_OUT
top=$MGPU_TOP
kver=$(uname -r)
tiers=${MGPU_TIERS:-vm qemu guest}
export MGPU_TEST_TIMEOUT=${MGPU_TEST_TIMEOUT:-600}
test_timeout=$MGPU_TEST_TIMEOUT
ulimit -l unlimited
ulimit -c 0
cd "$top" || exit 1

# The job's own checks, as TAP: module load and unload are tests too.
lifecycle=()
step() {	# step <description> <command...>
	local d=$1; shift
	if "$@" >> "$out/lifecycle.log" 2>&1; then
		lifecycle+=("ok|$d")
	else
		lifecycle+=("not ok|$d")
	fi
}
write_lifecycle() {
	{
		echo "TAP version 13"
		echo "1..${#lifecycle[@]}"
		local i=0 l
		for l in "${lifecycle[@]}"; do
			i=$((i + 1))
			echo "${l%%|*} $i ${l#*|}"
		done
	} > "$out/vm-lifecycle.tap"
}

tests=()
for tier in $tiers; do
	case "$tier" in
	vm|qemu)
		for t in build/selftests/$tier/*_test selftests/$tier/*_test.sh; do
			[ -x "$t" ] && tests+=("$tier $(basename "$t" .sh) $t")
		done ;;
	guest)
		tests+=("guest nested selftests/guest/run-nested.sh") ;;
	esac
done
# MGPU_ONLY (a regular expression over "<tier> <name>") narrows a developer's run.
if [ -n "${MGPU_ONLY:-}" ]; then
	only=()
	for t in "${tests[@]}"; do
		set -- $t
		[[ "$1 $2" =~ $MGPU_ONLY ]] && only+=("$t")
	done
	tests=("${only[@]}")
fi
[ "${MGPU_INJECT:-}" = fail ] && tests+=("vm inject_fail build/selftests/inject/fail_test")
: > "$out/plan"
: > "$out/results"
for t in "${tests[@]}"; do
	set -- $t
	echo "$1 $2" >> "$out/plan"
done
echo "vm lifecycle" >> "$out/plan"

# The VM's boot, up to this job (seconds since the kernel started).
awk '{ print int($1) }' /proc/uptime > "$out/boot-seconds"
lc_start=$SECONDS
step "modprobe vfio_iommu_type1 and mdev" modprobe -a vfio_iommu_type1 mdev
step "insmod mgpu.ko ($kver)" insmod "build/$kver/mod/mgpu.ko"
# tmem, with lz4 so that its tests cover compression (insmod resolves no crypto module).
step "insmod mgpu_tmem.ko compression=lz4 ($kver)" \
	sh -c 'modprobe lz4 && insmod "$1" compression=lz4' - "build/$kver/mod/mgpu_tmem.ko"
case "${MGPU_INJECT:-}" in
warn) insmod "build/$kver/inject/mgpu_inject_warn.ko" ;;
hang) echo "inject: hanging the job"; sleep infinity ;;
esac

lc_secs=$((SECONDS - lc_start))
for t in "${tests[@]}"; do
	set -- $t
	echo "== $1/$2"
	limit=$test_timeout
	# One nested boot (up to ~340 s seen) and every guest-side test in it.
	[ "$1" = guest ] && limit=${MGPU_GUEST_TIMEOUT:-900}
	started=$SECONDS
	MGPU_TEST_TIMEOUT=$limit timeout -k 10 "$limit" "$3" > "$out/$1-$2.tap" 2>&1 < /dev/null
	rc=$?
	echo "$1 $2 $rc $((SECONDS - started))" >> "$out/results"
	echo "$1-$2 $limit" >> "$out/limits"
	mgpu_left=$(ls /sys/bus/mdev/devices 2>/dev/null | wc -l)
	[ "$mgpu_left" = 0 ] || echo "warning: $1/$2 left $mgpu_left mdev devices behind"
done

lc_start=$SECONDS
step "no vGPU left behind by the tests" test -z "$(ls /sys/bus/mdev/devices)"

# Unload with vGPUs alive: refused while QEMU holds one, and removes idle ones.
new_vgpu() {	# new_vgpu <type>: create one on the software GPU, print its UUID
	local u
	u=$(cat /proc/sys/kernel/random/uuid)
	echo "$u" > "/sys/class/mdev_bus/mgpu-soft.0/mdev_supported_types/$1/create" && echo "$u"
}
held=$(new_vgpu mgpu-16M)
idle=$(new_vgpu mgpu-8M)
qemu-system-x86_64 -machine q35 -S -display none -nodefaults \
	-device "vfio-pci,sysfsdev=/sys/bus/mdev/devices/$held" > "$out/unload-qemu.log" 2>&1 &
qpid=$!
holds_vfio() { ls -l "/proc/$qpid/fd" 2>/dev/null | grep -q '/dev/vfio/[0-9]'; }
for _ in $(seq 120); do holds_vfio && break; sleep 0.5; done
step "QEMU opens a vGPU for the unload check" holds_vfio
step "rmmod is refused while QEMU holds a vGPU" sh -c '! rmmod mgpu'
kill "$qpid"
wait "$qpid"
step "rmmod with idle vGPUs alive removes them" rmmod mgpu
step "no vGPU is left after the unload" \
	test ! -e "/sys/bus/mdev/devices/$held" -a ! -e "/sys/bus/mdev/devices/$idle"
# The same for tmem devices, whose parent is mgpu_tmem.ko's own.
new_tmem() {	# new_tmem: create a tmem device, print its UUID
	local u
	u=$(cat /proc/sys/kernel/random/uuid)
	echo "$u" > /sys/class/mdev_bus/mgpu_tmem/mdev_supported_types/mgpu_tmem-1/create &&
		echo "$u"
}
held=$(new_tmem)
idle=$(new_tmem)
qemu-system-x86_64 -machine q35 -S -display none -nodefaults \
	-device "vfio-pci,sysfsdev=/sys/bus/mdev/devices/$held" > "$out/unload-tmem-qemu.log" 2>&1 &
qpid=$!
for _ in $(seq 120); do holds_vfio && break; sleep 0.5; done
step "QEMU opens a tmem device for the unload check" holds_vfio
step "rmmod mgpu_tmem is refused while QEMU holds a tmem device" sh -c '! rmmod mgpu_tmem'
kill "$qpid"
wait "$qpid"
step "rmmod mgpu_tmem with idle tmem devices alive removes them and the block devices" \
	rmmod mgpu_tmem
step "no tmem device is left after the unload" \
	test ! -e "/sys/bus/mdev/devices/$held" -a ! -e "/sys/bus/mdev/devices/$idle"
write_lifecycle
echo "vm lifecycle 0 $((lc_secs + SECONDS - lc_start))" >> "$out/results"
dmesg > "$out/dmesg.txt"
exit 0
