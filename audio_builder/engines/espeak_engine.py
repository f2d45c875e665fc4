"""espeak-ng: tiny, robotic, fast and offline. Used as a fallback and by most tests.

The library route loads libespeak-ng from the `espeakng_loader` wheel with
ctypes, so nothing has to be installed on the system. If that fails we run an
`espeak-ng` binary from PATH and read its WAV output.
"""

from __future__ import annotations

import ctypes
import io
import shutil
import subprocess
import threading
import wave
from importlib import metadata
from typing import Any

from .base import EngineError, Speech, check_text_and_rate, resolve_voice

DEFAULT_VOICE = "en-us"
_BASE_WPM = 175  # espeak-ng's own default speaking rate

# espeak-ng API constants (speak_lib.h)
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_ESPEAK_RATE = 1
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_EE_OK = 0

_SYNTH_CB = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)


class _Voice(ctypes.Structure):
    _fields_ = [
        ("name", ctypes.c_char_p),
        # A run of (priority byte, NUL-terminated language) pairs; c_char_p stops at the first NUL.
        ("languages", ctypes.c_char_p),
        ("identifier", ctypes.c_char_p),
        ("gender", ctypes.c_ubyte),
        ("age", ctypes.c_ubyte),
        ("variant", ctypes.c_ubyte),
        ("xx1", ctypes.c_ubyte),
        ("score", ctypes.c_int),
        ("spare", ctypes.c_void_p),
    ]


class _EspeakLibrary:
    """libespeak-ng holds one global synthesizer per process; this wraps it.

    The lock serializes synthesis because the library is not re-entrant and the
    synthesis callback collects into a single buffer.
    """

    def __init__(self) -> None:
        import espeakng_loader

        lib = ctypes.CDLL(espeakng_loader.get_library_path())
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_Initialize.restype = ctypes.c_int
        lib.espeak_SetSynthCallback.argtypes = [_SYNTH_CB]
        lib.espeak_SetSynthCallback.restype = None
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetVoiceByName.restype = ctypes.c_int
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_SetParameter.restype = ctypes.c_int
        lib.espeak_Synth.argtypes = [
            ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int,
            ctypes.c_uint, ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p,
        ]
        lib.espeak_Synth.restype = ctypes.c_int
        lib.espeak_ListVoices.argtypes = [ctypes.c_void_p]
        lib.espeak_ListVoices.restype = ctypes.POINTER(ctypes.POINTER(_Voice))

        # The data path may be the espeak-ng-data dir itself (espeak-ng >= 1.51 accepts it).
        rate = lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, espeakng_loader.get_data_path().encode(), 0)
        if rate <= 0:
            raise OSError(f"espeak_Initialize failed ({rate})")
        self.lib = lib
        self.sample_rate = int(rate)
        self._chunks: list[bytes] = []
        # Keep a reference: ctypes frees the trampoline if the callback object is collected.
        self._callback = _SYNTH_CB(self._on_samples)
        lib.espeak_SetSynthCallback(self._callback)
        self.lock = threading.Lock()
        self.voices = self._list_voices()

    def _on_samples(self, wav: Any, n: int, events: Any) -> int:
        if wav and n > 0:
            self._chunks.append(ctypes.string_at(wav, n * 2))
        return 0  # 0 = keep going

    def _list_voices(self) -> dict[str, str]:
        """Voice id -> espeak identifier.

        espeak_SetVoiceByName matches a voice's file name ("gmw/en" -> "en") or its
        display name, not its language: "en-gb" fails although it is the language of
        "gmw/en". So both the file name and the language are offered as ids, mapped
        to the identifier, which always selects.
        """
        arr = self.lib.espeak_ListVoices(None)
        ids: dict[str, str] = {}
        i = 0
        while arr[i]:
            v = arr[i].contents
            ident = (v.identifier or b"").decode("utf-8", "replace")
            if ident:
                ids.setdefault(ident.rsplit("/", 1)[-1].lower(), ident)
                if v.languages and len(v.languages) > 1:
                    ids.setdefault(v.languages[1:].decode("utf-8", "replace").lower(), ident)
            i += 1
        return dict(sorted(ids.items()))

    def synthesize(self, text: str, voice: str, wpm: int) -> bytes:
        with self.lock:
            ident = self.voices.get(voice.lower(), voice)
            if self.lib.espeak_SetVoiceByName(ident.encode()) != _EE_OK:
                raise EngineError(f"espeak-ng could not select voice {voice!r}.")
            self.lib.espeak_SetParameter(_ESPEAK_RATE, wpm, 0)
            self._chunks = []
            data = text.encode("utf-8") + b"\0"
            rc = self.lib.espeak_Synth(data, len(data), 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None)
            if rc != _EE_OK:
                raise EngineError(f"espeak-ng failed to synthesize (error {rc}).")
            pcm = b"".join(self._chunks)
            self._chunks = []
            return pcm


