/* SPDX-License-Identifier: MIT */
/* loop.c - the per-thread epoll loop: connections, sends, receives, open-loop dispatch.
 *
 * Per iteration: dispatch due arrivals (open loop), flush each connection with queued requests in
 * one writev, reconnect what is due, then sleep in epoll_pwait2 until the next arrival, an event or
 * the end of the window (ns timeout; timer slack 1 ns). A readable connection is read into the
 * thread's buffer (an incomplete header/line carried in front of it), parsed, and the requests its
 * responses freed (closed loop) are sent back in one writev right away. Level-triggered; EPOLLOUT
 * only while a socket buffer is full; no allocation after setup. */
#include "loop.h"

#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "clock.h"

#define MAX_EVENTS 256
#define MAX_RETRIES 3			/* resends of a request the server closed on */
#define RETRY_NS (10 * 1000 * 1000ull)	/* back-off after a connection error */
#define POPULATE_DEPTH 32

static bool in_window(const struct plan *p, uint64_t now)
{
	return now >= p->window_start && now < p->window_end;
}

/* Connection-level errors count from the start of the measured window on (drain included). */
static void count_error(struct thread *t, enum err_kind e, uint64_t now)
{
	if (t->phase == PHASE_RUN && now >= t->plan->window_start)
		t->st.errors[e]++;
}

static void epoll_set(struct thread *t, struct conn *c, int op, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = c };

	/* Cannot fail for a socket we own and the set we created, short of ENOMEM. */
	if (epoll_ctl(t->epfd, op, c->fd, &ev) && t->phase == PHASE_RUN)
		t->st.errors[E_CONNECT]++;
}

static void retry_later(struct thread *t, struct conn *c, uint64_t now)
{
	if (c->retry_wait)
		return;
	c->retry_wait = 1;
	c->retry_at = now + RETRY_NS;
	t->retry_list[t->nretry++] = c;
}

static void conn_open(struct thread *t, struct conn *c, uint64_t now)
{
	const struct plan *p = t->plan;
	int one = 1, fd;

	fd = socket(p->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		t->setup_error = errno;
		count_error(t, E_CONNECT, now);
		retry_later(t, c, now);
		return;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (const struct sockaddr *)&p->addr, p->addrlen) && errno != EINPROGRESS) {
		t->setup_error = errno;
		close(fd);
		count_error(t, E_CONNECT, now);
		retry_later(t, c, now);
		return;
	}
	c->fd = fd;
	c->state = CONN_CONNECTING;
	epoll_set(t, c, EPOLL_CTL_ADD, EPOLLIN | EPOLLOUT);
}

/* Closes @c. Requests it awaited answers for are queued again, oldest first (a request resent
 * MAX_RETRIES times is given up as E_CLOSED). @e >= 0: an error of that kind, reconnect after a
 * back-off; -1: the server closed cleanly, reconnect now if there is work. */
static void conn_drop(struct thread *t, struct conn *c, uint64_t now, int e)
{
	const struct plan *p = t->plan;

	if (c->fd >= 0)
		close(c->fd); /* also leaves the epoll set */
	c->fd = -1;
	c->state = CONN_DOWN;
	c->want_out = 0;
	c->broken = 0;
	c->close_after = 0;
	c->carry_len = 0;
	c->iov_head = c->iov_n = 0;
	t->proto->reset(c);
	for (uint32_t s = c->head; s != c->unsent; s++)
		c->slots[s & c->mask].retries++;
	while (c->head != c->unsent && conn_head(c)->retries > MAX_RETRIES)
		conn_fail_head(t, c, now, E_CLOSED);
	c->unsent = c->head;
	if (t->phase != PHASE_RUN) {
		/* Before the load a lost connection fails the run: thread_setup reports it. */
		if (!t->setup_error)
			t->setup_error = e == E_PARSE ? EPROTO : ECONNRESET;
		return;
	}
	if (e >= 0) {
		count_error(t, (enum err_kind)e, now);
		retry_later(t, c, now);
		return;
	}
	if (in_window(p, now))
		t->st.reconnects++;
	/* Keep-alive connections stay open while the load lasts; with --close, reopen on demand. */
	if (c->head != c->tail || (!p->o->close && now < p->window_end))
		conn_open(t, c, now);
}

