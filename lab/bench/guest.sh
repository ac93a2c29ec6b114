#!/bin/bash
# Guest side of `make bench`: one benchmark section per boot, run by
# lab/bench.sh through lab/run.sh.  Raw data goes to $KVMSCOPE_RESULTS
# (runs.tsv, bpf-*/, events-*.csv, observers/, mapgpa/); lab/bench/report.pl
# turns it into ratios on the host.
#
# usage: guest.sh series|cost|fallback|hvflush|disabled|mapgpa
#   series    patched kernel: private_mem_conversions_test -n 2 alone and
#             under the anchors (perf stat, perf record, kvm_stat, bpftrace,
#             all kvm:/kvmmmu: events), tdx-trace conversions -s and roles
#             (also with --mapgpa), kvmscope-exporter, and perf record,
#             kvm_stat and bpftrace on tdx-trace's events
#   fallback  a kernel without the series: tdx-trace in fallback mode, and
#             perf record, kvm_stat and bpftrace on its events.  The
#             unpatched kernel runs the series' workload; Debian's stock
#             kernel has no KVM_SW_PROTECTED_VM (private_mem_conversions_test
#             skips), so there demand_paging_test -b 128M, ~2 s of faults
#             (kvm_tdp_mmu_spte_changed, KVM_RUN ioctls)
#   hvflush   patched kernel: hyperv_tlb_flush (HVFLUSH_NTRY iterations
#             per loop) under hvflush-top, empty programs where it
#             attaches, and kvm_stat and bpftrace on the same events;
#             then each program of bpf/bench_floor.bpf.c alone on its
#             enqueue event
# Each of those three also runs the workload BENCH_COST_RUNS times with
# kernel.bpf_stats_enabled=1 under the tool, empty programs on its events
# and bpftrace on them (per-event cost), and once under perf stat (counts).
#   cost      patched kernel: series' per-event cost runs only, after one
#             timed run with nothing attached
#   disabled  either kernel: the workload alone, warm-up + BENCH_RUNS runs
#   mapgpa    the 7.3 in-kernel MapGPA RFC's kernel: private_mem_map_gpa_test
#             -b, MapGPA in KVM, in KVM with the notification, in userspace
# Environment (lab/bench.sh sets it): BENCH_PAIRS, BENCH_RUNS,
# BENCH_COST_RUNS, BENCH_MAPGPA (PAGES:ITERATIONS ...), TDX_TRACE,
# HVFLUSH_TOP, EMPTY_ATTACH, FLOOR_RUN, KVM_STAT, KVMSCOPE_EXPORTER, PYTHON,
# HVFLUSH_WORKLOAD and HVFLUSH_NTRY (hvflush's workload), BENCH_KERNEL
# (the lab/run.sh --kernel: the unpatched one runs as "patched"), and
# lab/run.sh's KVMSCOPE_*.
set -u
here=$(cd "$(dirname "$0")" && pwd)
OUT=$KVMSCOPE_RESULTS
WORK=$(mktemp -d /tmp/bench.XXXXXX)
. "$here/guest-lib.sh"

# The workloads and tools run from tmpfs: the shares they come from are 9p
# without a page cache, so every run would read them from the host again,
# and under -icount a vCPU waiting for the host lets guest time jump to
# its next timer (idle, sleep=off): a host-dependent cost in the one
# figure that should have none.
mkdir -p "$WORK/bin/x86"
for t in x86/private_mem_conversions_test x86/private_mem_map_gpa_test demand_paging_test; do
	[ ! -f "$KVMSCOPE_SELFTESTS/$t" ] || cp "$KVMSCOPE_SELFTESTS/$t" "$WORK/bin/$t" ||
		{ log "cannot copy $t to tmpfs"; exit 1; }
