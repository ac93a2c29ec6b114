#!/usr/bin/env bash
# The Debian package, as Debian builds and installs it (tests/deb.sh; the
# lab's tests/lab/75-deb.sh runs what it installs against a lab kernel):
#  - dpkg-buildpackage -b -us -uc on a copy of this tree (the worktree and
#    its build/ stay as they are), cached by the tree's content;
#  - lintian: no errors (warnings and infos are listed as comments);
#  - installed with dpkg into a clean bookworm root (debootstrap minbase
#    with the package's Depends, cached; each run works on an overlay of
#    it): the files are where make install puts them, the installed tools
#    print "NAME VERSION" with the package's version, the service is
#    enabled and the socket not;
#  - purged: the root is file for file as before the install.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh
. tests/deb.sh

deb_suite_start "$0" "$@"

tmp=$(mktemp -d /var/tmp/kvmscope-deb-test.XXXXXX)
trap 'umount -R "$tmp/root" 2>/dev/null; rm -rf "$tmp"' EXIT

deb_build || { tap_done; exit 1; }

# --- lintian: Debian rejects errors; the rest is listed.
lintian --pedantic -I "$deb_changes" >"$tmp/lintian" 2>&1
grep -E '^[WIP]: ' "$tmp/lintian" | sed 's/^/# lintian: /'
check_eq "lintian: no errors" "" "$(grep -E '^E: ' "$tmp/lintian")"

deb_base || { tap_done; exit 1; }
deb_root_mount "$tmp"
deb_install || { tap_done; exit 1; }
for f in /usr/sbin/tdx-trace /usr/sbin/hvflush-top /usr/sbin/kvmscope-exporter \
	 /lib/systemd/system/kvmscope-exporter.service \
	 /lib/systemd/system/kvmscope-exporter.socket \
	 /usr/share/kvmscope/rules/kvmscope-rules.yml \
	 /usr/share/doc/kvmscope/copyright; do
	check "installed $f" test -f "$deb_root$f"
done
check_eq "dashboards installed" "$(ls dashboards/*.json | wc -l)" \
	"$(ls "$deb_root/usr/share/kvmscope/dashboards/"*.json | wc -l)"
for t in tdx-trace hvflush-top kvmscope-exporter; do
	check_eq "installed $t --version" "$t $deb_version" \
		"$(deb_chroot "/usr/sbin/$t" --version 2>&1)"
done
check "service enabled (multi-user.target.wants)" \
	test -L "$deb_root/etc/systemd/system/multi-user.target.wants/kvmscope-exporter.service"
check_eq "socket not enabled" "" \
	"$(find "$deb_root/etc/systemd" -name kvmscope-exporter.socket)"

deb_purge
tap_done