/* Writes the queued iovecs until done or the socket buffer is full (then EPOLLOUT). */
static void conn_write(struct thread *t, struct conn *c, uint64_t now)
{
	while (c->iov_head < c->iov_n) {
		struct iovec *v = c->iov + c->iov_head;
		uint32_t cnt = c->iov_n - c->iov_head;
		ssize_t w;

		if (cnt > IOV_MAX)
			cnt = IOV_MAX;
		w = cnt == 1 ? write(c->fd, v->iov_base, v->iov_len) : writev(c->fd, v, (int)cnt);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				if (!c->want_out) {
					c->want_out = 1;
					epoll_set(t, c, EPOLL_CTL_MOD, EPOLLIN | EPOLLOUT);
				}
				return;
			}
			conn_drop(t, c, now, E_WRITE);
			return;
		}
		if (in_window(t->plan, now))
			t->st.bytes_sent += (uint64_t)w;
		while (w > 0) {
			v = c->iov + c->iov_head;
			if ((size_t)w >= v->iov_len) {
				w -= (ssize_t)v->iov_len;
				c->iov_head++;
			} else {
				v->iov_base = (char *)v->iov_base + w;
				v->iov_len -= (size_t)w;
				w = 0;
			}
		}
	}
	c->iov_head = c->iov_n = 0;
	if (c->want_out) {
		c->want_out = 0;
		epoll_set(t, c, EPOLL_CTL_MOD, EPOLLIN);
	}
}

/* Hands every queued request of @c to the kernel: stamps them sent, one writev for all. */
static void conn_flush(struct thread *t, struct conn *c, uint64_t now)
{
	const struct plan *p = t->plan;

	c->dirty = 0;
	if (c->state != CONN_UP) {
		if (c->state == CONN_DOWN && !c->retry_wait && c->head != c->tail)
			conn_open(t, c, now);
		return;
	}
	if (c->unsent == c->tail)
		return;
	if (c->iov_head == c->iov_n) {
		c->iov_head = c->iov_n = 0;
	} else if (c->iov_n + (c->tail - c->unsent) * PROTO_MAX_IOV > c->iov_cap) {
		memmove(c->iov, c->iov + c->iov_head, (c->iov_n - c->iov_head) * sizeof(*c->iov));
		c->iov_n -= c->iov_head;
		c->iov_head = 0;
	}
	for (uint32_t s = c->unsent; s != c->tail; s++) {
		struct req *r = &c->slots[s & c->mask];

		r->sent = now;
		if (!r->intended)
			r->intended = now; /* closed loop: intended when sent */
		if (p->open_loop && !r->lagged) {
			r->lagged = 1;
			if (r->measured && t->phase == PHASE_RUN)
				hist_record(&t->st.lag, now - r->intended);
		}
		c->iov_n += (uint32_t)t->proto->emit(p, r, c->iov + c->iov_n);
	}
	c->unsent = c->tail;
	if (!c->want_out)
		conn_write(t, c, now);
}

static void flush_all(struct thread *t, uint64_t now)
{
	/* conn_flush may drop and reopen a connection, never queue on another: the list is stable. */
	for (uint32_t i = 0; i < t->nflush; i++)
		if (t->flush_list[i]->dirty)
			conn_flush(t, t->flush_list[i], now);
	t->nflush = 0;
}

static void conn_connected(struct thread *t, struct conn *c, uint64_t now)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) || err) {
		t->setup_error = err ? err : errno;
		close(c->fd);
		c->fd = -1;
		c->state = CONN_DOWN;
		count_error(t, E_CONNECT, now);
		if (t->phase == PHASE_RUN)
			retry_later(t, c, now);
		return;
	}
	c->state = CONN_UP;
	epoll_set(t, c, EPOLL_CTL_MOD, EPOLLIN);
	c->unsent = c->head; /* everything in the ring goes out on this connection */
	if (c->head != c->tail)
		conn_flush(t, c, now);
}

static void conn_readable(struct thread *t, struct conn *c)
{
	uint64_t now = 0;

	for (;;) {
		size_t have = c->carry_len, total, used, rest;
		ssize_t n;

		if (have)
			memcpy(t->rbuf, c->carry, have);
		n = read(c->fd, t->rbuf + have, LOOP_RBUF);
		now = clock_ns();
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			conn_drop(t, c, now, E_READ);
			return;
		}
		if (n == 0) {
			t->proto->eof(t, c, now);
			conn_drop(t, c, now, -1);
			return;
		}
		if (in_window(t->plan, now))
			t->st.bytes_recv += (uint64_t)n;
		total = have + (size_t)n;
		used = t->proto->parse(t, c, t->rbuf, total, now);
		if (c->broken) {
			conn_drop(t, c, now, E_PARSE);
			return;
		}
		rest = total - used;
		if (c->close_after) {
			conn_drop(t, c, now, -1);
			return;
		}
		if (rest > CONN_CARRY_MAX) {
			conn_drop(t, c, now, E_PARSE);
			return;
		}
		memcpy(c->carry, t->rbuf + used, rest);
		c->carry_len = (uint32_t)rest;
		if ((size_t)n < LOOP_RBUF)
			break;
	}
	/* The requests these responses freed go out now, in one writev. */
	if (c->dirty)
		conn_flush(t, c, now ? now : clock_ns());
}

