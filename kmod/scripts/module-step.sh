#!/bin/sh
# kmod/scripts/module-step.sh: the shell-level steps of using saio.ko for a lab run, in plain POSIX
# sh with nothing but what busybox also has (insmod, rmmod, dmesg, grep -E, awk, sed), so that the
# same script runs on a lab host (dash, kmod's insmod) and in the QEMU test guest (busybox sh).
# The lab calls it with argv arrays (electron/engine/kmod/module-step.ts), never a shell string.
#
#   module-step.sh build KDIR OUTDIR       copy the module's sources into OUTDIR (which must not
#                                          exist, or be empty) and build saio.ko there against the
#                                          kbuild tree KDIR; the source tree is never written
#   module-step.sh loaded                  exit 0 and say how it knows when saio is loaded, else 1
#   module-step.sh mark                    write a unique line into the kernel log; print it
#   module-step.sh load KO [name=value]... insmod KO with module parameters, then check that the
#                                          kernel knew every parameter and that /dev/saio appeared
#                                          (a module left half-working is unloaded again)
#   module-step.sh unload                  rmmod saio (retried for a few seconds while in use)
#   module-step.sh dmesg-since MARK [FILE] the kernel log lines after the line holding MARK (from
#                                          FILE instead of dmesg when given: a saved console log);
#                                          the lines that show kernel trouble also go to stderr
#
# Exit status: 0 done; 1 failed (why on stderr); 2 usage; 3 saio is already loaded (load refuses
# to reuse a module it did not load: its build and parameters are unknown); 4 dmesg-since found
# kernel trouble (Oops, BUG:, WARNING:, Call Trace, ...); 5 dmesg-since did not find MARK (the
# log wrapped or was cleared), so the whole log was printed and checked.
set -u

MODULE=saio
DEV=/dev/saio
TROUBLE='Oops|BUG:|WARNING:|Call Trace|general protection|Kernel panic|blocked for more than|soft lockup'

say() { printf '%s\n' "module-step: $*" >&2; }
usage() {
	say "usage: $0 build KDIR OUTDIR | loaded | mark | load KO [name=value]... | unload | dmesg-since MARK [FILE]"
	exit 2
}
is_loaded() { [ -d /sys/module/$MODULE ]; }

# Lines of the log after the one that contains $1 (a fixed string, not a pattern).
since() {
	awk -v m="$1" 'seen { print } !seen && index($0, m) { seen = 1 } END { exit seen ? 0 : 1 }'
}

