#!/bin/bash
# demo: hvflush-top: per-vCPU Hyper-V TLB flush latency, L1 (hyperv_tlb_flush) and L2 (hyperv_svm_test)
set -u
cd "$KVMSCOPE_REPO"
ST=$KVMSCOPE_SELFTESTS/x86
out=$KVMSCOPE_RESULTS/demo/hvflush-top
mkdir -p "$out"
status=0
for w in hyperv_tlb_flush hyperv_svm_test; do
	# One plain-text snapshot per second while the workload runs (-b: no
	# terminal control codes); SIGINT ends it with the final snapshot,
	# which has every row of the run, the exited VM's included.
	build/hvflush-top -b -d 1 >"$out/$w.txt" 2>&1 &
	pid=$!
	# Attached once the first snapshot is out.
	for _ in $(seq 100); do [ -s "$out/$w.txt" ] && break; sleep 0.1; done
	"$ST/$w" >"$out/$w.workload" 2>&1 || { echo "$w failed"; status=1; }
	kill -INT "$pid"; wait "$pid" || { echo "hvflush-top exited $?"; status=1; }
	snaps=$(grep -c '^hvflush-top ' "$out/$w.txt")
	with_rows=$(grep -c '^rows: [1-9]' "$out/$w.txt")
	echo "--- hvflush-top -b during $w: $snaps snapshots, $with_rows with rows; the final one:"
	# The final snapshot is the last: from its header to the end.
	sed -n '/^hvflush-top .* final /,$p' "$out/$w.txt" | tee "$out/$w.final"
	grep -q '^rows: [1-9]' "$out/$w.final" || { echo "    no rows in the final snapshot"; status=1; }
done
exit $status
