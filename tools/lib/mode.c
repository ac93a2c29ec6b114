// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/btf.h>

#include "mode.h"
#include "tracefs.h"

/*
 * Can this process @mode (F_OK, R_OK | X_OK, ...) @path?  Not access(),
 * which asks for the real uid and, unless it is root, ignores
 * capabilities: a non-root exporter or tool with CAP_DAC_READ_SEARCH can
 * read tracefs, but access() would say it cannot.
 */
static bool can_access(const char *path, int mode)
{
	return !faccessat(AT_FDCWD, path, mode, AT_EACCESS);
}

bool ks_tracefs_has_event(const char *event)
{
	const char *colon = strchr(event, ':');
	const char *root;
	char path[256];

	root = ks_tracefs_dir(path, sizeof(path));
	if (!colon || !root)
		return false;
	snprintf(path, sizeof(path), "%s/events/%.*s/%s", root,
		 (int)(colon - event), event, colon + 1);
	return can_access(path, F_OK);
}

static bool btf_has_type(const struct btf *btf, const char *name)
{
	return btf__find_by_name_kind(btf, name, BTF_KIND_TYPEDEF) > 0;
}

bool ks_btf_has_tracepoint(const char *event)
{
	const char *colon = strchr(event, ':');
	struct btf *vmlinux, *mod;
	struct dirent *de;
	char name[160];
	bool found;
	DIR *dir;

	snprintf(name, sizeof(name), "btf_trace_%s", colon ? colon + 1 : event);
	vmlinux = btf__load_vmlinux_btf();
	if (!vmlinux)
		return false;
	found = btf_has_type(vmlinux, name);

	/* KVM=m: the tracepoint's BTF lives in the module's split BTF. */
	dir = found ? NULL : opendir("/sys/kernel/btf");
	while (dir && !found && (de = readdir(dir))) {
		char path[300];

		if (de->d_name[0] == '.' || !strcmp(de->d_name, "vmlinux"))
			continue;
		snprintf(path, sizeof(path), "/sys/kernel/btf/%s", de->d_name);
		mod = btf__parse_split(path, vmlinux);
		if (!mod)
			continue;
		found = btf_has_type(mod, name);
		btf__free(mod);
	}
	if (dir)
		closedir(dir);
	btf__free(vmlinux);
	return found;
}

static const char *first_missing(const char *const *events)
{
	for (; events && *events; events++)
		if (!ks_tracefs_has_event(*events))
			return *events;
	return NULL;
}

bool ks_tracefs_has_events(const char *const *events)
{
	return !first_missing(events);
}

static const char *first_without_btf(const char *const *events)
{
	for (; events && *events; events++)
		if (!ks_btf_has_tracepoint(*events))
			return *events;
	return NULL;
}

enum ks_mode_kind ks_mode_detect(const struct ks_event_set *series,
				 const struct ks_event_set *fallbacks,
				 struct ks_mode *m)
{
	const char *miss_series, *miss_fb = NULL, *no_btf, *root;
	char path[128];
	int len;

	memset(m, 0, sizeof(*m));
	m->kernel_btf = can_access("/sys/kernel/btf/vmlinux", F_OK);
	if (!m->kernel_btf) {
		snprintf(m->missing, sizeof(m->missing), "BTF");
		snprintf(m->desc, sizeof(m->desc),
			 "the kernel has no BTF (/sys/kernel/btf/vmlinux): it needs CONFIG_DEBUG_INFO_BTF=y");
		return m->kind = KS_MODE_NONE;
	}

	/* Without tracefs every event looks missing: say why instead. */
	root = ks_tracefs_dir(m->desc, sizeof(m->desc));
	if (!root) {
		m->tracefs_errno = errno;
		snprintf(m->missing, sizeof(m->missing), "tracefs");
		return m->kind = KS_MODE_NONE;
	}
	snprintf(path, sizeof(path), "%s/events", root);
	if (!can_access(path, R_OK | X_OK)) {
		m->tracefs_errno = errno;
		snprintf(m->missing, sizeof(m->missing), "tracefs");
		snprintf(m->desc, sizeof(m->desc), "cannot read %s: %s%s",
			 path, strerror(errno),
			 errno == EACCES ? " (run as root)" : "");
		return m->kind = KS_MODE_NONE;
	}

	/* The first (best) set's missing event is what a user can act on. */
	miss_series = first_missing(series[0].events);
	for (int i = 0; series[i].events; i++) {
		if (first_missing(series[i].events))
			continue;
		m->kind = KS_MODE_SERIES;
		m->set = i;
		no_btf = first_without_btf(series[i].events);
		m->tp_btf = !no_btf;
		if (no_btf)
			len = snprintf(m->desc, sizeof(m->desc),
				       "series (raw_tp: no BTF for %s)", no_btf);
		else
			len = snprintf(m->desc, sizeof(m->desc), "series (tp_btf)");
		if (series[i].uses && len > 0 && (size_t)len < sizeof(m->desc))
			snprintf(m->desc + len, sizeof(m->desc) - len,
				 ", using %s", series[i].uses);
		return m->kind;
	}

	for (int i = 0; fallbacks && fallbacks[i].events; i++) {
		miss_fb = first_missing(fallbacks[i].events);
		if (miss_fb)
			continue;
		m->set = i;
		snprintf(m->missing, sizeof(m->missing), "%s", miss_series);
		snprintf(m->desc, sizeof(m->desc),
			 "fallback: kernel without the kvmscope series (no %s), using %s",
			 miss_series, fallbacks[i].uses);
		return m->kind = KS_MODE_FALLBACK;
	}

	/* The last (most basic) set's missing event says the most. */
	if (!miss_fb)
		miss_fb = miss_series;
	snprintf(m->missing, sizeof(m->missing), "%s", miss_fb);
	/* Without a fallback, kvm may well be loaded: the series is missing. */
	if (fallbacks && fallbacks[0].events)
		snprintf(m->desc, sizeof(m->desc),
			 "no %s in tracefs (is kvm loaded?)", miss_fb);
	else
		snprintf(m->desc, sizeof(m->desc),
			 "kernel without the kvmscope series (no %s)", miss_fb);
	return m->kind = KS_MODE_NONE;
}

const char *ks_mode_name(enum ks_mode_kind kind)
{
	switch (kind) {
	case KS_MODE_SERIES:	return "series";
	case KS_MODE_FALLBACK:	return "fallback";
	default:		return "none";
	}
}
