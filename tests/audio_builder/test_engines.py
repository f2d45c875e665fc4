"""TTS engines: piper and espeak for real (offline), gTTS against a local mock of its HTTP API."""

from __future__ import annotations

import base64
import json
import os
import stat
import subprocess
import sys
import textwrap
import urllib.parse

import numpy as np
import pytest
import requests
import responses

from audio_builder.engines import EngineError, Speech, available_engines, get_engine
from audio_builder.engines.base import TTSEngine

SENTENCE = "Lie on your stomach and press up slowly."


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(x.astype(np.float64) ** 2)))


def _check_speech(s: Speech, min_s: float, max_s: float) -> None:
    assert isinstance(s, Speech)
    assert s.samples.dtype == np.int16 and s.samples.ndim == 1
    assert min_s < s.duration_s < max_s, s.duration_s
    assert _rms(s.samples) > 500  # clearly not silence (int16 full scale is 32767)


# --- registry -----------------------------------------------------------------------------

def test_available_engines():
    assert available_engines() == ["piper", "gtts", "espeak"]


def test_unknown_engine_lists_alternatives():
    with pytest.raises(EngineError) as err:
        get_engine("festival")
    msg = str(err.value)
    assert "festival" in msg and "piper" in msg and "gtts" in msg and "espeak" in msg


def test_bad_engine_option_is_engine_error():
    with pytest.raises(EngineError, match="Bad options"):
        get_engine("espeak", accent="scouse")


@pytest.mark.parametrize("name", ["piper", "gtts", "espeak"])
def test_engines_follow_protocol(name):
    engine = get_engine(name)
    assert isinstance(engine, TTSEngine)
    assert engine.name == name
    assert engine.version and engine.version[-1] != " "
    assert engine.default_voice in engine.voices()


@pytest.mark.parametrize("name, good", [("piper", "en_US-joe-medium"), ("espeak", "en-us"), ("gtts", "en-co.uk")])
def test_unknown_voice_lists_voices(name, good):
    engine = get_engine(name)
    with pytest.raises(EngineError) as err:
        engine.synthesize("Hello.", voice="xx-nonexistent")
    assert "xx-nonexistent" in str(err.value) and good in str(err.value)


