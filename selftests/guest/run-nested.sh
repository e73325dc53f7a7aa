#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Guest tier (runs in the test VM, "L1"): assign an mgpu-16M vGPU to ONE nested QEMU
# guest, run every static test in build/selftests/guest/ inside it and print one TAP
# stream on stdout: this script's own steps, then every guest test by name. A guest that
# never boots, or a test that never reports, is a 'not ok'. Exits 1 on any failure.
#
# The guest's /init writes its tests' TAP to its second serial port (ttyS1), framed by
# '@@mgpu-guest' lines; the console (ttyS0) goes to $MGPU_OUT/guest-console.log.
# The vGPU changes user as a reused mdev does. Before the boot a guest-less QEMU (qtest)
# opens it through VFIO, writes a pattern (MGPU_SEED_IN), reads it back and closes; the
# guest, its next user, must read zero there. The guest leaves a pattern
# (MGPU_SEED_OUT) that the host reads in the admin's mgpu/framebuffer after the guest's
# QEMU exits; then another qtest QEMU, the next user again, must read zero there.
#
# The display: the nested QEMU shows the vGPU with display=on (a region plane). QEMU
# writes no EDID for a region-plane display (it refuses xres=/yres= there: "need edid
# support"; only its dma-buf path builds one), so the guest's bochs-drm finds none and
# prefers its default mode, $mode. The guest runs its tests that map the vGPU's BARs
# themselves first, then
# loads the stock bochs-drm (with the modules it needs, from this kernel's tree) and runs
# its *_drm_test ones. mgpu_guest_drm_test draws a frame into fbdev, says so on ttyS1
# ('@@mgpu-guest frame WxH seed S') and waits for a line on its third serial port
# (a pipe here); meanwhile this script takes a QMP 'screendump' and mgpu_frame.py
# compares it with the frame pixel by pixel; the capture is kept as
# $MGPU_OUT/guest-frame.png.
#
# tmem: when mgpu_tmem.ko offers its mdev type (mgpu_tmem-1), two tmem devices are
# assigned too, each an engine client capped at 4096 pages (so the guest's swap
# overflows to its backing device) and both authorised for one shared pool. /init loads
# the guest kernel's dm-mod and brd (/dev/ram0..2, 64 MiB each) and mgpu_tmem_guest.ko
# (swap_backing=/dev/ram0) before the tests; mgpu_guest_tmem_test swaps under a cgroup's
# memory limit and, while its pages are swapped out, says '@@mgpu-guest tmem-held client
# C pages N end' on ttyS1 and waits on ttyS2: this script reads client C's stored_pages
# in /sys/kernel/mgpu_tmem and answers; the pool must hold at least N. Without the mdev
# type (or without mgpu_tmem_guest.ko built for the guest's kernel) the tmem steps and
# tests are skipped with the reason; a tmem step that fails does not keep the guest
# from booting.
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
steps=13		# the script's own results, besides one per guest test
mode=1280x800		# the vGPU's virtual monitor prefers it (mgpu/resolution, its EDID)
seed_in=$(( (RANDOM << 17 ^ RANDOM << 8 ^ RANDOM) & 0xffffffff ))
seed_out=$(( (seed_in * 2654435761 + 12345) & 0xffffffff ))
handoff_n=16		# as HANDOFF_N in mgpu_guest_test.c
qt_bar=0xe0000000	# where the qtest session puts BAR0
qt_cfg=0x80002000	# config address of 00:04.0, where it puts the vGPU
tmem_types=/sys/class/mdev_bus/mgpu_tmem/mdev_supported_types/mgpu_tmem-1
tmem_cap=4096		# cap_pages of each tmem client: 16 MiB, below the guest's swap
tmem_shared=$(cat /proc/sys/kernel/random/uuid)	# the shared pool both may join

work=
uuid=
qemu_pid=
qt_pid=
tmem_uuids=()		# the tmem mdevs
tmem_clients=()		# their engine clients
tmem_skip=		# why the guest gets no tmem device
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

