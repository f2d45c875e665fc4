"""The records kept in a user's history, and the forgiving readers they are parsed with.

Each record is a frozen dataclass with its own round trip through a JSON-friendly dict: where the
user is in a routine (Place), a finished run (Completed), a pain rating (CheckIn) and an "it hurts"
report (Event). UserState (skill/session_state.py) holds them and stores them with the rest of the
user's progress.

Reading is forgiving on purpose: a record written by an older version, or damaged by hand, is
dropped or falls back to its defaults, never locking a user out.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Place:
    """Where the user is: the chunk they were last given.

    (`block`, `part`) is a routine_graph.navigation cursor on the user's Course: `block` indexes
    Graph.blocks, `part` is the chunk within it when a block is too long for one response (see
    skill.speech). `done` means they heard the chunk through (the session ran out after the
    reprompt), so resuming goes on to the next chunk instead of repeating this one. `finished` means
    the outro was given: the run is complete, "next" has nowhere to go.
    """

    block: int = 0
    part: int = 0
    done: bool = False
    finished: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"block": self.block, "part": self.part, "done": self.done, "finished": self.finished}

    @classmethod
    def from_dict(cls, data: Any) -> Place | None:
        if not isinstance(data, dict):
            return None
        block, part = _int(data.get("block"), -1), _int(data.get("part"), 0)
        if block < 0:
            return None
        return cls(block, max(0, part), bool(data.get("done")), bool(data.get("finished")))


@dataclass(frozen=True)
class Completed:
    """One finished run of a routine."""

    routine: str
    finished_at: str  # ISO 8601 UTC
    level: str
    pace: float
    started_at: str | None = None  # the run's run_started: ties it to its CheckIns (None in older saves)

    def to_dict(self) -> dict[str, Any]:
        data = {"routine": self.routine, "finished_at": self.finished_at, "level": self.level, "pace": self.pace}
        if self.started_at is not None:
            data["started_at"] = self.started_at
        return data

    @classmethod
    def from_dict(cls, data: Any) -> Completed | None:
        if not isinstance(data, dict) or not isinstance(data.get("routine"), str) or parse_time(data.get("finished_at")) is None:
            return None
        started = data.get("started_at")
        return cls(data["routine"], data["finished_at"], str(data.get("level", "")), _float(data.get("pace"), 1.0),
                   started if parse_time(started) is not None else None)


CHECKIN_START, CHECKIN_FINISH = "start", "finish"  # CheckIn.moment
MIN_RATING, MAX_RATING = 0, 10


@dataclass(frozen=True)
class CheckIn:
    """One pain rating, as given, stored the moment it is given (a run never finished keeps its
    start rating). `run` is the run's run_started stamp, tying a session's two ratings together."""

    at: str  # ISO 8601 UTC
    routine: str
    moment: str  # CHECKIN_START or CHECKIN_FINISH
    rating: int  # 0 (no pain) to 10
    run: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"at": self.at, "routine": self.routine, "moment": self.moment, "rating": self.rating, "run": self.run}

    @classmethod
    def from_dict(cls, data: Any) -> CheckIn | None:
        if not isinstance(data, dict) or parse_time(data.get("at")) is None or not isinstance(data.get("routine"), str):
            return None
        moment, rating = data.get("moment"), _int(data.get("rating"), -1)
        if moment not in (CHECKIN_START, CHECKIN_FINISH) or not MIN_RATING <= rating <= MAX_RATING:
            return None
        return cls(data["at"], data["routine"], moment, rating, _str(data.get("run")))


EVENT_DETAILS = ("body_part", "body_part_said", "feeling", "feeling_said", "said")


@dataclass(frozen=True)
class Event:
    """Something worth keeping that is not progress: today only "hurt" reports.

    A report keeps what the user said about it, both as heard (`*_said`) and as the slot value it
    resolved to (`body_part`, `feeling`), so a physiotherapist reading it later sees their words.
    """

    kind: str
    at: str  # ISO 8601 UTC
    routine: str
    where: str  # e.g. "exercise 2, set 1"
    body_part: str | None = None  # BODY_PART value id, e.g. "leg"
    body_part_said: str | None = None  # e.g. "thigh"
    feeling: str | None = None  # PAIN_FEELING value id, e.g. "tingling"
    feeling_said: str | None = None  # e.g. "pins and needles"
    said: str | None = None  # the user's own sentence, when it came as free text ("my calf just cramped")

    def to_dict(self) -> dict[str, Any]:
        data = {"kind": self.kind, "at": self.at, "routine": self.routine, "where": self.where}
        # Only what was said: reports without details keep the shape older versions wrote.
        data.update({k: getattr(self, k) for k in EVENT_DETAILS if getattr(self, k) is not None})
        return data

    @classmethod
    def from_dict(cls, data: Any) -> Event | None:
        if not isinstance(data, dict) or not all(isinstance(data.get(k), str) for k in ("kind", "at", "routine", "where")):
            return None
        return cls(data["kind"], data["at"], data["routine"], data["where"], **{k: _str(data.get(k)) for k in EVENT_DETAILS})


def iso(when: dt.datetime) -> str:
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return when.astimezone(dt.timezone.utc).isoformat(timespec="seconds")


def parse_time(value: Any) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        stamp = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.timezone.utc)


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _int(value: Any, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _float(value: Any, default: float | None) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value == value:  # not NaN
        return float(value)
    return default
