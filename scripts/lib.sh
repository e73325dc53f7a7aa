# SPDX-License-Identifier: GPL-2.0-only
# mgpu: shared helpers for the scripts (sourced, not run).

MGPU_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# The newest installed kernel of a series: mgpu_kver 6.12 | 6.1
mgpu_kver() {
	local pat
	case "$1" in
	6.12) pat='^6\.12\.' ;;
	6.1) pat='^6\.1\.0-' ;;
	*) pat="^$1" ;;
	esac
	ls -1 /lib/modules 2>/dev/null | grep -E "$pat" | sort -V | tail -n 1
}

mgpu_kvers() {
	local k
	for k in 6.12 6.1; do
		mgpu_kver "$k"
	done
}

mgpu_die() {
	echo "mgpu: $*" >&2
	exit 1
}
