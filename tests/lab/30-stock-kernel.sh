#!/usr/bin/env bash
# The tools on Debian's stock 6.12 cloud kernel (KVM as modules, no
# kvmscope series): boots it once (lab/run.sh --kernel stock) and runs
# tests/lab/stock-kernel/guest.sh there, which runs each tool in fallback
# mode during a workload while tracefs records the same events:
#  - tdx-trace conversions -j during private_mem_conversions_test and a
#    helper issuing KVM_SET_MEMORY_ATTRIBUTES on a VM fd, against
#    sys_enter_ioctl(cmd 0x4020aed2) and kvm_hypercall(nr 12) in tracefs;
#  - hvflush-top -b -j during hyperv_tlb_flush, against kvm_hv_flush_tlb
#    and kvm_hv_flush_tlb_ex in tracefs;
#  - kvmscope-exporter through both, scraped over loopback;
#  - tdx-trace roles, which needs the series.
# Each tool must say it is in fallback mode and attach exactly the
# programs of that mode (on KVM=m, tp_btf needs the kvm module's BTF and
# its pointer arguments may be NULL to the verifier).  The guest only
# gathers facts; all asserting is here.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh

out=$PWD/build/tests-lab/stock-kernel
lab=$out/lab
R=$lab/stock
helper=$out/set_attrs
rm -rf "$lab"
mkdir -p "$out"

build() {
	make -s build/tdx-trace build/hvflush-top build/kvmscope-exporter &&
	cc -O2 -g -Wall -Wextra -Werror -Ibpf -o "$helper" tests/bpf/tdx-trace/set_attrs.c
}
if ! log=$(build 2>&1); then
	not_ok "build the tools and the ioctl helper" "$log"
	tap_done
	exit 1
fi

lab/run.sh -q --kernel stock --timeout 900 --results "$lab" --with "$helper" \
	--script tests/lab/stock-kernel/guest.sh >"$out/run.log" 2>&1
rc=$?
if [ "$rc" -ne 0 ]; then
	not_ok "the stock kernel booted and ran the job (lab/run.sh exit $rc)" \
		"$(tail -n 20 "$out/run.log"; cat "$lab/summary.txt" 2>/dev/null)"
	tap_done
	exit 1
fi
ok "the stock kernel booted and ran the job ($(grep -E '^(boot_s|job_s)=' "$lab/summary.txt" | tr '\n' ' '))"

f() { cat "$R/$1" 2>/dev/null; }   # a fact, "" if missing
check "the job had no errors" test ! -s "$R/errors"
stock_release=$(. lab/versions.sh && r=${STOCK_KERNEL_PKG#linux-image-} && echo "${r%-unsigned}")
check_eq "kernel: Debian's stock release" "$stock_release" "$(f release)"
check_eq "kernel: KVM as modules (kvm, kvm_amd)" "kvm kvm_amd" "$(awk '{ print $1 }' "$R/modules" | sort | xargs)"
check "kernel: the kvm module has BTF (tp_btf and CO-RE on struct kvm)" grep -qx kvm "$R/btf"

# attached NAME BEFORE: the programs of the links NAME added to BEFORE's.
attached() {
	jq -rn --slurpfile before "$R/links.$2" --slurpfile now "$R/links.$1" \
		--slurpfile progs "$R/progs.$1" '
		[$before[0][].id] as $old
		| [$now[0][] | select(.id as $i | $old | index($i) | not) | .prog_id] as $ids
		| [$progs[0][] | select(.id as $p | $ids | index($p)) | .name] | sort | join(" ")' 2>&1
}
conv_progs="fb_ioctl_enter fb_ioctl_exit fb_spte_changed_raw mapgpa_entry_raw mapgpa_hcall_raw mapgpa_uexit_raw"
hv_progs="flush_tlb_btf flush_tlb_ex_btf"

# ---- tdx-trace conversions
mode=$(jq -r 'select(.type == "mode") | .mode' "$R/tdx.out" 2>&1)
check_eq "tdx-trace: JSON mode record says fallback" fallback "$mode"
check "tdx-trace: the mode line says fallback" grep -q '^mode: fallback: kernel without the kvmscope series' "$R/tdx.err"
check_eq "tdx-trace --mapgpa: attached the fallback and MapGPA programs" "$conv_progs" "$(attached tdx exporter)"
check_eq "tdx-trace: SIGINT ends it cleanly" 0 "$(f tdx.rc)"
check_eq "tracefs kept every ioctl and hypercall event" 0 "$(f conv.trace.overrun)"

# private_mem_conversions_test needs KVM_X86_SW_PROTECTED_VM, which the
# cloud kernel leaves out (CONFIG_KVM_SW_PROTECTED_VM): it skips (4).
pmct_rc=$(f pmct.rc)
case $pmct_rc in
0) ok "private_mem_conversions_test passes" ;;
4) ok "private_mem_conversions_test skips here: $(grep -o 'Requirement not met.*' "$R/pmct.out" | head -1)" ;;
*) not_ok "private_mem_conversions_test passes or skips (exit $pmct_rc)" "$(tail -n 10 "$R/pmct.out")" ;;
esac
check_eq "the ioctl helper ran" 0 "$(f set_attrs.rc)"

