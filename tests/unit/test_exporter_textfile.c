// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * kvmscope-exporter textfile writes: the target replaced whole with mode
 * 0644, nothing left behind, no planted name followed, the previous file
 * kept when a write fails, and a directory replaced under a held one.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "kvmscope-exporter/textfile.h"

struct dirs {
	char dir[32];		/* the textfile directory */
	char other[32];		/* outside it: a victim file */
	char path[64];		/* dir/kvmscope.prom */
};

static int setup(void **state)
{
	struct dirs *d = calloc(1, sizeof(*d));

	if (!d)
		return -1;
	strcpy(d->dir, "/tmp/ks-textfile-XXXXXX");
	strcpy(d->other, "/tmp/ks-victim-XXXXXX");
	if (!mkdtemp(d->dir) || !mkdtemp(d->other))
		return -1;
	snprintf(d->path, sizeof(d->path), "%s/kvmscope.prom", d->dir);
	*state = d;
	return 0;
}

static void rm_tree(const char *dir)
{
	struct dirent *de;
	char p[PATH_MAX];
	DIR *dp = opendir(dir);

	while (dp && (de = readdir(dp))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		if (unlink(p))
			rm_tree(p);
	}
	if (dp)
		closedir(dp);
	rmdir(dir);
}

static int teardown(void **state)
{
	struct dirs *d = *state;
	char old[64];

	snprintf(old, sizeof(old), "%s.old", d->dir);
	rm_tree(old);
	rm_tree(d->dir);
	rm_tree(d->other);
	free(d);
	return 0;
}

static void slurp(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	assert_true(fd >= 0);
	n = read(fd, buf, len - 1);
	assert_true(n >= 0);
	buf[n] = '\0';
	close(fd);
}

static void spit(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

/* The names in @dir but . and .., sorted, space separated. */
static void listing(const char *dir, char *buf, size_t len)
{
	struct dirent **names;
	int n = scandir(dir, &names, NULL, alphasort);

	assert_true(n >= 0);
	buf[0] = '\0';
	for (int i = 0; i < n; i++) {
		if (strcmp(names[i]->d_name, ".") && strcmp(names[i]->d_name, "..")) {
			if (buf[0])
				strncat(buf, " ", len - strlen(buf) - 1);
			strncat(buf, names[i]->d_name, len - strlen(buf) - 1);
		}
		free(names[i]);
	}
	free(names);
}

/* A regular file (not a link to one) with mode 0644 and this content. */
static void assert_target(const char *path, const char *want)
{
	struct stat st;
	char buf[256];

	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0644);
	slurp(path, buf, sizeof(buf));
	assert_string_equal(buf, want);
}

static void test_replaces_whole(void **state)
{
	struct dirs *d = *state;
	struct ks_textfile tf;
	mode_t old_umask;
	char names[256];

	assert_int_equal(ks_textfile_open(&tf, d->path), 0);
	/* node_exporter must read it whatever the exporter's umask. */
	old_umask = umask(077);
	assert_int_equal(ks_textfile_write(&tf, "a 1\n", 4), 0);
	assert_int_equal(ks_textfile_write(&tf, "b 2\n", 4), 0);
	umask(old_umask);
	ks_textfile_close(&tf);
	assert_target(d->path, "b 2\n");
	listing(d->dir, names, sizeof(names));
	assert_string_equal(names, "kvmscope.prom");
}

/*
 * Whoever may write the directory plants symlinks to a file of the
 * exporter's user: at the target, and at the temporary name an earlier
 * version used (PATH.<pid>.tmp, opened with O_TRUNC).  Neither may be
 * followed; the random temporary names cannot be planted in advance.
 */
