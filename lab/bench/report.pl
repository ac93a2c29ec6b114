#!/usr/bin/perl
# The report of `make bench`: reads the raw data lab/bench.sh collected in
# DIR (one subdirectory per lab boot, see lab/bench/guest.sh) and writes
# DIR/results.json (every figure, machine-readable) and DIR/summary.txt (a
# table per section: ratio, interval, n, outliers, targets), which it also
# prints.  Sections without data are left out; a failed boot is said so.
#
# usage: perl lab/bench/report.pl DIR
#
# Ratios are with / without (1.05 = 5% slower).  Intervals: 95% where the
# sample allows, otherwise the widest available, always with the coverage
# they really have (lab/bench/Stats.pm).  A verdict against a target is
# "yes" when the whole interval meets it, "no" when none of it does, and
# "open" when the interval straddles it: the lab could not tell.
use strict;
use warnings;
use FindBin;
use lib $FindBin::Bin;
use Stats qw(median median_ci paired ratio_of_medians spikes);
use JSON::PP;
use List::Util qw(sum max min first);

my $dir = shift;
if (!defined $dir || @ARGV || !-d $dir) {
	print STDERR "usage: perl lab/bench/report.pl DIR (a lab/bench.sh results directory)\n";
	exit 2;
}
my $repo = "$FindBin::Bin/../..";

# What the foundation issue measured on the unpatched kernel, for reference.
my %EARLIER = ('perf-stat' => 1.08, 'perf-record' => 1.12, kvm_stat => 1.19, bpftrace => 1.19);
my %LABEL = (
	off => 'nothing attached',
	'perf-stat' => 'perf stat -a, all kvm:/kvmmmu:',
	'perf-record' => 'perf record -a, all kvm:/kvmmmu:',
	kvm_stat => 'kvm_stat -t -l, all kvm:',
	bpftrace => 'bpftrace count(), all kvm:/kvmmmu:',
	'tdx-conv' => 'tdx-trace conversions -s',
	'tdx-roles' => 'tdx-trace roles',
	'tdx-conv+tdx-roles' => 'tdx-trace conversions -s + roles',
	'tdx-conv-mapgpa' => 'tdx-trace conversions -s --mapgpa',
	'tdx-conv-mapgpa+tdx-roles' => 'tdx-trace conversions -s --mapgpa + roles',
	'hvflush-top' => 'hvflush-top -j',
	empty => 'empty programs, same events',
	'perf-record-same' => 'perf record -a, same events',
	'kvm_stat-same' => 'kvm_stat -t -l -f, same kvm: events',
	'bpftrace-same' => 'bpftrace count(), same events',
);

my (%json, @out);
$json{meta} = read_kv("$dir/meta.txt");

# --- reading
sub slurp {
	my ($f) = @_;
	open(my $fh, '<', $f) or return undef;
	local $/;
	return scalar <$fh>;
}

sub read_kv {
	my %h;
	for (split /\n/, slurp($_[0]) // '') {
		$h{$1} = $2 if /^([\w.-]+)=(.*)$/;
	}
	return \%h;
}

sub read_tsv {
	my @lines = grep { length } split /\n/, slurp($_[0]) // '';
	return [] unless @lines;
	my @h = split /\t/, shift @lines, -1;
	return [ map { my @f = split /\t/, $_, -1; my %r; @r{@h} = @f; \%r } @lines ];
}

sub read_json {
	my $t = slurp($_[0]);
	return undef unless defined $t && length $t;
	return eval { JSON::PP->new->decode($t) };
}

