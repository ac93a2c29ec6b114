#!/bin/bash
# demo: the series' tracepoints fire under KVM selftest workloads (counts from tracefs)
#
# Enables the series' events (kernel-patches/, the same on 7.3 and 6.12)
# and kvm_nested_vmexit_inject, which shows Hyper-V's synthetic VM-exits,
# runs each workload, and counts the events in the trace buffer.  The
# buffer is large enough for these workloads; a ring-buffer overrun is
# reported, never hidden.
set -u
T=/sys/kernel/tracing
out=$KVMSCOPE_RESULTS/demo/tracepoints
mkdir -p "$out"
events=(kvm/kvm_vm_set_mem_attributes kvm/kvm_vm_set_mem_attributes_done
	kvmmmu/tdp_mmu_zap_leafs kvmmmu/kvm_mmu_role
	kvm/kvm_hv_flush_tlb_enqueue kvm/kvm_hv_flush_tlb_dequeue
	kvm/kvm_nested_vmexit_inject)
short=(attr_begin attr_done zap_leafs mmu_role hv_enq hv_deq nested_exit)
workloads=(private_mem_conversions_test private_mem_kvm_exits_test cr4_cpuid_sync_test
	svm_nested_shutdown_test hyperv_tlb_flush hyperv_svm_test hyperv_tlb_flush_overflow)

missing=0
for e in "${events[@]}"; do
	[ -d "$T/events/$e" ] || { echo "missing tracepoint: $e"; missing=1; }
done
[ "$missing" -eq 0 ] || exit 1

echo 0 >"$T/tracing_on"
echo 32768 >"$T/buffer_size_kb"
for e in "${events[@]}"; do echo 1 >"$T/events/$e/enable"; done

declare -A total
printf '%-30s %6s' workload result
printf ' %10s' "${short[@]}"
echo
status=0
for w in "${workloads[@]}"; do
	echo >"$T/trace"
	echo 1 >"$T/tracing_on"
	"$KVMSCOPE_LAB/guest/selftests.sh" -t 600 -o "$out" "$w" >/dev/null
	rc=$?
	echo 0 >"$T/tracing_on"
	cp "$T/trace" "$out/$w.trace"
	overrun=$(awk '/^overrun:/ { n += $2 } END { print n + 0 }' "$T"/per_cpu/cpu*/stats)
	result=$(awk -F'\t' -v w="$w" '$1 == w { r = $2 } END { print r }' "$out/results.tsv")
	[ "$rc" -eq 0 ] || status=1
	printf '%-30s %6s' "$w" "$result"
	for e in "${events[@]}"; do
		n=$(grep -c " ${e#*/}: " "$out/$w.trace")
		total[$e]=$((${total[$e]:-0} + n))
		printf ' %10s' "$n"
	done
	[ "$overrun" -eq 0 ] || printf '  (buffer overran by %s events: counts are lower bounds)' "$overrun"
	echo
done
for e in "${events[@]}"; do echo 0 >"$T/events/$e/enable"; done

echo
for e in "${events[@]}"; do
	if [ "${total[$e]}" -gt 0 ]; then
		printf '%-45s fired %s times\n' "$e" "${total[$e]}"
	else
		printf '%-45s did not fire\n' "$e"
		status=1
	fi
done
echo "per-workload traces: $out/*.trace"
exit "$status"
