#!/usr/bin/env bash
# make bench: kvmscope's benchmarks in the QEMU lab.  Boots the lab kernels
# (lab/run.sh), runs lab/bench/guest.sh in them, and prints a table per
# section: ratios with their intervals, n, outlier pairs and the targets
# next to them.  Ratios, not pass/fail: the exit status only says whether
# every benchmark ran.
#
# Time is guest time under QEMU's -icount (lab/run.sh --icount): guest
# instructions, not the host's seconds, so the figures do not depend on
# how busy the host is (lab/bench/README.md says what it cannot see).
# BENCH_WALL=1 adds a normal boot per section, reported beside the icount
# one as a cross-check; it doubles the run time.
#
# Sections (BENCH_ONLY=a,b,...; default all), one lab boot each unless said:
#   series    the anchors (perf stat, perf record, kvm_stat, bpftrace on
#             every kvm:/kvmmmu: event) and series mode (tdx-trace
#             conversions -s + roles, and the anchors on its events), on
#             private_mem_conversions_test -n 2; per-event BPF cost; one
#             boot per line of BENCH_LINES
#   cost      series mode's per-event BPF cost alone (its cost runs after
#             one timed run with nothing attached): minutes, not the
#             series' half hour, for working on the programs; one boot
#             per line of BENCH_LINES
#   fallback  fallback mode: tdx-trace and the anchors on its events
#             on the unpatched kernel (same workload as series) and on
#             Debian's stock kernel (no SW-protected VMs there: a page-fault
#             workload, demand_paging_test -b 128M); two boots
#   hvflush   hvflush-top, kvm_stat and bpftrace on hyperv_tlb_flush
#             (rebuilt with its iterations per line: hvflush_ntry below);
#             and what single BPF operations cost on its enqueue event;
#             one boot per line of BENCH_LINES, with 4 vCPUs
#   disabled  the patched and the unpatched kernel booted
#             alternately (ABBA), BENCH_BOOTS boots each, on each line of
#             BENCH_LINES
#   mapgpa    the 7.3 in-kernel MapGPA RFC (its topic's kernel, lab/run.sh
#             --topic): MapGPA in KVM, in KVM with the notification, and
#             through a userspace exit, with the VMM's discard; 1, 512 and
#             262144 pages; and the share of time in the zap
#   exporter  lab/bench-exporter.sh (host, no boot)
#   fleet     tests/bpf/68-fleet.sh with a 60 s outage of the central
#             store (host, no boot): deploy/fleet/'s figures
#
# usage: lab/bench.sh [--dry-run] [--report DIR]
#   --dry-run     check the harness without booting: the stats self-test,
#                 the scripts' syntax, the two program loaders, the plan
#   --report DIR  only redo the report of an earlier run's raw data
# Environment: BENCH_PAIRS (alternating pairs per comparison, default 9
# under -icount, 20 in wall time),
# BENCH_ONLY, BENCH_BOOTS (per kernel, default 4), BENCH_RUNS (timed runs
# per boot, default 7), BENCH_COST_RUNS (runs with bpf_stats, default 3),
# BENCH_MAPGPA ("PAGES:ITERATIONS ...", default "1:2000 512:200 262144:5"),
# BENCH_ICOUNT (the -icount shift, default 0; "off": wall time only),
# BENCH_WALL (1: also a normal boot per section, the cross-check),
# BENCH_LINES (the kernel lines series, cost, hvflush and disabled boot, default
# "6.12 7.3").
# Output: build/bench/<timestamp>/ (raw data, results.json, summary.txt),
# and build/bench/results.json and build/bench/summary.txt for the latest.
#
# examples:
#   make bench
#   BENCH_PAIRS=10 BENCH_ONLY=series,mapgpa lab/bench.sh
#   lab/bench.sh --report build/bench/20261123-101500
set -euo pipefail
lab_tag=bench
. "$(dirname "$0")/cache.sh"
# kvm_stat comes from this line's source tree; the boots name their own.
lab_line 6.12

