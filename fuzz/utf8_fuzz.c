// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer harness for names as UTF-8 (tools/lib/utf8.c, vmname.c).  The
 * first byte is a buffer length (0: KS_UTF8_COPY_LEN() of the input), the
 * rest any bytes.  ks_utf8_seq_len() must agree with the standard's table
 * at every byte; ks_utf8_copy() must give the input (bytes that are no
 * UTF-8 as U+FFFD) cut between characters, whole when the buffer has the
 * room utf8.h promises; a VM name from the bytes as a command line, or as
 * a stats id, must be well-formed UTF-8 that fits its buffer.
 */
#include <stdbool.h>

#include "check.h"
#include "sizes.h"
#include "utf8.h"
#include "vmname.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data + 1;
	size_t n, len, got, i;
	char *buf, *want, *id;
	uint32_t cp;
	pid_t pid;

	if (size < 1)
		return 0;
	n = size - 1;
	for (i = 0; i < n; i++)
		FZ_ASSERT(ks_utf8_seq_len(in + i, n - i) ==
			  (in[i] ? fz_utf8((const unsigned char *)in + i, n - i, &cp) : 1));

	len = data[0] ? data[0] : KS_UTF8_COPY_LEN(n);
	buf = malloc(len);
	FZ_ASSERT(buf);
	got = ks_utf8_copy(buf, len, in, n);
	FZ_ASSERT(got < len && got == strlen(buf) && fz_valid(buf, got));
	want = fz_sanitized(in, n);
	FZ_ASSERT(!memcmp(buf, want, got));
	if (!data[0])
		FZ_ASSERT(got == strlen(want));
	free(want);

	/* As /proc/<pid>/cmdline is read: a NUL after its last byte. */
	id = fz_cstr((const uint8_t *)in, n);
	if (!ks_vm_name_from_cmdline(id, n, buf, len)) {
		got = strlen(buf);
		FZ_ASSERT(got < len && fz_valid(buf, got));
	}

	ks_vm_stats_id(buf, len, id, 42);
	FZ_ASSERT(strlen(buf) < len && fz_valid(buf, strlen(buf)));
	pid = ks_stats_id_pid(id);
	if (pid > 0) {
		FZ_ASSERT(!strncmp(id, "kvm-", 4) &&
			  strspn(id + 4, "0123456789") == strlen(id + 4));
		FZ_ASSERT(strtol(id + 4, NULL, 10) == pid);
	}
	free(id);
	free(buf);
	return 0;
}
