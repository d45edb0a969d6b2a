/* SPDX-License-Identifier: MIT */
/* loop.h - one generator thread: its own epoll loop over its share of the connections.
 *
 * A thread runs three steps, with the main thread between them (two barriers):
 *   thread_setup: connect every connection (and for redis/memcached write each owned key once);
 *   -- main checks every thread's setup, fixes t0 and the window, releases the threads --
 *   thread_run:   offer the load until the window ends, await in-flight responses (bounded),
 *                 count what remains as timeouts and close the connections. */
#ifndef SAIO_LOAD_LOOP_H
#define SAIO_LOAD_LOOP_H
#include <stddef.h>
#include <stdint.h>

#include "conn.h"

#define LOOP_RBUF 65536		/* read size; the buffer also holds a carried partial header */

/* Allocates @t's connections (ids @first_id ..), buffers and token ring. */
int thread_init(struct thread *t, const struct plan *p, uint32_t idx, uint32_t first_id, uint32_t nconns, int cpu);
void thread_destroy(struct thread *t);
/* 0 when every connection is up (and populated); else -1 with @err. */
int thread_setup(struct thread *t, char *err, size_t errlen);
void thread_run(struct thread *t);

#endif
