#!/usr/bin/env bash
# kmod/tests/run-debug.sh (npm run test:kmod-debug): the whole guest suite — every
# saio_test case including fuzz_100k, fuzz_procs and the debug-only fault_injection, the
# libsaio runs, the shell-level cases — on the debug kernel kmod/tests/debug-kernel.sh
# builds once per machine (KASAN, KFENCE, lockdep, DEBUG_ATOMIC_SLEEP, kmemleak, fault
# injection). Any report on the console or in the kernel log fails the run, and so does
# a leak in kmemleak's scan at the end. Arguments as for run.sh (case names).
#
# SAIO_GUEST_SCALE (default 4): how much longer every time limit is than on Debian's
# kernel (the checkers make the guest several times slower under TCG).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
T0=$(date +%s)
if ! info=$(bash "$HERE/debug-kernel.sh"); then
	echo "kmod debug tests cannot run: no debug kernel (see above)"
	echo "0 passed, 1 failed"
	exit 1
fi
get() { echo "$info" | sed -n "s/^$1=//p"; }
echo "host: debug kernel $(get image) (built once in $(get build_seconds) s; this time $(($(date +%s) - T0)) s to get it)"
SAIO_GUEST_KDIR=$(get kdir) SAIO_GUEST_IMAGE=$(get image) SAIO_GUEST_DEBUG=1 \
	SAIO_GUEST_SCALE=${SAIO_GUEST_SCALE:-4} bash "$HERE/run.sh" "$@"
