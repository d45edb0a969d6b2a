#!/bin/sh
# /init of the test guest: busybox, saio.ko, saio_test, and libsaio (guest_http against
# epoll_server, unit_uring, the torture suite) over the module. Reports each case as "PASS: name" /
# "FAIL: name: why", then a verdict through isa-debug-exit.
/bin/busybox mkdir -p /proc /sys /dev /tmp /sbin /usr/bin /usr/sbin
/bin/busybox mount -t devtmpfs dev /dev
exec </dev/console >/dev/console 2>&1
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t tmpfs -o size=64m tmp /tmp
ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up
# a task stuck in D state or a CPU stuck in the kernel ends the run (panic -> qemu exits)
echo 60 > /proc/sys/kernel/hung_task_timeout_secs 2>/dev/null
echo 1 > /proc/sys/kernel/hung_task_panic 2>/dev/null
echo 1 > /proc/sys/kernel/softlockup_panic 2>/dev/null
# The debug kernel (run-debug.sh): debug-only cases, longer time limits, kmemleak.
DEBUG=0
SCALE=$(sed -n 's/.*saio_scale=\([0-9]*\).*/\1/p' /proc/cmdline)
if grep -q 'saio_debug=1' /proc/cmdline; then
	DEBUG=1
	export SAIO_DEBUG_KERNEL=1 SAIO_TIMEOUT_SCALE=${SCALE:-1}
	echo $((60 * ${SCALE:-1})) > /proc/sys/kernel/hung_task_timeout_secs
	mount -t debugfs none /sys/kernel/debug
	# what boot left behind is not ours to judge: from here on, every leak counts
	echo clear > /sys/kernel/debug/kmemleak 2>/dev/null
fi
echo; echo "GUEST: up $(cut -d' ' -f1 /proc/uptime)s, $(nproc) CPUs, kernel $(uname -r)"

FAILED=0
pass() { echo "PASS: $1"; }
fail() { echo "FAIL: $1: $2"; FAILED=1; }
now() { cut -d' ' -f1 /proc/uptime; }

if insmod /saio.ko; then pass module_load; else fail module_load "insmod failed"; fi
if [ -c /dev/saio ]; then pass dev_node; else fail dev_node "/dev/saio missing"; fi

ONLY=$(sed -n 's/.*saio_only=\([^ ]*\).*/\1/p' /proc/cmdline | tr ',' ' ')
# libsaio runs chosen by run.sh (already narrowed by saio_only): http.MODE, unit.MODE
PRELOAD_RUNS=$(sed -n 's/.*saio_preload=\([^ ]*\).*/\1/p' /proc/cmdline | tr ',' ' ')
# saio_only names for saio_test: all but the preload* ones (those select libsaio runs)
SAIO_ONLY=""
for n in $ONLY; do
	case $n in preload*) ;; *) SAIO_ONLY="$SAIO_ONLY $n" ;; esac
done
if [ -z "$ONLY" ] || [ -n "$SAIO_ONLY" ]; then
	T0=$(now)
	/saio_test ${SAIO_ONLY:-all} || FAILED=1
	echo "GUEST: saio_test took $(awk "BEGIN{print $(now)-$T0}")s"
fi

if [ -z "$ONLY" ]; then
	# Unload refused while a process holds the device, then while only a mapping does.
	# (One output file per case: with one shared file the second wait could see the
	# first holder's "holding" before the shell truncated it, and rmmod too early.)
	for how in hold holdmap; do
		/saio_test $how 30 > /tmp/$how.out &
		HP=$!
		i=0
		while ! grep -q holding /tmp/$how.out 2>/dev/null && [ $i -lt 200 ]; do
			sleep 0.05; i=$((i + 1))
		done
		if rmmod saio 2>/dev/null; then
			fail unload_refused_$how "rmmod succeeded while the device was in use"
			insmod /saio.ko
		else
			pass unload_refused_$how
		fi
		kill -9 $HP; wait $HP 2>/dev/null
	done

	# 50 load/unload cycles, each using the device once.
	T0=$(now)
	ok=1
	rmmod saio || { ok=0; echo "  rmmod after the holders died failed"; }
	for i in $(seq 1 50); do
		insmod /saio.ko || { ok=0; echo "  insmod #$i failed"; break; }
		/saio_test quick || { ok=0; echo "  use #$i failed"; }
		rmmod saio || { ok=0; echo "  rmmod #$i failed"; break; }
	done
	if [ $ok = 1 ]; then pass load_unload_50; else fail load_unload_50 "see above"; fi
	echo "GUEST: 50 load/unload cycles took $(awk "BEGIN{print $(now)-$T0}")s"

	# The lab's module step (kmod/scripts/module-step.sh), under busybox: a bad parameter
	# is refused at load, a good one is in force, a second load is refused, unload works,
	# and the kernel log since the mark holds the refusal and no trouble.
	S=/module-step.sh
	why=""
	sh $S loaded 2>/dev/null && why="$why loaded-before"
	M=$(sh $S mark) || why="$why mark"
	sh $S load /saio.ko default_idle_us=0 2>/tmp/ms.err && why="$why idle0-accepted"
	[ -d /sys/module/saio ] && why="$why idle0-left-loaded"
	sh $S load /saio.ko default_idle_us=50 2>>/tmp/ms.err || why="$why load-failed"
	[ "$(cat /sys/module/saio/parameters/default_idle_us 2>/dev/null)" = 50 ] || why="$why param"
	/saio_test quick || why="$why use"
	sh $S load /saio.ko 2>/dev/null; [ $? = 3 ] || why="$why second-load-not-refused"
	sh $S unload 2>>/tmp/ms.err || why="$why unload"
	sh $S dmesg-since "$M" > /tmp/ms.log 2>>/tmp/ms.err || why="$why dmesg-since"
	grep -q 'default_idle_us=0: must be' /tmp/ms.log || why="$why refusal-not-logged"
	if [ -z "$why" ]; then
		pass module_step_script
	else
		fail module_step_script "$why ($(tr '\n' '|' < /tmp/ms.err))"
	fi
