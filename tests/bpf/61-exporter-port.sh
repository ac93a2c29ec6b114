#!/usr/bin/env bash
# kvmscope-exporter owns its port: a second exporter on a port the first
# one serves exits 1 with "port N is in use", and the first keeps every
# scrape.  (With SO_REUSEPORT the second started and took every other
# scrape.)  Synthetic source only: no BPF, no tracefs.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh

exporter_suite exporter-port

printf 'kvm-1 name=first vcpus=1\n' >"$tmp/first.vms"
printf 'kvm-2 name=second vcpus=1\n' >"$tmp/second.vms"

"$exe" --listen 127.0.0.1:0 --synthetic "$tmp/first.vms" 2>"$tmp/first.log" &
pid=$!
pids+=("$pid")
port=$(serving_port "$tmp/first.log" "$pid")
if [ -z "$port" ]; then
	not_ok "first exporter starts" "$(cat "$tmp/first.log")"
	tap_done
	exit 1
fi
ok "first exporter starts (port $port)"

# The second one should exit at once; one that started serves until
# killed, so scrape meanwhile and only then look at how it ended.
"$exe" --listen "127.0.0.1:$port" --synthetic "$tmp/second.vms" \
	2>"$tmp/second.log" &
second=$!
pids+=("$second")
for _ in $(seq 50); do
	kill -0 "$second" 2>/dev/null || break
	sleep 0.1
done
names=$(for _ in $(seq 20); do
	curl -sS --max-time 10 "http://127.0.0.1:$port/metrics" |
		sed -n 's/.*vm_name="\([^"]*\)".*/\1/p' | head -n 1
done | sort | uniq -c | sed 's/^ *//' | tr '\n' ' ')
kill "$second" 2>/dev/null
wait "$second"
check_eq "second exporter on port $port: exit status" 1 "$?"
check "its message names the address and the busy port" \
	grep -Fx "Error: cannot serve HTTP on 127.0.0.1:$port: port $port is in use" \
	"$tmp/second.log"
check_eq "20 scrapes, all from the first exporter" "20 first " "$names"
tap_done
