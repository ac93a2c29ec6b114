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
		-Itools/probe -Itools/hvflush-top -Ibpf -o "$drv" tests/bpf/hvflush-top/driver.c \
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
# KVM names the VM after the thread that created it (4242 here); the row's
# VMM is the process its events ran in, this driver.
check_eq "enqueue+drain: VMM is the events' process, VM named by struct kvm" \
	"$(q '.vmms[0]') kvm-4242" "$(q "$r | \"\(.pid) \(.stats_id)\"")"
check "enqueue+drain: the VMM is not the thread that created the VM" \
	test "$(q '.vmms[0]')" != 4242

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

# --- overflows and flush-all entries: what went in, not what was asked;
# one more request on a full FIFO (nothing inserted) is still a wait to
# measure ---
run "overflow" enq:6:L1:req=3:ins=3:len=3 enq:6:L1:req=20:ins=1:flushall:len=4 \
	enq:6:L1:req=0:ins=1:flushall:len=5 enq:6:L1:req=2:ins=0:flushall:len=16 \
	sleep:1000 deq:6:L1:16:flushall deq:6:L2:0:purge
r=$(row a/6 L1)
check_eq "overflow: enqueues, overflows (ranges asked, flush all queued), flush_all, fifo_len" \
	"4 2 3 16" "$(q "$r | \"\(.enqueues) \(.overflows) \(.flush_all) \(.fifo_len)\"")"
check_eq "overflow: one drain, one full flush, one sample, none pending" "1 1 1 0" \
	"$(echo "$(q "$r | \"\(.drains) \(.full_flushes)\"") $(samples "$r") $(q "$r | .pending")")"
check_eq "overflow: global overflows, the empty L2 purge counted as empty" "2 1" \
	"$(q '.counters | "\(.overflows) \(.empty_dequeues)"')"

# --- the synthetic exit after an L2 flush, as kvm_nested_vmexit_inject
# shows it: SVM's ENL exit with TRAP_AFTER_FLUSH, VMX's synthetic reason ---
run "synthetic exits" inject:svm:0xf0000000:1 inject:vmx:0x10000031 \
	inject:svm:0xf0000000:2 inject:svm:0x7b inject:vmx:0xf0000000:1
check_eq "synthetic exits: SVM and VMX trap-after-flush only" 2 "$(q .counters.synthetic_vmexits)"

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
check_eq "two VMs: two rows with their VMM pids" "$(q '.vmms | sort | join(" ")')" \
	"$(q '[.rows[].pid] | sort | map(tostring) | join(" ")')"
run "targ_pid" --targ-pid self enq:a1:L1 enq:b1:L1 hc:L1 b@hc:L1 b@inject:vmx:0x10000031
check_eq "targ_pid (VMM a): only VM a counted (rows, enqueues)" "$(q '.vmms[0]') 1" \
	"$(q '"\([.rows[].pid] | map(tostring) | join(" ")) \(.counters.enqueues)"')"
check_eq "targ_pid (VMM a): hypercalls and synthetic exits of VMM b ignored" "1 0" \
	"$(q '.counters | "\(.hypercalls_l1) \(.synthetic_vmexits)"')"

# --- a VMM's exit ends the waits of its VMs: counted, never measured, and
# a VM of a new process at the same struct kvm address starts afresh ---
run "VMM exit" enq:a1:L1 enq:b1:L1 sleep:20000 exit:b enq:b1:L1 deq:b1:L1:1
old=".rows[] | select(.vm == \"b\" and .pid == $(q '.vmms[1]'))"
new=".rows[] | select(.vm == \"b\" and .pid == $(q '.vmms[2]'))"
check_eq "VMM exit: its row stays, its wait cleared, unmeasured (enqueues pending oldest samples)" \
	"1 0 0 0" "$(echo "$(q "$old | \"\(.enqueues) \(.pending) \(.oldest_ns)\"") $(samples "$old")")"
check_eq "VMM exit: the wait counted as abandoned" 1 "$(q .counters.abandoned)"
check_eq "VMM exit: the other VMM's wait still open" "1 true" \
	"$(q "$(row a/1 L1) | \"\(.pending) \(.oldest_ns > 0)\"")"
check_eq "VMM exit: the new VMM's VM (same address) has a row of its own, one sample" \
	"1 1 1" "$(echo "$(q "$new | \"\(.enqueues) \(.drains)\"") $(samples "$new")")"
max=$(q "$new | .max_ns")
check "VMM exit: the new VM's wait is its own, not since the old one's (max_ns $max < 20 ms)" \
	test "${max:-20000000}" -lt 20000000

