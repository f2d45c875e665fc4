"""A user's progress from their history: sessions this week and month, the streak, the pain trend.

Pure (no I/O, no clock): the skill's "how am I doing" and finish card (skill/handlers/progress.py, checkin.py),
and `back-routine history` (skill/history_cli.py), pass in what they have read and the time.

Which rating stands for a session. A run can have two check-ins (skill/session_state.py `CheckIn`,
tied together by `run`, the run's `run_started` stamp): one before the exercise and one after. The
trend uses the **start** rating: it is taken before exercising, so it measures how the back is that
day rather than how it feels straight after moving, and comparing start with start (or finish with
finish) keeps like with like. A run rated only at the finish (the user skipped the first question)
falls back to its finish rating rather than being dropped. A run that was never finished still
counts when it has a rating: the user did start that day, and the start rating was taken anyway.

"This week" and "this month" are the last 7 and 30 days (rolling, to the second); the streak and
the per-day bars are local calendar days in the user's time zone, so a session at 23:30 local time
counts on that local day, not on the next UTC one.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from routine_graph.progression import SessionOutcome
from routine_graph.words import number_words

from .session_state import CHECKIN_FINISH as FINISH
from .session_state import CHECKIN_START as START
from .session_state import MAX_RATING, MIN_RATING, parse_time

if TYPE_CHECKING:
    from .session_state import CheckIn, Completed

__all__ = ["PainTrend", "ProgressSummary", "TREND_SESSIONS", "card_text", "progress_sentence", "rated_sessions",
           "session_rating", "summarise"]

TREND_SESSIONS = 8  # the trend looks at the last this many rated sessions
DAYS_SHOWN = 14  # days in `ProgressSummary.days` (the bars of the progress screen)
WEEK, MONTH = dt.timedelta(days=7), dt.timedelta(days=30)


@dataclass(frozen=True)
class PainTrend:
    """The first and last rating of the user's last `sessions` rated sessions (oldest first).

    `unrated`: finished sessions since the first of those ratings that have no rating of their own,
    so "your last eight sessions" is said only when those eight really are the last eight.
    """

    first: int
    last: int
    sessions: int
    unrated: int = 0


@dataclass(frozen=True)
class ProgressSummary:
    week: int  # sessions finished in the last 7 days
    month: int  # ... in the last 30 days
    streak_days: int  # consecutive local days with a finished session, ending today or yesterday
    trend: PainTrend | None  # None with fewer than 2 rated sessions
    days: list[tuple[dt.date, int]]  # the last 14 local days (today last), sessions finished on each
    ratings: list[tuple[dt.datetime, int]]  # the ratings behind the trend, oldest first


def summarise(history: Sequence[Completed], checkins: Sequence[CheckIn], now: dt.datetime,
              tz: dt.tzinfo | None = None) -> ProgressSummary:
    """The summary as of `now` (naive means UTC). Days are local to `tz` (UTC when None). Anything
    stamped after `now`, or with a stamp that does not parse, is left out. Any order is accepted."""
    now = _aware(now)
    finished = [(t, c.started_at) for c in history if (t := parse_time(c.finished_at)) is not None and t <= now]
    return _summary(finished, rated_sessions(checkins, now), now, tz or dt.timezone.utc)


def _summary(finished: list[tuple[dt.datetime, str | None]], rated: list[tuple[str, dt.datetime, int]],
             now: dt.datetime, zone: dt.tzinfo) -> ProgressSummary:
    """`finished`: (time, run stamp as stored) of each session finished by `now`; `rated`: `rated_sessions`."""
    week_start, month_start = now - WEEK, now - MONTH
    week = sum(1 for t, _ in finished if t > week_start)
    month = sum(1 for t, _ in finished if t > month_start)
    today = now.astimezone(zone).date()
    first_shown = today - dt.timedelta(days=DAYS_SHOWN - 1)
    # Newest first, turning times into local days only as far back as the bars and the streak reach.
    per_day: Counter = Counter()
    streak, streak_day, counting = 0, None, True
    for t in sorted((t for t, _ in finished), reverse=True):
        day = t.astimezone(zone).date()
        if day >= first_shown:
            per_day[day] += 1
        if counting:
            if streak_day is None:  # the newest session: a streak ends today or yesterday
                counting = day >= today - dt.timedelta(days=1)
                streak, streak_day = int(counting), day
            elif day < streak_day:  # (a later session on the same day adds nothing)
                counting = day == streak_day - dt.timedelta(days=1)
                streak, streak_day = streak + counting, day
        elif day < first_shown:
            break
    days = [(day, per_day.get(day, 0)) for day in (today - dt.timedelta(days=n) for n in range(DAYS_SHOWN - 1, -1, -1))]

    window = rated[-TREND_SESSIONS:]
    trend = None
    if len(window) >= 2:
        rated_runs = {run for run, _, _ in rated}
        since = window[0][1]
        unrated = sum(1 for t, run in finished if t >= since and _stamp(run) not in rated_runs)
        trend = PainTrend(window[0][2], window[-1][2], len(window), unrated)
    return ProgressSummary(week, month, streak, trend, days, [(at, rating) for _, at, rating in window])


def rated_sessions(checkins: Sequence[CheckIn], now: dt.datetime) -> list[tuple[Any, dt.datetime, int]]:
    """(run key, time, rating) of every rated session up to `now`, oldest first: one per run, its
    `session_rating`. A check-in without a run stands for a session of its own."""
    now = _aware(now)
    runs: dict[Any, list[tuple[dt.datetime, Any]]] = {}
    for index, checkin in enumerate(checkins):
        at = parse_time(checkin.at)
        if at is None or at > now or not _valid_rating(checkin.rating) or checkin.moment not in (START, FINISH):
            continue
        runs.setdefault(checkin.run or ("#", index), []).append((at, checkin))
    sessions = []
    for key, stamped in runs.items():
        chosen = session_rating(stamped)
        if chosen is not None:
            sessions.append((key, chosen[0], chosen[1].rating))
    sessions.sort(key=lambda s: s[1])  # stable: equal times keep the order they were given in
    return sessions


def session_rating(stamped: Sequence[tuple[dt.datetime, Any]]):
    """The (time, check-in) that represents one run: its first start rating, else its last finish
    rating (see the module docstring for why)."""
    starts = [s for s in stamped if s[1].moment == START]
    if starts:
        return min(starts, key=lambda s: s[0])
    finishes = [s for s in stamped if s[1].moment == FINISH]
    return max(finishes, key=lambda s: s[0]) if finishes else None


# -- words --------------------------------------------------------------------------------------


def progress_sentence(summary: ProgressSummary) -> str:
    """What the skill says to "how am I doing": sessions, streak, then the pain trend, in short
    sentences with numbers as words. Every number said is one of the summary's."""
    return " ".join(part for part in (_sessions_sentence(summary), _streak_sentence(summary.streak_days),
                                      _trend_sentence(summary)) if part)