done
for v in TDX_TRACE HVFLUSH_TOP EMPTY_ATTACH FLOOR_RUN KVM_STAT KVMSCOPE_EXPORTER HVFLUSH_WORKLOAD; do
	[ -f "${!v:-}" ] || continue
	cp "${!v}" "$WORK/bin/" || { log "cannot copy ${!v} to tmpfs"; exit 1; }
	printf -v "$v" '%s' "$WORK/bin/${!v##*/}"
done
KVMSCOPE_SELFTESTS=$WORK/bin S=$WORK/bin/x86

section=${1:?usage: guest.sh series|cost|fallback|hvflush|disabled|mapgpa}
BENCH_PAIRS=${BENCH_PAIRS:-20}
BENCH_RUNS=${BENCH_RUNS:-7}
BENCH_COST_RUNS=${BENCH_COST_RUNS:-3}
ulimit -l unlimited 2>/dev/null	# bpftrace still checks RLIMIT_MEMLOCK
export PATH=$PATH:/usr/sbin:/sbin	# bpftool, sysctl

{
	echo "section=$section"
	echo "kernel=${BENCH_KERNEL:-$KVMSCOPE_KERNEL}"
	echo "release=$(uname -r)"
	echo "pairs=$BENCH_PAIRS"
	echo "cpus=$(nproc)"
	echo "icount=${KVMSCOPE_ICOUNT:-}"
	echo "started=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
} >"$OUT/info.txt"

# Tool events, as "group:event", per tool and mode (bpf/*.bpf.c SEC names).
# MapGPA latency (--mapgpa) adds its three to either mode.
tdx_series_events="kvm:kvm_vm_set_mem_attributes kvm:kvm_vm_set_mem_attributes_done
	kvmmmu:tdp_mmu_zap_leafs kvmmmu:kvm_mmu_role"
tdx_fallback_events="syscalls:sys_enter_ioctl syscalls:sys_exit_ioctl
	kvmmmu:kvm_tdp_mmu_spte_changed"
# MapGPA ends at the series' kvm_hypercall_done where the kernel has it,
# else at the next kvm_entry (tools/probe/probe_conv.c decides the same).
if [ -d /sys/kernel/tracing/events/kvm/kvm_hypercall_done ]; then
	tdx_mapgpa_events="kvm:kvm_hypercall kvm:kvm_map_gpa_range_exit kvm:kvm_hypercall_done"
else
	tdx_mapgpa_events="kvm:kvm_hypercall kvm:kvm_userspace_exit kvm:kvm_entry"
fi
hvflush_events="kvm:kvm_hv_flush_tlb_enqueue kvm:kvm_hv_flush_tlb_dequeue
	kvm:kvm_nested_vmexit_inject kvm:kvm_hv_flush_tlb kvm:kvm_hv_flush_tlb_ex"

# info KEY=VALUE...: what report.pl needs to know about this section.
info() { printf '%s\n' "$@" >>"$OUT/info.txt"; }

# The series sections' workload, events and tools, for report.pl.
series_setup() {
	WORKLOAD=("$S/private_mem_conversions_test" -n 2)
	SAME_EVENTS=$(echo $tdx_series_events)
	info "workload=private_mem_conversions_test -n 2" "same_events=$SAME_EVENTS" \
		"tool=tdx-conv+tdx-roles" "tool_mapgpa=tdx-conv-mapgpa+tdx-roles" \
		"mapgpa_events=$(echo $tdx_mapgpa_events)"
}

# Per-event cost of tdx-trace's series-mode programs, and with --mapgpa
# on its three events too.
series_costs() {
	bpf_cost tools "$BENCH_COST_RUNS" tdx-conv tdx-roles empty bpftrace-same
	SAME_EVENTS=$(echo $tdx_series_events $tdx_mapgpa_events)
	bpf_cost tools-mapgpa "$BENCH_COST_RUNS" tdx-conv-mapgpa tdx-roles empty bpftrace-same
	SAME_EVENTS=$(echo $tdx_series_events)
}

