#!/bin/sh
# /init of the test guest: busybox, saio.ko, saio_test. Reports each case as
# "PASS: name" / "FAIL: name: why", then a verdict through isa-debug-exit.
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
echo; echo "GUEST: up $(cut -d' ' -f1 /proc/uptime)s, $(nproc) CPUs, kernel $(uname -r)"

FAILED=0
pass() { echo "PASS: $1"; }
fail() { echo "FAIL: $1: $2"; FAILED=1; }
now() { cut -d' ' -f1 /proc/uptime; }

if insmod /saio.ko; then pass module_load; else fail module_load "insmod failed"; fi
if [ -c /dev/saio ]; then pass dev_node; else fail dev_node "/dev/saio missing"; fi

ONLY=$(sed -n 's/.*saio_only=\([^ ]*\).*/\1/p' /proc/cmdline | tr ',' ' ')
T0=$(now)
/saio_test ${ONLY:-all} || FAILED=1
echo "GUEST: saio_test took $(awk "BEGIN{print $(now)-$T0}")s"

if [ -z "$ONLY" ]; then
	# Unload refused while a process holds the device, then while only a mapping does.
	for how in hold holdmap; do
		/saio_test $how 30 > /tmp/hold.out &
		HP=$!
		i=0
		while ! grep -q holding /tmp/hold.out 2>/dev/null && [ $i -lt 200 ]; do
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
fi

if dmesg | grep -E 'Oops|BUG:|WARNING:|Call Trace|general protection|blocked for more than|soft lockup' > /tmp/bad; then
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
