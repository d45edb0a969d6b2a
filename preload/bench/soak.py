#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""soak.py - libsaio under a long mix of well-behaved and misbehaving clients.

nginx (1 worker, send_timeout 2s, reset_timedout_connection, keepalive_timeout 5s) and redis
run on free 127.0.0.1 ports, first without the library (the baseline, SOAK_BASELINE_MINUTES,
default min(5, a third of SOAK_MINUTES)), then under LD_PRELOAD=libsaio.so (SAIO_BACKEND,
default uring) for SOAK_MINUTES (default 30). The same client mix runs in both phases:

  well-behaved  HTTP keep-alive GETs (1 KiB, 12 KiB, 100 KiB) and redis SET/GET (100 B to
                100 KiB): every response checked byte for byte, every latency recorded
  slow          HTTP GET of 1 MiB read 16 KiB per 50 ms (finishes; checked)
  stalled       HTTP: 200 pipelined GETs of 12 KiB, never read (nginx resets it after
                send_timeout); redis: 100 GETs of 100 KiB, never read; dropped after 8 s
  resetting     HTTP GET 1 MiB and redis GET 100 KiB, read a little, then RST

Every 10 s it samples each server process (nginx's worker, redis): RSS, open descriptors,
and from SAIO_STATS bytes_queued, draining_fds, draining_bytes, drained, drain_aborted. At
the end it reports the samples (per minute), and checks: RSS and descriptors flat after the
warm-up (the first fifth; at least a minute in runs of 5 minutes or more), bytes_queued back to 0 once clients stop,
every well-behaved response exact, p99 of well-behaved requests under the library at most 2x
the baseline's. Results also go to SOAK_OUT (default preload/bench/soak-last.json).
Exit status 0 when every check holds.

    SOAK_MINUTES=2 npm run soak          a short run
    flock -x /work/locks/bench.lock npm run soak
"""
import hashlib
import json
import multiprocessing
import os
import random
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PRELOAD = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(PRELOAD, "tests"))
sys.argv = [sys.argv[0], os.path.join(PRELOAD, "build")]
import server_tests as st  # noqa: E402  (free_port, Reader, HTTP/RESP helpers, STARTED)

MINUTES = float(os.environ.get("SOAK_MINUTES", "30"))
BASE_MINUTES = float(os.environ.get("SOAK_BASELINE_MINUTES", str(min(5.0, max(MINUTES / 3, 0.25)))))
BACKEND = os.environ.get("SAIO_BACKEND", "uring")
OUT = os.environ.get("SOAK_OUT", os.path.join(HERE, "soak-last.json"))
LIB = os.path.join(PRELOAD, "build", "libsaio.so")
SAMPLE_S = 10
FILES = {"1k": 1024, "12k": 12 * 1024, "100k": 100 * 1024, "1m": 1 << 20}


def log(msg):
    print(time.strftime("%H:%M:%S ") + msg, flush=True)


# ---- servers ---------------------------------------------------------------------------------

class Servers:
    def __init__(self, d, env):
        self.d = d
        self.http_port, self.redis_port = st.free_port(), st.free_port()
        self.stats = os.path.join(d, "stats.json")
        env = dict({k: v for k, v in os.environ.items() if not k.startswith("SAIO_") and k != "LD_PRELOAD"},
                   **env)
        if "LD_PRELOAD" in env:
            env["SAIO_STATS"] = self.stats
        root = os.path.join(d, "www")
        os.makedirs(root, exist_ok=True)
        os.makedirs(os.path.join(d, "t"), exist_ok=True)
        os.chmod(d, 0o777)
        self.bodies = {}
        rnd = random.Random(7)
        for name, n in FILES.items():
            data = rnd.randbytes(n)
            with open(os.path.join(root, name), "wb") as f:
                f.write(data)
            self.bodies[name] = data
        os.chmod(root, 0o755)
        conf = os.path.join(d, "nginx.conf")
        with open(conf, "w") as f:
            f.write(f"""daemon off; master_process on; worker_processes 1;
error_log {d}/error.log crit; pid {d}/nginx.pid; worker_rlimit_nofile 4096;
events {{ worker_connections 2048; }}
http {{ access_log off; sendfile on; tcp_nopush on; keepalive_requests 1000000;
  send_timeout 2s; reset_timedout_connection on; keepalive_timeout 5s;
  client_body_temp_path {d}/t; proxy_temp_path {d}/t; fastcgi_temp_path {d}/t;
  uwsgi_temp_path {d}/t; scgi_temp_path {d}/t;
  server {{ listen 127.0.0.1:{self.http_port} sndbuf=16k; root {root}; }} }}
""")
        self.procs = []
        for cmd in (["nginx", "-c", conf, "-p", d, "-e", d + "/error.log"],
                    ["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1", "--save", "",
                     "--appendonly", "no", "--dir", d, "--daemonize", "no", "--protected-mode", "no",
                     "--maxclients", "2000", "--logfile", d + "/redis.log"]):
            p = subprocess.Popen(cmd, env=env, cwd=d, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                 start_new_session=True, preexec_fn=st.die_with_parent)
            st.STARTED.append(p.pid)
            self.procs.append(p)
        for port, p in ((self.http_port, self.procs[0]), (self.redis_port, self.procs[1])):
            if not st.wait_port(port, p, 15):
                self.stop()
                raise RuntimeError("a server did not start (see %s)" % d)

    def pids(self):
        """nginx's worker and redis."""
        out = {}
        master = self.procs[0].pid
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                with open("/proc/%s/stat" % pid) as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
            if ppid == master:
                out["nginx"] = int(pid)
        out["redis"] = self.procs[1].pid
        return out

    def stop(self):
        import signal
        for p in self.procs:
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for p in self.procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()


def proc_sample(pid):
    rss = fds = None
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1])
        fds = len(os.listdir("/proc/%d/fd" % pid))
    except OSError:
        pass
    return rss, fds