fi

# libsaio over the module: guest_http runs epoll_server under LD_PRELOAD=/libsaio.so and
# checks every byte, the exit and the stats (backend, deferred calls); unit_uring runs
# preload's io_uring unit tests with the mode's backend. Each prints its own cases.
if [ -n "$PRELOAD_RUNS" ]; then
	[ -c /dev/saio ] || insmod /saio.ko || echo "  insmod before the libsaio runs failed"
	KMOD_RAN=0
	for r in $PRELOAD_RUNS; do
		m=${r#*.}
		case $m in kmod*) KMOD_RAN=1 ;; esac
		T0=$(now)
		case $r in
		http.*)
			/guest_http -s /epoll_server -l /libsaio.so -t /tmp run "$m" || FAILED=1
			;;
		torture.*)
			# each scenario without the library, then with this mode; TCG: times x3
			if [ -f /mods/order ] && [ ! -d /sys/module/sctp ]; then
				for k in $(cat /mods/order); do insmod /mods/$k.ko 2>/dev/null; done
			fi
			# (through a pipe: results show as they come, even if the guest times out)
			( TORTURE_SLOW=3 /torture run -g -l /libsaio.so -m "$m" 2>&1
			  echo $? > /tmp/torture.rc ) | sed -E '/^(PASS|FAIL|SKIP): /!s/^/  /'
			[ "$(cat /tmp/torture.rc)" = 0 ] || FAILED=1
			;;
		unit.*)
			# "ok NAME" / "not ok NAME" -> PASS/FAIL; a crash without a "not ok" fails too
			env $(/guest_http env "$m") /unit_uring > /tmp/unit.out 2>&1
			rc=$?
			sed -n -e "s|^ok \(.*\)|PASS: unit_uring/$m: \1|p" \
				-e "s|^not ok \(.*\)|FAIL: unit_uring/$m: \1: failed|p" /tmp/unit.out
			grep -v '^ok \|^not ok ' /tmp/unit.out | sed 's/^/  /'
			if grep -q '^not ok ' /tmp/unit.out; then
				FAILED=1
			elif [ $rc -ne 0 ]; then
				fail "unit_uring/$m" "exited with status $rc"
			fi
			;;
		esac
		echo "GUEST: libsaio $r took $(awk "BEGIN{print $(now)-$T0}")s"
	done
	# libsaio let go of every context: the module unloads
	if [ $KMOD_RAN = 1 ]; then
		if rmmod saio; then
			pass preload_module_unload
		else
			fail preload_module_unload "rmmod after the libsaio runs failed"
		fi
	fi
fi

if [ $DEBUG = 1 ]; then
	# kmemleak reports an object once it has been unreferenced for a while and seen so
	# by two scans: wait out its minimum age, scan twice.
	sleep 6
	echo scan > /sys/kernel/debug/kmemleak
	sleep 1
	echo scan > /sys/kernel/debug/kmemleak
	if ! cat /sys/kernel/debug/kmemleak > /tmp/kmemleak 2>/dev/null; then
		fail kmemleak_clean "cannot read /sys/kernel/debug/kmemleak (kmemleak off or disabled)"
	elif [ -s /tmp/kmemleak ]; then
		fail kmemleak_clean "$(grep -c '^unreferenced object' /tmp/kmemleak) leaks"
		head -80 /tmp/kmemleak
	else
		pass kmemleak_clean
	fi
fi

# The kernel log, except the fault-injection windows (saio_test judges those itself: there
# generic allocations fail and warn on purpose).
if dmesg | awk '/saio-test: fault injection begins/ { skip = 1 }
		!skip { print }
		/saio-test: fault injection ends/ { skip = 0 }' |
	grep -E 'Oops|BUG:|WARNING:|Call Trace|general protection|blocked for more than|soft lockup|KASAN|KFENCE|kmemleak: .*(suspected|disabled|kmemleak_object|Out of memory)|possible circular|inconsistent lock' > /tmp/bad; then
	fail dmesg_clean "$(head -5 /tmp/bad | tr '\n' '|')"
	dmesg | tail -60
else
	pass dmesg_clean
fi

echo "GUEST: done at $(now)s"
if [ $FAILED = 0 ]; then
	echo "SAIO-GUEST-VERDICT: pass"
	printf '\020' | dd of=/dev/port bs=1 seek=244 count=1 2>/dev/null
else
	echo "SAIO-GUEST-VERDICT: fail"
	printf '\021' | dd of=/dev/port bs=1 seek=244 count=1 2>/dev/null
fi
poweroff -f
