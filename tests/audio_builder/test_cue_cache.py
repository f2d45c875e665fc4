"""Content-addressed cue cache: keys, round trip, damage, concurrent writers, synthesizer."""

from __future__ import annotations

import multiprocessing as mp
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from audio_builder.cue_cache import CueCache, CueSynthesizer, cue_key, default_cache_dir
from audio_builder.engines import Speech, get_engine
from audio_builder.mp3 import LEAD_SAMPLES, EncodedPiece, Mp3Format, decode_mp3, silence_frames

FMT = Mp3Format()
BASE = dict(engine_name="piper", engine_version="piper-tts 1.8.0", voice="en_US-joe-medium",
            rate=1.0, text="Hold for two seconds.", fmt=FMT, processing_version="1")


def _piece(n: int, marker: int = 0) -> EncodedPiece:
    data = bytearray(silence_frames(n))
    data[-1] = marker  # distinguishable payloads
    return EncodedPiece(bytes(data), n_frames=n, lead_samples=LEAD_SAMPLES, audio_samples=100 + marker)


# --- keys ----------------------------------------------------------------------------------

def test_key_is_sha256_hex_and_stable():
    k = cue_key(**BASE)
    assert len(k) == 64 and int(k, 16) >= 0
    assert k == cue_key(**BASE)


