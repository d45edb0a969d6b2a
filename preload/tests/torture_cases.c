/* SPDX-License-Identifier: MIT */
/*
 * torture_cases.c - the scenarios of the differential torture suite. Each is an app (what
 * runs with and without libsaio) and usually a peer (in the driver, never under the
 * library). "item N" is the numbered defect of issue 10 the scenario reproduces; the
 * README's semantics name these scenarios for the rules they check.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <linux/tls.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "torture.h"

#define SMALL_RCVBUF 16384

/* An event-loop thread: its first epoll_wait gives it a ring under the library. */
static int loop_thread(void)
{
	int ep = epoll_new();
	tick(ep);
	return ep;
}

/* ---- peers ---------------------------------------------------------------------------- */

/* One connection: wait for "drain" (or give up waiting), then read to the end and check
 * the pattern and the trailer. */
static void peer_drain_trailer(struct peer *p)
{
	int s = paccept(p, 5, 0);
	if (s < 0) {
		plog(p, "no connection");
		return;
	}
	bool sig = pwait(p, "drain", 10);
	plog(p, "drain signal %s", sig ? "received" : "NOT received in 10 s");
	struct stream st = { 0 };
	pread_all(s, 20, &st);
	plog(p, "%s, then %s", check_pattern(&st, true, UINT64_MAX), endname(st.end));
	free(st.buf);
	close(s);
}

/* One connection read to the end at once: pattern and trailer. */
static void peer_read_trailer(struct peer *p)
{
	int s = paccept(p, 5, 0);
	if (s < 0) {
		plog(p, "no connection");
		return;
	}
	struct stream st = { 0 };
	pread_all(s, 20, &st);
	plog(p, "%s, then %s", check_pattern(&st, true, UINT64_MAX), endname(st.end));
	free(st.buf);
	close(s);
}

/* One connection the app closes behind the library's back: wait for "count N" and
 * "drain", then exactly N pattern bytes must arrive, then EOF. */
static void peer_count_drain(struct peer *p)
{
	int s = paccept(p, 5, 0);
	if (s < 0) {
		plog(p, "no connection");
		return;
	}
	unsigned long long n = 0;
	if (pwait(p, "count", 15))
		sscanf(p->line, "count %llu", &n);
	bool sig = pwait(p, "drain", 15);
	plog(p, "drain signal %s", sig ? "received" : "NOT received");
	struct stream st = { 0 };
	pread_all(s, 20, &st);
	plog(p, "%s, then %s", check_pattern(&st, false, n), endname(st.end));
	free(st.buf);
	close(s);
}

/* ---- item 1: calls that must not wait for a peer that does not read -------------------- */

static uint64_t sc_off;
struct tw {
	int fd;
	bool ring;
	char res[64];
	bool waited;
};

static void *t_write1(void *arg)
{
	struct tw *w = arg;
	int ep = -1;
	if (w->ring)
		ep = loop_thread();
	double t = app_now();
	errno = 0;
	ssize_t k = write(w->fd, pattern_at(sc_off, 1), 1);
	int e = errno;
	w->waited = app_now() - t >= 0.5;
	if (k == 1)
		sc_off++;
	snprintf(w->res, sizeof(w->res), "%s", nbres(k, e));
	if (ep >= 0)
		xclose(ep);
	return NULL;
}

static void write_from_thread(int fd, bool ring)
{
	struct tw w = { .fd = fd, .ring = ring };
	pthread_t t;
	pthread_create(&t, NULL, t_write1, &w);
	pthread_join(t, NULL);
	say("write of 1 byte from a thread %s a ring: %s, %s", ring ? "with" : "without", w.res,
	    w.waited ? "WAITED" : "at once");
}

static void app_stall_calls(void)
{
	int ep = loop_thread();
	int c = connect_peer(0);
	set_nb(c, true);
	ep_add(ep, c, EPOLLIN, 1);
	fill(c, &sc_off);
	tick(ep);
	fill(c, &sc_off);
	tick(ep);
	say("filled until EAGAIN");
	int one = 1, v = -1, d = -1, sndbuf = 65536;
	struct linger lg = { 0, 0 };
	struct tcp_info ti;
	socklen_t tl = sizeof(ti), vl = sizeof(v);
	TIMED("setsockopt SO_KEEPALIVE", setsockopt(c, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one)));
	TIMED("setsockopt SO_LINGER off", setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
	TIMED("setsockopt SO_SNDBUF", setsockopt(c, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf)));
	TIMED("getsockopt TCP_INFO", getsockopt(c, IPPROTO_TCP, TCP_INFO, &ti, &tl));
	TIMED("getsockopt SO_ERROR", getsockopt(c, SOL_SOCKET, SO_ERROR, &v, &vl));
	say("SO_ERROR value: %d", v);
	TIMED("fcntl F_SETFL", fcntl(c, F_SETFL, O_RDWR | O_NONBLOCK));
	TIMED("fcntl F_SETFD", fcntl(c, F_SETFD, FD_CLOEXEC));
	TIMED("ioctl FIONBIO", ioctl(c, FIONBIO, &one));
	TIMED("write of 0 bytes", write(c, pattern_at(0, 1), 0));
	TIMED("send of 0 bytes", send(c, pattern_at(0, 1), 0, MSG_NOSIGNAL));
	TIMED("dup", (d = dup(c)) >= 0 ? 0 : -1);
	TIMED("close of the dup", close(d));
	TIMED("fcntl F_DUPFD_CLOEXEC", (d = fcntl(c, F_DUPFD_CLOEXEC, 0)) >= 0 ? 0 : -1);
	TIMED("close of that", close(d));
	write_from_thread(c, true);
	write_from_thread(c, false);
	ctl_send("drain");
	write_all(c, &sc_off, 1 << 20);
	write_trailer(c, sc_off);
	TIMED("close", close(c));
	untrack(c);
	tick(ep);
	fdtable();
}

/* ---- item 2: closing connections to peers that do not read ------------------------------ */

#define NORPH 6

static void app_close_orphans(void)
{
	int ep = loop_thread();
	int c[NORPH], maxn = 0;
	uint64_t acc[NORPH] = { 0 };
	for (int k = 0; k < NORPH; k++) {
		c[k] = connect_peer(0);
		set_nb(c[k], true);
		ep_add(ep, c[k], EPOLLIN, (uint64_t)k);
		fill(c[k], &acc[k]);
		tick(ep);
		fill(c[k], &acc[k]);
		tick(ep);
		if (c[k] > maxn)
			maxn = c[k];
	}
	for (int k = 0; k < NORPH; k++) {
		TIMED("close of a connection whose peer does not read", close(c[k]));
		untrack(c[k]);
	}
	tick(ep);
	/* A real close frees the number at once: new sockets take the closed numbers, even
	 * under a descriptor limit just above them. */
	struct rlimit rl, lo;
	getrlimit(RLIMIT_NOFILE, &rl);
	lo = (struct rlimit){ (rlim_t)maxn + 1, rl.rlim_max };
	setrlimit(RLIMIT_NOFILE, &lo);
	int s[NORPH], made = 0, reused = 0, emfile = 0;
	for (int k = 0; k < NORPH; k++) {
		s[k] = socket(AF_INET, SOCK_STREAM, 0);
		if (s[k] < 0) {
			emfile += errno == EMFILE;
			continue;
		}
		made++;
		for (int j = 0; j < NORPH; j++)
			reused += s[k] == c[j];
	}
	setrlimit(RLIMIT_NOFILE, &rl);
	say("%d new sockets under a limit of the highest closed number + 1: %d made, %d EMFILE, "
	    "%d took a closed number", NORPH, made, emfile, reused);
	for (int k = 0; k < NORPH; k++)
		if (s[k] >= 0)
			close(s[k]);
	for (int k = 0; k < NORPH; k++)
		ctl_send("count %d %llu", k, (unsigned long long)acc[k]);
	ctl_send("drain");
	msleep(200);
	tick(ep);
	fdtable();
}

static void peer_close_orphans(struct peer *p)
{
	int s[NORPH];
	unsigned long long n[NORPH] = { 0 };
	for (int k = 0; k < NORPH; k++)
		s[k] = paccept(p, 5, 0);
	for (int k = 0; k < NORPH; k++) {
		int i = 0;
		unsigned long long v = 0;
		if (pwait(p, "count", 20) && sscanf(p->line, "count %d %llu", &i, &v) == 2 &&
		    i >= 0 && i < NORPH)
			n[i] = v;
	}
	bool sig = pwait(p, "drain", 20);
	plog(p, "drain signal %s", sig ? "received" : "NOT received");
	for (int k = 0; k < NORPH; k++) {
		if (s[k] < 0) {
			plog(p, "connection %d: none", k);
			continue;
		}
		struct stream st = { 0 };
		pread_all(s[k], 20, &st);
		plog(p, "connection %d: %s, then %s", k, check_pattern(&st, false, n[k]),
		     endname(st.end));
		free(st.buf);
		close(s[k]);
	}
}

/* ---- item 3: closes whose effect is observable at once ---------------------------------- */

static int bind_port(int s, int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	return bind(s, (struct sockaddr *)&a, sizeof(a));
}

static int connect_port(int s, int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	return connect(s, (struct sockaddr *)&a, sizeof(a));
}

