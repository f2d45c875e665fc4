"""Persistent attributes in a local SQLite file (one JSON document per user).

The local default (docs/architecture.md, "Platform facts"): the same skill code can run on Lambda with the DynamoDB adapter,
so this adapter mirrors that one's contract (attributes dict per partition key, the user id by
default, `{}` when nothing is stored, PersistenceException on storage failures).
AudioPlayer and PlaybackController requests carry no session, so the user's place in a routine
lives here, keyed by user id.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sqlite3
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter
from ask_sdk_core.exceptions import PersistenceException

from .user_ref import user_ref

if TYPE_CHECKING:
    from ask_sdk_model import RequestEnvelope

__all__ = ["PartitionKeygen", "SQLitePersistenceAdapter", "user_id_partition_keygen"]

PartitionKeygen = Callable[["RequestEnvelope"], str]

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def user_id_partition_keygen(request_envelope: RequestEnvelope) -> str:
    """The user id (context.System.user.userId), as ask-sdk-dynamodb's keygen of the same name.

    Taken from context rather than session because sessionless requests (AudioPlayer events) have
    only context.
    """
    try:
        user_id = request_envelope.context.system.user.user_id
    except AttributeError:
        user_id = None
    if not user_id:
        raise PersistenceException("Couldn't retrieve user id from request envelope, for partition key use")
    return user_id


class SQLitePersistenceAdapter(AbstractPersistenceAdapter):
    """Stores each partition's attributes as one JSON row in `table_name` of the SQLite file `path`.

    Safe to share between the threads of a WSGI server: each thread gets its own connection (SQLite
    connections must not be used concurrently), WAL lets readers proceed while one thread writes, and
    `busy_timeout_ms` makes a writer wait for another writer instead of failing at once.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        table_name: str = "persistent_attributes",
        partition_keygen: PartitionKeygen = user_id_partition_keygen,
        busy_timeout_ms: int = 5000,
        logger: logging.Logger | None = None,
    ) -> None:
        if not _IDENTIFIER.match(table_name):  # it is interpolated into SQL
            raise ValueError(f"invalid table name {table_name!r}")
        self.path = os.fspath(path)
        self.table_name = table_name
        self.partition_keygen = partition_keygen
        self._busy_timeout_ms = int(busy_timeout_ms)
        self._log = logger or logging.getLogger(__name__)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._connections: list[sqlite3.Connection] = []
        self._schema_ready = False

    # -- AbstractPersistenceAdapter -------------------------------------------------------------------

    def get_attributes(self, request_envelope: RequestEnvelope) -> dict[str, Any]:
        """Stored attributes for the request's partition key; {} when none (or the row is corrupt)."""
        key = self.partition_keygen(request_envelope)
        row = self._run("get", f"SELECT attributes FROM {self.table_name} WHERE id = ?", (key,), fetch=True)
        if row is None:
            return {}
        return self._decode(key, row[0])

    def save_attributes(self, request_envelope: RequestEnvelope, attributes: dict[str, Any]) -> None:
        """Replace the partition's attributes with `attributes` (must be JSON-serializable)."""
        key = self.partition_keygen(request_envelope)
        if not isinstance(attributes, dict):  # get_attributes promises a dict back
            raise PersistenceException(f"Failed to save attributes: expected a dict, got {type(attributes).__name__}")
        try:
            document = json.dumps(attributes, separators=(",", ":"), ensure_ascii=False)
        except (TypeError, ValueError) as exc:
            raise PersistenceException(f"Failed to save attributes: not JSON-serializable: {exc}") from exc
        self._run(
            "save",
            f"INSERT INTO {self.table_name} (id, attributes, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT(id) DO UPDATE SET attributes = excluded.attributes, updated_at = excluded.updated_at",
            (key, document, time.time()),
        )

    def delete_attributes(self, request_envelope: RequestEnvelope) -> None:
        """Forget the partition's attributes (no error when there were none)."""
        key = self.partition_keygen(request_envelope)
        self._run("delete", f"DELETE FROM {self.table_name} WHERE id = ?", (key,))

    # -- lifecycle ------------------------------------------------------------------------------------

    def close(self) -> None:
        """Close every connection this adapter opened (any thread); later calls reopen lazily."""
        with self._lock:
            connections, self._connections = self._connections, []
            self._local = threading.local()
        for connection in connections:
            connection.close()

    # -- internals ------------------------------------------------------------------------------------

    def _run(self, action: str, sql: str, params: tuple[Any, ...], *, fetch: bool = False) -> Any:
        """Execute one statement; with `fetch`, return its first row (or None)."""
        try:
            cursor = self._connection().execute(sql, params)
            return cursor.fetchone() if fetch else None
        except sqlite3.Error as exc:
            raise PersistenceException(
                f"Failed to {action} attributes in {self.path}: {type(exc).__name__}: {exc}"
            ) from exc

    def _connection(self) -> sqlite3.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._open()
            self._local.connection = connection
        return connection

    def _open(self) -> sqlite3.Connection:
        # isolation_level=None: autocommit. Every operation is a single statement, so each is its own
        # atomic transaction and no thread ever holds a write lock between calls.
        # check_same_thread=False only so close() can close other threads' connections; each
        # connection is still used by one thread.
        connection = sqlite3.connect(
            self.path,
            timeout=self._busy_timeout_ms / 1000,
            isolation_level=None,
            check_same_thread=False,
        )
        try:
            connection.execute(f"PRAGMA busy_timeout = {self._busy_timeout_ms}")
            # With WAL, NORMAL never corrupts the database; a power cut may lose the last commits,
            # which for exercise progress is an acceptable price for not fsyncing every step.
            connection.execute("PRAGMA synchronous = NORMAL")
            # Switching to WAL and creating the table take locks that the busy handler does not
            # wait for: threads opening their first connection at the same moment would get
            # "database is locked". One thread does it, once; WAL then persists in the file.
            with self._lock:
                if not self._schema_ready:
                    connection.execute("PRAGMA journal_mode = WAL")
                    connection.execute(
                        f"CREATE TABLE IF NOT EXISTS {self.table_name} ("
                        " id TEXT PRIMARY KEY,"
                        " attributes TEXT NOT NULL,"
                        " updated_at REAL NOT NULL)"
                    )
                    self._schema_ready = True
        except sqlite3.Error as exc:
            connection.close()
            raise PersistenceException(f"Failed to open attribute store {self.path}: {exc}") from exc
        with self._lock:
            self._connections.append(connection)
        return connection

    def _decode(self, key: str, document: str) -> dict[str, Any]:
        # A damaged row must not lock the user out of the skill: start them fresh and say so.
        try:
            attributes = json.loads(document)
        except (TypeError, ValueError):
            attributes = None
        if not isinstance(attributes, dict):
            self._log.warning(
                "persistent attributes for %s in %s are not a JSON object; treating as empty",
                user_ref(key),  # never the user id itself (skill/user_ref.py)
                self.path,
            )
            return {}
        return attributes
