#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""bench.py - nginx with and without libsaio.so (run through run.sh).

Cells: body 1 KiB / 100 KiB x keep-alive / Connection: close x wrk connections 10/100/400.
Configurations: baseline (no preload), saio-sync (preload, SAIO_BACKEND=sync), saio-uring
(preload, default backend); in close cells also saio-uring-syncdel (epoll removal of
closed sockets by a direct epoll_ctl instead of an io_uring op). The three (four) nginx
instances run side by side, each pinned to CPU 0 (one worker); wrk -t1 runs on CPU 1.
Within a repeat the configurations alternate; the median of the repeats is reported.
One extra run per cell and configuration is made under
`perf stat -e 'syscalls:sys_enter_*' -e io_uring:io_uring_submit_req -p WORKER` for system
calls (and io_uring ops) per request; its throughput is not used.

Environment: DURATION (s, default 2), REPEATS (default 3), CONNS ("10 100 400"),
SIZES ("1k 100k"), MODES ("keepalive close"), OUT (JSON file for the raw results),
CONFIGS (JSON list of [name, env] replacing the configurations; "LIB" stands for the
library's path; the first one is the reference for the ratio).
"""
import ctypes
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

_libc = ctypes.CDLL(None, use_errno=True)


def die_with_parent():
    """Servers we start die with us even if we are killed (PR_SET_PDEATHSIG)."""
    _libc.prctl(1, signal.SIGKILL)


HERE = os.path.dirname(os.path.abspath(__file__))
LIB = os.path.join(HERE, "..", "build", "libsaio.so")
DURATION = float(os.environ.get("DURATION", "2"))
REPEATS = int(os.environ.get("REPEATS", "3"))
CONNS = [int(c) for c in os.environ.get("CONNS", "10 100 400").split()]
SIZES = os.environ.get("SIZES", "1k 100k").split()
MODES = os.environ.get("MODES", "keepalive close").split()
SIZE_BYTES = {"1k": 1024, "100k": 100 * 1024}


def require(prog, tools, load=None):
    """Exit saying what to do when a tool, the lab's generator or the library is missing."""
    for tool in tools:
        if not shutil.which(tool):
            sys.exit(f"{prog}: {tool} not found (scripts/apt-packages.txt)")
    if load and not os.path.exists(load):
        sys.exit(f"{prog}: {load} is not built: run `npm run build`")
    if not os.path.exists(LIB):
        sys.exit(f"{prog}: build the library first: make -C preload")


def docroot(prefix):
    """A temporary folder (base) with www/1k and www/100k of random bytes: (base, www)."""
    base = tempfile.mkdtemp(prefix=prefix)
    root = os.path.join(base, "www")
    os.makedirs(root)
    os.chmod(base, 0o755)
    for name, n in SIZE_BYTES.items():
        with open(os.path.join(root, name), "wb") as f:
            f.write(os.urandom(n))
    return base, root


def save_out(data):
    """The raw results as JSON where OUT says, if it does."""
    if os.environ.get("OUT"):
        with open(os.environ["OUT"], "w") as f:
            json.dump(data, f, indent=1)


def perf_counts(stderr):
    """{event: count} from what `perf stat -x ,` wrote on stderr (events it did not count are
    left out)."""
    counts = {}
    for line in stderr.splitlines():
        parts = line.split(",")
        if len(parts) > 3 and parts[0].strip().isdigit():
            counts[parts[2]] = int(parts[0])
    return counts


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


class Nginx:
    def __init__(self, name, env_extra, root, base, http_extra=""):
        self.name = name
        self.dir = os.path.join(base, name)
        os.makedirs(os.path.join(self.dir, "t"))
        os.chmod(self.dir, 0o777)
        self.port = free_port()
        conf = os.path.join(self.dir, "nginx.conf")
        with open(conf, "w") as f:
            f.write(f"""daemon off; master_process on; worker_processes 1;
worker_rlimit_nofile 8192;
error_log {self.dir}/error.log crit; pid {self.dir}/nginx.pid;
events {{ worker_connections 4096; }}
http {{ access_log off; sendfile on; tcp_nopush on; keepalive_requests 1000000; {http_extra}
  client_body_temp_path {self.dir}/t; proxy_temp_path {self.dir}/t; fastcgi_temp_path {self.dir}/t;
  uwsgi_temp_path {self.dir}/t; scgi_temp_path {self.dir}/t;
  server {{ listen 127.0.0.1:{self.port} backlog=4096; root {root}; }} }}
""")
        env = dict(os.environ)
        env.pop("LD_PRELOAD", None)
        env.update(env_extra)
        if "LD_PRELOAD" in env_extra:
            env["SAIO_STATS"] = os.path.join(self.dir, "stats.json")
        self.proc = subprocess.Popen(["taskset", "-c", "0", "nginx", "-c", conf, "-p", self.dir,
                                      "-e", self.dir + "/error.log"],
                                     env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     start_new_session=True, preexec_fn=die_with_parent)
        end = time.time() + 10
        while time.time() < end:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.05)
        time.sleep(0.3)
        self.worker = int(subprocess.check_output(["pgrep", "-P", str(self.proc.pid)]).split()[0])

    def stats(self):
        out = []
        for p in os.listdir(self.dir):
            if p.startswith("stats.json") and ".tmp." not in p:
                try:
                    out.append(json.load(open(os.path.join(self.dir, p))))
                except ValueError:
                    pass
        return out

    def stop(self):
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(self.proc.pid, signal.SIGKILL)


