#!/usr/bin/env bash
# kmod/tests/run.sh: build saio.ko against Debian's kernel headers, boot Debian's
# kernel in QEMU (TCG) with the module and the static test programs in an
# initramfs, run the tests there, and report "N passed, N failed".
#
# Needs (Debian 12): linux-image-amd64 linux-headers-amd64 qemu-system-x86
# busybox-static kmod cpio build-essential (and xz-utils, gzip, coreutils).
# Build products are cached under kmod/build/ (git-ignored).
#
# The guest also runs libsaio (preload/) over the module: preload/tests/guest_http (a static
# client) against preload/tests/epoll_server under LD_PRELOAD=libsaio.so, once per mode
# (uring, kmod_enter, kmod_worker, kmod_worker_local), preload's unit_uring with the
# uring and the kmod backend, and preload's differential torture suite (tests/torture: each
# scenario without the library, then with kmod_enter and kmod_worker); epoll_server,
# libsaio.so, unit_uring and torture are dynamic, so the loader and the libraries ldd lists
# for them go into the initramfs too, and so do sctp.ko and the modules it needs (the
# torture's SCTP scenario).
#
#   bash kmod/tests/run.sh              everything
#   bash kmod/tests/run.sh NAME...      only these saio_test cases (no shell-level cases);
#                                       NAME may also be preload (every libsaio run),
#                                       preload_MODE (one guest_http mode), preload_unit
#                                       (the unit_uring runs) or preload_unit_MODE,
#                                       preload_torture or preload_torture_MODE
#
# Another kernel (kmod/tests/run-debug.sh passes its debug kernel's): SAIO_GUEST_KDIR (a
# built kernel tree to build saio.ko against), SAIO_GUEST_IMAGE (its image, booted as is)
# and SAIO_GUEST_DEBUG=1 (the guest also runs the debug-only cases,
# scans kmemleak at the end, and every time limit is SAIO_GUEST_SCALE times longer).
# Products then go to kmod/build/<kernel release>/.
set -u
ONLY=$(IFS=,; echo "$*")
KMOD=$(cd "$(dirname "$0")/.." && pwd)
PRELOAD=$(cd "$KMOD/../preload" && pwd)
BUILD=$KMOD/build
PASSED=0
FAILED=0
T_START=$(date +%s.%N)

pass() { echo "PASS: $1"; PASSED=$((PASSED + 1)); }
fail() { echo "FAIL: $1${2:+: $2}"; FAILED=$((FAILED + 1)); }
finish() {
	echo "host: total $(awk "BEGIN{printf \"%.1f\", $(date +%s.%N) - $T_START}")s"
	echo "$PASSED passed, $FAILED failed"
	[ "$FAILED" -eq 0 ] && [ "$PASSED" -gt 0 ]
	exit $?
}
cannot_run() {
	echo "kmod tests cannot run: $1"
	FAILED=$((FAILED + 1))
	finish
}

# ---- prerequisites ------------------------------------------------------------------
missing=()
for tool in gcc make qemu-system-x86_64 cpio gzip xz timeout perl; do
	command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
BUSYBOX=""
for b in /bin/busybox /usr/bin/busybox; do
	if [ -x "$b" ] && ! ldd "$b" >/dev/null 2>&1; then BUSYBOX=$b; break; fi
done
[ -n "$BUSYBOX" ] || missing+=("static busybox")
DEBUG=${SAIO_GUEST_DEBUG:-0}
SCALE=${SAIO_GUEST_SCALE:-1}
GUEST_IMAGE=""
if [ -n "${SAIO_GUEST_KDIR:-}" ]; then
	KDIR=$SAIO_GUEST_KDIR
	GUEST_IMAGE=${SAIO_GUEST_IMAGE:-}
	KVER=$(cat "$KDIR/include/config/kernel.release" 2>/dev/null)
	[ -n "$KVER" ] && [ -s "$GUEST_IMAGE" ] ||
		missing+=("a built kernel in SAIO_GUEST_KDIR ($KDIR) and its vmlinux in SAIO_GUEST_IMAGE")
	BUILD=$KMOD/build/$KVER
