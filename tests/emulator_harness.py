"""Test helper: drive the served skill with Bespoken's virtual-alexa, the way a device would.

tests/emulator/drive.js (node, virtual-alexa pinned in tests/emulator/package.json) maps what a
person says through the skill's generated interaction model and posts the requests to a real
`back-routine serve --no-verify` subprocess (virtual-alexa does not sign requests). One node process
handles a whole job (every conversation of a test), so a test pays node's start-up once.

    with served_skill(routines, tmp_path) as url:
        results = run_driver({"mode": "converse", "model": str(fresh_model(routines, tmp_path)),
                              "skillURL": url, "conversations": [...]})

Every wait has a deadline: the driver runs under a subprocess timeout, the server must answer
GET /healthz within `startup_timeout`, and is stopped with SIGTERM, then SIGKILL.
"""
from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

ROOT = Path(__file__).resolve().parent.parent
EMULATOR_DIR = Path(__file__).resolve().parent / "emulator"
DRIVER = EMULATOR_DIR / "drive.js"
MODEL_LOCALE = "en-US"


class DriverError(RuntimeError):
    """drive.js failed, or did not finish in time."""


def node_skip_reason() -> str | None:
    """Why the emulator tests cannot run here, or None when they can."""
    if shutil.which("node") is None:
        return "node is not installed (CI installs Debian's nodejs and npm: see .ci/run)"
    if not (EMULATOR_DIR / "node_modules" / "virtual-alexa").is_dir():
        return "tests/emulator/node_modules is absent: run `npm ci --prefix tests/emulator`"
    return None


def node_available() -> bool:
    return node_skip_reason() is None


def run_driver(job: dict[str, Any], timeout: float = 60) -> Any:
    """Run one job through drive.js and return its JSON result; DriverError on failure or timeout."""
    node = shutil.which("node")
    if node is None:
        raise DriverError("node is not installed")
    try:
        done = subprocess.run([node, str(DRIVER)], input=json.dumps(job), capture_output=True, text=True,
                              timeout=timeout, cwd=EMULATOR_DIR)
    except subprocess.TimeoutExpired as exc:  # subprocess.run has killed node by now
        raise DriverError(f"drive.js did not finish within {timeout} s; stderr: {_text(exc.stderr)[-2000:]}") from None
    if done.returncode != 0:
        raise DriverError(f"drive.js exited {done.returncode}: {done.stderr.strip()[-4000:]}")
    try:
        return json.loads(done.stdout)
    except json.JSONDecodeError as exc:
        raise DriverError(f"drive.js printed no JSON ({exc}): {done.stdout[:500]!r}") from None


def _text(data: str | bytes | None) -> str:
    if isinstance(data, bytes):
        return data.decode("utf-8", "replace")
    return data or ""


def fresh_model(routines_dir: str | os.PathLike[str], tmp: str | os.PathLike[str]) -> Path:
    """Generate the skill package from `routines_dir` into `tmp` now; the path of its en-US model."""
    from skill.interaction_model import write_package
    from skill.routines import RoutineLibrary

    out = Path(tmp) / "skill-package"
    write_package(RoutineLibrary(Path(routines_dir)), out)
    model = out / "interactionModels" / "custom" / f"{MODEL_LOCALE}.json"
    assert model.is_file(), f"write_package wrote no {model}"
    return model


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _healthy(port: int) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        connection.request("GET", "/healthz")
        response = connection.getresponse()
        response.read()
        return response.status == 200
    except OSError:
        return False
    finally:
        connection.close()


@contextmanager
def served_skill(routines_dir: str | os.PathLike[str], tmp: str | os.PathLike[str], *,
                 startup_timeout: float = 30, stop_timeout: float = 10) -> Iterator[str]:
    """`back-routine serve --no-verify` on 127.0.0.1 (a free port), a fresh SQLite file and no
    published audio, in a subprocess; yields the URL of its /alexa and stops it afterwards."""
    tmp = Path(tmp)
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "output").mkdir(exist_ok=True)
    port = free_port()
    log_path = tmp / "serve.log"
    # Nothing from this shell's configuration of the skill (skill id, audio URL, DynamoDB, ...).
    env = {k: v for k, v in os.environ.items() if not k.startswith("BACK_ROUTINE_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    command = [sys.executable, "-m", "back_routine", "serve", "--host", "127.0.0.1", "--port", str(port),
               "--workers", "4", "--db", str(tmp / "emulator.sqlite3"), "--routines", str(Path(routines_dir)),
               "--output", str(tmp / "output"), "--no-verify"]
    with open(log_path, "wb") as log:  # a file, not a pipe: a full pipe would stall the server
        server = subprocess.Popen(command, cwd=tmp, env=env, stdout=log, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + startup_timeout
        while not _healthy(port):
            if server.poll() is not None:
                raise RuntimeError(f"back-routine serve exited {server.returncode}:\n{_tail(log_path)}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"back-routine serve gave no /healthz within {startup_timeout} s:\n{_tail(log_path)}")
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}/alexa"
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=stop_timeout)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=stop_timeout)


def _tail(path: Path, chars: int = 4000) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")[-chars:]
    except OSError:
        return "(no log)"
