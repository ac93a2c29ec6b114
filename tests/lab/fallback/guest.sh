#!/bin/bash
# Inside the lab guest on a kernel without the kvmscope series (Debian's
# stock kernels, KVM as modules, and the 7.3 lab kernel without it; run by
# tests/lab/30-fallback.sh through lab/run.sh).  Runs each
# tool in fallback mode against a workload while tracefs records the same
# events, and only gathers facts into $KVMSCOPE_RESULTS/fallback: all
# asserting is on the host.  Bash and busybox: a stock guest is an
# initramfs.
#
# Environment: KVMSCOPE_REPO (the tools are packed at build/ under it),
# KVMSCOPE_SELFTESTS, KVMSCOPE_RESULTS (set by lab/run.sh); SET_ATTRS (the
# KVM_SET_MEMORY_ATTRIBUTES helper, default the path the host suite builds).
set -u
B=$KVMSCOPE_REPO/build
SET_ATTRS=${SET_ATTRS:-$B/tests-lab/fallback/set_attrs}
R=$KVMSCOPE_RESULTS/fallback
T=/sys/kernel/tracing
mkdir -p "$R"

# Ranges the helper converts (GPA:SIZE:ATTRIBUTES; bit 3 = to private).
RANGES="0x100000000:0x200000:8 0x100000000:0x1000:0 0x200000000:0x10000:8 0x300000000:0x100000:0 0x400000000:0x3000:8"
echo "$RANGES" >"$R/ranges"

selftest() { # NAME: path of a KVM selftest
	local p
	for p in "$KVMSCOPE_SELFTESTS/x86/$1" "$KVMSCOPE_SELFTESTS/$1"; do
		[ -x "$p" ] && { echo "$p"; return 0; }
	done
	return 1
}

trace_start() { # EVENT[:FILTER]...: clear the buffer, enable exactly these
	local e
	echo 0 >"$T/tracing_on"
	echo 0 >"$T/events/enable"
	echo 16384 >"$T/buffer_size_kb"
	# Each line names the thread and its process: "comm-tid (tgid) [cpu]".
	echo 1 >"$T/options/record-tgid"
	: >"$T/trace"
	for e in "$@"; do
		case $e in
		*:*) echo "${e#*:}" >"$T/events/${e%%:*}/filter" ;;
		esac
		echo 1 >"$T/events/${e%%:*}/enable"
	done
	echo 1 >"$T/tracing_on"
}

trace_stop() { # FILE: save the buffer and how many events it dropped
	echo 0 >"$T/tracing_on"
	cat "$T/trace" >"$1"
	echo 0 >"$T/events/enable"
	awk '/^overrun:/ { s += $2 } END { print s + 0 }' "$T"/per_cpu/cpu*/stats >"$1.overrun"
}

# links NAME: the BPF links (and the programs, to name them) attached now.
links() {
	bpftool link show -j >"$R/links.$1" 2>&1
	bpftool prog show -j >"$R/progs.$1" 2>&1
}

start() { # NAME CMD...: run CMD in the background, stdout NAME.out, stderr NAME.err
	local name=$1 i
	shift
	"$@" >"$R/$name.out" 2>"$R/$name.err" &
	eval "${name}_pid=$!"
	# Attached once it printed something (the JSON mode line, a snapshot,
	# or "serving ...").
	for i in $(seq 300); do
		[ -s "$R/$name.out" ] || grep -q '^serving ' "$R/$name.err" && return 0
		kill -0 "$!" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

stop() { # NAME SIGNAL: end it and keep its exit status
	local pid
	eval "pid=\$${1}_pid"
	kill -"$2" "$pid"
	wait "$pid"
	echo $? >"$R/$1.rc"
}

uname -r >"$R/release"
grep -E '^(kvm|kvm_amd) ' /proc/modules >"$R/modules"
ls /sys/kernel/btf >"$R/btf"

# The exporter first: it sees every workload below.
links none
start exporter "$B/kvmscope-exporter" --listen 127.0.0.1:0 --interval 1 --mapgpa ||
	echo "exporter did not start" >>"$R/errors"
links exporter

# Conversions: tdx-trace in fallback mode; tracefs records the ioctls, the
# attribute changes KVM made (kvm_vm_set_mem_attributes, since 6.17) and
# the guest's MapGPA hypercalls.
attr_event=
[ ! -d "$T/events/kvm/kvm_vm_set_mem_attributes" ] || attr_event=kvm/kvm_vm_set_mem_attributes
echo "$attr_event" >"$R/attr_event"
# The SPTE changes and ioctl exits too: the zaps within each conversion.
trace_start 'syscalls/sys_enter_ioctl:cmd == 0x4020aed2' 'kvm/kvm_hypercall:nr == 12' $attr_event \
	kvmmmu/kvm_tdp_mmu_spte_changed syscalls/sys_exit_ioctl
start tdx "$B/tdx-trace" conversions --mapgpa -j || echo "tdx-trace did not start" >>"$R/errors"
links tdx
st=$(selftest private_mem_conversions_test) && "$st" >"$R/pmct.out" 2>&1
echo $? >"$R/pmct.rc"
# shellcheck disable=SC2086 # the ranges are words
SET_ATTRS_VM=1 "$SET_ATTRS" /dev/null $RANGES >"$R/set_attrs.out" 2>&1 &
echo $! >"$R/set_attrs.pid"
wait $!
echo $? >"$R/set_attrs.rc"
sleep 0.5	# let the ring buffer drain
stop tdx INT
trace_stop "$R/conv.trace"

# Hyper-V TLB flush hypercalls: hvflush-top in fallback mode.
trace_start kvm/kvm_hv_flush_tlb kvm/kvm_hv_flush_tlb_ex
start hvflush "$B/hvflush-top" -b -j -d 1 || echo "hvflush-top did not start" >>"$R/errors"
links hvflush
st=$(selftest hyperv_tlb_flush) && "$st" >"$R/hvtlb.out" 2>&1
echo $? >"$R/hvtlb.rc"
sleep 2.5	# two more snapshots: the last one has every hypercall
stop hvflush INT
trace_stop "$R/hv.trace"
awk '/kvm_hv_flush_tlb(_ex)?:/ { if ($NF == "(L2)") l2++; else l1++ }
     END { print l1 + 0, l2 + 0 }' "$R/hv.trace" >"$R/hv.counts"
# The counts are what matters: keep the trace short.
head -n 50 "$R/hv.trace" >"$R/hv.trace.head" && rm "$R/hv.trace"

# The exporter, which saw both workloads.  Scraped twice: a VM's first
# exposition has its counters at 0 (for rate()).
port=$(sed -n 's|^serving http://127.0.0.1:\([0-9]*\)/metrics$|\1|p' "$R/exporter.err")
busybox wget -q -O "$R/metrics.first" "http://127.0.0.1:${port:-0}/metrics" 2>"$R/wget.err" &&
	busybox wget -q -O "$R/metrics" "http://127.0.0.1:${port:-0}/metrics" 2>>"$R/wget.err"
echo $? >"$R/wget.rc"
stop exporter TERM

# roles has no fallback: it must say so.
"$B/tdx-trace" roles 1 1 >"$R/roles.out" 2>"$R/roles.err"
echo $? >"$R/roles.rc"
exit 0
