#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Host tier: mgpuctl, the admin CLI, built into build/userspace-tools and run against fake
# sysfs trees (selftests/host/mgpuctl/mkroot.sh) and libpci dump files. Prints TAP.
set -u
top="$(cd "$(dirname "$0")/../.." && pwd)"
fix="$top/selftests/host/mgpuctl"
bin="$top/build/userspace-tools/mgpuctl"
check="$fix/check.py"
dump="$fix/lspci.dump"
tmp=$(mktemp -d)
bg=""
trap '[ -n "$bg" ] && kill "$bg" 2>/dev/null; rm -rf "$tmp"' EXIT
# shellcheck source-path=SCRIPTDIR source=mgpuctl/mkroot.sh
. "$fix/mkroot.sh"
n=0
fails=0
R="$tmp/root"
PCI="$R/devices/pci0000:00/0000:00:03.0"
SOFT="$R/devices/platform/mgpu-soft.0"
NEW=11111111-2222-4333-8444-555555555555

result() {	# result <0 = pass> <description> [diagnostic file]
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n $2"
	else
		echo "not ok $n $2"
		[ -n "${3:-}" ] && [ -s "$3" ] && sed 's/^/# /' "$3" | head -20
		fails=$((fails + 1))
	fi
}

mc() {	# mc ARGS...: mgpuctl on the fake root; output in $out, stderr in $err, status in $rc
	"$bin" --sysfs-root "$R" --pci-dump "$dump" "$@" > "$tmp/out" 2> "$tmp/err"
	rc=$?
	out=$(cat "$tmp/out")
	err=$(cat "$tmp/err")
}

expect() {	# expect <description> <want status> <stdout+stderr regex>... (all must match)
	local d=$1 want=$2 ok=0 re
	shift 2
	[ "$rc" = "$want" ] || ok=1
	for re in "$@"; do
		printf '%s\n%s\n' "$out" "$err" | grep -qE -- "$re" || ok=1
	done
	{ echo "status $rc (want $want)"; cat "$tmp/out" "$tmp/err"; } > "$tmp/diag"
	result $ok "$d" "$tmp/diag"
}

is() {	# is <description> <file> <want content>
	local got
	got=$(cat "$2" 2>&1)
	echo "got '$got', want '$3'" > "$tmp/diag"
	[ "$got" = "$3" ]
	result $? "$1" "$tmp/diag"
}

echo "TAP version 13"
echo "1..73"

# ---- build
make -C "$top/userspace-tools/mgpuctl" O="$top/build/userspace-tools" > "$tmp/build" 2>&1
[ -x "$bin" ] && ! grep -q 'warning:' "$tmp/build"
result $? "mgpuctl builds without warnings" "$tmp/build"
[ -x "$bin" ] || exit 1
mkroot "$R"

# ---- command line
mc --version; expect "--version" 0 '^mgpuctl [0-9]+\.[0-9]+'
mc --help; expect "--help lists every command" 0 '^Usage: mgpuctl' ' list ' ' create ' \
	' remove ' ' set ' ' policy ' ' top ' ' stats ' ' snapshot ' ' tmem'
mc create --help; expect "create --help" 0 '^Usage: mgpuctl create PARENT TYPE \[UUID\]'
mc frobnicate; expect "unknown command is a usage error" 2 "unknown command 'frobnicate'"
mc; expect "no command is a usage error" 2 'no command given'
mc list --prometheus; expect "an option of another command is a usage error" 2 \
	"--prometheus does not apply to 'list'"
mc top --interval soon; expect "a bad --interval is a usage error" 2 'interval soon'
"$bin" --sysfs-root "$tmp/nonexistent" list > "$tmp/out" 2> "$tmp/err"
rc=$? out=$(cat "$tmp/out") err=$(cat "$tmp/err")
expect "a missing sysfs root is a clear error" 1 \
	"sysfs root $tmp/nonexistent: No such file or directory"
MGPU_SYSFS_ROOT="$R" MGPU_PCI_DUMP="$dump" "$bin" list --json > "$tmp/env.json" 2>&1
mc list --json
[ "$(cat "$tmp/env.json")" = "$out" ]
result $? "MGPU_SYSFS_ROOT and MGPU_PCI_DUMP work as the options do"