static void app_close_effect(void)
{
	int ep = loop_thread(), one = 1, port;
	/* redis CONFIG SET port/bind: close the listener, bind the address again at once */
	int l = listen_local(&port);
	ep_add(ep, l, EPOLLIN, 1);
	tick(ep);
	TIMED("close of a listening socket", close(l));
	untrack(l);
	int l2 = T(socket(AF_INET, SOCK_STREAM, 0));
	setsockopt(l2, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	say("bind the same address again: %s", R(bind_port(l2, port)));
	say("listen: %s", R(listen(l2, 16)));
	xclose(l2);
	/* a listener closed: a client connecting to it is refused */
	l = listen_local(&port);
	tick(ep);
	close(l);
	untrack(l);
	int cl = T(socket(AF_INET, SOCK_STREAM, 0));
	say("connect to the closed listener's port: %s", R(connect_port(cl, port)));
	xclose(cl);
	/* bound, never listening: the port is free after close */
	int b = T(socket(AF_INET, SOCK_STREAM, 0));
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	bind(b, (struct sockaddr *)&a, sizeof(a));
	getsockname(b, (struct sockaddr *)&a, &al);
	tick(ep);
	xclose(b);
	b = T(socket(AF_INET, SOCK_STREAM, 0));
	say("bind a closed bound socket's port again: %s", R(bind_port(b, ntohs(a.sin_port))));
	xclose(b);
	/* never connected: the number is free after close */
	int u = T(socket(AF_INET, SOCK_STREAM, 0)), un = u;
	xclose(u);
	u = T(socket(AF_INET, SOCK_STREAM, 0));
	say("a new socket takes a closed unconnected socket's number: %s", u == un ? "yes" : "no");
	xclose(u);
	tick(ep);
	fdtable();
}

/* SO_LINGER {1, 0}: close resets at once, with or without bytes queued (nginx's
 * reset_timedout_connection). */
static void app_close_linger_rst(void)
{
	int ep = loop_thread();
	struct linger lg = { 1, 0 };
	int c = connect_peer(0);
	ep_add(ep, c, EPOLLIN, 1);
	write_str(c, "hello");
	tick(ep);
	ctl_wait("ready", 5);
	TIMED("setsockopt SO_LINGER {1, 0}", setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
	TIMED("close", close(c));
	untrack(c);
	ctl_send("closed");
	msleep(1000);	/* no batch boundary meanwhile */
	int c2 = connect_peer(0);
	uint64_t off = 0;
	set_nb(c2, true);
	ep_add(ep, c2, EPOLLIN, 2);
	fill(c2, &off);
	tick(ep);
	fill(c2, &off);
	TIMED("setsockopt SO_LINGER {1, 0} with bytes not sent", setsockopt(c2, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
	TIMED("close", close(c2));
	untrack(c2);
	ctl_send("closed");
	msleep(1000);
	tick(ep);
	fdtable();
}

static void peer_close_linger_rst(struct peer *p)
{
	int s = paccept(p, 5, 0);
	char b[8];
	size_t got = 0;
	while (s >= 0 && got < 5) {
		ssize_t k = recv(s, b + got, 5 - got, 0);
		if (k <= 0)
			break;
		got += (size_t)k;
	}
	psend(p, "ready");
	bool c = pwait(p, "closed", 5);
	struct stream st = { 0 };
	pread_all(s, 4, &st);
	plog(p, "first connection: '%.5s', %zu more bytes, then %s @%.2f after the close%s", b,
	     st.len, endname(st.end), c ? st.t_end - p->t_line : -1.0, c ? "" : " (no signal)");
	close(s);
	s = paccept(p, 5, 0);
	c = pwait(p, "closed", 10);
	pread_all(s, 4, &st);
	plog(p, "second connection: %s, then %s @%.2f after the close", check_pattern(&st, false, UINT64_MAX),
	     endname(st.end), c ? st.t_end - p->t_line : -1.0);
	free(st.buf);
	close(s);
}

/* SO_LINGER {1, 2} with bytes a peer does not read: close blocks for the linger time (on
 * Linux even for a non-blocking socket), and the bytes still go out afterwards. */
static void app_close_linger_timeout(void)
{
	int ep = loop_thread();
	struct linger lg = { 1, 2 };
	int c = connect_peer(0);
	uint64_t off = 0;
	set_nb(c, true);
	ep_add(ep, c, EPOLLIN, 1);
	fill(c, &off);
	tick(ep);
	fill(c, &off);
	setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	double t = app_now();
	int r = close(c), e = errno;
	say("close with SO_LINGER {1, 2}: %s @%.2f", res(r, e), app_now() - t);
	untrack(c);
	ctl_send("count %llu", (unsigned long long)off);
	ctl_send("drain");
	msleep(300);
	tick(ep);
	fdtable();
}

/* ---- item 4: a thread that exits with ops in flight, or with an error pending ------------ */

static int te_fd;
static uint64_t te_off;

static void *t_fill_exit(void *arg)
{
	(void)arg;
	int ep = loop_thread();
	fill(te_fd, &te_off);
	tick(ep);
	fill(te_fd, &te_off);
	tick(ep);
	xclose(ep);
	return NULL;
}

static void app_thread_exit_inflight(void)
{
	int ep = loop_thread();
	te_fd = connect_peer(0);
	set_nb(te_fd, true);
	pthread_t t;
	pthread_create(&t, NULL, t_fill_exit, NULL);
	pthread_join(t, NULL);
	say("a thread filled the socket and exited");
	churn();
	tick(ep);
	ctl_send("drain");
	ssize_t k = write(te_fd, pattern_at(te_off, 1), 1);
	int e = errno;
	say("write after: %s", nbres(k, e));
	if (k == 1)
		te_off++;
	write_all(te_fd, &te_off, 256 << 10);
	write_trailer(te_fd, te_off);
	close(te_fd);
	untrack(te_fd);
	tick(ep);
	fdtable();
}

static void *t_fill_reset_exit(void *arg)
{
	(void)arg;
	int ep = loop_thread();
	fill(te_fd, &te_off);
	tick(ep);
	fill(te_fd, &te_off);
	tick(ep);
	ctl_send("reset");
	ctl_wait("done", 5);
	msleep(200);
	tick(ep);
	xclose(ep);
	return NULL;
}

static const char *reset_class(long r, int e)
{
	if (r < 0 && (e == ECONNRESET || e == EPIPE))
		return "reset error";
	return r < 0 ? res(r, e) : "accepted";
}

static void app_thread_exit_error(void)
{
	int ep = loop_thread();
	te_fd = connect_peer(0);
	set_nb(te_fd, true);
	pthread_t t;
	pthread_create(&t, NULL, t_fill_reset_exit, NULL);
	pthread_join(t, NULL);
	say("a thread filled the socket, the peer reset it, the thread exited");
	churn();
	long r = write(te_fd, "x", 1);
	int e = errno;
	say("write after: %s", reset_class(r, e));
	r = write(te_fd, "x", 1);
	e = errno;
	say("write again: %s", reset_class(r, e));
	close(te_fd);
	untrack(te_fd);
	tick(ep);
	fdtable();
}

static void peer_reset_on_signal(struct peer *p)
{
	int s = paccept(p, 5, 0);
	if (pwait(p, "reset", 10) && s >= 0)
		preset(s);
	psend(p, "done");
	plog(p, "reset the connection");
}

/* ---- item 5: interposed calls in signal handlers ---------------------------------------- */

static volatile sig_atomic_t ticks, sends;
static int sig_sp0;
static char logpath[4200];

static void on_alrm_io(int sig)
{
	(void)sig;
	int e = errno;
	int fd = open(logpath, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0) {
		(void)!write(fd, "tick\n", 5);
		close(fd);
	}
	if (send(sig_sp0, "s", 1, MSG_DONTWAIT) == 1)
		sends++;
	ticks++;
	errno = e;
}

static void timer_us(long us)
{
	struct itimerval it = { { 0, us }, { 0, us } };
	setitimer(ITIMER_REAL, &it, NULL);
}

/* Write pattern bytes to c for secs seconds, with batch boundaries, counting bytes read
 * from rfd (when >= 0). */
static void busy_writer(int ep, int c, uint64_t *off, double secs, int rfd, long *rgot)
{
	double end = app_now() + secs;
	char b[256];
	while (app_now() < end) {
		ssize_t k = write(c, pattern_at(*off, 1500), 1500);
		if (k > 0)
			*off += (uint64_t)k;
		struct epoll_event ev[4];
		int n = epoll_wait(ep, ev, 4, k > 0 ? 0 : 10);
		(void)n;
		if (rfd >= 0) {
			ssize_t r;
			while ((r = read(rfd, b, sizeof(b))) > 0)
				*rgot += r;
		}
	}
}

static void app_signal_handler_io(void)
{
	snprintf(logpath, sizeof(logpath), "%s/handler.log", getenv("TORTURE_DIR"));
	int ep = loop_thread(), sp[2];
	socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sp);
	T(sp[0]);
	T(sp[1]);
	sig_sp0 = sp[0];
	ep_add(ep, sp[1], EPOLLIN, 2);
	int c = connect_peer(0);
	set_nb(c, true);
	ep_add(ep, c, EPOLLIN, 1);
	struct sigaction sa = { 0 };
	sa.sa_handler = on_alrm_io;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGALRM, &sa, NULL);
	timer_us(200);
	uint64_t off = 0;
	long got = 0;
	busy_writer(ep, c, &off, 1.5, sp[1], &got);
	timer_us(0);
	signal(SIGALRM, SIG_IGN);
	msleep(50);
	char b[256];
	ssize_t r;
	while ((r = read(sp[1], b, sizeof(b))) > 0)
		got += r;
	struct stat st;
	long lines = stat(logpath, &st) ? -1 : (long)st.st_size / 5;
	say("the handler ran %s", ticks > 20 ? "many times" : "few times");
	say("signal socket bytes read == the handler's sends: %s", got == sends ? "yes" : "no");
	say("log lines == handler runs: %s", lines == ticks ? "yes" : "no");
	write_trailer(c, off);
	close(c);
	untrack(c);
	tick(ep);
	fdtable();
}

static void on_alrm_exit(int sig)
{
	(void)sig;
	if (++ticks >= 300)
		exit(3);
}

static void app_signal_exit(void)
{
	int ep = loop_thread();
	int c = connect_peer(0);
	set_nb(c, true);
	ep_add(ep, c, EPOLLIN, 1);
	struct sigaction sa = { 0 };
	sa.sa_handler = on_alrm_exit;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGALRM, &sa, NULL);
	timer_us(300);
	uint64_t off = 0;
	busy_writer(ep, c, &off, 10, -1, NULL);
	say("the handler never called exit");
	exit(4);
}

static void peer_read_any(struct peer *p)
{
	int s = paccept(p, 5, 0);
	struct stream st = { 0 };
	pread_all(s, 20, &st);
	plog(p, "%s, then %s", check_pattern(&st, false, UINT64_MAX), endname(st.end));
	free(st.buf);
	close(s);
}

/* ---- item 6: numbers closed or made behind the library's back ---------------------------- */

/* A connection to a peer that does not read, with bytes in flight and more queued. */
static int stuck_conn(int ep, uint64_t *off)
{
	int c = connect_peer(0);
	set_nb(c, true);
	ep_add(ep, c, EPOLLIN, 99);
	fill(c, off);
	tick(ep);
	fill(c, off);
	return c;
}

enum { BY_CLOSE_RANGE, BY_FCLOSE, BY_SYSCALL };

static void close_behind(int fd, int how)
{
	switch (how) {
	case BY_CLOSE_RANGE:
		close_range((unsigned)fd, (unsigned)fd, 0);
		break;
	case BY_FCLOSE: {
		FILE *f = fdopen(fd, "w");
		if (f)
			fclose(f);
		break;
	}
	case BY_SYSCALL:
		syscall(SYS_close, fd);
		break;
	}
	untrack(fd);
}

static const char *const how_name[] = { "close_range", "fclose of fdopen", "syscall(SYS_close)" };

static void reuse_accept(int how)
{
	int ep = loop_thread(), port;
	int l = listen_local(&port);
	ctl_send("port %d", port);
	int a = T(accept4(l, NULL, NULL, SOCK_NONBLOCK));
	uint64_t off = 0;
	ep_add(ep, a, EPOLLIN, 1);
	fill(a, &off);
	tick(ep);
	fill(a, &off);
	close_behind(a, how);
	say("closed A by %s", how_name[how]);
	ctl_send("count %llu", (unsigned long long)off);
	ctl_send("connect-b");
	int b = T(accept4(l, NULL, NULL, 0));
	say("B took A's number: %s", b == a ? "yes" : "no");
	write_str(b, "hello-b");
	tick(ep);
	xclose(b);
	tick(ep);
	ctl_wait("b-done", 10);
	ctl_send("drain");
	xclose(l);
	msleep(200);
	tick(ep);
	fdtable();
}

static void app_reuse_close_range_accept(void) { reuse_accept(BY_CLOSE_RANGE); }
static void app_reuse_fclose_accept(void) { reuse_accept(BY_FCLOSE); }
static void app_reuse_syscall_accept(void) { reuse_accept(BY_SYSCALL); }

static void peer_reuse_accept(struct peer *p)
{
	int port = 0;
	if (!pwait(p, "port", 5) || sscanf(p->line, "port %d", &port) != 1) {
		plog(p, "no port");
		return;
	}
	int a = pconnect(port, SMALL_RCVBUF);
	unsigned long long n = 0;
	if (pwait(p, "count", 15))
		sscanf(p->line, "count %llu", &n);
	struct stream st = { 0 };
	if (pwait(p, "connect-b", 10)) {
		int b = pconnect(port, 0);
		pread_all(b, 10, &st);
		bool own = st.len == 7 && !memcmp(st.buf, "hello-b", 7);
		plog(p, "B received %s, then %s", own ? "'hello-b'" : "bytes that were not its own",
		     endname(st.end));
		close(b);
	} else {
		plog(p, "no signal to connect B");
	}
	psend(p, "b-done");
	bool sig = pwait(p, "drain", 10);
	pread_all(a, 20, &st);
	plog(p, "A (drain signal %s): %s, then %s", sig ? "received" : "NOT received",
	     check_pattern(&st, false, n), endname(st.end));
	free(st.buf);
	close(a);
}

/* dup2 onto a socket's number: the socket is closed by it, the number is the pipe's. */
static void app_reuse_dup2_over(void)
{
	int ep = loop_thread(), pp[2];
	uint64_t off = 0;
	int c = stuck_conn(ep, &off);
	pipe2(pp, O_NONBLOCK);
	T(pp[0]);
	T(pp[1]);
	TIMED("dup2 of a pipe onto the socket's number", dup2(pp[1], c) == c ? 0 : -1);
	T(c);
	say("write to the number: %s", R(write(c, "hello", 5)));
	tick(ep);
	char b[16] = "";
	ssize_t r = read(pp[0], b, sizeof(b) - 1);
	int e = errno;
	say("the pipe read: %s '%s'", res(r, e), r > 0 ? b : "");
	ctl_send("count %llu", (unsigned long long)off);
	ctl_send("drain");
	xclose(c);
	xclose(pp[0]);
	xclose(pp[1]);
	msleep(200);
	tick(ep);
	fdtable();
}

enum { MADE_PIPE, MADE_EVENTFD, MADE_TIMERFD, MADE_SIGNALFD, MADE_MEMFD, MADE_SCM };

static int send_fd(int via, int fd)
{
	char c = 'F';
	struct iovec iov = { &c, 1 };
	union { struct cmsghdr h; char b[CMSG_SPACE(sizeof(int))]; } u;
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.b,
			    .msg_controllen = sizeof(u.b) };
	struct cmsghdr *h = CMSG_FIRSTHDR(&m);
	h->cmsg_level = SOL_SOCKET;
	h->cmsg_type = SCM_RIGHTS;
	h->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(h), &fd, sizeof(int));
	return (int)sendmsg(via, &m, 0);
}

