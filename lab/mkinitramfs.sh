#!/usr/bin/env bash
# Builds the base initramfs of one lab kernel (a line's patched or stock
# kernel), cached by key, and prints the path of its initramfs.cpio.  Both
# have busybox-static and lab/guest/init.
#   --kernel patched  nothing else: the job runs chrooted into the host root,
#                     shared read-only over 9p, so host binaries just work
#   --kernel stock    Debian's stock kernel has KVM as modules and no 9p:
#                     kvm, kvm_amd, virtio_net and their dependencies (per
#                     modules.dep), bash and the KVM selftests (stripped)
# Uncompressed on purpose: under TCG, inflating costs more boot time than
# QEMU loading a larger file.
#
# usage: lab/mkinitramfs.sh [--line LINE] --kernel patched|stock [--force]
set -euo pipefail
lab_tag=initramfs
. "$(dirname "$0")/cache.sh"
. "$lab_dir/cpio.sh"

flavour= force=0
while [ $# -gt 0 ]; do
	case "$1" in
	--kernel) [ $# -ge 2 ] || usage_error "--kernel needs patched or stock"; flavour=$2; shift ;;
	--force) force=1 ;;
	--line) [ $# -ge 2 ] || usage_error "--line needs a kernel line"; lab_line "$2"; shift ;;
	-h | --help) sed -n '2,/^set -e/{/^set -e/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
	*) usage_error "unknown option '$1'" ;;
	esac
	shift
done
case "$flavour" in patched | stock) ;; *) usage_error "--kernel must be patched or stock" ;; esac

key=$(cache_key "initramfs-$flavour")
out=$(cache_dir "initramfs-$flavour" "$key")
if [ "$force" -eq 0 ] && [ -f "$out/initramfs.cpio" ]; then
	cache_used "$out"
	echo "$out/initramfs.cpio"
	exit 0
fi
if [ "$flavour" = stock ]; then
	selftests=$("$lab_dir/build-selftests.sh" --line "$line") || exit 1
	stock=$(stock_kernel "$line") || exit 1
	release=$(line_stock_release)
fi
cache_lock initramfs
if [ "$force" -eq 0 ] && [ -f "$out/initramfs.cpio" ]; then
	echo "$out/initramfs.cpio"
	exit 0
fi

t0=$SECONDS
tmp=$cache_root/initramfs/.tmp-$key-$$
trap 'rm -rf "$tmp"' EXIT
stage=$tmp/root
mkdir -p "$stage"/{bin,dev,proc,sys,tmp,run,host,results,kvmscope,lib/modules/kvmscope,etc} \
	"$stage/usr"
ln -s bin "$stage/sbin"
ln -s ../bin "$stage/usr/bin"
ln -s ../bin "$stage/usr/sbin"
# The kernel opens /dev/console for init's stdio before devtmpfs is mounted.
mknod -m 600 "$stage/dev/console" c 5 1

busybox=$(command -v busybox)
! ldd "$busybox" >/dev/null 2>&1 || die "$busybox is dynamically linked: install busybox-static"
stage_file "$busybox" "$stage" bin/busybox
for applet in $(busybox --list); do
	[ -e "$stage/bin/$applet" ] || ln -s busybox "$stage/bin/$applet"
done
stage_file "$lab_dir/guest/init" "$stage" init
chmod 755 "$stage/init"

# modules.dep order: a module's dependencies before it.  Decompressed here,
# since busybox insmod cannot read .ko.xz.
stage_modules() { # ORDER-FILE MODULE [PARAMS...]
	local order=$1 mod=$2 dep path name
	shift 2
	for dep in $(modinfo -b "$stock" -k "$release" -F depends "$mod" | tr ',' ' '); do
		stage_modules "$order" "$dep"
	done
	path=$(modinfo -b "$stock" -k "$release" -n "$mod") || die "module $mod not found for $release"
	name=$(basename "$path"); name=${name%%.ko*}
	[ -f "$stage/lib/modules/kvmscope/$name.ko" ] && return 0
	case "$path" in
	*.ko.xz) xz -dc "$path" >"$stage/lib/modules/kvmscope/$name.ko" ;;
	*.ko.zst) zstd -qdc "$path" >"$stage/lib/modules/kvmscope/$name.ko" ;;
	*.ko) cp "$path" "$stage/lib/modules/kvmscope/$name.ko" ;;
	*) die "unexpected module file $path" ;;
	esac
	echo "$name $*" >>"$stage/lib/modules/kvmscope/$order"
}

if [ "$flavour" = stock ]; then
	stage_modules kvm.order kvm_amd npt=1 nested=1
	stage_modules net.order virtio_net
	stage_binary /bin/bash "$stage"
	[ -f "$selftests/x86.list" ] || die "no selftests in $selftests"
	mkdir -p "$stage/kvmscope/selftests/x86"
	cp "$selftests"/*.list "$stage/kvmscope/selftests/"
	(cd "$selftests" && find . -type f -perm -u+x) | while read -r t; do
		strip -o "$stage/kvmscope/selftests/$t" "$selftests/$t"
	done
fi

pack_cpio "$stage" "$tmp/initramfs.cpio"
rm -rf "$stage"
echo "key=$key line=$line kernel=$flavour built=$(date -Is) seconds=$((SECONDS - t0))" >"$tmp/build-info"
cache_publish "$tmp" "$out"
say "Linux $line $flavour initramfs $key: $(du -h "$out/initramfs.cpio" | cut -f1) in $((SECONDS - t0)) s"
echo "$out/initramfs.cpio"
