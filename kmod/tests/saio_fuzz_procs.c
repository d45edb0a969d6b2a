// SPDX-License-Identifier: MIT
/*
 * The fuzz of what crosses processes and of the extremes (guest tests):
 *
 *   fuzz_procs       rounds of fork (children poking at the parent's contexts while its
 *                    workers run, then exiting or killed), SCM_RIGHTS (a helper process
 *                    given contexts, sometimes handing them back; contexts left in
 *                    flight in a socket that is then closed), execve with contexts open
 *                    (workers killed by the exec, one of them blocked in an entry), and
 *                    SIGKILL of an owner at a random moment; the parent's own contexts
 *                    keep working and every stranger is refused
 *   max_contexts     the largest contexts: 64 rings of 4096 SQEs and 8192 CQEs, with 64
 *                    workers or 64 ENTER threads, every ring filled to the brim
 *   fault_injection  (debug kernel) failslab and fail_page_alloc under SETUP, mmap,
 *                    ENTER and WORKER: every call ends in a result or -ENOMEM, and the
 *                    kernel log has no report and no allocation warning of ours
 */
#include "saio_test.h"

#include <sys/sendfile.h>

/* ---- a stranger's probes ------------------------------------------------------------------ */

/*
 * A few random things a process that is not the owner may try on ctx (map_bytes of
 * rings). Returns how many were allowed that must not be.
 */
static int stranger_pokes(int ctx, size_t map_bytes, int n)
{
	int bad = 0, i;

	for (i = 0; i < n; i++) {
		union {
			struct saio_enter e;
			struct saio_wake w;
			struct saio_bind b;
			struct saio_eventfd ev;
			struct saio_ring_stats st;
			struct saio_worker_info wi;
			struct saio_wait wt;
			struct saio_worker wk;
		} u;
		void *m;
		int r, efd;

		memset(&u, 0, sizeof(u));
		switch (rnd() % 10) {
		case 0:
			r = ioctl(ctx, SAIO_IOC_ENTER, &u.e);
			bad += !(r < 0 && errno == EPERM);
			break;
		case 1:
			u.w.flags = rnd() % 2 ? SAIO_WAKE_STOP : SAIO_WAKE_ALL;
			r = ioctl(ctx, SAIO_IOC_WAKE, &u.w);
			bad += !(r < 0 && errno == EPERM);
			break;
		case 2:
			r = ioctl(ctx, SAIO_IOC_BIND, &u.b);
			bad += !(r < 0 && errno == EPERM);
			break;
		case 3:
			efd = eventfd(0, 0);
			u.ev.fd = efd;
			r = ioctl(ctx, SAIO_IOC_EVENTFD, &u.ev);
			bad += !(r < 0 && errno == EPERM);
			close(efd);
			break;
		case 4:
			u.wk.idle_us = 1;
			r = ioctl(ctx, SAIO_IOC_WORKER, &u.wk);	/* refused before it could block */
			bad += !(r < 0 && errno == EPERM);
			break;
		case 5:
			m = mmap(NULL, map_bytes, PROT_READ | (rnd() % 2 ? PROT_WRITE : 0),
				 MAP_SHARED, ctx, (rnd() % 2) * 4096);
			bad += m != MAP_FAILED;
			if (m != MAP_FAILED)
				munmap(m, map_bytes);
			break;
		case 6:
			ioctl(ctx, SAIO_IOC_STATS, &u.st);	/* allowed */
			break;
		case 7:
			ioctl(ctx, SAIO_IOC_WORKER_INFO, &u.wi);	/* allowed */
			break;
		case 8:
			u.wt.timeout_us = rnd() % 2 ? 0 : 100;
			ioctl(ctx, SAIO_IOC_WAIT, &u.wt);	/* allowed */
			break;
		default:
			usleep(rnd() % 500);
		}
	}
	return bad;
}

/* The owner's side of a round: a context of random shape, its workers running. */
struct own {
	struct saio_client c;
	struct worker_arg wa[4];
	pthread_t th[4];
	int nw;
};