static int recv_fd(int via)
{
	char c;
	struct iovec iov = { &c, 1 };
	union { struct cmsghdr h; char b[CMSG_SPACE(sizeof(int))]; } u;
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.b,
			    .msg_controllen = sizeof(u.b) };
	if (recvmsg(via, &m, 0) != 1)
		return -1;
	struct cmsghdr *h = CMSG_FIRSTHDR(&m);
	int fd = -1;
	if (h && h->cmsg_type == SCM_RIGHTS)
		memcpy(&fd, CMSG_DATA(h), sizeof(int));
	return fd;
}

static void reuse_made(int what)
{
	int ep = loop_thread();
	int hole = T(open("/dev/null", O_RDONLY | O_CLOEXEC));
	int u[2] = { -1, -1 }, q[2] = { -1, -1 };
	if (what == MADE_SCM) {
		socketpair(AF_UNIX, SOCK_STREAM, 0, u);
		pipe2(q, O_NONBLOCK);
		T(u[0]);
		T(u[1]);
		T(q[0]);
		T(q[1]);
		say("sendmsg SCM_RIGHTS: %s", R(send_fd(u[0], q[1])));
	}
	uint64_t off = 0;
	int c = stuck_conn(ep, &off);
	if (what == MADE_PIPE)
		xclose(hole);	/* the pipe's read end takes this number, its write end c's */
	close_behind(c, BY_CLOSE_RANGE);
	int x = -1, w = -1, pr = -1;
	uint64_t v = 7;
	char b[16] = "";
	ssize_t r;
	int e;
	sigset_t set;
	switch (what) {
	case MADE_PIPE: {
		int pp[2];
		pipe2(pp, O_NONBLOCK);
		T(pp[0]);
		x = w = T(pp[1]);
		pr = pp[0];
		break;
	}
	case MADE_EVENTFD:
		x = T(eventfd(0, EFD_NONBLOCK));
		break;
	case MADE_TIMERFD:
		x = T(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK));
		break;
	case MADE_SIGNALFD:
		sigemptyset(&set);
		sigaddset(&set, SIGUSR2);
		sigprocmask(SIG_BLOCK, &set, NULL);
		x = T(signalfd(-1, &set, SFD_NONBLOCK));
		break;
	case MADE_MEMFD:
		x = T(memfd_create("torture", 0));
		break;
	case MADE_SCM:
		x = w = T(recv_fd(u[1]));
		pr = q[0];
		break;
	}
	say("the new descriptor took the closed socket's number: %s", x == c ? "yes" : "no");
	switch (what) {
	case MADE_PIPE:
	case MADE_SCM:
		say("write to the pipe: %s", R(write(w, "hello", 5)));
		tick(ep);
		r = read(pr, b, sizeof(b) - 1);
		e = errno;
		say("the pipe read: %s '%s'", res(r, e), r > 0 ? b : "");
		break;
	case MADE_EVENTFD:
		say("write to the eventfd: %s", R(write(x, &v, 8)));
		tick(ep);
		v = 0;
		r = read(x, &v, 8);
		e = errno;
		say("the eventfd read: %s, value %llu", res(r, e), (unsigned long long)v);
		break;
	case MADE_TIMERFD:
	case MADE_SIGNALFD:
		say("write to it: %s", R(write(x, &v, 8)));
		tick(ep);
		say("read: %s", R(read(x, b, 8)));
		break;
	case MADE_MEMFD:
		say("write to the memfd: %s", R(write(x, "hello", 5)));
		tick(ep);
		r = pread(x, b, sizeof(b) - 1, 0);
		e = errno;
		say("the memfd read: %s '%s'", res(r, e), r > 0 ? b : "");
		break;
	}
	ctl_send("count %llu", (unsigned long long)off);
	ctl_send("drain");
	msleep(200);
	tick(ep);
	fdtable();
}

static void app_reuse_pipe2(void) { reuse_made(MADE_PIPE); }
static void app_reuse_eventfd(void) { reuse_made(MADE_EVENTFD); }
static void app_reuse_timerfd(void) { reuse_made(MADE_TIMERFD); }
static void app_reuse_signalfd(void) { reuse_made(MADE_SIGNALFD); }
static void app_reuse_memfd(void) { reuse_made(MADE_MEMFD); }
static void app_reuse_scm_rights(void) { reuse_made(MADE_SCM); }

/* ---- item 7: shutdown to wake a blocked thread ------------------------------------------- */

static int sw_fd;
static long sw_ret;
static int sw_err;

static void *t_recv(void *arg)
{
	(void)arg;
	char b[16];
	sw_ret = recv(sw_fd, b, sizeof(b), 0);
	sw_err = errno;
	return NULL;
}

static void *t_accept(void *arg)
{
	(void)arg;
	sw_ret = accept(sw_fd, NULL, NULL);
	sw_err = errno;
	if (sw_ret >= 0)
		close((int)sw_ret);
	return NULL;
}

static void join_or_flush(pthread_t t, int ep, const char *who)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 3;
	int j = pthread_timedjoin_np(t, NULL, &ts);
	if (j == 0) {
		say("%s woke: %s", who, res(sw_ret, sw_err));
		return;
	}
	say("%s still blocked 3 s after shutdown", who);
	tick(ep);
	pthread_join(t, NULL);
}

static void app_shutdown_wakes_reader(void)
{
	int ep = loop_thread();
	int c = connect_peer(0);
	ep_add(ep, c, EPOLLIN, 1);
	tick(ep);
	sw_fd = c;
	pthread_t t;
	pthread_create(&t, NULL, t_recv, NULL);
	msleep(200);
	TIMED("shutdown SHUT_RDWR", shutdown(c, SHUT_RDWR));
	ctl_send("shut");
	join_or_flush(t, ep, "the thread in recv");
	xclose(c);
	tick(ep);
	fdtable();
}

static void peer_shutdown(struct peer *p)
{
	int s = paccept(p, 5, 0);
	bool sig = pwait(p, "shut", 10);
	struct stream st = { 0 };
	pread_all(s, 6, &st);
	plog(p, "%zu bytes, then %s @%.2f after shutdown%s", st.len, endname(st.end),
	     sig ? st.t_end - p->t_line : -1.0, sig ? "" : " (no signal)");
	free(st.buf);
	close(s);
}

static void app_shutdown_wakes_accept(void)
{
	int ep = loop_thread(), port;
	int l = listen_local(&port);
	ep_add(ep, l, EPOLLIN, 1);
	tick(ep);
	sw_fd = l;
	pthread_t t;
	pthread_create(&t, NULL, t_accept, NULL);
	msleep(200);
	TIMED("shutdown SHUT_RD of a listening socket", shutdown(l, SHUT_RD));
	join_or_flush(t, ep, "the thread in accept");
	xclose(l);
	tick(ep);
	fdtable();
}

/* ---- item 8: fork ---------------------------------------------------------------------- */

static void app_fork_order(void)
{
	int ep = loop_thread();
	int c = connect_peer(0);
	ep_add(ep, c, EPOLLIN, 1);
	tick(ep);
	write_str(c, "P1;");
	pid_t pid = fork();
	if (pid == 0) {
		write_str(c, "C1;");
		_exit(0);
	}
	int st = 0;
	waitpid(pid, &st, 0);
	say("child: exit %d", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	write_str(c, "P2;");
	xclose(c);
	tick(ep);
	fdtable();
}

static void peer_text(struct peer *p)
{
	int s = paccept(p, 5, 0);
	struct stream st = { 0 };
	pread_all(s, 10, &st);
	plog(p, "received '%.*s', then %s", (int)(st.len > 80 ? 80 : st.len),
	     st.buf ? (char *)st.buf : "", endname(st.end));
	free(st.buf);
	close(s);
}

static void app_fork_write_waitpid(void)
{
	int ep = loop_thread(), sp[2];
	socketpair(AF_UNIX, SOCK_STREAM, 0, sp);
	T(sp[0]);
	T(sp[1]);
	ep_add(ep, sp[0], EPOLLIN, 1);
	tick(ep);
	write_str(sp[0], "request");
	pid_t pid = fork();
	if (pid == 0) {
		alarm(3);
		char b[8];
		size_t got = 0;
		while (got < 7) {
			ssize_t k = read(sp[1], b + got, 7 - got);
			if (k <= 0)
				_exit(2);
			got += (size_t)k;
		}
		_exit(memcmp(b, "request", 7) ? 2 : 0);
	}
	int st = 0;
	waitpid(pid, &st, 0);
	if (WIFEXITED(st))
		say("child: exit %d", WEXITSTATUS(st));
	else
		say("child: killed by %s", sigabbrev_np(WTERMSIG(st)));
	xclose(sp[0]);
	xclose(sp[1]);
	tick(ep);
	fdtable();
}

/* ---- item 9: TCP_CORK / NODELAY on a stream socket that is not TCP ------------------------- */

static void app_sctp_cork(void)
{
	int l = socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP);
	if (l < 0) {
		say("SKIP no SCTP here (%s)", strerror(errno));
		return;
	}
	T(l);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	if (bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 4) ||
	    getsockname(l, (struct sockaddr *)&a, &al)) {
		say("SKIP SCTP listen failed (%s)", strerror(errno));
		return;
	}
	int c = T(socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP));
	if (connect(c, (struct sockaddr *)&a, sizeof(a))) {
		say("SKIP SCTP connect failed (%s)", strerror(errno));
		return;
	}
	int s = T(accept(l, NULL, NULL)), one = 1, zero = 0;
	int ep = loop_thread();
	ep_add(ep, s, EPOLLIN, 1);
	tick(ep);
	say("TCP_NODELAY: %s", R(setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one))));
	say("TCP_CORK 1: %s", R(setsockopt(s, IPPROTO_TCP, TCP_CORK, &one, sizeof(one))));
	say("write: %s", R(write(s, "hello ", 6)));
	say("TCP_CORK 0: %s", R(setsockopt(s, IPPROTO_TCP, TCP_CORK, &zero, sizeof(zero))));
	say("write: %s", R(write(s, "world", 5)));
	tick(ep);
	say("shutdown SHUT_WR: %s", R(shutdown(s, SHUT_WR)));
	tick(ep);
	char b[64];
	size_t got = 0;
	set_nb(c, true);
	double end = app_now() + 5;
	while (app_now() < end && got < sizeof(b) - 1) {
		ssize_t k = read(c, b + got, sizeof(b) - 1 - got);
		if (k == 0)
			break;
		if (k > 0)
			got += (size_t)k;
		else
			msleep(10);
	}
	b[got] = 0;
	say("the other end read '%s'", b);
	xclose(s);
	xclose(c);
	xclose(l);
	tick(ep);
	fdtable();
}

