#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""torture_servers.py - the differential torture suite's real-server scenarios.

Each scenario runs a stock server (nginx, lighttpd, redis, memcached from apt, or our
epoll_server) on a free 127.0.0.1 port with the features it tests turned on, drives it
with clients that misbehave (stall, pipeline and never read, idle, half-close, reset) and
writes a transcript of what the clients saw. It runs without the library (the baseline:
the server's own behaviour is the oracle), then with LD_PRELOAD=libsaio.so in each mode
(sync, uring), and the transcripts must be equal. "@S.SS" tokens are times in seconds,
compared within max(0.6 s, 35 %) (x TORTURE_SLOW), as in tests/torture.c.

usage: torture_servers.py BUILD_DIR [-m MODE]... [SCENARIO...]
Prints "ok torture_servers/MODE/NAME" or "not ok ...: why" with both transcripts.
"""
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

_ARGV = sys.argv[:]
sys.argv = _ARGV[:2]  # server_tests takes BUILD_DIR from argv[1] when imported
import server_tests as st  # noqa: E402  (free_port, Reader, HTTP/RESP helpers, STARTED)
sys.argv = _ARGV

SLOW = float(os.environ.get("TORTURE_SLOW", "1") or 1)
MODES = {"sync": {"SAIO_BACKEND": "sync"},
         "uring": {"SAIO_BACKEND": "uring", "SAIO_EPOLL_WAIT": "1"},  # the folded wait (opt-in)
         "uring_nofold": {"SAIO_BACKEND": "uring", "SAIO_EPOLL_WAIT": "0"},
         "sqpoll": {"SAIO_BACKEND": "uring", "SAIO_SQPOLL": "1", "SAIO_SQ_IDLE_MS": "20"}}


class Transcript:
    def __init__(self):
        self.lines = []
        self.lock = threading.Lock()

    def log(self, fmt, *a):
        with self.lock:
            self.lines.append(fmt % a if a else fmt)


# ---- servers ------------------------------------------------------------------------------

class Server:
    """A server in its own session and temporary directory, always stopped."""

    def __init__(self, cmd, env_extra, d, port, wait=True):
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("SAIO_") and k != "LD_PRELOAD"}
        env.update(env_extra)
        self.d, self.port = d, port
        self.log = open(os.path.join(d, "server.out"), "w")
        self.proc = subprocess.Popen(cmd, env=env, cwd=d, stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True, preexec_fn=st.die_with_parent)
        st.STARTED.append(self.proc.pid)
        if wait and not st.wait_port(port, self.proc):
            self.stop()
            raise RuntimeError("server did not start: " + open(os.path.join(d, "server.out")).read()[-400:])

    def stop(self):
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.log.close()

    def kill(self):
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        self.log.close()


def nginx(d, env, root):
    port = st.free_port()
    os.makedirs(os.path.join(d, "t"), exist_ok=True)
    conf = os.path.join(d, "nginx.conf")
    with open(conf, "w") as f:
        f.write(f"""daemon off; master_process on; worker_processes 1;
error_log {d}/error.log warn; pid {d}/nginx.pid;
events {{ worker_connections 1024; }}
http {{ access_log off; sendfile on; tcp_nopush on; keepalive_requests 100000;
  send_timeout 2s; reset_timedout_connection on; keepalive_timeout 1s;
  lingering_close on; lingering_timeout 1s; lingering_time 3s; client_max_body_size 1k;
  client_body_temp_path {d}/t; proxy_temp_path {d}/t; fastcgi_temp_path {d}/t;
  uwsgi_temp_path {d}/t; scgi_temp_path {d}/t;
  server {{ listen 127.0.0.1:{port} sndbuf=16k; root {root}; }} }}
""")
    return Server(["nginx", "-c", conf, "-p", d, "-e", d + "/error.log"], env, d, port)


def lighttpd(d, env, root):
    port = st.free_port()
    conf = os.path.join(d, "lighttpd.conf")
    with open(conf, "w") as f:
        f.write(f"""server.document-root = "{root}"
server.bind = "127.0.0.1"
server.port = {port}
server.errorlog = "{d}/error.log"
server.max-keep-alive-requests = 100000
server.max-keep-alive-idle = 1
server.max-write-idle = 2
server.max-connections = 1024
""")
    return Server(["lighttpd", "-D", "-f", conf], env, d, port)


def redis(d, env):
    port = st.free_port()
    return Server(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                   "--appendonly", "no", "--dir", d, "--daemonize", "no", "--protected-mode", "no",
                   "--logfile", d + "/redis.log"], env, d, port)


def memcached(d, env):
    port = st.free_port()
    return Server(["memcached", "-l", "127.0.0.1", "-p", str(port), "-U", "0", "-t", "2", "-u", "root",
                   "-m", "64", "-o", "idle_timeout=2"], env, d, port)


def make_root(d):
    root = os.path.join(d, "www")
    os.makedirs(root, exist_ok=True)
    os.chmod(d, 0o755)
    files = {"12k": 12 * 1024, "small": 100, "2m": 2 << 20}
    for name, n in files.items():
        with open(os.path.join(root, name), "wb") as f:
            f.write(bytes((i * 7 + (i >> 10)) & 0xff for i in range(n)))
    os.chmod(root, 0o755)
    return root, {k: open(os.path.join(root, k), "rb").read() for k in files}


# ---- client helpers ------------------------------------------------------------------------

def connect(port, rcvbuf=None, timeout=5.0):
    s = socket.socket()
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(timeout * SLOW)
    s.connect(("127.0.0.1", port))
    return s


def read_to_end(s, secs):
    """Everything until EOF/RST/timeout: (bytes, how it ended, when)."""
    s.settimeout(0.2)
    out, end = [], "no end (timeout)"
    dl = time.monotonic() + secs * SLOW
    while time.monotonic() < dl:
        try:
            d = s.recv(1 << 20)
        except socket.timeout:
            continue
        except ConnectionResetError:
            end = "ECONNRESET"
            break
        except OSError as e:
            end = "error " + (e.strerror or repr(e))
            break
        if not d:
            end = "EOF"
            break
        out.append(d)
    return b"".join(out), end, time.monotonic()


def idle_drop(end, took):
    """How a client idle for a 1 s timeout ended, for the transcript. redis (server.unixtime)
    and lighttpd (its once-a-second trigger) count idle time in whole seconds: the client is
    dropped 1 to 2 s after its last request, depending on where in the server's second it
    fell. So the time itself is no transcript line (runs differed by 0.77 s and 0.95 s, past
    line_eq's tolerance); the window is."""
    return "%s %s" % (end, "after 0.9 to 3 s" if 0.9 <= took <= 3 * SLOW
                      else "after %.2f s" % took)


def http_prefix_ok(data, bodies):
    """data is a run of whole HTTP responses whose bodies are files, perhaps cut short at the
    end. True when every byte so far is right."""
    i = 0
    while i < len(data):
        h = data.find(b"\r\n\r\n", i)
        if h < 0:
            return data[i:] == b"HTTP/1.1 200 OK\r\n"[:len(data) - i] or data[i:].startswith(b"HTTP/1.1 ")
        head = data[i:h].decode("latin1")
        if not head.startswith("HTTP/1.1 200"):
            return False
        m = re.search(r"\r\nContent-Length: (\d+)", head, re.I)
        if not m:
            return False
        n = int(m.group(1))
        body = data[h + 4:h + 4 + n]
        if not any(b[:len(body)] == body for b in bodies.values() if len(b) == n):
            return False
        i = h + 4 + n
    return True


def get(port, path, bodies, timeout=2.0):
    s = connect(port, timeout=timeout)
    try:
        s.sendall(st.http_request(path, close=True))
        status, body = st.http_response(st.Reader(s))
        return status == 200 and body == bodies[path]
    except OSError:
        return False
    finally:
        s.close()


# ---- scenarios -----------------------------------------------------------------------------

def nginx_stalled_pipeliners(t, port, bodies):
    """Item 1: three clients pipeline 1000 requests for a 12 KB file and never read; a fourth
    client's 40 small requests over 8 s must all be answered (send_timeout 2s, reset)."""
    stalled = []
    for k in range(3):
        s = connect(port, rcvbuf=16384)
        s.setblocking(False)
        reqs = st.http_request("12k") * 1000
        sent = 0
        dl = time.monotonic() + 2
        while sent < len(reqs) and time.monotonic() < dl:
            try:
                sent += s.send(reqs[sent:])
            except BlockingIOError:
                time.sleep(0.01)
        stalled.append(s)
    answered = 0
    t0 = time.monotonic()
    for i in range(40):
        answered += get(port, "small", bodies)
        time.sleep(max(0, t0 + (i + 1) * 0.2 - time.monotonic()))
    t.log("fourth client: %d of 40 small requests answered", answered)
    for k, s in enumerate(stalled):
        s.setblocking(True)
        data, end, _ = read_to_end(s, 8)
        t.log("stalled client %d: responses %s, then %s", k,
              "intact" if http_prefix_ok(data, bodies) else "CORRUPT", end)
        s.close()


def nginx_slow_reader(t, port, bodies):
    """send_timeout with a reader that is slow but keeps going: the 2 MB body arrives whole."""
    s = connect(port, rcvbuf=16384)
    s.sendall(st.http_request("2m", close=True))
    got, dl = [], time.monotonic() + 30 * SLOW
    s.settimeout(5)
    end = "no end (timeout)"
    while time.monotonic() < dl:
        try:
            d = s.recv(65536)
        except OSError as e:
            end = "error " + str(e)
            break
        if not d:
            end = "EOF"
            break
        got.append(d)
        time.sleep(0.01)
    data = b"".join(got)
    h = data.find(b"\r\n\r\n")
    t.log("slow reader: body %s, then %s", "intact" if data[h + 4:] == bodies["2m"] else "WRONG", end)
    s.close()


def nginx_keepalive_timeout(t, port, bodies):
    """keepalive_timeout 1s: an idle keep-alive connection is closed after about a second."""
    s = connect(port)
    s.sendall(st.http_request("small"))
    status, body = st.http_response(st.Reader(s))
    t0 = time.monotonic()
    _, end, t1 = read_to_end(s, 5)
    t.log("keep-alive: response %s, then %s @%.2f after it", "intact" if body == bodies["small"] else "WRONG",
          end, t1 - t0)
    s.close()


def nginx_lingering_close(t, port, bodies):
    """lingering_close: a body nginx refuses (413), sent on and on: nginx reads and drops it for
    lingering_time (3 s) or until 1 s without data, then closes."""
    s = connect(port)
    s.sendall(b"POST /small HTTP/1.1\r\nHost: t\r\nContent-Length: 10000000\r\n\r\n")
    t0 = time.monotonic()
    s.setblocking(False)
    got, end = b"", "no end (timeout)"
    dl = t0 + 8 * SLOW
    while time.monotonic() < dl:
        try:
            s.send(b"x" * 4096)
        except BlockingIOError:
            pass
        except (ConnectionResetError, BrokenPipeError):
            end = "ECONNRESET"  # the same reset, seen by send first
            break
        except OSError as e:
            end = "send: " + type(e).__name__
            break
        try:
            d = s.recv(65536)
            if not d:
                end = "EOF"
                break
            got += d
        except BlockingIOError:
            pass
        except ConnectionResetError:
            end = "ECONNRESET"
            break
        time.sleep(0.1)
    t.log("lingering close: status %s, then %s @%.2f", got[9:12].decode("latin1", "replace"), end,
          time.monotonic() - t0)
    s.close()


def lighttpd_stalled(t, port, bodies):
    """server.max-write-idle = 2: a client that pipelines and never reads is dropped; others
    are served meanwhile."""
    s = connect(port, rcvbuf=16384)
    s.setblocking(False)
    try:
        s.send(st.http_request("12k") * 300)
    except BlockingIOError:
        pass
    answered = 0
    t0 = time.monotonic()
    for i in range(25):
        answered += get(port, "small", bodies)
        time.sleep(max(0, t0 + (i + 1) * 0.2 - time.monotonic()))
    t.log("other client: %d of 25 answered", answered)
    s.setblocking(True)
    data, end, _ = read_to_end(s, 8)
    t.log("stalled client: responses %s, then %s", "intact" if http_prefix_ok(data, bodies) else "CORRUPT", end)
    s.close()
    s = connect(port)
    s.sendall(st.http_request("small"))
    st.http_response(st.Reader(s))
    t0 = time.monotonic()
    _, end, t1 = read_to_end(s, 5)
    t.log("keep-alive idle: %s", idle_drop(end, t1 - t0))
    s.close()


def resp(s, *args):
    s.sendall(st.resp_cmd(*args))
    return st.resp_reply(st.Reader(s))


def redis_rebind(t, port, srv):
    """Item 3: CONFIG SET port / bind close the listening socket and bind again at once."""
    s = connect(port)
    p2 = st.free_port()
    t.log("CONFIG SET port <new>: %s", resp(s, "CONFIG", "SET", "port", str(p2)))
    for name, p in (("new", p2), ("old", port)):
        try:
            c = connect(p, timeout=2)
            c.sendall(st.resp_cmd("PING"))
            t.log("connect to the %s port: %s", name, st.resp_reply(st.Reader(c)))
            c.close()
        except OSError as e:
            t.log("connect to the %s port: %s", name, type(e).__name__)
    t.log("CONFIG SET port <old>: %s", resp(s, "CONFIG", "SET", "port", str(port)))
    t.log("CONFIG SET bind 127.0.0.1: %s", resp(s, "CONFIG", "SET", "bind", "127.0.0.1"))
    try:
        c = connect(port, timeout=2)
        c.sendall(st.resp_cmd("PING"))
        t.log("connect after re-binding: %s", st.resp_reply(st.Reader(c)))
        c.close()
    except OSError as e:
        t.log("connect after re-binding: %s", type(e).__name__)
    s.close()


def redis_timeouts(t, port, srv):
    """redis `timeout` and client-output-buffer-limit: an idle client is dropped after the
    timeout; a client that asks for far more than it reads is dropped at the limit; another
    client is served right meanwhile."""
    s = connect(port)
    resp(s, "CONFIG", "SET", "timeout", "1")
    resp(s, "CONFIG", "SET", "client-output-buffer-limit", "normal 256kb 128kb 2")
    big = bytes(range(256)) * 400
    resp(s, "SET", "big", big)
    s.close()
    idle = connect(port)
    idle.sendall(st.resp_cmd("PING"))
    st.resp_reply(st.Reader(idle))
    t0 = time.monotonic()
    stalled = connect(port, rcvbuf=16384)
    stalled.setblocking(False)
    reqs = st.resp_cmd("GET", "big") * 300
    sent, dl = 0, time.monotonic() + 3
    while sent < len(reqs) and time.monotonic() < dl:
        try:
            sent += stalled.send(reqs[sent:])
        except BlockingIOError:
            time.sleep(0.01)
        except OSError:
            break
    other, good = connect(port), 0
    for _ in range(20):
        good += resp(other, "GET", "big") == big
        time.sleep(0.05)
    other.close()
    t.log("other client: %d of 20 GETs right", good)
    _, end, t1 = read_to_end(idle, 6)
    t.log("idle client: %s", idle_drop(end, t1 - t0))
    idle.close()
    stalled.setblocking(True)
    data, end, _ = read_to_end(stalled, 8)
    ok = True
    i = 0
    one = b"$%d\r\n" % len(big) + big + b"\r\n"
    while i + len(one) <= len(data):
        ok &= data[i:i + len(one)] == one
        i += len(one)
    ok &= one.startswith(data[i:])
    t.log("over the output limit: replies %s, %s, then %s", "intact" if ok else "CORRUPT",
          "fewer than asked" if len(data) < 300 * len(one) else "ALL of them", end)
    stalled.close()


def memcached_idle(t, port, srv):
    """memcached -o idle_timeout=2: an idle client is dropped; a busy one is not."""
    idle = connect(port)
    idle.sendall(b"set k 0 0 5\r\nhello\r\n")
    st.Reader(idle).until(b"\r\n")
    t0 = time.monotonic()
    busy, good = connect(port), 0
    for _ in range(30):
        busy.sendall(b"get k\r\n")
        good += st.Reader(busy).until(b"END\r\n") == b"VALUE k 0 5\r\nhello\r\nEND\r\n"
        time.sleep(0.1)
    _, end, t1 = read_to_end(idle, 6)
    t.log("busy client: %d of 30 right; idle client: %s (after %s)", good, end,
          "1.5 s or more" if t1 - t0 >= 1.5 else "less than 1.5 s")
    busy.close()
    idle.close()


def epoll_server_sigkill(t, d, env, root, bodies):
    """SIGKILL mid-batch: what clients received is a prefix of right responses (bytes the
    library acknowledged are not owed, but nothing appears that was not written)."""
    portfile = os.path.join(d, "port")
    srv = Server([os.path.join(st.BUILD, "tests", "epoll_server"), root, portfile], env, d, 0, wait=False)
    for _ in range(200):
        if os.path.exists(portfile) and open(portfile).read().strip():
            break
        time.sleep(0.02)
    port = int(open(portfile).read())
    socks = []
    for i in range(20):
        s = connect(port, rcvbuf=16384)
        s.sendall(st.http_request("12k") * 50 + st.http_request("2m") * 3)
        socks.append(s)
    time.sleep(0.3)
    srv.kill()
    bad, ends = 0, set()
    for s in socks:
        data, end, _ = read_to_end(s, 5)
        bad += not http_prefix_ok(data, bodies)
        ends.add("ended" if end in ("EOF", "ECONNRESET") else end)
        s.close()
    t.log("20 pipelining clients after SIGKILL: %d with wrong bytes; connections %s", bad, ", ".join(sorted(ends)))


# ---- running and comparing -----------------------------------------------------------------

def with_server(kind, fn):
    def run(t, d, env):
        root, bodies = make_root(d)
        if kind == "nginx":
            srv = nginx(d, env, root)
        elif kind == "lighttpd":
            srv = lighttpd(d, env, root)
        elif kind == "redis":
            srv = redis(d, env)
        else:
            srv = memcached(d, env)
        try:
            if kind in ("nginx", "lighttpd"):
                fn(t, srv.port, bodies)
            else:
                fn(t, srv.port, srv)
        finally:
            srv.stop()
    return run


def sigkill_run(t, d, env):
    root, bodies = make_root(d)
    epoll_server_sigkill(t, d, env, root, bodies)


SCENARIOS = [
    ("nginx_stalled_pipeliners", "1", with_server("nginx", nginx_stalled_pipeliners)),
    ("nginx_slow_reader", "stalled peers: send_timeout", with_server("nginx", nginx_slow_reader)),
    ("nginx_keepalive_timeout", "stalled peers: keepalive_timeout", with_server("nginx", nginx_keepalive_timeout)),
    ("nginx_lingering_close", "stalled peers: lingering_close", with_server("nginx", nginx_lingering_close)),
    ("lighttpd_stalled", "stalled peers: max-write-idle", with_server("lighttpd", lighttpd_stalled)),
    ("redis_rebind", "3", with_server("redis", redis_rebind)),
    ("redis_timeouts", "stalled peers: timeout, client-output-buffer-limit", with_server("redis", redis_timeouts)),
    ("memcached_idle", "stalled peers: idle_timeout", with_server("memcached", memcached_idle)),
    ("epoll_server_sigkill", "SIGKILL mid-batch", sigkill_run),
]


def untime(line):
    vals = [float(x) for x in re.findall(r"@(-?[0-9.]+)", line)]
    return re.sub(r"@-?[0-9.]+s?", "@", line), vals


def line_eq(a, b):
    ta, va = untime(a)
    tb, vb = untime(b)
    if ta != tb or len(va) != len(vb):
        return False
    return all(abs(x - y) <= max(0.6, 0.35 * max(x, y)) * SLOW for x, y in zip(va, vb))


def run_one(name, fn, mode):
    d = tempfile.mkdtemp(prefix="saio-torture-%s-" % name)
    os.chmod(d, 0o777)
    env = {}
    if mode:
        env = dict(MODES[mode], LD_PRELOAD=st.LIB)
    t = Transcript()
    try:
        fn(t, d, env)
    except Exception as e:  # a client call that failed is part of the transcript
        t.log("scenario stopped: %s", type(e).__name__)
    shutil.rmtree(d, ignore_errors=True)
    return t.lines


def main(argv):
    modes, only = [], []
    i = 0
    while i < len(argv):
        if argv[i] == "-m":
            modes.append(argv[i + 1])
            i += 2
        else:
            only.append(argv[i])
            i += 1
    modes = modes or ["sync", "uring"]
    have = {k: shutil.which(c) for k, c in [("nginx", "nginx"), ("lighttpd", "lighttpd"),
                                           ("redis", "redis-server"), ("memcached", "memcached")]}
    npass = nfail = 0
    for name, item, fn in SCENARIOS:
        if only and name not in only:
            continue
        server = name.split("_")[0]
        if server in have and not have[server]:
            for m in modes:
                print("not ok torture_servers/%s/%s: %s is not installed" % (m, name, server), flush=True)
                nfail += 1
            continue
        t0 = time.monotonic()
        base = run_one(name, fn, None)
        print("# %s (item %s): baseline %.1fs" % (name, item, time.monotonic() - t0), flush=True)
        for m in modes:
            t0 = time.monotonic()
            got = run_one(name, fn, m)
            diff = None
            for k in range(max(len(base), len(got))):
                a = base[k] if k < len(base) else "(end)"
                b = got[k] if k < len(got) else "(end)"
                if not line_eq(a, b):
                    diff = "line %d: without '%s', with '%s'" % (k + 1, a, b)
                    break
            print("# %s %s: %.1fs" % (name, m, time.monotonic() - t0), flush=True)
            if diff:
                nfail += 1
                print("not ok torture_servers/%s/%s: %s" % (m, name, diff), flush=True)
                print("#   without the library:\n" + "".join("#     %s\n" % x for x in base), end="")
                print("#   with the library:\n" + "".join("#     %s\n" % x for x in got), end="", flush=True)
            else:
                npass += 1
                print("ok torture_servers/%s/%s" % (m, name), flush=True)
    print("%d passed, %d failed" % (npass, nfail))
    return 1 if nfail else 0


if __name__ == "__main__":
    sys.exit(main(_ARGV[2:]))
