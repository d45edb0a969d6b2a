/* SPDX-License-Identifier: MIT */
/*
 * guest_http.c - the epoll_server cases of server_tests.py as one static C program, for
 * the kmod QEMU guest (no python there) and the host alike. It starts epoll_server under
 * LD_PRELOAD=libsaio.so with a mode's SAIO_* environment, checks every response byte for
 * byte, stops the server with SIGTERM and checks its exit status and its SAIO_STATS file.
 * One "PASS: name" / "FAIL: name: why" line per case (kmod/tests/run.sh counts them).
 *
 *   guest_http modes                     the modes the guest runs (one a line)
 *   guest_http list [MODE...]            case names (of the guest's modes if none given)
 *   guest_http env MODE                  the mode's SAIO_* environment, VAR=VALUE a word
 *   guest_http [-s SERVER] [-l LIB] [-t TMP] run MODE [VAR=VALUE...]
 *        SERVER default /epoll_server, LIB /libsaio.so, TMP /tmp; VAR=VALUE are added to
 *        (or override) the mode's environment.
 *
 * Modes: sync, uring, kmod_enter, kmod_worker (2 workers), kmod_worker_local (2 workers,
 * SAIO_KMOD_CPUS=local). Each mode is two server runs: default budgets, and "small"
 * (SAIO_FD_BUDGET=64k SAIO_BUDGET=512k SAIO_SENDFILE_COPY_MAX=16M: 8 MiB bodies go
 * through the copy path in budget-sized pieces, slow readers hit the budgets); sync has
 * no small run.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define IO_TIMEOUT_S 30		/* per socket call; TCG is 20-50x slower than native */
#define CASE_LIMIT_S 120	/* per case, then everything left is reported failed */

/* ---- modes --------------------------------------------------------------------------- */

struct mode {
	const char *name;
	const char *backend;	/* expected "backend" in the stats */
	const char *env[6];
	int guest;		/* run by `modes` / `list` without arguments */
};

static const struct mode modes[] = {
	{ "sync", "sync", { "SAIO_BACKEND=sync" }, 0 },
	{ "uring", "uring", { "SAIO_BACKEND=uring" }, 1 },
	{ "kmod_enter", "kmod", { "SAIO_BACKEND=kmod", "SAIO_KMOD_MODE=enter" }, 1 },
	{ "kmod_worker", "kmod",
	  { "SAIO_BACKEND=kmod", "SAIO_KMOD_MODE=worker", "SAIO_KMOD_WORKERS=2" }, 1 },
	{ "kmod_worker_local", "kmod",
	  { "SAIO_BACKEND=kmod", "SAIO_KMOD_MODE=worker", "SAIO_KMOD_WORKERS=2",
	    "SAIO_KMOD_CPUS=local" }, 1 },
};
#define NMODES (sizeof(modes) / sizeof(modes[0]))

static const char *const small_env[] = {
	"SAIO_FD_BUDGET=64k", "SAIO_BUDGET=512k", "SAIO_SENDFILE_COPY_MAX=16M", NULL
};

/* ---- files ----------------------------------------------------------------------------- */

struct file {
	const char *name;
	size_t size;
	unsigned char *data;
};

static struct file files[] = {
	{ "0", 0, NULL }, { "1", 1, NULL }, { "1k", 1024, NULL },
	{ "100k", 100 * 1024, NULL }, { "8m", 8u << 20, NULL },
};
#define NFILES (sizeof(files) / sizeof(files[0]))

