"""Scoring the everyday-speech corpus (tests/data/everyday-speech.yaml): what people say mid-exercise,
each with the behaviour they expect, heard through the generated interaction model and answered by
the skill's handlers.

For every item: the line is matched by skill.utterance_matcher (the exact-match rule, never more
forgiving than a device); a fresh user is brought into the item's context (just opened the skill,
after the intro, after an exercise's setup, after a set, or a returning user being offered to carry
on); the heard intent is sent as Alexa would send it; then the expected behaviour is checked on what
the skill did, from the user's saved state and the reply (did the place move on by one, was a hurt
report recorded and safety advice given, did the pace go down...). Used by tests/skill/test_speech_corpus.py
and scripts/bench_understanding.py.
"""
from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import yaml
from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter
from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model import RequestEnvelope

from routine_graph import navigation
from skill.builder import build_skill
from skill.console import envelope
from skill.interaction_model import interaction_model
from skill.pain_checkin import needs_safety, previous_rating
from skill.routines import RoutineLibrary, levels_easiest_first
from skill.session_state import QUESTION_CHECKIN_START, QUESTION_CHECKIN_START_AGAIN, UserState
from skill.speech import readable
from skill.utterance_matcher import FALLBACK, Heard, UtteranceMatcher

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "data" / "everyday-speech.yaml"
ROUTINE = "back-pain"
CHECKIN_START_QUESTIONS = (QUESTION_CHECKIN_START, QUESTION_CHECKIN_START_AGAIN)
CONTEXTS = ("welcome", "intro", "setup", "set", "returning", "checkin")
BEHAVIOURS = ("moves_on", "repeats", "previous", "where", "howto", "safety", "break", "slower", "faster",
              "easier", "harder", "skip", "goto", "start_over", "stop", "pause", "help", "intro", "forget",
              "remind", "list_reminders", "cancel_reminders",
              "rates", "skips_checkin", "checkin_off", "checkin_on", "progress")


@dataclass(frozen=True)
class Item:
    group: str
    say: str
    context: str
    expect: str
    target: int | None = None


def load_corpus(path: Path = CORPUS) -> list[Item]:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    items = []
    for group, body in document["groups"].items():
        for entry in body["items"]:
            items.append(Item(group, str(entry["say"]), entry["context"], entry["expect"], entry.get("target")))
    return items


class MemoryAdapter(AbstractPersistenceAdapter):
    """Persistent attributes in a dict, so the scorer can read each user's state directly."""

    def __init__(self) -> None:
        self.store: dict[str, dict[str, Any]] = {}

    def get_attributes(self, request_envelope: RequestEnvelope) -> dict[str, Any]:
        return json.loads(json.dumps(self.store.get(request_envelope.context.system.user.user_id, {})))

    def save_attributes(self, request_envelope: RequestEnvelope, attributes: dict[str, Any]) -> None:
        self.store[request_envelope.context.system.user.user_id] = json.loads(json.dumps(attributes))

    def delete_attributes(self, request_envelope: RequestEnvelope) -> None:
        self.store.pop(request_envelope.context.system.user.user_id, None)


@dataclass
class Reply:
    text: str
    ended: bool


class User:
    """One user talking to the skill in-process, with envelopes as Alexa sends them."""

    def __init__(self, skill: Any, adapter: MemoryAdapter):
        self.skill, self.adapter = skill, adapter
        self.user_id = f"amzn1.ask.account.CORPUS{uuid.uuid4().hex}"
        self.session_id: str | None = None
        self._serializer = DefaultSerializer()

    def state(self) -> UserState:
        return UserState.from_attributes(self.adapter.store.get(self.user_id, {}))

    def _send(self, request_type: str, **kwargs: Any) -> Reply:
        new = self.session_id is None
        if new:
            self.session_id = f"amzn1.echo-api.session.{uuid.uuid4()}"
        document = envelope(request_type, session_id=self.session_id, new_session=new, user_id=self.user_id, **kwargs)
        request = self._serializer.deserialize(json.dumps(document), RequestEnvelope)
        response = self._serializer.serialize(self.skill.invoke(request, None)).get("response", {})
        ended = response.get("shouldEndSession") is not False
        if ended:
            self.session_id = None
        return Reply(readable((response.get("outputSpeech") or {}).get("ssml", "")), ended)

    def launch(self) -> Reply:
        self.session_id = None
        return self._send("LaunchRequest")

    def intent(self, name: str, slots: dict[str, Any] | None = None) -> Reply:
        return self._send("IntentRequest", intent=name, slots=slots or {})

    def heard(self, heard: Heard) -> Reply:
        if heard.launch:
            return self.launch()
        if heard.new_session:
            self.session_id = None
        return self.intent(heard.intent, heard.slots)


