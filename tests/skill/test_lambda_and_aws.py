"""Beyond one machine, offline: DynamoDB persistence and S3 publishing against moto (no AWS account, no
network), faults in the store, and the Lambda handler answering the same envelopes as the Flask
endpoint with the same JSON."""
from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
import responses
from ask_sdk_core.exceptions import PersistenceException
from click.testing import CliRunner

import skill.lambda_handler as lambda_module
from audio_builder.publish import (MANIFEST_CACHE_CONTROL, MEDIA_CACHE_CONTROL, PublishError, S3Target, built_files,
                                   public_base_url, publish)
from back_routine.cli import main
from skill.config import ConfigError, SkillConfig, make_persistence
from skill.dynamodb import RETRIES, dynamodb_adapter
from skill.handlers.errors import STORE_APOLOGY
from skill.handlers.state import SAVE_FAILED
from skill.session_state import UserState

from tests.alexa_signing import SKILL_ID, USER_ID, encode, make_envelope, pki
from tests.audio_harness import ECHO_SHOW, PUBLIC_URL, Device, directives, make_audio_app, play_of
from tests.skill_harness import NOW, Clock, stored_state

REGION = "us-east-1"
TABLE = "back-routine-progress"
BUCKET = "back-routine-tracks"


# `built` is the session's build of tests/data/mini.yaml (tests/skill/conftest.py); tests that change
# files publish a copy of it.



# -- DynamoDB ---------------------------------------------------------------------------------------------


def request_for(user_id: str = USER_ID):
    from ask_sdk_core.serialize import DefaultSerializer
    from ask_sdk_model import RequestEnvelope

    return DefaultSerializer().deserialize(json.dumps(make_envelope(user_id=user_id)), RequestEnvelope)


def test_dynamodb_keeps_the_state_with_its_ints_and_floats(aws):
    adapter = dynamodb_adapter(TABLE, region=REGION, create_table=True)
    state = UserState.from_attributes({
        "routine": "mini", "place": {"block": 3, "part": 1}, "pace": 1.25, "levels": {"mini": "long"},
        "mode": "audio", "audio": {"routine": "mini", "level": "long", "file": "long/full-session.mp3",
                                    "recipe": "0123456789abcdef", "seq": 4, "offset_ms": 61_234, "status": "paused"},
        "history": [{"routine": "mini", "finished_at": "2026-01-01T10:00:00+00:00", "level": "long", "pace": 0.8}],
    })
    adapter.save_attributes(request_for(), state.to_attributes())
    raw = boto3.resource("dynamodb", region_name=REGION).Table(TABLE).get_item(Key={"id": USER_ID})["Item"]
    assert str(raw["attributes"]["pace"]) == "1.25"  # stored as a DynamoDB number
    loaded = adapter.get_attributes(request_for())
    assert loaded == state.to_attributes()
    assert isinstance(loaded["place"]["block"], int) and isinstance(loaded["pace"], float)
    assert UserState.from_attributes(loaded) == state
    assert adapter.get_attributes(request_for("amzn1.ask.account.nobody")) == {}


def test_dynamodb_calls_retry_with_backoff_and_short_timeouts(aws):
    adapter = dynamodb_adapter(TABLE, region=REGION, create_table=True)
    config = adapter.inner.dynamodb.meta.client.meta.config
    assert config.retries == RETRIES == {"mode": "standard", "total_max_attempts": 3}
    assert config.connect_timeout <= 2 and config.read_timeout <= 3


def test_persistence_is_chosen_by_configuration(aws, tmp_path):
    dynamo = make_persistence(SkillConfig.from_env({"BACK_ROUTINE_DYNAMODB_TABLE": TABLE, "BACK_ROUTINE_DYNAMODB_CREATE": "1",
                                                    "AWS_REGION": REGION}))
    assert type(dynamo).__name__ == "DecimalCodec"
    sqlite = make_persistence(SkillConfig.from_env({"BACK_ROUTINE_DB": str(tmp_path / "p.sqlite3")}))
    assert type(sqlite).__name__ == "SQLitePersistenceAdapter"
    with pytest.raises(ConfigError, match="needs a table"):
        make_persistence(SkillConfig.from_env({"BACK_ROUTINE_PERSISTENCE": "dynamodb"}))
    with pytest.raises(ConfigError, match="https://"):
        make_persistence(SkillConfig.from_env({"BACK_ROUTINE_PUBLIC_URL": "http://insecure.example.com"}))


