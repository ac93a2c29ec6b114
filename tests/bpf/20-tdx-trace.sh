#!/usr/bin/env bash
# tdx-trace on the host kernel, which has no kvmscope series:
#  - the BPF handlers (raw_tp twins) run with BPF_PROG_TEST_RUN from the
#    cmocka driver tests/bpf/tdx-trace/driver.c, which asserts the maps;
#  - the CLI: --help, bad input exits 2, fallback mode end to end with real
#    KVM_SET_MEMORY_ATTRIBUTES ioctls on VMs of the host's /dev/kvm (default
#    VMs: ENOTTY, but kvm_vm_ioctl sees them), JSON checked with jq; the same
#    command on /dev/null, from an unprivileged user, is no conversion;
#    roles refuses to run.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh
own_tracefs "$@"
. tests/bpf/fake_kmem.sh

# Not under build/tests: tests/run.sh runs everything there as cmocka.
out=build/tests-bpf/tdx-trace
tool=build/tdx-trace
drv=$out/driver
helper=$out/set_attrs
mkdir -p "$out"

build() {
	build_fake_kmem "$out" &&
	make -s "$tool" build/libtdx-trace.a build/libkvmscope.a &&
	cc -O2 -g -Wall -Wextra -Werror -Ibuild -I"$out" -Itools -Itools/lib -Itools/probe \
		-Ibpf -o "$drv" tests/bpf/tdx-trace/driver.c \
		build/libtdx-trace.a build/libkvmscope.a -lcmocka -lbpf -lelf -lz &&
	cc -O2 -g -Wall -Wextra -Werror -Ibpf -o "$helper" \
		tests/bpf/tdx-trace/set_attrs.c
}
if ! log=$(build 2>&1); then
	not_ok "build tdx-trace, its BPF test-run driver and ioctl helper" "$log"
	tap_done
	exit 1
fi
ok "build tdx-trace, its BPF test-run driver and ioctl helper"

# BPF_PROG_TEST_RUN driver (cmocka): re-number its TAP lines into ours.
drv_out=$(CMOCKA_MESSAGE_OUTPUT=TAP "$drv" 2>&1)
drv_rc=$?
n=0
while IFS= read -r line; do
	case $line in
	"ok "*)	n=$((n + 1)); ok "test-run: ${line#ok * - }" ;;
	"not ok "*) n=$((n + 1)); not_ok "test-run: ${line#not ok * - }" "$drv_out" ;;
	esac
done <<<"$drv_out"
[ "$n" -ge 14 ] && [ "$drv_rc" -eq 0 ] ||
	not_ok "test-run driver ran all its tests and exited 0 (rc $drv_rc, $n results)" "$drv_out"

# --help and usage errors.
help=$("$tool" --help 2>&1); rc=$?
check_eq "--help exits 0" 0 "$rc"
check "--help shows usage and examples" grep -q "EXAMPLES" <<<"$help"

usage_case() {   # usage_case "what" expected-message-regex args...
	local what=$1 re=$2; shift 2
	local err rc
	err=$("$tool" "$@" 2>&1 >/dev/null); rc=$?
	if [ "$rc" -eq 2 ] && grep -qE "$re" <<<"$err"; then
		ok "bad input exits 2: $what"
	else
		not_ok "bad input exits 2: $what" "rc=$rc stderr: $err"
	fi
}
usage_case "unknown option" "unrecognized option" --bogus
usage_case "non-numeric PID" "PID: 'abc' is not" -p abc
usage_case "nonexistent PID" "no such process" -p 2147483646
usage_case "PID 0" "out of range" -p 0
usage_case "interval 0" "interval: 0 is out of range" 0
usage_case "count 0" "count: 0 is out of range" 1 0
usage_case "trailing junk" "interval: '1x' is not" conversions 1x
usage_case "three positionals" "unexpected argument" 1 2 3
usage_case "unknown command" "unknown command 'bogus'" bogus
usage_case "--private with --shared" "exclusive" --private --shared
usage_case "negative --min-us" "unrecognized option|is not" --min-us -5
usage_case "--min-us overflow" "too large|out of range" --min-us 99999999999999999999
usage_case "conversions-only option on roles" "only apply to conversions" roles -s
usage_case "--vm too long" "vm: expected a glob of 1 to 63" --vm "$(printf 'k%.0s' {1..64})"

