/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Bit helpers for in-kernel log2 histograms (as in libbpf-tools). */
#ifndef KVMSCOPE_BITS_BPF_H
#define KVMSCOPE_BITS_BPF_H

static __always_inline __u64 log2_u32(__u32 v)
{
	__u32 shift, r;

	r = (v > 0xFFFF) << 4; v >>= r;
	shift = (v > 0xFF) << 3; v >>= shift; r |= shift;
	shift = (v > 0xF) << 2; v >>= shift; r |= shift;
	shift = (v > 0x3) << 1; v >>= shift; r |= shift;
	r |= (v >> 1);
	return r;
}

/* Slot of a log2 histogram: 0 holds 0 and 1, slot n holds [2^n, 2^(n+1)). */
static __always_inline __u64 log2_u64(__u64 v)
{
	__u32 hi = v >> 32;

	return hi ? log2_u32(hi) + 32 : log2_u32(v);
}

#endif /* KVMSCOPE_BITS_BPF_H */
