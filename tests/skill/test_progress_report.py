"""skill/progress_report.py: the summary recomputed independently over generated histories, and the
sentence parsed back into numbers that must be the summary's (no false claims)."""
from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from routine_graph.words import number_words
from skill.progress_report import PainTrend, ProgressSummary, card_text, progress_sentence, summarise
from skill.session_state import CheckIn, Completed, iso

UTC = dt.timezone.utc
NOW = dt.datetime(2024, 3, 31, 9, 30, tzinfo=UTC)  # the morning European clocks go forward
WORDS = {number_words(n): n for n in range(0, 2000)}
ZONES = [None, ZoneInfo("UTC"), ZoneInfo("Europe/London"), ZoneInfo("America/Los_Angeles"), ZoneInfo("Asia/Kolkata"),
         ZoneInfo("Pacific/Chatham"), ZoneInfo("Pacific/Kiritimati"), ZoneInfo("America/St_Johns")]


def completed(finished: dt.datetime, started: dt.datetime | None = None, routine: str = "back") -> Completed:
    return Completed(routine=routine, finished_at=iso(finished), level="standard", pace=1.0,
                     started_at=iso(started) if started else None)


def checkin(at: dt.datetime, rating: int, moment: str = "start", run: dt.datetime | None = None) -> CheckIn:
    return CheckIn(at=iso(at), routine="back", moment=moment, rating=rating, run=iso(run) if run else None)


# -- generated histories ---------------------------------------------------------------------------

# One run: when it started (seconds before NOW; negative is after NOW, which must be ignored), how long
# it took, whether it was finished, and its start and finish ratings (None: not given). The start is
# the run's key (run_started), so no two runs start in the same second.
runs = st.lists(st.tuples(st.integers(-3 * 86400, 45 * 86400), st.integers(60, 3600), st.booleans(),
                          st.none() | st.integers(0, 10), st.none() | st.integers(0, 10)),
                max_size=40, unique_by=lambda run: run[0])
# Ratings given outside any run (run None).
loose = st.lists(st.tuples(st.integers(0, 45 * 86400), st.integers(0, 10), st.sampled_from(["start", "finish"])),
                 max_size=4)


def build(run_specs, loose_specs):
    """Completed sessions and check-ins, plus the plain facts each test recomputes from."""
    history, checkins, facts = [], [], []
    for ago, length, finished, start, finish in sorted(run_specs, key=lambda r: -r[0]):
        started = NOW - dt.timedelta(seconds=ago)
        ended = started + dt.timedelta(seconds=length)
        if start is not None:
            checkins.append(checkin(started + dt.timedelta(seconds=5), start, "start", started))
        if finished:
            history.append(completed(ended, started))
        if finish is not None:
            checkins.append(checkin(ended + dt.timedelta(seconds=30), finish, "finish", started))
        facts.append(dict(started=started, ended=ended, finished=finished, start=start, finish=finish))
    for ago, rating, moment in loose_specs:
        at = NOW - dt.timedelta(seconds=ago)
        checkins.append(checkin(at, rating, moment))
        facts.append(dict(started=at, ended=at, finished=False, start=rating if moment == "start" else None,
                          finish=rating if moment == "finish" else None, loose=True))
    return history, checkins, facts


def expected_trend(facts):
    """(time of the rating, rating) for each rated session up to NOW: the start rating, else the finish's."""
    rated = []
    for f in facts:
        if f["start"] is not None:
            at = f["started"] if f.get("loose") else f["started"] + dt.timedelta(seconds=5)
            rated.append((at, f["start"]))
        elif f["finish"] is not None:
            at = f["ended"] if f.get("loose") else f["ended"] + dt.timedelta(seconds=30)
            rated.append((at, f["finish"]))
    rated = sorted((r for r in rated if r[0] <= NOW), key=lambda r: r[0])  # stable: ties keep the order given
    return rated[-8:]


