#!/usr/bin/env bash
# Every PromQL expression of dashboards/ (panels, variables, recording and
# alerting rules) against a real Prometheus (Debian's, on 127.0.0.1, temp
# storage) scraping kvmscope-exporter fed with synthetic map contents:
# each must parse and return data (alerts: the left of their threshold),
# and the recording rules, evaluated by that Prometheus, must produce
# series.  tests/lab/60-prometheus.sh repeats this on real workloads.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh

exporter_suite prom-test

if ! command -v prometheus >/dev/null || ! command -v promtool >/dev/null; then
	not_ok "prometheus and promtool installed (make deps)"
	tap_done
	exit 1
fi

printf 'kvm-101 name=web-1 vcpus=4 rate=40\nkvm-102 name=db-1 vcpus=8 rate=15\n' >"$tmp/vms"
eport=$(free_port)
"$exe" --listen "127.0.0.1:$eport" --synthetic "$tmp/vms" --per-vcpu --zero-hold 2 \
	2>"$tmp/exporter.log" &
pids+=($!)

pport=$(free_port)
cat >"$tmp/prometheus.yml" <<EOF2
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - $PWD/dashboards/kvmscope-rules.yml
scrape_configs:
  - job_name: kvmscope
    static_configs:
      - targets: ['127.0.0.1:$eport']
EOF2
prometheus --config.file="$tmp/prometheus.yml" --storage.tsdb.path="$tmp/data" \
	--web.listen-address="127.0.0.1:$pport" >"$tmp/prometheus.log" 2>&1 &
pids+=($!)
url=http://127.0.0.1:$pport

# Ready, and enough samples for 5m-window rates (two scrapes are enough,
# the 30s panel windows want a few more).
check_eq "Prometheus scrapes the exporter (up)" 1 "$(prom_wait "$url" up 1)"
sleep 20
check_eq "Prometheus sees no scrape errors" 0 \
	"$(curl -s "$url/api/v1/targets" | jq '[.data.activeTargets[] | select(.health != "up")] | length')"

# The checker prints TAP of its own: renumber it into ours.
while IFS= read -r line; do
	case "$line" in
	"ok "*) ok "${line#ok [0-9]* - }" ;;
	"not ok "*) not_ok "${line#not ok [0-9]* - }" ;;
	"#"*) echo "$line" ;;
	esac
done < <(dashboards/queries.py check --url "$url" --rate-interval 10s --require-data)

for r in $(grep -o 'record: kvmscope:[a-z0-9_:]*' dashboards/kvmscope-rules.yml | cut -d' ' -f2); do
	n=$(curl -s "$url/api/v1/query" --data-urlencode "query=$r" | jq '.data.result | length')
	check "recording rule $r evaluated by Prometheus ($n series)" test "${n:-0}" -gt 0
done
tap_done
