"""Defects a fault-injection pass found outside the web player, kept as tests so they stay fixed: cue
cache entries whose header was edited, cache and output folders that are read-only or full, publish
with nothing built or offline, skill-package with an endpoint Alexa cannot call, scripts/plot_track.py
(help, overlapping labels, where the PNG goes) and .ci/run installing the browser.

Read-only and full folders are real where this machine allows a private mount namespace (`unshare`,
as root in CI): a read-only bind mount and a tiny tmpfs. Root ignores permission bits, so chmod would
prove nothing there. Elsewhere those cases skip, and the monkeypatched ones still run."""
from __future__ import annotations

import errno
import hashlib
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from audio_builder.build import Builder, BuildSettings
from audio_builder.cue_cache import CueCache, cue_key
from audio_builder.mp3 import LEAD_SAMPLES, EncodedPiece, Mp3Format, decode_mp3, silence_frames
from audio_builder.publish import NothingToPublish, PublishError, S3Target, built_files, publish
from back_routine.cli import main

ROOT = Path(__file__).resolve().parents[2]
MINI = ROOT / "tests" / "data" / "mini.yaml"
PLOT = ROOT / "scripts" / "plot_track.py"
KEY = cue_key("espeak", "1", "en-us", 1.0, "Hold.", Mp3Format(), "1")
TOLERANCE_S = 0.05



@pytest.fixture(scope="module")
def built(mini_build) -> Path:
    """The output folder of the session's build of tests/data/mini.yaml (tests/conftest.py); only read here."""
    return mini_build.output


def build_args(routines: Path, out: Path, cache: Path, *more: str) -> list[str]:
    return ["build", "mini", "--engine", "espeak", "--quiet", "--routines", str(routines), "--out", str(out),
            "--cache-dir", str(cache), *more]


def assert_clean_exit(result, code: int) -> None:
    """Exited with `code` through sys.exit, not an exception: no traceback for the person running it."""
    assert result.exit_code == code, result.output
    assert isinstance(result.exception, SystemExit) or (code == 0 and result.exception is None), result.exception
    assert "Traceback" not in result.output


# -- cue cache: the checksum covers the header --------------------------------------------------------------

def piece(n: int = 60) -> EncodedPiece:
    return EncodedPiece(silence_frames(n), n_frames=n, lead_samples=LEAD_SAMPLES, audio_samples=n * 576 - 2000)


def edit_header(path: Path, change) -> None:
    """Rewrite the JSON header line of a cache entry in place (any format), leaving every other byte."""
    raw = path.read_bytes()
    start = raw.index(b"\n{") + 1
    end = raw.index(b"\n", start)
    header = json.loads(raw[start:end])
    change(header)
    path.write_bytes(raw[:start] + json.dumps(header, sort_keys=True).encode() + raw[end:])


@pytest.mark.parametrize("field, delta", [("n_frames", -42), ("n_frames", 1), ("lead_samples", 576),
                                          ("audio_samples", -24000), ("frame_samples", 576)])
def test_an_entry_with_an_edited_header_is_missing_and_removed(tmp_path, field, delta):
    cache = CueCache(tmp_path)
    cache.put(KEY, piece())
    assert cache.get(KEY) == piece()
    edit_header(cache.path(KEY), lambda header: header.update({field: header[field] + delta}))
    assert cache.get(KEY) is None
    assert not cache.path(KEY).exists()


def test_an_entry_with_an_edited_checksum_line_is_missing(tmp_path):
    cache = CueCache(tmp_path)
    cache.put(KEY, piece())
    raw = bytearray(cache.path(KEY).read_bytes())
    digit = raw.index(b"\n") + 1  # the first character of the checksum
    raw[digit] = ord("0") if raw[digit] != ord("0") else ord("1")
    cache.path(KEY).write_bytes(bytes(raw))
    assert cache.get(KEY) is None


