/* SPDX-License-Identifier: MIT */
/*
 * torture_read.c - the read side of the differential torture suite.
 *
 * The app is an event loop like nginx's: a non-blocking TCP socket in an epoll set with
 * EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET; on EPOLLIN it calls recv into a 1024-byte
 * buffer until a call returns less than asked, answers each whole request with one send
 * or writev, and goes back to epoll_wait. The peer is its client. Each scenario says what
 * the app saw through epoll, recv and its kin, ioctl(FIONREAD), poll, select and close (a
 * reset while bytes are left unread), and the kernel's transcript is the oracle: the
 * library's deferred replies and closes must not change any of it.
 *
 * They were written for a read-ahead (the library taking a drained socket's next bytes at
 * the batch boundary), which was measured and is not shipped: its prototype fails
 * ra_peer_fin and ra_dup_read (bench/results-2026-12-06-readahead.txt). The scenarios stay
 * as the read side's checks, and for whatever takes bytes ahead of the application next.
 *
 * Exact, not timing-fragile: where the kernel's answer depends on when a segment arrives,
 * the peer waits for the app's word on the control pipe ("partial", "fin", ...) before it
 * sends, so that every check sees one state. Event masks are printed as the union of the
 * masks reported for the socket since its last read round: how many wakeups one arrival
 * makes is the kernel's business (an RST wakes the socket twice, see ra_peer_rst), which
 * masks were reported is not. Where the mask of a single epoll_wait is printed, the
 * peer's actions around it are ordered through the control pipe.
 */

#include <errno.h>
#include <linux/sockios.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "torture.h"

#define RD 1024			/* the app's read size (nginx's client_header_buffer_size) */
#define ET_EVENTS (EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET)
#define MAXREQ 32
#define BODY "ok\n"

/* ---- the protocol: requests the peer makes, replies the app makes ---------------------- */

static uint32_t fnv(const void *p, size_t n)
{
	const unsigned char *b = p;
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 16777619u;
	return h;
}

/* Request k, len bytes (at least 40): a request line, one header of letters, a blank line;
 * so "\r\n\r\n" ends a request and nothing else. */
static void req_make(int k, size_t len, char *out)
{
	size_t i = (size_t)sprintf(out, "GET /%d HTTP/1.1\r\nX-Pad: ", k);
	for (; i < len - 4; i++)
		out[i] = (char)('a' + (k * 7 + (int)i) % 26);
	memcpy(out + len - 4, "\r\n\r\n", 4);
}

/* The reply's head names the request's number, length and hash: a peer that gets it back
 * knows the app read exactly the bytes it sent. */
static int reply_head(int k, size_t n, uint32_t h, char *head, size_t cap)
{
	return snprintf(head, cap, "HTTP/1.1 200 OK\r\nX-Req: %d\r\nX-Len: %zu\r\nX-Fnv: %08x\r\n"
			"Content-Length: 3\r\n\r\n", k, n, h);
}

/* ---- app side ---------------------------------------------------------------------------- */

static const char *mask(uint32_t m)
{
	static const struct {
		uint32_t bit;
		const char *name;
	} names[] = {
		{ EPOLLIN, "IN" }, { EPOLLPRI, "PRI" }, { EPOLLOUT, "OUT" }, { EPOLLERR, "ERR" },
		{ EPOLLHUP, "HUP" }, { POLLNVAL, "NVAL" }, { EPOLLRDHUP, "RDHUP" },
	};
	static char b[128];
	size_t l = 0;
	b[0] = 0;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!(m & names[i].bit))
			continue;
		l += (size_t)snprintf(b + l, sizeof(b) - l, "%s%s", l ? "|" : "", names[i].name);
		m &= ~names[i].bit;
	}
	if (m)
		snprintf(b + l, sizeof(b) - l, "%s0x%x", l ? "|" : "", m);
	return b[0] ? b : "none";
}

/* The first bytes of b as text, "\r\n" spelled out (two may be used in one say). */
static const char *shown(const char *b, long n)
{
	static char bufs[2][128];
	static int which;
	char *s = bufs[which ^= 1];
	size_t l = 0;
	long i = 0;
	for (; i < n && l < 60; i++) {
		if (b[i] == '\r' || b[i] == '\n')
			l += (size_t)sprintf(s + l, "\\%c", b[i] == '\r' ? 'r' : 'n');
		else if (b[i] >= 32 && b[i] < 127)
			s[l++] = b[i];
		else
			l += (size_t)sprintf(s + l, "\\x%02x", (unsigned char)b[i]);
	}
	strcpy(s + l, i < n ? "..." : "");
	return s;
}

struct conn {
	int ep;
	int fd;			/* reads and replies go through this number */
	uint64_t tag;		/* the registration's data: the number it was made for */
	uint32_t events;	/* as registered (and re-armed, under EPOLLONESHOT) */
	uint32_t seen;		/* union of the masks reported since the last read round */
	bool one_recv;		/* level-triggered: one recv per event */
	int hold_at;		/* EPOLLONESHOT: after this request, let the next one come in
				 * before re-arming */
	char in[8192];		/* bytes read, not yet a whole request */
	size_t len;
	int served;
	bool eof;
};

