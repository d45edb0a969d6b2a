/* SPDX-License-Identifier: MIT */
/*
 * torture.c - the differential torture suite's driver (see torture.h).
 *
 *   torture list                           scenario names, with the issue item each checks
 *   torture cases [MODE...]                "MODE/NAME" for every result a run reports
 *   torture run [-g] [-k] [-l LIB] [-m MODE]... [NAME...]
 *        runs each scenario without the library, then once per MODE with
 *        LD_PRELOAD=LIB, and compares. Default modes: sync uring. -g prints "PASS: x" /
 *        "FAIL: x: why" (the QEMU guest's format) instead of "ok x" / "not ok x: why";
 *        -k keeps every transcript (TMPDIR/torture-*). Ends with "N passed, N failed".
 *   torture app NAME                       the scenario's program (internal)
 *
 * Modes: sync, uring, sqpoll, kmod_enter, kmod_worker (2 kernel workers). TORTURE_SLOW=K
 * multiplies every timeout and time tolerance by K (the guest runs under TCG).
 */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "torture.h"

extern char **environ;

struct mode {
	const char *name;
	const char *env[4];
};

static const struct mode modes[] = {
	{ "sync", { "SAIO_BACKEND=sync" } },
	/* the epoll wait folded into the batch's io_uring_enter (opt-in) */
	{ "uring", { "SAIO_BACKEND=uring", "SAIO_EPOLL_WAIT=1" } },
	/* the default, and a kernel without IORING_OP_EPOLL_WAIT: the enter, then epoll_wait */
	{ "uring_nofold", { "SAIO_BACKEND=uring", "SAIO_EPOLL_WAIT=0" } },
	{ "sqpoll", { "SAIO_BACKEND=uring", "SAIO_SQPOLL=1", "SAIO_SQ_IDLE_MS=20" } },
	{ "kmod_enter", { "SAIO_BACKEND=kmod", "SAIO_KMOD_MODE=enter" } },
	{ "kmod_worker", { "SAIO_BACKEND=kmod", "SAIO_KMOD_MODE=worker", "SAIO_KMOD_WORKERS=2" } },
};
#define NMODES (sizeof(modes) / sizeof(modes[0]))

static double slow = 1.0;

/* ---- peer helpers ---------------------------------------------------------------------- */

double pnow(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

void plog(struct peer *p, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	if (p->len + (size_t)n + 8 > p->cap) {
		p->cap = (p->cap + (size_t)n + 8) * 2;
		p->log = realloc(p->log, p->cap);
		if (!p->log)
			abort();
	}
	p->len += (size_t)sprintf(p->log + p->len, "peer: %s\n", line);
}

bool pwait(struct peer *p, const char *word, double secs)
{
	double end = pnow() + secs * slow;
	size_t wl = strlen(word);
	for (;;) {
		char *nl;
		while ((nl = memchr(p->cbuf, '\n', p->clen))) {
			size_t ll = (size_t)(nl - p->cbuf) + 1;
			bool hit = ll > wl && !memcmp(p->cbuf, word, wl);
			if (hit) {
				size_t c = ll - 1 < sizeof(p->line) - 1 ? ll - 1 : sizeof(p->line) - 1;
				memcpy(p->line, p->cbuf, c);
				p->line[c] = 0;
				p->t_line = pnow();
			}
			memmove(p->cbuf, p->cbuf + ll, p->clen - ll);
			p->clen -= ll;
			if (hit)
				return true;
		}
		double left = end - pnow();
		if (left <= 0)
			return false;
		struct pollfd pf = { .fd = p->ctl_in, .events = POLLIN };
		if (poll(&pf, 1, (int)(left * 1000) + 1) <= 0)
			continue;
		ssize_t k = read(p->ctl_in, p->cbuf + p->clen, sizeof(p->cbuf) - p->clen);
		if (k <= 0)
			return false;	/* the app is gone */
		p->clen += (size_t)k;
	}
}

void psend(struct peer *p, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0 || n > (int)sizeof(line) - 2)
		return;
	line[n++] = '\n';
	(void)!write(p->ctl_out, line, (size_t)n);
}

