"""One user's record written out for `back-routine history` (skill/history_cli.py): the table of
sessions, pain ratings and "it hurts" reports with the summary, the CSV, and the PNG chart.

The summary is skill/progress_report.py's, so the export and "how am I doing" cannot disagree.
"""
from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .user_ref import user_ref

if TYPE_CHECKING:
    from .history_cli import StoredUser
    from .progress_report import ProgressSummary
    from .session_state import Completed, UserState

# The skill's modules and matplotlib are imported where they are used, so `back-routine` starts as
# fast for every other command (skill/history_cli.py is imported with them all).

CSV_COLUMNS = ("type", "at", "routine", "level", "pace", "run", "moment", "rating", "where",
               "body_part", "body_part_said", "feeling", "feeling_said", "said")


class HistoryError(Exception):
    """Bad input (the file, the user, the chart's path): said on stderr, exit 2 (skill/history_cli.py)."""


# -- one user's history as rows ----------------------------------------------------------------------


@dataclass(frozen=True)
class SessionRow:
    """A finished session, or a run that was rated but never finished (`completed` None)."""

    at: dt.datetime  # finished, or started when never finished
    routine: str
    completed: Completed | None
    run: str | None
    start: int | None
    finish: int | None


def session_rows(state: UserState) -> list[SessionRow]:
    """Each finished session with its start and finish ratings (tied by the run stamp), then each
    rated run that was not finished, in time order."""
    by_run: dict[str, list] = {}
    for index, checkin in enumerate(state.checkins):
        by_run.setdefault(checkin.run or f"#{index}", []).append(checkin)
    rows = []
    for completed in state.history:
        run = completed.started_at
        rows.append(_row(_when(completed.finished_at), completed.routine, completed, run,
                         by_run.pop(run, []) if run else []))
    for checkins in by_run.values():
        first = min(checkins, key=lambda c: _when(c.at))
        rows.append(_row(_when(first.run or first.at), first.routine, None, first.run, checkins))
    return sorted(rows, key=lambda r: r.at)


def _row(at: dt.datetime, routine: str, completed: Completed | None, run: str | None, checkins: list) -> SessionRow:
    from .session_state import CHECKIN_FINISH as FINISH, CHECKIN_START as START

    starts = sorted((c for c in checkins if c.moment == START), key=lambda c: _when(c.at))
    finishes = sorted((c for c in checkins if c.moment == FINISH), key=lambda c: _when(c.at))
    return SessionRow(at, routine, completed, run, starts[0].rating if starts else None,
                      finishes[-1].rating if finishes else None)


def _when(stamp: str | None) -> dt.datetime:
    try:
        when = dt.datetime.fromisoformat(stamp or "")
    except ValueError:
        return dt.datetime.min.replace(tzinfo=dt.timezone.utc)
    return when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)


# -- output ------------------------------------------------------------------------------------------


def render_text(name: str, state: UserState, summary: ProgressSummary, zone: dt.tzinfo) -> str:
    from .progress_report import card_text, progress_sentence

    def local(when: dt.datetime) -> str:
        return when.astimezone(zone).strftime("%Y-%m-%d %H:%M")

    out = [f"History of {name} (times in {zone})", ""]
    sessions = session_rows(state)
    out.append(f"Sessions ({sum(1 for r in sessions if r.completed)} finished)")
    if sessions:
        out.append(_table(("date", "routine", "level", "pace", "pain at start", "pain at finish"), [
            (local(r.at), r.routine,
             r.completed.level or "-" if r.completed else "(not finished)",
             f"{r.completed.pace:g}x" if r.completed else "-",
             _rating(r.start), _rating(r.finish)) for r in sessions]))
    else:
        out.append("  none yet")
    reports = [e for e in state.events if e.kind == "hurt"]
    out += ["", f'"It hurts" reports ({len(reports)})']
    if reports:
        out.append(_table(("date", "routine", "where", "what was said"), [
            (local(_when(e.at)), e.routine, e.where, _said(e)) for e in sorted(reports, key=lambda e: _when(e.at))]))
    else:
        out.append("  none")
    out += ["", "Summary", card_text(summary), "", f'Said for "how am I doing": {progress_sentence(summary)}']
    return "\n".join(out) + "\n"


def _rating(value: int | None) -> str:
    return "-" if value is None else f"{value}/10"


def _said(event) -> str:
    parts = []
    for value, heard in ((event.body_part, event.body_part_said), (event.feeling, event.feeling_said)):
        if value or heard:
            parts.append(f"{value} ({heard})" if value and heard and heard != value else (value or heard))
    if event.said:
        parts.append(f'"{event.said}"')
    return ", ".join(parts) or "-"


def users_table(users: list[StoredUser]) -> str:
    rows = [(user_ref(u.user_id), str(len(u.state.history)), u.state.history[-1].finished_at if u.state.history else "-")
            for u in users]
    return _table(("user", "sessions", "last session (UTC)"), rows)


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows)]
    lines = [header, tuple("-" * w for w in widths), *rows]
    return "\n".join("  " + "  ".join(str(cell).ljust(w) for cell, w in zip(line, widths)).rstrip() for line in lines)


