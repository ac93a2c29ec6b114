#!/usr/bin/env bash
# The lab's build cache.  Sourced by the lab scripts, or run as
#   lab/cache.sh clean [--all]    drop cached kernels, selftests, initramfs
#                                 (--all: also the source tree and objects)
#   lab/cache.sh key KIND [--line LINE]  print the cache key of KIND
#   lab/cache.sh dir KIND [--line LINE]  print where KIND's outputs are
# KIND: kernel, kernel-unpatched (the same kernel without the series, for
# lab/bench.sh), selftests, initramfs-patched, initramfs-stock; each of the
# kernel line $KVMSCOPE_LINE (default: lab/versions.sh's LAB_DEFAULT_LINE).
#
# Layout under ${XDG_CACHE_HOME:-$HOME/.cache}/kvmscope:
#   kernel/<key>/     bzImage, vmlinux, .config, System.map, build.log
#   selftests/<key>/  KVM selftests binaries (x86/..., generic ones)
#   initramfs/<key>/  initramfs.cpio for one lab kernel
#   src/linux-source-<line>/  per line ONE git repo: pristine source tagged
#                     "base"
#   obj-<line>/       per line ONE kernel object dir (make O=), rebuilt
#                     incrementally; obj-selftests-<line>/ the same for the
#                     selftests
#   apt/, debs/, stock/  Debian packages fetched for the lab (lab/debian.sh)
#   logs/             build logs
# Each kind keeps the $KVMSCOPE_CACHE_KEEP (default 6) most recently used
# entries: every series edit makes a new key, and a kernel entry is ~320 MB.
# A key hashes everything its output is made from: the line and its source
# version, the line's series and each patch in series order, the kernel
# config fragments, and the lab scripts that build it.  Other directories under the root are not ours
# and are never touched.

lab_tag=${lab_tag:-cache}
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
. "$lab_dir/versions.sh"

cache_root=${XDG_CACHE_HOME:-$HOME/.cache}/kvmscope
cache_kinds=(kernel selftests initramfs stock)
log_dir=$cache_root/logs

# _line_var NAME LINE: lab/versions.sh's NAME_<line> (NAME_7_3 for 7.3).
_line_var() { local v="${1}_${2//./_}"; echo "${!v}"; }

# lab_line LINE: the kernel line the rest of the script works on: its
# source tree, object dirs, series and config fragments.  Versions are
# resolved (lab/debian.sh) only when a key or a fetch needs them.
lab_line() {
	case " $LAB_LINES " in
	*" $1 "*) ;;
	*) usage_error "unknown kernel line '$1' (lab/versions.sh has: $LAB_LINES)" ;;
	esac
	line=$1
	src_dir=$cache_root/src/linux-source-$line
	obj_dir=$cache_root/obj-$line
	selftests_obj_dir=$cache_root/obj-selftests-$line
	series_dir=$repo_dir/kernel-patches/$line
	config_frags=("$lab_dir/kernel.config")
	[ ! -f "$lab_dir/kernel-$line.config" ] || config_frags+=("$lab_dir/kernel-$line.config")
	source_version= stock_release= topic=
}

# lab_topic TOPIC: the line's kernel becomes one topic of it alone (a
# directory of kernel-patches/LINE/ with a series file), on the pristine
# source after the topics its prerequisites file names, as it is posted.
# Its series, keys and tree follow; call it after lab_line.
lab_topic() {
	[[ $1 =~ ^[a-z0-9][a-z0-9.-]*$ ]] && [ -f "$series_dir/$1/series" ] ||
		usage_error "no topic '$1' in kernel-patches/$line (topics: $(cd "$series_dir" && ls -d */ 2>/dev/null | tr -d / | xargs))"
	topic=$1
	series_dir=$series_dir/$1
}

# The line's source package version and stock kernel release, resolved once.
line_source_version() {
	[ -n "$source_version" ] || source_version=$(resolve_source "$line") || exit 1
	echo "$source_version"
}
line_stock_release() {
	[ -n "$stock_release" ] || stock_release=$(resolve_stock "$line") || exit 1
	echo "$stock_release"
}

# Patch files in series order (comments and blank lines skipped).  An
# entry may be a patch or a topic directory with a series of its own (7.3
# has one series per topic, each posted on its own; the lab kernel has them
# all).  A topic built on others names them in its prerequisites file: a
# build of that topic alone (--topic) applies them first.  A line may have
# no patches yet: its kernel is then the source as Debian ships it.
series_patches() { # [DIR]
	local dir=${1:-$series_dir} p
	[ $# -gt 0 ] || for_prerequisites series_patches
	while read -r p _; do
		case "$p" in '' | '#'*) continue ;; esac
		if [ -f "$dir/$p/series" ]; then
			series_patches "$dir/$p"
			continue
		fi
		[ -f "$dir/$p" ] ||
			die "${dir#"$repo_dir"/}/series names $p, which does not exist"
		echo "$dir/$p"
	done <"$dir/series"
}

# for_prerequisites FUNC: FUNC on each topic $series_dir/prerequisites names.
for_prerequisites() {
	local t
	[ -f "$series_dir/prerequisites" ] || return 0
	while read -r t _; do
		case "$t" in '' | '#'*) continue ;; esac
		[ -f "$series_dir/../$t/series" ] ||
			die "${series_dir#"$repo_dir"/}/prerequisites names $t, which has no series"
		"$1" "$series_dir/../$t"
	done <"$series_dir/prerequisites"
}

