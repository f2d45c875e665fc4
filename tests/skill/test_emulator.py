"""The skill as a device drives it: Bespoken's virtual-alexa (tests/emulator/drive.js) maps what a
person says through the freshly generated interaction model and posts the requests to a real
`back-routine serve --no-verify` subprocess.

Skips when node or tests/emulator/node_modules is missing (.ci/run installs both). Each test runs one
node process for all its conversations; the server is shared by the module, every conversation
with its own user id.
"""
from __future__ import annotations

import itertools
import json
import shutil
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml

from skill.routines import RoutineLibrary
from skill.speech import readable

from tests.emulator_harness import fresh_model, node_skip_reason, run_driver, served_skill

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "routines" / "back-pain.yaml"
CORPUS = Path(__file__).resolve().parents[1] / "data" / "everyday-speech.yaml"

OPEN = "open my back routine"
# How is your back today, from zero to ten? (the check-in before a run, skill/handlers/checkin.py)
RATED = "about a four"
# "open my back routine", "start", the check-in answered (the introduction), "next" (exercise one's
# setup), "next" (set one of exercise one).
INTO_SET_ONE = [OPEN, "start", RATED, "next", "next"]
# What people say to go on, in turn, until the routine is over.
EVERYDAY = ["next", "i'm ready", "okay", "done", "what's next", "let's go", "ready", "go on", "carry on",
            "next one", "keep going"]
SAFETY = "doctor or physiotherapist"
BREAK = "ready when you are"
FALLBACK = "AMAZON.FallbackIntent"
DRIVER_TIMEOUT = 60

_skip = node_skip_reason()
pytestmark = pytest.mark.skipif(_skip is not None, reason=_skip or "")


@pytest.fixture(scope="module")
def seed_model(tmp_path_factory) -> tuple[Path, Path]:
    """(routines folder holding a copy of the seed routine alone, its interaction model made now)."""
    tmp = tmp_path_factory.mktemp("emulator")
    routines = tmp / "routines"
    routines.mkdir()
    shutil.copy(SEED, routines / SEED.name)
    return routines, fresh_model(routines, tmp)


@pytest.fixture(scope="module")
def emulator(seed_model, tmp_path_factory):
    """(interaction model path, skill URL): the seed routine served from a fresh SQLite file."""
    routines, model = seed_model
    with served_skill(routines, tmp_path_factory.mktemp("server")) as url:
        yield model, url


def _user() -> str:
    return f"amzn1.ask.account.EMULATOR-{uuid.uuid4()}"


def converse(emulator, conversations: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    model, url = emulator
    job = {"mode": "converse", "model": str(model), "skillURL": url, "conversations": conversations}
    results = run_driver(job, timeout=DRIVER_TIMEOUT)
    assert len(results) == len(conversations)
    return [result["steps"] for result in results]


def corpus_group(name: str) -> list[dict[str, Any]]:
    if not CORPUS.is_file():
        pytest.skip(f"{CORPUS.relative_to(ROOT)} is not there yet")
    groups = (yaml.safe_load(CORPUS.read_text(encoding="utf-8")) or {}).get("groups") or {}
    if name not in groups:
        pytest.skip(f"{CORPUS.relative_to(ROOT)} has no group {name!r} yet")
    return list(groups[name].get("items") or [])


def all_corpus_lines() -> list[str]:
    if not CORPUS.is_file():
        pytest.skip(f"{CORPUS.relative_to(ROOT)} is not there yet")
    groups = (yaml.safe_load(CORPUS.read_text(encoding="utf-8")) or {}).get("groups") or {}
    return list(dict.fromkeys(item["say"] for group in groups.values() for item in group.get("items") or []))


def _shown(step: dict[str, Any]) -> str:
    said = f"{step['say']!r} -> {step['intent']}{' (fallback)' if step['fallback'] else ''}"
    if "error" in step:
        return f"{said}: ERROR {step['error']}"
    return f"{said}: {readable(step['ssml'])[:160]!r}"


def _check_setup(steps: list[dict[str, Any]], setup: list[str]) -> None:
    """The steps that bring the user into set one went through as they should."""
    for step in steps[:len(setup)]:
        assert "error" not in step, _shown(step)
        assert not step["fallback"] and not step["ended"], _shown(step)
    assert "set one" in readable(steps[len(setup) - 1]["ssml"]).lower(), _shown(steps[len(setup) - 1])


def _answers(emulator, items: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any] | None]]:
    """Each item said in set one of exercise one, by a new user: (what was said, the reply step)."""
    conversations = [{"userId": _user(), "steps": [*INTO_SET_ONE, item["say"]]} for item in items]
    answers = []
    for item, steps in zip(items, converse(emulator, conversations)):
        _check_setup(steps, INTO_SET_ONE)
        answers.append((item["say"], steps[len(INTO_SET_ONE)] if len(steps) > len(INTO_SET_ONE) else None))
    return answers


