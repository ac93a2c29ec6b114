#!/usr/bin/env bash
# kvmscope-exporter on the host, as an operator runs it, over loopback only:
#  - command line errors (exit 2) and help;
#  - synthetic source: /metrics passes promtool check metrics, HTTP status
#    codes for bad requests, privileges dropped (started as root, it
#    serves as nobody), textfile output, VMs created and destroyed leave
#    no series after the grace period;
#  - a bounded load test: 16 parallel scrapers, 10000 scrapes, every
#    response well-formed, RSS flat;
#  - the real BPF programs in fallback mode (the host has no kvmscope
#    series): KVM_SET_MEMORY_ATTRIBUTES ioctls issued here (on a default
#    VM of /dev/kvm: they fail with ENOTTY, but its file is a VM's) must
#    show up as exactly that many conversions and errors of this VM.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh
own_tracefs "$@"

exporter_suite exporter-test
nobody_ids="$(id -u nobody) $(id -g nobody)"

ok "build kvmscope-exporter"

# --- command line
expect_rc() {	# expect_rc "what" rc args...
	local what=$1 want=$2 out rc
	shift 2
	out=$("$exe" "$@" 2>&1); rc=$?
	if [ "$rc" -eq "$want" ]; then ok "$what: exit $rc"; else
		not_ok "$what: exit $rc, wanted $want" "$out"; fi
}
expect_rc "--help" 0 --help
expect_rc "unknown option" 2 --frobnicate
expect_rc "bad number" 2 --interval 12x
expect_rc "interval 0" 2 --interval 0
expect_rc "nonexistent PID" 2 -p 4194303
expect_rc "bad listen address" 2 --listen 300.1.1.1:80
expect_rc "stray positional" 2 15
expect_rc "unreadable synthetic spec" 1 --synthetic "$tmp/missing"
printf 'kvm-1 vcpus=0\n' >"$tmp/bad.vms"
expect_rc "invalid synthetic spec" 1 --synthetic "$tmp/bad.vms"
check_eq "--help has examples" 1 "$("$exe" --help | grep -c '^EXAMPLES:')"

