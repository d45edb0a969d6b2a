#!/bin/sh
# /init of a lab guest (electron/engine/hosts/qemu/guest.ts), run by busybox from the initramfs:
# load the 9p and virtio modules of the guest's kernel, mount this machine's root read-only over
# 9p at /host with tmpfs and overlays for the places programs write (/run, /tmp, /dev/shm, /etc,
# /var, /root), bring up the user-mode network, and start the host's own sshd chrooted into
# /host with the per-boot keys of the boot share. Then busybox init stays PID 1 and reaps.
# Kernel arguments: saio_probe=1 (say SAIO-GUEST-PROBE-OK and power off: the accelerator probe).
# Markers on the console: "SAIO-GUEST: ..." (progress), SAIO-GUEST-READY, SAIO-GUEST-FAIL: why.
export PATH=/bin
/bin/busybox mkdir -p /proc /sys /dev /host /ovl
/bin/busybox --install -s /bin
mount -t devtmpfs dev /dev
exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sys /sys
say() { echo "SAIO-GUEST: $* ($(cut -d' ' -f1 /proc/uptime)s)"; }
fail() {
	echo "SAIO-GUEST-FAIL: $*"
	poweroff -f
}
case " $(cat /proc/cmdline) " in
*" saio_probe=1 "*)
	echo "SAIO-GUEST-PROBE-OK"
	poweroff -f
	;;
esac
say "initramfs, kernel $(uname -r)"
for m in $(cat /modules/order); do insmod "/modules/$m" || fail "insmod $m"; done

R=/host
mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose,msize=512000 saio-root $R || fail "mount the host's root over 9p"
mount -t tmpfs -o mode=755 run $R/run || fail "tmpfs on /run"
mkdir -p $R/run/saio-boot $R/run/saio-guest $R/run/sshd $R/run/saio-lab
mount -t 9p -o trans=virtio,version=9p2000.L,ro saio-boot $R/run/saio-boot || fail "mount the boot share"
mount -t proc proc $R/proc
mount -t sysfs sys $R/sys
mount -t devtmpfs dev $R/dev
mkdir -p $R/dev/pts $R/dev/shm
mount -t devpts devpts $R/dev/pts
mount -t tmpfs -o mode=1777 shm $R/dev/shm
mount -t tmpfs -o mode=1777 tmp $R/tmp || fail "tmpfs on /tmp"
[ -d /sys/kernel/debug ] && mount -t debugfs debugfs $R/sys/kernel/debug 2>/dev/null
# Writable /etc, /var and /root: an overlay on the shared directory, changes kept in guest memory.
mount -t tmpfs -o mode=755 ovl /ovl
for d in etc var root; do
	mkdir -p /ovl/$d/upper /ovl/$d/work
	mount -t overlay overlay -o lowerdir=$R/$d,upperdir=/ovl/$d/upper,workdir=/ovl/$d/work $R/$d ||
		mount -t tmpfs -o mode=755 $d $R/$d || fail "no writable /$d"
done
# Modules the kernel asks for itself (request_module: the crypto a kTLS socket needs, ...) come
# from the host's /lib/modules too: its helper runs in this initramfs, so it chroots there.
printf '#!/bin/sh\nexec chroot %s /sbin/modprobe "$@"\n' "$R" > /bin/modprobe-host
chmod 755 /bin/modprobe-host
echo /bin/modprobe-host > /proc/sys/kernel/modprobe
# root logs in with /bin/sh (a login shell's rc files would run on every command)
sed -i 's#^\(root:[^:]*:[^:]*:[^:]*:[^:]*:[^:]*:\).*#\1/bin/sh#' $R/etc/passwd
hostname saio-guest
echo saio-guest > $R/etc/hostname

ip link set lo up
ip link set eth0 up || fail "no eth0 (virtio-net)"
ip addr add 10.0.2.15/24 dev eth0
for f in ssh_host_ed25519_key authorized_keys sshd_config; do cp "$R/run/saio-boot/$f" "$R/run/saio-guest/$f" || fail "boot share: $f"; done
chmod 600 $R/run/saio-guest/ssh_host_ed25519_key
chroot $R /usr/sbin/sshd -f /run/saio-guest/sshd_config -E /run/saio-guest/sshd.log || fail "sshd did not start: $(cat $R/run/saio-guest/sshd.log)"
say "sshd up"
echo "SAIO-GUEST-READY"
echo "::ctrlaltdel:/bin/poweroff -f" > /etc/inittab
exec /bin/busybox init
