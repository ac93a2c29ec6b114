#!/bin/bash
# tdx-trace against ground truth, inside the lab guest (patched kernel).
# Run by tests/lab/40-tdx-trace.sh through lab/run.sh; prints TAP.
#
# Every workload is observed twice: tdx-trace (BPF, in-kernel
# correlation) and tracefs (the same tracepoints as text, correlated here
# by thread in bash).  The two must agree exactly: number of conversions,
# pages, SPTEs zapped per level, TLB flushes, MapGPA hypercalls; role
# computations, changed/unchanged, per role, and their causes.  The
# truth is the series' events, the same on 7.3 and 6.12: upstream's
# kvm_vm_set_mem_attributes, _done and tdp_mmu_zap_leafs for conversions,
# kvm_mmu_role with its cause for roles.
#
# Environment: TDX_TRACE (the tdx-trace binary), SELFTESTS (the KVM
# selftests dir holding x86/...), TRACEFS (default /sys/kernel/tracing),
# WORK (scratch dir, default /tmp/tdx-trace-lab), CASES (a glob of case
# names to run, default all), MAPGPA_USERSPACE (private_mem_map_gpa_test's
# options for MapGPA serviced by the VMM: 6.12's "-u", the default, or the
# 7.3 RFC's "-m userspace").  Sourced, it only defines its functions
# (tests/lab/map-gpa-rfc/guest.sh).
set -u
TDX_TRACE=${TDX_TRACE:?path of tdx-trace}
SELFTESTS=${SELFTESTS:?KVM selftests directory}
T=${TRACEFS:-/sys/kernel/tracing}
WORK=${WORK:-/tmp/tdx-trace-lab}
mkdir -p "$WORK"

n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() {
	n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"
	[ -z "${2:-}" ] || printf '%s\n' "$2" | sed 's/^/#   /'
}
check_eq() { if [ "$2" = "$3" ]; then ok "$1 ($3)"; else not_ok "$1" "expected '$2', got '$3'"; fi; }

selftest() { # path of a selftest, x86/ or top level
	local p
	for p in "$SELFTESTS/x86/$1" "$SELFTESTS/$1"; do
		[ -x "$p" ] && { echo "$p"; return 0; }
	done
	return 1
}

trace_start() { # EVENTS...: clear the buffer, enable exactly these
	local e
	echo 0 >"$T/tracing_on"
	echo 0 >"$T/events/enable"
	echo 65536 >"$T/buffer_size_kb"
	: >"$T/trace"
	for e in "$@"; do echo 1 >"$T/events/$e/enable"; done
	echo 1 >"$T/tracing_on"
}

trace_stop() { # FILE: save the buffer; fail if it dropped events
	echo 0 >"$T/tracing_on"
	cat "$T/trace" >"$1"
	echo 0 >"$T/events/enable"
	local hdr
	hdr=$(grep -m1 '^# entries-in-buffer/entries-written:' "$1")
	[[ $hdr =~ ([0-9]+)/([0-9]+) ]] && [ "${BASH_REMATCH[1]}" = "${BASH_REMATCH[2]}" ]
}

tool_start() { # OUT ARGS...: start tdx-trace, wait until it has attached
	local out=$1 i; shift
	"$TDX_TRACE" "$@" -j >"$out" 2>"$out.err" &
	tool_pid=$!
	for i in $(seq 300); do	# the JSON mode line comes after attach
		[ -s "$out" ] && return 0
		kill -0 "$tool_pid" 2>/dev/null || break
		sleep 0.1
	done
	return 1
}

tool_stop() {
	kill -INT "$tool_pid"
	wait "$tool_pid"
}

sum_field() { # FIELD FILE: sum "FIELD":N over the matching lines
	grep -o "\"$1\":[0-9]*" "$2" | awk -F: '{ s += $2 } END { print s + 0 }'
}