# start_exporter LOG args...: runs it on a free loopback port, sets $port.
# A command prefix in the array $run_as runs it as another user.
run_as=()
start_exporter() {
	local log=$1
	shift
	"${run_as[@]}" "$exe" --listen 127.0.0.1:0 "$@" 2>"$log" &
	pids+=($!)
	epid=$!
	port=$(serving_port "$log" "$epid")
}
scrape() { curl -sS --max-time 10 "http://127.0.0.1:$port/metrics"; }
code() {	# code [curl args] PATH
	local path=${!#}
	curl -s -o /dev/null -w '%{http_code}' --max-time 10 "${@:1:$#-1}" \
		"http://127.0.0.1:$port$path"
}
vm_ids() { scrape | sed -n 's/^kvmscope_mem_conversions_total{vm="\([^"]*\)".*/\1/p' | sort -u | tr '\n' ' '; }

# --- synthetic source
spec=$tmp/vms
printf 'kvm-101 name=web-1 vcpus=4 rate=50\nkvm-102 name=we"b\\2 vcpus=2\n' >"$spec"
# No zero hold: the grace checks below time the VMs from their last sighting.
if ! start_exporter "$tmp/synth.log" --synthetic "$spec" --grace 2 --zero-hold 0 --per-vcpu; then
	not_ok "exporter starts" "$(cat "$tmp/synth.log")"
	tap_done
	exit 1
fi
ok "exporter starts (port $port)"
scrape >"$tmp/m1"
check "promtool check metrics" promtool check metrics <"$tmp/m1"
check "escaped vm_name" grep -q 'vm_name="we\\"b\\\\2"' "$tmp/m1"
check_eq "per-vCPU histograms: vCPUs of kvm-101" 4 \
	"$(grep -c '^kvmscope_hv_tlb_flush_latency_seconds_count{vm="kvm-101",vm_name="web-1",vcpu="[0-9]",fifo="l1"}' "$tmp/m1")"
check_eq "+Inf bucket equals _count" \
	"$(sed -n 's/^kvmscope_mem_conversion_duration_seconds_count{vm="kvm-101",vm_name="web-1",direction="private"} //p' "$tmp/m1")" \
	"$(sed -n 's/^kvmscope_mem_conversion_duration_seconds_bucket{vm="kvm-101",vm_name="web-1",direction="private",le="+Inf"} //p' "$tmp/m1")"
check_eq "content type" "text/plain; version=0.0.4; charset=utf-8" \
	"$(curl -s -o /dev/null -w '%{content_type}' "http://127.0.0.1:$port/metrics")"
check_eq "GET /metrics" 200 "$(code /metrics)"
check_eq "GET /" 200 "$(code /)"
check_eq "GET /nope" 404 "$(code /nope)"
check_eq "POST /metrics" 405 "$(code -X POST -d x=1 /metrics)"
check_eq "HEAD /metrics" 200 "$(code -I /metrics)"
check_eq "64 KiB header" 431 "$(code -H "X-Big: $(head -c 65536 /dev/zero | tr '\0' a)" /metrics)"
check_eq "still serving after bad requests" 200 "$(code /metrics)"
# SIGHUP reopens files (none here): the exporter goes on serving.
kill -HUP "$epid"
# logged LOG PATTERN PID: until PID wrote PATTERN to LOG (or died).
logged() {
	local i
	for i in $(seq 100); do
		grep -q "$2" "$1" && return 0
		kill -0 "$3" 2>/dev/null || break
		sleep 0.1
	done
	echo "# not in the log: $2: $(cat "$1")"
	return 1
}
check "SIGHUP: said, nothing to reopen" logged "$tmp/synth.log" '^SIGHUP: nothing to reopen' "$epid"
check_eq "SIGHUP: still serving" 200 "$(code /metrics)"
# privs PID: its uids, gids and supplementary groups, capability sets and
# no_new_privs, as the kernel sees them.
privs() {
	sed -n 's/^\(Uid\|Gid\|Groups\|Cap[A-Z][a-z][a-z]\|NoNewPrivs\):[[:space:]]*//p' \
		/proc/"$1"/status | xargs
}
zero=0000000000000000
u=${nobody_ids% *} g=${nobody_ids#* }
privs_nobody="$u $u $u $u $g $g $g $g $zero $zero $zero $zero $zero 1"
check_eq "started as root: serves as nobody, no group, no capability, no_new_privs" \
	"$privs_nobody" "$(privs "$epid")"
check "says so" grep -q "^serving as uid $u, gid $g$" "$tmp/synth.log"

# VMs come and go: a gone VM stays for the grace period (2s), then its
# series disappear.
check_eq "VMs before" "kvm-101 kvm-102 " "$(vm_ids)"
printf 'kvm-102\nkvm-103 vcpus=2\n' >"$spec"
check_eq "gone VM kept during the grace period" "kvm-101 kvm-102 kvm-103 " "$(vm_ids)"
check "expiring VM counted" grep -q '^kvmscope_vms{state="expiring"} 1$' <(scrape)
sleep 2.5
check_eq "gone VM dropped after the grace period" "kvm-102 kvm-103 " "$(vm_ids)"

# Churn: 200 VMs created and destroyed while 4 clients scrape.
(
	for i in $(seq 1 200); do
		printf 'kvm-%d vcpus=2\nkvm-%d vcpus=2\nkvm-103 vcpus=2\n' \
			$((1000 + i)) $((2000 + i)) >"$spec.tmp" && mv "$spec.tmp" "$spec"
		sleep 0.01
	done
	printf 'kvm-103 vcpus=2\n' >"$spec.tmp" && mv "$spec.tmp" "$spec"
) &
churn=$!
for c in 1 2 3 4; do
	( while kill -0 "$churn" 2>/dev/null; do scrape >/dev/null || exit 1; done ) &
	pids+=($!)
done
wait "$churn"
sleep 2.5
scrape >"$tmp/m2"
check_eq "after churn and grace: only the live VM" "kvm-103 " "$(vm_ids)"
check_eq "after churn: no expiring VMs" 0 \
	"$(sed -n 's/^kvmscope_vms{state="expiring"} //p' "$tmp/m2")"
check_eq "after churn: series of one 2-vCPU VM" \
	"$(grep -c 'vm="kvm-103"' "$tmp/m2")" "$(grep -c 'vm="' "$tmp/m2")"

# --- load: 16 scrapers, 10000 scrapes, each response checked
printf 'kvm-103 vcpus=8 rate=100\n' >"$spec"
rss() { sed -n 's/^VmRSS:[^0-9]*\([0-9]*\) kB/\1/p' /proc/"$epid"/status; }
load_out=$(python3 - "$port" "$epid" <<'PY'
import http.client, re, sys, threading, time
port, pid = int(sys.argv[1]), sys.argv[2]
TOTAL, THREADS, DEADLINE = 10000, 16, time.time() + 240
line_re = re.compile(r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*"(,[a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*")*\})? [-+0-9.eEInfNa]+$')
lock = threading.Lock()
state = {"next": 0, "bad": 0, "first_bad": "", "rss": []}
def rss():
    for l in open("/proc/%s/status" % pid):
        if l.startswith("VmRSS:"):
            return int(l.split()[1])
def worker():
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    while True:
        with lock:
            n = state["next"]
            if n >= TOTAL or time.time() > DEADLINE:
                return
            state["next"] += 1
            if n in (1000, TOTAL - 1):
                state["rss"].append(rss())
        err = ""
        try:
            conn.request("GET", "/metrics")
            r = conn.getresponse()
            body = r.read().decode()
            if r.status != 200:
                err = "status %d" % r.status
            elif int(r.getheader("Content-Length")) != len(body.encode()):
                err = "length"
            elif not body.endswith("\n") or "kvmscope_info{" not in body:
                err = "truncated"
            else:
                for l in body.split("\n")[:-1]:
                    if not l.startswith("#") and not line_re.match(l):
                        err = "bad line: " + l
                        break
        except Exception as e:
            err = repr(e)
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        if err:
            with lock:
                state["bad"] += 1
                state["first_bad"] = state["first_bad"] or err
t0 = time.time()
ts = [threading.Thread(target=worker) for _ in range(THREADS)]
for t in ts: t.start()
for t in ts: t.join()
el = time.time() - t0
print(state["next"], state["bad"], state["rss"][0], state["rss"][-1],
      "%.1f" % el, "%.0f" % (state["next"] / el), state["first_bad"] or "-")
PY
)
read -r done bad rss_warm rss_end secs rate first_bad <<<"$load_out"
check_eq "load: scrapes done" 10000 "$done"
check_eq "load: malformed or failed responses" 0 "$bad"
[ "$bad" = 0 ] || echo "#   first failure: $first_bad"
echo "# load: $done scrapes in ${secs}s ($rate/s), RSS ${rss_warm} -> ${rss_end} KiB"
if [ -n "$rss_end" ] && [ "$rss_end" -le $((rss_warm + rss_warm / 10 + 1024)) ]; then
	ok "load: RSS flat (${rss_warm} -> ${rss_end} KiB, tolerance 10% + 1 MiB)"
