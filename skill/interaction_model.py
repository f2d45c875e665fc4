"""The skill package: skill.json and one interaction model per locale, generated from the routines.

The model's slot type values come from the routines (slot_values.py), so a new routine file is
speakable after `back-routine skill-package` and a redeploy. Everything generated is checked twice: by loading it into the ask-smapi-model classes
Amazon's own tools use (a round trip, so an unknown or misspelled field shows up), and by a lint of
the rules those classes do not know (slots declared, no duplicate samples, invocation name rules).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .phrases import intent_samples
from .reminders import REMINDERS_SCOPE
from .routines import RoutineLibrary
from .slot_values import (BODY_PART_TYPE, EXERCISE_TYPE, PAIN_FEELING_TYPE, REMINDER_SUBJECT_TYPE, ROUTINE_TYPE,
                          phrase_slot_types, slot_types)

INVOCATION_NAME = "my back routine"
SKILL_NAME = "My Back Routine"
LOCALES = ("en-US", "en-GB", "en-CA", "en-AU", "en-IN")
COUNTRIES = ("US", "GB", "CA", "AU", "IN")
ENDPOINT_PLACEHOLDER = "https://skill.example.com/alexa"
LAMBDA_ARN_PREFIX = "arn:aws:lambda:"


@dataclass(frozen=True)
class IntentSpec:
    name: str
    slots: tuple[tuple[str, str], ...] = ()  # (slot name, slot type)


# Every intent in the model, in order; their samples come from skill/phrases.yaml.
CUSTOM_INTENTS: tuple[IntentSpec, ...] = (
    IntentSpec("StartRoutineIntent", (("routine", ROUTINE_TYPE),)),
    IntentSpec("ReadyIntent"),
    IntentSpec("BreakIntent"),
    IntentSpec("IntroIntent"),
    IntentSpec("SkipExerciseIntent"),
    IntentSpec("GoToExerciseIntent", (("number", "AMAZON.NUMBER"), ("exercise", EXERCISE_TYPE))),
    IntentSpec("WhereAmIIntent"),
    IntentSpec("HowToIntent", (("exercise", EXERCISE_TYPE),)),
    IntentSpec("SlowerIntent"),
    IntentSpec("FasterIntent"),
    IntentSpec("EasierIntent"),
    IntentSpec("HarderIntent"),
    IntentSpec("PlayAudioIntent", (("routine", ROUTINE_TYPE),)),
    IntentSpec("HurtsIntent", (("body_part", BODY_PART_TYPE), ("feeling", PAIN_FEELING_TYPE))),
    # Whatever someone says about how their body feels that no HurtsIntent sample covers ("my {words}",
    # "ouch {words}"): the free text comes to the skill, which looks for pain in it, so a pain
    # phrasing nobody wrote a sample for still reaches the safety advice.
    IntentSpec("SensationIntent", (("words", "AMAZON.SearchQuery"),)),
    # "Forget my progress": asks, and on a yes deletes everything kept about the user (handlers/privacy.py).
    IntentSpec("ForgetProgressIntent"),
    # Reminders (handlers/reminders.py): "remind me every day at 8 am", "... twice a day at 8 and 6",
    # "what reminders do I have", "cancel my reminders". {what} is REMINDER_SUBJECT (phrases.yaml).
    IntentSpec("SetReminderIntent", (("time", "AMAZON.TIME"), ("second_time", "AMAZON.TIME"),
                                     ("what", REMINDER_SUBJECT_TYPE))),
    IntentSpec("ListRemindersIntent"),
    IntentSpec("CancelRemindersIntent"),
    # The pain check-in (handlers/checkin.py): a rating from zero to ten, skipping it, turning it off
    # and on, and "how am I doing".
    IntentSpec("RatingIntent", (("rating", "AMAZON.NUMBER"),)),
    IntentSpec("NoPainIntent"),
    IntentSpec("SkipCheckInIntent"),
    IntentSpec("CheckInOffIntent"),
    IntentSpec("CheckInOnIntent"),
    IntentSpec("HowAmIDoingIntent"),
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


def interaction_model(library: RoutineLibrary, locale: str = "en-US") -> dict[str, Any]:
    """The interaction model document for one locale (the file the ASK CLI deploys)."""
    samples = intent_samples()
    intents: list[dict[str, Any]] = []
    for spec in CUSTOM_INTENTS:
        intent: dict[str, Any] = {"name": spec.name, "samples": samples.get(spec.name, [])}
        if spec.slots:
            intent["slots"] = [{"name": name, "type": type_} for name, type_ in spec.slots]
        intents.append(intent)
    # Built-ins keep Alexa's own phrases and gain ours (exact matches count first on a device).
    intents += [{"name": name, "samples": samples.get(name, [])} for name in BUILTIN_INTENTS]
    # The English locales share one model today; `locale` is the hook for local wording.
    return {"interactionModel": {"languageModel": {
        "invocationName": INVOCATION_NAME,
        "intents": intents,
        "types": slot_types(library) + phrase_slot_types(),
    }}}


def privacy_url_for(endpoint: str) -> str | None:
    """The privacy page served next to an HTTPS endpoint (https://host/alexa -> https://host/privacy,
    skill/webapp.py); None for a Lambda function, which serves no pages."""
    from urllib.parse import urlsplit, urlunsplit

    if endpoint.startswith(LAMBDA_ARN_PREFIX):
        return None
    url = urlsplit(endpoint)
    if url.scheme != "https" or not url.netloc:
        return None
    # The page sits beside the endpoint: https://host/skill/alexa -> https://host/skill/privacy.
    base = url.path.rsplit("/", 1)[0] if url.path.endswith("/alexa") else ""
    return urlunsplit(("https", url.netloc, f"{base}/privacy", "", ""))


def manifest(library: RoutineLibrary, endpoint: str = ENDPOINT_PLACEHOLDER,
             ssl_certificate_type: str = "Trusted", privacy_url: str | None = None) -> dict[str, Any]:
    """skill.json. `privacy_url` (default: the /privacy page next to an HTTPS `endpoint`) is the
    privacy policy linked for every locale; a Lambda endpoint without one gets no link."""
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
    privacy_url = privacy_url or privacy_url_for(endpoint)
    custom_endpoint = ({"uri": endpoint} if endpoint.startswith(LAMBDA_ARN_PREFIX)
                       else {"uri": endpoint, "sslCertificateType": ssl_certificate_type})
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
            "endpoint": custom_endpoint,
            "interfaces": [dict(i) for i in INTERFACES],
        }},
        # Disabling the skill deletes the user's data (handlers/privacy.py); events go to the same endpoint.
        "events": {
            "endpoint": dict(custom_endpoint),
            "subscriptions": [{"eventName": "SKILL_DISABLED"}],
        },
        # Daily reminders to do the routine (handlers/reminders.py); asked for by voice when missing.
        "permissions": [{"name": REMINDERS_SCOPE}],
        "privacyAndCompliance": {
            "allowsPurchases": False,
            # Kept per Alexa user id: place, level and pace, the history of sessions, and pain reports
            # with what was said about them, which is health information (the /privacy page says so).
            "usesPersonalInfo": True,
            "isChildDirected": False,
            "isExportCompliant": True,
            "containsAds": False,
            "usesHealthInfo": True,
            **({"locales": {locale: {"privacyPolicyUrl": privacy_url} for locale in LOCALES}} if privacy_url else {}),
        },
    }}


def write_package(library: RoutineLibrary, out: str | Path, endpoint: str = ENDPOINT_PLACEHOLDER,
                  ssl_certificate_type: str = "Trusted", privacy_url: str | None = None) -> list[Path]:
    """Write skill.json and interactionModels/custom/<locale>.json under `out`; return the paths."""
    out = Path(out)
    models_dir = out / "interactionModels" / "custom"
    models_dir.mkdir(parents=True, exist_ok=True)
    written = [out / "skill.json"]
    _write_json(written[0], manifest(library, endpoint, ssl_certificate_type, privacy_url))
    for locale in LOCALES:
        path = models_dir / f"{locale}.json"
        _write_json(path, interaction_model(library, locale))
        written.append(path)
    return written


def _write_json(path: Path, document: Any) -> None:
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def read_package(out: str | Path) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    out = Path(out)
    package = json.loads((out / "skill.json").read_text(encoding="utf-8"))
    models = {p.stem: json.loads(p.read_text(encoding="utf-8"))
              for p in sorted((out / "interactionModels" / "custom").glob("*.json"))}
    return package, models
