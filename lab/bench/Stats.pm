# Statistics for `make bench`: medians, distribution-free intervals, paired
# ratios and outlier flags.  No sampling: the intervals are exact
# order-statistic ones, so the same data always gives the same figures.
#
#   median_ci(\@x)          median of @x with the order-statistic interval
#                           [x(k), x(n+1-k)] (binomial, no assumption about
#                           the distribution)
#   paired(\@on, \@off)     ratios on[i]/off[i]: their median, its interval,
#                           and the pairs whose ratio is an outlier
#   ratio_of_medians(\@a, \@b)
#                           median(a)/median(b) for two independent groups,
#                           with the Hodges-Lehmann interval of the ratio
#                           (exact Mann-Whitney critical value on log ratios)
#   spikes(\@x)             runs more than 20% above their group's median
#
# Every interval comes with the confidence it really has (`coverage`): with
# few samples the 95% one does not exist and the widest one is given.
# `perl lab/bench/Stats.pm --self-test` checks all of it on known inputs.
package Stats;
use strict;
use warnings;
use List::Util qw(sum min max);
use Exporter 'import';
our @EXPORT_OK = qw(median median_ci paired ratio_of_medians spikes
		    binom_cdf_half mw_cdf);

our $CONF = 0.95;
# A pair is an outlier when its log ratio is this many robust standard
# deviations (1.4826 MAD) from the median log ratio.
our $OUTLIER_Z = 3.5;
# A run is a spike when it is this much slower than its group's median
# (the lab's occasional 20-50% TCG hiccups).
our $SPIKE = 1.20;

sub median {
	my @s = sort { $a <=> $b } @{ $_[0] };
	return undef unless @s;
	my $n = @s;
	return $n % 2 ? $s[($n - 1) / 2] : ($s[$n / 2 - 1] + $s[$n / 2]) / 2;
}

# P(X <= k) for X ~ Binomial(n, 1/2).
sub binom_cdf_half {
	my ($n, $k) = @_;
	return 0 if $k < 0;
	my ($c, $sum) = (1, 0);	# C(n, i)
	for my $i (0 .. $k) {
		$sum += $c;
		$c = $c * ($n - $i) / ($i + 1);
	}
	return $sum / 2**$n;
}

# The order-statistic interval for the median: the largest k with
# P(Bin(n, 1/2) <= k - 1) <= (1 - conf) / 2 gives [x(k), x(n+1-k)] and
# coverage 1 - 2 P(Bin <= k - 1).  With n < 6 no k reaches 95%: k = 1
# (the range) and its lower coverage.
sub median_ci {
	my ($x, $conf) = @_;
	$conf //= $CONF;
	my @s = sort { $a <=> $b } @$x;
	my $n = @s;
	return { n => 0 } unless $n;
	my $k = 1;
	$k++ while $k + 1 <= ($n + 1) / 2 && binom_cdf_half($n, $k) <= (1 - $conf) / 2;
	return {
		n => $n,
		median => median(\@s),
		lo => $s[$k - 1],
		hi => $s[$n - $k],
		k => $k,
		coverage => 1 - 2 * binom_cdf_half($n, $k - 1),
	};
}

# Robust z of each value: distance from the median in units of 1.4826 MAD,
# but never of less than $MIN_SCALE: the lab cannot resolve 1% anyway, and
# a few identical ratios must not make every other one an outlier.
our $MIN_SCALE = 0.01;
sub _robust_z {
	my ($v) = @_;
	return () unless @$v;
	my $m = median($v);
	my $scale = max($MIN_SCALE, 1.4826 * median([ map { abs($_ - $m) } @$v ]));
	return map { abs($_ - $m) / $scale } @$v;
}

