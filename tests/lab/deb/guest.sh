#!/bin/bash
# In the patched lab guest (tests/lab/75-deb.sh boots it): the package as
# dpkg installed it in ROOT, run from ROOT against the lab kernel.  Prints
# TAP.
#
# tdx-trace conversions -j, hvflush-top -j and the exporter, started as the
# installed unit says, all watch private_mem_conversions_test and
# hyperv_tlb_flush while tracefs records the same events; then each tool's
# count must be tracefs's.  Where a tool reports events its programs
# missed (7.x runs tracepoint programs preemptibly) its count may fall
# short of tracefs's by at most that many.
#
# systemd does not run here, so the unit's service is emulated from the
# installed .service file: ExecStart with $VAR expanded from its
# EnvironmentFile (none is installed: the defaults), run in ROOT by
# setpriv as the unit's user (DynamicUser=yes: a UID from systemd's
# dynamic range that no passwd entry has), with its AmbientCapabilities
# (inheritable and ambient), its CapabilityBoundingSet and
# NoNewPrivileges.  The namespace sandboxing (ProtectSystem= and the
# like) is not emulated; tests/bpf/06-systemd.sh scores it.
#
# usage: guest.sh ROOT
set -u
. "$KVMSCOPE_REPO/tests/lib.sh"
root=${1:?usage: guest.sh ROOT}
T=/sys/kernel/tracing
R=$KVMSCOPE_RESULTS
unit=$root/lib/systemd/system/kvmscope-exporter.service

mount -t proc proc "$root/proc"
mount --rbind /sys "$root/sys"
mount --rbind /dev "$root/dev"
for d in tmp run; do mount -t tmpfs tmpfs "$root/$d"; done

selftest() { # NAME: its path, or fail
	local p
	for p in "$KVMSCOPE_SELFTESTS/x86/$1" "$KVMSCOPE_SELFTESTS/$1"; do
		[ -x "$p" ] && { echo "$p"; return 0; }
	done
	not_ok "$1 is in the selftests ($KVMSCOPE_SELFTESTS)"
	return 1
}

# key NAME: the unit's last NAME= setting.
key() { sed -n "s/^$1=//p" "$unit" | tail -n 1; }

