#!/usr/bin/env python3
"""Benchmark: the Alexa skill served by `back-routine serve` (waitress) on loopback, verification on.

Starts a real server in a subprocess that trusts only a locally generated test CA (the test-only
--trust-roots / --cert-file knobs of `serve`), signs requests the way Alexa does, and drives it from
this process with keep-alive connections (asyncio, raw HTTP/1.1, so the load generator stays cheap
on the same 2 cores):
  1. open loop: a steady offered load (default 200 req/s for 10 s); latency is measured from each
     request's scheduled time, so a slow server cannot hide queueing (no coordinated omission);
  2. closed loop: 32 clients each sending its next request as soon as the last one is answered.
Then the server's memory (RSS and peak RSS). Targets: open-loop p99 < 50 ms; closed loop >= 500 req/s.

Usage: python scripts/bench_skill.py [--rate 200] [--seconds 10] [--clients 32] [--workers 8]
"""
from __future__ import annotations

import argparse
import asyncio
import http.client
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cryptography.hazmat.primitives import serialization

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.alexa_signing import CERT_URL, SKILL_ID, encode, make_envelope, pki  # noqa: E402

# A user's evening: open, start, mostly "next", now and then a question or a change of pace.
SCRIPT = [
    ("launch", None, {}),
    ("intent", "StartRoutineIntent", {}),
    ("intent", "AMAZON.NextIntent", {}),
    ("intent", "AMAZON.NextIntent", {}),
    ("intent", "WhereAmIIntent", {}),
    ("intent", "AMAZON.NextIntent", {}),
    ("intent", "AMAZON.RepeatIntent", {}),
    ("intent", "SlowerIntent", {}),
    ("intent", "AMAZON.NextIntent", {}),
    ("intent", "HowToIntent", {}),
    ("intent", "GoToExerciseIntent", {"number": "2"}),
    ("intent", "AMAZON.NextIntent", {}),
    ("intent", "FasterIntent", {}),
    ("intent", "AMAZON.NextIntent", {}),
    ("intent", "AMAZON.HelpIntent", {}),
    ("intent", "AMAZON.NextIntent", {}),
]


