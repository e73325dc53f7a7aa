# SPDX-License-Identifier: GPL-2.0-only
# mgpu's benchmark job, run by scripts/vm.sh inside the test VM (appended to its job.sh):
# loads mgpu with one 256 MiB software GPU and the mtty sample, runs every benchmark
# (the engine's on a 1 GiB GPU; tmem's with mgpu_tmem.ko compression=lz4) and writes
# their output to $MGPU_OUT/bench.txt. Exits non-zero if any failed.
# MGPU_BENCH_ONLY, a regular expression over the benchmarks' names (vram_bw reg_access
# lifecycle engine sched_qos sched_bw tmem tmem_swap), runs only those that match.
set -u
out=$MGPU_OUT
bin=${MGPU_BENCH_BIN:?}
kver=$(uname -r)
only=${MGPU_BENCH_ONLY:-}
want() { [ -z "$only" ] || [[ "$1" =~ $only ]]; }
ulimit -l unlimited
cd "$MGPU_TOP" || exit 1

rc=0
{
	echo "# mgpu benchmarks, $(date -u '+%F %T') UTC, kernel $kver, QEMU TCG" \
		"($(nproc) vCPUs), commit $(git -C "$MGPU_TOP" rev-parse --short HEAD 2>/dev/null)"
	modprobe -a vfio_iommu_type1 mdev || exit 1
	insmod "build/$kver/mod/mgpu.ko" soft_gpus=1 soft_vram_mb=256 || exit 1
	insmod "${MGPU_BENCH_MTTY:?}" || echo "# mtty.ko did not load: its comparisons SKIP"
	for b in vram_bw reg_access lifecycle; do
		want "$b" || continue
		echo "== $b"
		timeout -k 10 900 "$bin/$b" < /dev/null 2>&1 || { echo "$b: failed ($?)"; rc=1; }
	done
	# The engine benchmarks run up to 64 vGPUs of 8 MiB next to a native context:
	# mgpu again with 1 GiB of VRAM (lifecycle's count above is for 256 MiB).
	rmmod mgpu || rc=1
	insmod "build/$kver/mod/mgpu.ko" soft_gpus=1 soft_vram_mb=1024 || exit 1
	for b in engine sched_qos sched_bw; do
		want "$b" || continue
		echo "== $b"
		timeout -k 10 600 "$bin/$b" < /dev/null 2>&1 || { echo "$b: failed ($?)"; rc=1; }
	done
	# tmem: its paths against memcpy and zram (lz4), and real anonymous memory swapped
	# to it; compression lz4 as zram's (insmod resolves no crypto module).
	if want tmem || want tmem_swap; then
		if modprobe lz4 && insmod "build/$kver/mod/mgpu_tmem.ko" compression=lz4; then
			if want tmem; then
				echo "== tmem"
				timeout -k 10 900 "$bin/tmem" < /dev/null 2>&1 ||
					{ echo "tmem: failed ($?)"; rc=1; }
			fi
			if want tmem_swap; then
				echo "== tmem_swap"
				timeout -k 10 1200 bench/tmem-swap.sh < /dev/null 2>&1 ||
					{ echo "tmem_swap: failed ($?)"; rc=1; }
			fi
			rmmod mgpu_tmem || rc=1
		else
			echo "mgpu_tmem.ko compression=lz4 did not load"; rc=1
		fi
	fi
	rmmod mtty 2>/dev/null
	rmmod mgpu || rc=1
} > "$out/bench.txt" 2>&1
cat "$out/bench.txt"
dmesg > "$out/dmesg.txt"
exit $rc
