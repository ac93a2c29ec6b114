#!/usr/bin/env bash
# The lab itself, on each kernel line (7.3, 6.12): boots the line's patched
# lab kernel once and its stock kernel once (lab/run.sh builds or fetches
# whatever is missing, cached) and checks that
#  - /dev/kvm exists and kvm_amd runs with npt=Y nested=1, on both kernels;
#  - every tracepoint of the line's series exists in the patched kernel's
#    tracefs (and none in the stock kernel's: it really is the kernel
#    before), and the upstream events the tools' fallback needs exist in
#    both;
#  - the workloads the tools rely on pass, the whole x86 selftests list
#    passes or skips except lab/known-failures-<line>.txt, and each known
#    failure still fails (so the list stays honest);
#  - a few selftests pass on the stock kernel.
# The guest only gathers facts into its results dir; all asserting is here.
# LAB_SELFTESTS=workloads skips the full x86 list (a quicker check);
# LAB_LINES="6.12" limits the lines.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh

out=${KVMSCOPE_TEST_LOGS:-$PWD/build/test-logs}/lab-base
rm -rf "$out"
mkdir -p "$out"

only_lines=${LAB_LINES:-}
. lab/versions.sh
# Each line's series' events.  7.3's include TDX's and SNP's, which the
# lab cannot run: existing in tracefs is what shows they compiled in.
# 6.12's backport has the same minus TDX (not in 6.12), plus upstream's
# kvm_vm_set_mem_attributes, which 6.12 lacks.
series_events_7_3=(kvm/kvm_vm_set_mem_attributes_done kvmmmu/tdp_mmu_zap_leafs
	kvm/kvm_tdx_map_gpa kvm/kvm_tdx_map_gpa_done kvm/kvm_map_gpa_range_exit
	kvm/kvm_snp_psc kvm/kvm_snp_psc_done kvm/kvm_snp_psc_msr kvm/kvm_snp_psc_msr_done
	kvm/kvm_hypercall_done kvmmmu/kvm_mmu_role kvm/kvm_hv_flush_tlb_enqueue
	kvm/kvm_hv_flush_tlb_dequeue)
series_events_6_12=(kvm/kvm_vm_set_mem_attributes kvm/kvm_vm_set_mem_attributes_done
	kvmmmu/tdp_mmu_zap_leafs kvm/kvm_map_gpa_range_exit
	kvm/kvm_snp_psc kvm/kvm_snp_psc_done kvm/kvm_snp_psc_msr kvm/kvm_snp_psc_msr_done
	kvm/kvm_hypercall_done kvmmmu/kvm_mmu_role kvm/kvm_hv_flush_tlb_enqueue
	kvm/kvm_hv_flush_tlb_dequeue)
# Upstream events the fallbacks use, on every kernel; and the one 6.17
# added, which the lab's config has on 7.3 (memory attributes, through
# KVM_SW_PROTECTED_VM) but Debian's cloud kernels do not (no
# KVM_SW_PROTECTED_VM, KVM_AMD_SEV or KVM_INTEL_TDX there).
upstream_events=(kvmmmu/kvm_tdp_mmu_spte_changed kvm/kvm_hv_flush_tlb kvm/kvm_hv_flush_tlb_ex)
attr_event_7_3=kvm/kvm_vm_set_mem_attributes
tracepoints=($(printf '%s\n' "${series_events_7_3[@]}" "${series_events_6_12[@]}" \
	"${upstream_events[@]}" "$attr_event_7_3" | sort -u))
# What kvmscope's tools and demo drive: these must pass, not skip.
workloads=(private_mem_conversions_test private_mem_kvm_exits_test hyperv_tlb_flush
	hyperv_svm_test cr4_cpuid_sync_test svm_nested_shutdown_test svm_vmcall_test
	set_memory_region_test)
stock_tests=(set_memory_region_test cr4_cpuid_sync_test svm_vmcall_test hyperv_tlb_flush)

