#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""bench.py - saio-load measured against the tools it replaces (run through run.sh).

Parts (PARTS, default "http open overload redis"):
  http      nginx (1 worker, 1 KiB file, keep-alive) loaded by wrk -t1 and by saio-load -t1 (every
            body checked), c = 10/100/400, the two tools alternating within each repeat (the first
            one alternates too). Two placements: "split" (nginx's worker on CPU 0, the tool on CPU 1)
            and "shared" (both on CPU 0: there a cheaper generator leaves more CPU to the server).
            Per cell: median req/s with min/max, the tool's CPU time per request (user+system of the
            whole process, from wait4), and the median of the per-repeat ratios saio/wrk with a
            bootstrap 95% confidence interval.
  open      open loop (poisson, c100, depth 4) at 50% of the capacity (the median of 3 closed-loop
            runs at the same concurrency: c100, pipeline 4): achieved/offered per repeat, p99
            across repeats (spread around the median).
  overload  open loop at 120% of capacity for growing durations: the corrected p99 (from the
            intended send time) must grow with the duration, the uncorrected (service) must not.
  redis     redis-server (one thread) GET, 50 connections, closed loop: redis-benchmark -t get vs
            saio-load --workload get (every value checked), same value size and key space, split
            and shared placements.

Environment: DURATION (s, default 3), REPEATS (default 5), CONNS ("10 100 400"), PARTS, OUT.
"""
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import ctypes

HERE = os.path.dirname(os.path.abspath(__file__))
SAIO = os.path.join(HERE, "..", "build", "saio-load")
DURATION = float(os.environ.get("DURATION", "3"))
REPEATS = int(os.environ.get("REPEATS", "5"))
CONNS = [int(c) for c in os.environ.get("CONNS", "10 100 400").split()]
PARTS = os.environ.get("PARTS", "http open overload redis").split()
CPUS = sorted(os.sched_getaffinity(0))
SERVER_CPU, TOOL_CPU = CPUS[0], CPUS[-1]
_libc = ctypes.CDLL(None, use_errno=True)


def die_with_parent():
    _libc.prctl(1, signal.SIGKILL)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def wait_port(port, proc, timeout=10):
    end = time.time() + timeout
    while time.time() < end:
        if proc.poll() is not None:
            sys.exit(f"bench: server exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    sys.exit(f"bench: nothing listens on {port}")


def need(tool):
    if not shutil.which(tool):
        sys.exit(f"bench: {tool} not found: apt-get install {'redis-tools' if tool == 'redis-benchmark' else tool}")


class Nginx:
    def __init__(self, base):
        self.dir = os.path.join(base, "nginx")
        root = os.path.join(self.dir, "root")
        os.makedirs(root)
        os.makedirs(os.path.join(self.dir, "t"))
        for d in (base, self.dir, root):
            os.chmod(d, 0o755)
        with open(os.path.join(root, "1k.html"), "wb") as f:
            f.write(bytes(random.Random(1).choice(b"abcdefghijklmnopqrstuvwxyz") for _ in range(1024)))
        self.port = free_port()
        t = os.path.join(self.dir, "t")
        conf = os.path.join(self.dir, "nginx.conf")
        with open(conf, "w") as f:
            f.write(f"""daemon off; master_process on; worker_processes 1; worker_rlimit_nofile 8192;
error_log {self.dir}/error.log crit; pid {self.dir}/nginx.pid;
events {{ worker_connections 4096; }}
http {{ access_log off; sendfile on; tcp_nopush on; keepalive_requests 1000000;
  client_body_temp_path {t}; proxy_temp_path {t}; fastcgi_temp_path {t}; uwsgi_temp_path {t}; scgi_temp_path {t};
  server {{ listen 127.0.0.1:{self.port} backlog=4096; root {root}; }} }}
