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

Two request mixes, run interleaved on the same server so both see the same machine load: users who
turned the pain check-in off (the skill as it was before the check-in) and users who answer it
("about a four" after start). Each round runs both phases for one mix, then for the other; the
summary compares the medians over the rounds (target: the check-in within 10% of without it).

Usage: python scripts/bench_skill.py [--rate 200] [--seconds 10] [--clients 32] [--workers 8]
                                     [--checkin both|off|on] [--rounds 2]
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
# The same evening with the check-in answered: "how is your back today?" - "about a four" - and
# "how am I doing" (the progress summary over the user's history) in place of one question.
SCRIPT_CHECKIN = [*SCRIPT[:2], ("intent", "RatingIntent", {"rating": "4"}), *SCRIPT[2:14],
                  ("intent", "HowAmIDoingIntent", {}), SCRIPT[15]]
MIXES = {"off": SCRIPT, "on": SCRIPT_CHECKIN}


def signed_pool(users: int, port: int, mix: str = "off") -> list[bytes]:
    """Raw HTTP requests, each signed now (the verifier accepts timestamps within 150 s)."""
    identity = pki().good
    pool = []
    script = MIXES[mix]
    for u in range(users):
        user = f"amzn1.ask.account.BENCH{mix.upper()}{u:04d}"
        session = f"amzn1.echo-api.session.bench-{mix}-{u}"
        for n, (kind, intent, slots) in enumerate(script):
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
        order[i // len(script)].append(request)
    return [order[u][n] for n in range(len(script)) for u in range(users)]


def checkin_off_pool(users: int, port: int) -> list[bytes]:
    """Each "off" user says "turn off the check-in" once, before anything is measured."""
    identity = pki().good
    pool = []
    for u in range(users):
        body = encode(make_envelope(intent="CheckInOffIntent", user_id=f"amzn1.ask.account.BENCHOFF{u:04d}",
                                    session_id=f"amzn1.echo-api.session.bench-off-setup-{u}", new_session=True))
        headers = {"Host": f"127.0.0.1:{port}", "Content-Type": "application/json",
                   "Content-Length": str(len(body)), **identity.sign(body, legacy_sha1=False)}
        pool.append(("POST /alexa HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n")
                    .encode("ascii") + body)
    return pool


async def send_each(port: int, pool: list[bytes]) -> int:
    """Send every request once, in order, on one connection; the number of errors."""
    connection = await Connection.open(port)
    errors = sum([await connection.send(request) != 200 for request in pool])
    connection.close()
    return errors


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


def report(name: str, latencies: list[float], errors: int, elapsed: float) -> tuple[float, float]:
    """Print one phase; (req/s, p99 ms)."""
    ms = [x * 1000 for x in latencies]
    print(f"{name}: {len(ms)} requests in {elapsed:.1f} s = {len(ms) / elapsed:.0f} req/s; "
          f"latency p50 {percentile(ms, 50):.1f} ms, p90 {percentile(ms, 90):.1f} ms, "
          f"p99 {percentile(ms, 99):.1f} ms, max {max(ms):.1f} ms; errors (non-200 or apology): {errors}")
    return len(ms) / elapsed, percentile(ms, 99)


def median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def summarise(results: dict[str, dict[str, list[tuple[float, float]]]]) -> None:
    """Medians over the rounds per mix, and the check-in's cost relative to without it."""
    figures = {}
    for mix, phases in results.items():
        open_p99 = median([p99 for _, p99 in phases["open"]])
        closed_rate = median([rate for rate, _ in phases["closed"]])
        closed_p99 = median([p99 for _, p99 in phases["closed"]])
        figures[mix] = (open_p99, closed_rate, closed_p99)
        print(f"check-in {mix} (median of {len(phases['open'])} rounds): open-loop p99 {open_p99:.1f} ms; "
              f"closed loop {closed_rate:.0f} req/s, p99 {closed_p99:.1f} ms")
    if {"off", "on"} <= figures.keys():
        off, on = figures["off"], figures["on"]
        print(f"check-in on vs off: closed-loop req/s {100 * (on[1] / off[1] - 1):+.1f}%, "
              f"closed-loop p99 {100 * (on[2] / off[2] - 1):+.1f}%, open-loop p99 {100 * (on[0] / off[0] - 1):+.1f}% "
              "(target: throughput within 10%)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=200, help="open-loop offered load, requests per second")
    parser.add_argument("--seconds", type=float, default=10, help="length of each phase (at most 60)")
    parser.add_argument("--clients", type=int, default=32, help="closed-loop concurrent clients")
    parser.add_argument("--workers", type=int, default=8, help="waitress threads of the server")
    parser.add_argument("--users", type=int, default=40, help="distinct users in the request mix")
    parser.add_argument("--checkin", choices=("both", "off", "on"), default="both",
                        help="request mix: users with the pain check-in off, answering it, or both interleaved")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of (open loop, closed loop) for each mix")
    args = parser.parse_args()
    mixes = ("off", "on") if args.checkin == "both" else (args.checkin,)
    rounds = max(1, min(args.rounds, 10))
    seconds = min(args.seconds, 60.0)  # bounded: every phase must also fit the 150 s timestamp window
    rate = min(args.rate, 5000.0)

    with tempfile.TemporaryDirectory() as scratch:
        tmp = Path(scratch)
        port = free_port()
        server = start_server(tmp, port, args.workers)
        try:
            print(f"server: back-routine serve (waitress, {args.workers} threads), pid {server.pid}, "
                  f"127.0.0.1:{port}, verification on (test CA), SQLite persistence")
            if "off" in mixes:
                print(f"check-in turned off for the 'off' users, errors: "
                      f"{asyncio.run(send_each(port, checkin_off_pool(args.users, port)))}")
            for mix in mixes:
                pool = signed_pool(args.users, port, mix)
                warm = asyncio.run(closed_loop(port, pool, 4, 2.0))  # caches: cert chain, graphs, chunks
                print(f"warm-up (check-in {mix}): {len(warm[0])} requests, errors: {warm[1]}")
            random.seed(1)
            results = {mix: {"open": [], "closed": []} for mix in mixes}
            for n in range(rounds):
                for mix in mixes:
                    pool = signed_pool(args.users, port, mix)
                    results[mix]["open"].append(report(f"round {n + 1}, check-in {mix}, open loop at {rate:.0f} req/s",
                                                       *asyncio.run(open_loop(port, pool, rate, seconds))))
                    pool = signed_pool(args.users, port, mix)
                    latencies, errors, elapsed = asyncio.run(closed_loop(port, pool, args.clients, seconds))
                    results[mix]["closed"].append(report(f"round {n + 1}, check-in {mix}, closed loop, "
                                                         f"{args.clients} clients", latencies, errors, elapsed))
            summarise(results)
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
