#!/usr/bin/env bash
# Builds the KVM selftests (tools/testing/selftests/kvm) from one line's
# patched lab source tree, statically linked so they run in a bare
# initramfs too.  Cached by key in selftests/<key>/:
#   x86/<test>, <test>      binaries: the x86 tests (x86_64/ in 6.12's
#                           tree, x86/ since 6.16) and the generic ones
#   x86.list                the x86 tests (regression run)
#   generic.list            the arch-independent tests built for x86
# Prints the directory of the selftests it built or found on stdout.
#
# usage: lab/build-selftests.sh [--line LINE] [--topic TOPIC] [--force]
#   --topic  from the tree of one topic of the line and its prerequisites
#            (lab/build-kernel.sh --topic), e.g. a topic adding a selftest
set -euo pipefail
lab_tag=selftests
. "$(dirname "$0")/cache.sh"
. "$lab_dir/tree.sh"

force=0 want_topic=
while [ $# -gt 0 ]; do
	case "$1" in
	--force) force=1 ;;
	--line) [ $# -ge 2 ] || usage_error "--line needs a kernel line"; lab_line "$2"; shift ;;
	--topic) [ $# -ge 2 ] || usage_error "--topic needs a topic"; want_topic=$2; shift ;;
	-h | --help) sed -n '2,/^set -e/{/^set -e/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
	*) usage_error "unknown option '$1'" ;;
	esac
	shift
done
[ -z "$want_topic" ] || lab_topic "$want_topic"

key=$(cache_key selftests)
out=$(cache_dir selftests "$key")
if [ "$force" -eq 0 ] && [ -f "$out/x86.list" ]; then
	say "selftests $key are cached: $out"
	cache_used "$out"
	echo "$out"
	exit 0
fi
cache_lock
if [ "$force" -eq 0 ] && [ -f "$out/x86.list" ]; then
	say "selftests $key were built meanwhile: $out"
	echo "$out"
	exit 0
fi

mkdir -p "$log_dir"
log=$log_dir/selftests-$key-$(date +%Y%m%d-%H%M%S).log
say "building the Linux $line KVM selftests $key; full log: $log"
t0=$SECONDS
tree_prepare
kvm=$src_dir/tools/testing/selftests/kvm
build_dir=$selftests_obj_dir
mkdir -p "$build_dir"

# The uapi headers of this very tree (make headers into the object dir:
# never into the source tree, which must stay clean for make O=).
run_logged "installing uapi headers" "$log" make -C "$src_dir" O="$obj_dir" headers ||
	die "make headers failed (log: $log)"
wait_for_other_builds
run_logged "compiling" "$log" \
	make -C "$kvm" -j"$(nproc)" OUTPUT="$build_dir" \
	INSTALL_HDR_PATH="$obj_dir/usr" KHDR_INCLUDES="-isystem $obj_dir/usr/include" \
	EXTRA_CFLAGS=-static ||
	die "selftests build failed (log: $log)"

# The Makefile's own list of what it builds for x86 is the authority on
# what must exist (asked of make: the list is spread over several
# variables, and over Makefile.kvm since 6.16).
list_mk=$(mktemp)
printf 'kvmscope-list-tests:\n\t@echo $(TEST_GEN_PROGS)\n' >"$list_mk"
mapfile -t tests < <(make -s -C "$kvm" -f Makefile -f "$list_mk" OUTPUT="$build_dir" \
	kvmscope-list-tests 2>>"$log" | tr ' ' '\n' | sed -n "s|^$build_dir/||p")
rm -f "$list_mk"
[ "${#tests[@]}" -gt 0 ] || die "make lists no selftests to build in $kvm (log: $log)"
tmp=$cache_root/selftests/.tmp-$key-$$
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/x86"
for t in "${tests[@]}"; do
	[ -x "$build_dir/$t" ] || die "selftest $t was not built (log: $log)"
	case "$t" in
	x86/* | x86_64/*) cp "$build_dir/$t" "$tmp/x86/${t#*/}"; echo "${t#*/}" >>"$tmp/x86.list" ;;
	*/*) die "selftest $t is in an unexpected directory (log: $log)" ;;
	*) cp "$build_dir/$t" "$tmp/$t"; echo "$t" >>"$tmp/generic.list" ;;
	esac
done
if ldd "$tmp/x86/$(head -n 1 "$tmp/x86.list")" >/dev/null 2>&1; then
	die "selftests are dynamically linked (EXTRA_CFLAGS=-static ignored?)"
fi
cp "$log" "$tmp/build.log"
echo "key=$key line=$line${topic:+ topic=$topic} commit=$(_git rev-parse HEAD) built=$(date -Is) seconds=$((SECONDS - t0))" >"$tmp/build-info"
cache_publish "$tmp" "$out"
say "${#tests[@]} selftests ready in $(fmt_secs $((SECONDS - t0))): $out"
echo "$out"
