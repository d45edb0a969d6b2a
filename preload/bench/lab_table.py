#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""lab_table.py OUT - the table of a `saio-lab replay` of experiments/bench-libsaio.json.

Reads OUT/comparisons.csv and OUT/summaries.csv (written by the lab) and prints, for every
cell and connection count, each backend's median requests/s and CPU per request (µs of
server CPU, every thread of the server counted), and the lab's comparison with the reference:
ratio of medians with its 95% interval, p and verdict, for requests/s and for requests per
server CPU-second. Nothing is computed here that the lab did not compute, but the CPU per
request (1e6 / requests per CPU-second).
"""
import csv
import os
import sys


def rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def fmt_ratio(c):
    if not c:
        return "-"
    lo, hi = c["ci_low"], c["ci_high"]
    ci = f" [{float(lo):.2f}, {float(hi):.2f}]" if lo and hi else ""
    p = f" p={float(c['p_value']):.3f}" if c["p_value"] else ""
    return f"{float(c['ratio']):.2f}{ci}{p} {c['verdict']}"


def main():
    out = sys.argv[1]
    summ = rows(os.path.join(out, "summaries.csv"))
    comp = rows(os.path.join(out, "comparisons.csv"))
    med = {(s["cell_id"], s["config"], s["backend"], s["metric"]): s for s in summ}
    cmp = {(c["cell_id"], c["config"], c["backend"], c["metric"]): c for c in comp}
    keys = []
    for s in summ:
        k = (s["cell_id"], s["config"], s["backend"])
        if k not in keys:
            keys.append(k)
    print(f"{'cell':<24} {'point':<18} {'backend':<11} {'n':>2} {'req/s':>9} {'CPU µs/req':>10}  "
          f"{'req/s ratio [95% CI] p verdict':<38} req/CPU-s ratio [95% CI] p verdict")
    for cell, config, backend in keys:
        r = med.get((cell, config, backend, "requests_per_s"))
        c = med.get((cell, config, backend, "requests_per_cpu_s"))
        rps = float(r["median"]) if r and r["median"] else 0
        cpu = 1e6 / float(c["median"]) if c and c["median"] and float(c["median"]) > 0 else float("nan")
        n = r["n"] if r else "-"
        print(f"{cell:<24} {config:<18} {backend:<11} {n:>2} {rps:>9.0f} {cpu:>10.1f}  "
              f"{fmt_ratio(cmp.get((cell, config, backend, 'requests_per_s'))):<38} "
              f"{fmt_ratio(cmp.get((cell, config, backend, 'requests_per_cpu_s')))}")


if __name__ == "__main__":
    main()
