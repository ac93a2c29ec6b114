#!/usr/bin/env bash
# make install, as a packager runs it: DESTDIR and PREFIX, exactly the
# expected files (nothing missing, nothing extra), the unit naming the
# installed binary, and every installed tool's --version printing
# "NAME VERSION" with the version of debian/changelog.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh

tmp=$(mktemp -d /tmp/kvmscope-install-test.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
tools="tdx-trace hvflush-top kvmscope-exporter"

if ! log=$(make -s install DESTDIR="$tmp/root" PREFIX=/opt/ks 2>&1); then
	not_ok "make install DESTDIR=... PREFIX=/opt/ks" "$log"
	tap_done
	exit 1
fi
ok "make install DESTDIR=... PREFIX=/opt/ks"

# What the tree says must be installed: each tool, unit, dashboard and
# rules file; a man page per man/*.rst and a completion per completion/*
# where the tree has them.
{
	for t in $tools; do echo "opt/ks/sbin/$t"; done
	for f in dist/*.service dist/*.socket; do
		echo "opt/ks/lib/systemd/system/${f##*/}"; done
	for f in dashboards/*.json; do
		echo "opt/ks/share/kvmscope/dashboards/${f##*/}"; done
	for f in dashboards/*-rules.yml; do
		echo "opt/ks/share/kvmscope/rules/${f##*/}"; done
	for f in deploy/fleet/*.yml deploy/fleet/*.json; do
		echo "opt/ks/share/kvmscope/fleet/${f##*/}"; done
	for f in man/*.rst; do
		[ -e "$f" ] || continue
		f=${f##*/}; echo "opt/ks/share/man/man8/${f%.rst}.8"; done
	for f in completion/*; do
		[ -e "$f" ] || continue
		echo "opt/ks/share/bash-completion/completions/${f##*/}"; done
} | sort >"$tmp/want"
(cd "$tmp/root" && find . -type f -o -type l) | sed 's|^\./||' | sort >"$tmp/got"
if diff -u "$tmp/want" "$tmp/got" >"$tmp/diff"; then
	ok "installed exactly the $(wc -l <"$tmp/want") expected files"
else
	not_ok "installed files differ from the expected ones (-want +got)" "$(cat "$tmp/diff")"
fi
check_eq "the service runs the installed exporter" \
	"ExecStart=/opt/ks/sbin/kvmscope-exporter \$ARGS" \
	"$(grep '^ExecStart=' "$tmp/root/opt/ks/lib/systemd/system/kvmscope-exporter.service")"
check_eq "no template left in the units" "" \
	"$(grep -l '@[A-Z]*@' "$tmp"/root/opt/ks/lib/systemd/system/* )"
perms=$(stat -c '%a %n' "$tmp"/root/opt/ks/sbin/* "$tmp"/root/opt/ks/lib/systemd/system/* |
	sed "s|$tmp/root/||" | sort)
check_eq "modes: 755 tools, 644 units" "$(printf '%s\n' \
	"644 opt/ks/lib/systemd/system/kvmscope-exporter.service" \
	"644 opt/ks/lib/systemd/system/kvmscope-exporter.socket" \
	"755 opt/ks/sbin/hvflush-top" "755 opt/ks/sbin/kvmscope-exporter" \
	"755 opt/ks/sbin/tdx-trace" | sort)" "$perms"

# The package's version, read here independently of the Makefile.
version=$(dpkg-parsechangelog -l debian/changelog -S Version)
for t in $tools; do
	for opt in --version -V; do
		out=$("$tmp/root/opt/ks/sbin/$t" $opt 2>&1); rc=$?
		check_eq "$t $opt: exit status" 0 "$rc"
		check_eq "$t $opt" "$t $version" "$out"
	done
	check_eq "$t --help lists --version" 1 \
		"$("$tmp/root/opt/ks/sbin/$t" --help | grep -c -- '-V, --version')"
done
tap_done
