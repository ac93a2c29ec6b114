#!/usr/bin/env bash
# Boots a lab kernel under QEMU (TCG, nested SVM), runs one command in the
# guest and collects what it did.  Builds whatever is missing first.
#
# usage: lab/run.sh [options] -- COMMAND [ARG...]
#        lab/run.sh [options] --script FILE
#   --kernel [LINE-]patched|stock|unpatched
#                 LINE: the kernel line, 7.3 or 6.12 (lab/versions.sh);
#                 without one, 7.3.
#                 patched: the series' kernel (KVM=y, 9p), the job
#                 runs chrooted into the host root (read-only), so host tools
#                 work; the repo and the results dir are shared read-write at
#                 their host paths.  stock: Debian's cloud kernel (KVM=m, no
#                 9p), the job runs in the initramfs (busybox, bash, bpftool,
#                 build/ tools, lab/ scripts, selftests); results come back
#                 over a serial port.  unpatched: the patched lab's kernel
#                 without the series, in the patched guest (lab/bench.sh
#                 measures the disabled series' cost).  Default: 7.3-patched
#   --topic TOPIC   patched: one topic of the line alone, after the topics
#                   its prerequisites file names (lab/build-kernel.sh
#                   --topic), with the selftests of that tree, e.g.
#                   --kernel 7.3-patched --topic map-gpa-in-kernel-rfc
#   --timeout SEC   kill the job after SEC seconds (default 600)
#   --results DIR   where to put the results (default build/lab/<timestamp>)
#   --hostfwd H:G   forward 127.0.0.1:H on the host to guest port G
#   --with FILE     stock: also pack host FILE (and its libraries) into the
#                   initramfs at the same path (repeatable)
#   --icount SHIFT  run the guest under QEMU's -icount shift=SHIFT,sleep=off
#                   (SHIFT 0-10): each guest instruction advances the
#                   guest's clocks by 2^SHIFT ns, so the time the guest
#                   measures counts its instructions and does not depend on
#                   the host's speed or load (lab/bench.sh); idle time
#                   jumps to the next timer.  No "auto": it adapts the
#                   shift to the host's speed, so it is not deterministic
#   --smp N         the guest's vCPUs, 1-16 (default 2).  TCG runs them all
#                   in one host thread (thread=single): more vCPUs need no
#                   more host cores, they take turns
#   -q, --quiet     do not stream the job's output (it is still saved)
# The job sees KVMSCOPE_RESULTS (write files there), KVMSCOPE_KERNEL
# (patched or stock), KVMSCOPE_LINE (7.3, 6.12), KVMSCOPE_SELFTESTS (the
# KVM selftests), KVMSCOPE_LAB (lab/), KVMSCOPE_REPO, KVMSCOPE_ICOUNT (the
# shift, empty without --icount), KVMSCOPE_TOPIC (empty without --topic).
# Results: output.log (job stdout+stderr), serial.log (console), dmesg.txt,
# control.log, summary.txt, and the files the job wrote.
# Exit: the job's exit status; 124 timeout; 125 the lab failed (build error,
# no /dev/kvm, kernel panic/oops/BUG/WARNING, guest died); 2 bad usage.
#
# examples:
#   lab/run.sh -- cat /sys/module/kvm_amd/parameters/nested
#   lab/run.sh --kernel 6.12-stock -- sh -c '$KVMSCOPE_SELFTESTS/x86/svm_vmcall_test'
#   lab/run.sh --timeout 1800 --script my-workload.sh --results /tmp/r
set -euo pipefail
lab_tag=lab
. "$(dirname "$0")/cache.sh"
. "$lab_dir/cpio.sh"

kernel=patched timeout=600 results= hostfwd= script= quiet=0 icount= want_topic= smp=2
with=()
while [ $# -gt 0 ]; do
	case "$1" in
	--kernel) [ $# -ge 2 ] || usage_error "--kernel needs [LINE-]patched, stock or unpatched"; kernel=$2; shift ;;
	--topic) [ $# -ge 2 ] || usage_error "--topic needs a topic"; want_topic=$2; shift ;;
	--timeout) [ $# -ge 2 ] || usage_error "--timeout needs seconds"; timeout=$2; shift ;;
	--results) [ $# -ge 2 ] || usage_error "--results needs a directory"; results=$2; shift ;;
	--hostfwd) [ $# -ge 2 ] || usage_error "--hostfwd needs HOSTPORT:GUESTPORT"; hostfwd=$2; shift ;;
	--script) [ $# -ge 2 ] || usage_error "--script needs a file"; script=$2; shift ;;
	--with) [ $# -ge 2 ] || usage_error "--with needs a file"; with+=("$2"); shift ;;
	--icount)
		[ $# -ge 2 ] && [[ $2 =~ ^([0-9]|10)$ ]] || usage_error "--icount must be a shift from 0 to 10, not '${2:-}'"
		icount=$2; shift ;;
	--smp)
		[ $# -ge 2 ] && [[ $2 =~ ^([1-9]|1[0-6])$ ]] || usage_error "--smp must be a number of vCPUs from 1 to 16, not '${2:-}'"
		smp=$2; shift ;;
	-q | --quiet) quiet=1 ;;
	-h | --help) sed -n '2,/^set -e/{/^set -e/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
	--) shift; break ;;
	*) usage_error "unknown option '$1'" ;;
	esac
	shift
