#!/bin/bash
# demo: kvmscope-exporter scraped by a real Prometheus, the dashboards' panels rendered to PNG (no Grafana needed)
#
# Everything stays on the guest's own loopback: the exporter serves
# 127.0.0.1:9789, Prometheus (the host's Debian binary, through the chroot)
# scrapes it every second, the workloads run, and dashboards/render.py draws
# every panel of dashboards/*.json from the Prometheus HTTP API with gnuplot.
set -u
cd "$KVMSCOPE_REPO"
ST=$KVMSCOPE_SELFTESTS/x86
out=$KVMSCOPE_RESULTS/demo/prometheus
mkdir -p "$out"
work=$(mktemp -d)
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

wait_for() { # FILE PATTERN: until FILE contains PATTERN (20 s at most)
	for _ in $(seq 200); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
	echo "timed out waiting for '$2' in $1"; return 1
}

echo 1 >/proc/sys/kernel/bpf_stats_enabled
# New VMs are held at 0 for two of its 1 s scrapes (--zero-hold).
build/kvmscope-exporter --listen 127.0.0.1:9789 --mapgpa --grace 3600 --zero-hold 2 >"$out/exporter.log" 2>&1 &
pids+=($!)
wait_for "$out/exporter.log" '^serving' || exit 1
cat >"$work/prometheus.yml" <<YML
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: ["$KVMSCOPE_REPO/dashboards/kvmscope-rules.yml"]
scrape_configs:
  - job_name: kvmscope
    static_configs: [{targets: ["127.0.0.1:9789"]}]
YML
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/tsdb" \
	--web.listen-address=127.0.0.1:9090 >"$out/prometheus.log" 2>&1 &
pids+=($!)
wait_for "$out/prometheus.log" 'Server is ready to receive web requests' || exit 1
sleep 3	# a few scrapes of the idle state, so rates start from zero

echo 64 >/proc/sys/vm/nr_hugepages
for w in "private_mem_conversions_test -n 2" "private_mem_conversions_test -s anonymous_hugetlb_2mb" \
	 "private_mem_map_gpa_test -b 200" "private_mem_map_gpa_test -b 200 -u" \
	 cr4_cpuid_sync_test svm_vmcall_test hyperv_tlb_flush hyperv_svm_test; do
	# shellcheck disable=SC2086
	"$ST"/$w >>"$out/workloads.log" 2>&1 && echo "ran $w" || echo "FAILED: $w"
done
sleep 4	# let Prometheus scrape the last counts

echo "--- a few of the exporter's series, from the Prometheus HTTP API"
# q PROMQL: print its series; an empty answer fails the step.
status=0
q() { curl -s --get 'http://127.0.0.1:9090/api/v1/query' --data-urlencode "query=$1" |
	python3 -c 'import json,sys
res = json.load(sys.stdin)["data"]["result"]
for r in res:
    print("   ", " ".join(f"{k}={v}" for k, v in sorted(r["metric"].items()) if k != "__name__"), "=>", r["value"][1])
if not res:
    print("    no series")
sys.exit(0 if res else 1)' || status=1; }
for m in 'sum by (direction) (kvmscope_mem_conversions_total)' \
	 'sum by (mmu) (kvmscope_mmu_role_computations_total)' \
	 'sum by (mmu, cause) (kvmscope_mmu_role_changes_total)' \
	 'sum by (issuer) (kvmscope_hv_tlb_flush_hypercalls_total)' \
	 'sum by (fifo) (kvmscope_hv_tlb_flush_enqueues_total)' \
	 'kvmscope_info'; do
	echo "  $m"
	q "$m"
done

echo "--- rendering every dashboard panel"
python3 dashboards/render.py --url http://127.0.0.1:9090 --out "$out/panels" --range 300 --step 2 \
	>"$out/render.log" 2>&1 || { cat "$out/render.log"; echo "render failed"; exit 1; }
sed 's/^/    /' "$out/render.log"
grep -q ' panels drawn (0 without data)' "$out/render.log" || status=1
echo "    $(ls "$out/panels"/*.png | wc -l) panels: open $out/panels/index.html"
exit $status
