#!/usr/bin/env bash
# kmod/tests/debug-kernel.sh: the debug kernel the guest suite runs on under
# `npm run test:kmod-debug` (kmod/tests/run-debug.sh) — built from Debian's kernel source
# (the newest /usr/src/linux-source-*.tar.xz, package linux-source) with
# `make allnoconfig` + kmod/tests/debug-kernel.config: a small QEMU-guest kernel with KASAN,
# KFENCE, lockdep (PROVE_LOCKING), DEBUG_ATOMIC_SLEEP, kmemleak and fault injection.
#
# Built once per machine and cached by a hash of what goes into it (the source tarball's
# name, size and time, the config fragment, this script's recipe, the compiler's version):
#   ${SAIO_LAB_CACHE:-~/.cache/saio-lab}/debug-kernel-<hash>/
#       kbuild/        the build tree saio.ko is built against (KDIR), with
#                      arch/x86/boot/bzImage, the image QEMU boots (this KASAN kernel's
#                      PVH entry does not come up: QEMU resets at once, so no vmlinux boot)
#       vmlinux        its symbols, for reading reports
#       build.log, build-seconds, config-hash
#
#   debug-kernel.sh            build if not cached; print kdir=, image=, vmlinux=, hash=,
#                              build_seconds=
#   debug-kernel.sh path       print the same if cached, else exit 1 (never builds)
#
# A build takes tens of minutes on 2 CPUs (kmod/README.md has the measured time); it runs
# niced, with as many jobs as CPUs. Needs: build-essential bc flex bison libelf-dev
# linux-source (apt); exit 1 with what is missing otherwise.
set -euo pipefail
RECIPE=1	# bump when the build steps below change what comes out
HERE=$(cd "$(dirname "$0")" && pwd)
FRAGMENT=$HERE/debug-kernel.config
CACHE=${SAIO_LAB_CACHE:-$HOME/.cache/saio-lab}
what=${1:-build}
case $what in build | path) ;; *) echo "usage: debug-kernel.sh [build|path]" >&2; exit 2 ;; esac

SRC_TAR=$(ls -1 /usr/src/linux-source-*.tar.xz 2>/dev/null | sort -V | tail -1 || true)
if [ -z "$SRC_TAR" ]; then
	echo "debug-kernel: no /usr/src/linux-source-*.tar.xz: apt-get install linux-source" >&2
	exit 1
fi
HASH=$( {
	echo "recipe $RECIPE"
	stat -c '%n %s %Y' "$SRC_TAR"
	cat "$FRAGMENT"
	gcc --version | head -1
} | sha256sum | cut -c1-16)
DIR=$CACHE/debug-kernel-$HASH

report() {
	echo "kdir=$DIR/kbuild"
	echo "image=$DIR/kbuild/arch/x86/boot/bzImage"
	echo "vmlinux=$DIR/vmlinux"
	echo "hash=$HASH"
	echo "build_seconds=$(cat "$DIR/build-seconds")"
}
if [ -s "$DIR/vmlinux" ] && [ -s "$DIR/build-seconds" ]; then
	report
	exit 0
fi
[ "$what" = path ] && exit 1

missing=()
for tool in gcc make bc flex bison perl xz tar; do
	command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
[ -f /usr/include/gelf.h ] || missing+=("libelf-dev (objtool)")
if [ ${#missing[@]} -gt 0 ]; then
	echo "debug-kernel: missing ${missing[*]}: apt-get install build-essential bc flex bison libelf-dev" >&2
	exit 1
fi

mkdir -p "$CACHE"
# One builder per cache entry; a second caller waits for it and then finds the result.
exec 9> "$CACHE/debug-kernel-$HASH.lock"
flock 9
if [ -s "$DIR/vmlinux" ] && [ -s "$DIR/build-seconds" ]; then
	report
	exit 0
fi

# Built in place (the kbuild tree names its source by absolute path); build-seconds, written
# last, marks a finished build, so an interrupted one is started over.
WORK=$DIR
rm -rf "$WORK"
mkdir -p "$WORK/kbuild"
LOG=$WORK/build.log
T0=$(date +%s)
echo "debug-kernel: building from $(basename "$SRC_TAR") into $DIR (log: $DIR/build.log)" >&2
fail() {
	echo "debug-kernel: $1; last lines of $LOG:" >&2
	tail -25 "$LOG" >&2
	exit 1
}
tar -xf "$SRC_TAR" -C "$WORK" >> "$LOG" 2>&1 || fail "could not unpack $SRC_TAR"
SRC=$(find "$WORK" -mindepth 1 -maxdepth 1 -type d -name 'linux-source-*' | head -1)
[ -n "$SRC" ] || fail "no linux-source-* directory in $SRC_TAR"
mv "$SRC" "$WORK/src"
SRC=$WORK/src
K=(make -C "$SRC" O="$WORK/kbuild" ARCH=x86_64)
"${K[@]}" KCONFIG_ALLCONFIG="$FRAGMENT" allnoconfig >> "$LOG" 2>&1 || fail "allnoconfig failed"
# Every option of the fragment must be in the result (a missing dependency drops it silently).
lost=""
while IFS= read -r line; do
	case $line in
	CONFIG_*=*) grep -qxF -- "$line" "$WORK/kbuild/.config" || lost="$lost $line" ;;
	"# CONFIG_"*" is not set")
		opt=${line#\# }
		opt=${opt%% *}
		grep -q "^$opt=" "$WORK/kbuild/.config" && lost="$lost $opt(should be off)"
		;;
	esac
done < "$FRAGMENT"
[ -z "$lost" ] || fail "options not in the final .config:$lost"
nice -n 10 "${K[@]}" -j"$(nproc)" >> "$LOG" 2>&1 || fail "kernel build failed"
# The build tree is what out-of-tree modules need; the vmlinux objects are not.
find "$WORK/kbuild" -name '*.o' -not -path '*/scripts/*' -not -path '*/tools/*' -delete
mv "$WORK/kbuild/vmlinux" "$WORK/vmlinux"
echo "$HASH" > "$WORK/config-hash"
echo $(($(date +%s) - T0)) > "$WORK/build-seconds"
echo "debug-kernel: built in $(cat "$DIR/build-seconds") s" >&2
report