all_sections=(series cost fallback hvflush mapgpa disabled exporter fleet)
dry_run=0 report_only=
while [ $# -gt 0 ]; do
	case "$1" in
	--dry-run) dry_run=1 ;;
	--report) [ $# -ge 2 ] || usage_error "--report needs a directory"; report_only=$2; shift ;;
	-h | --help) sed -n '2,/^set -e/{/^set -e/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
	*) usage_error "unknown option '$1'" ;;
	esac
	shift
done

posint() { # NAME VALUE
	[[ $2 =~ ^[0-9]+$ ]] && [ "$2" -gt 0 ] || usage_error "$1 must be a positive integer, not '$2'"
}
boots=${BENCH_BOOTS:-4} runs=${BENCH_RUNS:-7}
cost_runs=${BENCH_COST_RUNS:-3} mapgpa=${BENCH_MAPGPA:-1:2000 512:200 262144:5}
icount=${BENCH_ICOUNT:-0} wall=${BENCH_WALL:-0} lines=${BENCH_LINES:-6.12 7.3}
# Guest instructions repeat to ~0.1-0.3% from run to run, where wall time
# spreads by 2-10%.  9 pairs is the fewest whose 95% interval of the median
# leaves out the extreme pair at both ends ([x(2), x(8)], 96.1%): with 6,
# one run 0.5% off made the interval the range; wall time needs 20.
if [ "$icount" = off ]; then pairs=${BENCH_PAIRS:-20}; else pairs=${BENCH_PAIRS:-9}; fi
# hvflush's workload is hyperv_tlb_flush rebuilt with this many iterations
# per loop instead of its compiled-in 100 (lab/bench/build-hvflush.sh), per
# kernel line: the same count takes ~27 times more guest instructions on
# 6.12 than on 7.3.  Each is chosen for runs of ~2.5 guest s on the
# section's 4 vCPUs: a run's spread is ~15 ms whatever its length, so
# doubling the count halved the CV (0.3-0.6% to 0.2%).
# The observers' cost per event does not change with it; the setup's share
# of a run does (lab/bench/README.md).
declare -A hvflush_ntry=([6.12]=20 [7.3]=600)
# The guest's vCPUs per section (lab/run.sh --smp), default 2.
# hyperv_tlb_flush spins on three threads (its sender and two worker vCPUs):
# on two vCPUs the guest's scheduler takes turns between them, and where
# it switches sets a run's length (CV 4-5%).  Four give each thread its own
# and the observers and kworkers a fourth.  TCG runs every vCPU in the one
# host thread, so more vCPUs cost no host cores.
declare -A section_smp=([hvflush]=4)
posint BENCH_PAIRS "$pairs"
posint BENCH_BOOTS "$boots"
posint BENCH_RUNS "$runs"
posint BENCH_COST_RUNS "$cost_runs"
[[ $icount =~ ^([0-9]|10|off)$ ]] || usage_error "BENCH_ICOUNT must be a shift from 0 to 10 or 'off', not '$icount'"
[[ $wall =~ ^[01]$ ]] || usage_error "BENCH_WALL must be 0 or 1, not '$wall'"
[ "$icount" != off ] || [ "$wall" -eq 0 ] || usage_error "BENCH_WALL=1 is the cross-check of icount boots: not with BENCH_ICOUNT=off"
for l in $lines; do
	[[ " $LAB_LINES " == *" $l "* ]] || usage_error "BENCH_LINES: unknown kernel line '$l' (lab/versions.sh has: $LAB_LINES)"
done
[ -n "${lines// /}" ] || usage_error "BENCH_LINES is empty"
for spec in $mapgpa; do
	[[ $spec =~ ^[1-9][0-9]*:[1-9][0-9]*$ ]] ||
		usage_error "BENCH_MAPGPA must be 'PAGES:ITERATIONS ...', not '$mapgpa'"
done
sections=("${all_sections[@]}")
if [ -n "${BENCH_ONLY:-}" ]; then
	IFS=, read -r -a sections <<<"$BENCH_ONLY"
	for s in "${sections[@]}"; do
		[[ " ${all_sections[*]} " == *" $s "* ]] ||
			usage_error "BENCH_ONLY: unknown section '$s' (sections: ${all_sections[*]})"
	done
