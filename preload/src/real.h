/* SPDX-License-Identifier: MIT */
/*
 * real.h - the functions we interpose, resolved with dlsym(RTLD_NEXT) on first use.
 * REAL(name)(args) always reaches the next definition (normally glibc's).
 */
#ifndef SAIO_REAL_H
#define SAIO_REAL_H

#include <signal.h>
#include <stddef.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <poll.h>
#include <setjmp.h>
#include <stdio.h>
#include <sys/select.h>

#define SAIO_REAL_LIST(X) \
	X(ssize_t, write, (int, const void *, size_t)) \
	X(ssize_t, writev, (int, const struct iovec *, int)) \
	X(ssize_t, send, (int, const void *, size_t, int)) \
	X(ssize_t, sendto, (int, const void *, size_t, int, const struct sockaddr *, socklen_t)) \
	X(ssize_t, sendmsg, (int, const struct msghdr *, int)) \
	X(ssize_t, sendfile, (int, int, off_t *, size_t)) \
	X(ssize_t, sendfile64, (int, int, off_t *, size_t)) \
	X(int, close, (int)) \
	X(int, shutdown, (int, int)) \
	X(int, setsockopt, (int, int, int, const void *, socklen_t)) \
	X(int, getsockopt, (int, int, int, void *, socklen_t *)) \
	X(ssize_t, read, (int, void *, size_t)) \
	X(ssize_t, readv, (int, const struct iovec *, int)) \
	X(ssize_t, recv, (int, void *, size_t, int)) \
	X(ssize_t, recvfrom, (int, void *, size_t, int, struct sockaddr *, socklen_t *)) \
	X(ssize_t, recvmsg, (int, struct msghdr *, int)) \
	X(int, fcntl, (int, int, ...)) \
	X(int, fcntl64, (int, int, ...)) \
	X(int, ioctl, (int, unsigned long, ...)) \
	X(int, dup, (int)) \
	X(int, dup2, (int, int)) \
	X(int, dup3, (int, int, int)) \
	X(int, epoll_create, (int)) \
	X(int, epoll_create1, (int)) \
	X(int, epoll_ctl, (int, int, int, struct epoll_event *)) \
	X(int, epoll_wait, (int, struct epoll_event *, int, int)) \
	X(int, epoll_pwait, (int, struct epoll_event *, int, int, const sigset_t *)) \
	X(int, epoll_pwait2, (int, struct epoll_event *, int, const struct timespec *, const sigset_t *)) \
	X(int, accept, (int, struct sockaddr *, socklen_t *)) \
	X(int, accept4, (int, struct sockaddr *, socklen_t *, int)) \
	X(int, socket, (int, int, int)) \
	X(int, socketpair, (int, int, int, int *)) \
	X(int, connect, (int, const struct sockaddr *, socklen_t)) \
	X(int, getpeername, (int, struct sockaddr *, socklen_t *)) \
	X(int, open, (const char *, int, ...)) \
	X(int, open64, (const char *, int, ...)) \
	X(int, openat, (int, const char *, int, ...)) \
	X(int, openat64, (int, const char *, int, ...)) \
	X(int, fstat, (int, struct stat *)) \
	X(int, fstat64, (int, struct stat64 *)) \
	X(int, poll, (struct pollfd *, nfds_t, int)) \
	X(int, ppoll, (struct pollfd *, nfds_t, const struct timespec *, const sigset_t *)) \
	X(int, select, (int, fd_set *, fd_set *, fd_set *, struct timeval *)) \
	X(int, pselect, (int, fd_set *, fd_set *, fd_set *, const struct timespec *, const sigset_t *)) \
	X(int, execve, (const char *, char *const[], char *const[])) \
	X(int, execv, (const char *, char *const[])) \
	X(int, execvp, (const char *, char *const[])) \
	X(int, execvpe, (const char *, char *const[], char *const[])) \
	X(int, sigaction, (int, const struct sigaction *, struct sigaction *)) \
	X(int, close_range, (unsigned, unsigned, int)) \
	X(void, closefrom, (int)) \
	X(int, fclose, (FILE *)) \
	X(FILE *, fdopen, (int, const char *)) \
	X(long, syscall, (long, ...)) \
	X(void, siglongjmp, (sigjmp_buf, int)) \
	X(void, longjmp, (jmp_buf, int)) \
	X(int, pipe, (int *)) \
	X(int, pipe2, (int *, int)) \
	X(int, eventfd, (unsigned, int)) \
	X(int, signalfd, (int, const sigset_t *, int)) \
	X(int, timerfd_create, (int, int)) \
	X(int, memfd_create, (const char *, unsigned)) \
	X(int, inotify_init, (void)) \
	X(int, inotify_init1, (int)) \
	X(int, creat, (const char *, mode_t)) \
	X(int, creat64, (const char *, mode_t)) \
	X(int, pidfd_open, (pid_t, unsigned)) \
	X(int, recvmmsg, (int, struct mmsghdr *, unsigned, int, struct timespec *)) \
	X(sighandler_t, signal, (int, sighandler_t))

#define SAIO_REAL_DECL(ret, name, args) \
	typedef ret (*saio_real_##name##_t) args; \
	extern saio_real_##name##_t saio_real_##name; \
	saio_real_##name##_t saio_resolve_##name(void);
SAIO_REAL_LIST(SAIO_REAL_DECL)
#undef SAIO_REAL_DECL

void saio_real_resolve_all(void);

#define REAL(name) \
	(__builtin_expect(saio_real_##name != NULL, 1) ? saio_real_##name : saio_resolve_##name())

#endif