@settings(max_examples=300, deadline=None)
@given(runs, loose, st.sampled_from(ZONES))
def test_counts_streak_and_days_match_an_independent_count(run_specs, loose_specs, zone):
    history, checkins, facts = build(run_specs, loose_specs)
    summary = summarise(history, checkins, NOW, zone)
    ends = [f["ended"] for f in facts if f["finished"] and f["ended"] <= NOW]
    assert summary.week == sum(1 for e in ends if (NOW - e).total_seconds() < 7 * 86400)
    assert summary.month == sum(1 for e in ends if (NOW - e).total_seconds() < 30 * 86400)

    local = zone or UTC
    today = NOW.astimezone(local).date()
    active = {e.astimezone(local).date() for e in ends}
    streak = 0
    for first in (today, today - dt.timedelta(days=1)):
        k = 0
        while first - dt.timedelta(days=k) in active:
            k += 1
        if k:
            streak = k
            break
    assert summary.streak_days == streak

    assert [d for d, _ in summary.days] == [today - dt.timedelta(days=13 - i) for i in range(14)]
    for day, count in summary.days:
        assert count == sum(1 for e in ends if e.astimezone(local).date() == day)


@settings(max_examples=300, deadline=None)
@given(runs, loose, st.sampled_from(ZONES))
def test_any_history_gives_a_true_trend_statement(run_specs, loose_specs, zone):
    history, checkins, facts = build(run_specs, loose_specs)
    summary = summarise(history, checkins, NOW, zone)
    window = expected_trend(facts)
    assert [r for _, r in summary.ratings] == [r for _, r in window]
    assert [t for t, _ in summary.ratings] == [t for t, _ in window]
    sentence = progress_sentence(summary)
    said = re.findall(r"[a-z]+(?:-[a-z]+)?", sentence.lower())
    if len(window) < 2:
        assert summary.trend is None
        if window:
            assert f"Your last pain rating was {number_words(window[-1][1])} out of ten." in sentence
        else:
            assert "pain" not in sentence
        return
    first, last, sessions = window[0][1], window[-1][1], len(window)
    assert summary.trend is not None and (summary.trend.first, summary.trend.last, summary.trend.sessions) == (first, last, sessions)
    # "your last N sessions" only when no finished session since the first of them went unrated.
    # (A rating stamped after NOW is not given yet: a session finished just now may still be unrated.)
    def rated_by_now(f) -> bool:
        return ((f["start"] is not None and f["started"] + dt.timedelta(seconds=5) <= NOW)
                or (f["finish"] is not None and f["ended"] + dt.timedelta(seconds=30) <= NOW))

    unrated = any(f["finished"] and not rated_by_now(f) and window[0][0] <= f["ended"] <= NOW for f in facts)
    over = re.search(r"over (your last|the last) ([a-z-]+) sessions( you rated)?", sentence)
    assert over and WORDS[over.group(2)] == sessions
    assert (over.group(1) == "the last" and over.group(3)) if unrated else (over.group(1) == "your last" and not over.group(3))
    if first != last:
        moved = re.search(r"Your pain has gone (up )?from ([a-z-]+) to ([a-z-]+) over", sentence)
        assert moved and (WORDS[moved.group(2)], WORDS[moved.group(3)]) == (first, last)
        assert bool(moved.group(1)) == (last > first)
    elif all(r == first for _, r in window):
        stayed = re.search(r"Your pain has stayed at ([a-z-]+) over", sentence)
        assert stayed and WORDS[stayed.group(1)] == first
    else:
        back = re.search(r"Your pain has gone up and down over .*, and it's back at ([a-z-]+), where it started\.", sentence)
        assert back and WORDS[back.group(1)] == first
    # No digit is ever spoken, and the sessions said are the summary's.
    assert not re.search(r"\d", sentence)
    assert number_words(summary.week) in said or summary.week == 0


