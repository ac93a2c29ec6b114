/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What the running kernel offers a kvmscope tool: the kvmscope series
 * tracepoints, in one of the versions the tool reads (and whether tp_btf
 * can attach to them, which needs their btf_trace_<event> type in vmlinux
 * or the kvm module's BTF), or only the upstream events a fallback can
 * use.  The result's description is what tools print on their "mode:" line
 * and in the JSON "mode" field.
 *
 * Events are named "system:event" ("kvm:kvm_vm_set_mem_attributes_done").
 */
#ifndef KVMSCOPE_MODE_H
#define KVMSCOPE_MODE_H

#include <stdbool.h>

enum ks_mode_kind {
	KS_MODE_NONE,		/* neither the series nor the fallback events */
	KS_MODE_SERIES,		/* every event of one series set exists */
	KS_MODE_FALLBACK,	/* series missing, every fallback event exists */
};

/*
 * A set of events a tool can work from: one version of the series' events,
 * or upstream events a fallback can use.  A tool lists its sets best first;
 * the first whose events all exist is used.
 */
struct ks_event_set {
	const char *const *events;	/* NULL-terminated */
	/*
	 * For the mode line: "using <uses>".  A series set may have none
	 * (the current version of the series).
	 */
	const char *uses;
};

struct ks_mode {
	enum ks_mode_kind kind;
	int set;		/* index of the series or fallback set used */
	bool kernel_btf;	/* /sys/kernel/btf/vmlinux: CO-RE possible */
	bool tp_btf;		/* series mode and every series event has BTF */
	int tracefs_errno;	/* tracefs unreadable (EACCES: not root), or 0 */
	char missing[96];	/* first missing event (or "BTF"), "" if none */
	char desc[256];		/* one line for humans, see ks_mode_detect() */
};

/* Does tracefs list "system:event"? */
bool ks_tracefs_has_event(const char *event);

/* Does it list every event of the NULL-terminated @events? */
bool ks_tracefs_has_events(const char *const *events);

/*
 * Does the kernel's BTF (vmlinux, then every module in /sys/kernel/btf)
 * have btf_trace_<event name>, i.e. can tp_btf attach to it?
 */
bool ks_btf_has_tracepoint(const char *event);

/*
 * Classify the kernel for a tool needing all the events of one of @series
 * or, failing that, of one of @fallbacks (each best first, ended by an
 * entry without events; @fallbacks may be NULL).  The choice is by what
 * tracefs and BTF contain, never by kernel version.
 * desc is e.g. "series (tp_btf)", "series (raw_tp: no BTF for
 * kvmmmu:kvm_mmu_role)", "series (tp_btf), using <the set's uses>",
 * "fallback: kernel without the kvmscope series (no <the first series
 * set's first missing event>), using <the set's uses>"; with
 * neither, it says why in words a user can act on (never the mode's
 * name): "no kvm:kvm_hypercall in tracefs (is kvm loaded?)", or, when
 * tracefs itself is missing or unreadable (m->tracefs_errno set), what
 * ks_tracefs_dir() said or "cannot read /sys/kernel/tracing/events:
 * Permission denied (run as root)".
 * Returns m->kind.
 */
enum ks_mode_kind ks_mode_detect(const struct ks_event_set *series,
				 const struct ks_event_set *fallbacks,
				 struct ks_mode *m);

/* Short stable name for JSON: "series", "fallback" or "none". */
const char *ks_mode_name(enum ks_mode_kind kind);

#endif /* KVMSCOPE_MODE_H */
