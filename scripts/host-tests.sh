#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The host tier: userspace unit tests of mgpu's pure logic and tools, the test runner's
# own judge, and the build rules (W=1 warning-free on each kernel, checkpatch clean).
# Usage: host-tests.sh <result dir> <kernel release>...
set -uo pipefail
. "$(dirname "$0")/lib.sh"
cd "$MGPU_TOP" || exit 1
out=$1; shift
: > "$out/times"	# "<step> <seconds>" for the runner's report

for t in build/selftests/host/*_test selftests/host/*_test.sh; do
	[ -x "$t" ] || continue
	name=$(basename "$t" .sh)
	started=$SECONDS
	timeout -k 5 300 "$t" > "$out/$name.tap" 2>&1 < /dev/null
	echo $? > "$out/$name.rc"
	echo "$name $((SECONDS - started)) 300" >> "$out/times"
done

# Build rules as TAP: one result per kernel, plus checkpatch.
started=$SECONDS
{
	echo "TAP version 13"
	echo "1..$((2 * $# + 1))"
	n=0
	for k in "$@"; do
		n=$((n + 1))
		# check.sh built the modules from scratch with W=1 and kept the log.
		log=$MGPU_TOP/build/$k/modules-w1.log
		warn=$(grep -E 'warning:|error:' "$log" 2>/dev/null || true)
		if [ -e "$log" ] && [ -z "$warn" ] &&
		   [ -e "$MGPU_TOP/build/$k/mod/mgpu.ko" ]; then
			echo "ok $n build W=1 warning-free on $k"
		else
			echo "not ok $n build W=1 warning-free on $k"
			echo "${warn:-no W=1 build log $log}" | head -20 | sed 's/^/# /'
		fi
	done
	# DKMS, as a distribution user installs it: from the tracked files, in a private tree.
	dk=$(mktemp -d)
	mkdir -p "$dk/src/mgpu-0.1" "$dk/tree"
	git ls-files -co --exclude-standard | grep -v '^build/' | tar cT - | tar x -C "$dk/src/mgpu-0.1"
	for k in "$@"; do
		n=$((n + 1))
		if log=$(dkms build -m mgpu -v 0.1 -k "$k" --sourcetree "$dk/src" \
			 --dkmstree "$dk/tree" 2>&1) &&
		   [ -n "$(find "$dk/tree/mgpu/0.1/$k" -name 'mgpu.ko*' 2>/dev/null)" ]; then
			echo "ok $n dkms build on $k"
		else
			echo "not ok $n dkms build on $k"
			echo "$log" | tail -20 | sed 's/^/# /'
		fi
	done
	rm -rf "$dk"
	n=$((n + 1))
	if report=$(scripts/checkpatch.sh 2>&1); then
		echo "ok $n checkpatch --strict clean"
	else
		echo "not ok $n checkpatch --strict clean"
		echo "$report" | head -40 | sed 's/^/# /'
	fi
} > "$out/build-rules.tap"
echo "build-rules $((SECONDS - started))" >> "$out/times"
exit 0
