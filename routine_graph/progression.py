"""Progression: the routine author's rules for suggesting another level, applied to one user's history.

Pure and plain: the skill passes what it stored (finished sessions with their pain ratings, the times
the user said "it hurts") and words the `Suggestion`; the user decides. The rules are written in the
routine's `progression:` section (docs/routine-format.md, "progression"); the graph carries them
(`Graph.progression`, `Graph.levels`), so the skill never reads the routine file for them.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, Sequence

from .words import number_words

DAY = timedelta(days=1)


@dataclass(frozen=True)
class UpRule:
    after_sessions: int
    pain_not_rising: bool = True


@dataclass(frozen=True)
class DownRule:
    after_hurts: int
    within_days: int = 7


@dataclass(frozen=True)
class Rules:
    """A routine's progression rules; no rule, no suggestion that way."""

    move_up: UpRule | None = None
    move_down: DownRule | None = None

    @classmethod
    def of(cls, section: Any) -> Rules:
        """From a routine's `progression` (model.Progression, or None when the file has none)."""
        if section is None:
            return cls()
        up, down = section.move_up, section.move_down
        return cls(UpRule(up.after_sessions, up.pain_not_rising) if up else None,
                   DownRule(down.after_hurts, down.within_days) if down else None)


@dataclass(frozen=True)
class SessionOutcome:
    """A finished session: when, at which level, and the pain ratings (0-10) given at its start and
    finish, None when not given (the check-in is off, or the user did not answer)."""

    finished_at: datetime
    level: str
    pain_start: int | None = None
    pain_end: int | None = None

    def __post_init__(self) -> None:
        for name in ("pain_start", "pain_end"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10):
                raise ValueError(f"{name} must be a whole number from 0 to 10, or None; got {value!r}")

    @property
    def pain_rose(self) -> bool:
        return self.pain_start is not None and self.pain_end is not None and self.pain_end > self.pain_start


@dataclass(frozen=True)
class Suggestion:
    """What the rules suggest, with the numbers a sentence needs.

    harder: `sessions` finished in a row at `from_level`, `hurts` said since the one before them (0
    when `pain_judged`), `days` from the first of them to now, rounded up. easier: `hurts` said at
    `from_level` within the rule's `days`, `sessions` finished at `from_level` within those days.
    `pain_judged` (harder only): the rule asked for no rise in pain, so "without more pain" is true to say."""

    direction: Literal["harder", "easier"]
    from_level: str
    to_level: str
    sessions: int
    hurts: int
    days: int
    pain_judged: bool = True

    def sentence(self) -> str:
        ask = f"Want to try the {_level_words(self.to_level)} level next time?"
        if self.direction == "easier":
            return f"You've said it hurts {_times(self.hurts)} {_period(self.days)}. {ask}"
        count = number_words(self.sessions) + (" session" if self.sessions == 1 else " sessions")
        calm = " without more pain" if self.pain_judged else ""
        return f"You've done {count} at the {_level_words(self.from_level)} level{calm}. {ask}"


def suggest(rules: Rules, level_order: Sequence[str], current_level: str, sessions: Sequence[SessionOutcome],
            hurt_reports: Sequence[datetime], now: datetime) -> Suggestion | None:
    """The level the rules suggest next, or None. `level_order` is gentlest first (`Graph.levels`).

    Only what happened at the current level counts: the sessions finished there in a row, latest
    back, and the "it hurts" reports since the last session finished at another level. Without
    that, a user who has just taken the easier level would be told to go easier again by the very
    reports that moved them. Anything after `now` is ignored. Easier wins: when the move-down rule
    is met, the answer is the easier level or, at the gentlest, nothing - never harder."""
    _same_clock(now, sessions, hurt_reports)
    if current_level not in level_order:
        return None  # a level saved before the routine changed: the skill puts the user back on one
    at = list(level_order).index(current_level)
    history = sorted((s for s in sessions if s.finished_at <= now), key=lambda s: s.finished_at)
    reports = sorted(r for r in hurt_reports if r <= now)
    run = len(history)
    while run and history[run - 1].level == current_level:
        run -= 1
    streak, before = history[run:], history[:run]
    level_since = before[-1].finished_at if before else None

    down = rules.move_down
    if down is not None:
        start = now - down.within_days * DAY
        hurts = [r for r in reports if r > start and (level_since is None or r > level_since)]
        if len(hurts) >= down.after_hurts:
            if at == 0:
                return None
            return Suggestion("easier", current_level, level_order[at - 1], sum(s.finished_at > start for s in streak),
                              len(hurts), down.within_days, pain_judged=False)
    up = rules.move_up
    if up is None or at == len(level_order) - 1 or len(streak) < up.after_sessions:
        return None
    counted = streak[-up.after_sessions:]
    # Reports since the session before the counted ones finished: said during them, between them,
    # or since the latest (a session in progress).
    since = history[-up.after_sessions - 1].finished_at if len(history) > up.after_sessions else None
    hurts = sum(1 for r in reports if since is None or r > since)
    if up.pain_not_rising and (hurts or not pain_held(counted)):
        return None
    days = max(1, math.ceil((now - counted[0].finished_at) / DAY))
    return Suggestion("harder", current_level, level_order[at + 1], len(counted), hurts, days, up.pain_not_rising)


def pain_held(sessions: Sequence[SessionOutcome]) -> bool:
    """No rise in pain over `sessions` (oldest first): no finish rating above its start rating, and
    the latest start rating not above the first. A missing rating is no evidence of a rise: the
    check-in is optional, and a physiotherapist progresses a patient who reports no increase in
    pain; "it hurts" (judged by the caller) and the move-down rule still hold the user back."""
    if any(s.pain_rose for s in sessions):
        return False
    starts = [s.pain_start for s in sessions if s.pain_start is not None]
    return len(starts) < 2 or starts[-1] <= starts[0]


def _same_clock(now: datetime, sessions: Sequence[SessionOutcome], reports: Sequence[datetime]) -> None:
    aware = now.tzinfo is not None
    odd = next((t for t in [s.finished_at for s in sessions] + list(reports) if (t.tzinfo is not None) != aware), None)
    if odd is not None:
        raise ValueError(f"times must all carry a time zone or all carry none: now is {now.isoformat()}, but "
                         f"{odd.isoformat()} {'has one' if odd.tzinfo else 'has none'}")


def _level_words(level: str) -> str:
    return level.replace("-", " ")


def _times(n: int) -> str:
    return {1: "once", 2: "twice"}.get(n) or f"{number_words(n)} times"


def _period(days: int) -> str:
    if days == 7:
        return "this week"
    if days == 1:
        return "in the last day"
    if days % 7 == 0:
        return f"in the last {number_words(days // 7)} weeks"
    return f"in the last {number_words(days)} days"
