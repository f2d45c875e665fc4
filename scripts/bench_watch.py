#!/usr/bin/env python3
"""Benchmark: save to hear with `back-routine serve --watch` (target: under 2 s for a one-cue edit).

Runs the real command in a subprocess over a copy of the seed routine (offline Piper voice by default),
opens the player page of the seed's default level in headless Chromium, presses play, and then, several
times, rewrites one cue with new words (so each save synthesizes one new cue, as an author's edit does)
and measures:
  save to hear   the file written (this process's clock) -> the page playing the rebuilt track at the
                 same place (web_player/static/live.js's back-routine:track-ready, the browser's clock;
                 one machine, one clock)
  build          the rebuild as the server logs it (web_player/live_watch.py): wall time, the
                 synthesis in it, and its CPU time (what it costs on an idle machine)
  the rest       noticing the save (polls every 0.1 s, then 0.15 s of quiet), the event, the page
                 loading the new file and seeking
The first build (of everything, warm or cold cache) is reported apart. Prints the median, min and max.

Needs chromium, chromium-driver (apt) and selenium (the test extra).
Usage: python scripts/bench_watch.py [--edits 7] [--engine piper] [--cache-dir DIR]
"""
from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SEED = ROOT / "routines" / "back-pain.yaml"
AUDIO = "document.getElementById('player-audio')"
CUE = re.compile(r"^(\s+- say: )([A-Z][^\n:#{}]*\.)$", re.M)  # a one-line cue: its words are plain text
DEADLINE = 120.0
HOW = ["gently", "slowly", "smoothly", "calmly", "steadily", "softly", "carefully", "easily"]
AND = ["and breathe out", "and relax your shoulders", "and stay tall", "and keep breathing", "and let go",
       "and stay soft", "and feel the stretch", "and take your time"]
THEN = ["", " now", " again", " for me"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--edits", type=int, default=7, help="one-cue edits to time (default 7)")
    parser.add_argument("--engine", default="piper", help="voice engine for a routine never built (default piper)")
    parser.add_argument("--cache-dir", type=Path, default=None, help="cue cache (default: the user cache folder)")
    args = parser.parse_args()
    if args.edits < 1:
        parser.error("--edits must be at least 1")
    browser_test = _browser_helpers()
    if browser_test is None:
        return 2

    from audio_builder.cue_cache import default_cache_dir

    cache = args.cache_dir or default_cache_dir()
    with tempfile.TemporaryDirectory(prefix="bench-watch-") as scratch:
        work = Path(scratch)
        routines, output = work / "routines", work / "output"
        routines.mkdir()
        routine = routines / SEED.name
        shutil.copy(SEED, routine)
        if args.engine != "piper":  # the server rebuilds with a routine's recorded settings: record these
            subprocess.run([sys.executable, "-m", "back_routine", "build", "--quiet", "--engine", args.engine,
                            "--routines", str(routines), "--out", str(output), "--cache-dir", str(cache)],
                           cwd=work, check=True, timeout=1800)
        port = _free_port()
        log = work / "serve.log"
        command = [sys.executable, "-m", "back_routine", "serve", "--watch", "--no-verify", "--port", str(port),
                   "--routines", str(routines), "--output", str(output), "--cache-dir", str(cache),
                   "--db", str(work / "db.sqlite3")]
        started = time.time()
        with log.open("w") as out:
            server = subprocess.Popen(command, cwd=work, stdout=out, stderr=subprocess.STDOUT,
                                      env={**os.environ, "PYTHONPATH": str(ROOT)})
        driver = None
        try:
            _wait(lambda: "rebuild: watching" in log.read_text() or server.poll() is not None, "the first build",
                  timeout=1800)
            if server.poll() is not None:
                print(log.read_text(), file=sys.stderr)
                return 1
            print(f"first build (everything; {'given' if args.cache_dir else 'user'} cue cache {cache}): "
                  f"{time.time() - started:.1f} s including the server's start")
            driver = _browser(browser_test, work)
            results = _edits(driver, port, routine, log, args.edits)
        finally:
            if driver is not None:
                driver.quit()
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=60)
            except subprocess.TimeoutExpired:
                server.kill()
    _report(results)
    return 0


