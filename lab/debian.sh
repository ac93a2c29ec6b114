# Debian packages the lab uses but the host never installs: each kernel
# line's source package and its stock cloud kernel (lab/versions.sh).
# They are fetched with apt, download only, with an apt state of the lab's
# own under the cache, so no package on the host is installed, upgraded or
# removed.  The archives are the ones this host's apt already uses (their
# URIs, read from apt; none is written here) with the lines' suites added.
# Sourced after lab/cache.sh.
#
# Layout under the cache root:
#   apt/    sources.list, lists/, an empty dpkg status: apt's state
#   debs/   the downloaded .deb files
#   stock/<release>/  a stock kernel unpacked: vmlinuz, lib/modules/<release>

apt_dir=$cache_root/apt
deb_dir=$cache_root/debs
keyring=/usr/share/keyrings/debian-archive-keyring.gpg

_apt_opts() {
	printf '%s\n' -o "Dir::Etc::SourceList=$apt_dir/sources.list" \
		-o Dir::Etc::SourceParts=/dev/null -o Dir::Etc::Preferences=/dev/null \
		-o Dir::Etc::PreferencesParts=/dev/null -o "Dir::State=$apt_dir" \
		-o "Dir::State::Lists=$apt_dir/lists" -o "Dir::State::status=$apt_dir/status" \
		-o "Dir::Cache=$apt_dir/cache" -o Debug::NoLocking=1 \
		-o APT::Architecture=amd64 -o APT::Architectures::=amd64 \
		-o APT::Sandbox::User=root
}
_apt_get() { local o; mapfile -t o < <(_apt_opts); apt-get -q "${o[@]}" "$@"; }
_apt_cache() { local o; mapfile -t o < <(_apt_opts); apt-cache "${o[@]}" "$@"; }

# Our sources.list: every Debian suite the host uses, and each line's suite
# on the archive that serves the host's own release.
_apt_sources() {
	local targets main suite
	targets=$(apt-get indextargets --format '$(SITE) $(RELEASE)' 'Created-By: Packages' |
		awk '$2 ~ /^(bookworm|trixie)(-[a-z]+)?$/' | sort -u)
	[ -n "$targets" ] || die "this host's apt uses no Debian archive (apt-get indextargets): cannot fetch the lab's kernels"
	main=$(awk '$2 == "bookworm" || $2 == "trixie" { print $1; exit }' <<<"$targets")
	[ -n "$main" ] || die "this host's apt has no Debian release suite to find the lab's suites on"
	{
		while read -r site suite; do
			echo "deb [signed-by=$keyring] $site $suite main"
		done <<<"$targets"
		for suite in $(for l in $LAB_LINES; do _line_var SUITE "$l"; done | sort -u); do
			grep -q " $suite\$" <<<"$targets" || echo "deb [signed-by=$keyring] $main $suite main"
		done
	}
}

# apt-get update into our state; again only when asked (--refresh) or when
# the sources changed.
debian_update() { # [--refresh]
	local sources
	mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial"
	sources=$(_apt_sources) || exit 1
	[ -f "$apt_dir/status" ] || : >"$apt_dir/status"
	if [ "${1:-}" != --refresh ] && [ -f "$apt_dir/updated" ] &&
		[ "$sources" = "$(cat "$apt_dir/sources.list" 2>/dev/null)" ]; then
		return 0
	fi
	echo "$sources" >"$apt_dir/sources.list"
	say "apt: reading the package lists of $(wc -l <"$apt_dir/sources.list") Debian suites (lab state in $apt_dir)"
	_apt_get update >"$apt_dir/update.log" 2>&1 ||
		die "apt-get update failed (log: $apt_dir/update.log)"
	touch "$apt_dir/updated"
}

# Versions of PACKAGE the archive has, newest first.
_versions() { _apt_cache madison "$1" 2>/dev/null | awk -F' [|] ' '{ print $2 }' | sort -rVu; }

# resolve_source LINE: print the source package version to use: the pinned
# one, or (gone from the archive) the newest of the line, saying so.
resolve_source() {
	local line=$1 pin pkg have newest
	pin=$(_line_var SOURCE_VERSION "$line") pkg=linux-source-$line
	# Already here: downloaded, or extracted into the lab's tree.
	if [ -f "$deb_dir/${pkg}_${pin}_all.deb" ] ||
		[ "$(git -C "$cache_root/src/$pkg" log -1 --format=%s base 2>/dev/null)" = "$pkg $pin" ]; then
		echo "$pin"
		return 0
	fi
	debian_update
	have=$(_versions "$pkg")
	[ -n "$have" ] || { debian_update --refresh; have=$(_versions "$pkg"); }
	if grep -qxF "$pin" <<<"$have"; then echo "$pin"; return 0; fi
	newest=$(head -n 1 <<<"$have")
	[ -n "$newest" ] || die "no $pkg in the archive (suite $(_line_var SUITE "$line")): Linux $line is not available; change SOURCE_VERSION_${line//./_} and SUITE_${line//./_} in lab/versions.sh"
	say "$pkg $pin is no longer in the archive; using the newest, $newest (pinned in lab/versions.sh)"
	echo "$newest"
}

