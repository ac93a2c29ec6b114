#!/usr/bin/perl
# Checks the kvmscope series' tracepoints against independent evidence in a
# tracefs dump of one workload, without any BPF.  Prints TAP lines ("ok" /
# "not ok") and a "# counts" summary; exit status 1 if a check failed.
#
#   series-events.pl conversions TRACE   private_mem_conversions_test (MAP_GPA
#                                        requests serviced by userspace)
#   series-events.pl in-kernel TRACE     private_mem_map_gpa_test (serviced by
#                                        KVM_CAP_X86_MAP_GPA_RANGE_IN_KERNEL)
#   series-events.pl hyperv TRACE l1|l2  hyperv_tlb_flush / hyperv_svm_test
#   series-events.pl roles TRACE         any workload
#
# The independent evidence: kvm_hypercall (the MAP_GPA_RANGE requests the
# guest made), kvm_tdp_mmu_spte_changed (every SPTE the zaps cleared) and the
# sequence of events itself (begin/end pairing, FIFO enqueue/dequeue
# conservation, role words chaining from one computation to the next).
use strict;
use warnings;
no warnings 'portable';	# 64-bit hex SPTE values

my ($mode, $file, $fifo) = @ARGV;
die "usage: $0 conversions|in-kernel|hyperv|roles TRACE [l1|l2]\n" unless $mode && $file;

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