# --- a full rows map loses events, and says so ---
run "map full" --max-rows 3 enq:0:L1 enq:0:L2 enq:1:L1 enq:1:L2 deq:1:L2:1
check_eq "map full: 3 rows, 2 lost (enqueue and drain), 4 enqueues counted" "3 2 4" \
	"$(q '"\(.rows | length) \(.counters.lost) \(.counters.enqueues)"')"

# --- rows of exited VMMs: returned once more with their final counts (the
# tool's model keeps them from there), and deleted at once so dead VMs do
# not fill the map (hv_read_rows(), as the tool reads) ---
run "exited VMM" enq:a1:L1 enq:b1:L1 enq:b1:L1 enq:b2:L2 exit:b collect
live=$(q '.vmms[0]') dead=$(q '.vmms[1]')
want=$(printf '%s\n' "$live 1 L1 1 false" "$dead 1 L1 2 true" "$dead 2 L2 1 true" |
	LC_ALL=C sort | paste -sd'|')
check_eq "exited VMM: collected rows (pid vcpu fifo enqueues exited)" "$want" \
	"$(q '[.collected[] | "\(.pid) \(.vcpu) \(.fifo) \(.enqueues) \(.exited)"] | sort | join("|")')"
check_eq "exited VMM: its rows are deleted from the map, the live one stays" "$live" \
	"$(q '[.rows[].pid | tostring] | join(" ")')"

# --- hypercalls, NULL vCPU ---
run "hypercalls" hc:L1 hc:L2 hc:L2:ex hc:L1:ex hc:L1 enq:null:L1 deq:null:L1:1
check_eq "hypercalls: L1 3, L2 2 (both _ex and plain)" "3 2" \
	"$(q '.counters | "\(.hypercalls_l1) \(.hypercalls_l2)"')"
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
check_eq "hvflush-top -j 1 1: the one snapshot is the final one, nothing dropped" "final 0" \
	"$(jq -r '"\(.type) \(.exited_rows_dropped)"' <<<"$json" 2>&1)"
# The JSON convention of every kvmscope tool: a "type" on every line, and
# "time" as epoch seconds with a fraction (tdx-trace's), not whole seconds.
check_eq "hvflush-top -j: time is epoch seconds with a fraction, as in tdx-trace" "number true" \
	"$(jq -r '"\(.time | type) \(.time > 1600000000 and .time != (.time | floor))"' <<<"$json" 2>&1)"
check_eq "hvflush-top -j: time is the wall clock" true \
	"$(jq -r --argjson now "$(date +%s)" '.time > $now - 60 and .time < $now + 60' <<<"$json" 2>&1)"
check_eq "hvflush-top -j: mode fallback, note says latency needs the series" "fallback true" \
	"$(jq -r '"\(.mode) \(.note | test("needs the kvmscope"))"' <<<"$json" 2>&1)"
check_eq "hvflush-top -j: FIFO counters null, hypercall counters numbers, no rows" \
	"null number number 0" \
	"$(jq -r '"\(.totals.enqueues) \(.totals.hypercalls_l1 | type) \(.rates.hypercalls_l2 | type) \(.rows | length)"' <<<"$json" 2>&1)"
json=$("$tool" -j -d 1 --keep-exited 1 2 2>/dev/null); rc=$?
check_eq "hvflush-top -j -d 1 --keep-exited 1 2: exit 0, an interval then the final snapshot" \
	"0 interval final" "$rc $(jq -r .type <<<"$json" 2>&1 | paste -sd' ')"
text=$("$tool" -b -d 1 2 2>&1); rc=$?
check_eq "hvflush-top -b -d 1 2: exit 0" 0 "$rc"
check_eq "hvflush-top -b: two snapshots" 2 "$(grep -c '^hvflush-top .* mode: fallback' <<<"$text")"
check_eq "hvflush-top -b: the second and last says final (whole run)" \
	"2:final (whole run)" \
	"$(grep '^hvflush-top ' <<<"$text" | grep -n -o 'final (whole run)' | paste -sd' ')"
check "hvflush-top -b: the fallback line" \
	grep -q 'latency needs the kvmscope kernel series' <<<"$text"
check_eq "hvflush-top -b: column titles in each snapshot" 2 \
	"$(grep -c '^VM  *PID VCPU FIFO  *ENQ/s  *P50  *P99  *MAX  *PEND  *OVFL$' <<<"$text")"
check "hvflush-top -b: no terminal control codes" \
	bash -c '! grep -q "[[:cntrl:]]" <<<"$1"' _ "$(tr -d '\n' <<<"$text")"
