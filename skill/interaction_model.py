"""The skill package: skill.json and one interaction model per locale, generated from the routines.

Routine titles and exercise names (with their synonyms) become the values of the ROUTINE and
EXERCISE slot types, so a new routine file is speakable after `back-routine skill-package` and a
redeploy. Everything generated is checked twice: by loading it into the ask-smapi-model classes
Amazon's own tools use (a round trip, so an unknown or misspelled field shows up), and by a lint of
the rules those classes do not know (slots declared, no duplicate samples, invocation name rules).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from .routines import RoutineLibrary, routine_synonyms

INVOCATION_NAME = "my back routine"
SKILL_NAME = "My Back Routine"
LOCALES = ("en-US", "en-GB", "en-CA", "en-AU", "en-IN")
COUNTRIES = ("US", "GB", "CA", "AU", "IN")
ENDPOINT_PLACEHOLDER = "https://skill.example.com/alexa"
LAMBDA_ARN_PREFIX = "arn:aws:lambda:"

ROUTINE_TYPE = "ROUTINE"
EXERCISE_TYPE = "EXERCISE"


@dataclass(frozen=True)
class IntentSpec:
    name: str
    samples: tuple[str, ...] = ()
    slots: tuple[tuple[str, str], ...] = ()  # (slot name, slot type)


CUSTOM_INTENTS: tuple[IntentSpec, ...] = (
    IntentSpec("StartRoutineIntent", (
        "start", "begin", "start the routine", "begin the routine", "start my routine", "start my back routine",
        "start my exercises", "start the exercises", "let's start", "let's begin", "let's get started",
        "start {routine}", "begin {routine}", "start the {routine} routine", "begin the {routine} routine",
        "i want to do the {routine} routine", "let's do the {routine} routine",
    ), (("routine", ROUTINE_TYPE),)),
    IntentSpec("SkipExerciseIntent", (
        "skip", "skip this", "skip it", "skip this exercise", "skip this one", "skip the exercise",
        "next exercise", "go to the next exercise", "move on to the next exercise", "i want to skip this exercise",
    )),
    IntentSpec("GoToExerciseIntent", (
        "go to exercise {number}", "skip to exercise {number}", "jump to exercise {number}",
        "exercise {number}", "do exercise {number}", "let's do exercise {number}",
        "go to {exercise}", "skip to {exercise}", "jump to {exercise}", "let's do {exercise}",
        "i want to do {exercise}", "take me to {exercise}",
    ), (("number", "AMAZON.NUMBER"), ("exercise", EXERCISE_TYPE))),
    IntentSpec("WhereAmIIntent", (
        "where am i", "where are we", "how much is left", "how much longer", "how long is left",
        "how much more is there", "how far am i", "how many sets are left", "what exercise is this",
        "which exercise is this", "what set is this", "which set is this", "how am i doing",
    )),
    IntentSpec("HowToIntent", (
        "how do i do this", "how do i do this exercise", "how do i do it", "how is this done",
        "explain this exercise", "explain the exercise", "what do i do", "what should i do",
        "give me the instructions", "tell me how to do this", "tell me the instructions again",
        "how do i do {exercise}", "explain {exercise}", "how does {exercise} work", "how do you do {exercise}",
    ), (("exercise", EXERCISE_TYPE),)),
    IntentSpec("SlowerIntent", (
        "slower", "slow down", "go slower", "more slowly", "a bit slower", "a little slower",
        "that's too fast", "too fast", "give me more time", "please slow down",
    )),
    IntentSpec("FasterIntent", (
        "faster", "speed up", "go faster", "a bit faster", "a little faster", "that's too slow",
        "too slow", "quicker", "go quicker",
    )),
    IntentSpec("EasierIntent", (
        "easier", "make it easier", "fewer reps", "less reps", "this is too hard", "too hard",
        "gentler", "make it gentler", "an easier level", "go easier",
    )),
    IntentSpec("HarderIntent", (
        "harder", "make it harder", "more reps", "this is too easy", "too easy", "challenge me",
        "a harder level", "go harder",
    )),
    IntentSpec("PlayAudioIntent", (
        "play the audio version", "play my back routine", "play the audio", "play the audio routine",
        "play the recording", "play the track", "play the full session", "play the whole session",
        "put on the audio version", "i want to listen", "let me listen to it", "listen to the audio version",
        "play the audio version of {routine}", "play {routine}", "play the {routine} routine",
    ), (("routine", ROUTINE_TYPE),)),
    IntentSpec("HurtsIntent", (
        "it hurts", "my back hurts", "that hurts", "this hurts", "ouch", "i'm in pain", "i am in pain",
        "it's painful", "that's painful", "i feel pain", "my back is hurting", "it's hurting",
        "i have pain", "my leg hurts", "i've hurt my back", "this is painful",
    )),
)

BUILTIN_INTENTS: tuple[str, ...] = (
    "AMAZON.NextIntent", "AMAZON.PreviousIntent", "AMAZON.RepeatIntent", "AMAZON.StartOverIntent",
    "AMAZON.PauseIntent", "AMAZON.ResumeIntent", "AMAZON.HelpIntent", "AMAZON.StopIntent",
    "AMAZON.CancelIntent", "AMAZON.FallbackIntent", "AMAZON.NavigateHomeIntent", "AMAZON.YesIntent",
    "AMAZON.NoIntent",
    # AudioPlayer skills get these whenever they were the last to play audio: handle them gracefully.
    "AMAZON.LoopOffIntent", "AMAZON.LoopOnIntent", "AMAZON.ShuffleOffIntent", "AMAZON.ShuffleOnIntent",
)

AUDIO_PLAYER_REQUIRED_INTENTS = ("AMAZON.PauseIntent", "AMAZON.ResumeIntent")

# What people say for the built-in intents. Alexa trains these itself, so they are not in the model;
# the `talk` console uses them to play Alexa's part.
CONSOLE_PHRASES: dict[str, tuple[str, ...]] = {
    "AMAZON.NextIntent": ("next", "continue", "go on", "keep going", "carry on", "ready", "i'm ready",
                          "next one", "next set", "go ahead", "move on", "done"),
    "AMAZON.PreviousIntent": ("previous", "back", "go back", "previous one", "go back one"),
    "AMAZON.RepeatIntent": ("repeat", "again", "say that again", "repeat that", "one more time", "once more", "what"),
    "AMAZON.StartOverIntent": ("start over", "restart", "start again", "begin again", "from the beginning",
                               "start from the beginning"),
    "AMAZON.PauseIntent": ("pause", "hold on", "wait", "wait a moment", "pause please"),
    "AMAZON.ResumeIntent": ("resume", "unpause", "continue where i left off", "pick up where i left off"),
    "AMAZON.HelpIntent": ("help", "what can i say", "help me", "what can i do"),
    "AMAZON.StopIntent": ("stop", "quit", "exit", "end", "that's enough", "finish", "goodbye", "bye"),
    "AMAZON.CancelIntent": ("cancel", "never mind"),
    "AMAZON.NavigateHomeIntent": ("go home", "home"),
    "AMAZON.YesIntent": ("yes", "yeah", "yep", "sure", "okay", "ok", "yes please", "let's go", "please"),
    "AMAZON.NoIntent": ("no", "nope", "no thanks", "not now", "no thank you"),
    "AMAZON.LoopOffIntent": ("loop off", "stop looping", "turn off loop"),
    "AMAZON.LoopOnIntent": ("loop on", "loop", "loop this", "turn on loop"),
    "AMAZON.ShuffleOffIntent": ("shuffle off", "stop shuffling", "turn off shuffle"),
    "AMAZON.ShuffleOnIntent": ("shuffle on", "shuffle", "turn on shuffle"),
}

# Screens the APL document is laid out for (the developer console's viewport profiles): round and
# landscape Echo Show sizes, and TVs. Others still render it, scaled.
APL_VIEWPORTS: tuple[dict[str, Any], ...] = (
    {"mode": "HUB", "shape": "ROUND", "minWidth": 480, "maxWidth": 599, "minHeight": 480, "maxHeight": 599},
    {"mode": "HUB", "shape": "RECTANGLE", "minWidth": 960, "maxWidth": 1279, "minHeight": 480, "maxHeight": 599},
    {"mode": "HUB", "shape": "RECTANGLE", "minWidth": 960, "maxWidth": 1279, "minHeight": 600, "maxHeight": 959},
    {"mode": "HUB", "shape": "RECTANGLE", "minWidth": 1280, "maxWidth": 1920, "minHeight": 600, "maxHeight": 1279},
    {"mode": "TV", "shape": "RECTANGLE", "minWidth": 960, "maxWidth": 960, "minHeight": 540, "maxHeight": 540},
)
INTERFACES: tuple[dict[str, Any], ...] = (
    {"type": "AUDIO_PLAYER"},
    {"type": "ALEXA_PRESENTATION_APL", "supportedViewports": [dict(v) for v in APL_VIEWPORTS]},
)


def all_intent_names() -> set[str]:
    return {i.name for i in CUSTOM_INTENTS} | set(BUILTIN_INTENTS)


# --------------------------------------------------------------------------------------------------
# Generation
# --------------------------------------------------------------------------------------------------


def _spoken(text: str) -> str:
    """A name as a slot value: lowercase words (Alexa matches case-insensitively; lowercase keeps
    duplicates easy to spot)."""
    text = text.lower().replace("&", " and ")
    return " ".join(re.sub(r"[^a-z0-9' .-]+", " ", text).split())


def _value(value_id: str, name: str, synonyms: Iterable[str]) -> dict[str, Any]:
    name = _spoken(name)
    seen = {name}
    unique = []
    for synonym in map(_spoken, synonyms):
        if synonym and synonym not in seen:
            seen.add(synonym)
            unique.append(synonym)
    body: dict[str, Any] = {"value": name}
    if unique:
        body["synonyms"] = unique
    return {"id": value_id, "name": body}


def slot_types(library: RoutineLibrary) -> list[dict[str, Any]]:
    routines, exercises = [], {}
    for rid in library.ids():
        routine = library.get(rid)
        routines.append(_value(rid, routine.title, [rid.replace("-", " "), *routine_synonyms(routine)]))
        for exercise in routine.exercises:
            names = [exercise.id.replace("-", " "), *exercise.synonyms]
            if exercise.id in exercises:  # the same exercise in several routines: one value, all names
                first_name, known = exercises[exercise.id]
                exercises[exercise.id] = (first_name, known + [exercise.name, *names])
            else:
                exercises[exercise.id] = (exercise.name, names)
    exercise_values = [_value(eid, name, synonyms) for eid, (name, synonyms) in exercises.items()]
    # Alexa rejects a slot type without values; keep the model valid with no routines at all.
    return [
        {"name": ROUTINE_TYPE, "values": routines or [_value("none", "routine", [])]},
        {"name": EXERCISE_TYPE, "values": exercise_values or [_value("none", "exercise", [])]},
    ]


def interaction_model(library: RoutineLibrary, locale: str = "en-US") -> dict[str, Any]:
    """The interaction model document for one locale (the file the ASK CLI deploys)."""
    intents: list[dict[str, Any]] = []
    for spec in CUSTOM_INTENTS:
        intent: dict[str, Any] = {"name": spec.name, "samples": list(spec.samples)}
        if spec.slots:
            intent["slots"] = [{"name": name, "type": type_} for name, type_ in spec.slots]
        intents.append(intent)
    intents += [{"name": name, "samples": []} for name in BUILTIN_INTENTS]
    # The English locales share one model today; `locale` is the hook for local wording.
    return {"interactionModel": {"languageModel": {
        "invocationName": INVOCATION_NAME,
        "intents": intents,
        "types": slot_types(library),
    }}}


def manifest(library: RoutineLibrary, endpoint: str = ENDPOINT_PLACEHOLDER,
             ssl_certificate_type: str = "Trusted") -> dict[str, Any]:
    titles = [library.get(rid).title for rid in library.ids()]
    routines = "; ".join(titles) if titles else "gentle back exercises"
    summary = "A calm voice guide through gentle exercises for back pain, at your own pace."
    description = (
        "My Back Routine guides you through a routine of gentle exercises for back pain, one set at a "
        "time. It counts your reps and holds, times your rests, and waits for you to say next. "
        "Say slower or faster to change the pace, easier or harder to change the number of reps, "
        "and where am I to hear how much is left. It remembers where you stopped, so you can pick up "
        f"again later. Routines: {routines}. This skill is not medical advice: if you feel sharp pain, "
        "or pain that spreads down your leg, stop, and talk to a doctor or physiotherapist."
    )
    locale_info = {
        "name": SKILL_NAME,
        "summary": summary,
        "description": description,
        "examplePhrases": [
            f"Alexa, open {INVOCATION_NAME}",
            f"Alexa, ask {INVOCATION_NAME} to start",
            f"Alexa, ask {INVOCATION_NAME} how much is left",
        ],
        "keywords": ["back pain", "exercise", "stretching", "physiotherapy", "workout", "health"],
    }
    return {"manifest": {
        "manifestVersion": "1.0",
        "publishingInformation": {
            "locales": {locale: dict(locale_info) for locale in LOCALES},
            "isAvailableWorldwide": False,
            "distributionCountries": list(COUNTRIES),
            "distributionMode": "PUBLIC",
            "category": "HEALTH_AND_FITNESS",
            "testingInstructions": (
                "Say 'Alexa, open my back routine', then 'start', and 'next' after each part. "
                "Try 'where am I', 'slower', 'easier', 'skip this exercise', 'it hurts' and 'pause'; "
                "open the skill again to be offered to carry on where you stopped. "
                "Audio: say 'Alexa, ask my back routine to play the audio version', then 'Alexa, pause', "
                "'Alexa, resume', 'Alexa, next' and 'Alexa, where am I'. On an Echo Show, tap Next on the screen."),
        },
        "apis": {"custom": {
            # A Lambda function is named by its ARN, and has no certificate to describe.
            "endpoint": ({"uri": endpoint} if endpoint.startswith(LAMBDA_ARN_PREFIX)
                         else {"uri": endpoint, "sslCertificateType": ssl_certificate_type}),
            "interfaces": [dict(i) for i in INTERFACES],
        }},
        "privacyAndCompliance": {
            "allowsPurchases": False,
            "usesPersonalInfo": False,
            "isChildDirected": False,
            "isExportCompliant": True,
            "containsAds": False,
            "usesHealthInfo": False,
        },
    }}


def write_package(library: RoutineLibrary, out: str | Path, endpoint: str = ENDPOINT_PLACEHOLDER,
                  ssl_certificate_type: str = "Trusted") -> list[Path]:
    """Write skill.json and interactionModels/custom/<locale>.json under `out`; return the paths."""
    out = Path(out)
    models_dir = out / "interactionModels" / "custom"
    models_dir.mkdir(parents=True, exist_ok=True)
    written = [out / "skill.json"]
    _write_json(written[0], manifest(library, endpoint, ssl_certificate_type))
    for locale in LOCALES:
        path = models_dir / f"{locale}.json"
        _write_json(path, interaction_model(library, locale))
        written.append(path)
    return written


def _write_json(path: Path, document: Any) -> None:
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


# --------------------------------------------------------------------------------------------------
# Checks
# --------------------------------------------------------------------------------------------------

SMAPI_INTERACTION_MODEL = "ask_smapi_model.v1.skill.interaction_model.interaction_model_data.InteractionModelData"
SMAPI_MANIFEST = "ask_smapi_model.v1.skill.manifest.skill_manifest_envelope.SkillManifestEnvelope"

_LAUNCH_WORDS = {"launch", "ask", "tell", "load", "begin", "enable", "open", "start", "run", "resume", "use", "play"}
_CONNECTING_WORDS = {"to", "from", "by", "if", "and", "whether", "in", "using", "with", "about", "for", "that"}
_WAKE_WORDS = {"alexa", "amazon", "echo", "computer", "skill", "app"}
_TWO_WORD_FORBIDDEN = {"the", "a", "an", "for", "to", "of", "about", "up", "by", "at", "off", "with"}
_SAMPLE_CHARS = re.compile(r"^[a-z' .{}-]+$")
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


def read_package(out: str | Path) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    out = Path(out)
    package = json.loads((out / "skill.json").read_text(encoding="utf-8"))
    models = {p.stem: json.loads(p.read_text(encoding="utf-8"))
              for p in sorted((out / "interactionModels" / "custom").glob("*.json"))}
    return package, models