# ---- list
mc list
expect "list: the physical GPUs from libpci, mgpu's and others" 0 \
	'0000:00:03.0  Device 1234:1111 \[1234:1111\]  driver=mgpu  mgpu=yes' \
	'0000:00:05.0  .*driver=bochs-drm  mgpu=no'
echo "$out" | grep -qE '0000:00:0[04]\.0'
result $((!$?)) "list: the NIC and host bridge are not GPUs"
expect "list: parents with policy, utilization, scanout, VRAM and types" 0 \
	'0000:00:03.0  backend=pci  policy=best_effort  utilization=37%  contexts=3  scanout=host' \
	'VRAM: 64 MiB, 48 MiB in 2 vGPUs, 16 MiB free' \
	'mgpu-64M 0/1 mgpu-32M 0/2 mgpu-16M 1/4 mgpu-8M 2/8' \
	'mgpu-soft.0  backend=soft  policy=equal_share' 'VRAM: 128 MiB, 8 MiB in 1 vGPU, 120 MiB free' \
	'exact to 8 MiB'
expect "list: vGPUs with type, state, QoS and engine state" 0 \
	"$U1  0000:00:03.0  mgpu-16M .* in use .* 100 .* normal +busy" \
	"$U2  0000:00:03.0  mgpu-32M .* idle .*error: range at 0x1000" \
	"$U3  mgpu-soft.0 "
echo "$out" | grep -qE "mtty|$UM"
result $((!$?)) "list: another driver's mdev parent and device are left out"
mc list --json
echo "$out" > "$tmp/list.json"
python3 -m json.tool "$tmp/list.json" > /dev/null 2> "$tmp/diag"
result $? "list --json is valid JSON" "$tmp/diag"
python3 - "$tmp/list.json" "$U1" > "$tmp/diag" 2>&1 <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
gpus = {g["address"]: g for g in d["gpus"]}
assert set(gpus) == {"0000:00:03.0", "0000:00:05.0"}, gpus
assert gpus["0000:00:03.0"]["mgpu"] is True and gpus["0000:00:05.0"]["mgpu"] is False
assert gpus["0000:00:03.0"]["vendor_id"] == "1234" and gpus["0000:00:03.0"]["driver"] == "mgpu"
p = {p["name"]: p for p in d["parents"]}
assert set(p) == {"0000:00:03.0", "mgpu-soft.0"}, p
pci = p["0000:00:03.0"]
assert (pci["vram_free_mb"], pci["vram_total_mb"], pci["utilization"]) == (16, 64, 37), pci
assert [t["available_instances"] for t in pci["types"]] == [0, 0, 1, 2]
assert p["mgpu-soft.0"]["scanout"] is None
v = {g["uuid"]: g for g in d["vgpus"]}
assert v[sys.argv[2]]["qos"]["weight"] == 100 and v[sys.argv[2]]["state"] == "in use"
assert v[sys.argv[2]]["qos"]["latency_class"] == "normal"
EOF
result $? "list --json: GPUs, parents, types, vGPUs and QoS as numbers" "$tmp/diag"
"$bin" --sysfs-root "$R" list --json > "$tmp/sysfs.json" 2> "$tmp/diag"
python3 -c 'import json, sys
a, b = (json.load(open(f))["gpus"] for f in sys.argv[1:])
assert a == b, (a, b)' "$tmp/sysfs.json" "$tmp/list.json" >> "$tmp/diag" 2>&1
result $? "list: libpci's sysfs method below the root finds what the dump has" "$tmp/diag"
"$bin" --sysfs-root "$R" --pci-dump "$tmp/nodump" list > "$tmp/out" 2> "$tmp/err"
rc=$? out=$(cat "$tmp/out") err=$(cat "$tmp/err")
expect "list: a libpci failure is reported, and mgpu's GPUs still listed" 1 'libpci: ' \
	'mgpu-soft.0  backend=soft'
