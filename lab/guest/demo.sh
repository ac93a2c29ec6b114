#!/bin/sh
# The guest side of "make demo": runs each step in $KVMSCOPE_LAB/demo.d/
# (NN-name.sh, in name order) inside the lab guest and records how each went
# in $KVMSCOPE_RESULTS/demo-steps.tsv (step, ok/FAILED, seconds, what).
# A step's first "# demo: ..." line says what it shows.  Steps keep going
# after a failed one; the exit status says whether all succeeded.
set -u
R=${KVMSCOPE_RESULTS:?not in the lab guest}
failed=0
uptime_s() { cut -d' ' -f1 /proc/uptime; }
for step in "$KVMSCOPE_LAB"/demo.d/*.sh; do
	[ -f "$step" ] || continue
	name=$(basename "$step" .sh)
	what=$(sed -n 's/^# demo: //p' "$step" | head -n 1)
	printf '\n=== %s: %s\n' "$name" "$what"
	t0=$(uptime_s)
	if [ -x "$step" ]; then "$step"; else sh "$step"; fi
	rc=$?
	secs=$(awk -v a="$t0" -v b="$(uptime_s)" 'BEGIN { printf "%.1f", b - a }')
	if [ "$rc" -eq 0 ]; then res=ok; else res=FAILED; failed=$((failed + 1)); fi
	printf '%s\t%s\t%s\t%s\n' "$name" "$res" "$secs" "$what" >>"$R/demo-steps.tsv"
done
[ "$failed" -eq 0 ]
