#!/usr/bin/env bash
# The fleet reference setup of deploy/fleet/, on this machine: every
# "host" is a network namespace of this test's with its own loopback
# address 127.0.1.N, running kvmscope-exporter and a Prometheus 2.42 agent
# made from deploy/fleet/prometheus-agent.yml; the agents remote_write
# over veth pairs into this test's own network namespace, where one
# VictoriaMetrics 1.79 and vmalert (the rules of deploy/fleet/ and
# dashboards/) run.  No traffic leaves the test's namespaces.  Host 1
# runs the real BPF programs (fallback mode on a kernel without the
# series), the others the synthetic source, each with its own VMs.
#  - every fleet dashboard panel and every rule returns data from
#    VictoriaMetrics, and vmalert evaluates every rule without error;
#  - outage: VictoriaMetrics stopped for FLEET_OUTAGE seconds and started
#    again on its data: the agents' queues drain, the samples stored
#    before are unchanged, the outage window has no gap, and its counters
#    grow as the exporters served them;
#  - with the synthetic counters held still, fleet sums equal the sums of
#    every host's /metrics, exactly;
#  - a VM gone from a host and a host whose exporter stops leave no
#    series behind (the agent's staleness markers);
#  - native histograms: what a 2.42 agent with the feature on sends, and
#    what VictoriaMetrics 1.79 keeps of it.
# Prints the figures for deploy/fleet/README.md: series per host,
# ingestion rate, each panel's query latency, the outage replay.
# FLEET_HOSTS (default 8) and FLEET_OUTAGE (seconds, default 15; make
# bench runs 60) size it.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh
own_tracefs "$@"
# The central store's network namespace: this test's own.
[ -n "${_KS_FLEET_NET:-}" ] || _KS_FLEET_NET=1 exec unshare --net "$(readlink -f "$0")" "$@"
ip link set lo up

