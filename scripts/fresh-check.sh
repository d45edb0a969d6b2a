#!/usr/bin/env bash
# scripts/fresh-check.sh: the README's quick start, exactly as written, on a fresh Debian 12
# root — what a new user and CI see, not this machine with its packages installed by hand.
#
#   sudo bash scripts/fresh-check.sh [--keep] [--ref REF] [--dir DIR]
#
# 1. debootstrap --variant=minbase bookworm into DIR (default /var/tmp/saio-fresh.XXXXXX), plus
#    git and ca-certificates; this machine's Node and npm are copied in (the nodejs package's
#    files and the npm in /usr/lib/node_modules), nothing else of it.
# 2. The settings a machine of this kind gets from its network, copied (not bind-mounted): DNS
#    (/etc/resolv.conf), the apt sources and their Acquire:: settings, extra CA certificates
#    (/usr/local/share/ca-certificates) and npm's config (npmrc).
# 3. In new mount and PID namespaces (everything started inside dies with it; the mounts vanish):
#    the root bound onto itself (a mount point, as a machine's / is), fresh proc, sysfs, devpts,
#    /run, /dev/shm and /tmp; the repository bind-mounted read-only, the
#    only thing of this machine that is; `git clone` of REF (default HEAD: committed work only).
# 4. Each command of the README's "Quick start" block, in order, exactly as written there, as
#    root in the clone. Their exit codes, durations and last lines are printed; the whole log is
#    in DIR/../saio-fresh-check.log (kept). Exit 0 only when every command exited 0.
#
# It takes about 20 minutes and needs the apt mirror and the npm registry, so it is not part of
# `npm test`: run it before resolving an issue that touches setup, and give its result.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
keep=0
ref=HEAD
dir=""
while [ $# -gt 0 ]; do
	case $1 in
	--keep) keep=1 ;;
	--ref) ref=${2:?--ref needs a commit}; shift ;;
	--dir) dir=${2:?--dir needs a path}; shift ;;
	*) echo "usage: bash scripts/fresh-check.sh [--keep] [--ref REF] [--dir DIR]" >&2; exit 2 ;;
	esac
	shift
done
say() { echo "fresh-check: $*" >&2; }
[ "$(id -u)" -eq 0 ] || { say "needs root (debootstrap, chroot, mounts): run it with sudo"; exit 2; }
commit=$(git -C "$repo" rev-parse --verify "$ref^{commit}") || { say "$ref is not a commit of $repo"; exit 2; }
if ! command -v debootstrap >/dev/null; then
	say "installing debootstrap (this check's own tool)"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap >/dev/null
fi
for tool in unshare chroot mount; do
	command -v "$tool" >/dev/null || { say "$tool is missing (apt-get install util-linux coreutils mount)"; exit 2; }
done
node_bin=$(command -v node) || { say "this machine has no node to copy in"; exit 2; }
npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
[ -f "$npm_dir/package.json" ] || { say "cannot find npm's directory (from $(command -v npm))"; exit 2; }

