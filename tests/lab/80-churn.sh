#!/usr/bin/env bash
# The churn soak: for CHURN_SECONDS (default 90 here; `make soak` runs
# 1800), VMs of the selftests' kinds start, run and are SIGKILLed at random
# points, three at a time, in the 6.12 patched guest, while the exporter
# (scraped every second by a real Prometheus on the host), tdx-trace -s
# and hvflush-top -b run.  Then:
#  - no counter of any series went backwards (resets() = 0);
#  - no series of a dead VM remains past the grace period;
#  - every BPF map's fill is back at its idle level;
#  - the exporter's RSS and open fds stayed flat, within 10% of their
#    level after warm-up;
#  - the exporter's totals (each dead VM's last value) equal tracefs's
#    count of the same events, and the CLIs lost nothing.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh

churn=${CHURN_SECONDS:-90}
grace=15
out=$PWD/build/tests-lab/churn
lab=$out/lab
rm -rf "$out"
mkdir -p "$out" "$lab"
pids=()
cleanup() {
	local p
	touch "$lab/stop" 2>/dev/null
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
}
trap cleanup EXIT

if ! log=$(make -s build/kvmscope-exporter build/tdx-trace build/hvflush-top 2>&1); then
	not_ok "build the exporter and the CLIs" "$log"
	tap_done
	exit 1
fi

fport=$(free_port)
pport=$(free_port)
cat >"$out/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: kvmscope
    static_configs:
      - targets: ['127.0.0.1:$fport']
EOF
prometheus --config.file="$out/prometheus.yml" --storage.tsdb.path="$out/tsdb" \
	--web.listen-address="127.0.0.1:$pport" >"$out/prometheus.log" 2>&1 &
pids+=($!)
url=http://127.0.0.1:$pport

lab/run.sh -q --kernel 6.12-patched \
	--timeout $((churn + 2400)) --hostfwd "$fport:9789" --results "$lab" \
	-- env CHURN_SECONDS="$churn" GRACE="$grace" "$PWD/tests/lab/churn/guest.sh" \
	>"$out/run.log" 2>&1 &
labpid=$!
pids+=($labpid)

q() { prom_query "$url" "$@"; }
# qall EXPR [TIME]: "labels value" lines of an instant query.
qall() {
	curl -s "$url/api/v1/query" --data-urlencode "query=$1" ${2:+--data-urlencode "time=$2"} |
		jq -r '.data.result[] | "\(.metric | del(.__name__, .instance, .job) | to_entries | map("\(.key)=\(.value)") | join(",")) \(.value[1])"' | sort
}

lab_wait "$labpid" "$lab/idle" 1800 || lab_abort "the lab booted and started the exporter and the CLIs" "$out/run.log" "$lab"
up=$(prom_wait "$url" 'up{job="kvmscope"}' 1)
check_eq "Prometheus scrapes the guest's exporter through the port forward" 1 "$up"
sleep 3
t_idle=$(date +%s)
idle_fill=$(qall 'kvmscope_bpf_map_fill_ratio' "$t_idle")
touch "$lab/go"
echo "# churning for $churn s"
lab_wait "$labpid" "$lab/churn-end" $((churn + 600)) || lab_abort "the churn ran to its end" "$out/run.log" "$lab"
t_churn_end=$(date +%s)
lab_wait "$labpid" "$lab/counts" 300 || lab_abort "tracefs's counts were written" "$out/run.log" "$lab"
# Past the grace period, plus scrapes to see the VMs gone.
sleep $((grace + 5))
t_end=$(date +%s)
span=$((t_end - t_idle))

read -r _ _ started _ killed _ completed _ failed <"$lab/churn"
echo "# VMs: $started started, $killed SIGKILLed, $completed completed, $failed failed"
echo "# kinds: $(awk '$2 == "start" { $1 = $2 = $3 = ""; print }' "$lab/churn.log" | sort | uniq -c | tr -s ' ' | paste -sd';')"
check "VMs churned ($started started, $killed SIGKILLed)" test "$started" -ge 6 -a "$killed" -ge 2
check_eq "no VM failed but by SIGKILL" 0 "$failed"
check_eq "no selftest was missing" "" "$(grep ' missing ' "$lab/churn.log")"

