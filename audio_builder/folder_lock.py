"""One build per output folder at a time: a second one waits for the first (or refuses, with --no-wait)."""
from __future__ import annotations

import errno
import fcntl
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

from .errors import BuildError

LOCK_NAME = ".build.lock"


@contextmanager
def folder_lock(target: Path, wait: bool = True, log: Callable[[str], None] = lambda _: None) -> Iterator[None]:
    """Hold the lock of `target` (an existing folder) for the block; `log` says when it waits."""
    try:
        handle = open(target / LOCK_NAME, "a+")
    except OSError as exc:
        handle = _read_only_lock(target, exc)
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if not wait:
                raise BuildError(f"another build of {target} is running; try again when it has finished") from None
            log(f"another build of {target} is running; waiting for it to finish...")
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _read_only_lock(target: Path, exc: OSError):
    """A handle to lock a folder we may only read. Checking that it is up to date writes nothing,
    and flock() needs no write access; a build with work to do fails on its first write instead."""
    if exc.errno not in (errno.EACCES, errno.EPERM, errno.EROFS):
        raise BuildError(f"cannot write to {target}: {exc.strerror or exc}") from None
    # The lock file if a build made one, else the folder itself: every build of this folder
    # that cannot write picks the same one.
    path = target / LOCK_NAME if (target / LOCK_NAME).exists() else target
    try:
        return os.fdopen(os.open(path, os.O_RDONLY), "rb", buffering=0)
    except OSError:
        raise BuildError(f"cannot write to {target}: {exc.strerror or exc}") from None
