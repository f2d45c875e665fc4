"""gTTS: Google Translate's online TTS. Needs internet; returns MP3 that we decode.

A cue that fails is an error, never silence: a guided routine with a missing
instruction is worse than a build that stops and says why.
"""

from __future__ import annotations

import time
from importlib import metadata
from typing import Callable

from .base import EngineError, Speech, check_text_and_rate, resolve_voice

# Accents come from which Google domain serves the request.
ACCENT_TLDS = ["com", "co.uk", "com.au", "co.in", "ca"]

_RETRY_STATUSES = {429}  # plus every 5xx
_NO_NETWORK_HINT = "use --engine piper for offline speech"


def _split_voice(voice: str) -> tuple[str, str]:
    # Top-level domains never contain '-', languages can ("zh-CN"): split on the last one.
    lang, _, tld = voice.rpartition("-")
    return lang, tld


class GTTSEngine:
    name = "gtts"

    def __init__(
        self,
        lang: str = "en",
        tld: str = "com",
        attempts: int = 4,
        base_delay: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
        timeout: float = 20.0,
    ):
        if attempts < 1:
            raise ValueError("attempts must be at least 1")
        self.lang = lang
        self.tld = tld
        self.attempts = attempts
        self.base_delay = base_delay
        self.sleep = sleep
        self.timeout = timeout
        self.default_voice = f"{lang}-{tld}"
        try:
            self.version = f"gTTS {metadata.version('gTTS')}"
        except metadata.PackageNotFoundError:
            self.version = "gTTS unknown"

    def voices(self) -> list[str]:
        tlds = ACCENT_TLDS if self.tld in ACCENT_TLDS else [self.tld, *ACCENT_TLDS]
        return [f"{self.lang}-{t}" for t in tlds]

    def synthesize(self, text: str, voice: str | None = None, rate: float = 1.0) -> Speech:
        voice = resolve_voice(self, voice)
        check_text_and_rate(text, rate)
        lang, tld = _split_voice(voice)
        # gTTS has only two speeds; "slow" is roughly 0.7x.
        mp3 = self._fetch(text, lang, tld, slow=rate < 0.85)
        return _decode(mp3)

    def _fetch(self, text: str, lang: str, tld: str, slow: bool) -> bytes:
        try:
            from gtts import gTTS, gTTSError
        except ImportError as exc:  # pragma: no cover
            raise EngineError("The gtts engine needs the 'gTTS' package (pip install gTTS).") from exc

        last_problem = ""
        for attempt in range(self.attempts):
            if attempt:
                self.sleep(self.base_delay * 2 ** (attempt - 1))
            # lang_check=False: checking the language list would be one more web request.
            tts = gTTS(text, lang=lang, tld=tld, slow=slow, lang_check=False, timeout=self.timeout)
            try:
                data = b"".join(tts.stream())
            except gTTSError as exc:
                rsp = exc.rsp
                if rsp is None and _is_timeout(exc):
                    # Reached the host but it was slow: as transient as a 5xx.
                    last_problem = f"timeout ({exc.__context__})"
                    continue
                if rsp is None:
                    # No HTTP response at all: DNS failure, refused connection, timeout.
                    raise EngineError(
                        f"gTTS could not reach translate.google.{tld}: there is no network "
                        f"connection (or the host is blocked); {_NO_NETWORK_HINT}. ({exc.__context__ or exc})"
                    ) from exc
                status = rsp.status_code
                last_problem = f"HTTP {status} ({exc})"
                if status in _RETRY_STATUSES or status >= 500:
                    continue
                if status < 400:
                    raise EngineError(f"gTTS answered without audio (the API may have changed): {exc}") from exc
                raise EngineError(f"gTTS refused the request: {last_problem}") from exc
            if not data:
                raise EngineError(f"gTTS returned no audio for {text!r}.")
            return data
        raise EngineError(
            f"gTTS failed after {self.attempts} attempts (last: {last_problem}). "
            f"Google may be rate limiting; try again later or {_NO_NETWORK_HINT}."
        )


def _is_timeout(exc: BaseException) -> bool:
    import requests

    # ConnectTimeout is also a ConnectionError: never connecting means no network, not slowness.
    ctx = exc.__context__
    return isinstance(ctx, requests.Timeout) and not isinstance(ctx, requests.ConnectionError)


def _decode(mp3: bytes) -> Speech:
    import numpy as np
    import miniaudio

    try:
        decoded = miniaudio.mp3_read_s16(mp3)
    except miniaudio.DecodeError as exc:
        raise EngineError(f"gTTS returned audio that is not a readable MP3: {exc}") from exc
    x = np.asarray(decoded.samples, dtype=np.int16)
    if decoded.nchannels > 1:
        x = x.reshape(-1, decoded.nchannels).mean(axis=1).round().astype(np.int16)
    if x.size == 0:
        raise EngineError("gTTS returned an empty MP3.")
    return Speech(samples=x, sample_rate=int(decoded.sample_rate))