done
case "$kernel" in
*-*) lab_line "${kernel%-*}"; kernel=${kernel##*-} ;;
esac
case "$kernel" in patched | stock | unpatched) ;; *) usage_error "--kernel must be [LINE-]patched, stock or unpatched, not '$kernel'" ;; esac
# The unpatched kernel boots the patched guest: only the bzImage differs.
kernel_label="$line $kernel" build_args=(--line "$line") topic_args=()
if [ -n "$want_topic" ]; then
	[ "$kernel" = patched ] || usage_error "--topic is a series of the patched kernel: not with --kernel $kernel"
	lab_topic "$want_topic"
	topic_args=(--topic "$topic")
fi
[ "$kernel" != unpatched ] || kernel=patched build_args+=(--unpatched)
[[ $timeout =~ ^[0-9]+$ ]] && [ "$timeout" -gt 0 ] || usage_error "--timeout must be a positive number of seconds, not '$timeout'"
if [ -n "$hostfwd" ]; then
	[[ $hostfwd =~ ^([0-9]+):([0-9]+)$ ]] &&
		[ "${BASH_REMATCH[1]}" -ge 1 ] && [ "${BASH_REMATCH[1]}" -le 65535 ] &&
		[ "${BASH_REMATCH[2]}" -ge 1 ] && [ "${BASH_REMATCH[2]}" -le 65535 ] ||
		usage_error "--hostfwd must be HOSTPORT:GUESTPORT (1-65535), not '$hostfwd'"