# A guest-less QEMU that has the vGPU open, spoken to in QEMU's qtest protocol.
qt_start() {
	coproc QT { exec qemu-system-x86_64 -machine q35 -S -display none -nodefaults \
		-vga none -qtest stdio -qtest-log /dev/null \
		-device "vfio-pci,sysfsdev=/sys/bus/mdev/devices/$uuid,addr=04.0" \
		2>> "$work/qtest.log"; }
	# shellcheck disable=SC2153 # set by coproc
	qt_pid=$QT_PID
	qt outl 0xcf8 $((qt_cfg + 0x10)) > /dev/null &&
	qt outl 0xcfc $qt_bar > /dev/null &&
	qt outl 0xcf8 $((qt_cfg + 0x04)) > /dev/null &&
	qt outw 0xcfc 0x0002 > /dev/null	# memory decode on
}

qt() {		# qt <command...>: prints the reply's value; fails unless it is OK
	local reply
	echo "$*" >&"${QT[1]}" || return 1
	while read -r -t 60 -u "${QT[0]}" reply; do
		case "$reply" in
		OK*) echo "${reply#OK}"; return 0 ;;
		IRQ*) ;;
		*) echo "qtest: '$*' -> '$reply'" >&2; return 1 ;;
		esac
	done
	echo "qtest: no reply to '$*'" >&2
	return 1
}

qt_stop() {
	[ -n "$qt_pid" ] || return 0
	kill "$qt_pid" 2>/dev/null
	wait "$qt_pid" 2>/dev/null
	qt_pid=
}

# The pattern and offsets of mgpu_guest_test.c's handoff tests.
pattern() {	# pattern <seed> <offset>
	local x=$(( ($1 ^ ($2 * 2654435761)) & 0xffffffff ))
	echo $(( x ^ x >> 15 ))
}

handoff_off() {	# handoff_off <k>
	echo $(( $1 * (vram_mib << 20) / handoff_n + 8 * $1 ))
}

# Host to guest: fill the handoff dwords with the MGPU_SEED_IN pattern through VFIO.
host_fill() {
	local k off got want
	qt_start || return 1
	for ((k = 0; k < handoff_n; k++)); do
		off=$(handoff_off $k)
		qt writel $((qt_bar + off)) "$(pattern "$seed_in" "$off")" > /dev/null ||
			return 1
	done
	# Read back before closing: the data really is in VRAM when this user leaves.
	for ((k = 0; k < handoff_n; k++)); do
		off=$(handoff_off $k)
		got=$(qt readl $((qt_bar + off))) || return 1
		want=$(pattern "$seed_in" "$off")
		[ $((got)) = "$want" ] || {
			printf "VRAM+0x%x: read back 0x%08x, wrote 0x%08x\n" "$off" $((got)) \
				"$want"
			return 1; }
	done
	qt_stop
}

# The guest hands its pattern over in the upper half of VRAM, below bochs-drm's reach.
handoff_out_off() {	# handoff_out_off <k>
	echo $(( (vram_mib << 19) + $1 * (vram_mib << 19) / handoff_n + 8 * $1 ))
}

# Guest to host: the handoff dwords hold the guest's MGPU_SEED_OUT pattern.
# The guest's pattern as the admin reads it (mgpu/framebuffer: no VFIO open, so no
# scrub), once the guest's QEMU has closed the vGPU.
host_check() {
	local k off got want bad=0 fb=/sys/bus/mdev/devices/$uuid/mgpu/framebuffer
	for ((k = 0; k < handoff_n; k++)); do
		off=$(handoff_out_off $k)
		got=$(dd if="$fb" iflag=skip_bytes,count_bytes skip="$off" count=4 \
			2>/dev/null | od -An -tu4 | tr -d ' ')
		want=$(pattern "$seed_out" "$off")
		if [ "${got:-none}" != "$want" ]; then
			printf "VRAM+0x%x: read %s, the guest wrote %u\n" "$off" "${got:-nothing}" \
				"$want"
			bad=1
		fi
	done
	return $bad
}