# Ground truth for conversions from a tracefs dump: correlate begin ->
# zap_leafs -> done by thread, exactly as defined by the series.  A yield
# flush is a flush; so is the final one.
truth_conversions() { # TRACE -> "count pages z4k z2m z1g flushes mapgpa"
	local line pid count=0 pages=0 z4=0 z2=0 z1=0 fl=0 mapgpa=0
	declare -A inside=()
	while IFS= read -r line; do
		[[ $line =~ -([0-9]+)\ +\[[0-9]+\] ]] || continue
		pid=${BASH_REMATCH[1]}
		case $line in
		*" kvm_vm_set_mem_attributes: "*) inside[$pid]=1 ;;
		*" tdp_mmu_zap_leafs: "*)
			[ -n "${inside[$pid]:-}" ] || continue
			[[ $line =~ zapped\ 4k\ ([0-9]+)\ 2m\ ([0-9]+)\ 1g\ ([0-9]+)\ yields\ [0-9]+\ yield_flushes\ ([0-9]+) ]] || continue
			z4=$((z4 + BASH_REMATCH[1])); z2=$((z2 + BASH_REMATCH[2]))
			z1=$((z1 + BASH_REMATCH[3])); fl=$((fl + BASH_REMATCH[4])) ;;
		*" kvm_vm_set_mem_attributes_done: "*)
			[ -n "${inside[$pid]:-}" ] || continue
			unset "inside[$pid]"
			[[ $line =~ (0x[0-9a-f]+|0)\ --\ (0x[0-9a-f]+|0) ]] || continue
			count=$((count + 1))
			pages=$((pages + BASH_REMATCH[2] - BASH_REMATCH[1]))
			[[ $line == *" flushed"* ]] && fl=$((fl + 1)) ;;
		*kvm_hypercall:*"nr 0xc "*) mapgpa=$((mapgpa + 1)) ;;
		esac
	done <"$1"
	echo "$count $pages $z4 $z2 $z1 $fl $mapgpa"
}

wanted() { [[ $1 == ${CASES:-*} ]]; }

# Events tdx-trace's programs missed, from its final record's "lost":
# the kernel runs no program for an event hit on a CPU where the same
# program is running (preempted), which 7.x's preemptible tracepoints
# allow.  The tool reports them; a comparison with tracefs can then only
# say that the tool saw no more than tracefs, and lost nothing else.
missed_of() { # OUT
	grep '"type":"final"' "$1" | grep -o '"lost":{[^}]*}' | grep -o '"missed":[0-9]*' | grep -o '[0-9]*$'
}

# match NAME WHAT TRUTH TOOL OUT: TOOL = TRUTH, field by field, when OUT's
# tool missed nothing; else every field of TOOL <= TRUTH's.
match() {
	local m
	m=$(missed_of "$5")
	if [ "${m:-none}" = 0 ]; then
		check_eq "$1: $2 match tracefs" "$3" "$4"
		return
	fi
	echo "# $1: tdx-trace's programs missed ${m:-?} events: its counts can only be lower"
	paste <(tr ' ' '\n' <<<"$3") <(tr ' ' '\n' <<<"$4") | awk '$2 > $1 { bad = 1 } END { exit bad }' &&
		[ -n "$m" ] && ok "$1: $2 at most tracefs's, $m events missed ($4 / $3)" ||
		not_ok "$1: $2 at most tracefs's, ${m:-?} events missed" "tracefs '$3', tdx-trace '$4'"
}

# no_lost NAME OUT: nothing lost but what the programs missed.
no_lost() {
	local total m
	total=$(grep '"type":"final"' "$2" | grep -o '"lost":{"total":[0-9]*' | grep -o '[0-9]*$')
	m=$(missed_of "$2")
	check_eq "$1: no lost events but the ${m:-?} missed" "${m:-?}" "$total"
}

conv_events=(kvm/kvm_vm_set_mem_attributes kvm/kvm_vm_set_mem_attributes_done
	kvmmmu/tdp_mmu_zap_leafs)
conv_progs="conv_attrs_btf conv_done_btf conv_task_exit conv_zap_leafs_btf"


# What tdx-trace's JSON OUT says, as truth_conversions() without mapgpa:
# "count pages z4k z2m z1g flushes" of its conversion records.
tool_conversions() { # OUT
	grep '"type":"conversion"' "$1" >"$1.conv"
	echo "$(grep -c . "$1.conv") $(sum_field pages "$1.conv")" \
		"$(sum_field zapped_4k "$1.conv") $(sum_field zapped_2m "$1.conv")" \
		"$(sum_field zapped_1g "$1.conv") $(sum_field flushes "$1.conv")"
}

