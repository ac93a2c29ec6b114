#!/usr/bin/env bash
# kvmscope-exporter in the lab, end to end: the exporter runs in the
# patched guest while KVM selftests convert memory, recompute MMU roles and
# issue Hyper-V TLB flushes; a real Prometheus on the host (127.0.0.1,
# temporary storage) scrapes it through lab/run.sh --hostfwd.  Then:
#  - what Prometheus has equals an independent count: the same tracepoints
#    recorded by tracefs in the guest (conversions per direction, role
#    computations and changes, flush enqueues per FIFO and overflows);
#  - every dashboard and rule expression returns data;
#  - the exporter ran on the kvmscope series and lost nothing.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh

out=$PWD/build/tests-lab/prometheus
lab=$out/lab
rm -rf "$out"
mkdir -p "$out"
pids=()
cleanup() {
	local p
	touch "$lab/stop" 2>/dev/null
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
}
trap cleanup EXIT

if ! log=$(make -s build/kvmscope-exporter 2>&1); then
	not_ok "build kvmscope-exporter" "$log"
	tap_done
	exit 1
fi

# --- the guest side: ground truth from tracefs, the exporter, workloads
cat >"$out/guest.sh" <<'GUEST'
#!/bin/bash
set -u
R=$KVMSCOPE_RESULTS T=/sys/kernel/tracing
exe=$KVMSCOPE_REPO/build/kvmscope-exporter
selftest() {
	local p
	for p in "$KVMSCOPE_SELFTESTS/x86/$1" "$KVMSCOPE_SELFTESTS/$1"; do
		[ -x "$p" ] && { echo "$p"; return 0; }
	done
	return 1
}
echo 0 >"$T/tracing_on"
echo 0 >"$T/events/enable"
echo 131072 >"$T/buffer_size_kb"
: >"$T/trace"
for e in kvm/kvm_vm_set_mem_attributes_done kvmmmu/kvm_mmu_role \
	 kvm/kvm_hv_flush_tlb_enqueue; do
	echo 1 >"$T/events/$e/enable"
done
echo 1 >"$T/tracing_on"
# The BPF program cost panels need run counts and times.
echo 1 >/proc/sys/kernel/bpf_stats_enabled

# Exited selftests' VMs must stay until Prometheus has scraped them; their
# zero hold is two of its 2s scrape intervals.
"$exe" --listen 0.0.0.0:9789 --per-vcpu --mapgpa --grace 3600 --zero-hold 4 2>"$R/exporter.log" &
epid=$!
for _ in $(seq 100); do
	grep -q '^serving' "$R/exporter.log" && break
	sleep 0.2
done
touch "$R/exporter-ready"
# Give Prometheus a scrape of the empty state first.
while [ ! -e "$R/go" ] && [ ! -e "$R/stop" ]; do sleep 0.2; done

echo 64 >/proc/sys/vm/nr_hugepages
run() {	# NAME ARGS...
	local st
	if ! st=$(selftest "$1"); then echo "workload $1 missing" >>"$R/workloads"; return; fi
	shift
	"$st" "$@" >"$R/selftest.$(basename "$st").log" 2>&1
	echo "workload $(basename "$st") $* rc $?" >>"$R/workloads"
}
run private_mem_conversions_test -n 2 -m 2
run private_mem_conversions_test -n 1 -s anonymous_hugetlb_2mb
run cr4_cpuid_sync_test
run svm_vmcall_test
run hyperv_tlb_flush
run hyperv_svm_test
run hyperv_tlb_flush_overflow
sleep 1
echo 0 >"$T/tracing_on"
cat "$T/trace" >"$R/trace.txt"
echo 0 >"$T/events/enable"
{
	hdr=$(grep -m1 '^# entries-in-buffer/entries-written:' "$R/trace.txt")
	[[ $hdr =~ ([0-9]+)/([0-9]+) ]]
	echo "overrun $((BASH_REMATCH[2] - BASH_REMATCH[1]))"
	# KVM_MEMORY_ATTRIBUTE_PRIVATE (bit 3) set: to private, else to shared.
	# (A pipe, not < <(...): the guest may have no /dev/fd.)
	sed -n 's/.*kvm_vm_set_mem_attributes_done: .* \[\(0x[0-9a-f]*\)\].*/\1/p' \
		"$R/trace.txt" | {
		priv=0 shared=0
		while read -r a; do
			if (($a & 8)); then priv=$((priv + 1)); else shared=$((shared + 1)); fi
		done
		echo "conv_private $priv"
		echo "conv_shared $shared"
	}
	echo "role_computed $(grep -c 'kvm_mmu_role:' "$R/trace.txt")"
	echo "role_changed $(grep -c 'kvm_mmu_role:.* changed$' "$R/trace.txt")"
	echo "enq_l1 $(grep -c 'kvm_hv_flush_tlb_enqueue: vcpu [0-9]* L1 ' "$R/trace.txt")"
	echo "enq_l2 $(grep -c 'kvm_hv_flush_tlb_enqueue: vcpu [0-9]* L2 ' "$R/trace.txt")"
	# Requests for ranges that became a flush-all entry (or none).
	echo "overflow $(grep -c 'kvm_hv_flush_tlb_enqueue: .* requested [1-9][0-9]* inserted [0-9]* flush_all ' "$R/trace.txt")"
} >"$R/counts.tmp" && mv "$R/counts.tmp" "$R/counts"
# Serve until the host has queried everything (or the lab times out).
while [ ! -e "$R/stop" ]; do sleep 0.5; done
kill "$epid"
wait "$epid"
echo "exporter exit $?" >>"$R/workloads"
GUEST
chmod +x "$out/guest.sh"