fi
wanted() { [[ " ${sections[*]} " == *" $1 "* ]]; }

report() { # DIR
	perl "$lab_dir/bench/report.pl" "$1" || die "the report failed on $1"
	mkdir -p "$repo_dir/build/bench"
	cp "$1/results.json" "$1/summary.txt" "$repo_dir/build/bench/"
	say "results: $1/results.json, $1/summary.txt (copied to build/bench/)"
}
if [ -n "$report_only" ]; then
	[ -d "$report_only" ] || usage_error "--report: no such directory '$report_only'"
	report "$report_only"
	exit 0
fi

# The loader of the empty programs is a measuring device, not a kvmscope
# tool: built here, from the skeleton the Makefile makes of bpf/bench_empty.
build_loader() {
	make -s -C "$repo_dir" all >&2 || die "make failed"
	mkdir -p "$repo_dir/build/bench"
	${CC:-cc} -O2 -g -Wall -Wextra -Werror -I"$repo_dir/build" -I"$repo_dir/tools/lib" \
		-I"$repo_dir/bpf" "$lab_dir/bench/empty-attach.c" "$repo_dir/build/libkvmscope.a" \
		-lbpf -lelf -lz -o "$repo_dir/build/bench/empty-attach" ||
		die "building lab/bench/empty-attach.c failed"
	${CC:-cc} -O2 -g -Wall -Wextra -Werror -I"$repo_dir/build" -I"$repo_dir/tools/lib" \
		"$lab_dir/bench/floor-run.c" "$repo_dir/build/libkvmscope.a" \
		-lbpf -lelf -lz -o "$repo_dir/build/bench/floor-run" ||
		die "building lab/bench/floor-run.c failed"
}

if [ "$dry_run" -eq 1 ]; then
	status=0
	perl "$lab_dir/bench/Stats.pm" --self-test >/dev/null || { say "Stats.pm self-test FAILED"; status=1; }
	for f in "$0" "$lab_dir/bench/guest.sh" "$lab_dir/bench/guest-lib.sh"; do
		bash -n "$f" || { say "syntax error in $f"; status=1; }
	done
	perl -c "$lab_dir/bench/report.pl" 2>/dev/null || { say "report.pl does not compile"; status=1; }
	build_loader
	say "plan: sections ${sections[*]}; time: $([ "$icount" = off ] && echo wall || echo "-icount shift=$icount")$([ "$wall" -eq 0 ] || echo ', and wall in a second boot each'); $pairs pairs; lines $lines; hvflush: hyperv_tlb_flush NTRY $(for l in $lines; do printf '%s:%s ' "$l" "${hvflush_ntry[$l]}"; done | sed 's/ $//'), ${section_smp[hvflush]} vCPUs; disabled: $boots boots per kernel x $runs runs; MapGPA $mapgpa"
	[ "$status" -ne 0 ] || say "dry run OK"
	exit "$status"
fi

stamp=$(date +%Y%m%d-%H%M%S)
out=$repo_dir/build/bench/$stamp
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
build_loader

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
{
	echo "date=$(date -Is)"
	echo "commit=$(git -C "$repo_dir" rev-parse --short HEAD)$(git -C "$repo_dir" diff --quiet HEAD -- lab bpf tools kernel-patches || echo '+dirty')"
	echo "sections=${sections[*]}"
	echo "pairs=$pairs"
	echo "boots=$boots"
	echo "runs=$runs"
	echo "cost_runs=$cost_runs"
	echo "mapgpa=$mapgpa"
	echo "icount=$icount"
	echo "wall=$wall"
	echo "lines=$lines"
	echo "qemu=$(qemu-system-x86_64 --version | head -1)"
	echo "load_start=$(loadavg)"
} >"$out/meta.txt"

# kvm_stat comes with the kernel source; a copy of our own, since the shared
# tree may be checked out to another commit while we run.  Only sections
# that boot need either (mapgpa boots the 7.3 RFC's kernel: neither).
if wanted series || wanted cost || wanted fallback || wanted hvflush || wanted disabled; then
	"$lab_dir/build-kernel.sh" --line "$line" >/dev/null || die "building the lab kernel failed"
	cp "$src_dir/tools/kvm/kvm_stat/kvm_stat" "$repo_dir/build/bench/kvm_stat"