int paccept(struct peer *p, double secs, int rcvbuf)
{
	struct pollfd pf = { .fd = p->lfd, .events = POLLIN };
	if (poll(&pf, 1, (int)(secs * slow * 1000)) <= 0)
		return -1;
	int s = accept4(p->lfd, NULL, NULL, SOCK_CLOEXEC);
	if (s >= 0 && rcvbuf)
		setsockopt(s, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	return s;
}

int pconnect(int port, int rcvbuf)
{
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -1;
	if (rcvbuf)
		setsockopt(s, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	if (connect(s, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(s);
		return -1;
	}
	return s;
}

void preset(int fd)
{
	struct linger l = { 1, 0 };
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	close(fd);
}

void pread_all(int fd, double secs, struct stream *s)
{
	double end = pnow() + secs * slow;
	s->len = 0;
	s->end = ETIMEDOUT;
	for (;;) {
		double left = end - pnow();
		if (left <= 0)
			break;
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		if (poll(&pf, 1, (int)(left * 1000) + 1) <= 0)
			continue;
		if (s->cap - s->len < 65536) {
			s->cap = s->cap * 2 + 65536;
			s->buf = realloc(s->buf, s->cap);
			if (!s->buf)
				abort();
		}
		ssize_t k = recv(fd, s->buf + s->len, s->cap - s->len, MSG_DONTWAIT);
		if (k > 0) {
			s->len += (size_t)k;
			continue;
		}
		if (k < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		s->end = k == 0 ? 0 : errno;
		break;
	}
	s->t_end = pnow();
}

const char *endname(int end)
{
	if (end == 0)
		return "EOF";
	if (end == ETIMEDOUT)
		return "no end (timeout)";
	const char *n = strerrorname_np(end);
	return n ? n : "?";
}

const char *check_pattern(const struct stream *s, bool want_trailer, uint64_t want_len)
{
	static __thread char why[160];
	size_t n = s->len;
	if (want_trailer) {
		if (n < TRAILER_LEN || memcmp(s->buf + n - TRAILER_LEN, TRAILER_MAGIC, 4))
			return "no trailer at the end";
		uint64_t v = 0;
		for (int i = 0; i < 8; i++)
			v |= (uint64_t)s->buf[n - 8 + i] << (8 * i);
		n -= TRAILER_LEN;
		if (v != n) {
			snprintf(why, sizeof(why), "trailer says %llu bytes, %zu arrived",
				 (unsigned long long)v, n);
			return why;
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (s->buf[i] != pat(i)) {
			snprintf(why, sizeof(why), "pattern broken at byte %zu of %zu", i, n);
			return why;
		}
	}
	if (want_len != UINT64_MAX && want_len != n) {
		snprintf(why, sizeof(why), "%zu bytes of %llu accepted", n,
			 (unsigned long long)want_len);
		return why;
	}
	return want_trailer ? "pattern and trailer intact" : "pattern intact";
}

/* ---- one run of one scenario ------------------------------------------------------------ */

struct run {
	char *text;		/* the transcript */
	size_t len;
};

static char self_exe[4096];
static const char *lib_path;
static char tmp_base[1024] = "/tmp";
static bool keep;

static void *peer_main(void *arg)
{
	struct peer *p = arg;
	const struct scenario *sc = (const struct scenario *)(void *)p->log;
	p->log = NULL;
	sc->peer(p);
	psend(p, "peer-done");	/* the app lists its descriptors after this */
	return NULL;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *b = NULL;
	size_t cap = 0;
	*len = 0;
	if (!f)
		return calloc(1, 1);
	for (;;) {
		if (cap - *len < 4096) {
			cap = cap * 2 + 4096;
			b = realloc(b, cap);
		}
		size_t k = fread(b + *len, 1, cap - *len - 1, f);
		if (!k)
			break;
		*len += k;
	}
	fclose(f);
	b[*len] = 0;
	return b;
}

static bool env_ours(const char *e)
{
	return !strncmp(e, "LD_PRELOAD=", 11) || !strncmp(e, "SAIO_", 5) ||
	       !strncmp(e, "TORTURE_PORT=", 13) || !strncmp(e, "TORTURE_DIR=", 12);
}

static int run_scenario(const struct scenario *sc, const struct mode *m, struct run *out,
			const char *dir)
{
	int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (sc->peer_rcvbuf)
		setsockopt(lfd, SOL_SOCKET, SO_RCVBUF, &sc->peer_rcvbuf, sizeof(sc->peer_rcvbuf));
	if (bind(lfd, (struct sockaddr *)&a, sizeof(a)) || listen(lfd, 1024) ||
	    getsockname(lfd, (struct sockaddr *)&a, &al)) {
		perror("torture: listen");
		return -1;
	}
	int to_app[2], from_app[2];
	if (pipe2(to_app, O_CLOEXEC) || pipe2(from_app, O_CLOEXEC)) {
		perror("torture: pipe");
		return -1;
	}
	char outp[2400], errp[2400];
	snprintf(outp, sizeof(outp), "%s/app.out", dir);
	snprintf(errp, sizeof(errp), "%s/app.err", dir);

	/* the app's environment: ours without library settings, plus the mode's */
	char *envv[512];
	int ne = 0;
	for (char **e = environ; *e && ne < 480; e++)
		if (!env_ours(*e))
			envv[ne++] = *e;
	char portv[64], dirv[2400], prel[4200];
	snprintf(portv, sizeof(portv), "TORTURE_PORT=%d", ntohs(a.sin_port));
	snprintf(dirv, sizeof(dirv), "TORTURE_DIR=%s", dir);
	envv[ne++] = portv;
	envv[ne++] = dirv;
	if (m) {
		snprintf(prel, sizeof(prel), "LD_PRELOAD=%s", lib_path);
		envv[ne++] = prel;
		for (int i = 0; i < 4 && m->env[i]; i++)
			envv[ne++] = (char *)m->env[i];
		for (int i = 0; i < 4 && sc->lib_env[i]; i++)
			envv[ne++] = (char *)sc->lib_env[i];
	}
	envv[ne] = NULL;

	struct peer p = { .lfd = lfd, .ctl_in = from_app[0], .ctl_out = to_app[1] };
	p.t0 = pnow();
	pid_t pid = fork();
	if (pid < 0) {
		perror("torture: fork");
		return -1;
	}
	if (pid == 0) {
		setpgid(0, 0);
		int o = open(outp, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
		int e = open(errp, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
		int nul = open("/dev/null", O_RDONLY);
		if (o < 0 || e < 0 || nul < 0)
			_exit(127);
		/* above every descriptor the app will see, then into place */
		int fds[5] = { nul, o, e, to_app[0], from_app[1] };
		for (int i = 0; i < 5; i++)
			fds[i] = fcntl(fds[i], F_DUPFD, 100 + i);
		for (int i = 0; i < 5; i++)
			dup2(fds[i], i);
		close_range(5, ~0u, 0);
		char *argv[] = { self_exe, "app", (char *)sc->name, NULL };
		execve(self_exe, argv, envv);
		_exit(127);
	}
	setpgid(pid, pid);
	close(to_app[0]);
	close(from_app[1]);

	pthread_t pt;
	bool have_peer = sc->peer != NULL;
	if (!have_peer)
		psend(&p, "peer-done");
	if (have_peer) {
		p.log = (char *)(void *)sc;	/* handed to peer_main, which clears it */
		if (pthread_create(&pt, NULL, peer_main, &p)) {
			perror("torture: pthread_create");
			have_peer = false;
			p.log = NULL;
		}
	}
	int status = 0;
	bool timed_out = false;
	double end = pnow() + sc->timeout_s * slow;
	for (;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);
		if (w == pid)
			break;
		if (pnow() > end) {
			kill(-pid, SIGKILL);
			waitpid(pid, &status, 0);
			timed_out = true;
			break;
		}
		struct timespec d = { 0, 5000000 };
		nanosleep(&d, NULL);
	}
	kill(-pid, SIGKILL);	/* children the app left behind */
	if (have_peer)
		pthread_join(pt, NULL);
	close(from_app[0]);
	close(to_app[1]);
	close(lfd);

	size_t alen;
	char *app = slurp(outp, &alen);
	size_t cap = alen + p.len + 256;
	out->text = malloc(cap);
	out->len = (size_t)snprintf(out->text, cap, "%s%s", app, p.log ? p.log : "");
	if (timed_out)
		out->len += (size_t)snprintf(out->text + out->len, cap - out->len,
					     "exit: TIMEOUT after %d s\n", sc->timeout_s);
	else if (WIFSIGNALED(status))
		out->len += (size_t)snprintf(out->text + out->len, cap - out->len,
					     "exit: signal %s\n", sigabbrev_np(WTERMSIG(status)));
	else
		out->len += (size_t)snprintf(out->text + out->len, cap - out->len, "exit: %d\n",
					     WEXITSTATUS(status));
	free(app);
	free(p.log);
	char tp[2400];
	snprintf(tp, sizeof(tp), "%s/transcript", dir);
	FILE *tf = fopen(tp, "w");
	if (tf) {
		fwrite(out->text, 1, out->len, tf);
		fclose(tf);
	}
	return 0;
}

/* ---- comparing transcripts -------------------------------------------------------------- */

/* Split off "@S.SS" tokens: text without them into t, times into v (at most 8). */
static int untime(const char *line, size_t n, char *t, size_t tcap, double *v)
{
	int nv = 0;
	size_t o = 0;
	for (size_t i = 0; i < n && o < tcap - 1;) {
		if (line[i] == '@' && i + 1 < n && (line[i + 1] == '-' ||
						    (line[i + 1] >= '0' && line[i + 1] <= '9'))) {
			char *e;
			double x = strtod(line + i + 1, &e);
			if (nv < 8)
				v[nv++] = x;
			t[o++] = '@';
			i = (size_t)(e - line);
			if (i < n && line[i] == 's')
				i++;
			continue;
		}
		t[o++] = line[i++];
	}
	t[o] = 0;
	return nv;
}

static bool line_eq(const char *a, size_t an, const char *b, size_t bn)
{
	char ta[2048], tb[2048];
	double va[8], vb[8];
	int na = untime(a, an, ta, sizeof(ta), va), nb = untime(b, bn, tb, sizeof(tb), vb);
	if (na != nb || strcmp(ta, tb))
		return false;
	for (int i = 0; i < na; i++) {
		double big = va[i] > vb[i] ? va[i] : vb[i];
		double tol = 0.6 > 0.35 * big ? 0.6 : 0.35 * big;
		if (va[i] - vb[i] > tol * slow || vb[i] - va[i] > tol * slow)
			return false;
	}
	return true;
}

/* NULL when equal, else a description of the first difference. */
static char *compare(const struct run *base, const struct run *lib)
{
	const char *a = base->text, *b = lib->text;
	const char *ae = a + base->len, *be = b + lib->len;
	for (int ln = 1;; ln++) {
		if (a >= ae && b >= be)
			return NULL;
		const char *an = a < ae ? memchr(a, '\n', (size_t)(ae - a)) : NULL;
		const char *bn = b < be ? memchr(b, '\n', (size_t)(be - b)) : NULL;
		size_t al = a < ae ? (size_t)((an ? an : ae) - a) : 0;
		size_t bl = b < be ? (size_t)((bn ? bn : be) - b) : 0;
		if (a >= ae || b >= be || !line_eq(a, al, b, bl)) {
			char *w = malloc(1024);
			snprintf(w, 1024, "line %d: without '%.*s', with '%.*s'", ln,
				 (int)(al > 300 ? 300 : al), a < ae ? a : "(end)",
				 (int)(bl > 300 ? 300 : bl), b < be ? b : "(end)");
			return w;
		}
		a += al + 1;
		b += bl + 1;
	}
}

static const struct scenario *find(const char *name)
{
	for (unsigned i = 0; i < nscenarios; i++)
		if (!strcmp(scenarios[i].name, name))
			return &scenarios[i];
	return NULL;
}

static const struct mode *find_mode(const char *name)
{
	for (size_t i = 0; i < NMODES; i++)
		if (!strcmp(modes[i].name, name))
			return &modes[i];
	return NULL;
}

static bool guest_fmt;
static int npass, nfail, nskip;

static void result(const char *mode, const char *name, int ok, const char *why)
{
	if (ok > 0) {
		printf(guest_fmt ? "PASS: torture/%s/%s\n" : "ok torture/%s/%s\n", mode, name);
		npass++;
	} else if (ok == 0) {
		printf(guest_fmt ? "FAIL: torture/%s/%s: %s\n" : "not ok torture/%s/%s: %s\n", mode,
		       name, why);
		nfail++;
	} else {
		printf(guest_fmt ? "SKIP: torture/%s/%s: %s\n" : "skip torture/%s/%s: %s\n", mode,
		       name, why);
		nskip++;
	}
	fflush(stdout);
}

static void indent(const char *tag, const struct run *r)
{
	printf("#   %s:\n", tag);
	const char *s = r->text, *e = s + r->len;
	while (s < e) {
		const char *n = memchr(s, '\n', (size_t)(e - s));
		size_t l = (size_t)((n ? n : e) - s);
		printf("#     %.*s\n", (int)l, s);
		s += l + 1;
	}
}

static void show_err(const char *dir)
{
	char p[4400];
	size_t n;
	snprintf(p, sizeof(p), "%s/app.err", dir);
	char *e = slurp(p, &n);
	if (n)
		printf("#   app stderr: %.600s\n", e);
	free(e);
}

static int cmd_run(int argc, char **argv)
{
	const struct mode *use[NMODES];
	int nuse = 0;
	int i = 0;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-g")) {
			guest_fmt = true;
		} else if (!strcmp(argv[i], "-k")) {
			keep = true;
		} else if (!strcmp(argv[i], "-l") && i + 1 < argc) {
			lib_path = argv[++i];
		} else if (!strcmp(argv[i], "-m") && i + 1 < argc) {
			const struct mode *m = find_mode(argv[++i]);
			if (!m) {
				fprintf(stderr, "torture: no mode %s\n", argv[i]);
				return 2;
			}
			use[nuse++] = m;
		} else {
			fprintf(stderr, "torture: bad option %s\n", argv[i]);
			return 2;
		}
	}
	if (!nuse) {
		use[nuse++] = find_mode("sync");
		use[nuse++] = find_mode("uring");
	}
	if (!lib_path || access(lib_path, R_OK)) {
		fprintf(stderr, "torture: -l LIB: libsaio.so not found (%s)\n",
			lib_path ? lib_path : "not given");
		return 2;
	}
	char abs[4096];
	if (realpath(lib_path, abs))
		lib_path = strdup(abs);
	const char *tb = getenv("TMPDIR");
	if (tb && *tb)
		snprintf(tmp_base, sizeof(tmp_base), "%s", tb);
	for (unsigned s = 0; s < nscenarios; s++) {
		const struct scenario *sc = &scenarios[s];
		if (i < argc) {
			bool want = false;
			for (int k = i; k < argc; k++)
				want |= !strcmp(argv[k], sc->name);
			if (!want)
				continue;
		}
		char dir[2048];
		snprintf(dir, sizeof(dir), "%s/torture-%s-XXXXXX", tmp_base, sc->name);
		if (!mkdtemp(dir)) {
			perror("torture: mkdtemp");
			return 2;
		}
		chmod(dir, 0777);
		char sub[2200];
		snprintf(sub, sizeof(sub), "%s/baseline", dir);
		mkdir(sub, 0777);
		struct run base = { 0 };
		double t0 = pnow();
		if (run_scenario(sc, NULL, &base, sub))
			return 2;
		printf("# %s (item %s): baseline %.1fs\n", sc->name, sc->item, pnow() - t0);
		const char *skip = strstr(base.text, "app: SKIP ");
		/* exit statuses 90..99 are the app's own set-up failures */
		bool base_ok = !strstr(base.text, "exit: TIMEOUT") && !strstr(base.text, "exit: 9");
		for (int k = 0; k < nuse; k++) {
			const struct mode *m = use[k];
			if (skip) {
				const char *e = strchr(skip + 10, '\n');
				char why[200];
				snprintf(why, sizeof(why), "%.*s", (int)(e ? e - skip - 10 : 40), skip + 10);
				result(m->name, sc->name, -1, why);
				continue;
			}
			if (!base_ok) {
				result(m->name, sc->name, 0, "the run without the library failed");
				indent("without the library", &base);
				continue;
			}
			snprintf(sub, sizeof(sub), "%s/%s", dir, m->name);
			mkdir(sub, 0777);
			struct run lib = { 0 };
			t0 = pnow();
			if (run_scenario(sc, m, &lib, sub))
				return 2;
			char *diff = compare(&base, &lib);
			printf("# %s %s: %.1fs\n", sc->name, m->name, pnow() - t0);
			result(m->name, sc->name, !diff, diff);
			if (diff) {
				indent("without the library", &base);
				indent("with the library", &lib);
				show_err(sub);
				printf("#   kept in %s\n", sub);
			}
			free(diff);
			free(lib.text);
		}
		free(base.text);
		if (!keep) {
			char cmd[4400];
			snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
			if (!nfail)
				(void)!system(cmd);
		}
	}
	printf("%d passed, %d failed, %d skipped\n", npass, nfail, nskip);
	return nfail ? 1 : 0;
}

static const struct scenario *app_sc;

int main(int argc, char **argv)
{
	slow = slowness();
	if (argc >= 3 && !strcmp(argv[1], "app")) {
		app_sc = find(argv[2]);
		if (!app_sc)
			return 99;
		app_now();
		signal(SIGPIPE, SIG_IGN);
		app_sc->app();
		return 0;
	}
	ssize_t n = readlink("/proc/self/exe", self_exe, sizeof(self_exe) - 1);
	if (n <= 0)
		return 2;
	self_exe[n] = 0;
	signal(SIGPIPE, SIG_IGN);
	if (argc >= 2 && !strcmp(argv[1], "list")) {
		for (unsigned i = 0; i < nscenarios; i++)
			printf("%s %s\n", scenarios[i].name, scenarios[i].item);
		return 0;
	}
	if (argc >= 2 && !strcmp(argv[1], "cases")) {
		for (int k = 2; k < argc; k++)
			for (unsigned i = 0; i < nscenarios; i++)
				printf("%s/%s\n", argv[k], scenarios[i].name);
		return 0;
	}
	if (argc >= 2 && !strcmp(argv[1], "run"))
		return cmd_run(argc - 2, argv + 2);
	fprintf(stderr, "usage: torture list | cases MODE... | run [-g] [-k] [-l LIB] [-m MODE]... [NAME...]\n");
	return 2;
}