def test_the_skill_over_dynamodb_keeps_the_place_across_sessions(aws, built):
    adapter = dynamodb_adapter(TABLE, region=REGION, create_table=True)
    app, _ = make_audio_app(built.routines, built.output, Path("unused"), Clock(), adapter=adapter)
    user = Device(app.test_client())
    user.launch()
    user.say("StartRoutineIntent")  # "how is your back today, from zero to ten?"
    user.say("RatingIntent", rating="4")  # the introduction
    user.say("AMAZON.NextIntent")
    user.say("SlowerIntent")  # a float pace, stored as a DynamoDB number
    user.end_session()
    welcome = user.launch()
    assert "Shall we carry on" in welcome.text
    stored = adapter.get_attributes(request_for())
    assert stored["place"]["block"] == 1 and stored["pace"] == 1.25
    assert [(c["moment"], c["rating"]) for c in stored["checkins"]] == [("start", 4)]  # an int again, not a Decimal


def test_serve_builds_its_app_with_dynamodb_when_asked(aws, built, tmp_path):
    from skill.serve import make_app

    app = make_app(built.routines, tmp_path / "unused.sqlite3", skill_id=SKILL_ID, verify=False, output_dir=None,
                   public_url=PUBLIC_URL, persistence="dynamodb", dynamodb_table=TABLE, create_table=True)
    body = encode(make_envelope(timestamp=NOW))
    assert app.test_client().post("/alexa", data=body, headers={"Content-Type": "application/json"}).status_code == 200
    assert boto3.client("dynamodb", region_name=REGION).describe_table(TableName=TABLE)["Table"]["TableName"] == TABLE


def test_an_unreachable_store_is_said_plainly_and_nothing_is_lost(aws, built):
    adapter = dynamodb_adapter("no-such-table", region=REGION)  # never created: every call fails
    app, _ = make_audio_app(built.routines, built.output, Path("unused"), Clock(), adapter=adapter)
    user = Device(app.test_client())
    reply = user.launch()
    assert reply.status == 200 and reply.text == STORE_APOLOGY and reply.ended
    # Even with the store down, "pause" during playback still stops the audio.
    token = "br1|mini|short|0123456789abcdef|1"
    paused = user.say_while_playing("AMAZON.PauseIntent", token, 5_000)
    assert directives(paused, "AudioPlayer.Stop")
    button = user.button("Pause", token, 5_000)
    assert directives(button, "AudioPlayer.Stop")


class FlakyStore:
    """A real store whose saves can be made to fail, as DynamoDB does after its retries run out."""

    def __init__(self, inner):
        self.inner, self.failing = inner, False

    def get_attributes(self, request_envelope):
        return self.inner.get_attributes(request_envelope)

    def save_attributes(self, request_envelope, attributes):
        if self.failing:
            raise PersistenceException("Failed to save attributes to DynamoDb table: ProvisionedThroughputExceeded")
        self.inner.save_attributes(request_envelope, attributes)

    def delete_attributes(self, request_envelope):
        self.inner.delete_attributes(request_envelope)


def test_a_failed_save_says_so_and_keeps_the_previous_place(aws, built):
    store = FlakyStore(dynamodb_adapter(TABLE, region=REGION, create_table=True))
    app, _ = make_audio_app(built.routines, built.output, Path("unused"), Clock(), adapter=store)
    user = Device(app.test_client()).on(ECHO_SHOW)
    user.launch()
    user.say("StartRoutineIntent")
    user.say("RatingIntent", rating="3")  # the check-in answered: the introduction
    before = store.get_attributes(request_for())
    store.failing = True
    reply = user.say("AMAZON.NextIntent")
    assert reply.text == SAVE_FAILED and reply.ended and not directives(reply)  # no screen of a place not saved
    assert user.say("PlayAudioIntent").text == SAVE_FAILED  # and no Play of a stream not saved
    assert store.get_attributes(request_for()) == before
    store.failing = False
    again = user.say("AMAZON.NextIntent")
    assert "Lie down" in again.text  # the chunk after the saved place, as if the failed turn never happened


