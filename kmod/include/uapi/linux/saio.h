/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * User/kernel interface of the SAIO device (/dev/saio).
 *
 * One open of /dev/saio is one context: SAIO_IOC_SETUP gives it nr_rings
 * rings, each a submission queue (SQ) of struct saio_sqe and a completion
 * queue (CQ) of struct saio_cqe, in memory allocated by the kernel and
 * mapped with mmap(). The layout of ring i inside the mapping:
 *
 *   i * ring_bytes + 0            struct saio_ring_hdr (indexes and flags)
 *   i * ring_bytes + sq_off       struct saio_sqe sqes[sq_entries]
 *   i * ring_bytes + cq_off       struct saio_cqe cqes[cq_entries]
 *
 * ring_bytes, sq_off and cq_off are returned by SAIO_IOC_SETUP (they are
 * also fixed by the formulas below, SAIO_RING_SQ_OFF and so on).
 *
 * Indexes are free running __u32 counters; an index is turned into a slot
 * with "index & (entries - 1)"; entries are powers of two. The SQ is
 * produced by user space (it writes sq_tail) and consumed by the kernel (it
 * writes sq_head); the CQ is produced by the kernel (cq_tail) and consumed
 * by user space (cq_head). Each side publishes its own index with a store
 * release and reads the other side's with a load acquire (see README.md for
 * the exact pairing). The kernel never trusts what it reads from the shared
 * memory: it keeps its own copy of sq_head and cq_tail, reads every SQE
 * field once, and treats a bad tail or head as documented below.
 *
 * This header is shared by the kernel module (kmod/) and user-space
 * libraries (preload/); it has no other definition.
 */
#ifndef _UAPI_LINUX_SAIO_H
#define _UAPI_LINUX_SAIO_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define SAIO_DEVICE		"/dev/saio"
#define SAIO_ABI_VERSION	2	/* 2: SAIO_IOC_WORKER may return SAIO_WORKER_AGAIN */

/* Limits (SAIO_IOC_SETUP returns -EINVAL outside them). */
#define SAIO_MAX_SQ_ENTRIES	4096
#define SAIO_MAX_CQ_ENTRIES	8192
#define SAIO_MAX_RINGS		64
#define SAIO_MAX_WORKERS	SAIO_MAX_RINGS
#define SAIO_MAX_IDLE_US	1000000
#define SAIO_DEFAULT_IDLE_US	200

/* ---- submission queue entry: 64 bytes ------------------------------------ */

enum saio_kop {
	SAIO_KOP_NOP = 0,	/* res = 0 */
	SAIO_KOP_WRITE,		/* write(fd, addr, len) or pwrite at off */
	SAIO_KOP_WRITEV,		/* writev(fd, (iovec *)addr, len) or pwritev */
	SAIO_KOP_SEND,		/* send(fd, addr, len, op_flags) */
	SAIO_KOP_SENDMSG,	/* sendmsg(fd, (msghdr *)addr, op_flags) */
	SAIO_KOP_SENDFILE,	/* sendfile(fd, fd_in, off, len) */
	SAIO_KOP_CLOSE,		/* close(fd) */
	SAIO_KOP_SHUTDOWN,	/* shutdown(fd, op_flags) */
	SAIO_KOP_SETSOCKOPT,	/* TCP_CORK/TCP_NODELAY: see below */
	SAIO_KOP_LAST		/* first invalid opcode */
};

/* sqe->flags */
#define SAIO_SQE_LINK		(1U << 0)	/* next entry runs only if this one fully succeeds */
#define SAIO_SQE_FLAGS_ALL	SAIO_SQE_LINK

/* sqe->off for WRITE, WRITEV and SENDFILE: use and advance the file position */
#define SAIO_OFF_CURRENT	((__u64)-1)

/*
 * Field use per opcode (fields an opcode does not use are ignored; the
 * __pad and __resv fields must be zero, else the entry fails with -EINVAL):
 *
 *   WRITE      fd, addr = buffer, len = bytes, off (or SAIO_OFF_CURRENT)
 *   WRITEV     fd, addr = struct iovec[], len = iovcnt, off
 *   SEND       fd, addr = buffer, len = bytes, op_flags = MSG_* flags
 *   SENDMSG    fd, addr = struct msghdr (msg_name as sendmsg(2) takes it;
 *              msg_control must be NULL/0: no ancillary data), op_flags
 *   SENDFILE   fd = out, fd_in = in, off = in offset (or SAIO_OFF_CURRENT),
 *              len = bytes
 *   CLOSE      fd
 *   SHUTDOWN   fd, op_flags = SHUT_RD/SHUT_WR/SHUT_RDWR
 *   SETSOCKOPT fd, op_flags = SAIO_SOCKOPT_*, off = int value
 *
 * A byte operation completes with what the underlying call returned: a
 * short count is not retried (the library resubmits the rest).
 */
