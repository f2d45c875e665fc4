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
        t0 = time.perf_counter()
        routines = [load_routine(p) for p in paths]
        t1 = time.perf_counter()
        graphs = [expand(r) for r in routines]
        t2 = time.perf_counter()
    steps = sum(len(g.steps) for g in graphs)
    total = t2 - t0
    print(f"routines: {args.routines} x {args.exercises} exercises; {steps:,} steps expanded")
    print(f"load+validate: {t1 - t0:.3f} s   expand: {t2 - t1:.3f} s   total: {total:.3f} s   "
          f"({total / args.routines * 1000:.2f} ms per routine)")
    print(f"target < 1 s: {'met' if total < 1 else 'NOT met'}")


if __name__ == "__main__":
    main()
