#!/usr/bin/env bash
# The kernel series (tracepoints for MapGPA conversions, MMU roles and
# Hyper-V flush FIFOs), proven without BPF, on each line's patched kernel
# (7.3 and 6.12; LAB_LINES limits them):
#  - every series (7.3: each topic on its own, as posted, on the pristine
#    source) applies and is clean under checkpatch --strict;
#  - every call site of the new tracepoints in the built vmlinux is a
#    static-key NOP (disabled cost = the static key);
#  - in the patched lab guest, each workload is traced with tracefs and
#    tests/lab/series-events.pl checks the new events against independent
#    evidence (MAP_GPA hypercalls, spte_changed zaps, FIFO conservation,
#    role chains) and against counts that follow from the workloads.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh

lines=${LAB_LINES:-}
. lab/versions.sh
lines=${lines:-$LAB_LINES}
# Each line's series' events (the static-key check covers every one).
events_7_3=(kvm_vm_set_mem_attributes_done tdp_mmu_zap_leafs kvm_tdx_map_gpa
	kvm_tdx_map_gpa_done kvm_map_gpa_range_exit kvm_snp_psc kvm_snp_psc_done
	kvm_snp_psc_msr kvm_snp_psc_msr_done kvm_hypercall_done kvm_mmu_role
	kvm_hv_flush_tlb_enqueue kvm_hv_flush_tlb_dequeue)
events_6_12=(kvm_vm_set_mem_attributes kvm_vm_set_mem_attributes_done
	tdp_mmu_zap_leafs kvm_map_gpa_range_exit kvm_snp_psc kvm_snp_psc_done
	kvm_snp_psc_msr kvm_snp_psc_msr_done kvm_hypercall_done kvm_mmu_role
	kvm_hv_flush_tlb_enqueue kvm_hv_flush_tlb_dequeue)

res=$(lab_results_dir series)

# Each series as posted: a topic applies on the pristine source by itself,
# and checkpatch has nothing to say about any patch.  (Each patch builds:
# lab/build-kernel.sh --topic T --each-patch, before posting.)
for line in $lines; do
	topics=$(cd "kernel-patches/$line" && for d in */; do [ ! -f "$d/series" ] || echo "${d%/}"; done)
	for t in "" $topics; do
		what="$line${t:+ $t}"
		if out=$(lab/build-kernel.sh --line "$line" ${t:+--topic "$t"} --checkpatch 2>&1); then
			ok "$what: checkpatch --strict is clean ($(grep -c ': total: 0 errors, 0 warnings, 0 checks' <<<"$out") patches)"
		else
			not_ok "$what: checkpatch --strict is clean" "$out"
		fi
		[ -n "$t" ] || continue
		pre=$(cat "kernel-patches/$line/$t/prerequisites" 2>/dev/null | grep -v '^#' | xargs)
		if out=$(tests/kernel/apply-series.sh "$line" "kernel-patches/$line/$t" 2>&1); then
			ok "$what: applies on its own to Debian's source${pre:+ (after $pre)}"
		else
			not_ok "$what: applies on its own to Debian's source${pre:+ (after $pre)}" "$out"
		fi
	done
done

# Builds the kernels the cache does not have, one at a time (progress on
# stderr), checks their static keys, then boots them side by side.
for line in $lines; do
	ev="events_${line//./_}[@]"
	events=("${!ev}")
	if lab/build-kernel.sh --line "$line" >"$res/build-kernel-$line.log" 2>&1; then
		vmlinux=$(lab/cache.sh dir kernel --line "$line")/vmlinux
		if out=$(tests/kernel/static-key-sites.pl "$vmlinux" "${events[@]}" 2>&1); then
			ok "$line: every site of the ${#events[@]} new tracepoints is a static-key NOP"
		else
			not_ok "$line: every site of the new tracepoints is a static-key NOP" "$out"
		fi
		echo "$out" | sed "s/^/# $line: static-key /"
	else
		not_ok "$line: build the patched lab kernel" "$(tail -20 "$res/build-kernel-$line.log")"
		tap_done
		exit 1
	fi
done

boot() { # LINE
	lab/run.sh --kernel "$1-patched" --timeout 1800 -q --results "$res/$1" -- \
		sh -c 'exec "$KVMSCOPE_REPO/tests/lab/series/guest.sh"' 2>"$res/$1.err"
	echo $? >"$res/$1.rc"
}
for line in $lines; do boot "$line" & done
wait

