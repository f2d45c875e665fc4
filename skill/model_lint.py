"""Checks of the skill package: Amazon's own model classes, and a lint of the rules they don't know.

`check_package` loads every document into the ask-smapi-model classes Amazon's tools use (a round
trip, so an unknown or misspelled field shows up), then lints what those classes cannot see: slots
declared and used, invocation name rules, and the matching rules that decide what a device hears
(docs/architecture.md, "Alexa's matching"): no sample in two intents, none that a built-in intent
already owns with another meaning, no invocation name inside a sample, no sample made only of slots.
"""
from __future__ import annotations

import json
import re
from typing import Any

from .interaction_model import AUDIO_PLAYER_REQUIRED_INTENTS, LAMBDA_ARN_PREFIX, LOCALES
from .phrases import BUILTIN_PHRASES

SMAPI_INTERACTION_MODEL = "ask_smapi_model.v1.skill.interaction_model.interaction_model_data.InteractionModelData"
SMAPI_MANIFEST = "ask_smapi_model.v1.skill.manifest.skill_manifest_envelope.SkillManifestEnvelope"

_LAUNCH_WORDS = {"launch", "ask", "tell", "load", "begin", "enable", "open", "start", "run", "resume", "use", "play"}
_CONNECTING_WORDS = {"to", "from", "by", "if", "and", "whether", "in", "using", "with", "about", "for", "that"}
_WAKE_WORDS = {"alexa", "amazon", "echo", "computer", "skill", "app"}
_TWO_WORD_FORBIDDEN = {"the", "a", "an", "for", "to", "of", "about", "up", "by", "at", "off", "with"}
_SAMPLE_CHARS = re.compile(r"^(?:[a-z' .-]|\{[A-Za-z][A-Za-z_]*\})+$")
_SLOT_REF = re.compile(r"\{([^{}]*)\}")


def smapi_problems(document: dict[str, Any], model_class: str) -> list[str]:
    """Load `document` into an ask-smapi-model class, as SMAPI would; report fields it does not know
    (lost in the round trip) and values it refuses (e.g. an unknown enum)."""
    from ask_sdk_core.serialize import DefaultSerializer

    serializer = DefaultSerializer()
    try:
        loaded = serializer.deserialize(json.dumps(document), model_class)
    except Exception as exc:  # SerializationException or a model constructor error
        return [f"{model_class.rsplit('.', 1)[-1]}: {exc}"]
    back = serializer.serialize(loaded)
    return [f"{model_class.rsplit('.', 1)[-1]}: {p}" for p in _lost(document, back, "")]


def _lost(original: Any, loaded: Any, path: str) -> list[str]:
    if isinstance(original, dict):
        if not isinstance(loaded, dict):
            return [f"{path or '/'}: not an object after loading"]
        problems = []
        for key, value in original.items():
            if key not in loaded:
                problems.append(f"{path}/{key}: unknown field")
            else:
                problems += _lost(value, loaded[key], f"{path}/{key}")
        return problems
    if isinstance(original, list):
        if not isinstance(loaded, list) or len(loaded) != len(original):
            return [f"{path}: list changed when loaded"]
        return [p for i, (a, b) in enumerate(zip(original, loaded)) for p in _lost(a, b, f"{path}[{i}]")]
    return [] if original == loaded else [f"{path}: {original!r} loaded as {loaded!r}"]


def invocation_name_problems(name: str) -> list[str]:
    """Amazon's rules for custom skill invocation names (those a program can check)."""
    problems = []
    words = name.split()
    if name != name.strip() or "  " in name:
        problems.append("extra spaces")
    if not re.fullmatch(r"[a-z][a-z' .]*", name):
        problems.append("only lowercase letters, spaces, apostrophes and periods are allowed (spell numbers out)")
    if len(words) < 2:
        problems.append("one-word invocation names are allowed only for brand names")
    if not 2 <= len(name) <= 50:
        problems.append("must be 2 to 50 characters long")
    if len(words) == 2 and any(w in _TWO_WORD_FORBIDDEN for w in words):
        problems.append("a two-word name cannot include an article or preposition")
    bad = sorted({w for w in words if w in _LAUNCH_WORDS | _CONNECTING_WORDS | _WAKE_WORDS})
    if bad:
        problems.append(f"must not contain launch phrases, connecting words or wake words: {', '.join(bad)}")
    return [f"invocation name {name!r}: {p}" for p in problems]


