/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Synthetic map contents, for tests, benchmarks and demos without KVM.
 *
 * A spec file lists the live VMs, one per line:
 *
 *	# id       attributes (all optional)
 *	kvm-1001   name=web-1 vcpus=64 rate=20
 *	kvm-1002   hold
 *
 * It is re-read on every collection, so a test creates a VM by adding a
 * line and destroys it by removing the line.  Each listed VM's counters
 * grow deterministically with the time since it was first listed: @rate
 * conversions per second split between the directions, @rate role
 * computations and Hyper-V flush requests per second per vCPU, with fixed
 * shapes for the histograms, no-ops, overflows etc.  "hold" stops a VM's
 * counters where they are when the spec first says so (a new VM: at 0),
 * so that a test can compare what two readers saw at different instants;
 * without it they resume, counted from the first sighting again.  The numbers are
 * plausible, not a model of a real guest; what matters is that they go
 * through the same store and rendering as the BPF map contents.
 */
#ifndef KVMSCOPE_EXPORTER_SOURCE_SYNTH_H
#define KVMSCOPE_EXPORTER_SOURCE_SYNTH_H

#include <stddef.h>
#include <sys/types.h>

#include "source.h"

#define SYNTH_MAX_VMS	4096
#define SYNTH_MAX_VCPUS	4096	/* KVM_MAX_VCPU_IDS on x86 */

struct synth_vm {
	char id[KS_STATS_ID_LEN];
	char name[KS_VM_NAME_LEN];
	int vcpus;
	unsigned int rate;
	int hold;
	double first_seen;	/* set by the source, not the parser */
	double held_at;		/* with hold: the age the counters stopped at */
};

/*
 * Parse a spec (@len bytes, need not be NUL-terminated).  Returns the
 * number of VMs (into a malloc'ed *@vms) or -EINVAL with a message naming
 * the line in @err.
 */
int synth_parse(const char *text, size_t len, struct synth_vm **vms,
		char *err, size_t err_len);

/* Fill @vm's counters as they are @elapsed seconds after it appeared. */
void synth_fill(struct ks_store *store, struct ks_vm *vm,
		const struct synth_vm *spec, double elapsed);

/*
 * A source reading @path on every collection, only VMs "kvm-<@pid>" if
 * @pid is not 0.  The spec is validated now: NULL with a message in @err
 * if it cannot be read or parsed.
 */
struct ks_source *synth_source_new(const char *path, pid_t pid, char *err,
				   size_t err_len);

#endif /* KVMSCOPE_EXPORTER_SOURCE_SYNTH_H */