# conversions_case NAME SELFTEST SELFTEST-ARGS...: tdx-trace conversions
# --mapgpa against tracefs, ending hypercalls at the series'
# kvm_hypercall_done.  With MAPGPA=0, without --mapgpa (the default):
# the same conversions, and no program on kvm_hypercall, kvm_userspace_exit
# or kvm_entry, which every VM entry would pay for.
conversions_case() {
	local name=$1 test=$2 st rc truth tool progs out=$WORK/$1.json tr=$WORK/$1.trace
	local mapgpa=${MAPGPA:-1} hog= pin=()
	shift 2
	wanted "$name" || return 0
	st=$(selftest "$test") || { not_ok "$name: $test is in the selftests"; return; }
	trace_start "${conv_events[@]}" kvm/kvm_hypercall kvm/kvm_hypercall_done
	if ! tool_start "$out" conversions $([ "$mapgpa" = 1 ] && echo --mapgpa); then
		not_ok "$name: tdx-trace attached" "$(cat "$out.err")"
		return
	fi
	# Program names (bpftool gives the full ones, from BTF).
	progs=$(bpftool prog show -j | jq -r '[.[].name | select(startswith("conv_") or startswith("mapgpa_"))] | sort | join(" ")')
	# HOG=1: a busy loop on the workload's CPU, so zaps yield the MMU lock.
	if [ -n "${HOG:-}" ]; then
		taskset -c 0 sh -c 'while :; do :; done' &
		hog=$! pin=(taskset -c 0)
	fi
	"${pin[@]}" "$st" "$@" >"$WORK/$name.selftest" 2>&1; rc=$?
	[ -z "$hog" ] || kill "$hog"
	sleep 0.5	# let the ring buffer drain
	tool_stop
	check_eq "$name: $test $* passes" 0 "$rc"
	trace_stop "$tr" || not_ok "$name: tracefs kept every event (raise buffer_size_kb)"
	check_eq "$name: tdx-trace runs in series mode" '"mode":"series"' \
		"$(grep -o '"mode":"series"' "$out" | head -1)"

	truth=$(truth_conversions "$tr")
	tool=$(tool_conversions "$out")
	if [ "$mapgpa" = 1 ]; then
		tool+=" $(grep '"type":"final"' "$out" | grep -o '"vcpu":[0-9]*,"count":[0-9]*' |
			awk -F: '{ s += $3 } END { print s + 0 }')"
		match "$name" "conversions pages zapped(4k 2m 1g) flushes mapgpa" "$truth" "$tool" "$out"
		# The series ends a hypercall with kvm_hypercall_done (its
		# tp_btf program, as the conversions'): nothing on kvm_entry or
		# kvm_userspace_exit.
		check_eq "$name: MapGPA ends at kvm_hypercall_done, no program on kvm_entry" \
			"mapgpa_hcall_done_btf" \
			"$(tr ' ' '\n' <<<"$progs" | grep -xE 'mapgpa_(hcall_done_(btf|raw)|entry_raw|uexit_raw)' | paste -sd' ')"
	else
		check_eq "$name: only the conversion programs are loaded" \
			"$conv_progs" "$progs"
		check_eq "$name: the mode record says MapGPA is not measured" '"mapgpa":false' \
			"$(grep -o '"mapgpa":false' "$out" | head -1)"
		match "$name" "conversions pages zapped(4k 2m 1g) flushes" "${truth% *}" "$tool" "$out"
	fi
	[ "${truth%% *}" -gt 0 ] && ok "$name: the workload converted memory (${truth%% *})" ||
		not_ok "$name: the workload converted memory"
	no_lost "$name" "$out"
	if [ -n "$hog" ]; then
		grep -q 'tdp_mmu_zap_leafs: .* yields [1-9]' "$tr" &&
			ok "$name: zaps yielded, so flushes include yield flushes" ||
			not_ok "$name: zaps yielded with a busy task on their CPU"
	fi
	conv_truth=$truth conv_out=$out
}

