// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer harness for kvmscope-exporter's command line: the input is
 * split at NUL bytes into argv[1..], parsed, and the result checked for
 * consistency (a successful parse has something to serve and sane values).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvmscope-exporter/options.h"

#define MAX_ARGS 32

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *devnull;
	char *argv[MAX_ARGS + 2] = { "kvmscope-exporter" };
	struct exporter_env env;
	char *copy;
	int argc = 1, r;

	if (!devnull)
		devnull = fopen("/dev/null", "w");
	copy = malloc(size + 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	for (char *p = copy; p < copy + size && argc <= MAX_ARGS;
	     p += strlen(p) + 1)
		argv[argc++] = p;
	argv[argc] = NULL;

	r = exporter_parse_args(argc, argv, &env, devnull, devnull);
	if (r == EXPORTER_ARGS_OK) {
		if (!env.http && !env.textfile)
			abort();
		if (!env.interval || !env.max_connections || !env.timeout)
			abort();
	} else if (r != EXPORTER_ARGS_EXIT && r != EXPORTER_ARGS_USAGE) {
		abort();
	}
	free(copy);
	return 0;
}
