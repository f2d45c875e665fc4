"""What stops a build, as the `build` command tells them apart (exit 1 or exit 2)."""
from __future__ import annotations


class BuildError(Exception):
    """A build that cannot go on; the message says why and what to do. Nothing built is lost."""


class BuildInputError(BuildError):
    """The routine file or the build's options are wrong, found before anything was written: the
    same mistake `validate` reports, and the same exit status (2) as every command's bad input."""
