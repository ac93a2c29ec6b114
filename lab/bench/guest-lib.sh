# Guest side of `make bench`, sourced by lab/bench/guest.sh: observers
# (the tools and the anchors they are compared with), timed workload runs,
# blocks of alternating runs, BPF run-time statistics and event counts.
# Runs in both lab guests (bash; the stock one has busybox for the rest).
# Writes raw data only; lab/bench/report.pl does the statistics on the host.
#
# Set before sourcing: OUT (results dir), WORK (scratch, tmpfs), WORKLOAD
# (array: the timed command), SAME_EVENTS ("group:event ..." the tool under
# test attaches to), TOOL_EVENTS (events, no group: where the "empty-tool"
# observer puts an empty program, as the tool does), and the tool paths
# TDX_TRACE, HVFLUSH_TOP, EMPTY_ATTACH, KVM_STAT, KVMSCOPE_EXPORTER.

# An observer must be attached within this, and gone this long after it was
# told to stop (bpftrace detaching ~120 tracepoints under TCG takes seconds).
OBS_TIMEOUT=${OBS_TIMEOUT:-120}

log() { echo "[bench] $*"; }

# Seconds since the epoch, microseconds: bash's own clock, no fork.
now() { echo "$EPOCHREALTIME"; }
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.6f", b - a }'; }

# wait_for FILE REGEX PID: until FILE has a line matching REGEX.  Fails if
# PID exits first or OBS_TIMEOUT passes.
wait_for() {
	local file=$1 re=$2 pid=$3 t0=$SECONDS
	while ! grep -qE "$re" "$file" 2>/dev/null; do
		kill -0 "$pid" 2>/dev/null || return 1
		[ $((SECONDS - t0)) -lt "$OBS_TIMEOUT" ] || return 1
		sleep 0.05
	done
}

# The event lists in each tool's syntax.  $1: "all" (every kvm: and kvmmmu:
# event, the anchors' setting) or "same" (SAME_EVENTS).
perf_events() {
	local e
	if [ "$1" = all ]; then
		echo "-e kvm:* -e kvmmmu:*"
	else
		for e in $SAME_EVENTS; do printf -- '-e %s ' "$e"; done
	fi
}
bpftrace_probes() {
	local e sep=
	if [ "$1" = all ]; then
		echo "tracepoint:kvm:*,tracepoint:kvmmmu:*"
	else
		for e in $SAME_EVENTS; do printf '%stracepoint:%s' "$sep" "$e"; sep=,; done
	fi
}
# kvm_stat only knows the kvm: group; -f is a regex on its field names,
# which include filtered children such as "kvm_exit(NPF)": anchor it.
kvm_stat_filter() {
	local e re=
	for e in $SAME_EVENTS; do
		case "$e" in kvm:*) re="${re:+$re|}${e#kvm:}" ;; esac
	done
	echo "^($re)\$"
}
# Event names without their group, for empty-attach.
same_event_names() {
	local e
	for e in $SAME_EVENTS; do printf '%s ' "${e#*:}"; done
}

