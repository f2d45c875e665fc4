"""Issue 13, item 4 (faster cold builds): cues made two at a time give the bytes one at a time gives;
levelling measures a cue once and tries gains on that, within a hair of measuring each try; capped cues
are not encoded again for nothing. Real espeak speech, real LAME and miniaudio; the timings are in
scripts/bench_build.py, not here."""
from __future__ import annotations

import numpy as np
import pytest

from audio_builder.cue_cache import CueCache, CueSynthesizer
from audio_builder.cue_pipeline import MAX_WAITING, CueSynthesisError
from audio_builder.engines.registry import get_engine
from audio_builder.mp3 import Mp3Format

TEXTS = ["Hold.", "Breathe out, and let your shoulders drop.", "Rep two.", "Slowly come back to the start.",
         "Well done."]


@pytest.fixture(scope="module")
def espeak():
    return get_engine("espeak")


class Replay:
    """espeak, each text said once and its speech given again on every later request. espeak-ng's own
    output varies by a few samples from call to call, so only the same speech can show that the
    processing, in a worker thread or not, is a function of the speech alone."""

    def __init__(self, engine):
        self.engine, self.said = engine, {}
        self.name, self.version, self.default_voice = engine.name, engine.version, engine.default_voice

    def voices(self):
        return self.engine.voices()

    def synthesize(self, text, voice=None, rate=1.0):
        if text not in self.said:
            self.said[text] = self.engine.synthesize(text, voice, rate)
        return self.said[text]


def test_pieces_made_two_at_a_time_are_the_pieces_made_one_at_a_time(espeak):
    engine = Replay(espeak)
    one = CueSynthesizer(engine, None, Mp3Format())
    serial = [one.piece(text) for text in TEXTS]
    two = CueSynthesizer(engine, None, Mp3Format())
    made = list(two.pieces(TEXTS))
    assert [text for text, _ in made] == TEXTS  # in order, each once
    assert [piece for _, piece in made] == serial  # every field, the frames included
    assert two.synthesized == len(TEXTS)


def test_every_cue_made_is_stored_and_a_failing_cue_is_named(espeak, tmp_path):
    cache = CueCache(tmp_path / "cache")
    synth = CueSynthesizer(espeak, cache, Mp3Format())
    texts = ["Hold.", "Breathe out.", "   ", "Relax."]
    made = []
    with pytest.raises(CueSynthesisError, match=r"could not synthesize '   ': Cannot synthesize an empty cue text"):
        for text, _piece in synth.pieces(texts):
            made.append(text)
    # The two cues said before the failing one were finished and stored even if not yet handed back.
    assert len(texts[:2]) <= MAX_WAITING
    assert cache.get(synth.key("Hold.")) is not None and cache.get(synth.key("Breathe out.")) is not None
    assert cache.get(synth.key("Relax.")) is None
    assert made == texts[:len(made)]


