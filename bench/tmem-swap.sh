#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# tmem-swap: how well tmem stores real anonymous memory. A python3 process builds
# dicts, lists and strings (about MGPU_BENCH_SWAP_HEAP_MB of them, default 96) in a
# cgroup v2 limited to MGPU_BENCH_SWAP_LIMIT_MB (default 32), so most of its heap is
# swapped out to a persistent /dev/mgpu_tmemN (swapon --discard, so that freed swap
# clusters leave the pool); with the process still holding its heap, the device's
# engine client tells how the pages were stored: the compression ratio and the
# zero-page share. The same workload then swaps to zram (lz4) for comparison.
# Needs root, mgpu_tmem loaded, python3, cgroup v2 (mounted here if it is not).
set -u
heap_mb=${MGPU_BENCH_SWAP_HEAP_MB:-96}
limit_mb=${MGPU_BENCH_SWAP_LIMIT_MB:-32}
t=/sys/kernel/mgpu_tmem
cg=/sys/fs/cgroup
grp=$cg/mgpu-tmem-bench
work=$(mktemp -d)
pid=
swapdev=

skip() { echo "tmem_swap: SKIP ($*)"; exit 0; }
fail() { echo "tmem_swap: FAIL ($*)"; exit 1; }

cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	pid=
	[ -n "$swapdev" ] && swapoff "$swapdev" 2>/dev/null
	swapdev=
	[ -d "$grp" ] && rmdir "$grp" 2>/dev/null
	[ -n "${blk:-}" ] && echo "$blk" > $t/blk_remove 2>/dev/null
	blk=
	[ -e /sys/block/zram0 ] && echo 1 > /sys/block/zram0/reset 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

[ -d $t ] || skip "mgpu_tmem is not loaded"
command -v python3 > /dev/null || skip "no python3"
[ "$(swapon --show=NAME --noheadings | wc -l)" = 0 ] || skip "swap is already on"

# The workload: records as a program keeps them (dicts of strings and numbers, lists,
# formatted text), built until the heap holds heap_mb, then held while we look.
cat > "$work/heap.py" <<'EOF'
import random, sys, time
random.seed(6)
target = int(sys.argv[1]) << 20
words = [''.join(random.choice('abcdefghijklmnopqrstuvwxyz') for _ in range(random.randint(3, 10)))
         for _ in range(5000)]
records, size, i = [], 0, 0
while size < target:
    rec = {
        'id': i,
        'name': ' '.join(random.choice(words) for _ in range(3)).title(),
        'tags': [random.choice(words) for _ in range(random.randint(1, 6))],
        'score': random.random() * 100,
        'counts': {w: random.randint(0, 1000) for w in random.sample(words, 4)},
        'text': ' '.join(random.choice(words) for _ in range(random.randint(10, 40))),
        'line': '%08d,%s,%.3f' % (i, random.choice(words), random.random()),
    }
    records.append(rec)
    size += 1200 + 2 * len(rec['text'])   # roughly what CPython spends on it
    i += 1
print('ready', len(records), flush=True)
time.sleep(3600)
EOF

# run_workload <swap device> [swapon options]: swap on it, run the heap in the cgroup,
# wait until it is built.
run_workload() {
	swapdev=$1
	shift
	mkswap "$swapdev" > /dev/null || fail "mkswap $swapdev"
	swapon "$@" "$swapdev" || fail "swapon $* $swapdev"
	mkdir -p "$grp"
	echo $((limit_mb << 20)) > "$grp/memory.max" || fail "memory.max"
	echo max > "$grp/memory.swap.max" 2>/dev/null
	: > "$work/out"
	sh -c 'echo $$ > "$1/cgroup.procs" && exec python3 "$2" "$3"' - \
		"$grp" "$work/heap.py" "$heap_mb" > "$work/out" 2>&1 &
	pid=$!
	for _ in $(seq 1200); do
		grep -q ready "$work/out" && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.5
	done
	grep -q ready "$work/out" || fail "the workload did not get ready: $(cat "$work/out")"
	sleep 1
	swapped_kb=$(awk -v d="$swapdev" '$1 == d { print $4 }' /proc/swaps)
	cur_kb=$(($(cat "$grp/memory.current") >> 10))
}

