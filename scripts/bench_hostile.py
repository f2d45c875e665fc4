"""Time and memory of refusing hostile routine files (issue 10): the 'billion laughs' alias bomb, a
valid but enormous routine, and flow lists nested 100,000 deep. Each is refused with a located
error; this prints how long that takes and the peak of Python allocations, in-process and through
`back-routine validate` (a fresh interpreter, so its time includes start-up; its exit code must be 2).

    python scripts/bench_hostile.py

The tests (tests/routine_graph/test_hostile_routines.py) check the errors and a memory bound; times are here only.
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from routine_graph import RoutineError, load_routine  # noqa: E402
from tests.routine_graph.test_hostile_routines import alias_bomb, enormous_routine  # noqa: E402


def refused(path: Path) -> bool:
    try:
        load_routine(path)
    except RoutineError:
        return True
    return False


def in_process(path: Path) -> tuple[float, int, bool]:
    """(seconds, peak bytes, refused): timed without tracemalloc, which slows allocation-heavy code
    several times over, then run again under it for the peak."""
    started = time.perf_counter()
    was_refused = refused(path)
    seconds = time.perf_counter() - started
    tracemalloc.start()
    refused(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return seconds, peak, was_refused


def through_cli(path: Path) -> tuple[float, int]:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "back_routine", "validate", str(path)],
                          capture_output=True, timeout=120, cwd=ROOT)
    return time.perf_counter() - started, done.returncode


def main() -> None:
    cases = {
        "alias bomb (9 levels x 9)": alias_bomb(),
        "enormous (100 x 20 sets x 100 reps)": enormous_routine(),
        "flow lists nested 100,000 deep": "title: " + "[" * 100_000 + "]" * 100_000 + "\n",
    }
    print(f"{'case':38} {'bytes':>7} {'in-process':>11} {'peak MB':>8} {'validate':>9} {'exit':>4}")
    with tempfile.TemporaryDirectory() as tmp:
        for name, text in cases.items():
            path = Path(tmp) / "hostile.yaml"
            path.write_text(text, encoding="utf-8")
            seconds, peak, refused = in_process(path)
            cli_seconds, code = through_cli(path)
            assert refused and code == 2, (name, refused, code)
            print(f"{name:38} {len(text.encode()):>7,} {seconds * 1000:>9.1f}ms {peak / 1e6:>8.1f} "
                  f"{cli_seconds:>8.2f}s {code:>4}")


if __name__ == "__main__":
    main()
