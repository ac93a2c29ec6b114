#!/usr/bin/env bash
# kvmscope-exporter under systemd, without systemd running:
#  - the installed units pass `systemd-analyze verify`, and
#    `systemd-analyze security` scores the service (printed) at most 2.5,
#    today's score: a dropped sandboxing line raises it;
#  - socket activation: started as systemd starts it (a listening socket
#    as fd 3, LISTEN_FDS=1, LISTEN_PID), it serves /metrics on that socket
#    and binds nothing itself;
#  - Type=notify: READY=1 reaches NOTIFY_SOCKET (sent once serving).
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh

tmp=$(mktemp -d /tmp/kvmscope-systemd-test.XXXXXX)
# Started as root, the exporter serves as nobody, who re-reads the spec.
chmod 755 "$tmp"
trap 'rm -rf "$tmp"' EXIT

# PREFIX, not DESTDIR: verify wants ExecStart's binary where it says.
if ! log=$(make -s install PREFIX="$tmp/usr" 2>&1); then
	not_ok "make install PREFIX=$tmp/usr" "$log"
	tap_done
	exit 1
fi
units=$tmp/usr/lib/systemd/system
exe=$tmp/usr/sbin/kvmscope-exporter

if command -v systemd-analyze >/dev/null; then
	# --man=no: the man page is installed under $tmp, not where man looks.
	check "systemd-analyze verify" \
		systemd-analyze verify --man=no "$units/kvmscope-exporter.service" \
		"$units/kvmscope-exporter.socket"
	out=$(systemd-analyze security --offline=yes --no-pager \
		"$units/kvmscope-exporter.service" 2>&1)
	score=$(sed -n 's/.*Overall exposure level for .*: \([0-9.]*\) .*/\1/p' <<<"$out")
	echo "# systemd-analyze security: $(grep 'Overall exposure' <<<"$out")"
	if [ -n "$score" ] && awk -v s="$score" 'BEGIN { exit !(s <= 2.5) }'; then
		ok "systemd-analyze security: exposure $score <= 2.5"
	else
		not_ok "systemd-analyze security: exposure '$score', wanted <= 2.5" "$out"
	fi
else
	echo "# no systemd-analyze: units not verified"
fi

printf 'kvm-7 name=activated vcpus=1\n' >"$tmp/vms"
tests/bpf/sd-launch.py "$tmp" "$exe" --synthetic "$tmp/vms" \
	>"$tmp/events" 2>"$tmp/log" &
launcher=$!
port= ready=
for _ in $(seq 100); do
	port=$(sed -n 's/^port //p' "$tmp/events")
	ready=$(grep -c '^notify .*READY=1' "$tmp/events")
	[ -n "$port" ] && [ "$ready" -gt 0 ] && break
	grep -q '^exit' "$tmp/events" && break
	sleep 0.1
done
check_eq "READY=1 on NOTIFY_SOCKET, once" 1 "$ready"
metrics=$(curl -sS --max-time 10 "http://127.0.0.1:$port/metrics" 2>&1)
touch "$tmp/scraped"
check_eq "serves /metrics on systemd's socket" 1 \
	"$(grep -c '^kvmscope_mem_conversions_total{vm="kvm-7",vm_name="activated",direction="private"} 0$' <<<"$metrics")"
check_eq "says it serves on systemd's socket" 1 \
	"$(grep -c "serving http://127.0.0.1:$port/metrics" "$tmp/log")"
wait "$launcher"
check_eq "bound no port of its own (9789)" 0 \
	"$(grep -c 'in use\|cannot serve' "$tmp/log")"
check_eq "exits 0 on SIGTERM" "exit 0" "$(grep '^exit' "$tmp/events")"

# Two sockets: systemd misconfigured, a clear error, no guess.
python3 - "$exe" --synthetic "$tmp/vms" >"$tmp/two.out" 2>&1 <<'PY'
import os, socket, sys
a, b = (socket.socket() for _ in range(2))
for s in (a, b):
    s.bind(("127.0.0.1", 0)); s.listen(1)
pid = os.fork()
if pid == 0:
    for fd, s in ((3, a), (4, b)):
        os.dup2(s.fileno(), fd); os.set_inheritable(fd, True)
    os.environ.update(LISTEN_FDS="2", LISTEN_PID=str(os.getpid()))
    os.execv(sys.argv[1], sys.argv[1:])
print("exit", os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
PY
check_eq "two sockets: exit 1" "exit 1" "$(grep '^exit' "$tmp/two.out")"
check_eq "two sockets: says why" 1 \
	"$(grep -c 'systemd passed 2 sockets, expected one' "$tmp/two.out")"
tap_done