# The Debian kernel we build against and boot (never uname -r): the one place that decides.
elif kernel=$(sh "$KMOD/scripts/debian-kernel.sh" all 2>/dev/null); then
	KVER=$(echo "$kernel" | sed -n 's/^version=//p')
	KDIR=$(echo "$kernel" | sed -n 's/^headers=//p')
	BZIMAGE=$(echo "$kernel" | sed -n 's/^image=//p')
else
	missing+=("a kernel image with its headers ($(sh "$KMOD/scripts/debian-kernel.sh" 2>&1 | sed -n 's/^ *//; 2,3p' | tr '\n' ' '))")
fi
if [ ${#missing[@]} -gt 0 ]; then
	cannot_run "missing: ${missing[*]}.
Install with: apt-get install -y linux-image-amd64 linux-headers-amd64 qemu-system-x86 busybox-static kmod cpio build-essential xz-utils"
fi
echo "host: kernel $KVER, headers $KDIR"
mkdir -p "$BUILD"

# ---- module -------------------------------------------------------------------------
# Built from a copy so the source tree stays clean.
rm -rf "$BUILD/mod"
mkdir -p "$BUILD/mod"
cp -r "$KMOD/Kbuild" "$KMOD/Makefile" "$KMOD"/*.c "$KMOD"/*.h "$KMOD/include" "$BUILD/mod/"
if make -C "$KDIR" M="$BUILD/mod" W=1 modules > "$BUILD/module-build.log" 2>&1; then
	if grep -E 'warning:|error:' "$BUILD/module-build.log"; then
		fail module_build "compiler warnings (see $BUILD/module-build.log)"
	else
		pass module_build
	fi
else
	tail -30 "$BUILD/module-build.log"
	fail module_build "make failed"
	finish
fi

# dkms.conf builds only for kernels the module is tested on: the one built against here must match.
excl=$(set +u; . "$KMOD/dkms.conf" 2>/dev/null; echo "${BUILD_EXCLUSIVE_KERNEL:-}")
if [ -n "$excl" ] && echo "$KVER" | grep -qE "$excl"; then
	pass dkms_exclusive
else
	fail dkms_exclusive "kernel $KVER does not match dkms.conf's BUILD_EXCLUSIVE_KERNEL '${excl}'"
fi

# checkpatch: from the headers if present, else from a linux-source tarball if installed.
CHECKPATCH=""
for c in /usr/src/linux-headers-*-common/scripts/checkpatch.pl "$BUILD/checkpatch/scripts/checkpatch.pl"; do
	[ -f "$c" ] && { CHECKPATCH=$c; break; }
done
if [ -z "$CHECKPATCH" ]; then
	src=$(ls -1 /usr/src/linux-source-*.tar.* 2>/dev/null | sort -V | tail -1)
	if [ -n "$src" ]; then
		top=$(basename "$src" | sed 's/\.tar\..*//')
		mkdir -p "$BUILD/checkpatch"
		tar -xf "$src" -C "$BUILD/checkpatch" --strip-components=1 --occurrence=1 \
			"$top/scripts/checkpatch.pl" "$top/scripts/spelling.txt" \
			"$top/scripts/const_structs.checkpatch" 2>/dev/null &&
			CHECKPATCH=$BUILD/checkpatch/scripts/checkpatch.pl
	fi
fi
if [ -n "$CHECKPATCH" ]; then
	# LINUX_VERSION_CODE guards are deliberate in an out-of-tree module.
	if (cd "$KMOD" && perl "$CHECKPATCH" --no-tree -q --ignore LINUX_VERSION_CODE,CONSTANT_COMPARISON \
		-f *.c *.h include/uapi/linux/saio.h); then
		pass checkpatch
	else
		fail checkpatch
	fi
else
	echo "note: checkpatch.pl not found (apt-get install linux-source provides it); not counted"
fi

# ---- test programs --------------------------------------------------------------------
if gcc -static -O2 -pthread -Wall -Wextra -Wno-unused-parameter -Wno-sign-compare \
	-Wno-unused-result -I"$KMOD/include/uapi" -o "$BUILD/saio_test" \
	"$KMOD"/tests/saio_*.c > "$BUILD/test-build.log" 2>&1 &&
	gcc -static -O2 -pthread -Wall -Wextra -o "$BUILD/guest_http" \
	"$PRELOAD/tests/guest_http.c" >> "$BUILD/test-build.log" 2>&1 &&
	! grep -q 'warning:' "$BUILD/test-build.log"; then
	pass test_programs_build
else
	cat "$BUILD/test-build.log"
	fail test_programs_build
	finish
fi

# ---- libsaio: what the guest runs over the module ----------------------------------------
# make is incremental: this rebuilds libsaio.so, epoll_server and unit_uring only if stale.
# RUNS: the libsaio runs of the guest, http.MODE (guest_http) and unit.MODE (unit_uring),
# passed on the kernel command line (saio_preload=); ONLY narrows them.
want_run() {	# want_run http|unit MODE: is it selected by ONLY?
	[ -z "$ONLY" ] && return 0
	for a in $ARGS; do
		case $a in
		preload) return 0 ;;
		preload_unit) [ "$1" = unit ] && return 0 ;;
		preload_unit_*) [ "$1" = unit ] && [ "$a" = "preload_unit_$2" ] && return 0 ;;
		preload_torture) [ "$1" = torture ] && return 0 ;;
		preload_torture_*) [ "$1" = torture ] && [ "$a" = "preload_torture_$2" ] && return 0 ;;
		preload_*) [ "$1" = http ] && [ "$a" = "preload_$2" ] && return 0 ;;
		esac
	done
	return 1
}
ARGS="$*"
RUNS=""
if make -C "$PRELOAD" all build/tests/epoll_server build/tests/unit_uring build/tests/torture \
	> "$BUILD/preload-build.log" 2>&1; then
	pass preload_build
	if nm "$PRELOAD/build/libsaio.so" 2>/dev/null | grep -q ' saio_backend_kmod$'; then
		HAVE_KMOD_BACKEND=1
	else
		HAVE_KMOD_BACKEND=0
		echo "note: $PRELOAD/build/libsaio.so has no kmod backend (preload/src/backend_kmod.c"
		echo "      not built): the kmod_* libsaio runs are SKIPPED, not counted"
	fi
	for m in $("$BUILD/guest_http" modes); do
		case $m in kmod*) [ $HAVE_KMOD_BACKEND = 1 ] || continue ;; esac
		want_run http "$m" && RUNS="$RUNS,http.$m"
	done
	for m in uring kmod_enter kmod_worker; do
		case $m in kmod*) [ $HAVE_KMOD_BACKEND = 1 ] || continue ;; esac
		want_run unit "$m" && RUNS="$RUNS,unit.$m"
	done
	if [ $HAVE_KMOD_BACKEND = 1 ]; then
		for m in kmod_enter kmod_worker; do
			want_run torture "$m" && RUNS="$RUNS,torture.$m"
		done
	fi
	RUNS=${RUNS#,}
else
	tail -30 "$BUILD/preload-build.log"
	fail preload_build "make -C preload failed (see $BUILD/preload-build.log); no libsaio runs in the guest"
fi
# unit_uring cases per run: its TEST(...) lines; torture results per mode: its scenarios.
UNIT_CASES=$(grep -c '^[[:space:]]*TEST("' "$PRELOAD/tests/unit_uring.c")
TORTURE_CASES=$("$PRELOAD/build/tests/torture" list 2>/dev/null | wc -l)

# ---- kernel: the uncompressed vmlinux boots faster (PVH) ------------------------------
KERNEL=$BUILD/vmlinux-$KVER
[ -n "$GUEST_IMAGE" ] && KERNEL=$GUEST_IMAGE
if [ ! -s "$KERNEL" ]; then
	off=$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$BZIMAGE" | head -1 | cut -d: -f1)
	if [ -n "$off" ] && tail -c +$((off + 1)) "$BZIMAGE" | xz -dcq > "$KERNEL.tmp" 2>/dev/null;
	   [ -s "$KERNEL.tmp" ] && [ "$(head -c 4 "$KERNEL.tmp" | od -An -c | tr -d ' ')" = "177ELF" ]; then
		mv "$KERNEL.tmp" "$KERNEL"
	else
		rm -f "$KERNEL.tmp"
		echo "note: could not extract vmlinux; booting the compressed image"
		KERNEL=$BZIMAGE
	fi
fi

# ---- initramfs ----------------------------------------------------------------------------
ROOT=$BUILD/initramfs
rm -rf "$ROOT"
mkdir -p "$ROOT"/{bin,dev,proc,sys,tmp}
# saio.ko without its debug sections (symbols stay, for oopses): 0.75 MiB less to unpack.
if ! cp "$BUSYBOX" "$ROOT/bin/busybox" || ! ln -s busybox "$ROOT/bin/sh" ||
   ! { strip --strip-debug -o "$ROOT/saio.ko" "$BUILD/mod/saio.ko" 2>/dev/null ||
       cp "$BUILD/mod/saio.ko" "$ROOT/"; } ||
   ! cp "$BUILD/saio_test" "$ROOT/" ||
   ! cp "$KMOD/scripts/module-step.sh" "$ROOT/module-step.sh" ||
   ! cp "$KMOD/tests/init.sh" "$ROOT/init" || ! chmod +x "$ROOT/init"; then
	fail initramfs "could not assemble $ROOT"
	finish
fi
# libsaio and its dynamic programs, with the loader and exactly the libraries ldd lists
# (copied to the paths ldd names: the guest has no ld.so.cache, the default paths match).
if [ -n "$RUNS" ]; then
	DYN="$PRELOAD/build/libsaio.so $PRELOAD/build/tests/epoll_server $PRELOAD/build/tests/unit_uring"
	DYN="$DYN $PRELOAD/build/tests/torture"
	ok=1
	cp "$BUILD/guest_http" "$PRELOAD/build/libsaio.so" "$PRELOAD/build/tests/epoll_server" \
		"$PRELOAD/build/tests/unit_uring" "$PRELOAD/build/tests/torture" "$ROOT/" || ok=0
	for lib in $(ldd $DYN 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// && $2 ~ /^\(0x/ { print $1 }' | sort -u); do
		mkdir -p "$ROOT$(dirname "$lib")" && cp -L "$lib" "$ROOT$lib" || ok=0
	done
	[ -e "$ROOT/lib64/ld-linux-x86-64.so.2" ] || ok=0
	if [ $ok = 0 ]; then
		fail initramfs "could not put libsaio and its libraries into $ROOT"
		finish
	fi
	# sctp.ko and what it needs, in load order (mods/order), for the torture's SCTP
	# scenario; without them that scenario reports SKIP.
	sctp_mods() {	# sctp_mods NAME: NAME's dependencies first, then NAME
		local f
		f=$(find "/lib/modules/$KVER" -name "$1.ko*" 2>/dev/null | head -1)
		[ -n "$f" ] || return 0
		for d in $(modinfo -F depends "$f" 2>/dev/null | tr ',' ' '); do sctp_mods "$d"; done
		case " $MODS " in *" $1 "*) ;; *) MODS="$MODS $1"; MODF="$MODF $f" ;; esac
	}
	MODS=""
	MODF=""
	sctp_mods crc32c_generic
	sctp_mods sctp
	mkdir -p "$ROOT/mods"
	for f in $MODF; do
		n=$(basename "$f" | sed 's/\.ko.*//')
		case $f in
		*.xz) xz -dc "$f" > "$ROOT/mods/$n.ko" ;;
		*.zst) zstd -dcq "$f" > "$ROOT/mods/$n.ko" 2>/dev/null ;;
		*) cp "$f" "$ROOT/mods/$n.ko" ;;
		esac
		echo "$n" >> "$ROOT/mods/order"
	done
