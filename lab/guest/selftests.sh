#!/bin/sh
# Runs KVM selftests inside the lab guest, one at a time, each with a
# timeout, and records every result (POSIX sh: runs under the host's dash
# in the patched guest's chroot and under busybox on the stock kernel).
#
# usage: selftests.sh [-t SECS] [-o DIR] [-x FILE] TEST...
#   TEST  a name in $KVMSCOPE_SELFTESTS: "svm_vmcall_test" (x86/ first,
#         then the generic tests) or a path like "x86/svm_vmcall_test";
#         "@x86" and "@generic" stand for the whole lists
#   -t    per-test timeout (default 600)
#   -o    where to write <test>.log and results.tsv (default
#         $KVMSCOPE_RESULTS/selftests)
#   -x    skip the tests FILE names (first word of each line, # comments),
#         e.g. $KVMSCOPE_LAB/known-failures.txt
# results.tsv: test, result (pass, skip, fail, timeout), exit status,
# seconds.  Prints one line per test as it finishes.  Exit: 0 when every
# test passed or skipped, 1 otherwise.
set -u

limit=600
out=${KVMSCOPE_RESULTS:-.}/selftests
exclude=/dev/null
while getopts t:o:x: opt; do
	case "$opt" in
	t) limit=$OPTARG ;;
	o) out=$OPTARG ;;
	x) exclude=$OPTARG ;;
	*) echo "usage: selftests.sh [-t SECS] [-o DIR] [-x FILE] TEST..." >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
dir=${KVMSCOPE_SELFTESTS:?KVMSCOPE_SELFTESTS is not set: run in the lab guest}
mkdir -p "$out"

uptime_s() { cut -d' ' -f1 /proc/uptime; }

expand() {
	for t in "$@"; do
		case "$t" in
		@x86) sed 's|^|x86/|' "$dir/x86.list" ;;
		@generic) cat "$dir/generic.list" ;;
		*/*) echo "$t" ;;
		*) if [ -x "$dir/x86/$t" ]; then echo "x86/$t"; else echo "$t"; fi ;;
		esac
	done
}

excluded() { awk -v t="$1" '!/^#/ && $1 == t { found = 1 } END { exit !found }' "$exclude"; }

failed=0
for t in $(expand "$@"); do
	name=${t##*/}
	! excluded "$name" || continue
	log=$out/$name.log
	if [ ! -x "$dir/$t" ]; then
		echo "no such selftest: $t" >"$log"
		rc=127 secs=0 result=fail
	else
		t0=$(uptime_s)
		# From the test's directory: some tests look for helpers next to them.
		(cd "$dir/${t%/*}" 2>/dev/null || cd "$dir" || exit 127; exec timeout "$limit" "$dir/$t") >"$log" 2>&1 </dev/null
		rc=$?
		secs=$(awk -v a="$t0" -v b="$(uptime_s)" 'BEGIN { printf "%.1f", b - a }')
		# coreutils timeout exits 124, busybox timeout 143 (SIGTERM).
		if { [ "$rc" -eq 124 ] || [ "$rc" -eq 143 ]; } &&
			awk -v s="$secs" -v l="$limit" 'BEGIN { exit !(s >= l - 1) }'; then
			result=timeout
		else
			case "$rc" in 0) result=pass ;; 4) result=skip ;; *) result=fail ;; esac
		fi
	fi
	case "$result" in pass | skip) ;; *) failed=$((failed + 1)) ;; esac
	printf '%s\t%s\t%s\t%s\n' "$name" "$result" "$rc" "$secs" >>"$out/results.tsv"
	printf '%-8s %-40s %6ss  (exit %s)\n' "$(echo "$result" | tr a-z A-Z)" "$t" "$secs" "$rc"
	[ "$result" = pass ] || [ "$result" = skip ] || tail -n 5 "$log" | sed 's/^/    /'
done
[ "$failed" -eq 0 ]
