// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* VM names by VMM pid, looked up once: see vmcache.h. */
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "utf8.h"
#include "vmcache.h"
#include "vmname.h"

static struct ks_vm_cache_entry *lookup(struct ks_vm_cache *c, pid_t pid)
{
	struct ks_vm_cache_entry *e;
	size_t i;

	for (i = 0; i < c->nr; i++)
		if (c->v[i].pid == pid)
			return &c->v[i];
	if (c->nr < KS_VM_CACHE_MAX) {
		if (ks_grow((void **)&c->v, &c->cap, c->nr + 1, sizeof(*c->v)))
			return NULL;
		e = &c->v[c->nr++];
	} else {
		e = &c->v[c->next++ % KS_VM_CACHE_MAX];
	}
	e->pid = pid;
	e->found = !ks_vm_name(pid, e->name, sizeof(e->name));
	return e;
}

const char *ks_vm_cache_lookup(struct ks_vm_cache *c, pid_t pid)
{
	const struct ks_vm_cache_entry *e = lookup(c, pid);

	return e && e->found ? e->name : NULL;
}

const char *ks_vm_cache_name(struct ks_vm_cache *c, pid_t pid,
			     const char *fallback)
{
	const char *name = ks_vm_cache_lookup(c, pid);

	if (name)
		return name;
	if (!fallback || !fallback[0])
		return "?";
	ks_utf8_copy(c->fallback, sizeof(c->fallback), fallback,
		     strlen(fallback));
	return c->fallback;
}

void ks_vm_cache_forget(struct ks_vm_cache *c, pid_t pid)
{
	size_t i;

	for (i = 0; i < c->nr; i++) {
		if (c->v[i].pid == pid) {
			c->v[i] = c->v[--c->nr];
			return;
		}
	}
}

void ks_vm_cache_free(struct ks_vm_cache *c)
{
	free(c->v);
	*c = (struct ks_vm_cache){};
}