else
	not_ok "load: RSS grew" "${rss_warm} -> ${rss_end} KiB"
fi

# --- textfile, and a clean SIGTERM exit
kill -TERM "$epid"
t0=$(date +%s%N)
wait "$epid"; rc=$?
check_eq "SIGTERM: exit status" 0 "$rc"
check "SIGTERM: exits within 2s" test $(( ($(date +%s%N) - t0) / 1000000 )) -lt 2000
# The textfile directory is group-writable in many setups: whoever may
# write it plants a symlink to a root-only file at the temporary name an
# earlier version used (PATH.<pid>.tmp, known once the PID is: the shell
# below execs the exporter), and one at the target.  Neither is followed,
# even by an exporter that stays root (--keep-caps, which says so).
# The file is 0644 whatever the umask: node_exporter reads it.
mkdir "$tmp/textfile"
tf=$tmp/textfile/kvmscope.prom
printf 'secret\n' >"$tmp/victim"
chmod 600 "$tmp/victim"
ln -s "$tmp/victim" "$tf"
(umask 077; exec bash -c 'ln -s "$1" "$2.$$.tmp" && exec "${@:3}"' _ "$tmp/victim" "$tf" \
	"$exe" --listen none --textfile "$tf" --interval 1 --synthetic "$spec" \
	--keep-caps 2>"$tmp/textfile.log") &
