#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""server_tests.py SAIO_LOAD - saio-load against real servers (nginx, redis-server, memcached from
apt, each on 127.0.0.1 and a free port) and against deliberately wrong ones (wrong_server.py).
Prints "ok NAME" / "not ok NAME" per test (run_all.sh counts them). Every load is bounded in time.

The JSON document is checked against the contract of native/README.md, and its percentiles are
recomputed here from the histogram with the README's formula: that is what the engine's
TypeScript does, so both must agree to the nanosecond.
"""
import ctypes
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback

SAIO_LOAD = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build/saio-load")
HERE = os.path.dirname(os.path.abspath(__file__))
_libc = ctypes.CDLL(None, use_errno=True)
PCT = {"p50": 5000, "p90": 9000, "p99": 9900, "p999": 9990, "p9999": 9999}


def die_with_parent():
    _libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: servers never outlive the tests


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_port(port, proc, what, timeout=10):
    end = time.time() + timeout
    while time.time() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with status {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen on {port}")


class Servers:
    """nginx (keep-alive limit high, and a second one closing every 50 requests), redis, memcached."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="saio-load-test-")
        os.chmod(self.dir, 0o755)
        self.procs = []
        self.body = os.urandom(768).hex()[:1024].encode()  # 1 KiB, printable
        root = os.path.join(self.dir, "root")
        os.makedirs(root)
        os.chmod(root, 0o755)
        with open(os.path.join(root, "index.html"), "wb") as f:
            f.write(self.body)
        os.chmod(os.path.join(root, "index.html"), 0o644)
        self.nginx_port, self.nginx_close_port = free_port(), free_port()
        conf = os.path.join(self.dir, "nginx.conf")
        t = os.path.join(self.dir, "t")
        with open(conf, "w") as f:
            f.write(f"""daemon off; master_process on; worker_processes 1; worker_rlimit_nofile 8192;
error_log {self.dir}/error.log crit; pid {self.dir}/nginx.pid;
events {{ worker_connections 4096; }}
http {{ access_log off; sendfile on; tcp_nopush on;
  client_body_temp_path {t}; proxy_temp_path {t}; fastcgi_temp_path {t}; uwsgi_temp_path {t}; scgi_temp_path {t};
  server {{ listen 127.0.0.1:{self.nginx_port} backlog=4096; root {root}; keepalive_requests 1000000; }}
  server {{ listen 127.0.0.1:{self.nginx_close_port} backlog=4096; root {root}; keepalive_requests 50; }} }}
""")
        self.start(["nginx", "-c", conf, "-p", self.dir], self.nginx_port, "nginx")
        self.redis_port = free_port()
        self.start(["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1", "--save", "",
                    "--appendonly", "no", "--dir", self.dir], self.redis_port, "redis-server")
        self.memcached_port = free_port()
        self.start(["memcached", "-u", "nobody", "-l", "127.0.0.1", "-p", str(self.memcached_port), "-U", "0",
                    "-t", "1"], self.memcached_port, "memcached")

    def start(self, argv, port, what):
        p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=die_with_parent)
        self.procs.append(p)
        wait_port(port, p, what)

    def wrong(self, proto, mode):
        p = subprocess.Popen([sys.executable, os.path.join(HERE, "wrong_server.py"), proto, mode],
                             stdout=subprocess.PIPE, preexec_fn=die_with_parent)
        port = int(p.stdout.readline())
        self.procs.append(p)
        return port, p

    def stop(self):
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
        for p in self.procs:
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
        subprocess.run(["rm", "-rf", self.dir])


def load(*args, timeout=60):
    """Runs saio-load --json ARGS; returns (exit status, document or None, stderr)."""
    r = subprocess.run([SAIO_LOAD, "--json", *map(str, args)], capture_output=True, text=True, timeout=timeout)
    doc = None
    if r.stdout.strip():
        doc = json.loads(r.stdout)
    return r.returncode, doc, r.stderr


def highest(i):
    if i < 2048:
        return i
    k = i - 2048
    shift = k // 1024 + 1
    m = 1024 + k % 1024
    return ((m + 1) << shift) - 1


