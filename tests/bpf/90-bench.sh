#!/usr/bin/env bash
# The `make bench` harness without booting the lab (benchmarks themselves
# are not tests): the statistics on known inputs (lab/bench/Stats.pm
# --self-test), report.pl on made-up raw data whose ratios are known, the
# empty-program loader on the host's KVM tracepoints, the scripts' syntax
# and lab/bench.sh's and lab/run.sh --icount's and --smp's handling of bad input.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh
own_tracefs "$@"

tmp=$(mktemp -d /tmp/kvmscope-bench-test.XXXXXX)
loader_pid=
trap '[ -z "$loader_pid" ] || kill "$loader_pid" 2>/dev/null; rm -rf "$tmp"' EXIT

# --- Stats.pm on known inputs: its own TAP lines, renumbered here.
while IFS= read -r line; do
	case $line in
	"ok "*) ok "Stats.pm: ${line#ok * - }" ;;
	"not ok "*) not_ok "Stats.pm: ${line#not ok * - }" ;;
	esac
done < <(perl lab/bench/Stats.pm --self-test 2>&1)
check "Stats.pm --self-test exits 0" perl lab/bench/Stats.pm --self-test

for f in lab/bench.sh lab/bench/guest.sh lab/bench/guest-lib.sh lab/bench/build-hvflush.sh; do
	check "bash -n $f" bash -n "$f"
done
check "report.pl compiles" perl -c lab/bench/report.pl

# --- report.pl on raw data with known answers.
# Blocks 1..20 under -icount: off = 2 s + a wobble; perf-stat 8% slower,
# except block 7 (50%: an outlier); the tool 1% slower; kvm_stat 19%
# slower.  The same section in a normal boot (series.wall): perf-stat 10%,
# the tool 1% faster (the sign differs), kvm_stat 5% (the order differs).
d=$tmp/results
mkdir -p "$d/series" "$d/series.wall"
printf '%s\n' commit=test icount=0 wall=1 >"$d/meta.txt"
printf 'status=ok\nkernel=patched\nrelease=test\nicount=0\n' >"$d/series/summary.txt"
printf 'status=ok\nkernel=patched\nrelease=test\nicount=\n' >"$d/series.wall/summary.txt"
for s in series series.wall; do
	printf '%s\n' section=series pairs=20 release=test "workload=fake" \
		"same_events=kvm:kvm_entry kvm:kvm_hypercall" tool=tdx-conv+tdx-roles >"$d/$s/info.txt"
	printf '# seconds 2.0\n1000,,kvm:kvm_entry,1,100.00,,\n24,,kvm:kvm_hypercall,1,100.00,,\n976,,kvmmmu:kvm_mmu_set_spte,1,100.00,,\n' \
		>"$d/$s/events-workload.csv"
done
blocks_tsv() { # PERF-STAT TOOL KVM_STAT
	awk -v ps="$1" -v tool="$2" -v ks="$3" 'BEGIN {
		OFS = "\t"
		print "block", "pos", "config", "seconds", "rc", "observer", "cycle"
		for (b = 0; b <= 20; b++) {
			off = 2 + 0.01 * ((b * 7) % 5)
			print b, 0, "off", off, 0, "ok", off
			print b, 1, "perf-stat", off * (b == 7 ? 1.5 : ps), 0, "ok", 3
			print b, 2, "tdx-conv+tdx-roles", off * tool, 0, "ok", 3
			print b, 3, "kvm_stat", off * ks, 0, "ok", 3
		}
		# a failed run is left out, not counted
		print 21, 0, "off", 9, 1, "ok", 9
	}'
}
blocks_tsv 1.08 1.01 1.19 >"$d/series/runs.tsv"
blocks_tsv 1.10 0.99 1.05 >"$d/series.wall/runs.tsv"
# The same section booted on a second line (series-LINE): perf-stat 5%.
cp -r "$d/series" "$d/series-7.3"
blocks_tsv 1.05 1.01 1.19 >"$d/series-7.3/runs.tsv"
# Disabled cost, ABBA on two lines: on 6.12 patched boots 2% slower than
# unpatched ones; on 7.3 the same.
for l in 6.12 7.3; do
	for b in 1-patched 2-unpatched 3-unpatched 4-patched; do
		mkdir -p "$d/disabled-$l-$b"
		printf 'status=ok\nkernel=%s\nline=%s\nicount=0\n' "${b#*-}" "$l" >"$d/disabled-$l-$b/summary.txt"
		f=1.00
		[ "${b#*-}" = unpatched ] || [ "$l" = 7.3 ] || f=1.02
		awk -v f="$f" -v b="${b%%-*}" 'BEGIN { print "run\tseconds\trc"
			for (i = 1; i <= 5; i++) printf "%d\t%.4f\t0\n", i, f * (2 + 0.001 * i + 0.002 * b) }' \
			>"$d/disabled-$l-$b/runs.tsv"
	done
