/* SPDX-License-Identifier: MIT */
/*
 * torture_app.c - what a scenario's app (run as `torture app NAME`, with or without
 * LD_PRELOAD=libsaio.so) uses: the transcript, the control pipe, pattern streams and the
 * final descriptor table. Plumbing of the test itself (waiting on the control pipe) uses a
 * raw ppoll system call, so that it is never a batch boundary of the library under test.
 */

#include <arpa/inet.h>
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "torture.h"

static double t_start = -1;

static double mono(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

double app_now(void)
{
	if (t_start < 0)
		t_start = mono();
	return mono() - t_start;
}

static void out(int fd, const char *prefix, const char *fmt, va_list ap)
{
	char line[1024];
	int n = snprintf(line, sizeof(line), "%s", prefix);
	n += vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	for (int off = 0; off < n;) {
		ssize_t k = write(fd, line + off, (size_t)(n - off));
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return;
		off += (int)k;
	}
}

void say(const char *fmt, ...)
{
	int e = errno;
	va_list ap;
	va_start(ap, fmt);
	out(1, "app: ", fmt, ap);
	va_end(ap);
	errno = e;
}

void ctl_send(const char *fmt, ...)
{
	int e = errno;
	va_list ap;
	va_start(ap, fmt);
	out(CTL_OUT, "", fmt, ap);
	va_end(ap);
	errno = e;
}

static int raw_poll(int fd, short events, int ms)
{
	struct pollfd p = { .fd = fd, .events = events };
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };
	return (int)syscall(SYS_ppoll, &p, 1, ms < 0 ? NULL : &ts, NULL, (size_t)8);
}

static char ctl_buf[4096];
static size_t ctl_len;

bool ctl_wait(const char *word, double secs)
{
	double end = app_now() + secs;
	size_t wl = strlen(word);
	for (;;) {
		char *nl;
		while ((nl = memchr(ctl_buf, '\n', ctl_len))) {
			size_t ll = (size_t)(nl - ctl_buf) + 1;
			bool hit = ll > wl && !memcmp(ctl_buf, word, wl);
			memmove(ctl_buf, ctl_buf + ll, ctl_len - ll);
			ctl_len -= ll;
			if (hit)
				return true;
		}
		double left = end - app_now();
		if (left <= 0)
			return false;
		if (raw_poll(CTL_IN, POLLIN, (int)(left * 1000) + 1) <= 0)
			continue;
		ssize_t k = (ssize_t)syscall(SYS_read, CTL_IN, ctl_buf + ctl_len,
					     sizeof(ctl_buf) - ctl_len);
		if (k <= 0)
			return false;
		ctl_len += (size_t)k;
	}
}

/* ---- descriptors the app made, in the order made ------------------------------------- */

#define MAXFD 65536
static unsigned seq[MAXFD];
static unsigned seq_next;

int T(int fd)
{
	if (fd >= 0 && fd < MAXFD)
		seq[fd] = ++seq_next;
	return fd;
}

void untrack(int fd)
{
	if (fd >= 0 && fd < MAXFD)
		seq[fd] = 0;
}

static const char *kind_of(int fd)
{
	char p[64], l[256];
	snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(p, l, sizeof(l) - 1);
	if (n < 0)
		return "?";
	l[n] = 0;
	if (!strncmp(l, "socket:", 7))
		return "socket";
	if (!strncmp(l, "pipe:", 5))
		return "pipe";
	if (!strcmp(l, "anon_inode:[eventpoll]"))
		return "epoll";
	if (!strcmp(l, "anon_inode:[eventfd]"))
		return "eventfd";
	if (!strcmp(l, "anon_inode:[timerfd]"))
		return "timerfd";
	if (!strcmp(l, "anon_inode:[signalfd]"))
		return "signalfd";
	if (!strcmp(l, "anon_inode:[io_uring]"))
		return "io_uring";
	if (!strcmp(l, "/dev/saio"))
		return "saio";
	if (!strncmp(l, "/memfd:", 7))
		return "memfd";
	if (l[0] == '/')
		return "file";
	return "other";
}

