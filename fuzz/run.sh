#!/usr/bin/env bash
# Builds the libFuzzer harnesses (clang, ASan + UBSan) and runs each for a
# bounded time on its corpus in fuzz/corpus/<name>/, which keeps what they
# find new.  FUZZ_SECONDS (default 60) per harness; FUZZ=name runs one.
# Exits non-zero if a harness crashes (the crash input is left in build/fuzz).
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${FUZZ_SECONDS:-60}
out=build/fuzz
mkdir -p "$out"
make -s build/conversions.skel.h build/mmu_roles.skel.h build/hvflush.skel.h

cflags=(-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
	-Wall -Wextra -Werror -Itools -Itools/lib -Ibuild -Ibpf)
x=tools/kvmscope-exporter
declare -A srcs=(
	[http]="$x/http.c $x/waitq.c $x/collector.c $x/render.c $x/expo.c $x/store.c tools/lib/grow.c
		tools/lib/vmcache.c tools/lib/vmname.c"
	[options]="$x/options.c tools/lib/args.c"
	[synth]="$x/source_synth.c $x/store.c tools/lib/args.c tools/lib/vmname.c tools/lib/grow.c
		 tools/lib/vmcache.c"
)
declare -A libs=([http]="-lmicrohttpd -lpthread" [options]="" [synth]="")
# Flags per harness: the HTTP one waits on a server thread per input.
declare -A flags=([http]="-max_len=65536 -timeout=10" [options]="-max_len=4096"
		  [synth]="-max_len=65536")

rc=0
for name in http options synth; do
	[ -z "${FUZZ:-}" ] || [ "$FUZZ" = "$name" ] || continue
	# shellcheck disable=SC2086
	clang "${cflags[@]}" -o "$out/${name}_fuzz" "fuzz/${name}_fuzz.c" \
		${srcs[$name]} ${libs[$name]}
	mkdir -p "fuzz/corpus/$name"
	echo "== $name: ${secs}s"
	# shellcheck disable=SC2086
	if ! (cd "$out" && "./${name}_fuzz" -max_total_time="$secs" \
		-print_final_stats=1 ${flags[$name]} "../../fuzz/corpus/$name" \
		>"${name}.log" 2>&1); then
		echo "FAIL: $name crashed, see $out/$name.log"
		tail -n 30 "$out/$name.log"
		rc=1
	else
		grep -E '^stat::(number_of_executed_units|peak_rss_mb|new_units_added)' \
			"$out/$name.log" | sed 's/^/   /'
	fi
done
exit $rc
