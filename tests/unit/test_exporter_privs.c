// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * kvmscope-exporter privilege drop: no capability left in any set,
 * no_new_privs, and, started as root, every uid and gid the service
 * user's with no supplementary group, so root's files are out of reach.
 * Each drop runs in a child: the test process keeps its privileges.
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "kvmscope-exporter/caps.h"

/* The "Name:" line of /proc/self/status, its tabs made spaces. */
static const char *status_line(const char *name, char *buf, size_t len)
{
	size_t n = strlen(name);
	FILE *f = fopen("/proc/self/status", "r");

	buf[0] = '\0';
	while (f && fgets(buf, len, f)) {
		if (!strncmp(buf, name, n) && buf[n] == ':')
			break;
		buf[0] = '\0';
	}
	if (f)
		fclose(f);
	for (char *p = buf; *p; p++)
		if (*p == '\t' || *p == '\n')
			*p = ' ';
	return buf;
}

/* In the child: 0 if every capability set is empty and no_new_privs is set. */
static int no_caps(void)
{
	static const char *const sets[] = { "CapInh", "CapPrm", "CapEff", "CapAmb" };
	char line[128];
	uint64_t eff = 1;

	for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
		status_line(sets[i], line, sizeof(line));
		if (!strstr(line, " 0000000000000000 "))
			return 1;
	}
	if (ks_caps_effective(&eff) || eff)
		return 2;
	return strcmp(status_line("NoNewPrivs", line, sizeof(line)),
		      "NoNewPrivs: 1 ") ? 3 : 0;
}

static int in_child(int (*fn)(void))
{
	pid_t pid = fork();
	int st;

	assert_true(pid >= 0);
	if (!pid)
		_exit(fn());
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

static int drop_keep_user(void)
{
	uid_t uid = getuid();

	if (ks_drop_privileges(NULL))
		return 10;
	return getuid() != uid ? 11 : no_caps();
}

static void test_drop_caps(void **state)
{
	(void)state;
	assert_int_equal(in_child(drop_keep_user), 0);
}

static int drop_to_nobody(void)
{
	struct ks_user u;
	char err[256], line[128], want[128];
	int r;

	if (ks_user_lookup("nobody", &u, err, sizeof(err)) || !u.uid)
		return 20;
	if (ks_drop_privileges(&u))
		return 21;
	r = no_caps();
	if (r)
		return r;
	snprintf(want, sizeof(want), "Uid: %u %u %u %u ", u.uid, u.uid, u.uid, u.uid);
	if (strcmp(status_line("Uid", line, sizeof(line)), want))
		return 22;
	snprintf(want, sizeof(want), "Gid: %u %u %u %u ", u.gid, u.gid, u.gid, u.gid);
	if (strcmp(status_line("Gid", line, sizeof(line)), want))
		return 23;
	/* No supplementary group: nothing but blanks after the name. */
	status_line("Groups", line, sizeof(line));
	if (strncmp(line, "Groups:", 7) || line[7 + strspn(line + 7, " ")])
		return 24;
	/* What uid 0 without capabilities could still do. */
	if (open("/etc/shadow", O_RDONLY) >= 0 || errno != EACCES)
		return 25;
	if (open("/etc/kvmscope-privs-test", O_WRONLY | O_CREAT | O_EXCL, 0600) >= 0 ||
	    errno != EACCES)
		return 26;
	if (!setuid(0) || !setgid(0))
		return 27;
	return 0;
}

static void test_drop_to_user(void **state)
{
	(void)state;
	if (geteuid())
		skip();
	assert_int_equal(in_child(drop_to_nobody), 0);
}

static void test_user_lookup(void **state)
{
	struct passwd *pw = getpwnam("nobody");
	struct ks_user u = { 0 }, nobody;
	char err[256], num[16];

	(void)state;
	assert_non_null(pw);
	/* getpwnam()'s struct is overwritten by the next lookup. */
	nobody = (struct ks_user){ pw->pw_uid, pw->pw_gid };
	assert_int_equal(ks_user_lookup("nobody", &u, err, sizeof(err)), 0);
	assert_int_equal(u.uid, nobody.uid);
	assert_int_equal(u.gid, nobody.gid);
	snprintf(num, sizeof(num), "%u", nobody.uid);
	memset(&u, 0, sizeof(u));
	assert_int_equal(ks_user_lookup(num, &u, err, sizeof(err)), 0);
	assert_int_equal(u.uid, nobody.uid);
	assert_int_equal(u.gid, nobody.gid);

	assert_int_equal(ks_user_lookup("no-such-user-kvmscope", &u, err, sizeof(err)),
			 -ENOENT);
	assert_string_equal(err, "user 'no-such-user-kvmscope': no such user");
	assert_int_equal(ks_user_lookup("4294967295", &u, err, sizeof(err)), -ENOENT);
	/* Serving as root is what the drop is for. */
	assert_int_equal(ks_user_lookup("root", &u, err, sizeof(err)), -EPERM);
	assert_non_null(strstr(err, "is uid 0"));
	assert_int_equal(ks_user_lookup("0", &u, err, sizeof(err)), -EPERM);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_drop_caps),
		cmocka_unit_test(test_drop_to_user),
		cmocka_unit_test(test_user_lookup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