hosts=${FLEET_HOSTS:-8}
outage=${FLEET_OUTAGE:-15}
exe=build/kvmscope-exporter
tmp=$(mktemp -d /tmp/kvmscope-fleet-test.XXXXXX)
chmod 755 "$tmp"	# the exporters serve as nobody and re-read their specs
ns=ksfleet$$-h		# + host number
pids=() netns=() vm_pid= alert_pid=
# The hosts' processes first, then the central store: an agent stopping
# flushes to it (for at most the flush deadline the agents are given).
cleanup() {
	local p n
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	for p in $alert_pid $vm_pid; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	for n in "${netns[@]}"; do ip netns del "$n" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT

for c in prometheus victoria-metrics vmalert; do
	if ! command -v "$c" >/dev/null; then
		not_ok "$c installed (lab/deps.sh)"
		tap_done
		exit 1
	fi
done
if ! log=$(make -s "$exe" 2>&1); then
	not_ok "build kvmscope-exporter" "$log"
	tap_done
	exit 1
fi

VM=http://127.0.0.1:8428
vmq() { prom_query "$VM" "$@"; }
# in_host N CMD...: CMD in host N's network namespace.  What runs in the
# background is started with nsenter itself, not through a function: $!
# must be the process, not a subshell that kill would leave it behind.
in_host() {
	local n=$1
	shift
	nsenter --net="/run/netns/$ns$n" "$@"
}
metrics() { in_host "$1" curl -sf --max-time 5 "http://127.0.1.$1:9789/metrics"; }

# --- the central store and its rules
start_vm() {
	victoria-metrics -storageDataPath="$tmp/vm" -httpListenAddr=:8428 \
		-search.latencyOffset=0s -search.disableCache \
		>>"$tmp/vm.log" 2>&1 &
	vm_pid=$!
}
start_vm
t_start=$(date +%s)
vmalert -rule=dashboards/kvmscope-rules.yml -rule=deploy/fleet/kvmscope-fleet-rules.yml \
	-datasource.url="$VM" -remoteWrite.url="$VM" -remoteRead.url="$VM" \
	-remoteWrite.flushInterval=1s -evaluationInterval=2s \
	-notifier.url=http://127.0.0.1:9093 -httpListenAddr=127.0.0.1:8880 \
	>"$tmp/vmalert.log" 2>&1 &
alert_pid=$!

# --- the hosts
# host_ns N: host N's namespace, linked to this one by a veth pair:
# 10.254.N.1 here, 10.254.N.2 there.
host_ns() {
	local n=$1
	ip netns add "$ns$n" || return 1
	netns+=("$ns$n")
	ip link add "vh$n" type veth peer name eth0 netns "$ns$n" &&
		ip addr add "10.254.$n.1/30" dev "vh$n" && ip link set "vh$n" up &&
		in_host "$n" ip link set lo up &&
		in_host "$n" ip addr add "10.254.$n.2/30" dev eth0 &&
		in_host "$n" ip link set eth0 up
}
# agent N [FLAGS...]: Prometheus in agent mode on host N, the reference
# configuration with this host's names, 1 s scrapes and sends.
agent() {
	local n=$1
	shift
	sed -e 's/scrape_interval: 15s/scrape_interval: 1s/' \
		-e 's/scrape_timeout: 10s/scrape_timeout: 1s/' \
		-e "s/127.0.0.1:9789/127.0.1.$n:9789/" -e "s/HOSTNAME/h$n/" \
		-e "s/vm-central:8428/10.254.$n.1:8428/" \
		-e 's/max_backoff: 5s/&\n      batch_send_deadline: 1s/' \
		deploy/fleet/prometheus-agent.yml >"$tmp/agent$n.yml"
	# With the native-histograms feature, also send them.
	[[ " $* " != *native-histograms* ]] ||
		sed -i 's|^  - url: .*$|&\n    send_native_histograms: true|' "$tmp/agent$n.yml"
	nsenter --net="/run/netns/$ns$n" \
		prometheus --enable-feature=agent "$@" --config.file="$tmp/agent$n.yml" \
		--storage.remote.flush-deadline=5s \
		--storage.agent.path="$tmp/agent$n" --web.listen-address="127.0.1.$n:9090" \
		>"$tmp/agent$n.log" 2>&1 &
	pids+=($!)
}
# exporter N ARGS...: kvmscope-exporter on 127.0.1.N:9789 in host N.
exporter() {
	local n=$1
	shift
	nsenter --net="/run/netns/$ns$n" \
		"$exe" --listen "127.0.1.$n:9789" --grace 3 --zero-hold 0 "$@" \
		>"$tmp/exporter$n.log" 2>&1 &
	pids+=($!)
	epid[$n]=$!
}
# A synthetic host's VMs: some growing, one per host with a rate of its own
# so that the top-N panels have an order.
spec() { # spec N [hold]
	local n=$1
	printf 'kvm-%d01 name=web-%d vcpus=2 rate=%d %s\n' "$n" "$n" $((20 + 10 * n)) "${2:-}"
	printf 'kvm-%d02 name=db-%d vcpus=4 rate=15 %s\n' "$n" "$n" "${2:-}"
	[ $((n % 2)) -eq 1 ] || printf 'kvm-%d03 name=batch-%d vcpus=1 rate=5 %s\n' "$n" "$n" "${2:-}"
}
declare -a epid
# Host 1: real BPF, only the VMs of a process of this test's that has
# none, so that other users of /dev/kvm on this machine do not move its
# numbers.
sleep 1000 &
pids+=($!)
nokvm=$!
setup_ok=1
for n in $(seq "$hosts"); do
	host_ns "$n" || setup_ok=0
	if [ "$n" -eq 1 ]; then
		exporter 1 -p "$nokvm"
	else
		spec "$n" >"$tmp/h$n.vms"
		exporter "$n" --synthetic "$tmp/h$n.vms"
	fi
	agent "$n"
done
check_eq "$hosts host namespaces, linked to this one" 1 "$setup_ok"
for n in $(seq "$hosts"); do
	if ! serving_port "$tmp/exporter$n.log" "${epid[$n]}" >/dev/null; then
		not_ok "exporter of host $n serves" "$(cat "$tmp/exporter$n.log")"
	fi
done
check "host 1's exporter runs the BPF programs in fallback mode" \
	grep -q '^mode: fallback' "$tmp/exporter1.log"

# Every agent's samples reach the central store.
wait_for() { # wait_for SECONDS CMD...: until CMD succeeds
	local end=$((SECONDS + $1))
	shift
	until "$@"; do
		[ "$SECONDS" -lt "$end" ] || return 1
		sleep 0.5
	done
}
hosts_up() { [ "$(vmq 'sum(up{job="kvmscope"} == bool 1)')" = "$1" ]; }
check "every host's up reaches VictoriaMetrics" wait_for 60 hosts_up "$hosts"

# --- series per host, ingestion rate
for n in 1 2 3; do
	echo "# host $n: $(metrics "$n" | grep -vc '^#') series in its /metrics"
done
echo "# fleet: $(vmq 'count({job="kvmscope"})') series in VictoriaMetrics from $hosts hosts"
rows() { curl -s "$VM/metrics" | awk '/^vm_rows_inserted_total\{type="promremotewrite"\}/ { print $2 }'; }
r0=$(rows) t0=$(date +%s.%N)
sleep 10
r1=$(rows) t1=$(date +%s.%N)
echo "# ingestion: $(python3 -c "print(f'{($r1 - $r0) / ($t1 - $t0):.0f}')") samples/s (vm_rows_inserted_total, promremotewrite)"

# --- every panel and rule has data; vmalert evaluates every rule
# The rules' 5m windows need two samples, vmalert a few rounds.
recorded() { [ "$(vmq 'count(fleet:kvmscope_hv_tlb_flush_latency_seconds:p99_5m)')" = 1 ]; }
check "vmalert's recording rules reach VictoriaMetrics" wait_for 60 recorded
sleep 4
while read -r line; do
	case "$line" in
	"ok "*) ok "${line#ok [0-9]* - }" ;;
	"not ok "*) not_ok "${line#not ok [0-9]* - }" ;;
	"#"*) echo "$line" ;;
	esac