_LIBRARY: _EspeakLibrary | None = None
_LIBRARY_ERROR: str | None = None
_LIBRARY_LOCK = threading.Lock()


def _library() -> _EspeakLibrary | None:
    """The per-process library instance, or None when it cannot be loaded."""
    global _LIBRARY, _LIBRARY_ERROR
    with _LIBRARY_LOCK:
        if _LIBRARY is None and _LIBRARY_ERROR is None:
            try:
                _LIBRARY = _EspeakLibrary()
            except Exception as exc:  # ImportError, OSError (missing .so), init failure
                _LIBRARY_ERROR = f"{type(exc).__name__}: {exc}"
        return _LIBRARY


# Common voices, listed when only the binary route is available (it has no cheap listing).
_FALLBACK_VOICES = ["en", "en-gb", "en-us", "en-029", "en-gb-scotland", "en-gb-x-rp"]


class EspeakEngine:
    name = "espeak"
    default_voice = DEFAULT_VOICE

    def __init__(self, use_library: bool = True, binary: str = "espeak-ng"):
        self._use_library = use_library
        self._binary = binary
        try:
            lib_version = metadata.version("espeakng-loader")
        except metadata.PackageNotFoundError:
            lib_version = "none"
        self.version = f"espeakng-loader {lib_version}"

    def _lib(self) -> _EspeakLibrary | None:
        return _library() if self._use_library else None

    def voices(self) -> list[str]:
        lib = self._lib()
        return list(lib.voices) if lib is not None else list(_FALLBACK_VOICES)

    def synthesize(self, text: str, voice: str | None = None, rate: float = 1.0) -> Speech:
        import numpy as np

        voice = resolve_voice(self, voice)
        check_text_and_rate(text, rate)
        # espeak-ng accepts 80..450 words per minute.
        wpm = int(min(450, max(80, round(_BASE_WPM * rate))))
        lib = self._lib()
        if lib is not None:
            pcm = lib.synthesize(text, voice, wpm)
            sr = lib.sample_rate
        else:
            pcm, sr = self._synthesize_binary(text, voice, wpm)
        samples = np.frombuffer(pcm, dtype="<i2").astype(np.int16)
        if samples.size == 0:
            raise EngineError(f"espeak-ng produced no audio for {text!r}.")
        return Speech(samples=samples, sample_rate=sr)

    def _synthesize_binary(self, text: str, voice: str, wpm: int) -> tuple[bytes, int]:
        exe = shutil.which(self._binary)
        if exe is None:
            why = f" (library route failed: {_LIBRARY_ERROR})" if _LIBRARY_ERROR else ""
            raise EngineError(
                "espeak-ng is not available: the espeakng-loader library could not be used"
                f"{why} and no '{self._binary}' program is on PATH. "
                "Install espeakng-loader (pip) or espeak-ng (apt), or use --engine piper."
            )
        # Text goes on stdin so that a cue starting with '-' is never read as an option.
        proc = subprocess.run(
            [exe, "--stdout", "-v", voice, "-s", str(wpm)],
            input=text.encode("utf-8"),
            capture_output=True,
            timeout=60,
        )
        if proc.returncode != 0:
            raise EngineError(f"espeak-ng failed: {proc.stderr.decode(errors='replace').strip()}")
        return _read_wav(proc.stdout)


def _read_wav(data: bytes) -> tuple[bytes, int]:
    # espeak-ng --stdout writes 0xFFFFFFFF data sizes (it streams); wave copes
    # but may report too many frames, so read what is actually there.
    try:
        with wave.open(io.BytesIO(data)) as w:
            if w.getsampwidth() != 2:
                raise EngineError("espeak-ng wrote an unexpected WAV sample width.")
            channels, sr = w.getnchannels(), w.getframerate()
            pcm = w.readframes(w.getnframes())
    except (wave.Error, EOFError) as exc:
        raise EngineError(f"espeak-ng wrote unreadable WAV output: {exc}") from exc
    if channels != 1:
        import numpy as np

        x = np.frombuffer(pcm[: len(pcm) // (2 * channels) * 2 * channels], dtype="<i2")
        pcm = x.reshape(-1, channels).mean(axis=1).astype("<i2").tobytes()
    return pcm, sr