check "hvflush-top -b: no exited rows dropped, so the header does not say so" \
	bash -c '! grep -q "dropped" <<<"$1"' _ "$text"
# Fractions of a second, and top's -n COUNT: three snapshots in about a
# second, the time between them measured by the tool itself.
json=$("$tool" -b -j -n 3 0.4 2>/dev/null); rc=$?
check_eq "hvflush-top -b -j -n 3 0.4: exit 0, two intervals and the final" \
	"0 interval interval final" "$rc $(jq -r .type <<<"$json" 2>&1 | paste -sd' ')"
# Whole seconds would make each at least 1 s; a busy machine may stretch one.
check_eq "hvflush-top 0.4: the intervals are fractions of a second" "true true" \
	"$(jq -r 'select(.type == "interval") | .interval_s > 0.2 and .interval_s < 0.9' <<<"$json" 2>&1 | paste -sd' ')"
msg=$("$tool" -b 5 2>&1 >/dev/null); rc=$?
check_eq "hvflush-top -b 5: refused (exit 2), not an interval of 5 s forever" 2 "$rc"
check "hvflush-top -b 5: says how to write either" \
	grep -qF "write '-b -n 5' for 5 snapshots or '-b -d 5'" <<<"$msg"
json=$("$tool" -j -p $$ 1 1 2>/dev/null)
check_eq "hvflush-top -p PID: filter in the JSON" "$$" "$(jq -r .filter.pid <<<"$json" 2>&1)"