def test_a_failed_save_on_the_pause_button_still_stops_the_audio(aws, built):
    store = FlakyStore(dynamodb_adapter(TABLE, region=REGION, create_table=True))
    app, _ = make_audio_app(built.routines, built.output, Path("unused"), Clock(), adapter=store)
    user = Device(app.test_client())
    user.launch()
    play = play_of(user.say("PlayAudioIntent"))
    store.failing = True
    assert directives(user.button("Pause", play["token"], 9_000), "AudioPlayer.Stop")
    store.failing = False
    # The saved offset is the old one, but the player reports its own: resuming uses that.
    resumed = play_of(user.say_while_playing("AMAZON.ResumeIntent", play["token"], 9_000, activity="STOPPED"))
    assert resumed["offset"] == 9_000 - 3_000


# -- Lambda ---------------------------------------------------------------------------------------------------


def conversation_envelopes():
    """The envelopes of a short session, the same for both hosts (ids fixed so the bodies are equal)."""
    session = "amzn1.echo-api.session.lambda-parity"
    common = dict(supported_interfaces=ECHO_SHOW, timestamp=NOW)
    yield make_envelope(session_id=session, **common)
    for intent in ("StartRoutineIntent", "AMAZON.NextIntent", "WhereAmIIntent", "AMAZON.HelpIntent"):
        yield make_envelope(intent=intent, session_id=session, new_session=False, **common)
    yield make_envelope("Alexa.Presentation.APL.UserEvent", session_id=session, new_session=False,
                        request_fields={"token": "back-routine-exercise", "arguments": ["next"]}, **common)
    yield make_envelope(intent="PlayAudioIntent", session_id=session, new_session=False, **common)


def test_the_lambda_handler_answers_like_the_flask_endpoint(aws, built, tmp_path, monkeypatch):
    for name, value in {"BACK_ROUTINE_ROUTINES": str(built.routines), "BACK_ROUTINE_DYNAMODB_TABLE": TABLE,
                        "BACK_ROUTINE_DYNAMODB_CREATE": "1", "BACK_ROUTINE_PUBLIC_URL": PUBLIC_URL,
                        "BACK_ROUTINE_OUTPUT": str(built.output), "BACK_ROUTINE_SKILL_ID": SKILL_ID}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(lambda_module, "_handler", None)  # a cold container
    app, flask_store = make_audio_app(built.routines, built.output, tmp_path / "flask.sqlite3")
    client = app.test_client()
    envelopes = list(conversation_envelopes())
    token = None
    for envelope in envelopes:
        body = encode(envelope)
        from_flask = client.post("/alexa", data=body, headers={"Content-Type": "application/json", **pki().good.sign(body)})
        from_lambda = lambda_module.handler(json.loads(body), None)
        assert from_flask.status_code == 200
        assert from_lambda == from_flask.get_json(), envelope["request"]["type"]
        plays = [d for d in from_lambda["response"].get("directives", []) if d["type"] == "AudioPlayer.Play"]
        token = plays[0]["audioItem"]["stream"]["token"] if plays else token
    assert token is not None
    # Then the sessionless requests of the stream, on both.
    for envelope in (make_envelope("AudioPlayer.PlaybackStarted", token=token, offset_ms=0, timestamp=NOW),
                     make_envelope("PlaybackController.PauseCommandIssued", token=token, offset_ms=4_000, timestamp=NOW),
                     make_envelope("PlaybackController.PlayCommandIssued", token=token, offset_ms=4_000, timestamp=NOW)):
        body = encode(envelope)
        from_flask = client.post("/alexa", data=body, headers={"Content-Type": "application/json", **pki().good.sign(body)})
        assert lambda_module.handler(json.loads(body), None) == from_flask.get_json()
    lambda_state = boto3.resource("dynamodb", region_name=REGION).Table(TABLE).get_item(Key={"id": USER_ID})["Item"]
    assert int(lambda_state["attributes"]["audio"]["offset_ms"]) == stored_state(flask_store)["audio"]["offset_ms"]
    flask_store.close()


