"""The paces a track can be assembled at on request (audio_builder/variants.py), and how a pace is
written in an address.

A pace is the routine graph's: the multiplier on hold and move times (`routine_graph.expand(routine,
level, pace)`, the skill's remembered pace, the manifest's `Level.pace`), not a multiplier on the
routine's own. "As written" is the routine's own pace (`defaults.pace`, 1 in the seed), which the
prebuilt tracks have. The grid is 0.75 to 2 in steps of 0.05: every pace on it is prepared by the build
(its count words made ahead, variant_cues.py), so serving one never synthesizes.

Standard library only, and cheap to import: the web player parses every `?pace=` with it.
"""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

__all__ = ["GRID", "GRID_ID", "MAX_PACE", "MIN_PACE", "PRESETS", "STEP", "PaceError", "nearest_pace", "pace_label",
           "parse_pace"]

MIN_PACE, MAX_PACE, STEP = Decimal("0.75"), Decimal("2.0"), Decimal("0.05")
GRID: tuple[float, ...] = tuple(float(MIN_PACE + STEP * k) for k in range(int((MAX_PACE - MIN_PACE) / STEP) + 1))
# Recorded in the manifest's settings by the build that made the grid's count words (build.py): a build
# from before variants (or with another grid) is told apart, and asked to be run again.
GRID_ID = f"{MIN_PACE}-{MAX_PACE}/{STEP}"
# Named paces the player offers besides "as written" (the routine's own): a physiotherapist's "slower".
PRESETS: tuple[tuple[str, float], ...] = (("Slower", 1.25), ("Much slower", 1.5))

_NUMBER = re.compile(r"[0-9]+(\.[0-9]+)?")
_MAX_CHARS = 12  # "1.2500000000" at most: longer is a typing slip, and a 5000-digit number is no pace


class PaceError(ValueError):
    """A pace that is not one a variant can be made at; the message says which ones are."""


def pace_label(pace: float) -> str:
    """A pace as addresses and file names write it: 1.25, 1.5, 2, 0.75 (never 1.2500000001)."""
    return f"{round(pace, 3):g}"


def parse_pace(text: str, own: float | None = None) -> float:
    """The pace `text` asks for: a number on the grid (0.75 to 2 in steps of 0.05; "1.50" is 1.5), or
    the routine's `own` pace; PaceError otherwise, saying what to write instead."""
    text = (text or "").strip()
    choose = (f"choose {pace_label(float(MIN_PACE))} to {pace_label(float(MAX_PACE))} in steps of {STEP}"
              + (f", or {pace_label(own)} for the routine as written" if own is not None else ""))
    shown = text if len(text) <= 20 else text[:20] + "…"
    if not _NUMBER.fullmatch(text):
        raise PaceError(f"Pace “{shown}” is not a number: {choose}")
    if len(text) > _MAX_CHARS:
        raise PaceError(f"Pace “{shown}” has too many digits: {choose}")
    try:
        value = Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
        raise PaceError(f"Pace “{text}” is not a number: {choose}") from None
    if own is not None and abs(float(value) - own) < 1e-9:
        return float(own)
    if not MIN_PACE <= value <= MAX_PACE:
        raise PaceError(f"Pace {text} is out of range: {choose}")
    if value % STEP:
        raise PaceError(f"Pace {text} is between two steps: {choose} (the nearest is {pace_label(nearest_pace(float(value)))})")
    return float(value)


def nearest_pace(pace: float) -> float:
    """The grid's pace nearest to `pace` (the slower of two equally near): for a pace from elsewhere,
    such as the skill's ladder (1.56 -> 1.55, 0.64 -> 0.75)."""
    return min(GRID, key=lambda p: (abs(p - pace), -p))
