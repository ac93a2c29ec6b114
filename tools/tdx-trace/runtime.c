// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "output.h"
#include "runtime.h"
#include "signals.h"
#include "termtext.h"
#include "vmcache.h"
#include "vmmatch.h"
#include "vmname.h"

void tdx_print_lost(FILE *f, const uint64_t lost[TDX_NR_LOST])
{
	int i;

	fprintf(f, "Lost events: %llu (", (unsigned long long)tdx_lost_total(lost));
	for (i = 0; i < TDX_NR_LOST; i++)
		fprintf(f, "%s%s %llu", i ? ", " : "", tdx_lost_name(i),
			(unsigned long long)lost[i]);
	fprintf(f, ")\n");
}

void tdx_json_lost(json_writer_t *w, const uint64_t lost[TDX_NR_LOST])
{
	int i;

	jsonw_name(w, "lost");
	jsonw_start_object(w);
	jsonw_uint_field(w, "total", tdx_lost_total(lost));
	for (i = 0; i < TDX_NR_LOST; i++)
		jsonw_uint_field(w, tdx_lost_name(i), lost[i]);
	jsonw_end_object(w);
}

const char *tdx_vm_name(pid_t pid, const char *comm)
{
	static struct ks_vm_cache cache;

	return ks_vm_cache_name(&cache, pid, comm);
}

const char *tdx_kernel_vm(const char *pattern)
{
	return ks_vm_pattern_is_stats_id(pattern) ? pattern : NULL;
}

bool tdx_vm_wanted(const char *pattern, const char *stats_id, pid_t pid,
		   const char *comm)
{
	char id[KS_STATS_ID_LEN + 1];

	if (!pattern[0])
		return true;
	ks_vm_stats_id(id, sizeof(id), stats_id, pid);
	return ks_vm_match(pattern, tdx_vm_name(pid, comm), id);
}

void tdx_vm_label(char *buf, size_t len, const char *stats_id, __u32 pid)
{
	char id[KS_STATS_ID_LEN + 1];

	if (!stats_id[0]) {
		snprintf(buf, len, "pid:%u", pid);
		return;
	}
	snprintf(id, sizeof(id), "%.*s", KS_STATS_ID_LEN, stats_id);
	ks_term_name(buf, len, id, 0);
}

void tdx_json_vm(json_writer_t *w, const char *stats_id, __u32 pid,
		 const char *name)
{
	char vm[KS_STATS_ID_LEN + 1];

	if (stats_id[0]) {
		snprintf(vm, sizeof(vm), "%.*s", KS_STATS_ID_LEN, stats_id);
		jsonw_string_field(w, "vm", vm);
	} else {
		jsonw_null_field(w, "vm");
	}
	jsonw_uint_field(w, "pid", pid);
	jsonw_string_field(w, "name", name);
}

void tdx_json_summary_start(json_writer_t *w, bool final, const char *mode,
			    double interval)
{
	jsonw_start_object(w);
	jsonw_string_field(w, "type", final ? "final" : "interval");
	jsonw_string_field(w, "mode", mode);
	jsonw_float_field(w, "time", tdx_now_wall());
	jsonw_float_field(w, "interval_s", interval);
}

void tdx_vm_names_prefetch(int map_fd, size_t key_size)
{
	char key[64], next[64];
	void *prev = NULL;
	__u32 pid;

	if (key_size > sizeof(key) || key_size < sizeof(pid))
		return;
	while (!bpf_map_get_next_key(map_fd, prev, next)) {
		memcpy(&pid, next, sizeof(pid));
		tdx_vm_name(pid, NULL);
		memcpy(key, next, key_size);
		prev = key;
	}
}

void tdx_format_time(double wall, char *buf, size_t len)
{
	time_t secs = (time_t)wall;
	struct tm tm;

	localtime_r(&secs, &tm);
	snprintf(buf, len, "%02d:%02d:%02d.%03d", tm.tm_hour, tm.tm_min,
		 tm.tm_sec, (int)((wall - (double)secs) * 1000) % 1000);
}

static double clock_secs(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double tdx_now_mono(void)
{
	return clock_secs(CLOCK_MONOTONIC);
}

double tdx_now_wall(void)
{
	return clock_secs(CLOCK_REALTIME);
}

double tdx_mono_to_wall_offset(void)
{
	return clock_secs(CLOCK_REALTIME) - clock_secs(CLOCK_MONOTONIC);
}

void tdx_sleep_until(double deadline)
{
	double left;

	while (!ks_exiting && (left = deadline - tdx_now_mono()) > 0) {
		struct timespec ts = {
			.tv_sec = (time_t)left,
			.tv_nsec = (long)((left - (double)(time_t)left) * 1e9),
		};

		nanosleep(&ts, NULL);	/* EINTR on SIGINT/SIGTERM */
	}
}

void tdx_print_report_header(bool final, double interval)
{
	char ts[32];

	if (final) {
		printf("\nSummary (whole run):\n");
		return;
	}
	tdx_format_time(tdx_now_wall(), ts, sizeof(ts));
	printf("\n%.8s interval of %gs\n", ts, interval);
}

double tdx_wake_time(double deadline)
{
	double soon = tdx_now_mono() + 1;

	return deadline && deadline < soon ? deadline : soon;
}