pids+=($!)
tpid=$!
# written_by FILE PID LOG: until PID replaced what was at FILE with a file.
written_by() {
	local i
	for i in $(seq 100); do
		[ -f "$1" ] && [ ! -L "$1" ] && return 0
		kill -0 "$2" 2>/dev/null || break
		sleep 0.1
	done
	echo "# no textfile: $(cat "$3")"
	return 1
}
check "textfile written" written_by "$tf" "$tpid" "$tmp/textfile.log"
check_eq "textfile: planted links not followed" secret "$(cat "$tmp/victim")"
check_eq "textfile: a regular file, mode 0644" "regular file 644" "$(stat -c '%F %a' "$tf")"
check "textfile: promtool check metrics" promtool check metrics <"$tf"
check_eq "textfile: no temporary files left" "kvmscope.prom kvmscope.prom.$tpid.tmp" \
	"$(ls -A "$tmp/textfile" | xargs)"
check "--keep-caps: warns that it stays root" \
	grep -q '^Warning: --keep-caps: serving as uid 0 with every capability' "$tmp/textfile.log"
check_eq "--keep-caps: stays root" "0 0 0 0" "$(sed -n 's/^Uid:\s*//p' /proc/"$tpid"/status | xargs)"
kill "$tpid"; wait "$tpid"

# Served as nobody, the textfile needs a directory nobody may write: here
# through its group, as node_exporter's directories are.  The file is
# then nobody's.  A directory it may not write: said at once, exit 1.
mkdir "$tmp/textfile-group"
chgrp "$g" "$tmp/textfile-group"
chmod 2770 "$tmp/textfile-group"
tf=$tmp/textfile-group/kvmscope.prom
"$exe" --listen none --textfile "$tf" --interval 60 --synthetic "$spec" \
	2>"$tmp/textfile-group.log" &
pids+=($!)
tpid=$!
check "as nobody: textfile written" written_by "$tf" "$tpid" "$tmp/textfile-group.log"
check_eq "as nobody: the file is nobody's, mode 0644" "$u 644" "$(stat -c '%u %a' "$tf")"
check "as nobody: promtool check metrics" promtool check metrics <"$tf"
check_eq "as nobody: no group, no capability, no_new_privs" "$privs_nobody" "$(privs "$tpid")"
# The directory replaced (a redeploy): SIGHUP looks it up again, and the
# file is written there at once, not after the interval.
mv "$tmp/textfile-group" "$tmp/textfile-group.old"
mkdir -m 2770 "$tmp/textfile-group"
chgrp "$g" "$tmp/textfile-group"
kill -HUP "$tpid"
check "SIGHUP: textfile written into the new directory" written_by "$tf" "$tpid" "$tmp/textfile-group.log"
check "SIGHUP: said" grep -q "^SIGHUP: textfile $tf reopened" "$tmp/textfile-group.log"
check "SIGHUP: still running" kill -0 "$tpid"
kill "$tpid"; wait "$tpid"
chmod 755 "$tmp/textfile-group"
timeout 30 "$exe" --listen none --textfile "$tf" --synthetic "$spec" \
	2>"$tmp/textfile-denied.log"; rc=$?
check_eq "directory nobody may not write: exit status" 1 "$rc"
check "directory nobody may not write: says so" grep -q \
	"^Error: textfile $tf: Permission denied (the directory must be writable by --user)" \
	"$tmp/textfile-denied.log"

# No user database naming nobody (an initramfs, a container: an empty
# /etc here): the kernel's overflow ids, 65534.
run_as=(unshare --mount sh -c 'mount -t tmpfs tmpfs /etc && exec "$0" "$@"')
if start_exporter "$tmp/nopasswd.log" --synthetic "$spec"; then
	check_eq "no user database: serves as 65534" \
		"$(printf '65534 %.0s' 1 2 3 4 5 6 7 8)$zero $zero $zero $zero $zero 1" "$(privs "$epid")"
	check_eq "no user database: still serving" 200 "$(code /metrics)"
else
	not_ok "no user database: starts" "$(cat "$tmp/nopasswd.log")"
fi
kill "$epid"; wait "$epid"
run_as=()

# A full disk (a one-page tmpfs, full with the previous file): the write
# fails, the exporter says why and exits 1 as the setup is unusable, and
# the previous file stays whole.
mkdir "$tmp/full"
mount -t tmpfs -o size=4k tmpfs "$tmp/full"
printf 'old 1\n' >"$tmp/full/kvmscope.prom"
timeout 30 "$exe" --listen none --textfile "$tmp/full/kvmscope.prom" \
	--synthetic "$spec" 2>"$tmp/full.log"; rc=$?
