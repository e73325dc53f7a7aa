#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Boot a test VM (QEMU, TCG) on one kernel and run a job script inside it, chrooted into
# the host's root shared read-only over 9p. The job's files land in the results folder.
#
# Usage: vm.sh --kver <release> --out <dir> [--timeout <s>] [--mem <MiB>] <job script>
#   MGPU_VM_DEVICES: extra QEMU device arguments for the VM (word-split), e.g.
#   "-device bochs-display,vgamem=64M" for a Bochs GPU the PCI backend can drive.
#   <dir>/console.log  the VM's serial console     <dir>/job.log  the job's output
#   <dir>/job.rc       the job's exit status        anything the job writes to /tmp/out
# Exits with the job's status, 124 on timeout, 125 when the VM died without a status.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

kver=$(mgpu_kver 6.12)
out=
timeout=900
mem=4096
while [ $# -gt 1 ]; do
	case "$1" in
	--kver) kver=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--mem) mem=$2; shift 2 ;;
	*) mgpu_die "vm.sh: unknown option $1" ;;
	esac
done
job=${1:?usage: vm.sh --kver K --out DIR JOB}
[ -n "$out" ] || mgpu_die "vm.sh: --out is required"
[ -e "/boot/vmlinuz-$kver" ] || mgpu_die "no kernel /boot/vmlinuz-$kver: run 'make deps'"

initrd="$MGPU_TOP/build/initramfs/$kver.cpio.gz"
if [ ! -e "$initrd" ] || [ "$MGPU_TOP/scripts/vm-init" -nt "$initrd" ] ||
   [ "$MGPU_TOP/scripts/mkinitramfs.sh" -nt "$initrd" ]; then
	"$MGPU_TOP/scripts/mkinitramfs.sh" "$kver" "$initrd"
fi

rm -rf "$out"
mkdir -p "$out"
out=$(cd "$out" && pwd)
{
	echo "export MGPU_TOP=$MGPU_TOP MGPU_OUT=/tmp/out"
	# Quoted: a value may hold spaces (MGPU_TIERS="vm qemu guest").
	while IFS='=' read -r name value; do
		printf 'export %s=%q\n' "$name" "$value"
	done < <(env | grep -E '^MGPU_[A-Z_]+=' | grep -v -E '^MGPU_(TOP|OUT|VM_DEVICES)=')
	cat "$job"
} > "$out/job.sh"

read -r -a devices <<< "${MGPU_VM_DEVICES:-}"
rc=0
timeout --kill-after=10 "$timeout" qemu-system-x86_64 \
	-machine q35 -cpu max -smp 2 -m "$mem" -nodefaults -no-reboot -display none \
	-kernel "/boot/vmlinuz-$kver" -initrd "$initrd" \
	-append "console=ttyS0 panic=-1 oops=panic loglevel=7 rdinit=/init MGPU_TOP=$MGPU_TOP" \
	-serial "file:$out/console.log" -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
	-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
	-virtfs "local,path=$out,mount_tag=out,security_model=none" \
	-virtfs "local,path=$MGPU_TOP,mount_tag=repo,security_model=none,readonly=on,multidevs=remap" \
	${devices[@]+"${devices[@]}"} || rc=$?
if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
	echo "vm.sh: the VM ($kver) did not finish within ${timeout}s" >&2
	exit 124
fi
[ -s "$out/job.rc" ] || { echo "vm.sh: the VM ($kver) stopped without a job status" >&2; exit 125; }
exit "$(cat "$out/job.rc")"
