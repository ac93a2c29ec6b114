#!/usr/bin/env bash
# The Debian package against a lab kernel (7.3 patched, one boot):
#  - the .deb (tests/deb.sh: dpkg-buildpackage, cached by the tree's
#    content) is installed with dpkg -i into an overlay of a clean bookworm
#    root (debootstrap, cached) here on the host;
#  - the lab guest sees that root over 9p and runs what dpkg installed in
#    it, chrooted (tests/lab/deb/guest.sh): tdx-trace and hvflush-top
#    during private_mem_conversions_test and hyperv_tlb_flush, and the
#    exporter with the installed unit's ExecStart, user and capabilities
#    (setpriv: systemd does not run in the guest), scraped with curl on
#    loopback; each one's figures must be tracefs's, and the exporter's
#    sources all up;
#  - dpkg --purge, and the root is file for file as before the install.
# tests/bpf/07-deb.sh checks the package itself (lintian, files, versions).
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh
. tests/deb.sh

deb_suite_start "$0" "$@"

# Under the repo, which the guest sees at the same path.
out=$PWD/build/tests-lab/deb
rm -rf "$out"
mkdir -p "$out"
trap 'umount -R "$out/root" 2>/dev/null' EXIT

deb_build && deb_base && deb_root_mount "$out" && deb_install || { tap_done; exit 1; }

t0=$SECONDS
lab/run.sh -q --timeout 240 --results "$out/lab" -- \
	"$PWD/tests/lab/deb/guest.sh" "$deb_root" >"$out/run.log" 2>&1
rc=$?
tap_relay "$out/lab/output.log"
echo "# lab: $(grep -E '^(boot_s|job_s|wall_s)=' "$out/lab/summary.txt" 2>/dev/null | paste -sd' ' -), suite so far $((SECONDS - t0)) s in the lab"
check_eq "the lab booted and the guest's checks passed (lab/run.sh exit)" 0 "$rc"
[ "$rc" = 0 ] || tail -n 20 "$out/run.log" | sed 's/^/#   /'

deb_purge
tap_done
