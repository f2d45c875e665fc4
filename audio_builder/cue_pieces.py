"""The encoded piece of every cue a build needs: tones made in code, the rest from the cue cache or,
for cues said for the first time, synthesized (each once) and stored there."""
from __future__ import annotations

import time
from typing import Callable

from .cue_cache import CueSynthesizer
from .errors import BuildError
from .mp3 import EncodedPiece, Mp3Format
from .progress import Progress


def cue_pieces(texts: list[str], synth: CueSynthesizer, fmt: Mp3Format, report,
               progress: Callable[[str, int], Progress]) -> dict[str, EncodedPiece]:
    """Text -> piece for `texts`; counts cues cached and synthesized, and the synthesis time, in `report`."""
    from .cue_pipeline import CueSynthesisError
    from .tones import is_tone, tone_piece

    pieces, missing = {}, []
    for text in texts:
        if is_tone(text):
            pieces[text] = tone_piece(text, fmt)  # made in code in a millisecond: not cached
            continue
        piece = synth.cache.get(synth.key(text))
        if piece is None:
            missing.append(text)
        else:
            pieces[text] = piece
    report.cues_cached += sum(1 for text in pieces if not is_tone(text))
    if missing:
        bar = progress("synthesizing cues", len(missing))
        started = time.perf_counter()
        try:
            for text, piece in synth.pieces(missing):  # the next cue is said while this one is encoded
                pieces[text] = piece
                bar.advance()
        except CueSynthesisError as exc:
            raise BuildError(str(exc)) from None
        bar.done()
        report.synthesis_seconds += time.perf_counter() - started
        report.cues_synthesized += len(missing)
    return pieces