# The vGPU's next user (another QEMU opening it through VFIO) reads zero where the
# guest wrote: the reused mdev was scrubbed before it could read anything.
host_next_tenant() {
	local k off got bad=0
	qt_start || return 1
	for ((k = 0; k < handoff_n; k++)); do
		off=$(handoff_out_off $k)
		got=$(qt readl $((qt_bar + off))) || return 1
		if [ $((got)) != 0 ]; then
			printf "VRAM+0x%x: the next user read 0x%08x\n" "$off" $((got))
			bad=1
		fi
	done
	qt_stop
	return $bad
}

remove_vgpu() {
	[ -n "$uuid" ] || return 0
	[ -e "/sys/bus/mdev/devices/$uuid" ] || return 1
	echo 1 > "/sys/bus/mdev/devices/$uuid/remove" || return 1
	uuid=
}

# Two tmem devices, each an engine client with a cap, both authorised for one shared
# pool. Returns 2 (a skip, the reason in tmem_skip) when there is nothing to test with.
create_tmem() {
	local u c i
	[ -d "$tmem_types" ] || {
		tmem_skip="no mgpu_tmem-1 mdev type (the mdev transport of mgpu_tmem)"; return 2; }
	[ "$(modinfo -F vermagic "$(tmem_module)" 2>/dev/null | cut -d ' ' -f 1)" = \
	  "$(guest_kver)" ] || {
		tmem_skip="no $(tmem_module) built for $(guest_kver)"; return 2; }
	for i in 0 1; do
		u=$(cat /proc/sys/kernel/random/uuid)
		echo "$u" > "$tmem_types/create" || return 1
		tmem_uuids+=("$u")
		c=$(cat "/sys/bus/mdev/devices/$u/mgpu_tmem/client") || return 1
		tmem_clients+=("$c")
		echo "$tmem_cap" > "/sys/kernel/mgpu_tmem/clients/$c/cap_pages" &&
		echo "$tmem_shared" > "/sys/kernel/mgpu_tmem/clients/$c/authorise" || return 1
		echo "tmem device $i: mdev $u, client $c"
	done
}

remove_tmem() {
	local u ret=0
	for u in "${tmem_uuids[@]}"; do
		[ -e "/sys/bus/mdev/devices/$u" ] || continue
		echo 1 > "/sys/bus/mdev/devices/$u/remove" || ret=1
	done
	tmem_uuids=()
	return $ret
}

cleanup() {
	qt_stop
	stop_qemu
	remove_vgpu
	remove_tmem
	[ -n "$work" ] && rm -rf "$work"
}
trap cleanup EXIT
trap 'echo "# run-nested.sh: killed"; exit 1' TERM INT

# The names a harness binary will report, from its '-l' listing: the harness prints
# fixture, variant and test in columns of 20 and 25 characters, each fixture's
# variants and tests side by side; every test runs once per variant.
list_tests() {
	"$1" -l 2>&1 | awk '
		function trim(s) { gsub(/^ +| +$/, "", s); return s }
		function flush(   i, j) {
			for (j = 1; j <= nt; j++)
				if (nv == 0)
					print f "." t[j]
				else
					for (i = 1; i <= nv; i++)
						print f "." v[i] "." t[j]
		}
		/^# FIXTURE/ || /^---/ { next }
		{
			fx = trim(substr($0, 1, 20)); va = trim(substr($0, 22, 25))
			te = trim(substr($0, 48))
			if (fx != "") { if (f != "") flush(); f = fx; nv = 0; nt = 0 }
			if (va != "") v[++nv] = va
			if (te != "") t[++nt] = te
		}
		END { if (f != "") flush() }'
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
	echo "$mode" > "/sys/bus/mdev/devices/$uuid/mgpu/resolution"
}