def _sessions_sentence(summary: ProgressSummary) -> str:
    week, month = summary.week, summary.month
    if month == 0:
        return "You haven't finished a session in the last month."
    if week == 0:
        return f"You haven't finished a session this week, and you've done {_sessions(month)} this month."
    if week == month:
        return f"You've done {_sessions(week)} this week."
    return f"You've done {_sessions(week)} this week and {number_words(month)} this month."


def _sessions(n: int) -> str:
    return f"{number_words(n)} session{'' if n == 1 else 's'}"


def _streak_sentence(days: int) -> str:
    if days < 2:  # a "one-day streak" is just a session
        return ""
    if days >= 100:
        return f"You're on a streak of {number_words(days)} days."
    words = number_words(days)
    return f"You're on {'an' if words.startswith('e') else 'a'} {words}-day streak."


def _trend_sentence(summary: ProgressSummary) -> str:
    trend = summary.trend
    if trend is None:
        if summary.ratings:
            return f"Your last pain rating was {number_words(summary.ratings[-1][1])} out of ten."
        return ""
    over = (f"over your last {number_words(trend.sessions)} sessions" if trend.unrated == 0
            else f"over the last {number_words(trend.sessions)} sessions you rated")
    first, last = number_words(trend.first), number_words(trend.last)
    if trend.last < trend.first:
        return f"Your pain has gone from {first} to {last} {over}."
    if trend.last > trend.first:
        return (f"Your pain has gone up from {first} to {last} {over}. "
                "If it keeps rising, check with your physiotherapist.")
    if all(rating == trend.first for _, rating in summary.ratings):
        return f"Your pain has stayed at {first} {over}."
    return f"Your pain has gone up and down {over}, and it's back at {last}, where it started."


def card_text(summary: ProgressSummary) -> str:
    """Plain text for the Alexa app's card: one fact a line, digits."""
    lines = [f"Sessions this week: {summary.week}", f"Sessions in the last 30 days: {summary.month}"]
    if summary.streak_days >= 2:
        lines.append(f"Streak: {summary.streak_days} days in a row")
    trend = summary.trend
    if trend is not None:
        which = "sessions" if trend.unrated == 0 else "rated sessions"
        lines.append(f"Pain (0 to 10): {trend.first} to {trend.last} over the last {trend.sessions} {which}")
    elif summary.ratings:
        lines.append(f"Last pain rating: {summary.ratings[-1][1]} out of 10")
    return "\n".join(lines)


# -- parsing ------------------------------------------------------------------------------------


def _stamp(value: Any) -> str | None:
    """A run stamp as Completed.from_dict keeps it: None unless it is a time."""
    return value if parse_time(value) is not None else None


def _aware(when: dt.datetime) -> dt.datetime:
    return when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)


def _valid_rating(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and MIN_RATING <= value <= MAX_RATING


def session_outcomes(history: Sequence[Completed], checkins: Sequence[CheckIn], routine: str) -> list[SessionOutcome]:
    """The routine's finished sessions as routine_graph.progression reads them: when, at which level, and
    the run's first start rating and last finish rating (tied by the run's stamp, Completed.started_at)."""
    by_run: dict[str, list[CheckIn]] = {}
    for checkin in checkins:
        if checkin.routine == routine and checkin.run and _valid_rating(checkin.rating):
            by_run.setdefault(checkin.run, []).append(checkin)
    outcomes = []
    for done in history:
        finished = parse_time(done.finished_at)
        if done.routine != routine or finished is None:
            continue
        ratings = by_run.get(done.started_at or "", [])
        start = next((c.rating for c in ratings if c.moment == START), None)
        end = next((c.rating for c in reversed(ratings) if c.moment == FINISH), None)
        outcomes.append(SessionOutcome(finished, done.level, start, end))
    return outcomes
