/* SPDX-License-Identifier: MIT */
/*
 * stats.c - SAIO_STATS=FILE: a JSON object written every second by a helper thread and
 * at exit. The process that loaded the library writes FILE; a fork child writes
 * FILE.<pid>. Written to FILE.tmp.<pid> and renamed, so a reader never sees half a file.
 * Only processes that deferred or passed at least one socket call write anything.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backend.h"

_Atomic int saio_stats_used;
static _Atomic pid_t thread_pid;	/* process whose stats thread runs */
static bool forked;
static pthread_mutex_t write_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const call_names[SAIO_C_NR] = {
	"write", "writev", "send", "sendto", "sendmsg", "sendfile", "close", "shutdown",
	"setsockopt",
};

static uint64_t ld(_Atomic uint64_t *p)
{
	return atomic_load_explicit(p, memory_order_relaxed);
}

void saio_stats_write(void)
{
	const char *base = saio_cfg.stats_path;
	if (!base || !*base)
		return;
	bool used = atomic_load(&saio_stats_used);
	for (int i = 0; i < SAIO_C_NR && !used; i++)
		used = ld(&saio_stats.ops[i]) || ld(&saio_stats.passed[i]);
	if (!used)
		return;
	char path[4096], tmp[4200], buf[16384];
	pid_t pid = getpid();
	if (forked)
		snprintf(path, sizeof(path), "%s.%d", base, (int)pid);
	else
		snprintf(path, sizeof(path), "%s", base);
	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", base, (int)pid);

	uint64_t ops = 0, batches = ld(&saio_stats.batches), bops = ld(&saio_stats.batch_ops);
	int n = 0;
	const char *backend = saio_cfg.mode == SAIO_MODE_DEFER ? saio_backend_default->name : "sync";
	n += snprintf(buf + n, sizeof(buf) - (size_t)n,
		      "{\"pid\":%d,\"backend\":\"%s\",\"sqpoll\":%s,\"ops\":{", (int)pid,
		      backend, saio_cfg.sqpoll ? "true" : "false");
	for (int i = 0; i < SAIO_C_NR; i++) {
		ops += ld(&saio_stats.ops[i]);
		n += snprintf(buf + n, sizeof(buf) - (size_t)n, "%s\"%s\":%llu", i ? "," : "",
			      call_names[i], (unsigned long long)ld(&saio_stats.ops[i]));
	}
	n += snprintf(buf + n, sizeof(buf) - (size_t)n, "},\"passed\":{");
	for (int i = 0; i < SAIO_C_NR; i++)
		n += snprintf(buf + n, sizeof(buf) - (size_t)n, "%s\"%s\":%llu", i ? "," : "",
			      call_names[i], (unsigned long long)ld(&saio_stats.passed[i]));
	n += snprintf(buf + n, sizeof(buf) - (size_t)n,
		      "},\"ops_deferred\":%llu,\"batches\":%llu,\"batch_ops\":%llu,"
		      "\"avg_batch\":%.3f,\"kernel_ops\":%llu,\"submits\":%llu,"
		      "\"kernel_entries\":%llu,\"wakeups\":%llu,\"fallbacks\":%llu,"
		      "\"bytes_deferred\":%llu,\"bytes_queued\":%llu,\"errors_later\":%llu,"
		      "\"errors_dropped_at_close\":%llu,\"budget_hits\":%llu,"
		      "\"bytes_dropped\":%llu,\"waits\":%llu,\"eintr_hidden\":%llu,"
		      "\"epollout_injected\":%llu,\"budget_fd\":%llu,\"budget_global\":%llu,"
		      "\"draining_fds\":%llu,\"draining_bytes\":%llu,\"drained\":%llu,"
		      "\"drain_aborted\":%llu,\"drain_max\":%u,\"drain_ms\":%u,\"fd_reused\":%llu,\"op_errors_ignored\":%llu,"
		      "\"fused\":%llu,\"corks_elided\":%llu,\"epoll_folded\":%llu",
		      (unsigned long long)ops, (unsigned long long)batches,
		      (unsigned long long)bops, batches ? (double)bops / (double)batches : 0.0,
		      (unsigned long long)ld(&saio_stats.sqes), (unsigned long long)batches,
		      (unsigned long long)ld(&saio_stats.enters),
		      (unsigned long long)ld(&saio_stats.wakeups),
		      (unsigned long long)ld(&saio_stats.fallbacks),
		      (unsigned long long)ld(&saio_stats.bytes_deferred),
		      (unsigned long long)ld(&saio_budget.global_used),
		      (unsigned long long)ld(&saio_stats.errors_later),
		      (unsigned long long)ld(&saio_stats.errors_dropped),
		      (unsigned long long)ld(&saio_stats.budget_hits),
		      (unsigned long long)ld(&saio_stats.bytes_dropped),
		      (unsigned long long)ld(&saio_stats.waits),
		      (unsigned long long)ld(&saio_stats.eintr_hidden),
		      (unsigned long long)ld(&saio_stats.epollout_injected),
		      (unsigned long long)saio_budget.fd_max,
		      (unsigned long long)saio_budget.global_max,
		      (unsigned long long)ld(&saio_stats.draining_fds),
		      (unsigned long long)ld(&saio_stats.draining_bytes),
		      (unsigned long long)ld(&saio_stats.drained),
		      (unsigned long long)ld(&saio_stats.drain_aborted),
		      saio_cfg.drain_max, saio_cfg.drain_ms,
		      (unsigned long long)ld(&saio_stats.fd_reused),
		      (unsigned long long)ld(&saio_stats.op_errors_ignored),
		      (unsigned long long)ld(&saio_stats.fused),
		      (unsigned long long)ld(&saio_stats.corks_elided),
		      (unsigned long long)ld(&saio_stats.epoll_folded));
	if (n <= 0 || (size_t)n >= sizeof(buf))
		return;
	/*
	 * The kmod backend adds what saio.ko itself counted for this process's context; not
	 * from a signal handler, whose interrupted thread may hold the kmod context's lock.
	 */
	if (saio_backend_default == &saio_backend_kmod && saio_cfg.mode == SAIO_MODE_DEFER &&
	    !saio_in_handler)
		n += saio_kmod_stats_json(buf + n, sizeof(buf) - (size_t)n - 2);
	n += snprintf(buf + n, sizeof(buf) - (size_t)n, "}\n");
	if (saio_in_handler) {
		if (pthread_mutex_trylock(&write_lock))
			return;	/* (exit in a handler that interrupted a stats write) */
	} else {
		pthread_mutex_lock(&write_lock);
	}
	int fd = REAL(open)(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd >= 0) {
		ssize_t w = REAL(write)(fd, buf, (size_t)n);
		REAL(close)(fd);
		if (w == n)
			rename(tmp, path);
		else
			unlink(tmp);
	}
	pthread_mutex_unlock(&write_lock);
}

static void *stats_thread(void *arg)
{
	(void)arg;
	for (;;) {
		struct timespec d = { 1, 0 };
		nanosleep(&d, NULL);
		saio_stats_write();
	}
	return NULL;
}

void saio_stats_start(void)
{
	pid_t pid = getpid();
	if (!saio_cfg.stats_path || atomic_load(&thread_pid) == pid)
		return;
	if (atomic_exchange(&thread_pid, pid) == pid)
		return;
	pthread_t t;
	pthread_attr_t a;
	pthread_attr_init(&a);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	/* The helper never touches sockets; block every signal so none lands on it. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_create(&t, &a, stats_thread, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&a);
}

void saio_stats_after_fork(void)
{
	forked = true;
	atomic_store(&saio_stats_used, 0);
	pthread_mutex_init(&write_lock, NULL);
	/* thread_pid still names the parent: the child starts its own thread lazily. */
}
