# The Debian package and a clean Debian root to install it in, for the
# suites that install it (tests/bpf/07-deb.sh on the host, tests/lab/75-deb.sh
# in the lab).  Source it from the repo root after tests/lib.sh; the
# functions print a TAP line for what they did and return non-zero when it
# failed.  Both entries live in the lab's cache, keyed by what makes them:
#   deb-<key>/         the .deb, .changes and .buildinfo of one tree: a hash
#                      of the files it is built from and their modes; the
#                      $KVMSCOPE_CACHE_KEEP (6) most recently used are kept;
#   debootstrap-<key>/ bookworm minbase with the package's Depends.
# Each deb_* function runs as root; deb_root_mount needs a mount namespace of
# the suite's own: a suite calls deb_suite_start "$0" "$@" first.

deb_cache=${XDG_CACHE_HOME:-$HOME/.cache}/kvmscope
deb_version=$(dpkg-parsechangelog -l debian/changelog -S Version)

# deb_suite_start "$0" "$@": the suite runs as root, in a mount namespace of
# its own (re-executed there), so its overlay goes when it does; the lab's
# QEMU, started from the suite, shares that namespace and serves the overlay.
deb_suite_start() {
	if [ "$(id -u)" -ne 0 ]; then
		not_ok "runs as root (chroot, overlay mount)" "uid $(id -u)"
		tap_done
		exit 1
	fi
	[ -n "${_KS_OWN_NS:-}" ] || _KS_OWN_NS=1 exec unshare --mount --propagation private "$@"
}

# The files the package is built from, NUL-separated: what git would commit
# (tracked or new, not ignored), but the tests, the lab, the kernel series
# and the fuzzers, which make all and make install never read (the build
# of a copy without them would fail if they did).
_deb_inputs() {
	local f
	git ls-files -z -co --exclude-standard -- . ':!tests' ':!lab' ':!kernel-patches' \
		':!fuzz' ':!.ci' | while IFS= read -rd '' f; do
		[ -e "$f" ] && printf '%s\0' "$f"
	done | sort -z
}

# deb_build: dpkg-buildpackage -b -us -uc on a copy of those files (the
# tree and its build/ stay as they are), or the cached result of the same
# files.  Sets deb (the .deb) and deb_changes.
deb_build() {
	local key dir tmp
	key=$({ _deb_inputs | xargs -0 sha256sum; _deb_inputs | xargs -0 stat -c '%a %n'; } |
		sha256sum | cut -c1-16)
	dir=$deb_cache/deb-$key
	deb=$dir/kvmscope_${deb_version}_amd64.deb
	deb_changes=$dir/kvmscope_${deb_version}_amd64.changes
	if [ -f "$deb" ]; then
		touch "$dir"	# recently used
		ok "dpkg-buildpackage -b -us -uc (cached for this tree: $dir)"
		return 0
	fi
	tmp=$dir.tmp
	rm -rf "$tmp"
	mkdir -p "$tmp/src"
	_deb_inputs | tar --null -T - -cf - | tar -C "$tmp/src" -xf -
	if ! (cd "$tmp/src" && DEB_BUILD_OPTIONS=parallel=2 dpkg-buildpackage -b -us -uc) \
		>"$tmp/build.log" 2>&1; then
		not_ok "dpkg-buildpackage -b -us -uc" "$(tail -n 30 "$tmp/build.log")"
		return 1
	fi
	rm -rf "$tmp/src"
	mv "$tmp" "$dir"
	# The most recently used, as the lab's kernels (lab/cache.sh).
	ls -dt "$deb_cache"/deb-*/ | tail -n "+$((${KVMSCOPE_CACHE_KEEP:-6} + 1))" |
		xargs -r rm -rf
	ok "dpkg-buildpackage -b -us -uc ($dir)"
}

