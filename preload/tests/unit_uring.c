/* SPDX-License-Identifier: MIT */
/*
 * unit_uring.c - the io_uring backend against real sockets: ops that wait for a full
 * socket finish in order while the application sleeps in epoll_wait (and the EINTRs of
 * that task work stay hidden, while a real signal's EINTR is delivered), a peer's
 * reset reaches the next call, sendfile from a real file, threads with their own rings.
 *
 * With SAIO_BACKEND=kmod (and SAIO_KMOD_*) the same tests run against the kmod backend
 * (kmod/tests/run.sh does so in its QEMU guest); the check that is about io_uring's task
 * work (hidden EINTRs) then does not apply.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/tcp.h>	/* (struct tcp_info with tcpi_segs_in: glibc's copy is older) */
#include <sys/uio.h>
#include <sys/epoll.h>
#include <sys/time.h>
#include <time.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <liburing.h>

#include "saio.h"
#include "saio_int.h"
#include "backend.h"
#include "unit.h"

#define TOTAL (4u << 20)

/* What the kernel offers, asked of it with a ring of our own (not the library's answer):
 * IORING_OP_EPOLL_WAIT (6.15+) with the enter's extended argument. Debian 12's 6.1, the
 * kmod suite's guest, has neither the opcode nor the fold. */
static bool kernel_has_epoll_wait_op(void)
{
	struct io_uring ring;
	if (io_uring_queue_init(2, &ring, 0))
		return false;
	struct io_uring_probe *pr = io_uring_get_probe_ring(&ring);
	bool ok = pr && io_uring_opcode_supported(pr, 59 /* IORING_OP_EPOLL_WAIT */) &&
		  (ring.features & IORING_FEAT_EXT_ARG);
	if (pr)
		io_uring_free_probe(pr);
	io_uring_queue_exit(&ring);
	return ok;
}

static long ms_between(const struct timespec *t0, const struct timespec *t1)
{
	return (t1->tv_sec - t0->tv_sec) * 1000 + (t1->tv_nsec - t0->tv_nsec) / 1000000;
}

static int rd_fd;
static volatile int reader_ok;

static void *slow_reader(void *arg)
{
	(void)arg;
	usleep(200000);	/* let the writer fill the socket first */
	char *buf = malloc(65536);
	uint32_t got = 0;
	int ok = 1;
	while (got < TOTAL) {
		ssize_t n = REAL(read)(rd_fd, buf, 65536);
		if (n <= 0) {
			ok = 0;
			break;
		}
		for (ssize_t i = 0; i < n; i++)
			if ((unsigned char)buf[i] != (unsigned char)((got + (uint32_t)i) * 7 / 65536))
				ok = 0;
		got += (uint32_t)n;
		usleep(200);
	}
	free(buf);
	reader_ok = ok && got == TOTAL;
	return NULL;
}

static volatile int usr1;
static void on_usr1(int s)
{
	(void)s;
	usr1++;
}

static void *kick(void *arg)
{
	usleep(100000);
	pthread_kill(*(pthread_t *)arg, SIGUSR1);
	return NULL;
}

static void *late_byte(void *arg)
{
	usleep(50000);
	ssize_t n = REAL(write)(*(int *)arg, "y", 1);
	return (void *)(long)n;
}

static void *plain_writer(void *arg)
{
	int fd = *(int *)arg;
	/* This thread never calls epoll_wait: no ring, its write is synchronous. */
	ssize_t n = write(fd, "X", 1);
	return (void *)(long)(n < 0 ? -errno : n);
}

static void *thread_writer(void *arg)
{
	int *sv = arg;
	int ep = epoll_create1(0);
	struct epoll_event e;
	epoll_wait(ep, &e, 1, 0);	/* this thread becomes an event-loop thread */
	for (int i = 0; i < 100; i++)
		write(sv[0], "t", 1);
	epoll_wait(ep, &e, 1, 0);	/* batch boundary */
	saio_drain_fd(sv[0]);
	close(ep);
	return (void *)(long)(saio_ring_self(false) != NULL);
}

/* A connected TCP pair on loopback: c as the application's (deferred), a the peer's, with
 * a small receive buffer, unread. */
