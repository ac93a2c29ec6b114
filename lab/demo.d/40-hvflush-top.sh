#!/bin/bash
# demo: hvflush-top: per-vCPU Hyper-V TLB flush latency, L1 (hyperv_tlb_flush) and L2 (hyperv_svm_test)
set -u
cd "$KVMSCOPE_REPO"
ST=$KVMSCOPE_SELFTESTS/x86_64
out=$KVMSCOPE_RESULTS/demo/hvflush-top
mkdir -p "$out"
status=0
for w in hyperv_tlb_flush hyperv_svm_test; do
	# One plain-text snapshot per second while the workload runs, and a
	# last one after it (-b: no terminal control codes).
	build/hvflush-top -b -d 1 >"$out/$w.txt" 2>&1 &
	pid=$!
	# Attached once the first snapshot is out.
	for _ in $(seq 100); do [ -s "$out/$w.txt" ] && break; sleep 0.1; done
	"$ST/$w" >"$out/$w.workload" 2>&1 || { echo "$w failed"; status=1; }
	# Two more snapshots: an exited VM's final rows are shown once.
	sleep 2.5
	kill -INT "$pid"; wait "$pid" || { echo "hvflush-top exited $?"; status=1; }
	echo "--- hvflush-top -b during $w (last snapshot with rows)"
	awk 'BEGIN { RS = ""; ORS = "\n\n" } / L[12] / { last = $0 } END { print last }' "$out/$w.txt"
done
exit $status
