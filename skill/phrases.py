"""Sample utterances from phrase templates (skill/phrases.yaml), and the phrases Alexa's built-in
intents already own.

A template is a line like "[okay] (i'm|i am) ready [now]": `(a|b)` is one of them, `[a|b]` one of
them or nothing, `<name>` a shared piece from the file's `pieces`, `{slot}` a slot. Expanding the
few dozen templates gives the thousands of samples Alexa needs to recognise everyday phrasings,
without a long hand-typed list that drifts.
"""
from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

import yaml

PHRASES_FILE = Path(__file__).with_name("phrases.yaml")

# The "common utterances" Amazon's built-in intent reference lists for each standard built-in
# (docs/architecture.md, "Alexa's matching"). Alexa maps these to the built-in whatever the skill's
# samples say, so a custom intent must never use one of them: "skip" is AMAZON.NextIntent's.
BUILTIN_PHRASES: dict[str, tuple[str, ...]] = {
    "AMAZON.CancelIntent": ("cancel", "never mind", "forget it"),
    "AMAZON.HelpIntent": ("help", "help me", "can you help me"),
    "AMAZON.LoopOffIntent": ("loop off",),
    "AMAZON.LoopOnIntent": ("loop", "loop on", "keep repeating this song"),
    "AMAZON.NavigateHomeIntent": ("home", "go home"),
    "AMAZON.NextIntent": ("next", "skip", "skip forward"),
    "AMAZON.NoIntent": ("no", "no thanks"),
    "AMAZON.PauseIntent": ("pause", "pause that"),
    "AMAZON.PreviousIntent": ("go back", "previous", "skip back", "back up"),
    "AMAZON.RepeatIntent": ("repeat", "say that again", "repeat that"),
    "AMAZON.ResumeIntent": ("resume", "continue", "keep going"),
    "AMAZON.ShuffleOffIntent": ("shuffle off", "stop shuffling", "turn off shuffle"),
    "AMAZON.ShuffleOnIntent": ("shuffle", "shuffle on", "shuffle the music", "shuffle mode"),
    "AMAZON.StartOverIntent": ("start over", "restart", "start again"),
    "AMAZON.StopIntent": ("stop", "off", "shut up"),
    "AMAZON.YesIntent": ("yes", "yes please", "sure"),
}


class TemplateError(ValueError):
    pass


def expand(template: str, pieces: dict[str, str] | None = None) -> list[str]:
    """Every phrase a template stands for, in order, each with single spaces."""
    pieces = pieces or {}
    text = re.sub(r"<(\w+)>", lambda m: _piece(m.group(1), pieces), template)
    alternatives, end = _sequence(text, 0)
    if end != len(text):
        raise TemplateError(f"unbalanced ')' or ']' at {end} in {template!r}")
    seen: dict[str, None] = {}
    for phrase in alternatives:
        seen.setdefault(" ".join(phrase.split()), None)
    return [p for p in seen if p]


def _piece(name: str, pieces: dict[str, str]) -> str:
    if name not in pieces:
        raise TemplateError(f"unknown piece <{name}>")
    return pieces[name]


def _sequence(text: str, i: int) -> tuple[list[str], int]:
    """Parse until ')' ']' '|' or the end; return the phrases the sequence stands for."""
    results = [""]
    while i < len(text) and text[i] not in ")]|":
        if text[i] in "([":
            close = ")" if text[i] == "(" else "]"
            options, i = _alternatives(text, i + 1, close)
            if close == "]":
                options = options + [""]
            results = [r + o for r in results for o in options]
        else:
            j = i
            while j < len(text) and text[j] not in "()[]|":
                j += 1
            results = [r + text[i:j] for r in results]
            i = j
    return results, i


def _alternatives(text: str, i: int, close: str) -> tuple[list[str], int]:
    options: list[str] = []
    while True:
        phrases, i = _sequence(text, i)
        options += phrases
        if i >= len(text):
            raise TemplateError(f"missing {close!r} in {text!r}")
        if text[i] == "|":
            i += 1
            continue
        if text[i] != close:
            raise TemplateError(f"expected {close!r} at {i} in {text!r}")
        return options, i + 1


@functools.lru_cache(maxsize=4)
def _load(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def intent_samples(path: Path = PHRASES_FILE) -> dict[str, list[str]]:
    """Intent name -> its sample utterances, expanded, in template order, without duplicates."""
    document = _load(path)
    pieces = document.get("pieces") or {}
    samples: dict[str, list[str]] = {}
    for intent, templates in (document.get("intents") or {}).items():
        seen: dict[str, None] = {}
        for template in templates or []:
            for phrase in expand(template, pieces):
                seen.setdefault(phrase, None)
        samples[intent] = list(seen)
    return samples


def slot_type_values(path: Path = PHRASES_FILE) -> dict[str, dict[str, list[str]]]:
    """Slot type name -> value id -> what people say for it (the first is the value itself)."""
    types = _load(path).get("slot_types") or {}
    return {name: {str(vid): [str(s) for s in said] for vid, said in values.items()} for name, values in types.items()}