def enter(user: User, context: str) -> None:
    """Bring a fresh user to where the corpus item is said."""
    user.launch()
    if context == "welcome":
        return
    asked = user.intent("StartRoutineIntent")  # "Before we start, how is your back today, from zero to ten?"
    if context == "checkin":
        return
    if "from zero to ten" in asked.text:
        user.intent("RatingIntent", {"rating": {"name": "rating", "value": "3"}})  # then the introduction
    if context == "intro":
        return
    user.intent("AMAZON.NextIntent")  # exercise one: setup
    if context == "setup":
        return
    user.intent("AMAZON.NextIntent")  # exercise one, set one
    if context == "set":
        return
    if context == "returning":  # stopped after set one, came back: "shall we carry on?"
        user.intent("AMAZON.StopIntent")
        user.launch()
        return
    raise ValueError(f"unknown context {context!r}")


@dataclass
class Outcome:
    item: Item
    intent: str
    ok: bool
    why: str = ""


@dataclass
class Scorer:
    routines: Path = ROOT / "routines"
    adapter: MemoryAdapter = field(default_factory=MemoryAdapter)

    def __post_init__(self) -> None:
        self.library = RoutineLibrary(self.routines)
        self.model = interaction_model(self.library)
        self.matcher = UtteranceMatcher(self.model)
        self.skill = build_skill(self.library, self.adapter, lambda: dt.datetime.now(dt.timezone.utc))

    def score(self, item: Item) -> Outcome:
        heard = self.matcher.match(item.say)
        intent = "LaunchRequest" if heard.launch else heard.intent
        user = User(self.skill, self.adapter)
        enter(user, item.context)
        before = user.state()
        reply = user.heard(heard)
        after = user.state()
        course = self.library.course(ROUTINE, before.level_for(ROUTINE), before.pace)
        check = CHECKS[item.expect]
        why = check(Seen(course, before, after, reply, item))
        if why and intent == FALLBACK:
            why = "not understood (AMAZON.FallbackIntent); " + why
        return Outcome(item, intent, not why, why)

    def score_all(self, items: list[Item]) -> list[Outcome]:
        return [self.score(item) for item in items]


# -- what counts as each behaviour ---------------------------------------------------------------------


@dataclass
class Seen:
    course: Any
    before: UserState
    after: UserState
    reply: Reply
    item: Item

    def pos(self, state: UserState) -> tuple[int, int] | None:
        """Where the user is; a run waiting on its start check-in ("how is your back today?") is
        where it will begin once answered (skill/handlers/flow.py `start_run`)."""
        if state.place is None and state.checkin_block is not None and state.question in CHECKIN_START_QUESTIONS:
            return state.checkin_block, 0
        return None if state.place is None else (state.place.block, state.place.part)

    @property
    def moved(self) -> bool:
        return self.pos(self.before) != self.pos(self.after)

    @property
    def hurt_reported(self) -> bool:
        return sum(e.kind == "hurt" for e in self.after.events) > sum(e.kind == "hurt" for e in self.before.events)


def _moves_on(s: Seen) -> str:
    before, after = s.pos(s.before), s.pos(s.after)
    if after is None:
        return f"no place after it (reply: {s.reply.text[:80]!r})"
    if before is None or s.item.context == "welcome":
        return "" if after == (0, 0) and s.after.run_started else f"did not start the routine: {s.reply.text[:80]!r}"
    expected = s.course.next_place(*before)
    if s.item.context == "returning":  # carrying on: the part after the one they finished
        return "" if after in (before, expected) and not s.reply.ended else f"did not carry on: {s.reply.text[:80]!r}"
    return "" if after == expected else f"place {before} -> {after}, expected {expected}: {s.reply.text[:80]!r}"


