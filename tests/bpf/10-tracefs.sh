#!/usr/bin/env bash
# Every tool on a host where nobody mounted tracefs: each run happens in a
# mount namespace of this suite's own, with tracefs and debugfs unmounted
# from it, and
#  - as root, the tool mounts tracefs in a namespace of its own (strace
#    sees the unshare and the mount), runs in fallback mode on the host
#    kernel, and leaves the mounts it started with as they were;
#  - with only debugfs mounted, it uses debugfs's tracing directory and
#    mounts nothing; with tracefs mounted, it mounts nothing either;
#  - as nobody it exits 1 with one line saying what is missing and the
#    command that fixes it (never an internal mode name);
#  - the mounts of the namespace the suite started in never change.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh

out=$PWD/build/tests-bpf/tracefs
mkdir -p "$out"
rm -f "$out"/*
tools=(tdx-trace hvflush-top kvmscope-exporter)

if [ "$(id -u)" -ne 0 ]; then
	not_ok "runs as root (mount namespaces, BPF)" "uid $(id -u)"
	tap_done
	exit 1
fi
if ! log=$(make -s "${tools[@]/#/build/}" 2>&1); then
	not_ok "build the tools" "$log"
	tap_done
	exit 1
fi
for c in strace setpriv unshare; do
	command -v "$c" >/dev/null || { not_ok "$c is installed (make deps)"; tap_done; exit 1; }
done

# The runs happen in a directory everyone can reach, with copies of the
# tools: nobody may not reach the checkout (a clone in a 0700 directory,
# as mktemp -d makes them, or in /root).  What they leave is copied to
# $out at the end, for a look after a failure.
work=$(mktemp -d /tmp/kvmscope-tracefs.XXXXXX)
trap 'cp -a "$work"/. "$out"/ 2>/dev/null; rm -rf "$work"' EXIT
# Group-writable by nobody's group: the exporter started as root writes
# its textfile here as nobody.
chgrp 65534 "$work"
chmod 2775 "$work"
cp "${tools[@]/#/build/}" "$work/"

# A mount table to compare: mount point, type and source of each mount.
mounts() { awk '{ print $5, $(NF - 2), $(NF - 1) }' /proc/self/mountinfo | sort; }
mounts >"$out/host.before"

# What each tool runs: a short run that ends by itself, except the
# exporter, which writes its textfile until it is stopped.
run_tool() { # TOOL OUT
	case "$1" in
	tdx-trace) "$work/tdx-trace" conversions 1 1 -j >"$2" ;;
	hvflush-top) "$work/hvflush-top" -j 1 1 >"$2" ;;
	kvmscope-exporter)
		"$work/kvmscope-exporter" --listen none --textfile "$2" --interval 1 &
		local pid=$! i
		for i in $(seq 100); do
			[ -s "$2" ] || ! kill -0 "$pid" 2>/dev/null && break
			sleep 0.1
		done
		kill -INT "$pid" 2>/dev/null
		wait "$pid" ;;
	esac
}

# bare SETUP USER TOOL: run TOOL as USER (root or nobody) in a new mount
# namespace holding neither tracefs nor debugfs, then SETUP's (none,
# debugfs or tracefs).  Leaves $work/TOOL.SETUP.USER.{out,err,strace,
# before,after}; returns the tool's exit status.
bare() {
	local setup=$1 user=$2 tool=$3 f=$work/$3.$1.$2
	export -f run_tool mounts
	unshare --mount --propagation private env f="$f" work="$work" setup="$setup" \
		user="$user" tool="$tool" bash -c '
		while umount /sys/kernel/tracing 2>/dev/null; do :; done
		while umount -l /sys/kernel/debug 2>/dev/null; do :; done
		case $setup in
		debugfs) mount -t debugfs debugfs /sys/kernel/debug ;;
		tracefs) mount -t tracefs tracefs /sys/kernel/tracing ;;
		esac || exit 99
		mounts >"$f.before"
		as=()
		if [ "$user" != root ]; then
			as=(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all)
			install -m 666 /dev/null "$f.out"
		fi
		strace -f -qq -e trace=unshare,mount -o "$f.strace" \
			"${as[@]}" bash -c "run_tool $tool $f.out" 2>"$f.err"
		rc=$?
		mounts >"$f.after"
		exit $rc'
}

# The mode the tool reported: from its JSON, or the exporter's textfile.
mode_of() { # FILE-PREFIX TOOL
	case "$2" in
	kvmscope-exporter) sed -n 's/^kvmscope_info{.*mode="\([a-z]*\)".*/\1/p' "$1.out" ;;
	*) jq -r 'select(.mode != null) | .mode' "$1.out" 2>/dev/null | head -n 1 ;;
	esac
}

for t in "${tools[@]}"; do
	f=$work/$t.none.root
	bare none root "$t"
	check_eq "$t, no tracefs, root: exits 0" 0 $?
	check_eq "$t, no tracefs, root: fallback mode on the host kernel" fallback "$(mode_of "$f" "$t")"
	check "$t, no tracefs, root: unshares a mount namespace of its own" \
		grep -Eq 'unshare\(CLONE_NEWNS\) += 0' "$f.strace"
	check "$t, no tracefs, root: mounts tracefs on /sys/kernel/tracing there" \
		grep -Eq 'mount\("tracefs", "/sys/kernel/tracing", "tracefs", 0, NULL\) += 0' "$f.strace"
	check "$t, no tracefs, root: the mounts it started with are as they were" \
		diff "$f.before" "$f.after"

	f=$work/$t.debugfs.root
	bare debugfs root "$t"
	check_eq "$t, debugfs only: exits 0" 0 $?
	check_eq "$t, debugfs only: fallback mode" fallback "$(mode_of "$f" "$t")"
	check "$t, debugfs only: uses debugfs's tracing, mounts nothing" \
		bash -c '! grep -E "^[0-9]+ +(unshare|mount)\(" "$1"' _ "$f.strace"

	f=$work/$t.tracefs.root
	bare tracefs root "$t"
	check_eq "$t, tracefs mounted: exits 0" 0 $?
	check "$t, tracefs mounted: mounts nothing" \
		bash -c '! grep -E "^[0-9]+ +(unshare|mount)\(" "$1"' _ "$f.strace"

	f=$work/$t.none.nobody
	bare none nobody "$t"
	check_eq "$t, no tracefs, nobody: exits 1" 1 $?
	check_eq "$t, no tracefs, nobody: one line on stderr" 1 "$(wc -l <"$f.err")"
	check "$t, no tracefs, nobody: says tracefs is not mounted and how to mount it" \
		grep -qF 'tracefs is not mounted, and mounting it needs CAP_SYS_ADMIN; as root run: mount -t tracefs tracefs /sys/kernel/tracing' "$f.err"
	check "$t, no tracefs, nobody: no internal mode name in the message" \
		bash -c '! grep -qw none "$1"' _ "$f.err"
done

mounts >"$out/host.after"
check "the mounts of the namespace the suite ran in are as they were" \
	diff "$out/host.before" "$out/host.after"
tap_done
