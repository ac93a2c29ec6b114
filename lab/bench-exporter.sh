#!/usr/bin/env bash
# kvmscope-exporter benchmark on synthetic map contents (no VM needed):
# scrape latency and exporter RSS with 1, 64 and 1024 vCPUs, per VM (the
# default) and with --per-vcpu, on loopback only.  Prints each number with
# its ratio to the target (scrape < 10 ms at 1024 vCPUs, RSS < 20 MiB);
# a ratio above 1.00 misses the target, and the exit status says so.
#   SCRAPES=200 lab/bench-exporter.sh
set -u
cd "$(dirname "$0")/.."
exe=build/kvmscope-exporter
scrapes=${SCRAPES:-200}
make -s "$exe" || exit 1
tmp=$(mktemp -d /tmp/kvmscope-bench.XXXXXX)
# Started as root, the exporter serves as nobody and re-reads its spec.
chmod 755 "$tmp"
epid=
trap '[ -n "$epid" ] && kill "$epid" 2>/dev/null; rm -rf "$tmp"' EXIT

target_ms=10
target_rss_kib=$((20 * 1024))
fail=0
printf '%-8s %-9s %8s %9s %9s %9s %8s %10s %8s\n' vcpus mode series \
	"p50 ms" "p99 ms" "max ms" "ratio" "RSS KiB" "ratio"
for vcpus in 1 64 1024; do
	for mode in per-vm per-vcpu; do
		printf 'kvm-1 name=bench vcpus=%d rate=1000\n' "$vcpus" >"$tmp/vms"
		opt=
		[ "$mode" = per-vcpu ] && opt=--per-vcpu
		"$exe" --listen 127.0.0.1:0 --synthetic "$tmp/vms" $opt \
			2>"$tmp/log" &
		epid=$!
		port=
		for _ in $(seq 100); do
			port=$(sed -n 's|.*serving http://127.0.0.1:\([0-9]*\)/metrics|\1|p' "$tmp/log")
			[ -n "$port" ] && break
			sleep 0.05
		done
		read -r series p50 p99 max <<<"$(python3 - "$port" "$scrapes" <<'PY'
import http.client, sys, time
port, n = int(sys.argv[1]), int(sys.argv[2])
c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
lat, series = [], 0
for i in range(n + 10):
    t = time.perf_counter()
    c.request("GET", "/metrics")
    body = c.getresponse().read()
    if i >= 10:                      # warm-up excluded
        lat.append((time.perf_counter() - t) * 1000)
    series = sum(1 for l in body.split(b"\n") if l and not l.startswith(b"#"))
lat.sort()
print(series, "%.2f" % lat[len(lat) // 2], "%.2f" % lat[int(len(lat) * 0.99) - 1],
      "%.2f" % lat[-1])
PY
)"
		rss=$(sed -n 's/^VmRSS:[^0-9]*\([0-9]*\) kB/\1/p' /proc/"$epid"/status)
		kill "$epid"; wait "$epid" 2>/dev/null; epid=
		lat_ratio=$(awk -v a="$p99" -v b="$target_ms" 'BEGIN { printf "%.2f", a / b }')
		rss_ratio=$(awk -v a="$rss" -v b="$target_rss_kib" 'BEGIN { printf "%.2f", a / b }')
		printf '%-8s %-9s %8s %9s %9s %9s %8s %10s %8s\n' "$vcpus" "$mode" \
			"$series" "$p50" "$p99" "$max" "$lat_ratio" "$rss" "$rss_ratio"
		# The targets are for the default (per VM) mode.
		if [ "$mode" = per-vm ]; then
			awk -v r="$lat_ratio" 'BEGIN { exit !(r > 1) }' && fail=1
			awk -v r="$rss_ratio" 'BEGIN { exit !(r > 1) }' && fail=1
		fi
	done
done
echo "targets: p99 scrape < ${target_ms} ms, RSS < 20 MiB (per-vm mode); ratio = measured / target"
exit $fail
