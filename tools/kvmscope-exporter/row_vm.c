// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The store's VM of a kernel row: see row_vm.h. */
#include <string.h>

#include "args.h"
#include "row_vm.h"
#include "tdx_trace.h"
#include "utf8.h"
#include "vmname.h"

struct ks_vm *ks_store_row_vm(struct ks_store *s, const char *stats_id,
			      int pid, const char *comm)
{
	bool alive = ks_pid_exists(pid);
	char id[KS_STATS_ID_LEN];
	const char *name;
	struct ks_vm *vm;

	ks_vm_stats_id(id, sizeof(id), stats_id, pid);
	vm = alive ? ks_store_vm(s, id) : ks_store_gone_vm(s, id);
	if (!vm)
		return NULL;
	vm->pid = pid;
	if (vm->name[0])
		return vm;
	name = s->names ? ks_vm_cache_lookup(s->names, pid) : NULL;
	/* Whole characters only; the kernel's comm may hold any bytes. */
	if (name)
		ks_utf8_copy(vm->name, sizeof(vm->name), name, strlen(name));
	else if (comm)
		ks_utf8_copy(vm->name, sizeof(vm->name), comm, TDX_COMM_LEN);
	return vm;
}