static void conn_init(struct conn *c, int ep, int fd, uint32_t events)
{
	memset(c, 0, sizeof(*c));
	c->ep = ep;
	c->fd = fd;
	c->tag = (uint64_t)fd;
	c->events = events;
	ep_add(ep, fd, events, c->tag);
}

/* A non-blocking connection to the peer, registered with events. */
static int conn_connect(struct conn *c, int ep, uint32_t events)
{
	int fd = connect_peer(0);
	set_nb(fd, true);
	conn_init(c, ep, fd, events);
	return fd;
}

/* epoll_wait until an event for c brings EPOLLIN (an EOF, a reset bring it too); the
 * masks reported for c meanwhile go into c->seen. each: say every such epoll_wait's mask. */
static bool wait_for_in(struct conn *c, double secs, bool each)
{
	double end = app_now() + secs * slowness();
	while (app_now() < end) {
		struct epoll_event ev[8];
		int n = epoll_wait(c->ep, ev, 8, 100);
		bool in = false;
		for (int i = 0; i < n; i++) {
			if (ev[i].data.u64 != c->tag)
				continue;
			c->seen |= ev[i].events;
			in = in || (ev[i].events & EPOLLIN);
			if (each)
				say("epoll_wait: %s", mask(ev[i].events));
		}
		if (in)
			return true;
	}
	say("STALLED: no EPOLLIN in %.0f s (seen: %s)", secs, mask(c->seen));
	return false;
}

static bool wait_in(struct conn *c, double secs)
{
	return wait_for_in(c, secs, false);
}

/* epoll_wait(0): what the set reports for c now (a batch boundary too). */
static void events_now(struct conn *c, const char *when)
{
	struct epoll_event ev[8];
	uint32_t m = 0;
	int n = epoll_wait(c->ep, ev, 8, 0);
	for (int i = 0; i < n; i++)
		if (ev[i].data.u64 == c->tag)
			m |= ev[i].events;
	say("epoll_wait(0) %s: %s", when, mask(m));
}

/* On EPOLLIN: recv until a call returns less than asked (once, level-triggered); say the
 * masks and every result. Returns the last result. */
static long read_round(struct conn *c)
{
	char line[400];
	size_t l = 0;
	long r;
	do {
		if (c->len + RD > sizeof(c->in)) {
			say("request too long");
			return -1;
		}
		errno = 0;
		r = recv(c->fd, c->in + c->len, RD, 0);
		l += (size_t)snprintf(line + l, sizeof(line) - l, "%s%s", l ? ", " : "", res(r, errno));
		if (r > 0)
			c->len += (size_t)r;
		c->eof = c->eof || r == 0;
	} while (r == RD && !c->one_recv && l < sizeof(line) - 40);
	say("events %s; recv %s", mask(c->seen), line);
	c->seen = 0;
	return r;
}

static void reply(struct conn *c, size_t n, uint32_t h)
{
	char head[200];
	int hl = reply_head(c->served, n, h, head, sizeof(head) - 3);
	long r;
	errno = 0;
	if (c->served % 2) {
		memcpy(head + hl, BODY, 3);
		r = send(c->fd, head, (size_t)hl + 3, MSG_NOSIGNAL);
		say("reply %d: send %s", c->served, res(r, errno));
	} else {
		struct iovec iov[2] = { { head, (size_t)hl }, { BODY, 3 } };
		r = writev(c->fd, iov, 2);
		say("reply %d: writev %s", c->served, res(r, errno));
	}
}

/* Answer every whole request read so far. A part left over is said, and told to the peer
 * when the socket was drained (last < RD): it sends the rest only then. */
static void serve(struct conn *c, long last)
{
	char *end;
	while ((end = memmem(c->in, c->len, "\r\n\r\n", 4))) {
		size_t n = (size_t)(end + 4 - c->in);
		uint32_t h = fnv(c->in, n);
		c->served++;
		say("request %d: %zu bytes, fnv %08x, \"%s\"", c->served, n, h, shown(c->in, (long)n));
		reply(c, n, h);
		memmove(c->in, c->in + n, c->len - n);
		c->len -= n;
	}
	if (!c->len)
		return;
	say("partial request: %zu bytes, \"%s\"", c->len, shown(c->in, (long)c->len));
	if (last < RD)
		ctl_send("partial");
}

static void rearm(struct conn *c)
{
	if (!(c->events & EPOLLONESHOT))
		return;
	if (c->hold_at && c->served == c->hold_at) {
		/* the next request comes while the registration is disarmed: the re-arm must
		 * report it (the kernel polls the socket in EPOLL_CTL_MOD) */
		ctl_send("disarmed");
		say("next request in while disarmed: %s", ctl_wait("sent", 5 * slowness()) ? "yes" : "NO");
		msleep(20);
	}
	struct epoll_event e = { .events = c->events, .data.u64 = c->tag };
	if (epoll_ctl(c->ep, EPOLL_CTL_MOD, c->fd, &e))
		say("EPOLL_CTL_MOD: %s", strerror(errno));
}

