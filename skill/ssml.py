"""SSML text: Alexa's limits on it, its small pieces (escaped text, breaks), and reading it back.

What Alexa allows in one response (docs/architecture.md, "Platform facts"): a <break> of at most
10 s, under 8000 characters of speech, at most 240 s of audio. Reading SSML back (the seconds of its
breaks, its words, a readable transcript) serves the console, the limit checks and the tests.
"""
from __future__ import annotations

import html
import re

MAX_BREAK_SECONDS = 10.0  # Alexa's limit for one <break>
MAX_SPEECH_CHARS = 8000  # Alexa's limit for outputSpeech
MAX_AUDIO_SECONDS = 240.0  # Alexa's limit for audio in one response


def esc(text: str) -> str:
    """Text made safe for SSML (routine files are free text)."""
    return html.escape(text, quote=False)


def break_tag(seconds: float) -> str:
    ms = int(round(seconds * 1000))
    return f'<break time="{ms // 1000}s"/>' if ms % 1000 == 0 else f'<break time="{ms}ms"/>'


_BREAK = re.compile(r'<break\s+time="(\d+(?:\.\d+)?)(ms|s)"\s*/>')
_TAG = re.compile(r"<[^>]+>")
_BREAKS_RUN = re.compile(r'(?:\s*<break\s+time="[^"]+"\s*/>)+\s*')


def break_seconds(ssml: str) -> list[float]:
    return [float(v) / (1000 if unit == "ms" else 1) for v, unit in _BREAK.findall(ssml)]


def spoken_text(ssml: str) -> str:
    return html.unescape(" ".join(_TAG.sub(" ", ssml).split()))


def audio_seconds(ssml: str, words_per_minute: float = 140.0) -> float:
    """Estimated audio: every break plus the words at `words_per_minute`."""
    words = len(spoken_text(ssml).split())
    return sum(break_seconds(ssml)) + words * 60.0 / words_per_minute


def readable(ssml: str) -> str:
    """SSML as text with the silences marked: 'Hold. [pause 2 s] And lower it.'"""

    def pause(match: re.Match) -> str:
        seconds = sum(break_seconds(match.group(0)))
        shown = f"{seconds:.1f}".rstrip("0").rstrip(".")
        return f" [pause {shown} s] "

    text = _BREAKS_RUN.sub(pause, ssml)
    text = _TAG.sub(" ", text)
    return html.unescape(" ".join(text.split()))
