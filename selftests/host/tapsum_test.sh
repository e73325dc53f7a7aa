#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Host tier: the test runner's judge (scripts/tapsum.py) on synthetic results — each
# way a run can go wrong must fail it, and a clean run must pass. Prints TAP.
set -u
judge="$(cd "$(dirname "$0")/../.." && pwd)/scripts/tapsum.py"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
fails=0

tap_ok='TAP version 13
1..2
ok 1 a
ok 2 b # SKIP no device'

vmdir() {	# vmdir <name> <tap text> <status> [console text] [vm rc]
	local d="$tmp/$1"
	mkdir -p "$d"
	echo "vm t" > "$d/plan"
	[ "$3" = none ] || echo "vm t $3" > "$d/results"
	printf '%s\n' "$2" > "$d/vm-t.tap"
	printf '%s\n' "${4:-boot ok}" > "$d/console.log"
	echo "${5:-0}" > "$d/vm.rc"
	echo "$d"
}

expect() {	# expect <description> <want status> <want summary regex> <dir>
	local out rc
	n=$((n + 1))
	out=$("$judge" "$4" 2>&1)
	rc=$?
	if [ "$rc" = "$2" ] && echo "$out" | tail -n 1 | grep -qE "$3"; then
		echo "ok $n $1"
	else
		echo "not ok $n $1"
		echo "$out" | sed 's/^/# /'
		fails=$((fails + 1))
	fi
}

echo "TAP version 13"
echo "1..15"
expect "clean run passes" 0 '^1 passed, 0 failed, 1 skipped$' "$(vmdir clean "$tap_ok" 0)"
expect "not ok fails" 1 '^1 passed, 1 failed' \
	"$(vmdir notok "$(printf '1..2\nok 1 a\nnot ok 2 b')" 1)"
expect "missing plan fails" 1 ' 1 failed' "$(vmdir noplan 'ok 1 a' 0)"
expect "short stream fails" 1 ' 1 failed' "$(vmdir short "$(printf '1..3\nok 1 a')" 0)"
expect "timeout fails" 1 ' 1 failed' "$(vmdir timeout "$(printf '1..1\nok 1 a')" 124)"
expect "never reported fails" 1 ' 1 failed' "$(vmdir unreported "$tap_ok" none)"
expect "kernel WARNING fails" 1 ' 1 failed' \
	"$(vmdir warn "$tap_ok" 0 '[ 1.0] WARNING: CPU: 0 PID: 1 at x.c:1')"
expect "hung VM fails" 1 ' 1 failed' "$(vmdir hung "$tap_ok" 0 'boot' 124)"
expect "indented subtest lines are not counted" 0 '^1 passed, 0 failed, 0 skipped$' \
	"$(vmdir nested "$(printf '1..1\n    not ok 1 inner # diagnostic\nok 1 a')" 0)"
expect "more results than planned fails" 1 ' 1 failed' \
	"$(vmdir long "$(printf '1..1\nok 1 a\nok 2 b')" 0)"
expect "hung task fails" 1 ' 1 failed' \
	"$(vmdir hungtask "$tap_ok" 0 '[ 9.0] INFO: task poweroff:278 blocked for more than 120 seconds.')"
d="$tmp/nojob"
mkdir -p "$d"
echo "cd: /somewhere: No such file or directory" > "$d/job.log"
echo 1 > "$d/vm.rc"
echo boot > "$d/console.log"
expect "a VM whose job ran no test fails" 1 '^0 passed, [1-9][0-9]* failed' "$d"
d=$(vmdir tiers "$tap_ok" 0)
echo "vm qemu guest" > "$d/tiers"
expect "a requested tier that planned no test fails" 1 ' 2 failed' "$d"
# vm-job.sh records each test's seconds after its status.
d=$(vmdir timed "$tap_ok" 0)
echo "vm t 0 42" > "$d/results"
expect "a result with its seconds is read" 0 '^1 passed, 0 failed, 1 skipped$' "$d"
d=$(vmdir timedout "$(printf '1..1\nok 1 a')" 0)
echo "vm t 124 600" > "$d/results"
expect "a timeout with its seconds fails" 1 ' 1 failed' "$d"
[ "$fails" = 0 ]
