// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* process_* metrics from /proc/self: see process.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "process.h"

#define NSEC_PER_SEC 1000000000ULL

static pthread_mutex_t fd_lock = PTHREAD_MUTEX_INITIALIZER;
static DIR *fd_dir;

int ks_process_init(void)
{
	int fd = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	fd_dir = fdopendir(fd);
	if (!fd_dir) {
		close(fd);
		return -errno;
	}
	return 0;
}

/* Open fds, the directory's own included (as client_golang counts). */
static long open_fds(void)
{
	struct dirent *e;
	long n = 0;

	pthread_mutex_lock(&fd_lock);
	if (!fd_dir) {
		pthread_mutex_unlock(&fd_lock);
		return -1;
	}
	rewinddir(fd_dir);
	while ((e = readdir(fd_dir)))
		n += e->d_name[0] != '.';
	pthread_mutex_unlock(&fd_lock);
	return n;
}

/* The system's boot time, seconds since the epoch: btime in /proc/stat. */
static long long boot_time(void)
{
	FILE *f = fopen("/proc/stat", "re");
	long long bt = -1;
	char line[256];

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "btime %lld", &bt) == 1)
			break;
	fclose(f);
	return bt;
}

struct stat_fields {
	unsigned long long utime, stime, starttime;	/* clock ticks */
	unsigned long long vsize, rss;			/* bytes, pages */
};

/* /proc/self/stat after the command name, which may hold spaces and ')'. */
static int read_stat(struct stat_fields *s)
{
	char buf[1024], *p;
	ssize_t n;
	int fd;

	fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	/* Fields 3 (state) to 24 (rss); utime is 14, starttime 22. */
	if (!p || sscanf(p + 1,
			 " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d %*d %*d %llu %llu %llu",
			 &s->utime, &s->stime, &s->starttime, &s->vsize,
			 &s->rss) != 5)
		return -EIO;
	return 0;
}

void ks_process_render(struct ks_buf *b)
{
	long ticks = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
	long long bt = boot_time();
	struct stat_fields s;
	struct rlimit rl;
	long fds;

	if (ticks > 0 && !read_stat(&s)) {
		expo_family(b, "process_cpu_seconds_total", "counter",
			    "Total user and system CPU time spent in seconds.");
		expo_sample_seconds(b, "process_cpu_seconds_total", NULL, 0,
				    (s.utime + s.stime) * NSEC_PER_SEC / ticks);
		expo_family(b, "process_virtual_memory_bytes", "gauge",
			    "Virtual memory size in bytes.");
		expo_sample_u64(b, "process_virtual_memory_bytes", NULL, 0,
				s.vsize);
		expo_family(b, "process_resident_memory_bytes", "gauge",
			    "Resident memory size in bytes.");
		expo_sample_u64(b, "process_resident_memory_bytes", NULL, 0,
				s.rss * page);
		if (bt >= 0) {
			expo_family(b, "process_start_time_seconds", "gauge",
				    "Start time of the process since unix epoch in seconds.");
			expo_sample_seconds(b, "process_start_time_seconds",
					    NULL, 0, bt * NSEC_PER_SEC +
					    s.starttime * NSEC_PER_SEC / ticks);
		}
	}
	fds = open_fds();
	if (fds >= 0) {
		expo_family(b, "process_open_fds", "gauge",
			    "Number of open file descriptors.");
		expo_sample_u64(b, "process_open_fds", NULL, 0, fds);
	}
	if (!getrlimit(RLIMIT_NOFILE, &rl)) {
		expo_family(b, "process_max_fds", "gauge",
			    "Maximum number of open file descriptors.");
		expo_sample_double(b, "process_max_fds", NULL, 0,
				   rl.rlim_cur == RLIM_INFINITY ? -1 :
				   (double)rl.rlim_cur);
	}
}
