#!/bin/sh
# lab.sh - issue 13's benchmark through the lab itself (`npm run bench:libsaio`, part of
# `npm run bench`): replays experiments/bench-libsaio.json — nginx 1 KiB / 100 KiB, keep-alive
# / Connection: close, 10/100/400 connections; redis and memcached GET and SET at 50 — with
# baseline and saio-uring alternated in every round, 7 rounds, the lab's generator, its
# statistics (ratio of medians, 95% CI, verdict) and CPU per request; prints the table, then
# counts system calls per request with perf (syscalls.py) and shows where the server's CPU goes
# in the two nginx 1 KiB cells (profile.py, perf record). About 27 minutes; QUICK=1 runs the
# notebook's quick variant (1 round: no statistics). Results in OUT (out/bench-libsaio).
# Run it on a quiet machine (here: under `flock -x /work/locks/bench.lock`).
set -e
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${OUT:-$root/out/bench-libsaio}
make -C "$root/preload" --no-print-directory >/dev/null
[ -x "$root/native/build/saio-load" ] || { echo "lab.sh: native/build/saio-load is not built: run npm run build" >&2; exit 1; }
mkdir -p "$out"
rm -f "$out/lab.db"
node "$root/bin/saio-lab.js" --db "$out/lab.db" replay "$root/experiments/bench-libsaio.json" \
	--out "$out" ${QUICK:+--quick} >"$out/replay.log" 2>&1 || { tail -20 "$out/replay.log" >&2; exit 1; }
echo "# experiments/bench-libsaio.json through the lab ($out/report.html)"
python3 "$root/preload/bench/lab_table.py" "$out"
echo
DURATION=${SYSCALL_DURATION:-3} OUT="$out/syscalls.json" python3 "$root/preload/bench/syscalls.py"
echo
DURATION=${PROFILE_DURATION:-3} OUT="$out/profile.json" python3 "$root/preload/bench/profile.py"
