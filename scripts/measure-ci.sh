#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Time CI as CI runs it: a fresh clone of HEAD in a temporary folder, 'bash .ci/run' with
# CI=true, optionally with a CPU hog pinned to one core (the stand-in for a slow
# machine) and with cold caches. Prints .ci/run's last lines and the wall time; the
# clone's results stay in <clone>/build/check.
#
# Usage: measure-ci.sh [--hog] [--cold] [--keep]
#   --hog    a busy loop on the last CPU for the whole run
#   --cold   empty the caches of mgpu's own kernel builds first ($MGPU_CACHE, default
#            /var/cache/mgpu); packages stay installed (time 'make deps' from nothing
#            on a new machine for those)
#   --keep   keep the clone (default: removed; its log, times and build/check are
#            copied to build/measure-ci/)
set -uo pipefail
. "$(dirname "$0")/lib.sh"

hog=0
cold=0
keep=0
for a in "$@"; do
	case "$a" in
	--hog) hog=1 ;;
	--cold) cold=1 ;;
	--keep) keep=1 ;;
	*) mgpu_die "measure-ci.sh: unknown option $a" ;;
	esac
done

clone=$(mktemp -d /tmp/mgpu-ci.XXXXXX)
git clone -q "$MGPU_TOP" "$clone/mgpu" || mgpu_die "cannot clone $MGPU_TOP"
[ "$cold" = 0 ] || rm -rf "${MGPU_CACHE:-/var/cache/mgpu}"
hog_pid=
if [ "$hog" = 1 ]; then
	cpu=$(($(nproc) - 1))
	taskset -c "$cpu" sh -c 'while :; do :; done' &
	hog_pid=$!
fi
start=$(date +%s)
(cd "$clone/mgpu" && CI=true bash .ci/run < /dev/null) > "$clone/ci.log" 2>&1
rc=$?
secs=$(($(date +%s) - start))
[ -z "$hog_pid" ] || kill "$hog_pid"
keepdir=$MGPU_TOP/build/measure-ci
mkdir -p "$keepdir"
cp "$clone/ci.log" "$keepdir/ci-$start.log"
cp "$clone/mgpu/build/check/times.txt" "$keepdir/times-$start.txt" 2>/dev/null
# Every result (TAP, consoles, captures): a failure must be readable after the clone goes.
cp -a "$clone/mgpu/build/check" "$keepdir/check-$start" 2>/dev/null
tail -n 40 "$clone/ci.log"
echo "measure-ci: rc $rc in ${secs}s ($((secs / 60)) min $((secs % 60)) s)," \
	"hog $hog, cold $cold; log $keepdir/ci-$start.log"
if [ "$keep" = 1 ]; then
	echo "measure-ci: clone kept in $clone/mgpu"
else
	rm -rf "$clone"
fi
exit $rc
