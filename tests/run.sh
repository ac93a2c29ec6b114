#!/usr/bin/env bash
# Runs every test suite and ends with one line "N passed, N failed".
#
# Each suite is an executable that prints TAP lines ("ok ..." / "not ok ...")
# and exits non-zero if anything failed: cmocka unit tests (built in
# build/tests with ASan and UBSan, TAP via CMOCKA_MESSAGE_OUTPUT), then
# tests/fuzz/*.sh (libFuzzer harnesses, seconds each), tests/bpf/*.sh (BPF
# test-run on the host kernel), then tests/lab/*.sh (boot the lab kernels).  A suite
# that exits non-zero without reporting a failure counts as one failure, so a
# crash can never pass silently.  TESTS=glob limits the suites run.
#
# Lanes: a lab suite's QEMU runs guest code on one core (TCG,
# thread=single), so with TEST_JOBS=2 (the default) the lab suites run two
# at a time: one lane starts on them at once, the other runs the host
# suites first (one after another: they share the host's tracefs and BPF
# state) and then joins it.  The first lab suite (lab-10) runs before
# both, alone: it builds the lab kernels, and the whole x86 selftest list
# it runs fails on a loaded host, as it never did alone (seen: a "Bad FPU
# state" WARNING in the 7.3 guest beside kernel builds; 6.12's state_test
# failing with an unhandled guest exception beside other lab suites, and
# again beside the host suites).  Lines a suite prints are prefixed with
# its name while lanes run side by side.  TEST_JOBS=1 runs every suite in
# turn.
set -u
cd "$(dirname "$0")/.."
root=$PWD
logdir=${KVMSCOPE_TEST_LOGS:-$root/build/test-logs}
jobs=${TEST_JOBS:-2}
if ! [[ $jobs =~ ^[12]$ ]]; then
	echo "tests/run.sh: TEST_JOBS must be 1 or 2, not '$jobs'" >&2
	exit 2
fi
mkdir -p "$logdir"
rm -f "$logdir"/*.result

# run_suite NAME CMD...: runs one suite; "PASSED FAILED" into NAME.result.
run_suite() {
	local name=$1; shift
	local log="$logdir/$name.log" t0=$SECONDS prefix=
	[ "$lanes" -eq 1 ] || prefix="[$name] "
	echo "== $name"
	# The "|| true" stays inside the pipeline: after it, PIPESTATUS would
	# be true's, and a suite that crashes before its first line would pass.
	"$@" </dev/null 2>&1 | tee "$log" |
		{ grep --line-buffered -E '^(not )?ok |^# ' | sed -u "s|^|$prefix|" || true; }
	local rc=${PIPESTATUS[0]}
	local p f from
	p=$(grep -cE '^ok ' "$log")
	f=$(grep -cE '^not ok ' "$log")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "${prefix}not ok $name exited $rc without reporting a failure (log: $log)"
		# A sanitizer's report says what went wrong in its first lines.
		from=$(grep -n -m1 -E '^==[0-9]+==ERROR: |: runtime error: ' "$log" |
		       cut -d: -f1)
		if [ -n "$from" ]; then
			tail -n "+$from" "$log" | head -n 20
		else
			tail -n 20 "$log"
		fi | sed "s|^|$prefix#   |"
		f=1
	fi
	echo "# $name: $p passed, $f failed in $((SECONDS - t0)) s"
	echo "$p $f" >"$logdir/$name.result"
}

wanted() { [ -z "${TESTS:-}" ] || [[ $1 == ${TESTS} ]]; }

# Unit tests are built with ASan and UBSan (Makefile): any report ends the
# test with exit status 1 and stays in its log.  Leaks are reports too.
asan="detect_leaks=1:detect_stack_use_after_return=1:check_initialization_order=1"
ubsan="print_stacktrace=1"
unit_suite() {
	env CMOCKA_MESSAGE_OUTPUT=TAP \
		ASAN_OPTIONS="$asan${ASAN_OPTIONS:+:$ASAN_OPTIONS}" \
		UBSAN_OPTIONS="$ubsan${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}" "$@"
}

# The suites, as "NAME PATH" lines: host ones, then lab ones.
host=() lab=()
for t in build/tests/*; do
	[ -x "$t" ] || continue
	wanted "unit/${t##*/}" && host+=("unit-${t##*/} $t")
done
for t in tests/fuzz/*.sh tests/bpf/*.sh tests/lab/*.sh; do
	[ -x "$t" ] || continue
	n=${t#tests/}; n=${n%.sh}
	wanted "$n" || continue
	case $n in
	lab/*) lab+=("${n//\//-} $t") ;;
	*) host+=("${n//\//-} $t") ;;
	esac
done
all=("${host[@]}" "${lab[@]}")

run_entry() { # "NAME PATH"
	local name=${1%% *} path=${1#* }
	case $name in
	unit-*) run_suite "$name" unit_suite "$path" ;;
	*) run_suite "$name" "$path" ;;
	esac
}

# next_lab: the next lab suite nobody has taken, "" when none is left.
queue=$logdir/.lab-queue
next_lab() {
	local first
	{
		flock 9
		first=$(head -n 1 "$queue")
		sed -i 1d "$queue"
	} 9>"$queue.lock"
	printf '%s' "$first"
}
lab_lane() {
	local e
	while e=$(next_lab) && [ -n "$e" ]; do
		run_entry "$e"
	done
}

lanes=$jobs
[ ${#lab[@]} -gt 0 ] && [ ${#host[@]} -gt 0 ] || [ ${#lab[@]} -gt 1 ] || lanes=1
if [ "$lanes" -eq 1 ]; then
	for e in "${all[@]}"; do
		run_entry "$e"
	done
else
	run_entry "${lab[0]}"
	printf '%s\n' "${lab[@]:1}" >"$queue"
	# An interrupted run stops every suite and QEMU of both lanes.
	trap 'trap - INT TERM; kill 0; exit 130' INT TERM
	lab_lane &
	{
		for e in "${host[@]}"; do
			run_entry "$e"
		done
		lab_lane
	} &
	wait
	rm -f "$queue" "$queue.lock"
fi

passed=0 failed=0
failures=()
for e in "${all[@]}"; do
	name=${e%% *}
	if ! read -r p f 2>/dev/null <"$logdir/$name.result"; then
		p=0 f=1
		echo "not ok $name did not run to the end (log: $logdir/$name.log)"
	fi
	passed=$((passed + p)); failed=$((failed + f))
	[ "$f" -eq 0 ] || failures+=("$name ($logdir/$name.log)")
done
if [ ${#failures[@]} -gt 0 ]; then
	echo "Failed suites:"
	printf '  %s\n' "${failures[@]}"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