fi
if [ -n "$script" ]; then
	[ $# -eq 0 ] || usage_error "give either --script FILE or -- COMMAND, not both"
	[ -f "$script" ] || usage_error "--script: no such file '$script'"
else
	[ $# -gt 0 ] || usage_error "nothing to run: give -- COMMAND or --script FILE"
fi
for i in "${!with[@]}"; do
	[ "$kernel" = stock ] || usage_error "--with is for --kernel stock (patched sees the host root)"
	[ -f "${with[$i]}" ] || usage_error "--with: no such file '${with[$i]}'"
	with[$i]=$(realpath -s "${with[$i]}")
done
if [ -n "$results" ] && [ -d "$results" ] && [ -n "$(ls -A "$results")" ]; then
	usage_error "--results: $results exists and is not empty"
fi

# --- build what is missing (each step is a cache hit when nothing changed)
# Use the paths the builders report: keys are recomputed from files other
# engineers may be editing right now.
if [ "$kernel" = patched ]; then
	kernel_dir=$("$lab_dir/build-kernel.sh" "${build_args[@]}" "${topic_args[@]}") || exit 125
	bzimage=$kernel_dir/bzImage
else
	stock=$(stock_kernel "$line") || exit 125
	bzimage=$stock/vmlinuz
fi
selftests=$("$lab_dir/build-selftests.sh" --line "$line" "${topic_args[@]}") || exit 125
base_initrd=$("$lab_dir/mkinitramfs.sh" --line "$line" --kernel "$kernel") || exit 125

# --- the results dir and the job
if [ -z "$results" ]; then
	results=$repo_dir/build/lab/$(date +%Y%m%d-%H%M%S)
	n=1 r=$results
	while ! mkdir -p "$(dirname "$r")" || ! mkdir "$r" 2>/dev/null; do n=$((n + 1)); r=$results-$n; done
	results=$r
else
	mkdir -p "$results"
fi
results=$(cd "$results" && pwd)

shq() { local s; for s; do printf "'%s' " "${s//\'/\'\\\'\'}"; done; }
tmp=$(mktemp -d)
stage=$tmp/root
initrd=$results/.initrd.cpio
qemu_pid=
cleanup() {
	[ -z "$qemu_pid" ] || kill "$qemu_pid" 2>/dev/null || true
	rm -rf "$tmp" "$initrd"
}
trap cleanup EXIT
trap 'say "interrupted"; exit 130' INT TERM

job=$stage/kvmscope/job
mkdir -p "$job"
if [ -n "$script" ]; then
	cp "$script" "$job/script"
	chmod +x "$job/script"
	if [ "$(head -c2 "$script")" = '#!' ]; then
		printf '#!/bin/sh\nexec "${0%%/*}/script"\n' >"$job/run.sh"
	else
		printf '#!/bin/sh\nexec sh "${0%%/*}/script"\n' >"$job/run.sh"
	fi
	what="script $script"
else
	printf '#!/bin/sh\nexec %s\n' "$(shq "$@")" >"$job/run.sh"
	what="$*"
fi
chmod +x "$job/run.sh"
cp "$job/run.sh" "$results/job.sh"
[ -z "$script" ] || cp "$script" "$results/job-script"

if [ "$kernel" = patched ]; then
	guest_results=$results guest_selftests=$selftests
else
	guest_results=/results guest_selftests=/kvmscope/selftests
	# The stock guest has no 9p: pack the lab's guest side and host tools
	# at their host paths, so scripts work unchanged on both kernels.
	for f in "$lab_dir"/guest/* "$lab_dir"/*.txt "$lab_dir"/demo.d/*; do
		[ ! -f "$f" ] || stage_file "$f" "$stage"
	done
	for f in /usr/sbin/bpftool "$repo_dir"/build/*; do
		[ -f "$f" ] && [ -x "$f" ] || continue
		stage_binary "$(realpath "$f")" "$stage" "$f"
	done
	# --with files whether executable or not (scripts to source, data).
	for f in "${with[@]}"; do
		stage_binary "$(realpath "$f")" "$stage" "$f"
	done
fi
{
	echo "KVMSCOPE_KERNEL=$kernel"
	echo "KVMSCOPE_LINE=$line"
	echo "KVMSCOPE_TIMEOUT=$timeout"
	echo "KVMSCOPE_REPO=$(shq "$repo_dir")"
	echo "KVMSCOPE_LAB=$(shq "$lab_dir")"
	echo "KVMSCOPE_CWD=$(shq "$PWD")"
	echo "KVMSCOPE_RESULTS=$(shq "$guest_results")"
	echo "KVMSCOPE_SELFTESTS=$(shq "$guest_selftests")"
	echo "KVMSCOPE_NET=${hostfwd:+1}"
	echo "KVMSCOPE_ICOUNT=$icount"
	echo "KVMSCOPE_TOPIC=$topic"
	echo "export KVMSCOPE_KERNEL KVMSCOPE_LINE KVMSCOPE_REPO KVMSCOPE_LAB KVMSCOPE_CWD KVMSCOPE_RESULTS KVMSCOPE_SELFTESTS KVMSCOPE_ICOUNT KVMSCOPE_TOPIC"
} >"$job/env"
pack_cpio "$stage" "$tmp/overlay.cpio"
cat "$base_initrd" "$tmp/overlay.cpio" >"$initrd"

# --- boot
qemu=(qemu-system-x86_64 -accel tcg,thread=single -machine q35
	-cpu EPYC,+svm,+npt,+vgif -smp "$smp" -m 2G -nographic -no-reboot
	-monitor none -vga none
	-kernel "$bzimage" -initrd "$initrd"
	-append "console=ttyS0 panic=-1 rdinit=/init kvm_amd.npt=1 kvm_amd.nested=1"
	-serial "file:$results/serial.log"
	-serial "file:$results/output.log"
	-serial "file:$results/control.log")
if [ "$kernel" = patched ]; then
	qemu+=(-virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap"
		-virtfs "local,path=$repo_dir,mount_tag=repo,security_model=none,multidevs=remap"
		-virtfs "local,path=$results,mount_tag=results,security_model=none,multidevs=remap"
		-virtfs "local,path=$selftests,mount_tag=selftests,security_model=none,readonly=on,multidevs=remap")
fi
if [ -n "$hostfwd" ]; then
	qemu+=(-netdev "user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:${hostfwd%%:*}-:${hostfwd#*:}"
		-device virtio-net-pci,netdev=n0)
else
	qemu+=(-nic none)
fi
# align=off: guest time never waits for the host's (that is what makes it
# independent of the host's load).
[ -z "$icount" ] || qemu+=(-icount "shift=$icount,sleep=off,align=off")
printf '%q ' "${qemu[@]}" >"$results/qemu.cmd"

# The guest enforces the job timeout itself (and still reports); the host
# limit only catches a guest that stopped responding.  Under -icount the
# guest's seconds are instructions, which TCG may execute slower than
# 2^-SHIFT per ns: give the host a wider margin.
hard_limit=$((timeout + 300))
[ -z "$icount" ] || hard_limit=$((hard_limit * 4))
say "booting the $kernel_label${topic:+ ($topic)} kernel: $what (timeout ${timeout}s; results in $results)"
touch "$results/output.log"
t0=$(now)
timeout -k 10 "$hard_limit" "${qemu[@]}" >"$results/qemu.log" 2>&1 &
qemu_pid=$!
if [ "$quiet" -eq 0 ]; then
	tail -n +1 -f --pid="$qemu_pid" "$results/output.log" &
	tail_pid=$!
fi
set +e
wait "$qemu_pid"
qemu_rc=$?
set -e
qemu_pid=
[ "$quiet" -eq 1 ] || wait "$tail_pid"
wall=$(elapsed "$t0")

# --- what happened
ctl_value() { awk -v k="$1" '$1 == "KVMSCOPE" && $2 == k { $1 = $2 = ""; sub(/^ +/, ""); print; exit }' "$results/control.log"; }
boot_up=$(ctl_value boot | cut -d' ' -f1)
start_up=$(ctl_value start)
exit_line=$(ctl_value exit)
job_rc=${exit_line%% *}
job_secs=
[ -z "$exit_line" ] || job_secs=$(awk -v a="$start_up" -v b="${exit_line#* }" 'BEGIN { printf "%.1f", b - a }')
guest_error=$(ctl_value error)
timed_out=$(ctl_value timeout)
done_seen=$(grep -c '^KVMSCOPE done' "$results/control.log" || true)

if [ "$kernel" = stock ] && grep -q '^KVMSCOPE results-end' "$results/control.log"; then
	sed -n '/^KVMSCOPE results-begin/,/^KVMSCOPE results-end/{/^KVMSCOPE /d;p}' "$results/control.log" |
		base64 -d | tar -x -C "$results" ||
		say "warning: could not unpack the results the guest sent (control.log)"
fi

# At the start of a kernel message only: "...: WARNING: See <url>" at boot
# is advice, "WARNING: CPU: 1 PID: 42 at ..." is a splat.
splat_re='^(\[ *[0-9.]+\] )?(Kernel panic|Oops|BUG:|kernel BUG at|WARNING:|general protection fault|Call Trace:|INFO: task .* blocked|rcu: INFO:|watchdog: BUG:|UBSAN:|KASAN:)'
status=ok exit_code=$job_rc reason=
if [ "$qemu_rc" -eq 124 ] || [ "$qemu_rc" -eq 137 ]; then
	status=hung reason="the guest did not finish within ${hard_limit}s; killed QEMU" exit_code=125
elif [ "$done_seen" -eq 0 ]; then
	status=crashed reason="the guest stopped before reporting completion (QEMU exit $qemu_rc)" exit_code=125
elif [ -n "$guest_error" ]; then
	status=error reason="guest: $guest_error" exit_code=125
elif [ -n "$timed_out" ]; then
	status=timeout reason="the job ran longer than ${timeout}s and was killed" exit_code=124
fi
if grep -qE "$splat_re" "$results/serial.log"; then
	[ "$status" != ok ] || { status=splat exit_code=125; }
	reason="${reason:+$reason; }the kernel log has $(grep -cE "$splat_re" "$results/serial.log") panic/oops/BUG/WARNING lines"
fi

{
	echo "kernel=${kernel_label#* }"
	echo "line=$line"
	echo "topic=$topic"
	echo "release=$(ctl_value boot | cut -d' ' -f2)"
	[ "$kernel" = stock ] || echo "kernel_key=${kernel_dir##*/}"
	echo "selftests_key=${selftests##*/}"
	echo "icount=$icount"
	echo "smp=$smp"
	echo "status=$status"
	echo "job_exit=$job_rc"
	echo "exit=$exit_code"
	echo "boot_s=$boot_up"
	echo "job_s=$job_secs"
	echo "wall_s=$wall"
	echo "$(ctl_value kvm)"
	echo "reason=$reason"
} >"$results/summary.txt"

if [ "$status" = ok ]; then
	say "$kernel_label${topic:+ ($topic)} kernel: booted in ${boot_up}s, job exited $job_rc after ${job_secs}s (wall ${wall}s); results in $results"
	exit "$exit_code"
fi
say "FAILED ($status): $reason"
if grep -qE "$splat_re" "$results/serial.log"; then
	say "kernel log (serial.log), around the first splat:"
	grep -m1 -nE "$splat_re" "$results/serial.log" | cut -d: -f1 | {
		read -r first
		sed -n "$((first > 3 ? first - 3 : 1)),$((first + 30))p" "$results/serial.log"
	} | sed 's/^/    /' >&2
	say "all splat lines:"
	grep -nE "$splat_re" "$results/serial.log" | head -n 20 | sed 's/^/    /' >&2
elif [ "$status" != timeout ]; then
	say "last lines of the kernel log (serial.log):"
	tail -n 25 "$results/serial.log" | sed 's/^/    /' >&2
fi
say "results, serial log and QEMU output: $results"
exit "$exit_code"
