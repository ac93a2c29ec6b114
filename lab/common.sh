# Shared helpers for the lab's host-side scripts: messages, durations,
# waiting for other kernel builds, and progress reports for long steps.
# Sourced (by lab/cache.sh); set lab_tag before calling say/die.

lab_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_dir=$(cd "$lab_dir/.." && pwd)
lab_tag=${lab_tag:-lab}

say() { printf '[%s] %s\n' "$lab_tag" "$*" >&2; }
die() { printf '[%s] error: %s\n' "$lab_tag" "$*" >&2; exit 1; }
usage_error() { # message: bad command line, exit code 2 like the tools
	printf '%s: %s\nTry '\''%s --help'\''.\n' "${0##*/}" "$1" "${0##*/}" >&2
	exit 2
}

fmt_secs() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }

# Seconds with millisecond resolution, for timings reported to the user.
now() { date +%s.%N | cut -c1-14; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# Our own process and its ancestors: a caller's command line may well
# contain "make ... bzImage" (bash -c '...'), and that is not another build.
_self_and_ancestors() {
	local p=$$
	while [ "$p" -gt 1 ]; do
		echo "$p"
		p=$(awk '{ print $4 }' "/proc/$p/stat" 2>/dev/null) || break
	done
}

# PIDs of kernel builds (or any compiler) that are not ours.
_other_builds() {
	{ pgrep -f 'make.*bzImage'; pgrep -x cc1; } | sort -u |
		grep -vxF -f <(_self_and_ancestors) || true
}

# Two cores allow one kernel build at a time: wait until nobody else is
# compiling before starting one (polled, since those builds are not ours).
wait_for_other_builds() {
	local pids waited=0 t0=$SECONDS
	while pids=$(_other_builds) && [ -n "$pids" ]; do
		if [ $((waited % 10)) -eq 0 ]; then
			say "another build is running (pids $(echo $pids | cut -c1-60)); waiting, checking every 30 s ($(fmt_secs $((SECONDS - t0))) so far)"
		fi
		waited=$((waited + 1))
		sleep 30
	done
	[ "$waited" -eq 0 ] || say "other build finished after $(fmt_secs $((SECONDS - t0)))"
}

# run_logged WHAT LOG COMMAND...: run a long command with its output in LOG,
# telling the user every 30 s how far it got (compiled objects, last step).
# On failure print the log's relevant lines and its path.  If progress_total
# is set (objects a full build compiles), progress shows it too.
run_logged() {
	local what=$1 log=$2; shift 2
	local t0=$SECONDS rc reporter
	(
		trap 'kill $! 2>/dev/null; exit 0' TERM
		while :; do
			sleep 30 & wait $!
			n=$(grep -cE '^ +(CC|AS|LD|AR|BTF|HOSTCC) ' "$log")
			last=$(tail -n 1 "$log" | sed 's/^ *//' | cut -c1-60)
			say "$what: $n${progress_total:+ of ~$progress_total} objects so far, $(fmt_secs $((SECONDS - t0))) (now: $last)"
		done
	) &
	reporter=$!
	"$@" >>"$log" 2>&1
	rc=$?
	kill "$reporter" 2>/dev/null
	wait "$reporter" 2>/dev/null
	if [ "$rc" -ne 0 ]; then
		say "$what FAILED (exit $rc) after $(fmt_secs $((SECONDS - t0))); relevant lines:"
		{ grep -E ' error|error:|Error [0-9]+|\*\*\*|undefined reference|Werror' "$log" |
			grep -v '^make.*Waiting for unfinished' | tail -n 25 |
			grep . || tail -n 25 "$log"; } | sed 's/^/    /' >&2
		say "full log: $log"
		return "$rc"
	fi
	say "$what done in $(fmt_secs $((SECONDS - t0)))"
}