# private_mem_map_gpa_test -b N: the guest converts one page to private and
# back N times with KVM_HC_MAP_GPA_RANGE, serviced by KVM (in-kernel) or,
# with -u, by the VMM: every MapGPA must be attributed its one conversion,
# and go to userspace exactly when the VMM services it.
mapgpa_case() { # NAME "kernel"|"userspace" ITERATIONS
	local name=$1 mode=$2 iters=$3 flag=() count exits convs a2 priv=0
	wanted "$name" || return 0
	[ "$mode" = kernel ] || read -ra flag <<<"${MAPGPA_USERSPACE:--u}"
	conv_truth=
	conversions_case "$name" private_mem_map_gpa_test -b "$iters" "${flag[@]}"
	[ -n "$conv_truth" ] || return
	count=$(grep '"type":"final"' "$conv_out" | grep -o '"vcpu":[0-9]*,"count":[0-9]*' |
		awk -F: '{ s += $3 } END { print s + 0 }')
	exits=$(grep '"type":"final"' "$conv_out" | grep -o '"userspace_exits":[0-9]*' |
		awk -F: '{ s += $2 } END { print s + 0 }')
	convs=$(grep '"type":"final"' "$conv_out" | grep -o '"conversions":[0-9]*' |
		awk -F: '{ s += $2 } END { print s + 0 }')
	check_eq "$name: $((2 * iters)) MapGPA requests, one conversion each" \
		"$((2 * iters)) $((2 * iters))" "$count $convs"
	check_eq "$name: requests that went to userspace" \
		"$([ "$mode" = kernel ] && echo 0 || echo $((2 * iters)))" "$exits"
	# To private: KVM_MAP_GPA_RANGE_ENCRYPTED (bit 4) in a2, per tracefs.
	while read -r a2; do
		((a2 & 0x10)) && priv=$((priv + 1))
	done <<<"$(grep -o 'kvm_hypercall: nr 0xc .* a2 0x[0-9a-f]*' "$WORK/$name.trace" |
		sed 's/.* a2 //')"
	check_eq "$name: requests to private, tracefs and tdx-trace (half of them)" \
		"$iters $iters" "$priv $(grep '"type":"final"' "$conv_out" |
			grep -o '"to_private":[0-9]*' | awk -F: '{ s += $2 } END { print s + 0 }')"
}

# Causes of the changed computations in a tracefs dump, decoded here from
# the role words (kvm_host.h layouts): "init nested smm mode".  The event
# says the cause where KVM knows it (cpuid: init; npt, ept: nested;
# cr0_wp: mode) and "reset" otherwise, decoded from its one word: a
# walker's cpu_role, or an MMU's root_role (none before: init).
truth_causes() { # TRACE
	local line oc nc init=0 nested=0 smm=0 mode=0 moved role cause
	while IFS= read -r line; do
		[[ $line =~ kvm_mmu_role:\ vcpu\ [0-9]+\ ([a-z_]+)\ ([a-z0-9_]+)\ ([0-9a-f]+)\ -\>\ ([0-9a-f]+)\ changed$ ]] ||
			continue
		role=${BASH_REMATCH[1]} cause=${BASH_REMATCH[2]}
		oc=$((16#${BASH_REMATCH[3]})) nc=$((16#${BASH_REMATCH[4]}))
		moved=$((oc ^ nc))
		case $cause in
		cpuid) init=$((init + 1)) ;;
		npt | ept) nested=$((nested + 1)) ;;
		cr0_wp) mode=$((mode + 1)) ;;
		*)
			if [[ $role == *_walk ]] && ((((oc >> 32) & 1) == 0)); then init=$((init + 1))
			elif [[ $role == *_mmu ]] && ((oc == 0)); then init=$((init + 1))
			elif ((moved & (1 << 17))); then nested=$((nested + 1))
			elif ((moved & (0xff << 24))); then smm=$((smm + 1))
			else mode=$((mode + 1)); fi ;;
		esac
	done <"$1"
	echo "$init $nested $smm $mode"
}

sum_json() { # FIELD-REGEX JSON: sum the numbers of "FIELD":N
	grep -o "\"$1\":[0-9]*" <<<"$2" | awk -F: '{ s += $NF } END { print s + 0 }'
}