fi

# hvflush's workload, one binary per line of BENCH_LINES; copied into
# build/bench/ like kvm_stat: the guest sees the repo, not the cache.
declare -A hvflush_bin=()
if wanted hvflush; then
	for l in $lines; do
		[ -n "${hvflush_ntry[$l]:-}" ] || die "no hvflush_ntry for Linux $l in lab/bench.sh: time a run and add it"
		bin=$("$lab_dir/bench/build-hvflush.sh" --line "$l" --ntry "${hvflush_ntry[$l]}") ||
			die "building the $l hyperv_tlb_flush with NTRY=${hvflush_ntry[$l]} failed"
		hvflush_bin[$l]=$repo_dir/build/bench/$l/hyperv_tlb_flush-ntry${hvflush_ntry[$l]}
		mkdir -p "$repo_dir/build/bench/$l"
		cp "$bin" "${hvflush_bin[$l]}"
		echo "hvflush_ntry_$l=${hvflush_ntry[$l]}" >>"$out/meta.txt"
	done
fi

# The stock guest has no 9p: everything its job runs is packed into its
# initramfs (--with FILE, at the same path).  Python is what kvm_stat
# imports, as recorded by running it (its imports are all at the top).
stock_with() {
	local f
	for f in "$lab_dir/bench/guest.sh" "$lab_dir/bench/guest-lib.sh" \
		"$repo_dir/build/bench/empty-attach" "$repo_dir/build/bench/kvm_stat" \
		"$(command -v perf)" "$(command -v bpftrace)" /usr/bin/python3.11; do
		printf -- '--with\n%s\n' "$f"
	done
	/usr/bin/python3 - "$repo_dir/build/bench/kvm_stat" 2>/dev/null <<-'EOF' | sort -u | sed 's/^/--with\n/'
		import io, runpy, sys
		sys.argv = [sys.argv[1], "--help"]
		sys.stdout = io.StringIO()
		try:
		    runpy.run_path(sys.argv[0], run_name="__main__")
		except SystemExit:
		    pass
		sys.stdout = sys.__stdout__
		files = {m.__file__ for m in list(sys.modules.values()) if getattr(m, "__file__", None)}
		files |= {l.split()[-1] for l in open("/proc/self/maps") if l.split()[-1].startswith("/usr/lib/python3")}
		print("\n".join(sorted(f for f in files if f.startswith("/usr/lib/python3"))))
	EOF
}