/* The event loop on one connection until the peer's EOF (or a stall). */
static void serve_to_eof(struct conn *c)
{
	while (!c->eof && wait_in(c, 10)) {
		serve(c, read_round(c));
		rearm(c);
	}
	say("%d requests served, %s", c->served, c->eof ? "then EOF" : "NO EOF");
}

/* One turn of the loop: the next request's EPOLLIN, its reads, its reply. */
static void serve_next(struct conn *c)
{
	if (wait_in(c, 5))
		serve(c, read_round(c));
}

/* ---- peer side: the client --------------------------------------------------------------- */

struct client {
	struct peer *p;
	int s;
	int sent, checked;
	size_t len[MAXREQ + 1];
	uint32_t h[MAXREQ + 1];
	char bad[200];		/* the first thing not as expected */
};

static void cl_bad(struct client *cl, const char *what, int k)
{
	if (!cl->bad[0])
		snprintf(cl->bad, sizeof(cl->bad), "%s (request %d)", what, k);
}

/* The app's word on the control pipe; its absence is the first thing not as expected. */
static void cl_await(struct client *cl, const char *word)
{
	char what[64];
	if (pwait(cl->p, word, 5))
		return;
	snprintf(what, sizeof(what), "no \"%s\" from the app", word);
	cl_bad(cl, what, cl->sent);
}

/* Request number sent + 1, len bytes, appended at out + *n. */
static void cl_make(struct client *cl, size_t len, char *out, size_t *n)
{
	int k = ++cl->sent;
	req_make(k, len, out + *n);
	cl->len[k] = len;
	cl->h[k] = fnv(out + *n, len);
	*n += len;
}

static void cl_write(struct client *cl, const char *b, size_t n)
{
	while (n) {
		ssize_t k = send(cl->s, b, n, MSG_NOSIGNAL);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			cl_bad(cl, "send failed", cl->sent);
			return;
		}
		b += k;
		n -= (size_t)k;
	}
}

/* b[0..n) in one write, or in two: cut bytes, then the rest once the app said it holds a
 * partial request and delay_ms more passed (0: at once, likely before the app is back in
 * epoll_wait; 50: surely while it waits there). */
static void cl_send(struct client *cl, const char *b, size_t n, size_t cut, int delay_ms)
{
	cl_write(cl, b, cut);
	if (cut >= n)
		return;
	cl_await(cl, "partial");
	if (delay_ms)
		msleep(delay_ms);
	cl_write(cl, b + cut, n - cut);
}

static void cl_req(struct client *cl, size_t len, size_t cut, int delay_ms)
{
	char b[4096];
	size_t n = 0;
	cl_make(cl, len, b, &n);
	cl_send(cl, b, n, cut ? cut : n, delay_ms);
}

/* Exactly n bytes (less at EOF, an error or the time limit). */
static size_t pread_n(int s, char *b, size_t n, double secs)
{
	double end = pnow() + secs * slowness();
	size_t got = 0;
	while (got < n) {
		double left = end - pnow();
		if (left <= 0)
			break;
		struct pollfd pf = { .fd = s, .events = POLLIN };
		if (poll(&pf, 1, (int)(left * 1000) + 1) <= 0)
			continue;
		ssize_t k = recv(s, b + got, n - got, MSG_DONTWAIT);
		if (k > 0)
			got += (size_t)k;
		else if (k == 0 || (errno != EAGAIN && errno != EINTR))
			break;
	}
	return got;
}

/* The replies to every request sent, in order, byte for byte. */
static void cl_expect(struct client *cl)
{
	while (cl->checked < cl->sent) {
		int k = ++cl->checked;
		char want[256], got[256];
		int wl = reply_head(k, cl->len[k], cl->h[k], want, sizeof(want) - 3);
		memcpy(want + wl, BODY, 3);
		wl += 3;
		if (cl->bad[0])
			continue;	/* out of step: do not wait for each */
		size_t gl = pread_n(cl->s, got, (size_t)wl, 5);
		if (gl != (size_t)wl)
			cl_bad(cl, "reply short or missing", k);
		else if (memcmp(got, want, (size_t)wl))
			cl_bad(cl, "reply not as expected", k);
	}
}

/* The replies, then (fin: after our FIN) the rest of the stream and how it ended. */
static void cl_end(struct client *cl, const char *who, bool fin)
{
	cl_expect(cl);
	if (fin)
		shutdown(cl->s, SHUT_WR);
	struct stream st = { 0 };
	pread_all(cl->s, 5, &st);
	plog(cl->p, "%s%d replies %s; then %zu more bytes and %s", who, cl->checked,
	     cl->bad[0] ? cl->bad : "intact, in order", st.len, endname(st.end));
	free(st.buf);
	close(cl->s);
}

