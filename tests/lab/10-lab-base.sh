#!/usr/bin/env bash
# The lab itself: boots the patched lab kernel once and the stock kernel
# once (lab/run.sh builds whatever is missing, cached) and checks that
#  - /dev/kvm exists and kvm_amd runs with npt=Y nested=1, on both kernels;
#  - every tracepoint of the series exists in the patched kernel's tracefs
#    (and none in the stock kernel's: it really is the kernel before);
#  - the workloads the tools rely on pass, the whole x86 selftests list
#    passes or skips except lab/known-failures.txt, and each known failure
#    still fails (so the list stays honest);
#  - a few selftests pass on the stock kernel.
# The guest only gathers facts into its results dir; all asserting is here.
# LAB_SELFTESTS=workloads skips the full x86 list (a quicker check).
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh

out=${KVMSCOPE_TEST_LOGS:-$PWD/build/test-logs}/lab-base
rm -rf "$out"
mkdir -p "$out"

tracepoints=(kvm/kvm_vm_set_mem_attributes_begin kvm/kvm_vm_set_mem_attributes_end
	kvmmmu/kvm_tdp_mmu_zap_leafs kvmmmu/kvm_mmu_role
	kvm/kvm_hv_tlb_flush_enqueue kvm/kvm_hv_tlb_flush_dequeue
	kvm/kvm_hv_tlb_flush_synthetic_vmexit)
# What kvmscope's tools and demo drive: these must pass, not skip.
workloads=(private_mem_conversions_test private_mem_kvm_exits_test hyperv_tlb_flush
	hyperv_svm_test cr4_cpuid_sync_test svm_nested_shutdown_test svm_vmcall_test
	set_memory_region_test)
stock_tests=(set_memory_region_test cr4_cpuid_sync_test svm_vmcall_test hyperv_tlb_flush)
known=lab/known-failures.txt
mapfile -t known_failures < <(awk '!/^#/ && NF { print $1 }' "$known")
# Not run at all: wall-clock deadlines the lab cannot promise (with reasons).
mapfile -t unsuited < <(awk '!/^#/ && NF { print $1 }' lab/unsuited-selftests.txt)

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

# run_lab NAME RUN-ARGS... -- SELFTEST-COMMANDS: boot once, gather facts.
run_lab() {
	local name=$1 args=() rc
	shift
	while [ "$1" != -- ]; do args+=("$1"); shift; done
	shift
	guest_script "$@" >"$out/$name.guest.sh"
	lab/run.sh -q "${args[@]}" --results "$out/$name" --script "$out/$name.guest.sh" \
		>"$out/$name.run.log" 2>&1
	rc=$?
	if [ "$rc" -eq 0 ]; then
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

# ---- patched kernel
# The regression run skips the known failures and the workloads (run first).
regression="{ cat \$KVMSCOPE_LAB/known-failures.txt \$KVMSCOPE_LAB/unsuited-selftests.txt; echo '${workloads[*]}' | tr ' ' '\\n'; } >/tmp/exclude
\$KVMSCOPE_LAB/guest/selftests.sh -t 900 -x /tmp/exclude @x86"
[ "${LAB_SELFTESTS:-all}" != workloads ] || regression=
run_lab patched --kernel patched --timeout 5400 -- \
	"\$KVMSCOPE_LAB/guest/selftests.sh -t 900 ${workloads[*]}" \
	"$regression" \
	"\$KVMSCOPE_LAB/guest/selftests.sh -t 900 -o \$R/known-failures ${known_failures[*]}"

check_kvm patched
for e in "${tracepoints[@]}"; do
	check "patched: tracepoint $e exists" grep -qx "$e" "$out/patched/tracepoints"
done
for t in "${workloads[@]}"; do
	must_pass patched "$t"
done
if [ -n "$regression" ]; then
	is_workload() { printf '%s\n' "${workloads[@]}" | grep -qxF "$1"; }
	# The list the guest ran against (the cache key may change meanwhile).
	expected=$(grep -cvxF -f <(printf '%s\n' "${known_failures[@]}" "${unsuited[@]}" "${workloads[@]}") \
		"$out/patched/x86.list")
	got=0
	while IFS=$'\t' read -r t res rc secs; do
		! is_workload "$t" || continue
		got=$((got + 1))
		case "$res" in
		pass) ok "patched: $t passes (${secs}s)" ;;
		skip) ok "patched: $t skips here (${secs}s)" ;;
		*) not_ok "patched: $t passes or skips (got $res, exit $rc)" \
			"$(tail -n 15 "$out/patched/selftests/$t.log")" ;;
		esac
	done <"$out/patched/selftests/results.tsv"
	check_eq "patched: every x86 selftest but the known failures and unsuited ran" "$expected" "$got"
fi
for t in "${known_failures[@]}"; do
	r=$(awk -F'\t' -v t="$t" '$1 == t { print $2, $3 }' "$out/patched/known-failures/results.tsv" 2>/dev/null)
	case "${r%% *}" in
	fail | timeout) ok "patched: known failure $t still fails (${r})" ;;
	*) not_ok "patched: known failure $t still fails" \
		"got '${r:-not run}': if it passes now, remove it from $known" ;;
	esac
done

# ---- stock kernel
run_lab stock --kernel stock --timeout 1800 -- \
	"\$KVMSCOPE_LAB/guest/selftests.sh -t 600 ${stock_tests[*]}"
check_kvm stock
check_eq "stock: none of the series' tracepoints (it is the kernel before the series)" \
	0 "$(wc -l <"$out/stock/tracepoints" 2>/dev/null || echo missing)"
for t in "${stock_tests[@]}"; do
	must_pass stock "$t"
done

tap_done
