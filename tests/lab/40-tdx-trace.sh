#!/usr/bin/env bash
# tdx-trace in the QEMU lab, on each line's patched kernel (7.3 and 6.12
# side by side; LAB_LINES limits them): tests/lab/tdx-trace/guest.sh
# runs private_mem_conversions_test (1 vCPU; 2 vCPUs x 2 memslots; 2M
# hugetlb) and private_mem_map_gpa_test (MapGPA in KVM and in the VMM) under
# `tdx-trace conversions -j`, and cr4_cpuid_sync_test and svm_vmcall_test
# (nested SVM) under `tdx-trace roles -j`, and compares what the tool
# reports with an independent count from tracefs.  Its TAP lines become
# this suite's.  private_mem_map_gpa_test is the 6.12 series' only.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh
lines=${LAB_LINES:-}
. lab/versions.sh
lines=${lines:-$LAB_LINES}

if [ ! -x lab/run.sh ]; then
	echo "# SKIP: lab/run.sh (the QEMU lab) is not available"
	tap_done
	exit 0
fi

res=$(lab_results_dir tdx-trace)
if ! make -s build/tdx-trace >"$res/make.log" 2>&1; then
	not_ok "build tdx-trace" "$(tail -20 "$res/make.log")"
	tap_done
	exit 1
fi

# The patched guest runs the job chrooted into the host root with the repo
# at its host path, so build/tdx-trace runs there with the host's libraries.
boot() { # LINE
	lab/run.sh --kernel "$1-patched" --timeout 2400 -q --results "$res/$1" -- \
		bash -c 'cd "$KVMSCOPE_REPO" &&
			TDX_TRACE=$KVMSCOPE_REPO/build/tdx-trace \
			SELFTESTS=$KVMSCOPE_SELFTESTS \
			WORK=$KVMSCOPE_RESULTS/tdx-trace \
			exec tests/lab/tdx-trace/guest.sh' 2>"$res/$1.err"
	echo $? >"$res/$1.rc"
}

report() { # LINE
	local l=$1 n=0 rc line
	rc=$(cat "$res/$l.rc")
	while IFS= read -r line; do
		case $line in
		"ok "*) n=$((n + 1)); ok "$l: ${line#ok * - }" ;;
		"not ok "*) n=$((n + 1)); not_ok "$l: ${line#not ok * - }" ;;
		"#   "*) echo "$line" ;;	# details of the failure above
		"# "*) echo "# $l: ${line#\# }" ;;
		esac
	done < <(tr -d '\r' <"$res/$l/output.log" 2>/dev/null)

	case $rc in
	0) [ "$n" -gt 0 ] || not_ok "$l: the lab job reported results" "$(cat "$res/$l.err")" ;;
	124) not_ok "$l: the lab job finished within its timeout" "$(tail -5 "$res/$l.err")" ;;
	125) not_ok "$l: the lab booted and ran the job" \
		"$(cat "$res/$l/summary.txt" 2>/dev/null; tail -5 "$res/$l.err")" ;;
	*) [ "$n" -gt 0 ] || not_ok "$l: the lab job reported results (exit $rc)" \
		"$(tail -20 "$res/$l/output.log" 2>/dev/null)" ;;
	esac
}

for l in $lines; do boot "$l" & done
wait
for l in $lines; do report "$l"; done
tap_done