def stats_of(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


# ---- clients --------------------------------------------------------------------------------

class Tally:
    def __init__(self):
        self.lock = threading.Lock()
        self.lat = {"http": [], "redis": []}
        self.bad = []
        self.counts = {}

    def ok(self, kind, secs):
        with self.lock:
            self.lat[kind].append(secs)

    def wrong(self, what):
        with self.lock:
            if len(self.bad) < 20:
                self.bad.append(what)
            self.counts["wrong"] = self.counts.get("wrong", 0) + 1

    def n(self, what):
        with self.lock:
            self.counts[what] = self.counts.get(what, 0) + 1


def rst(s):
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    s.close()


def http_good(srv, tally, stop, rnd):
    s = None
    while not stop.is_set():
        try:
            if s is None:
                s = st.connect(srv.http_port)
                rd = st.Reader(s)
            name = rnd.choice(["1k", "1k", "12k", "100k"])
            t0 = time.perf_counter()
            s.sendall(st.http_request(name))
            status, body = st.http_response(rd)
            dt = time.perf_counter() - t0
            if status != 200 or body != srv.bodies[name]:
                tally.wrong("http %s: status %d, %d bytes" % (name, status, len(body)))
            else:
                tally.ok("http", dt)
            time.sleep(rnd.uniform(0.002, 0.02))
        except (OSError, EOFError, ValueError) as e:
            # keepalive_timeout or a reset: a new connection (not a wrong response)
            tally.n("http reconnect (%s)" % type(e).__name__)
            if s:
                s.close()
            s = None
            time.sleep(0.05)
    if s:
        s.close()


def redis_good(srv, tally, stop, rnd, k):
    s = None
    while not stop.is_set():
        try:
            if s is None:
                s = st.connect(srv.redis_port)
                rd = st.Reader(s)
            key = "w%d_%d" % (k, rnd.randrange(50))
            val = rnd.randbytes(rnd.choice([100, 1000, 10000, 100000]))
            t0 = time.perf_counter()
            s.sendall(st.resp_cmd("SET", key, val))
            r1 = st.resp_reply(rd)
            s.sendall(st.resp_cmd("GET", key))
            r2 = st.resp_reply(rd)
            dt = time.perf_counter() - t0
            if r1 != b"OK" or r2 != val:
                tally.wrong("redis %s: %r, %d bytes" % (key, r1, len(r2 or b"")))
            else:
                tally.ok("redis", dt)
            time.sleep(rnd.uniform(0.002, 0.02))
        except (OSError, EOFError, ValueError) as e:
            tally.n("redis reconnect (%s)" % type(e).__name__)
            if s:
                s.close()
            s = None
            time.sleep(0.05)
    if s:
        s.close()


def http_slow(srv, tally, stop, rnd):
    while not stop.is_set():
        try:
            s = st.connect(srv.http_port, rcvbuf=16384)
            s.sendall(st.http_request("1m", close=True))
            rd = st.Reader(s)
            head = rd.until(b"\r\n\r\n")
            body = bytearray(rd.buf)
            rd.buf = b""
            while len(body) < FILES["1m"] and not stop.is_set():
                d = s.recv(16384)
                if not d:
                    break
                body += d
                time.sleep(0.05)
            if not stop.is_set():
                if not head.startswith(b"HTTP/1.1 200") or bytes(body) != srv.bodies["1m"]:
                    tally.wrong("slow 1m: %d bytes" % len(body))
                else:
                    tally.n("slow done")
            s.close()
        except (OSError, EOFError) as e:
            tally.n("slow error (%s)" % type(e).__name__)
            time.sleep(0.1)


def stalled(srv, tally, stop, rnd):
    held = []
    while not stop.is_set():
        try:
            s = st.connect(srv.http_port, rcvbuf=16384)
            s.setblocking(False)
            try:
                s.send(st.http_request("12k") * 200)
            except BlockingIOError:
                pass
            held.append((time.monotonic(), s))
            r = st.connect(srv.redis_port, rcvbuf=16384)
            r.setblocking(False)
            try:
                r.send(st.resp_cmd("GET", "big") * 100)
            except BlockingIOError:
                pass
            held.append((time.monotonic(), r))
            tally.n("stalled")
        except OSError:
            pass
        now = time.monotonic()
        for t, s in held[:]:
            if now - t > 8:
                (rst if rnd.random() < 0.5 else socket.socket.close)(s)
                held.remove((t, s))
        stop.wait(2)
    for _, s in held:
        s.close()


def resetting(srv, tally, stop, rnd):
    while not stop.is_set():
        try:
            s = st.connect(srv.http_port, rcvbuf=16384)
            s.sendall(st.http_request("1m"))
            s.recv(rnd.randrange(1000, 60000))
            rst(s)
            r = st.connect(srv.redis_port, rcvbuf=16384)
            r.sendall(st.resp_cmd("GET", "big"))
            r.recv(rnd.randrange(100, 30000))
            rst(r)
            tally.n("reset")
        except OSError:
            pass
        stop.wait(0.2)


def client_main(fn, srv, stop, args, out):
    tally = Tally()
    try:
        fn(srv, tally, stop, *args)
    finally:
        with open(out, "w") as f:
            json.dump({"lat": tally.lat, "bad": tally.bad, "counts": tally.counts}, f)


def run_phase(name, env, minutes):
    d = tempfile.mkdtemp(prefix="saio-soak-%s-" % name)
    srv = Servers(d, env)
    s = st.connect(srv.redis_port)
    s.sendall(st.resp_cmd("SET", "big", bytes(range(256)) * 400))
    st.resp_reply(st.Reader(s))
    s.close()
    # Every client is a process of its own: latencies are not the Python interpreter's lock.
    stop = multiprocessing.Event()
    jobs = [(http_good, (random.Random(i),)) for i in range(6)]
    jobs += [(redis_good, (random.Random(100 + i), i)) for i in range(4)]
    jobs += [(http_slow, (random.Random(200 + i),)) for i in range(2)]
    jobs += [(stalled, (random.Random(300),)), (resetting, (random.Random(400),))]
    workers = []
    for k, (fn, args) in enumerate(jobs):
        out = os.path.join(d, "client-%d.json" % k)
        w = multiprocessing.Process(target=client_main, args=(fn, srv, stop, args, out))
        w.start()
        workers.append((w, out))
    tally = Tally()
    samples = []
    t0 = time.monotonic()
    end = t0 + minutes * 60
    log("%s: nginx :%d, redis :%d, %.1f min" % (name, srv.http_port, srv.redis_port, minutes))
    try:
        while True:
            now = time.monotonic()
            sample = {"t": round(now - t0, 1)}
            for who, pid in srv.pids().items():
                rss, fds = proc_sample(pid)
                sample[who] = {"rss_kb": rss, "fds": fds}
                stf = srv.stats + ("" if who == "redis" else ".%d" % pid)
                js = stats_of(stf)
                for k in ("bytes_queued", "draining_fds", "draining_bytes", "drained", "drain_aborted",
                          "fd_reused", "op_errors_ignored"):
                    if k in js:
                        sample[who][k] = js[k]
            samples.append(sample)
            if len(samples) % 6 == 1:
                log("%s t=%5.0fs nginx %s | redis %s" % (
                    name, sample["t"], brief(sample.get("nginx")), brief(sample.get("redis"))))
            if now >= end:
                break
            time.sleep(min(SAMPLE_S, max(0.1, end - time.monotonic())))
    finally:
        stop.set()
        for w, out in workers:
            w.join(timeout=30)
            if w.is_alive():
                w.kill()
            try:
                with open(out) as f:
                    r = json.load(f)
            except (OSError, ValueError):
                tally.wrong("a client process left no results")
                continue
            for k in ("http", "redis"):
                tally.lat[k] += r["lat"][k]
            tally.bad += r["bad"][:20 - len(tally.bad)] if len(tally.bad) < 20 else []
            for k, v in r["counts"].items():
                tally.counts[k] = tally.counts.get(k, 0) + v
    # clients gone: what the library still holds must go back to nothing
    time.sleep(4)
    after = {}
    for who, pid in srv.pids().items():
        rss, fds = proc_sample(pid)
        after[who] = {"rss_kb": rss, "fds": fds}
        js = stats_of(srv.stats + ("" if who == "redis" else ".%d" % pid))
        after[who].update({k: js[k] for k in ("bytes_queued", "draining_fds") if k in js})
    srv.stop()
    return {"samples": samples, "after": after, "lat": tally.lat, "bad": tally.bad, "counts": tally.counts}


def brief(x):
    if not x:
        return "-"
    out = "rss %s kB fds %s" % (x.get("rss_kb"), x.get("fds"))
    if "bytes_queued" in x:
        out += " queued %d draining %d" % (x["bytes_queued"], x.get("draining_fds", 0))
    return out


def pct(v, p):
    if not v:
        return float("nan")
    v = sorted(v)
    return v[min(len(v) - 1, int(p / 100 * len(v)))]


def flat(samples, who, key, warm_s):
    """median of the first and of the last fifth of the samples after the warm-up"""
    vals = [s[who][key] for s in samples if s["t"] >= warm_s and who in s and s[who].get(key) is not None]
    if len(vals) < 3:
        return None, None, vals
    k = max(1, len(vals) // 5)
    return statistics.median(vals[:k]), statistics.median(vals[-k:]), vals


def main():
    if not os.path.exists(LIB):
        print("soak: %s not built (make -C preload)" % LIB, file=sys.stderr)
        return 2
    log("soak: baseline %.1f min without the library, then %.1f min with SAIO_BACKEND=%s" % (
        BASE_MINUTES, MINUTES, BACKEND))
    base = run_phase("baseline", {}, BASE_MINUTES)
    lib = run_phase(BACKEND, {"LD_PRELOAD": LIB, "SAIO_BACKEND": BACKEND}, MINUTES)
    warm = MINUTES * 60 / 5 if MINUTES < 5 else max(60.0, MINUTES * 60 / 5)
    checks = []
    report = {"minutes": MINUTES, "baseline_minutes": BASE_MINUTES, "backend": BACKEND, "checks": checks}
    for who in ("nginx", "redis"):
        for key, slack_abs, slack_rel in (("rss_kb", 4096, 0.10), ("fds", 8, 0.0)):
            a, b, vals = flat(lib["samples"], who, key, warm)
            ok = a is not None and b <= a * (1 + slack_rel) + slack_abs
            checks.append({"check": "%s %s flat after warm-up" % (who, key), "ok": ok,
                           "first": a, "last": b, "max": max(vals) if vals else None})
        q = [s[who].get("bytes_queued", 0) for s in lib["samples"] if who in s]
        a, b, _ = flat(lib["samples"], who, "bytes_queued", warm)
        end_q = lib["after"].get(who, {}).get("bytes_queued")
        checks.append({"check": "%s bytes_queued back to 0 after the clients" % who, "ok": end_q == 0,
                       "max": max(q) if q else None, "first": a, "last": b, "after": end_q})
        d = [s[who].get("draining_fds", 0) for s in lib["samples"] if who in s]
        checks.append({"check": "%s draining fds bounded, 0 after" % who,
                       "ok": lib["after"].get(who, {}).get("draining_fds", 0) == 0,
                       "max": max(d) if d else None})
    for phase, res in (("baseline", base), (BACKEND, lib)):
        checks.append({"check": "%s: every well-behaved response exact" % phase, "ok": not res["bad"],
                       "wrong": res["counts"].get("wrong", 0), "first": res["bad"][:3],
                       "requests": {k: len(v) for k, v in res["lat"].items()}})
    for kind in ("http", "redis"):
        p99b, p99l = pct(base["lat"][kind], 99), pct(lib["lat"][kind], 99)
        p50b, p50l = pct(base["lat"][kind], 50), pct(lib["lat"][kind], 50)
        ratio = p99l / p99b if p99b else float("inf")
        checks.append({"check": "%s p99 with the library <= 2x without" % kind, "ok": ratio <= 2.0,
                       "p99_ms_without": round(p99b * 1000, 3), "p99_ms_with": round(p99l * 1000, 3),
                       "p50_ms_without": round(p50b * 1000, 3), "p50_ms_with": round(p50l * 1000, 3),
                       "ratio": round(ratio, 3), "n_without": len(base["lat"][kind]),
                       "n_with": len(lib["lat"][kind])})
    report["per_minute"] = [s for i, s in enumerate(lib["samples"]) if i % 6 == 0]
    report["samples"] = lib["samples"]
    report["baseline_samples"] = base["samples"]
    report["after"] = lib["after"]
    report["counts"] = {"baseline": base["counts"], BACKEND: lib["counts"]}
    with open(OUT, "w") as f:
        json.dump(report, f, indent=1)
    print()
    print("per minute, with the library:")
    for s in report["per_minute"]:
        print("  t=%6.0fs  nginx %s  |  redis %s" % (s["t"], brief(s.get("nginx")), brief(s.get("redis"))))
    print("after the clients: nginx %s | redis %s" % (brief(lib["after"].get("nginx")), brief(lib["after"].get("redis"))))
    print("client events with the library:", json.dumps(lib["counts"], sort_keys=True))
    print()
    for c in checks:
        extra = {k: v for k, v in c.items() if k not in ("check", "ok")}
        print("%s %s  %s" % ("PASS" if c["ok"] else "FAIL", c["check"], json.dumps(extra)))
    print("results: %s" % OUT)
    return 0 if all(c["ok"] for c in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
