// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Which BPF sources the exporter runs: see source_bpf.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "output.h"
#include "source_bpf.h"
#include "tracefs.h"

/*
 * A source's constructor failed with @err in errno: a short reason for
 * the kvmscope_collector_up label (its log line has the details).  Its
 * events are looked up in tracefs (ENOENT when absent); bpf(2) says EPERM
 * without the capabilities; the verifier's EACCES and the rest are
 * failures to load or attach.
 */
static const char *down_reason(int err)
{
	switch (err) {
	case ENOENT:
		return "no events";
	case EPERM:
		return "not permitted";
	case ENOMEM:
		return "out of memory";
	default:
		return "attach failed";
	}
}

int ks_bpf_sources_add(struct ks_collector *c, const struct exporter_env *env,
		       char *err, size_t err_len)
{
	static const struct {
		const char *name;	/* the source's, also when it fails */
		struct ks_source *(*ctor)(const struct exporter_env *, char *,
					  size_t);
	} ctors[] = {
		{ "conversions", conv_source_new },
		{ "roles", roles_source_new },
		{ "hvflush", hvflush_source_new },
	};
	bool all_series = true;
	char why[256];

	/* Every source needs it: one line saying so, not one per source. */
	if (!ks_tracefs_dir(err, err_len))
		return -errno;
	for (size_t i = 0; i < sizeof(ctors) / sizeof(ctors[0]); i++) {
		struct ks_source *src;

		errno = 0;
		src = ctors[i].ctor(env, why, sizeof(why));
		if (!src) {
			/* Keep serving what can be served, and say what not. */
			p_info("not collecting: %s", why);
			ks_collector_add_down(c, ctors[i].name,
					      down_reason(errno));
			snprintf(err, err_len, "%s", why);
			all_series = false;
			continue;
		}
		p_info("collecting %s: %s", src->name,
		       src->detail ? src->detail : src->mode);
		all_series &= !strcmp(src->mode, "series");
		ks_collector_add(c, src);
	}
	if (!c->nr_sources) {
		snprintf(err + strlen(err), err_len - strlen(err),
			 "; nothing attachable");
		return -ENOENT;
	}
	c->ropts.mode = all_series ? "series" : "fallback";
	return 0;
}