# stop_tool SIGNAL PID: signal the tool, which must exit within 10 s;
# sets rc to its exit code (not in $(...): only this shell can wait for
# it).  Background jobs start with SIGINT ignored, which the tool's handler
# replaces once it is installed.
stop_tool() {
	local i
	kill -"$1" "$2"
	for i in $(seq 100); do
		kill -0 "$2" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$2" 2>/dev/null && kill -KILL "$2"
	wait "$2"
	rc=$?
}
# wait_lines FILE N PID: until FILE has N lines (30 s at most).
wait_lines() {
	local i
	for i in $(seq 300); do
		[ "$(wc -l <"$1")" -ge "$2" ] && return 0
		kill -0 "$3" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
# wait_bpf_links PID: until the tool has attached its programs (its signal
# handlers are installed before), 30 s at most.
wait_bpf_links() {
	local i
	for i in $(seq 300); do
		ls -l "/proc/$1/fd" 2>/dev/null | grep -q 'anon_inode:bpf_link' && return 0
		sleep 0.1
	done
	return 1
}

# The runs below are waited for by what they wrote: into a directory made
# afresh, or a file an earlier run left would satisfy the wait before the
# tool has even started (and its signal handlers with it).
run=$out/signals
rm -rf "$run"
mkdir -p "$run"

# --- SIGINT ends a -j run with a final snapshot, also before the first ---
"$tool" -j 10 >"$run/sigint-early.json" 2>"$run/sigint-early.err" &
pid=$!
check "SIGINT before the first snapshot: the tool attached" wait_bpf_links "$pid"
stop_tool INT "$pid"
check_eq "SIGINT before the first snapshot of -j 10: exit 0, one line, type final" \
	"0 final" "$rc $(jq -r .type "$run/sigint-early.json" 2>&1 | paste -sd' ')"
"$tool" -j -d 1 >"$run/sigint.json" 2>"$run/sigint.err" &
pid=$!
check "SIGINT after snapshots: the tool printed two" wait_lines "$run/sigint.json" 2 "$pid"
stop_tool INT "$pid"
types=$(jq -r .type "$run/sigint.json" 2>&1 | uniq | paste -sd' ')
check_eq "SIGINT after snapshots of -j -d 1: exit 0, intervals then one final line" \
	"0 interval final" "$rc $types"
check "SIGINT after snapshots of -j -d 1: at least two interval lines" \
	test "$(grep -c '"type":"interval"' "$run/sigint.json")" -ge 2
check_eq "SIGINT: the final line is a complete snapshot" "fallback 0 number" \
	"$(tail -n 1 "$run/sigint.json" | jq -r '"\(.mode) \(.rows | length) \(.totals.hypercalls_l1 | type)"' 2>&1)"

# --- without privileges: a clear error, exit 1 ---
msg=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$tool" -b 1 1 2>&1); rc=$?
check_eq "unprivileged: exit 1" 1 "$rc"
check "unprivileged: says root is needed" grep -q 'not root: tracefs and BPF tracing need root' <<<"$msg"

# --- SIGTERM ends a run cleanly, with the final snapshot ---
"$tool" -b -d 1 >"$run/sigterm.out" 2>&1 &
pid=$!
check "SIGTERM: the tool printed a snapshot" wait_lines "$run/sigterm.out" 1 "$pid"
stop_tool TERM "$pid"
last=$(grep '^hvflush-top ' "$run/sigterm.out" | tail -n 1)
check_eq "SIGTERM: exit 0, the last of its snapshots (and only it) final" "0 1 final" \
	"$rc $(grep -c 'final (whole run)' "$run/sigterm.out") $(grep -o final <<<"$last")"

# --- -c -L: kvm_stat's CSV log; SIGHUP reopens it (logrotate), not ends ---
log=$run/hv.csv
"$tool" -c -L "$log" 0.2 >"$run/log.out" 2>"$run/log.err" &
pid=$!
check "-c -L: column titles and a snapshot in the file" wait_lines "$log" 2 "$pid"
mv "$log" "$log.1"
kill -HUP "$pid"
check "-c -L: SIGHUP, the file moved away: a new file, titles and a line" \
	bash -c 'until [ -f "$1" ] && [ "$(wc -l <"$1")" -ge 2 ]; do kill -0 "$2" || exit 1; sleep 0.1; done' _ "$log" "$pid"
stop_tool INT "$pid"
check_eq "-c -L: SIGINT ends the run, exit 0, nothing on stdout or stderr" "0 0 " \
	"$rc $(wc -c <"$run/log.out") $(grep -v '^mode:' "$run/log.err")"
hdr="time,type,interval_s,hypercalls_l1,hypercalls_l1_per_s,"
check_eq "-c: both files start with the column titles, once" "1 1 1 1" \
	"$(head -n1 "$log.1" | grep -c "^$hdr") $(grep -c '^time,' "$log.1") $(head -n1 "$log" | grep -c "^$hdr") $(grep -c '^time,' "$log")"
check_eq "-c: the old file has interval lines only, the new one ends final" "interval final" \
	"$(tail -n +2 "$log.1" | cut -d, -f2 | sort -u | paste -sd' ') $(tail -n1 "$log" | cut -d, -f2)"
check_eq "-c: every line has as many fields as the titles" 1 \
	"$(cat "$log.1" "$log" | awk -F, '{ print NF }' | sort -u | wc -l)"
check_eq "-c: fallback: FIFO counters empty, hypercall counters numbers" "  yes" \
	"$(tail -n1 "$log" | awk -F, -v h="$(head -n1 "$log")" 'BEGIN { n = split(h, t, ",") } { for (i = 1; i <= n; i++) f[t[i]] = $i; print f["enqueues"], f["enqueues_per_s"], (f["hypercalls_l1"] ~ /^[0-9]+$/ ? "yes" : "no") }')"
msg=$("$tool" -b -L /nonexistent/dir/x.log 1 1 2>&1 >/dev/null); rc=$?
check_eq "-L into a missing directory: exit 1, says why" \
	"1 Error: -L /nonexistent/dir/x.log: No such file or directory" "$rc $(grep -v '^mode:' <<<"$msg")"

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
bad "count twice (-n and positional)" -n 2 1 3
bad "fractional count" 1 1.5
bad "-c with -j" -c -j
bad "interval in exponent form" -d 1e3
bad "--keep-exited 0" --keep-exited 0
bad "--keep-exited negative" --keep-exited=-2
bad "--keep-exited not a number" --keep-exited 3x
bad "--keep-exited huge" --keep-exited 99999999999
# Its own usage errors read as tdx-trace's and the exporter's p_err().
msg=$("$tool" -d 0 2>&1 >/dev/null)
check_eq "usage errors: one line, \"Error: ...\" as in tdx-trace" \
	"Error: -d: 0 is out of range [0.001, 2147483647] seconds (see hvflush-top --help)" "$msg"
msg=$("$tool" --keep-exited 0 2>&1 >/dev/null)
check "--keep-exited 0: the message names the option and the range" \
	grep -q -- '--keep-exited: 0 is out of range \[1, ' <<<"$msg"
help=$("$tool" --help 2>&1); rc=$?
check_eq "--help exits 0" 0 "$rc"
check "--help has examples and keys" grep -q 'EXAMPLES' <<<"$help"
check "--help documents --keep-exited and the final snapshot" \
	bash -c 'grep -q -- "--keep-exited=N" <<<"$1" && grep -q "final (whole" <<<"$1"' _ "$help"

tap_done
