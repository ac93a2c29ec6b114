#!/usr/bin/env bash
# hvflush-top on the host kernel (no kvmscope series): the BPF handlers run
# through their raw_tp twins with BPF_PROG_TEST_RUN (tests/bpf/hvflush-top/
# driver.c, fake vCPUs in kernel memory) and the maps must hold what the
# events imply; then the tool itself: fallback mode, JSON, exit codes.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh
own_tracefs "$@"
. tests/bpf/fake_kmem.sh

# Not under build/tests: tests/run.sh runs everything there as cmocka.
out=build/tests-bpf
tool=build/hvflush-top
drv=$out/hvflush-driver
mkdir -p "$out"

build_driver() {
	build_fake_kmem "$out" &&
	make -s build/hvflush.skel.h build/libhvflush-top.a build/libkvmscope.a "$tool" &&
	cc -O2 -g -Wall -Wextra -Werror -Ibuild -I"$out" -Itools/lib \
		-Itools/hvflush-top -Ibpf -o "$drv" tests/bpf/hvflush-top/driver.c \
		build/libhvflush-top.a build/libkvmscope.a -lbpf -lelf -lz
}

if ! log=$(build_driver 2>&1); then
	not_ok "build hvflush-top and the BPF test-run driver" "$log"
	tap_done
	exit 1
fi
ok "build hvflush-top and the BPF test-run driver"

# J holds the driver's JSON; q FILTER queries it.
J=
run() {   # run "what" driver-args...: loads hvflush, runs the ops
	local what=$1; shift
	if J=$("$drv" "$@" 2>&1) && jq -e . >/dev/null 2>&1 <<<"$J"; then
		return 0
	fi
	not_ok "$what: driver" "$J"
	J='{}'
	return 1
}
q() { jq -r "$1" <<<"$J"; }
# Latency samples and the highest non-empty slot of a row selector.
samples() { q "[$1 | .slots[]] | add // 0"; }
slot_of() { q "$1 | .slots | to_entries | map(select(.value > 0)) | last | .key // -1"; }
row() { echo ".rows[] | select(.vm == \"${1%%/*}\" and .vcpu == ${1#*/} and .fifo == \"$2\")"; }

# --- one enqueue, then a drain 2 ms later: one sample of at least 2 ms ---
run "enqueue, drain" enq:3:L1:len=2 sleep:2000 deq:3:L1:2
r=$(row a/3 L1)
check_eq "enqueue+drain: one row" 1 "$(q '.rows | length')"
check_eq "enqueue+drain: one latency sample" 1 "$(samples "$r")"
s=$(slot_of "$r")
check "enqueue+drain: sample slot $s holds >= 2 ms (slot >= 20) and < 2 s" \
	test "$s" -ge 20 -a "$s" -lt 31
max=$(q "$r | .max_ns")
check "enqueue+drain: max_ns $max >= 2 ms and inside slot $s" \
	test "$max" -ge 2000000 -a "$max" -ge $((1 << s)) -a "$max" -lt $((1 << (s + 1)))
check_eq "enqueue+drain: sum_ns is the one sample" "$max" "$(q "$r | .sum_ns")"
check_eq "enqueue+drain: nothing pending" "0 0" "$(q "$r | \"\(.pending) \(.oldest_ns)\"")"
check_eq "enqueue+drain: row counts" "1 1 0 2" \
	"$(q "$r | \"\(.enqueues) \(.drains) \(.purges) \(.fifo_len)\"")"
check_eq "enqueue+drain: global counters" "1 1 0" \
	"$(q '.counters | "\(.enqueues) \(.drains) \(.empty_dequeues)"')"
check_eq "enqueue+drain: VM identity from struct kvm" "4242 kvm-4242" \
	"$(q "$r | \"\(.pid) \(.stats_id)\"")"

# --- longer waits land in higher slots ---
run "short wait" enq:1:L1 sleep:100 deq:1:L1:1 && short=$(slot_of "$(row a/1 L1)")
run "long wait" enq:1:L1 sleep:20000 deq:1:L1:1 && long=$(slot_of "$(row a/1 L1)")
check "slots grow with the wait: 100 us -> slot ${short:-?}, 20 ms -> slot ${long:-?}" \
	test "${short:-99}" -ge 16 -a "${long:-0}" -ge 24 -a "${short:-99}" -lt "${long:-0}"

# --- two enqueues, one drain: one sample, measured from the oldest ---
run "two enqueues" enq:2:L1 sleep:5000 enq:2:L1 deq:2:L1:2
r=$(row a/2 L1)
check_eq "two enqueues, one drain: one sample" 1 "$(samples "$r")"
max=$(q "$r | .max_ns")
check "two enqueues, one drain: measured from the first (max_ns $max >= 5 ms)" \
	test "$max" -ge 5000000
check_eq "two enqueues, one drain: 2 enqueues, 1 drain, none pending" "2 1 0" \
	"$(q "$r | \"\(.enqueues) \(.drains) \(.pending)\"")"

