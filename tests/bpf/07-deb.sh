#!/usr/bin/env bash
# The Debian package, as Debian builds and installs it:
#  - dpkg-buildpackage -b -us -uc on a copy of this tree (the worktree and
#    its build/ stay as they are);
#  - lintian: no errors (warnings and infos are listed as comments);
#  - installed with dpkg into a clean bookworm root (debootstrap minbase
#    with the package's Depends, cached in $cache_root; each run works on
#    an overlay of it): the files are where make install puts them, the
#    installed tools print "NAME VERSION" with the package's version, the
#    service is enabled and the socket not;
#  - purged: the root is file for file as before the install.
# Running the installed exporter against a lab kernel is not done here.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh

if [ "$(id -u)" -ne 0 ]; then
	not_ok "runs as root (chroot, overlay mount)" "uid $(id -u)"
	tap_done
	exit 1
fi
# Our own mount namespace: the overlay goes when the suite does.
[ -n "${_KS_OWN_NS:-}" ] || _KS_OWN_NS=1 exec unshare --mount --propagation private "$0" "$@"

tmp=$(mktemp -d /var/tmp/kvmscope-deb-test.XXXXXX)
trap 'umount -R "$tmp/root" 2>/dev/null; rm -rf "$tmp"' EXIT
version=$(dpkg-parsechangelog -l debian/changelog -S Version)

# --- build
mkdir "$tmp/src"
tar --exclude=./build --exclude=./.git -cf - . | tar -C "$tmp/src" -xf -
if ! (cd "$tmp/src" && DEB_BUILD_OPTIONS=parallel=2 dpkg-buildpackage -b -us -uc) \
	>"$tmp/build.log" 2>&1; then
	not_ok "dpkg-buildpackage -b -us -uc" "$(tail -n 30 "$tmp/build.log")"
	tap_done
	exit 1
fi
ok "dpkg-buildpackage -b -us -uc"
deb=$tmp/kvmscope_${version}_amd64.deb
check "built $(basename "$deb")" test -f "$deb"

# --- lintian: Debian rejects errors; the rest is listed.
lintian --pedantic -I "$tmp/kvmscope_${version}_amd64.changes" >"$tmp/lintian" 2>&1
grep -E '^[WIP]: ' "$tmp/lintian" | sed 's/^/# lintian: /'
check_eq "lintian: no errors" "" "$(grep -E '^E: ' "$tmp/lintian")"

# --- a clean root with the package's dependencies, cached by what makes it
depends=$(dpkg-deb -f "$deb" Depends | sed 's/([^)]*)//g; s/[ |]//g' | tr , '\n' |
	  grep -v '^$' | sort | paste -sd, -)
# The host's own Debian archive, as apt knows it.
mirror=$(apt-get indextargets --format '$(SITE) $(RELEASE)' 'Created-By: Packages' |
	awk '$2 == "bookworm" { print $1; exit }')
if [ -z "$mirror" ]; then
	not_ok "the host's apt has a bookworm archive to debootstrap from" "apt-get indextargets lists none"
	tap_done
	exit 1
fi
key=$(printf 'bookworm minbase %s %s\n' "$mirror" "$depends" | sha256sum | cut -c1-16)
cache_root=${XDG_CACHE_HOME:-$HOME/.cache}/kvmscope
base=$cache_root/debootstrap-$key
if [ ! -d "$base" ]; then
	mkdir -p "$cache_root"
	rm -rf "$base.tmp"
	if ! debootstrap --variant=minbase --include="$depends" bookworm \
		"$base.tmp" "$mirror" >"$tmp/debootstrap.log" 2>&1; then
		not_ok "debootstrap bookworm into $base" "$(tail -n 20 "$tmp/debootstrap.log")"
		rm -rf "$base.tmp"
		tap_done
		exit 1
	fi
	mv "$base.tmp" "$base"
fi
ok "clean bookworm root with $depends ($base)"

mkdir "$tmp/root" "$tmp/upper" "$tmp/work"
mount -t overlay overlay -o "lowerdir=$base,upperdir=$tmp/upper,workdir=$tmp/work" "$tmp/root"
for d in proc dev; do mount --rbind "/$d" "$tmp/root/$d"; done
in_root() { chroot "$tmp/root" "$@"; }
# Everything but what dpkg keeps about itself and its logs.
snapshot() {
	(cd "$tmp/root" && find . -xdev \( -path ./var/lib/dpkg -o -path ./var/log \
		-o -path ./var/cache/debconf -o -path ./tmp \) -prune -o -print) | sort
}
snapshot >"$tmp/before"

# --- install
cp "$deb" "$tmp/root/tmp/"
if out=$(in_root dpkg -i "/tmp/${deb##*/}" 2>&1); then ok "dpkg -i"; else
	not_ok "dpkg -i" "$out"; fi
check_eq "dpkg: installed" "install ok installed" \
	"$(in_root dpkg-query -W -f='${Status}' kvmscope 2>&1)"
for f in /usr/sbin/tdx-trace /usr/sbin/hvflush-top /usr/sbin/kvmscope-exporter \
	 /lib/systemd/system/kvmscope-exporter.service \
	 /lib/systemd/system/kvmscope-exporter.socket \
	 /usr/share/kvmscope/rules/kvmscope-rules.yml \
	 /usr/share/doc/kvmscope/copyright; do
	check "installed $f" test -f "$tmp/root$f"
done
check_eq "dashboards installed" "$(ls dashboards/*.json | wc -l)" \
	"$(ls "$tmp/root/usr/share/kvmscope/dashboards/"*.json | wc -l)"
for t in tdx-trace hvflush-top kvmscope-exporter; do
	check_eq "installed $t --version" "$t $version" \
		"$(in_root "/usr/sbin/$t" --version 2>&1)"
done
check "service enabled (multi-user.target.wants)" \
	test -L "$tmp/root/etc/systemd/system/multi-user.target.wants/kvmscope-exporter.service"
check_eq "socket not enabled" "" \
	"$(find "$tmp/root/etc/systemd" -name kvmscope-exporter.socket)"

# --- purge
if out=$(in_root dpkg --purge kvmscope 2>&1); then ok "dpkg --purge"; else
	not_ok "dpkg --purge" "$out"; fi
rm -f "$tmp/root/tmp/${deb##*/}"
snapshot >"$tmp/after"
if diff -u "$tmp/before" "$tmp/after" >"$tmp/diff"; then
	ok "purge leaves the root as it was"
else
	not_ok "purge leaves the root as it was (-before +after)" "$(cat "$tmp/diff")"
fi
tap_done
