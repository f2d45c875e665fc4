"""Publish built tracks to S3: only what changed, with the right content types and cache headers.

What goes up is what the manifests list (tracks, captions, playlists) plus the manifests themselves,
under <prefix>/<routine>/<file>, the layout the skill streams from (URL = base/routine/file). Media
goes first and each manifest last, so a reader of a new manifest finds the files it names.

"Changed" is decided by content: a listing of the prefix gives each object's size and ETag, which
for a single-part upload (we never upload in parts) is the MD5 of its bytes; when that does not
settle it (an ETag from an encrypted or multipart object), the object's `sha256` metadata, written
by every upload, does. A second publish of an unchanged build uploads nothing.

Cache headers: names are not content-hashed (a rebuild rewrites standard/full-session.mp3 in place),
so media may be cached for an hour and must then be revalidated; manifest.json is `no-cache`, so
the skill and players always see the current one (revalidation is a cheap 304 when unchanged).

Errors: boto3 retries transient failures itself (standard mode, 5 attempts); what still fails stops
the publish with a message naming the file and the cause. Files uploaded before it stay, the old
manifest stays in place, and running publish again carries on with what is still different.

Other paces (`paces`, `back-routine publish --paces 1.25,1.5`): publish_paces.py assembles each built
level's full session at each pace and records them in the manifest that goes up; they are uploaded
like the built files, the manifest last.
"""
from __future__ import annotations

import base64
import hashlib
import time
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Callable, Iterable, Sequence

from .manifest import MANIFEST_NAME, ManifestError
from .manifest_reader import load_manifest

CONTENT_TYPES = {
    ".mp3": "audio/mpeg",
    ".vtt": "text/vtt; charset=utf-8",
    ".m3u8": "application/vnd.apple.mpegurl",
    ".json": "application/json",
}
MEDIA_CACHE_CONTROL = "public, max-age=3600, must-revalidate"
MANIFEST_CACHE_CONTROL = "no-cache"
RETRIES = {"mode": "standard", "total_max_attempts": 5}
SHA256_METADATA = "sha256"  # sent as x-amz-meta-sha256


class PublishError(Exception):
    """Publishing stopped; the message says which file, why, and that running it again resumes."""


class NothingToPublish(PublishError):
    """No build to publish (none at all, or not the routines asked for): a usage problem, not a failure."""


class CannotAssemble(PublishError):
    """A pace asked for cannot be assembled from this build (the routine changed since, cues missing, the
    pace does not fit the routine): found before anything is uploaded, and the message says what to do."""


@dataclass(frozen=True)
class S3Target:
    bucket: str
    prefix: str  # without leading or trailing slash; may be empty

    @classmethod
    def parse(cls, url: str) -> S3Target:
        if not url.startswith("s3://"):
            raise ValueError(f"expected s3://bucket/prefix, got {url!r}")
        bucket, _, prefix = url[len("s3://"):].partition("/")
        if not bucket:
            raise ValueError(f"no bucket in {url!r}")
        return cls(bucket, prefix.strip("/"))

    def key(self, relative: str) -> str:
        return f"{self.prefix}/{relative}" if self.prefix else relative

    def url(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}" if self.prefix else f"s3://{self.bucket}"


def public_base_url(target: S3Target, region: str | None = None) -> str:
    """The HTTPS URL the objects are read at (for the skill's --public-url). Virtual-hosted style;
    a bucket with dots in its name does not match S3's wildcard certificate that way, so it gets the
    path style (better still: put CloudFront in front and pass its URL as --public-url)."""
    suffix = f"/{target.prefix}" if target.prefix else ""
    if "." in target.bucket:
        host = f"s3.{region}.amazonaws.com" if region else "s3.amazonaws.com"
        return f"https://{host}/{target.bucket}{suffix}"
    return f"https://{target.bucket}.s3.amazonaws.com{suffix}"