def _repeats(s: Seen) -> str:
    if s.moved:
        return f"the place moved: {s.reply.text[:80]!r}"
    block, part = s.pos(s.before)
    first = readable(s.course.chunk(block, part).ssml)[:40]
    return "" if first in s.reply.text else f"did not say the part again: {s.reply.text[:80]!r}"


def _previous(s: Seen) -> str:
    expected = s.course.previous_place(*s.pos(s.before))
    return "" if s.pos(s.after) == expected else f"expected {expected}, got {s.pos(s.after)}: {s.reply.text[:80]!r}"


def _where(s: Seen) -> str:
    if s.moved or s.reply.ended:
        return "moved or ended"
    return "" if re.search(r"\b(left|We're in|You're (on|at)|haven't started)\b", s.reply.text) else f"no place said: {s.reply.text[:80]!r}"


def _howto(s: Seen) -> str:
    return "" if "Here's how to do" in s.reply.text and not s.moved else f"no instructions: {s.reply.text[:80]!r}"


def _safety(s: Seen) -> str:
    if not s.hurt_reported:
        return f"no hurt report recorded: {s.reply.text[:80]!r}"
    return "" if "doctor or physiotherapist" in s.reply.text else f"no safety advice: {s.reply.text[:80]!r}"


def _break(s: Seen) -> str:
    if s.moved or s.reply.ended:
        return f"moved or ended: {s.reply.text[:80]!r}"
    return "" if "ready when you are" in s.reply.text.lower() else f"no quiet wait: {s.reply.text[:80]!r}"


def _pace(direction: int) -> Callable[[Seen], str]:
    def check(s: Seen) -> str:
        default = s.course.graph.pace
        before, after = s.before.pace or default, s.after.pace or default
        return "" if (after - before) * direction > 0 else f"pace {before} -> {after}: {s.reply.text[:80]!r}"
    return check


def _level(direction: int) -> Callable[[Seen], str]:
    def check(s: Seen) -> str:
        routine = s.course.graph.routine_id
        levels = _levels(s)
        default = s.course.graph.level
        before = levels.index(s.before.level_for(routine) or default)
        after = levels.index(s.after.level_for(routine) or default)
        return "" if (after - before) * direction > 0 else f"level {levels[before]} -> {levels[after]}: {s.reply.text[:80]!r}"
    return check


def _levels(s: Seen) -> list[str]:
    from routine_graph.loader import load_routine

    return levels_easiest_first(load_routine(ROOT / "routines" / f"{s.course.graph.routine_id}.yaml"))


def _skip(s: Seen) -> str:
    before = s.pos(s.before)
    target = navigation.skip_exercise(s.course.graph, before[0])
    return "" if s.pos(s.after) == (target, 0) else f"expected block {target}, got {s.pos(s.after)}: {s.reply.text[:80]!r}"


def _goto(s: Seen) -> str:
    target = navigation.goto_exercise(s.course.graph, s.item.target)
    return "" if s.pos(s.after) == (target, 0) else f"expected block {target}, got {s.pos(s.after)}: {s.reply.text[:80]!r}"


def _start_over(s: Seen) -> str:
    return "" if s.pos(s.after) == (0, 0) and not s.reply.ended else f"got {s.pos(s.after)}: {s.reply.text[:80]!r}"


def _ends_keeping_place(s: Seen) -> str:
    if not s.reply.ended:
        return f"session still open: {s.reply.text[:80]!r}"
    if s.before.place is not None and (s.after.place is None or s.pos(s.after) < s.pos(s.before)):
        return "the place was lost"
    return ""


def _help(s: Seen) -> str:
    return "" if "What would you like to do?" in s.reply.text and not s.moved else f"no help: {s.reply.text[:80]!r}"


def _intro(s: Seen) -> str:
    intro = readable(s.course.chunk(0, 0).ssml)
    safety = s.course.graph.safety or ""
    said = s.reply.text
    if s.pos(s.after) == (0, 0) and s.after.place is None and s.after.checkin_full_intro:
        return ""  # the introduction in full, once the start check-in is answered
    return "" if (safety[:40] in said or intro[:40] in said) else f"no introduction: {said[:80]!r}"