done

# hvflush under -icount, blocks 1..9: hvflush-top 0.3% slower, empty
# programs on its attach points 0.2%, kvm_stat 5%, bpftrace 4%.  Floor: the empty program 300 ns a run in every round,
# the hash lookup 900, 1200 and 600 (median 900: 3x), a round that ran
# nothing left out.
mkdir -p "$d/hvflush"
printf 'status=ok\nkernel=patched\nicount=0\n' >"$d/hvflush/summary.txt"
printf '%s\n' section=hvflush pairs=9 release=test cpus=4 "workload=hyperv_tlb_flush NTRY=10" \
	"same_events=kvm:kvm_hv_flush_tlb_enqueue" tool=hvflush-top >"$d/hvflush/info.txt"
awk 'BEGIN { OFS = "\t"; print "block", "pos", "config", "seconds", "rc", "observer", "cycle"
	for (b = 0; b <= 9; b++) {
		off = 2 + 0.001 * ((b * 7) % 5)
		print b, 0, "off", off, 0, "ok", off
		print b, 1, "hvflush-top", off * 1.003, 0, "ok", off
		print b, 2, "kvm_stat-same", off * 1.05, 0, "ok", off
		print b, 3, "bpftrace-same", off * 1.04, 0, "ok", off
		print b, 4, "empty-tool", off * 1.002, 0, "ok", off
	} }' >"$d/hvflush/runs.tsv"
{ printf 'round\tprogram\trun_cnt\trun_time_ns\trc\n'; printf '%s\n' \
	"1	floor_empty	4000	1200000	0" "1	floor_hash_lookup	4000	3600000	0" \
	"2	floor_empty	4000	1200000	0" "2	floor_hash_lookup	2000	2400000	0" \
	"3	floor_empty	0	0	0" "3	floor_hash_lookup	4000	2400000	0"; } >"$d/hvflush/floor.tsv"
# MapGPA, 1 page, blocks 1..5: kernel twice userspace's conversions/s and
# half its p50, notify 1.1x; block 3's kernel run failed (left out, with
# its block).  The kernel's zap run: 0.5 s of 2 s zapping, of 1 s
# converting.
mkdir -p "$d/mapgpa/mapgpa"
printf 'status=ok\nkernel=patched\n' >"$d/mapgpa/summary.txt"
printf '%s\n' section=mapgpa pairs=5 release=test workload=fake >"$d/mapgpa/info.txt"
printf 'pages\tblock\tmode\tseconds\trc\n' >"$d/mapgpa/runs.tsv"
for b in 0 1 2 3 4 5; do
	for m in kernel:2 kernel-notify:1.1 userspace:1; do
		rc=0
		[ "$b:${m%%:*}" != 3:kernel ] || rc=1
		printf '1\t%s\t%s\t1\t%s\n' "$b" "${m%%:*}" "$rc" >>"$d/mapgpa/runs.tsv"
		awk -v f="${m#*:}" -v b="$b" 'BEGIN { printf "mode x pages 1 conversions 10 seconds 1 conversions_per_sec %.1f p50_us %.2f p99_us %.2f\n",
			1000 * f * (1 + 0.01 * b), 10 / f * (1 + 0.01 * b), 20 / f }' >"$d/mapgpa/mapgpa/1-${m%%:*}-$b.out"
	done
