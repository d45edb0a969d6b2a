#!/bin/sh
# run.sh - saio-load against wrk and redis-benchmark (see bench.py for the method). Exposed as
# `npm run bench:loadgen`. About 15 minutes with the defaults; DURATION, REPEATS, CONNS, PARTS and
# OUT (JSON file for the raw results) adjust it. Run it on a quiet machine.
set -e
here=$(cd "$(dirname "$0")" && pwd)
make -C "$here/.." --no-print-directory >/dev/null
exec python3 "$here/bench.py" "$@"
