"""The skill package: generated from the routines, loads into ask-smapi-model, passes the lint, and
matches the handlers; plus the `talk` console's matching and the commands."""
from __future__ import annotations

import copy
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from back_routine.cli import main
from skill.console import Console, run
from skill.builder import build_skill
from skill.handlers import INTENT_HANDLERS, REQUEST_HANDLERS, handled_intents, request_handlers
from skill.handlers.base import Deps
from skill.interaction_model import (BUILTIN_INTENTS, LOCALES, all_intent_names, interaction_model, manifest,
                                     read_package, write_package)
from skill.model_lint import (SMAPI_INTERACTION_MODEL, SMAPI_MANIFEST, check_package, invocation_name_problems,
                              lint_model, smapi_problems)
from skill.phrases import BUILTIN_PHRASES, TemplateError, expand
from skill.utterance_matcher import UtteranceMatcher, normalize_utterance
from skill.persistence import SQLitePersistenceAdapter
from skill.routines import RoutineLibrary

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def library() -> RoutineLibrary:
    return RoutineLibrary(ROOT / "routines")


@pytest.fixture(scope="module")
def model(library) -> dict:
    return interaction_model(library, "en-US")


def model_intents(model: dict) -> set[str]:
    return {i["name"] for i in model["interactionModel"]["languageModel"]["intents"]}


def test_every_intent_in_the_model_has_a_handler_and_every_handler_is_in_the_model(model):
    assert model_intents(model) == handled_intents()
    assert model_intents(model) == all_intent_names()
    handlers = request_handlers(Deps(library=RoutineLibrary(ROOT / "routines")))
    assert {h.intent_name for h in handlers if hasattr(h, "intent_name")} == model_intents(model)
    assert {cls.request_type for cls in REQUEST_HANDLERS} == {"LaunchRequest", "SessionEndedRequest", "System.ExceptionEncountered"}
    assert len({cls.intent_name for cls in INTENT_HANDLERS}) == len(INTENT_HANDLERS)  # one class per intent
    for required in ("AMAZON.CancelIntent", "AMAZON.HelpIntent", "AMAZON.StopIntent", "AMAZON.NavigateHomeIntent",
                     "AMAZON.FallbackIntent"):
        assert required in model_intents(model)


def test_slot_values_come_from_the_routines(model, library):
    types = {t["name"]: t for t in model["interactionModel"]["languageModel"]["types"]}
    routines = {v["id"]: v["name"] for v in types["ROUTINE"]["values"]}
    assert routines["back-pain"]["value"] == "three exercises for back pain"
    assert "back pain" in routines["back-pain"]["synonyms"]
    exercises = {v["id"]: v["name"] for v in types["EXERCISE"]["values"]}
    assert set(exercises) == {"lean-and-bend", "hip-lift", "good-morning"}
    assert "lifting hips in quadruped position" in exercises["hip-lift"]["synonyms"]


def test_generated_package_loads_into_smapi_models_and_passes_the_lint(library, tmp_path):
    write_package(library, tmp_path / "pkg")
    package, models = read_package(tmp_path / "pkg")
    assert sorted(models) == sorted(LOCALES)
    assert check_package(package, models) == []
    assert package["manifest"]["apis"]["custom"]["endpoint"]["sslCertificateType"] == "Trusted"
    assert set(package["manifest"]["publishingInformation"]["locales"]) == set(LOCALES)
    for model in models.values():
        assert model["interactionModel"]["languageModel"]["invocationName"] == "my back routine"


def test_committed_skill_package_is_up_to_date(library, tmp_path):
    write_package(library, tmp_path / "pkg")
    for generated in sorted((tmp_path / "pkg").rglob("*.json")):
        committed = ROOT / "skill-package" / generated.relative_to(tmp_path / "pkg")
        assert committed.is_file(), f"run back-routine skill-package: {committed} is missing"
        assert json.loads(committed.read_text()) == json.loads(generated.read_text()), \
            f"run back-routine skill-package: {committed} is out of date"


def test_smapi_loading_reports_unknown_fields_and_bad_values(library, model):
    broken = copy.deepcopy(model)
    broken["interactionModel"]["languageModel"]["intents"][0]["sampels"] = ["typo"]
    assert any("sampels: unknown field" in p for p in smapi_problems(broken, SMAPI_INTERACTION_MODEL))
    bad_manifest = manifest(library, ssl_certificate_type="Cheap")
    assert any("SSLCertificateType" in p for p in smapi_problems(bad_manifest, SMAPI_MANIFEST))


