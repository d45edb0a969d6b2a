// SPDX-License-Identifier: MIT
/*
 * Who may use a context (guest tests). The owner is the process that called
 * SAIO_IOC_SETUP, with the memory map and credentials it had then. Anyone else who holds
 * the descriptor — a process it was passed to with SCM_RIGHTS, a fork child, the image
 * the owner exec'd, a thread whose credentials changed — must not map the rings, run
 * entries, lend workers or wake and stop them; otherwise whatever it writes into a ring
 * runs with the owner's files, memory and credentials.
 */
#include "saio_test.h"

#include <grp.h>
#include <sys/prctl.h>

/* ---- descriptor passing ------------------------------------------------------------- */

/* Send fd (and an int) over a unix socket. */
static int send_fd_int(int sock, int fd, int val)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { &val, sizeof(val) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;

	memset(cbuf, 0, sizeof(cbuf));
	if (fd >= 0) {
		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof(cbuf);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	return sendmsg(sock, &mh, 0) == sizeof(val) ? 0 : -1;
}

/* Receive what send_fd_int() sent: the descriptor (or -1), the int in *val. */
static int recv_fd_int(int sock, int *val)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { val, sizeof(*val) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm;
	int fd = -1;

	if (recvmsg(sock, &mh, 0) != sizeof(*val))
		return -1;
	cm = CMSG_FIRSTHDR(&mh);
	if (cm && cm->cmsg_type == SCM_RIGHTS)
		memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

int send_fd(int sock, int fd)
{
	return send_fd_int(sock, fd, 0);
}

int recv_fd(int sock)
{
	int v;

	return recv_fd_int(sock, &v);
}

/* ---- what a stranger may not do ------------------------------------------------------ */

/*
 * Probe a context from a process that is not its owner: each thing that must be refused
 * with EPERM and was not sets a bit. ectx: an ENTER-mode context with one NOP queued;
 * wctx: a WORKER-mode context whose worker is running; victim: a pipe's write end in
 * the owner's descriptor table (a mapping we should not have gets an entry writing to it,
 * which the owner's worker would run). Either context may be -1 (not probed). Returns
 * the mask.
 */
enum {
	P_MMAP = 1, P_ENTER = 2, P_WAKE = 4, P_STOP = 8, P_WORKER = 16, P_BIND = 32,
	P_EVENTFD = 64, P_STATS = 128,
};

static void *probe_worker_main(void *p)
{
	struct worker_arg *a = p;

	a->ret = ioctl(a->c->fd, SAIO_IOC_WORKER, &a->w);
	a->err = errno;
	return NULL;
}

static int probe_stranger(int ectx, int wctx, size_t map_bytes, int victim)
{
	struct saio_wake wake = { .ring = 0 }, stop = { .flags = SAIO_WAKE_STOP };
	struct saio_eventfd ev = { .ring = 0, .fd = eventfd(0, 0) };
	struct saio_ring_stats st = { .ring = 0 };
	struct saio_enter e = { .ring = 0 };
	struct saio_bind b = { .ring = 0 };
	struct saio_client wc = { .fd = wctx };
	struct worker_arg wa = { .c = &wc };
	pthread_t th;
	int mask = 0, i;
	void *m;

	m = mmap(NULL, map_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, wctx >= 0 ? wctx : ectx, 0);
	if (m != MAP_FAILED || errno != EPERM)
		mask |= P_MMAP;
	if (ectx >= 0 && !(ioctl(ectx, SAIO_IOC_ENTER, &e) < 0 && errno == EPERM))
		mask |= P_ENTER;
	if (wctx < 0) {		/* only an ENTER context to probe */
		if (m != MAP_FAILED)
			munmap(m, map_bytes);
		return mask;
	}
	if (!(ioctl(wctx, SAIO_IOC_WAKE, &wake) < 0 && errno == EPERM))
		mask |= P_WAKE;
	if (!(ioctl(wctx, SAIO_IOC_BIND, &b) < 0 && errno == EPERM))
		mask |= P_BIND;
	if (!(ioctl(wctx, SAIO_IOC_EVENTFD, &ev) < 0 && errno == EPERM))
		mask |= P_EVENTFD;
	if (ioctl(wctx, SAIO_IOC_STATS, &st) != 0)
		mask |= P_STATS;	/* counters stay readable by whoever holds the fd */
	/* a worker the module accepted would stay in the ioctl: give it 300 ms */
	wa.w.index = 0;
	wa.w.idle_us = 10;
	wa.ret = 1;
	pthread_create(&th, NULL, probe_worker_main, &wa);
	for (i = 0; i < 150 && wa.ret == 1; i++)
		usleep(2000);
	if (!(wa.ret < 0 && wa.err == EPERM))
		mask |= P_WORKER;
	else
		pthread_join(th, NULL);
	if (!(ioctl(wctx, SAIO_IOC_WAKE, &stop) < 0 && errno == EPERM))
		mask |= P_STOP;
	/* a refused mapping also refuses the mapping's worst use: our SQE run as the owner */
	if (m != MAP_FAILED) {
		struct saio_ring_hdr *hdr = m;
		struct saio_sqe *s = (struct saio_sqe *)((char *)m + SAIO_RING_SQ_OFF);
		static const char x = 'X';

		if (victim >= 0) {
			memset(&s[hdr->sq_tail & hdr->sq_mask], 0, sizeof(*s));
			s[hdr->sq_tail & hdr->sq_mask].opcode = SAIO_KOP_WRITE;
			s[hdr->sq_tail & hdr->sq_mask].fd = victim;
			s[hdr->sq_tail & hdr->sq_mask].addr = (uintptr_t)&x;
			s[hdr->sq_tail & hdr->sq_mask].len = 1;
			s[hdr->sq_tail & hdr->sq_mask].off = SAIO_OFF_CURRENT;
			__atomic_store_n(&hdr->sq_tail, hdr->sq_tail + 1, __ATOMIC_RELEASE);
			ioctl(wctx, SAIO_IOC_WAKE, &wake);
			usleep(100000);
		}
	}
	return mask;
}

static const char *probe_names(int mask)
{
	static char buf[200];

	snprintf(buf, sizeof(buf), "%s%s%s%s%s%s%s%s", mask & P_MMAP ? " mmap" : "",
		 mask & P_ENTER ? " ENTER" : "", mask & P_WAKE ? " WAKE" : "",
		 mask & P_STOP ? " WAKE_STOP" : "", mask & P_WORKER ? " WORKER" : "",
		 mask & P_BIND ? " BIND" : "", mask & P_EVENTFD ? " EVENTFD" : "",
		 mask & P_STATS ? " (STATS refused)" : "");
	return buf;
}

/* The owner's side of a probe: an ENTER context with a NOP queued, a WORKER context with
 * its worker running, and a pipe nothing but a stranger's entry would write to. */
struct owner {
	struct saio_client e, w;
	struct worker_arg wa[1];
	pthread_t th[1];
	int p[2];
};

static int owner_up(struct owner *o)
{
	TRY(open_ctx(&o->e, 8, 1, 0, SAIO_MODE_ENTER));
	TRY(open_ctx(&o->w, 8, 1, 1, SAIO_MODE_WORKER));
	CHECK(prep(&o->e.ring[0], SAIO_KOP_NOP, 0, NULL, 0, 0, 1), "prep");
	saio_store_release(&o->e.ring[0].hdr->sq_tail, o->e.ring[0].sq_tail);
	CHECK(pipe2(o->p, O_NONBLOCK) == 0, "pipe");
	start_workers(&o->w, o->wa, o->th, 1, 100);
	return 0;
}

/* After the stranger is done: nothing of it ran, the context still works, then down. */
static int owner_check_down(struct owner *o)
{
	struct saio_worker_info wi = { .index = 0 };
	char b;

	usleep(100000);
	CHECK(read(o->p[0], &b, 1) < 0 && errno == EAGAIN,
	      "an entry the stranger wrote ran with the owner's descriptors");
	CHECK(ioctl(o->w.fd, SAIO_IOC_WORKER_INFO, &wi) == 0 && wi.state != SAIO_WSTATE_OFF,
	      "the owner's worker is gone (the stranger stopped the context)");
	CHECK(saio_submit(&o->e, &o->e.ring[0]) == 1, "the owner's ENTER: %s", strerror(errno));
	TRY(stop_workers(&o->w, o->wa, o->th, 1));
	saio_client_close(&o->e);
	saio_client_close(&o->w);
	close(o->p[0]);
	close(o->p[1]);
	return 0;
}

/* A process given the descriptors with SCM_RIGHTS. */
int t_owner_scm_rights(void)
{
	struct owner o;
	int sp[2], st, mask = -1;
	pid_t pid;

	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0, "socketpair");
	pid = fork();	/* before the contexts exist: it holds nothing of ours */
	if (pid == 0) {
		int e, w, victim = -1;

		close(sp[0]);
		e = recv_fd(sp[1]);
		w = recv_fd(sp[1]);
		if (e < 0 || w < 0 || read(sp[1], &victim, sizeof(victim)) != sizeof(victim))
			_exit(100);
		mask = probe_stranger(e, w, 4096, victim);
		_exit(mask);
	}
	close(sp[1]);
	TRY(owner_up(&o));
	CHECK(send_fd(sp[0], o.e.fd) == 0 && send_fd(sp[0], o.w.fd) == 0, "SCM_RIGHTS");
	CHECK(write(sp[0], &o.p[1], sizeof(int)) == sizeof(int), "write");
	waitpid(pid, &st, 0);
	mask = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	CHECK(mask != 100, "the descriptors did not arrive");
	CHECK(mask == 0, "a process given the descriptors was allowed:%s", probe_names(mask));
	TRY(owner_check_down(&o));
	close(sp[0]);
	return 0;
}

/* A fork child: no copy of the rings' mapping, and it cannot map them itself. */
int t_owner_fork_mapping(void)
{
	struct owner o;
	int st, mask;
	pid_t pid;

	TRY(owner_up(&o));
	pid = fork();
	if (pid == 0) {
		unsigned char vec[4];

		/* VM_DONTCOPY: the child has nothing mapped where the parent's rings are */
		if (mincore(o.w.mem, 4096, vec) == 0) {
			struct saio_ring_hdr *hdr = o.w.mem;
			struct saio_sqe *s = &o.w.ring[0].sqes[hdr->sq_tail & hdr->sq_mask];
			static const char x = 'F';
			struct saio_wake wake = { .ring = 0 };

			/* what a child could do with the parent's mapping */
			memset(s, 0, sizeof(*s));
			s->opcode = SAIO_KOP_WRITE;
			s->fd = o.p[1];
			s->addr = (uintptr_t)&x;
			s->len = 1;
			s->off = SAIO_OFF_CURRENT;
			__atomic_store_n(&hdr->sq_tail, hdr->sq_tail + 1, __ATOMIC_RELEASE);
			ioctl(o.w.fd, SAIO_IOC_WAKE, &wake);
			usleep(100000);
			_exit(200);
		}
		_exit(probe_stranger(o.e.fd, o.w.fd, o.w.mem_bytes, o.p[1]));
	}
	waitpid(pid, &st, 0);
	mask = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	CHECK(mask != 200, "the fork child kept the parent's mapping of the rings");
	CHECK(mask == 0, "a fork child was allowed:%s", probe_names(mask));
	TRY(owner_check_down(&o));
	return 0;
}

/* saio_test exec-probe EFD WFD VICTIM: the owner's own process after exec (same pid, new mm). */
int exec_probe(int argc, char **argv)
{
	if (argc < 5)
		return 100;
	return probe_stranger(atoi(argv[2]), atoi(argv[3]), 4096, atoi(argv[4]));
}

int t_owner_exec(void)
{
	int st, mask;
	pid_t pid;

	pid = fork();
	if (pid == 0) {
		struct owner o;
		char e[16], w[16], v[16];

		if (owner_up(&o))
			_exit(101);
		/* descriptors kept across exec; the new image learns their numbers */
		fcntl(o.e.fd, F_SETFD, 0);
		fcntl(o.w.fd, F_SETFD, 0);
		snprintf(e, sizeof(e), "%d", o.e.fd);
		snprintf(w, sizeof(w), "%d", o.w.fd);
		snprintf(v, sizeof(v), "%d", o.p[1]);
		execl("/proc/self/exe", "saio_test", "exec-probe", e, w, v, (char *)NULL);
		_exit(102);
	}
	waitpid(pid, &st, 0);
	mask = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	CHECK(mask != 101 && mask != 102, "could not set up (%d)", mask);
	CHECK(mask == 0, "the owner's exec'd image was allowed:%s", probe_names(mask));
	return 0;
}

/* ---- credentials ----------------------------------------------------------------------- */

struct creds_arg {
	struct saio_client *e, *w;
	int enter_ret, enter_err, worker_ret, worker_err, back_ret;
	atomic_int worker_done;
};

/* One thread changes its own effective uid (the raw system call changes only the caller). */
static void *creds_thread(void *p)
{
	struct creds_arg *a = p;
	struct saio_enter e = { .ring = 0 };
	struct saio_worker w = { .index = 0, .idle_us = 10 };

	if (syscall(SYS_setresuid, -1, 4242, -1)) {
		a->enter_ret = -2;
		return NULL;
	}
	a->enter_ret = ioctl(a->e->fd, SAIO_IOC_ENTER, &e);
	a->enter_err = errno;
	a->worker_ret = ioctl(a->w->fd, SAIO_IOC_WORKER, &w);
	a->worker_err = errno;
	atomic_store(&a->worker_done, 1);
	syscall(SYS_setresuid, -1, 0, -1);
	a->back_ret = ioctl(a->e->fd, SAIO_IOC_ENTER, &e);
	return NULL;
}

int t_owner_creds(void)
{
	struct saio_client e, w;
	struct creds_arg a = { .e = &e, .w = &w };
	pthread_t th;
	int i;

	TRY(open_ctx(&e, 8, 1, 0, SAIO_MODE_ENTER));
	TRY(open_ctx(&w, 8, 1, 1, SAIO_MODE_WORKER));
	CHECK(prep(&e.ring[0], SAIO_KOP_NOP, 0, NULL, 0, 0, 1), "prep");
	saio_store_release(&e.ring[0].hdr->sq_tail, e.ring[0].sq_tail);
	pthread_create(&th, NULL, creds_thread, &a);
	for (i = 0; i < 150 && !atomic_load(&a.worker_done); i++)
		usleep(2000);
	if (!atomic_load(&a.worker_done)) {
		struct saio_wake stop = { .flags = SAIO_WAKE_STOP };

		ioctl(w.fd, SAIO_IOC_WAKE, &stop);
		pthread_join(th, NULL);
		CHECK(0, "a thread whose uid changed since SETUP became a worker "
		      "(ENTER: %d %s)", a.enter_ret, strerror(a.enter_err));
	}
	pthread_join(th, NULL);
	CHECK(a.enter_ret != -2, "setresuid: %s", strerror(errno));
	CHECK(a.enter_ret < 0 && a.enter_err == EPERM,
	      "a thread whose uid changed since SETUP ran entries (ENTER: %d)", a.enter_ret);
	CHECK(a.worker_ret < 0 && a.worker_err == EPERM, "WORKER: %d %s", a.worker_ret,
	      strerror(a.worker_err));
	CHECK(a.back_ret == 1, "same credentials again: ENTER %d", a.back_ret);
	saio_client_close(&e);
	saio_client_close(&w);
	return 0;
}

/* ---- pid namespaces ------------------------------------------------------------------- */

/*
 * The context's owner lives in a child pid namespace; its descriptor is passed out.
 * WORKER_INFO and STATS give TIDs as the caller sees them: here, the root namespace's.
 */
int t_pidns_tids(void)
{
	struct saio_worker_info wi = { .index = 0 };
	struct saio_ring_stats st = { .ring = 1 };
	char path[96];
	struct stat sb;
	int sp[2], fd, gpid = 0, s, i;
	pid_t pid;

	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0, "socketpair");
	pid = fork();
	if (pid == 0) {
		pid_t g;

		close(sp[0]);
		if (unshare(CLONE_NEWPID))
			_exit(1);
		g = fork();
		if (g == 0) {
			struct saio_client c;
			struct worker_arg wa[1];
			struct saio_bind b = { .ring = 1 };
			pthread_t th[1];
			char self[32] = "";
			int me;

			/* pid 1 here; /proc (the root namespace's) says who we are there */
			if (readlink("/proc/self", self, sizeof(self) - 1) < 0)
				_exit(2);
			me = atoi(self);
			if (saio_client_open(&c, 8, 0, 2, 1, SAIO_MODE_WORKER))
				_exit(3);
			start_workers(&c, wa, th, 1, 100);
			ioctl(c.fd, SAIO_IOC_BIND, &b);
			send_fd_int(sp[1], c.fd, me);
			read(sp[1], &me, 1);	/* until the test is done */
			_exit(0);
		}
		waitpid(g, &s, 0);
		_exit(0);
	}
	close(sp[1]);
	fd = recv_fd_int(sp[0], &gpid);
	CHECK(fd >= 0 && gpid > 1, "no descriptor from the namespace (pid %d)", gpid);
	for (i = 0; i < 500; i++) {
		ioctl(fd, SAIO_IOC_WORKER_INFO, &wi);
		if (wi.tid)
			break;
		usleep(2000);
	}
	CHECK(wi.tid > 0, "worker never showed up");
	snprintf(path, sizeof(path), "/proc/%d/task/%d", gpid, wi.tid);
	CHECK(stat(path, &sb) == 0, "WORKER_INFO tid %d is not the worker's tid in our pid "
	      "namespace (its process is %d here)", wi.tid, gpid);
	CHECK(ioctl(fd, SAIO_IOC_STATS, &st) == 0, "STATS");
	CHECK(st.bound_tid == gpid, "STATS bound_tid %d, the binder is %d here", st.bound_tid,
	      gpid);
	close(fd);
	close(sp[0]);	/* the namespace's owner exits */
	waitpid(pid, &s, 0);
	return 0;
}

