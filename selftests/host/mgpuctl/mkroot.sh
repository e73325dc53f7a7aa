# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
# Sourced by mgpuctl_test.sh: mkroot DIR builds a fake sysfs tree shaped like the kernel's
# (class/mdev_bus links to the parents' device directories, bus/mdev/devices links to the
# vGPUs, mdev_type links to the types), with a PCI parent 0000:00:03.0 (64 MiB), a
# software parent mgpu-soft.0 (128 MiB), an mtty parent and vGPU that mgpuctl must
# ignore, and PCI devices for libpci's sysfs method.

# The vGPUs: U1 (16M on the PCI GPU, in use, 32 bpp), U2 (32M on it, 16 bpp, engine
# error), U3 (8M on the software GPU, display off), UM (mtty).
U1=6f1c3a52-8d7e-4b0a-9c1d-2e3f4a5b6c7d
U2=0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d
U3=c0ffee00-1234-4567-89ab-cdef01234567
UM=deadbeef-0000-4000-8000-000000000001

put() {	# put FILE VALUE: the file with one line, directories made
	mkdir -p "$(dirname "$1")"
	printf '%s\n' "$2" > "$1"
}

mktype() {	# mktype PARENT_DIR MB AVAILABLE MAX BACKEND
	local t="$1/mdev_supported_types/mgpu-$2M"
	mkdir -p "$t/devices"
	put "$t/name" "mgpu $2M"
	put "$t/description" \
		"vram=$2M, heads=1, max_resolution=1920x1080, backend=$5, max_instance=$4"
	put "$t/available_instances" "$3"
	put "$t/device_api" vfio-pci
	: > "$t/create"
}

mkengine() {	# mkengine PARENT_DIR POLICY UTILIZATION BUSY_NS CONTEXTS
	put "$1/mgpu_engine/policy" "$2"
	put "$1/mgpu_engine/utilization" "$3"
	put "$1/mgpu_engine/busy_ns" "$4"
	put "$1/mgpu_engine/contexts" "$5"
}

# mkvgpu ROOT PARENT_DIR(rel to ROOT) UUID TYPE MB IN_USE MODE ENGINE_STATE BUSY_NS
mkvgpu() {
	local d="$1/$2/$3"
	mkdir -p "$d/mgpu" "$d/engine"
	ln -s "../mdev_supported_types/$4" "$d/mdev_type"
	ln -s "../../../$3" "$1/$2/mdev_supported_types/$4/devices/$3"
	ln -s "../../../$2/$3" "$1/bus/mdev/devices/$3"
	: > "$d/remove"
	put "$d/mgpu/vram_mb" "$5"
	put "$d/mgpu/mode" "$7"
	put "$d/mgpu/resolution" 1024x768
	put "$d/mgpu/trapped_reads" 1000
	put "$d/mgpu/trapped_writes" 2000
	put "$d/mgpu/vram_faults" 300
	put "$d/mgpu/interrupts" 42
	put "$d/mgpu/frames" 7
	put "$d/mgpu/in_use" "$6"
	put "$d/mgpu/weight" 100
	put "$d/mgpu/cap" 100
	put "$d/mgpu/reservation" 0
	put "$d/mgpu/timeslice_ms" 10
	put "$d/mgpu/latency_class" normal
	truncate -s "$5M" "$d/mgpu/framebuffer"
	put "$d/engine/state" "$8"
	put "$d/engine/busy_ns" "$9"
	put "$d/engine/commands" 5000
	put "$d/engine/slices" 400
	put "$d/engine/preemptions" 3
	put "$d/engine/errors" 0
	put "$d/engine/watchdog_resets" 0
	put "$d/engine/fence" 4999
	put "$d/engine/latency_us" "64:10 128:3 256:0 1024:2 inf:0"
}

mkpci() {	# mkpci ROOT BDF VENDOR DEVICE CLASS DRIVER|-
	local d="$1/devices/pci0000:00/$2"
	mkdir -p "$d"
	put "$d/vendor" "0x$3"
	put "$d/device" "0x$4"
	put "$d/class" "0x$5"
	put "$d/irq" 0
	printf '0x0000000000000000 0x0000000000000000 0x0000000000000000\n%.0s' 1 2 3 4 5 6 7 \
		> "$d/resource"
	python3 -c 'import struct, sys
v, d, c = (int(x, 16) for x in sys.argv[2:5])
cfg = struct.pack("<HHHHI", v, d, 0x103, 0, (c << 8) | 2) + bytes(52)
open(sys.argv[1], "wb").write(cfg)' "$d/config" "$3" "$4" "$5"
	if [ "$6" != - ]; then
		mkdir -p "$1/bus/pci/drivers/$6"
		ln -s "../../../bus/pci/drivers/$6" "$d/driver"
	fi
	ln -s "../../../devices/pci0000:00/$2" "$1/bus/pci/devices/$2"
}

mkroot() {	# mkroot DIR
	local r=$1 pci=devices/pci0000:00/0000:00:03.0 soft=devices/platform/mgpu-soft.0
	local mtty=devices/virtual/mtty/mtty
	mkdir -p "$r/class/mdev_bus" "$r/bus/mdev/devices" "$r/bus/pci/devices" "$r/kernel"
	mkpci "$r" 0000:00:00.0 8086 1237 060000 -
	mkpci "$r" 0000:00:03.0 1234 1111 038000 mgpu
	mkpci "$r" 0000:00:04.0 8086 100e 020000 e1000
	mkpci "$r" 0000:00:05.0 1234 1111 030000 bochs-drm
	# The PCI parent: 64 MiB; U1 16M + U2 32M leave 16 MiB.
	mktype "$r/$pci" 64 0 1 pci
	mktype "$r/$pci" 32 0 2 pci
	mktype "$r/$pci" 16 1 4 pci
	mktype "$r/$pci" 8 2 8 pci
	put "$r/$pci/mgpu_scanout" host
	mkengine "$r/$pci" best_effort 37 5000000000 3
	ln -s "../../$pci" "$r/class/mdev_bus/0000:00:03.0"
	# The software parent: 128 MiB; U3 8M leaves 120 MiB. No display, so no scanout.
	mktype "$r/$soft" 128 0 1 soft
	mktype "$r/$soft" 64 1 2 soft
	mktype "$r/$soft" 32 3 4 soft
	mktype "$r/$soft" 16 7 8 soft
	mktype "$r/$soft" 8 15 16 soft
	mkengine "$r/$soft" equal_share 0 0 1
	ln -s "../../$soft" "$r/class/mdev_bus/mgpu-soft.0"
	# Someone else's mdev parent and device.
	mkdir -p "$r/$mtty/mdev_supported_types/mtty-2/devices" "$r/$mtty/$UM"
	put "$r/$mtty/mdev_supported_types/mtty-2/available_instances" 12
	ln -s ../mdev_supported_types/mtty-2 "$r/$mtty/$UM/mdev_type"
	ln -s "../../$mtty" "$r/class/mdev_bus/mtty"
	ln -s "../../../$mtty/$UM" "$r/bus/mdev/devices/$UM"
	mkvgpu "$r" "$pci" "$U1" mgpu-16M 16 1 \
		"64x48 bpp=32 stride=512 offset=4096 endian=little" busy 1500000000
	mkvgpu "$r" "$pci" "$U2" mgpu-32M 32 0 \
		"40x30 bpp=16 stride=96 offset=0 endian=little" "error: range at 0x1000" 250000000
	mkvgpu "$r" "$soft" "$U3" mgpu-8M 8 0 off idle 0
}