def test_seed_routine_start_to_finish_in_everyday_words(emulator):
    """The seed routine from "open my back routine" to its goodbye, going on with everyday phrasings
    in turn; next to it, a user who says only "next", whose replies are the parts in order. Both
    answer the check-in before the run; at the finish ("how is your back now?") going on means
    going without a number, so the last reply is the goodbye for both."""
    exercises = [e.name for e in RoutineLibrary(SEED.parent).get(SEED.stem).exercises]
    assert len(exercises) == 3
    # Bounded: long enough to finish even if only "next" moved on; each stops at the reply that ends it.
    everyday = [OPEN, "start", RATED, *itertools.islice(itertools.cycle(EVERYDAY), 30 * len(EVERYDAY))]
    only_next = [OPEN, "start", RATED, *["next"] * 60]
    steps, reference = converse(emulator, [{"userId": _user(), "steps": everyday, "stopWhenEnded": True},
                                           {"userId": _user(), "steps": only_next, "stopWhenEnded": True}])

    for conversation in (steps, reference):
        errors = [_shown(s) for s in conversation if "error" in s]
        assert not errors, errors
        assert conversation[0]["intent"] == "LaunchRequest" and conversation[1]["intent"] == "StartRoutineIntent"
        assert conversation[-1]["ended"], (f"the session did not end within {len(conversation)} steps; "
                                           f"last: {_shown(conversation[-1])}")
        assert not any(s["ended"] for s in conversation[:-1])
    assert not any(s["fallback"] for s in reference), [_shown(s) for s in reference if s["fallback"]]

    # Every phrasing must be matched to an intent and move on one part, as "next" does.
    parts = [readable(s["ssml"]) for s in reference[3:]]
    problems, done = [], 0
    for number, step in enumerate(steps[3:], start=4):
        if step["fallback"]:
            problems.append(f"step {number}: {step['say']!r} matched no intent (virtual-alexa sent {FALLBACK})")
        elif done < len(parts) and parts[done] in readable(step["ssml"]):
            done += 1
            continue
        else:
            problems.append(f"step {number}: {_shown(step)} did not move on")
    if problems:
        pytest.fail(f"{len(problems)} of {len(steps) - 3} everyday steps went wrong:\n" + "\n".join(problems))
    assert done == len(parts)
    heard = " ".join(readable(s["ssml"]).lower() for s in steps)
    missing = [name for name in exercises if name.lower() not in heard]
    assert not missing, f"never heard: {missing}"


def test_the_check_in_in_everyday_words(emulator):
    """A rating said the way people say it, "how am I doing", and "turn off the check-in", which is
    remembered: the next session starts over without the question."""
    words = [OPEN, "start", "about a six", "how am I doing", "turn off the check-in", "stop",
             OPEN, "start over"]
    [steps] = converse(emulator, [{"userId": _user(), "steps": words}])
    said = [readable(s["ssml"]) for s in steps]
    errors = [_shown(s) for s in steps if "error" in s or s["fallback"]]
    assert not errors, errors
    assert [s["intent"] for s in steps] == ["LaunchRequest", "StartRoutineIntent", "RatingIntent", "HowAmIDoingIntent",
                                            "CheckInOffIntent", "AMAZON.StopIntent", "LaunchRequest",
                                            "AMAZON.StartOverIntent"]
    assert "how is your back today, from zero to ten" in said[1].lower()
    assert said[2].startswith("Thank you. I've noted a six.") and "Welcome." in said[2]
    assert "six out of ten" in said[3]  # the rating just given, in the progress sentence
    assert said[4].startswith("Okay, I won't ask how your back is any more.")
    assert steps[5]["ended"] and not steps[4]["ended"]
    assert "from zero to ten" not in said[7] and said[7].startswith("Okay, from the beginning.")


def test_pain_phrases_in_a_set_get_safety_advice(emulator):
    items = corpus_group("pain")
    assert items, "the corpus's pain group is empty"
    answers = _answers(emulator, items)
    failed = [_shown(step) if step else f"{say!r}: no reply" for say, step in answers
              if step is None or "error" in step or SAFETY not in readable(step["ssml"])]
    if failed:
        pytest.fail(f"{len(answers) - len(failed)}/{len(answers)} pain phrases got safety advice "
                    f"({SAFETY!r}); these did not:\n" + "\n".join(failed))


def test_break_phrases_in_a_set_keep_the_session_and_wait(emulator):
    items = corpus_group("break")
    assert items, "the corpus's break group is empty"
    answers = _answers(emulator, items)
    failed = [_shown(step) + (" [session ended]" if step["ended"] else "") if step else f"{say!r}: no reply"
              for say, step in answers
              if step is None or "error" in step or step["ended"] or BREAK not in readable(step["ssml"]).lower()]
    if failed:
        pytest.fail(f"{len(answers) - len(failed)}/{len(answers)} break phrases kept the session open with "
                    f"{BREAK!r}; these did not:\n" + "\n".join(failed))


def _python_label(heard: Any) -> str:
    if heard.launch:
        return "LaunchRequest"
    return heard.intent or FALLBACK


def _emulator_label(match: dict[str, Any]) -> str:
    intent = match["intent"] or FALLBACK
    # On a device "exit" closes the skill with a SessionEndedRequest; the console plays that as Stop.
    return "AMAZON.StopIntent" if intent == "SessionEndedRequest" else intent


def test_python_matcher_agrees_with_virtual_alexa_on_the_corpus(seed_model):
    """For every line of the corpus, the project's matcher picks the intent virtual-alexa does
    (nothing matched: AMAZON.FallbackIntent on both sides)."""
    matcher_module = pytest.importorskip("skill.utterance_matcher")
    lines = all_corpus_lines()
    _, model = seed_model
    document = json.loads(Path(model).read_text(encoding="utf-8"))
    matcher = matcher_module.UtteranceMatcher(document)
    matches = run_driver({"mode": "match", "model": str(model), "utterances": lines}, timeout=DRIVER_TIMEOUT)
    assert [m["utterance"] for m in matches] == lines
    differ = []
    for line, match in zip(lines, matches):
        ours, theirs = _python_label(matcher.match(line)), _emulator_label(match)
        if ours != theirs:
            differ.append(f"{line!r}: UtteranceMatcher {ours}, virtual-alexa {theirs} {match['slots'] or ''}")
    if differ:
        pytest.fail(f"{len(differ)}/{len(lines)} corpus lines are matched differently:\n" + "\n".join(differ))