stop_workload() {
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	pid=
	swapoff "$swapdev"
	swapdev=
	rmdir "$grp"
}

# cgroup v2 with the memory controller for our group.
grep -q "^[^ ]* $cg cgroup2" /proc/mounts || mount -t cgroup2 none $cg ||
	skip "cannot mount cgroup v2"
grep -qw memory $cg/cgroup.controllers || skip "no memory controller in cgroup v2"
echo +memory > $cg/cgroup.subtree_control 2>/dev/null

# tmem: a persistent device twice the heap, its client found by name.
tmem_devs() {
	local d
	for d in /sys/block/mgpu_tmem*; do
		[ -e "$d" ] && echo "${d##*/}"
	done | sort
}
tmem_devs > "$work/before"
echo "$((heap_mb * 2)) 1 persistent" > $t/blk_create || fail "blk_create"
tmem_devs > "$work/after"
dev=$(comm -13 "$work/before" "$work/after" | head -n 1)
[ -n "$dev" ] || fail "blk_create made no /dev/mgpu_tmemN"
blk=${dev#mgpu_tmem}
client=
for c in "$t"/clients/*; do
	[ "$(cat "$c/name")" = "$dev" ] && client=${c##*/}
done
[ -n "$client" ] || fail "no client named $dev"
mem0=$(cat $t/memory_bytes)
run_workload "/dev/$dev" --discard=pages
c=$t/clients/$client
stored=$(cat "$c/stored_pages")
zero=$(cat "$c/zero_pages")
comp=$(cat "$c/compressed_pages")
bytes=$(cat "$c/bytes")
mem=$(( $(cat $t/memory_bytes) - mem0 ))
echo "# tmem_swap: python3 heap of ${heap_mb} MiB (dicts, lists, strings) under" \
	"memory.max ${limit_mb} MiB, kernel $(uname -r), compression $(cat $t/compression)"
echo "#   /dev/$dev (client $client): ${swapped_kb} KiB swapped out, the cgroup holds" \
	"${cur_kb} KiB; $stored pages stored: $zero zero, $comp compressed," \
	"$((stored - zero - comp)) raw; $bytes bytes of budget charged, $mem bytes of host memory"
stop_workload
echo "$blk" > $t/blk_remove
blk=
[ "$stored" -gt 0 ] || fail "nothing was swapped to /dev/$dev"
awk -v s="$stored" -v z="$zero" -v c="$comp" -v b="$bytes" -v m="$mem" 'BEGIN {
	printf "tmem_swap_compression_ratio = %.2f  (stored bytes / budget charged)\n", s * 4096 / b
	if (m > 0)
		printf "tmem_swap_memory_ratio = %.2f  (stored bytes / host memory held)\n", s * 4096 / m
	printf "tmem_swap_zero_page_share = %.1f %%\n", 100 * z / s
	printf "tmem_swap_compressed_share = %.1f %%\n", 100 * c / s
}'

# The same workload on zram with lz4.
if [ -e /sys/block/zram0 ] || modprobe zram num_devices=1 2> /dev/null; then
	echo 1 > /sys/block/zram0/reset 2>/dev/null
	if echo lz4 > /sys/block/zram0/comp_algorithm &&
	   echo $((heap_mb * 2))M > /sys/block/zram0/disksize; then
		run_workload /dev/zram0
		read -r orig compr used _ _ same _ < /sys/block/zram0/mm_stat
		stop_workload
		echo "#   /dev/zram0 (lz4): ${swapped_kb} KiB swapped out; orig_data_size $orig," \
			"compr_data_size $compr, mem_used_total $used, same_pages $same"
		awk -v o="$orig" -v c="$compr" -v u="$used" -v z="$same" 'BEGIN {
			if (!o || !c || !u)
				exit
			printf "zram_swap_compression_ratio = %.2f  (orig_data_size / compr_data_size)\n", o / c
			printf "zram_swap_memory_ratio = %.2f  (orig_data_size / mem_used_total)\n", o / u
			printf "zram_swap_same_page_share = %.1f %%\n", 100 * z * 4096 / o
		}'
	else
		echo "zram_swap: SKIP (zram0 takes no lz4 or no disksize)"
	fi
else
	echo "zram_swap: SKIP (no zram module)"
fi