static void tcp_pair(int *c, int *a)
{
	int l = REAL(socket)(AF_INET, SOCK_STREAM, 0), small = 16384;
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sa);
	REAL(setsockopt)(l, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	bind(l, (struct sockaddr *)&sa, sizeof(sa));
	listen(l, 4);
	getsockname(l, (struct sockaddr *)&sa, &sl);
	*c = socket(AF_INET, SOCK_STREAM, 0);
	REAL(setsockopt)(*c, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	connect(*c, (struct sockaddr *)&sa, sizeof(sa));
	*a = REAL(accept)(l, NULL, NULL);
	fcntl(*c, F_SETFL, fcntl(*c, F_GETFL) | O_NONBLOCK);
	REAL(close)(l);
}

static uint32_t fill_mb(int fd)
{
	char *b = calloc(1, 65536);
	uint32_t n = 0;
	while (n < (1u << 20)) {
		ssize_t k = write(fd, b, 65536);
		if (k <= 0)
			break;
		n += (uint32_t)k;
	}
	free(b);
	return n;
}

/* Read to the end (3 s at most): 0 at EOF, else the error. */
static int read_all(int fd, size_t *n)
{
	char *b = malloc(65536);
	struct timeval tv = { 20, 0 };	/* (TCG in the guest is slow) */
	REAL(setsockopt)(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	int end = ETIMEDOUT;
	for (;;) {
		ssize_t k = REAL(read)(fd, b, 65536);
		if (k > 0) {
			*n += (size_t)k;
			continue;
		}
		end = k == 0 ? 0 : errno;
		break;
	}
	free(b);
	return end;
}

static int drain_fd, drain_end;
static size_t drain_n;
static volatile int drain_done;

static void *drain_reader(void *arg)
{
	(void)arg;
	drain_n = 0;
	drain_end = read_all(drain_fd, &drain_n);
	drain_done = 1;
	return NULL;
}

/*
 * nginx's Connection: close (cork, the response, close without an uncork) on a fresh
 * loopback connection, with the library (lib) or with the real calls: the peer reads to
 * EOF; returns how many segments it received (tcpi_segs_in: the SYN-ACK, then the
 * response and the FIN), or 0 if the bytes were not all there.
 */
static unsigned corked_close_segs(int ep, bool lib)
{
	/* (a listener the library saw made: its connections are known uncorked) */
	int l = lib ? socket(AF_INET, SOCK_STREAM, 0) : REAL(socket)(AF_INET, SOCK_STREAM, 0);
	int one = 1;
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sa);
	bind(l, (struct sockaddr *)&sa, sizeof(sa));
	listen(l, 4);
	getsockname(l, (struct sockaddr *)&sa, &sl);
	int c = REAL(socket)(AF_INET, SOCK_STREAM, 0);
	connect(c, (struct sockaddr *)&sa, sizeof(sa));
	char resp[1043];
	for (size_t i = 0; i < sizeof(resp); i++)
		resp[i] = (char)(i * 13);
	if (lib) {
		int s = accept4(l, NULL, NULL, SOCK_NONBLOCK);
		struct epoll_event e = { .events = EPOLLIN | EPOLLRDHUP | EPOLLET, .data.fd = s };
		epoll_ctl(ep, EPOLL_CTL_ADD, s, &e);
		setsockopt(s, IPPROTO_TCP, TCP_CORK, &one, sizeof(one));
		write(s, resp, sizeof(resp));
		close(s);
		epoll_wait(ep, &e, 1, 20);	/* the batch (folded into the wait where it can) */
	} else {
		int s = REAL(accept4)(l, NULL, NULL, SOCK_NONBLOCK);
		REAL(setsockopt)(s, IPPROTO_TCP, TCP_CORK, &one, sizeof(one));
		REAL(write)(s, resp, sizeof(resp));
		REAL(close)(s);
	}
	size_t n = 0;
	int end = read_all(c, &n);
	struct tcp_info ti;
	socklen_t tl = sizeof(ti);
	memset(&ti, 0, sizeof(ti));
	REAL(getsockopt)(c, IPPROTO_TCP, TCP_INFO, &ti, &tl);
	REAL(close)(c);
	if (lib)
		close(l);
	else
		REAL(close)(l);
	return end == 0 && n == sizeof(resp) ? ti.tcpi_segs_in : 0;
}

/* Takes the epoll set's lock over and over (EPOLL_CTL_MOD of another descriptor), so that
 * an io_uring EPOLL_CTL may find it taken and go to an io-wq worker. */
static int ctl_ep, ctl_fd;
static volatile int ctl_stop;

static void *ctl_storm(void *arg)
{
	(void)arg;
	struct epoll_event e = { .events = EPOLLOUT, .data.u64 = 9 };
	while (!ctl_stop)
		REAL(epoll_ctl)(ctl_ep, EPOLL_CTL_MOD, ctl_fd, &e);
	return NULL;
}

int main(void)
{
	int ep = epoll_create1(0);
	int p[2];
	pipe(p);
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = p[0] };
	epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev);
	epoll_wait(ep, &ev, 1, 0);
	if (!saio_ring_self(false)) {
		printf("not ok %s ring available\n", saio_backend_default->name);
		return 1;
	}
	const bool uring = !strcmp(saio_ring_self(false)->be->name, "uring");
	/* the library folds epoll_wait into the batch's enter exactly when this holds */
	const bool fold_expected = uring && !saio_cfg.sqpoll && saio_cfg.epoll_fold &&
				   kernel_has_epoll_wait_op();
	printf("# IORING_OP_EPOLL_WAIT folded: %s\n", fold_expected ? "expected" : "not expected");

	TEST("uring: 4 MiB through a full socket, in order, while sleeping in epoll_wait", {
		int sv[2];
		socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv);
		rd_fd = sv[1];
		int fl = fcntl(sv[1], F_GETFL);
		fcntl(sv[1], F_SETFL, fl & ~O_NONBLOCK);
		char *chunk = malloc(65536);
		uint32_t off = 0;
		int eagain = 0;
		while (off < TOTAL) {
			for (uint32_t i = 0; i < 65536; i++)
				chunk[i] = (char)((off + i) * 7 / 65536);
			ssize_t n = write(sv[0], chunk, 65536);
			if (n < 0) {
				CHECK(errno == EAGAIN);
				eagain++;
				break;
			}
			CHECK(n == 65536);
			off += (uint32_t)n;
		}
		CHECK(off == TOTAL && eagain == 0);	/* all owned by the library (4 MiB budget) */
		pthread_t t;
		pthread_create(&t, NULL, slow_reader, NULL);
		uint64_t hidden = atomic_load(&saio_stats.eintr_hidden);
		uint64_t folded = atomic_load(&saio_stats.epoll_folded);
		int eintr = 0;
		for (int i = 0; i < 40 && saio_fd_peek(sv[0])->head; i++) {
			int n = epoll_wait(ep, &ev, 1, 100);
			if (n < 0 && errno == EINTR)
				eintr++;
		}
		pthread_join(t, NULL);
		CHECK(reader_ok);
		CHECK(eintr == 0);
		/* The waits ran inside io_uring_enter (IORING_OP_EPOLL_WAIT: the task work of
		 * the sends runs there), or io_uring task work interrupted epoll_wait and the
		 * EINTRs were hidden (SAIO_EPOLL_WAIT=0, or a kernel without the opcode). */
		if (uring && !saio_cfg.sqpoll)
			CHECK(atomic_load(&saio_stats.epoll_folded) > folded ||
			      atomic_load(&saio_stats.eintr_hidden) > hidden);
		if (uring && !saio_cfg.epoll_fold && !saio_cfg.sqpoll)
			CHECK(atomic_load(&saio_stats.epoll_folded) == folded &&
			      atomic_load(&saio_stats.eintr_hidden) > hidden);
		CHECK(saio_fd_peek(sv[0])->bytes == 0);
		free(chunk);
		close(sv[0]);
		close(sv[1]);
	});

	TEST("uring: a real signal still interrupts epoll_wait with EINTR", {
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_usr1;
		sigaction(SIGUSR1, &sa, NULL);
		struct sigaction back;
		sigaction(SIGUSR1, NULL, &back);
		CHECK(back.sa_handler == on_usr1);	/* our trampoline stays invisible */
		pthread_t self = pthread_self(), t;
		pthread_create(&t, NULL, kick, &self);
		errno = 0;
		int n = epoll_wait(ep, &ev, 1, 2000);
		CHECK(n == -1 && errno == EINTR && usr1 == 1);
		pthread_join(t, NULL);
	});

	TEST("uring: epoll_wait folded into the batch's io_uring_enter answers as epoll_wait does", {
		/* Kernels with IORING_OP_EPOLL_WAIT (SAIO_EPOLL_WAIT=0: the old way, where the
		 * same answers are checked and nothing is folded). */
		int sv[2];
		socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv);
		int ep2 = epoll_create1(0);
		struct epoll_event e = { .events = EPOLLIN, .data.u64 = 42 }, out[4];
		CHECK(epoll_ctl(ep2, EPOLL_CTL_ADD, sv[0], &e) == 0);
		epoll_wait(ep2, out, 4, 0);
		uint64_t folded = atomic_load(&saio_stats.epoll_folded);
		uint64_t enters = atomic_load(&saio_stats.enters);
		/* a queued write and a wait whose event is there: one system call */
		CHECK(write(sv[0], "ping", 4) == 4);
		CHECK(REAL(write)(sv[1], "x", 1) == 1);
		memset(out, 0, sizeof(out));
		CHECK(epoll_wait(ep2, out, 4, 1000) == 1 && out[0].data.u64 == 42 &&
		      out[0].events == EPOLLIN);
		bool fold = atomic_load(&saio_stats.epoll_folded) > folded;
		if (fold)
			CHECK(atomic_load(&saio_stats.enters) - enters == 1);
		else
			CHECK(!fold_expected);
		char b[8];
		saio_drain_fd(sv[0]);	/* (with SQPOLL another thread issues the send) */
		ssize_t got = REAL(read)(sv[1], b, sizeof(b));
		if (got != 4) {
			struct saio_fd *ff = saio_fd_peek(sv[0]);
			fprintf(stderr, "  read %zd (%s); folded %d, queued %u, in flight %u\n", got,
				strerror(errno), fold, ff->nqueued, ff->ninflight);
		}
		CHECK(got == 4 && !memcmp(b, "ping", 4));
		CHECK(REAL(read)(sv[0], b, 1) == 1);
		/* nothing comes: 0 at the timeout, not before */
		struct timespec t0, t1;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		CHECK(epoll_wait(ep2, out, 4, 80) == 0);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		long ms = ms_between(&t0, &t1);
		CHECK(ms >= 79 && ms < 2000);
		/* an event arriving during the wait ends it */
		pthread_t tw;
		pthread_create(&tw, NULL, late_byte, &sv[1]);
		CHECK(epoll_wait(ep2, out, 4, 5000) == 1 && out[0].data.u64 == 42);
		pthread_join(tw, NULL);
		CHECK(REAL(read)(sv[0], b, 1) == 1);
		/* epoll_pwait's mask holds a signal back for the wait; it runs after (such a
		 * wait is not folded: the mask must cover the whole call) */
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_usr1;
		sigaction(SIGUSR1, &sa, NULL);
		sigset_t block;
		sigemptyset(&block);
		sigaddset(&block, SIGUSR1);
		int before = usr1;
		pthread_t self = pthread_self(), tk;
		pthread_create(&tk, NULL, kick, &self);
		CHECK(epoll_pwait(ep2, out, 4, 300, &block) == 0);
		pthread_join(tk, NULL);
		CHECK(usr1 == before + 1);	/* delivered when the mask was lifted */
		/* a set that is not an epoll instance, and a closed one: epoll_wait's errors */
		errno = 0;
		CHECK(epoll_wait(sv[0], out, 4, 10) == -1 && errno == EINVAL);
		close(ep2);
		errno = 0;
		CHECK(epoll_wait(ep2, out, 4, 10) == -1 && errno == EBADF);
		if (fold_expected)
			CHECK(fold);
		close(sv[0]);
		close(sv[1]);
	});

	TEST("uring: a folded wait whose completion a flush reaped before the enter does not sleep", {
		/* The loop around the enter stages follow-up requests, and a submit there (a
		 * chain that did not fit) reaps what is ready, the epoll wait's completion too.
		 * The enter after it must not then wait for a completion that already came:
		 * nginx slept there with a request unread (3 of ~355 trials under load). */
		struct saio_ring *r = saio_ring_self(false);
		int ep2 = epoll_create1(0), sv[2];
		socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv);
		struct epoll_event e = { .events = EPOLLIN, .data.u64 = 5 }, out[4];
		CHECK(REAL(epoll_ctl)(ep2, EPOLL_CTL_ADD, sv[0], &e) == 0);
		CHECK(REAL(write)(sv[1], "e", 1) == 1);	/* the wait completes when issued */
		pthread_mutex_lock(&r->lock);
		int staged = r->be->epoll_prep ? r->be->epoll_prep(r, ep2, out, 4) : -ENOSYS;
		if (staged == 0) {
			r->be->submit(r);	/* what a flush's submit does */
			r->be->reap(r);
		}
		pthread_mutex_unlock(&r->lock);
		CHECK(staged == 0 || !fold_expected);
		if (staged == 0) {
			struct __kernel_timespec ts = { 2, 0 };
			struct timespec t0, t1;
			clock_gettime(CLOCK_MONOTONIC, &t0);
			r->be->epoll_enter(r, &ts, NULL);
			clock_gettime(CLOCK_MONOTONIC, &t1);
			long ms = ms_between(&t0, &t1);
			int res = -1;
			pthread_mutex_lock(&r->lock);
			bool done = r->be->epoll_done(r, &res);
			pthread_mutex_unlock(&r->lock);
			CHECK(done && res == 1 && out[0].data.u64 == 5);
			CHECK(ms < 500);
			if (ms >= 500)
				fprintf(stderr, "  the enter slept %ld ms\n", ms);
		}
		close(sv[0]);
		close(sv[1]);
		close(ep2);
	});

	TEST("uring: a close's epoll removal goes in the wait's io_uring_enter; the wait never reports the closed descriptor", {
		int ep2 = epoll_create1(0), live[2], sv[2];
		socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, live);
		struct epoll_event e = { .events = EPOLLIN, .data.u64 = 8 }, out[8];
		CHECK(epoll_ctl(ep2, EPOLL_CTL_ADD, live[0], &e) == 0);
		CHECK(REAL(write)(live[1], "l", 1) == 1);	/* always an event: no sleeping */
		epoll_wait(ep2, out, 8, 0);
		/* a readable socket closed: its removal, its close and the wait, one enter */
		socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv);
		e.data.u64 = 7;
		CHECK(epoll_ctl(ep2, EPOLL_CTL_ADD, sv[0], &e) == 0);
		CHECK(REAL(write)(sv[1], "r", 1) == 1);
		uint64_t folded = atomic_load(&saio_stats.epoll_folded);
		uint64_t enters = atomic_load(&saio_stats.enters);
		CHECK(close(sv[0]) == 0);
		CHECK(epoll_wait(ep2, out, 8, 1000) == 1 && out[0].data.u64 == 8);
		if (fold_expected) {
			CHECK(atomic_load(&saio_stats.epoll_folded) == folded + 1);
			CHECK(atomic_load(&saio_stats.enters) - enters == 1);
		}
		REAL(close)(sv[1]);
		/* and while another thread holds the set's lock now and then: a removal the
		 * kernel could not do at once still comes before the wait */
		int other[2];
		socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, other);
		e.data.u64 = 9;
		e.events = EPOLLOUT;
		REAL(epoll_ctl)(ep2, EPOLL_CTL_ADD, other[0], &e);
		ctl_ep = ep2;
		ctl_fd = other[0];
		ctl_stop = 0;
		pthread_t ts;
		pthread_create(&ts, NULL, ctl_storm, NULL);
		int reported = 0;
		for (int i = 0; i < 3000; i++) {
			socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv);
			e.events = EPOLLIN;
			e.data.u64 = 1000 + (uint64_t)i;
			epoll_ctl(ep2, EPOLL_CTL_ADD, sv[0], &e);
			REAL(write)(sv[1], "r", 1);
			close(sv[0]);
			int n = epoll_wait(ep2, out, 8, 1000);
			for (int k = 0; k < n; k++)
				reported += out[k].data.u64 >= 1000;
			REAL(close)(sv[1]);
		}
		ctl_stop = 1;
		pthread_join(ts, NULL);
		CHECK(reported == 0);
		if (reported)
			fprintf(stderr, "  a closed descriptor reported %d times\n", reported);
		close(other[0]);
		close(other[1]);
		close(live[0]);
		close(live[1]);
		close(ep2);
	});

	TEST("uring: a peer's reset reaches the next call on the fd", {
		int sv[2];
		socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv);
		REAL(close)(sv[1]);
		CHECK(send(sv[0], "x", 1, MSG_NOSIGNAL) == 1);	/* accepted */
		epoll_wait(ep, &ev, 1, 0);			/* runs: EPIPE */
		/* Issued by another thread (SQPOLL, kmod workers), it may not have run yet:
		 * its error reaches the first call after it did. */
		if (saio_ring_self(false)->be->caps(saio_ring_self(false)) & SAIO_CAP_ASYNC_ISSUE)
			saio_drain_fd(sv[0]);
		errno = 0;
		ssize_t r = send(sv[0], "y", 1, MSG_NOSIGNAL);
		int e = errno;
		CHECK(r == -1 && e == EPIPE);
		if (r != -1 || e != EPIPE)
			fprintf(stderr, "  second send: %zd (%s)\n", r, r < 0 ? strerror(e) : "accepted");
		CHECK(atomic_load(&saio_stats.errors_later) >= 1);
		close(sv[0]);
	});

	TEST("uring: sendfile of a real file, file closed right after, bytes exact", {
		char path[] = "/tmp/saio-unit-XXXXXX";
		int tf = mkstemp(path);
		char data[5000];
		for (int i = 0; i < 5000; i++)
			data[i] = (char)(i * 13);
		REAL(write)(tf, data, sizeof(data));
		close(tf);
		int file = open(path, O_RDONLY);
		unlink(path);
		struct stat st;
		fstat(file, &st);
		int sv[2];
		socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv);
		CHECK(write(sv[0], "HDR", 3) == 3);
		off_t off = 0;
		CHECK(sendfile(sv[0], file, &off, 5000) == 5000 && off == 5000);
		CHECK(close(file) == 0);
		CHECK(close(sv[0]) == 0);
		epoll_wait(ep, &ev, 1, 0);
		char got[6000];
		size_t n = 0;
		ssize_t k = -1;
		/* The held close/send may need more boundaries, and on a busy machine io_uring's
		 * worker may take longer than one: read to EOF (the peer closed), giving the library
		 * a boundary each round, for 10 s at most. */
		for (int round = 0; round < 1000 && k != 0; round++) {
			while ((k = REAL(read)(sv[1], got + n, sizeof(got) - n)) > 0)
				n += (size_t)k;
			if (k != 0)
				epoll_wait(ep, &ev, 1, 10);
		}
		CHECK(k == 0 && n == 5003 && !memcmp(got, "HDR", 3) && !memcmp(got + 3, data, 5000));
		for (int round = 0; round < 1000 && fcntl(file, F_GETFD) != -1; round++)
			epoll_wait(ep, &ev, 1, 10);
		CHECK(fcntl(file, F_GETFD) == -1);	/* the held close ran */
		close(sv[1]);
	});

	TEST("uring: an nginx response (cork, writev, sendfile, uncork) is one read and one send", {
		char path[] = "/tmp/saio-unit-XXXXXX";
		int file = mkstemp(path);
		unlink(path);
		char data[1024];
		for (int i = 0; i < 1024; i++)
			data[i] = (char)(i * 7);
		REAL(write)(file, data, sizeof(data));
		struct stat st;
		fstat(file, &st);
		int l = socket(AF_INET, SOCK_STREAM, 0), one = 1, zero = 0, v = -1;
		struct sockaddr_in sa = { .sin_family = AF_INET,
					  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		socklen_t sl = sizeof(sa), vl = sizeof(v);
		bind(l, (struct sockaddr *)&sa, sizeof(sa));
		listen(l, 4);
		getsockname(l, (struct sockaddr *)&sa, &sl);
		int c = REAL(socket)(AF_INET, SOCK_STREAM, 0);
		connect(c, (struct sockaddr *)&sa, sizeof(sa));
		int s = accept4(l, NULL, NULL, SOCK_NONBLOCK);
		epoll_wait(ep, &ev, 1, 0);
		bool is_uring = !strcmp(saio_backend_default->name, "uring");
		uint64_t kops = atomic_load(&saio_stats.sqes);
		uint64_t corks0 = atomic_load(&saio_stats.corks_elided);
		uint64_t fused0 = atomic_load(&saio_stats.fused);
		for (int i = 0; i < 3; i++) {
			CHECK(setsockopt(s, IPPROTO_TCP, TCP_CORK, &one, sizeof(one)) == 0);
			struct iovec hv[2] = { { "HTTP/1.1 200 OK\r\n", 17 }, { "\r\n", 2 } };
			CHECK(writev(s, hv, 2) == 19);
			off_t off = 0;
			CHECK(sendfile(s, file, &off, 1024) == 1024);
			CHECK(setsockopt(s, IPPROTO_TCP, TCP_CORK, &zero, sizeof(zero)) == 0);
			CHECK(getsockopt(s, IPPROTO_TCP, TCP_CORK, &v, &vl) == 0 && v == 0);
			epoll_wait(ep, &ev, 1, 0);
			char got[2048];
			size_t n = 0;
			for (int round = 0; round < 1000 && n < 1043; round++) {
				ssize_t k = REAL(recv)(c, got + n, sizeof(got) - n, MSG_DONTWAIT);
				if (k > 0)
					n += (size_t)k;
				else
					epoll_wait(ep, &ev, 1, 10);
			}
			CHECK(n == 1043 && !memcmp(got, "HTTP/1.1 200 OK\r\n\r\n", 19) &&
			      !memcmp(got + 19, data, 1024));
			/* The peer has the bytes, but the send's completion may not be reaped
			 * yet (it went async on a busy machine): the next sendfile would then
			 * read the file at once (read_now) and the count would be 5. Each
			 * response starts with nothing of the socket in flight. */
			saio_drain_fd(s);
		}
		/* io_uring: a read and a send per response, no setsockopt (kmod sends the
		 * file itself: its count differs) */
		if (is_uring) {
			uint64_t sq = atomic_load(&saio_stats.sqes) - kops;
			CHECK(sq == 6);
			if (sq != 6)	/* (a clean-clone run once saw more: say which ops) */
				fprintf(stderr, "  %llu requests; cork pairs elided %llu, calls fused %llu\n",
					(unsigned long long)sq,
					(unsigned long long)(atomic_load(&saio_stats.corks_elided) - corks0),
					(unsigned long long)(atomic_load(&saio_stats.fused) - fused0));
		}
		/* a cork left on at the batch end is the kernel's, and getsockopt says so */
		CHECK(setsockopt(s, IPPROTO_TCP, TCP_CORK, &one, sizeof(one)) == 0);
		CHECK(write(s, "x", 1) == 1);
		epoll_wait(ep, &ev, 1, 0);
		saio_drain_fd(s);	/* (an SQPOLL thread runs it when it runs) */
		v = -1;
		CHECK(REAL(getsockopt)(s, IPPROTO_TCP, TCP_CORK, &v, &vl) == 0 && v == 1);
		CHECK(setsockopt(s, IPPROTO_TCP, TCP_CORK, &zero, sizeof(zero)) == 0);
		v = -1;
		CHECK(getsockopt(s, IPPROTO_TCP, TCP_CORK, &v, &vl) == 0 && v == 0);
		close(file);
		close(s);
		close(l);
		REAL(close)(c);
		epoll_wait(ep, &ev, 1, 0);
	});

	TEST("uring: a corked response closed (Connection: close) ends in one segment with the FIN, as without the library", {
		/* the cork is not run (fusion), but the bytes still wait for the FIN as the
		 * cork would have made them: the peer sees the same segments */
		unsigned real = corked_close_segs(ep, false), ours = corked_close_segs(ep, true);
		CHECK(real != 0 && ours == real);
		if (ours != real)
			fprintf(stderr, "  segments at the peer: %u without the library, %u with it\n",
				real, ours);
	});

	TEST("uring: another thread has its own ring and its writes arrive", {
		int sv[2];
		socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv);
		pthread_t t;
		void *had_ring;
		pthread_create(&t, NULL, thread_writer, sv);
		pthread_join(t, &had_ring);
		CHECK(had_ring == (void *)1);
		char buf[200];
		CHECK(REAL(read)(sv[1], buf, sizeof(buf)) == 100);
		close(sv[0]);
		close(sv[1]);
	});

	TEST("uring: a thread without a ring writes after another ring's queued ops", {
		int sv[2];
		socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv);
		CHECK(write(sv[0], "abc", 3) == 3);	/* queued in this thread's ring */
		CHECK(saio_fd_peek(sv[0])->nqueued == 1);
		pthread_t t;
		void *wr;
		pthread_create(&t, NULL, plain_writer, &sv[0]);
		pthread_join(t, &wr);
		char buf[16];
		ssize_t n = REAL(read)(sv[1], buf, sizeof(buf));
		CHECK(n == 4 && !memcmp(buf, "abcX", 4));
		if (n != 4 || memcmp(buf, "abcX", 4))
			fprintf(stderr, "  the other thread's write: %ld%s%s; read %zd bytes: \"%.*s\"\n",
				(long)wr, (long)wr < 0 ? " = -" : "",
				(long)wr < 0 ? strerrorname_np((int)-(long)wr) : "", n,
				n > 0 ? (int)n : 0, buf);
		close(sv[0]);
		close(sv[1]);
	});

	TEST("uring: exec waits for queued ops (the new image loses nothing)", {
		int sv[2];
		socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
		pid_t pid = fork();
		if (pid == 0) {
			int e2 = epoll_create1(0);
			struct epoll_event x;
			epoll_wait(e2, &x, 1, 0);	/* the child's own ring */
			for (int i = 0; i < 50; i++)
				write(sv[0], "0123456789", 10);
			char *argv[] = { "true", NULL };
			execv("/bin/true", argv);
			_exit(9);
		}
		REAL(close)(sv[0]);
		char buf[1000];
		size_t n = 0;
		ssize_t k;
		while (n < sizeof(buf) && (k = REAL(read)(sv[1], buf + n, sizeof(buf) - n)) > 0)
			n += (size_t)k;
		int status;
		waitpid(pid, &status, 0);
		CHECK(n == 500 && WIFEXITED(status) && WEXITSTATUS(status) == 0);
		close(sv[1]);
	});

	TEST("custody: a close behind a peer that does not read frees the number at once; "
	     "the bytes all arrive", {
		int c, a;
		tcp_pair(&c, &a);
		uint64_t drained = atomic_load(&saio_stats.drained);
		CHECK(fill_mb(c) == (1u << 20));
		epoll_wait(ep, &ev, 1, 0);	/* in flight, waiting for the peer */
		CHECK(close(c) == 0);
		CHECK(fcntl(c, F_GETFD) == -1 && errno == EBADF);	/* the number is free */
		CHECK(atomic_load(&saio_stats.draining_fds) == 1);
		CHECK(atomic_load(&saio_stats.draining_bytes) > 0);
		/* the peer reads while this thread sits in its event loop, as a server's */
		pthread_t t;
		drain_fd = a;
		pthread_create(&t, NULL, drain_reader, NULL);
		for (int i = 0; i < 300 && !drain_done; i++)	/* 30 s: TCG is slow */
			epoll_wait(ep, &ev, 1, 100);
		pthread_join(t, NULL);
		CHECK(drain_n == (1u << 20) && drain_end == 0);	/* every byte, then EOF */
		if (drain_n != (1u << 20) || drain_end)
			fprintf(stderr, "  peer: %zu bytes, end %d, draining %lu\n", drain_n, drain_end, (unsigned long)atomic_load(&saio_stats.draining_fds));
		epoll_wait(ep, &ev, 1, 10);
		CHECK(atomic_load(&saio_stats.draining_fds) == 0);
		CHECK(atomic_load(&saio_stats.draining_bytes) == 0);
		CHECK(atomic_load(&saio_stats.drained) == drained + 1);
		REAL(close)(a);
	});

	TEST("custody: after SAIO_DRAIN_MS the socket is reset, as an orphan's time ends", {
		int c, a;
		tcp_pair(&c, &a);
		unsigned old = saio_cfg.drain_ms;
		uint64_t aborted = atomic_load(&saio_stats.drain_aborted);
		saio_cfg.drain_ms = 200;
		CHECK(fill_mb(c) == (1u << 20));
		epoll_wait(ep, &ev, 1, 0);
		CHECK(close(c) == 0);
		CHECK(atomic_load(&saio_stats.draining_fds) == 1);
		int n = epoll_wait(ep, &ev, 1, 600);	/* the library looks at it meanwhile */
		CHECK(n == 0);
		CHECK(atomic_load(&saio_stats.draining_fds) == 0);
		CHECK(atomic_load(&saio_stats.drain_aborted) == aborted + 1);
		size_t got = 0;
		CHECK(read_all(a, &got) == ECONNRESET && got < (1u << 20));
		saio_cfg.drain_ms = old;
		REAL(close)(a);
	});

	return unit_failures ? 1 : 0;
}