failed=()
# boot_one NAME [LINE-]KERNEL SECTION TIMEOUT SHIFT|off: one lab boot running
# guest.sh SECTION, results in $out/NAME.
boot_one() {
	local name=$1 kernel=${2##*-} section=$3 timeout=$4 shift=$5 job=$tmp/job-$1.sh args=()
	local kline=$line
	[[ $2 != *-* ]] || kline=${2%-*}
	cat >"$job" <<-EOF
		#!/bin/bash
		export BENCH_PAIRS=$pairs BENCH_RUNS=$runs BENCH_COST_RUNS=$cost_runs
		export BENCH_MAPGPA='$mapgpa' BENCH_KERNEL=$kernel
		export TDX_TRACE=$repo_dir/build/tdx-trace HVFLUSH_TOP=$repo_dir/build/hvflush-top
		export EMPTY_ATTACH=$repo_dir/build/bench/empty-attach KVM_STAT=$repo_dir/build/bench/kvm_stat
		export FLOOR_RUN=$repo_dir/build/bench/floor-run KVMSCOPE_EXPORTER=$repo_dir/build/kvmscope-exporter
		export HVFLUSH_WORKLOAD=${hvflush_bin[$kline]:-} HVFLUSH_NTRY=${hvflush_ntry[$kline]:-}
		# The stock initramfs has python3.11 only, where /usr/bin is a link.
		export PYTHON=/usr/bin/python3.11 PYTHONHOME=/usr
		exec bash $lab_dir/bench/guest.sh $section
	EOF
	[ "$kernel" != stock ] || mapfile -t args < <(stock_with)
	[ "$section" != mapgpa ] || args+=(--topic map-gpa-in-kernel-rfc)
	args+=(--smp "${section_smp[$section]:-2}")
	# Two cores: a kernel build beside the lab would be measured too, in
	# wall time.  Guest instructions do not see it.
	# Under -icount, waiting for 9p (the guest copying its tools to tmpfs,
	# the first start of an observer) makes guest time jump from timer to
	# timer: a ~10 s copy can take 400 guest seconds.
	if [ "$shift" = off ]; then
		wait_for_other_builds
		timeout=$((timeout * 2))
	else
		args+=(--icount "$shift")
		timeout=$((timeout * 5))
	fi
	echo "load_$name=$(loadavg)" >>"$out/meta.txt"
	echo "smp_$name=${section_smp[$section]:-2}" >>"$out/meta.txt"
	say "$name: booting the $kline $kernel kernel for '$section' (results in $out/$name)"
	if ! "$lab_dir/run.sh" --kernel "$kline-$kernel" --timeout "$timeout" --results "$out/$name" \
		"${args[@]}" --script "$job"; then
		failed+=("$name")
		say "$name FAILED: see $out/$name (summary.txt, output.log, serial.log)"
	fi
}

# boot NAME KERNEL SECTION TIMEOUT: the section in the measuring boot (icount
# unless BENCH_ICOUNT=off), and with BENCH_WALL=1 again in a normal one,
# results in $out/NAME.wall.
boot() {
	boot_one "$1" "$2" "$3" "$4" "$icount"
	[ "$wall" -eq 0 ] || boot_one "$1.wall" "$2" "$3" "$4" off
}

t0=$SECONDS
# Timeouts, in guest seconds: generous multiples of what a block of each
# section takes here (boot_one doubles them for wall-time boots).
# series and hvflush: the targets hold on every line the series is for.
for l in $lines; do
	! wanted series || boot "series-$l" "$l-patched" series $((600 + (pairs + 1) * 150))
	! wanted cost || boot "cost-$l" "$l-patched" cost $((600 + cost_runs * 300))
done
if wanted fallback; then
	boot fallback-unpatched unpatched fallback $((600 + (pairs + 1) * 90))
	boot fallback-stock stock fallback $((600 + (pairs + 1) * 90))
fi
for l in $lines; do
	! wanted hvflush || boot "hvflush-$l" "$l-patched" hvflush $((600 + (pairs + 1) * 120))
done
! wanted mapgpa || boot mapgpa 7.3-patched mapgpa $((600 + (pairs + 1) * 60))
if wanted disabled; then
	# ABBA: a drift over the boots cancels out of the comparison.  Only in
	# the measuring boots: a wall-time ABBA never resolved the 1-3% medians
	# move from boot to boot.
	for l in $lines; do
		n=0
		for i in $(seq 1 "$boots"); do
			if [ $((i % 2)) -eq 1 ]; then order=(patched unpatched); else order=(unpatched patched); fi
			for k in "${order[@]}"; do
				n=$((n + 1))
				boot_one "disabled-$l-$n-$k" "$l-$k" disabled $((300 + runs * 60)) "$icount"
			done
		done
	done
fi
if wanted exporter; then
	say "exporter: lab/bench-exporter.sh"
	set +e
	"$lab_dir/bench-exporter.sh" >"$out/exporter.txt" 2>&1
	echo $? >"$out/exporter.rc"
	set -e
fi
if wanted fleet; then
	say "fleet: tests/bpf/68-fleet.sh, 60 s outage"
	set +e
	FLEET_OUTAGE=60 "$repo_dir/tests/bpf/68-fleet.sh" >"$out/fleet.txt" 2>&1
	echo $? >"$out/fleet.rc"
	set -e
fi
echo "load_end=$(loadavg)" >>"$out/meta.txt"
echo "seconds=$((SECONDS - t0))" >>"$out/meta.txt"

report "$out"
say "done in $(fmt_secs $((SECONDS - t0)))${failed[*]:+; FAILED boots: ${failed[*]}}"
[ "${#failed[@]}" -eq 0 ]