done < <(dashboards/queries.py --dir deploy/fleet --dir dashboards check --url "$VM" \
	--rate-interval 30s --require-data)
for r in $(sed -n 's/^ *- record: //p' dashboards/kvmscope-rules.yml deploy/fleet/kvmscope-fleet-rules.yml); do
	n=$(curl -s "$VM/api/v1/query" --data-urlencode "query=$r" | jq '.data.result | length')
	check "recording rule $r: vmalert's results in VictoriaMetrics ($n series)" test "${n:-0}" -gt 0
done
rules=$(curl -s http://127.0.0.1:8880/api/v1/rules)
check_eq "vmalert evaluates every rule without error" "" \
	"$(jq -r '[.data.groups[].rules[] | select(.lastError != "") | "\(.name): \(.lastError)"] | join("; ")' <<<"$rules")"
check_eq "vmalert has all rules of both files" \
	"$(grep -c -- '- \(record\|alert\):' dashboards/kvmscope-rules.yml deploy/fleet/kvmscope-fleet-rules.yml | awk -F: '{ s += $2 } END { print s }')" \
	"$(jq '[.data.groups[].rules[]] | length' <<<"$rules")"
check_eq "hosts in fallback mode: host 1" "h1:9789" \
	"$(curl -s "$VM/api/v1/query" --data-urlencode 'query=instance:kvmscope_info:mode{mode="fallback"}' | jq -r '[.data.result[].metric.instance] | join(" ")')"

# Each fleet panel's query latency against VictoriaMetrics: instant, and
# over the test's run so far as Grafana's time series panels ask.
ms() { awk '{ printf "%.1f", $1 * 1000 }'; }
latency() { # latency EXPR [range]: milliseconds
	if [ -n "${2:-}" ]; then
		curl -s -o /dev/null -w '%{time_total}' "$VM/api/v1/query_range" --data-urlencode "query=$1" \
			--data-urlencode "start=$t_start" --data-urlencode "end=$(date +%s)" --data-urlencode step=5s
	else
		curl -s -o /dev/null -w '%{time_total}' "$VM/api/v1/query" --data-urlencode "query=$1"
	fi | ms
}
while IFS=$'\t' read -r kind origin expr; do
	[ "$kind" = panel ] || continue
	echo "# panel latency: instant $(latency "$expr") ms, range $(latency "$expr" range) ms ($(( $(date +%s) - t_start )) s, 5 s step): ${origin#kvmscope-fleet.json:}"
done < <(dashboards/queries.py --dir deploy/fleet list)
# What the recorded series save: the top-N flush panel from the buckets.
raw='topk(10, max by (instance, vm, vm_name) (histogram_quantile(0.99, sum by (instance, vm, vm_name, fifo, le) (rate(kvmscope_hv_tlb_flush_latency_seconds_bucket[5m])))))'
echo "# top 10 VMs by flush p99: recorded $(vmq 'count(kvmscope:hv_tlb_flush_latency_seconds:p99_5m)') series, instant $(latency 'topk(10, max by (instance, vm, vm_name) (kvmscope:hv_tlb_flush_latency_seconds:p99_5m))') ms; from the buckets $(vmq 'count(kvmscope_hv_tlb_flush_latency_seconds_bucket)') series, instant $(latency "$raw") ms, range $(latency "$raw" range) ms"

# --- outage of the central store
# export SERIES START END: VictoriaMetrics' raw samples, one line per
# series: labels, then timestamp=value pairs.
export_raw() {
	curl -s "$VM/api/v1/export" --data-urlencode "match[]=$1" \
		--data-urlencode "start=$2" --data-urlencode "end=$3" |
		jq -c '[(.metric | del(.__name__) | tostring), ([.timestamps, .values] | transpose | map("\(.[0])=\(.[1])"))]' | sort
}
watch='{__name__=~"up|kvmscope_mem_conversions_total",job="kvmscope"}'
# sent N: the newest sample agent N has sent; sent_past T: every agent's
# is newer than T.
sent() { in_host "$1" curl -s "http://127.0.1.$1:9090/metrics" |
	awk '/^prometheus_remote_storage_queue_highest_sent_timestamp_seconds/ { print $2 }'; }
sent_past() {
	local n
	for n in $(seq "$hosts"); do
		awk -v s="$(sent "$n")" -v t="$1" 'BEGIN { exit !(s + 0 > t + 0) }' || return 1
	done
}
# The window before the outage is complete in VictoriaMetrics only once
# every agent has sent past it: an agent under load sends seconds late.
before_end=$(date +%s)
check "every agent sent its samples up to the outage" wait_for 30 sent_past "$before_end"
sleep 2	# VictoriaMetrics makes what it took searchable within a second
export_raw "$watch" $((before_end - 20)) "$before_end" >"$tmp/before"
kill "$vm_pid"
wait "$vm_pid" 2>/dev/null
down=$(date +%s.%N)
sleep "$outage"
start_vm
up_at=$(date +%s.%N)
check "VictoriaMetrics restarted on its data" wait_for 30 curl -sf -o /dev/null "$VM/health"
# Drained: every agent has sent a sample scraped after the restart.
drain=never
if wait_for $((outage + 60)) sent_past "$up_at"; then
	drain=$(python3 -c "print(f'{$(date +%s.%N) - $up_at:.1f}')")
	ok "every agent's queue drained after a ${outage}s outage (in $drain s)"
else
	not_ok "every agent's queue drained after a ${outage}s outage" \
		"$(for n in $(seq "$hosts"); do echo "agent $n sent up to $(sent "$n")"; done)"
fi
sleep 2	# VictoriaMetrics makes what it took searchable within a second
export_raw "$watch" $((before_end - 20)) "$before_end" >"$tmp/after"
check_eq "the samples from before the outage are unchanged ($(wc -l <"$tmp/before") series)" \
	"$(md5sum <"$tmp/before")" "$(md5sum <"$tmp/after")"
cmp -s "$tmp/before" "$tmp/after" || diff "$tmp/before" "$tmp/after" | cut -c1-300 | head -n 6 | sed 's/^/#   /'
# gaps SERIES FROM TO: per series, the longest time between samples in
# [FROM, TO], with the edges; prints the worst and each over 1.5 s.
export_raw "$watch" "${down%.*}" "$(python3 -c "print(int($up_at) + 3)")" >"$tmp/window"
gaps=$(python3 - "$tmp/window" "$down" "$up_at" <<'PY'
import json, sys
down, up = float(sys.argv[2]), float(sys.argv[3])
worst, bad, n = 0, [], 0
for line in open(sys.argv[1]):
    labels, pairs = json.loads(line)
    ts = sorted(int(p.split("=")[0]) / 1000 for p in pairs)
    n += len(ts)
    edges = [down] + ts + [up]
    g = max(b - a for a, b in zip(edges, edges[1:]))
    worst = max(worst, g)
    if g > 1.5:
        bad.append(f"{labels}: {g:.1f} s")
print(f"{n} samples, longest gap {worst:.2f} s")
print("\n".join(bad))
PY
)
check_eq "no gap in the ${outage}s outage window: samples at every 1 s scrape (${gaps%%$'\n'*})" \
	"" "$(tail -n +2 <<<"$gaps")"
# The replayed samples are what the exporters served then: a synthetic
# VM's conversions grow by rate/2 a second in each direction, so each
# step between two samples is that times the time between them, within
# 10% (the exporters collect a little after the agents' scrape timestamps,
# by a varying delay on a loaded machine) or 2 (the counters' rounding).
rates=$(cat "$tmp"/h[0-9]*.vms | awk '{ sub("rate=", "", $4); print $1 "=" $4 }' | tr '\n' ' ')
steps=$(python3 - "$tmp/window" "$rates" <<'PY'
import json, sys
rate = dict(r.split("=") for r in sys.argv[2].split())
n, worst, bad = 0, 0.0, []
for line in open(sys.argv[1]):
    labels, pairs = json.loads(line)
    vm = json.loads(labels).get("vm")
    if vm not in rate:
        continue
    pts = sorted((int(t) / 1000, float(v)) for t, v in (p.split("=") for p in pairs))
    for (t0, v0), (t1, v1) in zip(pts, pts[1:]):
        want = int(rate[vm]) / 2 * (t1 - t0)
        d = abs((v1 - v0) - want)
        n += 1
        worst = max(worst, d)
        if d > max(2, want / 10):
            bad.append(f"{labels} at {t1}: +{v1 - v0:.0f} in {t1 - t0:.2f} s")
print(f"{n} steps, worst {worst:.2f} off")
print("\n".join(bad[:10]))
PY
)
check_eq "the outage window's conversion counters grow as the exporters served them (${steps%%$'\n'*})" \
	"" "$(tail -n +2 <<<"$steps")"
echo "# outage replay: ${outage}s outage, drained ${drain} s after the restart, ${gaps%%$'\n'*}, $(wc -l <"$tmp/before") series before it unchanged"

# --- exact fleet sums, the synthetic counters held still
for n in $(seq 2 "$hosts"); do spec "$n" hold >"$tmp/h$n.vms"; done
held=$(date +%s.%N)
fams=(kvmscope_mem_conversions_total kvmscope_mem_conversion_duration_seconds_count
	kvmscope_hv_tlb_flush_enqueues_total kvmscope_hv_tlb_flush_latency_seconds_bucket
	kvmscope_vms)
# Every series' newest sample in VictoriaMetrics was scraped after the hold.
after_hold() {
	local f
	for f in "${fams[@]}"; do
		[ "$(vmq "count(timestamp($f{job=\"kvmscope\"}) < $held)")" = none ] || return 1
	done
}
check "the newest samples were scraped after the hold" wait_for 30 after_hold
for n in $(seq "$hosts"); do metrics "$n"; done >"$tmp/all.metrics"
for f in "${fams[@]}"; do
	want=$(awk -v f="$f" '$1 ~ "^" f "({|$)" { s += $NF } END { printf "%.0f", s }' "$tmp/all.metrics")
	got=$(vmq "sum($f{job=\"kvmscope\"})")
	check_eq "fleet sum of $f equals the hosts' /metrics" "$want" "$(printf '%.0f' "$got")"
done
live=$(awk '$1 == "kvmscope_vms{state=\"live\"}" { s += $2 } END { print s }' "$tmp/all.metrics")
check_eq "fleet:kvmscope_vms:live equals the hosts' /metrics" "$live" "$(vmq 'fleet:kvmscope_vms:live')"
check_eq "instance:kvmscope_vms:live of h3 equals its /metrics" \
	"$(metrics 3 | awk '$1 == "kvmscope_vms{state=\"live\"}" { print $2 }')" \
	"$(vmq 'instance:kvmscope_vms:live{instance="h3:9789"}')"

# --- staleness: a VM gone from host 2, then host 3's exporter stopping
series_of() { vmq "count({job=\"kvmscope\",$1})"; }
spec 2 hold | grep -v kvm-201 >"$tmp/h2.vms"
check_eq "VM kvm-201 has series in VictoriaMetrics before it goes" 1 \
	"$([ "$(series_of 'vm="kvm-201"')" != none ] && echo 1)"
gone() { ! metrics 2 | grep -q 'vm="kvm-201"'; }
check "h2's exporter drops kvm-201 after its grace" wait_for 10 gone
dropped=$(date +%s.%N)
scraped_after() { # scraped_after INSTANCE TIME: a sample of up since
	[ "$(vmq "count(timestamp(up{instance=\"$1\"}) > $2)")" = 1 ]; }
check "h2 scraped since" wait_for 10 scraped_after h2:9789 "$dropped"
check_eq "no kvm-201 series left in VictoriaMetrics after a scrape" none "$(series_of 'vm="kvm-201"')"
# stale_ends SELECTOR FROM: every series of SELECTOR since FROM ends in a
# staleness marker (NaN, exported as null), the agent's, not in a gap.
stale_ends() {
	local out
	out=$(export_raw "$1" $(( ${2%.*} - 10 )) $(( ${2%.*} + 10 )))
	[ -n "$out" ] && jq -s -e 'all(.[]; .[1][-1] | endswith("=null"))' <<<"$out" >/dev/null
}
check "kvm-201's series end in the agent's staleness markers" \
	stale_ends '{vm="kvm-201",job="kvmscope"}' "$dropped"
check "h2's other VMs are still there" test "$(series_of 'instance="h2:9789",vm="kvm-202"')" != none
kill "${epid[3]}"
wait "${epid[3]}" 2>/dev/null
stopped=$(date +%s.%N)
check "h3's agent scraped since its exporter stopped" wait_for 10 scraped_after h3:9789 "$stopped"
check_eq "h3: no kvmscope series left after the failed scrape" none \
	"$(vmq 'count({__name__=~"kvmscope_.*",instance="h3:9789"})')"
check "h3's series end in the agent's staleness markers" \
	stale_ends '{__name__=~"kvmscope_.*",instance="h3:9789"}' "$stopped"
check_eq "h3: up is 0 (its alert can fire)" 0 "$(vmq 'up{instance="h3:9789"}')"
check_eq "the other hosts' series are there" $((hosts - 1)) \
	"$(vmq 'count(count by (instance) ({__name__=~"kvmscope_.*",job="kvmscope"}))')"

# --- native histograms: an agent with the feature on, sending them
n=$((hosts + 1))
host_ns "$n"
spec "$n" >"$tmp/h$n.vms"
exporter "$n" --synthetic "$tmp/h$n.vms"
agent "$n" --enable-feature=native-histograms
h=kvmscope_hv_tlb_flush_latency_seconds
check "h$n's up reaches VictoriaMetrics" wait_for 60 scraped_after "h$n:9789" "$(date +%s)"
sleep 5	# a few scrapes and sends
# agent_sum NAME: the agent's own metric NAME, summed over its labels.
agent_sum() {
	in_host "$n" curl -s "http://127.0.1.$n:9090/metrics" |
		awk -v m="$1" '$1 == m || index($1, m "{") == 1 { s += $2 } END { printf "%.0f", s }'
}
sent_h=$(agent_sum prometheus_remote_storage_histograms_total)
echo "# native histograms: agent h$n sent $sent_h histogram samples"
check "the 2.42 agent sends native histograms ($sent_h)" test "$sent_h" -gt 0
check_eq "VictoriaMetrics 1.79 took every request: no failed histograms" 0 \
	"$(agent_sum prometheus_remote_storage_histograms_failed_total)"
check "h$n's counters are stored" test "$(vmq "count(kvmscope_mem_conversions_total{instance=\"h$n:9789\"})")" != none
check_eq "h$n's $h is not stored at all: neither native nor classic series" 0 \
	"$(curl -s "$VM/api/v1/series" --data-urlencode "match[]={__name__=~\"$h.*\",instance=\"h$n:9789\"}" | jq '.data | length')"
tap_done