# roles has no fallback.
err=$("$tool" roles 1 1 2>&1 >/dev/null); rc=$?
if [ "$rc" -ne 0 ] && [ "$rc" -ne 2 ] && grep -q "roles needs the kvmscope series" <<<"$err"; then
	ok "roles without the series: clear error, exit $rc"
else
	not_ok "roles without the series: clear error, non-zero exit" "rc=$rc: $err"
fi

# Without privileges: a clear message, not "no such event".
err=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$tool" 1 1 2>&1 >/dev/null); rc=$?
if [ "$rc" -eq 1 ] && grep -q "run as root" <<<"$err"; then
	ok "unprivileged: exit 1, says to run as root"
else
	not_ok "unprivileged: exit 1, says to run as root" "rc=$rc: $err"
fi

# Capabilities instead of root: CAP_BPF and CAP_PERFMON for BPF, and
# CAP_DAC_READ_SEARCH for tracefs (root's, mode 0700).
caps=+bpf,+perfmon,+dac_read_search
err=$(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=$caps \
	--ambient-caps=$caps "$tool" 1 1 2>&1 >/dev/null); rc=$?
if [ "$rc" -eq 0 ] && grep -q "^mode: fallback" <<<"$err"; then
	ok "capabilities, not root: runs in fallback mode"
else
	not_ok "capabilities, not root: runs in fallback mode" "rc=$rc: $err"
fi

# conversions 1 1 -j: the fallback mode line, valid JSON lines.
js=$out/interval.json
"$tool" conversions 1 1 -j >"$js" 2>"$out/interval.err"; rc=$?
check_eq "conversions 1 1 -j exits 0" 0 "$rc"
check "mode line on stderr says fallback" \
	grep -q "^mode: fallback: kernel without the kvmscope series" "$out/interval.err"
check "every stdout line is valid JSON" jq -e . "$js"
check_eq "JSON mode field" fallback "$(jq -r 'select(.type=="mode") | .mode' "$js")"
check_eq "JSON lists fields the fallback cannot see" true \
	"$(jq -r 'select(.type=="mode") | (.unavailable | index("noop") != null and index("flushes") != null)' "$js")"
check_eq "one interval summary and one final summary" "interval final" \
	"$(jq -r 'select(.type=="interval" or .type=="final") | .type' "$js" | xargs)"
check_eq "summaries carry mode and lost counters" "fallback 0 fallback 0" \
	"$(jq -r 'select(.lost) | "\(.mode) \(.lost.total)"' "$js" | xargs)"
# MapGPA latency is opt-in: without --mapgpa nothing sits on kvm_entry.
check_eq "without --mapgpa: mapgpa false, null in summaries" "false null" \
	"$(jq -r 'select(.type=="mode" or .type=="final") | .mapgpa' "$js" | xargs)"
check "without --mapgpa: stderr says how to get it" \
	grep -q "MapGPA latency not measured (--mapgpa" "$out/interval.err"
"$tool" conversions -s --mapgpa 1 1 -j >"$out/mapgpa.json" 2>"$out/mapgpa.err"; rc=$?
check_eq "--mapgpa: exits 0" 0 "$rc"
check_eq "--mapgpa: mapgpa true, an array in the final summary" "true array" \
	"$(jq -r 'select(.type=="mode") | .mapgpa' "$out/mapgpa.json") $(jq -r 'select(.type=="final") | .mapgpa | type' "$out/mapgpa.json")"