static struct file *file_by_name(const char *name)
{
	for (size_t i = 0; i < NFILES; i++)
		if (!strcmp(files[i].name, name))
			return &files[i];
	abort();
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rng(void)
{
	uint64_t x = rng_state;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng_state = x;
	return x * 0x2545f4914f6cdd1dull;
}

/* ---- run state --------------------------------------------------------------------------- */

static const char *server_path = "/epoll_server";
static const char *lib_path = "/libsaio.so";
static const char *tmp_base = "/tmp";
static char www[4096];

static const struct mode *cur_mode;
static int cur_small;
static char run_dir[4096];
static pid_t server_pid = -1;

/* Every case name of the run in progress, so a timeout can report the rest. */
static char case_names[32][96];
static int ncases, case_at;
static int total_pass, total_fail;

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void report(int ok, const char *why)
{
	char line[1200];
	int n;
	if (ok)
		n = snprintf(line, sizeof(line), "PASS: %s\n", case_names[case_at]);
	else
		n = snprintf(line, sizeof(line), "FAIL: %s: %s\n", case_names[case_at],
			     why && *why ? why : "failed");
	(void)!write(1, line, (size_t)(n < (int)sizeof(line) ? n : (int)sizeof(line) - 1));
	if (ok)
		total_pass++;
	else
		total_fail++;
	case_at++;
	alarm(CASE_LIMIT_S);
}

static void on_alarm(int sig)
{
	(void)sig;
	char why[64];
	snprintf(why, sizeof(why), "no result after %d s", CASE_LIMIT_S);
	if (case_at < ncases)
		report(0, why);
	while (case_at < ncases)
		report(0, "not run (an earlier case timed out)");
	if (server_pid > 0)
		kill(server_pid, SIGKILL);
	_exit(1);
}

/* ---- sockets --------------------------------------------------------------------------- */

static int server_port;

static int connect_server(int rcvbuf)
{
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -1;
	if (rcvbuf)
		setsockopt(s, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	struct timeval tv = { IO_TIMEOUT_S, 0 };
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)server_port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	if (connect(s, (struct sockaddr *)&a, sizeof(a)) < 0) {
		int e = errno;
		close(s);
		errno = e;
		return -1;
	}
	return s;
}

static void reset_close(int s)
{
	struct linger l = { 1, 0 };
	setsockopt(s, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	close(s);
}

static int send_all(int s, const char *p, size_t n)
{
	while (n) {
		ssize_t k = send(s, p, n, MSG_NOSIGNAL);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

static size_t http_request(char *buf, size_t cap, const char *name, int close_it)
{
	return (size_t)snprintf(buf, cap, "GET /%s HTTP/1.1\r\nHost: t\r\n%s\r\n", name,
				close_it ? "Connection: close\r\n" : "");
}

/* A buffered reader of one connection. */
struct rd {
	int fd;
	size_t pos, len;
	unsigned char buf[65536];
};

/* More bytes into the buffer: >0, 0 at EOF, -1 on error (errno). */
static int rd_fill(struct rd *r, size_t max)
{
	if (r->pos == r->len)
		r->pos = r->len = 0;
	if (r->pos && r->len == sizeof(r->buf)) {
		memmove(r->buf, r->buf + r->pos, r->len - r->pos);
		r->len -= r->pos;
		r->pos = 0;
	}
	size_t room = sizeof(r->buf) - r->len;
	if (max && room > max)
		room = max;
	for (;;) {
		ssize_t k = recv(r->fd, r->buf + r->len, room, 0);
		if (k < 0 && errno == EINTR)
			continue;
		if (k > 0)
			r->len += (size_t)k;
		return k < 0 ? -1 : (int)(k > 0);
	}
}

static void io_why(char *why, size_t cap, const char *what, int rc)
{
	if (rc == 0)
		snprintf(why, cap, "%s: connection closed early", what);
	else if (errno == EAGAIN)
		snprintf(why, cap, "%s: no data for %d s", what, IO_TIMEOUT_S);
	else
		snprintf(why, cap, "%s: %s", what, strerror(errno));
}

/*
 * Read one response to GET /name and compare it with the file: status 200, the
 * Content-Length, and every body byte. slow: 16 KiB per recv and a 2 ms pause after each
 * until 2 MiB are in (the server's socket fills: short writes, EAGAIN, budgets).
 * 0 on success, else -1 with why filled in.
 */
static int read_response(struct rd *r, const char *name, int slow, char *why, size_t cap)
{
	const struct file *f = file_by_name(name);
	char head[1024];
	size_t hl;
	for (;;) {
		unsigned char *e = memmem(r->buf + r->pos, r->len - r->pos, "\r\n\r\n", 4);
		if (e) {
			hl = (size_t)(e - (r->buf + r->pos)) + 4;
			break;
		}
		if (r->len - r->pos > sizeof(head)) {
			snprintf(why, cap, "/%s: no end of header in %zu bytes", name, r->len - r->pos);
			return -1;
		}
		int rc = rd_fill(r, 0);
		if (rc <= 0) {
			char w[64];
			snprintf(w, sizeof(w), "/%s: header", name);
			io_why(why, cap, w, rc);
			return -1;
		}
	}
	memcpy(head, r->buf + r->pos, hl < sizeof(head) ? hl : sizeof(head) - 1);
	head[hl < sizeof(head) ? hl : sizeof(head) - 1] = 0;
	r->pos += hl;
	int status = 0;
	long long clen = -1;
	sscanf(head, "HTTP/1.1 %d", &status);
	char *cl = strcasestr(head, "\r\nContent-Length:");
	if (cl)
		clen = strtoll(cl + 17, NULL, 10);
	if (status != 200 || clen != (long long)f->size) {
		snprintf(why, cap, "/%s: status %d, Content-Length %lld (want 200, %zu)", name,
			 status, clen, f->size);
		return -1;
	}
	size_t have = 0;
	while (have < f->size) {
		if (r->pos == r->len) {
			int rc = rd_fill(r, slow ? 16384 : 0);
			if (rc <= 0) {
				char w[96];
				snprintf(w, sizeof(w), "/%s: body at %zu of %zu", name, have, f->size);
				io_why(why, cap, w, rc);
				return -1;
			}
			if (slow && have < (2u << 20))
				usleep(2000);
		}
		size_t k = r->len - r->pos;
		if (k > f->size - have)
			k = f->size - have;
		if (memcmp(r->buf + r->pos, f->data + have, k)) {
			size_t i = 0;
			while (r->buf[r->pos + i] == f->data[have + i])
				i++;
			snprintf(why, cap, "/%s: byte %zu of %zu differs (0x%02x, want 0x%02x)", name,
				 have + i, f->size, r->buf[r->pos + i], f->data[have + i]);
			return -1;
		}
		r->pos += k;
		have += k;
	}
	return 0;
}

/* One request and its response on an open connection. */
static int get(struct rd *r, const char *name, int slow, char *why, size_t cap)
{
	char req[256];
	size_t n = http_request(req, sizeof(req), name, 0);
	if (send_all(r->fd, req, n) < 0) {
		snprintf(why, cap, "/%s: send: %s", name, strerror(errno));
		return -1;
	}
	return read_response(r, name, slow, why, cap);
}

static struct rd *rd_new(int fd)
{
	struct rd *r = calloc(1, sizeof(*r));
	if (!r)
		abort();
	r->fd = fd;
	return r;
}

/* Errors collected from client threads: the count and the first few. */
struct errs {
	pthread_mutex_t lock;
	int n;
	char first[3][300];
};

static void errs_add(struct errs *e, int who, const char *why)
{
	pthread_mutex_lock(&e->lock);
	if (e->n < 3)
		snprintf(e->first[e->n], sizeof(e->first[0]), "#%d %.280s", who, why);
	e->n++;
	pthread_mutex_unlock(&e->lock);
}

static void errs_why(struct errs *e, int of, char *why, size_t cap)
{
	int k = snprintf(why, cap, "%d of %d clients failed:", e->n, of);
	for (int i = 0; i < e->n && i < 3 && k > 0 && (size_t)k < cap; i++)
		k += snprintf(why + k, cap - (size_t)k, " [%s]", e->first[i]);
}

/* A gate in_parallel's threads may wait at: it opens when all that were started are there. */
static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cv = PTHREAD_COND_INITIALIZER;
static int gate_arrived, gate_target;

static void gate_wait(void)
{
	pthread_mutex_lock(&gate_lock);
	gate_arrived++;
	pthread_cond_broadcast(&gate_cv);
	while (gate_target < 0 || gate_arrived < gate_target)
		pthread_cond_wait(&gate_cv, &gate_lock);
	pthread_mutex_unlock(&gate_lock);
}

static int in_parallel(void *(*fn)(void *), int n, struct errs *e)
{
	pthread_t *t = calloc((size_t)n, sizeof(*t));
	pthread_attr_t a;
	pthread_attr_init(&a);
	pthread_attr_setstacksize(&a, 256 << 10);
	int started = 0;
	pthread_mutex_lock(&gate_lock);
	gate_arrived = 0;
	gate_target = -1;
	pthread_mutex_unlock(&gate_lock);
	for (int i = 0; i < n; i++) {
		if (pthread_create(&t[i], &a, fn, (void *)(intptr_t)i)) {
			errs_add(e, i, "pthread_create failed");
			break;
		}
		started++;
	}
	pthread_mutex_lock(&gate_lock);
	gate_target = started;
	pthread_cond_broadcast(&gate_cv);
	pthread_mutex_unlock(&gate_lock);
	for (int i = 0; i < started; i++)
		pthread_join(t[i], NULL);
	pthread_attr_destroy(&a);
	free(t);
	return e->n == 0;
}

/* ---- cases ------------------------------------------------------------------------------ */

typedef int (*case_fn)(char *why, size_t cap);

/* Bodies of 0 B, 1 B, 1 KiB, 100 KiB and 8 MiB over one keep-alive connection. */
static int case_bodies(char *why, size_t cap)
{
	int s = connect_server(0);
	if (s < 0) {
		snprintf(why, cap, "connect: %s", strerror(errno));
		return 0;
	}
	struct rd *r = rd_new(s);
	int ok = 1;
	for (size_t i = 0; i < NFILES && ok; i++)
		ok = get(r, files[i].name, 0, why, cap) == 0;
	close(s);
	free(r);
	return ok;
}

/* 40 requests sent in one go, answered in order. */
static int case_pipelined(char *why, size_t cap)
{
	static const char *const pick[] = { "0", "1", "1k", "100k" };
	const char *names[40];
	char reqs[40 * 64];
	size_t n = 0;
	for (int i = 0; i < 40; i++) {
		names[i] = pick[rng() % 4];
		n += http_request(reqs + n, sizeof(reqs) - n, names[i], 0);
	}
	int s = connect_server(0);
	if (s < 0) {
		snprintf(why, cap, "connect: %s", strerror(errno));
		return 0;
	}
	int ok = send_all(s, reqs, n) == 0;
	if (!ok)
		snprintf(why, cap, "send: %s", strerror(errno));
	struct rd *r = rd_new(s);
	for (int i = 0; i < 40 && ok; i++) {
		ok = read_response(r, names[i], 0, why, cap) == 0;
		if (!ok) {
			size_t k = strlen(why);
			snprintf(why + k, cap - k, " (response %d of 40)", i + 1);
		}
	}
	close(s);
	free(r);
	return ok;
}

/* "Connection: close": the body, then EOF and nothing else. */
static int case_conn_close(char *why, size_t cap)
{
	static const char *const names[] = { "1k", "100k", "0" };
	for (int i = 0; i < 3; i++) {
		int s = connect_server(0);
		if (s < 0) {
			snprintf(why, cap, "connect: %s", strerror(errno));
			return 0;
		}
		char req[256];
		size_t n = http_request(req, sizeof(req), names[i], 1);
		struct rd *r = rd_new(s);
		int ok = send_all(s, req, n) == 0;
		if (!ok)
			snprintf(why, cap, "send: %s", strerror(errno));
		if (ok)
			ok = read_response(r, names[i], 0, why, cap) == 0;
		if (ok && r->pos != r->len) {
			snprintf(why, cap, "/%s: %zu bytes after the body", names[i], r->len - r->pos);
			ok = 0;
		}
		if (ok) {
			int rc = rd_fill(r, 0);
			if (rc != 0) {
				if (rc > 0)
					snprintf(why, cap, "/%s: data after the body instead of EOF",
						 names[i]);
				else
					io_why(why, cap, "waiting for EOF", rc);
				ok = 0;
			}
		}
		close(s);
		free(r);
		if (!ok)
			return 0;
	}
	return 1;
}

static struct errs cerr;

/* Run n clients at once; their errors (at most a few quoted) become the case's why. */
static int clients(void *(*fn)(void *), int n, char *why, size_t cap)
{
	memset(&cerr, 0, sizeof(cerr));
	pthread_mutex_init(&cerr.lock, NULL);
	if (in_parallel(fn, n, &cerr))
		return 1;
	errs_why(&cerr, n, why, cap);
	return 0;
}

static void *concurrent_client(void *arg)
{
	static const char *const names[] = { "1k", "100k", "1", "1k" };
	int i = (int)(intptr_t)arg;
	char why[300];
	int s = connect_server(0);
	gate_wait();	/* every connection is open at once */
	if (s < 0) {
		snprintf(why, sizeof(why), "connect: %s", strerror(errno));
		errs_add(&cerr, i, why);
		return NULL;
	}
	struct rd *r = rd_new(s);
	for (int k = 0; k < 4; k++)
		if (get(r, names[(i + k) % 4], 0, why, sizeof(why))) {
			errs_add(&cerr, i, why);
			break;
		}
	close(s);
	free(r);
	return NULL;
}

/* 200 connections open at once, then 4 keep-alive requests on each (1 KiB, 100 KiB, 1 B,
 * 1 KiB). */
static int case_concurrent(char *why, size_t cap)
{
	return clients(concurrent_client, 200, why, cap);
}

static void *slow_client(void *arg)
{
	int i = (int)(intptr_t)arg;
	char why[300];
	int s = connect_server(16384);
	if (s < 0) {
		snprintf(why, sizeof(why), "connect: %s", strerror(errno));
		errs_add(&cerr, i, why);
		return NULL;
	}
	struct rd *r = rd_new(s);
	if (get(r, "8m", 1, why, sizeof(why)))
		errs_add(&cerr, i, why);
	close(s);
	free(r);
	return NULL;
}

/* 4 readers of 8 MiB with a 16 KiB receive buffer, reading slowly. */
static int case_slow(char *why, size_t cap)
{
	return clients(slow_client, 4, why, cap);
}

static volatile int resets_done;

static void *steady_client(void *arg)
{
	(void)arg;
	char why[300];
	int s = connect_server(0);
	if (s < 0) {
		snprintf(why, sizeof(why), "steady client: connect: %s", strerror(errno));
		errs_add(&cerr, 0, why);
		return NULL;
	}
	struct rd *r = rd_new(s);
	/* 100 KiB bodies on one connection until the resets are over (at least 5). */
	for (int k = 0; k < 5 || !resets_done; k++) {
		if (get(r, "100k", 0, why, sizeof(why))) {
			char w[320];
			snprintf(w, sizeof(w), "steady client, request %d: %.280s", k + 1, why);
			errs_add(&cerr, 0, w);
			break;
		}
		if (k > 2000)
			break;
	}
	close(s);
	free(r);
	return NULL;
}

/*
 * 20 clients ask for 8 MiB, read a little and reset (SO_LINGER 0) while the server is
 * blocked on their full sockets; meanwhile one keep-alive client keeps fetching 100 KiB.
 * Afterwards a new connection gets 1 KiB and 100 KiB right.
 */
static int case_resets(char *why, size_t cap)
{
	memset(&cerr, 0, sizeof(cerr));
	pthread_mutex_init(&cerr.lock, NULL);
	resets_done = 0;
	pthread_t steady;
	pthread_create(&steady, NULL, steady_client, NULL);
	int socks[20], ok = 1;
	for (int i = 0; i < 20; i++) {
		socks[i] = connect_server(16384);
		if (socks[i] < 0) {
			snprintf(why, cap, "connect #%d: %s", i, strerror(errno));
			ok = 0;
			continue;
		}
		char req[256], buf[50000];
		size_t n = http_request(req, sizeof(req), "8m", 0);
		if (send_all(socks[i], req, n) < 0 || recv(socks[i], buf, sizeof(buf), 0) <= 0) {
			snprintf(why, cap, "client #%d got nothing: %s", i, strerror(errno));
			ok = 0;
		}
	}
	for (int i = 0; i < 20; i++)
		if (socks[i] >= 0)
			reset_close(socks[i]);
	resets_done = 1;
	pthread_join(steady, NULL);
	if (ok && cerr.n) {
		snprintf(why, cap, "%s", cerr.first[0]);
		ok = 0;
	}
	usleep(200000);
	if (ok) {
		int s = connect_server(0);
		if (s < 0) {
			snprintf(why, cap, "connect after the resets: %s", strerror(errno));
			return 0;
		}
		struct rd *r = rd_new(s);
		ok = get(r, "1k", 0, why, cap) == 0 && get(r, "100k", 0, why, cap) == 0;
		close(s);
		free(r);
	}
	return ok;
}

static int server_status = -1;

/* SIGTERM; the server must exit with status 0 (3 = it saw an event for a closed fd). */
static int case_exit(char *why, size_t cap)
{
	kill(server_pid, SIGTERM);
	double end = now() + 60;
	int st;
	pid_t p;
	while ((p = waitpid(server_pid, &st, WNOHANG)) == 0 && now() < end)
		usleep(20000);
	if (p == 0) {
		kill(server_pid, SIGKILL);
		waitpid(server_pid, &st, 0);
		server_pid = -1;
		snprintf(why, cap, "still running 60 s after SIGTERM (killed)");
		return 0;
	}
	server_pid = -1;
	server_status = st;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 1;
	if (WIFEXITED(st))
		snprintf(why, cap, "exit status %d%s", WEXITSTATUS(st),
			 WEXITSTATUS(st) == 3 ? " (epoll reported a closed descriptor)" : "");
	else
		snprintf(why, cap, "killed by signal %d", WTERMSIG(st));
	return 0;
}

/* ---- stats ------------------------------------------------------------------------------ */

/* The number after "key": inside [p, end), or -1. */
static long long json_num(const char *p, const char *end, const char *key)
{
	char k[64];
	int kl = snprintf(k, sizeof(k), "\"%s\":", key);
	const char *q = memmem(p, (size_t)(end - p), k, (size_t)kl);
	return q ? strtoll(q + kl, NULL, 10) : -1;
}

/* The object that follows "key":{ inside text, as [*b, *e). */
static int json_obj(const char *text, const char *key, const char **b, const char **e)
{
	char k[64];
	snprintf(k, sizeof(k), "\"%s\":{", key);
	const char *q = strstr(text, k);
	if (!q)
		return -1;
	*b = q + strlen(k);
	*e = strchr(*b, '}');
	return *e ? 0 : -1;
}

static int kernel_at_least(int major, int minor)
{
	struct utsname u;
	int a = 0, b = 0;
	if (uname(&u) < 0 || sscanf(u.release, "%d.%d", &a, &b) != 2)
		return 0;
	return a > major || (a == major && b >= minor);
}

static const char *const calls[] = {
	"write", "writev", "send", "sendto", "sendmsg", "sendfile", "close", "shutdown",
	"setsockopt",
};
#define NCALLS (sizeof(calls) / sizeof(calls[0]))

/*
 * Every stats file of the server (stats.json, stats.json.PID): the backend is the mode's,
 * and for a deferring backend writev, sendfile, close and setsockopt (uring: only on kernels
 * >= 6.7, which have SOCKET_URING_OP_SETSOCKOPT) were deferred (shutdown only when bytes
 * were still queued before it, so it is not required), in batches, with few calls passed through
 * (at most a quarter of the deferred: real sendfiles of bodies above
 * SAIO_SENDFILE_COPY_MAX, calls that did not fit a budget); small runs also hit the
 * budgets; the backend handed requests to the kernel in batches. sync: nothing
 * deferred, calls passed.
 */
static int case_stats(char *why, size_t cap)
{
	DIR *d = opendir(run_dir);
	if (!d) {
		snprintf(why, cap, "opendir %s: %s", run_dir, strerror(errno));
		return 0;
	}
	long long ops[NCALLS] = { 0 }, passed[NCALLS] = { 0 };
	long long batches = 0, hits = 0, kops = 0, kentries = 0, waits = 0, fallbacks = 0;
	int nfiles = 0, ok = 1;
	char backends[256] = "";
	struct dirent *de;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, "stats.json", 10) || strstr(de->d_name, ".tmp."))
			continue;
		char path[8192], text[8192];
		snprintf(path, sizeof(path), "%s/%s", run_dir, de->d_name);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		ssize_t n = fd < 0 ? -1 : read(fd, text, sizeof(text) - 1);
		if (fd >= 0)
			close(fd);
		if (n <= 0) {
			snprintf(why, cap, "cannot read %s", path);
			ok = 0;
			continue;
		}
		text[n] = 0;
		nfiles++;
		char be[32] = "?";
		const char *q = strstr(text, "\"backend\":\"");
		if (q)
			sscanf(q + 11, "%31[^\"]", be);
		size_t bl = strlen(backends);
		snprintf(backends + bl, sizeof(backends) - bl, "%s%s", bl ? "," : "", be);
		if (strcmp(be, cur_mode->backend)) {
			snprintf(why, cap, "backend \"%s\" in %s, expected \"%s\"", be, de->d_name,
				 cur_mode->backend);
			ok = 0;
		}
		const char *b, *e;
		if (json_obj(text, "ops", &b, &e) == 0)
			for (size_t i = 0; i < NCALLS; i++)
				ops[i] += json_num(b, e, calls[i]) > 0 ? json_num(b, e, calls[i]) : 0;
		if (json_obj(text, "passed", &b, &e) == 0)
			for (size_t i = 0; i < NCALLS; i++)
				passed[i] += json_num(b, e, calls[i]) > 0 ? json_num(b, e, calls[i]) : 0;
		const char *te = text + n;
		batches += json_num(text, te, "batches");
		hits += json_num(text, te, "budget_hits");
		kops += json_num(text, te, "kernel_ops");
		kentries += json_num(text, te, "kernel_entries");
		waits += json_num(text, te, "waits");
		fallbacks += json_num(text, te, "fallbacks");
	}
	closedir(d);
	long long deferred = 0, passed_all = 0;
	char summary[600];
	int k = snprintf(summary, sizeof(summary), "  %s%s: backend %s; deferred", cur_mode->name,
			 cur_small ? "/small" : "", backends);
	for (size_t i = 0; i < NCALLS; i++) {
		deferred += ops[i];
		passed_all += passed[i];
		if (ops[i])
			k += snprintf(summary + k, sizeof(summary) - (size_t)k, " %s=%lld", calls[i],
				      ops[i]);
	}
	k += snprintf(summary + k, sizeof(summary) - (size_t)k, "; passed");
	for (size_t i = 0; i < NCALLS; i++)
		if (passed[i])
			k += snprintf(summary + k, sizeof(summary) - (size_t)k, " %s=%lld", calls[i],
				      passed[i]);
	snprintf(summary + k, sizeof(summary) - (size_t)k,
		 "; batches=%lld kernel_ops=%lld kernel_entries=%lld waits=%lld fallbacks=%lld "
		 "budget_hits=%lld\n", batches, kops, kentries, waits, fallbacks, hits);
	(void)!write(1, summary, strlen(summary));
	if (!ok)
		return 0;
	if (!nfiles) {
		snprintf(why, cap, "no stats file in %s", run_dir);
		return 0;
	}
	if (!strcmp(cur_mode->backend, "sync")) {
		if (deferred || !passed_all) {
			snprintf(why, cap, "sync: %lld deferred, %lld passed", deferred, passed_all);
			return 0;
		}
		return 1;
	}
	char missing[200] = "";
	int cork = strcmp(cur_mode->backend, "uring") || kernel_at_least(6, 7);
	for (size_t i = 0; i < NCALLS; i++) {
		const char *c = calls[i];
		int want = !strcmp(c, "writev") || !strcmp(c, "sendfile") || !strcmp(c, "close") ||
			   (!strcmp(c, "setsockopt") && cork);
		if (want && !ops[i]) {
			size_t ml = strlen(missing);
			snprintf(missing + ml, sizeof(missing) - ml, " %s", c);
		}
	}
	if (*missing) {
		snprintf(why, cap, "not deferred:%s", missing);
		return 0;
	}
	if (batches <= 0 || kops <= 0) {
		snprintf(why, cap, "%lld batches, %lld kernel requests", batches, kops);
		return 0;
	}
	/* Passed through: bodies above SAIO_SENDFILE_COPY_MAX (real sendfile) and the odd call
	 * behind a full socket; never a sizeable share of the traffic. */
	if (passed_all * 4 > deferred) {
		snprintf(why, cap, "%lld calls passed through against %lld deferred", passed_all,
			 deferred);
		return 0;
	}
	if (cur_small && hits <= 0) {
		snprintf(why, cap, "small budgets were never hit");
		return 0;
	}
	return 1;
}

/* ---- runs --------------------------------------------------------------------------------- */

struct kase {
	const char *name;
	case_fn fn;
	int in_small;
};

static const struct kase kases[] = {
	{ "bodies", case_bodies, 1 },
	{ "pipelined_40", case_pipelined, 0 },
	{ "conn_close", case_conn_close, 0 },
	{ "concurrent_200", case_concurrent, 1 },
	{ "slow_readers_4", case_slow, 1 },
	{ "reset_20_midway", case_resets, 1 },
	{ "server_exit", case_exit, 1 },
	{ "stats", case_stats, 1 },
};
#define NKASES (sizeof(kases) / sizeof(kases[0]))

static const struct mode *find_mode(const char *name)
{
	for (size_t i = 0; i < NMODES; i++)
		if (!strcmp(modes[i].name, name))
			return &modes[i];
	return NULL;
}

static int nruns(const struct mode *m)
{
	return strcmp(m->backend, "sync") ? 2 : 1;
}

static int case_list(const struct mode *m, int small, char out[][96])
{
	int n = 0;
	for (size_t i = 0; i < NKASES; i++)
		if (!small || kases[i].in_small)
			snprintf(out[n++], 96, "preload_%s%s_%s", m->name, small ? "_small" : "",
				 kases[i].name);
	return n;
}

static void rm_tree(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		char p[8192];
		struct stat st;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
			rm_tree(p);
		else
			unlink(p);
	}
	closedir(d);
	rmdir(dir);
}