static bool cl_accept(struct client *cl, struct peer *p)
{
	memset(cl, 0, sizeof(*cl));
	cl->p = p;
	cl->s = paccept(p, 5, 0);
	if (cl->s < 0)
		plog(p, "no connection");
	return cl->s >= 0;
}

/* A connection, and request 1 (60 bytes) sent and answered. */
static bool cl_first(struct client *cl, struct peer *p)
{
	if (!cl_accept(cl, p))
		return false;
	cl_req(cl, 60, 0, 0);
	cl_expect(cl);
	return true;
}

/*
 * The keep-alive exchange: single requests, two pipelined in one write, requests split
 * over two writes (the rest sent while the app is back in epoll_wait, and at once, likely
 * before it is), exactly RD and 2 x RD bytes (the last recv of a round is EAGAIN), 3000
 * bytes (three reads), a request and half of the next in one write. With oneshot, a last
 * request that comes while the app's registration is disarmed.
 */
static void keepalive_script(struct client *cl, bool oneshot)
{
	char b[4096];
	size_t n = 0;

	cl_req(cl, 60, 0, 0);
	cl_expect(cl);
	cl_make(cl, 50, b, &n);
	cl_make(cl, 70, b, &n);
	cl_send(cl, b, n, n, 0);
	cl_expect(cl);
	cl_req(cl, 90, 20, 50);
	cl_expect(cl);
	cl_req(cl, 80, 41, 0);
	cl_expect(cl);
	cl_req(cl, RD, 0, 0);
	cl_expect(cl);
	cl_req(cl, 3000, 0, 0);
	cl_expect(cl);
	n = 0;
	cl_make(cl, 40, b, &n);
	cl_make(cl, 200, b, &n);
	cl_send(cl, b, n, 70, 50);
	cl_expect(cl);
	cl_req(cl, 2 * RD, 0, 0);
	cl_expect(cl);
	if (!oneshot)
		return;
	/* request 11: the app then holds its registration disarmed (with reply 11 maybe
	 * still queued in the library: no batch boundary yet) until request 12 is in */
	cl_req(cl, 60, 0, 0);
	cl_await(cl, "disarmed");
	cl_req(cl, 61, 0, 0);
	psend(cl->p, "sent");
	cl_expect(cl);
}
#define ONESHOT_HOLD 11

/* ---- ra_keepalive: nginx's keep-alive loop ------------------------------------------------- */

void app_ra_keepalive(void)
{
	int ep = epoll_new(), port;
	int l = listen_local(&port);
	ctl_send("port %d", port);
	int a = T(accept4(l, NULL, NULL, SOCK_NONBLOCK));
	struct conn c;
	conn_init(&c, ep, a, ET_EVENTS);
	serve_to_eof(&c);
	xclose(a);
	xclose(l);
	tick(ep);
	fdtable();
}

void peer_ra_keepalive(struct peer *p)
{
	int port = 0;
	if (!pwait(p, "port", 5) || sscanf(p->line, "port %d", &port) != 1) {
		plog(p, "no port");
		return;
	}
	struct client cl = { .p = p, .s = pconnect(port, 0) };
	if (cl.s < 0) {
		plog(p, "connect failed");
		return;
	}
	keepalive_script(&cl, false);
	cl_end(&cl, "", true);
}

/* ---- ra_lt_and_oneshot: the same exchange, level-triggered and one-shot -------------------- */

/*
 * Level-triggered without EPOLLOUT (always writable: it would report at every wait) and
 * one recv per event, as a level-triggered loop may: an event per RD bytes still unread.
 * One-shot: EPOLLIN | EPOLLRDHUP | EPOLLET | EPOLLONESHOT (EPOLLOUT left out for the same
 * reason), re-armed by EPOLL_CTL_MOD after each round.
 */
void app_ra_lt_and_oneshot(void)
{
	int ep = epoll_new();
	struct conn c;
	int fd = conn_connect(&c, ep, EPOLLIN | EPOLLRDHUP);
	c.one_recv = true;
	say("level-triggered:");
	serve_to_eof(&c);
	xclose(fd);
	fd = conn_connect(&c, ep, EPOLLIN | EPOLLRDHUP | EPOLLET | EPOLLONESHOT);
	c.hold_at = ONESHOT_HOLD;
	say("one-shot:");
	serve_to_eof(&c);
	xclose(fd);
	tick(ep);
	fdtable();
}

void peer_ra_lt_and_oneshot(struct peer *p)
{
	struct client cl;
	if (!cl_accept(&cl, p))
		return;
	keepalive_script(&cl, false);
	cl_end(&cl, "level-triggered: ", true);
	if (!cl_accept(&cl, p))
		return;
	keepalive_script(&cl, true);
	cl_end(&cl, "one-shot: ", true);
}

/* ---- ra_close_unread: a close with bytes unread resets the connection ---------------------- */

enum { CU_EVENT, CU_TICKS, CU_QUIET, CU_PART, CU_ALL, CU_N };

