#!/usr/bin/env python3
"""Benchmark: the skill as a Lambda handler, and `publish` of built tracks, offline against moto.

1. Lambda: a fresh Python process imports skill.lambda_handler and answers its first request (the
   cold start: imports, building the skill, the DynamoDB client, the table read) and then a user's
   evening of requests (warm), through `handler(event, context)` exactly as Lambda calls it.
   Persistence is DynamoDB (moto, in-process) or SQLite; the audio version reads local manifests.
   moto answers DynamoDB in-process, so the warm figures are the skill's own cost plus botocore's
   request building and parsing, without the network round trip (a few ms in-region).
2. Publish: the built outputs (default ./output) to a moto S3 bucket: the first publish (everything),
   a second one (nothing changed), and one after touching a single caption file.

Usage: python scripts/bench_aws.py [--out output] [--requests 300] [--persistence dynamodb|sqlite]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FAKE_AWS = {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_REGION": "us-east-1"}

CHILD = r"""
import json, os, statistics, sys, time
t0 = time.perf_counter()
from moto import mock_aws
mock = mock_aws(); mock.start()
t_moto = time.perf_counter()
sys.path.insert(0, os.environ["BENCH_ROOT"])
from tests.alexa_signing import make_envelope
import skill.lambda_handler as lh
t_import = time.perf_counter()
session = "amzn1.echo-api.session.bench"
first = make_envelope(session_id=session)
t1 = time.perf_counter(); lh.handler(first, None); t2 = time.perf_counter()
script = [("StartRoutineIntent", {})] + [("AMAZON.NextIntent", {})] * 6 + [("WhereAmIIntent", {}), ("PlayAudioIntent", {})]
times = []
token = None
n = int(os.environ["BENCH_REQUESTS"])
i = 0
while len(times) < n:
    user = f"amzn1.ask.account.bench{i // 12}"
    step = i % 12
    if step == 0:
        event = make_envelope(user_id=user, session_id=session)
    elif step <= len(script):
        intent, slots = script[step - 1]
        event = make_envelope(intent=intent, user_id=user, session_id=session, new_session=False)
    elif step == len(script) + 1:
        event = make_envelope("AudioPlayer.PlaybackStarted", user_id=user, token=token or "x", offset_ms=0)
    else:
        event = make_envelope("PlaybackController.PauseCommandIssued", user_id=user, token=token or "x", offset_ms=5000)
    s = time.perf_counter(); out = lh.handler(event, None); times.append(time.perf_counter() - s)
    for d in out["response"].get("directives", []):
        if d["type"] == "AudioPlayer.Play":
            token = d["audioItem"]["stream"]["token"]
    i += 1
times.sort()
print(json.dumps({"import_s": t_import - t_moto, "first_request_s": t2 - t1, "moto_start_s": t_moto - t0,
                  "warm_p50_ms": 1000 * statistics.median(times), "warm_p99_ms": 1000 * times[int(0.99 * (len(times) - 1))],
                  "warm_mean_ms": 1000 * statistics.fmean(times), "requests": len(times)}))
"""


def bench_lambda(out: Path, requests: int, persistence: str, scratch: Path) -> dict:
    env = {**os.environ, **FAKE_AWS, "BENCH_ROOT": str(ROOT), "BENCH_REQUESTS": str(requests),
           "BACK_ROUTINE_ROUTINES": str(ROOT / "routines"), "BACK_ROUTINE_PUBLIC_URL": "https://audio.example.com/r",
           "BACK_ROUTINE_OUTPUT": str(out), "PYTHONDONTWRITEBYTECODE": "1"}
    if persistence == "dynamodb":
        env.update(BACK_ROUTINE_DYNAMODB_TABLE="bench-progress", BACK_ROUTINE_DYNAMODB_CREATE="1")
    else:
        env.update(BACK_ROUTINE_PERSISTENCE="sqlite", BACK_ROUTINE_DB=str(scratch / "bench.sqlite3"))
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"benchmark process failed:\n{result.stderr[-3000:]}")
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    figures["process_s"] = time.perf_counter() - started
    return figures


def bench_publish(out: Path, scratch: Path) -> dict:
    os.environ.update(FAKE_AWS)
    from moto import mock_aws

    from audio_builder.publish import S3Target, built_files, publish, s3_client

    copy = scratch / "output"
    shutil.copytree(out, copy)
    with mock_aws():
        client = s3_client("us-east-1")
        client.create_bucket(Bucket="bench-tracks")
        target = S3Target("bench-tracks", "routines")
        files = built_files(copy)
        first = publish(copy, target, client=client)
        second = publish(copy, target, client=client)
        vtt = next(f.path for f in files if f.path.suffix == ".vtt")
        vtt.write_text(vtt.read_text() + "\n")
        third = publish(copy, target, client=client)
    return {"files": len(files), "megabytes": sum(f.size for f in files) / 1e6,
            "first_s": first.seconds, "first_uploaded": len(first.uploaded),
            "unchanged_s": second.seconds, "unchanged_uploaded": len(second.uploaded),
            "one_change_s": third.seconds, "one_change_uploaded": len(third.uploaded)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "output", help="built outputs (back-routine build --out)")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--persistence", choices=["dynamodb", "sqlite", "both"], default="both")
    args = parser.parse_args()
    if not any(args.out.glob("*/manifest.json")):
        sys.exit(f"no built routine in {args.out}/: run `back-routine build --engine espeak --out {args.out}` first")
    with tempfile.TemporaryDirectory() as scratch:
        for persistence in (["dynamodb", "sqlite"] if args.persistence == "both" else [args.persistence]):
            f = bench_lambda(args.out, args.requests, persistence, Path(scratch))
            print(f"lambda ({persistence}): cold: import {f['import_s'] * 1000:.0f} ms + first request "
                  f"{f['first_request_s'] * 1000:.0f} ms; warm over {f['requests']} requests: "
                  f"p50 {f['warm_p50_ms']:.2f} ms, p99 {f['warm_p99_ms']:.2f} ms, mean {f['warm_mean_ms']:.2f} ms")
        p = bench_publish(args.out, Path(scratch))
        print(f"publish to S3 (moto): {p['files']} files, {p['megabytes']:.1f} MB: first {p['first_s']:.2f} s "
              f"({p['first_uploaded']} uploaded); again {p['unchanged_s']:.2f} s ({p['unchanged_uploaded']} uploaded); "
              f"one caption changed {p['one_change_s']:.2f} s ({p['one_change_uploaded']} uploaded)")


if __name__ == "__main__":
    main()
