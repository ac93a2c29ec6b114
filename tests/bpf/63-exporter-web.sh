#!/usr/bin/env bash
# kvmscope-exporter's exporter conventions (node_exporter, exporter-toolkit,
# the Prometheus client libraries), over loopback, as a scraper sees them:
#  - --web.config.file: TLS with a self-signed certificate made here, basic
#    auth with a bcrypt hash: the right password gets 200, a wrong or no
#    password 401, plain HTTP on the TLS port no answer; client
#    certificates (RequireAndVerifyClientCert); bad files exit 2 with the
#    file and line;
#  - --web.telemetry-path moves the metrics, the landing page links there;
#  - gzip: the body decompresses to the plain one and is much smaller;
#  - OpenMetrics for Prometheus' Accept header, checked by the Python
#    client's strict OpenMetrics parser; the text format by promtool;
#  - process_* metrics agree with the exporter's /proc/PID;
#  - with the real BPF sources, one that cannot attach on this kernel is
#    exported as kvmscope_collector_up 0 with a reason.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh
own_tracefs "$@"

# Debian's python3: prometheus_client (lab/deps.sh) and crypt.
py=/usr/bin/python3
exporter_suite exporter-web

# start_exporter LOG args...: on a free loopback port; sets $port, $epid.
start_exporter() {
	local log=$1
	shift
	"$exe" --listen 127.0.0.1:0 "$@" 2>"$log" &
	pids+=($!)
	epid=$!
	port=$(serving_port "$log" "$epid")
}
stop_exporter() { kill "$epid"; wait "$epid" 2>/dev/null; }
code() {	# code URL [curl args]: the HTTP status, 000 without one
	curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$@"
}

printf 'kvm-101 name=web-1 vcpus=64\nkvm-102 name=web-2 vcpus=64\n' >"$tmp/vms"

# --- certificates and a password, made now
mkcert() {	# mkcert NAME: NAME.pem, NAME.key, self-signed for 127.0.0.1
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
		-nodes -keyout "$tmp/$1.key" -out "$tmp/$1.pem" -days 1 \
		-subj "/CN=$1" -addext "subjectAltName=IP:127.0.0.1" 2>/dev/null
}
if ! mkcert server || ! mkcert client || ! mkcert stranger; then
	not_ok "openssl makes certificates"
	tap_done
	exit 1
fi
hash=$("$py" -W ignore -c 'import crypt; print(crypt.crypt("s3cret", crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=1 << 10)))')
case "$hash" in
'$2b$'*) ok "bcrypt hash from python3's crypt" ;;
*) not_ok "bcrypt hash from python3's crypt" "$hash" ;;
esac
# Relative paths: the config's directory.
cat >"$tmp/web.yml" <<EOF
tls_server_config:
  cert_file: server.pem
  key_file: server.key
basic_auth_users:
  prom: '$hash'
EOF

# --- bad files: exit 2 and the file and line, before anything runs
expect_bad() {	# expect_bad "what" "message" "YAML"
	local out rc
	printf '%b' "$3" >"$tmp/bad.yml"
	out=$("$exe" --listen 127.0.0.1:0 --synthetic "$tmp/vms" \
		--web.config.file "$tmp/bad.yml" 2>&1); rc=$?
	if [ "$rc" -eq 2 ] && grep -qF -- "$2" <<<"$out"; then
		ok "bad web config, $1: exit 2, '$2'"
	else
		not_ok "bad web config, $1: exit $rc" "$out"
	fi
}
expect_bad "key of another certificate" "bad.yml:2: tls_server_config: cert_file and key_file: " \
	'tls_server_config:\n  cert_file: server.pem\n  key_file: client.key\n'
expect_bad "no key" "cert_file and key_file go together" \
	'tls_server_config:\n  cert_file: server.pem\n'
expect_bad "plaintext password" "bad.yml:2: basic_auth_users: prom: expected a bcrypt hash" \
	'basic_auth_users:\n  prom: s3cret\n'
expect_bad "unimplemented key" "bad.yml:4: tls_server_config: 'cipher_suites' is not supported" \
	'tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n  cipher_suites: [TLS_AES_128_GCM_SHA256]\n'
expect_bad "not YAML" "bad.yml:2: " 'basic_auth_users: {\n'
out=$("$exe" --synthetic "$tmp/vms" --web.config.file "$tmp/missing.yml" 2>&1); rc=$?
check_eq "missing web config: exit" 2 "$rc"
check "missing web config: says so" grep -qF "$tmp/missing.yml: No such file or directory" <<<"$out"

