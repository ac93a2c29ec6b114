#!/usr/bin/env bash
# Builds the patched lab kernel of one line: Debian's linux-source-<line>
# plus kernel-patches/<line>/series, x86_64_defconfig merged with
# lab/kernel.config and lab/kernel-<line>.config.  Outputs (bzImage,
# vmlinux, .config, System.map) are cached by key; the source tree and
# object dir persist, so a new key rebuilds incrementally.
# Prints the directory of the kernel it built or found on stdout.
#
# usage: lab/build-kernel.sh [--line LINE] [--topic TOPIC] [--each-patch] [--force]
#        lab/build-kernel.sh [--line LINE] --unpatched [--force]
#        lab/build-kernel.sh [--line LINE] [--topic TOPIC] --checkpatch
#   --line        the kernel line (lab/versions.sh; default 7.3)
#   --topic       only one topic series of the line (a directory of
#                 kernel-patches/LINE/ with a series file: conversions,
#                 mmu-roles, hyperv-tlb-flush, map-gpa-in-kernel-rfc on
#                 7.3), on the pristine source after the topics its
#                 prerequisites file names, as it is posted
#   --each-patch  apply and build the series patch by patch (incrementally),
#                 proving each patch builds on its own: KVM's objects for
#                 every patch (with the lab config's KVM_WERROR), the whole
#                 kernel for the last
#   --force       build even if the cache already has this key
#   --unpatched   the same kernel without the series, cached under its own
#                 key (lab/bench.sh measures what the disabled series costs);
#                 the shared tree moves to the pristine source, so switching
#                 back and forth rebuilds the files the series touches
#   --checkpatch  run scripts/checkpatch.pl --strict on every series patch
#                 and exit (ignored: OPEN_ENDED_LINE, PARENTHESIS_ALIGNMENT,
#                 the TRACE_EVENT layout of the surrounding headers;
#                 FILE_PATH_CHANGES, as MAINTAINERS covers KVM's selftests)
set -euo pipefail
lab_tag=kernel
. "$(dirname "$0")/cache.sh"
. "$lab_dir/tree.sh"

each_patch=0 force=0 checkpatch=0 unpatched=0 want_topic=
while [ $# -gt 0 ]; do
	case "$1" in
	--each-patch) each_patch=1 ;;
	--force) force=1 ;;
	--checkpatch) checkpatch=1 ;;
	--unpatched) unpatched=1 ;;
	--line) [ $# -ge 2 ] || usage_error "--line needs a kernel line"; lab_line "$2"; shift ;;
	--topic) [ $# -ge 2 ] || usage_error "--topic needs a topic"; want_topic=$2; shift ;;
	-h | --help) sed -n '2,/^set -e/{/^set -e/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
	*) usage_error "unknown option '$1'" ;;
	esac
	shift
done

run_checkpatch() {
	local p out status=0 ignore=OPEN_ENDED_LINE,PARENTHESIS_ALIGNMENT,FILE_PATH_CHANGES
	# Only scripts/ of the tree is used, which patches never change: no
	# need to wait for a build holding the lock, unless there is no tree.
	_git rev-parse -q --verify refs/tags/base >/dev/null 2>&1 || { cache_lock; tree_init; }
	# Debian's python3, which has the modules deps.sh installs (spdxcheck.py
	# needs ply and git), even when another python3 comes first in PATH.
	for p in $(series_patches); do
		if out=$(cd "$src_dir" && PATH=/usr/bin:$PATH ./scripts/checkpatch.pl --strict --ignore "$ignore" "$p" 2>&1); then
			say "${p##*/}: $(grep -E '^total:' <<<"$out")"
		else
			say "${p##*/}: checkpatch found problems:"
			sed 's/^/    /' <<<"$out" >&2
			status=1
		fi
	done
	return "$status"
}

# x86_64_defconfig + the line's config fragments, then check that every
# option took effect: Kconfig silently drops options whose dependencies are
# missing, and a lab kernel without them fails in confusing ways later.
# A later fragment's value wins over an earlier one's.
configure() {
	local log=$1 cfg=$obj_dir/.config
	local opt sym val got bad=()
	{
		make -C "$src_dir" O="$obj_dir" x86_64_defconfig &&
		KCONFIG_CONFIG=$cfg "$src_dir/scripts/kconfig/merge_config.sh" -m -O "$obj_dir" "$cfg" "${config_frags[@]}" &&
		make -C "$src_dir" O="$obj_dir" olddefconfig
	} >>"$log" 2>&1 || die "configuring the kernel failed (log: $log)"
	while IFS= read -r opt; do
		sym=${opt%%=*} val=${opt#*=}
		got=$(grep -E "^$sym=|^# $sym is not set" "$cfg" || true)
		case "$val:$got" in
		n:"# $sym is not set" | n:) ;;
		*:"$opt") ;;
		*) bad+=("$opt (got: ${got:-not set})") ;;
		esac
	done < <(cat "${config_frags[@]}" | grep -E '^CONFIG_[A-Za-z0-9_]+=' | tac | awk -F= '!seen[$1]++' | tac)
	if [ "${#bad[@]}" -gt 0 ]; then
		say "config fragment options that did not take effect (unmet dependencies?):"
		printf '    %s\n' "${bad[@]}" >&2
		die "kernel configuration does not match ${config_frags[*]#"$repo_dir"/} (log: $log)"
	fi
}

