// Test helper for cpu-accounting.test: burns a known amount of CPU in named threads, optionally
// through io_uring's own kernel threads, when told to, and reports what it burned as measured by
// the kernel's CPU clocks (an independent reading of the same counters /proc shows).
//
//   cpu-burn [-t THREADS] [-b BURN_MS] [-x EXIT_MS] [-q SQPOLL_NOPS] [-w IOWQ_MB]
//
// Prints "ready" once set up (the io_uring ring and its SQPOLL thread exist by then), waits for a
// line on stdin, then: THREADS threads named burn-N each burn BURN_MS of their own CPU time; one
// thread named exiter burns EXIT_MS and exits (its time then lives only in the process total);
// with -q, SQPOLL_NOPS NOPs go through an SQPOLL ring, so its iou-sqp thread works (and spins
// between batches); with -w, IOWQ_MB MiB are read from /dev/zero with IOSQE_ASYNC, so iou-wrk workers do
// the copying. Then it prints "done process_cpu_ms=… burn_ms=…" and waits for stdin to close.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static long burn_ms = 300;

static double cpu_ms(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void burn(long ms)
{
	double end = cpu_ms(CLOCK_THREAD_CPUTIME_ID) + ms;
	volatile unsigned long x = 0;

	while (cpu_ms(CLOCK_THREAD_CPUTIME_ID) < end)
		for (int i = 0; i < 10000; i++)
			x += i;
}

struct job {
	char name[16];
	long ms;
	double used_ms;
};

static void *run(void *arg)
{
	struct job *j = arg;

	pthread_setname_np(pthread_self(), j->name);
	burn(j->ms);
	j->used_ms = cpu_ms(CLOCK_THREAD_CPUTIME_ID);
	return NULL;
}

static void die(const char *what, int err)
{
	fprintf(stderr, "cpu-burn: %s: %s\n", what, strerror(err));
	exit(1);
}

int main(int argc, char **argv)
{
	int threads = 2, opt, ret;
	long exit_ms = 0, sqpoll_nops = 0, iowq_mb = 0;
	struct io_uring sq_ring, wq_ring;
	char line[64];

	while ((opt = getopt(argc, argv, "t:b:x:q:w:")) != -1) {
		switch (opt) {
		case 't': threads = atoi(optarg); break;
		case 'b': burn_ms = atol(optarg); break;
		case 'x': exit_ms = atol(optarg); break;
		case 'q': sqpoll_nops = atol(optarg); break;
		case 'w': iowq_mb = atol(optarg); break;
		default: return 2;
		}
	}
	if (sqpoll_nops) {
		struct io_uring_params p = { .flags = IORING_SETUP_SQPOLL, .sq_thread_idle = 20 };

		ret = io_uring_queue_init_params(8, &sq_ring, &p);
		if (ret < 0)
			die("io_uring SQPOLL setup", -ret);
	}
	if (iowq_mb) {
		ret = io_uring_queue_init(8, &wq_ring, 0);
		if (ret < 0)
			die("io_uring setup", -ret);
	}
	printf("ready\n");
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return 0;

	double start = cpu_ms(CLOCK_PROCESS_CPUTIME_ID);
	struct job *jobs = calloc(threads + 1, sizeof(*jobs));
	pthread_t *tids = calloc(threads + 1, sizeof(*tids));
	int n = 0;

	for (int i = 0; i < threads; i++, n++) {
		snprintf(jobs[n].name, sizeof(jobs[n].name), "burn-%d", i);
		jobs[n].ms = burn_ms;
		pthread_create(&tids[n], NULL, run, &jobs[n]);
	}
	if (exit_ms) {
		snprintf(jobs[n].name, sizeof(jobs[n].name), "exiter");
		jobs[n].ms = exit_ms;
		pthread_create(&tids[n], NULL, run, &jobs[n]);
		n++;
	}
	if (sqpoll_nops) {
		/* NOPs in batches of 8 through the SQPOLL ring: the iou-sqp thread does the work. */
		for (long done = 0; done < sqpoll_nops; done += 8) {
			for (int k = 0; k < 8; k++) {
				struct io_uring_sqe *sqe;

				/*
				 * The SQ thread posts a NOP's completion before it
				 * publishes the new SQ head, so a slot seen free by
				 * the CQE may not be free yet: wait for it.
				 */
				while (!(sqe = io_uring_get_sqe(&sq_ring)))
					io_uring_sqring_wait(&sq_ring);
				io_uring_prep_nop(sqe);
			}
			io_uring_submit(&sq_ring);
			for (int k = 0; k < 8; k++) {
				struct io_uring_cqe *cqe;

				ret = io_uring_wait_cqe(&sq_ring, &cqe);
				if (ret < 0)
					die("SQPOLL nop", -ret);
				io_uring_cqe_seen(&sq_ring, cqe);
			}
		}
	}
	if (iowq_mb) {
		int fd = open("/dev/zero", O_RDONLY);
		size_t chunk = 1 << 20;
		char *buf = malloc(chunk * 4);

		if (fd < 0 || !buf)
			die("/dev/zero", errno);
		for (long done = 0; done < iowq_mb; done += 4) {
			for (int k = 0; k < 4; k++) {
				struct io_uring_sqe *sqe = io_uring_get_sqe(&wq_ring);

				io_uring_prep_read(sqe, fd, buf + k * chunk, chunk, 0);
				sqe->flags |= IOSQE_ASYNC;
			}
			io_uring_submit(&wq_ring);
			for (int k = 0; k < 4; k++) {
				struct io_uring_cqe *cqe;

				ret = io_uring_wait_cqe(&wq_ring, &cqe);
				if (ret < 0 || cqe->res < 0)
					die("async read", ret < 0 ? -ret : -cqe->res);
				io_uring_cqe_seen(&wq_ring, cqe);
			}
		}
		close(fd);
		free(buf);
	}
	double burnt = 0;

	for (int i = 0; i < n; i++) {
		pthread_join(tids[i], NULL);
		burnt += jobs[i].used_ms;
	}
	printf("done process_cpu_ms=%.1f burn_ms=%.1f\n", cpu_ms(CLOCK_PROCESS_CPUTIME_ID) - start, burnt);
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin))
		;
	return 0;
}