# JSON lines, skipping anything else (a tool's stray stderr line).
sub read_jsonl {
	my $t = slurp($_[0]) // '';
	return grep { defined } map { /^\{/ ? eval { JSON::PP->new->decode($_) } : undef } split /\n/, $t;
}

# --- formatting
sub pct { defined $_[0] ? sprintf('%+.1f%%', ($_[0] - 1) * 100) : '-' }
sub num { defined $_[0] ? sprintf($_[1] // '%.3f', $_[0]) : '-' }
sub ci_str {
	my ($s) = @_;
	return '-' unless defined $s->{lo};
	return sprintf('[%s, %s] %.0f%%', pct($s->{lo}), pct($s->{hi}), 100 * $s->{coverage});
}
sub ns { defined $_[0] ? ($_[0] >= 10000 ? sprintf('%.0f', $_[0]) : sprintf('%.0f', $_[0])) : '-' }

sub table {
	my ($title, $head, @rows) = @_;
	my @w = map { length } @$head;
	for my $r (@rows) {
		$w[$_] = max($w[$_] // 0, length($r->[$_] // '')) for 0 .. $#$r;
	}
	my $fmt = sub {
		my ($r) = @_;
		return join('  ', map { sprintf($_ ? "%*s" : "%-*s", $w[$_], $r->[$_] // '') } 0 .. $#w) =~ s/\s+$//r;
	};
	push @out, $title, $fmt->($head), join('  ', map { '-' x $_ } @w);
	push @out, $fmt->($_) for @rows;
	push @out, '';
}

sub note { push @out, map { "  $_" } @_; push @out, '' }

# "yes" if the interval is entirely on the good side of the target.
sub verdict_le {
	my ($s, $target) = @_;
	return '-' unless defined $s->{lo};
	return $s->{hi} <= $target ? 'yes' : $s->{lo} > $target ? 'no' : 'open';
}

# --- wall-time pairs from blocks (guest-lib.sh blocks())
# {config => {block => seconds}} of the valid timed runs, and why others
# were left out.
sub block_times {
	my ($rows) = @_;
	my (%t, @dropped);
	for my $r (@$rows) {
		next if $r->{block} eq '0';	# warm-up
		if (($r->{observer} // '') eq 'attach-failed') {
			push @dropped, "$r->{config}: observer did not attach (block $r->{block})";
		} elsif (($r->{rc} // '') ne '0') {
			push @dropped, "$r->{config} block $r->{block}: workload exit $r->{rc}";
		} elsif (($r->{observer} // '') ne 'ok') {
			push @dropped, "$r->{config} block $r->{block}: observer $r->{observer}";
		} else {
			$t{ $r->{config} }{ $r->{block} } = $r->{seconds};
		}
	}
	return (\%t, \@dropped);
}

# Runs of A and B in the same blocks.
sub pair_up {
	my ($t, $x, $y) = @_;
	my @blocks = sort { $a <=> $b } grep { exists $t->{$y}{$_} } keys %{ $t->{$x} // {} };
	return (\@blocks, [ map { $t->{$x}{$_} } @blocks ], [ map { $t->{$y}{$_} } @blocks ]);
}

# CONFIG against BASE (default: nothing attached), block by block.
sub compare {
	my ($t, $cfg, $base, $events) = @_;
	$base //= 'off';
	my ($blocks, $on, $off) = pair_up($t, $cfg, $base);
	my $p = paired($on, $off);
	my %s = (
		config => $cfg, base => $base, n => $p->{n},
		ratio => $p->{median}, lo => $p->{lo}, hi => $p->{hi}, coverage => $p->{coverage},
		outliers => [ map { { block => $blocks->[$_->{pair}], ratio => $_->{ratio} } } @{ $p->{outliers} } ],
		median_s => median($on), base_median_s => median($off),
		spikes => [ map { $blocks->[$_] } spikes($on) ],
	);
	if ($events && $p->{n}) {
		my @d = map { $on->[$_] - $off->[$_] } 0 .. $#$on;
		$s{wall_ns_per_event} = median(\@d) * 1e9 / $events;
		$s{events_per_run} = $events;
	}
	return \%s;
}

sub outliers_str {
	my ($s) = @_;
	my @o = map { sprintf('b%d %s', $_->{block}, pct($_->{ratio})) } @{ $s->{outliers} // [] };
	return @o ? join(' ', @o) : 'none';
}

# --- event counts: perf stat -x, CSV of one run (guest-lib.sh event_counts)
sub event_counts {
	my ($f) = @_;
	my (%c, $secs);
	for (split /\n/, slurp($f) // '') {
		$secs = $1 if /^# seconds ([\d.]+)/;
		my @f = split /,/;
		next unless @f >= 3 && $f[0] =~ /^\d+$/;
		$c{ $f[2] } = $f[0];
	}
	return (\%c, $secs);
}

# --- BPF run time (guest-lib.sh bpf_cost)
# name => event for the tools' programs, from their SEC() annotations.
# bpftool shows the full name (from BTF) where it can, else the kernel's
# 15 characters: both are keys.
sub source_events {
	my %m;
	for my $f (glob("$repo/bpf/*.bpf.c")) {
		my $src = slurp($f) // next;
		while ($src =~ /SEC\("([^"]+)"\)\s*int\s+(?:BPF_PROG\(\s*)?(\w+)/g) {
			my ($sec, $name) = ($1, $2);
			my $event = $sec =~ m{/([^/]+)$} ? $1 : $sec;
			$event .= " ($1)" if $sec =~ /^(fentry|fexit)\//;
			$m{$name} = $m{ substr($name, 0, 15) } = $event;
		}
	}
	return \%m;
}

sub bpf_cost {
	my ($bdir, $same_events) = @_;
	return undef unless -f "$bdir/after.json";
	my %owner;
	my %seen = map { $_->{id} => 1 } @{ read_json("$bdir/progs-0-none.json") // [] };
	for my $f (sort { ($a =~ /progs-(\d+)/)[0] <=> ($b =~ /progs-(\d+)/)[0] } glob("$bdir/progs-*.json")) {
		my ($cfg) = $f =~ /progs-\d+-(.+)\.json$/;
		next if $cfg eq 'none';
		for my $p (@{ read_json($f) // [] }) {
			next if $seen{ $p->{id} }++;
			$owner{ $p->{id} } = $cfg;
		}
	}
	my %event;
	for (split /\n/, slurp("$bdir/empty-ids.txt") // '') {
		$event{$1} = $2 if /^(\d+) (\S+)$/;
	}
	for my $l (@{ read_json("$bdir/links.json") // [] }) {
		$event{ $l->{prog_id} } //= $l->{tp_name} if $l->{tp_name};
	}
	for my $p (@{ read_json("$bdir/perf.json") // [] }) {
		$event{ $p->{prog_id} } //= $p->{tracepoint} if $p->{tracepoint};
	}
	my $src = source_events();
	my @names = map { (split /:/)[1] } @$same_events;
	my $runs = grep { $_->{rc} eq '0' } @{ read_tsv("$bdir/runs.tsv") };
	my %before = map { $_->{id} => $_ } @{ read_json("$bdir/before.json") // [] };
	my @progs;
	for my $p (@{ read_json("$bdir/after.json") // [] }) {
		my $o = $owner{ $p->{id} } // next;
		my $b = $before{ $p->{id} } // {};
		my $cnt = ($p->{run_cnt} // 0) - ($b->{run_cnt} // 0);
		my $ns = ($p->{run_time_ns} // 0) - ($b->{run_time_ns} // 0);
		my $ev = $event{ $p->{id} } // $src->{ $p->{name} };
		# bpftrace names a program after its probe, cut to 15 characters.
		if (!defined $ev) {
			my @m = grep { substr($_, 0, length $p->{name}) eq $p->{name} } @names;
			$ev = join('|', @m) if @m;
		}
		push @progs, {
			id => $p->{id}, name => $p->{name}, owner => $o, event => $ev // '?',
			run_cnt => $cnt, run_time_ns => $ns,
			ns_per_run => $cnt ? $ns / $cnt : undef,
		};
	}
	return { runs => $runs, programs => \@progs, observers => (slurp("$bdir/observers.txt") // '') =~ s/\s+$//r };
}

# Per-event table of TOOL against the empty program and bpftrace, and each
# owner's BPF time per workload run.
sub cost_tables {
	my ($sec, $cost, $tool, $same_events, $off_s) = @_;
	my $R = $cost->{runs} || return;
	my (%by, %total);
	for my $p (@{ $cost->{programs} }) {
		my $o = $p->{owner};
		$o = 'tool' if $o eq $tool || ($tool =~ /\+/ && grep { $_ eq $o } split /\+/, $tool);
		$by{ $p->{event} }{$o}{ns} += $p->{run_time_ns};
		$by{ $p->{event} }{$o}{cnt} = max($by{ $p->{event} }{$o}{cnt} // 0, $p->{run_cnt});
		$total{$o} += $p->{run_time_ns};
	}
	my (@rows, @json);
	my @events = ((map { (split /:/)[1] } @$same_events),
		      sort grep { my $e = $_; !grep { (split /:/)[1] eq $e } @$same_events } keys %by);
	for my $e (@events) {
		my $b = $by{$e} // next;
		next unless $b->{tool};
		my $per = sub { my $x = $b->{ $_[0] }; $x && $x->{cnt} ? $x->{ns} / $x->{cnt} : undef };
		my ($t, $em, $bt) = ($per->('tool'), $per->('empty'), $per->('bpftrace-same'));
		my $cnt = ($b->{empty} // $b->{tool})->{cnt} / $R;
		my $x = defined $em && $em > 0 && defined $t ? $t / $em : undef;
		push @json, { event => $e, events_per_run => $cnt, tool_ns => $t, empty_ns => $em,
			      bpftrace_ns => $bt, x_empty => $x, x_bpftrace => (defined $bt && $bt > 0 && defined $t ? $t / $bt : undef),
			      target_x_empty => 2 };
		push @rows, [ $e, sprintf('%.0f', $cnt), ns($t), ns($em), defined $x ? sprintf('%.1fx', $x) : '-',
			      defined $x ? ($x <= 2 ? 'yes' : 'no') : '-', ns($bt),
			      defined $bt && $bt > 0 && defined $t ? sprintf('%.2fx', $t / $bt) : '-' ];
	}
	$sec->{per_event} = \@json;
	table("  per-event cost with kernel.bpf_stats_enabled=1 ($R runs): ns per program run",
	      [ 'event', 'events/run', $tool, 'empty', 'x empty', '<=2x', 'bpftrace', 'vs bpftrace' ], @rows);

	my @prow;
	for my $o ('tool', 'empty', 'bpftrace-same') {
		next unless defined $total{$o};
		my $per_run = $total{$o} / $R;
		my $events = sum(0, map { ($by{$_}{$o} // {})->{cnt} // 0 } keys %by) / $R;
		my $pred = $off_s ? $per_run / ($off_s * 1e9) : undef;
		$sec->{predicted}{ $o eq 'tool' ? $tool : $o } = { bpf_ns_per_run => $per_run, events_per_run => $events,
			events_per_s => $off_s ? $events / $off_s : undef, slowdown => $pred };
		push @prow, [ $o eq 'tool' ? $tool : $o, sprintf('%.0f', $events), $off_s ? sprintf('%.0f', $events / $off_s) : '-',
			      sprintf('%.2f', $per_run / 1e6), defined $pred ? sprintf('%+.2f%%', 100 * $pred) : '-' ];
	}
	table("  predicted slowdown = events/s x ns/event (BPF time per run / run time without tracing, $off_s s)",
	      [ 'programs', 'events/run', 'events/s', 'BPF ms/run', 'predicted' ], @prow);
}

# What single operations cost on one event (lab/bench/floor-run.c): the
# median over rounds of each program's ns per run, and its ratio to the
# empty program's.
sub floor_table {
	my ($sec, $rows) = @_;
	my (%ns, @order);
	for my $r (@$rows) {
		next unless $r->{run_cnt};
		push @order, $r->{program} unless $ns{ $r->{program} };
		push @{ $ns{ $r->{program} } }, $r->{run_time_ns} / $r->{run_cnt};
	}
	my $empty = $ns{floor_empty} ? median($ns{floor_empty}) : undef;
	my (@out_rows, @json);
	for my $p (@order) {
		my $m = median($ns{$p});
		my $x = $empty ? $m / $empty : undef;
		push @json, { program => $p, ns_per_run => $m, x_empty => $x, rounds => scalar @{ $ns{$p} } };
		push @out_rows, [ $p =~ s/^floor_//r, ns($m), defined $x ? sprintf('%.1fx', $x) : '-',
				  join(' ', map { ns($_) } @{ $ns{$p} }) ];
	}
	$sec->{floor} = \@json;
	table("  what one operation costs on kvm_hv_tlb_flush_enqueue, each program alone (the floor under '<= 2x empty')",
	      [ 'program does', 'ns/run', 'x empty', 'per round' ], @out_rows);
}

# --- sections

sub boot_status {
	my ($sub) = @_;
	my $s = read_kv("$dir/$sub/summary.txt");
	return $s->{status} ? $s : undef;
}

sub section_header {
	my ($title, $sub) = @_;
	my $info = read_kv("$dir/$sub/info.txt");
	my $boot = boot_status($sub) // {};
	push @out, '=' x 78, $title, '=' x 78;
	push @out, sprintf('kernel %s (%s), workload: %s, %s pairs (blocks of alternating runs)',
			   $boot->{kernel} // '?', $info->{release} // '?', $info->{workload} // '?', $info->{pairs} // '?');
	if (($boot->{status} // '') ne 'ok') {
		push @out, "THE BOOT FAILED: " . ($boot->{status} // 'no summary') . ' ' . ($boot->{reason} // ''), '';
	}
	push @out, '';
	return ($info, $boot);
}

# Events the tool's kernel side dropped, over the timed runs: the last
# record of each run's output (tdx-trace: "lost" of its final record;
# hvflush-top: "totals"."lost" of its last snapshot).
sub tool_lost {
	my ($sub, $tool) = @_;
	my ($lost, $runs) = (0, 0);
	for my $part (split /\+/, $tool) {
		for my $f (glob("$dir/$sub/observers/$part-*.json")) {
			next if $f =~ /-0\.json$/;	# warm-up
			my @recs = read_jsonl($f);
			my $last = $recs[-1] // next;
			my $l = $last->{lost};
			$l = $last->{totals}{lost} if !defined $l && $last->{totals};
			$l = $l->{total} if ref $l eq 'HASH';
			next unless defined $l;
			$lost += $l;
			$runs++;
		}
	}
	return { lost => $lost, runs => $runs };
}

# tdx-trace's kvm_entry program looks up the vCPU thread only while
# mapgpa_pending (outstanding MapGPA hypercalls) is non-zero: its value
# after the cost runs tells a leak (stays up) from concurrency.
sub pending_note {
	my ($sec, $bdir) = @_;
	# bpftool's "formatted" dump nests it: [{formatted: {value: {".bss": [{...}]}}}]
	my $find;
	$find = sub {
		my ($v) = @_;
		return $v->{mapgpa_pending} if ref $v eq 'HASH' && exists $v->{mapgpa_pending};
		for my $c (ref $v eq 'HASH' ? values %$v : ref $v eq 'ARRAY' ? @$v : ()) {
			my $r = $find->($c);
			return $r if defined $r;
		}
		return undef;
	};
	for my $f (glob("$bdir/bss-*.json")) {
		my $n = $find->(read_json($f) // next);
		next unless defined $n;
		$sec->{mapgpa_pending_after} = $n;
		note("tdx-trace's mapgpa_pending after the cost runs: $n (non-zero with no VM running",
		     "would mean every kvm_entry pays a hash lookup for nothing)");
		last;
	}
	undef $find;
}

sub lost_note {
	my ($sec, $sub, $tool) = @_;
	my $l = tool_lost($sub, $tool);
	$sec->{lost_events} = $l;
	note("$tool reported $l->{lost} lost events over $l->{runs} runs (ring buffer or map full)") if $l->{runs};
}

sub dropped_note {
	my ($dropped) = @_;
	note("left out: " . join('; ', @$dropped)) if @$dropped;
}

# Series boot: issue 2 anchors and issue 4 series mode.
sub report_series {
	my $sub = 'series';
	return unless -f "$dir/$sub/runs.tsv";
	my ($info) = section_header('1. Anchors (issue 2) and 2a. tdx-trace, series mode (issue 4)', $sub);
	my ($t, $dropped) = block_times(read_tsv("$dir/$sub/runs.tsv"));
	my ($counts) = event_counts("$dir/$sub/events-workload.csv");
	my $all = sum(0, map { $counts->{$_} } grep { /^kvm(mmu)?:/ } keys %$counts);
	my @same = split ' ', $info->{same_events} // '';
	my $nsame = sum(0, map { $counts->{$_} // 0 } @same);
	my $tool = $info->{tool} // 'tdx-conv+tdx-roles';
	my $tool_mapgpa = $info->{tool_mapgpa};
	my @mapgpa_events = split ' ', $info->{mapgpa_events} // '';
	my %sec = (events_per_run_all => $all, events_per_run_same => $nsame, configs => {});
	my $off = median([ values %{ $t->{off} // {} } ]);
	$sec{off_median_s} = $off;

	my @rows;
	for my $c (qw(perf-stat perf-record kvm_stat bpftrace)) {
		next unless $t->{$c};
		my $s = compare($t, $c, 'off', $all);
		$sec{configs}{$c} = $s;
		push @rows, [ $LABEL{$c}, pct($s->{ratio}), ci_str($s), $s->{n}, outliers_str($s),
			      ns($s->{wall_ns_per_event}), pct($EARLIER{$c}) ];
	}
	table("Anchors: private_mem_conversions_test -n 2 with / without ($all kvm:+kvmmmu: events per run, " .
	      num($off, '%.2f') . " s without)",
	      [ 'observer', 'slowdown', '95% interval, coverage', 'n', 'outlier pairs', 'wall ns/event', 'earlier' ], @rows);

	@rows = ();
	for my $c ($tool, qw(perf-record-same kvm_stat-same bpftrace-same), $tool_mapgpa // ()) {
		next unless $t->{$c};
		my $s = compare($t, $c, 'off', $nsame);
		$sec{configs}{$c} = $s;
		my $target = $c eq $tool ? '<= +2%: ' . verdict_le($s, 1.02) : $c eq ($tool_mapgpa // '') ? 'opt-in' : '';
		push @rows, [ $LABEL{$c} // $c, pct($s->{ratio}), ci_str($s), $s->{n}, outliers_str($s),
			      ns($s->{wall_ns_per_event}), $target ];
	}
	table("tdx-trace series mode and the anchors on its events ($nsame events per run: " . join(' ', map { (split /:/)[1] } @same) . ")",
	      [ 'observer', 'slowdown', '95% interval, coverage', 'n', 'outlier pairs', 'wall ns/event', 'target' ], @rows);

	if ($t->{$tool}) {
		@rows = ();
		for my $c (qw(perf-stat perf-record kvm_stat bpftrace perf-record-same kvm_stat-same bpftrace-same)) {
			next unless $t->{$c};
			my $s = compare($t, $tool, $c);
			push @{ $sec{versus} }, $s;
			push @rows, [ $LABEL{$c}, num($s->{ratio}), sprintf('[%s, %s] %.0f%%', num($s->{lo}), num($s->{hi}), 100 * ($s->{coverage} // 0)),
				      $s->{n}, $s->{hi} < 1 ? 'yes' : $s->{lo} > 1 ? 'no' : 'open' ];
		}
		table("tdx-trace (conversions -s + roles) run time / each anchor's, same blocks (target: below every anchor)",
		      [ 'anchor', 'ratio', '95% interval, coverage', 'n', 'below' ], @rows);
	}
	lost_note(\%sec, $sub, $tool);
	my $cost = bpf_cost("$dir/$sub/bpf-tools", \@same);
	if ($cost) {
		$sec{bpf_cost} = $cost;
		cost_tables(\%sec, $cost, $tool, \@same, $off);
	}
	my $mcost = $tool_mapgpa && bpf_cost("$dir/$sub/bpf-tools-mapgpa", [ @same, @mapgpa_events ]);
	if ($mcost) {
		my %m;
		push @out, '', "  With --mapgpa (opt-in): the same programs, and MapGPA latency's on every VM entry";
		cost_tables(\%m, $mcost, $tool_mapgpa, [ @same, @mapgpa_events ], $off);
		pending_note(\%m, "$dir/$sub/bpf-tools-mapgpa");
		$sec{mapgpa_opt_in} = \%m;
	}
	dropped_note($dropped);
	$json{sections}{series} = \%sec;
}

# A kernel without the series: tdx-trace fallback mode against the anchors
# on its events.
sub report_fallback {
	my ($sub, $title, @notes) = @_;
	return unless -f "$dir/$sub/runs.tsv";
	my ($info) = section_header($title, $sub);
	note(@notes) if @notes;
	my ($t, $dropped) = block_times(read_tsv("$dir/$sub/runs.tsv"));
	my ($counts) = event_counts("$dir/$sub/events-workload.csv");
	my @same = split ' ', $info->{same_events} // '';
	my $nsame = sum(0, map { $counts->{$_} // 0 } @same);
	my $tool = $info->{tool} // 'tdx-conv';
	my $off = median([ values %{ $t->{off} // {} } ]);
	my %sec = (events_per_run_same => $nsame, off_median_s => $off,
		   events => { map { $_ => $counts->{$_} } @same });
	my @rows;
	for my $c ($tool, qw(perf-record-same kvm_stat-same bpftrace-same)) {
		next unless $t->{$c};
		my $s = compare($t, $c, 'off', $nsame);
		$sec{configs}{$c} = $s;
		push @rows, [ $LABEL{$c} // $c, pct($s->{ratio}), ci_str($s), $s->{n}, outliers_str($s), ns($s->{wall_ns_per_event}) ];
	}
	table("Slowdown of " . ($info->{workload} // '?') . " (" . num($off, '%.2f') . " s without; $nsame events per run: " .
	      join(', ', map { my $e = (split /:/)[1]; "$e " . ($counts->{$_} // '?') } @same) . ')',
	      [ 'observer', 'slowdown', '95% interval, coverage', 'n', 'outlier pairs', 'wall ns/event' ], @rows);
	if ($t->{$tool}) {
		@rows = ();
		for my $c (qw(perf-record-same kvm_stat-same bpftrace-same)) {
			next unless $t->{$c};
			my $s = compare($t, $tool, $c);
			push @{ $sec{versus} }, $s;
			push @rows, [ $LABEL{$c}, num($s->{ratio}), sprintf('[%s, %s] %.0f%%', num($s->{lo}), num($s->{hi}), 100 * ($s->{coverage} // 0)),
				      $s->{n}, $s->{hi} < 1 ? 'yes' : $s->{lo} > 1 ? 'no' : 'open' ];
		}
		table("tdx-trace fallback run time / each anchor's, same blocks (target: below every anchor)",
		      [ 'anchor', 'ratio', '95% interval, coverage', 'n', 'below' ], @rows);
	}
	lost_note(\%sec, $sub, $tool);
	my $cost = bpf_cost("$dir/$sub/bpf-tools", \@same);
	if ($cost) {
		$sec{bpf_cost} = $cost;
		cost_tables(\%sec, $cost, $tool, \@same, $off);
	}
	dropped_note($dropped);
	$json{sections}{$sub} = \%sec;
}

sub report_hvflush {
	my $sub = 'hvflush';
	return unless -f "$dir/$sub/runs.tsv";
	my ($info) = section_header('3. hvflush-top (issue 5): hyperv_tlb_flush, patched kernel', $sub);
	my ($t, $dropped) = block_times(read_tsv("$dir/$sub/runs.tsv"));
	my ($counts) = event_counts("$dir/$sub/events-workload.csv");
	my @same = split ' ', $info->{same_events} // '';
	my $nsame = sum(0, map { $counts->{$_} // 0 } @same);
	my $off = median([ values %{ $t->{off} // {} } ]);
	my %sec = (events_per_run_same => $nsame, off_median_s => $off,
		   events => { map { $_ => $counts->{$_} } @same });
	my @rows;
	for my $c (qw(hvflush-top kvm_stat-same bpftrace-same)) {
		next unless $t->{$c};
		my $s = compare($t, $c, 'off', $nsame);
		$sec{configs}{$c} = $s;
		push @rows, [ $LABEL{$c}, pct($s->{ratio}), ci_str($s), $s->{n}, outliers_str($s),
			      ns($s->{wall_ns_per_event}), join(' ', map { "b$_" } @{ $s->{spikes} }) || 'none' ];
	}
	table("Wall time of hyperv_tlb_flush with / without (" . num($off, '%.2f') . " s without; $nsame events per run: " .
	      join(', ', map { my $e = (split /:/)[1]; "$e " . ($counts->{$_} // '?') } @same) . ')',
	      [ 'observer', 'slowdown', '95% interval, coverage', 'n', 'outlier pairs', 'wall ns/event', 'spike runs' ], @rows);
	if ($t->{'hvflush-top'}) {
		@rows = ();
		for my $c (qw(kvm_stat-same bpftrace-same)) {
			next unless $t->{$c};
			my $s = compare($t, 'hvflush-top', $c);
			push @{ $sec{versus} }, $s;
			push @rows, [ $LABEL{$c}, num($s->{ratio}), sprintf('[%s, %s] %.0f%%', num($s->{lo}), num($s->{hi}), 100 * ($s->{coverage} // 0)),
				      $s->{n}, $s->{hi} < 1 ? 'yes' : $s->{lo} > 1 ? 'no' : 'open' ];
		}
		table("hvflush-top run time / kvm_stat's and bpftrace's, same blocks (target: below both)",
		      [ 'other', 'ratio', '95% interval, coverage', 'n', 'below' ], @rows);
	}
	note("hyperv_tlb_flush's run time varies too much for wall-time ratios below ~15%: the predicted",
	     "slowdown (events/s x cost) below is the figure to judge by; the wall ratios are for reference.");
	lost_note(\%sec, $sub, 'hvflush-top');
	my $cost = bpf_cost("$dir/$sub/bpf-tools", \@same);
	if ($cost) {
		$sec{bpf_cost} = $cost;
		cost_tables(\%sec, $cost, 'hvflush-top', \@same, $off);
	}
	if (-s "$dir/$sub/floor.tsv") {
		floor_table(\%sec, read_tsv("$dir/$sub/floor.tsv"));
	}
	dropped_note($dropped);
	$json{sections}{hvflush} = \%sec;
}

# Issue 3: per-boot medians of the patched and unpatched kernels.
sub report_disabled {
	my @boots = sort { ($a =~ /disabled-(\d+)/)[0] <=> ($b =~ /disabled-(\d+)/)[0] } glob("$dir/disabled-*");
	return unless @boots;
	push @out, '=' x 78, '4. Disabled cost of the series (issue 3): patched / unpatched kernel', '=' x 78;
	my (%med, @rows, @bj);
	for my $b (@boots) {
		my ($i, $k) = $b =~ /disabled-(\d+)-(\w+)$/ or next;
		my $boot = boot_status("disabled-$i-$k") // {};
		my @runs = map { $_->{seconds} } grep { $_->{rc} eq '0' } @{ read_tsv("$b/runs.tsv") };
		my $m = median(\@runs);
		push @{ $med{$k} }, $m if defined $m && ($boot->{status} // '') eq 'ok';
		push @bj, { boot => $i + 0, kernel => $k, release => $boot->{release}, status => $boot->{status},
			    runs => \@runs, median_s => $m };
		push @rows, [ $i, $k, $boot->{release} // '?', scalar @runs, num($m, '%.3f'),
			      @runs ? sprintf('%.3f-%.3f', min(@runs), max(@runs)) : '-', $boot->{status} // 'no boot' ];
	}
	push @out, 'private_mem_conversions_test -n 2: a warm-up and ' . ($json{meta}{runs} // '?') . ' timed runs per boot, kernels alternating (ABBA)', '';
	table('Per boot', [ 'boot', 'kernel', 'release', 'runs', 'median s', 'range', 'status' ], @rows);
	my %sec = (boots => \@bj);
	if ($med{patched} && $med{unpatched}) {
		my $r = ratio_of_medians($med{patched}, $med{unpatched});
		$sec{ratio} = $r;
		table('Patched / unpatched, from the per-boot medians',
		      [ 'boots', 'patched s', 'unpatched s', 'ratio', 'interval (Hodges-Lehmann), coverage' ],
		      [ sprintf('%d+%d', $r->{n_a}, $r->{n_b}), num($r->{median_a}), num($r->{median_b}), pct($r->{ratio}),
			sprintf('[%s, %s] %.0f%%', pct($r->{lo}), pct($r->{hi}), 100 * $r->{coverage}) ]);
		my $hi = ($r->{hi} - 1) * 100;
		my $lo = ($r->{lo} - 1) * 100;
		my $says = $r->{lo} > 1
			? sprintf('the series costs between %.1f%% and %.1f%% with its tracepoints disabled', $lo, $hi)
			: $r->{hi} < 1
			? sprintf('the patched kernel ran %.1f%% to %.1f%% faster: no disabled cost is visible, and a real one of that size would be boot-to-boot placement, not the series', -$hi, -$lo)
			: sprintf('a disabled cost above %.1f%% is ruled out; anything from %.1f%% to %.1f%% is consistent with the data', $hi, $lo, $hi);
		note("With " . ($r->{coverage} * 100 >= 94.5 ? 'about 95%' : sprintf('%.0f%%', 100 * $r->{coverage})) .
		     " confidence, $says.",
		     "Boot-to-boot medians move 1-3% on this lab, so per-boot medians (not runs) are the",
		     "samples; a disabled cost smaller than that spread is below what the lab can resolve.");
		$sec{statement} = $says;
	}
	$json{sections}{disabled} = \%sec;
}

# Issue 7: in-kernel vs userspace MapGPA.
sub report_mapgpa {
	my $sub = 'mapgpa';
	return unless -f "$dir/$sub/runs.tsv";
	my ($info) = section_header('5. In-kernel MapGPA (issue 7): KVM_CAP_X86_MAP_GPA_RANGE_IN_KERNEL vs userspace exit', $sub);
	my %by;
	my @dropped;
	for my $r (@{ read_tsv("$dir/$sub/runs.tsv") }) {
		next if $r->{block} eq '0';
		my $base = "$dir/$sub/mapgpa/$r->{pages}-$r->{mode}-$r->{block}";
		if ($r->{rc} ne '0' || $r->{observer} ne 'ok') {
			push @dropped, "$r->{pages} pages $r->{mode} block $r->{block}: exit $r->{rc}, tdx-trace $r->{observer}";
			next;
		}
		my %run = (block => $r->{block});
		if ((slurp("$base.out") // '') =~ /conversions (\d+) pages (\d+) seconds ([\d.]+) conversions_per_sec ([\d.]+)/) {
			@run{qw(conversions pages seconds cps)} = ($1, $2, $3, $4);
		}
		my ($final) = grep { ($_->{type} // '') eq 'final' } read_jsonl("$base.json");
		if ($final) {
			my ($m) = sort { $b->{count} <=> $a->{count} } @{ $final->{mapgpa} // [] };
			if ($m) {
				$run{hypercalls} = $m->{count};
				$run{userspace_exits} = $m->{userspace_exits};
				$run{lat_p50} = $m->{latency_ns}{p50};
				$run{lat_mean} = $m->{latency_sum_ns} / $m->{count} if $m->{latency_sum_ns} && $m->{count};
			}
			$run{lost} = $final->{lost}{total};
		}
		$by{ $r->{pages} }{ $r->{mode} }{ $r->{block} } = \%run;
	}
	my %sec;
	for my $pages (sort { $a <=> $b } keys %by) {
		my ($k, $u) = @{ $by{$pages} }{qw(kernel userspace)};
		my @blocks = sort { $a <=> $b } grep { $u->{$_} } keys %{ $k // {} };
		my %col = map { my $f = $_; $f => [ [ map { $k->{$_}{$f} } @blocks ], [ map { $u->{$_}{$f} } @blocks ] ] }
			  qw(cps lat_p50 lat_mean);
		my (@rows, %j);
		for my $f ([ cps => 'conversions/s' ], [ lat_mean => 'MapGPA latency, mean ns' ], [ lat_p50 => 'MapGPA latency, p50 ns' ]) {
			my ($kv, $uv) = @{ $col{ $f->[0] } };
			my $r = ratio_of_medians($kv, $uv);
			my $p = paired($kv, $uv);
			$j{ $f->[0] } = { %$r, paired_outliers => [ map { { block => $blocks[$_->{pair}], ratio => $_->{ratio} } } @{ $p->{outliers} } ] };
			push @rows, [ $f->[1], num($r->{median_a}, '%.0f'), num($r->{median_b}, '%.0f'), num($r->{ratio}, '%.3f'),
				      sprintf('[%s, %s] %.0f%%', num($r->{lo}), num($r->{hi}), 100 * ($r->{coverage} // 0)),
				      scalar(@blocks), join(' ', map { sprintf('b%d %.2f', $blocks[$_->{pair}], $_->{ratio}) } @{ $p->{outliers} }) || 'none' ];
		}
		my $exits_k = sum(0, map { $k->{$_}{userspace_exits} // 0 } @blocks);
		my $exits_u = sum(0, map { $u->{$_}{userspace_exits} // 0 } @blocks);
		my $hc_u = sum(0, map { $u->{$_}{hypercalls} // 0 } @blocks);
		my $lost = sum(0, map { ($k->{$_}{lost} // 0) + ($u->{$_}{lost} // 0) } @blocks);
		$j{userspace_exits} = { kernel => $exits_k, userspace => $exits_u, userspace_hypercalls => $hc_u };
		$j{lost_events} = $lost;
		$sec{$pages} = \%j;
		table("$pages-page conversions: in-kernel / userspace (ratio of medians; alternating runs, tdx-trace conversions -s -j attached)",
		      [ 'figure', 'in-kernel', 'userspace', 'ratio', 'interval (Hodges-Lehmann), coverage', 'pairs', 'outlier pairs' ], @rows);
		note(sprintf('userspace exits seen by tdx-trace: %d in-kernel (should be 0), %d of %d hypercalls with -u; lost events: %d',
			     $exits_k, $exits_u, $hc_u, $lost));
	}
	dropped_note(\@dropped);
	$json{sections}{mapgpa} = \%sec;
}

sub report_exporter {
	my $txt = slurp("$dir/exporter.txt") // return;
	push @out, '=' x 78, '6. kvmscope-exporter (lab/bench-exporter.sh, host)', '=' x 78;
	my @lines = grep { /\S/ } split /\n/, $txt;
	my (@rows, $head);
	for (@lines) {
		my @f = split ' ';
		if (/^vcpus\s/) { $head = 1; next }
		push @rows, { vcpus => $f[0], mode => $f[1], series => $f[2], p50_ms => $f[3], p99_ms => $f[4],
			      max_ms => $f[5], p99_vs_target => $f[6], rss_kib => $f[7], rss_vs_target => $f[8] }
			if $head && @f == 9 && $f[0] =~ /^\d+$/;
	}
	push @out, map { "  $_" } grep { !/^make/ } @lines;
	push @out, '  (exit ' . ((slurp("$dir/exporter.rc") // '?') =~ s/\s+//gr) . ')', '';
	$json{sections}{exporter} = { rows => \@rows, exit => (slurp("$dir/exporter.rc") // '') =~ s/\s+//gr };
}

my $m = $json{meta};
push @out, "kvmscope benchmarks, " . ($m->{date} // '?') . ", commit " . ($m->{commit} // '?'),
	   "lab: QEMU TCG (single thread), 2 vCPUs, nested SVM; host load " . ($m->{load_start} // '?') . ' at start, ' .
	   ($m->{load_end} // '?') . ' at the end',
	   'Ratios are with / without; intervals are distribution-free (order statistics; Hodges-Lehmann',
	   'for two groups) with the coverage they really have; "open" = the interval straddles the target.',
	   '';
report_series();
report_fallback('fallback-unpatched', '2b. tdx-trace, fallback mode (issue 4): unpatched kernel (same config, no series)',
		'The series workload in fallback mode: conversions seen through sys_enter/exit_ioctl and',
		'kvm_tdp_mmu_spte_changed.');
report_fallback('fallback-stock', "2c. tdx-trace, fallback mode (issue 4): Debian's stock kernel (KVM=m)",
		"The stock kernel has no CONFIG_KVM_SW_PROTECTED_VM, so private_mem_conversions_test skips",
		'there and no conversion can happen; this measures what fallback mode costs a workload of',
		'page faults (every kvm_entry, SPTE change and KVM_RUN ioctl goes through its programs).');
report_hvflush();
report_disabled();
report_mapgpa();
report_exporter();

open(my $fh, '>', "$dir/results.json") or die "$dir/results.json: $!";
print $fh JSON::PP->new->canonical->pretty->encode(\%json);
close $fh;
open($fh, '>', "$dir/summary.txt") or die "$dir/summary.txt: $!";
print $fh join("\n", @out), "\n";
close $fh;
print join("\n", @out), "\n";
