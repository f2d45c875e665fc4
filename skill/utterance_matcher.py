"""What a device would hear: a line of text matched to an intent through an interaction model.

The rule is the strictest one Alexa is known to keep (docs/architecture.md, "Alexa's matching"): a
line triggers an intent when it equals one of the intent's sample utterances, or one of the phrases
Amazon documents for a built-in intent, with each slot filled by one of its slot type's values or
synonyms (a number for AMAZON.NUMBER, a time of day for AMAZON.TIME, sent as Alexa resolves it, any
words for AMAZON.SearchQuery, which Alexa fills with whatever follows its carrier phrase). Nothing
else: no fuzzy matching, no dropped filler words.
Alexa's own model generalises beyond its samples, so a phrase this matcher accepts is one a device
understands, and a test that passes here passes there. When two samples match, the one with more
literal text wins, and on a tie the one with more typed slots (slots of a type with listed values,
or AMAZON.NUMBER, rather than free text): Bespoken's virtual-alexa ranks matches this way, and
tests/skill/test_emulator.py checks that the two agree. Anything else is AMAZON.FallbackIntent, as on a
device.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from routine_graph.words import number_words

from .phrases import BUILTIN_PHRASES
from .spoken_time import alexa_time_value

CONSOLE_SKILL_ID = "amzn1.ask.skill.console"
FALLBACK = "AMAZON.FallbackIntent"
SEARCH_QUERY = "AMAZON.SearchQuery"
TIME = "AMAZON.TIME"
_SLOT_REF = re.compile(r"\{([^{}]*)\}")
# What Alexa's speech recogniser never writes (and virtual-alexa strips): punctuation but apostrophes.
_PUNCTUATION = re.compile(r"[!\"¿?|#$%/()=+\-_<>*{}·¡\[\].,;:]")
_NUMBER_WORDS = {number_words(n): n for n in range(0, 21)}
_LAUNCH_VERBS = ("open", "launch", "start", "begin", "load", "talk to", "use")
_ASK_WORDS = ("ask", "tell")
_CONNECTORS = r"(?:to |for |about |if |whether )?"


def normalize_utterance(text: str) -> str:
    """A typed line as Alexa's recogniser would write it: lowercase words, no punctuation."""
    text = _PUNCTUATION.sub(" ", text.lower())
    text = re.sub(r"^alexa\s+", "", " ".join(text.split()))
    return text


@dataclass(frozen=True)
class Heard:
    """What Alexa would make of a line: a launch, or an intent with slots (slot name -> slot JSON)."""

    launch: bool = False
    intent: str | None = None
    slots: dict[str, dict[str, Any]] = field(default_factory=dict)
    new_session: bool = False  # "ask my back routine to ..." opens a session with the intent
    sample: str | None = None  # the sample or built-in phrase that matched

    @property
    def understood(self) -> bool:
        return self.launch or self.intent != FALLBACK


@dataclass(frozen=True)
class _Sample:
    intent: str
    text: str
    pattern: re.Pattern
    slot_types: dict[str, str]
    literal: int  # characters outside slots, as virtual-alexa counts them: the more, the more specific
    typed: int  # slots whose values are listed (not free text): more wins a tie


def _free_text(slot_type: str) -> bool:
    # Scoring only: virtual-alexa has no AMAZON.TIME type, so it ranks a time like free text (what a
    # time slot accepts is still only a time, in _slot).
    return slot_type in (SEARCH_QUERY, TIME)


def _literal(sample: str, slot_types: dict[str, str]) -> int:
    """virtual-alexa's score of a sample: the matched line's length less its slot values. A free-text
    value keeps the spaces beside it (its pattern is the sample with those spaces dropped around
    `(.*)`), so those spaces do not count as literal text; a listed value is trimmed, so they do."""
    score = len(_SLOT_REF.sub("", sample))
    for m in _SLOT_REF.finditer(sample):
        if _free_text(slot_types.get(m.group(1), "")):
            score -= (m.start() > 0 and sample[m.start() - 1] == " ") + (sample[m.end():m.end() + 1] == " ")
    return score


def _typed(sample: str, slot_types: dict[str, str]) -> int:
    return sum(not _free_text(slot_types.get(name, "")) for name in _SLOT_REF.findall(sample))


