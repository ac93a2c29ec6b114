// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "json_writer.h"
#include "output.h"

bool ks_json_output;
bool ks_verbose;

void p_err(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	fprintf(stderr, "Error: %s\n", msg);
	if (ks_json_output) {
		json_writer_t *w = jsonw_new(stdout);

		if (!w)
			return;
		jsonw_start_object(w);
		jsonw_string_field(w, "type", "error");	/* as every JSON line */
		jsonw_string_field(w, "error", msg);
		jsonw_end_object(w);
		jsonw_destroy(&w);
	}
}

int ks_flush_stdout(void)
{
	static bool said;
	int err = 0;

	errno = 0;
	if (fflush(stdout) || ferror(stdout))
		err = errno ? -errno : -EIO;
	if (err && !said) {
		said = true;
		/* An earlier flush (a line, a report) failed: only its flag is left. */
		if (errno)
			p_err("writing the output: %s", strerror(errno));
		else
			p_err("writing the output failed");
	}
	return err;
}

void p_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int ks_libbpf_print(enum libbpf_print_level level, const char *fmt,
		    va_list args)
{
	if (level == LIBBPF_DEBUG && !ks_verbose)
		return 0;
	return vfprintf(stderr, fmt, args);
}

void ks_setup_libbpf(void)
{
	libbpf_set_print(ks_libbpf_print);
}