/* ---- item 10: epoll --------------------------------------------------------------------- */

static void app_epoll_oneshot(void)
{
	int ep0 = loop_thread();
	int ep = epoll_new();
	int c = connect_peer(0);
	uint64_t off = 0;
	set_nb(c, true);
	ep_add(ep, c, EPOLLOUT | EPOLLONESHOT, 1);
	struct epoll_event ev[8];
	fill(c, &off);
	struct epoll_event e = { .events = EPOLLOUT | EPOLLONESHOT, .data.u64 = 1 };
	epoll_ctl(ep, EPOLL_CTL_MOD, c, &e);
	ctl_send("drain");
	int n = epoll_wait(ep, ev, 8, 5000);
	say("wait 1 (armed): %d event(s)%s", n, n > 0 && (ev[0].events & EPOLLOUT) ? ", EPOLLOUT" : "");
	fill(c, &off);
	n = epoll_wait(ep, ev, 8, 1500);
	say("wait 2 (one-shot, not re-armed): %d event(s)", n);
	set_nb(c, false);
	write_trailer(c, off);
	xclose(c);
	tick(ep0);
	fdtable();
}

static void peer_slow_reader(struct peer *p)
{
	int s = paccept(p, 5, 0);
	bool sig = pwait(p, "drain", 10);
	struct stream st = { 0 };
	/* 64 KiB every 10 ms: slower than the app writes, so the app's socket stays full */
	double end = pnow() + 30;
	st.end = ETIMEDOUT;
	while (pnow() < end) {
		if (st.cap - st.len < 65536) {
			st.cap = st.cap * 2 + 65536;
			st.buf = realloc(st.buf, st.cap);
		}
		struct pollfd pf = { .fd = s, .events = POLLIN };
		if (poll(&pf, 1, 100) <= 0)
			continue;
		ssize_t k = recv(s, st.buf + st.len, 65536, MSG_DONTWAIT);
		if (k == 0 || (k < 0 && errno != EAGAIN && errno != EINTR)) {
			st.end = k == 0 ? 0 : errno;
			break;
		}
		if (k > 0)
			st.len += (size_t)k;
		struct timespec d = { 0, 10000000 };
		nanosleep(&d, NULL);
	}
	plog(p, "drain signal %s; %s, then %s", sig ? "received" : "NOT received",
	     check_pattern(&st, true, UINT64_MAX), endname(st.end));
	free(st.buf);
	close(s);
}

static int sh_ep, sh_pipe_r;
static pthread_barrier_t sh_bar;
static char sh_log[512];

static void *t_shared_waiter(void *arg)
{
	(void)arg;
	int own = loop_thread();
	tick(sh_ep);
	pthread_barrier_wait(&sh_bar);
	size_t l = 0;
	bool done = false;
	double end = app_now() + 5;
	while (!done && app_now() < end) {
		struct epoll_event ev[8];
		int n = epoll_wait(sh_ep, ev, 8, 1000);
		for (int i = 0; i < n; i++) {
			if (ev[i].data.u64 == 1) {
				l += (size_t)snprintf(sh_log + l, sizeof(sh_log) - l,
						      "%san event for the closed connection", l ? ", " : "");
				msleep(20);	/* level-triggered: do not spin on it */
			} else if (ev[i].data.u64 == 2) {
				char b[8];
				(void)!read(sh_pipe_r, b, sizeof(b));
				l += (size_t)snprintf(sh_log + l, sizeof(sh_log) - l, "%sthe pipe's event",
						      l ? ", " : "");
				done = true;
			}
			if (l > sizeof(sh_log) - 64)
				done = true;
		}
	}
	xclose(own);
	return NULL;
}

static void app_epoll_shared_close(void)
{
	sh_ep = epoll_new();
	tick(sh_ep);
	int c = connect_peer(0), pp[2];
	ep_add(sh_ep, c, EPOLLIN, 1);
	pipe2(pp, O_NONBLOCK);
	T(pp[0]);
	T(pp[1]);
	sh_pipe_r = pp[0];
	ep_add(sh_ep, pp[0], EPOLLIN, 2);
	pthread_barrier_init(&sh_bar, NULL, 2);
	pthread_t t;
	pthread_create(&t, NULL, t_shared_waiter, NULL);
	pthread_barrier_wait(&sh_bar);
	msleep(100);
	TIMED("close of a connection in a set another thread waits on", close(c));
	untrack(c);
	ctl_send("send");
	ctl_wait("sent", 5);
	msleep(300);	/* no batch boundary in this thread meanwhile */
	(void)!write(pp[1], "x", 1);
	pthread_join(t, NULL);
	say("the other thread saw: %s", sh_log);
	tick(sh_ep);
	xclose(pp[0]);
	xclose(pp[1]);
	fdtable();
}

static void peer_send_on_signal(struct peer *p)
{
	int s = paccept(p, 5, 0);
	if (pwait(p, "send", 10) && s >= 0)
		(void)!send(s, "some data for a closed socket", 29, MSG_NOSIGNAL);
	psend(p, "sent");
	plog(p, "sent");
	struct timespec d = { 1, 0 };
	nanosleep(&d, NULL);
	close(s);
}