def test_cli_import_stays_light():
    # An up-to-date rebuild only needs names and versions: no numpy, piper or onnxruntime.
    code = textwrap.dedent("""
        import sys
        from audio_builder.engines import get_engine
        for n in ("piper", "gtts", "espeak"):
            e = get_engine(n); e.version; e.default_voice
        import audio_builder.cue_cache, audio_builder.mp3, audio_builder.id3, audio_builder.loudness
        import audio_builder.cue_processing
        heavy = [m for m in ("numpy", "scipy", "piper", "onnxruntime", "gtts", "lameenc",
                             "miniaudio", "mutagen", "pyloudnorm", "requests") if m in sys.modules]
        print(",".join(heavy))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


# --- piper ---------------------------------------------------------------------------------

def test_piper_synthesizes_and_rate_slows_down():
    engine = get_engine("piper")
    normal = engine.synthesize(SENTENCE)
    slow = engine.synthesize(SENTENCE, rate=0.8)
    assert normal.sample_rate == 22050
    _check_speech(normal, 1.0, 5.0)
    _check_speech(slow, 1.0, 6.0)
    # length_scale 1.25 makes this ~1.13x longer, not 1.25x (phoneme frame counts are
    # rounded up), and durations vary by a few % per run (noise_w): compare means.
    mean_normal = np.mean([normal.duration_s] + [engine.synthesize(SENTENCE).duration_s for _ in range(2)])
    mean_slow = np.mean([slow.duration_s] + [engine.synthesize(SENTENCE, rate=0.8).duration_s for _ in range(2)])
    assert mean_slow > mean_normal * 1.05


def test_piper_loads_voice_once_per_process():
    from audio_builder.engines import piper_engine

    a, b = piper_engine.PiperEngine(), piper_engine.PiperEngine()
    a.synthesize("One.")
    b.synthesize("Two.")
    assert len(piper_engine._VOICE_CACHE) == 1


def test_piper_puts_a_pause_between_sentences():
    # Piper's durations vary run to run (noise_w), so look for the inserted gap itself.
    def longest_zero_run(x: np.ndarray) -> int:
        nonzero = np.flatnonzero(np.concatenate([[1], x, [1]]))
        return int(np.max(np.diff(nonzero))) - 1

    engine = get_engine("piper")
    two = engine.synthesize("Breathe out. Breathe out.")
    one = engine.synthesize("Breathe out.")
    assert longest_zero_run(two.samples) >= int(0.24 * two.sample_rate)
    assert longest_zero_run(one.samples) < int(0.1 * one.sample_rate)


# --- espeak --------------------------------------------------------------------------------

def test_espeak_synthesizes_and_rate_slows_down():
    engine = get_engine("espeak")
    normal = engine.synthesize(SENTENCE)
    slow = engine.synthesize(SENTENCE, rate=0.8)
    _check_speech(normal, 1.0, 5.0)
    _check_speech(slow, 1.0, 6.0)
    assert slow.duration_s > normal.duration_s * 1.15
    assert {"en-us", "en-gb"} <= set(engine.voices())


def test_espeak_other_voice_differs():
    engine = get_engine("espeak")
    us = engine.synthesize("Tomato.", voice="en-us")
    gb = engine.synthesize("Tomato.", voice="en-gb")
    assert len(us.samples) != len(gb.samples) or not np.array_equal(us.samples, gb.samples)


def test_espeak_rejects_empty_text():
    with pytest.raises(EngineError):
        get_engine("espeak").synthesize("   ")


FAKE_ESPEAK = """#!{python}
import sys, wave, math, struct
args = sys.argv[1:]
text = sys.stdin.read()
with open({log!r}, "w") as f:
    f.write(repr((args, text)))
sr = 22050
n = int(sr * 0.5)
with wave.open(sys.stdout.buffer, "wb") as w:
    w.setnchannels(1); w.setsampwidth(2); w.setframerate(sr)
    w.writeframes(b"".join(struct.pack("<h", int(8000 * math.sin(i * 0.1))) for i in range(n)))
"""


def test_espeak_binary_fallback(tmp_path, monkeypatch):
    from audio_builder.engines.espeak_engine import EspeakEngine

    log = tmp_path / "args.txt"
    exe = tmp_path / "espeak-ng"
    exe.write_text(FAKE_ESPEAK.format(python=sys.executable, log=str(log)))
    exe.chmod(exe.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")

    engine = EspeakEngine(use_library=False)
    s = engine.synthesize("-v is not an option here", voice="en-gb", rate=0.8)
    assert s.sample_rate == 22050 and len(s.samples) == 11025
    args, text = eval(log.read_text())
    assert text == "-v is not an option here"
    assert args[args.index("-v") + 1] == "en-gb" and args[args.index("-s") + 1] == "140"


def test_espeak_no_library_no_binary_is_clear_error(tmp_path, monkeypatch):
    from audio_builder.engines.espeak_engine import EspeakEngine

    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(EngineError, match="piper"):
        EspeakEngine(use_library=False, binary="espeak-ng-missing").synthesize("Hello.")


# --- gtts (mocked HTTP) --------------------------------------------------------------------

def _mp3_payload(seconds: float = 0.5, rate: int = 24000) -> bytes:
    import lameenc

    t = np.arange(int(seconds * rate)) / rate
    x = (np.sin(2 * np.pi * 220 * t) * 8000).astype(np.int16)
    enc = lameenc.Encoder()
    enc.set_channels(1)
    enc.set_in_sample_rate(rate)
    enc.set_out_sample_rate(rate)
    enc.set_bit_rate(32)
    enc.silence()
    return bytes(enc.encode(x.tobytes())) + bytes(enc.flush())


def _batchexecute_body(mp3: bytes) -> str:
    # The shape of Google's batchexecute reply that gtts/tts.py parses with
    # r'jQ1olc","\[\\"(.*)\\"]': the RPC id, then a JSON-in-JSON list holding base64 MP3.
    compact = {"separators": (",", ":")}
    inner = json.dumps([base64.b64encode(mp3).decode()], **compact)
    envelope = json.dumps([["wrb.fr", "jQ1olc", inner, None, None, None, "generic"]], **compact)
    return ")]}'\n\n" + str(len(envelope)) + "\n" + envelope + "\n"


def _url(tld: str = "com") -> str:
    return f"https://translate.google.{tld}/_/TranslateWebserverUi/data/batchexecute"


class Sleeps(list):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@responses.activate
def test_gtts_success_decodes_mp3_and_uses_accent_and_speed():
    responses.add(responses.POST, _url("co.uk"), body=_batchexecute_body(_mp3_payload(0.5)))
    engine = get_engine("gtts", sleep=Sleeps())
    s = engine.synthesize("Press up slowly.", voice="en-co.uk", rate=0.8)
    assert s.sample_rate == 24000
    assert 0.5 <= s.duration_s < 0.7  # 0.5 s plus codec delay/padding
    assert _rms(s.samples) > 1000
    body = urllib.parse.unquote(responses.calls[0].request.body)
    assert "Press up slowly." in body and '\\"en\\",true' in body  # slow=True for rate < 0.85


@responses.activate
def test_gtts_normal_speed_request():
    responses.add(responses.POST, _url(), body=_batchexecute_body(_mp3_payload(0.3)))
    get_engine("gtts", sleep=Sleeps()).synthesize("Hold.")
    assert '\\"en\\",null' in urllib.parse.unquote(responses.calls[0].request.body)


@responses.activate
def test_gtts_retries_429_with_backoff():
    responses.add(responses.POST, _url(), status=429, body="Too Many Requests")
    responses.add(responses.POST, _url(), body=_batchexecute_body(_mp3_payload(0.4)))
    sleeps = Sleeps()
    s = get_engine("gtts", sleep=sleeps).synthesize("Relax.")
    assert len(responses.calls) == 2 and sleeps == [1.0]
    assert s.duration_s >= 0.4


@responses.activate
def test_gtts_retries_timeout():
    responses.add(responses.POST, _url(), body=requests.ReadTimeout("read timed out"))
    responses.add(responses.POST, _url(), body=_batchexecute_body(_mp3_payload(0.4)))
    sleeps = Sleeps()
    get_engine("gtts", sleep=sleeps).synthesize("Relax.")
    assert len(responses.calls) == 2 and sleeps == [1.0]


@responses.activate
def test_gtts_gives_up_after_5xx():
    responses.add(responses.POST, _url(), status=500, body="oops")
    sleeps = Sleeps()
    with pytest.raises(EngineError) as err:
        get_engine("gtts", sleep=sleeps).synthesize("Relax.")
    assert len(responses.calls) == 4 and sleeps == [1.0, 2.0, 4.0]
    assert "4 attempts" in str(err.value) and "500" in str(err.value)


@responses.activate
def test_gtts_does_not_retry_403():
    responses.add(responses.POST, _url(), status=403)
    sleeps = Sleeps()
    with pytest.raises(EngineError, match="403"):
        get_engine("gtts", sleep=sleeps).synthesize("Relax.")
    assert len(responses.calls) == 1 and sleeps == []


@responses.activate
def test_gtts_no_network_names_offline_engine():
    responses.add(responses.POST, _url(), body=requests.ConnectionError("Name or service not known"))
    sleeps = Sleeps()
    with pytest.raises(EngineError) as err:
        get_engine("gtts", sleep=sleeps).synthesize("Relax.")
    msg = str(err.value)
    assert "no network" in msg and "--engine piper" in msg
    assert sleeps == []


@responses.activate
def test_gtts_reply_without_audio_is_error_not_silence():
    responses.add(responses.POST, _url(), body=")]}'\n\n[[\"wrb.fr\",\"jQ1olc\",null]]\n")
    with pytest.raises(EngineError):
        get_engine("gtts", sleep=Sleeps()).synthesize("Relax.")


def test_piper_speaks_long_sentences_clause_by_clause():
    from audio_builder.engines.piper_engine import speech_chunks

    text = ("A word on safety. If you feel sharp pain, or pain that spreads down your leg, stop and rest, "
            "and talk to a doctor or physiotherapist. Hold.")
    chunks = speech_chunks(text, max_chars=60)
    assert [c for c, _ in chunks] == ["A word on safety.", "If you feel sharp pain, or pain that spreads down your leg,",
                                      "stop and rest, and talk to a doctor or physiotherapist.", "Hold."]
    assert [end for _, end in chunks] == [True, False, True, True]
    assert all(len(c) <= 60 for c, _ in chunks)
    assert " ".join(c for c, _ in chunks) == text