static int own_up(struct own *o)
{
	uint32_t rings = 1 + rnd() % 4, mode = rnd() % 2;

	o->nw = mode == SAIO_MODE_WORKER ? 1 + rnd() % rings : 0;
	CHECK(saio_client_open(&o->c, 1u << (rnd() % 6), 0, rings, o->nw, mode) == 0,
	      "owner's context");
	if (o->nw) {
		int i, tid;

		start_workers(&o->c, o->wa, o->th, o->nw, rnd() % 2 ? 10 : 2000);
		/* all in, so that a STOP finds each of them (one coming later: -ESHUTDOWN) */
		for (i = 0; i < o->nw; i++)
			TRY(wait_worker_up(&o->c, i, &tid));
	}
	return 0;
}

/* One NOP through ring r and back: the owner's context still works. */
static int own_roundtrip(struct own *o, uint64_t ud)
{
	struct saio_uring *r = &o->c.ring[rnd() % o->c.p.nr_rings];
	struct saio_cqe cq[1];
	int ret;

	CHECK(prep(r, SAIO_KOP_NOP, 0, NULL, 0, 0, ud), "SQ full");
	ret = saio_submit(&o->c, r);
	CHECK(ret >= 0, "submit: %s", strerror(-ret));
	if (!saio_peek_cqe(r))
		CHECK(saio_wait_cqe(&o->c, r, 5000000) == 0, "no completion");
	CHECK(reap(&o->c, r, cq, 1) == 1 && cq[0].user_data == ud && cq[0].res == 0,
	      "completion %" PRIu64 "/%d", (uint64_t)cq[0].user_data, cq[0].res);
	return 0;
}

static int own_down(struct own *o)
{
	if (o->nw)
		TRY(stop_workers(&o->c, o->wa, o->th, o->nw));
	saio_client_close(&o->c);
	return 0;
}

/* Wait for pid up to ms; SIGKILL it after that. Returns its status. */
static int reap_child(pid_t pid, int ms)
{
	int st = 0, i;

	for (i = 0; i < ms; i++) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return st;
		usleep(1000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return -1;
}

/* ---- the rounds ------------------------------------------------------------------------------ */

/* fork while the workers run; the child pokes, maybe exits mid-way or is killed. */
static int round_fork(uint64_t round)
{
	struct own o;
	int st;
	pid_t pid;

	TRY(own_up(&o));
	TRY(own_roundtrip(&o, round));
	pid = fork();
	if (pid == 0) {
		unsigned char vec[1];
		int bad = 0;

		rng_state ^= getpid();
		bad += mincore(o.c.mem, 4096, vec) == 0;	/* the mapping came along */
		if (rnd() % 4 == 0)
			close(o.c.fd);
		else
			bad += stranger_pokes(o.c.fd, o.c.mem_bytes, 1 + rnd() % 20);
		_exit(bad > 100 ? 100 : bad);
	}
	if (rnd() % 3 == 0) {
		usleep(rnd() % 3000);
		kill(pid, SIGKILL);
	}
	TRY(own_roundtrip(&o, round + 1));
	st = reap_child(pid, 10000);
	CHECK(st != -1, "fork child hung");
	CHECK(!WIFEXITED(st) || WEXITSTATUS(st) == 0,
	      "a fork child was allowed %d things", WEXITSTATUS(st));
	TRY(own_roundtrip(&o, round + 2));
	return own_down(&o);
}

/* A long-lived helper process that receives contexts over a unix socket. */
static int helper_sock = -1;
static pid_t helper_pid;

static void helper_main(int s)
{
	int bad = 0;

	for (;;) {
		int ctx = recv_fd(s);
		char what;

		if (ctx < 0)
			break;
		bad += stranger_pokes(ctx, 4096, 1 + rnd() % 10);
		what = rnd() % 3;
		if (what == 0)
			send_fd(s, ctx);	/* hand it back */
		else
			send_fd(s, -1);
		if (what != 2)
			close(ctx);	/* else keep it until we exit */
	}
	_exit(bad > 100 ? 100 : bad);
}

static int round_scm(uint64_t round)
{
	struct own o;
	int back;

	if (helper_sock < 0) {
		int sp[2];

		CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0, "socketpair");
		helper_pid = fork();
		if (helper_pid == 0) {
			close(sp[0]);
			rng_state ^= getpid();
			helper_main(sp[1]);
		}
		close(sp[1]);
		helper_sock = sp[0];
	}
	TRY(own_up(&o));
	CHECK(send_fd(helper_sock, o.c.fd) == 0, "SCM_RIGHTS");
	TRY(own_roundtrip(&o, round));
	back = recv_fd(helper_sock);
	if (back >= 0) {
		/* our own context, back from its trip: still ours, still working */
		struct saio_enter e = { .ring = 0 };

		if (o.c.mode == SAIO_MODE_ENTER)
			CHECK(ioctl(back, SAIO_IOC_ENTER, &e) >= 0, "ENTER through the returned "
			      "descriptor: %s", strerror(errno));
		close(back);
	}
	TRY(own_roundtrip(&o, round + 1));
	return own_down(&o);
}