# The guest side: facts into $KVMSCOPE_RESULTS, one file each.
guest_script() { # SELFTEST-ARGS...
	cat <<EOF
#!/bin/sh
R=\$KVMSCOPE_RESULTS
if [ -c /dev/kvm ]; then echo present; else echo missing; fi >\$R/dev-kvm
cat /sys/module/kvm_amd/parameters/npt >\$R/npt
cat /sys/module/kvm_amd/parameters/nested >\$R/nested
for e in ${tracepoints[*]}; do
	[ ! -d /sys/kernel/tracing/events/\$e ] || echo \$e
done >\$R/tracepoints
cp \$KVMSCOPE_SELFTESTS/x86.list \$R/x86.list
$(printf '%s\n' "$@")
exit 0
EOF
}

# run_lab NAME RUN-ARGS... -- SELFTEST-COMMANDS: boot once, gather facts;
# lab/run.sh's exit status in NAME.rc.
run_lab() {
	local name=$1 args=()
	shift
	while [ "$1" != -- ]; do args+=("$1"); shift; done
	shift
	guest_script "$@" >"$out/$name.guest.sh"
	lab/run.sh -q "${args[@]}" --results "$out/$name" --script "$out/$name.guest.sh" \
		>"$out/$name.run.log" 2>&1
	echo $? >"$out/$name.rc"
}

# booted NAME: did run_lab NAME work?
booted() {
	local name=$1 rc
	rc=$(cat "$out/$name.rc" 2>/dev/null || echo none)
	if [ "$rc" = 0 ]; then
		ok "$name lab kernel boots and runs the job cleanly ($(grep -E '^(boot_s|wall_s)=' "$out/$name/summary.txt" | tr '\n' ' '))"
	else
		not_ok "$name lab kernel boots and runs the job cleanly (lab/run.sh exit $rc)" \
			"$(tail -n 40 "$out/$name.run.log")"
	fi
}

# result NAME TEST: the test's row in NAME's results (result, exit, seconds).
result() { awk -F'\t' -v t="$2" '$1 == t { print $2, $3, $4 }' "$out/$1/selftests/results.tsv" 2>/dev/null; }

check_kvm() { # NAME
	check_eq "$1: /dev/kvm" present "$(cat "$out/$1/dev-kvm" 2>/dev/null)"
	check_eq "$1: kvm_amd npt" Y "$(cat "$out/$1/npt" 2>/dev/null)"
	check_eq "$1: kvm_amd nested" 1 "$(cat "$out/$1/nested" 2>/dev/null)"
}

must_pass() { # NAME TEST
	local r
	r=$(result "$1" "$2")
	if [ "${r%% *}" = pass ]; then
		ok "$1: $2 passes (${r##* }s)"
	else
		not_ok "$1: $2 passes (got: ${r:-not run})" "$(tail -n 15 "$out/$1/selftests/$2.log" 2>/dev/null)"
	fi
}

# How many series events a tracepoints file lists ("missing": no file).
series_count() {
	[ -f "$1" ] || { echo missing; return; }
	grep -cxF -f <(printf '%s\n' "${series_events[@]}") "$1" || true
}

# A line's lists: known failures, unsuited tests (not run at all: wall-clock
# deadlines the lab cannot promise), each with reasons.
line_lists() { # LINE
	known=known-failures-$1.txt unsuited_file=unsuited-selftests-$1.txt
	mapfile -t known_failures < <(awk '!/^#/ && NF { print $1 }' "lab/$known")
	mapfile -t unsuited < <(awk '!/^#/ && NF { print $1 }' "lab/$unsuited_file")
	# The regression run skips the known failures and the workloads (run first).
	regression="{ cat \$KVMSCOPE_LAB/$known \$KVMSCOPE_LAB/$unsuited_file; echo '${workloads[*]}' | tr ' ' '\\n'; } >/tmp/exclude
\$KVMSCOPE_LAB/guest/selftests.sh -t 900 -x /tmp/exclude @x86"
	[ "${LAB_SELFTESTS:-all}" != workloads ] || regression=
}

# boot_line LINE: boot both kernels of one line, one after the other.
boot_line() {
	local line=$1 known unsuited_file regression
	local -a known_failures unsuited
	line_lists "$line"
	run_lab "$line-patched" --kernel "$line-patched" --timeout 5400 -- \
		"\$KVMSCOPE_LAB/guest/selftests.sh -t 900 ${workloads[*]}" \
		"$regression" \
		"\$KVMSCOPE_LAB/guest/selftests.sh -t 900 -o \$R/known-failures ${known_failures[*]}"
	run_lab "$line-stock" --kernel "$line-stock" --timeout 1800 -- \
		"\$KVMSCOPE_LAB/guest/selftests.sh -t 600 ${stock_tests[*]}"
}

