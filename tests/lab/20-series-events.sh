#!/usr/bin/env bash
# The kernel series (issue: tracepoints for MapGPA conversions, MMU roles and
# Hyper-V flush FIFOs), proven without BPF:
#  - every call site of the new tracepoints in the built vmlinux is a
#    static-key NOP (disabled cost = the static key);
#  - in the patched lab guest, each workload is traced with tracefs and
#    tests/lab/series-events.pl checks the new events against independent
#    evidence (MAP_GPA hypercalls, spte_changed zaps, FIFO conservation,
#    role chains) and against counts that follow from the workloads.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh

events=(kvm_vm_set_mem_attributes_begin kvm_vm_set_mem_attributes_end
	kvm_tdp_mmu_zap_leafs kvm_mmu_role kvm_hv_tlb_flush_enqueue
	kvm_hv_tlb_flush_dequeue kvm_hv_tlb_flush_synthetic_vmexit)

res=build/lab/series-$(date +%Y%m%d-%H%M%S)
mkdir -p "$res"
res=$(cd "$res" && pwd)

# Builds the kernel if the cache does not have it (with progress on stderr).
if lab/build-kernel.sh --line 6.12 >"$res/build-kernel.log" 2>&1; then
	vmlinux=$(lab/cache.sh dir kernel --line 6.12)/vmlinux
	if out=$(tests/kernel/static-key-sites.pl "$vmlinux" "${events[@]}" 2>&1); then
		ok "every site of the ${#events[@]} new tracepoints is a static-key NOP"
	else
		not_ok "every site of the new tracepoints is a static-key NOP" "$out"
	fi
	echo "$out" | sed 's/^/# static-key /'
else
	not_ok "build the patched lab kernel" "$(tail -20 "$res/build-kernel.log")"
	tap_done
	exit 1
fi

lab/run.sh --kernel 6.12-patched --timeout 1800 -q --results "$res/lab" -- \
	sh -c 'exec "$KVMSCOPE_REPO/tests/lab/series/guest.sh"' 2>"$res/run.err"
rc=$?
if [ "$rc" -ne 0 ]; then
	not_ok "the lab ran the traced workloads (exit $rc)" \
		"$(cat "$res/lab/summary.txt" 2>/dev/null; tail -5 "$res/run.err")"
	tap_done
	exit 1
fi

analyze() { # WORKLOAD MODE [ARG]: the analyzer's TAP lines, prefixed
	local w=$1 mode=$2 t="$res/lab/series/$1"
	shift 2
	check_eq "$w: workload passed" 0 "$(cat "$t.rc" 2>/dev/null)"
	check_eq "$w: no tracefs events lost" 0 "$(cat "$t.overrun" 2>/dev/null)"
	tests/lab/series-events.pl "$mode" "$t.trace" "$@" >"$t.$mode" 2>&1
	while IFS= read -r line; do
		case $line in
		"ok "*) ok "$w: ${line#ok * - }" ;;
		"not ok "*) not_ok "$w: ${line#not ok * - }" ;;
		"# counts "*) echo "# $w: ${line#\# counts }" ;;
		"#   "*) echo "$line" ;;
		*) not_ok "$w: analyzer said: $line" ;;
		esac
	done <"$t.$mode"
}
# count_of WORKLOAD MODE NAME: a number from the analyzer's "# counts" lines.
count_of() {
	grep -h '^# counts' "$res/lab/series/$1.$2" | tr ' ' '\n' | grep -A1 -x "$3" | tail -1
}

analyze conversions-1vcpu conversions
analyze conversions-2vcpu-2slot conversions
analyze conversions-hugetlb conversions
analyze conversions-in-kernel in-kernel
analyze hyperv-l1 hyperv l1
analyze hyperv-l2 hyperv l2
for w in roles-cr4 roles-nested hyperv-l1 hyperv-l2; do
	analyze "$w" roles
done

# Counts that follow from the workloads themselves.
c1=$(count_of conversions-1vcpu conversions conversions)
check_eq "2 vCPUs (one memslot each) convert twice what 1 vCPU does" $((2 * c1)) \
	"$(count_of conversions-2vcpu-2slot conversions conversions)"
check_eq "the hugetlb run converts as often as the 4K run" "$c1" \
	"$(count_of conversions-hugetlb conversions conversions)"
z2m=$(count_of conversions-hugetlb conversions zapped_2m)
[ "${z2m:-0}" -gt 0 ] && ok "2M SPTEs zapped with hugetlb backing ($z2m)" ||
	not_ok "2M SPTEs zapped with hugetlb backing" "zapped_2m=$z2m"
# private_mem_map_gpa_test: 5 valid requests (2 conversions, 1 memory fault,
# 2 of 64K pages, i.e. 16 chunks each) and 7 invalid ones.
check_eq "in-kernel: valid requests converted" 5 \
	"$(count_of conversions-in-kernel in-kernel requests_converted)"
check_eq "in-kernel: invalid requests refused" 7 \
	"$(count_of conversions-in-kernel in-kernel requests_refused)"
check_eq "in-kernel: 64K-page requests converted in 16 MiB chunks" \
	$((2 + 1 + 2 * 65536 / 4096)) "$(count_of conversions-in-kernel in-kernel conversions)"
unch=$(count_of roles-cr4 roles unchanged)
[ "${unch:-0}" -gt 0 ] && ok "cr4_cpuid_sync_test takes the role early-out ($unch)" ||
	not_ok "cr4_cpuid_sync_test takes the role early-out" "unchanged=$unch"
tap_done
