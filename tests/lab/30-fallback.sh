#!/usr/bin/env bash
# The tools on kernels without the kvmscope series, in fallback mode:
# Debian's stock 6.12 and 7.3 cloud kernels (KVM as modules) and the 7.3 lab
# kernel without its series (KVM built in, memory attributes on).  Boots each once and runs
# tests/lab/fallback/guest.sh there, which runs each tool during a workload
# while tracefs records the same events:
#  - tdx-trace conversions -j during private_mem_conversions_test and a
#    helper issuing KVM_SET_MEMORY_ATTRIBUTES on a VM fd.  Where the kernel
#    has kvm:kvm_vm_set_mem_attributes (7.x), the tool must use it, and
#    tracefs's records of it are the truth; on 6.12 the tool brackets the
#    ioctl, and tracefs's sys_enter_ioctl(cmd 0x4020aed2) is.  MapGPA
#    hypercalls against kvm_hypercall(nr 12);
#  - hvflush-top -b -j during hyperv_tlb_flush, against kvm_hv_flush_tlb
#    and kvm_hv_flush_tlb_ex in tracefs;
#  - kvmscope-exporter through both, scraped over loopback;
#  - tdx-trace roles, which needs the series.
# Each tool must say it is in fallback mode, name its events, and attach
# exactly the programs of that mode (on KVM=m, tp_btf needs the kvm
# module's BTF).  The guest only gathers facts; all asserting is here.
# FALLBACK_KERNELS="7.3-stock" limits the kernels.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh
. lab/versions.sh

out=$PWD/build/tests-lab/fallback
helper=$out/set_attrs
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

ioctl_progs="conv_task_exit fb_ioctl_enter fb_ioctl_exit fb_spte_changed_raw"
attr_progs="conv_attrs_raw conv_task_exit fb_ioctl_enter fb_ioctl_exit fb_spte_changed_raw"
mapgpa_progs="mapgpa_entry_raw mapgpa_hcall_raw mapgpa_uexit_raw"
hv_progs="flush_tlb_btf flush_tlb_ex_btf"

# boot KERNEL: boot it once with the guest job; lab/run.sh's status in .rc.
boot() {
	local with=()
	# A stock guest has only what its initramfs packs; a patched one sees
	# the host's files.
	[ "${1##*-}" != stock ] || with=(--with "$helper")
	rm -rf "$out/$1"
	lab/run.sh -q --kernel "$1" --timeout 900 --results "$out/$1" "${with[@]}" \
		--script tests/lab/fallback/guest.sh >"$out/$1.run.log" 2>&1
	echo $? >"$out/$1.rc"
}

