#!/usr/bin/env bash
# The main job: set up, then replay the quickstart notebook headless and write its report.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash scripts/setup.sh
out=${1:-out/quickstart}
node bin/saio-lab.js replay experiments/quickstart.json --out "$out"
echo "open $root/$out/report.html in a browser to see the plots"
