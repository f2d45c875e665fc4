"""`back-routine history` on real SQLite files written by the skill's own adapter."""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from back_routine.cli import main
from skill.history_export import CSV_COLUMNS
from skill.persistence import SQLitePersistenceAdapter
from skill.session_state import UserState, iso
from skill.user_ref import user_ref

ALICE, BOB = "amzn1.ask.account.ALICE", "amzn1.ask.account.BOB"
NOW = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


def alice_state() -> UserState:
    """Five finished sessions over the last five days (the last two rated at start and finish),
    one run rated but not finished, and two "it hurts" reports with what was said."""
    state = UserState(routine="back-pain")
    for days_ago, start, finish in ((5, None, None), (4, None, None), (3, None, None), (2, 6, 5), (1, 4, 3)):
        started = NOW - dt.timedelta(days=days_ago, minutes=30)
        run = iso(started)
        if start is not None:
            state.record_checkin("back-pain", "start", start, started, run)
        state.record_completion("back-pain", "gentle" if days_ago > 3 else "standard", 0.8 if days_ago > 3 else 1.0,
                                started + dt.timedelta(minutes=20), run)
        if finish is not None:
            state.record_checkin("back-pain", "finish", finish, started + dt.timedelta(minutes=21), run)
    unfinished = NOW - dt.timedelta(hours=2)
    state.record_checkin("back-pain", "start", 7, unfinished, iso(unfinished))
    state.record_event("hurt", "back-pain", "exercise 2, set 1", NOW - dt.timedelta(days=2, minutes=20),
                       body_part="leg", body_part_said="thigh", feeling="tingling", feeling_said="pins and needles")
    state.record_event("hurt", "back-pain", "exercise 3", NOW - dt.timedelta(hours=1, minutes=50),
                       said="my calf just cramped, ouch")
    return state


def write(path: Path, users: dict[str, object]) -> SQLitePersistenceAdapter:
    adapter = SQLitePersistenceAdapter(path, partition_keygen=lambda user_id: user_id)
    for user_id, state in users.items():
        adapter.save_attributes(user_id, state.to_attributes() if isinstance(state, UserState) else state)
    return adapter


@pytest.fixture
def db(tmp_path) -> Path:
    path = tmp_path / "progress.sqlite3"
    write(path, {ALICE: alice_state()}).close()
    return path


def run(*args: str):
    return CliRunner().invoke(main, ["history", *args], catch_exceptions=False)


def test_table_shows_sessions_ratings_reports_and_the_summary(db):
    result = run("--db", str(db))
    assert result.exit_code == 0, result.output
    out = result.output
    assert out.startswith(f"History of {user_ref(ALICE)} (times in UTC)")
    assert ALICE not in out  # only the anonymised id
    assert "Sessions (5 finished)" in out
    lines = out.splitlines()
    rated = [line.split() for line in lines if "6/10" in line or "4/10" in line or "7/10" in line]
    assert [r[-2:] for r in rated] == [["6/10", "5/10"], ["4/10", "3/10"], ["7/10", "-"]]
    assert "(not finished)" in " ".join(rated[-1])
    assert sum("gentle" in line and "0.8x" in line for line in lines) == 2
    assert sum("standard" in line and "1x" in line for line in lines) == 3
    first_day = (NOW - dt.timedelta(days=5, minutes=10)).strftime("%Y-%m-%d %H:%M")
    assert any(line.strip().startswith(first_day) for line in lines)
    assert '"It hurts" reports (2)' in out
    assert "exercise 2, set 1  leg (thigh), tingling (pins and needles)" in out
    assert '"my calf just cramped, ouch"' in out
    assert "Sessions this week: 5" in out
    newest = (NOW - dt.timedelta(days=1, minutes=10)).date()  # sessions end ten minutes short of a whole day
    streak = 5 if newest >= NOW.date() - dt.timedelta(days=1) else 0
    assert ("Streak: 5 days in a row" in out) == (streak == 5)
    # Three rated sessions: 6 (two days ago), 4 (yesterday), 7 (today, not finished).
    assert "Pain (0 to 10): 6 to 7 over the last 3 sessions" in out
    assert "Your pain has gone up from six to seven over your last three sessions." in out