def test_the_lint_finds_what_amazon_would_refuse(model):
    broken = copy.deepcopy(model)
    language = broken["interactionModel"]["languageModel"]
    language["invocationName"] = "alexa skill"
    intents = {i["name"]: i for i in language["intents"]}
    intents["SlowerIntent"]["samples"].append("slow down to {speed}")
    intents["FasterIntent"]["samples"].append("slow down")
    intents["WhereAmIIntent"]["samples"].append("Where am I 2?")
    intents["HowToIntent"]["samples"] = ["how do i do this"]
    problems = "\n".join(lint_model(broken))
    assert "wake words: alexa, skill" in problems
    assert "uses slot {speed}, which the intent does not declare" in problems
    assert "'slow down' duplicates one in SlowerIntent" in problems
    assert "characters Alexa does not accept" in problems
    assert "slot {exercise} is declared but no sample uses it" in problems
    assert invocation_name_problems("my back routine") == []
    for bad in ("routine", "the routine", "ask my back", "back routine 2", "My Back Routine", "open back routine"):
        assert invocation_name_problems(bad), bad


def test_generation_with_no_routines_still_gives_a_valid_model(tmp_path):
    empty = RoutineLibrary(tmp_path)
    model = interaction_model(empty)
    assert lint_model(model) == [] and smapi_problems(model, SMAPI_INTERACTION_MODEL) == []


# -- the talk console -------------------------------------------------------------------------------


@pytest.mark.parametrize("line, intent, slots", [
    ("next", "AMAZON.NextIntent", {}),
    ("Alexa, keep going!", "AMAZON.ResumeIntent", {}),  # one of Amazon's own phrases for Resume
    ("I'm ready", "ReadyIntent", {}),
    ("okay I'm in position", "ReadyIntent", {}),
    ("give me a minute", "BreakIntent", {}),
    ("my leg is tingling", "HurtsIntent", {"body_part": "leg", "feeling": "tingling"}),
    ("skip", "AMAZON.NextIntent", {}),
    ("where am I?", "WhereAmIIntent", {}),
    ("how much longer", "WhereAmIIntent", {}),
    ("go to exercise 2", "GoToExerciseIntent", {"number": "2"}),
    ("go to exercise three", "GoToExerciseIntent", {"number": "3"}),
    ("jump to the good morning", "GoToExerciseIntent", {"exercise": "good-morning"}),
    ("how do I do hip lifts", "HowToIntent", {"exercise": "hip-lift"}),
    ("start back pain", "StartRoutineIntent", {"routine": "back-pain"}),
    ("begin the yoga routine", "AMAZON.FallbackIntent", {}),  # not a routine: no sample matches
    ("my back hurts", "HurtsIntent", {}),
    ("slow down please", "SlowerIntent", {}),
    ("make it easier", "EasierIntent", {}),
    ("skip this exercise", "SkipExerciseIntent", {}),
    ("start over", "AMAZON.StartOverIntent", {}),
    ("yes", "AMAZON.YesIntent", {}),
    ("sing me a song", "AMAZON.FallbackIntent", {}),
])
def test_console_matches_phrases_to_intents_and_slots(model, line, intent, slots):
    heard = UtteranceMatcher(model).match(line)
    assert heard.intent == intent
    for name, expected in slots.items():
        slot = heard.slots[name]
        if name == "number":
            assert slot["value"] == expected
        else:
            authority = slot["resolutions"]["resolutionsPerAuthority"][0]
            if expected is None:
                assert authority["status"]["code"] == "ER_SUCCESS_NO_MATCH"
            else:
                assert authority["values"][0]["value"]["id"] == expected


def test_console_launch_and_one_shot_phrases(model):
    matcher = UtteranceMatcher(model)
    assert matcher.match("open my back routine").launch
    assert matcher.match("Alexa, start my back routine").launch
    heard = matcher.match("ask my back routine how much is left")
    assert heard.intent == "WhereAmIIntent" and heard.new_session
    assert normalize_utterance("Alexa,  Where am I?!") == "where am i"
    # Amazon's own phrases count only for built-ins the model declares, as on a device.
    assert set(BUILTIN_PHRASES) >= set(BUILTIN_INTENTS) - {"AMAZON.FallbackIntent"}
    assert matcher.match("settings").intent == "AMAZON.FallbackIntent"


@pytest.mark.parametrize("line", [
    "ready please now",  # extra words around a sample
    "nxt",  # a typo
    "please next",  # a filler word the model has not got in that place
    "i am in possition",
])
def test_console_is_never_more_forgiving_than_the_model(model, line):
    heard = UtteranceMatcher(model).match(line)
    assert heard.intent == "AMAZON.FallbackIntent"