""")
        self.proc = subprocess.Popen(["taskset", "-c", str(SERVER_CPU), "nginx", "-c", conf, "-p", self.dir],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=die_with_parent)
        wait_port(self.port, self.proc)
        self.url = f"http://127.0.0.1:{self.port}/1k.html"

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)


class Redis:
    def __init__(self, base):
        self.port = free_port()
        self.proc = subprocess.Popen(["taskset", "-c", str(SERVER_CPU), "redis-server", "--port", str(self.port),
                                      "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", base],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=die_with_parent)
        wait_port(self.port, self.proc)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)


def run_tool(argv, cpu, timeout):
    """Runs argv pinned to cpu; returns (stdout, stderr, cpu seconds of the whole process). Output
    goes to files: a pipe nobody reads while we wait would block a large JSON document."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        p = subprocess.Popen(["taskset", "-c", str(cpu), *argv], stdout=out, stderr=err, preexec_fn=die_with_parent)
        t_end = time.time() + timeout
        while True:
            pid, status, ru = os.wait4(p.pid, os.WNOHANG)
            if pid:
                break
            if time.time() > t_end:
                p.kill()
                sys.exit(f"bench: {argv[0]} did not finish in {timeout} s")
            time.sleep(0.02)
        out.seek(0)
        err.seek(0)
        o, e = out.read().decode(), err.read().decode()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"bench: {' '.join(argv)} failed: {e[-500:]}")
    return o, e, ru.ru_utime + ru.ru_stime


def wrk(url, c, cpu):
    out, _, cpu_s = run_tool(["wrk", "-t1", f"-c{c}", f"-d{int(DURATION)}s", url], cpu, DURATION + 30)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)|Socket errors", out)
    return {"rps": rps, "requests": total, "cpu_s": cpu_s, "errors": bool(errors)}


def saio(args, cpu, duration=None):
    d = duration if duration is not None else DURATION
    out, err, cpu_s = run_tool([SAIO, "--json", "-t", "1", "--cpus", str(cpu), "-d", str(d), *map(str, args)], cpu,
                               d + 60)
    doc = json.loads(out)
    return {"rps": doc["requests_per_s"], "requests": doc["requests"], "cpu_s": cpu_s, "doc": doc,
            "verified": doc["all_verified"], "warnings": [w["kind"] for w in doc["warnings"]]}


def redis_benchmark(port, cpu, n):
    out, _, cpu_s = run_tool(["redis-benchmark", "-p", str(port), "-t", "get", "-c", "50", "-n", str(n),
                              "-r", "10000", "-d", "32", "--csv"], cpu, 600)
    rows = [line for line in out.splitlines() if line.startswith('"GET"')]
    rps = float(rows[0].split(",")[1].strip('"'))
    return {"rps": rps, "requests": n, "cpu_s": cpu_s}


def med(xs):
    return statistics.median(xs)


def bootstrap_ci(ratios, n=5000):
    rng = random.Random(7)
    meds = sorted(med([rng.choice(ratios) for _ in ratios]) for _ in range(n))
    return meds[int(0.025 * n)], meds[int(0.975 * n) - 1]


def fmt_cell(rs):
    return f"{med(rs):,.0f} [{min(rs):,.0f}-{max(rs):,.0f}]"


def compare(label, runs_a, runs_b, name_a, name_b):
    """One table row: tool A vs tool B over the repeats (paired by repeat)."""
    ra, rb = [r["rps"] for r in runs_a], [r["rps"] for r in runs_b]
    ratios = [b / a for a, b in zip(ra, rb)]
    lo, hi = bootstrap_ci(ratios)
    cpu_a = med([r["cpu_s"] / max(r["requests"], 1) * 1e6 for r in runs_a])
    cpu_b = med([r["cpu_s"] / max(r["requests"], 1) * 1e6 for r in runs_b])
    return (f"| {label} | {fmt_cell(ra)} | {fmt_cell(rb)} | {med(ratios):.3f} [{lo:.3f}, {hi:.3f}] | "
            f"{cpu_a:.2f} | {cpu_b:.2f} |")