section_series() {
	series_setup
	blocks off perf-stat perf-record kvm_stat bpftrace tdx-conv+tdx-roles \
		tdx-conv-mapgpa+tdx-roles exporter perf-record-same kvm_stat-same bpftrace-same
	series_costs
	event_counts workload
}

# The per-event cost alone, for working on the programs: one timed run
# with nothing attached (the predicted slowdown's denominator), then the
# cost runs.
section_cost() {
	series_setup
	BENCH_PAIRS=1 blocks off
	series_costs
}

section_fallback() {
	if [ "$KVMSCOPE_KERNEL" = stock ]; then
		WORKLOAD=("$KVMSCOPE_SELFTESTS/demand_paging_test" -b 128M)
	else
		WORKLOAD=("$S/private_mem_conversions_test" -n 2)
	fi
	SAME_EVENTS=$(echo $tdx_fallback_events)
	info "workload=${WORKLOAD[*]##*/}" "same_events=$SAME_EVENTS" "tool=tdx-conv"
	blocks off tdx-conv perf-record-same kvm_stat-same bpftrace-same
	bpf_cost tools "$BENCH_COST_RUNS" tdx-conv empty bpftrace-same
	event_counts workload
}

# The workload is lab/bench.sh's hyperv_tlb_flush with HVFLUSH_NTRY
# iterations per loop (lab/bench/build-hvflush.sh), never the selftests'
# 100-iteration one under its name.
section_hvflush() {
	[ -f "${HVFLUSH_WORKLOAD:-}" ] && [ -n "${HVFLUSH_NTRY:-}" ] ||
		{ log "no HVFLUSH_WORKLOAD/HVFLUSH_NTRY: lab/bench.sh builds the short hyperv_tlb_flush"; return 1; }
	WORKLOAD=("$HVFLUSH_WORKLOAD")
	SAME_EVENTS=$(echo $hvflush_events)
	# bpf/hvflush.bpf.c's programs but the fentry on kvm_destroy_vm
	# (once per VM): tp_btf where it uses them (empty-attach -b).
	TOOL_EVENTS="$(same_event_names)sched_process_exit"
	info "workload=hyperv_tlb_flush NTRY=$HVFLUSH_NTRY" "same_events=$SAME_EVENTS" "tool=hvflush-top"
	blocks off hvflush-top empty-tool kvm_stat-same bpftrace-same
	bpf_cost tools "$BENCH_COST_RUNS" hvflush-top empty bpftrace-same
	event_counts workload
	floor_costs
}

# What single operations cost on kvm_hv_flush_tlb_enqueue, one program at
# a time (lab/bench/floor-run.c), BENCH_COST_RUNS rounds: OUT/floor.tsv.
floor_costs() {
	sysctl -qw kernel.bpf_stats_enabled=1 || { log "cannot enable kernel.bpf_stats_enabled"; return 1; }
	"$FLOOR_RUN" "$BENCH_COST_RUNS" "${WORKLOAD[@]}" >"$OUT/floor.tsv" 2>"$OUT/floor.err" ||
		log "floor-run failed: $(tail -n 3 "$OUT/floor.err")"
	sysctl -qw kernel.bpf_stats_enabled=0
	log "floor: $(wc -l <"$OUT/floor.tsv") program runs"
}

section_disabled() {
	local k
	WORKLOAD=("$S/private_mem_conversions_test" -n 2)
	info "workload=private_mem_conversions_test -n 2"
	printf 'run\tseconds\trc\n' >"$OUT/runs.tsv"
	run_timed	# warm-up, not recorded
	for k in $(seq 1 "$BENCH_RUNS"); do
		run_timed
		printf '%s\t%s\t%s\n' "$k" "$run_secs" "$run_rc" >>"$OUT/runs.tsv"
	done
	log "${BENCH_KERNEL:-$KVMSCOPE_KERNEL} kernel: $(cut -f2 "$OUT/runs.tsv" | tail -n +2 | tr '\n' ' ')"
}