fi
mknod "$ROOT/dev/console" c 5 1 2>/dev/null || true
if ! (cd "$ROOT" && find . | cpio -o -H newc --quiet | gzip -1 > "$BUILD/initramfs.cpio.gz"); then
	fail initramfs "cpio failed"
	finish
fi

# ---- boot ------------------------------------------------------------------------------------
LOG=$BUILD/guest.log
echo "host: booting $(basename "$KERNEL") in qemu (TCG, 2 CPUs)"
T_BOOT=$(date +%s.%N)
# The debug kernel: KASAN's shadow, kmemleak's pool and the checkers' slowness.
MEM=1024
[ "$DEBUG" = 1 ] && MEM=2048
DEBUG_ARGS=""
[ "$DEBUG" = 1 ] && DEBUG_ARGS=" saio_debug=1 saio_scale=$SCALE"
# The torture suite runs each scenario three times (without the library, kmod_enter, kmod_worker).
GUEST_LIMIT=600
case ",$RUNS" in *,torture.*) GUEST_LIMIT=$((GUEST_LIMIT + 900)) ;; esac
timeout $((GUEST_LIMIT * SCALE)) qemu-system-x86_64 -machine q35 -cpu max -smp 2 -m $MEM \
	-kernel "$KERNEL" -initrd "$BUILD/initramfs.cpio.gz" \
	-append "console=ttyS0 quiet loglevel=4 panic=-1 tsc=reliable oops=panic${DEBUG_ARGS}${ONLY:+ saio_only=$ONLY}${RUNS:+ saio_preload=$RUNS}" \
	-nographic -no-reboot -net none -monitor none -serial stdio \
	-device isa-debug-exit,iobase=0xf4,iosize=0x04 < /dev/null 2>&1 |
	sed -u 's/\r$//' | tee "$LOG" | grep -aE --line-buffered '^(PASS|FAIL|SKIP|GUEST|  )'
