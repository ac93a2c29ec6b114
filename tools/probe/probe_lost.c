// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The lost-event counters of the tdx objects: see probe_lost.h. */
#include "percpu.h"
#include "probe.h"
#include "probe_lost.h"

int tdx_read_lost(int map_fd, const struct bpf_object *obj,
		  uint64_t lost[TDX_NR_LOST])
{
	int err = ks_percpu_sums(map_fd, lost, TDX_NR_LOST);

	if (!err)
		lost[TDX_LOST_MISSED] = ks_probe_missed(obj);
	return err;
}

uint64_t tdx_lost_total(const uint64_t lost[TDX_NR_LOST])
{
	uint64_t sum = 0;
	int i;

	for (i = 0; i < TDX_NR_LOST; i++)
		sum += lost[i];
	return sum;
}

const char *tdx_lost_name(unsigned int idx)
{
	static const char *const names[TDX_NR_LOST] = {
		[TDX_LOST_RINGBUF] = "ringbuf",
		[TDX_LOST_INFLIGHT_FULL] = "inflight_full",
		[TDX_LOST_STATS_FULL] = "stats_full",
		[TDX_LOST_TRANS_FULL] = "transitions_full",
		[TDX_LOST_MAPGPA_FULL] = "mapgpa_full",
		[TDX_LOST_UNKNOWN_ROLE] = "unknown_role",
		[TDX_LOST_MAPGPA_VMM_CAP] = "mapgpa_vmm_cap",
		[TDX_LOST_MISSED] = "missed",
	};

	return idx < TDX_NR_LOST ? names[idx] : "?";
}