mkdir "$tmp/empty"
"$bin" --sysfs-root "$tmp/empty" list > "$tmp/out" 2> "$tmp/err"
rc=$? out=$(cat "$tmp/out") err=$(cat "$tmp/err")
expect "list: no mdev_bus says the modules are not loaded" 0 'modules are not loaded'

# ---- create
ct="$PCI/mdev_supported_types"
mc create 0000:00:03.0 mgpu-16M "$NEW"
expect "create with a UUID prints it" 0 "^$NEW\$"
is "create writes the UUID to the type's create" "$ct/mgpu-16M/create" "$NEW"
mc create mgpu-soft.0 8M
u=$(cat "$SOFT/mdev_supported_types/mgpu-8M/create")
[ "$rc" = 0 ] && [ "$out" = "$u" ] &&
	echo "$u" | grep -qE '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
result $? "create without a UUID makes one, writes and prints it"
mc create 00:03.0 8M "${NEW^^}"
[ "$rc" = 0 ] && [ "$(cat "$ct/mgpu-8M/create")" = "$NEW" ]
result $? "create: short parent address and type, UUID lowercased"
mc create 0000:00:03.0 mgpu-16M not-a-uuid
expect "create: a malformed UUID is a usage error" 2 "'not-a-uuid' is not a UUID"
mc create 0000:00:09.0 mgpu-16M
expect "create: an unknown parent is named, with the parents there are" 1 \
	"no GPU '0000:00:09.0' that mgpu drives" 'GPUs are: 0000:00:03.0 mgpu-soft.0'
mc create 0000:00:03.0 mgpu-128M
expect "create: an unknown type is named, with the parent's types" 1 \
	"has no type 'mgpu-128M'" 'types are: mgpu-64M mgpu-32M mgpu-16M mgpu-8M'
mc create 0000:00:03.0 mgpu-16M "$U1"
expect "create: a UUID in use is EEXIST" 1 "File exists" "UUID $U1 is in use"
rm "$ct/mgpu-64M/create"
ln -s /dev/full "$ct/mgpu-64M/create"	# writes fail with ENOSPC, even for root
mc create 0000:00:03.0 mgpu-64M "$NEW"
expect "create: ENOSPC explains the VRAM shortage" 1 \
	'creating a mgpu-64M vGPU on 0000:00:03.0: No space left on device' \
	'not enough free VRAM on 0000:00:03.0 for mgpu-64M; available_instances is 0'
rm "$ct/mgpu-32M/create"
mkdir "$ct/mgpu-32M/create"
mc create 0000:00:03.0 mgpu-32M "$NEW"
expect "create: a create that is a directory (EISDIR) fails" 1 'Is a directory'
rm "$SOFT/mdev_supported_types/mgpu-16M/create"
ln -s "$tmp/gone" "$SOFT/mdev_supported_types/mgpu-16M/create"
mc create mgpu-soft.0 mgpu-16M "$NEW"
[ "$rc" = 1 ] && echo "$err" | grep -q 'No such file or directory' && [ ! -e "$tmp/gone" ]
result $? "create: a dangling create (ENOENT) fails and creates no file"

# ---- remove
mc remove "$U2"
[ "$rc" = 0 ] && [ "$(cat "$PCI/$U2/remove")" = 1 ]
result $? "remove writes 1 to the vGPU's remove"
mc remove "$U1"
expect "remove: a vGPU in use is said to wait for its VM" 0 'in use: removal waits'
mc remove "$NEW"
expect "remove: an unknown vGPU fails" 1 "no vGPU $NEW"
mc remove 42
expect "remove: a malformed UUID is a usage error" 2 "'42' is not a UUID"

# ---- set
q="$PCI/$U1/mgpu"
mc set "$U1" weight=4 cap=50 reservation=10 timeslice_ms=5 latency_class=interactive \
	resolution=1280x800
[ "$rc" = 0 ] &&
	[ "$(cat "$q/weight" "$q/cap" "$q/reservation" "$q/timeslice_ms" "$q/latency_class" \
		"$q/resolution" | tr '\n' ' ')" = "4 50 10 5 interactive 1280x800 " ]