done
printf '%s\n' "mode kernel pages 1 conversions 10 seconds 2.000000 conversions_per_sec 5.0 p50_us 1.00 p99_us 1.00" \
	"zap_ns 500000000" "conv_ns 1000000000" >"$d/mapgpa/mapgpa/1-kernel-zap.txt"
# Per-event cost alone (cost-LINE), three runs of 100 events: the tool's
# program 600, 610 and 50600 ns a run (a stall in the second run: the
# median is 610), the empty one 60, bpftrace's count() 450; one run
# without tracing, 2 s (the warm-up's 2.1 s left out).
c=$d/cost-6.12
mkdir -p "$c/bpf-tools"
printf 'status=ok\nkernel=patched\nrelease=test\nicount=0\n' >"$c/summary.txt"
printf '%s\n' section=cost pairs=1 release=test workload=fake tool=tdx-conv+tdx-roles \
	"same_events=kvm:kvm_vm_set_mem_attributes_done" >"$c/info.txt"
printf 'block\tpos\tconfig\tseconds\trc\tobserver\tcycle\n0\t0\toff\t2.1\t0\tok\t2.1\n1\t0\toff\t2.0\t0\tok\t2\n' >"$c/runs.tsv"
echo '[]' >"$c/bpf-tools/progs-0-none.json"
echo '[{"id":10,"name":"conv_done_btf"}]' >"$c/bpf-tools/progs-1-tdx-conv.json"
echo '[{"id":10,"name":"conv_done_btf"},{"id":20,"name":"empty"}]' >"$c/bpf-tools/progs-2-empty.json"
echo '[{"id":10,"name":"conv_done_btf"},{"id":20,"name":"empty"},{"id":30,"name":"kvm_vm_set_mem"}]' \
	>"$c/bpf-tools/progs-3-bpftrace-same.json"
echo '20 kvm_vm_set_mem_attributes_done' >"$c/bpf-tools/empty-ids.txt"
echo '[{"prog_id":10,"tp_name":"kvm_vm_set_mem_attributes_done"}]' >"$c/bpf-tools/links.json"
echo '[{"prog_id":30,"tracepoint":"kvm_vm_set_mem_attributes_done"}]' >"$c/bpf-tools/perf.json"
echo '[]' >"$c/bpf-tools/before.json"
for k in 1 2 3; do
	tool=$(( (k > 1 ? 60000 + 5060000 : 60000) + (k > 2 ? 61000 : 0) ))
	printf '[{"id":10,"name":"conv_done_btf","run_cnt":%d,"run_time_ns":%d},
		{"id":20,"name":"empty","run_cnt":%d,"run_time_ns":%d},
		{"id":30,"name":"kvm_vm_set_mem","run_cnt":%d,"run_time_ns":%d}]\n' \
		$((100 * k)) "$tool" $((100 * k)) $((6000 * k)) $((100 * k)) $((45000 * k)) >"$c/bpf-tools/after-$k.json"
done
cp "$c/bpf-tools/after-3.json" "$c/bpf-tools/after.json"
printf 'run\tseconds\trc\n1\t2.0\t0\n2\t2.0\t0\n3\t2.0\t0\n' >"$c/bpf-tools/runs.tsv"
if perl lab/bench/report.pl "$d" >"$tmp/report.out" 2>&1; then
	ok "report.pl runs on made-up data"
else
	not_ok "report.pl runs on made-up data" "$(tail -5 "$tmp/report.out")"
