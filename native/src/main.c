/* SPDX-License-Identifier: MIT */
/* main.c - saio-load: options, the shared plan, the threads and their two barriers, the report. */
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "clock.h"
#include "http.h"
#include "loop.h"
#include "merge.h"
#include "report.h"

enum { EXIT_RUN_FAILED = 1, EXIT_USAGE = 2, EXIT_UNVERIFIED = 3 };

struct worker {
	struct thread t;
	pthread_t tid;
	pthread_barrier_t *ready, *go;
	volatile int *abort;
	int setup_rc;
	char err[256];
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	w->setup_rc = thread_setup(&w->t, w->err, sizeof(w->err));
	/* Pairs with the main thread's wait: our setup result is visible to it after this. */
	pthread_barrier_wait(w->ready);
	/* Pairs with the main thread's wait after it wrote t0, the window and *abort. */
	pthread_barrier_wait(w->go);
	if (!*w->abort)
		thread_run(&w->t);
	return NULL;
}

static int usage_error(const char *msg)
{
	fprintf(stderr, "saio-load: %s\nTry 'saio-load --help'.\n", msg);
	return EXIT_USAGE;
}

static int run_failed(const char *msg)
{
	fprintf(stderr, "saio-load: %s\n", msg);
	return EXIT_RUN_FAILED;
}

/* The first of the host's addresses that accepts a connection ("localhost" may list ::1 first
 * while the server listens on 127.0.0.1 only). */
static int resolve(struct plan *p, const struct options *o, char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *res, *ai;
	struct timeval tv = { .tv_sec = (time_t)o->timeout_s, .tv_usec = (suseconds_t)((o->timeout_s - (double)(time_t)o->timeout_s) * 1e6) };
	int rc = getaddrinfo(o->host, o->port, &hints, &res), last = 0;

	if (rc) {
		snprintf(err, errlen, "cannot resolve %s: %s", o->host, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (fd < 0) {
			last = errno;
			continue;
		}
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
		last = rc ? errno : 0;
		close(fd);
		if (!rc)
			break;
	}
	if (!ai) {
		snprintf(err, errlen, "cannot connect to %s:%s: %s", o->host, o->port,
			 last == EINPROGRESS || last == EAGAIN ? "timed out (--timeout)" : strerror(last));
		freeaddrinfo(res);
		return -1;
	}
	memcpy(&p->addr, ai->ai_addr, ai->ai_addrlen);
	p->addrlen = ai->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

/* One descriptor per connection, plus epoll sets and a margin. */
static int raise_nofile(uint32_t conns, char *err, size_t errlen)
{
	struct rlimit rl;
	rlim_t need = (rlim_t)conns + 64;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return 0;
	if (rl.rlim_cur >= need)
		return 0;
	if (rl.rlim_max < need) {
		snprintf(err, errlen, "-c %u needs %llu file descriptors but the hard limit is %llu (raise it: ulimit -Hn)",
			 conns, (unsigned long long)need, (unsigned long long)rl.rlim_max);
		return -1;
	}
	rl.rlim_cur = need;
	setrlimit(RLIMIT_NOFILE, &rl);
	return 0;
}

static int load_expect_file(struct plan *p, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	long n;

	if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
		snprintf(err, errlen, "--expect-file %s: %s", path, strerror(errno));
		if (f)
			fclose(f);
		return -1;
	}
	p->expect_body = malloc((size_t)n + 1);
	if (!p->expect_body || fread(p->expect_body, 1, (size_t)n, f) != (size_t)n) {
		snprintf(err, errlen, "--expect-file %s: cannot read it", path);
		fclose(f);
		return -1;
	}
	fclose(f);
	p->expect_len = (size_t)n;
	return 0;
}

/*
 * Several generators (on several hosts) start their load at one agreed wall-clock time, so their
 * windows coincide; a time already past starts at once (the report's t0_unix_ns shows how late).
 */
static void wait_until_unix_ms(uint64_t ms)
{
	struct timespec at = { .tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000L };

	while (clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &at, NULL) == EINTR)
		;
}

