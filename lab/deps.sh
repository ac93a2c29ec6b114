#!/usr/bin/env bash
# Installs the Debian bookworm packages kvmscope needs.  Idempotent: only
# missing packages are installed, and apt-get update runs only then.
set -euo pipefail

pkgs=(
	# build: BPF, tools, tests
	make gcc clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev pkg-config
	libcmocka-dev libmicrohttpd-dev libncurses-dev libsystemd-dev
	# the Debian package (make deb, tests/bpf/07-deb.sh)
	dpkg-dev debhelper fakeroot lintian debootstrap
	# the exporter's --web.config.file (TLS client certificates, YAML,
	# bcrypt) and its tests (certificates, OpenMetrics parser)
	libgnutls28-dev libyaml-dev libcrypt-dev openssl
	# its protobuf exposition (metrics.proto, protoc-c) and native histograms
	libprotobuf-c-dev protobuf-c-compiler
	python3-prometheus-client
	# libFuzzer (make fuzz, tests/fuzz): clang only recommends it
	libclang-rt-14-dev
	# lab kernels and selftests (the kernels' sources and Debian's stock
	# kernels are fetched into the cache, never installed: lab/debian.sh)
	flex bison bc libssl-dev dwarves cpio kmod xz-utils rsync
	# checkpatch.pl (lab/build-kernel.sh --checkpatch): its SPDX check
	perl python3 python3-ply python3-git
	# lab runtime
	qemu-system-x86 busybox-static linux-perf
	# make bench: one of the anchors the tools are measured against
	bpftrace
	# man pages: rst2man (make: man/*.rst), man and groff (their test)
	python3-docutils man-db
	# dashboards and tests
	prometheus tmux jq
	# deploy/fleet and its test (tests/bpf/68-fleet.sh): the central store
	# and vmalert; the test runs its own, not the package's service
	victoria-metrics
	# dashboards without Grafana (dashboards/render.py), PromQL checks, tests
	python3 gnuplot-nox
	# the rendered dashboards looked at in a browser (tests/bpf/67-dashboards-look.sh)
	chromium
)

missing=()
for p in "${pkgs[@]}"; do
	case "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" in
	"install ok installed") ;;
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