def test_key_is_the_same_in_another_process():
    # Guards against anything process-salted (hash()) sneaking into the key.
    code = (
        "from audio_builder.cue_cache import cue_key; from audio_builder.mp3 import Mp3Format; "
        f"print(cue_key('piper', 'piper-tts 1.8.0', 'en_US-joe-medium', 1.0, {BASE['text']!r}, Mp3Format(), '1'))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == cue_key(**BASE)


@pytest.mark.parametrize("field, value", [
    ("engine_name", "espeak"), ("engine_version", "piper-tts 1.8.1"), ("voice", "en_GB-alan-low"),
    ("rate", 0.8), ("text", "Hold for two seconds"), ("text", "hold for two seconds."),
    ("fmt", Mp3Format(24000, 48)), ("fmt", Mp3Format(16000, 64)), ("processing_version", "2"),
])
def test_key_changes_with_each_input(field, value):
    assert cue_key(**{**BASE, field: value}) != cue_key(**BASE)


def test_int_and_float_rate_give_same_key():
    assert cue_key(**{**BASE, "rate": 1}) == cue_key(**BASE)


# --- storage -------------------------------------------------------------------------------

def test_round_trip_and_sharding(tmp_path):
    cache = CueCache(tmp_path)
    key = cue_key(**BASE)
    assert cache.get(key) is None
    piece = _piece(7, marker=3)
    cache.put(key, piece)
    assert cache.path(key) == tmp_path / key[:2] / f"{key}.cue"
    assert cache.path(key).is_file() and key in cache
    assert cache.get(key) == piece
    assert CueCache(tmp_path).get(key) == piece  # a new instance (another build) sees it
    assert not [p for p in tmp_path.rglob("*") if p.name.endswith(".tmp")]


def test_rejects_non_keys(tmp_path):
    with pytest.raises(ValueError):
        CueCache(tmp_path).get("../../etc/passwd")


@pytest.mark.parametrize("damage", ["flip_data_byte", "truncate", "garbage", "empty", "wrong_key_header"])
def test_damaged_entry_is_missing_and_removed(tmp_path, damage):
    cache = CueCache(tmp_path)
    key = cue_key(**BASE)
    cache.put(key, _piece(5))
    path = cache.path(key)
    raw = bytearray(path.read_bytes())
    if damage == "flip_data_byte":
        raw[-100] ^= 0xFF
    elif damage == "truncate":
        raw = raw[: len(raw) - 50]
    elif damage == "garbage":
        raw = bytearray(b"\x00" * 300)
    elif damage == "empty":
        raw = bytearray()
    elif damage == "wrong_key_header":
        other = cue_key(**{**BASE, "text": "x"})
        raw = bytearray(bytes(raw).replace(key.encode(), other.encode(), 1))
    path.write_bytes(bytes(raw))
    assert cache.get(key) is None
    assert not path.exists()


def _writer(root: str, key: str, marker: int, rounds: int) -> None:
    cache = CueCache(Path(root))
    for _ in range(rounds):
        cache.put(key, _piece(20 + marker, marker=marker))


def _reader(root: str, key: str, rounds: int, q) -> None:
    cache = CueCache(Path(root))
    bad = 0
    for _ in range(rounds):
        p = cache.get(key)
        if p is not None and (p.n_frames != 20 + (p.audio_samples - 100) or len(p.data) != p.n_frames * 192):
            bad += 1
    q.put(bad)


def test_concurrent_writers_leave_a_valid_entry(tmp_path):
    key = cue_key(**BASE)
    ctx = mp.get_context("spawn" if sys.platform == "darwin" else "fork")
    q = ctx.Queue()
    procs = [ctx.Process(target=_writer, args=(str(tmp_path), key, m, 150)) for m in range(1, 5)]
    procs.append(ctx.Process(target=_reader, args=(str(tmp_path), key, 400, q)))
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    assert q.get(timeout=5) == 0  # the reader never saw a mixed or partial entry
    piece = CueCache(tmp_path).get(key)
    assert piece is not None
    marker = piece.audio_samples - 100
    assert 1 <= marker <= 4 and piece == _piece(20 + marker, marker=marker)
    assert not [p for p in tmp_path.rglob("*") if p.name.endswith(".tmp")]


def test_default_cache_dir():
    assert "back-routine" in str(default_cache_dir())


# --- synthesizer ---------------------------------------------------------------------------

def test_synthesizer_caches_and_remakes_damaged(tmp_path):
    engine = get_engine("espeak")
    cache = CueCache(tmp_path)
    synth = CueSynthesizer(engine, cache, FMT, voice=None, rate=1.0)
    p1 = synth.piece("Breathe out slowly.")
    p2 = synth.piece("Breathe out slowly.")
    assert (synth.synthesized, synth.cache_hits) == (1, 1) and p1 == p2
    pcm, rate = decode_mp3(p1.data)
    assert rate == 24000 and len(pcm) == p1.duration_samples
    assert np.sqrt(np.mean(pcm.astype(float) ** 2)) > 300

    other = CueSynthesizer(engine, CueCache(tmp_path), FMT, voice="en-us", rate=1.0)
    assert other.piece("Breathe out slowly.") == p1 and other.cache_hits == 1

    path = cache.path(synth.key("Breathe out slowly."))
    path.write_bytes(path.read_bytes()[:-10])
    synth.piece("Breathe out slowly.")
    assert synth.synthesized == 2 and cache.get(synth.key("Breathe out slowly.")) is not None


def test_synthesizer_key_depends_on_voice_and_rate(tmp_path):
    engine = get_engine("espeak")
    a = CueSynthesizer(engine, CueCache(tmp_path), FMT, voice="en-us", rate=1.0)
    b = CueSynthesizer(engine, CueCache(tmp_path), FMT, voice="en-gb", rate=1.0)
    c = CueSynthesizer(engine, CueCache(tmp_path), FMT, voice="en-us", rate=0.8)
    assert len({a.key("Hold."), b.key("Hold."), c.key("Hold.")}) == 3
    assert c.piece("Hold.").audio_samples > a.piece("Hold.").audio_samples


class _CountingEngine:
    name = "fake"
    version = "1"
    default_voice = "v"

    def __init__(self):
        self.calls = 0

    def voices(self):
        return ["v"]

    def synthesize(self, text, voice=None, rate=1.0):
        self.calls += 1
        t = np.arange(12000) / 24000
        return Speech((np.sin(2 * np.pi * 200 * t) * 5000).astype(np.int16), 24000)


def test_synthesizer_without_cache_always_synthesizes():
    engine = _CountingEngine()
    synth = CueSynthesizer(engine, None)
    synth.piece("a")
    synth.piece("a")
    assert engine.calls == 2 and synth.synthesized == 2 and synth.cache_hits == 0
