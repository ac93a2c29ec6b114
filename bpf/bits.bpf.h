/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Bit helpers for in-kernel log2 histograms. */
#ifndef KVMSCOPE_BITS_BPF_H
#define KVMSCOPE_BITS_BPF_H

/*
 * floor(log2(v)), 0 for v 0 and 1, by De Bruijn multiplication: the bits
 * below the highest set, times the constant, index a table in 64 ways.
 * Branch-free and half the instructions of a binary search over the
 * halves: it runs on events bpftrace's count() is the yardstick of.
 */
static const __u8 log2_debruijn[64] = {
	 0, 47,  1, 56, 48, 27,  2, 60, 57, 49, 41, 37, 28, 16,  3, 61,
	54, 58, 35, 52, 50, 42, 21, 44, 38, 32, 29, 23, 17, 11,  4, 62,
	46, 55, 26, 59, 40, 36, 15, 53, 34, 51, 20, 43, 31, 22, 10, 45,
	25, 39, 14, 33, 19, 30,  9, 24, 13, 18,  8, 12,  7,  6,  5, 63,
};

/* Slot of a log2 histogram: 0 holds 0 and 1, slot n holds [2^n, 2^(n+1)). */
static __always_inline __u64 log2_u64(__u64 v)
{
	v |= v >> 1;
	v |= v >> 2;
	v |= v >> 4;
	v |= v >> 8;
	v |= v >> 16;
	v |= v >> 32;
	return log2_debruijn[(v * 0x03f79d71b4cb0a89ULL) >> 58];
}

#endif /* KVMSCOPE_BITS_BPF_H */