# --- observers
# obs_start CONFIG: start CONFIG's observers in the background and return
# once they are attached; "a+b" starts a and b.  The pids are in obs_pids,
# what they print in $WORK/obs-<name>.{out,err}.  Returns non-zero (and
# says why on stderr) if one failed to attach.
obs_pids=() obs_names=()
obs_start() {
	local part
	obs_pids=() obs_names=()
	[ "$1" = off ] && return 0
	for part in ${1//+/ }; do
		_obs_start_one "$part" || { _obs_failed "$part"; obs_stop; return 1; }
	done
}

_obs_failed() {
	echo "observer $1 did not attach; its stderr:" >&2
	tail -n 5 "$WORK/obs-$1.err" >&2 2>/dev/null
	tail -n 5 "$WORK/obs-$1.out" >&2 2>/dev/null
}

_obs_start_one() {
	local name=$1 out=$WORK/obs-$1.out err=$WORK/obs-$1.err pid ready watch
	watch=$out
	: >"$out"
	: >"$err"
	case "$name" in
	perf-stat | perf-stat-same)
		_perf_start "$name" stat -x, -o "$out" $(perf_events "$([ "$name" = perf-stat ] && echo all || echo same)") || return 1
		return 0 ;;
	perf-record | perf-record-same)
		rm -f "$WORK/perf.data"
		_perf_start "$name" record -q -o "$WORK/perf.data" $(perf_events "$([ "$name" = perf-record ] && echo all || echo same)") || return 1
		return 0 ;;
	kvm_stat)
		PYTHONUNBUFFERED=1 "${PYTHON:-python3}" "$KVM_STAT" -t -l >"$out" 2>"$err" &
		pid=$! ready='.' ;;
	kvm_stat-same)
		PYTHONUNBUFFERED=1 "${PYTHON:-python3}" "$KVM_STAT" -t -l -f "$(kvm_stat_filter)" >"$out" 2>"$err" &
		pid=$! ready='.' ;;
	bpftrace | bpftrace-same)
		bpftrace -e "BEGIN { printf(\"ready\\n\"); } $(bpftrace_probes "$([ "$name" = bpftrace ] && echo all || echo same)") { @[probe] = count(); }" >"$out" 2>"$err" &
		pid=$! ready='^ready' ;;
	tdx-conv)
		"$TDX_TRACE" conversions -s -j >"$out" 2>"$err" &
		pid=$! ready='"type": ?"mode"' ;;
	tdx-conv-mapgpa)
		"$TDX_TRACE" conversions -s --mapgpa -j >"$out" 2>"$err" &
		pid=$! ready='"type": ?"mode"' ;;
	tdx-roles)
		"$TDX_TRACE" roles -j >"$out" 2>"$err" &
		pid=$! ready='"type": ?"mode"' ;;
	hvflush-top)
		# JSON snapshots every second: the first one says it is attached.
		"$HVFLUSH_TOP" -j -d 1 >"$out" 2>"$err" &
		pid=$! ready='"mode"' ;;
	empty)
		"$EMPTY_ATTACH" $(same_event_names) >"$out" 2>"$err" &
		pid=$! ready='^ready' ;;
	empty-tool)
		# The tool's attach points and attach type, programs that do
		# nothing: what any program there costs (lab/bench/README.md).
		"$EMPTY_ATTACH" -b $TOOL_EVENTS >"$out" 2>"$err" &
		pid=$! ready='^ready' ;;
	exporter)
		# Every source it has (conversions, MMU roles, TLB flush FIFOs),
		# no scraper: what holding the aggregates costs.
		"$KVMSCOPE_EXPORTER" --listen 127.0.0.1:0 >"$out" 2>"$err" &
		pid=$! ready='^serving http' watch=$err ;;
	*) echo "unknown observer '$name'" >&2; return 1 ;;
	esac
	obs_pids+=("$pid") obs_names+=("$name")
	wait_for "$watch" "$ready" "$pid"
}

# perf with a control fd: started with its events disabled, it acks the
# "enable" command only once they are all open and enabled.
_perf_start() {
	local name=$1 ack pid; shift
	rm -f "$WORK/perf-ctl" "$WORK/perf-ack"
	mkfifo "$WORK/perf-ctl" "$WORK/perf-ack"
	exec 5<>"$WORK/perf-ctl" 6<>"$WORK/perf-ack"
	perf "$@" -a -D -1 --control fd:5,6 >/dev/null 2>"$WORK/obs-$name.err" &
	pid=$!
	obs_pids+=("$pid") obs_names+=("$name")
	echo enable >&5
	read -r -t "$OBS_TIMEOUT" ack <&6 || ack=
	exec 5>&- 6>&-
	[ "$ack" = ack ]
}