/*
 * The table at the end: the app's own descriptors that are still open, in the order made,
 * and any other descriptor that is not the library's ("stray"). The library names its own
 * (rings, notification descriptors, sockets it still drains after the app closed them)
 * through saio_fd_own() when it exports it; an io_uring or /dev/saio descriptor is always
 * the library's (no scenario makes one).
 */
/*
 * Before the table: until the peer has seen everything (the driver says "peer-done"; 10 s
 * at most, x TORTURE_SLOW), and then until no stray descriptor is left (1 s at most): a close queued in the
 * library, or run by a kernel worker, may take a moment. The waits are poll() calls, batch
 * boundaries of the library under test (a plain sleep without it), so the library keeps
 * sending meanwhile, as a server's event loop would.
 */
static void settle_before_table(void)
{
	double end = app_now() + 10 * slowness();
	while (app_now() < end && !ctl_wait("peer-done", 0.01))
		poll(NULL, 0, 50);
}

static int table(bool print);

void fdtable(void)
{
	settle_before_table();
	for (int i = 0; i < 20 && table(false); i++)
		poll(NULL, 0, 50);
	table(true);
}

/* The table; returns how many stray descriptors it has. */
static int table(bool print)
{
	int (*own)(int) = (int (*)(int))dlsym(RTLD_DEFAULT, "saio_fd_own");
	DIR *d = opendir("/proc/self/fd");
	if (!d) {
		if (print)
			say("fds: cannot list");
		return 0;
	}
	int nstray = 0;
	int dfd = dirfd(d);
	unsigned order[256];
	const char *kinds[256];
	int n = 0;
	char stray[512] = "";
	size_t sl = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		int fd = atoi(e->d_name);
		if (fd == dfd || fd <= CTL_OUT)
			continue;
		const char *k = kind_of(fd);
		if (!strcmp(k, "?"))
			continue;	/* closed while we looked */
		if (fd < MAXFD && seq[fd]) {
			if (n < 256) {
				order[n] = seq[fd];
				kinds[n] = k;
				n++;
			}
			continue;
		}
		if ((own && own(fd)) || !strcmp(k, "io_uring") || !strcmp(k, "saio"))
			continue;
		nstray++;
		sl += (size_t)snprintf(stray + sl, sizeof(stray) - sl, " %s", k);
		if (sl >= sizeof(stray))
			sl = sizeof(stray) - 1;
	}
	closedir(d);
	/* in the order made */
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && order[j - 1] > order[j]; j--) {
			unsigned o = order[j];
			const char *k = kinds[j];
			order[j] = order[j - 1];
			kinds[j] = kinds[j - 1];
			order[j - 1] = o;
			kinds[j - 1] = k;
		}
	char line[2048];
	size_t ll = 0;
	for (int i = 0; i < n && ll < sizeof(line) - 16; i++)
		ll += (size_t)snprintf(line + ll, sizeof(line) - ll, " %s", kinds[i]);
	line[ll] = 0;
	if (print) {
		say("fds:%s", n ? line : " none");
		if (sl)
			say("stray fds:%s", stray);
	}
	return nstray;
}

/* ---- results --------------------------------------------------------------------------- */

const char *res(long ret, int err)
{
	static __thread char b[64];
	if (ret >= 0) {
		snprintf(b, sizeof(b), "%ld", ret);
		return b;
	}
	const char *n = strerrorname_np(err);
	snprintf(b, sizeof(b), "-1 %s", n ? n : "?");
	return b;
}

/* A non-blocking write either took bytes or said EAGAIN: how many is not comparable (the
 * library is a larger send buffer), which of the two it was is not either. */
const char *nbres(long ret, int err)
{
	if (ret > 0 || (ret < 0 && (err == EAGAIN || err == EWOULDBLOCK)))
		return "wrote-or-EAGAIN";
	return res(ret, err);
}

/* ---- sockets --------------------------------------------------------------------------- */

