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
set -u
cd "$(dirname "$0")/.."
root=$PWD
logdir=${KVMSCOPE_TEST_LOGS:-$root/build/test-logs}
mkdir -p "$logdir"
passed=0 failed=0
failures=()

run_suite() {
	local name=$1; shift
	local log="$logdir/$name.log" t0=$SECONDS
	echo "== $name"
	# The "|| true" stays inside the pipeline: after it, PIPESTATUS would
	# be true's, and a suite that crashes before its first line would pass.
	"$@" 2>&1 | tee "$log" | { grep --line-buffered -E '^(not )?ok |^# ' || true; }
	local rc=${PIPESTATUS[0]}
	local p f from
	p=$(grep -cE '^ok ' "$log")
	f=$(grep -cE '^not ok ' "$log")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok $name exited $rc without reporting a failure (log: $log)"
		# A sanitizer's report says what went wrong in its first lines.
		from=$(grep -n -m1 -E '^==[0-9]+==ERROR: |: runtime error: ' "$log" |
		       cut -d: -f1)
		if [ -n "$from" ]; then
			tail -n "+$from" "$log" | head -n 20
		else
			tail -n 20 "$log"
		fi | sed 's/^/#   /'
		f=1
	fi
	echo "# $name: $p passed, $f failed in $((SECONDS - t0)) s"
	passed=$((passed + p)); failed=$((failed + f))
	[ "$f" -eq 0 ] || failures+=("$name ($log)")
}

wanted() { [ -z "${TESTS:-}" ] || [[ $1 == ${TESTS} ]]; }

# Unit tests are built with ASan and UBSan (Makefile): any report ends the
# test with exit status 1 and stays in its log.  Leaks are reports too.
asan="detect_leaks=1:detect_stack_use_after_return=1:check_initialization_order=1"
ubsan="print_stacktrace=1"
for t in build/tests/*; do
	[ -x "$t" ] || continue
	wanted "unit/${t##*/}" || continue
	run_suite "unit-${t##*/}" env CMOCKA_MESSAGE_OUTPUT=TAP \
		ASAN_OPTIONS="$asan${ASAN_OPTIONS:+:$ASAN_OPTIONS}" \
		UBSAN_OPTIONS="$ubsan${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}" "$t"
done
for t in tests/fuzz/*.sh tests/bpf/*.sh tests/lab/*.sh; do
	[ -x "$t" ] || continue
	n=${t#tests/}; n=${n%.sh}
	wanted "$n" || continue
	run_suite "${n//\//-}" "$t"
done

if [ ${#failures[@]} -gt 0 ]; then
	echo "Failed suites:"
	printf '  %s\n' "${failures[@]}"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
