"""SQLitePersistenceAdapter: the SDK adapter contract, isolation, durability, concurrency."""

from __future__ import annotations

import json
import logging
import sqlite3
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
from ask_sdk_core.exceptions import PersistenceException
from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_core.skill_builder import CustomSkillBuilder
from ask_sdk_core.utils import is_request_type
from ask_sdk_model import RequestEnvelope

from skill.persistence import SQLitePersistenceAdapter, user_id_partition_keygen

from tests.alexa_signing import USER_ID, encode, make_envelope

REPO = Path(__file__).resolve().parents[2]


def envelope(user_id: str = USER_ID, **kwargs) -> RequestEnvelope:
    return DefaultSerializer().deserialize(encode(make_envelope(user_id=user_id, **kwargs)).decode(), RequestEnvelope)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "progress.sqlite3"


@pytest.fixture
def adapter(db_path: Path):
    store = SQLitePersistenceAdapter(db_path)
    yield store
    store.close()


def test_nothing_stored_reads_as_empty(adapter):
    assert adapter.get_attributes(envelope()) == {}


def test_round_trip(adapter):
    attributes = {"routine": "back-pain", "position": {"exercise": 2, "set": 3, "rep": 4},
                  "level": 6, "pace": 1.25, "done": [True, False], "note": "ünïcode ✓"}
    adapter.save_attributes(envelope(), attributes)
    assert adapter.get_attributes(envelope()) == attributes


def test_save_replaces_and_delete_forgets(adapter):
    adapter.save_attributes(envelope(), {"a": 1, "b": 2})
    adapter.save_attributes(envelope(), {"a": 3})
    assert adapter.get_attributes(envelope()) == {"a": 3}
    adapter.delete_attributes(envelope())
    assert adapter.get_attributes(envelope()) == {}
    adapter.delete_attributes(envelope())  # deleting nothing is fine


def test_users_are_isolated(adapter):
    adapter.save_attributes(envelope("amzn1.ask.account.A"), {"who": "A"})
    adapter.save_attributes(envelope("amzn1.ask.account.B"), {"who": "B"})
    adapter.delete_attributes(envelope("amzn1.ask.account.A"))
    assert adapter.get_attributes(envelope("amzn1.ask.account.A")) == {}
    assert adapter.get_attributes(envelope("amzn1.ask.account.B")) == {"who": "B"}


def test_sessionless_requests_use_the_same_key(adapter):
    # AudioPlayer events have no session: the place saved during an intent must be found from them.
    adapter.save_attributes(envelope(intent="AMAZON.PauseIntent"), {"offset": 1234})
    audio_event = envelope(request_type="AudioPlayer.PlaybackStopped", token="t", offset_ms=1234)
    assert audio_event.session is None
    assert adapter.get_attributes(audio_event) == {"offset": 1234}


def test_custom_partition_keygen(db_path):
    by_device = SQLitePersistenceAdapter(db_path, partition_keygen=lambda env: env.context.system.device.device_id)
    by_device.save_attributes(envelope(device_id="dev-1"), {"x": 1})
    assert by_device.get_attributes(envelope(user_id="someone-else", device_id="dev-1")) == {"x": 1}
    by_device.close()


def test_missing_user_id_is_a_persistence_exception(adapter):
    broken = envelope()
    broken.context.system.user = None
    with pytest.raises(PersistenceException):
        user_id_partition_keygen(broken)
    with pytest.raises(PersistenceException):
        adapter.get_attributes(broken)


def test_unserializable_attributes_raise_persistence_exception(adapter):
    with pytest.raises(PersistenceException):
        adapter.save_attributes(envelope(), {"when": object()})
    assert adapter.get_attributes(envelope()) == {}


def test_table_name_is_validated(db_path):
    with pytest.raises(ValueError):
        SQLitePersistenceAdapter(db_path, table_name="x; DROP TABLE y")