static void tail_file(const char *path, char *out, size_t cap)
{
	*out = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	off_t sz = lseek(fd, 0, SEEK_END);
	off_t from = sz > (off_t)cap - 1 ? sz - (off_t)cap + 1 : 0;
	ssize_t n = pread(fd, out, cap - 1, from);
	close(fd);
	if (n < 0)
		n = 0;
	while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r'))
		n--;
	out[n] = 0;
	for (char *c = out; *c; c++)
		if (*c == '\n' || *c == '\r')
			*c = '|';
}

/* Start epoll_server in run_dir with the mode's environment; its port, or -1 (why). */
static int start_server(char **extra, int nextra, char *why, size_t cap)
{
	char portfile[8192], log[8192];
	snprintf(portfile, sizeof(portfile), "%s/port", run_dir);
	snprintf(log, sizeof(log), "%s/server.out", run_dir);
	pid_t p = fork();
	if (p < 0) {
		snprintf(why, cap, "fork: %s", strerror(errno));
		return -1;
	}
	if (p == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		if (chdir(run_dir) < 0)
			_exit(126);
		char stats[8300], pre[4200];
		snprintf(stats, sizeof(stats), "SAIO_STATS=%s/stats.json", run_dir);
		snprintf(pre, sizeof(pre), "LD_PRELOAD=%s", lib_path);
		putenv(pre);
		putenv(stats);
		for (int i = 0; cur_mode->env[i]; i++)
			putenv((char *)cur_mode->env[i]);
		for (int i = 0; cur_small && small_env[i]; i++)
			putenv((char *)small_env[i]);
		for (int i = 0; i < nextra; i++)
			putenv(extra[i]);
		char *argv[] = { (char *)server_path, www, portfile, NULL };
		execv(server_path, argv);
		fprintf(stderr, "exec %s: %s\n", server_path, strerror(errno));
		_exit(127);
	}
	server_pid = p;
	double end = now() + 30;
	while (now() < end) {
		int st;
		if (waitpid(p, &st, WNOHANG) == p) {
			server_pid = -1;
			char t[300];
			tail_file(log, t, sizeof(t));
			snprintf(why, cap, "server did not start (status 0x%x): %s", st, t);
			return -1;
		}
		FILE *f = fopen(portfile, "r");
		int port = 0;
		if (f) {
			if (fscanf(f, "%d", &port) != 1)
				port = 0;
			fclose(f);
		}
		if (port > 0)
			return port;
		usleep(20000);
	}
	kill(p, SIGKILL);
	waitpid(p, NULL, 0);
	server_pid = -1;
	snprintf(why, cap, "no port file after 30 s");
	return -1;
}

