#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Run the kernel's checkpatch.pl --strict over mgpu's kernel and test sources.
# Prints checkpatch's report; exits non-zero if it found anything.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
cd "$MGPU_TOP"
"$MGPU_TOP/scripts/linux-source.sh" "$MGPU_TOP/build/linux-source" || exit 1
cp="$MGPU_TOP/build/linux-source/scripts/checkpatch.pl"
all=$(git ls-files -co --exclude-standard -- '*.c' '*.h' | grep -v '^build/')
# Userspace C (tests, tools) uses <stdint.h> types, and volatile for device memory it
# maps (userspace has no READ_ONCE/WRITE_ONCE); everything else is kernel code.
user=$(echo "$all" | grep -E '^(selftests|userspace-tools|bench)/|^vfio-glue/cfgspace\.h$')
kernel=$(echo "$all" | grep -v -x -F "$user")
rc=0
# shellcheck disable=SC2086
perl "$cp" --strict --no-tree --terse --show-types -f $kernel || rc=1
# shellcheck disable=SC2086
perl "$cp" --strict --no-tree --terse --show-types --ignore PREFER_KERNEL_TYPES,VOLATILE \
	-f $user || rc=1
exit $rc