def test_the_lambda_refuses_other_skills(aws, built, monkeypatch):
    monkeypatch.setenv("BACK_ROUTINE_ROUTINES", str(built.routines))
    monkeypatch.setenv("BACK_ROUTINE_DYNAMODB_TABLE", TABLE)
    monkeypatch.setenv("BACK_ROUTINE_DYNAMODB_CREATE", "1")
    monkeypatch.setenv("BACK_ROUTINE_SKILL_ID", SKILL_ID)
    monkeypatch.setattr(lambda_module, "_handler", None)
    from ask_sdk_core.exceptions import AskSdkException

    with pytest.raises(AskSdkException):
        lambda_module.handler(make_envelope(application_id="amzn1.ask.skill.someone-else"), None)


@responses.activate
def test_on_lambda_the_manifests_come_from_the_published_copy(built, tmp_path, monkeypatch):
    manifest = (built.output / "mini" / "manifest.json").read_text()
    responses.add(responses.GET, f"{PUBLIC_URL}/mini/manifest.json", body=manifest, content_type="application/json")
    monkeypatch.setattr(lambda_module, "_handler", None)
    handler = lambda_module.build_lambda_handler(SkillConfig.from_env({
        "BACK_ROUTINE_ROUTINES": str(built.routines), "BACK_ROUTINE_DB": str(tmp_path / "lambda.sqlite3"),
        "BACK_ROUTINE_PUBLIC_URL": PUBLIC_URL}))
    session = "amzn1.echo-api.session.remote"
    handler(make_envelope(session_id=session), None)
    reply = handler(make_envelope(intent="PlayAudioIntent", session_id=session, new_session=False), None)
    play = [d for d in reply["response"]["directives"] if d["type"] == "AudioPlayer.Play"][0]
    assert play["audioItem"]["stream"]["url"].startswith(f"{PUBLIC_URL}/mini/short/full-session.mp3?v=")
    assert len(responses.calls) == 1


def test_lambda_without_a_table_keeps_progress_in_tmp_and_warns(caplog):
    config = lambda_module.config_from_env({"AWS_LAMBDA_FUNCTION_NAME": "back-routine"})
    assert config.persistence == "sqlite" and str(config.db_path).startswith("/tmp/")
    assert "lost with this container" in caplog.text


# -- S3 publishing ------------------------------------------------------------------------------------------


@pytest.fixture
def bucket(aws):
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket=BUCKET)
    return s3


def remote_objects(s3, prefix="routines/"):
    listing = s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])
    return {o["Key"]: o for o in listing}


def test_publish_uploads_tracks_captions_playlists_and_manifests_with_headers(bucket, built):
    order = []
    report = publish(built.output, S3Target.parse(f"s3://{BUCKET}/routines"), client=bucket,
                     on_file=lambda _, f: order.append(f.relative))
    expected = {f.relative for f in built_files(built.output)}
    assert set(report.uploaded) == expected and not report.unchanged
    assert order[-1] == "mini/manifest.json"  # the manifest goes up after everything it names
    keys = set(remote_objects(bucket))
    assert keys == {f"routines/{name}" for name in expected}
    assert "routines/mini/short/full-session.mp3" in keys and "routines/mini/long/playlist.m3u8" in keys
    heads = {name: bucket.head_object(Bucket=BUCKET, Key=f"routines/{name}") for name in
             ("mini/short/full-session.mp3", "mini/short/full-session.vtt", "mini/short/playlist.m3u8", "mini/manifest.json")}
    assert heads["mini/short/full-session.mp3"]["ContentType"] == "audio/mpeg"
    assert heads["mini/short/full-session.vtt"]["ContentType"].startswith("text/vtt")
    assert heads["mini/short/playlist.m3u8"]["ContentType"] == "application/vnd.apple.mpegurl"
    assert heads["mini/manifest.json"]["ContentType"] == "application/json"
    assert heads["mini/manifest.json"]["CacheControl"] == MANIFEST_CACHE_CONTROL == "no-cache"
    for name in ("mini/short/full-session.mp3", "mini/short/full-session.vtt", "mini/short/playlist.m3u8"):
        assert heads[name]["CacheControl"] == MEDIA_CACHE_CONTROL and "must-revalidate" in MEDIA_CACHE_CONTROL
    local = next(f for f in built_files(built.output) if f.relative == "mini/short/full-session.mp3")
    assert heads["mini/short/full-session.mp3"]["Metadata"]["sha256"] == local.sha256
    body = bucket.get_object(Bucket=BUCKET, Key="routines/mini/short/full-session.mp3")["Body"].read()
    assert body == (built.output / "mini" / "short" / "full-session.mp3").read_bytes()
    assert report.public_url == f"https://{BUCKET}.s3.amazonaws.com/routines"