QEMU_RC=${PIPESTATUS[0]}
echo "host: guest ran $(awk "BEGIN{printf \"%.1f\", $(date +%s.%N) - $T_BOOT}")s, qemu exit $QEMU_RC"

GP=$(grep -ac '^PASS: ' "$LOG")
GF=$(grep -ac '^FAIL: ' "$LOG")
GS=$(grep -ac '^SKIP: ' "$LOG")
PASSED=$((PASSED + GP))
FAILED=$((FAILED + GF))
# Expected guest cases: every saio_test case plus the shell-level ones, plus the libsaio
# runs' cases (guest_http lists its own; unit_uring has UNIT_CASES; after kmod runs one
# unload check), so a guest that dies part-way is caught.
if [ -n "$ONLY" ]; then
	EXPECT=3
	for a in "$@"; do
		case $a in preload*) ;; *) EXPECT=$((EXPECT + 1)) ;; esac
	done
else
	EXPECT=$(($(SAIO_DEBUG_KERNEL=$DEBUG "$BUILD/saio_test" list 2>/dev/null | wc -l) + 7))
	[ "$DEBUG" = 1 ] && EXPECT=$((EXPECT + 1))	# kmemleak_clean
fi
for r in ${RUNS//,/ }; do
	case $r in
	http.*) EXPECT=$((EXPECT + $("$BUILD/guest_http" list "${r#http.}" | wc -l))) ;;
	unit.*) EXPECT=$((EXPECT + UNIT_CASES)) ;;
	torture.*) EXPECT=$((EXPECT + TORTURE_CASES)) ;;
	esac