# --- TLS and basic auth
if start_exporter "$tmp/tls.log" --synthetic "$tmp/vms" \
	--web.config.file "$tmp/web.yml" --web.telemetry-path /kvm; then
	ok "exporter starts with TLS and basic auth (port $port)"
	url=https://127.0.0.1:$port
	check_eq "log line" "serving $url/kvm (basic auth)" \
		"$(grep '^serving https' "$tmp/tls.log")"
	check_eq "right password" 200 "$(code "$url/kvm" --cacert "$tmp/server.pem" -u prom:s3cret)"
	check_eq "wrong password" 401 "$(code "$url/kvm" --cacert "$tmp/server.pem" -u prom:s3cret2)"
	check_eq "unknown user" 401 "$(code "$url/kvm" --cacert "$tmp/server.pem" -u root:s3cret)"
	check_eq "no password" 401 "$(code "$url/kvm" --cacert "$tmp/server.pem")"
	check_eq "landing page needs it too" 401 "$(code "$url/" --cacert "$tmp/server.pem")"
	check_eq "the challenge" 'WWW-Authenticate: Basic realm="kvmscope-exporter"' \
		"$(curl -s -D - -o /dev/null --cacert "$tmp/server.pem" "$url/kvm" | tr -d '\r' | grep -i '^WWW-Authenticate')"
	check_eq "plain HTTP on the TLS port: no answer" 000 "$(code "http://127.0.0.1:$port/kvm" -u prom:s3cret)"
	check_eq "a certificate not trusted: refused" 000 "$(code "$url/kvm" --cacert "$tmp/client.pem" -u prom:s3cret)"
	check_eq "--web.telemetry-path: /metrics is gone" 404 \
		"$(code "$url/metrics" --cacert "$tmp/server.pem" -u prom:s3cret)"
	check "landing page links to the telemetry path" grep -qF '<a href="/kvm">' \
		<(curl -s --cacert "$tmp/server.pem" -u prom:s3cret "$url/")
	curl -s --cacert "$tmp/server.pem" -u prom:s3cret "$url/kvm" >"$tmp/tls.prom"
	check "metrics over TLS pass promtool" promtool check metrics <"$tmp/tls.prom"
	stop_exporter
else
	not_ok "exporter starts with TLS and basic auth" "$(cat "$tmp/tls.log")"
fi

# --- client certificates
cat >"$tmp/mtls.yml" <<EOF
tls_server_config:
  cert_file: server.pem
  key_file: server.key
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: client.pem
EOF
if start_exporter "$tmp/mtls.log" --synthetic "$tmp/vms" --web.config.file "$tmp/mtls.yml"; then
	url=https://127.0.0.1:$port/metrics
	check_eq "client certificate signed by client_ca_file" 200 \
		"$(code "$url" --cacert "$tmp/server.pem" --cert "$tmp/client.pem" --key "$tmp/client.key")"
	c=$(code "$url" --cacert "$tmp/server.pem")
	check "no client certificate: refused ($c)" test "$c" = 403 -o "$c" = 000
	c=$(code "$url" --cacert "$tmp/server.pem" --cert "$tmp/stranger.pem" --key "$tmp/stranger.key")
	check "a stranger's certificate: refused ($c)" test "$c" = 403 -o "$c" = 000
	stop_exporter
else
	not_ok "exporter starts with client certificates" "$(cat "$tmp/mtls.log")"
fi

# --- plain HTTP: gzip, OpenMetrics, process_*
prom_accept='application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1'
# The series of an exposition, without values (timings and CPU move).
series() { grep -v '^#' "$1" | sed 's/ [^ ]*$//' | sort; }
if start_exporter "$tmp/plain.log" --synthetic "$tmp/vms" --per-vcpu --web.listen-address 127.0.0.1:0; then
	url=http://127.0.0.1:$port/metrics
	curl -s -D "$tmp/h.txt" "$url" >"$tmp/plain.prom"
	curl -s -D "$tmp/h.gz" -H 'Accept-Encoding: gzip' "$url" >"$tmp/body.gz"
	check "gzip: Content-Encoding" grep -qi '^Content-Encoding: gzip' "$tmp/h.gz"
	check "plain: no Content-Encoding" test -z "$(grep -i '^Content-Encoding' "$tmp/h.txt")"
	if gunzip -c "$tmp/body.gz" >"$tmp/gunzipped.prom"; then
		check "gzip: decompresses to the plain body's series" \
			diff <(series "$tmp/plain.prom") <(series "$tmp/gunzipped.prom")
	else
		not_ok "gzip: body is gzip"
	fi
	p=$(stat -c %s "$tmp/plain.prom"); z=$(stat -c %s "$tmp/body.gz")
	check "gzip: $z bytes for $p: under a fifth" test $((z * 5)) -lt "$p"

	check "text format with process_* passes promtool" promtool check metrics <"$tmp/plain.prom"
	curl -s -D "$tmp/h.om" -H "Accept: $prom_accept" "$url" >"$tmp/om.txt"
	check_eq "OpenMetrics content type" "application/openmetrics-text; version=1.0.0; charset=utf-8" \
		"$(sed -n 's/^Content-Type: \(.*\)\r$/\1/Ip' "$tmp/h.om")"
	check_eq "OpenMetrics ends with # EOF" "# EOF" "$(tail -n 1 "$tmp/om.txt")"
	check_eq "OpenMetrics: # EOF once" 1 "$(grep -c '^# EOF' "$tmp/om.txt")"
	check "OpenMetrics: no counter family is named _total" \
		test -z "$(grep -E '^# TYPE [^ ]*_total counter$' "$tmp/om.txt")"
	check "OpenMetrics: counter samples are" \
		grep -q '^kvmscope_mem_conversions_total{' "$tmp/om.txt"
	check "OpenMetrics: the same series as the text format" \
		diff <(series "$tmp/plain.prom") <(series "$tmp/om.txt" | grep -v '^$')
	parse='
