// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * floor-run: what single BPF operations cost on a KVM event here.  Loads
 * bpf/bench_floor.bpf.c and, ROUNDS times, attaches each of its programs
 * alone, runs WORKLOAD once and detaches it, printing the program's
 * run_cnt and run_time_ns for that run (kernel.bpf_stats_enabled must be
 * 1).  One program at a time: programs sharing an event share its cache
 * and TLB misses, and the first would pay for all.
 *
 * usage: floor-run [-v] ROUNDS WORKLOAD [ARG...]
 * stdout: a header line, then per program run
 * "round<TAB>program<TAB>run_cnt<TAB>run_time_ns<TAB>workload exit"
 * Exit: 0; 1 load/attach/run failure; 2 bad command line.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "output.h"
#include "bench_floor.skel.h"

static int prog_stats(const struct bpf_program *prog, struct bpf_prog_info *info)
{
	__u32 len = sizeof(*info);

	memset(info, 0, len);
	return bpf_obj_get_info_by_fd(bpf_program__fd(prog), info, &len);
}

/* Run the workload once, its output discarded; its exit status or -1. */
static int run_workload(char **argv)
{
	pid_t pid = fork();
	int status, fd;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		fd = open("/dev/null", O_WRONLY);
		if (fd >= 0) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
		}
		execv(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

int main(int argc, char **argv)
{
	struct bench_floor_bpf *obj = NULL;
	struct bpf_prog_info before, after;
	struct bpf_program *prog;
	struct bpf_link *link;
	int round, rounds, rc, status = KS_EXIT_FAIL;

	if (argc > 1 && !strcmp(argv[1], "-v")) {
		ks_verbose = true;
		argc--, argv++;
	}
	if (argc < 3 || (rounds = atoi(argv[1])) <= 0) {
		fprintf(stderr, "usage: floor-run [-v] ROUNDS WORKLOAD [ARG...]\n");
		return KS_EXIT_USAGE;
	}
	ks_setup_libbpf();
	obj = bench_floor_bpf__open_and_load();
	if (!obj) {
		p_err("loading bench_floor: %s", strerror(errno));
		return KS_EXIT_FAIL;
	}
	printf("round\tprogram\trun_cnt\trun_time_ns\trc\n");
	for (round = 1; round <= rounds; round++) {
		bpf_object__for_each_program(prog, obj->obj) {
			if (prog_stats(prog, &before))
				goto cleanup;
			link = bpf_program__attach(prog);
			if (!link) {
				p_err("attaching %s: %s", bpf_program__name(prog),
				      strerror(errno));
				goto cleanup;
			}
			rc = run_workload(argv + 2);
			bpf_link__destroy(link);
			if (prog_stats(prog, &after))
				goto cleanup;
			printf("%d\t%s\t%llu\t%llu\t%d\n", round, bpf_program__name(prog),
			       (unsigned long long)(after.run_cnt - before.run_cnt),
			       (unsigned long long)(after.run_time_ns - before.run_time_ns),
			       rc);
			fflush(stdout);
			if (rc) {
				p_err("%s exited %d", argv[2], rc);
				goto cleanup;
			}
		}
	}
	status = 0;
cleanup:
	bench_floor_bpf__destroy(obj);
	return status;
}
