#!/usr/bin/env bash
# hvflush-top against ground truth in the lab (patched kernel, nested SVM):
# the Hyper-V TLB flush selftests run under "hvflush-top -j" while tracefs
# records the same events (tests/lab/hvflush-top/guest.sh, in the guest);
# here the per-(vCPU, FIFO) enqueue, drain, purge and latency-sample counts
# of both must agree, every enqueue must end in a drain or purge, and L2
# rows must come from the L2 test only.
#
# The guest is started with lab/run.sh, expected to boot the patched lab
# kernel, run the command after "--" inside it with this repository at the
# same path, relay its output and exit with its status.  KVMSCOPE_LAB_RUN
# replaces that command line (e.g. to run guest.sh directly on a patched
# machine: KVMSCOPE_LAB_RUN=env).
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh

lab_run=${KVMSCOPE_LAB_RUN:-lab/run.sh --}
out=build/tests-lab/hvflush-top
mkdir -p "$out"

if [ -z "${KVMSCOPE_LAB_RUN:-}" ] && [ ! -x lab/run.sh ]; then
	ok "hvflush-top lab ground truth # SKIP lab/run.sh does not exist yet"
	tap_done
	exit 0
fi

# Serial consoles end lines with \r; keep only the guest script's lines.
$lab_run "$PWD/tests/lab/hvflush-top/guest.sh" 2>&1 | tee "$out/guest.log" |
	tr -d '\r' | grep '^HVF ' >"$out/hvf.txt"
check "the lab ran guest.sh" test -s "$out/hvf.txt"

field() { awk -v t="$1" -v k="$2" '$2 == t && $3 == k' "$out/hvf.txt"; }

# Final row of each (pid, vCPU, FIFO): its last snapshot, taken after the
# selftest exited.  One line per row: vcpu fifo enq drains purges samples
# pending, like guest.sh's trace lines.
tool_rows() {
	field "$1" json | cut -d' ' -f4- | jq -s -r '
		[to_entries[] | .key as $i | .value.rows[] | . + {snap: $i}]
		| group_by([.pid, .vcpu, .fifo]) | map(max_by(.snap))[]
		| "\(.vcpu) \(.fifo) \(.enqueues) \(.drains) \(.purges) \(.latency_ns.count) \(.pending) \(.exited)"'
}
last_json() { field "$1" json | tail -n 1 | cut -d' ' -f4-; }

for t in hyperv_tlb_flush hyperv_svm_test; do
	if field "$t" missing | grep -q .; then
		not_ok "$t: selftest present in the guest" "$(field "$t" missing)"
		continue
	fi
	read -r _ _ _ rc toolrc overrun < <(field "$t" run)
	check_eq "$t: selftest passed" 0 "${rc:-none}"
	check_eq "$t: hvflush-top ended cleanly on SIGINT" 0 "${toolrc:-none}"
	check_eq "$t: tracefs lost nothing (overrun)" 0 "${overrun:-none}"
	last=$(last_json "$t")
	check_eq "$t: hvflush-top in series mode, nothing lost" "series 0" \
		"$(jq -r '"\(.mode) \(.totals.lost)"' <<<"$last" 2>&1)"

	rows=$(tool_rows "$t")
	tool=$(awk '{ print $1, $2, $3, $4, $5, $6, $7 }' <<<"$rows" | sort)
	trace=$(field "$t" trace | awk '$4 == "fifo" { print $5, $6, $7, $8, $9, $10, $11 }' | sort)
	check "$t: flushes were queued" test -n "$trace"
	check_eq "$t: per (vCPU, FIFO) enqueues, drains, purges, latency samples, pending: hvflush-top = tracefs" \
		"$trace" "$tool"
	check_eq "$t: every enqueue ended in a drain or purge (pending at the end)" "" \
		"$(awk '$7 != 0' <<<"$tool")"
	check_eq "$t: the final rows are marked exited" "" \
		"$(awk '$8 != "true"' <<<"$rows")"
	read -r _ _ _ _ hc1 hc2 < <(field "$t" trace | awk '$4 == "hypercalls"')
	check_eq "$t: flush hypercalls L1 L2: hvflush-top = tracefs" "${hc1:-?} ${hc2:-?}" \
		"$(jq -r '"\(.totals.hypercalls_l1) \(.totals.hypercalls_l2)"' <<<"$last" 2>&1)"

	l2=$(awk '$2 == "L2"' <<<"$tool" | wc -l)
	vcpus=$(awk '{ print $1 }' <<<"$tool" | sort -u | wc -l)
	case $t in
	hyperv_tlb_flush)
		check_eq "$t: no L2 rows" 0 "$l2"
		check "$t: several target vCPUs ($vcpus)" test "$vcpus" -ge 2 ;;
	hyperv_svm_test)
		check "$t: L2 FIFO rows ($l2)" test "$l2" -ge 1 ;;
	esac
done

tap_done