import sys
from prometheus_client.openmetrics.parser import text_string_to_metric_families
fams = list(text_string_to_metric_families(open(sys.argv[1]).read()))
counters = [f for f in fams if f.type == "counter"]
assert counters and all(s.name == f.name + "_total" for f in counters for s in f.samples)
print(len(fams))'
	check "OpenMetrics passes the Python client's strict parser" "$py" -c "$parse" "$tmp/om.txt"
	check "...which rejects the text format" \
		bash -c '! "$0" -c "$1" "$2" 2>/dev/null' "$py" "$parse" "$tmp/plain.prom"

	# process_*: the exporter's own /proc, read as root from outside.
	curl -s "$url" >"$tmp/p.prom"
	val() { sed -n "s/^$1 //p" "$tmp/p.prom"; }
	read -r _ rss_pages _ </proc/"$epid"/statm
	rss=$(val process_resident_memory_bytes)
	want=$((rss_pages * $(getconf PAGESIZE)))
	check "process_resident_memory_bytes $rss ~ /proc/PID/statm's $want" \
		awk -v a="$rss" -v b="$want" 'BEGIN { exit !(a > b / 2 && a < b * 2) }'
	want=$(awk -v hz="$(getconf CLK_TCK)" -v bt="$(awk '/^btime/ { print $2 }' /proc/stat)" \
		'{ sub(/.*\) /, ""); printf "%.2f", bt + $20 / hz }' /proc/"$epid"/stat)
	check_eq "process_start_time_seconds from /proc/PID/stat" "$want" \
		"$(awk -v v="$(val process_start_time_seconds)" 'BEGIN { printf "%.2f", v }')"
	fds=$(ls /proc/"$epid"/fd | wc -l); got=$(val process_open_fds)
	# The scrape's own connection is open while it counts.
	check "process_open_fds $got: /proc/PID/fd has $fds, +1 for the scrape" \
		test "$got" -ge "$fds" -a "$got" -le $((fds + 1))
	check_eq "process_max_fds: its soft limit" \
		"$(awk '/^Max open files/ { print $4 }' /proc/"$epid"/limits)" "$(val process_max_fds)"
	check "process_cpu_seconds_total is a number" \
		awk -v v="$(val process_cpu_seconds_total)" 'BEGIN { exit !(v ~ /^[0-9.]+$/) }'
	stop_exporter
else
	not_ok "exporter starts (plain)" "$(cat "$tmp/plain.log")"
fi

# --- a BPF source that cannot attach on this kernel
if start_exporter "$tmp/bpf.log"; then
	curl -s "http://127.0.0.1:$port/metrics" >"$tmp/bpf.prom"
	down=$(sed -n 's/^not collecting: \([a-z]*\): .*/\1/p' "$tmp/bpf.log")
	if [ -z "$down" ]; then
		ok "# SKIP every source attaches on $(uname -r)"
	fi
	for s in $down; do
		check "$s, not attached: kvmscope_collector_up 0 with a reason" \
			grep -qE "^kvmscope_collector_up\{collector=\"$s\",reason=\"[a-z ]+\"\} 0$" "$tmp/bpf.prom"
	done
	for s in $(sed -n 's/^collecting \([a-z]*\): .*/\1/p' "$tmp/bpf.log"); do
		check "$s, attached: kvmscope_collector_up 1, no reason" \
			grep -qx "kvmscope_collector_up{collector=\"$s\"} 1" "$tmp/bpf.prom"
	done
	stop_exporter
else
	not_ok "exporter starts on the BPF sources" "$(cat "$tmp/bpf.log")"
fi

tap_done