struct saio_sqe {
	__u8	opcode;		/* enum saio_kop */
	__u8	flags;		/* SAIO_SQE_* */
	__u16	__pad0;		/* must be zero */
	__s32	fd;		/* target descriptor */
	__u64	off;		/* file offset or value */
	__u64	addr;		/* user pointer */
	__u32	len;		/* byte count or vector count */
	__u32	op_flags;	/* MSG_* flags, shutdown how, ... */
	__u64	user_data;	/* copied to the completion */
	__s32	fd_in;		/* SENDFILE source descriptor */
	__u32	__pad1;		/* must be zero */
	__u64	__resv[2];	/* must be zero */
};

/* op_flags of SAIO_KOP_SETSOCKOPT: setsockopt(fd, SOL_TCP, ..., off != 0) */
#define SAIO_SOCKOPT_CORK	1	/* TCP_CORK = off != 0 */
#define SAIO_SOCKOPT_NODELAY	2	/* TCP_NODELAY = off != 0 */

/* ---- completion queue entry: 16 bytes ------------------------------------ */

struct saio_cqe {
	__u64	user_data;	/* from the SQE */
	__s32	res;		/* result, or -errno */
	__u32	flags;		/* SAIO_CQE_* */
};

/* cqe->flags */
#define SAIO_CQE_CANCELED_LINK	(1U << 0)	/* res is -ECANCELED: an earlier link failed */

/* ---- ring header: at offset 0 of each ring ------------------------------- */

/*
 * Each index lives on its own 64-byte line so that the two sides do not
 * share a cache line they both write. Who writes what:
 *   sq_head   kernel  (entries consumed; slots before it may be reused)
 *   sq_tail   user    (entries published)
 *   cq_head   user    (completions reaped; slots before it may be reused)
 *   cq_tail   kernel  (completions published)
 *   flags     kernel  (SAIO_RING_*)
 *   the rest  kernel, informational (user space may read them)
 */
struct saio_ring_hdr {
	__u32	sq_head;
	__u32	__pad0[15];
	__u32	sq_tail;
	__u32	__pad1[15];
	__u32	cq_head;
	__u32	__pad2[15];
	__u32	cq_tail;
	__u32	flags;
	__u32	cq_overflow;	/* times consumption stopped on a full CQ */
	__u32	sq_bad_tail;	/* times sq_tail was found more than sq_entries ahead */
	__u32	sq_entries;
	__u32	cq_entries;
	__u32	sq_mask;
	__u32	cq_mask;
	__u32	ring_index;
	__u32	__pad3[7];
};

/* hdr->flags */
#define SAIO_RING_NEED_WAKEUP	(1U << 0)	/* worker sleeps: SAIO_IOC_WAKE after submitting */
#define SAIO_RING_CQ_FULL	(1U << 1)	/* the kernel stopped: reap, then ENTER/WAKE */

#define SAIO_RING_SQ_OFF		sizeof(struct saio_ring_hdr)
#define SAIO_RING_CQ_OFF(sq_entries)	(SAIO_RING_SQ_OFF + \
					 (sq_entries) * sizeof(struct saio_sqe))

/* ---- ioctls ---------------------------------------------------------------- */

/* saio_setup.mode */
#define SAIO_MODE_ENTER		0	/* threads run their own entries (SAIO_IOC_ENTER) */
#define SAIO_MODE_WORKER	1	/* worker threads drain the rings (SAIO_IOC_WORKER) */

/* saio_setup.flags */
#define SAIO_SETUP_OP_MASK	(1U << 0)	/* only the opcodes in op_mask may run */
#define SAIO_SETUP_FLAGS_ALL	SAIO_SETUP_OP_MASK

/* A bit of saio_setup.op_mask: opcode op may run in this context. */
#define SAIO_OP_BIT(op)		(1U << (op))

struct saio_setup {
	/* in */
	__u32	sq_entries;	/* power of two, 1..SAIO_MAX_SQ_ENTRIES */
	__u32	cq_entries;	/* 0: 2 * sq_entries; else a power of two >= sq_entries */
	__u32	nr_rings;	/* M: 1..SAIO_MAX_RINGS */
	__u32	nr_workers;	/* N: MODE_WORKER 1..nr_rings; MODE_ENTER 0 */
	__u32	mode;		/* SAIO_MODE_* */
	__u32	flags;		/* SAIO_SETUP_* */
	__u32	op_mask;	/*
				 * SAIO_SETUP_OP_MASK: SAIO_OP_BIT()s of the opcodes
				 * allowed, fixed for the context's life (others
				 * complete with -EACCES); without the flag: zero
				 */
	__u32	__resv_in;	/* must be zero */
	/* out */
	__u32	abi_version;	/* SAIO_ABI_VERSION */
	__u32	sq_off;		/* offsets inside one ring */
	__u32	cq_off;
	__u32	ring_bytes;	/* stride between rings, a multiple of the page size */
	__u64	mmap_bytes;	/* nr_rings * ring_bytes: map this at offset 0 */
	__u32	__resv_out[2];
};

struct saio_enter {
	__u32	ring;		/* ring index */
	__u32	to_submit;	/* at most this many entries; 0: all published */
	__u32	flags;		/* must be zero */
	__u32	__resv;		/* must be zero */
};

