#!/usr/bin/perl
# The report of `make bench`: reads the raw data lab/bench.sh collected in
# DIR (one subdirectory per lab boot, see lab/bench/guest.sh) and writes
# DIR/results.json (every figure, machine-readable) and DIR/summary.txt (a
# table per section: ratio, interval, n, outliers, targets), which it also
# prints.  Sections without data are left out; a failed boot is said so.
#
# usage: perl lab/bench/report.pl DIR
#
# Time is what the guest measured: guest instructions where the boot ran
# under -icount (its summary.txt says the shift), wall time otherwise.  A
# section's subdirectory NAME.wall, if there is one, is the same section in
# a normal boot: reported after it, with a table of whether the two agree.
#
# Ratios are with / without (1.05 = 5% slower).  Intervals: 95% where the
# sample allows, otherwise the widest available, always with the coverage
# they really have (lab/bench/Stats.pm).  A verdict against a target is
# "yes" when the whole interval meets it, "no" when none of it does, and
# "open" when the interval straddles it: the lab could not tell.
#
# Each section of @SECTIONS computes its figures from DIR (what goes into
# results.json, and what only the tables need), then formats them as
# lines of summary.txt.  Nothing is shared between sections but DIR.
use strict;
use warnings;
use FindBin;
use lib $FindBin::Bin;
use Stats qw(median median_ci paired ratio_of_medians spikes);
use JSON::PP;
use List::Util qw(sum max min);

my $dir = shift;
if (!defined $dir || @ARGV || !-d $dir) {
	print STDERR "usage: perl lab/bench/report.pl DIR (a lab/bench.sh results directory)\n";
	exit 2;
}
my $repo = "$FindBin::Bin/../..";

# What the anchors cost on the unpatched kernel when first measured.
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
	exporter => 'kvmscope-exporter, every source',
	empty => 'empty programs, same events',
	'empty-tool' => "empty programs, the tool's attach points",
	'perf-record-same' => 'perf record -a, same events',
	'kvm_stat-same' => 'kvm_stat -t -l -f, same kvm: events',
	'bpftrace-same' => 'bpftrace count(), same events',
);
my @ANCHORS = qw(perf-stat perf-record kvm_stat bpftrace);
my @SAME = qw(perf-record-same kvm_stat-same bpftrace-same);

