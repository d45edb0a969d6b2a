#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""syscalls.py - system calls and io_uring requests per request, counted by perf.

The lab (experiments/bench-libsaio.json, run by `npm run bench`) measures throughput, latency
and CPU with its statistics; it does not trace system calls. This counts them for the same
cells: nginx (1 worker) 1 KiB / 100 KiB, keep-alive / Connection: close, at 100 connections
(1 KiB keep-alive also with open_file_cache, the notebook's nginx-1k-keepalive-ofc);
redis and memcached (one thread) GET and SET at 50 connections. Each server runs pinned to
CPU 0, as shipped (baseline) and under libsaio (saio-uring), while the lab's generator
(native/build/saio-load, closed loop, CPU 1) drives it; `perf stat -e raw_syscalls:sys_enter
-e io_uring:io_uring_submit_req` counts every thread of the server process (io-wq workers
included) over the load's window. Throughput here is not the result (perf costs ~10%): the
lab's run is.

Environment: DURATION (s, default 3), CELLS (names to run, default all), OUT (JSON).
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (Nginx, free_port, LIB, die_with_parent)

HERE = os.path.dirname(os.path.abspath(__file__))
LOAD = os.path.join(HERE, "..", "..", "native", "build", "saio-load")
DURATION = float(os.environ.get("DURATION", "3"))
CONFIGS = [("baseline", {}), ("saio-uring", {"LD_PRELOAD": bench.LIB, "SAIO_BACKEND": "uring"})]
# The notebook's nginx-1k-keepalive-ofc: as shipped nginx opens and stats the file for every
# request itself (2 of its 3 system calls per request under the library); with this it does not.
OPEN_FILE_CACHE = "open_file_cache max=1000 inactive=60s;"


def http_extra(cell):
    """nginx's extra http configuration for a cell, by its name."""
    return OPEN_FILE_CACHE if cell.endswith("open_file_cache") else ""


CELLS = [
    ("nginx 1k keepalive c100", "nginx", "1k", ["--keepalive"], 100),
    ("nginx 1k keepalive c100 open_file_cache", "nginx", "1k", ["--keepalive"], 100),
    ("nginx 1k close c100", "nginx", "1k", ["--close"], 100),
    ("nginx 100k keepalive c100", "nginx", "100k", ["--keepalive"], 100),
    ("nginx 100k close c100", "nginx", "100k", ["--close"], 100),
    ("redis get c50", "redis", None, ["--workload", "get"], 50),
    ("redis set c50", "redis", None, ["--workload", "set"], 50),
    ("memcached get c50", "memcached", None, ["--workload", "get"], 50),
    ("memcached set c50", "memcached", None, ["--workload", "set"], 50),
]


class KV:
    """redis-server or memcached, one thread, pinned to CPU 0."""

    def __init__(self, kind, env_extra, base):
        self.kind = kind
        self.dir = tempfile.mkdtemp(dir=base)
        self.port = bench.free_port()
        if kind == "redis":
            argv = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                    "--appendonly", "no", "--dir", self.dir, "--daemonize", "no",
                    "--protected-mode", "no", "--logfile", self.dir + "/redis.log"]
        else:
            argv = ["memcached", "-l", "127.0.0.1", "-p", str(self.port), "-U", "0", "-t", "1",
                    "-c", "16384", "-m", "256", "-u", "root"]
        env = dict(os.environ)
        env.pop("LD_PRELOAD", None)
        env.update(env_extra)
        self.proc = subprocess.Popen(["taskset", "-c", "0"] + argv, env=env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     start_new_session=True, preexec_fn=bench.die_with_parent)
        self.worker = self.proc.pid
        end = time.time() + 10
        while time.time() < end:
            try:
                bench.socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"{kind} did not start")

    def url(self, size):
        return f"{self.kind}://127.0.0.1:{self.port}"

    def stop(self):
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(self.proc.pid, signal.SIGKILL)


def nginx_url(srv, size):
    return f"http://127.0.0.1:{srv.port}/{size}"


def load(url, extra, conns, secs):
    cmd = ["taskset", "-c", "1", LOAD, "-t", "1", "-c", str(conns), "-d", f"{secs:g}", "--json",
           "--timeout", "5"] + extra + [url]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=secs + 60)
    if out.returncode != 0:
        raise RuntimeError(f"saio-load failed ({out.returncode}): {out.stderr.strip()[:300]}")
    doc = json.loads(out.stdout)
    return doc


def requests_of(doc):
    for k in ("requests", "completed", "ok"):
        if isinstance(doc.get(k), int):
            return doc[k]
    tot = doc.get("total") or doc.get("summary") or {}
    for k in ("requests", "completed", "ok"):
        if isinstance(tot.get(k), int):
            return tot[k]
    raise KeyError("no request count in saio-load's JSON")


def measure(pid, url, extra, conns):
    perf = subprocess.Popen(["perf", "stat", "-x", ",", "-e", "raw_syscalls:sys_enter",
                             "-e", "io_uring:io_uring_submit_req", "-p", str(pid)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    time.sleep(0.5)
    doc = load(url, extra, conns, DURATION)
    perf.send_signal(signal.SIGINT)
    counts = bench.perf_counts(perf.communicate(timeout=30)[1])
    reqs = max(requests_of(doc), 1)
    return {"requests": reqs, "syscalls_per_req": counts.get("raw_syscalls:sys_enter", 0) / reqs,
            "uring_ops_per_req": counts.get("io_uring:io_uring_submit_req", 0) / reqs}


def main():
    bench.require("syscalls.py", ("perf", "taskset", "nginx", "redis-server", "memcached"), LOAD)
    want = [c.strip() for c in os.environ.get("CELLS", "").split(",") if c.strip()]
    base, root = bench.docroot("saio-syscalls-")
    rows = []
    print(f"# system calls per request (perf, every thread of the server), {DURATION:g} s of "
          f"saio-load per point; throughput under perf is not the result", flush=True)
    print(f"{'cell':<40} {'config':<11} {'sys/req':>8} {'uring ops/req':>14}", flush=True)
    try:
        for name, kind, size, extra, conns in CELLS:
            if want and name not in want:
                continue
            for cname, env in CONFIGS:
                srv = bench.Nginx(cname, env, root, tempfile.mkdtemp(dir=base),
                                  http_extra(name)) if kind == "nginx" else KV(kind, env, base)
                try:
                    url = nginx_url(srv, size) if kind == "nginx" else srv.url(size)
                    load(url, extra, conns, 1)  # warm-up (and the keys a GET reads)
                    m = measure(srv.worker, url, extra, conns)
                finally:
                    srv.stop()
                rows.append({"cell": name, "config": cname, **m})
                print(f"{name:<40} {cname:<11} {m['syscalls_per_req']:>8.2f} "
                      f"{m['uring_ops_per_req']:>14.2f}", flush=True)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    bench.save_out(rows)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda sig, frame: sys.exit(128 + sig))
    main()
