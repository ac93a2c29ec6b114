/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef TDX_TRACE_ROLES_H
#define TDX_TRACE_ROLES_H

struct tdx_env;

/* "tdx-trace roles": returns the process exit code. */
int cmd_roles(const struct tdx_env *env);

#endif /* TDX_TRACE_ROLES_H */