def _forget(s: Seen) -> str:
    """Asked to delete everything: it asks first ("Are you sure?"), and nothing is lost yet."""
    if "Are you sure?" not in s.reply.text or s.reply.ended:
        return f"did not ask to confirm: {s.reply.text[:80]!r}"
    return "" if s.pos(s.after) == s.pos(s.before) else "the place changed before a yes"


def _reminder(pattern: str, what: str) -> Callable[[Seen], str]:
    """A reminder request answered where the user is. The scorer's device has no apiAccessToken, so
    the reply is the "not on this device" line (skill/handlers/reminders.py): a set names the time
    heard, which shows the time slot was read."""
    def check(s: Seen) -> str:
        if s.moved or s.reply.ended:
            return f"moved or ended: {s.reply.text[:80]!r}"
        return "" if re.search(pattern, s.reply.text) else f"no {what}: {s.reply.text[:80]!r}"
    return check


def _began(s: Seen) -> str:
    """The run waiting on the check-in has begun: the introduction was given."""
    return "" if s.pos(s.after) == (0, 0) and s.after.place is not None else f"did not start: {s.reply.text[:80]!r}"


def _rates(s: Seen) -> str:
    given = s.after.checkins[len(s.before.checkins):]
    if [c.rating for c in given] != [s.item.target]:
        return f"ratings stored {[c.rating for c in given]}, expected [{s.item.target}]: {s.reply.text[:80]!r}"
    if needs_safety(s.item.target, previous_rating(s.before.checkins)):  # the advice first; the run waits
        return "" if "doctor or physiotherapist" in s.reply.text and s.after.place is None else \
            f"no safety advice for {s.item.target}: {s.reply.text[:80]!r}"
    return _began(s)


def _skips_checkin(s: Seen) -> str:
    if len(s.after.checkins) != len(s.before.checkins) or not s.after.checkin_on:
        return "a rating was stored, or the check-in turned off"
    return _began(s)


def _checkin_switch(on: bool) -> Callable[[Seen], str]:
    def check(s: Seen) -> str:
        if s.after.checkin_on is not on:
            return f"the check-in is {'on' if s.after.checkin_on else 'off'}: {s.reply.text[:80]!r}"
        if s.reply.ended or (s.item.context != "checkin" and s.moved):
            return f"moved or ended: {s.reply.text[:80]!r}"
        return _began(s) if s.item.context == "checkin" else ""
    return check


def _progress(s: Seen) -> str:
    if s.moved or s.reply.ended:
        return f"moved or ended: {s.reply.text[:80]!r}"
    found = re.search(r"session(s)? (this week|in the last month)|haven't finished a session", s.reply.text)
    return "" if found else f"no progress said: {s.reply.text[:80]!r}"


CHECKS: dict[str, Callable[[Seen], str]] = {
    "moves_on": _moves_on, "repeats": _repeats, "previous": _previous, "where": _where, "howto": _howto,
    "safety": _safety, "break": _break, "slower": _pace(+1), "faster": _pace(-1), "easier": _level(-1),
    "harder": _level(+1), "skip": _skip, "goto": _goto, "start_over": _start_over, "stop": _ends_keeping_place,
    "pause": _ends_keeping_place, "help": _help, "intro": _intro, "forget": _forget,
    "remind": _reminder(r"every day at (?:[a-z ]+ (?:in the (?:morning|afternoon|evening)|at night)|midday|midnight)",
                        "daily reminder at the time said"),
    "list_reminders": _reminder(r"check reminders|no reminders from me|I'll remind you", "list of reminders"),
    "cancel_reminders": _reminder(r"change reminders|cancelled your reminder|nothing to cancel", "cancelling"),
    "rates": _rates, "skips_checkin": _skips_checkin, "checkin_off": _checkin_switch(False),
    "checkin_on": _checkin_switch(True), "progress": _progress,
}


def summary(outcomes: list[Outcome]) -> dict[str, tuple[int, int]]:
    """group -> (passed, total), plus 'all'."""
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for o in outcomes:
        for key in (o.item.group, "all"):
            totals[key][0] += o.ok
            totals[key][1] += 1
    return {k: (v[0], v[1]) for k, v in totals.items()}


def intents_heard(outcomes: list[Outcome]) -> Counter:
    return Counter(o.intent for o in outcomes)
