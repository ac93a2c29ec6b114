/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The size of a VM's KVM stats id, shared by the BPF programs, the tools
 * and the exporter: the one place it is defined.
 */
#ifndef KVMSCOPE_STATS_ID_H
#define KVMSCOPE_STATS_ID_H

/* Mirrors KVM_STATS_NAME_SIZE: "kvm-<pid>" for VMs. */
#define KVMSCOPE_STATS_ID_LEN	48

#endif /* KVMSCOPE_STATS_ID_H */
