/* SPDX-License-Identifier: MIT */
/*
 * saio.h - the public face of libsaio.so.
 *
 * libsaio.so is loaded with LD_PRELOAD into an unmodified event-driven server. It needs
 * no calls from the application: batches are flushed before every epoll_wait. Programs
 * that know about the library (tests, benchmarks) may look it up with dlsym and use the
 * two calls below; both are optional.
 */
#ifndef SAIO_H
#define SAIO_H

#ifdef __cplusplus
extern "C" {
#endif

/* Submit this thread's queued operations now (one kernel entry). Returns the number of
 * operations handed to the kernel, or -errno. */
int saio_flush(void);

/* Wait until every operation this thread queued on fd has completed. Returns 0 or -errno. */
int saio_drain_fd(int fd);

/* 1 if fd is one of the library's own descriptors (its rings and notifiers, and sockets
 * the application closed whose bytes it still sends), else 0. */
int saio_fd_own(int fd);

#ifdef __cplusplus
}
#endif
#endif
