#!/bin/sh
# Inside the lab guest (patched kernel): run each Hyper-V TLB flush selftest
# under "hvflush-top -j" while tracefs records the same events, and print
# what both saw as lines starting with "HVF <test> "; the host side
# (tests/lab/50-hvflush-top.sh) compares them.  POSIX sh and awk only: the
# guest may be a busybox initramfs.
#
# usage: guest.sh [-s SELFTESTS_DIR] [TEST...]
#   The selftests are looked for in SELFTESTS_DIR, $KVMSCOPE_SELFTESTS (set
#   by lab/run.sh), as x86/<test> (lab/build-selftests.sh's layout) or
#   <test>, then in PATH.  TESTs default to hyperv_tlb_flush (L1, several
#   vCPUs) and hyperv_svm_test (L2).  Scratch files go to
#   $KVMSCOPE_RESULTS: the lab's root file system is read-only.
#
# hvflush-top runs with --keep-exited $keep and is stopped with SIGINT once
# the selftest's rows, marked exited, have come and gone again, so its
# last line is the final snapshot (type "final") with every row of the run.
#
# Lines printed per test:
#   HVF <test> run <selftest rc> <hvflush-top rc> <tracefs overrun> <keep>
#   HVF <test> trace fifo <vcpu> <L1|L2> <enqueues> <drains> <purges> <waits> <pending>
#   HVF <test> trace totals <hypercalls L1> <L2> <empty dequeues> <synthetic vmexits>
#   HVF <test> json <one hvflush-top -j line>
set -u

root=$(cd "$(dirname "$0")/../../.." && pwd)
tool=$root/build/hvflush-top
dirs=${KVMSCOPE_SELFTESTS:-}
if [ "${1:-}" = -s ]; then
	dirs="${2:?usage: guest.sh [-s SELFTESTS_DIR] [TEST...]} $dirs"
	shift 2
fi
[ $# -gt 0 ] || set -- hyperv_tlb_flush hyperv_svm_test hyperv_tlb_flush_overflow
T=/sys/kernel/tracing
work=${KVMSCOPE_RESULTS:-${TMPDIR:-/tmp}}/hvflush-top
# The series' FIFO events, named after kvm_hv_flush_tlb; the synthetic
# exit is kvm_nested_vmexit_inject's (SVM's ENL exit, exit_info1
# TRAP_AFTER_FLUSH).
[ -d "$T/events" ] || mount -t tracefs nodev "$T" || exit 1
enq=kvm_hv_flush_tlb_enqueue deq=kvm_hv_flush_tlb_dequeue synth=kvm_nested_vmexit_inject
events="$enq $deq $synth kvm_hv_flush_tlb kvm_hv_flush_tlb_ex"
# Snapshots an exited VM's rows stay in: not the default, so the option
# is what the host side checks.
keep=2

mkdir -p "$work"

set_events() {   # set_events 0|1
	for e in $events; do
		echo "$1" >"$T/events/kvm/$e/enable" || exit 1
	done
}

# Count the events per (vCPU, FIFO) as hvflush.bpf.c does: drains and
# purges that removed entries, and the waits (from the first enqueue while
# none is pending to the next dequeue of that FIFO, empty or not).
count_trace() {
	awk -v t="$1" -v ev_enq="$enq:" -v ev_deq="$deq:" -v ev_synth="$synth:" '
	function at(name,   i) {
		for (i = 1; i <= NF; i++)
			if ($i == name)
				return i
		return 0
	}
	(i = at(ev_enq)) {
		k = $(i + 2) " " $(i + 3)
		seen[k] = 1; enq[k]++; pend[k]++
		# A request for ranges that became a flush-all entry (or none).
		if (at("flush_all") && $(i + 5) > 0) novf++
		next
	}
	(i = at(ev_deq)) {
		k = $(i + 2) " " $(i + 3)
		if ($(i + 5) == 0) empty++
		else if ($(i + 4) == "purged") pur[k]++
		else dr[k]++
		if (pend[k]) waits[k]++
		if ($(i + 5) > 0) seen[k] = 1
		pend[k] = 0
		next
	}
	at(ev_synth) {
		if (/f0000000/ && / ext_inf1: 0x0*1 /) nsynth++
		next
	}
	at("kvm_hv_flush_tlb:") || at("kvm_hv_flush_tlb_ex:") {
		if ($NF == "(L2)") l2++; else l1++
	}
	END {
		for (k in seen)
			printf "HVF %s trace fifo %s %d %d %d %d %d\n", t, k,
				enq[k], dr[k], pur[k], waits[k], pend[k]
		printf "HVF %s trace totals %d %d %d %d %d\n", t, l1, l2, empty, nsynth, novf
	}' "$T/trace"
}

lines() { wc -l <"$1" | tr -d ' '; }

# wait_lines FILE N PID: until FILE has N lines, hvflush-top (PID) is
# gone, or 60 s passed.
wait_lines() {
	i=0
	while [ "$(lines "$1")" -lt "$2" ] && [ $i -lt 600 ] &&
	      kill -0 "$3" 2>/dev/null; do
		sleep 0.1; i=$((i + 1))
	done
}

find_selftest() {
	for d in $dirs; do
		for f in "$d/x86/$1" "$d/$1"; do
			[ -x "$f" ] && echo "$f" && return
		done
	done
	command -v "$1"
}

for t in "$@"; do
	if ! bin=$(find_selftest "$t"); then
		echo "HVF $t missing (looked in $dirs and PATH)"
		continue
	fi

	echo 0 >"$T/tracing_on"
	# Events of different CPUs in the order hvflush.bpf.c sees them, as
	# far as a clock can tell.
	echo global >"$T/trace_clock"
	echo 16384 >"$T/buffer_size_kb"
	: >"$T/trace"
	set_events 1

	"$tool" -j -d 1 --keep-exited $keep >"$work/$t.json" 2>"$work/$t.err" &
	pid=$!
	# Attached once the first snapshot is out.
	i=0
	while [ ! -s "$work/$t.json" ] && [ $i -lt 100 ] && kill -0 $pid 2>/dev/null; do
		sleep 0.1; i=$((i + 1))
	done

	echo 1 >"$T/tracing_on"
	"$bin" >"$work/$t.out" 2>&1
	rc=$?
	echo 0 >"$T/tracing_on"
	# The selftest is reaped, so the next snapshot to read the maps finds
	# it gone: line n + 1 if it had not read them yet, else n + 2.  Its
	# rows stay, marked exited, in that one and the keep - 1 after it; by
	# line n + keep + 2 they are gone.  Then SIGINT: the final snapshot
	# has them again.
	n=$(lines "$work/$t.json")
	wait_lines "$work/$t.json" $((n + keep + 2)) $pid
	kill -INT $pid
	wait $pid
	toolrc=$?
	set_events 0

	overrun=$(awk '/^overrun:/ { s += $2 } END { print s + 0 }' "$T"/per_cpu/cpu*/stats)
	echo "HVF $t run $rc $toolrc $overrun $keep"
	[ "$rc" -eq 0 ] || sed "s/^/HVF $t selftest: /" "$work/$t.out" | tail -n 20
	[ "$toolrc" -eq 0 ] || sed "s/^/HVF $t hvflush-top: /" "$work/$t.err"
	count_trace "$t"
	sed "s/^/HVF $t json /" "$work/$t.json"
done
