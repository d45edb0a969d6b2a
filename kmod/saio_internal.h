/* SPDX-License-Identifier: GPL-2.0 */
/*
 * State shared by the files of saio.ko.
 */
#ifndef SAIO_INTERNAL_H
#define SAIO_INTERNAL_H

#include <linux/atomic.h>
#include <linux/mm_types.h>
#include <linux/eventfd.h>
#include <linux/mutex.h>
#include <linux/pid.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>

#include "include/uapi/linux/saio.h"

/* Counters of one ring, written only by the ring's consumer. */
struct saio_ring_counters {
	u64 submitted;
	u64 completed;
	u64 errors;
	u64 enters;
	u64 cq_full;
	u64 bad_tail;
};

struct saio_ring {
	/* shared with user space: never trusted */
	struct saio_ring_hdr *hdr;
	struct saio_sqe *sqes;
	struct saio_cqe *cqes;

	/* private copies of the indexes this side owns */
	u32 sq_head;
	u32 cq_tail;		/* also read by SAIO_IOC_WAIT: READ_ONCE */
	u32 index;
	bool link_cancel;	/* a LINK chain failed: cancel until its end */
	bool cq_stalled;	/* stopped on a full CQ, not counted again */
	bool tail_bad;		/* sq_tail implausible, not counted again */

	struct mutex lock;	/* one consumer at a time in SAIO_MODE_ENTER */
	wait_queue_head_t cq_wait;	/* SAIO_IOC_WAIT sleepers */
	struct eventfd_ctx *evfd;	/* SAIO_IOC_EVENTFD: set once, put at release */

	struct pid *bound_pid;	/* SAIO_IOC_BIND's thread (ctx->pid_lock) */
	int bound_cpu;

	struct saio_ring_counters cnt;
	atomic64_t wakes;
};

struct saio_worker_slot {
	bool busy;		/* a thread is in SAIO_IOC_WORKER (ctx->lock) */
	wait_queue_head_t wq;	/* where it sleeps */
	struct pid *pid;	/* that thread (ctx->pid_lock) */
	u32 state;		/* SAIO_WSTATE_* */
	int cpu;
	int pinned_cpu;
	u32 nr_rings;
	u64 ops;
	u64 sleeps;
	u64 wakeups;
};

/* Ring memory: accounted pages, one kernel mapping (saio_mem.c). */
struct saio_mem {
	struct page **pages;
	unsigned long nr_pages;
	void *vaddr;
};

struct saio_user;

struct saio_ctx {
	struct mutex lock;	/* setup and worker slots */
	/*
	 * The struct pids of workers and bound threads, turned into numbers of the
	 * asking process's pid namespace (pid_vnr) only when STATS/WORKER_INFO ask.
	 */
	spinlock_t pid_lock;
	bool ready;		/* setup done: smp_store_release/smp_load_acquire */
	bool stopping;		/* SAIO_WAKE_STOP: sticky */

	u32 mode;
	u32 op_mask;		/* SAIO_OP_BIT()s allowed, fixed at SETUP */
	u32 sq_entries, sq_mask;
	u32 cq_entries, cq_mask;
	u32 nr_rings, nr_workers;
	u32 ring_bytes;
	struct saio_mem mem;	/* all rings */
	struct saio_user *user;	/* the uid it counts against (saio_limits.c) */

	struct saio_ring *rings;
	struct saio_worker_slot *workers;
	struct pid *owner;	/* thread group that set the context up */
	struct mm_struct *mm;	/* its address space then (mmgrab) */
	const struct cred *cred;	/* its credentials then */
};

/*
 * saio_ops.c: run one entry (an opcode outside @op_mask: -EACCES), return its result
 * (-errno on failure).
 */
s32 saio_exec_sqe(const struct saio_sqe *sqe, u32 op_mask, bool *full);

/* saio_mem.c */
int saio_mem_alloc(struct saio_mem *m, size_t bytes);
void saio_mem_free(struct saio_mem *m);
int saio_mem_mmap(struct saio_mem *m, struct vm_area_struct *vma);

/* saio_limits.c */
int saio_may_open(void);
int saio_limit_bytes(size_t bytes);
int saio_user_charge(struct saio_user **out);
void saio_user_uncharge(struct saio_user *u);

#endif /* SAIO_INTERNAL_H */