static void on_event(struct thread *t, struct conn *c, uint32_t ev, uint64_t now)
{
	if (c->state == CONN_CONNECTING) {
		if (ev & (EPOLLOUT | EPOLLERR | EPOLLHUP))
			conn_connected(t, c, now);
		if (c->state != CONN_UP || !(ev & EPOLLIN))
			return;
	}
	if (c->state != CONN_UP)
		return;
	if (ev & (EPOLLIN | EPOLLERR | EPOLLHUP))
		conn_readable(t, c);
	if (c->state == CONN_UP && c->want_out && (ev & EPOLLOUT))
		conn_write(t, c, clock_ns());
}

static void retry_due(struct thread *t, uint64_t now, uint64_t *next)
{
	uint32_t keep = 0;

	for (uint32_t i = 0; i < t->nretry; i++) {
		struct conn *c = t->retry_list[i];

		if (c->retry_at <= now) {
			c->retry_wait = 0;
			if (c->head != c->tail || (!t->plan->o->close && now < t->plan->window_end))
				conn_open(t, c, now);
		} else {
			t->retry_list[keep++] = c;
			if (c->retry_at < *next)
				*next = c->retry_at;
		}
	}
	t->nretry = keep;
}

/* One wait for events (at most until @until) and their handling. */
static void wait_events(struct thread *t, uint64_t now, uint64_t until)
{
	struct epoll_event evs[MAX_EVENTS];
	uint64_t wait = until > now ? until - now : 0;
	struct timespec ts = { .tv_sec = (time_t)(wait / NS_PER_S), .tv_nsec = (long)(wait % NS_PER_S) };
	int n = epoll_pwait2(t->epfd, evs, MAX_EVENTS, &ts, NULL);

	if (n <= 0)
		return;
	now = clock_ns();
	for (int i = 0; i < n; i++)
		on_event(t, evs[i].data.ptr, evs[i].events, now);
}

int thread_init(struct thread *t, const struct plan *p, uint32_t idx, uint32_t first_id, uint32_t nconns, int cpu)
{
	uint32_t ntok = 1;

	memset(t, 0, sizeof(*t));
	t->idx = idx;
	t->plan = p;
	t->proto = p->proto;
	t->cpu = cpu;
	t->nconns = nconns;
	t->epfd = epoll_create1(EPOLL_CLOEXEC);
	t->conns = calloc(nconns, sizeof(*t->conns));
	t->flush_list = calloc(nconns, sizeof(*t->flush_list));
	t->retry_list = calloc(nconns, sizeof(*t->retry_list));
	t->rbuf = malloc(LOOP_RBUF + CONN_CARRY_MAX);
	while (ntok < nconns * p->slots)
		ntok <<= 1;
	t->tok = calloc(ntok, sizeof(*t->tok));
	t->tok_mask = ntok - 1;
	if (t->epfd < 0 || !t->conns || !t->flush_list || !t->retry_list || !t->rbuf || !t->tok)
		return -1;
	stats_init(&t->st);
	rng_seed(&t->rng, p->o->seed, 1000 + idx);
	for (uint32_t i = 0; i < nconns; i++) {
		struct conn *c = &t->conns[i];

		/* populate keeps POPULATE_DEPTH SETs in flight before the run's own depth applies */
		if (conn_alloc(c, p->proto == &proto_http || p->slots > POPULATE_DEPTH ? p->slots : POPULATE_DEPTH))
			return -1;
		c->t = t;
		c->id = first_id + i;
		if (p->proto != &proto_http)
			c->owned = kv_owned(&p->kv, c->id);
	}
	return 0;
}

void thread_destroy(struct thread *t)
{
	for (uint32_t i = 0; t->conns && i < t->nconns; i++) {
		if (t->conns[i].fd >= 0)
			close(t->conns[i].fd);
		conn_free(&t->conns[i]);
	}
	if (t->epfd >= 0)
		close(t->epfd);
	free(t->conns);
	free(t->flush_list);
	free(t->retry_list);
	free(t->rbuf);
	free(t->tok);
	free(t->capture);
}

static void pin(struct thread *t)
{
	if (t->cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(t->cpu, &set);
		pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	}
	/* epoll_pwait2's ns timeout is an hrtimer: without this it may fire 50 µs late. */
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
}

