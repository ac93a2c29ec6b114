#!/usr/bin/env bash
# hvflush-top's interactive screen in a real terminal (a private tmux
# server, 100x30): what a person sees after each key, and that quitting
# with q or Ctrl-C gives the terminal back as it was.  Fallback mode on the
# host kernel is enough: the screen is the same without rows.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh
own_tracefs "$@"

tool=$PWD/build/hvflush-top
out=$PWD/build/tests-bpf/tmux
sock=kvmscope-hvflush-$$
mkdir -p "$out"
rm -f "$out"/*

if ! command -v tmux >/dev/null; then
	not_ok "tmux is installed (make deps)"
	tap_done
	exit 1
fi
if ! log=$(make -s build/hvflush-top 2>&1); then
	not_ok "build hvflush-top" "$log"
	tap_done
	exit 1
fi

T() { tmux -L "$sock" "$@"; }
trap 'T kill-server 2>/dev/null' EXIT

screen() { T capture-pane -p -t top; }
# Poll the pane until it shows the extended regex $1 (5 s at most).
wait_for() {
	local i
	for i in $(seq 50); do
		screen | grep -Eq -- "$1" && return 0
		sleep 0.1
	done
	return 1
}
# check_screen "what" REGEX: the pane shows REGEX (waiting for it).
check_screen() {
	if wait_for "$2"; then ok "$1"; else not_ok "$1" "$(screen)"; fi
}
# The column title drawn bold and underlined: the sort indicator.
highlighted() {
	T capture-pane -e -p -t top | grep -a 'PID VCPU FIFO' |
		sed -n 's/.*\x1b\[1;4m *\([^ \x1b]*\).*/\1/p'
}
check_gone() {
	local i
	for i in $(seq 50); do
		screen | grep -Eq -- "$2" || { ok "$1"; return; }
		sleep 0.1
	done
	not_ok "$1" "$(screen)"
}

# The pane's shell records the terminal modes around the run and the exit
# code, then stays so the restored screen can be inspected.
# The modes after are saved before "exit=" is shown: a check that sees
# "exit=" then reads a complete file.
start() {   # start session-name
	T kill-session -t top 2>/dev/null
	T new-session -d -s top -x 100 -y 30 \
		"stty -g >$out/$1.before; echo 'before hvflush-top'; $tool -d 1; rc=\$?; stty -g >$out/$1.after; echo \"exit=\$rc\"; exec sleep 600"
}

start q
check_screen "title line with the mode" '^hvflush-top [0-9:]+  interval [0-9.]+s  sort: rate  mode: fallback$'
check_screen "hypercall rates" '^hypercalls/s: L1 [0-9.]+ L2 [0-9.]+  \(since start: L1 [0-9]+ L2 [0-9]+\)$'
check_screen "the fallback says latency needs the series" 'latency needs the kvmscope kernel series'
check_screen "column titles" '^VM +PID VCPU FIFO +ENQ/s +P50 +P99 +MAX +PEND +OVFL'
check_screen "key hints on the last line" 'h help  s sort  p pid  g vm  d delay  r reset  q quit'
check_screen "the screen refreshes (interval line after a second)" 'interval 1\.[0-9]s'

check_eq "the sort column is highlighted" "ENQ/s" "$(highlighted)"
T send-keys -t top s
check_screen "s: sort by p99" 'sort: p99  mode'
check_eq "s: the highlight moves to P99" "P99" "$(highlighted)"
T send-keys -t top s
check_screen "s again: sort by max" 'sort: max  mode'
check_eq "s again: the highlight moves to MAX" "MAX" "$(highlighted)"
T send-keys -t top s
check_screen "s: sort by overflow" 'sort: overflow  mode'
check_eq "s: the highlight moves to OVFL" "OVFL" "$(highlighted)"
T send-keys -t top s
check_screen "s: back to rate" 'sort: rate  mode'

T send-keys -t top h
check_screen "h: help lists the keys" '^  s   sort by the next key: rate, p99, max, overflow$'
check_screen "h: help says how to leave it" 'Press any key to continue'
T send-keys -t top Space
check_gone "any key leaves the help" 'Press any key to continue'
check_screen "back on the table" '^VM +PID VCPU FIFO'

T send-keys -t top p
check_screen "p: asks for a PID" 'Show PID \(empty: all\):'
T send-keys -t top 2147483646 Enter
check_screen "p: a PID that does not exist is refused" 'PID 2147483646: no such process'
check_screen "p: and the filter is unchanged" 'filter: none'
T send-keys -t top p "$$" Enter
check_screen "p: filter by an existing PID" "filter: pid $$\$"
T send-keys -t top g 'win*' Enter
check_screen "g: filter by VM name glob" "filter: pid $$, vm 'win\*'\$"
T send-keys -t top p Enter g Enter
check_screen "p and g with empty input clear the filters" 'filter: none$'

# d, as top's: the refresh interval, fractions too.
T send-keys -t top d
check_screen "d: asks for the delay, as top does" 'Change delay from 1 to \(empty: keep\):'
T send-keys -t top 0 Enter
check_screen "d 0: refused, saying why" 'delay: 0 is out of range \[0\.001, 2147483647\] seconds'
check_screen "d 0: the interval stays 1 s" 'interval 1\.[0-9]s'
T send-keys -t top d 0.3 Enter
check_screen "d 0.3: snapshots about 0.3 s apart" 'interval 0\.[2-5]s'
T send-keys -t top d 1 Enter

T send-keys -t top r
check_screen "r: totals since the reset" '\(since reset [0-9:]+: L1 0 L2 0\)'

T send-keys -t top q
check_screen "q: exits 0" '^exit=0$'
check_gone "q: the alternate screen is gone" 'hypercalls/s'
check_screen "q: the shell's screen is back" '^before hvflush-top$'
check_eq "q: terminal modes restored" "$(cat "$out/q.before" 2>&1)" "$(cat "$out/q.after" 2>&1)"

start ctrl-c
check_screen "second run up" '^VM +PID VCPU FIFO'
t0=$(date +%s%N)
T send-keys -t top C-c
check_screen "Ctrl-C: exits 0" '^exit=0$'
ms=$((($(date +%s%N) - t0) / 1000000))
check "Ctrl-C: exits within a refresh interval (${ms} ms)" test "$ms" -lt 1500
check_gone "Ctrl-C: the alternate screen is gone" 'hypercalls/s'
check_eq "Ctrl-C: terminal modes restored" "$(cat "$out/ctrl-c.before" 2>&1)" "$(cat "$out/ctrl-c.after" 2>&1)"

tap_done
