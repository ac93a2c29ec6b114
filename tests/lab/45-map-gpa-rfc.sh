#!/usr/bin/env bash
# The in-kernel MapGPA RFC (kernel-patches/7.3/map-gpa-in-kernel-rfc) in
# the QEMU lab, on its topic's kernel (lab/run.sh --topic): one boot runs
# tests/lab/map-gpa-rfc/guest.sh, whose TAP lines become this suite's:
# every case of private_mem_map_gpa_test by name, and tdx-trace --mapgpa
# against tracefs on the same requests.  First, without booting, that
# lab/run.sh refuses a topic it cannot boot.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh
topic=map-gpa-in-kernel-rfc

if [ ! -x lab/run.sh ]; then
	echo "# SKIP: lab/run.sh (the QEMU lab) is not available"
	tap_done
	exit 0
fi

# usage MESSAGE ARGS...: lab/run.sh ARGS exits 2 and says MESSAGE.
usage() {
	local want=$1 out rc
	shift
	out=$(lab/run.sh "$@" -- true 2>&1); rc=$?
	[ "$rc" = 2 ] && grep -qF -- "$want" <<<"$out" &&
		ok "lab/run.sh $*: usage error" ||
		not_ok "lab/run.sh $*: exit 2, '$want'" "exit $rc: $out"
}
usage "no topic 'no-such-topic' in kernel-patches/7.3" --topic no-such-topic
usage "no topic '$topic' in kernel-patches/6.12" --kernel 6.12-patched --topic "$topic"
usage "not with --kernel stock" --kernel 7.3-stock --topic "$topic"
usage "not with --kernel unpatched" --kernel 7.3-unpatched --topic "$topic"

res=$(lab_results_dir map-gpa-rfc)
if ! make -s build/tdx-trace >"$res/make.log" 2>&1; then
	not_ok "build tdx-trace" "$(tail -20 "$res/make.log")"
	tap_done
	exit 1
fi

# The patched guest runs the job chrooted into the host root with the repo
# at its host path, so build/tdx-trace runs there with the host's libraries.
lab/run.sh --kernel 7.3-patched --topic "$topic" --timeout 900 -q --results "$res/lab" -- \
	bash -c 'cd "$KVMSCOPE_REPO" &&
		TDX_TRACE=$KVMSCOPE_REPO/build/tdx-trace \
		SELFTESTS=$KVMSCOPE_SELFTESTS \
		WORK=$KVMSCOPE_RESULTS/map-gpa-rfc \
		exec tests/lab/map-gpa-rfc/guest.sh' >"$res/run.log" 2>&1
rc=$?
[ -f "$res/lab/summary.txt" ] || lab_abort "the lab booted the $topic kernel" "$res/run.log" "$res/lab"
check_eq "the lab booted the $topic topic's kernel" "topic=$topic" \
	"$(grep -x "topic=$topic" "$res/lab/summary.txt")"
before=$_tap_n
tap_relay "$res/lab/output.log"
[ "$_tap_n" -gt "$before" ] || not_ok "the lab job reported results (exit $rc)" "$(tail -20 "$res/run.log")"
case $rc in
0 | 1) ;;
124) not_ok "the lab job finished within its timeout" "$(tail -5 "$res/run.log")" ;;
*) not_ok "the lab booted and ran the job (exit $rc)" "$(cat "$res/lab/summary.txt"; tail -5 "$res/run.log")" ;;
esac
echo "# job $(sed -n 's/^job_s=//p' "$res/lab/summary.txt")s, boot $(sed -n 's/^boot_s=//p' "$res/lab/summary.txt")s"
tap_done