cmd_build() {
	[ $# -eq 2 ] || usage
	kdir=$1 out=$2
	src=$(cd "$(dirname "$0")/.." && pwd) || exit 1
	if [ ! -f "$kdir/Makefile" ]; then
		say "no kbuild tree at $kdir (install the kernel's headers: linux-headers-\$(uname -r))"
		exit 1
	fi
	if [ -e "$out" ] && [ -n "$(ls -A "$out" 2>/dev/null)" ]; then
		say "$out is not empty: build into a fresh directory"
		exit 1
	fi
	mkdir -p "$out" || exit 1
	cp "$src/Kbuild" "$src/Makefile" "$out/" || exit 1
	for f in "$src"/*.c "$src"/*.h; do
		[ -f "$f" ] && { cp "$f" "$out/" || exit 1; }
	done
	cp -R "$src/include" "$out/" || exit 1
	# KERNELRELEASE stays unset: the module's Makefile calls kbuild itself.
	make -C "$out" KDIR="$kdir" modules || { say "make failed (the lines above say why)"; exit 1; }
	[ -f "$out/$MODULE.ko" ] || { say "make succeeded but left no $out/$MODULE.ko"; exit 1; }
	echo "built $out/$MODULE.ko"
}

cmd_loaded() {
	[ $# -eq 0 ] || usage
	if is_loaded; then
		echo "$MODULE is loaded (/sys/module/$MODULE exists)"
		exit 0
	fi
	if [ -r /proc/modules ] && grep -q "^$MODULE " /proc/modules; then
		echo "$MODULE is loaded (listed in /proc/modules)"
		exit 0
	fi
	echo "$MODULE is not loaded"
	exit 1
}

make_mark() {
	m="saio-lab-mark-$$-$(date +%s)-$(awk 'BEGIN { srand(); printf "%d", rand() * 1000000000 }')"
	# Never create a plain file in its place (a chroot's /dev may lack the node): that would
	# "mark" a log nobody reads and every later dmesg-since would miss the mark.
	[ -c /dev/kmsg ] || { say "/dev/kmsg is not the kernel log device here (no character device; a chroot without /dev?)"; return 1; }
	echo "$m" > /dev/kmsg || { say "cannot write to /dev/kmsg (root needed)"; return 1; }
	echo "$m"
}

cmd_mark() {
	[ $# -eq 0 ] || usage
	make_mark || exit 1
}

cmd_load() {
	[ $# -ge 1 ] || usage
	ko=$1
	shift
	for p in "$@"; do
		# The same rule as the lab's notebook schema: names [a-z_]+, values [0-9A-Za-z_,.-]+.
		if ! printf '%s\n' "$p" | grep -Eq '^[a-z_]+=[0-9A-Za-z_,.-]+$'; then
			say "bad module parameter \"$p\": expected name=value, name of [a-z_], value of [0-9A-Za-z_,.-]"
			exit 2
		fi
	done
	[ -f "$ko" ] || { say "no module file $ko"; exit 1; }
	if is_loaded; then
		say "$MODULE is already loaded (/sys/module/$MODULE exists): not reusing a module of unknown build and parameters; unload it (rmmod $MODULE) and run again"
		exit 3
	fi
	mark=$(make_mark) || exit 1
	if ! out=$(insmod "$ko" "$@" 2>&1); then
		say "insmod $ko $* failed: $out"
		dmesg | since "$mark" | sed 's/^/module-step: kernel: /' >&2
		exit 1
	fi
	# The kernel ignores a parameter it does not know, with only a line in the log.
	unknown=$(dmesg | since "$mark" | grep "$MODULE: unknown parameter")
	if [ -n "$unknown" ]; then
		rmmod $MODULE 2>/dev/null
		say "the module does not know a parameter given: $unknown"
		exit 1
	fi
	i=0
	while [ ! -c $DEV ] && [ $i -lt 5 ]; do
		sleep 1
		i=$((i + 1))
	done
	if [ ! -c $DEV ]; then
		rmmod $MODULE 2>/dev/null
		say "$MODULE loaded but $DEV did not appear within 5 s (no devtmpfs or udev?); unloaded it again"
		exit 1
	fi
	echo "loaded $ko${*:+ with $*}; $DEV is there"
}

cmd_unload() {
	[ $# -eq 0 ] || usage
	is_loaded || { say "$MODULE is not loaded"; exit 1; }
	i=0
	# A server that was just killed may still hold the device for a moment.
	while ! out=$(rmmod $MODULE 2>&1); do
		i=$((i + 1))
		if [ $i -ge 10 ]; then
			refs=$(cat /sys/module/$MODULE/refcnt 2>/dev/null)
			say "rmmod $MODULE failed for 10 s (${refs:-?} users hold it): $out"
			exit 1
		fi
		sleep 1
	done
	echo "unloaded $MODULE"
}

cmd_dmesg_since() {
	[ $# -eq 1 ] || [ $# -eq 2 ] || usage
	mark=$1
	if [ $# -eq 2 ]; then
		log=$(cat "$2") || exit 1
	else
		log=$(dmesg) || { say "dmesg failed (root needed to read the kernel log?)"; exit 1; }
	fi
	status=0
	if ! lines=$(printf '%s\n' "$log" | since "$mark"); then
		say "the log does not hold the mark $mark (it wrapped or was cleared): the whole log follows"
		lines=$log
		status=5
	fi
	[ -n "$lines" ] && printf '%s\n' "$lines"
	bad=$(printf '%s\n' "$lines" | grep -E "$TROUBLE")
	if [ -n "$bad" ]; then
		printf '%s\n' "$bad" >&2
		exit 4
	fi
	exit $status
}

[ $# -ge 1 ] || usage
sub=$1
shift
case $sub in
build) cmd_build "$@" ;;
loaded) cmd_loaded "$@" ;;
mark) cmd_mark "$@" ;;
load) cmd_load "$@" ;;
unload) cmd_unload "$@" ;;
dmesg-since) cmd_dmesg_since "$@" ;;
*) usage ;;
esac