int connect_peer(int rcvbuf)
{
	const char *ps = getenv("TORTURE_PORT");
	int s = socket(AF_INET, SOCK_STREAM, 0);
	if (s < 0 || !ps)
		return -1;
	if (rcvbuf)
		setsockopt(s, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(ps)),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	if (connect(s, (struct sockaddr *)&a, sizeof(a)) < 0) {
		say("connect to peer: %s", strerror(errno));
		exit(90);
	}
	return T(s);
}

int listen_local(int *port)
{
	int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(s, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(s, 64) < 0 ||
	    getsockname(s, (struct sockaddr *)&a, &al) < 0) {
		say("listen: %s", strerror(errno));
		exit(91);
	}
	*port = ntohs(a.sin_port);
	return T(s);
}

void set_nb(int fd, bool on)
{
	int fl = fcntl(fd, F_GETFL);
	fcntl(fd, F_SETFL, on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK);
}

double slowness(void)
{
	const char *s = getenv("TORTURE_SLOW");
	return s && atof(s) >= 1 ? atof(s) : 1;
}

void msleep(int ms)
{
	struct timespec d = { ms / 1000, (long)(ms % 1000) * 1000000 };
	while (nanosleep(&d, &d) && errno == EINTR)
		;
}

int epoll_new(void)
{
	return T(epoll_create1(EPOLL_CLOEXEC));
}

void ep_add(int ep, int fd, uint32_t events, uint64_t data)
{
	struct epoll_event e = { .events = events, .data.u64 = data };
	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e))
		say("epoll_ctl ADD: %s", strerror(errno));
}

void xclose(int fd)
{
	untrack(fd);
	close(fd);
}

void tick(int ep)
{
	struct epoll_event ev[8];
	(void)!epoll_wait(ep, ev, 8, 0);
}

#define CHUNK 65536
static __thread unsigned char pbuf[CHUNK];

const unsigned char *pattern_at(uint64_t off, size_t n)
{
	for (size_t i = 0; i < n; i++)
		pbuf[i] = pat(off + i);
	return pbuf;
}

uint64_t fill(int fd, uint64_t *off)
{
	uint64_t total = 0;
	while (total < (256u << 20)) {
		ssize_t k = write(fd, pattern_at(*off, CHUNK), CHUNK);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		*off += (uint64_t)k;
		total += (uint64_t)k;
	}
	return total;
}

static int write_bytes(int fd, const unsigned char *p, size_t n, uint64_t *off)
{
	double end = app_now() + 30;
	while (n) {
		const unsigned char *src = p ? p : pattern_at(*off, n < CHUNK ? n : CHUNK);
		size_t want = p ? n : (n < CHUNK ? n : CHUNK);
		ssize_t k = write(fd, src, want);
		if (k < 0 && (errno == EAGAIN || errno == EINTR)) {
			struct pollfd pf = { .fd = fd, .events = POLLOUT };
			if (app_now() > end)
				return -1;
			poll(&pf, 1, 100);
			continue;
		}
		if (k < 0)
			return -1;
		if (p)
			p += k;
		else
			*off += (uint64_t)k;
		n -= (size_t)k;
	}
	return 0;
}

int write_all(int fd, uint64_t *off, uint64_t n)
{
	return write_bytes(fd, NULL, n, off);
}

int write_trailer(int fd, uint64_t off)
{
	unsigned char t[TRAILER_LEN];
	memcpy(t, TRAILER_MAGIC, 4);
	for (int i = 0; i < 8; i++)
		t[4 + i] = (unsigned char)(off >> (8 * i));
	return write_bytes(fd, t, sizeof(t), NULL);
}

int write_str(int fd, const char *s)
{
	return write_bytes(fd, (const unsigned char *)s, strlen(s), NULL);
}

void churn(void)
{
	/* Freed memory of the library (a ring freed under a descriptor) gets reused and
	 * scribbled over, so that a dangling pointer shows. Kept allocated until exit. */
	for (int i = 0; i < 4000; i++) {
		size_t n = 32 + (size_t)(i * 37 % 4096);
		void *m = malloc(n);
		if (m)
			memset(m, 0xa5, n);
	}
}