# The series files a line's kernel is made from: its own and its topics'.
series_files() { # [DIR]
	local dir=${1:-$series_dir} p
	[ $# -gt 0 ] || for_prerequisites series_files
	echo "$dir/series"
	while read -r p _; do
		case "$p" in '' | '#'*) continue ;; esac
		[ ! -f "$dir/$p/series" ] || series_files "$dir/$p"
	done <"$dir/series"
}

# The files an output of KIND is built from.
cache_inputs() {
	local common=("$lab_dir/versions.sh" "$lab_dir/common.sh" "$lab_dir/cache.sh"
		"$lab_dir/debian.sh" "${config_frags[@]}")
	local tree=("$lab_dir/tree.sh" "$lab_dir/build-kernel.sh")
	case "$1" in
	kernel) printf '%s\n' "${common[@]}" "${tree[@]}"; series_files; series_patches ;;
	# Everything but the series.
	kernel-unpatched) printf '%s\n' "${common[@]}" "${tree[@]}" ;;
	selftests) cache_inputs kernel; echo "$lab_dir/build-selftests.sh" ;;
	initramfs-patched | initramfs-stock)
		cache_inputs selftests
		printf '%s\n' "$lab_dir/mkinitramfs.sh" "$lab_dir/cpio.sh" "$lab_dir/guest/init" ;;
	*) die "unknown cache kind '$1'" ;;
	esac
}

# sha256 over the inputs' names and contents (and host packages that end up
# inside the output), shortened: a directory name people can read.
cache_key() {
	local kind=$1 f
	{
		echo "kind=$kind line=$line source=$(line_source_version)"
		case "$kind" in
		initramfs-stock) echo "stock=$(line_stock_release)" ;;& initramfs-*)
			dpkg-query -W busybox-static bash libc6 2>/dev/null ;;
		esac
		cache_inputs "$kind" | while read -r f; do
			printf '== %s\n' "${f#"$repo_dir"/}"
			cat "$f"
		done
	} | sha256sum | cut -c1-16
}

cache_dir() { # KIND [KEY]
	local kind=${1%%-*}
	echo "$cache_root/$kind/${2:-$(cache_key "$1")}"
}

# Builds of the kernel and selftests share the source tree and object dir
# (lock "tree"); initramfs builds only need to not race each other.
# The lock is held until the calling script exits.
cache_lock() { # [NAME]
	local name=${1:-tree}
	mkdir -p "$cache_root"
	exec {_cache_lock_fd}>"$cache_root/.lock-$name"
	if ! flock -n "$_cache_lock_fd"; then
		say "another lab build holds $cache_root/.lock-$name; waiting for it"
		flock "$_cache_lock_fd"
	fi
}

# Move a finished output into place in one step, so a reader never sees a
# half-written cache entry and an interrupted build leaves nothing behind.
cache_publish() { # TMPDIR FINALDIR
	rm -rf "$2"
	mkdir -p "$(dirname "$2")"
	touch "$1/.used"
	mv -T "$1" "$2"
	cache_prune "$(basename "$(dirname "$2")")"
}

# A cache hit marks the entry used, so pruning keeps what is in use.
cache_used() { touch "$1/.used" 2>/dev/null || true; }

cache_prune() { # KIND
	local keep=${KVMSCOPE_CACHE_KEEP:-6} d
	[[ $keep =~ ^[1-9][0-9]*$ ]] || keep=6
	# Newest first by last use; a published entry always has .used.
	ls -1dt "$cache_root/$1"/*/.used 2>/dev/null | tail -n +$((keep + 1)) |
		while read -r d; do
			d=${d%/.used}
			say "pruning old cache entry $d"
			rm -rf "$d"
		done
	ls -1t "$log_dir"/*.log 2>/dev/null | tail -n +101 | xargs -r rm -f
}

cache_clean() {
	local k what=("${cache_kinds[@]}")
	[ "${1:-}" != --all ] || what+=(src obj-* logs apt debs)
	[ -d "$cache_root" ] || { say "nothing cached in $cache_root"; return 0; }
	cache_lock tree
	cache_lock initramfs
	for k in "${what[@]}"; do
		for k in "$cache_root"/$k; do
			[ -e "$k" ] || continue
			say "removing $k ($(du -sh "$k" | cut -f1))"
			rm -rf "$k"
		done
	done
}

. "$lab_dir/debian.sh"
lab_line "${KVMSCOPE_LINE:-$LAB_DEFAULT_LINE}"

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -euo pipefail
	case "${1:-}" in
	clean)
		case "${2:-}" in '' | --all) cache_clean "${2:-}" ;; *) usage_error "clean: unknown option '$2'" ;; esac ;;
	key | dir)
		[ $# -eq 2 ] || [ $# -eq 4 ] && [ "${3:---line}" = --line ] ||
			usage_error "$1 needs a KIND, and optionally --line LINE"
		[ $# -eq 2 ] || lab_line "$4"
		"cache_$1" "$2" ;;
	-h | --help)
		sed -n '2,/^$/s/^# \{0,1\}//p' "$0" ;;
	*) usage_error "usage: lab/cache.sh clean [--all] | key KIND [--line LINE] | dir KIND [--line LINE]" ;;
	esac
fi
