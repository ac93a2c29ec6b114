#!/bin/bash
# The churn soak's guest side (see tests/lab/80-churn.sh): ground truth
# from tracefs, the exporter and both CLIs running, and VMs of the
# selftests' kinds started several at a time and SIGKILLed at random
# points for CHURN_SECONDS.
#
# Results in $KVMSCOPE_RESULTS: exporter.log, tdx-trace.json,
# hvflush-top.json, churn.log (one line per VM: start, end, how),
# process.log ("SECONDS rss_kB fds" of the exporter every 2 s), counts
# (tracefs's), and the phase markers idle, churn-start, churn-end, done.
set -u
R=$KVMSCOPE_RESULTS T=/sys/kernel/tracing
B=$KVMSCOPE_REPO/build
churn_seconds=${CHURN_SECONDS:?} grace=${GRACE:?} slots=${SLOTS:-3}

selftest() {
	local p
	for p in "$KVMSCOPE_SELFTESTS/x86/$1" "$KVMSCOPE_SELFTESTS/$1"; do
		[ -x "$p" ] && { echo "$p"; return 0; }
	done
	return 1
}
# A sleep that forks nothing: a soak must not wrap PIDs by itself.
mkfifo /tmp/tick
exec 9<>/tmp/tick
nap() { read -rt "$1" -u 9; }
# Whether PID runs (a zombie does not), without forking.
alive() {
	local st
	read -r st 2>/dev/null <"/proc/$1/stat" || return 1
	st=${st##*) }
	[ "${st%% *}" != Z ]
}

# --- ground truth: every event, read from trace_pipe as it comes
echo 0 >"$T/tracing_on"
echo 0 >"$T/events/enable"
echo 65536 >"$T/buffer_size_kb"
: >"$T/trace"
for e in kvm/kvm_vm_set_mem_attributes_done kvmmmu/kvm_mmu_role \
	 kvm/kvm_hv_flush_tlb_enqueue; do
	echo 1 >"$T/events/$e/enable"
done
cat "$T/trace_pipe" >/tmp/trace.txt &
tracer=$!
echo 1 >"$T/tracing_on"

# --- the watchers
"$B/kvmscope-exporter" --listen 0.0.0.0:9789 --per-vcpu --mapgpa --grace "$grace" --zero-hold 3 \
	2>"$R/exporter.log" &
epid=$!
"$B/tdx-trace" -s -j --mapgpa 10 >"$R/tdx-trace.json" 2>"$R/tdx-trace.err" &
tpid=$!
"$B/hvflush-top" -b -j -d 10 >"$R/hvflush-top.json" 2>"$R/hvflush-top.err" &
hpid=$!
for _ in $(seq 100); do
	grep -q '^serving' "$R/exporter.log" && break
	nap 0.2
done
sample() {
	local rss fds
	rss=$(awk '$1 == "VmRSS:" { print $2 }' "/proc/$epid/status" 2>/dev/null)
	fds=("/proc/$epid/fd/"*)
	echo "$SECONDS ${rss:-gone} ${#fds[@]}" >>"$R/process.log"
}
sample
touch "$R/idle"
# The host records the idle state (map fill) before any VM runs.
while [ ! -e "$R/go" ] && [ ! -e "$R/stop" ]; do nap 0.2; done

# --- the churn: SLOTS VMs at a time, each SIGKILLed at a random point
# in its first 12 s unless it ends by itself first, so kills land
# mid-conversion, mid-flush and mid-MapGPA.
echo 64 >/proc/sys/vm/nr_hugepages
kinds=(
	"private_mem_conversions_test -n 2 -m 2"
	"private_mem_conversions_test -n 1 -s anonymous_hugetlb_2mb"
	"hyperv_tlb_flush"
	"hyperv_tlb_flush_overflow"
	"hyperv_svm_test"
	"cr4_cpuid_sync_test"
	"svm_vmcall_test"
)
declare -a pid kind deadline
started=0 killed=0 completed=0 failed=0
end_of() { # SLOT: reap the slot's VM and log how it ended
	local s=$1 rc how
	wait "${pid[s]}"; rc=$?
	if [ "${deadline[s]}" = killed ]; then
		how=killed killed=$((killed + 1))
	elif [ "$rc" -eq 0 ]; then
		how=completed completed=$((completed + 1))
	else
		how="failed rc $rc" failed=$((failed + 1))
	fi
	echo "$SECONDS end ${pid[s]} $how" >>"$R/churn.log"
	pid[s]=
}
touch "$R/churn-start"
end=$((SECONDS + churn_seconds)) next_sample=$SECONDS
while [ "$SECONDS" -lt "$end" ]; do
	now=${EPOCHREALTIME/./}
	for ((s = 0; s < slots; s++)); do
		if [ -n "${pid[s]:-}" ]; then
			if ! alive "${pid[s]}"; then
				end_of "$s"
			elif [ "${deadline[s]}" != killed ] && [ "$now" -ge "${deadline[s]}" ]; then
				kill -KILL "${pid[s]}" 2>/dev/null && deadline[s]=killed
				end_of "$s"
			fi
		fi
		[ -z "${pid[s]:-}" ] || continue
		k=${kinds[RANDOM % ${#kinds[@]}]}
		st=$(selftest "${k%% *}") || { echo "$SECONDS missing ${k%% *}" >>"$R/churn.log"; continue; }
		# shellcheck disable=SC2086 # the kind's arguments split on purpose
		"$st" ${k#"${k%% *}"} >/dev/null 2>&1 &
		pid[s]=$! kind[s]=$k started=$((started + 1))
		deadline[s]=$((now + (RANDOM % 12000 + 100) * 1000))
		echo "$SECONDS start ${pid[s]} $k" >>"$R/churn.log"
	done
	if [ "$SECONDS" -ge "$next_sample" ]; then
		sample
		next_sample=$((SECONDS + 2))
	fi
	nap 0.1
done
for ((s = 0; s < slots; s++)); do
	[ -z "${pid[s]:-}" ] && continue
	kill -KILL "${pid[s]}" 2>/dev/null && deadline[s]=killed
	end_of "$s"
done
echo "vms started $started killed $killed completed $completed failed $failed" >"$R/churn.tmp"
mv "$R/churn.tmp" "$R/churn"
touch "$R/churn-end"

# --- after the churn: the exporter forgets the dead VMs after the grace
# period; the process samples go on so the host sees the idle level.
nap 1
echo 0 >"$T/tracing_on"
kill "$tracer"
wait "$tracer" 2>/dev/null
# What trace_pipe had not handed over yet is still in the buffer.
grep -v '^#' "$T/trace" >>/tmp/trace.txt
{
	overrun=0
	for f in "$T"/per_cpu/cpu*/stats; do
		overrun=$((overrun + $(awk '$1 == "overrun:" { print $2 }' "$f")))
	done
	echo "overrun $overrun"
	sed -n 's/.*kvm_vm_set_mem_attributes_done: .* \[\(0x[0-9a-f]*\)\].*/\1/p' /tmp/trace.txt | {
		priv=0 shared=0
		while read -r a; do
			if (($a & 8)); then priv=$((priv + 1)); else shared=$((shared + 1)); fi
		done
		echo "conv_private $priv"
		echo "conv_shared $shared"
	}
	echo "role_computed $(grep -c 'kvm_mmu_role:' /tmp/trace.txt)"
	echo "role_changed $(grep -c 'kvm_mmu_role:.* changed$' /tmp/trace.txt)"
	echo "enq_l1 $(grep -c 'kvm_hv_flush_tlb_enqueue: vcpu [0-9]* L1 ' /tmp/trace.txt)"
	echo "enq_l2 $(grep -c 'kvm_hv_flush_tlb_enqueue: vcpu [0-9]* L2 ' /tmp/trace.txt)"
	echo "overflow $(grep -c 'kvm_hv_flush_tlb_enqueue: .* requested [1-9][0-9]* inserted [0-9]* flush_all ' /tmp/trace.txt)"
} >"$R/counts.tmp" && mv "$R/counts.tmp" "$R/counts"

kill -INT "$tpid" "$hpid"
wait "$tpid"; echo "tdx-trace exit $?" >>"$R/exits"
wait "$hpid"; echo "hvflush-top exit $?" >>"$R/exits"
# Serve (and sample) until the host has what it needs.
while [ ! -e "$R/stop" ]; do
	sample
	nap 1
done
kill "$epid"
wait "$epid"
echo "exporter exit $?" >>"$R/exits"
touch "$R/done"