/*
 * SAIO_IOC_WORKER returns this (not an error) when the thread must go back to user
 * space so that work the kernel queued for it there can run: the final release of a
 * file a CLOSE entry dropped (the socket's FIN, the port, locks, the space of deleted
 * files), CPU-timer expiry. Call SAIO_IOC_WORKER again.
 */
#define SAIO_WORKER_AGAIN	1

/* saio_worker.flags */
#define SAIO_WORKER_LOCALIZE	(1U << 0)	/* pin next to the CPU of the thread bound to its ring */
#define SAIO_WORKER_PIN		(1U << 1)	/* pin to saio_worker.cpu */

struct saio_worker {
	__u32	index;		/* worker index 0..nr_workers-1: drains rings r with r % nr_workers == index */
	__u32	flags;		/* SAIO_WORKER_* */
	__u32	idle_us;	/* spin this long on empty rings before sleeping; 0: default */
	__s32	cpu;		/* SAIO_WORKER_PIN: CPU number; LOCALIZE: offset added to the CPU */
	__u32	__resv[4];	/* must be zero */
};

/* saio_wake.flags */
#define SAIO_WAKE_ALL		(1U << 0)	/* wake every worker (ring is ignored) */
#define SAIO_WAKE_STOP		(1U << 1)	/* tear down: workers leave, ENTER/WORKER fail with -ESHUTDOWN */

struct saio_wake {
	__u32	ring;
	__u32	flags;
};

struct saio_bind {
	__u32	ring;		/* the calling thread submits to this ring */
	__u32	flags;		/* must be zero */
};

struct saio_wait {
	__u32	ring;
	__u32	timeout_us;	/* 0: do not sleep */
};

/*
 * An eventfd the kernel signals after it posted completions to the ring
 * (once per batch of entries it ran). For WORKER mode: a thread sleeping
 * in epoll_wait learns that completions arrived. Registered once per ring
 * for the context's lifetime: a second registration is -EBUSY.
 */
struct saio_eventfd {
	__u32	ring;
	__s32	fd;		/* an eventfd of the caller */
};

/* A ring's counters (kept in the kernel, not in the shared memory). */
struct saio_ring_stats {
	__u32	ring;		/* in */
	__u32	worker;		/* out: index of the worker that serves it, or ~0 */
	__s32	bound_tid;	/* thread that called SAIO_IOC_BIND, or 0 (as for tid below) */
	__s32	bound_cpu;	/* its CPU at that time, or -1 */
	__u64	submitted;	/* SQEs consumed */
	__u64	completed;	/* CQEs posted */
	__u64	errors;		/* CQEs with res < 0 */
	__u64	enters;		/* SAIO_IOC_ENTER calls */
	__u64	cq_full;	/* times consumption stopped on a full CQ */
	__u64	bad_tail;	/* times sq_tail was invalid */
	__u64	wakes;		/* SAIO_IOC_WAKE calls for it */
};

/* saio_worker_info.state */
#define SAIO_WSTATE_OFF		0	/* no thread in SAIO_IOC_WORKER for this index */
#define SAIO_WSTATE_RUNNING	1	/* executing entries */
#define SAIO_WSTATE_SPINNING	2	/* polling empty rings */
#define SAIO_WSTATE_SLEEPING	3	/* NEED_WAKEUP set, asleep */

struct saio_worker_info {
	__u32	index;		/* in */
	__u32	state;		/* out: SAIO_WSTATE_* */
	__s32	tid;		/* thread id in the caller's pid namespace; 0 if off or not visible there */
	__s32	cpu;		/* CPU it last ran on, -1 if never */
	__s32	pinned_cpu;	/* CPU it is pinned to, -1 if not pinned */
	__u32	nr_rings;	/* rings it serves */
	__u64	ops;		/* entries executed */
	__u64	sleeps;		/* times it went to sleep */
	__u64	wakeups;	/* times it was woken */
};

#define SAIO_IOC_MAGIC		0xB5

#define SAIO_IOC_SETUP		_IOWR(SAIO_IOC_MAGIC, 0x01, struct saio_setup)
#define SAIO_IOC_ENTER		_IOW(SAIO_IOC_MAGIC, 0x02, struct saio_enter)
#define SAIO_IOC_WORKER		_IOW(SAIO_IOC_MAGIC, 0x03, struct saio_worker)
#define SAIO_IOC_WAKE		_IOW(SAIO_IOC_MAGIC, 0x04, struct saio_wake)
#define SAIO_IOC_STATS		_IOWR(SAIO_IOC_MAGIC, 0x05, struct saio_ring_stats)
#define SAIO_IOC_WORKER_INFO	_IOWR(SAIO_IOC_MAGIC, 0x06, struct saio_worker_info)
#define SAIO_IOC_BIND		_IOW(SAIO_IOC_MAGIC, 0x07, struct saio_bind)
#define SAIO_IOC_WAIT		_IOW(SAIO_IOC_MAGIC, 0x08, struct saio_wait)
#define SAIO_IOC_EVENTFD	_IOW(SAIO_IOC_MAGIC, 0x09, struct saio_eventfd)

#endif /* _UAPI_LINUX_SAIO_H */