/*
 * After a reply the peer sends another request; the app closes without reading it: the
 * kernel resets (RFC 2525 2.17), and the peer's read fails with ECONNRESET. Variants: the
 * close follows the request's EPOLLIN; follows 200 ms of epoll_wait(0) ticks; follows no
 * batch boundary at all since the bytes came (a read-ahead still in the ring); follows a
 * read of 5 of its bytes. Last, the contrast: all read, then close: a FIN.
 */
void app_ra_close_unread(void)
{
	int ep = epoll_new();
	for (int v = 0; v < CU_N; v++) {
		struct conn c;
		char b[8];
		int fd = conn_connect(&c, ep, ET_EVENTS);
		serve_next(&c);
		/* a batch boundary (the reply goes out, under the library), and only then
		 * the next request: no wait below races with its arrival */
		tick(ep);
		ctl_send("go");
		switch (v) {
		case CU_EVENT:
			wait_in(&c, 5);
			say("conn %d: events %s; close, the request unread", v, mask(c.seen));
			break;
		case CU_TICKS:
			ctl_wait("sent 1", 5 * slowness());
			for (int i = 0; i < 10; i++) {
				struct epoll_event ev[8];
				int n = epoll_wait(ep, ev, 8, 0);
				for (int j = 0; j < n; j++)
					c.seen |= ev[j].data.u64 == c.tag ? ev[j].events : 0;
				msleep(20);
			}
			say("conn %d: 200 ms of ticks saw %s; close, the request unread", v, mask(c.seen));
			break;
		case CU_QUIET:
			/* the tick above was the boundary after the drain: a read-ahead
			 * started there has the bytes, or will have them at the next one */
			ctl_wait("sent 2", 5 * slowness());
			msleep(50);
			say("conn %d: close, the request unread, no batch boundary since it came", v);
			break;
		case CU_PART:
			wait_in(&c, 5);
			errno = 0;
			long r = recv(fd, b, 5, 0);
			say("conn %d: events %s; recv 5: %s \"%s\"; close, the rest unread", v,
			    mask(c.seen), res(r, errno), shown(b, r));
			break;
		case CU_ALL:
			wait_in(&c, 5);
			read_round(&c);
			say("conn %d: close, all read", v);
			break;
		}
		xclose(fd);
		ctl_send("closed");
		tick(ep);
	}
	fdtable();
}

void peer_ra_close_unread(struct peer *p)
{
	for (int v = 0; v < CU_N; v++) {
		struct client cl;
		if (!cl_first(&cl, p))
			return;
		cl_await(&cl, "go");
		cl_req(&cl, 45, 0, 0);
		psend(p, "sent %d", v);
		bool closed = pwait(p, "closed", 10);
		struct stream st = { 0 };
		pread_all(cl.s, 5, &st);
		plog(p, "conn %d: reply 1 %s; after request 2: %zu bytes, then %s @%.2f after the close%s",
		     v, cl.bad[0] ? cl.bad : "intact", st.len, endname(st.end),
		     closed ? st.t_end - p->t_line : -1.0, closed ? "" : " (no signal)");
		free(st.buf);
		close(cl.s);
	}
}

/* ---- ra_peek_fionread: every way to look at and take queued bytes -------------------------- */

static void inq(int fd)
{
	int v = -1;
	errno = 0;
	long r = ioctl(fd, FIONREAD, &v);
	say("FIONREAD: %s, %d", res(r, errno), v);
	/* SIOCINQ is FIONREAD's number for TCP: asked too, as a server spelling it would */
	v = -1;
	errno = 0;
	r = ioctl(fd, SIOCINQ, &v);
	say("SIOCINQ: %s, %d", res(r, errno), v);
}

static void rcv(int fd, size_t n, int flags, const char *what)
{
	char b[2048];
	errno = 0;
	long r = recv(fd, b, n, flags);
	say("%s %zu: %s \"%s\"", what, n, res(r, errno), shown(b, r));
}