analyze() { # WORKLOAD MODE [ARG]: the analyzer's TAP lines, prefixed
	local w=$1 mode=$2 t="$res/$line/series/$1"
	shift 2
	check_eq "$line: $w: workload passed" 0 "$(cat "$t.rc" 2>/dev/null)"
	check_eq "$line: $w: no tracefs events lost" 0 "$(cat "$t.overrun" 2>/dev/null)"
	tests/lab/series-events.pl "$mode" "$t.trace" "$@" >"$t.$mode" 2>&1
	while IFS= read -r l; do
		case $l in
		"ok "*) ok "$line: $w: ${l#ok * - }" ;;
		"not ok "*) not_ok "$line: $w: ${l#not ok * - }" ;;
		"# counts "*) echo "# $line: $w: ${l#\# counts }" ;;
		"#   "*) echo "$l" ;;
		*) not_ok "$line: $w: analyzer said: $l" ;;
		esac
	done <"$t.$mode"
}
# count_of WORKLOAD MODE NAME: a number from the analyzer's "# counts" lines.
count_of() {
	grep -h '^# counts' "$res/$line/series/$1.$2" | tr ' ' '\n' | grep -A1 -x "$3" | tail -1
}

check_line() {
	local rc c1 z2m unch
	rc=$(cat "$res/$line.rc")
	if [ "$rc" -ne 0 ]; then
		not_ok "$line: the lab ran the traced workloads (exit $rc)" \
			"$(cat "$res/$line/summary.txt" 2>/dev/null; tail -5 "$res/$line.err")"
		return
	fi
	analyze conversions-1vcpu conversions
	analyze conversions-2vcpu-2slot conversions
	analyze conversions-hugetlb conversions
	analyze conversions-yield conversions
	analyze hyperv-l1 hyperv l1
	analyze hyperv-l2 hyperv l2
	analyze hyperv-overflow hyperv l1
	for w in roles-cr4 roles-nested hyperv-l1 hyperv-l2; do
		analyze "$w" roles "$line"
	done

	# Counts that follow from the workloads themselves.
	c1=$(count_of conversions-1vcpu conversions conversions)
	check_eq "$line: 2 vCPUs (one memslot each) convert twice what 1 vCPU does" $((2 * c1)) \
		"$(count_of conversions-2vcpu-2slot conversions conversions)"
	check_eq "$line: the hugetlb run converts as often as the 4K run" "$c1" \
		"$(count_of conversions-hugetlb conversions conversions)"
	y=$(count_of conversions-yield conversions yields)
	[ "${y:-0}" -gt 0 ] && ok "$line: zaps yield with a busy task on their CPU ($y yields, $(count_of conversions-yield conversions yield_flushes) flushing)" ||
		not_ok "$line: zaps yield with a busy task on their CPU" "yields=$y"
	z2m=$(count_of conversions-hugetlb conversions zapped_2m)
	[ "${z2m:-0}" -gt 0 ] && ok "$line: 2M SPTEs zapped with hugetlb backing ($z2m)" ||
		not_ok "$line: 2M SPTEs zapped with hugetlb backing" "zapped_2m=$z2m"
	# hyperv_tlb_flush_overflow: 20 one-range requests for a vCPU that does
	# not run: 15 fit, the 16th becomes a flush-all entry, 4 find the FIFO
	# full; the vCPU's first entry takes all 16 off.
	check_eq "$line: overflow: 20 requests queued for the idle vCPU" 20 \
		"$(count_of hyperv-overflow hyperv enqueues)"
	check_eq "$line: overflow: 16 entries went in (15 ranges, then flush all)" 16 \
		"$(count_of hyperv-overflow hyperv inserted)"
	check_eq "$line: overflow: 5 requests degraded to flush all (1 inserted, 4 on a full FIFO)" 5 \
		"$(count_of hyperv-overflow hyperv overflows)"
	check_eq "$line: overflow: the 16 entries were dequeued" 16 \
		"$(count_of hyperv-overflow hyperv dequeued)"
	unch=$(count_of roles-cr4 roles unchanged)
	[ "${unch:-0}" -gt 0 ] && ok "$line: cr4_cpuid_sync_test takes the role early-out ($unch)" ||
		not_ok "$line: cr4_cpuid_sync_test takes the role early-out" "unchanged=$unch"
	# The in-kernel MapGPA RFC is in the 6.12 series only.
	[ -f "$res/$line/series/conversions-in-kernel.trace" ] || return 0
	analyze conversions-in-kernel in-kernel
	# private_mem_map_gpa_test: 5 valid requests (2 conversions, 1 memory
	# fault, 2 of 64K pages, i.e. 16 chunks each) and 7 invalid ones.
	check_eq "$line: in-kernel: valid requests converted" 5 \
		"$(count_of conversions-in-kernel in-kernel requests_converted)"
	check_eq "$line: in-kernel: invalid requests refused" 7 \
		"$(count_of conversions-in-kernel in-kernel requests_refused)"
	check_eq "$line: in-kernel: 64K-page requests converted in 16 MiB chunks" \
		$((2 + 1 + 2 * 65536 / 4096)) "$(count_of conversions-in-kernel in-kernel conversions)"
}
for line in $lines; do check_line; done
tap_done