# obs_stop: stop what obs_start started (SIGINT: perf, bpftrace and the
# tools print their totals; kvm_stat only knows SIGTERM) and wait for it.
# Sets obs_status to "ok", or the names that failed (exit status) or hung
# (killed).  Not in a subshell: only this shell can wait for its children.
obs_status=
obs_stop() {
	local i pid name sig rc t0 bad=
	for i in "${!obs_pids[@]}"; do
		pid=${obs_pids[$i]} name=${obs_names[$i]}
		case "$name" in kvm_stat*) sig=TERM ;; *) sig=INT ;; esac
		kill -"$sig" "$pid" 2>/dev/null
		t0=$SECONDS
		while kill -0 "$pid" 2>/dev/null && [ $((SECONDS - t0)) -lt "$OBS_TIMEOUT" ]; do
			sleep 0.05
		done
		if kill -0 "$pid" 2>/dev/null; then
			kill -KILL "$pid" 2>/dev/null
			bad="$bad$name:hung,"
		fi
		wait "$pid" 2>/dev/null
		rc=$?
		# Dying of the signal it was sent is a clean stop for these.
		case "$name:$rc" in
		*:0 | perf*:130 | kvm_stat*:143 | *:137) ;;
		*) bad="$bad$name:exit$rc," ;;
		esac
	done
	obs_pids=() obs_names=()
	obs_status=${bad:-ok}
}

# --- timed runs
# run_timed: run WORKLOAD once; sets run_secs and run_rc.  Its output goes
# to $WORK/workload.out (kept for the last run), errors to OUT/workload.err
# once the run is timed: OUT is a 9p share without a page cache, and
# opening it inside the timed run made both vCPUs wait for the host, which
# under -icount sleep=off lets guest time jump from timer to timer by as
# much as the host is slow (a 2.45 s run took 10.4 s, the rest all idle).
run_secs= run_rc=
run_timed() {
	local t0
	t0=$EPOCHREALTIME
	"${WORKLOAD[@]}" >"$WORK/workload.out" 2>"$WORK/workload.err" </dev/null
	run_rc=$?
	run_secs=$(since "$t0")
	cat "$WORK/workload.err" >>"$OUT/workload.err"
}

# blocks CONFIG...: BENCH_PAIRS+1 blocks; each runs every config once (its
# observer attached around one timed run), in an order rotated by one per
# block so no config always follows the same one.  Block 0 is the untimed
# warm-up.  A config whose observer fails to attach is dropped (and said
# so).  Appends to $OUT/runs.tsv: block pos config seconds rc observer, and
# cycle: the seconds from starting the observer to its end (what the
# config costs the harness).
blocks() {
	local configs=("$@") n=$# b i cfg line t0
	declare -A dropped=()
	[ -s "$OUT/runs.tsv" ] || printf 'block\tpos\tconfig\tseconds\trc\tobserver\tcycle\n' >"$OUT/runs.tsv"
	for b in $(seq 0 "$BENCH_PAIRS"); do
		line="block $b/$BENCH_PAIRS$([ "$b" -eq 0 ] && echo ' (warm-up)'):"
		for i in $(seq 0 $((n - 1))); do
			cfg=${configs[$(((i + b) % n))]}
			[ -z "${dropped[$cfg]:-}" ] || continue
			t0=$EPOCHREALTIME
			if ! obs_start "$cfg"; then
				dropped[$cfg]=1
				printf '%s\t%s\t%s\t\t\tattach-failed\t\n' "$b" "$i" "$cfg" >>"$OUT/runs.tsv"
				log "dropping $cfg: its observer did not attach"
				continue
			fi
			run_timed
			obs_stop
			printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$b" "$i" "$cfg" "$run_secs" "$run_rc" \
				"$obs_status" "$(since "$t0")" >>"$OUT/runs.tsv"
			_keep_observer_output "$cfg" "$b"
			line="$line $cfg ${run_secs%???}"
			[ "$run_rc" -eq 0 ] || line="$line(exit $run_rc)"
			[ "$obs_status" = ok ] || line="$line($obs_status)"
		done
		log "$line"
	done
}

# The tools' own output is evidence (lost events, what they saw): keep it
# per run; the anchors' is bulk, keep the last.
_keep_observer_output() {
	local part
	mkdir -p "$OUT/observers"
	for part in ${1//+/ }; do
		case "$part" in
		tdx-* | hvflush-top)
			cp "$WORK/obs-$part.out" "$OUT/observers/$part-$2.json" 2>/dev/null ;;
		off) ;;
		*)
			cp "$WORK/obs-$part.out" "$OUT/observers/$part.last" 2>/dev/null || true ;;
		esac
		cp "$WORK/obs-$part.err" "$OUT/observers/$part.err" 2>/dev/null || true
	done
	rm -f "$WORK/perf.data"
}