/* A context left in flight: sent into a socket pair that is then closed (unix GC). */
static int round_in_flight(uint64_t round)
{
	struct own o;
	int sp[2];

	TRY(own_up(&o));
	TRY(own_roundtrip(&o, round));
	CHECK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sp) == 0, "socketpair");
	CHECK(send_fd(sp[0], o.c.fd) == 0, "SCM_RIGHTS");
	if (rnd() % 2)
		CHECK(send_fd(sp[1], sp[0]) == 0, "a socket in its own peer (a cycle)");
	TRY(own_down(&o));
	close(sp[0]);
	close(sp[1]);
	return 0;
}

/* execve with contexts open: the exec kills the workers (one maybe blocked in an entry). */
static int round_exec(uint64_t round)
{
	int st, mask;
	pid_t pid = fork();

	if (pid == 0) {
		static char big[1 << 16];
		struct own o;
		char e[16], w[16], v[16];
		int p[2];

		rng_state ^= getpid() + round;
		if (own_up(&o) || pipe(p))
			_exit(101);
		fcntl(o.c.fd, F_SETFD, 0);
		if (o.nw && rnd() % 2) {
			/* a worker blocked in a write to a full pipe when the exec comes */
			fcntl(p[1], F_SETFL, O_NONBLOCK);
			while (write(p[1], big, sizeof(big)) > 0)
				;
			fcntl(p[1], F_SETFL, 0);
			prep(&o.c.ring[0], SAIO_KOP_WRITE, p[1], big, sizeof(big),
			     SAIO_OFF_CURRENT, 1);
			saio_submit(&o.c, &o.c.ring[0]);
			usleep(rnd() % 5000);
		}
		snprintf(e, sizeof(e), "%d", o.c.mode == SAIO_MODE_ENTER ? o.c.fd : -1);
		snprintf(w, sizeof(w), "%d", o.c.mode == SAIO_MODE_WORKER ? o.c.fd : -1);
		snprintf(v, sizeof(v), "%d", p[1]);
		execl("/proc/self/exe", "saio_test", "exec-probe", e, w, v, (char *)NULL);
		_exit(102);
	}
	st = reap_child(pid, 20000);
	CHECK(st != -1, "exec with contexts open hung");
	mask = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	CHECK(mask == 0, "after exec (round %" PRIu64 "): status %#x", round, st);
	return 0;
}

/* SIGKILL an owner whose workers are busy, at a random moment. */
static int round_kill(uint64_t round)
{
	int st;
	pid_t pid = fork();

	if (pid == 0) {
		struct own o;
		int p[2];

		rng_state ^= getpid() + round;
		if (own_up(&o) || pipe2(p, O_NONBLOCK))
			_exit(101);
		for (;;) {
			struct saio_uring *r = &o.c.ring[rnd() % o.c.p.nr_rings];
			struct saio_cqe cq[8];
			int i;

			for (i = 0; i < 4; i++)
				prep(r, rnd() % 2 ? SAIO_KOP_NOP : SAIO_KOP_WRITE, p[1], "x", 1,
				     SAIO_OFF_CURRENT, i);
			saio_submit(&o.c, r);
			reap(&o.c, r, cq, 8);
			read(p[0], cq, sizeof(cq));
		}
	}
	usleep(1000 + rnd() % 20000);
	kill(pid, SIGKILL);
	st = reap_child(pid, 10000);
	CHECK(st != -1 && WIFSIGNALED(st), "killed owner: status %#x", st);
	return 0;
}

