# SPDX-License-Identifier: GPL-2.0-only
# The demo, inside the VM (see scripts/demo.sh): two Bochs GPUs driven by mgpu, vGPUs
# of mixed sizes with different QoS, one QEMU per vGPU running GPU work (each draws an
# animation with its vGPU's command engine, see userspace-tools/demo/), mgpuctl top
# while they run, tmem cache devices sharing one pool by weight, and each vGPU's screen
# saved as a PNG in $MGPU_OUT.
set -u
cd "$MGPU_TOP"
bin=$MGPU_TOP/build/userspace-tools
mgpuctl=$bin/mgpuctl
seconds=${MGPU_DEMO_SECONDS:-40}
hold=/tmp/mgpu-demo-hold
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

say "modprobe vfio_iommu_type1 mdev; insmod mgpu.ko (its PCI backend takes both Bochs GPUs)"
modprobe -a vfio_iommu_type1 mdev || exit 1
insmod "build/$(uname -r)/mod/mgpu.ko" soft_gpus=0 pci_gpus=all || exit 1
dmesg | grep -E 'mgpu' | sed 's/^/  kernel: /'
gpus=()
for p in /sys/class/mdev_bus/*; do gpus+=("${p##*/}"); done
[ ${#gpus[@]} -ge 2 ] || { echo "demo: expected two Bochs GPUs, found ${#gpus[@]}"; exit 1; }

say "the GPUs, their types and what is free"
run "$mgpuctl" list

say "vGPUs of mixed sizes, each with its own QoS"
# gpu  type       QoS                                  color (RGB)
seats=(
	"${gpus[0]} mgpu-32M weight=1                        0xff4040"
	"${gpus[0]} mgpu-16M weight=2                        0x40ff40"
	"${gpus[0]} mgpu-16M weight=4                        0x4080ff"
	"${gpus[1]} mgpu-32M weight=1,cap=25                 0xffc040"
	"${gpus[1]} mgpu-16M latency_class=interactive       0xc040ff"
)
uuids=()
for s in "${seats[@]}"; do
	read -r gpu type qos color <<< "$s"
	u=$("$mgpuctl" create "$gpu" "$type") || continue
	uuids+=("$u")
	colors+=("$color")
	# shellcheck disable=SC2046
	run "$mgpuctl" set "$u" $(echo "$qos" | tr ',' ' ')
done
run "$mgpuctl" list

say "a create beyond capacity is refused with the reason"
"$mgpuctl" create "${gpus[1]}" mgpu-32M

say "one QEMU per vGPU (-device vfio-pci,sysfsdev=...), each drawing with its engine for ${seconds}s"
touch "$hold"
pids=()
i=0
for u in "${uuids[@]}"; do
	MGPU_SEAT_HOLD=$hold "$bin/mgpu_demo_seat" "$u" "$seconds" "${colors[$i]}" \
		> "/tmp/seat-$i.log" 2>&1 &
	pids+=($!)
	i=$((i + 1))
done
sleep $((seconds / 3))
run "$mgpuctl" top --plain --once --interval 5
sleep $((seconds / 3))
run "$mgpuctl" top --plain --once --interval 5
for i in "${!uuids[@]}"; do
	for _ in $(seq 120); do grep -q frames "/tmp/seat-$i.log" && break; sleep 1; done
done

say "tmem: three host-local cache devices with weights 1:2:4 share a 16 MiB pool"
if insmod "build/$(uname -r)/mod/mgpu_tmem.ko"; then
	t=/sys/kernel/mgpu_tmem
	echo 4096 > $t/total_pages
	for w in 1 2 4; do echo "32 $w ephemeral" > $t/blk_create; done
	for d in /dev/mgpu_tmem[0-9]*; do
		dd if=/dev/urandom of="$d" bs=1M count=32 oflag=direct 2>/dev/null
	done
	run "$mgpuctl" tmem | sed -n '/^occupancy:/,$p'
fi

say "frames each seat drew (the engine's share follows the QoS)"
cat /tmp/seat-*.log

say "each vGPU's screen, read on the host (mgpuctl snapshot)"
for i in "${!uuids[@]}"; do
	run "$mgpuctl" snapshot "${uuids[$i]}" "$MGPU_OUT/seat-$i.png"
done
rm -f "$hold"
wait "${pids[@]}"

say "counters for Prometheus (mgpuctl stats --prometheus, excerpt)"
"$mgpuctl" stats --prometheus | grep -E '^mgpu_vgpu_engine_busy_seconds_total' | head -n 5

say "removing the vGPUs and unloading mgpu"
for u in "${uuids[@]}"; do run "$mgpuctl" remove "$u"; done
for d in /dev/mgpu_tmem[0-9]*; do [ -e "$d" ] && echo "${d#/dev/mgpu_tmem}" > /sys/kernel/mgpu_tmem/blk_remove; done
rmmod mgpu_tmem 2>/dev/null
rmmod mgpu && echo "  mgpu unloaded"
echo
echo "demo: the seats' screens are in $MGPU_OUT/seat-*.png"