def test_console_says_when_a_device_would_not_understand(library, tmp_path):
    adapter = SQLitePersistenceAdapter(tmp_path / "talk.sqlite3")
    out = io.StringIO()
    console = Console(build_skill(library, adapter), UtteranceMatcher(interaction_model(library)), out)
    run(console, io.StringIO("start\nnxt\nquit\n"), out)
    text = out.getvalue()
    assert "(AMAZON.FallbackIntent)" in text
    assert "a device would not understand it either; the closest sample is 'next')" in text
    adapter.close()


def test_templates_expand_alternatives_options_and_pieces():
    assert expand("[okay] (i'm|i am) ready [now]") == [
        "okay i'm ready now", "okay i'm ready", "okay i am ready now", "okay i am ready",
        "i'm ready now", "i'm ready", "i am ready now", "i am ready"]
    assert expand("<f> next", {"f": "[so]"}) == ["so next", "next"]
    assert expand("(a|(b|c) d)") == ["a", "b d", "c d"]
    for bad in ("(a|b", "a]", "<nope> x"):
        with pytest.raises(TemplateError):
            expand(bad)


def test_the_lint_refuses_what_a_device_would_hear_differently(model):
    broken = copy.deepcopy(model)
    intents = {i["name"]: i for i in broken["interactionModel"]["languageModel"]["intents"]}
    intents["SkipExerciseIntent"]["samples"].append("skip")  # AMAZON.NextIntent's own phrase
    intents["ReadyIntent"]["samples"].append("i'm ready to start my back routine")
    intents["HowToIntent"]["samples"].append("{exercise}")
    intents["BreakIntent"]["samples"].append("i'm ready")  # ReadyIntent has it
    problems = "\n".join(lint_model(broken))
    assert "'skip' is one of AMAZON.NextIntent's own phrases" in problems
    assert "contains the invocation name 'my back routine'" in problems
    assert "'{exercise}' is only slots" in problems
    assert "BreakIntent: sample \"i'm ready\" duplicates one in ReadyIntent" in problems


def test_console_runs_a_conversation_through_the_skill(library, tmp_path):
    adapter = SQLitePersistenceAdapter(tmp_path / "talk.sqlite3")
    out = io.StringIO()
    console = Console(build_skill(library, adapter), UtteranceMatcher(interaction_model(library)), out)
    run(console, io.StringIO("start\nabout a four\nnext\nwhere am i\npause\nask my back routine to resume\nquit\n"),
        out)
    text = out.getvalue()
    assert "alexa> Welcome to my back routine." in text
    assert "(RatingIntent rating='4')" in text and "I've noted a four." in text  # the check-in, answered in everyday words
    assert "[pause 2 s] When you're in position, say next to start set one." in text
    assert "(WhereAmIIntent)" in text and "You're at the start of exercise one of three" in text
    # Paused after the setup was heard: resuming goes on to set one rather than repeating the setup.
    assert "(session ended;" in text and "Let's carry on. Set one of three" in text
    adapter.close()


def test_talk_command_with_a_routine_and_speak_without_a_voice(tmp_path, monkeypatch):
    import skill.console as console_module

    def no_voice(directory, engine, out):
        out.write("(--speak: no offline voice available (test); replies are text only)\n")
        return None

    monkeypatch.setattr(console_module, "make_wav_writer", no_voice)
    result = CliRunner().invoke(main, ["talk", "back-pain", "--speak", "--routines", str(ROOT / "routines")],
                                input="about a four\nwhere am i\nquit\n")
    assert result.exit_code == 0, result.output
    assert "you> start back pain" in result.output and "Welcome. Let's move your back gently today." in result.output
    assert "no offline voice available" in result.output and "We're in the introduction" in result.output


def test_skill_package_command_writes_and_checks(tmp_path):
    result = CliRunner().invoke(main, ["skill-package", "--out", str(tmp_path / "pkg"), "--endpoint",
                                       "https://back.example.org/alexa", "--routines", str(ROOT / "routines")])
    assert result.exit_code == 0, result.output
    assert "passes the lint" in result.output
    package = json.loads((tmp_path / "pkg" / "skill.json").read_text())
    assert package["manifest"]["apis"]["custom"]["endpoint"]["uri"] == "https://back.example.org/alexa"
    assert len(list((tmp_path / "pkg" / "interactionModels" / "custom").glob("*.json"))) == 5


def test_the_model_stays_within_our_size_budget(model):
    """docs/architecture.md ("Why the model is large"): templates can multiply quickly; keep the model
    small enough to upload and build fast."""
    samples = sum(len(i.get("samples", [])) for i in model["interactionModel"]["languageModel"]["intents"])
    assert samples <= 40_000
    assert len(json.dumps(model, separators=(",", ":"))) <= 1_500_000
