#!/usr/bin/env bash
# tdx-trace in the QEMU lab (patched kernel): tests/lab/tdx-trace/guest.sh
# runs private_mem_conversions_test (1 vCPU; 2 vCPUs x 2 memslots; 2M
# hugetlb) and private_mem_map_gpa_test (MapGPA in KVM and in the VMM) under
# `tdx-trace conversions -j`, and cr4_cpuid_sync_test and svm_vmcall_test
# (nested SVM) under `tdx-trace roles -j`, and compares what the tool
# reports with an independent count from tracefs.  Its TAP lines become
# this suite's.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh

if [ ! -x lab/run.sh ]; then
	echo "# SKIP: lab/run.sh (the QEMU lab) is not available"
	tap_done
	exit 0
fi

res=build/lab/tdx-trace-$(date +%Y%m%d-%H%M%S)
mkdir -p "$res"
res=$(cd "$res" && pwd)
if ! make -s build/tdx-trace >"$res/make.log" 2>&1; then
	not_ok "build tdx-trace" "$(tail -20 "$res/make.log")"
	tap_done
	exit 1
fi

# The patched guest runs the job chrooted into the host root with the repo
# at its host path, so build/tdx-trace runs there with the host's libraries.
lab/run.sh --kernel 6.12-patched --timeout 2400 -q --results "$res/lab" -- \
	bash -c 'cd "$KVMSCOPE_REPO" &&
		TDX_TRACE=$KVMSCOPE_REPO/build/tdx-trace \
		SELFTESTS=$KVMSCOPE_SELFTESTS \
		WORK=$KVMSCOPE_RESULTS/tdx-trace \
		exec tests/lab/tdx-trace/guest.sh' 2>"$res/run.err"
rc=$?

n=0
while IFS= read -r line; do
	case $line in
	"ok "*) n=$((n + 1)); ok "lab: ${line#ok * - }" ;;
	"not ok "*) n=$((n + 1)); not_ok "lab: ${line#not ok * - }" ;;
	"#   "*) echo "$line" ;;	# details of the failure above
	esac
done < <(tr -d '\r' <"$res/lab/output.log" 2>/dev/null)

case $rc in
0) [ "$n" -gt 0 ] || not_ok "the lab job reported results" "$(cat "$res/run.err")" ;;
124) not_ok "the lab job finished within its timeout" "$(tail -5 "$res/run.err")" ;;
125) not_ok "the lab booted and ran the job" \
	"$(cat "$res/lab/summary.txt" 2>/dev/null; tail -5 "$res/run.err")" ;;
*) [ "$n" -gt 0 ] || not_ok "the lab job reported results (exit $rc)" \
	"$(tail -20 "$res/lab/output.log" 2>/dev/null)" ;;
esac
tap_done