# --- drains of an empty FIFO (nested transitions) are not latencies ---
run "empty drain" deq:4:L1:0 deq:4:L2:0
check_eq "empty drains: no row, counted as empty" "0 2 0" \
	"$(q '"\(.rows | length) \(.counters.empty_dequeues) \(.counters.drains)"')"
run "empty drain after a drain" enq:4:L1 deq:4:L1:1 deq:4:L1:0 deq:4:L1:0
r=$(row a/4 L1)
check_eq "empty drains after a drain: still one sample, one drain" "1 1 2" \
	"$(echo "$(samples "$r") $(q "$r | .drains") $(q .counters.empty_dequeues)")"

# --- a wait pending at an empty dequeue ends there (the entries were
# taken by a drain that ran before the enqueue was traced) ---
run "pending at an empty dequeue" enq:4:L2 deq:4:L2:0
r=$(row a/4 L2)
check_eq "pending at an empty dequeue: 1 sample, 0 drains, 1 empty, none pending" "1 0 1 0" \
	"$(echo "$(samples "$r") $(q "$r | .drains") $(q .counters.empty_dequeues) $(q "$r | .pending")")"

# --- a purge ends the wait like a drain ---
run "purge" enq:5:L2 sleep:1000 deq:5:L2:1:purge deq:5:L2:0:purge
r=$(row a/5 L2)
check_eq "purge: 1 purge, 0 drains, 1 sample, none pending" "1 0 1 0" \
	"$(echo "$(q "$r | \"\(.purges) \(.drains)\"") $(samples "$r") $(q "$r | .pending")")"
check_eq "purge: counters (purges, empty)" "1 1" \
	"$(q '.counters | "\(.purges) \(.empty_dequeues)"')"

# --- overflow and flush-all entries ---
run "overflow" enq:6:L1:overflow:len=16 enq:6:L1:flushall enq:6:L1 deq:6:L1:16:flushall
r=$(row a/6 L1)
check_eq "overflow: row overflows, flush_all, full_flushes" "1 2 1" \
	"$(q "$r | \"\(.overflows) \(.flush_all) \(.full_flushes)\"")"
check_eq "overflow: global overflows" 1 "$(q .counters.overflows)"

# --- the L1 and L2 FIFOs of a vCPU are separate rows ---
run "L1 and L2" enq:7:L1 enq:7:L2 sleep:1000 deq:7:L2:1
l1=$(row a/7 L1) l2=$(row a/7 L2)
check_eq "L1/L2: two rows" 2 "$(q '.rows | length')"
check_eq "L1/L2: the L2 drain ended the L2 wait only" "1 0 0" \
	"$(echo "$(samples "$l2") $(q "$l2 | .pending") $(samples "$l1")")"
check_eq "L1/L2: L1 still pending" "1 true" \
	"$(q "$l1 | \"\(.pending) \(.oldest_ns > 0)\"")"

# --- VMs are told apart; -p filters in the kernel ---
run "two VMs" enq:a1:L1 enq:b1:L1
check_eq "two VMs: two rows with their VMM pids" "4242 4343" \
	"$(q '[.rows[].pid] | sort | map(tostring) | join(" ")')"
run "targ_pid" --targ-pid 4343 enq:a1:L1 enq:b1:L1 hc:L1 synth:a1
check_eq "targ_pid 4343: only VM b counted (rows, enqueues)" "4343 1" \
	"$(q '"\([.rows[].pid] | map(tostring) | join(" ")) \(.counters.enqueues)"')"
check_eq "targ_pid 4343: hypercalls of other processes and VM a's vmexit ignored" "0 0" \
	"$(q '.counters | "\(.hypercalls_l1) \(.synthetic_vmexits)"')"

# --- a full rows map loses events, and says so ---
run "map full" --max-rows 3 enq:0:L1 enq:0:L2 enq:1:L1 enq:1:L2 deq:1:L2:1
check_eq "map full: 3 rows, 2 lost (enqueue and drain), 4 enqueues counted" "3 2 4" \
	"$(q '"\(.rows | length) \(.counters.lost) \(.counters.enqueues)"')"

# --- rows of exited VMMs: shown once more with their final counts, then
# deleted so dead VMs do not fill the map (collect.c, as the tool reads) ---
dead=$(sh -c 'echo $$')	# a reaped process
run "exited VMM" --pids "$$,$dead" enq:a1:L1 enq:b1:L1 enq:b1:L1 enq:b2:L2 collect
want=$(printf '%s\n' "$$ 1 L1 1 false" "$dead 1 L1 2 true" "$dead 2 L2 1 true" |
	LC_ALL=C sort | paste -sd'|')
check_eq "exited VMM: collected rows (pid vcpu fifo enqueues exited)" "$want" \
	"$(q '[.collected[] | "\(.pid) \(.vcpu) \(.fifo) \(.enqueues) \(.exited)"] | sort | join("|")')"