build() { # LOG LABEL [TARGET]
	local cold=0 count_file=$log_dir/kernel-$line-cold-objects target=${3:-bzImage}
	[ -f "$obj_dir/vmlinux" ] || cold=1
	wait_for_other_builds
	progress_total=
	if [ "$cold" -eq 1 ]; then
		[ ! -f "$count_file" ] || progress_total=$(cat "$count_file")
		say "cold build of Linux $line (empty object dir): 15 to 20 min on 2 cores"
	fi
	run_logged "$2" "$1" make -C "$src_dir" O="$obj_dir" -j"$(nproc)" "$target" ||
		die "kernel build failed (log: $1)"
	# Remember how many objects a cold build compiles, for progress reports.
	[ "$cold" -eq 0 ] || [ "$target" != bzImage ] || grep -cE '^ +(CC|AS) ' "$1" >"$count_file" || true
}

[ -z "$want_topic" ] || [ "$unpatched" -eq 0 ] || usage_error "--unpatched is the source without any series: not with --topic"
[ -z "$want_topic" ] || lab_topic "$want_topic"

if [ "$checkpatch" -eq 1 ]; then
	run_checkpatch
	exit
fi

[ "$unpatched" -eq 0 ] || [ "$each_patch" -eq 0 ] || usage_error "--each-patch builds the series: not with --unpatched"
kind=kernel
[ "$unpatched" -eq 0 ] || kind=kernel-unpatched
key=$(cache_key "$kind")
out=$(cache_dir "$kind" "$key")
if [ "$force" -eq 0 ] && [ "$each_patch" -eq 0 ] && [ -f "$out/bzImage" ]; then
	say "kernel $key is cached: $out/bzImage"
	cache_used "$out"
	echo "$out"
	exit 0
fi
cache_lock
if [ "$force" -eq 0 ] && [ "$each_patch" -eq 0 ] && [ -f "$out/bzImage" ]; then
	say "kernel $key was built meanwhile: $out/bzImage"
	echo "$out"
	exit 0
fi

mkdir -p "$log_dir" "$obj_dir"
log=$log_dir/kernel-$key-$(date +%Y%m%d-%H%M%S).log
say "building the Linux $line ${kind/-/ } $key; full log: $log"
t0=$SECONDS
if [ "$unpatched" -eq 1 ]; then
	tree_prepare_base
else
	tree_prepare
fi
if [ "$each_patch" -eq 1 ]; then
	n=${#tree_commits[@]} i=0
	for c in "${tree_commits[@]}"; do
		i=$((i + 1))
		subject=$(_git log -1 --format=%s "$c")
		say "patch $i/$n: $subject"
		tree_checkout "$c"
		echo "=== patch $i/$n: $subject" >>"$log"
		configure "$log"
		if [ "$i" -lt "$n" ]; then
			build "$log" "patch $i/$n: compiling KVM" arch/x86/kvm/
		else
			build "$log" "patch $i/$n: compiling"
		fi
	done
else
	configure "$log"
	build "$log" "compiling"
fi

tmp=$cache_root/kernel/.tmp-$key-$$
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp"
cp "$obj_dir/arch/x86/boot/bzImage" "$obj_dir/vmlinux" "$obj_dir/.config" \
	"$obj_dir/System.map" "$tmp/"
cp "$log" "$tmp/build.log"
{
	echo "key=$key"
	echo "line=$line"
	[ -z "$topic" ] || echo "topic=$topic"
	echo "source=linux-source-$line $(line_source_version)"
	echo "commit=$(_git rev-parse HEAD)"
	echo "release=$(cat "$obj_dir/include/config/kernel.release")"
	echo "built=$(date -Is) seconds=$((SECONDS - t0))"
} >"$tmp/build-info"
cache_publish "$tmp" "$out"
say "kernel $key ready in $(fmt_secs $((SECONDS - t0))): $out/bzImage"
echo "$out"