/* ---- access mode, group, op mask ---------------------------------------------------- */

/* Setting up and running need a descriptor open for reading and writing. */
int t_fmode(void)
{
	static const int modes[] = { O_RDONLY, O_WRONLY };
	struct saio_setup p = { .sq_entries = 8, .nr_rings = 1 };
	unsigned int i;
	int fd;

	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		fd = open(SAIO_DEVICE, modes[i]);
		CHECK(fd >= 0, "open %s: %s", i ? "O_WRONLY" : "O_RDONLY", strerror(errno));
		errno = 0;
		CHECK(ioctl(fd, SAIO_IOC_SETUP, &p) < 0 && errno == EBADF,
		      "SETUP on a %s descriptor: %s", i ? "write-only" : "read-only",
		      errno ? strerror(errno) : "accepted");
		close(fd);
	}
	return 0;
}

#define GROUP_PARAM "/sys/module/saio/parameters/allowed_group"

/* Open the device as uid 4242 with this primary group and supplementary groups. */
static int open_as(gid_t gid, int ngroups, const gid_t *groups)
{
	int st;
	pid_t pid = fork();

	if (pid == 0) {
		int fd;

		if (setgroups(ngroups, groups) || setresgid(gid, gid, gid) ||
		    setresuid(4242, 4242, 4242))
			_exit(100);
		fd = open(SAIO_DEVICE, O_RDWR);
		_exit(fd >= 0 ? 0 : errno);
	}
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 101;
}