static void app_epoll_fork_child_close(void)
{
	int ep = loop_thread();
	int c = connect_peer(0);
	ep_add(ep, c, EPOLLIN, 1);
	tick(ep);
	pid_t pid = fork();
	if (pid == 0) {
		int ce = epoll_create1(0);
		tick(ce);
		close(c);
		tick(ce);
		_exit(0);
	}
	int st;
	waitpid(pid, &st, 0);
	say("child closed its copy and exited %d", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	ctl_send("send");
	ctl_wait("sent", 5);
	struct epoll_event ev[8];
	int n = epoll_wait(ep, ev, 8, 2000);
	say("the parent's wait: %d event(s)", n);
	char b[64];
	say("read: %s", R(read(c, b, sizeof(b))));
	xclose(c);
	tick(ep);
	fdtable();
}

/* ---- item 11: more completions at once than the completion queue holds --------------------- */

#define NCQ 200
#define CQ_STREAM (64 << 10)

static void app_cq_overflow(void)
{
	int ep = loop_thread(), c[NCQ], small = 4096, done = 0;
	uint64_t off[NCQ] = { 0 };
	for (int i = 0; i < NCQ; i++) {
		c[i] = connect_peer(0);
		setsockopt(c[i], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
		set_nb(c[i], true);
		ep_add(ep, c[i], EPOLLOUT | EPOLLET, (uint64_t)i);
	}
	for (int i = 0; i < NCQ; i++) {
		while (off[i] < CQ_STREAM) {
			uint64_t n = CQ_STREAM - off[i] < 65536 ? CQ_STREAM - off[i] : 65536;
			ssize_t k = write(c[i], pattern_at(off[i], n), n);
			if (k <= 0)
				break;
			off[i] += (uint64_t)k;
		}
		done += off[i] == CQ_STREAM;
	}
	tick(ep);
	ctl_send("drain");
	msleep(1000);	/* completions pile up; nothing reaps them meanwhile */
	double end = app_now() + 20;
	while (done < NCQ && app_now() < end) {
		struct epoll_event ev[256];
		int n = epoll_wait(ep, ev, 256, 1000);
		for (int k = 0; k < n; k++) {
			int i = (int)ev[k].data.u64;
			if (off[i] == CQ_STREAM)
				continue;
			while (off[i] < CQ_STREAM) {
				uint64_t m = CQ_STREAM - off[i] < 65536 ? CQ_STREAM - off[i] : 65536;
				ssize_t w = write(c[i], pattern_at(off[i], m), m);
				if (w <= 0)
					break;
				off[i] += (uint64_t)w;
			}
			done += off[i] == CQ_STREAM;
		}
	}
	say("%d of %d streams written", done, NCQ);
	ctl_send("exiting");
	/* exit with the connections open: the exit closes them */
}

static void peer_cq_overflow(struct peer *p)
{
	int s[NCQ];
	size_t got[NCQ] = { 0 };
	int ended[NCQ] = { 0 }, nend = 0, good = 0;
	unsigned char *b = malloc(65536);
	for (int i = 0; i < NCQ; i++)
		s[i] = paccept(p, 5, 0);
	bool sig = pwait(p, "drain", 10);
	double end = pnow() + 30, t_exit = -1, t_last = 0;
	struct pollfd pf[NCQ + 1];
	while (nend < NCQ && pnow() < end) {
		for (int i = 0; i < NCQ; i++) {
			pf[i].fd = ended[i] || s[i] < 0 ? -1 : s[i];
			pf[i].events = POLLIN;
		}
		pf[NCQ].fd = t_exit < 0 ? p->ctl_in : -1;
		pf[NCQ].events = POLLIN;
		if (poll(pf, NCQ + 1, 100) <= 0)
			continue;
		if (pf[NCQ].revents && pwait(p, "exiting", 0.01))
			t_exit = p->t_line;
		for (int i = 0; i < NCQ; i++) {
			if (!pf[i].revents)
				continue;
			ssize_t k = recv(s[i], b, 65536, MSG_DONTWAIT);
			if (k > 0) {
				for (ssize_t j = 0; j < k; j++)
					if (b[j] != pat(got[i] + (size_t)j))
						got[i] = (size_t)1 << 40;
				got[i] += (size_t)k;
			} else if (k == 0 || (errno != EAGAIN && errno != EINTR)) {
				ended[i] = 1;
				nend++;
				good += k == 0 && got[i] == CQ_STREAM;
				t_last = pnow();
			}
		}
	}
	if (t_exit < 0 && pwait(p, "exiting", 1))
		t_exit = p->t_line;
	double lag = t_exit < 0 ? -1 : t_last - t_exit;
	plog(p, "drain signal %s; %d of %d streams complete and intact, then EOF; the last EOF @%.2f after the app said it exits",
	     sig ? "received" : "NOT received", good, NCQ, lag < 0 ? 0 : lag);
	for (int i = 0; i < NCQ; i++)
		if (s[i] >= 0)
			close(s[i]);
	free(b);
}

/* ---- item 12: the smaller ones ------------------------------------------------------------ */

static const char *ok_or_epipe(long r, int e)
{
	if (r >= 0 || e == EPIPE)
		return "ok-or-EPIPE";
	return res(r, e);
}

static void app_read_after_epipe(void)
{
	int ep = loop_thread();
	int c = connect_peer(0);
	ep_add(ep, c, EPOLLIN, 1);
	tick(ep);
	ctl_wait("closed", 5);
	msleep(100);
	say("write a: %s", R(write(c, "a", 1)));
	tick(ep);
	msleep(200);
	long r = write(c, "b", 1);
	int e = errno;
	say("write b: %s", ok_or_epipe(r, e));
	tick(ep);
	msleep(100);
	tick(ep);
	char b;
	say("read: %s", R(read(c, &b, 1)));
	say("write c: %s", R(write(c, "c", 1)));
	xclose(c);
	tick(ep);
	fdtable();
}

static void peer_close_at_once(struct peer *p)
{
	int s = paccept(p, 5, 0);
	close(s);
	psend(p, "closed");
	plog(p, "closed at once");
}

static void app_epoll_wait_einval(void)
{
	int ep0 = loop_thread();
	int ep = epoll_new();
	int c = connect_peer(0);
	uint64_t off = 0;
	set_nb(c, true);
	ep_add(ep, c, EPOLLOUT | EPOLLET, 1);
	fill(c, &off);
	tick(ep0);
	int s2 = T(socket(AF_INET, SOCK_STREAM, 0));
	say("dup2 of a socket onto the epoll set's number: %s", R(dup2(s2, ep) == ep ? 0 : -1));
	ctl_send("drain");
	msleep(500);
	tick(ep0);
	struct epoll_event ev[8];
	say("epoll_wait on that number: %s", R(epoll_wait(ep, ev, 8, 100)));
	set_nb(c, false);
	write_trailer(c, off);
	xclose(c);
	xclose(s2);
	xclose(ep);
	tick(ep0);
	fdtable();
}

static void app_tiny_ring_sendfile(void)
{
	char path[4200];
	snprintf(path, sizeof(path), "%s/file", getenv("TORTURE_DIR"));
	int f = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	(void)!write(f, pattern_at(0, 4096), 4096);
	T(f);
	struct stat st;
	fstat(f, &st);
	int ep = loop_thread();
	int c = connect_peer(0);
	ep_add(ep, c, EPOLLIN, 1);
	tick(ep);
	off_t o = 0;
	say("sendfile: %s", R(sendfile(c, f, &o, 4096)));
	tick(ep);
	write_trailer(c, 4096);
	xclose(c);
	xclose(f);
	tick(ep);
	fdtable();
}

/*
 * Response fusion (issue 13): the shapes of responses servers write — nginx's TCP_CORK,
 * writev of headers, sendfile of a small body, uncork; MSG_MORE sequences; writev after
 * writev — with the application's view of TCP_CORK asked in between. Under the library
 * the bytes of one response are joined into one send and the cork pair around them is
 * not run; from outside the stream, every return value and getsockopt must be the same.
 */
static const char *tcp_opt_now(int s, int name)
{
	int v = -1;
	socklen_t vl = sizeof(v);
	errno = 0;
	if (getsockopt(s, IPPROTO_TCP, name, &v, &vl))
		return res(-1, errno);
	return v ? "on" : "off";
}

static const char *cork_now(int s)
{
	return tcp_opt_now(s, TCP_CORK);
}

static void app_response_fusion(void)
{
	char path[4200];
	snprintf(path, sizeof(path), "%s/file", getenv("TORTURE_DIR"));
	int f = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	for (uint64_t o = 0; o < 262144; o += 65536)
		(void)!write(f, pattern_at(o, 65536), 65536);
	T(f);
	struct stat st;
	fstat(f, &st);
	int ep = loop_thread();
	int c = connect_peer(0);
	ep_add(ep, c, EPOLLIN, 1);
	tick(ep);
	int one = 1, zero = 0;
	uint64_t off = 0;
	off_t fo;
	for (int round = 0; round < 3; round++) {
		/* nginx: cork, headers, a body by sendfile, uncork (keep-alive) */
		say("cork: %s", R(setsockopt(c, IPPROTO_TCP, TCP_CORK, &one, sizeof(one))));
		struct iovec hv[2] = { { (void *)pattern_at(off, 100), 100 },
				       { (void *)pattern_at(off + 100, 137), 137 } };
		say("writev headers: %s", R(writev(c, hv, 2)));
		off += 237;
		fo = (off_t)off;
		say("sendfile 1024: %s", R(sendfile(c, f, &fo, 1024)));
		off = (uint64_t)fo;
		say("uncork: %s", R(setsockopt(c, IPPROTO_TCP, TCP_CORK, &zero, sizeof(zero))));
		say("TCP_CORK now: %s", cork_now(c));
		if (round == 1)
			tick(ep);
	}
	/* a cork still on at the batch's end is applied for real */
	say("cork: %s", R(setsockopt(c, IPPROTO_TCP, TCP_CORK, &one, sizeof(one))));
	say("write: %s", R(write(c, pattern_at(off, 300), 300)));
	off += 300;
	tick(ep);
	say("TCP_CORK after the batch: %s", cork_now(c));
	say("write: %s", R(write(c, pattern_at(off, 300), 300)));
	off += 300;
	say("uncork: %s", R(setsockopt(c, IPPROTO_TCP, TCP_CORK, &zero, sizeof(zero))));
	say("TCP_CORK now: %s", cork_now(c));
	/* asked while corked: on, then the pair's second half still runs */
	say("cork: %s", R(setsockopt(c, IPPROTO_TCP, TCP_CORK, &one, sizeof(one))));
	say("write: %s", R(write(c, pattern_at(off, 50), 50)));
	off += 50;
	say("TCP_CORK mid-response: %s", cork_now(c));
	fo = (off_t)off;
	say("sendfile 2000: %s", R(sendfile(c, f, &fo, 2000)));
	off = (uint64_t)fo;
	say("uncork: %s", R(setsockopt(c, IPPROTO_TCP, TCP_CORK, &zero, sizeof(zero))));
	say("TCP_CORK now: %s", cork_now(c));
	/* two file ranges and bytes after them in one corked response */
	say("cork: %s", R(setsockopt(c, IPPROTO_TCP, TCP_CORK, &one, sizeof(one))));
	say("write: %s", R(write(c, pattern_at(off, 10), 10)));
	off += 10;
	for (int i = 0; i < 2; i++) {
		fo = (off_t)off;
		say("sendfile 700: %s", R(sendfile(c, f, &fo, 700)));
		off = (uint64_t)fo;
		say("write: %s", R(write(c, pattern_at(off, 2), 2)));
		off += 2;
	}
	say("uncork: %s", R(setsockopt(c, IPPROTO_TCP, TCP_CORK, &zero, sizeof(zero))));
	say("cork, nothing between: %s", R(setsockopt(c, IPPROTO_TCP, TCP_CORK, &one, sizeof(one))));
	say("uncork: %s", R(setsockopt(c, IPPROTO_TCP, TCP_CORK, &zero, sizeof(zero))));
	say("TCP_CORK now: %s", cork_now(c));
	/* MSG_MORE sequences and writev after writev */
	say("send MSG_MORE: %s", R(send(c, pattern_at(off, 40), 40, MSG_MORE)));
	off += 40;
	say("send MSG_MORE: %s", R(send(c, pattern_at(off, 41), 41, MSG_MORE | MSG_NOSIGNAL)));
	off += 41;
	say("send: %s", R(send(c, pattern_at(off, 42), 42, 0)));
	off += 42;
	say("send: %s", R(send(c, pattern_at(off, 5), 5, 0)));
	say("send MSG_MORE: %s", R(send(c, pattern_at(off + 5, 6), 6, MSG_MORE)));
	off += 11;
	say("write: %s", R(write(c, pattern_at(off, 7), 7)));
	off += 7;
	for (int i = 0; i < 4; i++) {
		struct iovec v[2] = { { (void *)pattern_at(off, 33), 33 },
				      { (void *)pattern_at(off + 33, 3000), 3000 } };
		say("writev: %s", R(writev(c, v, 2)));
		off += 3033;
	}
	/* a body larger than the library copies: the real sendfile after the headers */
	say("cork: %s", R(setsockopt(c, IPPROTO_TCP, TCP_CORK, &one, sizeof(one))));
	say("write: %s", R(write(c, pattern_at(off, 222), 222)));
	off += 222;
	fo = (off_t)off;
	say("sendfile 100000: %s", R(sendfile(c, f, &fo, 100000)));
	off = (uint64_t)fo;
	say("TCP_CORK before the uncork: %s", cork_now(c));
	fo = (off_t)off;
	say("sendfile 30000: %s", R(sendfile(c, f, &fo, 30000)));
	off = (uint64_t)fo;
	say("write: %s", R(write(c, pattern_at(off, 5), 5)));
	off += 5;
	say("uncork: %s", R(setsockopt(c, IPPROTO_TCP, TCP_CORK, &zero, sizeof(zero))));
	say("TCP_CORK now: %s", cork_now(c));
	tick(ep);
	/* Connection: close: corked, the last bytes, and the close (no uncork) */
	say("cork: %s", R(setsockopt(c, IPPROTO_TCP, TCP_CORK, &one, sizeof(one))));
	write_trailer(c, off);
	xclose(c);
	xclose(f);
	tick(ep);
	fdtable();
}

/* A TCP_CORK and TCP_NODELAY set behind bytes still waiting for room (the socket is full):
 * the application's getsockopt answers what it set, while the library's setsockopt is
 * still behind those bytes (in flight for the kernel's workers or a linked io_uring
 * chain). It read the kernel's old value before. */
static const char *nodelay_now(int s)
{
	return tcp_opt_now(s, TCP_NODELAY);
}

static void app_sockopt_behind_full(void)
{
	int ep = loop_thread();
	int c = connect_peer(0);
	uint64_t off = 0;
	int one = 1, zero = 0;
	set_nb(c, true);
	ep_add(ep, c, EPOLLIN, 1);
	fill(c, &off);
	say("cork: %s", R(setsockopt(c, IPPROTO_TCP, TCP_CORK, &one, sizeof(one))));
	say("TCP_CORK behind the full socket: %s", cork_now(c));
	say("nodelay: %s", R(setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one))));
	say("TCP_NODELAY behind the full socket: %s", nodelay_now(c));
	tick(ep);
	say("TCP_CORK after the batch: %s", cork_now(c));
	say("uncork: %s", R(setsockopt(c, IPPROTO_TCP, TCP_CORK, &zero, sizeof(zero))));
	say("TCP_CORK now: %s", cork_now(c));
	say("nodelay off: %s", R(setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &zero, sizeof(zero))));
	say("TCP_NODELAY now: %s", nodelay_now(c));
	ctl_send("drain");
	set_nb(c, false);
	write_trailer(c, off);
	xclose(c);
	tick(ep);
	fdtable();
}

/* fork, thread exit and close at once, with the exit drain running in another thread:
 * the library's locks must not form a cycle. */
static volatile int storm_stop;

static void *t_storm_close(void *arg)
{
	(void)arg;
	int ep = epoll_create1(0);
	tick(ep);
	while (!storm_stop) {
		int sp[2];
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sp))
			continue;
		(void)!write(sp[0], "x", 1);
		struct epoll_event e = { .events = EPOLLIN };
		epoll_ctl(ep, EPOLL_CTL_ADD, sp[0], &e);
		close(sp[0]);
		close(sp[1]);
		tick(ep);
	}
	return NULL;
}

static void *t_storm_short(void *arg)
{
	(void)arg;
	int ep = epoll_create1(0), sp[2];
	tick(ep);
	if (!socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sp)) {
		(void)!write(sp[0], "y", 1);
		close(sp[0]);
		close(sp[1]);
	}
	close(ep);
	return NULL;
}

static void *t_storm_threads(void *arg)
{
	(void)arg;
	while (!storm_stop) {
		pthread_t t;
		if (!pthread_create(&t, NULL, t_storm_short, NULL))
			pthread_join(t, NULL);
	}
	return NULL;
}