done
case ",$RUNS" in *.kmod*) EXPECT=$((EXPECT + 1)) ;; esac
if [ $((GP + GF + GS)) -lt "$EXPECT" ]; then
	fail guest_completed "only $((GP + GF + GS)) of $EXPECT guest cases reported (crash or timeout?); tail of $LOG:"
	tail -40 "$LOG"
fi
TROUBLE='Oops|BUG:|WARNING:|Call Trace|general protection|Kernel panic|blocked for more than|soft lockup|KASAN|KFENCE|kmemleak: .*(suspected|disabled|kmemleak_object|Out of memory)|possible circular locking|inconsistent lock state'
# (the guest's own FAIL lines may quote the kernel: they are judged as cases already)
if grep -av '^FAIL: ' "$LOG" | grep -aqE "$TROUBLE"; then
	fail guest_console_clean "kernel trouble on the console:"
	grep -av '^FAIL: ' "$LOG" | grep -aE -m5 "$TROUBLE"
else
	pass guest_console_clean
fi
# isa-debug-exit: (0x10 << 1) | 1 = 33 is the guest's "pass".
if [ "$QEMU_RC" = 33 ] && grep -aq '^SAIO-GUEST-VERDICT: pass' "$LOG"; then
	pass guest_verdict
else
	fail guest_verdict "qemu exit $QEMU_RC (33 = pass, 35 = fail, 124 = timeout)"
fi
finish
