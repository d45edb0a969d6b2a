/* SPDX-License-Identifier: MIT */
/*
 * signals.c - tell a real EINTR from one of ours.
 *
 * A completion of a deferred op that had to wait (a full socket) runs as io_uring task
 * work on the submitting thread, which wakes it with TIF_NOTIFY_SIGNAL: a blocked
 * epoll_wait then returns EINTR although no signal arrived. To hide only those, every
 * handler the application installs is wrapped by a trampoline that counts its runs;
 * an EINTR during which the count did not move was ours.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>

#include "saio_int.h"

#define EXPORT __attribute__((visibility("default")))

_Atomic unsigned long saio_sig_gen;
__thread int saio_in_handler __attribute__((tls_model("initial-exec")));

static struct sigaction app[_NSIG];
static _Atomic unsigned char wrapped[_NSIG];

static void trampoline(int sig, siginfo_t *si, void *uc)
{
	atomic_fetch_add_explicit(&saio_sig_gen, 1, memory_order_relaxed);
	const struct sigaction *a = &app[sig];
	saio_in_handler++;	/* interposed calls pass straight through (interpose.c) */
	if (a->sa_flags & SA_SIGINFO)
		a->sa_sigaction(sig, si, uc);
	else if (a->sa_handler != SIG_DFL && a->sa_handler != SIG_IGN)
		a->sa_handler(sig);
	saio_in_handler--;
}

static bool is_handler(const struct sigaction *act)
{
	if (act->sa_flags & SA_SIGINFO)
		return act->sa_sigaction != NULL;
	return act->sa_handler != SIG_DFL && act->sa_handler != SIG_IGN;
}

EXPORT int sigaction(int sig, const struct sigaction *act, struct sigaction *oact)
{
	if (sig <= 0 || sig >= _NSIG)
		return REAL(sigaction)(sig, act, oact);
	struct sigaction prev = app[sig], mine;
	bool was = atomic_load(&wrapped[sig]);
	const struct sigaction *use = act;
	if (act && is_handler(act)) {
		app[sig] = *act;	/* before the trampoline can run with it */
		mine = *act;
		mine.sa_flags |= SA_SIGINFO;
		mine.sa_sigaction = trampoline;
		use = &mine;
	}
	int ret = REAL(sigaction)(sig, use, oact);
	if (ret != 0) {
		if (use == &mine)
			app[sig] = prev;
		return ret;
	}
	if (oact && was && (oact->sa_flags & SA_SIGINFO) && oact->sa_sigaction == trampoline) {
		/* Report the application's own handler, not ours. */
		oact->sa_flags = prev.sa_flags;
		if (prev.sa_flags & SA_SIGINFO)
			oact->sa_sigaction = prev.sa_sigaction;
		else
			oact->sa_handler = prev.sa_handler;
	}
	if (act)
		atomic_store(&wrapped[sig], use == &mine);
	return ret;
}

EXPORT sighandler_t signal(int sig, sighandler_t h)
{
	/* glibc's signal(): BSD semantics. */
	struct sigaction act, old;
	memset(&act, 0, sizeof(act));
	act.sa_handler = h;
	sigemptyset(&act.sa_mask);
	if (sig > 0 && sig < _NSIG)
		sigaddset(&act.sa_mask, sig);
	act.sa_flags = SA_RESTART;
	if (sigaction(sig, &act, &old) < 0)
		return SIG_ERR;
	return old.sa_handler;
}