static void *t_storm_fork(void *arg)
{
	(void)arg;
	while (!storm_stop) {
		pid_t p = fork();
		if (p == 0)
			_exit(0);
		if (p > 0)
			waitpid(p, NULL, 0);
	}
	return NULL;
}

static void storm_round(int ms)
{
	pthread_t a, b, c;
	pthread_create(&a, NULL, t_storm_close, NULL);
	pthread_create(&b, NULL, t_storm_threads, NULL);
	pthread_create(&c, NULL, t_storm_fork, NULL);
	msleep(ms);
	exit(0);	/* the exit drain runs while the others go on */
}

static void app_lock_storm(void)
{
	int rounds = 0, hung = 0, bad = 0;
	char why[64] = "";
	double end = app_now() + 3;
	while (app_now() < end) {
		pid_t p = fork();
		if (p == 0)
			storm_round(20 + rounds % 7 * 10);
		int st = 0;
		double dl = app_now() + 5;
		pid_t w = 0;
		while ((w = waitpid(p, &st, WNOHANG)) == 0 && app_now() < dl)
			msleep(5);
		if (w == 0) {
			hung++;
			kill(p, SIGKILL);
			waitpid(p, &st, 0);
		} else if (!WIFEXITED(st) || WEXITSTATUS(st)) {
			if (!bad++)
				snprintf(why, sizeof(why), " (first: %s %s)", WIFEXITED(st) ? "exit" : "signal",
					 WIFEXITED(st) ? res(WEXITSTATUS(st), 0) : sigabbrev_np(WTERMSIG(st)));
		}
		rounds++;
	}
	say("rounds: %s, hung: %d, died: %d%s", rounds >= 5 ? "5 or more" : "fewer than 5", hung, bad, why);
	fdtable();
}

/* ---- themes: half-closed peers, resets mid-chain, SIGKILL mid-batch ------------------------- */

static void app_half_closed(void)
{
	int ep = loop_thread(), port;
	int l = listen_local(&port);
	ctl_send("port %d", port);
	int a = T(accept4(l, NULL, NULL, SOCK_NONBLOCK));
	ep_add(ep, a, EPOLLIN, 1);
	long got = 0;
	char b[4096];
	double end = app_now() + 10;
	for (;;) {
		struct epoll_event ev[4];
		int n = epoll_wait(ep, ev, 4, 1000);
		(void)n;
		ssize_t k = read(a, b, sizeof(b));
		if (k > 0) {
			got += k;
			continue;
		}
		if (k == 0 || app_now() > end)
			break;
	}
	say("request: %ld bytes, then EOF", got);
	uint64_t off = 0;
	write_all(a, &off, 300000);
	write_trailer(a, off);
	xclose(a);
	xclose(l);
	tick(ep);
	fdtable();
}

static void peer_half_closed(struct peer *p)
{
	int port = 0;
	if (!pwait(p, "port", 5) || sscanf(p->line, "port %d", &port) != 1)
		return;
	int s = pconnect(port, 0);
	char b[10000];
	memset(b, 'q', sizeof(b));
	(void)!send(s, b, sizeof(b), 0);
	shutdown(s, SHUT_WR);
	struct stream st = { 0 };
	pread_all(s, 15, &st);
	plog(p, "%s, then %s", check_pattern(&st, true, UINT64_MAX), endname(st.end));
	free(st.buf);
	close(s);
}

static void app_rst_mid_chain(void)
{
	int ep = loop_thread(), port;
	int l = listen_local(&port);
	ctl_send("port %d", port);
	int a = T(accept4(l, NULL, NULL, SOCK_NONBLOCK));
	int b = T(accept4(l, NULL, NULL, SOCK_NONBLOCK));
	ep_add(ep, a, EPOLLIN, 1);
	ep_add(ep, b, EPOLLIN, 2);
	uint64_t off = 0;
	for (int i = 0; i < 8; i++) {
		ssize_t k = write(a, pattern_at(off, 65536), 65536);
		if (k > 0)
			off += (uint64_t)k;
	}
	tick(ep);
	ctl_send("reset-a");
	ctl_wait("done", 5);
	msleep(200);
	tick(ep);
	const char *first = NULL;
	for (int i = 0; i < 4 && !first; i++) {
		long r = write(a, "z", 1);
		if (r < 0)
			first = reset_class(r, errno);
		tick(ep);
		msleep(50);
	}
	say("A: first failing write: %s", first ? first : "none");
	long r = write(a, "z", 1);
	int e = errno;
	say("A: write after that: %s", reset_class(r, e));
	uint64_t boff = 0;
	write_all(b, &boff, 200000);
	write_trailer(b, boff);
	xclose(a);
	xclose(b);
	xclose(l);
	tick(ep);
	fdtable();
}

static void peer_rst_mid_chain(struct peer *p)
{
	int port = 0;
	if (!pwait(p, "port", 5) || sscanf(p->line, "port %d", &port) != 1)
		return;
	int a = pconnect(port, SMALL_RCVBUF), b = pconnect(port, 0);
	pwait(p, "reset-a", 5);
	char buf[10000];
	size_t got = 0;
	while (got < sizeof(buf)) {
		ssize_t k = recv(a, buf + got, sizeof(buf) - got, 0);
		if (k <= 0)
			break;
		got += (size_t)k;
	}
	preset(a);
	psend(p, "done");
	plog(p, "A: read %s, then reset it", got == sizeof(buf) ? "10000 bytes" : "fewer bytes");
	struct stream st = { 0 };
	pread_all(b, 15, &st);
	plog(p, "B: %s, then %s", check_pattern(&st, true, UINT64_MAX), endname(st.end));
	free(st.buf);
	close(b);
}

static void app_sigkill_mid_batch(void)
{
	int ep = loop_thread();
	int c = connect_peer(0);
	ep_add(ep, c, EPOLLIN, 1);
	tick(ep);
	uint64_t off = 0;
	for (int i = 0; i < 20; i++) {
		ssize_t k = write(c, pattern_at(off, 4096), 4096);
		if (k > 0)
			off += (uint64_t)k;
	}
	tick(ep);
	for (int i = 0; i < 20; i++) {
		ssize_t k = write(c, pattern_at(off, 4096), 4096);
		if (k > 0)
			off += (uint64_t)k;
	}
	say("killing itself with bytes written");
	raise(SIGKILL);
}

/* ---- kTLS: sends on a socket whose kernel encrypts them (issue 14) ---------------------------- */

/*
 * Kernel TLS on fd, one direction (TLS_TX or TLS_RX), TLS 1.2 AES-GCM-128 with a fixed key:
 * the app's kernel encrypts what it sends, the peer's decrypts it, so the peer checks the
 * plaintext stream as for any other scenario. raw: by syscall(2), which the library does not
 * see. Returns 0 or an errno (ENOENT: no tls module).
 */
static int ktls_on(int fd, int dir, bool raw)
{
	struct tls12_crypto_info_aes_gcm_128 ci = {
		.info = { .version = TLS_1_2_VERSION, .cipher_type = TLS_CIPHER_AES_GCM_128 },
	};
	memset(ci.key, 0x5a, sizeof(ci.key));
	memset(ci.iv, 0x17, sizeof(ci.iv));
	memset(ci.salt, 0x2c, sizeof(ci.salt));
	if (raw ? syscall(SYS_setsockopt, fd, SOL_TCP, TCP_ULP, "tls", sizeof("tls")) ||
			  syscall(SYS_setsockopt, fd, SOL_TLS, dir, &ci, sizeof(ci))
		: setsockopt(fd, SOL_TCP, TCP_ULP, "tls", sizeof("tls")) ||
			  setsockopt(fd, SOL_TLS, dir, &ci, sizeof(ci)))
		return errno;
	return 0;
}

/* A file holding pattern bytes [off, off + n) at offset 0, for sendfile. */
static int pattern_file(const char *name, uint64_t off, size_t n)
{
	char path[4200];
	snprintf(path, sizeof(path), "%s/%s", getenv("TORTURE_DIR"), name);
	int f = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	for (size_t done = 0; f >= 0 && done < n;) {
		size_t k = n - done < 65536 ? n - done : 65536;
		if (write(f, pattern_at(off + done, k), k) != (ssize_t)k)
			break;
		done += k;
	}
	return T(f);
}

/* All n bytes of file f (from 0) to socket c, waiting for room; f is fstat'ed first, as a
 * server does (the library defers sendfile from such a file). 0 or -1. */
static int sendfile_all(int c, int f, size_t n)
{
	struct stat st;
	off_t o = 0;
	double end = app_now() + 30;
	if (fstat(f, &st))
		return -1;
	while ((size_t)o < n) {
		ssize_t k = sendfile(c, f, &o, n - (size_t)o);
		if (k < 0 && (errno == EAGAIN || errno == EINTR) && app_now() < end) {
			struct pollfd pf = { .fd = c, .events = POLLOUT };
			poll(&pf, 1, 100);
			continue;
		}
		if (k <= 0)
			return -1;
	}
	return 0;
}

/*
 * nginx's kTLS path without nginx, once kTLS is on c and the peer was told: writes of many
 * sizes and sendfile, each batch closed by epoll_wait, the socket filled while the peer does
 * not read, then the rest waiting for room, the trailer and close. kTLS's sendmsg refuses
 * flags it does not know (MSG_WAITALL among them) with EOPNOTSUPP: every byte the app was
 * told was sent must reach the peer, in order, then EOF.
 */
static void ktls_writes(int ep, int c)
{
	ctl_send("ktls");
	say("peer decrypts: %s", ctl_wait("go", 20) ? "yes" : "NO");
	set_nb(c, true);
	ep_add(ep, c, EPOLLIN, 1);
	tick(ep);
	uint64_t off = 0;
	static const size_t sizes[] = { 1, 100, 5000, 16384, 16385, 40000 };
	for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		say("write %zu: %s", sizes[i], R(write(c, pattern_at(off, sizes[i]), sizes[i])));
		off += sizes[i];
		if (i % 2)
			tick(ep);
	}
	int f = pattern_file("ktls-file", off, 100000);
	say("sendfile 100000, waiting for room: %s", sendfile_all(c, f, 100000) ? "FAILED" : "ok");
	off += 100000;
	tick(ep);
	/* the peer reads nothing yet: the socket fills (the library holds more) */
	say("fill: %s", fill(c, &off) > 0 ? "some bytes accepted" : "NOTHING accepted");
	tick(ep);
	ctl_send("drain");
	say("write 300000 more, waiting for room: %s", write_all(c, &off, 300000) ? "FAILED" : "ok");
	tick(ep);
	say("trailer: %s", write_trailer(c, off) ? "FAILED" : "ok");
	tick(ep);
	xclose(c);
	xclose(f);
	tick(ep);
	fdtable();
}

/* kTLS set up before the first byte, by setsockopt calls the library sees. */
static void app_ktls_send(void)
{
	int ep = loop_thread();
	int c = connect_peer(0);
	int e = ktls_on(c, TLS_TX, false);
	if (e) {
		say("SKIP no kTLS here (TLS_TX: %s)", strerror(e));
		return;
	}
	ktls_writes(ep, c);
}

/* kTLS attached behind the library's back (raw syscalls) after it already sent plaintext on
 * the socket: it learns of kTLS from the refused send, and loses nothing. */