def part_http(ngx, results, lines):
    lines.append(f"\n### HTTP: nginx 1 KiB keep-alive, 1 tool thread, {DURATION:g} s runs, {REPEATS} repeats "
                 "(median [min-max] req/s; ratio = saio-load/wrk per repeat, median [95% bootstrap CI]; "
                 "tool CPU µs per request)\n")
    lines.append("| placement, c | wrk req/s | saio-load req/s (every body checked) | ratio | wrk CPU µs/req | "
                 "saio-load CPU µs/req |")
    lines.append("|---|---|---|---|---|---|")
    for placement, cpu in [("split", TOOL_CPU), ("shared", SERVER_CPU)]:
        for c in CONNS:
            w, s = [], []
            for rep in range(REPEATS):
                order = ["wrk", "saio"] if rep % 2 == 0 else ["saio", "wrk"]
                for tool in order:
                    if tool == "wrk":
                        w.append(wrk(ngx.url, c, cpu))
                    else:
                        r = saio(["-c", c, ngx.url], cpu)
                        if not r["verified"]:
                            sys.exit(f"bench: saio-load did not verify every response: {r['doc']['mismatches']}")
                        s.append(r)
            results["http"].append({"placement": placement, "c": c, "wrk": w,
                                    "saio": [{k: v for k, v in r.items() if k != "doc"} for r in s]})
            lines.append(compare(f"{placement}, c{c}", w, s, "wrk", "saio-load"))
            print(lines[-1], flush=True)


def capacity(ngx, results):
    """Closed-loop throughput at the open loop's own concurrency (c100, 4 in flight each): the
    server batches more at 400 requests in flight than at 100, so a c100 pipeline-1 figure would
    understate what the open loop can get."""
    runs = [saio(["-c", 100, "--pipeline", 4, ngx.url], TOOL_CPU)["rps"] for _ in range(3)]
    results["capacity"] = runs
    return med(runs)


def part_open(ngx, results, lines, cap):
    rate = 0.5 * cap
    rows = []
    for rep in range(REPEATS):
        r = saio(["-c", 100, "-R", f"{rate:.0f}", "--warmup", 1, ngx.url], TOOL_CPU, duration=max(DURATION, 5))
        d = r["doc"]
        rows.append({"achieved": d["requests_per_s"], "offered": d["offered_per_s"], "scheduled": d["scheduled"],
                     "p99": d["latency_us"]["p99"], "svc_p99": d["service_us"]["p99"],
                     "lag_p99": d["schedule_lag_us"]["p99"], "verified": d["all_verified"], "warnings": r["warnings"],
                     "cpu_s": r["cpu_s"]})
    results["open"] = {"capacity": cap, "rate": rate, "runs": rows}
    p99 = [r["p99"] for r in rows]
    m = med(p99)
    lines.append(f"\n### Open loop at 50% of capacity ({rate:,.0f} req/s of {cap:,.0f}; poisson, c100, depth 4, "
                 f"{max(DURATION, 5):g} s after 1 s warm-up, {REPEATS} repeats)\n")
    lines.append("| repeat | achieved/offered | completed/scheduled | p99 µs (corrected) | p99 µs (service) | "
                 "schedule lag p99 µs | verified | warnings |")
    lines.append("|---|---|---|---|---|---|---|---|")
    for i, r in enumerate(rows):
        lines.append(f"| {i + 1} | {r['achieved'] / r['offered']:.4f} | "
                     f"{r['achieved'] * max(DURATION, 5) / r['scheduled']:.4f} | {r['p99']:.1f} | {r['svc_p99']:.1f} | "
                     f"{r['lag_p99']:.1f} | {r['verified']} | {','.join(r['warnings']) or '-'} |")
    lines.append(f"\np99 median {m:.1f} µs, spread {min(p99) / m - 1:+.1%} / {max(p99) / m - 1:+.1%} "
                 f"(goal ±10%); achieved/offered {min(r['achieved'] / r['offered'] for r in rows):.4f}.."
                 f"{max(r['achieved'] / r['offered'] for r in rows):.4f} (goal within 1%)")
    print("\n".join(lines[-(len(rows) + 4):]), flush=True)


