#!/usr/bin/env bash
# Builds the libFuzzer harnesses (clang, ASan + UBSan) and runs each for a
# bounded time on its corpus in fuzz/corpus/<name>/.  FUZZ_SECONDS (default
# 60) per harness; FUZZ="name ..." runs those.  What they find new goes
# into the corpus, or with FUZZ_KEEP=0 (make test) into build/fuzz/<name>.new,
# so the committed corpus only grows on purpose.  Prints a TAP line per
# harness; exits non-zero if one crashed (the crash input is left in
# build/fuzz).
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${FUZZ_SECONDS:-60}
out=build/fuzz
mkdir -p "$out"
make -s build/conversions.skel.h build/mmu_roles.skel.h build/hvflush.skel.h build/metrics.pb-c.h

cflags=(-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
	-Wall -Wextra -Werror -Itools -Itools/lib -Ibuild -Ibpf)
x=tools/kvmscope-exporter
declare -A srcs=(
	[http]="$x/http.c $x/waitq.c $x/collector.c $x/render.c $x/expo.c $x/store.c tools/lib/grow.c
		tools/lib/vmcache.c tools/lib/vmname.c tools/lib/utf8.c $x/openmetrics.c $x/process.c
		$x/webconfig.c $x/proto.c $x/metrics_pb.c"
	[options]="$x/options.c tools/lib/args.c tools/lib/version.c"
	[synth]="$x/source_synth.c $x/store.c tools/lib/args.c tools/lib/vmname.c tools/lib/grow.c
		 tools/lib/vmcache.c tools/lib/utf8.c"
	# Names as the outputs escape them: exposition, JSON, terminal, UTF-8.
	[expo]="$x/expo.c $x/proto.c $x/metrics_pb.c tools/lib/utf8.c"
	[json]="tools/lib/json_writer.c tools/lib/utf8.c"
	[termtext]="tools/lib/termtext.c tools/lib/utf8.c"
	[utf8]="tools/lib/utf8.c tools/lib/vmname.c"
)
declare -A libs=([http]="-lmicrohttpd -lgnutls -lyaml -lcrypt -lz -lpthread -lprotobuf-c" [options]=""
		 [synth]="" [expo]="-lm -lprotobuf-c"
		 [json]="-lm" [termtext]="" [utf8]="")
# Flags per harness: the HTTP one waits on a server thread per input.
declare -A flags=([http]="-max_len=65536 -timeout=10" [options]="-max_len=4096"
		  [synth]="-max_len=65536" [expo]="-max_len=4096" [json]="-max_len=4096"
		  [termtext]="-max_len=1024" [utf8]="-max_len=4096")

rc=0 i=0
for name in ${FUZZ:-http options synth expo json termtext utf8}; do
	[ -n "${srcs[$name]:-}" ] || { echo "fuzz: no harness $name" >&2; exit 2; }
	i=$((i + 1))
	# shellcheck disable=SC2086
	clang "${cflags[@]}" -o "$out/${name}_fuzz" "fuzz/${name}_fuzz.c" \
		${srcs[$name]} ${libs[$name]}
	corpus=("fuzz/corpus/$name")
	if [ "${FUZZ_KEEP:-1}" = 0 ]; then
		rm -rf "$out/$name.new"
		corpus=("$out/$name.new" "${corpus[@]}")
	fi
	mkdir -p "${corpus[@]}"
	# shellcheck disable=SC2086
	if "$out/${name}_fuzz" -max_total_time="$secs" -print_final_stats=1 \
		-artifact_prefix="$out/$name-" ${flags[$name]} "${corpus[@]}" \
		>"$out/$name.log" 2>&1; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/$name.log")
		echo "ok $i - fuzz $name: ${runs:-?} inputs in ${secs}s, no crash"
	else
		echo "not ok $i - fuzz $name found a crash: $out/$name.log, input $out/$name-*"
		grep -m1 -A12 -E '^==[0-9]+==ERROR|runtime error|: not ' "$out/$name.log" |
			sed 's/^/#   /' || tail -n 20 "$out/$name.log" | sed 's/^/#   /'
		rc=1
	fi
done
exit $rc
