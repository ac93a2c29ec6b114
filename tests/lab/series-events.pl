#!/usr/bin/perl
# Checks the kvmscope series' tracepoints against independent evidence in a
# tracefs dump of one workload, without any BPF.  Prints TAP lines ("ok" /
# "not ok") and a "# counts" summary; exit status 1 if a check failed.
#
#   series-events.pl conversions TRACE   private_mem_conversions_test (MAP_GPA
#                                        requests serviced by userspace)
#   series-events.pl in-kernel TRACE     private_mem_map_gpa_test (serviced by
#                                        KVM_CAP_X86_MAP_GPA_RANGE_IN_KERNEL)
#   series-events.pl hyperv TRACE l1|l2  hyperv_tlb_flush / hyperv_svm_test /
#                                        hyperv_tlb_flush_overflow
#   series-events.pl roles TRACE [6.12]  any workload (6.12: two GVA walkers)
#
# The independent evidence: kvm_hypercall (the MAP_GPA_RANGE requests the
# guest made, which kvm_hypercall_done and kvm_map_gpa_range_exit must
# match), kvm_tdp_mmu_spte_changed (every SPTE the zaps cleared) and the
# sequence of events itself (begin/done pairing, FIFO enqueue/dequeue
# conservation, role words chaining from one computation to the next).
#
# The series' events, the same on 7.3 and 6.12: kvm_vm_set_mem_attributes
# (upstream's; backported to 6.12) opens a conversion and
# kvm_vm_set_mem_attributes_done closes it, tdp_mmu_zap_leafs traces walks
# that zapped or yielded, kvm_hv_flush_tlb_{en,de}queue count FIFO entries,
# kvm_mmu_role carries one role word pair and its cause.
use strict;
use warnings;
no warnings 'portable';	# 64-bit hex SPTE values

my ($mode, $file, $arg) = @ARGV;
die "usage: $0 conversions|in-kernel|hyperv|roles TRACE [l1|l2|6.12]\n" unless $mode && $file;

my @events;	# [pid, time, event, fields-string]
open(my $fh, '<', $file) or die "$file: $!\n";
while (<$fh>) {
	next if /^#/;
	next unless /^\s*.+?-(\d+)\s+\[\d+\]\s+\S+\s+([\d.]+): (\w+): (.*)$/;
	push @events, [$1, $2, $3, $4];
}
close($fh);

my $n = 0;
my $failed = 0;
sub check {
	my ($ok, $what, $detail) = @_;
	$n++;
	if ($ok) {
		print "ok $n - $what\n";
	} else {
		$failed++;
		print "not ok $n - $what\n";
		print "#   $detail\n" if defined $detail;
	}
}
sub count { scalar grep { $_->[2] eq $_[0] } @events }

my $SPTE_PRESENT = 1 << 11;	# SPTE_MMU_PRESENT_MASK
my $SPTE_HUGE = 1 << 7;		# PT_PAGE_SIZE_MASK
my $ATTR_PRIVATE = 1 << 3;	# KVM_MEMORY_ATTRIBUTE_PRIVATE
my $MAP_GPA_SET_ATTRIBUTES = 1;	# private_mem_conversions_test's hypercall flag

my $BEGIN = 'kvm_vm_set_mem_attributes';
my $END = 'kvm_vm_set_mem_attributes_done';
my $ZAP = 'tdp_mmu_zap_leafs';

# A conversion event's range and attributes: "START-END ATTR", in hex.
sub conv_range {
	my ($f) = @_;
	return sprintf("%x-%x %x", hex($1), hex($2), hex($3))
		if $f =~ /^(0x[0-9a-f]+|0+) -- (0x[0-9a-f]+|0+) \[(0x[0-9a-f]+)\]/;
	return undef;
}

# Userspace-serviced requests: each MAP_GPA_RANGE with the workload's
# SET_ATTRIBUTES flag becomes exactly one KVM_SET_MEMORY_ATTRIBUTES.
sub userspace_requests {
	my $begins = count($BEGIN);
	my $requests = grep {
		$_->[2] eq 'kvm_hypercall' && $_->[3] =~ /nr 0xc .* a2 (0x[0-9a-f]+)/ &&
		(hex($1) & $MAP_GPA_SET_ATTRIBUTES)
	} @events;
	check($begins == $requests,
	      "conversions equal the workload's attribute-setting MAP_GPA requests",
	      "$begins conversions, $requests requests");
}