def percentile_us(h, pp):
    """The README's definition, in integers."""
    n = h["count"]
    if n == 0:
        return None
    q, rem = divmod(n, 10000)
    rank = max(1, q * pp + (rem * pp + 9999) // 10000)
    total = 0
    for i, c in h["counts"]:
        total += c
        if total >= rank:
            return min(highest(i), h["max"]) / 1000
    return h["max"] / 1000


def check_contract(doc):
    """Every key of the contract, the counts consistent, the percentiles recomputable."""
    for key in ["requests_per_s", "offered_per_s", "requests", "verified", "mismatched", "errors", "bytes",
                "latency_us", "service_us", "schedule_lag_us", "cpu_s", "histogram", "warnings", "all_verified"]:
        assert key in doc, f"missing key {key}"
    h = doc["histogram"]
    assert h["format"] == "saio-loghist/1" and h["unit"] == "ns" and h["sub_bucket_bits"] == 11
    for name, pkey in [("latency", "latency_us"), ("service", "service_us"), ("schedule_lag", "schedule_lag_us")]:
        one = h[name]
        assert sum(c for _, c in one["counts"]) == one["count"], f"{name}: counts do not add up"
        idx = [i for i, _ in one["counts"]]
        assert idx == sorted(set(idx)), f"{name}: indexes not ascending"
        for q, pp in PCT.items():
            mine = percentile_us(one, pp)
            theirs = doc[pkey][q]
            assert (mine is None and theirs is None) or abs(mine - theirs) < 5e-4, f"{pkey}.{q}: {theirs} vs {mine}"
        if one["count"]:
            assert abs(doc[pkey]["max"] - one["max"] / 1000) < 5e-4
    assert h["latency"]["count"] == doc["requests"], "one latency sample per measured request"
    assert doc["verified"] + doc["mismatched"] + doc["errors"]["server"] == doc["requests"]
    assert len(doc["cpu_s"]) == doc["threads"]


def assert_verified(doc, what=""):
    check_contract(doc)
    assert doc["requests"] > 0, f"{what}: no requests"
    assert doc["all_verified"] is True, f"{what}: not verified: {doc['mismatches']} {doc['errors']}"
    assert doc["verified"] == doc["requests"] and doc["mismatched"] == 0
    assert sum(doc["errors"].values()) == 0, doc["errors"]


TESTS = []


def test(name):
    def reg(fn):
        TESTS.append((name, fn))
        return fn
    return reg


S = None


@test("http: closed loop keep-alive against nginx, every response verified, JSON contract and percentiles")
def _():
    rc, doc, err = load("-c", 10, "-d", 1, f"http://127.0.0.1:{S.nginx_port}/index.html")
    assert rc == 0, err
    assert_verified(doc, "closed loop")
    assert doc["protocol"] == "http" and doc["mode"] == "closed" and doc["offered_per_s"] is None
    assert doc["expect_source"] == "reference" and doc["expect_bytes"] == 1024 and doc["expect_status"] == 200
    assert doc["bytes"]["received"] > 1024 * doc["requests"]
    assert abs(doc["requests_per_s"] - doc["requests"] / doc["duration_s"]) < 1e-3


@test("http: 2 threads, pipeline 4, warm-up, fractional duration")
def _():
    rc, doc, err = load("-t", 2, "-c", 6, "--pipeline", 4, "--warmup", 0.3, "-d", 0.7,
                        f"http://127.0.0.1:{S.nginx_port}/index.html")
    assert rc == 0, err
    assert_verified(doc)
    assert doc["threads"] == 2 and doc["pipeline"] == 4 and doc["duration_s"] == 0.7


@test("http: --close, one connection per request")
def _():
    rc, doc, err = load("-c", 4, "-d", 0.5, "--close", f"http://127.0.0.1:{S.nginx_port}/index.html")
    assert rc == 0, err
    assert_verified(doc)
    assert doc["connection_mode"] == "close"


@test("http: a server closing keep-alive connections every 50 requests: pipelined requests resent, all verified")
def _():
    rc, doc, err = load("-c", 4, "-d", 0.7, "--pipeline", 8, f"http://127.0.0.1:{S.nginx_close_port}/index.html")
    assert rc == 0, err
    assert_verified(doc)
    assert doc["reconnects"] > 0


@test("http: open loop, uniform arrivals: every scheduled request sent and verified, lag recorded")
def _():
    rc, doc, err = load("-c", 8, "-d", 1, "-R", 2000, "--arrivals", "uniform", "--seed", 1,
                        f"http://127.0.0.1:{S.nginx_port}/index.html")
    assert rc == 0, err
    assert_verified(doc)
    assert doc["mode"] == "open" and doc["offered_per_s"] == 2000 and doc["depth"] == 4 and doc["seed"] == 1
    assert abs(doc["scheduled"] - 2000) <= 1, doc["scheduled"]
    assert doc["requests"] == doc["scheduled"] and doc["unsent"] == 0
    assert doc["histogram"]["schedule_lag"]["count"] == doc["scheduled"]
    assert doc["latency_us"]["p50"] >= doc["service_us"]["p50"]


@test("http: --expect-file with the right body verifies; one byte off and every response mismatches (--strict exits 3)")
def _():
    path = os.path.join(S.dir, "expect")
    with open(path, "wb") as f:
        f.write(S.body)
    rc, doc, err = load("-c", 2, "-d", 0.3, "--expect-file", path, f"http://127.0.0.1:{S.nginx_port}/index.html")
    assert rc == 0, err
    assert_verified(doc)
    assert doc["expect_source"] == "file"
    with open(path, "wb") as f:
        f.write(S.body[:500] + bytes([S.body[500] ^ 1]) + S.body[501:])
    rc, doc, err = load("-c", 2, "-d", 0.3, "--strict", "--expect-file", path,
                        f"http://127.0.0.1:{S.nginx_port}/index.html")
    assert rc == 3, (rc, err)
    check_contract(doc)
    assert doc["requests"] > 0 and doc["mismatches"]["body"] == doc["requests"] and doc["verified"] == 0
    assert doc["all_verified"] is False


@test("http: the wrong server's control mode (ok) verifies")
def _():
    port, _ = S.wrong("http", "ok")
    rc, doc, err = load("-c", 4, "-d", 0.3, "--strict", f"http://127.0.0.1:{port}/")
    assert rc == 0, err
    assert_verified(doc)


for mode, kind in [("flip", "body"), ("short", "short"), ("status", "status")]:
    @test(f"http: a wrong server ({mode}) every 4th response: counted as '{kind}' mismatches, run not verified")
    def _(mode=mode, kind=kind):
        port, _ = S.wrong("http", mode)
        rc, doc, err = load("-c", 4, "-d", 0.5, "--strict", f"http://127.0.0.1:{port}/")
        assert rc == 3, (rc, err)
        check_contract(doc)
        n = doc["requests"]
        assert n > 40, n
        assert doc["all_verified"] is False
        assert doc["mismatches"][kind] > 0 and doc["mismatched"] == doc["mismatches"][kind], doc["mismatches"]
        # every 4th of the server's answers is wrong: about a quarter of the measured responses
        assert 0.15 < doc["mismatched"] / n < 0.35, (doc["mismatched"], n)
        assert doc["verified"] + doc["mismatched"] == n


def dbsize():
    s = socket.create_connection(("127.0.0.1", S.redis_port), timeout=5)
    s.sendall(b"DBSIZE\r\n")
    line = s.recv(100)
    s.close()
    return int(line[1:].strip())


@test("redis: GET/SET mix, pipelined, against redis-server: every GET checked, all verified, keys populated")
def _():
    rc, doc, err = load("-c", 8, "-d", 0.7, "--pipeline", 8, "--workload", "mixed:0.5", "--keys", 2000,
                        "--key-prefix", "mix:", f"redis://127.0.0.1:{S.redis_port}")
    assert rc == 0, err
    assert_verified(doc)
    assert doc["protocol"] == "redis" and doc["workload"]["get_fraction"] == 0.5 and doc["workload"]["keys"] == 2000
    assert dbsize() >= 2000


@test("redis: GET only and SET only, 2 threads")
def _():
    for wl in ["get", "set"]:
        rc, doc, err = load("-t", 2, "-c", 10, "-d", 0.4, "--workload", wl, "--value-size", 200,
                            f"redis://127.0.0.1:{S.redis_port}")
        assert rc == 0, err
        assert_verified(doc, wl)


@test("redis: open loop at 3000/s, depth 4")
def _():
    rc, doc, err = load("-c", 6, "-d", 0.7, "-R", 3000, f"redis://127.0.0.1:{S.redis_port}")
    assert rc == 0, err
    assert_verified(doc)
    assert doc["requests"] == doc["scheduled"]


@test("memcached: GET/SET mix, closed and open loop, against memcached: all verified")
def _():
    rc, doc, err = load("-c", 8, "-d", 0.5, "--pipeline", 4, "--workload", "mixed:0.7", "--value-size", 3000,
                        f"memcached://127.0.0.1:{S.memcached_port}")
    assert rc == 0, err
    assert_verified(doc, "closed")
    rc, doc, err = load("-c", 4, "-d", 0.5, "-R", 2000, f"memcached://127.0.0.1:{S.memcached_port}")
    assert rc == 0, err
    assert_verified(doc, "open")


for proto, modes in [("redis", [("ok", None), ("stale", "stale"), ("flip", "value"), ("missing", "missing")]),
                     ("memcached", [("ok", None), ("stale", "stale"), ("flip", "value"), ("missing", "missing"),
                                    ("key", "key")])]:
    for mode, kind in modes:
        name = (f"{proto}: the wrong server's control mode (ok) verifies" if kind is None else
                f"{proto}: a wrong server ({mode}) every 4th GET: counted as '{kind}' mismatches, run not verified")

        @test(name)
        def _(proto=proto, mode=mode, kind=kind):
            port, _ = S.wrong(proto, mode)
            rc, doc, err = load("-c", 4, "-d", 0.5, "--strict", "--workload", "mixed:0.5", "--keys", 200,
                                f"{proto}://127.0.0.1:{port}")
            if kind is None:
                assert rc == 0, err
                assert_verified(doc)
                return
            assert rc == 3, (rc, err)
            check_contract(doc)
            assert doc["all_verified"] is False
            assert doc["mismatches"][kind] > 0 and doc["mismatched"] == doc["mismatches"][kind], doc["mismatches"]
            assert doc["verified"] > 0


@test("bottleneck: offering far more than the server can take warns (offered not achieved, schedule lag), JSON and stderr")
def _():
    rc, doc, err = load("-c", 2, "-d", 0.5, "-R", "2M", "--depth", 1, f"http://127.0.0.1:{S.nginx_port}/index.html")
    assert rc == 0, err
    check_contract(doc)
    kinds = {w["kind"] for w in doc["warnings"]}
    assert {"offered_not_achieved", "schedule_lag"} <= kinds, doc["warnings"]
    assert "saio-load: warning: achieved" in err and "schedule lag p99" in err
    assert doc["unsent"] > 0 and doc["requests"] + doc["unsent"] == doc["scheduled"]
    assert doc["all_verified"] is True  # what was answered was right


@test("bottleneck: an open loop well within capacity has no warning")
def _():
    rc, doc, err = load("-c", 4, "-d", 0.5, "-R", 500, f"http://127.0.0.1:{S.nginx_port}/index.html")
    assert rc == 0, err
    assert_verified(doc)
    assert not [w for w in doc["warnings"] if w["kind"] in ("offered_not_achieved",)], doc["warnings"]


@test("merge: --merge of two runs adds the histograms exactly; its percentiles follow the README formula")
def _():
    docs = []
    for i in range(2):
        rc, doc, err = load("-c", 4, "-d", 0.3, "-R", 1000, f"http://127.0.0.1:{S.nginx_port}/index.html")
        assert rc == 0, err
        path = os.path.join(S.dir, f"run{i}.json")
        with open(path, "w") as f:
            json.dump(doc, f)
        docs.append((path, doc))
    r = subprocess.run([SAIO_LOAD, "--merge", docs[0][0], docs[1][0]], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    m = json.loads(r.stdout)
    assert m["inputs"] == 2 and m["requests"] == docs[0][1]["requests"] + docs[1][1]["requests"]
    for name, pkey in [("latency", "latency_us"), ("service", "service_us"), ("schedule_lag", "schedule_lag_us")]:
        want = {}
        for _, d in docs:
            for i, c in d["histogram"][name]["counts"]:
                want[i] = want.get(i, 0) + c
        got = m["histogram"][name]
        assert [list(x) for x in sorted(want.items())] == got["counts"]
        assert got["count"] == sum(want.values())
        assert got["max"] == max(d["histogram"][name]["max"] for _, d in docs)
        assert got["min"] == min(d["histogram"][name]["min"] for _, d in docs)
        for q, pp in PCT.items():
            assert abs(m[pkey][q] - percentile_us(got, pp)) < 5e-4
    bad = os.path.join(S.dir, "bad.json")
    with open(bad, "w") as f:
        f.write('{"histogram": {"format": "other"}}')
    r = subprocess.run([SAIO_LOAD, "--merge", docs[0][0], bad], capture_output=True, text=True, timeout=30)
    assert r.returncode == 1 and "bad.json" in r.stderr and "saio-loghist/1" in r.stderr, r.stderr


@test("errors: bad flags exit 2 with the reason; unreachable server and unreadable --expect-file are explained")
def _():
    r = subprocess.run([SAIO_LOAD, "-c", "zero", "http://127.0.0.1:1/"], capture_output=True, text=True, timeout=10)
    assert r.returncode == 2 and "-c/--connections: expected a whole number, got 'zero'" in r.stderr, r.stderr
    assert "Try 'saio-load --help'" in r.stderr
    r = subprocess.run([SAIO_LOAD, "ftp://x/"], capture_output=True, text=True, timeout=10)
    assert r.returncode == 2 and "http://, redis:// or memcached://" in r.stderr
    port = free_port()
    for url in [f"http://127.0.0.1:{port}/", f"redis://127.0.0.1:{port}", f"memcached://127.0.0.1:{port}"]:
        r = subprocess.run([SAIO_LOAD, "-d", "0.2", url], capture_output=True, text=True, timeout=10)
        assert r.returncode == 1 and "cannot connect to 127.0.0.1" in r.stderr and "refused" in r.stderr, r.stderr
    r = subprocess.run([SAIO_LOAD, "--expect-file", "/nonexistent/x", f"http://127.0.0.1:{S.nginx_port}/"],
                       capture_output=True, text=True, timeout=10)
    assert r.returncode == 2 and "--expect-file /nonexistent/x: No such file" in r.stderr, r.stderr
    r = subprocess.run([SAIO_LOAD, "-d", "0.2", "http://no-such-host.invalid/"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 1 and "cannot resolve no-such-host.invalid" in r.stderr, r.stderr


@test("cpus: --cpus pins the generator threads (seen in /proc while it runs)")
def _():
    cpus = sorted(os.sched_getaffinity(0))
    target = cpus[-1]
    p = subprocess.Popen([SAIO_LOAD, "-t", "2", "-c", "2", "-d", "1.5", "--cpus", str(target),
                          f"http://127.0.0.1:{S.nginx_port}/index.html"], stdout=subprocess.DEVNULL)
    seen = {}
    try:
        end = time.time() + 1.2
        while time.time() < end:
            time.sleep(0.2)
            for tid in os.listdir(f"/proc/{p.pid}/task"):
                if int(tid) == p.pid:
                    continue
                with open(f"/proc/{p.pid}/task/{tid}/status") as f:
                    for line in f:
                        if line.startswith("Cpus_allowed_list:"):
                            seen[tid] = line.split()[1]
    finally:
        p.wait(timeout=20)
    assert len(seen) == 2 and set(seen.values()) == {str(target)}, seen
    assert p.returncode == 0


def main():
    global S
    only = os.environ.get("SAIO_LOAD_TESTS")
    S = Servers()
    failed = 0
    try:
        for name, fn in TESTS:
            if only and only not in name:
                continue
            try:
                fn()
                print(f"ok {name}", flush=True)
            except Exception:  # noqa: BLE001 - a failing test reports and the others still run
                failed += 1
                print(f"not ok {name}", flush=True)
                traceback.print_exc(file=sys.stdout)
    finally:
        S.stop()
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