def write_csv(state: UserState, out) -> None:
    """One row per session, rating or report (`type`), in time order; times are ISO 8601 UTC as stored."""
    rows: list[tuple[dt.datetime, int, dict[str, Any]]] = []
    for c in state.history:
        rows.append((_when(c.finished_at), 0, {"type": "session", "at": c.finished_at, "routine": c.routine,
                                               "level": c.level, "pace": c.pace, "run": c.started_at}))
    for c in state.checkins:
        rows.append((_when(c.at), 1, {"type": "rating", "at": c.at, "routine": c.routine, "run": c.run,
                                      "moment": c.moment, "rating": c.rating}))
    for e in state.events:
        rows.append((_when(e.at), 2, {"type": "report" if e.kind == "hurt" else e.kind, "at": e.at, "routine": e.routine,
                                      "where": e.where, "body_part": e.body_part, "body_part_said": e.body_part_said,
                                      "feeling": e.feeling, "feeling_said": e.feeling_said, "said": e.said}))
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for _, _, row in sorted(rows, key=lambda r: (r[0], r[1])):
        writer.writerow({k: "" if v is None else v for k, v in row.items()})


def write_png(name: str, state: UserState, zone: dt.tzinfo, path: Path) -> None:
    """Sessions per week (bars, weeks from Monday, local) above the pain ratings over time (start and
    finish as two lines, "it hurts" reports as marks)."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
        from matplotlib.figure import Figure
    except ImportError:
        raise click.ClickException("--png needs matplotlib: pip install matplotlib") from None

    from .session_state import CHECKIN_FINISH as FINISH, CHECKIN_START as START

    figure = Figure(figsize=(9, 6), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)  # the Agg canvas, with no pyplot and no display
    weekly, pain = figure.subplots(2, 1)
    figure.suptitle(f"Back routine: {name}")

    weeks = _sessions_per_week(state, zone)
    if weeks:
        weekly.bar([w for w, _ in weeks], [n for _, n in weeks], width=6, align="edge", color="#4a7ab5")
        weekly.yaxis.get_major_locator().set_params(integer=True)
    else:
        weekly.text(0.5, 0.5, "no finished sessions", ha="center", va="center", transform=weekly.transAxes)
    weekly.set_title("Sessions finished per week (weeks from Monday)")
    weekly.set_ylabel("sessions")

    checkins = sorted(state.checkins, key=lambda c: _when(c.at))
    for moment, style, label in ((START, "o-", "before the session"), (FINISH, "s--", "after the session")):
        points = [(_when(c.at).astimezone(zone), c.rating) for c in checkins if c.moment == moment]
        if points:
            pain.plot([t for t, _ in points], [r for _, r in points], style, markersize=4, label=label)
    reports = [_when(e.at).astimezone(zone) for e in state.events if e.kind == "hurt"]
    if reports:
        pain.plot(reports, [10.3] * len(reports), "x", color="#c0392b", label='"it hurts" report')
    if not checkins and not reports:
        pain.text(0.5, 0.5, "no pain ratings", ha="center", va="center", transform=pain.transAxes)
    else:
        pain.legend(loc="lower left", fontsize="small")
    pain.set_ylim(-0.5, 10.8)
    pain.set_yticks(range(0, 11, 2))
    pain.set_title("Pain ratings (0 to 10)")
    pain.set_ylabel("rating")
    for axes in (weekly, pain):
        axes.grid(axis="y", alpha=0.3)
    if weeks or checkins or reports:
        times = [w for w, _ in weeks] + [_when(c.at).astimezone(zone) for c in checkins] + reports
        low, high = min(times), max(times) + dt.timedelta(days=7)
        for axes in (weekly, pain):
            axes.set_xlim(low - dt.timedelta(days=1), high)
            locator = AutoDateLocator(tz=zone)
            axes.xaxis.set_major_locator(locator)
            axes.xaxis.set_major_formatter(ConciseDateFormatter(locator, tz=zone))
    try:
        figure.savefig(path, format="png")
    except OSError as exc:
        raise HistoryError(f"cannot write {path}: {exc.strerror or exc}") from None


def _sessions_per_week(state: UserState, zone: dt.tzinfo) -> list[tuple[dt.datetime, int]]:
    """(local Monday 00:00, sessions finished that week) from the first week to the last, empty
    weeks included so gaps show."""
    days = [_when(c.finished_at).astimezone(zone).date() for c in state.history]
    if not days:
        return []
    mondays = [d - dt.timedelta(days=d.weekday()) for d in days]
    counts: dict[dt.date, int] = {}
    for monday in mondays:
        counts[monday] = counts.get(monday, 0) + 1
    week, last, weeks = min(mondays), max(mondays), []
    while week <= last:
        weeks.append((dt.datetime.combine(week, dt.time(), zone), counts.get(week, 0)))
        week += dt.timedelta(days=7)
    return weeks