@settings(max_examples=200, deadline=None)
@given(runs, st.sampled_from(ZONES))
def test_sessions_sentence_says_the_counts(run_specs, zone):
    history, checkins, _ = build(run_specs, [])
    summary = summarise(history, checkins, NOW, zone)
    sentence = progress_sentence(summary)
    first = sentence.split(". ")[0]
    if summary.month == 0:
        assert first.startswith("You haven't finished a session in the last month")
    elif summary.week == 0:
        m = re.match(r"You haven't finished a session this week, and you've done ([a-z -]+?) sessions? this month", first)
        assert m and WORDS[m.group(1)] == summary.month
    else:
        m = re.match(r"You've done ([a-z -]+?) sessions? this week(?: and ([a-z -]+?) this month)?", first)
        assert m and WORDS[m.group(1)] == summary.week
        assert WORDS[m.group(2)] == summary.month if m.group(2) else summary.month == summary.week
    streak = re.search(r"You're on an? ([a-z-]+)-day streak", sentence)
    if summary.streak_days >= 2:
        assert streak and WORDS[streak.group(1)] == summary.streak_days
    else:
        assert streak is None and "streak" not in sentence


# -- the cases by name ---------------------------------------------------------------------------------


def sessions_on(days_ago: list[int], hour: int = 8) -> list[Completed]:
    out = []
    for ago in days_ago:
        end = (NOW - dt.timedelta(days=ago)).replace(hour=hour, minute=20)
        out.append(completed(end, end - dt.timedelta(minutes=20)))
    return out


def test_the_issue_example_word_for_word():
    # Three sessions this week (today, 1 and 2 days ago), eleven in 30 days, three days in a row.
    history = sessions_on([25, 20, 16, 14, 12, 10, 9, 8, 2, 1, 0])
    ratings = [6, 7, 5, 6, 5, 4, 5, 4]
    checkins = [checkin(dt.datetime.fromisoformat(c.started_at) + dt.timedelta(seconds=5), r, "start",
                        dt.datetime.fromisoformat(c.started_at)) for c, r in zip(history[-8:], ratings)]
    summary = summarise(history, checkins, NOW)
    assert (summary.week, summary.month, summary.streak_days) == (3, 11, 3)
    assert summary.trend == PainTrend(6, 4, 8, 0)
    assert progress_sentence(summary) == ("You've done three sessions this week and eleven this month. "
                                          "You're on a three-day streak. "
                                          "Your pain has gone from six to four over your last eight sessions.")


def test_start_rating_stands_for_the_session_and_finish_is_the_fallback():
    a, b = NOW - dt.timedelta(days=2), NOW - dt.timedelta(days=1)
    history = [completed(a + dt.timedelta(minutes=20), a), completed(b + dt.timedelta(minutes=20), b)]
    checkins = [checkin(a, 7, "start", a), checkin(a + dt.timedelta(minutes=21), 2, "finish", a),
                checkin(b + dt.timedelta(minutes=21), 5, "finish", b)]
    summary = summarise(history, checkins, NOW)
    assert summary.trend == PainTrend(7, 5, 2, 0)
    assert [r for _, r in summary.ratings] == [7, 5]
    assert summary.ratings[0][0] == a
    assert "from seven to five over your last two sessions" in progress_sentence(summary)


def test_unrated_sessions_in_between_change_the_wording():
    a, b, c = (NOW - dt.timedelta(days=d) for d in (3, 2, 1))
    history = [completed(t + dt.timedelta(minutes=20), t) for t in (a, b, c)]
    summary = summarise(history, [checkin(a, 5, "start", a), checkin(c, 3, "start", c)], NOW)
    assert summary.trend == PainTrend(5, 3, 2, 1)
    assert "from five to three over the last two sessions you rated" in progress_sentence(summary)
    assert "Pain (0 to 10): 5 to 3 over the last 2 rated sessions" in card_text(summary)


def test_rising_steady_and_up_and_down():
    def say(ratings):
        times = [NOW - dt.timedelta(days=len(ratings) - i) for i in range(len(ratings))]
        return progress_sentence(summarise([], [checkin(t, r, "start", t) for t, r in zip(times, ratings)], NOW))

    assert "Your pain has gone up from three to six over your last three sessions. If it keeps rising" in say([3, 4, 6])
    assert "Your pain has stayed at four over your last two sessions." in say([4, 4])
    assert "Your pain has gone up and down over your last three sessions, and it's back at four, where it started." in say([4, 6, 4])
    # A rated run that was never finished still counts as a session for the trend.
    assert say([4, 6, 4]).startswith("You haven't finished a session in the last month.")