declare -A truth
while read -r k v; do truth[$k]=$v; done <"$lab/counts"
check_eq "tracefs lost no events" 0 "${truth[overrun]}"

scrapes=$(q "count_over_time(up{job=\"kvmscope\"}[${span}s])" "$t_end")
good=$(q "sum_over_time(up{job=\"kvmscope\"}[${span}s])" "$t_end")
echo "# scrapes: $good of $scrapes succeeded over $span s"
# A failed scrape must be one that ran out of its 1 s (the guest runs
# under TCG, three VMs sharing its two vCPUs), never one refused or
# unparseable.
scrape_at() { # EXPR: "t value" of each sample over the soak
	curl -s "$url/api/v1/query" --data-urlencode "query=${1}[${span}s]" \
		--data-urlencode "time=$t_end" | jq -r '.data.result[0].values[] | "\(.[0]) \(.[1])"'
}
scrape_at 'up{job="kvmscope"}' >"$out/up"
scrape_at 'scrape_duration_seconds{job="kvmscope"}' >"$out/durations"
failed=$(awk '$2 == "0" { print $1 }' "$out/up")
echo "# failed scrapes at (s after idle): $(for t in $failed; do echo $((${t%.*} - t_idle)); done | paste -sd' ')"
echo "# scrape time: longest $(sort -k2 -g "$out/durations" | tail -n 1 | cut -d' ' -f2) s; the exporter's own longest collection $(q "max_over_time(kvmscope_scrape_duration_seconds[${span}s])" "$t_end") s"
check "at least 90% of the scrapes succeeded ($good of $scrapes)" test "$((good * 10))" -ge "$((scrapes * 9))"
fast=$(awk 'NR == FNR { if ($2 == "0") f[$1] = 1; next } ($1 in f) && $2 < 0.99' "$out/up" "$out/durations")
check_eq "every failed scrape timed out (none refused or malformed)" "" "$fast"
# resets() drops the metric name, so one name at a time.
names=$(curl -sG "$url/api/v1/label/__name__/values" --data-urlencode "start=$t_idle" \
	--data-urlencode "end=$t_end" | jq -r '.data[]' | grep -E '^kvmscope_.+(_total|_count|_sum|_bucket)$')
went_back=
for n in $names; do
	r=$(q "sum(resets(${n}[${span}s]))" "$t_end")
	[ "$r" = 0 ] || went_back+="$n=$r "
done
check "counters checked for resets ($(wc -w <<<"$names") families)" test "$(wc -w <<<"$names")" -ge 10
check_eq "no counter went backwards (resets)" "" "$went_back"
check_eq "no series of a dead VM past the grace period" "none" \
	"$(q 'count({__name__=~"kvmscope_.+", vm!=""})' "$t_end")"
check_eq "kvmscope_vms is 0 with every VM dead" 0 "$(q 'sum(kvmscope_vms)' "$t_end")"
check_eq "every BPF map's fill is back at its idle level" "$idle_fill" \
	"$(qall 'kvmscope_bpf_map_fill_ratio' "$t_end")"
check_eq "no lost events" 0 "$(q "max_over_time(sum(kvmscope_lost_events_total)[${span}s:1s])" "$t_end")"

# Totals: each series' last value (a dead VM's stays through the grace
# period, scraped every second), summed, against tracefs.
total() { q "sum(last_over_time(${1}[${span}s]))" "$t_end"; }
check_eq "conversions to private: exporter = tracefs" "${truth[conv_private]}" \
	"$(total 'kvmscope_mem_conversions_total{direction="private"}')"
check_eq "conversions to shared: exporter = tracefs" "${truth[conv_shared]}" \
	"$(total 'kvmscope_mem_conversions_total{direction="shared"}')"
check_eq "MMU role computations: exporter = tracefs" "${truth[role_computed]}" \
	"$(total kvmscope_mmu_role_computations_total)"
check_eq "MMU role changes: exporter = tracefs" "${truth[role_changed]}" \
	"$(total kvmscope_mmu_role_changes_total)"
