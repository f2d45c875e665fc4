"""The build command's user experience: watch mode and progress output."""
from __future__ import annotations

import io
import queue
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

from audio_builder.progress import Progress

DATA = Path(__file__).resolve().parents[1] / "data"


def test_watch_rebuilds_after_a_save_and_stops_cleanly(tmp_path):
    routines = tmp_path / "routines"
    routines.mkdir()
    routine = routines / "mini.yaml"
    shutil.copy(DATA / "mini.yaml", routine)
    cmd = [sys.executable, "-u", "-m", "back_routine", "watch", "--engine", "espeak", "--quiet", "--interval", "0.2",
           "--routines", str(routines), "--out", str(tmp_path / "out"), "--cache-dir", str(tmp_path / "cache")]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    # readline() blocks until a line comes: read on a thread, so every wait here has a deadline.
    output: queue.Queue[str | None] = queue.Queue()
    threading.Thread(target=lambda: [output.put(line) for line in proc.stdout] + [output.put(None)], daemon=True).start()

    def wait_for(text: str, seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = output.get(timeout=left)
            except queue.Empty:
                break
            if line is None:  # the watcher exited
                break
            lines.append(line)
            if text in line:
                return
        raise AssertionError(f"never saw {text!r}; output: {''.join(lines)}")

    try:
        wait_for("watching")
        assert any("mini: built 10 tracks" in line for line in lines)
        routine.write_text(routine.read_text().replace("Welcome.", "Welcome, everyone."))
        wait_for("mini: built")
        manifest = (tmp_path / "out" / "mini" / "manifest.json").read_text()
        assert "Welcome, everyone." in manifest
        # A broken save is reported, and the watcher keeps going.
        routine.write_text("title: [\n")
        wait_for("YAML syntax error")
        assert proc.poll() is None
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_watch_keeps_an_edit_saved_while_its_first_build_runs(tmp_path, monkeypatch):
    import audio_builder.cli as cli

    routines = tmp_path / "routines"
    routines.mkdir()
    routine = routines / "mini.yaml"
    shutil.copy(DATA / "mini.yaml", routine)
    builds: list[str] = []

    def build(**kwargs):
        builds.append(routine.read_text())
        if len(builds) == 1:  # the author saves while the first build is still running
            routine.write_text(routine.read_text().replace("Welcome.", "Welcome, everyone."))
        else:
            raise KeyboardInterrupt  # stop watching after the rebuild

    naps: list[float] = []

    def sleep(seconds: float) -> None:  # no real waiting; give up after a while if nothing happens
        naps.append(seconds)
        if len(naps) > 50:
            raise KeyboardInterrupt

    monkeypatch.setattr(cli, "_run_build", build)
    monkeypatch.setattr(cli.time, "sleep", sleep)
    cli.watch.callback(interval=0.2, routines=(), level=None, engine="espeak", voice=None, rate=1.0, lang=None, tld=None,
                       bitrate=64, sample_rate="24000", out_dir=tmp_path / "out", cache_dir=None, quiet=True,
                       routines_path=routines)
    assert len(builds) == 2 and "Welcome, everyone." in builds[1]


def test_progress_draws_a_bar_on_a_terminal():
    out = io.StringIO()
    bar = Progress("synthesizing cues", 4, stream=out, tty=True)
    for _ in range(4):
        bar.advance()
    bar.done()
    text = out.getvalue()
    assert "\rsynthesizing cues [" in text and "] 4/4" in text
    assert text.rstrip().endswith("synthesizing cues: 4/4 in 0.0 s")


def test_progress_is_quiet_for_fast_steps_off_a_terminal():
    out = io.StringIO()
    bar = Progress("tracks", 6, stream=out, tty=False)
    for _ in range(6):
        bar.advance()
    bar.done()
    assert out.getvalue() == ""  # a step that takes under a second needs no log lines


def test_progress_disabled_by_quiet():
    out = io.StringIO()
    bar = Progress("tracks", 3, stream=out, tty=True, enabled=False)
    bar.advance()
    bar.done()
    assert out.getvalue() == ""
