#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""server_tests.py - real servers under LD_PRELOAD=libsaio.so, checked byte for byte.

Servers: our epoll_server, nginx, lighttpd, redis-server, memcached (stock Debian
packages). Each runs with SAIO_BACKEND=sync and =uring (and, for the HTTP servers, uring
with small budgets), on a free 127.0.0.1 port, in its own temporary directory, and is
always stopped. Every check prints "ok NAME" or "not ok NAME: why".

usage: server_tests.py BUILD_DIR [server ...]
"""
import ctypes
import glob
import hashlib
import json
import os
import random
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

_libc = ctypes.CDLL(None, use_errno=True)


STARTED = []  # process groups (sessions) we started


def in_parallel(fn, n):
    """Run fn(0) .. fn(n - 1) on n threads at once and wait for all of them."""
    ts = [threading.Thread(target=fn, args=(i,)) for i in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()


def _on_term(sig, frame):
    """Killed from outside (timeout): take every server we started with us."""
    for pg in STARTED:
        try:
            os.killpg(pg, signal.SIGKILL)
        except OSError:
            pass
    os._exit(128 + sig)


signal.signal(signal.SIGTERM, _on_term)
signal.signal(signal.SIGINT, _on_term)


def die_with_parent():
    """Servers we start die with us even if we are killed (PR_SET_PDEATHSIG)."""
    _libc.prctl(1, signal.SIGKILL)


BUILD = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build")
ONLY = sys.argv[2:]
LIB = os.path.join(BUILD, "libsaio.so")
TIMEOUT = 20.0
FILES = {"0": 0, "1": 1, "1k": 1024, "100k": 100 * 1024, "8m": 8 << 20}
SMALL_BUDGET = {"SAIO_FD_BUDGET": "64k", "SAIO_BUDGET": "512k", "SAIO_SENDFILE_COPY_MAX": "16M"}


def say(name, ok, why=""):
    print(("ok " if ok else "not ok ") + name + ("" if ok else ": " + str(why)), flush=True)
    return ok


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def connect(port, rcvbuf=None):
    s = socket.socket()
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(TIMEOUT)
    s.connect(("127.0.0.1", port))
    return s


def wait_port(port, proc, secs=10.0):
    end = time.time() + secs
    while time.time() < end:
        if proc.poll() is not None:
            return False
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


def reset(sock):
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


class Reader:
    def __init__(self, sock):
        self.s, self.buf = sock, b""

    def fill(self):
        d = self.s.recv(262144)
        if not d:
            raise EOFError("connection closed")
        self.buf += d

    def until(self, sep):
        while sep not in self.buf:
            self.fill()
        i = self.buf.index(sep) + len(sep)
        out, self.buf = self.buf[:i], self.buf[i:]
        return out

    def exactly(self, n, slow=False):
        parts, have = [self.buf[:n]], min(n, len(self.buf))
        self.buf = self.buf[have:]
        while have < n:
            d = self.s.recv(min(n - have, 16384 if slow else 1 << 20))
            if not d:
                raise EOFError("short body")
            parts.append(d)
            have += len(d)
            if slow and have < 2 << 20:
                time.sleep(0.002)
        return b"".join(parts)


# ---- HTTP ------------------------------------------------------------------------------

def http_request(path, close=False):
    return ("GET /%s HTTP/1.1\r\nHost: t\r\n%s\r\n" % (path, "Connection: close\r\n" if close else "")).encode()


def http_response(rd, slow=False):
    head = rd.until(b"\r\n\r\n").decode("latin1")
    status = int(head.split()[1])
    n = 0
    for line in head.split("\r\n"):
        if line.lower().startswith("content-length:"):
            n = int(line.split(":")[1])
    return status, rd.exactly(n, slow)


def http_suite(tag, port, root, variant):
    digests = {k: hashlib.sha256(open(os.path.join(root, k), "rb").read()).hexdigest() for k in FILES}
    ok_all = True

    def check_body(name, status, body):
        return status == 200 and hashlib.sha256(body).hexdigest() == digests[name]

    # bodies over one keep-alive connection
    try:
        s = connect(port)
        rd = Reader(s)
        bad = []
        for name in FILES:
            s.sendall(http_request(name))
            st, body = http_response(rd)
            if not check_body(name, st, body):
                bad.append((name, st, len(body)))
        s.close()
        ok_all &= say(f"{tag}: bodies 0B 1B 1KiB 100KiB 8MiB (sha256), keep-alive", not bad, bad)
    except Exception as e:
        ok_all &= say(f"{tag}: bodies 0B 1B 1KiB 100KiB 8MiB (sha256), keep-alive", False, repr(e))

    if variant not in ("small",):
        # pipelining
        try:
            names = [random.choice(["0", "1", "1k", "100k"]) for _ in range(40)]
            s = connect(port)
            s.sendall(b"".join(http_request(n) for n in names))
            rd = Reader(s)
            bad = [n for n in names if not check_body(n, *http_response(rd))]
            s.close()
            ok_all &= say(f"{tag}: 40 pipelined requests", not bad, bad)
        except Exception as e:
            ok_all &= say(f"{tag}: 40 pipelined requests", False, repr(e))
        # Connection: close
        try:
            good = True
            for name in ["1k", "100k", "0"]:
                s = connect(port)
                s.sendall(http_request(name, close=True))
                rd = Reader(s)
                good &= check_body(name, *http_response(rd))
                try:
                    rd.fill()
                    good = False  # data after the body?
                except EOFError:
                    pass
                s.close()
            ok_all &= say(f"{tag}: Connection: close (body, then EOF)", good)
        except Exception as e:
            ok_all &= say(f"{tag}: Connection: close (body, then EOF)", False, repr(e))

    # 200 concurrent connections
    errors = []

    def client(i):
        try:
            s = connect(port)
            rd = Reader(s)
            for k in range(4):
                name = ["1k", "100k", "1", "1k"][(i + k) % 4]
                s.sendall(http_request(name))
                if not check_body(name, *http_response(rd)):
                    errors.append((i, name))
            s.close()
        except Exception as e:
            errors.append((i, repr(e)))

    in_parallel(client, 200)
    ok_all &= say(f"{tag}: 200 concurrent keep-alive connections", not errors, errors[:3])

    # slow readers (small receive buffer: the server's socket fills, EAGAIN, budgets)
    errors = []

    def slow(i):
        try:
            s = connect(port, rcvbuf=16384)
            s.sendall(http_request("8m"))
            st, body = http_response(Reader(s), slow=True)
            if not check_body("8m", st, body):
                errors.append(i)
            s.close()
        except Exception as e:
            errors.append(repr(e))

    in_parallel(slow, 4)
    ok_all &= say(f"{tag}: 4 slow readers of 8 MiB", not errors, errors[:3])

    # clients that reset mid-response, then the server still serves
    try:
        socks = []
        for i in range(20):
            s = connect(port, rcvbuf=16384)
            s.sendall(http_request("8m"))
            s.recv(50000)
            socks.append(s)
        for s in socks:
            reset(s)
        time.sleep(0.2)
        s = connect(port)
        rd = Reader(s)
        good = True
        for name in ["1k", "100k"]:
            s.sendall(http_request(name))
            good &= check_body(name, *http_response(rd))
        s.close()
        ok_all &= say(f"{tag}: 20 clients reset mid-response, server still right", good)
    except Exception as e:
        ok_all &= say(f"{tag}: 20 clients reset mid-response, server still right", False, repr(e))
    return ok_all


# ---- redis ----------------------------------------------------------------------------

def resp_cmd(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def resp_reply(rd, slow=False):
    line = rd.until(b"\r\n")
    t, rest = line[:1], line[1:-2]
    if t in (b"+", b"-", b":"):
        return rest
    if t == b"$":
        n = int(rest)
        if n < 0:
            return None
        body = rd.exactly(n + 2, slow)
        return body[:-2]
    raise ValueError("unexpected reply %r" % line)


def redis_suite(tag, port, variant):
    ok_all = True
    rnd = random.Random(1)
    try:
        s = connect(port)
        rd = Reader(s)
        vals = {}
        cmds = []
        for i in range(300):
            n = rnd.choice([0, 1, 10, 1000, 50000, 200000]) if i % 50 else (1 << 20)
            v = os.urandom(n)
            vals[b"k%d" % i] = v
            cmds.append(resp_cmd("SET", b"k%d" % i, v))
        s.sendall(b"".join(cmds))
        good = all(resp_reply(rd) == b"OK" for _ in cmds)
        s.sendall(b"".join(resp_cmd("GET", k) for k in vals))
        good &= all(resp_reply(rd) == v for v in vals.values())
        s.close()
        ok_all &= say(f"{tag}: 300 random SET/GET (0 B..1 MiB), pipelined, read back equal", good)
    except Exception as e:
        ok_all &= say(f"{tag}: 300 random SET/GET (0 B..1 MiB), pipelined, read back equal", False, repr(e))

    errors = []

    def client(i):
        try:
            s = connect(port)
            rd = Reader(s)
            for k in range(20):
                v = os.urandom(random.choice([5, 500, 20000]))
                s.sendall(resp_cmd("SET", "c%d_%d" % (i, k), v))
                if resp_reply(rd) != b"OK":
                    errors.append("set")
                s.sendall(resp_cmd("GET", "c%d_%d" % (i, k)))
                if resp_reply(rd) != v:
                    errors.append("get")
            s.close()
        except Exception as e:
            errors.append(repr(e))

    in_parallel(client, 100)
    ok_all &= say(f"{tag}: 100 concurrent clients SET/GET", not errors, errors[:3])

    try:
        big = os.urandom(4 << 20)
        s = connect(port)
        s.sendall(resp_cmd("SET", "big", big))
        rd = Reader(s)
        resp_reply(rd)
        s.close()
        s = connect(port, rcvbuf=16384)
        s.sendall(resp_cmd("GET", "big") * 2)
        rd = Reader(s)
        good = resp_reply(rd, slow=True) == big and resp_reply(rd) == big
        s.close()
        ok_all &= say(f"{tag}: slow reader of 2x4 MiB", good)
        socks = []
        for i in range(10):
            s = connect(port, rcvbuf=16384)
            s.sendall(resp_cmd("GET", "big"))
            s.recv(30000)
            socks.append(s)
        for s in socks:
            reset(s)
        time.sleep(0.2)
        s = connect(port)
        s.sendall(resp_cmd("GET", "k1"))
        good = resp_reply(Reader(s)) == vals[b"k1"]
        s.close()
        ok_all &= say(f"{tag}: 10 clients reset mid-reply, server still right", good)
    except Exception as e:
        ok_all &= say(f"{tag}: slow reader / reset", False, repr(e))
    return ok_all


# ---- memcached --------------------------------------------------------------------------

def mc_suite(tag, port, variant):
    ok_all = True
    rnd = random.Random(2)

    def get(rd, s, keys):
        s.sendall(b"get " + b" ".join(keys) + b"\r\n")
        out = {}
        while True:
            line = rd.until(b"\r\n")
            if line == b"END\r\n":
                return out
            _, k, _, n = line.split()[:4]
            out[k] = rd.exactly(int(n) + 2)[:-2]

    try:
        s = connect(port)
        rd = Reader(s)
        vals = {}
        for i in range(300):
            v = os.urandom(rnd.choice([0, 1, 100, 5000, 100000, 500000]))
            k = b"k%d" % i
            vals[k] = v
            s.sendall(b"set %s 0 0 %d\r\n%s\r\n" % (k, len(v), v))
        good = all(rd.until(b"\r\n") == b"STORED\r\n" for _ in vals)
        keys = list(vals)
        got = {}
        for i in range(0, len(keys), 30):
            got.update(get(rd, s, keys[i:i + 30]))
        good &= got == vals
        s.close()
        ok_all &= say(f"{tag}: 300 random set/get (0 B..500 KiB), multi-get, read back equal", good)
    except Exception as e:
        ok_all &= say(f"{tag}: 300 random set/get (0 B..500 KiB), multi-get, read back equal", False, repr(e))

    errors = []

    def client(i):
        try:
            s = connect(port)
            rd = Reader(s)
            for k in range(20):
                v = os.urandom(random.choice([3, 300, 30000]))
                key = b"c%d_%d" % (i, k)
                s.sendall(b"set %s 0 0 %d\r\n%s\r\n" % (key, len(v), v))
                if rd.until(b"\r\n") != b"STORED\r\n":
                    errors.append("set")
                if get(rd, s, [key]).get(key) != v:
                    errors.append("get")
            s.close()
        except Exception as e:
            errors.append(repr(e))

    in_parallel(client, 100)
    ok_all &= say(f"{tag}: 100 concurrent clients set/get (-t 4)", not errors, errors[:3])

    try:
        big = os.urandom(900000)
        s = connect(port)
        s.sendall(b"set big 0 0 %d\r\n%s\r\n" % (len(big), big))
        Reader(s).until(b"\r\n")
        s.close()
        s = connect(port, rcvbuf=16384)
        rd = Reader(s)
        s.sendall(b"get big big big big\r\n")
        good = True
        for _ in range(4):
            line = rd.until(b"\r\n")
            good &= rd.exactly(int(line.split()[3]) + 2, slow=True)[:-2] == big
        good &= rd.until(b"\r\n") == b"END\r\n"
        s.close()
        ok_all &= say(f"{tag}: slow reader of 4x900 KB", good)
        socks = []
        for i in range(10):
            s = connect(port, rcvbuf=16384)
            s.sendall(b"get big big big big\r\n")
            s.recv(30000)
            socks.append(s)
        for s in socks:
            reset(s)
        time.sleep(0.2)
        s = connect(port)
        good = get(Reader(s), s, [b"k1"]).get(b"k1") == vals[b"k1"]
        s.close()
        ok_all &= say(f"{tag}: 10 clients reset mid-reply, server still right", good)
    except Exception as e:
        ok_all &= say(f"{tag}: slow reader / reset", False, repr(e))
    return ok_all


# ---- servers ----------------------------------------------------------------------------

def make_root(d):
    root = os.path.join(d, "www")
    os.mkdir(root)
    rnd = random.Random(3)
    for name, n in FILES.items():
        with open(os.path.join(root, name), "wb") as f:
            f.write(rnd.randbytes(n))
    return root


def server_cmd(kind, d, port, root):
    if kind == "epoll_server":
        return [os.path.join(BUILD, "tests", "epoll_server"), root, os.path.join(d, "port")]
    if kind == "nginx":
        conf = os.path.join(d, "nginx.conf")
        with open(conf, "w") as f:
            f.write(f"""daemon off; master_process on; worker_processes 1;
