#!/usr/bin/perl
# Proves that the series' tracepoints cost only a static key when disabled:
# for each named tracepoint, finds every __jump_table entry whose key is the
# tracepoint's static key and checks that the patched site in the built
# vmlinux is a NOP (the branch into the tracing code is only written in at
# run time, when the event is enabled).
#
#   static-key-sites.pl VMLINUX EVENT...
# Prints "EVENT sites N nops N" per event; exits 1 if an event has no site
# or a site is not a NOP.
use strict;
use warnings;
no warnings "portable";	# 64-bit kernel addresses in hex()

my ($vmlinux, @events) = @ARGV;
die "usage: $0 VMLINUX EVENT...\n" unless $vmlinux && @events;

my %sym;
open(my $nm, '-|', 'nm', $vmlinux) or die "nm: $!\n";
while (<$nm>) {
	my ($addr, $type, $name) = split;
	$sym{$name} = hex($addr) if defined $name;
}
close($nm);

# Section address -> file offset map, to read bytes at virtual addresses.
my @sections;
open(my $re, '-|', 'readelf', '-SW', $vmlinux) or die "readelf: $!\n";
while (<$re>) {
	next unless /^\s*\[\s*\d+\]\s+(\S+)\s+(PROGBITS)\s+([0-9a-f]+)\s+([0-9a-f]+)\s+([0-9a-f]+)/;
	push @sections, [hex($3), hex($4), hex($5)];
}
close($re);

open(my $fh, '<:raw', $vmlinux) or die "$vmlinux: $!\n";
sub read_at {
	my ($va, $len) = @_;
	for my $s (@sections) {
		my ($addr, $off, $size) = @$s;
		next unless $va >= $addr && $va + $len <= $addr + $size;
		seek($fh, $off + $va - $addr, 0) or die "seek: $!\n";
		read($fh, my $buf, $len) == $len or die "short read at $va\n";
		return $buf;
	}
	die sprintf("address %#x not in a PROGBITS section\n", $va);
}

my ($start, $stop) = @sym{qw(__start___jump_table __stop___jump_table)};
die "no __jump_table in $vmlinux (CONFIG_JUMP_LABEL off?)\n" unless $start && $stop;

# struct tracepoint { const char *name; struct static_key key; ... }
my %key_of = map {
	my $tp = $sym{"__tracepoint_$_"};
	die "no tracepoint $_ in $vmlinux\n" unless defined $tp;
	($tp + 8 => $_)
} @events;

my (%sites, %nops);
my $table = read_at($start, $stop - $start);
for (my $i = 0; $i < length($table); $i += 16) {
	my ($code, $target, $key) = unpack('l< l< q<', substr($table, $i, 16));
	my $entry = $start + $i;
	my $key_addr = ($entry + 8 + $key) & ~3;
	my $ev = $key_of{$key_addr} or next;
	my $site = ($entry + $code) & 0xffffffffffffffff;
	$sites{$ev}++;
	my $insn = read_at($site, 5);
	$nops{$ev}++ if $insn eq "\x0f\x1f\x44\x00\x00" || substr($insn, 0, 2) eq "\x66\x90";
}

my $bad = 0;
for my $ev (@events) {
	my ($n, $k) = ($sites{$ev} // 0, $nops{$ev} // 0);
	printf "%s sites %d nops %d\n", $ev, $n, $k;
	$bad = 1 if $n == 0 || $k != $n;
}
exit $bad;
