#!/usr/bin/env python3
"""Benchmark: validate and expand 200 generated routines of 20 exercises each (target: < 1 s in all).

Usage: python scripts/bench_routine_graph.py [--routines 200] [--exercises 20]
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from routine_graph import expand, load_routine
from routine_graph.generate import generated_routine_yaml


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--routines", type=int, default=200)
    parser.add_argument("--exercises", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for seed in range(args.routines):
            path = Path(tmp) / f"generated-{seed}.yaml"
            path.write_text(generated_routine_yaml(args.exercises, seed))
            paths.append(path)
        load_routine(paths[0])  # warm imports and pydantic's validators: we measure the steady work
        # As `validate` and `build` use it: one routine at a time, each graph dropped after use.
        load_s = expand_s = 0.0
        steps = 0
        for path in paths:
            t0 = time.perf_counter()
            routine = load_routine(path)
            t1 = time.perf_counter()
            graph = expand(routine)
            t2 = time.perf_counter()
            load_s, expand_s, steps = load_s + t1 - t0, expand_s + t2 - t1, steps + len(graph.steps)
        # The same, keeping every graph in memory at once (the worst case for the allocator).
        t0 = time.perf_counter()
        kept = [expand(load_routine(path)) for path in paths]
        kept_s = time.perf_counter() - t0
    total = load_s + expand_s
    print(f"routines: {args.routines} x {args.exercises} exercises; {steps:,} steps expanded")
    print(f"one at a time: load+validate {load_s:.3f} s, expand {expand_s:.3f} s, total {total:.3f} s "
          f"({total / args.routines * 1000:.2f} ms per routine, {expand_s / steps * 1e6:.2f} us per step)")
    print(f"all {len(kept)} graphs kept in memory: {kept_s:.3f} s")
    print(f"target < 1 s: {'met' if total < 1 else 'NOT met'}")


if __name__ == "__main__":
    main()