int t_fuzz_procs(void)
{
	static int (*const rounds[])(uint64_t) = {
		round_fork, round_fork, round_scm, round_in_flight, round_exec, round_kill,
	};
	static const char *const names[] = { "fork", "fork", "scm", "in-flight", "exec", "kill" };
	unsigned long n = 300, i, count[6] = { 0 };
	const char *env = getenv("SAIO_FUZZ_PROCS_ITERS");
	uint64_t t0 = now_ms();
	int st;

	if (env)
		n = strtoul(env, NULL, 10);
	rng_state ^= (uint64_t)time(NULL) * 2654435761u;
	fprintf(stderr, "  fuzz_procs seed %" PRIu64 "\n", rng_state);
	for (i = 0; i < n; i++) {
		unsigned int k = rnd() % 6;

		count[k]++;
		if (rounds[k](i * 8)) {
			fprintf(stderr, "  round %lu (%s) failed\n", i, names[k]);
			return -1;
		}
	}
	if (helper_sock >= 0) {
		close(helper_sock);
		st = reap_child(helper_pid, 10000);
		CHECK(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
		      "the helper given contexts was allowed %d things", WEXITSTATUS(st));
	}
	fprintf(stderr, "  fuzz_procs: %lu rounds in %" PRIu64 " ms: fork %lu, scm %lu, "
		"in-flight %lu, exec %lu, kill %lu\n", n, now_ms() - t0, count[0] + count[1],
		count[2], count[3], count[4], count[5]);
	return 0;
}

/* ---- the largest contexts ---------------------------------------------------------------- */

struct fill_arg {
	struct saio_client *c;
	int ring, err;
	uint64_t done;
};

/* Fill a ring to the brim (4096 entries), publish at once, reap all 4096. */
static void *fill_ring(void *p)
{
	struct fill_arg *a = p;
	struct saio_uring *r = &a->c->ring[a->ring];
	int round;

	for (round = 0; round < 2; round++) {
		uint32_t i, got = 0;

		for (i = 0; i < r->sq_entries; i++)
			if (!prep(r, SAIO_KOP_NOP, 0, NULL, 0, 0, i)) {
				a->err = 1;
				return NULL;
			}
		if (saio_submit(a->c, r) < 0) {
			a->err = 2;
			return NULL;
		}
		while (got < r->sq_entries) {
			struct saio_cqe *cqe = saio_peek_cqe(r);

			if (!cqe) {
				if (a->c->mode == SAIO_MODE_ENTER) {
					saio_store_release(&r->hdr->sq_tail, r->sq_tail);
					saio_submit(a->c, r);
				} else if (saio_wait_cqe(a->c, r, 5000000) == -ETIMEDOUT) {
					a->err = 3;
					return NULL;
				}
				continue;
			}
			if (cqe->user_data != got || cqe->res) {
				a->err = 4;
				return NULL;
			}
			got++;
			saio_cq_advance(a->c, r, 1);
		}
		a->done += got;
	}
	return NULL;
}

