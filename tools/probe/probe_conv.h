/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * bpf/conversions.bpf.c, for tdx-trace conversions and the exporter: its
 * events per kernel (the series, else the upstream fallback, and the
 * opt-in MapGPA latency events), which program set to load, loading and
 * attaching it, and dropping a VMM's rows.
 */
#ifndef KVMSCOPE_PROBE_CONV_H
#define KVMSCOPE_PROBE_CONV_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "mapdump.h"
#include "mode.h"
#include "probe.h"
#include "conversions.h"

struct conversions_bpf;

/*
 * The event sets, for ks_mode_detect(): the series (upstream's
 * kvm_vm_set_mem_attributes, the series' _done and zap summaries), or else
 * one of the upstream fallbacks, best first.  The MapGPA latency programs
 * (opt-in, every mode) need conv_mapgpa_events.
 */
extern const struct ks_event_set conv_series[];
enum conv_fallback {
	CONV_FB_ATTR_EVENT,	/* kvm:kvm_vm_set_mem_attributes (6.17+) */
	CONV_FB_IOCTL,		/* the ioctl's entry */
};
extern const struct ks_event_set conv_fallbacks[];
extern const char *const conv_mapgpa_events[];

/*
 * The MapGPA latency program sets, ORed: the hypercall's, one of two ways,
 * and where the series traces them, TDX's MapGPA and SNP's page state
 * changes, which never reach kvm_hypercall.
 */
enum conv_mapgpa {
	CONV_MAPGPA_HYPERCALL = 1,	/* to the next kvm_entry (conv_mapgpa_events) */
	CONV_MAPGPA_TDX = 2,	/* kvm_tdx_map_gpa{,_done}, chunk exits */
	CONV_MAPGPA_SNP = 4,	/* kvm_snp_psc{,_msr}{,_done}, chunk exits */
	CONV_MAPGPA_HCALL_DONE = 8,	/* to the series' kvm_hypercall_done */
};

/*
 * The sets tracefs has events for: the series' hypercall set where it has
 * kvm_hypercall_done, else CONV_MAPGPA_HYPERCALL if it has
 * conv_mapgpa_events; and the vendor sets.  0: MapGPA cannot be measured.
 */
unsigned int conv_mapgpa_sets(void);
/* What --mapgpa needs, for the error when conv_mapgpa_sets() is 0. */
extern const char conv_mapgpa_needs[];
/* What a fallback cannot see: for the mode line, and JSON's "unavailable". */
extern const char *const conv_fallback_unseen[];	/* by enum conv_fallback */
extern const char *const conv_fallback_unavailable[];	/* NULL-terminated */

/* ks_mode_detect() with the series and the fallbacks. */
enum ks_mode_kind conv_probe_detect(struct ks_mode *m);

/* Which of conversions.bpf.c's program sets to load. */
enum conv_progs {
	CONV_PROGS_SERIES_BTF,	/* the series, tp_btf programs */
	CONV_PROGS_SERIES_RAW,	/* the series, raw_tp twins */
	CONV_PROGS_ATTR_EVENT,	/* kvm_vm_set_mem_attributes + ioctl on VM files */
	CONV_PROGS_IOCTL,	/* ioctl entry and exit on VM files */
};

/*
 * Set autoload so exactly one program set (plus the MapGPA latency sets
 * @mapgpa, enum conv_mapgpa ORed) is loaded, and tell the programs
 * whether MapGPA is measured.  Before load.  Used by the probe and by the
 * BPF tests.
 */
void conv_select_progs(struct conversions_bpf *skel, enum conv_progs which,
		       unsigned int mapgpa);

/* What the programs filter and do, set before load. */
struct conv_probe_opts {
	pid_t pid;			/* 0: every VMM */
	const char *vm;			/* stats id, NULL or "": every VM */
	__u64 min_ns;			/* shorter conversions are not streamed */
	enum conv_dir_filter dir;
	bool stream;			/* each conversion to the ring buffer */
	bool mapgpa;			/* MapGPA latency programs too */
};

/* The object, loaded and attached, and its maps. */
struct conv_probe {
	struct conversions_bpf *skel;
	struct ks_probe bpf;		/* skel's object and links */
	int stats_fd;			/* slot -> conv_vmm */
	int slots_fd;			/* VMM pid -> its slot */
	__u32 nr_slots;			/* of stats */
	struct conv_vmm *seen;		/* conv_probe_drain()'s last reads */
	int mapgpa_fd;			/* mapgpa_key -> its slot in mapgpa_rows */
	int mapgpa_rows_fd;		/* slot -> mapgpa_row */
	__u32 nr_mapgpa_rows;		/* of mapgpa_rows */
	int events_fd;			/* ring buffer of conv_event */
	int lost_fd;			/* per-CPU, enum tdx_lost */
	unsigned int mapgpa_sets;	/* enum conv_mapgpa loaded, ORed */
};

/*
 * Load for mode @m (series: tp_btf, else raw_tp; the fallback's set) and
 * attach.
 * Returns 0, or -errno with the reason in @err.
 */
int conv_probe_open(struct conv_probe *p, const struct ks_mode *m,
		    const struct conv_probe_opts *o, char *err, size_t err_len);
void conv_probe_close(struct conv_probe *p);

/*
 * Hand every slot of the stats and mapgpa_rows arrays to the programs
 * (their free lists):
 * after load, before they run.  Used by the probe and by the BPF tests.
 * Returns 0 or -errno.
 */
int conv_probe_init_slots(struct conversions_bpf *skel);

/*
 * Each row (VMM, direction) with conversions, as the kernel holds it, to
 * @fn(@ctx, struct conv_key *, struct conv_stats *); a VMM whose pid was
 * reused may have two rows of one key.  Returns the number of rows or the
 * first error.
 */
int conv_probe_rows(const struct conv_probe *p, ks_map_take_fn fn, void *ctx);

/*
 * What each row counted since the last call (rows that counted nothing
 * left out), as ks_map_drain() would move it; the slots of exited VMMs are
 * freed once read.  Returns 0 or the first error.
 */
int conv_probe_drain(struct conv_probe *p, ks_map_take_fn fn, void *ctx);

/* Drop the rows of VMM @pid: its slots go back to the free list. */
void conv_probe_delete_pid(const struct conv_probe *p, __u32 pid);

/*
 * Each MapGPA row (VMM, vCPU), as the kernel holds it, to @fn(@ctx, struct
 * mapgpa_key *, struct mapgpa_stats *).  Returns the number of rows or the
 * first error.
 */
int conv_probe_mapgpa_rows(const struct conv_probe *p, ks_map_take_fn fn,
			   void *ctx);

/*
 * Move every MapGPA row to @fn (as ks_map_drain() would: each row's slot
 * freed once read), and give every VMM its share of rows
 * (MAPGPA_VMM_MAX_ROWS) back.  Returns 0 or -errno.
 */
int conv_probe_drain_mapgpa(const struct conv_probe *p, ks_map_take_fn fn,
			    void *ctx);

#endif /* KVMSCOPE_PROBE_CONV_H */