result $? "set writes each key to mgpu/<key>"
mc set "$U1" weight=9 colour=red
expect "set: an unknown key is a usage error" 2 "unknown key 'colour'"
is "set: a usage error writes nothing" "$q/weight" 4
mc set "$U1" cap=150
expect "set: a value out of range is a usage error" 2 'cap=150: cap is 1..100'
mc set "$U1" latency_class=fast
expect "set: an unknown latency class is a usage error" 2 'latency_class is normal or interactive'
mc set "$U1" resolution=big
expect "set: a malformed resolution is a usage error" 2 'resolution=big'
mc set "$U1" weight
expect "set: KEY without =VALUE is a usage error" 2 "'weight' is not KEY=VALUE"
rm "$q/reservation"
ln -s /dev/full "$q/reservation"
mc set "$U1" weight=7 reservation=5 timeslice_ms=3
expect "set stops at the first refusal, names it, says what was applied" 1 \
	"set reservation=5 on vGPU $U1: No space left on device" 'already applied: weight=7'
[ "$(cat "$q/weight")" = 7 ] && [ "$(cat "$q/timeslice_ms")" = 5 ]
result $? "set: keys after the refusal are not written"
rm "$q/reservation"
echo 10 > "$q/reservation"

# ---- policy
mc policy 0000:00:03.0
expect "policy shows the policy" 0 '^best_effort$'
mc policy 00:03.0 fixed_share
[ "$rc" = 0 ]
is "policy sets the policy" "$PCI/mgpu_engine/policy" fixed_share
mc policy mgpu-soft.0 fastest
expect "policy: an unknown policy is a usage error" 2 "'fastest' is not best_effort"
mv "$SOFT/mgpu_engine" "$tmp/engine.saved"
mc policy mgpu-soft.0
expect "policy: a GPU without mgpu_engine is explained" 1 'has no mgpu_engine/policy'
mv "$tmp/engine.saved" "$SOFT/mgpu_engine"

# ---- stats
mc stats
expect "stats: text, one attribute a line" 0 "^vgpu $U1 mgpu/interrupts 42\$" \
	"^vgpu $U1 engine/latency_us 64:10 128:3 256:0 1024:2 inf:0\$" \
	'^type 0000:00:03.0/mgpu-8M available_instances 2$'
mc stats --json
echo "$out" > "$tmp/stats.json"
python3 -m json.tool "$tmp/stats.json" > /dev/null 2> "$tmp/diag"
result $? "stats --json is valid JSON" "$tmp/diag"
python3 "$check" stats "$R" "$tmp/stats.json" > "$tmp/diag" 2>&1
result $? "stats --json: every value matches its sysfs file" "$tmp/diag"
mc stats --prometheus
echo "$out" > "$tmp/prom"
python3 "$check" prom "$tmp/prom" > "$tmp/samples" 2> "$tmp/diag"
result $? "stats --prometheus: HELP/TYPE, names, labels, numbers, histograms valid" "$tmp/diag"
grep -qxF "mgpu_vgpu_engine_busy_seconds_total|uuid=$U1,parent=0000:00:03.0,type=mgpu-16M|1.5" \
	"$tmp/samples" &&
	grep -qxF "mgpu_vgpu_vram_bytes|uuid=$U1,parent=0000:00:03.0,type=mgpu-16M|1.67772e+07" \
		"$tmp/samples" &&
	grep -qxF "mgpu_vgpu_interrupts_total|uuid=$U3,parent=mgpu-soft.0,type=mgpu-8M|42" \
		"$tmp/samples" &&
	grep -qxF "mgpu_parent_engine_utilization_ratio|parent=0000:00:03.0|0.37" "$tmp/samples" &&
	grep -qxF "mgpu_type_available_instances|parent=mgpu-soft.0,type=mgpu-8M|15" \
		"$tmp/samples" &&
	grep -qxF "mgpu_vgpu_engine_latency_seconds_bucket|uuid=$U1,parent=0000:00:03.0,type=mgpu-16M,le=0.000128|13" \
		"$tmp/samples"