/* One server run: every case of it reported, in order. */
static void run_server(int small, char **extra, int nextra)
{
	cur_small = small;
	server_status = -1;
	ncases = case_list(cur_mode, small, case_names);
	case_at = 0;
	snprintf(run_dir, sizeof(run_dir), "%s/guest_http.%s%s.XXXXXX", tmp_base, cur_mode->name,
		 small ? "_small" : "");
	if (!mkdtemp(run_dir)) {
		char why[300];
		snprintf(why, sizeof(why), "mkdtemp %.200s: %.80s", run_dir, strerror(errno));
		while (case_at < ncases)
			report(0, why);
		return;
	}
	alarm(CASE_LIMIT_S);
	double t0 = now();
	char why[1024];
	server_port = start_server(extra, nextra, why, sizeof(why));
	if (server_port < 0) {
		while (case_at < ncases)
			report(0, why);
		alarm(0);
		printf("  kept %s\n", run_dir);
		return;
	}
	int all = 1;
	for (size_t i = 0; i < NKASES; i++) {
		if (small && !kases[i].in_small)
			continue;
		double c0 = now();
		why[0] = 0;
		int ok = kases[i].fn(why, sizeof(why));
		if (!ok && server_pid > 0) {
			/* a dead server explains everything that follows */
			int st;
			if (waitpid(server_pid, &st, WNOHANG) == server_pid) {
				server_pid = -1;
				size_t k = strlen(why);
				snprintf(why + k, sizeof(why) - k, " (server died: %s %d)",
					 WIFEXITED(st) ? "status" : "signal",
					 WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
			}
		}
		if (getenv("GUEST_HTTP_TIMES"))
			printf("  %s took %.2fs\n", case_names[case_at], now() - c0);
		report(ok, why);
		all &= ok;
		if (server_pid < 0 && case_at < ncases && kases[i].fn != case_exit) {
			/* the server is gone: the rest cannot run (stats may still say why) */
			while (case_at < ncases)
				report(0, "server gone");
			break;
		}
	}
	alarm(0);
	if (server_pid > 0) {
		kill(server_pid, SIGKILL);
		waitpid(server_pid, NULL, 0);
		server_pid = -1;
	}
	printf("  %s%s: %.1fs\n", cur_mode->name, small ? "/small" : "", now() - t0);
	if (!all) {
		char t[600], log[8192];
		snprintf(log, sizeof(log), "%s/server.out", run_dir);
		tail_file(log, t, sizeof(t));
		printf("  %s%s server output: %s\n", cur_mode->name, small ? "/small" : "",
		       *t ? t : "(empty)");
		printf("  kept %s\n", run_dir);
	} else {
		rm_tree(run_dir);
	}
	fflush(stdout);
}

static int make_www(void)
{
	snprintf(www, sizeof(www), "%s/guest_http.www.XXXXXX", tmp_base);
	if (!mkdtemp(www)) {
		perror("mkdtemp");
		return -1;
	}
	chmod(www, 0755);
	for (size_t i = 0; i < NFILES; i++) {
		struct file *f = &files[i];
		f->data = malloc(f->size + 1);
		for (size_t j = 0; j < f->size; j += 8) {
			uint64_t v = rng();
			memcpy(f->data + j, &v, f->size - j < 8 ? f->size - j : 8);
		}
		char p[8192];
		snprintf(p, sizeof(p), "%s/%s", www, f->name);
		int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		size_t off = 0;
		while (fd >= 0 && off < f->size) {
			ssize_t n = write(fd, f->data + off, f->size - off);
			if (n <= 0)
				break;
			off += (size_t)n;
		}
		if (fd < 0 || off != f->size || close(fd) < 0) {
			fprintf(stderr, "guest_http: cannot write %s\n", p);
			return -1;
		}
	}
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: guest_http modes | list [MODE...] | env MODE |\n"
			"       guest_http [-s SERVER] [-l LIB] [-t TMP] run MODE [VAR=VALUE...]\n"
			"modes:");
	for (size_t i = 0; i < NMODES; i++)
		fprintf(stderr, " %s", modes[i].name);
	fprintf(stderr, "\n");
	return 2;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	int opt;
	while ((opt = getopt(argc, argv, "+s:l:t:")) != -1) {
		if (opt == 's')
			server_path = optarg;
		else if (opt == 'l')
			lib_path = optarg;
		else if (opt == 't')
			tmp_base = optarg;
		else
			return usage();
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		return usage();
	if (!strcmp(argv[0], "modes")) {
		for (size_t i = 0; i < NMODES; i++)
			if (modes[i].guest)
				printf("%s\n", modes[i].name);
		return 0;
	}
	if (!strcmp(argv[0], "env")) {
		const struct mode *m = argc == 2 ? find_mode(argv[1]) : NULL;
		if (!m)
			return usage();
		for (int i = 0; m->env[i]; i++)
			printf("%s%s", i ? " " : "", m->env[i]);
		printf("\n");
		return 0;
	}
	if (!strcmp(argv[0], "list")) {
		char names[32][96];
		for (size_t i = 0; i < NMODES; i++) {
			int want = argc == 1 ? modes[i].guest : 0;
			for (int a = 1; a < argc; a++)
				want |= !strcmp(argv[a], modes[i].name);
			for (int s = 0; want && s < nruns(&modes[i]); s++) {
				int n = case_list(&modes[i], s, names);
				for (int j = 0; j < n; j++)
					printf("%s\n", names[j]);
			}
		}
		return 0;
	}
	if (strcmp(argv[0], "run") || argc < 2 || !(cur_mode = find_mode(argv[1])))
		return usage();
	/* absolute: the server runs in its own directory */
	char *sp = realpath(server_path, NULL), *lp = realpath(lib_path, NULL);
	if (!sp || !lp || access(sp, X_OK) || access(lp, R_OK)) {
		fprintf(stderr, "guest_http: need %s and %s (-s, -l)\n", server_path, lib_path);
		return 2;
	}
	server_path = sp;
	lib_path = lp;
	signal(SIGALRM, on_alarm);
	if (make_www() < 0)
		return 1;
	for (int s = 0; s < nruns(cur_mode); s++)
		run_server(s, argv + 2, argc - 2);
	rm_tree(www);
	printf("  %s: %d passed, %d failed\n", cur_mode->name, total_pass, total_fail);
	return total_fail ? 1 : 0;
}