fport=$(free_port)
pport=$(free_port)
cat >"$out/prometheus.yml" <<EOF2
global:
  scrape_interval: 2s
  evaluation_interval: 2s
rule_files:
  - $PWD/dashboards/kvmscope-rules.yml
scrape_configs:
  - job_name: kvmscope
    static_configs:
      - targets: ['127.0.0.1:$fport']
EOF2
prometheus --config.file="$out/prometheus.yml" --storage.tsdb.path="$out/tsdb" \
	--web.listen-address="127.0.0.1:$pport" >"$out/prometheus.log" 2>&1 &
pids+=($!)
url=http://127.0.0.1:$pport

mkdir -p "$lab"
lab/run.sh -q --kernel 6.12-patched --timeout 2400 --hostfwd "$fport:9789" --results "$lab" \
	--script "$out/guest.sh" >"$out/run.log" 2>&1 &
labpid=$!
pids+=($labpid)

lab_wait "$labpid" "$lab/exporter-ready" 1800 || lab_abort "the lab booted and started the exporter" "$out/run.log" "$lab"
q() { prom_query "$url" "$1"; }
up=$(prom_wait "$url" 'up{job="kvmscope"}' 1)
check_eq "Prometheus scrapes the guest's exporter through the port forward" 1 "$up"
touch "$lab/go"
lab_wait "$labpid" "$lab/counts" 1800 || lab_abort "the workloads ran" "$out/run.log" "$lab"
sleep 8	# a few more scrapes of the final values
check "exporter started in the guest" grep -q '^serving' "$lab/exporter.log"
echo "# $(tr '\n' ';' <"$lab/workloads")"
check_eq "every workload passed" "" "$(grep -v ' rc 0$' "$lab/workloads")"

declare -A truth
while read -r k v; do truth[$k]=$v; done <"$lab/counts"
check_eq "tracefs lost no events" 0 "${truth[overrun]}"
check "the workloads converted memory (${truth[conv_private]} to private)" \
	test "${truth[conv_private]}" -gt 0
check "the workloads queued Hyper-V flushes (${truth[enq_l1]} L1, ${truth[enq_l2]} L2)" \
	test "${truth[enq_l1]}" -gt 0 -a "${truth[enq_l2]}" -gt 0
check "hyperv_tlb_flush_overflow overflowed a FIFO (${truth[overflow]} overflows)" \
	test "${truth[overflow]}" -ge 5

check_eq "kvmscope_info: series mode" 1 "$(q 'count(kvmscope_info{mode="series"})')"
check_eq "three collectors up" 3 "$(q 'sum(kvmscope_collector_up)')"
check_eq "no lost events" 0 "$(q 'sum(kvmscope_lost_events_total)')"
check_eq "conversions to private: Prometheus = tracefs" "${truth[conv_private]}" \
	"$(q 'sum(kvmscope_mem_conversions_total{direction="private"})')"
check_eq "conversions to shared: Prometheus = tracefs" "${truth[conv_shared]}" \
	"$(q 'sum(kvmscope_mem_conversions_total{direction="shared"})')"
check_eq "conversion histogram count = conversions" \
	"$(q 'sum(kvmscope_mem_conversions_total)')" \
	"$(q 'sum(kvmscope_mem_conversion_duration_seconds_count)')"
check_eq "MMU role computations: Prometheus = tracefs" "${truth[role_computed]}" \
	"$(q 'sum(kvmscope_mmu_role_computations_total)')"
check_eq "MMU role changes: Prometheus = tracefs" "${truth[role_changed]}" \
	"$(q 'sum(kvmscope_mmu_role_changes_total)')"
check_eq "L1 flush enqueues: Prometheus = tracefs" "${truth[enq_l1]}" \
	"$(q 'sum(kvmscope_hv_tlb_flush_enqueues_total{fifo="l1"})')"
check_eq "L2 flush enqueues: Prometheus = tracefs" "${truth[enq_l2]}" \
	"$(q 'sum(kvmscope_hv_tlb_flush_enqueues_total{fifo="l2"})')"
check_eq "flush overflows: Prometheus = tracefs" "${truth[overflow]}" \
	"$(q 'sum(kvmscope_hv_tlb_flush_overflows_total)')"

# Every expression, over a window that covers the workloads.
while IFS= read -r line; do
	case "$line" in
	"ok "*) ok "${line#ok [0-9]* - }" ;;
	"not ok "*) not_ok "${line#not ok [0-9]* - }" ;;
	"#"*) echo "$line" ;;
	esac
done < <(dashboards/queries.py check --url "$url" --rate-interval 10m --require-data)

if [ -n "${KVMSCOPE_RENDER:-}" ]; then
	dashboards/render.py --url "$url" --out "$KVMSCOPE_RENDER" --range 600 \
		--rate-interval 1m | sed 's/^/# /'
fi
touch "$lab/stop"
wait "$labpid"
check_eq "lab job ended cleanly (exporter exit 0 on SIGTERM)" "exporter exit 0" \
	"$(grep '^exporter exit' "$lab/workloads")"
tap_done
