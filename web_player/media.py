"""Answer a request for one built file: the whole file, a byte range, or "not modified".

The file is opened first and the answer built from that open file's stat, so a rebuild that renames a
new file into place mid-request cannot mix the headers of one version with the bytes of another.

Caching: page links carry `?v=<version>` (the ETag's value). A request whose `v` is the file's current
version may be cached for a year, since a new build changes the version and so the URL; anything else
gets `no-cache`, which still lets the browser revalidate cheaply with the ETag (304).
"""
from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import BinaryIO
from urllib.parse import quote

from flask import Request, Response
from werkzeug.http import http_date

from .ranges import RangeNotSatisfiable, parse_range

__all__ = ["CONTENT_TYPES", "IMMUTABLE", "REVALIDATE", "NotServable", "content_type", "file_version", "send_body",
           "send_media"]

CONTENT_TYPES = {
    ".mp3": "audio/mpeg",
    ".vtt": "text/vtt; charset=utf-8",
    ".m3u8": "audio/x-mpegurl",  # what media players recognise for an M3U playlist by URL
}
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
CHUNK = 64 * 1024


class NotServable(LookupError):
    """The file cannot be sent: a type we have no content type for, not a regular file, a symlink, or gone."""


def content_type(name: str | os.PathLike[str]) -> str | None:
    """The Content-Type to send `name` with, or None for a type the player does not serve.

    Suffixes are matched exactly: the builder writes lower case, and anything else is not its file.
    """
    return CONTENT_TYPES.get(Path(name).suffix)


def file_version(st: os.stat_result) -> str:
    """A token that changes whenever the build rewrites the file (rename: new mtime, usually new size)."""
    return f"{st.st_size:x}-{st.st_mtime_ns:x}"


def send_media(path: Path, request: Request, *, download_name: str | None = None) -> Response:
    """The response to a GET or HEAD of `path`; NotServable if it must be refused (answer 404)."""
    kind = content_type(path)
    if kind is None:
        raise NotServable(f"no content type for {path.name}")
    handle = _open_regular(path)
    try:
        st = os.fstat(handle.fileno())
        version = file_version(st)

        def read(start: int, length: int) -> Iterator[bytes]:
            return _read(handle, start, length)

        response = send_body(request, kind=kind, size=st.st_size, version=version, mtime=int(st.st_mtime),
                             read=read, download_name=download_name)
    except BaseException:
        handle.close()
        raise
    # Also closes the file when the body is never read (HEAD, 304, 416, client gone before the first chunk).
    response.call_on_close(handle.close)
    return response


def send_body(request: Request, *, kind: str, size: int, version: str, mtime: int | None,
              read: Callable[[int, int], Iterable[bytes]], download_name: str | None = None) -> Response:
    """The response to a GET or HEAD of a body of `size` bytes whose bytes [start, start + length) are
    `read(start, length)`: the whole body, a range (206), 416, or 304. `version` is its strong ETag's
    value (and the `?v=` that may be cached for a year); `mtime` its Last-Modified, if it has one. For
    a built file (send_media) and a variant assembled on request (variant_views.py) alike."""
    etag = f'"{version}"'
    headers = {
        "Content-Type": kind,
        "Accept-Ranges": "bytes",
        "ETag": etag,
        "Cache-Control": IMMUTABLE if request.args.get("v") == version else REVALIDATE,
        "X-Content-Type-Options": "nosniff",
    }
    if mtime is not None:
        headers["Last-Modified"] = http_date(mtime)
    if download_name:
        headers["Content-Disposition"] = _attachment(download_name)
    if _not_modified(request, etag, mtime):
        return Response(status=304, headers=headers)
    try:
        wanted = parse_range(request.headers.get("Range"), size) if _range_applies(request, etag, mtime) else None
    except RangeNotSatisfiable as exc:
        headers["Content-Range"] = exc.content_range
        headers["Content-Type"] = "text/plain; charset=utf-8"
        return Response("Range not satisfiable\n", status=416, headers=headers)
    start, length, status = (0, size, 200) if wanted is None else (wanted.start, wanted.length, 206)
    if wanted is not None:
        headers["Content-Range"] = wanted.content_range(size)
    headers["Content-Length"] = str(length)
    return Response(read(start, length), status=status, headers=headers, direct_passthrough=True)


def _open_regular(path: Path) -> BinaryIO:
    """`path` opened for reading, refusing a symlink as its last part even if one was swapped in since
    the library checked it (O_NOFOLLOW), and anything that is not a regular file (a FIFO would hang)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:  # gone mid-rebuild, a symlink (ELOOP), unreadable
        raise NotServable(f"cannot open {path.name}: {exc.strerror or exc}") from None
    handle = os.fdopen(fd, "rb")
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        handle.close()
        raise NotServable(f"{path.name} is not a regular file")
    return handle


def _not_modified(request: Request, etag: str, mtime: int | None) -> bool:
    if request.method not in ("GET", "HEAD"):
        return False
    if request.if_none_match:  # when present it decides alone (RFC 9110 13.2.2)
        return request.if_none_match.contains_weak(etag.strip('"'))
    since = request.if_modified_since
    return since is not None and mtime is not None and mtime <= int(since.timestamp())


def _range_applies(request: Request, etag: str, mtime: int | None) -> bool:
    """If-Range: honour the Range only if the client's copy is the current one; else send it all (a
    date never matches a body without a Last-Modified)."""
    if "If-Range" not in request.headers:
        return True
    validator = request.if_range
    if validator.etag is not None:
        return f'"{validator.etag}"' == etag and not request.headers["If-Range"].lstrip().startswith("W/")
    return validator.date is not None and mtime is not None and int(validator.date.timestamp()) == mtime


def _read(handle: BinaryIO, start: int, length: int) -> Iterator[bytes]:
    handle.seek(start)
    while length > 0:
        chunk = handle.read(min(CHUNK, length))
        if not chunk:
            break  # the file shrank under us; Content-Length was promised, the client sees a short body
        length -= len(chunk)
        yield chunk


def _attachment(name: str) -> str:
    ascii_name = name.encode("ascii", "replace").decode().replace('"', "")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"