# The packages that hold stock kernel RELEASE: one linux-image-*-unsigned
# (6.12), or since 7.x the kernel, its modules, and the base package with
# its config and the modules' lists.
_stock_pkgs() {
	if [ -n "$(_versions "linux-binary-$1")" ]; then
		echo "linux-binary-$1 linux-modules-$1 linux-base-$1"
	elif [ -n "$(_versions "linux-image-$1-unsigned")" ]; then
		echo "linux-image-$1-unsigned"
	fi
}

# resolve_stock LINE: print the stock kernel release to use, as
# resolve_source does for the source.
resolve_stock() {
	local line=$1 pin newest
	pin=$(_line_var STOCK_RELEASE "$line")
	if [ -f "$cache_root/stock/$pin/vmlinuz" ]; then echo "$pin"; return 0; fi
	debian_update
	[ -n "$(_stock_pkgs "$pin")" ] || debian_update --refresh
	if [ -n "$(_stock_pkgs "$pin")" ]; then echo "$pin"; return 0; fi
	newest=$(_apt_cache pkgnames "linux-" 2>/dev/null |
		sed -nE "s/^linux-(binary|image)-(${line//./\\.}\.[0-9]+\+deb[0-9]+-cloud-amd64)(-unsigned)?\$/\2/p" |
		sort -rVu | head -n 1)
	[ -n "$newest" ] || die "no Linux $line cloud kernel in the archive: change STOCK_RELEASE_${line//./_} in lab/versions.sh"
	say "stock kernel $pin is no longer in the archive; using the newest, $newest (pinned in lab/versions.sh)"
	echo "$newest"
}

# fetch_deb PACKAGE VERSION: download (once) and print the .deb's path.
fetch_deb() {
	local pkg=$1 ver=$2 f tmp
	f=$(ls "$deb_dir/${pkg}_${ver}_"*.deb 2>/dev/null | head -n 1)
	if [ -n "$f" ]; then echo "$f"; return 0; fi
	debian_update
	tmp=$deb_dir/.tmp.$$
	mkdir -p "$tmp"
	say "apt: downloading $pkg $ver"
	(cd "$tmp" && _apt_get download "$pkg=$ver") >"$tmp/download.log" 2>&1 || {
		sed 's/^/    /' "$tmp/download.log" >&2
		rm -rf "$tmp"
		die "apt-get download $pkg=$ver failed"
	}
	f=$(ls "$tmp"/*.deb)
	mv "$f" "$deb_dir/"
	rm -rf "$tmp"
	echo "$deb_dir/${f##*/}"
}

# stock_kernel LINE: unpack (once) the line's stock kernel and print its
# directory: vmlinuz, and lib/modules/<release> with modules.dep.
stock_kernel() {
	local release out tmp pkg ver
	release=$(resolve_stock "$1") || exit 1
	out=$cache_root/stock/$release
	if [ -f "$out/vmlinuz" ]; then echo "$out"; return 0; fi
	tmp=$cache_root/stock/.tmp-$release-$$
	rm -rf "$tmp"
	mkdir -p "$tmp"
	for pkg in $(_stock_pkgs "$release"); do
		ver=$(_versions "$pkg" | head -n 1)
		dpkg-deb -x "$(fetch_deb "$pkg" "$ver")" "$tmp" ||
			die "unpacking $pkg $ver failed"
	done
	# 7.x packages install into /usr/lib only.
	[ -e "$tmp/lib" ] || ln -s usr/lib "$tmp/lib"
	if [ -f "$tmp/boot/vmlinuz-$release" ]; then
		mv "$tmp/boot/vmlinuz-$release" "$tmp/vmlinuz"
	else
		mv "$tmp/lib/modules/$release/vmlinuz" "$tmp/vmlinuz" ||
			die "no vmlinuz in the packages of stock kernel $release"
	fi
	depmod -b "$tmp" "$release" || die "depmod for stock kernel $release failed"
	echo "release=$release fetched=$(date -Is)" >"$tmp/build-info"
	rm -rf "$out"
	mv -T "$tmp" "$out"
	say "stock kernel $release unpacked in $out"
	echo "$out"
}