# In-kernel requests: the vCPU thread that made the hypercall converts the
# requested range itself, in order, in chunks that cover it exactly once;
# a request KVM refuses converts nothing.
sub in_kernel_requests {
	my (%req, @bad, $covered, $refused) = ((), (), 0, 0);
	my $close = sub {
		my $r = shift or return;
		if ($r->{next} == $r->{start}) { $refused++ }
		elsif ($r->{next} == $r->{end}) { $covered++ }
		else { push @bad, sprintf("request %x-%x stopped at %x", $r->{start}, $r->{end}, $r->{next}) }
	};
	for my $e (@events) {
		my ($pid, $t, $name, $f) = @$e;
		if ($name eq 'kvm_hypercall' && $f =~ /nr 0xc a0 (0x[0-9a-f]+) a1 (0x[0-9a-f]+) a2 (0x[0-9a-f]+)/) {
			$close->(delete $req{$pid});
			my ($gfn, $n, $attrs) = (hex($1) >> 12, hex($2), hex($3));
			$req{$pid} = { start => $gfn, next => $gfn, end => $gfn + $n,
				       attr => ($attrs & 0x10) ? $ATTR_PRIVATE : 0 };
		} elsif ($name eq $BEGIN) {
			my $range = conv_range($f) // die "unparsed $name: $f\n";
			my ($start, $end, $attr) = map { hex } $range =~ /^(\w+)-(\w+) (\w+)$/;
			my $r = $req{$pid};
			if (!$r || $start != $r->{next} || $end > $r->{end} || $attr != $r->{attr}) {
				push @bad, "$t: conversion $range is not the next chunk of a request on $pid";
				next;
			}
			$r->{next} = $end;
		}
	}
	$close->($_) for values %req;
	check($covered > 0 && !@bad, "in-kernel conversions cover each request exactly, in order",
	      join('; ', @bad[0 .. ($#bad < 4 ? $#bad : 4)]));
	print "# counts requests_converted $covered requests_refused $refused\n";
}

# Every hypercall returns: each kvm_hypercall is followed on its thread by
# one kvm_hypercall_done before the next.  A MAP_GPA_RANGE the VMM serves
# has exactly one kvm_map_gpa_range_exit in between, with the hypercall's
# arguments, and returns 0; one served in KVM has none.
sub hypercall_returns {
	my ($in_kernel) = @_;
	my (%open, @bad, @bad_exit, @bad_ret);
	my ($calls, $done, $map_gpa, $exits) = (0, 0, 0, 0);
	for my $e (@events) {
		my ($pid, $t, $name, $f) = @$e;
		if ($name eq 'kvm_hypercall') {
			$f =~ /^nr (0x[0-9a-f]+) a0 (0x[0-9a-f]+) a1 (0x[0-9a-f]+) a2 (0x[0-9a-f]+)/
				or die "unparsed $name: $f\n";
			push @bad, "$t: hypercall on $pid while one is open" if $open{$pid};
			$calls++;
			$open{$pid} = { nr => hex($1), args => sprintf("%x %d %x", hex($2), hex($3), hex($4)),
					exits => [], t => $t };
		} elsif ($name eq 'kvm_map_gpa_range_exit') {
			$f =~ /gpa ([0-9a-f]+) npages (\d+) attrs ([0-9a-f]+)/ or die "unparsed $name: $f\n";
			push @{$open{$pid}{exits}}, sprintf("%x %d %x", hex($1), $2, hex($3)) if $open{$pid};
			push @bad_exit, "$t: exit on $pid outside a hypercall" unless $open{$pid};
			$exits++;
		} elsif ($name eq 'kvm_hypercall_done') {
			$f =~ /ret (0x[0-9a-f]+)$/ or die "unparsed $name: $f\n";
			my $ret = hex($1);
			my $c = delete $open{$pid};
			$done++;
			if (!$c) {
				push @bad, "$t: done on $pid without a hypercall";
				next;
			}
			next unless $c->{nr} == 0xc;
			$map_gpa++;
			my $want = $in_kernel ? '' : $c->{args};
			my $got = join(', ', @{$c->{exits}});
			push @bad_exit, "$c->{t}: MAP_GPA_RANGE $c->{args} exited as [$got]" if $got ne $want;
			push @bad_ret, "$c->{t}: MAP_GPA_RANGE $c->{args} returned $ret" if !$in_kernel && $ret;
		}
	}
	check($calls > 0 && $calls == $done && !@bad,
	      "every hypercall returns once ($calls kvm_hypercall, $done kvm_hypercall_done)",
	      join('; ', @bad[0 .. ($#bad < 4 ? $#bad : 4)]));
	check($map_gpa > 0 && !@bad_exit,
	      $in_kernel ? "MAP_GPA_RANGE served in KVM never exits ($map_gpa requests)"
			 : "each MAP_GPA_RANGE exits once, with its arguments ($map_gpa requests, $exits exits)",
	      join('; ', @bad_exit[0 .. ($#bad_exit < 4 ? $#bad_exit : 4)]));
	check(!@bad_ret, "the VMM's MAP_GPA_RANGE results reach the guest (ret 0)",
	      join('; ', @bad_ret[0 .. ($#bad_ret < 4 ? $#bad_ret : 4)])) unless $in_kernel;
	print "# counts hypercalls $calls map_gpa $map_gpa map_gpa_exits $exits\n";
}

sub conversions {
	my ($in_kernel) = @_;
	my $begins = count($BEGIN);
	my $ends = count($END);
	check($begins > 0, "conversions traced ($begins)");
	check($begins == $ends, "every conversion completes", "$begins begins, $ends done");
	$in_kernel ? in_kernel_requests() : userspace_requests();
	hypercall_returns($in_kernel);

	my (%open, @bad_pairing, @bad_zaps, @bad_noop, @bad_flush, @bad_ret);
	my ($noops, $flushed, $to_private, $pages, $yields, $yield_flushes) = (0, 0, 0, 0, 0, 0);
	my %zapped = (4 => 0, 2 => 0, 1 => 0);
	for my $e (@events) {
		my ($pid, $t, $name, $f) = @$e;
		if ($name eq $BEGIN) {
			push @bad_pairing, "nested begin on $pid at $t" if $open{$pid};
			my $range = conv_range($f) // die "unparsed $name: $f\n";
			$range =~ /^([0-9a-f]+)-([0-9a-f]+) ([0-9a-f]+)$/;
			$open{$pid} = { range => $range, zap => [0, 0, 0],
					spte => [0, 0, 0], flush => {}, t => $t };
			$pages += hex($2) - hex($1);
			$to_private++ if hex($3) & $ATTR_PRIVATE;
		} elsif ($name eq $ZAP && $open{$pid}) {
			$f =~ /gfn (\w+)-(\w+) .*zapped 4k (\d+) 2m (\d+) 1g (\d+) yields (\d+) yield_flushes (\d+)/
				or die "unparsed $name: $f\n";
			my $walked = "$1-$2";
			$open{$pid}{zap}[0] += $3;
			$open{$pid}{zap}[1] += $4;
			$open{$pid}{zap}[2] += $5;
			$yields += $6;
			$yield_flushes += $7;
			# A walk hands the flush it owes to the next root's walk of
			# the same memslot's range; the memslots' are ORed.  So the
			# last walk traced per range says whether a flush is owed
			# (only walks that zapped or yielded are traced: one that
			# did neither passes the flush on unchanged).
			$open{$pid}{flush}{$walked} = $f =~ / flush$/ ? 1 : 0;
		} elsif ($name eq 'kvm_tdp_mmu_spte_changed' && $open{$pid}) {
			# A present leaf SPTE made non-present: what a leaf zap does.
			$f =~ /level (\d+) old_spte ([0-9a-f]+) new_spte ([0-9a-f]+)/;
			my ($level, $old, $new) = ($1, hex($2), hex($3));
			next unless ($old & $SPTE_PRESENT) && !($new & $SPTE_PRESENT);
			next unless $level == 1 || ($old & $SPTE_HUGE);
			$open{$pid}{spte}[$level - 1]++ if $level <= 3;
		} elsif ($name eq $END) {
			my $c = delete $open{$pid};
			my $range = conv_range($f) // die "unparsed $name: $f\n";
			if (!$c || $c->{range} ne $range) {
				push @bad_pairing, "done without matching begin on $pid at $t";
				next;
			}
			my $zaps = join('/', @{$c->{zap}});
			my $sptes = join('/', @{$c->{spte}});
			push @bad_zaps, "$c->{range} at $c->{t}: zap_leafs $zaps, spte_changed $sptes"
				if $zaps ne $sptes;
			$zapped{4} += $c->{zap}[0];
			$zapped{2} += $c->{zap}[1];
			$zapped{1} += $c->{zap}[2];
			my $noop = $f =~ / noop/;
			my $fl = $f =~ / flushed/ ? 1 : 0;
			my $owed = (grep { $_ } values %{$c->{flush}}) ? 1 : 0;
			$noops++ if $noop;
			$flushed++ if $fl;
			push @bad_noop, "$c->{range} at $c->{t}: noop but zapped $zaps"
				if $noop && $zaps ne '0/0/0';
			push @bad_flush, "$c->{range} at $c->{t}: flushed=$fl, zaps owed $owed"
				if $fl != $owed;
			push @bad_ret, "$c->{range} at $c->{t}: $f"
				if $f =~ / ret (-?\d+)/ && $1 != 0;
		}
	}
	push @bad_pairing, "begin without done on $_" for keys %open;
	check(!@bad_pairing, "begin/done pair up per thread with the same range",
	      join('; ', @bad_pairing[0 .. ($#bad_pairing < 4 ? $#bad_pairing : 4)]));
	check(!@bad_zaps, "zapped SPTEs per level equal spte_changed's present-leaf zaps",
	      join('; ', @bad_zaps[0 .. ($#bad_zaps < 4 ? $#bad_zaps : 4)]));
	check(!@bad_noop, "no-op conversions zap nothing", join('; ', @bad_noop));
	check(!@bad_flush, "done.flushed iff the conversion's zaps left a flush owed",
	      join('; ', @bad_flush[0 .. ($#bad_flush < 4 ? $#bad_flush : 4)]));
	check(!@bad_ret, "every conversion succeeded (ret 0)", join('; ', @bad_ret[0 .. ($#bad_ret < 4 ? $#bad_ret : 4)]));
	print "# counts conversions $begins to_private $to_private pages $pages noop $noops"
	    . " flushed $flushed zapped_4k $zapped{4} zapped_2m $zapped{2} zapped_1g $zapped{1}"
	    . " yields $yields yield_flushes $yield_flushes\n";
}

sub hyperv {
	die "hyperv needs l1 or l2\n" unless $arg && $arg =~ /^l[12]$/;
	my $want = uc($arg);
	my (%pending, %added, %removed, %full, %enq);
	my ($enqueues, $drains, $purges, $flush_all, $overflows) = (0, 0, 0, 0, 0);
	for my $e (@events) {
		my ($pid, $t, $name, $f) = @$e;
		if ($name eq 'kvm_hv_flush_tlb_enqueue') {
			# What went in, not what was asked.
			$f =~ /vcpu (\d+) (L[12]) requested (\d+) inserted (\d+)/
				or die "unparsed $name: $f\n";
			my ($k, $which, $requested, $inserted) = ("$1 $2", $2, $3, $4);
			my $all = $f =~ / flush_all/;
			$enqueues++;
			$enq{$which}++;
			$pending{$k}++;
			$flush_all++ if $all;
			$overflows++ if $all && $requested;
			$added{$k} += $inserted;
			$full{$k} = 1 if !$inserted;
		} elsif ($name eq 'kvm_hv_flush_tlb_dequeue') {
			$f =~ /vcpu (\d+) (L[12]) (drained|purged) (\d+)/ or next;
			my ($k, $how, $count) = ("$1 $2", $3, $4);
			$how eq 'purged' ? $purges++ : $drains++;
			$removed{$k} += $count;
			# Which dequeue empties the FIFO depends on how two CPUs'
			# events interleave; a dequeue that removed entries ends
			# every wait queued before it.
			$pending{$k} = 0 if $count;
		}
	}
	my @left = grep { $pending{$_} } sort keys %pending;
	# Every entry put on a FIFO is taken off it (drained or purged),
	# exactly once: every FIFO, full or not.
	my @unbalanced = map { "$_: added $added{$_}, removed " . ($removed{$_} // 0) }
		grep { $added{$_} != ($removed{$_} // 0) } sort keys %added;
	my ($inserted, $dequeued) = (0, 0);
	$inserted += $_ for values %added;
	$dequeued += $_ for values %removed;
	my $fulls = grep { $full{$_} } keys %full;
	my $other = $want eq 'L1' ? 'L2' : 'L1';
	check($enqueues > 0, "enqueues traced ($enqueues)");
	check(($enq{$want} // 0) > 0 && ($want eq 'L2' || !$enq{$other}),
	      "enqueues on the $want FIFO" . ($want eq 'L1' ? ' only' : ''),
	      "L1 " . ($enq{L1} // 0) . " L2 " . ($enq{L2} // 0));
	check(!@left, "every enqueue ends in a drain or purge", "pending: @left");
	check(!@unbalanced, "every FIFO entry queued is dequeued exactly once",
	      join('; ', @unbalanced));
	my $hcalls = count('kvm_hv_flush_tlb') + count('kvm_hv_flush_tlb_ex');
	check($hcalls > 0 && $enqueues >= $hcalls,
	      "at least one enqueue per flush hypercall", "$hcalls hypercalls, $enqueues enqueues");
	# The synthetic exit is a kvm_nested_vmexit_inject: SVM's ENL exit
	# code with exit_info1 TRAP_AFTER_FLUSH.
	my $synth = grep {
			$_->[2] eq 'kvm_nested_vmexit_inject' && $_->[3] =~ /f0000000/ &&
			$_->[3] =~ /ext_inf1: 0x0*1 /
		} @events;
	check($want eq 'L2' ? $synth > 0 : $synth == 0,
	      "synthetic vmexits only for L2 flushes ($synth)");
	print "# counts hypercalls $hcalls enqueues $enqueues inserted $inserted dequeued $dequeued"
	    . " drains $drains purges $purges flush_all $flush_all overflows $overflows"
	    . " full_fifos $fulls synthetic_vmexits $synth\n";
}

# kvm_mmu_role: one word per role and the kernel's cause.  The old word
# must be what the previous computation of that role installed, unless a
# CPUID update invalidated it first, which the next one says ("cpuid").
# 6.12 keeps the GVA walker's role in two places, the root MMU and, while
# L2 runs with nested NPT, the nested MMU: its old word is what either of
# them last installed.
sub roles {
	my $two_gva_walkers = ($arg // '') eq '6.12';
	my (%last, %before, @bad_chain, @bad_label, @bad_cause, %by);
	my ($changed, $unchanged) = (0, 0);
	my %causes = map { $_ => 1 } qw(reset cpuid npt ept cr0_wp);
	for my $e (@events) {
		my ($pid, $t, $name, $f) = @$e;
		next unless $name eq 'kvm_mmu_role';
		$f =~ /vcpu (\d+) (\w+) (\w+) (\w+) -> (\w+) (\w+)$/
			or die "unparsed kvm_mmu_role: $f\n";
		my ($vcpu, $of, $cause, $old, $new, $what) = ($1, $2, $3, hex($4), hex($5), $6);
		my $is_changed = $old != $new;
		push @bad_label, "$t: $f" if ($what eq 'changed') != $is_changed;
		push @bad_cause, "$t: $f" unless $causes{$cause};
		$is_changed ? $changed++ : $unchanged++;
		$by{"${of}_$cause"}++;
		my $k = "$pid $vcpu $of";
		my $either = $two_gva_walkers && $of eq 'gva_walk' && defined $before{$k} && $old == $before{$k};
		push @bad_chain, sprintf("%s at %s: old %x, previous new %x", $k, $t, $old, $last{$k})
			if defined $last{$k} && $cause ne 'cpuid' && $old != $last{$k} && !$either;
		$before{$k} = $last{$k} if defined $last{$k} && $last{$k} != $new;
		$last{$k} = $new;
	}
	check($changed + $unchanged > 0, "role computations traced (" . ($changed + $unchanged) . ")");
	check(!@bad_label, "changed/unchanged label matches the role words", join('; ', @bad_label));
	check(!@bad_cause, "every cause is one the kernel defines", join('; ', @bad_cause));
	check(!@bad_chain, "each computation starts from the role the previous one left",
	      join('; ', @bad_chain[0 .. ($#bad_chain < 4 ? $#bad_chain : 4)]));
	print "# counts changed $changed unchanged $unchanged "
	    . join(' ', map { "$_ $by{$_}" } sort keys %by) . "\n";
}

if ($mode eq 'conversions') {
	conversions(0);
} elsif ($mode eq 'in-kernel') {
	conversions(1);
} elsif ($mode eq 'hyperv') {
	hyperv();
} elsif ($mode eq 'roles') {
	roles();
} else {
	die "unknown mode $mode\n";
}
exit($failed ? 1 : 0);