# Userspace-serviced requests: each MAP_GPA_RANGE with the workload's
# SET_ATTRIBUTES flag becomes exactly one KVM_SET_MEMORY_ATTRIBUTES.
sub userspace_requests {
	my $begins = count('kvm_vm_set_mem_attributes_begin');
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
		} elsif ($name eq 'kvm_vm_set_mem_attributes_begin') {
			$f =~ /gfn (0x[0-9a-f]+)-(0x[0-9a-f]+) attributes (0x[0-9a-f]+)/;
			my $r = $req{$pid};
			if (!$r || hex($1) != $r->{next} || hex($2) > $r->{end} || hex($3) != $r->{attr}) {
				push @bad, "$t: conversion $1-$2 $3 is not the next chunk of a request on $pid";
				next;
			}
			$r->{next} = hex($2);
		}
	}
	$close->($_) for values %req;
	check($covered > 0 && !@bad, "in-kernel conversions cover each request exactly, in order",
	      join('; ', @bad[0 .. ($#bad < 4 ? $#bad : 4)]));
	print "# counts requests_converted $covered requests_refused $refused\n";
}

sub conversions {
	my ($in_kernel) = @_;
	my $begins = count('kvm_vm_set_mem_attributes_begin');
	my $ends = count('kvm_vm_set_mem_attributes_end');
	check($begins > 0, "conversions traced ($begins)");
	check($begins == $ends, "every begin has an end", "$begins begins, $ends ends");
	$in_kernel ? in_kernel_requests() : userspace_requests();

	my (%open, @bad_pairing, @bad_zaps, @bad_noop, @bad_flush);
	my ($noops, $flushed, $to_private, $pages) = (0, 0, 0, 0);
	my %zapped = (4 => 0, 2 => 0, 1 => 0);
	for my $e (@events) {
		my ($pid, $t, $name, $f) = @$e;
		if ($name eq 'kvm_vm_set_mem_attributes_begin') {
			push @bad_pairing, "nested begin on $pid at $t" if $open{$pid};
			$f =~ /gfn (0x[0-9a-f]+)-(0x[0-9a-f]+) attributes (0x[0-9a-f]+)/;
			$open{$pid} = { range => "$1-$2 $3", zap => [0, 0, 0],
					spte => [0, 0, 0], flush => 0, t => $t };
			$pages += hex($2) - hex($1);
			$to_private++ if hex($3) & $ATTR_PRIVATE;
		} elsif ($name eq 'kvm_tdp_mmu_zap_leafs' && $open{$pid}) {
			$f =~ /zapped 4k (\d+) 2m (\d+) 1g (\d+)/;
			$open{$pid}{zap}[0] += $1;
			$open{$pid}{zap}[1] += $2;
			$open{$pid}{zap}[2] += $3;
			$open{$pid}{flush} = 1 if $f =~ / flush$/;
		} elsif ($name eq 'kvm_tdp_mmu_spte_changed' && $open{$pid}) {
			# A present leaf SPTE made non-present: what a leaf zap does.
			$f =~ /level (\d+) old_spte ([0-9a-f]+) new_spte ([0-9a-f]+)/;
			my ($level, $old, $new) = ($1, hex($2), hex($3));
			next unless ($old & $SPTE_PRESENT) && !($new & $SPTE_PRESENT);
			next unless $level == 1 || ($old & $SPTE_HUGE);
			$open{$pid}{spte}[$level - 1]++ if $level <= 3;
		} elsif ($name eq 'kvm_vm_set_mem_attributes_end') {
			my $c = delete $open{$pid};
			$f =~ /gfn (0x[0-9a-f]+)-(0x[0-9a-f]+) attributes (0x[0-9a-f]+)/;
			if (!$c || $c->{range} ne "$1-$2 $3") {
				push @bad_pairing, "end without matching begin on $pid at $t";
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
			my $fl = $f =~ / flushed/;
			$noops++ if $noop;
			$flushed++ if $fl;
			push @bad_noop, "$c->{range} at $c->{t}: noop but zapped $zaps"
				if $noop && $zaps ne '0/0/0';
			push @bad_flush, "$c->{range} at $c->{t}: flushed=$fl, zaps asked $c->{flush}"
				if $fl != $c->{flush};
		}
	}
	push @bad_pairing, "begin without end on $_" for keys %open;
	check(!@bad_pairing, "begin/end pair up per thread with the same range",
	      join('; ', @bad_pairing[0 .. ($#bad_pairing < 4 ? $#bad_pairing : 4)]));
	check(!@bad_zaps, "zapped SPTEs per level equal spte_changed's present-leaf zaps",
	      join('; ', @bad_zaps[0 .. ($#bad_zaps < 4 ? $#bad_zaps : 4)]));
	check(!@bad_noop, "no-op conversions zap nothing", join('; ', @bad_noop));
	check(!@bad_flush, "end.flushed iff the conversion's zaps asked for a flush",
	      join('; ', @bad_flush[0 .. ($#bad_flush < 4 ? $#bad_flush : 4)]));
	print "# counts conversions $begins to_private $to_private pages $pages noop $noops"
	    . " flushed $flushed zapped_4k $zapped{4} zapped_2m $zapped{2} zapped_1g $zapped{1}\n";
}

sub hyperv {
	die "hyperv needs l1 or l2\n" unless $fifo && $fifo =~ /^l[12]$/;
	my $want = uc($fifo);
	my $FIFO_SIZE = 16;	# KVM_HV_TLB_FLUSH_FIFO_SIZE
	my (%pending, %added, %removed, %full, %enq);
	my ($enqueues, $drains, $purges, $flush_all, $overflows) = (0, 0, 0, 0, 0);
	for my $e (@events) {
		my ($pid, $t, $name, $f) = @$e;
		if ($name eq 'kvm_hv_tlb_flush_enqueue') {
			$f =~ /vcpu (\d+) (L[12]) count (\d+)/ or next;
			my ($k, $which, $count) = ("$1 $2", $2, $3);
			my $all = $f =~ / flush_all/;
			$enqueues++;
			$enq{$which}++;
			$pending{$k}++;
			$flush_all++ if $all;
			$overflows++ if $f =~ / overflow/;
			# A flush-all entry is one entry, or none if the FIFO was full.
			$added{$k} += $all ? 1 : $count;
			$full{$k} = 1 if $f =~ /fifo_len (\d+)/ && $1 == $FIFO_SIZE;
		} elsif ($name eq 'kvm_hv_tlb_flush_dequeue') {
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
	# exactly once.  FIFOs that were ever full are skipped: there a
	# flush-all enqueue may add nothing.
	my @unbalanced = map { "$_: added $added{$_}, removed " . ($removed{$_} // 0) }
		grep { !$full{$_} && $added{$_} != ($removed{$_} // 0) } sort keys %added;
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
	my $synth = count('kvm_hv_tlb_flush_synthetic_vmexit');
	check($want eq 'L2' ? $synth > 0 : $synth == 0,
	      "synthetic vmexits only for L2 flushes ($synth)");
	print "# counts hypercalls $hcalls enqueues $enqueues drains $drains purges $purges"
	    . " flush_all $flush_all overflows $overflows synthetic_vmexits $synth\n";
}

sub roles {
	my (%last, @bad_chain, @bad_label);
	my ($changed, $unchanged, %by_mmu) = (0, 0);
	for my $e (@events) {
		my ($pid, $t, $name, $f) = @$e;
		next unless $name eq 'kvm_mmu_role';
		$f =~ /vcpu (\d+) (\w+) cpu_role (\w+) -> (\w+) root_role (\w+) -> (\w+) (\w+)/
			or die "unparsed kvm_mmu_role: $f\n";
		my ($vcpu, $mmu, $oc, $nc, $or, $nr, $what) = ($1, $2, hex($3), hex($4), hex($5), hex($6), $7);
		my $is_changed = $oc != $nc || $or != $nr;
		push @bad_label, "$t: $f" if ($what eq 'changed') != $is_changed;
		$is_changed ? $changed++ : $unchanged++;
		$by_mmu{"$mmu " . ($is_changed ? 'changed' : 'unchanged')}++;
		# The old words must be what the previous computation installed,
		# unless CPUID invalidated them in between (ext.valid, bit 63 of
		# cpu_role, cleared; root_role.invalid, bit 18, set).
		my $k = "$pid $vcpu $mmu";
		if (my $p = $last{$k}) {
			my $invalidated = !($oc & (1 << 63)) || ($or & (1 << 18));
			push @bad_chain, sprintf("%s at %s: old %x/%x, previous new %x/%x",
						 $k, $t, $oc, $or, $p->[0], $p->[1])
				if !$invalidated && ($oc != $p->[0] || $or != $p->[1]);
		}
		$last{$k} = [$nc, $nr];
	}
	check($changed + $unchanged > 0, "role computations traced (" . ($changed + $unchanged) . ")");
	check(!@bad_label, "changed/unchanged label matches the role words", join('; ', @bad_label));
	check(!@bad_chain, "each computation starts from the role the previous one left",
	      join('; ', @bad_chain[0 .. ($#bad_chain < 4 ? $#bad_chain : 4)]));
	print "# counts changed $changed unchanged $unchanged "
	    . join(' ', map { my $x = $_; $x =~ s/ /_/; "$x $by_mmu{$_}" } sort keys %by_mmu) . "\n";
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