static void app_ktls_behind(void)
{
	int ep = loop_thread();
	int c = connect_peer(0);
	ep_add(ep, c, EPOLLIN, 1);
	say("write hello: %s", R(write(c, "hello\n", 6)));
	tick(ep);
	say("peer read hello: %s", ctl_wait("got", 20) ? "yes" : "NO");
	int e = ktls_on(c, TLS_TX, true);
	if (e) {
		say("SKIP no kTLS here (TLS_TX: %s)", strerror(e));
		return;
	}
	epoll_ctl(ep, EPOLL_CTL_DEL, c, NULL);
	ktls_writes(ep, c);
}

/* After "ktls": TLS_RX, then the pattern stream with its trailer and the end. */
static void peer_ktls_stream(struct peer *p, int s)
{
	if (!pwait(p, "ktls", 10)) {
		plog(p, "no kTLS from the app");
		return;
	}
	int e = ktls_on(s, TLS_RX, false);
	plog(p, "TLS_RX: %s", e ? strerror(e) : "ok");
	psend(p, "go");
	bool sig = pwait(p, "drain", 60);
	plog(p, "drain signal %s", sig ? "received" : "NOT received");
	struct stream st = { 0 };
	pread_all(s, 60, &st);
	plog(p, "%s, then %s", check_pattern(&st, true, UINT64_MAX), endname(st.end));
	free(st.buf);
}

static void peer_ktls(struct peer *p)
{
	int s = paccept(p, 5, 0);
	if (s < 0) {
		plog(p, "no connection");
		return;
	}
	peer_ktls_stream(p, s);
	close(s);
}

/* "hello\n" in plaintext first, told back to the app once read. */
static void peer_ktls_hello(struct peer *p)
{
	int s = paccept(p, 5, 0);
	if (s < 0) {
		plog(p, "no connection");
		return;
	}
	char b[8] = "";
	size_t got = 0;
	double end = pnow() + 10;
	while (got < 6 && pnow() < end) {
		struct pollfd pf = { .fd = s, .events = POLLIN };
		if (poll(&pf, 1, 100) <= 0)
			continue;
		ssize_t k = recv(s, b + got, 6 - got, MSG_DONTWAIT);
		if (k <= 0)
			break;
		got += (size_t)k;
	}
	plog(p, "plaintext before kTLS: %s", got == 6 && !memcmp(b, "hello\n", 6) ? "hello" : "WRONG");
	psend(p, "got");
	peer_ktls_stream(p, s);
	close(s);
}

/*
 * nginx's kTLS responses without nginx (issue 14's 100 KiB points stalled under the
 * library): a non-blocking socket registered edge-triggered for EPOLLIN | EPOLLOUT, and
 * responses of a 250-byte header (write) and a 100 KiB body, by write(2) and by sendfile(2)
 * in turn, each sent as a server does: what the call accepts, then epoll_wait for the
 * socket's EPOLLOUT edge before the rest. The peer reads slowly through a small receive
 * buffer, so the socket is full most of the time. A response that makes no progress for
 * 15 s is reported STALLED (the app gives up and closes): the kernel alone never stalls.
 */
#define KTLS_RESPONSES 8
#define KTLS_HEADER 250
#define KTLS_BODY 102400

/* n bytes from the stream at *off by write (f < 0) or by sendfile from f (which holds the
 * bytes at *off at offset 0), waiting for EPOLLOUT edges. 0, or -1 when stalled/failed. */
static int ktls_send_part(int ep, int c, int f, uint64_t *off, size_t n)
{
	size_t done = 0;
	off_t fo = 0;
	double progress = app_now();
	while (done < n) {
		ssize_t k;
		if (f < 0)
			k = write(c, pattern_at(*off + done, n - done < 65536 ? n - done : 65536),
				  n - done < 65536 ? n - done : 65536);
		else
			k = sendfile(c, f, &fo, n - done);
		if (k > 0) {
			done += (size_t)k;
			progress = app_now();
			continue;
		}
		if (k < 0 && errno != EAGAIN && errno != EINTR) {
			say("send: %s", strerror(errno));
			return -1;
		}
		if (app_now() - progress > 15) {
			say("STALLED: no byte accepted for 15 s");
			return -1;
		}
		struct epoll_event ev[4];
		epoll_wait(ep, ev, 4, 1000);
	}
	*off += n;
	return 0;
}

static void app_ktls_slow_reader(void)
{
	int ep = loop_thread();
	int c = connect_peer(0);
	int e = ktls_on(c, TLS_TX, false);
	if (e) {
		say("SKIP no kTLS here (TLS_TX: %s)", strerror(e));
		return;
	}
	ctl_send("ktls");
	say("peer decrypts: %s", ctl_wait("go", 20) ? "yes" : "NO");
	set_nb(c, true);
	ep_add(ep, c, EPOLLIN | EPOLLOUT | EPOLLET, 1);
	tick(ep);
	uint64_t off = 0;
	int i;
	for (i = 0; i < KTLS_RESPONSES; i++) {
		if (ktls_send_part(ep, c, -1, &off, KTLS_HEADER))
			break;
		int f = -1;
		if (i % 2) {
			char name[32];
			snprintf(name, sizeof(name), "ktls-body-%d", i);
			f = pattern_file(name, off, KTLS_BODY);
			struct stat st;
			fstat(f, &st);	/* as a server does: the library may defer the sendfile */
		}
		int r = ktls_send_part(ep, c, f, &off, KTLS_BODY);
		if (f >= 0)
			xclose(f);
		if (r)
			break;
	}
	say("responses sent: %d of %d", i, KTLS_RESPONSES);
	if (i == KTLS_RESPONSES)
		say("trailer: %s", write_trailer(c, off) ? "FAILED" : "ok");
	xclose(c);
	tick(ep);
	fdtable();
}

/* TLS_RX, then a slow reader: 4 KiB at a time, a 20 ms pause after every 32 KiB. */
static void peer_ktls_slow(struct peer *p)
{
	int s = paccept(p, 5, SMALL_RCVBUF);
	if (s < 0 || !pwait(p, "ktls", 10)) {
		plog(p, "no kTLS connection");
		if (s >= 0)
			close(s);
		return;
	}
	int e = ktls_on(s, TLS_RX, false);
	plog(p, "TLS_RX: %s", e ? strerror(e) : "ok");
	psend(p, "go");
	struct stream st = { .end = ETIMEDOUT };
	size_t since = 0;
	double end = pnow() + 240;
	while (pnow() < end) {
		struct pollfd pf = { .fd = s, .events = POLLIN };
		if (poll(&pf, 1, 100) <= 0)
			continue;
		if (st.cap - st.len < 4096) {
			st.cap = st.cap * 2 + 65536;
			st.buf = realloc(st.buf, st.cap);
			if (!st.buf)
				abort();
		}
		ssize_t k = recv(s, st.buf + st.len, 4096, MSG_DONTWAIT);
		if (k > 0) {
			st.len += (size_t)k;
			since += (size_t)k;
			if (since >= 32768) {
				since = 0;
				msleep(20);
			}
			continue;
		}
		if (k < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		st.end = k == 0 ? 0 : errno;
		break;
	}
	plog(p, "%s, then %s", check_pattern(&st, true, UINT64_MAX), endname(st.end));
	free(st.buf);
	close(s);
}

/*
 * The same as a keep-alive HTTPS server with kTLS and several clients: KTLS_CONNS
 * connections in one edge-triggered event loop; each client (the peer) sends "GET\n", reads
 * the whole response (header, then a 100 KiB body) and asks again, KTLS_ROUNDS times. The
 * app answers a request as nginx does with sendfile and tcp_nopush: TCP_CORK on, the header
 * by write, the body by sendfile from a file opened, fstat'ed and closed per response, then
 * TCP_CORK off; what does not fit waits for that connection's EPOLLOUT edge, and a
 * connection is only looked at when epoll reports it. No progress on any connection for
 * 15 s: STALLED.
 */
#define KTLS_CONNS 4
#define KTLS_ROUNDS 5
#define KTLS_RESP ((uint64_t)KTLS_HEADER + KTLS_BODY)

struct kconn {
	int fd, file;
	int served;		/* responses completed */
	bool sending;
	size_t hdr;		/* header bytes sent */
	off_t fo;		/* body bytes sent (sendfile's offset) */
};

/* Go on with c's response; true when it made progress. */
static bool kconn_send(struct kconn *k)
{
	bool moved = false;
	uint64_t base = (uint64_t)k->served * KTLS_RESP;
	while (k->sending) {
		ssize_t n;
		if (k->hdr < KTLS_HEADER)
			n = write(k->fd, pattern_at(base + k->hdr, KTLS_HEADER - k->hdr), KTLS_HEADER - k->hdr);
		else
			n = sendfile(k->fd, k->file, &k->fo, (size_t)(KTLS_BODY - k->fo));
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR) {
				say("conn %d: send: %s", k->fd, strerror(errno));
				k->sending = false;
				k->served = -1000;
			}
			return moved;
		}
		moved = moved || n > 0;
		if (k->hdr < KTLS_HEADER)
			k->hdr += (size_t)n;
		if (k->fo == KTLS_BODY) {
			int zero = 0;
			setsockopt(k->fd, IPPROTO_TCP, TCP_CORK, &zero, sizeof(zero));
			xclose(k->file);
			k->file = -1;
			k->sending = false;
			k->served++;
		}
	}
	return moved;
}

/* A request was read: open the body's file, cork, and send what fits. */
static void kconn_start(struct kconn *k)
{
	char path[4200];
	snprintf(path, sizeof(path), "%s/ktls-resp-%d", getenv("TORTURE_DIR"), k->served);
	k->file = T(open(path, O_RDONLY | O_CLOEXEC));
	struct stat st;
	fstat(k->file, &st);
	int one = 1;
	setsockopt(k->fd, IPPROTO_TCP, TCP_CORK, &one, sizeof(one));
	k->hdr = 0;
	k->fo = 0;
	k->sending = true;
}

static void app_ktls_keepalive(void)
{
	int ep = loop_thread();
	struct kconn conns[KTLS_CONNS];
	for (int i = 0; i < KTLS_ROUNDS; i++) {	/* response i's body: the stream at its offset */
		char name[32];
		snprintf(name, sizeof(name), "ktls-resp-%d", i);
		xclose(pattern_file(name, (uint64_t)i * KTLS_RESP + KTLS_HEADER, KTLS_BODY));
	}
	for (int i = 0; i < KTLS_CONNS; i++) {
		conns[i] = (struct kconn){ .fd = connect_peer(0), .file = -1 };
		int e = ktls_on(conns[i].fd, TLS_TX, false);
		if (e) {
			say("SKIP no kTLS here (TLS_TX: %s)", strerror(e));
			return;
		}
	}
	ctl_send("ktls");
	say("peer decrypts: %s", ctl_wait("go", 20) ? "yes" : "NO");
	for (int i = 0; i < KTLS_CONNS; i++) {
		set_nb(conns[i].fd, true);
		ep_add(ep, conns[i].fd, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, (uint64_t)i);
	}
	double progress = app_now();
	int done = 0;
	while (done < KTLS_CONNS) {
		struct epoll_event ev[KTLS_CONNS];
		int n = epoll_wait(ep, ev, KTLS_CONNS, 1000);
		for (int j = 0; j < n; j++) {
			struct kconn *k = &conns[ev[j].data.u64];
			if (ev[j].events & EPOLLIN) {
				char req[64];
				ssize_t got;
				while ((got = recv(k->fd, req, sizeof(req), 0)) > 0) {
					progress = app_now();
					if (!k->sending && k->served >= 0 && k->served < KTLS_ROUNDS)
						kconn_start(k);
				}
			}
			if (k->sending && kconn_send(k))
				progress = app_now();
			if (k->served == KTLS_ROUNDS) {
				k->served++;
				done++;
			}
		}
		if (app_now() - progress > 15) {
			for (int i = 0; i < KTLS_CONNS; i++)
				if (conns[i].served <= KTLS_ROUNDS)
					say("STALLED: conn %d at response %d (header %zu, body %lld)", i,
					    conns[i].served, conns[i].hdr, (long long)conns[i].fo);
			break;
		}
	}
	say("connections served to the end: %d of %d", done, KTLS_CONNS);
	for (int i = 0; i < KTLS_CONNS; i++) {
		if (conns[i].file >= 0)
			xclose(conns[i].file);
		xclose(conns[i].fd);
	}
	tick(ep);
	fdtable();
}