check_eq "full disk: exit status" 1 "$rc"
check "full disk: says why" grep -q "^Error: textfile $tmp/full/kvmscope.prom: No space left on device" "$tmp/full.log"
check_eq "full disk: the previous file kept" "old 1" "$(cat "$tmp/full/kvmscope.prom")"
check_eq "full disk: no temporary file left" kvmscope.prom "$(ls -A "$tmp/full")"
umount "$tmp/full"

# --- real BPF, fallback mode
if [ "$(id -u)" -ne 0 ]; then
	echo "# skipping the BPF part: needs root"
	tap_done
	exit
fi
# A service user with capabilities instead of root: CAP_BPF, CAP_PERFMON,
# and CAP_DAC_READ_SEARCH for tracefs (root's, mode 0700).
caps=+bpf,+perfmon,+dac_read_search
run_as=(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=$caps --ambient-caps=$caps)
if start_exporter "$tmp/caps.log" && grep -q '^collecting conversions: fallback: ' "$tmp/caps.log"; then
	ok "capabilities, not root: collects in fallback mode ($(grep -c '^collecting' "$tmp/caps.log") collectors)"
else
	not_ok "capabilities, not root: collects in fallback mode" "$(cat "$tmp/caps.log")"
fi
kill "$epid"; wait "$epid"
run_as=()

stats_was=$(cat /proc/sys/kernel/bpf_stats_enabled)
echo 1 >/proc/sys/kernel/bpf_stats_enabled
if ! start_exporter "$tmp/bpf.log" --grace 2 --zero-hold 3; then
	not_ok "exporter starts with BPF" "$(cat "$tmp/bpf.log")"
	echo "$stats_was" >/proc/sys/kernel/bpf_stats_enabled
	tap_done
	exit 1
fi
ok "exporter starts with BPF ($(grep -c '^collecting' "$tmp/bpf.log") collectors)"
# What follows reads the maps through the fds kept across the drop.
check_eq "BPF: serves as nobody, no group, no capability, no_new_privs" \
	"$privs_nobody" "$(privs "$epid")"
check "mode line" grep -q '^mode: fallback' "$tmp/bpf.log"
# A process converting 7 ranges to private and 5 to shared, then waiting.
python3 - "$tmp/go" <<'PY' &
import fcntl, os, struct, sys, time
KVM_SET_MEMORY_ATTRIBUTES = 0x4020aed2
fd = fcntl.ioctl(os.open("/dev/kvm", os.O_RDWR), 0xae01, 0)  # KVM_CREATE_VM
for attrs in [8] * 7 + [0] * 5:
    arg = bytearray(struct.pack("QQQQ", 0x100000, 0x200000, attrs, 0))
    try:
        fcntl.ioctl(fd, KVM_SET_MEMORY_ATTRIBUTES, arg)
    except OSError:
        pass
while not os.path.exists(sys.argv[1]):
    time.sleep(0.05)
PY
conv=$!
pids+=($conv)
sleep 1
# A new VM's counters are 0 (for rate()) for the zero hold, whoever
# scrapes: first seen at most ~1s ago, so 2 scrapes are within the 3s.
# Then its values.
conv_priv() { sed -n "s/^kvmscope_mem_conversions_total{vm=\"kvm-$1\",vm_name=\"python3\",direction=\"private\"} //p"; }
check_eq "BPF: first exposition of a VM is 0" 0 "$(scrape | conv_priv "$conv")"
check_eq "BPF: ... and the next one (another scraper)" 0 "$(scrape | conv_priv "$conv")"
sleep 3
scrape >"$tmp/m3"
check "BPF: promtool check metrics" promtool check metrics <"$tmp/m3"
check "BPF: kvmscope_info mode" grep -q '^kvmscope_info{.*mode="fallback"} 1$' "$tmp/m3"
m() { sed -n "s/^$1 //p" "$tmp/m3"; }
check_eq "BPF: conversions to private" 7 "$(m "kvmscope_mem_conversions_total{vm=\"kvm-$conv\",vm_name=\"python3\",direction=\"private\"}")"
check_eq "BPF: conversions to shared" 5 "$(m "kvmscope_mem_conversions_total{vm=\"kvm-$conv\",vm_name=\"python3\",direction=\"shared\"}")"
check_eq "BPF: errors (ENOTTY) to private" 7 "$(m "kvmscope_mem_conversion_errors_total{vm=\"kvm-$conv\",vm_name=\"python3\",direction=\"private\"}")"
check_eq "BPF: pages to private (7 x 512)" 3584 "$(m "kvmscope_mem_conversion_pages_total{vm=\"kvm-$conv\",vm_name=\"python3\",direction=\"private\"}")"
check_eq "BPF: duration histogram count" 7 "$(m "kvmscope_mem_conversion_duration_seconds_count{vm=\"kvm-$conv\",vm_name=\"python3\",direction=\"private\"}")"
# _sum is the kernel's exact sum of durations, in seconds: read the same
# row from the exporter's own stats map (found through its fds): the
# slot of this VMM, its to-private row.
stats_map=$(for f in /proc/"$epid"/fdinfo/*; do sed -n 's/^map_id:\s*//p' "$f"; done |
	while read -r id; do bpftool map show id "$id" -j; done | jq -s '.[] | select(.name == "stats") | .id')
