#!/usr/bin/env bash
# Does the series in DIR (a series file and its patches) apply, patch by
# patch, on the pristine source of kernel line LINE, by itself?  A topic
# built on others names them in DIR/prerequisites (sibling topic
# directories), and they are applied first.  Applies to a scratch index:
# the lab's source tree and its checkout are left alone.
#
#   tests/kernel/apply-series.sh LINE DIR
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 LINE DIR" >&2; exit 2; }
kernel_line=$1 dir=$(cd "$2" && pwd)
# (lab/cache.sh sets its own $line.)
src=$(. lab/cache.sh && lab_line "$kernel_line" && echo "$src_dir")
git -C "$src" rev-parse -q --verify refs/tags/base >/dev/null ||
	{ echo "no pristine source for $kernel_line in $src (lab/build-kernel.sh --line $kernel_line makes it)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export GIT_INDEX_FILE=$tmp/index
git -C "$src" read-tree base
apply_series() { # DIR
	local p
	while read -r p _; do
		case "$p" in '' | '#'*) continue ;; esac
		git mailinfo -u "$tmp/msg" "$tmp/diff" <"$1/$p" >/dev/null
		git -C "$src" apply --cached "$tmp/diff" || { echo "${1##*/}/$p does not apply" >&2; exit 1; }
	done <"$1/series"
}
if [ -f "$dir/prerequisites" ]; then
	while read -r t _; do
		case "$t" in '' | '#'*) continue ;; esac
		[ -f "$dir/../$t/series" ] || { echo "${dir##*/}/prerequisites names $t, which has no series" >&2; exit 1; }
		apply_series "$(cd "$dir/../$t" && pwd)"
	done <"$dir/prerequisites"
fi
apply_series "$dir"
