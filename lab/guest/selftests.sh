#!/bin/sh
# Runs KVM selftests inside the lab guest, one at a time, each with a
# timeout, and records every result (POSIX sh: runs under the host's dash
# in the patched guest's chroot and under busybox on the stock kernel).
#
# usage: selftests.sh [-t SECS] [-o DIR] [-x FILE] [-R FILE] TEST...
#   TEST  a name in $KVMSCOPE_SELFTESTS: "svm_vmcall_test" (x86_64/ first,
#         then the generic tests) or a path like "x86_64/svm_vmcall_test";
#         "@x86" and "@generic" stand for the whole lists
#   -t    per-test timeout (default 600)
#   -o    where to write <test>.log and results.tsv (default
#         $KVMSCOPE_RESULTS/selftests)
#   -x    skip the tests FILE names (first word of each line, # comments),
#         e.g. $KVMSCOPE_LAB/known-failures.txt
#   -R    give the tests FILE names up to 3 attempts (default
#         $KVMSCOPE_LAB/flaky-selftests.txt: deadlines TCG can miss)
# results.tsv: test, result (pass, skip, fail, timeout), exit status,
# seconds, attempts.  Prints one line per test as it finishes.  Exit: 0
# when every test passed or skipped, 1 otherwise.
set -u

limit=600
out=${KVMSCOPE_RESULTS:-.}/selftests
exclude=/dev/null
retry=${KVMSCOPE_LAB:+$KVMSCOPE_LAB/flaky-selftests.txt}
while getopts t:o:x:R: opt; do
	case "$opt" in
	t) limit=$OPTARG ;;
	o) out=$OPTARG ;;
	x) exclude=$OPTARG ;;
	R) retry=$OPTARG ;;
	*) echo "usage: selftests.sh [-t SECS] [-o DIR] [-x FILE] [-R FILE] TEST..." >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
dir=${KVMSCOPE_SELFTESTS:?KVMSCOPE_SELFTESTS is not set: run in the lab guest}
mkdir -p "$out"

uptime_s() { cut -d' ' -f1 /proc/uptime; }

expand() {
	for t in "$@"; do
		case "$t" in
		@x86) sed 's|^|x86_64/|' "$dir/x86.list" ;;
		@generic) cat "$dir/generic.list" ;;
		*/*) echo "$t" ;;
		*) if [ -x "$dir/x86_64/$t" ]; then echo "x86_64/$t"; else echo "$t"; fi ;;
		esac
	done
}

listed() { # TEST FILE
	[ -f "$2" ] && awk -v t="$1" '!/^#/ && $1 == t { found = 1 } END { exit !found }' "$2"
}

# run_one TEST: run it once; sets rc, secs, result.
run_one() {
	t0=$(uptime_s)
	# From the test's directory: some tests look for helpers next to them.
	(cd "$dir/${1%/*}" 2>/dev/null || cd "$dir" || exit 127; exec timeout "$limit" "$dir/$1") >"$log" 2>&1 </dev/null
	rc=$?
	secs=$(awk -v a="$t0" -v b="$(uptime_s)" 'BEGIN { printf "%.1f", b - a }')
	# coreutils timeout exits 124, busybox timeout 143 (SIGTERM).
	if { [ "$rc" -eq 124 ] || [ "$rc" -eq 143 ]; } &&
		awk -v s="$secs" -v l="$limit" 'BEGIN { exit !(s >= l - 1) }'; then
		result=timeout
	else
		case "$rc" in 0) result=pass ;; 4) result=skip ;; *) result=fail ;; esac
	fi
}

failed=0
for t in $(expand "$@"); do
	name=${t##*/}
	! listed "$name" "$exclude" || continue
	log=$out/$name.log
	attempts=1
	if [ ! -x "$dir/$t" ]; then
		echo "no such selftest: $t" >"$log"
		rc=127 secs=0 result=fail
	else
		run_one "$t"
		while [ "$result" = fail ] && [ "$attempts" -lt 3 ] && listed "$name" "$retry"; do
			mv "$log" "$log.attempt$attempts"
			attempts=$((attempts + 1))
			run_one "$t"
		done
	fi
	case "$result" in pass | skip) ;; *) failed=$((failed + 1)) ;; esac
	printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$result" "$rc" "$secs" "$attempts" >>"$out/results.tsv"
	printf '%-8s %-40s %6ss  (exit %s%s)\n' "$(echo "$result" | tr a-z A-Z)" "$t" "$secs" "$rc" \
		"$([ "$attempts" -eq 1 ] || echo ", attempt $attempts of 3: ${retry##*/}")"
	[ "$result" = pass ] || [ "$result" = skip ] || tail -n 5 "$log" | sed 's/^/    /'
done
[ "$failed" -eq 0 ]