def signed_pool(users: int, port: int) -> list[bytes]:
    """Raw HTTP requests, each signed now (the verifier accepts timestamps within 150 s)."""
    identity = pki().good
    pool = []
    for u in range(users):
        user = f"amzn1.ask.account.BENCH{u:04d}"
        session = f"amzn1.echo-api.session.bench-{u}"
        for n, (kind, intent, slots) in enumerate(SCRIPT):
            envelope = make_envelope(intent=intent, slots=slots or None, user_id=user, session_id=session,
                                     new_session=n == 0) if kind == "intent" else \
                make_envelope(user_id=user, session_id=session)
            body = encode(envelope)
            headers = {"Host": f"127.0.0.1:{port}", "Content-Type": "application/json",
                       "Content-Length": str(len(body)), **identity.sign(body, legacy_sha1=False)}
            head = "POST /alexa HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
            pool.append(head.encode("ascii") + body)
    # Interleave users as a real load would, keeping each user's own order.
    order = [[] for _ in range(users)]
    for i, request in enumerate(pool):
        order[i // len(SCRIPT)].append(request)
    return [order[u][n] for n in range(len(SCRIPT)) for u in range(users)]


class Connection:
    """One keep-alive HTTP/1.1 connection speaking just enough of the protocol."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int) -> "Connection":
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return cls(reader, writer)

    async def send(self, request: bytes) -> int:
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n"):
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        body = await self.reader.readexactly(length)
        # A handler failure is still a 200 (a spoken apology): count it as an error too.
        return status if b"went wrong on my side" not in body else 599

    def close(self) -> None:
        self.writer.close()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


async def open_loop(port: int, pool: list[bytes], rate: float, seconds: float) -> tuple[list[float], int, float]:
    idle: list[Connection] = [await Connection.open(port) for _ in range(8)]
    latencies: list[float] = []
    errors = 0
    loop = asyncio.get_running_loop()
    start = loop.time() + 0.05
    total = int(rate * seconds)

    async def one(i: int) -> None:
        nonlocal errors
        scheduled = start + i / rate
        await asyncio.sleep(max(0.0, scheduled - loop.time()))
        connection = idle.pop() if idle else await Connection.open(port)
        status = await connection.send(pool[i % len(pool)])
        latencies.append(loop.time() - scheduled)
        errors += status != 200
        idle.append(connection)

    await asyncio.gather(*(one(i) for i in range(total)))
    elapsed = loop.time() - start
    for connection in idle:
        connection.close()
    return latencies, errors, elapsed


async def closed_loop(port: int, pool: list[bytes], clients: int, seconds: float) -> tuple[list[float], int, float]:
    latencies: list[float] = []
    errors = 0
    loop = asyncio.get_running_loop()
    connections = [await Connection.open(port) for _ in range(clients)]
    start = loop.time()
    end = start + seconds
    counter = iter(range(10**9))

    async def client(connection: Connection) -> None:
        nonlocal errors
        while loop.time() < end:
            sent = loop.time()
            status = await connection.send(pool[next(counter) % len(pool)])
            latencies.append(loop.time() - sent)
            errors += status != 200

    await asyncio.gather(*(client(c) for c in connections))
    elapsed = loop.time() - start
    for connection in connections:
        connection.close()
    return latencies, errors, elapsed


def rss_kib(pid: int) -> tuple[int, int]:
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(("VmRSS:", "VmHWM:")):
            key, value = line.split(":")
            values[key] = int(value.split()[0])
    return values.get("VmRSS", 0), values.get("VmHWM", 0)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(tmp: Path, port: int, workers: int) -> subprocess.Popen:
    roots, chain = tmp / "test-roots.pem", tmp / "test-chain.pem"
    roots.write_bytes(pki().root.public_bytes(serialization.Encoding.PEM))
    chain.write_bytes(pki().good.chain_pem)
    routines = tmp / "routines"
    shutil.copytree(ROOT / "routines", routines)
    env = dict(os.environ, BACK_ROUTINE_SKILL_ID=SKILL_ID)
    server = subprocess.Popen(
        [sys.executable, "-m", "back_routine", "serve", "--host", "127.0.0.1", "--port", str(port),
         "--workers", str(workers), "--db", str(tmp / "bench.sqlite3"), "--routines", str(routines),
         "--trust-roots", str(roots), "--cert-file", f"{CERT_URL}={chain}"],
        env=env, stdout=subprocess.DEVNULL, stderr=open(tmp / "server.log", "w"), cwd=tmp)
    deadline = time.monotonic() + 30
    while True:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return server
        except OSError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"server did not start; log:\n{(tmp / 'server.log').read_text()}")
        time.sleep(0.1)


def report(name: str, latencies: list[float], errors: int, elapsed: float) -> None:
    ms = [x * 1000 for x in latencies]
    print(f"{name}: {len(ms)} requests in {elapsed:.1f} s = {len(ms) / elapsed:.0f} req/s; "
          f"latency p50 {percentile(ms, 50):.1f} ms, p90 {percentile(ms, 90):.1f} ms, "
          f"p99 {percentile(ms, 99):.1f} ms, max {max(ms):.1f} ms; errors (non-200 or apology): {errors}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=200, help="open-loop offered load, requests per second")
    parser.add_argument("--seconds", type=float, default=10, help="length of each phase (at most 60)")
    parser.add_argument("--clients", type=int, default=32, help="closed-loop concurrent clients")
    parser.add_argument("--workers", type=int, default=8, help="waitress threads of the server")
    parser.add_argument("--users", type=int, default=40, help="distinct users in the request mix")
    args = parser.parse_args()
    seconds = min(args.seconds, 60.0)  # bounded: every phase must also fit the 150 s timestamp window
    rate = min(args.rate, 5000.0)

    with tempfile.TemporaryDirectory() as scratch:
        tmp = Path(scratch)
        port = free_port()
        server = start_server(tmp, port, args.workers)
        try:
            print(f"server: back-routine serve (waitress, {args.workers} threads), pid {server.pid}, "
                  f"127.0.0.1:{port}, verification on (test CA), SQLite persistence")
            pool = signed_pool(args.users, port)
            warm = asyncio.run(closed_loop(port, pool, 4, 2.0))  # caches: cert chain, graphs, chunks
            print(f"warm-up: {len(warm[0])} requests, errors: {warm[1]}")
            random.seed(1)
            pool = signed_pool(args.users, port)
            report(f"open loop at {rate:.0f} req/s", *asyncio.run(open_loop(port, pool, rate, seconds)))
            pool = signed_pool(args.users, port)
            latencies, errors, elapsed = asyncio.run(closed_loop(port, pool, args.clients, seconds))
            report(f"closed loop, {args.clients} clients", latencies, errors, elapsed)
            rss, peak = rss_kib(server.pid)
            print(f"server memory: RSS {rss / 1024:.1f} MiB, peak RSS {peak / 1024:.1f} MiB")
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()


if __name__ == "__main__":
    main()
