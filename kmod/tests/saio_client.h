/* SPDX-License-Identifier: MIT */
/*
 * Reference client of /dev/saio: how a user-space library drives the device.
 * Header only; the test programs use it, and README.md walks through it.
 *
 * Memory ordering (the kernel side is described in kmod/saio_main.c):
 *   U1 publish sq_tail with a store-release after writing the SQEs
 *   U2 read sq_head with a load-acquire before reusing SQE slots
 *   U3 read cq_tail with a load-acquire before reading CQEs
 *   U4 publish cq_head with a store-release after reading CQEs
 *   U5 a full fence between publishing sq_tail (or cq_head) and reading
 *      hdr->flags for NEED_WAKEUP; pairs with the worker's smp_mb() (K5)
 */
#ifndef SAIO_CLIENT_H
#define SAIO_CLIENT_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/saio.h>

struct saio_uring {
	struct saio_ring_hdr *hdr;
	struct saio_sqe *sqes;
	struct saio_cqe *cqes;
	uint32_t sq_mask, sq_entries;
	uint32_t cq_mask, cq_entries;
	uint32_t sq_tail;	/* local: entries prepared, not yet published */
	uint32_t index;
};

struct saio_client {
	int fd;
	uint32_t mode;
	void *mem;
	size_t mem_bytes;
	struct saio_setup p;
	struct saio_uring ring[SAIO_MAX_RINGS];
};

#define saio_load_acquire(p)	__atomic_load_n((p), __ATOMIC_ACQUIRE)
#define saio_store_release(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)

/* Open, set up and map a context. Returns 0 or -errno. */
static inline int saio_client_open(struct saio_client *c, uint32_t sq_entries,
				   uint32_t cq_entries, uint32_t nr_rings,
				   uint32_t nr_workers, uint32_t mode)
{
	uint32_t i;
	int err;

	memset(c, 0, sizeof(*c));
	c->fd = open(SAIO_DEVICE, O_RDWR | O_CLOEXEC);
	if (c->fd < 0)
		return -errno;
	c->p.sq_entries = sq_entries;
	c->p.cq_entries = cq_entries;
	c->p.nr_rings = nr_rings;
	c->p.nr_workers = nr_workers;
	c->p.mode = mode;
	c->mode = mode;
	if (ioctl(c->fd, SAIO_IOC_SETUP, &c->p) < 0)
		goto fail;
	c->mem_bytes = c->p.mmap_bytes;
	c->mem = mmap(NULL, c->mem_bytes, PROT_READ | PROT_WRITE, MAP_SHARED,
		      c->fd, 0);
	if (c->mem == MAP_FAILED)
		goto fail;
	for (i = 0; i < nr_rings; i++) {
		char *base = (char *)c->mem + (size_t)i * c->p.ring_bytes;
		struct saio_uring *r = &c->ring[i];

		r->hdr = (struct saio_ring_hdr *)base;
		r->sqes = (struct saio_sqe *)(base + c->p.sq_off);
		r->cqes = (struct saio_cqe *)(base + c->p.cq_off);
		r->sq_entries = c->p.sq_entries;
		r->sq_mask = c->p.sq_entries - 1;
		r->cq_entries = c->p.cq_entries;
		r->cq_mask = c->p.cq_entries - 1;
		r->sq_tail = r->hdr->sq_tail;
		r->index = i;
	}
	return 0;
fail:
	err = -errno;
	close(c->fd);
	c->fd = -1;
	return err;
}

static inline void saio_client_close(struct saio_client *c)
{
	if (c->mem && c->mem != MAP_FAILED)
		munmap(c->mem, c->mem_bytes);
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->mem = NULL;
}

/* A free SQE to fill (zeroed), or NULL when the SQ is full. */
static inline struct saio_sqe *saio_get_sqe(struct saio_uring *r)
{
	/* U2: slots before sq_head have been copied by the kernel */
	uint32_t head = saio_load_acquire(&r->hdr->sq_head);
	struct saio_sqe *sqe;

	if (r->sq_tail - head >= r->sq_entries)
		return NULL;
	sqe = &r->sqes[r->sq_tail & r->sq_mask];
	memset(sqe, 0, sizeof(*sqe));
	r->sq_tail++;
	return sqe;
}

/* Wake the ring's worker if it went to sleep (worker mode). */
static inline int saio_wake_if_needed(struct saio_client *c, struct saio_uring *r)
{
	struct saio_wake w = { .ring = r->index };

	/* U5: the index we just published is visible before we read flags (pairs with K5) */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!(__atomic_load_n(&r->hdr->flags, __ATOMIC_RELAXED) & SAIO_RING_NEED_WAKEUP))
		return 0;
	return ioctl(c->fd, SAIO_IOC_WAKE, &w) < 0 ? -errno : 1;
}

/*
 * Publish the prepared SQEs. ENTER mode: run them now on this thread.
 * Worker mode: wake the worker if it sleeps. Returns entries consumed
 * (ENTER), 0/1 (worker: 1 if a wake-up was needed), or -errno.
 */
static inline int saio_submit(struct saio_client *c, struct saio_uring *r)
{
	/* U1: the SQE contents are visible before the tail that publishes them */
	saio_store_release(&r->hdr->sq_tail, r->sq_tail);
	if (c->mode == SAIO_MODE_ENTER) {
		struct saio_enter e = { .ring = r->index };
		int n = ioctl(c->fd, SAIO_IOC_ENTER, &e);

		return n < 0 ? -errno : n;
	}
	return saio_wake_if_needed(c, r);
}

/* The oldest unread completion, or NULL. */
static inline struct saio_cqe *saio_peek_cqe(struct saio_uring *r)
{
	uint32_t head = r->hdr->cq_head;
	/* U3: the CQE is read after the tail that published it */
	uint32_t tail = saio_load_acquire(&r->hdr->cq_tail);

	return head == tail ? NULL : &r->cqes[head & r->cq_mask];
}

/* Hand n completion slots back to the kernel. */
static inline void saio_cq_advance(struct saio_client *c, struct saio_uring *r,
				   uint32_t n)
{
	/* U4: we are done reading the CQEs before the kernel may overwrite them */
	saio_store_release(&r->hdr->cq_head, r->hdr->cq_head + n);
	/*
	 * A worker that stopped on a full CQ sleeps until woken; the same
	 * fence-then-flags check as after a submission (U5) covers it. Only
	 * published entries it has not consumed can need that.
	 */
	if (c->mode == SAIO_MODE_WORKER &&
	    r->hdr->sq_tail != saio_load_acquire(&r->hdr->sq_head))
		saio_wake_if_needed(c, r);
}

/* Block until a completion is there. Returns 0, -ETIMEDOUT, -EINTR, ... */
static inline int saio_wait_cqe(struct saio_client *c, struct saio_uring *r,
				uint32_t timeout_us)
{
	struct saio_wait w = { .ring = r->index, .timeout_us = timeout_us };

	return ioctl(c->fd, SAIO_IOC_WAIT, &w) < 0 ? -errno : 0;
}

#endif /* SAIO_CLIENT_H */