fi
j=$d/results.json
q() { jq -r "$1" "$j" 2>/dev/null; }
check_eq "perf-stat: median paired ratio" 1.080 "$(printf '%.3f' "$(q '.sections.series.configs["perf-stat"].ratio')")"
check_eq "perf-stat: 20 pairs (warm-up and failed runs left out)" 20 "$(q '.sections.series.configs["perf-stat"].n')"
check_eq "perf-stat: block 7 is the outlier pair" 7 "$(q '.sections.series.configs["perf-stat"].outliers | map(.block) | join(",")')"
check_eq "perf-stat: 95% interval coverage of n=20" 0.9586 "$(printf '%.4f' "$(q '.sections.series.configs["perf-stat"].coverage')")"
check_eq "series-7.3: its own line's ratio, reported under its own key" 1.050 \
	"$(printf '%.3f' "$(q '.sections["series-7.3"].configs["perf-stat"].ratio')")"
check "summary: series-7.3 has its own section, titled with its line" grep -q '^1\. .*series mode, Linux 7\.3$' "$d/summary.txt"
check_eq "tool: median ratio" 1.010 "$(printf '%.3f' "$(q '.sections.series.configs["tdx-conv+tdx-roles"].ratio')")"
check_eq "tool vs kvm_stat, same blocks: 1.01/1.19" 0.849 \
	"$(printf '%.3f' "$(q '.sections.series.versus[] | select(.base == "kvm_stat") | .ratio')")"
check_eq "anchors' events per run from perf stat (kvm: + kvmmmu:)" 2000 "$(q '.sections.series.events_per_run_all')"
# off's median is 2.02 s (2.00..2.04, four each): 8% of it over 2000 events.
check_eq "extra ns/event: median(on - off) / events = 0.1616 s / 2000" 80800 \
	"$(printf '%.0f' "$(q '.sections.series.configs["perf-stat"].wall_ns_per_event')")"
check "summary: the tool's target verdict is printed (1% is above +0.5%)" grep -q '<= +0.5%: no' "$d/summary.txt"
check "summary: titles say what was measured, not which issue asked" \
	sh -c "! grep -qi issue '$d/summary.txt'"
check "summary: the icount section says its time is guest instructions" \
	grep -q '^time: guest instructions (-icount shift=0' "$d/summary.txt"
check "summary: the normal boot's section follows as the wall-time cross-check" \
	sh -c "grep -A3 'series mode: wall-time cross-check' '$d/summary.txt' | grep -q '^time: wall'"
check_eq "wall cross-check: perf-stat's wall ratio" 1.100 \
	"$(printf '%.3f' "$(q '.sections["series.wall"].configs["perf-stat"].ratio')")"
check_eq "agreement: the sign of perf-stat and kvm_stat agrees, the tool's does not" "true true false" \
	"$(q '.sections.series.agreement.configs | [.["perf-stat"], .kvm_stat, .["tdx-conv+tdx-roles"]] | map(.same_sign | tostring) | join(" ")')"
check_eq "agreement: wall time swaps perf-stat and kvm_stat, nothing else" "perf-stat/kvm_stat" \
	"$(q '.sections.series.agreement.order_swaps | join(",")')"
check "summary: the swap is named" grep -q 'order: wall time swaps perf stat .* and kvm_stat' "$d/summary.txt"
check_eq "disabled 6.12: patched / unpatched from per-boot medians" 1.020 \
	"$(printf '%.3f' "$(q '.sections.disabled.lines["6.12"].ratio.ratio')")"
check_eq "disabled 6.12: 2+2 boots" "2 2" "$(q '.sections.disabled.lines["6.12"].ratio | "\(.n_a) \(.n_b)"')"
check_eq "disabled 7.3: its own boots, ratio 1" 1.000 \
	"$(printf '%.3f' "$(q '.sections.disabled.lines["7.3"].ratio.ratio')")"
check "summary: 1.000 is inside 7.3's interval, not 6.12's" \
	sh -c "grep -A3 'Linux 7.3: patched / unpatched' '$d/summary.txt' | grep -q ' yes\$' &&
		grep -A3 'Linux 6.12: patched / unpatched' '$d/summary.txt' | grep -q ' no\$'"
check_eq "hvflush: hvflush-top, kvm_stat and bpftrace ratios" "1.003 1.050 1.040" \
	"$(printf '%.3f %.3f %.3f' $(q '.sections.hvflush.configs | [.["hvflush-top"], .["kvm_stat-same"], .["bpftrace-same"]] | map(.ratio | tostring) | join(" ")'))"