# Paired ratios.  Pairs with a missing or non-positive value are skipped
# (and counted).  Outliers are reported, not dropped: the median and its
# interval are already insensitive to them.
sub paired {
	my ($on, $off, $conf) = @_;
	my (@r, @idx, $skipped);
	$skipped = 0;
	for my $i (0 .. $#$on) {
		my ($a, $b) = ($on->[$i], $off->[$i]);
		if (!defined $a || !defined $b || $a <= 0 || $b <= 0) {
			$skipped++;
			next;
		}
		push @r, $a / $b;
		push @idx, $i;
	}
	my $ci = median_ci(\@r, $conf);
	my @z = _robust_z([ map { log } @r ]);
	$ci->{ratios} = \@r;
	$ci->{skipped} = $skipped;
	$ci->{outliers} = [ map { { pair => $idx[$_], ratio => $r[$_] } }
			    grep { $z[$_] > $OUTLIER_Z } 0 .. $#r ];
	return $ci;
}

# Number of ways the Mann-Whitney U of samples of sizes m and n equals
# u, for every u (dynamic programming over the recursion
# N(u; m, n) = N(u - n; m - 1, n) + N(u; m, n - 1)).
sub _mw_counts {
	my ($m, $n) = @_;
	my %memo;
	my $f;
	$f = sub {
		my ($u, $mm, $nn) = @_;
		return 0 if $u < 0;
		return $u == 0 ? 1 : 0 if $mm == 0 || $nn == 0;
		my $key = "$u,$mm,$nn";
		return $memo{$key} //= $f->($u - $nn, $mm - 1, $nn) + $f->($u, $mm, $nn - 1);
	};
	my @c = map { $f->($_, $m, $n) } 0 .. $m * $n;
	undef $f;
	return @c;
}

# P(U <= u) under the null hypothesis.
sub mw_cdf {
	my ($m, $n, $u) = @_;
	my @c = _mw_counts($m, $n);
	my $total = sum(@c);
	return sum(0, @c[0 .. min($u, $#c)]) / $total if $u >= 0;
	return 0;
}

# median(a)/median(b) and the interval of the ratio a/b from the
# m*n pairwise log ratios: [d(k), d(mn+1-k)] with the largest k such that
# P(U <= k - 1) <= (1 - conf) / 2.
sub ratio_of_medians {
	my ($xa, $xb, $conf) = @_;
	$conf //= $CONF;
	my @a = grep { defined && $_ > 0 } @$xa;
	my @b = grep { defined && $_ > 0 } @$xb;
	my ($m, $n) = (scalar @a, scalar @b);
	return { n_a => $m, n_b => $n } unless $m && $n;
	my @d = sort { $a <=> $b } map { my $x = $_; map { log($x / $_) } @b } @a;
	my @c = _mw_counts($m, $n);
	my $total = sum(@c);
	my ($k, $cum) = (1, $c[0]);
	while ($k + 1 <= (@d + 1) / 2 && ($cum + $c[$k]) / $total <= (1 - $conf) / 2) {
		$cum += $c[$k];
		$k++;
	}
	# $cum is P(U <= k - 1) * total
	return {
		n_a => $m, n_b => $n,
		median_a => median(\@a), median_b => median(\@b),
		ratio => median(\@a) / median(\@b),
		hodges_lehmann => exp(median(\@d)),
		lo => exp($d[$k - 1]), hi => exp($d[$#d + 1 - $k]),
		coverage => 1 - 2 * $cum / $total,
	};
}

sub spikes {
	my ($x) = @_;
	my $m = median([ grep { defined } @$x ]);
	return () unless $m;
	return grep { defined $x->[$_] && $x->[$_] > $SPIKE * $m } 0 .. $#$x;
}

# --- self-test: known answers, so a broken formula cannot pass.
sub self_test {
	my ($n, $fail) = (0, 0);
	my $ok = sub {
		my ($cond, $what) = @_;
		$n++;
		print(($cond ? "ok" : "not ok") . " $n - $what\n");
		$fail++ unless $cond;
	};
	my $near = sub { abs($_[0] - $_[1]) < ($_[2] // 1e-9) };

	$ok->(median([3, 1, 2]) == 2, "median of an odd count");
	$ok->(median([4, 1, 3, 2]) == 2.5, "median of an even count");
	$ok->(!defined median([]), "no median of nothing");
	$ok->($near->(binom_cdf_half(20, 5), 21700 / 1048576), "P(Bin(20,1/2) <= 5) = 21700/2^20");
	$ok->($near->(binom_cdf_half(10, 10), 1), "a CDF ends at 1");

	# n = 20: k = 6, coverage 1 - 2*21700/2^20 = 0.9586 (standard table).
	my $ci = median_ci([ 1 .. 20 ]);
	$ok->($ci->{k} == 6 && $ci->{lo} == 6 && $ci->{hi} == 15,
	      "n=20: 95% interval is [x(6), x(15)] (got [$ci->{lo}, $ci->{hi}])");
	$ok->($near->($ci->{coverage}, 0.958611, 1e-6), "n=20: coverage 0.9586");
	$ci = median_ci([ reverse 1 .. 10 ]);
	$ok->($ci->{lo} == 2 && $ci->{hi} == 9 && $near->($ci->{coverage}, 1 - 22 / 1024),
	      "n=10: [x(2), x(9)], coverage 0.9785, input order does not matter");
	$ci = median_ci([ 5, 1, 3 ]);
	$ok->($ci->{lo} == 1 && $ci->{hi} == 5 && $near->($ci->{coverage}, 0.75),
	      "n=3: no 95% interval exists; the range, with its 75%");

	my $p = paired([ 11, 22.4, 32.4, 44.4, 99 ], [ 10, 20, 30, 40, 50 ]);
	$ok->($near->($p->{median}, 1.11), "paired: median of on/off ratios");
	$ok->(@{ $p->{outliers} } == 1 && $p->{outliers}[0]{pair} == 4,
	      "paired: the 1.98 pair among 1.1s is the outlier");
	$p = paired([ 1, undef, 3 ], [ 1, 2, 0 ]);
	$ok->($p->{n} == 1 && $p->{skipped} == 2, "paired: missing and zero runs are skipped");

	# Mann-Whitney, m = n = 5: P(U <= 2) = 4/252; the 5% two-sided
	# critical value is U = 2 (standard table), so k = 3.
	$ok->($near->(mw_cdf(5, 5, 2), 4 / 252), "Mann-Whitney m=n=5: P(U <= 2) = 4/252");
	$ok->($near->(mw_cdf(3, 4, 12), 1), "Mann-Whitney: CDF reaches 1 at m*n");
	my $r = ratio_of_medians([ map { 2 * $_ } 1 .. 5 ], [ 1 .. 5 ]);
	$ok->($near->($r->{ratio}, 2), "ratio of medians 6/3 = 2");
	$ok->($near->($r->{coverage}, 1 - 8 / 252), "m=n=5: coverage 1 - 2*4/252");
	# d(3) and d(23) of the 25 sorted log(2i/j): log(2/5 * 1) ... by hand
	my @d = sort { $a <=> $b } map { my $i = $_; map { log(2 * $i / $_) } 1 .. 5 } 1 .. 5;
	$ok->($near->($r->{lo}, exp($d[2])) && $near->($r->{hi}, exp($d[22])),
	      "m=n=5: interval is [d(3), d(23)]");
	$r = ratio_of_medians([ 100, 101, 102 ], [ 100, 101, 102 ]);
	$ok->($r->{lo} < 1 && $r->{hi} > 1 && $near->($r->{ratio}, 1),
	      "identical groups: the interval contains 1");

	my @s = spikes([ 2.0, 2.1, 2.0, 3.0, 1.9 ]);
	$ok->(@s == 1 && $s[0] == 3, "spikes: the 50% slower run");

	print "1..$n\n";
	return $fail == 0;
}

if (!caller) {
	if (@ARGV == 1 && $ARGV[0] eq '--self-test') {
		exit(self_test() ? 0 : 1);
	}
	print STDERR "usage: perl lab/bench/Stats.pm --self-test\n";
	exit 2;
}

1;