int t_max_contexts(void)
{
	static struct worker_arg wa[SAIO_MAX_WORKERS];
	static pthread_t wt[SAIO_MAX_WORKERS], ft[SAIO_MAX_RINGS];
	static struct fill_arg fa[SAIO_MAX_RINGS];
	static struct saio_client c;
	int mode, i;

	for (mode = 0; mode < 2; mode++) {
		uint64_t total = 0, t0 = now_ms();
		int nw = mode == SAIO_MODE_WORKER ? SAIO_MAX_WORKERS : 0;
		int ret = saio_client_open(&c, SAIO_MAX_SQ_ENTRIES, SAIO_MAX_CQ_ENTRIES,
					   SAIO_MAX_RINGS, nw, mode);

		CHECK(ret == 0, "the largest context (mode %d): %s", mode, strerror(-ret));
		if (nw)
			start_workers(&c, wa, wt, nw, 50);
		for (i = 0; i < SAIO_MAX_RINGS; i++) {
			fa[i] = (struct fill_arg){ .c = &c, .ring = i };
			pthread_create(&ft[i], NULL, fill_ring, &fa[i]);
		}
		for (i = 0; i < SAIO_MAX_RINGS; i++) {
			pthread_join(ft[i], NULL);
			CHECK(!fa[i].err, "mode %d ring %d: error %d", mode, i, fa[i].err);
			total += fa[i].done;
		}
		CHECK(total == 2ull * SAIO_MAX_RINGS * SAIO_MAX_SQ_ENTRIES, "%" PRIu64 " entries",
		      total);
		if (nw) {
			for (i = 0; i < nw; i++) {
				struct saio_worker_info wi = { .index = i };

				ioctl(c.fd, SAIO_IOC_WORKER_INFO, &wi);
				CHECK(wi.nr_rings == 1 && wi.ops == 2 * SAIO_MAX_SQ_ENTRIES,
				      "worker %d: %u rings, %" PRIu64 " ops", i, wi.nr_rings,
				      (uint64_t)wi.ops);
			}
			TRY(stop_workers(&c, wa, wt, nw));
		}
		fprintf(stderr, "  mode %d: %" PRIu64 " entries over 64 rings of 4096 in %" PRIu64
			" ms\n", mode, total, now_ms() - t0);
		saio_client_close(&c);
	}
	return 0;
}

/* ---- allocation failures (debug kernel: fault injection) ---------------------------------- */

#define FI "/sys/kernel/debug/"
#define FI_BEGIN "saio-test: fault injection begins"
#define FI_END "saio-test: fault injection ends"

/* failslab and fail_page_alloc for tasks that ask for it (make-it-fail), at p percent. */
static int fault_injection(int percent)
{
	static const char *const which[] = { FI "failslab/", FI "fail_page_alloc/" };
	char path[200];
	unsigned int i;

	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%sprobability", which[i]);
		if (write_file(path, "%d", percent))
			return -1;
		snprintf(path, sizeof(path), "%sinterval", which[i]);
		write_file(path, "1");
		snprintf(path, sizeof(path), "%stimes", which[i]);
		write_file(path, "-1");
		snprintf(path, sizeof(path), "%sverbose", which[i]);
		write_file(path, "0");
		snprintf(path, sizeof(path), "%stask-filter", which[i]);
		write_file(path, "Y");
		snprintf(path, sizeof(path), "%signore-gfp-wait", which[i]);
		write_file(path, "N");
	}
	write_file(FI "fail_page_alloc/ignore-gfp-highmem", "N");
	write_file(FI "fail_page_alloc/min-order", "0");
	return 0;
}

/*
 * This thread's allocations fail (as configured) while on. The file is opened once, with
 * injection off: opening it with injection on could fail and leave it on for good.
 */
static void make_it_fail(int on)
{
	static __thread int fd = -1;

	if (fd < 0)
		fd = open("/proc/thread-self/make-it-fail", O_WRONLY | O_CLOEXEC);
	while (pwrite(fd, on ? "1" : "0", 1, 0) != 1 && !on && errno != EBADF)
		;
}

/*
 * Allocators and their helpers, as frames of an allocation warning's Call Trace: the
 * first frame that is none of them made the allocation.
 */
