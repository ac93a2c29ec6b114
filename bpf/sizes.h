/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The sizes the BPF programs, the tools and the exporter share: the one
 * place each is defined.
 */
#ifndef KVMSCOPE_SIZES_H
#define KVMSCOPE_SIZES_H

/* Mirrors KVM_STATS_NAME_SIZE: "kvm-<pid>" for VMs. */
#define KS_STATS_ID_LEN	48

/*
 * Log2 slots of every kernel histogram (bits.bpf.h layout): slot n counts
 * [2^n, 2^(n+1)); the last slot also holds everything larger (2^39 ns is
 * ~9 minutes).
 */
#define KS_HIST_SLOTS	40

#endif /* KVMSCOPE_SIZES_H */