# --- what the runs cost in BPF programs, and how many events they see
# bpf_cost NAME RUNS CONFIG...: with kernel.bpf_stats_enabled=1, start each
# CONFIG (snapshotting the program list after each, so report.pl knows
# whose programs are whose), run WORKLOAD RUNS times, snapshot run_cnt and
# run_time_ns, stop.  Files in OUT/bpf-NAME/.
bpf_cost() {
	local name=$1 runs=$2 dir=$OUT/bpf-$1 cfg k=0; shift 2
	mkdir -p "$dir"
	sysctl -qw kernel.bpf_stats_enabled=1 || { log "cannot enable kernel.bpf_stats_enabled"; return 1; }
	bpftool -j prog show >"$dir/progs-0-none.json"
	local pids=() names=()
	for cfg in "$@"; do
		k=$((k + 1))
		if ! obs_start "$cfg"; then
			log "bpf_cost $name: $cfg did not attach"
			continue
		fi
		pids+=("${obs_pids[@]}") names+=("${obs_names[@]}")
		bpftool -j prog show >"$dir/progs-$k-$cfg.json"
		[ "$cfg" != empty ] || cp "$WORK/obs-empty.out" "$dir/empty-ids.txt"
	done
	obs_pids=("${pids[@]}") obs_names=("${names[@]}")
	# Which event each program is on: raw_tp links name it, and so does
	# the perf event of a tracepoint program (bpftrace, syscalls).
	bpftool -j link show >"$dir/links.json" 2>/dev/null
	bpftool -j perf list >"$dir/perf.json" 2>/dev/null
	bpftool -j prog show >"$dir/before.json"
	printf 'run\tseconds\trc\n' >"$dir/runs.tsv"
	for k in $(seq 1 "$runs"); do
		run_timed
		printf '%s\t%s\t%s\n' "$k" "$run_secs" "$run_rc" >>"$dir/runs.tsv"
		# Per run too: a stall inside one run (an interrupt's softirqs, a
		# spin on a lock whose holder TCG has not scheduled) must not
		# become every run's cost (lab/bench/README.md).
		bpftool -j prog show >"$dir/after-$k.json"
	done
	bpftool -j prog show >"$dir/after.json"
	# The tools' globals (e.g. tdx-trace's count of outstanding MapGPA
	# requests, which decides whether kvm_entry does a lookup).
	local id
	for id in $(bpftool map show | sed -n 's/^\([0-9]*\): .* name [^ ]*\.bss .*/\1/p'); do
		bpftool -j map dump id "$id" >"$dir/bss-$id.json" 2>/dev/null
	done
	obs_stop
	echo "$obs_status" >"$dir/observers.txt"
	sysctl -qw kernel.bpf_stats_enabled=0
	for cfg in "$@"; do
		cp "$WORK/obs-$cfg.out" "$dir/obs-$cfg.out" 2>/dev/null || true
	done
	log "bpf_cost $name: $runs runs with $* and bpf_stats: $(cut -f2 "$dir/runs.tsv" | tail -n +2 | tr '\n' ' ')"
}

# event_counts NAME: one run of WORKLOAD under perf stat counting every kvm:
# and kvmmmu: event, and SAME_EVENTS (the syscalls ones are not in those
# groups), system wide.  perf's CSV in OUT/events-NAME.csv, the run's time
# in its "# seconds" line.
event_counts() {
	local file=$OUT/events-$1.csv e extra=() t0
	for e in $SAME_EVENTS; do
		case "$e" in kvm:* | kvmmmu:*) ;; *) extra+=(-e "$e") ;; esac
	done
	# perf writes to tmpfs, for the reason run_timed says.
	t0=$EPOCHREALTIME
	perf stat -a -x, -o "$WORK/events.csv" -e 'kvm:*' -e 'kvmmmu:*' "${extra[@]}" -- \
		"${WORKLOAD[@]}" >/dev/null 2>"$WORK/workload.err" </dev/null
	{ echo "# seconds $(since "$t0")"; cat "$WORK/events.csv"; } >"$file"
	cat "$WORK/workload.err" >>"$OUT/workload.err"
}