check "summary: hvflush-top's row has its ratio, interval and the +0.5% target met" \
	grep -qE '^hvflush-top -j +\+0\.3% +\[\+0\.3%, \+0\.3%\] [0-9]+% +9 .*<= \+0\.5%: yes' "$d/summary.txt"
check "summary: the empty programs' row follows hvflush-top's, with its interval" \
	sh -c "grep -A1 '^hvflush-top -j ' '$d/summary.txt' |
		grep -qE \"^empty programs, the tool's attach points +\\+0\\.2% +\\[\\+0\\.2%, \\+0\\.2%\\] [0-9]+% +9 \""
check_eq "hvflush: the empty programs' ratio, and not in the tool-versus-others table" "1.002 0" \
	"$(printf '%.3f %s' $(q '.sections.hvflush | [.configs["empty-tool"].ratio, (.versus | map(select(.base == "empty-tool")) | length)] | map(tostring) | join(" ")'))"
check "summary: the hvflush section says the vCPUs its boot had" \
	grep -q '^kernel patched (test), 4 vCPUs, workload: hyperv_tlb_flush NTRY=10,' "$d/summary.txt"
check "summary: the header claims no vCPU count for every section" \
	sh -c "! grep -q '^lab: .*vCPUs' '$d/summary.txt'"
check "summary: the hvflush table names the workload with its NTRY, in run time" \
	grep -q '^Run time of hyperv_tlb_flush NTRY=10 with / without' "$d/summary.txt"
# off: 2 s + 0.001 * ((7b) mod 5), blocks 1..9: mean 2.00222, sd 0.00139
check "summary: the unobserved runs' spread is under the hvflush table" \
	grep -q '^  nothing attached: 9 runs, 2.0000-2.0040 s, CV 0.07%$' "$d/summary.txt"
check "summary: the floor under icount is in guest instructions" \
	grep -q "each program alone (the floor under '<= 2x empty'): ns per program run = guest instructions" "$d/summary.txt"
check_eq "floor: empty and hash lookup, medians over the rounds that ran" "300 900 3" \
	"$(q '.sections.hvflush.floor | map(select(.program == "floor_empty" or .program == "floor_hash_lookup")) | map(.ns_per_run) + [.[1].x_empty] | map(tostring) | join(" ")')"
check_eq "mapgpa: conversions/s kernel/userspace, notify/userspace" "2.000 1.100" \
	"$(printf '%.3f %.3f' $(q '.sections.mapgpa["1"].cps.vs_userspace | [.kernel.ratio, .["kernel-notify"].ratio] | map(tostring) | join(" ")'))"
check_eq "mapgpa: p50 kernel/userspace" 0.500 "$(printf '%.3f' "$(q '.sections.mapgpa["1"].p50_us.vs_userspace.kernel.ratio')")"
check_eq "mapgpa: 4 blocks where all three ran (failed run and warm-up left out)" 4 \
	"$(q '.sections.mapgpa["1"].cps.vs_userspace.kernel.n_a')"
check_eq "mapgpa: the zap's share of the run and of the conversion" "0.25 0.5" \
	"$(q '.sections.mapgpa["1"].zap.kernel | "\(.of_run) \(.of_conversion)"')"
check_eq "cost: the run without tracing, warm-up left out" 2 "$(q '.sections["cost-6.12"].off_s')"
check_eq "cost: ns per run, the median run's: tool / empty / bpftrace, and the tool against bpftrace" "610 60 450 1.356" \
	"$(q '.sections["cost-6.12"].per_event[0] | "\(.tool_ns) \(.empty_ns) \(.bpftrace_ns) \(.x_bpftrace * 1000 | round / 1000)"')"
check_eq "cost: each run's ns per event, the stall in the second" "600 50600 610" \
	"$(q '.sections["cost-6.12"].per_event[0].tool_ns_runs | map(tostring) | join(" ")')"
