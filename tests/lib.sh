# Shell helpers for test suites: TAP output and assertions.
# Source it; each check prints "ok N - what" or "not ok N - what".
_tap_n=0
_tap_failed=0

ok() {       # ok "description"
	_tap_n=$((_tap_n + 1)); echo "ok $_tap_n - $1"
}
not_ok() {   # not_ok "description" ["detail"]
	_tap_n=$((_tap_n + 1)); _tap_failed=$((_tap_failed + 1))
	echo "not ok $_tap_n - $1"
	[ -z "${2:-}" ] || printf '%s\n' "$2" | sed 's/^/#   /'
}
check() {    # check "description" command...
	local what=$1; shift
	local out
	if out=$("$@" 2>&1); then ok "$what"; else not_ok "$what" "$out"; fi
}
check_eq() { # check_eq "description" expected actual
	if [ "$2" = "$3" ]; then ok "$1 ($3)"; else not_ok "$1" "expected '$2', got '$3'"; fi
}
tap_relay() { # tap_relay FILE: another TAP stream's results (a lab job's), as ours
	local line
	while IFS= read -r line; do
		case $line in
		"ok "*) ok "${line#ok * - }" ;;
		"not ok "*) not_ok "${line#not ok * - }" ;;
		"#"*) echo "$line" ;;
		esac
	done < <(tr -d '\r' <"$1")	# serial ports end lines with \r
}
tap_done() {
	echo "1..$_tap_n"
	[ "$_tap_failed" -eq 0 ]
}

# own_tracefs "$@": the rest of this suite runs in a mount namespace of its
# own with tracefs mounted on /sys/kernel/tracing, so it sees the same
# tracefs whether or not the host mounts one, and leaves the host's mounts
# as they were.  Call it before anything else, with the suite's arguments.
own_tracefs() {
	[ -z "${_KS_OWN_TRACEFS:-}" ] || return 0
	if [ "$(id -u)" -ne 0 ]; then
		not_ok "host BPF suites run as root (tracefs, BPF)" "uid $(id -u)"
		tap_done
		exit 1
	fi
	_KS_OWN_TRACEFS=1 exec unshare --mount --propagation slave sh -c \
		'mount -t tracefs tracefs /sys/kernel/tracing && exec "$0" "$@"' "$(readlink -f "$0")" "$@"
}

# free_port: a TCP port on 127.0.0.1 nothing listens on now.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# prom_query URL EXPR [TIME]: the first value of a Prometheus instant query
# at URL, "none" if the result is empty, "error: ..." if it was refused.
prom_query() {
	curl -s "$1/api/v1/query" --data-urlencode "query=$2" ${3:+--data-urlencode "time=$3"} |
		jq -r 'if .status == "success" then .data.result[0].value[1] // "none" else "error: \(.error)" end'
}

# serving_port LOG PID: once the exporter PID logs "serving
# http[s]://127.x.y.z:PORT/..." in LOG, print PORT; fail if it exits or
# has not said so within 10 s.
serving_port() {
	local i p
	for i in $(seq 100); do
		p=$(sed -n 's|^serving https*://127\.[0-9.]*:\([0-9]*\)/.*|\1|p' "$1")
		[ -n "$p" ] && { echo "$p"; return 0; }
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# prom_wait URL EXPR WANT: the value of EXPR at Prometheus URL once it is
# WANT, or what it last was ("none" for no result) after 60 s of asking.
prom_wait() {
	local v=none i
	for i in $(seq 120); do
		v=$(prom_query "$1" "$2")
		[ "$v" = "$3" ] && break
		sleep 0.5
	done
	echo "$v"
}

# lab_results_dir NAME: a new build/lab/NAME-<time> directory for one
# suite run's lab results, printed as an absolute path (the guest sees the
# repo at its host path).
lab_results_dir() {
	local d
	d=build/lab/$1-$(date +%Y%m%d-%H%M%S)
	mkdir -p "$d" && (cd "$d" && pwd)
}

# lab_wait PID FILE SECONDS: until the job of the lab run PID (lab/run.sh
# in the background) creates FILE in its results; fails if the run ends
# first or SECONDS pass.
lab_wait() {
	local i
	for i in $(seq $(($3 * 2))); do
		[ -e "$2" ] && return 0
		kill -0 "$1" 2>/dev/null || return 1
		sleep 0.5
	done
	return 1
}

# lab_abort DESCRIPTION RUNLOG RESULTS: a step of a lab run the rest of the
# suite needs failed: report it with the end of lab/run.sh's output, its
# summary and the guest's console, and end the suite.
lab_abort() {
	not_ok "$1" "$(cat "$2" "$3/summary.txt" 2>&1 | tail -n 20; tail -n 20 "$3/serial.log" 2>&1)"
	tap_done
	exit 1
}

# exporter_suite NAME: the setting of a suite that runs exporters.  $exe,
# built now; $tmp, the suite's directory, which everyone can reach: an
# exporter started as root serves as nobody and re-reads its --synthetic
# spec from there; $pids, where the suite adds what it starts.  On exit
# they are stopped and $tmp removed.
exporter_suite() {
	exe=build/kvmscope-exporter
	tmp=$(mktemp -d "/tmp/kvmscope-$1.XXXXXX")
	chmod 755 "$tmp"
	pids=()
	trap _exporter_suite_end EXIT
	if ! log=$(make -s "$exe" 2>&1); then
		not_ok "build kvmscope-exporter" "$log"
		tap_done
		exit 1
	fi
}
_exporter_suite_end() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$tmp"
}