# Ground truth: KVM_SET_MEMORY_ATTRIBUTES ioctls per process in tracefs;
# the helper's pages and results from what it asked and got.
per_pid_trace=$(grep -o -- '-[0-9]* *\[[0-9]*\].*sys_ioctl(' "$R/conv.trace" |
	sed 's/^-\([0-9]*\).*/\1/' | sort | uniq -c | awk '{ print $2, $1 }' | xargs)
per_pid_tool=$(jq -r 'select(.type == "conversion") | .pid' "$R/tdx.out" |
	sort | uniq -c | awk '{ print $2, $1 }' | xargs)
check_eq "conversions per process (pid count): tdx-trace = tracefs ioctls" "$per_pid_trace" "$per_pid_tool"
hpid=$(f set_attrs.pid)
want_pages=$(for r in $(f ranges); do IFS=: read -r _ size _ <<<"$r"; echo $((size / 4096)); done | xargs)
want_dirs=$(for r in $(f ranges); do IFS=: read -r _ _ a <<<"$r"; ((a & 8)) && echo private || echo shared; done | xargs)
sel=".type == \"conversion\" and .pid == ${hpid:-0}"
check_eq "helper: pages per conversion" "$want_pages" "$(jq -r "select($sel) | .pages" "$R/tdx.out" | xargs)"
check_eq "helper: direction per conversion" "$want_dirs" "$(jq -r "select($sel) | .direction" "$R/tdx.out" | xargs)"
check_eq "helper: the ioctls' results (no memory attributes here: -ENOTTY)" \
	"$(sed -n 's/^ret //p' "$R/set_attrs.out" | xargs)" "$(jq -r "select($sel) | .ret" "$R/tdx.out" | xargs)"
final=$(jq -c 'select(.type == "final")' "$R/tdx.out")
ioctls=$(grep -c 'sys_ioctl(' "$R/conv.trace")
pages=$(echo "$want_pages" | tr ' ' '+' | bc)
check_eq "final summary: conversions and pages" "$ioctls $pages" \
	"$(jq -r '"\(.totals.count) \(.totals.pages)"' <<<"$final")"
check_eq "final summary: no lost events" 0 "$(jq -r '.lost.total' <<<"$final")"
# MapGPA: the guest's KVM_HC_MAP_GPA_RANGE hypercalls, and those asking the
# VMM to set attributes (private_mem_conversions_test's flag, a2 bit 0).
hc=$(grep -c 'kvm_hypercall:' "$R/conv.trace")
hc_set=0
while read -r a2; do
	((a2 & 1)) && hc_set=$((hc_set + 1))