# The guest's /init: run each test binary with its TAP on ttyS1, then power off. The
# *_drm_test ones run once bochs-drm is loaded, the others (which mmap the vGPU's BARs
# through sysfs, refused once a driver claims them) before.
write_init() {
	cat > "$work/root/init" <<-EOF
	#!/bin/busybox sh
	/bin/busybox --install -s /bin
	mount -t proc proc /proc
	mount -t sysfs sys /sys
	mount -t devtmpfs dev /dev
	exec 3> /dev/ttyS1
	stty -F /dev/ttyS1 raw -echo
	stty -F /dev/ttyS2 raw -echo
	echo "$mark init \$(uname -r) seeds \$MGPU_SEED_IN \$MGPU_SEED_OUT" >&3
	export MGPU_GUEST_VRAM_MIB=$vram_mib
	export MGPU_GUEST_MODE=$mode
	export MGPU_FRAME_ACK=/dev/ttyS2
	export MGPU_TMEM_MDEVS=${#tmem_uuids[@]}
	export MGPU_TMEM_SKIP="$tmem_skip"
	export MGPU_TMEM_CAP_PAGES=$tmem_cap
	export MGPU_TMEM_SHARED_UUID=$tmem_shared
	export MGPU_TMEM_ACK=/dev/ttyS2
	if [ -s /lib/modules/tmem-order ]; then
		while read -r m args; do
			insmod "/lib/modules/\$m" \$args 2>&1 | sed "s|^|# insmod \$m: |" >&3
		done < /lib/modules/tmem-order
	fi
	run_test() {
		echo "$mark begin \${1##*/}" >&3
		"\$1" >&3 2>&1
		echo "$mark end \${1##*/} \$?" >&3
	}
	for t in /tests/*; do
		case "\$t" in *_drm_test) ;; *) run_test "\$t" ;; esac
	done
	while read -r m; do
		insmod "/lib/modules/\$m" 2>&1 | sed "s|^|# insmod \$m: |" >&3
	done < /lib/modules/order
	for t in /tests/*_drm_test; do
		[ -x "\$t" ] && run_test "\$t"
	done
	echo "$mark done" >&3
	exec 3>&-
	sync
	# Out through a reset, which QEMU's -no-reboot turns into an exit: the guest's
	# kernel has no ACPI to power off with.
	reboot -f
	EOF
	chmod +x "$work/root/init"
}

# The nested guest's kernel: mgpu's own trimmed build of Debian's linux-source-6.12
# (scripts/kernel.sh nested, its folder in MGPU_NESTED_KERNEL), or else Debian's 6.12.
guest_kernel() {
	if [ -n "${MGPU_NESTED_KERNEL:-}" ]; then
		echo "$MGPU_NESTED_KERNEL/bzImage"
	else
		printf "%s\n" /boot/vmlinuz-6.12.* | sort -V | tail -n 1
	fi
}

guest_kver() {
	local k
	if [ -n "${MGPU_NESTED_KERNEL:-}" ]; then
		cat "$MGPU_NESTED_KERNEL/release"
		return
	fi
	k=$(basename "$(guest_kernel)")
	echo "${k#vmlinuz-}"
}

# The root its modules are installed under (modprobe -d).
guest_modroot() {
	echo "${MGPU_NESTED_KERNEL:+$MGPU_NESTED_KERNEL/root}"
}

tmem_module() {
	echo "$top/build/$(guest_kver)/mod/mgpu_tmem_guest.ko"
}

# Copy the modules 'modprobe --show-depends' lists for module $2 of kernel $1 into the
# initramfs, decompressed for busybox's insmod; print their names in load order.
copy_modules() {
	local cmd mod name dir=$work/root/lib/modules
	modprobe -d "$(guest_modroot)" -S "$1" --show-depends "$2" > "$work/modules.$2" ||
		return 1
	while read -r cmd mod _; do
		[ "$cmd" = insmod ] || continue
		name=$(basename "$mod" .xz)
		case "$mod" in
		*.xz) xz -dc "$mod" > "$dir/$name" ;;
		*) cp "$mod" "$dir/$name" ;;
		esac || return 1
		echo "$name"
	done < "$work/modules.$2"
}

# For the tmem tests: dm-mod and brd (three RAM disks of 64 MiB: the swap device's
# backing, a spare, the cache's disk) and mgpu_tmem_guest.ko, in 'tmem-order' with their
# parameters.
add_tmem_modules() {
	local kver dir=$work/root/lib/modules m
	kver=$(guest_kver)
	mkdir -p "$dir" || return 1
	{
		copy_modules "$kver" dm-mod || return 1
		for m in $(copy_modules "$kver" brd); do
			[ "$m" = brd.ko ] && m="brd.ko rd_nr=3 rd_size=65536"
			echo "$m"
		done
		cp "$(tmem_module)" "$dir/" || return 1
		echo "mgpu_tmem_guest.ko swap_backing=/dev/ram0"
	} > "$dir/tmem-order"
}

# bochs (Debian's name for bochs-drm) and the modules it needs, in load order, from the
# guest kernel's tree here, decompressed for busybox's insmod; their names in 'order'.
add_drm_modules() {
	local kver dir=$work/root/lib/modules
	kver=$(guest_kver)
	mkdir -p "$dir" || return 1
	copy_modules "$kver" bochs >> "$dir/order" || return 1
	grep -qx bochs.ko "$dir/order" 2>/dev/null || { echo "no bochs.ko for $kver"; return 1; }
}

build_initramfs() {
	[ ${#expected[@]} -gt 0 ] || { echo "no guest tests in $bins"; return 1; }
	mkdir -p "$work/root"/{bin,dev,proc,sys,tests} || return 1
	cp /bin/busybox "$work/root/bin/busybox" || return 1
	cp "$bins"/*_test "$work/root/tests/" || return 1
	add_drm_modules || return 1
	if [ ${#tmem_uuids[@]} -gt 0 ]; then
		add_tmem_modules || return 1
	fi
	write_init
	(cd "$work/root" && find . | cpio -o -H newc --quiet) > "$work/initrd.cpio"
}

start_qemu() {
	local kernel i tmem_devs=()
	kernel=$(guest_kernel)
	# The tmem devices on the root bus, in order: the guest numbers them 0, 1.
	for i in "${!tmem_uuids[@]}"; do
		tmem_devs+=(-device "vfio-pci,addr=1$i.0,sysfsdev=/sys/bus/mdev/devices/\
${tmem_uuids[$i]}")
	done
	[ -e "$kernel" ] || { echo "no guest kernel $kernel"; return 1; }
	echo "guest kernel $kernel"
	mkfifo "$work/ack.in" "$work/ack.out" || return 1
	# The root port gives the guest a bus reset for the vGPU (reset_keeps_vram). The
	# guest's ttyS2 is the pipe capture_frame() acknowledges the guest's frame on.
	qemu-system-x86_64 -machine q35 -cpu max -m 512 -nodefaults -vga none \
		-display none -no-reboot -kernel "$kernel" -initrd "$work/initrd.cpio" \
		-append "console=ttyS0 panic=-1 oops=panic loglevel=7 rdinit=/init \
MGPU_SEED_IN=$seed_in MGPU_SEED_OUT=$seed_out" \
		-serial "file:$out/guest-console.log" -serial "file:$work/guest.tap" \
		-chardev "pipe,id=ack,path=$work/ack" -serial chardev:ack \
		-qmp "unix:$work/qmp.sock,server=on,wait=off" \
		-device pcie-root-port,id=rp0,chassis=1 \
		-device "vfio-pci,sysfsdev=/sys/bus/mdev/devices/$uuid,bus=rp0,display=on" \
		"${tmem_devs[@]}" > "$work/qemu.log" 2>&1 &
	qemu_pid=$!
	sleep 10
	kill -0 "$qemu_pid" 2>/dev/null || grep -q "^$mark" "$work/guest.tap" 2>/dev/null
}

# Wait until the guest says @1, QEMU exits or time runs out. Prints the seconds since
# QEMU started; fails unless the guest said it.
wait_for() {
	while ! grep -Eq "^$mark ($1)" "$work/guest.tap" 2>/dev/null &&
	      kill -0 "$qemu_pid" 2>/dev/null && [ "$SECONDS" -lt "$limit" ]; do
		sleep 2
	done
	echo $((SECONDS - t0))
	grep -Eq "^$mark ($1)" "$work/guest.tap" 2>/dev/null
}

# The host's half of the swap test: while the guest holds its swapped pages it says how
# many the host should hold for its client; that client's stored_pages must be at least
# as many. Answers the guest on its third serial port either way.
check_tmem_held() {
	local line client pages end stored fd
	for _ in $(seq 10); do		# the line may still be arriving
		line=$(tr -d '\r' < "$work/guest.tap" | grep -m 1 "^$mark tmem-held ")
		read -r _ _ _ client _ pages end <<< "$line"
		[ "$end" = end ] && break
		sleep 1
	done
	[[ "$client" =~ ^[0-9]+$ && "$pages" =~ ^[0-9]+$ ]] || {
		echo "the guest never said it held its pages"; return 1; }
	stored=$(cat "/sys/kernel/mgpu_tmem/clients/$client/stored_pages" 2>/dev/null)
	exec {fd}<> "$work/ack.in"
	echo "@@mgpu-host tmem-held stored_pages ${stored:--1}" >&"$fd"
	exec {fd}>&-
	echo "client $client (of ${tmem_clients[*]}) stored_pages ${stored:-missing}, guest $pages"
	[[ " ${tmem_clients[*]} " == *" $client "* ]] && [ -n "$stored" ] &&
		[ "$pages" -gt 0 ] && [ "$stored" -ge "$pages" ]
}

# The host's half of the frame test: capture the vGPU's display (QEMU's console of it)
# once the guest said its frame is in VRAM, compare it with that frame, then let the
# guest go on. Prints mgpu_frame.py's verdict.
capture_frame() {
	local line size seed fd rc
	line=$(tr -d '\r' < "$work/guest.tap" | grep -m 1 "^$mark frame ")
	read -r _ _ size _ seed <<< "$line"
	python3 "$top/selftests/guest/mgpu_frame.py" "$work/qmp.sock" "$out" "$size" "$seed" \
		> "$work/frame.log" 2>&1
	rc=$?
	# Opened read-write, a FIFO does not wait for QEMU's end of it.
	exec {fd}<> "$work/ack.in"
	echo "@@mgpu-host captured: $(head -n 1 "$work/frame.log")" >&"$fd"
	exec {fd}>&-
	cat "$work/frame.log"
	return $rc
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
	tail -n 10 "$work/qemu.log" 2>/dev/null
	tail -n 3 "$out/guest-console.log" 2>/dev/null
}

start_diag() {
	cat "$work/start.log"
	qemu_diag
}

# What the command "$@" prints, into the caller's 'diag' array. Through a file: the
# test VM's chroot has no /dev/fd for a process substitution.
diag_of() {
	"$@" > "$work/diag.log" 2>/dev/null
	mapfile -t diag < "$work/diag.log"
}

main() {
	local t_init t_frame t_done t_tmem diag rc prev tmem_failed=0

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
	create_tmem > "$work/step.log" 2>&1
	rc=$?
	mapfile -t diag < "$work/step.log"
	if [ "$rc" = 2 ]; then
		tap ok "tmem devices created # SKIP $tmem_skip"
	elif [ "$rc" = 0 ]; then
		tap ok "tmem devices created, capped at $tmem_cap pages, shared $tmem_shared" \
			"${diag[@]}"
	else
		# The guest boots without tmem devices: its other tests still run.
		prev=$failed
		tap "not ok" "tmem devices created" "${diag[@]}"
		failed=$prev
		tmem_failed=1
		remove_tmem
		tmem_skip="the host could not create the tmem devices"
	fi
	if build_initramfs > "$work/step.log" 2>&1; then
		tap ok "guest initramfs built (${#expected[@]} tests)"
	else
		mapfile -t diag < "$work/step.log"
		tap "not ok" "guest initramfs built" "${diag[@]}"
	fi
	if [ -n "$uuid" ] && host_fill > "$work/step.log" 2>&1; then
		tap ok "a previous user (QEMU) wrote and read back VRAM through VFIO (seed $seed_in)"
	else
		qt_stop
		diag_of cat "$work/step.log" "$work/qtest.log"
		tap "not ok" "a previous user (QEMU) wrote and read back VRAM through VFIO" \
			"${diag[@]}"
	fi
	t0=$SECONDS
	if [ -n "$uuid" ] && [ "$failed" = 0 ] && start_qemu > "$work/start.log"; then
		tap ok "nested QEMU started with the vGPU assigned" "$(cat "$work/start.log")"
	else
		diag_of start_diag
		tap "not ok" "nested QEMU started with the vGPU assigned" "${diag[@]}"
	fi
	if [ -n "$qemu_pid" ] && t_init=$(wait_for init); then
		tap ok "guest booted to /init in ${t_init}s"
	else
		diag_of qemu_diag
		tap "not ok" "guest booted to /init (gave up after ${t_init:-0}s)" "${diag[@]}"
	fi
	: > "$work/step.log"
	if [ ${#tmem_uuids[@]} = 0 ]; then
		tap ok "host's pool holds the guest's swapped pages # SKIP ${tmem_skip:-no tmem device}"
	elif [ -n "$qemu_pid" ] && t_tmem=$(wait_for "tmem-held|frame|done") &&
	     check_tmem_held > "$work/step.log" 2>&1; then
		tap ok "host's pool holds the guest's swapped pages: $(cat "$work/step.log")\
 (${t_tmem}s)"
	else
		mapfile -t diag < "$work/step.log"
		tap "not ok" "host's pool holds the guest's swapped pages" "${diag[@]}"
	fi
	: > "$work/step.log"
	if [ -n "$qemu_pid" ] && t_frame=$(wait_for frame) &&
	   capture_frame > "$work/step.log" 2>&1; then
		tap ok "host's capture of the vGPU's display is the guest's frame:\
 $(head -n 1 "$work/step.log") (${t_frame}s)"
	else
		mapfile -t diag < "$work/step.log"
		[ -s "$work/step.log" ] || diag=("the guest never said its frame was ready")
		tap "not ok" "host's capture of the vGPU's display is the guest's frame" \
			"${diag[@]#\# }"
	fi
	if [ -n "$qemu_pid" ] && t_done=$(wait_for "done"); then
		wait_poweroff
		tap ok "guest ran its tests (done ${t_done}s after QEMU started)"
	else
		tap "not ok" "guest ran its tests (gave up after ${t_done:-0}s)"
	fi
	# For the runner's time report: seconds after the nested QEMU started.
	printf 'guest-%s %s\n' boot-to-init "${t_init:--1}" tmem-held "${t_tmem:--1}" \
		frame "${t_frame:--1}" all-done "${t_done:--1}" > "$out/guest-times"
	report_guest
	stop_qemu
	if [ -n "$uuid" ] && host_check > "$work/step.log" 2>&1; then
		tap ok "host read the guest's VRAM writes in mgpu/framebuffer (seed $seed_out)"
	else
		diag_of cat "$work/step.log"
		tap "not ok" "host read the guest's VRAM writes in mgpu/framebuffer" "${diag[@]}"
	fi
	if [ -n "$uuid" ] && host_next_tenant > "$work/step.log" 2>&1; then
		tap ok "the vGPU's next user (a new QEMU) reads zero where the guest wrote"
	else
		qt_stop
		diag_of cat "$work/step.log" "$work/qtest.log"
		tap "not ok" "the vGPU's next user (a new QEMU) reads zero where the guest wrote" \
			"${diag[@]}"
	fi
	if remove_vgpu; then
		tap ok "vGPU removed"
	else
		tap "not ok" "vGPU removed"
	fi
	if [ ${#tmem_uuids[@]} = 0 ]; then
		tap ok "tmem devices removed # SKIP ${tmem_skip:-none was created}"
	elif remove_tmem; then
		tap ok "tmem devices removed"
	else
		tap "not ok" "tmem devices removed"
	fi
	[ "$tmem_failed" = 0 ] || failed=1
	return "$failed"
}

main
