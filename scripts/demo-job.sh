# SPDX-License-Identifier: GPL-2.0-only
# The demo, inside the VM (see scripts/demo.sh).
set -u
cd "$MGPU_TOP"
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
types() {
	local p t
	printf '%-14s %-10s %-11s %-9s %s\n' PARENT TYPE NAME AVAILABLE DESCRIPTION
	for p in /sys/class/mdev_bus/*; do
		for t in "$p"/mdev_supported_types/*; do
			printf '%-14s %-10s %-11s %-9s %s\n' "${p##*/}" "${t##*/}" \
				"$(cat "$t/name")" "$(cat "$t/available_instances")" "$(cat "$t/description")"
		done
	done
}

say "modprobe vfio_iommu_type1 mdev; insmod mgpu.ko soft_gpus=2 soft_vram_mb=256"
modprobe -a vfio_iommu_type1 mdev || exit 1
insmod "build/$(uname -r)/mod/mgpu.ko" soft_gpus=2 soft_vram_mb=256 || exit 1
dmesg | grep -E 'mgpu' | sed 's/^/  /'

say "two software GPUs, each sliced into types by VRAM"
types

say "creating vGPUs of mixed sizes"
uuids=()
for spec in mgpu-soft.0/mgpu-128M mgpu-soft.0/mgpu-64M mgpu-soft.0/mgpu-32M \
	    mgpu-soft.1/mgpu-16M mgpu-soft.1/mgpu-16M; do
	u=$(cat /proc/sys/kernel/random/uuid)
	if echo "$u" > "/sys/class/mdev_bus/${spec%/*}/mdev_supported_types/${spec#*/}/create"; then
		echo "  created $u on ${spec%/*} as ${spec#*/}"
		uuids+=("$u")
	fi
done
say "available_instances follow the free VRAM"
types

say "a create beyond capacity is refused with a reason"
u=$(cat /proc/sys/kernel/random/uuid)
echo "$u" > /sys/class/mdev_bus/mgpu-soft.0/mdev_supported_types/mgpu-64M/create ||
	dmesg | grep 'no room' | tail -n 1 | sed 's/^/  kernel: /'

say "QEMU opens each vGPU with -device vfio-pci,sysfsdev=... (what a guest would see)"
for u in "${uuids[@]}"; do
	sock=/tmp/qmp-$u
	qemu-system-x86_64 -machine q35 -S -display none -nodefaults \
		-qmp "unix:$sock,server=on,wait=off" \
		-device "vfio-pci,sysfsdev=/sys/bus/mdev/devices/$u,addr=04.0" \
		2> "/tmp/qemu-$u.err" &
	pid=$!
	for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.2; done
	info=$(python3 - "$sock" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
f = s.makefile("rw")
f.readline()
for cmd in ({"execute": "qmp_capabilities"},
            {"execute": "human-monitor-command", "arguments": {"command-line": "info pci"}},
            {"execute": "quit"}):
    f.write(json.dumps(cmd) + "\n"); f.flush()
    while True:
        r = json.loads(f.readline())
        if "return" in r or "error" in r:
            break
    if cmd["execute"] == "human-monitor-command":
        out = r.get("return", "")
print(out)
PY
)
	wait "$pid"
	echo "  vGPU $u ($(basename "$(readlink "/sys/bus/mdev/devices/$u/mdev_type")")):"
	echo "$info" | grep -A6 -E 'Bus +0, device +4' | grep -v -E '^ *id ""' | sed 's/^/    /'
	[ -s "/tmp/qemu-$u.err" ] && sed 's/^/    qemu: /' "/tmp/qemu-$u.err"
done

say "removing the vGPUs and unloading mgpu"
for u in "${uuids[@]}"; do
	echo 1 > "/sys/bus/mdev/devices/$u/remove"
done
types | head -n 3
rmmod mgpu && echo "  mgpu unloaded"