result $? "stats --prometheus: the metrics carry the sysfs values in base units" "$tmp/samples"
printf '%s\n' "odd\"policy\\" > "$SOFT/mgpu_engine/policy"
mc stats --prometheus
echo "$out" > "$tmp/prom"
python3 "$check" prom "$tmp/prom" > "$tmp/samples" 2> "$tmp/diag" &&
	grep -qxF 'mgpu_parent_info|parent=mgpu-soft.0,backend=soft,policy=odd"policy\|1' \
		"$tmp/samples"
result $? "stats --prometheus: label values are escaped" "$tmp/diag"
echo equal_share > "$SOFT/mgpu_engine/policy"
mc stats --json --prometheus
expect "stats: --json and --prometheus together are a usage error" 2 'exclude each other'

# ---- top
e="$PCI/$U1/engine"
bump() {	# the engine does 100 ms of work and 100 commands, 0.3 s into the sample
	sleep 0.3
	echo 1600000000 > "$tmp/v" && mv "$tmp/v" "$e/busy_ns"
	echo 5100 > "$tmp/v" && mv "$tmp/v" "$e/commands"
	echo "64:10 128:53 256:0 1024:2 inf:1" > "$tmp/v" && mv "$tmp/v" "$e/latency_us"
	echo 5200000000 > "$tmp/v" && mv "$tmp/v" "$PCI/mgpu_engine/busy_ns"
}
bump &
bg=$!
mc top --once --plain --interval 1 -n 1
wait "$bg"
bg=""
expect "top --once --plain: a header and one row per vGPU" 0 '^mgpuctl top .*interval 1\.0' \
	'^UUID +PARENT +TYPE +MiB +SHARE +CMD/S +P50 +P99 +ERRORS +STATE +ENGINE' \
	"^$U2 " "^$U3 "
echo "$out" | awk -v u="$U1" '$1 == u {
	share = $5; sub("%", "", share); share += 0
	exit !(share >= 8 && share <= 12.5 && $6 >= 80 && $6 <= 125 && $7 == "<=128us" &&
	       $8 == ">1024us" && $4 == 16) }'
result $? "top: share, commands/s and p50/p99 from the deltas over the interval"
echo "$out" | grep -qE '^0000:00:03\.0 +fixed_share +(19|20|21)\.[0-9]%'
result $? "top: the GPU's engine use over the interval"
mc top --plain --interval 0.05 -n 3
[ "$rc" = 0 ] && [ "$(echo "$out" | grep -c '^mgpuctl top')" = 3 ] && ! echo "$out" | grep -q $'\e'
result $? "top -n 3: three plain blocks, no escape sequences"

# ---- snapshot
fb1="$PCI/$U1/mgpu/framebuffer"
python3 "$check" fb "$fb1" 32 64 48 512 4096 little
mc snapshot "$U1" "$tmp/u1.png"
[ "$rc" = 0 ] && python3 "$check" png "$tmp/u1.png" 32 64 48 > "$tmp/diag" 2>&1
result $? "snapshot: 32 bpp (XRGB8888) with stride and offset, every pixel" "$tmp/diag"
python3 "$check" fb "$PCI/$U2/mgpu/framebuffer" 16 40 30 96 0 little
mc snapshot "$U2" "$tmp/u2.png"
[ "$rc" = 0 ] && python3 "$check" png "$tmp/u2.png" 16 40 30 > "$tmp/diag" 2>&1
result $? "snapshot: 16 bpp (RGB565), every pixel" "$tmp/diag"
echo "64x48 bpp=32 stride=512 offset=4096 endian=big" > "$PCI/$U1/mgpu/mode"
python3 "$check" fb "$fb1" 32 64 48 512 4096 big
mc snapshot "$U1" "$tmp/u1b.png"
[ "$rc" = 0 ] && python3 "$check" png "$tmp/u1b.png" 32 64 48 > "$tmp/diag" 2>&1
result $? "snapshot: 32 bpp big endian" "$tmp/diag"
fb3="$SOFT/$U3/mgpu/framebuffer"
mc snapshot "$U3" "$tmp/u3.png"
[ ! -e "$tmp/u3.png" ]
expect "snapshot: a display that is off fails clearly" 1 'mgpu/mode is "off"'
while read -r bpp w h stride off; do
	echo "${w}x$h bpp=$bpp stride=$stride offset=$off endian=little" > "$SOFT/$U3/mgpu/mode"
	python3 "$check" fb "$fb3" "$bpp" "$w" "$h" "$stride" "$off" little
	mc snapshot "$U3" "$tmp/u3.png"
	[ "$rc" = 0 ] && python3 "$check" png "$tmp/u3.png" "$bpp" "$w" "$h" > "$tmp/diag" 2>&1
	result $? "snapshot: $bpp bpp" "$tmp/diag"