void app_ra_peek_fionread(void)
{
	int ep = epoll_new();
	struct conn c;
	int fd = conn_connect(&c, ep, ET_EVENTS);
	char a[64], b[64];

	say("one message, all of it in the socket:");
	wait_in(&c, 5);
	say("events %s", mask(c.seen));
	inq(fd);
	rcv(fd, 1024, MSG_PEEK, "recv MSG_PEEK");
	rcv(fd, 10, MSG_PEEK, "recv MSG_PEEK");
	for (int i = 0; i < 5; i++)
		rcv(fd, 1, 0, "recv");
	inq(fd);
	struct iovec iov[2] = { { a, 3 }, { b, 7 } };
	errno = 0;
	long r = readv(fd, iov, 2);
	say("readv 3+7: %s \"%s\" \"%s\"", res(r, errno), shown(a, r < 3 ? r : 3), shown(b, r - 3));
	struct sockaddr_storage from;
	struct msghdr m = { .msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = iov,
			    .msg_iovlen = 2 };
	iov[0].iov_len = 4;
	iov[1].iov_len = 6;
	errno = 0;
	r = recvmsg(fd, &m, 0);
	say("recvmsg 4+6: %s \"%s\" \"%s\", namelen %u, flags 0x%x", res(r, errno),
	    shown(a, r < 4 ? r : 4), shown(b, r - 4), m.msg_namelen, m.msg_flags);
	socklen_t fl = sizeof(from);
	errno = 0;
	r = recvfrom(fd, a, 20, 0, (struct sockaddr *)&from, &fl);
	say("recvfrom 20: %s \"%s\", fromlen %u", res(r, errno), shown(a, r), fl);
	errno = 0;
	r = recv(fd, NULL, 3, MSG_TRUNC);	/* TCP: drops 3 bytes */
	say("recv MSG_TRUNC 3: %s", res(r, errno));
	errno = 0;
	r = read(fd, a, 64);
	say("read 64: %s \"%s\"", res(r, errno), shown(a, r));
	errno = 0;
	r = read(fd, a, 64);
	say("read 64: %s", res(r, errno));
	inq(fd);
	rcv(fd, 1024, MSG_PEEK, "recv MSG_PEEK");

	say("bytes that came while the app waited, then more behind them:");
	ctl_send("more");
	wait_in(&c, 5);
	say("events %s", mask(c.seen));
	c.seen = 0;
	ctl_send("more2");
	ctl_wait("sent 2", 5 * slowness());
	msleep(20);
	inq(fd);
	rcv(fd, 1024, MSG_PEEK, "recv MSG_PEEK");
	rcv(fd, 7, 0, "recv");
	inq(fd);
	rcv(fd, 1024, MSG_DONTWAIT, "recv MSG_DONTWAIT");
	rcv(fd, 1024, 0, "recv");
	/* the second part's arrival left an edge nobody collected: the set reports it now,
	 * with the mask the socket has now (its bytes are gone, EPOLLIN with them) */
	events_now(&c, "after reading everything");

	say("the last bytes, and EOF:");
	ctl_send("fin");
	ctl_wait("sent 3", 5 * slowness());
	msleep(20);
	wait_in(&c, 5);
	say("events %s", mask(c.seen));
	inq(fd);
	rcv(fd, 1024, MSG_PEEK, "recv MSG_PEEK");
	rcv(fd, 10, 0, "recv");
	errno = 0;
	r = read(fd, a, 64);
	say("read 64: %s \"%s\"", res(r, errno), shown(a, r));
	errno = 0;
	r = read(fd, a, 64);
	say("read 64: %s", res(r, errno));
	rcv(fd, 1024, MSG_PEEK, "recv MSG_PEEK");
	inq(fd);
	m.msg_namelen = sizeof(from);
	errno = 0;
	r = recvmsg(fd, &m, 0);
	say("recvmsg: %s, flags 0x%x", res(r, errno), m.msg_flags);
	events_now(&c, "after EOF");
	say("send: %s", R(send(fd, "done\n", 5, MSG_NOSIGNAL)));
	xclose(fd);
	tick(ep);
	fdtable();
}

void peer_ra_peek_fionread(struct peer *p)
{
	int s = paccept(p, 5, 0);
	if (s < 0) {
		plog(p, "no connection");
		return;
	}
	const char *m1 = "first:0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP|end";
	(void)!send(s, m1, strlen(m1), MSG_NOSIGNAL);
	bool ok = pwait(p, "more", 5);
	(void)!send(s, "second, part one;", 17, MSG_NOSIGNAL);
	ok = pwait(p, "more2", 5) && ok;
	(void)!send(s, "second, part two.", 17, MSG_NOSIGNAL);
	psend(p, "sent 2");
	ok = pwait(p, "fin", 5) && ok;
	(void)!send(s, "third and last, then FIN", 24, MSG_NOSIGNAL);
	shutdown(s, SHUT_WR);
	psend(p, "sent 3");
	struct stream st = { 0 };
	pread_all(s, 5, &st);
	plog(p, "%s: \"%.*s\", then %s", ok ? "every signal came" : "a signal was MISSING",
	     (int)(st.len < 16 ? st.len : 16), st.buf ? (char *)st.buf : "", endname(st.end));
	free(st.buf);
	close(s);
}

/* ---- ra_peer_fin: the peer half-closes ------------------------------------------------------ */

/*
 * (a) a request and the FIN, both in before the app waits: one epoll_wait reports both
 * (ordered by "sent 1": whether the app collects the data's edge before the FIN comes
 * would be a race); recv gives the request, then 0, then 0 again; the app still replies
 * (its side is open) and closes. (b) after a served request the FIN alone, while the app
 * waits in epoll_wait: one segment, one mask. A FIN wakes the set twice (tcp_fin's state
 * change, then tcp_data_queue's data ready): a waiter woken by the first may find a second
 * event queued behind it, so no epoll_wait(0) is said after (b)'s EOF.
 */