def test_a_second_publish_uploads_nothing_and_a_changed_file_goes_alone(bucket, built, tmp_path):
    import shutil

    output = tmp_path / "output"
    shutil.copytree(built.output, output)
    target = S3Target.parse(f"s3://{BUCKET}/routines")
    first = publish(output, target, client=bucket)
    again = publish(output, target, client=bucket)
    assert again.uploaded == [] and len(again.unchanged) == len(first.uploaded)
    vtt = output / "mini" / "long" / "full-session.vtt"
    vtt.write_text(vtt.read_text() + "\n")
    third = publish(output, target, client=bucket)
    assert third.uploaded == ["mini/long/full-session.vtt"]
    # Same size, other bytes (ETag no longer matches): still found by content.
    data = bytearray(vtt.read_bytes())
    data[-2:] = b"\n\n" if data[-2:] != b"\n\n" else b" \n"
    vtt.write_bytes(bytes(data))
    assert publish(output, target, client=bucket).uploaded == ["mini/long/full-session.vtt"]


def test_objects_uploaded_elsewhere_are_recognised_by_their_sha256_metadata(bucket, built):
    target = S3Target.parse(f"s3://{BUCKET}/x")
    publish(built.output, target, client=bucket)
    # Rewrite one object with server-side encryption as another tool might: its ETag changes, its
    # sha256 metadata does not.
    key = "x/mini/short/playlist.m3u8"
    head = bucket.head_object(Bucket=BUCKET, Key=key)
    bucket.copy_object(Bucket=BUCKET, Key=key, CopySource={"Bucket": BUCKET, "Key": key}, Metadata=head["Metadata"],
                       MetadataDirective="REPLACE", ContentType=head["ContentType"], CacheControl=head["CacheControl"],
                       ServerSideEncryption="AES256")
    assert publish(built.output, target, client=bucket).uploaded == []


def test_remote_files_no_build_lists_are_reported_and_deleted_only_when_asked(bucket, built):
    target = S3Target.parse(f"s3://{BUCKET}/routines")
    publish(built.output, target, client=bucket)
    bucket.put_object(Bucket=BUCKET, Key="routines/mini/old-level/full-session.mp3", Body=b"old")
    kept = publish(built.output, target, client=bucket)
    assert kept.stale == ["mini/old-level/full-session.mp3"] and "routines/mini/old-level/full-session.mp3" in remote_objects(bucket)
    removed = publish(built.output, target, client=bucket, delete=True)
    assert removed.deleted == ["mini/old-level/full-session.mp3"]
    assert "routines/mini/old-level/full-session.mp3" not in remote_objects(bucket)


def test_publish_command_prints_the_public_url_and_fails_clearly(bucket, built):
    runner = CliRunner()
    result = runner.invoke(main, ["publish", "--to", f"s3://{BUCKET}/tracks", "--out", str(built.output)])
    assert result.exit_code == 0, result.output
    assert f"public base URL: https://{BUCKET}.s3.amazonaws.com/tracks" in result.output
    assert "BACK_ROUTINE_PUBLIC_URL=" in result.output
    again = runner.invoke(main, ["publish", "--to", f"s3://{BUCKET}/tracks", "--out", str(built.output)])
    assert "uploaded 0 file(s)" in again.output
    custom = runner.invoke(main, ["publish", "--to", f"s3://{BUCKET}/tracks", "--out", str(built.output),
                                  "--public-url", "https://cdn.example.com/tracks"])
    assert "public base URL: https://cdn.example.com/tracks" in custom.output
    missing = runner.invoke(main, ["publish", "--to", "s3://no-such-bucket-here/x", "--out", str(built.output)])
    assert missing.exit_code == 1 and "NoSuchBucket" in missing.output and "run publish again" in missing.output
    bad = runner.invoke(main, ["publish", "--to", "bucket/x", "--out", str(built.output)])
    assert bad.exit_code == 2 and "s3://" in bad.output


