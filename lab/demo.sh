#!/usr/bin/env bash
# make demo: kvmscope's main job, end to end.  Builds what is missing (lab
# kernel, selftests, initramfs), boots the patched lab kernel of a line
# once, runs the demo steps inside it and prints what was seen.  The line:
# --line (make demo KERNEL=6.12), else the newest whose series has all the
# demo shows: the series' events, what the tools make of them, and MapGPA
# handled in KVM against the VMM (the in-kernel MapGPA patches and their
# selftest, private_mem_map_gpa_test).
#
# The steps are lab/demo.d/NN-name.sh, run in name order inside the guest
# (chrooted into the host root, cwd the repo, so build/ tools and bpftool
# work; see lab/run.sh for the environment).  To show a new tool, add a
# step file: its first "# demo: ..." line says what it shows, its output is
# what the user sees, a non-zero exit marks it FAILED.
#
# usage: lab/demo.sh [--line LINE] [--timeout SEC] [--results DIR]
set -euo pipefail
lab_tag=demo
. "$(dirname "$0")/cache.sh"

timeout=3600 results=$repo_dir/build/lab/demo-$(date +%Y%m%d-%H%M%S) chosen=
while [ $# -gt 0 ]; do
	case "$1" in
	--timeout) [ $# -ge 2 ] || usage_error "--timeout needs seconds"; timeout=$2; shift ;;
	--results) [ $# -ge 2 ] || usage_error "--results needs a directory"; results=$2; shift ;;
	--line) [ $# -ge 2 ] || usage_error "--line needs a kernel line"; lab_line "$2"; chosen=1; shift ;;
	-h | --help) sed -n '2,/^set -e/{/^set -e/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
	*) usage_error "unknown option '$1'" ;;
	esac
	shift
done

if [ -z "$chosen" ]; then
	for l in $LAB_LINES; do
		lab_line "$l"
		# shellcheck disable=SC2046 # one word per patch file
		if grep -qs private_mem_map_gpa_test /dev/null $(series_patches); then
			break
		fi
		say "Linux $l: its series has no in-kernel MapGPA yet (the demo compares it with the VMM's), so the demo runs on the next line"
	done
fi

t0=$SECONDS
say "step 1: build what is missing"
"$lab_dir/build-kernel.sh" --line "$line" >/dev/null
"$lab_dir/build-selftests.sh" --line "$line" >/dev/null
"$lab_dir/mkinitramfs.sh" --line "$line" --kernel patched >/dev/null

say "step 2: boot the Linux $line patched lab kernel and run lab/demo.d/ ($(ls "$lab_dir"/demo.d/*.sh | wc -l) steps)"
set +e
"$lab_dir/run.sh" --kernel "$line-patched" --timeout "$timeout" --results "$results" \
	--script "$lab_dir/guest/demo.sh"
rc=$?
set -e

say "step 3: what was seen"
if [ -f "$results/demo-steps.tsv" ]; then
	awk -F'\t' '{ printf "    %-22s %-7s %7ss  %s\n", $1, $2, $3, $4 }' "$results/demo-steps.tsv" >&2
fi
grep -E '^(boot_s|wall_s|status)=' "$results/summary.txt" 2>/dev/null | tr '\n' ' ' | sed 's/^/    /' >&2
echo >&2
say "$([ "$rc" -eq 0 ] && echo "demo OK" || echo "demo FAILED (exit $rc)") in $(fmt_secs $((SECONDS - t0))); everything is in $results"
exit "$rc"