def wrk(port, size, mode, conns, duration):
    cmd = ["taskset", "-c", "1", "wrk", "-t1", f"-c{conns}", f"-d{duration:g}s", "--timeout", "5s"]
    if mode == "close":
        cmd += ["-H", "Connection: close"]
    cmd.append(f"http://127.0.0.1:{port}/{size}")
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 30).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    reqs = int(re.search(r"(\d+) requests in", out).group(1))
    errs = re.search(r"Socket errors: (.*)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rps, reqs, (errs.group(1) if errs else ""), int(non2xx.group(1)) if non2xx else 0


def perf_run(srv, size, mode, conns, duration):
    perf = subprocess.Popen(["perf", "stat", "-x", ",", "-e", "syscalls:sys_enter_*",
                             "-e", "io_uring:io_uring_submit_req", "-p", str(srv.worker)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    time.sleep(0.5)
    _, reqs, _, _ = wrk(srv.port, size, mode, conns, duration)
    perf.send_signal(signal.SIGINT)
    counts = perf_counts(perf.communicate(timeout=30)[1])
    sysc = {k.split("sys_enter_")[1]: v for k, v in counts.items() if "sys_enter_" in k and v}
    total = sum(sysc.values())
    ops = counts.get("io_uring:io_uring_submit_req", 0)
    top = sorted(sysc.items(), key=lambda kv: -kv[1])[:8]
    return {"requests": reqs, "syscalls_per_req": total / max(reqs, 1),
            "uring_ops_per_req": ops / max(reqs, 1),
            "top": {k: round(v / max(reqs, 1), 2) for k, v in top}}


def main():
    require("bench.py", ("nginx", "wrk", "perf", "taskset"))
    base, root = docroot("saio-bench-")
    configs = [("baseline", {}), ("saio-sync", {"LD_PRELOAD": LIB, "SAIO_BACKEND": "sync"}),
               ("saio-uring", {"LD_PRELOAD": LIB, "SAIO_BACKEND": "uring"})]
    if "close" in MODES:
        configs.append(("saio-uring-syncdel", {"LD_PRELOAD": LIB, "SAIO_BACKEND": "uring",
                                               "SAIO_EPOLL_DEL": "sync"}))
    if os.environ.get("CONFIGS"):
        # e.g. CONFIGS='[["baseline",{}],["copy",{"LD_PRELOAD":"LIB","SAIO_SENDFILE_COPY_MAX":"1G"}]]'
        configs = [(n, {k: (LIB if v == "LIB" else v) for k, v in e.items()})
                   for n, e in json.loads(os.environ["CONFIGS"])]
    servers = {}
    results = []
    try:
        for name, env in configs:
            servers[name] = Nginx(name, env, root, base)
        print(f"# nginx 1 worker on CPU 0, wrk -t1 on CPU 1, {DURATION}s x {REPEATS} repeats "
              f"(median), configurations alternated; syscalls from one extra perf run", flush=True)
        print(f"{'size':>5} {'mode':>9} {'conns':>5}  {'config':<19} {'req/s':>9} {'ratio':>6} "
              f"{'sys/req':>8} {'uring/req':>9}  top system calls per request", flush=True)
        for size in SIZES:
            for mode in MODES:
                for conns in CONNS:
                    names = [n for n, _ in configs if mode == "close" or not n.endswith("syncdel")]
                    # warm-up
                    for n in names:
                        wrk(servers[n].port, size, mode, conns, 1)
                    rps = {n: [] for n in names}
                    errs = {n: "" for n in names}
                    for _ in range(REPEATS):
                        for n in names:
                            r, _, e, bad = wrk(servers[n].port, size, mode, conns, DURATION)
                            rps[n].append(r)
                            if e or bad:
                                errs[n] = f"errors: {e} non2xx={bad}"
                    base_med = statistics.median(rps[names[0]])
                    for n in names:
                        pr = perf_run(servers[n], size, mode, conns, DURATION)
                        med = statistics.median(rps[n])
                        row = {"size": size, "mode": mode, "conns": conns, "config": n,
                               "rps_median": med, "rps_all": rps[n], "ratio": med / base_med,
                               **pr, "errors": errs[n]}
                        results.append(row)
                        top = " ".join(f"{k}={v}" for k, v in pr["top"].items())
                        print(f"{size:>5} {mode:>9} {conns:>5}  {n:<19} {med:>9.0f} "
                              f"{med / base_med:>6.3f} {pr['syscalls_per_req']:>8.2f} "
                              f"{pr['uring_ops_per_req']:>9.2f}  {top} {errs[n]}", flush=True)
        for n in ("saio-uring", "saio-uring-syncdel"):
            if n in servers:
                for st in servers[n].stats():
                    if st.get("batches"):
                        print(f"# {n} worker stats: ops_deferred={st['ops_deferred']} "
                              f"batches={st['batches']} avg_batch={st['avg_batch']} "
                              f"kernel_entries={st['kernel_entries']} budget_hits={st['budget_hits']} "
                              f"fallbacks={st['fallbacks']} eintr_hidden={st['eintr_hidden']}",
                              flush=True)
    finally:
        for s in servers.values():
            s.stop()
        shutil.rmtree(base, ignore_errors=True)
    save_out(results)


if __name__ == "__main__":
    # Killed from outside: unwind, so that the finally clause stops every nginx.
    signal.signal(signal.SIGTERM, lambda sig, frame: sys.exit(128 + sig))
    main()