static bool alloc_frame(const char *fn)
{
	static const char *const pre[] = {
		"dump_stack", "warn_alloc", "__alloc_pages", "alloc_pages", "__get_free_pages",
		"get_zeroed_page", "__folio_alloc", "folio_alloc", "vma_alloc_folio",
		"alloc_slab_page", "allocate_slab", "new_slab", "___slab_alloc", "__slab_alloc",
		"slab_alloc", "kmem_cache_alloc", "__kmem_cache_alloc", "kmalloc", "__kmalloc",
		"kmalloc_", "kvmalloc", "__kvmalloc", "__vmalloc", "vmalloc", "vm_area_alloc",
		"__alloc_pages_bulk", "alloc_pages_bulk", "kzalloc", "kcalloc", "krealloc",
		"__kasan", "kasan_", "pte_alloc", "__pte_alloc", "pmd_alloc", "__pmd_alloc",
		"pud_alloc", "__pud_alloc", "p4d_alloc", "__p4d_alloc", "show_stack",
	};
	unsigned int i;

	for (i = 0; i < sizeof(pre) / sizeof(pre[0]); i++)
		if (!strncmp(fn, pre[i], strlen(pre[i])))
			return true;
	return false;
}

static int fi_begin(void)
{
	int k = kmsg_mark();

	write_file("/dev/kmsg", FI_BEGIN "\n");
	return k;
}

/*
 * Close the window and judge the kernel log inside it. Failed allocations elsewhere in
 * the kernel warn (a socket buffer, a page table: GFP_KERNEL without __GFP_NOWARN) and
 * are the injection doing its job; anything else is trouble: a report (KASAN, KFENCE,
 * lockdep, BUG, WARNING), an OOM kill, or an allocation warning whose allocating frame
 * is in saio.ko (ours must be quiet). init.sh's dmesg check skips these windows.
 */
static int fi_end(int k, char *why, size_t len, int *warnings)
{
	static const char *const bad[] = {
		"BUG:", "KASAN", "KFENCE", "suspected memory leak", "kmemleak_object",
		"detector disabled", "WARNING:", "possible circular", "possible recursive",
		"inconsistent lock", "suspicious RCU", "Oops", "general protection",
		"oom-kill", "invoked oom-killer", "soft lockup", "blocked for more than",
		"self-detected stall",
	};
	char rec[2048];
	int in_trace = 0, alloc_report = 0;
	unsigned int i;

	write_file("/dev/kmsg", FI_END "\n");
	*warnings = 0;
	for (;;) {
		ssize_t n = read(k, rec, sizeof(rec) - 1);
		char *msg, *nl;

		if (n < 0 && errno == EPIPE)
			continue;
		if (n <= 0)
			break;
		rec[n] = 0;
		msg = strchr(rec, ';') ? strchr(rec, ';') + 1 : rec;
		nl = strchr(msg, '\n');
		if (nl)
			*nl = 0;
		if (strstr(msg, FI_END))
			break;
		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
			if (strstr(msg, bad[i])) {
				snprintf(why, len, "%.200s", msg);
				close(k);
				return 1;
			}
		if (strstr(msg, "page allocation failure") || strstr(msg, "vmalloc error") ||
		    strstr(msg, "Unable to allocate")) {
			alloc_report = 1;
			in_trace = 0;
			(*warnings)++;
			continue;
		}
		if (alloc_report && strstr(msg, "Call Trace:")) {
			in_trace = 1;
			continue;
		}
		if (in_trace) {
			char *fn = msg;

			while (*fn == ' ')
				fn++;
			/* "? fn": a stale address on the stack, not a caller */
			if (*fn == '?' || *fn == '<' || !*fn || alloc_frame(fn))
				continue;
			if (strstr(fn, "[saio]")) {
				snprintf(why, len, "an allocation of saio.ko warned: %.200s", fn);
				close(k);
				return 1;
			}
			in_trace = alloc_report = 0;
		}
	}
	close(k);
	return 0;
}