# The 7.3 RFC's topic kernel (lab/bench.sh boots it with --topic): MapGPA
# serviced in KVM ("kernel"), in KVM with the notification, on which the
# VMM discards the stale side ("kernel-notify"), and through the userspace
# exit, KVM_SET_MEMORY_ATTRIBUTES and the same discard ("userspace"), as
# QEMU does.  The modes' order rotates by one per block, so drift cancels
# out; no observer: the figures are the selftest's own, from the guest's
# TSC.  Then per size and mode one more run under bpftrace, for the time
# KVM spends zapping (kvm_arch_pre_set_memory_attributes()) against the
# whole conversion (kvm_vm_set_mem_attributes()) and the run.
section_mapgpa() {
	local spec pages iters b i mode modes=(kernel kernel-notify userspace)
	mkdir -p "$OUT/mapgpa"
	info "workload=private_mem_map_gpa_test -b ITERATIONS -n PAGES -m MODE" "sizes=$BENCH_MAPGPA"
	printf 'pages\tblock\tmode\tseconds\trc\n' >"$OUT/runs.tsv"
	for spec in $BENCH_MAPGPA; do
		pages=${spec%%:*} iters=${spec#*:}
		for b in $(seq 0 "$BENCH_PAIRS"); do
			for i in 0 1 2; do
				mode=${modes[(b + i) % 3]}
				WORKLOAD=("$S/private_mem_map_gpa_test" -b "$iters" -n "$pages" -m "$mode")
				run_timed
				printf '%s\t%s\t%s\t%s\t%s\n' "$pages" "$b" "$mode" "$run_secs" "$run_rc" >>"$OUT/runs.tsv"
				cp "$WORK/workload.out" "$OUT/mapgpa/$pages-$mode-$b.out"
			done
			log "mapgpa $pages pages block $b/$BENCH_PAIRS: $(tail -n 3 "$OUT/runs.tsv" | cut -f3,4 | tr '\n\t' '  ')"
		done
		for mode in "${modes[@]}"; do
			WORKLOAD=("$S/private_mem_map_gpa_test" -b "$iters" -n "$pages" -m "$mode")
			zap_timed "$OUT/mapgpa/$pages-$mode-zap.txt" || return 1
		done
	done
}

# zap_timed OUT: the workload under bpftrace; OUT gets its output line and
# the nanoseconds in the zap and in the conversions ("zap_ns N", "conv_ns N").
zap_timed() {
	local bt
	bpftrace -e 'BEGIN { printf("ready\n"); }
kprobe:kvm_vm_set_mem_attributes { @c[tid] = nsecs; }
kretprobe:kvm_vm_set_mem_attributes /@c[tid]/ { @conv_ns = sum(nsecs - @c[tid]); delete(@c[tid]); }
kprobe:kvm_arch_pre_set_memory_attributes { @z[tid] = nsecs; }
kretprobe:kvm_arch_pre_set_memory_attributes /@z[tid]/ { @zap_ns = sum(nsecs - @z[tid]); delete(@z[tid]); }' \
		>"$WORK/zap.bt" 2>&1 &
	bt=$!
	wait_for "$WORK/zap.bt" '^ready' "$bt" || { log "bpftrace did not attach: $(tail -n 3 "$WORK/zap.bt")"; return 1; }
	run_timed
	kill -INT "$bt"
	wait "$bt"
	{ cat "$WORK/workload.out"; sed -n 's/^@\(zap_ns\|conv_ns\): /\1 /p' "$WORK/zap.bt"; } >"$1"
	[ "$run_rc" -eq 0 ] || { log "zap run failed: $(tail -n 3 "$OUT/workload.err")"; return 1; }
}

case "$section" in
series | cost | fallback | hvflush | disabled | mapgpa) "section_$section" ;;
*) echo "guest.sh: unknown section '$section'" >&2; exit 2 ;;
esac
rc=$?
echo "finished=$(date -u +%Y-%m-%dT%H:%M:%SZ)" >>"$OUT/info.txt"
rm -rf "$WORK"
exit "$rc"
