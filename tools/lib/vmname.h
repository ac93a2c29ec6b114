/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Naming VMs for humans.  The kernel identifies a VM by kvm->stats_id
 * ("kvm-<pid>" of the VMM process that created it); operators know it by
 * the name they gave QEMU (-name foo or -name guest=foo,...), else by the
 * VMM's comm.  Whatever bytes those are, the names given out here are
 * valid UTF-8, cut between characters to fit (ks_utf8_copy()): one place
 * for every output to rely on.
 */
#ifndef KVMSCOPE_VMNAME_H
#define KVMSCOPE_VMNAME_H

#include <stddef.h>
#include <sys/types.h>

/*
 * The guest name in a NUL-separated argv block (/proc/<pid>/cmdline):
 * the value of "-name"/"--name", whose QemuOpts form is "foo[,k=v...]" or
 * "guest=foo[,k=v...]" with ",," standing for a literal comma.  Returns 0
 * and fills @buf, or -ENOENT if there is no -name.
 */
int ks_vm_name_from_cmdline(const char *cmdline, size_t len, char *buf,
			    size_t buf_len);

/* /proc/<pid>/comm without its newline.  Returns 0 or -errno. */
int ks_proc_comm(pid_t pid, char *buf, size_t buf_len);

/*
 * Best name for the VM whose VMM is @pid: the QEMU -name, else comm, else
 * "?" (the process is gone).  Always fills @buf; returns 0 if a name was
 * found.
 */
int ks_vm_name(pid_t pid, char *buf, size_t buf_len);

/* The PID in a stats_id "kvm-<pid>", or -1 if it is not of that form. */
pid_t ks_stats_id_pid(const char *stats_id);

/*
 * The stats id of a row's VM: @stats_id, else (fallback mode rows carry
 * none, NULL or "") the one KVM gives the VMs of VMM @pid, "kvm-<pid>".
 */
void ks_vm_stats_id(char *buf, size_t len, const char *stats_id, pid_t pid);

#endif /* KVMSCOPE_VMNAME_H */