def lint_model(document: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    try:
        language = document["interactionModel"]["languageModel"]
    except (KeyError, TypeError):
        return ["no interactionModel.languageModel"]
    problems += invocation_name_problems(language.get("invocationName", ""))
    types = {t["name"]: t for t in language.get("types", [])}
    invocation = language.get("invocationName", "")
    builtin_owner = {phrase: intent for intent, phrases in BUILTIN_PHRASES.items() for phrase in phrases}
    seen_samples: dict[str, str] = {}
    names = [i.get("name") for i in language.get("intents", [])]
    for dup in sorted({n for n in names if names.count(n) > 1}):
        problems.append(f"intent {dup} is declared twice")
    for intent in language.get("intents", []):
        name = intent.get("name", "?")
        declared = {s["name"]: s["type"] for s in intent.get("slots", [])}
        used: set[str] = set()
        for slot_type in declared.values():
            if not slot_type.startswith("AMAZON.") and slot_type not in types:
                problems.append(f"{name}: slot type {slot_type} is not defined")
        for sample in intent.get("samples", []):
            if not _SAMPLE_CHARS.match(sample):
                problems.append(f"{name}: sample {sample!r} has characters Alexa does not accept (lowercase words only)")
            refs = _SLOT_REF.findall(sample)
            for ref in refs:
                if ref not in declared:
                    problems.append(f"{name}: sample {sample!r} uses slot {{{ref}}}, which the intent does not declare")
            used |= set(refs)
            search_slots = {n for n, t in declared.items() if t == "AMAZON.SearchQuery"}
            number_slots = {n for n, t in declared.items() if t == "AMAZON.NUMBER"}
            problems += _matching_problems(name, sample, invocation, builtin_owner, search_slots, number_slots)
            # Two intents with the same words (slot names aside) would compete for one utterance.
            key = _SLOT_REF.sub("{}", " ".join(sample.split()))
            other = seen_samples.get(key)
            if other is not None:
                problems.append(f"{name}: sample {sample!r} duplicates one in {other}")
            else:
                seen_samples[key] = name
        if name.startswith("AMAZON.") and not intent.get("samples") and declared:
            problems.append(f"{name}: built-in intent with slots but no samples")
        for slot in sorted(set(declared) - used):
            if intent.get("samples") or not name.startswith("AMAZON."):
                problems.append(f"{name}: slot {{{slot}}} is declared but no sample uses it")
    for type_name, slot_type in types.items():
        owner: dict[str, str] = {}
        for value in slot_type.get("values", []):
            for said in [value["name"]["value"], *value["name"].get("synonyms", [])]:
                if said in owner and owner[said] != value.get("id"):
                    problems.append(f"type {type_name}: {said!r} names both {owner[said]} and {value.get('id')}")
                owner[said] = value.get("id")
        if not slot_type.get("values"):
            problems.append(f"type {type_name} has no values")
    return problems


def _matching_problems(intent: str, sample: str, invocation: str, builtin_owner: dict[str, str],
                       search_slots: set[str] = frozenset(), number_slots: set[str] = frozenset()) -> list[str]:
    """What would make a device hear this sample differently from what the model says."""
    problems = []
    owner = builtin_owner.get(sample)
    if owner is not None and owner != intent:
        problems.append(f"{intent}: sample {sample!r} is one of {owner}'s own phrases: Alexa gives it to {owner}")
    if invocation and re.search(rf"(?:^| ){re.escape(invocation)}(?: |$)", sample):
        problems.append(f"{intent}: sample {sample!r} contains the invocation name {invocation!r}: "
                        "Alexa would take it as a request to open the skill")
    if search_slots and len(_SLOT_REF.findall(sample)) > 1 and set(_SLOT_REF.findall(sample)) & search_slots:
        problems.append(f"{intent}: sample {sample!r} puts an AMAZON.SearchQuery slot beside another slot, which Alexa refuses")
    # One AMAZON.NUMBER slot alone is the exception: only a number triggers it, which is how people
    # answer "from zero to ten?" ("six"), and every other sample, having words, outranks it.
    number_alone = len(_SLOT_REF.findall(sample)) == 1 and _SLOT_REF.findall(sample)[0] in number_slots
    if not _SLOT_REF.sub(" ", sample).strip() and not number_alone:
        problems.append(f"{intent}: sample {sample!r} is only slots: any value of them would trigger {intent}; "
                        "add the words people say around it")
    return problems


def lint_manifest(document: dict[str, Any], models: dict[str, dict[str, Any]]) -> list[str]:
    problems: list[str] = []
    manifest_ = document.get("manifest", {})
    locales = manifest_.get("publishingInformation", {}).get("locales", {})
    for locale in LOCALES:
        if locale not in locales:
            problems.append(f"publishing information has no {locale}")
        if locale not in models:
            problems.append(f"no interaction model for {locale}")
    endpoint = manifest_.get("apis", {}).get("custom", {}).get("endpoint", {})
    if not str(endpoint.get("uri", "")).startswith(("https://", LAMBDA_ARN_PREFIX)):
        problems.append("the endpoint must be an https:// URL or a Lambda function ARN")
    for locale, info in locales.items():
        model = models.get(locale)
        if model is None:
            continue
        invocation = model["interactionModel"]["languageModel"]["invocationName"]
        samples = {s for i in model["interactionModel"]["languageModel"]["intents"] for s in i.get("samples", [])}
        phrases = info.get("examplePhrases", [])
        if not 1 <= len(phrases) <= 3:
            problems.append(f"{locale}: one to three example phrases")
        for n, phrase in enumerate(phrases):
            plain = re.sub(r"[^a-z' ]", "", phrase.lower())
            if not phrase.startswith("Alexa, ") or invocation not in plain:
                problems.append(f"{locale}: example phrase {phrase!r} must start 'Alexa, ' and name {invocation!r}")
            elif n > 0:
                rest = re.sub(rf"^alexa (?:ask|tell|open) {re.escape(invocation)} (?:to )?", "", plain)
                if rest not in samples:
                    problems.append(f"{locale}: example phrase {phrase!r}: {rest!r} is not a sample utterance")
        for key in ("name", "summary", "description"):
            if not info.get(key):
                problems.append(f"{locale}: publishing information needs a {key}")
    interfaces = {i.get("type") for i in manifest_.get("apis", {}).get("custom", {}).get("interfaces", [])}
    if "AUDIO_PLAYER" in interfaces:  # certification: AudioPlayer skills must take pause and resume
        for locale, model in models.items():
            names = {i.get("name") for i in model["interactionModel"]["languageModel"]["intents"]}
            for required in AUDIO_PLAYER_REQUIRED_INTENTS:
                if required not in names:
                    problems.append(f"{locale}: the AUDIO_PLAYER interface requires {required} in the model")
    return problems


def check_package(package: dict[str, Any], models: dict[str, dict[str, Any]]) -> list[str]:
    """Every problem with a manifest and its models: SMAPI loading plus the lint."""
    problems = smapi_problems(package, SMAPI_MANIFEST) + lint_manifest(package, models)
    for locale, model in models.items():
        problems += [f"{locale}: {p}" for p in smapi_problems(model, SMAPI_INTERACTION_MODEL) + lint_model(model)]
    return problems