# tdx-trace in fallback mode against the anchors on its events.
my %FALLBACK = (compute => \&compute_tool, format => \&format_tool, tool => 'tdx-conv', others => \@SAME,
		slowdown => sub { 'Slowdown of ' . ($_[0]{workload} // '?') },
		versus => [ "tdx-trace fallback run time / each anchor's, same blocks (target: below every anchor)", 'anchor' ]);

# The sections, in report order: results.json's key, the subdirectory of
# DIR, the title, notes under it, and how to compute and format them; a
# tool against the anchors on its events (compute_tool) also names the
# tool, the anchors, its tables' titles and what else they show, and
# a floor: the config of empty programs where the tool attaches, reported
# after the tool.
my @SECTIONS = (
	{ key => 'series', sub => 'series', compute => \&compute_series, format => \&format_series,
	  title => '1. Anchors and 2a. tdx-trace, series mode' },
	{ key => 'cost', sub => 'cost', compute => \&compute_cost, format => \&format_cost,
	  title => "2a'. tdx-trace, series mode: per-event cost alone" },
	{ key => 'fallback-unpatched', sub => 'fallback-unpatched', %FALLBACK,
	  title => '2b. tdx-trace, fallback mode: unpatched kernel (same config, no series)',
	  notes => [ 'The series workload in fallback mode: conversions seen through sys_enter/exit_ioctl and',
		     'kvm_tdp_mmu_spte_changed.' ] },
	{ key => 'fallback-stock', sub => 'fallback-stock', %FALLBACK,
	  title => "2c. tdx-trace, fallback mode: Debian's stock kernel (KVM=m)",
	  notes => [ "The stock kernel has no CONFIG_KVM_SW_PROTECTED_VM, so private_mem_conversions_test skips",
		     'there and no conversion can happen; this measures what fallback mode costs a workload of',
		     'page faults (every kvm_entry, SPTE change and KVM_RUN ioctl goes through its programs).' ] },
	{ key => 'hvflush', sub => 'hvflush', compute => \&compute_tool, format => \&format_tool,
	  title => '3. hvflush-top: hyperv_tlb_flush, patched kernel',
	  tool => 'hvflush-top', floor => 'empty-tool', others => [ qw(kvm_stat-same bpftrace-same) ],
	  slowdown => sub { 'Run time of ' . ($_[0]{workload} // '?') . ' with / without' },
	  extra => [ [ target => sub { $_[0]{config} eq 'hvflush-top' ? '<= +0.5%: ' . verdict_le($_[0], 1.005) : '' } ],
		     [ 'spike runs' => sub { join(' ', map { "b$_" } @{ $_[0]{spikes} }) || 'none' } ] ],
	  versus => [ "hvflush-top run time / kvm_stat's and bpftrace's, same blocks (target: below both)", 'other' ],
	  remark => [ "hyperv_tlb_flush's run time varies too much for wall-time ratios below ~15%: the predicted",
		      "slowdown (events/s x cost) below is the figure to judge by; the wall ratios are for reference." ] },
	{ key => 'disabled', compute => \&compute_disabled, format => \&format_disabled,
	  title => '4. Disabled cost of the series: patched / unpatched kernel' },
	{ key => 'mapgpa', sub => 'mapgpa', compute => \&compute_mapgpa, format => \&format_mapgpa,
	  title => '5. In-kernel MapGPA, the 7.3 RFC: in KVM, in KVM with the notification, and the userspace exit' },
	{ key => 'exporter', compute => \&compute_exporter, format => \&format_exporter,
	  title => '6. kvmscope-exporter (lab/bench-exporter.sh, host)' },
	{ key => 'fleet', compute => \&compute_fleet, format => \&format_exporter,
	  title => '7. Fleet: exporters, Prometheus agents, VictoriaMetrics (tests/bpf/68-fleet.sh, 60 s outage, host)' },
);

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

# --- formatting: every function returns lines
sub pct { defined $_[0] ? sprintf('%+.1f%%', ($_[0] - 1) * 100) : '-' }
sub num { defined $_[0] ? sprintf($_[1] // '%.3f', $_[0]) : '-' }
sub ns { defined $_[0] ? sprintf('%.0f', $_[0]) : '-' }
sub ci_str {
	my ($s) = @_;
	return '-' unless defined $s->{lo};
	return sprintf('[%s, %s] %.0f%%', pct($s->{lo}), pct($s->{hi}), 100 * $s->{coverage});
}
# An interval of plain ratios.
sub interval_str {
	my ($s) = @_;
	return sprintf('[%s, %s] %.0f%%', num($s->{lo}), num($s->{hi}), 100 * ($s->{coverage} // 0));
}
sub outliers_str {
	my ($s) = @_;
	my @o = map { sprintf('b%d %s', $_->{block}, pct($_->{ratio})) } @{ $s->{outliers} // [] };
	return @o ? join(' ', @o) : 'none';
}

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
	return ($title, $fmt->($head), join('  ', map { '-' x $_ } @w), (map { $fmt->($_) } @rows), '');
}

sub note { return ((map { "  $_" } @_), '') }

sub banner { return ('=' x 78, $_[0], '=' x 78) }

# "yes" if the interval is entirely on the good side of the target.
sub verdict_le {
	my ($s, $target) = @_;
	return '-' unless defined $s->{lo};
	return $s->{hi} <= $target ? 'yes' : $s->{lo} > $target ? 'no' : 'open';
}

# "yes" if the whole interval of a ratio is below 1.
sub below { $_[0]{hi} < 1 ? 'yes' : $_[0]{lo} > 1 ? 'no' : 'open' }

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

# Each of @configs that ran against nothing attached, over $events events.
sub slowdowns {
	my ($t, $events, @configs) = @_;
	return map { compare($t, $_, 'off', $events) } grep { $t->{$_} } @configs;
}

# The tool's run time against each of @others that ran, same blocks.
sub versus {
	my ($t, $tool, @others) = @_;
	return map { compare($t, $tool, $_) } grep { $t->{$_} } @others;
}

# Slowdown rows, and a column per [head, sub] of @extra.
sub slowdown_table {
	my ($title, $results, @extra) = @_;
	my @head = ('observer', 'slowdown', '95% interval, coverage', 'n', 'outlier pairs', 'extra ns/event');
	my @rows = map { my $r = $_; [ $LABEL{ $r->{config} } // $r->{config}, pct($r->{ratio}), ci_str($r), $r->{n},
			   outliers_str($r), ns($r->{wall_ns_per_event}), map { $_->[1]->($r) } @extra ] } @$results;
	return table($title, [ @head, map { $_->[0] } @extra ], @rows);
}

# The unobserved runs' spread: what a ratio's interval is made of.  Under
# -icount most workloads repeat to 0.1-0.3%; one whose threads outnumber
# the vCPUs does not (lab/bench/README.md).
sub spread_note {
	my @x = values %{ $_[0] // {} };
	return () unless @x > 1;
	my $m = sum(@x) / @x;
	my $sd = sqrt(sum(map { ($_ - $m)**2 } @x) / (@x - 1));
	return note(sprintf('nothing attached: %d runs, %.4f-%.4f s, CV %.2f%%', scalar @x, min(@x), max(@x), 100 * $sd / $m));
}

sub versus_table {
	my ($title, $first, $results) = @_;
	return table($title, [ $first, 'ratio', '95% interval, coverage', 'n', 'below' ],
		     map { [ $LABEL{ $_->{base} }, num($_->{ratio}), interval_str($_), $_->{n}, below($_) ] } @$results);
}

# --- a section's boot and workload (guest.sh info, the boot's summary)
sub boot_status {
	my ($sub) = @_;
	my $s = read_kv("$dir/$sub/summary.txt");
	return $s->{status} ? $s : undef;
}

sub section_info {
	my ($sub) = @_;
	return (read_kv("$dir/$sub/info.txt"), boot_status($sub) // {});
}

# What a boot's seconds are: guest instructions under -icount, else wall.
sub icount_of { my $i = ($_[0] // {})->{icount}; return defined $i && length $i ? $i : undef }
sub time_str {
	my ($boot) = @_;
	my $i = icount_of($boot);
	return defined $i ? sprintf('guest instructions (-icount shift=%d: 1 s = %g instructions)', $i, 1e9 / 2**$i)
		: 'wall (no -icount)';
}

sub section_header {
	my ($title, $info, $boot) = @_;
	my @l = (banner($title),
		 sprintf('kernel %s (%s), %s vCPUs, workload: %s, %s pairs (blocks of alternating runs)',
			 $boot->{kernel} // '?', $info->{release} // '?', $info->{cpus} // '?', $info->{workload} // '?',
			 $info->{pairs} // '?'),
		 'time: ' . time_str($boot));
	if (($boot->{status} // '') ne 'ok') {
		push @l, "THE BOOT FAILED: " . ($boot->{status} // 'no summary') . ' ' . ($boot->{reason} // ''), '';
	}
	return (@l, '');
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

# "name count, ..." of the section's events, for a title.
sub events_str {
	my ($counts, @events) = @_;
	return join(', ', map { my $e = (split /:/)[1]; "$e " . ($counts->{$_} // '?') } @events);
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
	# Snapshots after each run, where guest-lib.sh took them.
	my @after = map { { map { $_->{id} => $_ } @{ read_json("$bdir/after-$_.json") // [] } } }
		    grep { -f "$bdir/after-$_.json" } 1 .. 1000;
	my @progs;
	for my $p (@{ read_json("$bdir/after.json") // [] }) {
		my $o = $owner{ $p->{id} } // next;
		my $b = $before{ $p->{id} } // {};
		my $cnt = ($p->{run_cnt} // 0) - ($b->{run_cnt} // 0);
		my $ns = ($p->{run_time_ns} // 0) - ($b->{run_time_ns} // 0);
		my (@runs, $prev);
		for my $snap (@after) {
			my $cur = $snap->{ $p->{id} } // {};
			my $last = $prev // $b;
			push @runs, { cnt => ($cur->{run_cnt} // 0) - ($last->{run_cnt} // 0),
				      ns => ($cur->{run_time_ns} // 0) - ($last->{run_time_ns} // 0) };
			$prev = $cur;
		}
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
			@runs ? (runs => \@runs) : (),
		};
	}
	return { runs => $runs, programs => \@progs, observers => (slurp("$bdir/observers.txt") // '') =~ s/\s+$//r };
}

# Per event, TOOL's ns per program run against the empty program's and
# bpftrace's: the median over the workload runs of each run's ns per
# event (the mean over all of them where the runs were not snapshotted
# one by one); per owner, BPF time per workload run and the slowdown it
# predicts, from the totals.  Nothing without timed runs.
sub cost_figures {
	my ($cost, $tool, $same_events, $off_s) = @_;
	my $R = $cost->{runs} || return {};
	my (%by, %total);
	for my $p (@{ $cost->{programs} }) {
		my $o = $p->{owner};
		$o = 'tool' if $o eq $tool || ($tool =~ /\+/ && grep { $_ eq $o } split /\+/, $tool);
		my $b = $by{ $p->{event} }{$o} //= {};
		$b->{ns} += $p->{run_time_ns};
		$b->{cnt} = max($b->{cnt} // 0, $p->{run_cnt});
		for my $k (0 .. $#{ $p->{runs} // [] }) {
			my $r = $p->{runs}[$k];
			$b->{runs}[$k]{ns} += $r->{ns};
			$b->{runs}[$k]{cnt} = max($b->{runs}[$k]{cnt} // 0, $r->{cnt});
		}
		$total{$o} += $p->{run_time_ns};
	}
	my @per_event;
	my @events = ((map { (split /:/)[1] } @$same_events),
		      sort grep { my $e = $_; !grep { (split /:/)[1] eq $e } @$same_events } keys %by);
	for my $e (@events) {
		my $b = $by{$e} // next;
		next unless $b->{tool};
		my $each = sub { my $x = $b->{ $_[0] } // return []; [ map { $_->{ns} / $_->{cnt} } grep { $_->{cnt} } @{ $x->{runs} // [] } ] };
		my $per = sub { my $x = $b->{ $_[0] }; my $r = $each->($_[0]);
				@$r ? median($r) : $x && $x->{cnt} ? $x->{ns} / $x->{cnt} : undef };
		my ($t, $em, $bt) = ($per->('tool'), $per->('empty'), $per->('bpftrace-same'));
		push @per_event, { event => $e, events_per_run => ($b->{empty} // $b->{tool})->{cnt} / $R,
				   tool_ns => $t, empty_ns => $em, bpftrace_ns => $bt, tool_ns_runs => $each->('tool'),
				   x_empty => (defined $em && $em > 0 && defined $t ? $t / $em : undef),
				   x_bpftrace => (defined $bt && $bt > 0 && defined $t ? $t / $bt : undef),
				   target_x_empty => 2 };
	}
	my %predicted;
	for my $o ('tool', 'empty', 'bpftrace-same') {
		next unless defined $total{$o};
		my $per_run = $total{$o} / $R;
		my $events = sum(0, map { ($by{$_}{$o} // {})->{cnt} // 0 } keys %by) / $R;
		$predicted{ $o eq 'tool' ? $tool : $o } = { bpf_ns_per_run => $per_run, events_per_run => $events,
			events_per_s => $off_s ? $events / $off_s : undef,
			slowdown => $off_s ? $per_run / ($off_s * 1e9) : undef };
	}
	return { per_event => \@per_event, %predicted ? (predicted => \%predicted) : () };
}

# What bpf_stats' ns are in a boot: guest instructions under -icount.
sub cost_unit {
	my $i = icount_of($_[0]);
	return defined $i ? ($i ? sprintf('ns per program run (x %g = guest instructions)', 1 / 2**$i)
			       : 'ns per program run = guest instructions') : 'ns per program run';
}

sub cost_tables {
	my ($fig, $cost, $tool, $off_s, $boot) = @_;
	return () unless $fig->{per_event};
	my $R = $cost->{runs};
	my $unit = cost_unit($boot);
	my @rows = map { [ $_->{event}, sprintf('%.0f', $_->{events_per_run}), ns($_->{tool_ns}), ns($_->{empty_ns}),
			   defined $_->{x_empty} ? sprintf('%.1fx', $_->{x_empty}) : '-',
			   defined $_->{x_empty} ? ($_->{x_empty} <= 2 ? 'yes' : 'no') : '-', ns($_->{bpftrace_ns}),
			   defined $_->{x_bpftrace} ? sprintf('%.2fx', $_->{x_bpftrace}) : '-',
			   defined $_->{x_bpftrace} ? ($_->{x_bpftrace} <= 1 ? 'yes' : 'no') : '-',
			   join(' ', map { ns($_) } @{ $_->{tool_ns_runs} // [] }) || '-' ] } @{ $fig->{per_event} };
	my @prow = map { my $p = $fig->{predicted}{$_};
			 [ $_, sprintf('%.0f', $p->{events_per_run}),
			   defined $p->{events_per_s} ? sprintf('%.0f', $p->{events_per_s}) : '-',
			   sprintf('%.2f', $p->{bpf_ns_per_run} / 1e6),
			   defined $p->{slowdown} ? sprintf('%+.2f%%', 100 * $p->{slowdown}) : '-' ] }
		   grep { $fig->{predicted}{$_} } $tool, 'empty', 'bpftrace-same';
	return (table("  per-event cost with kernel.bpf_stats_enabled=1 ($R runs, median of the runs): $unit",
		      [ 'event', 'events/run', $tool, 'empty', 'x empty', '<=2x', 'bpftrace count()', 'vs count()', '<=count()', 'each run' ], @rows),
		table("  predicted slowdown = events/s x ns/event (BPF time per run / run time without tracing, $off_s s)",
		      [ 'programs', 'events/run', 'events/s', 'BPF ms/run', 'predicted' ], @prow));
}

# What single operations cost on one event (lab/bench/floor-run.c): the
# median over rounds of each program's ns per run, and its ratio to the
# empty program's.  Returns the figures and each program's rounds.
sub floor_figures {
	my ($rows) = @_;
	my (%ns, @order);
	for my $r (@$rows) {
		next unless $r->{run_cnt};
		push @order, $r->{program} unless $ns{ $r->{program} };
		push @{ $ns{ $r->{program} } }, $r->{run_time_ns} / $r->{run_cnt};
	}
	my $empty = $ns{floor_empty} ? median($ns{floor_empty}) : undef;
	my @fig = map { my $m = median($ns{$_});
			{ program => $_, ns_per_run => $m, x_empty => ($empty ? $m / $empty : undef), rounds => scalar @{ $ns{$_} } } } @order;
	return (\@fig, \%ns);
}

sub floor_table {
	my ($fig, $rounds, $boot) = @_;
	return table("  what one operation costs on kvm_hv_flush_tlb_enqueue, each program alone (the floor under '<= 2x empty'): " .
		     cost_unit($boot),
		     [ 'program does', 'ns/run', 'x empty', 'per round' ],
		     map { [ $_->{program} =~ s/^floor_//r, ns($_->{ns_per_run}),
			     defined $_->{x_empty} ? sprintf('%.1fx', $_->{x_empty}) : '-',
			     join(' ', map { ns($_) } @{ $rounds->{ $_->{program} } }) ] } @$fig);
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

sub lost_note {
	my ($l, $tool) = @_;
	return $l->{runs} ? note("$tool reported $l->{lost} lost events over $l->{runs} runs (ring buffer or map full)") : ();
}

sub dropped_note {
	my ($dropped) = @_;
	return @$dropped ? note("left out: " . join('; ', @$dropped)) : ();
}

# The first value of $key anywhere in decoded JSON $v.
sub find_key {
	my ($v, $key) = @_;
	return $v->{$key} if ref $v eq 'HASH' && exists $v->{$key};
	for my $c (ref $v eq 'HASH' ? values %$v : ref $v eq 'ARRAY' ? @$v : ()) {
		my $r = find_key($c, $key);
		return $r if defined $r;
	}
	return undef;
}

# tdx-trace's kvm_entry program looks up the vCPU thread only while
# mapgpa_pending (outstanding MapGPA hypercalls) is non-zero: its value
# after the cost runs tells a leak (stays up) from concurrency.  bpftool's
# "formatted" dump nests it: [{formatted: {value: {".bss": [{...}]}}}].
sub mapgpa_pending {
	my ($bdir) = @_;
	for my $f (glob("$bdir/bss-*.json")) {
		my $n = find_key(read_json($f) // next, 'mapgpa_pending');
		return $n if defined $n;
	}
	return undef;
}

# --- sections: compute returns {json => results.json's section, and what
# the tables need besides}, or nothing without data; format returns lines.

# What the sections measuring a tool against the anchors have in common:
# the boot, the blocks, the events, the lost events and the BPF cost.
sub tool_section {
	my ($sub, $tool) = @_;
	return undef unless -f "$dir/$sub/runs.tsv";
	my ($info, $boot) = section_info($sub);
	my ($t, $dropped) = block_times(read_tsv("$dir/$sub/runs.tsv"));
	my ($counts) = event_counts("$dir/$sub/events-workload.csv");
	my @same = split ' ', $info->{same_events} // '';
	$tool = $info->{tool} // $tool;
	my $off = median([ values %{ $t->{off} // {} } ]);
	return { info => $info, boot => $boot, t => $t, dropped => $dropped, counts => $counts, same => \@same,
		 nsame => sum(0, map { $counts->{$_} // 0 } @same), tool => $tool, off => $off,
		 lost => tool_lost($sub, $tool), cost => bpf_cost("$dir/$sub/bpf-tools", \@same) };
}

# The JSON every tool section has: configs, versus, lost events, cost.
sub tool_json {
	my ($v, $sec, $slowdowns, $versus) = @_;
	$sec->{configs}{ $_->{config} } = $_ for @$slowdowns;
	$sec->{versus} = $versus if @$versus;
	$sec->{lost_events} = $v->{lost};
	if ($v->{cost}) {
		$sec->{bpf_cost} = $v->{cost};
		%$sec = (%$sec, %{ cost_figures($v->{cost}, $v->{tool}, $v->{same}, $v->{off}) });
	}
	return $sec;
}

sub compute_series {
	my ($s) = @_;
	my $v = tool_section($s->{sub}, 'tdx-conv+tdx-roles') // return;
	my ($t, $tool, $counts) = @$v{qw(t tool counts)};
	my $tool_mapgpa = $v->{info}{tool_mapgpa};
	$v->{all} = sum(0, map { $counts->{$_} } grep { /^kvm(mmu)?:/ } keys %$counts);
	$v->{anchors} = [ slowdowns($t, $v->{all}, @ANCHORS) ];
	$v->{tools} = [ slowdowns($t, $v->{nsame}, $tool, @SAME, $tool_mapgpa // (), 'exporter') ];
	$v->{versus} = [ $t->{$tool} ? versus($t, $tool, @ANCHORS, @SAME) : () ];
	my %sec = (events_per_run_all => $v->{all}, events_per_run_same => $v->{nsame}, configs => {},
		   off_median_s => $v->{off});
	tool_json($v, \%sec, [ @{ $v->{anchors} }, @{ $v->{tools} } ], $v->{versus});
	mapgpa_cost($s->{sub}, $v, \%sec);
	return { %$v, json => \%sec };
}

# The per-event cost with --mapgpa (opt-in), on its events too, into
# $sec->{mapgpa_opt_in} and $v->{mcost}.
sub mapgpa_cost {
	my ($sub, $v, $sec) = @_;
	my $tool_mapgpa = $v->{info}{tool_mapgpa} // return;
	my @events = (@{ $v->{same} }, split ' ', $v->{info}{mapgpa_events} // '');
	my $mcost = bpf_cost("$dir/$sub/bpf-tools-mapgpa", \@events) // return;
	my %m = %{ cost_figures($mcost, $tool_mapgpa, \@events, $v->{off}) };
	my $n = mapgpa_pending("$dir/$sub/bpf-tools-mapgpa");
	$m{mapgpa_pending_after} = $n if defined $n;
	$sec->{mapgpa_opt_in} = \%m;
	$v->{mcost} = $mcost;
}

sub mapgpa_cost_lines {
	my ($r) = @_;
	my $m = $r->{json}{mapgpa_opt_in};
	return () unless $r->{mcost};
	return ('', "  With --mapgpa (opt-in): the same programs, and MapGPA latency's on every VM entry",
		cost_tables($m, $r->{mcost}, $r->{info}{tool_mapgpa}, $r->{off}, $r->{boot}),
		defined $m->{mapgpa_pending_after}
		? note("tdx-trace's mapgpa_pending after the cost runs: $m->{mapgpa_pending_after} (non-zero with no VM running",
		       "would mean every kvm_entry pays a hash lookup for nothing)") : ());
}

# Series mode's per-event cost alone (guest.sh cost): one timed run with
# nothing attached, then the same cost runs as the series section's.
sub compute_cost {
	my ($s) = @_;
	my $v = tool_section($s->{sub}, 'tdx-conv+tdx-roles') // return;
	my %sec = (off_s => defined $v->{off} ? $v->{off} + 0 : undef);
	tool_json($v, \%sec, [], []);
	mapgpa_cost($s->{sub}, $v, \%sec);
	return { %$v, json => \%sec };
}

sub format_cost {
	my ($s, $r) = @_;
	my @l = section_header($s->{title}, @$r{qw(info boot)});
	push @l, note('Without tracing: ' . num($r->{off}, '%.4f') . ' s (one run), the predicted slowdown\'s denominator.');
	push @l, lost_note($r->{json}{lost_events}, $r->{tool});
	push @l, cost_tables($r->{json}, $r->{cost}, $r->{tool}, $r->{off}, $r->{boot}) if $r->{cost};
	return (@l, mapgpa_cost_lines($r), dropped_note($r->{dropped}));
}

sub format_series {
	my ($s, $r) = @_;
	my $j = $r->{json};
	my ($tool, $tool_mapgpa) = ($r->{tool}, $r->{info}{tool_mapgpa} // '');
	my @l = section_header($s->{title}, @$r{qw(info boot)});
	push @l, slowdown_table("Anchors: private_mem_conversions_test -n 2 with / without ($r->{all} kvm:+kvmmmu: events per run, " .
				num($r->{off}, '%.2f') . " s without)", $r->{anchors},
				[ earlier => sub { pct($EARLIER{ $_[0]{config} }) } ]);
	push @l, slowdown_table("tdx-trace series mode and the anchors on its events ($r->{nsame} events per run: " .
				join(' ', map { (split /:/)[1] } @{ $r->{same} }) . ")", $r->{tools},
				[ target => sub { $_[0]{config} eq $tool || $_[0]{config} eq $tool_mapgpa ? '<= +0.5%: ' . verdict_le($_[0], 1.005) :
						  $_[0]{config} eq 'exporter' ? '<= +1%: ' . verdict_le($_[0], 1.01) : '' } ]);
	push @l, versus_table("tdx-trace (conversions -s + roles) run time / each anchor's, same blocks (target: below every anchor)",
			      'anchor', $r->{versus}) if $r->{t}{$tool};
	push @l, lost_note($j->{lost_events}, $tool);
	push @l, cost_tables($j, $r->{cost}, $tool, $r->{off}, $r->{boot}) if $r->{cost};
	return (@l, mapgpa_cost_lines($r), dropped_note($r->{dropped}));
}

# A tool against the anchors on the same events, and its floor if measured.
sub compute_tool {
	my ($s) = @_;
	my $v = tool_section($s->{sub}, $s->{tool}) // return;
	my ($t, $tool) = @$v{qw(t tool)};
	$v->{tools} = [ slowdowns($t, $v->{nsame}, $tool, $s->{floor} // (), @{ $s->{others} }) ];
	$v->{versus} = [ $t->{$tool} ? versus($t, $tool, @{ $s->{others} }) : () ];
	my %sec = (events_per_run_same => $v->{nsame}, off_median_s => $v->{off},
		   events => { map { $_ => $v->{counts}{$_} } @{ $v->{same} } });
	tool_json($v, \%sec, $v->{tools}, $v->{versus});
	if (-s "$dir/$s->{sub}/floor.tsv") {
		($sec{floor}, $v->{rounds}) = floor_figures(read_tsv("$dir/$s->{sub}/floor.tsv"));
	}
	return { %$v, json => \%sec };
}

sub format_tool {
	my ($s, $r) = @_;
	my @l = section_header($s->{title}, @$r{qw(info boot)});
	push @l, note(@{ $s->{notes} }) if $s->{notes};
	push @l, slowdown_table($s->{slowdown}->($r->{info}) . ' (' . num($r->{off}, '%.2f') .
				" s without; $r->{nsame} events per run: " . events_str($r->{counts}, @{ $r->{same} }) . ')',
				$r->{tools}, @{ $s->{extra} // [] });
	push @l, spread_note($r->{t}{off});
	push @l, versus_table(@{ $s->{versus} }, $r->{versus}) if $r->{t}{ $r->{tool} };
	push @l, note(@{ $s->{remark} }) if $s->{remark} && !defined icount_of($r->{boot});
	push @l, lost_note($r->{json}{lost_events}, $r->{tool});
	push @l, cost_tables($r->{json}, $r->{cost}, $r->{tool}, $r->{off}, $r->{boot}) if $r->{cost};
	push @l, floor_table($r->{json}{floor}, $r->{rounds}, $r->{boot}) if $r->{json}{floor};
	return (@l, dropped_note($r->{dropped}));
}

# Per-boot medians of the patched and unpatched kernels, per kernel line
# (boots disabled-LINE-N-KERNEL; an older run's disabled-N-KERNEL has its
# line in its summary).
sub compute_disabled {
	my (%by, %sec);
	for my $b (glob("$dir/disabled-*")) {
		my ($l, $i, $k) = $b =~ m{/disabled-(?:(\d+\.\d+)-)?(\d+)-(\w+)$} or next;
		my $boot = boot_status($b =~ s{.*/}{}r) // {};
		$l //= $boot->{line} // '?';
		my @runs = map { $_->{seconds} } grep { $_->{rc} eq '0' } @{ read_tsv("$b/runs.tsv") };
		push @{ $by{$l} }, { boot => $i + 0, kernel => $k, release => $boot->{release}, status => $boot->{status},
				     icount => icount_of($boot), runs => \@runs, median_s => median(\@runs) };
	}
	return unless %by;
	for my $l (sort keys %by) {
		my @bj = sort { $a->{boot} <=> $b->{boot} } @{ $by{$l} };
		my %med;
		push @{ $med{ $_->{kernel} } }, $_->{median_s}
			for grep { defined $_->{median_s} && ($_->{status} // '') eq 'ok' } @bj;
		my %line = (boots => \@bj);
		if ($med{patched} && $med{unpatched}) {
			my $r = ratio_of_medians($med{patched}, $med{unpatched});
			my ($lo, $hi) = (($r->{lo} - 1) * 100, ($r->{hi} - 1) * 100);
			$line{ratio} = $r;
			$line{statement} = $r->{lo} > 1
				? sprintf('the series costs between %.2f%% and %.2f%% with its tracepoints disabled', $lo, $hi)
				: $r->{hi} < 1
				? sprintf('the patched kernel ran %.2f%% to %.2f%% faster: no disabled cost is visible, and a real one of that size would be code placement, not the series', -$hi, -$lo)
				: sprintf('a disabled cost above %.2f%% is ruled out; anything from %.2f%% to %.2f%% is consistent with the data', $hi, $lo, $hi);
		}
		$sec{lines}{$l} = \%line;
	}
	return { json => \%sec };
}

sub format_disabled {
	my ($s, $r, $meta) = @_;
	my @l = (banner($s->{title}),
		 'private_mem_conversions_test -n 2: a warm-up and ' . ($meta->{runs} // '?') . ' timed runs per boot, kernels alternating (ABBA)', '');
	for my $line (sort keys %{ $r->{json}{lines} }) {
		my $j = $r->{json}{lines}{$line};
		my $icount = icount_of($j->{boots}[0]);
		push @l, "Linux $line; time: " . time_str($j->{boots}[0]), '';
		push @l, table('Per boot', [ 'boot', 'kernel', 'release', 'runs', 'median s', 'range', 'status' ],
			       map { my $runs = $_->{runs};
				     [ $_->{boot}, $_->{kernel}, $_->{release} // '?', scalar @$runs, num($_->{median_s}, '%.4f'),
				       @$runs ? sprintf('%.4f-%.4f', min(@$runs), max(@$runs)) : '-', $_->{status} // 'no boot' ] }
			       @{ $j->{boots} });
		my $q = $j->{ratio} // next;
		push @l, table("Linux $line: patched / unpatched, from the per-boot medians (target: 1.000 within the interval)",
			       [ 'boots', 'patched s', 'unpatched s', 'ratio', 'interval (Hodges-Lehmann), coverage', '1.000 inside' ],
			       [ sprintf('%d+%d', $q->{n_a}, $q->{n_b}), num($q->{median_a}, '%.4f'), num($q->{median_b}, '%.4f'),
				 num($q->{ratio}, '%.4f'), sprintf('[%.4f, %.4f] %.0f%%', $q->{lo}, $q->{hi}, 100 * $q->{coverage}),
				 $q->{lo} <= 1 && $q->{hi} >= 1 ? 'yes' : 'no' ]);
		push @l, note("With " . ($q->{coverage} * 100 >= 94.5 ? 'about 95%' : sprintf('%.0f%%', 100 * $q->{coverage})) .
			      " confidence, $j->{statement}.",
			      defined $icount
			      ? ("Per-boot medians are the samples: in guest instructions a boot differs from another",
				 "by what the kernel image does, not by the host.")
			      : ("Boot-to-boot medians move 1-3% in wall time on this lab, so per-boot medians (not runs)",
				 "are the samples; a disabled cost smaller than that is below what the lab can resolve."));
	}
	return @l;
}

# In-kernel vs userspace MapGPA: per request size, each figure's ratio of
# medians over the blocks both modes ran.
# The 7.3 RFC's three ways of servicing MapGPA (lab/bench/guest.sh), each
# against the userspace exit; the figures are the selftest's own.
my @MAPGPA_MODES = qw(kernel kernel-notify userspace);
my @MAPGPA_FIGURES = ([ cps => 'conversions/s' ], [ p50_us => 'MapGPA latency p50, us' ],
		      [ p99_us => 'MapGPA latency p99, us' ]);

sub mapgpa_run {
	my ($text) = @_;
	my %run;
	@run{qw(seconds cps p50_us p99_us)} = ($1, $2, $3, $4)
		if ($text // '') =~ /seconds ([\d.]+) conversions_per_sec ([\d.]+) p50_us ([\d.]+) p99_us ([\d.]+)/;
	$run{zap_ns} = $1 if ($text // '') =~ /^zap_ns (\d+)/m;
	$run{conv_ns} = $1 if ($text // '') =~ /^conv_ns (\d+)/m;
	return \%run;
}

sub compute_mapgpa {
	my ($s) = @_;
	my $sub = $s->{sub};
	return unless -f "$dir/$sub/runs.tsv";
	my ($info, $boot) = section_info($sub);
	my (%by, @dropped);
	for my $r (@{ read_tsv("$dir/$sub/runs.tsv") }) {
		next if $r->{block} eq '0';
		my $run = mapgpa_run(slurp("$dir/$sub/mapgpa/$r->{pages}-$r->{mode}-$r->{block}.out"));
		if ($r->{rc} ne '0' || !defined $run->{cps}) {
			push @dropped, "$r->{pages} pages $r->{mode} block $r->{block}: exit $r->{rc}";
			next;
		}
		$by{ $r->{pages} }{ $r->{mode} }{ $r->{block} } = $run;
	}
	my (%sec, %runs);
	for my $pages (keys %by) {
		my $m = $by{$pages};
		# Blocks where every mode ran: the same drift for all three.
		my @blocks = sort { $a <=> $b } grep { my $b = $_; !grep { !$m->{$_}{$b} } @MAPGPA_MODES }
			keys %{ $m->{userspace} // {} };
		my %j;
		for my $f (map { $_->[0] } @MAPGPA_FIGURES) {
			my %v = map { my $mode = $_; ($mode => [ map { $m->{$mode}{$_}{$f} } @blocks ]) } @MAPGPA_MODES;
			$j{$f}{median}{$_} = median($v{$_}) for @MAPGPA_MODES;
			$j{$f}{vs_userspace}{$_} = ratio_of_medians($v{$_}, $v{userspace}) for qw(kernel kernel-notify);
		}
		for my $mode (@MAPGPA_MODES) {
			my $z = mapgpa_run(slurp("$dir/$sub/mapgpa/$pages-$mode-zap.txt"));
			next unless $z->{seconds} && defined $z->{zap_ns} && $z->{conv_ns};
			$j{zap}{$mode} = { of_run => $z->{zap_ns} / ($z->{seconds} * 1e9),
					   of_conversion => $z->{zap_ns} / $z->{conv_ns},
					   conversion_of_run => $z->{conv_ns} / ($z->{seconds} * 1e9) };
		}
		$sec{$pages} = \%j;
		$runs{$pages} = scalar @blocks;
	}
	return { json => \%sec, info => $info, boot => $boot, runs => \%runs, dropped => \@dropped };
}

sub format_mapgpa {
	my ($s, $r) = @_;
	my @l = section_header($s->{title}, @$r{qw(info boot)});
	my $pct = sub { defined $_[0] ? sprintf('%.2f%%', 100 * $_[0]) : '-' };
	for my $pages (sort { $a <=> $b } keys %{ $r->{json} }) {
		my $j = $r->{json}{$pages};
		push @l, table("$pages-page conversions: medians of $r->{runs}{$pages} runs per mode (rotating order), ratio to userspace with its interval",
			       [ 'figure', @MAPGPA_MODES, 'kernel/user', 'interval', 'notify/user', 'interval' ],
			       map { my $q = $j->{ $_->[0] };
				     [ $_->[1], (map { num($q->{median}{$_}, '%.2f') } @MAPGPA_MODES),
				       map { (num($q->{vs_userspace}{$_}{ratio}, '%.3f'), interval_str($q->{vs_userspace}{$_})) } qw(kernel kernel-notify) ] }
			       @MAPGPA_FIGURES);
		push @l, note(map { my $z = $j->{zap}{$_};
				    $z ? sprintf('%s: zap %s of the run, %s of the time in kvm_vm_set_mem_attributes(), which is %s of the run (bpftrace, one run)',
						 $_, $pct->($z->{of_run}), $pct->($z->{of_conversion}), $pct->($z->{conversion_of_run}))
				       : "$_: no zap timing" } @MAPGPA_MODES);
	}
	return (@l, dropped_note($r->{dropped}));
}

# lab/bench-exporter.sh's table, as it printed it.
sub compute_exporter {
	my $txt = slurp("$dir/exporter.txt") // return;
	my $rc = slurp("$dir/exporter.rc");
	my @lines = grep { /\S/ } split /\n/, $txt;
	my (@rows, $head);
	for (@lines) {
		my @f = split ' ';
		if (/^vcpus\s/) { $head = 1; next }
		push @rows, { vcpus => $f[0], mode => $f[1], series => $f[2], p50_ms => $f[3], p99_ms => $f[4],
			      max_ms => $f[5], p99_vs_target => $f[6], rss_kib => $f[7], rss_vs_target => $f[8] }
			if $head && @f == 9 && $f[0] =~ /^\d+$/;
	}
	return { json => { rows => \@rows, exit => ($rc // '') =~ s/\s+//gr },
		 lines => [ grep { !/^make/ } @lines ], exit => ($rc // '?') =~ s/\s+//gr };
}

# The fleet test's figures ("# " lines) and its TAP verdict.
sub compute_fleet {
	my $txt = slurp("$dir/fleet.txt") // return;
	my $rc = slurp("$dir/fleet.rc");
	my @lines = map { s/^# //r } grep { /^# [a-z]/ } split /\n/, $txt;
	my @failed = grep { /^not ok / } split /\n/, $txt;
	push @lines, @failed ? @failed : ('every check passed');
	return { json => { lines => \@lines, exit => ($rc // '') =~ s/\s+//gr },
		 lines => \@lines, exit => ($rc // '?') =~ s/\s+//gr };
}

sub format_exporter {
	my ($s, $r) = @_;
	return (banner($s->{title}), (map { "  $_" } @{ $r->{lines} }), "  (exit $r->{exit})", '');
}

# Whether a section's figures in guest instructions ($ir) and in wall time
# ($wr, a normal boot) agree: per observer, on which side of 1 its ratio
# is and whether the intervals overlap; over all, whether the observers
# come in the same order.  Returns its JSON and its lines.
sub agreement {
	my ($ir, $wr) = @_;
	my ($ic, $wc) = map { $_->{json}{configs} // {} } $ir, $wr;
	my @c = sort { $ic->{$a}{ratio} <=> $ic->{$b}{ratio} }
		grep { defined $ic->{$_}{ratio} && defined(($wc->{$_} // {})->{ratio}) } keys %$ic;
	return ({}) unless @c;
	my (%j, @swaps);
	for my $x (0 .. $#c) {
		for my $y ($x + 1 .. $#c) {
			push @swaps, [ $c[$x], $c[$y] ] if $wc->{ $c[$x] }{ratio} > $wc->{ $c[$y] }{ratio};
		}
	}
	my @rows;
	for my $c (@c) {
		my ($i, $w) = ($ic->{$c}, $wc->{$c});
		my $sign = ($i->{ratio} <=> 1) == ($w->{ratio} <=> 1) ? 'yes' : 'no';
		my $overlap = !defined $i->{lo} || !defined $w->{lo} ? '-' : $i->{lo} <= $w->{hi} && $w->{lo} <= $i->{hi} ? 'yes' : 'no';
		my $bool = sub { $_[0] eq '-' ? undef : $_[0] eq 'yes' ? JSON::PP::true : JSON::PP::false };
		$j{configs}{$c} = { icount => $i->{ratio}, wall => $w->{ratio}, same_sign => $bool->($sign),
				    intervals_overlap => $bool->($overlap) };
		push @rows, [ $LABEL{$c} // $c, pct($i->{ratio}), ci_str($i), pct($w->{ratio}), ci_str($w), $sign, $overlap ];
	}
	$j{order_swaps} = [ map { join('/', @$_) } @swaps ];
	my $label = sub { $LABEL{ $_[0] } // $_[0] };
	return (\%j,
		table('Guest instructions against wall time (a normal boot): observers in icount order',
		      [ 'observer', 'icount', 'interval', 'wall', 'interval', 'same sign', 'intervals overlap' ], @rows),
		note('order: ' . (@swaps ? 'wall time swaps ' . join('; ', map { $label->($_->[0]) . ' and ' . $label->($_->[1]) } @swaps)
				  : 'the same in both')));
}

my $meta = read_kv("$dir/meta.txt");
my %json = (meta => $meta);
my @out = ("kvmscope benchmarks, " . ($meta->{date} // '?') . ", commit " . ($meta->{commit} // '?'),
	   "lab: QEMU TCG (single thread), nested SVM; host load " . ($meta->{load_start} // '?') . ' at start, ' .
	   ($meta->{load_end} // '?') . ' at the end',
	   'time: ' . (($meta->{icount} // 'off') eq 'off' ? 'wall' : "guest instructions (-icount shift=$meta->{icount})" .
		       (($meta->{wall} // 0) ? ', then wall time in a normal boot as a cross-check' : '')) .
	   "; each section says which",
	   'Ratios are with / without; intervals are distribution-free (order statistics; Hodges-Lehmann',
	   'for two groups) with the coverage they really have; "open" = the interval straddles the target.',
	   '');
# A section booted once per kernel line has a subdirectory per line,
# SUB-LINE (series-6.12), reported as KEY-LINE; an older run has SUB only.
sub per_line {
	my ($s) = @_;
	return ($s) unless $s->{sub};
	my @lines = sort map { m{/\Q$s->{sub}\E-(\d+\.\d+)$} ? $1 : () } glob("$dir/$s->{sub}-*");
	return ($s, map { { %$s, key => "$s->{key}-$_", sub => "$s->{sub}-$_", title => "$s->{title}, Linux $_" } } @lines);
}

for my $s (map { per_line($_) } @SECTIONS) {
	my $r = $s->{compute}->($s) // next;
	$json{sections}{ $s->{key} } = $r->{json};
	push @out, $s->{format}->($s, $r, $meta);
	next unless $s->{sub} && -d "$dir/$s->{sub}.wall";
	my $w = { %$s, sub => "$s->{sub}.wall", title => "$s->{title}: wall-time cross-check" };
	my $wr = $w->{compute}->($w) // next;
	$json{sections}{"$s->{key}.wall"} = $wr->{json};
	my ($agree, @lines) = agreement($r, $wr);
	$json{sections}{ $s->{key} }{agreement} = $agree if %$agree;
	push @out, $w->{format}->($w, $wr, $meta), @lines;
}

open(my $fh, '>', "$dir/results.json") or die "$dir/results.json: $!";
print $fh JSON::PP->new->canonical->pretty->encode(\%json);
close $fh;
open($fh, '>', "$dir/summary.txt") or die "$dir/summary.txt: $!";
print $fh join("\n", @out), "\n";
close $fh;
print join("\n", @out), "\n";
