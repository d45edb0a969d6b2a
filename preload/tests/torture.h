/* SPDX-License-Identifier: MIT */
/*
 * torture.h - the differential torture suite (tests/torture*.c).
 *
 * Every scenario is a small program (the "app", run as `torture app NAME`) and, where it
 * needs one, a peer that runs in the driver process, which never loads libsaio. The driver
 * runs each scenario twice or more: once without the library (the baseline: the kernel's
 * own behaviour is the oracle) and once per mode with LD_PRELOAD=libsaio.so, and compares
 * the transcripts line by line:
 *   app:  what the app saw (return values and errno of its calls, epoll events, data read),
 *         and, at the end, its descriptor table (types, in creation order);
 *   peer: bytes each peer received, in order (pattern and trailer checks), and when it saw
 *         EOF or RST;
 *   exit: the app's exit status (or TIMEOUT).
 * A token "@S.SS" in a line is a time in seconds: two lines match when their text without
 * the tokens is equal and each time is within the tolerance (max(0.6 s, 35 %), scaled by
 * TORTURE_SLOW). Lines where the library may legitimately differ (how many bytes a
 * non-blocking write accepted: the library is a larger send buffer) are normalized by the
 * app before they are written.
 *
 * App <-> peer coordination: the driver passes a control pipe pair as descriptors 3 (app
 * reads) and 4 (app writes), lines of text; the peer listens on TORTURE_PORT.
 */
#ifndef TORTURE_H
#define TORTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define CTL_IN 3		/* app reads control lines here */
#define CTL_OUT 4		/* app writes control lines here */

/* ---- shared: the byte pattern every stream carries, and the trailer ------------------- */

static inline uint8_t pat(uint64_t i)
{
	return (uint8_t)((i ^ (i >> 9) ^ (i >> 17)) * 167u + 13u);
}
#define TRAILER_MAGIC "TRLR"
#define TRAILER_LEN 12		/* magic + 8-byte little-endian pattern length */

/* ---- app side (torture_app.c) -------------------------------------------------------- */

double app_now(void);				/* seconds since the app started */
void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void ctl_send(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
bool ctl_wait(const char *word, double secs);	/* a line starting with word */
int T(int fd);					/* remember fd as the app's own; returns it */
void untrack(int fd);
const char *res(long ret, int err);		/* "N" or the errno's name */
const char *nbres(long ret, int err);		/* non-blocking write: "wrote" / "EAGAIN" ... */
int connect_peer(int rcvbuf);			/* blocking connect to the peer; tracked */
int listen_local(int *port);			/* 127.0.0.1:0, listening; tracked */
void set_nb(int fd, bool on);
void tick(int ep);				/* epoll_wait(ep, 0 ms): a batch boundary */
double slowness(void);				/* TORTURE_SLOW (>= 1; else 1): time limits scale by it */
void msleep(int ms);				/* nanosleep: never a batch boundary */
int epoll_new(void);				/* epoll_create1, tracked */
void ep_add(int ep, int fd, uint32_t events, uint64_t data);	/* EPOLL_CTL_ADD, or say why not */
void xclose(int fd);				/* untrack and close */
uint64_t fill(int fd, uint64_t *off);		/* pattern writes until EAGAIN; bytes accepted */
int write_all(int fd, uint64_t *off, uint64_t n);	/* n more pattern bytes, waiting */
int write_trailer(int fd, uint64_t off);	/* the trailer, waiting */
int write_str(int fd, const char *s);		/* all of s, waiting */
void fdtable(void);				/* say() the app's descriptor table */
void churn(void);				/* malloc a lot: reuse freed memory */
const unsigned char *pattern_at(uint64_t off, size_t n);	/* n <= 65536 */
/* A call's result as res() words, errno taken right after it. */
#define R(call) \
	({ \
		errno = 0; \
		long r__ = (long)(call); \
		res(r__, errno); \
	})
#define TIMED(label, call) \
	do { \
		double t_ = app_now(); \
		errno = 0; \
		long r_ = (long)(call); \
		int e_ = errno; \
		say("%s: %s, %s", label, res(r_, e_), app_now() - t_ < 0.5 ? "at once" : "WAITED"); \
	} while (0)

/* ---- peer side (torture.c) ------------------------------------------------------------- */

struct peer {
	int lfd;		/* listening socket (TORTURE_PORT) */
	int ctl_in;		/* reads what the app sends on CTL_OUT */
	int ctl_out;		/* writes what the app reads on CTL_IN */
	double t0;		/* driver clock when the app started */
	char *log;		/* transcript lines, "peer: ..." */
	size_t len, cap;
	char line[256];		/* the last control line received */
	double t_line;		/* pnow() when it arrived */
	char cbuf[4096];	/* control bytes not yet split into lines */
	size_t clen;
};

void plog(struct peer *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
double pnow(void);
bool pwait(struct peer *p, const char *word, double secs);	/* control line from the app */
void psend(struct peer *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int paccept(struct peer *p, double secs, int rcvbuf);	/* -1 on timeout */
int pconnect(int port, int rcvbuf);
void preset(int fd);				/* close with RST */

/* A whole stream read by a peer: how it ended and when. */
struct stream {
	unsigned char *buf;
	size_t len, cap;
	int end;		/* 0 EOF, else errno (ECONNRESET, ETIMEDOUT for our timeout) */
	double t_end;		/* pnow() when it ended */
};
void pread_all(int fd, double secs, struct stream *s);
const char *endname(int end);
/* "pattern N bytes" checks: the stream is pattern bytes (from 0), then optionally the
 * trailer naming their count. Returns a fixed description for the transcript. */
const char *check_pattern(const struct stream *s, bool want_trailer, uint64_t want_len);

/* ---- read-side scenarios (torture_read.c), entered in torture_cases.c's table ---------- */

void app_ra_keepalive(void);
void peer_ra_keepalive(struct peer *p);
void app_ra_close_unread(void);
void peer_ra_close_unread(struct peer *p);
void app_ra_peek_fionread(void);
void peer_ra_peek_fionread(struct peer *p);
void app_ra_peer_fin(void);
void peer_ra_peer_fin(struct peer *p);
void app_ra_peer_rst(void);
void peer_ra_peer_rst(struct peer *p);
void app_ra_lt_and_oneshot(void);
void peer_ra_lt_and_oneshot(struct peer *p);
void app_ra_dup_read(void);
void peer_ra_dup_read(struct peer *p);
void app_ra_poll_select(void);
void peer_ra_poll_select(struct peer *p);
void app_ra_blocking_recv(void);
void peer_ra_blocking_recv(struct peer *p);

/* ---- scenarios (torture_cases.c) ------------------------------------------------------- */

struct scenario {
	const char *name;
	const char *item;	/* the item it checks ("1".."12", or a theme) */
	void (*app)(void);
	void (*peer)(struct peer *p);
	int timeout_s;		/* for the app; the peer bounds itself */
	int peer_rcvbuf;	/* SO_RCVBUF of the peer's listening socket (0: default) */
	const char *lib_env[4];	/* extra SAIO_* settings for library runs */
};
extern const struct scenario scenarios[];
extern const unsigned nscenarios;

#endif