# Intervals in fractions of a second, as top and kvm_stat take them.
"$tool" conversions -j 0.3 2 >"$out/frac.json" 2>/dev/null; rc=$?
check_eq "conversions -j 0.3 2: exit 0, two 0.3 s intervals, then the final summary" \
	"0 interval:0.3 interval:0.3 final:0.3" \
	"$rc $(jq -r 'select(.interval_s) | "\(.type):\(.interval_s)"' "$out/frac.json" | xargs)"

# wait_written FILE PATTERN PID: until the tool (PID) has written PATTERN;
# a minute at most, since loading can take long on a busy machine.
wait_written() {
	local i
	for i in $(seq 600); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		kill -0 "$3" 2>/dev/null || break
		sleep 0.1
	done
	echo "# tdx-trace never wrote $2: $(cat "${1%.*}.err" 2>/dev/null)"
	return 1
}
# wait_attached FILE PATTERN PID: until the tool has written PATTERN, which
# it does once its programs are attached.  Never a fixed sleep: a helper
# that started converting before the attach would make the counts wrong.
# FILE must not exist before the tool starts: the shell truncates it in
# the background, and a previous run's PATTERN would pass at once.
wait_attached() { wait_written "$@"; }

# Fallback end to end: real ioctls from a helper, traced with -p.
trace_helper() {   # trace_helper NAME tdx-trace-args... -- helper-ranges...
	local name=$1; shift
	local targs=() go=$out/$name.go tpid i
	while [ "$1" != -- ]; do targs+=("$1"); shift; done; shift
	rm -f "$go" "$out/$name.json"
	"$helper" "$go" "$@" >>"$helper_log" & hpid=$!
	"$tool" -j -p "$hpid" "${targs[@]}" >"$out/$name.json" 2>"$out/$name.err" &
	tpid=$!
	wait_attached "$out/$name.json" '"type":"mode"' "$tpid"
	touch "$go"
	wait "$hpid"
	sleep 0.3
	kill -INT "$tpid"
	wait "$tpid"
}

# The helper converts on a VM of /dev/kvm; its results go to a log.  Its
# pid, hpid, names the VM: "kvm-<pid of the thread that created it>".
export SET_ATTRS_VM=1
helper_log=$out/set_attrs.log
: >"$helper_log"

R1=0x100000000:0x200000:8   # 512 pages to private
R2=0x100000000:0x1000:0     # 1 page to shared
R3=0x200000000:0x10000:8    # 16 pages to private
trace_helper all -- "$R1" "$R2" "$R3"; rc=$?
f=$out/all.json
check_eq "SIGINT ends tdx-trace cleanly" 0 "$rc"
check "traced output is valid JSON" jq -e . "$f"
check_eq "three conversions traced" 3 "$(jq -s '[.[] | select(.type=="conversion")] | length' "$f")"
check_eq "pages per conversion" "512 1 16" \
	"$(jq -r 'select(.type=="conversion") | .pages' "$f" | xargs)"
check_eq "direction per conversion" "private shared private" \
	"$(jq -r 'select(.type=="conversion") | .direction' "$f" | xargs)"
check_eq "GPA range of the first" "4294967296 4297064448" \
	"$(jq -r 'select(.type=="conversion") | "\(.gpa_start) \(.gpa_end)"' "$f" | head -1)"
check_eq "return code is the ioctl's (-ENOTTY)" "-25 -25 -25" \
	"$(jq -r 'select(.type=="conversion") | .ret' "$f" | xargs)"
check_eq "fallback fields are null, the VM is named" "null null kvm-$hpid" \
	"$(jq -r 'select(.type=="conversion") | [.noop, .flushes, .vm] | map(tostring) | join(" ")' "$f" | head -1)"
check_eq "durations measured" true \
	"$(jq -s '[.[] | select(.type=="conversion") | .duration_ns > 0] | all' "$f")"
