#!/usr/bin/env bash
# Native histograms against a real Prometheus (Debian's 2.42, on
# 127.0.0.1, temp storage): with --enable-feature=native-histograms it
# asks for the protobuf exposition and stores each log2 histogram as one
# native series; histogram_quantile() over it agrees with the classic
# buckets of the same data within one log2 slot.  Two exporters serve the
# same synthetic VMs, one with --native-histograms=classic (so that
# Prometheus 2.42, which ignores classic buckets next to native ones,
# stores classic series from protobuf), and a Prometheus without the
# feature scrapes text.  Then the scrape size of a 1024-vCPU per-vCPU VM,
# text against protobuf, measured and printed.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh

exporter_suite native-test

if ! command -v prometheus >/dev/null; then
	not_ok "prometheus installed (make deps)"
	tap_done
	exit 1
fi

PB='application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited'

exporter() { # exporter PORT SPEC ARGS...: started in the background
	local port=$1 spec=$2
	shift 2
	"$exe" --listen "127.0.0.1:$port" --synthetic "$spec" --zero-hold 0 "$@" \
		2>>"$tmp/exporter.log" &
	pids+=($!)
}

printf 'kvm-101 name=web-1 vcpus=4 rate=40\nkvm-102 name=db-1 vcpus=8 rate=15\n' >"$tmp/vms"
ea=$(free_port) eb=$(free_port)
exporter "$ea" "$tmp/vms"
exporter "$eb" "$tmp/vms" --native-histograms=classic

prom() { # prom NAME PORT TARGETS FLAGS...
	local name=$1 port=$2 jobs=$3
	shift 3
	{
		printf 'global:\n  scrape_interval: 1s\nscrape_configs:\n'
		for j in $jobs; do
			printf '  - job_name: %s\n    static_configs: [{targets: ["127.0.0.1:%s"]}]\n' \
				"${j%%=*}" "${j#*=}"
		done
	} >"$tmp/$name.yml"
	prometheus --config.file="$tmp/$name.yml" --storage.tsdb.path="$tmp/$name" \
		--web.listen-address="127.0.0.1:$port" "$@" >"$tmp/$name.log" 2>&1 &
	pids+=($!)
}
pn=$(free_port) pt=$(free_port)
prom native "$pn" "native=$ea classic=$eb" --enable-feature=native-histograms
prom text "$pt" "text=$ea"
N=http://127.0.0.1:$pn T=http://127.0.0.1:$pt

q() { curl -s "$1/api/v1/query" --data-urlencode "query=$2"; }
check_eq "both Prometheus scrape all their targets (up)" "2 1" \
	"$(prom_wait "$N" 'sum(up)' 2) $(prom_wait "$T" 'sum(up)' 1)"
sleep 5	# a few scrapes
for u in "$N" "$T"; do
	check_eq "no scrape errors at $u" "" \
		"$(curl -s "$u/api/v1/targets" | jq -r '[.data.activeTargets[] | select(.health != "up") | .lastError] | join("; ")')"
done

# Series per histogram: one native series against the classic buckets,
# +Inf, _sum and _count of the same histogram.
series() { # series URL SELECTOR: how many series match
	curl -s "$1/api/v1/series" --data-urlencode "match[]=$2" | jq '.data | length'
}
h=kvmscope_hv_tlb_flush_latency_seconds
sel='vm="kvm-101",fifo="l1"'
nn=$(series "$N" "{__name__=~\"$h.*\",job=\"native\",$sel}")
nc=$(series "$N" "{__name__=~\"$h.*\",job=\"classic\",$sel}")
nt=$(series "$T" "{__name__=~\"$h.*\",job=\"text\",$sel}")
check_eq "protobuf with native histograms: $h is 1 series" 1 "$nn"
check_eq "the same histogram's classic series from protobuf, as from text" "$nt" "$nc"
check "classic: about 30 series for it ($nc)" test "${nc:-0}" -ge 28
check_eq "the native series is a histogram sample" true \
	"$(q "$N" "$h{job=\"native\",$sel}" | jq '.data.result[0] | has("histogram")')"
echo "# series per histogram: native $nn, classic $nc (text $nt)"