void app_ra_peer_fin(void)
{
	int ep = epoll_new();
	struct conn c;
	int fd = conn_connect(&c, ep, ET_EVENTS);
	ctl_wait("sent 1", 5 * slowness());
	msleep(20);
	say("(a) a request and the FIN:");
	wait_for_in(&c, 5, true);
	errno = 0;
	long r = recv(fd, c.in, RD, 0);
	say("recv: %s", res(r, errno));
	c.len = r > 0 ? (size_t)r : 0;
	say("recv: %s", R(recv(fd, c.in + c.len, RD, 0)));
	say("recv: %s", R(recv(fd, c.in + c.len, RD, 0)));
	events_now(&c, "after EOF");
	serve(&c, r);
	events_now(&c, "after the reply");
	xclose(fd);

	say("(b) a request, its reply, then the FIN alone:");
	fd = conn_connect(&c, ep, ET_EVENTS);
	serve_next(&c);
	wait_for_in(&c, 5, true);
	say("recv: %s", R(recv(fd, c.in, RD, 0)));
	say("recv: %s", R(recv(fd, c.in, RD, 0)));
	xclose(fd);
	tick(ep);
	fdtable();
}

void peer_ra_peer_fin(struct peer *p)
{
	struct client cl;
	if (!cl_accept(&cl, p))
		return;
	cl_req(&cl, 60, 0, 0);
	shutdown(cl.s, SHUT_WR);
	psend(p, "sent 1");
	cl_end(&cl, "(a) ", false);
	if (!cl_accept(&cl, p))
		return;
	cl_req(&cl, 60, 0, 0);
	cl_end(&cl, "(b) ", true);
}

/* ---- ra_peer_rst: the peer resets ------------------------------------------------------------ */

static void so_error(int fd, const char *when)
{
	int v = -1;
	socklen_t l = sizeof(v);
	errno = 0;
	long r = getsockopt(fd, SOL_SOCKET, SO_ERROR, &v, &l);
	const char *n = v > 0 ? strerrorname_np(v) : NULL;
	say("SO_ERROR %s: %s, %s", when, res(r, errno), n ? n : v ? "?" : "0");
}

enum { RST_RECV_FIRST, RST_SO_ERROR_FIRST, RST_AFTER_BYTES, RST_N };

/*
 * After a reply the peer resets (SO_LINGER 0). A: while the app waits in epoll_wait; recv
 * (ECONNRESET), SO_ERROR (the recv took the error), recv again (0: the reset shut the
 * socket down). B: the same, SO_ERROR first (ECONNRESET; taking it clears it), then the
 * recvs (0, 0). C: a few bytes and then the reset, both in before the app waits (ordered
 * by "go" and "reset": were the app woken by the bytes alone, its second recv would say
 * EAGAIN or ECONNRESET by a race): FIONREAD, the bytes, ECONNRESET, 0.
 * The kernel wakes the set twice for one reset (tcp_done_with_error: tcp_done's state
 * change, then the error report): a waiter gets one event or two, so only the union of
 * the masks is said.
 */
void app_ra_peer_rst(void)
{
	int ep = epoll_new();
	struct conn c;
	for (int v = 0; v < RST_N; v++) {
		char who = (char)('A' + v);
		int fd = conn_connect(&c, ep, ET_EVENTS);
		serve_next(&c);
		if (v == RST_AFTER_BYTES) {
			tick(ep);	/* the reply goes out, under the library */
			ctl_send("go");
			ctl_wait("reset", 5 * slowness());
			msleep(20);
		}
		wait_in(&c, 5);
		say("%c: events %s", who, mask(c.seen));
		switch (v) {
		case RST_RECV_FIRST:
			rcv(fd, RD, 0, "recv");
			so_error(fd, "after the recv");
			rcv(fd, RD, 0, "recv again");
			break;
		case RST_SO_ERROR_FIRST:
			so_error(fd, "first");
			rcv(fd, RD, 0, "recv");
			rcv(fd, RD, 0, "recv again");
			so_error(fd, "after the recvs");
			break;
		case RST_AFTER_BYTES:
			inq(fd);
			rcv(fd, RD, 0, "recv");
			rcv(fd, RD, 0, "recv");
			so_error(fd, "after the recvs");
			rcv(fd, RD, 0, "recv again");
			break;
		}
		xclose(fd);
	}
	tick(ep);
	fdtable();
}

void peer_ra_peer_rst(struct peer *p)
{
	for (int v = 0; v < RST_N; v++) {
		struct client cl;
		if (!cl_first(&cl, p))
			return;
		if (v == RST_AFTER_BYTES) {
			cl_await(&cl, "go");
			(void)!send(cl.s, "last words", 10, MSG_NOSIGNAL);
		}
		preset(cl.s);
		if (v == RST_AFTER_BYTES)
			psend(p, "reset");
		plog(p, "%c: reply 1 %s; reset", 'A' + v, cl.bad[0] ? cl.bad : "intact");
	}
}

/* ---- ra_dup_read: bytes read through a dup, the original closed ---------------------------- */

/*
 * Request 2: 10 bytes through the original, the rest through a dup, then the original is
 * closed. The socket stays open through the dup, and so does its epoll registration (the
 * kernel keys it by file and number and drops it when the file goes): request 3 is
 * reported under the closed number's registration, read and answered through the dup.
 */
