"""The user's progress as a dataclass, and its round trip through persistent attributes.

Everything the skill remembers about a user lives here and nowhere else: which routine, where in it,
at what level and pace, which question we are waiting on, the history of finished sessions and the
pain ratings of the check-in (those records, and Place, are the dataclasses of skill/user_records.py).
It is stored as one JSON-friendly dict through the ask-sdk persistence adapter (SQLite locally,
DynamoDB on Lambda), keyed by user id, so a new session (or a new device) picks up where the last one
stopped.

Reading is forgiving on purpose: attributes written by an older version, or damaged by hand, must
never lock a user out. Anything that does not parse falls back to its default.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Any

from .audio_state import AudioState
from .spoken_time import parse_clock
from .user_records import (CHECKIN_FINISH, CHECKIN_START, EVENT_DETAILS, MAX_RATING, MIN_RATING, CheckIn, Completed,
                           Event, Place, iso, parse_time)
from .user_records import _float, _int, _str  # the same forgiving readers for UserState's own fields

# The records are imported from here all over the project: they stay importable from this module.
__all__ = [
    "CHECKIN_FINISH", "CHECKIN_START", "EARLIER_SESSION", "EVENT_DETAILS", "MAX_CHECKINS", "MAX_EVENTS",
    "MAX_HISTORY", "MAX_RATING", "MIN_RATING", "MODE_AUDIO", "MODE_VOICE", "QUESTIONS", "QUESTION_CHECKIN_FINISH",
    "QUESTION_CHECKIN_FINISH_AGAIN", "QUESTION_CHECKIN_GENTLE", "QUESTION_CHECKIN_START",
    "QUESTION_CHECKIN_START_AGAIN", "QUESTION_FORGET", "QUESTION_GENTLY", "QUESTION_HURT", "QUESTION_PROGRESSION",
    "QUESTION_REMINDER", "QUESTION_RESUME", "QUESTION_RESUME_AUDIO", "QUESTION_START", "QUESTION_START_OVER",
    "SCHEMA_VERSION", "CheckIn", "Completed", "Event", "Place", "UserState", "iso", "parse_time",
]

SCHEMA_VERSION = 1
MAX_HISTORY = 1000  # completed sessions kept (well over a year of twice-daily practice)
MAX_CHECKINS = 1000  # pain ratings kept (a start and a finish rating for each of 500 sessions)
MAX_EVENTS = 50  # "it hurts" reports kept

# Questions the skill can be waiting on a yes or no for.
QUESTION_START = "start"  # "say start when you're ready" (or yes)
QUESTION_RESUME = "resume"  # "shall we carry on where you stopped?"
QUESTION_START_OVER = "start_over"  # after "no" to resuming: "start from the beginning?"
QUESTION_HURT = "hurt"  # after "it hurts": "skip this exercise?"
QUESTION_RESUME_AUDIO = "resume_audio"  # "shall I carry on playing the audio version?"
QUESTION_GENTLY = "gently"  # after "it hurts" before anything was given this session: "carry on gently?"
QUESTION_FORGET = "forget"  # after "forget my progress": "this deletes everything for good. Are you sure?"
QUESTION_CHECKIN_START = "checkin_start"  # "before we start, how is your back today, from zero to ten?"
QUESTION_CHECKIN_START_AGAIN = "checkin_start_again"  # the same, asked once more after an answer not heard
QUESTION_CHECKIN_FINISH = "checkin_finish"  # after the outro: "how is your back now, from zero to ten?"
QUESTION_CHECKIN_FINISH_AGAIN = "checkin_finish_again"
QUESTION_CHECKIN_GENTLE = "checkin_gentle"  # a high rating at the start: "start gently, or rest today?"
# Reminders (handlers/reminder_offer.py): after a finished session, "shall I remind you tomorrow at this time?"
QUESTION_REMINDER = "reminder"
# Progression (handlers/after_session.py): "want to try the full level next time?"
QUESTION_PROGRESSION = "progression"
QUESTIONS = (QUESTION_START, QUESTION_RESUME, QUESTION_START_OVER, QUESTION_HURT, QUESTION_RESUME_AUDIO,
             QUESTION_GENTLY, QUESTION_FORGET, QUESTION_CHECKIN_START, QUESTION_CHECKIN_START_AGAIN,
             QUESTION_CHECKIN_FINISH, QUESTION_CHECKIN_FINISH_AGAIN, QUESTION_CHECKIN_GENTLE, QUESTION_REMINDER,
             QUESTION_PROGRESSION)

# Stands in for "some session before this one" in state saved before the field existed.
EARLIER_SESSION = "earlier"

# How the user follows the routine: chunk by chunk by voice, or the built track with AudioPlayer.
MODE_VOICE, MODE_AUDIO = "voice", "audio"


@dataclass
class UserState:
    """Everything remembered about one user. Mutable: handlers change it, the response interceptor
    saves it."""

    routine: str | None = None  # chosen routine id
    routine_title: str | None = None  # kept so we can name it even after its file is deleted
    place: Place | None = None  # None: not inside a run of the routine
    levels: dict[str, str] = field(default_factory=dict)  # routine id -> level name
    pace: float | None = None  # None: the routine's own default
    run_started: str | None = None  # when the current run began (ISO), for the history
    run_exercised: bool = False  # a set was given in the current run: only then does finishing it count
    question: str | None = None  # what a yes or no answers
    question_session: str | None = None  # ...but only within the session that asked it
    played_in: str | None = None  # the session in which the current chunk was given
    intro_heard_in: str | None = None  # the session in which the full introduction was first given
    safety_said_in: str | None = None  # the last session in which the routine's safety notice was said
    history: list[Completed] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    checkins: list[CheckIn] = field(default_factory=list)  # pain ratings, oldest first
    checkin_on: bool = True  # ask for a pain rating at the start and finish of a run ("turn off the check-in")
    checkin_asked_in: str | None = None  # the session that was asked the start check-in (asked once a session)
    checkin_block: int | None = None  # where the run waiting on the start check-in begins (None: none waiting)
    checkin_full_intro: bool = False  # ...and whether it begins with the introduction in full (asked for it)
    mode: str = MODE_VOICE
    audio: AudioState | None = None  # the audio stream, kept after it stops so it can resume
    notice: str | None = None  # one sentence for the next spoken reply (e.g. "the audio failed")
    # Reminders (handlers/reminders.py, skill/reminders.py):
    reminders: list[str] = field(default_factory=list)  # alert tokens of the reminders the skill set
    reminder_wanted: list[str] = field(default_factory=list)  # "HH:MM" times to set once permitted (or offered)
    reminder_offer_declined: bool = False  # said no to "shall I remind you?" (or cancelled): not offered again
    # Progression (handlers/after_session.py): routine id -> when another level was last suggested; only
    # what happened since counts towards the next suggestion, so a "no" is not asked again next time.
    progression_offered: dict[str, str] = field(default_factory=dict)
    progression_to: str | None = None  # the level suggested, while its question is pending

    # -- persistence ----------------------------------------------------------------------------

    def to_attributes(self) -> dict[str, Any]:
        return {
            "v": SCHEMA_VERSION,
            "routine": self.routine,
            "routine_title": self.routine_title,
            "place": self.place.to_dict() if self.place else None,
            "levels": dict(self.levels),
            "pace": self.pace,
            "run_started": self.run_started,
            "run_exercised": self.run_exercised,
            "question": self.question,
            "question_session": self.question_session,
            "played_in": self.played_in,
            "intro_heard_in": self.intro_heard_in,
            "safety_said_in": self.safety_said_in,
            "history": [c.to_dict() for c in self.history[-MAX_HISTORY:]],
            "events": [e.to_dict() for e in self.events[-MAX_EVENTS:]],
            "checkins": [c.to_dict() for c in self.checkins[-MAX_CHECKINS:]],
            "checkin_on": self.checkin_on,
            "checkin_asked_in": self.checkin_asked_in,
            "checkin_block": self.checkin_block,
            "checkin_full_intro": self.checkin_full_intro,
            "mode": self.mode,
            "audio": self.audio.to_dict() if self.audio else None,
            "notice": self.notice,
            "reminders": list(self.reminders),
            "reminder_wanted": list(self.reminder_wanted),
            "reminder_offer_declined": self.reminder_offer_declined,
            "progression_offered": dict(self.progression_offered),
            "progression_to": self.progression_to,
        }

    @classmethod
    def from_attributes(cls, data: Any) -> UserState:
        if not isinstance(data, dict):
            return cls()
        levels = data.get("levels")
        pace = data.get("pace")
        question = data.get("question")
        place = Place.from_dict(data.get("place"))
        history = [c for c in map(Completed.from_dict, _list(data.get("history"))) if c]
        run_started = _str(data.get("run_started"))
        # State saved before these fields existed: a user with a place or a history has been here
        # before (and heard the introduction then); a run already under way counts as it used to.
        intro_heard_in = _str(data.get("intro_heard_in"))
        if "intro_heard_in" not in data and (place is not None or history):
            intro_heard_in = EARLIER_SESSION
        run_exercised = data.get("run_exercised") is True or ("run_exercised" not in data and run_started is not None)
        return cls(
            routine=_str(data.get("routine")),
            routine_title=_str(data.get("routine_title")),
            place=place,
            levels={k: v for k, v in levels.items() if isinstance(k, str) and isinstance(v, str)} if isinstance(levels, dict) else {},
            pace=_float(pace, None) if pace is not None else None,
            run_started=run_started,
            run_exercised=run_exercised,
            question=question if question in QUESTIONS else None,
            question_session=_str(data.get("question_session")),
            played_in=_str(data.get("played_in")),
            intro_heard_in=intro_heard_in,
            safety_said_in=_str(data.get("safety_said_in")),
            history=history,
            events=[e for e in map(Event.from_dict, _list(data.get("events"))) if e],
            checkins=[c for c in map(CheckIn.from_dict, _list(data.get("checkins"))) if c],
            checkin_on=data.get("checkin_on") is not False,  # on unless the user turned it off
            checkin_asked_in=_str(data.get("checkin_asked_in")),
            checkin_block=_int(data.get("checkin_block"), -1) if _int(data.get("checkin_block"), -1) >= 0 else None,
            checkin_full_intro=data.get("checkin_full_intro") is True,
            mode=MODE_AUDIO if data.get("mode") == MODE_AUDIO else MODE_VOICE,
            audio=AudioState.from_dict(data.get("audio")),
            notice=_str(data.get("notice")),
            reminders=[t for t in _list(data.get("reminders")) if _str(t)],
            reminder_wanted=[t for t in _list(data.get("reminder_wanted")) if parse_clock(t)],
            reminder_offer_declined=data.get("reminder_offer_declined") is True,
            progression_offered=_stamps(data.get("progression_offered")),
            progression_to=_str(data.get("progression_to")),
        )

    # -- questions --------------------------------------------------------------------------------

    def ask(self, question: str, session_id: str | None) -> None:
        self.question, self.question_session = question, session_id

    def pending_question(self, session_id: str | None) -> str | None:
        """The question asked in this session, if any: a yes in a new session answers nothing."""
        if self.question and self.question_session == session_id:
            return self.question
        return None

    def clear_question(self) -> None:
        self.question = self.question_session = None

    # -- progress ---------------------------------------------------------------------------------

    @property
    def in_progress(self) -> bool:
        return self.place is not None and not self.place.finished

    def played_this_session(self, session_id: str | None) -> bool:
        """Was the current chunk given in this session (so the user has just heard it)?"""
        return self.place is not None and session_id is not None and self.played_in == session_id

    def mark_heard(self, session_id: str | None) -> None:
        """The user is done with the chunk: the session ran out after its reprompt, they paused or
        stopped after it, or took a break. If the chunk was given in this session, they heard it
        through; if not (they were only asked whether to resume), nothing was heard."""
        if self.played_this_session(session_id):
            self.place = replace(self.place, done=True)

    def level_for(self, routine: str) -> str | None:
        return self.levels.get(routine)

    def record_completion(self, routine: str, level: str, pace: float, now: dt.datetime,
                          started_at: str | None = None) -> None:
        self.history.append(Completed(routine, iso(now), level, pace, started_at))
        del self.history[:-MAX_HISTORY]

    def record_checkin(self, routine: str, moment: str, rating: int, now: dt.datetime, run: str | None) -> CheckIn:
        checkin = CheckIn(iso(now), routine, moment, rating, run)
        self.checkins.append(checkin)
        del self.checkins[:-MAX_CHECKINS]
        return checkin

    def record_event(self, kind: str, routine: str, where: str, now: dt.datetime, **details: str | None) -> None:
        """`details`: the Event's optional fields (EVENT_DETAILS)."""
        self.events.append(Event(kind, iso(now), routine, where, **details))
        del self.events[:-MAX_EVENTS]

    def sessions_since(self, since: dt.datetime) -> int:
        return sum(1 for c in self.history if (parse_time(c.finished_at) or since) > since)

    @property
    def is_new_user(self) -> bool:
        return self.place is None and not self.history and self.routine is None

    def is_returning(self, session_id: str | None) -> bool:
        """Has the user been through this before: finished a session, or heard the introduction in an
        earlier session? (Within the session that first gave it, the full introduction stays.)"""
        return bool(self.history) or (self.intro_heard_in is not None and self.intro_heard_in != session_id)


def _stamps(value: Any) -> dict[str, str]:
    """A {routine id: ISO time} dict, keeping only the entries that parse."""
    if not isinstance(value, dict):
        return {}
    return {k: v for k, v in value.items() if isinstance(k, str) and parse_time(v) is not None}


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []
