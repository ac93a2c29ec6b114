#!/usr/bin/env bash
# Does the series in DIR (a series file and its patches) apply, patch by
# patch, on the pristine source of kernel line LINE, by itself?  Applies to
# a scratch index: the lab's source tree and its checkout are left alone.
#
#   tests/kernel/apply-series.sh LINE DIR
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 LINE DIR" >&2; exit 2; }
line=$1 dir=$(cd "$2" && pwd)
src=$(. lab/cache.sh && lab_line "$line" && echo "$src_dir")
git -C "$src" rev-parse -q --verify refs/tags/base >/dev/null ||
	{ echo "no pristine source for $line in $src (lab/build-kernel.sh --line $line makes it)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export GIT_INDEX_FILE=$tmp/index
git -C "$src" read-tree base
while read -r p _; do
	case "$p" in '' | '#'*) continue ;; esac
	git mailinfo -u "$tmp/msg" "$tmp/diff" <"$dir/$p" >/dev/null
	git -C "$src" apply --cached "$tmp/diff" || { echo "$p does not apply" >&2; exit 1; }
done <"$dir/series"