int t_group_param(void)
{
	gid_t g = 4343;
	int ret = 0, a, b, c, d;

	CHECK(access(GROUP_PARAM, W_OK) == 0, "no %s", GROUP_PARAM);
	CHECK(chmod(SAIO_DEVICE, 0666) == 0, "chmod");
	a = open_as(4242, 0, NULL);
	write_file(GROUP_PARAM, "4343");
	b = open_as(4242, 0, NULL);
	c = open_as(4242, 1, &g);
	d = open_as(4343, 0, NULL);
	{
		int fd = open(SAIO_DEVICE, O_RDWR);	/* root: CAP_SYS_ADMIN */

		if (fd < 0)
			ret = errno;
		else
			close(fd);
	}
	write_file(GROUP_PARAM, "-1");
	chmod(SAIO_DEVICE, 0600);
	CHECK(a == 0, "anyone (no group set): %s", strerror(a));
	CHECK(b == EPERM, "a user outside the group: %s", b ? strerror(b) : "opened");
	CHECK(c == 0, "a user with the group as a supplementary group: %s", strerror(c));
	CHECK(d == 0, "a user with the group as its primary group: %s", strerror(d));
	CHECK(ret == 0, "root (CAP_SYS_ADMIN): %s", strerror(ret));
	return 0;
}

