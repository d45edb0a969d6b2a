/* SPDX-License-Identifier: MIT */
/*
 * What the files of the guest test program share: the CHECK/TRY convention (a test returns
 * 0 or -1 with fail_msg set), the helpers around a context (saio_test.c) and the tests
 * the other files define for the registry in saio_test.c.
 *
 *   saio_test.c         registry, main, the original cases and the fuzz loop
 *   saio_isolation.c    who may use a context: mm, creds, fork, exec, SCM_RIGHTS, pid
 *                       namespaces, f_mode, the group parameter, the op mask
 *   saio_diff.c         every op against the system call it stands for, case by case
 *   saio_fuzz_procs.c   the fuzz of what crosses processes (fork, SCM_RIGHTS, exec, a
 *                       second mapper), the largest contexts, fault injection
 *   saio_resources.c    what a context may take: accounted ring memory, per-user and
 *                       per-context caps, CPUs outside the caller's affinity or cpuset
 */
#ifndef SAIO_TEST_H
#define SAIO_TEST_H

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "saio_client.h"

extern char fail_msg[512];

#define CHECK(cond, ...) do {						\
	if (!(cond)) {							\
		snprintf(fail_msg, sizeof(fail_msg), __VA_ARGS__);	\
		fprintf(stderr, "  %s:%d: check failed: %s\n",		\
			__FILE__, __LINE__, #cond);			\
		return -1;						\
	}								\
} while (0)

#define TRY(expr) do { if ((expr) < 0) return -1; } while (0)

extern uint64_t rng_state;
uint64_t now_ms(void);
uint64_t now_us(void);
uint64_t rnd(void);
void fill_pattern(unsigned char *b, size_t n, unsigned int seed);
ssize_t read_full(int fd, void *buf, size_t n);
void noop_handler(int sig);

int open_ctx(struct saio_client *c, uint32_t sq, uint32_t nr_rings,
	     uint32_t nr_workers, uint32_t mode);
int reap(struct saio_client *c, struct saio_uring *r, struct saio_cqe *out, int max);
int run_batch(struct saio_client *c, struct saio_uring *r, struct saio_cqe *out, int n);
struct saio_sqe *prep(struct saio_uring *r, uint8_t op, int fd, const void *addr,
		      uint32_t len, uint64_t off, uint64_t ud);
int one(struct saio_client *c, uint8_t op, int fd, const void *addr, uint32_t len,
	uint64_t off, uint32_t op_flags, int fd_in, int *res);
int tcp_pair(int *client, int *server);

struct worker_arg {
	struct saio_client *c;
	struct saio_worker w;
	int ret, err;
};

void *worker_main(void *p);
int start_workers(struct saio_client *c, struct worker_arg *wa, pthread_t *th, int n,
		  uint32_t idle_us);
int stop_workers(struct saio_client *c, struct worker_arg *wa, pthread_t *th, int n);
int wait_worker_up(struct saio_client *c, uint32_t index, int *tid);

/* saio_isolation.c / saio_resources.c helpers other files use */
int write_file(const char *path, const char *fmt, ...);
int read_u64_file(const char *path, const char *key, uint64_t *out);
int cgroup_root(void);
int kmsg_mark(void);
int kmsg_trouble(int fd, char *why, size_t len);
int send_fd(int sock, int fd);
int recv_fd(int sock);

/* true on the debug kernel (run-debug.sh passes saio_debug=1; init.sh exports it) */
bool debug_kernel(void);

/* Test cases outside saio_test.c (registered there). */
int t_worker_close_eof(void);
int t_worker_close_listener(void);
int t_owner_scm_rights(void);
int t_owner_fork_mapping(void);
int t_owner_exec(void);
int t_owner_creds(void);
int t_pidns_tids(void);
int t_fmode(void);
int t_group_param(void);
int t_op_mask(void);
int t_ring_memory_accounted(void);
int t_user_context_cap(void);
int t_pin_outside_affinity(void);
int t_pin_outside_cpuset(void);
int t_diff_ops(void);
int t_fuzz_procs(void);
int t_max_contexts(void);
int t_fault_injection(void);
int exec_probe(int argc, char **argv);

#endif /* SAIO_TEST_H */