int thread_setup(struct thread *t, char *err, size_t errlen)
{
	const struct plan *p = t->plan;
	uint64_t now = clock_ns(), deadline = now + p->connect_timeout_ns;
	uint32_t up;

	pin(t);
	t->phase = PHASE_SETUP;
	for (uint32_t i = 0; i < t->nconns; i++)
		conn_open(t, &t->conns[i], now);
	for (;;) {
		up = 0;
		for (uint32_t i = 0; i < t->nconns; i++)
			up += t->conns[i].state == CONN_UP;
		if (up == t->nconns || t->nretry || t->setup_error || now >= deadline)
			break;
		wait_events(t, now, deadline);
		now = clock_ns();
	}
	if (up != t->nconns) {
		snprintf(err, errlen, "cannot connect to %s:%s (%u of %u connections up): %s", p->o->host, p->o->port, up,
			 t->nconns, t->setup_error ? strerror(t->setup_error) : "timed out");
		return -1;
	}
	if (p->proto == &proto_http)
		return 0;
	/* Every owned key gets version 1, so GETs find values from the first request on. */
	t->phase = PHASE_POPULATE;
	for (uint32_t i = 0; i < t->nconns; i++) {
		struct conn *c = &t->conns[i];

		if (!c->owned)
			continue;
		t->populating++;
		for (uint32_t d = 0; d < POPULATE_DEPTH && c->populated < c->owned; d++)
			conn_queue(t, c, 0, false);
	}
	deadline = now + p->connect_timeout_ns;
	while (t->populating && !t->setup_error && !t->setup_verdict && now < deadline) {
		uint64_t before = t->inflight;

		flush_all(t, now);
		wait_events(t, now, deadline);
		now = clock_ns();
		if (t->inflight != before)
			deadline = now + p->connect_timeout_ns; /* progress: the bound is per reply */
	}
	if (t->populating) {
		snprintf(err, errlen, "writing the initial values failed: %s",
			 t->setup_verdict ? (t->setup_verdict == V_SERVER ? "the server answered an error" :
					     "the server's replies are not those of a SET")
			 : t->setup_error ? strerror(t->setup_error) : "no reply within --timeout");
		return -1;
	}
	return 0;
}

/* Open loop: every due arrival of the window goes to the next connection with a free slot; at the
 * end of the window, those that found none are counted unsent. */
static void dispatch(struct thread *t, uint64_t now, bool *done)
{
	const struct plan *p = t->plan;
	struct sched *s = &t->sched;

	while (t->tok_head != t->tok_tail && s->next <= now && s->next < p->window_end) {
		struct conn *c = t->tok[t->tok_head++ & t->tok_mask];
		bool measured = s->next >= p->window_start;

		t->st.scheduled += measured;
		conn_queue(t, c, s->next, measured);
		sched_advance(s);
	}
	if (now >= p->window_end) {
		for (; s->next < p->window_end; sched_advance(s)) {
			if (s->next >= p->window_start) {
				t->st.scheduled++;
				t->st.unsent++;
			}
		}
		*done = true;
	}
}

void thread_run(struct thread *t)
{
	const struct plan *p = t->plan;
	uint64_t now = clock_ns(), drain_end = p->window_end + p->drain_ns;
	bool dispatch_done = !p->open_loop;

	t->phase = PHASE_RUN;
	if (p->open_loop) {
		sched_init(&t->sched, p->o->arrivals, p->o->rate, p->o->seed, t->idx, p->o->threads, p->t0);
		/* one token per free slot, interleaved so consecutive arrivals go to different connections */
		for (uint32_t d = 0; d < p->slots; d++)
			for (uint32_t i = 0; i < t->nconns; i++)
				t->tok[t->tok_tail++ & t->tok_mask] = &t->conns[i];
	} else {
		for (uint32_t i = 0; i < t->nconns; i++)
			for (uint32_t d = 0; d < p->slots; d++)
				conn_queue(t, &t->conns[i], 0, in_window(p, now));
	}
	for (;;) {
		uint64_t until;

		now = clock_ns();
		if (!t->in_window && !t->window_done && now >= p->window_start) {
			t->in_window = true;
			t->cpu_start = thread_cpu_ns();
			t->wall_start = now;
		}
		if (!t->window_done && now >= p->window_end) {
			t->window_done = true;
			t->in_window = false;
			t->cpu_end = thread_cpu_ns();
			t->wall_end = now;
		}
		if (!dispatch_done)
			dispatch(t, now, &dispatch_done);
		flush_all(t, now);
		until = now < p->window_end ? p->window_end : drain_end;
		if (t->nretry)
			retry_due(t, now, &until);
		if (now >= p->window_end && (!t->inflight || now >= drain_end))
			break;
		if (!dispatch_done && t->tok_head != t->tok_tail && t->sched.next < until)
			until = t->sched.next;
		wait_events(t, now, until);
	}
	if (!t->window_done) { /* unreachable: the loop ends after the window */
		t->cpu_end = thread_cpu_ns();
		t->wall_end = now;
	}
	/* What is still unanswered after the drain is a timeout. */
	for (uint32_t i = 0; i < t->nconns; i++) {
		struct conn *c = &t->conns[i];

		for (uint32_t s = c->head; s != c->tail; s++)
			if (c->slots[s & c->mask].measured)
				t->st.errors[E_TIMEOUT]++;
		if (c->fd >= 0)
			close(c->fd);
		c->fd = -1;
	}
}