# histogram_quantile() over native and classic buckets of the same data:
# within one log2 slot (a factor 2) of each other.  Counts grow with time
# but the synthetic shapes are fixed, so the raw histograms compare.
compare() { # compare WHAT QUERY1 QUERY2 [URL2]: ok with the worst ratio
	local what=$1 a b out
	a=$(q "$N" "$2") b=$(q "${4:-$N}" "$3")
	if out=$(compare_json "$a" "$b" 2>&1); then
		ok "$what (${out%%$'\n'*})"
	else
		not_ok "$what" "$out"
	fi
}
compare_json() {
	python3 - "$1" "$2" <<'PY'
import json, sys
def load(s):
	out = {}
	for r in json.loads(s)["data"]["result"]:
		m = {k: v for k, v in r["metric"].items() if k not in ("job", "instance", "__name__")}
		out[tuple(sorted(m.items()))] = float(r["value"][1])
	return out
a, b = load(sys.argv[1]), load(sys.argv[2])
if not a or a.keys() != b.keys():
	sys.exit(f"series differ: {sorted(a)} vs {sorted(b)}")
bad = []
worst = 1.0
for k in a:
	x, y = a[k], b[k]
	if not (x > 0 and y > 0):
		bad.append(f"{k}: {x} vs {y}")
		continue
	r = max(x, y) / min(x, y)
	worst = max(worst, r)
	if r > 2:
		bad.append(f"{k}: {x} vs {y} (x{r:.3f})")
print(f"{len(a)} series, worst ratio {worst:.3f}")
if bad:
	print("\n".join(bad))
	sys.exit(1)
PY
}
for h in kvmscope_hv_tlb_flush_latency_seconds kvmscope_mem_conversion_duration_seconds; do
	for p in 0.5 0.9 0.99; do
		compare "histogram_quantile($p) of $h: native within a slot of classic" \
			"histogram_quantile($p, $h{job=\"native\"})" \
			"histogram_quantile($p, ${h}_bucket{job=\"classic\"})"
		compare "histogram_quantile($p) of $h: classic from protobuf within a slot of text" \
			"histogram_quantile($p, ${h}_bucket{job=\"classic\"})" \
			"histogram_quantile($p, ${h}_bucket{job=\"text\"})" "$T"
	done
done

# Scrape size of one 1024-vCPU VM with per-vCPU histograms.
printf 'kvm-1 name=big vcpus=1024 rate=40\n' >"$tmp/big"
ec=$(free_port) ed=$(free_port)
exporter "$ec" "$tmp/big" --per-vcpu --max-vcpus 0
exporter "$ed" "$tmp/big" --per-vcpu --max-vcpus 0 --native-histograms=native
for i in $(seq 60); do
	curl -sf -o /dev/null "http://127.0.0.1:$ed/metrics" &&
		curl -sf -o /dev/null "http://127.0.0.1:$ec/metrics" && break
	sleep 0.5
done
size() { # size PORT ACCEPT [gzip]
	curl -s -H "Accept: $2" ${3:+-H 'Accept-Encoding: gzip'} \
		"http://127.0.0.1:$1/metrics" | wc -c
}
text=$(size "$ec" text/plain) textgz=$(size "$ec" text/plain gzip)
both=$(size "$ec" "$PB") bothgz=$(size "$ec" "$PB" gzip)
nat=$(size "$ed" "$PB") natgz=$(size "$ed" "$PB" gzip)
factor() { python3 -c "print(f'{$1 / $2:.2f}')"; }
echo "# 1024 vCPUs per vCPU: text $text B, protobuf both $both B (x$(factor "$text" "$both")), native only $nat B (x$(factor "$text" "$nat"))"
echo "# gzipped: text $textgz B, protobuf both $bothgz B (x$(factor "$textgz" "$bothgz")), native only $natgz B (x$(factor "$textgz" "$natgz"))"
check "protobuf with both kinds is smaller than text ($both < $text)" test "$both" -lt "$text"
check "native only is smaller still ($nat < $both)" test "$nat" -lt "$both"
check "gzipped protobuf is smaller than gzipped text ($bothgz < $textgz)" test "$bothgz" -lt "$textgz"
hdr=$(curl -s -o /dev/null -D- -H "Accept: $PB" -H 'Accept-Encoding: gzip' "http://127.0.0.1:$ec/metrics" | tr -d '\r')
check "protobuf is served gzipped when asked" grep -qx 'Content-Encoding: gzip' <<<"$hdr"
check "with the protobuf content type" grep -qix "Content-Type: $(sed 's/;/; /g' <<<"$PB")" <<<"$hdr"
tap_done