done <<EOF
24 33 20 100 64
15 17 9 40 0
8 24 16 24 1000
EOF
echo "$err" | grep -q 'palette-indexed'
result $? "snapshot: 8 bpp says the palette is not known"
echo "1024x768 bpp=32 stride=4096 offset=8000000 endian=little" > "$SOFT/$U3/mgpu/mode"
mc snapshot "$U3" "$tmp/u3.png"
expect "snapshot: a frame past the end of the framebuffer fails" 1 'reaches past the end'
# A guest that changes its mode during the copy: the shim renames shim/mode.<k> over the
# mode file at the k-th read of the frame's first row.
cc -D_GNU_SOURCE -shared -fPIC -o "$tmp/shim.so" "$fix/modeshim.c" -ldl 2> "$tmp/diag"
mkdir "$tmp/shim"
small="8x8 bpp=32 stride=64 offset=0 endian=little"
large="16x16 bpp=32 stride=64 offset=0 endian=little"
python3 "$check" fb "$fb3" 32 16 16 64 0 little
echo "$small" > "$SOFT/$U3/mgpu/mode"
echo "$large" > "$tmp/shim/mode.1"
shim() {
	LD_PRELOAD="$tmp/shim.so" SHIM_DIR="$tmp/shim" SHIM_MODE="$SOFT/$U3/mgpu/mode" mc "$@"
}
shim snapshot "$U3" "$tmp/u3.png"
[ "$rc" = 0 ] && python3 "$check" png "$tmp/u3.png" 32 16 16 >> "$tmp/diag" 2>&1
result $? "snapshot: a mode change during the copy is retried with the new mode" "$tmp/diag"
echo "$small" > "$SOFT/$U3/mgpu/mode"
for i in 1 3 5 7; do
	echo "$large" > "$tmp/shim/mode.$i"
	echo "$small" > "$tmp/shim/mode.$((i + 1))"
done
shim snapshot "$U3" "$tmp/u3x.png"
[ ! -e "$tmp/u3x.png" ]
expect "snapshot: a mode that keeps changing fails after 3 retries" 1 \
	'changed its mode during each of 4 copies'

# ---- tmem
mc tmem
expect "tmem: not loaded" 0 '^tmem: not loaded \(mgpu_tmem.ko provides it\)$'
mkdir -p "$R/kernel/mgpu_tmem/clients/1" "$R/kernel/mgpu_tmem/pools"
echo 256 > "$R/kernel/mgpu_tmem/pages"
echo 3 > "$R/kernel/mgpu_tmem/clients/1/pools"
mc tmem
expect "tmem: attributes, clients and pools when loaded" 0 '^tmem: loaded$' '^  pages: 256$' \
	'^clients:$' '^  1: pools=3$' '^pools:$'
c=$R/kernel/mgpu_tmem/clients/2
mkdir -p "$c"
echo mgpu_tmem0 > "$c/name"; echo 4 > "$c/weight"; echo 4194304 > "$c/share_bytes"
echo 1048576 > "$c/bytes"; echo 200 > "$c/gets"; echo 150 > "$c/hits"
mc tmem
expect "tmem: occupancy against the weighted share, hit rate" 0 '^occupancy:$' \
	'^  2 +mgpu_tmem0 +4 +4096 +1024 +25\.0 +75\.0$'

[ "$fails" = 0 ]