class UtteranceMatcher:
    """Matches lines to intents with an interaction model document, by the exact-match rule."""

    def __init__(self, model: dict[str, Any]):
        language = model["interactionModel"]["languageModel"]
        self.invocation = language["invocationName"]
        self._types = {t["name"]: t for t in language.get("types", [])}
        self._exact: dict[str, str] = {}
        self._patterns: list[_Sample] = []
        intents = {i["name"]: i for i in language["intents"]}
        for intent in language["intents"]:
            slot_types = {s["name"]: s["type"] for s in intent.get("slots", [])}
            for sample in intent.get("samples", []):
                if _SLOT_REF.search(sample):
                    self._patterns.append(_Sample(intent["name"], sample, _compile(sample), slot_types,
                                                  _literal(sample, slot_types), _typed(sample, slot_types)))
                else:
                    self._exact.setdefault(sample, intent["name"])
        for intent, phrases in BUILTIN_PHRASES.items():
            if intent in intents:  # Alexa sends a built-in only to skills whose model has it
                for phrase in phrases:
                    self._exact.setdefault(phrase, intent)
        self._patterns.sort(key=lambda s: (-s.literal, -s.typed))  # stable: full ties keep model order

    def samples(self) -> dict[str, str]:
        """Every exact phrase -> its intent (the samples without slots, and built-in phrases)."""
        return dict(self._exact)

    def match(self, line: str) -> Heard:
        text = normalize_utterance(line)
        invocation = re.escape(self.invocation)
        if re.fullmatch(rf"(?:(?:{'|'.join(_LAUNCH_VERBS)}) )?{invocation}", text):
            return Heard(launch=True)
        m = re.fullmatch(rf"(?:{'|'.join(_ASK_WORDS)}) {invocation} {_CONNECTORS}(.+)", text)
        if m:
            heard = self._intent(m.group(1))
            return Heard(False, heard.intent, heard.slots, new_session=True, sample=heard.sample)
        return self._intent(text)

    def _intent(self, text: str) -> Heard:
        if text in self._exact:
            return Heard(intent=self._exact[text], sample=text)
        for sample in self._patterns:
            m = sample.pattern.fullmatch(text)
            if not m:
                continue
            slots = {}
            for name, value in m.groupdict().items():
                slot = self._slot(name, sample.slot_types[name], value)
                if slot is None:  # a value the slot type does not have: this sample does not match
                    break
                slots[name] = slot
            else:
                slots.update({name: {"name": name, "confirmationStatus": "NONE"}
                              for name in sample.slot_types if name not in slots})
                return Heard(intent=sample.intent, slots=slots, sample=sample.text)
        return Heard(intent=FALLBACK)

    def _slot(self, name: str, slot_type: str, value: str) -> dict[str, Any] | None:
        slot: dict[str, Any] = {"name": name, "confirmationStatus": "NONE", "source": "USER"}
        if slot_type == SEARCH_QUERY:  # free text after a carrier phrase: whatever was said
            slot["value"] = value
            return slot
        if slot_type == TIME:  # Alexa resolves the words itself and sends "HH:MM" (skill/spoken_time.py)
            resolved = alexa_time_value(value)
            if resolved is None:
                return None
            slot["value"] = resolved
            return slot
        if slot_type == "AMAZON.NUMBER":
            number = int(value) if value.isdigit() else _NUMBER_WORDS.get(value)
            if number is None:
                return None
            slot["value"] = str(number)  # Alexa sends numbers as digits
            return slot
        type_ = self._types.get(slot_type)
        if type_ is None:
            return None
        for entry in type_.get("values", []):
            if value in (entry["name"]["value"], *entry["name"].get("synonyms", [])):
                authority = f"amzn1.er-authority.echo-sdk.{CONSOLE_SKILL_ID}.{slot_type}"
                slot["value"] = value
                slot["resolutions"] = {"resolutionsPerAuthority": [{
                    "authority": authority, "status": {"code": "ER_SUCCESS_MATCH"},
                    "values": [{"value": {"name": entry["name"]["value"], "id": entry["id"]}}]}]}
                return slot
        return None


def _compile(sample: str) -> re.Pattern:
    parts = []
    for piece in re.split(r"(\{[^{}]*\})", sample):
        if piece.startswith("{"):
            parts.append(f"(?P<{piece[1:-1]}>.+?)")
        else:
            parts.append(re.escape(piece))
    return re.compile("".join(parts))
