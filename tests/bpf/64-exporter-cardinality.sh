#!/usr/bin/env bash
# kvmscope-exporter's series stay bounded under VM churn: 10,000 synthetic
# VMs come and go (2,000 live at a time, 1,000 replaced per round, all kept
# for the grace), once with no limit and once with --max-vms 1000.  With the
# limit, every scrape exports at most 1001 VMs' worth of series (the
# established VMs and vm="_other"), the 9,000 newer VMs are counted folded,
# _other's counters never go backwards as folded VMs go, and the
# exporter's peak RSS stays under a bound, well under the unlimited one's.  Series count, scrape time,
# exposition size and RSS of both runs are printed as TAP comments.
# Synthetic source only: no BPF, no tracefs.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh

exporter_suite exporter-card

ok "build kvmscope-exporter"

LIMIT=1000
ROUNDS=9	# round r lists kvm-(1000r+1) .. kvm-(1000r+2000): 10,000 VMs
# The limited exporter holds at most 3000 VMs (2000 live, 1000 established
# ones in their grace; folded ones are dropped once gone) plus the 2000
# of the synthetic source's read, ~24 KiB allocated each (room for 16
# vCPUs), and a 16 MiB exposition: ~150 MiB measured, whatever the churn,
# where the unlimited one grows with every VM kept for the grace.
RSS_BOUND_KB=$((256 * 1024))

# write_round R: the spec of round R, replaced atomically.
write_round() {
	seq $((1000 * $1 + 1)) $((1000 * $1 + 2000)) |
		sed 's/^/kvm-/; s/$/ vcpus=1 rate=10/' >"$tmp/vms.tmp"
	mv "$tmp/vms.tmp" "$tmp/vms"
}

# start LOG args...: the exporter on a free loopback port; sets $port, $epid.
start() {
	local log=$1
	shift
	"$exe" --listen 127.0.0.1:0 --synthetic "$tmp/vms" --grace 600 \
		--zero-hold 0 "$@" 2>"$log" &
	epid=$!
	pids+=("$epid")
	port=$(serving_port "$log" "$epid")
}
status_kb() { sed -n "s/^$1:[^0-9]*\([0-9]*\) kB/\1/p" /proc/"$epid"/status; }
value() { sed -n "s/^$1 //p" "$tmp/m"; }

# run NAME args...: the churn under one exporter.  Per round a line
# "round vms series bytes seconds rss_kb folded other" into $tmp/NAME.
run() {
	local name=$1 r t
	shift
	write_round 0
	if ! start "$tmp/$name.log" "$@"; then
		not_ok "$name: exporter starts" "$(cat "$tmp/$name.log")"
		return 1
	fi
	: >"$tmp/$name"
	for r in $(seq 0 $((ROUNDS - 1))); do
		write_round "$r"
		t=$(curl -sS --max-time 120 -o "$tmp/m" -w '%{time_total}' \
			"http://127.0.0.1:$port/metrics") || return 1
		echo "$r" \
			"$(sed -n 's/^kvmscope_mem_conversions_total{vm="\([^"]*\)".*/\1/p' "$tmp/m" | sort -u | wc -l)" \
			"$(grep -vc '^#' "$tmp/m")" "$(stat -c %s "$tmp/m")" "$t" \
			"$(status_kb VmRSS)" "$(value kvmscope_vms_folded)" \
			"$(value 'kvmscope_mem_conversions_total{vm="_other",vm_name="_other",direction="private"}')" \
			>>"$tmp/$name"
	done
	hwm=$(status_kb VmHWM)
	folded_total=$(value kvmscope_vm_folds_total)
	vm_series=$(grep -c '^kvmscope[a-z_]*{vm="kvm-1",' "$tmp/m")
	kill "$epid"
	wait "$epid" 2>/dev/null
	echo "# $name: round vms series bytes seconds rss_kb folded other"
	sed 's/^/#   /' "$tmp/$name"
	echo "# $name: peak RSS ${hwm} kB"
}

run nolimit --max-vms 0 || { tap_done; exit 1; }
nolimit_hwm=$hwm
check_eq "no limit: every VM has series of its own" 10000 \
	"$(tail -n1 "$tmp/nolimit" | cut -d' ' -f2)"

run limit --max-vms "$LIMIT" || { tap_done; exit 1; }
# Series a VM has (kvm-1 is one of the established ones): every
# vm-labelled series of a scrape belongs to at most LIMIT + 1 of them.
max_vms=$(cut -d' ' -f2 "$tmp/limit" | sort -n | tail -n1)
check "limit: at most $LIMIT + 1 VMs in any scrape (max $max_vms)" \
	test "$max_vms" -le $((LIMIT + 1))
check "limit: a VM has series ($vm_series)" test "$vm_series" -gt 0
max_series=$(cut -d' ' -f3 "$tmp/limit" | sort -n | tail -n1)
first_series=$(head -n1 "$tmp/limit" | cut -d' ' -f3)
# The scrape of round 0 already exports LIMIT + 1 VMs: later ones, with
# 9x the VMs behind them, add at most _other's vcpu and nothing per VM.
check "limit: series bounded ($max_series, round 0: $first_series)" \
	test "$max_series" -le $((first_series + vm_series))
# Folded VMs have no grace: the gauge counts the live ones, all 2000 of
# round 8 (the established 1000 died, but hold their room for the grace).
check_eq "limit: the newer 9000 VMs folded, the live ones counted" "9000 2000" \
	"$folded_total $(tail -n1 "$tmp/limit" | cut -d' ' -f7)"
check "limit: _other never goes backwards" awk '
	$8 < prev { print "round " $1 ": " $8 " < " prev; exit 1 } { prev = $8 }
	END { if (prev <= 0) { print "no _other"; exit 1 } }' "$tmp/limit"
check "limit: peak RSS ${hwm} kB under ${RSS_BOUND_KB} kB" \
	test "$hwm" -lt "$RSS_BOUND_KB"
check "limit: peak RSS ${hwm} kB under 3/4 of no limit's ${nolimit_hwm} kB" \
	test $((4 * hwm)) -lt $((3 * nolimit_hwm))
tap_done
