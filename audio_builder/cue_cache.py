"""Content-addressed cache of processed and encoded cues.

An entry is one file `<root>/<key[:2]>/<key>.cue`: a magic line, the sha256 of everything after its
own line, a one-line JSON header (piece fields), then the MP3 frames. The checksum covers the header
as well as the frames: a header edited by hand or by a bad disk (n_frames, lead_samples) would make
tracks of the wrong length that the manifest does not know about, so a mismatch anywhere makes the
entry missing, and it is made again. One file means one os.replace, so a reader sees either a whole
old entry or a whole new one, even with several builds writing the same key at once (and with piper,
two writers of the same key produce different but equally valid audio, so a data file plus a sidecar
could be mixed up; one file cannot).

A cache folder that cannot be written (read-only, full disk, a file in the way) stops the build with
CueCacheError, a BuildError whose message says what is wrong and points at --cache-dir.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Iterator

from .errors import BuildError
from .mp3 import ENCODER_ID, EncodedPiece, Mp3Format
from .voice import DEFAULT_RATE, Voice

if TYPE_CHECKING:  # pragma: no cover
    from .engines.base import Speech, TTSEngine

# 2: the checksum covers the header too. Entries of format 1 fail the magic check and are made again once.
_MAGIC = b"BRCUE2\n"
_DIGEST_LINE = 64 + 1  # sha256 hex and its newline
_KEY_SCHEMA = 1


def cue_key(engine_name: str, engine_version: str, voice: str, rate: float, text: str,
            fmt: Mp3Format, processing_version: str) -> str:
    """sha256 hex over a canonical JSON of everything that changes the encoded cue.

    Never hash(): it is salted per process for str.
    """
    doc = {
        "schema": _KEY_SCHEMA,
        "engine": engine_name,
        "engine_version": engine_version,
        "voice": voice,
        # repr-stable: 0.8 and 0.8000000001 are different requests, 0.8 and 0.80 are not.
        "rate": float(rate),
        "text": text,
        "sample_rate": fmt.sample_rate,
        "bitrate_kbps": fmt.bitrate_kbps,
        "encoder": ENCODER_ID,
        "processing": processing_version,
    }
    canonical = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def voice_cue_key(voice: Voice, text: str, fmt: Mp3Format, processing_version: str) -> str:
    """The key of `text` said by `voice`: the same as cue_key from the voice's fields."""
    return cue_key(voice.engine, voice.engine_version, voice.name, voice.rate, text, fmt, processing_version)


def default_cache_dir() -> Path:
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("back-routine")) / "cues"


def _is_key(key: str) -> bool:
    return len(key) == 64 and all(c in "0123456789abcdef" for c in key)


class CueCacheError(BuildError):
    """The cache folder cannot be read or written. A BuildError because the builder lets those through
    to `back-routine build`, which prints the message and exits 1 (anything else would be a traceback)."""


class CueCache:
    def __init__(self, root: Path | str):
        self.root = Path(root)

    def path(self, key: str) -> Path:
        if not _is_key(key):
            raise ValueError(f"not a cue key: {key!r}")
        return self.root / key[:2] / f"{key}.cue"

    def get(self, key: str) -> EncodedPiece | None:
        """The cached piece, or None. A damaged entry is deleted and reported as missing."""
        path = self.path(key)
        try:
            raw = path.read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            return None  # not cached (or the root is a file: put() says so)
        except OSError as exc:
            raise CueCacheError(_problem("read", self.root, exc)) from None
        piece = _parse_entry(raw, key)
        if piece is None:
            # Could race with a writer that just replaced it with a good entry;
            # the cost is one re-synthesis, never a wrong cue.
            try:
                path.unlink()
            except OSError:
                pass
        return piece

    def put(self, key: str, piece: EncodedPiece) -> None:
        path = self.path(key)
        try:
            _write_atomic(path, _entry(key, piece))
        except OSError as exc:
            raise CueCacheError(_problem("write to", self.root, exc)) from None

    def __contains__(self, key: str) -> bool:
        return self.path(key).exists()


