#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# VM tier: mgpuctl against the real module, as an admin uses it — list (text, JSON),
# create, set (and a refusal with the kernel's reason), policy, stats (JSON values equal
# to sysfs, Prometheus format), top, snapshot (the PNG decodes to the frame a driver
# drew through VFIO), remove. Prints TAP.
set -u
top=${MGPU_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
mgpuctl=$top/build/userspace-tools/mgpuctl
draw=$top/build/selftests/vm/mgpu_draw
check=$top/selftests/host/mgpuctl/check.py
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
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
parent=
for p in /sys/class/mdev_bus/mgpu-soft.*; do [ -e "$p" ] && parent=${p##*/} && break; done
if [ ! -x "$mgpuctl" ] || [ -z "$parent" ]; then
	echo "1..0 # SKIP mgpuctl is not built (make tools) or no software GPU is loaded"
	exit 0
fi
echo "1..13"
sysdev=/sys/bus/mdev/devices

ok "list names the GPU and its types" \
	sh -c "'$mgpuctl' list | grep -q '$parent' && '$mgpuctl' list | grep -q 'mgpu-8M'"
ok "list --json is valid JSON with the parent" \
	sh -c "'$mgpuctl' list --json > $tmp/list.json &&
	       python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); sys.exit(0 if \"$parent\" in json.dumps(j) else 1)' $tmp/list.json"
u=$("$mgpuctl" create "$parent" mgpu-8M 2> "$tmp/create.err")
ok "create prints the new vGPU's UUID and the kernel has it" \
	sh -c "test -n '$u' && test -e $sysdev/$u && cat $tmp/create.err"
ok "set writes the QoS knobs" \
	sh -c "'$mgpuctl' set $u weight=3 cap=60 timeslice_ms=7 latency_class=interactive &&
	       test \$(cat $sysdev/$u/mgpu/weight) = 3 && test \$(cat $sysdev/$u/mgpu/cap) = 60 &&
	       test \$(cat $sysdev/$u/mgpu/timeslice_ms) = 7 &&
	       test \$(cat $sysdev/$u/mgpu/latency_class) = interactive"
ok "set refuses a reservation above the cap: exit 1, the key and the reason" \
	sh -c "! '$mgpuctl' set $u reservation=80 > $tmp/set.out 2>&1; rc=\$?;
	       cat $tmp/set.out; grep -q reservation $tmp/set.out &&
	       test \$(cat $sysdev/$u/mgpu/reservation) = 0"
ok "an unknown key is a usage error (exit 2)" \
	sh -c "'$mgpuctl' set $u colour=red; test \$? = 2"
ok "policy switches the GPU's scheduler" \
	sh -c "'$mgpuctl' policy $parent fixed_share &&
	       grep -q fixed_share /sys/class/mdev_bus/$parent/mgpu_engine/policy &&
	       '$mgpuctl' policy $parent best_effort"
ok "stats --json matches sysfs" \
	sh -c "'$mgpuctl' stats --json > $tmp/stats.json &&
	       python3 '$check' stats /sys $tmp/stats.json"
ok "stats --prometheus is valid text format" \
	sh -c "'$mgpuctl' stats --prometheus > $tmp/prom.txt && python3 '$check' prom $tmp/prom.txt"
ok "top --once --plain shows the vGPU" \
	sh -c "'$mgpuctl' top --once --plain --interval 1 | grep -q $u"
ok "a guest driver draws a 320x200 frame through VFIO" "$draw" "$u" 320 200
ok "snapshot saves that frame as a PNG, pixel for pixel" \
	sh -c "'$mgpuctl' snapshot $u $tmp/shot.png && python3 '$check' png $tmp/shot.png 32 320 200"
ok "remove takes the vGPU away" sh -c "'$mgpuctl' remove $u && test ! -e $sysdev/$u"
[ "$fails" = 0 ]