error_log {d}/error.log warn; pid {d}/nginx.pid;
events {{ worker_connections 2048; }}
http {{ access_log off; sendfile on; tcp_nopush on; keepalive_requests 100000;
  client_body_temp_path {d}/t; proxy_temp_path {d}/t; fastcgi_temp_path {d}/t;
  uwsgi_temp_path {d}/t; scgi_temp_path {d}/t;
  server {{ listen 127.0.0.1:{port}; root {root}; }} }}
""")
        return ["nginx", "-c", conf, "-p", d, "-e", d + "/error.log"]
    if kind == "lighttpd":
        conf = os.path.join(d, "lighttpd.conf")
        with open(conf, "w") as f:
            f.write(f"""server.document-root = "{root}"
server.bind = "127.0.0.1"
server.port = {port}
server.errorlog = "{d}/error.log"
server.max-keep-alive-requests = 100000
server.max-connections = 2048
server.max-fds = 4096
""")
        return ["lighttpd", "-D", "-f", conf]
    if kind == "redis":
        return ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "no", "--dir", d, "--daemonize", "no", "--io-threads", "2",
                "--maxclients", "1000", "--protected-mode", "no", "--logfile", d + "/redis.log"]
    if kind == "memcached":
        return ["memcached", "-l", "127.0.0.1", "-p", str(port), "-U", "0", "-t", "4",
                "-u", "root", "-m", "256", "-I", "4m", "-c", "2048"]
    raise ValueError(kind)


# Calls that must show up as deferred in each server's stats (uring).
EXPECT = {
    # (shutdown is deferred only behind bytes still queued: not required)
    "epoll_server": ["writev", "sendfile", "close", "setsockopt"],
    "nginx": ["writev", "sendfile", "close"],
    "lighttpd": ["writev", "close", "setsockopt"],
    "redis": ["write", "writev", "close"],
    "memcached": ["sendmsg", "close"],
}


def read_stats(base):
    out = []
    for p in glob.glob(base) + glob.glob(base + ".*"):
        if ".tmp." in p:
            continue
        try:
            with open(p) as f:
                out.append(json.load(f))
        except (OSError, ValueError):
            pass
    return out


def run_one(kind, variant):
    tag = f"{kind}/{variant}"
    d = tempfile.mkdtemp(prefix="saio-test-")
    os.chmod(d, 0o777)  # nginx workers run as nobody and write their stats here
    os.mkdir(os.path.join(d, "t"))
    root = make_root(d)
    os.chmod(root, 0o755)
    port = free_port()
    stats = os.path.join(d, "stats.json")
    env = dict(os.environ, LD_PRELOAD=LIB, SAIO_STATS=stats,
               SAIO_BACKEND="sync" if variant == "sync" else "uring")
    if variant == "small":
        env.update(SMALL_BUDGET)
    if variant == "sqpoll":
        env.update(SAIO_SQPOLL="1", SAIO_SQ_IDLE_MS="20")
    cmd = server_cmd(kind, d, port, root)
    log = open(os.path.join(d, "server.out"), "w")
    proc = subprocess.Popen(cmd, env=env, cwd=d, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True, preexec_fn=die_with_parent)
    STARTED.append(proc.pid)
    ok = True
    try:
        if kind == "epoll_server":
            for _ in range(100):
                if os.path.exists(os.path.join(d, "port")) and open(os.path.join(d, "port")).read().strip():
                    break
                time.sleep(0.05)
            port = int(open(os.path.join(d, "port")).read())
        if not wait_port(port, proc):
            say(f"{tag}: server starts", False, open(os.path.join(d, "server.out")).read()[-500:])
            return False
        if kind in ("epoll_server", "nginx", "lighttpd"):
            ok &= http_suite(tag, port, root, variant)
        elif kind == "redis":
            ok &= redis_suite(tag, port, variant)
        else:
            ok &= mc_suite(tag, port, variant)
    finally:
        # Stop what we started: the session we created, by its id.
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            rc = proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            rc = proc.wait()
        log.close()
    if kind == "epoll_server":
        ok &= say(f"{tag}: server exits cleanly (never saw an event for a closed fd)", rc == 0,
                  open(os.path.join(d, "server.out")).read()[-300:])
    time.sleep(0.2)
    st = read_stats(stats)
    if variant == "sync":
        good = bool(st) and all(s["backend"] == "sync" and s["ops_deferred"] == 0 for s in st)
        ok &= say(f"{tag}: stats: backend sync, nothing deferred", good, st[:1])
    else:
        tot = {}
        for s in st:
            for k, v in s["ops"].items():
                tot[k] = tot.get(k, 0) + v
        print(f"# {tag} deferred by call: " + " ".join(f"{k}={v}" for k, v in tot.items() if v)
              + f"; batches={sum(s['batches'] for s in st)}", flush=True)
        expect = EXPECT[kind]
        missing = [c for c in expect if not tot.get(c)]
        good = bool(st) and all(s["backend"] == "uring" for s in st) and not missing \
            and sum(s["batches"] for s in st) > 0
        ok &= say(f"{tag}: stats: calls deferred ({', '.join(expect)}), batched", good,
                  f"missing {missing} in {tot}")
        if variant == "small":
            hits = sum(s["budget_hits"] for s in st)
            ok &= say(f"{tag}: stats: small budgets were hit", hits > 0, hits)
    if ok:
        shutil.rmtree(d, ignore_errors=True)
    else:
        # Say why here too: CI and fresh roots are gone by the time anyone could inspect d.
        for name in ("error.log", "server.out", "redis.log"):
            try:
                tail = open(os.path.join(d, name), errors="replace").read().splitlines()[-8:]
            except OSError:
                continue
            for line in tail:
                print(f"# {tag} {name}: {line}", flush=True)
        print(f"# kept {d} for inspection", flush=True)
    return ok


def no_uring():
    """io_uring unavailable (simulated with SAIO_TEST_NO_URING): one message, sync."""
    d = tempfile.mkdtemp(prefix="saio-test-")
    root = make_root(d)
    stats = os.path.join(d, "stats.json")
    env = dict(os.environ, LD_PRELOAD=LIB, SAIO_STATS=stats, SAIO_TEST_NO_URING="1")
    proc = subprocess.Popen(server_cmd("epoll_server", d, 0, root), env=env, cwd=d,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=die_with_parent)
    STARTED.append(proc.pid)
    good = False
    try:
        for _ in range(100):
            if os.path.exists(os.path.join(d, "port")) and open(os.path.join(d, "port")).read().strip():
                break
            time.sleep(0.05)
        port = int(open(os.path.join(d, "port")).read())
        for _ in range(3):
            s = connect(port)
            s.sendall(http_request("100k") * 3)
            rd = Reader(s)
            good = all(len(http_response(rd)[1]) == 100 * 1024 for _ in range(3))
            s.close()
    except Exception as e:
        print("#", repr(e))
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        out = proc.communicate(timeout=10)[0].decode()
    time.sleep(0.2)
    st = read_stats(stats)
    msgs = out.count("saio: uring backend unavailable")
    say("no io_uring: said once on stderr, ran sync, served right",
        good and msgs == 1 and proc.returncode == 0 and st and st[0]["backend"] == "sync"
        and st[0]["ops_deferred"] == 0, (good, msgs, out[-200:], st[:1]))
    shutil.rmtree(d, ignore_errors=True)


def main():
    have = {k: shutil.which(c) for k, c in [("nginx", "nginx"), ("lighttpd", "lighttpd"),
                                           ("redis", "redis-server"), ("memcached", "memcached")]}
    kinds = ["epoll_server", "nginx", "lighttpd", "redis", "memcached"]
    for kind in kinds:
        if ONLY and kind not in ONLY:
            continue
        if kind != "epoll_server" and not have[kind]:
            say(f"{kind}: installed", False, "not found")
            continue
        variants = ["sync", "uring"] + (["small"] if kind in ("epoll_server", "nginx", "lighttpd") else []) \
            + (["sqpoll"] if kind in ("epoll_server", "nginx", "lighttpd", "memcached") else [])
        for v in variants:
            run_one(kind, v)
    if not ONLY or "no_uring" in ONLY:
        no_uring()


if __name__ == "__main__":
    main()