# The exporter's command line: ExecStart's words, each "$VAR" replaced by
# the words of VAR's value from the EnvironmentFile ("-": may be absent),
# as systemd does.
declare -A unit_env=()
envfile=$(key EnvironmentFile)
if [ -f "$root/${envfile#-}" ]; then
	while IFS='=' read -r k v; do
		case $k in '' | '#'*) continue ;; esac
		v=${v#\"}; unit_env[$k]=${v%\"}
	done <"$root/${envfile#-}"
elif [ "${envfile:0:1}" != - ]; then
	not_ok "the unit's EnvironmentFile $envfile is installed"
fi
read -ra words <<<"$(key ExecStart)"
cmd=()
for w in "${words[@]}"; do
	if [[ $w =~ ^\$([A-Za-z_][A-Za-z0-9_]*)$ ]]; then
		read -ra v <<<"${unit_env[${BASH_REMATCH[1]}]:-}"
		cmd+=("${v[@]}")
	else
		cmd+=("$w")
	fi
done
# The unit's user: DynamicUser= gets systemd's first dynamic UID (0xef00).
if [ "$(key DynamicUser)" = yes ]; then
	uid=61184 gid=61184
else
	uid=$(chroot "$root" id -u "$(key User)") gid=$(chroot "$root" id -g "$(key User)")
fi
# "CAP_BPF CAP_PERFMON" -> "+bpf,+perfmon", as setpriv takes them.
caps() { tr ' ' '\n' <<<"$1" | sed -n 's/^CAP_\(.*\)/+\L\1/p' | paste -sd, -; }
ambient=$(caps "$(key AmbientCapabilities)")
bounding=$(caps "$(key CapabilityBoundingSet)")
as_unit=(setpriv --reuid="$uid" --regid="$gid" --clear-groups
	--inh-caps="$ambient" --ambient-caps="$ambient" --bounding-set="-all,$bounding")
[ "$(key NoNewPrivileges)" != yes ] || as_unit+=(--no-new-privs)
echo "# the unit's service: ${as_unit[*]} ${cmd[*]}"
check "the unit's ExecStart runs the installed exporter" test "${cmd[0]}" = /usr/sbin/kvmscope-exporter

# --- the tools and the exporter, attached before the workloads start
echo 0 >"$T/tracing_on"
echo 0 >"$T/events/enable"
echo 65536 >"$T/buffer_size_kb"
: >"$T/trace"
for e in kvm/kvm_vm_set_mem_attributes_done kvm/kvm_hv_flush_tlb_enqueue; do
	echo 1 >"$T/events/$e/enable"
done

# Started straight from this shell, so that $! is the program itself
# (chroot and setpriv exec) and gets the signals sent to it.
chroot "$root" "${as_unit[@]}" "${cmd[@]}" 2>"$R/exporter.log" &
exporter=$!
chroot "$root" /usr/sbin/tdx-trace conversions -j >"$R/tdx-trace.json" 2>"$R/tdx-trace.err" &
tdx=$!
chroot "$root" /usr/sbin/hvflush-top -j -d 1 >"$R/hvflush-top.json" 2>"$R/hvflush-top.err" &
hvf=$!
# Each has attached once it wrote its first line: tdx-trace its mode,
# hvflush-top a snapshot, the exporter "serving ...".
for f in tdx-trace.json hvflush-top.json; do
	for _ in $(seq 300); do [ -s "$R/$f" ] && break; sleep 0.1; done
	check "installed ${f%.json} attached" test -s "$R/$f"
done
if port=$(serving_port "$R/exporter.log" "$exporter"); then
	ok "the exporter serves on 127.0.0.1:$port as the unit's user"
	echo "# exporter: $(grep -v '^serving' "$R/exporter.log" | paste -sd';' -)"
else
	not_ok "the exporter serves as the unit's user" "$(cat "$R/exporter.log")"
fi

echo 1 >"$T/tracing_on"
for t in private_mem_conversions_test hyperv_tlb_flush; do
	st=$(selftest "$t") || continue
	"$st" >"$R/$t.log" 2>&1
	check_eq "$t passes" 0 "$?"
done
echo 0 >"$T/tracing_on"
cat "$T/trace" >"$R/trace.txt"
echo 0 >"$T/events/enable"
[[ $(grep -m1 '^# entries-in-buffer/entries-written:' "$R/trace.txt") =~ ([0-9]+)/([0-9]+) ]]
check_eq "tracefs kept every event (entries = written)" "${BASH_REMATCH[2]}" "${BASH_REMATCH[1]}"
conversions=$(grep -c ' kvm_vm_set_mem_attributes_done: ' "$R/trace.txt")
enqueues=$(grep -c ' kvm_hv_flush_tlb_enqueue: ' "$R/trace.txt")
check "tracefs: the workloads converted memory ($conversions)" test "$conversions" -gt 0
check "tracefs: the workloads queued Hyper-V flushes ($enqueues)" test "$enqueues" -gt 0

# agree WHAT TRACEFS TOOL MISSED: TOOL = TRACEFS; or, when the tool's
# programs missed events, TRACEFS - MISSED <= TOOL <= TRACEFS.
agree() {
	if [ "$4" = 0 ]; then
		check_eq "$1 = tracefs, nothing missed" "$2" "$3"
	else
		check "$1: $3, at most tracefs's $2, short by at most the $4 events its programs missed" \
			test "$3" -le "$2" -a "$3" -ge "$(($2 - $4))"
	fi
}

# --- the CLIs: SIGINT ends each with its final record.
sleep 0.5	# let the ring buffers drain
kill -INT "$tdx" "$hvf"
wait "$tdx"
check_eq "tdx-trace ended cleanly on SIGINT" 0 "$?"
wait "$hvf"
check_eq "hvflush-top ended cleanly on SIGINT" 0 "$?"
final=$(grep '"type":"final"' "$R/tdx-trace.json")
agree "tdx-trace: conversions" "$conversions" \
	"$(grep -c '"type":"conversion"' "$R/tdx-trace.json")" \
	"$(jq -r '.lost.missed' <<<"$final" 2>&1)"
final=$(jq -c 'select(.type == "final")' "$R/hvflush-top.json" 2>&1)
agree "hvflush-top: enqueues" "$enqueues" "$(jq -r '.totals.enqueues' <<<"$final" 2>&1)" \
	"$(jq -r '.totals.missed' <<<"$final" 2>&1)"

[ -n "$port" ] || { tap_done; exit 1; }

# --- the exporter, scraped on loopback.  The unit sets no --zero-hold: a
# new VM's counters stay 0 for the default two 15 s intervals from the
# collection that first saw it, so every scraper sees them start; the
# first scrape is that collection (or after it).
scrape() { curl -sS --max-time 20 "http://127.0.0.1:$port/metrics" >"$R/$1" 2>&1; }
# sum FILE METRIC [LABEL]: the sum of METRIC's samples (with LABEL, e.g.
# collector="conversions", among their labels).
sum() {
	awk -v m="$2" -v l="${3:-}" '$1 ~ "^" m "({|$)" && index($1, l) { s += $2 } END { print s + 0 }' "$R/$1"
}
scrape metrics.held
t_held=$SECONDS
n=$(grep -c '^kvmscope_mem_conversions_total{' "$R/metrics.held")
held=$(sum metrics.held kvmscope_mem_conversions_total)
check "first scrape: the new VMs' conversion series are there ($n), held at 0 ($held)" \
	test "$n" -gt 0 -a "$held" = 0
sleep $((30 + 1 - (SECONDS - t_held)))
scrape metrics
for c in conversions hvflush roles; do
	check_eq "kvmscope_collector_up{collector=\"$c\"}" 1 \
		"$(sum metrics kvmscope_collector_up "collector=\"$c\"")"
done
check_eq "no source down" "" "$(grep '^kvmscope_collector_up{.*reason=' "$R/metrics")"
check_eq "kvmscope_info: series mode" 1 "$(sum metrics kvmscope_info 'mode="series"')"
agree "exporter: kvmscope_mem_conversions_total" "$conversions" \
	"$(sum metrics kvmscope_mem_conversions_total)" \
	"$(sum metrics kvmscope_lost_events_total 'collector="conversions",reason="missed"')"
agree "exporter: kvmscope_hv_tlb_flush_enqueues_total" "$enqueues" \
	"$(sum metrics kvmscope_hv_tlb_flush_enqueues_total)" \
	"$(sum metrics kvmscope_lost_events_total 'collector="hvflush",reason="missed"')"
# chroot and setpriv exec: $exporter is the exporter's own PID.
check_eq "the exporter runs as the unit's user (Uid)" "$uid" \
	"$(awk '$1 == "Uid:" { print $2 }' "/proc/$exporter/status" 2>&1)"
check_eq "and dropped its capabilities once serving (CapEff)" 0000000000000000 \
	"$(awk '$1 == "CapEff:" { print $2 }' "/proc/$exporter/status" 2>&1)"
kill -TERM "$exporter"
wait "$exporter"
check_eq "exporter exits 0 on SIGTERM" 0 "$?"
tap_done
