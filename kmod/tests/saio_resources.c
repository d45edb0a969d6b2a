// SPDX-License-Identifier: MIT
/*
 * What a context may take from a shared machine (guest tests): its ring memory is
 * charged to the caller's memory cgroup and capped per context and per user; an
 * allocation that fails says ENOMEM and nothing in the kernel log; a worker is pinned
 * only to CPUs its thread may already run on (its affinity, which the kernel keeps
 * inside its cpuset).
 */
#include "saio_test.h"

#include <sys/klog.h>

/* ---- small system helpers --------------------------------------------------------------- */

int write_file(const char *path, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int fd, n, ret;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = write(fd, buf, n) == n ? 0 : -errno;
	close(fd);
	return ret;
}

/* A number from a file: the first one, or the one after "key " on its line. */
int read_u64_file(const char *path, const char *key, uint64_t *out)
{
	char buf[4096], *p;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = 0;
	p = buf;
	if (key) {
		size_t kl = strlen(key);

		for (p = buf; p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
			if (!strncmp(p, key, kl) && p[kl] == ' ')
				break;
		if (!p)
			return -ENOENT;
		p += kl + 1;
	}
	*out = strtoull(p, NULL, 10);
	return 0;
}

/* cgroup2 at /sys/fs/cgroup with the memory and cpuset controllers for children. */
int cgroup_root(void)
{
	struct stat sb;

	if (stat("/sys/fs/cgroup/cgroup.controllers", &sb)) {
		mkdir("/sys/fs/cgroup", 0755);
		if (mount("none", "/sys/fs/cgroup", "cgroup2", 0, NULL) && errno != EBUSY)
			return -errno;
	}
	write_file("/sys/fs/cgroup/cgroup.subtree_control", "+memory");
	write_file("/sys/fs/cgroup/cgroup.subtree_control", "+cpuset");
	return 0;
}

/* Make a child cgroup named after us and move this process into it. */
static int cgroup_enter(char *dir, size_t len, const char *what)
{
	char procs[300];

	snprintf(dir, len, "/sys/fs/cgroup/saio-%s-%d", what, getpid());
	if (mkdir(dir, 0755) && errno != EEXIST)
		return -errno;
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", dir);
	return write_file(procs, "%d", getpid());
}

static void cgroup_leave(const char *dir)
{
	write_file("/sys/fs/cgroup/cgroup.procs", "%d", getpid());
	rmdir(dir);
}

static uint64_t cg_u64(const char *dir, const char *file, const char *key)
{
	char path[300];
	uint64_t v = (uint64_t)-1;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	read_u64_file(path, key, &v);
	return v;
}

/* The kernel log from now on: /dev/kmsg positioned at its end. */
int kmsg_mark(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

/* Did the kernel complain since kmsg_mark()? Returns 1 with the first such line in why. */
int kmsg_trouble(int fd, char *why, size_t len)
{
	static const char *const bad[] = {
		"Call Trace", "WARNING:", "BUG:", "allocation failure", "vmalloc error",
		"oom-kill", "invoked oom-killer", "Out of memory", "suspected memory leak", "KASAN",
		"KFENCE", "possible circular locking", "inconsistent lock",
	};
	char rec[2048];
	ssize_t n;
	unsigned int i;

	if (fd < 0)
		return 0;
	for (;;) {
		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;	/* overwritten records: go on */
		if (n <= 0)
			break;
		rec[n] = 0;
		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
			if (strstr(rec, bad[i])) {
				char *nl = strchr(rec, '\n');

				if (nl)
					*nl = 0;
				snprintf(why, len, "%s", strchr(rec, ';') ? strchr(rec, ';') + 1 : rec);
				close(fd);
				return 1;
			}
	}
	close(fd);
	return 0;
}

/* ---- ring memory ------------------------------------------------------------------------ */

/* The largest context there is: 64 rings of 4096 SQEs and 8192 CQEs (about 24 MiB). */
static int open_big(struct saio_client *c)
{
	return saio_client_open(c, SAIO_MAX_SQ_ENTRIES, 0, SAIO_MAX_RINGS, 0, SAIO_MODE_ENTER);
}

int t_ring_memory_accounted(void)
{
	struct saio_client c;
	uint64_t before, after, freed, cur;
	char dir[200], why[300];
	int k, ret;

	CHECK(cgroup_root() == 0, "cannot mount cgroup2: %s", strerror(errno));
	CHECK(cgroup_enter(dir, sizeof(dir), "mem") == 0, "cannot enter a memory cgroup");
	before = cg_u64(dir, "memory.current", NULL);
	CHECK(before != (uint64_t)-1, "no memory.current (memory controller?)");
	ret = open_big(&c);
	CHECK(ret == 0, "the largest context: %s", strerror(-ret));
	after = cg_u64(dir, "memory.current", NULL);
	fprintf(stderr, "  %" PRIu64 " KiB of rings; the cgroup grew by %" PRIu64 " KiB\n",
		(uint64_t)c.mem_bytes >> 10, (after - before) >> 10);
	CHECK(after - before >= c.mem_bytes / 10 * 9,
	      "%zu KiB of rings, the cgroup's memory grew by %" PRIu64 " KiB: not charged",
	      c.mem_bytes >> 10, (after - before) >> 10);
	saio_client_close(&c);
	freed = cg_u64(dir, "memory.current", NULL);
	CHECK(after - freed >= c.mem_bytes / 10 * 9, "closing gave back %" PRIu64 " KiB",
	      (after - freed) >> 10);

	/* a limit below the rings: ENOMEM, no OOM kill, nothing in the kernel log */
	cur = cg_u64(dir, "memory.current", NULL);
	{
		char path[300];

		snprintf(path, sizeof(path), "%s/memory.max", dir);
		CHECK(write_file(path, "%" PRIu64, cur + (4 << 20)) == 0, "memory.max");
		k = kmsg_mark();
		ret = open_big(&c);
		if (ret == 0)
			saio_client_close(&c);
		CHECK(ret == -ENOMEM, "rings over the cgroup's limit: %s",
		      ret ? strerror(-ret) : "set up");
		CHECK(cg_u64(dir, "memory.events", "oom_kill") == 0, "the OOM killer ran");
		CHECK(!kmsg_trouble(k, why, sizeof(why)), "kernel log: %s", why);
		/* a small context still fits */
		ret = saio_client_open(&c, 8, 0, 1, 0, SAIO_MODE_ENTER);
		CHECK(ret == 0, "a small context under the limit: %s", strerror(-ret));
		saio_client_close(&c);
		write_file(path, "max");
	}
	cgroup_leave(dir);
	return 0;
}

#define USER_CAP_PARAM "/sys/module/saio/parameters/max_user_contexts"
#define CTX_CAP_PARAM "/sys/module/saio/parameters/max_context_kib"

/* Per-user context count and per-context size, both module parameters. */
int t_user_context_cap(void)
{
	struct saio_setup p = { .sq_entries = 8, .nr_rings = 1 };
	uint64_t old_users = 0, old_kib = 0;
	struct saio_client c;
	int st, ret;
	pid_t pid;

	CHECK(read_u64_file(USER_CAP_PARAM, NULL, &old_users) == 0, "no %s", USER_CAP_PARAM);
	CHECK(read_u64_file(CTX_CAP_PARAM, NULL, &old_kib) == 0, "no %s", CTX_CAP_PARAM);
	CHECK(write_file(USER_CAP_PARAM, "3") == 0, "set %s", USER_CAP_PARAM);
	pid = fork();
	if (pid == 0) {
		int fd[5], i, bad = 0;

		for (i = 0; i < 5; i++)
			fd[i] = open(SAIO_DEVICE, O_RDWR);
		if (setresuid(4242, 4242, 4242))
			_exit(100);
		for (i = 0; i < 3; i++)
			bad |= (ioctl(fd[i], SAIO_IOC_SETUP, &p) != 0) << i;
		bad |= !(ioctl(fd[3], SAIO_IOC_SETUP, &p) < 0 && errno == EMFILE) << 3;
		close(fd[0]);	/* its context goes: room for one more */
		bad |= (ioctl(fd[3], SAIO_IOC_SETUP, &p) != 0) << 4;
		bad |= !(ioctl(fd[4], SAIO_IOC_SETUP, &p) < 0 && errno == EMFILE) << 5;
		_exit(bad);
	}
	/* another user (root, here) is not held to uid 4242's count */
	ret = saio_client_open(&c, 8, 0, 1, 0, SAIO_MODE_ENTER);
	waitpid(pid, &st, 0);
	write_file(USER_CAP_PARAM, "%" PRIu64, old_users);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "uid 4242 with a cap of 3: mask %#x "
	      "(1-4: first three, 8: fourth not EMFILE, 16: not after a close, 32: then 5th)",
	      WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	CHECK(ret == 0, "root's context: %s", strerror(-ret));
	saio_client_close(&c);

	CHECK(write_file(CTX_CAP_PARAM, "1024") == 0, "set %s", CTX_CAP_PARAM);
	ret = open_big(&c);
	if (ret == 0)
		saio_client_close(&c);
	st = saio_client_open(&c, 8, 0, 1, 0, SAIO_MODE_ENTER);
	if (st == 0)
		saio_client_close(&c);
	write_file(CTX_CAP_PARAM, "%" PRIu64, old_kib);
	CHECK(ret == -ENOMEM, "a context over max_context_kib=1024: %s",
	      ret ? strerror(-ret) : "set up");
	CHECK(st == 0, "a small one under it: %s", strerror(-st));
	return 0;
}

/* ---- CPUs ----------------------------------------------------------------------------------- */

static int affinity_one(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

struct pin_arg {
	struct saio_client *c;
	struct saio_worker w;
	int only_cpu;		/* the thread's affinity before WORKER, or -1 */
	atomic_int done;
	int ret, err;
	cpu_set_t after;	/* its affinity once WORKER returned */
};

static void *pin_thread(void *p)
{
	struct pin_arg *a = p;

	if (a->only_cpu >= 0 && affinity_one(a->only_cpu)) {
		a->ret = -2;
		atomic_store(&a->done, 1);
		return NULL;
	}
	do {
		a->ret = ioctl(a->c->fd, SAIO_IOC_WORKER, &a->w);
		a->err = errno;
	} while (a->ret == SAIO_WORKER_AGAIN);
	sched_getaffinity(0, sizeof(a->after), &a->after);
	atomic_store(&a->done, 1);
	return NULL;
}

/* Start a worker thread; wait up to 300 ms for it to leave (refused) or show up. */
static void pin_start(struct pin_arg *a, pthread_t *th)
{
	int i;

	pthread_create(th, NULL, pin_thread, a);
	for (i = 0; i < 150 && !atomic_load(&a->done); i++) {
		struct saio_worker_info wi = { .index = a->w.index };

		ioctl(a->c->fd, SAIO_IOC_WORKER_INFO, &wi);
		if (wi.state != SAIO_WSTATE_OFF && (a->w.flags != SAIO_WORKER_LOCALIZE || i > 50))
			break;
		usleep(2000);
	}
}

static void stop_ctx(struct saio_client *c)
{
	struct saio_wake stop = { .flags = SAIO_WAKE_STOP };

	ioctl(c->fd, SAIO_IOC_WAKE, &stop);
}

int t_pin_outside_affinity(void)
{
	struct saio_worker_info wi = { .index = 0 };
	struct pin_arg a = { 0 }, b = { 0 };
	struct saio_client c;
	pthread_t th, tb;

	CHECK(sysconf(_SC_NPROCESSORS_ONLN) >= 2, "needs 2 CPUs");
	/* PIN to a CPU outside the thread's affinity: refused */
	TRY(open_ctx(&c, 8, 2, 2, SAIO_MODE_WORKER));
	a = (struct pin_arg){ .c = &c, .only_cpu = 0,
			      .w = { .index = 0, .flags = SAIO_WORKER_PIN, .cpu = 1 } };
	pin_start(&a, &th);
	ioctl(c.fd, SAIO_IOC_WORKER_INFO, &wi);
	if (!atomic_load(&a.done)) {
		stop_ctx(&c);
		pthread_join(th, NULL);
		CHECK(0, "a thread allowed only CPU 0 became a worker pinned to CPU %d",
		      wi.pinned_cpu);
	}
	pthread_join(th, NULL);
	CHECK(a.ret < 0 && a.err == EINVAL, "PIN outside the affinity: %d %s", a.ret,
	      strerror(a.err));
	/* inside it: pinned, and its affinity is back to {0} when it leaves */
	b = (struct pin_arg){ .c = &c, .only_cpu = 0,
			      .w = { .index = 1, .flags = SAIO_WORKER_PIN, .cpu = 0, .idle_us = 10 } };
	pin_start(&b, &tb);
	wi.index = 1;
	ioctl(c.fd, SAIO_IOC_WORKER_INFO, &wi);
	CHECK(wi.pinned_cpu == 0, "PIN inside the affinity: pinned %d", wi.pinned_cpu);
	stop_ctx(&c);
	pthread_join(tb, NULL);
	CHECK(b.ret == 0 && CPU_COUNT(&b.after) == 1 && CPU_ISSET(0, &b.after),
	      "after leaving: ret %d, affinity of %d CPUs", b.ret, CPU_COUNT(&b.after));
	saio_client_close(&c);

	/* LOCALIZE next to a submitter on a CPU the worker may not use: not pinned there */
	TRY(open_ctx(&c, 8, 1, 1, SAIO_MODE_WORKER));
	{
		struct saio_bind bind = { .ring = 0 };

		CHECK(affinity_one(1) == 0, "affinity {1}");
		CHECK(ioctl(c.fd, SAIO_IOC_BIND, &bind) == 0, "BIND from CPU 1");
	}
	a = (struct pin_arg){ .c = &c, .only_cpu = 0,
			      .w = { .index = 0, .flags = SAIO_WORKER_LOCALIZE, .idle_us = 10 } };
	pin_start(&a, &th);
	wi.index = 0;
	ioctl(c.fd, SAIO_IOC_WORKER_INFO, &wi);
	stop_ctx(&c);
	pthread_join(th, NULL);
	CHECK(wi.pinned_cpu != 1, "a worker allowed only CPU 0 was localized onto CPU 1");
	CHECK(a.ret == 0, "localized worker: %d %s", a.ret, strerror(a.err));
	saio_client_close(&c);
	return 0;
}

/* A cpuset of CPU 0: even root (CAP_SYS_NICE) cannot pin a worker to CPU 1. */
int t_pin_outside_cpuset(void)
{
	struct saio_worker_info wi = { .index = 0 };
	struct pin_arg a;
	struct saio_client c;
	char dir[200], path[300];
	cpu_set_t all;
	pthread_t th;

	CHECK(sysconf(_SC_NPROCESSORS_ONLN) >= 2, "needs 2 CPUs");
	CHECK(cgroup_root() == 0, "cannot mount cgroup2");
	snprintf(dir, sizeof(dir), "/sys/fs/cgroup/saio-cpuset-%d", getpid());
	CHECK(mkdir(dir, 0755) == 0, "mkdir %s: %s", dir, strerror(errno));
	snprintf(path, sizeof(path), "%s/cpuset.cpus", dir);
	CHECK(write_file(path, "0") == 0, "cpuset.cpus (cpuset controller?)");
	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	CHECK(write_file(path, "%d", getpid()) == 0, "enter the cpuset");
	/* asking for every CPU still gives the cpuset's */
	CPU_ZERO(&all);
	CPU_SET(0, &all);
	CPU_SET(1, &all);
	sched_setaffinity(0, sizeof(all), &all);
	TRY(open_ctx(&c, 8, 1, 1, SAIO_MODE_WORKER));
	a = (struct pin_arg){ .c = &c, .only_cpu = -1,
			      .w = { .index = 0, .flags = SAIO_WORKER_PIN, .cpu = 1 } };
	pin_start(&a, &th);
	ioctl(c.fd, SAIO_IOC_WORKER_INFO, &wi);
	if (!atomic_load(&a.done))
		stop_ctx(&c);
	pthread_join(th, NULL);
	saio_client_close(&c);
	write_file("/sys/fs/cgroup/cgroup.procs", "%d", getpid());
	rmdir(dir);
	CHECK(wi.pinned_cpu != 1, "a worker in a cpuset of CPU 0 was pinned to CPU 1");
	CHECK(a.ret < 0 && a.err == EINVAL, "PIN outside the cpuset: %d %s", a.ret,
	      strerror(a.err));
	return 0;
}
