#!/usr/bin/env bash
# Regenerates one series from a kernel git tree whose commits BASE..HEAD
# are the patches (for developers editing the series):
#
#   kernel-patches/export.sh SERIES LINUX_TREE BASE
#
# SERIES is a directory here with a series file: a kernel line's (6.12) or
# one topic of a line (7.3/conversions, 7.3/mmu-roles, ...).
# Keeps the cover letter's subject and text, refreshes its shortlog and
# diffstat, rewrites the patches and the series file, and runs checkpatch.
set -euo pipefail
[ $# -eq 3 ] || { echo "usage: kernel-patches/export.sh SERIES LINUX_TREE BASE" >&2; exit 2; }
name=$1 tree=$2 base=$3
dir=$(cd "$(dirname "$0")" && pwd)/$name
[ -f "$dir/series" ] || { echo "export.sh: no series '$name' (no $dir/series)" >&2; exit 2; }
cover=$dir/0000-cover-letter.patch
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

git -C "$tree" format-patch -q --cover-letter --no-signature --zero-commit -o "$tmp" "$base"
n=$(ls "$tmp"/0*.patch | grep -vc 0000-)
if [ -f "$cover" ]; then
	# Subject line and blurb (from "Subject:" up to the shortlog) of the old cover.
	awk '/^Subject: /{p=1} p && /^[^ ].* \([0-9]+\):$/{exit} p' "$cover" |
		sed "s/^Subject: \[PATCH 0\/[0-9]*\]/Subject: [PATCH 0\/$n]/" > "$tmp/blurb"
	awk -v blurb="$tmp/blurb" '
		/^Subject: / { while ((getline l < blurb) > 0) print l; skip=1; next }
		skip && /^[^ ].* \([0-9]+\):$/ { skip=0 }
		!skip' "$tmp/0000-cover-letter.patch" > "$tmp/cover"
	mv "$tmp/cover" "$tmp/0000-cover-letter.patch"
fi
rm -f "$dir"/0*.patch
cp "$tmp"/0*.patch "$dir"/
(cd "$dir" && ls 0*.patch | grep -v '^0000-' > series)
"$tree/scripts/checkpatch.pl" --strict --show-types --ignore OPEN_ENDED_LINE,PARENTHESIS_ALIGNMENT,FILE_PATH_CHANGES \
	$(sed "s#^#$dir/#" "$dir/series") | grep -E '^(total|ERROR|WARNING|CHECK)' || true
