"""`back-routine publish --paces`: each built level's full session assembled at other paces and uploaded
beside the built tracks, recorded in the published manifest for the skill on Lambda; against moto's S3
(no AWS account, no network), over the session's real build of the mini routine (tests/conftest.py
`mini_build`), compared byte for byte with what the web player assembles at the same address."""
from __future__ import annotations

import json
import shutil

import boto3
import pytest
from click.testing import CliRunner
from flask import Flask
from moto import mock_aws

from audio_builder.manifest_reader import load_manifest, parse_manifest
from audio_builder.publish import CannotAssemble, S3Target, built_files, publish
from audio_builder.variant_source import VariantSource
from back_routine.cli import main
from web_player import create_blueprint

REGION = "us-east-1"
BUCKET = "back-routine-paces"
PACES = (1.25, 1.5)


@pytest.fixture
def bucket(monkeypatch):
    """Fake credentials and a region, so nothing can reach a real account; moto answers every call."""
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET)
        yield s3


@pytest.fixture(scope="module")
def source(mini_build) -> VariantSource:
    return VariantSource(mini_build.routines, mini_build.cache)


def remote(s3, prefix: str) -> dict[str, bytes]:
    listing = s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix + "/").get("Contents", [])
    return {o["Key"][len(prefix) + 1:]: s3.get_object(Bucket=BUCKET, Key=o["Key"])["Body"].read() for o in listing}


def variant_names(manifest, paces=PACES) -> set[str]:
    return {f"mini/{level}/pace-{pace:g}/full-session.{ext}" for level in manifest.levels for pace in paces
            for ext in ("mp3", "vtt")}


def test_publish_paces_uploads_the_variants_beside_the_tracks_and_records_them_last(bucket, mini_build, source):
    order = []
    report = publish(mini_build.output, S3Target.parse(f"s3://{BUCKET}/tracks"), client=bucket, paces=PACES,
                     variants=source, on_file=lambda _, f: order.append(f.relative))
    manifest = load_manifest(mini_build.output / "mini")
    built = {f.relative for f in built_files(mini_build.output)}
    objects = remote(bucket, "tracks")
    # Exactly the built files and, per level and pace, the full session and its captions.
    assert set(objects) == built | variant_names(manifest) == set(report.uploaded)
    assert order[-1] == "mini/manifest.json"  # the record goes up after every file it names

    web = Flask("publish-paces-web-player")
    web.register_blueprint(create_blueprint(mini_build.output, routines_dir=mini_build.routines,
                                            cache_dir=mini_build.cache))
    client = web.test_client()
    published = parse_manifest(objects["mini/manifest.json"], "published manifest.json")
    for level in manifest.levels:
        assert [p.pace for p in published.levels[level].paces] == list(PACES)
        for paced in published.levels[level].paces:
            variant = source.variant_set(manifest, level, paced.pace).part("full-session")
            assert paced.track == variant.track  # chapters, cues, silences, size and recipe
            name = f"mini/{level}/pace-{paced.pace:g}/full-session.mp3"
            assert paced.track.file == name.split("/", 1)[1]
            served = client.get(f"/media/{name}")
            assert served.status_code == 200 and objects[name] == served.data == b"".join(variant.chunks())
            assert objects[name.replace(".mp3", ".vtt")].decode() == variant.vtt
    # Everything the build wrote is in the published copy as it was: only the levels' "paces" is added.
    doc = json.loads(objects["mini/manifest.json"])
    local = json.loads((mini_build.output / "mini" / "manifest.json").read_bytes())
    for level in doc["levels"].values():
        del level["paces"]
    assert doc == local
    head = bucket.head_object(Bucket=BUCKET, Key="tracks/mini/short/pace-1.25/full-session.mp3")
    assert head["ContentType"] == "audio/mpeg" and head["Metadata"]["sha256"]


def test_publish_paces_again_uploads_nothing_and_without_paces_withdraws_them(bucket, mini_build, source):
    target = S3Target.parse(f"s3://{BUCKET}/t")
    publish(mini_build.output, target, client=bucket, paces=PACES, variants=source)
    again = publish(mini_build.output, target, client=bucket, paces=PACES, variants=source)
    assert again.uploaded == [] and again.stale == []
    # The routine's own pace (1) is its built track: nothing more to upload for it.
    own = publish(mini_build.output, target, client=bucket, paces=(1.0, 1.25), variants=source)
    assert own.uploaded == ["mini/manifest.json"]
    assert [p.pace for p in parse_manifest(remote(bucket, "t")["mini/manifest.json"]).levels["short"].paces] == [1.25]
    plain = publish(mini_build.output, target, client=bucket)
    assert plain.uploaded == ["mini/manifest.json"]  # the built manifest as it is: no paces recorded
    assert remote(bucket, "t")["mini/manifest.json"] == (mini_build.output / "mini" / "manifest.json").read_bytes()
    manifest = load_manifest(mini_build.output / "mini")
    assert set(plain.stale) == variant_names(manifest)  # their files stay until --delete
    assert set(publish(mini_build.output, target, client=bucket, delete=True).deleted) == variant_names(manifest)


def test_a_pace_that_cannot_be_assembled_stops_before_anything_is_uploaded(bucket, mini_build, tmp_path):
    routines = tmp_path / "routines"
    shutil.copytree(mini_build.routines, routines)
    (routines / "mini.yaml").write_text((routines / "mini.yaml").read_text().replace("Lie down.", "Lie flat."))
    with pytest.raises(CannotAssemble, match=r"mini \(short\) at pace 1.25: .*has changed since the last build"):
        publish(mini_build.output, S3Target.parse(f"s3://{BUCKET}/x"), client=bucket, paces=(1.25,),
                variants=VariantSource(routines, mini_build.cache))
    assert remote(bucket, "x") == {}


def run(*args: str):
    return CliRunner().invoke(main, ["publish", *args], catch_exceptions=False)


def test_publish_command_paces_dry_run_lists_them_and_bad_values_exit_2(bucket, mini_build):
    common = ["--to", f"s3://{BUCKET}/cli", "--out", str(mini_build.output), "--routines", str(mini_build.routines),
              "--cache-dir", str(mini_build.cache)]
    dry = run(*common, "--paces", "1,1.25", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "would upload mini/short/pace-1.25/full-session.mp3" in dry.output
    assert "would upload mini/long/pace-1.25/full-session.vtt" in dry.output and "pace-1/" not in dry.output
    assert "paces for the skill's audio version: 1, 1.25" in dry.output
    assert remote(bucket, "cli") == {}
    for bad, says in (("1.3x", "not a number"), ("0.5", "out of range"), ("1.23", "between two steps"),
                      ("1,,1.5", "empty item"), ("", "no paces given")):
        result = run(*common, "--paces", bad)
        assert result.exit_code == 2, (bad, result.output)
        assert "--paces" in result.output and says in result.output, result.output
    assert remote(bucket, "cli") == {}
    gone = run(*common[:4], "--routines", str(mini_build.root / "no-routines-here"), "--cache-dir",
               str(mini_build.cache), "--paces", "1.5")
    assert gone.exit_code == 2 and "cannot assemble mini" in gone.output and "back-routine build" in gone.output
    done = run(*common, "--paces", "1.5")
    assert done.exit_code == 0, done.output
    assert "mini/short/pace-1.5/full-session.mp3" in remote(bucket, "cli")
