#!/usr/bin/env bash
# The bench's shorter hyperv_tlb_flush: the line's KVM selftest with its
# compiled-in iteration count (`#define NTRY 100`, no option for it)
# replaced by N.  Under -icount one 100-iteration run counts 16.5 guest
# seconds and takes minutes of host time (lab/bench/README.md).
# Built like lab/build-selftests.sh builds it: the same patched tree, the
# selftests Makefile's flags and libkvm objects (its object dir),
# statically linked.  Cached in bench/<key>/ under the lab's cache root,
# keyed by the line's selftests key, N, the source given and this script.
# Prints the binary's path on stdout.
#
# usage: lab/bench/build-hvflush.sh --ntry N [--line LINE] [--source FILE]
#   --ntry N       iterations of each of the selftest's loops
#   --source FILE  edit FILE instead of the tree's hyperv_tlb_flush.c
set -euo pipefail
lab_tag=bench
. "$(dirname "$0")/../cache.sh"
. "$lab_dir/tree.sh"

ntry= source=
while [ $# -gt 0 ]; do
	case "$1" in
	--ntry) [ $# -ge 2 ] || usage_error "--ntry needs a number"; ntry=$2; shift ;;
	--line) [ $# -ge 2 ] || usage_error "--line needs a kernel line"; lab_line "$2"; shift ;;
	--source) [ $# -ge 2 ] || usage_error "--source needs a file"; source=$2; shift ;;
	-h | --help) sed -n '2,/^set -e/{/^set -e/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
	*) usage_error "unknown option '$1'" ;;
	esac
	shift
done
[[ $ntry =~ ^[1-9][0-9]*$ ]] || usage_error "--ntry must be a positive integer, not '$ntry'"

# with_ntry SRC DST: SRC with its one `#define NTRY <number>` line made N.
# Without exactly one such line the build would be the selftest as it is,
# 100 iterations under a name saying N: refuse.
with_ntry() {
	local n
	n=$(grep -cE '^#define NTRY [0-9]+[[:space:]]*$' "$1") || true
	[ "$n" -eq 1 ] || die "$1: expected one '#define NTRY <number>' line, found $n: cannot set the iteration count"
	sed -E "s/^#define NTRY [0-9]+[[:space:]]*\$/#define NTRY $ntry/" "$1" >"$2" ||
		die "cannot write $2"
}
if [ -n "$source" ]; then
	[ -f "$source" ] || usage_error "--source: no such file '$source'"
	with_ntry "$source" /dev/null
fi

key=$({
	echo "selftests=$(cache_key selftests) ntry=$ntry"
	cat "$0"
	[ -z "$source" ] || cat "$source"
} | sha256sum | cut -c1-16)
out=$cache_root/bench/$key
if [ -x "$out/hyperv_tlb_flush" ]; then
	say "hyperv_tlb_flush NTRY=$ntry $key is cached: $out"
	cache_used "$out"
	echo "$out/hyperv_tlb_flush"
	exit 0
fi
cache_lock

mkdir -p "$log_dir"
log=$log_dir/bench-hvflush-$key-$(date +%Y%m%d-%H%M%S).log
say "building the Linux $line hyperv_tlb_flush with NTRY=$ntry ($key); log: $log"
tree_prepare
kvm=$src_dir/tools/testing/selftests/kvm
arch=x86
[ -d "$kvm/$arch" ] || arch=x86_64	# 6.12's name for it
tmp=$cache_root/bench/.tmp-$key-$$
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp"
with_ntry "${source:-$kvm/$arch/hyperv_tlb_flush.c}" "$tmp/hyperv_tlb_flush.c"

# The Makefile's own recipe for a test, on the edited copy: its flags,
# its libkvm objects (rebuilt if the tree moved), its libraries.
mk=$tmp/short.mk
printf 'kvmscope-short: $(SHORT_SRC) $(LIBKVM_OBJS)\n\t$(CC) $(CFLAGS) $(CPPFLAGS) $(LDFLAGS) $(TARGET_ARCH) $< $(LIBKVM_OBJS) $(LDLIBS) -o $(SHORT_OUT)\n' >"$mk"
run_logged "installing uapi headers" "$log" make -C "$src_dir" O="$obj_dir" headers ||
	die "make headers failed (log: $log)"
run_logged "compiling" "$log" \
	make -C "$kvm" -f Makefile -f "$mk" OUTPUT="$selftests_obj_dir" \
	INSTALL_HDR_PATH="$obj_dir/usr" KHDR_INCLUDES="-isystem $obj_dir/usr/include" \
	EXTRA_CFLAGS=-static SHORT_SRC="$tmp/hyperv_tlb_flush.c" SHORT_OUT="$tmp/hyperv_tlb_flush" \
	kvmscope-short ||
	die "building hyperv_tlb_flush failed (log: $log)"
! ldd "$tmp/hyperv_tlb_flush" >/dev/null 2>&1 || die "hyperv_tlb_flush is dynamically linked (EXTRA_CFLAGS=-static ignored?)"
cp "$log" "$tmp/build.log"
echo "key=$key line=$line ntry=$ntry commit=$(_git rev-parse HEAD) built=$(date -Is)" >"$tmp/build-info"
cache_publish "$tmp" "$out"
echo "$out/hyperv_tlb_flush"