check_eq "L1 flush enqueues: exporter = tracefs" "${truth[enq_l1]}" \
	"$(total 'kvmscope_hv_tlb_flush_enqueues_total{fifo="l1"}')"
check_eq "L2 flush enqueues: exporter = tracefs" "${truth[enq_l2]}" \
	"$(total 'kvmscope_hv_tlb_flush_enqueues_total{fifo="l2"}')"
check_eq "flush overflows: exporter = tracefs" "${truth[overflow]}" \
	"$(total kvmscope_hv_tlb_flush_overflows_total)"

touch "$lab/stop"
lab_wait "$labpid" "$lab/done" 120
wait "$labpid"

# The exporter's process.  Warm-up is the first quarter of the churn, and
# at least 45 s: under TCG its RSS takes about 40 s of churn to settle
# (seen: 10.5 MB idle, 13.1 MB at 30 s, 13.7 to 14.4 MB after it; the
# heap as the first VMs' rows come).  After it, RSS moves with the VMs the
# exporter holds, so "flat" is judged on medians: the median of the
# churn's last part within 10% of the part right after warm-up, and the
# level with every VM gone within 10% of it too.  This check found map
# reads that allocated for a map's capacity (7.6 MB), which glibc's heap
# kept: RSS stepped from 28 to 34 MB at whatever time a reused block
# was first cleared.  Open fds do not move with VMs: their maximum is
# held to the same 10%.
cs=$(awk '$2 == "start" { print $1; exit }' "$lab/churn.log")
warmup=$((churn / 4 > 45 ? churn / 4 : 45))
half=$(((churn - warmup) / 2))
median() { # FROM TO COLUMN: of the process samples at FROM <= t < TO
	awk -v a="$1" -v b="$2" -v c="$3" '$1 >= a && $1 < b && $2 != "gone" { print $c }' "$lab/process.log" |
		sort -n | awk '{ v[NR] = $1 } END { print NR ? v[int((NR + 1) / 2)] : "none" }'
}
early=$(median $((cs + warmup)) $((cs + warmup + half)) 2)
late=$(median $((cs + warmup + half)) $((cs + churn)) 2)
read -r peak wf mf <<<"$(awk -v t=$((cs + warmup)) '$1 >= t && $2 != "gone" {
	if ($2 > r) r = $2; if (!f0) f0 = $3; if ($3 > f) f = $3 } END { print r, f0, f }' "$lab/process.log")"
read -r end_rss end_fds <<<"$(awk '$2 != "gone" { l = $2 " " $3 } END { print l }' "$lab/process.log")"
echo "# exporter RSS kB: median $early after warm-up, $late late in the churn, peak $peak, $end_rss with every VM gone; fds $wf after warm-up, at most $mf, $end_fds at the end"
check "exporter RSS flat: late median within 10% of the median after warm-up ($early -> $late kB)" \
	test "$((late * 10))" -le "$((early * 11))"
check "exporter RSS with every VM gone within 10% of its level after warm-up ($early -> $end_rss kB)" \
	test "$((end_rss * 10))" -le "$((early * 11))"
check "exporter fds within 10% of their level after warm-up ($wf -> max $mf)" \
	test "$((mf * 10))" -le "$((wf * 11))"

# The CLIs ran through it all.
check_eq "tdx-trace, hvflush-top and the exporter exited 0" \
	"tdx-trace exit 0;hvflush-top exit 0;exporter exit 0" "$(paste -sd';' "$lab/exits")"
check_eq "tdx-trace -s: no lost events" 0 \
	"$(jq -r 'select(.type == "final") | .lost.total' "$lab/tdx-trace.json" 2>&1)"
check_eq "tdx-trace -s: conversions = tracefs" "$((truth[conv_private] + truth[conv_shared]))" \
	"$(jq -r 'select(.type == "final") | [.vms[].duration_ns.count] | add // 0' "$lab/tdx-trace.json" 2>&1)"
check_eq "hvflush-top -b: no lost events" 0 \
	"$(jq -r 'select(.type == "final") | .totals.lost' "$lab/hvflush-top.json" 2>&1)"
tap_done