/* Phase 1: SETUP and mmap, every allocation failing, then one in ten. */
static int fi_setups(int *ok, int *nomem)
{
	struct saio_setup p;
	int i, fd;

	CHECK(fault_injection(100) == 0, "no fault injection in this kernel");
	for (i = 0; i < 300; i++) {
		if (i == 20)
			fault_injection(10);
		fd = open(SAIO_DEVICE, O_RDWR);
		CHECK(fd >= 0, "open: %s", strerror(errno));
		memset(&p, 0, sizeof(p));
		p.sq_entries = 1u << (rnd() % 13);
		p.nr_rings = 1 + rnd() % SAIO_MAX_RINGS;
		if (rnd() % 2) {
			p.mode = SAIO_MODE_WORKER;
			p.nr_workers = 1 + rnd() % p.nr_rings;
		}
		make_it_fail(1);
		if (ioctl(fd, SAIO_IOC_SETUP, &p) == 0) {
			void *m;

			m = mmap(NULL, p.mmap_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
			make_it_fail(0);
			(*ok)++;
			CHECK(m != MAP_FAILED || errno == ENOMEM, "mmap: %s", strerror(errno));
			if (m != MAP_FAILED)
				munmap(m, p.mmap_bytes);
		} else {
			int e = errno;

			make_it_fail(0);
			CHECK(e == ENOMEM, "SETUP under fault injection: %s", strerror(e));
			(*nomem)++;
		}
		close(fd);
	}
	return 0;
}

static void *fi_worker(void *p)
{
	struct worker_arg *a = p;

	do {
		make_it_fail(1);
		a->ret = ioctl(a->c->fd, SAIO_IOC_WORKER, &a->w);
		a->err = errno;
		make_it_fail(0);
	} while ((a->ret < 0 && a->err == EINTR) || a->ret == SAIO_WORKER_AGAIN);
	return NULL;
}

/* Phase 2: entries of every kind, run with allocations failing at 5%. */
static int fi_ops(unsigned long *hist)
{
	static unsigned char buf[65536];
	struct iovec iov[20];
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };
	int p[2], u[2], t[2], f, round, mode;

	fault_injection(5);
	CHECK(pipe2(p, O_NONBLOCK) == 0 && socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, u)
	      == 0 && tcp_pair(&t[0], &t[1]) == 0, "fds");
	fcntl(t[0], F_SETFL, O_NONBLOCK);
	fcntl(t[1], F_SETFL, O_NONBLOCK);
	f = open("/tmp/fi-file", O_RDWR | O_CREAT | O_TRUNC, 0600);
	CHECK(f >= 0 && write(f, buf, sizeof(buf)) == sizeof(buf), "file");
	for (mode = 0; mode < 2; mode++) {
		struct worker_arg wa[2];
		struct saio_client c;
		pthread_t th[2];
		int nw = mode ? 2 : 0, i;

		CHECK(saio_client_open(&c, 64, 0, 2, nw, mode) == 0, "context");
		for (i = 0; i < nw; i++) {
			wa[i] = (struct worker_arg){ .c = &c, .w = { .index = i, .idle_us = 20 } };
			pthread_create(&th[i], NULL, fi_worker, &wa[i]);
		}
		for (round = 0; round < 400; round++) {
			struct saio_uring *r = &c.ring[rnd() % 2];
			struct saio_cqe cq[64];
			int n = 1 + rnd() % 16, got = 0, k;
			char sink[65536];

			for (i = 0; i < 20; i++)
				iov[i] = (struct iovec){ buf + i * 100, 1 + rnd() % 3000 };
			for (i = 0; i < n; i++) {
				int fds[] = { p[1], u[0], t[0], f };
				int fd = fds[rnd() % 4];
				struct saio_sqe *s;

				switch (rnd() % 7) {
				case 0:
					s = prep(r, SAIO_KOP_WRITE, fd, buf, rnd() % 65536,
						 SAIO_OFF_CURRENT, i);
					break;
				case 1:	/* more than UIO_FASTIOV segments: a kmalloc'ed vector */
					s = prep(r, SAIO_KOP_WRITEV, fd, iov, 1 + rnd() % 20,
						 rnd() % 2 ? SAIO_OFF_CURRENT : 0, i);
					break;
				case 2:
					s = prep(r, SAIO_KOP_SEND, rnd() % 2 ? u[0] : t[0], buf,
						 rnd() % 65536, 0, i);
					if (s)
						s->op_flags = MSG_NOSIGNAL;
					break;
				case 3:
					s = prep(r, SAIO_KOP_SENDMSG, rnd() % 2 ? u[0] : t[0], &mh,
						 0, 0, i);
					break;
				case 4:
					s = prep(r, SAIO_KOP_SENDFILE, rnd() % 2 ? p[1] : t[0], NULL,
						 rnd() % 65536, rnd() % 60000, i);
					if (s)
						s->fd_in = f;
					break;
				case 5:
					s = prep(r, SAIO_KOP_CLOSE, dup(u[1]), NULL, 0, 0, i);
					break;
				default:
					s = prep(r, SAIO_KOP_SETSOCKOPT, t[0], NULL, 0, rnd() % 2, i);
					if (s)
						s->op_flags = SAIO_SOCKOPT_NODELAY;
				}
				CHECK(s, "SQ full");
			}
			if (mode == SAIO_MODE_ENTER) {
				int left = n;

				while (left > 0) {
					make_it_fail(1);
					k = saio_submit(&c, r);
					make_it_fail(0);
					CHECK(k >= 0 || k == -EINTR, "ENTER: %s", strerror(-k));
					if (k > 0)
						left -= k;
				}
			} else {
				saio_submit(&c, r);
			}
			while (got < n) {
				int m = reap(&c, r, cq, 64);

				for (k = 0; k < m; k++) {
					int res = cq[k].res;

					hist[res >= 0 ? 0 : res == -ENOMEM ? 1 : res == -ENOBUFS ?
					     2 : res == -EAGAIN ? 3 : 4]++;
					CHECK(res >= 0 || res == -ENOMEM || res == -ENOBUFS ||
					      res == -EAGAIN || res == -EFAULT || res == -EPIPE ||
					      res == -EINTR || res == -EBADF || res == -EINVAL ||
					      res == -ESPIPE,
					      "unexpected result %d", res);
				}
				got += m;
				if (!m)
					CHECK(saio_wait_cqe(&c, r, 5000000) == 0 ||
					      saio_peek_cqe(r), "completion lost");
			}
			while (read(p[0], sink, sizeof(sink)) > 0)
				;
			while (read(u[1], sink, sizeof(sink)) > 0)
				;
			while (read(t[1], sink, sizeof(sink)) > 0)
				;
		}
		if (nw)
			TRY(stop_workers(&c, wa, th, nw));
		saio_client_close(&c);
		fprintf(stderr, "  entries under fault injection, mode %d: done\n", mode);
	}
	close(p[0]);
	close(p[1]);
	close(u[0]);
	close(u[1]);
	close(t[0]);
	close(t[1]);
	close(f);
	unlink("/tmp/fi-file");
	return 0;
}

