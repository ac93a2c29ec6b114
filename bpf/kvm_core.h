/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The few KVM kernel types kvmscope's BPF programs read, declared for CO-RE
 * instead of a multi-megabyte vmlinux.h: preserve_access_index makes every
 * field access a relocation that libbpf resolves against the running
 * kernel's BTF (vmlinux for KVM=y, the kvm module's BTF for KVM=m).
 * Only the fields used are listed; their order and offsets here do not matter.
 */
#ifndef KVMSCOPE_KVM_CORE_H
#define KVMSCOPE_KVM_CORE_H

#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "sizes.h"

typedef __u64 gfn_t;
typedef _Bool bool;
#define true 1
#define false 0

struct kvm {
	char stats_id[KS_STATS_ID_LEN];
	int userspace_pid;
} __attribute__((preserve_access_index));

struct kvm_vcpu {
	struct kvm *kvm;
	int vcpu_id;
} __attribute__((preserve_access_index));

union kvm_mmu_page_role {
	__u32 word;
} __attribute__((preserve_access_index));

struct kvm_mmu_page {
	union kvm_mmu_page_role role;
} __attribute__((preserve_access_index));

/*
 * Not KVM's: a process's files, to tell a VM's file (an anonymous inode
 * named "kvm-vm", its private_data the struct kvm) from any other.
 */
struct super_block {
	unsigned long s_magic;
} __attribute__((preserve_access_index));

struct inode {
	struct super_block *i_sb;
} __attribute__((preserve_access_index));

struct qstr {
	const unsigned char *name;
} __attribute__((preserve_access_index));

struct dentry {
	struct qstr d_name;
} __attribute__((preserve_access_index));

struct path {
	struct dentry *dentry;
} __attribute__((preserve_access_index));

struct file {
	struct path f_path;
	struct inode *f_inode;
	void *private_data;
} __attribute__((preserve_access_index));

struct fdtable {
	unsigned int max_fds;
	struct file **fd;
} __attribute__((preserve_access_index));

struct files_struct {
	struct fdtable *fdt;
} __attribute__((preserve_access_index));

/* Its threads not yet exited (do_exit() drops it before its event). */
struct signal_struct {
	struct {
		int counter;
	} live;
} __attribute__((preserve_access_index));

/* What names a VMM: its main thread's comm.  Its files, its threads. */
struct task_struct {
	struct task_struct *group_leader;
	char comm[16];
	struct files_struct *files;
	struct signal_struct *signal;
} __attribute__((preserve_access_index));

/*
 * The comm of the current process's main thread: a VMM's name, where the
 * current thread may be a vCPU thread with a name of its own (QEMU's
 * "CPU 0/KVM").  @dst is a char array.
 */
#define KVMSCOPE_READ_VMM_COMM(dst)					\
	BPF_CORE_READ_STR_INTO(dst,					\
		(struct task_struct *)bpf_get_current_task(),		\
		group_leader, comm)

/*
 * @src->@field, read the cheap way where the verifier allows it.  In a
 * tp_btf program (@btf true) @src is a typed kernel pointer: a plain load,
 * which the JIT makes fault-safe.  In its raw_tp twin @src is a number and
 * only a probe read (a helper call) may follow it.  Handlers shared by the
 * twins take @btf as a constant, so the compiler keeps one branch.
 */
#define KVMSCOPE_READ(btf, src, field)					\
	((btf) ? (src)->field : BPF_CORE_READ(src, field))

/*
 * @kvm's stats_id, its name, into the char array @dst: in a tp_btf program
 * (@btf true) plain loads of the whole array (KVM zeroes struct kvm, so
 * what follows the name is zeroes), in its raw_tp twin a string probe read.
 */
#define KVMSCOPE_READ_STATS_ID(btf, dst, kvm)				\
	do {								\
		if (btf)						\
			__builtin_memcpy(dst, (kvm)->stats_id,		\
					 KS_STATS_ID_LEN);		\
		else							\
			BPF_CORE_READ_STR_INTO(dst, kvm, stats_id);	\
	} while (0)

#endif /* KVMSCOPE_KVM_CORE_H */
