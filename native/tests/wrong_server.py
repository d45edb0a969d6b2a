#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""wrong_server.py PROTO MODE - a small server that answers like nginx, redis or memcached, but
(unless MODE is "ok") gets every 4th answer wrong in one way, so that saio-load's checks can be
shown to catch it. Prints its port on stdout, serves on 127.0.0.1 until killed (at most 10 min).

  http       ok | flip (a body byte flipped) | short (the body cut, connection closed)
             | status (500 with the right body)
  redis      ok | stale (the key's previous value) | flip | missing (nil)
  memcached  ok | stale | flip | missing (a bare END) | key (VALUE names another key)
The "ok" mode is the control: the same server, every answer right.
"""
import asyncio
import os
import signal
import sys

BODY = bytes((i * 7 + 13) % 94 + 33 for i in range(1024))


class Wrongness:
    """Every 4th answer (the 4th, 8th, ...) is the wrong one; the first answers are right, so the
    HTTP reference request sees the true page."""

    def __init__(self, mode):
        self.mode = mode
        self.n = 0

    def now(self):
        self.n += 1
        return self.mode != "ok" and self.n % 4 == 0


def flip(b):
    b = bytearray(b)
    b[len(b) // 2] ^= 0x01
    return bytes(b)


async def http_conn(reader, writer, w):
    buf = b""
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            buf += data
            while b"\r\n\r\n" in buf:
                req, buf = buf.split(b"\r\n\r\n", 1)
                close = b"connection: close" in req.lower()
                wrong = w.now()
                status, body = b"200 OK", BODY
                if wrong and w.mode == "flip":
                    body = flip(BODY)
                if wrong and w.mode == "status":
                    status = b"500 Internal Server Error"
                head = b"HTTP/1.1 " + status + b"\r\nContent-Length: %d\r\n" % len(BODY)
                head += b"Connection: close\r\n\r\n" if close else b"\r\n"
                if wrong and w.mode == "short":
                    writer.write(head + body[:-100])
                    await writer.drain()
                    writer.close()
                    return
                writer.write(head + body)
                if close:
                    await writer.drain()
                    writer.close()
                    return
            await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    writer.close()


class Store:
    def __init__(self):
        self.cur = {}
        self.prev = {}

    def set(self, k, v):
        if k in self.cur:
            self.prev[k] = self.cur[k]
        self.cur[k] = v

    def get(self, k, w):
        v = self.cur.get(k)
        if v is None or not w.now():
            return v, k
        if w.mode == "stale":
            return self.prev.get(k, v), k
        if w.mode == "flip":
            return flip(v), k
        if w.mode == "missing":
            return None, k
        if w.mode == "key":
            return v, k[:-1] + (b"0" if k[-1:] != b"0" else b"1")
        return v, k


async def redis_conn(reader, writer, store, w):
    try:
        while True:
            line = await reader.readline()
            if not line:
                break
            if not line.startswith(b"*"):
                writer.write(b"-ERR inline commands not supported\r\n")
                continue
            args = []
            for _ in range(int(line[1:])):
                n = int((await reader.readline())[1:])
                args.append((await reader.readexactly(n + 2))[:-2])
            cmd = args[0].upper()
            if cmd == b"SET":
                store.set(args[1], args[2])
                writer.write(b"+OK\r\n")
            elif cmd == b"GET":
                v, _ = store.get(args[1], w)
                writer.write(b"$-1\r\n" if v is None else b"$%d\r\n%s\r\n" % (len(v), v))
            else:
                writer.write(b"-ERR unknown command\r\n")
            if reader._buffer == b"":  # noqa: SLF001 - flush once per batch of pipelined commands
                await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError, ValueError):
        pass
    writer.close()


async def memcached_conn(reader, writer, store, w):
    try:
        while True:
            line = await reader.readline()
            if not line:
                break
            parts = line.split()
            if parts and parts[0] == b"set":
                n = int(parts[4])
                data = (await reader.readexactly(n + 2))[:-2]
                store.set(parts[1], data)
                writer.write(b"STORED\r\n")
            elif parts and parts[0] == b"get":
                v, k = store.get(parts[1], w)
                if v is not None:
                    writer.write(b"VALUE %s 0 %d\r\n%s\r\n" % (k, len(v), v))
                writer.write(b"END\r\n")
            else:
                writer.write(b"ERROR\r\n")
            if reader._buffer == b"":  # noqa: SLF001
                await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError, ValueError):
        pass
    writer.close()


async def main(proto, mode):
    w = Wrongness(mode)
    store = Store()
    if proto == "http":
        handler = lambda r, wr: http_conn(r, wr, w)  # noqa: E731
    elif proto == "redis":
        handler = lambda r, wr: redis_conn(r, wr, store, w)  # noqa: E731
    elif proto == "memcached":
        handler = lambda r, wr: memcached_conn(r, wr, store, w)  # noqa: E731
    else:
        sys.exit(f"wrong_server.py: unknown protocol {proto}")
    server = await asyncio.start_server(handler, "127.0.0.1", 0, backlog=1024)
    print(server.sockets[0].getsockname()[1], flush=True)
    await asyncio.sleep(600)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    asyncio.run(main(sys.argv[1], sys.argv[2]))
