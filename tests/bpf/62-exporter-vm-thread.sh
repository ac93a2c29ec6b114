#!/usr/bin/env bash
# kvmscope-exporter and a VMM that creates its VM from a second thread, as
# QEMU may: KVM names the VM "kvm-<tid>" after that thread, while every row
# is the VMM process's.  Real BPF programs in fallback mode, a real VM of
# /dev/kvm: the VM is live while its process runs (the thread that made it
# long gone), expires after the grace period once the process exits, its
# map entries are deleted, and it does not come back grace after grace.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh
own_tracefs "$@"

exporter_suite vm-thread

ok "build kvmscope-exporter"

# The VMM: a thread creates the VM, says its tid and ends; the main thread
# converts 3 ranges to private once told to (go), then waits (exit).
python3 - "$tmp" <<'PY' &
import fcntl, os, struct, sys, threading, time
tmp = sys.argv[1]
vm = {}
def create():
    vm["fd"] = fcntl.ioctl(os.open("/dev/kvm", os.O_RDWR), 0xae01, 0)  # KVM_CREATE_VM
    vm["tid"] = threading.get_native_id()
t = threading.Thread(target=create)
t.start()
t.join()
def wait_for(name):
    while not os.path.exists(os.path.join(tmp, name)):
        time.sleep(0.02)
with open(os.path.join(tmp, "tid.tmp"), "w") as f:
    f.write("%d\n" % vm["tid"])
os.rename(os.path.join(tmp, "tid.tmp"), os.path.join(tmp, "tid"))
wait_for("go")
for _ in range(3):
    try:  # KVM_SET_MEMORY_ATTRIBUTES, to private
        fcntl.ioctl(vm["fd"], 0x4020aed2, bytearray(struct.pack("QQQQ", 0x100000, 0x1000, 8, 0)))
    except OSError:
        pass
open(os.path.join(tmp, "done"), "w").close()
wait_for("exit")
PY
vmm=$!
pids+=("$vmm")
for _ in $(seq 100); do [ -s "$tmp/tid" ] && break; sleep 0.1; done
tid=$(cat "$tmp/tid" 2>/dev/null)
check "the VM was made by a thread other than the VMM's main (tid ${tid:-?}, pid $vmm)" \
	test -n "$tid" -a "${tid:-$vmm}" != "$vmm"
check "the thread that made the VM is gone" test ! -e "/proc/$vmm/task/${tid:-0}"

# Only this VMM (-p): whatever else runs on the host stays out.
"$exe" --listen 127.0.0.1:0 -p "$vmm" --grace 2 --zero-hold 0 2>"$tmp/exporter.log" &
epid=$!
pids+=("$epid")
port=$(serving_port "$tmp/exporter.log" "$epid")
if [ -z "$port" ]; then
	not_ok "exporter starts with BPF" "$(cat "$tmp/exporter.log")"
	tap_done
	exit 1
fi
ok "exporter starts with BPF (port $port)"
scrape() { curl -sS --max-time 10 "http://127.0.0.1:$port/metrics"; }
conv() { sed -n "s/^kvmscope_mem_conversions_total{vm=\"kvm-$tid\",vm_name=\"python3\",direction=\"private\"} //p"; }
vms() { sed -n "s/^kvmscope_vms{state=\"$1\"} //p"; }
stats_fill() { sed -n 's/^kvmscope_bpf_map_fill_ratio{collector="conversions",map="stats"} //p'; }

touch "$tmp/go"
for _ in $(seq 100); do [ -e "$tmp/done" ] && break; sleep 0.1; done
scrape >"$tmp/m1"
check_eq "its conversions, under the VM's id kvm-<tid>" 3 "$(conv <"$tmp/m1")"
check_eq "live while its process runs (live expiring)" "1 0" \
	"$(vms live <"$tmp/m1") $(vms expiring <"$tmp/m1")"
check "its row in the stats map" test "$(stats_fill <"$tmp/m1")" != 0

touch "$tmp/exit"
wait "$vmm"
scrape >"$tmp/m2"
check_eq "VMM exited: kept for the grace period, expiring" "3 0 1" \
	"$(conv <"$tmp/m2") $(vms live <"$tmp/m2") $(vms expiring <"$tmp/m2")"
sleep 2.5
scrape >"$tmp/m3"
check_eq "after the grace period: its series gone" 0 "$(grep -c "kvm-$tid" "$tmp/m3")"
# The fill ratio is read before the expiry: the next scrape shows it.
check_eq "after the grace period: its map entries deleted" 0 "$(scrape | stats_fill)"
# A VM whose rows were left behind came back as a new one, first seen now.
for i in 1 2; do
	sleep 2.5
	scrape >"$tmp/m4"
	check_eq "grace $i later: not back (series, expiring VMs)" "0 0" \
		"$(grep -c "kvm-$tid" "$tmp/m4") $(vms expiring <"$tmp/m4")"
done
tap_done