@dataclass(frozen=True)
class LocalFile:
    path: Path | None  # None for a file made in memory (`body`)
    relative: str  # "<routine>/<file>", the key below the prefix
    size: int
    md5: str
    sha256: str
    body: Callable[[], Iterable[bytes]] | None = None  # its bytes, when it is not a file: a track at another pace

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES.get(PurePosixPath(self.relative).suffix, "application/octet-stream")

    @property
    def cache_control(self) -> str:
        return MANIFEST_CACHE_CONTROL if PurePosixPath(self.relative).name == MANIFEST_NAME else MEDIA_CACHE_CONTROL


@dataclass
class PublishReport:
    target: S3Target
    public_url: str
    uploaded: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)  # remote objects no build lists any more (kept without --delete)
    not_compared: str | None = None  # a dry run that could not list the bucket: why (everything is listed)
    bytes_uploaded: int = 0
    seconds: float = 0.0


def built_files(out_dir: Path, routines: Iterable[str] | None = None) -> list[LocalFile]:
    """Every file the manifests under `out_dir` list, with its hashes; each manifest after its media."""
    out_dir = Path(out_dir)
    wanted = set(routines) if routines else None
    media: list[LocalFile] = []
    manifests: list[LocalFile] = []
    folders = sorted(p for p in out_dir.iterdir() if p.is_dir()) if out_dir.is_dir() else []
    for folder in folders:
        if wanted is not None and folder.name not in wanted:
            continue
        manifest_path = folder / MANIFEST_NAME
        try:
            manifest = load_manifest(folder)
        except ManifestError as exc:
            raise PublishError(f"cannot publish {folder.name}: {exc} before publishing") from None
        if manifest is None:
            continue
        for name in manifest.listed():
            path = folder / name
            if not path.is_file():
                raise PublishError(f"{manifest_path} lists {name}, which is missing: build again before publishing")
            media.append(_local(path, f"{folder.name}/{name}"))
        manifests.append(_local(manifest_path, f"{folder.name}/{MANIFEST_NAME}"))
    if wanted is not None and not manifests:
        raise NothingToPublish(f"no built routine {', '.join(sorted(wanted))} in {out_dir}/: build it first "
                               f"(back-routine build {' '.join(sorted(wanted))}{_out_option(out_dir)})")
    if not manifests:
        raise NothingToPublish(f"nothing to publish: no built routine in {out_dir}/. Run `back-routine build"
                               f"{_out_option(out_dir)}` first (or pass --out with the folder you built into).")
    return media + manifests


def publish(out_dir: Path, target: S3Target, *, client: Any = None, public_url: str | None = None,
            routines: Iterable[str] | None = None, dry_run: bool = False, delete: bool = False, force: bool = False,
            on_file: Callable[[str, LocalFile], None] | None = None, paces: Sequence[float] = (),
            variants: Any = None) -> PublishReport:
    """Upload what differs between the build in `out_dir` and `target`, with each level's full session
    at `paces` (assembled by `variants`, a VariantSource); see the module notes."""
    started = time.perf_counter()
    files = built_files(out_dir, routines)  # before any S3 call: with nothing built there is nothing to ask
    if paces:
        if variants is None:
            raise ValueError("publishing other paces needs the VariantSource that assembles them")
        from .publish_paces import paced_files  # it builds on LocalFile, defined here

        files = paced_files(out_dir, files, paces, variants)
    client = client or s3_client()
    report = PublishReport(target, public_url or public_base_url(target, _region(client)))
    try:
        remote = _listing(client, target, {f.relative.split("/", 1)[0] for f in files})
    except PublishError as exc:
        if not dry_run:
            raise
        # A plan should not need credentials or a network: without the bucket's listing every built
        # file would go up, and the report says that is why.
        report.not_compared = str(exc)
        remote = {}
    for local in files:
        key = target.key(local.relative)
        if not force and _same(client, target, key, local, remote.get(key)):
            report.unchanged.append(local.relative)
            continue
        if on_file:
            on_file("upload", local)
        if not dry_run:
            _upload(client, target, key, local)
        report.uploaded.append(local.relative)
        report.bytes_uploaded += local.size
    local_keys = {target.key(f.relative) for f in files}
    for key in sorted(set(remote) - local_keys):
        relative = key[len(target.prefix) + 1:] if target.prefix else key
        if delete:
            if not dry_run:
                _call(lambda: client.delete_object(Bucket=target.bucket, Key=key), f"delete s3://{target.bucket}/{key}")
            report.deleted.append(relative)
        else:
            report.stale.append(relative)
    report.seconds = time.perf_counter() - started
    return report


