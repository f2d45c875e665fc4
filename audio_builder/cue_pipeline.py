"""Cues made on two cores at once: the engine says the next cue while the last one is processed,
encoded and stored (docs/architecture.md, "Voice identity and the build's steps").

Synthesis stays in the calling thread, one cue after another, as the engine expects; processing runs
in one worker thread. Both spend their time in native code that lets go of the GIL (onnxruntime or
espeak-ng, numpy's FFTs and ufuncs, LAME, miniaudio), so on two cores a cold build takes about as long
as the synthesis alone. Each cue's bytes depend on its speech alone (cue_encoding.encode_cue is a
pure function of it), so the pieces are the ones a one-at-a-time build makes.
"""
from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Iterable, Iterator

if TYPE_CHECKING:  # pragma: no cover
    from .cue_cache import CueSynthesizer
    from .mp3 import EncodedPiece

# Cues said but not yet processed: enough to keep both cores busy; more would only hold speech in
# memory (a long cue is a few MB as it is processed) when processing is the slower of the two.
MAX_WAITING = 2


# glibc serves an allocation this big or bigger with its own mmap, so freeing it gives the memory back.
# By default the bar starts here but rises to the largest block freed so far (up to 32 MB), after which
# a cue's multi-MB FFT buffers come from the heap, and a heap (one per thread) keeps what it once held:
# building the generated 60-minute routine (scripts/bench_build.py) peaked at 320 MB with the rising
# bar, 296 MB with it kept here.
_MMAP_THRESHOLD = 128 * 1024
_M_MMAP_THRESHOLD = -3  # mallopt's parameter number, from glibc's malloc.h


def _give_back_big_buffers() -> None:
    """Fix glibc's mmap threshold (see _MMAP_THRESHOLD); elsewhere (macOS, musl) nothing to do."""
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD)
    except (OSError, AttributeError):
        pass


class CueSynthesisError(Exception):
    """The engine could not say a cue: the message names the cue and gives the engine's reason."""


def made_pieces(synth: "CueSynthesizer", texts: Iterable[str]) -> Iterator[tuple[str, "EncodedPiece"]]:
    """(text, piece) for each of `texts` (cues not in the cache), in order, each made once and stored.

    Raises CueSynthesisError when the engine fails on a cue. The cues said before it are still
    processed and stored (at most MAX_WAITING of them), so the next build does not say them again."""
    from concurrent.futures import ThreadPoolExecutor

    from .engines.base import EngineError

    _give_back_big_buffers()
    waiting: deque = deque()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="cue-processing") as worker:
        for text in texts:
            try:
                speech = synth.speak(text)
            except EngineError as exc:
                raise CueSynthesisError(f"could not synthesize {text!r}: {exc}") from None
            waiting.append((text, worker.submit(synth.finish, text, speech)))
            while waiting and (len(waiting) > MAX_WAITING or waiting[0][1].done()):
                done, future = waiting.popleft()
                yield done, future.result()
        while waiting:
            done, future = waiting.popleft()
            yield done, future.result()
