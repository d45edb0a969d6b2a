#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""profile.py - where the server's CPU goes, as shipped and under libsaio (perf record).

Issue 13 asks for "perf profiles of what is left": after the library's batching, which
system calls remain and what the server's CPU spends its time on. For each cell (default:
nginx 1 KiB keep-alive at 100 connections, as shipped and with open_file_cache, and 1 KiB
Connection: close at 10) and each
configuration (baseline, saio-uring), the server runs pinned to CPU 0 and the lab's generator
(saio-load, closed loop) on CPU 1, as in syscalls.py; over one window of the load
  - `perf stat -e 'syscalls:sys_enter_*'` counts every system call of the server's threads
    by name (per request), then, over a second window (the tracepoints cost CPU of their
    own and would show in the profile),
  - `perf record -e cpu-clock` samples the server's threads (every thread of the process
    when the window starts: io-wq workers the warm-up made are threads of it too).
Printed: system calls per request by name, CPU share by component (kernel: TCP / io_uring /
epoll / VFS / other; nginx; libsaio; libc; liburing) and the top symbols. Timings under
perf are not results (the lab's run is); shares and counts are.

Environment: DURATION (s, default 3), CELLS (names, comma-separated), TOP (symbols, 12),
OUT (JSON).
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402
import syscalls  # noqa: E402  (load, requests_of, CONFIGS)

DURATION = float(os.environ.get("DURATION", "3"))
TOP = int(os.environ.get("TOP", "12"))
CELLS = [
    ("nginx 1k keepalive c100", "1k", ["--keepalive"], 100),
    ("nginx 1k keepalive c100 open_file_cache", "1k", ["--keepalive"], 100),
    ("nginx 1k close c10", "1k", ["--close"], 10),
]

# Kernel symbols by what they serve: the first pattern that matches names the group.
KERNEL_GROUPS = [
    # This VM's guest kernel (PVM) samples on the timer only where interrupts are enabled
    # again: time spent with them off (softirq, locks taken with irqsave, the syscall's own
    # entry) is charged to the re-enable. It is kernel work, not one function's.
    ("irq-off work (charged to pvm_irq_enable)", re.compile(r"^pvm_irq_enable$")),
    ("io_uring", re.compile(r"io_uring|^io_|__io_")),
    ("epoll", re.compile(r"ep_|epoll")),
    ("tcp/ip", re.compile(r"tcp|inet|sock|skb|ip_|ipv4|__dev_|net_|netif|napi|loopback|"
                          r"sk_|__sk|lock_sock|release_sock|dst_|nf_|__napi|do_softirq|"
                          r"__local_bh|process_backlog|__netif|copy_page_to|_copy_to_iter|"
                          r"_copy_from_iter|csum")),
    ("vfs/files", re.compile(r"open|path|dentry|lookup|filp|fput|fget|file|stat|vfs|"
                             r"inode|link_path|__fput|d_|mnt|do_sys|getname|kmem_cache|"
                             r"filemap|page_cache|folio|copy_splice|splice")),
    ("syscall entry", re.compile(r"entry_|syscall|do_syscall|__x64_sys|exit_to_user|"
                                 r"restore_regs|fpregs|syscall_exit")),
]


def component(dso, sym):
    if dso == "[kernel.kallsyms]" or dso.startswith("[kernel"):
        for name, pat in KERNEL_GROUPS:
            if pat.search(sym):
                return "kernel " + name
        return "kernel other"
    base = os.path.basename(dso)
    for key in ("libsaio", "liburing", "libc", "nginx", "libcrypt", "libpcre", "libz"):
        if key in base:
            return key
    return base or "unknown"


def perf_report(data):
    """[(share %, dso, symbol)] from perf report --stdio, self time, by dso and symbol."""
    out = subprocess.run(["perf", "report", "-i", data, "--stdio", "--no-children",
                          "--sort", "dso,sym", "--percent-limit", "0.05"],
                         capture_output=True, text=True, timeout=120).stdout
    rows = []
    for line in out.splitlines():
        m = re.match(r"\s*([\d.]+)%\s+(\S+)\s+\[[.k]\]\s+(.+?)\s*$", line)
        if m:
            rows.append((float(m.group(1)), m.group(2), m.group(3)))
    return rows


def profile(pid, url, extra, conns, workdir):
    data = os.path.join(workdir, f"perf-{pid}.data")
    stat = subprocess.Popen(["perf", "stat", "-x", ",", "-e", "syscalls:sys_enter_*",
                             "-p", str(pid)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    time.sleep(0.5)
    reqs = max(syscalls.requests_of(syscalls.load(url, extra, conns, DURATION)), 1)
    stat.send_signal(signal.SIGINT)
    err = stat.communicate(timeout=30)[1]
    rec = subprocess.Popen(["perf", "record", "-q", "-e", "cpu-clock", "-F", "1999", "-p",
                            str(pid), "-o", data],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    time.sleep(0.5)
    sampled = max(syscalls.requests_of(syscalls.load(url, extra, conns, DURATION)), 1)
    rec.send_signal(signal.SIGINT)
    rec_err = rec.communicate(timeout=60)[1]
    if rec.returncode not in (0, -signal.SIGINT) or not os.path.exists(data):
        raise RuntimeError(f"perf record failed ({rec.returncode}): {rec_err.strip()[:300]}")
    calls = {ev.split("sys_enter_")[1]: n / reqs
             for ev, n in bench.perf_counts(err).items() if "sys_enter_" in ev and n}
    rows = perf_report(data)
    groups = {}
    for share, dso, sym in rows:
        g = component(dso, sym)
        groups[g] = groups.get(g, 0.0) + share
    return {"requests": reqs, "sampled_requests": sampled,
            "syscalls": dict(sorted(calls.items(), key=lambda kv: -kv[1])),
            "components": dict(sorted(groups.items(), key=lambda kv: -kv[1])),
            "top": [{"share": s, "dso": os.path.basename(d), "symbol": y}
                    for s, d, y in rows[:TOP]]}


def main():
    bench.require("profile.py", ("perf", "taskset", "nginx"), syscalls.LOAD)
    want = [c.strip() for c in os.environ.get("CELLS", "").split(",") if c.strip()]
    base, root = bench.docroot("saio-profile-")
    results = []
    print(f"# where the server's CPU goes (perf record -e cpu-clock, every thread of the "
          f"server; {DURATION:g} s of saio-load per point; shares in % of the samples)",
          flush=True)
    try:
        for name, size, extra, conns in CELLS:
            if want and name not in want:
                continue
            for cname, env in syscalls.CONFIGS:
                srv = bench.Nginx(cname, env, root, tempfile.mkdtemp(dir=base),
                                  syscalls.http_extra(name))
                try:
                    url = syscalls.nginx_url(srv, size)
                    syscalls.load(url, extra, conns, 1)  # warm-up
                    r = profile(srv.worker, url, extra, conns, base)
                finally:
                    srv.stop()
                results.append({"cell": name, "config": cname, **r})
                print(f"\n## {name}, {cname}: {r['requests']} requests counted, "
                      f"{r['sampled_requests']} sampled")
                print("system calls per request: " + " ".join(
                    f"{k}={v:.2f}" for k, v in r["syscalls"].items() if v >= 0.005))
                print("CPU by component: " + " ".join(
                    f"{k}={v:.1f}%" for k, v in r["components"].items() if v >= 0.5))
                for t in r["top"]:
                    print(f"  {t['share']:5.1f}%  {t['dso']:<22} {t['symbol']}")
                sys.stdout.flush()
    finally:
        shutil.rmtree(base, ignore_errors=True)
    bench.save_out(results)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda sig, frame: sys.exit(128 + sig))
    main()