# deb_base: a clean bookworm root with the package's Depends ($deb's), made
# by debootstrap from the host's own Debian archive once.  Sets deb_base.
deb_base() {
	local depends mirror key log
	depends=$(dpkg-deb -f "$deb" Depends | sed 's/([^)]*)//g; s/[ |]//g' | tr , '\n' |
		  grep -v '^$' | sort | paste -sd, -)
	mirror=$(apt-get indextargets --format '$(SITE) $(RELEASE)' 'Created-By: Packages' |
		awk '$2 == "bookworm" { print $1; exit }')
	if [ -z "$mirror" ]; then
		not_ok "the host's apt has a bookworm archive to debootstrap from" \
			"apt-get indextargets lists none"
		return 1
	fi
	key=$(printf 'bookworm minbase %s %s\n' "$mirror" "$depends" | sha256sum | cut -c1-16)
	deb_base=$deb_cache/debootstrap-$key
	if [ ! -d "$deb_base" ]; then
		mkdir -p "$deb_cache"
		rm -rf "$deb_base.tmp"
		log=$(debootstrap --variant=minbase --include="$depends" bookworm \
			"$deb_base.tmp" "$mirror" 2>&1)
		if [ $? -ne 0 ]; then
			not_ok "debootstrap bookworm into $deb_base" "$(tail -n 20 <<<"$log")"
			rm -rf "$deb_base.tmp"
			return 1
		fi
		mv "$deb_base.tmp" "$deb_base"
	fi
	ok "clean bookworm root with $depends ($deb_base)"
}

# deb_root_mount DIR: an overlay of $deb_base at DIR/root (DIR/upper holds
# what changes), so the cached root stays clean.  Sets deb_root.
deb_root_mount() {
	deb_root=$1/root deb_upper=$1/upper
	mkdir -p "$deb_root" "$deb_upper" "$1/work"
	mount -t overlay overlay \
		-o "lowerdir=$deb_base,upperdir=$deb_upper,workdir=$1/work" "$deb_root"
}

# deb_chroot CMD...: CMD in $deb_root with the host's /proc and /dev, as
# maintainer scripts expect; the mounts go when CMD does.
deb_chroot() {
	unshare --mount --propagation private sh -c \
		'mount --rbind /proc "$0/proc" && mount --rbind /dev "$0/dev" && exec chroot "$0" "$@"' \
		"$deb_root" "$@"
}

# deb_snapshot: every path in $deb_root with its type, mode and owner, but
# what dpkg keeps about itself and the logs.
_deb_pruned='^\./(var/lib/dpkg|var/log|var/cache/debconf|tmp)(/|$)'
deb_snapshot() {
	(cd "$deb_root" && find . -xdev -printf '%y %m %U:%G %p\n') |
		grep -Ev " ${_deb_pruned#^}" | LC_ALL=C sort -k4
}

# deb_install: dpkg -i $deb into $deb_root, after deb_snapshot's view of
# it went to DIR/before (deb_root_mount's DIR).
deb_install() {
	local out
	deb_snapshot >"${deb_root%/root}/before"
	cp "$deb" "$deb_root/tmp/"
	if out=$(deb_chroot dpkg -i "/tmp/${deb##*/}" 2>&1); then ok "dpkg -i ${deb##*/}"; else
		not_ok "dpkg -i ${deb##*/}" "$out"; return 1; fi
	rm -f "$deb_root/tmp/${deb##*/}"
	check_eq "dpkg: installed" "install ok installed" \
		"$(deb_chroot dpkg-query -W -f='${Status}' kvmscope 2>&1)"
}

# deb_purge: dpkg --purge, then the root is file for file as before
# deb_install: the same paths, types, modes and owners, and every file the
# overlay holds a copy of has the clean root's content.
deb_purge() {
	local out dir=${deb_root%/root} f changed=
	if out=$(deb_chroot dpkg --purge kvmscope 2>&1); then ok "dpkg --purge kvmscope"; else
		not_ok "dpkg --purge kvmscope" "$out"; fi
	deb_snapshot >"$dir/after"
	if diff -u "$dir/before" "$dir/after" >"$dir/diff"; then
		ok "purge leaves every path as it was"
	else
		not_ok "purge leaves every path as it was (-before +after)" "$(cat "$dir/diff")"
	fi
	while IFS= read -r f; do
		[ -f "$deb_base/$f" ] && cmp -s "$deb_upper/$f" "$deb_base/$f" ||
			changed+="$f "
	done < <(cd "$deb_upper" && find . -type f | grep -Ev "$_deb_pruned")
	check_eq "purge leaves every file's content as it was" "" "$changed"
}