check_eq "exited VMM: its rows are deleted from the map, the live one stays" "$$" \
	"$(q '[.rows[].pid | tostring] | join(" ")')"

# --- hypercalls, synthetic vmexits, NULL vCPU ---
run "hypercalls" hc:L1 hc:L2 hc:L2:ex hc:L1:ex hc:L1 synth:3 synth:3 enq:null:L1 deq:null:L1:1
check_eq "hypercalls: L1 3, L2 2 (both _ex and plain)" "3 2" \
	"$(q '.counters | "\(.hypercalls_l1) \(.hypercalls_l2)"')"
check_eq "synthetic vmexits counted" 2 "$(q .counters.synthetic_vmexits)"
check_eq "NULL vCPU ignored" "0 0 0" \
	"$(q '"\(.counters.enqueues) \(.counters.drains) \(.rows | length)"')"

# --- max_gen restarts the maximum ('r' key) ---
run "max generation" enq:3:L1 sleep:5000 deq:3:L1:1 gen:1 enq:3:L1 deq:3:L1:1
r=$(row a/3 L1)
check "max generation: new max < 5 ms after the reset" \
	test "$(q "$r | .max_ns")" -lt 5000000 -a "$(q "$r | .max_gen")" -eq 1
check_eq "max generation: both samples kept in the histogram" 2 "$(samples "$r")"

# --- the tool on this kernel: fallback mode ---
json=$("$tool" -b -j -d 1 1 2>/dev/null); rc=$?
check_eq "hvflush-top -b -j -d 1 1: exit 0" 0 "$rc"
check_eq "hvflush-top -j: one JSON line" 1 "$(printf '%s\n' "$json" | jq -c . 2>/dev/null | wc -l)"
check_eq "hvflush-top -j: mode fallback, note says latency needs the series" "fallback true" \
	"$(jq -r '"\(.mode) \(.note | test("needs the kvmscope"))"' <<<"$json" 2>&1)"
check_eq "hvflush-top -j: FIFO counters null, hypercall counters numbers, no rows" \
	"null number number 0" \
	"$(jq -r '"\(.totals.enqueues) \(.totals.hypercalls_l1 | type) \(.rates.hypercalls_l2 | type) \(.rows | length)"' <<<"$json" 2>&1)"
text=$("$tool" -b -d 1 2 2>&1); rc=$?
check_eq "hvflush-top -b -d 1 2: exit 0" 0 "$rc"
check_eq "hvflush-top -b: two snapshots" 2 "$(grep -c '^hvflush-top .* mode: fallback' <<<"$text")"
check "hvflush-top -b: the fallback line" \
	grep -q 'latency needs the kvmscope kernel series' <<<"$text"
check_eq "hvflush-top -b: column titles in each snapshot" 2 \
	"$(grep -c '^VM  *PID VCPU FIFO  *ENQ/s  *P50  *P99  *MAX  *PEND  *OVFL$' <<<"$text")"
check "hvflush-top -b: no terminal control codes" \
	bash -c '! grep -q "[[:cntrl:]]" <<<"$1"' _ "$(tr -d '\n' <<<"$text")"
json=$("$tool" -j -p $$ 1 1 2>/dev/null)
check_eq "hvflush-top -p PID: filter in the JSON" "$$" "$(jq -r .filter.pid <<<"$json" 2>&1)"

# --- without privileges: a clear error, exit 1 ---
msg=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$tool" -b 1 1 2>&1); rc=$?
check_eq "unprivileged: exit 1" 1 "$rc"
check "unprivileged: says root is needed" grep -q 'not root: tracefs and BPF tracing need root' <<<"$msg"

# --- SIGTERM ends a run cleanly ---
"$tool" -b -d 1 >"$out/sigterm.out" 2>&1 &
pid=$!
sleep 1.5
kill -TERM "$pid"
wait "$pid"; rc=$?
check_eq "SIGTERM: exit 0 after printing a snapshot" "0 1" \
	"$rc $(grep -c '^hvflush-top ' "$out/sigterm.out")"

# --- bad input: exit 2 with a message ---
bad() {   # bad "what" args...
	local what=$1 msg rc; shift
	msg=$("$tool" "$@" 2>&1 >/dev/null); rc=$?
	if [ "$rc" -eq 2 ] && [ -n "$msg" ]; then ok "bad input exits 2: $what"
	else not_ok "bad input exits 2: $what" "rc $rc: $msg"; fi
}
bad "interval 0" -d 0
bad "positional interval 0" 0
bad "count 0" 1 0
bad "not a number" -d 1s
bad "unknown option" --frobnicate
bad "nonexistent PID" -p 2147483646
bad "PID not a number" -p abc
bad "unknown sort key" -s latency
bad "too many arguments" 1 2 3
bad "interval twice" -d 1 2 3
bad "batch count twice" -b2 1 3
help=$("$tool" --help 2>&1); rc=$?
check_eq "--help exits 0" 0 "$rc"
check "--help has examples and keys" grep -q 'EXAMPLES' <<<"$help"

tap_done