# check_line LINE: what both kernels of one line showed.
check_line() {
	local line=$1 p=$1-patched s=$1-stock known unsuited_file regression expect e t r
	local -a known_failures unsuited upstream series_events
	line_lists "$line"
	local attr_var="attr_event_${line//./_}" events_var="series_events_${line//./_}[@]"
	upstream=("${upstream_events[@]}" ${!attr_var:-})
	series_events=("${!events_var}")
	# A line without patches yet has no series events to look for.
	expect=()
	! grep -qvE '^(#|$)' "kernel-patches/$line/series" || expect=("${series_events[@]}")

	# ---- patched kernel
	booted "$p"
	check_kvm "$p"
	for e in "${expect[@]}"; do
		check "$p: series tracepoint $e exists" grep -qx "$e" "$out/$p/tracepoints"
	done
	[ "${#expect[@]}" -gt 0 ] || check_eq "$p: no series tracepoints (kernel-patches/$line/series has no patches yet)" \
		0 "$(series_count "$out/$p/tracepoints")"
	for e in "${upstream[@]}"; do
		check "$p: upstream tracepoint $e exists" grep -qx "$e" "$out/$p/tracepoints"
	done
	for t in "${workloads[@]}"; do
		must_pass "$p" "$t"
	done
	if [ -n "$regression" ]; then
		is_workload() { printf '%s\n' "${workloads[@]}" | grep -qxF "$1"; }
		# The list the guest ran against (the cache key may change meanwhile).
		expected=$(grep -cvxF -f <(printf '%s\n' "${known_failures[@]}" "${unsuited[@]}" "${workloads[@]}") \
			"$out/$p/x86.list")
		got=0
		while IFS=$'\t' read -r t res rc secs; do
			! is_workload "$t" || continue
			got=$((got + 1))
			case "$res" in
			pass) ok "$p: $t passes (${secs}s)" ;;
			skip) ok "$p: $t skips here (${secs}s)" ;;
			*) not_ok "$p: $t passes or skips (got $res, exit $rc)" \
				"$(tail -n 15 "$out/$p/selftests/$t.log")" ;;
			esac
		done <"$out/$p/selftests/results.tsv"
		check_eq "$p: every x86 selftest but the known failures and unsuited ran" "$expected" "$got"
	fi
	for t in "${known_failures[@]}"; do
		r=$(awk -F'\t' -v t="$t" '$1 == t { print $2, $3 }' "$out/$p/known-failures/results.tsv" 2>/dev/null)
		case "${r%% *}" in
		fail | timeout) ok "$p: known failure $t still fails (${r})" ;;
		*) not_ok "$p: known failure $t still fails" \
			"got '${r:-not run}': if it passes now, remove it from lab/$known" ;;
		esac
	done

	# ---- stock kernel
	booted "$s"
	check_kvm "$s"
	check_eq "$s: none of the series' tracepoints (it is the kernel before the series)" \
		0 "$(series_count "$out/$s/tracepoints")"
	for e in "${upstream_events[@]}"; do
		check "$s: upstream tracepoint $e exists" grep -qx "$e" "$out/$s/tracepoints"
	done
	for t in "${stock_tests[@]}"; do
		must_pass "$s" "$t"
	done
}

# Build (or fetch) what each line needs first, one build at a time, with
# the builders' progress shown: a cold cache takes a while.
for line in ${only_lines:-$LAB_LINES}; do
	for step in "build-kernel.sh --line $line" "build-selftests.sh --line $line" \
		"mkinitramfs.sh --line $line --kernel patched" "mkinitramfs.sh --line $line --kernel stock"; do
		# shellcheck disable=SC2086 # the step is words
		lab/$step 2>&1 >/dev/null | sed -u 's/^/# /'
		[ "${PIPESTATUS[0]}" -eq 0 ] || not_ok "lab/$step" "its messages are above"
	done
done
# The lines boot side by side, one QEMU (one TCG thread) each on the two
# cores; the timing-sensitive selftests are in the unsuited lists.
for line in ${only_lines:-$LAB_LINES}; do
	boot_line "$line" &
done
wait
for line in ${only_lines:-$LAB_LINES}; do
	check_line "$line"
done

tap_done
