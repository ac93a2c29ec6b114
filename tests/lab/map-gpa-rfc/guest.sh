#!/bin/bash
# The in-kernel MapGPA RFC inside the lab guest, on its topic's kernel
# (kernel-patches/7.3/map-gpa-in-kernel-rfc).  Run by
# tests/lab/45-map-gpa-rfc.sh through lab/run.sh --topic; prints TAP.
#
# private_mem_map_gpa_test's functional cases run once, under tdx-trace
# conversions --mapgpa and tracefs (tests/lab/tdx-trace/guest.sh's
# conversions_case): each case must pass by name, and the requests and
# their errors tdx-trace counts must be tracefs's, kvm_hypercall paired
# with kvm_hypercall_done by thread.  Then its benchmark mode, serviced in
# KVM and by the VMM, under the same comparison (mapgpa_case).
# Environment: as tests/lab/tdx-trace/guest.sh.
set -u
. "$(dirname "$0")/../tdx-trace/guest.sh"
MAPGPA_USERSPACE='-m userspace'

# The cases of the selftest's kselftest TAP, in its order.
selftest_cases=(capability cap_off conversions invalid_requests 32bit_and_cpl3
	notify race_signal race_set_attributes race_delete_slot race_delete_first_slot)

# MapGPA hypercalls in a tracefs dump, each from kvm_hypercall (nr 0xc) to
# the next kvm_hypercall_done of its thread: "requests errors eagain",
# eagain being -KVM_EAGAIN (-11) in RAX or, for a 32-bit caller, in EAX,
# and an error any other result but 0.
truth_results() { # TRACE
	local line pid count=0 errors=0 eagain=0
	declare -A open=()
	while IFS= read -r line; do
		[[ $line =~ -([0-9]+)\ +\[[0-9]+\] ]] || continue
		pid=${BASH_REMATCH[1]}
		case $line in
		*kvm_hypercall:*"nr 0xc "*) open[$pid]=1 ;;
		*" kvm_hypercall_done: "*)
			[ -n "${open[$pid]:-}" ] || continue
			unset "open[$pid]"
			[[ $line =~ ret\ (0x[0-9a-f]+) ]] || continue
			count=$((count + 1))
			case ${BASH_REMATCH[1]} in
			0x0) ;;
			0xfffffffffffffff5 | 0xfffffff5) eagain=$((eagain + 1)) ;;
			*) errors=$((errors + 1)) ;;
			esac ;;
		esac
	done <"$1"
	echo "$count $errors $eagain"
}

functional_case() { # NAME
	local name=$1 c truth out=$WORK/$1.json
	wanted "$name" || return 0
	conv_out=
	conversions_case "$name" private_mem_map_gpa_test
	[ -n "$conv_out" ] || return
	for c in "${selftest_cases[@]}"; do
		grep -qxE "ok [0-9]+ $c" "$WORK/$name.selftest" && ok "$name: case $c passed" ||
			not_ok "$name: case $c passed" "$(grep -E " $c\$| $c:" "$WORK/$name.selftest")"
	done
	truth=$(truth_results "$WORK/$name.trace")
	match "$name" "MapGPA requests, errors, -KVM_EAGAIN retries" "$truth" \
		"$(grep '"type":"final"' "$out" |
			jq -r '.mapgpa | "\(map(.count) | add // 0) \(map(.errors) | add // 0) \(map(.retries) | add // 0)"')" "$out"
	# The signal race's request returns -KVM_EAGAIN after its first chunk.
	[ "${truth##* }" -ge 1 ] && ok "$name: -KVM_EAGAIN returned to the guest (${truth##* }, tracefs)" ||
		not_ok "$name: -KVM_EAGAIN returned to the guest" "tracefs: requests errors eagain: $truth"
}

functional_case rfc-functional
mapgpa_case rfc-in-kernel kernel 50
mapgpa_case rfc-userspace userspace 50

echo "1..$n"
[ "$failed" -eq 0 ]