check_eq "final summary totals" "3 529 2 1" \
	"$(jq -r 'select(.type=="final") | "\(.totals.count) \(.totals.pages) \(.vms[] | select(.direction=="private") | .count) \(.vms[] | select(.direction=="shared") | .count)"' "$f")"
check_eq "final summary: no lost events" 0 "$(jq -r 'select(.type=="final") | .lost.total' "$f")"

trace_helper private --private -- "$R1" "$R2" "$R3"
check_eq "--private keeps the two to-private conversions" "512 16" \
	"$(jq -r 'select(.type=="conversion") | .pages' "$out/private.json" | xargs)"
trace_helper slow --min-us 5000000 -- "$R1" "$R2" "$R3"
check_eq "--min-us 5000000 drops them all" 0 \
	"$(jq -s '[.[] | select(.type=="conversion")] | length' "$out/slow.json")"
# --vm is a glob on the VM name (the helper's comm: it has no -name) or its
# stats id, as in hvflush-top.  A plain stats id is compared in the kernel;
# globs and names in tdx-trace, on every VM's events and rows.
vm_case() {   # vm_case WHAT EXPECTED-CONVERSIONS PATTERN
	trace_helper "vm-$1" --vm "$3" -- "$R1" "$R2" "$R3"
	check_eq "--vm '$3': $1 (lines, final summary)" "$2 $2" \
		"$(jq -s '[.[] | select(.type=="conversion")] | length' "$out/vm-$1.json") $(jq -r 'select(.type=="final") | .totals.count' "$out/vm-$1.json")"
}
vm_case "a glob on the name keeps the three" 3 'set_at*'
vm_case "the exact name keeps the three" 3 set_attrs
vm_case "a glob on the stats id keeps the three" 3 'kvm-[0-9]*'
vm_case "a glob matching neither drops them" 0 'win*'
vm_case "another VM's stats id (in the kernel) drops them" 0 kvm-1
# -s names each VMM by a /proc scan once a second, and a VMM lives long; the
# helper does not, so it stays alive until an interval summary (-s 1) has
# named it.  The final summary must keep that name after it exited.
rm -f "$out/summary.go" "$out/summary.hold" "$out/summary.json"
SET_ATTRS_HOLD=$out/summary.hold "$helper" "$out/summary.go" "$R1" "$R2" "$R3" \
	>>"$helper_log" & hpid=$!
"$tool" -j -p "$hpid" -s 1 >"$out/summary.json" 2>"$out/summary.err" & tpid=$!
wait_attached "$out/summary.json" '"type":"mode"' "$tpid"
touch "$out/summary.go"
wait_written "$out/summary.json" '"type":"interval".*"name":"set_attrs"' "$tpid"
touch "$out/summary.hold"; wait "$hpid"; sleep 0.3; kill -INT "$tpid"; wait "$tpid"
check_eq "-s 1: no per-conversion records, histograms in the final summary" "0 2 2" \
	"$(jq -s '([.[] | select(.type=="conversion")] | length), (.[] | select(.type=="final") | .vms[] | select(.direction=="private") | .duration_ns.count, .pages_hist.count)' "$out/summary.json" | xargs)"

check_eq "-s 1: the final summary still names the exited VMM" "set_attrs set_attrs" \
	"$(jq -r 'select(.type=="final") | .vms[].name' "$out/summary.json" | xargs)"

# Any user can issue KVM_SET_MEMORY_ATTRIBUTES's number on a file of its
# own, with a range that would dwarf every real VM's: nobody, on
# /dev/null, converts nothing and takes no row.
# nobody runs a copy of the helper from a directory everyone can reach:
# the checkout may not be (a clone in a 0700 directory, as mktemp -d
# makes them, or in /root).
nb=$(mktemp -d /tmp/kvmscope-nobody.XXXXXX)
chmod 755 "$nb"
cp "$helper" "$nb/"
rm -f "$out/nobody.json"
SET_ATTRS_VM=0 setpriv --reuid=65534 --regid=65534 --clear-groups \
	"$nb/${helper##*/}" "$nb/go" 0:0x10000000000:8 0:0x10000000000:0 \
	2>"$out/nobody.helper.err" & hpid=$!
