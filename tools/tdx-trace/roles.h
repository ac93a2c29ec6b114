/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef TDX_TRACE_ROLES_H
#define TDX_TRACE_ROLES_H

#include <stdbool.h>

struct tdx_env;
struct tdx_roles_bpf;
struct bpf_program;

/* The events roles needs: the kvmscope series only, no fallback. */
extern const char *const tdx_roles_series_events[];

/*
 * Set autoload so the kvm_mmu_role program is loaded once, as tp_btf or
 * as its raw_tp twin, and the kvm_init_mmu fentry/fexit pair only with
 * @init_cost.  Call between open and load.  Used by the tool, the
 * exporter and the BPF tests.
 */
void tdx_roles_select_progs(struct tdx_roles_bpf *skel, bool tp_btf,
			    bool init_cost);

/* The kvm_mmu_role program tdx_roles_select_progs() chose. */
struct bpf_program *tdx_roles_role_prog(const struct tdx_roles_bpf *skel);

/* "tdx-trace roles": returns the process exit code. */
int cmd_roles(const struct tdx_env *env);

#endif /* TDX_TRACE_ROLES_H */
