#!/usr/bin/env bash
# Installs the Debian bookworm packages kvmscope needs.  Idempotent: only
# missing packages are installed, and apt-get update runs only then.
set -euo pipefail

# The lab kernel is pinned: the series is tested against exactly this.
. "$(dirname "$0")/versions.sh"

pkgs=(
	# build: BPF, tools, tests
	make gcc clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev pkg-config
	libcmocka-dev libmicrohttpd-dev libncurses-dev
	# lab kernel and selftests
	"linux-source-6.12=$LINUX_SOURCE_VERSION" flex bison bc libssl-dev dwarves cpio kmod
	xz-utils rsync
	# checkpatch.pl (lab/build-kernel.sh --checkpatch): its SPDX check
	perl python3 python3-ply python3-git
	# second lab kernel: Debian's stock KVM=m kernel
	"$STOCK_KERNEL_PKG"
	# lab runtime
	qemu-system-x86 busybox-static linux-perf
	# make bench: one of the anchors the tools are measured against
	bpftrace
	# dashboards and tests
	prometheus tmux jq
	# dashboards without Grafana (dashboards/render.py), PromQL checks, tests
	python3 gnuplot-nox
)

missing=()
for p in "${pkgs[@]}"; do
	name=${p%%=*}
	want=${p#*=}
	have=$(dpkg-query -W -f='${Status} ${Version}' "$name" 2>/dev/null || true)
	case "$have" in
	"install ok installed "*)
		[ "$name" = "$p" ] || [ "${have##* }" = "$want" ] || missing+=("$p") ;;
	*) missing+=("$p") ;;
	esac
done

if [ ${#missing[@]} -eq 0 ]; then
	echo "deps: all ${#pkgs[@]} packages present"
	exit 0
fi
echo "deps: installing ${#missing[@]} packages: ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: must run as root (apt-get install)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
