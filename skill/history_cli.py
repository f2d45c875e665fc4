"""`back-routine history`: one user's sessions, pain ratings and "it hurts" reports, for a clinician.

Reads the skill's SQLite file (the table skill/persistence.py's SQLitePersistenceAdapter writes)
read-only, so it can run beside a live `serve` and never creates or changes a file, and picks the
user; the user's record is parsed the way the skill parses it (`UserState.from_attributes`) and
written as a table, CSV or chart by skill/history_export.py.

Users are named by the anonymised id the logs show (skill/user_ref.py), never by their Alexa id.
"""
from __future__ import annotations

import datetime as dt
import inspect
import json
import sqlite3
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click

from .history_export import HistoryError, render_text, users_table, write_csv, write_png
from .user_ref import user_ref

if TYPE_CHECKING:
    from .session_state import UserState

# The skill's modules are imported where they are used, as the other commands in skill/cli.py do, so
# `back-routine` starts as fast as before for every other command (skill/history_export.py likewise).


# -- reading the store -------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredUser:
    user_id: str
    state: UserState


class Store:
    """The skill's SQLite file, opened read-only: `mode=ro` never creates the file or its table, and
    can read beside a live server (WAL readers do not block its writer)."""

    def __init__(self, path: Path) -> None:
        from .persistence import SQLitePersistenceAdapter

        # The adapter's own default table, so a change there is followed here.
        self.table = inspect.signature(SQLitePersistenceAdapter).parameters["table_name"].default
        if not path.exists():
            raise HistoryError(f"{path} does not exist: pass the file the skill keeps progress in "
                               "(back-routine serve --db, default back-routine.sqlite3)")
        if not path.is_file():
            raise HistoryError(f"{path} is not a file: pass the SQLite file given to back-routine serve --db")
        try:
            self.connection = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
        except sqlite3.Error as exc:
            raise HistoryError(f"cannot open {path}: {exc}") from None
        try:
            columns = {row[1] for row in self.connection.execute(f"PRAGMA table_info({self.table})")}
        except sqlite3.DatabaseError as exc:
            self.connection.close()
            raise HistoryError(f"{path} is not a SQLite database ({exc}): pass the file given to "
                               "back-routine serve --db") from None
        if not {"id", "attributes"} <= columns:
            self.connection.close()
            raise HistoryError(f"{path} is not the skill's progress file: it has no {self.table} table with id and "
                               "attributes (pass the file given to back-routine serve --db)")

    def close(self) -> None:
        self.connection.close()

    def users(self) -> list[StoredUser]:
        rows = self.connection.execute(f"SELECT id, attributes FROM {self.table}")
        return sorted((StoredUser(user_id, _state(document)) for user_id, document in rows),
                      key=lambda user: user_ref(user.user_id))

    def find(self, wanted: str | None) -> StoredUser:
        """The user named by their Alexa id or anonymised id; without a name, the only user there is."""
        if wanted is not None:
            row = self.connection.execute(f"SELECT id, attributes FROM {self.table} WHERE id = ?", (wanted,)).fetchone()
            if row is not None:
                return StoredUser(row[0], _state(row[1]))
        users = self.users()
        if wanted is None:
            if len(users) == 1:
                return users[0]
            if not users:
                raise HistoryError("nobody has used the skill with this file yet: there is no history to show")
            raise HistoryError(f"{len(users)} users in this file; pass --user with one of these ids:\n"
                               + users_table(users))
        ref = wanted.strip().lower()
        ref = ref if ref.startswith("user:") else "user:" + ref
        matches = [user for user in users if user_ref(user.user_id) == ref]
        if len(matches) != 1:
            raise HistoryError(f"no user {wanted!r} in this file; --user takes an id from this list "
                               "(or the user's Alexa id):\n" + users_table(users))
        return matches[0]


def _state(document: Any) -> UserState:
    from .session_state import UserState

    # A damaged row is shown as empty, as the skill itself treats it (skill/persistence.py).
    try:
        attributes = json.loads(document)
    except (TypeError, ValueError):
        attributes = None
    return UserState.from_attributes(attributes)


# -- the command -------------------------------------------------------------------------------------


@click.command("history")
@click.option("--db", "db", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The skill's SQLite progress file (back-routine serve --db); opened read-only.")
@click.option("--user", "user", default=None,
              help="Whose history: the anonymised id the logs show (user:1a2b3c4d5e6f) or the Alexa user id. "
                   "Not needed when the file has one user.")
@click.option("--csv", "as_csv", is_flag=True, help="Write CSV to stdout: one row per session, rating or report.")
@click.option("--png", "png", default=None, type=click.Path(dir_okay=False, path_type=Path),
              help="Write a chart to this PNG file: sessions per week and pain ratings over time.")
@click.option("--tz", "tz_name", default="UTC", show_default=True,
              help="Time zone for dates, days and the streak (an IANA name such as Europe/London).")
def history(db: Path, user: str | None, as_csv: bool, png: Path | None, tz_name: str) -> None:
    """Export one user's sessions, pain ratings and "it hurts" reports (a table, CSV or a chart)."""
    if as_csv and png is not None:
        _fail("--csv and --png are alternatives: pass one of them (or neither, for the table)")
    try:
        zone = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        _fail(f"--tz {tz_name!r} is not a time zone name; use an IANA name such as UTC or Europe/London")
    try:
        store = Store(db)
        try:
            found = store.find(user)
        finally:
            store.close()
        name = user_ref(found.user_id)
        if as_csv:
            write_csv(found.state, click.get_text_stream("stdout"))
        elif png is not None:
            write_png(name, found.state, zone, png)
            click.echo(f"wrote {png}")
        else:
            from .progress_report import summarise

            now = dt.datetime.now(dt.timezone.utc)
            summary = summarise(found.state.history, found.state.checkins, now, zone)
            click.echo(render_text(name, found.state, summary, zone), nl=False)
    except HistoryError as exc:
        _fail(str(exc))


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(2)
