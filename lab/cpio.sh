# Staging files into an initramfs tree and packing it (sourced).
# Used for the cached base images (lab/mkinitramfs.sh) and for the small
# per-run overlay that lab/run.sh appends: the kernel unpacks concatenated
# newc archives in order, later files adding to or replacing earlier ones.

# stage_file SRC STAGE [DEST]: copy SRC (following links) to STAGE/DEST,
# DEST defaulting to SRC's own path.
stage_file() {
	local dest=$2/${3:-$1}
	mkdir -p "$(dirname "$dest")"
	cp -L --preserve=mode "$1" "$dest"
}

# stage_binary BIN STAGE [DEST]: an executable plus the shared libraries and
# loader it needs, at the paths ldd reports (the loader finds them there
# without an ld.so.cache).
stage_binary() {
	local bin=$1 stage=$2 lib
	stage_file "$bin" "$stage" "${3:-$bin}"
	# "libx.so => /path (0x...)" and "/lib64/ld-linux-x86-64.so.2 (0x...)";
	# static binaries have none.
	for lib in $(ldd "$bin" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do
		[ -e "$stage/$lib" ] || stage_file "$lib" "$stage"
	done
}

# pack_cpio STAGE OUT: newc archive owned by root, in a stable order.
pack_cpio() {
	(cd "$1" && find . -mindepth 1 -print0 | LC_ALL=C sort -z |
		cpio --null --create --format=newc --owner=0:0 --reproducible --quiet) >"$2"
}
