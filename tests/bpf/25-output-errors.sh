#!/usr/bin/env bash
# tdx-trace and hvflush-top on the host kernel, where their output goes:
#  - output that cannot be written (/dev/full) is an error: said on
#    stderr, exit 1, and a run without an end stops by itself instead of
#    tracing into the void;
#  - SIGHUP (the terminal or ssh session went away) ends a run like
#    SIGINT: with the final report, exit 0.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh
own_tracefs "$@"

tdx=build/tdx-trace
hv=build/hvflush-top
out=$(mktemp -d /tmp/kvmscope-output-test.XXXXXX)
trap 'rm -rf "$out"' EXIT

if ! log=$(make -s "$tdx" "$hv" 2>&1); then
	not_ok "build tdx-trace and hvflush-top" "$log"
	tap_done
	exit 1
fi
ok "build tdx-trace and hvflush-top"

# full WHAT ARGS...: run with stdout on /dev/full (a minute at most): exit
# 1 and the reason on stderr.
full() {
	local what=$1 rc
	shift
	timeout 60 "$@" >/dev/full 2>"$out/full.err"; rc=$?
	if [ "$rc" -eq 1 ] && grep -q '^Error: writing the output' "$out/full.err"; then
		ok "$what >/dev/full: exit 1, says so"
	else
		not_ok "$what >/dev/full: exit 1, says so" "rc=$rc: $(cat "$out/full.err")"
	fi
}
full "tdx-trace 1 1" "$tdx" 1 1
full "tdx-trace -j 1 1" "$tdx" -j 1 1
full "tdx-trace --help" "$tdx" --help
full "hvflush-top -b 1 1" "$hv" -b 1 1
full "hvflush-top -j 1 1" "$hv" -j 1 1
# No interval: it would trace until a signal; the mode line it could not
# write ends it within a second or so.
full "tdx-trace -j (no interval, no signal)" "$tdx" -j

# wait_written FILE PATTERN PID: until PID has written PATTERN (once
# attached); a minute at most, loading can take long on a busy machine.
wait_written() {
	local i
	for i in $(seq 600); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		kill -0 "$3" 2>/dev/null || break
		sleep 0.1
	done
	echo "# never wrote $2: $(cat "$1" "${1%.*}.err" 2>/dev/null)"
	return 1
}

# hup NAME PATTERN CMD...: start CMD, SIGHUP once it wrote PATTERN; sets
# $rc to its exit status.
hup() {
	local name=$1 pattern=$2 pid
	shift 2
	"$@" >"$out/$name.out" 2>"$out/$name.err" &
	pid=$!
	wait_written "$out/$name.out" "$pattern" "$pid"
	kill -HUP "$pid"
	wait "$pid"; rc=$?
}
hup tdx-json '"type":"mode"' "$tdx" -j
check_eq "tdx-trace -j, SIGHUP: exit status" 0 "$rc"
check_eq "tdx-trace -j, SIGHUP: ends with the final summary" final \
	"$(tail -n 1 "$out/tdx-json.out" | jq -r .type)"
hup tdx-text '^TIME ' "$tdx" -T
check_eq "tdx-trace, SIGHUP: exit status" 0 "$rc"
check "tdx-trace, SIGHUP: the final summary" grep -q '^Summary (whole run):' "$out/tdx-text.out"
hup hv-json '"type":"interval"' "$hv" -j 1
check_eq "hvflush-top -j, SIGHUP: exit status" 0 "$rc"
check_eq "hvflush-top -j, SIGHUP: ends with the final snapshot" final \
	"$(tail -n 1 "$out/hv-json.out" | jq -r .type)"
tap_done