@pytest.mark.parametrize("stored", ["{not json", "[1, 2]", "null"])
def test_corrupt_row_reads_as_empty_with_warning(adapter, db_path, caplog, stored):
    adapter.save_attributes(envelope(), {"ok": True})
    with sqlite3.connect(db_path) as raw:
        raw.execute("UPDATE persistent_attributes SET attributes = ?", (stored,))
    with caplog.at_level(logging.WARNING, logger="skill.persistence"):
        assert adapter.get_attributes(envelope()) == {}
    assert "not a JSON object" in caplog.text
    adapter.save_attributes(envelope(), {"fresh": 1})  # and the user can carry on
    assert adapter.get_attributes(envelope()) == {"fresh": 1}


def test_wal_mode_and_busy_timeout(adapter, db_path):
    adapter.get_attributes(envelope())
    connection = adapter._connection()
    assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert connection.execute("PRAGMA busy_timeout").fetchone()[0] == 5000


def test_survives_a_new_adapter_on_the_same_file(db_path):
    first = SQLitePersistenceAdapter(db_path)
    first.save_attributes(envelope(), {"position": [1, 2, 3]})
    first.close()
    second = SQLitePersistenceAdapter(db_path)
    assert second.get_attributes(envelope()) == {"position": [1, 2, 3]}
    second.close()


def test_survives_a_process_restart(db_path):
    # Another Python process writes and exits; this one reads what it left.
    writer = textwrap.dedent(
        f"""
        import sys
        sys.path[:0] = [{str(REPO)!r}]
        from ask_sdk_core.serialize import DefaultSerializer
        from ask_sdk_model import RequestEnvelope
        from tests.alexa_signing import encode, make_envelope
        from skill.persistence import SQLitePersistenceAdapter
        env = DefaultSerializer().deserialize(encode(make_envelope()).decode(), RequestEnvelope)
        SQLitePersistenceAdapter({str(db_path)!r}).save_attributes(env, {{"from": "child"}})
        """
    )
    subprocess.run([sys.executable, "-c", writer], check=True, timeout=60)
    reader = SQLitePersistenceAdapter(db_path)
    assert reader.get_attributes(envelope()) == {"from": "child"}
    reader.close()


def test_concurrent_threads_saving(adapter):
    threads_n, writes_n = 8, 40
    errors: list[BaseException] = []
    start = threading.Barrier(threads_n)

    def work(index: int) -> None:
        own = envelope(f"amzn1.ask.account.user{index}")
        shared = envelope("amzn1.ask.account.shared")
        try:
            start.wait()
            for step in range(writes_n):
                adapter.save_attributes(own, {"step": step, "thread": index})
                adapter.save_attributes(shared, {"last_writer": index, "step": step})
                assert adapter.get_attributes(own)["step"] == step
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(threads_n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    for index in range(threads_n):
        assert adapter.get_attributes(envelope(f"amzn1.ask.account.user{index}")) == {
            "step": writes_n - 1, "thread": index}
    shared = adapter.get_attributes(envelope("amzn1.ask.account.shared"))
    assert shared["step"] == writes_n - 1 and 0 <= shared["last_writer"] < threads_n


def test_works_as_the_skills_persistence_adapter(adapter):
    """Through ask_sdk_core's AttributesManager, as the conversation handlers will use it."""
    builder = CustomSkillBuilder(persistence_adapter=adapter)

    @builder.request_handler(can_handle_func=is_request_type("LaunchRequest"))
    def launch(handler_input):
        manager = handler_input.attributes_manager
        visits = manager.persistent_attributes.get("visits", 0) + 1
        manager.persistent_attributes = {"visits": visits}
        manager.save_persistent_attributes()
        return handler_input.response_builder.speak(f"visit {visits}").response

    skill = builder.create()
    for expected in (1, 2, 3):
        response = skill.invoke(request_envelope=envelope(), context=None)
        assert f"visit {expected}" in response.response.output_speech.ssml
    assert json.loads(json.dumps(adapter.get_attributes(envelope()))) == {"visits": 3}


def test_attributes_must_be_a_dict(adapter):
    with pytest.raises(PersistenceException):
        adapter.save_attributes(envelope(), ["not", "a", "dict"])