# The commands, from the README itself: the first ```sh block after "## Quick start".
mapfile -t commands < <(awk '/^## Quick start/{q=1} q&&/^```sh/{b=1;next} b&&/^```/{exit} b{sub(/[ \t]+#.*$/,""); if($0!="")print}' "$repo/README.md")
[ ${#commands[@]} -gt 0 ] || { say "README.md has no \`\`\`sh block under \"## Quick start\""; exit 2; }

[ -n "$dir" ] || dir=$(mktemp -d /var/tmp/saio-fresh.XXXXXX)
mkdir -p "$dir"
[ -z "$(ls -A "$dir")" ] || { say "$dir is not empty: give a fresh directory"; exit 2; }
# mktemp -d makes it 0700, and it becomes the root's "/": a daemon that drops to nobody (nginx's
# workers) could then open nothing at all. A real machine's / is 0755.
chmod 755 "$dir"
log=$dir.log
cleanup() {
	if [ "$keep" -eq 0 ]; then rm -rf --one-file-system "$dir"; else say "root kept in $dir"; fi
}
trap cleanup EXIT
t0=$(date +%s)
stamp() { echo "$(( $(date +%s) - t0 ))s"; }
say "commit $commit; root $dir; log $log"
say "commands (README.md, Quick start):"
for c in "${commands[@]}"; do say "  $c"; done

# ---- 1. the root ---------------------------------------------------------------------
mirror=$(sed -n 's/^URIs:[[:space:]]*\(\S*debian\)[[:space:]]*$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1)
[ -n "$mirror" ] || mirror=$(sed -n 's/^deb[[:space:]]\+\(\S*debian\)[[:space:]]\+bookworm[[:space:]].*/\1/p' /etc/apt/sources.list 2>/dev/null | head -1)
mirror=${mirror:-http://deb.debian.org/debian}
say "debootstrap minbase bookworm from $mirror ($(stamp))"
if ! debootstrap --variant=minbase --include=git,ca-certificates bookworm "$dir" "$mirror" >"$log" 2>&1; then
	tail -20 "$log" >&2
	say "debootstrap failed (whole log: $log)"
	exit 1
fi

# A copy of one path of this machine at the same path in the root. (Not cp -a --parents: on
# some filesystems it fails to copy the parents' ACLs and then the file.)
copy_in() {
	mkdir -p "$dir$(dirname "$1")"
	cp -a "$1" "$dir$1"
}
# This machine's Node and npm: the nodejs package's files, then npm wherever it lives now.
if dpkg-query -S "$node_bin" >/dev/null 2>&1; then
	pkg=$(dpkg-query -S "$node_bin" | cut -d: -f1)
	dpkg-query -L "$pkg" | while read -r f; do
		if [ -f "$f" ] || [ -L "$f" ]; then copy_in "$f"; fi
	done
else
	copy_in "$node_bin"
	if [ -d /usr/include/node ]; then copy_in /usr/include/node; fi
fi
rm -rf "${dir:?}$npm_dir"
copy_in "$npm_dir"
for b in npm npx; do
	if p=$(command -v $b); then ln -sfn "$(readlink "$p" || echo "$npm_dir/bin/$b-cli.js")" "$dir$p"; fi
done

# The network's settings, as a machine of this kind has them.
cp /etc/resolv.conf "$dir/etc/resolv.conf"
rm -f "$dir/etc/apt/sources.list"
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
	if [ -f "$f" ]; then cp "$f" "$dir$f"; fi
done
for f in /etc/apt/apt.conf.d/*; do
	if grep -q 'Acquire::' "$f" 2>/dev/null; then cp "$f" "$dir$f"; fi
done
if ls /usr/local/share/ca-certificates/*.crt >/dev/null 2>&1; then
	mkdir -p "$dir/usr/local/share/ca-certificates"
	cp /usr/local/share/ca-certificates/*.crt "$dir/usr/local/share/ca-certificates/"
	chroot "$dir" update-ca-certificates >>"$log" 2>&1
fi
for f in /usr/etc/npmrc /etc/npmrc /root/.npmrc; do
	if [ -f "$f" ]; then copy_in "$f"; fi
done
say "root ready: $(du -sh --one-file-system "$dir" | cut -f1), node $(chroot "$dir" node -v), npm $(chroot "$dir" npm -v 2>/dev/null) ($(stamp))"

# ---- 2. the commands, in namespaces of their own --------------------------------------
mkdir -p "$dir/mnt/repo"
inner=$(cat <<'EOF'
set -u
dir=$1; commit=$2; shift 2
# A machine's / is a mount point, and `ip netns exec` remounts it (--make-rslave /): the root
# is bound onto itself so that holds in the chroot too. /run is a tmpfs, as on a machine.
mount --bind "$dir" "$dir"
mount -t proc proc "$dir/proc"
mount -t tmpfs -o mode=755 run "$dir/run"
mount -t sysfs sysfs "$dir/sys"
mount -t tmpfs -o mode=755 dev "$dir/dev"
for n in "null 1 3" "zero 1 5" "full 1 7" "random 1 8" "urandom 1 9" "tty 5 0"; do
	set -- $n; mknod -m 666 "$dir/dev/$1" c "$2" "$3"
done
# What a machine's own /dev also has: the kernel log (the module step marks it), and KVM and
# TUN where the kernel offers them (QEMU probes them).
mknod -m 644 "$dir/dev/kmsg" c 1 11
[ -c /dev/kvm ] && mknod -m 666 "$dir/dev/kvm" c 10 232
[ -c /dev/net/tun ] && mkdir -p "$dir/dev/net" && mknod -m 666 "$dir/dev/net/tun" c 10 200
mkdir "$dir/dev/pts" "$dir/dev/shm"
mount -t devpts -o newinstance,ptmxmode=0666 devpts "$dir/dev/pts"
ln -s pts/ptmx "$dir/dev/ptmx"
mount -t tmpfs -o mode=1777 shm "$dir/dev/shm"
mount -t tmpfs -o mode=1777 tmp "$dir/tmp"
ln -s /proc/self/fd "$dir/dev/fd"
for i in "stdin 0" "stdout 1" "stderr 2"; do set -- $i; ln -s "/proc/self/fd/$2" "$dir/dev/$1"; done
EOF
)
# The repository is the one bind mount of this machine, read-only. The chroot shares this
# machine's network namespace, so its SSH test hosts get names and a subnet of their own
# (saiof, 10.215.0): this machine's own suites may be running theirs (saiot, 10.214.0).
run_inner() {
	unshare --mount --pid --fork --kill-child --propagation private bash -c "
		$inner
		mount --bind -o ro '$repo' '$dir/mnt/repo' && mount -o remount,bind,ro '$dir/mnt/repo'
		exec chroot '$dir' /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb \
			SAIO_TEST_NETNS_PREFIX=saiof SAIO_TEST_NETNS_SUBNET=10.215.0 \
			PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
			bash -c \"\$0\"
	" "$1" "$dir" "$commit"
}
status=0
run_inner "git clone -q /mnt/repo /root/saio-lab && cd /root/saio-lab && git checkout -q $commit && git log -1 --format='%h %s'" 2>&1 | tee -a "$log" >&2 || status=1
[ "$status" -eq 0 ] || { say "git clone failed (log: $log)"; exit 1; }
results=()
for c in "${commands[@]}"; do
	say "running: $c ($(stamp))"
	s0=$(date +%s)
	set +e
	run_inner "cd /root/saio-lab && $c" >>"$log" 2>&1
	rc=$?
	set -e
	secs=$(( $(date +%s) - s0 ))
	results+=("exit $rc in $((secs / 60)) min $((secs % 60)) s: $c")
	say "exit $rc after ${secs}s: $c; its last lines:"
	tail -8 "$log" | sed 's/^/    /' >&2
	[ "$rc" -eq 0 ] || status=1
done
say "summary (commit $commit, $(date -u +%FT%TZ), total $(stamp)):"
for r in "${results[@]}"; do say "  $r"; done
[ "$status" -eq 0 ] && say "PASSED" || say "FAILED (log: $log)"
exit "$status"