def part_overload(ngx, results, lines, cap):
    rate = 1.2 * cap
    rows = []
    for d in [1, 2, 4, 8]:
        r = saio(["-c", 100, "-R", f"{rate:.0f}", ngx.url], TOOL_CPU, duration=d)
        doc = r["doc"]
        rows.append({"duration": d, "p99": doc["latency_us"]["p99"], "svc_p99": doc["service_us"]["p99"],
                     "achieved": doc["requests_per_s"], "unsent": doc["unsent"], "warnings": r["warnings"]})
    results["overload"] = {"rate": rate, "runs": rows}
    lines.append(f"\n### Open loop at 120% of capacity ({rate:,.0f} req/s; poisson, c100, depth 4)\n")
    lines.append("| duration s | achieved req/s | p99 µs corrected (from intended time) | p99 µs uncorrected (service) | "
                 "unsent | warnings |")
    lines.append("|---|---|---|---|---|---|")
    for r in rows:
        lines.append(f"| {r['duration']} | {r['achieved']:,.0f} | {r['p99']:,.0f} | {r['svc_p99']:,.0f} | {r['unsent']} | "
                     f"{','.join(r['warnings']) or '-'} |")
    print("\n".join(lines[-(len(rows) + 3):]), flush=True)


def part_redis(base, results, lines):
    need("redis-benchmark")
    lines.append(f"\n### redis GET, 50 connections, closed loop, 1 tool thread, 10000 keys, 32-byte values, "
                 f"{REPEATS} repeats (median [min-max] ops/s; ratio = saio-load/redis-benchmark)\n")
    lines.append("| placement | redis-benchmark ops/s | saio-load ops/s (every value checked) | ratio | "
                 "redis-benchmark CPU µs/op | saio-load CPU µs/op |")
    lines.append("|---|---|---|---|---|---|")
    results["redis"] = []
    for placement, cpu in [("split", TOOL_CPU), ("shared", SERVER_CPU)]:
        srv = Redis(base)
        try:
            n = None
            rb, s = [], []
            for rep in range(REPEATS):
                order = ["rb", "saio"] if rep % 2 == 0 else ["saio", "rb"]
                for tool in order:
                    if tool == "rb":
                        if n is None:  # size redis-benchmark's request count to about DURATION seconds
                            n = max(10000, int(redis_benchmark(srv.port, cpu, 20000)["rps"] * DURATION))
                        rb.append(redis_benchmark(srv.port, cpu, n))
                    else:
                        r = saio(["-c", 50, "--workload", "get", "--keys", 10000, "--value-size", 32,
                                  f"redis://127.0.0.1:{srv.port}"], cpu)
                        if not r["verified"]:
                            sys.exit(f"bench: saio-load did not verify every reply: {r['doc']['mismatches']}")
                        s.append(r)
        finally:
            srv.stop()
        results["redis"].append({"placement": placement, "redis_benchmark": rb,
                                 "saio": [{k: v for k, v in r.items() if k != "doc"} for r in s]})
        lines.append(compare(placement, rb, s, "redis-benchmark", "saio-load"))
        print(lines[-1], flush=True)


def main():
    need("nginx")
    need("wrk")
    need("taskset")
    base = tempfile.mkdtemp(prefix="saio-load-bench-")
    results = {"http": [], "machine": {"cpus": CPUS, "load": open("/proc/loadavg").read().split()[:3]}}
    lines = [f"# saio-load benchmark {time.strftime('%Y-%m-%d %H:%M')} - {len(CPUS)} CPUs, server on CPU "
             f"{SERVER_CPU}, tool on CPU {TOOL_CPU} (split) or {SERVER_CPU} (shared); load average at start "
             f"{' '.join(results['machine']['load'])}"]
    print(lines[0], flush=True)
    ngx = None
    try:
        if {"http", "open", "overload"} & set(PARTS):
            ngx = Nginx(base)
        if "http" in PARTS:
            part_http(ngx, results, lines)
        if {"open", "overload"} & set(PARTS):
            cap = capacity(ngx, results)
            if "open" in PARTS:
                part_open(ngx, results, lines, cap)
            if "overload" in PARTS:
                part_overload(ngx, results, lines, cap)
        if ngx:
            ngx.stop()
            ngx = None
        if "redis" in PARTS:
            part_redis(base, results, lines)
    finally:
        if ngx:
            ngx.stop()
        shutil.rmtree(base, ignore_errors=True)
    print("\n" + "\n".join(lines))
    if os.environ.get("OUT"):
        with open(os.environ["OUT"], "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
