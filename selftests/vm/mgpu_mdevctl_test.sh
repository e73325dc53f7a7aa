#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# VM tier: mgpu through mdevctl, as libvirt and Nova drive it — types, start/stop/list,
# persistent definitions with auto-start (the udev rule's start-parent-mdevs), QoS
# attributes persisted in the definition and applied at start, refusals, and a tmem
# device with its weight. Prints TAP.
set -u
parent=${MGPU_PARENT:-mgpu-soft.0}
types=/sys/class/mdev_bus/$parent/mdev_supported_types
n=0
fails=0

ok() {	# ok <description> <command...>
	local d=$1
	shift
	n=$((n + 1))
	if out=$("$@" 2>&1); then
		echo "ok $n $d"
	else
		echo "not ok $n $d"
		printf '%s\n' "$out" | sed 's/^/# /'
		fails=$((fails + 1))
	fi
}

echo "TAP version 13"
if ! command -v mdevctl >/dev/null || [ ! -d "$types" ]; then
	echo "1..0 # SKIP mdevctl or the $parent parent is missing"
	exit 0
fi
echo "1..17"
u1=$(cat /proc/sys/kernel/random/uuid)
u2=$(cat /proc/sys/kernel/random/uuid)
avail() { cat "$types/$1/available_instances"; }
has_json() {	# has_json <file> <python expression over the parsed JSON "j">
	python3 -c "import json,sys; j=json.load(open(sys.argv[1])); sys.exit(0 if ($2) else 1)" "$1"
}

ok "mdevctl types lists the parent's types with name and availability" \
	sh -c "mdevctl types | grep -A3 -E '^  mgpu-16M\$' | grep -q 'Available instances: $(avail mgpu-16M)' &&
	       mdevctl types | grep -q 'Name: mgpu 16M'"
before=$(avail mgpu-16M)
ok "mdevctl start creates the vGPU" mdevctl start -u "$u1" -p "$parent" -t mgpu-16M
ok "the started vGPU is in sysfs and counted" \
	sh -c "test -e /sys/bus/mdev/devices/$u1 && test $((before - 1)) = \$(cat $types/mgpu-16M/available_instances)"
ok "mdevctl list shows it with its type" sh -c "mdevctl list | grep -q '$u1 $parent mgpu-16M'"
ok "mdevctl stop removes it" sh -c "mdevctl stop -u $u1 && test ! -e /sys/bus/mdev/devices/$u1"
ok "mdevctl define --auto writes a persistent definition" \
	sh -c "mdevctl define -u $u2 -p $parent -t mgpu-8M --auto &&
	       test -f /etc/mdevctl.d/$parent/$u2"
ok "the definition records the type and auto-start" \
	has_json "/etc/mdevctl.d/$parent/$u2" "j['mdev_type'] == 'mgpu-8M' and j['start'] == 'auto'"
ok "QoS attributes are saved in the definition (mdevctl modify --addattr)" \
	sh -c "mdevctl modify -u $u2 --addattr=mgpu/weight --value=6 &&
	       mdevctl modify -u $u2 --addattr=mgpu/cap --value=50 &&
	       mdevctl modify -u $u2 --addattr=mgpu/latency_class --value=interactive &&
	       grep -q 'mgpu/weight' /etc/mdevctl.d/$parent/$u2"
ok "the parent's registration starts defined vGPUs (udev's start-parent-mdevs)" \
	sh -c "mdevctl start-parent-mdevs $parent && test -e /sys/bus/mdev/devices/$u2"
ok "the started vGPU has the saved QoS" \
	sh -c "test \$(cat /sys/bus/mdev/devices/$u2/mgpu/weight) = 6 &&
	       test \$(cat /sys/bus/mdev/devices/$u2/mgpu/cap) = 50 &&
	       test \$(cat /sys/bus/mdev/devices/$u2/mgpu/latency_class) = interactive"
u4=$(cat /proc/sys/kernel/random/uuid)
ok "a definition with an invalid QoS value fails to start and leaves nothing" \
	sh -c "mdevctl define -u $u4 -p $parent -t mgpu-8M &&
	       mdevctl modify -u $u4 --addattr=mgpu/reservation --value=150 &&
	       ! mdevctl start -u $u4 && test ! -e /sys/bus/mdev/devices/$u4 &&
	       mdevctl undefine -u $u4"
ok "mdevctl list --defined shows the definition" \
	sh -c "mdevctl list --defined | grep -q '$u2 $parent mgpu-8M auto'"
# Fill the GPU, then mdevctl must refuse another start without leaving a device behind.
while [ "$(avail mgpu-8M)" != 0 ]; do
	mdevctl start -u "$(cat /proc/sys/kernel/random/uuid)" -p "$parent" -t mgpu-8M >/dev/null 2>&1 || break
done
u3=$(cat /proc/sys/kernel/random/uuid)
ok "at capacity, mdevctl start fails and leaves nothing" \
	sh -c "! mdevctl start -u $u3 -p $parent -t mgpu-8M && test ! -e /sys/bus/mdev/devices/$u3"
for d in /sys/bus/mdev/devices/*; do
	[ -e "$d" ] && mdevctl stop -u "${d##*/}" >/dev/null 2>&1
done
# The tmem device: a parent of mgpu_tmem.ko's own, its weight persisted like QoS.
tparent=mgpu_tmem
u5=$(cat /proc/sys/kernel/random/uuid)
if [ -d "/sys/class/mdev_bus/$tparent/mdev_supported_types/mgpu_tmem-1" ]; then
	ok "mdevctl types lists the tmem device type" \
		sh -c "mdevctl types | grep -q -E '^  mgpu_tmem-1\$'"
	ok "a tmem device defined with a weight starts with it, on its engine client too" \
		sh -c "mdevctl define -u $u5 -p $tparent -t mgpu_tmem-1 &&
		       mdevctl modify -u $u5 --addattr=mgpu_tmem/weight --value=7 &&
		       mdevctl start -u $u5 &&
		       test \$(cat /sys/bus/mdev/devices/$u5/mgpu_tmem/weight) = 7 &&
		       c=\$(cat /sys/bus/mdev/devices/$u5/mgpu_tmem/client) &&
		       test \$(cat /sys/kernel/mgpu_tmem/clients/\$c/weight) = 7"
	ok "mdevctl stop and undefine remove the tmem device and its client" \
		sh -c "c=\$(cat /sys/bus/mdev/devices/$u5/mgpu_tmem/client) &&
		       mdevctl stop -u $u5 && mdevctl undefine -u $u5 &&
		       test ! -e /sys/bus/mdev/devices/$u5 &&
		       test ! -e /sys/kernel/mgpu_tmem/clients/\$c"
	# Leave nothing behind when one of them failed half-way.
	mdevctl stop -u "$u5" >/dev/null 2>&1
	mdevctl undefine -u "$u5" >/dev/null 2>&1
else
	for _ in 1 2 3; do
		n=$((n + 1))
		echo "ok $n # SKIP no $tparent parent: mgpu_tmem.ko is not loaded"
	done
fi
ok "mdevctl undefine removes the definition" \
	sh -c "mdevctl undefine -u $u2 && test ! -e /etc/mdevctl.d/$parent/$u2"
[ "$fails" = 0 ]