check_eq "cost: predicted slowdown from the totals, the stall included: 1.727 ms of BPF per 2 s run" 0.0008635 \
	"$(q '.sections["cost-6.12"].predicted["tdx-conv+tdx-roles"].slowdown')"
check "summary: the cost section says its line and what it is" grep -q "^2a'\\. .*per-event cost alone, Linux 6\\.12\$" "$d/summary.txt"
check "disabled 6.12: the interval contains the true 2%" \
	jq -e '.sections.disabled.lines["6.12"].ratio | .lo <= 1.02 and .hi >= 1.02' "$j"

# --- a timed run touches nothing but tmpfs: the results share is 9p, and
# under -icount waiting for the host there jumps guest time ahead.
mkdir -p "$tmp/share" "$tmp/work"
(
	OUT=$tmp/share WORK=$tmp/work
	. lab/bench/guest-lib.sh
	WORKLOAD=(sh -c 'echo oops >&2; readlink /proc/self/fd/1 /proc/self/fd/2')
	run_timed
	echo "$run_rc"
) >"$tmp/timed.out" 2>&1
check_eq "run_timed: the workload's stdout and stderr are in WORK, not OUT" \
	"$tmp/work/workload.out $tmp/work/workload.err 0" \
	"$(tr '\n' ' ' <"$tmp/work/workload.out")$(cat "$tmp/timed.out")"
check_eq "run_timed: its stderr is in OUT/workload.err after the run" oops "$(cat "$tmp/share/workload.err" 2>&1)"

# --- the empty-program loader, on the host's own KVM tracepoints.
if ! make -s build/bench_empty.skel.h build/libkvmscope.a >"$tmp/make.log" 2>&1 ||
	! cc -O2 -Wall -Wextra -Werror -Ibuild -Itools/lib -Ibpf lab/bench/empty-attach.c \
		build/libkvmscope.a -lbpf -lelf -lz -o "$tmp/empty-attach" >>"$tmp/make.log" 2>&1; then
	not_ok "build lab/bench/empty-attach.c" "$(tail -20 "$tmp/make.log")"
	tap_done
	exit 1
fi
ok "build lab/bench/empty-attach.c (-Wall -Wextra -Werror)"
"$tmp/empty-attach" kvm_exit >/dev/null 2>"$tmp/err"
check_eq "empty-attach: an event without an empty program exits 2" 2 $?
"$tmp/empty-attach" >/dev/null 2>&1
check_eq "empty-attach: no event exits 2" 2 $?
if [ ! -d /sys/kernel/tracing/events/kvm/kvm_entry ]; then
	not_ok "the host kernel has the kvm tracepoints (is kvm loaded?)"
else
	"$tmp/empty-attach" kvm_entry sys_enter_ioctl >"$tmp/ids" 2>"$tmp/err" &
	loader_pid=$!
	for _ in $(seq 100); do grep -q '^ready' "$tmp/ids" && break; sleep 0.1; done
	check "empty-attach: ready once attached" grep -q '^ready$' "$tmp/ids"
	id=$(awk '$2 == "kvm_entry" { print $1 }' "$tmp/ids")
	check "empty-attach: the kvm_entry program's id is a raw_tracepoint program" \
		sh -c "bpftool prog show id '$id' | grep -q 'raw_tracepoint  name empty_kvm_entry'"
	check "empty-attach: its raw_tp link is on kvm_entry" \
		sh -c "bpftool link show | grep -A1 'prog $id' | grep -q 'tp .kvm_entry.'"
	kill -INT "$loader_pid"
	wait "$loader_pid"
	check_eq "empty-attach: SIGINT detaches and exits 0" 0 $?
	loader_pid=
	check "empty-attach: nothing left attached" \
		sh -c "! bpftool prog show id '$id' >/dev/null 2>&1"
	# -b: tp_btf where hvflush-top would use it (the host's BTF has the
	# event), raw_tp where bench_empty.bpf.c has no tp_btf twin.
	"$tmp/empty-attach" -b kvm_hv_flush_tlb sched_process_exit >"$tmp/ids" 2>"$tmp/err" &
	loader_pid=$!
	for _ in $(seq 100); do grep -q '^ready' "$tmp/ids" && break; sleep 0.1; done
	id=$(awk '$2 == "kvm_hv_flush_tlb" { print $1 }' "$tmp/ids")
	id2=$(awk '$2 == "sched_process_exit" { print $1 }' "$tmp/ids")
	check "empty-attach -b: kvm_hv_flush_tlb's program is tp_btf (tracing)" \
		sh -c "bpftool prog show id '$id' | grep -q 'tracing  name empty_btf_kvm_hv'"
	check "empty-attach -b: sched_process_exit, without a twin, is raw_tp" \
		sh -c "bpftool prog show id '$id2' | grep -q 'raw_tracepoint  name empty_sched_pr'"
	check_eq "empty-attach -b: one program per event" 2 "$(grep -c '^[0-9]' "$tmp/ids")"
	kill -INT "$loader_pid"
	wait "$loader_pid"
	check_eq "empty-attach -b: SIGINT detaches and exits 0" 0 $?
	loader_pid=
