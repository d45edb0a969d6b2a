#!/bin/sh
# debian-kernel.sh: the Debian kernel that saio.ko is built against and that the QEMU
# guest boots — the newest version V (by sort -V) that has both an image /boot/vmlinuz-V
# and a kbuild tree /usr/src/linux-headers-V (with its Makefile). The running kernel
# (uname -r) is never consulted: the build machine may run another kernel, as CI does.
#
# This is the one place that decides; kmod/Makefile, kmod/tests/run.sh, the lab's engine
# (electron/engine/kmod/debian-kernel.ts) and the docs all ask it. Debian moves the ABI
# with its updates (linux-image-amd64 pulls a new 6.1.0-N), so nothing may write it down.
#
#   debian-kernel.sh            the version, e.g. "6.1.0-57-amd64" (one line)
#   debian-kernel.sh headers    its kbuild tree (/usr/src/linux-headers-V)
#   debian-kernel.sh image      its compressed image (/boot/vmlinuz-V)
#   debian-kernel.sh all        three lines: version=V, headers=..., image=...
#
# Exit 0 with the answer on stdout; 1 when no version has both (what is missing and what
# to install on stderr); 2 on bad usage. DEBIAN_KERNEL_ROOT (default empty) prefixes
# /boot and /usr/src, so the selection can be tested against a made-up tree.
# POSIX sh: dash, bash and busybox sh all run it.
set -u
root=${DEBIAN_KERNEL_ROOT:-}
what=${1:-version}
case $what in
version | headers | image | all) ;;
*)
	echo "usage: debian-kernel.sh [version|headers|image|all]" >&2
	exit 2
	;;
esac

best=""
images=""
for img in "$root"/boot/vmlinuz-*; do
	[ -f "$img" ] && images="$images ${img##*/vmlinuz-}"
done
# Newest last; a version only counts with its headers' Makefile next to its image.
for v in $(for i in $images; do echo "$i"; done | sort -V); do
	[ -f "$root/usr/src/linux-headers-$v/Makefile" ] && best=$v
done

if [ -z "$best" ]; then
	headers=""
	for h in "$root"/usr/src/linux-headers-*; do
		case $h in *-common) continue ;; esac # shared by every flavour, never built against
		[ -f "$h/Makefile" ] && headers="$headers ${h##*/linux-headers-}"
	done
	echo "debian-kernel: no kernel has both an image and its headers" >&2
	echo "  images (/boot/vmlinuz-*):${images:- none}" >&2
	echo "  headers (/usr/src/linux-headers-*/Makefile):${headers:- none}" >&2
	echo "  install both at the same version: apt-get install linux-image-amd64 linux-headers-amd64" >&2
	exit 1
fi

case $what in
version) echo "$best" ;;
headers) echo "$root/usr/src/linux-headers-$best" ;;
image) echo "$root/boot/vmlinuz-$best" ;;
all) printf 'version=%s\nheaders=%s\nimage=%s\n' "$best" "$root/usr/src/linux-headers-$best" "$root/boot/vmlinuz-$best" ;;
esac