"$tool" -j -p "$hpid" -s 1 >"$out/nobody.json" 2>"$out/nobody.err" & tpid=$!
wait_attached "$out/nobody.json" '"type":"mode"' "$tpid"
touch "$nb/go"
wait "$hpid"; rc=$?
sleep 0.3; kill -INT "$tpid"; wait "$tpid"
rm -rf "$nb"
check_eq "nobody's ioctls on /dev/null ran (ENOTTY)" 0 "$rc"
[ "$rc" = 0 ] || sed 's/^/#   helper: /' "$out/nobody.helper.err"
check_eq "nobody's ioctls on /dev/null: no conversion, no row" "0 0" \
	"$(jq -r 'select(.type=="final") | "\(.totals.count) \(.vms | length)"' "$out/nobody.json")"

# Human output: header and one line per conversion.
rm -f "$out/human.go" "$out/human.txt"
"$helper" "$out/human.go" "$R1" >>"$helper_log" & hpid=$!
"$tool" -T -p "$hpid" >"$out/human.txt" 2>"$out/human.err" & tpid=$!
wait_attached "$out/human.txt" '^TIME ' "$tpid"
touch "$out/human.go"; wait "$hpid"; sleep 0.3; kill -INT "$tpid"; wait "$tpid"
check "human output: header" grep -q "^TIME .*PAGES.*DIR.*DUR(us)" "$out/human.txt"
check "human output: conversion line" grep -qE "^[0-9:.]+ +kvm-$hpid .* 0x100000000-0x100200000 +512 private .* -25$" "$out/human.txt"
check "human output: lost events reported" grep -q "^Lost events: 0" "$out/human.txt"

# A VMM whose comm would clear the screen and hide what follows, with a
# byte that is not UTF-8 (exec'd through a link of that name): its line
# and its summary show the name escaped, and no control character
# reaches the terminal.  A UTF-8 terminal: elsewhere U+FFFD is escaped
# too (unit/test_lib_termtext).
evil=$out/$(printf '\033[2J\033[8m\377')
ln -sfn set_attrs "$evil"
# The line names the VMM when it is printed: the helper stays alive until
# then, as a VMM would.
rm -f "$out/evil.go" "$out/evil.hold" "$out/evil.txt"
SET_ATTRS_HOLD=$out/evil.hold "$evil" "$out/evil.go" "$R1" >>"$helper_log" & hpid=$!
LC_ALL=C.UTF-8 "$tool" -p "$hpid" >"$out/evil.txt" 2>"$out/evil.err" & tpid=$!
wait_attached "$out/evil.txt" '^VM ' "$tpid"
touch "$out/evil.go"
wait_written "$out/evil.txt" "^kvm-$hpid " "$tpid"
touch "$out/evil.hold"; wait "$hpid"; sleep 0.3; kill -INT "$tpid"; wait "$tpid"
name=$(printf '%s\357\277\275' '\x1b[2J\x1b[8m')	# U+FFFD for \377
# Its 15 characters padded to the NAME column's 16.
check "hostile comm: the conversion line shows it escaped" \
	grep -qF "$(printf '%-16s %s  ' "kvm-$hpid" "$name")" "$out/evil.txt"
check "hostile comm: the summary shows it escaped" \
	grep -qF "kvm-$hpid ($name) to private:" "$out/evil.txt"
check "hostile comm: no control character in the output" \
	bash -c '! tr -d "\n" <"$1" | LC_ALL=C grep -q "[[:cntrl:]]"' _ "$out/evil.txt"

tap_done