done <<<"$(grep -o 'kvm_hypercall: nr 0xc .* a2 0x[0-9a-f]*' "$R/conv.trace" | sed 's/.* a2 //')"
check_eq "MapGPA hypercalls: tdx-trace = tracefs" "$hc" "$(jq -r '[.mapgpa[].count] | add // 0' <<<"$final")"
pmct_convs=$(jq -r "select(.type == \"conversion\" and .pid != ${hpid:-0}) | .pid" "$R/tdx.out" | wc -l)
check_eq "private_mem_conversions_test: conversions = hypercalls asking to set attributes" "$hc_set" "$pmct_convs"
echo "# tdx-trace on the stock kernel: $ioctls conversions ($pages pages), tracefs $ioctls ioctls; $hc MapGPA hypercalls ($hc_set setting attributes)"

# ---- hvflush-top
last=$(tail -n 1 "$R/hvflush.out")
check_eq "hvflush-top: JSON says fallback" fallback "$(jq -r '.mode' <<<"$last" 2>&1)"
check_eq "hvflush-top: attached the hypercall programs, tp_btf (kvm module BTF)" "$hv_progs" "$(attached hvflush exporter)"
check_eq "hyperv_tlb_flush passes" 0 "$(f hvtlb.rc)"
check_eq "hvflush-top: SIGINT ends it cleanly" 0 "$(f hvflush.rc)"
check_eq "tracefs kept every flush hypercall event" 0 "$(f hv.trace.overrun)"
read -r l1 l2 <<<"$(f hv.counts)"
check "the workload flushed (L1 hypercalls: ${l1:-none})" test "${l1:-0}" -gt 0
check_eq "hypercalls L1 L2: hvflush-top = tracefs" "${l1:-?} ${l2:-?}" \
	"$(jq -r '"\(.totals.hypercalls_l1) \(.totals.hypercalls_l2)"' <<<"$last" 2>&1)"
check_eq "hvflush-top: nothing lost" 0 "$(jq -r '.totals.lost' <<<"$last" 2>&1)"
echo "# hvflush-top on the stock kernel: $l1 L1 and $l2 L2 flush hypercalls, tracefs the same"

# ---- kvmscope-exporter
check "exporter: the mode line says fallback" grep -qx 'mode: fallback' "$R/exporter.err"
check_eq "exporter --mapgpa: attached the conversion and hypercall programs" \
	"$(echo $conv_progs $hv_progs | tr ' ' '\n' | sort | xargs)" "$(attached exporter none)"
check_eq "exporter: /metrics fetched" 0 "$(f wget.rc)"
m() { sed -n "s/^$1 //p" "$R/metrics"; }
check "exporter: kvmscope_info says fallback" grep -q '^kvmscope_info{.*mode="fallback"} 1$' "$R/metrics"
check_eq "exporter: conversions and hvflush collectors up" "1 1" \
	"$(m 'kvmscope_collector_up{collector="conversions"}') $(m 'kvmscope_collector_up{collector="hvflush"}')"
check_eq "exporter: L1 flush hypercalls = tracefs" "$l1" "$(m 'kvmscope_hv_tlb_flush_hypercalls_total{issuer="l1"}')"
hvm="vm=\"kvm-${hpid:-0}\",vm_name=\"set_attrs\""
# The helper exited before the scrapes: kept for the grace period, and
# named by the comm the kernel recorded.
check_eq "exporter: the helper's conversions to private, shared, and failed" \
	"$(grep -o private <<<"$want_dirs" | wc -l) $(grep -o shared <<<"$want_dirs" | wc -l) $(wc -w <<<"$want_dirs")" \
	"$(m "kvmscope_mem_conversions_total{$hvm,direction=\"private\"}") $(m "kvmscope_mem_conversions_total{$hvm,direction=\"shared\"}") $(($(m "kvmscope_mem_conversion_errors_total{$hvm,direction=\"private\"}") + $(m "kvmscope_mem_conversion_errors_total{$hvm,direction=\"shared\"}")))"
check_eq "exporter: SIGTERM ends it cleanly" 0 "$(f exporter.rc)"

# ---- tdx-trace roles
check_eq "roles: exit 1 without the series" 1 "$(f roles.rc)"
check "roles: says it needs the kvmscope series" grep -q 'roles needs the kvmscope series' "$R/roles.err"

tap_done