def test_an_entry_of_the_first_format_is_made_again(tmp_path):
    """Format 1 checked the frames only; its entries are re-made once rather than trusted."""
    cache = CueCache(tmp_path)
    data = piece().data
    header = {"key": KEY, "n_frames": 60, "lead_samples": LEAD_SAMPLES, "audio_samples": 1, "frame_samples": 576,
              "length": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    cache.path(KEY).parent.mkdir(parents=True)
    cache.path(KEY).write_bytes(b"BRCUE1\n" + json.dumps(header, sort_keys=True).encode() + b"\n" + data)
    assert cache.get(KEY) is None


def track_lengths_match_the_manifest(folder: Path) -> None:
    manifest = json.loads((folder / "manifest.json").read_text())
    for level in manifest["levels"].values():
        for track in level["tracks"]:
            samples, rate = decode_mp3(folder / track["file"])
            assert abs(len(samples) / rate - track["duration_ms"] / 1000) <= TOLERANCE_S, track["file"]


def test_a_cache_with_edited_headers_still_builds_tracks_as_long_as_the_manifest_says(tmp_path):
    """The fault: every entry's n_frames lowered by 42 frames (1 s) was trusted, so the tracks came out
    shorter than their manifest said, and later builds called them up to date."""
    cache = tmp_path / "cache"
    first = Builder(tmp_path / "out1", cache, BuildSettings(engine="espeak")).build(MINI)
    entries = sorted(cache.rglob("*.cue"))
    assert len(entries) == first.cues_synthesized > 5
    for entry in entries:
        edit_header(entry, lambda header: header.update(n_frames=max(header["n_frames"] - 42, 1)))
    out = tmp_path / "out2"
    report = Builder(out, cache, BuildSettings(engine="espeak")).build(MINI)
    assert report.cues_synthesized == len(entries) and report.cues_cached == 0  # each one made again
    track_lengths_match_the_manifest(out / "mini")
    again = Builder(out, cache, BuildSettings(engine="espeak")).build(MINI)
    assert again.up_to_date
    track_lengths_match_the_manifest(out / "mini")


# -- cue cache: a folder that cannot be written ---------------------------------------------------------------

@pytest.mark.parametrize("code, words", [
    (errno.EACCES, "cannot write to the cue cache"),
    (errno.EROFS, "cannot write to the cue cache"),
    (errno.ENOSPC, "is full"),
    (errno.EDQUOT, "is full"),
])
def test_an_unwritable_cache_stops_the_build_with_a_message_and_exit_1(routines, tmp_path, monkeypatch, code, words):
    import audio_builder.cue_cache as cue_cache_module

    def refuse(*args, **kwargs):
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(cue_cache_module.tempfile, "mkstemp", refuse)
    cache = tmp_path / "cache"
    result = CliRunner().invoke(main, build_args(routines, tmp_path / "out", cache))
    assert_clean_exit(result, 1)
    assert words in result.output and str(cache) in result.output
    assert "--cache-dir" in result.output and os.strerror(code) in result.output


def test_an_unreadable_cache_entry_stops_the_build_with_a_message(routines, tmp_path, monkeypatch):
    real = Path.read_bytes

    def refuse(self):
        if self.suffix == ".cue":
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", refuse)
    result = CliRunner().invoke(main, build_args(routines, tmp_path / "out", tmp_path / "cache"))
    assert_clean_exit(result, 1)
    assert "cannot read the cue cache" in result.output and "--cache-dir" in result.output


def test_a_cache_path_under_a_file_stops_the_build_with_a_message(routines, tmp_path):
    blocker = tmp_path / "cache"
    blocker.write_text("not a folder")  # (a file as --cache-dir itself is refused by the option's check)
    result = CliRunner().invoke(main, build_args(routines, tmp_path / "out", blocker / "cues"))
    assert_clean_exit(result, 1)
    assert "cue cache" in result.output and "--cache-dir" in result.output


def _can_mount() -> bool:
    if not shutil.which("unshare"):
        return False
    with tempfile.TemporaryDirectory() as folder:
        probe = subprocess.run(["unshare", "--mount", "sh", "-c", f"mount -t tmpfs -o size=4k tmpfs {folder}"],
                               capture_output=True)
        return probe.returncode == 0


needs_mounts = pytest.mark.skipif(not _can_mount(), reason="no private mount namespace here (unshare + mount)")


def build_in_namespace(mounts: str, args: list[str]) -> subprocess.CompletedProcess:
    """`back-routine ARGS` in a private mount namespace after the shell commands `mounts`."""
    command = [sys.executable, "-m", "back_routine", *args]
    script = f"set -e; {mounts}; exec {shlex.join(command)}"
    return subprocess.run(["unshare", "--mount", "sh", "-c", script], capture_output=True, text=True, timeout=240)


def read_only(folder: Path) -> str:
    return f"mount --bind {shlex.quote(str(folder))} {shlex.quote(str(folder))} && " \
           f"mount -o remount,ro,bind {shlex.quote(str(folder))}"


@needs_mounts
def test_a_read_only_cache_folder_for_real(routines, tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    result = build_in_namespace(read_only(cache), build_args(routines, tmp_path / "out", cache))
    assert result.returncode == 1, result.stderr
    assert "cannot write to the cue cache" in result.stderr and "Read-only file system" in result.stderr
    assert "--cache-dir" in result.stderr and "Traceback" not in result.stderr


@needs_mounts
def test_a_full_cache_disk_for_real(routines, tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    tiny = f"mount -t tmpfs -o size=16k tmpfs {shlex.quote(str(cache))}"
    result = build_in_namespace(tiny, build_args(routines, tmp_path / "out", cache))
    assert result.returncode == 1, result.stderr
    assert "is full" in result.stderr and "--cache-dir" in result.stderr and "Traceback" not in result.stderr


@needs_mounts
def test_a_read_only_output_folder_with_work_to_do_is_a_clear_error(routines, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    result = build_in_namespace(read_only(out), build_args(routines, out, tmp_path / "cache"))
    assert result.returncode == 1 and "Read-only file system" in result.stderr and "Traceback" not in result.stderr


@needs_mounts
def test_a_read_only_output_folder_that_is_up_to_date_is_fine(routines, tmp_path):
    out, cache = tmp_path / "out", tmp_path / "cache"
    first = CliRunner().invoke(main, build_args(routines, out, cache))
    assert first.exit_code == 0, first.output
    result = build_in_namespace(read_only(out), build_args(routines, out, cache))
    assert result.returncode == 0, result.stderr
    assert "up to date" in result.stdout


# -- publish ------------------------------------------------------------------------------------------------

@pytest.fixture
def offline(monkeypatch, tmp_path):
    """No AWS credentials anywhere boto3 looks, and no instance metadata call (that would be a network
    request to a link-local address)."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.mark.parametrize("make", ["missing", "empty", "unrelated"])
def test_publish_with_nothing_built_says_what_to_run_and_exits_2(tmp_path, offline, make):
    out = tmp_path / "output"
    if make != "missing":
        out.mkdir()
    if make == "unrelated":
        (out / "notes").mkdir()
    for extra in ([], ["--dry-run"]):
        result = CliRunner().invoke(main, ["publish", "--to", "s3://bucket/tracks", "--out", str(out), *extra])
        assert_clean_exit(result, 2)
        assert "nothing to publish" in result.output and "back-routine build" in result.output
        assert "uploaded" not in result.output and "public base URL" not in result.output


def test_publish_of_a_routine_not_built_exits_2(built, offline):
    result = CliRunner().invoke(main, ["publish", "--to", "s3://bucket/x", "--out", str(built), "--routine", "nope"])
    assert_clean_exit(result, 2)
    assert "no built routine nope" in result.output and "back-routine build nope" in result.output


def test_nothing_to_publish_is_found_before_any_s3_call(tmp_path):
    class NoCalls:
        def __getattr__(self, name):
            raise AssertionError(f"S3 was called ({name}) with nothing to publish")

    with pytest.raises(NothingToPublish):
        publish(tmp_path, S3Target.parse("s3://b/p"), client=NoCalls())


def test_dry_run_offline_lists_every_built_file_and_says_why(built, offline):
    result = CliRunner().invoke(main, ["publish", "--to", "s3://bucket/tracks", "--out", str(built), "--dry-run"])
    assert_clean_exit(result, 0)
    files = built_files(built)
    listed = [line for line in result.output.splitlines() if line.startswith("would upload ") and "MB)" in line]
    assert len(listed) == len(files) > 10
    assert {line.split()[2] for line in listed} == {f.relative for f in files}
    assert "could not compare with s3://bucket/tracks" in result.output and "every built file is listed" in result.output
    assert "no AWS credentials" in result.output
    assert f"would upload {len(files)} file(s)" in result.output


def test_a_real_publish_offline_still_fails(built, offline):
    result = CliRunner().invoke(main, ["publish", "--to", "s3://bucket/tracks", "--out", str(built)])
    assert_clean_exit(result, 1)
    assert "no AWS credentials" in result.output and "public base URL" not in result.output


def test_dry_run_that_can_list_the_bucket_still_compares(built):
    class Listing:
        meta = type("Meta", (), {"region_name": "eu-west-1"})()

        def __init__(self):
            self.files = {f"p/{f.relative}": f for f in built_files(built)}

        def get_paginator(self, name):
            files = self.files

            class Pages:
                def paginate(self, Bucket, Prefix):
                    return [{"Contents": [{"Key": k, "ETag": f'"{f.md5}"', "Size": f.size}
                                          for k, f in files.items() if k.startswith(Prefix)]}]
            return Pages()

    report = publish(built, S3Target.parse("s3://b/p"), client=Listing(), dry_run=True)
    assert report.not_compared is None and report.uploaded == [] and len(report.unchanged) == len(built_files(built))


def test_a_listing_failure_is_only_forgiven_in_a_dry_run(built):
    class Broken:
        meta = None

        def get_paginator(self, name):
            from botocore.exceptions import EndpointConnectionError
            raise EndpointConnectionError(endpoint_url="https://b.s3.amazonaws.com")

    with pytest.raises(PublishError, match="Could not connect"):
        publish(built, S3Target.parse("s3://b/p"), client=Broken())
    report = publish(built, S3Target.parse("s3://b/p"), client=Broken(), dry_run=True)
    assert "Could not connect" in report.not_compared and len(report.uploaded) == len(built_files(built))


# -- skill-package: the endpoint is checked before anything is written ---------------------------------------

@pytest.mark.parametrize("endpoint", [
    "http://alexa.example.org/alexa", "https://", "https:///alexa", "ftp://alexa.example.org/alexa",
    "alexa.example.org/alexa", "https://exa mple.org/alexa", "arn:aws:lambda:us-east-1:1234:function:x",
    "arn:aws:lambda:us-east-1:123456789012:role:x", "arn:aws:s3:::bucket", "",
])
def test_skill_package_refuses_an_endpoint_alexa_cannot_call_before_writing(tmp_path, endpoint):
    out = tmp_path / "pkg"
    result = CliRunner().invoke(main, ["skill-package", "--out", str(out), "--endpoint", endpoint])
    assert result.exit_code == 2, result.output
    assert "https://" in result.output and "Lambda" in result.output and "Nothing was written" in result.output
    assert not out.exists()


def test_skill_package_with_a_bad_endpoint_leaves_a_good_package_alone(tmp_path):
    out = tmp_path / "pkg"
    good = CliRunner().invoke(main, ["skill-package", "--out", str(out), "--endpoint", "https://alexa.example.org/alexa"])
    assert good.exit_code == 0, good.output
    before = {p: p.read_bytes() for p in out.rglob("*.json")}
    bad = CliRunner().invoke(main, ["skill-package", "--out", str(out), "--endpoint", "http://alexa.example.org/alexa"])
    assert bad.exit_code == 2
    assert {p: p.read_bytes() for p in out.rglob("*.json")} == before


@pytest.mark.parametrize("endpoint", ["https://alexa.example.org/alexa", "https://alexa.example.org:8443/alexa",
                                      "arn:aws:lambda:eu-west-1:123456789012:function:back-routine",
                                      "arn:aws:lambda:eu-west-1:123456789012:function:back-routine:live"])
def test_skill_package_takes_https_urls_and_lambda_arns(tmp_path, endpoint):
    result = CliRunner().invoke(main, ["skill-package", "--out", str(tmp_path / "pkg"), "--endpoint", endpoint])
    assert result.exit_code == 0, result.output
    package = json.loads((tmp_path / "pkg" / "skill.json").read_text())
    assert package["manifest"]["apis"]["custom"]["endpoint"]["uri"] == endpoint


# -- scripts/plot_track.py ---------------------------------------------------------------------------------

def run_plot(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"}
    return subprocess.run([sys.executable, str(PLOT), *args], capture_output=True, text=True, cwd=cwd, env=env,
                          timeout=120)


def test_plot_help_is_whole(tmp_path):
    result = run_plot("--help", cwd=tmp_path)
    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    assert "so a build can be checked by eye: voices inside cue marks, flat lines inside holds and rests." in text
    assert "--from 60 --to 100" in text and "current folder" in text
    for option in ("--level", "--track", "--from", "--to", "--png"):
        assert option in text


def test_plot_writes_to_the_current_folder_by_default_and_to_png_when_given(built, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    before = sorted(p.relative_to(built) for p in built.rglob("*"))
    result = run_plot(str(built / "mini"), "--from", "5", "--to", "30", cwd=work)
    assert result.returncode == 0, result.stderr
    assert (work / "mini-short-full-session.png").stat().st_size > 10_000
    assert sorted(p.relative_to(built) for p in built.rglob("*")) == before  # nothing written into the build
    chosen = tmp_path / "chosen.png"
    result = run_plot(str(built / "mini"), "--level", "long", "--track", "02-lift", "--png", str(chosen), cwd=work)
    assert result.returncode == 0, result.stderr
    assert chosen.stat().st_size > 10_000


def test_plot_explains_a_folder_without_a_build(tmp_path):
    result = run_plot(str(tmp_path), cwd=tmp_path)
    assert result.returncode == 2 and "back-routine build" in result.stderr and "Traceback" not in result.stderr


def test_plot_labels_never_overlap():
    import importlib.util

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    spec = importlib.util.spec_from_file_location("plot_track", PLOT)
    plot_track = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(plot_track)

    fig, ax = plt.subplots(figsize=(18, 6), dpi=100)
    ax.set_xlim(0, 40)
    ax.set_ylim(-2, 2)
    # 120 labels, many starting within a fraction of a second of each other, some left of the view
    labels = [(i * 0.35 - 2, f"cue number {i} with some words") for i in range(120)]
    left_out = plot_track.place_labels(ax, labels, -1.1, -0.12, 4, fontsize=7, va="top")
    renderer = fig.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in ax.texts]
    view = ax.get_window_extent(renderer)
    assert len(boxes) + left_out == len(labels) and 0 < left_out < len(labels)
    for i, a in enumerate(boxes):
        assert view.x0 - 1 <= a.x0 and a.x1 <= view.x1 + 1, "a label runs out of the plot"
        for b in boxes[i + 1:]:
            assert not a.overlaps(b), "two labels overlap"
    plt.close(fig)


# -- .ci/run installs the browser the browser test needs -----------------------------------------------------

def test_ci_installs_chromium_and_its_driver_and_keeps_node():
    script = "\n".join(line for line in (ROOT / ".ci" / "run").read_text().splitlines()
                       if not line.lstrip().startswith("#"))
    assert "chromium chromium-driver" in script and "command -v chromedriver" in script
    assert "DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends" in script
    assert script.count("apt-get update") == 1
    assert "nodejs npm" in script and "npm ci --prefix tests/emulator" in script
    assert subprocess.run(["bash", "-n", str(ROOT / ".ci" / "run")]).returncode == 0