int t_fault_injection(void)
{
	unsigned long hist[5] = { 0 };
	int k, ok = 0, nomem = 0, warnings = 0, ret;
	char why[300] = "";

	if (mount("none", "/sys/kernel/debug", "debugfs", 0, NULL) && errno != EBUSY)
		CHECK(0, "debugfs: %s", strerror(errno));
	/*
	 * Our own page faults must not meet the injection: a user fault whose allocation
	 * fails is retried for ever (VM_FAULT_OOM in the #PF handler). Everything is
	 * resident before injection starts, and stays so.
	 */
	make_it_fail(0);
	CHECK(mlockall(MCL_CURRENT) == 0, "mlockall: %s", strerror(errno));
	k = fi_begin();
	ret = fi_setups(&ok, &nomem);
	fprintf(stderr, "  SETUP under fault injection: %d set up, %d ENOMEM\n", ok, nomem);
	if (!ret)
		ret = fi_ops(hist);
	make_it_fail(0);
	fault_injection(0);
	CHECK(!fi_end(k, why, sizeof(why), &warnings), "kernel log: %s", why);
	if (ret)
		return ret;
	fprintf(stderr, "  entries: %lu ok, %lu ENOMEM, %lu ENOBUFS, %lu EAGAIN, %lu other "
		"errors; %d allocation warnings elsewhere in the kernel\n", hist[0], hist[1],
		hist[2], hist[3], hist[4], warnings);
	CHECK(nomem >= 20 && ok > 0, "fault injection did not bite SETUP (%d ok, %d ENOMEM)",
	      ok, nomem);
	CHECK(hist[1] + hist[2] > 0, "fault injection never failed an entry");
	return 0;
}