static void test_planted_symlinks(void **state)
{
	struct dirs *d = *state;
	char victim[64], planted[96], names[256], buf[64];
	struct ks_textfile tf;
	struct stat st;

	snprintf(victim, sizeof(victim), "%s/shadow", d->other);
	spit(victim, "secret\n", 0600);
	snprintf(planted, sizeof(planted), "%s.%d.tmp", d->path, (int)getpid());
	assert_int_equal(symlink(victim, planted), 0);
	assert_int_equal(symlink(victim, d->path), 0);

	assert_int_equal(ks_textfile_open(&tf, d->path), 0);
	assert_int_equal(ks_textfile_write(&tf, "a 1\n", 4), 0);
	ks_textfile_close(&tf);

	slurp(victim, buf, sizeof(buf));
	assert_string_equal(buf, "secret\n");
	assert_int_equal(stat(victim, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_target(d->path, "a 1\n");
	/* The planted link is still just a link; nothing else was left. */
	assert_int_equal(lstat(planted, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	listing(d->dir, names, sizeof(names));
	snprintf(buf, sizeof(buf), "kvmscope.prom kvmscope.prom.%d.tmp",
		 (int)getpid());
	assert_string_equal(names, buf);
}

/*
 * A write that fails halfway (here the file size limit: the same path as
 * a full disk, write() failing after some bytes) is reported, and leaves
 * the previous file and no temporary one.  In a child: the limit is the
 * process's.
 */
static void test_write_error_keeps_old(void **state)
{
	struct dirs *d = *state;
	struct ks_textfile tf;
	char big[8192], names[256];
	pid_t pid;
	int st;

	assert_int_equal(ks_textfile_open(&tf, d->path), 0);
	assert_int_equal(ks_textfile_write(&tf, "old 1\n", 6), 0);
	memset(big, 'x', sizeof(big));
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		struct rlimit rl = { .rlim_cur = 4096, .rlim_max = RLIM_INFINITY };

		signal(SIGXFSZ, SIG_IGN);
		if (setrlimit(RLIMIT_FSIZE, &rl))
			_exit(100);
		_exit(-ks_textfile_write(&tf, big, sizeof(big)));
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	ks_textfile_close(&tf);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), EFBIG);
	assert_target(d->path, "old 1\n");
	listing(d->dir, names, sizeof(names));
	assert_string_equal(names, "kvmscope.prom");
}

static void test_bad_paths(void **state)
{
	struct dirs *d = *state;
	char path[NAME_MAX + 64];
	struct ks_textfile tf;

	assert_int_equal(ks_textfile_open(&tf, "/nonexistent-dir/x.prom"), -ENOENT);
	snprintf(path, sizeof(path), "%s/", d->dir);
	assert_int_equal(ks_textfile_open(&tf, path), -EISDIR);
	assert_int_equal(ks_textfile_open(&tf, "."), -EISDIR);
	snprintf(path, sizeof(path), "%s/..", d->dir);
	assert_int_equal(ks_textfile_open(&tf, path), -EISDIR);
	/* Room for ".NAME.XXXXXX" within NAME_MAX. */
	snprintf(path, sizeof(path), "%s/%0*d", d->dir, NAME_MAX - 7, 0);
	assert_int_equal(ks_textfile_open(&tf, path), -ENAMETOOLONG);
	snprintf(path, sizeof(path), "%s/%0*d", d->dir, NAME_MAX - 8, 0);
	assert_int_equal(ks_textfile_open(&tf, path), 0);
	assert_int_equal(ks_textfile_write(&tf, "a 1\n", 4), 0);
	ks_textfile_close(&tf);
	assert_int_equal(unlink(path), 0);
	/* The target's name taken by a directory: an error, not a crash. */
	assert_int_equal(mkdir(d->path, 0755), 0);
	assert_int_equal(ks_textfile_open(&tf, d->path), 0);
	assert_int_equal(ks_textfile_write(&tf, "a 1\n", 4), -EISDIR);
	ks_textfile_close(&tf);
	assert_int_equal(rmdir(d->path), 0);
}

/* A directory replaced under the exporter: said, then taken on reopen. */
static void test_replaced_dir(void **state)
{
	struct dirs *d = *state;
	struct ks_textfile tf;
	char old[64], path[96];

	assert_int_equal(ks_textfile_open(&tf, d->path), 0);
	assert_int_equal(rmdir(d->dir), 0);
	assert_int_equal(mkdir(d->dir, 0755), 0);
	assert_int_equal(ks_textfile_write(&tf, "a 1\n", 4), -ENOENT);
	assert_int_equal(ks_textfile_reopen(&tf), 0);
	assert_int_equal(ks_textfile_write(&tf, "b 2\n", 4), 0);
	assert_target(d->path, "b 2\n");

	/* Moved away: a reopen fails and the held directory stays in use. */
	snprintf(old, sizeof(old), "%s.old", d->dir);
	assert_int_equal(rename(d->dir, old), 0);
	assert_int_equal(ks_textfile_reopen(&tf), -ENOENT);
	assert_int_equal(ks_textfile_write(&tf, "c 3\n", 4), 0);
	ks_textfile_close(&tf);
	snprintf(path, sizeof(path), "%s/kvmscope.prom", old);
	assert_target(path, "c 3\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_replaces_whole, setup, teardown),
		cmocka_unit_test_setup_teardown(test_planted_symlinks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_error_keeps_old, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_paths, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replaced_dir, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