def test_the_time_zone_moves_a_late_session_to_its_local_day(tmp_path):
    late = dt.datetime(2024, 3, 29, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=-4)))  # New York, 03:30 UTC next day
    state = UserState()
    state.record_completion("back-pain", "standard", 1.0, late, iso(late - dt.timedelta(minutes=20)))
    path = tmp_path / "p.sqlite3"
    write(path, {ALICE: state}).close()
    assert "2024-03-30 03:30" in run("--db", str(path)).output
    local = run("--db", str(path), "--tz", "America/New_York").output
    assert "2024-03-29 23:30" in local and "(times in America/New_York)" in local


def test_csv_has_one_row_per_session_rating_and_report(db):
    result = run("--db", str(db), "--csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert tuple(rows[0].keys()) == CSV_COLUMNS
    kinds = [r["type"] for r in rows]
    assert kinds.count("session") == 5 and kinds.count("rating") == 5 and kinds.count("report") == 2
    times = [dt.datetime.fromisoformat(r["at"]) for r in rows]
    assert times == sorted(times) and all(t.utcoffset() == dt.timedelta(0) for t in times)
    state = alice_state()
    assert [r["at"] for r in rows if r["type"] == "session"] == [c.finished_at for c in state.history]
    assert [(r["moment"], int(r["rating"]), r["run"]) for r in rows if r["type"] == "rating"] == \
        [(c.moment, c.rating, c.run) for c in state.checkins]
    sessions = [r for r in rows if r["type"] == "session"]
    assert [r["run"] for r in sessions] == [c.started_at for c in state.history]
    assert [(r["level"], float(r["pace"])) for r in sessions][:2] == [("gentle", 0.8), ("gentle", 0.8)]
    reports = [r for r in rows if r["type"] == "report"]
    assert (reports[0]["where"], reports[0]["body_part_said"], reports[0]["feeling_said"]) == \
        ("exercise 2, set 1", "thigh", "pins and needles")
    assert reports[1]["said"] == "my calf just cramped, ouch"
    assert all(r["rating"] == "" for r in rows if r["type"] != "rating")


def test_png_is_written_and_decodes_to_a_chart(db, tmp_path):
    from matplotlib import image

    out = tmp_path / "chart.png"
    result = run("--db", str(db), "--png", str(out))
    assert result.exit_code == 0, result.output
    assert result.output == f"wrote {out}\n"
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    pixels = image.imread(out)
    assert pixels.shape[0] >= 400 and pixels.shape[1] >= 600
    assert pixels[..., :3].std() > 0.05  # drawn on, not a blank page
    # The bars are the one blue; the "it hurts" marks the one red.
    blue = ((abs(pixels[..., 0] - 0x4A / 255) < 0.02) & (abs(pixels[..., 2] - 0xB5 / 255) < 0.02)).sum()
    red = ((abs(pixels[..., 0] - 0xC0 / 255) < 0.02) & (abs(pixels[..., 1] - 0x39 / 255) < 0.02)).sum()
    assert blue > 1000 and red > 10


def test_png_of_a_user_with_nothing_yet(tmp_path):
    path, out = tmp_path / "p.sqlite3", tmp_path / "empty.png"
    write(path, {ALICE: UserState(routine="back-pain")}).close()
    assert run("--db", str(path), "--png", str(out)).exit_code == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_users_are_named_by_anonymised_or_raw_id(tmp_path):
    path = tmp_path / "p.sqlite3"
    bob = UserState()
    bob.record_completion("back-pain", "standard", 1.0, NOW - dt.timedelta(days=1))
    write(path, {ALICE: alice_state(), BOB: bob}).close()

    several = run("--db", str(path))
    assert several.exit_code == 2
    assert "2 users in this file; pass --user" in several.output
    assert user_ref(ALICE) in several.output and user_ref(BOB) in several.output
    assert ALICE not in several.output and BOB not in several.output
    listed = {line.split()[0]: line.split()[1] for line in several.output.splitlines() if line.strip().startswith("user:")}
    assert listed == {user_ref(ALICE): "5", user_ref(BOB): "1"}

    for name in (user_ref(BOB), user_ref(BOB).removeprefix("user:"), user_ref(BOB).upper(), BOB):
        result = run("--db", str(path), "--user", name)
        assert result.exit_code == 0, name
        assert f"History of {user_ref(BOB)}" in result.output and "Sessions (1 finished)" in result.output

    unknown = run("--db", str(path), "--user", "user:000000000000")
    assert unknown.exit_code == 2
    assert "no user 'user:000000000000' in this file" in unknown.output and user_ref(ALICE) in unknown.output


def test_a_missing_file_is_exit_2_and_is_not_created(tmp_path):
    missing = tmp_path / "nope.sqlite3"
    result = run("--db", str(missing))
    assert result.exit_code == 2
    assert f"{missing} does not exist" in result.output
    assert not missing.exists()


def test_not_a_skill_file_is_exit_2_and_left_as_it_was(tmp_path):
    text = tmp_path / "notes.sqlite3"
    text.write_text("these are not the droids\n" * 200)
    result = run("--db", str(text))
    assert result.exit_code == 2 and "is not a SQLite database" in result.output

    other = tmp_path / "other.sqlite3"
    with sqlite3.connect(other) as connection:
        connection.execute("CREATE TABLE things (a)")
    before = other.read_bytes()
    result = run("--db", str(other))
    assert result.exit_code == 2 and "is not the skill's progress file" in result.output
    assert other.read_bytes() == before  # no table was created

    empty = tmp_path / "empty.sqlite3"
    adapter = write(empty, {})
    assert adapter.get_attributes(ALICE) == {}  # the table is made, nobody is in it
    adapter.close()
    result = run("--db", str(empty))
    assert result.exit_code == 2 and "nobody has used the skill with this file yet" in result.output


def test_reading_changes_nothing_and_sees_a_live_servers_latest_writes(tmp_path):
    path = tmp_path / "live.sqlite3"
    adapter = write(path, {ALICE: alice_state()})  # left open, as a running server keeps it: the row is in the WAL
    try:
        before = hashlib.sha256(path.read_bytes()).hexdigest()
        result = run("--db", str(path), "--csv")
        assert result.exit_code == 0
        assert sum(1 for line in result.output.splitlines() if line.startswith("session,")) == 5
        assert hashlib.sha256(path.read_bytes()).hexdigest() == before
        state = alice_state()
        state.record_completion("back-pain", "standard", 1.0, NOW)
        adapter.save_attributes(ALICE, state.to_attributes())
        again = run("--db", str(path), "--csv")
        assert sum(1 for line in again.output.splitlines() if line.startswith("session,")) == 6
    finally:
        adapter.close()


def test_a_damaged_row_reads_as_empty(tmp_path):
    path = tmp_path / "p.sqlite3"
    write(path, {ALICE: alice_state()}).close()
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE persistent_attributes SET attributes = '{not json'")
    result = run("--db", str(path))
    assert result.exit_code == 0
    assert "Sessions (0 finished)" in result.output and "none yet" in result.output


@pytest.mark.parametrize("args, message", [
    (["--csv", "--png", "x.png"], "--csv and --png are alternatives"),
    (["--tz", "Mars/Olympus"], "--tz 'Mars/Olympus' is not a time zone name"),
])
def test_bad_options_are_exit_2(db, args, message):
    result = run("--db", str(db), *args)
    assert result.exit_code == 2 and message in result.output


def test_png_into_a_missing_folder_is_exit_2(db, tmp_path):
    result = run("--db", str(db), "--png", str(tmp_path / "no" / "such" / "chart.png"))
    assert result.exit_code == 2 and "cannot write" in result.output