def test_one_rating_and_none():
    assert progress_sentence(summarise([], [], NOW)) == "You haven't finished a session in the last month."
    one = summarise(sessions_on([0]), [checkin(NOW - dt.timedelta(hours=1), 4)], NOW)
    assert one.trend is None
    assert progress_sentence(one) == "You've done one session this week. Your last pain rating was four out of ten."
    assert card_text(one) == "Sessions this week: 1\nSessions in the last 30 days: 1\nLast pain rating: 4 out of 10"


def test_a_session_at_half_past_eleven_local_counts_on_its_local_day():
    new_york = ZoneInfo("America/New_York")
    late = dt.datetime(2024, 3, 29, 23, 30, tzinfo=new_york)  # 03:30 UTC on the 30th
    now = dt.datetime(2024, 3, 30, 10, 0, tzinfo=new_york)
    summary = summarise([completed(late, late - dt.timedelta(minutes=20))], [], now, new_york)
    assert summary.days[-2:] == [(dt.date(2024, 3, 29), 1), (dt.date(2024, 3, 30), 0)]
    assert summary.streak_days == 1  # yesterday, locally
    in_utc = summarise([completed(late, late - dt.timedelta(minutes=20))], [], now)
    assert in_utc.days[-1] == (dt.date(2024, 3, 30), 1)


def test_streak_ends_today_or_yesterday_only():
    assert summarise(sessions_on([1, 2, 3]), [], NOW).streak_days == 3
    assert summarise(sessions_on([0, 1, 2, 3]), [], NOW).streak_days == 4
    assert summarise(sessions_on([2, 3, 4]), [], NOW).streak_days == 0
    assert summarise(sessions_on([0, 0, 2]), [], NOW).streak_days == 1
    sentence = progress_sentence(summarise(sessions_on(list(range(11))), [], NOW))
    assert "You're on an eleven-day streak." in sentence


def test_bad_and_future_entries_are_left_out():
    past = NOW - dt.timedelta(days=1)
    future = NOW + dt.timedelta(hours=1)
    history = [completed(past, past - dt.timedelta(minutes=20)), completed(future)]
    checkins = [checkin(past, 3), checkin(future, 9), CheckIn(at="not a time", routine="back", moment="start", rating=5, run=None),
                CheckIn(at=iso(past), routine="back", moment="start", rating=11, run=None),
                CheckIn(at=iso(past), routine="back", moment="during", rating=2, run=None)]
    summary = summarise(history, checkins, NOW)
    assert (summary.week, summary.month) == (1, 1)
    assert summary.ratings == [(past, 3)]


def test_naive_now_means_utc():
    naive = NOW.replace(tzinfo=None)
    assert summarise(sessions_on([0, 1]), [], naive) == summarise(sessions_on([0, 1]), [], NOW)


def test_card_text_has_digits_and_no_claims_it_cannot_back():
    summary = ProgressSummary(week=3, month=11, streak_days=4, trend=PainTrend(6, 4, 8), days=[], ratings=[])
    assert card_text(summary) == ("Sessions this week: 3\nSessions in the last 30 days: 11\nStreak: 4 days in a row\n"
                                  "Pain (0 to 10): 6 to 4 over the last 8 sessions")


@pytest.mark.parametrize("days, words", [(2, "a two-day"), (8, "an eight-day"), (18, "an eighteen-day"),
                                         (21, "a twenty-one-day"), (80, "an eighty-day")])
def test_streak_articles(days, words):
    summary = ProgressSummary(week=7, month=days, streak_days=days, trend=None, days=[], ratings=[])
    assert f"You're on {words} streak." in progress_sentence(summary)
