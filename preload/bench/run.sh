#!/bin/sh
# run.sh - nginx baseline vs saio-sync vs saio-uring (see bench.py for the method).
# Exposed by the project as `npm run bench:preload`. Takes about 6 minutes with the
# defaults; DURATION, REPEATS, CONNS, SIZES, MODES and OUT (JSON) adjust it.
set -e
here=$(cd "$(dirname "$0")" && pwd)
make -C "$here/.." --no-print-directory >/dev/null
exec python3 "$here/bench.py" "$@"
