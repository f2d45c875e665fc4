"""Reading pain in free text: what someone said about their body that no sample covered.

SensationIntent brings the words after a carrier phrase ("my {words}", "ouch {words}"); this finds
whether they speak of pain (skill/phrases.yaml `pain_words`, unless negated: "it doesn't hurt"),
where (BODY_PART's values and synonyms) and how (PAIN_FEELING's), so the safety path gets the same
facts a HurtsIntent with slots would give. Whole words only: "hurt" is not in "shirt".
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from .phrases import PHRASES_FILE, _load, slot_type_values


@dataclass(frozen=True)
class Sensation:
    pain: bool
    body_part: str | None = None  # BODY_PART value id
    feeling: str | None = None  # PAIN_FEELING value id


def _words(text: str) -> str:
    return " " + " ".join(re.sub(r"[^a-z' ]+", " ", text.lower()).split()) + " "


@functools.lru_cache(maxsize=1)
def _vocabulary() -> tuple[tuple[str, ...], tuple[str, ...], tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]:
    document = _load(PHRASES_FILE)
    types = slot_type_values()

    def said_to_id(name: str) -> tuple[tuple[str, str], ...]:
        pairs = [(said, vid) for vid, names in types.get(name, {}).items() for said in names]
        return tuple(sorted(pairs, key=lambda p: -len(p[0])))  # longest first: "lower back" before "back"

    return (tuple(document.get("pain_words") or ()), tuple(document.get("pain_negations") or ()),
            said_to_id("BODY_PART"), said_to_id("PAIN_FEELING"))


def read(text: str | None) -> Sensation:
    """Does `text` speak of pain, and where and how?"""
    if not text:
        return Sensation(False)
    pain_words, negations, body_parts, feelings = _vocabulary()
    said = _words(text)
    for negation in negations:
        said = said.replace(_words(negation), " ")
    said = said.replace(" back of my ", " my ").replace(" back of the ", " the ")  # "the back of my leg": the leg
    feeling = next((vid for name, vid in feelings if _words(name) in said), None)
    body = next((vid for name, vid in body_parts if _words(name) in said), None)
    fine = any(_words(word) in said for word in _FINE)
    # A body part named mid-exercise with nothing good said about it ("oh no, my hamstring") is taken
    # as pain: asking after it costs a sentence, missing it could cost more.
    pain = feeling is not None or any(_words(word) in said for word in pain_words) or (body is not None and not fine)
    return Sensation(pain, body if pain else None, feeling)


_FINE = ("fine", "good", "great", "better", "okay", "ok", "alright", "all right", "comfortable", "easy", "relaxed")