def _entry(key: str, piece: EncodedPiece) -> bytes:
    header = {
        "key": key,
        "n_frames": piece.n_frames,
        "lead_samples": piece.lead_samples,
        "audio_samples": piece.audio_samples,
        "frame_samples": piece.frame_samples,
        "length": len(piece.data),
    }
    body = json.dumps(header, sort_keys=True).encode() + b"\n" + piece.data
    return _MAGIC + hashlib.sha256(body).hexdigest().encode() + b"\n" + body


def _write_atomic(path: Path, blob: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # Temp file in the same directory so os.replace is a same-filesystem atomic rename.
    # No fsync: after a crash a torn entry fails the sha256 check and is simply re-made.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem[:8]}-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(blob)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _problem(action: str, root: Path, exc: OSError) -> str:
    """What went wrong with the cache folder, and what to do about it, for the person running the build."""
    reason = exc.strerror or str(exc)
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return (f"the disk holding the cue cache {root} is full ({reason}). Free some space there, or build "
                f"with --cache-dir DIR to keep the cache on another disk. The tracks already built are intact.")
    return (f"cannot {action} the cue cache {root}: {reason}. Make that folder writable by you, or build with "
            f"--cache-dir DIR to use another folder. The tracks already built are intact.")


def _parse_entry(raw: bytes, key: str) -> EncodedPiece | None:
    if not raw.startswith(_MAGIC):
        return None
    digest, body = raw[len(_MAGIC):len(_MAGIC) + _DIGEST_LINE], raw[len(_MAGIC) + _DIGEST_LINE:]
    if digest != hashlib.sha256(body).hexdigest().encode() + b"\n":
        return None
    nl = body.find(b"\n")
    if nl < 0:
        return None
    try:
        header = json.loads(body[:nl])
        data = body[nl + 1:]
        if header.get("key") != key or header["length"] != len(data):
            return None
        return EncodedPiece(
            data=data,
            n_frames=int(header["n_frames"]),
            lead_samples=int(header["lead_samples"]),
            audio_samples=int(header["audio_samples"]),
            frame_samples=int(header["frame_samples"]),
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


@dataclass
class CueSynthesizer:
    """Text -> encoded cue piece, from the cache or made (synthesize, process, encode, store).

    `voice` is the build's Voice (its identity is in every key, and the engine speaks with exactly
    it); a voice name or None (the engine's default) is resolved into one, with `rate`, once.
    """

    engine: "TTSEngine"
    cache: CueCache | None
    fmt: Mp3Format = field(default_factory=Mp3Format)
    voice: Voice | str | None = None
    rate: float = DEFAULT_RATE
    target_lufs: float = -19.0
    peak_dbtp: float = -1.0
    synthesized: int = 0
    cache_hits: int = 0

    def __post_init__(self) -> None:
        from .cue_processing import PROCESSING_VERSION

        if not isinstance(self.voice, Voice):
            self.voice = Voice.resolve(self.engine, self.voice, self.rate)
        self.rate = self.voice.rate
        self._processing = f"{PROCESSING_VERSION};lufs={self.target_lufs};tp={self.peak_dbtp}"

    def key(self, text: str) -> str:
        return voice_cue_key(self.voice, text, self.fmt, self._processing)

    def piece(self, text: str) -> EncodedPiece:
        key = self.key(text)
        if self.cache is not None:
            cached = self.cache.get(key)
            if cached is not None:
                self.cache_hits += 1
                return cached
        return self.finish(text, self.speak(text))

    def pieces(self, texts: Iterable[str]) -> Iterator[tuple[str, EncodedPiece]]:
        """(text, piece) for cues not in the cache, made two at a time (cue_pipeline.py): the engine says
        the next while the last is processed. CueSynthesisError names a cue the engine failed on."""
        from .cue_pipeline import made_pieces

        return made_pieces(self, texts)

    def speak(self, text: str) -> "Speech":
        """The engine's raw speech of `text`, in the build's voice."""
        return self.engine.synthesize(text, self.voice.name, self.voice.rate)

    def finish(self, text: str, speech: "Speech") -> EncodedPiece:
        """`speech` (of `text`) processed, encoded and stored: the piece."""
        from .cue_encoding import encode_cue

        piece = encode_cue(speech, self.fmt, target_lufs=self.target_lufs, peak_dbtp=self.peak_dbtp)
        self.synthesized += 1
        if self.cache is not None:
            self.cache.put(self.key(text), piece)
        return piece