def test_a_cold_build_stores_the_pieces_one_at_a_time_makes(espeak, tmp_path, routines):
    """A whole build, cues made two at a time: every cue in its cache is byte for byte what encoding
    the same speech alone gives, and a second cold build of the same speech writes identical tracks."""
    from audio_builder.build import Builder, BuildSettings
    from audio_builder.cue_encoding import encode_cue

    engine = Replay(espeak)
    tracks = []
    for run in ("a", "b"):
        builder = Builder(tmp_path / run / "out", tmp_path / run / "cache", BuildSettings(engine="espeak"),
                          engine=engine)
        builder.build(routines / "mini.yaml", ["short"])
        folder = tmp_path / run / "out" / "mini"
        tracks.append({str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*.mp3")})
    assert len(engine.said) > 10 and len(tracks[0]) >= 2 and tracks[0] == tracks[1]
    cache = CueCache(tmp_path / "a" / "cache")
    synth = CueSynthesizer(engine, cache, Mp3Format(), voice=builder.voice())
    for text, speech in engine.said.items():
        assert cache.get(synth.key(text)) == encode_cue(speech, Mp3Format()), text


def test_a_failing_cue_stops_the_build_with_its_name(tmp_path, routines):
    """The builder turns the pipeline's error into a BuildError that names the cue: here Piper with a
    voice model file that is not there."""
    from audio_builder.build import Builder, BuildError, BuildSettings
    from audio_builder.engines.piper_engine import PiperEngine

    engine = PiperEngine(model_path=tmp_path / "en_US-gone-medium.onnx")
    builder = Builder(tmp_path / "out", tmp_path / "cache", BuildSettings(), engine=engine)
    with pytest.raises(BuildError, match=r"could not synthesize '.+': Piper voice model not found"):
        builder.build(routines / "mini.yaml", ["short"])


def test_levelling_tries_gains_on_one_measurement(espeak):
    """PreparedCue.heard_lufs: exact for a plain gain, and within 0.01 LU of measuring the limited cue
    itself for the limiter's gain curve."""
    from audio_builder.cue_processing import CONTEXT_S, limiter_gain, prepare_cue
    from audio_builder.loudness import integrated_lufs

    cue = prepare_cue(espeak.synthesize("Sit your hips back, and breathe out slowly."), 24000)
    context = np.zeros(int(CONTEXT_S * 24000))

    def measured(y):
        return integrated_lufs(np.concatenate([context, y, context]), 24000)

    assert cue.heard_lufs() == measured(cue.samples)
    assert abs(cue.heard_lufs(2.0) - measured(cue.samples * 2.0)) < 1e-9
    gain = 10 ** ((-19.0 - cue.heard_lufs()) / 20) * 2.0  # 6 dB hotter than -19: the limiter works hard
    curve = limiter_gain(cue.envelope * gain, 24000, 10 ** (-1.1 / 20))
    assert curve.min() < 0.7  # it really limits
    assert abs(cue.heard_lufs(gain * curve) - measured(cue.samples * gain * curve)) < 0.01


def test_a_cue_the_limiter_caps_is_not_encoded_again_for_nothing(monkeypatch):
    """Clicks far over quiet speech: the limiter may take off at most MAX_LIMIT_DB, so the cue stays under
    -19 LUFS whatever the aim; encode_cue stops once it sees that, keeping the peak limit."""
    import audio_builder.mp3 as mp3
    from audio_builder.cue_encoding import ENCODE_ROUNDS, encode_cue
    from audio_builder.engines.base import Speech
    from audio_builder.loudness import true_peak_dbtp

    rate = 24000
    rng = np.random.default_rng(3)
    t = np.arange(int(1.5 * rate)) / rate
    x = 0.02 * (0.2 + 0.8 * np.abs(np.sin(2 * np.pi * 3 * t))) * (np.sin(2 * np.pi * 180 * t)
                                                                  + 0.3 * rng.standard_normal(t.size))
    x[::3000] = 0.95
    encodes = []
    real = mp3.encode_piece
    monkeypatch.setattr(mp3, "encode_piece", lambda samples, fmt: encodes.append(1) or real(samples, fmt))
    piece = encode_cue(Speech(np.round(x * 32767).astype(np.int16), rate), Mp3Format())
    decoded, _ = mp3.decode_mp3(piece.data)
    assert true_peak_dbtp(decoded) <= -1.0
    assert 1 <= len(encodes) < ENCODE_ROUNDS


def test_dsp_shortcuts_agree_with_the_plain_definitions():
    """moving_min against a sliding window, true_peak against the per-sample oversampled maximum (also
    across the chunks long tracks are measured in), K-weighting cached per size and read-only."""
    from audio_builder import dsp

    rng = np.random.default_rng(0)
    for n, width in [(1, 3), (7, 9), (240, 241), (241, 241), (242, 241), (12345, 241)]:
        x = rng.standard_normal(n)
        half = width // 2
        padded = np.concatenate([np.full(half, x[0]), x, np.full(half, x[-1])])
        expected = np.lib.stride_tricks.sliding_window_view(padded, width).min(axis=1)
        assert np.array_equal(dsp.moving_min(x, width), expected)
    for n in (5, 4000, 700_001):
        x = rng.standard_normal(n) * 0.1
        assert dsp.true_peak(x) == float(dsp.oversampled_abs_max(x).max())
    response = dsp._k_weighting(24000, 4096)
    assert response is dsp._k_weighting(24000, 4096) and not response.flags.writeable
