// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Which BPF sources the exporter runs: see source_bpf.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "output.h"
#include "source_bpf.h"
#include "tracefs.h"

int ks_bpf_sources_add(struct ks_collector *c, const struct exporter_env *env,
		       char *err, size_t err_len)
{
	struct ks_source *(*const ctors[])(const struct exporter_env *, char *,
					   size_t) = {
		conv_source_new, roles_source_new, hvflush_source_new,
	};
	bool all_series = true;
	char why[256];

	/* Every source needs it: one line saying so, not one per source. */
	if (!ks_tracefs_dir(err, err_len))
		return -errno;
	for (size_t i = 0; i < sizeof(ctors) / sizeof(ctors[0]); i++) {
		struct ks_source *src = ctors[i](env, why, sizeof(why));

		if (!src) {
			/* Keep serving what can be served. */
			p_info("not collecting: %s", why);
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