/* A context set up with an op mask runs only those opcodes, for its whole life. */
int t_op_mask(void)
{
	struct saio_setup p = { .sq_entries = 8, .nr_rings = 1,
				.flags = SAIO_SETUP_OP_MASK,
				.op_mask = SAIO_OP_BIT(SAIO_KOP_NOP) | SAIO_OP_BIT(SAIO_KOP_WRITE) };
	struct saio_client c;
	struct saio_cqe cq[4];
	int fd, pp[2], sv[2], i;
	char b[4];

	fd = open(SAIO_DEVICE, O_RDWR);
	CHECK(fd >= 0, "open");
	p.op_mask |= SAIO_OP_BIT(SAIO_KOP_LAST);
	CHECK(ioctl(fd, SAIO_IOC_SETUP, &p) < 0 && errno == EINVAL, "unknown opcode in mask");
	p.op_mask &= ~SAIO_OP_BIT(SAIO_KOP_LAST);
	p.flags = 0;
	CHECK(ioctl(fd, SAIO_IOC_SETUP, &p) < 0 && errno == EINVAL, "op_mask without the flag");
	p.flags = SAIO_SETUP_OP_MASK;
	p.op_mask = 0;
	CHECK(ioctl(fd, SAIO_IOC_SETUP, &p) < 0 && errno == EINVAL, "empty op mask");
	close(fd);

	/* through the client, then the mask set by hand on its setup */
	memset(&c, 0, sizeof(c));
	c.fd = open(SAIO_DEVICE, O_RDWR | O_CLOEXEC);
	c.p = (struct saio_setup){ .sq_entries = 8, .nr_rings = 1, .flags = SAIO_SETUP_OP_MASK,
				   .op_mask = SAIO_OP_BIT(SAIO_KOP_NOP) |
					      SAIO_OP_BIT(SAIO_KOP_WRITE) };
	CHECK(ioctl(c.fd, SAIO_IOC_SETUP, &c.p) == 0, "SETUP with a mask: %s", strerror(errno));
	c.mem_bytes = c.p.mmap_bytes;
	c.mem = mmap(NULL, c.mem_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, c.fd, 0);
	CHECK(c.mem != MAP_FAILED, "mmap");
	c.ring[0] = (struct saio_uring){ .hdr = c.mem,
		.sqes = (struct saio_sqe *)((char *)c.mem + c.p.sq_off),
		.cqes = (struct saio_cqe *)((char *)c.mem + c.p.cq_off),
		.sq_entries = 8, .sq_mask = 7, .cq_entries = c.p.cq_entries,
		.cq_mask = c.p.cq_entries - 1 };
	CHECK(pipe(pp) == 0 && socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "fds");
	prep(&c.ring[0], SAIO_KOP_WRITE, pp[1], "ab", 2, SAIO_OFF_CURRENT, 0);
	prep(&c.ring[0], SAIO_KOP_SEND, sv[0], "cd", 2, 0, 1);
	prep(&c.ring[0], SAIO_KOP_CLOSE, sv[0], NULL, 0, 0, 2);
	prep(&c.ring[0], SAIO_KOP_NOP, 0, NULL, 0, 0, 3);
	TRY(run_batch(&c, &c.ring[0], cq, 4));
	for (i = 0; i < 4; i++)
		CHECK(cq[i].user_data == (uint64_t)i, "order");
	CHECK(cq[0].res == 2, "WRITE (allowed): %d", cq[0].res);
	CHECK(cq[1].res == -EACCES, "SEND (not in the mask): %d", cq[1].res);
	CHECK(cq[2].res == -EACCES, "CLOSE (not in the mask): %d", cq[2].res);
	CHECK(cq[3].res == 0, "NOP (allowed): %d", cq[3].res);
	CHECK(fcntl(sv[0], F_GETFD) >= 0, "the refused CLOSE closed the descriptor");
	CHECK(read(pp[0], b, sizeof(b)) == 2, "the allowed WRITE's bytes");
	close(pp[0]);
	close(pp[1]);
	close(sv[0]);
	close(sv[1]);
	saio_client_close(&c);
	return 0;
}