void app_ra_dup_read(void)
{
	int ep = epoll_new();
	struct conn c;
	int fd = conn_connect(&c, ep, ET_EVENTS);
	serve_next(&c);
	wait_in(&c, 5);
	errno = 0;
	long r = recv(fd, c.in, 10, 0);
	say("recv 10 through the original: %s \"%s\"", res(r, errno), shown(c.in, r));
	c.len = r > 0 ? (size_t)r : 0;
	int d = T(dup(fd));
	say("dup: %s", d >= 0 ? "ok" : strerror(errno));
	c.fd = d;
	long last = read_round(&c);
	say("close of the original: %s", R(close(fd)));
	untrack(fd);
	serve(&c, last);
	serve_to_eof(&c);
	xclose(d);
	tick(ep);
	fdtable();
}

void peer_ra_dup_read(struct peer *p)
{
	struct client cl;
	if (!cl_first(&cl, p))
		return;
	cl_req(&cl, 70, 0, 0);
	cl_expect(&cl);
	cl_req(&cl, 3000, 0, 0);
	cl_expect(&cl);
	cl_end(&cl, "", true);
}

/* ---- ra_poll_select: the next request waited for with poll and select ---------------------- */

static void say_poll(int fd, int ms, const char *when)
{
	struct pollfd pf = { .fd = fd, .events = POLLIN | POLLRDHUP };
	errno = 0;
	long r = poll(&pf, 1, ms);
	say("poll(%d ms) %s: %s, revents %s", ms, when, res(r, errno), mask((uint32_t)pf.revents));
}

static void say_select(int fd, long ms, const char *when)
{
	fd_set rs;
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	FD_ZERO(&rs);
	FD_SET(fd, &rs);
	errno = 0;
	long r = select(fd + 1, &rs, NULL, NULL, &tv);
	say("select(%ld ms) %s: %s, readable %s", ms, when, res(r, errno),
	    FD_ISSET(fd, &rs) ? "yes" : "no");
}

/*
 * A zero-timeout poll or select is taken while the reply is not yet sent: the peer sends
 * its next request only after the reply, so the socket is surely empty then.
 */
void app_ra_poll_select(void)
{
	int ep = epoll_new();
	struct conn c;
	int fd = conn_connect(&c, ep, ET_EVENTS);
	serve_next(&c);

	say_poll(fd, 5000, "for request 2");
	errno = 0;
	long r = recv(fd, c.in, 10, 0);
	say("recv 10: %s \"%s\"", res(r, errno), shown(c.in, r));
	c.len = r > 0 ? (size_t)r : 0;
	say_poll(fd, 0, "with the rest unread");
	long last = read_round(&c);
	say_poll(fd, 0, "with all read");
	serve(&c, last);

	say_select(fd, 5000, "for request 3");
	last = read_round(&c);
	say_select(fd, 0, "with all read");
	serve(&c, last);
	/* requests 2 and 3 left edges in the set nobody collected */
	events_now(&c, "after requests read through poll and select");

	ctl_send("fin");
	say_poll(fd, 5000, "for the FIN");
	say("recv: %s", R(recv(fd, c.in, RD, 0)));
	xclose(fd);
	tick(ep);
	fdtable();
}

void peer_ra_poll_select(struct peer *p)
{
	struct client cl;
	if (!cl_accept(&cl, p))
		return;
	for (int i = 0; i < 3; i++) {
		cl_req(&cl, 60 + 10 * (size_t)i, 0, 0);
		cl_expect(&cl);
	}
	cl_await(&cl, "fin");
	cl_end(&cl, "", true);
}

/* ---- ra_blocking_recv: a blocking socket in the edge-triggered set -------------------------- */

/*
 * The first request comes through the event loop; the second the app waits for in a
 * blocking recv (the peer sends it a second after the reply: "WAITED"). Its arrival left an
 * edge in the set: the next epoll_wait reports the socket, without EPOLLIN (its bytes are
 * gone).
 */
void app_ra_blocking_recv(void)
{
	int ep = epoll_new();
	struct conn c;
	int fd = connect_peer(0);
	conn_init(&c, ep, fd, ET_EVENTS);
	serve_next(&c);
	double t = app_now();
	errno = 0;
	long r = recv(fd, c.in, RD, 0);
	say("blocking recv: %s, %s", res(r, errno), app_now() - t < 0.5 ? "at once" : "WAITED");
	c.len = r > 0 ? (size_t)r : 0;
	serve(&c, r);
	events_now(&c, "after the blocking recv");
	ctl_send("fin");
	wait_in(&c, 5);
	say("events %s", mask(c.seen));
	say("recv: %s", R(recv(fd, c.in, RD, 0)));
	xclose(fd);
	tick(ep);
	fdtable();
}

void peer_ra_blocking_recv(struct peer *p)
{
	struct client cl;
	if (!cl_first(&cl, p))
		return;
	msleep(1000);
	cl_req(&cl, 70, 0, 0);
	cl_expect(&cl);
	cl_await(&cl, "fin");
	cl_end(&cl, "", true);
}