def test_publish_refuses_a_build_that_is_not_complete(bucket, built, tmp_path):
    import shutil

    output = tmp_path / "output"
    shutil.copytree(built.output, output)
    (output / "mini" / "short" / "playlist.m3u8").unlink()
    with pytest.raises(PublishError, match="missing: build again"):
        publish(output, S3Target.parse(f"s3://{BUCKET}/x"), client=bucket)
    assert remote_objects(bucket, "x/") == {}


def test_public_urls_for_buckets_and_prefixes():
    assert public_base_url(S3Target.parse("s3://tracks")) == "https://tracks.s3.amazonaws.com"
    assert public_base_url(S3Target.parse("s3://tracks/a/b/")) == "https://tracks.s3.amazonaws.com/a/b"
    # dots in the bucket name do not match S3's wildcard certificate: path style
    assert public_base_url(S3Target.parse("s3://audio.example.org/x"), "eu-west-1") == \
        "https://s3.eu-west-1.amazonaws.com/audio.example.org/x"
    assert S3Target.parse("s3://b/p").key("mini/manifest.json") == "p/mini/manifest.json"
    with pytest.raises(ValueError):
        S3Target.parse("https://b/p")


def test_the_skill_package_can_point_at_a_lambda_function(tmp_path):
    from skill.interaction_model import read_package, write_package
    from skill.model_lint import check_package
    from skill.routines import RoutineLibrary

    arn = "arn:aws:lambda:us-east-1:123456789012:function:back-routine"
    write_package(RoutineLibrary(Path(__file__).resolve().parents[2] / "routines"), tmp_path / "pkg", arn)
    package, models = read_package(tmp_path / "pkg")
    assert package["manifest"]["apis"]["custom"]["endpoint"] == {"uri": arn}
    assert check_package(package, models) == []


LAMBDA_CHILD = r"""
import importlib.abc, json, sys
sys.path.insert(0, sys.argv[1])
from tests.alexa_signing import make_envelope  # the test's envelopes, made before the packages are taken away
session = "amzn1.echo-api.session.zip"
supported = {"AudioPlayer": {}, "Alexa.Presentation.APL": {}}
events = [make_envelope(session_id=session, supported_interfaces=supported)] + [
    make_envelope(intent=intent, session_id=session, new_session=False, supported_interfaces=supported)
    for intent in ("StartRoutineIntent", "AMAZON.NextIntent", "PlayAudioIntent")]
BLOCKED = {"flask", "werkzeug", "numpy", "click", "cryptography", "audio_builder", "web_player", "piper",
           "onnxruntime", "lameenc", "miniaudio", "mutagen", "waitress", "platformdirs", "gtts"}
SHIPPED = {"audio_builder", "audio_builder.manifest", "audio_builder.manifest_reader"}  # the one manifest reader, standard library only

class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED and name not in SHIPPED:
            raise ImportError(f"the Lambda package has no {name}")
        return None

for name in [m for m in sys.modules if m.split(".")[0] in BLOCKED]:
    del sys.modules[name]
sys.meta_path.insert(0, Block())
import skill.lambda_handler as lh
out = [lh.handler(event, None) for event in events]
print(json.dumps([sorted(d["type"] for d in o["response"].get("directives", [])) for o in out]))
"""


def test_the_lambda_needs_only_the_skills_own_dependencies(built, tmp_path):
    """What the README's Lambda zip holds is enough: no Flask, numpy, Piper or audio builder but its
    manifest reader (audio_builder/__init__.py and manifest.py)."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "BACK_ROUTINE_ROUTINES": str(built.routines), "BACK_ROUTINE_DB": str(tmp_path / "l.sqlite3"),
           "BACK_ROUTINE_PUBLIC_URL": PUBLIC_URL, "BACK_ROUTINE_OUTPUT": str(built.output)}
    root = str(Path(__file__).resolve().parents[2])
    result = subprocess.run([sys.executable, "-c", LAMBDA_CHILD, root], env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout.splitlines()[-1]) == [
        ["Alexa.Presentation.APL.RenderDocument"], ["Alexa.Presentation.APL.RenderDocument"],
        ["Alexa.Presentation.APL.RenderDocument"], ["AudioPlayer.Play"]]