roles_case() { # NAME SELFTEST CAUSE-THE-WORKLOAD-MUST-SHOW
	local name=$1 st rc out=$WORK/$1.json tr=$WORK/$1.trace final truth tool m c
	wanted "$name" || return 0
	st=$(selftest "$2") || { not_ok "$name: $2 is in the selftests"; return; }
	trace_start kvmmmu/kvm_mmu_role
	if ! tool_start "$out" roles; then
		not_ok "$name: tdx-trace roles attached" "$(cat "$out.err")"
		return
	fi
	"$st" >"$WORK/$name.selftest" 2>&1; rc=$?
	tool_stop
	check_eq "$name: $2 passes" 0 "$rc"
	trace_stop "$tr" || not_ok "$name: tracefs kept every event"
	final=$(grep '"type":"final"' "$out")

	truth="$(grep -c 'kvm_mmu_role:' "$tr") $(grep -c 'kvm_mmu_role:.* changed$' "$tr")"
	truth+=" $(grep -c 'kvm_mmu_role:.* unchanged$' "$tr")"
	tool="$(sum_json computed "$final") $(sum_json changed "$final") $(sum_json unchanged "$final")"
	# Roles as tracefs names them, and as tdx-trace does.
	local -a roles=(gva_walk ngpa_walk root_mmu guest_mmu) names=(gva_walk ngpa_walk root guest)
	for m in "${!roles[@]}"; do
		truth+=" $(grep -c "kvm_mmu_role: vcpu [0-9]* ${roles[$m]} " "$tr")"
		tool+=" $(grep -o "\"mmu\":\"${names[$m]}\",\"computed\":[0-9]*" <<<"$final" |
			awk -F: '{ s += $NF } END { print s + 0 }')"
	done
	match "$name" "computed changed unchanged, per role ${names[*]}," "$truth" "$tool" "$out"

	truth=$(truth_causes "$tr")
	tool=""
	for c in init nested smm mode; do tool+="$(sum_json "$c" "$final") "; done
	match "$name" "causes init nested smm mode (from the role words in tracefs)" "$truth" "${tool% }" "$out"
	no_lost "$name" "$out"
	c=$(sum_json "$3" "$final")
	[ "$c" -gt 0 ] && ok "$name: the workload shows cause $3 ($c)" ||
		not_ok "$name: the workload shows cause $3" "$final"

	if grep -q '"init_mmu_cost":true' "$out"; then
		grep -q '"init_mmu_ns":{"count":[1-9]' <<<"$final" &&
			ok "$name: kvm_init_mmu cost measured" ||
			not_ok "$name: kvm_init_mmu cost measured" "$final"
	else
		not_ok "$name: kvm_init_mmu fentry available in the lab kernel" "$(cat "$out.err")"
	fi
}

# Sourced: the functions only.
[ "${BASH_SOURCE[0]}" = "$0" ] || return 0

conversions_case conv-1vcpu private_mem_conversions_test -n 1
MAPGPA=0 conversions_case conv-default private_mem_conversions_test -n 1
conversions_case conv-2vcpu-2slots private_mem_conversions_test -n 2 -m 2
HOG=1 conversions_case conv-yields private_mem_conversions_test -n 2 -m 2
# Shared memory from 2M hugetlb pages: the zaps include 2M SPTEs.
echo 64 >/proc/sys/vm/nr_hugepages
[ "$(cat /proc/sys/vm/nr_hugepages)" -ge 8 ] ||
	not_ok "reserve 2M huge pages for the hugetlb case" "nr_hugepages=$(cat /proc/sys/vm/nr_hugepages)"
conversions_case conv-hugetlb-2m private_mem_conversions_test -s anonymous_hugetlb_2mb
# The in-kernel MapGPA RFC (and its selftest) is in the 6.12 series only.
if selftest private_mem_map_gpa_test >/dev/null; then
	mapgpa_case mapgpa-in-kernel kernel 50
	mapgpa_case mapgpa-userspace userspace 50
else
	echo "# no private_mem_map_gpa_test here: the series has no in-kernel MapGPA"
fi
roles_case roles-cr4-cpuid cr4_cpuid_sync_test init
# svm_vmcall_test's L1 runs L2 without nested NPT: the root MMU flips
# guest_mode on every VMRUN and #VMEXIT.
roles_case roles-nested-svm svm_vmcall_test nested

echo "1..$n"
[ "$failed" -eq 0 ]
