#!/usr/bin/env bash
# The dashboards as a reader sees them: a real Prometheus (127.0.0.1, temp
# storage) scrapes two kvmscope-exporters fed with synthetic map contents,
# one per VM and one --per-vcpu; dashboards/render.py draws every panel;
# headless Chromium loads the rendered page with tests/bpf/dashboards-look.js,
# which checks that each panel's image loaded, has a title, is not blank and
# draws data, that legends name VMs "vm_name (vm)" and leave no empty vCPU,
# and that stats show values.  The page's screenshot stays in
# build/test-logs/dashboards-look.png.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh

exporter_suite look-test

for c in prometheus gnuplot chromium jq; do
	if ! command -v $c >/dev/null; then
		not_ok "$c installed (make deps)"
		tap_done
		exit 1
	fi
done

printf 'kvm-101 name=web-1 vcpus=4 rate=40\nkvm-102 name=db-1 vcpus=8 rate=15\n' >"$tmp/vms"
printf 'kvm-201 name=build-1 vcpus=2 rate=30\n' >"$tmp/vms-per-vcpu"
names='{"kvm-101":"web-1","kvm-102":"db-1","kvm-201":"build-1"}'
eport=$(free_port)
"$exe" --listen "127.0.0.1:$eport" --synthetic "$tmp/vms" --zero-hold 2 \
	2>"$tmp/exporter.log" &
pids+=($!)
vport=$(free_port)
"$exe" --listen "127.0.0.1:$vport" --synthetic "$tmp/vms-per-vcpu" --per-vcpu \
	--zero-hold 2 2>"$tmp/exporter-per-vcpu.log" &
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
      - targets: ['127.0.0.1:$eport', '127.0.0.1:$vport']
EOF2
prometheus --config.file="$tmp/prometheus.yml" --storage.tsdb.path="$tmp/data" \
	--web.listen-address="127.0.0.1:$pport" >"$tmp/prometheus.log" 2>&1 &
pids+=($!)
url=http://127.0.0.1:$pport

check_eq "Prometheus scrapes both exporters" 2 "$(prom_wait "$url" 'sum(up)' 2)"
# Enough samples for the 10s rate windows to have a few points each.
sleep 15

out=$tmp/panels
if r=$(dashboards/render.py --url "$url" --out "$out" --range 20 --step 1 \
	--rate-interval 10s 2>&1); then
	ok "render.py: $r"
else
	not_ok "render.py" "$r"
fi
check "render.py: every panel has data" grep -q "(0 without data)" <<<"$r"

cp tests/bpf/dashboards-look.js "$out/look.js"
sed 's|</body>|<script src="look.js"></script></body>|' "$out/index.html" >"$out/look.html"
hport=$(free_port)
python3 -m http.server --bind 127.0.0.1 --directory "$out" "$hport" \
	>"$tmp/http.log" 2>&1 &
pids+=($!)
for i in $(seq 40); do
	curl -sf -o /dev/null "http://127.0.0.1:$hport/look.html" && break
	sleep 0.25
done
page="http://127.0.0.1:$hport/look.html#$(jq -rn --arg s "$names" '$s|@uri')"
# Chromium as the machine's docs start it: no sandbox as root, no network
# but loopback, a fresh profile.
chrome=(chromium --headless --no-sandbox --disable-gpu --disable-quic
	--no-first-run --disable-background-networking --disable-component-update
	--disable-sync --hide-scrollbars --virtual-time-budget=10000)
dom=$(timeout 60 "${chrome[@]}" --user-data-dir="$tmp/profile" --dump-dom "$page" 2>"$tmp/chromium.log")
shot=${KVMSCOPE_TEST_LOGS:-build/test-logs}/dashboards-look.png
mkdir -p "$(dirname "$shot")"
timeout 60 "${chrome[@]}" --user-data-dir="$tmp/profile2" --window-size=1900,4000 \
	--screenshot="$PWD/$shot" "$page" >/dev/null 2>&1
check "screenshot of the page ($shot)" test -s "$shot"

look=$(sed -n '/<pre id="look">/,/<\/pre>/p' <<<"$dom" | sed 's/<[^>]*>//g' |
	python3 -c 'import html, sys; sys.stdout.write(html.unescape(sys.stdin.read()))')
if [ -z "$look" ]; then
	not_ok "Chromium ran the look script" "$(tail -5 "$tmp/chromium.log")"
fi
detail=
while IFS= read -r line; do
	case "$line" in
	"ok - "*) ok "${line#ok - }" ;;
	"not ok - "*) not_ok "${line#not ok - }" ;;
	"# "*) echo "#   ${line#\# }" ;;
	esac
done <<<"$look"
tap_done