int main(int argc, char **argv)
{
	static struct options o;
	static struct plan p;
	static struct stats total;
	char err[512];
	struct worker *w;
	pthread_barrier_t ready, go;
	volatile int abort_run = 0;
	struct warning warns[WARN_MAX];
	struct warn_in wi = { 0 };
	double *cpu_s, *cpu_frac;
	struct report rep;
	uint32_t next_id = 0;
	int rc;

	rc = options_parse(&o, argc, argv, stdout, err, sizeof(err));
	if (rc > 0)
		return 0;
	if (rc < 0)
		return usage_error(err);
	if (o.merge) {
		if (merge_main(o.merge_files, o.nmerge, stdout, err, sizeof(err)))
			return run_failed(err);
		return 0;
	}
	signal(SIGPIPE, SIG_IGN);
	if (!o.seed_set && getrandom(&o.seed, sizeof(o.seed), 0) != sizeof(o.seed))
		o.seed = clock_ns();

	p.o = &o;
	p.open_loop = o.open_loop;
	p.slots = o.open_loop ? o.depth : o.pipeline;
	p.connect_timeout_ns = (uint64_t)(o.timeout_s * 1e9);
	p.drain_ns = p.connect_timeout_ns;
	p.proto = o.proto == PROTO_HTTP ? &proto_http : o.proto == PROTO_REDIS ? &proto_redis : &proto_memcached;
	if (o.proto != PROTO_HTTP) {
		if (kv_init(&p.kv, o.key_prefix, o.keys, o.key_size, o.value_size, o.get_fraction, o.connections, o.seed,
			    err, sizeof(err)))
			return usage_error(err);
		if (o.proto == PROTO_REDIS)
			redis_kv_framing(&p.kv);
		else
			memcached_kv_framing(&p.kv);
	}
	if (raise_nofile(o.connections, err, sizeof(err)) || resolve(&p, &o, err, sizeof(err)))
		return run_failed(err);
	if (o.proto == PROTO_HTTP) {
		if (http_build_request(&p, &o))
			return run_failed("out of memory");
		if (o.expect_file) {
			if (load_expect_file(&p, o.expect_file, err, sizeof(err)))
				return usage_error(err);
			p.expect_status = o.expect_status ? o.expect_status : 200;
		} else {
			p.expect_status = o.expect_status;
			if (http_probe(&p, err, sizeof(err)))
				return run_failed(err);
			wi.reference_status = o.expect_status ? 0 : p.expect_status;
		}
	}

	w = calloc(o.threads, sizeof(*w));
	cpu_s = calloc(o.threads, sizeof(*cpu_s));
	cpu_frac = calloc(o.threads, sizeof(*cpu_frac));
	if (!w || !cpu_s || !cpu_frac)
		return run_failed("out of memory");
	pthread_barrier_init(&ready, NULL, o.threads + 1);
	pthread_barrier_init(&go, NULL, o.threads + 1);
	for (uint32_t i = 0; i < o.threads; i++) {
		uint32_t n = o.connections / o.threads + (i < o.connections % o.threads);
		int cpu = o.ncpus ? o.cpus[i % o.ncpus] : -1;

		if (thread_init(&w[i].t, &p, i, next_id, n, cpu))
			return run_failed("out of memory (connections and buffers)");
		next_id += n;
		w[i].ready = &ready;
		w[i].go = &go;
		w[i].abort = &abort_run;
	}
	for (uint32_t i = 0; i < o.threads; i++) {
		rc = pthread_create(&w[i].tid, NULL, worker_main, &w[i]);
		if (rc) {
			fprintf(stderr, "saio-load: cannot start thread %u: %s\n", i, strerror(rc));
			exit(EXIT_RUN_FAILED); /* the others wait at a barrier that can no longer fill */
		}
	}
	pthread_barrier_wait(&ready);
	for (uint32_t i = 0; i < o.threads; i++) {
		if (w[i].setup_rc) {
			fprintf(stderr, "saio-load: %s\n", w[i].err);
			abort_run = 1;
			break;
		}
	}
	if (o.start_at_ms && !abort_run)
		wait_until_unix_ms(o.start_at_ms);
	p.t0 = clock_ns();
	p.t0_unix_ns = realtime_ns();
	p.window_start = p.t0 + (uint64_t)(o.warmup_s * 1e9);
	p.window_end = p.window_start + (uint64_t)(o.duration_s * 1e9);
	pthread_barrier_wait(&go);
	for (uint32_t i = 0; i < o.threads; i++)
		pthread_join(w[i].tid, NULL);
	if (abort_run)
		return EXIT_RUN_FAILED;

	stats_init(&total);
	for (uint32_t i = 0; i < o.threads; i++) {
		struct thread *t = &w[i].t;
		uint64_t wall = t->wall_end > t->wall_start ? t->wall_end - t->wall_start : 1;

		stats_merge(&total, &t->st);
		cpu_s[i] = (double)(t->cpu_end - t->cpu_start) / 1e9;
		cpu_frac[i] = (double)(t->cpu_end - t->cpu_start) / (double)wall;
	}
	rep = (struct report){ .o = &o, .p = &p, .st = &total, .cpu_s = cpu_s, .nthreads = o.threads, .w = warns };
	wi.open_loop = o.open_loop;
	wi.offered_per_s = o.rate;
	wi.achieved_per_s = report_achieved(&rep);
	wi.scheduled = total.scheduled;
	wi.completed = total.requests;
	wi.lag_p99_ns = hist_value_at(&total.lag, 9900);
	wi.cpu_fraction = cpu_frac;
	wi.nthreads = o.threads;
	wi.overflow = total.latency.overflow + total.service.overflow;
	rep.nw = warnings_compute(&wi, warns, WARN_MAX);
	for (int i = 0; i < rep.nw; i++)
		fprintf(stderr, "saio-load: warning: %s\n", warns[i].message);
	if (o.json)
		report_json(stdout, &rep);
	else
		report_text(stdout, &rep);
	if (o.strict && (stats_mismatched(&total) || stats_errors(&total)))
		return EXIT_UNVERIFIED;
	return 0;
}