fi

# --- bad input to lab/bench.sh: exit 2 before anything is built or booted.
for bad in "BENCH_PAIRS=0" "BENCH_PAIRS=x" "BENCH_ONLY=series,nope" "BENCH_MAPGPA=1" "BENCH_BOOTS=-1" \
	"BENCH_ICOUNT=11" "BENCH_ICOUNT=auto" "BENCH_WALL=2" "BENCH_LINES=9.9" "BENCH_ICOUNT=off BENCH_WALL=1"; do
	env $bad lab/bench.sh --dry-run >/dev/null 2>"$tmp/err"
	check_eq "lab/bench.sh with $bad exits 2" 2 $?
done
lab/bench.sh --frobnicate >/dev/null 2>&1
check_eq "lab/bench.sh with an unknown option exits 2" 2 $?
for bad in 11 auto -1 ""; do
	lab/run.sh --icount "$bad" -- true >/dev/null 2>"$tmp/err"
	check_eq "lab/run.sh --icount '$bad' exits 2" 2 $?
done
check "lab/run.sh --icount: the error names the accepted shifts" grep -q 'shift from 0 to 10' "$tmp/err"
for bad in 0 17 x ""; do
	lab/run.sh --smp "$bad" -- true >/dev/null 2>"$tmp/err"
	check_eq "lab/run.sh --smp '$bad' exits 2" 2 $?
done
check "lab/run.sh --smp: the error names the accepted counts" grep -q 'vCPUs from 1 to 16' "$tmp/err"
# --- the short hyperv_tlb_flush: a source it cannot shorten is refused
# before any key, tree or build.  No cache at all: a script that went on
# would fail fast there, with another message, instead of fetching a tree.
printf 'int main(void) { return 0; }\n' >"$tmp/no-ntry.c"
printf '#define NTRY 100\n#define NTRY 100\n' >"$tmp/two-ntry.c"
for src in no-ntry:0 two-ntry:2; do
	XDG_CACHE_HOME=/dev/null/no-cache lab/bench/build-hvflush.sh --ntry 10 --source "$tmp/${src%:*}.c" \
		>"$tmp/out" 2>"$tmp/err"
	check_eq "build-hvflush.sh with ${src%:*}.c exits 1 and prints no binary" "1 " "$? $(cat "$tmp/out")"
	check "build-hvflush.sh with ${src%:*}.c: the error says it found ${src#*:} NTRY lines" \
		grep -q "expected one '#define NTRY <number>' line, found ${src#*:}" "$tmp/err"
done
for bad in 0 x ""; do
	XDG_CACHE_HOME=/dev/null/no-cache lab/bench/build-hvflush.sh --ntry "$bad" >/dev/null 2>&1
	check_eq "build-hvflush.sh --ntry '$bad' exits 2" 2 $?
done
check "lab/bench.sh --help names every section" \
	sh -c 'lab/bench.sh --help | grep -qE "^  series" && lab/bench.sh --help | grep -qE "^  disabled"'
tap_done