def _edits(driver, port: int, routine: Path, log: Path, edits: int) -> list:
    driver.get(f"http://127.0.0.1:{port}/routines/back-pain")
    _wait(lambda: driver.execute_script(f"return {AUDIO}.readyState >= 1"), "the player")
    driver.execute_script(f"""
        window.__ready = [];
        {AUDIO}.addEventListener('back-routine:track-ready', function (e) {{ window.__ready.push(e.detail); }});
        {AUDIO}.play();""")
    _wait(lambda: driver.execute_script(f"return !{AUDIO}.paused && {AUDIO}.currentTime > 0.2"), "playback")
    text = routine.read_text()
    # A short instruction, reworded: what an author most often edits.
    match = next((m for m in CUE.finditer(text) if len(m[2].split()) <= 6), None)
    if match is None:
        raise SystemExit(f"no short one-line cue to edit in {routine}")
    prefix, words = match.groups()
    run = random.Random()  # other words every run, so that a save synthesizes, as an author's edit does
    results = []
    for n in range(edits):
        edited = f"{words[:-1]} {run.choice(HOW)}, {run.choice(AND)}{run.choice(THEN)}."
        builds_before = log.read_text().count("rebuild: back-pain in")
        saved_at = time.time()
        routine.write_text(text[:match.start()] + prefix + edited + text[match.end():])
        ready = _wait(lambda: driver.execute_script(f"return window.__ready.length > {n} && window.__ready[{n}]"),
                      "the rebuilt track in the page")
        if not ready["playing"]:
            raise SystemExit("the page stopped playing after a rebuild")
        build = _wait(lambda: _build_seconds(log, builds_before), "the server's log line")
        results.append((ready["readyAt"] / 1000 - saved_at, build))
        time.sleep(0.5)  # an author listens for a moment before the next save
    return results


def _build_seconds(log: Path, before: int) -> tuple[float, ...] | None:
    """(wall, cpu, synthesizing seconds, cues synthesized) of the server's rebuild after `before` others."""
    found = re.findall(r"rebuild: back-pain in ([0-9.]+) s \(cpu ([0-9.]+) s, synthesizing ([0-9.]+) s\): "
                       r"\d+ tracks written, (\d+) cues synthesized", log.read_text())
    return tuple(map(float, found[before])) if len(found) > before else None


def _report(results: list[tuple[float, tuple[float, float, float]]]) -> None:
    totals = [total for total, _ in results]
    rows = [
        ("save to hear", totals),
        ("  the build", [build[0] for _, build in results]),
        ("    synthesis", [build[2] for _, build in results]),
        ("  the rest", [total - build[0] for total, build in results]),
        ("build cpu time", [build[1] for _, build in results]),
    ]
    print(f"one-cue edits on the seed, {len(results)} saves (target: save to hear under 2 s); "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    for label, values in rows:
        print(f"  {label:<15} median {statistics.median(values):.2f} s   min {min(values):.2f} s   "
              f"max {max(values):.2f} s")
    print("  each save: " + ", ".join(f"{t:.2f}" for t in totals) + " s; cues synthesized: "
          + ", ".join(str(int(build[3])) for _, build in results))
    print("  (the rest: noticing the save, the event, the page loading the new file and seeking; the build's cpu "
          "time is what it costs on an idle machine, the wall time what it took on this one)")


def _browser_helpers():
    try:
        import selenium  # noqa: F401
    except ImportError:
        print("selenium is not installed: pip install -e '.[test]'", file=sys.stderr)
        return None
    try:
        from tests.web_player import test_web_player_browser as browser_test
    except BaseException:  # pytest's skip when a part is missing
        browser_test = None
    if browser_test is None or not (browser_test.CHROMIUM and browser_test.CHROMEDRIVER):
        print("no headless browser here: apt-get install chromium chromium-driver", file=sys.stderr)
        return None
    return browser_test


def _browser(browser_test, work: Path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = browser_test.CHROMIUM
    for flag in browser_test.CHROMIUM_FLAGS + [f"--user-data-dir={work / 'chromium'}"]:
        options.add_argument(flag)
    return webdriver.Chrome(options=options, service=Service(executable_path=browser_test.CHROMEDRIVER))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait(condition, what: str, timeout: float = DEADLINE):
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.02)
    return value


if __name__ == "__main__":
    sys.exit(main())
