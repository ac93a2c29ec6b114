#!/bin/sh
# Guest side of tests/lab/20-series-events.sh: runs each workload with the
# series' events (and the independent evidence: kvm_hypercall,
# kvm_hv_flush_tlb{,_ex}, kvm_tdp_mmu_spte_changed) enabled in tracefs and
# saves one trace per workload, plus the workload's output and exit status,
# in $KVMSCOPE_RESULTS/series/.  No BPF anywhere.
set -u
T=/sys/kernel/tracing
ST=$KVMSCOPE_SELFTESTS/x86
OUT=$KVMSCOPE_RESULTS/series
mkdir -p "$OUT"

# 2M pages for the hugetlb variant of private_mem_conversions_test.
echo 64 >/proc/sys/vm/nr_hugepages
echo 65536 >$T/buffer_size_kb
# The series' events (the same on 7.3 and 6.12) and upstream's
# kvm_nested_vmexit_inject, which shows Hyper-V's synthetic VM-exits.
series="kvm/kvm_vm_set_mem_attributes kvm/kvm_vm_set_mem_attributes_done
	kvmmmu/tdp_mmu_zap_leafs kvmmmu/kvm_mmu_role
	kvm/kvm_hv_flush_tlb_enqueue kvm/kvm_hv_flush_tlb_dequeue
	kvm/kvm_hypercall_done kvm/kvm_map_gpa_range_exit
	kvm/kvm_nested_vmexit_inject"
for e in $series \
	kvm/kvm_hypercall kvm/kvm_hv_flush_tlb kvm/kvm_hv_flush_tlb_ex \
	kvmmmu/kvm_tdp_mmu_spte_changed; do
	echo 1 >$T/events/$e/enable || { echo "cannot enable $e" >&2; exit 1; }
done

run() { # NAME COMMAND...
	name=$1; shift
	echo >$T/trace
	"$@" >"$OUT/$name.out" 2>&1
	echo $? >"$OUT/$name.rc"
	cat $T/trace >"$OUT/$name.trace"
	# A full ring buffer would make every count below meaningless.
	cat $T/per_cpu/cpu*/stats | awk '/^overrun/ { n += $2 } END { print n + 0 }' \
		>"$OUT/$name.overrun"
	echo "$name: exit $(cat "$OUT/$name.rc"), $(grep -vc '^#' "$OUT/$name.trace") events"
}

run conversions-1vcpu "$ST/private_mem_conversions_test"
run conversions-2vcpu-2slot "$ST/private_mem_conversions_test" -n 2 -m 2
run conversions-hugetlb "$ST/private_mem_conversions_test" -s anonymous_hugetlb_2mb
# Zaps that yield the MMU lock: a busy loop on the same CPU makes the
# scheduler ask for the CPU (need_resched) while conversions zap.
taskset -c 0 sh -c 'while :; do :; done' &
hog=$!
run conversions-yield taskset -c 0 "$ST/private_mem_conversions_test" -n 2 -m 2
kill $hog
# The in-kernel MapGPA RFC is in the 6.12 series only.
[ ! -x "$ST/private_mem_map_gpa_test" ] || run conversions-in-kernel "$ST/private_mem_map_gpa_test"
run hyperv-l1 "$ST/hyperv_tlb_flush"
run hyperv-l2 "$ST/hyperv_svm_test"
# The series' own selftest: 20 requests for a vCPU that does not run.
run hyperv-overflow "$ST/hyperv_tlb_flush_overflow"
run roles-cr4 "$ST/cr4_cpuid_sync_test"
run roles-nested "$ST/svm_vmcall_test"
