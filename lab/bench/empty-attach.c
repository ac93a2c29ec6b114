// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * empty-attach: attach bpf/bench_empty.bpf.c's empty program to each event
 * named on the command line and hold them until SIGINT/SIGTERM.  `make
 * bench` runs it beside a tool, with kernel.bpf_stats_enabled=1, to get
 * the per-event floor the tool's programs are compared with, and alone, to
 * get what the tracepoint dispatch costs a workload.
 *
 * usage: empty-attach [-v] [-b] EVENT...
 * -b: tp_btf where bench_empty.bpf.c has that twin and the kernel's BTF
 * has the event, as hvflush-top decides; raw_tp otherwise.
 * Once everything is attached, prints one "<prog id> <event>" line per
 * program and then "ready" on stdout.  Exit: 0; 1 load/attach failure (e.g. the
 * kernel lacks the event); 2 an event bench_empty.bpf.c has no program for.
 *
 * Built by lab/bench.sh (not a kvmscope tool: it measures, it observes
 * nothing), against the skeleton the top-level Makefile generates.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "mode.h"
#include "output.h"
#include "signals.h"
#include "bench_empty.skel.h"

/* More than bench_empty.bpf.c has programs. */
#define MAX_LINKS 32

/* "raw_tp/kvm_entry" and "tracepoint/syscalls/sys_enter_ioctl" -> the event. */
static const char *prog_event(const struct bpf_program *prog)
{
	const char *sec = bpf_program__section_name(prog);
	const char *slash = strrchr(sec, '/');

	return slash ? slash + 1 : sec;
}

static bool is_tp_btf(const struct bpf_program *prog)
{
	return !strncmp(bpf_program__section_name(prog), "tp_btf/", 7);
}

/* Whether EVENT's tp_btf twin is the one to load (-b). */
static bool use_tp_btf(struct bench_empty_bpf *obj, const char *event)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, obj->obj)
		if (is_tp_btf(prog) && !strcmp(prog_event(prog), event))
			return ks_btf_has_tracepoint(event);
	return false;
}

static int select_programs(struct bench_empty_bpf *obj, int argc, char **argv,
			   bool btf)
{
	struct bpf_program *prog;
	int i, found;
	bool tp_btf;

	bpf_object__for_each_program(prog, obj->obj)
		bpf_program__set_autoload(prog, false);
	for (i = 0; i < argc; i++) {
		found = 0;
		tp_btf = btf && use_tp_btf(obj, argv[i]);
		bpf_object__for_each_program(prog, obj->obj) {
			if (strcmp(prog_event(prog), argv[i]) ||
			    is_tp_btf(prog) != tp_btf)
				continue;
			bpf_program__set_autoload(prog, true);
			found = 1;
		}
		if (!found) {
			p_err("no empty program for event '%s' in bench_empty.bpf.c",
			      argv[i]);
			return -EINVAL;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct bench_empty_bpf *obj = NULL;
	struct bpf_program *prog;
	struct bpf_link *links[MAX_LINKS];
	struct bpf_prog_info info;
	int i, err, nr_links = 0, status = KS_EXIT_FAIL;
	bool btf = false;
	__u32 len;

	for (; argc > 1 && argv[1][0] == '-'; argc--, argv++) {
		if (!strcmp(argv[1], "-v"))
			ks_verbose = true;
		else if (!strcmp(argv[1], "-b"))
			btf = true;
		else
			break;
	}
	if (argc < 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: empty-attach [-v] [-b] EVENT...\n");
		return KS_EXIT_USAGE;
	}
	ks_setup_libbpf();
	err = ks_setup_signals();
	if (err) {
		p_err("installing signal handlers: %s", strerror(-err));
		return KS_EXIT_FAIL;
	}

	obj = bench_empty_bpf__open();
	if (!obj) {
		p_err("opening the BPF object: %s", strerror(errno));
		return KS_EXIT_FAIL;
	}
	if (select_programs(obj, argc - 1, argv + 1, btf)) {
		status = KS_EXIT_USAGE;
		goto cleanup;
	}
	err = bench_empty_bpf__load(obj);
	if (err) {
		p_err("loading the BPF programs: %s", strerror(-err));
		goto cleanup;
	}
	/*
	 * Attach one by one rather than bench_empty_bpf__attach(): that one
	 * skips programs whose section it cannot auto-attach, and a missing
	 * event must fail loudly here, not measure nothing.
	 */
	bpf_object__for_each_program(prog, obj->obj) {
		if (!bpf_program__autoload(prog))
			continue;
		if (nr_links == MAX_LINKS) {
			p_err("more than %d programs: raise MAX_LINKS", MAX_LINKS);
			goto cleanup;
		}
		links[nr_links] = bpf_program__attach(prog);
		if (!links[nr_links]) {
			p_err("attaching to %s: %s", prog_event(prog), strerror(errno));
			goto cleanup;
		}
		nr_links++;
	}
	bpf_object__for_each_program(prog, obj->obj) {
		if (!bpf_program__autoload(prog))
			continue;
		memset(&info, 0, sizeof(info));
		len = sizeof(info);
		err = bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len);
		if (err) {
			p_err("reading the id of %s: %s", prog_event(prog), strerror(-err));
			goto cleanup;
		}
		printf("%u %s\n", info.id, prog_event(prog));
	}
	/* Last, so whoever waits for it has every id already. */
	printf("ready\n");
	fflush(stdout);

	/* sleep(), not pause(): a signal just before it would be missed. */
	while (!ks_exiting)
		sleep(1);
	status = 0;
cleanup:
	for (i = 0; i < nr_links; i++)
		bpf_link__destroy(links[i]);
	bench_empty_bpf__destroy(obj);
	return status;
}