kernel_sum=$(bpftool map dump id "${stats_map:-0}" -j 2>&1 |
	jq ".[] | select(.formatted.value.pid == $conv) | .formatted.value.dir[1].dur_sum_ns" 2>&1)
exported_sum=$(m "kvmscope_mem_conversion_duration_seconds_sum{vm=\"kvm-$conv\",vm_name=\"python3\",direction=\"private\"}" |
	python3 -c 'import decimal, sys; print(int(decimal.Decimal(sys.stdin.read()) * 10**9))' 2>&1)
check "BPF: the kernel kept a duration sum ($kernel_sum ns)" test "${kernel_sum:-0}" -gt 0
check_eq "BPF: duration _sum is the kernel's exact sum, in ns" "$kernel_sum" "$exported_sum"
check "BPF: no no-op counter in fallback" test -z "$(grep kvmscope_mem_conversion_noops_total "$tmp/m3")"
runs=$(m 'kvmscope_bpf_prog_runs_total{collector="conversions",prog="fb_ioctl_enter"}')
check "BPF: program run count from bpf_stats ($runs)" test "${runs:-0}" -ge 12
check_eq "BPF: stats map holds this VM's two rows" 1 \
	"$(grep -c '^kvmscope_bpf_map_fill_ratio{collector="conversions",map="stats"} 0.001953125$' "$tmp/m3")"
touch "$tmp/go"
wait "$conv"
scrape >"$tmp/m4"
check_eq "BPF: exited VMM's series kept during the grace period" 7 "$(sed -n "s/^kvmscope_mem_conversions_total{vm=\"kvm-$conv\",vm_name=\"python3\",direction=\"private\"} //p" "$tmp/m4")"
check "BPF: ... as expiring" grep -q '^kvmscope_vms{state="expiring"} 1$' "$tmp/m4"
sleep 2.5
scrape >"$tmp/m4"
check_eq "BPF: exited VMM's series gone after the grace period" 0 "$(grep -c "kvm-$conv" "$tmp/m4")"
# The fill ratio is read before the expiry: the next scrape shows it.
scrape >"$tmp/m4"
check_eq "BPF: its map entries deleted" 1 \
	"$(grep -c '^kvmscope_bpf_map_fill_ratio{collector="conversions",map="stats"} 0$' "$tmp/m4")"

# A VMM that exits before any scrape still gets its counts exported once.
python3 - <<'PY' &
import fcntl, os, struct
fd = fcntl.ioctl(os.open("/dev/kvm", os.O_RDWR), 0xae01, 0)  # KVM_CREATE_VM
try:
    fcntl.ioctl(fd, 0x4020aed2, bytearray(struct.pack("QQQQ", 0, 4096, 8, 0)))
except OSError:
    pass
PY
short=$!
wait "$short"
check_eq "BPF: short-lived VMM exported at 0 first" 0 "$(scrape | conv_priv "$short")"
sleep 3
# Named by the comm the kernel kept: it exited before any lookup.  Its
# grace (2s) runs from the end of its zero hold.
check_eq "BPF: short-lived VMM's conversion exported after it exited, named" 1 \
	"$(scrape | conv_priv "$short")"
echo "$stats_was" >/proc/sys/kernel/bpf_stats_enabled
tap_done
