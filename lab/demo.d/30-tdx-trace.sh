#!/bin/bash
# demo: tdx-trace: the cost of each private<->shared conversion, MMU role recomputations, and in-kernel vs userspace MapGPA
#
# Runs KVM selftest workloads while tdx-trace watches them: one line per
# conversion, then the per-interval summary, then the role recomputations of
# a nested SVM guest, then the same conversion loop serviced by KVM
# (KVM_CAP_X86_MAP_GPA_RANGE_IN_KERNEL) and by userspace side by side.
set -u
cd "$KVMSCOPE_REPO"
ST=$KVMSCOPE_SELFTESTS/x86
out=$KVMSCOPE_RESULTS/demo/tdx-trace
mkdir -p "$out"
status=0

# watch LOG CMD... -- WORKLOAD...: run the tool in the background until the
# workload is done, then end it with SIGINT (it prints its final summary).
watch() {
	local log=$1; shift
	local tool=() ; while [ "$1" != -- ]; do tool+=("$1"); shift; done; shift
	"${tool[@]}" >"$log" 2>&1 &
	local pid=$!
	# The tool prints its mode line once attached; wait for it, not a sleep.
	for _ in $(seq 100); do grep -q '^mode:\|"type":"mode"\|Tracing' "$log" && break; sleep 0.1; done
	"$@" >"$log.workload" 2>&1 || { echo "workload $* failed"; status=1; }
	kill -INT "$pid"; wait "$pid" || { echo "${tool[*]} exited $?"; status=1; }
}

# empty WHAT FILE PATTERN: the section showed nothing matching PATTERN
# (extended regex): say so, and the step fails.
empty() {
	grep -Eq -- "$3" "$2" && return 1
	echo "    $1: nothing in $2"
	status=1
}

echo "--- tdx-trace conversions -T   (private_mem_conversions_test, first lines)"
watch "$out/conversions.txt" build/tdx-trace conversions -T -- "$ST/private_mem_conversions_test"
head -n 14 "$out/conversions.txt"
echo "    ... $(grep -cE ' (private|shared) +[0-9]' "$out/conversions.txt") conversions in $out/conversions.txt"
empty "conversions" "$out/conversions.txt" ' (private|shared) +[0-9]'

echo
echo "--- tdx-trace -s --mapgpa   (summary: log2 histograms per VM and direction, MapGPA latency)"
watch "$out/summary.txt" build/tdx-trace -s --mapgpa -- "$ST/private_mem_conversions_test" -n 2
sed -n '/Summary (whole run)/,$p' "$out/summary.txt" | head -n 40
empty "conversion summary" "$out/summary.txt" '^Total: [1-9][0-9]* conversions'
empty "MapGPA latency" "$out/summary.txt" '^MapGPA pid .* latency mean'

echo
echo "--- tdx-trace roles   (svm_vmcall_test: an L2 guest under nested SVM)"
watch "$out/roles.txt" build/tdx-trace roles -- "$ST/svm_vmcall_test"
tail -n 25 "$out/roles.txt"

echo
echo "--- in-kernel vs userspace MapGPA (private_mem_map_gpa_test -b 300, 1 page)"
for mode in kernel userspace; do
	flag=; [ "$mode" = userspace ] && flag=-u
	watch "$out/mapgpa-$mode.txt" build/tdx-trace -s --mapgpa -- "$ST/private_mem_map_gpa_test" -b 300 $flag
	printf '%-10s %s\n' "$mode" "$(grep '^mode ' "$out/mapgpa-$mode.txt.workload")"
	# The whole run's MapGPA latency per vCPU, from the final summary.
	sed -n '/Summary (whole run)/,$p' "$out/mapgpa-$mode.txt" | grep '^MapGPA pid' | sed 's/^/           /'
	empty "$mode MapGPA latency" "$out/mapgpa-$mode.txt" '^MapGPA pid .* latency mean'
done
exit $status