/* KTLS_CONNS clients: "GET\n", the whole response, again, KTLS_ROUNDS times; then EOF. */
static void peer_ktls_clients(struct peer *p)
{
	int s[KTLS_CONNS];
	struct stream st[KTLS_CONNS];
	int asked[KTLS_CONNS], ended[KTLS_CONNS];
	for (int i = 0; i < KTLS_CONNS; i++) {
		s[i] = paccept(p, 5, SMALL_RCVBUF);
		st[i] = (struct stream){ .end = ETIMEDOUT };
		asked[i] = ended[i] = 0;
		if (s[i] < 0) {
			plog(p, "connection %d: none", i);
			for (int j = 0; j < i; j++)
				close(s[j]);
			return;
		}
	}
	if (!pwait(p, "ktls", 20)) {
		plog(p, "no kTLS from the app");
		for (int i = 0; i < KTLS_CONNS; i++)
			close(s[i]);
		return;
	}
	int bad = 0;
	for (int i = 0; i < KTLS_CONNS; i++)
		bad += ktls_on(s[i], TLS_RX, false) != 0;
	plog(p, "TLS_RX: %s", bad ? "FAILED" : "ok");
	psend(p, "go");
	double end = pnow() + 300;
	int left = KTLS_CONNS;
	while (left && pnow() < end) {
		struct pollfd pf[KTLS_CONNS];
		for (int i = 0; i < KTLS_CONNS; i++) {
			if (!ended[i] && asked[i] < KTLS_ROUNDS && st[i].len == (size_t)asked[i] * KTLS_RESP) {
				(void)!send(s[i], "GET\n", 4, MSG_NOSIGNAL);
				asked[i]++;
			}
			pf[i] = (struct pollfd){ .fd = ended[i] ? -1 : s[i], .events = POLLIN };
		}
		if (poll(pf, KTLS_CONNS, 100) <= 0)
			continue;
		for (int i = 0; i < KTLS_CONNS; i++) {
			if (!(pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			struct stream *t = &st[i];
			if (t->cap - t->len < 65536) {
				t->cap = t->cap * 2 + 65536;
				t->buf = realloc(t->buf, t->cap);
				if (!t->buf)
					abort();
			}
			ssize_t k = recv(s[i], t->buf + t->len, 16384, MSG_DONTWAIT);
			if (k > 0) {
				t->len += (size_t)k;
				continue;
			}
			if (k < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			t->end = k == 0 ? 0 : errno;
			ended[i] = 1;
			left--;
		}
	}
	for (int i = 0; i < KTLS_CONNS; i++) {
		plog(p, "connection %d: %d requests, %s, then %s", i, asked[i],
		     check_pattern(&st[i], false, (uint64_t)KTLS_ROUNDS * KTLS_RESP), endname(st[i].end));
		free(st[i].buf);
		close(s[i]);
	}
}

/* ---- the table ----------------------------------------------------------------------------- */

#define LIB(...) { __VA_ARGS__ }

const struct scenario scenarios[] = {
	{ "stall_calls", "1", app_stall_calls, peer_drain_trailer, 40, SMALL_RCVBUF, LIB(NULL) },
	{ "close_orphans", "2", app_close_orphans, peer_close_orphans, 40, SMALL_RCVBUF, LIB(NULL) },
	{ "close_effect", "3", app_close_effect, NULL, 20, 0, LIB(NULL) },
	{ "close_linger_rst", "3", app_close_linger_rst, peer_close_linger_rst, 20, SMALL_RCVBUF, LIB(NULL) },
	{ "close_linger_timeout", "3", app_close_linger_timeout, peer_count_drain, 30, SMALL_RCVBUF, LIB(NULL) },
	{ "thread_exit_inflight", "4", app_thread_exit_inflight, peer_drain_trailer, 40, SMALL_RCVBUF,
	  LIB("SAIO_EXIT_DRAIN_MS=200") },
	{ "thread_exit_error", "4", app_thread_exit_error, peer_reset_on_signal, 30, SMALL_RCVBUF,
	  LIB("SAIO_EXIT_DRAIN_MS=200") },
	{ "signal_handler_io", "5", app_signal_handler_io, peer_read_trailer, 30, 0, LIB(NULL) },
	{ "signal_exit", "5", app_signal_exit, peer_read_any, 30, 0, LIB(NULL) },
	{ "reuse_close_range_accept", "6", app_reuse_close_range_accept, peer_reuse_accept, 60, 0,
	  LIB("SAIO_FD_BUDGET=1M") },
	{ "reuse_fclose_accept", "6", app_reuse_fclose_accept, peer_reuse_accept, 60, 0,
	  LIB("SAIO_FD_BUDGET=1M") },
	{ "reuse_syscall_accept", "6", app_reuse_syscall_accept, peer_reuse_accept, 60, 0,
	  LIB("SAIO_FD_BUDGET=1M") },
	{ "reuse_dup2_over", "6", app_reuse_dup2_over, peer_count_drain, 40, SMALL_RCVBUF,
	  LIB("SAIO_FD_BUDGET=1M") },
	{ "reuse_pipe2", "6", app_reuse_pipe2, peer_count_drain, 40, SMALL_RCVBUF, LIB("SAIO_FD_BUDGET=1M") },
	{ "reuse_eventfd", "6", app_reuse_eventfd, peer_count_drain, 40, SMALL_RCVBUF, LIB("SAIO_FD_BUDGET=1M") },
	{ "reuse_timerfd", "6", app_reuse_timerfd, peer_count_drain, 40, SMALL_RCVBUF, LIB("SAIO_FD_BUDGET=1M") },
	{ "reuse_signalfd", "6", app_reuse_signalfd, peer_count_drain, 40, SMALL_RCVBUF, LIB("SAIO_FD_BUDGET=1M") },
	{ "reuse_memfd", "6", app_reuse_memfd, peer_count_drain, 40, SMALL_RCVBUF, LIB("SAIO_FD_BUDGET=1M") },
	{ "reuse_scm_rights", "6", app_reuse_scm_rights, peer_count_drain, 40, SMALL_RCVBUF,
	  LIB("SAIO_FD_BUDGET=1M") },
	{ "shutdown_wakes_reader", "7", app_shutdown_wakes_reader, peer_shutdown, 20, 0, LIB(NULL) },
	{ "shutdown_wakes_accept", "7", app_shutdown_wakes_accept, NULL, 20, 0, LIB(NULL) },
	{ "fork_order", "8", app_fork_order, peer_text, 20, 0, LIB(NULL) },
	{ "fork_write_waitpid", "8", app_fork_write_waitpid, NULL, 20, 0, LIB(NULL) },
	{ "sctp_cork", "9", app_sctp_cork, NULL, 20, 0, LIB(NULL) },
	{ "epoll_oneshot", "10", app_epoll_oneshot, peer_slow_reader, 40, SMALL_RCVBUF,
	  LIB("SAIO_FD_BUDGET=256k") },
	{ "epoll_shared_close", "10", app_epoll_shared_close, peer_send_on_signal, 20, 0, LIB(NULL) },
	{ "epoll_fork_child_close", "10", app_epoll_fork_child_close, peer_send_on_signal, 20, 0, LIB(NULL) },
	{ "cq_overflow", "11", app_cq_overflow, peer_cq_overflow, 60, 4096,
	  LIB("SAIO_FD_BUDGET=64k", "SAIO_RING_ENTRIES=32") },
	{ "read_after_epipe", "12", app_read_after_epipe, peer_close_at_once, 20, 0, LIB(NULL) },
	{ "epoll_wait_einval", "12", app_epoll_wait_einval, peer_drain_trailer, 30, SMALL_RCVBUF,
	  LIB("SAIO_FD_BUDGET=256k") },
	{ "tiny_ring_sendfile", "12", app_tiny_ring_sendfile, peer_read_trailer, 30, 0,
	  LIB("SAIO_RING_ENTRIES=1") },
	{ "response_fusion", "13: fusion", app_response_fusion, peer_read_trailer, 30, 0, LIB(NULL) },
	{ "sockopt_behind_full", "13: fusion", app_sockopt_behind_full, peer_drain_trailer, 30, 0, LIB(NULL) },
	{ "lock_storm", "12", app_lock_storm, NULL, 60, 0, LIB("SAIO_EXIT_DRAIN_MS=500") },
	{ "half_closed_peer", "stalled/half-closed peers", app_half_closed, peer_half_closed, 30, 0, LIB(NULL) },
	{ "rst_mid_chain", "RST mid-chain", app_rst_mid_chain, peer_rst_mid_chain, 30, 0, LIB(NULL) },
	{ "sigkill_mid_batch", "SIGKILL mid-batch", app_sigkill_mid_batch, peer_read_any, 20, 0, LIB(NULL) },
	{ "ktls_send", "kTLS (issue 14)", app_ktls_send, peer_ktls, 90, SMALL_RCVBUF, LIB("SAIO_FD_BUDGET=256k") },
	{ "ktls_behind", "kTLS (issue 14)", app_ktls_behind, peer_ktls_hello, 90, SMALL_RCVBUF,
	  LIB("SAIO_FD_BUDGET=256k") },
	{ "ktls_slow_reader", "kTLS (issue 14)", app_ktls_slow_reader, peer_ktls_slow, 120, SMALL_RCVBUF,
	  LIB("SAIO_FD_BUDGET=256k") },
	{ "ktls_keepalive", "kTLS (issue 14)", app_ktls_keepalive, peer_ktls_clients, 120, SMALL_RCVBUF,
	  LIB(NULL) },
	/* the read side (torture_read.c): epoll, recv, FIONREAD, poll, close as the kernel answers */
	{ "ra_keepalive", "read side", app_ra_keepalive, peer_ra_keepalive, 30, 0, LIB(NULL) },
	{ "ra_close_unread", "read side", app_ra_close_unread, peer_ra_close_unread, 30, 0, LIB(NULL) },
	{ "ra_peek_fionread", "read side", app_ra_peek_fionread, peer_ra_peek_fionread, 30, 0, LIB(NULL) },
	{ "ra_peer_fin", "read side", app_ra_peer_fin, peer_ra_peer_fin, 30, 0, LIB(NULL) },
	{ "ra_peer_rst", "read side", app_ra_peer_rst, peer_ra_peer_rst, 30, 0, LIB(NULL) },
	{ "ra_lt_and_oneshot", "read side", app_ra_lt_and_oneshot, peer_ra_lt_and_oneshot, 40, 0, LIB(NULL) },
	{ "ra_dup_read", "read side", app_ra_dup_read, peer_ra_dup_read, 30, 0, LIB(NULL) },
	{ "ra_poll_select", "read side", app_ra_poll_select, peer_ra_poll_select, 30, 0, LIB(NULL) },
	{ "ra_blocking_recv", "read side", app_ra_blocking_recv, peer_ra_blocking_recv, 30, 0, LIB(NULL) },
};
const unsigned nscenarios = sizeof(scenarios) / sizeof(scenarios[0]);