# fallback KERNEL: check every tool against tracefs in what its boot gathered.
fallback() {
	local k=$1 line=${1%-*} flavour=${1##*-} lab=$out/$1 R conv_set rc
	R=$lab/fallback
	rc=$(cat "$out/$k.rc" 2>/dev/null || echo none)
	if [ "$rc" != 0 ]; then
		not_ok "$k: booted and ran the job (lab/run.sh exit $rc)" \
			"$(tail -n 20 "$out/$k.run.log"; cat "$lab/summary.txt" 2>/dev/null)"
		return
	fi
	ok "$k: booted and ran the job ($(grep -E '^(boot_s|job_s)=' "$lab/summary.txt" | tr '\n' ' '))"

	f() { cat "$R/$1" 2>/dev/null; }   # a fact, "" if missing
	check "$k: the job had no errors" test ! -s "$R/errors"
	if [ "$flavour" = stock ]; then
		check_eq "$k: Debian's stock release" "$(_release "$line")" "$(f release)"
		check_eq "$k: KVM as modules (kvm, kvm_amd)" "kvm kvm_amd" "$(awk '{ print $1 }' "$R/modules" | sort | xargs)"
		check "$k: the kvm module has BTF (tp_btf and CO-RE on struct kvm)" grep -qx kvm "$R/btf"
	fi
	# Where the kernel has upstream's kvm_vm_set_mem_attributes the tool
	# must use it (the lab's 7.3 kernel must have it; Debian's cloud
	# kernels, without memory attributes, do not); else the ioctl.
	conv_set=ioctl
	[ "$(f attr_event)" != kvm/kvm_vm_set_mem_attributes ] || conv_set=attr
	[ "$k" != 7.3-unpatched ] || check_eq "$k: has kvm:kvm_vm_set_mem_attributes" attr "$conv_set"

	# attached NAME BEFORE: the programs of the links NAME added to BEFORE's.
	attached() {
		jq -rn --slurpfile before "$R/links.$2" --slurpfile now "$R/links.$1" \
			--slurpfile progs "$R/progs.$1" '
			[$before[0][].id] as $old
			| [$now[0][] | select(.id as $i | $old | index($i) | not) | .prog_id] as $ids
			| [$progs[0][] | select(.id as $p | $ids | index($p)) | .name] | sort | join(" ")' 2>&1
	}
	local conv_progs
	if [ "$conv_set" = attr ]; then conv_progs=$attr_progs; else conv_progs=$ioctl_progs; fi
	conv_progs=$(echo $conv_progs $mapgpa_progs | tr ' ' '\n' | sort | xargs)

	# ---- tdx-trace conversions
	check_eq "$k: tdx-trace JSON mode record says fallback" fallback \
		"$(jq -r 'select(.type == "mode") | .mode' "$R/tdx.out" 2>&1)"
	check "$k: tdx-trace's mode line says fallback" grep -q '^mode: fallback: kernel without the kvmscope series' "$R/tdx.err"
	# The mode lines name the events used.
	local uses='using kvm:kvm_vm_set_mem_attributes and the ioctl on VM files'
	[ "$conv_set" = attr ] || uses='using the KVM_SET_MEMORY_ATTRIBUTES ioctl on VM files'
	check "$k: tdx-trace's mode line: $uses" grep -q "^mode: fallback: .*$uses\$" "$R/tdx.err"
	check "$k: the exporter's line for conversions: $uses" \
		grep -q "^collecting conversions: fallback: .*$uses\$" "$R/exporter.err"
	check_eq "$k: tdx-trace --mapgpa attached its mode's programs" "$conv_progs" "$(attached tdx exporter)"
	check_eq "$k: tdx-trace: SIGINT ends it cleanly" 0 "$(f tdx.rc)"
	check_eq "$k: tracefs kept every event" 0 "$(f conv.trace.overrun)"

	# private_mem_conversions_test needs KVM_X86_SW_PROTECTED_VM, which the
	# cloud kernels leave out (CONFIG_KVM_SW_PROTECTED_VM): it skips (4).
	local pmct_rc
	pmct_rc=$(f pmct.rc)
	case $pmct_rc in
	0) ok "$k: private_mem_conversions_test passes" ;;
	4) ok "$k: private_mem_conversions_test skips here: $(grep -o 'Requirement not met.*' "$R/pmct.out" | head -1)" ;;
	*) not_ok "$k: private_mem_conversions_test passes or skips (exit $pmct_rc)" "$(tail -n 10 "$R/pmct.out")" ;;
	esac
	check_eq "$k: the ioctl helper ran" 0 "$(f set_attrs.rc)"

	# Ground truth, per process (the tgid tracefs records with each line: a
	# VMM converts from its vCPU threads): the attribute changes tracefs
	# recorded, or the KVM_SET_MEMORY_ATTRIBUTES ioctls.
	local truth='sys_ioctl(' hpid per_pid_trace per_pid_tool want_pages want_dirs want_rets sel n pages
	[ "$conv_set" = ioctl ] || truth='kvm_vm_set_mem_attributes:'
	per_pid_trace=$(grep -F -- "$truth" "$R/conv.trace" | grep -oE -- '-[0-9]+ +\( *[0-9]+\) +\[' |
		sed -E 's/.*\( *([0-9]+)\).*/\1/' | sort | uniq -c | awk '{ print $2, $1 }' | xargs)
	per_pid_tool=$(jq -r 'select(.type == "conversion") | .pid' "$R/tdx.out" |
		sort | uniq -c | awk '{ print $2, $1 }' | xargs)
	check_eq "$k: conversions per process (pid count): tdx-trace = tracefs" "$per_pid_trace" "$per_pid_tool"
	hpid=$(f set_attrs.pid)
	if [ "$conv_set" = attr ]; then
		# "start -- end [attr]" in gfns, the helper's only.
		want_pages=$(grep -E -- "\( *$hpid\) +\[.*kvm_vm_set_mem_attributes:" "$R/conv.trace" |
			sed 's/.*: \(0x[0-9a-f]*\) -- \(0x[0-9a-f]*\) \[\(0x[0-9a-f]*\)\].*/\1 \2 \3/' |
			while read -r s e a; do echo $((e - s)); done | xargs)
		want_dirs=$(grep -E -- "\( *$hpid\) +\[.*kvm_vm_set_mem_attributes:" "$R/conv.trace" |
			sed 's/.*\[\(0x[0-9a-f]*\)\].*/\1/' |
			while read -r a; do ((a & 8)) && echo private || echo shared; done | xargs)
		want_rets=$(for _ in $want_pages; do echo 0; done | xargs)
	else
		want_pages=$(for r in $(f ranges); do IFS=: read -r _ size _ <<<"$r"; echo $((size / 4096)); done | xargs)
		want_dirs=$(for r in $(f ranges); do IFS=: read -r _ _ a <<<"$r"; ((a & 8)) && echo private || echo shared; done | xargs)
		want_rets=$(sed -n 's/^ret //p' "$R/set_attrs.out" | xargs)
	fi
	sel=".type == \"conversion\" and .pid == ${hpid:-0}"
	check_eq "$k: helper: pages per conversion" "$want_pages" "$(jq -r "select($sel) | .pages" "$R/tdx.out" | xargs)"
	check_eq "$k: helper: direction per conversion" "$want_dirs" "$(jq -r "select($sel) | .direction" "$R/tdx.out" | xargs)"
	check_eq "$k: helper: the ioctls' results" "$want_rets" "$(jq -r "select($sel) | .ret" "$R/tdx.out" | xargs)"
	# Zaps: the present leaf SPTEs (4K, or 2M/1G with the page-size bit)
	# that became non-present on a converting thread, between its
	# conversion's start and its ioctl's exit, per level.
	local begin=' sys_ioctl\\(fd: .*cmd: 0x4020aed2' want_zaps
	[ "$conv_set" = ioctl ] || begin=' kvm_vm_set_mem_attributes: '
	want_zaps=$(awk -v begin="$begin" '
		function hex(s,  i, v) {
			v = 0
			for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
			return v
		}
		# Low three hex digits: bit 11 present, bit 7 page size.
		function low(s) { return hex(substr(s, length(s) > 3 ? length(s) - 2 : 1)) }
		function tid() { match($0, /-[0-9]+ +\(/); return substr($0, RSTART + 1, RLENGTH - 2) + 0 }
		$0 ~ begin { open[tid()] = 1; next }
		/ kvm_tdp_mmu_spte_changed: / {
			t = tid()
			if (!open[t]) next
			for (i = 1; i < NF; i++) { if ($i == "level") l = $(i + 1); if ($i == "old_spte") o = $(i + 1); if ($i == "new_spte") n = $(i + 1) }
			if (int(low(o) / 2048) % 2 && (l == 1 || int(low(o) / 128) % 2) && !(int(low(n) / 2048) % 2) && l >= 1 && l <= 3) z[l]++
			next
		}
		/ sys_ioctl -> / { open[tid()] = 0 }
		END { print z[1] + 0, z[2] + 0, z[3] + 0 }' "$R/conv.trace")
	check_eq "$k: SPTEs zapped by conversions, 4K 2M 1G: tdx-trace = tracefs" "$want_zaps" \
		"$(jq -s -r '[.[] | select(.type == "conversion")] | "\(map(.zapped_4k) | add // 0) \(map(.zapped_2m) | add // 0) \(map(.zapped_1g) | add // 0)"' "$R/tdx.out")"
	local final
	final=$(jq -c 'select(.type == "final")' "$R/tdx.out")
	n=$(grep -cF -- "$truth" "$R/conv.trace")
	pages=$(jq -s '[.[] | select(.type == "conversion") | .pages] | add // 0' "$R/tdx.out")
	check_eq "$k: final summary: conversions = tracefs, pages = the streamed ones" "$n $pages" \
		"$(jq -r '"\(.totals.count) \(.totals.pages)"' <<<"$final")"
	check_eq "$k: final summary: no lost events" 0 "$(jq -r '.lost.total' <<<"$final")"
	# MapGPA: the guest's KVM_HC_MAP_GPA_RANGE hypercalls, and those asking the
	# VMM to set attributes (private_mem_conversions_test's flag, a2 bit 0).
	local hc hc_set=0 a2 pmct_convs
	hc=$(grep -c 'kvm_hypercall:' "$R/conv.trace")
	while read -r a2; do
		((a2 & 1)) && hc_set=$((hc_set + 1))
	done <<<"$(grep -o 'kvm_hypercall: nr 0xc .* a2 0x[0-9a-f]*' "$R/conv.trace" | sed 's/.* a2 //')"
	check_eq "$k: MapGPA hypercalls: tdx-trace = tracefs" "$hc" "$(jq -r '[.mapgpa[].count] | add // 0' <<<"$final")"
	pmct_convs=$(jq -r "select(.type == \"conversion\" and .pid != ${hpid:-0}) | .pid" "$R/tdx.out" | wc -l)
	check_eq "$k: private_mem_conversions_test: conversions = hypercalls asking to set attributes" "$hc_set" "$pmct_convs"
	echo "# tdx-trace on $k ($conv_set events): $n conversions, tracefs $n; SPTEs zapped (4K 2M 1G) $want_zaps; $hc MapGPA hypercalls ($hc_set setting attributes)"

	# ---- hvflush-top
	local last l1 l2
	last=$(tail -n 1 "$R/hvflush.out")
	check_eq "$k: hvflush-top JSON says fallback" fallback "$(jq -r '.mode' <<<"$last" 2>&1)"
	check_eq "$k: hvflush-top attached the hypercall programs, tp_btf" "$hv_progs" "$(attached hvflush exporter)"
	check_eq "$k: hyperv_tlb_flush passes" 0 "$(f hvtlb.rc)"
	check_eq "$k: hvflush-top: SIGINT ends it cleanly" 0 "$(f hvflush.rc)"
	check_eq "$k: tracefs kept every flush hypercall event" 0 "$(f hv.trace.overrun)"
	read -r l1 l2 <<<"$(f hv.counts)"
	check "$k: the workload flushed (L1 hypercalls: ${l1:-none})" test "${l1:-0}" -gt 0
	check_eq "$k: hypercalls L1 L2: hvflush-top = tracefs" "${l1:-?} ${l2:-?}" \
		"$(jq -r '"\(.totals.hypercalls_l1) \(.totals.hypercalls_l2)"' <<<"$last" 2>&1)"
	check_eq "$k: hvflush-top: nothing lost" 0 "$(jq -r '.totals.lost' <<<"$last" 2>&1)"
	echo "# hvflush-top on $k: $l1 L1 and $l2 L2 flush hypercalls, tracefs the same"

	# ---- kvmscope-exporter
	check "$k: exporter: the mode line says fallback" grep -qx 'mode: fallback' "$R/exporter.err"
	check_eq "$k: exporter --mapgpa: attached the conversion and hypercall programs" \
		"$(echo $conv_progs $hv_progs | tr ' ' '\n' | sort | xargs)" "$(attached exporter none)"
	check_eq "$k: exporter: /metrics fetched" 0 "$(f wget.rc)"
	m() { sed -n "s/^$1 //p" "$R/metrics"; }
	check "$k: exporter: kvmscope_info says fallback" grep -q '^kvmscope_info{.*mode="fallback"} 1$' "$R/metrics"
	check_eq "$k: exporter: conversions and hvflush collectors up" "1 1" \
		"$(m 'kvmscope_collector_up{collector="conversions"}') $(m 'kvmscope_collector_up{collector="hvflush"}')"
	check_eq "$k: exporter: L1 flush hypercalls = tracefs" "$l1" "$(m 'kvmscope_hv_tlb_flush_hypercalls_total{issuer="l1"}')"
	# The helper exited before the scrapes: kept for the grace period, and
	# named by the comm the kernel recorded.  A VM with no conversion seen
	# has no series.
	local hvm failed
	hvm="vm=\"kvm-${hpid:-0}\",vm_name=\"set_attrs\""
	failed=$(for r in $want_rets; do [ "$r" = 0 ] || echo x; done | wc -l)
	check_eq "$k: exporter: the helper's conversions to private, shared, and failed" \
		"$(grep -o private <<<"$want_dirs" | wc -l) $(grep -o shared <<<"$want_dirs" | wc -l) $failed" \
		"$(($(m "kvmscope_mem_conversions_total{$hvm,direction=\"private\"}") + 0)) $(($(m "kvmscope_mem_conversions_total{$hvm,direction=\"shared\"}") + 0)) $(($(m "kvmscope_mem_conversion_errors_total{$hvm,direction=\"private\"}") + $(m "kvmscope_mem_conversion_errors_total{$hvm,direction=\"shared\"}") + 0))"
	check_eq "$k: exporter: SIGTERM ends it cleanly" 0 "$(f exporter.rc)"

	# ---- tdx-trace roles
	check_eq "$k: roles: exit 1 without the series" 1 "$(f roles.rc)"
	check "$k: roles: says it needs the kvmscope series" grep -q 'roles needs the kvmscope series' "$R/roles.err"
}

_release() { local v="STOCK_RELEASE_${1//./_}"; echo "${!v}"; }

kernels=${FALLBACK_KERNELS:-6.12-stock 7.3-stock 7.3-unpatched}
# Booted side by side (nothing here asserts a duration); what each needs
# built is built one at a time under the lab cache's locks.
for k in $kernels; do
	boot "$k" &
done
wait
for k in $kernels; do
	fallback "$k"
done

tap_done