def _out_option(out_dir: Path) -> str:
    return "" if Path(out_dir) == Path("output") else f" --out {out_dir}"


def s3_client(region: str | None = None) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client("s3", region_name=region, config=Config(retries=dict(RETRIES)))


# -- internals ----------------------------------------------------------------------------------------


def _local(path: Path, relative: str) -> LocalFile:
    md5, sha256 = hashlib.md5(usedforsecurity=False), hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            md5.update(chunk)
            sha256.update(chunk)
            size += len(chunk)
    return LocalFile(path, relative, size, md5.hexdigest(), sha256.hexdigest())


def _listing(client: Any, target: S3Target, routines: set[str]) -> dict[str, tuple[str, int]]:
    """key -> (ETag without quotes, size) for the objects under each published routine's folder."""
    found: dict[str, tuple[str, int]] = {}
    for routine in sorted(routines):
        prefix = target.key(routine) + "/"

        def pages(prefix: str = prefix) -> list[dict]:
            return list(client.get_paginator("list_objects_v2").paginate(Bucket=target.bucket, Prefix=prefix))

        for page in _call(pages, f"list s3://{target.bucket}/{prefix}"):
            for item in page.get("Contents", []):
                found[item["Key"]] = (item.get("ETag", "").strip('"'), int(item.get("Size", -1)))
    return found


def _same(client: Any, target: S3Target, key: str, local: LocalFile, remote: tuple[str, int] | None) -> bool:
    if remote is None or remote[1] != local.size:
        return False
    if remote[0] == local.md5:
        return True
    head = _call(lambda: client.head_object(Bucket=target.bucket, Key=key), f"read s3://{target.bucket}/{key}")
    return head.get("Metadata", {}).get(SHA256_METADATA) == local.sha256


def _upload(client: Any, target: S3Target, key: str, local: LocalFile) -> None:
    def put() -> Any:
        if local.body is not None:  # made in memory: one track at a time, some megabytes
            return send(b"".join(local.body()))
        with open(local.path, "rb") as body:
            return send(body)

    def send(body: Any) -> Any:
        return client.put_object(
            Bucket=target.bucket, Key=key, Body=body, ContentType=local.content_type,
            CacheControl=local.cache_control, Metadata={SHA256_METADATA: local.sha256},
            ContentMD5=base64.b64encode(bytes.fromhex(local.md5)).decode("ascii"),  # S3 checks the bytes
        )

    _call(put, f"upload {local.relative} to s3://{target.bucket}/{key}")


def _call(operation: Callable[[], Any], what: str) -> Any:
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

    try:
        return operation()
    except NoCredentialsError:
        raise PublishError(f"could not {what}: no AWS credentials (run `aws configure`, or set AWS_PROFILE "
                           "or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)") from None
    except ClientError as exc:
        error = exc.response.get("Error", {})
        raise PublishError(f"could not {what}: {error.get('Code', '?')}: {error.get('Message', exc)}. "
                           "Nothing after it was changed and manifests go up last, so the published "
                           "manifests are the old ones; run publish again to retry.") from None
    except (BotoCoreError, OSError) as exc:
        raise PublishError(f"could not {what}: {exc}. Run publish again to retry (only what is still "
                           "different is uploaded).") from None


def _region(client: Any) -> str | None:
    try:
        return client.meta.region_name
    except AttributeError:
        return None
