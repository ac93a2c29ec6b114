// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"

int ks_parse_u64(const char *s, const char *what, uint64_t min, uint64_t max,
		 uint64_t *out, char *err, size_t err_len)
{
	uint64_t v = 0;
	const char *p;

	if (!s || !*s) {
		snprintf(err, err_len, "%s: empty value, expected a number", what);
		return -EINVAL;
	}
	for (p = s; *p; p++) {
		unsigned int d;

		if (*p < '0' || *p > '9') {
			snprintf(err, err_len, "%s: '%s' is not a non-negative decimal number",
				 what, s);
			return -EINVAL;
		}
		d = *p - '0';
		if (v > (UINT64_MAX - d) / 10) {
			snprintf(err, err_len, "%s: '%s' is too large", what, s);
			return -ERANGE;
		}
		v = v * 10 + d;
	}
	if (v < min || v > max) {
		snprintf(err, err_len, "%s: %s is out of range [%llu, %llu]", what,
			 s, (unsigned long long)min, (unsigned long long)max);
		return -ERANGE;
	}
	*out = v;
	return 0;
}

bool ks_pid_exists(pid_t pid)
{
	/* EPERM still means the process exists, it is just not ours. */
	return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM);
}

int ks_parse_pid(const char *s, pid_t *out, char *err, size_t err_len)
{
	uint64_t v;
	int ret;

	ret = ks_parse_u64(s, "PID", 1, INT_MAX, &v, err, err_len);
	if (ret)
		return ret;
	if (!ks_pid_exists((pid_t)v)) {
		snprintf(err, err_len, "PID %llu: no such process",
			 (unsigned long long)v);
		return -ESRCH;
	}
	*out = (pid_t)v;
	return 0;
}

int ks_parse_interval(const char *s, const char *what, double *out, char *err,
		      size_t err_len)
{
	size_t digits = strspn(s, "0123456789");
	double v;

	/* strtod() alone would take " 1", "+1", "1e3", "inf" and "0x1p3". */
	if (s[digits] == '.')
		digits += 1 + strspn(s + digits + 1, "0123456789");
	if (!digits || s[digits] || !strcmp(s, ".")) {
		snprintf(err, err_len, "%s: '%s' is not a number of seconds like 2 or 0.5",
			 what, s);
		return -EINVAL;
	}
	v = strtod(s, NULL);	/* LC_NUMERIC stays "C": the point is '.' */
	if (!(v >= KS_INTERVAL_MIN && v <= KS_INTERVAL_MAX)) {
		snprintf(err, err_len, "%s: %s is out of range [%g, %.0f] seconds",
			 what, s, KS_INTERVAL_MIN, KS_INTERVAL_MAX);
		return -ERANGE;
	}
	*out = v;
	return 0;
}

int ks_parse_interval_count(const char *s, unsigned int index,
			    double *interval, unsigned int *count,
			    char *err, size_t err_len)
{
	uint64_t v;
	int ret;

	switch (index) {
	case 0:
		return ks_parse_interval(s, "interval", interval, err, err_len);
	case 1:
		ret = ks_parse_u64(s, "count", 1, INT_MAX, &v, err, err_len);
		if (!ret)
			*count = v;
		return ret;
	default:
		snprintf(err, err_len, "unexpected argument '%s' (only interval [count])", s);
		return -EINVAL;
	}
}
