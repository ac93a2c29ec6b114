#!/usr/bin/env bash
# The main job, as the README runs it: lab/demo.sh boots the patched lab
# kernel and runs lab/demo.d/.  Every step must succeed, and every section
# must show data, checked here on what the steps printed and wrote (not
# only on the steps' own verdicts):
#  - the series' tracepoints each fired;
#  - tdx-trace printed conversions, a summary and MapGPA latency, and the
#    in-kernel vs userspace comparison has MapGPA latency on both sides;
#  - every hvflush-top snapshot the demo prints has rows;
#  - the Prometheus queries have series and every panel has data.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh

out=$PWD/build/tests-lab/demo
rm -rf "$out"
mkdir -p "$out"

lab/demo.sh --results "$out/results" >"$out/demo.log" 2>&1
rc=$?
log=$out/results/output.log
check_eq "make demo's lab/demo.sh exits 0" 0 "$rc"
if [ ! -s "$log" ]; then
	not_ok "the demo's output is in $log" "$(tail -n 20 "$out/demo.log")"
	tap_done
	exit 1
fi
steps=$out/results/demo-steps.tsv
check_eq "every lab/demo.d step ran" "$(ls lab/demo.d/*.sh | wc -l)" "$(wc -l <"$steps" 2>/dev/null)"
while IFS=$'\t' read -r step res secs _; do
	check_eq "demo step $step" ok "$res"
done <"$steps"

# section N: the output of step N (from its "=== N" line to the next).
section() { tr -d '\r' <"$log" | awk -v s="=== $1" 'index($0, s) == 1 { on = 1; next } /^=== / { on = 0 } on'; }
d=$out/results/demo

section 20-tracepoints >"$out/20.txt"
check_eq "tracepoints: each of the seven events fired (the series' six, kvm_nested_vmexit_inject)" 7 \
	"$(grep -cE '^kvm[a-z]*/[a-z_]+ +fired [1-9][0-9]* times$' "$out/20.txt")"

section 30-tdx-trace >"$out/30.txt"
n=$(grep -oE '\.\.\. [0-9]+ conversions' "$out/30.txt" | grep -oE '[0-9]+')
check "tdx-trace: conversions printed (${n:-none})" test "${n:-0}" -gt 0
check "tdx-trace -s: the summary counts conversions" \
	grep -qE '^Total: [1-9][0-9]* conversions' "$d/tdx-trace/summary.txt"
check "tdx-trace -s --mapgpa: MapGPA latency in the summary" \
	grep -qE '^MapGPA pid .* latency mean [0-9.]+us p50 [0-9.]+us p99 [0-9.]+us' "$d/tdx-trace/summary.txt"
check "tdx-trace roles: role computations shown" test -s "$d/tdx-trace/roles.txt"
for mode in kernel userspace; do
	check "MapGPA comparison, $mode: latency shown" \
		grep -qE "^ +MapGPA pid .* latency mean [0-9.]+us" "$out/30.txt"
	check "MapGPA comparison, $mode: latency measured" \
		grep -qE '^MapGPA pid .* latency mean [0-9.]+us' "$d/tdx-trace/mapgpa-$mode.txt"
done
check_eq "MapGPA comparison: latency lines printed for both sides" 0 \
	"$(grep -c 'no MapGPA latency\|nothing in' "$out/30.txt")"

section 40-hvflush-top >"$out/40.txt"
for w in hyperv_tlb_flush hyperv_svm_test; do
	# Every snapshot the step printed: its "rows: N of M" line has N > 0.
	printed=$(awk -v w="$w" '/^--- hvflush-top -b during / { on = index($0, w) > 0 } on' "$out/40.txt")
	check_eq "hvflush-top during $w: one snapshot printed" 1 "$(grep -c '^hvflush-top ' <<<"$printed")"
	check "hvflush-top during $w: the printed snapshot is the final one" \
		grep -q '^hvflush-top .* final (whole run)' <<<"$printed"
	check_eq "hvflush-top during $w: every printed snapshot has rows" \
		"$(grep -c '^rows: ' <<<"$printed")" "$(grep -c '^rows: [1-9]' <<<"$printed")"
	check "hvflush-top during $w: row lines under the column titles" \
		bash -c 'grep -A1 "^VM  *PID VCPU FIFO" <<<"$1" | grep -qE " L[12] "' _ "$printed"
done

section 50-prometheus >"$out/50.txt"
check_eq "Prometheus: every query returned series" 0 "$(grep -c '^    no series' "$out/50.txt")"
check "Prometheus: conversions by direction" grep -qE 'direction=(private|shared) => [1-9]' "$out/50.txt"
check "dashboards: every panel drawn with data" grep -qE '^ +[1-9][0-9]* panels drawn \(0 without data\)' "$out/50.txt"
tap_done
