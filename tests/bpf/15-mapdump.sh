#!/usr/bin/env bash
# ks_map_dump(), the one reader of the probes' maps, on real BPF maps of
# the host kernel (tests/bpf/mapdump/driver.c): every entry comes back
# once with its own value, however full the map and its buckets, and the
# read allocates for the entries the map holds, not for its capacity;
# ks_array_walk() gives each slot of an array once, in order, through a
# small buffer.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh

out=build/tests-bpf
drv=$out/mapdump-driver
mkdir -p "$out"

if [ "$(id -u)" -ne 0 ]; then
	not_ok "runs as root (BPF maps)" "uid $(id -u)"
	tap_done
	exit 1
fi
if ! log=$(make -s build/libkvmscope.a 2>&1 &&
	   cc -O2 -g -Wall -Wextra -Werror -Ibuild -Itools/lib -Itools/probe -Ibpf \
		-o "$drv" tests/bpf/mapdump/driver.c build/libkvmscope.a -lbpf -lelf -lz 2>&1); then
	not_ok "build the ks_map_dump driver" "$log"
	tap_done
	exit 1
fi
ok "build the ks_map_dump driver"

# dump TYPE MAX ENTRIES VALUE_SIZE: the driver's "n= seen= wrong= bytes=" line.
dump() {
	"$drv" "$@" 2>&1 || echo "driver failed: exit $?"
}
field() { sed -n "s/.*\\b$1=\\([0-9]*\\).*/\\1/p" <<<"$2"; }
# every "what" TYPE MAX ENTRIES VALUE_SIZE: each of ENTRIES entries once, right.
every() {
	local what=$1 n=$4 r
	[ "$2" = hash ] || n=$3
	r=$(dump "${@:2}")
	check_eq "$what: each entry once, with its value (n seen wrong)" \
		"$n $n 0" "$(field n "$r") $(field seen "$r") $(field wrong "$r")"
}

# hvflush's rows: 16384 of 464 bytes.  A dozen rows are read into room
# for a few dozen: at most 128 rows' worth, keys and values, where room
# for the map's capacity would be 7.6 MB.
r=$(dump hash 16384 12 464)
every "12 rows of a 16384-row hash map" hash 16384 12 464
b=$(field bytes "$r")
check "12 rows of a 16384-row hash map: the read allocated ${b:-?} bytes, at most 128 rows' worth ($((128 * (4 + 464))))" \
	test "${b:-999999999}" -le $((128 * (4 + 464)))
every "an empty hash map" hash 16384 0 464
every "3000 rows, the room grown many times" hash 16384 3000 464
# Full: 4096 keys in 4096 buckets, several to a bucket, so batches stop
# where a bucket does not fit the room left (ENOSPC) and the room grows.
every "a full hash map, buckets of several keys" hash 4096 4096 8
every "a hash map of one entry" hash 1 1 8
# The roles table: an array of 8192 slots, read whole.
every "an array of 8192 slots" array 8192 0 96
every "an array of one slot" array 1 0 96
# The roles table walked: in index order, through a buffer of a few
# dozen slots, never one of the table's size (768 kB).
r=$(dump walk 8192 0 96)
every "a walk of an array of 8192 slots, in order" walk 8192 0 96
b=$(field bytes "$r")
check "a walk of 8192 slots of 96 bytes allocated ${b:-?} bytes at most, under 128 slots' worth ($((128 * 96)))" \
	test "${b:-999999999}" -lt $((128 * 96))
every "a walk of 100 slots, the last batch short" walk 100 0 96
every "a walk of one slot" walk 1 0 96
check_eq "bad arguments: usage and exit 2" 2 "$("$drv" list 1 1 1 >/dev/null 2>&1; echo $?)"

tap_done
